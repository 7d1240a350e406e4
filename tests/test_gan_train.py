"""Avatar v2 training on tiny synthetic shards (real format, keypoint-drawn frames): the loop learns,
writes its run folder, resumes from its step, exports a loadable EMA checkpoint; the corpus cache."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from gan_fixtures import EMOTIONS, KEPT, random_basis, write_basis, write_shards

from gan.checkpoint import load_rig_generator, load_training
from gan.data.rig_corpus import RigCorpus, RigTriplets
from gan.training.config import TrainConfig
from gan.training.train import train

pytestmark = pytest.mark.slow


@pytest.fixture()
def setup(tmp_path: Path) -> tuple[Path, Path]:
    basis = write_basis(tmp_path, image_size=256)
    write_shards(tmp_path / "data", random_basis(0), size=64, n_seq=3, length=8)
    write_shards(tmp_path / "data", random_basis(0), size=64, n_seq=1, length=5, prefix="test_seq", seed=1)
    return tmp_path / "data", basis


def _metrics(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]


def test_tiny_run_learns_and_writes_everything(setup: tuple[Path, Path], tmp_path: Path) -> None:
    data, basis = setup
    cfg = replace(TrainConfig.tiny(str(data), str(tmp_path / "run"), str(basis)), steps=14, adv_start=10,
                  lr_g=3e-3, w_sync=0.3, sync_steps=3)
    run, models = train(cfg)
    rows = _metrics(run)
    assert [r["step"] for r in rows] == list(range(1, 15))
    assert np.mean([r["l1"] for r in rows[-3:]]) < 0.8 * np.mean([r["l1"] for r in rows[:3]])
    assert "d_loss" in rows[-1] and "sync" in {k for r in rows for k in r}  # critics and sync expert took part
    assert list((run / "samples").glob("*.png")) and (run / "sync_expert.pt").is_file()
    scores = [json.loads(x) for x in (run / "samples" / "scores.jsonl").read_text().splitlines()]
    assert scores[-1]["step"] == 14 and scores[-1]["sheet"] == "held out" and scores[-1]["sheet_psnr"] > 5
    assert load_training(run / "checkpoint.pt")["step"] == 14
    ema = load_rig_generator(run / "avatar")  # the small inference export: EMA weights, same outputs
    assert ema.config["trained_steps"] == 14 and ema.config["generator_version"] == 2
    x = (torch.rand(2, len(KEPT)), torch.zeros(2, 3), torch.full((2, len(EMOTIONS)), 1 / len(EMOTIONS)),
         torch.ones(2, 1))
    with torch.no_grad():
        assert torch.equal(ema.generator(*x), models.g_ema(*x))
    assert "step 14" in (run / "train.log").read_text()


def test_resume_continues_from_the_step(setup: tuple[Path, Path], tmp_path: Path) -> None:
    data, basis = setup
    cfg = TrainConfig.tiny(str(data), str(tmp_path / "run"), str(basis))
    train(replace(cfg, steps=3))
    w3 = load_training(tmp_path / "run" / "checkpoint.pt")["G"]["mapping.0.weight"]
    _, models = train(replace(cfg, steps=5, basis=str(tmp_path / "gone")))  # resumes without the basis file
    assert load_training(tmp_path / "run" / "checkpoint.pt")["step"] == 5
    assert [r["step"] for r in _metrics(tmp_path / "run")] == [1, 2, 3, 4, 5]
    w5 = models.g.state_dict()["mapping.0.weight"]
    fresh_drift = (w5 - w3).abs().max()
    assert 0 < float(fresh_drift) < 0.1  # two more small steps from the step-3 weights, not a new start


def test_corpus_cache_grows_with_new_shards(setup: tuple[Path, Path], tmp_path: Path) -> None:
    data, _ = setup
    cache = tmp_path / "cache"
    first = RigCorpus(data, "seq", cache)
    assert len(first) == 24 and len(RigTriplets(first)) == 3 * 6
    old = np.array(first.frames)
    write_shards(data, random_basis(0), size=64, n_seq=1, length=8, seed=5, start=3)  # seq_0003 is new
    with (cache / "seq_frames.u8").open("ab") as f:
        f.write(b"half-written")  # a run killed mid-append leaves a tail
    grown = RigCorpus(data, "seq", cache)
    assert len(grown) == 32 and np.array_equal(np.array(grown.frames[:24]), old)
    with np.load(data / "seq_0003.npz") as shard:
        assert np.array_equal(np.array(grown.frames[24:]), shard["frames"])
        assert np.array_equal(grown.arrays["rig"][24:], shard["rig"])
    write_shards(data, random_basis(0), size=64, n_seq=1, length=8, seed=6, start=0)  # rewritten in place
    with pytest.raises(ValueError, match="delete the cache"):
        RigCorpus(data, "seq", cache)


def test_mismatched_basis_is_a_clear_error(setup: tuple[Path, Path], tmp_path: Path) -> None:
    data, _ = setup
    from gan.networks.keypoints import save_keypoint_basis

    other = replace(random_basis(0), kept=tuple(f"c{i}" for i in range(len(KEPT))))
    save_keypoint_basis(other, tmp_path / "other")
    with pytest.raises(ValueError, match="rig columns"):
        train(TrainConfig.tiny(str(data), str(tmp_path / "run"), str(tmp_path / "other")))


def test_new_machine_starts_from_the_committed_ema_export(setup: tuple[Path, Path], tmp_path: Path) -> None:
    data, basis = setup
    cfg = TrainConfig.tiny(str(data), str(tmp_path / "run"), str(basis))
    _, first = train(replace(cfg, steps=3))
    # only the small EMA export travels (no checkpoint.pt, no basis file on the new machine's run)
    cfg2 = replace(cfg, run_dir=str(tmp_path / "run2"), init_from=str(tmp_path / "run" / "avatar"), steps=1,
                   lr_g=1e-12, lr_d=1e-12, basis=str(tmp_path / "gone"))
    _, second = train(cfg2)
    for (name, a), b in zip(first.g_ema.state_dict().items(), second.g.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name


def test_retarget_keeps_the_decoder_and_takes_the_new_basis(setup: tuple[Path, Path], tmp_path: Path) -> None:
    data, basis = setup
    cfg = TrainConfig.tiny(str(data), str(tmp_path / "run"), str(basis))
    _, first = train(replace(cfg, steps=2))
    new_basis = write_basis(tmp_path / "new_camera", seed=3)  # the actor moved the camera
    _, second = train(replace(cfg, run_dir=str(tmp_path / "run2"), init_from=str(tmp_path / "run" / "avatar"),
                                 retarget=True, basis=str(new_basis), steps=1, lr_g=1e-12, lr_d=1e-12))
    want = torch.from_numpy(random_basis(3).kp_delta.reshape(len(KEPT), -1))
    assert torch.allclose(second.g.sketch.kp_delta, want)
    assert torch.allclose(second.g.state_dict()["low.0.conv.weight"], first.g_ema.state_dict()["low.0.conv.weight"],
                          atol=1e-6)
