"""FaceProcess: the webcam readers in a child process read as FaceAffect does, and survive its death."""

from __future__ import annotations

import os
import signal

import cv2
import numpy as np
import pytest
from skimage import data

from affect.config import FaceAffectConfig
from affect.face import FaceAffect
from affect.face_process import FaceProcess, FaceProcessError


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    """320x240 webcam-like frames of the astronaut, each a little different (as bench_load sends)."""
    base = cv2.resize(data.astronaut()[20:380, 60:480], (320, 240), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(0)
    return [np.clip(base.astype(np.int16) + rng.integers(-6, 7, base.shape), 0, 255).astype(np.uint8) for _ in range(4)]


@pytest.fixture(scope="module")
def child() -> FaceProcess:
    with FaceProcess.load(FaceAffectConfig(redetect_every=3), nice=3) as fp:
        yield fp


def test_the_child_runs_at_the_lower_priority_asked_for(child: FaceProcess) -> None:
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, child.pid) == min(19, mine + 3)
    with pytest.raises(ValueError, match="nice"):
        FaceProcess(nice=25)


def test_a_stream_in_the_child_reads_what_an_in_process_stream_reads(child: FaceProcess, frames: list) -> None:
    remote = child.stream()
    with FaceAffect.load(FaceAffectConfig(redetect_every=3)) as local_base, local_base.stream() as local:
        for frame in frames * 2:  # detects, then tracks: the same steps on both sides
            got, want = remote.predict(frame), local.predict(frame)
            assert got is not None and want is not None
            assert got.label == want.label == "delighted" and got.source == "face"
            assert got.scores == pytest.approx(want.scores, abs=1e-6)
            assert got.emotions == pytest.approx(want.emotions, abs=1e-6)
    remote.close()
    remote.close()  # idempotent
    assert child.predict(np.zeros((240, 320, 3), np.uint8)) is None  # no face: None, as in-process


def test_an_unusable_frame_is_a_value_error_and_the_stream_goes_on(child: FaceProcess, frames: list) -> None:
    stream = child.stream()
    with pytest.raises(ValueError, match="at least 32x32"):
        stream.predict(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        stream.predict(np.zeros((64, 64, 3), np.float32))
    reading = stream.predict(frames[0])
    assert reading is not None and reading.label == "delighted"


def test_a_killed_child_is_restarted_and_streams_start_afresh(frames: list) -> None:
    with FaceProcess.load() as fp:
        stream = fp.stream()
        assert stream.predict(frames[0]) is not None
        first = fp.pid
        os.kill(first, signal.SIGKILL)
        with pytest.raises(FaceProcessError, match="restarted"):
            stream.predict(frames[1])
        assert fp.pid != first and fp.restarts == 1
        reading = stream.predict(frames[2])  # the same stream, read by the new child
        assert reading is not None and reading.label == "delighted"
    with pytest.raises(FaceProcessError, match="closed"):
        stream.predict(frames[3])
    with pytest.raises(ProcessLookupError):
        os.kill(fp.pid, 0)  # the child has stopped (and been waited for)


def test_several_children_share_the_streams_and_each_reads_its_own(frames: list) -> None:
    from affect.face_process import FaceProcesses

    with FaceProcesses.load(count=2) as pool:
        assert len(set(pool.pids)) == 2
        streams = [pool.stream() for _ in range(4)]
        assert [s.pid for s in streams] == pool.pids * 2  # in turn, and each stays in its child
        for frame in frames:
            for s in streams:
                reading = s.predict(frame)
                assert reading is not None and reading.label == "delighted"
        assert pool.predict(np.zeros((240, 320, 3), np.uint8)) is None
    for pid in pool.pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(ValueError, match="at least one"):
        FaceProcesses(count=0)


def test_a_broken_model_file_is_a_value_error_naming_it_as_in_process(tmp_path) -> None:
    import shutil

    from affect.expression import DEFAULT_WEIGHTS_DIR

    folder = tmp_path / "expression"
    shutil.copytree(DEFAULT_WEIGHTS_DIR, folder)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])  # truncated
    with pytest.raises(ValueError, match=r"model\.safetensors"):
        FaceProcess.load(FaceAffectConfig(weights_dir=str(folder)))
