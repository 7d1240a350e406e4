"""The curriculum as versioned data: one JSON file per topic, validated on load.

Content (skill names, prerequisites, BKT parameters, concept explanations) lives in
`data/<topic>.json` so teachers can edit it without touching code (the OATutor habit); the
number-crunching per skill (generators, hints, misconceptions) lives in Python beside it and is
named from the data by its `generator` key. Loading fails with a sentence naming the file and
the field when anything is off, never later in the middle of a lesson.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.curriculum import equations, fractions, percentages
from tutor.curriculum.content import SAMPLE_SEEDS, Content, ContentError, check_templates, load_content
from tutor.student_model import BKTParams
from tutor.types import Misconception, Problem

FORMAT_VERSION = 1  # bump when the JSON layout changes; files with another version are refused
DIFFICULTIES: tuple[int, ...] = (1, 2, 3)
DATA_DIR = Path(__file__).parent / "data"

Generator = Callable[[random.Random, int], Problem]
GENERATORS: dict[str, Generator] = {
    "fractions.simplify": fractions.simplify,
    "fractions.add_sub": fractions.add_sub,
    "fractions.mul_div": fractions.mul_div,
    "linear_equations.one_step": equations.one_step,
    "linear_equations.two_step": equations.two_step,
    "linear_equations.both_sides": equations.both_sides,
    "percentages.convert": percentages.convert,
    "percentages.of_quantity": percentages.of_quantity,
    "percentages.change": percentages.change,
}


class CurriculumError(ValueError):
    """A curriculum file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Skill:
    """One skill: what it is called, what it needs first, how it is learned and explained."""

    id: str
    name: str
    topic: str
    prerequisites: tuple[str, ...]
    bkt: BKTParams
    concept: str
    generator: str


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    version: str
    skills: tuple[str, ...]  # skill ids in teaching order


class Curriculum:
    """All topics and skills, plus problem generation by skill, difficulty and seed.

    A problem id is "<skill>:<difficulty>:<seed>", with "@<k>" appended when the problem is told
    as word problem k of its skill's scenarios (`as_scenario`); the id alone rebuilds it.
    """

    def __init__(self, topics: dict[str, Topic], skills: dict[str, Skill], content: Content) -> None:
        self.topics = topics
        self.skills = skills
        self.content = content

    @classmethod
    def load(cls, data_dir: str | Path | None = None) -> Curriculum:
        """Read and validate every `*.json` topic file in data_dir (default: the shipped data)."""
        folder = Path(data_dir) if data_dir else DATA_DIR
        files = sorted(folder.glob("*.json"))
        if not files:
            raise CurriculumError(f"No curriculum files (*.json) found in {folder}.")
        topics: dict[str, Topic] = {}
        skills: dict[str, Skill] = {}
        for path in files:
            topic, topic_skills = _read_topic(path)
            if topic.id in topics:
                raise CurriculumError(f"{path.name}: topic {topic.id!r} is defined twice.")
            topics[topic.id] = topic
            for skill in topic_skills:
                if skill.id in skills:
                    raise CurriculumError(f"{path.name}: skill {skill.id!r} is defined twice.")
                skills[skill.id] = skill
        _check_prerequisites(skills)
        try:
            content = load_content(folder, {t.id: t.skills for t in topics.values()})
            cur = cls(topics, skills, content)
            samples = {s: [cur.plain(s, d, seed) for d in DIFFICULTIES for seed in range(SAMPLE_SEEDS)] for s in skills}
            check_templates(content, samples)
        except ContentError as err:
            raise CurriculumError(f"{folder}: {err}") from err
        return cur

    def topic_skills(self, topic: str) -> list[Skill]:
        if topic not in self.topics:
            raise ValueError(f"Unknown topic {topic!r}; choose one of {sorted(self.topics)}.")
        return [self.skills[s] for s in self.topics[topic].skills]

    def generate(self, skill: str, difficulty: int, seed: int) -> Problem:
        """The problem instance for (skill, difficulty, seed); the same triple gives the same problem."""
        problem = self.plain(skill, difficulty, seed)
        steps, reasons = self.content.solution(problem)
        return dataclasses.replace(problem, worked_steps=steps, step_reasons=reasons)

    def plain(self, skill: str, difficulty: int, seed: int) -> Problem:
        """The generated problem before the worked steps are filled in from the solution templates."""
        if skill not in self.skills:
            raise ValueError(f"Unknown skill {skill!r}.")
        if difficulty not in DIFFICULTIES:
            raise ValueError(f"Difficulty must be one of {DIFFICULTIES}, got {difficulty!r}.")
        rng = random.Random(f"{skill}:{difficulty}:{seed}")
        problem = GENERATORS[self.skills[skill].generator](rng, difficulty)
        unique: dict[str, Misconception] = {}
        for m in problem.misconceptions:  # two faulty procedures can give the same value: first wins
            unique.setdefault(m.value, m)
        return dataclasses.replace(
            problem, id=f"{skill}:{difficulty}:{seed}", skill=skill, misconceptions=tuple(unique.values())
        )

    def as_scenario(self, problem: Problem, k: int) -> Problem:
        """The same problem told as a word problem: template k (mod the fitting ones) of its skill."""
        base = self.problem_from_id(problem.id.split("@")[0])
        fitting = self.content.scenarios_for(base)
        template = fitting[k % len(fitting)]
        answer = base.value if base.kind == "equation" else base.answer  # a story asks for a number, not "x = 3"
        return dataclasses.replace(
            base, id=f"{base.id}@{k % len(fitting)}", prompt=template.text.format(**base.values), answer=answer
        )

    def problem_from_id(self, problem_id: str) -> Problem:
        """Rebuild a logged problem from its id (used when a session is resumed)."""
        try:
            plain, _, story = problem_id.partition("@")
            skill, difficulty, seed = plain.rsplit(":", 2)
            problem = self.generate(skill, int(difficulty), int(seed))
            return self.as_scenario(problem, int(story)) if story else problem
        except ValueError as err:
            raise ValueError(f"Not a problem id: {problem_id!r}.") from err

    def sibling(self, problem: Problem) -> Problem:
        """Another problem of the same skill and difficulty (for worked examples), never the same one;
        a word problem's sibling is a word problem too."""
        plain, _, story = problem.id.partition("@")
        _, difficulty, seed = plain.rsplit(":", 2)
        for k in range(1, 40):
            other = self.generate(problem.skill, int(difficulty), int(seed) * 7919 + k)
            if story:
                other = self.as_scenario(other, int(story))
            if other.prompt != problem.prompt:
                break
        return other


