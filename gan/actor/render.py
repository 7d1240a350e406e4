"""Actor v2: the 3D head rendered headless on the CPU (moderngl + EGL on Mesa llvmpipe).

    renderer = HeadRenderer(RenderConfig(size=256))
    frame = renderer.render({"jawOpen": 0.4, "mouthSmileLeft": 0.6}, pose=(10.0, 0.0, 0.0))  # (256, 256, 3) uint8
    clip = renderer.render_sequence(coeffs_t52, poses_t3)  # (T, 256, 256, 3) uint8

Coefficients are the 52 ARKit blendshapes (a {name: weight} dict, or an array in
gan.actor.assets.ARKIT_ORDER); pose is (yaw, pitch, roll) in degrees (gan/actor/camera.py). The
camera is fixed. Frames are rendered at `supersample` times the size and box-filtered down on the
GPU. Build-time and data-making code only: the inference pipeline never imports this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import moderngl
import numpy as np

from gan.actor.assets import ASSET_DIR, ActorAsset, load_asset
from gan.actor.camera import Camera, pose_matrix
from gan.actor.gl import headless_context, uniform
from gan.actor.mesh import MeshDeformer, coefficient_vector
from gan.actor.shaders import BACKDROP_FS, BACKDROP_VS, DOWNSAMPLE_FS, FEEDBACK_VS, HAIR_FS, SCENE_VS, scene_fs

Coefficients = Mapping[str, float] | np.ndarray
Pose = tuple[float, float, float] | Sequence[float] | np.ndarray
_DYNAMIC = (("in_pos", 3), ("in_normal", 3))  # per-frame vertex buffer fields (float count)
_STATIC = (("in_uv", 2), ("in_mat", 1), ("in_weight", 1), ("in_ao", 1), ("in_hair", 1))


# Material groups (gan/actor/crop.py ids) -> one specialised program each, drawn in this order: the big
# occluders first, the lashes' discard last.
_GROUPS = {0: (0,), 1: (1,), 2: (2, 3), 4: (4,)}


def _has(program: moderngl.Program, name: str) -> bool:
    """Whether `program` has an active member `name` (compilers drop unused ones)."""
    try:
        program[name]
    except KeyError:
        return False
    return True


def _pose_angles(pose: Pose) -> np.ndarray:
    """(3,) float64 yaw, pitch, roll in degrees (ValueError unless three finite numbers)."""
    angles = np.asarray(pose, dtype=np.float64)
    if angles.shape != (3,) or not np.isfinite(angles).all():
        raise ValueError(f"pose must be three finite angles (yaw, pitch, roll) in degrees; got {pose!r}.")
    return angles


@dataclass(frozen=True)
class RenderConfig:
    """How the actor is rendered."""

    size: int = 256  # output image side in pixels
    supersample: int = 2  # render at size * supersample and box-filter down (1 = no anti-aliasing)
    hair_layers: int = 8  # hair shells drawn over the scalp (0 = no hair)
    hair_length: float = 0.015  # metres from scalp to the outermost shell (short hair)
    camera: Camera = field(default_factory=Camera)  # the fixed camera
    asset_dir: Path = ASSET_DIR  # folder holding head_v2.npz and its textures

    def __post_init__(self) -> None:
        if not 32 <= self.size <= 2048:
            raise ValueError(f"RenderConfig.size must lie in [32, 2048]; got {self.size}.")
        if self.supersample not in (1, 2):
            raise ValueError("RenderConfig.supersample must be 1 or 2 (2 = render at 2x and box-filter down).")
        if not 0 <= self.hair_layers <= 32:
            raise ValueError("RenderConfig.hair_layers must lie in [0, 32].")
        if not 0.0 <= self.hair_length <= 0.05:
            raise ValueError("RenderConfig.hair_length must lie in [0, 0.05] metres (short hair).")


class HeadRenderer:
    """Owns one headless GL context and the uploaded asset; renders frames from ARKit coefficients + pose."""

    def __init__(self, config: RenderConfig | None = None, asset: ActorAsset | None = None) -> None:
        self.config = config or RenderConfig()
        self.asset = asset or load_asset(self.config.asset_dir)
        self.deformer = MeshDeformer(self.asset)
        self.ctx = headless_context()
        self._setup_gl()

    # ----- GL objects -------------------------------------------------------------------------------
    def _setup_gl(self) -> None:
        self._build_buffers()
        self._build_programs()
        self._upload_textures()
        self._build_targets()

    def _build_buffers(self) -> None:
        """Per-frame position/normal buffer and the static per-vertex attributes."""
        a = self.asset
        self.dynamic = self.ctx.buffer(reserve=len(a.render_vertex) * 6 * 4)
        static = np.concatenate(
            [a.uv, a.material[:, None], a.head_weight[a.render_vertex, None], a.ao[:, None], a.hair[:, None]], 1
        ).astype("f4")
        self.static = self.ctx.buffer(static.tobytes())

    def _build_programs(self) -> None:
        """Shader programs and vertex arrays: scene (per material group), hair shells, backdrop, downsample."""
        ctx, a, cfg = self.ctx, self.asset, self.config
        self.programs = {g: ctx.program(vertex_shader=SCENE_VS, fragment_shader=scene_fs(g)) for g in _GROUPS}
        self.hair = ctx.program(vertex_shader=SCENE_VS, fragment_shader=HAIR_FS)
        tri_material = a.material[a.triangles[:, 0]]
        order = np.argsort(tri_material, kind="stable")
        scene_ibo = ctx.buffer(np.ascontiguousarray(a.triangles[order]).tobytes())
        sorted_material = tri_material[order]
        self.scene_draws = []  # (vao, first index, index count) per material group
        for g, members in _GROUPS.items():
            rows = np.flatnonzero(np.isin(sorted_material, members))
            if len(rows) == 0:
                continue
            if rows[-1] - rows[0] + 1 != len(rows):
                raise ValueError(f"Material group {members} is not contiguous after sorting.")
            vao = ctx.vertex_array(self.programs[g], self._layout(self.programs[g]), index_buffer=scene_ibo)
            self.scene_draws.append((vao, int(rows[0]) * 3, len(rows) * 3))
        hair_ibo = ctx.buffer(a.hair_triangles.tobytes())
        self.hair_vao = ctx.vertex_array(self.hair, self._layout(self.hair), index_buffer=hair_ibo)
        tri = ctx.buffer(np.array([-1, -1, 3, -1, -1, 3], dtype="f4").tobytes())
        self.backdrop_vao = ctx.vertex_array(
            ctx.program(vertex_shader=BACKDROP_VS, fragment_shader=BACKDROP_FS), [(tri, "2f", "in_xy")]
        )
        self.down = ctx.program(vertex_shader=BACKDROP_VS, fragment_shader=DOWNSAMPLE_FS)
        self.down_vao = ctx.vertex_array(self.down, [(tri, "2f", "in_xy")])
        self._feedback = ctx.program(vertex_shader=FEEDBACK_VS, varyings=("out_clip",))
        mvp = cfg.camera.view_projection().T.astype("f4").tobytes()
        uniform(self._feedback, "u_mvp").write(mvp)
        settings = {"u_mvp": mvp, "u_cam": tuple(cfg.camera.position), "u_skin": 0, "u_aux": 1, "u_iris": 2}
        for prog in (*self.programs.values(), self.hair):
            self._set(prog, settings)

    def _upload_textures(self) -> None:
        """The baked textures on units 0-2 (mipmapped: the face is minified at 256 px)."""
        self.textures = {}
        for unit, name in enumerate(("skin", "aux", "iris")):
            image = self.asset.textures[name]
            tex = self.ctx.texture((image.shape[1], image.shape[0]), 3, np.ascontiguousarray(image[::-1]).tobytes())
            tex.build_mipmaps()
            tex.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
            tex.use(unit)
            self.textures[name] = tex
        self.textures["iris"].repeat_y = False

    def _build_targets(self) -> None:
        """The supersampled colour+depth target and the output image."""
        ctx, cfg = self.ctx, self.config
        big = cfg.size * cfg.supersample
        self.big_color = ctx.texture((big, big), 4)
        self.big_color.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.big_fbo = ctx.framebuffer([self.big_color], ctx.depth_renderbuffer((big, big)))
        # Without supersampling the scene is drawn straight into the output, which then needs its own depth.
        out_depth = ctx.depth_renderbuffer((cfg.size, cfg.size)) if cfg.supersample == 1 else None
        self.out_fbo = ctx.framebuffer([ctx.renderbuffer((cfg.size, cfg.size), 4)], out_depth)

    # ----- rendering --------------------------------------------------------------------------------
    def render(self, coeffs: Coefficients, pose: Pose = (0.0, 0.0, 0.0)) -> np.ndarray:
        """One (size, size, 3) uint8 RGB frame for ARKit `coeffs` and head `pose` (yaw, pitch, roll degrees)."""
        vec, angles = coefficient_vector(coeffs), _pose_angles(pose)
        positions = self.deformer.positions(vec)
        normals = self.deformer.normals(positions)
        eyes = self.deformer.eye_frames(positions)
        ridx = self.asset.render_vertex
        self.dynamic.write(np.concatenate([positions[ridx], normals[ridx]], 1).astype("f4").tobytes())
        frame: dict[str, object] = {
            "u_pose": tuple(float(x) for x in np.radians(angles)),
            "u_rot": pose_matrix(*angles).T.astype("f4").tobytes(),
            "u_eye_c": eyes[:, 0].astype("f4").tobytes(),
            "u_eye_ax": eyes[:, 1].astype("f4").tobytes(),
        }
        for prog in (*self.programs.values(), self.hair):
            self._set(prog, frame)
        return self._draw()

    def _layout(self, program: moderngl.Program) -> list[tuple[Any, ...]]:
        """Buffer layout for `program`, skipping the attributes its compiler optimised away."""
        out: list[tuple[Any, ...]] = []
        for buffer, fields in ((self.dynamic, _DYNAMIC), (self.static, _STATIC)):
            used = [name for name, _ in fields if _has(program, name)]
            fmt = " ".join(f"{n}f" if _has(program, name) else f"{4 * n}x" for name, n in fields)
            out.append((buffer, fmt, *used))
        return out

    @staticmethod
    def _set(program: moderngl.Program, values: Mapping[str, object]) -> None:
        """Set the uniforms `program` has (bytes are written raw, other values assigned)."""
        for name, value in values.items():
            if _has(program, name):
                member = uniform(program, name)
                if isinstance(value, bytes):
                    member.write(value)
                else:
                    member.value = value

    def render_sequence(self, coeffs: np.ndarray, poses: np.ndarray | None = None) -> np.ndarray:
        """(T, size, size, 3) uint8 frames for (T, 52) coefficients and (T, 3) poses (default: all zero)."""
        coeffs = np.asarray(coeffs, dtype=np.float32)
        if coeffs.ndim != 2:
            raise ValueError(f"coeffs must be (T, 52); got shape {coeffs.shape}.")
        poses = np.zeros((len(coeffs), 3)) if poses is None else np.asarray(poses, dtype=np.float64)
        if poses.shape != (len(coeffs), 3):
            raise ValueError(f"poses must be (T, 3) with T = {len(coeffs)}; got shape {poses.shape}.")
        out = np.empty((len(coeffs), self.config.size, self.config.size, 3), dtype=np.uint8)
        for t in range(len(coeffs)):
            out[t] = self.render(coeffs[t], poses[t])
        return out

    def vertex_pixels(self, coeffs: Coefficients, pose: Pose = (0.0, 0.0, 0.0)) -> np.ndarray:
        """(V, 2) pixel positions (gan/actor/camera.py convention) of every mesh vertex, from the GPU's own
        vertex transform (transform feedback of the same pose + camera code the frames are drawn with)."""
        vec, angles = coefficient_vector(coeffs), _pose_angles(pose)
        positions = self.deformer.positions(vec)
        data = np.concatenate([positions, self.asset.head_weight[:, None]], 1).astype("f4")
        src = self.ctx.buffer(data.tobytes())
        dst = self.ctx.buffer(reserve=len(data) * 16)
        vao = self.ctx.vertex_array(self._feedback, [(src, "3f 1f", "in_pos", "in_weight")])
        uniform(self._feedback, "u_pose").value = tuple(float(x) for x in np.radians(angles))
        self.out_fbo.use()  # with EGL surfaceless, Mesa runs transform feedback only while a framebuffer is bound
        vao.transform(dst, moderngl.POINTS)
        clip = np.frombuffer(dst.read(), dtype=np.float32).reshape(-1, 4).astype(np.float64)
        for obj in (vao, dst, src):
            obj.release()
        ndc = clip[:, :2] / clip[:, 3:4]
        size = self.config.size
        return np.stack([(ndc[:, 0] * 0.5 + 0.5) * size, (0.5 - ndc[:, 1] * 0.5) * size], 1)

    def _draw(self) -> np.ndarray:
        ctx, cfg = self.ctx, self.config
        target = self.big_fbo if cfg.supersample == 2 else self.out_fbo
        target.use()
        ctx.disable(moderngl.BLEND)
        # Back faces are never seen (closed head, eyes and mouth inside it): culling halves the fragments.
        ctx.enable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        target.clear(0.0, 0.0, 0.0, 1.0, depth=1.0)
        for vao, first, count in self.scene_draws:
            vao.render(moderngl.TRIANGLES, vertices=count, first=first)
        for layer in range(cfg.hair_layers):
            frac = (layer + 1) / cfg.hair_layers
            uniform(self.hair, "u_layer").value = frac
            uniform(self.hair, "u_shell").value = frac * cfg.hair_length
            self.hair_vao.render(moderngl.TRIANGLES)
        # The backdrop goes last at depth 0.999, so early depth testing shades only the pixels left uncovered.
        ctx.disable(moderngl.CULL_FACE)
        self.backdrop_vao.render(moderngl.TRIANGLES)
        if cfg.supersample == 2:
            self.out_fbo.use()
            ctx.disable(moderngl.DEPTH_TEST)
            self.big_color.use(3)
            uniform(self.down, "u_src").value = 3
            self.down_vao.render(moderngl.TRIANGLES)
        raw = self.out_fbo.read(components=3, alignment=1)
        return np.frombuffer(raw, dtype=np.uint8).reshape(cfg.size, cfg.size, 3)[::-1].copy()

    def close(self) -> None:
        """Release the GL context (the renderer is unusable afterwards)."""
        self.ctx.release()
