"""The session log: durability across reopen, one transaction per turn, export, deletion, odd text.

Runs on SQLite always, and also on PostgreSQL when TUTOR_TEST_PG_URL names a server
(e.g. postgresql://postgres@127.0.0.1:54329/postgres); each PostgreSQL test starts from empty tables.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import text

from tutor.errors import StoreError, UnknownSessionError
from tutor.store import Store, check_student_id, clean_text
from tutor.tables import Base

PG_URL = os.environ.get("TUTOR_TEST_PG_URL", "")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="no TUTOR_TEST_PG_URL"))]

FUSED = {"label": "neutral", "scores": {}, "confidence": 0.0}


def _record(idx: int, text: str | None = "3/4", **over: object) -> dict[str, object]:
    rec: dict[str, object] = {
        "idx": idx, "student_text": text, "intent": "answer", "text_affect": None, "face_affect": None,
        "fused_affect": FUSED, "move": "praise", "avatar_emotion": "happy", "intensity": 0.5,
        "tutor_text": "Right.", "tutor_spoken": "Right.", "problem": {"id": "p:1:1", "skill": "s"},
        "correct": True, "mastery": {"s": 0.5}, "state": {"dialogue": {}},
    }  # fmt: skip
    rec.update(over)
    return rec


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty session log on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sub' / 'log.db'}"
    store = Store(PG_URL)
    Base.metadata.drop_all(store.engine)
    with store.engine.begin() as conn:  # and the migrations' bookkeeping, so the next Store starts from scratch
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    store.close()
    return PG_URL


def test_log_survives_close_and_reopen(url: str) -> None:
    store = Store(url)
    sid = store.create_session("s-17", "fractions", "affect_sensitive", 1)
    t0 = store.add_turn(sid, _record(0, None))
    store.add_turn(sid, _record(1, "I want to stop"), flag_reason="test flag")
    store.attach_clip(sid, t0, "clips/a.mp4")
    store.close()
    again = Store(url)
    turns = again.turns(sid)
    assert [t["index"] for t in turns] == [0, 1]
    assert turns[0]["clip_ref"] == "clips/a.mp4" and turns[1]["flagged"] and turns[1]["flag_reason"] == "test flag"
    assert turns[0]["time"].tzinfo is not None
    info = again.list_sessions("s-17")[0]
    assert info["id"] == sid and info["n_turns"] == 1 and info["n_flags"] == 1
    assert again.integrity_check() == "ok"
    if url.startswith("sqlite"):
        with again.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_failed_turn_leaves_nothing_half_written(url: str) -> None:
    store = Store(url)
    sid = store.create_session("s-1", "fractions", "p", 1)
    store.add_turn(sid, _record(0))
    with pytest.raises(StoreError):  # same index twice violates the unique constraint: whole turn rolls back
        store.add_turn(sid, _record(0), flag_reason="would be orphaned")
    assert len(store.turns(sid)) == 1 and store.flags() == []
    with pytest.raises(UnknownSessionError):
        store.add_turn("no-such-session", _record(1))


def test_ids_are_unguessable_uuid4(url: str) -> None:
    store = Store(url)
    ids = {store.create_session("s-1", "fractions", "p", 1) for _ in range(20)}
    assert len(ids) == 20 and all(len(i) == 36 and i[14] == "4" for i in ids)


def test_export_csv_and_json(url: str) -> None:
    store = Store(url)
    sid = store.create_session("s-2", "percentages", "p", 1)
    store.add_turn(sid, _record(0, None))
    store.add_turn(sid, _record(1, 'He said "=1+1", then, a comma\nnewline'))
    rows = list(csv.DictReader(io.StringIO(store.export(sid, "csv"))))
    assert [r["turn"] for r in rows] == ["0", "1"] and rows[1][
        "student_text"
    ] == 'He said "=1+1", then, a comma\nnewline'
    doc = json.loads(store.export(sid, "json"))
    assert doc["session"]["student"] == "s-2" and len(doc["turns"]) == 2
    # CSV injection: text a spreadsheet would run as a formula is defused; numbers and JSON stay raw.
    for k, attack in enumerate(['=HYPERLINK("http://x.example","click")', "+1+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]):
        store.add_turn(sid, _record(2 + k, attack))
    store.add_turn(sid, _record(6, "-3"))
    rows = list(csv.DictReader(io.StringIO(store.export(sid, "csv"))))
    assert [r["student_text"] for r in rows[2:]] == [
        '\'=HYPERLINK("http://x.example","click")',
        "'+1+cmd|' /C calc'!A0",
        "'@SUM(1)",
        "'-2+3",
        "-3",
    ]
    assert json.loads(store.export(sid, "json"))["turns"][2]["student_text"].startswith("=HYPERLINK")
    with pytest.raises(ValueError, match="csv"):
        store.export(sid, "xml")


def test_delete_student_removes_every_row(url: str) -> None:
    store = Store(url)
    for student in ("s-a", "s-b"):
        for _ in range(2):
            sid = store.create_session(student, "fractions", "p", 1)
            store.add_turn(sid, _record(0))
            store.add_turn(sid, _record(1), flag_reason="distress")
    before_b = store.count_rows("s-b")
    assert store.count_rows("s-a") == 2 + 4 + 2
    assert store.delete_student("s-a") == 8
    assert store.count_rows("s-a") == 0 and store.list_sessions("s-a") == [] and store.flags("s-a") == []
    assert store.count_rows("s-b") == before_b


@pytest.mark.parametrize(
    "bad", ["", "   ", "jane@example.com", "x" * 41, None, 17, "s-1; DROP TABLE", "<b>hi</b>", "-fox", "a~b"]
)
def test_student_ids_must_be_pseudonyms(bad: object) -> None:
    with pytest.raises(ValueError, match="pseudonym"):
        check_student_id(bad)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("cool kid", "cool kid"),
        ("  blue   fox\t", "blue fox"),
        ("Zoë O'Neil", "Zoë O'Neil"),
        ("Zoe\u0308", "Zoë"),  # decomposed diaeresis -> one letter (NFKC)
        ("ｆｏｘ７", "fox7"),  # full-width letters and digits
        ("Δημήτρης", "Δημήτρης"),
        ("小明", "小明"),
        ("s-17", "s-17"),
        ("x" * 40, "x" * 40),
    ],
)
def test_pseudonyms_may_hold_spaces_and_any_letters_and_are_normalised(url: str, typed: str, stored: str) -> None:
    assert check_student_id(typed) == stored
    store = Store(url)
    store.create_session(typed, "fractions", "p", 1)
    assert [r["student"] for r in store.list_sessions(typed)] == [stored]
    assert store.delete_student(stored) == 1


def test_odd_text_is_stored_not_lost(url: str) -> None:
    store = Store(url)
    sid = store.create_session("s-3", "fractions", "p", 1)
    texts = ["nul\x00byte", "lone \ud800 surrogate", "<script>alert(1)</script>", "'; DROP TABLE tutor_turns; --",
             "emoji 🧮 and RTL \u202e", "x" * 5000]  # fmt: skip
    for i, t in enumerate(texts):
        store.add_turn(sid, _record(i, t))
    stored = [t["student_text"] for t in store.turns(sid)]
    assert stored == [clean_text(t) for t in texts]
    assert stored[2] == "<script>alert(1)</script>"  # the store escapes nothing; renderers do


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    with pytest.raises(StoreError, match="session log"):
        Store(f"sqlite:///{folder / 'log.db'}")


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(StoreError, match="Cannot open the session log"):
        Store(f"sqlite:///{tmp_path / 'file' / 'log.db'}")
