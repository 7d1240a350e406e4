"""Nearest labelled sentence by MiniLM embedding: the concept bank, meta questions, wellbeing exemplars.

The example sentences are embedded once when the tutor loads; a message is matched with the
embedding the act reader already computed for it (one encoder forward per message).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Embedder = Callable[[Sequence[str]], np.ndarray]  # texts -> (N, D) L2-normalised rows


@dataclass(frozen=True)
class Match:
    label: str
    similarity: float  # cosine similarity to the nearest example sentence of that label


class SimilarityIndex:
    """Labelled example sentences, embedded once; `best(vector)` finds the nearest label."""

    def __init__(self, examples: Sequence[tuple[str, str]], embed: Embedder) -> None:
        if not examples:
            raise ValueError("A SimilarityIndex needs at least one (label, sentence) example.")
        self._labels = [label for label, _ in examples]
        self._matrix = np.asarray(embed([text for _, text in examples]), dtype=np.float32)  # (E, D)

    def best(self, vector: np.ndarray | None) -> Match | None:
        """The nearest label to an L2-normalised (D,) embedding; None without an embedding."""
        if vector is None or vector.size == 0:
            return None
        sims = self._matrix @ np.asarray(vector, dtype=np.float32).reshape(-1)  # (E,)
        i = int(np.argmax(sims))
        return Match(self._labels[i], float(sims[i]))
