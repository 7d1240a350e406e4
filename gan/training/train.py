"""Train the talking-head GAN: `train(cfg)` -> run folder with checkpoints, samples, metrics.

Loop (STYLE.md #6): each step renders triplets of consecutive frames with G from the avatar's
reference image + the rig conditions, then `train_step` updates D (patch + temporal critics)
and G (L1 + feature matching + adversarial + sync). An EMA copy of G (Karras et al. 2018) is
what ships. Runs under `torchrun` with DistributedDataParallel (gloo on CPU, nccl on GPUs);
only rank 0 writes.

    gan-train --data_dir data/gan --run_dir runs/avatar --max_minutes 80
    torchrun --nproc_per_node 4 -m gan.training.train --data_dir data/gan --run_dir runs/avatar
"""

from __future__ import annotations

import copy
import json
import os
import signal
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from gan.checkpoint import load_training, save_training
from gan.data.dataset import TripletBatch, TripletDataset, collate
from gan.images import frames_to_tensor, tensor_to_frames
from gan.networks import Generator, IdentityEncoder, PatchDiscriminator, SyncExpert, TemporalDiscriminator
from gan.networks.generator import conditioning
from gan.networks.identity_encoder import IdentityCode
from gan.training import loss as L


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on (saved as config.json in the run folder)."""

    data_dir: str = "data/gan"  # npz shards from scripts/build_gan_dataset.py
    run_dir: str = "runs/avatar"  # checkpoints, samples, metrics.jsonl, config.json
    size: int = 128  # frame size (the data's resolution)
    id_channels: tuple[int, ...] = (16, 32, 48, 96)  # identity encoder pyramid widths
    # Generator widths at S/16 .. S/2 and convs per up-block: 0.19 GFLOP/frame at 128 px, sized for
    # the render bar (~70 frames/s batched on 2 cores) and for a ~1 h CPU training budget; a
    # (128, 96, 64, 24) / (2, 1, 1) variant costs 0.47 GFLOP/frame (measured, FlopCounterMode).
    channels: tuple[int, ...] = (96, 64, 32, 16)
    n_convs: tuple[int, ...] = (1, 1, 1)
    w_dim: int = 256  # style vector width
    sketch: bool = True  # condition G on the rasterised rig sketch too (gan/rig/sketch.py); False = global style only
    d_channels: tuple[int, ...] = (32, 64, 128, 192)  # patch discriminator widths
    td_channels: tuple[int, ...] = (32, 64, 128)  # temporal discriminator widths
    batch_size: int = 4  # triplets per step (x3 frames) per process
    steps: int = 20000  # total optimisation steps (the run may stop earlier by max_minutes)
    max_minutes: float = 0.0  # wall-clock budget for this invocation; 0 = unlimited
    lr_g: float = 5e-4  # Adam lr of G and the identity encoder
    lr_d: float = 2e-4  # Adam lr of both discriminators
    betas: tuple[float, float] = (0.5, 0.99)  # Adam betas (pix2pix uses beta1 = 0.5)
    adv: L.AdvKind = "hinge"  # adversarial loss: hinge | nonsat
    adv_start: int = 1500  # steps of reconstruction-only warm-up before the critics join
    w_l1: float = 20.0  # L1 reconstruction weight (pix2pix's lambda, images in [-1, 1])
    mouth_weight: float = 3.0  # L1 weight multiplier in the mouth box (lip-sync lives there)
    eye_weight: float = 1.0  # L1 weight multiplier on eyes and brows (expression lives there)
    w_fm: float = 2.0  # feature matching on the patch critic's features (our perceptual loss)
    w_adv: float = 1.0  # patch adversarial weight
    w_temporal: float = 0.5  # temporal adversarial weight
    w_sync: float = 0.3  # frozen sync expert loss weight (0 or no expert = off)
    sync_expert: str = ""  # path of the pretrained sync expert state dict ("" = no sync loss)
    ema_decay: float = 0.999  # EMA of G per step
    ema_start: int = 200  # copy G into the EMA (no averaging) before this step
    log_every: int = 25  # steps between metric lines
    sample_every: int = 500  # steps between sample sheets
    ckpt_minutes: float = 5.0  # minutes between training checkpoints
    num_workers: int = 0  # DataLoader workers (0: data is in memory already)
    threads: int = 2  # torch threads per process (2 cores on the build machine)
    seed: int = 0  # RNG seed
    max_items: int = 0  # use only the first N triplets (0 = all); for tests

    def __post_init__(self) -> None:
        if self.size % 16 != 0:
            raise ValueError("TrainConfig.size must be a multiple of 16.")
        if self.batch_size < 1 or self.steps < 1:
            raise ValueError("TrainConfig.batch_size and steps must be at least 1.")
        if self.adv not in ("hinge", "nonsat"):
            raise ValueError(f"TrainConfig.adv must be 'hinge' or 'nonsat', got {self.adv!r}.")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError("TrainConfig.ema_decay must be in [0, 1).")
        if len(self.channels) != len(self.id_channels) or len(self.n_convs) != len(self.channels) - 1:
            raise ValueError("TrainConfig needs len(channels) == len(id_channels) == len(n_convs) + 1.")

    @classmethod
    def tiny(cls, data_dir: str, run_dir: str) -> TrainConfig:
        """A few-second config for tests: small nets, tiny batches, critics from step 2."""
        return cls(
            data_dir=data_dir, run_dir=run_dir, id_channels=(8, 8, 16, 16), channels=(16, 16, 8, 8),
            w_dim=32, d_channels=(8, 8, 16, 16), td_channels=(8, 8, 16), batch_size=2, steps=6,
            adv_start=2, ema_start=2, log_every=1, sample_every=3, ckpt_minutes=0.0, threads=1,
        )

    def generator_kwargs(self) -> dict[str, Any]:
        from gan.rig.sketch import SKETCH_CHANNELS

        return {"size": self.size, "id_channels": (3, *self.id_channels), "channels": self.channels,
                "n_convs": self.n_convs, "w_dim": self.w_dim,
                "sketch_channels": len(SKETCH_CHANNELS) if self.sketch else 0}


class AvatarGenerator(nn.Module):
    """Identity encoder + generator trained together; at export the identity code is frozen."""

    def __init__(self, cfg: TrainConfig) -> None:
        super().__init__()
        self.encoder = IdentityEncoder(cfg.size, cfg.id_channels)
        self.generator = Generator(**cfg.generator_kwargs())

    def forward(self, reference: torch.Tensor, motion: torch.Tensor, emotion: torch.Tensor,
                intensity: torch.Tensor) -> torch.Tensor:
        """reference (1, 3, S, S); motion (N, M); emotion (N, E); intensity (N, 1) -> (N, 3, S, S)."""
        identity: IdentityCode = self.encoder(reference)
        return self.generator(identity, motion, emotion, intensity)


@dataclass
class Models:
    """The modules and optimisers of a run (G and the D's possibly DDP-wrapped)."""

    g: nn.Module
    g_ema: AvatarGenerator
    d_patch: nn.Module
    d_temp: nn.Module
    sync: SyncExpert | None
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer


def _unwrap(m: nn.Module) -> nn.Module:
    return m.module if isinstance(m, DistributedDataParallel) else m


def train_step(models: Models, batch: TripletBatch, reference: torch.Tensor, cfg: TrainConfig,
               step: int) -> dict[str, float]:
    """One D update (once the critics are on) and one G update; returns scalar metrics."""
    b, k = batch.frames.shape[:2]
    real = batch.frames.flatten(0, 1)  # (B*3, 3, S, S)
    motion = batch.motion.flatten(0, 1)  # (B*3, M)
    emotion = batch.emotion.repeat_interleave(k, 0)  # (B*3, E)
    intensity = batch.intensity.repeat_interleave(k, 0)  # (B*3, 1)
    cond = conditioning(motion, emotion, intensity)  # (B*3, COND_DIM)
    adversarial = step >= cfg.adv_start
    metrics: dict[str, float] = {}

    # 1. Generate the triplets.
    fake = models.g(reference, motion, emotion, intensity)  # (B*3, 3, S, S)

    # 2. Critics: real vs detached fake, one forward each on the concatenated batch.
    # The patch critic sees the middle frame of each triplet (a third of the cost of all frames;
    # the temporal critic sees whole triplets).
    mid = torch.arange(b, device=real.device) * k + k // 2
    real_mid, cond_mid = real[mid], cond[mid]
    real_feats: list[torch.Tensor] = []
    if adversarial:
        logits, feats = models.d_patch(torch.cat([real_mid, fake[mid].detach()]), torch.cat([cond_mid, cond_mid]))
        real_logits, fake_logits = logits.chunk(2)
        real_feats = [f.chunk(2)[0].detach() for f in feats]
        t_logits, _ = models.d_temp(torch.cat([batch.frames, fake.detach().view_as(batch.frames)]))
        t_real, t_fake = t_logits.chunk(2)
        d_loss = L.d_adversarial(real_logits, fake_logits, cfg.adv) + cfg.w_temporal * L.d_adversarial(
            t_real, t_fake, cfg.adv
        )
        models.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        models.opt_d.step()
        metrics.update(d_loss=d_loss.item(), d_real=real_logits.mean().item(), d_fake=fake_logits.mean().item())

    # 3. Generator: reconstruction (+ critics' verdicts, feature matching, sync).
    weight = L.mouth_weight_map(cfg.size, cfg.mouth_weight, real.device, cfg.eye_weight)
    l1 = L.reconstruction(fake, real, weight)
    g_loss = cfg.w_l1 * l1
    metrics["l1"] = l1.item()
    if adversarial:
        logits, feats = models.d_patch(fake[mid], cond_mid)
        t_logits, _ = models.d_temp(fake.view_as(batch.frames))
        g_adv = L.g_adversarial(logits, cfg.adv)
        g_temp = L.g_adversarial(t_logits, cfg.adv)
        fm = L.feature_matching(feats, real_feats)
        g_loss = g_loss + cfg.w_adv * g_adv + cfg.w_temporal * g_temp + cfg.w_fm * fm
        metrics.update(g_adv=g_adv.item(), g_temporal=g_temp.item(), fm=fm.item())
    if models.sync is not None and cfg.w_sync > 0 and bool(batch.speaking.any()):
        speaking = batch.speaking
        sync_logits = models.sync(fake.view_as(batch.frames)[speaking], batch.mel[speaking])
        s_loss = L.sync_loss(sync_logits)
        g_loss = g_loss + cfg.w_sync * s_loss
        metrics["sync"] = s_loss.item()
    models.opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    models.opt_g.step()
    metrics["g_loss"] = g_loss.item()

    # 4. EMA of the generator (plain copy during the first steps, when G changes fastest).
    decay = cfg.ema_decay if step >= cfg.ema_start else 0.0
    with torch.no_grad():
        for p_ema, p in zip(models.g_ema.parameters(), _unwrap(models.g).parameters()):
            p_ema.lerp_(p.detach(), 1.0 - decay)
    return metrics


def build_models(cfg: TrainConfig, device: torch.device, distributed: bool) -> Models:
    """Networks + optimisers; DDP-wrapped when running under torchrun."""
    torch.manual_seed(cfg.seed)
    g = AvatarGenerator(cfg).to(device)
    g_ema = copy.deepcopy(g).eval().requires_grad_(False)
    d_patch: nn.Module = PatchDiscriminator(cfg.size, cfg.d_channels).to(device)
    d_temp: nn.Module = TemporalDiscriminator(3, cfg.td_channels).to(device)
    sync = None
    if cfg.sync_expert and cfg.w_sync > 0:
        sync = SyncExpert().to(device)
        sync.load_state_dict(torch.load(cfg.sync_expert, map_location=device, weights_only=True))
        sync.eval().requires_grad_(False)
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    opt_d = torch.optim.Adam([*d_patch.parameters(), *d_temp.parameters()], lr=cfg.lr_d, betas=cfg.betas)
    g_mod: nn.Module = g
    if distributed:
        ids = [device.index] if device.type == "cuda" else None
        g_mod, d_patch, d_temp = (DistributedDataParallel(m, device_ids=ids) for m in (g, d_patch, d_temp))
    return Models(g_mod, g_ema, d_patch, d_temp, sync, opt_g, opt_d)


def _state(models: Models, cfg: TrainConfig, step: int) -> dict[str, Any]:
    cfg_dict = asdict(cfg)
    return {
        "step": step,
        "config": json.dumps(cfg_dict),
        "G": _unwrap(models.g).state_dict(),
        "G_ema": models.g_ema.state_dict(),
        "D_patch": _unwrap(models.d_patch).state_dict(),
        "D_temporal": _unwrap(models.d_temp).state_dict(),
        "opt_g": models.opt_g.state_dict(),
        "opt_d": models.opt_d.state_dict(),
    }


def _restore(models: Models, state: dict[str, Any]) -> int:
    _unwrap(models.g).load_state_dict(state["G"])
    models.g_ema.load_state_dict(state["G_ema"])
    _unwrap(models.d_patch).load_state_dict(state["D_patch"])
    _unwrap(models.d_temp).load_state_dict(state["D_temporal"])
    models.opt_g.load_state_dict(state["opt_g"])
    models.opt_d.load_state_dict(state["opt_d"])
    return int(state["step"])


def sample_sheet(g_ema: AvatarGenerator, reference: torch.Tensor, batch: TripletBatch) -> np.ndarray:
    """Rows of (actor | GAN | |difference| x 3) for the middle frame of each triplet; uint8 image."""
    with torch.no_grad():
        mid = batch.frames[:, 1]
        fake = g_ema(reference, batch.motion[:, 1], batch.emotion, batch.intensity)
    real_u8, fake_u8 = tensor_to_frames(mid), tensor_to_frames(fake)
    diff = np.clip(np.abs(real_u8.astype(np.int16) - fake_u8.astype(np.int16)) * 3, 0, 255).astype(np.uint8)
    rows = [np.concatenate([r, f, d], axis=1) for r, f, d in zip(real_u8, fake_u8, diff)]
    return np.concatenate(rows, axis=0)


def _setup_distributed(cfg: TrainConfig) -> tuple[bool, int, int, torch.device]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return False, 0, 1, torch.device("cpu")
    cuda = torch.cuda.is_available()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    rank = dist.get_rank()
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local}") if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    return True, rank, world, device


