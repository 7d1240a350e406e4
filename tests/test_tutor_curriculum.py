"""Curriculum data, problem generators and the answer checker."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tutor.checker import check_answer
from tutor.curriculum import DIFFICULTIES, Curriculum, CurriculumError
from tutor.curriculum.loader import DATA_DIR


@pytest.fixture(scope="module")
def cur() -> Curriculum:
    return Curriculum.load()


def test_three_topics_with_prerequisite_chains(cur: Curriculum) -> None:
    assert {"fractions", "linear_equations", "percentages"} <= set(cur.topics)
    for topic in cur.topics.values():
        assert len(topic.skills) >= 3
        assert topic.version
        first, *rest = cur.topic_skills(topic.id)
        assert not [p for p in first.prerequisites if p in topic.skills]  # may need skills of other topics
        assert all(s.prerequisites for s in rest)


@pytest.mark.parametrize("skill", sorted(Curriculum.load().skills))
def test_generator_gives_100_distinct_checked_instances(cur: Curriculum, skill: str) -> None:
    prompts = set()
    for seed in range(150):
        for d in DIFFICULTIES:
            p = cur.generate(skill, d, seed)
            assert p.difficulty == d and p.skill == skill and len(p.hints) == 3 and p.worked_steps
            assert check_answer(p, p.answer).correct, p
            for m in p.misconceptions:
                verdict = check_answer(p, m.value)
                assert not verdict.correct and verdict.misconception == m, (p, m)
            prompts.add(p.prompt)
    assert len(prompts) >= 100


def test_same_seed_same_problem_and_rebuild_from_id(cur: Curriculum) -> None:
    a = cur.generate("fractions.add_sub", 2, 42)
    assert cur.generate("fractions.add_sub", 2, 42) == a
    assert cur.problem_from_id(a.id) == a
    assert cur.sibling(a).prompt != a.prompt


def _find(cur: Curriculum, skill: str, pred) -> object:  # type: ignore[no-untyped-def]
    for seed in range(500):
        for d in DIFFICULTIES:
            p = cur.generate(skill, d, seed)
            if pred(p):
                return p
    raise AssertionError("no such problem")


def test_equivalent_forms_accepted_near_misses_rejected(cur: Curriculum) -> None:
    p = _find(cur, "fractions.add_sub", lambda p: p.value == "3/4")
    for ok in ["3/4", "0.75", "6/8", " 3 / 4 ", "75%", "I think it's 0.75", "9/12", "0,75"]:
        assert check_answer(p, ok).correct, ok
    for bad in ["0.74", "4/3", "3/5", "0.7", "-3/4", "34", "0.075"]:
        assert not check_answer(p, bad).correct, bad
    neg = _find(cur, "linear_equations.one_step", lambda p: p.value == "-2")
    for ok in ["x = -2", "x=−2", "-2", "−2", "x is -2", "-2 = x", "minus 2", "x = -2.0", "-4/2"]:
        assert check_answer(neg, ok).correct, ok
    for bad in ["2", "x = 2", "-3", "x = -2.1"]:
        assert not check_answer(neg, bad).correct, bad
    mixed = _find(cur, "fractions.mul_div", lambda p: p.value == "3/2")
    for ok in ["1 1/2", "1½", "3/2", "1.5", "6/4"]:
        assert check_answer(mixed, ok).correct, ok
    assert not check_answer(mixed, "1 1/3").correct


def test_percent_answers(cur: Curriculum) -> None:
    change = _find(cur, "percentages.change", lambda p: p.value == "25" and "increase" in p.prompt)
    for ok in ["25%", "25", "25 %", "25 percent", "25.0%"]:
        assert check_answer(change, ok).correct, ok
    assert not check_answer(change, "0.25").correct
    conv = _find(cur, "percentages.convert", lambda p: p.prompt == "Write 0.4 as a percent.")
    verdict = check_answer(conv, "0.4")
    assert not verdict.correct and verdict.note == "decimal_for_percent"
    assert check_answer(conv, "40%").correct and check_answer(conv, "40").correct


def test_non_terminating_answers_accept_rounding_only(cur: Curriculum) -> None:
    p = _find(cur, "fractions.add_sub", lambda p: p.value == "2/3")
    assert check_answer(p, "0.67").correct and check_answer(p, "0.667").correct
    assert not check_answer(p, "0.66").correct and not check_answer(p, "0.7").correct


def test_simplify_requires_lowest_terms(cur: Curriculum) -> None:
    p = _find(cur, "fractions.simplify", lambda p: p.prompt.startswith("Simplify 6/8"))
    assert check_answer(p, "3/4").correct and check_answer(p, "0.75").correct
    verdict = check_answer(p, "6/8")
    assert not verdict.correct and verdict.note == "not_simplest"


def test_targeted_misconceptions(cur: Curriculum) -> None:
    add = _find(cur, "fractions.add_sub", lambda p: p.prompt == "Work out 1/3 + 1/4.")
    v = check_answer(add, "2/7")
    assert v.misconception is not None and v.misconception.name == "added_denominators"
    assert "denominators 3 and 4" in v.misconception.feedback
    two = _find(cur, "linear_equations.two_step", lambda p: p.prompt.startswith("Solve for x: 3x + 4 = "))
    x = int(two.value)  # type: ignore[attr-defined]
    v = check_answer(two, f"x = {3 * x}")  # type: ignore[arg-type]
    assert v.misconception is not None and v.misconception.name == "divided_one_side"
    assert "BOTH sides" in v.misconception.feedback
    assert check_answer(two, str(-x)).misconception.name == "sign_error"  # type: ignore[arg-type,union-attr]


def test_garbage_is_not_an_attempt(cur: Curriculum) -> None:
    p = cur.generate("fractions.simplify", 1, 0)
    for text in ["", "   ", "hello", "9**9**9", "__import__('os')", "x" * 10_000, "\x00\ud800", "1/0"]:
        assert check_answer(p, text).parsed is False, text


def _copy_data(tmp_path: Path) -> Path:
    folder = tmp_path / "cur"
    shutil.copytree(DATA_DIR, folder)
    return folder


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(format_version=99), "format_version"),
        (lambda d: d["skills"][1].update(prerequisites=["fractions.nope"]), "unknown prerequisite"),
        (lambda d: d["skills"][0]["bkt"].update(p_guess=0.7), "bkt"),
        (lambda d: d["skills"][0].pop("concept"), "concept"),
        (lambda d: d["skills"][0].update(generator="fractions.missing"), "generator"),
        (lambda d: d["skills"][0].update(prerequisites=["fractions.mul_div"]), "cycle"),
    ],
)
def test_bad_curriculum_files_are_refused_on_load(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    folder = _copy_data(tmp_path)
    path = folder / "fractions.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    with pytest.raises(CurriculumError, match=message):
        Curriculum.load(folder)
