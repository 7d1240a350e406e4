"""The browser path's server cost: speech + motion per reply (ui/motion.py MotionWriter), no frames.

Sizes MotionConfig.workers and the voice's onnxruntime threads: replies arrive at `--rate` replies
per second for `--seconds` (a class of N students sending a message every ~8 s is N / 8 per
second), each a real tutor reply of 1-4 sentences; prints per setting the first-part latency
(p50 / p95: submit -> the first sentence's motion + WAV on disk, what the page waits for before
it can render), the seconds of speech made per wall second, and whether the queue kept up. A
same-process yardstick (one sentence synthesised alone) is timed before each setting, so a busy
machine shows up beside the numbers; settings run interleaved, `--repeats` times.

    PYTHONPATH=. python bench/bench_motion.py --workers 1 2 3 --threads 1 2 --rate 2.5 --seconds 20
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import threading
import time
from dataclasses import dataclass

import numpy as np

from gan.config import AvatarConfig
from gan.pipeline import TalkingHeadPipeline
from ui.clips import ClipJob, ClipStore
from ui.motion import MotionConfig, MotionWriter

# Replies of the length the tutor gives (1-4 sentences, 2-12 s of speech).
REPLIES = (
    "Nice work! Three quarters is right.",
    "Not quite. Look at the denominators first: they must be the same before you add.",
    "Let's look at this one together. First we find a common denominator. Then we add the numerators. "
    "Finally we simplify if we can.",
    "That's a good question. A numerator is the top number of a fraction: it says how many parts you have.",
    "Take your time. What is half of eight?",
    "Great, you got it! Ready for a harder one?",
)
YARDSTICK = "The quick brown fox jumps over the lazy dog while we count to ten."


@dataclass(frozen=True)
class Result:
    workers: int
    threads: int
    first_p50: float
    first_p95: float
    speech_per_s: float
    lag_s: float  # how long after the last arrival the queue was empty
    yardstick_s: float


def run(pipe: TalkingHeadPipeline, workers: int, rate: float, seconds: float) -> tuple[list[float], float, float]:
    """Replies at `rate` per second for `seconds`: first-part latencies, speech s made, wall s to drain."""
    store = ClipStore()
    writer = MotionWriter(pipe, store, store.root / "avatar", MotionConfig(workers=workers))
    firsts: list[float] = []
    made = [0.0]
    lock = threading.Lock()

    def drain(job: ClipJob, t0: float) -> None:
        first = True
        while (part := job.parts.get(timeout=600)) is not None:
            if isinstance(part, BaseException):
                raise part
            with lock:
                if first:
                    firsts.append(time.perf_counter() - t0)
                made[0] += part.seconds
            first = False

    readers = []
    start = time.perf_counter()
    for i in range(max(1, round(rate * seconds))):
        time.sleep(max(0.0, start + i / rate - time.perf_counter()))
        t0 = time.perf_counter()
        job = writer.submit(REPLIES[i % len(REPLIES)], "encouraging", 0.7)
        readers.append(threading.Thread(target=drain, args=(job, t0)))
        readers[-1].start()
    last_arrival = time.perf_counter()
    for r in readers:
        r.join()
    end = time.perf_counter()
    writer.shutdown()
    store.close()
    return firsts, made[0] / (end - start), end - last_arrival


def yardstick(pipe: TalkingHeadPipeline) -> float:
    t0 = time.perf_counter()
    pipe._voice().synthesize(YARDSTICK)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="onnxruntime threads of the voice")
    ap.add_argument("--rate", type=float, default=2.5, help="replies per second (N students / 8 s)")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs; load average at start {os.getloadavg()}")
    pipes = {t: TalkingHeadPipeline.from_pretrained(config=AvatarConfig(num_threads=t)) for t in args.threads}
    for pipe in pipes.values():
        yardstick(pipe)  # warm the voice
    results: list[Result] = []
    for _ in range(args.repeats):
        for threads, pipe in pipes.items():
            for workers in args.workers:
                yard = yardstick(pipe)
                firsts, speech, lag = run(pipe, workers, args.rate, args.seconds)
                q = np.quantile(firsts, [0.5, 0.95])
                results.append(Result(workers, threads, float(q[0]), float(q[1]), speech, lag, yard))
                r = results[-1]
                print(f"workers {workers} threads {threads}: first part p50 {r.first_p50:.2f} s p95 "
                      f"{r.first_p95:.2f} s | speech made {r.speech_per_s:.1f} s/s | drained {r.lag_s:.1f} s "
                      f"after the last reply | yardstick {r.yardstick_s:.2f} s | load {os.getloadavg()[0]:.1f}",
                      flush=True)
    print(f"\nmedians over {args.repeats} repeat(s), {args.rate} replies/s for {args.seconds:.0f} s:")
    for threads in args.threads:
        for workers in args.workers:
            rs = [r for r in results if r.workers == workers and r.threads == threads]
            print(f"  workers {workers} threads {threads}: first part p95 "
                  f"{statistics.median(r.first_p95 for r in rs):.2f} s, "
                  f"p50 {statistics.median(r.first_p50 for r in rs):.2f}"
                  f" s, yardstick {statistics.median(r.yardstick_s for r in rs):.2f} s")
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
