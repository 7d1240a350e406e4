"""`gan-export-onnx CHECKPOINT --out DIR`: an avatar v2 checkpoint -> ONNX for onnxruntime(-web).

Writes DIR/generator.onnx (inputs rig (B, K), pose (B, 3) degrees, emotion (B, E), intensity
(B, 1); output frames (B, 3, S, S) in [-1, 1]; dynamic batch; opset 17, the TorchScript exporter,
which FINDINGS.md found to match torch to ~1e-5 in onnxruntime-web) and DIR/generator.json (input
names and order, KEPT and emotion names, size, fps, GFLOP/frame, the motion rows' column layout)
for the page. The export checks itself: onnxruntime must reproduce torch within `--tolerance` on
random rig frames, else it fails.
Inference never imports this module.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from gan.checkpoint import RigInferenceModel, generator_version, load_rig_generator
from gan.networks.rig_generator import RigGenerator
from gan.rig.wire import layout

OPSET = 17
INPUT_NAMES = ("rig", "pose", "emotion", "intensity")


def example_inputs(g: RigGenerator, batch: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Plausible random conditioning: rig in [0, 1], pose within +-8 degrees, a random emotion blend."""
    gen = torch.Generator().manual_seed(seed)
    rig = torch.rand(batch, g.rig_dim, generator=gen)
    pose = (torch.rand(batch, 3, generator=gen) - 0.5) * 16.0
    emotion = torch.softmax(3.0 * torch.randn(batch, g.n_emotions, generator=gen), dim=1)
    intensity = torch.rand(batch, 1, generator=gen)
    return rig, pose, emotion, intensity


def gflop_per_frame(g: nn.Module, inputs: tuple[torch.Tensor, ...]) -> float:
    """FLOPs of one forward / batch, counted by torch.utils.flop_counter (2 per multiply-add)."""
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        g(*inputs)
    return counter.get_total_flops() / inputs[0].shape[0] / 1e9


def export(model: RigInferenceModel, out_dir: str | Path, tolerance: float = 1e-4) -> dict[str, Any]:
    """Export, check parity with onnxruntime, write the sidecar JSON; returns the sidecar dict."""
    import onnxruntime as ort

    g = model.generator.eval()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / "generator.onnx"
    inputs = example_inputs(g, 2)
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of dynamo, but it is the one measured to
        # match torch to ~1e-5 in onnxruntime-web (FINDINGS.md); its deprecation notice is noise here.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            g, inputs, str(onnx_path), dynamo=False, opset_version=OPSET, input_names=list(INPUT_NAMES),
            output_names=["frames"], dynamic_axes={n: {0: "batch"} for n in (*INPUT_NAMES, "frames")},
        )
    check = example_inputs(g, 3, seed=1)
    with torch.no_grad():
        expected = g(*check).numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {n: t.numpy() for n, t in zip(INPUT_NAMES, check)})[0]
    max_diff = float(np.abs(got - expected).max())
    if max_diff > tolerance:
        raise RuntimeError(f"ONNX export of {out} differs from torch by {max_diff:.2e} > {tolerance:.0e}.")
    sidecar = {
        "model": onnx_path.name, "opset": OPSET, "inputs": list(INPUT_NAMES), "output": "frames",
        "output_range": [-1.0, 1.0], "size": g.size, "kept": list(model.kept), "emotions": list(model.emotions),
        "pose": "yaw, pitch, roll in degrees", "fps": model.config.get("fps", 25),
        "gflop_per_frame": round(gflop_per_frame(g, inputs), 4), "parity_max_abs_diff": max_diff,
        "rows": layout(),  # the motion files' columns (gan/rig/wire.py): the page slices its inputs by it
    }
    (out / "generator.json").write_text(json.dumps(sidecar, indent=2) + "\n")
    return sidecar


def main(argv: list[str] | None = None) -> None:
    """Entry point of `gan-export-onnx`."""
    parser = argparse.ArgumentParser(prog="gan-export-onnx", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="avatar v2 inference checkpoint folder (config.json + model.safetensors)")
    parser.add_argument("--out", required=True, help="output folder for generator.onnx + generator.json")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="max |onnxruntime - torch| allowed")
    args = parser.parse_args(argv)
    if generator_version(args.checkpoint) != 2:
        parser.error(f"{args.checkpoint} is not an avatar v2 checkpoint: only avatar v2 checkpoints "
                     "(config.json generator_version 2) export to ONNX.")
    info = export(load_rig_generator(args.checkpoint), args.out, args.tolerance)
    print(f"wrote {Path(args.out) / info['model']}: {info['gflop_per_frame']} GFLOP/frame, "
          f"parity max |diff| {info['parity_max_abs_diff']:.1e}")


if __name__ == "__main__":
    main()
