"""What the teacher view's live feed costs the server: one `poll` per logged-in teacher tab every
`ui.teacher.tab.POLL_EVERY_S` seconds.

Builds a class of N students (real tutor, real text-affect model, a SQLite log in a temporary
folder), each with one short session, one in three with a distress flag; then times the poll
handler as the timer calls it: with nothing new (the usual tick: token check, the teacher's
classes, the newest flags) and with news (the class overview is read and redrawn too). Prints the
machine and its load, since the VM is shared.

    .venv/bin/python bench/bench_teacher_poll.py --students 30
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from types import SimpleNamespace

from tutor import Tutor, TutorConfig
from ui.teacher import handlers as h
from ui.teacher.tab import POLL_EVERY_S

PASSWORD = "bench teacher password"


def _ms(samples: list[float]) -> str:
    samples = sorted(samples)
    return f"median {statistics.median(samples) * 1000:.1f} ms, p95 {samples[int(0.95 * len(samples))] * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30, help="students in the class")
    parser.add_argument("--polls", type=int, default=200, help="timed polls per case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tutor = Tutor.create(db_url=f"sqlite:///{folder}/tutor.db", config=TutorConfig(load_face=False, seed=1))
        tutor.create_teacher("bench", PASSWORD)
        code = tutor.create_class("bench", PASSWORD, name="bench class").code
        for i in range(args.students):
            session = tutor.start_session(student=tutor.join_class(code, f"s{i}").student, topic="fractions")
            session.send("12")
            if i % 3 == 0:
                session.send("I want to hurt myself")
        services = SimpleNamespace(tutor=tutor)  # the poll handler reads only services.tutor
        out = dict(zip(h.LOGIN_OUTPUTS, h.login(services, "bench", PASSWORD), strict=True))
        token, class_id, feed = out["token"], out["class_pick"].value, out["feed"]
        cases = {"no news (usual tick)": feed, "news (overview redrawn)": h.FeedState()}
        print(f"{platform.platform()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
              f"{args.students} students, {args.students // 3 + (args.students % 3 > 0)} flags")  # fmt: skip
        for name, state in cases.items():
            for _ in range(5):  # warm caches
                h.poll(services, token, class_id, state)
            samples = []
            for _ in range(args.polls):
                t0 = time.perf_counter()
                h.poll(services, token, class_id, state)
                samples.append(time.perf_counter() - t0)
            busy = statistics.median(samples) / POLL_EVERY_S
            print(f"poll, {name}: {_ms(samples)}; one tab every {POLL_EVERY_S:.0f} s = {busy:.2%} of a core")
        tutor.close()
        print(f"load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
