"""The demo data set: deterministic, calibrated to the source document, with recoverable truths.

The published figures below are typed in from the source document ("Jaarplan 2017/2018
Midden-Nederland en resultaten 2016": the ambitions with their 2011 baselines, "Terugblik 2016" and
"Ontwikkeling overige delicten") independently of the generator's own constants, so that a typo in
either shows up here.
"""

from __future__ import annotations

import json
import lzma
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from rvs_analysis.sources import demo, demo_neighbours

REPO = Path(__file__).resolve().parents[2]
DEMO = demo.DEMO_DIR
SOURCE_DOCUMENT = REPO.parent / "shared" / "seed" / "000_e295dfe805d16fbd.txt"
GENERATED_FILES = {
    "registered_crime.csv",
    "population.csv",
    "cleared_offences.csv",
    "monthly_crime.csv",
    "survey_microdata.csv",
    "indicators.csv",
    "metadata.json",
    # the wijk and buurt files (rvs_analysis.sources.demo_neighbourhoods)
    "neighbourhood_crime.csv.xz",
    "neighbourhood_monthly_crime.csv.xz",
    "neighbourhood_population.csv",
    "neighbourhoods.geojson",
    "neighbourhood_truth.csv",
}
DISTRICT_ORDER = [
    "Flevoland",
    "Gooi en Vechtstreek",
    "Stad Utrecht",
    "West-Utrecht",
    "Oost-Utrecht",
]

# Terugblik 2016, columns Flevoland, Gooi en Vecht, Stad Utrecht, West Utrecht, Oost Utrecht.
PUBLISHED_DISTRICTS = {
    # figure: {year: (district values in DISTRICT_ORDER), region}
    "total_crime": {2016: ((20494, 12354, 29695, 15795, 25241), 103579),
                    2015: ((21241, 12916, 30567, 15829, 26447), 107000)},
    "suspects": {2016: ((7585, 2910, 5838, 3585, 5871), 25789),
                 2015: ((6379, 2365, 5959, 3581, 5772), 24056)},
    "burglary": {2016: ((1544, 1219, 1651, 1212, 2187), 7813),
                 2015: ((1678, 1600, 1654, 1303, 2275), 8510)},
    "burglary_completed": {2016: ((990, 808, 1177, 731, 1391), 5097),
                           2015: ((1036, 1068, 1185, 788, 1457), 5534)},
    "burglary_clearance": {2016: ((10.6, 8.2, 6.7, 6.4, 7.4), 7.8),
                           2015: ((8.8, 5.7, 8.6, 8.5, 10.1), 8.5)},
    "robbery": {2016: ((20, 10, 22, 7, 38), 97), 2015: ((25, 8, 27, 14, 26), 100)},
    "robbery_clearance": {2016: ((60, 30, 73, 57, 42), 53), 2015: ((44, 63, 33, 21, 46), 40)},
    "street_robbery": {2016: ((118, 35, 140, 27, 40), 360), 2015: ((143, 30, 149, 52, 56), 430)},
    "street_robbery_clearance": {2016: ((39, 43, 20, 56, 40), 33),
                                 2015: ((23, 33, 15, 21, 30), 22)},
}  # fmt: skip
PUBLISHED_REGION_SERIES = {
    "1.2.1": (16529, 15829, 14764, 13623, 13531, 13656),
    "1.2.3": (10298, 9280, 10463, 10404, 11642, 10561),
    "2.2.1": (15700, 13590, 12318, 12023, 11917, 10774),
    "RVS.GEWELD": (12111, 11709, 10775, 9922, 9107, 9183),
}
NEIGHBOURS = {"GM0545": "Leerdam", "GM0707": "Zederik"}
"""Outside the region, parts of Vijfheerenlanden since 2019: in every per-municipality file, in
no calibration (the fixtures below keep the region's 39 municipalities)."""
VISIBLE = ["1.1.1", "1.2.1", "1.2.3", "2.2.1", "1.4.6"]
LESS_VISIBLE = ["3.9.1", "3.7.4", "3.1.1", "RVS.WITWAS"]


