"""The browser path's server side: speech + motion per sentence, no frames (issue 15).

When the page renders the avatar itself (onnxruntime-web), the server only speaks: per sentence
of a reply, `TalkingHeadPipeline.perform_sentences` (piper speech + the rig performance, one
continuous performance of the whole reply) -> a motion file (gan/rig/wire.py rows) + a WAV in the
served avatar folder -> a `MotionClip` on the job's queue at once. That costs ~0.1-0.4 s per
sentence instead of seconds of rendering, so nothing is shed or skipped under load, unlike
ClipRenderer's replies: every reply is spoken whole.

Scheduling: `MotionConfig.workers` threads share one earliest-deadline-first queue of "the next
sentence of reply R". A reply's first sentence is due when it is asked for; sentence i+1 is due
when the page will have played sentences 0..i (first part delivered + their seconds), so under
load first sentences go ahead of the tails of replies already playing, and a tail still arrives
before it is heard. Idle loops (the react performance per emotion) are rows too, written once
and cached beside the idle sheets.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gan.audio.speech import split_sentences
from gan.clip import fit_audio
from gan.rig.wire import performance_rows, write_rows
from ui.clips import ClipJob, ClipStore, MotionClip, updated_speed, write_wav

if TYPE_CHECKING:
    from gan.audio.speech import Speech
    from gan.pipeline import TalkingHeadPipeline
    from gan.rig.performance import Performance


@dataclass(frozen=True)
class MotionConfig:
    """The browser path's speech + motion workers."""

    # Threads speaking sentences at once (piper phonemises under its own lock; onnxruntime frees the
    # GIL). bench/bench_motion.py at 6.25 replies/s (a class of 50, a message every 8 s): on a quiet
    # box 1-4 workers all keep up (first part p95 0.07-0.12 s); on a busy one (load 4-5) 1 worker
    # fell behind (p95 8-12 s) and 2 kept up (p95 0.2-0.8 s). bench/results/motion.txt.
    workers: int = 2
    idle_seconds: float = 3.0  # length of an idle loop (played forward then backward, as the sheets)

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= 16:
            raise ValueError(f"MotionConfig.workers must be between 1 and 16, got {self.workers}.")
        if not 0.2 <= self.idle_seconds <= 30.0:
            raise ValueError(f"MotionConfig.idle_seconds must be in [0.2, 30] s, got {self.idle_seconds}.")


@dataclass
class _Reply:
    """A reply being spoken: its sentences come one by one out of `parts` (perform_sentences)."""

    job: ClipJob
    parts: Iterator[tuple[Speech, Performance]]
    emotion: str
    stem: str  # file names of this reply's parts: <stem>-<i>.rig / .wav
    due: float  # perf_counter time its next sentence is needed by the page
    index: int = 0  # parts written so far
    order: int = 0  # tie-break among equal deadlines: first come first served
    started: float = field(default=0.0)  # when its first part was delivered


