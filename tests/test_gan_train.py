"""Training on a tiny actor dataset: loss goes down, checkpoints resume, exports round-trip exactly,
and two DDP processes (gloo, CPU) keep identical replicas."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from gan.checkpoint import load_inference, load_training
from gan.data.build import build_dataset
from gan.networks import AudioToMotion
from gan.training.export import export_run
from gan.training.pretrain import train_audio2motion, train_sync_expert
from gan.training.train import TrainConfig, config_from_args, run_training, train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real actor frames + real TTS speech, a few dozen frames (~10 s to build)."""
    out = tmp_path_factory.mktemp("gan_data")
    build_dataset(out, n_still=10, n_speaking=1, n_speech_only=2, size=128, seed=0)
    build_dataset(out, n_still=3, n_speaking=0, n_speech_only=0, size=128, seed=0, test=True)
    return out


def _l1s(run: Path) -> list[float]:
    return [json.loads(line)["l1"] for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_tiny_training_lowers_loss_and_writes_run(data_dir: Path, tmp_path: Path) -> None:
    cfg = replace(TrainConfig.tiny(str(data_dir), str(tmp_path / "run")), steps=14, adv_start=100, lr_g=3e-3)
    run = train(cfg)
    l1 = _l1s(run)
    assert len(l1) == 14
    assert np.mean(l1[-3:]) < 0.8 * np.mean(l1[:3])
    assert json.loads((run / "config.json").read_text())["steps"] == 14
    assert list((run / "samples").glob("*.png"))
    assert load_training(run / "checkpoint.pt")["step"] == 14


def test_resume_continues_from_checkpoint(data_dir: Path, tmp_path: Path) -> None:
    cfg = TrainConfig.tiny(str(data_dir), str(tmp_path / "run"))
    train(replace(cfg, steps=3))
    state3 = load_training(tmp_path / "run" / "checkpoint.pt")
    _, models = run_training(replace(cfg, steps=5))  # resumes at step 3, runs 2 more
    assert load_training(tmp_path / "run" / "checkpoint.pt")["step"] == 5
    assert [json.loads(x)["step"] for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()] == [
        1,
        2,
        3,
        4,
        5,
    ]
    # the resumed G started from the step-3 weights, not from scratch
    w3 = state3["G"]["generator.mapping.0.weight"]
    w5 = models.g.state_dict()["generator.mapping.0.weight"]
    fresh = run_training(replace(cfg, run_dir=str(tmp_path / "fresh"), steps=2))[1].g.state_dict()
    assert (w5 - w3).abs().mean() < (w5 - fresh["generator.mapping.0.weight"]).abs().mean()


def test_export_round_trip_is_exact(data_dir: Path, tmp_path: Path) -> None:
    run = train(TrainConfig.tiny(str(data_dir), str(tmp_path / "run")))
    a2m_path = tmp_path / "a2m.pt"
    torch.save(AudioToMotion().state_dict(), a2m_path)
    out = export_run(run, a2m_path, tmp_path / "export")
    m1, m2 = load_inference(out), load_inference(out)
    motion, emo, inten = torch.rand(3, 9) * 2 - 1, torch.softmax(torch.randn(3, 5), 1), torch.rand(3, 1)
    with torch.no_grad():
        a = m1.generator(m1.identity, motion, emo, inten)
        b = m2.generator(m2.identity, motion, emo, inten)
    assert torch.equal(a, b)
    state = load_training(run / "checkpoint.pt")
    from gan.training.export import config_from_checkpoint
    from gan.training.train import AvatarGenerator

    g = AvatarGenerator(config_from_checkpoint(state))
    g.load_state_dict(state["G_ema"])
    from gan.data.dataset import load_shards
    from gan.images import frames_to_tensor

    ref = frames_to_tensor(load_shards(data_dir, "seq")["reference"][0])[None]
    with torch.no_grad():
        c = g.eval()(ref, motion, emo, inten)
    assert torch.equal(a, c)  # the export is the EMA generator, bit for bit


def test_pretraining_runs(data_dir: Path, tmp_path: Path) -> None:
    sync = train_sync_expert(str(data_dir), str(tmp_path / "sync.pt"), steps=3, batch_size=4)
    a2m = train_audio2motion(str(data_dir), str(tmp_path / "a2m.pt"), steps=3, batch_size=2)
    assert 0.0 <= sync["test_acc"] <= 1.0 and a2m["steps"] == 3
    assert (tmp_path / "sync.pt").is_file() and (tmp_path / "a2m.pt").is_file()


def test_config_validation_and_cli() -> None:
    with pytest.raises(ValueError, match="adv"):
        TrainConfig(adv="wasserstein")
    with pytest.raises(ValueError, match="size"):
        TrainConfig(size=100)
    cfg = config_from_args(["--steps", "7", "--channels", "8,8,8,8", "--lr_g", "0.01"])
    assert cfg.steps == 7 and cfg.channels == (8, 8, 8, 8) and cfg.lr_g == 0.01


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ddp_worker(rank: int, world: int, port: int, cfg: TrainConfig, out: str) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world), RANK=str(rank), LOCAL_RANK=str(rank)
    )
    _, models = run_training(cfg)
    flat = torch.cat([p.detach().flatten() for p in models.g.module.parameters()])
    flat_d = torch.cat([p.detach().flatten() for p in models.d_patch.module.parameters()])
    torch.save(
        {"g": flat, "d": flat_d, "ema": torch.cat([p.flatten() for p in models.g_ema.parameters()])},
        f"{out}/rank{rank}.pt",
    )
    torch.distributed.destroy_process_group()


def test_ddp_two_cpu_processes_agree(data_dir: Path, tmp_path: Path) -> None:
    cfg = replace(TrainConfig.tiny(str(data_dir), str(tmp_path / "run")), steps=4)
    mp.spawn(_ddp_worker, args=(2, _free_port(), cfg, str(tmp_path)), nprocs=2, join=True)
    r0, r1 = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    for key in ("g", "d", "ema"):
        assert torch.allclose(r0[key], r1[key], atol=1e-6), key
    init = run_training(replace(cfg, run_dir=str(tmp_path / "init"), steps=1, lr_g=0.0, lr_d=0.0))[1]
    g0 = torch.cat([p.detach().flatten() for p in init.g.parameters()])
    assert not torch.allclose(r0["g"], g0)  # they trained (and agree), not merely stayed at init
    assert load_training(tmp_path / "run" / "checkpoint.pt")["step"] == 4
