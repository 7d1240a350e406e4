"""Webcam analysis under load: frames are analysed while there is room and dropped, not queued.

Every student with the camera on streams 2 frames/s and a frame costs ~5 ms of CPU in the face
reader on an idle box (bench/bench_affect.py; 7-14 ms under load, bench/bench_student_cost.py),
so a class of 50 would want ~0.5-1.4 of the box's 2 cores for faces alone. Mood changes over
seconds, so a frame that would have to wait is worth nothing by the time its turn came: the gate
lets `parallel` analyses run at once; a frame that finds them all busy waits at most `wait_s`
for one (an analysis takes ~10 ms, so a short wait saves most frames that merely arrived
together: dropping at once analysed 43-60 % at N=20 with a core idle, bench_load) and is dropped
after that (the mood shown stays as it was). Arrivals are spread evenly over the students, so
the frames dropped are too, and a lone student never meets a busy gate.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class FrameGate:
    """At most `parallel` webcam frames analysed at once; the rest dropped, and counted."""

    def __init__(self, parallel: int = 1, wait_s: float = 0.1) -> None:
        if parallel < 1:
            raise ValueError(f"FrameGate needs at least one parallel analysis, got {parallel}.")
        if not 0.0 <= wait_s <= 1.0:
            raise ValueError(f"FrameGate.wait_s must be in [0, 1] s (frames come every 0.5 s), got {wait_s}.")
        self.parallel = parallel
        self.wait_s = wait_s
        self.analysed = 0
        self.dropped = 0
        self._slots = threading.BoundedSemaphore(parallel)
        self._count = threading.Lock()

    def drop(self) -> None:
        """Count a frame dropped before it reached the gate (ui/camera.py: every worker busy)."""
        with self._count:
            self.dropped += 1

    @contextmanager
    def admit(self) -> Iterator[bool]:
        """`with gate.admit() as ok:` ok = analyse this frame now (False = drop it: all slots stayed busy)."""
        ok = self._slots.acquire(timeout=self.wait_s) if self.wait_s > 0 else self._slots.acquire(blocking=False)
        with self._count:
            if ok:
                self.analysed += 1
            else:
                self.dropped += 1
        try:
            yield ok
        finally:
            if ok:
                self._slots.release()
