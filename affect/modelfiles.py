"""Reading shipped model files with one domain error that names the file: `ModelFileError`.

Every loader of a weight or config file in the core (`affect`, `gan`) reads through these
helpers, so a missing, truncated or garbled file stops start-up with a sentence such as
"Model file affect/weights/expression/model.safetensors is corrupt or truncated (...). Restore
it with `git checkout -- <file>` or run scripts/port_fer_model.py." instead of a traceback from
deep inside safetensors or torch. `ui/` prints that sentence and exits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import torch
    from torch import nn

T = TypeVar("T")


class ModelFileError(ValueError):
    """A model file is missing, unreadable, corrupt, or does not fit the network it is loaded into."""

    def __init__(self, path: str | Path, problem: str, fix: str = "") -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"Model file {path} {problem}." + (f" {fix}" if fix else ""))


def _require(path: Path, fix: str) -> None:
    if not path.exists():
        raise ModelFileError(path, "is missing", fix)
    if not path.is_file():
        raise ModelFileError(path, "is not a regular file", fix)


def read_json(path: str | Path, fix: str = "") -> dict[str, Any]:
    """A JSON object from a model's config file, or ModelFileError."""
    path = Path(path)
    _require(path, fix)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFileError(path, f"cannot be read as JSON ({err})", fix) from err
    if not isinstance(data, dict):
        raise ModelFileError(path, f"holds a JSON {type(data).__name__}, not an object", fix)
    return data


def read_safetensors(path: str | Path, fix: str = "") -> dict[str, torch.Tensor]:
    """All tensors of a .safetensors file, or ModelFileError (missing, truncated, not safetensors)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    _require(path, fix)
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, RuntimeError, ValueError) as err:
        raise ModelFileError(path, f"is corrupt or truncated ({err})", fix) from err


def build_config(cls: type[T], fields: dict[str, Any], path: str | Path, fix: str = "") -> T:
    """cls(**fields), with unknown/missing/invalid fields reported against the config file."""
    try:
        return cls(**fields)
    except (TypeError, ValueError) as err:
        raise ModelFileError(path, f"does not describe a valid {cls.__name__} ({err})", fix) from err


def load_state(module: nn.Module, state: dict[str, torch.Tensor], path: str | Path, fix: str = "") -> None:
    """module.load_state_dict(state, strict=True), with a mismatch reported against the weights file."""
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelFileError(path, f"does not match its network ({first})", fix) from err
