"""Schema migrations: a session log written by the release before accounts upgrades in place.

The old database is written by the OLD code itself (tests/fixtures/legacy_store_v0.py is that
release's tutor/store.py, unchanged), on SQLite and, when TUTOR_TEST_PG_URL is set, PostgreSQL.
Opening it with today's Store runs the migrations; every session, turn, flag and clip reference
must still be there, its students become the class "Earlier sessions", which the start-up
teacher (TUTOR_TEACHER_PASSWORD) adopts, and their last logged mastery seeds the learner model.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fixtures import legacy_store_v0 as old
from reliability_helpers import backend_url
from sqlalchemy import inspect

from tutor import migrations
from tutor.store import Store
from tutor.tables import Base

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with backend_url(request.param, tmp_path) as u:
        yield u


def record(idx: int, text: str | None, skill: str, p: float, correct: bool | None) -> dict[str, Any]:
    return {
        "idx": idx, "student_text": text, "intent": "answer", "text_affect": None, "face_affect": None,
        "fused_affect": {"label": "neutral", "scores": {"frustrated": 0.1}}, "move": "praise",
        "avatar_emotion": "happy", "intensity": 0.5, "tutor_text": f"reply {idx}", "tutor_spoken": f"reply {idx}",
        "problem": {"id": f"{skill}:1:{idx}", "skill": skill}, "correct": correct, "mastery": {skill: p},
        "state": {"dialogue": {"topic": "fractions"}},
    }  # fmt: skip


def write_old_log(url: str) -> dict[str, Any]:
    """A log as the previous release wrote it; returns everything it holds, read by the old code."""
    store = old.Store(url)
    for student, ps in (("s-17", [0.3, 0.6, 0.97]), ("blue-fox", [0.2, 0.1])):
        sid = store.create_session(student, "fractions", "affect_sensitive", 7)
        for i, p in enumerate(ps):
            tid = store.add_turn(sid, record(i, None if i == 0 else f"answer {i} ünï ✓", "fractions.simplify", p,
                                             None if i == 0 else True),
                                 flag_reason="I feel sad" if (student, i) == ("blue-fox", 1) else None)  # fmt: skip
            store.attach_clip(sid, tid, f"clips/{sid}-{i}.mp4")
        store.end_session(sid)
    snapshot = {
        "sessions": store.list_sessions(),
        "turns": {s["id"]: store.turns(s["id"]) for s in store.list_sessions()},
        "flags": store.flags(),
    }
    assert "alembic_version" not in inspect(store.engine).get_table_names()  # really the old schema
    store.close()
    return snapshot


def test_an_old_log_upgrades_in_place_with_nothing_lost(url: str) -> None:
    before = write_old_log(url)
    store = Store(url)  # runs the migrations
    assert migrations.current(store.engine) == migrations.head()
    assert store.list_sessions() == before["sessions"]
    assert {sid: store.turns(sid) for sid in before["turns"]} == before["turns"]
    assert store.flags() == before["flags"]
    for sid, turns in before["turns"].items():  # today's export reads the old rows (its format is newer)
        exported = store.export(sid, "csv")
        assert all(t["student_text"] in exported for t in turns if t["student_text"])
    store.close()
    again = Store(url)  # a second start: nothing to do, nothing changes
    assert again.list_sessions() == before["sessions"]
    again.close()


@pytest.mark.slow
def test_old_sessions_reach_the_startup_teacher_and_seed_mastery(url: str) -> None:
    from reliability_helpers import text_affect

    from tutor import Tutor, TutorConfig

    before = write_old_log(url)
    tutor = Tutor.create(db_url=url, config=TutorConfig(load_face=False), text_affect=text_affect())
    assert tutor.ensure_teacher("teacher", "one shared secret") == 1  # adopts "Earlier sessions"
    view = tutor.teacher("teacher", "one shared secret")
    (earlier,) = view.classes()
    assert earlier.name == "Earlier sessions" and earlier.n_students == 2
    assert {r["id"] for r in view.list_sessions()} == {s["id"] for s in before["sessions"]}
    for sid, turns in before["turns"].items():
        assert view.transcript(sid) == turns
    overview = view.class_overview(earlier.id)
    assert [r.pseudonym for r in overview.students] == ["blue-fox", "s-17"]  # flagged first
    assert tutor.learner("s-17")["fractions.simplify"] == 0.97  # the last logged mastery lives on
    assert tutor.learning_path("s-17").skill != "fractions.simplify"  # mastered: the path moves on
    session = tutor.start_session(student="s-17", topic="fractions")
    assert "Welcome back" in session.opening.text and session.mastery["fractions.simplify"] == 0.97
    with pytest.raises(ValueError):
        tutor.practise("s-17", "fractions")  # an old pseudonym is a class student now: not up for grabs
    tutor.close()


def test_a_fresh_database_matches_the_code(url: str) -> None:
    store = Store(url)
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == [], diffs
    store.close()


def test_replicas_starting_together_migrate_once(url: str) -> None:
    before = write_old_log(url)
    errors: list[BaseException] = []
    stores: list[Store] = []

    def start() -> None:
        try:
            stores.append(Store(url))
        except BaseException as err:  # re-raised below in the main thread
            errors.append(err)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert all(s.list_sessions() == before["sessions"] for s in stores)
    with stores[0].read() as db:
        from sqlalchemy import func, select

        from tutor.tables import ClassRow

        assert db.scalar(select(func.count()).select_from(ClassRow)) == 1  # adopted once, not per replica
    for s in stores:
        s.close()
