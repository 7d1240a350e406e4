"""gan-avatar-from-video: a consenting person's mp4 files -> their own avatar v2 checkpoint, all on this machine.

    gan-avatar-from-video VIDEO_DIR --out DIR --consent-file consent.txt [--steps N]

1. the corpus: gan.data.corpus (gan-build-corpus) reads every mp4 under VIDEO_DIR (face mesh, rig and head
   pose from the landmarks, crops in the base avatar's framing) into seq_*.npz / test_seq_*.npz;
2. fine-tuning: gan-train's loop (gan.training.train) starts from the base avatar with its
   canvases reset to the person's most neutral frame, reconstruction losses only (the critics and
   the sync expert of a full run need hours), with a progress bar;
3. the EMA generator is written as config.json + model.safetensors (gan.checkpoint), with the
   consent file's SHA-256 and date and the held-out PSNR in config.json's `provenance`.
   TalkingHeadPipeline.from_pretrained(DIR) and the app (tutor-app --avatar.checkpoint_dir DIR) load it.

Nothing is uploaded: the videos, the corpus and the run stay in local folders, and the work folder
is deleted at the end unless --work-dir names one. --out is written only when everything worked
(built beside it under a temporary name, then renamed).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch

from gan.checkpoint import export_rig_generator
from gan.data.corpus import CorpusConfig, CorpusError, CorpusReport, build_corpus, default_base, load_base
from gan.images import frames_to_tensor
from gan.networks import RigGenerator
from gan.training.config import TrainConfig
from gan.training.train import train

# 1.7-2.1 s per step on average at batch 4 on this shared 2-core machine (nice 10, load ~9): 500 steps take
# 14-18 minutes, and 400 steps took 24 s of video from 17.9 to 27.5 dB held-out PSNR (README).
DEFAULT_STEPS = 500
CONSENT_WORD = "consent"  # the consent file must say so in words


class AvatarError(ValueError):
    """The command cannot run as asked (the message says why in one sentence)."""


@dataclass(frozen=True)
class AvatarFromVideoConfig:
    """One gan-avatar-from-video run (every field is a flag)."""

    video_dir: str  # folder searched recursively for *.mp4 of the person
    out: str  # the avatar folder to create (config.json + model.safetensors); must not exist or be empty
    consent_file: str  # a text file in which the filmed person states their consent (required)
    steps: int = DEFAULT_STEPS  # fine-tuning steps
    base: str = ""  # avatar v2 checkpoint to start from; "" = default_base()
    work_dir: str = ""  # keep the corpus and the training run here; "" = a temporary folder, deleted
    threads: int = 2  # torch threads
    batch_size: int = 4  # triplets per step
    lr: float = 1e-3  # Adam learning rate of G (a full run's: the person's face is far from the actor's)
    min_seconds: float = 20.0  # least face video accepted
    seed: int = 0  # RNG seed

    def __post_init__(self) -> None:
        if self.steps < 1 or self.threads < 1 or self.batch_size < 1:
            raise ValueError("AvatarFromVideoConfig.steps, threads and batch_size must be at least 1.")
        if not 0.0 < self.lr < 1.0:
            raise ValueError(f"AvatarFromVideoConfig.lr must be in (0, 1), got {self.lr}.")
        if self.min_seconds < 1.0:
            raise ValueError(f"AvatarFromVideoConfig.min_seconds must be at least 1 s, got {self.min_seconds}.")


@dataclass(frozen=True)
class AvatarReport:
    """What a run made."""

    out: Path  # the avatar folder
    corpus: CorpusReport  # what the videos gave
    steps: int  # fine-tuning steps done
    psnr_base: float  # held-out PSNR (dB) of the base avatar with the person's canvases, before fine-tuning
    psnr: float  # ... of the fine-tuned avatar


def read_consent(path: str) -> dict[str, str]:
    """{"sha256", "date"} of a non-empty text consent file; AvatarError otherwise."""
    if not path:
        raise AvatarError("--consent-file is required: a text file in which the filmed person states that they "
                          "consent to an avatar being made from their videos.")
    file = Path(path)
    try:
        raw = file.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise AvatarError(f"The consent file {file} cannot be read as text ({err}).") from err
    if not text.strip():
        raise AvatarError(f"The consent file {file} is empty; it must state the person's consent.")
    if CONSENT_WORD not in text.lower():
        raise AvatarError(f"The consent file {file} does not state consent (it never says '{CONSENT_WORD}').")
    return {"sha256": hashlib.sha256(raw).hexdigest(), "date": dt.datetime.now(dt.UTC).date().isoformat()}


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise AvatarError(f"{out} already exists and is not an empty folder; choose a new --out.")


@torch.no_grad()
def held_out_psnr(g: RigGenerator, corpus_dir: Path, prefix: str = "test_seq", max_frames: int = 200) -> float:
    """PSNR (dB) of g's frames against the person's held-out frames (all test_seq files, up to max_frames)."""
    err, count = 0.0, 0
    for path in sorted(corpus_dir.glob(f"{prefix}_*.npz")):
        with np.load(path) as d:
            take = np.linspace(0, len(d["rig"]) - 1, min(len(d["rig"]), max_frames)).astype(int)
            arrays = {k: d[k][take] for k in ("rig", "pose", "emotion", "intensity", "frames")}
        for s in range(0, len(take), 25):  # 25 frames per call: a few hundred MB of activations at 256 px
            part = {k: torch.from_numpy(v[s : s + 25].astype(np.float32)) for k, v in arrays.items() if k != "frames"}
            fake = g(part["rig"], part["pose"], part["emotion"], part["intensity"][:, None])
            real = frames_to_tensor(arrays["frames"][s : s + 25])
            err += float(((fake.clamp(-1, 1) - real) * 127.5).pow(2).sum())
            count += real.numel()
    if not count:
        raise AvatarError(f"No held-out frames in {corpus_dir} to score the avatar on.")
    return float(10 * np.log10(255.0**2 / max(err / count, 1e-12)))


def make_avatar(cfg: AvatarFromVideoConfig, progress: bool = True) -> AvatarReport:
    """Build the corpus, fine-tune, export (see module doc); raises AvatarError / CorpusError."""
    consent = read_consent(cfg.consent_file)
    out = Path(cfg.out)
    _check_out(out)
    base_dir = Path(cfg.base) if cfg.base else default_base()
    g, names, emotions, base_config = load_base(base_dir)
    temporary = not cfg.work_dir
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.work-", dir=out.parent) if temporary else cfg.work_dir)
    staging = out.parent / f".{out.name}.partial"
    try:
        corpus_dir = work / "corpus"
        report = build_corpus(cfg.video_dir, corpus_dir, g, names, emotions, CorpusConfig(min_seconds=cfg.min_seconds),
                              progress)
        tcfg = TrainConfig(
            data_dir=str(corpus_dir), run_dir=str(work / "run"), size=g.size, init_from=str(base_dir),
            init_identity=True, steps=cfg.steps, batch_size=cfg.batch_size, lr_g=cfg.lr, threads=cfg.threads,
            adv_start=cfg.steps, w_sync=0.0, ema_decay=0.99, ema_start=0, seed=cfg.seed,
            log_every=max(1, cfg.steps // 10), sample_every=max(1, cfg.steps // 4), export_minutes=1e6)
        before = _base_with_person_canvas(g, corpus_dir)
        psnr_base = held_out_psnr(before, corpus_dir)
        _, models = train(tcfg, progress=progress)
        psnr = held_out_psnr(models.g_ema, corpus_dir)
        provenance = {"made_by": "gan-avatar-from-video", "base": str(base_dir),
                      "base_trained_steps": base_config.get("trained_steps"), "consent": consent,
                      "videos": report.clips, "video_seconds": round(report.seconds, 1),
                      "held_out_psnr_db": round(psnr, 2), "base_held_out_psnr_db": round(psnr_base, 2)}
        shutil.rmtree(staging, ignore_errors=True)
        export_rig_generator(staging, models.g_ema, base_config["generator"], tuple(base_config["kept"]), emotions,
                             {"fps": base_config.get("fps", 25), "trained_steps": cfg.steps,
                              "training_config": asdict(tcfg), "provenance": provenance})
        if out.is_dir():
            out.rmdir()  # empty (checked above)
        os.replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if temporary:
            shutil.rmtree(work, ignore_errors=True)
    return AvatarReport(out, report, cfg.steps, psnr_base, psnr)


def _base_with_person_canvas(g: RigGenerator, corpus_dir: Path) -> RigGenerator:
    """A copy of the base generator with canvases from the person's reference frame (fine-tuning's step 0)."""
    with np.load(corpus_dir / "seq_0000.npz") as d:
        reference = frames_to_tensor(d["reference"][0])[None]
    start = copy.deepcopy(g)
    start.init_identity(reference)
    return start


def _parser() -> argparse.ArgumentParser:
    """Flags of AvatarFromVideoConfig (defaults from it)."""
    d = {f.name: f.default for f in fields(AvatarFromVideoConfig)}
    ap = argparse.ArgumentParser(
        prog="gan-avatar-from-video",
        description="Make an avatar v2 of a real person from their own mp4 videos (with sound), on this machine: "
                    "nothing is uploaded. The person must consent: --consent-file is required.",
        epilog="Film the person alone, facing the camera, speaking, for at least 20 s (2-5 minutes is better). "
               "Their consent file's SHA-256 and the date are stored in the avatar's config.json.")
    ap.add_argument("video_dir", metavar="VIDEO_DIR", help="folder with the person's .mp4 files (searched recursively)")
    ap.add_argument("--out", required=True, help="avatar folder to create (config.json + model.safetensors)")
    ap.add_argument("--consent-file", default="", metavar="F",
                    help="REQUIRED: a text file in which the filmed person states that they consent to this avatar "
                         f"(it must contain the word '{CONSENT_WORD}'); its hash and the date go into config.json")
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=f"fine-tuning steps (default {DEFAULT_STEPS}, "
                    "14-18 minutes on 2 busy CPU cores)")
    ap.add_argument("--base", default="", help="avatar checkpoint to start from (default: the shipped avatar)")
    ap.add_argument("--work-dir", default="", help="keep the corpus and training run here (default: a temporary "
                    "folder, deleted at the end)")
    ap.add_argument("--threads", type=int, default=d["threads"], help=f"torch threads (default {d['threads']})")
    ap.add_argument("--batch-size", type=int, default=d["batch_size"],
                    help=f"triplets of frames per step (default {d['batch_size']})")
    ap.add_argument("--lr", type=float, default=d["lr"], help=f"generator learning rate (default {d['lr']:g})")
    ap.add_argument("--min-seconds", type=float, default=d["min_seconds"],
                    help=f"least face video accepted (default {d['min_seconds']:g} s)")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    return ap


def main(argv: list[str] | None = None) -> None:
    """Entry point `gan-avatar-from-video`: one-sentence errors and exit code 1 when it cannot make the avatar."""
    from affect.modelfiles import ModelFileError

    args = _parser().parse_args(argv)
    try:
        cfg = AvatarFromVideoConfig(video_dir=args.video_dir, out=args.out, consent_file=args.consent_file,
                                    steps=args.steps, base=args.base, work_dir=args.work_dir, threads=args.threads,
                                    batch_size=args.batch_size, lr=args.lr, min_seconds=args.min_seconds)
    except ValueError as err:
        raise SystemExit(f"gan-avatar-from-video: error: {err}") from err
    try:
        report = make_avatar(cfg, progress=not args.quiet)
    except (AvatarError, CorpusError, ModelFileError) as err:
        print(f"gan-avatar-from-video: error: {err}", file=sys.stderr)
        raise SystemExit(1) from err
    print(json.dumps({"out": str(report.out), "videos": report.corpus.clips,
                      "video_seconds": round(report.corpus.seconds, 1), "steps": report.steps,
                      "held_out_psnr_db": round(report.psnr, 2), "base_held_out_psnr_db": round(report.psnr_base, 2)}))


if __name__ == "__main__":
    main()
