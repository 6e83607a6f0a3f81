"""Areas as values: rest-of, the Netherlands, custom lists of codes; years that mean what they say."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rvs_analysis import regions
from rvs_analysis.exceptions import (
    IncompleteDataError,
    RvsError,
    SourceNotAvailableError,
    UnknownAreaError,
)
from rvs_analysis.sources.base import Dataset

OUTSIDE = ("GM0014", "GM0599", "GM0518")
"""Groningen, Rotterdam, 's-Gravenhage: municipalities outside the region."""


def _national_dataset(tidy_kit) -> Dataset:
    """The hand-made region (39 municipalities, GM0000) plus three municipalities outside it."""
    years = (2015, 2016, 2017)
    crime = tidy_kit.region_crime(years=years)
    population = tidy_kit.region_population(years=years)
    extra_crime, extra_population = [], []
    for position, code in enumerate(OUTSIDE):
        for year in years:
            for offence in ("1.1.1", "0.0.0"):
                count = 500 + 100 * position + 7 * (year - 2015) + (offence == "0.0.0") * 4000
                extra_crime.append((offence, "", code, "", year, count, 0))
            extra_population.append((code, year, 200_000 + 50_000 * position + year))
    crime = pd.concat(
        [crime, pd.DataFrame(extra_crime, columns=crime.columns)], ignore_index=True
    ).drop(columns=["offence_label", "gemeente_name"])
    population = pd.concat(
        [population, pd.DataFrame(extra_population, columns=population.columns)],
        ignore_index=True,
    )
    return Dataset(
        source="test",
        crime=crime,
        population=population,
        offences=pd.DataFrame({"offence_code": ["1.1.1", "0.0.0"], "offence_label": ["", ""]}),
        crime_boundary_year=2017,
        population_boundary_year=2017,
    )


def _wide(table: pd.DataFrame, column: str) -> pd.DataFrame:
    return table.pivot(index="year", columns="area", values=column).astype(float)


# ---------------------------------------------------------------------------------------------
# Making areas
# ---------------------------------------------------------------------------------------------


def test_rest_of_the_region_is_the_region_less_the_area():
    rest = regions.rest_of("Stad Utrecht")
    region = regions.as_area("Midden-Nederland")
    assert rest.level == "rest" and rest.name == "Midden-Nederland zonder Stad Utrecht"
    assert set(rest.codes) == set(region.codes) - {"GM0344"}
    inner = regions.rest_of("Laren", "Gooi en Vechtstreek")
    assert len(inner.codes) == 7 and "GM0417" not in inner.codes
    assert inner.district == "Gooi en Vechtstreek"
    with pytest.raises(RvsError, match="not inside Flevoland"):
        regions.rest_of("Laren", "Flevoland")
    with pytest.raises(RvsError, match="empty"):
        regions.rest_of("Stad Utrecht", "Stad Utrecht")


def test_the_netherlands_by_name_and_its_rest():
    for name in ("Nederland", "netherlands", "NL"):
        area = regions.as_area(name)
        assert area.level == "country" and area.whole_country and area.name == "Nederland"
    rest = regions.rest_of("Midden-Nederland", "Nederland")
    assert rest.whole_country and len(rest.excluded) == 39
    assert rest.member_codes(["GM0000", "GM0014", "GM0344"]) == ["GM0014"]
    with pytest.raises(UnknownAreaError, match="Nederland"):
        regions.as_area("Atlantis")


def test_custom_areas_are_checked():
    area = regions.custom_area("Eemland", ["gm0307", "GM0313"])
    assert area.codes == ("GM0307", "GM0313") and area.level == "custom"
    with pytest.raises(RvsError, match="GM0000"):
        regions.custom_area("bad", ["GM0344", "GM0000"])
    with pytest.raises(RvsError, match="not GM codes: 344"):
        regions.custom_area("bad", ["344"])
    with pytest.raises(RvsError, match="more than once"):
        regions.custom_area("bad", ["GM0344", "GM0344"])
    with pytest.raises(RvsError, match="no municipalities"):
        regions.custom_area("bad", [])


def test_areas_follow_the_boundaries_asked_for():
    region_2023 = regions.as_area(regions.as_area("Midden-Nederland", 2017), 2023)
    assert len(region_2023.codes) == 38 and region_2023.boundaries == 2023
    assert regions.resolve_area(regions.rest_of("Stad Utrecht"), 2017).level == "rest"
    with pytest.raises(RvsError, match="boundaries=2023"):
        regions.as_area(regions.rest_of("Stad Utrecht", boundaries=2017), 2023)


