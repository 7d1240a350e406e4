"""The small public types of accounts: a class, a student's login, a class overview."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ClassInfo:
    """A class as its teacher sees it."""

    id: str  # opaque id (uuid4); pass it to TeacherView.class_overview
    name: str  # e.g. "7B maths"
    code: str  # the join code to hand out, e.g. "K7M-X3P-Q9R" (typing it without dashes works too)
    n_students: int = 0


@dataclass(frozen=True)
class StudentLogin:
    """A class student after joining or resuming."""

    student: str  # the student id to pass to Tutor.start_session / Tutor.learner ("fox~k3m9x2ab7q")
    resume_code: str  # six words that bring this student back; shown once at joining, never stored plain
    pseudonym: str = ""  # the name the student chose, unique within the class
    class_id: str = ""
    class_name: str = ""


@dataclass(frozen=True)
class StudentSummary:
    """One row of a class overview."""

    student: str  # student id
    pseudonym: str
    mastery: dict[str, float]  # skill id -> P(mastered) now (forgetting applied); every skill of the curriculum
    practised: tuple[str, ...]  # skills this student has answered at least once
    last_active: datetime | None
    n_sessions: int
    n_flags: int  # distress flags raised in this student's sessions
    frustration: float  # mean P(frustrated) of the fused mood over the last turns, 0..1
    needs_help: bool  # low mastery together with frustration (see OverviewRules)


@dataclass(frozen=True)
class ClassOverview:
    """Students x skills mastery of one class; flagged students first, then those needing help."""

    class_id: str
    name: str
    code: str
    skills: tuple[str, ...]  # column order: curriculum skills, topic by topic
    skill_names: dict[str, str] = field(default_factory=dict)
    students: tuple[StudentSummary, ...] = ()
