"""Speed of the shipped avatar on this machine (issue 5's speed bars).

    .venv/bin/python bench/bench_gan.py [--repeats 5] [--checkpoint DIR]

Prints the machine (platform, CPU count, torch threads), then medians over repeats of:
1. renderer frames/s at the shipped resolution for several batch sizes (generator only);
2. whole clip (speech synthesis + audio-to-motion + rendering + mp4 encoding) time / duration;
3. time to the first streamed chunk.
Bars: renderer >= 25 frames/s; whole clip <= 0.5 x its duration; first chunk <= 1 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from gan.pipeline import TalkingHeadPipeline
from gan.rig.params import MOTION_DIM

SENTENCES = [
    "Nice work, three quarters is right!",
    "Let's look at equivalent fractions together. What do you get when you double the top and the bottom?",
    "Not quite. Try adding the two numbers first, then divide by four.",
]


def bench_renderer(pipe: TalkingHeadPipeline, batch: int, repeats: int) -> float:
    """Median frames/s of the generator alone on `batch` random-pose frames."""
    rng = np.random.default_rng(0)
    motion = np.zeros((batch, MOTION_DIM), np.float32)
    motion[:, 0] = rng.uniform(0, 0.8, batch)
    emotion = np.array([0.0, 1.0, 0.0, 0.0, 0.0], np.float32)
    pipe._render(motion, emotion, 0.8)  # warm-up (oneDNN picks its kernels per shape)
    rates = []
    for _ in range(repeats):
        t = time.perf_counter()
        pipe._render(motion, emotion, 0.8)
        rates.append(batch / (time.perf_counter() - t))
    return statistics.median(rates)


def bench_clip(pipe: TalkingHeadPipeline, text: str, repeats: int) -> tuple[float, float]:
    """Median (seconds to speak + encode mp4, clip duration)."""
    times, duration = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            t = time.perf_counter()
            clip = pipe.speak(text, emotion="happy")
            clip.save(Path(tmp) / "clip.mp4")
            times.append(time.perf_counter() - t)
            duration = clip.duration
    return statistics.median(times), duration


def bench_first_chunk(pipe: TalkingHeadPipeline, text: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        next(iter(pipe.stream(text, emotion="encouraging")))
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--checkpoint", default="")
    args = parser.parse_args()
    t = time.perf_counter()
    pipe = TalkingHeadPipeline.from_pretrained(args.checkpoint or None)
    load_s = time.perf_counter() - t
    print(
        f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
        f"cpu_count={os.cpu_count()} | torch {torch.__version__} threads={torch.get_num_threads()}"
    )
    print(f"load avg at start: {os.getloadavg()}")
    print(f"pipeline load (checkpoint + voice + warm-up): {load_s:.2f} s")
    print(f"resolution: {pipe.size}x{pipe.size} at {pipe.fps:.0f} fps")
    for batch in (1, 8, 32, 64):
        print(f"renderer batch {batch:3d}: {bench_renderer(pipe, batch, args.repeats):7.1f} frames/s (bar >= 25)")
    for text in SENTENCES:
        secs, dur = bench_clip(pipe, text, args.repeats)
        print(f"whole clip {dur:5.2f} s of video in {secs:5.2f} s -> ratio {secs / dur:.2f} (bar <= 0.5)")
    first = bench_first_chunk(pipe, " ".join(SENTENCES), args.repeats)
    print(f"first streamed chunk: {first:.2f} s (bar <= 1 s)")
    print(f"load avg at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
