"""Known-answer and argument tests for rvs_analysis.stats.trends."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.discrete.diagnostic import PoissonDiagnostic
from statsmodels.stats import rates as poisson_rates

from rvs_analysis.stats import monthly, targets, trends
from rvs_analysis.stats.common import Estimate, StatisticsInputError

# --------------------------------------------------------------------------------------------
# Change between two counts
# --------------------------------------------------------------------------------------------


def test_rate_ratio_interval_hand_computed_one_against_one():
    # Given 1 + 1 = 2 offences, the "after" count is Binomial(2, pi). Clopper-Pearson for 1 of 2:
    # lower = 1 - sqrt(0.975), upper = sqrt(0.975); RR = pi / (1 - pi).
    result = trends.rate_ratio_interval(1, 1)
    low_pi, high_pi = 1 - math.sqrt(0.975), math.sqrt(0.975)
    assert result.estimate == pytest.approx(1.0)
    assert result.ci_low == pytest.approx(low_pi / (1 - low_pi), rel=1e-9)
    assert result.ci_high == pytest.approx(high_pi / (1 - high_pi), rel=1e-9)
    assert result.ci_high == pytest.approx(78.4994, rel=1e-4)
    assert not result.significant


def test_rate_ratio_interval_p_value_matches_statsmodels_exact_conditional_test():
    result = trends.rate_ratio_interval(120, 80, exposure_before=1.0, exposure_after=1.0)
    reference = poisson_rates.test_poisson_2indep(80, 1.0, 120, 1.0, method="exact-cond")
    assert result.estimate == pytest.approx(80 / 120)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-6)
    assert result.significant  # 80 against 120 is a significant fall
    assert result.ci_high < 1


def test_rate_ratio_interval_with_exposures_is_ratio_of_rates():
    result = trends.rate_ratio_interval(100, 100, exposure_before=1000, exposure_after=2000)
    assert result.estimate == pytest.approx(0.5)
    plain = trends.rate_ratio_interval(100, 100)
    # Exposures rescale the interval of the count ratio by E_before / E_after.
    assert result.ci_low == pytest.approx(plain.ci_low * 0.5)
    assert result.ci_high == pytest.approx(plain.ci_high * 0.5)


def test_rate_ratio_interval_zero_counts():
    zero_before = trends.rate_ratio_interval(0, 5)
    assert math.isinf(zero_before.estimate) and math.isinf(zero_before.ci_high)
    assert zero_before.ci_low > 0
    both = trends.rate_ratio_interval(0, 0)
    assert math.isnan(both.estimate) and not both.significant
    assert both.to_dict() == {"estimate": None, "ci_low": 0.0, "ci_high": None}


def test_count_change_is_percentage_of_rate_ratio():
    change = trends.count_change(8510, 7813)
    ratio = trends.rate_ratio_interval(8510, 7813)
    assert change.estimate == pytest.approx(100 * (7813 / 8510 - 1))
    assert change.ci_low == pytest.approx(100 * (ratio.ci_low - 1))
    assert change.null_value == 0.0 and change.significant
    assert set(change.to_dict()) == {"estimate", "ci_low", "ci_high"}


def test_index_year_on_year_and_base_year_change():
    counts = pd.Series([16529, 15829, 14764, 13623, 13531, 13656], index=range(2011, 2017))
    index = trends.index_to_base(counts, 2011)
    assert index.loc[2011] == pytest.approx(100.0)
    assert index.loc[2016] == pytest.approx(100 * 13656 / 16529)

    yoy = trends.year_on_year_change(counts)
    assert list(yoy["year"]) == list(range(2011, 2017))
    assert math.isnan(yoy.loc[0, "change_pct"]) and not yoy.loc[0, "significant"]
    row_2016 = yoy.set_index("year").loc[2016]
    assert row_2016["change_pct"] == pytest.approx(100 * (13656 / 13531 - 1))  # the published +1%
    assert not row_2016["significant"]
    assert yoy.set_index("year").loc[2013, "significant"]

    base = trends.base_year_change(counts, 2011)
    assert base.set_index("year").loc[2016, "change_pct"] == pytest.approx(
        100 * (13656 / 16529 - 1)
    )
    assert math.isnan(base.set_index("year").loc[2011, "change_pct"])


def test_change_with_population_is_change_in_rate():
    counts = pd.Series([1000, 1000], index=[2015, 2016])
    population = pd.Series([100_000, 125_000], index=[2015, 2016])
    table = trends.year_on_year_change(counts, exposures=population)
    assert table.loc[1, "change_pct"] == pytest.approx(-20.0)


# --------------------------------------------------------------------------------------------
# Trend
# --------------------------------------------------------------------------------------------


def test_trend_on_two_periods_equals_closed_form():
    frame = pd.DataFrame(
        {"year": [2015, 2016], "registered_offences": [8510, 7813], "population": [1.2e6, 1.25e6]}
    )
    trend = trends.fit_count_trend(frame)
    closed_form = (7813 / 1.25e6) / (8510 / 1.2e6)
    se = math.sqrt(1 / 8510 + 1 / 7813)
    assert trend.model == "poisson"
    assert trend.annual_rate_ratio.estimate == pytest.approx(closed_form, rel=1e-8)
    assert trend.annual_rate_ratio.ci_low == pytest.approx(
        closed_form * math.exp(-1.959964 * se), rel=1e-5
    )
    # and close to the exact conditional interval at counts this large
    exact = trends.rate_ratio_interval(8510, 7813, 1.2e6, 1.25e6)
    assert trend.annual_rate_ratio.ci_high == pytest.approx(exact.ci_high, rel=2e-3)


def test_trend_recovers_exact_geometric_series():
    frame = pd.DataFrame({"year": [2012, 2013, 2014], "registered_offences": [1000, 1100, 1210]})
    trend = trends.fit_count_trend(frame, population_column=None)
    assert trend.annual_rate_ratio.estimate == pytest.approx(1.1, rel=1e-9)
    assert trend.model == "quasi_poisson"
    assert trend.pearson_dispersion == pytest.approx(0.0, abs=1e-12)
    assert trend.scale == 1.0  # phi = max(1, X2/df)
    assert "quasi-Poisson GLM" in trend.annual_rate_ratio.method


def test_trend_switches_away_from_poisson_when_overdispersed():
    # The published car break-in series: Pearson chi2/df about 16, far beyond Poisson.
    frame = pd.DataFrame(
        {
            "year": range(2011, 2017),
            "registered_offences": [16529, 15829, 14764, 13623, 13531, 13656],
        }
    )
    trend = trends.fit_count_trend(frame, population_column=None)
    assert trend.model == "quasi_poisson"
    assert trend.dispersion_p_value < 0.05
    assert trend.scale == pytest.approx(trend.pearson_dispersion)
    negative_binomial = trends.fit_count_trend(
        frame, population_column=None, overdispersed_model="negative_binomial"
    )
    assert negative_binomial.model == "negative_binomial" and negative_binomial.alpha > 0
    assert "negative binomial" in negative_binomial.annual_rate_ratio.method
    assert negative_binomial.forecast(2018).pi_high > negative_binomial.forecast(2018).mean
    poisson = trends.fit_count_trend(frame, population_column=None, model="poisson")
    width = trend.annual_rate_ratio.ci_high - trend.annual_rate_ratio.ci_low
    poisson_width = poisson.annual_rate_ratio.ci_high - poisson.annual_rate_ratio.ci_low
    assert width > 2 * poisson_width  # honest about the extra variation
    assert "quasi-Poisson" in trend.annual_rate_ratio.method


def test_trend_is_always_quasi_poisson_with_dispersion_floored_at_one():
    rng = np.random.default_rng(11)
    years = np.arange(2011, 2024)
    frame = pd.DataFrame(
        {"year": years, "registered_offences": rng.poisson(400 * 0.97 ** (years - 2011))}
    )
    trend = trends.fit_count_trend(frame, population_column=None)
    assert trend.model == "quasi_poisson"
    assert trend.scale == pytest.approx(max(1.0, trend.pearson_dispersion))
    assert trend.df_resid == 11
    # the year noise was checked for AR(1) and none found (rho = 0): the t(11) interval with
    # the dispersion, exp(b +- t * se_poisson * sqrt(phi))
    assert trend.serial.estimated and trend.serial.rho == 0.0
    poisson = trends.fit_count_trend(frame, population_column=None, model="poisson")
    se = poisson.annual_rate_ratio.details["se"] * math.sqrt(trend.scale)
    b = math.log(trend.annual_rate_ratio.estimate)
    assert trend.annual_rate_ratio.ci_high == pytest.approx(
        math.exp(b + stats.t.ppf(0.975, 11) * se), rel=1e-6
    )
    assert "rho = 0" in trend.method
    assert trend.annual_rate_ratio.ci_low < 0.97 < trend.annual_rate_ratio.ci_high


def test_quasi_poisson_change_known_answer_and_dispersion_widens_it():
    # the review's regional burglary 2015 -> 2016 with dispersion about 16
    change = trends.count_change(8510, 7813, dispersion=16.0, df=4)
    se = math.sqrt(16.0 * (1 / 8510 + 1 / 7813))
    ratio = 7813 / 8510
    assert change.estimate == pytest.approx(100 * (ratio - 1))
    quantile = stats.t.ppf(0.975, 4)
    assert change.ci_low == pytest.approx(100 * (ratio * math.exp(-quantile * se) - 1))
    assert change.ci_high == pytest.approx(100 * (ratio * math.exp(quantile * se) - 1))
    assert not change.significant
    assert trends.count_change(8510, 7813).significant  # the exact Poisson test alone says yes
    # dispersion below 1 is floored: never narrower than Poisson
    low = trends.count_change(8510, 7813, dispersion=0.5)
    one = trends.count_change(8510, 7813, dispersion=1.0)
    assert low.ci_low == pytest.approx(one.ci_low)


def test_year_on_year_significance_holds_its_size_under_year_noise():
    # flat 8,000 a year with 4% year-to-year noise: the exact test calls most changes
    # significant, the area's dispersion keeps false "sign." near 5%
    rng = np.random.default_rng(2017)
    years = np.arange(2011, 2024)
    exact, quasi = [], []
    for _ in range(150):
        counts = rng.poisson(8000 * np.exp(rng.normal(0, 0.04, years.size)))
        frame = pd.DataFrame({"year": years, "registered_offences": counts})
        phi, df = trends.area_dispersion(frame, population_column=None)
        quasi.append(trends.count_change(counts[-2], counts[-1], dispersion=phi, df=df).significant)
        exact.append(trends.count_change(counts[-2], counts[-1]).significant)
    assert np.mean(exact) > 0.4
    assert np.mean(quasi) <= 0.10


def test_area_dispersion_needs_three_years():
    frame = pd.DataFrame({"year": [2015, 2016], "registered_offences": [10, 12]})
    assert trends.area_dispersion(frame, population_column=None) == (None, None)


def test_forecast_projects_population_and_draws_dispersion():
    years = np.arange(2011, 2017)
    frame = pd.DataFrame(
        {
            "year": years,
            "registered_offences": [16529, 15829, 14764, 13623, 13531, 13656],
            "population": 1.2e6 * 1.01 ** (years - 2011),
        }
    )
    trend = trends.fit_count_trend(frame)
    assert trends.project_population(trend.data, 2018) == pytest.approx(1.2e6 * 1.01**7, rel=1e-9)
    forecast = trend.forecast(2018, n_sim=4000)
    frozen = trend.forecast(2018, population=float(frame["population"].iloc[-1]), n_sim=4000)
    assert forecast.mean > frozen.mean  # a growing population is not frozen
    assert "scaled inverse chi-square" in forecast.method
    assert "projected" in forecast.method


def test_cameron_trivedi_statistic_matches_statsmodels():
    rng = np.random.default_rng(0)
    x = np.arange(10.0)
    y = rng.negative_binomial(5, 5 / (5 + np.exp(3 + 0.1 * x)))
    results = sm.Poisson(y, sm.add_constant(x)).fit(disp=0)
    reference = PoissonDiagnostic(results).test_dispersion()
    position = reference.method.index("CT nb2")
    statistic, _ = trends.cameron_trivedi_test(y, results.predict())
    assert statistic == pytest.approx(reference.statistic[position], rel=1e-8)


def test_forecast_includes_parameter_and_count_noise():
    # Poisson-like scatter around 100 (X2/df about 0.6)
    counts = [96, 108, 91, 104, 99, 102]
    frame = pd.DataFrame({"year": range(2011, 2017), "registered_offences": counts})
    trend = trends.fit_count_trend(frame, population_column=None)
    forecast = trend.forecast(2018, n_sim=40000, seed=1)
    assert forecast.mean == pytest.approx(101, rel=0.03)
    # wider than the pure Poisson(100) 95% range (81-120) because the trend is uncertain
    assert forecast.pi_low < 81 and forecast.pi_high > 120
    assert 0.35 < forecast.probability(100, "<=") < 0.6
    again = trend.forecast(2018, n_sim=40000, seed=1)
    assert again.pi_low == forecast.pi_low  # reproducible


# --------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------


def test_targets_table_covers_the_strategy_indicators():
    table = targets.load_targets()
    expected = {
        "burglary",
        "completed_burglary",
        "burglary_clearance",
        "robbery",
        "robbery_clearance",
        "street_robbery",
        "street_robbery_clearance",
        "total_crime",
        "suspects_handled",
        "criminal_networks",
        "confiscation",
        "youth_nuisance",
    }
    assert expected <= set(table["indicator"])
    assert table["source_line"].str.len().min() > 10
    baseline = table[(table["kind"] == "baseline") & (table["year"] == 2011)]
    assert baseline.set_index("indicator").loc["burglary", "value"] == 12564


def test_target_for_published_interpolated_and_relative():
    assert targets.target_for("burglary", 2018).value == 10000
    assert targets.target_for("burglary", 2018).comparison == "<"
    assert targets.target_for("burglary", 2017).value == 10679
    assert targets.target_for("burglary_clearance", 2016).value == 9.5
    interpolated = targets.target_for("burglary", 2015)
    assert interpolated.how == "interpolated"
    assert interpolated.value == pytest.approx(12564 + 4 / 5 * (11093 - 12564))
    with pytest.raises(StatisticsInputError, match="baseline_value"):
        targets.target_for("total_crime", 2018)
    relative = targets.target_for("total_crime", 2018, baseline_value=125_000)
    assert relative.value == pytest.approx(100_000) and relative.how == "relative"
    with pytest.raises(ValueError, match="No target"):
        targets.target_for("burglary", 2025)
    with pytest.raises(ValueError, match="known indicators"):
        targets.target_for("no_such_indicator", 2018)


def test_target_status_probability_bands():
    burglary = pd.DataFrame(
        {"year": range(2011, 2017), "value": [12564, 11800, 11000, 9500, 8510, 7813]}
    )
    status = targets.target_status("burglary", burglary)
    # before the target year a forecast is "op koers" (probability >= 0.9), never "behaald"
    assert status.status == "on course"
    assert status.meets_current_target is True and status.current_target.value == 11093
    assert status.forecast is not None and status.probability_meeting_target >= 0.9

    # robbery: above the 2018 target of 125 in 2016 but falling steeply
    robbery = pd.DataFrame({"year": range(2011, 2017), "value": [213, 200, 184, 170, 157, 145]})
    banded = targets.target_status("robbery", robbery)
    assert banded.status == targets.status_from_probability(banded.probability_meeting_target)
    assert banded.forecast.mean < 125
    assert "predictive probability" in banded.method

    # burglary clearance: flat around 8% against 11.5% in 2018 -> off track
    clearance = pd.DataFrame(
        {
            "year": range(2011, 2017),
            "registered_offences": [12564, 11800, 11000, 9500, 8510, 7813],
            "cleared_offences": [1005, 950, 880, 760, 723, 609],
        }
    )
    off = targets.target_status("burglary_clearance", clearance)
    assert off.status == "unlikely"
    assert off.last_value == pytest.approx(100 * 609 / 7813)
    assert off.meets_current_target is False
    assert off.forecast.pi_high < 11.5 and off.probability_meeting_target < 0.01
    assert set(off.to_dict()["forecast"]) == {"estimate", "ci_low", "ci_high"}

    late = targets.target_status(
        "robbery", pd.DataFrame({"year": [2017, 2018], "value": [170, 160]})
    )
    assert late.status == "not met"
    assert late.forecast is None and (late.observed_year, late.observed_value) == (2018, 160)
    # 130 against 125: the target lies inside the count's exact 95% interval (109-154)
    near = targets.target_status(
        "robbery", pd.DataFrame({"year": [2017, 2018], "value": [140, 130]})
    )
    assert near.status == "borderline"
    # Past the target year the target year's observed value decides, not the last one.
    after = targets.target_status(
        "robbery", pd.DataFrame({"year": [2016, 2017, 2018, 2019], "value": [170, 165, 160, 20]})
    )
    assert after.status == "not met" and after.observed_year == 2018 and after.forecast is None


def test_status_bands_and_insufficient_data():
    assert [targets.status_from_probability(p) for p in (0.95, 0.9, 0.8, 0.5, 0.29)] == [
        "on course", "on course", "likely", "uncertain", "unlikely"
    ]  # fmt: skip
    # two years that meet the target: never "behaald" on one noisy value, never "niet op koers"
    two = targets.target_status(
        "robbery", pd.DataFrame({"year": [2015, 2016], "value": [150, 120]})
    )
    assert two.status == "insufficient data"
    # the overvallen clearance of the review: 51/97 meets the target once, 3 years of ~100
    small = pd.DataFrame(
        {"year": [2014, 2015, 2016], "registered_offences": [95, 101, 97],
         "cleared_offences": [40, 47, 51]}
    )  # fmt: skip
    status = targets.target_status("robbery_clearance", small)
    assert status.status != "on course" or status.probability_meeting_target >= 0.895
    # an interval spanning most of the scale says nothing
    tiny = pd.DataFrame(
        {
            "year": [2014, 2015, 2016],
            "registered_offences": [3, 4, 2],
            "cleared_offences": [1, 3, 0],
        }
    )
    assert targets.target_status("robbery_clearance", tiny).status == "insufficient data"


def test_quasi_binomial_dispersion_is_pearson_x2_over_df():
    # statsmodels' scale="X2" with a two-column endog gave about 1/n; the explicit one is X2/df
    cleared = np.array([900, 1010, 880, 1100, 950, 1050.0])
    registered = np.full(6, 10000.0)
    years = np.arange(2011, 2017.0)
    fit = targets.quasi_binomial_trend(cleared, registered, years)
    design = np.column_stack([np.ones(6), years - 2011])
    glm = sm.GLM(np.column_stack([cleared, registered - cleared]), design,
                 family=sm.families.Binomial()).fit()  # fmt: skip
    assert fit["pearson"] == pytest.approx(glm.pearson_chi2 / 4, rel=1e-6)
    assert fit["pearson"] > 3
    assert np.allclose(fit["params"], glm.params)
    assert np.allclose(fit["unit_covariance"], glm.cov_params(), rtol=1e-5)


def test_clearance_forecast_covers_under_year_noise():
    # seeded simulation: 8 years of 900 burglaries, year noise 0.05 on the logit, 2 years ahead
    rng = np.random.default_rng(7)
    years = np.arange(2011, 2021.0)
    hits = []
    for i in range(120):
        logit = np.log(0.09 / 0.91) + 0.02 * (years - 2011) + rng.normal(0, 0.05, years.size)
        cleared = rng.binomial(900, 1 / (1 + np.exp(-logit)))
        frame = pd.DataFrame(
            {"year": years[:8], "cleared_offences": cleared[:8], "registered_offences": 900}
        )
        forecast = targets.forecast_proportion(frame, 2020, 0.95, 2000, i)
        hits.append(forecast.pi_low <= 100 * cleared[-1] / 900 <= forecast.pi_high)
    assert 0.88 <= np.mean(hits) <= 0.995


def test_target_status_rejects_bad_observations():
    with pytest.raises(ValueError, match="cleared"):
        targets.target_status(
            "burglary_clearance",
            pd.DataFrame(
                {"year": [2015, 2016], "registered_offences": [10, 10], "cleared_offences": [2, 11]}
            ),
        )
    with pytest.raises(ValueError, match="negative"):
        targets.target_status("burglary", pd.DataFrame({"year": [2015, 2016], "value": [5, -1]}))


# --------------------------------------------------------------------------------------------
# Monthly series
# --------------------------------------------------------------------------------------------


def _seasonal_series(seed: int, shift_at: int | None = None, months: int = 96) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    season = 1 + 0.25 * np.cos(2 * np.pi * (t - 11) / 12)  # peak in December
    level = np.where(t < (shift_at if shift_at is not None else months + 1), 800.0, 640.0)
    index = pd.date_range("2012-01-01", periods=months, freq="MS")
    return pd.Series(rng.poisson(level * season).astype(float), index=index)


def test_monthly_series_sums_and_checks_gaps():
    frame = pd.DataFrame(
        {
            "gemeente_code": ["GM1", "GM2"] * 24,
            "year": np.repeat([2015, 2016], 24),
            "month": np.tile(np.repeat(np.arange(1, 13), 2), 2),
            "offence_code": "1.1.1",
            "registered_offences": 1,
        }
    )
    series = monthly.monthly_series(frame, offence_code="1.1.1")
    assert len(series) == 24 and (series == 2).all()
    assert series.index[0] == pd.Timestamp("2015-01-01")
    with pytest.raises(ValueError, match="gaps"):
        monthly.monthly_series(frame[frame["month"] != 5])


def test_stl_recovers_december_peak():
    decomposition = monthly.stl_decompose(_seasonal_series(3))
    seasonal = decomposition["seasonal"].groupby(decomposition.index.month).mean()
    assert seasonal.idxmax() == 12
    assert seasonal.max() == pytest.approx(1.25, abs=0.05)
    assert {"trend", "seasonal", "resid", "seasonally_adjusted"} <= set(decomposition.columns)


def test_change_point_found_at_planted_level_shift():
    series = _seasonal_series(5, shift_at=50)
    result = monthly.detect_change_points(series, kind="level")
    assert len(result.dates) == 1
    assert abs((result.dates[0] - series.index[50]).days) <= 62
    assert result.segments["mean_level"].iloc[-1] < result.segments["mean_level"].iloc[0]
    assert "sup-F" in result.method and result.p_value < 0.05


def test_pelt_proposals_are_kept_for_comparison_and_do_not_decide():
    """``compare_pelt=True`` runs PELT (ruptures) beside the sup-F test: its proposals land in
    ``pelt_dates`` and the method says so, in English here and in Dutch in the report."""
    from rvs_analysis.report.methods_text import describe

    series = _seasonal_series(5, shift_at=50)
    plain = monthly.detect_change_points(series, kind="level", n_boot=99)
    compared = monthly.detect_change_points(series, kind="level", n_boot=99, compare_pelt=True)
    assert plain.pelt_dates == [] and "PELT" not in plain.method
    assert compared.dates == plain.dates and compared.p_value == plain.p_value
    assert any(abs((date - series.index[50]).days) <= 62 for date in compared.pelt_dates)
    assert "PELT (l2 cost, penalty (6 sigma^2 log n)" in compared.method
    assert "PELT" in describe(compared.method_spec) and "PELT" not in describe(plain.method_spec)
    stable = monthly.detect_change_points(
        _seasonal_series(21), kind="trend", n_boot=99, compare_pelt=True
    )
    assert stable.dates == [] and "PELT (linear cost" in stable.method


def test_no_change_points_in_a_stable_series():
    for seed in (21, 22, 23):
        series = _seasonal_series(seed)
        assert monthly.detect_change_points(series, kind="level").dates == []
        assert monthly.detect_change_points(series, kind="trend").dates == []


# --------------------------------------------------------------------------------------------
# Bad arguments
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: trends.rate_ratio_interval(-1, 5),
        lambda: trends.rate_ratio_interval(1.5, 5),
        lambda: trends.rate_ratio_interval(5, 5, exposure_before=0),
        lambda: trends.rate_ratio_interval(5, 5, level=1.5),
        lambda: trends.year_on_year_change(pd.Series([], dtype=float)),
        lambda: trends.year_on_year_change(pd.Series([5, -2], index=[2015, 2016])),
        lambda: trends.index_to_base(pd.Series([0, 5], index=[2015, 2016]), 2015),
        lambda: trends.index_to_base(pd.Series([1, 5], index=[2015, 2016]), 2011),
        lambda: trends.fit_count_trend(pd.DataFrame({"year": [], "registered_offences": []})),
        lambda: trends.fit_count_trend(
            pd.DataFrame({"year": [2015, 2016, 2017], "registered_offences": [5, -1, 3]})
        ),
        lambda: trends.fit_count_trend(
            pd.DataFrame({"year": [2015, 2015, 2017], "registered_offences": [5, 1, 3]})
        ),
        lambda: trends.fit_count_trend(
            pd.DataFrame({"year": [2015, 2016, 2017], "registered_offences": [0, 0, 0]})
        ),
        lambda: monthly.stl_decompose(pd.Series([], dtype=float)),
        lambda: monthly.stl_decompose(_seasonal_series(1, months=18)),
        lambda: monthly.detect_change_points(_seasonal_series(1), kind="volume"),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_estimate_significance_and_summary_shape():
    estimate = Estimate(1.2, 1.05, 1.4, "test", null_value=1.0)
    assert estimate.significant
    assert estimate.to_dict() == {"estimate": 1.2, "ci_low": 1.05, "ci_high": 1.4}
    assert not Estimate(1.2, 0.9, 1.4, "test", null_value=1.0).significant
    assert estimate.scaled(100).ci_low == pytest.approx(105.0)


@settings(max_examples=60, deadline=None)
@given(
    before=st.integers(min_value=1, max_value=50_000),
    after=st.integers(min_value=0, max_value=50_000),
    exposure_before=st.floats(min_value=1.0, max_value=1e6),
    exposure_after=st.floats(min_value=1.0, max_value=1e6),
)
def test_rate_ratio_interval_properties(before, after, exposure_before, exposure_after):
    result = trends.rate_ratio_interval(before, after, exposure_before, exposure_after)
    assert 0 <= result.ci_low <= result.estimate <= result.ci_high
    assert 0 <= result.p_value <= 1
    # swapping the periods inverts the ratio and its interval
    swapped = trends.rate_ratio_interval(after, before, exposure_after, exposure_before)
    if after > 0:
        assert swapped.estimate == pytest.approx(1 / result.estimate, rel=1e-9)
        assert swapped.ci_high == pytest.approx(1 / result.ci_low, rel=1e-6)


def test_rate_interval_matches_the_published_exact_poisson_limits():
    # Exact 95% limits for a Poisson count of 10 are 4.795 to 18.390, for 0 they are 0 to 3.689
    # (Garwood 1936; e.g. the tables in Breslow & Day 1987, appendix).
    table = trends.rate_interval([10, 0], [1000, 1000], per=1000)
    assert table["rate"].tolist() == [10.0, 0.0]
    assert table["ci_low"].round(3).tolist() == [4.795, 0.0]
    assert table["ci_high"].round(3).tolist() == [18.390, 3.689]


def test_rate_interval_scales_with_exposure_and_refuses_bad_input():
    table = trends.rate_interval([50], [25_000], per=1000)
    assert table.loc[0, "rate"] == pytest.approx(2.0)
    assert table.loc[0, "ci_low"] < 2.0 < table.loc[0, "ci_high"]
    with pytest.raises(ValueError, match="exposure"):
        trends.rate_interval([5], [0])
    with pytest.raises(ValueError):
        trends.rate_interval([-1], [100])
    with pytest.raises(ValueError, match="values for"):
        trends.rate_interval([1, 2], [100])


def test_clearance_forecast_does_not_floor_the_year_noise_at_the_binomial():
    # a series that follows its trend almost exactly (Pearson X2/df far below 1): the dispersion
    # draws are mostly below 1 and the year's own noise must shrink with them, not stay at the
    # binomial (flooring it covered 97.5% on exactly binomial counts in 2,000 simulations)
    years = np.arange(2011, 2019.0)
    share = 1 / (1 + np.exp(-(np.log(0.09 / 0.91) + 0.02 * (years - 2011))))
    cleared = np.rint(900 * share)
    frame = pd.DataFrame({"year": years, "cleared_offences": cleared, "registered_offences": 900})
    assert targets.quasi_binomial_trend(cleared, np.full(8, 900.0), years)["pearson"] < 0.2
    forecast = targets.forecast_proportion(frame, 2020, 0.95, 4000, 3)
    p = forecast.mean / 100
    binomial_sd = 100 * math.sqrt(p * (1 - p) / 900)
    assert np.std(forecast.draws) < 0.6 * binomial_sd


def test_floored_dispersion_uses_the_normal_at_the_floor():
    from rvs_analysis.stats.common import floored_dispersion

    assert floored_dispersion(2.5, 8) == (2.5, 8.0)
    assert floored_dispersion(0.7, 8) == (1.0, math.inf)
    assert floored_dispersion(math.nan, 0) == (1.0, math.inf)
    # a flat, exactly log-linear series: X2/df ~ 0, so the interval is the Poisson Wald one
    frame = pd.DataFrame(
        {"year": np.arange(2014, 2024), "registered_offences": [100] * 10, "population": 1e5}
    )
    trend = trends.fit_count_trend(frame)
    assert "normal intervals" in trend.annual_rate_ratio.method
    se = trend.annual_rate_ratio.details["se"]
    assert math.log(trend.annual_rate_ratio.ci_high) == pytest.approx(1.959964 * se, rel=1e-5)


def test_base_year_change_on_a_series_not_indexed_by_year_says_what_it_needs():
    """Issue 28 A11: docs/api.md's call on a plain column (index 0, 1, ...) explains itself."""
    counts = pd.Series([120, 110, 100])
    with pytest.raises(StatisticsInputError, match="indexed by year"):
        trends.base_year_change(counts, 2011)


