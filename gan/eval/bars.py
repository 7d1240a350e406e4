"""Issue 14's bars: summarise what the tools read in a set of takes, then pass/fail each bar.

The same summary is computed for the GAN's frames and for the actor's frames of the same takes
(the ceiling a perfect generator would reach), so a failed bar says whether the generator lost it
or the rig / the tools cannot do it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gan.eval.metrics import CLOSED, landmark_jitter, procrustes_distance
from gan.eval.takes import Reading, Take

# Intended tutor emotion -> the classifier label that counts as correct (issue 14's bars).
INTENDED: dict[str, str] = {"neutral": "neutral", "happy": "happy", "concerned": "sad", "surprised": "surprised",
                            "encouraging": "happy"}
EXPRESSION_BAR = 0.9  # share of clips read as intended, per emotion, silent and speaking (issue 14)
# Same identity across clips: Procrustes distance between the mean FaceMesh shapes of the silent
# neutral clips. Our bar, not the issue's, set between what one face and two faces measure: actor
# v2 clip vs clip 0.005, wip GAN clip vs clip 0.007, GAN vs actor 0.009-0.012; the v1 avatar (another
# face) vs actor v2 0.068, vs the GAN 0.060 (1 s neutral clips, 17:10 session 4).
IDENTITY_BAR = 0.03


def _pooled(rows: Sequence[dict[str, Any]], key: str, weight: str) -> float:
    """Share pooled over clips (each clip's share weighted by its frame count)."""
    n = sum(row[weight] for row in rows if np.isfinite(row[key]))
    return float(sum(row[key] * row[weight] for row in rows if np.isfinite(row[key])) / n) if n else float("nan")


def _lipsync(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Lip-sync over spoken clips: r mean/min, p/b/m and pause closure pooled over frames."""
    rs = np.array([row["r"] for row in rows]) if rows else np.full(1, np.nan)
    return {"clips": rows, "r_mean": float(np.nanmean(rs)), "r_min": float(np.nanmin(rs)),
            "pbm_closed": _pooled(rows, "pbm_closed", "n_pbm"),
            "silence_closed": _pooled(rows, "silence_closed", "n_silence"),
            "pause_closed": _pooled(rows, "pause_closed", "n_pause")}


def summarise(takes: Sequence[Take], readings: Sequence[Reading]) -> dict[str, Any]:
    """Every measurement the bars need (and a few for context) from one renderer's readings."""
    expression: dict[str, dict[str, Any]] = {}
    for emotion in dict.fromkeys(t.emotion for t in takes):
        row: dict[str, Any] = {"intended": INTENDED.get(emotion)}
        for kind in ("silent", "speaking"):
            labels = [r.label for t, r in zip(takes, readings) if t.emotion == emotion and t.kind == kind]
            row[kind] = labels
            row[f"{kind}_ok"] = float(np.mean([lab == row["intended"] for lab in labels])) if row["intended"] else None
        expression[emotion] = row
    lips = [{"emotion": t.emotion, "text": t.speech.text, **r.lipsync}
            for t, r in zip(takes, readings) if t.speech is not None and r.lipsync is not None]
    neutral = [[lm for lm in r.landmarks if lm is not None]
               for t, r in zip(takes, readings) if t.emotion == "neutral" and t.speech is None]
    neutral = [lms for lms in neutral if len(lms) > 2]
    jitter = [landmark_jitter(np.stack(lms)) for lms in neutral]
    shapes = [np.mean(lms, axis=0) for lms in neutral]
    identity = [procrustes_distance(a, b) for i, a in enumerate(shapes) for b in shapes[i + 1 :]]
    found = np.concatenate([r.found for r in readings])
    silent_open = np.concatenate([r.opening for t, r in zip(takes, readings)
                                  if t.speech is None and t.emotion == "neutral"] or [np.full(1, np.nan)])
    return {
        "frames": int(found.size),
        "face_found": float(found.mean()),
        "expression": expression,
        # The lip-sync bars read every emotion's sentences (users hear them all); per emotion for context.
        "lipsync": {**_lipsync(lips), "silent_neutral_closed": float(np.nanmean(silent_open < CLOSED))},
        "lipsync_per_emotion": {e: {k: v for k, v in _lipsync([row for row in lips if row["emotion"] == e]).items()
                                    if k != "clips"} for e in expression},
        "jitter": float(np.mean([j[0] for j in jitter])) if jitter else float("nan"),
        "motion": float(np.mean([j[1] for j in jitter])) if jitter else float("nan"),
        "identity": float(np.mean(identity)) if identity else float("nan"),
    }


def bars(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 14's bars on one summary: [{"bar", "value", "target", "pass"}]; NaN (not measured) fails."""
    rows: list[tuple[str, float, str, bool]] = []
    for emotion, row in summary["expression"].items():
        for kind in ("silent", "speaking"):
            if row.get(f"{kind}_ok") is not None:
                v = row[f"{kind}_ok"]
                rows.append((f"expression {emotion} -> {row['intended']}, {kind}", v, ">= 0.90", v >= EXPRESSION_BAR))
    lip = summary["lipsync"]
    rows += [
        ("lip-sync r, mean over sentences", lip["r_mean"], ">= 0.70", lip["r_mean"] >= 0.7),
        ("lip-sync r, worst sentence", lip["r_min"], ">= 0.60", lip["r_min"] >= 0.6),
        ("lips closed on p/b/m frames", lip["pbm_closed"], ">= 0.80", lip["pbm_closed"] >= 0.8),
        # Our threshold for "closed in silence" (the issue gives none): the same 80 % as p/b/m.
        ("lips closed in pauses of speech, every silent frame", lip["silence_closed"], ">= 0.80",
         lip["silence_closed"] >= 0.8),
        ("lips closed in pauses of speech, >= 80 ms from sound", lip["pause_closed"], ">= 0.80",
         lip["pause_closed"] >= 0.8),
        ("lips closed, silent neutral clips", lip["silent_neutral_closed"], ">= 0.80",
         lip["silent_neutral_closed"] >= 0.8),
        ("MediaPipe finds the face", summary["face_found"], ">= 0.99", summary["face_found"] >= 0.99),
        ("landmark jitter (face widths/frame)", summary["jitter"], "< 0.01", summary["jitter"] < 0.01),
        ("identity across clips (Procrustes)", summary["identity"], f"<= {IDENTITY_BAR}",
         summary["identity"] <= IDENTITY_BAR),
    ]
    return [{"bar": b, "value": float(v), "target": t, "pass": bool(ok and np.isfinite(v))} for b, v, t, ok in rows]
