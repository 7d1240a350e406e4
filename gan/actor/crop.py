"""Cut the actor's bust (head, neck, shoulders and the eye/teeth/tongue/lash helpers) out of the base mesh.

Build time only. Produces render vertices (one per distinct vertex + uv + material corner), triangles,
and the head-space frame: metres, origin at the head pivot (MakeHuman's `joint-head`, the
atlanto-occipital joint), +y up, +z towards the camera, +x the actor's left.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gan.actor.mhobj import ObjMesh

# Material ids shared with the shaders (gan/actor/shaders.py).
SKIN, EYE, TEETH, TONGUE, LASHES = 0, 1, 2, 3, 4  # the shirt and collar are SKIN texels the aux map marks as cloth
HELPERS = {
    "helper-l-eye": EYE,
    "helper-r-eye": EYE,
    "helper-upper-teeth": TEETH,
    "helper-lower-teeth": TEETH,
    "helper-tongue": TONGUE,
    "helper-l-eyelashes-2": LASHES,
    "helper-r-eyelashes-2": LASHES,
}  # the lower lashes (eyelashes-1) drawn solid read as eyeliner at 256 px, so they are left out
DM_TO_M = 0.1  # MakeHuman units are decimetres


@dataclass(frozen=True)
class CropConfig:
    """Which part of the body mesh the bust keeps (head-space metres: origin at the head pivot)."""

    y_min: float = -0.30  # keep body quads whose every corner lies above this height (upper chest)
    x_max: float = 0.27  # ... and within this half-width (the shoulders, not the arms)
    neck_y: float = -0.13  # below this height the head's rotation weight is 0 (base of the neck)
    chin_y: float = -0.095  # above this height the weight is 1 (jawOpen moves nothing lower than -0.093)
    neck_radius: float = 0.075  # below chin_y, skin this far from the neck axis starts to be shoulder ...
    shoulder_radius: float = 0.1  # ... and from here on it does not follow the head at all

    def __post_init__(self) -> None:
        if not self.y_min < self.neck_y < self.chin_y:
            raise ValueError("CropConfig needs y_min < neck_y < chin_y.")
        if self.x_max <= 0:
            raise ValueError("CropConfig.x_max must be positive.")


@dataclass(frozen=True)
class Bust:
    """The cropped mesh in head space, ready to be saved as the actor asset."""

    mesh_ids: np.ndarray  # (Vk,) indices of the kept base-mesh vertices
    positions: np.ndarray  # (Vk, 3) float64 head-space positions (metres)
    head_weight: np.ndarray  # (Vk,) float64 in [0, 1]: how much each vertex follows the head pose
    render_vertex: np.ndarray  # (R,) index into mesh_ids for each render vertex
    render_uv: np.ndarray  # (R, 2) texture coordinates
    render_material: np.ndarray  # (R,) material id
    triangles: np.ndarray  # (T, 3) render-vertex indices


def _smoothstep(lo: float, hi: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _head_weight(p: np.ndarray, cfg: CropConfig) -> np.ndarray:
    """1 for the head (above chin_y), easing to 0 down the neck and out towards the shoulders.

    The shoulders rise to the neck's height at the sides (y ~ -0.11), so height alone would turn
    the trapezius with the head; the radial term keeps everything off the neck tube still.
    """
    neck = (p[:, 1] < cfg.chin_y) & (p[:, 1] > cfg.neck_y - 0.02)
    axis_z = np.median(p[neck & (np.abs(p[:, 0]) < 0.02), 2]) if neck.any() else 0.0
    radial = np.hypot(p[:, 0], p[:, 2] - axis_z)
    off_neck = _smoothstep(cfg.neck_radius, cfg.shoulder_radius, radial)
    down = _smoothstep(cfg.neck_y, cfg.chin_y, p[:, 1]) * (1.0 - off_neck)
    return np.where(p[:, 1] >= cfg.chin_y, 1.0, down)


def crop_bust(mesh: ObjMesh, vertices_dm: np.ndarray, cfg: CropConfig) -> Bust:
    """Select the bust faces of `mesh` (with identity-shaped `vertices_dm`) and split render vertices."""
    head_joint = vertices_dm[np.unique(mesh.faces[mesh.group_faces("joint-head")])].mean(0)
    head_space = (vertices_dm - head_joint) * DM_TO_M
    body = mesh.group_faces("body")
    corners = head_space[mesh.faces[body]]  # (F, 4, 3)
    keep_body = body[(corners[..., 1] > cfg.y_min).all(1) & (np.abs(corners[..., 0]) < cfg.x_max).all(1)]
    face_ids = [keep_body]
    materials = [np.full(len(keep_body), SKIN)]
    for group, material in HELPERS.items():
        ids = mesh.group_faces(group)
        face_ids.append(ids)
        materials.append(np.full(len(ids), material))
    faces = np.concatenate(face_ids)
    face_material = np.concatenate(materials)

    mesh_ids, quad_v = np.unique(mesh.faces[faces], return_inverse=True)
    quad_v = quad_v.reshape(-1, 4)
    quad_uv = mesh.face_uvs[faces]
    keys = np.stack([quad_v.ravel(), quad_uv.ravel(), np.repeat(face_material, 4)], 1)
    unique_keys, corner_to_render = np.unique(keys, axis=0, return_inverse=True)
    quads = corner_to_render.reshape(-1, 4)
    triangles = np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])

    kept = head_space[mesh_ids]
    return Bust(
        mesh_ids=mesh_ids,
        positions=kept,
        head_weight=_head_weight(kept, cfg),
        render_vertex=unique_keys[:, 0],
        render_uv=mesh.uvs[unique_keys[:, 1]],
        render_material=unique_keys[:, 2],
        triangles=triangles.astype(np.int64),
    )
