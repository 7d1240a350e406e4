"""A logged session as a teacher's spreadsheet (CSV) or as its full structure (JSON).

CSV: one row per turn, flat named columns (no JSON packed into cells), a `mastery: <skill>`
column per skill the session touched. The problem columns of a row are the problem the
student's message ANSWERED: each turn logs the problem it leaves on the table (the reply's next
problem), so the answered one is the one the previous turn left there (its dialogue state's
`problem_id`). Cells a spreadsheet would run as formulas are defused.

JSON: the session and every logged turn field as stored, plus `answered_problem` per turn.

Clip references are left out of both: the clip files are temporary (deleted minutes after they
were played), so a reference in an export would point at nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

EXPORT_FORMATS = ("csv", "json")
# The fixed columns of the CSV, in order; `mastery: <skill id>` columns follow.
CSV_COLUMNS: tuple[str, ...] = (
    "session_id", "student", "topic", "turn", "time_utc", "student_text", "intent",
    "problem_id", "skill", "problem", "expected_answer", "correct",
    "tutor_move", "tutor_text", "avatar_emotion",
    "mood", "mood_confidence", "mood_valence", "text_mood", "text_valence", "face_mood", "face_valence",
    "flagged", "flag_reason",
)  # fmt: skip
MASTERY_PREFIX = "mastery: "
# Turn fields never exported: clip files are temporary (see the module docstring).
_NOT_EXPORTED = ("clip_ref",)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def answered_problems(turns: Sequence[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Per turn, the problem that was on the table when the student wrote (None for the opening).

    Each turn logs the problem its reply leaves on the table; when a dialogue state is logged
    too, its `problem_id` is authoritative (a summary turn logs no problem yet keeps the
    unanswered one on the table).
    """
    seen: dict[str, dict[str, Any]] = {}
    on_table: dict[str, Any] | None = None
    out: list[dict[str, Any] | None] = []
    for turn in turns:
        out.append(on_table)
        posed = turn.get("problem")
        if posed:
            seen[str(posed.get("id"))] = posed
        dialogue = (turn.get("state") or {}).get("dialogue") or {}
        if "problem_id" in dialogue:
            pid = dialogue["problem_id"]
            on_table = (seen.get(pid) or {"id": pid}) if pid else None
        else:
            on_table = posed
    return out


def export_session(info: dict[str, Any], turns: Sequence[dict[str, Any]], fmt: str) -> str:
    """One session (`Store.session` + `Store.turns`) as CSV or JSON text."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"Export format must be 'csv' or 'json', got {fmt!r}.")
    answered = answered_problems(turns)
    if fmt == "json":
        doc = {
            "session": info,
            "turns": [
                {**{k: v for k, v in t.items() if k not in _NOT_EXPORTED}, "answered_problem": a}
                for t, a in zip(turns, answered, strict=True)
            ],
        }
        return json.dumps(doc, default=_json_default, ensure_ascii=False, indent=1)
    skills = sorted({skill for t in turns for skill in (t.get("mastery") or {})})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[*CSV_COLUMNS, *(MASTERY_PREFIX + s for s in skills)])
    writer.writeheader()
    for turn, problem in zip(turns, answered, strict=True):
        writer.writerow({k: _defuse(v) for k, v in csv_row(info, turn, problem).items()})
    return buf.getvalue()


def csv_row(info: dict[str, Any], t: dict[str, Any], problem: dict[str, Any] | None) -> dict[str, Any]:
    """The flat CSV cells of one turn (before defusing)."""
    fused, text_a, face_a = t.get("fused_affect") or {}, t.get("text_affect") or {}, t.get("face_affect") or {}
    problem = problem or {}
    at = t.get("time")
    row = {
        "session_id": info["id"], "student": info["student"], "topic": info["topic"], "turn": t["index"],
        "time_utc": at.isoformat(timespec="seconds") if isinstance(at, datetime) else "",
        "student_text": t.get("student_text") or "", "intent": t.get("intent") or "",
        "problem_id": problem.get("id", ""), "skill": problem.get("skill", ""),
        "problem": problem.get("prompt", ""), "expected_answer": problem.get("answer", ""),
        "correct": "" if t.get("correct") is None else ("yes" if t["correct"] else "no"),
        "tutor_move": t.get("move", ""), "tutor_text": t.get("tutor_text", ""),
        "avatar_emotion": t.get("avatar_emotion", ""),
        "mood": fused.get("label", ""), "mood_confidence": _num(fused.get("confidence")),
        "mood_valence": _num(fused.get("valence")),
        "text_mood": text_a.get("label", ""), "text_valence": _num(text_a.get("valence")),
        "face_mood": face_a.get("label", ""), "face_valence": _num(face_a.get("valence")),
        "flagged": "yes" if t.get("flagged") else "no", "flag_reason": t.get("flag_reason") or "",
    }  # fmt: skip
    row.update({MASTERY_PREFIX + s: _num(p) for s, p in (t.get("mastery") or {}).items()})
    return row


def _num(value: Any) -> Any:
    """Numbers rounded for a spreadsheet (3 decimals is finer than any estimate here); blanks stay blank."""
    return "" if value is None else round(float(value), 3)


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _defuse(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP's advice
    against CSV injection: a student typing =HYPERLINK(...) must not become a live link in the
    teacher's spreadsheet). Plain numbers such as -3 stay as they are; JSON exports stay raw."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value
