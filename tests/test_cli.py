"""The ``rvs`` command: table output, errors for people, fetch without network, demo-data."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import time
import types
from pathlib import Path

import pandas as pd
import pytest

from rvs_analysis import cli
from rvs_analysis.sources import cbs

REPO_ROOT = Path(__file__).resolve().parents[1]
CBS_CACHE_FIXTURE = REPO_ROOT / "tests" / "fixtures" / "cbs_cache"


def run_cli(argv, capsys):
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_paragraph(stderr: str) -> None:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("rvs: error: ")


def test_table_csv_and_markdown(tidy_folder, capsys):
    status, out, err = run_cli(
        ["table", "--source", str(tidy_folder), "--offence", "1.1.1", "--level", "district"],
        capsys,
    )
    assert status == 0 and err == ""
    table = pd.read_csv(io.StringIO(out))
    assert list(table.columns) == ["area", "year", "registered_offences", "provisional"]
    assert not table["provisional"].any()
    assert list(table["area"].drop_duplicates()) == [
        "Flevoland",
        "Gooi en Vechtstreek",
        "Stad Utrecht",
        "West-Utrecht",
        "Oost-Utrecht",
    ]
    status, out, _ = run_cli(
        [
            "table",
            "--source",
            str(tidy_folder),
            "--offence",
            "1.1.1",
            "--level",
            "region",
            "--years",
            "2016",
            "--rate",
            "--format",
            "markdown",
        ],
        capsys,
    )
    lines = out.splitlines()
    assert status == 0
    assert lines[0] == (
        "| area | year | registered_offences | population | rate_per_1000 | rate_ci_low "
        "| rate_ci_high | provisional |"
    )
    assert lines[2].startswith("| Midden-Nederland | 2016 | ") and len(lines) == 3


def test_table_rate_columns_in_csv(tidy_folder, capsys):
    status, out, _ = run_cli(
        [
            "table",
            "--source",
            str(tidy_folder),
            "--offence",
            "1.1.1",
            "--level",
            "gemeente",
            "--years",
            "2015-2016",
            "--rate",
            "--format",
            "csv",
        ],
        capsys,
    )
    table = pd.read_csv(io.StringIO(out))
    assert status == 0 and len(table) == 78
    expected = table["registered_offences"] / table["population"] * 1000
    assert (table["rate_per_1000"] - expected).abs().max() < 0.005


BAD_INPUTS = {
    # kind of bad input: (file named in the message, column named in the message)
    "missing column": ("registered_crime.csv", "year"),
    "not a number": ("registered_crime.csv", "registered_offences"),
    "negative count": ("registered_crime.csv", "registered_offences"),
    "implausible year": ("population.csv", "year"),
    "unknown code": ("registered_crime.csv", "gemeente_code"),
    "duplicate key": ("population.csv", "gemeente_code, year"),
    "bad period code": ("registered_crime.csv", "year"),
}


def _bad_folder(tmp_path, kind, kit):
    crime, population = kit.region_crime(), kit.region_population()
    crime = crime.astype({"registered_offences": object, "year": object})
    population = population.astype({"year": object})
    if kind == "missing column":
        crime = crime.drop(columns="year")
    elif kind == "not a number":
        crime.loc[2, "registered_offences"] = "twelve"
    elif kind == "negative count":
        crime.loc[2, "registered_offences"] = -12
    elif kind == "implausible year":
        population.loc[2, "year"] = 1850
    elif kind == "unknown code":
        crime.loc[2, "gemeente_code"] = "GM9998"
    elif kind == "duplicate key":
        population.loc[2, ["gemeente_code", "year"]] = population.loc[1, ["gemeente_code", "year"]]
    elif kind == "bad period code":
        crime.loc[2, "year"] = "2016XX00"
    return kit.write_tidy(tmp_path / "bad", crime=crime, population=population)


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_stops_with_one_paragraph_and_writes_nothing(kind, tmp_path, capsys, tidy_kit):
    folder = _bad_folder(tmp_path, kind, tidy_kit)
    output = tmp_path / "out" / "table.csv"
    argv = ["table", "--source", str(folder), "--offence", "1.1.1", "--level", "district"]
    status, out, err = run_cli([*argv, "--output", str(output)], capsys)
    file, column = BAD_INPUTS[kind]
    assert status == 2
    assert out == "" and not output.exists() and not output.parent.exists()
    assert_one_paragraph(err)
    assert file in err and f"column '{column}'" in err
    if kind != "missing column":
        assert "row 3" in err
    status, _, err = run_cli([*argv, "--debug"], capsys)
    assert status == 2 and "Traceback" in err and "DataValidationError" in err


def test_errors_in_a_real_process_have_no_traceback(tmp_path, tidy_kit):
    folder = _bad_folder(tmp_path, "negative count", tidy_kit)
    command = [sys.executable, "-m", "rvs_analysis.cli", "table", "--source", str(folder)]
    command += ["--offence", "1.1.1", "--level", "region"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert_one_paragraph(result.stderr)
    assert "registered_crime.csv" in result.stderr and "row 3" in result.stderr


def test_unknown_offence_and_source(tidy_folder, tmp_path, capsys):
    status, _, err = run_cli(
        ["table", "--source", str(tidy_folder), "--offence", "7.7.7", "--level", "region"], capsys
    )
    assert status == 3 and "7.7.7" in err and "1.1.1" in err
    assert_one_paragraph(err)
    status, _, err = run_cli(
        ["table", "--source", str(tmp_path / "no"), "--offence", "1.1.1", "--level", "region"],
        capsys,
    )
    assert status == 3
    assert_one_paragraph(err)


def test_malformed_years_are_a_usage_error(tidy_folder, capsys):
    argv = ["table", "--source", str(tidy_folder), "--offence", "1.1.1", "--level", "region"]
    with pytest.raises(SystemExit) as caught:
        cli.main([*argv, "--years", "2016-2015"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "first year is after the last" in err and "Traceback" not in err


def test_missing_command_module_says_not_available(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "future-thing", "a command that does not exist yet")
    status, _, err = run_cli(["future-thing"], capsys)
    assert status == 2 and "not available yet" in err


def test_fetch_without_network_fails_within_30_seconds(tmp_path, monkeypatch, capsys):
    for table_id, spec in list(cbs.TABLES.items()):
        monkeypatch.setitem(cbs.TABLES, table_id, dataclasses.replace(spec, catalog="127.0.0.1:9"))
    started = time.perf_counter()
    status, out, err = run_cli(
        ["fetch", "--cache", str(tmp_path / "raw"), "--timeout", "3"], capsys
    )
    assert time.perf_counter() - started < 30
    assert status == 4
    assert_one_paragraph(err)
    assert "47018NED" in err and "network" in err
    assert list((tmp_path / "raw").iterdir()) == []


def test_cbs_source_through_the_cli(capsys):
    status, out, err = run_cli(
        [
            "table",
            "--source",
            "cbs",
            "--cache",
            str(CBS_CACHE_FIXTURE),
            "--offence",
            "1.1.1",
            "--level",
            "gemeente",
            "--years",
            "2016",
        ],
        capsys,
    )
    # The fixture cache holds five of the region's municipalities: a list of all 39 would lack
    # 34 of them, so it is refused, naming them (issue 27: complete or refused).
    assert status == 3 and out == "" and "GM0355 Zeist: 2016" in err
    from rvs_analysis import regions
    from rvs_analysis.sources import load_source

    dataset = load_source("cbs", str(CBS_CACHE_FIXTURE))
    table = regions.area_table(
        dataset, "1.1.1", areas=["Vianen", "Utrecht", "Gooise Meren"], years=[2016]
    ).set_index("area")["registered_offences"]
    # Vijfheerenlanden's 253 burglaries of 2016 apportioned to Vianen by its 2016 population share.
    assert table["Vianen"] == round(253 * 20_100 / (20_100 + 21_100 + 14_100))
    assert table["Utrecht"] == 1653 and table["Gooise Meren"] == 303


def test_demo_data_calls_the_generator_lazily(tmp_path, monkeypatch, capsys):
    written = []
    fake = types.ModuleType("rvs_analysis.sources.demo")
    fake.generate = lambda out_dir: written.append(out_dir)
    fake.truth = lambda: {"effects": {"pilot": {"value": -3.0, "description": "test"}}}
    monkeypatch.setitem(sys.modules, "rvs_analysis.sources.demo", fake)
    status, out, _ = run_cli(["demo-data", "--truth"], capsys)
    assert status == 0 and json.loads(out)["effects"]["pilot"]["value"] == -3.0
    status, _, _ = run_cli(["demo-data", "--out", str(tmp_path / "demo")], capsys)
    assert status == 0 and written == [tmp_path / "demo"]


def test_shared_extract_district_table_through_the_cli(shared_cbs_dir, capsys):
    status, out, _ = run_cli(
        [
            "table",
            "--source",
            str(shared_cbs_dir),
            "--offence",
            "1.1.1",
            "--level",
            "district",
            "--boundaries",
            "2017",
            "--years",
            "2015-2016",
            "--format",
            "csv",
        ],
        capsys,
    )
    assert status == 0
    table = pd.read_csv(io.StringIO(out)).set_index(["area", "year"])["registered_offences"]
    assert abs(table[("Gooi en Vechtstreek", 2016)] / 1219 - 1) < 0.02
    assert abs(table[("Oost-Utrecht", 2015)] / 2275 - 1) < 0.02


def test_rvs_table_never_overwrites_its_own_input(tidy_folder, capsys):
    """Issue 29 (low): --output naming one of the source's files overwrote the source."""
    crime = tidy_folder / "registered_crime.csv"
    before = crime.read_bytes()
    status, out, err = run_cli(
        ["table", "--source", str(tidy_folder), "--offence", "1.1.1", "--level", "region",
         "--output", str(crime)],
        capsys,
    )  # fmt: skip
    assert status != 0 and "input" in err and out == ""
    assert_one_paragraph(err)
    assert crime.read_bytes() == before
