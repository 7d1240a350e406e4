"""The ported mini-Xception: shipped weights reproduce the hdf5 graph and read real photos sensibly."""

from __future__ import annotations

import json

import numpy as np
import pytest
from skimage import data

from affect.expression import DEFAULT_WEIGHTS_DIR, ExpressionClassifier, preprocess_face
from affect.types import BASIC_EMOTIONS


@pytest.fixture(scope="module")
def clf() -> ExpressionClassifier:
    return ExpressionClassifier.load()


def test_shipped_weights_match_reference_outputs_of_the_hdf5_graph(clf: ExpressionClassifier) -> None:
    ref = json.loads((DEFAULT_WEIGHTS_DIR / "reference.json").read_text())
    (y0, y1), (x0, x1) = ref["astronaut_crop"]
    rng = np.random.default_rng(0)
    inputs = {
        "astronaut_face": preprocess_face(data.astronaut()[y0:y1, x0:x1]),
        "noise_seed0": rng.uniform(-1, 1, (64, 64)).astype(np.float32),
        "flat_grey": np.zeros((64, 64), np.float32),
    }
    import torch

    batch = torch.from_numpy(np.stack(list(inputs.values()))[:, None])
    with torch.no_grad():
        got = torch.softmax(clf.model(batch), dim=1).numpy()
    want = np.array([ref["probs"][k] for k in inputs])
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_astronaut_reads_happy_and_mirror_gives_same_reading(clf: ExpressionClassifier) -> None:
    face = data.astronaut()[58:182, 164:288]
    probs = clf.predict(face)
    assert set(probs) == set(BASIC_EMOTIONS)
    assert abs(sum(probs.values()) - 1.0) < 1e-5
    assert max(probs, key=probs.__getitem__) == "happy" and probs["happy"] > 0.9
    mirrored = clf.predict(face[:, ::-1].copy())
    assert max(mirrored, key=mirrored.__getitem__) == "happy"


def test_grey_rgb_and_rgba_crops_agree(clf: ExpressionClassifier) -> None:
    face = data.astronaut()[58:182, 164:288]
    rgba = np.dstack([face, np.full(face.shape[:2], 255, np.uint8)])
    import cv2

    grey = cv2.cvtColor(face, cv2.COLOR_RGB2GRAY)
    p = [clf.predict_proba([x])[0] for x in (face, rgba, grey)]
    np.testing.assert_allclose(p[0], p[1], atol=1e-6)
    np.testing.assert_allclose(p[0], p[2], atol=1e-6)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((64, 64), np.float32), np.zeros((1, 1), np.uint8), np.zeros((8, 8, 2), np.uint8), np.zeros(5, np.uint8)],
)
def test_bad_crops_raise_value_error(clf: ExpressionClassifier, bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        clf.predict(bad)


def test_folded_inference_network_matches_the_port_and_restores_threads(clf: ExpressionClassifier) -> None:
    import torch

    rng = np.random.default_rng(1)
    batch = torch.from_numpy(rng.uniform(-1, 1, (4, 1, 64, 64)).astype(np.float32))
    with torch.no_grad():
        np.testing.assert_allclose(clf._fast(batch).numpy(), clf.model(batch).numpy(), atol=1e-4)
    face = data.astronaut()[58:182, 164:288]
    pair = clf.predict_proba([face, np.ascontiguousarray(face[:, ::-1])]).mean(axis=0)
    threads = torch.get_num_threads()
    np.testing.assert_allclose(clf.predict_mirror_pair(face), pair, atol=1e-6)  # flip after resize == before
    assert torch.get_num_threads() == threads


def test_onnxruntime_inference_reads_as_the_port_does(clf: ExpressionClassifier) -> None:
    """Inference runs in onnxruntime (one GIL-free call per frame): its probabilities are the port's."""
    import torch

    face = data.astronaut()[58:182, 164:288]
    grey = preprocess_face(face)
    pair = torch.from_numpy(np.stack([grey, grey[:, ::-1].copy()])[:, None])
    with torch.no_grad():
        want = torch.softmax(clf.model(pair), dim=1).numpy().mean(axis=0)
    order = [clf.cfg.labels.index(e) for e in BASIC_EMOTIONS]
    np.testing.assert_allclose(clf.predict_mirror_pair(face), want[order], atol=1e-5)
    rng = np.random.default_rng(2)
    crops = [rng.integers(0, 256, (40 + 9 * i, 50, 3), dtype=np.uint8) for i in range(5)]
    batch = torch.from_numpy(np.stack([preprocess_face(c) for c in crops])[:, None])
    with torch.no_grad():
        want_batch = torch.softmax(clf.model(batch), dim=1).numpy()[:, order]
    np.testing.assert_allclose(clf.predict_proba(crops), want_batch, atol=1e-5)
