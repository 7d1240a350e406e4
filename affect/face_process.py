"""Webcam face readers in a child process: the frames' analysis off the app's GIL.

`FaceProcess` is a drop-in for the `FaceAffect` the tutor holds (`predict`, `stream`, `close`):
the MediaPipe graphs, the expression classifier and every student's stream reader (tracking,
cue baseline) live in one child process (`python -m affect.face_process`), and each call sends
the frame down a pipe and waits for the reading. `FaceProcesses` (what the app uses) spreads
the streams over several such children, so several frames are read at once.

Why: in the app's process the analysis shared the GIL with the event loop. A frame costs ~5 ms of
CPU, but MediaPipe and the classifier give the GIL up and take it back several times per frame,
and each time the busy event loop held on to it for up to Python's 5 ms switch interval: with a
Python thread spinning beside it a frame took 32 ms of wall time instead of 6 (/tmp experiment,
branch load7), so one analysis slot read at most ~30 frames/s (N=50 offered 100/s; bench_load
read 31-40 %). Here the parent's thread gives the GIL up once, while it waits on the pipe.

Protocol (pickled tuples over two OS pipes, multiprocessing.connection framing):
parent -> child `("predict", stream id, frame, [stream ids to release])` or `("stop",)`;
child -> parent `("ok", AffectEstimate | None)` or `("bad", message)` (the frame was unusable:
raised again here as ValueError, e.g. too small). Stream 0 is the shared reader of `predict()`.
A child that dies (or stops answering) is restarted for the next frame; the frame in flight
raises FaceProcessError and every stream starts afresh (tracking and baseline are rebuilt).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import gc
import itertools
import logging
import os
import pickle
import subprocess
import sys
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from affect.config import FaceAffectConfig
from affect.types import AffectEstimate

log = logging.getLogger(__name__)

START_TIMEOUT_S = 180.0  # the child imports mediapipe + torch and exports the classifier (~5-10 s idle)
ANSWER_TIMEOUT_S = 10.0  # a frame takes ~5 ms; no answer in this long means the child is stuck


class FaceProcessError(RuntimeError):
    """The face reader's child process died or hung on this frame; it is restarted for the next."""


class FaceStream:
    """One student's webcam reader in the child (own tracking and cue baseline), like FaceAffect.stream()."""

    def __init__(self, owner: FaceProcess, stream_id: int) -> None:
        self.id = stream_id
        self._owner = owner
        # Releases the child's graphs of this stream once: on close(), or when the reader is collected.
        self._finalizer = weakref.finalize(self, owner.release, stream_id)

    @property
    def pid(self) -> int:
        """The child process that reads this stream."""
        return self._owner.pid

    def predict(self, rgb: np.ndarray) -> AffectEstimate | None:
        """RGB uint8 (H, W, 3) frame -> AffectEstimate (source "face"), or None if no face."""
        return self._owner.call(self.id, rgb)

    def close(self) -> None:
        """Let the child release this stream's MediaPipe graphs (idempotent)."""
        self._finalizer()


