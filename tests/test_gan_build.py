"""The v2 corpus builder: real actor renders, the agreed file format, resumability, determinism."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from gan.actor.render import HeadRenderer
from gan.data.build import SENTENCES_PATH, ActorCorpusConfig, CorpusBuilder, plan_clip
from gan.rig.arkit import KEPT
from gan.rig.expressions import EXPRESSIONS, ExpressionTable


@pytest.fixture(scope="module")
def renderer() -> HeadRenderer:
    return HeadRenderer()  # one GL context for the module


def _config(out: Path, **kw: object) -> ActorCorpusConfig:
    base = ActorCorpusConfig(out_dir=str(out), n_train=2, n_test=1, kind_shares=(0.0, 0.5, 0.5),
                          silent_seconds=(0.3, 0.5))
    return dataclasses.replace(base, **kw)


def test_plans_are_deterministic_and_held_out_sentences_never_train() -> None:
    sentences = json.loads(SENTENCES_PATH.read_text())
    avatar = ExpressionTable.load().avatar
    cfg = ActorCorpusConfig(kind_shares=(1.0, 0.0, 0.0))
    train = [plan_clip(cfg, "train", i, avatar, sentences) for i in range(40)]
    assert train == [plan_clip(cfg, "train", i, avatar, sentences) for i in range(40)]
    test = [plan_clip(cfg, "test", i, avatar, sentences) for i in range(10)]
    assert not {p.text for p in train} & {p.text for p in test}
    assert all(p.kind == "speech" and p.text and 0.35 <= p.intensity <= 1.0 for p in train)
    assert len({json.dumps(p.emotion, sort_keys=True) for p in train}) > 5  # varied emotions
    with pytest.raises(ValueError, match="split"):
        plan_clip(cfg, "valid", 0, avatar, sentences)


def test_builder_writes_the_agreed_format_and_resumes(tmp_path: Path, renderer: HeadRenderer) -> None:
    builder = CorpusBuilder(_config(tmp_path), renderer)
    stats = builder.build(progress=False)
    assert stats["written"] == 3 and stats["frames"] > 0 and stats["render_fps"] > 0
    files = sorted(p.name for p in tmp_path.glob("*.npz"))
    assert files == ["seq_0000.npz", "seq_0001.npz", "test_seq_0000.npz"]
    d = np.load(tmp_path / "seq_0000.npz")
    t = len(d["frames"])
    assert d["frames"].shape == (t, 256, 256, 3) and d["frames"].dtype == np.uint8
    assert d["rig"].shape == (t, len(KEPT)) and d["rig"].dtype == np.float32
    assert d["pose"].shape == (t, 3) and d["emotion"].shape == (t, len(EXPRESSIONS))
    assert d["intensity"].shape == (t,) and d["speaking"].dtype == bool and d["seq"].dtype == np.int32
    assert d["mel"].shape == (t, 16, 80) and d["mel"].dtype == np.float16
    assert list(d["kept"]) == list(KEPT) and list(d["emotions"]) == list(EXPRESSIONS)
    assert d["reference"].shape == (1, 256, 256, 3) and str(d["kind"]) in ("silent", "idle")
    assert d["frames"].std() > 5  # a rendered face, not a blank
    again = CorpusBuilder(_config(tmp_path, n_train=3), renderer).build(progress=False)
    assert again["skipped"] == 3 and again["written"] == 1  # grows without re-rendering
    with pytest.raises(ValueError, match="another configuration"):
        CorpusBuilder(_config(tmp_path, seed=5), renderer).build(progress=False)


def test_speech_clip_has_audio_mel_and_speaking_frames(tmp_path: Path, renderer: HeadRenderer) -> None:
    cfg = _config(tmp_path, n_train=1, n_test=0, kind_shares=(1.0, 0.0, 0.0), length_scale=(0.8, 0.8))
    builder = CorpusBuilder(cfg, renderer)
    plan = builder.plans()[0]
    arrays, _ = builder.render_clip(plan)
    t = len(arrays["frames"])
    assert str(arrays["kind"]) == "speech" and str(arrays["text"]) == plan.text
    assert arrays["speaking"].mean() > 0.4 and not arrays["speaking"][-3:].any()  # mouth rests after speech
    assert abs(len(arrays["audio"]) / 16000 - t / cfg.fps) < 0.05
    assert float(arrays["mel"].astype(np.float32)[arrays["speaking"]].mean()) > float(
        arrays["mel"].astype(np.float32)[-1].mean()) + 0.5  # speech frames carry energy


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="kind_shares"):
        ActorCorpusConfig(kind_shares=(0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="intensity"):
        ActorCorpusConfig(intensity=(0.5, 1.5))
