"""Validation scenarios of the monthly change-point test (used by :mod:`rvs_analysis.stats.validation`):
false breaks under AR(1) year noise, power against a planted jump, and how often a smooth bend is
called a break.

Each scenario is a function ``(n_sims, seed) -> numpy.ndarray`` of 0/1 outcomes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rvs_analysis.stats import monthly

__all__: list[str] = []
"""No public names: the scenario functions are run through
:data:`rvs_analysis.stats.validation.SCENARIOS`."""


def _monthly(rng, mean=800.0, rho=0.4, sd=0.04, months=156, shift=0.0):
    season = 1 + 0.15 * np.cos(2 * np.pi * (np.arange(months) % 12 - 11) / 12)
    noise = np.empty(months)
    noise[0] = rng.normal(0, sd / math.sqrt(1 - rho**2))
    for t in range(1, months):
        noise[t] = rho * noise[t - 1] + rng.normal(0, sd)
    trend = -0.002 * np.arange(months)
    step = np.where(np.arange(months) >= months // 2, shift, 0.0)
    counts = rng.poisson(mean * season * np.exp(trend + noise + step))
    index = pd.date_range("2011-01-01", periods=months, freq="MS")
    return pd.Series(counts.astype(float), index=index)


def sim_change_points_null(n_sims, seed):
    rng = np.random.default_rng(seed)
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        series = _monthly(rng)
        hits[i] = len(monthly.detect_change_points(series, n_boot=199, seed=i).dates) > 0
    return hits


def sim_change_points_power(n_sims, seed):
    rng = np.random.default_rng(seed)
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        series = _monthly(rng, shift=-0.15)
        hits[i] = len(monthly.detect_change_points(series, n_boot=199, seed=i).dates) > 0
    return hits


def _change_point_size(n_sims, seed, mean, rho, sd):
    """Share of runs with a break reported (a jump; a bend is not a break) under AR(1) noise on
    the log scale and no change at all."""
    rng = np.random.default_rng(seed)
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        series = _monthly(rng, mean=mean, rho=rho, sd=sd)
        hits[i] = monthly.detect_change_points(series, n_boot=199, seed=i).is_break
    return hits


def sim_changepoint_size_ar1_06(n_sims, seed):
    """District: about 300 a month, AR(1) rho 0.6, sd 0.05 on the log scale, no break."""
    return _change_point_size(n_sims, seed, 300.0, 0.6, 0.05)


def sim_changepoint_size_ar1_07(n_sims, seed):
    """Region: about 1,000 a month, AR(1) rho 0.7, sd 0.05 on the log scale, no break."""
    return _change_point_size(n_sims, seed, 1000.0, 0.7, 0.05)


def _flattening(months=156, slope=-0.006, middle=78, width=18.0):
    """Log trend of a decline of ``slope`` a month that flattens smoothly around ``middle``
    (the slope follows a logistic curve from ``slope`` to 0 over about ``4 width`` months)."""
    time = np.arange(months, dtype=float)
    share = 1 / (1 + np.exp(-(time - middle) / width))  # 0 before, 1 after
    return np.cumsum(slope * (1 - share)) - slope * (1 - share[0])


def sim_changepoint_bend(n_sims, seed):
    """Share of runs reported as a break ("een breuk") when the decline flattens smoothly:
    800 a month, seasonal, AR(1) noise rho 0.4 sd 0.04, no jump."""
    rng = np.random.default_rng(seed)
    hits = np.zeros(n_sims)
    months = 156
    curve = _flattening(months)
    season = 1 + 0.15 * np.cos(2 * np.pi * (np.arange(months) % 12 - 11) / 12)
    index = pd.date_range("2011-01-01", periods=months, freq="MS")
    for i in range(n_sims):
        noise = np.empty(months)
        noise[0] = rng.normal(0, 0.04 / math.sqrt(1 - 0.4**2))
        for t in range(1, months):
            noise[t] = 0.4 * noise[t - 1] + rng.normal(0, 0.04)
        counts = rng.poisson(800.0 * season * np.exp(curve + noise))
        series = pd.Series(counts.astype(float), index=index)
        hits[i] = monthly.detect_change_points(series, n_boot=199, seed=i).is_break
    return hits
