"""Published survey estimates with their margins: pooling, before/after, pilots against the rest.

CBS publishes the Veiligheidsmonitor (81877NED for 2012-2019, 85146NED from 2021) as estimates
per area and wave with a 95% interval (the ``Marges`` dimension: value ``MW00000``, bounds
``MOG0095`` / ``MBG0095``), not as microdata. This module compares such estimates without the
microdata (:mod:`rvs_analysis.stats.perception` does it with them):

* the standard error of each published estimate is recovered from its margin
  (:func:`standard_error`: ``se = margin / z``, ``margin`` the half-width of CBS's interval);
* several areas of one group (the pilots, the other municipalities) in one wave are pooled with
  inverse-variance weights (:func:`pool`);
* :func:`before_after` compares one group's pooled estimate between two waves, and
  :func:`pilot_comparison` compares the pilots' change with the rest's change (a
  difference-in-differences on published estimates).

The 2021 redesign of the Veiligheidsmonitor breaks the series (:data:`SERIES_BREAK`): a before
and an after wave on different sides of it are never compared (:func:`series_of` names the two
series); the functions raise instead.

Input frame (``Dataset.survey_estimates``): ``area_code, year, indicator, estimate`` (percent),
``margin`` (95% half-width, percentage points).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from rvs_analysis.stats.common import (
    Estimate,
    MethodSpec,
    ResultMixin,
    StatisticsInputError,
    check_level,
    estimates_frame,
)

__all__ = [
    "COMPARISON_METHOD",
    "POOL_METHOD",
    "POOL_SPEC",
    "PublishedComparison",
    "SERIES_BREAK",
    "before_after",
    "pilot_comparison",
    "pool",
    "series_of",
    "series_label",
    "standard_error",
]

SERIES_BREAK = 2021
"""First wave of the redesigned Veiligheidsmonitor (85146NED); earlier waves (81877NED) form
another series that is not comparable with it."""

PUBLISHED_LEVEL = 0.95
"""The level of CBS's published intervals (``MOG0095`` / ``MBG0095``)."""

POOL_METHOD = (
    "inverse-variance weighted mean of published estimates (se = margin / 1.96), normal interval"
)
"""The method string of :func:`pool`."""

POOL_SPEC = MethodSpec("published_pool", {"level": PUBLISHED_LEVEL})
""":data:`POOL_METHOD` as a code (the report layer words it)."""

COMPARISON_METHOD = (
    "difference of the pilots' and the other areas' random-effects pooled changes per area "
    "(published estimates, se = margin / 1.96 from CBS's 95% bounds; DerSimonian-Laird "
    "between-area variance, Hartung-Knapp variance on the Kish effective number of areas "
    "minus 1 df), t interval with Welch-Satterthwaite df"
)
"""The method string of :func:`pilot_comparison`."""


def series_of(year: int) -> int:
    """The series a wave belongs to: 0 before :data:`SERIES_BREAK`, 1 from it.

    Parameters
    ----------
    year : int
        The survey wave.

    Returns
    -------
    int
        0 for the (On)veiligheidsbeleving series (81877NED), 1 for the Veiligheidsmonitor
        (85146NED).
    """
    return int(int(year) >= SERIES_BREAK)


def series_label(year: int) -> str:
    """Dutch name of a wave's series (for figures and tables).

    Parameters
    ----------
    year : int
        The survey wave.

    Returns
    -------
    str
        The series' name with its CBS table, e.g. "Veiligheidsmonitor vanaf 2019 (85146NED)".
    """
    return (
        f"Veiligheidsmonitor vanaf {SERIES_BREAK} (85146NED)"
        if series_of(year)
        else f"(On)veiligheidsbeleving tot {SERIES_BREAK} (81877NED)"
    )


