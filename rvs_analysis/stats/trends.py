"""Change between counts and trends over years of registered crime.

Change between counts
    :func:`index_to_base`, :func:`rate_interval` (exact Poisson, Garwood), :func:`rate_ratio_interval`
    (exact conditional Poisson ratio interval), :func:`count_change` (the same as a percentage change),
    :func:`year_on_year_change` and :func:`base_year_change` (tables with a ``significant`` column the
    reports word from).
Trend over years
    :func:`fit_count_trend`: quasi-Poisson GLM with a log(population) offset and dispersion
    ``max(1, X2/df)`` (Poisson or negative binomial on request), widened for AR(1) year noise
    (:mod:`rvs_analysis.stats.serial`); gives the annual rate ratio and forecasts with prediction
    intervals (:meth:`CountTrend.forecast`); :func:`area_dispersion` gives the dispersion every
    year-on-year change interval uses. The GLMs are fitted by
    :mod:`rvs_analysis.stats.count_model`.

All intervals are two-sided 95% unless ``level`` says otherwise.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from rvs_analysis.exceptions import CountModelConvergenceError
from rvs_analysis.stats.common import (
    Estimate,
    Forecast,
    MethodSpec,
    ResultMixin,
    StatisticsInputError,
    check_columns,
    check_counts,
    check_level,
    check_nonempty,
    dispersion_reference,
    second_difference_dispersion,
)
from rvs_analysis.stats.count_model import CountFit, fit_counts
from rvs_analysis.stats.serial import (
    SerialNoise,
    ar1_noise,
    cameron_trivedi_test,
    independence_note,
    independence_values,
    trend_method_spec,
)

__all__ = [
    "CountTrend",
    "YEAR_NOISE_METHOD",
    "area_dispersion",
    "detectable_change",
    "project_population",
    "quasi_poisson_ratio_interval",
    "Forecast",
    "base_year_change",
    "cameron_trivedi_test",
    "count_change",
    "fit_count_trend",
    "index_to_base",
    "rate_interval",
    "rate_ratio_interval",
    "year_on_year_change",
]


def _year_series(counts: pd.Series, name: str) -> pd.Series:
    if not isinstance(counts, pd.Series):
        raise StatisticsInputError(
            f"'{name}' must be a pandas Series indexed by year, got {type(counts).__name__}."
        )
    check_nonempty(counts, name)
    if counts.index.has_duplicates:
        raise StatisticsInputError(f"'{name}' has duplicate years in its index.")
    return counts.sort_index()


def index_to_base(values: pd.Series, base_year: int) -> pd.Series:
    """Index a yearly series to a base year (base year = 100).

    Parameters
    ----------
    values : pandas.Series
        Non-negative values (counts or rates) indexed by year.
    base_year : int
        The year that becomes 100.

    Returns
    -------
    pandas.Series
        ``100 * values / values[base_year]``, same index.

    Notes
    -----
    A plain ratio without uncertainty; use :func:`base_year_change` for the change with an
    exact interval. The base value must be positive.
    """
    values = _year_series(values, "values")
    if base_year not in values.index:
        raise StatisticsInputError(
            f"Base year {base_year} is not in the series (years {values.index.min()}-"
            f"{values.index.max()})."
        )
    array = np.asarray(values, dtype=float)
    if np.isnan(array).any() or (array < 0).any():
        raise StatisticsInputError("'values' must be non-negative and not missing.")
    base = float(values.loc[base_year])
    if base <= 0:
        raise StatisticsInputError(
            f"The base-year value is {base:g}; an index needs a positive base."
        )
    return values.astype(float) * 100.0 / base


def rate_interval(
    counts: Any,
    exposures: Any,
    per: float = 1000.0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Rates per ``per`` units of exposure with exact (Garwood) Poisson intervals, vectorised.

    Parameters
    ----------
    counts : array-like of int
        Registered counts (whole, non-negative).
    exposures : array-like of float
        Exposure per count, e.g. the population (positive).
    per : float, optional
        Rate unit, default per 1,000.
    level : float, optional
        Confidence level, default 0.95.

    Returns
    -------
    pandas.DataFrame
        ``rate``, ``ci_low``, ``ci_high``, one row per count.

    Notes
    -----
    The exact interval for a Poisson mean ``k`` is ``chi2(alpha/2, 2k)/2`` to
    ``chi2(1 - alpha/2, 2k + 2)/2`` (Garwood 1936), divided by the exposure. It assumes the count
    is Poisson given the exposure: no overdispersion, which holds for one area-year but not for a
    comparison across years (use :func:`fit_count_trend` there). The exposure is taken as known
    (population figures carry no sampling error).

    References
    ----------
    Garwood, F. (1936). Fiducial limits for the Poisson distribution. Biometrika 28, 437-442.
    """
    level = check_level(level)
    count_values = check_counts(counts, "counts")
    exposure_values = np.asarray(exposures, dtype=float).reshape(-1)
    if exposure_values.shape != count_values.shape:
        raise StatisticsInputError(
            f"'exposures' has {exposure_values.size} values for {count_values.size} counts."
        )
    if not np.all(np.isfinite(exposure_values) & (exposure_values > 0)):
        raise StatisticsInputError("Every exposure must be a positive number.")
    alpha = 1 - level
    low = np.where(count_values > 0, stats.chi2.ppf(alpha / 2, 2 * count_values) / 2, 0.0)
    high = stats.chi2.ppf(1 - alpha / 2, 2 * count_values + 2) / 2
    scale = per / exposure_values
    return pd.DataFrame(
        {"rate": count_values * scale, "ci_low": low * scale, "ci_high": high * scale}
    )


