"""The demo's wijken and buurten: planted truths present, withheld cells empty, one stream per seed.

The planted hot spots, surges and recodings are checked on the committed files with plain
arithmetic (rates and ratios), not with the suite's statistics: that the report's methods recover
them is the statistics' test.
"""

from __future__ import annotations

import itertools
import lzma

import numpy as np
import pandas as pd
import pytest

from rvs_analysis.sources import demo, demo_neighbourhoods
from rvs_analysis.sources.neighbourhoods import load_neighbourhoods

DEMO = demo.DEMO_DIR
TRUTH = demo_neighbourhoods.truth_table()


@pytest.fixture(scope="module")
def data():
    return load_neighbourhoods(DEMO)


@pytest.fixture(scope="module")
def buurt_rates(data):
    """Total crime per 1,000 inhabitants per buurt and year (withheld cells dropped)."""
    total = data.yearly[
        (data.yearly["offence_code"] == "0.0.0") & (data.yearly["area_kind"] == "buurt")
    ]
    frame = total.merge(data.population[["area_code", "year", "population"]])
    frame = frame.dropna(subset=["registered_offences", "population"])
    return frame.assign(rate=1000 * frame["registered_offences"] / frame["population"])


def _ratio_to_the_rest(rates: pd.DataFrame, code: str, years) -> float:
    """The buurt's offences per inhabitant over ``years`` / those of the other buurten of its
    municipality that are not planted."""
    gemeente = "GM" + code[2:6]
    rows = rates[(rates["gemeente_code"] == gemeente) & rates["year"].isin(years)]
    planted = set(TRUTH.loc[TRUTH["truth"] == "hot_spot", "area_code"])
    own = rows[rows["area_code"] == code]
    rest = rows[~rows["area_code"].isin(planted)]
    return (own["registered_offences"].sum() / own["population"].sum()) / (
        rest["registered_offences"].sum() / rest["population"].sum()
    )


def test_truth_file_lists_the_plants():
    committed = pd.read_csv(DEMO / "neighbourhood_truth.csv", dtype=str, keep_default_na=False)
    assert list(committed.columns) == list(demo_neighbourhoods.TRUTH_COLUMNS)
    assert committed["truth"].value_counts().to_dict() == {"hot_spot": 6, "surge": 4, "recoded": 6}
    expected = TRUTH.astype(object).where(TRUTH.notna(), "")
    expected["rate_ratio"] = [f"{v:.1f}" if v != "" else "" for v in expected["rate_ratio"]]
    assert committed.to_numpy().tolist() == expected.astype(str).to_numpy().tolist()
    assert TRUTH.equals(demo_neighbourhoods.truth_table()), "the truths do not depend on a seed"


@pytest.mark.parametrize(
    ("code", "ratio"), sorted(demo_neighbourhoods.HOT_SPOTS.items()), ids=lambda v: str(v)
)
def test_planted_hot_spots_are_in_the_data(buurt_rates, code, ratio):
    after = _ratio_to_the_rest(buurt_rates, code, range(2019, 2024))
    before = _ratio_to_the_rest(buurt_rates, code, range(2012, 2019))
    # the ratio is to an ordinary buurt with factor 1; the rest averages a little above 1
    assert 0.75 * ratio < after < 1.15 * ratio
    assert before < 1.6, "before 2019 the buurt is an ordinary one"
    assert after / before > 1.2


def test_no_other_buurt_is_planted_at_a_hot_spot_rate(buurt_rates):
    planted = set(demo_neighbourhoods.HOT_SPOTS)
    recent = buurt_rates[buurt_rates["year"] >= 2019]
    ordinary = sorted(set(recent["area_code"]) - planted)
    ratios = [_ratio_to_the_rest(buurt_rates, code, range(2019, 2024)) for code in ordinary]
    # ordinary buurt factors are truncated at two sd (exp(2 x 0.20) x exp(2 x 0.15) ~ 2.0)
    assert max(ratios) < 2.2


