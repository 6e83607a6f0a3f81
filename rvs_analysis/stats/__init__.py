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
    :mod:`~rvs_analysis.stats.common` (Estimate and argument checks).

The statistics know nothing of reports: they take frames and return numbers.
"""

from __future__ import annotations

from rvs_analysis.stats import (
    clearance,
    common,
    compare,
    crime_change,
    monthly,
    perception,
    targets,
    trends,
)

__all__ = [
    "clearance",
    "common",
    "compare",
    "crime_change",
    "monthly",
    "perception",
    "targets",
    "trends",
]
