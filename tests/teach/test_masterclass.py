"""Masterclass packages: both build and run, checks say what they should, nothing gives answers away.

The participant package (no solution, model-answer or trainer cells; a wheel of rvs_analysis without the
masterclass sources) must run top to bottom *from that wheel, installed without network into a folder
outside the repository*, with every exercise still a placeholder, each check saying "nog niet
beantwoord", and no exercise's answer (to its checking tolerance) in any output. The trainer package
(solutions instead of placeholders, model answers, the guide) must make every check say "goed". The
six executions run in parallel processes, each with the notebook's own folder as working directory and
the ``python3`` kernel of the interpreter running the tests.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import pytest

from rvs_analysis import notebook_check
from rvs_analysis.commands import masterclass as masterclass_command
from rvs_analysis.exceptions import RvsError
from rvs_analysis.teach import masterclass

ROOT = Path(__file__).resolve().parents[2]
MASTERCLASS = ROOT / "notebooks" / "masterclass"
NOTEBOOKS = ROOT / "notebooks"
VERDICT = re.compile(r"Controle '([^']+)': (goed|bijna|fout|nog niet beantwoord)\.")
TIMEOUT = 300


def _execute(path: str, cwd: str, pythonpath: str = str(ROOT)) -> dict:
    """Run one notebook in a fresh kernel; return its verdicts, outputs and errors (in a worker).

    ``pythonpath`` comes first on the kernel's path: the repository for the trainer versions, the
    folder the participant wheel was installed into for the participant versions.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    os.environ["PYTHONPATH"] = pythonpath
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
    verdicts, outputs = [], []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                verdicts.extend(VERDICT.findall(output.get("text", "")))
                outputs.append((index, "printed", output.get("text", "")))
            elif "text/plain" in output.get("data", {}):
                outputs.append((index, "shown", output["data"]["text/plain"]))
    return {"path": path, "error": error, "verdicts": verdicts, "outputs": outputs}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("masterclass")
    return out, masterclass.build(out)


