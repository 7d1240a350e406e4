"""Avatar clips for the browser: rendered off the request thread, cached, subtitled, cleaned up.

The tutor's text reply is shown at once; the talking-head clip of the same reply takes seconds
to render on a CPU. `ClipRenderer` renders clips one at a time on its own worker thread (two
renders at once would only fight over the same two cores), keeps a few short reaction clips
per avatar emotion ready from start-up so the avatar never looks frozen while a reply renders,
and writes every file into one `ClipStore` folder that it sweeps and deletes on shutdown.

Only avatar renders and their subtitle tracks are written here; webcam frames of the student
never reach this module.
"""

from __future__ import annotations

import dataclasses
import queue
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from gan.clip import AvatarClip
    from gan.pipeline import TalkingHeadPipeline

# One subtitle cue is at most this many characters: the BBC subtitle guidelines cap a line at
# ~37 characters and a cue at two lines.
_CUE_CHARS = 74


@dataclass(frozen=True)
class RenderedClip:
    """One mp4 on disk (H.264/yuv420p + AAC, written by `AvatarClip.save`) and its WebVTT track."""

    video: Path
    subtitles: Path | None  # None for silent reaction clips
    seconds: float  # playing time
    render_s: float  # wall time spent rendering and encoding
    emotion: str


class ClipStore:
    """A private temporary folder for clip files; files older than `max_age_s` are swept."""

    def __init__(self, root: str | Path | None = None, *, max_age_s: float = 900.0) -> None:
        if max_age_s <= 0:
            raise ValueError("ClipStore.max_age_s must be positive.")
        base = Path(root) if root else Path(tempfile.gettempdir())
        base.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix="tutor-clips-", dir=base))
        self.max_age_s = max_age_s
        self._keep: set[Path] = set()

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

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def split_cues(text: str, seconds: float, *, max_chars: int = _CUE_CHARS) -> list[tuple[float, float, str]]:
    """Split spoken text into subtitle cues timed in proportion to their length.

    Speech rate is close to constant in characters per second within one synthetic voice, so
    a cue's share of the clip is its share of the characters (accurate to a few hundred ms,
    enough for reading along).
    """
    if seconds <= 0:
        raise ValueError(f"Clip length must be positive to time subtitles, got {seconds}.")
    words = " ".join(text.split()).split(" ")
    chunks: list[str] = []
    current = ""
    for word in words:
        if not word:
            continue
        candidate = f"{current} {word}".strip()
        if current and len(candidate) > max_chars:
            chunks.append(current)
            current = word
        else:
            current = candidate
        if re.search(r"[.!?]$", current) and len(current) > max_chars // 3:
            chunks.append(current)
            current = ""
    if current:
        chunks.append(current)
    total = sum(len(c) for c in chunks)
    cues: list[tuple[float, float, str]] = []
    t = 0.0
    for chunk in chunks:
        dt = seconds * len(chunk) / total
        cues.append((t, min(seconds, t + dt), chunk))
        t += dt
    return cues


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def to_webvtt(cues: Iterable[tuple[float, float, str]]) -> str:
    """A WebVTT document; cue text is escaped (W3C WebVTT: '&', '<' and '-->' are special)."""
    lines = ["WEBVTT", ""]
    for i, (start, end, text) in enumerate(cues, 1):
        safe = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        lines += [str(i), f"{_vtt_time(start)} --> {_vtt_time(end)}", safe, ""]
    return "\n".join(lines)


def first_sentence(text: str) -> str:
    """The first sentence of `text` (up to . ! or ? followed by a space), or all of it."""
    return re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0]


