"""Avatar v2 generator: compute budget, in-graph sketch, checkpoint round trip, ONNX export parity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from gan_fixtures import EMOTIONS, KEPT, random_basis, write_basis

from gan.checkpoint import export_rig_generator, generator_version, load_rig_generator
from gan.export_onnx import INPUT_NAMES, example_inputs, export, gflop_per_frame
from gan.networks.keypoints import load_keypoint_basis
from gan.networks.rig_generator import RigGenerator, generator_kwargs_for


def _generator(size: int = 256, seed: int = 0) -> tuple[RigGenerator, dict]:
    torch.manual_seed(seed)
    basis = random_basis(seed)
    kwargs = generator_kwargs_for(basis, len(EMOTIONS), size=size)
    g = RigGenerator(**kwargs)
    g.load_basis(basis)
    with torch.no_grad():  # untrained FiLM / mask layers start at zero: perturb so outputs depend on inputs
        for p in g.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return g.eval(), kwargs


def test_flop_budget_at_256() -> None:
    g, _ = _generator(256)
    gflop = gflop_per_frame(g, example_inputs(g, 2))
    assert 0.05 < gflop <= 0.4, f"{gflop:.3f} GFLOP/frame"


def test_basis_file_round_trip_and_projection(tmp_path: Path) -> None:
    basis = load_keypoint_basis(write_basis(tmp_path))
    assert basis.kept == KEPT
    g = RigGenerator(**generator_kwargs_for(basis, len(EMOTIONS), size=64))
    g.load_basis(basis)
    rng = np.random.default_rng(0)
    rig, pose = rng.uniform(0, 1, (4, len(KEPT))).astype(np.float32), rng.uniform(-10, 10, (4, 3)).astype(np.float32)
    kp = g.sketch.keypoints(torch.from_numpy(rig), torch.from_numpy(pose)).numpy() * basis.image_size
    np.testing.assert_allclose(kp, basis.project(rig, pose), atol=1e-3)


def test_malformed_basis_is_a_clear_error(tmp_path: Path) -> None:
    stem = write_basis(tmp_path)
    stem.with_suffix(".json").write_text('{"kept": []}')
    with pytest.raises(ValueError, match="malformed"):
        load_keypoint_basis(stem)
    with pytest.raises(FileNotFoundError, match="missing"):
        load_keypoint_basis(tmp_path / "nothing")


def test_sketch_peak_follows_a_moved_keypoint() -> None:
    g, _ = _generator(256)
    basis = random_basis(0)
    iris = basis.names.index("iris_l")
    c_iris = [c.name for c in basis.channels].index("iris")
    k = KEPT.index("eyeBlink")
    with torch.no_grad():  # one rig coefficient now moves the left iris 0.2 head units right
        delta = g.sketch.kp_delta.view(len(KEPT), -1, 3)
        delta[k].zero_()
        delta[k, iris] = torch.tensor([0.2, 0.0, 0.0])
    res = g.sketch.res

    def peak(rig: torch.Tensor) -> tuple[int, int]:
        sketch, kp = g.sketch(rig, torch.zeros(1, 3))
        left = sketch[0, c_iris].clone()
        left[:, res // 2 :] = 0  # the left iris only
        y, x = np.unravel_index(int(left.argmax()), left.shape)
        u, v = (kp[0, iris] * res).tolist()
        assert abs(x + 0.5 - u) <= 1.0 and abs(y + 0.5 - v) <= 1.0  # the peak sits on the keypoint
        return int(x), int(y)

    rest = torch.zeros(1, len(KEPT))
    moved = rest.clone()
    moved[0, k] = 1.0
    (x0, y0), (x1, y1) = peak(rest), peak(moved)
    expected = 0.2 * float(basis.camera[0, 0]) / 5.0 / basis.image_size * res  # f * dx / z in sketch pixels
    assert abs((x1 - x0) - expected) <= 1.0 and y1 == y0


def test_save_load_round_trip_identical(tmp_path: Path) -> None:
    g, kwargs = _generator(64)
    export_rig_generator(tmp_path / "ckpt", g, kwargs, KEPT, EMOTIONS, {"fps": 25})
    assert generator_version(tmp_path / "ckpt") == 2
    loaded = load_rig_generator(tmp_path / "ckpt")
    assert loaded.kept == KEPT and loaded.emotions == EMOTIONS
    inputs = example_inputs(g, 3)
    with torch.no_grad():
        assert torch.equal(g(*inputs), loaded.generator(*inputs))


def _first_avatar_checkpoint(folder: Path) -> Path:
    """A checkpoint folder of the first (128 px) avatar, whose code is gone: its config.json has no
    generator_version (written as that exporter wrote it; the weights file does not matter here)."""
    folder.mkdir(parents=True)
    config = {"format_version": 1, "generator": {"size": 128}, "audio2motion": {}, "identity_levels": 5, "fps": 25}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "model.safetensors").write_bytes(b"")
    return folder


def test_first_avatar_checkpoint_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    old = _first_avatar_checkpoint(tmp_path / "v1")
    assert generator_version(old) == 1
    with pytest.raises(ValueError, match="not an avatar v2 checkpoint"):
        load_rig_generator(old)


def test_onnx_export_matches_torch(tmp_path: Path) -> None:
    import onnxruntime as ort

    g, kwargs = _generator(256)
    export_rig_generator(tmp_path / "ckpt", g, kwargs, KEPT, EMOTIONS, {"fps": 25})
    info = export(load_rig_generator(tmp_path / "ckpt"), tmp_path / "onnx")
    assert info["inputs"] == list(INPUT_NAMES) and info["kept"] == list(KEPT) and info["size"] == 256
    session = ort.InferenceSession(str(tmp_path / "onnx" / "generator.onnx"), providers=["CPUExecutionProvider"])
    inputs = example_inputs(g, 5, seed=7)  # a batch size the export never saw
    got = session.run(None, {n: t.numpy() for n, t in zip(INPUT_NAMES, inputs)})[0]
    with torch.no_grad():
        want = g(*inputs).numpy()
    assert got.shape == (5, 3, 256, 256)
    assert float(np.abs(got - want).max()) <= 1e-4
    assert float(want.std()) > 1e-3  # the frames are not constant: parity means something
    ops = {node.op_type for node in __import__("onnx").load(str(tmp_path / "onnx" / "generator.onnx")).graph.node}
    assert "GridSample" not in ops


def test_actor_basis_in_graph_matches_the_actors_projection() -> None:
    """The shipped keypoint basis (per ARKit blendshape, mapped to KEPT) projects in the generator's graph
    exactly where the actor's own code puts those vertices."""
    from gan.actor.camera import Camera
    from gan.actor.keypoints import load_keypoints
    from gan.networks.keypoints import load_keypoint_basis
    from gan.rig.arkit import to_arkit
    from gan.training.config import DEFAULT_BASIS

    basis = load_keypoint_basis(DEFAULT_BASIS)
    assert basis.kept == KEPT and {c.name for c in basis.channels} >= {"lip_outer", "lip_inner", "lid", "iris"}
    g = RigGenerator(**generator_kwargs_for(basis, len(EMOTIONS)))
    g.load_basis(basis)
    actor = load_keypoints(Path(DEFAULT_BASIS).parent)
    rng = np.random.default_rng(1)
    kept = rng.uniform(0, 1, (3, len(KEPT))).astype(np.float32)
    pose = rng.uniform(-15, 15, (3, 3)).astype(np.float32)
    ours = g.sketch.keypoints(torch.from_numpy(kept), torch.from_numpy(pose)).numpy() * 256
    for i in range(3):
        theirs = actor.pixels(to_arkit(kept[i]), tuple(pose[i]), 256, Camera())
        assert np.abs(ours[i] - theirs).max() < 0.01


def test_export_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gan.export_onnx import main

    with pytest.raises(SystemExit):
        main([str(_first_avatar_checkpoint(tmp_path / "v1")), "--out", str(tmp_path / "v1_web")])
    assert "only avatar v2 checkpoints" in capsys.readouterr().err
    g, kwargs = _generator(64)
    export_rig_generator(tmp_path / "ckpt", g, kwargs, KEPT, EMOTIONS, {"fps": 25})
    main([str(tmp_path / "ckpt"), "--out", str(tmp_path / "web")])
    assert "parity max |diff|" in capsys.readouterr().out
    assert (tmp_path / "web" / "generator.onnx").is_file() and (tmp_path / "web" / "generator.json").is_file()
