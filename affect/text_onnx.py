"""TextAffect's whole network in onnxruntime: MiniLM, mean pooling and the trained head in ONE call.

Why: the app reads every chat message on its worker threads while Gradio's event loop keeps the
GIL busy. Eager torch is ~100 operator calls per message (encoder, pooling, head), and each gives
the GIL up and may wait up to Python's 5 ms switch interval to get it back; one onnxruntime `run`
gives it up once. Measured in one process on corpus messages (bench/bench_text_gil.py, load 4.3): beside a
Python thread that spins, 477 ms wall per message (p50) in torch on one thread vs 14.9 ms here; alone 1.7 vs 3.4 ms.

The graph is exported in memory from the torch modules `TextAffect` loaded (about a second, once per
process), so the shipped files stay what they were and the torch modules remain the reference it is
checked against (`check_parity`). torch's int8 dynamic Linear (`affect.text.quantize_encoder`:
per-channel int8 weights, each call's input quantised per tensor to 7 bits as fbgemm's
`reduce_range` does) is written as plain float operations (`Int8LinearExport`), so the graph
computes torch's int8 numbers: the heads were trained on those embeddings. onnxruntime's own int8
(`quantize_dynamic`, 8-bit activations) was measured further from them (mean cosine 0.957 on the
test split) than from fp32 (0.990); fp32 MiniLM would change every embedding as much (0.964) and
lowered the dialogue-act head's held-out macro-F1 0.976 -> 0.971.

int8 rounding is a step function, so where onnxruntime's float arithmetic (GELU, LayerNorm, softmax)
differs from torch's by ~1e-7 an activation can land on the other side of a rounding step: on 1,613
corpus messages read one at a time (the app's way) the probabilities agree to 6e-8 (median), 8 % of
messages differ by more than 1e-4 (99th percentile 0.023, worst 0.25, every top state the same). The
int8 numbers are that fragile in torch too: the same message in a padded batch moves by up to 0.1.
What the heads read is as good as before: test-split macro-F1 of the text head (before tutor8's retrain) 0.9335
one message at a time in both,
dialogue acts 0.977 / 0.986 on held-out / fresh (0.976 / 0.991; the one fresh message lost is a
rounding flip). `PARITY_*` below state what the load-time check accepts.
"""

from __future__ import annotations

import copy
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from affect.minilm import MiniLMEncoder, additive_mask
from affect.textprep import CharNgrams, mark_negation, surface_features

if TYPE_CHECKING:
    import onnxruntime

    from affect.text import TextHead

ONNX_OPSET = 17  # the opset of the GAN's and the expression classifier's exports
# What the load-time check accepts between onnxruntime and torch on CHECK_MESSAGES (one at a time).
# int8 rounding makes single messages jump (the corpus: 8 % of 1,613 messages beyond 1e-4, one by 0.25,
# top state the same for all), so the check asks of the MEDIAN message what a correct export gives
# every message here (1e-7), and the same top state of every message (they are clear cases);
# a wrong export (mask, weights, a missed layer) moves every message.
PARITY_PROBS = 1e-3  # median over the messages of the largest |state probability| difference
PARITY_COSINE = 0.999  # median cosine between the two embeddings of a message
CHECK_MESSAGES: tuple[str, ...] = (
    "I'm lost, where did the x go?",
    "YES finally got it right party popper",
    "ugh this keeps marking me wrong, so annoying and i have done it four times already",
    "this is so boring can we finish",
    "i'm really scared about my maths exam on monday",
    "x = 12",
)


