"""Train the avatar v2 GAN at 256x256: `gan-train --data_dir data/gan_v2 --run_dir runs/avatar_v2`.

Each step renders triplets of consecutive frames with RigGenerator from their rig numbers, then
`train_step` updates the critics (hinge patch critic conditioned by projection + temporal critic)
and G (keypoint-weighted L1 + multi-scale L1 + feature matching + adversarial + frozen sync
expert on the mouth crop). An EMA copy of G ships. Built for 2 shared CPU cores over many
sessions: resumable (<run_dir>/checkpoint.pt, loaded with weights_only=True), SIGTERM-safe,
periodic sample sheets, and small EMA exports (<run_dir>/avatar/, a few MB) that can be committed
and passed to --init_from on a new machine.

    nice -n 10 gan-train --run_dir runs/avatar_v2 --threads 2 > runs/avatar_v2.log 2>&1 &
"""

from __future__ import annotations

import copy
import json
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from gan.checkpoint import export_rig_generator, load_rig_generator, load_training, save_training
from gan.data.rig_corpus import RigBatch, RigCorpus, RigTriplets, collate_rig
from gan.images import frames_to_tensor
from gan.networks import PatchDiscriminator, RigGenerator, SyncExpert, TemporalDiscriminator
from gan.networks.keypoints import KeypointBasis, load_keypoint_basis
from gan.networks.rig_generator import conditioning
from gan.training import loss as L
from gan.training.config import TrainConfig
from gan.training.samples import sample_sheet, write_png

MOUTH_WORDS = ("lip", "mouth", "teeth", "tongue")  # sketch channel names that belong to the mouth region
EYE_WORDS = ("lid", "eye", "iris", "brow")  # ... to the eyes region


@dataclass
class RigModels:
    """The modules and optimisers of a v2 run."""

    g: RigGenerator
    g_ema: RigGenerator
    d_patch: PatchDiscriminator
    d_temp: TemporalDiscriminator
    sync: SyncExpert | None
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    regions: list[tuple[torch.Tensor, float]]  # (keypoint indices, L1 weight) of the eyes and mouth


def region_keypoints(layout: list[dict[str, Any]], words: tuple[str, ...]) -> list[int]:
    """Keypoint indices of the sketch channels whose name contains one of `words`."""
    idx = {i for ch in layout if any(w in ch["name"].lower() for w in words)
           for i in [*(j for s in ch["segments"] for j in s), *ch["points"]]}
    return sorted(idx)


def mouth_box(g: RigGenerator, layout: list[dict[str, Any]], size: int) -> tuple[int, int, int, int]:
    """(top, left, h, w) around G's mouth keypoints at rest, 2x the mouth's width, for the sync expert."""
    idx = region_keypoints(layout, MOUTH_WORDS)
    if not idx:
        raise ValueError("No sketch channel of the keypoint basis names a mouth part (lip, mouth, ...).")
    with torch.no_grad():
        rest = g.sketch.keypoints(torch.zeros(1, g.rig_dim), torch.zeros(1, 3))[0, idx].numpy() * size
    side = int(np.clip(2.0 * np.ptp(rest[:, 0]), size / 8, size / 2)) // 4 * 4
    cx, cy = rest.mean(axis=0)
    top = int(np.clip(round(cy - side / 2), 0, size - side))
    left = int(np.clip(round(cx - side / 2), 0, size - side))
    return top, left, side, side


