"""AffectTracker: pure fusion of text and face readings over time (no models needed)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from affect.config import TrackerConfig
from affect.fusion import AffectTracker, generator, transition
from affect.types import BASIC_EMOTIONS, LEARNER_STATES, AffectEstimate


def reading(state: str, conf: float, source: str = "text", valence: float = 0.0) -> AffectEstimate:
    scores = {s: (0.85 if s == state else 0.025) for s in LEARNER_STATES}
    emotions = {e: 1 / len(BASIC_EMOTIONS) for e in BASIC_EMOTIONS} if source == "face" else None
    return AffectEstimate.from_scores(
        scores,
        valence=valence,
        arousal=0.5,
        confidence=conf,
        source=source,
        emotions=emotions,  # type: ignore[arg-type]
    )


def test_no_readings_is_neutral_with_zero_confidence() -> None:
    est = AffectTracker().estimate()
    assert est.label == "neutral" and est.confidence == 0.0 and est.source == "fused"


def test_single_reading_is_followed_then_fades_to_neutral() -> None:
    tr = AffectTracker()
    first = tr.update(reading("confused", 0.9), t=10.0)
    assert first.label == "confused" and first.source == "fused"
    assert 0 < first.confidence < 0.9 + 1e-9
    confs = [tr.estimate(10.0 + dt).confidence for dt in (0, 5, 15, 25)]
    assert all(a > b for a, b in itertools.pairwise(confs)), confs  # decays with time
    late = tr.estimate(10.0 + TrackerConfig().stale_after_s + 1)
    assert late.label == "neutral" and late.confidence == 0.0  # stale evidence ignored


def test_confidence_weighting_prefers_the_confident_modality() -> None:
    tr = AffectTracker()
    tr.update(reading("delighted", 0.15, "face"), t=1.0)
    fused = tr.update(reading("frustrated", 0.9, "text"), t=1.0)
    assert fused.label == "frustrated"
    tr2 = AffectTracker()
    tr2.update(reading("delighted", 0.9, "face"), t=1.0)
    assert tr2.update(reading("frustrated", 0.1, "text"), t=1.0).label == "delighted"


def test_stale_modality_is_ignored_and_missing_modality_is_fine() -> None:
    tr = AffectTracker(TrackerConfig(stale_after_s=30.0))
    tr.update(reading("delighted", 0.9, "face"), t=0.0)
    fused = tr.update(reading("bored", 0.6, "text"), t=45.0)
    assert fused.label == "bored"
    assert fused.emotions == {}  # the stale face contributes nothing, not even emotions
    only_face = AffectTracker().update(reading("anxious", 0.8, "face"), t=3.0)
    assert only_face.label == "anxious" and set(only_face.emotions) == set(BASIC_EMOTIONS)


def test_transitions_follow_dmello_graesser_dynamics() -> None:
    q = generator()
    assert np.allclose(q.sum(axis=1), 0.0)
    i = {s: k for k, s in enumerate(LEARNER_STATES)}
    t30 = transition(q, 30.0)
    assert np.allclose(t30.sum(axis=1), 1.0) and (t30 >= -1e-12).all()
    assert np.allclose(transition(q, 10.0) @ transition(q, 20.0), t30)  # a proper Markov semigroup
    # unresolved confusion -> frustration, resolution -> engagement; frustration -> boredom
    assert t30[i["confused"], i["frustrated"]] > 0.1 and t30[i["confused"], i["engaged"]] > 0.1
    assert t30[i["frustrated"], i["bored"]] > 0.1 and t30[i["bored"], i["frustrated"]] > 0.05
    # no direct boredom -> delight, and states persist over 30 s
    assert t30[i["bored"], i["delighted"]] < 0.01
    assert all(t30[k, k] > 0.4 for k in range(len(LEARNER_STATES)))
    tr = AffectTracker()
    tr.update(reading("confused", 0.9), t=0.0)
    early, later = tr.estimate(1.0), tr.estimate(25.0)
    assert later.scores["frustrated"] > early.scores["frustrated"] + 0.02


def test_webcam_frame_rate_does_not_swamp_a_confident_message() -> None:
    tr = AffectTracker()
    tr.update(reading("confused", 0.9, "text"), t=0.0)
    fused = None
    for k in range(125):  # 5 s of 25 fps frames reading mild engagement
        fused = tr.update(reading("engaged", 0.3, "face"), t=0.04 * k)
    assert fused is not None and fused.label == "confused"


def test_out_of_order_and_too_old_readings() -> None:
    tr = AffectTracker()
    tr.update(reading("neutral", 0.5, "face"), t=100.0)
    late_text = tr.update(reading("anxious", 0.9, "text"), t=99.0)  # a bit earlier, from another thread
    assert late_text.label == "anxious" and tr.latest_time == 100.0
    before = tr.estimate()
    after = tr.update(reading("delighted", 1.0, "text"), t=10.0)  # older than the stale window
    assert tr.dropped == 1
    assert after.scores == before.scores


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0, "12"])
def test_bad_times_raise(bad: object) -> None:
    with pytest.raises(ValueError):
        AffectTracker().update(reading("engaged", 0.5), t=bad)  # type: ignore[arg-type]


def test_fused_input_is_rejected() -> None:
    fused = AffectEstimate.neutral("fused", confidence=0.5)
    with pytest.raises(ValueError):
        AffectTracker().update(fused, t=1.0)


def test_face_absent_for_a_while_reads_as_disengagement() -> None:
    cfg = TrackerConfig(absent_after_s=10.0)
    tr = AffectTracker(cfg)
    tr.update(reading("engaged", 0.6, "face"), t=0.0)
    for k in range(1, 9):
        est = tr.update(None, t=float(k))
    assert est.label != "bored"  # a short absence (fetching a pencil) is not disengagement
    for k in range(9, 21):
        est = tr.update(None, t=float(k))
    assert est.label == "bored"
    assert tr.update(reading("engaged", 0.6, "face"), t=21.0).scores["bored"] < est.scores["bored"]
    never_seen = AffectTracker(cfg)
    for k in range(16):
        est = never_seen.update(None, t=float(k))
    assert est.label == "neutral" and est.confidence == 0.0  # camera never showed a face: no evidence


def test_pure_function_of_inputs_and_time() -> None:
    seq = [
        (reading("confused", 0.7, "text"), 1.0),
        (reading("engaged", 0.4, "face"), 1.5),
        (reading("frustrated", 0.8, "text"), 9.0),
        (None, 12.0),
        (reading("bored", 0.5, "face"), 20.0),
    ]
    outs = []
    for _ in range(2):
        tr = AffectTracker()
        outs.append([tr.update(e, t=t).to_dict() for e, t in seq])
    assert outs[0] == outs[1]
    a, b = AffectTracker(), AffectTracker()
    a.update(reading("confused", 0.7, "text"), t=5.0)
    a.update(reading("engaged", 0.4, "face"), t=5.0)
    b.update(reading("engaged", 0.4, "face"), t=5.0)
    b.update(reading("confused", 0.7, "text"), t=5.0)
    assert a.estimate().scores == pytest.approx(b.estimate().scores)
