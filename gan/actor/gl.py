"""Headless OpenGL helpers shared by the renderer and the build-time bakers."""

from __future__ import annotations

import moderngl


def headless_context() -> moderngl.Context:
    """A standalone OpenGL 3.3 context on EGL (Mesa llvmpipe on a CPU-only machine)."""
    try:
        # moderngl's stub types **settings as dict values; backend is a plain string at run time.
        return moderngl.create_standalone_context(backend="egl")  # type: ignore[arg-type]
    except Exception as err:  # moderngl raises a bare Exception when no EGL display/device exists
        raise RuntimeError(
            "No headless OpenGL 3.3 context: install Mesa's EGL (libegl1, libgl1-mesa-dri) for llvmpipe."
        ) from err


def uniform(program: moderngl.Program, name: str) -> moderngl.Uniform:
    """The uniform `name` of `program` (KeyError if the shader has none, e.g. optimised away)."""
    member = program[name]
    if not isinstance(member, moderngl.Uniform):
        raise KeyError(f"{name!r} is not a uniform of this shader program.")
    return member
