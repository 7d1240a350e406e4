"""Per-vertex ambient occlusion of the neutral bust, baked once on the GPU (build time).

For each of `n_dirs` directions the bust is drawn as an orthographic depth map; a vertex is lit from
that direction when nothing lies in front of it. AO is the cosine-weighted fraction of lit
directions, so the mouth cavity, nostrils, eye sockets and the neck under the jaw come out dark
without any runtime cost.
"""

from __future__ import annotations

import moderngl
import numpy as np

from gan.actor.crop import Bust
from gan.actor.gl import uniform
from gan.actor.mesh import vertex_normals

_VS = """
#version 330
uniform mat3 u_rot;
uniform float u_half;
in vec3 in_pos;
out float v_depth;
void main() {
    vec3 p = u_rot * in_pos;
    v_depth = p.z;
    gl_Position = vec4(p.xy / u_half, -p.z / u_half, 1.0);
}
"""
_FS = """
#version 330
in float v_depth;
out vec4 f_color;
void main() { f_color = vec4(v_depth, 0.0, 0.0, 1.0); }
"""


def _directions(n: int) -> np.ndarray:
    """`n` evenly spread unit vectors (Fibonacci sphere)."""
    i = np.arange(n) + 0.5
    phi = np.arccos(1 - 2 * i / n)
    theta = np.pi * (1 + 5**0.5) * i
    return np.stack([np.cos(theta) * np.sin(phi), np.cos(phi), np.sin(theta) * np.sin(phi)], 1)


def _rotation_to_z(d: np.ndarray) -> np.ndarray:
    """A rotation taking unit vector d to +z."""
    z = d / np.linalg.norm(d)
    helper = np.array([0.0, 1.0, 0.0]) if abs(z[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z])


def bake_vertex_ao(ctx: moderngl.Context, bust: Bust, n_dirs: int = 96, size: int = 1024) -> np.ndarray:
    """(R,) ambient occlusion per render vertex in [0, 1] (1 = unoccluded)."""
    tri_mesh = bust.render_vertex[bust.triangles]
    pos = bust.positions
    normals = vertex_normals(pos, tri_mesh)
    half = 0.45  # metres: the orthographic window covers the whole bust
    prog = ctx.program(vertex_shader=_VS, fragment_shader=_FS)
    vbo = ctx.buffer(pos.astype("f4").tobytes())
    ibo = ctx.buffer(tri_mesh.astype("i4").tobytes())
    vao = ctx.vertex_array(prog, [(vbo, "3f", "in_pos")], index_buffer=ibo)
    color = ctx.texture((size, size), 4, dtype="f4")
    depth = ctx.depth_renderbuffer((size, size))
    fbo = ctx.framebuffer(color_attachments=[color], depth_attachment=depth)
    ctx.enable(moderngl.DEPTH_TEST)
    ctx.disable(moderngl.CULL_FACE)
    lit = np.zeros(len(pos))
    weight = np.zeros(len(pos))
    bias = 0.004  # metres; larger than the depth-map texel (0.9 mm) times the steepest slopes
    for d in _directions(n_dirs):
        rot = _rotation_to_z(d)
        uniform(prog, "u_rot").write(rot.T.astype("f4").tobytes())  # column-major upload of rot
        uniform(prog, "u_half").value = half
        fbo.use()
        fbo.clear(-10.0, 0.0, 0.0, 1.0, depth=1.0)
        vao.render(moderngl.TRIANGLES)
        top = np.frombuffer(fbo.read(components=4, dtype="f4"), dtype=np.float32).reshape(size, size, 4)[..., 0]
        p = pos @ rot.T
        col = np.clip(((p[:, 0] / half) * 0.5 + 0.5) * size, 0, size - 1).astype(int)
        row = np.clip(((p[:, 1] / half) * 0.5 + 0.5) * size, 0, size - 1).astype(int)
        visible = p[:, 2] >= top[row, col] - bias
        cos = np.clip(normals @ d, 0.0, None)
        lit += cos * visible
        weight += cos
    for obj in (vao, fbo, depth, color, ibo, vbo, prog):
        obj.release()
    ao_mesh = np.where(weight > 0, lit / np.maximum(weight, 1e-9), 1.0)
    return ao_mesh[bust.render_vertex]


def mouth_occlusion(positions: np.ndarray, lips_z: float, depth: float = 0.035, floor: float = 0.05) -> np.ndarray:
    """Occlusion inside the mouth by depth behind the lips (1 at the lips, `floor` at `depth` behind them).

    The baked AO sees the mouth closed, so it leaves teeth and tongue black even when the jaw drops;
    depth behind the lips is what darkens a real open mouth (front teeth lit, the throat dark).
    """
    return np.clip(1.0 - (lips_z - positions[:, 2]) / depth, floor, 1.0)
