"""The session log: SQLAlchemy 2.0, a SQLite file by default, any SQLAlchemy URL (PostgreSQL) works.

One transaction per turn (the turn row and its flag commit together or not at all), so a
SIGKILL loses at most the turn being written and never leaves half a turn. SQLite runs in WAL
mode with synchronous=FULL (a committed turn survives a crash or power loss; WAL lets the
teacher dashboard read while students write). Student ids are pseudonyms checked by pattern;
texts are stored as typed (nothing is escaped here; renderers escape), except NUL characters and
lone surrogates, which neither PostgreSQL nor UTF-8 can hold, so they become U+FFFD. Images are
never stored: only derived affect readings (numbers) are.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, delete, event, func, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tutor import migrations
from tutor.errors import StoreError, UnknownSessionError
from tutor.export import EXPORT_FORMATS, export_session
from tutor.tables import FlagRow, LearnerSkillRow, SessionRow, StudentRow, TurnRow

# A pseudonym, after normalisation (NFKC, runs of white space -> one space, trimmed): 1-40 letters
# of any script, digits, spaces and . _ - ' (children write "blue fox" or "Zoë"), starting with a
# letter or digit; "@", "<", ";" and the like are refused, so e-mail addresses and markup are too.
PSEUDONYM_MAX_CHARS = 40
_PSEUDONYM = r"[^\W_][\w .'-]*"
_STUDENT_ID = re.compile(rf"^{_PSEUDONYM}$")
# A class student's id: their pseudonym, "~" and 10 random base32 letters. "~" is no pseudonym
# character, so nobody can type a class student's id as a practice pseudonym.
_REGISTERED_ID = re.compile(rf"^{_PSEUDONYM}~[a-z2-7]{{10}}$")


def new_id() -> str:
    """An unguessable id: uuid4 carries 122 bits from the OS random source."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalize_pseudonym(student: str) -> str:
    """The canonical form of a pseudonym: NFKC (full-width and composed letters become one
    form), white-space runs collapsed to one space, trimmed. Case is kept as typed."""
    return " ".join(unicodedata.normalize("NFKC", student).split())


def check_student_id(student: object) -> str:
    """Return the normalised pseudonym (or a class student's id as it is), or raise ValueError."""
    if isinstance(student, str) and _REGISTERED_ID.match(student):
        return student
    name = normalize_pseudonym(student) if isinstance(student, str) else ""
    if not name or len(name) > PSEUDONYM_MAX_CHARS or not _STUDENT_ID.match(name):
        raise ValueError(
            f"A student id must be a pseudonym of 1-{PSEUDONYM_MAX_CHARS} letters, digits or spaces "
            "(also . _ - '), starting and ending with a letter or digit, and no e-mail address, "
            "e.g. 'blue fox'."
        )
    return name


def clean_text(value: str) -> str:
    """Text every backend can store: NUL and lone surrogates become U+FFFD; nothing else changes."""
    value = value.replace("\x00", "\ufffd")
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if _has_surrogate(value) else value


def _has_surrogate(value: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in value)


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything here is UTC."""
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


def normalise_url(url: str) -> str:
    """'postgresql://' means psycopg 3 here (the driver this project installs)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


FLAG_KINDS: tuple[str, ...] = ("distress", "wellbeing", "note")  # what a teacher is told, most urgent first