def add_rate_interval(table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Add the exact Poisson interval of ``rate_per_1000`` to a table of counts and populations.

    Parameters
    ----------
    table : pandas.DataFrame
        With ``registered_offences`` and ``population`` per row, such as
        :func:`rvs_analysis.regions.area_table` with ``rate=True``.
    level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        A copy with ``rate_ci_low`` and ``rate_ci_high`` (per 1,000; missing where the count is
        missing, the population is not positive or the count is ``estimated_from_successor``:
        apportioned by population share, it is no Poisson count).

    Notes
    -----
    :func:`rate_interval` per row (exact Poisson limits of Garwood, 1936, divided by the
    population); the population is treated as known.
    """
    check_columns(table, ["registered_offences", "population"], "table")
    out = table.copy()
    out["rate_ci_low"] = pd.Series(pd.NA, index=out.index, dtype="Float64")
    out["rate_ci_high"] = pd.Series(pd.NA, index=out.index, dtype="Float64")
    known = out["registered_offences"].notna() & (out["population"].fillna(0) > 0)
    if "estimated_from_successor" in out.columns:  # an apportioned count has no exact interval
        known &= ~out["estimated_from_successor"].astype(bool)
    if known.any():
        intervals = rate_interval(
            out.loc[known, "registered_offences"].astype(int).to_numpy(),
            out.loc[known, "population"].astype(float).to_numpy(),
            level=level,
        )
        out.loc[known, "rate_ci_low"] = intervals["ci_low"].to_numpy()
        out.loc[known, "rate_ci_high"] = intervals["ci_high"].to_numpy()
    return out


def rate_ratio_interval(
    count_before: float,
    count_after: float,
    exposure_before: float = 1.0,
    exposure_after: float = 1.0,
    level: float = 0.95,
) -> Estimate:
    """Exact interval for the ratio of two Poisson rates (after / before).

    Parameters
    ----------
    count_before, count_after : int
        Registered counts in the reference period and in the period compared with it.
    exposure_before, exposure_after : float, optional
        Exposures (e.g. population, or 1 for plain counts). The ratio is of
        ``count / exposure``.
    level : float, optional
        Confidence level, default 0.95.

    Returns
    -------
    Estimate
        ``estimate`` = rate ratio, ``ci_low``/``ci_high`` its exact interval, ``p_value`` the
        exact conditional binomial test of ratio 1 in its central form (twice the smaller tail),
        the test the interval inverts, so they always agree; ``null_value`` = 1.

    Notes
    -----
    Conditional method: given the total ``n = count_before + count_after``, ``count_after`` is
    Binomial(n, pi) with ``pi = E_a RR / (E_b + E_a RR)``. The Clopper-Pearson interval for pi is
    transformed to the ratio, ``RR = pi / (1 - pi) * E_b / E_a``. Assumes both counts are
    independent Poisson counts (no overdispersion); for counts of thousands year-to-year
    variation beyond Poisson makes the interval too narrow, so use :func:`fit_count_trend` for
    series. When ``count_before`` is 0 the ratio and upper limit are infinite; when both are 0
    the ratio is undefined (NaN, interval 0 to infinity).

    References
    ----------
    Breslow, N.E. & Day, N.E. (1987). Statistical Methods in Cancer Research II, section 2.2.
    """
    level = check_level(level)
    before, after = check_counts([count_before, count_after], "counts")
    for value, name in ((exposure_before, "exposure_before"), (exposure_after, "exposure_after")):
        if not (np.isfinite(value) and value > 0):
            raise StatisticsInputError(f"'{name}' must be a positive number, got {value!r}.")
    alpha = 1 - level
    total = before + after
    exposure_factor = exposure_before / exposure_after
    method = "exact conditional Poisson rate ratio (Clopper-Pearson on after/(before+after))"
    spec = MethodSpec("exact_poisson_ratio", {"level": level})
    if total == 0:
        return Estimate(math.nan, 0.0, math.inf, method, level, 1.0, 1.0, n=0.0, method_spec=spec)
    pi_low = 0.0 if after == 0 else stats.beta.ppf(alpha / 2, after, before + 1)
    pi_high = 1.0 if before == 0 else stats.beta.ppf(1 - alpha / 2, after + 1, before)

    def to_ratio(pi: float) -> float:
        return math.inf if pi >= 1 else pi / (1 - pi) * exposure_factor

    ratio = math.inf if before == 0 else (after / exposure_after) / (before / exposure_before)
    null_pi = exposure_after / (exposure_before + exposure_after)
    # the central (equal-tailed) test is the one whose inversion is the Clopper-Pearson interval,
    # so p < 1 - level exactly when the interval excludes 1 (binomtest's default "minlike"
    # p-value disagreed on 71 of 6,561 count pairs: 0 -> 6 at exposures 1 : 1.3, p = 0.039)
    lower_tail = stats.binom.cdf(int(after), int(total), null_pi)
    upper_tail = stats.binom.sf(int(after) - 1, int(total), null_pi)
    p_value = min(1.0, 2.0 * min(lower_tail, upper_tail))
    return Estimate(
        estimate=float(ratio),
        ci_low=float(to_ratio(pi_low)),
        ci_high=float(to_ratio(pi_high)),
        method=method,
        level=level,
        p_value=float(p_value),
        null_value=1.0,
        n=float(total),
        method_spec=spec,
    )


def quasi_poisson_ratio_interval(
    count_before: float,
    count_after: float,
    exposure_before: float = 1.0,
    exposure_after: float = 1.0,
    dispersion: float = 1.0,
    df: float | None = None,
    level: float = 0.95,
) -> Estimate:
    """Ratio of two rates with the year-to-year noise of the area (quasi-Poisson dispersion).

    Parameters
    ----------
    count_before, count_after : int
        Registered counts of the two years (both > 0).
    exposure_before, exposure_after : float, optional
        Exposures (population, or 1).
    dispersion : float, optional
        Quasi-Poisson dispersion ``phi`` of the area's series (``CountTrend.scale``, at least 1):
        variance ``phi * mu`` for each year's count.
    df : float, optional
        Degrees of freedom of the dispersion estimate (``CountTrend.df_resid``); t reference with
        ``df`` degrees of freedom, normal when omitted or when ``dispersion`` is at its floor 1.
    level : float, optional

    Returns
    -------
    Estimate
        Rate ratio (after / before) with its interval and two-sided p-value (null 1).

    Notes
    -----
    ``log RR = log(k2/E2) - log(k1/E1)`` with ``Var = phi (1/k1 + 1/k2)`` (delta method under
    ``Var(k) = phi mu``) and a t(df) reference, because ``phi`` is estimated from the same short
    series. With ``phi = 1`` and large counts this is the Wald interval of the exact Poisson
    comparison; with ``phi`` estimated from the area's trend it carries the year-to-year noise
    that an exact Poisson test ignores (under no change but 4% year noise the exact test calls
    20-60% of changes significant; this one about 5%, see ``docs/statistical_properties.md``).
    Counts of 0 have no log: the caller shows them as "te weinig gevallen".
    """
    level = check_level(level)
    before, after = check_counts([count_before, count_after], "counts")
    if before <= 0 or after <= 0:
        raise StatisticsInputError(
            "A quasi-Poisson change needs counts above 0 in both years (report it as too few cases)."
        )
    if not (np.isfinite(dispersion) and dispersion > 0):
        raise StatisticsInputError(f"dispersion must be positive, got {dispersion!r}.")
    # at the floor phi = 1 no dispersion is estimated: normal reference (floored_dispersion)
    phi, reference_df = dispersion_reference(dispersion, df)
    log_ratio = math.log((after / exposure_after) / (before / exposure_before))
    se = math.sqrt(phi * (1 / before + 1 / after))
    reference = stats.t(df=reference_df)
    quantile = reference.ppf(1 - (1 - level) / 2)
    reference_name = f"t({reference_df:g})" if math.isfinite(reference_df) else "normal"
    return Estimate(
        estimate=math.exp(log_ratio),
        ci_low=math.exp(log_ratio - quantile * se),
        ci_high=math.exp(log_ratio + quantile * se),
        method=(
            f"rate ratio with quasi-Poisson dispersion {phi:.2f} of the area's year-to-year "
            "noise, "
            f"{reference_name} interval"
        ),
        level=level,
        p_value=float(2 * reference.sf(abs(log_ratio / se))),
        null_value=1.0,
        n=float(before + after),
        details={"dispersion": phi, "df": df},
        method_spec=MethodSpec(
            "quasi_poisson_ratio",
            {"dispersion": phi, "df": reference_df, "level": level},
        ),
    )


def count_change(
    count_before: float,
    count_after: float,
    exposure_before: float = 1.0,
    exposure_after: float = 1.0,
    level: float = 0.95,
    dispersion: float | None = None,
    df: float | None = None,
) -> Estimate:
    """Percentage change between two counts (or rates) with its interval.

    Parameters
    ----------
    count_before, count_after, exposure_before, exposure_after, level
        As in :func:`rate_ratio_interval`.
    dispersion, df : float, optional
        The area's quasi-Poisson dispersion and its degrees of freedom (from
        :func:`fit_count_trend`, ``trend.scale`` and ``trend.df_resid``). When given, the
        interval and test are :func:`quasi_poisson_ratio_interval` (year-to-year noise
        included); without it the exact conditional Poisson interval (one period's chance
        variation only, right for counts within a year, too narrow between years).

    Returns
    -------
    Estimate
        ``estimate`` = ``100 * (rate ratio - 1)`` (percent), interval transformed the same way,
        ``null_value`` = 0; ``details["rate_ratio"]`` holds the ratio estimate.

    Notes
    -----
    Without ``dispersion``: same method and assumptions as :func:`rate_ratio_interval`
    (independent Poisson counts).
    """
    if dispersion is not None:
        ratio = quasi_poisson_ratio_interval(
            count_before, count_after, exposure_before, exposure_after, dispersion, df, level
        )
    else:
        ratio = rate_ratio_interval(
            count_before, count_after, exposure_before, exposure_after, level
        )
    return Estimate(
        estimate=100.0 * (ratio.estimate - 1),
        ci_low=100.0 * (ratio.ci_low - 1),
        ci_high=100.0 * (ratio.ci_high - 1),
        method=ratio.method + ", as percentage change",
        method_spec=ratio.method_spec and ratio.method_spec.updated(percentage_change=True),
        level=ratio.level,
        p_value=ratio.p_value,
        null_value=0.0,
        n=ratio.n,
        details={"rate_ratio": ratio.estimate},
    )


def detectable_change(
    count: float,
    dispersion: float,
    df: float | None = None,
    power: float = 0.8,
    level: float = 0.95,
) -> float:
    """The smallest year-on-year change (in percent) that :func:`count_change` detects with the
    given power: the power of a "sign." shown where a change is not significant.

    Parameters
    ----------
    count : float
        The earlier year's count (> 0).
    dispersion, df : float
        The series' year-to-year noise (:func:`area_dispersion`).
    power : float, default 0.8
    level : float, default 0.95

    Returns
    -------
    float
        The smallest fall, in percent (positive), of which :func:`count_change` calls a share
        ``power`` significant; a rise of ``100 / (1 - x/100) - 100`` percent is as detectable.

    Notes
    -----
    ``|log RR| = (q_{1-alpha/2} + q_{power}) sqrt(2 phi / k)`` (the standard error at equal
    counts in both years), with ``q`` quantiles of the test's reference (t(df) or the normal, as
    :func:`quasi_poisson_ratio_interval` chooses). The usual approximation for a t test's power
    (the noncentral t would be slightly larger with few df). With the region's noise (dispersion
    17 from 11 years, 8 df, about 12,000 a year) it is about 16%: a true -10% is called
    significant in about 40% of years (``yoy-count-power-10pct`` in
    ``docs/statistical_properties.md``).
    """
    level = check_level(level)
    if not count > 0:
        raise StatisticsInputError("A detectable change needs a count above 0.")
    phi, reference_df = dispersion_reference(dispersion, df)
    reference = stats.t(df=reference_df)
    multiplier = reference.ppf(1 - (1 - level) / 2) + reference.ppf(power)
    log_ratio = multiplier * math.sqrt(phi * 2 / count)
    return 100.0 * (1 - math.exp(-log_ratio))


def _change_table(
    counts: pd.Series,
    reference: dict[Any, Any],
    exposures: pd.Series | None,
    level: float,
    dispersion: float | None = None,
    df: float | None = None,
) -> pd.DataFrame:
    counts = _year_series(counts, "counts")
    check_counts(counts.to_numpy(), "counts")
    if exposures is not None:
        exposures = _year_series(exposures, "exposures")
        missing = [year for year in counts.index if year not in exposures.index]
        if missing:
            raise StatisticsInputError(f"'exposures' lacks the year(s) {missing}.")
    rows = []
    for year, value in counts.items():
        ref_year = reference.get(year)
        row: dict[str, Any] = {"year": year, "value": float(value), "reference_year": ref_year}
        if ref_year is None or ref_year not in counts.index:
            row.update(
                reference_value=math.nan,
                rate_ratio=math.nan,
                change_pct=math.nan,
                ci_low_pct=math.nan,
                ci_high_pct=math.nan,
                p_value=math.nan,
                significant=False,
            )
        else:
            exposure_ref = 1.0 if exposures is None else float(exposures.loc[ref_year])
            exposure_now = 1.0 if exposures is None else float(exposures.loc[year])
            quasi = dispersion is not None and counts.loc[ref_year] > 0 and value > 0
            change = count_change(
                counts.loc[ref_year],
                value,
                exposure_ref,
                exposure_now,
                level=level,
                dispersion=dispersion if quasi else None,
                df=df if quasi else None,
            )
            row.update(
                reference_value=float(counts.loc[ref_year]),
                rate_ratio=change.details["rate_ratio"],
                change_pct=change.estimate,
                ci_low_pct=change.ci_low,
                ci_high_pct=change.ci_high,
                p_value=change.p_value,
                significant=change.significant,
            )
        rows.append(row)
    return pd.DataFrame(rows)


def year_on_year_change(
    counts: pd.Series,
    exposures: pd.Series | None = None,
    level: float = 0.95,
    dispersion: float | None = None,
    df: float | None = None,
) -> pd.DataFrame:
    """Change of each year against the previous year, with exact Poisson intervals.

    Parameters
    ----------
    counts : pandas.Series
        Registered counts (>= 0) indexed by year.
    exposures : pandas.Series, optional
        Population (or other exposure) by year; when given the change is in the rate.
    level : float, optional
        Confidence level.
    dispersion, df : float, optional
        The series' quasi-Poisson dispersion and its df (:func:`area_dispersion`); when given,
        each change is tested against the year-to-year noise (:func:`count_change`).

    Returns
    -------
    pandas.DataFrame
        Columns ``year, value, reference_year, reference_value, rate_ratio, change_pct,
        ci_low_pct, ci_high_pct, p_value, significant``. The first year and years whose
        previous year is missing have NaN changes and ``significant`` False.

    Notes
    -----
    Each row is :func:`count_change` (exact conditional Poisson interval; assumes independent
    Poisson counts, which understates uncertainty when counts vary more than Poisson).
    """
    counts = _year_series(counts, "counts")
    years = list(counts.index)
    reference = {year: (year - 1 if (year - 1) in years else None) for year in years}
    return _change_table(counts, reference, exposures, level, dispersion, df)


def base_year_change(
    counts: pd.Series,
    base_year: int,
    exposures: pd.Series | None = None,
    level: float = 0.95,
    dispersion: float | None = None,
    df: float | None = None,
) -> pd.DataFrame:
    """Change of each year against a base year (e.g. the strategy's 2011 baseline).

    Parameters
    ----------
    counts : pandas.Series
        Registered counts (>= 0) indexed by year; must contain ``base_year``.
    base_year : int
        The reference year.
    exposures : pandas.Series, optional
        Population by year for a change in rates.
    level : float, optional
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        As :func:`year_on_year_change`; the base year's own row has NaN changes.

    Notes
    -----
    Exact conditional Poisson interval per row (see :func:`rate_ratio_interval`).
    """
    counts = _year_series(counts, "counts")
    if base_year not in counts.index:
        shown = ", ".join(map(str, list(counts.index[:4])))
        raise StatisticsInputError(
            f"Base year {base_year} is not in the index of 'counts' ({shown}, ...): "
            "base_year_change needs counts indexed by year, e.g. "
            "frame.set_index('year')['registered_offences']."
        )
    reference = {year: (base_year if year != base_year else None) for year in counts.index}
    return _change_table(counts, reference, exposures, level, dispersion, df)


@dataclass(frozen=True)
class CountTrend(ResultMixin):
    """Result of :func:`fit_count_trend`.

    Attributes
    ----------
    model : str
        ``"quasi_poisson"`` (the default, dispersion ``max(1, X2/df)``), ``"poisson"`` (on
        request, or two years: the saturated model) or ``"negative_binomial"`` (NB2, on request).
    annual_rate_ratio : Estimate
        exp(year coefficient) with its Wald 95% interval (t(df) reference for quasi-Poisson with
        an estimated dispersion, the normal at the floor phi = 1).
    dispersion_statistic, dispersion_p_value : float
        Pearson chi-square of the Poisson fit and its upper-tail p-value on the residual df
        (reported; it no longer chooses the model, see :func:`fit_count_trend`).
    cameron_trivedi_statistic, cameron_trivedi_p_value : float
        Cameron-Trivedi test after the Poisson fit (see :func:`cameron_trivedi_test`).
    pearson_dispersion : float
        Pearson chi-square / residual df of the Poisson fit (NaN for two years).
    alpha : float
        NB2 dispersion (variance = mu + alpha mu^2); 0 otherwise.
    scale : float
        The dispersion the intervals use: ``max(1, pearson_dispersion)`` for quasi-Poisson, 1
        for Poisson.
    df_resid : int
        Residual degrees of freedom (years - 2; years - 3 for NB2).
    data : pandas.DataFrame
        The fitted data with a ``fitted`` column.
    results : object
        The statsmodels results object.
    serial : SerialNoise or None
        The year noise's AR(1) check (:func:`~rvs_analysis.stats.serial.ar1_noise`; quasi-Poisson).
    """

    model: str
    annual_rate_ratio: Estimate
    dispersion_statistic: float
    dispersion_p_value: float
    cameron_trivedi_statistic: float
    cameron_trivedi_p_value: float
    pearson_dispersion: float
    alpha: float
    reference_year: int
    uses_population: bool
    data: pd.DataFrame = field(repr=False, compare=False)
    results: Any = field(repr=False, compare=False)
    scale: float = 1.0
    df_resid: int = 0
    unit_covariance: Any = field(default=None, repr=False, compare=False)
    serial: SerialNoise | None = field(default=None, repr=False, compare=False)

    _NOT_IN_DICT = ("data", "results", "unit_covariance")

    @property
    def method(self) -> str:
        """One sentence naming the model the fit actually used."""
        return self.annual_rate_ratio.method.removeprefix("annual rate ratio from ")

    @property
    def method_spec(self) -> MethodSpec | None:
        """The model as a code and its numbers (that of the annual rate ratio)."""
        return self.annual_rate_ratio.method_spec

    def _design(self, year: int) -> np.ndarray:
        return np.array([1.0, float(year - self.reference_year)])

    def forecast(
        self,
        year: int,
        population: float | None = None,
        level: float = 0.95,
        n_sim: int = 20000,
        seed: int = 20170101,
    ) -> Forecast:
        """Predictive distribution of the count in ``year`` by simulation.

        Parameters
        ----------
        year : int
            Year to forecast (usually a target year such as 2018).
        population : float, optional
            Population in that year; defaults to :func:`project_population` (the population's
            own log-linear trend over the last five observed years) when the trend uses a
            population offset.
        level : float, optional
            Prediction interval level.
        n_sim : int, optional
            Number of simulations.
        seed : int, optional
            Seed of the random generator (forecasts are reproducible).

        Returns
        -------
        Forecast

        Notes
        -----
        Quasi-Poisson (the default): the dispersion is drawn from its scaled inverse chi-square
        distribution, ``phi* = X2 / chi2(df)``, the coefficients from ``N(b, phi* V)`` with
        ``V`` the unscaled Poisson covariance (together a multivariate t with ``df`` degrees of
        freedom), and the count with variance ``phi* mu``: a gamma-Poisson mixture when
        ``phi* > 1``, a binomial with success probability ``1 - phi*`` when ``phi* < 1`` (a
        draw below 1 is the estimate's own uncertainty, not a claim that counts are less
        variable than Poisson). The draw starts from the Pearson estimate itself, not from
        ``max(1, X2/df)`` (floored: 99.5% coverage on Poisson counts; now about 95%). When the
        year noise is AR(1) (:mod:`~rvs_analysis.stats.serial`, median-unbiased rho), ``phi``,
        ``V`` (the sandwich) and ``df`` (Satterthwaite) allow for it: 93.9% instead of 89% coverage
        under rho 0.5 (``count-forecast-ar1``); the future year's noise is drawn with its
        marginal variance. Poisson: normal coefficients, Poisson count; NB2: t(df) coefficients,
        NB2 count. The interval holds the uncertainty of the trend, of the dispersion and the
        year's own noise, given that the log-linear trend continues (not a policy change).
        """
        level = check_level(level)
        if n_sim < 100:
            raise StatisticsInputError("n_sim must be at least 100.")
        rng = np.random.default_rng(seed)
        params = np.asarray(self.results.params, dtype=float)[:2]
        offset = 0.0
        population_note = ""
        if self.uses_population:
            if population is None:
                population = project_population(self.data, year)
                population_note = ", population projected from its own trend"
            if not population > 0:
                raise StatisticsInputError("The forecast population must be positive.")
            offset = math.log(population)
        elif population is not None:
            raise StatisticsInputError(
                "This trend was fitted without population; do not pass a forecast population."
            )
        x = self._design(year)
        df = max(int(self.df_resid), 1)
        if self.model == "quasi_poisson":
            unit = np.asarray(self.unit_covariance, dtype=float)
            pearson = self.pearson_dispersion if math.isfinite(self.pearson_dispersion) else 1.0
            serial = self.serial
            if serial is not None and serial.forecast_rho > 0:
                # AR(1) year noise (median-unbiased rho): the sandwich covariance per unit of
                # dispersion, the dispersion allowing for the autocorrelation, Satterthwaite's df
                pearson, df = serial.forecast_dispersion, serial.forecast_df
                unit = np.asarray(serial.forecast_covariance, dtype=float)[:2, :2] / pearson
            phi = max(pearson, 1e-6) * df / rng.chisquare(df, size=n_sim)
            z = rng.multivariate_normal(np.zeros(2), unit, size=n_sim)
            eta = params @ x + (z @ x) * np.sqrt(phi)
            # a short overdispersed series makes the dispersion draw heavy-tailed: cap the
            # extreme draws' means (far beyond any count; they only move the far tail)
            mu = np.exp(np.minimum(eta + offset, math.log(MAX_FORECAST_MEAN)))
            extra = np.maximum(phi - 1, 1e-9)
            values = rng.poisson(
                np.minimum(rng.gamma(shape=mu / extra, scale=extra), MAX_FORECAST_MEAN)
            ).astype(float)
            # phi* < 1 is a draw of an estimated dispersion: a binomial count with mean mu and
            # variance phi* mu (success probability 1 - phi*), as the clearance forecast does
            below = phi < 1
            if below.any():
                success = 1 - phi[below]
                trials = np.maximum(np.rint(mu[below] / success), 1).astype(np.int64)
                values[below] = rng.binomial(trials, success).astype(float)
            method = (
                "simulation from the quasi-Poisson trend: t parameter draws, dispersion from its "
                f"scaled inverse chi-square ({df:.3g} df), count noise with variance phi* mu "
                f"(gamma-Poisson above 1, binomial below); {independence_note(self.serial)}"
            )
        else:
            cov = np.asarray(self.results.cov_params(), dtype=float)[:2, :2]
            z = rng.multivariate_normal(np.zeros(2), cov, size=n_sim)
            if self.model == "negative_binomial":
                z = z * np.sqrt(df / rng.chisquare(df, size=n_sim))[:, None]
            mu = np.exp(params @ x + z @ x + offset)
            if self.model == "negative_binomial" and self.alpha > 0:
                mu = rng.gamma(shape=1 / self.alpha, scale=self.alpha * mu)
            values = rng.poisson(mu).astype(float)
            method = f"simulation from the {self.model} trend (parameters and count noise)"
        spec = MethodSpec(
            "count_forecast",
            {
                "model": self.model,
                "df": float(df),
                "level": level,
                "draws": int(n_sim),
                "population_projected": bool(population_note),
                "serial": independence_values(self.serial) if self.model == "quasi_poisson" else {},
            },
        )
        tail = (1 - level) / 2
        # the point forecast is the trend's expected count in the year (the simulated mean of a
        # heavy-tailed predictive distribution could lie outside its own interval: 412 beside
        # 0 to 89 for a short overdispersed series)
        point = float(np.exp(params @ x + offset))
        return Forecast(
            year=int(year),
            mean=point,
            pi_low=float(np.quantile(values, tail)),
            pi_high=float(np.quantile(values, 1 - tail)),
            level=level,
            draws=values,
            method=method + population_note,
            method_spec=spec,
        )


MAX_FORECAST_MEAN = 1e12
"""Cap on a simulated forecast draw's mean (only the extreme tail of a heavy-tailed dispersion
draw reaches it; above it Poisson draws overflow)."""


def project_population(data: pd.DataFrame, year: int, window: int = 5) -> float:
    """The population in ``year`` from the log-linear trend of the last ``window`` years.

    Parameters
    ----------
    data : pandas.DataFrame
        ``year`` and ``population`` (one row per year).
    year : int
        Year to project to.
    window : int, optional
        Number of last observed years the growth rate is taken from.

    Returns
    -------
    float
        ``P_last * g ** (year - last_year)`` with ``g`` the geometric mean growth over the window
        (the last population when only one year is known or ``year`` is not later).

    Notes
    -----
    A demographic projection would be better; this keeps a growing municipality's forecast from
    freezing its population (which biases a rate forecast towards fewer offences).
    """
    frame = data.sort_values("year")
    years = frame["year"].to_numpy(dtype=float)[-window:]
    population = frame["population"].to_numpy(dtype=float)[-window:]
    last_year, last = years[-1], population[-1]
    if len(years) < 2 or year <= last_year:
        return float(last)
    growth = (population[-1] / population[0]) ** (1 / (years[-1] - years[0]))
    return float(last * growth ** (year - last_year))


def _trend_method(
    model: str,
    uses_population: bool,
    pearson: float,
    scale: float,
    reference_df: float,
    serial: SerialNoise | None = None,
) -> str:
    offset = " with log(population) offset" if uses_population else ""
    if model == "quasi_poisson":
        reference = (
            f"t({reference_df:.3g}) intervals"
            if math.isfinite(reference_df)
            else "normal intervals (the floor binds: Poisson variance)"
        )
        if serial is not None and serial.rho > 0:
            reference = "parametric bootstrap-t intervals"
        dispersion = f"dispersion phi = max(1, Pearson chi2/df) = {scale:.2f}"
        if serial is not None and serial.rho > 0:
            dispersion = (
                f"dispersion phi = {scale:.2f} allowing for the autocorrelation (Pearson "
                f"chi2/df {pearson:.2f})"
            )
        note = independence_note(serial)
        return f"quasi-Poisson GLM{offset} on year, {dispersion}, {reference}, {note}"
    if model == "negative_binomial":
        return f"negative binomial (NB2) regression{offset} on year, t intervals"
    return f"Poisson GLM{offset} on year (no dispersion estimated), normal intervals"


def fit_count_trend(
    frame: pd.DataFrame,
    count_column: str = "registered_offences",
    year_column: str = "year",
    population_column: str | None = "population",
    dispersion_test_level: float = 0.05,
    model: str | None = None,
    level: float = 0.95,
    overdispersed_model: str = "quasi_poisson",
) -> CountTrend:
    """Log-linear trend of yearly counts: quasi-Poisson GLM with dispersion max(1, X2/df).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per year (aggregate the area first) with the count column, the year column and,
        optionally, the population column.
    count_column, year_column : str, optional
        Column names (tidy layout: ``registered_offences``, ``year``).
    population_column : str or None, optional
        Column with the population; used as log offset so the trend is in the rate. ``None`` or
        a column that is absent fits the trend of the counts themselves.
    dispersion_test_level : float, optional
        Kept for callers; the Pearson test is reported but no longer chooses the model.
    model : {"poisson", "quasi_poisson", "negative_binomial"} or None, optional
        ``None`` (default) is quasi-Poisson; the others on request.
    level : float, optional
        Confidence level of the annual rate ratio.
    overdispersed_model : {"quasi_poisson", "negative_binomial"}, optional
        The default model when ``model`` is None (quasi-Poisson unless NB2 is asked for).

    Returns
    -------
    CountTrend
        ``annual_rate_ratio`` (Estimate, null 1), the model used and its dispersion.

    Notes
    -----
    Model: ``log E[y_t] = b0 + b1 (t - t0) + log(population_t)``, ``Var(y_t) = phi mu_t``; the
    annual rate ratio is ``exp(b1)``. ``phi = max(1, X2 / (n - 2))`` with X2 the Pearson
    chi-square of the Poisson fit, always (no pre-test): choosing Poisson when a Pearson test does
    not reject gave 89-91% coverage at dispersion 1.8-2.4 (the test has little power with
    6-15 points), always quasi-Poisson 94.6-96.3%. Intervals use t(n - 2) when the dispersion is
    estimated (X2/df > 1) and the normal when the floor binds (phi fixed at 1: floor with t
    covered 97-99% on exactly Poisson counts). The Pearson test's
    p-value and the Cameron-Trivedi test are reported alongside. NB2 (ML alpha, t(n - 3)) on
    request; with so few points the ML alpha is too small (91-94% coverage), so it is not the
    default; it falls back to quasi-Poisson if it fails to converge. Assumes a constant
    log-linear trend. Quasi-Poisson with at least 8 years checks the extra-Poisson year noise for
    AR(1) autocorrelation (:func:`~rvs_analysis.stats.serial.ar1_noise`); where found, the slope
    gets the sandwich variance and a parametric bootstrap-t critical value (independent-years
    intervals covered 79% under rho 0.5, these 93-94%: ``trend-rr-ar1``); with fewer years the
    years are taken as independent and the method says so. With two years it is saturated: Poisson,
    closed form ``(k2/E2) / (k1/E1)``, Wald interval ``exp(log RR +- z sqrt(1/k1 + 1/k2))``,
    no dispersion can be estimated (the report says so). The models are fitted by the count
    engine, :func:`~rvs_analysis.stats.count_model.fit_counts`; each area's annual rate ratio in
    :func:`rvs_analysis.stats.compare.compare_trends` is this function's, with the same interval.

    References
    ----------
    Cameron, A.C. & Trivedi, P.K. (2013). Regression Analysis of Count Data, 2nd ed., ch. 3.
    McCullagh, P. & Nelder, J.A. (1989). Generalized Linear Models, 2nd ed., section 4.5.
    """
    level = check_level(level)
    check_columns(frame, [count_column, year_column], "frame")
    _check_model_choice(model, overdispersed_model)
    data = frame.sort_values(year_column).reset_index(drop=True)
    if data[year_column].duplicated().any():
        raise StatisticsInputError(_one_series_message(data, year_column))
    if len(data) < 2:
        raise StatisticsInputError(f"A trend needs at least two years of counts, got {len(data)}.")
    y = check_counts(data[count_column].to_numpy(), count_column)
    if y.sum() == 0:
        raise StatisticsInputError(
            f"Every year has 0 {count_column}: there is no trend to estimate."
        )
    years = data[year_column].to_numpy(dtype=float)
    uses_population = population_column is not None and population_column in data.columns
    offset = None
    if uses_population:
        population = np.asarray(data[population_column], dtype=float)
        if not (np.isfinite(population).all() and (population > 0).all()):
            raise StatisticsInputError(
                f"'{population_column}' must be positive for every year to serve as offset."
            )
        offset = np.log(population)
    reference_year = int(years[0])
    design = np.column_stack([np.ones_like(years), years - reference_year])
    chosen = model or overdispersed_model
    if len(y) < 3:  # two years: a saturated model, overdispersion cannot be estimated
        chosen = "poisson"
    fit = _fit_trend_model(y, design, offset, chosen, uses_population)
    chosen = fit.model
    pearson = fit.pearson_dispersion
    statistic, ct_p_value = cameron_trivedi_test(y, fit.poisson_fitted)
    scale = fit.dispersion
    serial = None
    if chosen == "quasi_poisson":
        mu0 = fit.poisson_fitted
        serial = ar1_noise((y - mu0) / np.sqrt(mu0), design, mu0, fit.pearson_chi2)
        if serial.rho > 0:  # autocorrelated year noise: its dispersion and df, sandwich below
            scale = max(1.0, serial.dispersion)
    method = _trend_method(chosen, uses_population, pearson, scale, fit.reference_df, serial)
    details = {"model": chosen, "scale": scale, "log_rate_ratio": float(fit.params[1])}
    spec = trend_method_spec(chosen, uses_population, pearson, scale, fit.reference_df, serial)
    estimate = _annual_rate_ratio(fit, serial, level, method, float(y.sum()), details, spec)
    out = data.copy()
    out["fitted"] = fit.fitted
    return CountTrend(
        model=chosen,
        annual_rate_ratio=estimate,
        dispersion_statistic=fit.pearson_chi2,
        dispersion_p_value=fit.pearson_p_value,
        cameron_trivedi_statistic=statistic,
        cameron_trivedi_p_value=ct_p_value,
        pearson_dispersion=pearson,
        alpha=fit.alpha,
        reference_year=reference_year,
        uses_population=uses_population,
        data=out.rename(columns={population_column: "population"}) if uses_population else out,
        results=fit.results,
        scale=scale,
        df_resid=fit.df_resid,
        unit_covariance=fit.unit_covariance[:2, :2],
        serial=serial,
    )


def _one_series_message(data: pd.DataFrame, year_column: str) -> str:
    """The error for a table with several rows per year: name the areas and the fix."""
    for column in ("area", "gemeente_name", "gemeente_code", "district", "offence_code"):
        if column in data.columns and data[column].nunique() > 1:
            names = list(dict.fromkeys(data[column].astype(str)))
            shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
            return (
                f"fit_count_trend fits one series, but this table holds {len(names)} values of "
                f"'{column}' ({shown}) for each year. Fit one of them, e.g. "
                f"table[table['{column}'] == {names[0]!r}]; compare areas in one model with "
                "rvs_analysis.stats.compare.compare_area_trends(table); or make one area's table with "
                "regions.area_table(dataset, offence_code, areas=[...], rate=True)."
            )
    return (
        f"fit_count_trend needs one row per year, but '{year_column}' repeats: sum the rows of "
        "each year first (regions.area_table gives one row per area and year)."
    )


YEAR_NOISE_METHOD = (
    "year-to-year noise around a smooth (quadratic) trend of the years not compared, or from "
    "second differences of the log rate with fewer than seven such years (quasi-Poisson "
    "dispersion, t reference)"
)
"""What :func:`area_dispersion` estimates, as the reports' methods texts name it."""