# ---------------------------------------------------------------------------------------------
# Known answers: tables of areas
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("inner", ["Stad Utrecht", "Laren", "Flevoland"])
def test_rest_of_region_equals_region_minus_area_on_every_row(tidy_kit, inner):
    dataset = _national_dataset(tidy_kit)
    rest = regions.rest_of(inner)
    table = regions.area_table(dataset, "1.1.1", areas=["Midden-Nederland", inner, rest], rate=True)
    for column in ("registered_offences", "population"):
        wide = _wide(table, column)
        assert len(wide) == 3
        np.testing.assert_array_equal(
            wide[rest.name].to_numpy(), (wide["Midden-Nederland"] - wide[inner]).to_numpy()
        )


def test_netherlands_equals_the_sum_of_all_municipalities(tidy_kit):
    dataset = _national_dataset(tidy_kit)
    nl_rest = regions.rest_of("Midden-Nederland", "Nederland")
    table = regions.area_table(
        dataset, "1.1.1", areas=["Nederland", "Midden-Nederland", nl_rest], rate=True
    )
    crime = dataset.crime
    crime = crime[(crime["offence_code"] == "1.1.1") & (crime["gemeente_code"] != "GM0000")]
    expected_counts = crime.groupby("year")["registered_offences"].sum()
    expected_population = dataset.population.groupby("year")["population"].sum()
    counts, population = _wide(table, "registered_offences"), _wide(table, "population")
    assert counts["Nederland"].tolist() == expected_counts.astype(float).tolist()
    assert population["Nederland"].tolist() == expected_population.astype(float).tolist()
    outside = crime[crime["gemeente_code"].isin(OUTSIDE)].groupby("year")["registered_offences"]
    assert counts[nl_rest.name].tolist() == outside.sum().astype(float).tolist()
    np.testing.assert_array_equal(
        counts[nl_rest.name], counts["Nederland"] - counts["Midden-Nederland"]
    )


def test_a_custom_area_sums_its_codes_and_names_a_missing_one(tidy_kit):
    dataset = _national_dataset(tidy_kit)
    area = regions.custom_area("Randstad-test", ["GM0599", "GM0518", "GM0344"])
    table = regions.area_table(dataset, "0.0.0", areas=area, years=[2016])
    crime = dataset.crime
    expected = crime[
        (crime["offence_code"] == "0.0.0")
        & (crime["year"] == 2016)
        & crime["gemeente_code"].isin(area.codes)
    ]["registered_offences"].sum()
    assert table["registered_offences"].tolist() == [expected]
    with pytest.raises(SourceNotAvailableError, match="GM9999"):
        regions.area_table(dataset, "1.1.1", areas=regions.custom_area("x", ["GM9999"]))
    with pytest.raises(RvsError, match="own name"):
        regions.area_table(dataset, "1.1.1", areas=["Laren", "laren"])
    with pytest.raises(RvsError, match="either a level"):
        regions.area_table(dataset, "1.1.1", "region", areas=["Laren"])


def test_a_municipality_without_its_rows_is_refused_and_one_without_a_value_is_missing(tidy_kit):
    """Absent rows are refused (a total over fewer municipalities would be wrong); a row whose
    value CBS withheld stays missing and makes the area's total missing, never smaller."""
    dataset = _national_dataset(tidy_kit)
    crime = dataset.crime
    laren_2016 = (crime["gemeente_code"] == "GM0417") & (crime["year"] == 2016)
    dropped = Dataset(**{**dataset.__dict__, "crime": crime[~laren_2016]})
    with pytest.raises(IncompleteDataError, match="GM0417 Laren: 2016"):
        regions.area_table(dropped, "1.1.1", areas=["Gooi en Vechtstreek"])
    withheld = crime.copy()
    withheld["registered_offences"] = withheld["registered_offences"].astype("Int64")
    withheld.loc[laren_2016, "registered_offences"] = pd.NA
    dataset = Dataset(**{**dataset.__dict__, "crime": withheld})
    table = regions.area_table(dataset, "1.1.1", areas=["Gooi en Vechtstreek"])
    values = table.set_index("year")["registered_offences"]
    assert pd.isna(values[2016]) and not pd.isna(values[2015])


