"""AffectTracker: confidence-weighted, time-aware fusion of text and face readings.

A pure function of the readings it was given and the query time (no model, no clock): the
fused estimate at time t is

    p_m(t)  = sum_b v_b * (p_b @ T(t - t_b)) / sum_b v_b          per modality m (text, face)
    v_b     = conf_b * 0.5 ** ((t - t_b) / half_life)              readings kept in 1 s bins
    W_m     = prior_weight_m * max_b v_b                           (text_weight / face_weight)
    fused   = (sum_m W_m p_m + w0 * neutral) / (sum_m W_m + w0),   confidence = sum W / (sum W + w0)

- Affect persists: readings fade with `half_life_s`, so one message colours the next ~minute.
- Transitions follow D'Mello & Graesser (2012, "Dynamics of affective states during complex
  learning", Learning and Instruction 22:145-157): a reading's distribution is carried forward
  by the continuous-time Markov chain `T(dt) = expm(Q dt)` whose rates encode their model:
  engaged <-> confused (impasse / resolution), unresolved confusion -> frustration,
  frustration <-> boredom, and delight that quickly settles into engagement. So confusion seen
  30 s ago and not followed by anything now reads partly as frustration.
- A modality whose freshest reading is older than `stale_after_s` is ignored; with no fresh
  reading at all the track relaxes to neutral with confidence 0 (w0 = `prior_weight`).
- Missing face: `update(None, t)` means "the camera is on but no face was found". After
  `absent_after_s` of continuous absence (having seen a face before), the face channel reports
  disengagement (bored) with confidence 0.7: looking away for long is off-task behaviour
  (Baker et al. 2010; Whitehill et al. 2014).
- The latest reading is never masked by an earlier one close to it: a reading of a modality
  that arrives within `bin_s` of that modality's last reading is merged with it when they agree
  (a 25 fps webcam gives one bin a second), and supersedes it when they disagree ("ok" then,
  a second later, "I'm scared I'll fail my test" reads as anxious, not as their average). A
  neutral reading is no evidence of a state, so it never supersedes one (an answer typed a
  second after "I'm confused" does not erase the confusion).
- Self-report: `estimate(t, self_report=...)` mixes the reading of the student's own words in
  this message in with weight `self_report_weight` x its confidence against the fused track's
  confidence, so "this is too hard" outweighs a smiling face for that turn; the turn's confidence
  is the same weighted mean of both confidences.
- Habituation: a face expression held unchanged for longer than `habituate_after_s` counts
  less and less (to `habituation_floor` of its weight): a fixed resting expression is the
  student's baseline, and a change from it is what carries news.
- Time: readings may arrive out of order (text and webcam come from different threads); each is
  filed at its own timestamp, and the estimate is for the latest time seen. A reading older than
  `stale_after_s` before the latest time is dropped (counted in `dropped`). Non-finite or
  negative times raise ValueError.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from affect.config import TrackerConfig
from affect.types import BASIC_EMOTIONS, LEARNER_STATES, AffectEstimate

_IDX = {s: i for i, s in enumerate(LEARNER_STATES)}
NEUTRAL_AROUSAL = 0.3  # the resting arousal the track relaxes to (text: STATE_AROUSAL["neutral"])
ABSENT_CONFIDENCE = 0.7  # trust in "no face for a while" as a disengagement reading
ABSENT_SCORES = {"bored": 0.9, "neutral": 0.1}  # with face_weight 0.7 this makes "bored" the fused label
_EPS = 1e-6  # time tolerance (s) for float round-off in confidence-weighted bin times

# Transition rates per minute between learner states (off-diagonal of the generator Q). Chosen
# so that the dominant paths of D'Mello & Graesser's model move a noticeable share of mass in
# ~30-60 s (their observation windows were 20 s) while states still persist ("affect persists"):
TRANSITIONS_PER_MIN: dict[tuple[str, str], float] = {
    ("engaged", "confused"): 0.3,  # impasse
    ("confused", "engaged"): 0.6,  # impasse resolved
    ("confused", "frustrated"): 0.6,  # unresolved confusion
    ("confused", "delighted"): 0.1,  # resolution with insight
    ("frustrated", "confused"): 0.2,
    ("frustrated", "bored"): 0.4,  # persistent failure -> disengagement
    ("bored", "frustrated"): 0.2,  # forced to keep going while bored
    ("bored", "engaged"): 0.05,
    ("delighted", "engaged"): 1.0,  # delight is short-lived
    ("anxious", "confused"): 0.1,
    ("neutral", "engaged"): 0.1,
}


def generator() -> np.ndarray:
    """The rate matrix Q (per second): rows sum to zero."""
    q = np.zeros((len(LEARNER_STATES), len(LEARNER_STATES)))
    for (a, b), rate in TRANSITIONS_PER_MIN.items():
        q[_IDX[a], _IDX[b]] = rate / 60.0
    q[np.diag_indices_from(q)] = -q.sum(axis=1)
    return q


def transition(q: np.ndarray, dt: float) -> np.ndarray:
    """expm(Q dt) by scaling and squaring of a 12-term Taylor series (7x7, exact to ~1e-12)."""
    return transitions(q, [dt])[0]


def transitions(q: np.ndarray, dts: Sequence[float]) -> np.ndarray:
    """expm(Q dt) for every dt at once, (n, 7, 7): one batched series instead of n.

    Why: a face reading is weighed against every fresh bin (up to stale_after_s of them, one a
    second), and n separate series cost ~40 us of Python each, held under the GIL of the app's
    frame workers (py-spy at N=50: 6 % of the app's GIL in this function). All share the
    squarings of the largest dt: a smaller matrix needs fewer, but more only adds ~1e-15 rounding.
    """
    a = q[None, :, :] * np.maximum(0.0, np.asarray(dts, dtype=np.float64))[:, None, None]
    squarings = max(0, math.ceil(math.log2(max(float(np.abs(a).sum(axis=2).max(initial=0.0)), 1e-12))) + 1)
    a = a / (2**squarings)
    result = term = np.broadcast_to(np.eye(len(q)), a.shape)
    for k in range(1, 13):
        term = term @ a / k
        result = result + term
    for _ in range(squarings):
        result = result @ result
    return np.asarray(result)


@dataclass
class _Bin:
    """Confidence-weighted sums of the readings of one modality within one `bin_s` window."""

    start: float
    conf: float = 0.0  # sum of confidences
    t: float = 0.0  # sum of conf * time
    scores: np.ndarray = field(default_factory=lambda: np.zeros(len(LEARNER_STATES)))
    valence: float = 0.0
    arousal: float = 0.0
    emotions: np.ndarray = field(default_factory=lambda: np.zeros(len(BASIC_EMOTIONS)))
    emo_conf: float = 0.0
    peak: float = 0.0  # highest single confidence
    n: int = 0  # number of readings
    last: float = 0.0  # time of the latest reading in the bin
    habit: float = 1.0  # weight share left after habituation (face: an expression held unchanged for long)

    @property
    def label(self) -> str:
        return LEARNER_STATES[int(np.argmax(self.scores))]

    def add(self, est: AffectEstimate, t: float) -> None:
        c = est.confidence
        self.last = max(self.last, t) if self.n else t
        self.n += 1
        self.conf += c
        self.t += c * t
        self.scores += c * np.array([est.scores[s] for s in LEARNER_STATES])
        self.valence += c * est.valence
        self.arousal += c * est.arousal
        if est.emotions:
            self.emotions += c * np.array([est.emotions[e] for e in BASIC_EMOTIONS])
            self.emo_conf += c
        self.peak = max(self.peak, c)


class AffectTracker:
    """Fuses text and face AffectEstimates over time; see the module docstring for the maths."""

    def __init__(self, cfg: TrackerConfig | None = None) -> None:
        self.cfg = cfg or TrackerConfig()
        self._q = generator()
        self._bins: dict[str, list[_Bin]] = {"text": [], "face": []}
        self._latest = -math.inf
        self._face_seen = False
        self._absent_since: float | None = None
        self._face_run: tuple[str, float] | None = None  # (label, since when) of the face's unchanged expression
        self.dropped = 0  # readings ignored because they were older than the stale window
        self.superseded = 0  # readings replaced by (or arriving after) a disagreeing later reading within bin_s

    @property
    def latest_time(self) -> float | None:
        """The latest timestamp seen, or None before the first update."""
        return None if self._latest == -math.inf else self._latest

    def update(self, est: AffectEstimate | None, t: float) -> AffectEstimate:
        """Add one reading (text or face; None = camera on, no face) at time t (s); return the fused track."""
        if not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
            raise ValueError(f"AffectTracker.update needs a finite time t >= 0 in seconds, got {t!r}.")
        t = float(t)
        if est is not None and est.source not in ("text", "face"):
            raise ValueError(f"AffectTracker.update takes 'text' or 'face' readings, got source {est.source!r}.")
        if t < self._latest - self.cfg.stale_after_s:
            self.dropped += 1
            return self.estimate(self._latest)
        self._latest = max(self._latest, t)
        if est is None:
            self._note_absence(t)
        else:
            if est.source == "face":
                self._face_seen, self._absent_since = True, None
                if self._face_run is None or self._face_run[0] != est.label:
                    self._face_run = (est.label, t)
            self._file(est, t)
        self._forget(self._latest)
        return self.estimate(self._latest)

    def estimate(self, t: float | None = None, *, self_report: AffectEstimate | None = None) -> AffectEstimate:
        """The fused estimate at time t (default: the latest time seen) from the readings at or before t.

        self_report: the reading of the student's words in the message being answered; when it names a
        state (not neutral) it outweighs the face for this turn (see the module docstring).
        """
        base = self._estimate(t)
        if self_report is None or self_report.label == "neutral" or self.cfg.self_report_weight == 0:
            return base
        w = self.cfg.self_report_weight * self_report.confidence
        c = base.confidence
        if w + c <= 0:
            return base
        scores = {s: (w * self_report.scores[s] + c * base.scores[s]) / (w + c) for s in LEARNER_STATES}
        return AffectEstimate.from_scores(
            scores,
            valence=(w * self_report.valence + c * base.valence) / (w + c),
            arousal=(w * self_report.arousal + c * base.arousal) / (w + c),
            # weighted like the scores: max() lent the track's certainty about its own label (often
            # neutral) to a label the weak words tipped it to, and the policy acted on that
            confidence=(w * self_report.confidence + c * base.confidence) / (w + c),
            source="fused",
            emotions=base.emotions,
        )

    def _estimate(self, t: float | None) -> AffectEstimate:
        if t is None:
            t = self.latest_time
        if t is None:
            return AffectEstimate.neutral("fused", confidence=0.0)
        cfg = self.cfg
        total_w, mix = 0.0, np.zeros(len(LEARNER_STATES))
        val = aro = 0.0
        emo, emo_w = np.zeros(len(BASIC_EMOTIONS)), 0.0
        for modality, prior in (("text", cfg.text_weight), ("face", cfg.face_weight)):
            fresh = [b for b in self._bins[modality] if b.conf > 0 and -_EPS <= t - b.t / b.conf <= cfg.stale_after_s]
            if not fresh or prior == 0:
                continue
            v_sum, p, v_peak, m_val, m_aro = 0.0, np.zeros(len(LEARNER_STATES)), 0.0, 0.0, 0.0
            ages = [max(0.0, t - b.t / b.conf) for b in fresh]
            for b, age, moved in zip(fresh, ages, transitions(self._q, ages)):
                decay = 0.5 ** (age / cfg.half_life_s)
                v = b.conf / b.n * decay * b.habit  # mean confidence in the bin x decay x habituation
                p += v * (b.scores / b.conf) @ moved
                m_val += v * b.valence / b.conf
                m_aro += v * b.arousal / b.conf
                v_sum += v
                v_peak = max(v_peak, b.peak * decay * b.habit)
                if b.emo_conf > 0:
                    emo += v * b.emotions / b.emo_conf
                    emo_w += v
            w = prior * v_peak
            mix += w * p / v_sum
            val += w * m_val / v_sum
            aro += w * m_aro / v_sum
            total_w += w
        w0 = cfg.prior_weight
        mix[_IDX["neutral"]] += w0
        denom = total_w + w0
        scores = {s: float(mix[i] / denom) for i, s in enumerate(LEARNER_STATES)}
        emotions = {e: float(emo[i] / emo_w) for i, e in enumerate(BASIC_EMOTIONS)} if emo_w > 0 else None
        return AffectEstimate.from_scores(
            scores,
            valence=val / denom,
            arousal=(aro + w0 * NEUTRAL_AROUSAL) / denom,
            confidence=total_w / denom,
            source="fused",
            emotions=emotions,
        )

    # ------------------------------------------------------------------ bookkeeping
    def _habituation(self, est: AffectEstimate, t: float) -> float:
        """Weight share of a face reading: 1, falling towards the floor the longer its expression has been held."""
        if est.source != "face" or self._face_run is None:
            return 1.0
        cfg = self.cfg
        held = max(0.0, t - self._face_run[1] - cfg.habituate_after_s)
        return max(cfg.habituation_floor, 0.5 ** (held / cfg.habituation_half_life_s))

    def _file(self, est: AffectEstimate, t: float) -> None:
        bins = self._bins[est.source]
        near = [b for b in bins if abs(t - b.last) <= self.cfg.bin_s]
        b = max(near, key=lambda b: b.last) if near else None
        habit = self._habituation(est, t)
        if b is not None and b.label == est.label and t - b.start < self.cfg.bin_s:
            b.add(est, t)  # the same reading again within a bin (a steady webcam): merge
            b.habit = min(b.habit, habit)
            return
        if b is not None and b.label != est.label and est.label != "neutral":
            if t >= b.last:  # the latest reading is never masked by an earlier one a moment before
                bins.remove(b)
                self.superseded += b.n
            elif b.label != "neutral":  # arrived late, and a later reading already disagrees: the later stands
                self.superseded += 1
                return
        new = _Bin(t, habit=habit)
        new.add(est, t)
        bins.append(new)

    def _note_absence(self, t: float) -> None:
        if self._absent_since is None or t < self._absent_since:
            self._absent_since = t
        if self._face_seen and t - self._absent_since >= self.cfg.absent_after_s:
            away = AffectEstimate.from_scores(
                ABSENT_SCORES, valence=-0.1, arousal=0.2, confidence=ABSENT_CONFIDENCE, source="face"
            )
            self._file(away, t)

    def _forget(self, now: float) -> None:
        horizon = now - self.cfg.stale_after_s - self.cfg.bin_s
        for modality, bins in self._bins.items():
            self._bins[modality] = [b for b in bins if b.last >= horizon]
