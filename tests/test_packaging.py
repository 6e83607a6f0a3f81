"""The package works where it is installed, not only in an editable checkout.

Builds an sdist from a copy of the repository, a wheel from that sdist (so MANIFEST.in and the build
step in setup.py are both exercised), installs the wheel without network into a folder with
``pip install --no-deps --no-index --target``, and runs ``rvs`` from a folder outside the
repository with only that folder (and the test environment's dependencies) on the path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from rvs_analysis.report.registry import report_specs

REPO_ROOT = Path(__file__).resolve().parents[1]

_IGNORED = {
    ".git",
    ".venv",
    "outputs",
    "build",
    "dist",
    "tests",
    "benchmarks",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".ipynb_checkpoints",
    "_product",
}


def _ignore(folder: str, names: list[str]) -> set[str]:
    ignored = {name for name in names if name in _IGNORED or name.endswith(".egg-info")}
    if Path(folder).resolve() == (REPO_ROOT / "data").resolve():
        ignored |= {"raw", "regional"}
    return ignored


def _run(command: list[str], cwd: Path, env: dict | None = None, timeout: float = 180):
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} failed ({result.returncode}):\n{result.stdout}\n"
        f"{result.stderr}"
    )
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A wheel built from an sdist of the repository, installed into a fresh --target folder."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(REPO_ROOT, source, ignore=_ignore, symlinks=True)
    dist = work / "dist"
    _run(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools import build_meta; "
            "print(build_meta.build_sdist(sys.argv[1]))",
            str(dist),
        ],
        cwd=source,
    )
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert any(name.endswith("data/regions/municipalities.csv") for name in names)
    assert not any("/data/raw/" in name for name in names)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--wheel-dir",
            str(dist),
            str(sdist),
        ],
        cwd=work,
    )
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        members = set(archive.namelist())
    product = "rvs_analysis/_product/"
    for required in (
        "data/regions/municipalities.csv",
        "data/regions/mergers.csv",
        "data/regions/national_changes.csv",
        "data/strategies/rvs-2015-2018/targets.csv",
        "data/strategies/rvs-2023-2026/strategy.toml",
        "data/crime_change_classification.csv",
        "data/demo/registered_crime.csv",
        "data/templates/cleared_offences.csv",
        *(f"notebooks/{spec.stem}.ipynb" for spec in report_specs() if spec.folder is None),
        "notebooks/masterclass/01_van_cbs_tabel_naar_districtscijfer.ipynb",
    ):
        assert product + required in members, f"{required} is not in the wheel"
    assert not any(name.startswith(product + "data/raw") for name in members)
    target = work / "target"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        cwd=work,
    )
    return target


def _outside_env(target: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(target)
    env.pop("PYTHONHOME", None)
    return env


def test_installed_package_reads_its_own_files_from_outside_the_repository(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _outside_env(installed)
    probe = _run(
        [
            sys.executable,
            "-c",
            "import rvs_analysis, rvs_analysis.resources as r, rvs_analysis.regions as g; "
            "print(rvs_analysis.__file__); print(r.product_root()); print(r.checkout_root()); "
            "print(len(g.municipalities(2017)))",
        ],
        cwd=elsewhere,
        env=env,
    )
    module, root, checkout, count = probe.stdout.split()
    assert Path(module).is_relative_to(installed)
    assert Path(root) == installed / "rvs_analysis" / "_product"
    assert checkout == "None" and count == "39"

    table = _run(
        [
            str(installed / "bin" / "rvs"),
            "table",
            "--source",
            "demo",
            "--offence",
            "1.1.1",
            "--level",
            "district",
            "--years",
            "2015-2016",
            "--rate",
        ],
        cwd=elsewhere,
        env=env,
    )
    lines = table.stdout.strip().splitlines()
    assert lines[0].startswith("area,year,registered_offences,population,rate_per_1000")
    assert len(lines) == 1 + 5 * 2
    assert lines[1].startswith("Flevoland,2015,")
    assert not (elsewhere / "data").exists(), "rvs table wrote into the working directory"


def test_installed_package_renders_the_reports_from_outside_the_repository(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "reports"
    _run(
        [
            str(installed / "bin" / "rvs"),
            "render",
            "--source",
            "demo",
            "--areas",
            "Flevoland",
            "--jobs",
            "1",
            "--out",
            str(out),
            "--progress",
            "lines",
        ],
        cwd=elsewhere,
        env=_outside_env(installed),
        timeout=300,
    )
    import json

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    reports = manifest["reports"]
    notebooks = sorted({Path(report["notebook"]).stem for report in reports})
    # The installed package renders the product's own reports: every registry line of notebooks/.
    assert notebooks == sorted(spec.stem for spec in report_specs() if spec.folder is None)
    assert {report["status"] for report in reports} == {"ok"}
    assert (out / "index.html").is_file()
    assert len(list(out.rglob("*.html"))) >= 1 + len(notebooks)
    assert not any(elsewhere.iterdir()), "rvs render wrote into the working directory"


def test_the_version_has_one_home_in_pyproject():
    """Issue 30 item 9: the package reports the version pyproject.toml declares; no second copy."""
    import tomllib

    import rvs_analysis

    root = Path(__file__).resolve().parents[1]
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    assert rvs_analysis.__version__ == declared
    assert declared not in (root / "rvs_analysis" / "__init__.py").read_text()