def test_shared_extract_rest_and_national_areas(shared_dataset):
    """On real CBS data (2024 boundaries, own-boundary population, Vianen and Weesp apportioned):
    rest = region - area before rounding, and the Netherlands = the sum of all municipalities."""
    crime = shared_dataset.crime
    crime = crime[crime["offence_code"] == "1.2.1"][
        ["gemeente_code", "year", "registered_offences"]
    ]
    harmonised = regions.harmonise_counts(
        crime[crime["gemeente_code"] != "GM0000"], shared_dataset.population, 2024, 2017
    )
    for inner in ("Stad Utrecht", "Gooi en Vechtstreek", "Vianen"):
        summed = regions.sum_areas(
            harmonised, ["Midden-Nederland", inner, regions.rest_of(inner)], "registered_offences"
        )
        wide = _wide(summed, "registered_offences")
        np.testing.assert_allclose(
            wide[f"Midden-Nederland zonder {inner}"], wide["Midden-Nederland"] - wide[inner]
        )
    table = regions.area_table(shared_dataset, "1.2.1", areas=["Nederland"], rate=True)
    national = crime[crime["gemeente_code"] != "GM0000"].groupby("year")["registered_offences"]
    assert table["registered_offences"].astype(int).tolist() == national.sum().tolist()
    population = shared_dataset.population.groupby("year")["population"].sum()
    assert table["population"].astype(int).tolist() == population.tolist()


# ---------------------------------------------------------------------------------------------
# Years mean what they say
# ---------------------------------------------------------------------------------------------


def test_year_lists_ranges_and_tuples():
    assert regions.year_list([2024, 2019]) == [2019, 2024]
    assert regions.year_list("2019,2024") == [2019, 2024]
    assert regions.year_list("2015-2017") == [2015, 2016, 2017]
    assert regions.year_list((2015, 2017)) == [2015, 2016, 2017]
    assert regions.year_list(range(2015, 2017)) == [2015, 2016]
    assert regions.year_list(2016) == [2016]
    assert regions.year_list(None) is None
    with pytest.raises(RvsError, match="first year is after the last"):
        regions.year_list("2017-2015")
    with pytest.raises(RvsError, match="not understood"):
        regions.year_list("2015..2017")
    with pytest.raises(RvsError, match="empty"):
        regions.year_list([])


def test_area_table_returns_exactly_the_years_asked_and_refuses_others(tidy_kit):
    dataset = _national_dataset(tidy_kit)
    table = regions.area_table(dataset, "1.1.1", "district", years=[2015, 2017])
    assert sorted(table["year"].unique()) == [2015, 2017]
    table = regions.area_table(dataset, "1.1.1", "district", years="2016-2017", rate=True)
    assert sorted(table["year"].unique()) == [2016, 2017]
    with pytest.raises(SourceNotAvailableError, match=r"no figures for 2018 .*covers 2015-2017"):
        regions.area_table(dataset, "1.1.1", "region", years="2016-2018")
    with pytest.raises(SourceNotAvailableError, match="2014"):
        regions.area_table(dataset, "1.1.1", areas="Nederland", years=[2014, 2016])


# ---------------------------------------------------------------------------------------------
# Report helpers take areas as values
# ---------------------------------------------------------------------------------------------


def test_report_helpers_take_a_rest_of_area(demo_dataset):
    from rvs_analysis import report
    from rvs_analysis.report.context import ReportParameterError

    rest = regions.rest_of("Stad Utrecht")
    ctx = report.start(area=rest, source="demo")
    assert ctx.level == "rest" and len(ctx.codes) == 38
    assert ctx.summary.to_dict()["area"] == "Midden-Nederland zonder Stad Utrecht"
    counts = report.area_counts(ctx, "1.1.1").set_index("year")["registered_offences"]
    table = regions.area_table(demo_dataset, "1.1.1", areas=["Midden-Nederland", "Stad Utrecht"])
    wide = _wide(table, "registered_offences")
    assert (
        counts.astype(float).tolist() == (wide["Midden-Nederland"] - wide["Stad Utrecht"]).tolist()
    )
    assert "deel van de regio" in report.intro(ctx).data
    for outside in ("Nederland", regions.custom_area("x", ["GM0344", "GM0599"])):
        with pytest.raises(ReportParameterError, match="binnen Midden-Nederland"):
            report.start(area=outside, source="demo")
