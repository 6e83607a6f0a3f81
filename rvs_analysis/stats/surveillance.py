"""What changed this month: the latest months of each area against what its own seasonality and
trend predict, by the improved quasi-Poisson Farrington scheme (Noufaily et al. 2013) adapted to
monthly counts.

:func:`monthly_signals` takes monthly counts of many areas at once (a frame indexed by month, one
column per area, or per area and offence type) and returns per area-month the expected count, the
upper threshold, the observed count and an alarm flag. A withheld month (NaN) is never read as 0:
in the baseline it is left out of the fit, in the months looked at it gets no alarm and is
counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from rvs_analysis.stats.common import MethodSpec, ResultMixin, StatisticsInputError
from rvs_analysis.stats.count_model import BatchCountFit, fit_counts_batch

__all__ = ["Signals", "monthly_matrix", "monthly_signals"]

MIN_BASELINE_MONTHS = 24
"""Fewer months before the months looked at and there is no seasonality to compare with."""

MIN_ALARM_COUNT = 3
"""No alarm on fewer than 3 offences in a month, however few were expected (the monthly
analogue of Farrington et al.'s rule of at least 5 cases in 4 weeks): where next to nothing is
expected a single offence exceeds every quantile, and such buurten gave 4.6% false alarms
without the rule."""

REWEIGHT_LIMIT = 2.58
"""Anscombe residuals above this are down-weighted when the baseline is refitted (Noufaily et
al. 2013; Farrington et al. 1996 used 1)."""


def monthly_matrix(counts: pd.DataFrame | pd.Series, name: str = "monthly counts"):
    """Check monthly counts and give them as a months x series array on a complete month range.

    Parameters
    ----------
    counts : pandas.DataFrame or pandas.Series
        Indexed by month (``pandas.Period`` or ``Timestamp``); one column per series (a Series
        is one series). NaN = withheld.
    name : str, optional
        Name for messages.

    Returns
    -------
    (pandas.PeriodIndex, pandas.Index, numpy.ndarray)
        The months (consecutive; months absent from the input are NaN), the series labels and
        the ``(series, months)`` array of counts.

    Raises
    ------
    StatisticsInputError
        On an index that is not monthly, a repeated month, or a negative, fractional or
        infinite count (naming the column and the month).
    """
    frame = counts.to_frame() if isinstance(counts, pd.Series) else counts
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise StatisticsInputError(f"'{name}' must be a non-empty Series or DataFrame.")
    index = frame.index
    if isinstance(index, pd.DatetimeIndex):
        months = index.to_period("M")
    elif isinstance(index, pd.PeriodIndex):
        months = index.asfreq("M")
    else:
        raise StatisticsInputError(
            f"'{name}' must be indexed by month (Period or Timestamp), got {type(index).__name__}."
        )
    if months.duplicated().any():
        raise StatisticsInputError(
            f"'{name}' has the month {months[months.duplicated()][0]} twice."
        )
    if all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes):
        values = frame.to_numpy(dtype=float, na_value=np.nan)
    else:
        values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    for mask, what in (
        (frame.notna().to_numpy() & np.isnan(values), "holds text where a count belongs"),
        (np.isinf(values), "holds an infinite count"),
        (values < 0, "holds a negative count"),
        (np.abs(values - np.round(values)) > 1e-9, "holds a fractional count"),
    ):
        if np.nan_to_num(mask, nan=0).astype(bool).any():
            row, column = np.argwhere(np.nan_to_num(mask, nan=0).astype(bool))[0]
            raise StatisticsInputError(
                f"Column {frame.columns[column]!r} of '{name}' {what} in month {months[row]} "
                f"({frame.iloc[row, column]!r})."
            )
    full = pd.period_range(months.min(), months.max(), freq="M")
    aligned = pd.DataFrame(values, index=months, columns=range(values.shape[1])).reindex(full)
    return full, frame.columns, aligned.to_numpy(dtype=float).T


def _design(months: pd.PeriodIndex, origin: pd.Period, trend: bool) -> np.ndarray:
    """Intercept, (trend in years since ``origin``), calendar-month indicators (January base)."""
    month = np.asarray(months.month) - 1
    dummies = (month[:, None] == np.arange(1, 12)[None, :]).astype(float)
    columns = [np.ones(len(months))]
    if trend:
        columns.append(np.asarray([(m - origin).n for m in months], dtype=float) / 12.0)
    return np.column_stack([*columns, dummies])


def _reweighted_fit(y: np.ndarray, x: np.ndarray) -> tuple[BatchCountFit, np.ndarray]:
    """Fit, down-weight the baseline months with Anscombe residuals above the limit, refit."""
    first = fit_counts_batch(y, x)
    phi = first.dispersion()
    observed = np.isfinite(y)
    ones = observed.astype(float)
    leverage = np.clip(first.hat(x, ones), 0.0, 0.999)
    mu = first.mu
    y0 = np.where(observed, y, 0.0)
    anscombe = 1.5 * (np.cbrt(y0) ** 2 * mu ** (-1 / 3) - np.cbrt(mu) ** 2)
    anscombe = anscombe / np.sqrt(phi[:, None] * (1 - leverage))
    high = anscombe > REWEIGHT_LIMIT
    weights = np.where(high, 1.0 / np.where(high, anscombe, 1.0) ** 2, 1.0) * ones
    weights = weights * ones.sum(axis=1, keepdims=True) / weights.sum(axis=1, keepdims=True)
    return fit_counts_batch(y, x, weights=weights), weights


@dataclass(frozen=True)
class Signals(ResultMixin):
    """Result of :func:`monthly_signals`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per series and month looked at: the series label column(s), ``month``,
        ``observed`` (NaN = withheld), ``expected``, ``upper``, ``alarm`` (boolean, NA when
        withheld), ``score`` (``(observed - expected) / (upper - expected)``; above 1 alarms),
        ``dispersion``, ``trend`` (whether the baseline kept its trend), ``pooled`` (the
        calendar month had no offence in the baseline: expected from the model without month
        effects) and ``status`` (``ok``, ``withheld`` or ``short_baseline``).
    method : str
    alpha : float
    baseline_months : int
    n_withheld : int
        Area-months looked at whose count is withheld.

    Notes
    -----
    ``to_frame()`` is the area-month table; ``to_dict()`` holds every field (the table as row
    records, a withheld month's alarm as None) with ``method`` and ``method_spec``
    (:class:`~rvs_analysis.stats.common.ResultMixin`).
    """

    _FRAME = "table"

    table: pd.DataFrame
    method: str
    alpha: float
    baseline_months: int
    n_withheld: int

    @property
    def method_spec(self) -> MethodSpec:
        """The method as a code and its numbers (for the report's wording)."""
        return MethodSpec(
            "monthly_surveillance",
            {"alpha": self.alpha, "baseline_months": self.baseline_months},
        )


def _labels(columns: pd.Index, months: pd.PeriodIndex) -> pd.DataFrame:
    if isinstance(columns, pd.MultiIndex):
        names = [name or f"level_{i}" for i, name in enumerate(columns.names)]
        keys = pd.DataFrame(
            {
                name: np.repeat(
                    np.asarray(columns.get_level_values(level), dtype=object), len(months)
                )
                for level, name in enumerate(names)
            }
        ).infer_objects()
    else:
        keys = pd.DataFrame({columns.name or "area_code": list(columns)})
        keys = keys.loc[keys.index.repeat(len(months))].reset_index(drop=True)
    keys["month"] = np.tile(np.asarray(months), len(columns))
    return keys


def _prediction_variance(fit: BatchCountFit, design: np.ndarray) -> np.ndarray:
    """Quasi-Poisson variance of the log of the predicted means at the rows of ``design``."""
    quadratic = (np.matmul(design[None], fit.unscaled_cov) * design[None]).sum(axis=-1)
    return fit.dispersion()[:, None] * quadratic


def _choose_trend(with_trend, without, x_trend, x_flat, base_max):
    """Farrington's rule: keep the trend where it is significant at 5% (quasi-Poisson t) and
    does not predict above the baseline's largest count. Returns the predicted means, the
    dispersion, the variance of the log prediction and which series kept the trend.

    The test is Farrington et al.'s (1996): t on the fit's residual df (at least 1) whatever the
    dispersion, not the count engine's reference (:meth:`BatchCountFit.reference_df`, the normal
    where the floor binds); the method text of :func:`monthly_signals` says so."""
    phi = with_trend.dispersion()
    se = np.sqrt(phi * with_trend.unscaled_cov[:, 1, 1])
    df = np.maximum(with_trend.df, 1.0)
    significant = np.abs(with_trend.beta[:, 1] / se) > stats.t.ppf(0.975, df)
    predicted = np.exp(with_trend.beta @ x_trend.T)
    keep = significant & (predicted.max(axis=1) <= base_max)
    expected = np.where(keep[:, None], predicted, np.exp(without.beta @ x_flat.T))
    dispersion = np.where(keep, phi, without.dispersion())
    variance = np.where(
        keep[:, None],
        _prediction_variance(with_trend, x_trend),
        _prediction_variance(without, x_flat),
    )
    return expected, dispersion, variance, keep


def _predicted(y_base, x_trend, x_flat, base, later, base_max):
    """Fit the baseline with and without the trend (reweighted) and predict the months looked
    at by Farrington's trend rule (:func:`_choose_trend`)."""
    with_trend, _ = _reweighted_fit(y_base, x_trend[base])
    without, _ = _reweighted_fit(y_base, x_flat[base])
    return _choose_trend(with_trend, without, x_trend[later], x_flat[later], base_max)


def _unseen_months(
    y_base: np.ndarray, base_months: pd.PeriodIndex, later_months: pd.PeriodIndex
) -> np.ndarray:
    """``(series, months looked at)``: whether the baseline holds no offence at all in that
    month's calendar month (every published count 0, or none published)."""
    calendar = np.asarray(base_months.month)
    positive = np.nan_to_num(y_base, nan=0.0) > 0
    seen = np.column_stack([positive[:, calendar == month].any(axis=1) for month in range(1, 13)])
    return ~seen[:, np.asarray(later_months.month) - 1]


def monthly_signals(
    counts: pd.DataFrame | pd.Series,
    latest: int = 3,
    baseline_years: int = 5,
    alpha: float = 0.005,
    min_count: int = MIN_ALARM_COUNT,
) -> Signals:
    """The latest months of each series against what its own seasonality and trend predict.

    Parameters
    ----------
    counts : pandas.DataFrame or pandas.Series
        Monthly counts indexed by month, one column per area (or area and offence type; a
        MultiIndex keeps its level names); NaN = withheld.
    latest : int, optional
        Number of latest months looked at (3).
    baseline_years : int, optional
        Years of months before them that form the baseline (5; fewer when the series is
        shorter, at least :data:`MIN_BASELINE_MONTHS` months).
    alpha : float, optional
        One-sided level of the upper threshold (0.005: the 99.5% quantile).
    min_count : int, optional
        Fewest offences in a month that can alarm (:data:`MIN_ALARM_COUNT`).

    Returns
    -------
    Signals
        Per series and month the expected count, the upper threshold, the observed count and
        the alarm.

    Notes
    -----
    Method: the improved Farrington scheme of Noufaily et al. (2013) ("Farrington flexible" in
    the R package ``surveillance``), adapted to months. Per series a quasi-Poisson log-linear
    model with a 12-level calendar-month factor (in place of Noufaily's 10 seasonal periods
    of weekly data) and a linear trend is fitted to the baseline (the ``12 x baseline_years``
    months before those looked at). Baseline months with Anscombe residuals above 2.58 are
    down-weighted by the inverse square of the residual and the model refitted (Noufaily et
    al.). The trend is kept where it is significant at 5% and does not push the prediction
    above the baseline's largest count (Farrington et al. 1996); else the model without trend
    is used. The dispersion is Pearson's ``max(1, X2/df)`` of the weighted refit. The upper
    threshold is the ``1 - alpha`` quantile of a negative binomial with the predicted mean
    and that dispersion (size ``mu / (phi - 1)``; Poisson when ``phi = 1``), Noufaily's
    recommended threshold, with the variance of the log prediction added to the dispersion
    (``phi + mu var(log mu)``) so that the threshold allows for the baseline's own uncertainty;
    an alarm is an observed count above it and at least ``min_count``. All months looked at are
    compared with the same baseline, so a surge in the first of them does not raise the
    expectation for the next.

    A calendar month in which the baseline holds no offence at all (every published count 0)
    has a month effect of minus infinity: the fit predicts (next to) 0 for it, its threshold is
    0 and any count of at least ``min_count`` would alarm with certainty, however ordinary that
    count is in the series' other months. Its level is not identifiable from the baseline, so
    the month is pooled with the rest of the year: its expected count, dispersion and prediction
    variance come from the same series' model without the calendar-month factor (intercept and
    trend, the trend kept by the same rule, reweighted alike) on the same baseline; the
    ``pooled`` column marks these area-months. That model has a trend and no seasonal terms, as
    Farrington et al. (1996) (who fit it to the comparable weeks of earlier years only), and it
    errs towards fewer alarms: a month that is truly quiet is expected at the series' average
    level.
    A series without a single offence in its whole baseline keeps its expectation of (next to)
    0, and then, as in Farrington's method, only ``min_count`` stands between a count and an
    alarm.

    Assumptions: the seasonal pattern and trend of the baseline continue; months independent
    given the model (year-to-year noise enters only through the dispersion, which is why
    ``alpha`` is set below the intended false-alarm rate of 1 per 100 area-months). The
    simulated false alarms per null area-month and the power for a threefold
    surge over three months are in ``docs/statistical_properties.md``
    (``surveillance-false-alarm``, ``surveillance-power-3x-surge``).

    References
    ----------
    Noufaily, A., Enki, D. G., Farrington, P., Garthwaite, P., Andrews, N. and Charlett, A.
    (2013). An improved algorithm for outbreak detection in multiple surveillance systems.
    *Statistics in Medicine* 32(7), 1206-1222.
    Farrington, C. P., Andrews, N. J., Beale, A. D. and Catchpole, M. A. (1996). A statistical
    algorithm for the early detection of outbreaks of infectious disease. *JRSS A* 159(3),
    547-563.
    """
    if not (isinstance(latest, int) and latest >= 1 and isinstance(baseline_years, int)):
        raise StatisticsInputError(
            f"latest and baseline_years must be whole numbers >= 1, got {latest!r}, "
            f"{baseline_years!r}."
        )
    if not 0 < alpha < 0.5:
        raise StatisticsInputError(f"alpha must lie between 0 and 0.5, got {alpha!r}.")
    months, columns, y = monthly_matrix(counts)
    start = len(months) - latest
    first = max(0, start - 12 * baseline_years)
    if start - first < MIN_BASELINE_MONTHS:
        raise StatisticsInputError(
            f"The monthly counts have {start - first} months before the {latest} looked at; "
            f"at least {MIN_BASELINE_MONTHS} are needed for a seasonal baseline."
        )
    window = months[first:]
    base = slice(0, start - first)
    later = slice(start - first, len(window))
    x_trend = _design(window, months[start], trend=True)
    x_flat = _design(window, months[start], trend=False)
    y_base = y[:, first:start]
    base_max = np.nanmax(np.where(np.isfinite(y_base), y_base, -np.inf), axis=1)
    expected, phi, log_variance, kept = _predicted(y_base, x_trend, x_flat, base, later, base_max)
    phi = np.repeat(phi[:, None], latest, axis=1)
    kept = np.repeat(kept[:, None], latest, axis=1)
    # a calendar month without a single offence in the baseline has no month effect to
    # estimate (its maximum likelihood is minus infinity, which would predict 0): its
    # expectation comes from the same series' model without month effects
    pooled = _unseen_months(y_base, window[base], window[later]) & (base_max > 0)[:, None]
    rows = np.flatnonzero(pooled.any(axis=1))
    if rows.size:
        flat = _predicted(y_base[rows], x_trend[:, :2], x_flat[:, :1], base, later, base_max[rows])
        mask = pooled[rows]
        expected[rows] = np.where(mask, flat[0], expected[rows])
        phi[rows] = np.where(mask, flat[1][:, None], phi[rows])
        log_variance[rows] = np.where(mask, flat[2], log_variance[rows])
        kept[rows] = np.where(mask, flat[3][:, None], kept[rows])
    upper = _nb_upper(expected, phi + expected * log_variance, alpha)
    observed = y[:, start:]
    known = np.isfinite(observed)
    short = (np.isfinite(y_base).sum(axis=1) < MIN_BASELINE_MONTHS)[:, None]
    table = _labels(columns, months[start:])
    table["observed"] = observed.ravel()
    table["expected"] = expected.ravel()
    table["upper"] = upper.ravel()
    raised = (observed > upper) & (observed >= min_count)
    alarm = pd.array(np.where(known & ~short, raised, False).ravel(), dtype="boolean")
    alarm[~(known & ~short).ravel()] = pd.NA
    table["alarm"] = alarm
    with np.errstate(divide="ignore", invalid="ignore"):
        table["score"] = ((observed - expected) / (upper - expected)).ravel()
    table["dispersion"] = phi.ravel()
    table["trend"] = kept.ravel()
    table["pooled"] = pooled.ravel()
    status = np.where(short, "short_baseline", np.where(known, "ok", "withheld"))
    table["status"] = status.ravel()
    method = (
        f"improved Farrington (Noufaily et al. 2013) on months: quasi-Poisson baseline of "
        f"{start - first} months with a calendar-month factor (count engine, dispersion "
        "max(1, Pearson X2/df)) and a trend kept where significant at 5% by Farrington's t(df) "
        "test (t also where the dispersion floor binds, where the engine's Wald intervals use "
        f"the normal), Anscombe residuals above {REWEIGHT_LIMIT} down-weighted; a calendar month "
        f"without offences in the baseline predicted without month effects; alarm above the "
        f"{100 * (1 - alpha):g}% negative binomial quantile (prediction variance included) and "
        f"at least {min_count} offences"
    )
    return Signals(table, method, float(alpha), int(start - first), int((~known).sum()))


def _nb_upper(mean: np.ndarray, phi: np.ndarray, alpha: float) -> np.ndarray:
    """The ``1 - alpha`` quantile of a negative binomial with ``mean`` and dispersion ``phi``
    (variance ``phi x mean``), Poisson where ``phi`` is 1."""
    mean, phi = np.broadcast_arrays(np.asarray(mean, dtype=float), np.asarray(phi, dtype=float))
    over = phi > 1 + 1e-9
    upper = np.empty(mean.shape)
    # each distribution's quantile only where it applies (the costly part of the threshold)
    upper[over] = stats.nbinom.ppf(1 - alpha, mean[over] / (phi[over] - 1), 1.0 / phi[over])
    upper[~over] = stats.poisson.ppf(1 - alpha, mean[~over])
    return upper
