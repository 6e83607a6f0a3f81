"""Issue 30's acceptance test for the registry: a fifth report is a notebook, a chapter module and
one registry line, and nothing else has to change.

The fifth report is a copy of ``crime_change`` under a new stem in a folder of its own, using the
crime change chapter module; its registry line comes from an installed package's entry point
(group ``rvs_analysis.reports``), which every process sees: this one, the renderer's kernels and a
second pytest run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rvs_analysis.cli import main
from rvs_analysis.report import registry

ROOT = Path(__file__).resolve().parents[1]
STEM = "wijk_change"
TITLE = "Verandering van criminaliteit per wijk"


@pytest.fixture
def fifth(tmp_path, monkeypatch):
    """The copied notebook and a package declaring its registry line, on the path of this process
    and (through PYTHONPATH) of every process it starts."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    text = (ROOT / "notebooks" / "crime_change.ipynb").read_text(encoding="utf-8")
    text = text.replace('notebook=\\"crime_change\\"', f'notebook=\\"{STEM}\\"')
    text = text.replace(
        "# Verandering van criminaliteit: van zichtbaar naar minder zichtbaar", f"# {TITLE}"
    )
    assert STEM in text and TITLE in text
    (notebooks / f"{STEM}.ipynb").write_text(text, encoding="utf-8")

    site = tmp_path / "site"
    (site / "fifth_report-1.0.dist-info").mkdir(parents=True)
    (site / "fifth_report-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fifth-report\nVersion: 1.0\n", encoding="utf-8"
    )
    (site / "fifth_report-1.0.dist-info" / "entry_points.txt").write_text(
        f"[{registry.ENTRY_POINT_GROUP}]\n{STEM} = fifth_report:SPEC\n", encoding="utf-8"
    )
    (site / "fifth_report.py").write_text(
        "from rvs_analysis.report.registry import ReportSpec\n\n"
        f"SPEC = ReportSpec(stem={STEM!r}, chapter='rvs_analysis.report.chapters.crime_change',\n"
        f"                  title={TITLE!r}, folder={str(notebooks)!r})\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    )
    monkeypatch.setattr(registry, "_FROM_ENTRY_POINTS", None)  # read the entry points again
    yield notebooks / f"{STEM}.ipynb"
    sys.modules.pop("fifth_report", None)


@pytest.mark.slow
def test_a_fifth_report_renders_and_is_on_the_index(fifth, tmp_path):
    spec = registry.spec_for(STEM)
    assert spec is not None and spec.path == fifth and spec.title == TITLE
    out = tmp_path / "out"
    argv = [
        "render",
        "--notebooks",
        f"{fifth},strategy_monitor",
        "--level",
        "region",
        "--jobs",
        "1",
    ]
    assert main([*argv, "--out", str(out), "--progress", "lines"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    entry = next(r for r in manifest["reports"] if Path(r["notebook"]).stem == STEM)
    assert entry["status"] == "ok", entry["error"]
    summary = json.loads((out / entry["summary"]).read_text(encoding="utf-8"))
    assert summary["notebook"] == STEM and summary["estimates"]["crime_change_trend_ratio"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert TITLE in index and f"{STEM}.html" in index
    # The monitor still words the key message; the fifth report is not flagged for it.
    assert 'class="key-message"' in index


PARAMETRISED = [
    "tests/report/test_registry.py",
    "tests/test_notebooks.py",
    "tests/test_report_year.py",
    "tests/test_fetch_render.py",
]


COLLECTED_BEFORE_SELECTION = """
import os

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    # before -m and -k deselect: every test the files have, run or not
    with open(os.environ["FIFTH_REPORT_COLLECTED"], "w", encoding="utf-8") as listing:
        listing.write("\\n".join(item.nodeid for item in items))
"""
"""A pytest plugin for the second run: it writes every collected test id to a file."""


@pytest.mark.slow
def test_a_fifth_report_is_covered_by_the_parametrised_tests(fifth, tmp_path, monkeypatch):
    """A second pytest run sees the registry line: every test that goes over the reports has a
    case for the fifth, and the quick ones pass on it. One run: a plugin lists every test it
    collected (before selection), then it runs the quick ones."""
    (fifth.parents[1] / "site" / "fifth_collected.py").write_text(
        COLLECTED_BEFORE_SELECTION, encoding="utf-8"
    )
    listing = tmp_path / "collected.txt"
    monkeypatch.setenv("FIFTH_REPORT_COLLECTED", str(listing))
    run = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", "-q"]
    quick = subprocess.run(
        [*run, "-p", "fifth_collected", "-rA", "-n", "0", "-m", "not slow",
         "-k", f"{STEM} or every_line_a_notebook", *PARAMETRISED],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert quick.returncode == 0, quick.stdout + quick.stderr
    collected = listing.read_text(encoding="utf-8").splitlines()
    assert {line.split("::")[0] for line in collected} == set(PARAMETRISED)
    ids = [line for line in collected if f"[{STEM}]" in line]
    covered = {line.split("::")[1].split("[")[0] for line in ids}
    assert {
        "test_every_registered_chapter_keeps_the_chapter_protocol",
        "test_the_registry_title_is_the_notebooks_heading",
        "test_the_notebook_starts_under_its_own_name_and_uses_its_chapter_module",
        "test_the_notebook_leaves_the_report_year_to_the_context",
        "test_report_notebook_is_committed_clean_and_thin",
        "test_parameters_cell_comes_first_with_the_common_parameters",
        "test_demo_reports_show_banner_significance_wording_and_methods",
        "test_real_extract_runs_where_inputs_exist_and_skips_otherwise",
        "test_every_report_notebook_declares_report_year_defaulting_to_none",
    } <= covered
    passed = [line for line in quick.stdout.splitlines() if line.startswith("PASSED ")]
    assert len([line for line in passed if f"[{STEM}]" in line]) == 7, quick.stdout
    assert any("every_line_a_notebook" in line for line in passed), quick.stdout
