"""Avatar clips for the browser: rendered off the request thread, cached, cleaned up.

The tutor's text reply is shown at once; the talking-head performance of the same reply takes
seconds to render on a CPU. `ClipRenderer` renders replies one at a time on its own worker
thread (two renders at once would only fight over the same two cores) and hands each ~1 s chunk
to the browser the moment it is drawn: its frames as one JPEG sheet (a grid of frames) and its
speech as a WAV, which ui/avatar_player.js schedules back to back on the Web Audio clock, so a
reply plays as one continuous performance while the rest still renders (an mp4 per part made
the browser reload its player between parts, and the idle loop cut in for 0.4-1 s). It keeps one
idle-loop sheet per avatar emotion ready from start-up so the avatar never looks frozen, and
writes every file into one `ClipStore` folder that it sweeps and deletes on shutdown.

Only avatar renders are written here; webcam frames of the student never reach this module.
"""

from __future__ import annotations

import functools
import io
import math
import queue
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gan.rig.wire import read_rows

if TYPE_CHECKING:
    from gan.clip import AvatarClip
    from gan.pipeline import TalkingHeadPipeline

# Frames per row of a JPEG sheet: 5 x 5 frames of 256 px = 1280 x 1280, well inside every
# browser's image limits; quality 90 keeps the face's fine lines (~10 KB a frame at 256 px).
SHEET_COLUMNS = 5
JPEG_QUALITY = 90


@dataclass(frozen=True)
class RenderedClip:
    """One chunk of a reply (or an idle loop) on disk: a JPEG sheet of its frames, its speech as WAV."""

    sheet: Path  # JPEG, frames left to right then top to bottom, SHEET_COLUMNS per row
    audio: Path | None  # 16-bit mono WAV of exactly frames / fps seconds; None for the silent idle loop
    frames: int  # frames in the sheet
    fps: float
    size: int  # pixels per frame side (frames are square)
    caption: str  # the sentence that starts with this chunk ("" = the previous one goes on)
    render_s: float  # wall time spent rendering and writing it
    emotion: str
    sentence_frames: int = 0  # frames of the whole sentence this chunk starts (0 = not a sentence start)

    @property
    def seconds(self) -> float:
        return self.frames / self.fps


@dataclass(frozen=True)
class MotionClip:
    """One sentence of a reply (or an idle loop) for a browser that renders itself: its motion rows
    (gan/rig/wire.py) and its speech as WAV; the page draws the frames with the generator."""

    motion: Path  # raw little-endian float32 rows, one per frame (gan.rig.wire.write_rows)
    audio: Path | None  # 16-bit mono WAV of exactly frames / fps seconds; None for the silent idle loop
    frames: int  # rows in the motion file
    fps: float
    caption: str  # the sentence this part speaks ("" for the idle loop)
    emotion: str
    sentence_frames: int = 0  # frames of the whole sentence this part starts (= frames: one part per sentence)
    render_s: float = 0.0  # wall time spent on speech, motion and writing

    @property
    def seconds(self) -> float:
        return self.frames / self.fps


# A part of a reply on its way to the page: server-rendered frames or motion for the page to render.
Part = RenderedClip | MotionClip


def updated_speed(speed: float, part: Part) -> float:
    """Seconds of performance made per second of wall time, with one more part made: an exponential
    average over recent parts (the machine's load changes)."""
    return 0.7 * speed + 0.3 * part.seconds / part.render_s if part.render_s > 0 else speed


def frame_sheet(frames: np.ndarray, columns: int = SHEET_COLUMNS) -> np.ndarray:
    """(T, S, S, 3) frames -> one (rows*S, columns*S, 3) image, row-major; empty cells stay black."""
    t, h, w, c = frames.shape
    rows = math.ceil(t / columns)
    sheet = np.zeros((rows * h, columns * w, c), np.uint8)
    for i, frame in enumerate(frames):
        r, k = divmod(i, columns)
        sheet[r * h : (r + 1) * h, k * w : (k + 1) * w] = frame
    return sheet