def train(cfg: TrainConfig) -> Path:
    """Run (or resume) training; returns the run folder. Rank 0 writes everything."""
    return run_training(cfg)[0]


def run_training(cfg: TrainConfig) -> tuple[Path, Models]:
    """`train` that also returns the trained modules (used by the DDP replica test)."""
    import cv2

    torch.set_num_threads(cfg.threads)
    distributed, rank, world, device = _setup_distributed(cfg)
    run = Path(cfg.run_dir)
    if rank == 0:
        run.mkdir(parents=True, exist_ok=True)
        (run / "config.json").write_text(json.dumps(asdict(cfg), indent=2) + "\n")
    data = TripletDataset(cfg.data_dir, "seq", max_items=cfg.max_items or None)
    if data.size != cfg.size:
        raise ValueError(f"Data in {cfg.data_dir} is {data.size}px but TrainConfig.size is {cfg.size}.")
    reference = frames_to_tensor(data.reference_frame())[None].to(device)  # (1, 3, S, S)
    sampler: DistributedSampler[Any] | None = None
    if distributed:
        sampler = DistributedSampler(data, world, rank, shuffle=True, seed=cfg.seed, drop_last=True)
    loader = DataLoader(data, cfg.batch_size, shuffle=sampler is None, sampler=sampler, drop_last=True,
                        collate_fn=collate, num_workers=cfg.num_workers,
                        generator=torch.Generator().manual_seed(cfg.seed + rank))
    if len(loader) == 0:
        raise ValueError(f"Dataset has {len(data)} triplets, fewer than one batch of {cfg.batch_size}.")
    models = build_models(cfg, device, distributed)
    step = 0
    ckpt = run / "checkpoint.pt"
    if ckpt.is_file():
        step = _restore(models, load_training(ckpt))
        # The config wins over the optimisers' saved learning rates (a resumed run may change them).
        for opt, lr in ((models.opt_g, cfg.lr_g), (models.opt_d, cfg.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr
    try:
        test = TripletDataset(cfg.data_dir, "test_seq", max_items=None)
        idx = np.linspace(0, len(test) - 1, 6).astype(int)
    except FileNotFoundError:
        test, idx = data, np.arange(min(6, len(data)))
    sheet_batch = collate([test[int(i)] for i in idx])
    sheet_batch = TripletBatch(**{k: getattr(sheet_batch, k).to(device) for k in sheet_batch.__dataclass_fields__})
    # SIGTERM (kill, a scheduler's pre-emption) ends the run cleanly: checkpoint, then return.
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    t0, last_ckpt = time.monotonic(), time.monotonic()
    bar = tqdm(total=cfg.steps, initial=step, desc="train", disable=rank != 0, mininterval=10)
    epoch = step // len(loader)
    done = step >= cfg.steps
    while not done:
        if sampler is not None:
            sampler.set_epoch(epoch)
        for batch in loader:
            batch = TripletBatch(**{k: getattr(batch, k).to(device) for k in batch.__dataclass_fields__})
            metrics = train_step(models, batch, reference, cfg, step)
            step += 1
            bar.update(1)
            out_of_time = stop.is_set() or (cfg.max_minutes > 0 and time.monotonic() - t0 > 60 * cfg.max_minutes)
            if distributed:  # every rank must agree to stop
                flag = torch.tensor([float(out_of_time)], device=device)
                dist.all_reduce(flag)
                out_of_time = bool(flag.item() > 0)
            done = step >= cfg.steps or out_of_time
            if rank == 0 and (step % cfg.log_every == 0 or done):
                line = {"step": step, "time_s": round(time.monotonic() - t0, 1), **metrics}
                with (run / "metrics.jsonl").open("a") as f:
                    f.write(json.dumps(line) + "\n")
                bar.set_postfix(l1=f"{metrics['l1']:.4f}")
            if rank == 0 and (step % cfg.sample_every == 0 or done):
                sheet = sample_sheet(models.g_ema, reference, sheet_batch)
                (run / "samples").mkdir(exist_ok=True)
                cv2.imwrite(str(run / "samples" / f"step_{step:06d}.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
            if rank == 0 and (done or time.monotonic() - last_ckpt > 60 * cfg.ckpt_minutes):
                save_training(ckpt, _state(models, cfg, step))
                last_ckpt = time.monotonic()
            if done:
                break
        epoch += 1
    bar.close()
    if distributed:
        dist.barrier()
    return run, models


def config_from_args(argv: list[str] | None = None) -> TrainConfig:
    """Command line from the config's fields: --field value (tuples as comma lists)."""
    from gan.training.cli import config_from_argv

    return config_from_argv(TrainConfig, argv, "Train the talking-head GAN.")


def main(argv: list[str] | None = None) -> None:
    """Entry point of `gan-train`."""
    cfg = config_from_args(argv)
    run = train(cfg)
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"run folder: {run}")
    if dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
