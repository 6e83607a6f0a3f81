"""Result types and argument checks shared by the statistics modules.

Every estimate a report states travels as an :class:`Estimate`: a point estimate with its interval,
the method that produced it and, where it makes sense, a p-value. ``Estimate.to_dict()`` gives the
exact shape the report summaries store, ``{"estimate": x, "ci_low": a, "ci_high": b}``.

The checks raise :class:`StatisticsInputError`, which is both an :class:`~rvs_analysis.exceptions.RvsError`
(a message for people) and a :class:`ValueError` (what callers and tests catch for bad arguments).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from scipy import integrate, optimize, stats

from rvs_analysis.exceptions import StatisticsInputError  # defined there, re-exported here

__all__ = [
    "MIN_CASES_PERCENT",
    "MIN_EVENTS_CHANGE",
    "too_few_for_change",
    "second_difference_dispersion",
    "LOCAL_NOISE_MAX_DF",
    "dispersion_reference",
    "COMPARISONS",
    "Estimate",
    "Forecast",
    "estimates_frame",
    "METHOD_CODES",
    "MethodSpec",
    "Result",
    "ResultMixin",
    "plain",
    "meets_threshold",
    "StatisticsInputError",
    "check_columns",
    "check_counts",
    "check_level",
    "check_nonempty",
    "check_positive_weights",
    "check_cleared_within_registered",
    "floored_dispersion",
    "floored_dispersions",
    "monte_carlo_error",
]


MIN_EVENTS_CHANGE = 10
"""Small-number rule for changes: with fewer than 10 events in the two years together (or none
in one of them, whose log rate has no value) a change is shown as "te weinig gevallen" with the
counts; one rule for every change (:func:`too_few_for_change`). A rule on each year separately
("10 in either year") cut off the tail of small areas' counts and made their test reject in
about 1% of null runs instead of 5%."""


def too_few_for_change(before: float, after: float) -> bool:
    """Whether a change between two counts is "te weinig gevallen" (:data:`MIN_EVENTS_CHANGE`).

    Parameters
    ----------
    before, after : float
        The two counts.

    Returns
    -------
    bool
        True with fewer than :data:`MIN_EVENTS_CHANGE` events together, or none in one year.
    """
    return bool(before + after < MIN_EVENTS_CHANGE or min(before, after) <= 0)


METHOD_CODES: dict[str, str] = {
    # code: what it names (its numbers are in MethodSpec.values; the report layer words them)
    "exact_poisson_ratio": "exact conditional Poisson rate ratio (Clopper-Pearson)",
    "quasi_poisson_ratio": "rate ratio with the area's quasi-Poisson year-to-year dispersion",
    "clearance_rate": "clearance percentage with a Wilson or Clopper-Pearson interval",
    "clearance_difference": "difference of two clearance percentages, quasi-binomial dispersion",
    "no_year_noise": "no interval and no test: too few years for the year-to-year noise",
    "eb_rates": "empirical Bayes (Poisson-gamma) smoothed rates with gamma-posterior intervals",
    "concentration": "share of expected offences in the top areas, parametric bootstrap interval",
    "funnel_overdispersed": "funnel limits with an additive random effect (DerSimonian-Laird)",
    "persistent_hotspots": "outside the funnel's upper limit in at least k of the last n years",
    "monthly_surveillance": "quasi-Poisson surveillance of monthly counts (improved Farrington)",
    "count_trend": "log-linear trend of yearly counts (quasi-Poisson, Poisson or NB2)",
    "count_forecast": "forecast by simulation from a count trend",
    "clearance_forecast": "forecast by simulation from a quasi-binomial clearance trend",
    "linear_forecast": "forecast from an OLS linear trend with a t prediction interval",
    "target_measured": "status from the measured value against the target and its interval",
    "target_no_observation": "no status: no observation up to the target year",
    "target_too_few_years": "no status: too few years for a forecast",
    "target_forecast_wide": "no status: the forecast interval spans most of the scale",
    "target_forecast": "status from the forecast probability of meeting the target",
    "area_trend_comparison": "areas' trends against a reference in one quasi-Poisson model",
    "area_trend_comparison_pairs": "each area's trend against a reference in its own model",
    "visibility_trend_comparison": "visible against less visible crime: category x year model",
    "change_funnel": "funnel of the change between two years, widened for overdispersion",
    "change_points": "search-aware test of one break or bend in a monthly series",
    "seasonal_effects": "month effects of a quasi-Poisson model with year levels",
    "seasonal_peak": "the peak month with a circular simulation window",
    "dark_months_ratio": "dark months against the others from the month effects",
    "clearance_drivers": "binomial GLM of clearance on drivers with cluster-robust errors",
    "weighted_proportion": "survey-weighted percentage with a Wilson interval on Kish n",
    "difference_in_differences": "difference in differences, wild cluster restricted bootstrap",
    "event_study": "event study with a pre-trend test (wild cluster bootstrap)",
    "published_pool": "pooled published estimates with their margins",
    "published_comparison": "pilots against the rest on published estimates",
    "published_change": "a group's random-effects pooled change of published estimates",
    "serial_noise": "AR(1) check of the year noise",
    "measured_interval": "a measured value's 95% interval (exact Poisson, Clopper-Pearson, margin)",
    "year_nowcast": "a year's total from its published months (seasonal share, quasi-Poisson)",
}
"""Every method code a result can carry (:class:`MethodSpec`), with what it names. The report
layer words each in Dutch (:mod:`rvs_analysis.report.methods_text`); a test fails on a code
without a wording."""


def plain(value: Any) -> Any:
    """``value`` as JSON-serialisable plain values (dicts, lists, str, int, float, bool, None).

    Parameters
    ----------
    value : Any
        A number, string, mapping, sequence, numpy value or array, pandas frame or series,
        timestamp, :class:`Estimate` or any object with a ``to_dict()``.

    Returns
    -------
    Any
        NaN and infinite floats and pandas' missing values (``NA``, ``NaT``) become None, frames
        a list of row records, estimates their full record (:meth:`Estimate.record`),
        timestamps ISO text, monthly periods ``2024-03``; anything else its ``str``.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, Estimate):
        return plain(value.record())
    if isinstance(value, MethodSpec):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, pd.DataFrame):
        return [plain(row) for row in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return plain(value.to_dict())
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, pd.Timestamp | dt.date):
        return None if pd.isna(value) else value.isoformat()
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    return str(value)


