"""Replies to the tutor's own questions: "yes" to "want a harder one?" means harder.

When a tutor reply asks the student something, the dialogue side sets a `PendingQuestion` naming
what "yes" and what "no" would stand for (as acts). `resolve` then reads the next message in that
context: a plain yes or no (in the many ways students type them) becomes that act, and anything
else keeps its context-free reading ("can it be easier instead?" to "want a harder one?" stays
easier). A bare yes or no with nothing pending is phatic, a "greeting".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.types import DIALOGUE_ACTS

# Whole messages that mean yes / no (after lower-casing and dropping punctuation and emoji): one or two
# such words ("yeah go on", "no thanks", "nah i'm good"). "keep going" alone is no "no": to "shall we keep
# going?" it means yes, so such messages keep their own reading.
_YES_WORDS = (
    r"(?:yes+|yea+h*|ya+|yep|yup|yh|ye|y|sure|ok+|okay|okie|k+|alright|aight|fine|go on|go for it|go ahead|"
    r"please|pls|plz|ok then|sure thing|why not|definitely|of course|ofc|absolutely|deal|lets do it|let's do it|"
    r"lets go|let's go|i guess|i suppose|sounds good|do it|i do|i would|bring it on|hit me|yes i do|yes i would)"
)
_NO_ALONE = (
    r"(?:not really|not yet|not now|never|no way|not at all|rather not|i'd rather not|id rather not|i'm good|"
    r"im good|i'm ok|im ok|i'm fine|im fine|i don't|i dont)"
)
# after a leading "no": "no thanks", "nah i'm good", "no wait", "no keep going"
_NO_MORE = r"(?:thanks|thank you|wait|keep going|let's keep going|lets keep going|carry on|no|nah|way|" + _NO_ALONE[3:]
_LEAD = r"(?:oh |ok |okay |um+ |hmm+ |erm )?"
_TAIL = r"(?: please| pls| plz| then| thanks| thank you| mate)?"
_YES = re.compile(rf"^{_LEAD}{_YES_WORDS}(?: {_YES_WORDS})?{_TAIL}$")
_NO = re.compile(rf"^{_LEAD}(?:(?:no+|nope|nah+|na|n)(?: {_NO_MORE})?|{_NO_ALONE}){_TAIL}$")


@dataclass(frozen=True)
class PendingQuestion:
    """A question the tutor just asked, and the act a plain yes / no answer stands for."""

    name: str  # what was asked, for the log: "offer_harder", "confirm_stop", "offer_break", ...
    yes: str  # act meant by "yes" (one of DIALOGUE_ACTS)
    no: str  # act meant by "no" (one of DIALOGUE_ACTS)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("PendingQuestion.name must name the question, e.g. 'offer_harder'.")
        for side in (self.yes, self.no):
            if side not in DIALOGUE_ACTS:
                raise ValueError(f"PendingQuestion answers must be dialogue acts, got {side!r}.")


def yes_or_no(text: str) -> str | None:
    """ "yes" / "no" when the whole message is a plain yes or no, else None."""
    s = re.sub(r"[^\w' ]+", " ", text.lower().replace("’", "'"))
    s = re.sub(r"\s+", " ", s).strip()
    if not s or len(s) > 40:
        return None
    if _NO.match(s):
        return "no"
    if _YES.match(s):
        return "yes"
    return None


def resolve(act: str, text: str, pending: PendingQuestion | None) -> tuple[str, str]:
    """(act in context, reason): a plain yes/no to a pending question becomes its act.

    Safety comes first: the caller never passes a distress reading here to be overridden.
    """
    answer = yes_or_no(text)
    if answer is None:
        return act, ""
    if pending is None:
        return "greeting", f"plain {answer} with no question pending"
    return (pending.yes if answer == "yes" else pending.no), f"{answer} to {pending.name}"
