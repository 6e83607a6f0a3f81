"""Fault injection (issue 15): every bad input is refused, nothing rvs did not write is touched.

Each test reproduces one case of the fault-injection pass and asserts the refusal, the message
(one paragraph naming the file and row where there is one), the exit status and that the outputs
of an earlier, good run are byte for byte as they were. Sections follow the issue's points; the
faults of a render batch (the output folder, signals, concurrent runs, carried-over outputs,
timeouts) are in ``tests/render/test_render_faults.py``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import threading
import tomllib
import warnings
from pathlib import Path

import pandas as pd
import pytest
from fault_kit import fifo_released_after, one_paragraph, run_cli

from rvs_analysis import clean, cli
from rvs_analysis.commands import render as render_command
from rvs_analysis.exceptions import DataValidationError, DataWarning, UnknownAreaError
from rvs_analysis.sources import clear_cache, load_source

REPO_ROOT = Path(__file__).resolve().parents[1]
TABLE = ["table", "--offence", "1.1.1", "--level", "region"]


@pytest.fixture
def earlier_table(tidy_folder, tmp_path, capsys):
    """A table written by a good run; bad runs with the same ``--output`` must leave it as it is."""
    output = tmp_path / "earlier" / "table.csv"
    status, _, err = run_cli(
        [*TABLE, "--source", str(tidy_folder), "--output", str(output)], capsys
    )
    assert status == 0, err
    return output, output.read_bytes()


def refused_table(folder, earlier, capsys, status=2) -> str:
    """Run ``rvs table`` on ``folder`` into the earlier output; return the error paragraph."""
    output, before = earlier
    clear_cache()
    code, out, err = run_cli([*TABLE, "--source", str(folder), "--output", str(output)], capsys)
    assert code == status, err
    assert out == ""
    assert output.read_bytes() == before
    return one_paragraph(err)


# --------------------------------------------------------------------------------------------
# 4. Silent acceptance of wrong numbers
# --------------------------------------------------------------------------------------------


def _with_value(frame: pd.DataFrame, row: int, column: str, value) -> pd.DataFrame:
    frame = frame.astype({column: object})
    frame.loc[row, column] = value
    return frame


@pytest.mark.parametrize(
    ("file", "column", "value", "problem"),
    [
        ("registered_crime.csv", "registered_offences", "1e19", "implausibly large"),
        ("registered_crime.csv", "registered_offences", "1e12", "implausibly large"),
        ("registered_crime.csv", "registered_offences", "inf", "not a finite number"),
        ("population.csv", "population", "1e12", "implausibly large"),
        ("population.csv", "population", "1e19", "implausibly large"),
        ("registered_crime.csv", "year", "2011KW01", "quarter"),
        ("population.csv", "year", "2016MM03", "month or quarter"),
    ],
)
def test_impossible_numbers_are_refused_with_file_and_row(
    file, column, value, problem, tidy_kit, tmp_path, earlier_table, capsys
):
    crime, population = tidy_kit.region_crime(), tidy_kit.region_population()
    if file == "registered_crime.csv":
        crime = _with_value(crime, 4, column, value)
    else:
        population = _with_value(population, 4, column, value)
    folder = tidy_kit.write_tidy(tmp_path / "bad", crime=crime, population=population)
    message = refused_table(folder, earlier_table, capsys)
    assert file in message and f"column '{column}'" in message and "row 5" in message
    assert problem in message and repr(value) in message
    assert "-9223372036854775808" not in message


def test_count_bound_is_far_above_any_real_figure(shared_dataset):
    assert shared_dataset.crime["registered_offences"].max() < clean.MAX_COUNT / 10
    assert shared_dataset.population["population"].max() < clean.MAX_POPULATION / 10


def test_population_cut_mid_number_in_the_region_is_refused(
    tidy_kit, tmp_path, earlier_table, capsys
):
    population = tidy_kit.region_population()
    row = population.index[
        (population["gemeente_code"] == "GM0344") & (population["year"] == 2016)
    ][0]
    full = int(population.loc[row, "population"])
    full_2015 = int(population.loc[row - 39, "population"])
    population.loc[row, "population"] = int(str(full)[:2])  # 59394 -> 59: the file was cut
    folder = tidy_kit.write_tidy(tmp_path / "cut", population=population)
    message = refused_table(folder, earlier_table, capsys)
    assert "population.csv" in message and "column 'population'" in message
    assert f"row {row + 1}" in message and "GM0344" in message
    assert "mergers.csv" in message
    assert (
        f"2015: {full_2015} (row {row - 38})" in message and "-> 2016: " + str(full)[:2] in message
    )


def test_population_jump_of_a_region_merger_is_accepted(tidy_kit, tmp_path):
    # Vijfheerenlanden (GM1961) was formed on 2019-01-01: on each year's own boundaries its
    # first figure follows Vianen's; Utrecht absorbs nothing. A jump explained by the merger table
    # passes.
    population = pd.DataFrame(
        {
            "gemeente_code": ["GM0620", "GM1961", "GM1961", "GM0344", "GM0344"],
            "year": [2018, 2019, 2020, 2019, 2020],
            "population": [19_900, 55_000, 56_000, 350_000, 357_000],
        }
    )
    assert clean.validate_population(population, "population.csv").shape[0] == 5
    jumped = pd.DataFrame(
        {"gemeente_code": ["GM1961", "GM1961"], "year": [2020, 2021], "population": [56_000, 560]}
    )
    with pytest.raises(DataValidationError) as caught:
        clean.validate_population(jumped, "population.csv")
    assert caught.value.row == 2 and caught.value.column == "population"


def test_population_jump_outside_the_region_goes_to_the_provenance_record(
    tidy_kit, tmp_path, capsys
):
    population = tidy_kit.region_population()
    outside = pd.DataFrame(
        {
            "gemeente_code": ["GM0014"] * 3,
            "year": [2015, 2016, 2017],
            "population": [59_394, 59, 60_000],
        }
    )
    folder = tidy_kit.write_tidy(
        tmp_path / "country", population=pd.concat([population, outside], ignore_index=True)
    )
    clear_cache()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # a notebook's load prints nothing
        dataset = load_source(str(folder))
    (note,) = dataset.provenance["data_notes"]
    assert note.startswith("population.csv") and "outside the region" in note
    assert "GM0014 2015: 59394 (row 118) -> 2016: 59 (row 119)" in note
    clear_cache()
    status, out, err = run_cli([*TABLE, "--source", str(folder)], capsys)
    assert status == 0 and out.startswith("area,year")
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"rvs: warning: source {str(folder)!r}")
    assert "1 other note on the data" in lines[0] and "provenance record" in lines[0]
    with pytest.warns(DataWarning, match="outside the region"):
        clean.validate_population(outside, "population.csv")


@pytest.mark.parametrize("required", ["population.csv", "registered_crime.csv"])
@pytest.mark.parametrize("content", ["header", "empty"])
def test_empty_or_header_only_required_file_is_refused(
    required, content, tidy_kit, tmp_path, earlier_table, capsys
):
    folder = tidy_kit.write_tidy(tmp_path / "empty")
    path = folder / required
    header = path.read_text(encoding="utf-8").splitlines()[0] + "\n"
    path.write_text(header if content == "header" else "", encoding="utf-8")
    message = refused_table(folder, earlier_table, capsys)
    assert required in message
    assert ("no data rows" if content == "header" else "not a readable CSV file") in message


TEMPLATE_FAULTS = {
    # case: (file, header and one row, column named, problem)
    "unknown area": (
        "indicators.csv",
        "area,year,indicator,value\nMidden-Nederland,2016,csv_aangepakt,12\nAtlantis,2016,csv_aangepakt,3\n",
        "area",
        "unknown area",
    ),
    "area in other case": (
        "indicators.csv",
        "area,year,indicator,value\nmidden-nederland,2016,csv_aangepakt,12\n",
        "area",
        "write it as 'Midden-Nederland'",
    ),
    "infinite indicator": (
        "indicators.csv",
        "area,year,indicator,value\nFlevoland,2016,csv_aangepakt,12\nFlevoland,2017,csv_aangepakt,inf\n",
        "value",
        "not a finite number",
    ),
    "unknown area code": (
        "survey_estimates.csv",
        "area_code,year,indicator,estimate,margin\nGM0344,2017,feels_unsafe,17.5,2.1\nGM9998,2017,feels_unsafe,12,3\n",
        "area_code",
        "unknown area code",
    ),
    "unknown municipality": (
        "cleared_offences.csv",
        "gemeente_code,year,offence_code,registered_offences,cleared_offences,attempted_offences,source\n"
        "GM0344,2016,1.1.1,1200,100,400,test\nGM9998,2016,1.1.1,12,1,4,test\n",
        "gemeente_code",
        "unknown municipality code",
    ),
    "negative covariate": (
        "cleared_offences.csv",
        "gemeente_code,year,offence_code,registered_offences,cleared_offences,attempted_offences,source\n"
        "GM0344,2016,1.1.1,1200,100,400,test\nGM0034,2016,1.1.1,800,60,-40,test\n",
        "attempted_offences",
        "a covariate cannot be negative",
    ),
    "infinite covariate": (
        "cleared_offences.csv",
        "gemeente_code,year,offence_code,registered_offences,cleared_offences,attempted_offences,source\n"
        "GM0344,2016,1.1.1,1200,100,400,test\nGM0034,2016,1.1.1,800,60,-inf,test\n",
        "attempted_offences",
        "not a finite number",
    ),
    "infinite weight": (
        "survey_microdata.csv",
        "gemeente_code,year,respondent_id,weight,feels_unsafe,youth_nuisance\n"
        "GM0344,2016,1,1.2,0,1\nGM0344,2016,2,inf,1,0\n",
        "weight",
        "not a finite number",
    ),
}


@pytest.mark.parametrize("case", sorted(TEMPLATE_FAULTS))
def test_region_files_of_the_templates_are_validated(
    case, tidy_kit, tmp_path, earlier_table, capsys
):
    file, text, column, problem = TEMPLATE_FAULTS[case]
    folder = tidy_kit.write_tidy(tmp_path / "regional", extra={file: text})
    message = refused_table(folder, earlier_table, capsys)
    assert file in message and f"column '{column}'" in message and problem in message
    assert re.search(r"row [12]\b", message)


def test_templates_themselves_still_validate_as_empty_optional_files(tidy_kit, tmp_path):
    templates = REPO_ROOT / "data" / "templates"
    extra = {
        name: (templates / name).read_text(encoding="utf-8")
        for name in ("cleared_offences.csv", "indicators.csv", "survey_estimates.csv")
    }
    clear_cache()
    dataset = load_source(str(tidy_kit.write_tidy(tmp_path / "headers", extra=extra)))
    assert dataset.cleared.empty and dataset.indicators.empty and dataset.survey_estimates.empty


def test_region_files_with_known_areas_pass(tidy_kit, tmp_path):
    extra = {
        "indicators.csv": "area,year,indicator,value\nMidden-Nederland,2016,csv_aangepakt,1\nGooise Meren,2016,csv_aangepakt,2\n"
        "Weesp,2016,csv_aangepakt,3\n",
        "survey_estimates.csv": "area_code,year,indicator,estimate,margin\nGM0344,2017,feels_unsafe,17.5,2.1\n"
        "NL01,2017,feels_unsafe,15,0.5\n",
    }
    clear_cache()
    dataset = load_source(str(tidy_kit.write_tidy(tmp_path / "known", extra=extra)))
    assert len(dataset.indicators) == 3 and len(dataset.survey_estimates) == 2


# --------------------------------------------------------------------------------------------
# 5. Tracebacks and hangs
# --------------------------------------------------------------------------------------------


def test_geojson_with_a_feature_that_is_not_an_object(tidy_kit, tmp_path, earlier_table, capsys):
    folder = tidy_kit.write_tidy(tmp_path / "geo")
    (folder / "gemeenten_2017.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": ["x"]}), encoding="utf-8"
    )
    message = refused_table(folder, earlier_table, capsys)
    assert "gemeenten_2017.geojson" in message and "column 'features'" in message
    assert "row 1" in message and "Feature" in message


@pytest.mark.parametrize("features", ['"x"', "{}", '[{"type": "Feature", "properties": 3}]'])
def test_geojson_with_features_of_the_wrong_shape(features, tidy_kit, tmp_path, capsys):
    folder = tidy_kit.write_tidy(tmp_path / "geo")
    (folder / "gemeenten_2017.geojson").write_text(
        '{"type": "FeatureCollection", "features": ' + features + "}", encoding="utf-8"
    )
    clear_cache()
    status, _, err = run_cli([*TABLE, "--source", str(folder)], capsys)
    assert status == 2
    assert "gemeenten_2017.geojson" in one_paragraph(err)


@pytest.mark.parametrize("name", ["population.csv", "metadata.json", "indicators.csv"])
def test_fifo_named_like_an_input_does_not_hang_table_or_render(name, tidy_kit, tmp_path, capsys):
    folder = tidy_kit.write_tidy(tmp_path / "fifo")
    path = folder / name
    if path.exists():
        path.unlink()
    os.mkfifo(path)
    out = tmp_path / "outputs"
    for argv in (
        [*TABLE, "--source", str(folder)],
        ["render", "--source", str(folder), "--areas", "Utrecht", "--out", str(out)],
    ):
        clear_cache()
        with fifo_released_after(path):  # a hang fails the test here instead of blocking
            status, _, err = run_cli(argv, capsys)
        assert status == 2, err
        message = one_paragraph(err)
        assert name in message and "regular files only" in message
    assert not out.exists()


def test_the_fifo_guard_fails_a_read_that_blocks(tmp_path):
    # The guard above is what keeps a regression (a read that blocks) from hanging the run.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    read = []
    with pytest.raises(AssertionError, match="blocked for over 0.5 s"):
        with fifo_released_after(fifo, seconds=0.5):
            read.append(fifo.read_bytes())  # blocks until the guard opens the pipe for writing
    assert read == [b""]
    with fifo_released_after(fifo, seconds=0.5):  # a body that does not block passes
        threading.Event().wait(0.7)


def test_undecodable_cache_argument_gives_one_paragraph_before_any_work(tmp_path, capsys):
    out = tmp_path / "outputs"
    status, _, err = run_cli(
        ["render", "--cache", b"\xff".decode("utf-8", "surrogateescape"), "--out", str(out)],
        capsys,
    )
    assert status == 2
    message = one_paragraph(err)
    assert "'\\xff' (of --cache) is not valid UTF-8" in message
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# 6. --timeout and --jobs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--timeout", "0"),
        ("--timeout", "nan"),
        ("--timeout", "-1"),
        ("--timeout", "inf"),
        ("--timeout", "soon"),
        ("--jobs", "-5"),
        ("--jobs", "0"),
        ("--jobs", "1.5"),
    ],
)
def test_limits_that_would_silently_change_meaning_are_refused(option, value, tmp_path, capsys):
    out = tmp_path / "outputs"
    with pytest.raises(SystemExit) as caught:
        cli.main(["render", "--out", str(out), option, value])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"argument {option}: {value!r}" in err
    assert not out.exists()


def test_fractional_timeout_is_kept_as_given():
    assert render_command.positive_seconds("0.5") == 0.5
    assert render_command.positive_jobs("3") == 3


# --------------------------------------------------------------------------------------------
# 8. Friendliness
# --------------------------------------------------------------------------------------------


def test_areas_resolve_like_the_library():
    assert render_command.resolve_areas(["utrecht", "GM0344", "gooise-meren"]) == [
        "Utrecht",
        "Gooise Meren",
    ]
    assert render_command.resolve_areas(["stad utrecht", "MIDDEN-NEDERLAND"]) == [
        "Stad Utrecht",
        "Midden-Nederland",
    ]
    with pytest.raises(UnknownAreaError, match="Atlantis"):
        render_command.resolve_areas(["Atlantis"])


def test_unknown_area_is_one_paragraph_and_touches_nothing(tmp_path, capsys):
    out = tmp_path / "outputs"
    status, _, err = run_cli(["render", "--areas", "Atlantis", "--out", str(out)], capsys)
    assert status == 2 and "Unknown area 'Atlantis'" in one_paragraph(err)
    assert not out.exists()


def test_semicolon_separated_csv_gets_a_delimiter_hint(tidy_kit, tmp_path, earlier_table, capsys):
    folder = tidy_kit.write_tidy(tmp_path / "semicolons")
    path = folder / "population.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    message = refused_table(folder, earlier_table, capsys)
    assert "population.csv" in message and "required column" in message
    assert "separated by semicolons" in message and "commas" in message


# --------------------------------------------------------------------------------------------
# 9. Dependencies
# --------------------------------------------------------------------------------------------


def _lock_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO_ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if match:
            pins[_normalise(match.group(1))] = match.group(2)
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_declared_dependency_is_pinned_in_the_lock_within_its_bound():
    from packaging.requirements import Requirement
    from packaging.version import Version

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared.extend(extra)
    pins = _lock_pins()
    problems = []
    for text in declared:
        requirement = Requirement(text)
        pinned = pins.get(_normalise(requirement.name))
        if pinned is None:
            problems.append(f"{requirement.name} is not in requirements.lock")
        elif not requirement.specifier.contains(Version(pinned), prereleases=True):
            problems.append(f"{requirement.name}=={pinned} is outside {requirement.specifier}")
    assert problems == [], "; ".join(problems) + " (run make lock)"
    lock = (REPO_ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert "Python 3.11" in lock and "--generate-hashes" in lock
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n\n", 1)[-1])
    assert all("--hash=sha256:" in entry for entry in entries if "==" in entry)


def test_directly_imported_modules_are_declared():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {
        _normalise(re.split(r"[<>=!~\[ ;]", dep, maxsplit=1)[0]) for dep in project["dependencies"]
    }
    # import name -> distribution name, for those that differ
    distribution = {
        "IPython": "ipython",
        "yaml": "pyyaml",
        "distributed": "dask",
        "PIL": "pillow",
        "bs4": "beautifulsoup4",
    }
    imported = set()
    for path in (REPO_ROOT / "rvs_analysis").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {name for name in imported if name not in sys.stdlib_module_names}
    third_party -= {"rvs_analysis", "distributed", "dask"}  # the optional dask extra
    missing = {
        name for name in third_party if _normalise(distribution.get(name, name)) not in declared
    }
    assert missing == set()


def test_makefile_installs_from_the_lock_after_upgrading_pip():
    """uv (itself pinned with hashes) installs the lock with its hashes, then the package without
    its dependencies, and the installed libraries are byte-compiled (pip does that itself, uv does
    not); where uv cannot be installed, pip does the same steps."""
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("$(STAMP): ", 1)[1].split("\n\n", 1)[0]
    assert "$(LOCK)" in recipe.splitlines()[0] and "$(UV_LOCK)" in recipe.splitlines()[0]
    # uv is bootstrapped by the venv's pip, or where the venv has none (created --without-pip), by
    # the creating Python's pip with --python
    choice, install = recipe.split("if $$bootstrap install", 1)
    assert 'bootstrap="$(BIN)/python -m pip"' in choice
    assert 'bootstrap="$(PYTHON) -m pip --python $(BIN)/python"' in choice
    with_uv, with_pip = install.split("\telse", 1)
    bootstrap = with_uv.index(" --quiet --require-hashes -r $(UV_LOCK)")
    locked = with_uv.index("$(UV_INSTALL) --require-hashes -r $(LOCK)")
    package = with_uv.index("$(UV_INSTALL) --no-deps --no-build-isolation -e .")
    compiled = with_uv.index("-m compileall -q -j 0 -x '$(COMPILE_SKIP)' $(VENV)/lib")
    assert bootstrap < locked < package < compiled
    # uv's scratch lives in the venv and goes when the install is done: nothing left in TMPDIR
    assert bootstrap < with_uv.index("mkdir -p $(UV_TMP)") < locked
    assert package < with_uv.index("rm -rf $(UV_TMP)") < compiled
    upgrade = with_pip.index("--upgrade pip setuptools")
    assert with_pip.index("-m ensurepip") < upgrade  # pip first where the venv has none
    locked = with_pip.index("--require-hashes -r $(LOCK)")
    package = with_pip.index("--no-deps -e .")
    assert upgrade < locked < package
    assert "LOCK := requirements.lock" in makefile
    venv = makefile.split("$(BIN)/python:\n", 1)[1].split("\n\n", 1)[0]
    assert "-m venv --without-pip $(VENV)" in venv and "-m venv $(VENV)" in venv
    assert re.search(r"^pip==\S+ \\$", (REPO_ROOT / "requirements.lock").read_text(), re.M)
    assert "UV_INSTALL := TMPDIR=$(CURDIR)/$(UV_TMP) $(BIN)/uv pip install" in makefile


def test_the_packages_left_uncompiled_are_not_imported_by_a_render():
    """``COMPILE_SKIP`` leaves the libraries' test suites and a few packages uncompiled at install:
    none of those packages may be imported by the processes of a render (the command, its
    workers, a kernel with the report's imports), or every one of them would compile it again."""
    import subprocess

    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    skip = re.search(r"^COMPILE_SKIP := (\S+)$", makefile, re.M).group(1)
    site = "/x/.venv/lib/python3.11/site-packages/"
    assert re.search(skip, site + "pandas/tests/frame/test_api.py")
    assert re.search(skip, site + "jupyter_server/serverapp.py")
    assert not re.search(skip, site + "pandas/core/frame.py")
    assert not re.search(skip, site + "matplotlib/tests_helper.py")
    skipped = set(re.search(r"/site-packages/\(([^)]*)\)/$", skip).group(1).split("|"))
    imports = (
        "rvs_analysis.cli, rvs_analysis.commands.render, rvs_analysis.render.executors, "
        "rvs_analysis.render.html, rvs_analysis.render.downloads, rvs_analysis.report, "
        "rvs_analysis.report.chapters.monitor, rvs_analysis.report.chapters.neighbourhood, "
        "ipykernel.kernelapp, papermill, nbconvert, matplotlib.pyplot, statsmodels.api, ruptures"
    )
    done = subprocess.run(
        [sys.executable, "-c",
         f"import sys, {imports}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"],
        capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert not skipped & set(done.stdout.split()), "imported by a render, so compile it"


def test_the_installer_is_pinned_with_the_hashes_of_its_wheels():
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    pin = re.search(r"^UV_PIN := (uv==\S+)$", makefile, re.MULTILINE).group(1)
    uv_lock = re.search(r"^UV_LOCK := (\S+)$", makefile, re.MULTILINE).group(1)
    lock = (REPO_ROOT / uv_lock).read_text(encoding="utf-8")
    pins = re.findall(r"^([A-Za-z0-9][^ \n]*==\S+)", lock, re.MULTILINE)
    assert pins == [pin], "run make lock"
    assert lock.count("--hash=sha256:") >= 2  # one per platform's wheel, at least


def test_environment_yml_lists_the_newly_declared_modules():
    text = (REPO_ROOT / "environment.yml").read_text(encoding="utf-8")
    for name in ("jinja2", "bleach", "requests", "jupyter_client", "jupyter_core", "ipython"):
        assert f"- {name}>=" in text


def test_scheduler_help_warns_and_names_tls(capsys):
    with pytest.raises(SystemExit):
        cli.main(["render", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "runs whatever code it is sent" in text and "tls://HOST:PORT" in text
    assert "distributed.comm.tls" in text


def test_a_tls_scheduler_without_certificates_is_refused_in_one_paragraph(tmp_path, capsys):
    # Without dask's TLS settings the client cannot start a handshake: one Dutch paragraph that
    # names the settings, exit 2, no traceback, nothing written. (A TLS cluster with them renders:
    # tests/render/test_render_cluster.py::test_a_tls_scheduler_address_connects_with_dasks_own_security_settings.)
    import socket

    import distributed  # noqa: F401 - locked test dependency: its absence fails

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "out"
    status, _, err = run_cli(
        ["render", "--areas", "Utrecht", "--notebooks", "crime_change", "--out", str(out),
         "--executor", "dask", "--scheduler", f"tls://127.0.0.1:{port}"],
        capsys,
    )  # fmt: skip
    assert status == 2
    message = one_paragraph(err)
    assert f"Geen verbinding met de dask-scheduler tls://127.0.0.1:{port}" in message
    assert "distributed.comm.tls.ca-file" in message and "niets gerenderd" in message
    assert not out.exists()


def test_fifo_inside_a_cbs_cache_does_not_hang(cbs_cache, capsys):
    # a named pipe in place of a table's JSON file: refused at once, naming the file
    path = cbs_cache / "47018NED" / "Perioden.json"
    path.unlink()
    os.mkfifo(path)
    clear_cache()
    with fifo_released_after(path):  # a hang fails the test here instead of blocking
        status, _, err = run_cli([*TABLE, "--source", "cbs", "--cache", str(cbs_cache)], capsys)
    assert status == 2, err
    message = one_paragraph(err)
    assert "Perioden.json" in message and "regular files only" in message
