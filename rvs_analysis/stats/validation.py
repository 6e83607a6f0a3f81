"""Simulated coverage and size of every interval and test the reports use.

``python -m rvs_analysis.stats.validation`` (``make validate-stats``) runs each scenario below with
at least 2,000 simulated data sets, spread over worker processes, and writes
``docs/statistical_properties.md``: per interval or test its simulated coverage (or size, or
false-alarm rate) with its Monte Carlo standard error, the number of simulations, the scenario
and the goal. The scenarios follow the review of issue 11: year-to-year noise on top of Poisson
or binomial counts, population weights in the survey, 39 areas in the funnel plot, AR(1) noise
in monthly series. ``tests/stats/test_statistical_properties.py`` runs every scenario with a few simulations, so
the code cannot rot.

Each scenario is a function ``(n_sims, seed) -> numpy.ndarray`` of 0/1 outcomes (1 = the interval
covers, or the test rejects, or the area is flagged); the proportion is the reported figure and
its Monte Carlo error ``sqrt(p (1 - p) / n)``.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rvs_analysis.stats import clearance, targets, trends
from rvs_analysis.stats.common import check_level, too_few_for_change
from rvs_analysis.stats.validation_compare import (
    sim_compare_trends,
    sim_police_unit_size,
    sim_published_bigcity,
    sim_published_comparison,
    sim_published_startyear,
)
from rvs_analysis.stats.validation_monthly import (
    sim_change_points_null,
    sim_change_points_power,
    sim_changepoint_bend,
    sim_changepoint_size_ar1_06,
    sim_changepoint_size_ar1_07,
)
from rvs_analysis.stats.validation_neighbourhood import SCENARIO_ROWS as NEIGHBOURHOOD_ROWS
from rvs_analysis.stats.validation_survey import (
    sim_did,
    sim_did_cr1,
    sim_pre_trend,
    sim_weighted_proportion,
)
from rvs_analysis.stats.validation_table import write_markdown
from rvs_analysis.stats.validation_targets import (
    sim_target_calibration_flat,
    sim_target_calibration_rising,
)

__all__ = ["SCENARIOS", "Scenario", "main", "run", "run_scenario", "write_markdown"]

YEARS = np.arange(2011, 2024)


@dataclass(frozen=True)
class Scenario:
    """One simulated property: what is measured, in which design, and its goal.

    Attributes
    ----------
    key : str
        Short name.
    what : str
        The interval or test (function) as the reports use it.
    measure : str
        ``coverage``, ``size``, ``false alarms`` or ``power`` (power has no goal).
    scenario : str
        The simulated design.
    goal : tuple of float or None
        Acceptable range of the proportion.
    simulate : callable
        ``(n_sims, seed) -> array of 0/1``.
    """

    key: str
    what: str
    measure: str
    scenario: str
    goal: tuple[float, float] | None
    simulate: Callable[[int, int], np.ndarray]
    weight: float = 1.0
    companion: str | None = None
    """Key of a scenario filled from the second column of this one's outcomes (same data)."""
    exhaustive: bool = False
    """Every case is enumerated (not simulated): run once, as one task."""


# --------------------------------------------------------------------------------------------
# Counts: rates, trends, forecasts, changes
# --------------------------------------------------------------------------------------------


def _yearly_counts(rng, mean, noise_sd, slope=0.97, years=YEARS, population=None):
    t = years - years[0]
    log_mu = math.log(mean) + t * math.log(slope)
    shocks = rng.normal(0.0, noise_sd, size=years.size) if noise_sd > 0 else 0.0
    mu = np.exp(log_mu + shocks)
    if population is not None:
        mu = mu * population / population[0]
    return rng.poisson(mu)


def _ar1_noise(rng, size, sd, rho):
    """Stationary AR(1) year noise with marginal standard deviation ``sd``."""
    noise = np.empty(size)
    noise[0] = rng.normal(0.0, sd)
    innovation = sd * math.sqrt(1 - rho**2)
    for t in range(1, size):
        noise[t] = rho * noise[t - 1] + rng.normal(0.0, innovation)
    return noise


def sim_rate_interval(n_sims: int, seed: int) -> np.ndarray:
    """Garwood rate interval of one area-year: counts 2-400, Poisson."""
    rng = np.random.default_rng(seed)
    mean = rng.uniform(2, 400, n_sims)
    counts = rng.poisson(mean)
    table = trends.rate_interval(counts, np.full(n_sims, 1000.0))
    return ((table["ci_low"] <= mean) & (mean <= table["ci_high"])).to_numpy()


def _trend_coverage(n_sims, seed, mean, noise_sd, n_years=13, rho=0.0):
    rng = np.random.default_rng(seed)
    years = YEARS[:n_years]
    population = 100_000 * 1.008 ** (years - years[0])
    slope = 0.97
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        if rho:
            t = years - years[0]
            noise = _ar1_noise(rng, years.size, noise_sd, rho)
            y = rng.poisson(mean * slope**t * np.exp(noise) * population / population[0])
        else:
            y = _yearly_counts(rng, mean, noise_sd, slope, years, population)
        frame = pd.DataFrame({"year": years, "registered_offences": y, "population": population})
        ratio = trends.fit_count_trend(frame).annual_rate_ratio
        hits[i] = ratio.ci_low <= slope <= ratio.ci_high
    return hits


