"""The keypoint basis: ~120 mesh vertices that sketch the face, as a linear function of the ARKit rig.

keypoints(c, pose) = project(R(pose) @ (kp_base + sum_k c_k * kp_delta[k]))   (pivot = head-space origin)

with R and the camera of gan/actor/camera.py. The generator draws its spatial conditioning from
these numbers inside its graph, so a browser needs only the per-frame rig. Every keypoint is a real
mesh vertex with head weight 1 (it turns rigidly with the head), so the formula is exact, and a test
checks it against the renderer's own vertex transform. Chosen at build time from geometry and the
blendshapes themselves (no hand-picked vertex ids):
- lips: vertices on the lip mask's outer rim and on its rim against the mouth interior; upper and
  lower are told apart by how far jawOpen moves them;
- eyelids: the upper margin moves most with the blink, the lower margin is where it lands; iris
  centres: the iris points the shader draws the irises around (gan/actor/eyes.py);
- brows: the vertices browDown moves most, across each brow; nose: bridge, tip, wings, base;
- jaw: the lowest front-facing vertex at each width across the lower face.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from gan.actor.assets import ARKIT_ORDER, ActorAsset
from gan.actor.camera import Camera, pose_matrix
from gan.actor.mesh import vertex_normals

KEYPOINT_FILE = "keypoints_v2.safetensors"
KEYPOINT_META = "keypoints_v2.json"


@dataclass(frozen=True)
class KeypointBasis:
    """Keypoints as mesh vertices with their rest positions and per-blendshape offsets (head space, metres)."""

    vertex: np.ndarray  # (M,) int mesh-vertex ids
    names: tuple[str, ...]  # one name per keypoint, e.g. "lip_outer_upper_03"
    segments: dict[str, list[int]]  # polyline name -> keypoint indices in drawing order
    base: np.ndarray  # (M, 3) float32 rest positions
    delta: np.ndarray  # (52, M, 3) float32 offsets at weight 1, rows in ARKIT_ORDER

    def posed(self, coeffs: np.ndarray, pose: tuple[float, float, float]) -> np.ndarray:
        """(M, 3) head-space positions after the blendshapes and the head pose."""
        local = self.base + np.tensordot(np.asarray(coeffs, dtype=np.float64), self.delta, axes=1)
        return local @ pose_matrix(*pose).T

    def pixels(self, coeffs: np.ndarray, pose: tuple[float, float, float], size: int, camera: Camera) -> np.ndarray:
        """(M, 2) pixel coordinates (x right, y down; gan/actor/camera.py) in a size x size frame."""
        return camera.project(self.posed(coeffs, pose), size)


def _per_bin(p: np.ndarray, ids: np.ndarray, xs: np.ndarray, half: float, score: np.ndarray) -> list[int]:
    """For each x in `xs`, the vertex of `ids` within `half` of it (in x) with the highest `score`."""
    out: list[int] = []
    for x in xs:
        sel = ids[np.abs(p[ids, 0] - x) <= half]
        if len(sel):
            best = int(sel[np.argmax(score[sel])])
            if best not in out:
                out.append(best)
    return out


def brow_line(positions: np.ndarray, move: np.ndarray, sign: float, n: int) -> list[int]:
    """`n` vertices along one brow (sign +1: the actor's left), inner to outer: per width bin, the vertex
    that browDown (`move` = its per-vertex displacement) moves most. Shared with the brow painting."""
    cand = np.flatnonzero((move > 0.3 * move.max()) & (sign * positions[:, 0] > 0.004))
    xs = np.linspace(positions[cand, 0].min() + 0.003, positions[cand, 0].max() - 0.003, n)
    return sorted(_per_bin(positions, cand, xs, 0.004, move), key=lambda v: sign * positions[v, 0])


def select_keypoints(asset: ActorAsset, lips: np.ndarray, mouth: np.ndarray) -> KeypointBasis:
    """Choose the keypoint vertices; `lips`/`mouth` are (V,) mask values per mesh vertex in [0, 1]."""
    p = asset.positions.astype(np.float64)
    skin_vertex = np.zeros(len(p), bool)
    skin_vertex[asset.render_vertex[asset.material == 0]] = True
    rigid = asset.head_weight >= 1.0 - 1e-6
    jaw_move = np.linalg.norm(asset.blend_deltas[ARKIT_ORDER.index("jawOpen")], axis=1)
    names: list[str] = []
    vertex: list[int] = []
    segments: dict[str, list[int]] = {}

    def add(segment: str, ids: list[int]) -> None:
        start = len(vertex)
        for i, v in enumerate(ids):
            names.append(f"{segment}_{i:02d}")
            vertex.append(int(v))
        segments[segment] = list(range(start, len(vertex)))

    # Lips: per width bin, the top/bottom of the lip mask (outer) and where the lips meet (inner).
    lip_ids = np.flatnonzero((lips > 0.5) & skin_vertex & rigid & (p[:, 2] > 0.07))
    # The lower lip is what jawOpen pulls DOWN (it lifts some inner upper-lip vertices a little).
    jaw_drop = -asset.blend_deltas[ARKIT_ORDER.index("jawOpen"), :, 1].astype(np.float64)
    lower_lip = jaw_drop > 0.35 * jaw_drop[lip_ids].max()
    corner = np.abs(p[lip_ids, 0]).max() - 0.002
    xs = np.linspace(-corner, corner, 11)
    step = xs[1] - xs[0]
    up, lo = lip_ids[~lower_lip[lip_ids]], lip_ids[lower_lip[lip_ids]]
    add("lip_outer_upper", _per_bin(p, up, xs, step / 2, p[:, 1] + 0.3 * p[:, 2]))
    # The lower lip's mesh columns are sparser than the upper lip's: wider bins, repeats dropped.
    add("lip_outer_lower", _per_bin(p, lo, xs, step, -p[:, 1] + 0.3 * p[:, 2]))
    # Where the lips meet, seen from the front: per bin, the lowest upper-lip vertex among those within 6 mm
    # of the bin's most forward lip surface (deeper ones curl into the mouth); the lower lip's inner edge is
    # the firmly jaw-driven vertex touching each of those points when the mouth is closed.
    normals = vertex_normals(asset.positions.astype(np.float64), asset.render_vertex[asset.triangles])
    inner_upper = []
    for x in xs[1:-1]:
        sel = up[(np.abs(p[up, 0] - x) <= step / 2) & (normals[up, 2] > 0.2)]
        sel = sel[p[sel, 2] > p[sel, 2].max() - 0.006]
        inner_upper.append(int(sel[np.argmin(p[sel, 1])]))
    inner_upper = list(dict.fromkeys(inner_upper))
    firm = lo[jaw_drop[lo] > 0.6 * jaw_drop[lip_ids].max()]
    gaps = np.linalg.norm(p[firm][None] - p[inner_upper][:, None], axis=2)
    inner_lower = [int(firm[j]) for j in gaps.argmin(1)]
    add("lip_inner_upper", inner_upper)
    add("lip_inner_lower", list(dict.fromkeys(inner_lower)))

    # Eyes: the upper lid margin moves most with the blink; the lower margin is where it lands.
    for side, ids, blink_name in zip(("left", "right"), asset.eye_vertices, ("eyeBlinkLeft", "eyeBlinkRight")):
        ball = p[ids]
        centre = ball.mean(0)
        blink = asset.blend_deltas[ARKIT_ORDER.index(blink_name)].astype(np.float64)
        move = np.linalg.norm(blink, axis=1)
        near = np.flatnonzero(skin_vertex & rigid & (np.linalg.norm(p - centre, axis=1) < 0.03) & (p[:, 2] > centre[2]))
        xs = centre[0] + np.linspace(-0.0125, 0.0125, 7)
        upper = _per_bin(p, near, xs, 0.002, move)
        closed = p[upper] + blink[upper]
        still = near[move[near] < 0.25 * move.max()]
        gaps = np.linalg.norm(p[still][None] - closed[:, None], axis=2)  # (upper, still)
        lower = [int(still[j]) for j, g in zip(gaps.argmin(1), gaps.min(1)) if g < 0.003]
        add(f"lid_upper_{side}", sorted(upper, key=lambda v: p[v, 0]))
        add(f"lid_lower_{side}", sorted(dict.fromkeys(lower), key=lambda v: p[v, 0]))
        add(f"iris_{side}", [int(asset.iris_vertex[0 if side == "left" else 1])])

    # Brows: per width bin, the vertex browDown moves most.
    for side, name, sign in (("left", "browDownLeft", 1.0), ("right", "browDownRight", -1.0)):
        move = np.linalg.norm(asset.blend_deltas[ARKIT_ORDER.index(name)], axis=1)
        add(f"brow_{side}", brow_line(p, np.where(skin_vertex & rigid, move, 0.0), sign, 5))

    # Nose: bridge down the midline, tip, wings and base.
    front = skin_vertex & rigid
    mid = np.flatnonzero(front & (np.abs(p[:, 0]) < 0.002))
    tip = int(mid[np.argmax(p[mid, 2])])
    bridge = [int(mid[np.argmin(np.linalg.norm(p[mid] - [0.0, y, p[tip, 2]], axis=1) + 3 * np.abs(p[mid, 1] - y))])
              for y in np.linspace(0.04, p[tip, 1] + 0.01, 4)]  # fmt: skip
    add("nose_bridge", [*bridge, tip])
    wing_targets = [[-0.018, p[tip, 1] - 0.006, p[tip, 2] - 0.025], [0.0, p[tip, 1] - 0.016, p[tip, 2] - 0.018],
                    [0.018, p[tip, 1] - 0.006, p[tip, 2] - 0.025]]  # fmt: skip
    fr = np.flatnonzero(front & (p[:, 2] > 0.06))
    add("nose_base", [int(fr[np.argmin(np.linalg.norm(p[fr] - t, axis=1))]) for t in wing_targets])

    # Jaw: lowest front-facing vertex in each width bin across the lower face.
    normals = vertex_normals(asset.positions.astype(np.float64), asset.render_vertex[asset.triangles])
    # Jaw: among vertices jawOpen moves (the mandible), the lowest front-facing one per width bin.
    jaw_ids = np.flatnonzero(front & (normals[:, 2] > 0.2) & (jaw_move > 0.15 * jaw_move.max()))
    width = 0.85 * np.abs(p[jaw_ids, 0]).max()
    add("jaw", _per_bin(p, jaw_ids, np.linspace(-width, width, 13), 0.004, -p[:, 1]))

    ids = np.asarray(vertex)
    if not rigid[ids].all():
        raise ValueError("A keypoint fell on a vertex that does not follow the head pose rigidly.")
    return KeypointBasis(
        vertex=ids,
        names=tuple(names),
        segments=segments,
        base=p[ids].astype(np.float32),
        delta=asset.blend_deltas[:, ids].astype(np.float32),
    )


def save_keypoints(directory: Path, basis: KeypointBasis, camera: Camera, size: int) -> None:
    """Write keypoints_v2.safetensors (arrays) and keypoints_v2.json (names, segments, camera, conventions)."""
    arrays = {
        "kp_base": basis.base,
        "kp_delta": basis.delta,
        "vertex": basis.vertex.astype(np.int32),
        "pixel_matrix": camera.pixel_matrix(size).astype(np.float32),
    }
    # safetensors.numpy 0.8 writes a non-C-contiguous array's memory as is (a fancy-indexed (52, M, 3) slice
    # came back scrambled), so make every array contiguous first.
    save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(directory / KEYPOINT_FILE))
    meta = {
        "formula": "pixels = project(P, R(yaw, pitch, roll) @ (kp_base + sum_k c_k * kp_delta[k])); "
        "[u*w, v*w, w] = P @ [x, y, z, 1]",
        "blendshapes": list(ARKIT_ORDER),
        "pose": "degrees; R = Ry(yaw) @ Rx(pitch) @ Rz(roll) about the head pivot (head-space origin); "
        "+yaw turns the face to image right, +pitch nods down, +roll tilts towards the actor's right shoulder",
        "head_space": "metres, origin at the head pivot, +y up, +z towards the camera, +x the actor's left",
        "pixels": "x right, y down, origin at the image's top-left corner; pixel (i, j) centre is (j+0.5, i+0.5)",
        "image_size": size,
        "camera": {"position": list(camera.position), "fov_y_deg": camera.fov_y_deg},
        "names": list(basis.names),
        "segments": basis.segments,
    }
    (directory / KEYPOINT_META).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def load_keypoints(directory: Path) -> KeypointBasis:
    """Read the keypoint basis written by save_keypoints."""
    arrays = load_file(str(directory / KEYPOINT_FILE))
    meta = json.loads((directory / KEYPOINT_META).read_text(encoding="utf-8"))
    if tuple(meta["blendshapes"]) != ARKIT_ORDER:
        raise ValueError(f"{directory / KEYPOINT_META} lists blendshapes in an order this code does not use.")
    return KeypointBasis(
        vertex=arrays["vertex"].astype(np.int64),
        names=tuple(meta["names"]),
        segments={k: list(v) for k, v in meta["segments"].items()},
        base=arrays["kp_base"],
        delta=arrays["kp_delta"],
    )
