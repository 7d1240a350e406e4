"""The tutor's wording for each dialogue act, its persona and its meta answers, read from phrases.json.

Wording is data (teachers and translators edit the JSON, not the code). `Phrasebook.pick` never
repeats the phrasing it used last time for the same key when there is a choice, so a student
who asks twice gets two different sentences.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from affect.types import LEARNER_STATES

PHRASES_PATH = Path(__file__).parent / "phrases.json"
REQUIRED_KEYS: tuple[str, ...] = (
    "back_to_task", "greeting_hello", "greeting_thanks", "greeting_ok", "greeting_sorry", "off_topic", "skip", "harder",
    "harder_max",
    "easier", "easier_min", "topic_switch", "topic_same", "topic_unknown", "scenario", "concept_unknown", "why",
    "rephrase", "worked_intro", "worked_answer", "faded", "step_ok", "wrong_step", "abuse",
    "summary_intro", "summary_practised", "summary_nothing", "summary_bye", "stop_upset", "break_declined",
    "offer_harder", "topic_done", "progress_counts", "progress_none", "progress_mastered", "progress_growing",
    "progress_go_on", "wellbeing",
)  # fmt: skip
META_TOPICS: tuple[str, ...] = ("name", "ai", "camera", "memory", "feelings", "abilities")


class PhrasebookError(ValueError):
    """phrases.json is missing, malformed or lacks a key the dialogue needs."""


@dataclass(frozen=True)
class MetaAnswer:
    topic: str  # one of META_TOPICS
    phrasings: tuple[str, ...]  # questions matched by embedding similarity
    answer: str


@dataclass
class Phrasebook:
    """Phrasings per key; one per session (seeded) so replies are reproducible in tests."""

    name: str  # the persona's name
    phrases: dict[str, tuple[str, ...]]
    feelings: dict[str, tuple[str, ...]]  # learner state -> how to name it back
    meta: dict[str, MetaAnswer]
    wellbeing_exemplars: tuple[str, ...]
    rng: random.Random = field(default_factory=random.Random)
    _last: dict[str, int] = field(default_factory=dict)

    def pick(self, key: str, **values: Any) -> str:
        """One phrasing for key (never the same as last time when there is a choice), filled with values."""
        return self._choose(key, self.phrases[key]).format(**values)

    def feeling(self, state: str) -> str:
        return self._choose(f"feeling:{state}", self.feelings[state])

    def _choose(self, key: str, options: tuple[str, ...]) -> str:
        choices = [i for i in range(len(options)) if i != self._last.get(key)] or [0]
        i = self.rng.choice(choices)
        self._last[key] = i
        return options[i]

    def fork(self, rng: random.Random) -> Phrasebook:
        """The same wording with its own random stream and memory (one per session)."""
        return Phrasebook(self.name, self.phrases, self.feelings, self.meta, self.wellbeing_exemplars, rng)

    @classmethod
    def load(cls, path: Path = PHRASES_PATH) -> Phrasebook:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise PhrasebookError(f"Cannot read {path}: {err}") from err
        where = path.name
        phrases = {k: _strings(v, f"{where} phrases.{k}") for k, v in _obj(data, "phrases", where).items()}
        missing = [k for k in REQUIRED_KEYS if k not in phrases]
        if missing:
            raise PhrasebookError(f"{where}: phrases lack the keys {missing}.")
        feelings = {k: _strings(v, f"{where} feelings.{k}") for k, v in _obj(data, "feelings", where).items()}
        if set(feelings) != set(LEARNER_STATES):
            raise PhrasebookError(f"{where}: feelings must name exactly the learner states {LEARNER_STATES}.")
        meta = {}
        for topic in META_TOPICS:
            m = _obj(_obj(data, "meta", where), topic, f"{where} meta")
            at = f"{where} meta.{topic}"
            answer = m.get("answer")
            if not isinstance(answer, str) or not answer.strip():
                raise PhrasebookError(f"{at}: 'answer' must be a non-empty string.")
            meta[topic] = MetaAnswer(topic, _strings(m.get("phrasings"), f"{at}.phrasings"), answer)
        name = _obj(data, "persona", where).get("name")
        if not isinstance(name, str) or not name.strip():
            raise PhrasebookError(f"{where}: persona.name must be a non-empty string.")
        exemplars = _strings(data.get("wellbeing_exemplars"), f"{where} wellbeing_exemplars")
        return cls(name, phrases, feelings, meta, exemplars)


def _obj(data: Any, key: str, where: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, dict) or not value:
        raise PhrasebookError(f"{where}: {key!r} must be a non-empty object.")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise PhrasebookError(f"{where}: must be a non-empty list of non-empty strings.")
    return tuple(value)
