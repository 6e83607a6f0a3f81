"""Where in a municipality: buurt (or wijk) rates smoothed by empirical Bayes, the concentration
of offences in the top 10% of buurten, funnel limits with overdispersion and persistent hot spots.

Every function takes a plain frame with one row per area and year (or per area, year and offence
type, summed here): ``area_code``, ``year``, ``registered_offences`` and ``population``. A
withheld count (CBS "niet gepubliceerd", NaN) is never read as 0: the area-year is left out of
that year's statistics and the result counts it (``n_withheld``). When an area-year has several
rows (offence types) and one of them is withheld, the area's total is unknown and the area-year is
left out as a whole.

Results are dataclasses with ``method`` (the method actually used, in English), ``method_spec``
(codes, not sentences), ``to_frame()`` and ``to_dict()`` (JSON-serialisable), all from the shared
:class:`~rvs_analysis.stats.common.ResultMixin`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from rvs_analysis.stats.common import (
    MethodSpec,
    ResultMixin,
    StatisticsInputError,
    check_columns,
    check_level,
)

__all__ = [
    "MIN_EXPECTED_RAW_RANK",
    "MIN_POPULATION_RAW_RANK",
    "AreaYearTotals",
    "Concentration",
    "EBRates",
    "Funnel",
    "Hotspots",
    "area_year_totals",
    "concentration",
    "eb_rates",
    "funnel_curve",
    "overdispersed_funnel",
    "persistent_hotspots",
]

MIN_POPULATION_RAW_RANK = 1000
"""A buurt's raw rate is ranked only with at least 1,000 inhabitants ..."""

MIN_EXPECTED_RAW_RANK = 10.0
"""... and at least 10 offences expected at the municipality's rate: below that the raw rate's
relative standard error (``1/sqrt(expected)``) exceeds 32% and its rank is noise. The smoothed
(empirical Bayes) rate is ranked for every buurt."""

AREA, YEAR, COUNT, POPULATION = "area_code", "year", "registered_offences", "population"


# --------------------------------------------------------------------------------------------
# Input: one row per area and year, withheld cells left out and counted
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaYearTotals:
    """Counts and populations per area and year, withheld area-years left out.

    Attributes
    ----------
    table : pandas.DataFrame
        ``area_code, year, registered_offences, population`` of the area-years with a known
        count and a positive population.
    withheld : pandas.DataFrame
        ``area_code, year, reason`` of the area-years left out: ``withheld`` (a count not
        published) or ``no_population``.
    """

    table: pd.DataFrame
    withheld: pd.DataFrame

    def n_withheld(self, year: int | None = None) -> int:
        """Number of area-years left out (in ``year`` when given).

        Parameters
        ----------
        year : int, optional
            Count only this year.

        Returns
        -------
        int
        """
        rows = self.withheld if year is None else self.withheld[self.withheld[YEAR] == year]
        return int(len(rows))


def _bad_row(frame: pd.DataFrame, mask: np.ndarray, column: str, what: str) -> None:
    if not mask.any():
        return
    row = frame.loc[mask].iloc[0]
    label = frame.index[np.flatnonzero(mask)[0]]
    raise StatisticsInputError(
        f"Column '{column}' {what} in row {label!r} (area {str(row[AREA])!r}, year "
        f"{row[YEAR]}: {row[column]!r}); correct the input before estimating."
    )


