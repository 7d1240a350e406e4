"""Corpus builder (`gan-build-corpus`): a folder of talking-face mp4 clips -> the avatar v2 corpus.

It writes what gan-train reads (gan.data.rig_corpus): `seq_NNNN.npz` and, held out,
`test_seq_NNNN.npz` with frames (T, S, S, 3) uint8, rig (T, K) KEPT coefficients, pose (T, 3)
degrees, emotion (T, E), intensity (T,), mel float16 (T, 16, 80), speaking (T,), seq, kept,
emotions and (in the first file of each split) reference (1, S, S, 3). Real video of a consenting
person (gan-avatar-from-video) or MEAD / CREMA-D / RAVDESS-style folders (labels from the path or a
labels.csv, gan.data.corpus_labels; unlabelled clips are neutral at intensity 0.5; clips whose
emotion the avatar has no name for are skipped).

Two passes over every clip, streamed frame by frame (nearest-frame resampling to `fps`; a long
1080p clip never sits in memory whole):

1. MediaPipe landmarks of every frame, the audio track, and a several-people check (full-range
   detector once a second); then rig + head pose for all frames at once (gan.data.video_rig:
   normalised to the person's own neutral over all their video);
2. each frame is cropped by the similarity that puts the person's eyes, nose base and mouth
   corners on the base generator's keypoints for that frame's rig and pose, so the face sits where
   the generator draws its sketch (the actor's framing), and the last `test_share` of every clip
   is held out.

Problems a person can fix raise CorpusError with one sentence: no mp4, unreadable file, no audio
track, no face, several people, too little video.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from gan.audio.mel import MEL_SR, audio_windows, rms_envelope, to_mel_rate
from gan.data.corpus_labels import label_from_path, read_labels_csv
from gan.data.face_align import FaceMesher, similarity, warp_face
from gan.data.rig_corpus import write_shard
from gan.data.video_rig import anchor_indices, anchors, measures, rig_from_measures, rigid_reference, smooth
from gan.images import tensor_to_frames
from gan.networks.rig_generator import RigGenerator
from gan.rig.arkit import KEPT
from gan.video import VideoError, VideoReader, read_audio

# The actor's keypoint basis: its names say which keypoints are the crop's anchors (gan.data.video_rig).
KEYPOINT_BASIS = Path(__file__).parents[1] / "actor" / "assets" / "keypoints_v2"


def default_base() -> Path:
    """The avatar a corpus is framed for (and gan-avatar-from-video fine-tunes) when none is named: the shipped one."""
    from gan.pipeline import DEFAULT_CHECKPOINT

    return DEFAULT_CHECKPOINT


def find_clips(src_dir: Path) -> list[Path]:
    """All *.mp4 under src_dir (recursive, sorted: the build is deterministic)."""
    return sorted(p for p in src_dir.rglob("*") if p.is_file() and p.suffix.lower() == ".mp4")


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


class CorpusError(ValueError):
    """The videos cannot make an avatar (the message says why in one sentence)."""


@dataclass(frozen=True)
class CorpusConfig:
    """How a person's videos become corpus sequences."""

    fps: float = 25.0  # frames per second of the corpus (the avatar's rate)
    min_seconds: float = 20.0  # least video with a visible face accepted (below it the avatar is a still)
    seq_seconds: float = 10.0  # longest sequence file (memory: 250 frames of 256 px = 49 MB)
    test_share: float = 0.1  # the last share of every clip is held out (test_seq_*.npz) to score the avatar
    check_every: float = 1.0  # seconds between several-people checks
    several_share: float = 0.2  # share of checked frames with 2+ faces that stops the build
    emotion: str = "neutral"  # the emotion of unlabelled clips (labels: gan.data.corpus_labels)
    intensity: float = 0.5  # its intensity
    labels_csv: str = ""  # "" = <src_dir>/labels.csv when it exists

    def __post_init__(self) -> None:
        if not 1.0 <= self.fps <= 60.0:
            raise ValueError(f"CorpusConfig.fps must be in [1, 60], got {self.fps}.")
        if self.min_seconds < 1.0 or self.seq_seconds < 1.0 or self.check_every <= 0:
            raise ValueError("CorpusConfig.min_seconds and seq_seconds must be >= 1 s, check_every > 0.")
        if not 0.0 <= self.test_share < 0.5 or not 0.0 < self.several_share <= 1.0:
            raise ValueError("CorpusConfig.test_share must be in [0, 0.5) and several_share in (0, 1].")
        if not 0.0 <= self.intensity <= 1.0:
            raise ValueError(f"CorpusConfig.intensity must be in [0, 1], got {self.intensity}.")


