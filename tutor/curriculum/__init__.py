"""Curriculum: topics and skills as versioned data files, with a problem generator per skill."""

from tutor.curriculum.loader import DIFFICULTIES, Curriculum, CurriculumError, Skill, Topic

__all__ = ["DIFFICULTIES", "Curriculum", "CurriculumError", "Skill", "Topic"]
