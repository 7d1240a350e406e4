"""Avatar v2 eval clips ("takes") and what the independent tools read in them.

A take is one clip's rig numbers for every frame (a gan.rig Performance) plus what was said, so
the same numbers can be rendered by the GAN and by the actor (the ceiling) and both read with the
same tools: the fer classifier's label, MediaPipe's face detection, inner-lip opening and landmarks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gan.audio.mel import rms_envelope
from gan.eval.faces import FaceTools, clip_label
from gan.eval.metrics import bilabial_frames, lipsync_stats, mouth_opening

if TYPE_CHECKING:
    from gan.audio.speech import Speech
    from gan.pipeline import TalkingHeadPipeline
    from gan.rig.performance import Performance

# (n_frames, emotion, seed, speech or None = silent) -> the rig numbers of every frame.
Perform = Callable[[int, str, int, "Speech | None"], "Performance"]
Render = Callable[["Performance"], np.ndarray]  # rig numbers -> (T, S, S, 3) uint8 frames


@dataclass(frozen=True)
class Take:
    """One eval clip: the intended emotion, what is said (None = silent) and every frame's rig numbers."""

    emotion: str  # the tutor emotion asked for
    speech: Speech | None  # the voice's audio + phoneme timings; None for a silent clip
    perf: Performance  # (T, K) rig + (T, 3) pose + emotion conditioning

    @property
    def kind(self) -> str:
        return "silent" if self.speech is None else "speaking"


def make_takes(perform: Perform, emotions: Sequence[str], speeches: Sequence[Speech], silent_frames: int,
               clips: int, fps: float) -> list[Take]:
    """For each emotion `clips` silent takes (seeds 100+i) and `clips` speaking takes (speeches[i], seeds 200+i).

    The same sentences are spoken in every emotion, so emotions differ only by the emotion.
    """
    takes = []
    for emotion in emotions:
        for i in range(clips):
            takes.append(Take(emotion, None, perform(silent_frames, emotion, 100 + i, None)))
            speech = speeches[i % len(speeches)]
            n = max(1, math.ceil(speech.duration * fps - 1e-6))
            takes.append(Take(emotion, speech, perform(n, emotion, 200 + i, speech)))
    return takes


class PipelineTakes:
    """The product's path: rig numbers and frames exactly as TalkingHeadPipeline.speak/react make them
    (pipe.perform + pipe.render). piper is not deterministic, so the eval keeps each clip's Speech
    rather than calling speak() and guessing what was said."""

    def __init__(self, pipe: TalkingHeadPipeline, intensity: float) -> None:
        from gan.checkpoint import RigInferenceModel

        if not isinstance(pipe.model, RigInferenceModel):
            raise ValueError("gan-eval v2 needs an avatar v2 checkpoint (config.json generator_version 2).")
        self.pipe = pipe
        self.intensity = intensity

    def speech(self, text: str) -> Speech:
        return self.pipe._voice().synthesize(text)

    def perform(self, n: int, emotion: str, seed: int, speech: Speech | None) -> Performance:
        return self.pipe.perform(speech, emotion, self.intensity, n_frames=n, seed=seed)

    def render(self, perf: Performance) -> np.ndarray:
        return self.pipe.render(perf)


def actor_renderer() -> Render:
    """The actor v2 (gan/actor/render.py) rendering a take's rig numbers: the generator's ceiling."""
    from gan.actor.render import HeadRenderer
    from gan.rig.arkit import to_arkit

    renderer = HeadRenderer()
    return lambda perf: renderer.render_sequence(to_arkit(perf.track.kept), perf.track.pose)


@dataclass(frozen=True)
class Reading:
    """What the independent tools see in one take's frames."""

    found: np.ndarray  # (T,) bool, MediaPipe's face detector found the face
    label: str  # the classifier's reading (argmax of mean probabilities over the read frames)
    opening: np.ndarray  # (T,) inner-lip gap / face width, NaN where FaceMesh found no face
    landmarks: list[np.ndarray | None]  # (478, 2) FaceMesh landmarks per frame
    lipsync: dict[str, float] | None  # speaking takes: metrics.lipsync_stats


def read_take(tools: FaceTools, take: Take, frames: np.ndarray) -> Reading:
    """Run the tools on a take's frames. The label reads every frame of a silent take and the
    articulating frames (perf.speaking) of a speaking one, where an expression must survive speech."""
    res: dict[str, Any] = tools.analyse(frames)
    found = res["found"]
    probs = np.zeros((len(frames), res["probs"].shape[1]))
    probs[found] = res["probs"]
    read = found & take.perf.speaking if take.speech is not None and take.perf.speaking.any() else found
    opening = np.array([mouth_opening(lm) if lm is not None else np.nan for lm in res["landmarks"]])
    lip = None
    if take.speech is not None:
        s = take.speech
        env = rms_envelope(s.audio, s.sample_rate, len(frames), take.perf.track.fps)
        lip = lipsync_stats(opening, env, bilabial_frames(s.phonemes, len(frames), take.perf.track.fps))
    return Reading(found, clip_label(probs[read]), opening, res["landmarks"], lip)