def area_year_totals(frame: pd.DataFrame) -> AreaYearTotals:
    """Check the input and sum it to one row per area and year, leaving withheld cells out.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``area_code``, ``year``, ``registered_offences`` (NaN = withheld, never 0) and
        ``population``; several rows per area-year (offence types) are summed.

    Returns
    -------
    AreaYearTotals
        The known area-years and the ones left out, with the reason.

    Raises
    ------
    StatisticsInputError
        On a missing column, a negative, fractional or infinite count, a non-whole year, or
        different populations for the rows of one area-year; the message names the column and
        the row.

    Notes
    -----
    An area-year with any withheld row has an unknown total and is left out as a whole; one
    without a positive population has no rate and is left out too (reason ``no_population``).
    """
    check_columns(frame, [AREA, YEAR, COUNT, POPULATION], "neighbourhood counts")
    counts = pd.to_numeric(frame[COUNT], errors="coerce").to_numpy(dtype=float)
    text = frame[COUNT].notna().to_numpy() & np.isnan(counts)
    _bad_row(frame, text, COUNT, "holds text where a count belongs")
    known = ~np.isnan(counts)
    _bad_row(frame, known & ~np.isfinite(counts), COUNT, "holds an infinite count")
    _bad_row(frame, known & (counts < 0), COUNT, "holds a negative count")
    fractional = known & np.isfinite(counts) & (np.abs(counts - np.round(counts)) > 1e-9)
    _bad_row(frame, fractional, COUNT, "holds a fractional count")
    years = pd.to_numeric(frame[YEAR], errors="coerce").to_numpy(dtype=float)
    _bad_row(frame, ~np.isfinite(years) | (years != np.round(years)), YEAR, "is not a year")
    population = pd.to_numeric(frame[POPULATION], errors="coerce").to_numpy(dtype=float)
    work = pd.DataFrame(
        {AREA: frame[AREA].astype(str).to_numpy(), YEAR: years.astype(int), COUNT: counts}
    )
    work[POPULATION] = population
    keys = [AREA, YEAR]
    if work.duplicated(keys).any():
        spread = work.groupby(keys)[POPULATION].agg(["min", "max"])
        unequal = spread["min"] != spread["max"]
        if unequal.any():
            area, year = unequal[unequal].index[0]
            raise StatisticsInputError(
                f"Column '{POPULATION}' differs between the rows of area {area!r} in {year} "
                f"({spread.loc[(area, year), 'min']:g} and {spread.loc[(area, year), 'max']:g}); "
                "one area-year has one population."
            )
        work["missing"] = work[COUNT].isna()
        table = work.groupby(keys, sort=True).agg(
            **{
                COUNT: (COUNT, "sum"),
                POPULATION: (POPULATION, "first"),
                "missing": ("missing", "max"),
            }
        )
        table[COUNT] = table[COUNT].where(~table.pop("missing"))
        table = table.reset_index()
    else:
        table = work.sort_values(keys).reset_index(drop=True)
    withheld = table[COUNT].isna()
    no_population = ~withheld & ~(table[POPULATION] > 0)
    left_out = table.loc[withheld | no_population, [AREA, YEAR]].copy()
    left_out["reason"] = np.where(withheld[withheld | no_population], "withheld", "no_population")
    kept = table.loc[~(withheld | no_population)].reset_index(drop=True)
    return AreaYearTotals(kept, left_out.reset_index(drop=True))


def _year_of(totals: AreaYearTotals, year: int | None) -> int:
    years = set(totals.table[YEAR]) | set(totals.withheld[YEAR])
    if not years:
        raise StatisticsInputError("The neighbourhood counts hold no year.")
    if year is None:
        return int(max(years))
    if int(year) not in years:
        raise StatisticsInputError(
            f"Year {year} is not in the neighbourhood counts (they hold {min(years)}-{max(years)})."
        )
    return int(year)


# --------------------------------------------------------------------------------------------
# Empirical Bayes (Poisson-gamma)
# --------------------------------------------------------------------------------------------


def _eb_core(y: np.ndarray, n: np.ndarray) -> dict[str, Any]:
    """Marshall's (1991) moment estimates of a gamma prior for the rates ``y/n`` and the
    posterior gamma parameters (shape ``a``, rate ``b``) of each area's rate."""
    m = y.sum() / n.sum()
    k = y.size
    raw = y / n
    s2 = float(np.sum(n * (raw - m) ** 2) / n.sum())
    variance = s2 - m / (n.sum() / k)
    if variance > 0 and m > 0:
        alpha, beta = m * m / variance, m / variance
        shape, rate = alpha + y, beta + n
        weight = variance / (variance + m / n)
        pooled = False
    else:  # no excess variation: every area at the pooled rate, with its uncertainty
        alpha = beta = math.inf
        shape = np.full(k, max(float(y.sum()), 0.5))
        rate = np.full(k, float(n.sum()))
        weight = np.zeros(k)
        pooled = True
    return {
        "mean": m,
        "variance": variance,
        "alpha": alpha,
        "beta": beta,
        "shape": shape,
        "rate": rate,
        "weight": weight,
        "pooled": pooled,
    }


@dataclass(frozen=True)
class EBRates(ResultMixin):
    """Result of :func:`eb_rates`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per area-year: ``area_code, year, registered_offences, population, expected,
        raw_rate, eb_rate, ci_low, ci_high, shrinkage, raw_rankable, raw_rank, eb_rank``
        (rates per ``per`` inhabitants; ``shrinkage`` is the weight of the area's own rate,
        ``raw_rank`` NA where the raw rate is not ranked).
    priors : pandas.DataFrame
        One row per year: ``year, mean_rate, prior_variance, alpha, beta, pooled, n_areas,
        n_withheld``.
    method : str
    level : float
    per : float

    Notes
    -----
    ``to_frame()`` is the area-year table; ``to_dict()`` holds every field (the tables as row
    records) with ``method`` and ``method_spec`` (:class:`~rvs_analysis.stats.common.ResultMixin`).
    """

    _FRAME = "table"

    table: pd.DataFrame
    priors: pd.DataFrame
    method: str
    level: float
    per: float

    @property
    def method_spec(self) -> MethodSpec:
        """The method as a code and its numbers (for the report's wording)."""
        return MethodSpec("eb_rates", {"level": self.level, "per": self.per})


