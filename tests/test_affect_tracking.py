"""FaceAffect on streams: the detector is skipped while the mesh tracks, and the face rules still hold.

Scenes are built from skimage's astronaut: a small face (~57 px) at the bottom left of a 960x540
frame, and the same frame with a large face (~105 px) on the right.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from affect.config import FaceAffectConfig
from affect.face import FaceAffect
from affect.types import LEARNER_STATES


@pytest.fixture(scope="module")
def scenes() -> dict[str, np.ndarray]:
    astronaut = data.astronaut()
    small = np.full((540, 960, 3), 70, np.uint8)
    small[250:530, 20:300] = cv2.resize(astronaut, (280, 280), interpolation=cv2.INTER_AREA)
    both = small.copy()
    both[14:526, 420:932] = astronaut
    return {"small": small, "both": both, "empty": np.full((540, 960, 3), 70, np.uint8)}


def stream(redetect_every: int) -> FaceAffect:
    return FaceAffect.load(FaceAffectConfig(static_images=False, redetect_every=redetect_every))


def test_detector_runs_every_n_frames_and_tracked_frames_read_the_same_largest_face(scenes: dict) -> None:
    with stream(5) as fa:
        readings = [fa.analyze(scenes["both"]) for _ in range(11)]
    assert all(r is not None for r in readings)
    assert [r.detected for r in readings] == [True, False, False, False, False] * 2 + [True]  # type: ignore[union-attr]
    first = readings[0]
    assert first is not None
    for r in readings:
        assert r is not None and r.landmarks is not None and r.estimate.label == "delighted"
        assert ("detect" in r.timings) == r.detected and {"mesh", "classify"} <= set(r.timings)
        assert r.box[0] > 420  # the large face, also on frames where the detector did not run
        assert np.abs(np.subtract(r.box, first.box)).max() <= 0.1 * first.box[2]
        assert abs(r.emotions["happy"] - first.emotions["happy"]) < 0.05


def test_larger_face_coming_into_view_wins_at_the_next_redetection(scenes: dict) -> None:
    with stream(5) as fa:
        before = [fa.analyze(scenes["small"]) for _ in range(2)]  # frame 0 detects, 1 tracks
        after = [fa.analyze(scenes["both"]) for _ in range(4)]  # frames 2-4 track, frame 5 detects
    assert all(r is not None and r.box[0] < 300 for r in before + after[:3])  # still the tracked small face
    assert [r.detected for r in before + after] == [True, False, False, False, False, True]  # type: ignore[union-attr]
    assert after[3] is not None and after[3].box[0] > 420  # the re-detection picks the largest face


def test_face_leaving_ends_the_track_in_the_same_frame_and_is_found_again(scenes: dict) -> None:
    with stream(10) as fa:
        fa.analyze(scenes["both"])
        tracked = fa.analyze(scenes["both"])
        assert tracked is not None and not tracked.detected
        assert fa.analyze(scenes["empty"]) is None  # mesh loses it, the detector confirms: no face
        assert fa.analyze(scenes["empty"]) is None
        back = fa.analyze(scenes["both"])
    assert back is not None and back.detected and back.box[0] > 420


def test_another_frame_size_or_reset_detects_afresh(scenes: dict) -> None:
    astronaut = data.astronaut()
    with stream(10) as fa:
        fa.analyze(scenes["both"])
        other = fa.analyze(astronaut)  # another stream's frame size: the track does not carry over
        assert other is not None and other.detected and 150 < other.box[0] < 200
        tracked = fa.analyze(astronaut)
        assert tracked is not None and not tracked.detected
        fa.reset()
        again = fa.analyze(astronaut)
    assert again is not None and again.detected


def test_tracked_frames_do_not_depend_on_mirroring(scenes: dict) -> None:
    mirrored = np.ascontiguousarray(scenes["both"][:, ::-1])
    with stream(10) as fa, stream(10) as fb:
        a = [fa.analyze(scenes["both"]) for _ in range(3)][-1]
        b = [fb.analyze(mirrored) for _ in range(3)][-1]
    assert a is not None and b is not None and not a.detected and not b.detected
    assert abs((960 - b.box[0] - b.box[2]) - a.box[0]) < 0.1 * a.box[2]  # the same face, mirrored
    assert a.estimate.label == b.estimate.label
    assert max(abs(a.estimate.scores[s] - b.estimate.scores[s]) for s in LEARNER_STATES) < 0.1


def test_redetect_every_one_detects_on_every_frame_and_zero_is_refused(scenes: dict) -> None:
    with stream(1) as fa:
        assert all(r is not None and r.detected for r in (fa.analyze(scenes["both"]) for _ in range(3)))
    with pytest.raises(ValueError):
        FaceAffectConfig(redetect_every=0)


def test_tracking_a_moving_face_reads_what_detecting_every_frame_reads() -> None:
    """A face that drifts 0-8 px a frame and zooms +-15 %: tracked readings match detect-every-frame."""
    astronaut = cv2.resize(data.astronaut(), (320, 320), interpolation=cv2.INTER_AREA)
    with stream(10) as tracked, stream(1) as detected:
        for i in range(24):
            side = int(320 * (1 + 0.15 * np.sin(i / 4)))
            x, y = min(40 + int(120 * (1 - np.cos(i / 5))), 640 - side), min(60 + int(40 * np.sin(i / 3)), 480 - side)
            frame = np.full((480, 640, 3), 90, np.uint8)
            frame[y : y + side, x : x + side] = cv2.resize(astronaut, (side, side), interpolation=cv2.INTER_AREA)
            a, b = tracked.analyze(frame), detected.analyze(frame)
            assert a is not None and b is not None and a.landmarks is not None and b.landmarks is not None
            assert a.detected == (i % 10 == 0)
            face_px = b.box[2]
            assert np.median(np.linalg.norm(a.landmarks[:, :2] - b.landmarks[:, :2], axis=1)) < 0.03 * face_px
            assert a.estimate.label == b.estimate.label
            assert max(abs(a.estimate.scores[s] - b.estimate.scores[s]) for s in LEARNER_STATES) < 0.05


def test_stream_readers_keep_each_students_track_and_baseline_apart(scenes: dict) -> None:
    """Two webcams through one shared reader would mix baselines and break tracks; stream() readers
    read interleaved frames exactly as each would alone, and share the classifier weights."""
    big = np.ascontiguousarray(scenes["both"][:, 400:])  # a large face on its own
    small = scenes["small"]
    with stream(5) as parent:
        a, b = parent.stream(), parent.stream()
        assert a.classifier is parent.classifier and a._mesh is not b._mesh
        interleaved = [(a.analyze(small), b.analyze(big)) for _ in range(7)]
        alone_a, alone_b = parent.stream(), parent.stream()
        reads_a = [alone_a.analyze(small) for _ in range(7)]
        reads_b = [alone_b.analyze(big) for _ in range(7)]
        for (ia, ib), ra, rb in zip(interleaved, reads_a, reads_b):
            assert ia is not None and ib is not None and ra is not None and rb is not None
            assert ia.box == ra.box and ib.box == rb.box and ia.detected == ra.detected
            assert ia.estimate.scores == pytest.approx(ra.estimate.scores, abs=1e-9)
            assert ib.estimate.scores == pytest.approx(rb.estimate.scores, abs=1e-9)
        assert [r.detected for r, _ in interleaved] == [True, False, False, False, False, True, False]
        for reader in (a, b, alone_a, alone_b):
            reader.close()
            reader.close()  # idempotent