class FaceProcess:
    """FaceAffect readers in a child process; thread-safe (one frame on the pipe at a time)."""

    def __init__(self, cfg: FaceAffectConfig | None = None, nice: int = 0) -> None:
        if not 0 <= nice <= 19:
            raise ValueError(f"FaceProcess: nice must be in 0..19 (0 = the app's own priority), got {nice}.")
        self.cfg = cfg or FaceAffectConfig()
        self.nice = nice  # the child's CPU priority below the app's: frames may be dropped, replies may not wait
        self._lock = threading.Lock()  # one request/answer on the pipe at a time
        self._ids = itertools.count(1)  # 0 is the shared reader of predict()
        self._released: collections.deque[int] = collections.deque()  # streams to release with the next frame
        self.restarts = 0  # children started after the first (crashes, hangs)
        self._proc, self._send, self._recv = self._start()
        self._finalizer = weakref.finalize(self, _stop_child, self._proc, self._send, self._recv)

    @classmethod
    def load(cls, cfg: FaceAffectConfig | None = None, nice: int = 0) -> FaceProcess:
        """Start the child (at `nice` below this process's priority) and wait until its models are loaded."""
        return cls(cfg, nice)

    @property
    def pid(self) -> int:
        """The child's process id (its CPU and memory are the face reading's)."""
        return self._proc.pid

    def stream(self) -> FaceStream:
        """A reader for one more webcam stream (see FaceAffect.stream)."""
        return FaceStream(self, next(self._ids))

    def predict(self, rgb: np.ndarray) -> AffectEstimate | None:
        """A reading with the shared reader (outside any stream), as FaceAffect.predict."""
        return self.call(0, rgb)

    def release(self, stream_id: int) -> None:
        """Forget a stream: the child closes its graphs with the next frame it is sent."""
        self._released.append(stream_id)  # deque.append is atomic: safe from a finalizer in any thread

    def close(self) -> None:
        """Stop the child (idempotent)."""
        with self._lock:
            self._finalizer()

    def __enter__(self) -> FaceProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, stream_id: int, rgb: np.ndarray) -> AffectEstimate | None:
        """Send one frame to stream `stream_id`'s reader; its reading, or ValueError for an unusable frame."""
        from affect.face import validate_frame  # the same checks and messages, before any pipe traffic

        frame = validate_frame(rgb)
        with self._lock:
            if not self._finalizer.alive:
                raise FaceProcessError("The face reader was closed.")
            released = [self._released.popleft() for _ in range(len(self._released))]
            try:
                self._send.send(("predict", stream_id, frame, released))
                if not self._recv.poll(ANSWER_TIMEOUT_S):
                    raise TimeoutError(f"no answer in {ANSWER_TIMEOUT_S:.0f} s")
                kind, value = self._recv.recv()
            except (OSError, EOFError, TimeoutError) as err:
                self._restart()
                raise FaceProcessError(f"The face reader stopped ({err}); it was restarted.") from err
        if kind == "bad":
            raise ValueError(value)
        result: AffectEstimate | None = value
        return result

    def _restart(self) -> None:
        """Replace a dead or stuck child (caller holds _lock); its streams start afresh in the new one."""
        log.warning("face reader process %d stopped; starting a new one", self._proc.pid)
        self._finalizer()
        self._released.clear()  # the new child has none of the old streams
        self._proc, self._send, self._recv = self._start()
        self._finalizer = weakref.finalize(self, _stop_child, self._proc, self._send, self._recv)
        self.restarts += 1

    def _start(self) -> tuple[subprocess.Popen[bytes], Connection, Connection]:
        """`python -m affect.face_process` on two pipes; returns once its models are loaded."""
        down_r, down_w = os.pipe()  # parent -> child
        up_r, up_w = os.pipe()  # child -> parent
        cmd = [sys.executable, "-m", "affect.face_process", "--read-fd", str(down_r), "--write-fd", str(up_w),
               "--nice", str(self.nice)]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        proc = subprocess.Popen(cmd, pass_fds=(down_r, up_w), env=env, stdin=subprocess.DEVNULL)
        os.close(down_r)
        os.close(up_w)
        send, recv = Connection(down_w, readable=False), Connection(up_r, writable=False)
        send.send(self.cfg)
        try:
            if not recv.poll(START_TIMEOUT_S):
                raise TimeoutError(f"not ready in {START_TIMEOUT_S:.0f} s")
            kind, value = recv.recv()
        except (OSError, EOFError, TimeoutError) as err:
            _stop_child(proc, send, recv)
            raise FaceProcessError(f"The face reader process did not start: {err}.") from err
        if kind != "ready":  # ("failed", (a ValueError?, message)): e.g. a model file missing or broken
            _stop_child(proc, send, recv)
            bad_input, message = value
            if bad_input:  # as FaceAffect.load raises it in-process (ModelFileError names the file)
                raise ValueError(message)
            raise FaceProcessError(f"The face reader process did not start: {message}")
        return proc, send, recv


