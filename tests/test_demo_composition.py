"""The demo data on the boundaries of 2019-2023: Vijfheerenlanden built from its three parts.

The demo is on the boundaries of 2017 and also carries Leerdam (GM0545) and Zederik (GM0707),
outside the region, which merged with Vianen (GM0620) into Vijfheerenlanden (GM1961) on 1 January
2019. On a composition of 2019 or later every frame a report harmonises must hold Vijfheerenlanden
as the sum of the three (the covariates combined), never Vianen alone, and drop nothing silently.
The expected values below are computed from the raw CSV files, independently of the harmonisation.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from rvs_analysis import regions, report
from rvs_analysis.exceptions import IncompleteDataError, RvsError
from rvs_analysis.report import area_data, composition
from rvs_analysis.report.chapters import proeftuinen
from rvs_analysis.report.yardstick import _beyond_region
from rvs_analysis.sources import demo

PARTS = ("GM0620", "GM0545", "GM0707")  # Vianen, Leerdam, Zederik
YEAR = 2015  # a year before the merger


@pytest.fixture(scope="module")
def region_2023():
    return report.start("Midden-Nederland", "demo", composition_year=2023)


@pytest.fixture(scope="module")
def raw() -> dict[str, pd.DataFrame]:
    read = {"dtype": {"offence_code": str}}
    return {
        "crime": pd.read_csv(demo.DEMO_DIR / "registered_crime.csv", **read),
        "population": pd.read_csv(demo.DEMO_DIR / "population.csv"),
        "cleared": pd.read_csv(demo.DEMO_DIR / "cleared_offences.csv", **read),
        "monthly": pd.read_csv(demo.DEMO_DIR / "monthly_crime.csv", **read),
        "survey": pd.read_csv(demo.DEMO_DIR / "survey_microdata.csv"),
    }


def _codes(frame: pd.DataFrame) -> set[str]:
    return set(frame["gemeente_code"])


def _check_codes(codes: set[str]) -> None:
    assert len(codes) == 38 and "GM1961" in codes
    assert not codes & {"GM0620", "GM0457", "GM0545", "GM0707"}
    assert codes == set(regions.municipalities(2023)["gemeente_code"])


def test_crime_and_population_hold_vijfheerenlanden_as_the_sum_of_its_parts(region_2023, raw):
    crime = area_data.municipal_crime(region_2023, whole_region=True)
    _check_codes(_codes(crime))
    expected = raw["crime"][
        raw["crime"]["gemeente_code"].isin(PARTS) & (raw["crime"]["year"] == YEAR)
    ]
    expected = expected.groupby("offence_code")["registered_offences"].sum()
    ours = crime[(crime["gemeente_code"] == "GM1961") & (crime["year"] == YEAR)]
    ours = ours.set_index("offence_code")["registered_offences"]
    assert len(expected) == 12
    assert ours.sort_index().tolist() == expected.sort_index().astype(float).tolist()
    population = area_data.municipal_population(region_2023, whole_region=True)
    _check_codes(_codes(population))
    people = raw["population"]
    parts = people[people["gemeente_code"].isin(PARTS) & (people["year"] == YEAR)]
    assert len(parts) == 3
    ours = population[(population["gemeente_code"] == "GM1961") & (population["year"] == YEAR)]
    assert ours["population"].item() == parts["population"].sum()


def test_area_counts_of_the_region_and_of_vijfheerenlanden(region_2023, raw):
    counts = report.area_counts(region_2023, "1.1.1").set_index("year")
    crime = raw["crime"][raw["crime"]["offence_code"] == "1.1.1"]
    codes_2017 = set(regions.municipalities(2017)["gemeente_code"])
    inside = (codes_2017 - {"GM0457"}) | {"GM0545", "GM0707"}
    expected = crime[crime["gemeente_code"].isin(inside)].groupby("year")["registered_offences"]
    assert counts["registered_offences"].to_dict() == expected.sum().to_dict()
    town = report.start("Vijfheerenlanden", "demo", composition_year=2023)
    assert town.codes == ["GM1961"] or list(town.codes) == ["GM1961"]
    own = report.area_counts(town, "1.1.1").set_index("year")
    parts = crime[crime["gemeente_code"].isin(PARTS)].groupby("year")["registered_offences"].sum()
    assert own["registered_offences"].to_dict() == parts.to_dict()


def test_monthly_counts_sum_the_parts(region_2023, raw):
    monthly = raw["monthly"]
    town = report.start("Vijfheerenlanden", "demo", composition_year=2023)
    series = area_data.monthly_counts(town)
    parts = monthly[monthly["gemeente_code"].isin(PARTS)]
    expected = parts.groupby(["year", "month"])["registered_offences"].sum()
    assert series.tolist() == expected.astype(float).tolist()
    assert series[f"{YEAR}-03-01"] == expected[(YEAR, 3)]
    dataset = region_2023.dataset
    harmonised = composition.monthly_on_composition(dataset, dataset.monthly, 2023)
    _check_codes(_codes(harmonised) - {"GM0363"})  # Weesp's rows go to Amsterdam, outside
    march = harmonised[(harmonised["year"] == YEAR) & (harmonised["month"] == 3)]
    assert (
        march.set_index("gemeente_code").loc["GM1961", "registered_offences"] == expected[(YEAR, 3)]
    )
    region = area_data.monthly_counts(region_2023)
    annual = report.area_counts(region_2023, "1.1.1").set_index("year")["registered_offences"]
    assert region.groupby(region.index.year).sum().astype(int).to_dict() == annual.to_dict()


def test_clearance_frame_sums_counts_and_combines_covariates(region_2023, raw):
    frame = area_data.clearance_frame(region_2023)
    _check_codes(_codes(frame))
    assert frame.groupby("year")["gemeente_code"].nunique().eq(38).all()
    ours = frame[(frame["gemeente_code"] == "GM1961") & (frame["year"] == YEAR)].iloc[0]
    cleared = raw["cleared"]
    parts = cleared[
        cleared["gemeente_code"].isin(PARTS)
        & (cleared["year"] == YEAR)
        & (cleared["offence_code"] == "1.1.1")
    ].merge(raw["population"], on=["gemeente_code", "year"])
    assert len(parts) == 3
    for column in ("registered_offences", "cleared_offences", "attempted_offences"):
        assert ours[column] == parts[column].sum()
    land = (parts["population"] / parts["population_density"]).sum()
    assert ours["population_density"] == pytest.approx(parts["population"].sum() / land)
    weighted = np.average(parts["burgernet_participation"], weights=parts["population"])
    assert ours["burgernet_participation"] == pytest.approx(weighted)
    assert ours["district"] == "West-Utrecht"
    # an unchanged municipality keeps its row as the file has it
    utrecht = frame[(frame["gemeente_code"] == "GM0344") & (frame["year"] == YEAR)].iloc[0]
    row = cleared[
        (cleared["gemeente_code"] == "GM0344")
        & (cleared["year"] == YEAR)
        & (cleared["offence_code"] == "1.1.1")
    ].iloc[0]
    assert utrecht["population_density"] == row["population_density"]
    assert utrecht["cleared_offences"] == row["cleared_offences"]


def test_boundaries_of_2020_keep_weesp_and_build_vijfheerenlanden():
    ctx = report.start("Midden-Nederland", "demo", composition_year=2020, first_year=2015)
    for frame in (
        area_data.municipal_crime(ctx, whole_region=True),
        area_data.clearance_frame(ctx),
    ):
        codes = _codes(frame)
        assert len(codes) == 39 and {"GM1961", "GM0457"} <= codes and "GM0620" not in codes


def test_the_strategy_of_2017_is_unchanged_by_the_neighbours():
    ctx = report.start("Midden-Nederland", "demo", strategy="rvs-2015-2018")
    frame = area_data.clearance_frame(ctx)
    assert len(_codes(frame)) == 39 and not _codes(frame) & {"GM0545", "GM0707", "GM1961"}
    survey = area_data.survey_frame(ctx)
    assert _codes(survey) == set(regions.municipalities(2017)["gemeente_code"])
    assert (survey["area_code"] == survey["gemeente_code"]).all()


def test_the_demo_is_not_taken_for_the_whole_country(demo_dataset):
    """Leerdam and Zederik are parts of the region's history, not the Netherlands: the demo gets
    no comparison with a "Nederland" that would be the region plus two municipalities."""
    assert not _beyond_region(demo_dataset, demo_dataset.crime["gemeente_code"])
    assert _beyond_region(demo_dataset, ["GM0363"])  # Amsterdam is outside


def test_survey_keeps_the_pilots_and_places_respondents_in_vijfheerenlanden(region_2023, raw):
    survey = area_data.survey_frame(region_2023)
    assert set(survey["area_code"]) == set(regions.municipalities(2023)["gemeente_code"])
    assert set(survey.loc[survey["area_code"] == "GM1961", "gemeente_code"]) == set(PARTS)
    assert "GM0457" not in _codes(survey)  # Weesp lies in Amsterdam on these boundaries
    pilots = set(survey.loc[survey["pilot"], "gemeente_code"])
    assert len(pilots) == 10 and "GM0620" in pilots
    town = report.start("Vijfheerenlanden", "demo", composition_year=2023)
    ours = area_data.survey_frame(town)
    in_area = ours[ours["in_area"]]
    expected = raw["survey"][raw["survey"]["gemeente_code"].isin(PARTS)]
    assert len(in_area) == len(expected)
    group = proeftuinen.pilots(town)
    assert group.table.set_index("gemeente_code").loc["GM0620", "in_area"]
    assert group.table["in_area"].sum() == 1
    # the models count the three apart, and the report says why it names more municipalities
    note = proeftuinen._merged_sampling_note(survey)
    assert note.endswith("vormen Leerdam, Vianen en Zederik samen Vijfheerenlanden.")
    region_2017 = area_data.survey_frame(
        report.start("Midden-Nederland", "demo", strategy="rvs-2015-2018")
    )
    assert proeftuinen._merged_sampling_note(region_2017) == ""


# ------------------------------------------------------------------------------------------------
# Refusals: a part missing, a covariate that cannot be combined, an ambiguous pilot respondent
# ------------------------------------------------------------------------------------------------


def test_cleared_offences_without_a_part_are_refused(demo_dataset):
    cleared = demo_dataset.cleared[demo_dataset.cleared["gemeente_code"] != "GM0545"]
    codes = regions.municipalities(2023)["gemeente_code"]
    with pytest.raises(IncompleteDataError, match="GM0545") as caught:
        composition.harmonise_cleared(cleared, demo_dataset.population, 2017, 2023, 2017, codes)
    assert "cleared_offences.csv" in str(caught.value)


def test_a_covariate_without_a_rule_is_refused_and_splitting_is_refused(demo_dataset):
    cleared = demo_dataset.cleared.assign(cameras_per_km2=1.0)
    codes = regions.municipalities(2023)["gemeente_code"]
    with pytest.raises(IncompleteDataError, match="cameras_per_km2"):
        composition.harmonise_cleared(cleared, demo_dataset.population, 2017, 2023, 2017, codes)
    # on boundaries without a merger in between the extra covariate is no problem
    same = composition.harmonise_cleared(cleared, demo_dataset.population, 2017, 2018, 2017, codes)
    assert "cameras_per_km2" in same.columns
    # back to earlier boundaries: the covariates cannot be split, the counts can
    on_2023 = composition.harmonise_cleared(
        demo_dataset.cleared, demo_dataset.population, 2017, 2023, 2017, codes
    )
    with pytest.raises(RvsError, match="population_density, burgernet_participation"):
        composition.harmonise_cleared(on_2023, demo_dataset.population, 2023, 2017, 2017)
    counts = on_2023.drop(columns=["population_density", "burgernet_participation"])
    back = composition.harmonise_cleared(counts, demo_dataset.population, 2023, 2017, 2017)
    vianen = back[(back["gemeente_code"] == "GM0620") & (back["year"] == 2020)]
    assert len(vianen) == 3 and vianen["registered_offences"].sum() > 0


def test_monthly_counts_and_survey_without_a_part_are_refused(region_2023):
    dataset = region_2023.dataset
    without = dataclasses.replace(
        dataset,
        monthly=dataset.monthly[dataset.monthly["gemeente_code"] != "GM0707"],
        survey=dataset.survey[dataset.survey["gemeente_code"] != "GM0707"],
        provenance={**(dataset.provenance or {}), "version": "without-zederik"},
    )
    ctx = dataclasses.replace(region_2023, dataset=without)
    with pytest.raises(IncompleteDataError, match="GM0707"):
        area_data.monthly_counts(ctx)
    with pytest.raises(IncompleteDataError, match="GM0707"):
        area_data.survey_frame(ctx)


def test_respondents_coded_with_a_successor_of_a_pilot_are_refused(region_2023):
    dataset = region_2023.dataset
    survey = dataset.survey.copy()
    moved = (survey["gemeente_code"] == "GM0620") & (survey["year"] >= 2019)
    survey.loc[moved, "gemeente_code"] = "GM1961"
    ctx = dataclasses.replace(region_2023, dataset=dataclasses.replace(dataset, survey=survey))
    with pytest.raises(IncompleteDataError, match="GM1961.*GM0620|pilot municipality GM0620"):
        area_data.survey_frame(ctx)
