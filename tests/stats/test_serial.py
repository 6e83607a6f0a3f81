"""AR(1) year noise in trends and forecasts (issue 28 B3): widened when the residuals are
autocorrelated, (nearly) unchanged when they are not."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rvs_analysis.stats import serial, targets, trends

YEARS = np.arange(2011, 2024)


def _region(noise: np.ndarray, seed: int = 3) -> pd.DataFrame:
    """About 12,000 a year falling 3% a year, with the given log-scale year noise."""
    rng = np.random.default_rng(seed)
    t = YEARS - YEARS[0]
    counts = rng.poisson(12000 * 0.97**t * np.exp(noise))
    return pd.DataFrame({"year": YEARS, "registered_offences": counts})


def _independent_interval(trend: trends.CountTrend) -> tuple[float, float]:
    """The interval the trend would have if the years were taken as independent."""
    b = math.log(trend.annual_rate_ratio.estimate)
    se = math.sqrt(trend.pearson_dispersion * trend.unit_covariance[1, 1])
    q = stats.t.ppf(0.975, trend.df_resid)
    return math.exp(b - q * se), math.exp(b + q * se)


def test_autocorrelated_year_noise_widens_the_trend_interval_and_forecast():
    # a slow wave in the year noise: neighbouring years alike (lag-1 autocorrelation high)
    wave = 0.05 * np.sin(2 * np.pi * (YEARS - YEARS[0]) / 9)
    trend = trends.fit_count_trend(_region(wave), population_column=None)
    assert trend.serial.estimated and trend.serial.lag1 > 0.3
    assert trend.serial.rho > 0.3 and trend.serial.variance_factor > 1.5
    low, high = _independent_interval(trend)
    ratio = trend.annual_rate_ratio
    assert ratio.ci_high - ratio.ci_low > 1.3 * (high - low)
    assert "AR(1) year noise allowed for" in trend.method
    # the forecast two years ahead is wider than with the years taken as independent
    widened = trend.forecast(2025, n_sim=4000, seed=1)
    plain = dataclasses.replace(trend, serial=None).forecast(2025, n_sim=4000, seed=1)
    assert widened.pi_high - widened.pi_low > 1.1 * (plain.pi_high - plain.pi_low)
    assert "AR(1) year noise allowed for" in widened.method


def test_independent_year_noise_leaves_the_trend_interval_nearly_unchanged():
    # alternating year noise: neighbouring years unlike (lag-1 negative), no AR(1) to allow for
    alternating = 0.04 * (-1.0) ** np.arange(YEARS.size)
    trend = trends.fit_count_trend(_region(alternating), population_column=None)
    assert trend.serial.estimated and trend.serial.lag1 < 0 and trend.serial.rho == 0.0
    assert trend.serial.variance_factor == pytest.approx(1.0)
    low, high = _independent_interval(trend)
    ratio = trend.annual_rate_ratio
    # unchanged: the independent-years standard error and t(11)
    assert ratio.ci_low == pytest.approx(low, rel=1e-6)
    assert ratio.ci_high == pytest.approx(high, rel=1e-6)
    assert "not above what independent years give" in trend.method


def test_short_or_poisson_series_are_taken_as_independent_and_say_so():
    wave = 0.05 * np.sin(2 * np.pi * (YEARS - YEARS[0]) / 9)
    short = trends.fit_count_trend(_region(wave).head(6), population_column=None)
    assert not short.serial.estimated and short.serial.rho == 0.0
    assert "too few to check" in short.method
    rng = np.random.default_rng(5)
    poisson = pd.DataFrame({"year": YEARS, "registered_offences": rng.poisson(150, YEARS.size)})
    fit = trends.fit_count_trend(poisson, population_column=None)
    if fit.pearson_dispersion <= 1:
        assert not fit.serial.estimated
        assert "sampling noise is independent between years" in fit.method


def test_ar1_noise_median_quantile_inversion_is_reproducible_and_bounded():
    rng = np.random.default_rng(0)
    n = 13
    design = np.column_stack([np.ones(n), np.arange(n)])
    residuals = np.cumsum(rng.normal(size=n))  # a random walk: strongly autocorrelated
    residuals -= design @ np.linalg.lstsq(design, residuals, rcond=None)[0]
    scaled = residuals / residuals.std() * 3  # Pearson X2 well above n - 2
    first = serial.ar1_noise(scaled, design, np.full(n, 1000.0), float(np.sum(scaled**2)))
    second = serial.ar1_noise(scaled, design, np.full(n, 1000.0), float(np.sum(scaled**2)))
    assert first.rho == second.rho and 0 < first.rho <= serial.AR1_GRID[-1]
    assert first.dispersion > np.sum(scaled**2) / (n - 2)  # autocorrelation hides variance
    assert first.df < n - 2
    with pytest.raises(serial.StatisticsInputError):
        serial.ar1_noise(scaled[:5], design, np.full(n, 1000.0), 1.0)


def test_clearance_forecast_widens_for_autocorrelated_year_noise():
    years = np.arange(2011, 2024).astype(float)
    registered = np.full(years.size, 10000)
    wave = 0.1 * np.sin(2 * np.pi * (years - years[0]) / 9)
    logit = math.log(0.09 / 0.91) + 0.02 * (years - years[0]) + wave
    cleared = np.random.default_rng(2).binomial(registered, 1 / (1 + np.exp(-logit)))
    frame = pd.DataFrame(
        {"year": years, "cleared_offences": cleared, "registered_offences": registered}
    )
    fit = targets.quasi_binomial_trend(cleared, registered, years)
    assert fit["serial"].rho > 0.3
    forecast = targets.forecast_proportion(frame, 2025, 0.95, 4000, 1)
    assert "AR(1) year noise allowed for" in forecast.method
