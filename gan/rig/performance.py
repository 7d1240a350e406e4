"""One performance = emotion + speech + idle composed on the KEPT channels, frame by frame.

Composition (why): the emotion's face is held all along, but its channels that would hold the lips
shut, open or aside are released in proportion to speech activity (expressions.json's
while_speaking), so the mouth articulates freely; the lips are sealed on p/b/m after composing,
whatever opened the jaw (gan/rig/lipsync.py seal_lips); speech is spoken with the emotion's
articulation (sad smaller and with little lip spreading, surprised larger) and its loudness (louder
opens wider); speech and emotion add on the mouth; blinks combine with emotional lid lowering as
1 - (1 - a)(1 - b), so a blink still shuts the eye fully; pose = idle sway + nods with loud
syllables + the emotion's offset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from gan.rig.arkit import KEPT_INDEX, POSE_LIMITS, RigTrack
from gan.rig.expressions import ExpressionTable
from gan.rig.idle_arkit import IdleConfig, idle_track
from gan.rig.lipsync import LipSync, LipSyncConfig, seal_lips

_BLINK = KEPT_INDEX["eyeBlink"]


@dataclass(frozen=True)
class PerformanceConfig:
    """How a performance is put together."""

    fps: float = 25.0  # frames per second of every v2 track
    activity_smooth_s: float = 0.12  # s; speech activity (1 - silence weight) is smoothed over this window
    # deg; the head nods down with loud (stressed) syllables, smoothed over ~0.3 s: head motion that
    # follows the voice's intensity makes speech look alive (Munhall et al. 2004, "Visual prosody").
    beat_deg: float = 1.5
    # s; a part that continues another (perform(after=...)) eases its head pose out of the other's
    # last pose over this long: per-sentence loudness nods end a sentence ~0.3 deg higher than the
    # next one starts (measured on piper replies), a one-frame snap without the ease.
    join_ease_s: float = 0.3
    lipsync: LipSyncConfig = field(default_factory=LipSyncConfig)  # phonemes -> mouth curves
    idle: IdleConfig = field(default_factory=IdleConfig)  # blinks, gaze, sway

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError(f"PerformanceConfig.fps must be positive, got {self.fps}.")
        if not 0.0 <= self.beat_deg <= 5.0:
            raise ValueError(f"beat_deg must be in [0, 5] degrees, got {self.beat_deg}.")
        if not 0.0 <= self.join_ease_s <= 2.0:
            raise ValueError(f"join_ease_s must be in [0, 2] s, got {self.join_ease_s}.")
        if not 0.0 <= self.activity_smooth_s <= 1.0:
            raise ValueError(f"activity_smooth_s must be in [0, 1] s, got {self.activity_smooth_s}.")


@dataclass(frozen=True)
class Performance:
    """The rig track and the conditioning the generator sees with it."""

    track: RigTrack  # (T, K) KEPT coefficients + (T, 3) pose
    emotion: np.ndarray  # (T, E) blend over EXPRESSIONS
    intensity: np.ndarray  # (T,) 0..1
    speaking: np.ndarray  # (T,) bool, the mouth is articulating (speech activity > 0.5)


class Performer:
    """Loads the expression and viseme tables once; `perform(...)` -> Performance."""

    def __init__(self, config: PerformanceConfig | None = None, table: ExpressionTable | None = None) -> None:
        self.config = config or PerformanceConfig()
        self.table = table or ExpressionTable.load()
        self.lipsync = LipSync(self.config.lipsync)

    def perform(self, n_frames: int, emotion: str | Mapping[str, float], intensity: float, seed: int,
                phonemes: Sequence[tuple[str, float, float]] | None = None, audio: np.ndarray | None = None,
                sample_rate: int = 0, start_frame: int = 0, speaking: bool | None = None,
                after: Performance | None = None) -> Performance:
        """n_frames of the emotion at the intensity, speaking the phonemes (None = silent). Deterministic in seed.

        audio (with its sample_rate), when given, scales the jaw with the speech's loudness.
        start_frame continues one performance across calls: the idle track (blinks, gaze, sway) is
        frames [start_frame, start_frame + n_frames) of the seed's track, so a reply performed
        sentence by sentence (start_frame = the frames already performed, the same seed and
        `speaking`) has no jump at a sentence boundary; phoneme times stay relative to this call.
        speaking chooses the idle's rates (None = whether phonemes are given); a reply keeps True
        for all its sentences. after = the part this one continues (its frames end at start_frame):
        the head pose eases out of its last pose and velocity over join_ease_s.
        """
        if start_frame < 0:
            raise ValueError(f"start_frame must be >= 0, got {start_frame}.")
        fps = self.config.fps
        blend = self.table.blend(emotion)
        face = self.table.face(blend, intensity)
        speaking = bool(phonemes) if speaking is None else speaking
        # idle_track(n)[:m] == idle_track(m) (its random streams are drawn in time order), so the
        # tail of a longer track continues the earlier calls exactly; ~1 ms per minute of track.
        idle_kept, pose = (a[start_frame:] for a in idle_track(start_frame + n_frames, fps, seed, speaking=speaking,
                                                                 config=self.config.idle))
        if phonemes:
            weights = self.lipsync.visemes(phonemes, fps, n_frames)
            speech = self.lipsync.curves(weights)
            seal = self.lipsync.seal(weights)
            activity = self._activity(1.0 - weights[:, 0])  # VISEMES[0] == "sil"
            # The emotion's released channels (expressions.json while_speaking) stay released for the
            # whole spoken clip, pauses included: with its own jaw/lip opening released, only speech
            # opens the mouth and the lips meet in pauses (gan-eval 17:28: happy, encouraging and
            # surprised kept their lips parted in pauses, 0-3 % closed; surprised's held 'O' did not
            # follow loudness, r 0.06). Releasing only from the first to the last phoneme (eased
            # 0.15 s) left the smile's parted lips in the clip's leading/trailing pauses (50 % closed).
            released = np.ones(n_frames, np.float32)
            jaw, spread = self.table.articulation(blend, intensity)
            for name, gain in (("jawOpen", jaw), ("mouthStretch", spread)):
                speech[:, KEPT_INDEX[name]] *= gain
            if audio is not None:
                loud = self.lipsync.loudness(audio, sample_rate, fps, n_frames)
                for name in ("jawOpen", "mouthLowerDown"):
                    speech[:, KEPT_INDEX[name]] *= loud
                pose[:, 1] += self._beats(loud)
                speech *= self.lipsync.gate(audio, sample_rate, fps, n_frames)[:, None]
        else:
            speech = np.zeros_like(idle_kept)
            activity = np.zeros(n_frames, np.float32)
            released = activity
            seal = np.zeros(n_frames, np.float32)
        held = face[None, :] * (1.0 - released[:, None] * (1.0 - self.table.release[None, :]))
        kept = held + speech + idle_kept
        kept[:, _BLINK] = 1.0 - (1.0 - held[:, _BLINK]) * (1.0 - idle_kept[:, _BLINK])
        kept = seal_lips(np.clip(kept, 0.0, 1.0), seal)  # after composing: the emotion's jaw is sealed too
        pose = pose + self.table.pose(blend, intensity)[None, :]
        if after is not None and len(after.track) and n_frames:
            pose = _ease_from(pose, after.track.pose, self.config.join_ease_s * fps)
        pose = np.clip(pose, -POSE_LIMITS, POSE_LIMITS)
        track = RigTrack(kept=kept.astype(np.float32), pose=pose.astype(np.float32), fps=fps)
        return Performance(track=track,
                           emotion=np.repeat(blend[None, :], n_frames, axis=0).astype(np.float32),
                           intensity=np.full(n_frames, intensity, np.float32),
                           speaking=activity > 0.5)

    def _activity(self, raw: np.ndarray) -> np.ndarray:
        """(T,) speech activity smoothed with a box window of activity_smooth_s."""
        return np.clip(_smooth(raw, self.config.activity_smooth_s * self.config.fps), 0.0, 1.0).astype(np.float32)

    def _beats(self, loud: np.ndarray) -> np.ndarray:
        """(T,) pitch offset (deg): the loudness gain's deviation from its mean, smoothed over ~0.3 s."""
        lo, hi = self.lipsync.config.loudness_gain
        level = (loud - lo) / max(hi - lo, 1e-6)
        smooth = _smooth(level, 0.3 * self.config.fps)
        return (self.config.beat_deg * (smooth - smooth.mean())).astype(np.float32)


def _ease_from(pose: np.ndarray, before: np.ndarray, frames: float) -> np.ndarray:
    """pose (T, 3) with the jump from `before`'s end (its last pose + its last step) faded out
    linearly over `frames` frames: the join is as smooth as the motion on either side."""
    step = before[-1] - before[-2] if len(before) > 1 else np.zeros(3, np.float32)
    gap = before[-1] + step - pose[0]
    fade = np.clip(1.0 - np.arange(len(pose)) / max(frames, 1.0), 0.0, 1.0)
    return pose + gap[None, :] * fade[:, None]


def _smooth(x: np.ndarray, frames: float) -> np.ndarray:
    """Box-filter x over about `frames` frames (edges padded with their values)."""
    n = max(1, round(frames))
    if n == 1 or len(x) == 0:
        return x.astype(np.float64)
    padded = np.pad(x.astype(np.float64), (n // 2, n - 1 - n // 2), mode="edge")
    return np.convolve(padded, np.ones(n) / n, mode="valid")
