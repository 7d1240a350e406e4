"""Deployment files: requirements.txt mirrors pyproject.toml; the Space entry point exists."""

from __future__ import annotations

import ast
import pathlib
import re
import tomllib

from packaging.requirements import Requirement

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _requirements() -> dict[str, Requirement]:
    out = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        out[req.name.lower().replace("_", "-")] = req
    return out


def test_requirements_pin_every_runtime_dependency_within_pyproject_ranges() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = _requirements()
    for spec in project["dependencies"]:
        dep = Requirement(spec)
        name = dep.name.lower().replace("_", "-")
        assert name in pinned, f"{dep.name} is in pyproject.toml but not in requirements.txt"
        pins = [s for s in pinned[name].specifier if s.operator == "=="]
        assert len(pins) == 1, f"requirements.txt must pin {dep.name} exactly"
        assert dep.specifier.contains(pins[0].version, prereleases=True), (
            f"requirements.txt pins {dep.name}=={pins[0].version}, outside pyproject's {dep.specifier}"
        )
        assert set(dep.extras) <= set(pinned[name].extras), f"{dep.name} lost its extras {dep.extras}"
    extra = set(pinned) - {Requirement(s).name.lower().replace("_", "-") for s in project["dependencies"]}
    assert not extra, f"requirements.txt has packages pyproject.toml does not declare: {extra}"


def test_space_entry_point_runs_the_same_main_and_binds_all_interfaces_on_a_space() -> None:
    source = (ROOT / "app.py").read_text()
    tree = ast.parse(source)
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert any(n.module == "ui.app" and any(a.name == "main" for a in n.names) for n in imports)
    assert "SPACE_ID" in source and "0.0.0.0" in source


def test_readme_has_a_gradio_space_header_pointing_at_app_py() -> None:
    text = (ROOT / "README.md").read_text()
    header = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert header, "README.md must start with the Space YAML header"
    fields = dict(line.split(":", 1) for line in header.group(1).splitlines() if ":" in line)
    assert fields["sdk"].strip() == "gradio"
    assert fields["app_file"].strip() == "app.py"
    assert fields["python_version"].strip().strip('"') == "3.11"
