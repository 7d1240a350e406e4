"""Teacher accounts, classes and students: passwords, codes, lock-out, login tokens, views.

The `Tutor` facade exposes these (`create_teacher`, `create_class`, `join_class`,
`resume_student`, `teacher`); `TeacherView` is what a logged-in teacher may see.
"""

from tutor.accounts.config import AccountsConfig
from tutor.accounts.lockout import LockoutPolicy, LoginGuard
from tutor.accounts.overview import OverviewRules
from tutor.accounts.ratelimit import AttemptLimits, RateLimit, TokenBuckets
from tutor.accounts.service import Accounts, Teacher, check_pseudonym, check_teacher_name
from tutor.accounts.teacher_view import TeacherView
from tutor.accounts.types import ClassInfo, ClassOverview, StudentLogin, StudentSummary

__all__ = [
    "Accounts",
    "AccountsConfig",
    "AttemptLimits",
    "ClassInfo",
    "ClassOverview",
    "LockoutPolicy",
    "LoginGuard",
    "OverviewRules",
    "RateLimit",
    "StudentLogin",
    "StudentSummary",
    "Teacher",
    "TeacherView",
    "TokenBuckets",
    "check_pseudonym",
    "check_teacher_name",
]