def _half_up(numerator: int, denominator: int, decimals: int) -> float:
    """Percentage rounded half up (as the source document rounds), exact in integers."""
    scale = 100 * 10**decimals
    return ((2 * scale * numerator + denominator) // (2 * denominator)) / 10**decimals


# ------------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def municipalities() -> pd.DataFrame:
    table = pd.read_csv(REPO / "data" / "regions" / "municipalities.csv", dtype=str).fillna("")
    return table[(table["valid_to"] == "") | (table["valid_to"] >= "2017-01-01")].loc[
        lambda t: (t["valid_from"] == "") | (t["valid_from"] <= "2017-01-01")
    ]


@pytest.fixture(scope="module")
def district_of(municipalities) -> dict[str, str]:
    return dict(zip(municipalities["gemeente_code"], municipalities["district"], strict=True))


@pytest.fixture(scope="module")
def pilots() -> set[str]:
    return set(pd.read_csv(REPO / "data" / "regions" / "pilots.csv")["gemeente_code"])


@pytest.fixture(scope="module")
def crime(district_of) -> pd.DataFrame:
    frame = pd.read_csv(DEMO / "registered_crime.csv", dtype={"offence_code": str})
    frame = _region_rows(frame, district_of)
    frame["district"] = frame["gemeente_code"].map(district_of)
    return frame


@pytest.fixture(scope="module")
def cleared(district_of) -> pd.DataFrame:
    frame = pd.read_csv(DEMO / "cleared_offences.csv", dtype={"offence_code": str})
    frame = _region_rows(frame, district_of)
    frame["district"] = frame["gemeente_code"].map(district_of)
    return frame


@pytest.fixture(scope="module")
def survey(pilots, district_of) -> pd.DataFrame:
    frame = _region_rows(pd.read_csv(DEMO / "survey_microdata.csv"), district_of)
    frame["pilot_after"] = (frame["gemeente_code"].isin(pilots) & (frame["year"] >= 2019)).astype(
        int
    )
    return frame


@pytest.fixture(scope="module")
def effects() -> dict:
    return demo.truth()["effects"]


def _region_rows(frame: pd.DataFrame, district_of) -> pd.DataFrame:
    """The rows of the region's 39 municipalities (without the merger neighbours, which come
    after them in every file)."""
    inside = frame["gemeente_code"].isin(set(district_of))
    assert set(frame.loc[~inside, "gemeente_code"]) <= set(NEIGHBOURS)
    return frame[inside].reset_index(drop=True)


def _totals(frame, value, year, code=None):
    rows = frame[(frame["year"] == year)]
    if code is not None:
        rows = rows[rows["offence_code"] == code]
    by_district = rows.groupby("district")[value].sum()
    return [int(by_district[d]) for d in DISTRICT_ORDER], int(rows[value].sum())


# ------------------------------------------------------------------------------------------------
# Determinism, layout, size
# ------------------------------------------------------------------------------------------------


def test_regenerating_gives_byte_identical_files(tmp_path):
    written = demo.generate(tmp_path / "demo")
    assert {p.name for p in written.iterdir()} == GENERATED_FILES
    committed = {p.name for p in DEMO.iterdir()} - {"README.md"}
    assert committed == GENERATED_FILES
    for name in sorted(GENERATED_FILES):
        new, old = (written / name).read_bytes(), (DEMO / name).read_bytes()
        if name.endswith(".xz"):  # the content, not the compressor's bytes (liblzma may differ)
            new, old = lzma.decompress(new), lzma.decompress(old)
        assert new == old, (
            f"{name} differs from the committed demo data: run 'make demo-data' and commit"
        )


def test_other_seed_gives_other_data_with_the_same_published_totals(tmp_path):
    written = demo.generate(tmp_path, seed=7)
    assert (written / "survey_microdata.csv").read_bytes() != (
        DEMO / "survey_microdata.csv"
    ).read_bytes()
    crime = pd.read_csv(written / "registered_crime.csv", dtype={"offence_code": str})
    crime = crime[~crime["gemeente_code"].isin(NEIGHBOURS)]
    burglary = crime[crime["offence_code"] == "1.1.1"].groupby("year")["registered_offences"].sum()
    assert burglary[2011] == 12564 and burglary[2015] == 8510 and burglary[2016] == 7813
    metadata = json.loads((written / "metadata.json").read_text())
    assert metadata["seed"] == 7


def test_metadata():
    metadata = json.loads((DEMO / "metadata.json").read_text(encoding="utf-8"))
    assert metadata == {
        "crime_boundary_year": 2017,
        "population_boundary_year": 2017,
        "is_demo": True,
        "title": "Demonstratiedata RVS Midden-Nederland",
        "seed": demo.DEFAULT_SEED,
        "generator_version": demo.GENERATOR_VERSION,
    }


def test_data_set_is_small():
    """About 3.8 MB: 2.2 MB municipal files, 1.6 MB wijk and buurt files (crime tables as .xz)."""
    total = sum(p.stat().st_size for p in DEMO.iterdir())
    assert total < 4_200_000, f"demo data set is {total / 1e6:.1f} MB"


def test_default_folder_is_data_demo():
    assert demo.DEMO_DIR == REPO / "data" / "demo"


def test_shape_and_codes(crime, municipalities):
    codes = set(municipalities["gemeente_code"])
    assert len(codes) == 39
    assert set(crime["gemeente_code"]) == codes
    assert set(crime["year"]) == set(range(2011, 2024))
    assert set(crime["offence_code"]) == {"0.0.0", *VISIBLE, "1.4.7", "RVS.GEWELD", *LESS_VISIBLE}
    assert len(crime) == 12 * 39 * 13
    assert not crime.duplicated(["offence_code", "gemeente_code", "year"]).any()
    assert (crime["provisional"] == 0).all()
    assert (crime["registered_offences"] >= 0).all()
    names = dict(zip(municipalities["gemeente_code"], municipalities["gemeente_name"], strict=True))
    assert (crime["gemeente_name"] == crime["gemeente_code"].map(names)).all()


def test_total_crime_holds_every_other_code(crime):
    wide = crime.pivot_table(
        index=["gemeente_code", "year"], columns="offence_code", values="registered_offences"
    )
    components = wide.drop(columns="0.0.0").sum(axis=1)
    assert (wide["0.0.0"] >= components).all()


def test_population_is_plausible(district_of):
    population = _region_rows(pd.read_csv(DEMO / "population.csv"), district_of).set_index(
        ["gemeente_code", "year"]
    )["population"]
    assert population[("GM0344", 2017)] == pytest.approx(343_000, rel=0.02)
    assert population[("GM0034", 2017)] == pytest.approx(200_000, rel=0.03)
    assert population[("GM0307", 2017)] == pytest.approx(155_000, rel=0.03)
    assert population[("GM0339", 2017)] == pytest.approx(5_000, rel=0.05)
    region = population.groupby(level="year").sum()
    growth = region.pct_change().dropna()
    assert growth.between(0.004, 0.016).all()


def test_cleared_offences_are_consistent(crime, cleared):
    assert set(cleared["offence_code"]) == {"1.1.1", "1.4.6", "1.4.7"}
    merged = cleared.merge(
        crime[["offence_code", "gemeente_code", "year", "registered_offences"]],
        on=["offence_code", "gemeente_code", "year"],
        suffixes=("", "_crime"),
    )
    assert len(merged) == len(cleared) == 3 * 39 * 13
    assert (merged["registered_offences"] == merged["registered_offences_crime"]).all()
    assert (cleared["cleared_offences"] <= cleared["registered_offences"]).all()
    assert (cleared["attempted_offences"] <= cleared["registered_offences"]).all()
    assert (cleared[["cleared_offences", "attempted_offences"]] >= 0).all().all()
    assert (cleared["population_density"] > 0).all()
    assert cleared["burgernet_participation"].between(0.5, 30).all()
    # one covariate value per municipality and year
    per_year = cleared.groupby(["gemeente_code", "year"])[
        ["population_density", "burgernet_participation"]
    ].nunique()
    assert (per_year == 1).all().all()


def test_monthly_burglary_sums_to_annual_and_peaks_in_the_dark_months(crime, district_of):
    monthly = _region_rows(
        pd.read_csv(DEMO / "monthly_crime.csv", dtype={"offence_code": str}), district_of
    )
    assert set(monthly["offence_code"]) == {"1.1.1"}
    assert set(monthly["month"]) == set(range(1, 13))
    sums = monthly.groupby(["gemeente_code", "year"])["registered_offences"].sum()
    annual = crime[crime["offence_code"] == "1.1.1"].set_index(["gemeente_code", "year"])[
        "registered_offences"
    ]
    pd.testing.assert_series_equal(sums.sort_index(), annual.sort_index(), check_names=False)
    by_month = monthly.groupby("month")["registered_offences"].sum()
    assert by_month.idxmax() in (11, 12, 1)
    assert by_month[[10, 11, 12, 1]].min() > by_month[[4, 5, 6, 7, 8]].max()


def test_survey_design(survey, municipalities):
    assert set(survey["year"]) == {2011, 2013, 2015, 2017, 2019, 2021, 2023}
    assert set(survey["gemeente_code"]) == set(municipalities["gemeente_code"])
    assert not survey.duplicated(["year", "respondent_id"]).any()
    sizes = survey.groupby(["gemeente_code", "year"]).size()
    assert sizes.between(150, 900).all()
    assert sizes.xs("GM0344", level="gemeente_code").min() > sizes.median() * 2
    assert (survey["weight"] > 0).all() and survey["weight"].std() > 0
    assert set(survey["feels_unsafe"]) <= {0, 1} and set(survey["youth_nuisance"]) <= {0, 1}


def test_loads_and_validates_through_the_source_layer():
    from rvs_analysis.sources import load_source

    dataset = load_source("demo")
    assert dataset.is_demo
    assert dataset.crime_boundary_year == 2017
    assert dataset.cleared is not None and dataset.survey is not None
    assert dataset.monthly is not None and dataset.indicators is not None


def test_tile_grid_places_each_municipality_once(municipalities):
    grid = pd.read_csv(REPO / "data" / "regions" / "tile_grid.csv", dtype={"gemeente_code": str})
    assert list(grid.columns) == ["gemeente_code", "row", "col", "label"]
    # the 39 of 2017 once each, plus Vijfheerenlanden (2019) on the tile of Vianen, its part
    assert sorted(set(grid["gemeente_code"]) - {"GM1961"}) == sorted(
        municipalities["gemeente_code"]
    )
    assert not grid[grid["gemeente_code"] != "GM1961"].duplicated(["row", "col"]).any()
    position = grid.set_index("gemeente_code")
    assert tuple(position.loc["GM1961", ["row", "col"]]) == tuple(
        position.loc["GM0620", ["row", "col"]]
    )
    position = grid.set_index("gemeente_code")
    # roughly geographic: Flevoland north of Utrecht, Veenendaal east of Woerden
    assert (
        position.loc["GM0184", "row"]
        < position.loc["GM0034", "row"]
        < position.loc["GM0344", "row"]
    )
    assert position.loc["GM0345", "col"] > position.loc["GM0632", "col"]


# ------------------------------------------------------------------------------------------------
# Calibration to the source document
# ------------------------------------------------------------------------------------------------


def test_2011_baselines(crime, cleared):
    region = crime[crime["year"] == 2011].groupby("offence_code")["registered_offences"].sum()
    assert region["1.1.1"] == 12564
    assert region["1.4.7"] == 213
    assert region["1.4.6"] == 894
    rows = (
        cleared[cleared["year"] == 2011]
        .groupby("offence_code")[["registered_offences", "cleared_offences", "attempted_offences"]]
        .sum()
    )
    burglary = rows.loc["1.1.1"]
    assert burglary["registered_offences"] - burglary["attempted_offences"] == 8626
    for code, percent in {"1.1.1": 8, "1.4.7": 38, "1.4.6": 23}.items():
        total = rows.loc[code]
        assert _half_up(total["cleared_offences"], total["registered_offences"], 0) == percent


@pytest.mark.parametrize("code", sorted(PUBLISHED_REGION_SERIES))
def test_region_series_2011_2016(crime, code):
    series = (
        crime[(crime["offence_code"] == code) & crime["year"].between(2011, 2016)]
        .groupby("year")["registered_offences"]
        .sum()
    )
    assert tuple(series) == PUBLISHED_REGION_SERIES[code]


@pytest.mark.parametrize("year", [2015, 2016])
@pytest.mark.parametrize(
    ("figure", "code"),
    [
        ("total_crime", "0.0.0"),
        ("burglary", "1.1.1"),
        ("robbery", "1.4.7"),
        ("street_robbery", "1.4.6"),
    ],
)
def test_district_and_region_counts(crime, figure, code, year):
    districts, region = PUBLISHED_DISTRICTS[figure][year]
    assert _totals(crime, "registered_offences", year, code) == (list(districts), region)


@pytest.mark.parametrize("year", [2015, 2016])
def test_completed_burglaries(cleared, year):
    rows = cleared[cleared["offence_code"] == "1.1.1"].assign(
        completed=lambda t: t["registered_offences"] - t["attempted_offences"]
    )
    districts, region = PUBLISHED_DISTRICTS["burglary_completed"][year]
    assert _totals(rows, "completed", year) == (list(districts), region)


@pytest.mark.parametrize("year", [2015, 2016])
@pytest.mark.parametrize(
    ("figure", "code", "decimals"),
    [
        ("burglary_clearance", "1.1.1", 1),
        ("robbery_clearance", "1.4.7", 0),
        ("street_robbery_clearance", "1.4.6", 0),
    ],
)
def test_clearance_percentages_round_to_the_published_ones(cleared, figure, code, decimals, year):
    rows = cleared[cleared["offence_code"] == code]
    cleared_d, cleared_r = _totals(rows, "cleared_offences", year)
    registered_d, registered_r = _totals(rows, "registered_offences", year)
    districts, region = PUBLISHED_DISTRICTS[figure][year]
    shown = [_half_up(c, n, decimals) for c, n in zip(cleared_d, registered_d, strict=True)]
    assert shown == pytest.approx(list(districts))
    assert _half_up(cleared_r, registered_r, decimals) == pytest.approx(region)


def test_indicators(district_of):
    indicators = pd.read_csv(DEMO / "indicators.csv")
    assert not indicators.duplicated(["area", "year", "indicator"]).any()
    value = indicators.set_index(["area", "year", "indicator"])["value"]
    for year in (2015, 2016):
        districts, region = PUBLISHED_DISTRICTS["suspects"][year]
        assert value[("Midden-Nederland", year, "afgehandelde_verdachten")] == region
        for district, published in zip(DISTRICT_ORDER, districts, strict=True):
            assert value[(district, year, "afgehandelde_verdachten")] == published
    assert value[("Midden-Nederland", 2015, "csv_aangepakt")] == 65
    assert value[("Midden-Nederland", 2016, "csv_aangepakt")] == 68
    assert value[("Midden-Nederland", 2015, "afpakken_x1000_euro")] == 12036
    assert value[("Midden-Nederland", 2016, "afpakken_x1000_euro")] == 16391
    # district suspects add up to the region in every year
    suspects = indicators[indicators["indicator"] == "afgehandelde_verdachten"]
    by_year = suspects[suspects["area"] != "Midden-Nederland"].groupby("year")["value"].sum()
    region_series = suspects[suspects["area"] == "Midden-Nederland"].set_index("year")["value"]
    pd.testing.assert_series_equal(by_year, region_series, check_names=False)
    assert set(indicators["area"]) == {"Midden-Nederland", *set(district_of.values())}


def test_youth_nuisance_2013_is_28_percent(survey):
    wave = survey[survey["year"] == 2013]
    share = np.average(wave["youth_nuisance"], weights=wave["weight"])
    assert 100 * share == pytest.approx(28, abs=0.25)


@pytest.mark.skipif(not SOURCE_DOCUMENT.exists(), reason="source document ../shared/seed absent")
def test_published_table_matches_the_source_document():
    """The generator's typed Terugblik 2016 figures equal the table in the source document."""
    text = SOURCE_DOCUMENT.read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = line.split("\t")
        numbers = [c.strip() for c in cells[1:]]
        if len(cells) == 14 and all(re.fullmatch(r"\d[\d.,]*", c) for c in numbers):
            rows.setdefault(cells[0].strip(), []).append(
                [float(c.replace(".", "").replace(",", ".")) for c in numbers]
            )
    checks = {
        "Criminaliteit totaal (misdrijven)*": "0.0.0",
        "Woninginbraken": "1.1.1",
        "vv geslaagd": "1.1.1 completed",
        "Overvallen": "1.4.7",
        "Straatroof": "1.4.6",
        "Afgehandelde verdachten": "afgehandelde_verdachten",
    }
    for label, key in checks.items():
        (values,) = rows[label]
        for index, district in enumerate(DISTRICT_ORDER):
            assert demo.PUBLISHED_DISTRICT[key][district][2016] == values[3 + 2 * index]
            assert demo.PUBLISHED_DISTRICT[key][district][2015] == values[4 + 2 * index]
        assert demo.PUBLISHED_REGION[key][2016] == values[1]
        assert demo.PUBLISHED_REGION[key][2015] == values[2]
    clearance = rows["Ophelderingspercentage (in %)"]  # burglary, robbery, street robbery
    for values, key in zip(clearance, ["1.1.1", "1.4.7", "1.4.6"], strict=True):
        for index, district in enumerate(DISTRICT_ORDER):
            assert (
                demo.PUBLISHED_DISTRICT[f"{key} clearance %"][district][2016]
                == values[3 + 2 * index]
            )
            assert (
                demo.PUBLISHED_DISTRICT[f"{key} clearance %"][district][2015]
                == values[4 + 2 * index]
            )


# ------------------------------------------------------------------------------------------------
# Truths: documented, and recovered by plain statsmodels estimators on this data set
# ------------------------------------------------------------------------------------------------


def test_truth_structure_and_documentation(effects):
    required = {
        "burglary_clearance_or_burgernet",
        "pilot_effect_feels_unsafe_pp",
        "crime_change_trend_ratio",
    }
    assert required <= set(effects)
    json.dumps(demo.truth())
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    for name, effect in effects.items():
        assert set(effect) == {"value", "description"}
        assert isinstance(effect["value"], float) and effect["description"]
        assert f"`{name}` | {effect['value']!s} |" in readme, (
            f"{name} not documented with its value"
        )
    assert effects["less_visible_annual_rate_ratio"]["value"] == pytest.approx(
        effects["crime_change_trend_ratio"]["value"]
        * effects["visible_annual_rate_ratio"]["value"],
        rel=1e-5,
    )


def test_after_waves_follow_the_pilots_start_year():
    start = set(pd.read_csv(REPO / "data" / "regions" / "pilots.csv")["start_year"])
    assert start == {2017}
    first_after = min(wave for wave in demo.SURVEY_WAVES if wave > 2017)
    assert first_after == demo.FIRST_WAVE_AFTER_PILOT_START == 2019


def test_rounding_helper_rounds_half_up():
    assert demo._counts_rounding_to(63, 8) == [5]  # 62.5% is published as 63%
    assert demo._counts_rounding_to(7.8, 7813) == list(range(606, 614))


def test_burgernet_clearance_driver_is_recovered(cleared, effects):
    burglary = cleared[cleared["offence_code"] == "1.1.1"].assign(
        not_cleared=lambda t: t["registered_offences"] - t["cleared_offences"],
        density_per_1000=lambda t: t["population_density"] / 1000,
    )
    fit = smf.glm(
        "cleared_offences + not_cleared ~ burgernet_participation + density_per_1000"
        " + C(district) + C(year)",
        data=burglary,
        family=sm.families.Binomial(),
    ).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(burglary["gemeente_code"])[0]})
    low, high = np.exp(fit.conf_int().loc["burgernet_participation"])
    truth = effects["burglary_clearance_or_burgernet"]["value"]
    assert low < truth < high
    assert low > 1.0, "the planted driver must be detectable"
    low, high = np.exp(fit.conf_int().loc["density_per_1000"])
    assert low < effects["burglary_clearance_or_density"]["value"] < high


