"""Speed of an avatar v2 checkpoint on this machine (issue 14's speed bars).

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/bench_gan.py [--checkpoint DIR] [--repeats 3]

DIR: an avatar v2 inference checkpoint (config.json generator_version 2); default the shipped
avatar (gan/weights/default_avatar).
Prints the machine, torch threads and the load average with a same-process yardstick (a fixed
conv's GFLOP/s) at start and end - this shared VM's speed drifts with the team's jobs - then
medians over repeats of:
1. renderer frames/s at the checkpoint's size, batch 1 / 8 / the pipeline's render_batch (bar >= 25
   at render_batch, the batch the pipeline renders with);
2. a whole clip: pipe.speak (speech + motion + render) + mp4 encoding, over the clip's duration
   (bar <= 0.5), with the time of each step;
3. the first streamed chunk of a three-sentence reply (bar <= 1 s).

    .venv/bin/python bench/bench_gan.py --onnx V2_CHECKPOINT_DIR [--repeats 5]

GFLOP/frame (torch.utils.flop_counter; budget <= 0.4 at 256x256), then torch and onnxruntime
(exported with gan-export-onnx) frames/s on ONE thread at batch 1 and 8, beside the yardstick.
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

import torch

from gan.checkpoint import generator_version
from gan.pipeline import DEFAULT_CHECKPOINT, TalkingHeadPipeline

SENTENCES = [
    "Nice work, three quarters is right!",
    "Let's look at equivalent fractions together. What do you get when you double the top and the bottom?",
    "Not quite. Try adding the two numbers first, then divide by four.",
]


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of run() over repeats (after one warm-up call: oneDNN picks kernels per shape)."""
    run()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_renderer(pipe: TalkingHeadPipeline, batch: int, repeats: int) -> float:
    """Median frames/s of the generator alone on `batch` frames of a silent happy performance."""
    perf = pipe.perform(None, "happy", 0.8, n_frames=batch)
    return batch / median_seconds(partial(pipe.render, perf), repeats)


def bench_clip(pipe: TalkingHeadPipeline, text: str, repeats: int) -> dict[str, float]:
    """Median seconds of each step of a spoken clip, and of the whole (pipe.speak + mp4) with its duration."""
    voice = pipe._voice()
    speech = voice.synthesize(text)
    perf = pipe.perform(speech, "happy", 0.8)
    clip = pipe.speak(text, emotion="happy", intensity=0.8)
    with tempfile.TemporaryDirectory() as tmp:
        mp4 = Path(tmp) / "clip.mp4"
        steps: dict[str, Callable[[], object]] = {
            "speech": partial(voice.synthesize, text),
            "motion": partial(pipe.perform, speech, "happy", 0.8),
            "render": partial(pipe.render, perf),
            "mp4": partial(clip.save, mp4),
            "whole": lambda: pipe.speak(text, emotion="happy", intensity=0.8).save(mp4),
        }
        out = {name: median_seconds(run, repeats) for name, run in steps.items()}
    return {**out, "duration": clip.duration}


def bench_first_chunk(pipe: TalkingHeadPipeline, text: str, repeats: int) -> float:
    """Median seconds from calling pipe.stream to holding its first chunk."""
    return median_seconds(lambda: next(iter(pipe.stream(text, emotion="encouraging"))), repeats)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def yardstick_gflops(repeats: int) -> float:
    """GFLOP/s of a fixed conv (1, 32, 128, 128) 3x3 32 -> 32 (0.30 GFLOP) on the current threads."""
    x, conv = torch.randn(1, 32, 128, 128), torch.nn.Conv2d(32, 32, 3, padding=1)
    with torch.no_grad():
        return 2 * 128 * 128 * 32 * 32 * 9 / median_seconds(partial(conv, x), repeats) / 1e9


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
                    rate = batch / median_seconds(run, repeats)
                print(f"{name:11s} 1 thread batch {batch}: {rate:6.1f} frames/s")
    print(f"yardstick again: {yardstick_gflops(repeats * 4):.1f} GFLOP/s; load avg at end: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT), help="avatar v2 inference checkpoint")
    parser.add_argument("--onnx", default="", help="avatar v2 checkpoint: GFLOP and onnxruntime speed only")
    args = parser.parse_args()
    print(f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
          f"cpu_count={os.cpu_count()} | torch {torch.__version__}")
    if args.onnx:
        bench_onnx(args.onnx, args.repeats)
        return
    if generator_version(args.checkpoint) != 2:
        raise SystemExit(f"{args.checkpoint} is not an avatar v2 checkpoint (config.json generator_version 2); "
                         "pass one with --checkpoint, e.g. gan/weights/default_avatar.")
    print(f"load avg (1/5/15 min) at start: {os.getloadavg()}; yardstick (conv 32->32 3x3 at 128x128): "
          f"{yardstick_gflops(args.repeats * 4):.1f} GFLOP/s")
    t = time.perf_counter()
    pipe = TalkingHeadPipeline.from_pretrained(args.checkpoint)
    print(f"checkpoint {args.checkpoint}: {pipe.size}x{pipe.size} at {pipe.fps:.0f} fps, torch threads "
          f"{torch.get_num_threads()}, load (weights + voice + warm-up) {time.perf_counter() - t:.2f} s; "
          f"medians of {args.repeats}")
    batches = sorted({1, 8, pipe.config.render_batch})
    rates = {b: bench_renderer(pipe, b, args.repeats) for b in batches}
    for b, rate in rates.items():
        bar = f"  bar >= 25: {verdict(rate >= 25)}" if b == pipe.config.render_batch else ""
        print(f"renderer batch {b:3d}: {rate:6.1f} frames/s{bar}")
    for text in SENTENCES:
        r = bench_clip(pipe, text, args.repeats)
        ratio = r["whole"] / r["duration"]
        print(f"clip {r['duration']:4.1f} s: speech {r['speech']:.2f} + motion {r['motion']:.3f} + render "
              f"{r['render']:.2f} + mp4 {r['mp4']:.2f} s; whole {r['whole']:.2f} s = {ratio:.2f} x duration  "
              f"bar <= 0.5: {verdict(ratio <= 0.5)}")
    first = bench_first_chunk(pipe, " ".join(SENTENCES), args.repeats)
    print(f"first streamed chunk: {first:.2f} s  bar <= 1 s: {verdict(first <= 1.0)}")
    print(f"load avg at end: {os.getloadavg()}; yardstick again: {yardstick_gflops(args.repeats * 4):.1f} GFLOP/s")


if __name__ == "__main__":
    main()