def train_step(m: RigModels, batch: RigBatch, cfg: TrainConfig, step: int) -> dict[str, float]:
    """One critic update (once adversarial) and one G update; returns scalar metrics."""
    b, k = batch.frames.shape[:2]
    real = batch.frames.flatten(0, 1)  # (B*3, 3, S, S)
    rig, pose = batch.rig.flatten(0, 1), batch.pose.flatten(0, 1)  # (B*3, K), (B*3, 3)
    emotion = batch.emotion.repeat_interleave(k, 0)  # (B*3, E)
    intensity = batch.intensity.repeat_interleave(k, 0)  # (B*3, 1)
    cond = conditioning(rig, pose, emotion, intensity)
    adversarial = step >= cfg.adv_start
    metrics: dict[str, float] = {}

    # 1. Generate the triplets.
    fake = m.g(rig, pose, emotion, intensity)  # (B*3, 3, S, S)

    # 2. Critics on real vs detached fake (patch critic: middle frames only, a third of the cost).
    mid = torch.arange(b) * k + k // 2
    real_feats: list[torch.Tensor] = []
    if adversarial:
        logits, feats = m.d_patch(torch.cat([real[mid], fake[mid].detach()]), torch.cat([cond[mid], cond[mid]]))
        real_logits, fake_logits = logits.chunk(2)
        real_feats = [f.chunk(2)[0].detach() for f in feats]
        t_real, t_fake = m.d_temp(torch.cat([batch.frames, fake.detach().view_as(batch.frames)]))[0].chunk(2)
        d_loss = L.d_adversarial(real_logits, fake_logits) + cfg.w_temporal * L.d_adversarial(t_real, t_fake)
        m.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        m.opt_d.step()
        metrics.update(d_loss=d_loss.item(), d_real=real_logits.mean().item(), d_fake=fake_logits.mean().item())

    # 3. Generator: weighted L1 where the keypoints say the mouth and eyes are, multi-scale L1, critics, sync.
    with torch.no_grad():
        weight = L.keypoint_weight_map(m.g.sketch.keypoints(rig, pose), m.regions, cfg.size)
    l1 = L.reconstruction(fake, real, weight)
    ms = L.multiscale_l1(fake, real)
    g_loss = cfg.w_l1 * l1 + cfg.w_multiscale * ms
    metrics.update(l1=l1.item(), l1_multiscale=ms.item())
    if adversarial:
        logits, feats = m.d_patch(fake[mid], cond[mid])
        g_adv = L.g_adversarial(logits)
        g_temp = L.g_adversarial(m.d_temp(fake.view_as(batch.frames))[0])
        fm = L.feature_matching(feats, real_feats)
        g_loss = g_loss + cfg.w_adv * g_adv + cfg.w_temporal * g_temp + cfg.w_fm * fm
        metrics.update(g_adv=g_adv.item(), g_temporal=g_temp.item(), fm=fm.item())
    if m.sync is not None and bool(batch.speaking.any()):
        s = batch.speaking
        s_loss = L.sync_loss(m.sync(fake.view_as(batch.frames)[s], batch.mel[s]))
        g_loss = g_loss + cfg.w_sync * s_loss
        metrics["sync"] = s_loss.item()
    m.opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    m.opt_g.step()
    metrics["g_loss"] = g_loss.item()

    # 4. EMA (a plain copy in the first steps, when G changes fastest).
    decay = cfg.ema_decay if step >= cfg.ema_start else 0.0
    with torch.no_grad():
        for p_ema, p in zip(m.g_ema.parameters(), m.g.parameters()):
            p_ema.lerp_(p.detach(), 1.0 - decay)
    return metrics


def _sync_expert(cfg: TrainConfig, corpus: RigCorpus, test: RigCorpus | None, box: tuple[int, int, int, int],
                 log: Any) -> SyncExpert | None:
    """The frozen v2 sync expert: loaded, or pretrained once on the corpus' speaking triplets."""
    if cfg.w_sync <= 0:
        return None
    from gan.training.sync_expert import SyncPairs, fit_sync_expert

    path = Path(cfg.sync_expert or Path(cfg.run_dir) / "sync_expert.pt")
    expert = SyncExpert(mouth_box=box)
    if not path.is_file():
        log(f"pretraining the sync expert on mouth box {box} for {cfg.sync_steps} steps -> {path}")
        pairs = test_pairs = SyncPairs(corpus, cfg.seed)
        if test is not None and bool(test.arrays["speaking"][test.centres].any()):
            test_pairs = SyncPairs(test, cfg.seed + 1)
        result = fit_sync_expert(expert, pairs, test_pairs, path, cfg.sync_steps, 16, 1e-3)
        log(f"sync expert: {result}")
    expert.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return expert.eval().requires_grad_(False)


def build_models(cfg: TrainConfig, g_kwargs: dict[str, Any], basis: KeypointBasis | None) -> RigModels:
    """Networks + optimisers (sync expert set later); G's keypoint buffers from `basis` (None when resuming)."""
    torch.manual_seed(cfg.seed)
    g = RigGenerator(**g_kwargs)
    if basis is not None:
        g.load_basis(basis)
    g_ema = copy.deepcopy(g).eval().requires_grad_(False)
    cond_dim = g.rig_dim + 3 + 2 * g.n_emotions + 1
    d_patch = PatchDiscriminator(cfg.size, cfg.d_channels, cond_dim)
    d_temp = TemporalDiscriminator(3, cfg.td_channels)
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    opt_d = torch.optim.Adam([*d_patch.parameters(), *d_temp.parameters()], lr=cfg.lr_d, betas=cfg.betas)
    layout = g_kwargs["sketch_layout"]
    regions = [(torch.tensor(region_keypoints(layout, words)), w)
               for words, w in ((EYE_WORDS, cfg.eye_weight), (MOUTH_WORDS, cfg.mouth_weight))]
    return RigModels(g, g_ema, d_patch, d_temp, None, opt_g, opt_d, [r for r in regions if len(r[0])])


