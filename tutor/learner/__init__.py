"""The learner model that lasts across sessions, with forgetting, spaced review and a learning path."""

from tutor.learner.forgetting import ForgettingParams, SkillMemory, after_practice, due_for_review, recalled, retention
from tutor.learner.model import LearnerModel
from tutor.learner.path import PathStep, missing_prerequisites, next_step

__all__ = [
    "ForgettingParams",
    "LearnerModel",
    "PathStep",
    "SkillMemory",
    "after_practice",
    "due_for_review",
    "missing_prerequisites",
    "next_step",
    "recalled",
    "retention",
]
