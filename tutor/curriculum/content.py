"""Teaching content as data: concept bank, explanations, word-problem scenarios and worked solutions.

Four kinds of file per topic, under `data/<kind>/<topic>.json`:
- concepts: >= 15 concepts per topic (definition, example, everyday picture, question phrasings
  matched by MiniLM similarity in `tutor.conversation.concepts`);
- explanations: >= 3 per skill in different representations (area model, number line, money,
  a story), so a rephrase request never repeats the last text;
- scenarios: word-problem templates in everyday contexts for every skill, filled with a
  problem's own numbers (`Problem.params`), so the answer is checked like any problem;
- solutions: the worked steps of each skill and problem variant ("say") with the reason for
  each step ("why"), also filled with the problem's numbers.

Everything is checked on load, templates included: a sample of problems of every skill and
difficulty is generated and every template that applies is filled, so a misspelt field fails
at start-up with the file and entry named, never in the middle of a lesson.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.types import Problem

CONTENT_FORMAT_VERSION = 1
KINDS: tuple[str, ...] = ("concepts", "explanations", "scenarios", "solutions")
MIN_CONCEPTS_PER_TOPIC = 15
MIN_EXPLANATIONS_PER_SKILL = 3
SAMPLE_SEEDS = 10  # problems per (skill, difficulty) filled into every template on load


class ContentError(ValueError):
    """A content file is missing, malformed or does not fit the curriculum."""


@dataclass(frozen=True)
class Concept:
    """One entry of the concept bank."""

    id: str
    topic: str
    name: str
    phrasings: tuple[str, ...]  # questions a student might ask about it (matched by embedding)
    definition: str
    example: str
    picture: str  # an everyday picture of the idea

    def answer(self) -> str:
        """The spoken-length answer: definition, example, picture (three sentences)."""
        return f"{self.definition} For example, {_lower_first(self.example)} {self.picture}"


@dataclass(frozen=True)
class Explanation:
    skill: str
    representation: str  # "area model", "number line", "money", "story", ...
    text: str


@dataclass(frozen=True)
class Scenario:
    skill: str
    context: str  # "shopping", "recipes", "sport", "travel", "phone data"
    when: tuple[tuple[str, str], ...]  # params the problem must have for this template to fit
    text: str

    def fits(self, problem: Problem) -> bool:
        values = problem.values
        return all(values.get(k) == v for k, v in self.when)


@dataclass(frozen=True)
class SolutionStep:
    say: str  # the step, with the problem's numbers
    why: str  # the reason for the step


@dataclass(frozen=True)
class Content:
    """All teaching content, indexed by skill."""

    concepts: tuple[Concept, ...]
    explanations: dict[str, tuple[Explanation, ...]]
    scenarios: dict[str, tuple[Scenario, ...]]
    solutions: dict[str, dict[str, tuple[SolutionStep, ...]]]  # skill -> variant -> steps

    def solution(self, problem: Problem) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(steps, reasons) of this problem, filled with its numbers."""
        values = problem.values
        steps = self.solutions[problem.skill][values["variant"]]
        return tuple(s.say.format(**values) for s in steps), tuple(s.why.format(**values) for s in steps)

    def scenarios_for(self, problem: Problem) -> tuple[Scenario, ...]:
        """The scenario templates that fit this problem (never empty for a validated curriculum)."""
        return tuple(s for s in self.scenarios[problem.skill] if s.fits(problem))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isalpha() and not text[1:2].isupper() else text


def load_content(folder: Path, topics: dict[str, tuple[str, ...]]) -> Content:
    """Read data/<kind>/<topic>.json for every topic (topic id -> its skill ids) and check the shape."""
    concepts: list[Concept] = []
    explanations: dict[str, tuple[Explanation, ...]] = {}
    scenarios: dict[str, tuple[Scenario, ...]] = {}
    solutions: dict[str, dict[str, tuple[SolutionStep, ...]]] = {}
    for topic, skills in topics.items():
        data = {kind: _read(folder / kind / f"{topic}.json", topic) for kind in KINDS}
        concepts += _concepts(data["concepts"], topic, f"concepts/{topic}.json")
        per_skill = {kind: _skills_of(data[kind], f"{kind}/{topic}.json", skills) for kind in KINDS[1:]}
        for skill in skills:
            where = f"{topic}.json {skill}"
            explanations[skill] = _explanations(per_skill["explanations"][skill], skill, f"explanations/{where}")
            scenarios[skill] = _scenarios(per_skill["scenarios"][skill], skill, f"scenarios/{where}")
            solutions[skill] = _solutions(per_skill["solutions"][skill], f"solutions/{where}")
    ids = [c.id for c in concepts]
    if len(set(ids)) != len(ids):
        raise ContentError(f"Concept ids must be unique; repeated: {sorted({i for i in ids if ids.count(i) > 1})}.")
    return Content(tuple(concepts), explanations, scenarios, solutions)


