"""A Performance as rows of float32: the motion file the server sends a browser that renders itself.

One row per frame, columns `rig` (K, KEPT order) | `pose` (3, yaw pitch roll degrees) | `emotion`
(E, EXPRESSIONS order) | `intensity` (1): exactly the generator's four inputs side by side, so
the page (onnxruntime-web) and the server's on-demand render read the same numbers. A file is the
rows as raw little-endian float32 (n_frames = bytes / (4 * ROW_WIDTH)): 25 fps x 38 x 4 B = 3.8
KB per second of speech, no parser needed in the page (a Float32Array over the bytes).
`speaking` is not sent: the generator does not see it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gan.rig.arkit import KEPT, POSE_NAMES
from gan.rig.expressions import EXPRESSIONS
from gan.rig.performance import Performance

# (name, width) of the column groups, in row order; the generator's input order (gan/export_onnx.py).
COLUMNS: tuple[tuple[str, int], ...] = (("rig", len(KEPT)), ("pose", len(POSE_NAMES)),
                                        ("emotion", len(EXPRESSIONS)), ("intensity", 1))
ROW_WIDTH = sum(width for _, width in COLUMNS)
# Little-endian float32 whatever the server's byte order: the page reads it with a Float32Array
# on x86/ARM browsers, which are little-endian.
DTYPE = np.dtype("<f4")


def layout() -> dict[str, object]:
    """The column layout for the page (generator.json): each group's start and width, and its names."""
    names = {"rig": list(KEPT), "pose": list(POSE_NAMES), "emotion": list(EXPRESSIONS), "intensity": ["intensity"]}
    groups, start = [], 0
    for name, width in COLUMNS:
        groups.append({"name": name, "start": start, "width": width, "names": names[name]})
        start += width
    return {"row_width": ROW_WIDTH, "dtype": "float32 little-endian", "columns": groups}


def performance_rows(perf: Performance) -> np.ndarray:
    """(T, ROW_WIDTH) float32 rows of a Performance."""
    intensity = perf.intensity.reshape(-1, 1)
    return np.concatenate([perf.track.kept, perf.track.pose, perf.emotion, intensity], axis=1).astype(np.float32)


def rows_to_inputs(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(T, ROW_WIDTH) rows -> the generator's inputs (rig (T, K), pose (T, 3), emotion (T, E), intensity (T, 1))."""
    rows = check_rows(rows)
    bounds = np.cumsum([width for _, width in COLUMNS])[:-1]
    rig, pose, emotion, intensity = (np.ascontiguousarray(a) for a in np.split(rows, bounds, axis=1))
    return rig, pose, emotion, intensity


def check_rows(rows: np.ndarray) -> np.ndarray:
    """rows as (T, ROW_WIDTH) float32, or ValueError saying what is wrong."""
    if not isinstance(rows, np.ndarray) or rows.ndim != 2 or rows.shape[1] != ROW_WIDTH:
        shape = getattr(rows, "shape", None)
        raise ValueError(f"Motion rows must be a (frames, {ROW_WIDTH}) array, got shape {shape}.")
    if not np.isfinite(rows).all():
        raise ValueError("Motion rows contain NaN or infinite values.")
    return rows.astype(np.float32, copy=False)


def write_rows(path: Path, rows: np.ndarray) -> Path:
    """Write rows as a motion file (raw little-endian float32), atomically: the page may fetch it at once."""
    data = check_rows(rows).astype(DTYPE).tobytes()
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def read_rows(path: Path) -> np.ndarray:
    """A motion file -> (T, ROW_WIDTH) float32; ValueError for a file that is not whole rows."""
    data = path.read_bytes()
    if not data or len(data) % (DTYPE.itemsize * ROW_WIDTH):
        raise ValueError(f"{path.name} is not a motion file: {len(data)} bytes is not whole rows of "
                         f"{ROW_WIDTH} float32.")
    return check_rows(np.frombuffer(data, DTYPE).reshape(-1, ROW_WIDTH).astype(np.float32))
