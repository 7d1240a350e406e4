"""Dialogue acts (issue 11) with the REAL MiniLM encoder and the shipped act head.

Every example quoted in the issue, emoji, distress (never missed), replies to the tutor's own
questions, number words and answers inside sentences, the weights' save/load round trip, and
the eval report's macro-F1 recomputed from the committed weights on the held-out file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sympy
from sklearn.metrics import f1_score

from affect import TextAffect
from tutor import DIALOGUE_ACTS, Tutor, TutorConfig
from tutor.language.acthead import DEFAULT_WEIGHTS_DIR, ActHead
from tutor.language.acts import ActReader, load_topic_words
from tutor.language.numbers import find_answer, parse_answer
from tutor.language.pending import PendingQuestion

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[1] / "tutor" / "language" / "data"
TOPICS = ["fractions", "linear_equations", "percentages"]
PER_ACT_FLOOR = 0.90  # held-out F1 every act must reach (issue 11's bar)


@pytest.fixture(scope="module")
def affect() -> TextAffect:
    return TextAffect.load()


@pytest.fixture(scope="module")
def reader(affect: TextAffect) -> ActReader:
    return ActReader(ActHead.load(), affect.embed, load_topic_words(TOPICS))


def rows(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


ISSUE_EXAMPLES = [
    ("skip", "skip"), ("give me a word problem", "scenario_request"), ("can we do geometry instead?", "change_topic"),
    ("no wait one more", "skip"), ("ugh I keep getting it wrong and I want to quit", "feeling"),
    ("hmm i think it's 6/7 but not sure", "answer"), ("harder please", "harder"), ("twenty five", "answer"),
    ("what is a variable", "concept_question"), ("is 0.5 the same as 1/2?", "concept_question"),
    ("explain that again differently", "rephrase_request"), ("what's your name?", "meta"), ("you're useless", "abuse"),
    ("I got it!! yay", "feeling"), ("nobody likes me at school and i want to cry", "feeling"), ("😭😭😭", "feeling"),
    ("this is too hard", "feeling"), ("I'm scared I'll fail my test tomorrow", "feeling"), ("ok", "greeting"),
    ("can u make it harder", "harder"), ("three quarters", "answer"), ("negative two", "answer"),
    ("x equals five", "answer"), ("what can you do", "meta"), ("do you record me", "meta"),
    ("how am I doing", "progress_question"), ("what have I learned", "progress_question"),
    ("they laugh at me", "feeling"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "act"), ISSUE_EXAMPLES)
def test_every_example_of_the_issue(reader: ActReader, text: str, act: str) -> None:
    assert reader.classify(text) == act


# One message per act, phrased unlike the corpus (the corpus files are scored below).
MORE = [
    ("wait is it 45?", "answer"), ("pls could i have a clue", "hint_request"),
    ("can you solve this one for me step by step so i can see how", "worked_example_request"),
    ("what does the bottom number of a fraction mean", "concept_question"),
    ("why do we divide by 4 here?", "why_question"),
    ("can you explain it differently, with a picture maybe", "rephrase_request"), ("next question please", "skip"),
    ("something harder pls", "harder"), ("can i have an easier one please", "easier"),
    ("can we do percentages instead", "change_topic"), ("give me one about buying stuff in a shop", "scenario_request"),
    ("how many have i got right so far", "progress_question"), ("i'm so bored", "feeling"), ("hello!", "greeting"),
    ("are you a real person", "meta"), ("who's your favourite footballer", "off_topic"),
    ("shut up you stupid bot", "abuse"),
    ("bye, see you tomorrow", "stop"), ("i want to kill myself", "distress"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "act"),
    [("Can I have a hint?", "hint_request"), ("Next problem, please.", "skip"), ("next", "skip"),
     ("hint", "hint_request")],
)
def test_the_quick_buttons_texts_read_as_their_acts(reader: ActReader, text: str, act: str) -> None:
    """ui.handlers.QUICK_MESSAGES typed by hand ('Next' = skip, issue 11); the buttons themselves pass their act."""
    assert reader.classify(text) == act


def test_every_act_is_covered_and_read(reader: ActReader) -> None:
    assert {a for _, a in MORE} == set(DIALOGUE_ACTS) and len(DIALOGUE_ACTS) == 19
    wrong = [(t, a, reader.classify(t)) for t, a in MORE if reader.classify(t) != a]
    assert not wrong


@pytest.mark.parametrize("text", ["😭", "😡😡😡", "🎉🎉", "😴", "🙂", "😤 😤", "👍", "💀💀"])
def test_emoji_only_messages_are_feelings(reader: ActReader, text: str) -> None:
    assert reader.classify(text) == "feeling"
    assert reader.classify("🖕") == "abuse"


DISTRESS = [
    "i want to die", "I wanna kill my self", "i dont want to be alive anymore", "i've been cutting again",
    "my stepdad hits me when mum is out", "i'm scared to go home tonight", "everyone would be better off without me",
    "i'm thinking about suicide", "kms", "I want to end my life", "i wish i was never born",
    "i dont see the point of living", "i want to go to sleep and never wake up", "i have been self harming",
    "i took a load of pills to hurt myself", "i'm going to jump off a bridge", "no one would care if i was gone",
    "I WANT TO DIE", "i want 2 die lol", "i hate myself and want to disappear forever",
]  # fmt: skip


@pytest.mark.parametrize("text", DISTRESS)
def test_distress_is_never_missed(reader: ActReader, text: str) -> None:
    r = reader.read(text, PendingQuestion("offer_harder", "harder", "skip"))  # context never hides it
    assert r.act == "distress"


def test_distress_recall_is_one_on_every_labelled_file(reader: ActReader) -> None:
    for name in ("acts_train.jsonl", "acts_heldout.jsonl", "acts_fresh.jsonl"):
        missed = [r["text"] for r in rows(name) if r["act"] == "distress" and reader.classify(r["text"]) != "distress"]
        assert not missed, (name, missed)


def test_wellbeing_is_a_feeling_with_a_reason(reader: ActReader) -> None:
    r = reader.read("i have no friends and everyone ignores me")
    assert r.act == "feeling" and r.wellbeing
    assert reader.read("can i have a hint").wellbeing is None


HARDER = PendingQuestion("offer_harder", yes="harder", no="skip")
STOP = PendingQuestion("confirm_stop", yes="stop", no="skip")
HINT = PendingQuestion("offer_hint", yes="hint_request", no="greeting")


@pytest.mark.parametrize(
    ("text", "pending", "act"),
    [
        ("yes", HARDER, "harder"), ("yeah go on", HARDER, "harder"), ("nah", HARDER, "skip"),
        ("no", STOP, "skip"), ("nope", STOP, "skip"), ("yes", STOP, "stop"), ("ok", STOP, "stop"),
        ("yes please", HINT, "hint_request"), ("no thanks", HINT, "greeting"), ("sure!", HINT, "hint_request"),
        ("no wait one more", STOP, "skip"), ("3/4", STOP, "answer"), ("twenty five", HARDER, "answer"),
        ("can it be easier instead", HARDER, "easier"), ("yes", None, "greeting"), ("bye", HINT, "stop"),
    ],
)  # fmt: skip
def test_replies_to_the_tutors_questions_are_read_in_context(
    reader: ActReader, text: str, pending: PendingQuestion | None, act: str
) -> None:
    assert reader.read(text, pending).act == act


def test_pending_question_is_validated() -> None:
    with pytest.raises(ValueError, match="dialogue acts"):
        PendingQuestion("offer_harder", yes="harder_please", no="skip")


@pytest.mark.parametrize(
    ("text", "value", "variable", "percent"),
    [
        ("hmm i think it's 6/7 but not sure", "6/7", False, False), ("twenty five", "25", False, False),
        ("three quarters", "3/4", False, False), ("negative two", "-2", False, False),
        ("x equals five", "5", True, False),
        ("minus 3", "-3", False, False), ("1 and a half", "3/2", False, False), ("0.5", "1/2", False, False),
        ("50%", "50", False, True), ("one hundred and twenty", "120", False, False),
        ("two thirds", "2/3", False, False),
        ("zero point seven five", "3/4", False, False), ("seven out of eight", "7/8", False, False),
        ("i did 3 times 4 so 12", "12", False, False), ("x = 12 because you divide both sides by 2", "12", True, False),
        ("sixty percent", "60", False, True), ("2x + 3 = 11 so x = 4", "4", True, False),
        ("14 😅", "14", False, False), ("8/12 which is 2/3", "2/3", False, False),
    ],
)  # fmt: skip
def test_answers_and_number_words_are_parsed_once(text: str, value: str, variable: bool, percent: bool) -> None:
    parsed = find_answer(text)
    assert parsed is not None and parsed.value == sympy.Rational(value)
    assert (parsed.variable, parsed.percent) == (variable, percent)


@pytest.mark.parametrize(
    "text", ["is it 3/4 or 6/8", "2x = 8", "i got 2x = 8 but now what", "hello", "", "the third one", "one more"]
)
def test_no_single_answer_is_none(text: str) -> None:
    assert find_answer(text) is None


@pytest.mark.parametrize(("text", "value"), [("ok fine. 2/3", "2/3"), ("lol ok, 5", "5"), ("thanks! x = 4", "x = 4")])
def test_an_answer_after_a_filler_is_graded_not_ignored(reader: ActReader, text: str, value: str) -> None:
    """tutor8's conversation: "ok fine. 2/3" read as a greeting got "Alright." and the right answer was lost."""
    got = reader.read(text)
    assert got.act == "answer" and got.parsed is not None and got.parsed.shown == value, got