@pytest.mark.parametrize(
    ("outcome", "name"),
    [
        ("feels_unsafe", "pilot_effect_feels_unsafe_pp"),
        ("youth_nuisance", "pilot_effect_youth_nuisance_pp"),
    ],
)
def test_pilot_effect_is_recovered_by_clustered_did(survey, effects, outcome, name):
    fit = smf.wls(
        f"{outcome} ~ pilot_after + C(gemeente_code) + C(year)",
        data=survey,
        weights=survey["weight"],
    ).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(survey["gemeente_code"])[0]})
    low, high = 100 * fit.conf_int().loc["pilot_after"]
    assert low < effects[name]["value"] < high
    assert high < 0, "the planted pilot effect must be detectable"


def test_pilot_pre_trends_are_parallel(survey, pilots):
    frame = survey.assign(pilot=survey["gemeente_code"].isin(pilots).astype(int))
    for wave in (2011, 2013, 2015):
        frame[f"lead_{wave}"] = ((frame["year"] == wave) & (frame["pilot"] == 1)).astype(int)
    fit = smf.wls(
        "feels_unsafe ~ lead_2011 + lead_2013 + lead_2015 + pilot_after + C(gemeente_code) + C(year)",
        data=frame,
        weights=frame["weight"],
    ).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["gemeente_code"])[0]})
    test = fit.wald_test("lead_2011 = 0, lead_2013 = 0, lead_2015 = 0", scalar=True)
    assert float(test.pvalue) > 0.05


