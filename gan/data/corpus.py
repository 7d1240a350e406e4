"""Corpus builder: a folder of talking-face mp4 clips -> aligned training shards for the GAN.

Works on any folder of mp4 files in MEAD / CREMA-D / RAVDESS-style layouts (labels from the
path, see gan.data.corpus_labels, or a sidecar labels.csv) -- real video of a consenting teacher
included -- and on the clips `scripts/make_actor_clips.py` renders with the synthetic actor
(those carry their true rig parameters in a `<clip>.rig.npz` sidecar).

Per kept frame (video resampled to `fps` by nearest frame):
- frames: (S, S, 3) uint8 face crop, similarity-aligned on the eyes and mouth (gan.data.face_align);
- landmarks: (478, 3) MediaPipe face mesh in crop pixels;
- mel: (MEL_FPS / fps, 80) log-mel frames of this video frame (gan.audio.mel: 80 bands, 100 /s, so
  4 per frame at 25 fps; the same features the audio-to-motion network consumes);
- motion_est: (MOTION_DIM,) rig motion estimated from the landmarks (gan.rig.motion_estimate);
- rig_motion: the true rig motion for actor clips, NaN for real video;
- rig_emotion (len(RIG_EMOTIONS),), intensity, emotion_id (index in BASIC_EMOTIONS);
- clip_id, frame_idx (position in the resampled clip: consecutive frames have consecutive idx).

Clips are streamed frame by frame (a long 1080p clip never sits in memory whole). Output:
`shard_XXXX.npz` (compressed) + `manifest.json` (config, clips, counts). Frames with no face are
skipped and counted; corrupt, unreadable or truncated mp4s are counted and listed, never fatal.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from affect.types import BASIC_EMOTIONS
from gan.data.corpus_labels import ClipLabel, label_from_path, read_labels_csv
from gan.rig.params import MOTION_DIM, MOTION_FIELDS, RIG_EMOTIONS
from gan.video import VideoError, VideoReader, read_audio

FORMAT_VERSION = 1


@dataclass(frozen=True)
class CorpusConfig:
    """How a folder of clips becomes shards (every field is a `gan-build-corpus --flag`)."""

    src_dir: str = "data/clips"  # searched recursively for *.mp4
    out_dir: str = "data/corpus"  # shards + manifest.json are written here
    size: int = 128  # side of the aligned face crop in pixels
    fps: float = 25.0  # clips are resampled to this frame rate (nearest frame)
    shard_frames: int = 2000  # frames per npz shard
    max_clips: int = 0  # 0 = every clip found
    labels_csv: str = ""  # "" = <src_dir>/labels.csv when it exists
    unlabelled: str = "skip"  # clips with no label: "skip" them or treat them as "neutral"
    track: bool = True  # face mesh in tracking mode within a clip (faster, steadier)

    def __post_init__(self) -> None:
        if not 32 <= self.size <= 1024:
            raise ValueError(f"CorpusConfig.size must be in [32, 1024], got {self.size}.")
        if not 1.0 <= self.fps <= 120.0:
            raise ValueError(f"CorpusConfig.fps must be in [1, 120], got {self.fps}.")
        if self.shard_frames < 1:
            raise ValueError("CorpusConfig.shard_frames must be at least 1.")
        if self.max_clips < 0:
            raise ValueError("CorpusConfig.max_clips must be >= 0 (0 = all).")
        if self.unlabelled not in ("skip", "neutral"):
            raise ValueError("CorpusConfig.unlabelled must be 'skip' or 'neutral'.")


@dataclass
class CorpusReport:
    """What a build did: counts, problems, where the output is."""

    out_dir: str
    clips_found: int = 0
    clips_used: int = 0
    clips_corrupt: list[str] = field(default_factory=list)  # "path: reason"
    clips_unlabelled: list[str] = field(default_factory=list)
    clips_no_face: list[str] = field(default_factory=list)  # readable, but no face in any frame
    frames_total: int = 0  # after resampling
    frames_kept: int = 0
    frames_no_face: int = 0
    shards: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def manifest(self) -> Path:
        return Path(self.out_dir) / "manifest.json"


class _ShardWriter:
    """Buffers per-frame arrays and writes compressed npz shards of `shard_frames`."""

    def __init__(self, out_dir: Path, shard_frames: int) -> None:
        self.out_dir = out_dir
        self.shard_frames = shard_frames
        self.buf: dict[str, list[np.ndarray | np.generic]] = {}
        self.count = 0
        self.files: list[str] = []
        self.sizes: list[int] = []

    def add(self, **arrays: np.ndarray | np.generic) -> None:
        for k, v in arrays.items():
            self.buf.setdefault(k, []).append(v)
        self.count += 1
        if self.count >= self.shard_frames:
            self.flush()

    def flush(self) -> None:
        if not self.count:
            return
        name = f"shard_{len(self.files):04d}.npz"
        np.savez_compressed(self.out_dir / name, **{k: np.stack(v) for k, v in self.buf.items()})
        self.files.append(name)
        self.sizes.append(self.count)
        self.buf, self.count = {}, 0


def find_clips(src_dir: Path) -> list[Path]:
    """All *.mp4 under src_dir (recursive, sorted: the build is deterministic)."""
    return sorted(p for p in src_dir.rglob("*") if p.is_file() and p.suffix.lower() == ".mp4")


def _rig_emotion(label: ClipLabel) -> np.ndarray:
    vec = np.zeros(len(RIG_EMOTIONS), dtype=np.float32)
    if label.in_rig:
        vec[RIG_EMOTIONS.index(label.emotion)] = 1.0
    return vec


def _load_sidecar(clip: Path) -> dict[str, np.ndarray] | None:
    """The actor's true rig parameters, written by scripts/make_actor_clips.py, if present."""
    side = clip.with_suffix(".rig.npz")
    if not side.is_file():
        return None
    with np.load(side) as data:
        return {k: np.asarray(data[k]) for k in data.files}


