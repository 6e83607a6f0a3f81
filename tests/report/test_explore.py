"""The exploration start notebook (``notebooks/explore/start.ipynb``) runs and answers its three
questions with figures and intervals: on the demo data, and on the real CBS extract when present.

It is executed as a researcher runs it in JupyterLab: a fresh kernel with the notebook's folder as
working directory, the parameters cell set to the source.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from rvs_analysis import notebook_check

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "explore" / "start.ipynb"


def _run(source: str) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    (parameters,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    parameters.source = f"source = {source!r}"
    # no kernel_name: the kernel the notebook names, as JupyterLab and papermill start it
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": NOTEBOOK.parent}}).execute()
    return nb


def _texts(nb) -> str:
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(value) for value in output.get("data", {}).values())
    return "\n".join(parts)


def _check_answers(nb):
    images = sum(
        "image/png" in output.get("data", {})
        for cell in nb.cells
        for output in cell.get("outputs", [])
    )
    assert images >= 2, "the rate lines and the change funnel must be drawn"
    text = _texts(nb)
    for column in ("ratio_to_reference", "ratio_ci_low", "rank_low", "difference_ci_low"):
        assert column in text, f"{column} is not shown"
    assert "quasi-Poisson" in text and "Beyond the 99.8% limits" in text


def test_the_exploration_notebook_is_clean_and_not_a_report():
    assert notebook_check.problems(NOTEBOOK, report=False) == []


@pytest.mark.slow
def test_the_exploration_notebook_answers_on_demo_data():
    nb = _run("demo")
    _check_answers(nb)
    text = _texts(nb)
    assert "demo data" in text and "using RVS.GEWELD" in text


@pytest.mark.slow
def test_the_exploration_notebook_answers_on_the_real_extract(shared_cbs_dir):
    nb = _run("auto")
    _check_answers(nb)
    text = _texts(nb)
    assert "CBS open data" in text and "provisional: 2024, 2025" in text
    assert "Midden-Nederland zonder Stad Utrecht" in text


def test_auto_says_when_it_falls_back_to_the_demo_data(monkeypatch, capsys):
    """Issue 28 A11: without the CBS extract the notebook's first output says that it runs on the
    demo data and that the CBS results its text quotes are not these numbers."""
    from rvs_analysis.report import explore

    monkeypatch.setattr(explore, "shared_extract", lambda: None)
    explore.load("auto")
    printed = capsys.readouterr().out
    assert "demo data" in printed and "was not found" in printed
