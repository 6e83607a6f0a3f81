"""A nowcast of the current year's total from the months published so far.

:func:`nowcast_year_total` takes monthly counts of one or many areas (a frame indexed by month,
one column per area) and gives per area the year's expected total with a prediction interval:
the months published so far, plus what the rest of the year brings given the seasonal share of
those months in earlier years and this year's own level. Withheld months (NaN) are never read as
0: they are predicted like the months still to come.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from rvs_analysis.stats.common import MethodSpec, ResultMixin, StatisticsInputError, check_level
from rvs_analysis.stats.count_model import fit_counts_batch
from rvs_analysis.stats.surveillance import monthly_matrix

__all__ = ["COVERAGE_CHECKED", "MIN_PAST_YEARS", "Nowcast", "nowcast_year_total"]

MIN_PAST_YEARS = 2
"""Complete earlier years needed for a seasonal pattern."""

COVERAGE_CHECKED = (20, 2000)
"""The mean offences a month of the series whose interval coverage is on record
(``nowcast-coverage`` in ``docs/statistical_properties.md``): a report says when its series lies
outside this range."""


@dataclass(frozen=True)
class Nowcast(ResultMixin):
    """Result of :func:`nowcast_year_total`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per series: the label column(s), ``year``, ``months_observed``,
        ``months_withheld``, ``year_to_date``, ``share_observed`` (expected share of the year
        in the months observed), ``nowcast``, ``pi_low``, ``pi_high``, ``dispersion``,
        ``status`` (``ok``, ``complete`` when every month is in, ``no_months``).
    year : int
    past_years : list of int
        The complete earlier years the seasonal pattern comes from.
    method : str
    level : float
    method_spec : MethodSpec or None
        The method as a code (``year_nowcast``) and its numbers, for a report's Dutch wording.

    Notes
    -----
    ``to_frame()`` is the per-series table; ``to_dict()`` holds every field (the table as row
    records) with ``method`` and ``method_spec`` (:class:`~rvs_analysis.stats.common.ResultMixin`).
    """

    _FRAME = "table"

    table: pd.DataFrame
    year: int
    past_years: list[int]
    method: str
    level: float
    method_spec: MethodSpec | None = None


def _window(months: pd.PeriodIndex, year: int | None, years_back: int):
    """The current year and the complete earlier years used."""
    last = months[-1]
    current = last.year if year is None else int(year)
    first_full = months[0].year + (0 if months[0].month == 1 else 1)
    past = [y for y in range(current - years_back, current) if y >= first_full]
    if current not in set(months.year):
        raise StatisticsInputError(
            f"Year {current} has no month in the monthly counts ({months[0]} to {months[-1]})."
        )
    if len(past) < MIN_PAST_YEARS:
        raise StatisticsInputError(
            f"A nowcast of {current} needs at least {MIN_PAST_YEARS} complete earlier years of "
            f"months; the counts have {len(past)}."
        )
    return current, past


def _labels(columns: pd.Index) -> pd.DataFrame:
    if isinstance(columns, pd.MultiIndex):
        names = [name or f"level_{i}" for i, name in enumerate(columns.names)]
        return pd.DataFrame(list(columns), columns=names)
    return pd.DataFrame({columns.name or "area_code": list(columns)})


def nowcast_year_total(
    counts: pd.DataFrame | pd.Series,
    year: int | None = None,
    years_back: int = 5,
    level: float = 0.95,
) -> Nowcast:
    """Nowcast of a year's total from the months published so far, with a prediction interval.

    Parameters
    ----------
    counts : pandas.DataFrame or pandas.Series
        Monthly counts indexed by month (Period or Timestamp), one column per area; NaN =
        withheld or not yet published.
    year : int, optional
        The year to nowcast (the year of the latest month when omitted).
    years_back : int, optional
        Complete earlier years that give the seasonal pattern (5; at least
        :data:`MIN_PAST_YEARS`).
    level : float, optional
        Level of the prediction interval.

    Returns
    -------
    Nowcast
        Per series the months in, the total so far, the nowcast of the year and its interval.

    Notes
    -----
    Method: per series a quasi-Poisson log-linear model with one level per year and a
    12-level calendar-month factor is fitted to the earlier years' months and the current
    year's published months (all series at once, by the count engine's
    :func:`~rvs_analysis.stats.count_model.fit_counts_batch`). The month factor is the seasonal share of the year, estimated from
    the earlier years (any steady trend within a year is part of it); the current year's level
    comes from its own published months, so the trend between years and this year's deviation
    from it need no model. The remaining months' expected count ``R`` is the sum of their
    predicted means. Its prediction variance is the process variance ``phi R`` plus the
    estimation variance ``phi g' (X'WX)^-1 g`` (delta method, ``g = sum mu_t x_t`` over the
    remaining months), with ``phi = max(1, X2/df)``. The interval adds the months in to the
    quantiles of a gamma distribution with that mean and variance.

    Assumptions: the seasonal pattern of the earlier years holds this year; months
    independent given the year's level (month-to-month extra variation is in ``phi``). A
    withheld month of the current year is predicted like a month to come. The simulated
    coverage is ``nowcast-coverage`` in ``docs/statistical_properties.md``.

    References
    ----------
    McCullagh, P. and Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed., sections 4.5
    and 6.2 (quasi-likelihood, log-linear models for counts).
    Farrington, C. P., Andrews, N. J., Beale, A. D. and Catchpole, M. A. (1996). A statistical
    algorithm for the early detection of outbreaks of infectious disease. *JRSS A* 159(3),
    547-563 (quasi-Poisson prediction with its estimation variance).
    """
    level = check_level(level)
    months, columns, y = monthly_matrix(counts)
    current, past = _window(months, year, years_back)
    full = pd.period_range(f"{past[0]}-01", f"{current}-12", freq="M")
    aligned = np.full((y.shape[0], len(full)), np.nan)
    position = {month: i for i, month in enumerate(full)}
    for i, month in enumerate(months):
        if month in position:
            aligned[:, position[month]] = y[:, i]
    years = np.asarray(full.year)
    calendar = np.asarray(full.month) - 1
    listed = [*past, current]
    design = np.column_stack(
        [(years == one).astype(float) for one in listed]
        + [(calendar == m).astype(float) for m in range(1, 12)]
    )
    this = years == current
    fit = fit_counts_batch(aligned, design)
    phi = fit.dispersion()
    missing = this[None, :] & ~np.isfinite(aligned)
    mu_missing = np.where(missing, fit.mu, 0.0)
    remaining = mu_missing.sum(axis=1)
    gradient = mu_missing @ design
    estimation = phi * np.einsum("sp,spq,sq->s", gradient, fit.unscaled_cov, gradient)
    variance = phi * remaining + estimation
    so_far = np.where(this[None, :] & np.isfinite(aligned), aligned, 0.0).sum(axis=1)
    tail = (1 - level) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = remaining**2 / variance
        scale = variance / remaining
        low = stats.gamma.ppf(tail, shape, scale=scale)
        high = stats.gamma.ppf(1 - tail, shape, scale=scale)
    observed_months = (this[None, :] & np.isfinite(aligned)).sum(axis=1)
    in_months = this & (np.asarray(full <= months[-1]))
    withheld = (in_months[None, :] & ~np.isfinite(aligned)).sum(axis=1)
    mu_year = np.where(this[None, :], fit.mu, 0.0).sum(axis=1)
    complete = remaining <= 0
    none = observed_months == 0
    table = _labels(columns)
    table["year"] = current
    table["months_observed"] = observed_months
    table["months_withheld"] = withheld
    table["year_to_date"] = so_far
    table["share_observed"] = np.where(none, np.nan, 1 - remaining / mu_year)
    table["nowcast"] = np.where(none, np.nan, so_far + remaining)
    table["pi_low"] = np.where(none, np.nan, np.where(complete, so_far, so_far + low))
    table["pi_high"] = np.where(none, np.nan, np.where(complete, so_far, so_far + high))
    table["dispersion"] = phi
    table["status"] = np.where(none, "no_months", np.where(complete, "complete", "ok"))
    method = (
        f"quasi-Poisson log-linear model with year levels and a calendar-month factor on "
        f"{past[0]}-{past[-1]} and the months of {current} published so far (count engine, "
        "dispersion max(1, Pearson X2/df)); remaining months "
        f"predicted with process and estimation variance (delta method), {100 * level:g}% "
        "prediction interval from a gamma with that mean and variance"
    )
    spec = MethodSpec(
        "year_nowcast",
        {
            "year": current,
            "past_first": past[0],
            "past_last": past[-1],
            "level": level,
            "dispersion_min": float(np.min(phi)),
            "dispersion_max": float(np.max(phi)),
        },
    )
    return Nowcast(table, current, past, method, level, spec)