def sentence_cues(sentences: Sequence[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Cues from exactly timed sentences (start, end, text), long sentences split by length."""
    cues: list[tuple[float, float, str]] = []
    for start, end, text in sentences:
        if end > start and text.strip():
            cues += [(start + a, start + b, t) for a, b, t in split_cues(text, end - start)]
    return cues


@dataclass
class ClipJob:
    """A queued reply: its parts arrive on `parts` (then None when done, or the exception)."""

    parts: queue.Queue[RenderedClip | BaseException | None] = field(default_factory=queue.Queue)
    rendered_s: float = 0.0  # seconds of speech rendered so far (written by the render thread)
    cancelled: threading.Event = field(default_factory=threading.Event)  # nobody waits any more
    shortened: bool = False  # only the first sentence is spoken: the render queue was long (load)

    def cancel(self) -> None:
        """Stop rendering this reply at the next chunk (the student moved on)."""
        self.cancelled.set()


class ClipRenderer:
    """Renders reply clips one at a time off the request thread and keeps reaction clips ready.

    A reply is delivered in parts cut at sentence ends: the opening sentence(s) (at least
    FIRST_PART_MIN_S of speech) as soon as they are rendered, then groups of at least
    PART_MIN_S. The student sees the avatar speak after one sentence's render time instead of
    the whole reply's; when rendering keeps up with playback the parts follow each other
    without a gap, and when it does not (measured here at load ~10 on 2 cores: 7.3 s of speech
    in 12.9 s) the reaction clip fills the pauses between parts.
    """

    FIRST_PART_MIN_S = 1.5  # shorter openings ("Nice!") are merged with the next sentence
    PART_MIN_S = 4.0  # later parts: fewer clip switches (each costs the browser a reload)

    def __init__(
        self,
        avatar: TalkingHeadPipeline,
        store: ClipStore,
        *,
        reaction_cache: Path | None = None,
        reaction_seconds: float = 1.2,
    ) -> None:
        self.avatar = avatar
        self.store = store
        self.reaction_cache = reaction_cache  # folder of reaction clips that survives restarts
        self.reaction_seconds = reaction_seconds
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clip-render")
        self._reactions: dict[str, RenderedClip] = {}
        self._waiting = 0
        self._count_lock = threading.Lock()

    # 1. Reaction clips: shown (looping) while a reply renders.
    def load_reactions(self, emotions: Sequence[str]) -> list[str]:
        """Take reaction clips from the on-disk cache; returns the emotions still missing."""
        missing = []
        for emotion in emotions:
            path = self._reaction_path(emotion)
            if path.is_file() and path.stat().st_size > 0:
                self._reactions[emotion] = RenderedClip(path, None, 2 * self.reaction_seconds, 0.0, emotion)
            else:
                missing.append(emotion)
        return missing

    def render_reactions(self, emotions: Sequence[str]) -> None:
        """Render and cache reaction clips, neutral first (blocking; call on the render thread).

        Each clip is `reaction_seconds` of the expression with idle motion, played forward then
        backward, so it loops without a jump at half the render cost.
        """
        for emotion in sorted(emotions, key=lambda e: e != "neutral"):
            t0 = time.perf_counter()
            clip = self.avatar.react(emotion=emotion, seconds=self.reaction_seconds)
            looped = dataclasses.replace(clip, frames=np.concatenate([clip.frames, clip.frames[::-1]]))
            path = self._reaction_path(emotion)
            tmp = path.with_suffix(".part.mp4")
            looped.save(tmp)
            tmp.replace(path)  # atomic: a crash never leaves a half-written clip in the cache
            self._reactions[emotion] = RenderedClip(path, None, looped.duration, time.perf_counter() - t0, emotion)

    def render_reactions_later(self, emotions: Sequence[str]) -> None:
        """Queue `render_reactions` on the render thread (ahead of any reply)."""
        self._pool.submit(self.render_reactions, list(emotions))

    def _reaction_path(self, emotion: str) -> Path:
        folder = self.reaction_cache or self.store.root
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"react-{emotion}-{self.reaction_seconds:.2f}s.mp4"

    def reaction(self, emotion: str) -> RenderedClip | None:
        """The reaction clip for `emotion` (or neutral), None until one is rendered."""
        return self._reactions.get(emotion) or self._reactions.get("neutral")

    # 2. Reply clips: sentence by sentence through the avatar's stream.
    def render(self, text: str, emotion: str, intensity: float, job: ClipJob | None = None) -> list[RenderedClip]:
        """Speak `text` with `emotion`; save each part as mp4 + WebVTT; returns the parts.

        `TalkingHeadPipeline.stream` yields ~1 s chunks and marks each sentence's first chunk
        with its text, which gives exact sentence times for the subtitles and a progress count.
        Each finished part is also put on `job.parts` at once.
        """
        t0 = time.perf_counter()
        parts: list[RenderedClip] = []
        chunks: list[AvatarClip] = []
        sentences: list[tuple[float, float, str]] = []  # (start, end, text) within the current part
        at = 0.0  # seconds into the current part

        def close_part() -> None:
            nonlocal chunks, sentences, at, t0
            if sentences:
                sentences[-1] = (sentences[-1][0], at, sentences[-1][2])
            part = self._save(chunks, sentences, emotion, time.perf_counter() - t0)
            parts.append(part)
            if job is not None:
                job.parts.put(part)
            chunks, sentences, at, t0 = [], [], 0.0, time.perf_counter()

        for chunk in self.avatar.stream(text, emotion=emotion, intensity=intensity):
            if job is not None and job.cancelled.is_set():
                return parts  # the rest would never be shown: free the render thread
            if chunk.text:  # a new sentence starts here
                if chunks and at >= (self.PART_MIN_S if parts else self.FIRST_PART_MIN_S):
                    close_part()
                if sentences:
                    sentences[-1] = (sentences[-1][0], at, sentences[-1][2])
                sentences.append((at, at, chunk.text))
            chunks.append(chunk)
            at += chunk.duration
            if job is not None:
                job.rendered_s += chunk.duration
        if not chunks:
            raise ValueError("The avatar rendered nothing for this reply.")
        close_part()
        return parts

    def _save(
        self, chunks: list[AvatarClip], sentences: list[tuple[float, float, str]], emotion: str, render_s: float
    ) -> RenderedClip:
        clip = dataclasses.replace(
            chunks[0],
            frames=np.concatenate([c.frames for c in chunks]),
            audio=np.concatenate([c.audio for c in chunks]),
            text=" ".join(s[2] for s in sentences),
        )
        video = self.store.new_path(".mp4")
        clip.save(video)
        subtitles = video.with_suffix(".vtt")
        subtitles.write_text(to_webvtt(sentence_cues(sentences)), encoding="utf-8")
        return RenderedClip(video, subtitles, clip.duration, render_s, emotion)

    # Graceful degradation under load: one render thread serves every student, so when more than
    # SHED_AFTER replies already wait, a new reply's clip speaks only its first sentence (the whole
    # text is in the chat). Shorter clips drain the queue; nobody waits minutes for a face
    # (bench/bench_load.py, bench/results/load.txt).
    # Past SKIP_AFTER waiting replies nothing new is rendered at all: the reply plays the
    # pre-rendered reaction clip of its emotion at once, so the queue, and every wait, stays bounded.
    SHED_AFTER = 2
    SKIP_AFTER = 5

    def submit(self, text: str, emotion: str, intensity: float) -> ClipJob:
        """Queue a reply; its parts arrive on `job.parts`; `waiting()` counts queued replies."""
        self.store.sweep()
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
        self._pool.submit(self._run, text, emotion, intensity, job)
        return job

    def _run(self, text: str, emotion: str, intensity: float, job: ClipJob) -> None:
        if job.cancelled.is_set():  # cancelled while queued
            job.parts.put(None)
            with self._count_lock:
                self._waiting -= 1
            return
        try:
            self.render(text, emotion, intensity, job)
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