def _state(m: RigModels, cfg: TrainConfig, g_kwargs: dict[str, Any], step: int) -> dict[str, Any]:
    return {"step": step, "config": json.dumps(asdict(cfg)), "generator_version": 2,
            "generator_kwargs": json.dumps(g_kwargs), "G": m.g.state_dict(), "G_ema": m.g_ema.state_dict(),
            "D_patch": m.d_patch.state_dict(), "D_temporal": m.d_temp.state_dict(),
            "opt_g": m.opt_g.state_dict(), "opt_d": m.opt_d.state_dict()}


def _restore(m: RigModels, state: dict[str, Any], cfg: TrainConfig) -> int:
    m.g.load_state_dict(state["G"])
    m.g_ema.load_state_dict(state["G_ema"])
    m.d_patch.load_state_dict(state["D_patch"])
    m.d_temp.load_state_dict(state["D_temporal"])
    m.opt_g.load_state_dict(state["opt_g"])
    m.opt_d.load_state_dict(state["opt_d"])
    for opt, lr in ((m.opt_g, cfg.lr_g), (m.opt_d, cfg.lr_d)):  # the config wins over saved learning rates
        for group in opt.param_groups:
            group["lr"] = lr
    return int(state["step"])


def export_ema(m: RigModels, cfg: TrainConfig, g_kwargs: dict[str, Any], corpus: RigCorpus, step: int,
               folder: Path) -> None:
    """Write the EMA generator as an inference checkpoint (config.json + model.safetensors)."""
    export_rig_generator(folder, m.g_ema, g_kwargs, corpus.kept, corpus.emotions,
                         {"fps": 25, "trained_steps": step, "training_config": asdict(cfg)})


def _setup_generator(cfg: TrainConfig, corpus: RigCorpus, state: dict[str, Any] | None,
                     log: Callable[[str], None]) -> tuple[RigModels, dict[str, Any], int]:
    """Models for a resumed run (state), a new run from an EMA export (init_from, optionally retargeted to
    the current basis and reference) or a fresh run; returns (models, generator kwargs, step)."""
    start = load_rig_generator(cfg.init_from) if state is None and cfg.init_from else None
    basis: KeypointBasis | None = None
    if state is not None:  # the basis' numbers and layout travel in the checkpoint...
        g_kwargs = json.loads(state["generator_kwargs"])
    elif start is not None and not cfg.retarget:  # ... and in an EMA export
        if start.kept != corpus.kept:
            raise ValueError(f"{cfg.init_from} was trained on rig columns {start.kept}, the corpus has {corpus.kept}.")
        g_kwargs = start.config["generator"]
    else:
        basis = load_keypoint_basis(cfg.basis)
        if basis.kept != corpus.kept:
            raise ValueError(f"The corpus' rig columns {corpus.kept} differ from the keypoint basis' {basis.kept}.")
        g_kwargs = cfg.generator_kwargs(basis, len(corpus.emotions))
    m = build_models(cfg, g_kwargs, basis)
    if state is not None:
        step = _restore(m, state, cfg)
        log(f"resumed {Path(cfg.run_dir) / 'checkpoint.pt'} at step {step}")
        return m, g_kwargs, step
    if start is not None:
        weights = start.generator.state_dict()
        if cfg.retarget:  # keep the decoder; new keypoints (basis) and canvases (reference)
            weights = {k: v for k, v in weights.items() if not k.startswith("sketch.")}
        m.g.load_state_dict(weights, strict=not cfg.retarget)
        log(f"new run starting from {cfg.init_from}{' (retargeted)' if cfg.retarget else ''}")
    if start is None or cfg.retarget or cfg.init_identity:
        m.g.init_identity(frames_to_tensor(corpus.reference)[None])
    m.g_ema.load_state_dict(m.g.state_dict())
    return m, g_kwargs, 0