def eb_rates(
    frame: pd.DataFrame,
    year: int | None = None,
    per: float = 1000.0,
    level: float = 0.95,
) -> EBRates:
    """Buurt rates smoothed by empirical Bayes (Poisson-gamma), with posterior intervals.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``area_code, year, registered_offences, population`` (see :func:`area_year_totals`).
    year : int, optional
        Only this year; every year in the frame when omitted (each year has its own prior).
    per : float, optional
        Rates per this many inhabitants (1,000).
    level : float, optional
        Level of the posterior intervals.

    Returns
    -------
    EBRates
        Per area-year the raw and smoothed rate with its interval, the shrinkage and the ranks;
        per year the prior.

    Notes
    -----
    Method: each area's count is Poisson with mean ``population x rate`` and the rates of one
    year are gamma distributed across areas. The gamma's mean ``m`` and variance ``A`` are
    estimated by Marshall's (1991) method of moments: ``m = sum(y) / sum(n)``, ``A = s2 - m /
    nbar`` with ``s2 = sum(n (y/n - m)^2) / sum(n)`` and ``nbar`` the mean population. The
    smoothed rate is the posterior mean ``(m^2/A + y) / (m/A + n)``, equal to ``m + C (y/n -
    m)`` with ``C = A / (A + m/n)``; the interval is the equal-tailed interval of the gamma
    posterior ``Gamma(m^2/A + y, m/A + n)`` (Clayton and Kaldor 1987). When ``A <= 0`` (no
    variation beyond Poisson) every area gets the pooled rate and its interval is that of the
    pooled rate, ``Gamma(sum y, sum n)``; the prior row says ``pooled``.

    Ranks: the smoothed rate is ranked for every area (``eb_rank``, 1 = highest); the raw rate
    only for areas with at least :data:`MIN_POPULATION_RAW_RANK` inhabitants and
    :data:`MIN_EXPECTED_RAW_RANK` offences expected at the year's pooled rate, so a tiny buurt
    with a chance count never heads a list.

    Assumptions: areas independent given their rates; the prior ignores covariates and spatial
    structure. The intervals plug in the estimated prior and do not carry its uncertainty; the
    simulated coverage is in ``docs/statistical_properties.md`` (``eb-rate-coverage``).

    References
    ----------
    Marshall, R. J. (1991). Mapping disease and mortality rates using empirical Bayes
    estimators. *Applied Statistics* 40(2), 283-294.
    Clayton, D. and Kaldor, J. (1987). Empirical Bayes estimates of age-standardized relative
    risks for use in disease mapping. *Biometrics* 43(3), 671-681.
    """
    level = check_level(level)
    totals = area_year_totals(frame)
    table = totals.table
    if year is not None:
        table = table[table[YEAR] == _year_of(totals, year)].reset_index(drop=True)
    year_values = table[YEAR].to_numpy()
    y_all = table[COUNT].to_numpy(dtype=float)
    n_all = table[POPULATION].to_numpy(dtype=float)
    columns = {name: np.empty(len(table)) for name in ("mean", "shape", "rate", "weight")}
    tables, priors = [], []
    for one in np.unique(year_values):
        rows = year_values == one
        core = _eb_core(y_all[rows], n_all[rows])
        columns["mean"][rows] = core["mean"]
        for name in ("shape", "rate", "weight"):
            columns[name][rows] = core[name]
        tables.append(one)
        priors.append(
            {
                "year": int(one),
                "mean_rate": per * core["mean"],
                "prior_variance": per * per * core["variance"],
                "alpha": core["alpha"],
                "beta": core["beta"] / per,
                "pooled": core["pooled"],
                "n_areas": int(rows.sum()),
                "n_withheld": totals.n_withheld(int(one)),
            }
        )
    if not tables:
        raise StatisticsInputError("No area-year with a published count: nothing to smooth.")
    method = (
        "Poisson-gamma empirical Bayes (Marshall 1991 moment estimates of the gamma prior per "
        f"year); {100 * level:g}% equal-tailed gamma posterior intervals; raw rates ranked only "
        f"with >= {MIN_POPULATION_RAW_RANK} inhabitants and >= {MIN_EXPECTED_RAW_RANK:g} "
        "expected offences"
    )
    tail = (1 - level) / 2
    out = table.copy()
    out["expected"] = n_all * columns["mean"]
    out["raw_rate"] = per * y_all / n_all
    out["eb_rate"] = per * columns["shape"] / columns["rate"]
    out["ci_low"] = per * stats.gamma.ppf(tail, columns["shape"]) / columns["rate"]
    out["ci_high"] = per * stats.gamma.ppf(1 - tail, columns["shape"]) / columns["rate"]
    out["shrinkage"] = columns["weight"]
    rankable = (n_all >= MIN_POPULATION_RAW_RANK) & (out["expected"] >= MIN_EXPECTED_RAW_RANK)
    out["raw_rankable"] = rankable
    by_year = out.assign(ranked=out["raw_rate"].where(rankable)).groupby(YEAR)
    out["raw_rank"] = by_year["ranked"].rank(ascending=False, method="min").astype("Int64")
    out["eb_rank"] = by_year["eb_rate"].rank(ascending=False, method="min").astype("Int64")
    return EBRates(out, pd.DataFrame(priors), method, level, float(per))


