"""The teacher's export of a real session: one flat row per turn, the answered problem on its row.

A real Tutor (real text-affect model, SQLite log) holds a short conversation; the CSV and JSON
exports are then read back the way a spreadsheet or a script would.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest

from tutor import Tutor, TutorConfig
from tutor.export import CSV_COLUMNS, MASTERY_PREFIX, answered_problems

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tutor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tutor]:
    db = tmp_path_factory.mktemp("log") / "tutor.db"
    t = Tutor.create(db_url=f"sqlite:///{db}", config=TutorConfig(seed=5, load_face=False))
    yield t
    t.close()


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_each_row_shows_the_problem_its_message_answered(tutor: Tutor) -> None:
    s = tutor.start_session(student="exp-1", topic="fractions")
    first = s.problem
    assert first is not None
    wrong = s.send("12345")  # a wrong answer: the same problem stays on the table
    right = s.send(first.answer)  # the right answer: the reply poses the next problem
    assert wrong.correct is False and right.correct is True
    assert right.problem is not None and right.problem.id != first.id  # the turn log holds the NEXT problem
    rows = _rows(tutor.export(s.id, "csv"))
    assert [r["turn"] for r in rows] == ["0", "1", "2"]
    assert rows[0]["problem_id"] == "" and rows[0]["student_text"] == ""  # the opening answers nothing
    for row, said, verdict in ((rows[1], "12345", "no"), (rows[2], first.answer, "yes")):
        assert row["student_text"] == said and row["correct"] == verdict
        assert (row["problem_id"], row["problem"], row["expected_answer"]) == (first.id, first.prompt, first.answer)
        assert row["skill"] == first.skill
    assert right.problem.prompt in rows[2]["tutor_text"]  # the next problem is only in what the tutor said


def test_csv_is_flat_with_named_columns_and_no_clip_references(tutor: Tutor) -> None:
    s = tutor.start_session(student="exp-2", topic="percentages")
    r = s.send("I don't get it at all, this is so frustrating")
    s.attach_clip(r.turn_id, "deadbeef.mp4")
    text = tutor.export(s.id, "csv")
    rows = _rows(text)
    header = list(rows[0])
    skills = sorted(s.mastery)
    assert header == [*CSV_COLUMNS, *(MASTERY_PREFIX + k for k in skills)]
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("{", "[")), f"JSON packed into {column}: {cell[:40]}"
    assert rows[1]["text_mood"] and rows[1]["mood"] and float(rows[1]["mood_confidence"]) >= 0
    assert rows[1]["text_valence"] and float(rows[1]["text_valence"]) < 0  # a frustrated message reads negative
    assert rows[1]["face_mood"] == "" and rows[1]["face_valence"] == ""  # no camera: blank, not "None"
    assert all(0 <= float(rows[-1][MASTERY_PREFIX + k]) <= 1 for k in skills)
    assert "deadbeef" not in text and "deadbeef" not in tutor.export(s.id, "json")  # temp files: not referenced


def test_json_keeps_the_full_structure_plus_the_answered_problem(tutor: Tutor) -> None:
    s = tutor.start_session(student="exp-3", topic="fractions")
    first = s.problem
    assert first is not None
    s.send(first.answer)
    doc = json.loads(tutor.export(s.id, "json"))
    log = tutor.transcript(s.id)
    assert doc["session"]["id"] == s.id and doc["session"]["student"] == "exp-3"
    assert len(doc["turns"]) == len(log) == 2
    for got, logged in zip(doc["turns"], log, strict=True):
        for key in ("problem", "mastery", "fused_affect", "text_affect", "state", "student_text", "move"):
            assert got[key] == logged[key]  # nested fields stay nested, nothing flattened away
    assert doc["turns"][0]["answered_problem"] is None
    assert doc["turns"][1]["answered_problem"] == first.to_dict()
    assert doc["turns"][1]["problem"]["id"] != first.id
    with pytest.raises(ValueError, match="csv"):
        tutor.export(s.id, "xlsx")


def test_answered_problem_survives_a_summary_turn_that_logs_no_problem() -> None:
    """A summary reply logs no problem yet leaves the unanswered one on the table (dialogue state)."""
    p1 = {"id": "p1", "skill": "s", "prompt": "1+1", "answer": "2"}
    turns = [
        {"problem": p1, "state": {"dialogue": {"problem_id": "p1"}}},
        {"problem": None, "state": {"dialogue": {"problem_id": "p1"}}},  # summary, problem kept
        {"problem": None, "state": {"dialogue": {"problem_id": None}}},  # answered and closed
        {"problem": None, "state": {"dialogue": {"problem_id": None}}},
    ]
    assert answered_problems(turns) == [None, p1, p1, None]
