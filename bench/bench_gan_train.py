"""Step time of the avatar v2 GAN trainer at 256x256 on this machine (issue 14: training on 2 cores).

    .venv/bin/python bench/bench_gan_train.py --data_dir data/gan_v2 [--basis STEM] [--batch 2 4 8]

Times `train_step` (critics on: the full step) for each batch size after 2 warm-up steps, with
the sync expert untrained but in the graph (same cost as a trained one), and prints s/step,
triplets/s, peak RSS, the same-process yardstick (bench_gan.yardstick_gflops) and the load average.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from bench.bench_gan import yardstick_gflops
from gan.data.rig_corpus import RigCorpus, RigTriplets, collate_rig
from gan.networks import SyncExpert
from gan.networks.keypoints import load_keypoint_basis
from gan.training.config import DEFAULT_BASIS, TrainConfig
from gan.training.train import build_models, mouth_box, train_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", required=True)
    parser.add_argument("--basis", default=DEFAULT_BASIS)
    parser.add_argument("--batch", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {platform.platform()} | cpu_count={os.cpu_count()} | torch {torch.__version__} "
          f"threads={args.threads} | load avg {os.getloadavg()}")
    print(f"yardstick (conv 32->32 3x3 at 128x128): {yardstick_gflops(20):.1f} GFLOP/s")
    basis = load_keypoint_basis(args.basis)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = RigCorpus(args.data_dir, "seq", Path(tmp))
        data = RigTriplets(corpus)
        cfg = replace(TrainConfig(), size=corpus.size, adv_start=0, threads=args.threads)
        g_kwargs = cfg.generator_kwargs(basis, len(corpus.emotions))
        for batch_size in args.batch:
            m = build_models(cfg, g_kwargs, basis)
            m.sync = SyncExpert(mouth_box=mouth_box(m.g, g_kwargs["sketch_layout"], cfg.size)).eval()
            m.sync.requires_grad_(False)
            batches = [collate_rig([data[(i * batch_size + j) % len(data)] for j in range(batch_size)])
                       for i in range(args.steps + 2)]
            batches = [replace(b, speaking=torch.ones_like(b.speaking)) for b in batches]  # sync loss every step
            times = []
            for step, b in enumerate(batches):
                t = time.perf_counter()
                train_step(m, b, cfg, cfg.ema_start + step)
                if step >= 2:
                    times.append(time.perf_counter() - t)
            sec = statistics.median(times)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"batch {batch_size:2d} triplets ({3 * batch_size} frames): {sec:6.2f} s/step, "
                  f"{batch_size / sec:5.2f} triplets/s, peak RSS {rss:.0f} MB")
    print(f"yardstick again: {yardstick_gflops(20):.1f} GFLOP/s | load avg {os.getloadavg()}")


if __name__ == "__main__":
    main()
