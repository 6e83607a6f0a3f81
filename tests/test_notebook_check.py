"""The notebook check refuses report notebooks that compute instead of calling the library."""

from __future__ import annotations

import nbformat
import pytest

from rvs_analysis import notebook_check


def _notebook(path, *sources, parameters="area = 'Midden-Nederland'"):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Rapport"), cell]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)
    return path


def test_a_thin_report_notebook_passes(tmp_path):
    path = _notebook(
        tmp_path / "thin.ipynb",
        "from rvs_analysis import report\nctx = report.start(area, 'demo', 'data/raw')",
        "chapter.figure(ctx, f'Titel {area}')",
        "x is None",
    )
    assert notebook_check.problems(path, report=True) == []


@pytest.mark.parametrize(
    "source, what",
    [
        ("row = table.loc[2016]", "pandas .loc"),
        ("first = table.iloc[0]", "pandas .iloc"),
        ("ranked = table.sort_values('change')", "pandas .sort_values"),
        ("shown = table[table['status'] != 'geen']", "a subscript"),
        ("shown = table[~known]", "a boolean mask (~)"),
        ("both = left & right", "a boolean mask (& or |)"),
        ("change = 100 * (value / base - 1)", "arithmetic"),
        ("late = year > 2016", "a comparison"),
    ],
)
def test_pandas_selection_and_arithmetic_are_refused(tmp_path, source, what):
    path = _notebook(tmp_path / "thick.ipynb", source)
    found = notebook_check.problems(path, report=True)
    assert any(what in line and "cell 2" in line for line in found), found


def test_text_concatenation_is_not_arithmetic(tmp_path):
    path = _notebook(tmp_path / "text.ipynb", "title = 'Woninginbraak, ' + area")
    assert notebook_check.problems(path, report=True) == []


def test_long_cells_are_refused(tmp_path):
    long_cell = "\n".join(f"report.md('zin {number}')" for number in range(30))
    path = _notebook(tmp_path / "long.ipynb", long_cell, "report.intro(ctx)")
    found = notebook_check.problems(path, report=True)
    assert any("average" in line and "at most 10" in line for line in found), found


def test_comments_do_not_count_as_lines(tmp_path):
    commented = "\n".join(["# uitleg"] * 40 + ["report.intro(ctx)"])
    path = _notebook(tmp_path / "comments.ipynb", commented)
    assert notebook_check.problems(path, report=True) == []


def test_the_rules_apply_to_report_notebooks_only(tmp_path):
    path = _notebook(tmp_path / "exercise.ipynb", "answer = table.loc[2016] * 1000")
    assert notebook_check.problems(path, report=False) == []


def test_a_notebook_naming_a_project_kernel_is_refused(tmp_path):
    """Issue 28 A11: a notebook that names the ``rvs-analysis`` kernel fails with NoSuchKernel
    wherever the package was installed from the wheel; only Jupyter's own python3 is portable."""
    path = _notebook(tmp_path / "kernel.ipynb", "x is None")
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": "rvs-analysis", "display_name": "x", "language": "python"}
    nbformat.write(nb, path)
    assert any("rvs-analysis" in problem for problem in notebook_check.problems(path, report=False))
    nb.metadata["kernelspec"]["name"] = "python3"
    nbformat.write(nb, path)
    assert notebook_check.problems(path, report=False) == []
