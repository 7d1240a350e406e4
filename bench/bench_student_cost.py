"""What one student costs the server on the browser path, per part, with the real components.

    python bench/bench_student_cost.py --students 20 --messages 8

In one process: the real tutor (text affect, acts, policy, SQLite log), the real face reader and
the shipped avatar's speech + motion (`TalkingHeadPipeline.perform_sentences`: piper + the rig),
driven like bench/bench_load.py drives the app (its messages, topics and 320x240 webcam frames).
Prints CPU milliseconds per tutor turn, per reply's speech + motion, per webcam frame and per
frame's JPEG decode (the frame route's, ui/camera.py), then the cores a class of N needs at a
message every ~8 s and 2 webcam frames/s, and how many reply sentences repeat across the class
(what a speech cache would save).
CPU time is `time.process_time()` (every thread of this process), which does not depend on what
else the shared machine runs; wall times are printed with the load for reference.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from gan.config import AvatarConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import MESSAGES, TOPICS, face_frames


@dataclass
class Costs:
    """CPU ms per operation (lists) and the spoken sentences of every reply."""

    turn: list[float] = field(default_factory=list)
    speech: list[float] = field(default_factory=list)  # speech + motion of one whole reply
    speech_wall: list[float] = field(default_factory=list)
    speech_seconds: list[float] = field(default_factory=list)  # seconds of speech per reply
    frame: list[float] = field(default_factory=list)
    frame_wall: list[float] = field(default_factory=list)
    decode: list[float] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)


def cpu_ms(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, CPU ms of the whole process, wall ms) of one call."""
    c, t = time.process_time(), time.perf_counter()
    out = fn()
    return out, 1000 * (time.process_time() - c), 1000 * (time.perf_counter() - t)


def decode_frame(jpeg: bytes) -> np.ndarray:
    """What the frame route does with each webcam frame before the face reader sees it (ui/camera.py)."""
    from ui.camera import decode_jpeg

    return decode_jpeg(jpeg, max_side=1280)


def speak_reply(pipe: Any, reply: Any, costs: Costs) -> None:
    """Speech + motion of every sentence of a reply (what the browser path sends), timed as a whole."""

    def run() -> float:
        seconds = 0.0
        for speech, _perf in pipe.perform_sentences(reply.spoken, reply.avatar_emotion, reply.intensity):
            seconds += speech.duration
            costs.sentences.append(speech.text)
        return seconds

    seconds, cpu, wall = cpu_ms(run)
    costs.speech.append(cpu)
    costs.speech_wall.append(wall)
    costs.speech_seconds.append(seconds)


def run_class(students: int, messages: int, avatar: AvatarConfig | None) -> Costs:
    """`students` sessions, each: opening + `messages` messages with 4 webcam frames between them."""
    from affect import FaceAffect, TextAffect
    from gan.pipeline import TalkingHeadPipeline
    from tutor import Tutor, TutorConfig

    text, face = TextAffect.load(), FaceAffect.load()
    folder = tempfile.mkdtemp(prefix="bench-cost-")
    tutor = Tutor.create(db_url=f"sqlite:///{folder}/log.db", config=TutorConfig(seed=1), text_affect=text,
                         face_affect=face)  # fmt: skip
    pipe = TalkingHeadPipeline.from_pretrained(config=avatar) if avatar is not None else None
    jpegs = face_frames()
    costs = Costs()
    for i in range(students):
        session = tutor.start_session(student=f"cost-{i}", topic=TOPICS[i % len(TOPICS)])
        if pipe is not None:
            speak_reply(pipe, session.opening, costs)
        for k in range(messages):
            for j in range(4):
                rgb, ms, _ = cpu_ms(partial(decode_frame, jpegs[(k + j) % len(jpegs)]))
                costs.decode.append(ms)
                _, ms, wall = cpu_ms(partial(session.observe_frame, rgb))
                costs.frame.append(ms)
                costs.frame_wall.append(wall)
            reply, ms, _ = cpu_ms(partial(session.send, MESSAGES[(i + k) % len(MESSAGES)]))
            costs.turn.append(ms)
            if pipe is not None:
                speak_reply(pipe, reply, costs)
        session.close()
    tutor.close()
    return costs


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(costs: Costs, every: float, fps: float, classes: list[int]) -> None:
    """Per-operation costs, then the cores a class needs for the measured parts."""
    rows = (("tutor turn (send)", costs.turn), ("speech + motion per reply", costs.speech),
            ("webcam frame analysis", costs.frame), ("webcam frame decode", costs.decode))  # fmt: skip
    for name, vals in rows:
        if vals:
            print(f"{name:<28} n={len(vals):>4}  CPU median {med(vals):7.1f} ms  mean {statistics.fmean(vals):7.1f} "
                  f"ms  p95 {np.percentile(vals, 95):7.1f} ms")  # fmt: skip
    print(f"wall median: speech + motion {med(costs.speech_wall):.0f} ms for {med(costs.speech_seconds):.1f} s of "
          f"audio, frame analysis {med(costs.frame_wall):.1f} ms")  # fmt: skip
    replies = (statistics.fmean(costs.turn) + (statistics.fmean(costs.speech) if costs.speech else 0.0)) / 1000
    frames = (statistics.fmean(costs.frame) + statistics.fmean(costs.decode)) / 1000
    per_student = replies / every + frames * fps
    print(
        f"per student (a message every {every:.0f} s, {fps:.0f} frames/s): replies {replies / every:.3f} cores, "
        f"webcam {frames * fps:.3f} cores, total {per_student:.3f} cores (Gradio's own work not included)"
    )
    for n in classes:
        print(f"  N={n:>3}: {n * per_student:5.2f} cores (webcam alone {n * frames * fps:.2f})")
    if costs.sentences:
        counts = Counter(costs.sentences)
        repeats = len(costs.sentences) - len(counts)
        print(
            f"reply sentences: {len(costs.sentences)}, distinct {len(counts)}: a speech cache would serve "
            f"{repeats / len(costs.sentences):.0%} of them from memory"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=20, help="sessions to simulate (one after the other)")
    ap.add_argument("--messages", type=int, default=8, help="messages per session")
    ap.add_argument("--message-every", type=float, default=8.0, help="mean seconds between a student's messages")
    ap.add_argument("--fps", type=float, default=2.0, help="webcam frames per second per student")
    ap.add_argument("--no-speech", action="store_true", help="skip speech + motion (tutor and webcam only)")
    ap.add_argument("--speech-cache-mb", type=float, default=AvatarConfig.speech_cache_mb,
                    help="the voice's sentence cache (0 = off, to compare)")  # fmt: skip
    args = ap.parse_args()
    print(f"{platform.platform()} | python {platform.python_version()} | {os.cpu_count()} CPUs | "
          f"load average {os.getloadavg()[0]:.1f} at start")  # fmt: skip
    avatar = None if args.no_speech else AvatarConfig(speech_cache_mb=args.speech_cache_mb)
    print(f"avatar config: {avatar}")
    costs = run_class(args.students, args.messages, avatar)
    report(costs, args.message_every, args.fps, [20, 50])
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