# --------------------------------------------------------------------------------------------
# Concentration: the share of offences in the top 10% of buurten
# --------------------------------------------------------------------------------------------


def _top_share(values: np.ndarray, n_top: int) -> np.ndarray:
    """Share of the row total in the ``n_top`` largest entries of each row."""
    part = -np.partition(-values, n_top - 1, axis=-1)[..., :n_top]
    return part.sum(axis=-1) / values.sum(axis=-1)


def _moments(y: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Marshall's moment estimates ``(m, A)`` for each row of ``y`` (draws x areas)."""
    m = y.sum(axis=-1) / n.sum()
    s2 = np.sum(n * (y / n - m[..., None]) ** 2, axis=-1) / n.sum()
    return m, s2 - m / (n.sum() / n.size)


def _share_draws(y, n, n_top, draws, rng) -> np.ndarray:
    """Draws of the top share of expected counts from the empirical Bayes posterior, with the
    prior's uncertainty carried by Laird and Louis's (1987) parametric bootstrap."""
    core = _eb_core(y, n)
    priors = max(100, draws // 10)  # bootstrap priors, each shared by about 10 posterior draws
    if core["pooled"]:
        rates = np.full((priors, y.size), core["mean"])
    else:
        rates = rng.gamma(core["alpha"], 1.0 / core["beta"], size=(priors, y.size))
    m, variance = _moments(rng.poisson(rates * n).astype(float), n)
    which = np.arange(draws) % priors
    m, variance = m[which], variance[which]
    spread = variance > 0
    safe = np.where(spread, variance, 1.0)
    alpha = np.where(spread, m * m / safe, np.inf)[:, None]
    beta = np.where(spread, m / safe, np.inf)[:, None]
    with np.errstate(invalid="ignore"):
        shape = np.where(spread[:, None], alpha + y, 1.0)
        rate = np.where(spread[:, None], beta + n, 1.0)
    own = rng.gamma(shape, 1.0 / rate)
    common = rng.gamma(max(float(y.sum()), 0.5), 1.0 / n.sum(), size=(draws, 1))
    posterior = np.where(spread[:, None], own, common)
    return _top_share(posterior * n, n_top)


@dataclass(frozen=True)
class Concentration(ResultMixin):
    """Result of :func:`concentration`.

    Attributes
    ----------
    years : pandas.DataFrame
        One row per year: ``year, n_areas, n_top, n_withheld, observed_share, share, ci_low,
        ci_high`` (shares as fractions; ``share`` is the posterior median of the share of
        expected offences).
    change : dict or None
        ``{"from_year", "to_year", "difference", "ci_low", "ci_high"}`` (the share of
        ``to_year``, the year asked, minus that of ``from_year``, the compare year; fractions)
        when two years were asked.
    method : str
    level : float
    top_fraction : float
    draws : int
        Number of posterior draws.

    Notes
    -----
    ``to_frame()`` is the per-year table; ``to_dict()`` holds every field (``change`` as a
    mapping or None) with ``method`` and ``method_spec``
    (:class:`~rvs_analysis.stats.common.ResultMixin`).
    """

    _FRAME = "years"
    _NOT_IN_DICT = ()  # ``draws`` is a number here, not raw draws

    years: pd.DataFrame
    change: dict[str, Any] | None
    method: str
    level: float
    top_fraction: float
    draws: int

    @property
    def method_spec(self) -> MethodSpec:
        """The method as a code and its numbers (for the report's wording)."""
        return MethodSpec(
            "concentration",
            {"level": self.level, "top_fraction": self.top_fraction, "draws": self.draws},
        )


def concentration(
    frame: pd.DataFrame,
    year: int | None = None,
    compare_year: int | None = None,
    top_fraction: float = 0.10,
    level: float = 0.95,
    draws: int = 2000,
    seed: int = 20240101,
) -> Concentration:
    """Share of offences in the top 10% of buurten, with its interval, and how it moved.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``area_code, year, registered_offences, population`` (see :func:`area_year_totals`).
    year : int, optional
        The year (the latest when omitted).
    compare_year : int, optional
        An earlier (or later) year: the result then has the change from it to ``year``.
    top_fraction : float, optional
        Fraction of areas in the top (0.10): ``ceil(top_fraction x areas)`` areas.
    level : float, optional
        Level of the intervals.
    draws : int, optional
        Posterior draws.
    seed : int, optional
        Seed of the draws (the result is reproducible).

    Returns
    -------
    Concentration
        Per year the observed share, the estimated share with its interval, and the change.

    Notes
    -----
    Estimand: the share of the *expected* offences (the areas' underlying rates times their
    population) that falls in the ``ceil(top_fraction x K)`` areas with the most expected
    offences. The observed share (top areas by observed count) overstates it, because chance
    highs select themselves into the top (most where counts are small); it is reported beside
    the estimate, not as it.

    Method: the Poisson-gamma empirical Bayes model of :func:`eb_rates` (Marshall 1991 moment
    estimates) gives each area a gamma posterior for its rate; ``draws`` joint draws of all
    areas' expected counts give draws of the top share (the top areas re-chosen in each draw).
    The share depends on the spread of the rates, so the prior's own uncertainty is carried by
    Laird and Louis's (1987) parametric bootstrap: ``draws / 10`` data sets (at least 100) are
    simulated from the fitted prior and the prior re-estimated from each; each draw takes the
    rates from the posterior under one of these priors given the observed counts (plugging in
    one prior covered 90% instead of 95%).
    The estimate is their median and the interval their equal-tailed quantiles (an empirical
    Bayes posterior interval). The change between two years takes the difference of
    independent draws of each year; areas left out in either year are left out of that year
    only.

    Assumptions: as :func:`eb_rates`; the two years' draws are independent although an area's rates in two years are correlated (which
    makes the interval of the change conservative rather than too narrow). The simulated
    coverage is ``concentration-coverage`` in ``docs/statistical_properties.md``.

    References
    ----------
    Laird, N. M. and Louis, T. A. (1987). Empirical Bayes confidence intervals based on
    bootstrap samples. *JASA* 82(399), 739-750.
    Weisburd, D. (2015). The law of crime concentration and the criminology of place.
    *Criminology* 53(2), 133-157.
    Marshall, R. J. (1991). Mapping disease and mortality rates using empirical Bayes
    estimators. *Applied Statistics* 40(2), 283-294.
    """
    level = check_level(level)
    if not 0 < top_fraction < 1:
        raise StatisticsInputError(f"top_fraction must lie between 0 and 1, got {top_fraction!r}.")
    totals = area_year_totals(frame)
    first = _year_of(totals, year)
    wanted = [first] if compare_year is None else [_year_of(totals, compare_year), first]
    rng = np.random.default_rng(seed)
    rows, samples = [], {}
    tail = (1 - level) / 2
    for one in wanted:
        part = totals.table[totals.table[YEAR] == one]
        y = part[COUNT].to_numpy(dtype=float)
        n = part[POPULATION].to_numpy(dtype=float)
        if y.size < 2 or y.sum() <= 0:
            raise StatisticsInputError(
                f"Year {one} has {y.size} areas with a published count and {y.sum():g} "
                "offences: no concentration to estimate."
            )
        n_top = max(1, math.ceil(top_fraction * y.size - 1e-9))
        samples[one] = _share_draws(y, n, n_top, draws, rng)
        rows.append(
            {
                "year": one,
                "n_areas": int(y.size),
                "n_top": n_top,
                "n_withheld": totals.n_withheld(one),
                "observed_share": float(_top_share(y, n_top)),
                "share": float(np.median(samples[one])),
                "ci_low": float(np.quantile(samples[one], tail)),
                "ci_high": float(np.quantile(samples[one], 1 - tail)),
            }
        )
    change = None
    if compare_year is not None:
        difference = samples[first] - samples[wanted[0]]
        change = {
            "from_year": wanted[0],
            "to_year": first,
            "difference": float(np.median(difference)),
            "ci_low": float(np.quantile(difference, tail)),
            "ci_high": float(np.quantile(difference, 1 - tail)),
        }
    method = (
        f"share of expected offences in the top {100 * top_fraction:g}% of areas: median and "
        f"{100 * level:g}% equal-tailed interval of {draws} draws from the Poisson-gamma "
        "empirical Bayes posterior (Marshall 1991 moment estimates, prior uncertainty by the "
        "Laird-Louis parametric bootstrap); change as the difference "
        "of independent draws of the two years"
    )
    return Concentration(pd.DataFrame(rows), change, method, level, top_fraction, draws)


# --------------------------------------------------------------------------------------------
# Funnel limits with overdispersion and persistent hot spots
# --------------------------------------------------------------------------------------------


def _funnel_core(y: np.ndarray, n: np.ndarray, level: float, winsor: float) -> dict[str, Any]:
    """Spiegelhalter's (2005) funnel on the square-root ratio scale for one year's areas."""
    rate = y.sum() / n.sum()
    expected = n * rate
    s = 1.0 / (2.0 * np.sqrt(expected))
    value = np.sqrt(y / expected)
    z = (value - 1.0) / s
    low, high = np.quantile(z, [winsor, 1 - winsor])
    z_w = np.clip(z, low, high)
    k = y.size
    phi = float(np.mean(z_w**2))
    w = 1.0 / s**2
    if k * phi > k - 1:
        tau2 = (k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum())
    else:
        tau2 = 0.0
    spread = np.sqrt(s**2 + tau2)
    q = stats.norm.ppf(1 - (1 - level) / 2)
    upper = (1.0 + q * spread) ** 2
    lower = np.maximum(1.0 - q * spread, 0.0) ** 2
    return {
        "rate": rate,
        "expected": expected,
        "ratio": y / expected,
        "z": (value - 1.0) / spread,
        "upper": upper,
        "lower": lower,
        "phi": phi,
        "tau2": float(tau2),
    }


@dataclass(frozen=True)
class Funnel(ResultMixin):
    """Result of :func:`overdispersed_funnel`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per area-year: ``area_code, year, registered_offences, population, expected,
        ratio, rate, lower, upper, z, position`` (rates and limits per ``per`` inhabitants;
        ``ratio`` observed over expected; ``position`` one of ``above``, ``below``, ``within``).
    years : pandas.DataFrame
        One row per year: ``year, rate, phi, tau2, overdispersed, n_areas, n_withheld``.
    method : str
    level : float
    per : float

    Notes
    -----
    ``to_frame()`` is the area-year table; ``to_dict()`` holds every field (the tables as row
    records) with ``method`` and ``method_spec`` (:class:`~rvs_analysis.stats.common.ResultMixin`).
    """

    _FRAME = "table"

    table: pd.DataFrame
    years: pd.DataFrame
    method: str
    level: float
    per: float

    @property
    def method_spec(self) -> MethodSpec:
        """The method as a code and its numbers (for the report's wording)."""
        return MethodSpec("funnel_overdispersed", {"level": self.level, "per": self.per})


def overdispersed_funnel(
    frame: pd.DataFrame,
    years: list[int] | None = None,
    level: float = 0.998,
    winsor: float = 0.05,
    per: float = 1000.0,
) -> Funnel:
    """Funnel limits for the areas' rates against the municipality's, with overdispersion.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``area_code, year, registered_offences, population`` (see :func:`area_year_totals`).
    years : list of int, optional
        The years (every year in the frame when omitted); each year has its own funnel.
    level : float, optional
        Two-sided level of the limits (0.998: an area of ordinary variation is above the upper
        limit in about 1 year in 1,000).
    winsor : float, optional
        Fraction winsorised at each end of the z-scores before the overdispersion is estimated.
    per : float, optional
        Rates per this many inhabitants.

    Returns
    -------
    Funnel
        Per area-year the ratio, the limits and the position; per year the target rate and the
        random-effect variance.

    Notes
    -----
    Method (Spiegelhalter 2005): the target is the year's pooled rate of the areas given (the
    municipality's rate when they are its buurten); each area's expected count is its
    population times it. On the square-root scale of the ratio observed / expected, ``Y =
    sqrt(O/E)`` has target 1 and Poisson standard error ``s = 1 / (2 sqrt(E))``. The z-scores
    ``(Y - 1)/s`` are winsorised at their ``winsor`` and ``1 - winsor`` quantiles; with ``phi``
    their mean square and ``K`` areas, an additive random effect of variance ``tau2 = (K phi -
    (K - 1)) / (sum w - sum w^2 / sum w)`` (``w = 1/s^2``; DerSimonian and Laird 1986) is
    added when ``K phi > K - 1``, else ``tau2 = 0``. The limits are ``(1 +- z_q sqrt(s^2 +
    tau2))^2`` on the ratio scale, times the target rate. The square root stabilises the
    Poisson variance, so one additive random effect fits large and small areas alike.
    Spiegelhalter winsorised 10% at each end; the default here is 5%, because the spread of
    crime rates between buurten is skewed to the right and cutting 10% removed real spread:
    in simulations (``docs/statistical_properties.md``) 0.8-0.9% of ordinary buurten were
    flagged as persistent hot spots with 10%, 0.4% with 5%, for the same power at 4x.

    Assumptions: areas independent; the random effect describes ordinary between-area
    variation, so an area outside the limits is unusual even allowing for it. False alarms and
    power of the persistence rule built on it are in ``docs/statistical_properties.md``.

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine* 24(8), 1185-1202.
    Spiegelhalter, D. J. et al. (2012). Statistical methods for healthcare regulation: rating,
    screening and surveillance. *JRSS A* 175(1), 1-47.
    DerSimonian, R. and Laird, N. (1986). Meta-analysis in clinical trials. *Controlled
    Clinical Trials* 7(3), 177-188.
    """
    level = check_level(level)
    if not 0 <= winsor < 0.5:
        raise StatisticsInputError(f"winsor must lie in [0, 0.5), got {winsor!r}.")
    totals = area_year_totals(frame)
    table = totals.table
    if years is not None:
        table = table[table[YEAR].isin([int(v) for v in years])].reset_index(drop=True)
    year_values = table[YEAR].to_numpy()
    y_all = table[COUNT].to_numpy(dtype=float)
    n_all = table[POPULATION].to_numpy(dtype=float)
    names = ("expected", "ratio", "lower", "upper", "z", "target")
    columns = {name: np.full(len(table), np.nan) for name in names}
    kept = np.zeros(len(table), dtype=bool)
    summaries = []
    for one in np.unique(year_values):
        rows = year_values == one
        y, n = y_all[rows], n_all[rows]
        if y.size < 3 or y.sum() <= 0:
            continue  # no funnel without a few areas and some offences
        core = _funnel_core(y, n, level, winsor)
        core["target"] = core["rate"]
        for name in names:
            columns[name][rows] = core[name]
        kept |= rows
        summaries.append(
            {
                "year": int(one),
                "rate": per * core["rate"],
                "phi": core["phi"],
                "tau2": core["tau2"],
                "overdispersed": core["tau2"] > 0,
                "n_areas": int(y.size),
                "n_withheld": totals.n_withheld(int(one)),
            }
        )
    if not summaries:
        raise StatisticsInputError(
            "No year has at least three areas with a published count and some offences: no funnel."
        )
    out = table.copy()
    for name in ("expected", "ratio"):
        out[name] = columns[name]
    out["rate"] = per * y_all / n_all
    out["lower"] = per * columns["target"] * columns["lower"]
    out["upper"] = per * columns["target"] * columns["upper"]
    out["z"] = columns["z"]
    out["position"] = np.select(
        [columns["ratio"] > columns["upper"], columns["ratio"] < columns["lower"]],
        ["above", "below"],
        "within",
    )
    out = out[kept].reset_index(drop=True)
    method = (
        f"funnel limits at {100 * level:g}% on the square-root ratio scale with an additive "
        f"random effect (Spiegelhalter 2005; DerSimonian-Laird tau2 from z-scores winsorised at "
        f"{100 * winsor:g}%), target the year's pooled rate"
    )
    return Funnel(out, pd.DataFrame(summaries), method, level, float(per))


def funnel_curve(funnel: Funnel, year: int, populations) -> pd.DataFrame:
    """The limits of one year's funnel over a range of populations, for drawing the funnel.

    Parameters
    ----------
    funnel : Funnel
        A result of :func:`overdispersed_funnel`.
    year : int
        One of its years.
    populations : array-like
        The populations at which to evaluate the limits.

    Returns
    -------
    pandas.DataFrame
        ``population, lower, upper`` (rates per ``funnel.per`` inhabitants).

    Notes
    -----
    The limits of :func:`overdispersed_funnel` at each population ``n``: expected count ``E = n r``
    (``r`` the year's target rate), ``s = 1 / (2 sqrt(E))``, limits ``r (1 +- z_q sqrt(s^2 +
    tau2))^2`` with the year's ``tau2`` (the lower one floored at 0).
    """
    row = funnel.years[funnel.years[YEAR] == int(year)]
    if row.empty:
        raise StatisticsInputError(f"The funnel has no year {year}.")
    rate = float(row["rate"].iloc[0]) / funnel.per
    tau2 = float(row["tau2"].iloc[0])
    n = np.asarray(populations, dtype=float)
    spread = np.sqrt(1.0 / (4.0 * n * rate) + tau2)
    q = stats.norm.ppf(1 - (1 - funnel.level) / 2)
    return pd.DataFrame(
        {
            POPULATION: n,
            "lower": funnel.per * rate * np.maximum(1.0 - q * spread, 0.0) ** 2,
            "upper": funnel.per * rate * (1.0 + q * spread) ** 2,
        }
    )


@dataclass(frozen=True)
class Hotspots(ResultMixin):
    """Result of :func:`persistent_hotspots`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per area: ``area_code, years_assessed, years_above, persistent, last_year,
        last_ratio, last_rate, last_upper, last_z`` (the ``last_`` values from the latest year
        of the window in which the area has a published count).
    window : list of int
        The years looked at.
    k : int
    funnel : Funnel
        The funnels of the window's years.
    method : str

    Notes
    -----
    ``to_frame()`` is the area table; ``to_dict()`` holds every field (the funnel as its own
    ``to_dict()``) with ``method`` and ``method_spec``
    (:class:`~rvs_analysis.stats.common.ResultMixin`).
    """

    _FRAME = "table"

    table: pd.DataFrame
    window: list[int]
    k: int
    funnel: Funnel
    method: str

    @property
    def method_spec(self) -> MethodSpec:
        """The method as a code and its numbers (for the report's wording)."""
        return MethodSpec(
            "persistent_hotspots",
            {"k": self.k, "n": len(self.window), "level": self.funnel.level},
        )


def persistent_hotspots(
    frame: pd.DataFrame,
    k: int = 3,
    n: int = 5,
    last_year: int | None = None,
    level: float = 0.998,
    winsor: float = 0.05,
) -> Hotspots:
    """Persistent hot spots: areas above the upper funnel limit in at least ``k`` of the last
    ``n`` years.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``area_code, year, registered_offences, population`` (see :func:`area_year_totals`).
    k : int, optional
        Years above the upper limit needed (3).
    n : int, optional
        Length of the window in years (5), ending at ``last_year``.
    last_year : int, optional
        The window's last year (the latest in the frame when omitted).
    level : float, optional
        Two-sided level of the funnel limits (:func:`overdispersed_funnel`).
    winsor : float, optional
        Winsorised fraction of the funnel's z-scores (:func:`overdispersed_funnel`).

    Returns
    -------
    Hotspots
        Per area the years assessed, the years above and the flag, with the latest figures.

    Notes
    -----
    Each year of the window gets its own funnel (:func:`overdispersed_funnel`, additive random effect
    on the square-root ratio scale). A year in which an area's count is withheld is not
    assessed and cannot count as a year above: the area needs ``k`` years above among the
    years it was assessed. A single year above its limit can be chance or a one-off; ``k`` of
    ``n`` asks that it recurs. With the defaults ``k = 3, n = 5`` and 99.8% limits, 0.3% of
    ordinary buurten were flagged in the simulations of ``docs/statistical_properties.md``
    (``hotspot-persistent-false-alarm``: 100 buurten whose rates vary with a coefficient of
    variation of 0.5); a buurt at 4x the municipality's rate was flagged in 96% of runs, one at
    2x in none: with that much ordinary variation between buurten, twice the municipality's
    rate is not unusual (4% of ordinary buurten are above it), and the random effect says so.

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine* 24(8), 1185-1202.
    Weisburd, D., Groff, E. R. and Yang, S.-M. (2012). *The Criminology of Place*. Oxford
    University Press (persistence of street-segment hot spots).
    """
    if not (isinstance(k, int | np.integer) and isinstance(n, int | np.integer) and 1 <= k <= n):
        raise StatisticsInputError(f"Need whole numbers 1 <= k <= n, got k={k!r}, n={n!r}.")
    totals = area_year_totals(frame)
    end = _year_of(totals, last_year)
    window = list(range(end - n + 1, end + 1))
    funnel = overdispersed_funnel(frame, years=window, level=level, winsor=winsor)
    table = funnel.table.sort_values([AREA, YEAR])
    above = table["position"].eq("above")
    grouped = table.assign(above=above).groupby(AREA, sort=True)
    last = grouped.tail(1).set_index(AREA)
    out = pd.DataFrame(
        {
            "years_assessed": grouped[YEAR].count(),
            "years_above": grouped["above"].sum().astype(int),
        }
    )
    out["persistent"] = out["years_above"] >= k
    out["last_year"] = last[YEAR]
    out["last_ratio"] = last["ratio"]
    out["last_rate"] = last["rate"]
    out["last_upper"] = last["upper"]
    out["last_z"] = last["z"]
    out = out.reset_index().sort_values(["persistent", "years_above", "last_z"], ascending=False)
    method = (
        f"persistent hot spot: above the upper limit in at least {k} of the {n} years "
        f"{window[0]}-{window[-1]} (years with a withheld count not assessed); " + funnel.method
    )
    return Hotspots(out.reset_index(drop=True), window, int(k), funnel, method)