@dataclass(frozen=True)
class MethodSpec:
    """A method as a code and the numbers it used, for wording in any language.

    Attributes
    ----------
    code : str
        One of :data:`METHOD_CODES`.
    values : dict
        The numbers and choices the method used (dispersion, degrees of freedom, level,
        replicates, model, ...); nested specs (a forecast inside a target status) as dicts.

    Notes
    -----
    The statistics layer names its methods in English text (``method``) for library users and
    as a spec for reports: the report layer words specs in Dutch with Dutch number formatting
    (issue 30 item 4), so the statistics never write report language.
    """

    code: str
    values: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.code not in METHOD_CODES:
            raise StatisticsInputError(
                f"Unknown method code {self.code!r}; add it to METHOD_CODES (and its Dutch "
                "wording to rvs_analysis.report.methods_text)."
            )

    def updated(self, **values: Any) -> MethodSpec:
        """The same code with ``values`` added or replaced."""
        return MethodSpec(self.code, {**self.values, **values})

    def to_dict(self) -> dict[str, Any]:
        """``{"code": code, "values": {...}}`` as plain JSON values."""
        return {"code": self.code, "values": plain(self.values)}


@runtime_checkable
class Result(Protocol):
    """What every result of the statistics layer offers (issue 30 item 3).

    ``method`` names the method in English text; ``method_spec`` is the same as a code and its
    numbers (:class:`MethodSpec`, None where a method has no spec); ``to_frame()`` is a tidy
    DataFrame of the result's numbers; ``to_dict()`` its numbers as JSON-serialisable values.
    """

    @property
    def method(self) -> str: ...

    @property
    def method_spec(self) -> MethodSpec | None: ...

    def to_frame(self) -> pd.DataFrame: ...

    def to_dict(self) -> dict[str, Any]: ...


