"""Privacy: during a whole session with the camera on, no image or video of the student reaches
the disk or the database, and the app's log holds no student text.

The app runs unmodified in a child process (`python -m ui.app`) whose every writable place is
private to this test: its data folder, TMPDIR, GRADIO_TEMP_DIR, HOME and working directory. A
student session runs through the browser's own queue protocol, webcam frames posted exactly as
the page's camera posts them (JPEGs of a real face photo to the frame route, ui/camera.py). While the app still runs
(before any clean-up at shutdown) every file under those folders and every value in every
table of the session log is scanned for images.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from reliability_helpers import ROOT, image_like, require_avatar, require_text_affect, snapshot
from reliability_http import Camera, Tab, outputs_text

pytestmark = pytest.mark.slow
SECRET = "my cat is called Mistletoe9"


@pytest.fixture(scope="module")
def private_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    require_text_affect()
    require_avatar()
    from ui_harness import free_port

    root = tmp_path_factory.mktemp("private")
    for sub in ("tmp", "gradio", "home", "data", "cwd", "mpl"):
        (root / sub).mkdir()
    port = free_port()
    env = {
        **os.environ,
        "TMPDIR": str(root / "tmp"),
        "GRADIO_TEMP_DIR": str(root / "gradio"),
        "HOME": str(root / "home"),
        "MPLCONFIGDIR": str(root / "mpl"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
    }
    cmd = [sys.executable, "-m", "ui.app", "--server.port", str(port), "--tutor.data_dir", str(root / "data"),
           "--server.warm_up", "false"]  # fmt: skip
    log = open(root / "app.log", "w")  # noqa: SIM115 - closed in the teardown below
    proc = subprocess.Popen(cmd, cwd=root / "cwd", env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.close()
            raise AssertionError(f"the app exited: {(root / 'app.log').read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise AssertionError("the app did not come up in 240 s")
    yield url, root, proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _frames() -> list[bytes]:
    """Page-style webcam frames (JPEGs) of a real face (several sizes, as webcams differ)."""
    import io

    import cv2
    from PIL import Image
    from ui_harness import astronaut_face

    out = []
    for w, h in ((320, 240), (640, 480), (241, 199)):
        rgb = cv2.resize(astronaut_face(), (w, h))
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, "JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def _avatar_sheet(path: Path, data: bytes) -> bool:
    """A frame sheet the avatar player reads: in the clip store's avatar/ folder, a grid of whole
    avatar frames (both sides multiples of the avatar's 256 px)."""
    import cv2

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return (path.parent.name == "avatar" and image is not None
            and image.shape[0] % 256 == 0 and image.shape[1] % 256 == 0)


def _db_values(db: Path) -> Iterator[tuple[str, str, Any]]:
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(f"sqlite:///{db}")
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                for col, value in row._mapping.items():
                    yield table.name, str(col), value
    engine.dispose()


def test_no_image_of_the_student_on_disk_or_in_the_database(private_app: tuple[str, Path, Any]) -> None:
    url, root, _ = private_app
    watched = [root / "tmp", root / "gradio", root / "home", root / "data", root / "cwd"]
    before = snapshot(watched)
    tab = Tab(url)
    frames = _frames()
    assert tab.call("start", [None, "privacy-1", "fractions", "server"]).success
    cam = Camera(tab)
    assert cam.toggle().success and cam.token
    for i in range(10):  # 5 s of webcam at the page's 2 fps
        answer = cam.send(frames[i % len(frames)])
        assert answer.status == 200, answer
        time.sleep(0.5)
    moods = [a.mood for a in cam.answers if a.analysed]
    assert any("mood-indicator" in m for m in moods), ("no frame was analysed", cam.answers[:2])
    for text in (SECRET, "3/4"):
        done = tab.call("send", [None, text, "server"])
        assert done.success, outputs_text(done.messages)[-500:]
    token = cam.token
    cam.toggle()
    cam.close()
    assert '&quot;sheet&quot;' in outputs_text(done.messages) and ".jpg" in outputs_text(done.messages), \
        "the avatar's frames of the reply were served"

    # 1. Files: nothing image-like anywhere the app could write, except the avatar's own clips.
    after = snapshot(watched)
    new = sorted(p for p in after if p not in before or after[p] != before[p])
    assert any(p.suffix == ".db" or ".db-" in p.name for p in new), "the scan must see the session log"
    frame_bytes = frames
    offenders = []
    for path in after:
        data = path.read_bytes()
        kind = image_like(data[:4096])
        # 64 bytes from the middle of each frame's JPEG: its compressed pixels (the first few hundred
        # bytes are the standard JPEG tables every JPEG shares, the avatar's sheets too).
        if any(fb[len(fb) // 2 : len(fb) // 2 + 64] in data for fb in frame_bytes):
            offenders.append((str(path), "contains the student's frame"))
        elif kind == "jpeg" and _avatar_sheet(path, data):
            continue  # the avatar's own frames (ui/clips.py: a JPEG sheet of 256 px frames per chunk)
        elif kind is not None and kind != "mp4":
            offenders.append((str(path), kind))
        elif kind == "mp4" and path.suffix != ".mp4":
            offenders.append((str(path), "video under another name"))
    assert not offenders, offenders

    # 2. The session log: only derived numbers and text, no image in any column of any table.
    db = root / "data" / "tutor.db"
    values = list(_db_values(db))
    assert any(SECRET in str(v) for _, _, v in values), "the scan must see the logged turns"
    for table, col, value in values:
        blob = value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")
        assert image_like(blob[:4096]) is None and b"data:image" not in blob, (table, col)
        assert len(blob) < 64_000, (table, col, len(blob))
        assert "127.0.0.1" not in str(value), f"an address was logged in {table}.{col}"
    # 3. The app's log: pseudonymous ids only, never what the student wrote or sent.
    log = (root / "app.log").read_text(errors="replace")
    assert SECRET not in log and "data:image" not in log and "/9j/" not in log
    assert not any(fb[len(fb) // 2 : len(fb) // 2 + 64] in log.encode(errors="replace") for fb in frame_bytes)
    assert token not in log  # nor the camera token
