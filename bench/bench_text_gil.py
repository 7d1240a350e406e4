"""Reading a chat message beside a busy Python thread: TextAffect's graph in onnxruntime vs in torch.

    python bench/bench_text_gil.py --messages 200

The app reads each chat message on a worker thread while Gradio's event loop keeps the GIL busy.
The same graph (affect/text_onnx.py: MiniLM int8, pooling, head) run by eager torch gives the GIL
up at every operator (~100 per message) and may wait up to Python's 5 ms switch interval each time;
onnxruntime's one `run` gives it up once. Both rows include the same tokenising and featurising, so
the difference is the network's runtime. Printed: wall ms per message (p50 / p90) alone and beside
one Python thread that spins, and CPU ms per message alone. Messages: the project's corpus, one at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch
from bench_face_gil import spinning
from bench_load import machine

from affect.text import TextAffect, prepare

CORPUS = Path(__file__).resolve().parents[1] / "affect" / "corpus" / "student_messages.jsonl"


def timed(read: Callable[[str], object], messages: list[str]) -> tuple[str, float]:
    """('p50 / p90' wall ms, mean CPU ms) of reading each message once."""
    ms = []
    cpu0 = time.process_time()
    for m in messages:
        t0 = time.perf_counter()
        read(m)
        ms.append((time.perf_counter() - t0) * 1e3)
    cpu = (time.process_time() - cpu0) * 1e3 / len(messages)
    ms.sort()
    return f"{statistics.median(ms):6.1f} / {ms[int(0.9 * len(ms))]:6.1f}", cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=200, help="messages timed per row")
    args = ap.parse_args()
    print(machine(), flush=True)
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    messages = [r["text"] for r in rows][: args.messages]
    text = TextAffect.load()
    runtime = text.runtime
    torch.set_num_threads(text.cfg.num_threads)  # as the torch path ran in the app (onnxruntime: the same count)

    def read_with(run: Callable) -> Callable[[str], object]:
        def read(message: str) -> object:
            cleaned, enc_in = prepare([message], text.cfg.max_chars)
            return run(runtime.inputs(cleaned, enc_in))

        return read

    print("runtime       wall ms p50 / p90 alone   beside a spinning thread   CPU ms alone")
    for name, run in (("onnxruntime", runtime.run), ("torch", runtime.run_torch)):
        read = read_with(run)
        timed(read, messages[:20])  # warm
        alone, cpu = timed(read, messages)
        stop = spinning()
        busy, _ = timed(read, messages)
        stop()
        print(f"{name:<12} {alone:>24} {busy:>26} {cpu:>14.2f}", flush=True)
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
