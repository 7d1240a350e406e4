"""Config of the tutor core: where the session log lives and how pedagogy is tuned."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from tutor.accounts.config import AccountsConfig
from tutor.conversation.config import DialogueConfig
from tutor.learner.forgetting import ForgettingParams


def default_data_dir() -> str:
    """The data folder: TUTOR_DATA_DIR, else ./data (created on first use)."""
    return os.environ.get("TUTOR_DATA_DIR", "data")


@dataclass(frozen=True)
class TutorConfig:
    """Tutor core settings."""

    db_url: str = ""  # SQLAlchemy URL of the session log; "" = sqlite:///<data_dir>/tutor.db
    data_dir: str = ""  # folder for the SQLite file and other runtime data; "" = TUTOR_DATA_DIR or ./data
    seed: int | None = None  # problem-generator seed; None = fresh randomness per session
    mastery_threshold: float = 0.95  # P(L) at which a skill counts as mastered (Corbett & Anderson 1995)
    policy: str = "affect_sensitive"  # dialogue policy: "affect_sensitive" or the "affect_blind" baseline
    max_message_chars: int = 5000  # longer chat messages are refused with a ValueError (nothing logged)
    load_face: bool = True  # Tutor.create loads the webcam analyser too (False: text affect only)
    curriculum_dir: str = ""  # folder of topic JSON files; "" = the shipped curriculum
    forgetting: ForgettingParams = field(default_factory=ForgettingParams)  # between sessions: decay and review
    accounts: AccountsConfig = field(default_factory=AccountsConfig)  # lock-out, code guessing, login tokens
    dialogue: DialogueConfig = field(default_factory=DialogueConfig)  # MiniLM match thresholds, offers, notes

    def __post_init__(self) -> None:
        if not 0.5 <= self.mastery_threshold < 1.0:
            raise ValueError("TutorConfig.mastery_threshold must be in [0.5, 1).")
        if self.policy not in ("affect_sensitive", "affect_blind"):
            raise ValueError("TutorConfig.policy must be 'affect_sensitive' or 'affect_blind'.")
        if self.max_message_chars < 1:
            raise ValueError("TutorConfig.max_message_chars must be at least 1.")

    def resolved_data_dir(self) -> str:
        return self.data_dir or default_data_dir()

    def resolved_db_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite:///{os.path.join(self.resolved_data_dir(), 'tutor.db')}"
