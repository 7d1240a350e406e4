"""The learner model that lasts: per-student skill memories in the database, read with forgetting.

A class student's BKT mastery is saved with every turn that changes it (in the turn's own
transaction, so the log and the model never disagree) and read back, with forgetting applied,
when any later session starts, on any topic, after any restart. Anonymous practice (a student
id that is no class student) reads the priors and saves nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tutor.curriculum import Curriculum
from tutor.learner.forgetting import ForgettingParams, SkillMemory, after_practice, due_for_review, recalled
from tutor.store import Store
from tutor.tables import LearnerSkillRow, StudentRow

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


class LearnerModel:
    """Reads and updates skill memories; knows the curriculum's priors and the forgetting curve."""

    def __init__(
        self, curriculum: Curriculum, store: Store, params: ForgettingParams, threshold: float, clock: Clock = utcnow
    ) -> None:
        self.curriculum = curriculum
        self.store = store
        self.params = params
        self.threshold = threshold
        self.clock = clock

    def is_student(self, student: str) -> bool:
        """True for a class student (their model lasts); False for anonymous practice."""
        with self.store.read() as db:
            return db.get(StudentRow, student) is not None

    def memories(self, student: str) -> dict[str, SkillMemory]:
        """Every stored skill memory of a student (skills never practised are absent)."""
        with self.store.read() as db:
            rows = db.scalars(select(LearnerSkillRow).where(LearnerSkillRow.student_id == student)).all()
        return {
            r.skill: SkillMemory(r.skill, r.p_mastered, _aware(r.practised_at), r.half_life_days, r.attempts,
                                 _aware(r.mastered_at) if r.mastered_at else None)
            for r in rows
            if r.skill in self.curriculum.skills  # a skill removed from the curriculum is kept but not shown
        }  # fmt: skip

    def prior(self, skill: str) -> float:
        return self.curriculum.skills[skill].bkt.p_init

    def mastery_now(self, memories: Mapping[str, SkillMemory], now: datetime | None = None) -> dict[str, float]:
        """P(mastered) now for every skill of the curriculum (priors for skills never practised)."""
        now = now or self.clock()
        return {
            sid: recalled(memories[sid], self.prior(sid), now, self.params) if sid in memories else self.prior(sid)
            for sid in self.curriculum.skills
        }

    def due(self, memories: Mapping[str, SkillMemory], now: datetime | None = None) -> set[str]:
        """Mastered skills that have faded below the review line."""
        now = now or self.clock()
        return {sid for sid, m in memories.items() if due_for_review(m, self.prior(sid), now, self.params)}

    def session_start(self, student: str, skills: list[str]) -> tuple[dict[str, float], dict[str, SkillMemory]]:
        """Starting mastery of a session's skills and the memories the session updates."""
        now = self.clock()
        stored = self.memories(student)
        mastery = self.mastery_now(stored, now)
        start = {
            sid: replace(stored[sid], p_mastered=mastery[sid])
            if sid in stored
            else SkillMemory(sid, mastery[sid], now, self.params.half_life_days)
            for sid in skills
        }
        return {sid: mastery[sid] for sid in skills}, start

    def changes(self, memories: Mapping[str, SkillMemory], mastery: Mapping[str, float]) -> list[SkillMemory]:
        """Updated memories of the skills whose mastery moved since the memories were taken."""
        now = self.clock()
        return [
            after_practice(m, float(mastery[sid]), now, self.threshold, self.params)
            for sid, m in memories.items()
            if sid in mastery and float(mastery[sid]) != m.p_mastered
        ]

    @staticmethod
    def saver(changes: list[SkillMemory]) -> Callable[[Session, str], None]:
        """What Store.add_turn runs in the turn's transaction: upsert the memories, touch last_active."""

        def save(db: Session, student: str) -> None:
            for m in changes:
                db.merge(LearnerSkillRow(student_id=student, skill=m.skill, p_mastered=m.p_mastered,
                                         practised_at=m.practised_at, half_life_days=m.half_life_days,
                                         attempts=m.attempts, mastered_at=m.mastered_at))  # fmt: skip
            db.execute(update(StudentRow).where(StudentRow.id == student).values(last_active=utcnow()))

        return save
