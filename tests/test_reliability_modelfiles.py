"""A missing or corrupt model file stops start-up with a clear error naming the file.

Loader level: every shipped-weights loader raises `affect.modelfiles.ModelFileError` (a
ValueError) whose message names the broken file, for a missing file, a truncated or garbage
safetensors file, broken JSON, and weights that do not fit the network. App level: `python -m
ui.app` with a corrupt weights folder exits with status 2 and one sentence naming the file, no
traceback.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import reliability_helpers as rh
from reliability_helpers import ROOT, require_avatar, require_text_affect

from affect.modelfiles import ModelFileError

EXPRESSION = ROOT / "affect" / "weights" / "expression"
TEXT = ROOT / "affect" / "weights" / "text"


def _break(folder: Path, how: str) -> Path:
    """Damage one file of a copied weights folder; returns the damaged file."""
    weights, config = folder / "model.safetensors", folder / "config.json"
    if how == "missing weights":
        weights.unlink()
        return weights
    if how == "missing config":
        config.unlink()
        return config
    if how == "truncated weights":
        data = weights.read_bytes()
        weights.write_bytes(data[: len(data) // 2])
        return weights
    if how == "garbage weights":
        weights.write_bytes(os.urandom(4096))
        return weights
    if how == "empty weights":
        weights.write_bytes(b"")
        return weights
    if how == "broken config":
        config.write_text('{"labels": [')
        return config
    if how == "wrong tensors":
        import torch
        from safetensors.torch import save_file

        save_file({"nonsense.weight": torch.zeros(3)}, str(weights))
        return weights
    raise AssertionError(how)


CASES = ["missing weights", "missing config", "truncated weights", "garbage weights", "empty weights",
         "broken config", "wrong tensors"]  # fmt: skip


def _expect_clear_error(load: Callable[[Path], Any], shipped: Path, how: str, tmp_path: Path) -> None:
    folder = tmp_path / "weights"
    shutil.copytree(shipped, folder)
    broken = _break(folder, how)
    with pytest.raises(ModelFileError) as info:
        load(folder)
    assert str(broken) in str(info.value) and info.value.path == str(broken), str(info.value)
    assert len(str(info.value)) < 600  # one readable sentence, not a dump


@pytest.mark.parametrize("how", CASES)
def test_expression_weights(how: str, tmp_path: Path) -> None:
    from affect.expression import ExpressionClassifier

    _expect_clear_error(ExpressionClassifier.load, EXPRESSION, how, tmp_path)


@pytest.mark.parametrize("how", CASES)
def test_text_head_weights(how: str, tmp_path: Path) -> None:
    require_text_affect()
    from affect.config import TextAffectConfig
    from affect.text import TextAffect

    def load(folder: Path) -> Any:
        return TextAffect.load(TextAffectConfig(weights_dir=str(folder)))

    _expect_clear_error(load, rh.TEXT_WEIGHTS.parent, how, tmp_path)


@pytest.mark.parametrize("how", CASES)
def test_avatar_checkpoint(how: str, tmp_path: Path) -> None:
    require_avatar()
    from gan.pipeline import TalkingHeadPipeline

    def load(folder: Path) -> Any:
        return TalkingHeadPipeline.from_pretrained(folder, load_voice=False)

    _expect_clear_error(load, rh.AVATAR_WEIGHTS.parent, how, tmp_path)


@pytest.mark.slow
def test_the_app_refuses_to_start_and_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m ui.app` (its main(), in this process to reuse the imports) with a truncated
    expression model: exit status 2 and one sentence naming the file, no traceback."""
    require_text_affect()
    require_avatar()
    from ui.app import main

    folder = tmp_path / "expression"
    shutil.copytree(EXPRESSION, folder)
    broken = _break(folder, "truncated weights")
    argv = ["--affect.face.weights_dir", str(folder), "--affect.text.weights_dir", str(rh.TEXT_WEIGHTS.parent),
            "--avatar.checkpoint_dir", str(rh.AVATAR_WEIGHTS.parent), "--tutor.data_dir", str(tmp_path / "data"),
            "--server.port", "7999"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err[-2000:]
    assert str(broken) in err and "cannot start" in err
    assert "Traceback" not in err, err[-2000:]
