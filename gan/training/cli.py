"""Command lines from frozen config dataclasses: one `--field value` flag per field (tuples as comma lists)."""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
from typing import Any, TypeVar

T = TypeVar("T")


def config_from_argv(cls: type[T], argv: list[str] | None, description: str) -> T:
    """cls() with the fields given on the command line replaced (validated by cls.__post_init__)."""
    parser = argparse.ArgumentParser(description=description)
    defaults = cls()
    for name, value in asdict(defaults).items():  # type: ignore[call-overload]
        if isinstance(value, tuple):
            parser.add_argument(f"--{name}", type=str, default=None, help=f"comma list (default {value})")
        elif isinstance(value, bool):
            parser.add_argument(f"--{name}", type=lambda s: s.lower() in ("1", "true", "yes"), default=None,
                                help=f"true/false (default {value})")
        else:
            parser.add_argument(f"--{name}", type=type(value), default=None, help=f"default {value!r}")
    changes: dict[str, Any] = {}
    for name, raw in vars(parser.parse_args(argv)).items():
        if raw is None:
            continue
        default = getattr(defaults, name)
        changes[name] = tuple(type(default[0])(x) for x in raw.split(",")) if isinstance(default, tuple) else raw
    return replace(defaults, **changes)  # type: ignore[type-var]