MIN_YEARS_SMOOTH_NOISE = 7
"""Usable years (not compared, not provisional) from which :func:`area_dispersion` fits a
quadratic trend (four residual degrees of freedom at least); fewer use second differences."""


def _quadratic_dispersion(ok: dict[int, tuple[float, float]]) -> tuple[float, float]:
    """Pearson dispersion of a Poisson GLM with a quadratic trend and log-exposure offset."""
    years = np.array(sorted(ok), dtype=float)
    counts = np.array([ok[int(year)][0] for year in years])
    exposure = np.array([ok[int(year)][1] for year in years])
    centred = (years - years.mean()) / max(years.std(), 1.0)
    design = np.column_stack([np.ones_like(centred), centred, centred**2])
    fit = fit_counts(counts, design, np.log(exposure), "quasi_poisson")
    return fit.dispersion, float(fit.df_resid)


def area_dispersion(
    frame: pd.DataFrame,
    count_column: str = "registered_offences",
    population_column: str | None = "population",
    compared: Iterable[int] | None = None,
    provisional: Iterable[int] = (),
) -> tuple[float | None, float | None]:
    """The year-to-year noise of an area's yearly series, as a quasi-Poisson dispersion.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per year with ``year``, the count column and optionally the population.
    count_column, population_column : str, optional
    compared : iterable of int, optional
        The two years whose change will be tested; they are left out of the estimate (the
        change itself must not inflate the noise it is judged against). Default: the last two
        years of the series.
    provisional : iterable of int, optional
        Provisional years (CBS "Voorlopig"), also left out: they are revised.

    Returns
    -------
    (float or None, float or None)
        ``(phi, df)``: the dispersion and the degrees of freedom of its t reference, for
        :func:`count_change`; ``(None, None)`` when no three consecutive usable years remain (the
        caller then shows the change without interval or test).

    Notes
    -----
    Method: with at least :data:`MIN_YEARS_SMOOTH_NOISE` usable years (not compared, not
    provisional, count above 0) a Poisson GLM with a quadratic trend in the year and
    log-exposure offset is fitted to them and ``phi`` is its Pearson chi-square over the
    residual degrees of freedom, floored at 1 (t reference with those df; the normal at the
    floor, :func:`~rvs_analysis.stats.common.floored_dispersion`): the quadratic follows a bend in
    the trend, and the compared years cannot inflate the noise. With fewer usable years, the
    second differences of the log rate of every three consecutive usable years
    (:func:`~rvs_analysis.stats.common.second_difference_dispersion`, sampling variance ``1 / k``):
    they remove the level and any locally linear trend; that local estimate has one to three
    degrees of freedom, is not floored, and carries the df of the t with its exact 95% critical
    value. A straight line through all years, the rule this replaces, took the bend and the
    compared change itself for noise, and the year-on-year test almost never fired (size 0-2%,
    power 0-20% for a true -10%). Assumes the year noise is independent between years and of
    similar size in the years used and the years compared. Simulated size and power:
    ``docs/statistical_properties.md`` (``yoy-count-*``); the smallest change the test detects
    with 80% power is :func:`detectable_change`.
    """
    check_columns(frame, ["year", count_column], "frame")
    usable = frame.dropna(subset=[count_column]).sort_values("year")
    years = usable["year"].astype(int).to_numpy()
    counts = usable[count_column].to_numpy(dtype=float)
    if population_column is not None and population_column in usable.columns:
        exposure = usable[population_column].to_numpy(dtype=float)
    else:
        exposure = np.ones_like(counts)
    if compared is None:
        compared = years[-2:].tolist()
    left_out = {int(year) for year in compared} | {int(year) for year in provisional}
    ok = {
        int(year): (count, size)
        for year, count, size in zip(years, counts, exposure, strict=True)
        if int(year) not in left_out and count > 0 and size > 0 and np.isfinite(size)
    }
    if len(ok) >= MIN_YEARS_SMOOTH_NOISE:
        return _quadratic_dispersion(ok)
    return second_difference_dispersion(
        {year: (math.log(count / size), 1 / count) for year, (count, size) in ok.items()}
    )