@pytest.mark.parametrize(
    ("code", "offence"),
    [(code, offence) for code, (offence, _) in sorted(demo_neighbourhoods.SURGES.items())],
)
def test_planted_surges_are_in_the_latest_three_months(data, code, offence):
    series = data.monthly[
        (data.monthly["area_code"] == code) & (data.monthly["offence_code"] == offence)
    ].set_index(["year", "month"])["registered_offences"]
    latest = series.loc[[(2024, 4), (2024, 5), (2024, 6)]].sum()
    same_months_before = series.loc[[(2023, 4), (2023, 5), (2023, 6)]].sum()
    year_before = series.loc[(2023, 4) : (2024, 3)].sum() / 4  # a quarter's worth
    assert latest > 2 * max(same_months_before, year_before, 1)


def test_latest_month_is_provisional_and_the_only_one(data):
    assert data.provisional_months == (demo_neighbourhoods.LATEST_MONTH,)
    assert data.provisional_years == ()
    latest = data.monthly[(data.monthly["year"] == 2024) & (data.monthly["month"] == 6)]
    assert latest["provisional"].all()
    assert data.monthly["provisional"].sum() == len(latest)


def test_withheld_cells_are_empty_in_the_files_and_missing_when_read(data):
    text = pd.read_csv(DEMO / "neighbourhood_crime.csv.xz", dtype=str, keep_default_na=False)
    withheld = text["registered_offences"] == ""
    assert withheld.sum() > 100
    # every figure of the business parks (fewer than 50 inhabitants) is withheld, none is 0
    parks = data.areas.loc[data.areas["area_name"].str.contains("Bedrijventerrein"), "area_code"]
    assert len(parks) == 2
    park_rows = text["area_code"].isin(set(parks))
    assert park_rows.any() and (text.loc[park_rows, "registered_offences"] == "").all()
    population = pd.read_csv(
        DEMO / "neighbourhood_population.csv", dtype=str, keep_default_na=False
    )
    assert (population.loc[population["area_code"].isin(set(parks)), "population"] == "").all()
    # read as missing, never as 0; the wijk of a park keeps CBS's own count
    assert data.yearly["registered_offences"].isna().sum() == withheld.sum()
    read = data.yearly.set_index(["offence_code", "area_code", "year"])["registered_offences"]
    park = parks.iloc[0]
    assert read.loc[("0.0.0", park, 2020)] != read.loc[("0.0.0", park, 2020)]  # NaN
    assert read.loc[("0.0.0", "WK" + park[2:8], 2020)] > 0
    # scattered withheld cells (not in planted areas) in the monthly table too
    assert data.monthly["registered_offences"].isna().sum() > 100
    planted = set(TRUTH.loc[TRUTH["truth"] != "recoded", "area_code"])
    missing_monthly = data.monthly.loc[data.monthly["registered_offences"].isna(), "area_code"]
    assert not set(missing_monthly) & planted


def test_recoded_buurten_are_reported_as_partial_series(data):
    recoded = TRUTH[TRUTH["truth"] == "recoded"].set_index("area_code")
    partial = data.partial_series.set_index("area_code")
    assert set(partial.index) == set(recoded.index)
    for code, row in recoded.iterrows():
        assert partial.loc[code, "starts_late"] == (row["first_year"] > 2012)
        assert partial.loc[code, "ends_early"] == (row["last_year"] < 2023)
        assert partial.loc[code, "first_year"] == row["first_year"]
        assert partial.loc[code, "last_year"] == min(row["last_year"], 2023)
    codes = {f["properties"]["area_code"] for f in data.boundaries["features"]}
    assert "BU03440911" in codes and "BU03440905" not in codes