def _mel_per_frame(audio: np.ndarray | None, sr: int | None, n_frames: int, fps: float) -> np.ndarray:
    from gan.audio.mel import MEL_FPS, N_MELS, SILENCE_LEVEL, log_mel, mel_windows

    per = max(1, round(MEL_FPS / fps))
    if audio is None or sr is None or audio.size == 0:
        return np.full((n_frames, per, N_MELS), SILENCE_LEVEL, dtype=np.float16)
    return mel_windows(log_mel(audio, sr), n_frames, fps, window=per).astype(np.float16)


def build_corpus(src_dir: str | Path, out_dir: str | Path, *, size: int = 128, fps: float = 25.0,
                 progress: bool = True, **options: Any) -> CorpusReport:
    """Build shards + manifest from every mp4 under src_dir; see CorpusConfig for `options`."""
    cfg = CorpusConfig(src_dir=str(src_dir), out_dir=str(out_dir), size=size, fps=fps, **options)
    return run(cfg, progress=progress)


def run(cfg: CorpusConfig, progress: bool = True) -> CorpusReport:
    """The build loop: label -> decode -> resample -> mesh -> align -> estimate -> shard."""
    from gan.data.face_align import FaceMesher
    from gan.rig.motion_estimate import default_estimator

    t0 = time.time()
    src, out = Path(cfg.src_dir), Path(cfg.out_dir)
    if not src.is_dir():
        raise ValueError(f"Corpus source folder {src} does not exist.")
    out.mkdir(parents=True, exist_ok=True)
    csv_path = Path(cfg.labels_csv) if cfg.labels_csv else src / "labels.csv"
    csv_labels = read_labels_csv(csv_path) if csv_path.is_file() else {}
    clips = find_clips(src)
    if cfg.max_clips:
        clips = clips[: cfg.max_clips]
    report = CorpusReport(out_dir=str(out), clips_found=len(clips))
    writer = _ShardWriter(out, cfg.shard_frames)
    estimator = default_estimator()
    clip_meta: list[dict[str, Any]] = []
    with FaceMesher(video=cfg.track) as mesher:
        for clip in tqdm(clips, desc="clips", unit="clip", disable=not progress):
            rel = clip.relative_to(src).as_posix()
            label = csv_labels.get(rel) or label_from_path(rel)
            if label is None:
                report.clips_unlabelled.append(rel)
                if cfg.unlabelled == "skip":
                    continue
                label = ClipLabel("neutral", 0.0, "default")
            meta = _process_clip(clip, rel, label, len(clip_meta), cfg, mesher, estimator, writer, report)
            if meta is not None:
                clip_meta.append(meta)
    writer.flush()
    report.shards = writer.files
    report.seconds = round(time.time() - t0, 2)
    _write_manifest(cfg, report, clip_meta, writer)
    return report


def _output_frames(reader: VideoReader, fps: float) -> Iterator[tuple[int, int, np.ndarray]]:
    """Stream (output index k, source index i, frame): the source frame nearest to each k / fps."""
    ratio = reader.fps / fps
    limit = int(np.floor(reader.duration * fps + 1e-6)) if reader.duration > 0 else None
    k = 0
    for i, frame in enumerate(reader):
        while round(k * ratio) <= i and (limit is None or k < limit):
            yield k, i, frame
            k += 1


def resampled_frames(path: Path, fps: float) -> Iterator[tuple[int, np.ndarray]]:
    """Stream (output index, RGB frame) of an mp4 resampled to fps (nearest frame); VideoError if unreadable."""
    reader = VideoReader(path)
    try:
        for k, _, frame in _output_frames(reader, fps):
            yield k, frame
    finally:
        reader.close()