@dataclass
class CorpusReport:
    """What a build found and wrote."""

    fps: float = 25.0  # the corpus' frame rate
    clips: int = 0
    skipped: list[str] = field(default_factory=list)  # "clip: reason" (an emotion the avatar cannot show)
    frames: int = 0  # resampled frames in all clips
    face_frames: int = 0  # ... with one face found (the corpus)
    train_files: list[str] = field(default_factory=list)
    test_files: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """Seconds of video with the face found (the corpus' length)."""
        return self.face_frames / self.fps


@dataclass
class _Clip:
    """Pass 1 of one clip: landmarks of the frames with a face, and the audio."""

    path: Path
    emotion: np.ndarray  # (E,) one-hot of the clip's label
    intensity: float  # the label's intensity
    index: np.ndarray  # (N,) output frame numbers with a face
    landmarks: np.ndarray  # (N, 478, 3) pixels
    mel: np.ndarray  # (n_frames, 16, 80) float16
    speaking: np.ndarray  # (n_frames,) bool


def _speaking(audio16: np.ndarray, n_frames: int, fps: float) -> np.ndarray:
    """Per frame: RMS above the geometric mean of the clip's quiet (10th percentile: room noise) and loud (95th:
    voiced speech) frame levels, and above a floor for digital silence."""
    rms = rms_envelope(audio16, MEL_SR, n_frames, fps)
    return rms > max(float(np.sqrt(np.percentile(rms, 10) * np.percentile(rms, 95))), 3e-3)


def _scan(path: Path, emotion: np.ndarray, intensity: float, cfg: CorpusConfig, mesher: FaceMesher,
          progress: bool) -> _Clip:
    """Pass 1: landmarks, audio and the several-people check of one clip."""
    try:
        audio, sr = read_audio(path)
        reader = VideoReader(path)
        n_est = round(reader.duration * cfg.fps)
        reader.close()
    except VideoError as err:
        raise CorpusError(f"{path.name} is not a readable mp4 ({err}).") from err
    if audio is None or sr is None or audio.size == 0:
        raise CorpusError(f"{path.name} has no audio track: the avatar learns to speak from the person's voice, "
                               "so record with sound.")
    mesher.reset()
    index, lms = [], []
    checks = several = n = 0
    step = max(1, round(cfg.check_every * cfg.fps))
    try:
        for k, frame in tqdm(resampled_frames(path, cfg.fps), desc=f"faces {path.name}", unit="frame",
                             total=n_est or None, disable=not progress, leave=False):
            n = k + 1
            if k % step == 0:
                checks += 1
                several += mesher.count_faces(frame) >= 2
            lm = mesher(frame)
            if lm is not None:
                index.append(k)
                lms.append(lm)
    except VideoError as err:
        raise CorpusError(f"{path.name} could not be decoded to the end ({err}).") from err
    if not lms:
        raise CorpusError(f"No face was found in any frame of {path.name}.")
    if checks and several / checks > cfg.several_share:
        raise CorpusError(f"{path.name} shows several people in {several} of {checks} checked frames; "
                               "film the person alone.")
    audio16 = to_mel_rate(audio, sr)
    if float(np.abs(audio16).max()) < 1e-4:
        raise CorpusError(f"The audio track of {path.name} is silent.")
    mel = audio_windows(audio, sr, n, cfg.fps).astype(np.float16)
    return _Clip(path, emotion, intensity, np.array(index), np.stack(lms), mel, _speaking(audio16, n, cfg.fps))


