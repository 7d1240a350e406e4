"""TrainConfig: everything an avatar v2 training run depends on (saved as config.json in the run)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gan.networks.keypoints import KeypointBasis
from gan.networks.rig_generator import generator_kwargs_for

DEFAULT_BASIS = "gan/actor/assets/keypoints_v2"  # the actor's keypoint basis (.safetensors + .json)


@dataclass(frozen=True)
class TrainConfig:
    """Avatar v2 GAN training (gan-train); every field is a --flag of the same name."""

    data_dir: str = "data/gan_v3"  # seq_*.npz / test_seq_*.npz shards (scripts/build_gan_dataset.py writes them)
    run_dir: str = "runs/avatar_v2"  # checkpoint.pt, avatar/ (EMA export), samples/, metrics.jsonl, train.log
    cache_dir: str = ""  # memory-mapped frame cache; "" = <run_dir>/cache
    basis: str = DEFAULT_BASIS  # keypoint basis stem (its numbers are copied into G at the first step)
    size: int = 256  # frame side (the corpus' resolution)
    # RigGenerator widths: 0.33 GFLOP/frame at 256 (bench/bench_gan.py --onnx), budget 0.4 (issue 14).
    channels: tuple[int, ...] = (96, 48, 24, 8)  # decoder widths at S/16, S/8, S/4, S/2
    id_channels: tuple[int, ...] = (32, 16, 8)  # identity canvas widths at S/16, S/8, S/4
    convs_low: int = 2  # 3x3 convs at S/16
    convs_quarter: int = 2  # 3x3 convs at S/4
    w_dim: int = 128  # style vector width
    sketch_sigma: float = 0.7  # sketch line width, sketch pixels
    # Critics: 5 stride-2 levels -> 8x8 patch logits at 256 (0.28 GFLOP per image, vs 0.8 for v1's 4
    # wider levels at this size); the temporal critic sees 3 frames at half resolution.
    d_channels: tuple[int, ...] = (16, 32, 64, 128, 192)  # patch critic widths
    td_channels: tuple[int, ...] = (16, 32, 64, 128)  # temporal critic widths
    batch_size: int = 4  # triplets per step (x3 frames)
    steps: int = 200000  # total optimisation steps (a run stops earlier by max_minutes or SIGTERM)
    max_minutes: float = 0.0  # wall-clock budget of this invocation; 0 = unlimited
    lr_g: float = 1e-3  # Adam lr of G
    lr_d: float = 2e-4  # Adam lr of the critics
    betas: tuple[float, float] = (0.5, 0.99)  # Adam betas (pix2pix's beta1 = 0.5)
    adv_start: int = 4000  # reconstruction-only warm-up steps before the critics join
    w_l1: float = 20.0  # weighted L1 (pix2pix's lambda; images in [-1, 1])
    w_multiscale: float = 10.0  # L1 at 1/2 and 1/4 resolution (shape and colour first)
    mouth_weight: float = 4.0  # L1 weight in the box around the mouth keypoints (lip-sync is judged there)
    eye_weight: float = 2.0  # L1 weight in the boxes around lids, irises, brows (expression and gaze)
    w_fm: float = 2.0  # feature matching on the patch critic's features (our perceptual loss, no VGG here)
    w_adv: float = 1.0  # patch adversarial weight (hinge)
    w_temporal: float = 0.5  # temporal adversarial weight
    w_sync: float = 0.3  # frozen sync expert loss weight (0 = off)
    sync_expert: str = ""  # pretrained v2 sync expert state dict; "" = <run_dir>/sync_expert.pt, trained first
    sync_steps: int = 1500  # pretraining steps of the sync expert when it does not exist yet
    ema_decay: float = 0.999  # EMA of G per step (Karras et al. 2018); the EMA ships
    ema_start: int = 500  # plain copy into the EMA before this step
    log_every: int = 25  # steps between metric lines (metrics.jsonl + log)
    sample_every: int = 500  # steps between sample sheets
    ckpt_minutes: float = 10.0  # minutes between training checkpoints (and at the end)
    export_minutes: float = 30.0  # minutes between EMA inference exports to <run_dir>/avatar (and at the end)
    init_from: str = ""  # inference checkpoint (config.json + model.safetensors) to start G from on a new run
    retarget: bool = False  # with init_from: keypoints from --basis, canvases from the corpus (new camera or look)
    init_identity: bool = False  # with init_from: canvases restart from the corpus' reference (a new person's face)
    threads: int = 2  # torch threads (2 cores, shared: run under nice)
    seed: int = 0  # RNG seed
    max_items: int = 0  # use only the first N triplets (0 = all); for tests

    def __post_init__(self) -> None:
        if self.size % 16 != 0:
            raise ValueError("TrainConfig.size must be a multiple of 16.")
        if self.batch_size < 1 or self.steps < 1 or self.threads < 1:
            raise ValueError("TrainConfig.batch_size, steps and threads must be at least 1.")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError("TrainConfig.ema_decay must be in [0, 1).")
        if len(self.channels) != 4 or len(self.id_channels) != 3:
            raise ValueError("TrainConfig needs 4 channels (S/16..S/2) and 3 id_channels (S/16..S/4).")
        if min(self.w_l1, self.w_multiscale, self.w_fm, self.w_adv, self.w_temporal, self.w_sync) < 0:
            raise ValueError("TrainConfig loss weights must not be negative.")
        if self.log_every < 1 or self.sample_every < 1:
            raise ValueError("TrainConfig.log_every and sample_every must be at least 1.")

    @classmethod
    def tiny(cls, data_dir: str, run_dir: str, basis: str) -> TrainConfig:
        """A few-second config for tests: 64 px, small nets, critics from step 2, no sync expert."""
        return cls(data_dir=data_dir, run_dir=run_dir, basis=basis, size=64, channels=(16, 16, 8, 8),
                   id_channels=(8, 8, 8), convs_low=1, convs_quarter=1, w_dim=16, d_channels=(8, 16, 16),
                   td_channels=(8, 16), batch_size=2, steps=6, adv_start=2, ema_start=2, log_every=1,
                   sample_every=3, ckpt_minutes=0.0, export_minutes=0.0, w_sync=0.0, threads=1)

    def generator_kwargs(self, basis: KeypointBasis, n_emotions: int) -> dict[str, Any]:
        """RigGenerator kwargs for this config and basis (stored in checkpoints as JSON)."""
        return generator_kwargs_for(basis, n_emotions, size=self.size, channels=self.channels,
                                    id_channels=self.id_channels, convs_low=self.convs_low,
                                    convs_quarter=self.convs_quarter, w_dim=self.w_dim,
                                    sketch_sigma=self.sketch_sigma)
