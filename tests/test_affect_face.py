"""FaceAffect on real photos (skimage.data), bad input, mirroring, several faces, threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest
from skimage import data

from affect.config import FaceAffectConfig
from affect.face import CUE_TO_STATE, EMOTION_TO_STATE, FaceAffect, to_rgb
from affect.landmarks import face_cues
from affect.types import BASIC_EMOTIONS, LEARNER_STATES


@pytest.fixture(scope="module")
def face() -> FaceAffect:
    fa = FaceAffect.load(FaceAffectConfig(static_images=True))
    yield fa
    fa.close()


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut()


def test_astronaut_reads_as_delighted_with_happy_face(face: FaceAffect, astronaut: np.ndarray) -> None:
    reading = face.analyze(astronaut)
    assert reading is not None
    est = reading.estimate
    assert est.source == "face" and est.label == "delighted"
    assert max(est.emotions, key=est.emotions.__getitem__) == "happy"
    assert set(est.emotions) == set(BASIC_EMOTIONS) and est.valence > 0.5 and est.confidence > 0.5
    assert reading.cues is not None and reading.cues.smile > 0.5 and reading.cues.head_away < 0.2
    x, y, w, _h = reading.box
    assert 150 < x < 200 and 40 < y < 100 and 80 < w < 130  # her face, not the flag or the suit


def test_mirrored_frame_gives_the_same_reading(face: FaceAffect, astronaut: np.ndarray) -> None:
    a = face.analyze(astronaut)
    b = face.analyze(np.ascontiguousarray(astronaut[:, ::-1]))
    assert a is not None and b is not None
    assert a.estimate.label == b.estimate.label
    for s in LEARNER_STATES:
        assert abs(a.estimate.scores[s] - b.estimate.scores[s]) < 0.1
    for e in BASIC_EMOTIONS:
        assert abs(a.emotions[e] - b.emotions[e]) < 0.05  # classifier is averaged over the mirror pair
    assert a.cues is not None and b.cues is not None
    assert abs(a.cues.smile - b.cues.smile) < 0.15 and abs(a.cues.yaw - b.cues.yaw) < 0.1


@pytest.mark.parametrize("name", ["coffee", "chelsea", "rocket"])
def test_photos_without_a_person_give_none(face: FaceAffect, name: str) -> None:
    assert face.predict(getattr(data, name)()) is None


def test_small_off_centre_face_in_a_webcam_frame_is_found(face: FaceAffect, astronaut: np.ndarray) -> None:
    frame = np.full((480, 640, 3), 60, np.uint8)
    small = cv2.resize(astronaut, (280, 280), interpolation=cv2.INTER_AREA)  # face ~57 px wide, bottom right
    frame[195:475, 355:635] = small
    reading = face.analyze(frame)
    assert reading is not None and reading.box[0] > 355 and reading.box[1] > 195


def test_largest_of_several_faces_wins(face: FaceAffect, astronaut: np.ndarray) -> None:
    frame = np.full((600, 900, 3), 80, np.uint8)
    frame[50:562, 350:862] = astronaut
    frame[350:478, 40:168] = cv2.resize(astronaut, (128, 128), interpolation=cv2.INTER_AREA)
    reading = face.analyze(frame)
    assert reading is not None and reading.box[0] > 350 and reading.box[2] > 80


def test_landmarks_are_478_points_in_input_pixels(face: FaceAffect, astronaut: np.ndarray) -> None:
    pts = face.landmarks(astronaut)
    assert pts is not None and pts.shape == (478, 3) and pts.dtype == np.float32
    assert 150 < pts[:, 0].mean() < 300 and 60 < pts[:, 1].mean() < 200
    big = cv2.resize(astronaut, (1024, 1024), interpolation=cv2.INTER_LINEAR)
    pts2 = face.landmarks(big)  # downscaled inside to max_side, mapped back to the 1024 px frame
    assert pts2 is not None
    assert np.median(np.abs(pts2[:, :2] / 2 - pts[:, :2])) < 3.0
    assert face.landmarks(data.coffee()) is None


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((480, 640), np.uint8),  # greyscale
        np.zeros((480, 640, 4), np.uint8),  # RGBA
        np.zeros((1, 1, 3), np.uint8),  # 1x1
        np.zeros((480, 640, 3), np.float32),  # float
        np.zeros((480, 640, 2), np.uint8),  # wrong channels
        np.zeros((2, 480, 640, 3), np.uint8),  # a batch
        [[0, 0, 0]],  # not an array
    ],
)
def test_bad_frames_raise_value_error(face: FaceAffect, bad: object) -> None:
    with pytest.raises(ValueError):
        face.predict(bad)  # type: ignore[arg-type]


def test_huge_frame_is_downscaled_not_crashed(face: FaceAffect) -> None:
    assert face.predict(np.zeros((8000, 8000, 3), np.uint8)) is None


def test_to_rgb_converts_grey_and_rgba(face: FaceAffect, astronaut: np.ndarray) -> None:
    grey = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    assert face.predict(to_rgb(grey)) is not None
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    assert face.predict(to_rgb(rgba)) is not None


def test_concurrent_calls_are_safe_and_consistent(astronaut: np.ndarray) -> None:
    fa = FaceAffect.load(FaceAffectConfig(static_images=True))
    frames = [astronaut, np.ascontiguousarray(astronaut[:, ::-1]), data.coffee()] * 4
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(fa.predict, frames))
    fa.close()
    labels = [None if r is None else r.label for r in results]
    assert labels == ["delighted", "delighted", None] * 4


def test_stream_mode_tracks_and_cues_are_mirror_symmetric(astronaut: np.ndarray) -> None:
    with FaceAffect.load(FaceAffectConfig(static_images=False)) as fa:
        readings = [fa.analyze(astronaut) for _ in range(3)]
        assert all(r is not None and r.estimate.label == "delighted" for r in readings)
        pts = readings[-1].landmarks  # type: ignore[union-attr]
    assert pts is not None
    mirrored = pts.copy()
    mirrored[:, 0] = astronaut.shape[1] - 1 - mirrored[:, 0]  # the same face, flipped: cues must not change
    a, b = face_cues(pts), face_cues(mirrored)
    assert a.as_dict() == pytest.approx(b.as_dict(), abs=1e-4)  # float32 landmarks


def test_mapping_tables_are_documented_distributions() -> None:
    assert set(EMOTION_TO_STATE) == set(BASIC_EMOTIONS)
    for row in EMOTION_TO_STATE.values():
        assert set(row) <= set(LEARNER_STATES) and abs(sum(row.values()) - 1.0) < 1e-9
    for row in CUE_TO_STATE.values():
        assert set(row) <= set(LEARNER_STATES)