def _read_topic(path: Path) -> tuple[Topic, list[Skill]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise CurriculumError(f"Cannot read curriculum file {path}: {err}") from err
    where = path.name
    if not isinstance(data, dict):
        raise CurriculumError(f"{where}: the top level must be an object.")
    if data.get("format_version") != FORMAT_VERSION:
        raise CurriculumError(f"{where}: format_version must be {FORMAT_VERSION}, got {data.get('format_version')!r}.")
    topic_id = _field(data, "topic", str, where)
    raw_skills = _field(data, "skills", list, where)
    if not raw_skills:
        raise CurriculumError(f"{where}: a topic needs at least one skill.")
    skills = [_read_skill(raw, topic_id, f"{where} skill #{i}") for i, raw in enumerate(raw_skills)]
    topic = Topic(
        id=topic_id,
        title=_field(data, "title", str, where),
        version=_field(data, "version", str, where),
        skills=tuple(s.id for s in skills),
    )
    return topic, skills


def _read_skill(raw: Any, topic: str, where: str) -> Skill:
    if not isinstance(raw, dict):
        raise CurriculumError(f"{where}: each skill must be an object.")
    skill_id = _field(raw, "id", str, where)
    if not skill_id.startswith(f"{topic}."):
        raise CurriculumError(f"{where}: skill id {skill_id!r} must start with '{topic}.'.")
    generator = _field(raw, "generator", str, where)
    if generator not in GENERATORS:
        raise CurriculumError(f"{where}: unknown generator {generator!r}.")
    prereqs = _field(raw, "prerequisites", list, where)
    if not all(isinstance(p, str) for p in prereqs):
        raise CurriculumError(f"{where}: prerequisites must be skill ids (strings).")
    bkt_raw = _field(raw, "bkt", dict, where)
    try:
        bkt = BKTParams(**{k: float(v) for k, v in bkt_raw.items()})
    except (TypeError, ValueError) as err:
        raise CurriculumError(f"{where}: bad bkt parameters: {err}") from err
    concept = _field(raw, "concept", str, where)
    if len(concept) < 20:
        raise CurriculumError(f"{where}: the concept explanation is missing or too short.")
    return Skill(skill_id, _field(raw, "name", str, where), topic, tuple(prereqs), bkt, concept, generator)


def _field(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise CurriculumError(f"{where}: missing field {key!r}.")
    if not isinstance(data[key], kind):
        raise CurriculumError(f"{where}: field {key!r} must be a {kind.__name__}.")
    return data[key]


def _check_prerequisites(skills: dict[str, Skill]) -> None:
    """Every prerequisite exists and the prerequisite graph has no cycle."""
    for skill in skills.values():
        for p in skill.prerequisites:
            if p not in skills:
                raise CurriculumError(f"Skill {skill.id!r} needs unknown prerequisite {p!r}.")
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(sid: str) -> None:
        if state.get(sid) == 2:
            return
        if state.get(sid) == 1:
            raise CurriculumError(f"The prerequisites of skill {sid!r} form a cycle.")
        state[sid] = 1
        for p in skills[sid].prerequisites:
            visit(p)
        state[sid] = 2

    for sid in skills:
        visit(sid)
