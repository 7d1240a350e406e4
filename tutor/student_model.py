"""Bayesian Knowledge Tracing (Corbett & Anderson 1995): a pure update, simulation and fitting.

A skill is either learned or not. P(L0) is the prior, P(T) the chance of learning at each
opportunity, P(G) the chance of a right answer without the skill, P(S) of a wrong one with it.
`bkt_update` is the whole model at run time; `fit_bkt` recovers the four numbers from logged
sequences with Baum-Welch EM (the 2-state HMM BKT is), used by the recovery test and available
for refitting the curriculum's parameters from real logs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Baker, Corbett & Aleven 2008: guess and slip above 0.5 give a "model degeneracy" where a
# right answer lowers P(L); the fit keeps them below this bound.
MAX_GUESS_SLIP = 0.45
_EPS = 1e-6


@dataclass(frozen=True)
class BKTParams:
    """The four BKT parameters of one skill."""

    p_init: float  # P(L0): already knows the skill before the first opportunity
    p_transit: float  # P(T): learns it at an opportunity
    p_guess: float  # P(G): right answer without the skill
    p_slip: float  # P(S): wrong answer with the skill

    def __post_init__(self) -> None:
        for name in ("p_init", "p_transit", "p_guess", "p_slip"):
            v = getattr(self, name)
            if not (isinstance(v, float | int) and 0.0 < float(v) < 1.0 and math.isfinite(v)):
                raise ValueError(f"BKTParams.{name} must be a probability strictly between 0 and 1, got {v!r}.")
        if self.p_guess >= 0.5 or self.p_slip >= 0.5:
            raise ValueError("BKTParams.p_guess and p_slip must be below 0.5 (else the model is degenerate).")

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.p_init, self.p_transit, self.p_guess, self.p_slip)


def p_correct(p_learned: float, params: BKTParams) -> float:
    """Probability of a correct answer at the next opportunity."""
    return p_learned * (1.0 - params.p_slip) + (1.0 - p_learned) * params.p_guess


def bkt_update(p_learned: float, correct: bool, params: BKTParams) -> float:
    """P(L) after observing one answer: Bayes on the evidence, then the chance to learn (pure)."""
    if correct:
        known = p_learned * (1.0 - params.p_slip)
        posterior = known / (known + (1.0 - p_learned) * params.p_guess)
    else:
        known = p_learned * params.p_slip
        posterior = known / (known + (1.0 - p_learned) * (1.0 - params.p_guess))
    return posterior + (1.0 - posterior) * params.p_transit


def trace(outcomes: Sequence[bool], params: BKTParams) -> float:
    """P(L) after a whole sequence of outcomes, starting from P(L0)."""
    p = params.p_init
    for ok in outcomes:
        p = bkt_update(p, ok, params)
    return p


def simulate(params: BKTParams, n_students: int, n_steps: int, rng: np.random.Generator) -> np.ndarray:
    """Answers (n_students, n_steps) of students who follow the BKT generative model exactly."""
    known = rng.random(n_students) < params.p_init
    out = np.zeros((n_students, n_steps), dtype=bool)
    for t in range(n_steps):
        u = rng.random(n_students)
        out[:, t] = np.where(known, u >= params.p_slip, u < params.p_guess)
        known |= rng.random(n_students) < params.p_transit
    return out


def log_likelihood(obs: np.ndarray, params: BKTParams) -> float:
    """Log-likelihood of answers (n_students, n_steps) under params (forward algorithm)."""
    _, scale = _forward(obs.astype(bool), params.as_tuple())
    return float(np.log(scale).sum())


def fit_bkt(
    obs: np.ndarray,
    *,
    starts: Sequence[BKTParams] | None = None,
    iterations: int = 200,
    tol: float = 1e-7,
) -> BKTParams:
    """Maximum-likelihood BKT parameters from answers (n_students, n_steps) by Baum-Welch EM.

    Several starting points guard against local optima; guess and slip stay below
    MAX_GUESS_SLIP so the fit never lands on the degenerate mirror solution.
    """
    obs = np.asarray(obs, dtype=bool)
    if obs.ndim != 2 or obs.shape[0] < 1 or obs.shape[1] < 2:
        raise ValueError("fit_bkt needs answers shaped (students, steps) with at least two steps.")
    starts = starts or [
        BKTParams(p_init=a, p_transit=b, p_guess=c, p_slip=d)
        for a, b, c, d in [(0.3, 0.1, 0.2, 0.1), (0.5, 0.3, 0.1, 0.2), (0.1, 0.05, 0.3, 0.05)]
    ]
    best: tuple[float, BKTParams] | None = None
    for start in starts:
        params = start.as_tuple()
        prev = -math.inf
        for _ in range(iterations):
            params, ll = _em_step(obs, params)
            if ll - prev < tol:
                break
            prev = ll
        fitted = BKTParams(*params)
        ll = log_likelihood(obs, fitted)
        if best is None or ll > best[0]:
            best = (ll, fitted)
    assert best is not None
    return best[1]


def _emission(obs_t: np.ndarray, guess: float, slip: float) -> np.ndarray:
    """P(observation | state) per student, columns (unlearned, learned)."""
    p_right = np.array([guess, 1.0 - slip])
    return np.where(obs_t[:, None], p_right[None, :], 1.0 - p_right[None, :])


def _forward(obs: np.ndarray, params: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Scaled forward messages alpha (N, T, 2) and per-step scale factors (N, T)."""
    p_init, p_t, guess, slip = params
    n, steps = obs.shape
    alpha = np.zeros((n, steps, 2))
    scale = np.zeros((n, steps))
    prior = np.tile([1.0 - p_init, p_init], (n, 1))
    trans = np.array([[1.0 - p_t, p_t], [0.0, 1.0]])  # no forgetting in standard BKT
    for t in range(steps):
        a = prior * _emission(obs[:, t], guess, slip)
        scale[:, t] = a.sum(axis=1)
        alpha[:, t] = a / scale[:, t : t + 1]
        prior = alpha[:, t] @ trans
    return alpha, scale


