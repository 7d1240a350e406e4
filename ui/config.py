"""The app config: every component's frozen config nested into one, overridable from env and CLI.

Precedence (lowest to highest): dataclass defaults, environment variables, command-line flags.
Command-line flags are derived from the config fields, e.g. `--tutor.db_url sqlite:///x.db`
or `--server.port 7861`, so there is one source of truth for every option.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from affect.config import AffectConfig
from gan.config import AvatarConfig
from tutor.config import TutorConfig
from ui.motion import MotionConfig


@dataclass(frozen=True)
class ServerConfig:
    """The web server."""

    host: str = "127.0.0.1"  # bind address; 0.0.0.0 on a Space
    port: int = 7860  # Gradio's usual port
    teacher_password: str = ""  # TUTOR_TEACHER_PASSWORD: creates/updates the teacher account "teacher" at start
    warm_up: bool = True  # run every model once before reporting ready
    # gc.freeze() the start-up heap once ready (ui/app.py freeze_heap): no full garbage collection then
    # walks the models' and modules' ~550 k objects (420 ms with every thread stopped, at load ~5).
    freeze_heap: bool = True
    # Students served at once: each gets a reply slot in Gradio's queue (ui/student.py). Webcam frames
    # do not use the queue: they have a route of their own (ui/camera.py).
    max_students: int = 60
    # Read webcam frames in child processes (affect/face_process.py) instead of this one's threads: there the
    # analysis does not wait for the event loop's GIL (a frame took 32 ms of wall time instead of 6 beside
    # a busy Python thread, so one analysis slot read ~30 frames/s). False: in-process FaceAffect.
    face_process: bool = True
    # Face reader child processes (face_process): each reads one frame at a time (see frame_analyses).
    face_processes: int = 2
    # How much lower the face readers' child processes run than the app (os.nice): when the box is short of
    # CPU, the frames (which may be dropped) give way to the replies' speech and motion (which may not wait).
    face_nice: int = 5
    # While a browser-path reply waits for its first sentence, webcam frames are read one at a time, the rest
    # dropped (ui/camera.py FrameRoute): the CPU goes to the speech the student is waiting for.
    frames_yield: bool = True
    # Seconds a frame may wait for a busy analysis to finish before it is dropped (ui/framegate.py).
    frame_wait_s: float = 0.1
    # Largest webcam frame accepted by the frame route (ui/camera.py), in bytes of JPEG and pixels a side.
    # The page sends 320x240 JPEGs of ~10-20 KB; 256 KB / 1280 px leave room for a 1280x720 webcam.
    frame_max_bytes: int = 262_144
    frame_max_side: int = 1280

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"ServerConfig.port must be in 1..65535, got {self.port}.")
        if self.max_students < 1:
            raise ValueError(f"ServerConfig.max_students must be at least 1, got {self.max_students}.")
        if not 0.0 <= self.frame_wait_s <= 1.0:
            raise ValueError(f"ServerConfig.frame_wait_s must be in [0, 1] s, got {self.frame_wait_s}.")
        if self.face_processes < 1:
            raise ValueError(f"ServerConfig.face_processes must be at least 1, got {self.face_processes}.")
        if not 0 <= self.face_nice <= 19:
            raise ValueError(f"ServerConfig.face_nice must be in 0..19, got {self.face_nice}.")
        if self.frame_max_bytes < 1024:
            raise ValueError(f"ServerConfig.frame_max_bytes must be at least 1024, got {self.frame_max_bytes}.")
        if not 64 <= self.frame_max_side <= 4096:
            raise ValueError(f"ServerConfig.frame_max_side must be in 64..4096 px, got {self.frame_max_side}.")

    @property
    def frame_analyses(self) -> int:
        """Webcam frames analysed at once; a frame arriving while all are busy is dropped (ui/framegate.py).

        Derived, so it cannot disagree with the readers: with face_process one per child (each reads one
        frame at a time, a second slot per child would only queue in its pipe); in-process one, because a
        second analysis read no more frames (the GIL) and took CPU from the replies.
        """
        return self.face_processes if self.face_process else 1


@dataclass(frozen=True)
class AppConfig:
    """Everything the app needs, one frozen tree."""

    server: ServerConfig = field(default_factory=ServerConfig)
    affect: AffectConfig = field(default_factory=AffectConfig)
    tutor: TutorConfig = field(default_factory=TutorConfig)
    avatar: AvatarConfig = field(default_factory=AvatarConfig)
    motion: MotionConfig = field(default_factory=MotionConfig)  # the browser path's speech + motion workers


# Documented environment variables -> dotted config field. Gradio's own GRADIO_SERVER_NAME / _PORT
# (what Spaces and Gradio users set) apply first; the TUTOR_* ones win when both are given.
ENV_VARS: dict[str, str] = {
    "GRADIO_SERVER_NAME": "server.host",
    "GRADIO_SERVER_PORT": "server.port",
    "TUTOR_DB_URL": "tutor.db_url",
    "TUTOR_DATA_DIR": "tutor.data_dir",
    "TUTOR_TEACHER_PASSWORD": "server.teacher_password",
    "TUTOR_HOST": "server.host",
    "TUTOR_PORT": "server.port",
}


def _field_type(cls: type, name: str) -> Any:
    return typing.get_type_hints(cls)[name]


def _coerce(text: str, tp: Any, dotted: str) -> Any:
    """Parse a string into the field's declared type, with a clear error."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if text.lower() in ("", "none", "null"):
            return None
        tp = args[0]
    try:
        if tp is bool:
            low = text.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if tp in (int, float, str):
            return tp(text)
    except ValueError as err:
        raise ValueError(f"Config option {dotted} expects {tp.__name__}, got {text!r}.") from err
    raise ValueError(f"Config option {dotted} has a type ({tp}) that cannot be set from text.")


def _leaf_fields(cls: type, prefix: str = "") -> dict[str, Any]:
    """Map 'section.field' -> type for every non-dataclass field in the tree."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        tp = _field_type(cls, f.name)
        dotted = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(tp):
            out.update(_leaf_fields(typing.cast(type, tp), dotted + "."))
        else:
            out[dotted] = tp
    return out


def _apply(cfg: Any, dotted: str, value: Any) -> Any:
    head, _, rest = dotted.partition(".")
    if not rest:
        return dataclasses.replace(cfg, **{head: value})
    return dataclasses.replace(cfg, **{head: _apply(getattr(cfg, head), rest, value)})


def load_config(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> AppConfig:
    """Build the AppConfig from defaults, then `env` (default os.environ), then `argv` flags."""
    env = os.environ if env is None else env
    leaves = _leaf_fields(AppConfig)
    updates: dict[str, Any] = {}
    for var, dotted in ENV_VARS.items():
        if var in env:
            updates[dotted] = _coerce(env[var], leaves[dotted], f"{dotted} (from ${var})")
    parser = argparse.ArgumentParser(description="Emotion-aware video tutor.")
    for dotted, tp in leaves.items():
        parser.add_argument(f"--{dotted}", dest=dotted, default=None, metavar=getattr(tp, "__name__", "VALUE"))
    args = vars(parser.parse_args(list(argv) if argv is not None else []))
    for dotted, text in args.items():
        if text is not None:
            updates[dotted] = _coerce(text, leaves[dotted], dotted)
    cfg = AppConfig()
    for dotted, value in updates.items():
        cfg = _apply(cfg, dotted, value)
    return cfg
