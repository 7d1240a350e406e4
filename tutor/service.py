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
from typing import Any

from tutor.config import TutorConfig
from tutor.curriculum import Curriculum
from tutor.dialogue import DialogueState
from tutor.errors import UnknownSessionError
from tutor.language.acthead import ActHead
from tutor.language.acts import ActReader, load_topic_words
from tutor.policy import POLICIES
from tutor.selection import AdaptiveSelector
from tutor.session import TutorParts, TutorSession
from tutor.store import Store, check_student_id


class Tutor:
    """Owns the curriculum, the session log, the analysers and the policy; makes sessions."""

    def __init__(self, parts: TutorParts) -> None:
        self._p = parts

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
        store = Store(db_url or cfg.resolved_db_url())
        curriculum = Curriculum.load(cfg.curriculum_dir or None)
        parts = TutorParts(
            config=cfg,
            curriculum=curriculum,
            store=store,
            acts=ActReader(ActHead.load(), text_affect.embed, load_topic_words(sorted(curriculum.topics))),
            policy=POLICIES[cfg.policy](),
            selector=AdaptiveSelector(threshold=cfg.mastery_threshold),
            text_affect=text_affect,
            face_affect=face_affect,
            new_tracker=AffectTracker,
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
        """A new session for a pseudonymous student on one topic; its `opening` poses a problem."""
        check_student_id(student)
        if not isinstance(topic, str) or topic not in self._p.curriculum.topics:
            raise ValueError(f"Unknown topic {topic!r}; choose one of {self.topics()}.")
        cfg = self._p.config
        seed = cfg.seed if cfg.seed is not None else secrets.randbelow(2**31)
        session_id = self._p.store.create_session(student, topic, self._p.policy.name, seed)
        skills = self._p.curriculum.topic_skills(topic)
        state = DialogueState(topic=topic, seed=seed, mastery={s.id: s.bkt.p_init for s in skills})
        session = TutorSession(self._p, self._p.store.session(session_id), state, next_index=0)
        session._open(resumed=False)
        return session

    def resume_session(self, session_id: str) -> TutorSession:
        """Continue a logged session (after a crash or restart): state is rebuilt from its last turn."""
        info = self._p.store.session(session_id)
        turns = self._p.store.turns(session_id)
        if not turns:
            raise UnknownSessionError(f"Session {session_id!r} has no turns to resume from.")
        state = DialogueState.from_dict(turns[-1]["state"]["dialogue"])
        session = TutorSession(self._p, info, state, next_index=turns[-1]["index"] + 1)
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

    def close(self) -> None:
        """Release database connections."""
        self._p.store.close()
