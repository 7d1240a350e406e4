"""How far each ARKit blendshape of actor v2 moves the face in the rendered image (the evidence for KEPT).

    python scripts/measure_blendshapes.py [--size 256]

Projects the actor's neutral mesh and the mesh with one blendshape at weight 1 through the fixed
camera (gan/actor/camera.py) and prints, per blendshape, the largest and the 50th-largest vertex
displacement in pixels, the number of vertices that move more than half a pixel, and whether the
rig drives it (a KEPT channel) - sorted by visible size.
"""

from __future__ import annotations

import argparse

import numpy as np

from gan.actor.assets import load_asset
from gan.actor.camera import Camera
from gan.rig.arkit import ARKIT_INDEX, KEPT_BASIS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=256, help="image side in pixels")
    args = ap.parse_args()
    asset, camera = load_asset(), Camera()
    rest = camera.project(asset.positions.astype(np.float64), args.size)
    rows = []
    for name, delta in zip(asset.blend_names, asset.blend_deltas, strict=True):
        moved = camera.project(asset.positions + delta.astype(np.float64), args.size)
        px = np.linalg.norm(moved - rest, axis=1)
        driven = bool(KEPT_BASIS[:, ARKIT_INDEX[name]].any())
        rows.append((name, float(px.max()), float(np.sort(px)[-50]), int((px > 0.5).sum()), driven))
    print(f"{'blendshape':22s} {'max px':>7s} {'50th px':>8s} {'n>0.5px':>8s}  in KEPT")
    for name, top, fiftieth, n, driven in sorted(rows, key=lambda r: -r[1]):
        print(f"{name:22s} {top:7.1f} {fiftieth:8.1f} {n:8d}  {'yes' if driven else 'no'}")


if __name__ == "__main__":
    main()
