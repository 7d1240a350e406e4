"""Per-frame geometry: ARKit blendshape mix, smooth vertex normals and eye axes (NumPy, ~1-2 ms)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gan.actor.assets import ARKIT_ORDER, ActorAsset


def coefficient_vector(coeffs: Mapping[str, float] | np.ndarray) -> np.ndarray:
    """A (52,) float32 vector in ARKIT_ORDER from a {name: weight} dict or an array (ValueError if malformed)."""
    if isinstance(coeffs, Mapping):
        unknown = set(coeffs) - set(ARKIT_ORDER)
        if unknown:
            raise ValueError(f"Unknown ARKit blendshape names: {sorted(unknown)}.")
        vec = np.array([float(coeffs.get(n, 0.0)) for n in ARKIT_ORDER], dtype=np.float32)
    else:
        vec = np.asarray(coeffs, dtype=np.float32)
        if vec.shape != (len(ARKIT_ORDER),):
            raise ValueError(f"Expected {len(ARKIT_ORDER)} ARKit coefficients, got shape {vec.shape}.")
    if not np.isfinite(vec).all():
        raise ValueError("ARKit coefficients must be finite numbers.")
    # Face Units shapes are authored for [0, 1]; a little overshoot stays plausible, more folds the mesh.
    return np.clip(vec, 0.0, 1.2)


def vertex_normals(positions: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(V, 3) area-weighted unit vertex normals for (T, 3) triangles of mesh-vertex ids (bincount: ~1 ms)."""
    p = positions[triangles]  # (T, 3, 3)
    face_n = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    out = np.empty((len(positions), 3), dtype=np.float64)
    idx = triangles.ravel()
    for c in range(3):
        out[:, c] = np.bincount(idx, weights=np.repeat(face_n[:, c], 3), minlength=len(positions))
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


class MeshDeformer:
    """Mixes blendshapes and recomputes normals for one asset (precomputes what it can)."""

    def __init__(self, asset: ActorAsset) -> None:
        self.asset = asset
        n = asset.n_vertices
        self._base = asset.positions.astype(np.float32)
        # Only vertices some shape moves need the matmul: (52, M*3) instead of (52, V*3).
        moved = np.flatnonzero(np.abs(asset.blend_deltas).sum((0, 2)) > 0)
        self._moved = moved
        self._deltas = asset.blend_deltas[:, moved].reshape(len(ARKIT_ORDER), -1)
        tri_mesh = asset.render_vertex[asset.triangles]  # (T, 3) mesh-vertex ids
        self._tri = tri_mesh
        self._n = n

    def positions(self, coeffs: np.ndarray) -> np.ndarray:
        """(V, 3) float32 head-space positions for a (52,) coefficient vector (before the head pose)."""
        out = self._base.copy()
        out[self._moved] += (coeffs @ self._deltas).reshape(-1, 3)
        return out

    def normals(self, positions: np.ndarray) -> np.ndarray:
        """(V, 3) float32 area-weighted vertex normals of the mesh at `positions`."""
        return vertex_normals(positions, self._tri).astype(np.float32)

    def eye_frames(self, positions: np.ndarray) -> np.ndarray:
        """(2, 2, 3): per eye (left, right) its centre and unit gaze axis (centre -> iris point) in head space."""
        out = np.empty((2, 2, 3), dtype=np.float32)
        for e, ids in enumerate(self.asset.eye_vertices):
            centre = positions[ids].mean(0)
            axis = positions[self.asset.iris_vertex[e]] - centre
            out[e, 0] = centre
            out[e, 1] = axis / np.linalg.norm(axis)
        return out
