"""Monthly series of registered crime: seasonality and change points.

:func:`monthly_series`, :func:`stl_decompose` (statsmodels STL) and :func:`detect_change_points`
(``ruptures`` PELT on the deseasonalised log series).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import ruptures
from scipy import stats
from statsmodels.tsa.seasonal import STL

from rvs_analysis.stats.common import (
    Estimate,
    MethodSpec,
    ResultMixin,
    StatisticsInputError,
    check_columns,
    check_counts,
    check_nonempty,
)
from rvs_analysis.stats.count_model import fit_counts

__all__ = [
    "MIN_MONTHLY_COUNT_STL",
    "ChangePoints",
    "ar1_plus_white",
    "bend_or_break",
    "break_test",
    "detect_change_points",
    "monthly_series",
    "poisson_log_variance",
    "SeasonalEffects",
    "seasonal_effects",
    "seasonality_supported",
    "stl_decompose",
]

MIN_MONTHLY_COUNT_STL = 30
"""STL runs only where the series averages at least 30 offences a month.

With Poisson noise a month of ``m`` offences varies by about ``1/sqrt(m)``: 18% at 30, 58% at 3.
A seasonal factor estimated from a handful of years is then mostly noise (factors of 0.12-3.13
were seen on about 3 burglaries a month), so below the rule the reports show no seasonal
pattern and say why."""


def seasonality_supported(series: pd.Series, minimum: float = MIN_MONTHLY_COUNT_STL) -> bool:
    """Whether the monthly counts are large enough to carry a seasonal pattern.

    Parameters
    ----------
    series : pandas.Series
        Monthly counts.
    minimum : float, optional
        Smallest mean count per month (:data:`MIN_MONTHLY_COUNT_STL`).

    Returns
    -------
    bool
        True when the mean monthly count is at least ``minimum`` and there are two full years.

    Notes
    -----
    A count rule, not a test: it keeps STL away from series whose month-to-month Poisson noise
    (relative size ``1/sqrt(mean)``) swamps any seasonal factor.
    """
    values = np.asarray(series, dtype=float)
    return bool(values.size >= 24 and np.nanmean(values) >= minimum)


def monthly_series(
    monthly: pd.DataFrame,
    offence_code: str | None = None,
    gemeente_codes: list[str] | None = None,
) -> pd.Series:
    """Sum monthly counts into one series with a monthly DatetimeIndex.

    Parameters
    ----------
    monthly : pandas.DataFrame
        Tidy monthly frame: ``gemeente_code, year, month, offence_code, registered_offences``.
    offence_code : str, optional
        Keep only this offence code (all codes summed when omitted).
    gemeente_codes : list of str, optional
        Keep only these municipalities (the area).

    Returns
    -------
    pandas.Series
        Registered offences per month (month start dates), missing months raise an error.

    Notes
    -----
    No statistics: a checked aggregation so that STL and change point detection get a complete
    regular series.
    """
    check_columns(monthly, ["year", "month", "registered_offences"], "monthly")
    data = monthly
    if offence_code is not None:
        data = data[data["offence_code"] == offence_code]
    if gemeente_codes is not None:
        data = data[data["gemeente_code"].isin(gemeente_codes)]
    check_nonempty(data, "monthly (after selecting offence and area)")
    check_counts(data["registered_offences"].to_numpy(), "registered_offences")
    if not data["month"].between(1, 12).all():
        raise StatisticsInputError("'month' must lie between 1 and 12.")
    totals = data.groupby(["year", "month"])["registered_offences"].sum()
    index = pd.to_datetime(
        {
            "year": totals.index.get_level_values(0),
            "month": totals.index.get_level_values(1),
            "day": 1,
        }
    )
    series = pd.Series(
        totals.to_numpy(dtype=float), index=pd.DatetimeIndex(index), name="registered_offences"
    )
    series = series.sort_index()
    full = pd.date_range(series.index[0], series.index[-1], freq="MS")
    if len(full) != len(series):
        missing = full.difference(series.index)
        raise StatisticsInputError(
            f"The monthly series has gaps ({len(missing)} months missing, first "
            f"{missing[0]:%Y-%m}); STL and change point detection need every month."
        )
    series.index = full
    return series


def _check_monthly(series: pd.Series, min_length: int) -> pd.Series:
    if not isinstance(series, pd.Series) or not isinstance(series.index, pd.DatetimeIndex):
        raise StatisticsInputError("Expected a pandas Series with a monthly DatetimeIndex.")
    check_nonempty(series, "series")
    check_counts(series.to_numpy(), "series")
    if len(series) < min_length:
        raise StatisticsInputError(
            f"The monthly series has {len(series)} months; at least {min_length} are needed."
        )
    return series.astype(float)


def stl_decompose(
    series: pd.Series,
    period: int = 12,
    robust: bool = True,
    log: bool = True,
    seasonal: int = 7,
) -> pd.DataFrame:
    """Seasonal-trend decomposition of a monthly count series (STL, statsmodels).

    Parameters
    ----------
    series : pandas.Series
        Monthly counts with a DatetimeIndex (e.g. from :func:`monthly_series`); at least two
        full years.
    period : int, optional
        Season length, 12 for months.
    robust : bool, optional
        Robust STL (down-weights outlying months such as a lockdown).
    log : bool, optional
        Decompose ``log(1 + count)`` (multiplicative seasonality, the usual pattern for crime
        counts) and return the components back-transformed so that
        ``observed ~= trend * seasonal * resid`` with seasonal and resid as factors.
    seasonal : int, optional
        Odd length of the seasonal LOESS smoother in years (statsmodels default 7); a large
        value (e.g. 999) keeps the seasonal pattern fixed over the years.

    Returns
    -------
    pandas.DataFrame
        Columns ``observed, trend, seasonal, resid`` (factors when ``log``), plus
        ``seasonally_adjusted`` (observed with the seasonal pattern removed).

    Notes
    -----
    STL (Cleveland et al. 1990) via ``statsmodels.tsa.seasonal.STL`` with its default LOESS
    windows. Assumes a seasonal pattern that changes slowly; with ``log`` the effect of season
    is a percentage, which keeps it stable when the level falls.
    """
    series = _check_monthly(series, 2 * period)
    values = np.log1p(series) if log else series
    if seasonal < 7 or seasonal % 2 == 0:
        raise StatisticsInputError("seasonal must be an odd integer >= 7.")
    result = STL(values, period=period, robust=robust, seasonal=seasonal).fit()
    if log:
        trend = np.expm1(result.trend)
        seasonal = np.exp(result.seasonal)
        resid = np.exp(result.resid)
        adjusted = np.expm1(values - result.seasonal)
    else:
        trend, seasonal, resid = result.trend, result.seasonal, result.resid
        adjusted = series - result.seasonal
    return pd.DataFrame(
        {
            "observed": series,
            "trend": trend,
            "seasonal": seasonal,
            "resid": resid,
            "seasonally_adjusted": adjusted,
        },
        index=series.index,
    )


@dataclass(frozen=True)
class ChangePoints(ResultMixin):
    """Change points found by :func:`detect_change_points`.

    Attributes
    ----------
    dates : list of pandas.Timestamp
        First month of the new segment, only when the search-aware test rejects "no break"
        (empty otherwise).
    kind : str
        ``"level"`` or ``"trend"``.
    penalty : float
        The PELT penalty used.
    segments : pandas.DataFrame
        One row per segment: ``start, end, mean_level`` (counts per month, seasonally adjusted).
    method : str
    p_value : float
        Search-aware p-value of the strongest break (:func:`break_test`).
    candidate : pandas.Timestamp or None
        The strongest break the search found (reported only when significant).
    jump_pct : float
        Estimated level change at the break in percent (segmented regression), NaN without one.
    pelt_dates : list of pandas.Timestamp
        What PELT alone proposed (for comparison; not reported as breaks).
    shape : str
        ``"break"`` (a jump in the level), ``"bend"`` (a continuous change of slope fits as
        well, :func:`bend_or_break`) or ``""`` without a significant change. ``dates`` holds
        the break's month or the bend's knot.
    jump_p_value : float
        Bootstrap p-value of the jump beyond the best bend (:func:`bend_or_break`; NaN
        without a change or for ``kind="level"``).
    slope_before_pct, slope_after_pct : float
        For a bend: the broken line's change per year in percent before and after the knot
        (NaN otherwise).
    """

    dates: list[pd.Timestamp]
    kind: str
    penalty: float
    segments: pd.DataFrame
    method: str
    p_value: float = math.nan
    candidate: pd.Timestamp | None = None
    jump_pct: float = math.nan
    pelt_dates: list[pd.Timestamp] = field(default_factory=list)
    shape: str = ""
    jump_p_value: float = math.nan
    slope_before_pct: float = math.nan
    slope_after_pct: float = math.nan
    method_spec: MethodSpec | None = field(default=None, compare=False)

    _FRAME = "segments"

    @property
    def is_break(self) -> bool:
        """A jump in the level was found (not a bend)."""
        return bool(self.dates) and self.shape == "break"

    @property
    def is_bend(self) -> bool:
        """A continuous change of slope was found (not a jump)."""
        return bool(self.dates) and self.shape == "bend"


def _break_bases(n: int, min_size: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal bases (candidates x n x q) of each candidate break's extra regressors,
    made orthogonal to the null model's intercept and slope.

    ``kind``: ``"level"`` (a jump), ``"trend"`` (a jump and a change of slope) or ``"bend"``
    (a change of slope without a jump: a continuous broken line)."""
    time = np.arange(n, dtype=float)
    null = np.column_stack([np.ones(n), time])
    q_null, _ = np.linalg.qr(null)
    candidates = np.arange(min_size, n - min_size + 1)
    bases = []
    for k in candidates:
        bases.append(np.linalg.qr(_extra_regressors(time, k, kind, q_null))[0])
    return candidates, np.stack(bases)


