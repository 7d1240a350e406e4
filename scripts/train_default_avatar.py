"""Reproduce the shipped default avatar (gan/weights/default_avatar) on a CPU machine.

    python scripts/build_gan_dataset.py --out data/gan_v2 --split train   # (and --split speech, test)
    python scripts/train_default_avatar.py --data data/gan_v2 --minutes 88 --steps 9500 --adv_start 7000 \
        --w_sync 0.1 --threads 2 --ema_decay 0.999 --eye_weight 3 --mouth_weight 6 --lr_g 0.001
    # (the shipped avatar: 9,500 steps in 47 min on an idle 2-core machine)

Steps (each skipped when its output exists, so the script resumes): 1. pretrain the sync expert;
2. train the GAN (resumes runs/avatar/checkpoint.pt) for the given wall-clock minutes; 3. pretrain
audio-to-motion (if not done meanwhile); 4. export the EMA generator + identity code + audio2motion.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import torch

from gan.training.export import export_run
from gan.training.pretrain import train_audio2motion, train_sync_expert
from gan.training.train import TrainConfig, config_from_args, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/gan")
    parser.add_argument("--runs", default="runs")
    parser.add_argument("--minutes", type=float, default=80.0, help="GAN training wall-clock budget")
    parser.add_argument("--out", default="gan/weights/default_avatar")
    parser.add_argument("--skip_export", action="store_true")
    args, rest = parser.parse_known_args()
    torch.set_num_threads(2)
    runs = Path(args.runs)
    sync_path, a2m_path = runs / "pretrain" / "sync_expert.pt", runs / "pretrain" / "audio2motion.pt"
    if not sync_path.is_file():
        print("sync expert:", train_sync_expert(args.data, str(sync_path), steps=800, max_minutes=4))
    base: TrainConfig = config_from_args(rest)
    cfg = replace(base, data_dir=args.data, run_dir=str(runs / "avatar"), sync_expert=str(sync_path),
                  max_minutes=args.minutes)
    run = train(cfg)
    if not a2m_path.is_file():  # usually pretrained meanwhile in a separate process (small, 1 thread)
        print("audio2motion:", train_audio2motion(args.data, str(a2m_path), steps=3000, max_minutes=6))
    if not args.skip_export:
        extra = {"pretrain": {"sync_expert": json.loads(sync_path.with_suffix(".json").read_text()),
                              "audio2motion": json.loads(a2m_path.with_suffix(".json").read_text())}}
        print("exported:", export_run(run, a2m_path, args.out, extra=extra))


if __name__ == "__main__":
    main()
