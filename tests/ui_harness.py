"""Shared helpers of the UI tests: one real app per test process, a fake-camera video file.

Not a test module (pytest collects only test_*.py). The app is the real one: real models,
real tutor with a SQLite log in a temporary folder, launched on 127.0.0.1 at a free port in
a thread of the test process, so several test modules share one start-up.
"""

from __future__ import annotations

import atexit
import functools
import os
import shlex
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

TEACHER_PASSWORD = "correct horse battery staple"


def extra_args() -> list[str]:
    """Config flags from $UI_TEST_ARGS (e.g. another avatar checkpoint); none by default, so the
    tests run the shipped models."""
    return shlex.split(os.environ.get("UI_TEST_ARGS", ""))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveApp:
    url: str
    services: Any  # ui.services.Services
    config: Any  # ui.config.AppConfig
    demo: Any  # gr.Blocks
    data_dir: Path


@functools.cache
def services_for(data_dir: str) -> Any:
    """Load (and warm) the real services once per data folder."""
    from ui.config import load_config
    from ui.services import Services

    config = load_config(["--tutor.data_dir", data_dir, *extra_args()], env={})
    services = Services.load(config)
    services.warm_up()
    atexit.register(services.close)
    return services


@functools.cache
def shared_data_dir() -> str:
    """A private data folder for the test app; Gradio's cache goes inside it too (set before any
    component exists), so the privacy check sees only this app's files, not other processes'."""
    path = tempfile.mkdtemp(prefix="tutor-ui-test-")
    cache = tempfile.mkdtemp(prefix="tutor-ui-test-gradio-")  # not inside the data folder: that one is
    for folder in (path, cache):  # a blocked path of the file server
        atexit.register(shutil.rmtree, folder, True)
    os.environ.setdefault("GRADIO_TEMP_DIR", cache)
    return path


def gradio_cache_dir() -> Path:
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder())


@functools.cache
def live_app(password: str = TEACHER_PASSWORD) -> LiveApp:
    """The app launched on 127.0.0.1:<free port> in a background thread (one per password)."""
    from ui.app import build_app, launch
    from ui.config import load_config

    data_dir = shared_data_dir()
    services = services_for(data_dir)
    config = load_config(
        [
            "--tutor.data_dir",
            data_dir,
            "--server.port",
            str(free_port()),
            "--server.teacher_password",
            password,
            *extra_args(),
        ],
        env={},
    )
    demo = build_app(services, config)
    launch(demo, config, services.web, services.routes(), prevent_thread_lock=True, quiet=True)
    atexit.register(demo.close)
    return LiveApp(f"http://127.0.0.1:{config.server.port}/", services, config, demo, Path(data_dir))


def astronaut_face(width: int = 320, height: int = 240) -> np.ndarray:
    """A real face photo (scikit-image's astronaut, public domain, NASA) framed like a webcam."""
    import cv2
    from skimage import data

    img = data.astronaut()  # (512, 512, 3) RGB; the face is in the upper middle
    crop = img[20:380, 60 : 540 - 60]  # 4:3 around head and shoulders
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA)


def write_y4m(path: Path, rgb: np.ndarray, frames: int = 10, fps: int = 10) -> Path:
    """Write a YUV4MPEG2 (4:2:0, BT.601 full range) file that Chromium's fake camera loops."""
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        raise ValueError("Frame width and height must be even for 4:2:0.")
    f = rgb.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    v = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b

    def sub(c: np.ndarray) -> np.ndarray:
        return c.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))

    planes = [np.clip(p, 0, 255).round().astype(np.uint8).tobytes() for p in (y, sub(u), sub(v))]
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n")
            for plane in planes:
                out.write(plane)
    return path