@pytest.fixture(scope="module")
def category_counts(crime):
    rows = crime[crime["offence_code"].isin(VISIBLE + LESS_VISIBLE)].assign(
        less_visible=lambda t: t["offence_code"].isin(LESS_VISIBLE).astype(int),
        t=lambda t: t["year"] - 2011,
    )
    return rows


def test_crime_change_trend_ratio_is_recovered_at_region_level(category_counts, effects):
    region = (
        category_counts.groupby(["less_visible", "year", "t"])["registered_offences"]
        .sum()
        .reset_index()
    )
    fit = smf.glm(
        "registered_offences ~ less_visible * t", data=region, family=sm.families.Poisson()
    ).fit(scale="X2")
    low, high = np.exp(fit.conf_int().loc["less_visible:t"])
    truth = effects["crime_change_trend_ratio"]["value"]
    assert low < truth < high and low > 1.0
    visible_low, visible_high = np.exp(fit.conf_int().loc["t"])
    assert visible_low < effects["visible_annual_rate_ratio"]["value"] < visible_high


def test_crime_change_trend_ratio_is_recovered_per_municipality(
    category_counts, effects, district_of
):
    counts = (
        category_counts.groupby(["gemeente_code", "less_visible", "year", "t"])[
            "registered_offences"
        ]
        .sum()
        .reset_index()
    )
    population = _region_rows(pd.read_csv(DEMO / "population.csv"), district_of)
    counts = counts.merge(population, on=["gemeente_code", "year"])
    fit = smf.glm(
        "registered_offences ~ less_visible * t + C(gemeente_code) * less_visible",
        data=counts,
        family=sm.families.Poisson(),
        offset=np.log(counts["population"]),
    ).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(counts["gemeente_code"])[0]})
    low, high = np.exp(fit.conf_int().loc["less_visible:t"])
    assert low < effects["crime_change_trend_ratio"]["value"] < high


