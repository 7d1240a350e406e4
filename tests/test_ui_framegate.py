"""The webcam's frame gate (ui/framegate.py): analyses up to its limit at once, drops the rest."""

from __future__ import annotations

import threading
import time

import pytest

from ui.config import ServerConfig
from ui.framegate import FrameGate


def test_frames_beyond_the_parallel_limit_are_dropped_and_counted() -> None:
    gate = FrameGate(parallel=2, wait_s=0.0)
    with gate.admit() as a, gate.admit() as b, gate.admit() as c:
        assert (a, b, c) == (True, True, False)
    with gate.admit() as d:  # both slots free again
        assert d
    assert (gate.analysed, gate.dropped) == (3, 1)


def test_a_frame_waits_briefly_for_a_busy_analysis_then_is_dropped() -> None:
    gate = FrameGate(parallel=1, wait_s=0.2)
    release = threading.Event()

    def busy() -> None:
        with gate.admit():
            release.wait(2)

    other = threading.Thread(target=busy)
    other.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    with gate.admit() as late:  # the other analysis never finishes in time: dropped after ~0.2 s
        assert not late and 0.15 < time.monotonic() - t0 < 1.0
    threading.Timer(0.05, release.set).start()
    with gate.admit() as waited:  # the slot frees within the wait: analysed
        assert waited
    other.join()
    assert (gate.analysed, gate.dropped) == (2, 1)


def test_a_failed_analysis_frees_its_slot() -> None:
    gate = FrameGate(parallel=1)
    with pytest.raises(ValueError), gate.admit():
        raise ValueError("an unusable frame")
    with gate.admit() as ok:
        assert ok


def test_frame_analyses_follow_the_face_readers() -> None:
    """One analysis slot per face child (each reads one frame at a time), one in-process: not a setting."""
    assert ServerConfig().frame_analyses == ServerConfig().face_processes == 2
    assert ServerConfig(face_processes=3).frame_analyses == 3
    assert ServerConfig(face_process=False, face_processes=3).frame_analyses == 1
    with pytest.raises(TypeError):
        ServerConfig(frame_analyses=2)  # type: ignore[call-arg]


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="at least one"):
        FrameGate(parallel=0)
    with pytest.raises(ValueError, match="wait_s"):
        FrameGate(wait_s=2.0)
    with pytest.raises(ValueError, match="face_processes"):
        ServerConfig(face_processes=0)
    with pytest.raises(ValueError, match="max_students"):
        ServerConfig(max_students=0)