def write_sheet(path: Path, frames: np.ndarray) -> Path:
    import cv2

    ok, buf = cv2.imencode(".jpg", frame_sheet(frames)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError(f"Could not encode the frames of {path.name} as JPEG.")
    path.write_bytes(buf.tobytes())
    return path


def write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> Path:
    import soundfile as sf

    out = io.BytesIO()
    sf.write(out, np.clip(audio.astype(np.float32), -1.0, 1.0), int(sample_rate), format="WAV", subtype="PCM_16")
    path.write_bytes(out.getvalue())
    return path


class ClipStore:
    """A private temporary folder for clip files; files older than `max_age_s` are swept."""

    def __init__(self, root: str | Path | None = None, *, max_age_s: float = 900.0,
                 sweep_every_s: float = 30.0) -> None:
        if max_age_s <= 0:
            raise ValueError("ClipStore.max_age_s must be positive.")
        if not 0 <= sweep_every_s < max_age_s:
            raise ValueError("ClipStore.sweep_every_s must be in [0, max_age_s).")
        base = Path(root) if root else Path(tempfile.gettempdir())
        base.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix="tutor-clips-", dir=base))
        self.max_age_s = max_age_s
        # A sweep stats every file: 0.38 s for 10,000 files on the 2 shared cores, and the browser
        # path writes ~36 files/s for a class of 50 (two per sentence), ~30,000 within max_age_s.
        # Sweeping on every reply would cost more than speaking them: tidy() sweeps at most this often.
        self.sweep_every_s = sweep_every_s
        self._keep: set[Path] = set()
        self._last_sweep = 0.0
        self._sweeping = threading.Lock()

    def new_path(self, suffix: str, *, keep: bool = False, name: str = "") -> Path:
        """A fresh unguessable path in the store; `name` keeps a readable file name (for
        downloads) inside an unguessable sub-folder; `keep` exempts it from sweeping."""
        token = uuid.uuid4().hex
        if name:
            folder = self.root / token
            folder.mkdir()
            path = folder / f"{name}{suffix}"
        else:
            path = self.root / f"{token}{suffix}"
        if keep:
            self._keep.add(path)
        return path

    def sweep(self, now: float | None = None) -> int:
        """Delete files older than max_age_s (except kept ones); returns how many went."""
        now = time.time() if now is None else now
        removed = 0
        for path in sorted(self.root.rglob("*"), reverse=True):  # files before their folders
            if path in self._keep:
                continue
            try:
                old = now - path.stat().st_mtime > self.max_age_s
                if path.is_dir():
                    if old and not any(path.iterdir()):
                        path.rmdir()
                elif old:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def keep(self, path: Path) -> None:
        """Exempt `path` (a file or folder of the store) from sweeping."""
        self._keep.add(path)

    def tidy(self) -> None:
        """Sweep in the background if the last sweep is sweep_every_s old (and none is running):
        the reply that asks never waits for it."""
        now = time.monotonic()
        if now - self._last_sweep < self.sweep_every_s or not self._sweeping.acquire(blocking=False):
            return
        self._last_sweep = now
        threading.Thread(target=self._sweep_then_release, name="clip-sweep", daemon=True).start()

    def _sweep_then_release(self) -> None:
        try:
            self.sweep()
        finally:
            self._sweeping.release()

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def first_sentence(text: str) -> str:
    """The first sentence of `text` (up to . ! or ? followed by a space), or all of it."""
    return re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0]


@dataclass
class ClipJob:
    """A queued reply: its chunks arrive on `parts` (then None when done, or the exception)."""

    parts: queue.Queue[Part | BaseException | None] = field(default_factory=queue.Queue)
    rendered_s: float = 0.0  # seconds of speech rendered so far (written by the render thread)
    cancelled: threading.Event = field(default_factory=threading.Event)  # nobody waits any more
    shortened: bool = False  # only the first sentence is spoken: the render queue was long (load)
    sentences: int = 0  # sentences of the reply to speak (0 = not counted: the server path)

    def cancel(self) -> None:
        """Stop rendering this reply at the next chunk (the student moved on)."""
        self.cancelled.set()