@dataclass(frozen=True)
class GraphInputs:
    """One batch as the graph takes it: token ids and mask (B, T), surface cues (B, S), char TF-IDF (B, V)."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    surface: np.ndarray
    chars: np.ndarray | None  # None when the head has no char n-gram classifier

    def feed(self) -> dict[str, np.ndarray]:
        feed = {"input_ids": self.input_ids, "attention_mask": self.attention_mask, "surface": self.surface}
        return feed | ({"chars": self.chars} if self.chars is not None else {})

    def tensors(self) -> list[torch.Tensor]:
        return [torch.from_numpy(a) for a in self.feed().values()]


class Int8LinearExport(nn.Module):
    """torch's dynamic int8 Linear (fbgemm/x86, reduce_range) as float operations that ONNX can express.

    The input's range (with 0) gives a scale over 127 steps and a zero point chosen as
    `ChooseQuantizationParams` does; the rounded input times the int8 weights is exact in float32
    for these sizes, then scaled per output channel. Equal to `nnqd.Linear` to ~1e-6 in torch.
    """

    w_int: torch.Tensor
    w_scale: torch.Tensor
    bias: torch.Tensor

    def __init__(self, linear: Any) -> None:
        super().__init__()
        w = linear.weight()  # per-channel qint8, zero points 0 (symmetric)
        self.register_buffer("w_int", w.int_repr().float().t().contiguous())  # (in, out) integer values
        self.register_buffer("w_scale", w.q_per_channel_scales().float())
        self.register_buffer("bias", linear.bias().detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lo = torch.clamp(x.min(), max=0.0).double()
        hi = torch.clamp(x.max(), min=0.0).double()
        scale = (hi - lo) / 127.0
        scale = torch.where(scale > 0, scale, torch.full_like(scale, 0.1))  # an all-zero input: torch's 0.1
        # the zero point from whichever end loses less, rounded and kept in [0, 127]
        from_lo, from_hi = -lo / scale, 127.0 - hi / scale
        err_lo, err_hi = -torch.abs(lo / scale), 127.0 - torch.abs(hi / scale)
        zero = torch.clamp(torch.round(torch.where(err_lo < err_hi, from_lo, from_hi)), 0.0, 127.0).float()
        s = scale.float()
        q = torch.clamp(torch.round(x * (1.0 / s)) + zero, 0.0, 255.0)
        return ((q - zero) @ self.w_int) * (s * self.w_scale) + self.bias


def exportable(encoder: MiniLMEncoder) -> MiniLMEncoder:
    """A copy of `encoder` whose int8 Linears are `Int8LinearExport` (the word table is shared, not copied)."""
    import torch.ao.nn.quantized.dynamic as nnqd

    big = encoder.word.weight
    clone = copy.deepcopy(encoder, memo={id(big): big})
    for parent in list(clone.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nnqd.Linear):
                setattr(parent, name, Int8LinearExport(child))
    return clone


class AffectGraph(nn.Module):
    """(ids, mask, surface cues[, char TF-IDF]) -> (state probabilities (B, 7), valence (B,), embeddings (B, 384)).

    TextAffect's steps as one module: MiniLM with the mask always applied, sentence-transformers'
    mean pooling, the head's softmax averaged with the char n-gram classifier's, the temperature.
    """

    def __init__(self, encoder: MiniLMEncoder, head: TextHead) -> None:
        super().__init__()
        self.encoder, self.head = encoder, head

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        surface: torch.Tensor,
        chars: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        from affect.text import mean_pool

        hidden = self.encoder.run(input_ids, additive_mask(attention_mask, surface.dtype))
        emb = mean_pool(hidden, attention_mask)
        logits, valence = self.head(emb, surface)
        probs = torch.softmax(logits, dim=1)
        if chars is not None and self.head.char_classifier is not None:  # ensemble with the char n-gram view
            probs = (probs + torch.softmax(self.head.char_classifier(chars), dim=1)) / 2
        probs = probs ** (1.0 / self.head.cfg.temperature)
        return probs / probs.sum(dim=1, keepdim=True), valence, emb


class AffectRuntime:
    """The exported AffectGraph in onnxruntime; `run()` is one session call (thread-safe)."""

    def __init__(self, tokenizer: Any, encoder: MiniLMEncoder, head: TextHead, chars: CharNgrams | None,
                 max_tokens: int, num_threads: int) -> None:  # fmt: skip
        self.tokenizer, self.chars, self.max_tokens = tokenizer, chars, max_tokens
        self.negation_scope = head.cfg.negation_scope  # the char n-gram view reads negated words as not_<word>
        self.reference = AffectGraph(encoder, head).eval()  # torch: what the session is checked against
        example = self.inputs(CHECK_MESSAGES, CHECK_MESSAGES)  # a padded batch: the mask is traced too
        self.session = _export(AffectGraph(exportable(encoder), head).eval(), example, num_threads)
        self.check_parity(CHECK_MESSAGES)

    def inputs(self, cleaned: Sequence[str], enc_in: Sequence[str]) -> GraphInputs:
        """Tokenise and featurise a batch (the caller holds the tokenizer lock: it is not thread-safe)."""
        batch = self.tokenizer(
            list(enc_in), padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np"
        )
        surface = np.stack([surface_features(c) for c in cleaned]).astype(np.float32)
        chars = None
        if self.chars is not None:
            chars = np.zeros((len(cleaned), len(self.chars.vocab)), np.float32)
            for row, text in enumerate(cleaned):
                idx, val = self.chars.transform_one(mark_negation(text, self.negation_scope))
                chars[row, idx] = val
        ids, mask = (batch[k].astype(np.int64) for k in ("input_ids", "attention_mask"))
        return GraphInputs(ids, mask, surface, chars)

    def run(self, inputs: GraphInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(probs (B, 7), valence (B,), embeddings (B, 384)), float32."""
        probs, valence, emb = self.session.run(None, inputs.feed())
        return probs, valence, emb

    def run_torch(self, inputs: GraphInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The same from the torch modules (the reference; slower and many GIL hand-offs)."""
        with torch.no_grad():
            probs, valence, emb = self.reference(*inputs.tensors())
        return probs.numpy(), valence.numpy(), emb.numpy()

    def check_parity(self, messages: Sequence[str]) -> tuple[float, float]:
        """(median largest probability difference, median embedding cosine) between onnxruntime and torch,
        one message at a time as the app reads them; RuntimeError beyond PARITY_PROBS / PARITY_COSINE or
        if any message's top state differs.

        Not checked on padded batches (evaluation scripts only): int8 scales span the whole batch there,
        so one flipped zero point moves every value of a layer and the two may differ as much as int8
        differs from fp32 (cosine ~0.97).
        """
        diffs, cosines, same_top = [], [], True
        for message in messages:
            inputs = self.inputs([message], [message])
            (p1, _, e1), (p2, _, e2) = self.run(inputs), self.run_torch(inputs)
            diffs.append(float(np.abs(p1 - p2).max()))
            cosines.append(float((e1 * e2).sum()))
            same_top &= bool(p1.argmax() == p2.argmax())
        diff, cosine = float(np.median(diffs)), float(np.median(cosines))
        if diff > PARITY_PROBS or cosine < PARITY_COSINE or not same_top:
            raise RuntimeError(
                f"The text-affect network in onnxruntime differs from torch: probabilities by {diff:.2e} "
                f"(median; allowed {PARITY_PROBS:.0e}), embedding cosine {cosine:.4f} (median; allowed >= "
                f"{PARITY_COSINE}), top state {'the same' if same_top else 'different'} on every check message."
            )
        return diff, cosine


def _export(graph: AffectGraph, example: GraphInputs, num_threads: int) -> onnxruntime.InferenceSession:
    """`graph` exported in memory (TorchScript exporter, as the GAN's) and loaded on `num_threads` threads."""
    import onnxruntime as ort

    names = list(example.feed())
    dynamic = {n: {0: "batch", 1: "tokens"} for n in names[:2]} | {n: {0: "batch"} for n in names[2:]}
    dynamic |= {n: {0: "batch"} for n in ("probs", "valence", "embedding")}
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notices
        torch.onnx.export(
            graph, tuple(example.tensors()), buf,  # type: ignore[arg-type]  # any file object works
            dynamo=False, opset_version=ONNX_OPSET, do_constant_folding=False, input_names=names,
            output_names=["probs", "valence", "embedding"], dynamic_axes=dynamic,
        )  # fmt: skip
    options = ort.SessionOptions()
    options.intra_op_num_threads = num_threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(buf.getvalue(), options, providers=["CPUExecutionProvider"])