def _process_clip(clip: Path, rel: str, label: ClipLabel, clip_id: int, cfg: CorpusConfig, mesher: Any,
                  estimator: Any, writer: _ShardWriter, report: CorpusReport) -> dict[str, Any] | None:
    """One clip -> rows in the shards; returns its manifest entry (None if unreadable)."""
    from gan.data.face_align import align_face

    try:
        reader = VideoReader(clip)
        audio, sr = read_audio(clip)
    except VideoError as err:
        report.clips_corrupt.append(f"{rel}: {err}")
        return None
    n_est = int(np.ceil(max(reader.duration, 1.0 / reader.fps) * cfg.fps)) + 1
    mel = _mel_per_frame(audio, sr, n_est, cfg.fps)
    rig = _load_sidecar(clip)
    emo_vec = rig["emotion"].astype(np.float32) if rig is not None else _rig_emotion(label)
    intensity = float(rig["intensity"]) if rig is not None else label.intensity
    emotion_id = np.int8(BASIC_EMOTIONS.index(label.emotion))
    no_rig = np.full(MOTION_DIM, np.nan, dtype=np.float32)
    mesher.reset()
    kept = total = 0
    try:
        for k, src_i, frame in _output_frames(reader, cfg.fps):
            total += 1
            lm = mesher(frame)
            if lm is None:
                report.frames_no_face += 1
                continue
            crop, lm_crop = align_face(frame, lm, cfg.size)
            true = rig["motion"][min(src_i, len(rig["motion"]) - 1)].astype(np.float32) if rig is not None else no_rig
            writer.add(frames=crop, landmarks=lm_crop.astype(np.float16), mel=mel[min(k, len(mel) - 1)],
                       motion_est=estimator(lm), rig_motion=true, rig_emotion=emo_vec,
                       intensity=np.float32(intensity), emotion_id=emotion_id, clip_id=np.int32(clip_id),
                       frame_idx=np.int32(k))
            kept += 1
    except VideoError as err:  # truncated mid-way: keep what decoded, report the rest
        report.clips_corrupt.append(f"{rel}: {err} (kept {kept} frames before the error)")
    finally:
        reader.close()
    if reader.truncated:
        report.clips_corrupt.append(f"{rel}: truncated, decoded {reader.frames_read} of ~{reader.n_frames_estimate} "
                                    f"frames (kept {kept})")
    report.frames_total += total
    report.frames_kept += kept
    if kept == 0:
        report.clips_no_face.append(rel)
    report.clips_used += 1
    return {"path": rel, "emotion": label.emotion, "intensity": intensity, "label_source": label.source,
            "actor": rig is not None, "fps_src": reader.fps, "frames": total, "kept": kept,
            "audio": audio is not None}


def _write_manifest(cfg: CorpusConfig, report: CorpusReport, clips: list[dict[str, Any]], writer: _ShardWriter) -> None:
    from gan.audio.mel import HOP, MEL_FPS, MEL_SR, N_MELS

    manifest = {
        "format": FORMAT_VERSION,
        "config": asdict(cfg),
        "emotions": list(BASIC_EMOTIONS),
        "rig_emotions": list(RIG_EMOTIONS),
        "motion_fields": list(MOTION_FIELDS),
        "mel": {"sample_rate": MEL_SR, "hop": HOP, "n_mels": N_MELS, "per_frame": max(1, round(MEL_FPS / cfg.fps))},
        "shards": [{"file": f, "frames": n} for f, n in zip(writer.files, writer.sizes)],
        "clips": clips,
        "report": {k: v for k, v in asdict(report).items() if k != "shards"},
    }
    report.manifest.write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def _parser() -> argparse.ArgumentParser:
    """Flags generated from CorpusConfig, so the command line and the config never drift."""
    ap = argparse.ArgumentParser(prog="gan-build-corpus", description=__doc__.split("\n")[0])
    for f in fields(CorpusConfig):
        flag = "--" + f.name.replace("_", "-")
        if isinstance(f.default, bool):
            ap.add_argument(flag, type=lambda s: s.lower() in ("1", "true", "yes"), default=f.default)
        else:
            ap.add_argument(flag, type=type(f.default), default=f.default)
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    return ap


def main(argv: list[str] | None = None) -> None:
    """Entry point `gan-build-corpus`: build, print the report, save the config with the output."""
    args = vars(_parser().parse_args(argv))
    quiet = args.pop("quiet")
    cfg = CorpusConfig(**args)
    report = run(cfg, progress=not quiet)
    print(f"clips: {report.clips_used}/{report.clips_found} used, {len(report.clips_corrupt)} corrupt, "
          f"{len(report.clips_unlabelled)} unlabelled; frames: {report.frames_kept}/{report.frames_total} kept, "
          f"{report.frames_no_face} without a face; {len(report.shards)} shards in {report.seconds:.1f} s "
          f"-> {report.manifest}")
    for line in report.clips_corrupt:
        print(f"  corrupt: {line}")


if __name__ == "__main__":
    main()