def test_the_band_is_decided_on_the_printed_percent():
    """Issue 28 A2: 0,8996 prints as "90%" and so is "op koers", as 0,90 is."""
    assert targets.status_from_probability(0.8996) == targets.status_from_probability(0.9)
    assert targets.status_from_probability(0.894) == "likely"


@pytest.mark.parametrize(
    ("indicator", "frame", "expected"),
    [
        # 22 burglaries against a target of 21 (scaled): the target lies in the count's interval
        ("burglary", {"value": [30, 28, 26, 25, 24, 23, 22, 22]}, "borderline"),
        # robberies 0 against 1: fewer than 10 cases
        ("robbery", {"value": [2, 1, 1, 0, 1, 0, 0, 0]}, "too few"),
        # 6.933 against 10.000: far below, achieved
        ("burglary", {"value": [12564, 11800, 11000, 9500, 8510, 7813, 7200, 6933]}, "achieved"),
    ],
)
def test_a_measured_target_is_judged_with_its_interval_and_its_cases(indicator, frame, expected):
    """Issue 28 A2/A4: a measured value whose interval holds the target is "op de grens"; fewer
    than 10 cases give no verdict."""
    observed = pd.DataFrame({"year": range(2011, 2019), **frame})
    table = targets.load_targets()
    if expected != "achieved":  # a small municipality: the region's targets scaled to 21 and 1
        scale = {"burglary": 21 / 10000, "robbery": 1 / 125}[indicator]
        rows = table["indicator"] == indicator
        table = table.assign(value=table["value"].where(~rows, table["value"] * scale))
    status = targets.target_status(indicator, observed, 2018, table)
    assert status.status == expected, (status.target.value, status.method)
    assert status.judged_years == (2018,)