class ResultMixin:
    """``to_dict()`` and ``to_frame()`` for a result dataclass (see :class:`Result`).

    ``to_dict()`` holds every field but the model objects and raw data named in
    ``_NOT_IN_DICT``, plus ``method`` and ``method_spec``; ``to_frame()`` is one row of the
    scalar fields and the estimates (``name``, ``name_ci_low``, ``name_ci_high``,
    ``name_p_value``) and the method, unless the class has a table of its own (``_FRAME``, the
    name of a DataFrame field).
    """

    _NOT_IN_DICT: ClassVar[tuple[str, ...]] = ("results", "data", "draws", "totals")
    _FRAME: ClassVar[str | None] = None

    def to_dict(self) -> dict[str, Any]:
        """The result's numbers as JSON-serialisable plain values."""
        record = {
            item.name: plain(getattr(self, item.name))
            for item in dataclasses.fields(self)  # type: ignore[arg-type]
            if item.name not in self._NOT_IN_DICT
        }
        record["method"] = self.method  # type: ignore[attr-defined]
        spec = self.method_spec  # type: ignore[attr-defined]
        record["method_spec"] = None if spec is None else spec.to_dict()
        return record

    def to_frame(self) -> pd.DataFrame:
        """A tidy DataFrame of the result's numbers (see the class notes)."""
        if self._FRAME is not None:
            return getattr(self, self._FRAME).copy()
        row: dict[str, Any] = {}
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if item.name in self._NOT_IN_DICT:
                continue
            if isinstance(value, Estimate):  # flattened: name, name_ci_low, ...
                row[item.name] = value.estimate
                row[f"{item.name}_ci_low"] = value.ci_low
                row[f"{item.name}_ci_high"] = value.ci_high
                row[f"{item.name}_p_value"] = value.p_value
            elif value is None or isinstance(value, bool | int | float | str | np.number):
                row[item.name] = value
        row["method"] = self.method  # type: ignore[attr-defined]
        return pd.DataFrame([row])