def _extra_regressors(time: np.ndarray, k: int, kind: str, q_null=None) -> np.ndarray:
    step = (time >= k).astype(float)
    if kind == "level":
        extra = step[:, None]
    elif kind == "bend":
        extra = (step * (time - k))[:, None]
    else:
        extra = np.column_stack([step, step * (time - k)])
    if q_null is not None:
        extra = extra - q_null @ (q_null.T @ extra)
    return extra


def _sup_f(residuals: np.ndarray, bases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sup-F statistic (per column of ``residuals``, null-model residuals) and its argmax."""
    n, q = bases.shape[1], bases.shape[2]
    reduction = _reductions(residuals, bases)
    total = np.sum(residuals**2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (reduction / q) / (np.maximum(total - reduction, 1e-300) / (n - 2 - q))
    return f.max(axis=0), f.argmax(axis=0)


def _reductions(residuals: np.ndarray, bases: np.ndarray) -> np.ndarray:
    """Reduction of the residual sum of squares (candidates x columns) by each candidate."""
    projections = np.einsum("knq,nb->kqb", bases, residuals)
    return np.sum(projections**2, axis=1)


def poisson_log_variance(counts: np.ndarray) -> float:
    """Mean Poisson variance of ``log(1 + count)`` (delta method, ``mu / (1 + mu)^2``).

    Parameters
    ----------
    counts : numpy.ndarray
        Monthly counts (the observed count stands in for its mean).

    Returns
    -------
    float
        The month-to-month variance that Poisson counting alone puts on the log series.
    """
    counts = np.asarray(counts, dtype=float)
    return float(np.mean(counts / (1.0 + counts) ** 2))


def ar1_plus_white(residuals: np.ndarray, white_variance: float = 0.0) -> tuple[float, float]:
    """AR(1) coefficient and variance of the extra-Poisson part of trend residuals.

    Parameters
    ----------
    residuals : numpy.ndarray
        Residuals of the log series after its fitted trend.
    white_variance : float, optional
        Known variance of independent month noise (Poisson counting,
        :func:`poisson_log_variance`); 0 treats all noise as AR(1).

    Returns
    -------
    rho : float
        Lag-1 autocorrelation of the extra-Poisson component, in [0, 0.95].
    ar_variance : float
        Its (stationary) variance.

    Notes
    -----
    The residuals are modelled as ``a_t + e_t`` with ``a_t`` AR(1) (variance ``v``, coefficient
    rho) and ``e_t`` independent with the known variance ``w``: the lag-0 autocovariance is
    ``v + w`` and the lag-1 one ``rho v``, so ``v = gamma_0 - w`` and ``rho = gamma_1 / v``.
    The lag-1 autocorrelation of the raw residuals, ``rho v / (v + w)``, is attenuated by the
    Poisson noise (0.28 for a true 0.6 at 300 a month). ``rho`` gets the small-sample
    correction ``(2 + 4 rho) / n`` for a fitted trend; ``v`` is floored at 5% of ``gamma_0``,
    so a series with (almost) no noise beyond Poisson keeps a small AR(1) part.
    """
    r = np.asarray(residuals, dtype=float)
    n = r.size
    gamma0 = float(r @ r / n)
    gamma1 = float(r[:-1] @ r[1:] / n)
    ar_variance = max(gamma0 - max(white_variance, 0.0), 0.05 * gamma0, 1e-300)
    rho = gamma1 / ar_variance
    rho = float(np.clip(rho + (2 + 4 * rho) / n, 0.0, 0.95))
    return rho, float(ar_variance)


def _simulate_noise(
    rng: np.random.Generator, n: int, n_boot: int, rho: float, ar_variance: float, white: float
) -> np.ndarray:
    """``n_boot`` columns of stationary AR(1) noise plus independent noise."""
    shocks = rng.standard_normal((n, n_boot)) * math.sqrt(ar_variance * (1 - rho**2))
    series = np.empty((n, n_boot))
    series[0] = shocks[0] / math.sqrt(1 - rho**2)
    for t in range(1, n):
        series[t] = rho * series[t - 1] + shocks[t]
    if white > 0:
        series += rng.standard_normal((n, n_boot)) * math.sqrt(white)
    return series


def break_test(
    values: np.ndarray,
    kind: str = "trend",
    min_size: int = 6,
    n_boot: int = 499,
    seed: int = 20170101,
    white_variance: float = 0.0,
) -> dict[str, float | int]:
    """Search-aware test of "no break" against one break at an unknown month.

    Parameters
    ----------
    values : numpy.ndarray
        The (deseasonalised, log) monthly series.
    kind : {"trend", "level"}, optional
        Alternative: a jump and a change of slope (``trend``) or a jump only (``level``); the
        null is a straight line in both.
    min_size : int, optional
        Shortest segment: candidate breaks lie ``min_size`` months from either end.
    n_boot : int, optional
        Bootstrap replicates of the maximum statistic.
    seed : int, optional
    white_variance : float, optional
        Known variance of independent month-to-month noise on the log scale (Poisson counting,
        :func:`poisson_log_variance`); 0 treats all residual noise as AR(1).

    Returns
    -------
    dict
        ``statistic`` (sup-F), ``p_value``, ``position`` (index of the strongest break), ``rho``
        (the AR(1) coefficient of the extra-Poisson noise), ``ar_variance``, ``jump`` (the
        fitted jump on the log scale at the break).

    Notes
    -----
    The statistic is the largest F statistic over every candidate month (Andrews 1993), so the
    search is part of the test. Its null distribution comes from a parametric bootstrap under
    serially correlated noise: the residuals of the straight line are modelled as an AR(1)
    component plus independent Poisson noise of the known variance (:func:`ar1_plus_white`,
    which estimates the AR(1) of the extra-Poisson part rather than of the raw residuals,
    whose autocorrelation the Poisson noise attenuates); series of AR(1) plus independent
    Gaussian noise of the same length are generated (stationary start), their residuals after
    a straight line computed and the same sup-F taken. The p-value is
    ``(1 + #{F* >= F}) / (B + 1)``. A break is never tested again on the data that chose it:
    this one test is the only significance statement about the series' breaks.

    References
    ----------
    Andrews, D.W.K. (1993). Tests for parameter instability and structural change with unknown
    change point. Econometrica 61, 821-856.
    """
    y = np.asarray(values, dtype=float)
    n = y.size
    if n < 2 * min_size + 4:
        raise StatisticsInputError(f"A break test needs at least {2 * min_size + 4} months.")
    time = np.arange(n, dtype=float)
    null = np.column_stack([np.ones(n), time])
    q_null, _ = np.linalg.qr(null)
    residuals = y - q_null @ (q_null.T @ y)
    candidates, bases = _break_bases(n, min_size, kind)
    statistic, position = _sup_f(residuals[:, None], bases)
    rho, ar_variance = ar1_plus_white(residuals, white_variance)
    rng = np.random.default_rng(seed)
    series = _simulate_noise(rng, n, n_boot, rho, ar_variance, max(white_variance, 0.0))
    boot_residuals = series - q_null @ (q_null.T @ series)
    replicates, _ = _sup_f(boot_residuals, bases)
    p_value = float((1 + np.sum(replicates >= statistic[0])) / (n_boot + 1))
    k = int(candidates[int(position[0])])
    extra = _extra_regressors(time, k, kind)
    coefficients = np.linalg.lstsq(np.column_stack([null, extra]), y, rcond=None)[0]
    return {
        "statistic": float(statistic[0]),
        "p_value": p_value,
        "position": k,
        "rho": rho,
        "ar_variance": ar_variance,
        "jump": float(coefficients[2]),
    }


def bend_or_break(
    values: np.ndarray,
    kind: str = "trend",
    min_size: int = 6,
    n_boot: int = 499,
    seed: int = 20170101,
    white_variance: float = 0.0,
    test_level: float = 0.05,
) -> dict[str, float | int | str]:
    """Whether a change in a series is a break (a jump) or a bend (a continuous change of slope).

    Parameters
    ----------
    values : numpy.ndarray
        The (deseasonalised, log) monthly series.
    kind : {"trend", "level"}, optional
        The break model: a jump and a change of slope (``trend``) or a jump only (``level``).
    min_size : int, optional
    n_boot : int, optional
        Bootstrap replicates of the jump test (``trend``).
    seed : int, optional
    white_variance : float, optional
        Known Poisson variance of the log series (:func:`poisson_log_variance`).
    test_level : float, optional

    Returns
    -------
    dict
        ``shape`` (``"break"`` or ``"bend"``), ``bend_position`` (knot of the best broken
        line), ``slope_before`` and ``slope_after`` (its slopes, log scale per month),
        ``jump_p_value`` (NaN for ``level``).

    Notes
    -----
    The best continuous broken line (a knot at the best month, no jump) is fitted next to the
    best break. For ``trend`` the break model holds the broken line, and the extra fit of its
    jump is tested: statistic ``(RSS_bend - RSS_break) / (RSS_break / (n - 4))``, both minimised
    over the months, with its null distribution from a parametric bootstrap of the fitted
    broken line plus noise modelled as in :func:`break_test` (AR(1) of the extra-Poisson part
    of the broken line's residuals, plus Poisson noise). The change is a break only when the
    jump is significant at ``test_level``; otherwise a bend fits as well and the change is
    reported as a bend. For ``level`` (a jump only, as many parameters as the broken line) the
    model with the smaller residual sum of squares decides.
    """
    y = np.asarray(values, dtype=float)
    n = y.size
    time = np.arange(n, dtype=float)
    null = np.column_stack([np.ones(n), time])
    q_null, _ = np.linalg.qr(null)
    residuals = y - q_null @ (q_null.T @ y)
    candidates, bend_bases = _break_bases(n, min_size, "bend")
    _, break_bases = _break_bases(n, min_size, kind)

    def rss(columns, bases):
        reduction = _reductions(columns, bases)
        return np.sum(columns**2, axis=0) - reduction.max(axis=0), reduction.argmax(axis=0)

    rss_bend, bend_at = rss(residuals[:, None], bend_bases)
    rss_break, _ = rss(residuals[:, None], break_bases)
    knot = int(candidates[int(bend_at[0])])
    design = np.column_stack([null, _extra_regressors(time, knot, "bend")])
    coefficients = np.linalg.lstsq(design, y, rcond=None)[0]
    fitted = design @ coefficients
    result: dict[str, float | int | str] = {
        "bend_position": knot,
        "slope_before": float(coefficients[1]),
        "slope_after": float(coefficients[1] + coefficients[2]),
        "jump_p_value": math.nan,
    }
    if kind == "level":
        result["shape"] = "break" if rss_break[0] < rss_bend[0] else "bend"
        return result
    statistic = (rss_bend[0] - rss_break[0]) / max(rss_break[0] / (n - 4), 1e-300)
    rho, ar_variance = ar1_plus_white(y - fitted, white_variance)
    rng = np.random.default_rng(seed + 1)
    noise = _simulate_noise(rng, n, n_boot, rho, ar_variance, max(white_variance, 0.0))
    simulated = fitted[:, None] + noise
    simulated = simulated - q_null @ (q_null.T @ simulated)
    boot_bend, _ = rss(simulated, bend_bases)
    boot_break, _ = rss(simulated, break_bases)
    replicates = (boot_bend - boot_break) / np.maximum(boot_break / (n - 4), 1e-300)
    p_value = float((1 + np.sum(replicates >= statistic)) / (n_boot + 1))
    result["jump_p_value"] = p_value
    result["shape"] = "break" if p_value < test_level else "bend"
    return result


def detect_change_points(
    series: pd.Series,
    kind: str = "trend",
    penalty: float | None = None,
    min_size: int = 6,
    period: int = 12,
    test_level: float = 0.05,
    n_boot: int = 499,
    seed: int = 20170101,
    compare_pelt: bool = False,
) -> ChangePoints:
    """A change in the level or trend of a monthly count series, reported only when it survives
    a test that accounts for the search.

    Parameters
    ----------
    series : pandas.Series
        Monthly counts with a DatetimeIndex, at least two full years.
    kind : {"level", "trend"}, optional
        ``"trend"`` (default): a jump and/or a change of slope against a straight line;
        ``"level"``: a jump only.
    penalty : float, optional
        PELT penalty for the comparison candidates; default ``6 sigma^2 log n``.
    min_size : int, optional
        Shortest segment in months (default half a year).
    period : int, optional
        Season length used for deseasonalising.
    test_level : float, optional
        Level of the search-aware break test (:func:`break_test`).
    n_boot : int, optional
        Bootstrap replicates of the break test.
    seed : int, optional
    compare_pelt : bool, optional
        Also run PELT and keep its proposals in ``pelt_dates`` (slow; for comparison only).

    Returns
    -------
    ChangePoints
        ``dates`` holds the strongest break only when :func:`break_test` rejects at
        ``test_level``; ``pelt_dates`` what PELT proposed.

    Notes
    -----
    The series is log-transformed (``log(1 + count)``) and deseasonalised with robust STL with a
    fixed seasonal pattern when the counts can carry one (:func:`seasonality_supported`; else the
    log series itself is used). The decision "is there a break" is the sup-F test of
    :func:`break_test` with its AR(1) parametric bootstrap: under AR(1) noise and no change,
    PELT with a BIC-type penalty showed a break in 25% of series, and testing each break on the
    data that chose it called most of those significant. PELT (``ruptures``, Killick et al.
    2012) is still run and its proposals kept in ``pelt_dates`` for comparison, but it does not
    decide. When the test rejects, :func:`bend_or_break` asks whether the change is a jump or a
    bend: unless a jump beyond the best continuous broken line is significant (its own
    bootstrap under the broken line), the change is reported as a bend (``shape="bend"``, the
    knot in ``dates``, slopes before and after), because a smooth flattening of a decline is
    not a break. The noise model of both bootstraps is AR(1) on the extra-Poisson part of the
    residuals plus Poisson noise of known variance (:func:`ar1_plus_white`). ``jump_pct`` is
    the fitted jump at the break (segmented regression with the trend on
    both sides, so a steady trend is not mistaken for a jump); it comes without an interval,
    because an interval computed on the data that chose the break would be too narrow.

    References
    ----------
    Killick, R., Fearnhead, P. & Eckley, I.A. (2012). Optimal detection of changepoints with a
    linear computational cost. JASA 107, 1590-1598.
    Andrews, D.W.K. (1993). Econometrica 61, 821-856.
    """
    if kind not in ("level", "trend"):
        raise StatisticsInputError(f"kind must be 'level' or 'trend', got {kind!r}.")
    if min_size < 2:
        raise StatisticsInputError("min_size must be at least 2 months.")
    series = _check_monthly(series, 2 * period)
    if seasonality_supported(series):
        decomposition = stl_decompose(series, period=period, robust=True, log=True, seasonal=999)
        adjusted = np.log1p(series.to_numpy()) - np.log(decomposition["seasonal"].to_numpy())
        deseasonalised = "STL-deseasonalised log series"
    else:
        adjusted = np.log1p(series.to_numpy())
        deseasonalised = f"log series (too few offences a month for STL, < {MIN_MONTHLY_COUNT_STL})"
    n = adjusted.size
    differences = np.diff(adjusted)
    sigma = float(stats.median_abs_deviation(differences, scale="normal") / math.sqrt(2))
    if not sigma > 0:
        sigma = float(np.std(adjusted)) or 1.0
    penalty_rule = "6 sigma^2 log n"
    if penalty is None:
        penalty = 6 * sigma**2 * math.log(n)
    elif not penalty > 0:
        raise StatisticsInputError("penalty must be positive.")
    else:
        penalty_rule = "given"
    pelt_dates: list[pd.Timestamp] = []
    if compare_pelt:
        if kind == "level":
            signal = adjusted.reshape(-1, 1)
            algorithm = ruptures.Pelt(model="l2", min_size=min_size, jump=1).fit(signal)
        else:
            time = np.arange(n, dtype=float) / 12.0
            signal = np.column_stack([adjusted, np.ones(n), time])
            algorithm = ruptures.Pelt(model="linear", min_size=min_size, jump=1).fit(signal)
        pelt_breaks = algorithm.predict(pen=penalty)
        pelt_dates = [series.index[b] for b in pelt_breaks[:-1]]
    white = poisson_log_variance(series.to_numpy())
    test = break_test(
        adjusted, kind=kind, min_size=min_size, n_boot=n_boot, seed=seed, white_variance=white
    )
    candidate = series.index[int(test["position"])]
    significant = test["p_value"] < test_level
    shape = ""
    slopes = (math.nan, math.nan)
    jump_p_value = math.nan
    position = int(test["position"])
    if significant:
        classified = bend_or_break(
            adjusted,
            kind=kind,
            min_size=min_size,
            n_boot=n_boot,
            seed=seed,
            white_variance=white,
            test_level=test_level,
        )
        shape = str(classified["shape"])
        jump_p_value = float(classified["jump_p_value"])
        if shape == "bend":
            position = int(classified["bend_position"])
            candidate = series.index[position]
            slopes = (
                100.0 * math.expm1(12 * float(classified["slope_before"])),
                100.0 * math.expm1(12 * float(classified["slope_after"])),
            )
    breakpoints = [position, n] if significant else [n]
    starts = [0, *breakpoints[:-1]]
    segments = pd.DataFrame(
        {
            "start": [series.index[s] for s in starts],
            "end": [series.index[e - 1] for e in breakpoints],
            "mean_level": [
                float(np.mean(np.expm1(adjusted[s:e])))
                for s, e in zip(starts, breakpoints, strict=True)
            ],
        }
    )
    return ChangePoints(
        dates=[candidate] if significant else [],
        kind=kind,
        penalty=float(penalty),
        segments=segments,
        method=(
            f"sup-F test of one {'jump' if kind == 'level' else 'jump or change of slope'} at "
            f"an unknown month against a straight line, on the {deseasonalised}, p-value from "
            f"a parametric bootstrap of the maximum under AR(1) extra-Poisson noise plus "
            f"Poisson noise ({n_boot} replicates, rho = {test['rho']:.2f}); a change is "
            f"reported when p < {test_level:g}, as a bend (continuous broken line) unless "
            + (
                "a jump fits better than the best bend"
                if kind == "level"
                else f"the jump beyond the best bend is significant (bootstrap, p < {test_level:g})"
            )
            + (
                f"; PELT ({'l2' if kind == 'level' else 'linear'} cost, penalty ({penalty_rule}) "
                f"{penalty:.3g}) proposals kept for comparison only"
                if compare_pelt
                else ""
            )
        ),
        p_value=float(test["p_value"]),
        candidate=candidate,
        jump_pct=100.0 * math.expm1(test["jump"]) if shape == "break" else math.nan,
        pelt_dates=pelt_dates,
        shape=shape,
        jump_p_value=jump_p_value,
        slope_before_pct=slopes[0],
        slope_after_pct=slopes[1],
        method_spec=MethodSpec(
            "change_points",
            {
                "kind": kind,
                "stl": deseasonalised.startswith("STL"),
                "min_monthly_count": MIN_MONTHLY_COUNT_STL,
                "replicates": int(n_boot),
                "rho": float(test["rho"]),
                "test_level": float(test_level),
                "pelt": bool(compare_pelt),
                "penalty": float(penalty),
            },
        ),
    )


DARK_MONTHS = (10, 11, 12, 1)
"""October to January: the dark months of the strategy's seasonal burglary approach."""


@dataclass(frozen=True)
class SeasonalEffects(ResultMixin):
    """Result of :func:`seasonal_effects`.

    Attributes
    ----------
    factors : pandas.DataFrame
        ``month, factor, ci_low, ci_high``: each month's expected count relative to the mean
        month of its year (factors average 1).
    peak_month : Estimate
        The month with the highest factor; interval: the smallest circular window around it
        that holds 95% of the simulated peak months (``ci_high`` above 12 wraps to January).
    dark_months_ratio : Estimate
        Mean expected count in :data:`DARK_MONTHS` divided by that in the other months.
    dispersion : float
    method : str
    """

    factors: pd.DataFrame
    peak_month: Estimate
    dark_months_ratio: Estimate
    dispersion: float
    method: str
    method_spec: MethodSpec | None = field(default=None, compare=False)

    _FRAME = "factors"


def seasonal_effects(
    series: pd.Series,
    dark_months: tuple[int, ...] = DARK_MONTHS,
    level: float = 0.95,
    n_sim: int = 4000,
    seed: int = 20170101,
) -> SeasonalEffects:
    """Month factors, the peak month and the dark-months ratio with intervals.

    Parameters
    ----------
    series : pandas.Series
        Monthly counts (DatetimeIndex), at least two full years.
    dark_months : tuple of int, optional
    level : float, optional
    n_sim : int, optional
        Parameter draws for the peak month and the ratio.
    seed : int, optional

    Returns
    -------
    SeasonalEffects

    Notes
    -----
    Quasi-Poisson GLM ``log E[y] = a_year + s_month`` (a level per calendar year, so any trend
    between years cancels; the month effects sum to zero), dispersion ``max(1, X2/df)``, fitted
    by :func:`~rvs_analysis.stats.count_model.fit_counts`. The coefficients are drawn from a
    multivariate t with the residual df (multivariate normal where the floor ``phi = 1`` binds
    and no dispersion is estimated, as for every quasi-Poisson interval); per draw the peak month
    and the ratio of mean factors are computed, and the intervals are the draws' percentiles
    (the peak month's as a circular window). Assumes the seasonal pattern is the same every
    year and months independent given the year level.
    """
    series = _check_monthly(series, 24)
    check_counts(series.to_numpy(), "series")
    years = series.index.year.to_numpy()
    months = series.index.month.to_numpy()
    year_dummies = pd.get_dummies(years, dtype=float).to_numpy()
    month_codes = np.zeros((len(series), 11))
    for m in range(1, 12):
        month_codes[:, m - 1] = (months == m).astype(float) - (months == 12).astype(float)
    design = np.column_stack([year_dummies, month_codes])
    y = series.to_numpy(dtype=float)
    fit = fit_counts(y, design, model="quasi_poisson")
    phi = fit.dispersion
    params = fit.params[-11:]
    cov = fit.covariance[-11:, -11:]
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal(np.zeros(11), cov, size=n_sim)
    if math.isfinite(fit.reference_df):  # t draws; normal ones where the floor phi = 1 binds
        z = z * np.sqrt(fit.reference_df / rng.chisquare(fit.reference_df, size=n_sim))[:, None]
    effects = params + z
    full = np.column_stack([effects, -effects.sum(axis=1)])  # months 1..12
    point = np.append(params, -params.sum())
    factors_draws = np.exp(full) / np.exp(full).mean(axis=1, keepdims=True)
    factors_point = np.exp(point) / np.exp(point).mean()
    tail = (1 - level) / 2
    factors = pd.DataFrame(
        {
            "month": np.arange(1, 13),
            "factor": factors_point,
            "ci_low": np.quantile(factors_draws, tail, axis=0),
            "ci_high": np.quantile(factors_draws, 1 - tail, axis=0),
        }
    )
    peak = int(np.argmax(factors_point)) + 1
    draws_peak = np.argmax(factors_draws, axis=1) + 1
    offsets = (draws_peak - peak + 6) % 12 - 6  # circular distance, -6..5
    width = 0
    while np.mean(np.abs(offsets) <= width) < level and width < 6:
        width += 1
    peak_estimate = Estimate(
        estimate=float(peak),
        ci_low=float(peak - width),
        ci_high=float(peak + width),
        method=(
            "month with the highest factor of a quasi-Poisson model with year levels and month "
            f"effects; interval: circular window holding {level:.0%} of simulated peak months"
        ),
        level=level,
        n=float(y.sum()),
        method_spec=MethodSpec("seasonal_peak", {"level": level}),
    )
    dark = np.isin(np.arange(1, 13), dark_months)
    ratio_draws = factors_draws[:, dark].mean(axis=1) / factors_draws[:, ~dark].mean(axis=1)
    ratio_point = float(factors_point[dark].mean() / factors_point[~dark].mean())
    ratio = Estimate(
        estimate=ratio_point,
        ci_low=float(np.quantile(ratio_draws, tail)),
        ci_high=float(np.quantile(ratio_draws, 1 - tail)),
        method=(
            "ratio of mean month factors, dark months against the others, from a quasi-Poisson "
            f"model with year levels and month effects (dispersion {phi:.2f}, "
            f"{fit.reference} draws)"
        ),
        level=level,
        null_value=1.0,
        n=float(y.sum()),
        method_spec=MethodSpec(
            "dark_months_ratio", {"dispersion": phi, "df": float(fit.reference_df), "level": level}
        ),
    )
    method = (
        "quasi-Poisson GLM of monthly counts with a level per year and month effects, "
        f"dispersion max(1, X2/df) = {phi:.2f}; intervals from {n_sim} {fit.reference} "
        "parameter draws"
    )
    spec = MethodSpec(
        "seasonal_effects",
        {"dispersion": phi, "draws": int(n_sim), "level": level, "df": float(fit.reference_df)},
    )
    return SeasonalEffects(factors, peak_estimate, ratio, phi, method, spec)
