"""Small HTML/markdown renderers shared by the student and teacher views.

Every piece of text that came from a student (or from the tutor echoing a student) is passed
through `html.escape` before it enters HTML, so nothing a student types can inject markup into
another page. The student view speaks to a 12-year-old: moods in plain words with an emoji,
skills by their curriculum names, maths typeset, and no numbers that mean nothing to a child.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Mapping
from typing import Any

from affect.types import AffectEstimate

# KaTeX delimiters for gr.Markdown / gr.Chatbot: `typeset` wraps maths in $...$.
LATEX_DELIMITERS: list[dict[str, str | bool]] = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
    {"left": "\\(", "right": "\\)", "display": False},
    {"left": "\\[", "right": "\\]", "display": True},
]

# Colours per learner state (colour-blind-safe Okabe-Ito palette).
STATE_COLOURS: dict[str, str] = {
    "engaged": "#009E73",
    "confused": "#E69F00",
    "frustrated": "#D55E00",
    "bored": "#999999",
    "anxious": "#CC79A7",
    "delighted": "#56B4E9",
    "neutral": "#0072B2",
}

# What the student sees for each learner state: an emoji and a few plain words (the numbers
# behind them stay in the teacher view).
MOOD_WORDS: dict[str, tuple[str, str]] = {
    "engaged": ("🙂", "You look focused."),
    "confused": ("🤔", "You look a bit puzzled. Ask for a hint any time!"),
    "frustrated": ("😣", "This one seems tricky. That's okay, we'll go step by step."),
    "bored": ("🥱", "You look a little bored. Want a harder one? Press Next."),
    "anxious": ("😟", "You seem a bit worried. There's no rush."),
    "delighted": ("😄", "You look happy!"),
    "neutral": ("😐", "You look calm."),
}
_SOURCE_WORDS: dict[str, str] = {
    "face": "from your camera",
    "text": "from your messages",
    "fused": "from your camera and messages",
}

# A maths operand in the curriculum's plain text: 3, -2, 0.95, 25%, x, 2x, 4/24, x/10.
_OPERAND = r"-?(?:\d+(?:\.\d+)?x?|x)(?:/\d+)?%?"
_OPERATOR = r"\s*[-+×÷=*]\s*"
_MATHS = re.compile(rf"(?<![\w.$\\]){_OPERAND}(?:{_OPERATOR}{_OPERAND})*(?![\w$])")
_FRACTION = re.compile(r"(-?)(\d+x?|x)/(\d+)")


def esc(text: Any) -> str:
    """HTML-escape any value (quotes too, so it is safe inside attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


def _latex(span: str) -> str:
    body = _FRACTION.sub(lambda m: f"{m[1]}\\frac{{{m[2]}}}{{{m[3]}}}", span)
    return body.replace("×", "\\times ").replace("÷", "\\div ").replace("*", "\\times ").replace("%", "\\%")


def typeset(text: str) -> str:
    """Tutor text as markdown with its maths typeset by KaTeX: fractions, equations and sums
    ("Work out 3/4 + 1/6", "2x + 3 = 11") become $...$; lone numbers ("75% of 120") stay text.
    A `$` already in the text is escaped so it never opens a formula."""

    def wrap(m: re.Match[str]) -> str:
        span = m[0]
        if "/" not in span and not re.search(_OPERATOR, span[1:]):
            return span
        return f"${_latex(span)}$"

    return _MATHS.sub(wrap, text.replace("$", "\\$"))


def plain_markdown(text: str) -> str:
    """A student's own message for the chat: `$` escaped, so a price is not read as a formula."""
    return text.replace("$", "\\$")


def _bar(fraction: float, colour: str) -> str:
    fraction = max(0.0, min(1.0, fraction))
    inner = f'<div style="width:{fraction * 100:.1f}%;height:100%;background:{colour}"></div>'
    return (
        '<div aria-hidden="true" style="position:relative;height:8px;background:#e5e7eb;border-radius:4px;'
        f'overflow:hidden;flex:1">{inner}</div>'
    )


def mood_html(estimate: AffectEstimate | None, *, camera_on: bool, face_found: bool = True) -> str:
    """The student's mood indicator, or "" when there is nothing to show yet.

    Shown after the first reading (from a message or the camera): an emoji and plain words,
    and where the reading came from. With the camera on and no face in view it says so.
    """
    if estimate is None:
        if camera_on and not face_found:
            return (
                '<div class="mood" id="mood-indicator" data-state="no-face" role="status">'
                "📷 I can't see your face right now. Is the camera pointing at you?</div>"
            )
        return ""
    emoji, words = MOOD_WORDS.get(estimate.label, MOOD_WORDS["neutral"])
    # A fused reading with the camera off came from the messages alone.
    source = _SOURCE_WORDS.get("text" if estimate.source == "fused" and not camera_on else estimate.source, "")
    return (
        f'<div class="mood" id="mood-indicator" data-state="{esc(estimate.label)}" role="status">'
        f'<span class="mood-emoji" aria-hidden="true">{emoji}</span> {esc(words)}'
        f' <span class="mood-source">({esc(source)})</span></div>'
    )


def mastery_html(
    mastery: Mapping[str, float],
    threshold: float,
    names: Mapping[str, str] | None = None,
    practised: Collection[str] = (),
) -> str:
    """One row per skill, by its curriculum name: "not started" until the student has tried a
    problem of it, then a bar (green once mastered) with the estimate in words and percent."""
    if not mastery:
        return '<div class="mastery"><em>Your progress appears here once you start.</em></div>'
    names = names or {}
    rows = []
    for skill in sorted(mastery, key=lambda s: names.get(s, s)):
        name = esc(names.get(skill, skill))
        if skill not in practised:
            rows.append(
                f'<div class="skill" data-skill="{esc(skill)}"><span class="skill-name">{name}</span>'
                '<span class="not-started">not started</span></div>'
            )
            continue
        p = max(0.0, min(1.0, mastery[skill]))
        done = p >= threshold
        colour = "#009E73" if done else "#0072B2"
        words = "mastered ✓" if done else f"{p:.0%}"
        rows.append(
            f'<div class="skill" data-skill="{esc(skill)}"><span class="skill-name">{name}</span>'
            f'{_bar(p, colour)}<span class="skill-level">{words}</span></div>'
        )
    return '<div class="mastery" id="mastery-bars">' + "".join(rows) + "</div>"


def status_html(text: str, *, busy: bool) -> str:
    """A one-line progress/status note; `busy` adds a spinner so a wait is never silent."""
    if not text:
        return '<div class="status" id="avatar-status" role="status"></div>'
    spin = '<span class="spinner" aria-hidden="true"></span>' if busy else ""
    return (
        f'<div class="status" id="avatar-status" role="status" data-busy="{str(busy).lower()}">{spin}{esc(text)}</div>'
    )


def note_html(text: str, *, where: str) -> str:
    """A friendly message next to the control it is about (`where` names it, for the tests and
    CSS); "" clears it. Screen readers announce it (role="alert")."""
    if not text:
        return ""
    return f'<div class="note" id="{esc(where)}-note" role="alert">💡 {esc(text)}</div>'


def problem_markdown(problem: Any | None, skill_name: str = "") -> str:
    """The current problem as markdown, its maths typeset, with the skill's plain name."""
    if problem is None:
        return (
            "### No problem yet\nJoin your class, come back with your code, or just practise: "
            "your first problem appears here."
        )
    level = max(1, min(3, int(problem.difficulty)))
    about = esc(skill_name or problem.skill)
    return f"### Your problem\n<small>{about} · level {level} of 3</small>\n\n{typeset(problem.prompt)}"