MIN_CASES_PERCENT = 20
"""Small-number rule for percentages: fewer than 20 cases behind a percentage (registered
offences behind a clearance percentage) and it is shown as "te weinig gevallen" with the count."""


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval and the method behind it.

    Attributes
    ----------
    estimate : float
        The point estimate (NaN when the estimate is suppressed or undefined).
    ci_low, ci_high : float
        Bounds of the two-sided ``level`` confidence interval.
    method : str
        Short description of the estimator and interval, for the report's method section.
    level : float
        Confidence level of the interval, 0.95 unless stated.
    p_value : float or None
        Two-sided p-value against ``null_value`` where the method gives one.
    null_value : float or None
        The value meaning "no change / no effect" (1 for ratios, 0 for differences); used by
        :attr:`significant`.
    n : float or None
        Number of observations the estimate rests on (respondents, registered offences, ...).
    suppressed : bool
        True when the estimate is withheld (e.g. too few respondents); ``estimate`` is then NaN.
    details : dict
        Anything else worth keeping (model name, dispersion, effective sample size, ...).
    method_spec : MethodSpec or None
        The method as a code and its numbers (for the report layer's Dutch wording).

    Notes
    -----
    ``to_dict()`` is the summary shape (estimate and interval only); :meth:`record` and
    :meth:`to_frame` hold everything else too.
    """

    estimate: float
    ci_low: float
    ci_high: float
    method: str
    level: float = 0.95
    p_value: float | None = None
    null_value: float | None = None
    n: float | None = None
    suppressed: bool = False
    details: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    method_spec: MethodSpec | None = field(default=None, compare=False, hash=False)

    @property
    def significant(self) -> bool:
        """Whether the interval excludes ``null_value`` (False when there is no null or no estimate)."""
        if self.null_value is None or self.suppressed:
            return False
        if any(math.isnan(v) for v in (self.ci_low, self.ci_high)):
            return False
        return not (self.ci_low <= self.null_value <= self.ci_high)

    def to_dict(self) -> dict[str, float | None]:
        """The summary shape ``{"estimate": x, "ci_low": a, "ci_high": b}`` (NaN/inf become None)."""

        def clean(value: float) -> float | None:
            value = float(value)
            return value if math.isfinite(value) else None

        return {
            "estimate": clean(self.estimate),
            "ci_low": clean(self.ci_low),
            "ci_high": clean(self.ci_high),
        }

    def record(self) -> dict[str, Any]:
        """Every number of the estimate as plain values: the interval, level, p-value, null
        value, n, whether it is suppressed and significant, and the details."""
        return {
            **self.to_dict(),
            "level": self.level,
            "p_value": plain(self.p_value),
            "null_value": self.null_value,
            "n": plain(self.n),
            "suppressed": self.suppressed,
            "significant": self.significant,
            "details": plain(self.details),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row: the estimate, its interval, level, p-value, null value, n, suppressed,
        significant and the method."""
        row = {key: value for key, value in self.record().items() if key != "details"}
        return pd.DataFrame([{**row, "method": self.method}])

    def scaled(self, factor: float, method: str | None = None) -> Estimate:
        """The same estimate multiplied by a positive ``factor`` (e.g. 100 for percentages)."""
        if factor <= 0:
            raise StatisticsInputError(f"Scale factor must be positive, got {factor!r}.")
        null = None if self.null_value is None else self.null_value * factor
        return Estimate(
            estimate=self.estimate * factor,
            ci_low=self.ci_low * factor,
            ci_high=self.ci_high * factor,
            method=method or self.method,
            level=self.level,
            p_value=self.p_value,
            null_value=null,
            n=self.n,
            suppressed=self.suppressed,
            details=dict(self.details),
            method_spec=self.method_spec,
        )


@dataclass(frozen=True)
class Forecast(ResultMixin):
    """A forecast of one year's value with a prediction interval from simulation.

    Attributes
    ----------
    year : int
    mean : float
        The point forecast: the trend's expected value in ``year`` for count trends (always
        inside the interval), the simulated mean for the other forecasts.
    pi_low, pi_high : float
        Bounds of the central prediction interval at ``level``.
    level : float
    draws : numpy.ndarray
        The simulated values (parameter uncertainty plus sampling noise).
    method : str
    """

    year: int
    mean: float
    pi_low: float
    pi_high: float
    level: float
    draws: np.ndarray = field(repr=False, compare=False)
    method: str = ""
    method_spec: MethodSpec | None = field(default=None, compare=False)

    def probability(self, threshold: float, comparison: str) -> float:
        """Share of simulated values that satisfy ``value <comparison> threshold``."""
        return float(np.mean(meets_threshold(self.draws, comparison, threshold)))

    def to_dict(self) -> dict[str, float]:
        """``{"estimate": mean, "ci_low": pi_low, "ci_high": pi_high}`` (prediction interval:
        the summary shape; ``to_frame()`` holds the year, level and method too)."""
        return plain({"estimate": self.mean, "ci_low": self.pi_low, "ci_high": self.pi_high})


def estimates_frame(estimates: Mapping[str, Estimate], name: str = "quantity") -> pd.DataFrame:
    """One row per named estimate (:meth:`Estimate.to_frame`), the name in column ``name``.

    Parameters
    ----------
    estimates : mapping of str to Estimate
    name : str, optional
        Heading of the column of names.

    Returns
    -------
    pandas.DataFrame
    """
    frames = [estimate.to_frame().assign(**{name: key}) for key, estimate in estimates.items()]
    if not frames:
        return pd.DataFrame(columns=[name, "estimate", "ci_low", "ci_high"])
    frame = pd.concat(frames, ignore_index=True)
    return frame[[name, *[column for column in frame.columns if column != name]]]


def floored_dispersion(pearson: float, df: float) -> tuple[float, float]:
    """The dispersion an interval uses and the degrees of freedom of its reference distribution.

    Parameters
    ----------
    pearson : float
        Pearson X2/df of the Poisson (or binomial) fit; NaN when there is no residual df.
    df : float
        Residual degrees of freedom of that fit.

    Returns
    -------
    (float, float)
        ``(phi, reference_df)``: ``phi = max(1, X2/df)`` and ``reference_df = df`` when the
        dispersion is estimated (``X2/df > 1``), ``inf`` (the normal) when the floor binds or
        there is no residual df.

    Notes
    -----
    Counts are never taken as less variable than Poisson, so the dispersion is floored at 1. When
    the floor binds the dispersion is not estimated but fixed at its Poisson value, and the
    reference is the normal, as for a Poisson model; only an estimated dispersion carries the
    extra uncertainty that t(df) allows for. Floor with t(df) throughout covered 97-99% in the
    simulations of ``docs/statistical_properties.md`` on exactly Poisson counts (6-13 years);
    this rule 95-97%, and the same as quasi-Poisson t intervals under overdispersion.

    Below :data:`LOCAL_NOISE_MAX_DF` degrees of freedom (a local estimate from a few years,
    :func:`second_difference_dispersion`) an estimate below 1 tells nothing about whether the
    noise is Poisson: the estimate is returned as it is, with ``reference_df = df`` (the floor
    with the normal rejected a true null in 7-9% of simulated runs, see there).
    """
    if math.isfinite(pearson) and 0 < df < LOCAL_NOISE_MAX_DF and pearson > 0:
        return float(pearson), float(df)
    if not (math.isfinite(pearson) and df > 0) or pearson <= 1.0:
        return 1.0, math.inf
    return float(pearson), float(df)


def floored_dispersions(pearson, df) -> tuple[np.ndarray, np.ndarray]:
    """:func:`floored_dispersion` elementwise, for many fits at once.

    Parameters
    ----------
    pearson : array-like
        Pearson X2/df of each fit; NaN where there is no residual df.
    df : array-like
        Residual degrees of freedom of each fit (broadcast against ``pearson``).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``(phi, reference_df)`` per fit, by the rule of :func:`floored_dispersion` (a test
        checks that the two agree on every case of the rule).

    Notes
    -----
    The array form for the count engine (:mod:`rvs_analysis.stats.count_model`), whose batch
    fits hundreds of series at once; the scalar function stays the fast path for one fit.
    """
    p = np.asarray(pearson, dtype=float)
    d = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        estimable = np.isfinite(p) & (d > 0)
        local = estimable & (d < LOCAL_NOISE_MAX_DF) & (p > 0)
        floored = ~local & (~estimable | (p <= 1.0))
    return np.where(floored, 1.0, p), np.where(floored, np.inf, d)


LOCAL_NOISE_MAX_DF = 3.0
"""Below this many degrees of freedom a dispersion is a local estimate from a short series
(:func:`second_difference_dispersion`, at most 2.8): :func:`floored_dispersion` keeps it as
estimated, with its t reference, instead of flooring it at 1 with the normal."""


def second_difference_dispersion(
    points: dict[int, tuple[float, float]],
) -> tuple[float | None, float | None]:
    """Dispersion of a yearly series' noise from second differences of its transformed values.

    Parameters
    ----------
    points : dict of int to (float, float)
        Per usable year ``(y, v)``: the value on the model's linear scale (log rate, logit of a
        percentage) and its sampling variance at dispersion 1 (``1 / k`` for a log count,
        ``1 / (n p (1 - p))`` for a logit).

    Returns
    -------
    (float or None, float or None)
        ``(phi, df)``: the dispersion as estimated (not floored at 1, see Notes) and the degrees
        of freedom of the t distribution whose two-sided 95% critical value is that of the exact
        reference distribution (below :data:`LOCAL_NOISE_MAX_DF`); ``(None, None)`` when no three
        consecutive usable years exist.

    Notes
    -----
    For every three consecutive usable years ``t-1, t, t+1`` the second difference
    ``d = y[t+1] - 2 y[t] + y[t-1]`` removes the level and any locally linear trend, so a bend in
    the trend barely counts. With ``Var(y[t]) = phi v[t]``, ``E d^2 = phi (v[t+1] + 4 v[t] +
    v[t-1])``; ``phi`` is the mean of ``d^2`` divided by that sum.

    Reference distribution: the differences overlap (correlation about -2/3 at lag 1 and 1/6 at
    lag 2), so ``phi_hat / phi`` is not a scaled chi-square but ``Q = sum_i lambda_i chi2_1``
    with ``lambda`` the eigenvalues of the differences' correlation matrix (from the actual
    ``v``) over their number. A change ``D`` between two other years, independent of them, gives
    ``D / sqrt(phi_hat Var1(D)) ~ Z / sqrt(Q)``; its two-sided 5% critical value ``c`` solves
    ``P(Z^2 > c^2 Q) = 0.05`` (Imhof 1961, numerical inversion of the characteristic function),
    and ``df`` is that of the t distribution with the same critical value (two adjacent
    differences: ``c`` = 4.92, df 1.76; four: 3.30, df 2.82). The test and the 95% interval are
    therefore exact under normal year noise; other levels are approximate. A Satterthwaite df
    (1.38 for two differences) made the test conservative (size 2.7%).

    The estimate is not floored at 1: with one to three degrees of freedom an estimate below 1
    does not show that the noise is binomial or Poisson, and flooring it with the normal
    reference (as :func:`floored_dispersion` does for longer series) rejected in 7-9% of null
    runs, flooring with the t reference in 0.2-2% (six years of a clearance percentage with logit
    noise sd 0.08). Assumes independent noise between years.
    """
    centres = [year for year in sorted(points) if year - 1 in points and year + 1 in points]
    if not centres:
        return None, None
    years = sorted({year + step for year in centres for step in (-1, 0, 1)})
    position = {year: i for i, year in enumerate(years)}
    values = np.array([points[year][0] for year in years])
    variances = np.array([points[year][1] for year in years])
    coefficients = np.zeros((len(centres), len(years)))
    for row, year in enumerate(centres):
        coefficients[row, position[year] - 1 : position[year] + 2] = (1.0, -2.0, 1.0)
    covariance = coefficients @ np.diag(variances) @ coefficients.T
    scale = np.sqrt(np.diag(covariance))
    differences = coefficients @ values
    phi = float(np.mean(differences**2 / scale**2))
    correlation = covariance / np.outer(scale, scale)
    weights = np.linalg.eigvalsh(correlation) / len(centres)
    df = _equivalent_t_df(tuple(float(w) for w in np.round(np.clip(weights, 0, None), 4)))
    return max(phi, 1e-9), df


@functools.lru_cache(maxsize=256)
def _equivalent_t_df(weights: tuple[float, ...]) -> float:
    """Degrees of freedom of the t whose 97.5% quantile is the critical value ``c`` with
    ``P(Z^2 > c^2 sum(w_i chi2_1)) = 0.05`` (Imhof's formula)."""
    kept = [w for w in weights if w > 0]

    def exceed(c: float) -> float:
        a = np.array([1.0, *(-c * c * w for w in kept)])

        def integrand(u: float) -> float:
            theta = 0.5 * np.sum(np.arctan(a * u))
            rho = np.prod((1 + (a * u) ** 2) ** 0.25)
            return math.sin(theta) / (u * rho)

        value = integrate.quad(integrand, 0, np.inf, limit=400)[0]
        return 0.5 + value / math.pi

    critical = optimize.brentq(lambda c: exceed(c) - 0.05, 1.0, 200.0)
    return float(optimize.brentq(lambda d: stats.t(d).ppf(0.975) - critical, 0.05, 1e4))


def dispersion_reference(dispersion: float, df: float | None) -> tuple[float, float]:
    """The dispersion and reference df a test uses for a given ``(dispersion, df)``.

    Parameters
    ----------
    dispersion : float
        The dispersion (quasi-Poisson or quasi-binomial).
    df : float or None
        Its degrees of freedom; ``None`` for a dispersion taken as known.

    Returns
    -------
    (float, float)
        :func:`floored_dispersion` of the two; with ``df = None`` ``(max(1, dispersion), inf)``
        (the normal with the dispersion as given; it used to be dropped for the Poisson's 1).
    """
    if df is None:
        return max(1.0, float(dispersion)), math.inf
    return floored_dispersion(float(dispersion), float(df))


def monte_carlo_error(draws: int, probability: float = 0.5) -> float:
    """Monte Carlo standard error of a probability estimated from ``draws`` simulations.

    Parameters
    ----------
    draws : int
        Number of simulations (forecast draws, bootstrap replicates).
    probability : float, default 0.5
        The probability estimated; 0.5 gives the largest error.

    Returns
    -------
    float
        ``sqrt(p (1 - p) / draws)``.

    Notes
    -----
    Binomial standard error of a simulated share. It is what the simulation sizes of the reports
    were chosen by: 5,000 forecast draws leave at most 0.7 percentage point on a probability of
    meeting a target (0.4 at the 0.9 band), 999 bootstrap replicates 0.7 point on a p-value near
    0.05.
    """
    return math.sqrt(probability * (1 - probability) / max(int(draws), 1))


def check_level(level: float) -> float:
    """Check a confidence level.

    Parameters
    ----------
    level : float
        Confidence level, strictly between 0 and 1 (0.95, not 95).

    Returns
    -------
    float
        The level as a float.

    Notes
    -----
    No statistics: argument checking shared by the estimators; raises
    :class:`StatisticsInputError` (a ``ValueError``).
    """
    try:
        level = float(level)
    except (TypeError, ValueError):
        raise StatisticsInputError(f"Confidence level must be a number, got {level!r}.") from None
    if not 0 < level < 1:
        raise StatisticsInputError(
            f"Confidence level must lie strictly between 0 and 1 (e.g. 0.95), got {level!r}."
        )
    return level


def check_counts(values: Any, name: str, allow_empty: bool = False) -> np.ndarray:
    """Check counts (offences, respondents, inhabitants).

    Parameters
    ----------
    values : scalar or array-like
        The counts.
    name : str
        Argument or column name for the message.
    allow_empty : bool, optional
        Accept an empty array.

    Returns
    -------
    numpy.ndarray
        The counts as a one-dimensional float array.

    Raises
    ------
    StatisticsInputError
        If the values are empty (unless ``allow_empty``), missing, negative, infinite or not
        whole numbers.

    Notes
    -----
    Every count model in this package assumes whole, non-negative counts.
    """
    array = (
        np.asarray(values, dtype=float).reshape(-1)
        if np.ndim(values)
        else np.asarray([values], dtype=float)
    )
    if array.size == 0 and not allow_empty:
        raise StatisticsInputError(f"'{name}' is empty: there is nothing to estimate from.")
    if np.isnan(array).any():
        raise StatisticsInputError(
            f"'{name}' contains missing values; drop or fill them before estimating."
        )
    if not np.isfinite(array).all():
        raise StatisticsInputError(f"'{name}' contains infinite values.")
    if (array < 0).any():
        first = array[array < 0][0]
        raise StatisticsInputError(
            f"'{name}' contains a negative count ({first:g}); counts of offences, respondents or "
            "inhabitants cannot be negative."
        )
    if (np.abs(array - np.round(array)) > 1e-9).any():
        raise StatisticsInputError(f"'{name}' must hold whole numbers (counts).")
    return array


def check_cleared_within_registered(cleared: np.ndarray, registered: np.ndarray) -> None:
    """Check that no cleared count exceeds its registered count.

    Parameters
    ----------
    cleared, registered : numpy.ndarray
        Arrays of equal length (from :func:`check_counts`).

    Returns
    -------
    None

    Notes
    -----
    A clearance percentage above 100% means swapped columns or mismatched sources; raises
    :class:`StatisticsInputError` naming the first offending position.
    """
    if cleared.shape != registered.shape:
        raise StatisticsInputError(
            "Cleared and registered offences must have the same length "
            f"({cleared.size} against {registered.size})."
        )
    over = cleared > registered
    if over.any():
        index = int(np.argmax(over))
        raise StatisticsInputError(
            f"More cleared than registered offences at position {index} "
            f"({cleared[index]:g} cleared of {registered[index]:g} registered); a clearance "
            "percentage above 100% means the two columns are swapped or from different sources."
        )


def check_positive_weights(weights: Any, name: str = "weight") -> np.ndarray:
    """Check survey weights.

    Parameters
    ----------
    weights : array-like
        One weight per respondent.
    name : str, optional
        Column name for the message.

    Returns
    -------
    numpy.ndarray
        The weights as a float array.

    Notes
    -----
    Weights must be finite and > 0: a respondent who should not count is dropped, not given
    weight 0 (which would distort the effective sample size).
    """
    array = np.asarray(weights, dtype=float).reshape(-1)
    if array.size == 0:
        raise StatisticsInputError(f"'{name}' is empty: there are no respondents.")
    if not np.isfinite(array).all():
        raise StatisticsInputError(f"'{name}' contains missing or infinite survey weights.")
    if (array <= 0).any():
        raise StatisticsInputError(
            f"'{name}' contains a weight <= 0 ({array[array <= 0][0]:g}); survey weights must be "
            "positive (drop respondents who should not count instead of giving them weight 0)."
        )
    return array


def check_nonempty(frame: pd.DataFrame | pd.Series, name: str) -> None:
    """Check that a frame or series has rows.

    Parameters
    ----------
    frame : pandas.DataFrame or pandas.Series
    name : str
        Name for the message.

    Returns
    -------
    None

    Notes
    -----
    Raises :class:`StatisticsInputError` for an empty input.
    """
    if len(frame) == 0:
        raise StatisticsInputError(f"'{name}' is empty: there is nothing to estimate from.")


def check_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Check that ``frame`` is a non-empty DataFrame with the required columns.

    Parameters
    ----------
    frame : pandas.DataFrame
    columns : iterable of str
        Required column names (the tidy layout of docs/ARCHITECTURE.md).
    name : str
        Name of the frame for the message.

    Returns
    -------
    None

    Notes
    -----
    Raises :class:`StatisticsInputError` listing the missing and the present columns.
    """
    if not isinstance(frame, pd.DataFrame):
        raise StatisticsInputError(
            f"'{name}' must be a pandas DataFrame, got {type(frame).__name__}."
        )
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise StatisticsInputError(
            f"'{name}' lacks the column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, frame.columns))}. See the tidy layout in docs/ARCHITECTURE.md."
        )
    check_nonempty(frame, name)


COMPARISONS = ("<=", "<", ">=", ">")
"""The comparisons a target can state (a strategy's ``targets.csv``, column ``comparison``)."""


def meets_threshold(values: np.ndarray, comparison: str, threshold: float) -> np.ndarray:
    """Element-wise whether ``values`` meet ``threshold`` under ``comparison``.

    Parameters
    ----------
    values : numpy.ndarray
        Observed or simulated values.
    comparison : str
        One of :data:`COMPARISONS` (``"<="``, ``"<"``, ``">="``, ``">"``).
    threshold : float
        The target value.

    Returns
    -------
    numpy.ndarray
        Booleans, one per value.

    Raises
    ------
    StatisticsInputError
        For another comparison.
    """
    if comparison == "<=":
        return values <= threshold
    if comparison == "<":
        return values < threshold
    if comparison == ">=":
        return values >= threshold
    if comparison == ">":
        return values > threshold
    raise StatisticsInputError(f"Unknown comparison {comparison!r}; use one of {COMPARISONS}.")
