"""The conda environment and the pip package must declare the same dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _conda_dependencies() -> set[str]:
    names = set()
    in_pip = False
    in_dependencies = False
    for line in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not line.startswith(" ") and stripped.endswith(":"):
            in_dependencies = stripped == "dependencies:"
            continue
        if not in_dependencies:
            continue
        if stripped.startswith("- pip:"):
            in_pip = True
            continue
        if not stripped.startswith("- "):
            continue
        item = stripped[2:].strip()
        if in_pip or item.startswith("-e") or item in {"pip"} or item.startswith("python"):
            continue
        names.add(_name(item))
    return names


def _pyproject_dependencies() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {_name(dep) for dep in data["project"]["dependencies"]}


def test_environment_yml_lists_the_pyproject_dependencies():
    conda = _conda_dependencies()
    pip = _pyproject_dependencies()
    assert conda == pip, (
        f"only in environment.yml: {sorted(conda - pip)}; only in pyproject.toml: {sorted(pip - conda)}"
    )


def test_environment_yml_installs_the_package_itself():
    assert "-e ." in (ROOT / "environment.yml").read_text(encoding="utf-8")


def test_name_parsing_handles_extras_and_bounds():
    assert _name("dask[distributed]>=2024.1") == "dask"
    assert _name("ruptures>=1.1.9") == "ruptures"
    assert _name("jupyter_client") == "jupyter-client"
