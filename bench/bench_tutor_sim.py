"""Simulated students: problems to mastery under adaptive selection vs a fixed worksheet sequence.

Each simulated student has hidden per-skill BKT parameters drawn around the curriculum's values
(so the tutor's model is close to, but never exactly, the truth). A skill whose prerequisites are
not yet learned is learned at a third of its rate. Difficulty moves guessing and slipping:
easy problems are guessed more and slipped less. The tutor sees only right/wrong answers.

Reported per topic and condition: problems given (median / mean), the share of students who
truly know every skill at the end, and problems spent on skills the student already knew.

    .venv/bin/python bench/bench_tutor_sim.py --students 400
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from dataclasses import dataclass

import numpy as np

from tutor.curriculum import Curriculum, Skill
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


if __name__ == "__main__":
    main()
