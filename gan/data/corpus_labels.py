"""Emotion label and intensity of a talking-face clip, from its path or a sidecar labels.csv.

Supported layouts (checked in this order):

1. `labels.csv` in the corpus root, columns `path,emotion,intensity` (path relative to the
   root, intensity 0..1 or empty): always wins, for any layout (e.g. a teacher's own videos).
2. CREMA-D (Cao et al. 2014): `1001_DFA_ANG_XX.mp4` = actor_sentence_EMOTION_LEVEL with
   emotions ANG DIS FEA HAP NEU SAD (plus SUR, our extension for surprised) and levels
   LO / MD / HI / XX (unspecified).
3. RAVDESS (Livingstone & Russo 2018): `02-01-06-01-02-01-12.mp4` = modality-channel-EMOTION-
   INTENSITY-statement-repetition-actor, emotions 01 neutral .. 08 surprised, intensity 01/02.
4. MEAD (Wang et al. 2020): `M003/video/front/angry/level_2/001.mp4`: an emotion folder and a
   `level_1..3` folder anywhere in the path.
5. Generic: any path part or file-name token that names an emotion (`happy`, `sad_0.7`, ...),
   with an optional `level_N` (1-3) or `intensity_X` (0..1) part.

Labels are normalised to affect.types.BASIC_EMOTIONS (calm -> neutral, contempt -> disgusted).
Neutral clips get intensity 0 (the rig's "no expression").
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from affect.types import BASIC_EMOTIONS

_SYNONYMS: dict[str, str] = {
    "neutral": "neutral", "neu": "neutral", "calm": "neutral",
    "happy": "happy", "hap": "happy", "happiness": "happy", "joy": "happy",
    "sad": "sad", "sadness": "sad",
    "angry": "angry", "ang": "angry", "anger": "angry",
    "fear": "fearful", "fearful": "fearful", "fea": "fearful",
    "disgust": "disgusted", "disgusted": "disgusted", "dis": "disgusted", "contempt": "disgusted",
    "surprise": "surprised", "surprised": "surprised", "sur": "surprised",
}
_CREMA = re.compile(r"^(\d{4})_([A-Z]{3})_(ANG|DIS|FEA|HAP|NEU|SAD|SUR)_(LO|MD|HI|XX)$")
_CREMA_LEVEL = {"LO": 0.33, "MD": 0.67, "HI": 1.0, "XX": 0.67}
_RAVDESS = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")
_RAVDESS_EMO = {1: "neutral", 2: "neutral", 3: "happy", 4: "sad", 5: "angry", 6: "fearful", 7: "disgusted",
                8: "surprised"}
_LEVEL = re.compile(r"^level[_-]?([123])$", re.IGNORECASE)
_INTENSITY = re.compile(r"^intensity[_-]?([01](?:\.\d+)?)$", re.IGNORECASE)


@dataclass(frozen=True)
class ClipLabel:
    """What a clip shows: an emotion (from BASIC_EMOTIONS) at an intensity 0..1."""

    emotion: str
    intensity: float
    source: str  # which rule found it: "csv", "crema-d", "ravdess", "mead", "generic"


def normalise_emotion(name: str) -> str | None:
    """A label in BASIC_EMOTIONS for a free-form emotion word, or None."""
    key = name.strip().lower()
    return _SYNONYMS.get(key, key if key in BASIC_EMOTIONS else None)


def _neutral_zero(emotion: str, intensity: float) -> float:
    return 0.0 if emotion == "neutral" else float(min(1.0, max(0.0, intensity)))


def read_labels_csv(path: Path) -> dict[str, ClipLabel]:
    """`labels.csv` -> {relative path (posix): ClipLabel}; ValueError on unknown emotions."""
    out: dict[str, ClipLabel] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            rel, emo = (row.get("path") or "").strip(), normalise_emotion(row.get("emotion") or "")
            if not rel or emo is None:
                raise ValueError(f"{path}:{i}: need a path and a known emotion, got {row}.")
            raw = (row.get("intensity") or "").strip()
            out[Path(rel).as_posix()] = ClipLabel(emo, _neutral_zero(emo, float(raw) if raw else 1.0), "csv")
    return out


def label_from_path(rel_path: str | Path) -> ClipLabel | None:
    """Emotion/intensity from a clip's path relative to the corpus root, or None if unknown."""
    path = Path(rel_path)
    stem = path.stem
    m = _CREMA.match(stem)
    if m:
        emo = normalise_emotion(m.group(3))
        assert emo is not None
        return ClipLabel(emo, _neutral_zero(emo, _CREMA_LEVEL[m.group(4)]), "crema-d")
    m = _RAVDESS.match(stem)
    if m and int(m.group(3)) in _RAVDESS_EMO:
        emo = _RAVDESS_EMO[int(m.group(3))]
        return ClipLabel(emo, _neutral_zero(emo, 0.6 if m.group(4) == "01" else 1.0), "ravdess")
    emotion: str | None = None
    intensity: float | None = None
    mead = False
    tokens = [*path.parent.parts, *re.split(r"[_\- ]+", stem)]
    for part in [*path.parent.parts, stem]:
        lm = _LEVEL.match(part)
        if lm:
            intensity, mead = int(lm.group(1)) / 3.0, True
        im = _INTENSITY.match(part)
        if im:
            intensity = float(im.group(1))
    for tok in tokens:
        emo = normalise_emotion(tok) if len(tok) > 3 or tok.lower() in ("sad", "sur") else None
        if emo is not None:
            emotion = emo  # the deepest mention wins
        try:
            value = float(tok)
        except ValueError:
            continue
        if emotion is not None and 0.0 <= value <= 1.0 and "." in tok:
            intensity = value
    if emotion is None:
        return None
    return ClipLabel(emotion, _neutral_zero(emotion, 1.0 if intensity is None else intensity),
                     "mead" if mead else "generic")
