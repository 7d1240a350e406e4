"""The shared core objects of the app, loaded once at start-up and read by every request.

`Services.load` builds the tutor (with its text and face analysers) and the avatar pipeline in
parallel threads, `warm_up` runs each model once (librosa compiles its numba kernels on the
first call, ~20 s, FINDINGS.md) and pre-renders the avatar's reaction clips, so the first
student waits no longer than the hundredth. Only core objects live here; nothing per user.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from starlette.routing import Route

from affect.types import AVATAR_EMOTIONS, AffectEstimate
from ui import feed_files
from ui.camera_tokens import CameraTokens
from ui.clips import ClipJob, ClipRenderer, ClipStore, Part
from ui.config import AppConfig
from ui.framegate import FrameGate
from ui.motion import MotionWriter
from ui.ratelimit import ClientLimits
from ui.reply_stream import ReplyStreams
from ui.resume import ResumeTokens
from ui.web_assets import WebAssets, prepare

log = logging.getLogger(__name__)

# The avatar paths (the page's hidden #avatar-mode input): "browser" = the page renders the frames
# from motion rows (ui/motion.py); "server" = frames rendered here (ui/clips.py), today's default.
BROWSER = "browser"
SERVER = "server"
AVATAR_MODES = (BROWSER, SERVER)


class ReplySource(Protocol):
    """Where a reply's parts come from: ClipRenderer (server path) or MotionWriter (browser path)."""

    speed: float  # seconds of performance made per second of wall time

    def submit(self, text: str, emotion: str, intensity: float) -> ClipJob: ...

    def reaction(self, emotion: str) -> Part | None: ...

    def waiting(self) -> int: ...

# (module, attribute, issue) of every core object the app needs.
REQUIRED: tuple[tuple[str, str, str], ...] = (
    ("tutor", "Tutor", "issue 4 (tutor/)"),
    ("affect", "TextAffect", "issue 3 (affect/text.py)"),
    ("affect", "FaceAffect", "issue 3 (affect/face.py)"),
    ("gan.pipeline", "TalkingHeadPipeline", "issue 5 (gan/pipeline.py)"),
)


def missing_components(config: AppConfig) -> list[str]:
    """What is not built yet (code or the avatar's weights), as readable lines; empty = ready."""
    missing = []
    for module, name, issue in REQUIRED:
        try:
            getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as err:
            missing.append(f"{module}.{name} from {issue}: {err}")
    if not missing:
        from gan.pipeline import DEFAULT_CHECKPOINT

        folder = Path(config.avatar.checkpoint_dir or DEFAULT_CHECKPOINT)
        for name in ("config.json", "model.safetensors"):
            if not (folder / name).is_file():
                missing.append(f"the trained avatar from issue 5: {folder / name} does not exist yet")
    return missing


def reaction_cache_dir(config: AppConfig) -> Path:
    """Where reaction clips are cached across restarts: the temp folder (Gradio serves files
    from there), keyed by a hash of the avatar checkpoint and the avatar config, so a new
    avatar or new settings never reuse old clips."""
    from gan.pipeline import DEFAULT_CHECKPOINT

    folder = Path(config.avatar.checkpoint_dir or DEFAULT_CHECKPOINT)
    digest = hashlib.sha256(repr(config.avatar).encode())
    for name in ("config.json", "model.safetensors"):
        digest.update((folder / name).read_bytes())
    root = Path(tempfile.gettempdir()) / "tutor-avatar-cache"
    _prune(root, keep=digest.hexdigest()[:16])
    return root / digest.hexdigest()[:16]


def browser_assets(config: AppConfig, avatar: Any) -> WebAssets:
    """onnxruntime-web and the loaded avatar exported to ONNX (cached across restarts beside the
    reaction clips, keyed by the checkpoint's hash) for the page's renderer."""
    from gan.pipeline import DEFAULT_CHECKPOINT

    root = Path(tempfile.gettempdir()) / "tutor-avatar-onnx"
    web = prepare(avatar.model, Path(config.avatar.checkpoint_dir or DEFAULT_CHECKPOINT), root)
    _prune(root / "models", keep=web.model_key)
    return web


def _prune(root: Path, keep: str, max_age_s: float = 86400.0) -> None:
    """Delete reaction caches of other avatars unused for a day (a new checkpoint replaces them)."""
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if folder.name != keep and folder.is_dir() and time.time() - folder.stat().st_mtime > max_age_s:
            shutil.rmtree(folder, ignore_errors=True)


def startup_teacher(tutor: Any, config: AppConfig) -> None:
    """TUTOR_TEACHER_PASSWORD keeps a one-secret Space working: it creates or updates the account
    "teacher", which adopts the classes without a teacher (sessions from before accounts existed).
    Other teachers and classes are made with `tutor-admin`."""
    if config.server.teacher_password:
        adopted = tutor.ensure_teacher("teacher", config.server.teacher_password)
        log.info("account 'teacher' set from TUTOR_TEACHER_PASSWORD (%d earlier class(es) adopted)", adopted)


def _face_reader(config: AppConfig) -> Any:
    """The webcam reader: in child processes (ServerConfig.face_process, affect/face_process.py) or in this one."""
    if config.server.face_process:
        from affect.face_process import FaceProcesses

        server = config.server
        return FaceProcesses.load(config.affect.face, count=server.face_processes, nice=server.face_nice)
    from affect import FaceAffect

    return FaceAffect.load(config.affect.face)


def _timed(fn: Callable[[], Any], timings: dict[str, float], key: str) -> Any:
    t0 = time.perf_counter()
    out = fn()
    timings[key] = time.perf_counter() - t0
    return out


