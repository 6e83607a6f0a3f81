"""Regions and mergers: composition by year, area lookup, harmonisation and aggregation."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rvs_analysis import region_tables, regions
from rvs_analysis.exceptions import SourceNotAvailableError, UnknownAreaError
from rvs_analysis.sources.base import Dataset
from rvs_analysis.stats.trends import add_rate_interval

# ---------------------------------------------------------------------------------------------
# Composition
# ---------------------------------------------------------------------------------------------


def test_2017_has_the_39_municipalities_of_the_source_document_per_district():
    composition = regions.municipalities(2017)
    assert len(composition) == 39
    assert composition["gemeente_code"].is_unique
    per_district = composition.groupby("district").size().to_dict()
    assert per_district == {
        "Flevoland": 6,
        "Gooi en Vechtstreek": 8,
        "Stad Utrecht": 1,
        "West-Utrecht": 10,
        "Oost-Utrecht": 14,
    }
    by_name = composition.set_index("gemeente_name")["gemeente_code"]
    assert by_name["Wijdemeren"] == "GM1696"
    assert by_name["Laren"] == "GM0417"
    assert by_name["Weesp"] == "GM0457"
    assert by_name["Vianen"] == "GM0620"
    assert by_name["Gooise Meren"] == "GM1942"
    assert list(composition["district"].drop_duplicates()) == list(regions.DISTRICTS)


def test_composition_follows_the_mergers():
    codes_2015 = set(regions.municipalities(2015)["gemeente_code"])
    assert {"GM0381", "GM0424", "GM0425"} <= codes_2015 and "GM1942" not in codes_2015
    codes_2019 = regions.municipalities(2019).set_index("gemeente_code")["district"]
    assert codes_2019["GM1961"] == "West-Utrecht" and "GM0620" not in codes_2019
    assert "GM0457" in set(regions.municipalities(2022)["gemeente_code"])
    assert "GM0457" not in set(regions.municipalities(2023)["gemeente_code"])
    assert len(regions.municipalities(2023)) == 38


def test_every_region_table_row_has_a_source():
    for name in ("municipalities.csv", "mergers.csv", "national_changes.csv", "pilots.csv"):
        table = pd.read_csv(regions.REGIONS_DIR / name, dtype=str, keep_default_na=False)
        assert (table["source"].str.strip() != "").all(), name


def test_pilots_are_the_ten_proeftuinen_with_their_districts():
    pilots = regions.pilot_municipalities()
    assert len(pilots) == 10
    assert pilots["district"].notna().all()
    assert set(pilots["gemeente_name"]) >= {"Almere", "Vianen", "Zeist", "Gooise Meren"}


def test_areas_per_level():
    assert regions.areas("region") == ["Midden-Nederland"]
    assert regions.areas("district") == list(regions.DISTRICTS)
    assert len(regions.areas("gemeente", 2017)) == 39
    with pytest.raises(UnknownAreaError):
        regions.areas("province")


def test_resolve_area_is_case_insensitive_and_accepts_slugs_and_codes():
    area = regions.resolve_area("gooi EN vechtstreek")
    assert area.name == "Gooi en Vechtstreek" and area.level == "district"
    assert len(area.codes) == 8 and "GM1696" in area.codes
    assert regions.resolve_area("midden-nederland").level == "region"
    assert len(regions.resolve_area("Midden-Nederland").codes) == 39
    laren = regions.resolve_area("laren")
    assert laren == regions.resolve_area("GM0417")
    assert laren.district == "Gooi en Vechtstreek" and laren.codes == ("GM0417",)
    assert regions.resolve_area("wijk-bij-duurstede").name == "Wijk bij Duurstede"
    assert regions.resolve_area("Laren (NH.)") == laren
    assert regions.resolve_area("Vijfheerenlanden", year=2020).district == "West-Utrecht"


def test_resolve_area_lists_valid_names_for_an_unknown_area():
    with pytest.raises(UnknownAreaError) as caught:
        regions.resolve_area("Amsterdam")
    message = str(caught.value)
    assert "Amsterdam" in message and "Midden-Nederland" in message and "Zeist" in message
    with pytest.raises(UnknownAreaError):
        regions.resolve_area("Vianen", year=2020)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Gooi en Vechtstreek", "gooi-en-vechtstreek"),
        ("Midden-Nederland", "midden-nederland"),
        ("Laren (NH.)", "laren-nh"),
        ("Súdwest-Fryslân", "sudwest-fryslan"),
        ("  IJsselstein ", "ijsselstein"),
    ],
)
def test_slug(name, expected):
    assert regions.slug(name) == expected


# ---------------------------------------------------------------------------------------------
# Harmonisation
# ---------------------------------------------------------------------------------------------


def _population(rows):
    return pd.DataFrame(rows, columns=["gemeente_code", "year", "population"])


def test_population_forward_sums_predecessors_exactly():
    population = _population(
        [
            ("GM0381", 2015, 33_000),
            ("GM0424", 2015, 6_000),
            ("GM0425", 2015, 17_000),
            ("GM1942", 2016, 56_800),
            ("GM0344", 2015, 340_000),
        ]
    )
    result = regions.harmonise_population(population, to_year=2017)
    by_key = result.set_index(["gemeente_code", "year"])["population"]
    assert by_key[("GM1942", 2015)] == 56_000
    assert by_key[("GM1942", 2016)] == 56_800
    assert by_key[("GM0344", 2015)] == 340_000
    assert not result["gemeente_code"].isin(["GM0381", "GM0424", "GM0425"]).any()


def test_population_backward_uses_last_full_year_for_a_partial_annexation_year():
    population = _population(
        [
            ("GM0363", 2021, 880_000),
            ("GM0457", 2021, 20_000),
            # 2022: Weesp annexed on 24 March; CBS splits the year's average population.
            ("GM0363", 2022, 894_000),
            ("GM0457", 2022, 10_000),
            ("GM0363", 2023, 925_000),
        ]
    )
    result = regions.harmonise_population(population, to_year=2017)
    weesp = result.loc[result["gemeente_code"] == "GM0457"].set_index("year")["population"]
    share_2021 = 20_000 / 900_000
    assert weesp[2021] == pytest.approx(20_000)
    assert weesp[2022] == pytest.approx(904_000 * share_2021)
    assert weesp[2023] == pytest.approx(925_000 * share_2021)
    assert result.groupby("year")["population"].sum().to_dict() == pytest.approx(
        {2021: 900_000, 2022: 904_000, 2023: 925_000}
    )
    # On 2023 boundaries the partial 2022 figures are summed into Amsterdam.
    forward = regions.harmonise_population(population, to_year=2023)
    assert set(forward["gemeente_code"]) == {"GM0363"}
    assert forward.set_index("year")["population"][2022] == 904_000


def test_counts_from_2024_to_2017_apportion_vianen_and_weesp_by_population_share():
    population = _population(
        [
            ("GM0620", 2016, 20_000),
            ("GM0545", 2016, 21_000),
            ("GM0707", 2016, 14_000),
            ("GM0620", 2018, 21_000),
            ("GM0545", 2018, 21_000),
            ("GM0707", 2018, 14_000),
            ("GM1961", 2019, 57_000),
            ("GM0363", 2016, 850_000),
            ("GM0457", 2016, 18_000),
            ("GM0363", 2021, 880_000),
            ("GM0457", 2021, 20_000),
        ]
    )
    counts = pd.DataFrame(
        {
            "offence_code": ["1.1.1"] * 4,
            "gemeente_code": ["GM1961", "GM1961", "GM0363", "GM0000"],
            "year": [2016, 2024, 2016, 2016],
            "registered_offences": [550, 112, 8_680, 40],
        }
    )
    result = regions.harmonise_counts(counts, population, from_year=2024, to_year=2017)
    value = result.set_index(["gemeente_code", "year"])["registered_offences"]
    assert value[("GM0620", 2016)] == pytest.approx(550 * 20_000 / 55_000)
    assert value[("GM0620", 2024)] == pytest.approx(112 * 21_000 / 56_000)
    assert value[("GM0457", 2016)] == pytest.approx(8_680 * 18_000 / 868_000)
    assert value[("GM0363", 2016)] == pytest.approx(8_680 * 850_000 / 868_000)
    assert value[("GM0000", 2016)] == 40
    assert "GM1961" not in set(result["gemeente_code"])
    assert result["registered_offences"].sum() == pytest.approx(counts["registered_offences"].sum())
    assert set(result["offence_code"]) == {"1.1.1"}


def test_counts_on_the_target_boundaries_are_left_alone_and_missing_stays_missing():
    counts = pd.DataFrame(
        {
            "gemeente_code": ["GM0344", "GM1942"],
            "year": [2016, 2016],
            "registered_offences": [1_650.0, np.nan],
        }
    )
    result = regions.harmonise_counts(counts, _population([]), from_year=2024, to_year=2024)
    pd.testing.assert_frame_equal(result, counts)


def test_apportioning_without_predecessor_population_is_refused():
    counts = pd.DataFrame({"gemeente_code": ["GM1961"], "year": [2016], "registered_offences": [5]})
    with pytest.raises(SourceNotAvailableError, match="GM0620"):
        regions.harmonise_counts(counts, _population([("GM0344", 2016, 1)]), 2024, 2017)


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=5_000), min_size=3, max_size=3),
    populations=st.lists(st.integers(min_value=1, max_value=100_000), min_size=3, max_size=3),
)
def test_apportioning_then_summing_gives_back_the_successor(counts, populations):
    population = _population(
        [("GM0620", 2018, populations[0]), ("GM0545", 2018, populations[1])]
        + [("GM0707", 2018, populations[2])]
    )
    frame = pd.DataFrame(
        {
            "gemeente_code": "GM1961",
            "year": [2019, 2020, 2021],
            "registered_offences": counts,
        }
    )
    back = regions.harmonise_counts(frame, population, from_year=2024, to_year=2017)
    again = regions.harmonise_counts(back, population, from_year=2017, to_year=2024)
    again = again.sort_values("year").reset_index(drop=True)
    assert list(again["gemeente_code"]) == ["GM1961"] * 3
    assert again["registered_offences"].to_numpy() == pytest.approx(np.array(counts, dtype=float))


def test_harmonisation_is_generic_over_the_merger_table(tmp_path, monkeypatch):
    folder = tmp_path / "regions"
    shutil.copytree(region_tables.REGIONS_DIR, folder)
    with open(folder / "mergers.csv", "a", encoding="utf-8") as handle:
        handle.write("2021-01-01,GM0589,Oudewater,GM9001,Testgemeente,merger,test row\n")
        handle.write("2021-01-01,GM0335,Montfoort,GM9001,Testgemeente,merger,test row\n")
    monkeypatch.setattr(region_tables, "REGIONS_DIR", folder)
    for cached in (regions.merger_table, regions.merger_events, regions.municipality_table):
        cached.cache_clear()
    regions._composition.cache_clear()
    try:
        population = _population(
            [("GM0589", 2020, 10_000), ("GM0335", 2020, 30_000), ("GM9001", 2021, 40_500)]
        )
        counts = pd.DataFrame(
            {"gemeente_code": ["GM9001"], "year": [2022], "registered_offences": [80]}
        )
        result = regions.harmonise_counts(counts, population, 2022, 2017)
        value = result.set_index("gemeente_code")["registered_offences"]
        assert value["GM0589"] == pytest.approx(20) and value["GM0335"] == pytest.approx(60)
        assert "GM9001" in regions.known_codes()
    finally:
        for cached in (regions.merger_table, regions.merger_events, regions.municipality_table):
            cached.cache_clear()
        regions._composition.cache_clear()


# ---------------------------------------------------------------------------------------------
# Aggregation and area tables
# ---------------------------------------------------------------------------------------------


def test_aggregate_leaves_out_gm0000_and_keeps_missing_missing():
    frame = pd.DataFrame(
        {
            "gemeente_code": ["GM0344", "GM0000", "GM0034", "GM0303", "GM0995"],
            "year": [2016] * 5,
            "registered_offences": [10.0, 99.0, 1.0, np.nan, 2.0],
        }
    )
    districts = regions.aggregate(frame, "district", 2017)
    value = districts.set_index("area")["registered_offences"]
    assert value["Stad Utrecht"] == 10
    assert np.isnan(value["Flevoland"])
    region = regions.aggregate(frame.dropna(), "region", 2017)
    assert region["registered_offences"].tolist() == [13.0]
    assert region["area"].tolist() == ["Midden-Nederland"]


def _dataset(crime, population, crime_boundary_year=2017):
    return Dataset(
        source="test",
        crime=crime,
        population=population,
        offences=crime[["offence_code"]].drop_duplicates().assign(offence_label=""),
        crime_boundary_year=crime_boundary_year,
        population_boundary_year=None,
    )


def test_area_table_rate_and_errors(tidy_frames):
    crime, population = tidy_frames
    dataset = _dataset(crime.drop(columns=["offence_label", "gemeente_name"]), population)
    table = add_rate_interval(
        regions.area_table(dataset, "1.1.1", "region", 2017, "2016", rate=True)
    )
    assert list(table.columns) == [
        "area",
        "year",
        "registered_offences",
        "estimated_from_successor",
        "population",
        "rate_per_1000",
        "rate_ci_low",
        "rate_ci_high",
    ]
    inside = crime.loc[(crime["year"] == 2016) & (crime["offence_code"] == "1.1.1")]
    expected = inside.loc[inside["gemeente_code"] != "GM0000", "registered_offences"].sum()
    assert table["registered_offences"].tolist() == [expected]
    total_population = population.loc[population["year"] == 2016, "population"].sum()
    assert table["rate_per_1000"].iloc[0] == pytest.approx(expected / total_population * 1000)
    assert (
        table["rate_ci_low"].iloc[0]
        < table["rate_per_1000"].iloc[0]
        < table["rate_ci_high"].iloc[0]
    )
    with pytest.raises(SourceNotAvailableError, match="9.9.9"):
        regions.area_table(dataset, "9.9.9", "region")
    with pytest.raises(SourceNotAvailableError, match="1990"):
        regions.area_table(dataset, "1.1.1", "region", years="1990-1991")
    with pytest.raises(SourceNotAvailableError, match="2011"):
        regions.area_table(dataset, "1.1.1", "region", boundaries=2005)


PUBLISHED_BURGLARIES = {
    ("Flevoland", 2015): 1678,
    ("Flevoland", 2016): 1544,
    ("Gooi en Vechtstreek", 2015): 1600,
    ("Gooi en Vechtstreek", 2016): 1219,
    ("Stad Utrecht", 2015): 1654,
    ("Stad Utrecht", 2016): 1651,
    ("West-Utrecht", 2015): 1303,
    ("West-Utrecht", 2016): 1212,
    ("Oost-Utrecht", 2015): 2275,
    ("Oost-Utrecht", 2016): 2187,
}
"""Residential burglaries (incl. attempts) per district, "Terugblik 2016" of the source document."""


def test_shared_extract_reproduces_the_published_district_burglaries(shared_dataset):
    table = regions.area_table(shared_dataset, "1.1.1", "district", 2017, "2015-2016")
    measured = table.set_index(["area", "year"])["registered_offences"].to_dict()
    assert set(measured) == set(PUBLISHED_BURGLARIES)
    for key, published in PUBLISHED_BURGLARIES.items():
        assert measured[key] == pytest.approx(published, rel=0.02), key


def test_shared_extract_rates_use_harmonised_denominators(shared_dataset):
    table = regions.area_table(shared_dataset, "1.1.1", "gemeente", 2017, "2021-2023", rate=True)
    weesp = table.loc[table["area"] == "Weesp"].set_index("year")["population"]
    # CBS's own 2022 figure for Weesp is a partial year (10,383); harmonised it is a full year.
    assert 20_000 < weesp[2022] < 22_000 and 20_000 < weesp[2023] < 22_500
    gooise_meren = regions.area_table(
        shared_dataset, "1.1.1", "gemeente", 2017, "2015", rate=True
    ).set_index("area")
    population = shared_dataset.population
    predecessors = population.loc[
        population["gemeente_code"].isin(["GM0381", "GM0424", "GM0425"])
        & (population["year"] == 2015),
        "population",
    ]
    assert len(predecessors) == 3
    assert gooise_meren.loc["Gooise Meren", "population"] == predecessors.sum()
    assert table["population"].notna().all() and table["rate_per_1000"].notna().all()