def sim_trend_poisson(n_sims, seed):
    return _trend_coverage(n_sims, seed, 150, 0.0)


def sim_trend_noise(n_sims, seed):
    return _trend_coverage(n_sims, seed, 1000, 0.04)


def sim_trend_short(n_sims, seed):
    return _trend_coverage(n_sims, seed, 400, 0.05, n_years=6)


def sim_trend_ar1(n_sims, seed):
    """Annual rate ratio of a region's 13 years with AR(1) year noise (rho 0.5, sd 0.04)."""
    return _trend_coverage(n_sims, seed, 12000, 0.04, rho=0.5)


def _forecast_coverage(n_sims, seed, mean, noise_sd, n_years=8, ahead=2, rho=0.0):
    rng = np.random.default_rng(seed)
    years = YEARS[: n_years + ahead]
    population = 80_000 * 1.01 ** (years - years[0])
    slope = 0.97
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        log_mu = math.log(mean) + (years - years[0]) * math.log(slope)
        noise = (
            _ar1_noise(rng, years.size, noise_sd, rho)
            if rho
            else rng.normal(0, noise_sd, years.size)
        )
        mu = np.exp(log_mu + noise) * population / population[0]
        y = rng.poisson(mu)
        frame = pd.DataFrame(
            {
                "year": years[:n_years],
                "registered_offences": y[:n_years],
                "population": population[:n_years],
            }
        )
        forecast = trends.fit_count_trend(frame).forecast(int(years[-1]), n_sim=2000, seed=i)
        hits[i] = forecast.pi_low <= y[-1] <= forecast.pi_high
    return hits


def sim_forecast_poisson(n_sims, seed):
    return _forecast_coverage(n_sims, seed, 150, 0.0)


def sim_forecast_noise(n_sims, seed):
    return _forecast_coverage(n_sims, seed, 1000, 0.04)


def sim_forecast_ar1(n_sims, seed):
    """Count forecast two years ahead of 8 observed years, AR(1) year noise rho 0.5."""
    return _forecast_coverage(n_sims, seed, 12000, 0.04, rho=0.5)


def _change_false_rate(n_sims, seed, mean, noise_sd, exact=False):
    """Share of year-on-year changes called significant under no change at all (flat trend)."""
    rng = np.random.default_rng(seed)
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        mu = mean * np.exp(rng.normal(0, noise_sd, YEARS.size))
        y = rng.poisson(mu)
        before, after = float(y[-2]), float(y[-1])
        if exact:
            change = trends.count_change(before, after)
        else:
            frame = pd.DataFrame({"year": YEARS, "registered_offences": y})
            phi, df = trends.area_dispersion(frame, population_column=None)
            change = trends.count_change(before, after, dispersion=phi, df=df)
        hits[i] = change.significant
    return hits


def sim_change_1000(n_sims, seed):
    return _change_false_rate(n_sims, seed, 1000, 0.04)


def sim_change_8000(n_sims, seed):
    return _change_false_rate(n_sims, seed, 8000, 0.04)


def sim_change_exact_8000(n_sims, seed):
    return _change_false_rate(n_sims, seed, 8000, 0.04, exact=True)


def sim_change_poisson(n_sims, seed):
    return _change_false_rate(n_sims, seed, 200, 0.0)


def _year_on_year(n_sims, seed, mean, noise_sd, n_years=13, bend_until=None, last_change=0.0):
    """Share of runs whose results-table change (last year against the one before) is "sign.":
    the size without a change, the power with ``last_change`` (log) in the last year. Counts
    with log-normal year noise around a flat trend, or one falling 3.5% a year up to year
    ``bend_until`` and flat after it. Runs below the small-number rule count as not sign."""
    rng = np.random.default_rng(seed)
    years = np.arange(2011, 2011 + n_years)
    steps = np.arange(n_years) if bend_until is None else np.minimum(np.arange(n_years), bend_until)
    trend = (
        mean * np.exp(math.log(0.965) * steps)
        if bend_until is not None
        else np.full(n_years, float(mean))
    )
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        mu = trend * np.exp(rng.normal(0.0, noise_sd, n_years))
        mu[-1] *= math.exp(last_change)
        y = rng.poisson(mu)
        before, after = float(y[-2]), float(y[-1])
        if too_few_for_change(before, after):
            continue
        frame = pd.DataFrame({"year": years, "registered_offences": y})
        phi, df = trends.area_dispersion(frame, population_column=None)
        hits[i] = trends.count_change(before, after, dispersion=phi, df=df).significant
    return hits


_REGION_NOISE = math.sqrt(16 / 12000)  # dispersion 1 + 12,000 sd^2 = 17 around 12,000 a year
_BEND_NOISE = math.sqrt(3 / 12000)  # local dispersion about 4


def sim_yoy_size_13y(n_sims, seed):
    return _year_on_year(n_sims, seed, 12000, _REGION_NOISE)


def sim_yoy_size_6y(n_sims, seed):
    return _year_on_year(n_sims, seed, 12000, _REGION_NOISE, n_years=6)


def sim_yoy_size_bend(n_sims, seed):
    return _year_on_year(n_sims, seed, 12000, _REGION_NOISE, bend_until=6)


