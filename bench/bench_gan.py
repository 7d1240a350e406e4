"""Speed of the shipped avatar on this machine (issue 5's speed bars).

    .venv/bin/python bench/bench_gan.py [--repeats 5] [--checkpoint DIR]

Prints the machine (platform, CPU count, torch threads), then medians over repeats of:
1. renderer frames/s at the shipped resolution for several batch sizes (generator only);
2. whole clip (speech synthesis + audio-to-motion + rendering + mp4 encoding) time / duration;
3. time to the first streamed chunk.
Bars: renderer >= 25 frames/s; whole clip <= 0.5 x its duration; first chunk <= 1 s.

    .venv/bin/python bench/bench_gan.py --onnx V2_CHECKPOINT_DIR [--repeats 5]

Avatar v2 (issue 14/15): GFLOP/frame (torch.utils.flop_counter; budget <= 0.4 at 256x256), then
torch and onnxruntime (exported with gan-export-onnx) frames/s on ONE thread at batch 1 and 8,
beside a same-process yardstick (a fixed 3x3 conv's GFLOP/s on one thread) and the load average,
since this shared VM's speed drifts with the team's jobs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
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
    if pipe._performer is not None:  # avatar v2: a silent happy performance's rig numbers
        perf = pipe._perform(batch, "happy", 0.8, None)
        render = partial(pipe._render_rig, perf)
    else:
        render = partial(pipe._render, motion, emotion, 0.8)
    render()  # warm-up (oneDNN picks its kernels per shape)
    rates = []
    for _ in range(repeats):
        t = time.perf_counter()
        render()
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


def yardstick_gflops(repeats: int) -> float:
    """GFLOP/s of a fixed conv (1, 32, 128, 128) 3x3 32 -> 32 (0.30 GFLOP) on the current threads."""
    x, conv = torch.randn(1, 32, 128, 128), torch.nn.Conv2d(32, 32, 3, padding=1)
    with torch.no_grad():
        conv(x)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            conv(x)
            times.append(time.perf_counter() - t)
    return 2 * 128 * 128 * 32 * 32 * 9 / statistics.median(times) / 1e9


def bench_onnx(checkpoint: str, repeats: int) -> None:
    """Avatar v2: GFLOP/frame, torch and onnxruntime frames/s on one thread at batch 1 and 8."""
    import onnxruntime as ort

    from gan.checkpoint import load_rig_generator
    from gan.export_onnx import INPUT_NAMES, example_inputs, export, gflop_per_frame

    torch.set_num_threads(1)
    model = load_rig_generator(checkpoint)
    g = model.generator
    print(f"load avg at start: {os.getloadavg()}")
    print(f"v2 generator {g.size}x{g.size}: {gflop_per_frame(g, example_inputs(g, 1)):.3f} GFLOP/frame "
          f"(budget <= 0.4), {sum(p.numel() for p in g.parameters()) / 1e6:.2f} M parameters")
    print(f"yardstick (conv 32->32 3x3 at 128x128, 1 thread): {yardstick_gflops(repeats * 4):.1f} GFLOP/s")
    with tempfile.TemporaryDirectory() as tmp:
        export(model, tmp)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = 1
        session = ort.InferenceSession(str(Path(tmp) / "generator.onnx"), opts, providers=["CPUExecutionProvider"])
        for batch in (1, 8):
            inputs = example_inputs(g, batch)
            feeds = {n: t.numpy() for n, t in zip(INPUT_NAMES, inputs)}
            runs: dict[str, Callable[[], object]] = {
                "torch": partial(g, *inputs), "onnxruntime": partial(session.run, None, feeds)}
            for name, run in runs.items():
                with torch.no_grad():
                    run()  # warm-up
                    times = []
                    for _ in range(repeats):
                        t = time.perf_counter()
                        run()
                        times.append(time.perf_counter() - t)
                print(f"{name:11s} 1 thread batch {batch}: {batch / statistics.median(times):6.1f} frames/s")
    print(f"yardstick again: {yardstick_gflops(repeats * 4):.1f} GFLOP/s; load avg at end: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--checkpoint", default="")
    parser.add_argument("--onnx", default="", help="avatar v2 checkpoint: GFLOP and onnxruntime speed only")
    args = parser.parse_args()
    print(f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
          f"cpu_count={os.cpu_count()} | torch {torch.__version__}")
    if args.onnx:
        bench_onnx(args.onnx, args.repeats)
        return
    t = time.perf_counter()
    pipe = TalkingHeadPipeline.from_pretrained(args.checkpoint or None)
    load_s = time.perf_counter() - t
    print(f"torch threads={torch.get_num_threads()}")
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