@pytest.mark.parametrize("text", ["hi, i'm on question 3", "thanks, that was 2 hints", "lol i have 3 cats"])
def test_a_number_inside_small_talk_is_not_taken_for_an_answer(reader: ActReader, text: str) -> None:
    assert reader.read(text).act != "answer"


def test_the_reader_carries_the_parsed_answer_and_the_topic(reader: ActReader) -> None:
    r = reader.read("hmm i think it's 6/7 but not sure")
    assert r.act == "answer" and r.parsed is not None
    assert r.parsed.value == sympy.Rational(6, 7) and r.parsed.shown == "6/7"
    assert reader.read("can we do percentages instead?").topic == "percentages"
    assert reader.read("can we do geometry instead?").topic is None
    assert parse_answer("what is a variable") is None and reader.read("what is a variable").parsed is None


def test_bad_input_is_refused_or_read_safely(reader: ActReader) -> None:
    with pytest.raises(ValueError, match="text"):
        reader.read(None)  # type: ignore[arg-type]
    assert reader.read("").act == "answer" and reader.read("   ").confidence == 0.0
    assert reader.read("help " * 3000).act in DIALOGUE_ACTS  # long text: only its start is read
    assert reader.read("\u202e\u200bh\u0301i\x00").act in DIALOGUE_ACTS


