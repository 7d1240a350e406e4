"""Render the GAN's training data from the synthetic actor (called by scripts/build_gan_dataset.py).

Three kinds of samples, written as npz shards (format in gan/data/dataset.py):

1. still moves: 3-frame micro-sequences around a random rig pose (emotion blends, intensities,
   visemes, head pose, blink, gaze) so that every condition of the rig is covered;
2. speaking sequences: tutor-like sentences -> Synthesizer speech -> viseme_track (+ emotional
   articulation) and idle_motion(speaking=True) -> actor frames, with the aligned mel windows;
3. speech only (no frames, cheap): mel windows + viseme targets for audio-to-motion.

The test split uses other random seeds and sentences that never occur in training (held-out
conditions for the fidelity eval).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gan.rig.articulation import SPEECH_INTENSITY, emotional_visemes
from gan.audio.mel import audio_windows
from gan.rig.params import AVATAR_TO_RIG, MOTION_BOUNDS, MOTION_DIM, MOTION_FIELDS, RIG_EMOTIONS, RigParams

_SUBJECTS = ["fractions", "decimals", "percentages", "equations", "ratios", "angles", "areas", "powers"]
_TEMPLATES = [
    "Nice work, {a} over {b} is right!",
    "Let's look at {s} together.",
    "What do you get when you multiply {a} by {b}?",
    "Not quite. Try adding {a} and {b} first.",
    "Great, you solved it in {a} steps.",
    "Hmm, check the sign in step {a}.",
    "Remember, {s} follow the same rules as whole numbers.",
    "Can you explain why {a} is bigger than {b}?",
    "Take your time, {s} can be tricky at first.",
    "Excellent! Now let's try a harder one.",
    "Divide both sides by {a}, and what is left?",
    "You are getting much better at {s}.",
    "Oh, that is a surprising answer! Show me your working.",
    "Don't worry, everyone finds {s} hard sometimes.",
    "The answer is {a} point {b}. Well done!",
    "Which is larger, {a} fifths or {b} tenths?",
    "Good thinking. What would happen if {a} were zero?",
    "Let me show you a quicker way to do this.",
    "So {a} times {b} makes {c}. Does that look right to you?",
    "We have {a} minutes left, shall we try one more?",
]
_HELD_OUT_TEMPLATES = [
    "Brilliant, you found the common denominator of {a} and {b}!",
    "I think we should go back over {s} for a moment.",
    "Wow, {c} is exactly right, how did you know?",
    "Step {a} is where the mistake crept in.",
]


def tutor_sentences(n: int, seed: int, held_out: bool = False) -> list[str]:
    """n tutor-like sentences from templates with random numbers/subjects (held-out set disjoint)."""
    rng = np.random.default_rng(seed)
    templates = _HELD_OUT_TEMPLATES if held_out else _TEMPLATES
    out = []
    for _ in range(n):
        a, b = (int(x) for x in rng.integers(2, 13, size=2))
        t = templates[int(rng.integers(len(templates)))]
        out.append(t.format(a=a, b=b, c=a * b, s=_SUBJECTS[int(rng.integers(len(_SUBJECTS)))]))
    return out


def sample_emotion(rng: np.random.Generator) -> dict[str, float]:
    """A basic emotion (50%), a random blend of two (30%) or a tutor emotion's blend (20%)."""
    u = rng.random()
    if u < 0.5:
        return {RIG_EMOTIONS[int(rng.integers(len(RIG_EMOTIONS)))]: 1.0}
    if u < 0.8:
        a, b = rng.choice(len(RIG_EMOTIONS), size=2, replace=False)
        w = float(rng.uniform(0.2, 0.8))
        return {RIG_EMOTIONS[int(a)]: w, RIG_EMOTIONS[int(b)]: 1.0 - w}
    return dict(AVATAR_TO_RIG[list(AVATAR_TO_RIG)[int(rng.integers(len(AVATAR_TO_RIG)))]])


def _clip_motion(m: np.ndarray) -> np.ndarray:
    lo = np.array([MOTION_BOUNDS[n][0] for n in MOTION_FIELDS], np.float32)
    hi = np.array([MOTION_BOUNDS[n][1] for n in MOTION_FIELDS], np.float32)
    return np.clip(m, lo, hi)


def sample_still_motion(rng: np.random.Generator) -> np.ndarray:
    """(3, MOTION_DIM) a random rig pose and a small velocity through it (a 3-frame move)."""
    m = np.zeros(MOTION_DIM, np.float32)
    m[0] = rng.uniform(0, 1) ** 1.5 if rng.random() < 0.7 else 0.0  # jaw: often closed
    m[1] = rng.uniform(-1, 1) * (rng.random() < 0.7)
    m[2] = rng.uniform(0, 1) * (rng.random() < 0.5)
    m[3] = 0.0 if rng.random() < 0.7 else rng.uniform(0, 1)  # blink
    m[4:7] = rng.normal(0, [6.0, 4.0, 3.0])  # yaw, pitch, roll (deg): wider than idle sway
    m[7:9] = rng.normal(0, 0.35, size=2)  # gaze
    v = rng.normal(0, [0.08, 0.08, 0.08, 0.15, 0.8, 0.6, 0.4, 0.08, 0.08]).astype(np.float32)
    return np.stack([_clip_motion(m - v), _clip_motion(m), _clip_motion(m + v)])