def test_clearance_on_its_target_is_borderline_not_missed():
    """Flevoland: 11,48% against 11,5% printed "11,5% | 11,5% | niet behaald"."""
    observed = pd.DataFrame(
        {
            "year": range(2013, 2019),
            "registered_offences": [2000, 1900, 1800, 1700, 1600, 1550],
            "cleared_offences": [180, 180, 185, 180, 178, 178],
        }
    )
    status = targets.target_status("burglary_clearance", observed, 2018)
    assert round(100 * 178 / 1550, 2) == 11.48
    assert status.status == "borderline"


def test_an_unmeasured_target_year_is_judged_on_the_measurements_around_it():
    """Youth nuisance: no survey in 2018; 2017 met the target, 2019 did not: "op de grens",
    judged on 2017 and 2019 (it was "behaald" on 2017 alone)."""
    table = targets.load_targets()
    target = targets.target_for("youth_nuisance", 2018, table)
    low, high = target.value - 3.0, target.value + 3.0
    met, missed = (low, high) if target.comparison in ("<=", "<") else (high, low)
    observed = pd.DataFrame({"year": [2013, 2015, 2017, 2019], "value": [met, met, met, missed]})
    status = targets.target_status("youth_nuisance", observed, 2018, table)
    assert status.judged_years == (2017, 2019)
    assert status.status == "borderline"