def sim_yoy_size_municipality(n_sims, seed):
    return _year_on_year(n_sims, seed, 15, 0.2)


def sim_yoy_power(n_sims, seed):
    return _year_on_year(n_sims, seed, 12000, _REGION_NOISE, last_change=math.log(0.9))


def sim_yoy_power_bend(n_sims, seed):
    return _year_on_year(n_sims, seed, 12000, _BEND_NOISE, bend_until=6, last_change=math.log(0.9))


# --------------------------------------------------------------------------------------------
# Clearance: Wilson, forecast, drivers, funnel
# --------------------------------------------------------------------------------------------


def sim_wilson(n_sims, seed):
    rng = np.random.default_rng(seed)
    registered = rng.integers(20, 600, n_sims)
    truth = 0.08
    frame = pd.DataFrame(
        {
            "k": np.arange(n_sims),
            "registered_offences": registered,
            "cleared_offences": rng.binomial(registered, truth),
        }
    )
    table = clearance.clearance_table(frame, by="k")
    return ((table["ci_low"] <= 100 * truth) & (100 * truth <= table["ci_high"])).to_numpy()


def _clearance_series(rng, years, registered, noise_sd, start=0.09, slope=0.02, rho=0.0):
    logit = math.log(start / (1 - start)) + slope * (years - years[0])
    noise = (
        _ar1_noise(rng, years.size, noise_sd, rho) if rho else rng.normal(0, noise_sd, years.size)
    )
    logit = logit + noise
    p = 1 / (1 + np.exp(-logit))
    return rng.binomial(registered, p)


def _clearance_forecast(n_sims, seed, noise_sd, n_years=8, ahead=2, registered=900, rho=0.0):
    rng = np.random.default_rng(seed)
    years = YEARS[: n_years + ahead].astype(float)
    registered = np.full(years.size, registered)
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        cleared = _clearance_series(rng, years, registered, noise_sd, rho=rho)
        frame = pd.DataFrame(
            {
                "year": years[:n_years],
                "cleared_offences": cleared[:n_years],
                "registered_offences": registered[:n_years],
            }
        )
        forecast = targets.forecast_proportion(frame, int(years[-1]), 0.95, 2000, i)
        value = 100.0 * cleared[-1] / registered[-1]
        hits[i] = forecast.pi_low <= value <= forecast.pi_high
    return hits


def sim_clearance_forecast_binomial(n_sims, seed):
    return _clearance_forecast(n_sims, seed, 0.0)


def sim_clearance_forecast_noise(n_sims, seed):
    return _clearance_forecast(n_sims, seed, 0.05)


def sim_clearance_forecast_ar1(n_sims, seed):
    """Clearance forecast two years ahead of 8 observed years for a region (10,000 registered),
    AR(1) year noise rho 0.5, sd 0.08 on the logit."""
    return _clearance_forecast(n_sims, seed, 0.08, registered=10000, rho=0.5)


def _target_flat(n_sims, seed):
    """Clearance flat at its target: share of runs whose status says 'behaald' before the
    target year (the old rule said so in 64%)."""
    rng = np.random.default_rng(seed)
    years = np.arange(2011, 2018)
    registered = np.full(years.size, 900)
    hits = np.zeros(n_sims)
    table = targets.load_targets()
    target = targets.target_for("burglary_clearance", 2018, table).value / 100
    for i in range(n_sims):
        cleared = _clearance_series(rng, years, registered, 0.05, start=target, slope=0.0)
        frame = pd.DataFrame(
            {"year": years, "cleared_offences": cleared, "registered_offences": registered}
        )
        status = targets.target_status("burglary_clearance", frame, 2018, table, n_sim=2000, seed=i)
        hits[i] = status.status == "on course"
    return hits


def _driver_data(rng, n_areas=39, years=YEARS, odds_ratio=1.2):
    area_effect = rng.normal(0, 0.2, n_areas)
    driver = rng.normal(0, 1, n_areas)[:, None] + rng.normal(0, 0.3, (n_areas, years.size))
    registered = rng.integers(40, 900, n_areas)[:, None] * np.ones(years.size, dtype=int)
    logit = -2.3 + math.log(odds_ratio) * driver + area_effect[:, None]
    logit = logit + rng.normal(0, 0.1, (n_areas, years.size))
    cleared = rng.binomial(registered, 1 / (1 + np.exp(-logit)))
    return pd.DataFrame(
        {
            "gemeente_code": np.repeat([f"GM{i:04d}" for i in range(n_areas)], years.size),
            "year": np.tile(years, n_areas),
            "driver": driver.ravel(),
            "registered_offences": registered.ravel(),
            "cleared_offences": cleared.ravel(),
        }
    )