class MotionWriter:
    """Speaks replies sentence by sentence into motion files + WAVs; keeps idle loops as motion."""

    def __init__(self, avatar: TalkingHeadPipeline, store: ClipStore, folder: Path, config: MotionConfig,
                 idle_cache: Path | None = None) -> None:
        self.avatar = avatar
        self.store = store
        # Reply parts are served from here by name (ui/feed_files.py); the app passes ClipRenderer's
        # chunk_dir, which the clip store sweeps.
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.idle_cache = idle_cache or folder
        self._idle: dict[str, MotionClip] = {}
        self._queue: queue.PriorityQueue[tuple[float, int, _Reply | None]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._unstarted = 0  # replies whose first sentence is not spoken yet (they go before any tail)
        self._lock = threading.Lock()
        # Seconds of speech made per second of wall time (recent sentences): the page's player waits
        # for whole sentences when this is below 1, as for the server's renders.
        self.speed = 1.0
        self._threads = [threading.Thread(target=self._work, name=f"motion-{i}", daemon=True)
                         for i in range(config.workers)]
        for thread in self._threads:
            thread.start()

    # 1. Idle loops: rows of the react performance, one per emotion, cached across restarts.
    def prepare_idle(self, emotions: Sequence[str]) -> None:
        """Write (or take from the cache) the idle loop of each emotion: milliseconds each, no generator."""
        n = max(1, round(self.config.idle_seconds * self.avatar.fps))
        self.idle_cache.mkdir(parents=True, exist_ok=True)
        for emotion in emotions:
            path = self.idle_cache / f"idle-{emotion}-{self.config.idle_seconds:.2f}s.rig"
            if not (path.is_file() and path.stat().st_size > 0):
                write_rows(path, performance_rows(self.avatar.perform(None, emotion, n_frames=n)))
            self.store.keep(path)  # idle loops live as long as the app (when the cache is inside the store)
            self._idle[emotion] = MotionClip(path, None, n, self.avatar.fps, "", emotion)

    def reaction(self, emotion: str) -> MotionClip | None:
        """The idle loop for `emotion` (or neutral), None before prepare_idle."""
        return self._idle.get(emotion) or self._idle.get("neutral")

    def idle_files(self) -> dict[str, Path]:
        """File name -> path of every idle loop: all that ui/feed_files.py serves besides reply parts."""
        return {clip.motion.name: clip.motion for clip in self._idle.values()}

    # 2. Replies.
    def submit(self, text: str, emotion: str, intensity: float) -> ClipJob:
        """Queue a reply; its MotionClips (one per sentence) arrive on `job.parts`, then None (or the error)."""
        self.store.tidy()
        job = ClipJob(sentences=len(split_sentences(text)))
        parts = self.avatar.perform_sentences(text, emotion, intensity)
        reply = _Reply(job, parts, emotion, uuid.uuid4().hex, time.perf_counter(), order=next(self._order))
        with self._lock:
            self._unstarted += 1
        self._queue.put((reply.due, reply.order, reply))
        return job

    def waiting(self) -> int:
        """Replies still waiting for their first sentence (earliest deadline first: these go first)."""
        with self._lock:
            return self._unstarted

    def _work(self) -> None:
        while True:
            _, _, reply = self._queue.get()
            if reply is None:  # shutdown
                return
            first = reply.index == 0
            going_on = self._step(reply)
            if first:  # its first sentence was spoken, or it ended without one
                with self._lock:
                    self._unstarted -= 1
            if going_on:
                self._queue.put((reply.due, reply.order, reply))

    def _step(self, reply: _Reply) -> bool:
        """Speak the reply's next sentence and hand it to the page; False once the reply is over."""
        job = reply.job
        if job.cancelled.is_set():
            job.parts.put(None)
            return False
        t0 = time.perf_counter()
        try:
            speech, perf = next(reply.parts)
            part = self._write(reply, speech, perf, t0)
        except StopIteration:
            job.parts.put(None if reply.index else ValueError("The avatar spoke nothing for this reply."))
            return False
        except Exception as err:  # handed to the waiting request, which tells the student; the worker lives on
            job.parts.put(err)
            return False
        job.rendered_s += part.seconds
        job.parts.put(part)
        now = time.perf_counter()
        reply.started = reply.started or now
        reply.due = reply.started + job.rendered_s  # when the page will have played what it has
        self.speed = updated_speed(self.speed, part)
        return True

    def _write(self, reply: _Reply, speech: Speech, perf: Performance, t0: float) -> MotionClip:
        stem = self.folder / f"{reply.stem}-{reply.index}"
        rows = performance_rows(perf)
        # Exactly len(rows) / fps seconds, so the page joins the sentences sample-exact.
        audio = write_wav(stem.with_suffix(".wav"), fit_audio(speech.audio, len(rows), speech.sample_rate,
                                                               self.avatar.fps), speech.sample_rate)
        motion = write_rows(stem.with_suffix(".rig"), rows)
        reply.index += 1
        return MotionClip(motion, audio, len(rows), self.avatar.fps, speech.text, reply.emotion, len(rows),
                          time.perf_counter() - t0)

    def shutdown(self) -> None:
        for _ in self._threads:
            self._queue.put((float("-inf"), -1, None))


def motion_ref(parts: Sequence[MotionClip]) -> str:
    """The session log's clip_ref of a browser-path reply: its file stem and part count."""
    stem = parts[0].motion.stem.rsplit("-", 1)[0]
    return f"rig:{stem}+{len(parts)}"


def parse_motion_ref(ref: str, folder: Path) -> list[tuple[Path, Path]] | None:
    """The (motion, wav) files of a logged browser-path reply, or None if it is not one or any file is gone."""
    if not ref.startswith("rig:") or "+" not in ref:
        return None
    stem, count = ref[4:].rsplit("+", 1)
    if not count.isdigit() or not stem.isalnum():
        return None
    files = [(folder / f"{stem}-{i}.rig", folder / f"{stem}-{i}.wav") for i in range(int(count))]
    return files if files and all(m.is_file() and w.is_file() for m, w in files) else None