def test_the_year_noise_leaves_out_the_compared_and_provisional_years():
    """Issue 28 B1: the change tested must not inflate the noise it is judged against."""
    years = list(range(2011, 2024))
    rng = np.random.default_rng(3)
    counts = rng.poisson(12000 * np.exp(rng.normal(0, 0.036, len(years))))
    frame = pd.DataFrame({"year": years, "registered_offences": counts})
    phi, df = trends.area_dispersion(frame, population_column=None)
    jumped = frame.assign(
        registered_offences=frame["registered_offences"].where(frame["year"] < 2023, 6000)
    )
    assert trends.area_dispersion(jumped, population_column=None) == (phi, df)
    assert df == 11 - 3  # a quadratic trend through the 11 years not compared
    spiked = frame.assign(
        registered_offences=frame["registered_offences"].where(frame["year"] != 2020, 20000)
    )
    assert trends.area_dispersion(spiked, population_column=None)[0] > 10 * phi
    assert trends.area_dispersion(spiked, population_column=None, provisional=[2020])[1] == 7


def test_a_bend_in_the_trend_is_not_taken_for_noise():
    """A fall of 3.5% a year that stops: a straight line through all years took the bend for
    year noise (phi in the hundreds); the smooth trend of the years not compared does not."""
    years = np.arange(2011, 2024)
    mean = 12000 * np.exp(np.log(0.965) * np.minimum(years - 2011, 6))
    frame = pd.DataFrame({"year": years, "registered_offences": np.round(mean)})
    phi, _ = trends.area_dispersion(frame, population_column=None)
    assert phi < 5