def _labels(src: Path, clips: list[Path], emotions: tuple[str, ...], cfg: CorpusConfig,
            report: CorpusReport) -> list[tuple[Path, np.ndarray, float]]:
    """(clip, emotion one-hot (E,), intensity) per usable clip: its label, else cfg.emotion at cfg.intensity."""
    csv_path = Path(cfg.labels_csv) if cfg.labels_csv else src / "labels.csv"
    csv_labels = read_labels_csv(csv_path) if csv_path.is_file() else {}
    out = []
    for clip in clips:
        rel = clip.relative_to(src).as_posix()
        label = csv_labels.get(rel) or label_from_path(rel)
        name, intensity = (label.emotion, label.intensity) if label else (cfg.emotion, cfg.intensity)
        if name not in emotions:
            report.skipped.append(f"{rel}: the avatar has no {name!r} expression")
            continue
        out.append((clip, np.eye(len(emotions), dtype=np.float32)[emotions.index(name)], intensity))
    if not out:
        raise CorpusError(f"No clip in {src} shows an emotion the avatar can show ({', '.join(emotions)}).")
    return out


@torch.no_grad()
def _rest_landmarks(g: RigGenerator, emotions: tuple[str, ...], mesher: FaceMesher) -> np.ndarray:
    """MediaPipe landmarks of the base generator's rest frame (rig 0, pose 0, neutral): the pose reference."""
    emo = torch.zeros(1, len(emotions))
    emo[0, emotions.index("neutral")] = 1.0
    rest = tensor_to_frames(g(torch.zeros(1, g.rig_dim), torch.zeros(1, 3), emo, torch.zeros(1, 1)))[0]
    mesher.reset()
    lm = mesher(rest)
    if lm is None:
        raise CorpusError("MediaPipe finds no face in the base avatar's rest frame; choose another --base.")
    return lm


