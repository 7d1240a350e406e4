"""The training corpus: the 3D actor's renders of rig performances (scripts/build_gan_dataset.py).

Three kinds of sequence, each one file `seq_NNNN.npz` (train) or `test_seq_NNNN.npz` (held out):
speech (a tutor sentence spoken by piper with an emotion at an intensity), silent (the emotion
held while idling) and idle (a neutral face idling). Keys (read by gan/data/rig_corpus.py):
frames uint8 (T, S, S, 3); rig float32 (T, K) KEPT channels; pose float32 (T, 3) yaw/pitch/roll
degrees; emotion float32 (T, E) blend over EXPRESSIONS; intensity float32 (T,); mel float16
(T, 16, 80) (gan/audio/mel.py windows; silence = SILENCE_LEVEL); speaking bool (T,); seq int32 (T,);
kept str (K,); emotions str (E,); reference uint8 (1, S, S, 3) the neutral rest frame; audio
float32 16 kHz + audio_offsets int64 (2,); kind, text str; fps float.

Every clip's plan (kind, emotion, intensity, sentence, seeds) follows from (seed, split, index)
alone, so a build is resumable: finished files are skipped and a killed build continues where it
stopped. Piper samples its own noise, so a re-rendered speech clip may differ in prosody, never
in its plan.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from tqdm import tqdm

from gan.audio.mel import audio_windows, to_mel_rate
from gan.data.rig_corpus import write_shard
from gan.rig.arkit import KEPT, to_arkit
from gan.rig.expressions import EXPRESSIONS
from gan.rig.performance import Performance, Performer

if TYPE_CHECKING:
    from gan.audio.speech import Synthesizer

SENTENCES_PATH = Path(__file__).with_name("sentences.json")
KINDS = ("speech", "silent", "idle")
SPLITS = ("train", "test")
FORMAT_VERSION = 1


class FrameRenderer(Protocol):
    """The actor: 52 ARKit coefficients + head pose (degrees) -> one (S, S, 3) uint8 frame."""

    def render(self, coeffs: np.ndarray, pose: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class ActorCorpusConfig:
    """What to render and where."""

    out_dir: str = "data/gan_v3"  # folder of seq_NNNN.npz / test_seq_NNNN.npz + manifest.json
    n_train: int = 200  # training sequences
    n_test: int = 12  # held-out sequences (held-out sentences and seeds)
    seed: int = 0  # every clip's plan derives from (seed, split, index)
    fps: float = 25.0  # frames per second
    size: int = 256  # frame side in pixels (the renderer's output must match)
    kind_shares: tuple[float, float, float] = (0.6, 0.28, 0.12)  # speech, silent, idle
    silent_seconds: tuple[float, float] = (3.0, 6.0)  # length of silent and idle clips
    tail_seconds: float = 0.4  # silence after a sentence, so the mouth is seen settling shut
    intensity: tuple[float, float] = (0.35, 1.0)  # emotion intensity, uniform in this range
    length_scale: tuple[float, float] = (0.85, 1.2)  # piper speaking rate (tempo variety)

    def __post_init__(self) -> None:
        if self.n_train < 0 or self.n_test < 0 or self.n_train + self.n_test == 0:
            raise ValueError("ActorCorpusConfig needs n_train, n_test >= 0 and at least one sequence.")
        if self.fps <= 0 or self.size < 16:
            raise ValueError(f"ActorCorpusConfig needs fps > 0 and size >= 16, got {self.fps}, {self.size}.")
        if len(self.kind_shares) != 3 or min(self.kind_shares) < 0 or abs(sum(self.kind_shares) - 1) > 1e-6:
            raise ValueError(f"kind_shares (speech, silent, idle) must be >= 0 and sum to 1, got {self.kind_shares}.")
        for name in ("silent_seconds", "intensity", "length_scale"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise ValueError(f"ActorCorpusConfig.{name} must be a range 0 < lo <= hi, got {(lo, hi)}.")
        if self.intensity[1] > 1.0:
            raise ValueError(f"Emotion intensity cannot exceed 1, got {self.intensity}.")


@dataclass(frozen=True)
class ClipPlan:
    """Everything that decides one sequence, before any rendering."""

    split: str  # "train" or "test"
    index: int  # file number within the split
    kind: str  # "speech", "silent" or "idle"
    emotion: dict[str, float]  # blend over EXPRESSIONS
    intensity: float  # 0..1
    text: str  # the sentence ("" when silent)
    seconds: float  # clip length for silent/idle clips (speech: the audio + tail)
    length_scale: float  # piper speaking rate
    seed: int  # idle-motion seed

    @property
    def filename(self) -> str:
        return f"{'test_' if self.split == 'test' else ''}seq_{self.index:04d}.npz"


def _sample_emotion(rng: np.random.Generator, avatar: dict[str, dict[str, float]]) -> dict[str, float]:
    """A tutor emotion's blend (55 %), one prototype (25 %) or a random blend of two (20 %)."""
    u = rng.random()
    if u < 0.55:
        names = sorted(avatar)
        return dict(avatar[names[int(rng.integers(len(names)))]])
    if u < 0.8:
        return {EXPRESSIONS[int(rng.integers(len(EXPRESSIONS)))]: 1.0}
    a, b = rng.choice(len(EXPRESSIONS), size=2, replace=False)
    w = float(rng.uniform(0.25, 0.75))
    return {EXPRESSIONS[int(a)]: w, EXPRESSIONS[int(b)]: 1.0 - w}


