"""Rasterise per-vertex attributes into UV space with moderngl (build time): position and normal maps.

Painting in UV space from these maps bakes colour variation, brows, stubble and masks into the
skin texture once, so the runtime shader does no per-pixel noise (FINDINGS: shader noise was the
cost that pushed the quick prototype to 85-98 ms/frame at 512).
"""

from __future__ import annotations

import moderngl
import numpy as np

_VS = """
#version 330
in vec2 in_uv;
in vec3 in_attr;
out vec3 v_attr;
void main() { v_attr = in_attr; gl_Position = vec4(in_uv * 2.0 - 1.0, 0.0, 1.0); }
"""
_FS = """
#version 330
in vec3 v_attr;
out vec4 f_color;
void main() { f_color = vec4(v_attr, 1.0); }
"""


def bake_attribute(
    ctx: moderngl.Context, uv: np.ndarray, triangles: np.ndarray, attr: np.ndarray, size: int
) -> np.ndarray:
    """Rasterise (R, 3) `attr` over `triangles` laid out at `uv` (in [0, 1]) into a (size, size, 3) map.

    Row 0 of the map is v = 1 (image orientation). Texels no triangle covers are filled from their
    covered neighbours (a few rings), so bilinear lookups near UV seams never read background.
    """
    prog = ctx.program(vertex_shader=_VS, fragment_shader=_FS)
    data = np.concatenate([uv, attr], 1).astype("f4")
    vbo = ctx.buffer(data.tobytes())
    ibo = ctx.buffer(triangles.astype("i4").tobytes())
    vao = ctx.vertex_array(prog, [(vbo, "2f 3f", "in_uv", "in_attr")], index_buffer=ibo)
    tex = ctx.texture((size, size), 4, dtype="f4")
    fbo = ctx.framebuffer(color_attachments=[tex])
    fbo.use()
    fbo.clear(0.0, 0.0, 0.0, 0.0)
    ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
    vao.render(moderngl.TRIANGLES)
    out = np.frombuffer(fbo.read(components=4, dtype="f4"), dtype=np.float32).reshape(size, size, 4)[::-1]
    for obj in (vao, fbo, tex, ibo, vbo, prog):
        obj.release()
    return _dilate(out[..., :3].copy(), out[..., 3] > 0.5)


def _dilate(image: np.ndarray, covered: np.ndarray, steps: int = 8) -> np.ndarray:
    """Grow covered texels into uncovered ones (a few rings), averaging covered neighbours."""
    mask = covered.astype(np.float32)
    img = image * mask[..., None]
    for _ in range(steps):
        acc = np.zeros_like(img)
        cnt = np.zeros_like(mask)
        for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
            acc += np.roll(img, (dy, dx), (0, 1))
            cnt += np.roll(mask, (dy, dx), (0, 1))
        grow = (mask == 0) & (cnt > 0)
        img[grow] = acc[grow] / cnt[grow, None]
        mask = np.where(grow, 1.0, mask)
    return img
