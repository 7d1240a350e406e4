"""The Tutor facade: loads everything once and hands out sessions; the teacher's read API.

    from tutor import Tutor
    tutor = Tutor.create()                       # embedded SQLite under TUTOR_DATA_DIR or ./data
    session = tutor.start_session(student="s-17", topic="fractions")
    reply = session.send("3/4")

The affect analysers are loaded here (or injected, so the UI shares one copy across all
sessions); the MiniLM encoder inside `TextAffect` also embeds messages for the dialogue-act reader.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from tutor.accounts import Accounts, ClassInfo, StudentLogin, TeacherView, check_pseudonym
from tutor.config import TutorConfig
from tutor.conversation.turn import Banks
from tutor.curriculum import Curriculum
from tutor.dialogue import DialogueState, next_problem
from tutor.errors import UnknownSessionError
from tutor.language.acthead import ActHead
from tutor.language.acts import ActReader, load_topic_words
from tutor.learner import LearnerModel, PathStep, next_step
from tutor.learner.path import FirstSkillSelector
from tutor.learner.welcome import opening_note
from tutor.policy import POLICIES
from tutor.selection import AdaptiveSelector
from tutor.session import TutorParts, TutorSession
from tutor.store import Store, check_student_id


class Tutor:
    """Owns the curriculum, the session log, the analysers and the policy; makes sessions."""

    def __init__(self, parts: TutorParts, accounts: Accounts | None = None) -> None:
        self._p = parts
        self._accounts = accounts or Accounts(parts.store, parts.config.accounts)
        if parts.learner is None:
            parts.learner = LearnerModel(parts.curriculum, parts.store, parts.config.forgetting,
                                         parts.config.mastery_threshold)  # fmt: skip

    @classmethod
    def create(
        cls,
        db_url: str | None = None,
        *,
        config: TutorConfig | None = None,
        text_affect: Any | None = None,
        face_affect: Any | None = None,
    ) -> Tutor:
        """Open (or create) the session log and load the analysers that were not passed in.

        db_url overrides config.db_url; None and "" mean the embedded SQLite file.
        """
        cfg = config or TutorConfig()
        if db_url is not None and not isinstance(db_url, str):
            raise ValueError("db_url must be a SQLAlchemy URL string or None.")
        from affect import AffectTracker, FaceAffect, TextAffect

        if text_affect is None:
            text_affect = TextAffect.load()
        if face_affect is None and cfg.load_face:
            face_affect = FaceAffect.load()
        store = Store(db_url or cfg.resolved_db_url())  # runs the schema migrations
        curriculum = Curriculum.load(cfg.curriculum_dir or None)
        parts = TutorParts(
            config=cfg,
            curriculum=curriculum,
            store=store,
            acts=ActReader(ActHead.load(), text_affect.embed, load_topic_words(sorted(curriculum.topics))),
            banks=Banks.build(curriculum, text_affect.embed),
            policy=POLICIES[cfg.policy](),
            selector=AdaptiveSelector(threshold=cfg.mastery_threshold),
            text_affect=text_affect,
            face_affect=face_affect,
            new_tracker=AffectTracker,
            learner=LearnerModel(curriculum, store, cfg.forgetting, cfg.mastery_threshold),
        )
        return cls(parts)

    @property
    def config(self) -> TutorConfig:
        return self._p.config

    @property
    def curriculum(self) -> Curriculum:
        return self._p.curriculum

    @property
    def store(self) -> Store:
        return self._p.store

    @property
    def accounts(self) -> Accounts:
        return self._accounts

    @property
    def _learner(self) -> LearnerModel:
        assert self._p.learner is not None
        return self._p.learner

    def classify(self, text: str) -> str:
        """The dialogue act of one message, context-free: one of tutor.DIALOGUE_ACTS."""
        return self._p.acts.classify(text)

    def topics(self) -> list[str]:
        """Topic ids, e.g. ["fractions", "linear_equations", "percentages"]."""
        return sorted(self._p.curriculum.topics)

    def topic_title(self, topic: str) -> str:
        """Human title of a topic ("Linear equations in one variable")."""
        if topic not in self._p.curriculum.topics:
            raise ValueError(f"Unknown topic {topic!r}; choose one of {self.topics()}.")
        return self._p.curriculum.topics[topic].title

    def start_session(self, student: str, topic: str) -> TutorSession:
        """A new session on one topic; its `opening` poses a problem.

        A class student (an id from `join_class` / `resume_student`) continues with the mastery
        they had, forgetting applied, and a due review comes first; the opening says so and
        names the next step on their learning path. Any other pseudonym is anonymous practice:
        it starts from the priors and nothing is carried over.
        """
        student = check_student_id(student)
        if not isinstance(topic, str) or topic not in self._p.curriculum.topics:
            raise ValueError(f"Unknown topic {topic!r}; choose one of {self.topics()}.")
        cfg, cur = self._p.config, self._p.curriculum
        seed = cfg.seed if cfg.seed is not None else secrets.randbelow(2**31)
        skills = [s.id for s in cur.topic_skills(topic)]
        memories, note, review = None, "", None
        if self._learner.is_student(student):
            mastery, memories = self._learner.session_start(student, skills)
            stored = self._learner.memories(student)
            now_all = self._learner.mastery_now(stored)
            step = next_step(cur, now_all, self._learner.due(stored), cfg.mastery_threshold, topic)
            returning = bool(self._p.store.list_sessions(student=student))
            note = opening_note(cur, student, topic, stored, now_all, step, cfg.mastery_threshold, returning)
            review = step.skill if step.kind == "review" and step.skill in skills else None
        else:
            mastery = {s.id: s.bkt.p_init for s in cur.topic_skills(topic)}
        session_id = self._p.store.create_session(student, topic, self._p.policy.name, seed)
        state = DialogueState(topic=topic, seed=seed, mastery=mastery)
        if review is not None:  # spaced review: the faded skill is the opening problem
            next_problem(state, cur, FirstSkillSelector(review))
        session = TutorSession(self._p, self._p.store.session(session_id), state, next_index=0, memories=memories)
        session._open(resumed=False, note=note)
        return session

    def practise(self, pseudonym: str, topic: str) -> TutorSession:
        """Practice without a class: anonymous, starts from the priors, nothing carried over.
        Refuses a name that belongs to a class student (sessions before classes existed)."""
        name = check_pseudonym(pseudonym)
        if self._learner.is_student(name):
            raise ValueError(f"The name {name!r} belongs to a class student; pick another name to practise.")
        return self.start_session(name, topic)

    def resume_session(self, session_id: str) -> TutorSession:
        """Continue a logged session (after a crash or restart): state is rebuilt from its last turn."""
        info = self._p.store.session(session_id)
        turns = self._p.store.turns(session_id)
        if not turns:
            raise UnknownSessionError(f"Session {session_id!r} has no turns to resume from.")
        state = DialogueState.from_dict(turns[-1]["state"]["dialogue"])
        memories = None
        if self._learner.is_student(info["student"]):  # the learner rows were saved with that last turn
            _, memories = self._learner.session_start(info["student"], list(state.mastery))
            memories = {k: replace(m, p_mastered=state.mastery[k]) for k, m in memories.items()}
        session = TutorSession(self._p, info, state, next_index=turns[-1]["index"] + 1, memories=memories)
        session._open(resumed=True)
        return session

    def session_owner(self, session_id: str) -> str:
        """The pseudonymous student a session belongs to (raises UnknownSessionError)."""
        return str(self._p.store.session(session_id)["student"])

    def list_sessions(self, student: str | None = None) -> list[dict[str, Any]]:
        """Sessions, newest first: id, student, topic, policy, started_at, ended_at, n_turns,
        n_flags, flagged, last_activity."""
        return self._p.store.list_sessions(student)

    def transcript(self, session_id: str) -> list[dict[str, Any]]:
        """Every turn of a session, in order (see `tutor.store` for the fields)."""
        return self._p.store.turns(session_id)

    def flags(self, student: str | None = None) -> list[dict[str, Any]]:
        """Flags raised for the teacher (distress), newest first."""
        return self._p.store.flags(student)

    def export(self, session_id: str, fmt: str = "csv") -> str:
        """A session as CSV or JSON text."""
        return self._p.store.export(session_id, fmt)

    def delete_student(self, student: str) -> int:
        """Delete every session, turn and flag of a student; returns the number of rows removed."""
        return self._p.store.delete_student(student)

    # --- accounts, classes and the learner model ---------------------------------------------------
    def create_teacher(self, name: str, password: str) -> None:
        """A teacher account (argon2id hash of the password); ValueError for a taken or bad name."""
        self._accounts.create_teacher(name, password)

    def create_class(self, teacher: str, password: str, name: str) -> ClassInfo:
        """A new class of this teacher (PermissionError for a wrong password); hand out its `code`."""
        return self._accounts.create_class(self._accounts.authenticate(teacher, password), name)

    def join_class(self, code: str, pseudonym: str, client: str = "local") -> StudentLogin:
        """A new student in a class. The same pseudonym in two classes is two students.
        `client` (e.g. the network address) is what failed attempts are counted by."""
        return self._accounts.join_class(code, pseudonym, client)

    def resume_student(self, resume_code: str, client: str = "local") -> StudentLogin:
        """The student whose resume code this is (ValueError when nobody's)."""
        return self._accounts.resume_student(resume_code, client)

    def learner(self, student: str) -> dict[str, float]:
        """{skill: P(mastered)} now, every skill of the curriculum, forgetting applied; lasts across
        sessions and restarts. Anonymous practice has no lasting model: the priors."""
        check_student_id(student)
        return self._learner.mastery_now(self._learner.memories(student))

    def learning_path(self, student: str, topic: str | None = None) -> PathStep:
        """The best next skill for a student: a due review, else the next skill ready to learn."""
        stored = self._learner.memories(check_student_id(student))
        mastery = self._learner.mastery_now(stored)
        return next_step(self._p.curriculum, mastery, self._learner.due(stored), self._p.config.mastery_threshold,
                         topic)  # fmt: skip

    def teacher(self, name: str, password: str) -> TeacherView:
        """The teacher's view of their own classes, or PermissionError (wrong name or password, or
        TooManyAttemptsError while the account is locked). `view.token` is a signed login token."""
        found = self._accounts.authenticate(name, password)
        return TeacherView(self._accounts, self._learner, found, self._accounts.issue_token(found))

    def teacher_from_token(self, token: str) -> TeacherView:
        """The view of the teacher a signed, unexpired login token names, else PermissionError."""
        found = self._accounts.teacher_from_token(token)
        return TeacherView(self._accounts, self._learner, found, str(token))

    def ensure_teacher(self, name: str, password: str) -> int:
        """Create or update a teacher (TUTOR_TEACHER_PASSWORD at start: account `teacher`) and give them
        any class without a teacher (the sessions from before classes); returns the classes adopted."""
        return self._accounts.adopt_unowned_classes(self._accounts.ensure_teacher(name, password))

    def close(self) -> None:
        """Release database connections."""
        self._p.store.close()
