"""Child processes of the fault tests (run as `python tests/reliability_child.py <mode> ...`).

Each prints one line per durable step ("turn <id> <index>" once `add_turn`/`send` has returned,
i.e. after the commit) and flushes it, so the parent knows exactly what was acknowledged before
it kills the process with SIGKILL. Not a test module.
"""

from __future__ import annotations

import os
import sys
import time


def store_writer(url: str, session_id: str) -> None:
    """Write turns to one session as fast as possible, continuing after the last logged index."""
    from tutor.store import Store

    store = Store(url)
    turns = store.turns(session_id)
    idx = turns[-1]["index"] + 1 if turns else 0
    print("ready", flush=True)
    while True:
        rec = {
            "idx": idx, "student_text": f"message {idx} " + "x" * (idx % 500), "intent": "answer",
            "text_affect": None, "face_affect": None, "fused_affect": {"label": "neutral", "scores": {}},
            "move": "praise", "avatar_emotion": "happy", "intensity": 0.5, "tutor_text": "Right." * 20,
            "tutor_spoken": "Right.", "problem": {"id": f"p:{idx}"}, "correct": idx % 2 == 0,
            "mastery": {"s": idx / 1e4}, "state": {"dialogue": {"n": idx}},
        }  # fmt: skip
        turn_id = store.add_turn(session_id, rec, flag_reason="distress" if idx % 3 == 0 else None)
        print(f"turn {turn_id} {idx}", flush=True)
        idx += 1


def tutor_session(url: str, session_id: str) -> None:
    """Start (session_id '-') or resume a real tutoring session and keep sending messages."""
    from affect import TextAffect
    from tutor import Tutor, TutorConfig

    tutor = Tutor.create(db_url=url, config=TutorConfig(seed=7, load_face=False), text_affect=TextAffect.load())
    if session_id == "-":
        session = tutor.start_session(student="s-kill", topic="fractions")
    else:
        session = tutor.resume_session(session_id)
    print(f"session {session.id}", flush=True)
    print(f"turn {session.opening.turn_id} {session.opening.turn_index}", flush=True)
    messages = ["1/2", "I don't get it", "hint please", "3/4", "why?", "this is boring", "2/3", "next"]
    i = 0
    while True:
        reply = session.send(messages[i % len(messages)])
        print(f"turn {reply.turn_id} {reply.turn_index}", flush=True)
        i += 1
        time.sleep(0.01)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    mode, url, sid = sys.argv[1:4]
    {"store": store_writer, "tutor": tutor_session}[mode](url, sid)