class FaceProcesses:
    """`count` FaceProcess children behind one FaceAffect-like reader, so `count` frames are read at once.

    Each new stream goes to the next child in turn and stays there (its tracking and cue baseline
    live in that child). Why: one child answers one frame at a time, and a round trip (pipe, the
    child's turn on a busy CPU, this side's GIL) took ~15 ms at N=50, so one child read ~60 % of
    the class's 100 frames/s; the FrameGate's `parallel` should equal `count`.
    """

    def __init__(self, cfg: FaceAffectConfig | None = None, count: int = 2, nice: int = 0) -> None:
        if count < 1:
            raise ValueError(f"FaceProcesses needs at least one child process, got {count}.")
        with ThreadPoolExecutor(max_workers=count, thread_name_prefix="face-start") as pool:  # they load at once
            self.children = list(pool.map(lambda _: FaceProcess(cfg, nice), range(count)))
        self._turn = itertools.count()

    @classmethod
    def load(cls, cfg: FaceAffectConfig | None = None, count: int = 2, nice: int = 0) -> FaceProcesses:
        """Start the children and wait until every one has loaded its models."""
        return cls(cfg, count, nice)

    @property
    def pids(self) -> list[int]:
        return [child.pid for child in self.children]

    def stream(self) -> FaceStream:
        """A reader for one more webcam stream, in the next child in turn."""
        return self.children[next(self._turn) % len(self.children)].stream()

    def predict(self, rgb: np.ndarray) -> AffectEstimate | None:
        """A reading with the first child's shared reader (outside any stream)."""
        return self.children[0].predict(rgb)

    def close(self) -> None:
        """Stop every child (idempotent)."""
        for child in self.children:
            child.close()

    def __enter__(self) -> FaceProcesses:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stop_child(proc: subprocess.Popen[bytes], send: Connection, recv: Connection) -> None:
    """Ask the child to stop, then make sure it has (a stuck child is killed)."""
    with contextlib.suppress(OSError):  # already gone: its end of the pipe is closed
        send.send(("stop",))
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    send.close()
    recv.close()


def serve(recv: Connection, send: Connection) -> None:
    """The child's loop: load the readers, then answer frames until told to stop or the parent goes."""
    from affect.face import FaceAffect

    cfg = recv.recv()
    try:
        base = FaceAffect.load(cfg)
    except ValueError as err:  # a model file missing or broken: the parent raises it again, naming the file
        send.send(("failed", (True, str(err))))
        return
    except Exception as err:  # anything else: the parent raises FaceProcessError, this traceback says where
        send.send(("failed", (False, f"{type(err).__name__}: {err}")))
        raise
    readers: dict[int, Any] = {0: base}
    # The loaded models' ~250 k objects out of the garbage collector's reach (they live as long as the
    # child): a full collection walked them in 97 ms at load ~5, a pause of every frame this child reads.
    gc.collect()
    gc.freeze()
    send.send(("ready", None))
    while True:
        try:
            message = recv.recv()
        except EOFError:  # the parent has gone
            break
        if message[0] == "stop":
            break
        _, stream_id, frame, released = message
        for old in released:
            gone = readers.pop(old, None) if old else None
            if gone is not None:
                gone.close()
        reader = readers.get(stream_id)
        if reader is None:
            reader = readers[stream_id] = base.stream()
        try:
            send.send(("ok", reader.predict(frame)))
        except ValueError as err:  # an unusable frame: the parent raises it again
            send.send(("bad", str(err)))
    for reader in readers.values():
        reader.close()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the child (started by FaceProcess, not by hand)."""
    parser = argparse.ArgumentParser(description="The face reader's child process (started by FaceProcess).")
    parser.add_argument("--read-fd", type=int, required=True)
    parser.add_argument("--write-fd", type=int, required=True)
    parser.add_argument("--nice", type=int, default=0, help="lower this process's CPU priority by this much")
    args = parser.parse_args(argv)
    os.nice(args.nice)
    recv, send = Connection(args.read_fd, writable=False), Connection(args.write_fd, readable=False)
    try:
        serve(recv, send)
    except (OSError, pickle.PickleError) as err:  # the parent closed the pipe mid-message
        log.info("face reader stops: %s", err)


if __name__ == "__main__":
    main()
