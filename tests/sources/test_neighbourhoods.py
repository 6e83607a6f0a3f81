"""The wijk and buurt loader: what it keeps (withheld as missing, provisional months, recodings)
and what it refuses, with one error naming the file, the column and the row."""

from __future__ import annotations

import json
import lzma
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rvs_analysis.exceptions import DataValidationError, SourceNotAvailableError
from rvs_analysis.sources.neighbourhoods import has_neighbourhoods, input_files, load_neighbourhoods

YEARLY = """offence_code,offence_label,area_code,area_kind,area_name,gemeente_code,year,registered_offences,provisional
1.1.1,Diefstal/inbraak woning,WK034401,wijk,Wijk 01,GM0344,2022,12,0
1.1.1,Diefstal/inbraak woning,WK034401,wijk,Wijk 01,GM0344,2023,9,0
1.1.1,Diefstal/inbraak woning,BU03440101,buurt,Buurt A,GM0344,2022,5,0
1.1.1,Diefstal/inbraak woning,BU03440101,buurt,Buurt A,GM0344,2023,,0
1.1.1,Diefstal/inbraak woning,BU03440102,buurt,Buurt B,GM0344,2022,7,0
1.1.1,Diefstal/inbraak woning,BU03440103,buurt,Buurt C,GM0344,2023,0,0
"""
MONTHLY = """area_code,year,month,offence_code,registered_offences,provisional
WK034401,2023,11,1.1.1,1,0
WK034401,2023,12,1.1.1,2,1
BU03440101,2023,11,1.1.1,.,0
BU03440101,2023,12,1.1.1,0,1
BU03440103,2023,12,1.1.1,1,1
"""
POPULATION = """area_code,year,population
WK034401,2022,2000
WK034401,2023,2010
BU03440101,2022,1200
BU03440101,2023,
BU03440102,2022,800
BU03440103,2023,810
"""