def _drivers(n_sims, seed, clustered):
    rng = np.random.default_rng(seed)
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        frame = _driver_data(rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = clearance.clearance_drivers(
                frame, ["driver"], cluster_column="gemeente_code" if clustered else None
            )
        ratio = fit.odds_ratio("driver")
        hits[i] = ratio.ci_low <= 1.2 <= ratio.ci_high
    return hits


def sim_drivers_jackknife(n_sims, seed):
    return _drivers(n_sims, seed, True)


def _drivers_without_clusters(n_sims, seed, n_rows):
    rng = np.random.default_rng(seed)
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        driver = rng.normal(0, 1, n_rows)
        registered = rng.integers(40, 900, n_rows)
        logit = -2.3 + math.log(1.2) * driver + rng.normal(0, 0.15, n_rows)
        cleared = rng.binomial(registered, 1 / (1 + np.exp(-logit)))
        frame = pd.DataFrame(
            {"driver": driver, "registered_offences": registered, "cleared_offences": cleared}
        )
        fit = clearance.clearance_drivers(frame, ["driver"], cluster_column=None)
        ratio = fit.odds_ratio("driver")
        hits[i] = ratio.ci_low <= 1.2 <= ratio.ci_high
    return hits


def sim_drivers_quasi(n_sims, seed):
    """The route without clusters (the larger of quasi-binomial and HC1 errors) on independent
    rows with extra-binomial noise on the logit: one area's 13 years x 30 strata."""
    return _drivers_without_clusters(n_sims, seed, 390)


def sim_drivers_quasi_small(n_sims, seed):
    """As :func:`sim_drivers_quasi` with 40 rows, where the sandwich alone is too narrow."""
    return _drivers_without_clusters(n_sims, seed, 40)


def _clearance_year_on_year(n_sims, seed, registered, noise_sd, n_years=13, start=0.09):
    """Share of runs whose results-table clearance change (last year against the one before,
    procentpunt) is "sign." under a flat clearance with logit year noise: clearance_difference
    with the series' noise outside the compared years (clearance_dispersion), as the results
    table computes it; a run without a noise estimate counts as not sign."""
    rng = np.random.default_rng(seed)
    years = YEARS[:n_years].astype(float)
    counts = np.full(years.size, int(registered))
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        cleared = _clearance_series(rng, years, counts, noise_sd, start=start, slope=0.0)
        frame = pd.DataFrame(
            {"year": years, "cleared_offences": cleared, "registered_offences": counts}
        )
        phi, df = clearance.clearance_dispersion(frame)
        if phi is None:
            continue
        change = clearance.clearance_difference(
            int(cleared[-2]), int(registered), int(cleared[-1]), int(registered), phi, df
        )
        hits[i] = change.significant
    return hits


def sim_clearance_change(n_sims, seed):
    """'sign.' on the procentpunt change of the last two years under a flat clearance with
    year noise (the results table's clearance rows)."""
    return _clearance_year_on_year(n_sims, seed, 900, 0.05)


def sim_yoy_clearance_size_6y(n_sims, seed):
    """As :func:`sim_clearance_change` for a region (10,000 registered, logit noise sd 0.08)
    with six years (a 2016 monitor)."""
    return _clearance_year_on_year(n_sims, seed, 10000, 0.08, n_years=6)


def sim_funnel(n_sims, seed):
    """Share of areas outside the 99.8% limits (funnel_table, 'auto') when every area has an
    ordinary random effect (sd 0.15 on the logit): 39 areas, 15-1,500 registered offences."""
    rng = np.random.default_rng(seed)
    flagged = []
    for _ in range(n_sims):
        registered = np.round(np.exp(rng.uniform(math.log(15), math.log(1500), 39))).astype(int)
        logit = math.log(0.09 / 0.91) + rng.normal(0, 0.15, 39)
        cleared = rng.binomial(registered, 1 / (1 + np.exp(-logit)))
        frame = pd.DataFrame(
            {
                "gemeente_code": np.arange(39),
                "registered_offences": registered,
                "cleared_offences": cleared,
            }
        )
        table = clearance.funnel_table(
            frame, "cleared_offences", "registered_offences", overdispersion="auto"
        )
        flagged.append((table["position_99.8"] != "within").to_numpy())
    return np.concatenate(flagged)


def sim_rate_ratio_agreement(n_sims, seed):
    """Every count pair 0-80 x 0-80 at exposures 1 : 1.3 (not random: all 6,561 pairs): 1 when
    rate_ratio_interval's p < 0.05 exactly when its interval excludes 1."""
    agree = []
    for before in range(81):
        for after in range(81):
            result = trends.rate_ratio_interval(before, after, 1.0, 1.3)
            excludes = result.ci_low > 1 or result.ci_high < 1
            agree.append(float((result.p_value < 0.05) == excludes))
    return np.asarray(agree)


_YOY = "count_change with area_dispersion (the results table's year-on-year 'sign.')"


SCENARIOS: list[Scenario] = [
    Scenario(
        "rate-ratio-p-interval-agreement",
        "rate_ratio_interval: p-value against its exact interval",
        "agreement",
        "every count pair 0-80 x 0-80, exposures 1 : 1.3 (all 6,561 pairs, not simulated)",
        (1.0, 1.0),
        sim_rate_ratio_agreement,
        0.01,
        exhaustive=True,
    ),
    Scenario(
        "yoy-count-size-13y",
        _YOY,
        "size",
        "flat region ~12,000 a year, log-normal year noise (dispersion ~17), last two of 13 "
        "years compared",
        (0.03, 0.07),
        sim_yoy_size_13y,
        0.3,
    ),
    Scenario(
        "yoy-count-size-6y",
        _YOY,
        "size",
        "as yoy-count-size-13y with 6 years (a 2016 monitor)",
        (0.03, 0.07),
        sim_yoy_size_6y,
        0.1,
    ),
    Scenario(
        "yoy-count-size-bend",
        _YOY,
        "size",
        "-3.5% a year to year 7, flat after, 13 years, dispersion ~17, no change in the last year",
        (0.03, 0.07),
        sim_yoy_size_bend,
        0.3,
    ),
    Scenario(
        "yoy-count-size-municipality",
        _YOY,
        "size",
        "~15 a year, log-normal year noise sd 0.2, 13 years (small-number rule: 10 together)",
        (0.02, 0.07),
        sim_yoy_size_municipality,
        0.3,
    ),
    Scenario(
        "yoy-count-power-10pct",
        _YOY,
        "power",
        "true -10% in the last year, region ~12,000, dispersion ~17, 13 years",
        (0.35, 1.0),
        sim_yoy_power,
        0.3,
    ),
    Scenario(
        "yoy-count-power-10pct-bend",
        _YOY,
        "power",
        "true -10% in the last year after the bend of yoy-count-size-bend, local dispersion ~4",
        (0.70, 1.0),
        sim_yoy_power_bend,
        0.3,
    ),
    Scenario(
        "rate",
        "rate_interval (Garwood exact Poisson), one area-year",
        "coverage",
        "Poisson counts with mean 2-400",
        (0.93, 0.995),
        sim_rate_interval,
        0.01,
    ),
    Scenario(
        "wilson",
        "clearance_rate / clearance_table (Wilson)",
        "coverage",
        "20-600 registered offences, clearance 8%",
        (0.93, 0.97),
        sim_wilson,
        0.01,
    ),
    Scenario(
        "trend_poisson",
        "fit_count_trend annual rate ratio (quasi-Poisson)",
        "coverage",
        "13 years, about 150 a year, Poisson, growing population",
        (0.93, 0.97),
        sim_trend_poisson,
    ),
    Scenario(
        "trend_noise",
        "fit_count_trend annual rate ratio (quasi-Poisson)",
        "coverage",
        "13 years, about 1,000 a year, year-to-year noise sd 0.04 on the log scale",
        (0.93, 0.97),
        sim_trend_noise,
    ),
    Scenario(
        "trend_short",
        "fit_count_trend annual rate ratio (quasi-Poisson)",
        "coverage",
        "6 years, about 400 a year, year noise sd 0.05",
        (0.93, 0.97),
        sim_trend_short,
    ),
    Scenario(
        "forecast_poisson",
        "CountTrend.forecast 95% prediction interval",
        "coverage",
        "8 years observed, forecast 2 years ahead, about 150 a year, Poisson, population "
        "growing 1% a year",
        (0.93, 0.97),
        sim_forecast_poisson,
    ),
    Scenario(
        "forecast_noise",
        "CountTrend.forecast 95% prediction interval",
        "coverage",
        "8 years observed, 2 ahead, about 1,000 a year, year noise sd 0.04",
        (0.93, 0.97),
        sim_forecast_noise,
    ),
    Scenario(
        "trend-rr-ar1",
        "fit_count_trend annual rate ratio (quasi-Poisson, AR(1) year noise allowed for)",
        "coverage",
        "13 years, a region of about 12,000 a year, AR(1) year noise rho 0.5, sd 0.04 on the "
        "log scale, growing population",
        (0.92, 0.97),
        sim_trend_ar1,
    ),
    Scenario(
        "count-forecast-ar1",
        "CountTrend.forecast 95% prediction interval (AR(1) year noise allowed for)",
        "coverage",
        "8 years observed, forecast 2 years ahead, about 12,000 a year, AR(1) year noise rho 0.5, "
        "sd 0.04 on the log scale",
        (0.92, 0.97),
        sim_forecast_ar1,
    ),
    Scenario(
        "change_poisson",
        "count_change with area dispersion: 'sign.' under no change",
        "false alarms",
        "13 years of Poisson counts around 200, last two years compared",
        (0.0, 0.07),
        sim_change_poisson,
    ),
    Scenario(
        "change_1000",
        "count_change with area dispersion: 'sign.' under no change",
        "false alarms",
        "flat 1,000 a year, year noise sd 0.04, last two of 13 years",
        (0.0, 0.07),
        sim_change_1000,
    ),
    Scenario(
        "change_8000",
        "count_change with area dispersion: 'sign.' under no change",
        "false alarms",
        "flat 8,000 a year, year noise sd 0.04, last two of 13 years",
        (0.0, 0.07),
        sim_change_8000,
    ),
    Scenario(
        "change_exact_8000",
        "exact Poisson test (old rule, for comparison): 'sign.'",
        "size",
        "flat 8,000 a year, year noise sd 0.04",
        None,
        sim_change_exact_8000,
    ),
    Scenario(
        "clearance_forecast_binomial",
        "clearance forecast (quasi-binomial trend)",
        "coverage",
        "8 years of 900 registered offences, clearance 9% rising, binomial, 2 years ahead",
        (0.93, 0.97),
        sim_clearance_forecast_binomial,
    ),
    Scenario(
        "clearance_forecast_noise",
        "clearance forecast (quasi-binomial trend)",
        "coverage",
        "as above with year noise sd 0.05 on the logit",
        (0.93, 0.97),
        sim_clearance_forecast_noise,
    ),
    Scenario(
        "clearance-forecast-ar1",
        "clearance forecast (quasi-binomial trend, AR(1) year noise allowed for)",
        "coverage",
        "8 years of 10,000 registered offences, clearance 9% rising, AR(1) year noise rho 0.5, "
        "sd 0.08 on the logit, 2 years ahead",
        (0.92, 0.97),
        sim_clearance_forecast_ar1,
    ),
    Scenario(
        "yoy-clearance-size-6y",
        "clearance_difference with clearance_dispersion (the results table's year-on-year "
        "'sign.' of a clearance percentage)",
        "size",
        "region 10,000 registered offences a year, clearance 9%, logit year noise sd 0.08, "
        "last two of 6 years compared",
        (0.03, 0.07),
        sim_yoy_clearance_size_6y,
        0.1,
    ),
    Scenario(
        "clearance_change",
        "clearance_difference (procentpunt) with clearance_dispersion: 'sign.' under no change",
        "false alarms",
        "13 years of 900 registered offences, clearance flat at 9%, year noise sd 0.05 on the "
        "logit, last two years compared",
        (0.0, 0.07),
        sim_clearance_change,
    ),
    Scenario(
        "compare_trends",
        "compare_area_trends ratio of annual rate ratios (area against the Netherlands)",
        "coverage",
        "13 years, an area of about 400 a year against 30,000 a year, the same trend, shared "
        "shocks sd 0.03 and own year noise sd 0.04 on the log scale",
        (0.93, 0.97),
        sim_compare_trends,
    ),
    Scenario(
        "police-unit-size-unequal-noise",
        "compare_area_trends ratio of annual rate ratios, each police unit against the Netherlands: "
        "'sign.' for the noisiest unit",
        "size",
        "ten police units (2,500-9,000 a year) and the Netherlands as their sum, 13 years, the "
        "same trend, shared shocks sd 0.03, each unit its own year noise sd 0.01-0.08 on the "
        "log scale; the unit with sd 0.08",
        (0.03, 0.07),
        sim_police_unit_size,
        1.0,
    ),
    Scenario(
        "published_comparison",
        "published.pilot_comparison (random effects, Hartung-Knapp with its ad hoc floor on the "
        "effective number of areas, Welch t)",
        "coverage",
        "published estimates of 10 pilots and 29 other municipalities, levels 15-35%, margins "
        "2-5 points, municipality x wave shocks sd 1.2 points, two waves before and one after, "
        "effect -2 points",
        (0.93, 0.97),
        sim_published_comparison,
    ),
    Scenario(
        "published-pilot-coverage-bigcity",
        "published.pilot_comparison (random effects, Hartung-Knapp on the effective number of "
        "areas, Welch t)",
        "coverage",
        "10 pilots and 29 others, CBS-style margins from each estimate (effective samples "
        "100-400, one big city per group of 3,000 / 2,400), municipality x wave shocks sd 2 "
        "points, waves 2015 and 2017 before, 2019 after, effect -2 points",
        (0.93, 0.97),
        sim_published_bigcity,
    ),
    Scenario(
        "published-pilot-coverage-startyear",
        "published.pilot_comparison (random effects, Hartung-Knapp on the effective number of "
        "areas, Welch t)",
        "coverage",
        "as published-pilot-coverage-bigcity with waves 2013, 2015, 2017, 2019 split as the "
        "report splits them (start 2017: up to 2017 before), effect -2 points from 2018",
        (0.93, 0.97),
        sim_published_startyear,
    ),
    Scenario(
        "target_flat",
        "target_status: 'op koers' before the target year",
        "false alarms",
        "burglary clearance flat at its 2018 target, 2011-2017 observed, year noise 0.05",
        (0.0, 0.10),
        _target_flat,
    ),
    Scenario(
        "target-on-course-calibration-flat",
        "target_status 'op koers' before the target year: share of the runs so labelled whose "
        "target-year value met the target",
        "calibration",
        "burglary clearance flat at a level around its 2018 target (logit offset uniform "
        "-0.3 to 0.3), 2011-2016 observed, 900 registered a year, year noise sd 0.05; n counts "
        "the runs labelled op koers",
        (0.85, 1.0),
        sim_target_calibration_flat,
        2.0,
    ),
    Scenario(
        "target-on-course-calibration-rising",
        "target_status 'op koers' before the target year: share of the runs so labelled whose "
        "target-year value met the target",
        "calibration",
        "burglary clearance rising 0.04-0.10 a year on the logit through its 2018 target "
        "(crossing 2014-2020), 2011-2016 observed, 900 registered a year, year noise sd 0.05; "
        "n counts the runs labelled op koers",
        (0.85, 1.0),
        sim_target_calibration_rising,
        2.0,
    ),
    Scenario(
        "drivers_jackknife",
        "clearance_drivers odds ratio (cluster jackknife, t(G-1))",
        "coverage",
        "39 municipalities x 13 years, municipal random effect sd 0.2, year noise sd 0.1, OR 1.2",
        (0.93, 0.97),
        sim_drivers_jackknife,
        3.0,
    ),
    Scenario(
        "drivers_quasi",
        "clearance_drivers odds ratio (no clusters: larger of quasi-binomial and HC1 errors)",
        "coverage",
        "390 independent rows, extra-binomial noise sd 0.15 on the logit",
        (0.93, 0.97),
        sim_drivers_quasi,
    ),
    Scenario(
        "drivers_quasi_small",
        "clearance_drivers odds ratio (no clusters: larger of quasi-binomial and HC1 errors)",
        "coverage",
        "40 independent rows, extra-binomial noise sd 0.15 on the logit",
        (0.93, 0.97),
        sim_drivers_quasi_small,
    ),
    Scenario(
        "funnel",
        "funnel_table 99.8% limits ('auto': additive when overdispersed)",
        "false alarms",
        "39 areas with 15-1,500 registered offences, clearance 9%, "
        "ordinary random effect sd 0.15 on the logit (share of areas outside)",
        (0.0, 0.005),
        sim_funnel,
    ),
    Scenario(
        "weighted_proportion",
        "weighted_proportion (Wilson on Kish n_eff)",
        "coverage",
        "100-600 respondents, lognormal weights (sd 0.5), share 20%",
        (0.93, 0.97),
        sim_weighted_proportion,
    ),
    Scenario(
        "did_wcr",
        "difference_in_differences (inverted wild cluster restricted "
        "bootstrap, Webb weights, 399 replicates)",
        "coverage",
        "39 municipalities, 10 pilots, Utrecht a third of the pilots' weight, population "
        "weights, 7 waves, municipality x wave shocks sd 1.2 pp, effect -2 pp",
        (0.93, 0.97),
        sim_did,
        2.0,
        "did_cr1",
    ),
    Scenario(
        "did_cr1",
        "difference_in_differences with CR1 t(G-1) (old interval, comparison)",
        "coverage",
        "as above",
        None,
        sim_did_cr1,
    ),
    Scenario(
        "pre_trend",
        "event_study pre-trend test (wild cluster bootstrap, 199 replicates)",
        "size",
        "as above, parallel trends",
        (0.03, 0.07),
        sim_pre_trend,
        2.0,
    ),
    Scenario(
        "change_points_null",
        "detect_change_points: a change (break or bend) reported",
        "false alarms",
        "156 months around 800 a month, seasonal, slow decline, AR(1) noise rho 0.4 "
        "sd 0.04 on the log scale, no change",
        (0.0, 0.10),
        sim_change_points_null,
        2.0,
    ),
    Scenario(
        "changepoint-size-ar1-06",
        "detect_change_points: a break (jump) reported",
        "false alarms",
        "district ~300 a month, seasonal, slow decline, AR(1) noise rho 0.6 sd 0.05 on the "
        "log scale, no break (156 months)",
        (0.0, 0.07),
        sim_changepoint_size_ar1_06,
        2.0,
    ),
    Scenario(
        "changepoint-size-ar1-07",
        "detect_change_points: a break (jump) reported",
        "false alarms",
        "region ~1,000 a month, seasonal, slow decline, AR(1) noise rho 0.7 sd 0.05 on the "
        "log scale, no break (156 months)",
        (0.0, 0.07),
        sim_changepoint_size_ar1_07,
        2.0,
    ),
    Scenario(
        "changepoint-bend-called-break",
        'detect_change_points: "een breuk" reported (a bend is reported as "de trend buigt af")',
        "false alarms",
        "~800 a month, seasonal, a decline of 7% a year that flattens smoothly around month 78 "
        "(logistic slope, width 18 months), AR(1) noise rho 0.4 sd 0.04, no jump",
        (0.0, 0.10),
        sim_changepoint_bend,
        2.0,
    ),
    Scenario(
        "change_points_power",
        "detect_change_points: a change (break or bend) reported",
        "power",
        "as above with a 15% drop halfway",
        None,
        sim_change_points_power,
        2.0,
    ),
]
SCENARIOS += [Scenario(*row) for row in NEIGHBOURHOOD_ROWS]
"""Every simulated property on record in ``docs/statistical_properties.md``."""


def run_scenario(task: tuple[str, int, int]) -> tuple[str, np.ndarray, float, float]:
    """Run one chunk of a scenario (in a worker process of :func:`run`).

    Parameters
    ----------
    task : tuple of (str, int, int)
        The scenario's key, the number of simulations and the chunk's seed.

    Returns
    -------
    tuple of (str, numpy.ndarray, float, float)
        The key, one outcome per simulation, and the chunk's wall and CPU seconds.
    """
    key, n_sims, seed = task
    scenario = {s.key: s for s in SCENARIOS}[key]
    started, cpu_started = time.perf_counter(), time.process_time()
    outcomes = np.asarray(scenario.simulate(n_sims, seed), dtype=float)
    return key, outcomes, time.perf_counter() - started, time.process_time() - cpu_started


def run(
    simulations: int = 2000,
    processes: int = 2,
    keys: list[str] | None = None,
    seed: int = 20170101,
) -> pd.DataFrame:
    """Run the scenarios in ``processes`` worker processes.

    Parameters
    ----------
    simulations : int, default 2000
        Simulated data sets per scenario (a scenario may ask for more, :data:`SCENARIOS`).
    processes : int, default 2
        Worker processes; the scenarios are split into seeded chunks between them.
    keys : list of str, optional
        Only these scenarios (default: all).
    seed : int, default 20170101
        Seed from which every chunk's seed is derived.

    Returns
    -------
    pandas.DataFrame
        One row per scenario: ``key, what, measure, scenario, n, proportion, mc_error, goal_low,
        goal_high, within_goal, seconds, cpu_seconds``.
    """
    chosen = [s for s in SCENARIOS if keys is None or s.key in keys]
    companions = {s.companion: s.key for s in chosen if s.companion}
    run_here = [s for s in chosen if s.key not in companions]
    chunks = max(4, 2 * processes)
    tasks = []
    for number, scenario in enumerate(run_here):
        if scenario.exhaustive:  # every case once: one task, whatever the simulation count
            tasks.append((scenario.key, int(simulations), seed + 1000 * number))
            continue
        sizes = np.full(chunks, simulations // chunks)
        sizes[: simulations % chunks] += 1
        for chunk, size in enumerate(sizes):
            if size:
                tasks.append((scenario.key, int(size), seed + 1000 * number + chunk))
    # the slowest scenarios first, so the pool stays busy
    weights = {s.key: s.weight for s in run_here}
    tasks.sort(key=lambda task: -weights[task[0]])
    if processes > 1:
        context = multiprocessing.get_context("spawn")
        with context.Pool(processes) as pool:
            results = []
            for result in pool.imap_unordered(run_scenario, tasks, chunksize=1):
                results.append(result)
                print(f"[{len(results)}/{len(tasks)}] {result[0]} {result[2]:.0f} s", flush=True)
    else:
        results = [run_scenario(task) for task in tasks]
    rows = []
    for scenario in chosen:
        source = companions.get(scenario.key, scenario.key)
        column = 1 if scenario.key in companions else 0
        parts = [r[1] for r in results if r[0] == source]
        outcomes = np.concatenate([part if part.ndim == 1 else part[:, column] for part in parts])
        seconds = sum(r[2] for r in results if r[0] == source)
        cpu_seconds = sum(r[3] for r in results if r[0] == source)
        simulated = int(outcomes.size)
        # NaN: a run outside the measured set (a calibration counts only the runs labelled)
        outcomes = outcomes[~np.isnan(outcomes)]
        p = float(outcomes.mean()) if outcomes.size else math.nan
        low, high = scenario.goal if scenario.goal else (math.nan, math.nan)
        rows.append(
            {
                "key": scenario.key,
                "what": scenario.what,
                "measure": scenario.measure,
                "scenario": scenario.scenario,
                "n": int(outcomes.size),
                "simulations": simulated,
                "proportion": p,
                "mc_error": (
                    math.sqrt(max(p * (1 - p), 0.0) / outcomes.size) if outcomes.size else math.nan
                ),
                "goal_low": low,
                "goal_high": high,
                "within_goal": bool(low <= p <= high) if scenario.goal else None,
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m rvs_analysis.stats.validation [--simulations N] [--processes P]``.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code, 0 once the table is written (a scenario outside its goal is shown in the
        table, not as a failure).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None, help="scenario keys to run")
    parser.add_argument("--out", type=Path, default=Path("docs/statistical_properties.md"))
    parser.add_argument(
        "--update",
        action="store_true",
        help="rerun only the --only scenarios and keep the other rows of the existing table "
        "(its results are kept beside the Markdown as JSON)",
    )
    args = parser.parse_args(argv)
    check_level(0.95)
    # one BLAS thread per worker: on a shared two-core machine threaded BLAS in two processes
    # thrashes (small SVDs took 0.2 s instead of 0.01 s)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    started = time.perf_counter()
    table = run(args.simulations, args.processes, args.only)
    elapsed = time.perf_counter() - started
    record = args.out.with_suffix(".json")
    simulations = args.simulations
    runs = {key: args.simulations for key in table["key"]}
    if args.update and record.exists():
        kept = json.loads(record.read_text(encoding="utf-8"))
        simulations = int(kept["simulations"])
        runs = {**kept.get("runs", {}), **runs}
        previous = pd.DataFrame(kept["rows"])
        previous = previous[~previous["key"].isin(table["key"])]
        order = [scenario.key for scenario in SCENARIOS]
        table = pd.concat([previous, table], ignore_index=True)
        # rows recorded before the simulations column: every run was measured
        simulated = table["simulations"] if "simulations" in table else table["n"]
        table["simulations"] = simulated.fillna(table["n"]).astype(int)
        table = table.sort_values("key", key=lambda keys: keys.map(order.index))
        elapsed += float(kept["seconds"])
    runs = {key: count for key, count in runs.items() if count != simulations}
    write_markdown(table, args.out, simulations, elapsed, args.processes, load, runs)
    record.write_text(
        json.dumps(
            {
                "simulations": simulations,
                "runs": runs,
                "seconds": elapsed,
                "rows": table.to_dict("records"),
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    with pd.option_context("display.width", 160, "display.max_colwidth", 40):
        print(table[["key", "n", "proportion", "mc_error", "within_goal", "seconds"]])
    print(f"wrote {args.out} in {elapsed / 60:.1f} minutes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
