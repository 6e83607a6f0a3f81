"""Monthly series of registered crime: seasonality and change points.

:func:`monthly_series`, :func:`stl_decompose` (statsmodels STL) and :func:`detect_change_points`
(``ruptures`` PELT on the deseasonalised log series).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from rvs_analysis.stats.common import (
    StatisticsInputError,
    check_columns,
    check_counts,
    check_nonempty,
)

__all__ = [
    "ChangePoints",
    "detect_change_points",
    "monthly_series",
    "stl_decompose",
]


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
    from statsmodels.tsa.seasonal import STL

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
class ChangePoints:
    """Change points found by :func:`detect_change_points`.

    Attributes
    ----------
    dates : list of pandas.Timestamp
        First month of each new segment.
    kind : str
        ``"level"`` or ``"trend"``.
    penalty : float
        The PELT penalty used.
    segments : pandas.DataFrame
        One row per segment: ``start, end, mean_level`` (counts per month, seasonally adjusted).
    method : str
    """

    dates: list[pd.Timestamp]
    kind: str
    penalty: float
    segments: pd.DataFrame
    method: str


def detect_change_points(
    series: pd.Series,
    kind: str = "trend",
    penalty: float | None = None,
    min_size: int = 6,
    period: int = 12,
) -> ChangePoints:
    """Change points in the level or the trend of a monthly count series.

    Parameters
    ----------
    series : pandas.Series
        Monthly counts with a DatetimeIndex, at least two full years.
    kind : {"level", "trend"}, optional
        ``"level"``: piecewise constant mean (cost ``l2``); ``"trend"``: piecewise linear
        (cost ``linear``, a regression on time per segment). A series that rises or falls
        steadily has no level shifts, but the level model approximates its slope by a staircase
        of change points; ``"trend"`` (the default) suits such series: a change point is then
        a change of slope or a jump, and it still finds a pure level shift (30 of 30 simulated
        20% shifts, within three months).
    penalty : float, optional
        PELT penalty; default ``6 * sigma^2 * log(n)`` with ``sigma`` estimated robustly (see
        Notes for why not the BIC's ``2 sigma^2 log n``).
    min_size : int, optional
        Shortest segment in months (default half a year: shorter episodes are seasonal noise
        for a strategy monitor).
    period : int, optional
        Season length used for deseasonalising.

    Returns
    -------
    ChangePoints

    Notes
    -----
    Method: the series is log-transformed (``log(1 + count)``) so that changes are relative,
    deseasonalised with robust STL with a fixed seasonal pattern (:func:`stl_decompose` with
    ``seasonal=999``; a flexible seasonal component would absorb part of a level shift), and
    segmented with PELT (Killick, Fearnhead & Eckley 2012) from the maintained ``ruptures``
    library (Truong, Oudre & Vayatis 2020). PELT finds the exact optimum of the penalised cost
    in linear time, and ruptures offers both the piecewise-constant and piecewise-linear costs;
    statsmodels only offers tests for a single break at a known or searched date (CUSUM,
    Chow-type), not several change points. The noise scale ``sigma`` is the MAD of the
    first differences divided by sqrt(2), which a level shift barely affects.

    Penalty: the BIC penalty ``2 sigma^2 log n`` gave false alarms in 25-45% of simulated
    8-year monthly Poisson series without any change (PELT searches every position, and the
    seasonal adjustment makes the difference-based sigma slightly small). In the same simulation
    (seasonal Poisson counts around 800 a month, 96 months) ``6 sigma^2 log n`` kept false
    alarms near 5% for both costs while still finding a 10% level shift in 60 of 60 series,
    within three months of the true date; that is the default. Assumes roughly
    independent Gaussian noise around the segments on the log scale; autocorrelated noise makes
    spurious change points more likely, which the BIC-type penalty partly guards against.

    References
    ----------
    Killick, R., Fearnhead, P. & Eckley, I.A. (2012). Optimal detection of changepoints with a
    linear computational cost. JASA 107, 1590-1598.
    Truong, C., Oudre, L. & Vayatis, N. (2020). Selective review of offline change point
    detection methods. Signal Processing 167.
    """
    import ruptures

    if kind not in ("level", "trend"):
        raise StatisticsInputError(f"kind must be 'level' or 'trend', got {kind!r}.")
    if min_size < 2:
        raise StatisticsInputError("min_size must be at least 2 months.")
    series = _check_monthly(series, 2 * period)
    decomposition = stl_decompose(series, period=period, robust=True, log=True, seasonal=999)
    adjusted = np.log1p(series.to_numpy()) - np.log(decomposition["seasonal"].to_numpy())
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
    if kind == "level":
        signal = adjusted.reshape(-1, 1)
        algorithm = ruptures.Pelt(model="l2", min_size=min_size, jump=1).fit(signal)
    else:
        time = np.arange(n, dtype=float) / 12.0
        signal = np.column_stack([adjusted, np.ones(n), time])
        algorithm = ruptures.Pelt(model="linear", min_size=min_size, jump=1).fit(signal)
    breakpoints = algorithm.predict(pen=penalty)
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
    dates = [series.index[b] for b in breakpoints[:-1]]
    return ChangePoints(
        dates=dates,
        kind=kind,
        penalty=float(penalty),
        segments=segments,
        method=(
            f"PELT ({'l2' if kind == 'level' else 'linear'} cost, ruptures) on the STL-"
            f"deseasonalised log series, penalty ({penalty_rule}) {penalty:.3g}, minimum "
            f"segment {min_size} months"
        ),
    )
