"""Render the actor v2 contact sheet (gan/actor/preview.py) to a PNG.

    python scripts/actor_preview.py [--out docs/actor_v2_preview.png] [--size 256]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan.actor.preview import contact_sheet
from gan.actor.render import HeadRenderer, RenderConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/actor_v2_preview.png"), help="PNG to write")
    parser.add_argument("--size", type=int, default=256, help="frame size in pixels")
    args = parser.parse_args()
    renderer = HeadRenderer(RenderConfig(size=args.size))
    sheet = contact_sheet(renderer)
    renderer.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(args.out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f"Could not write {args.out}.")
    print(f"wrote {args.out} ({sheet.shape[1]}x{sheet.shape[0]})")


if __name__ == "__main__":
    main()
