"""A shirt collar: the cloth line on the skin texture and a standing collar band built around the neck.

Build time. The collar line is one function of (x, z) used by both the texture (the shirt below it)
and the geometry (the band standing on it), so the band always hides the texture's edge.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gan.actor.crop import SKIN, Bust


@dataclass(frozen=True)
class CollarConfig:
    """Shape of the collar (head-space metres)."""

    base_height: float = -0.092  # collar line height at the back of the neck (the shoulders rise to ~-0.10)
    front_drop: float = 0.05  # how far the open collar dips at the front
    opening: float = 0.026  # half-width of the open front (where the two collar points end)
    band_back: float = 0.028  # band height at the back
    band_front: float = 0.012  # band height at its front ends
    stand_off: float = 0.003  # gap between skin and band at its foot
    flare: float = 0.007  # how far the band's top edge leans away from the neck
    neck_radius: float = 0.085  # skin further than this from the neck axis is shoulder, not neck
    segments: int = 72  # samples around the neck

    def __post_init__(self) -> None:
        if not (0 < self.band_front <= self.band_back < 0.06 and self.segments >= 16):
            raise ValueError("CollarConfig needs 0 < band_front <= band_back < 0.06 m and at least 16 segments.")


def collar_line(x: np.ndarray, z: np.ndarray, cfg: CollarConfig) -> np.ndarray:
    """Height of the collar line at head-space (x, z): level at the back, dipping into a V at the front."""
    front = np.clip(z / 0.06, 0.0, 1.0)
    v = np.clip(1.0 - np.abs(x) / (2.2 * cfg.opening), 0.0, 1.0)
    return cfg.base_height - 0.012 * front - cfg.front_drop * front * v**1.5


def _neck_radius(points: np.ndarray, centre_z: float, y: float, angle: float, limit: float) -> float:
    """Radius of the neck's skin around its axis at height y and angle (0 = +z, towards the camera).

    The shoulders reach the same heights further out, so the neck is the nearest surface, not the farthest.
    """
    near = points[np.abs(points[:, 1] - y) < 0.012]
    phi = np.arctan2(near[:, 0], near[:, 2] - centre_z)
    diff = np.abs((phi - angle + np.pi) % (2 * np.pi) - np.pi)
    radius = np.hypot(near[:, 0], near[:, 2] - centre_z)[diff < 0.25]
    if len(radius) == 0:
        raise ValueError(f"No neck surface found at height {y:.3f} m, angle {angle:.2f} rad.")
    inside = radius[radius < limit]
    return float(np.median(inside) if len(inside) else radius.min())


def add_collar(bust: Bust, cfg: CollarConfig) -> Bust:
    """The bust with a two-sided collar band appended (new mesh vertices, no blendshape motion).

    The band's render vertices take the UV of a chest vertex (inside the shirt), so the skin shader
    paints them as cloth; each band vertex follows the head pose as much as the neck skin nearest to it.
    """
    skin_ids = bust.render_vertex[bust.render_material == SKIN]
    skin_pts = bust.positions[skin_ids]
    chest = np.flatnonzero(bust.render_material == SKIN)
    chest_pts = bust.positions[bust.render_vertex[chest]]
    chest_corner = chest[np.argmin(np.abs(chest_pts[:, 1] + 0.22) + np.abs(chest_pts[:, 0]) - 0.1 * chest_pts[:, 2])]
    cloth_uv = bust.render_uv[chest_corner]
    # The neck's axis: midway between its front and back just below the chin (y = -0.115, |x| < 7 cm).
    neck = skin_pts[(np.abs(skin_pts[:, 1] + 0.115) < 0.008) & (np.abs(skin_pts[:, 0]) < 0.07)]
    centre_z = float(0.5 * (neck[:, 2].min() + neck[:, 2].max()))
    # Angles around the neck, leaving the front opening (|x| < opening) free.
    start = np.arcsin(min(0.99, cfg.opening / 0.06))
    angles = np.linspace(start, 2 * np.pi - start, cfg.segments)
    rows = []
    for lift, off in ((0.0, cfg.stand_off), (1.0, cfg.stand_off + cfg.flare)):
        ring = []
        for a in angles:
            r_guess = 0.06
            x, z = r_guess * np.sin(a), centre_z + r_guess * np.cos(a)
            y0 = float(collar_line(np.array(x), np.array(z), cfg))
            back = 0.5 - 0.5 * np.cos(a)  # 0 at the front, 1 at the back
            y = y0 + lift * (cfg.band_front + (cfg.band_back - cfg.band_front) * back**0.5)
            ring.append([a, y, _neck_radius(skin_pts, centre_z, y, a, cfg.neck_radius) + off])
        ring_arr = np.asarray(ring)
        # Smooth the radius along the ring (the mesh is coarse: single samples make a wavy band).
        ring_arr[:, 2] = np.convolve(np.pad(ring_arr[:, 2], 2, mode="edge"), np.ones(5) / 5, mode="valid")
        a, y, r = ring_arr.T
        rows.append(np.stack([r * np.sin(a), y, centre_z + r * np.cos(a)], 1))
    band = np.concatenate(rows)  # (2n, 3): bottom ring then top ring
    n = cfg.segments
    quads = [(i, i + 1, n + i + 1, n + i) for i in range(n - 1)]
    outer = np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))])
    # Outside faces wind one way, the inside copy (its own vertices, so normals point inwards) the other.
    n_mesh, n_render = len(bust.positions), len(bust.render_vertex)
    positions = np.concatenate([bust.positions, band, band])
    new_vertex = n_mesh + np.arange(4 * n)
    tris = np.concatenate([outer, outer[:, ::-1] + 2 * n]) + n_render
    nearest = np.argmin(np.linalg.norm(band[:, None] - skin_pts[None], axis=2), axis=1)
    band_weight = bust.head_weight[skin_ids[nearest]]
    head_weight = np.concatenate([bust.head_weight, band_weight, band_weight])
    grown = replace(
        bust,
        mesh_ids=np.concatenate([bust.mesh_ids, np.full(4 * n, -1)]),
        positions=positions,
        head_weight=head_weight,
        render_vertex=np.concatenate([bust.render_vertex, new_vertex]),
        render_uv=np.concatenate([bust.render_uv, np.broadcast_to(cloth_uv, (4 * n, 2))]),
        render_material=np.concatenate([bust.render_material, np.full(4 * n, SKIN)]),
        triangles=np.concatenate([bust.triangles, tris]),
    )
    return grown