class Store:
    """All reads and writes of the session log."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        try:
            self._prepare_sqlite_folder()
            self.engine: Engine = create_engine(self.url, pool_pre_ping=True)
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_pragmas)
            migrations.upgrade(self.engine)  # schema changes are alembic migrations (tutor/migrations)
        except (SQLAlchemyError, OSError) as err:
            raise StoreError(f"Cannot open the session log at {self._safe_url()}: {err}") from err
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _safe_url(self) -> str:
        return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", self.url)  # never print a password

    def _prepare_sqlite_folder(self) -> None:
        if self.url.startswith("sqlite:///") and ":memory:" not in self.url:
            folder = os.path.dirname(os.path.abspath(self.url[len("sqlite:///") :]))
            os.makedirs(folder, exist_ok=True)
            if not os.access(folder, os.W_OK):
                raise OSError(f"the folder {folder} is not writable")

    def close(self) -> None:
        self.engine.dispose()

    # --- writes (each one transaction) ---------------------------------------------------------
    def create_session(self, student: str, topic: str, policy: str, seed: int) -> str:
        row = SessionRow(id=new_id(), student=check_student_id(student), topic=topic, policy=policy,
                         seed=seed, started_at=utcnow())  # fmt: skip
        self._write(lambda s: s.add(row), "start the session")
        return row.id

    def add_turn(
        self,
        session_id: str,
        record: dict[str, Any],
        flag_reason: str | None = None,
        also: Callable[[Session, str], None] | None = None,
        flag_kind: str = "distress",
    ) -> str:
        """Write one turn (and its flag) atomically; returns the turn id. `also(db, student)` runs in
        the same transaction (the learner model saves its update there: both or neither).

        flag_kind: "distress" (safeguarding), "wellbeing" (sad, lonely, bullied: a lower level, shown
        apart) or "note" (e.g. repeated abuse: for the teacher's eyes, the turn is not marked flagged)."""
        if flag_kind not in FLAG_KINDS:
            raise ValueError(f"flag_kind must be one of {FLAG_KINDS}, got {flag_kind!r}.")
        turn_id = new_id()
        flagged = flag_reason is not None and flag_kind != "note"
        row = TurnRow(id=turn_id, session_id=session_id, created_at=utcnow(), flagged=flagged,
                      **{k: clean_text(v) if isinstance(v, str) else v for k, v in record.items()})  # fmt: skip

        def write(s: Any) -> None:
            student = s.scalar(select(SessionRow.student).where(SessionRow.id == session_id))
            if student is None:
                raise UnknownSessionError(f"No session {session_id!r}.")
            s.add(row)
            if flag_reason is not None:
                s.flush()  # the turn row must exist before the flag refers to it (PostgreSQL FKs)
                s.add(FlagRow(id=new_id(), session_id=session_id, turn_id=turn_id, student=student,
                              kind=flag_kind, reason=clean_text(flag_reason), created_at=row.created_at))  # fmt: skip
            if also is not None:
                also(s, student)

        self._write(write, "save the turn")
        return turn_id

    def attach_clip(self, session_id: str, turn_ref: str | int, clip_ref: str) -> None:
        cond = TurnRow.idx == turn_ref if isinstance(turn_ref, int) else TurnRow.id == turn_ref
        stmt = update(TurnRow).where(TurnRow.session_id == session_id, cond).values(clip_ref=clean_text(clip_ref))

        def write(s: Any) -> None:
            if s.execute(stmt).rowcount != 1:
                raise UnknownSessionError(f"No turn {turn_ref!r} in session {session_id!r}.")

        self._write(write, "record the clip")

    def end_session(self, session_id: str) -> None:
        stmt = update(SessionRow).where(SessionRow.id == session_id).values(ended_at=utcnow())
        self._write(lambda s: s.execute(stmt), "end the session")

    def delete_student(self, student: str) -> int:
        """Remove every row about one student (flags, turns, sessions, learner model, account); returns the count."""
        student = check_student_id(student)
        counts: list[int] = []

        def write(s: Any) -> None:
            ids = select(SessionRow.id).where(SessionRow.student == student).scalar_subquery()
            counts.append(s.execute(delete(FlagRow).where(FlagRow.student == student)).rowcount)
            counts.append(s.execute(delete(FlagRow).where(FlagRow.session_id.in_(ids))).rowcount)
            counts.append(s.execute(delete(TurnRow).where(TurnRow.session_id.in_(ids))).rowcount)
            counts.append(s.execute(delete(SessionRow).where(SessionRow.student == student)).rowcount)
            counts.append(s.execute(delete(LearnerSkillRow).where(LearnerSkillRow.student_id == student)).rowcount)
            counts.append(s.execute(delete(StudentRow).where(StudentRow.id == student)).rowcount)

        self._write(write, "delete the student's data")
        return sum(counts)

    def read(self) -> Session:
        """A database session for reading (use as a context manager)."""
        return self._sessions()

    def write(self, fn: Callable[[Session], Any], what: str) -> None:
        """Run fn(db) in one transaction; database errors become StoreError naming `what`."""
        self._write(fn, what)

    def _write(self, fn: Any, what: str) -> None:
        try:
            with self._sessions.begin() as s:
                fn(s)
        except (UnknownSessionError, ValueError, PermissionError):  # the caller's own refusals pass through
            raise
        except SQLAlchemyError as err:  # disk full, read-only file, lost connection: nothing half-written
            raise StoreError(f"Could not {what} in the session log: {err.__class__.__name__}: {err}") from err

    # --- reads -----------------------------------------------------------------------------------
    def session(self, session_id: str) -> dict[str, Any]:
        with self._sessions() as s:
            row = s.get(SessionRow, session_id) if isinstance(session_id, str) else None
            if row is None:
                raise UnknownSessionError(f"No session {session_id!r}.")
            return {"id": row.id, "student": row.student, "topic": row.topic, "policy": row.policy,
                    "seed": row.seed, "started_at": _aware(row.started_at),
                    "ended_at": _aware(row.ended_at)}  # fmt: skip

    def list_sessions(
        self, student: str | None = None, students: Collection[str] | None = None
    ) -> list[dict[str, Any]]:
        """Sessions newest first, of one student, of a set of students, or (both None) of everyone."""
        n_turns = select(func.count()).where(TurnRow.session_id == SessionRow.id, TurnRow.idx > 0)
        n_flags = select(func.count()).where(FlagRow.session_id == SessionRow.id)
        last = select(func.max(TurnRow.created_at)).where(TurnRow.session_id == SessionRow.id)
        stmt = select(SessionRow, n_turns.scalar_subquery(), n_flags.scalar_subquery(), last.scalar_subquery())
        if student is not None:
            stmt = stmt.where(SessionRow.student == check_student_id(student))
        if students is not None:
            stmt = stmt.where(SessionRow.student.in_(list(students)))
        with self._sessions() as s:
            rows = s.execute(stmt.order_by(SessionRow.started_at.desc())).all()
        return [{"id": r.id, "student": r.student, "topic": r.topic, "policy": r.policy,
                 "started_at": _aware(r.started_at), "ended_at": _aware(r.ended_at), "n_turns": int(nt or 0),
                 "n_flags": int(nf or 0), "n_flagged": int(nf or 0), "flagged": bool(nf), "last_activity": _aware(la)}
                for r, nt, nf, la in rows]  # fmt: skip

    def turns(self, session_id: str) -> list[dict[str, Any]]:
        self.session(session_id)
        with self._sessions() as s:
            rows = s.scalars(select(TurnRow).where(TurnRow.session_id == session_id).order_by(TurnRow.idx)).all()
            reasons = dict(
                s.execute(select(FlagRow.turn_id, FlagRow.reason).where(FlagRow.session_id == session_id)).all()
            )
        return [_turn_dict(r, reasons.get(r.id)) for r in rows]

    def flags(self, student: str | None = None) -> list[dict[str, Any]]:
        stmt = select(FlagRow).order_by(FlagRow.created_at.desc())
        if student is not None:
            stmt = stmt.where(FlagRow.student == check_student_id(student))
        with self._sessions() as s:
            return [{"id": f.id, "session_id": f.session_id, "turn_id": f.turn_id, "student": f.student,
                     "kind": f.kind, "reason": f.reason, "created_at": _aware(f.created_at)}
                    for f in s.scalars(stmt)]  # fmt: skip

    def count_rows(self, student: str) -> int:
        """Rows anywhere that belong to this student (the deletion test's witness)."""
        with self._sessions() as s:
            ids = select(SessionRow.id).where(SessionRow.student == student).scalar_subquery()
            return sum(
                int(s.scalar(q) or 0)
                for q in (
                    select(func.count()).select_from(SessionRow).where(SessionRow.student == student),
                    select(func.count()).select_from(TurnRow).where(TurnRow.session_id.in_(ids)),
                    select(func.count()).select_from(FlagRow).where(FlagRow.student == student),
                )
            )

    def integrity_check(self) -> str:
        """'ok' when the database is sound (SQLite PRAGMA integrity_check; other engines: a query)."""
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "sqlite":
                return str(conn.execute(text("PRAGMA integrity_check")).scalar())
            conn.execute(select(func.count()).select_from(TurnRow))
            return "ok"

    def export(self, session_id: str, fmt: str = "csv") -> str:
        """One session as CSV (one row per turn, flat named columns) or as a JSON document
        (see `tutor.export`)."""
        if fmt not in EXPORT_FORMATS:  # before any read: a bad format is the caller's error, not a lookup
            raise ValueError(f"Export format must be 'csv' or 'json', got {fmt!r}.")
        return export_session(self.session(session_id), self.turns(session_id), fmt)


def _turn_dict(r: TurnRow, reason: str | None) -> dict[str, Any]:
    return {
        "turn_id": r.id, "index": r.idx, "time": _aware(r.created_at), "at": _aware(r.created_at),
        "student_text": r.student_text,
        "tutor_text": r.tutor_text, "spoken": r.tutor_spoken, "intent": r.intent, "move": r.move,
        "avatar_emotion": r.avatar_emotion, "intensity": r.intensity, "text_affect": r.text_affect,
        "face_affect": r.face_affect, "fused_affect": r.fused_affect, "problem": r.problem, "correct": r.correct,
        "mastery": r.mastery, "state": r.state, "clip_ref": r.clip_ref, "flagged": r.flagged, "flag_reason": reason,
    }  # fmt: skip


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cur.execute("PRAGMA synchronous=FULL")  # a committed turn survives power loss, not only SIGKILL
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")  # several app threads share the file
    cur.close()