def _em_step(
    obs: np.ndarray, params: tuple[float, float, float, float]
) -> tuple[tuple[float, float, float, float], float]:
    """One Baum-Welch iteration; returns new params and the log-likelihood of the old ones."""
    _, p_t, guess, slip = params
    alpha, scale = _forward(obs, params)
    n, steps = obs.shape
    trans = np.array([[1.0 - p_t, p_t], [0.0, 1.0]])
    beta = np.ones((n, steps, 2))
    for t in range(steps - 2, -1, -1):
        b = (_emission(obs[:, t + 1], guess, slip) * beta[:, t + 1]) @ trans.T
        beta[:, t] = b / scale[:, t + 1 : t + 2]
    gamma = alpha * beta  # (N, T, 2) posterior of the state
    gamma /= gamma.sum(axis=2, keepdims=True)
    # Expected 0 -> 1 transitions at each step t -> t+1.
    e_next = _emission_all(obs[:, 1:], guess, slip) * beta[:, 1:]  # (N, T-1, 2)
    xi01 = alpha[:, :-1, 0] * p_t * e_next[:, :, 1] / scale[:, 1:]
    from_unlearned = gamma[:, :-1, 0].sum()
    new_init = gamma[:, 0, 1].mean()
    new_t = xi01.sum() / max(from_unlearned, _EPS)
    right = obs.astype(float)
    new_guess = (gamma[:, :, 0] * right).sum() / max(gamma[:, :, 0].sum(), _EPS)
    new_slip = (gamma[:, :, 1] * (1.0 - right)).sum() / max(gamma[:, :, 1].sum(), _EPS)
    clip = lambda v, hi=1.0 - _EPS: float(min(hi, max(_EPS, v)))  # noqa: E731
    new = (clip(new_init), clip(new_t), clip(new_guess, MAX_GUESS_SLIP), clip(new_slip, MAX_GUESS_SLIP))
    return new, float(np.log(scale).sum())


def _emission_all(obs: np.ndarray, guess: float, slip: float) -> np.ndarray:
    """_emission for a (N, T) block: (N, T, 2)."""
    p_right = np.array([guess, 1.0 - slip])
    return np.where(obs[..., None], p_right, 1.0 - p_right)
