"""Masterclass notebooks: both versions build and run, checks say what they should.

The participant version (no solution cells) must run top to bottom with every exercise still a
placeholder, each check saying "nog niet beantwoord"; the trainer version (solutions instead of
placeholders) must make every check say "goed". The six executions run in parallel processes,
each with the notebook's own folder as working directory and the ``python3`` kernel of the
interpreter running the tests.
"""

from __future__ import annotations

import argparse
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import pytest

from rvs_analysis import notebook_check
from rvs_analysis.commands import masterclass as masterclass_command
from rvs_analysis.exceptions import RvsError
from rvs_analysis.teach import masterclass

ROOT = Path(__file__).resolve().parents[1]
MASTERCLASS = ROOT / "notebooks" / "masterclass"
NOTEBOOKS = ROOT / "notebooks"
VERDICT = re.compile(r"Controle '([^']+)': (goed|bijna|fout|nog niet beantwoord)\.")
TIMEOUT = 300


def _execute(path: str, cwd: str) -> dict:
    """Run one notebook in a fresh kernel; return its verdicts and errors (in a worker process)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    os.environ.setdefault("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=TIMEOUT, resources={"metadata": {"path": cwd}}
    )
    error = None
    try:
        client.execute()
    except CellExecutionError as failure:
        error = str(failure)[-3000:]
    verdicts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                verdicts.extend(VERDICT.findall(output.get("text", "")))
    return {"path": path, "error": error, "verdicts": verdicts}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("masterclass")
    return out, masterclass.build(out)


@pytest.fixture(scope="module")
def executed(built):
    """Execute every built notebook (participant and trainer) once, in parallel."""
    _, notebooks = built
    with ProcessPoolExecutor(max_workers=3) as pool:
        futures = {
            (item.source.name, item.version): pool.submit(
                _execute, str(item.path), str(item.path.parent)
            )
            for item in notebooks
        }
        return {key: future.result() for key, future in futures.items()}


def _cells_with(notebook, tag):
    return [cell for cell in notebook.cells if tag in cell.metadata.get("tags", [])]


def test_there_are_at_least_three_numbered_dutch_notebooks():
    names = [path.name for path in masterclass.masterclass_notebooks()]
    assert len(names) >= 3
    assert all(re.match(r"\d\d_[a-z_]+\.ipynb$", name) for name in names)


def test_source_notebooks_are_clean_and_tagged():
    assert notebook_check.check_tree(MASTERCLASS) == []
    for path in masterclass.masterclass_notebooks():
        notebook = nbformat.read(path, as_version=4)
        code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert "parameters" in code_cells[0].metadata.get("tags", []), path.name
        exercises, solutions = _cells_with(notebook, "exercise"), _cells_with(notebook, "solution")
        assert len(exercises) == len(solutions) >= 4, path.name
        for exercise in exercises:
            assert "..." in exercise.source and "teach.check(" in exercise.source
        for solution in solutions:
            assert "teach.check(" in solution.source and "..." not in solution.source


def test_participant_version_has_no_solution_and_trainer_version_no_placeholder(built):
    _, notebooks = built
    for item in notebooks:
        source = nbformat.read(item.source, as_version=4)
        version = nbformat.read(item.path, as_version=4)
        sources = {cell.source for cell in version.cells}
        if item.version == masterclass.PARTICIPANT_DIR:
            assert not _cells_with(version, "solution")
            assert not any(cell.source in sources for cell in _cells_with(source, "solution"))
            assert len(_cells_with(version, "exercise")) == len(_cells_with(source, "exercise"))
        else:
            assert not _cells_with(version, "exercise")
            assert len(_cells_with(version, "solution")) == len(_cells_with(source, "solution"))
        assert "version-banner" in version.cells[1].metadata.get("tags", [])
        assert all(not cell.get("outputs") for cell in version.cells if cell.cell_type == "code")
        assert (item.path.parent / "data" / "47018NED" / "TypedDataSet.json").exists()


@pytest.mark.slow
def test_participant_versions_run_with_every_exercise_unanswered(built, executed):
    for item in built[1]:
        if item.version != masterclass.PARTICIPANT_DIR:
            continue
        result = executed[item.source.name, item.version]
        assert result["error"] is None, f"{item.path.name}: {result['error']}"
        expected = len(_cells_with(nbformat.read(item.source, as_version=4), "exercise"))
        assert len(result["verdicts"]) == expected, item.path.name
        assert {verdict for _, verdict in result["verdicts"]} == {"nog niet beantwoord"}


@pytest.mark.slow
def test_trainer_versions_say_goed_for_every_check(built, executed):
    for item in built[1]:
        if item.version != masterclass.TRAINER_DIR:
            continue
        result = executed[item.source.name, item.version]
        assert result["error"] is None, f"{item.path.name}: {result['error']}"
        expected = len(_cells_with(nbformat.read(item.source, as_version=4), "solution"))
        assert len(result["verdicts"]) == expected, item.path.name
        wrong = [(name, verdict) for name, verdict in result["verdicts"] if verdict != "goed"]
        assert not wrong, f"{item.path.name}: {wrong}"


def test_command_writes_both_versions(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    masterclass_command.add_arguments(parser)
    args = parser.parse_args(["--out", str(tmp_path)])
    assert masterclass_command.run(args) == 0
    count = len(masterclass.masterclass_notebooks())
    assert len(list((tmp_path / "deelnemers").glob("*.ipynb"))) == count
    assert len(list((tmp_path / "trainers").glob("*.ipynb"))) == count
    assert f"{2 * count} notebooks written" in capsys.readouterr().out


def test_build_refuses_a_folder_without_masterclass_notebooks(tmp_path):
    with pytest.raises(RvsError, match="No masterclass notebooks"):
        masterclass.build(tmp_path / "out", tmp_path)
    plain = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(plain, tmp_path / "01_plain.ipynb")
    with pytest.raises(RvsError, match="solution"):
        masterclass.build(tmp_path / "out", tmp_path)


def test_every_check_in_the_notebooks_names_a_registered_exercise():
    from rvs_analysis import teach

    used = set()
    for path in masterclass.masterclass_notebooks():
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            used.update(re.findall(r"teach\.check\(\"([^\"]+)\"", cell.source))
    assert used and used <= set(teach.EXERCISES)


@pytest.mark.slow
def test_a_report_notebook_runs_with_its_defaults_from_the_notebooks_folder():
    """JupyterLab's parameter-free use: open a report notebook in notebooks/ and run it."""
    reports = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not reports:
        pytest.skip("no report notebooks in notebooks/ yet (issue 4)")
    result = _execute(str(reports[0]), str(NOTEBOOKS))
    assert result["error"] is None, f"{reports[0].name}: {result['error']}"
