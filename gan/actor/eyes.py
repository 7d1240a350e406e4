"""Iris points: one extra mesh vertex per eye, where the iris is drawn (build time).

The shader draws each iris around the axis from the eyeball's centre to this point, and the keypoint
basis uses the same point, so the sketch's iris dot and the rendered iris agree exactly. The point
sits on the eyeball sphere ~4 degrees below straight ahead (a relaxed gaze that meets the camera;
the mesh's own pole vertex is 1 mm high and showed white under the irises, which reads as surprise)
and follows the eyeLook*/blink shapes exactly as the cornea's pole vertex does.
"""

from __future__ import annotations

import numpy as np

from gan.actor.assets import ARKIT_ORDER

REST_GAZE = np.array([0.0, -0.07, 1.0]) / np.linalg.norm([0.0, -0.07, 1.0])  # head space


def add_iris_points(
    positions: np.ndarray, head_weight: np.ndarray, eyes: list[np.ndarray], blend: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Append one iris point per eye; returns (positions, head_weight, iris ids) and extends `blend` in place."""
    points: list[np.ndarray] = []
    follow: dict[int, int] = {}
    for ids in eyes:
        base = positions[ids]
        centre = base.mean(0)
        pole = int(ids[np.argmax(base[:, 2])])
        radius = float(np.linalg.norm(positions[pole] - centre))
        follow[len(positions) + len(points)] = pole
        points.append(centre + radius * REST_GAZE)
    # Rebuild the sparse blendshape lists with each iris point copying its pole's offsets.
    ptr, index, delta = [0], [], []
    for k in range(len(ARKIT_ORDER)):
        lo, hi = blend["blend_ptr"][k], blend["blend_ptr"][k + 1]
        idx, dlt = list(blend["blend_index"][lo:hi]), list(blend["blend_delta"][lo:hi])
        for new, pole in follow.items():
            hit = np.flatnonzero(blend["blend_index"][lo:hi] == pole)
            if len(hit):
                idx.append(new)
                dlt.append(blend["blend_delta"][lo + hit[0]])
        index.extend(idx)
        delta.extend(dlt)
        ptr.append(len(index))
    blend.update(
        blend_ptr=np.array(ptr, dtype=np.int32),
        blend_index=np.array(index, dtype=np.int32),
        blend_delta=np.array(delta, dtype=np.float16).reshape(-1, 3),
    )
    new_ids = np.array(sorted(follow), dtype=np.int32)
    return np.concatenate([positions, points]), np.concatenate([head_weight, np.ones(len(points))]), new_ids