def test_areas_names_and_sizes(data):
    areas = data.areas
    assert areas["area_name"].str.endswith("(demo)").all()
    assert not areas.duplicated(["gemeente_code", "area_name"]).any()
    buurten_2012 = data.yearly[
        (data.yearly["year"] == 2012) & (data.yearly["area_kind"] == "buurt")
    ].drop_duplicates("area_code")
    per_gemeente = buurten_2012.groupby("gemeente_code").size()
    assert len(per_gemeente) == 39
    assert per_gemeente["GM0344"] == 100 and per_gemeente.min() >= 3
    assert set(data.offences["offence_code"]) == {
        "0.0.0",
        *demo_neighbourhoods.NEIGHBOURHOOD_OFFENCES,
    }
    assert data.yearly["year"].min() == 2012 and data.yearly["year"].max() == 2023
    months = data.monthly[["year", "month"]].drop_duplicates()
    assert len(months) == 10 * 12 + 6  # January 2014 to June 2024


def test_polygons_tile_their_wijk_without_overlap(data):
    features = data.boundaries["features"]
    boxes = {}
    for feature in features:
        ring = np.array(feature["geometry"]["coordinates"][0])
        assert len(ring) == 5 and (ring[0] == ring[-1]).all()
        boxes[feature["properties"]["area_code"]] = (*ring.min(axis=0), *ring.max(axis=0))
    by_wijk: dict[str, list[str]] = {}
    for code in boxes:
        if code.startswith("BU"):
            by_wijk.setdefault("WK" + code[2:8], []).append(code)
    for wijk, codes in by_wijk.items():
        west, south, east, north = boxes[wijk]
        area = 0.0
        for code in codes:
            w, s, e, n = boxes[code]
            assert west - 1e-4 <= w < e <= east + 1e-4 and south - 1e-4 <= s < n <= north + 1e-4
            area += (e - w) * (n - s)
        for a, b in itertools.combinations(codes, 2):
            overlap_x = min(boxes[a][2], boxes[b][2]) - max(boxes[a][0], boxes[b][0])
            overlap_y = min(boxes[a][3], boxes[b][3]) - max(boxes[a][1], boxes[b][1])
            assert min(overlap_x, overlap_y) <= 1e-4, f"{a} overlaps {b}"
        assert area == pytest.approx((east - west) * (north - south), rel=1e-2)


def test_same_seed_same_files_other_seed_other_counts(tmp_path):
    municipalities = demo._municipalities()
    first = demo_neighbourhoods.generate_neighbourhoods(tmp_path / "a", 7, municipalities)
    second = demo_neighbourhoods.generate_neighbourhoods(tmp_path / "b", 7, municipalities)
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name
    monthly = "neighbourhood_monthly_crime.csv.xz"
    assert lzma.decompress((tmp_path / "a" / monthly).read_bytes()) != lzma.decompress(
        (DEMO / monthly).read_bytes()
    )
    assert (tmp_path / "a" / "neighbourhood_truth.csv").read_bytes() == (
        DEMO / "neighbourhood_truth.csv"
    ).read_bytes()
    assert (tmp_path / "a" / "neighbourhoods.geojson").read_bytes() == (
        DEMO / "neighbourhoods.geojson"
    ).read_bytes()


def test_the_municipal_demo_files_are_not_read_as_neighbourhood_files():
    """``neighbourhoods.geojson`` is no municipal boundary file of the tidy source."""
    from rvs_analysis.sources import load_source, tidy

    names = {path.name for path in tidy.input_files(DEMO)}
    assert not any(name.startswith("neighbourhood") for name in names)
    assert load_source("demo").boundaries is None


def test_truth_listing_on_the_command_line(capsys):
    from rvs_analysis.cli import main

    assert main(["demo-data", "--truth", "neighbourhoods"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == list(demo_neighbourhoods.TRUTH_COLUMNS)
    assert len(lines) == 1 + len(TRUTH)
    for code in TRUTH["area_code"]:
        assert code in out
    assert "Wijk 04 Zuid (demo)" in out  # the Amersfoort wijk of the planted surge