def standard_error(margin, published_level: float = PUBLISHED_LEVEL):
    """The standard error behind a published margin: ``margin / z_{(1+level)/2}``.

    Parameters
    ----------
    margin : float or array-like
        Half the width of the published interval (percentage points).
    published_level : float, default 0.95

    Returns
    -------
    float or numpy.ndarray

    Notes
    -----
    Assumes CBS's interval is symmetric and normal-based (estimate +- z se), as the
    Veiligheidsmonitor documents for its published margins.

    Examples
    --------
    >>> round(standard_error(1.959964), 4)
    1.0
    """
    z = float(stats.norm.ppf(1 - (1 - published_level) / 2))
    return np.asarray(margin, dtype=float) / z if np.ndim(margin) else float(float(margin) / z)


def _check_frame(frame: pd.DataFrame) -> pd.DataFrame:
    needed = ["area_code", "year", "indicator", "estimate", "margin"]
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise StatisticsInputError(
            f"The estimates lack the column(s) {', '.join(missing)}; expected {', '.join(needed)} "
            "(Dataset.survey_estimates)."
        )
    return frame


def pool(
    frame: pd.DataFrame, indicator: str, year: int, codes: Iterable[str], level: float = 0.95
) -> Estimate:
    """The inverse-variance weighted mean of several areas' published estimates in one wave.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``area_code, year, indicator, estimate, margin``.
    indicator : str
        ``"feels_unsafe"`` or ``"youth_nuisance"``.
    year : int
        The wave.
    codes : iterable of str
        The areas to pool (``GM0344``, ``DI0901``, ...). Areas without an estimate or margin in
        that wave are left out (and listed in ``details["missing"]``).
    level : float, default 0.95
        Level of the returned interval.

    Returns
    -------
    Estimate
        Percent; ``details``: ``se``, ``areas`` (used), ``missing``, ``weights``.

    Raises
    ------
    StatisticsInputError
        When none of the areas has a published estimate with a margin in that wave.

    Notes
    -----
    ``w_i = 1 / se_i**2``, ``pooled = sum(w_i x_i) / sum(w_i)``, ``se = 1 / sqrt(sum(w_i))``,
    normal interval. Assumes the areas' samples are independent (different municipalities are
    sampled separately) and estimate the same group quantity; it is the fixed-effect pooled
    estimate of the group, weighting each area by its precision, not by its population.
    """
    level = check_level(level)
    _check_frame(frame)
    codes = list(dict.fromkeys(str(code) for code in codes))
    rows = frame.loc[
        (frame["indicator"] == indicator)
        & (frame["year"] == int(year))
        & frame["area_code"].isin(codes)
        & frame["estimate"].notna()
        & frame["margin"].notna()
        & (frame["margin"] > 0)
    ]
    if rows.empty:
        raise StatisticsInputError(
            f"No published estimate of {indicator} with a margin for {', '.join(codes) or 'no area'} "
            f"in {int(year)}."
        )
    se = standard_error(rows["margin"].to_numpy())
    weights = 1.0 / se**2
    estimate = float(np.sum(weights * rows["estimate"].to_numpy()) / np.sum(weights))
    pooled_se = float(1.0 / math.sqrt(np.sum(weights)))
    z = stats.norm.ppf(1 - (1 - level) / 2)
    used = list(rows["area_code"])
    return Estimate(
        estimate=estimate,
        ci_low=estimate - z * pooled_se,
        ci_high=estimate + z * pooled_se,
        method=POOL_METHOD,
        method_spec=MethodSpec("published_pool", {"level": level}),
        level=level,
        n=float(len(used)),
        details={
            "se": pooled_se,
            "areas": used,
            "missing": [code for code in codes if code not in set(used)],
            "weights": dict(zip(used, (weights / weights.sum()).tolist(), strict=True)),
            "year": int(year),
        },
    )


def _check_same_series(before: Sequence[int], after: Sequence[int]) -> None:
    years = [int(year) for year in (*before, *after)]
    if len({series_of(year) for year in years}) > 1:
        raise StatisticsInputError(
            f"The waves {', '.join(map(str, sorted(years)))} lie on both sides of the method "
            f"break of {SERIES_BREAK} (the Veiligheidsmonitor was redesigned): estimates before "
            "and after it are not comparable. Compare waves within one series."
        )


