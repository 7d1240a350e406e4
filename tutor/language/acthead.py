"""The trained dialogue-act head: two linear views of a message, averaged.

- sentence view: softmax regression on the MiniLM sentence embedding that `affect.TextAffect`
  already computed for this message (one encoder forward per message, shared with affect);
- spelling view: softmax regression on character n-gram TF-IDF (`affect.textprep.CharNgrams`),
  which survives typos and chat spellings ("hardr plz", "nxt") that break word pieces.

Weights are trained by scripts/train_dialogue_acts.py and shipped as config.json +
model.safetensors (+ chargrams.json) in tutor/language/weights/acts/. Inference is numpy only:
two small matrix products, well under the 2 ms per message budget of issue 11.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from affect.textprep import CharNgrams, clean, emoji_to_words
from tutor.types import DIALOGUE_ACTS

DEFAULT_WEIGHTS_DIR = Path(__file__).parent / "weights" / "acts"
MAX_CHARS = 500  # only the start of a long message is read (the encoder truncates at 128 tokens anyway)
_FIX = "Restore the shipped files (git checkout -- tutor/language/weights/acts) or run scripts/train_dialogue_acts.py."


@dataclass(frozen=True)
class ActHeadConfig:
    """Shape of the act head, saved as config.json beside model.safetensors."""

    labels: tuple[str, ...] = DIALOGUE_ACTS  # output order of the classifiers
    embed_dim: int = 384  # size of the MiniLM sentence embedding
    char_vocab_size: int = 0  # character n-grams known to the spelling view
    ngram_range: tuple[int, int] = (2, 4)  # n-gram lengths of the spelling view (sklearn char_wb)
    char_weight: float = 0.5  # weight of the spelling view in the averaged probabilities (chosen by CV)
    trained: dict[str, Any] = field(default_factory=dict)  # provenance: script, options, data sizes

    def __post_init__(self) -> None:
        if tuple(self.labels) != DIALOGUE_ACTS:
            raise ValueError(f"ActHeadConfig.labels must be DIALOGUE_ACTS {DIALOGUE_ACTS}.")
        if self.embed_dim < 1 or self.char_vocab_size < 1:
            raise ValueError("ActHeadConfig.embed_dim and char_vocab_size must be positive.")
        if not 0.0 <= self.char_weight <= 1.0:
            raise ValueError("ActHeadConfig.char_weight must be between 0 and 1.")


def head_text(text: str) -> str:
    """What both views read: the cleaned start of the message with emoji as words ("😭" -> "crying")."""
    return emoji_to_words(clean(text, MAX_CHARS))


class ActHead:
    """(embedding, text) -> probabilities over DIALOGUE_ACTS."""

    def __init__(self, cfg: ActHeadConfig, tensors: dict[str, np.ndarray], chars: CharNgrams) -> None:
        n, d, v = len(cfg.labels), cfg.embed_dim, cfg.char_vocab_size
        shapes = {"emb.weight": (n, d), "emb.bias": (n,), "char.weight": (n, v), "char.bias": (n,)}
        for name, shape in shapes.items():
            if name not in tensors or tuple(tensors[name].shape) != shape:
                raise ValueError(f"ActHead: tensor {name} must have shape {shape}.")
        if len(chars.vocab) != v:
            raise ValueError("ActHead: the n-gram vocabulary does not match char_vocab_size.")
        self.cfg = cfg
        self.tensors = {k: np.ascontiguousarray(tensors[k], dtype=np.float32) for k in shapes}
        self.chars = chars

    def probs(self, vector: np.ndarray, text: str) -> np.ndarray:
        """(19,) probabilities for one message; vector is its (384,) sentence embedding."""
        t = self.tensors
        p_emb = _softmax(t["emb.weight"] @ vector + t["emb.bias"])
        idx, val = self.chars.transform_one(head_text(text))
        p_char = _softmax(t["char.weight"][:, idx] @ val + t["char.bias"])
        w = self.cfg.char_weight
        return (1.0 - w) * p_emb + w * p_char  # type: ignore[no-any-return]

    @classmethod
    def load(cls, folder: str | Path | None = None) -> ActHead:
        """Read config.json, model.safetensors and chargrams.json (ModelFileError naming a bad file)."""
        from affect.modelfiles import build_config, read_json, read_safetensors

        path = Path(folder) if folder else DEFAULT_WEIGHTS_DIR
        raw = read_json(path / "config.json", _FIX)
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        cfg = build_config(ActHeadConfig, fields, path / "config.json", _FIX)
        tensors = {k: v.numpy() for k, v in read_safetensors(path / "model.safetensors", _FIX).items()}
        g = read_json(path / "chargrams.json", _FIX)
        chars = CharNgrams(g["vocab"], g["idf"], tuple(g["ngram_range"]))  # type: ignore[arg-type]
        return cls(cfg, tensors, chars)

    def save(self, folder: str | Path) -> None:
        """Write config.json + model.safetensors + chargrams.json."""
        from safetensors.numpy import save_file

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(asdict(self.cfg), indent=2) + "\n")
        vocab = sorted(self.chars.vocab, key=self.chars.vocab.__getitem__)
        grams = {"ngram_range": list(self.chars.ngram_range), "vocab": vocab,
                 "idf": [round(float(x), 6) for x in self.chars.idf]}  # fmt: skip
        (out / "chargrams.json").write_text(json.dumps(grams, ensure_ascii=False) + "\n")
        save_file(self.tensors, str(out / "model.safetensors"))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()  # type: ignore[no-any-return]
