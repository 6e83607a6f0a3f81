"""Fault injection (issue 15): every bad input is refused, nothing rvs did not write is touched.

Each test reproduces one case of the fault-injection pass and asserts the refusal, the message
(one paragraph naming the file and row where there is one), the exit status and that the outputs
of an earlier, good run are byte for byte as they were. Sections follow the issue's points.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pandas as pd
import pytest

from rvs_analysis import clean, cli
from rvs_analysis.commands import render as render_command
from rvs_analysis.exceptions import DataValidationError, DataWarning, UnknownAreaError
from rvs_analysis.sources import clear_cache, load_source

REPO_ROOT = Path(__file__).resolve().parents[1]
TABLE = ["table", "--offence", "1.1.1", "--level", "region"]


def run_cli(argv, capsys):
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_paragraph(stderr: str) -> str:
    """The one error paragraph of ``stderr`` (asserting there is exactly one and no traceback)."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("rvs: error: "), stderr
    return lines[0]


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


def _rvs(argv, timeout, cwd=REPO_ROOT):
    return subprocess.run(
        [sys.executable, "-m", "rvs_analysis.cli", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("name", ["population.csv", "metadata.json", "indicators.csv"])
def test_fifo_named_like_an_input_does_not_hang_table_or_render(name, tidy_kit, tmp_path):
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
        result = _rvs(argv, timeout=120)  # a hang fails the test here instead of blocking
        assert result.returncode == 2, result.stderr
        message = one_paragraph(result.stderr)
        assert name in message and "regular files only" in message
    assert not out.exists()


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
    with_uv, with_pip = recipe.split("else", 1)
    bootstrap = with_uv.index("pip install --quiet --require-hashes -r $(UV_LOCK)")
    locked = with_uv.index("$(UV_INSTALL) --require-hashes -r $(LOCK)")
    package = with_uv.index("$(UV_INSTALL) --no-deps --no-build-isolation -e .")
    compiled = with_uv.index("-m compileall -q -j 0 -x '/tests?/' $(VENV)/lib")
    assert bootstrap < locked < package < compiled
    # uv's scratch lives in the venv and goes when the install is done: nothing left in TMPDIR
    assert bootstrap < with_uv.index("mkdir -p $(UV_TMP)") < locked
    assert package < with_uv.index("rm -rf $(UV_TMP)") < compiled
    upgrade = with_pip.index("--upgrade pip setuptools")
    locked = with_pip.index("--require-hashes -r $(LOCK)")
    package = with_pip.index("--no-deps -e .")
    assert upgrade < locked < package
    assert "LOCK := requirements.lock" in makefile
    assert "UV_INSTALL := TMPDIR=$(CURDIR)/$(UV_TMP) $(BIN)/uv pip install" in makefile


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


# --------------------------------------------------------------------------------------------
# Rendering: tiny notebooks, a tiny source and helpers shared by points 1, 2, 3, 6, 7 and 8
# --------------------------------------------------------------------------------------------


def _notebook(*cells: str) -> str:
    import nbformat

    parameters = nbformat.v4.new_code_cell(
        'area = "Midden-Nederland"\nsource = "demo"\ncache = "data/raw"\nsummary_path = ""'
    )
    parameters.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Testrapport"),
        parameters,
        *(nbformat.v4.new_code_cell(cell) for cell in cells),
    ]
    return nbformat.writes(nb)


TINY_NOTEBOOKS = {
    "quick": _notebook('print(f"Rapport voor {area}")'),
    # A table: its page links a CSV and an xlsx download.
    "tabel": _notebook(
        "import pandas as pd\nfrom rvs_analysis.report import table\n\n"
        'table(pd.DataFrame({"Gebied": [area], "Aantal": [3]}))'
    ),
    # Sleeps 20 s, long enough to be caught running; a test that has seen what it needs wakes it
    # early by creating the file that RVS_TEST_WAKE names (kernels inherit the environment).
    "naps": _notebook(
        "import os\nimport time\n\n"
        'wake = os.environ.get("RVS_TEST_WAKE", "")\n'
        "until = time.monotonic() + 20\n"
        "while time.monotonic() < until and not (wake and os.path.exists(wake)):\n"
        "    time.sleep(0.1)",
        'print("wakker")',
    ),
    "dies": _notebook(
        "import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGKILL)",
        'print("kernel leeft")',
    ),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A notebooks folder with ``quick``, ``naps`` and ``dies`` and a small tidy source."""
    from tidy_sources import write_tidy

    root = tmp_path_factory.mktemp("tiny")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    for name, text in TINY_NOTEBOOKS.items():
        (notebooks / f"{name}.ipynb").write_text(text, encoding="utf-8")
    source = write_tidy(root / "source", metadata={"is_demo": True, "crime_boundary_year": 2017})
    return {"notebooks": notebooks, "source": source}


def render_argv(tiny, out, notebooks="quick", areas="Utrecht", *extra):
    return [
        "render",
        "--source",
        str(tiny["source"]),
        "--notebooks-dir",
        str(tiny["notebooks"]),
        "--notebooks",
        notebooks,
        "--areas",
        areas,
        "--out",
        str(out),
        "--jobs",
        "1",
        "--progress",
        "lines",
        *extra,
    ]


def tree(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder``: files with bytes and modification time, folders by name."""
    entries = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink() or not path.is_dir():
            entries[name] = (path.read_bytes(), path.stat().st_mtime_ns)
        else:
            entries[name] = "folder"
    return entries


def leftovers(out: Path) -> list[str]:
    """Staging and previous-output folders of a batch next to ``out``."""
    return sorted(
        path.name
        for path in out.parent.iterdir()
        if path.name.startswith(f".{out.name}.") and path.is_dir()
    )


@pytest.fixture(scope="module")
def rendered(tiny, tmp_path_factory):
    """Outputs of one good batch (quick for Utrecht and Midden-Nederland) to copy from."""
    out = tmp_path_factory.mktemp("rendered") / "outputs"
    status = cli.main(render_argv(tiny, out, "quick", "Utrecht,Midden-Nederland"))
    assert status == 0
    return out


def copy_of(rendered_out: Path, tmp_path: Path) -> Path:
    import shutil

    out = tmp_path / "outputs"
    shutil.copytree(rendered_out, out, symlinks=True)
    return out


# --------------------------------------------------------------------------------------------
# 1. --out never deletes what rvs did not write
# --------------------------------------------------------------------------------------------


def _git_checkout_like(folder: Path) -> Path:
    folder.mkdir()
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    (folder / ".config").mkdir()
    (folder / ".config" / "s").write_text("k\n", encoding="utf-8")
    (folder / ".env").write_text("s\n", encoding="utf-8")
    return folder


def _web_app_like(folder: Path) -> Path:
    folder.mkdir()
    (folder / "assets").mkdir()
    (folder / "manifest.json").write_text('{"name":"pwa"}\n', encoding="utf-8")
    (folder / "thesis.docx").write_text("x\n", encoding="utf-8")
    (folder / "assets" / "app.js").write_text("y\n", encoding="utf-8")
    return folder


def _only_dot_folders(folder: Path) -> Path:
    folder.mkdir()
    for name in (".git", ".cache"):
        (folder / name).mkdir()
        (folder / name / "keep").write_text(name + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("make", [_git_checkout_like, _web_app_like, _only_dot_folders])
def test_out_folder_that_rvs_did_not_write_is_refused_untouched(make, tiny, tmp_path, capsys):
    out = make(tmp_path / "foreign")
    before = tree(out)
    status, _, err = run_cli(render_argv(tiny, out), capsys)
    assert status == 2
    message = one_paragraph(err)
    assert str(out) in message and "did not write" in message
    assert tree(out) == before
    assert leftovers(out) == []


def test_gitkeep_only_folder_counts_as_empty_and_the_swap_keeps_foreign_entries(
    tiny, tmp_path, capsys
):
    out = tmp_path / "outputs"
    out.mkdir()
    (out / ".gitkeep").write_text("", encoding="utf-8")
    status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht,Midden-Nederland"), capsys)
    assert status == 0, err
    assert (out / ".rvs-output").is_file() and (out / "utrecht" / "quick.html").is_file()
    # Someone adds their own things to rvs's folder; rvs keeps them and replaces only its own.
    _git_checkout_like(out / "site")
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    (out / "utrecht" / "mine.txt").write_text("also mine\n", encoding="utf-8")
    (out / ".hidden").mkdir()
    (out / ".hidden" / "key").write_text("k\n", encoding="utf-8")
    os.symlink("notes.txt", out / "link-to-notes")
    foreign = {
        name: entry
        for name, entry in tree(out).items()
        if name.split("/")[0] in {"site", "notes.txt", ".hidden", ".gitkeep", "link-to-notes"}
        or name == "utrecht/mine.txt"
    }
    # The next batch drops Midden-Nederland (its files are listed in the manifest: removed)
    # and carries Utrecht over unchanged (no kernel).
    status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht"), capsys)
    assert status == 0, err
    after = tree(out)
    assert {name: after.get(name) for name in foreign} == foreign
    assert (out / "link-to-notes").is_symlink()
    assert not (out / "midden-nederland").exists()
    assert (out / "utrecht" / "quick.html").is_file() and (out / "index.html").is_file()
    assert leftovers(out) == []


def test_manifest_paths_outside_out_are_never_copied_or_trusted(rendered, tiny, tmp_path, capsys):
    import hashlib

    out = copy_of(rendered, tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy me\n", encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    utrecht = next(report for report in manifest["reports"] if report["area"] == "Utrecht")
    utrecht["summary"] = "../secret.txt"  # a hand-edited manifest pointing outside OUT
    utrecht["sha256"]["summary"] = hashlib.sha256(secret.read_bytes()).hexdigest()
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht"), capsys)
    assert status == 0, err
    assert "1 gemaakt, 0 ongewijzigd overgenomen" in err, "not carried over on its word"
    assert secret.read_text(encoding="utf-8") == "do not copy me\n"
    written = [path for path in out.rglob("*") if path.is_file()]
    assert all(b"do not copy me" not in path.read_bytes() for path in written)
    # Swapping the manifest's files away removed the real Midden-Nederland files only.
    assert not (out / "midden-nederland").exists()
    assert leftovers(out) == []


# --------------------------------------------------------------------------------------------
# 2. SIGTERM leaves no orphans and no staging folder; 3. one batch per output folder
# --------------------------------------------------------------------------------------------


def _start_render(tiny, out, notebooks, areas, *extra, tmpdir=None, path=None, env=None):
    import signal

    argv = render_argv(tiny, out, notebooks, areas, *extra)[1:]
    env = {**os.environ, **(env or {})}
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    if path is not None:
        env["PATH"] = f"{path}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.Popen(
        [sys.executable, "-m", "rvs_analysis.cli", "render", *argv],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # Ctrl-C as a terminal sends it (a test runner may have SIGINT ignored, which a child
        # would inherit).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for(condition, seconds, what):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


def _alive(process) -> bool:
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _kernels_running(process, count):
    """The batch's descendants once ``count`` kernels (ipykernel_launcher) run under it."""
    import psutil

    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
        kernels = [p for p in descendants if "ipykernel_launcher" in " ".join(p.cmdline())]
    except psutil.Error:
        return None
    return descendants if len(kernels) >= count else None


def _descendants(process):
    import psutil

    try:
        return psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        return []


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["local", "dask"])
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_sigterm_stops_workers_and_kernels_and_removes_staging(
    rendered, tiny, tmp_path, tmp_path_factory, executor, signame
):
    """SIGTERM and SIGINT, local workers and a dask LocalCluster: no process, no staging folder
    and nothing in TMPDIR (kernel sockets and connection files with the key, report scratch,
    dask's worker space) is left behind; the previous output is untouched."""
    import signal
    import time

    signum = getattr(signal, signame)
    tmpdir = tmp_path_factory.mktemp("t")  # short: the kernels' socket paths go below it
    out = copy_of(rendered, tmp_path)
    before = tree(out)
    process = _start_render(
        tiny, out, "naps", "Utrecht,Midden-Nederland", "--jobs", "2", "--executor", executor,
        tmpdir=tmpdir,
    )  # fmt: skip
    try:
        _wait_for(lambda: _kernels_running(process, 2), 120, "two kernels")
        assert leftovers(out), "the batch renders into a staging folder"
        time.sleep(1.0)  # both kernels are now inside time.sleep(20)
        assert any(tmpdir.iterdir()), "the batch keeps its scratch in TMPDIR"
        descendants = _descendants(process)
        process.send_signal(signum)
        signalled = time.monotonic()
        _, err = process.communicate(timeout=30)
        while time.monotonic() - signalled < 10 and any(map(_alive, descendants)):
            time.sleep(0.1)
        stopped_after = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
    assert [p.pid for p in descendants if _alive(p)] == []
    assert stopped_after < 20
    assert process.returncode == 128 + signum
    assert "Traceback" not in err and "ongewijzigd" in err
    assert sorted(path.name for path in tmpdir.iterdir()) == []
    assert leftovers(out) == []
    assert tree(out) == before


FAKE_CHROMIUM = """#!/bin/sh
# Writes half a PDF where it is told to print, then hangs (a browser caught mid-print).
for arg in "$@"; do
  case "$arg" in --print-to-pdf=*) printf '%%PDF-1.4 half' > "${arg#--print-to-pdf=}" ;; esac
done
echo started > "$RVS_TEST_MARK"
exec sleep 60
"""


@pytest.mark.slow
def test_sigterm_during_the_pdf_step_leaves_no_half_pdf_and_nothing_in_tmpdir(
    tiny, tmp_path, tmp_path_factory
):
    import signal
    import time

    tmpdir = tmp_path_factory.mktemp("t")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "chromium").write_text(FAKE_CHROMIUM, encoding="utf-8")
    (bin_dir / "chromium").chmod(0o755)
    mark = tmp_path / "printing"
    out = tmp_path / "outputs"
    process = _start_render(
        tiny, out, "quick", "Utrecht", "--pdf", tmpdir=tmpdir, path=bin_dir,
        env={"RVS_TEST_MARK": str(mark)},
    )  # fmt: skip
    try:
        _wait_for(mark.exists, 120, "the PDF step")
        browser = _descendants(process)
        assert browser and any(tmpdir.iterdir()), "the browser prints with a profile in TMPDIR"
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(map(_alive, browser)):
            time.sleep(0.1)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143
    assert "Traceback" not in err
    assert "Afgebroken (SIGTERM) tijdens het maken van de PDF's" in err
    assert [p.pid for p in browser if _alive(p)] == []
    assert sorted(path.name for path in tmpdir.iterdir()) == []
    assert (out / "utrecht" / "quick.html").is_file(), "the reports stay"
    assert [p.name for p in out.rglob("*") if ".pdf" in p.name] == []


def test_later_run_removes_staging_folders_of_processes_that_are_gone(
    rendered, tiny, tmp_path, capsys
):
    out = copy_of(rendered, tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    # What a batch killed with -9 leaves: its marked staging folder, and (killed during the
    # swap) the previous outputs, here with a file of someone else's that must survive.
    stale = out.parent / f".{out.name}.rendering-{gone.pid}"
    stale.mkdir()
    (stale / ".rvs-output").write_text("{}", encoding="utf-8")
    (stale / "index.html").write_text("half done", encoding="utf-8")
    stale_previous = out.parent / f".{out.name}.previous-{gone.pid}"
    stale_previous.mkdir()
    (stale_previous / ".rvs-output").write_text("{}", encoding="utf-8")
    (stale_previous / "index.html").write_text("old", encoding="utf-8")
    (stale_previous / "notes.txt").write_text("mine", encoding="utf-8")
    alive = out.parent / f".{out.name}.rendering-{os.getppid()}"
    alive.mkdir()
    (alive / ".rvs-output").write_text("{}", encoding="utf-8")
    unmarked = out.parent / f".{out.name}.rendering-{gone.pid + 1}"
    unmarked.mkdir()
    status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht,Midden-Nederland"), capsys)
    assert status == 0, err
    assert not stale.exists() and not stale_previous.exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert alive.is_dir(), "a staging folder of a live process is not ours to remove"
    assert unmarked.is_dir(), "a folder without rvs's marker is not rvs's to remove"


@pytest.mark.slow
def test_second_concurrent_run_into_one_folder_refuses_and_nothing_is_lost(
    rendered, tiny, tmp_path, capsys
):
    out = copy_of(rendered, tmp_path)
    wake = tmp_path / "wake"
    first = _start_render(tiny, out, "naps", "Utrecht", "--force", env={"RVS_TEST_WAKE": str(wake)})
    try:
        _wait_for(lambda: _kernels_running(first, 1), 120, "the first batch's kernel")
        before = tree(out)
        status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht", "--force"), capsys)
        assert status == 2
        message = one_paragraph(err)
        assert str(out) in message and f"pid {first.pid}" in message
        assert tree(out) == before
        wake.touch()  # the first batch's nap ends now instead of after 20 s
        _, first_err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, first_err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {(r["area"], Path(r["notebook"]).stem, r["status"]) for r in manifest["reports"]} == {
        ("Utrecht", "naps", "ok")
    }
    assert "wakker" in (out / "utrecht" / "naps.html").read_text(encoding="utf-8")
    assert leftovers(out) == []


# --------------------------------------------------------------------------------------------
# 7. Carried-over outputs are checked against the manifest's hashes
# --------------------------------------------------------------------------------------------


def test_hand_edited_report_is_rendered_again(rendered, tiny, tmp_path, capsys):
    import hashlib

    out = copy_of(rendered, tmp_path)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for report in manifest["reports"]:
        for kind in ("html", "summary", "ipynb"):
            if report[kind]:
                digest = hashlib.sha256((out / report[kind]).read_bytes()).hexdigest()
                assert report["sha256"][kind] == digest
    page = out / "utrecht" / "quick.html"
    page.write_text(page.read_text(encoding="utf-8") + "<p>hand edit</p>", encoding="utf-8")
    untouched = (out / "midden-nederland" / "quick.html").read_bytes()
    status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht,Midden-Nederland"), capsys)
    assert status == 0, err
    assert "1 gemaakt, 1 ongewijzigd overgenomen" in err
    assert "hand edit" not in page.read_text(encoding="utf-8")
    assert (out / "midden-nederland" / "quick.html").read_bytes() == untouched
    again = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) <= set(again)
    for old, new in zip(manifest["reports"], again["reports"], strict=True):
        assert set(old) <= set(new), "manifest fields are added, never renamed"


# --------------------------------------------------------------------------------------------
# 6 and 8 in one batch: a fractional timeout is honoured, --areas resolves like the library,
# nbclient's English log lines stay out of the Dutch progress lines
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_fractional_timeout_resolved_areas_and_only_dutch_progress_lines(tiny, tmp_path):
    out = tmp_path / "outputs"
    result = _rvs(
        render_argv(tiny, out, "dies,naps", "utrecht,GM0344", "--timeout", "0.5"), timeout=600
    )
    assert result.returncode == 1, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    reports = {(r["area"], Path(r["notebook"]).stem): r for r in manifest["reports"]}
    # utrecht and GM0344 are one area, Utrecht, as the library resolves them.
    assert set(reports) == {("Utrecht", "dies"), ("Utrecht", "naps")}
    # With int(0.5) == 0 there was no limit and the 20 s nap ended "ok".
    assert reports[("Utrecht", "naps")]["status"] == "failed"
    assert "tijdslimiet van 0.5 s" in reports[("Utrecht", "naps")]["error"]
    assert "onverwacht gestopt" in reports[("Utrecht", "dies")]["error"]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    dutch = re.compile(r"^(\[\d+/\d+\] |\d+ rapporten: |  mislukt: )")
    assert [line for line in lines if not dutch.match(line)] == []
    assert "Kernel died" not in result.stderr


def test_fifo_inside_a_cbs_cache_does_not_hang(cbs_cache, tmp_path):
    # a named pipe in place of a table's JSON file: refused at once, naming the file
    path = cbs_cache / "47018NED" / "Perioden.json"
    path.unlink()
    os.mkfifo(path)
    result = _rvs([*TABLE, "--source", "cbs", "--cache", str(cbs_cache)], timeout=120)
    assert result.returncode == 2, result.stderr
    message = one_paragraph(result.stderr)
    assert "Perioden.json" in message and "regular files only" in message


# --------------------------------------------------------------------------------------------
# Issue 29: downloads are checked on carry-over, links are never followed, the lock is no link
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def with_downloads(tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("downloads") / "outputs"
    assert cli.main(render_argv(tiny, out, "tabel", "Utrecht")) == 0
    return out


@pytest.mark.parametrize("tamper", ["formula", "truncated", "link to a private file", "missing"])
def test_a_changed_download_is_rendered_again_never_carried_over(
    tamper, with_downloads, tiny, tmp_path, capsys
):
    out = copy_of(with_downloads, tmp_path)
    files = out / "utrecht" / "tabel_bestanden"
    csv_file = next(files.glob("*.csv"))
    xlsx_file = next(files.glob("*.xlsx"))
    private = tmp_path / "private.txt"
    private.write_text("geheim", encoding="utf-8")
    if tamper == "formula":
        csv_file.write_text('=HYPERLINK("http://x")', encoding="utf-8")
    elif tamper == "truncated":
        xlsx_file.write_bytes(b"")
    elif tamper == "link to a private file":
        csv_file.unlink()
        csv_file.symlink_to(private)
    else:
        xlsx_file.unlink()
    status, _, err = run_cli(render_argv(tiny, out, "tabel", "Utrecht"), capsys)
    assert status == 0, err
    assert "1 gemaakt, 0 ongewijzigd overgenomen" in err
    assert not csv_file.is_symlink() and "HYPERLINK" not in csv_file.read_text("utf-8-sig")
    assert xlsx_file.stat().st_size > 0
    assert all("geheim" not in path.read_bytes().decode("utf-8", "replace")
               for path in out.rglob("*") if path.is_file())  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = manifest["reports"]
    assert set(entry["downloads_sha256"]) == set(entry["downloads"])


def test_an_unchanged_download_is_carried_over(with_downloads, tiny, tmp_path, capsys):
    out = copy_of(with_downloads, tmp_path)
    status, _, err = run_cli(render_argv(tiny, out, "tabel", "Utrecht"), capsys)
    assert status == 0 and "0 gemaakt, 1 ongewijzigd overgenomen" in err


def test_a_link_at_the_lock_path_is_refused_and_its_target_untouched(tiny, tmp_path, capsys):
    out = tmp_path / "outputs"
    target = tmp_path / "precious.txt"
    target.write_text("niet aankomen\n", encoding="utf-8")
    (tmp_path / ".outputs.lock").symlink_to(target)
    status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht"), capsys)
    assert status != 0 and "lock" in err and "Traceback" not in err
    assert target.read_text(encoding="utf-8") == "niet aankomen\n"
    assert not out.exists()


@pytest.mark.parametrize("value", ["201B", "nan", "inf", "True", "-2018"])
def test_a_parameter_value_a_report_cannot_use_is_refused_before_anything_renders(
    value, rendered, tmp_path, capsys
):
    """Issue 29 (low): every report failed and the failed batch replaced the good one."""
    out = copy_of(rendered, tmp_path)
    before = tree(out)
    argv = ["render", "--out", str(out), "--notebooks", "strategy_monitor", "--level", "region"]
    status, _, err = run_cli([*argv, "-p", f"report_year={value}"], capsys)
    assert status != 0 and "report_year" in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1
    assert tree(out) == before


def test_an_absurd_timeout_and_a_malformed_notebook_are_one_paragraph(tiny, tmp_path, capsys):
    out = tmp_path / "outputs"
    with pytest.raises(SystemExit) as caught:
        cli.main(render_argv(tiny, out, "quick", "Utrecht", "--timeout", "1e308"))
    assert caught.value.code != 0 and "at most 86400" in capsys.readouterr().err
    broken = tmp_path / "notebooks"
    broken.mkdir()
    (broken / "kapot.ipynb").write_text("{niet: json", encoding="utf-8")
    bad_cell = json.loads(TINY_NOTEBOOKS["quick"])
    bad_cell["cells"][1]["source"] = "area = (\n"
    (broken / "syntax.ipynb").write_text(json.dumps(bad_cell), encoding="utf-8")
    for name, words in (("kapot", "not a readable notebook"), ("syntax", "not valid Python")):
        argv = render_argv({**tiny, "notebooks": broken}, out, name, "Utrecht")
        status, _, err = run_cli(argv, capsys)
        assert status != 0 and words in err and "Traceback" not in err, err
        assert not out.exists()