def _period_means(frame: pd.DataFrame, indicator: str, years: Sequence[int], codes) -> pd.DataFrame:
    """Per area the mean of its published estimates over ``years`` (areas with every wave only),
    with the standard error of that mean: ``estimate, se`` indexed by area code."""
    rows = frame.loc[
        (frame["indicator"] == indicator)
        & frame["year"].isin(list(years))
        & frame["area_code"].isin(list(codes))
        & frame["estimate"].notna()
        & frame["margin"].notna()
        & (frame["margin"] > 0)
    ]
    grouped = rows.assign(var=standard_error(rows["margin"].to_numpy()) ** 2).groupby("area_code")
    waves = grouped["year"].nunique()
    complete = waves[waves == len(years)].index
    means = grouped["estimate"].mean().loc[complete]
    se = np.sqrt(grouped["var"].sum().loc[complete]) / len(years)
    return pd.DataFrame({"estimate": means, "se": se})


def _random_effects(change: pd.Series, variance: pd.Series) -> tuple[float, float, float, float]:
    """DerSimonian-Laird random-effects mean of per-area changes with its Hartung-Knapp variance.

    Returns ``(mean, variance, df, tau2)``; with one area the fixed-effect value, its sampling
    variance and ``df = inf`` (no between-area variance can be estimated). The Hartung-Knapp
    variance is not allowed below the random-effects model's own variance ``1 / sum(w*)`` (the
    ad hoc modification of Knapp and Hartung 2003, see Röver, Knapp and Friede 2015, BMC Med.
    Res. Methodol. 15:99): with changes that agree closely the unmodified variance tends to zero
    and the interval to a point.

    The degrees of freedom are those of the weights, not ``k - 1``: the Hartung-Knapp variance
    is a weighted sum of squares, and with one big, precise city carrying much of a group's
    weight it rests on fewer areas than the group holds. ``df = n_eff - 1`` with the Kish
    effective number of areas ``n_eff = (sum w*)^2 / sum(w*^2)`` (``k - 1`` when the weights
    are equal; at least 1). With ``k - 1`` the pilots-against-the-rest interval covered
    92.1-93.4% with CBS-style margins and one big city per group
    (``docs/statistical_properties.md``, ``published-pilot-coverage-bigcity``).
    """
    d, v = change.to_numpy(float), variance.to_numpy(float)
    w = 1.0 / v
    fixed = float((w * d).sum() / w.sum())
    if d.size < 2:
        return fixed, float(1.0 / w.sum()), math.inf, 0.0
    q = float((w * (d - fixed) ** 2).sum())
    tau2 = max(0.0, (q - (d.size - 1)) / float(w.sum() - (w**2).sum() / w.sum()))
    w_star = 1.0 / (v + tau2)
    mean = float((w_star * d).sum() / w_star.sum())
    hartung_knapp = float((w_star * (d - mean) ** 2).sum() / ((d.size - 1) * w_star.sum()))
    hartung_knapp = max(hartung_knapp, float(1.0 / w_star.sum()))
    effective = float(w_star.sum() ** 2 / (w_star**2).sum())
    return mean, hartung_knapp, max(effective - 1.0, 1.0), tau2


def _pooled_change(
    frame: pd.DataFrame, indicator: str, codes, before, after, level: float, method: str
) -> Estimate:
    """The inverse-variance pooled change of the areas that are published before and after."""
    first = _period_means(frame, indicator, before, codes)
    second = _period_means(frame, indicator, after, codes)
    both = first.index.intersection(second.index)
    if both.empty:
        raise StatisticsInputError(
            f"No area of {', '.join(map(str, codes)) or 'the group'} has a published estimate of "
            f"{indicator} with a margin in both {'/'.join(map(str, before))} and "
            f"{'/'.join(map(str, after))}."
        )
    change = second.loc[both, "estimate"] - first.loc[both, "estimate"]
    variance = second.loc[both, "se"] ** 2 + first.loc[both, "se"] ** 2
    value, pooled_variance, df, tau2 = _random_effects(change, variance)
    se = math.sqrt(pooled_variance)
    reference = stats.t(df=df)
    z = reference.ppf(1 - (1 - level) / 2)
    weights = 1.0 / (variance + tau2)
    return Estimate(
        estimate=value,
        ci_low=value - z * se,
        ci_high=value + z * se,
        method=method,
        method_spec=MethodSpec(
            "published_comparison" if method == COMPARISON_METHOD else "published_change",
            {"df": df, "level": level, "areas": len(both)},
        ),
        level=level,
        p_value=float(2 * reference.sf(abs(value) / se)),
        null_value=0.0,
        n=float(len(both)),
        details={
            "se": se,
            "df": df,
            "tau2": tau2,
            "areas": list(both),
            "missing": [code for code in codes if code not in set(both)],
            "weights": dict(zip(both, (weights / weights.sum()).tolist(), strict=True)),
        },
    )