def _feature(code, kind="buurt", gemeente="GM0344", year=2023, ring=None):
    ring = ring or [[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.1], [5.0, 52.0]]
    return {
        "type": "Feature",
        "properties": {
            "area_code": code,
            "area_name": f"Naam {code}",
            "area_kind": kind,
            "gemeente_code": gemeente,
            "year": year,
        },
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def _write(folder: Path, yearly=YEARLY, monthly=MONTHLY, population=POPULATION, features=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "neighbourhood_crime.csv").write_text(yearly, encoding="utf-8")
    (folder / "neighbourhood_monthly_crime.csv.xz").write_bytes(lzma.compress(monthly.encode()))
    (folder / "neighbourhood_population.csv").write_text(population, encoding="utf-8")
    if features is not None:
        (folder / "neighbourhoods.geojson").write_text(
            json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
        )
    return folder


def test_reads_a_folder_keeping_withheld_cells_missing(tmp_path):
    folder = _write(
        tmp_path / "nb", features=[_feature("WK034401", "wijk"), _feature("BU03440101")]
    )
    data = load_neighbourhoods(folder)
    yearly = data.yearly.set_index(["area_code", "year"])["registered_offences"]
    assert yearly.isna().sum() == 1 and yearly.loc[("BU03440101", 2023)] != 0
    assert yearly.loc[("BU03440103", 2023)] == 0, "a published 0 stays 0"
    monthly = data.monthly.set_index(["area_code", "year", "month"])["registered_offences"]
    assert monthly.isna().sum() == 1  # CBS's "." marker
    assert data.population["population"].isna().sum() == 1
    assert data.provisional_months == ((2023, 12),)
    assert list(data.monthly.columns[:3]) == ["area_code", "area_kind", "gemeente_code"]
    assert data.boundary_year == 2023
    partial = data.partial_series.set_index("area_code")
    assert set(partial.index) == {"BU03440102", "BU03440103"}
    assert partial.loc["BU03440102", "ends_early"] and partial.loc["BU03440103", "starts_late"]
    areas = data.areas.set_index("area_code")
    assert areas.loc["BU03440101", "area_name"] == "Buurt A"
    assert areas.loc["BU03440101", "wijk_code"] == "WK034401"
    assert areas.loc["BU03440103", "first_month"] == "2023-12"
    assert data.offences.to_dict("list") == {
        "offence_code": ["1.1.1"],
        "offence_label": ["Diefstal/inbraak woning"],
    }
    assert has_neighbourhoods(folder)
    assert [path.name for path in input_files(folder)] == [
        "neighbourhood_crime.csv",
        "neighbourhood_monthly_crime.csv.xz",
        "neighbourhood_population.csv",
        "neighbourhoods.geojson",
    ]


def test_without_boundaries_the_data_still_load(tmp_path):
    data = load_neighbourhoods(_write(tmp_path / "nb"))
    assert data.boundaries is None and data.boundary_year is None
    assert "neighbourhoods.geojson" not in data.files


def test_a_missing_table_is_named(tmp_path):
    folder = _write(tmp_path / "nb")
    (folder / "neighbourhood_monthly_crime.csv.xz").unlink()
    assert not has_neighbourhoods(tmp_path / "absent")
    with pytest.raises(
        SourceNotAvailableError, match=r"neighbourhood_monthly_crime\.csv is missing"
    ):
        load_neighbourhoods(folder)
    with pytest.raises(SourceNotAvailableError, match="does not exist"):
        load_neighbourhoods(tmp_path / "absent")


@pytest.mark.parametrize(
    ("table", "old", "new", "file", "column", "row", "problem"),
    [
        ("yearly", "BU03440102,buurt", "BU0344012,buurt", "neighbourhood_crime.csv", "area_code", 5, "wijk or buurt code"),
        ("yearly", "WK034401,wijk,Wijk 01,GM0344,2023", "WK034401,buurt,Wijk 01,GM0344,2023", "neighbourhood_crime.csv", "area_kind", 2, "does not match the code"),
        ("yearly", "Buurt C,GM0344", "Buurt C,GM0345", "neighbourhood_crime.csv", "gemeente_code", 6, "does not match the area code"),
        ("yearly", "Buurt C,GM0344,2023,0,0", "Buurt C,GM0344,2023,-1,0", "neighbourhood_crime.csv", "registered_offences", 6, "negative"),
        ("yearly", "BU03440103,buurt,Buurt C,GM0344,2023", "BU03440102,buurt,Buurt C,GM0344,2022", "neighbourhood_crime.csv", "offence_code, area_code, year", 6, "duplicate key"),
        ("monthly", "BU03440103,2023,12", "BU03440101,2023,12", "neighbourhood_monthly_crime.csv.xz", "area_code, year, month, offence_code", 5, "duplicate key"),
        ("monthly", "WK034401,2023,11", "WK034401,2023,13", "neighbourhood_monthly_crime.csv.xz", "month", 1, "1-12"),
        ("population", "BU03440102,2022,800", "BU03440102,2022,80.5", "neighbourhood_population.csv", "population", 5, "whole number"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_naming_file_column_and_row(
    tmp_path, table, old, new, file, column, row, problem
):
    texts = {"yearly": YEARLY, "monthly": MONTHLY, "population": POPULATION}
    assert old in texts[table]
    texts[table] = texts[table].replace(old, new, 1)
    folder = _write(tmp_path / "nb", **texts)
    with pytest.raises(DataValidationError) as caught:
        load_neighbourhoods(folder)
    error = caught.value
    assert (error.file, error.column, error.row) == (file, column, row)
    assert problem in str(error)


def test_a_missing_column_and_an_empty_table_are_refused(tmp_path):
    folder = _write(tmp_path / "a", yearly=YEARLY.replace(",provisional\n", "\n", 1))
    with pytest.raises(DataValidationError, match="column 'provisional'"):
        load_neighbourhoods(folder)
    folder = _write(tmp_path / "b", population="area_code,year,population\n")
    with pytest.raises(DataValidationError, match="neighbourhood_population.csv"):
        load_neighbourhoods(folder)


def test_one_table_in_two_files_is_refused(tmp_path):
    folder = _write(tmp_path / "nb")
    (folder / "neighbourhood_crime.csv.xz").write_bytes(lzma.compress(YEARLY.encode()))
    with pytest.raises(DataValidationError, match="one table in two files"):
        load_neighbourhoods(folder)


@pytest.mark.parametrize(
    ("features", "column", "row", "problem"),
    [
        ([_feature("BU03440101"), {"type": "Feature", "properties": {"area_code": "BU03440102"}}], "area_name", 2, "missing"),
        ([_feature("BU03440101", kind="wijk")], "area_kind", 1, "does not match"),
        ([_feature("BU03440101", gemeente="GM0307")], "gemeente_code", 1, "does not match"),
        ([_feature("BU03440101", ring=[[5.0, 52.0], [5.1, 52.0], [5.0, 52.0]])], "geometry", 1, "fewer than four"),
        ([_feature("BU03440101"), _feature("BU03440102", year=2022)], "year", None, "several years"),
    ],
)  # fmt: skip
def test_bad_boundaries_are_refused(tmp_path, features, column, row, problem):
    folder = _write(tmp_path / "nb", features=features)
    with pytest.raises(DataValidationError) as caught:
        load_neighbourhoods(folder)
    error = caught.value
    assert (error.file, error.column, error.row) == ("neighbourhoods.geojson", column, row)
    assert problem in str(error)


def test_the_wijk_and_buurt_files_count_in_the_source_version(tidy_folder):
    """A changed buurt figure must re-render the reports: the files are hashed into the version;
    the municipal loader neither reads them nor takes their polygons for municipal boundaries."""
    from rvs_analysis.sources import load_source, source_version

    before = source_version(str(tidy_folder))
    _write(tidy_folder, features=[_feature("BU03440101")])
    with_files = source_version(str(tidy_folder))
    assert with_files != before
    (tidy_folder / "neighbourhood_crime.csv").write_text(
        YEARLY.replace("2022,12,0", "2022,13,0"), encoding="utf-8"
    )
    assert source_version(str(tidy_folder)) != with_files
    dataset = load_source(str(tidy_folder))
    assert dataset.boundaries is None
    assert not any(name.startswith("neighbourhood") for name in dataset.provenance["files"])


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("neighbourhood_crime", "neighbourhood_crime.csv.xz"),
        ("neighbourhood_population", "neighbourhood_population.csv"),
    ],
)
def test_the_fast_path_reads_what_the_row_by_row_validation_reads(kind, name):
    from rvs_analysis import clean
    from rvs_analysis.sources import demo
    from rvs_analysis.sources.tidy import read_csv_text

    path = demo.DEMO_DIR / name
    fast = clean.read_well_formed(kind, path)
    assert fast is not None
    slow = clean.validate_frame(kind, read_csv_text(path), name)
    pd.testing.assert_frame_equal(fast, slow)


@pytest.mark.parametrize(
    ("change", "fast"),
    [
        (("Buurt A,GM0344,2022,5,0", "Buurt A,GM0344,2022, 5,0"), True),  # padding of a number
        (("Buurt A,GM0344,2022,5,0", "Buurt A,GM0344,2022,5,ja"), True),  # another flag spelling
        (("Buurt A,GM0344,2022,5,0", "Buurt A,GM0344,2022,.,0"), False),  # a CBS marker
        (("Buurt A,GM0344,2022,5,0", "Buurt A,GM0344,2022JJ00,5,0"), False),  # a period code
        (("Buurt A,GM0344", "Buurt A ,GM0344"), False),  # padding of a text
    ],
)
def test_both_paths_read_values_off_the_plainest_form_alike(tmp_path, change, fast):
    from rvs_analysis import clean
    from rvs_analysis.sources.tidy import read_csv_text

    folder = _write(tmp_path / "nb", yearly=YEARLY.replace(*change))
    path = folder / "neighbourhood_crime.csv"
    slow = clean.validate_frame("neighbourhood_crime", read_csv_text(path), path.name)
    typed = clean.read_well_formed("neighbourhood_crime", path)
    assert (typed is not None) == fast
    if fast:
        pd.testing.assert_frame_equal(typed, slow)
    yearly = load_neighbourhoods(folder).yearly.set_index(["area_code", "year"])
    plain = load_neighbourhoods(_write(tmp_path / "plain")).yearly.set_index(["area_code", "year"])
    expected = plain["registered_offences"].copy()
    if change[1].endswith(",.,0"):
        expected.loc[("BU03440101", 2022)] = np.nan
    pd.testing.assert_series_equal(yearly["registered_offences"], expected)
    assert yearly["provisional"].dtype == bool
    assert yearly["provisional"].sum() == (1 if change[1].endswith(",ja") else 0)


def test_a_source_names_its_wijk_and_buurt_data(tidy_folder):
    from rvs_analysis.sources import load_neighbourhood_source

    with pytest.raises(SourceNotAvailableError, match="neighbourhood_crime.csv"):
        load_neighbourhood_source(str(tidy_folder))
    _write(tidy_folder)
    assert len(load_neighbourhood_source(str(tidy_folder)).yearly) == 6
    with pytest.raises(SourceNotAvailableError, match="--tables wijkbuurt_jaar wijkbuurt_maand"):
        load_neighbourhood_source("cbs", cache=str(tidy_folder))