def check_templates(content: Content, samples: dict[str, list[Problem]]) -> None:
    """Fill every solution and scenario template with sample problems of each skill (skill -> problems)."""
    for skill, problems in samples.items():
        for p in problems:
            variant = p.values.get("variant", "")
            if variant not in content.solutions[skill]:
                raise ContentError(f"solutions: skill {skill!r} has no steps for problem variant {variant!r} ({p.id}).")
            for i, step in enumerate(content.solutions[skill][variant]):
                for text in (step.say, step.why):
                    _fill(text, p, f"solutions: {skill} variant {variant!r} step {i + 1}")
            fitting = content.scenarios_for(p)
            if not fitting:
                raise ContentError(f"scenarios: no word problem of skill {skill!r} fits problem {p.id} ({p.prompt}).")
            for s in fitting:
                _fill(s.text, p, f"scenarios: {skill} ({s.context}) {s.text[:40]!r}")


def _fill(text: str, problem: Problem, where: str) -> str:
    try:
        return text.format(**problem.values)
    except (KeyError, IndexError, ValueError) as err:
        known = sorted(problem.values)
        raise ContentError(f"{where}: cannot fill {err} from problem {problem.id}; known fields: {known}.") from err


def _read(path: Path, topic: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ContentError(f"Cannot read content file {path}: {err}") from err
    where = f"{path.parent.name}/{path.name}"
    if not isinstance(data, dict):
        raise ContentError(f"{where}: the top level must be an object.")
    if data.get("format_version") != CONTENT_FORMAT_VERSION:
        raise ContentError(
            f"{where}: format_version must be {CONTENT_FORMAT_VERSION}, got {data.get('format_version')!r}."
        )
    if data.get("topic") != topic:
        raise ContentError(f"{where}: field 'topic' must be {topic!r}, got {data.get('topic')!r}.")
    return data


def _skills_of(data: dict[str, Any], where: str, skills: tuple[str, ...]) -> dict[str, Any]:
    """The per-skill object of a content file: exactly the topic's skills."""
    per_skill: dict[str, Any] = _field(data, "skills", dict, where)
    unknown = sorted(set(per_skill) - set(skills))
    if unknown:
        raise ContentError(f"{where}: {unknown} are not skills of this topic.")
    for skill in skills:
        if skill not in per_skill:
            raise ContentError(f"{where}: skill {skill!r} has no entry.")
    return per_skill


def _field(data: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(data, dict):
        raise ContentError(f"{where}: must be an object.")
    if key not in data:
        raise ContentError(f"{where}: missing field {key!r}.")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise ContentError(f"{where}: field {key!r} must be a non-empty {kind.__name__}.")
    return value


def _strings(data: Any, key: str, where: str) -> tuple[str, ...]:
    values = _field(data, key, list, where)
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise ContentError(f"{where}: field {key!r} must be a non-empty list of non-empty strings.")
    return tuple(values)


def _concepts(data: dict[str, Any], topic: str, where: str) -> list[Concept]:
    raw = _field(data, "concepts", list, where)
    if len(raw) < MIN_CONCEPTS_PER_TOPIC:
        raise ContentError(f"{where}: needs at least {MIN_CONCEPTS_PER_TOPIC} concepts, has {len(raw)}.")
    out = []
    for i, c in enumerate(raw):
        at = f"{where} concept #{i} ({c.get('id', '?') if isinstance(c, dict) else '?'})"
        out.append(Concept(
            id=_field(c, "id", str, at), topic=topic, name=_field(c, "name", str, at),
            phrasings=_strings(c, "phrasings", at), definition=_field(c, "definition", str, at),
            example=_field(c, "example", str, at), picture=_field(c, "picture", str, at),
        ))  # fmt: skip
    return out


def _explanations(raw: Any, skill: str, where: str) -> tuple[Explanation, ...]:
    if not isinstance(raw, list) or len(raw) < MIN_EXPLANATIONS_PER_SKILL:
        raise ContentError(f"{where}: needs a list of at least {MIN_EXPLANATIONS_PER_SKILL} explanations.")
    out = tuple(
        Explanation(skill, _field(e, "representation", str, f"{where} #{i}"), _field(e, "text", str, f"{where} #{i}"))
        for i, e in enumerate(raw)
    )
    if len({e.text for e in out}) != len(out):
        raise ContentError(f"{where}: two explanations have the same text.")
    return out


def _scenarios(raw: Any, skill: str, where: str) -> tuple[Scenario, ...]:
    if not isinstance(raw, list) or not raw:
        raise ContentError(f"{where}: needs a non-empty list of scenarios.")
    out = []
    for i, s in enumerate(raw):
        at = f"{where} #{i}"
        when = _field(s, "when", dict, at)
        if not all(isinstance(v, str) for v in when.values()):
            raise ContentError(f"{at}: the values of 'when' must be strings.")
        out.append(
            Scenario(skill, _field(s, "context", str, at), tuple(sorted(when.items())), _field(s, "text", str, at))
        )
    return tuple(out)


def _solutions(raw: Any, where: str) -> dict[str, tuple[SolutionStep, ...]]:
    if not isinstance(raw, dict) or not raw:
        raise ContentError(f"{where}: needs an object of problem variants, each a list of steps.")
    out = {}
    for variant, steps in raw.items():
        at = f"{where} variant {variant!r}"
        if not isinstance(steps, list) or len(steps) < 2:
            raise ContentError(f"{at}: needs a list of at least two steps.")
        out[variant] = tuple(
            SolutionStep(_field(s, "say", str, f"{at} step {i + 1}"), _field(s, "why", str, f"{at} step {i + 1}"))
            for i, s in enumerate(steps)
        )
    return out