def _years(years) -> list[int]:
    if isinstance(years, int | np.integer):
        return [int(years)]
    out = sorted(int(year) for year in years)
    if not out:
        raise StatisticsInputError("Give at least one wave.")
    return out


def before_after(
    frame: pd.DataFrame,
    indicator: str,
    codes: Iterable[str],
    before,
    after,
    level: float = 0.95,
) -> Estimate:
    """The change of a group's published estimates between waves (percentage points).

    Parameters
    ----------
    frame : pandas.DataFrame
        ``area_code, year, indicator, estimate, margin``.
    indicator : str
    codes : iterable of str
        The group's areas.
    before, after : int or sequence of int
        The wave(s) before and after; an area's several waves are averaged with equal weight.
    level : float, default 0.95

    Returns
    -------
    Estimate
        ``after - before`` in percentage points with a normal interval and p-value (null 0);
        ``details["areas"]``: the areas published in both periods (only they are used).

    Raises
    ------
    StatisticsInputError
        When the waves lie on both sides of :data:`SERIES_BREAK`, or no area is published in
        both periods.

    Notes
    -----
    Each area's own change ``d_i = after_i - before_i`` has variance ``se_after_i**2 +
    se_before_i**2`` (different waves are independent samples); the group's change is their
    random-effects mean (DerSimonian-Laird ``tau2``, weights ``1 / (v_i + tau2)``) with the
    Hartung-Knapp variance and a t interval on ``n_eff - 1`` df (``n_eff`` the Kish effective
    number of areas of those weights; ``k - 1`` when they are equal), because the areas' true
    changes differ too;
    a single area's change has its own sampling variance and a normal interval. Taking the change
    per area first keeps differences in level between areas out of the change.
    """
    level = check_level(level)
    codes = list(dict.fromkeys(str(code) for code in codes))
    before, after = _years(before), _years(after)
    _check_same_series(before, after)
    return _pooled_change(
        frame,
        indicator,
        codes,
        before,
        after,
        level,
        "random-effects pooled change per area of published estimates (se = margin / 1.96 "
        "from CBS's 95% bounds; DerSimonian-Laird between-area variance, Hartung-Knapp "
        "variance), t interval on the Kish effective number of areas minus 1 df; one area: "
        "its own change, normal interval",
    )


