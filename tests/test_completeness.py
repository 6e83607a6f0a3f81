"""Complete or refused (issue 27 item 5): a municipality of an area in use without its rows for a
year in use, or with a population of 0, is refused before anything is written; no total is printed.

Each case goes through ``rvs table`` and ``rvs render`` on a small tidy folder with rows deleted.
"""

from __future__ import annotations

import datetime as dt

import pytest

from rvs_analysis import cli
from rvs_analysis.completeness import check_complete, required_codes
from rvs_analysis.exceptions import IncompleteDataError
from rvs_analysis.sources import load_source

ZEIST = "GM0355"


def test_required_codes_follow_the_merger_history_both_ways():
    before = required_codes(["GM1942", "GM0620", "GM0457", ZEIST], 2017, dt.date(2014, 1, 1))
    assert before == {
        "GM1942": ("GM0381", "GM0424", "GM0425"),  # Gooise Meren = Bussum, Muiden, Naarden
        "GM0620": ("GM0620",),
        "GM0457": ("GM0457",),
        ZEIST: (ZEIST,),
    }
    after = required_codes(["GM1942", "GM0620", "GM0457"], 2017, dt.date(2024, 1, 1))
    assert after == {"GM1942": ("GM1942",), "GM0620": ("GM1961",), "GM0457": ("GM0363",)}
    # an annexation keeps the successor's code: Amsterdam before 2022 is Amsterdam and Weesp
    assert required_codes(["GM0363"], 2024, dt.date(2015, 1, 1)) == {"GM0363": ("GM0363", "GM0457")}


def _without(frame, year=None, code=ZEIST):
    drop = frame["gemeente_code"] == code
    if year is not None:
        drop &= frame["year"] == year
    return frame[~drop]


def _zero(frame, year=2016, code=ZEIST):
    frame = frame.copy()
    frame.loc[(frame["gemeente_code"] == code) & (frame["year"] == year), "population"] = 0
    return frame


CASES = {
    "crime rows absent": lambda crime, population: (_without(crime), population),
    "crime rows absent in one year": lambda crime, population: (
        _without(crime, 2016),
        population,
    ),
    "population rows absent": lambda crime, population: (crime, _without(population, 2016)),
    "population zero": lambda crime, population: (crime, _zero(population)),
}


@pytest.fixture(params=sorted(CASES))
def broken_source(request, tmp_path, tidy_kit):
    crime, population = CASES[request.param](tidy_kit.region_crime(), tidy_kit.region_population())
    folder = tidy_kit.write_tidy(
        tmp_path / "broken",
        crime=crime,
        population=population,
        metadata={"crime_boundary_year": 2017, "population_boundary_year": 2017},
    )
    return request.param, folder


def _refused(status, out, err):
    assert status != 0
    assert out == ""  # no total, not even a header
    assert "Traceback" not in err and err.startswith("rvs: error: ")
    assert ZEIST in err


def test_rvs_table_refuses_an_incomplete_source_and_writes_nothing(broken_source, tmp_path, capsys):
    case, folder = broken_source
    output = tmp_path / "table.csv"
    argv = ["table", "--source", str(folder), "--offence", "1.1.1", "--level", "district"]
    status = cli.main([*argv, "--rate", "--output", str(output)])
    captured = capsys.readouterr()
    _refused(status, captured.out, captured.err)
    assert not output.exists()
    if case != "population zero":  # that one is refused by the file check, naming file and row
        assert "Zeist" in captured.err and ("2016" in captured.err or "2015-2017" in captured.err)
    else:
        assert "population.csv" in captured.err and "population of 0" in captured.err


def test_rvs_render_refuses_an_incomplete_source_before_anything_is_written(
    broken_source, tmp_path, capsys
):
    _case, folder = broken_source
    out = tmp_path / "outputs"
    status = cli.main(
        ["render", "--source", str(folder), "--out", str(out), "--level", "region", "--jobs", "1"]
    )
    captured = capsys.readouterr()
    _refused(status, captured.out, captured.err)
    assert not out.exists()


