"""The synthetic actor speaking: text -> speech -> visemes + idle motion + emotion -> frames.

Used by `scripts/make_actor_clips.py` to make mp4 clips (with a `.rig.npz` sidecar holding the
true rig parameters) that the corpus builder turns into training data like any real video.
Clips are named CREMA-D style (`9001_TAB_HAP_HI.mp4`) so the builder reads their labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan.actor.face2d import Actor
from gan.audio.speech import Synthesizer
from gan.rig.idle import idle_motion
from gan.rig.params import RIG_EMOTIONS, RigParams, emotion_blend
from gan.rig.visemes import viseme_track
from gan.video import write_mp4

CREMA_CODES = {"neutral": "NEU", "happy": "HAP", "sad": "SAD", "angry": "ANG", "surprised": "SUR"}
ACTOR_ID = 9001  # CREMA-D actors are 1001-1091; 9001 marks the synthetic actor


@dataclass(frozen=True)
class ActorClip:
    frames: np.ndarray  # (T, S, S, 3) uint8
    fps: float
    audio: np.ndarray  # float32 mono
    sample_rate: int
    motion: np.ndarray  # (T, MOTION_DIM) rig units, the exact parameters rendered
    emotion: np.ndarray  # (len(RIG_EMOTIONS),) blend
    intensity: float


def clip_name(index: int, emotion: str, intensity: float) -> str:
    """CREMA-D style file stem: actor_sentence_EMOTION_LEVEL."""
    sentence = "T" + chr(65 + (index // 26) % 26) + chr(65 + index % 26)
    level = "LO" if intensity < 0.5 else ("MD" if intensity < 0.85 else "HI")
    return f"{ACTOR_ID}_{sentence}_{CREMA_CODES[emotion]}_{level}"


def render_actor_clip(actor: Actor, synth: Synthesizer, text: str, emotion: str = "neutral",
                      intensity: float = 1.0, fps: float = 25.0, seed: int = 0) -> ActorClip:
    """Speak `text` with the actor showing `emotion` (any avatar or rig emotion) at `intensity`."""
    blend = emotion_blend(emotion)
    speech = synth.synthesize(text)
    n = max(1, int(np.ceil(speech.duration * fps)))
    motion = idle_motion(n, fps, seed, speaking=True)
    motion[:, :3] = viseme_track(speech.phonemes, fps, n)
    params = [RigParams.from_vectors(m, np.array([blend[e] for e in RIG_EMOTIONS]), intensity) for m in motion]
    frames = actor.render_batch(params)
    motion = np.stack([p.motion_vector() for p in params])  # after clipping to the rig's bounds
    return ActorClip(frames, fps, speech.audio, speech.sample_rate, motion,
                     np.array([blend[e] for e in RIG_EMOTIONS], dtype=np.float32), float(intensity))


def save_actor_clip(clip: ActorClip, path: str | Path) -> Path:
    """Write `<path>` (mp4 with audio) and its `<stem>.rig.npz` sidecar; returns the mp4 path."""
    path = Path(path)
    write_mp4(path, clip.frames, clip.fps, clip.audio, clip.sample_rate)
    np.savez(path.with_suffix(".rig.npz"), motion=clip.motion.astype(np.float32), emotion=clip.emotion,
             intensity=np.float32(clip.intensity), fps=np.float32(clip.fps))
    return path