def test_seasonal_pattern_is_recovered(effects, district_of):
    monthly = _region_rows(pd.read_csv(DEMO / "monthly_crime.csv"), district_of)
    region = monthly.groupby(["year", "month"])["registered_offences"].sum().reset_index()
    region["dark"] = region["month"].isin([10, 11, 12, 1]).astype(int)
    fit = smf.glm(
        "registered_offences ~ dark + C(year)", data=region, family=sm.families.Poisson()
    ).fit(scale="X2")
    low, high = np.exp(fit.conf_int().loc["dark"])
    assert low < effects["burglary_dark_months_rate_ratio"]["value"] < high and low > 1
    peak = region.groupby("month")["registered_offences"].sum().idxmax()
    assert peak == effects["burglary_seasonal_peak_month"]["value"]


# ------------------------------------------------------------------------------------------------
# Merger neighbours: Leerdam and Zederik, for reports on the boundaries of 2019 and later
# ------------------------------------------------------------------------------------------------

PER_MUNICIPALITY_FILES = (
    "registered_crime.csv",
    "population.csv",
    "cleared_offences.csv",
    "monthly_crime.csv",
    "survey_microdata.csv",
)


def test_neighbours_leave_the_region_rows_as_they_were(tmp_path, monkeypatch):
    """The region's rows do not depend on the neighbours: without them the generator writes
    exactly the lines before the neighbours' first row (their own random streams)."""
    monkeypatch.setattr(demo, "_append_merger_neighbours", lambda seed, frames: frames)
    alone = demo.generate(tmp_path / "alone")
    for name in PER_MUNICIPALITY_FILES:
        lines = (DEMO / name).read_text(encoding="utf-8").splitlines()
        first = next(i for i, line in enumerate(lines) if "GM0545" in line or "GM0707" in line)
        assert lines[:first] == (alone / name).read_text(encoding="utf-8").splitlines(), name
        rest = lines[first:]
        assert all("GM0545" in line or "GM0707" in line for line in rest), name
    for name in ("indicators.csv", "metadata.json"):
        assert (alone / name).read_bytes() == (DEMO / name).read_bytes()