@dataclass
class Services:
    """The tutor, the avatar and the clip renderer, shared read-only by all sessions."""

    config: AppConfig
    tutor: Any  # tutor.Tutor
    avatar: Any  # gan.TalkingHeadPipeline
    text: Any  # affect.TextAffect (also inside the tutor); kept to warm it up
    face: Any  # affect.FaceAffect or FaceProcesses (also inside the tutor); used before a session starts
    clips: ClipRenderer
    motion: MotionWriter  # the browser path: speech + motion rows, frames drawn by the page
    tokens: ResumeTokens  # the browsers' resume tokens (a reload comes back to its session)
    web: WebAssets  # what the page needs to render the avatar itself (ui/avatar_render.js)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per start-up step
    limits: ClientLimits = field(default_factory=ClientLimits)  # per-client chat/frame rate limits
    frames: FrameGate = field(default_factory=FrameGate)  # webcam analyses at once, the rest dropped
    streams: ReplyStreams = field(default_factory=ReplyStreams)  # browser-path replies' parts, off Gradio's queue
    cameras: CameraTokens = field(default_factory=CameraTokens)  # tabs whose camera is on, by frame token

    @classmethod
    def load(cls, config: AppConfig) -> Services:
        """Load every model once, the independent ones in parallel threads."""
        from affect import TextAffect
        from gan.pipeline import TalkingHeadPipeline
        from tutor import Tutor

        timings: dict[str, float] = {}
        with ThreadPoolExecutor(max_workers=3, thread_name_prefix="load") as pool:
            text_f = pool.submit(_timed, lambda: TextAffect.load(config.affect.text), timings, "load_text_affect")
            face_f = pool.submit(_timed, lambda: _face_reader(config), timings, "load_face_affect")
            avatar_f = pool.submit(
                _timed, lambda: TalkingHeadPipeline.from_pretrained(config=config.avatar), timings, "load_avatar"
            )
            text, face = text_f.result(), face_f.result()
            tutor = _timed(
                lambda: Tutor.create(config=config.tutor, text_affect=text, face_affect=face), timings, "load_tutor"
            )
            avatar = avatar_f.result()
        startup_teacher(tutor, config)
        cache = reaction_cache_dir(config)
        clips = ClipRenderer(avatar, ClipStore(), reaction_cache=cache)
        motion = MotionWriter(avatar, clips.store, clips.chunk_dir, config.motion, idle_cache=cache)
        motion.prepare_idle(AVATAR_EMOTIONS)  # milliseconds: rows, no generator
        tokens = ResumeTokens.in_folder(config.tutor.resolved_data_dir())
        web = _timed(lambda: browser_assets(config, avatar), timings, "export_onnx")
        return cls(config, tutor, avatar, text, face, clips, motion, tokens, web, timings,
                   frames=FrameGate(config.server.frame_analyses, config.server.frame_wait_s))

    def warm_up(self) -> dict[str, float]:
        """Run every model once and pre-render the reaction clips; returns seconds per step."""
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="warm") as pool:
            # The avatar path (TTS, librosa features, generator, encoder) is the slow one.
            speak_f = pool.submit(_timed, self._warm_avatar, self.timings, "warm_avatar")
            _timed(self._warm_tutor, self.timings, "warm_tutor")
            speak_f.result()
        return dict(self.timings)

    def _warm_avatar(self) -> None:
        # One short reply exercises the whole render path (voice, mel, audio-to-motion, generator,
        # H.264 encoder). Reaction clips come from the disk cache; missing ones render on the
        # render thread right after start-up (neutral first), ahead of any reply.
        self.clips.render("Hi.", "happy", 0.5)
        missing = self.clips.load_reactions(AVATAR_EMOTIONS)
        if missing:
            log.info("rendering %d reaction clips in the background: %s", len(missing), ", ".join(missing))
            self.clips.render_reactions_later(missing)

    def _warm_tutor(self) -> None:
        # The analysers and the store once each, without writing a session into the log.
        self.text.predict("I think the answer is 3, but I'm not sure.")
        self.face_reading(np.zeros((240, 320, 3), dtype=np.uint8))
        self.tutor.list_sessions()

    # -- small helpers the handlers use ----------------------------------------------------------

    def source(self, mode: str) -> ReplySource:
        """The reply source of an avatar path: motion for a page that renders (BROWSER), else renders."""
        return self.motion if mode == BROWSER else self.clips

    def routes(self) -> list[Route]:
        """The app's plain HTTP routes beside Gradio's (ui/app.py launch): the browser path's reply
        streams and their motion + speech files (ui/reply_stream.py, ui/feed_files.py), the webcam
        frames' (ui/camera.py)."""
        from ui.camera import FrameRoute  # ui.camera builds on the handlers, which import this module

        return [self.streams.route(), *feed_files.routes(self.motion.folder, self.motion.idle_files),
                FrameRoute(self).route()]

    def topic_choices(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the topic dropdown."""
        return [(self.tutor.topic_title(t), t) for t in self.tutor.topics()]

    @property
    def mastery_threshold(self) -> float:
        return self.config.tutor.mastery_threshold

    def face_reading(self, rgb: np.ndarray) -> AffectEstimate | None:
        """A face reading outside any session (before Start); never stored. FaceAffect is
        thread-safe (one lock around its MediaPipe graphs)."""
        result: AffectEstimate | None = self.face.predict(rgb)
        return result

    def close(self) -> None:
        self.motion.shutdown()
        self.clips.shutdown()
        self.face.close()