def test_with_few_years_the_noise_comes_from_second_differences():
    frame = pd.DataFrame(
        {"year": range(2011, 2017), "registered_offences": [100, 120, 95, 110, 90, 130]}
    )
    phi, df = trends.area_dispersion(frame, population_column=None)
    assert phi >= 1 and 0 < df < 2  # two overlapping second differences (2012, 2013)
    assert trends.area_dispersion(frame.iloc[:4], population_column=None) == (None, None)


def test_the_rate_ratio_test_and_interval_agree():
    """Issue 28 B8: 0 -> 6 at exposures 1 : 1.3 gave p = 0.039 with an interval containing 1."""
    result = trends.rate_ratio_interval(0, 6, 1.0, 1.3)
    assert (result.p_value < 0.05) == (result.ci_low > 1 or result.ci_high < 1)
    for before in range(0, 81, 3):
        for after in range(0, 81, 2):
            result = trends.rate_ratio_interval(before, after, 1.0, 1.3)
            excludes = result.ci_low > 1 or result.ci_high < 1
            assert (result.p_value < 0.05) == excludes, (before, after)


def test_a_forecast_of_a_short_overdispersed_series_neither_crashes_nor_contradicts_itself():
    """Issue 28 B7: [8, 33, 10, 15, 6, 9] for 2011-2016, forecast 2018, raised ValueError n < 0
    (seed 0, 13, ...) and otherwise gave a mean of 412 beside an interval of 0 to 89."""
    frame = pd.DataFrame({"year": range(2011, 2017), "registered_offences": [8, 33, 10, 15, 6, 9]})
    trend = trends.fit_count_trend(frame, population_column=None)
    for seed in (0, 2, 13, 26):
        forecast = trend.forecast(2018, seed=seed)
        assert forecast.pi_low <= forecast.mean <= forecast.pi_high
        assert np.isfinite(forecast.draws).all()