def plan_clip(cfg: ActorCorpusConfig, split: str, index: int, avatar: dict[str, dict[str, float]],
              sentences: dict) -> ClipPlan:
    """The deterministic plan of sequence `index` of `split`."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
    rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, SPLITS.index(split), index]))
    kind = KINDS[int(rng.choice(3, p=np.asarray(cfg.kind_shares)))]
    emotion = {"neutral": 1.0} if kind == "idle" else _sample_emotion(rng, avatar)
    intensity = 0.0 if kind == "idle" else float(rng.uniform(*cfg.intensity))
    templates = sentences["held_out" if split == "test" else "train"]
    a, b = (int(x) for x in rng.integers(2, 13, size=2))
    subjects = sentences["subjects"]
    text = templates[int(rng.integers(len(templates)))].format(
        a=a, b=b, c=a * b, s=subjects[int(rng.integers(len(subjects)))])
    return ClipPlan(split=split, index=index, kind=kind, emotion=emotion, intensity=intensity,
                    text=text if kind == "speech" else "", seconds=float(rng.uniform(*cfg.silent_seconds)),
                    length_scale=float(rng.uniform(*cfg.length_scale)), seed=int(rng.integers(2**31)))


class CorpusBuilder:
    """Plans, performs, renders and writes the corpus; `build()` skips files that already exist."""

    def __init__(self, config: ActorCorpusConfig, renderer: FrameRenderer, performer: Performer | None = None) -> None:
        self.config = config
        self.renderer = renderer
        self.performer = performer or Performer()
        self.sentences = json.loads(SENTENCES_PATH.read_text(encoding="utf-8"))
        self._synth: Synthesizer | None = None
        self._reference: np.ndarray | None = None

    def plans(self) -> list[ClipPlan]:
        avatar = self.performer.table.avatar
        return [plan_clip(self.config, split, i, avatar, self.sentences)
                for split, n in (("train", self.config.n_train), ("test", self.config.n_test)) for i in range(n)]

    def build(self, progress: bool = True) -> dict[str, float]:
        """Render every missing file; returns {"written", "skipped", "frames", "render_fps", "seconds"}."""
        out = Path(self.config.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self._check_manifest(out / "manifest.json")
        todo = [p for p in self.plans() if not (out / p.filename).exists()]
        stats = {"written": 0.0, "skipped": float(len(self.plans()) - len(todo)), "frames": 0.0,
                 "render_seconds": 0.0, "seconds": 0.0}
        start = time.perf_counter()
        bar = tqdm(todo, desc="corpus v2", unit="seq", disable=not progress)
        for plan in bar:
            arrays, render_s = self.render_clip(plan)
            write_shard(out / plan.filename, arrays)
            stats["written"] += 1
            stats["frames"] += len(arrays["frames"])
            stats["render_seconds"] += render_s
            bar.set_postfix(render_fps=f"{stats['frames'] / max(stats['render_seconds'], 1e-9):.1f}")
        stats["seconds"] = time.perf_counter() - start
        stats["render_fps"] = stats["frames"] / max(stats["render_seconds"], 1e-9)
        return stats

    def perform(self, plan: ClipPlan) -> tuple[Performance, np.ndarray, int]:
        """-> (performance, audio float32 at its sample rate (silence for silent clips), sample rate)."""
        fps = self.config.fps
        if plan.kind == "speech":
            synth = self._synthesizer()
            synth.length_scale = plan.length_scale
            speech = synth.synthesize(plan.text)
            n = math.ceil((speech.duration + self.config.tail_seconds) * fps)
            audio = np.pad(speech.audio, (0, max(0, round(n / fps * speech.sample_rate) - len(speech.audio))))
            perf = self.performer.perform(n, plan.emotion, plan.intensity, plan.seed, phonemes=speech.phonemes,
                                          audio=speech.audio, sample_rate=speech.sample_rate)
            return perf, audio.astype(np.float32), speech.sample_rate
        n = math.ceil(plan.seconds * fps)
        perf = self.performer.perform(n, plan.emotion, plan.intensity, plan.seed)
        sr = 16000
        return perf, np.zeros(round(n / fps * sr), np.float32), sr

    def render_clip(self, plan: ClipPlan) -> tuple[dict[str, np.ndarray], float]:
        """The arrays of one sequence file, and the seconds spent rendering frames."""
        perf, audio, sr = self.perform(plan)
        coeffs = to_arkit(perf.track.kept)
        t0 = time.perf_counter()
        frames = np.stack([self._frame(c, p) for c, p in zip(coeffs, perf.track.pose, strict=True)])
        render_s = time.perf_counter() - t0
        n = len(frames)
        audio16 = to_mel_rate(audio, sr)
        arrays = {
            "frames": frames, "rig": perf.track.kept, "pose": perf.track.pose, "emotion": perf.emotion,
            "intensity": perf.intensity, "mel": audio_windows(audio, sr, n, self.config.fps).astype(np.float16),
            "speaking": perf.speaking, "seq": np.full(n, plan.index, np.int32), "kept": np.array(KEPT),
            "emotions": np.array(EXPRESSIONS), "reference": self.reference()[None], "audio": audio16,
            "audio_offsets": np.array([0, len(audio16)], np.int64), "kind": np.array(plan.kind),
            "text": np.array(plan.text), "fps": np.array(self.config.fps, np.float32),
        }
        return arrays, render_s

    def reference(self) -> np.ndarray:
        """The neutral rest frame (all coefficients 0, head straight)."""
        if self._reference is None:
            self._reference = self._frame(np.zeros(52, np.float32), np.zeros(3, np.float32))
        return self._reference

    def _frame(self, coeffs: np.ndarray, pose: np.ndarray) -> np.ndarray:
        img = np.asarray(self.renderer.render(coeffs, pose))
        s = self.config.size
        if img.shape != (s, s, 3) or img.dtype != np.uint8:
            raise ValueError(f"The renderer must return ({s}, {s}, 3) uint8 frames, got {img.shape} {img.dtype}.")
        return img

    def _synthesizer(self) -> Synthesizer:
        """piper, loaded on the first speech clip only."""
        if self._synth is None:
            from gan.audio.speech import Synthesizer

            self._synth = Synthesizer.load()
        return self._synth

    def _check_manifest(self, path: Path) -> None:
        """Write the manifest, or refuse to mix files of another configuration into an existing corpus."""
        config = asdict(self.config)
        for key in ("out_dir", "n_train", "n_test"):  # a corpus may grow; its plans must not change
            config.pop(key)
        manifest = {"format_version": FORMAT_VERSION, "config": config, "kept": list(KEPT),
                    "emotions": list(EXPRESSIONS)}
        if path.exists():
            old = json.loads(path.read_text(encoding="utf-8"))
            if {k: old.get(k) for k in manifest} != json.loads(json.dumps(manifest)):
                raise ValueError(f"{path.parent} holds a corpus built with another configuration; "
                                 "use a new out_dir or delete it.")
            return
        path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
