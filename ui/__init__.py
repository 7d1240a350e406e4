"""The Gradio app: student view (chat, webcam mood, avatar video) and teacher view.

Public API: `build_app(services, config) -> gr.Blocks`, `main(argv)`, `Services`, `UserState`.
Imported lazily so that `ui.config` (used by every package's tests) does not load gradio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ui.app import build_app, main
    from ui.screen import UserState
    from ui.services import Services

__all__ = ["Services", "UserState", "build_app", "main"]

_LAZY = {"build_app": "ui.app", "main": "ui.app", "UserState": "ui.screen", "Services": "ui.services"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ui' has no attribute {name!r}")
