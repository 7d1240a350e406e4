"""Accounts and the lasting learner model: teachers, classes, students, learner skills, settings.

Sessions logged before this revision keep their rows untouched. Their pseudonyms become the
students of one class, "Earlier sessions", owned by no teacher until the start-up teacher
(TUTOR_TEACHER_PASSWORD, account `teacher`) adopts it, so those sessions stay reachable through
the teacher view; each student's last logged mastery per skill seeds the learner model.

Revision ID: 0002_accounts
Revises: 0001_session_log
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002_accounts"
down_revision = "0001_session_log"
branch_labels = None
depends_on = None

LEGACY_CLASS_NAME = "Earlier sessions"
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # as tutor/accounts/codes.py (frozen here on purpose)
_HALF_LIFE_DAYS = 3.0  # TutorConfig.review_half_life_days at the time of this revision
_MASTERED = 0.95  # TutorConfig.mastery_threshold at the time of this revision
_TS = sa.DateTime(timezone=True)
_CLASSES = sa.table(
    "tutor_classes",
    sa.column("id"),
    sa.column("teacher_id"),
    sa.column("name"),
    sa.column("code"),
    sa.column("created_at", _TS),
)
_STUDENTS = sa.table(
    "tutor_students",
    sa.column("id"),
    sa.column("class_id"),
    sa.column("pseudonym"),
    sa.column("created_at", _TS),
    sa.column("last_active", _TS),
)
_SKILLS = sa.table(
    "tutor_learner_skills",
    sa.column("student_id"),
    sa.column("skill"),
    sa.column("p_mastered"),
    sa.column("practised_at", _TS),
    sa.column("half_life_days"),
    sa.column("attempts"),
    sa.column("mastered_at", _TS),
)


def upgrade() -> None:
    op.create_table(
        "tutor_teachers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "tutor_classes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("teacher_id", sa.String(36), sa.ForeignKey("tutor_teachers.id", ondelete="SET NULL"), nullable=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tutor_classes_teacher_id", "tutor_classes", ["teacher_id"])
    op.create_table(
        "tutor_students",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("class_id", sa.String(36), sa.ForeignKey("tutor_classes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("resume_digest", sa.String(64), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_active", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("class_id", "pseudonym"),
    )
    op.create_index("ix_tutor_students_class_id", "tutor_students", ["class_id"])
    op.create_table(
        "tutor_learner_skills",
        sa.Column(
            "student_id", sa.String(80), sa.ForeignKey("tutor_students.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("skill", sa.String(64), primary_key=True),
        sa.Column("p_mastered", sa.Float(), nullable=False),
        sa.Column("practised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("half_life_days", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("mastered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "tutor_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    _adopt_legacy_sessions()


def _adopt_legacy_sessions() -> None:
    """Turn the pseudonyms of existing sessions into students of one class, with their mastery."""
    conn = op.get_bind()
    students = [r[0] for r in conn.execute(sa.text("SELECT DISTINCT student FROM tutor_sessions ORDER BY student"))]
    if not students:
        return
    now = datetime.now(UTC)
    class_id = str(uuid.uuid4())
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(9))
    conn.execute(
        sa.insert(_CLASSES).values(id=class_id, teacher_id=None, name=LEGACY_CLASS_NAME, code=code, created_at=now)
    )
    sessions = sa.table("tutor_sessions", sa.column("id"), sa.column("student"))
    turn = sa.table(
        "tutor_turns",
        sa.column("session_id"),
        sa.column("idx"),
        sa.column("created_at", _TS),
        sa.column("mastery", sa.JSON()),
        sa.column("correct", sa.Boolean()),
        sa.column("problem", sa.JSON()),
    )
    turns = conn.execute(
        sa.select(sessions.c.student, turn.c.created_at, turn.c.mastery, turn.c.correct, turn.c.problem)
        .join(sessions, sessions.c.id == turn.c.session_id)
        .order_by(turn.c.created_at, turn.c.idx)
    )
    latest: dict[str, dict[str, tuple[float, Any, int]]] = {}
    last_active: dict[str, Any] = {}
    for student, at, mastery, correct, problem in turns:
        mastery = json.loads(mastery) if isinstance(mastery, str) else mastery
        problem = json.loads(problem) if isinstance(problem, str) else problem
        last_active[student] = at
        skill = (problem or {}).get("skill")
        if skill and isinstance(mastery, dict) and skill in mastery:
            _, _, n = latest.setdefault(student, {}).get(skill, (0.0, at, 0))
            latest[student][skill] = (float(mastery[skill]), at, n + int(correct is not None))
    for student in students:
        conn.execute(
            sa.insert(_STUDENTS).values(
                id=student,
                class_id=class_id,
                pseudonym=student,
                created_at=now,
                last_active=_utc(last_active.get(student)),
            )
        )
        for skill, (p, at, n) in latest.get(student, {}).items():
            conn.execute(
                sa.insert(_SKILLS).values(
                    student_id=student,
                    skill=skill,
                    p_mastered=p,
                    practised_at=_utc(at),
                    half_life_days=_HALF_LIFE_DAYS,
                    attempts=n,
                    mastered_at=_utc(at) if p >= _MASTERED else None,
                )
            )


def _utc(at: Any) -> Any:
    """Old SQLite rows come back naive (or as text); they were written in UTC."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.replace(tzinfo=UTC) if isinstance(at, datetime) and at.tzinfo is None else at


def downgrade() -> None:
    for table in ("tutor_settings", "tutor_learner_skills", "tutor_students", "tutor_classes", "tutor_teachers"):
        op.drop_table(table)
