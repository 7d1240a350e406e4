"""Foundation: the core packages stay UI-free, configs parse, the shared affect type validates."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

from affect.types import AVATAR_EMOTIONS, BASIC_EMOTIONS, LEARNER_STATES, AffectEstimate
from ui.config import AppConfig, load_config

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORE = ("tutor", "affect", "gan")


def _imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", CORE)
def test_core_source_never_imports_gradio(package: str) -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / package).rglob("*.py")
        if "gradio" in _imported_modules(p) or "gradio_client" in _imported_modules(p)
    ]
    assert offenders == [], f"core package imports gradio: {offenders}"


@pytest.mark.slow
def test_importing_every_core_module_loads_no_gradio() -> None:
    # Also catches indirect imports (a core module importing a helper that imports gradio).
    code = (
        "import importlib, pkgutil, sys\n"
        f"for pkg in {CORE!r}:\n"
        "    mod = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(mod.__path__, pkg + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('gradio', 'gradio_client'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def test_label_sets_are_the_documented_ones() -> None:
    assert LEARNER_STATES == ("engaged", "confused", "frustrated", "bored", "anxious", "delighted", "neutral")
    assert BASIC_EMOTIONS == ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")
    assert AVATAR_EMOTIONS == ("neutral", "happy", "encouraging", "concerned", "surprised", "thinking")


def test_affect_estimate_label_is_argmax_and_round_trips() -> None:
    est = AffectEstimate.from_scores(
        {"confused": 3.0, "engaged": 1.0}, valence=-0.2, arousal=0.5, confidence=0.8, source="text"
    )
    assert est.label == "confused"
    assert abs(sum(est.scores.values()) - 1.0) < 1e-9
    assert AffectEstimate.from_dict(est.to_dict()) == est


@pytest.mark.parametrize(
    "kwargs",
    [
        {"valence": 2.0},
        {"arousal": -0.1},
        {"confidence": 1.5},
        {"source": "webcam"},
    ],
)
def test_affect_estimate_rejects_out_of_range(kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {"valence": 0.0, "arousal": 0.0, "confidence": 0.5, "source": "text"}
    base.update(kwargs)
    with pytest.raises(ValueError):
        AffectEstimate(scores={s: 1 / 7 for s in LEARNER_STATES}, **base)  # type: ignore[arg-type]


def test_affect_estimate_rejects_bad_scores() -> None:
    with pytest.raises(ValueError, match="keys"):
        AffectEstimate(scores={"happy": 1.0}, valence=0, arousal=0, confidence=0, source="text")
    with pytest.raises(ValueError, match="sum to 1"):
        AffectEstimate(scores={s: 1.0 for s in LEARNER_STATES}, valence=0, arousal=0, confidence=0, source="text")
    with pytest.raises(ValueError, match="argmax"):
        AffectEstimate(
            scores={s: (1.0 if s == "bored" else 0.0) for s in LEARNER_STATES},
            valence=0,
            arousal=0,
            confidence=0,
            source="text",
            label="engaged",
        )


def test_config_defaults_env_and_cli_precedence() -> None:
    assert load_config([], env={}) == AppConfig()
    cfg = load_config(
        ["--server.port", "7999", "--tutor.db_url", "sqlite:///cli.db"],
        env={"TUTOR_DB_URL": "sqlite:///env.db", "TUTOR_TEACHER_PASSWORD": "s3cret", "TUTOR_PORT": "7001"},
    )
    assert cfg.tutor.db_url == "sqlite:///cli.db"  # CLI beats env
    assert cfg.server.port == 7999
    assert cfg.server.teacher_password == "s3cret"  # env applies where the CLI is silent
    assert load_config([], env={"TUTOR_DB_URL": "postgresql://u@h/db"}).tutor.db_url == "postgresql://u@h/db"


def test_config_rejects_bad_values_with_clear_errors() -> None:
    with pytest.raises(ValueError, match="expects int"):
        load_config(["--server.port", "eighty"], env={})
    with pytest.raises(ValueError, match="port"):
        load_config([], env={"TUTOR_PORT": "70000"})
    with pytest.raises(ValueError, match="max_side"):
        load_config(["--affect.face.max_side", "3"], env={})


def test_default_db_is_sqlite_under_the_data_folder() -> None:
    cfg = load_config([], env={})
    assert cfg.tutor.resolved_db_url().startswith("sqlite:///")
    assert cfg.tutor.resolved_db_url().endswith("tutor.db")


@pytest.mark.slow
def test_avatar_inference_never_imports_training_or_dataset_building() -> None:
    # Issue 14's layout rule: loading the avatar and rendering a clip pulls in no training loop,
    # no corpus builder, no dataset code and not the 3D actor (they drag in data-only dependencies,
    # OpenGL among them, and slow the app's start).
    code = (
        "import sys\n"
        "from gan import TalkingHeadPipeline\n"
        "pipe = TalkingHeadPipeline.from_pretrained()\n"
        "pipe.react('happy', seconds=0.3)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('gan.training', 'gan.data', 'gan.eval', 'gan.actor')))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
