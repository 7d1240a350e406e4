"""Tutor core: curriculum, BKT student model, affect-sensitive dialogue policy and session log.

`from tutor import Tutor` is the entry point; see `tutor.service.Tutor`. Accounts, classes and
the teacher's view live in `tutor.accounts`; the lasting learner model in `tutor.learner`.
"""

from tutor.accounts import ClassInfo, ClassOverview, StudentLogin, StudentSummary, TeacherView
from tutor.config import TutorConfig
from tutor.curriculum import Curriculum, CurriculumError
from tutor.errors import StoreError, TooManyAttemptsError, TutorError, UnknownSessionError
from tutor.policy import AffectBlindPolicy, AffectSensitivePolicy, Decision, Policy, PolicyContext
from tutor.selection import AdaptiveSelector, FixedSequenceSelector, Selector
from tutor.service import Tutor
from tutor.session import TutorSession
from tutor.student_model import BKTParams, bkt_update, fit_bkt
from tutor.types import DIALOGUE_ACTS, MOVES, Misconception, Problem, TutorReply

__all__ = [
    "DIALOGUE_ACTS",
    "MOVES",
    "AdaptiveSelector",
    "AffectBlindPolicy",
    "AffectSensitivePolicy",
    "BKTParams",
    "ClassInfo",
    "ClassOverview",
    "Curriculum",
    "CurriculumError",
    "Decision",
    "FixedSequenceSelector",
    "Misconception",
    "Policy",
    "PolicyContext",
    "Problem",
    "Selector",
    "StoreError",
    "StudentLogin",
    "StudentSummary",
    "TeacherView",
    "TooManyAttemptsError",
    "Tutor",
    "TutorConfig",
    "TutorError",
    "TutorReply",
    "TutorSession",
    "UnknownSessionError",
    "bkt_update",
    "fit_bkt",
]