def test_the_local_noise_reference_is_exact_and_not_floored():
    """Issue 28 B1: two overlapping second differences are no chi-square with Satterthwaite's
    1.38 df (size 2.7%); the t with the exact critical value rejects 5% of null changes, and an
    estimate below 1 is kept (flooring it with the normal rejected in 7-9%)."""
    from rvs_analysis.stats.common import floored_dispersion, second_difference_dispersion

    rng = np.random.default_rng(11)
    rejected = []
    for _ in range(4000):
        y = rng.normal(0, 0.1, 6)
        phi, df = second_difference_dispersion({2011 + i: (y[i], 0.01) for i in range(4)})
        phi, reference_df = floored_dispersion(phi, df)
        statistic = abs(y[5] - y[4]) / math.sqrt(phi * 0.02)
        rejected.append(statistic > stats.t(reference_df).ppf(0.975))
    assert df == pytest.approx(1.758, abs=0.01)
    assert 0.04 <= np.mean(rejected) <= 0.06
    assert floored_dispersion(0.3, df) == (0.3, df)  # one to three df: kept as estimated
    assert floored_dispersion(0.3, 8.0) == (1.0, math.inf)  # longer series: the floor


def test_a_dispersion_without_df_is_not_dropped():
    with_phi = trends.count_change(1000, 900, dispersion=17.0)
    poisson = trends.count_change(1000, 900, dispersion=1.0)
    assert with_phi.ci_high - with_phi.ci_low > 3 * (poisson.ci_high - poisson.ci_low)


