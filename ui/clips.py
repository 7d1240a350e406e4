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
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
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


def sentence_cues(sentences: Sequence[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Cues from exactly timed sentences (start, end, text), long sentences split by length."""
    cues: list[tuple[float, float, str]] = []
    for start, end, text in sentences:
        if end > start and text.strip():
            cues += [(start + a, start + b, t) for a, b, t in split_cues(text, end - start)]
    return cues


@dataclass
class ClipJob:
    """A queued reply clip: its future and how many seconds of it are rendered so far."""

    future: Future[RenderedClip]
    rendered_s: float = 0.0  # written by the render thread, read by the request thread


class ClipRenderer:
    """Renders reply clips one at a time off the request thread and keeps reaction clips ready."""

    def __init__(self, avatar: TalkingHeadPipeline, store: ClipStore, *, reaction_seconds: float = 2.0) -> None:
        self.avatar = avatar
        self.store = store
        self.reaction_seconds = reaction_seconds
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clip-render")
        self._reactions: dict[str, RenderedClip] = {}
        self._waiting = 0
        self._count_lock = threading.Lock()

    # 1. Reaction clips: rendered once at start-up, shown while a reply renders.
    def prerender_reactions(self, emotions: Sequence[str]) -> dict[str, RenderedClip]:
        for emotion in emotions:
            t0 = time.perf_counter()
            clip = self.avatar.react(emotion=emotion, seconds=self.reaction_seconds)
            path = self.store.new_path(".mp4", keep=True)
            clip.save(path)
            self._reactions[emotion] = RenderedClip(path, None, clip.duration, time.perf_counter() - t0, emotion)
        return dict(self._reactions)

    def reaction(self, emotion: str) -> RenderedClip | None:
        """The cached reaction clip for `emotion` (or neutral), None before start-up rendered them."""
        return self._reactions.get(emotion) or self._reactions.get("neutral")

    # 2. Reply clips: sentence by sentence through the avatar's stream, one clip file at the end.
    def render(self, text: str, emotion: str, intensity: float, job: ClipJob | None = None) -> RenderedClip:
        """Speak `text` with `emotion`; save mp4 + WebVTT into the store (on any one thread).

        `TalkingHeadPipeline.stream` yields ~1 s chunks and marks each sentence's first chunk
        with its text, which gives exact sentence times for the subtitles and a progress count.
        """
        t0 = time.perf_counter()
        chunks: list[AvatarClip] = []
        sentences: list[tuple[float, float, str]] = []
        at = 0.0
        for chunk in self.avatar.stream(text, emotion=emotion, intensity=intensity):
            if chunk.text:
                if sentences:
                    sentences[-1] = (sentences[-1][0], at, sentences[-1][2])
                sentences.append((at, at, chunk.text))
            chunks.append(chunk)
            at += chunk.duration
            if job is not None:
                job.rendered_s = at
        if not chunks:
            raise ValueError("The avatar rendered nothing for this reply.")
        if sentences:
            sentences[-1] = (sentences[-1][0], at, sentences[-1][2])
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
        return RenderedClip(video, subtitles, clip.duration, time.perf_counter() - t0, emotion)

    def submit(self, text: str, emotion: str, intensity: float) -> ClipJob:
        """Queue a reply clip; `waiting()` tells how many are queued or rendering."""
        self.store.sweep()
        with self._count_lock:
            self._waiting += 1
        job = ClipJob(future=Future())
        job.future = self._pool.submit(self._counted, text, emotion, intensity, job)
        return job

    def _counted(self, text: str, emotion: str, intensity: float, job: ClipJob) -> RenderedClip:
        try:
            return self.render(text, emotion, intensity, job)
        finally:
            with self._count_lock:
                self._waiting -= 1

    def waiting(self) -> int:
        with self._count_lock:
            return self._waiting

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.store.close()