def test_crime_rows_absent_only_outside_the_years_in_use_are_no_reason_to_refuse(
    tmp_path, tidy_kit, capsys
):
    crime = _without(tidy_kit.region_crime(), 2015)
    folder = tidy_kit.write_tidy(
        tmp_path / "partial",
        crime=crime,
        metadata={"crime_boundary_year": 2017, "population_boundary_year": 2017},
    )
    argv = ["table", "--source", str(folder), "--offence", "1.1.1", "--level", "region"]
    assert cli.main([*argv, "--years", "2016-2017"]) == 0
    assert "Midden-Nederland,2016" in capsys.readouterr().out
    assert cli.main([*argv, "--years", "2015-2016"]) != 0
    assert ZEIST in capsys.readouterr().err


def test_a_municipality_outside_the_areas_in_use_may_be_incomplete(tmp_path, tidy_kit):
    dataset = load_source(str(tidy_kit.write_tidy(tmp_path / "t", metadata={})))
    check_complete(dataset, ["GM0344"], 2017, [2015, 2016, 2017])  # Utrecht alone: complete
    with pytest.raises(IncompleteDataError, match="GM9999"):
        check_complete(dataset, ["GM0344", "GM9999"], 2017, [2016])


def test_a_withheld_figure_makes_a_merged_total_missing_not_smaller():
    """Harmonising sums predecessors: with one of them withheld, the successor's figure is
    missing (Gooise Meren 2014 is not Muiden + Naarden alone)."""
    import numpy as np
    import pandas as pd

    from rvs_analysis import regions

    counts = pd.DataFrame(
        {
            "gemeente_code": ["GM0381", "GM0424", "GM0425", "GM0344"],
            "year": [2014] * 4,
            "registered_offences": [np.nan, 5.0, 6.0, 7.0],
        }
    )
    population = counts.rename(columns={"registered_offences": "population"}).fillna(1.0)
    harmonised = regions.harmonise_counts(counts, population, None, 2017).set_index("gemeente_code")
    assert pd.isna(harmonised.loc["GM1942", "registered_offences"])
    assert harmonised.loc["GM0344", "registered_offences"] == 7.0


def test_a_cbs_table_is_named_by_its_data_set_not_a_metadata_file():
    from types import SimpleNamespace

    from rvs_analysis import completeness

    files = ["raw/70072ned/CategoryGroups.json", "raw/70072ned/TypedDataSet.json"]
    dataset = SimpleNamespace(provenance={"files": files}, source="cbs")
    assert completeness._input_file(dataset, "population") == "raw/70072ned/TypedDataSet.json"


def test_the_real_country_is_complete_and_a_regional_source_is_not_incomplete(
    shared_dataset, demo_dataset
):
    assert shared_dataset.provenance["incomplete_outside_region"] == {}
    assert shared_dataset.provenance["data_notes"] == []
    assert demo_dataset.provenance["incomplete_outside_region"] == {}


def test_gaps_outside_the_region_are_one_warning_per_load_and_on_record(
    shared_cbs_dir, tmp_path, capsys
):
    folder = tmp_path / "without_groningen"
    folder.mkdir()
    for path in shared_cbs_dir.glob("*.csv"):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if "GM0014" not in line or "population" in path.name]
        (folder / path.name).write_text("".join(kept), encoding="utf-8")
    for path in shared_cbs_dir.glob("*.geojson"):  # its name gives the crime's boundary year
        (folder / path.name).symlink_to(path)
    dataset = load_source(str(folder))
    gaps = dataset.provenance["incomplete_outside_region"]
    assert gaps == {"crime": {"GM0014": list(range(2012, 2026))}}
    argv = ["table", "--source", str(folder), "--offence", "1.1.1", "--level", "district"]
    assert cli.main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("area,year")
    (line,) = captured.err.splitlines()
    assert line.startswith("rvs: warning: ") and "1 municipality outside the region" in line
    assert "GM0014 Groningen" in line and "crime rows" in line
    # the comparison that needs Groningen is refused, naming it
    assert cli.main([*argv[:-2], "--level", "police-unit"]) != 0
    assert "GM0014 Groningen" in capsys.readouterr().err
