"""One tutoring session: read the message, update the student model, decide, reply, log the turn.

Each `send` is: (1) read affect from the text (and the frame, if any) and fuse it over time;
(2) classify the intent; (3) check an answer and update BKT; (4) ask the policy for a move;
(5) carry the move out (hint ladder, worked example, next problem); (6) write the reply and log
the whole turn in one transaction; (7) return a `TutorReply` carrying the turn id, so the UI
can `attach_clip(reply.turn_id, path)` once the avatar clip is rendered.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from affect.types import AffectEstimate
from tutor.checker import check_answer
from tutor.config import TutorConfig
from tutor.curriculum import Curriculum
from tutor.dialogue import DialogueState, next_problem, record_first_attempt, topic_done
from tutor.language.acts import LEGACY_INTENT, ActReader
from tutor.language.replies import ReplyParts, ReplyWriter
from tutor.language.spoken import to_spoken
from tutor.learner import LearnerModel, SkillMemory
from tutor.policy import Decision, Policy, PolicyContext, acted_state
from tutor.selection import Selector
from tutor.store import Store
from tutor.types import Problem, TutorReply


@dataclass
class TutorParts:
    """What every session of one Tutor shares (loaded once)."""

    config: TutorConfig
    curriculum: Curriculum
    store: Store
    acts: ActReader  # message -> dialogue act (shares the MiniLM forward of text_affect)
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
        self.topic: str = info["topic"]
        self._state = state
        self._index = next_index
        self._writer = ReplyWriter(random.Random(state.seed * 31 + next_index))
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
    def problem(self) -> Problem | None:
        """The problem on the table."""
        pid = self._state.problem_id
        return self._p.curriculum.problem_from_id(pid) if pid else None

    def send(self, text: str, frame: np.ndarray | None = None, *, t: float | None = None) -> TutorReply:
        """Answer one student message; frame is an optional webcam RGB uint8 (H, W, 3) array.

        t is seconds since the session started (default: the wall clock); raises ValueError for
        non-text, over-long messages or unusable frames, before anything is logged.
        """
        if not isinstance(text, str):
            raise ValueError(f"A message must be text (str), got {type(text).__name__}.")
        if len(text) > self._p.config.max_message_chars:
            raise ValueError(f"A message may be at most {self._p.config.max_message_chars} characters long.")
        with self._lock:
            now = self._now(t)
            if frame is not None:
                self._read_frame(frame, now)
            text_est, vector = None, None
            if self._p.text_affect is not None and text.strip():
                text_est, vector = self._p.text_affect.read(text)  # one MiniLM forward: affect + acts
                self._fused = self._tracker.update(text_est, t=now)
            elif self._tracker.latest_time is not None:
                self._fused = self._tracker.estimate(max(now, self._tracker.latest_time))
            return self._turn(text, text_est, vector)

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

    def _turn(self, text: str, text_est: AffectEstimate | None, vector: np.ndarray | None) -> TutorReply:
        cfg, cur, st = self._p.config, self._p.curriculum, self._state
        reading = self._p.acts.read(text, vector=vector)
        intent = LEGACY_INTENT[reading.act]  # the policy still speaks the old intents (see tutor.language.acts)
        problem = self.problem
        check, correct, before = None, None, dict(st.mastery)
        struggled = st.wrong_streak > 0 or st.hints_given > 0
        if problem is not None and intent == "answer" and reading.parsed is not None:
            check = check_answer(problem, text)
            correct = check.correct
            record_first_attempt(st, cur, problem.skill, correct)
            st.wrong_streak = 0 if correct else st.wrong_streak + 1
        elif problem is not None and intent == "help":
            record_first_attempt(st, cur, problem.skill, False)
        skill = problem.skill if problem else ""
        just_mastered = bool(skill) and before[skill] < cfg.mastery_threshold <= st.mastery[skill]
        fused = self._fused
        if problem is None and intent not in ("distress", "stop"):
            decision = Decision("pose_problem", "encouraging", 0.4, next_problem=True, tone=fused.label)
        else:
            decision = self._p.policy.decide(
                PolicyContext(
                    intent=intent,
                    state=acted_state(fused.scores, fused.label),
                    state_confidence=fused.confidence,
                    correct=correct,
                    parsed=check is not None,
                    misconception=bool(check and check.misconception),
                    note=check.note if check else "",
                    wrong_streak=st.wrong_streak,
                    hints_given=st.hints_given,
                    worked_example_shown=st.worked_shown,
                    mastery=st.mastery.get(skill, 0.0),
                    just_mastered=just_mastered,
                    topic_done=topic_done(st, cfg.mastery_threshold),
                    struggled=struggled,
                )
            )
        parts = ReplyParts(topic=self.topic, intent=intent, value=check.shown if check else "", problem=problem)
        if check is not None:
            parts.misconception, parts.note = check.misconception, check.note
        parts.struggled = struggled and bool(correct)
        if just_mastered:
            parts.mastered_skill = cur.skills[skill].name
        self._carry_out(decision, problem, bool(correct), parts)
        display = self._writer.write(decision.move, decision.tone, parts)
        extras = {"intent_reason": reading.reason, "intent_confidence": round(reading.confidence, 3),
                  "misconception": check.misconception.name if check and check.misconception else "",
                  "note": check.note if check else "", "hint_level": parts.hint_level,
                  "policy": self._p.policy.name, "acted_state": decision.tone}  # fmt: skip
        return self._log(
            text, reading.act, text_est, decision, display, parts.problem, correct,
            reading.reason if reading.act == "distress" else None, extras,
        )  # fmt: skip

    def _carry_out(self, d: Decision, problem: Problem | None, correct: bool, parts: ReplyParts) -> None:
        """Apply the move to the dialogue state and gather what the reply must say."""
        cur, st = self._p.curriculum, self._state
        if problem is not None:
            skill = cur.skills[problem.skill]
            parts.skill_name, parts.concept = skill.name, skill.concept
            wants_hint = d.move in ("hint", "reassure") or (d.move == "clarify" and d.tone == "confused")
            if wants_hint and not d.next_problem:
                level = min(st.hints_given, len(problem.hints) - 1)
                parts.hint, parts.hint_level = problem.hints[level], level + 1
                st.hints_given += 1
            if d.move == "worked_example":
                parts.worked = cur.sibling(problem)
                st.recent_prompts = [*st.recent_prompts, parts.worked.prompt]  # never posed later as a problem
                st.worked_shown = True
                st.hints_given = max(st.hints_given, 1)
        if d.move == "summarize":
            names = {s.id: s.name for s in cur.topic_skills(self.topic)}
            parts.summary = [(names[sid], p) for sid, p in st.mastery.items()]
            st.summarized = True
            if correct:
                st.problem_id = None  # answered: the next message starts a fresh problem
            parts.problem = None
            return
        if d.next_problem or correct:
            if problem is not None and not correct:
                parts.previous_answer = problem.answer
            parts.problem = next_problem(
                st, cur, self._p.selector, shift=d.difficulty_shift, prefer_other_skill=d.prefer_other_skill
            )
            parts.new_problem, parts.easier = True, d.difficulty_shift < 0

    def _log(
        self,
        text: str | None,
        intent: str,
        text_est: AffectEstimate | None,
        d: Decision,
        display: str,
        problem: Problem | None,
        correct: bool | None,
        flag_reason: str | None,
        extras: dict[str, Any],
    ) -> TutorReply:
        """Write the turn (one transaction) and build the reply that carries its id."""
        index = self._index
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
        turn_id = self._p.store.add_turn(self.id, record, flag_reason, also=also)
        if self._memories is not None:
            self._memories.update({m.skill: m for m in changes})
        self._index += 1
        return TutorReply(
            text=display, spoken=spoken, move=d.move, avatar_emotion=d.avatar_emotion, intensity=d.intensity,
            affect=self._fused, problem=problem, correct=correct, flagged=flag_reason is not None,
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
            self.opening = self._log(None, intent, None, decision, display, problem, None, None, {})
            return self.opening
