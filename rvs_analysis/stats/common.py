"""Result types and argument checks shared by the statistics modules.

Every estimate a report states travels as an :class:`Estimate`: a point estimate with its interval,
the method that produced it and, where it makes sense, a p-value. ``Estimate.to_dict()`` gives the
exact shape the report summaries store, ``{"estimate": x, "ci_low": a, "ci_high": b}``.

The checks raise :class:`StatisticsInputError`, which is both an :class:`~rvs_analysis.exceptions.RvsError`
(a message for people) and a :class:`ValueError` (what callers and tests catch for bad arguments).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rvs_analysis.exceptions import RvsError

__all__ = [
    "MIN_CASES_PERCENT",
    "MIN_EVENTS_CHANGE",
    "too_few_for_change",
    "COMPARISONS",
    "Estimate",
    "meets_threshold",
    "StatisticsInputError",
    "check_columns",
    "check_counts",
    "check_level",
    "check_nonempty",
    "check_positive_weights",
    "check_cleared_within_registered",
    "floored_dispersion",
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


MIN_CASES_PERCENT = 20
"""Small-number rule for percentages: fewer than 20 cases behind a percentage (registered
offences behind a clearance percentage) and it is shown as "te weinig gevallen" with the count."""


class StatisticsInputError(RvsError, ValueError):
    """A statistics function received arguments it cannot use (negative counts, empty series, ...)."""

    exit_code = 2


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
        )


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
    """
    if not (math.isfinite(pearson) and df > 0) or pearson <= 1.0:
        return 1.0, math.inf
    return float(pearson), float(df)


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
"""The comparisons a target can state (``data/targets.csv``, column ``comparison``)."""


def meets_threshold(values: np.ndarray, comparison: str, threshold: float) -> np.ndarray:
    """Element-wise whether ``values`` meet ``threshold`` under ``comparison`` (one of :data:`COMPARISONS`)."""
    if comparison == "<=":
        return values <= threshold
    if comparison == "<":
        return values < threshold
    if comparison == ">=":
        return values >= threshold
    if comparison == ">":
        return values > threshold
    raise StatisticsInputError(f"Unknown comparison {comparison!r}; use one of {COMPARISONS}.")