@dataclass
class ShardWriter:
    """Accumulates sequences and writes `<prefix>_<k>.npz` every `frames_per_shard` frames."""

    folder: Path
    prefix: str
    frames_per_shard: int = 1200
    extra: dict[str, np.ndarray] | None = None

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.parts: dict[str, list[np.ndarray]] = {}
        self.count = 0
        self.shard = 0
        self.next_seq = 0

    def add(self, **arrays: np.ndarray) -> None:
        n = len(next(iter(arrays.values())))
        arrays["seq"] = np.full(n, self.next_seq, np.int32)
        self.next_seq += 1
        for k, v in arrays.items():
            self.parts.setdefault(k, []).append(v)
        self.count += n
        if self.count >= self.frames_per_shard:
            self.flush()

    def flush(self) -> None:
        if not self.parts:
            return
        data = {k: np.concatenate(v) for k, v in self.parts.items()}
        data.update(self.extra or {})
        tmp = self.folder / f".{self.prefix}_{self.shard:03d}.tmp.npz"
        np.savez(tmp, **data)  # written whole, then renamed: a shard is never half-written
        tmp.rename(self.folder / f"{self.prefix}_{self.shard:03d}.npz")
        self.parts, self.count, self.shard = {}, 0, self.shard + 1


def _speech_items(texts: list[str], fps: int, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """Yield (mel windows (T, W, 80), visemes (T, 3), emotion (E,), intensity) per sentence."""
    from gan.audio.speech import Synthesizer
    from gan.rig.visemes import viseme_track

    synth = Synthesizer.load()
    rng = np.random.default_rng(seed)
    for text in texts:
        # Speaking-rate variety (piper length_scale 0.85-1.25) so audio-to-motion does not learn
        # one tempo: a stand-in for other voices, which this machine has none of.
        synth.length_scale = float(rng.uniform(0.85, 1.25))
        speech = synth.synthesize(text)
        n = math.ceil(len(speech.audio) / speech.sample_rate * fps)
        emo = RigParams(emotion=sample_emotion(rng)).emotion_vector()
        intensity = float(rng.uniform(*SPEECH_INTENSITY))
        visemes = emotional_visemes(viseme_track(speech.phonemes, fps, n), emo, intensity)
        yield audio_windows(speech.audio, speech.sample_rate, n, fps), visemes, emo, intensity


def build_dataset(
    out_dir: str | Path,
    n_still: int,
    n_speaking: int,
    n_speech_only: int,
    size: int = 128,
    fps: int = 25,
    seed: int = 0,
    test: bool = False,
) -> None:
    """Render one split (train, or test with disjoint seeds and held-out sentences) into out_dir."""
    from gan.actor.face2d import Actor

    out = Path(out_dir)
    actor = Actor(size=size, seed=0)
    reference = actor.render(RigParams())[None]  # (1, S, S, 3) neutral rest pose
    prefix = "test_seq" if test else "seq"
    writer = ShardWriter(out, prefix, extra={"reference": reference})
    rng = np.random.default_rng(seed + (10_000 if test else 0))
    silence = np.repeat(audio_windows(np.zeros(1600, np.float32), 16000, 1, fps), 3, 0).astype(np.float16)
    for _ in tqdm(range(n_still), desc=f"{prefix} still moves"):
        motion = sample_still_motion(rng)
        emo = sample_emotion(rng)
        intensity = float(rng.uniform(0, 1) ** 0.5)
        params = [RigParams.from_vectors(m, RigParams(emotion=emo).emotion_vector(), intensity) for m in motion]
        writer.add(
            frames=actor.render_batch(params),
            motion=motion,
            emotion=np.repeat(params[0].emotion_vector()[None], 3, 0),
            intensity=np.full(3, intensity, np.float32),
            mel=silence,
            speaking=np.zeros(3, bool),
        )
    texts = tutor_sentences(n_speaking, seed + (20_000 if test else 1), held_out=test)
    if texts:
        from gan.rig.idle import idle_motion
    for k, (mel, visemes, emo, intensity) in enumerate(
        tqdm(_speech_items(texts, fps, seed + 2), total=len(texts), desc=f"{prefix} speaking")
    ):
        n = len(visemes)
        motion = idle_motion(n, fps, seed=seed * 7919 + k + (50_000 if test else 0), speaking=True).astype(np.float32)
        motion[:, :3] = visemes
        motion = _clip_motion(motion)
        params = [RigParams.from_vectors(m, emo, intensity) for m in motion]
        writer.add(
            frames=actor.render_batch(params),
            motion=motion,
            emotion=np.repeat(emo[None], n, 0),
            intensity=np.full(n, intensity, np.float32),
            mel=mel.astype(np.float16),
            speaking=np.ones(n, bool),
        )
    writer.flush()
    if test or n_speech_only == 0:
        return
    speech_writer = ShardWriter(out, "speech", frames_per_shard=20_000)
    texts = tutor_sentences(n_speech_only, seed + 3)
    for mel, visemes, emo, _ in tqdm(_speech_items(texts, fps, seed + 4), total=len(texts), desc="speech only"):
        speech_writer.add(mel=mel.astype(np.float16), visemes=visemes, emotion=np.repeat(emo[None], len(mel), 0))
    speech_writer.flush()