def _check_model_choice(model: str | None, overdispersed_model: str) -> None:
    if model not in (None, "poisson", "quasi_poisson", "negative_binomial"):
        raise StatisticsInputError(
            f"model must be None, 'poisson', 'quasi_poisson' or 'negative_binomial', got {model!r}."
        )
    if overdispersed_model not in ("quasi_poisson", "negative_binomial"):
        raise StatisticsInputError(
            "overdispersed_model must be 'quasi_poisson' or 'negative_binomial', got "
            f"{overdispersed_model!r}."
        )


def _annual_rate_ratio(
    fit: CountFit,
    serial: SerialNoise | None,
    level: float,
    method: str,
    n: float,
    details: dict[str, Any],
    spec=None,
) -> Estimate:
    """exp(slope) from the engine's fit, or with AR(1) year noise allowed for: the sandwich
    standard error and the bootstrap-t critical value of :mod:`~rvs_analysis.stats.serial`;
    ``spec`` is the trend's method spec (for the report's Dutch wording)."""
    method = "annual rate ratio from " + method
    if serial is None or not serial.rho > 0:
        estimate = fit.coefficient(1, level=level, method=method, n=n, details=details)
        return dataclasses.replace(estimate, method_spec=spec)
    coefficient = float(fit.params[1])
    se = math.sqrt(float(serial.floored_covariance[1, 1]))
    quantile = serial.slope_quantile(level)
    return Estimate(
        estimate=math.exp(coefficient),
        ci_low=math.exp(coefficient - quantile * se),
        ci_high=math.exp(coefficient + quantile * se),
        method=method,
        level=level,
        p_value=serial.slope_p_value(coefficient / se) if se > 0 else math.nan,
        null_value=1.0,
        n=n,
        details={**details, "log_estimate": coefficient, "se": se, "phi": details["scale"]},
        method_spec=spec,
    )


def _fit_trend_model(
    y: np.ndarray, design: np.ndarray, offset: np.ndarray | None, model: str, uses_population: bool
) -> CountFit:
    """The count engine's fit of a trend; NB2 falls back to quasi-Poisson if it does not converge."""
    options = {"terms": "on year", "offset_name": "population" if uses_population else None}
    if model == "negative_binomial":
        try:
            return fit_counts(y, design, offset, "negative_binomial", **options)
        except CountModelConvergenceError:
            model = "quasi_poisson"
    return fit_counts(y, design, offset, model, **options)
