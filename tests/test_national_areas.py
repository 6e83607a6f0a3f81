"""Every Dutch municipality on any boundary year: the national harmonisation (rvs_analysis.national),
the national areas of the toolkit and ``rvs table --scope nederland`` / ``--level police-unit``."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from rvs_analysis import cli, national, regions
from rvs_analysis.exceptions import DataValidationError, SourceNotAvailableError, UnknownAreaError
from rvs_analysis.sources import load_source


def run_cli(argv, capsys):
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def shared_population(shared_cbs_dir) -> pd.DataFrame:
    return pd.read_csv(shared_cbs_dir / "population_70072ned_gemeente_year.csv")


# ---------------------------------------------------------------------------------------------
# The municipalities of a boundary year (from the tables alone)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("year", "count"), [(2012, 415), (2017, 388), (2019, 355), (2024, 342)])
def test_municipalities_of_a_boundary_year(year, count):
    table = national.municipalities(year)
    assert len(table) == count and table["gemeente_code"].is_unique
    assert table["gemeente_name"].ne("").all()


def test_municipalities_are_those_of_70072ned_every_year(shared_population):
    for year, group in shared_population.groupby("year"):
        expected = set(group["gemeente_code"]) - {"GM0000"}
        assert set(national.municipalities(int(year))["gemeente_code"]) == expected, year


def test_every_code_of_70072ned_has_a_name(shared_population):
    assert set(shared_population["gemeente_code"]) <= set(national.municipality_names().index)


# ---------------------------------------------------------------------------------------------
# Harmonisation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("boundaries", [2012, 2017, 2024])
def test_population_on_any_boundaries_keeps_every_year_and_the_national_total(
    shared_population, boundaries
):
    result = national.harmonise(
        shared_population, shared_population, None, boundaries, ["population"], flag=True
    )
    codes = set(national.municipalities(boundaries)["gemeente_code"])
    for year, group in result.groupby("year"):
        assert set(group["gemeente_code"]) == codes, year
        assert (group["population"] > 0).all()
    totals = result.groupby("year")["population"].sum()
    raw = shared_population.groupby("year")["population"].sum()
    np.testing.assert_allclose(totals.to_numpy(), raw.to_numpy(), rtol=1e-9)


def test_a_split_goes_forward_by_its_shares_and_is_flagged(shared_population):
    result = national.harmonise(
        shared_population, shared_population, None, 2024, ["population"], flag=True
    )
    row = result.set_index(["gemeente_code", "year"])
    own = shared_population.set_index(["gemeente_code", "year"])["population"]
    # Tilburg 2020 on 2024 boundaries: Tilburg plus 0.099 of Haaren (Biezenmortel), estimated.
    expected = own[("GM0855", 2020)] + 0.099 * own[("GM0788", 2020)]
    assert row.loc[("GM0855", 2020), "population"] == pytest.approx(expected)
    assert row.loc[("GM0855", 2020), national.ESTIMATED]
    assert not row.loc[("GM0855", 2021), national.ESTIMATED]
    # A pure merger forward is exact and not flagged: Dijk en Waard 2021.
    assert row.loc[("GM1980", 2021), "population"] == own[("GM0398", 2021)] + own[("GM0416", 2021)]
    assert not row.loc[("GM1980", 2021), national.ESTIMATED]


def test_counts_on_older_boundaries_match_the_region_harmonisation(shared_cbs_dir):
    dataset = load_source(str(shared_cbs_dir))
    region = regions.area_table(dataset, "1.1.1", "gemeente", 2017, "2015-2024", rate=True)
    country = national.area_table(dataset, "1.1.1", "gemeente", 2017, "2015-2024", rate=True)
    country["area"] = country["area"].replace({"Laren (NH.)": "Laren"})  # CBS adds the province
    merged = region.merge(country, on=["area", "year"], suffixes=("", "_nl"))
    assert len(merged) == len(region) == 39 * 10
    for column in ("registered_offences", "population", "estimated_from_successor"):
        assert (merged[column] == merged[f"{column}_nl"]).all(), column


def test_harmonising_back_apportions_a_split_successor(shared_population):
    counts = pd.DataFrame(
        {"gemeente_code": ["GM0855", "GM0757", "GM0824", "GM0865"], "year": 2022, "n": 100.0}
    )
    result = national.harmonise(counts, shared_population, 2022, 2020, ["n"], flag=True)
    value = result.set_index("gemeente_code")["n"]
    assert value.sum() == pytest.approx(400)
    assert 0 < value["GM0788"] < 100  # Haaren gets parts of its four successors
    assert result[national.ESTIMATED].all()


# ---------------------------------------------------------------------------------------------
# The table through the CLI
# ---------------------------------------------------------------------------------------------


def test_every_municipality_of_2024_has_a_positive_population_every_year(shared_cbs_dir, capsys):
    status, out, err = run_cli(
        [
            "table",
            "--source",
            str(shared_cbs_dir),
            "--scope",
            "nederland",
            "--level",
            "gemeente",
            "--boundaries",
            "2024",
            "--years",
            "2012-2025",
            "--rate",
        ],
        capsys,
    )
    assert status == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert table["area"].nunique() == 342
    assert len(table) == 342 * 14
    assert np.isfinite(table["population"]).all() and (table["population"] > 0).all()
    assert np.isfinite(table["rate_per_1000"]).all()
    assert "Dijk en Waard" in set(table["area"]) and "Heerhugowaard" not in set(table["area"])


def test_the_2017_boundaries_list_388_municipalities(shared_cbs_dir, capsys):
    status, out, err = run_cli(
        [
            "table", "--source", str(shared_cbs_dir), "--scope", "nederland",
            "--level", "gemeente", "--boundaries", "2017", "--years", "2016", "--rate",
        ],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert table["area"].nunique() == 388
    assert {"Heerhugowaard", "Haaren", "Vianen", "Weesp"} <= set(table["area"])


def test_the_netherlands_is_the_sum_of_its_municipalities(shared_cbs_dir):
    dataset = load_source(str(shared_cbs_dir))
    country = regions.area_table(dataset, "1.1.1", "region", 2024, "2015-2016", scope="nederland")
    every = regions.area_table(dataset, "1.1.1", "gemeente", 2024, "2015-2016", scope="nederland")
    sums = every.groupby("year")["registered_offences"].sum()
    assert country["area"].unique().tolist() == ["Nederland"]
    assert country.set_index("year")["registered_offences"].to_dict() == sums.to_dict()


def test_districts_are_refused_in_the_national_scope(shared_cbs_dir, capsys):
    status, _, err = run_cli(
        ["table", "--source", str(shared_cbs_dir), "--scope", "nederland", "--level", "district"],
        capsys,
    )
    assert status != 0 and "Districts are the region's" in err


# ---------------------------------------------------------------------------------------------
# Areas of the toolkit and police units
# ---------------------------------------------------------------------------------------------


def test_any_municipality_is_an_area():
    assert regions.municipality("Dijk en Waard", 2024).codes == ("GM1980",)
    assert regions.municipality("gm0398", 2017).name == "Heerhugowaard"
    assert regions.municipality("Zeist", 2024).district == "Oost-Utrecht"
    assert regions.municipality("Laren", 2024).codes == ("GM0417",)
    with pytest.raises(UnknownAreaError):
        regions.municipality("Heerhugowaard", 2024)


def test_areas_of_any_municipalities_in_the_national_scope(shared_cbs_dir):
    dataset = load_source(str(shared_cbs_dir))
    areas = [regions.municipality("Groningen", 2024), regions.netherlands(2024), "Eemsdelta"]
    table = regions.area_table(
        dataset, "1.1.1", None, 2024, "2020-2021", rate=True, areas=areas, scope="nederland"
    )
    assert table["area"].unique().tolist() == ["Groningen", "Nederland", "Eemsdelta"]
    assert table["population"].notna().all()


def _with_police_units(shared_cbs_dir, tmp_path, units: pd.DataFrame):
    folder = tmp_path / "source"
    folder.mkdir()
    for path in shared_cbs_dir.iterdir():
        if path.suffix in (".csv", ".geojson"):
            (folder / path.name).symlink_to(path)
    units.to_csv(folder / "police_units.csv", index=False)
    return folder


def _test_membership() -> pd.DataFrame:
    """A made-up membership for testing the mechanics (not CBS's): ten units by code."""
    codes = national.municipalities(2024)["gemeente_code"]
    unit = [f"RE{int(code[2:]) % 10 + 1:02d}" for code in codes]
    return pd.DataFrame(
        {
            "gemeente_code": codes,
            "police_unit_code": unit,
            "police_unit_name": [f"Test {u}" for u in unit],
        }
    )


@pytest.mark.parametrize("boundaries", [2024, 2017])
def test_police_units_from_a_tidy_membership_sum_to_the_netherlands(
    shared_cbs_dir, tmp_path, capsys, boundaries
):
    folder = _with_police_units(shared_cbs_dir, tmp_path, _test_membership())
    argv = ["table", "--source", str(folder), "--level", "police-unit", "--rate"]
    status, out, err = run_cli([*argv, "--boundaries", str(boundaries), "--years", "2016"], capsys)
    assert status == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert len(table) == 10 and table["area"].str.startswith("Politie-eenheid Test RE").all()
    dataset = load_source(str(folder))
    country = regions.area_table(dataset, "1.1.1", "region", boundaries, "2016", scope="nederland")
    assert table["registered_offences"].sum() == pytest.approx(
        country["registered_offences"].iloc[0], abs=10
    )
    units = regions.police_unit_areas(dataset, boundaries)
    assert sum(len(unit.codes) for unit in units) == len(national.municipalities(boundaries))


def test_police_units_without_a_membership_are_refused_in_one_paragraph(shared_cbs_dir, capsys):
    status, _, err = run_cli(
        ["table", "--source", str(shared_cbs_dir), "--level", "police-unit"], capsys
    )
    lines = [line for line in err.splitlines() if line.strip()]
    assert status != 0 and len(lines) == 1 and "Traceback" not in err
    assert "police_units.csv" in lines[0] and "Gebieden in Nederland" in lines[0]
    with pytest.raises(SourceNotAvailableError):
        regions.police_unit_areas(load_source(str(shared_cbs_dir)), 2024)


def test_a_bad_police_unit_row_names_the_file_and_row(shared_cbs_dir, tmp_path, capsys):
    units = _test_membership()
    units.loc[5, "police_unit_code"] = "PU6"
    folder = _with_police_units(shared_cbs_dir, tmp_path, units)
    with pytest.raises(DataValidationError) as raised:
        load_source(str(folder))
    assert "police_units.csv" in str(raised.value) and "police_unit_code" in str(raised.value)


@pytest.mark.parametrize("level", ["region", "gemeente"])
def test_the_netherlands_without_one_municipality_is_refused(
    shared_cbs_dir, tmp_path, capsys, level
):
    """A municipality's crime rows absent: the national total is refused naming it, never summed
    over fewer municipalities or printed empty."""
    folder = tmp_path / "source"
    folder.mkdir()
    for path in shared_cbs_dir.iterdir():
        if path.suffix in (".csv", ".geojson") and not path.name.startswith("registered"):
            (folder / path.name).symlink_to(path)
    crime = pd.read_csv(shared_cbs_dir / "registered_crime_47018NED_gemeente_year.csv", dtype=str)
    crime.loc[crime["gemeente_code"] != "GM1680"].to_csv(
        folder / "registered_crime_47018NED_gemeente_year.csv", index=False
    )
    status, out, err = run_cli(
        ["table", "--source", str(folder), "--scope", "nederland", "--level", level,
         "--boundaries", "2024", "--years", "2016"],
        capsys,
    )  # fmt: skip
    assert status != 0 and out == ""
    # one summarised warning of the load (the gap outside the region), then one paragraph
    warning, error = err.strip().splitlines()
    assert warning.startswith("rvs: warning: ") and "GM1680 Aa en Hunze" in warning
    assert error.startswith("rvs: error: ") and "GM1680 Aa en Hunze: 2016" in error
