"""Simulated students: problems to mastery under adaptive selection vs a fixed worksheet sequence.

Each simulated student has hidden per-skill BKT parameters drawn around the curriculum's values
(so the tutor's model is close to, but never exactly, the truth). A skill whose prerequisites are
not yet learned is learned at a third of its rate. Difficulty moves guessing and slipping:
easy problems are guessed more and slipped less. The tutor sees only right/wrong answers.

Reported per topic and condition: problems given (median / mean), the share of students who
truly know every skill at the end, and problems spent on skills the student already knew.

Then retention over weeks (issue 12): every student learns every skill to mastery on day 0 and
comes back every few days. Hidden truth: a learned skill is forgotten after a random time with
a half-life of its own (drawn around 3 days), which a successful practice after a gap of a day
or more multiplies (the spacing effect, drawn around x2). With spaced review the tutor reads its
forgetting model (tutor/learner/forgetting.py) at each visit and re-practises the skills it
believes have faded; without, mastered skills are never seen again. Reported: the share of
skills the students truly still know on days 7, 30 and 60, and the review problems it cost.

    .venv/bin/python bench/bench_tutor_sim.py --students 400
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from tutor.curriculum import Curriculum, Skill
from tutor.learner.forgetting import ForgettingParams, SkillMemory, after_practice, due_for_review, recalled
from tutor.selection import AdaptiveSelector, FixedSequenceSelector, Selector
from tutor.student_model import bkt_update

PREREQ_SLOWDOWN = 1 / 3  # learning rate of a skill whose prerequisites are unknown
GUESS_SCALE = {1: 1.5, 2: 1.0, 3: 0.5}  # easy problems are easier to guess
SLIP_SCALE = {1: 0.6, 2: 1.0, 3: 1.4}  # hard problems are easier to slip on
MAX_PROBLEMS = 80  # a session cap so a never-mastering simulation ends


@dataclass
class SimStudent:
    """Hidden truth about one simulated student."""

    known: dict[str, bool]
    p_transit: dict[str, float]
    p_guess: dict[str, float]
    p_slip: dict[str, float]

    @classmethod
    def draw(cls, skills: list[Skill], rng: np.random.Generator) -> SimStudent:
        jitter = lambda v, lo, hi: float(np.clip(v * rng.uniform(0.5, 1.5), lo, hi))  # noqa: E731
        return cls(
            known={s.id: bool(rng.random() < jitter(s.bkt.p_init, 0.01, 0.9)) for s in skills},
            p_transit={s.id: jitter(s.bkt.p_transit, 0.02, 0.6) for s in skills},
            p_guess={s.id: jitter(s.bkt.p_guess, 0.01, 0.4) for s in skills},
            p_slip={s.id: jitter(s.bkt.p_slip, 0.01, 0.3) for s in skills},
        )

    def answer(self, skill: Skill, difficulty: int, rng: np.random.Generator) -> bool:
        """Answer one problem, then maybe learn from it."""
        sid = skill.id
        if self.known[sid]:
            correct = rng.random() >= min(0.9, self.p_slip[sid] * SLIP_SCALE[difficulty])
        else:
            correct = rng.random() < min(0.9, self.p_guess[sid] * GUESS_SCALE[difficulty])
            rate = self.p_transit[sid]
            if not all(self.known.get(p, True) for p in skill.prerequisites):
                rate *= PREREQ_SLOWDOWN
            self.known[sid] = bool(rng.random() < rate)
        return correct


def run_student(
    skills: list[Skill], selector: Selector, threshold: float, rng: np.random.Generator
) -> dict[str, float]:
    student = SimStudent.draw(skills, rng)
    mastery = {s.id: s.bkt.p_init for s in skills}
    by_id = {s.id: s for s in skills}
    history: list[tuple[str, bool]] = []
    wasted = 0
    for _ in range(MAX_PROBLEMS):
        choice = selector.choose(skills, mastery, history)
        if choice.skill is None:
            break
        skill = by_id[choice.skill]
        wasted += int(student.known[skill.id])
        ok = student.answer(skill, choice.difficulty, rng)
        history.append((skill.id, ok))
        mastery[skill.id] = bkt_update(mastery[skill.id], ok, skill.bkt)
    return {
        "problems": float(len(history)),
        "all_known": float(all(student.known.values())),
        "wasted": float(wasted),
        "declared_done": float(all(p >= threshold for p in mastery.values())),
    }


REVIEW_CAP = 8  # review problems per skill and visit at most
LEARN_CAP = 40  # problems to learn one skill on day 0 at most
DAY0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class TrueMemory:
    """Hidden truth about one learned skill: when it will be forgotten unless practised."""

    known: bool
    forget_at: float  # day
    half_life: float  # days
    growth: float  # the student's own spacing effect
    reinforced_at: float  # day of the last practice that reset the forgetting clock


def _forget_time(now: float, half_life: float, params: ForgettingParams, rng: np.random.Generator) -> float:
    """Survival 2^(-gap / half_life) after the same delay the model assumes."""
    return now + params.delay_days + half_life * float(np.log2(1.0 / max(rng.random(), 1e-12)))


def retention_student(
    skills: list[Skill], review: bool, params: ForgettingParams, threshold: float, visit_every: float,
    checkpoints: tuple[int, ...], rng: np.random.Generator,
) -> tuple[list[float], int]:  # fmt: skip
    """(share of skills truly known at each checkpoint day, review problems given)."""
    guess = {s.id: s.bkt.p_guess for s in skills}
    slip = {s.id: s.bkt.p_slip for s in skills}
    truth: dict[str, TrueMemory] = {}
    model: dict[str, SkillMemory] = {}

    def practise(skill: Skill, day: float) -> bool:
        t = truth[skill.id]
        if t.known and day >= t.forget_at:
            t.known = False
        correct = bool(rng.random() >= slip[skill.id]) if t.known else bool(rng.random() < guess[skill.id])
        if t.known and correct and day - t.reinforced_at >= params.delay_days:
            t.half_life *= t.growth  # practice after a gap strengthens memory (spacing effect)
        if not t.known and rng.random() < skill.bkt.p_transit:
            t.known = True
        if t.known:
            t.reinforced_at = day
            t.forget_at = _forget_time(day, t.half_life, params, rng)
        return correct

    for s in skills:  # day 0: learn every skill to (believed) mastery
        truth[s.id] = TrueMemory(bool(rng.random() < s.bkt.p_init), 0.0, params.half_life_days * rng.uniform(0.5, 1.5),
                                 params.growth * rng.uniform(0.75, 1.25), 0.0)  # fmt: skip
        truth[s.id].forget_at = _forget_time(0.0, truth[s.id].half_life, params, rng)
        mem = SkillMemory(s.id, s.bkt.p_init, DAY0, params.half_life_days)
        for _ in range(LEARN_CAP):
            if mem.p_mastered >= threshold:
                break
            mem = after_practice(mem, bkt_update(mem.p_mastered, practise(s, 0.0), s.bkt), DAY0, threshold, params)
        model[s.id] = mem
    reviews = 0
    shares = []
    day = 0.0
    for check in checkpoints:
        while day + visit_every <= check:
            day += visit_every
            now = DAY0 + timedelta(days=day)
            for s in skills if review else []:
                if not due_for_review(model[s.id], s.bkt.p_init, now, params):
                    continue
                mem = replace(model[s.id], p_mastered=recalled(model[s.id], s.bkt.p_init, now, params))
                for _ in range(REVIEW_CAP):
                    reviews += 1
                    p_new = bkt_update(mem.p_mastered, practise(s, day), s.bkt)
                    mem = after_practice(mem, p_new, now, threshold, params)
                    if mem.p_mastered >= threshold:
                        break
                model[s.id] = mem
        shares.append(sum(t.known and check < t.forget_at for t in truth.values()) / len(truth))
    return shares, reviews


def retention_report(cur: Curriculum, students: int, seed: int) -> None:
    params, threshold, every, checkpoints = ForgettingParams(), 0.95, 2.0, (7, 30, 60)
    skills = [cur.skills[sid] for t in sorted(cur.topics) for sid in cur.topics[t].skills]
    print(f"Retention: {students} students, all {len(skills)} skills learned on day 0, a visit every {every:g} days; "
          f"forgetting model: half-life {params.half_life_days:g} d x{params.growth:g} per spaced review, "
          f"review below P(L) {params.review_below:g}")  # fmt: skip
    header = f"{'condition':<28}" + "".join(f"{f'known day {c}':>14}" for c in checkpoints) + f"{'review problems':>17}"
    print(header)
    print("-" * len(header))
    for name, review in (("no review", False), ("spaced review (forgetting)", True)):
        rng = np.random.default_rng(seed)  # the same students in both conditions
        runs = [retention_student(skills, review, params, threshold, every, checkpoints, rng) for _ in range(students)]
        known = [100 * statistics.mean(r[0][i] for r in runs) for i in range(len(checkpoints))]
        print(f"{name:<28}" + "".join(f"{k:>13.1f}%" for k in known) + f"{statistics.mean(r[1] for r in runs):>17.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=400, help="simulated students per topic and condition")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        import torch

        threads = str(torch.get_num_threads())
    except ImportError:
        threads = "n/a"
    print(f"machine: {platform.platform()} | python {platform.python_version()} | cpus {os.cpu_count()} | "
          f"torch threads {threads}")  # fmt: skip
    cur = Curriculum.load()
    threshold = 0.95
    conditions: list[tuple[str, Selector]] = [
        ("adaptive (BKT mastery + difficulty)", AdaptiveSelector(threshold=threshold)),
        *[(f"fixed sequence, {k} per skill", FixedSequenceSelector(per_skill=k)) for k in (4, 7, 10)],
    ]
    print(f"{args.students} simulated students per topic and condition; cap {MAX_PROBLEMS} problems\n")
    header = (
        f"{'topic':<17} {'condition':<36} {'problems med/mean':>18} {'all skills known':>17} {'on known skills':>16}"
    )
    print(header)
    print("-" * len(header))
    for topic in sorted(cur.topics):
        skills = cur.topic_skills(topic)
        for name, selector in conditions:
            rng = np.random.default_rng(args.seed)  # same students for every condition
            runs = [run_student(skills, selector, threshold, rng) for _ in range(args.students)]
            problems = [r["problems"] for r in runs]
            known = 100 * statistics.mean(r["all_known"] for r in runs)
            wasted = statistics.mean(r["wasted"] for r in runs)
            print(f"{topic:<17} {name:<36} {statistics.median(problems):>8.0f} / {statistics.mean(problems):>6.1f}"
                  f" {known:>16.1f}% {wasted:>16.1f}")  # fmt: skip
        print()
    retention_report(cur, args.students, args.seed)


if __name__ == "__main__":
    main()
