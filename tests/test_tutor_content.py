"""Teaching content (concept bank, explanations, scenarios, worked solutions): data files, loader, checks."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tutor.checker import check_answer
from tutor.curriculum import DIFFICULTIES, Curriculum, CurriculumError
from tutor.curriculum.loader import DATA_DIR
from tutor.language.spoken import to_spoken


@pytest.fixture(scope="module")
def cur() -> Curriculum:
    return Curriculum.load()


def test_bank_sizes_and_variety(cur: Curriculum) -> None:
    for topic in cur.topics:
        concepts = [c for c in cur.content.concepts if c.topic == topic]
        assert len(concepts) >= 15, topic
        assert all(c.definition and c.example and c.picture and c.phrasings for c in concepts)
    for skill in cur.skills:
        reps = [e.representation for e in cur.content.explanations[skill]]
        assert len(reps) >= 3 and len(set(reps)) == len(reps), skill
        contexts = {s.context for s in cur.content.scenarios[skill]}
        assert len(contexts) >= 2, skill


@pytest.mark.parametrize("skill", sorted(Curriculum.load().skills))
def test_worked_steps_and_word_problems_for_every_problem(cur: Curriculum, skill: str) -> None:
    for seed in range(60):
        for d in DIFFICULTIES:
            p = cur.generate(skill, d, seed)
            assert len(p.worked_steps) == len(p.step_reasons) >= 2
            assert p.value.lstrip("-") in " ".join(p.worked_steps[-2:]) or p.answer in " ".join(p.worked_steps)
            assert all("{" not in s for s in p.worked_steps + p.step_reasons)
            for k in range(3):
                story = cur.as_scenario(p, k)
                assert story.prompt != p.prompt and "{" not in story.prompt
                assert not set("/%=£$*") & set(to_spoken(story.prompt)), story.prompt  # a voice reads it
                assert story.value == p.value and check_answer(story, story.answer).correct, story
                assert cur.problem_from_id(story.id) == story
                similar = cur.sibling(story)  # a worked example on a word problem: a similar word problem
                assert "@" in similar.id and similar.skill == skill and similar.prompt != story.prompt


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "cur"
    shutil.copytree(DATA_DIR, folder)
    return folder


def _edit(folder: Path, rel: str, fn: Callable[[Any], None]) -> None:
    path = folder / rel
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("rel", "edit", "message"),
    [
        ("concepts/fractions.json", lambda d: d["concepts"].__delitem__(slice(3, None)), "at least 15 concepts"),
        ("concepts/fractions.json", lambda d: d["concepts"][2].pop("picture"), r"concept #2 \(denominator\).*picture"),
        ("explanations/percentages.json",
         lambda d: d["skills"]["percentages.change"].__delitem__(slice(2, None)), "at least 3"),
        ("solutions/fractions.json", lambda d: d["skills"]["fractions.simplify"]["simplify"][1].update(
            say="The factor is {gcf}."), r"fractions.simplify variant 'simplify' step 2.*gcf"),
        ("solutions/linear_equations.json", lambda d: d["skills"]["linear_equations.one_step"].pop("div"),
         "no steps for problem variant 'div'"),
        ("scenarios/percentages.json", lambda d: d["skills"]["percentages.change"].__setitem__(slice(None), [
            {"context": "shopping", "when": {"variant": "increase"}, "text": "Up from {old} to {new}?"}]),
         "no word problem of skill 'percentages.change' fits"),
        ("scenarios/fractions.json", lambda d: d["skills"].update({"fractions.nope": []}), "not skills"),
        ("explanations/fractions.json", lambda d: d.update(topic="algebra"), "explanations/fractions.json.*topic"),
    ],
)  # fmt: skip
def test_bad_content_is_refused_naming_file_and_entry(tmp_path: Path, rel: str, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    folder = _copy(tmp_path)
    _edit(folder, rel, edit)
    with pytest.raises(CurriculumError, match=message):
        Curriculum.load(folder)


def test_missing_content_file_is_named(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "scenarios" / "linear_equations.json").unlink()
    with pytest.raises(CurriculumError, match=r"scenarios/linear_equations\.json"):
        Curriculum.load(folder)
