"""The session log as the releases before accounts created it (tutor_sessions, _turns, _flags).

Revision ID: 0001_session_log
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_session_log"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tutor_sessions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("student", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("policy", sa.String(64), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_tutor_sessions_student", "tutor_sessions", ["student"])
    op.create_table(
        "tutor_turns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("session_id", sa.String(36), sa.ForeignKey("tutor_sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("student_text", sa.Text(), nullable=True),
        sa.Column("intent", sa.String(16), nullable=False),
        sa.Column("text_affect", sa.JSON(), nullable=True),
        sa.Column("face_affect", sa.JSON(), nullable=True),
        sa.Column("fused_affect", sa.JSON(), nullable=False),
        sa.Column("move", sa.String(24), nullable=False),
        sa.Column("avatar_emotion", sa.String(16), nullable=False),
        sa.Column("intensity", sa.Float(), nullable=False),
        sa.Column("tutor_text", sa.Text(), nullable=False),
        sa.Column("tutor_spoken", sa.Text(), nullable=False),
        sa.Column("problem", sa.JSON(), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.Column("mastery", sa.JSON(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("clip_ref", sa.String(512), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("session_id", "idx"),
    )
    op.create_index("ix_tutor_turns_session_id", "tutor_turns", ["session_id"])
    op.create_table(
        "tutor_flags",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("session_id", sa.String(36), sa.ForeignKey("tutor_sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("turn_id", sa.String(36), sa.ForeignKey("tutor_turns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("student", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tutor_flags_session_id", "tutor_flags", ["session_id"])
    op.create_index("ix_tutor_flags_student", "tutor_flags", ["student"])


def downgrade() -> None:
    op.drop_table("tutor_flags")
    op.drop_table("tutor_turns")
    op.drop_table("tutor_sessions")
