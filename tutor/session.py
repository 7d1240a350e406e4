"""One tutoring session: read the message, answer the dialogue act it is, log the turn.

Each `send` is: (1) read affect from the text (one MiniLM forward that also gives the message's
embedding) and the frame, if any, and fuse them over time; (2) read the dialogue act in the
context of the tutor's last question (`tutor.language.acts`); (3) answer the act
(`tutor.conversation`: grade an answer and update BKT, hint, worked example, skip, harder,
switch topic, ...), with the learner state this message expresses outweighing the face for
this turn; (4) write the reply and log the whole turn in one transaction; (5) return a
`TutorReply` carrying the turn id, so the UI can `attach_clip(reply.turn_id, path)` once the
avatar clip is rendered.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from affect.types import AffectEstimate
from tutor.config import TutorConfig
from tutor.conversation.respond import respond
from tutor.conversation.turn import PENDING, Banks, Plan, Turn
from tutor.conversation.wellbeing import wellbeing_reason
from tutor.curriculum import Curriculum
from tutor.dialogue import DialogueState, next_problem
from tutor.language.acts import ActReader
from tutor.language.pending import PendingQuestion
from tutor.language.replies import ReplyWriter
from tutor.language.spoken import to_spoken
from tutor.learner import LearnerModel, SkillMemory
from tutor.policy import Decision, Policy, acted_state
from tutor.selection import Selector
from tutor.store import Store
from tutor.types import DIALOGUE_ACTS, Problem, TutorReply


@dataclass
class TutorParts:
    """What every session of one Tutor shares (loaded once)."""

    config: TutorConfig
    curriculum: Curriculum
    store: Store
    acts: ActReader  # reads the dialogue act of a message (tutor.language.acts)
    banks: Banks  # wording, concept bank and the other MiniLM indexes of the dialogue
    policy: Policy
    selector: Selector
    text_affect: Any | None  # affect.TextAffect (None = chat affect off)
    face_affect: Any | None  # affect.FaceAffect (None = webcam affect off)
    new_tracker: Any  # () -> affect.AffectTracker
    learner: LearnerModel | None = None  # the lasting learner model (None: nothing is carried over)


class TutorSession:
    """A live session. Create it with `Tutor.start_session` or `Tutor.resume_session`."""

    def __init__(
        self,
        parts: TutorParts,
        info: dict[str, Any],
        state: DialogueState,
        next_index: int,
        memories: dict[str, SkillMemory] | None = None,
    ) -> None:
        self._p = parts
        self._memories = memories  # a class student's skill memories, saved as mastery moves; None = anonymous
        self.id: str = info["id"]
        self.student: str = info["student"]
        self.topic: str = state.topic  # the topic now (a student may switch topics within the session)
        self._state = state
        self._index = next_index
        self._writer = ReplyWriter(random.Random(state.seed * 31 + next_index))
        self._say = parts.banks.phrases.fork(random.Random(state.seed * 37 + next_index))
        self._tracker = parts.new_tracker()
        self._face: Any | None = None  # this session's webcam reader (affect.FaceAffect.stream), made on first frame
        self._t0 = time.monotonic()
        self._lock = threading.RLock()
        self._fused = AffectEstimate.neutral("fused")
        self._last_face: AffectEstimate | None = None
        self.opening: TutorReply

    # --- public API ------------------------------------------------------------------------------
    @property
    def mastery(self) -> dict[str, float]:
        """P(L) per skill of this topic, now."""
        with self._lock:
            return dict(self._state.mastery)

    @property
    def practised(self) -> frozenset[str]:
        """Skills there is evidence about: a first attempt in this session, or (a class student)
        in an earlier one."""
        with self._lock:
            earlier = {s for s, m in (self._memories or {}).items() if m.attempts > 0} & set(self._state.mastery)
            return frozenset(skill for skill, _ok in self._state.history) | earlier

    @property
    def problem(self) -> Problem | None:
        """The problem on the table."""
        pid = self._state.problem_id
        return self._p.curriculum.problem_from_id(pid) if pid else None

    def send(
        self, text: str, frame: np.ndarray | None = None, *, t: float | None = None, act: str | None = None
    ) -> TutorReply:
        """Answer one student message; frame is an optional webcam RGB uint8 (H, W, 3) array.

        t is seconds since the session started (default: the wall clock). act: the dialogue act
        when it is known without reading the text (the UI's quick buttons: "Next" is "skip").
        Raises ValueError for non-text, over-long messages, unknown acts or unusable frames,
        before anything is logged.
        """
        if not isinstance(text, str):
            raise ValueError(f"A message must be text (str), got {type(text).__name__}.")
        if len(text) > self._p.config.max_message_chars:
            raise ValueError(f"A message may be at most {self._p.config.max_message_chars} characters long.")
        if act is not None and act not in DIALOGUE_ACTS:
            raise ValueError(f"act must be one of {DIALOGUE_ACTS}, got {act!r}.")
        with self._lock:
            now = self._now(t)
            if frame is not None:
                self._read_frame(frame, now)
            text_est, vector, before = None, None, self._fused
            if self._p.text_affect is not None and text.strip():
                text_est, vector = self._p.text_affect.read(text)  # one encoder forward: affect and acts
                self._fused = self._tracker.update(text_est, t=now)
            elif self._tracker.latest_time is not None:
                self._fused = self._tracker.estimate(max(now, self._tracker.latest_time))
            return self._turn(text, text_est, vector, act, before)

    def observe_frame(self, rgb: np.ndarray, t: float | None = None) -> AffectEstimate | None:
        """Update the mood track from a webcam frame between messages; writes nothing.

        Returns the fused estimate after the update, or None when no face was found (or webcam
        affect is off). The frame is analysed in memory and dropped.
        """
        with self._lock:
            return self._read_frame(rgb, self._now(t))

    def observe_estimate(self, estimate: AffectEstimate, t: float | None = None) -> AffectEstimate:
        """Feed a reading from any analyser into this session's tracker; returns the fused estimate."""
        if not isinstance(estimate, AffectEstimate):
            raise ValueError("observe_estimate needs an affect.AffectEstimate.")
        with self._lock:
            if estimate.source == "face":
                self._last_face = estimate
            self._fused = self._tracker.update(estimate, t=self._now(t))
            return self._fused

    def attach_clip(self, turn: str | int, clip_ref: str) -> None:
        """Record where the avatar clip of a turn was saved (turn id, or turn index; 0 = opening)."""
        if not isinstance(clip_ref, str) or not clip_ref or len(clip_ref) > 512:
            raise ValueError("clip_ref must be a non-empty string of at most 512 characters.")
        if not isinstance(turn, str | int) or isinstance(turn, bool):
            raise ValueError("turn must be a turn id (str) or a turn index (int).")
        self._p.store.attach_clip(self.id, turn, clip_ref)

    def close(self) -> None:
        """Mark the session ended in the log (it can still be resumed); release the webcam reader."""
        with self._lock:
            if self._face is not None:
                self._face.close()
                self._face = None
        self._p.store.end_session(self.id)

    # --- internals -------------------------------------------------------------------------------
    def _now(self, t: float | None) -> float:
        if t is None:
            return time.monotonic() - self._t0
        if not isinstance(t, int | float) or not np.isfinite(t):
            raise ValueError("t must be a finite number of seconds.")
        return float(t)

    def _read_frame(self, rgb: np.ndarray, now: float) -> AffectEstimate | None:
        if not isinstance(rgb, np.ndarray):
            raise ValueError("A webcam frame must be a numpy array (H, W, 3) of uint8 RGB.")
        if self._p.face_affect is None:  # webcam affect is off (TutorConfig.load_face=False)
            return None
        if self._face is None:  # own tracking and cue baseline: never mixed with another student's
            self._face = self._p.face_affect.stream()
        est = self._face.predict(rgb)
        if est is None:  # camera on, no face: the tracker turns long absence into disengagement
            self._fused = self._tracker.update(None, t=now)
            return None
        self._last_face = est
        self._fused = self._tracker.update(est, t=now)
        return self._fused

    def _turn(
        self,
        text: str,
        text_est: AffectEstimate | None,
        vector: np.ndarray | None,
        act: str | None,
        before: AffectEstimate,
    ) -> TutorReply:
        """Answer one message; `before` is the fused track as it stood before this message was read."""
        st = self._state
        name = st.pending
        pending = PendingQuestion(name, *PENDING[name]) if name in PENDING else None
        read = self._p.acts.read(text, pending, vector=vector)
        if act is not None:  # a quick button: the act is known, the reading still gives the embedding
            read = dataclasses.replace(read, act=act, reason="button", parsed=None)
        # This message's own words outweigh the face for this turn (a smile does not hide "this is too hard").
        mood = self._tracker.estimate(self._tracker.latest_time, self_report=text_est)
        text_state = acted_state(text_est.scores, text_est.label) if text_est is not None else "neutral"
        cfg = self._p.config
        wellbeing = (
            wellbeing_reason(text, read, self._p.banks.wellbeing, cfg.dialogue.wellbeing_similarity)
            if act is None
            else ""
        )
        turn = Turn(
            text=text, read=read, act="feeling" if wellbeing else read.act, state=st, curriculum=self._p.curriculum,
            selector=self._p.selector, policy=self._p.policy, writer=self._writer, say=self._say,
            banks=self._p.banks, mood=acted_state(mood.scores, mood.label), mood_confidence=mood.confidence,
            threshold=cfg.mastery_threshold, cfg=cfg.dialogue, wellbeing=wellbeing, mastery_for=self._start_mastery,
        )  # fmt: skip
        plan = respond(turn, text_state=text_state, track_state=acted_state(before.scores, before.label))
        st.pending = plan.pending
        self.topic = st.topic
        extras = {"act_reason": read.reason, "act_confidence": round(read.confidence, 3), "policy": self._p.policy.name,
                  "acted_state": turn.mood, "pending": plan.pending, **plan.extras}  # fmt: skip
        return self._log(text, turn.act, text_est, plan, extras)

    def _start_mastery(self, skills: list[str]) -> dict[str, float]:
        """P(L) to start skills of another topic with: the learner model's (class students) or the priors."""
        if self._memories is not None and self._p.learner is not None:
            mastery, memories = self._p.learner.session_start(self.student, skills)
            self._memories.update({k: m for k, m in memories.items() if k not in self._memories})
            return mastery
        return {sid: self._p.curriculum.skills[sid].bkt.p_init for sid in skills}

    def _log(
        self, text: str | None, intent: str, text_est: AffectEstimate | None, plan: Plan, extras: dict[str, Any]
    ) -> TutorReply:
        """Write the turn (one transaction) and build the reply that carries its id."""
        index = self._index
        d, display, problem, correct = plan.decision, plan.text, plan.problem, plan.correct
        flag_kind, flag_reason = plan.flag if plan.flag is not None else ("distress", None)
        spoken = to_spoken(display)
        record = {
            "idx": index, "student_text": text, "intent": intent,
            "text_affect": text_est.to_dict() if text_est else None,
            "face_affect": self._last_face.to_dict() if self._last_face else None,
            "fused_affect": self._fused.to_dict(), "move": d.move, "avatar_emotion": d.avatar_emotion,
            "intensity": d.intensity, "tutor_text": display, "tutor_spoken": spoken,
            "problem": problem.to_dict() if problem else None, "correct": correct,
            "mastery": dict(self._state.mastery), "state": {"dialogue": self._state.to_dict(), "extras": extras},
        }  # fmt: skip
        changes, also = [], None
        if self._memories is not None and self._p.learner is not None:  # the learner model lasts: save with the turn
            changes = self._p.learner.changes(self._memories, self._state.mastery)
            also = self._p.learner.saver(changes)
        turn_id = self._p.store.add_turn(self.id, record, flag_reason, also=also, flag_kind=flag_kind)
        if self._memories is not None:
            self._memories.update({m.skill: m for m in changes})
        self._index += 1
        return TutorReply(
            text=display, spoken=spoken, move=d.move, avatar_emotion=d.avatar_emotion, intensity=d.intensity,
            affect=self._fused, problem=problem, correct=correct,
            flagged=flag_reason is not None and flag_kind != "note",
            turn_id=turn_id, turn_index=index, intent=intent, extras=extras,
        )  # fmt: skip

    def _open(self, resumed: bool, note: str = "") -> TutorReply:
        """The first reply: greeting and first problem (or welcome back and the current problem);
        `note` (the learner model's "welcome back" and next step on the path) goes first."""
        with self._lock:
            problem = self.problem
            if problem is None:
                problem = next_problem(self._state, self._p.curriculum, self._p.selector)
            if resumed:
                display = f"Welcome back! Let's pick up where we left off: {problem.prompt}"
                decision = Decision("check_in", "happy", 0.5)
            else:
                display = self._writer.opening(self.topic, problem)
                decision = Decision("pose_problem", "happy", 0.5)
            if note:
                display = f"{note} {display}"
            intent = "resume" if resumed else ""
            self.opening = self._log(None, intent, None, Plan(display, decision, problem), {})
            return self.opening