def test_the_shared_embedding_is_the_one_affect_computes(affect: TextAffect, reader: ActReader) -> None:
    estimate, vector = affect.read("can u make it harder")
    assert vector is not None and np.allclose(vector, affect.embed(["can u make it harder"])[0], atol=1e-6)
    assert estimate == affect.predict("can u make it harder")
    assert reader.read("can u make it harder", vector=vector).act == "harder"
    assert affect.read("   ")[1] is None


def test_weights_save_load_round_trip_is_identical(affect: TextAffect, tmp_path: Path) -> None:
    head = ActHead.load()
    head.save(tmp_path)
    again = ActHead.load(tmp_path)
    assert again.cfg == head.cfg
    for text in ("give me a word problem", "why?", "ok bye", "😭"):
        v = affect.embed([text])[0]
        assert np.array_equal(head.probs(v, text), again.probs(v, text))


def test_a_corrupt_weights_file_names_itself(tmp_path: Path) -> None:
    ActHead.load().save(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match=r"model\.safetensors"):
        ActHead.load(tmp_path)


def test_held_out_macro_f1_recomputed_from_the_committed_weights(reader: ActReader) -> None:
    held = rows("acts_heldout.jsonl")
    truth = [r["act"] for r in held]
    pred = [reader.classify(r["text"]) for r in held]
    per_act = f1_score(truth, pred, labels=list(DIALOGUE_ACTS), average=None)
    macro = float(np.mean(per_act))
    reported = json.loads((DEFAULT_WEIGHTS_DIR / "metrics.json").read_text())["heldout"]["macro_f1"]
    assert macro >= 0.90 and abs(macro - reported) < 1e-3, (macro, reported)
    low = {a: round(float(f), 3) for a, f in zip(DIALOGUE_ACTS, per_act) if f < PER_ACT_FLOOR}
    assert not low, low


@pytest.fixture(scope="module")
def tutor(affect: TextAffect, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tutor]:
    db = tmp_path_factory.mktemp("acts") / "tutor.db"
    t = Tutor.create(db_url=f"sqlite:///{db}", config=TutorConfig(seed=3, load_face=False), text_affect=affect)
    yield t
    t.close()


def test_tutor_classify_and_the_session_read_acts(tutor: Tutor) -> None:
    assert tutor.classify("can u make it harder") == "harder"
    s = tutor.start_session(student="s-acts", topic="fractions")
    assert s.send("what's your name?").intent == "meta"
    assert s.send("i want to kill myself").flagged
