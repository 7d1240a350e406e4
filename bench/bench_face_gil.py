"""Webcam frame analysis beside a busy Python thread: in the app's process vs in child processes.

    python bench/bench_face_gil.py --frames 200

The app's event loop keeps the GIL busy at N=50. A reader in the app's threads (FaceAffect) gives
the GIL up and takes it back many times per frame (MediaPipe's graphs, the classifier), and each
time a busy thread may keep it for up to Python's switch interval (5 ms); a reader in a child
process (affect/face_process.py) does so once, while it waits on the pipe. Printed: wall ms per
frame (p50 / p90) alone and beside one Python thread that spins, and frames/s read by `--threads`
threads at once (as the FrameGate's slots do), for each reader. Frames: 320x240 JPEGs of a real
face decoded as the frame route does (bench_load's), one stream per simulated student.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import face_frames, machine

from affect.face import FaceAffect
from affect.face_process import FaceProcesses
from ui.camera import decode_jpeg


def spinning() -> Callable[[], None]:
    """Start a thread that runs Python bytecode without pause (a busy event loop); returns its stop."""
    stop = threading.Event()

    def spin() -> None:
        x = 0
        while not stop.is_set():
            for i in range(1000):
                x += i * i

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()

    def end() -> None:
        stop.set()
        thread.join()

    return end


def walls(streams: list[Any], frames: list[np.ndarray], n: int) -> str:
    """p50 / p90 wall ms of n frames, one thread, the streams in turn."""
    ms = []
    for k in range(n):
        t0 = time.perf_counter()
        streams[k % len(streams)].predict(frames[k % len(frames)])
        ms.append((time.perf_counter() - t0) * 1e3)
    ms.sort()
    return f"{statistics.median(ms):6.1f} / {ms[int(0.9 * len(ms))]:6.1f}"


def rate(streams: list[Any], frames: list[np.ndarray], threads: int, seconds: float) -> float:
    """Frames/s read by `threads` threads at once, each on its own share of the streams."""
    done = [0] * threads
    end = time.monotonic() + seconds

    def work(i: int) -> None:
        mine, k = streams[i::threads], 0
        while time.monotonic() < end:
            mine[k % len(mine)].predict(frames[k % len(frames)])
            k += 1
        done[i] = k

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(done) / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200, help="frames timed per row")
    ap.add_argument("--streams", type=int, default=8, help="students' streams (each its own tracking)")
    ap.add_argument("--threads", type=int, default=2, help="frames read at once for the frames/s column")
    ap.add_argument("--seconds", type=float, default=8.0, help="how long the frames/s column runs")
    args = ap.parse_args()
    print(machine(), flush=True)
    frames = [decode_jpeg(jpeg, 1280) for jpeg in face_frames()]
    print("reader                          wall ms p50 / p90 alone   beside a spinning thread   frames/s beside it "
          f"({args.threads} at once)")  # fmt: skip
    base = FaceAffect.load()
    readers: list[tuple[str, Any, Any]] = [("in this process (FaceAffect)", base, base.close)]
    children = FaceProcesses.load(count=args.threads)
    readers.append((f"{args.threads} child processes (FaceProcesses)", children, children.close))
    for name, reader, close in readers:
        streams = [reader.stream() for _ in range(args.streams)]
        walls(streams, frames, 20)  # warm: every stream detects once
        alone = walls(streams, frames, args.frames)
        stop = spinning()
        busy = walls(streams, frames, args.frames)
        per_s = rate(streams, frames, args.threads, args.seconds)
        stop()
        print(f"{name:<32} {alone:>24} {busy:>26} {per_s:>12.0f}", flush=True)
        close()
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
