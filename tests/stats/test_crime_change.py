"""Known-answer and argument tests for rvs_analysis.stats.crime_change and its classification table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rvs_analysis.stats import crime_change, trends
from rvs_analysis.stats.trends import count_change

ARCHITECTURE_CODES = {
    "0.0.0",
    "1.1.1",
    "1.2.1",
    "1.2.3",
    "1.4.5",
    "1.4.6",
    "1.4.7",
    "2.2.1",
    "3.1.1",
    "3.7.4",
    "3.9.1",
    "RVS.GEWELD",
    "RVS.WITWAS",
}


def _crime(visible: list[float], less_visible: list[float], years: list[int]) -> pd.DataFrame:
    rows = []
    for year, v, lv in zip(years, visible, less_visible, strict=True):
        # split each group over two codes to check that codes are summed into their group
        rows += [
            {"offence_code": "1.1.1", "year": year, "registered_offences": round(v * 0.4)},
            {"offence_code": "2.2.1", "year": year, "registered_offences": round(v * 0.6)},
            {"offence_code": "3.9.1", "year": year, "registered_offences": round(lv * 0.7)},
            {"offence_code": "3.7.4", "year": year, "registered_offences": round(lv * 0.3)},
            {"offence_code": "0.0.0", "year": year, "registered_offences": round(3 * (v + lv))},
            {"offence_code": "1.4.5", "year": year, "registered_offences": 500},
        ]
    return pd.DataFrame(rows)


def test_classification_covers_the_suite_codes_with_reasoning():
    table = crime_change.load_classification()
    assert ARCHITECTURE_CODES <= set(table["offence_code"])
    categories = table.set_index("offence_code")["category"]
    for code in ("1.1.1", "1.2.1", "1.2.3", "2.2.1", "1.4.6"):
        assert categories[code] == "visible"
    for code in ("3.9.1", "3.7.4", "3.1.1", "RVS.WITWAS"):
        assert categories[code] == "less_visible"
    assert categories["0.0.0"] == "total"
    assert (table["reasoning"].str.len() > 30).all()


def test_classification_covers_the_codes_of_the_real_cbs_extract(shared_cbs_dir):
    crime = pd.read_csv(
        shared_cbs_dir / "registered_crime_47018NED_gemeente_year.csv", dtype={"offence_code": str}
    )
    missing = set(crime["offence_code"]) - set(crime_change.load_classification()["offence_code"])
    assert not missing, f"codes without a classification: {sorted(missing)}"


def test_classify_marks_unknown_codes():
    frame = pd.DataFrame({"offence_code": ["1.1.1", "9.9.9"], "registered_offences": [1, 2]})
    classified = crime_change.classify(frame)
    assert list(classified["category"]) == ["visible", "unclassified"]


def test_category_totals_shares_add_to_hundred():
    crime = _crime([1000, 900], [100, 150], [2015, 2016])
    population = pd.DataFrame({"year": [2015, 2016], "population": [100_000, 100_000]})
    totals = crime_change.category_totals(crime, population=population)
    assert totals.groupby("year")["share_pct"].sum().to_numpy() == pytest.approx([100, 100])
    row = totals.set_index(["year", "category"]).loc[(2016, "less_visible")]
    assert row["registered_offences"] == 150
    assert row["share_pct"] == pytest.approx(100 * 150 / 1050)
    assert row["share_ci_low"] < row["share_pct"] < row["share_ci_high"]
    assert row["rate_per_1000"] == pytest.approx(1.5)
    assert "category_nl" not in totals  # the stats layer returns codes; the report words them


def test_rates_use_only_the_crime_frames_municipalities():
    crime = _crime([1000, 900], [100, 150], [2015, 2016]).assign(gemeente_code="GM0001")
    population = pd.DataFrame(
        {
            "gemeente_code": ["GM0001", "GM0001", "GM0002", "GM0002"],
            "year": [2015, 2016, 2015, 2016],
            "population": [100_000, 100_000, 900_000, 900_000],
        }
    )
    totals = crime_change.category_totals(crime, population=population)
    row = totals.set_index(["year", "category"]).loc[(2016, "less_visible")]
    assert row["rate_per_1000"] == pytest.approx(1.5)


def test_compare_trends_recovers_exact_log_linear_trends():
    years = list(range(2011, 2024))
    visible = [200_000 * 0.95**t for t in range(len(years))]
    less_visible = [20_000 * 1.06**t for t in range(len(years))]
    result = crime_change.compare_visibility_trends(_crime(visible, less_visible, years))
    assert result.ratio.estimate == pytest.approx(1.06 / 0.95, rel=1e-4)
    assert result.visible.estimate == pytest.approx(0.95, rel=1e-4)
    assert result.less_visible.estimate == pytest.approx(1.06, rel=1e-4)
    assert result.model == "quasi_poisson"  # always a dispersion, here floored at 1
    assert "max(1, X2/df) = 1.00" in result.method
    assert result.ratio.significant and result.ratio.null_value == 1.0


def test_compare_trends_with_two_groups_moving_alike_is_not_significant():
    rng = np.random.default_rng(5)
    years = list(range(2011, 2024))
    # a common year shock (registration change) hits both groups alike: the year fixed effects
    # absorb it, so no difference in trends is found
    shock = np.exp(rng.normal(0, 0.1, len(years)))
    visible = rng.poisson(50_000 * 0.97 ** np.arange(len(years)) * shock)
    less_visible = rng.poisson(5_000 * 0.97 ** np.arange(len(years)) * shock)
    result = crime_change.compare_visibility_trends(
        _crime(list(visible), list(less_visible), years)
    )
    assert result.ratio.ci_low < 1 < result.ratio.ci_high
    assert not result.ratio.significant
    assert result.ratio.ci_high - result.ratio.ci_low < 0.02


def test_compare_trends_interval_contains_truth_under_overdispersion():
    rng = np.random.default_rng(9)
    years = list(range(2011, 2024))
    t = np.arange(len(years))
    visible = rng.poisson(60_000 * 0.95**t * np.exp(rng.normal(0, 0.03, len(t))))
    less_visible = rng.poisson(4_000 * 1.04**t * np.exp(rng.normal(0, 0.05, len(t))))
    result = crime_change.compare_visibility_trends(
        _crime(list(visible), list(less_visible), years)
    )
    assert result.model == "quasi_poisson"
    assert result.dispersion_p_value < 0.05
    assert result.ratio.ci_low < 1.04 / 0.95 < result.ratio.ci_high


def test_top_movers_ranks_with_dispersion_and_claims_no_significance():
    years = [2011, 2012, 2013, 2014, 2015, 2016]
    crime = pd.DataFrame(
        {
            "offence_code": np.repeat(["1.1.1", "3.7.4", "2.2.1", "1.4.6", "0.0.0"], 6),
            "offence_label": np.repeat(["inbraak", "cyber", "vernieling", "straatroof", "totaal"], 6),
            "year": years * 5,
            "registered_offences": [
                9800, 9300, 9000, 8700, 8510, 7813,
                60, 75, 80, 95, 100, 180,
                5300, 5000, 5100, 4900, 5000, 5010,
                10, 11, 9, 12, 4, 5,
                95000, 91000, 90000, 88000, 90000, 85000,
            ],
        }
    )  # fmt: skip
    absolute = crime_change.top_movers(crime, 2015, 2016, n=4)
    assert list(absolute["offence_code"])[:3] == ["1.1.1", "3.7.4", "2.2.1"]  # total left out
    assert absolute.loc[0, "change"] == 7813 - 8510
    assert "significant" not in absolute.columns  # ranking picks extremes: no claim
    row = absolute.set_index("offence_code").loc["3.7.4"]
    series = pd.DataFrame({"year": years, "registered_offences": [60, 75, 80, 95, 100, 180]})
    phi, df = trends.area_dispersion(series, population_column=None, compared=(2015, 2016))
    assert phi is not None
    reference = count_change(100, 180, dispersion=phi, df=df)
    assert row["change_pct"] == pytest.approx(80.0)
    assert row["ci_low_pct"] == pytest.approx(reference.ci_low)
    assert row["dispersion"] == pytest.approx(phi)
    small = absolute.set_index("offence_code").loc["1.4.6"]
    assert bool(small["too_few"]) and math.isnan(small["change_pct"])
    relative = crime_change.top_movers(crime, 2015, 2016, n=1, order_by="relative")
    assert relative.loc[0, "offence_code"] == "3.7.4"


@pytest.mark.parametrize(
    "call",
    [
        lambda: crime_change.compare_visibility_trends(
            _crime([100, 90, 80], [10, 12, 14], [1, 2, 3]).head(0)
        ),
        lambda: crime_change.compare_visibility_trends(
            pd.DataFrame(
                {"offence_code": ["1.1.1"] * 3, "year": [1, 2, 3], "registered_offences": [5, 6, 7]}
            )
        ),
        lambda: crime_change.compare_visibility_trends(_crime([100, 90], [10, 12], [2015, 2016])),
        lambda: crime_change.category_totals(
            pd.DataFrame({"offence_code": ["1.1.1"], "year": [2015], "registered_offences": [-3]})
        ),
        lambda: crime_change.top_movers(_crime([100, 90], [10, 12], [2015, 2016]), 2015, 2030),
        lambda: crime_change.top_movers(_crime([100, 90], [10, 12], [2015, 2016]), 2015, 2016, n=0),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_no_visible_or_less_visible_codes_is_an_error():
    frame = pd.DataFrame(
        {"offence_code": ["1.4.5", "1.4.5"], "year": [2015, 2016], "registered_offences": [1, 2]}
    )
    with pytest.raises(ValueError, match="visible"):
        crime_change.category_totals(frame)