class ClipRenderer:
    """Renders replies chunk by chunk off the request thread and keeps idle loops ready.

    Each ~1 s chunk of `TalkingHeadPipeline.stream` (one continuous performance of the whole
    reply) is written and put on `job.parts` as soon as it is drawn: the student sees the avatar
    speak after one chunk's render time, and the browser joins the chunks without a gap while
    rendering keeps up with playback (when it does not, the avatar holds its last frame until the
    next chunk arrives; it never falls back to the idle loop in the middle of a reply).
    """

    def __init__(
        self,
        avatar: TalkingHeadPipeline,
        store: ClipStore,
        *,
        reaction_cache: Path | None = None,
        reaction_seconds: float = 3.0,
    ) -> None:
        self.avatar = avatar
        self.store = store
        # Reply chunks get a folder of their own inside the store: the browser's player fetches from
        # it (and the idle cache) only, never from where teacher exports are written.
        self.chunk_dir = store.root / "avatar"
        self.chunk_dir.mkdir(exist_ok=True)
        store.keep(self.chunk_dir)  # swept in the background while replies write into it: never removed
        self.reaction_cache = reaction_cache  # folder of idle-loop sheets that survives restarts
        # 3 s of idle played forward then backward: a 6 s loop with 2-3 blinks, a gaze shift and
        # slow sway (gan/rig/idle_arkit.py rates), long enough not to look like a loop.
        self.reaction_seconds = reaction_seconds
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clip-render")
        self._reactions: dict[str, RenderedClip] = {}
        # Seconds of performance rendered per second of wall time, smoothed over recent chunks (and
        # idle loops): the browser's player streams a reply at once when this is >= 1, and waits for
        # whole sentences otherwise, so a slow machine pauses between sentences, not inside words.
        self.speed = 1.0
        self._waiting = 0
        self._count_lock = threading.Lock()

    # 1. Idle loops: shown between replies and while a reply renders.
    def load_reactions(self, emotions: Sequence[str]) -> list[str]:
        """Take idle-loop sheets from the on-disk cache; returns the emotions still missing."""
        missing = []
        n = max(1, round(self.reaction_seconds * self.avatar.fps))
        for emotion in emotions:
            path = self._reaction_path(emotion)
            if path.is_file() and path.stat().st_size > 0:
                self._reactions[emotion] = RenderedClip(path, None, n, self.avatar.fps, self.avatar.size, "", 0.0,
                                                        emotion)
            else:
                missing.append(emotion)
        return missing

    def render_reactions(self, emotions: Sequence[str]) -> None:
        """Render and cache idle loops, neutral first (blocking; call on the render thread).

        Each is `reaction_seconds` of the expression with idle motion (blinks, gaze, sway); the
        browser plays it forward then backward, so it loops without a jump at half the render cost.
        """
        for emotion in sorted(emotions, key=lambda e: e != "neutral"):
            t0 = time.perf_counter()
            clip = self.avatar.react(emotion=emotion, seconds=self.reaction_seconds)
            path = self._reaction_path(emotion)
            tmp = path.with_suffix(".part.jpg")
            write_sheet(tmp, clip.frames)
            tmp.replace(path)  # atomic: a crash never leaves a half-written sheet in the cache
            self._reactions[emotion] = RenderedClip(path, None, len(clip.frames), clip.fps, self.avatar.size, "",
                                                    time.perf_counter() - t0, emotion)
            self._measured(self._reactions[emotion])

    def render_reactions_later(self, emotions: Sequence[str]) -> None:
        """Queue `render_reactions` on the render thread (ahead of any reply)."""
        self._pool.submit(self.render_reactions, list(emotions))

    def _reaction_path(self, emotion: str) -> Path:
        folder = self.reaction_cache or self.chunk_dir
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"idle-{emotion}-{self.reaction_seconds:.2f}s.jpg"

    def reaction(self, emotion: str) -> RenderedClip | None:
        """The idle loop for `emotion` (or neutral), None until one is rendered."""
        return self._reactions.get(emotion) or self._reactions.get("neutral")

    def served_folders(self) -> list[Path]:
        """Where the browser fetches chunks and idle loops from (the app's file server allows these)."""
        return [self.chunk_dir, *([self.reaction_cache] if self.reaction_cache else [])]

    # 2. Replies: chunk by chunk through the avatar's stream.
    def render(self, text: str, emotion: str, intensity: float, job: ClipJob | None = None) -> list[RenderedClip]:
        """Speak `text` with `emotion`; write each chunk (sheet + WAV) and put it on `job.parts` at once.

        `TalkingHeadPipeline.stream` marks each sentence's first chunk with its text: that chunk
        carries the sentence as its caption.
        """
        return self._write(self.avatar.stream(text, emotion=emotion, intensity=intensity), emotion, job)

    def render_motion(self, files: Sequence[tuple[Path, Path]], captions: Sequence[str], emotion: str,
                      job: ClipJob | None = None) -> list[RenderedClip]:
        """Render a reply first sent to a browser (its per-sentence motion files and WAVs,
        ui/motion.py) here, chunk by chunk as `render` does: the frames the page drew, from the
        same rows. captions[i] is sentence i's text ("" where unknown)."""
        return self._write(self._motion_chunks(files, captions, emotion), emotion, job)

    def _motion_chunks(self, files: Sequence[tuple[Path, Path]], captions: Sequence[str],
                       emotion: str) -> Iterator[AvatarClip]:
        import soundfile as sf

        for i, (motion, wav) in enumerate(files):
            audio, rate = sf.read(wav, dtype="float32")
            caption = captions[i] if i < len(captions) else ""
            yield from self.avatar.stream_rows(read_rows(motion), audio, int(rate), emotion, caption)

    def _write(self, chunks: Iterator[AvatarClip], emotion: str, job: ClipJob | None) -> list[RenderedClip]:
        """Write each clip of `chunks` (sheet + WAV) and put it on `job.parts` as soon as it is drawn."""
        parts: list[RenderedClip] = []
        t0 = time.perf_counter()
        for chunk in chunks:
            if job is not None and job.cancelled.is_set():
                return parts  # the rest would never be shown: free the render thread
            stem = self.chunk_dir / uuid.uuid4().hex  # unguessable: served to whoever has the name
            sheet = write_sheet(stem.with_suffix(".jpg"), chunk.frames)
            audio = write_wav(stem.with_suffix(".wav"), chunk.audio, chunk.sample_rate)
            part = RenderedClip(sheet, audio, len(chunk.frames), chunk.fps, chunk.frames.shape[1], chunk.text,
                                time.perf_counter() - t0, emotion, chunk.sentence_frames)
            parts.append(part)
            self._measured(part)
            if job is not None:
                job.rendered_s += part.seconds
                job.parts.put(part)
            t0 = time.perf_counter()
        if not parts:
            raise ValueError("The avatar rendered nothing for this reply.")
        return parts

    def _measured(self, clip: RenderedClip) -> None:
        self.speed = updated_speed(self.speed, clip)

    # Graceful degradation under load: one render thread serves every student, so when more than
    # SHED_AFTER replies already wait, a new reply's clip speaks only its first sentence (the whole
    # text is in the chat). Shorter clips drain the queue; nobody waits minutes for a face
    # (bench/bench_load.py --path server, bench/results/load_server.txt).
    # Past SKIP_AFTER waiting replies nothing new is rendered at all: the reply plays the
    # idle loop of its emotion (silent: the text is in the chat), so the queue, and every wait, stays bounded.
    SHED_AFTER = 2
    SKIP_AFTER = 5

    def submit(self, text: str, emotion: str, intensity: float) -> ClipJob:
        """Queue a reply; its parts arrive on `job.parts`; `waiting()` counts queued replies."""
        self.store.tidy()
        reaction = self.reaction(emotion)
        with self._count_lock:
            waiting = self._waiting
            skip = waiting > self.SKIP_AFTER and reaction is not None
            if not skip:
                self._waiting += 1
        job = ClipJob(shortened=waiting > self.SHED_AFTER)
        if skip and reaction is not None:
            job.parts.put(reaction)
            job.parts.put(None)
            return job
        if job.shortened:
            text = first_sentence(text)
        self._pool.submit(self._run, functools.partial(self.render, text, emotion, intensity, job), job)
        return job

    def submit_motion(self, files: Sequence[tuple[Path, Path]], captions: Sequence[str], emotion: str) -> ClipJob:
        """Queue `render_motion` (whole: a replay is asked for by a person, not the load) like a reply."""
        self.store.tidy()
        with self._count_lock:
            self._waiting += 1
        job = ClipJob()
        self._pool.submit(self._run, functools.partial(self.render_motion, files, captions, emotion, job), job)
        return job

    def _run(self, work: Callable[[], object], job: ClipJob) -> None:
        try:
            if not job.cancelled.is_set():  # else cancelled while queued
                work()
            job.parts.put(None)
        except Exception as err:  # handed to the waiting request, which tells the student
            job.parts.put(err)
        finally:
            with self._count_lock:
                self._waiting -= 1

    def waiting(self) -> int:
        with self._count_lock:
            return self._waiting

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.store.close()