@dataclass
class PublishedComparison(ResultMixin):
    """Result of :func:`pilot_comparison`.

    Attributes
    ----------
    indicator : str
    before, after : tuple of int
        The waves.
    difference : Estimate
        The pilots' change minus the rest's change (percentage points; negative: the pilots'
        share fell more, or rose less).
    pilots_change, rest_change : Estimate
        Each group's pooled before/after change (:func:`before_after`).
    method : str
    """

    indicator: str
    before: tuple[int, ...]
    after: tuple[int, ...]
    difference: Estimate
    pilots_change: Estimate
    rest_change: Estimate
    method: str = ""
    method_spec: MethodSpec | None = field(default=None, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """Three rows (``quantity``: ``difference``, ``pilots_change``, ``rest_change``), each
        in percentage points with its interval, and the indicator and waves."""
        return estimates_frame(
            {
                "difference": self.difference,
                "pilots_change": self.pilots_change,
                "rest_change": self.rest_change,
            }
        ).assign(
            indicator=self.indicator,
            before="/".join(map(str, self.before)),
            after="/".join(map(str, self.after)),
        )


def pilot_comparison(
    frame: pd.DataFrame,
    indicator: str,
    pilots: Iterable[str],
    rest: Iterable[str],
    before,
    after,
    level: float = 0.95,
) -> PublishedComparison:
    """Pilots against the rest on published estimates: the difference of their changes.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``area_code, year, indicator, estimate, margin``.
    indicator : str
    pilots, rest : iterable of str
        Area codes of the two groups (areas not published in both periods are left out).
    before, after : int or sequence of int
        Waves before and after the start, within one series.
    level : float, default 0.95

    Returns
    -------
    PublishedComparison

    Raises
    ------
    StatisticsInputError
        When the waves span :data:`SERIES_BREAK`, or a group has no area published before and
        after.

    Notes
    -----
    ``difference = change_pilots - change_rest``, each the random-effects pooled change per area
    (:func:`before_after`: DerSimonian-Laird between-area variance ``tau2``, Hartung-Knapp
    variance, t on the Kish effective number of areas minus 1), ``se = sqrt(se_p**2 +
    se_r**2)``, t interval with Welch-Satterthwaite degrees of freedom. Assumes independent
    samples per area and wave; the true change may differ between the areas of a group
    (municipality x wave shocks), which a fixed-effect pooling ignores: with shocks of sd 1.2
    and 2.0 points it covered 88.5% and 80.0% (10 pilots, 29 others, 400 replications). With
    CBS-style margins (computed from each estimate and an effective sample of 100-400, one big
    city per group of 2,400-3,000) and shocks of 2 points the Hartung-Knapp interval on
    ``k - 1`` df covered 92.1-93.4%; on the effective number of areas it covers 93-97% in
    those scenarios (``published-pilot-coverage-bigcity``, ``published-pilot-coverage-
    startyear`` and ``published_comparison`` in ``docs/statistical_properties.md``). It adjusts for each area's level
    (the change is taken per area) but, unlike the microdata difference-in-differences
    (:mod:`rvs_analysis.stats.perception`), not for respondents' characteristics, and parallel
    trends can only be checked when several waves before the start are published.
    """
    level = check_level(level)
    pilots = list(dict.fromkeys(str(code) for code in pilots))
    rest = list(dict.fromkeys(str(code) for code in rest))
    before, after = _years(before), _years(after)
    _check_same_series(before, after)
    method = COMPARISON_METHOD
    pilots_change = _pooled_change(frame, indicator, pilots, before, after, level, method)
    rest_change = _pooled_change(frame, indicator, rest, before, after, level, method)
    value = pilots_change.estimate - rest_change.estimate
    v1, v2 = pilots_change.details["se"] ** 2, rest_change.details["se"] ** 2
    d1, d2 = pilots_change.details["df"], rest_change.details["df"]
    se = math.sqrt(v1 + v2)
    # Welch-Satterthwaite degrees of freedom of the two Hartung-Knapp variances
    df = (v1 + v2) ** 2 / (
        (v1**2 / d1 if math.isfinite(d1) else 0.0) + (v2**2 / d2 if math.isfinite(d2) else 0.0)
        or math.inf
    )
    reference = stats.t(df=df)
    z = reference.ppf(1 - (1 - level) / 2)
    difference = Estimate(
        estimate=value,
        ci_low=value - z * se,
        ci_high=value + z * se,
        method=method,
        level=level,
        p_value=float(2 * reference.sf(abs(value) / se)),
        null_value=0.0,
        n=float(pilots_change.n + rest_change.n),
        details={"se": se, "df": df},
        method_spec=MethodSpec("published_comparison", {"df": df, "level": level}),
    )
    return PublishedComparison(
        indicator=indicator,
        before=tuple(before),
        after=tuple(after),
        difference=difference,
        pilots_change=pilots_change,
        rest_change=rest_change,
        method=method,
        method_spec=difference.method_spec,
    )
