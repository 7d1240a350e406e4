"""Rig v2 on the real actor v2 renderer, read by the real MediaPipe and expression classifier."""

from __future__ import annotations

import numpy as np
import pytest

from gan.eval.rig_check import ActorTools, clip_label
from gan.rig.arkit import KEPT_INDEX, K, to_arkit
from gan.rig.expressions import ExpressionTable
from gan.rig.performance import Performer


@pytest.fixture(scope="module")
def tools() -> ActorTools:
    return ActorTools()


def _face(**channels: float) -> np.ndarray:
    kept = np.zeros(K, np.float32)
    for name, value in channels.items():
        kept[KEPT_INDEX[name]] = value
    return kept


def test_mediapipe_sees_lips_shut_on_a_closure_and_open_on_a_vowel(tools: ActorTools) -> None:
    performer = Performer()
    phonemes = (("_", 0.0, 0.2), ("m", 0.2, 0.3), ("a", 0.3, 0.55), ("p", 0.55, 0.62), ("a", 0.62, 0.85),
                ("_", 0.85, 1.4))
    perf = performer.perform(35, "neutral", 1.0, seed=0, phonemes=phonemes)
    frames = [6, 10, 14, 11, 30]  # m, a, p, a, silence
    opening = tools.mouth_openings(to_arkit(perf.track.kept[frames]), perf.track.pose[frames])
    assert np.isfinite(opening).all()
    assert opening[0] < 0.02 and opening[2] < 0.02 and opening[4] < 0.02  # closed: m, p, silence
    assert opening[1] > 0.05 and opening[3] > 0.05  # "a" opens


def test_classifier_reads_rest_neutral_smile_happy_and_concern_sad(tools: ActorTools) -> None:
    table = ExpressionTable.load()
    pose = np.array([[0.0, 0.0, 0.0], [3.0, 1.0, 0.0], [-3.0, -1.0, 1.0]], np.float32)
    labels = {}
    for emotion in ("neutral", "happy", "concerned"):
        kept = np.repeat(table.face(table.blend(emotion), 1.0)[None], 3, axis=0)
        labels[emotion] = clip_label(tools.expression(tools.render(to_arkit(kept), pose)))
    assert labels == {"neutral": "neutral", "happy": "happy", "concerned": "sad"}


def test_jaw_alone_moves_the_rendered_mouth_and_thinking_does_not_read_angry(tools: ActorTools) -> None:
    performer = Performer()
    perf = performer.perform(10, "thinking", 1.0, seed=1)
    label = clip_label(tools.expression(tools.render(perf.track.arkit()[::3], perf.track.pose[::3])))
    assert label not in ("angry", "disgusted", "fearful")
    opening = tools.mouth_openings(to_arkit(np.stack([_face(), _face(jawOpen=0.6)])), np.zeros((2, 3), np.float32))
    assert opening[1] > opening[0] + 0.05