@pytest.fixture(scope="module")
def participant_site(built, tmp_path_factory) -> Path:
    """The participant wheel installed without network into a folder outside the repository."""
    out, _ = built
    (wheel,) = (out / masterclass.PARTICIPANT_DIR / masterclass.WHEEL_DIR).glob("*.whl")
    target = tmp_path_factory.mktemp("participant-site")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    subprocess.run(
        [*command, "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return target


@pytest.fixture(scope="module")
def executed(built, participant_site):
    """Execute every built notebook once, in parallel: participants on the installed wheel."""
    _, notebooks = built
    with ProcessPoolExecutor(max_workers=3) as pool:
        futures = {
            (item.source.name, item.version): pool.submit(
                _execute,
                str(item.path),
                str(item.path.parent),
                str(participant_site if item.version == masterclass.PARTICIPANT_DIR else ROOT),
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
    assert (MASTERCLASS / masterclass.GUIDE).is_file()
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
        withheld = ("solution", "model-answer", "trainer")
        if item.version == masterclass.PARTICIPANT_DIR:
            for tag in withheld:
                assert not _cells_with(version, tag)
                assert not any(cell.source in sources for cell in _cells_with(source, tag))
            assert len(_cells_with(version, "exercise")) == len(_cells_with(source, "exercise"))
            assert not any("Modelantwoord" in cell.source for cell in version.cells)
        else:
            assert not _cells_with(version, "exercise")
            for tag in withheld:
                assert len(_cells_with(version, tag)) == len(_cells_with(source, tag))
        assert "version-banner" in version.cells[1].metadata.get("tags", [])
        assert all(not cell.get("outputs") for cell in version.cells if cell.cell_type == "code")
        assert (item.path.parent / "data" / "47018NED" / "TypedDataSet.json").exists()
        assert (item.path.parent / "data" / "grenzen_2024" / "metadata.json").exists()
        assert (item.path.parent / "LEESMIJ.md").exists()


def _denkvragen(notebook) -> int:
    """Discussion questions: inline '*Denkvraag:*' or numbered items under 'Denkvragen'."""
    count = 0
    for cell in notebook.cells:
        if cell.cell_type != "markdown" or cell.metadata.get("tags"):
            continue
        if "*Denkvraag" in cell.source or "**Denkvraag." in cell.source:
            count += 1
        if "**Denkvragen" in cell.source:
            tail = cell.source.split("**Denkvragen", 1)[1]
            count += len(re.findall(r"^\d+\. ", tail, flags=re.MULTILINE))
    return count


def _model_answers(notebook) -> int:
    count = 0
    for cell in _cells_with(notebook, "model-answer"):
        assert cell.source.startswith("**Modelantwoord"), cell.source[:80]
        numbered = len(re.findall(r"^\d+\. ", cell.source, flags=re.MULTILINE))
        count += numbered or 1
    return count


def test_every_denkvraag_has_a_model_answer_in_the_trainer_package(built):
    out, notebooks = built
    for item in notebooks:
        if item.version != masterclass.TRAINER_DIR:
            continue
        source = nbformat.read(item.source, as_version=4)
        version = nbformat.read(item.path, as_version=4)
        assert _denkvragen(source) >= 2, item.source.name
        assert _model_answers(version) == _denkvragen(source), item.source.name
    guide = out / masterclass.TRAINER_DIR / masterclass.GUIDE
    assert guide.read_text(encoding="utf-8") == (MASTERCLASS / masterclass.GUIDE).read_text(
        encoding="utf-8"
    )
    assert not (out / masterclass.PARTICIPANT_DIR / masterclass.GUIDE).exists()


def test_participant_wheel_holds_no_masterclass_source_or_guide(built):
    out, _ = built
    (wheel,) = (out / masterclass.PARTICIPANT_DIR / masterclass.WHEEL_DIR).glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    product = "rvs_analysis/_product/"
    masterclass_files = [n for n in names if n.startswith(product + "notebooks/masterclass/")]
    assert masterclass_files
    assert not any(name.endswith((".ipynb", "TRAINER.md")) for name in masterclass_files)
    for required in (
        "rvs_analysis/teach/checker.py",
        product + "data/demo/registered_crime.csv",
        product + "data/regions/municipalities.csv",
        product + "notebooks/masterclass/data/47018NED/TypedDataSet.json",
        product + "notebooks/masterclass/data/grenzen_2024/registered_crime.csv",
        product + "notebooks/crime_change.ipynb",
    ):
        assert required in names, required
    assert any(name.endswith(".dist-info/RECORD") for name in names)
    assert (out / masterclass.TRAINER_DIR / masterclass.WHEEL_DIR / wheel.name).is_file()


def test_the_participant_package_imports_the_installed_wheel_outside_the_repository(
    built, participant_site
):
    out, _ = built
    folder = out / masterclass.PARTICIPANT_DIR
    assert not folder.resolve().is_relative_to(ROOT)
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import rvs_analysis.teach.checker as c, rvs_analysis.resources as r; "
            "print(c.__file__); print(r.checkout_root()); "
            "print(len(list(r.notebooks_path('masterclass').glob('*.ipynb'))))",
        ],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(participant_site)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    module, checkout, notebooks = probe.stdout.split()
    assert Path(module).is_relative_to(participant_site)
    assert checkout == "None" and notebooks == "0"


@pytest.mark.slow
def test_participant_versions_run_from_the_wheel_with_every_exercise_unanswered(built, executed):
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


NUMBER = re.compile(r"[−-]?\d[\d.,]*")


def _readings(token: str) -> set[float]:
    """The values a printed number can mean: Dutch (1.234,5) and English (1,234.5) notation."""
    token = token.replace("−", "-").rstrip(".,")
    readings = set()
    for text in (token.replace(".", "").replace(",", "."), token.replace(",", "")):
        try:
            readings.add(float(text))
        except ValueError:
            pass
    return readings


def _numeric_answers() -> dict[str, list[tuple[float, float]]]:
    """Per exercise the numbers that would give its answer away, with the checking tolerance."""
    from rvs_analysis.teach import checker

    answers = {}
    for name in checker.exercise_names():
        exercise, reference = checker._EXERCISES[name], checker._reference(name)
        if exercise.kind == "number":
            answers[name] = [(float(reference), exercise.tolerance)]
        elif exercise.kind == "mapping":
            answers[name] = [(float(v), exercise.tolerance) for v in dict(reference).values()]
    return answers


@pytest.mark.slow
def test_no_participant_output_gives_an_answer_away(built, executed):
    """No number in any output of a participant notebook equals an answer to its tolerance.

    In the participant version no exercise is answered, so every output counts (a library cell after
    an exercise must not print its answer either). Small whole-number answers (below 40 with
    tolerance 0: counts of municipalities) are looked for in printed text only, since every table's
    row index holds them.
    """
    answers = _numeric_answers()
    leaks = []
    for item in built[1]:
        if item.version != masterclass.PARTICIPANT_DIR:
            continue
        source = nbformat.read(item.source, as_version=4)
        names = {
            name
            for cell in source.cells
            for name in re.findall(r"teach\.check\(\"([^\"]+)\"", cell.source)
        }
        for index, kind, text in executed[item.source.name, item.version]["outputs"]:
            for token in NUMBER.findall(text):
                for value in _readings(token):
                    for name in names & set(answers):
                        for answer, tolerance in answers[name]:
                            small = tolerance == 0 and answer == int(answer) and abs(answer) < 40
                            if small and kind != "printed":
                                continue
                            if abs(value - answer) <= max(tolerance, 1e-9):
                                leaks.append((item.path.name, index, name, token))
    assert not leaks, leaks


def test_command_writes_both_versions(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    masterclass_command.add_arguments(parser)
    args = parser.parse_args(["--out", str(tmp_path)])
    assert masterclass_command.run(args) == 0
    count = len(masterclass.masterclass_notebooks())
    assert len(list((tmp_path / "deelnemers").glob("*.ipynb"))) == count
    assert len(list((tmp_path / "trainers").glob("*.ipynb"))) == count
    output = capsys.readouterr().out
    assert f"{2 * count} notebooks written" in output
    assert (tmp_path / "trainers" / "TRAINER.md").is_file()
    assert len(list((tmp_path / "deelnemers" / "pakket").glob("rvs_analysis-*.whl"))) == 1
    assert ".whl" in output


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
    assert used and used == set(teach.exercise_names())


@pytest.mark.slow
def test_a_report_notebook_runs_with_its_defaults_from_the_notebooks_folder():
    """JupyterLab's parameter-free use: open a report notebook in notebooks/ and run it."""
    reports = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert reports, f"no report notebooks in {NOTEBOOKS}: the test would prove nothing"
    result = _execute(str(reports[0]), str(NOTEBOOKS))
    assert result["error"] is None, f"{reports[0].name}: {result['error']}"