def test_detectable_change_is_the_power_formula():
    fall = trends.detectable_change(12000, 17.0)  # dispersion as known: normal quantiles
    log_ratio = -math.log(1 - fall / 100)
    se = math.sqrt(17.0 * 2 / 12000)
    assert log_ratio == pytest.approx((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * se)
    # the region's noise from 11 years (8 df): a true -10% is below what the test sees reliably
    assert 14 < trends.detectable_change(12000, 17.0, 8) < 18


def test_results_change_without_a_noise_estimate_has_no_interval_and_no_test():
    from rvs_analysis.report.tables import NO_NOISE_METHOD, _change_record

    observed = pd.DataFrame({"year": [2013, 2014, 2015, 2016], "value": [900, 950, 870, 800]})
    record = _change_record(observed, "count")
    assert record["change_pct"] == pytest.approx(100 * (800 / 870 - 1))
    assert "change_low" not in record and record["significant"] is False
    assert record["change_method"] == NO_NOISE_METHOD
    longer = pd.DataFrame({"year": range(2011, 2017), "value": [900, 950, 870, 920, 960, 800]})
    record = _change_record(longer, "count")
    assert record["change_low"] < record["change_pct"] < record["change_high"]
    assert record["change_detectable"] > 0
    # a provisional year is not part of the noise: 2011, 2013, 2014 are not three in a row
    assert "change_low" not in _change_record(longer, "count", provisional=[2012])