def build_corpus(src_dir: str | Path, out_dir: str | Path, g: RigGenerator, keypoint_names: tuple[str, ...],
                 emotions: tuple[str, ...], cfg: CorpusConfig | None = None, progress: bool = True) -> CorpusReport:
    """Write seq_*.npz / test_seq_*.npz for every mp4 under src_dir (see module doc); returns the report."""
    cfg = cfg or CorpusConfig()
    if cfg.emotion not in emotions:
        raise ValueError(f"Emotion {cfg.emotion!r} is not one of the avatar's {emotions}.")
    src = Path(src_dir)
    clips_found = find_clips(src) if src.is_dir() else []
    if not clips_found:
        raise CorpusError(f"No .mp4 file was found in {src_dir}.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = CorpusReport(clips=len(clips_found), fps=cfg.fps)
    labelled = _labels(src, clips_found, emotions, cfg, report)
    with FaceMesher(video=True) as mesher:
        reference = rigid_reference(_rest_landmarks(g, emotions, mesher))
        clips = [_scan(p, emo, inten, cfg, mesher, progress)
                 for p, emo, inten in tqdm(labelled, desc="reading videos", unit="clip", disable=not progress)]
    report.frames = sum(len(c.mel) for c in clips)
    report.face_frames = sum(len(c.index) for c in clips)
    if report.seconds < cfg.min_seconds:
        raise CorpusError(f"Only {report.seconds:.1f} s of video with the face visible was found; at least "
                          f"{cfg.min_seconds:.0f} s is needed (2-5 minutes gives a better avatar).")
    # 1. rig and pose of every face frame, normalised over all of the person's video at once
    all_lm = np.concatenate([c.landmarks for c in clips])
    meas, pose = measures(all_lm, reference)
    starts = np.cumsum([0] + [len(c.index) for c in clips])
    breaks = np.zeros(len(all_lm), bool)
    breaks[starts[:-1]] = True
    rig = rig_from_measures(meas, len(KEPT), breaks)
    # smoothed over 3 frames like the rig, so landmark noise does not shake the crops (jitter measured in README)
    pose = smooth(pose, breaks).astype(np.float32)
    source = smooth(np.stack([anchors(lm) for lm in all_lm]), breaks)  # (N, 4, 2) the person's anchors
    # 2. where the base generator puts the anchors for each frame's rig and pose
    groups = anchor_indices(keypoint_names)
    with torch.no_grad():
        kp = g.sketch.keypoints(torch.from_numpy(rig), torch.from_numpy(pose)).numpy() * g.size  # (N, M, 2)
    target = np.stack([kp[:, idx].mean(axis=1) for idx in groups], axis=1)  # (N, 4, 2)
    n_test = [math.ceil(cfg.test_share * len(c.index)) for c in clips]  # face frames held out at each clip's end
    held = np.zeros(len(all_lm), bool)
    for end, n in zip(starts[1:], n_test, strict=True):
        held[end - n : end] = True
    neutral_score = np.abs(rig).sum(axis=1) + np.abs(pose).sum(axis=1) / 10.0
    ref_at = int(np.argmin(np.where(held, np.inf, neutral_score)))  # the most neutral training frame: the reference
    writer = _SeqWriter(out, cfg, emotions)
    for ci, clip in enumerate(tqdm(clips, desc="cropping", unit="clip", disable=not progress)):
        writer.emotion, writer.intensity = clip.emotion, clip.intensity
        lo = int(starts[ci])
        rows = {int(k): lo + j for j, k in enumerate(clip.index)}
        first_test = int(clip.index[-n_test[ci]]) if n_test[ci] else len(clip.mel)
        for k, frame in resampled_frames(clip.path, cfg.fps):
            row = rows.get(k)
            if row is None:
                writer.flush()  # no face here: a sequence never jumps over a gap
                continue
            m = similarity(source[row], target[row])
            crop = warp_face(frame, m, g.size)
            if row == ref_at:
                writer.reference = crop
            writer.add("test" if k >= first_test else "train", crop, rig[row], pose[row], clip.mel[k],
                       bool(clip.speaking[k]))
        writer.flush()
    writer.finish()
    report.train_files, report.test_files = writer.files["train"], writer.files["test"]
    if not report.train_files:
        raise CorpusError("No run of at least 3 consecutive face frames was found to train on.")
    return report


class _SeqWriter:
    """Buffers consecutive frames of one split and writes them as sequence files of at most seq_seconds."""

    def __init__(self, out: Path, cfg: CorpusConfig, emotions: tuple[str, ...]) -> None:
        self.out, self.cfg, self.emotions = out, cfg, emotions
        self.emotion, self.intensity = np.zeros(len(emotions), np.float32), 0.0  # of the current clip
        self.max_frames = round(cfg.seq_seconds * cfg.fps)
        self.split = "train"
        self.buf: dict[str, list[np.ndarray | np.generic]] = {}
        self.files: dict[str, list[str]] = {"train": [], "test": []}
        self.reference: np.ndarray | None = None

    def add(self, split: str, frame: np.ndarray, rig: np.ndarray, pose: np.ndarray, mel: np.ndarray,
            speaking: bool) -> None:
        if split != self.split or len(self.buf.get("frames", [])) >= self.max_frames:
            self.flush()
            self.split = split
        for key, value in (("frames", frame), ("rig", rig), ("pose", pose), ("mel", mel),
                           ("speaking", np.bool_(speaking))):
            self.buf.setdefault(key, []).append(value)

    def flush(self) -> None:
        n = len(self.buf.get("frames", []))
        if n >= 3:  # training reads triplets of consecutive frames
            names = self.files[self.split]
            name = f"{'test_' if self.split == 'test' else ''}seq_{len(names):04d}.npz"
            arrays = {k: np.stack(v) for k, v in self.buf.items()}
            arrays.update(emotion=np.tile(self.emotion, (n, 1)),
                          intensity=np.full(n, self.intensity, np.float32),
                          seq=np.full(n, len(names), np.int32), kept=np.array(KEPT),
                          emotions=np.array(self.emotions), fps=np.array(self.cfg.fps, np.float32))
            write_shard(self.out / name, arrays)
            names.append(name)
        self.buf = {}

    def finish(self) -> None:
        """Add the reference frame to the first file of each split (the trainer takes it from there)."""
        if self.reference is None:
            return
        for names in self.files.values():
            if names:
                path = self.out / names[0]
                with np.load(path) as data:
                    arrays = {k: data[k] for k in data.files}
                arrays["reference"] = self.reference[None]
                write_shard(path, arrays)


def load_base(base: str | Path | None) -> tuple[RigGenerator, tuple[str, ...], tuple[str, ...], dict[str, Any]]:
    """(generator, keypoint names, emotions, config) of an avatar v2 checkpoint (None = default_base())."""
    from gan.checkpoint import generator_version, load_rig_generator
    from gan.networks.keypoints import load_keypoint_basis

    folder = Path(base) if base else default_base()
    if generator_version(folder) != 2:
        raise CorpusError(f"The base avatar {folder} is not an avatar v2 checkpoint.")
    model = load_rig_generator(folder)
    names = load_keypoint_basis(KEYPOINT_BASIS).names
    if len(names) != model.generator.sketch.n_keypoints:
        raise CorpusError(f"The base avatar {folder} has another keypoint basis than {KEYPOINT_BASIS}.")
    return model.generator, names, model.emotions, model.config


def main(argv: list[str] | None = None) -> None:
    """Entry point `gan-build-corpus`: mp4 folder -> seq_*.npz corpus for gan-train; one-sentence errors."""
    from affect.modelfiles import ModelFileError

    ap = argparse.ArgumentParser(prog="gan-build-corpus", description=__doc__.split("\n")[0])
    ap.add_argument("src_dir", metavar="VIDEO_DIR", help="folder searched recursively for *.mp4 (with sound)")
    ap.add_argument("--out", required=True, help="new or empty folder for the seq_*.npz / test_seq_*.npz files")
    ap.add_argument("--base", default="", help="avatar checkpoint to frame for (default: the shipped avatar)")
    ap.add_argument("--labels-csv", default="", help="path,emotion,intensity per clip (default VIDEO_DIR/labels.csv)")
    defaults = CorpusConfig()
    ap.add_argument("--fps", type=float, default=defaults.fps, help=f"frame rate (default {defaults.fps:g})")
    ap.add_argument("--min-seconds", type=float, default=defaults.min_seconds, help="least face video accepted")
    ap.add_argument("--test-share", type=float, default=defaults.test_share, help="held-out share of every clip")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    out = Path(args.out)
    try:
        cfg = CorpusConfig(fps=args.fps, min_seconds=args.min_seconds, test_share=args.test_share,
                           labels_csv=args.labels_csv)
        if out.exists() and any(out.iterdir()):
            raise CorpusError(f"{out} is not empty; choose a new --out.")
        g, names, emotions, _ = load_base(args.base)
        report = build_corpus(args.src_dir, out, g, names, emotions, cfg, progress=not args.quiet)
    except (ValueError, ModelFileError) as err:  # CorpusError, a bad flag value or an unreadable checkpoint
        raise SystemExit(f"gan-build-corpus: error: {err}") from err
    print(f"{report.clips} clips ({len(report.skipped)} skipped), {report.seconds:.1f} s of face video -> "
          f"{len(report.train_files)} training + {len(report.test_files)} held-out sequences in {out}")
    for line in report.skipped:
        print(f"  skipped: {line}")
