"""Every table of the database as SQLAlchemy rows: the session log and the accounts.

The schema itself is created and changed only by the migrations in `tutor/migrations/`
(alembic); these classes are how the code reads and writes it, and a test checks that the two
agree. Ids are uuid4 strings (122 random bits) except students', which carry the pseudonym so a
teacher's export stays readable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class SessionRow(Base):
    __tablename__ = "tutor_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    student: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str] = mapped_column(String(64))
    policy: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class TurnRow(Base):
    __tablename__ = "tutor_turns"
    __table_args__ = (UniqueConstraint("session_id", "idx"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("tutor_sessions.id", ondelete="CASCADE"), index=True)
    idx: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    student_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    intent: Mapped[str] = mapped_column(String(16))
    text_affect: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    face_affect: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    fused_affect: Mapped[dict[str, Any]] = mapped_column(JSON)
    move: Mapped[str] = mapped_column(String(24))
    avatar_emotion: Mapped[str] = mapped_column(String(16))
    intensity: Mapped[float] = mapped_column(Float)
    tutor_text: Mapped[str] = mapped_column(Text)
    tutor_spoken: Mapped[str] = mapped_column(Text)
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    mastery: Mapped[dict[str, float]] = mapped_column(JSON)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)  # dialogue state after the turn (for resume)
    clip_ref: Mapped[str | None] = mapped_column(String(512), nullable=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)


class FlagRow(Base):
    __tablename__ = "tutor_flags"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("tutor_sessions.id", ondelete="CASCADE"), index=True)
    turn_id: Mapped[str] = mapped_column(ForeignKey("tutor_turns.id", ondelete="CASCADE"))
    student: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TeacherRow(Base):
    __tablename__ = "tutor_teachers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id PHC string, never the password
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClassRow(Base):
    __tablename__ = "tutor_classes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    teacher_id: Mapped[str | None] = mapped_column(
        ForeignKey("tutor_teachers.id", ondelete="SET NULL"), index=True, nullable=True
    )
    name: Mapped[str] = mapped_column(String(120))
    code: Mapped[str] = mapped_column(String(16), unique=True)  # join code, canonical form (no dashes)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StudentRow(Base):
    __tablename__ = "tutor_students"
    __table_args__ = (UniqueConstraint("class_id", "pseudonym"),)
    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # "<pseudonym>~<10 base32>" (or a legacy pseudonym)
    class_id: Mapped[str] = mapped_column(ForeignKey("tutor_classes.id", ondelete="CASCADE"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(64))
    resume_digest: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)  # sha256 of the code
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_active: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LearnerSkillRow(Base):
    """What the tutor believes about one skill of one student, across sessions."""

    __tablename__ = "tutor_learner_skills"
    student_id: Mapped[str] = mapped_column(ForeignKey("tutor_students.id", ondelete="CASCADE"), primary_key=True)
    skill: Mapped[str] = mapped_column(String(64), primary_key=True)
    p_mastered: Mapped[float] = mapped_column(Float)  # BKT P(L) right after the last practice
    practised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # forgetting runs from here
    half_life_days: Mapped[float] = mapped_column(Float)  # memory half-life; grows with each spaced review
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # first attempts counted by BKT
    mastered_at: Mapped[datetime | None] = mapped_column(  # last answer that left P(L) >= the threshold
        DateTime(timezone=True), nullable=True
    )


class SettingRow(Base):
    """Server-side settings shared by every replica (the login-token signing key)."""

    __tablename__ = "tutor_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
