"""Issue 11's statistical properties: known answers and small seeded simulations.

The large simulations live in :mod:`rvs_analysis.stats.validation` (``make validate-stats``, which
writes ``docs/statistical_properties.md``); here every scenario runs with a handful of data sets so
the validation code cannot rot, and the properties that are cheap to check get a direct test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rvs_analysis.stats import (
    monthly,
    perception,
    validation,
    validation_monthly,
    validation_survey,
)


def _monthly(seed, shift=0.0, mean=800.0, months=156, rho=0.4):
    return validation_monthly._monthly(np.random.default_rng(seed), mean=mean, months=months,
                               rho=rho, shift=shift)  # fmt: skip


def test_break_test_is_search_aware_under_ar1_noise():
    # no change, AR(1) noise: a break is reported in about 5% of series (PELT alone: 25%)
    found = [
        len(monthly.detect_change_points(_monthly(seed), n_boot=99, seed=seed).dates)
        for seed in range(60)
    ]
    assert np.mean(np.asarray(found) > 0) <= 0.15


def test_break_test_finds_a_planted_drop_and_reports_no_interval_on_it():
    result = monthly.detect_change_points(_monthly(1, shift=-0.25), n_boot=199)
    assert len(result.dates) == 1 and result.p_value < 0.05
    assert abs((result.dates[0] - pd.Timestamp("2017-07-01")).days) < 200
    assert -35 < result.jump_pct < -10
    assert "AR(1) extra-Poisson noise" in result.method and result.is_break


def test_ar1_is_estimated_on_the_extra_poisson_part_of_the_noise():
    # 300 a month, AR(1) rho 0.6 sd 0.05: Poisson noise halves the raw lag-1 autocorrelation
    rng = np.random.default_rng(3)
    n = 3000
    ar = np.empty(n)
    ar[0] = rng.normal(0, 0.05 / math.sqrt(1 - 0.36))
    for t in range(1, n):
        ar[t] = 0.6 * ar[t - 1] + rng.normal(0, 0.05)
    counts = rng.poisson(300 * np.exp(ar))
    values = np.log1p(counts)
    residuals = values - values.mean()
    raw = residuals[:-1] @ residuals[1:] / (residuals @ residuals)
    rho, variance = monthly.ar1_plus_white(residuals, monthly.poisson_log_variance(counts))
    assert raw < 0.4
    assert rho == pytest.approx(0.6, abs=0.06)
    assert variance == pytest.approx(0.05**2 / (1 - 0.36), rel=0.2)


def _flattening_series(seed):
    rng = np.random.default_rng(seed)
    curve = validation_monthly._flattening(156)
    season = 1 + 0.15 * np.cos(2 * np.pi * (np.arange(156) % 12 - 11) / 12)
    counts = rng.poisson(800 * season * np.exp(curve + rng.normal(0, 0.02, 156)))
    return pd.Series(
        counts.astype(float), index=pd.date_range("2011-01-01", periods=156, freq="MS")
    )


def test_a_smooth_flattening_is_a_bend_and_a_drop_is_a_break():
    bend = monthly.detect_change_points(_flattening_series(4), n_boot=199)
    assert bend.dates and bend.shape == "bend" and bend.is_bend and not bend.is_break
    assert bend.slope_before_pct < -4 and abs(bend.slope_after_pct) < bend.slope_before_pct * -0.5
    assert math.isnan(bend.jump_pct) and bend.jump_p_value >= 0.05
    assert "bend" in bend.method
    drop = monthly.detect_change_points(_monthly(1, shift=-0.25), n_boot=199)
    assert drop.is_break and drop.jump_p_value < 0.05


def test_break_test_p_value_is_the_bootstrap_share():
    values = np.log1p(_monthly(3).to_numpy())
    a = monthly.break_test(values, n_boot=199, seed=5)
    b = monthly.break_test(values, n_boot=199, seed=5)
    assert a == b  # reproducible
    assert 1 / 200 <= a["p_value"] <= 1
    assert 0 <= a["rho"] <= 0.95


def test_stl_only_where_counts_carry_a_season():
    assert monthly.seasonality_supported(_monthly(0, mean=800))
    assert not monthly.seasonality_supported(_monthly(0, mean=3))
    assert not monthly.seasonality_supported(_monthly(0, mean=800, months=20))
    small = monthly.detect_change_points(_monthly(2, mean=3), n_boot=99)
    assert "too few offences a month for STL" in small.method


def test_seasonal_effects_known_answer():
    # noiseless expected counts: the model returns the planted factors exactly
    index = pd.date_range("2011-01-01", periods=72, freq="MS")
    factors = 1 + 0.3 * np.cos(2 * np.pi * (np.arange(12) - 11) / 12)
    factors = factors / factors.mean()
    level = 500 * 0.98 ** np.repeat(np.arange(6), 12)
    series = pd.Series(level * np.tile(factors, 6), index=index)
    result = monthly.seasonal_effects(series.round())
    assert result.factors["factor"].to_numpy() == pytest.approx(factors, rel=2e-3)
    assert result.peak_month.estimate == 12.0
    dark = np.isin(np.arange(1, 13), monthly.DARK_MONTHS)
    truth = factors[dark].mean() / factors[~dark].mean()
    ratio = result.dark_months_ratio
    assert ratio.estimate == pytest.approx(truth, rel=2e-3)
    assert ratio.ci_low < truth < ratio.ci_high


def test_wild_bootstrap_interval_is_the_inverted_test():
    survey, pilots = validation_survey._survey(np.random.default_rng(4))
    result = perception.difference_in_differences(
        survey, "feels_unsafe", pilots, 2017, n_boot=399, seed=1
    )
    effect = result.effect
    assert effect.ci_low < effect.estimate < effect.ci_high
    assert "Webb" in effect.method and "Kish-effective" in effect.method
    # the interval's ends are where the bootstrap p-value crosses 5%
    cells = perception._cells(perception._prepare(survey, "feels_unsafe", pilots, 2017)[0])
    design = perception._fixed_effects(cells)
    design.insert(0, "pilot_after", (cells["treated"] & (cells["year"] > 2017)).astype(float))
    boot = perception._RestrictedBootstrap(cells, design, "pilot_after", len(survey), 399, 1)
    assert (
        boot.p_value(effect.ci_low / 100 + 1e-4) > 0.05 >= boot.p_value(effect.ci_low / 100 - 1e-3)
    )
    assert boot.p_value(effect.estimate / 100) == 1.0
    assert effect.p_value == pytest.approx(boot.p_value(0.0))
    assert (effect.p_value < 0.05) == (not effect.ci_low <= 0 <= effect.ci_high)


def test_leave_one_pilot_out_and_unweighted_sensitivity():
    survey, pilots = validation_survey._survey(np.random.default_rng(8))
    table = perception.leave_one_pilot_out(survey, "feels_unsafe", pilots, 2017, n_boot=199)
    assert len(table) == 1 + len(pilots)
    assert table.loc[0, "left_out"] == "none"
    shares = table.set_index("left_out")["weight_share"]
    assert shares.drop("none").sum() == pytest.approx(1.0)
    assert shares[pilots[0]] == pytest.approx(1 / 3, abs=0.02)  # "Utrecht" carries a third
    # each row is the DiD on the survey without that municipality (cells formed once)
    full = perception.difference_in_differences(survey, "feels_unsafe", pilots, 2017, n_boot=199)
    for code in (pilots[0], pilots[-1]):
        kept = survey[survey["gemeente_code"] != code]
        alone = perception.difference_in_differences(
            kept, "feels_unsafe", [p for p in pilots if p != code], 2017, n_boot=199
        )
        row = table.set_index("left_out").loc[code]
        assert row["estimate_pp"] == pytest.approx(alone.effect.estimate, rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            (alone.effect.ci_low, alone.effect.ci_high), rel=1e-9
        )
        assert alone.n_respondents == len(kept) < full.n_respondents
    unweighted = perception.difference_in_differences(
        survey, "feels_unsafe", pilots, 2017, weighted=False, n_boot=199
    )
    assert "unweighted" in unweighted.method
    assert unweighted.effect.details["kish_treated"] > 9  # equal weights: all ten count


@pytest.mark.parametrize("scenario", validation.SCENARIOS, ids=lambda s: s.key)
def test_every_validation_scenario_runs(scenario):
    outcomes = np.asarray(scenario.simulate(3, 11), dtype=float)
    # NaN: a run outside a calibration's measured set (not given the word)
    measured = outcomes[~np.isnan(outcomes)]
    assert outcomes.shape[0] >= 3 and np.isin(measured, (0.0, 1.0)).all()
    if scenario.measure != "calibration":
        assert measured.size == outcomes.size


def test_validation_writes_the_properties_table(tmp_path):
    table = validation.run(
        simulations=4, processes=1, keys=["rate", "wilson", "did_wcr", "did_cr1"]
    )
    assert list(table["key"]) == ["rate", "wilson", "did_wcr", "did_cr1"]
    assert (table["n"] >= 4).all()
    out = tmp_path / "properties.md"
    validation.write_markdown(table, out, 4, 1.0)
    text = out.read_text()
    assert "MC error" in text and "Wilson" in text and "Webb" in text
    assert not math.isnan(table["mc_error"].iloc[0])


ISSUE_28_GOALS = {
    "yoy-count-size-13y": (0.03, 0.07),
    "yoy-count-size-6y": (0.03, 0.07),
    "yoy-count-size-bend": (0.03, 0.07),
    "yoy-count-size-municipality": (0.02, 0.07),
    "yoy-clearance-size-6y": (0.03, 0.07),
    "yoy-count-power-10pct": (0.35, 1.0),
    "yoy-count-power-10pct-bend": (0.70, 1.0),
    "rate-ratio-p-interval-agreement": (1.0, 1.0),
    "changepoint-size-ar1-06": (0.0, 0.07),
    "changepoint-size-ar1-07": (0.0, 0.07),
    "changepoint-bend-called-break": (0.0, 0.10),
    "police-unit-size-unequal-noise": (0.03, 0.07),
    "published-pilot-coverage-bigcity": (0.93, 0.97),
    "published-pilot-coverage-startyear": (0.93, 0.97),
    "trend-rr-ar1": (0.92, 0.97),
    "count-forecast-ar1": (0.92, 0.97),
    "clearance-forecast-ar1": (0.92, 0.97),
    "target-on-course-calibration-flat": (0.85, 1.0),
    "target-on-course-calibration-rising": (0.85, 1.0),
}
"""The scenarios of issue 28's table that ``make validate-stats`` records, with the issue's goals."""


@pytest.mark.parametrize("key", sorted(ISSUE_28_GOALS))
def test_committed_properties_hold_issue_28s_goals(key):
    """The committed ``docs/statistical_properties.json`` has the scenario under the issue's key,
    with its goal, at least 1,000 simulations and a result inside the goal."""
    import json
    from pathlib import Path

    record = Path(__file__).parents[2] / "docs" / "statistical_properties.json"
    rows = {row["key"]: row for row in json.loads(record.read_text(encoding="utf-8"))["rows"]}
    assert key in {scenario.key for scenario in validation.SCENARIOS}
    row = rows[key]
    low, high = ISSUE_28_GOALS[key]
    assert (row["goal_low"], row["goal_high"]) == (low, high)
    # a calibration's n counts the runs given the word, out of at least 1,000 simulated
    assert row.get("simulations", row["n"]) >= 1000 and row["n"] >= 100
    assert low <= row["proportion"] <= high and row["within_goal"] is True


def test_a_calibration_counts_only_the_runs_given_the_word():
    """validation.run takes a calibration's proportion over the runs labelled (NaN = not)."""
    from rvs_analysis.stats.validation import Scenario

    def simulate(n_sims, seed):  # one labelled run per chunk (met when the seed is odd)
        return np.array([float(seed % 2), np.nan])[:n_sims]

    scenario = Scenario("calibration-demo", "demo", "calibration", "demo", (0.5, 1.0), simulate)
    validation.SCENARIOS.append(scenario)
    try:
        table = validation.run(simulations=6, processes=1, keys=["calibration-demo"])
    finally:
        validation.SCENARIOS.remove(scenario)
    row = table.iloc[0]
    assert row["proportion"] == pytest.approx(0.5)
    assert row["n"] == 4 and row["simulations"] == 6
