"""Actor v2 render speed (gan/actor/render.py), with a same-process yardstick and the machine's load.

    .venv/bin/python bench/bench_actor.py [--frames 60] [--sizes 256 512] [--mediapipe 120]

For each size: median wall time per frame (2x supersampled, hair on) over random sparse ARKit rigs
and head poses, the process CPU time per frame (llvmpipe's worker threads included), and a numpy
yardstick (50 float32 300x300 matmuls) timed between the batches: when others run jobs, the
yardstick slows down with the renderer, so runs on a busy and a quiet machine can be compared.
CPU time per frame barely depends on the load; wall time on an idle 2-core box is about CPU time / 1-2.
With --mediapipe N it also renders N random rigs and poses at 256 and counts the frames where the
eval's MediaPipe tools (short-range face detector + FaceMesh with irises, gan/eval/run.py) find the
face and all 478 landmarks.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from gan.actor.render import HeadRenderer, RenderConfig


def yardstick() -> float:
    """Milliseconds for a fixed numpy workload (50 float32 300x300 matmuls, ~2.7 GFLOP)."""
    a = np.random.default_rng(0).random((300, 300), dtype=np.float32)
    start = time.perf_counter()
    for _ in range(50):
        a @ a
    return (time.perf_counter() - start) * 1000.0


def bench(size: int, frames: int, rng: np.random.Generator) -> dict[str, float]:
    renderer = HeadRenderer(RenderConfig(size=size))
    try:
        renderer.render({})  # warm-up: shader compilation, first upload
        coeffs = rng.uniform(0.0, 1.0, (frames, 52)) * (rng.uniform(size=(frames, 52)) < 0.15)
        poses = rng.uniform(-15.0, 15.0, (frames, 3))
        walls, yards = [], [yardstick()]
        cpu0 = time.process_time()
        for t in range(frames):
            start = time.perf_counter()
            renderer.render(coeffs[t], poses[t])
            walls.append((time.perf_counter() - start) * 1000.0)
            if t % 20 == 19:
                yards.append(yardstick())
        cpu = (time.process_time() - cpu0 - sum(yards[1:]) / 1000.0) * 1000.0 / frames
    finally:
        renderer.close()
    return {"wall_ms": statistics.median(walls), "cpu_ms": cpu, "yard_ms": statistics.median(yards)}


def mediapipe_sweep(n: int, rng: np.random.Generator) -> tuple[int, int]:
    """(frames with a detected face, frames with a 478-point face mesh) over n random rigs and poses."""
    import mediapipe as mp

    renderer = HeadRenderer(RenderConfig(size=256))
    detected = meshed = 0
    with (
        mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5) as detector,
        mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True) as mesh,
    ):
        for _ in range(n):
            coeffs = rng.uniform(0.0, 1.0, 52) * (rng.uniform(size=52) < 0.15)
            image = renderer.render(coeffs, rng.uniform(-20.0, 20.0, 3) * [1.0, 0.6, 0.5])
            detected += bool(detector.process(image).detections)
            found = mesh.process(image).multi_face_landmarks
            meshed += bool(found) and len(found[0].landmark) == 478
    renderer.close()
    return detected, meshed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60, help="frames per size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512], help="output sizes to time")
    parser.add_argument("--mediapipe", type=int, default=0, help="also check MediaPipe on this many random frames")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs; load average {os.getloadavg()}")
    rng = np.random.default_rng(0)
    for size in args.sizes:
        r = bench(size, args.frames, rng)
        print(
            f"actor v2 {size}x{size} (2x supersampled): median {r['wall_ms']:.1f} ms/frame wall "
            f"({1000.0 / r['wall_ms']:.0f} fps), {r['cpu_ms']:.1f} ms CPU/frame; "
            f"yardstick {r['yard_ms']:.0f} ms; load average {os.getloadavg()[0]:.1f}"
        )
    if args.mediapipe:
        detected, meshed = mediapipe_sweep(args.mediapipe, rng)
        print(
            f"MediaPipe on {args.mediapipe} random rigs/poses (yaw +-20, pitch +-12, roll +-10 deg): "
            f"face detected in {detected}, 478 landmarks in {meshed}"
        )


if __name__ == "__main__":
    main()
