"""Webcam analysis under load: frames are analysed while there is room and dropped, not queued.

Every student with the camera on streams 2 frames/s and a frame costs ~11-14 ms of CPU in the
face reader (bench/bench_student_cost.py), so a class of 50 would want ~1.4 of the box's 2 cores
for faces alone. Mood changes over seconds, so a frame that would have to wait is worth nothing
by the time its turn came: the gate lets `parallel` analyses run at once and drops a frame that
arrives while all of them are busy (the mood shown stays as it was). Arrivals are spread evenly
over the students, so the frames dropped are too, and a lone student never meets a busy gate.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class FrameGate:
    """At most `parallel` webcam frames analysed at once; the rest dropped, and counted."""

    def __init__(self, parallel: int = 1) -> None:
        if parallel < 1:
            raise ValueError(f"FrameGate needs at least one parallel analysis, got {parallel}.")
        self.parallel = parallel
        self.analysed = 0
        self.dropped = 0
        self._slots = threading.BoundedSemaphore(parallel)
        self._count = threading.Lock()

    @contextmanager
    def admit(self) -> Iterator[bool]:
        """`with gate.admit() as ok:` ok = analyse this frame now (False = drop it: all slots busy)."""
        ok = self._slots.acquire(blocking=False)
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