def train(cfg: TrainConfig, progress: bool = False) -> tuple[Path, RigModels]:
    """Run (or resume) a v2 training run; returns the run folder and the models. `progress` shows a tqdm bar
    (metric lines then go above it)."""
    torch.set_num_threads(cfg.threads)
    run = Path(cfg.run_dir)
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.json").write_text(json.dumps(asdict(cfg), indent=2) + "\n")

    def log(msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        tqdm.write(line)
        with (run / "train.log").open("a") as f:
            f.write(line + "\n")

    cache = Path(cfg.cache_dir or run / "cache")
    corpus = RigCorpus(cfg.data_dir, "seq", cache)
    try:
        test: RigCorpus | None = RigCorpus(cfg.data_dir, "test_seq", cache)
    except FileNotFoundError:
        test = None
    if corpus.size != cfg.size:
        raise ValueError(f"The corpus in {cfg.data_dir} is {corpus.size} px but TrainConfig.size is {cfg.size}.")
    ckpt = run / "checkpoint.pt"
    m, g_kwargs, step = _setup_generator(cfg, corpus, load_training(ckpt) if ckpt.is_file() else None, log)
    m.sync = _sync_expert(cfg, corpus, test, mouth_box(m.g, g_kwargs["sketch_layout"], cfg.size), log)
    data = RigTriplets(corpus, cfg.max_items or None)
    loader = DataLoader(data, cfg.batch_size, shuffle=True, drop_last=True, collate_fn=collate_rig,
                        generator=torch.Generator().manual_seed(cfg.seed + step))
    if len(loader) == 0:
        raise ValueError(f"The corpus has {len(data)} triplets, fewer than one batch of {cfg.batch_size}.")
    sheet_src, sheet_kind = data, "training"
    if test is not None and len(RigTriplets(test)) > 0:
        sheet_src, sheet_kind = RigTriplets(test), "held out"
    sheet = collate_rig([sheet_src[int(i)] for i in np.linspace(0, len(sheet_src) - 1, 6).astype(int)])
    stop = threading.Event()  # SIGTERM ends the run cleanly: checkpoint and export, then return
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    log(f"training {len(data)} triplets ({len(corpus)} frames) from step {step}, batch {cfg.batch_size}, "
        f"{cfg.threads} threads")
    t0 = last_ckpt = last_export = time.monotonic()
    t_log, step_log, done = time.monotonic(), step, step >= cfg.steps
    bar = tqdm(total=cfg.steps, initial=step, desc="training", unit="step", disable=not progress)
    while not done:
        for batch in loader:
            metrics = train_step(m, batch, cfg, step)
            step += 1
            bar.set_postfix(l1=f"{metrics['l1']:.3f}", refresh=False)
            bar.update(1)
            now = time.monotonic()
            done = step >= cfg.steps or stop.is_set() or (cfg.max_minutes > 0 and now - t0 > 60 * cfg.max_minutes)
            if step % cfg.log_every == 0 or done:
                sec = (now - t_log) / (step - step_log)
                t_log, step_log = now, step
                with (run / "metrics.jsonl").open("a") as f:
                    f.write(json.dumps({"step": step, "time_s": round(now - t0, 1), "s_per_step": sec, **metrics})
                            + "\n")
                log(f"step {step} {sec:.2f} s/step " + " ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
            if step % cfg.sample_every == 0 or done:
                image, scores = sample_sheet(m.g_ema, sheet)
                write_png(run / "samples" / f"step_{step:07d}.png", image)
                with (run / "samples" / "scores.jsonl").open("a") as f:
                    f.write(json.dumps({"step": step, "sheet": sheet_kind, **scores}) + "\n")
                log(f"step {step} EMA on the sample sheet ({sheet_kind}): " +
                    " ".join(f"{k}={v:.4f}" for k, v in scores.items()))
            if done or now - last_ckpt > 60 * cfg.ckpt_minutes:
                save_training(ckpt, _state(m, cfg, g_kwargs, step))
                last_ckpt = now
            if done or now - last_export > 60 * cfg.export_minutes:
                export_ema(m, cfg, g_kwargs, corpus, step, run / "avatar")
                last_export = now
            if done:
                break
        if not done and len(list(Path(cfg.data_dir).glob("seq_*.npz"))) != len(corpus.shards):
            corpus = RigCorpus(cfg.data_dir, "seq", cache)  # the corpus builder added sequences: take them in
            data = RigTriplets(corpus, cfg.max_items or None)
            loader = DataLoader(data, cfg.batch_size, shuffle=True, drop_last=True, collate_fn=collate_rig,
                                generator=torch.Generator().manual_seed(cfg.seed + step))
            log(f"corpus now {len(data)} triplets ({len(corpus)} frames)")
    bar.close()
    log(f"stopped at step {step}; EMA checkpoint in {run / 'avatar'}")
    return run, m


def main(argv: list[str] | None = None) -> None:
    """Entry point of `gan-train`."""
    from gan.training.cli import config_from_argv

    cfg = config_from_argv(TrainConfig, argv, "Train the avatar v2 GAN (256x256, rig-conditioned).")
    run, _ = train(cfg)
    print(f"run folder: {run}")


if __name__ == "__main__":
    main()

