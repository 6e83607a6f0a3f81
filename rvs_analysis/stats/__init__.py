"""Statistics of registered crime, clearance and perceived safety.

One module per concept; each returns estimates with their intervals and names the method it used
(:class:`~rvs_analysis.stats.common.Estimate`, results objects with a ``method`` attribute).

Modules
    :mod:`~rvs_analysis.stats.trends` (count changes with exact intervals, count trends),
    :mod:`~rvs_analysis.stats.targets` (the strategy's targets, forecasts and status),
    :mod:`~rvs_analysis.stats.monthly` (STL seasonality and change points),
    :mod:`~rvs_analysis.stats.clearance` (clearance rates, funnel limits, drivers model),
    :mod:`~rvs_analysis.stats.crime_change` (visible versus less visible crime),
    :mod:`~rvs_analysis.stats.compare` (area against area: trends, change between two years,
    rankings, change funnels),
    :mod:`~rvs_analysis.stats.perception` (weighted survey proportions, difference-in-differences),
    :mod:`~rvs_analysis.stats.neighbourhood` (buurt rates by empirical Bayes, concentration,
    funnel limits, persistent hot spots),
    :mod:`~rvs_analysis.stats.surveillance` (monthly signals per area),
    :mod:`~rvs_analysis.stats.nowcast` (the current year's total from its months so far),
    :mod:`~rvs_analysis.stats.count_model` (the one count engine: Poisson, quasi-Poisson and
    NB2 fits of one series, and of many series on one design at once),
    :mod:`~rvs_analysis.stats.common` (Estimate and argument checks).

The statistics know nothing of reports: they take frames and return numbers.
"""

from __future__ import annotations

from rvs_analysis.stats import (
    clearance,
    common,
    compare,
    count_model,
    crime_change,
    monthly,
    neighbourhood,
    nowcast,
    perception,
    surveillance,
    targets,
    trends,
)

__all__ = [
    "clearance",
    "common",
    "compare",
    "count_model",
    "crime_change",
    "monthly",
    "neighbourhood",
    "nowcast",
    "perception",
    "surveillance",
    "targets",
    "trends",
]
