"""TextAffect's onnxruntime graph (affect/text_onnx.py) against its torch modules, with the real models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from affect import LEARNER_STATES, TextAffect
from affect.text import prepare
from affect.text_onnx import PARITY_PROBS, AffectRuntime, Int8LinearExport


@pytest.fixture(scope="module")
def text() -> TextAffect:
    return TextAffect.load()


# Fresh messages (not in the corpus and not the load-time check's), one per state and two odd ones.
MESSAGES = [
    "ooh can i do the next one without a hint",
    "why does the 3 move to the other side??",
    "NO that's what i put and it said wrong",
    "do we have to do more of these",
    "i always panic when there's a test",
    "woohoo i got all five 🎉",
    "ok",
    "x\x00=\x075 שלום 😴😴",
]


def test_int8_export_form_equals_torch_dynamic_int8_linear(text: TextAffect) -> None:
    import torch.ao.nn.quantized.dynamic as nnqd

    linears = [m for m in text.encoder.modules() if isinstance(m, nnqd.Linear)]
    assert len(linears) == 24  # 6 layers x (qkv, attention out, mlp in, mlp out)
    gen = torch.Generator().manual_seed(0)
    for linear in (linears[0], linears[3]):  # 384 -> 1152 and 1536 -> 384
        for shape in ((1, 9, linear.in_features), (3, 17, linear.in_features)):
            x = torch.randn(*shape, generator=gen) * 2 + 0.3
            want, got = linear(x), Int8LinearExport(linear)(x)
            assert (want - got).abs().max().item() < 1e-4 * want.abs().max().item()


def test_graph_in_onnxruntime_matches_torch_per_message(text: TextAffect) -> None:
    diffs, cosines = [], []
    for message in MESSAGES:
        cleaned, enc_in = prepare([message], text.cfg.max_chars)
        inputs = text.runtime.inputs(cleaned, enc_in)
        (p1, v1, e1), (p2, v2, e2) = text.runtime.run(inputs), text.runtime.run_torch(inputs)
        assert p1.shape == (1, len(LEARNER_STATES)) and e1.shape == (1, 384) and v1.shape == (1,)
        assert p1.argmax() == p2.argmax(), message
        diffs.append(max(float(np.abs(p1 - p2).max()), float(np.abs(v1 - v2).max())))
        cosines.append(float((e1 * e2).sum()))
    # int8 rounding may flip on a message (corpus: 8 % beyond 1e-4); most agree to float rounding
    assert np.median(diffs) < 1e-5 and np.median(cosines) > 0.99999, (diffs, cosines)
    assert max(diffs) < 0.3


def test_read_is_what_the_graph_gives(text: TextAffect) -> None:
    """predict/read/embed go through the onnxruntime graph: the same numbers as one `run`."""
    message = MESSAGES[1]
    est, emb = text.read(message)
    cleaned, enc_in = prepare([message], text.cfg.max_chars)
    probs, _, want = text.runtime.run(text.runtime.inputs(cleaned, enc_in))
    assert emb is not None and np.array_equal(emb, want[0])
    assert np.array_equal(text.embed([message])[0], want[0])
    assert max(abs(est.scores[s] - float(p)) for s, p in zip(LEARNER_STATES, probs[0])) < 1e-6


def test_load_time_check_refuses_a_graph_that_differs(text: TextAffect) -> None:
    """The check compares with the torch modules: a head changed after the export must be caught."""
    runtime = AffectRuntime(text.tokenizer, text.encoder, text.head, text.chars, text.cfg.max_tokens, 1)
    assert runtime.check_parity(MESSAGES[:4])[0] <= PARITY_PROBS
    with torch.no_grad():
        text.head.classifier.bias[LEARNER_STATES.index("bored")] += 3.0  # the torch reference moves, the graph not
    try:
        with pytest.raises(RuntimeError, match="differs from torch"):
            runtime.check_parity(MESSAGES[:4])
    finally:
        with torch.no_grad():
            text.head.classifier.bias[LEARNER_STATES.index("bored")] -= 3.0
