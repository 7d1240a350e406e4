"""What one logged-in teacher may see and do: only their own classes, students and sessions.

Every method checks ownership first and raises PermissionError for a class, student or session
outside the teacher's classes, and for one that does not exist (so the answer never tells an
outsider whether an id exists). Get a view with `Tutor.teacher(name, password)` or, in the web
app, `Tutor.teacher_from_token(token)`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from tutor.accounts import codes
from tutor.accounts.overview import NOTE_KIND, OverviewRules, class_overview
from tutor.accounts.service import Accounts, Teacher
from tutor.accounts.types import ClassInfo, ClassOverview
from tutor.errors import UnknownSessionError
from tutor.learner import LearnerModel
from tutor.store import Store
from tutor.tables import ClassRow, FlagRow, SessionRow, StudentRow

_DENIED = "not in your classes"


class TeacherView:
    """The teacher's read (and delete) API, scoped to their classes."""

    def __init__(self, accounts: Accounts, learner: LearnerModel, teacher: Teacher, token: str = "") -> None:
        self._accounts = accounts
        self._store: Store = accounts.store
        self._learner = learner
        self._teacher = teacher
        self.token = token  # a signed login token for this teacher (the web app keeps it in the browser)

    @property
    def name(self) -> str:
        return self._teacher.name

    # --- ownership -----------------------------------------------------------------------------
    def _class_ids(self) -> list[str]:
        with self._store.read() as db:
            return list(db.scalars(select(ClassRow.id).where(ClassRow.teacher_id == self._teacher.id)))

    def _students(self, class_id: str | None = None) -> dict[str, dict[str, str]]:
        """student id -> {pseudonym, class_id} for the teacher's students (of one class if given)."""
        ids = self._class_ids() if class_id is None else [self._own_class(class_id).id]
        with self._store.read() as db:
            rows = db.execute(select(StudentRow.id, StudentRow.pseudonym, StudentRow.class_id)
                              .where(StudentRow.class_id.in_(ids))).all()  # fmt: skip
        return {r.id: {"pseudonym": r.pseudonym, "class_id": r.class_id} for r in rows}

    def _own_class(self, class_id: object) -> ClassRow:
        with self._store.read() as db:
            row = db.get(ClassRow, class_id) if isinstance(class_id, str) else None
        if row is None or row.teacher_id != self._teacher.id:
            raise PermissionError(f"That class is {_DENIED}.")
        return row

    def _own_student(self, student: object) -> StudentRow:
        with self._store.read() as db:
            row = db.get(StudentRow, student) if isinstance(student, str) else None
            owner = db.get(ClassRow, row.class_id) if row is not None else None
        if row is None or owner is None or owner.teacher_id != self._teacher.id:
            raise PermissionError(f"That student is {_DENIED}.")
        return row

    def _own_session(self, session_id: object) -> str:
        with self._store.read() as db:
            row = db.get(SessionRow, session_id) if isinstance(session_id, str) else None
        if row is None:
            raise PermissionError(f"That session is {_DENIED}.")
        self._own_student(row.student)
        return row.id

    # --- classes -------------------------------------------------------------------------------
    def classes(self) -> list[ClassInfo]:
        """The teacher's classes, oldest first, with their join codes."""
        return self._accounts.classes_of(self._teacher)

    def create_class(self, name: str) -> ClassInfo:
        """A new class owned by this teacher; its `code` is what students type to join."""
        return self._accounts.create_class(self._teacher, name)

    def class_overview(self, class_id: str, rules: OverviewRules | None = None) -> ClassOverview:
        """Students x skills mastery, last activity, flags and "needs help"; flagged students first."""
        row = self._own_class(class_id)
        return class_overview(self._store, self._learner, row, codes.show_join_code(row.code), rules)

    # --- students and sessions -----------------------------------------------------------------
    def list_sessions(self, class_id: str | None = None, student: str | None = None) -> list[dict[str, Any]]:
        """Sessions of the teacher's students, newest first (see Store.list_sessions for the fields),
        each with the student's `pseudonym` and `class_id`; narrowed to one class or one student."""
        if student is not None:
            self._own_student(student)
            owned = {student: self._students()[student]}
        else:
            owned = self._students(class_id)
        rows = self._store.list_sessions(students=list(owned))
        return [{**r, **owned[r["student"]]} for r in rows]

    def flags(self, since: datetime | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Newest flags of the teacher's students first (one query): id, session_id, turn_id, student,
        pseudonym, class_id, kind, reason, created_at; only those after `since` if given."""
        if not 1 <= int(limit) <= 1000:
            raise ValueError("limit must be between 1 and 1000.")
        stmt = (
            select(FlagRow, StudentRow.pseudonym, StudentRow.class_id)
            .join(StudentRow, StudentRow.id == FlagRow.student)
            .join(ClassRow, ClassRow.id == StudentRow.class_id)
            .where(ClassRow.teacher_id == self._teacher.id, FlagRow.kind != NOTE_KIND)
            .order_by(FlagRow.created_at.desc())
            .limit(int(limit))
        )
        if since is not None:
            stmt = stmt.where(FlagRow.created_at > since)
        with self._store.read() as db:
            rows = db.execute(stmt).all()
        return [{"id": f.id, "session_id": f.session_id, "turn_id": f.turn_id, "student": f.student,
                 "pseudonym": pseudonym, "class_id": class_id, "kind": f.kind, "reason": f.reason,
                 "created_at": f.created_at.replace(tzinfo=f.created_at.tzinfo or UTC)}
                for f, pseudonym, class_id in rows]  # fmt: skip

    def learner(self, student: str) -> dict[str, float]:
        """The student's P(mastered) per skill now."""
        self._own_student(student)
        return self._learner.mastery_now(self._learner.memories(student))

    def transcript(self, session_id: str) -> list[dict[str, Any]]:
        """Every turn of one of the teacher's sessions."""
        return self._store.turns(self._own_session(session_id))

    def export(self, session_id: str, fmt: str = "csv") -> str:
        """One of the teacher's sessions as CSV or JSON text."""
        return self._store.export(self._own_session(session_id), fmt)

    def delete_student(self, student: str) -> int:
        """Delete one of the teacher's students with every session, turn, flag and learner row."""
        self._own_student(student)
        try:
            return self._store.delete_student(student)
        except UnknownSessionError as err:  # deleted by someone else in between
            raise PermissionError(f"That student is {_DENIED}.") from err