def test_neighbours_are_in_every_per_municipality_file_and_consistent():
    crime = pd.read_csv(DEMO / "registered_crime.csv", dtype={"offence_code": str})
    crime = crime[crime["gemeente_code"].isin(NEIGHBOURS)]
    assert len(crime) == 12 * 2 * 13 and set(crime["year"]) == set(range(2011, 2024))
    assert (crime["gemeente_name"] == crime["gemeente_code"].map(NEIGHBOURS)).all()
    wide = crime.pivot_table(
        index=["gemeente_code", "year"], columns="offence_code", values="registered_offences"
    )
    assert (wide["0.0.0"] >= wide.drop(columns="0.0.0").sum(axis=1)).all()
    population = pd.read_csv(DEMO / "population.csv").set_index(["gemeente_code", "year"])
    population = population["population"]
    # CBS 70072ned, average population 2017: Leerdam 20,968, Zederik 13,923
    assert population[("GM0545", 2017)] == pytest.approx(20_968, rel=0.01)
    assert population[("GM0707", 2017)] == pytest.approx(13_923, rel=0.01)
    cleared = pd.read_csv(DEMO / "cleared_offences.csv", dtype={"offence_code": str})
    cleared = cleared[cleared["gemeente_code"].isin(NEIGHBOURS)]
    assert len(cleared) == 3 * 2 * 13
    merged = cleared.merge(crime, on=["gemeente_code", "year", "offence_code"])
    assert (merged["registered_offences_x"] == merged["registered_offences_y"]).all()
    assert (merged["cleared_offences"] <= merged["registered_offences_x"]).all()
    assert (merged["attempted_offences"] <= merged["registered_offences_x"]).all()
    density = cleared.drop_duplicates(["gemeente_code", "year"]).set_index(
        ["gemeente_code", "year"]
    )["population_density"]
    area = density.index.get_level_values(0).map(
        lambda code: demo_neighbours.MERGER_NEIGHBOURS[code][2]
    )
    implied = population.loc[density.index] / area.to_numpy()
    assert np.allclose(density, implied, atol=0.05)
    monthly = pd.read_csv(DEMO / "monthly_crime.csv")
    monthly = monthly[monthly["gemeente_code"].isin(NEIGHBOURS)]
    sums = monthly.groupby(["gemeente_code", "year"])["registered_offences"].sum()
    annual = wide["1.1.1"]
    assert (sums.sort_index() == annual.sort_index()).all() and len(sums) == 26
    survey = pd.read_csv(DEMO / "survey_microdata.csv")
    assert not survey.duplicated(["year", "respondent_id"]).any()
    ours = survey[survey["gemeente_code"].isin(NEIGHBOURS)]
    sizes = ours.groupby(["gemeente_code", "year"]).size()
    assert len(sizes) == 2 * len(demo.SURVEY_WAVES) and sizes.between(150, 900).all()
    # weights estimate the adult population
    weighted = ours.groupby(["gemeente_code", "year"])["weight"].sum()
    adults = population.loc[weighted.index] * demo.ADULT_SHARE
    assert np.allclose(weighted, adults, rtol=0.01)


def test_neighbours_have_rates_like_the_small_municipalities(crime):
    """Burglary and total crime per 1,000 inhabitants within the range of the region's
    municipalities of 10,000-30,000 inhabitants (2011-2023 together)."""
    everything = pd.read_csv(DEMO / "registered_crime.csv", dtype={"offence_code": str})
    population = pd.read_csv(DEMO / "population.csv")
    joined = everything.merge(population, on=["gemeente_code", "year"])
    joined = joined[joined["offence_code"].isin(["0.0.0", "1.1.1"])]
    totals = joined.groupby(["gemeente_code", "offence_code"])[
        ["registered_offences", "population"]
    ].sum()
    rate = (1000 * totals["registered_offences"] / totals["population"]).unstack()
    small = population[(population["year"] == 2017) & population["population"].between(1e4, 3e4)]
    small = sorted(set(small["gemeente_code"]) - set(NEIGHBOURS))
    assert len(small) >= 10
    for code in NEIGHBOURS:
        for offence in ("0.0.0", "1.1.1"):
            assert rate.loc[small, offence].min() <= rate.loc[code, offence]
            assert rate.loc[code, offence] <= rate.loc[small, offence].max()
