"""A class at a glance: students x skills mastery, last activity, flags and who needs help now.

"Needs help" joins the two signals a teacher would act on (D'Mello & Graesser 2012: confusion
that turns into frustration without resolution predicts disengagement): low mastery on what the
student has practised AND frustration in their recent turns. Flagged students (distress) come
first, then those needing help, then the rest by pseudonym.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tutor.accounts.types import ClassOverview, StudentSummary
from tutor.learner import LearnerModel
from tutor.store import Store
from tutor.tables import ClassRow, FlagRow, SessionRow, StudentRow, TurnRow

NOTE_KIND = "note"  # a note for the teacher (e.g. repeated abuse), not a flag: never counted as one


@dataclass(frozen=True)
class OverviewRules:
    """When a student needs help."""

    low_mastery: float = 0.5  # mean P(mastered) over practised skills below this is "low"
    # Mean fused P(frustrated) over the recent turns at or above this is "frustrated". The fused track is
    # soft (it leans on neutral): two frustrated messages out of four scored 0.26, a calm student 0.0004.
    frustration: float = 0.2
    recent_turns: int = 10  # how many of the student's latest messages the frustration is read from


def class_overview(
    store: Store, learner: LearnerModel, class_row: ClassRow, code: str, rules: OverviewRules | None = None
) -> ClassOverview:
    rules = rules or OverviewRules()
    cur = learner.curriculum
    skills = tuple(sid for t in sorted(cur.topics) for sid in cur.topics[t].skills)
    with store.read() as db:
        students = db.scalars(select(StudentRow).where(StudentRow.class_id == class_row.id)).all()
        ids = [s.id for s in students]
        n_sessions = dict(db.execute(select(SessionRow.student, func.count()).where(SessionRow.student.in_(ids))
                                     .group_by(SessionRow.student)).all())  # fmt: skip
        n_flags = dict(db.execute(select(FlagRow.student, func.count())
                                  .where(FlagRow.student.in_(ids), FlagRow.kind != NOTE_KIND)
                                  .group_by(FlagRow.student)).all())  # fmt: skip
        moods = {sid: _recent_frustration(db, sid, rules.recent_turns) for sid in ids}
    rows = []
    for st in students:
        memories = learner.memories(st.id)
        mastery = learner.mastery_now(memories)
        practised = tuple(s for s in skills if s in memories)
        mean = sum(mastery[s] for s in practised) / len(practised) if practised else 1.0
        frustration = moods[st.id]
        last = st.last_active.replace(tzinfo=st.last_active.tzinfo or UTC) if st.last_active else None
        rows.append(StudentSummary(
            student=st.id, pseudonym=st.pseudonym, mastery=mastery, practised=practised, last_active=last,
            n_sessions=int(n_sessions.get(st.id, 0)), n_flags=int(n_flags.get(st.id, 0)),
            frustration=frustration, needs_help=bool(practised) and mean < rules.low_mastery
            and frustration >= rules.frustration,
        ))  # fmt: skip
    rows.sort(key=lambda r: (r.n_flags == 0, not r.needs_help, r.pseudonym.lower()))
    names = {sid: cur.skills[sid].name for sid in skills}
    return ClassOverview(class_row.id, class_row.name, code, skills, names, tuple(rows))


def _recent_frustration(db: Session, student: str, n: int) -> float:
    """Mean P(frustrated) of the fused mood over the student's last n messages (0 when none)."""
    stmt = (
        select(TurnRow.fused_affect)
        .join(SessionRow, SessionRow.id == TurnRow.session_id)
        .where(SessionRow.student == student, TurnRow.student_text.is_not(None))
        .order_by(TurnRow.created_at.desc())
        .limit(n)
    )
    values = [float(((a or {}).get("scores") or {}).get("frustrated", 0.0)) for a in db.scalars(stmt)]
    return sum(values) / len(values) if values else 0.0
