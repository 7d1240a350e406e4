"""Does rig v2 read as intended on actor v2? gan-eval's takes and bars on the actor alone (the ceiling).

    gan-rig-check [--clips 4] [--out report.json]   (= python -m gan.eval.rig_check)

The same takes, tools and bars as gan-eval (gan/eval/takes.py, bars.py), rendered by the actor
only, and performed by the rig directly (gan.rig.performance.Performer with the speech's audio, so
the jaw follows loudness): what a perfect generator would score.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gan.eval.bars import bars, summarise
from gan.eval.faces import FaceTools, clip_label
from gan.eval.metrics import CLOSED, bilabial_frames, mouth_opening
from gan.eval.takes import actor_renderer, make_takes, read_take
from gan.rig.performance import Performer

if TYPE_CHECKING:
    from gan.audio.speech import Speech
    from gan.rig.performance import Performance

__all__ = ["CLOSED", "ActorTools", "RigCheckConfig", "bilabial_frames", "clip_label", "rig_check"]


@dataclass(frozen=True)
class RigCheckConfig:
    """How many clips to render and read."""

    clips: int = 4  # silent and speaking clips per emotion (each)
    seconds: float = 2.0  # length of a silent clip
    intensity: float = 1.0  # emotion intensity of the emotion clips
    emotions: tuple[str, ...] = ("neutral", "happy", "concerned", "surprised", "encouraging", "thinking")

    def __post_init__(self) -> None:
        if self.clips < 1 or not self.emotions:
            raise ValueError("RigCheckConfig needs clips >= 1 and at least one emotion.")
        if not 0.0 <= self.intensity <= 1.0 or self.seconds <= 0:
            raise ValueError("RigCheckConfig needs intensity in [0, 1] and seconds > 0.")


class ActorTools:
    """Actor v2 renderer + MediaPipe + the expression classifier, loaded once (for rig tests and scripts)."""

    def __init__(self) -> None:
        from gan.actor.render import HeadRenderer

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


def rig_check(config: RigCheckConfig, speeches: list[Speech]) -> dict[str, Any]:
    """Perform, render on the actor and read every take; the summary and the bars."""
    performer = Performer()
    fps = performer.config.fps

    def perform(n: int, emotion: str, seed: int, speech: Speech | None) -> Performance:
        if speech is None:
            return performer.perform(n, emotion, config.intensity, seed)
        return performer.perform(n, emotion, config.intensity, seed, phonemes=speech.phonemes, audio=speech.audio,
                                 sample_rate=speech.sample_rate)

    takes = make_takes(perform, config.emotions, speeches, math.ceil(config.seconds * fps), config.clips, fps)
    render, tools = actor_renderer(), FaceTools()
    summary = summarise(takes, [read_take(tools, take, render(take.perf)) for take in takes])
    return {"actor": summary, "bars": bars(summary)}


def main() -> None:
    from gan.audio.speech import Synthesizer
    from gan.eval.run import eval_sentences

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=RigCheckConfig.clips)
    ap.add_argument("--out", default="", help="write the report as JSON here")
    args = ap.parse_args()
    config = RigCheckConfig(clips=args.clips)
    synth = Synthesizer.load()
    report = rig_check(config, [synth.synthesize(text) for text in eval_sentences(config.clips)])
    for row in report["bars"]:
        print(f"{row['bar']:50s} {row['value']:.3f} ({row['target']}) {'pass' if row['pass'] else 'FAIL'}")
    for emotion, res in report["actor"]["expression"].items():
        print(f"{emotion:12s} silent {res['silent']} speaking {res['speaking']}")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
