"""Validation scenarios of the neighbourhood statistics (used by
:mod:`rvs_analysis.stats.validation`): persistent hot spots, empirical Bayes rates, the
concentration of offences, monthly signals and the nowcast of the year total.

The simulated municipality: 100 buurten with populations log-normal (median 800, log-sd 1.0)
clipped to 50-5,000; offence rates (12 offence types summed, 50 per 1,000 inhabitants a year)
with gamma heterogeneity between buurten (shape 4, coefficient of variation 0.5), log-normal
buurt-year noise (sd 0.10) and a municipal trend of -2% a year, over 10 years; Poisson counts.
Monthly series: a seasonal cycle (amplitude 15%), year noise (sd 0.08 on the log scale),
month noise (sd 0.05) and a trend.

Each scenario is a function ``(n_sims, seed) -> numpy.ndarray`` of 0/1 outcomes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rvs_analysis.stats import neighbourhood, nowcast, surveillance

__all__: list[str] = []
"""No public names: the scenario functions are run through
:data:`rvs_analysis.stats.validation.SCENARIOS`."""

N_AREAS, N_YEARS, RATE, SHAPE = 100, 10, 0.05, 4.0
FIRST_YEAR = 2015


def _populations(rng, n_areas=N_AREAS):
    return np.clip(np.round(np.exp(rng.normal(math.log(800), 1.0, n_areas))), 50, 5000)


def _municipality(rng, planted=None, n_areas=N_AREAS, n_years=N_YEARS, year_sd=0.10):
    """Yearly buurt counts: a long frame and the true rates (years x areas). ``planted`` =
    (area index, multiple of the municipality's mean rate) replaces that buurt's gamma draw."""
    population = _populations(rng, n_areas)
    theta = rng.gamma(SHAPE, 1 / SHAPE, n_areas)
    if planted is not None:
        theta[planted[0]] = planted[1]
    trend = 0.98 ** np.arange(n_years)
    noise = np.exp(rng.normal(0, year_sd, (n_years, n_areas)) - year_sd**2 / 2)
    rates = RATE * trend[:, None] * theta[None, :] * noise
    counts = rng.poisson(rates * population[None, :])
    frame = pd.DataFrame(
        {
            "area_code": np.tile([f"BU{i:04d}" for i in range(n_areas)], n_years),
            "year": np.repeat(FIRST_YEAR + np.arange(n_years), n_areas),
            "registered_offences": counts.ravel().astype(float),
            "population": np.tile(population, n_years),
        }
    )
    return frame, rates, population


def sim_hotspot_false_alarm(n_sims, seed):
    """Per null buurt: flagged persistent (3 of the last 5 years above the 99.8% limit)."""
    rng = np.random.default_rng(seed)
    flagged = []
    for _ in range(n_sims):
        frame, _, _ = _municipality(rng)
        table = neighbourhood.persistent_hotspots(frame).table
        flagged.append(table["persistent"].to_numpy(dtype=float))
    return np.concatenate(flagged)


def _hotspot_power(n_sims, seed, multiple):
    rng = np.random.default_rng(seed)
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        frame, _, _ = _municipality(rng, planted=(0, multiple))
        table = neighbourhood.persistent_hotspots(frame).table.set_index("area_code")
        hits[i] = table.loc["BU0000", "persistent"]
    return hits


def sim_hotspot_power_2x(n_sims, seed):
    """One buurt at twice the municipality's mean rate every year: flagged persistent."""
    return _hotspot_power(n_sims, seed, 2.0)


def sim_hotspot_power_4x(n_sims, seed):
    """One buurt at four times the municipality's mean rate every year: flagged persistent."""
    return _hotspot_power(n_sims, seed, 4.0)


def sim_eb_coverage(n_sims, seed):
    """Per buurt: the 95% EB interval of the last year covers the buurt's true rate."""
    rng = np.random.default_rng(seed)
    covered = []
    for _ in range(n_sims):
        frame, rates, _ = _municipality(rng, n_years=1)
        table = neighbourhood.eb_rates(frame).table
        truth = 1000 * rates[-1]
        covered.append(((table["ci_low"] <= truth) & (truth <= table["ci_high"])).to_numpy())
    return np.concatenate(covered).astype(float)


def sim_concentration_coverage(n_sims, seed):
    """The 95% interval of the top-10% share covers the share of expected offences."""
    rng = np.random.default_rng(seed)
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        frame, rates, population = _municipality(rng, n_years=1)
        expected = np.sort(rates[-1] * population)[::-1]
        truth = expected[:10].sum() / expected.sum()
        row = neighbourhood.concentration(frame, draws=1000, seed=i).years.iloc[0]
        hits[i] = row["ci_low"] <= truth <= row["ci_high"]
    return hits


def _monthly_areas(rng, n_areas=N_AREAS, n_years=N_YEARS, surge=1.0, surge_months=3):
    """Monthly counts of 100 buurten (months x areas frame): the yearly rates of
    :func:`_municipality` spread over the months with a seasonal cycle (15%), year noise
    (sd 0.08) and month noise (sd 0.05) on the log scale; the last ``surge_months`` months
    multiplied by ``surge``."""
    population = _populations(rng, n_areas)
    theta = rng.gamma(SHAPE, 1 / SHAPE, n_areas)
    months = n_years * 12
    step = np.arange(months)
    season = 1 + 0.15 * np.cos(2 * np.pi * (step % 12 - 0.5) / 12)
    trend = 0.98 ** (step / 12)
    year_noise = np.repeat(rng.normal(0, 0.08, (n_years, n_areas)), 12, axis=0)
    month_noise = rng.normal(0, 0.05, (months, n_areas))
    mean = RATE / 12 * population[None, :] * theta[None, :] * (season * trend)[:, None]
    mean = mean * np.exp(year_noise + month_noise - (0.08**2 + 0.05**2) / 2)
    mean[-surge_months:] *= surge
    counts = rng.poisson(mean).astype(float)
    index = pd.period_range(f"{FIRST_YEAR}-01", periods=months, freq="M")
    return pd.DataFrame(counts, index=index, columns=[f"BU{i:04d}" for i in range(n_areas)])


def sim_surveillance_false_alarm(n_sims, seed):
    """Per null area-month (the last three months of 100 buurten): an alarm."""
    rng = np.random.default_rng(seed)
    alarms = []
    for _ in range(n_sims):
        table = surveillance.monthly_signals(_monthly_areas(rng)).table
        alarms.append(table["alarm"].to_numpy(dtype=float))
    return np.concatenate(alarms)


def sim_surveillance_power(n_sims, seed):
    """Per buurt with a threefold surge over the last three months: an alarm in one of them."""
    rng = np.random.default_rng(seed)
    found = []
    for _ in range(n_sims):
        table = surveillance.monthly_signals(_monthly_areas(rng, surge=3.0)).table
        found.append(table.groupby("area_code")["alarm"].any().to_numpy(dtype=float))
    return np.concatenate(found)


def sim_nowcast_coverage(n_sims, seed):
    """Per series: the 95% interval of the nowcast covers the year's true total. Each run: 10
    series of 20-2,000 offences a month (log-uniform: buurt to region), 6 complete years and
    1-11 months of the current one, seasonal (15%), trend -2% a year, year noise sd 0.08 and
    month noise sd 0.05 on the log scale."""
    rng = np.random.default_rng(seed)
    covered = []
    n_series, months = 10, 7 * 12
    step = np.arange(months)
    season = 1 + 0.15 * np.cos(2 * np.pi * (step % 12 - 0.5) / 12)
    trend = 0.98 ** (step / 12)
    index = pd.period_range("2018-01", periods=months, freq="M")
    for _ in range(n_sims):
        low, high = nowcast.COVERAGE_CHECKED
        size = np.exp(rng.uniform(math.log(low), math.log(high), n_series))
        year_noise = np.repeat(rng.normal(0, 0.08, (7, n_series)), 12, axis=0)
        noise = year_noise + rng.normal(0, 0.05, (months, n_series))
        mean = size[None, :] * (season * trend)[:, None] * np.exp(noise - (0.08**2 + 0.05**2) / 2)
        counts = rng.poisson(mean).astype(float)
        observed = int(rng.integers(1, 12))
        kept = months - 12 + observed
        frame = pd.DataFrame(counts[:kept], index=index[:kept])
        table = nowcast.nowcast_year_total(frame).table
        truth = counts[-12:].sum(axis=0)
        covered.append(((table["pi_low"] <= truth) & (truth <= table["pi_high"])).to_numpy())
    return np.concatenate(covered).astype(float)


_MUNICIPALITY = (
    "100 buurten, population log-normal (median 800) in 50-5,000, 50 offences per 1,000 a year "
    "(12 types summed), gamma heterogeneity (CV 0.5), buurt-year noise sd 0.10, trend -2% a "
    "year, 10 years, Poisson"
)
_MONTHLY = (
    "100 buurten as above, 10 years of months: seasonal 15%, year noise sd 0.08, month noise "
    "sd 0.05 on the log scale"
)

SCENARIO_ROWS = [
    (
        "hotspot-persistent-false-alarm",
        "persistent_hotspots: above the 99.8% funnel limit (additive random effect) in >= 3 of "
        "the last 5 years",
        "false alarms",
        _MUNICIPALITY + "; no buurt planted (share of buurten flagged, per buurt)",
        (0.0, 0.01),
        sim_hotspot_false_alarm,
        1.0,
    ),
    (
        "hotspot-power-2x",
        "persistent_hotspots: a planted buurt flagged",
        "power",
        _MUNICIPALITY + "; one buurt (population from the same distribution) at 2x the "
        "municipality's mean rate every year (within the ordinary spread: P(gamma > 2) = 4%)",
        None,
        sim_hotspot_power_2x,
        1.0,
    ),
    (
        "hotspot-power-4x",
        "persistent_hotspots: a planted buurt flagged",
        "power",
        _MUNICIPALITY + "; one buurt at 4x the municipality's mean rate every year",
        (0.80, 1.0),
        sim_hotspot_power_4x,
        1.0,
    ),
    (
        "eb-rate-coverage",
        "eb_rates 95% gamma posterior interval (Marshall moment prior)",
        "coverage",
        _MUNICIPALITY + "; one year, true rate of each buurt (per buurt)",
        (0.90, 0.97),
        sim_eb_coverage,
        0.3,
    ),
    (
        "concentration-coverage",
        "concentration: 95% interval of the share of expected offences in the top 10% of "
        "buurten (EB posterior, Laird-Louis bootstrap of the prior)",
        "coverage",
        _MUNICIPALITY + "; one year, 1,000 draws per run",
        (0.93, 0.97),
        sim_concentration_coverage,
        0.5,
    ),
    (
        "surveillance-false-alarm",
        "monthly_signals (improved Farrington, 99.5% NB threshold, >= 3 offences): alarms",
        "false alarms",
        _MONTHLY + "; last 3 months of each buurt looked at (per area-month)",
        (0.0, 0.01),
        sim_surveillance_false_alarm,
        1.0,
    ),
    (
        "surveillance-power-3x-surge",
        "monthly_signals: an alarm in one of the surge months",
        "power",
        _MONTHLY + "; every buurt's last 3 months at 3x (per buurt; buurten of 50 inhabitants "
        "expect 0.2 offences a month and cannot show a surge)",
        None,
        sim_surveillance_power,
        1.0,
    ),
    (
        "nowcast-coverage",
        "nowcast_year_total 95% prediction interval of the year total",
        "coverage",
        "10 series of 20-2,000 offences a month (log-uniform), 6 complete years and 1-11 "
        "months of the current one, seasonal 15%, trend -2% a year, year noise sd 0.08 and "
        "month noise sd 0.05 on the log scale (per series)",
        (0.93, 0.97),
        sim_nowcast_coverage,
        0.2,
    ),
]
"""The scenarios of issue 31, as the fields of :class:`rvs_analysis.stats.validation.Scenario`
(key, what, measure, scenario, goal, simulate, weight); validation.py adds them to its list."""
