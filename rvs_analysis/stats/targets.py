"""Targets of the strategy: baselines, yearly and 2018 targets, forecasts and status.

:func:`load_targets`, :func:`target_for` and :func:`target_status` read ``data/strategies/rvs-2015-2018/targets.csv`` (the 2011
baselines and yearly/2018 targets of the Veiligheidsstrategie 2015-2018) and give a target's status in
status: measured (behaald, niet behaald, op de grens, te weinig gevallen) once the data reach the
target year, else forecast bands (op koers, waarschijnlijk op koers, onzeker, niet op koers) with the
predictive probability of meeting it, or onvoldoende gegevens.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

from rvs_analysis.resources import data_path
from rvs_analysis.stats.common import (
    COMPARISONS,
    MIN_CASES_PERCENT,
    MethodSpec,
    ResultMixin,
    StatisticsInputError,
    check_cleared_within_registered,
    check_columns,
    check_counts,
    check_level,
    meets_threshold,
    plain,
)
from rvs_analysis.stats.serial import ar1_noise, independence_note, independence_values
from rvs_analysis.stats.trends import Forecast, fit_count_trend
from rvs_analysis.strategies import TARGET_COLUMNS

__all__ = [
    "TARGETS_PATH",
    "Target",
    "TargetStatus",
    "forecast_proportion",
    "load_targets",
    "quasi_binomial_trend",
    "status_from_probability",
    "target_for",
    "target_status",
]


TARGETS_PATH = data_path("strategies") / "rvs-2015-2018" / "targets.csv"
"""Default location of the strategy's targets table (the 2015-2018 strategy's ``targets.csv``, or the installed package's
copy: :mod:`rvs_analysis.resources`)."""


@dataclass(frozen=True)
class Target:
    """A target value for one indicator and year.

    Attributes
    ----------
    indicator : str
    year : int
    value : float
    comparison : str
        How an observed value meets the target: ``"<="``, ``"<"``, ``">="`` or ``">"``.
    unit : str
        ``count``, ``percent`` or ``eur_thousands``.
    how : str
        ``"published"`` (in the source document), ``"interpolated"`` (linear between the
        published baseline/targets around the year) or ``"relative"`` (a published relative
        change applied to the baseline value).
    source_line : str
        Where the value comes from.
    """

    indicator: str
    year: int
    value: float
    comparison: str
    unit: str
    how: str
    source_line: str

    def is_met(self, observed: float) -> bool:
        """Whether ``observed`` meets this target."""
        return bool(
            meets_threshold(np.asarray([observed], dtype=float), self.comparison, self.value)[0]
        )


def load_targets(path: str | Path | None = None) -> pd.DataFrame:
    """Read the strategy's targets table.

    Parameters
    ----------
    path : str or Path, optional
        Defaults to the 2015-2018 strategy's ``targets.csv`` (``data/strategies/rvs-2015-2018/``, see its ``targets.md``); a report reads its own strategy's table.

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator, label_nl, unit, area, year, kind, value, comparison,
        relative_to_baseline, source_line``; ``kind`` is ``baseline`` or ``target``.

    Notes
    -----
    Targets are data, never code: each row cites the line of the source document (Jaarplan
    2017/2018 RVS Midden-Nederland) it was taken from.
    """
    path = Path(path) if path is not None else TARGETS_PATH
    if not path.exists():
        raise StatisticsInputError(f"Targets table not found at {path}.")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _TARGET_TABLES:
        _TARGET_TABLES.clear()
        _TARGET_TABLES[key] = _read_targets(path)
    # a shallow copy: pandas copy-on-write keeps the table read here as it was
    return _TARGET_TABLES[key].copy(deep=False)


_TARGET_TABLES: dict[tuple, pd.DataFrame] = {}
"""The targets table read last, by (path, modification time, size): a monitor reads it for every
indicator, so it is parsed and checked once while the file is unchanged."""


def _read_targets(path: Path) -> pd.DataFrame:
    table = pd.read_csv(path, dtype={"indicator": "str", "comparison": "str"})
    check_columns(table, TARGET_COLUMNS, str(path))
    bad_kind = ~table["kind"].isin(["baseline", "target"])
    if bad_kind.any():
        raise StatisticsInputError(f"{path}: kind must be 'baseline' or 'target'.")
    targets = table[table["kind"] == "target"]
    bad = ~targets["comparison"].isin(sorted(COMPARISONS))
    if bad.any():
        raise StatisticsInputError(f"{path}: every target row needs a comparison (<=, <, >=, >).")
    return table


def _year_of(row: dict) -> int:
    return int(row["year"])


def target_for(
    indicator: str,
    year: int,
    targets: pd.DataFrame | None = None,
    baseline_value: float | None = None,
) -> Target:
    """The target of an indicator for a given year.

    Parameters
    ----------
    indicator : str
        Indicator name as in a strategy's ``targets.csv`` (e.g. ``burglary``, ``burglary_clearance``).
    year : int
        The year.
    targets : pandas.DataFrame, optional
        A table as returned by :func:`load_targets` (read from disk when omitted).
    baseline_value : float, optional
        The baseline year's observed value, needed for targets stated only relative to the
        baseline when the table does not hold the baseline (total crime: -20% on 2011).

    Returns
    -------
    Target

    Notes
    -----
    A year with a published target returns it. A year between two published points (the
    baseline or targets) gets the linear interpolation between them, marked
    ``how="interpolated"``: the source document publishes targets for 2016-2018 only, and a
    straight path from the 2011 baseline is the plainest reading of "decrease by x% from 2011
    to 2018". Years before the baseline or after the last target raise an error.
    """
    targets = load_targets() if targets is None else targets
    # the indicator's rows as plain records: a report asks for some thirty targets, and pandas
    # selections per row cost more than the arithmetic
    mask = targets["indicator"].to_numpy() == indicator
    if not mask.any():
        known = sorted(targets["indicator"].unique())
        raise StatisticsInputError(
            f"No targets for indicator {indicator!r}; known indicators: {', '.join(known)}."
        )
    rows = targets[mask].to_dict("records")
    baseline_rows = [row for row in rows if row["kind"] == "baseline"]
    target_rows = sorted((row for row in rows if row["kind"] == "target"), key=_year_of)
    baseline_year = int(baseline_rows[0]["year"]) if baseline_rows else None
    base = baseline_value
    if base is None and baseline_rows and pd.notna(baseline_rows[0]["value"]):
        base = float(baseline_rows[0]["value"])
    unit = str(rows[0]["unit"])
    comparison = str(target_rows[-1]["comparison"])

    def resolve(row: dict) -> tuple[float, str]:
        if pd.notna(row["value"]):
            return float(row["value"]), "published"
        if pd.notna(row["relative_to_baseline"]):
            if base is None:
                raise StatisticsInputError(
                    f"The {int(row['year'])} target for {indicator!r} is stated relative to the "
                    f"{baseline_year} baseline, which the table does not hold; pass "
                    "baseline_value (the observed baseline-year value)."
                )
            return base * (1 + float(row["relative_to_baseline"])), "relative"
        raise StatisticsInputError(f"Target row for {indicator!r} {int(row['year'])} has no value.")

    exact = [row for row in target_rows if row["year"] == year]
    if exact:
        row = exact[0]
        value, how = resolve(row)
        return Target(
            indicator, int(year), value, str(row["comparison"]), unit, how, str(row["source_line"])
        )
    points: list[tuple[int, float, str]] = []
    if baseline_year is not None and base is not None:
        points.append((baseline_year, base, str(baseline_rows[0]["source_line"])))
    for row in target_rows:
        try:
            value, _ = resolve(row)
        except StatisticsInputError:
            continue
        points.append((int(row["year"]), value, str(row["source_line"])))
    points.sort()
    for (year_a, value_a, source_a), (year_b, value_b, source_b) in zip(
        points, points[1:], strict=False
    ):
        if year_a < year < year_b:
            share = (year - year_a) / (year_b - year_a)
            value = value_a + share * (value_b - value_a)
            source = f"interpolated between {year_a} ({source_a}) and {year_b} ({source_b})"
            return Target(indicator, int(year), value, comparison, unit, "interpolated", source)
    span = f"{points[0][0]}-{points[-1][0]}" if points else "none"
    raise StatisticsInputError(
        f"No target for {indicator!r} in {year}: targets cover {span} (baseline and published "
        "targets); outside that span the strategy states none."
    )


@dataclass(frozen=True)
class TargetStatus(ResultMixin):
    """Status of an indicator against its target (see :func:`target_status`)."""

    indicator: str
    status: str
    target: Target
    last_year: int
    last_value: float
    current_target: Target | None
    meets_current_target: bool | None
    forecast: Forecast | None
    probability_meeting_target: float
    method: str
    observed_year: int | None = None
    """When the data reach the target year: the year whose observed value decided the status (the
    target year itself, or the last observation before it)."""
    observed_value: float | None = None
    """The observed value of ``observed_year``."""
    judged_years: tuple[int, ...] = ()
    """The measured years the status was judged on: the target year, or the last year before it
    and the first after it when the target year itself has no measurement (a biennial survey)."""
    method_spec: MethodSpec | None = field(default=None, compare=False)
    """The method as a code and its numbers (the report layer words it)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain values for a summary or a table row."""
        return plain(
            {
                "indicator": self.indicator,
                "status": self.status,
                "target_year": self.target.year,
                "target": self.target.value,
                "last_year": self.last_year,
                "last_value": self.last_value,
                "current_target": None
                if self.current_target is None
                else self.current_target.value,
                "meets_current_target": self.meets_current_target,
                "forecast": None if self.forecast is None else self.forecast.to_dict(),
                "probability_meeting_target": self.probability_meeting_target,
                "observed_year": self.observed_year,
                "observed_value": self.observed_value,
                "judged_years": list(self.judged_years),
                "method": self.method,
                "method_spec": self.method_spec,
            }
        )


def last_target_year(indicator: str, targets: pd.DataFrame | None = None) -> int:
    """The last year for which the strategy sets ``indicator`` a target (2018 for most).

    Parameters
    ----------
    indicator : str
        Indicator in the targets table.
    targets : pandas.DataFrame, optional
        Targets table (read when omitted).

    Returns
    -------
    int
    """
    table = load_targets() if targets is None else targets
    rows = table[(table["indicator"] == indicator) & (table["kind"] == "target")]
    if rows.empty:
        raise StatisticsInputError(f"No targets for {indicator!r} in the targets table.")
    return int(rows["year"].max())


MEASURED_STATUSES = ("achieved", "not met", "borderline", "too few")
"""Statuses of a target judged on measured values (the data reach the target year)."""

FORECAST_STATUSES = ("on course", "likely", "uncertain", "unlikely")
"""Statuses of a target judged on a forecast (before the target year): never "achieved"."""

PROBABILITY_BANDS = ((0.9, "on course"), (0.7, "likely"), (0.3, "uncertain"), (0.0, "unlikely"))
"""Lower bounds of the probability bands: P >= 0.9 op koers, 0.7-0.9 waarschijnlijk op koers,
0.3-0.7 onzeker, below 0.3 niet op koers. Applied to the probability rounded to the whole
percent a report prints, so that "90%" always carries the same word."""

MIN_CASES_STATUS = 10
"""Fewer cases behind a measured value (a count below 10; for a percentage fewer than 10 cleared
or :data:`~rvs_analysis.stats.common.MIN_CASES_PERCENT` registered) give no verdict: "too few"."""

MIN_YEARS_FORECAST = 3
"""Fewer observed years give no forecast and the status "onvoldoende gegevens"."""

MIN_POINTS_LINEAR = 4
"""A linear trend of other values (survey shares, the region's own figures) needs four points:
three survey waves leave one residual degree of freedom, whose t(1) interval says nothing."""

MAX_SPAN_PERCENT = 50.0
"""A percentage forecast whose 95% interval spans more than 50 points (half the scale) says
nothing about a target: status "onvoldoende gegevens"."""

MAX_RELATIVE_SPAN = 2.0
"""A count or amount forecast whose 95% interval is wider than twice its mean: "onvoldoende
gegevens"."""


def status_from_probability(probability: float) -> str:
    """The status band of a probability of meeting the target (see :data:`PROBABILITY_BANDS`),
    decided on the probability rounded to the whole percent (as printed).

    Parameters
    ----------
    probability : float
        The probability of meeting the target (0-1); not finite when it could not be computed.

    Returns
    -------
    str
        ``"on course"``, ``"likely"``, ``"uncertain"``, ``"unlikely"`` or, for a probability
        that is not finite, ``"insufficient data"``.
    """
    if not math.isfinite(probability):
        return "insufficient data"
    printed = round(100.0 * probability) / 100.0
    for bound, status in PROBABILITY_BANDS:
        if printed >= bound:
            return status
    return "unlikely"


@dataclass(frozen=True)
class Measured(ResultMixin):
    """One measured value against its target: the value, its 95% interval and its cases.

    ``interval`` names the interval: ``"exact_poisson"`` (a count), ``"clopper_pearson"``
    (cleared of registered), ``"margin"`` (a survey's published margin) or ``""`` (none).
    """

    year: int
    value: float
    low: float
    high: float
    cases: float
    interval: str = ""

    @property
    def method(self) -> str:
        """The interval, in words."""
        return {
            "exact_poisson": "exact Poisson 95% interval of a count",
            "clopper_pearson": "Clopper-Pearson 95% interval of cleared out of registered",
            "margin": "the published 95% margin of a survey estimate",
        }.get(self.interval, "no interval")

    @property
    def method_spec(self) -> MethodSpec:
        """The interval as a code and its kind."""
        return MethodSpec("measured_interval", {"interval": self.interval, "level": 0.95})

    def verdict(self, target: Target) -> str:
        """``too few``, ``borderline`` (the target inside the interval), ``achieved`` or
        ``not met``."""
        if self.cases < MIN_CASES_STATUS:
            return "too few"
        if math.isfinite(self.low) and math.isfinite(self.high):
            if self.low <= target.value <= self.high:
                return "borderline"
        return "achieved" if target.is_met(self.value) else "not met"


def _measured(data: pd.DataFrame, values: np.ndarray, position: int, unit: str) -> Measured:
    """The value of one observed year with its 95% interval: exact Poisson for a count,
    Clopper-Pearson for cleared of registered, the given ``ci_low``/``ci_high`` (a survey's
    margin) otherwise, none when there is none."""
    row = data.iloc[position]
    value = float(values[position])
    low = high = math.nan
    cases = math.inf
    interval = ""
    if {"cleared_offences", "registered_offences"} <= set(data.columns):
        interval = "clopper_pearson"
        cleared, registered = float(row["cleared_offences"]), float(row["registered_offences"])
        low = 100.0 * (stats.beta.ppf(0.025, cleared, registered - cleared + 1) if cleared else 0)
        high = 100.0 * (
            stats.beta.ppf(0.975, cleared + 1, registered - cleared) if cleared < registered else 1
        )
        cases = min(cleared, registered * MIN_CASES_STATUS / MIN_CASES_PERCENT)
    elif unit == "count":
        low = stats.chi2.ppf(0.025, 2 * value) / 2 if value > 0 else 0.0
        high = stats.chi2.ppf(0.975, 2 * value + 2) / 2
        cases = value
        interval = "exact_poisson"
    elif {"ci_low", "ci_high"} <= set(data.columns):
        low, high = float(row["ci_low"]), float(row["ci_high"])
        interval = "margin"
    return Measured(int(row["year"]), value, low, high, cases, interval)


def _spans_most_of_scale(forecast: Forecast, unit: str) -> bool:
    width = forecast.pi_high - forecast.pi_low
    if unit == "percent":
        return width > MAX_SPAN_PERCENT
    return width > MAX_RELATIVE_SPAN * max(abs(forecast.mean), 1e-9)


def target_status(
    indicator: str,
    observed: pd.DataFrame,
    target_year: int = 2018,
    targets: pd.DataFrame | None = None,
    baseline_value: float | None = None,
    n_sim: int = 20000,
    seed: int = 20170101,
    level: float = 0.95,
) -> TargetStatus:
    """Status of a target in probability bands, with a forecast of the target year.

    Parameters
    ----------
    indicator : str
        Indicator in the targets table.
    observed : pandas.DataFrame
        One row per year with ``year`` and either
        ``value`` (counts for ``count`` indicators; any number for others), optionally
        ``population`` (count indicators: the trend is then in the rate, forecast at the
        projected population), or ``cleared_offences`` and ``registered_offences`` (percent
        indicators such as clearance).
    target_year : int, optional
        The year whose target decides the status (2018, the end of the strategy).
    targets : pandas.DataFrame, optional
        Targets table (read when omitted).
    baseline_value : float, optional
        See :func:`target_for`.
    n_sim, seed : int, optional
        Simulation size and seed for the forecast.
    level : float, optional
        Prediction interval level.

    Returns
    -------
    TargetStatus
        ``status``:

        * ``"achieved"`` (behaald) when the target year itself is observed and meets the
          target, or, before the target year, when the forecast meets it with probability
          >= 0.9;
        * ``"not met"`` (niet behaald) when the observations reach the target year and its
          observed value (or that of the last year before it with one) misses the target;
          then no forecast decides (``observed_year``, ``observed_value``);
        * ``"likely"`` (0.7-0.9), ``"uncertain"`` (0.3-0.7), ``"unlikely"`` (< 0.3);
        * ``"insufficient data"`` (onvoldoende gegevens) with fewer than three years, or when
          the forecast interval spans most of the scale (a percentage interval wider than 50
          points, a count interval wider than twice its mean). Fewer than three years is never
          "niet op koers".

    Notes
    -----
    One noisy value that happens to meet the target says little (with clearance flat at the
    target, a rule "last value meets the target" says behaald in 64% of runs), so a value before
    the target year never decides the status on its own. Forecast routes: count indicators use
    :func:`~rvs_analysis.stats.trends.fit_count_trend` (quasi-Poisson) and
    :meth:`~rvs_analysis.stats.trends.CountTrend.forecast`; percentages with cleared/registered
    counts a quasi-binomial trend (:func:`forecast_proportion`); other values an OLS linear
    trend with its t prediction interval. The probability is a predictive probability given
    that the recent trend continues unchanged to the target year, not a probability that the
    policy works.
    """
    level = check_level(level)
    check_columns(observed, ["year"], "observed")
    data = observed.sort_values("year").reset_index(drop=True)
    if data["year"].duplicated().any():
        raise StatisticsInputError("'observed' must have one row per year.")
    target = target_for(indicator, target_year, targets, baseline_value)
    has_counts = {"cleared_offences", "registered_offences"} <= set(data.columns)
    if has_counts:
        cleared = check_counts(data["cleared_offences"].to_numpy(), "cleared_offences")
        registered = check_counts(data["registered_offences"].to_numpy(), "registered_offences")
        check_cleared_within_registered(cleared, registered)
        if (registered == 0).any():
            raise StatisticsInputError("Every year needs registered offences > 0 for a percentage.")
        values = 100.0 * cleared / registered
    else:
        check_columns(data, ["value"], "observed")
        values = np.asarray(data["value"], dtype=float)
        if np.isnan(values).any():
            raise StatisticsInputError("'observed' has missing values; drop those years.")
        if target.unit == "count":
            check_counts(values, "value")
    last_year = int(data["year"].iloc[-1])
    last_value = float(values[-1])
    try:
        current = target_for(indicator, last_year, targets, baseline_value)
    except StatisticsInputError:
        current = None
    meets_current = None if current is None else current.is_met(last_value)

    forecast: Forecast | None = None
    before = data["year"] < target_year
    if last_year < target_year and len(data) >= MIN_YEARS_FORECAST:
        if has_counts:
            forecast = forecast_proportion(data, target_year, level, n_sim, seed)
        elif target.unit == "count":
            frame = data.rename(columns={"value": "registered_offences"})
            trend = fit_count_trend(frame, population_column="population")
            forecast = trend.forecast(target_year, level=level, n_sim=n_sim, seed=seed)
        elif len(data) >= MIN_POINTS_LINEAR:
            forecast = _forecast_linear(
                data["year"].to_numpy(float), values, target_year, level, target.unit
            )
    probability = (
        forecast.probability(target.value, target.comparison) if forecast is not None else math.nan
    )
    observed_year = observed_value = None
    judged_years: tuple[int, ...] = ()
    years = data["year"].to_numpy()
    reached = np.flatnonzero(years <= target_year)
    if last_year >= target_year and len(reached):
        # The data reach the target year: measured values decide, never a forecast.
        position = int(reached[-1])
        observed_year, observed_value = int(years[position]), float(values[position])
        judged = [_measured(data, values, position, target.unit)]
        if observed_year < target_year and position + 1 < len(data):
            # the target year itself was not measured: the measurements around it decide
            judged.append(_measured(data, values, position + 1, target.unit))
        verdicts = {measured.verdict(target) for measured in judged}
        status = (
            verdicts.pop()
            if len(verdicts) == 1
            else ("too few" if "too few" in verdicts else "borderline")
        )
        judged_years = tuple(measured.year for measured in judged)
        probability = math.nan
        method = (
            f"measured value of {' and '.join(map(str, judged_years))} against the "
            f"{target_year} target with its 95% interval (exact Poisson for counts, "
            "Clopper-Pearson for clearance, the published margin for survey shares): "
            "'borderline' when the target lies inside it, 'too few' below "
            f"{MIN_CASES_STATUS} cases; no forecast: the data reach the target year"
        )
        spec = MethodSpec(
            "target_measured",
            {
                "years": list(judged_years),
                "target_year": target_year,
                "intervals": [measured.interval for measured in judged],
                "min_cases": MIN_CASES_STATUS,
            },
        )
    elif last_year >= target_year:
        status = "insufficient data"
        method = f"no observation up to the target year {target_year}"
        spec = MethodSpec("target_no_observation", {"target_year": target_year})
    elif int(before.sum()) < MIN_YEARS_FORECAST or forecast is None:
        status = "insufficient data"
        method = (
            f"fewer than {MIN_YEARS_FORECAST} years"
            + (
                ""
                if has_counts or target.unit == "count"
                else f" ({MIN_POINTS_LINEAR} for a linear trend)"
            )
            + ": no forecast"
        )
        spec = MethodSpec(
            "target_too_few_years",
            {
                "min_years": MIN_YEARS_FORECAST,
                "min_points_linear": (
                    None if has_counts or target.unit == "count" else MIN_POINTS_LINEAR
                ),
            },
        )
    elif _spans_most_of_scale(forecast, target.unit):
        status = "insufficient data"
        method = f"forecast by {forecast.method}; its {level:.0%} interval spans most of the scale"
        spec = MethodSpec(
            "target_forecast_wide", {"level": level, "forecast": forecast.method_spec}
        )
    else:
        status = status_from_probability(probability)
        method = (
            f"forecast by {forecast.method}; predictive probability of meeting the target given "
            "that the trend continues, in bands of the printed whole percent (>= 0.9 on course, "
            "0.7-0.9 likely on course, 0.3-0.7 uncertain, < 0.3 not on course)"
        )
        spec = MethodSpec(
            "target_forecast",
            {"forecast": forecast.method_spec, "bands": [bound for bound, _ in PROBABILITY_BANDS]},
        )
    return TargetStatus(
        indicator=indicator,
        status=status,
        target=target,
        last_year=last_year,
        last_value=last_value,
        current_target=current,
        meets_current_target=meets_current,
        forecast=forecast,
        probability_meeting_target=float(probability),
        method=method,
        observed_year=observed_year,
        observed_value=observed_value,
        judged_years=judged_years,
        method_spec=spec,
    )


def quasi_binomial_trend(
    cleared: np.ndarray, registered: np.ndarray, years: np.ndarray
) -> dict[str, Any]:
    """Logit-linear trend of a percentage with an explicit Pearson dispersion.

    Parameters
    ----------
    cleared, registered : numpy.ndarray
        Counts per year (0 <= cleared <= registered, registered > 0).
    years : numpy.ndarray
        The years.

    Returns
    -------
    dict
        ``params`` (intercept at the first year, slope per year), ``unit_covariance`` (binomial,
        dispersion 1), ``phi`` (``max(1, X2/df)``), ``pearson`` (X2/df, unfloored), ``df``,
        ``reference_year``, ``serial`` (the year noise's AR(1) check,
        :func:`~rvs_analysis.stats.serial.ar1_noise`: ``rho``, the dispersion and covariance
        allowing for it).

    Notes
    -----
    The binomial GLM is fitted on the counts; the dispersion is computed here as Pearson
    ``X2 / (n - 2)``. statsmodels' ``fit(scale="X2")`` on a two-column (successes, failures)
    endog does not give that (its scale came out near 1/n), which made intervals about
    ``sqrt(n)`` times too narrow.
    """
    design = np.column_stack([np.ones_like(years), years - years[0]])
    endog = np.column_stack([cleared, registered - cleared])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = GLM(endog, design, family=families.Binomial()).fit()
    params = np.asarray(results.params, dtype=float)
    p = 1 / (1 + np.exp(-(design @ params)))
    expected = registered * p
    pearson_x2 = float(np.sum((cleared - expected) ** 2 / (registered * p * (1 - p))))
    df = len(years) - 2
    pearson = pearson_x2 / df if df > 0 else math.nan
    weights = registered * p * (1 - p)
    unit = np.linalg.inv((design * weights[:, None]).T @ design)
    serial = ar1_noise((cleared - expected) / np.sqrt(weights), design, weights, pearson_x2)
    return {
        "params": params,
        "unit_covariance": unit,
        "phi": max(1.0, pearson) if df > 0 else 1.0,
        "pearson": pearson,
        "df": df,
        "reference_year": float(years[0]),
        "serial": serial,
    }


def forecast_proportion(
    data: pd.DataFrame, year: int, level: float, n_sim: int, seed: int
) -> Forecast:
    """Predictive distribution of a percentage in ``year`` from its quasi-binomial trend.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per year: ``year``, ``cleared_offences`` and ``registered_offences``.
    year : int
        The year to forecast.
    level : float
        Coverage of the prediction interval (0.95 for 95%).
    n_sim : int
        Simulated draws of the predictive distribution.
    seed : int
        Seed of the draws.

    Returns
    -------
    Forecast
        The forecast percentage with its prediction interval and the draws.

    Notes
    -----
    Trend from :func:`quasi_binomial_trend`. Per draw: ``phi* = X2 / chi2(df)`` (scaled
    inverse chi-square of the Pearson estimate; not floored at 1, which over-covers),
    coefficients ``N(b, phi* V)`` (together a t), and the year's count from a beta-binomial
    with variance ``phi* n p (1 - p)`` (intra-class correlation ``(phi* - 1) / (n - 1)``;
    when ``phi* <= 1`` the share of a binomial of ``n / phi*`` cases, the same variance): the
    extra-binomial year-to-year noise the dispersion measures is carried into the forecast, and
    a draw below 1 is not floored (flooring the year's own noise at the binomial covered 97.5%
    on exactly binomial counts). ``n`` is the mean number of registered offences of
    the last three years.
    """
    cleared = data["cleared_offences"].to_numpy(float)
    registered = data["registered_offences"].to_numpy(float)
    years = data["year"].to_numpy(float)
    fit = quasi_binomial_trend(cleared, registered, years)
    rng = np.random.default_rng(seed)
    df = max(fit["df"], 1)
    pearson = fit["pearson"] if math.isfinite(fit["pearson"]) else 1.0
    unit = fit["unit_covariance"]
    serial = fit["serial"]
    if serial.forecast_rho > 0:
        # AR(1) year noise (median-unbiased rho): the sandwich covariance per unit of
        # dispersion, the dispersion allowing for the autocorrelation, Satterthwaite's df
        pearson, df = serial.forecast_dispersion, serial.forecast_df
        unit = serial.forecast_covariance / pearson
    phi = max(pearson, 1e-6) * df / rng.chisquare(df, size=n_sim)
    z = rng.multivariate_normal(np.zeros(2), unit, size=n_sim)
    x = np.array([1.0, year - fit["reference_year"]])
    eta = fit["params"] @ x + (z @ x) * np.sqrt(phi)
    probability = special.expit(eta)  # no overflow for extreme draws
    denominator = max(int(round(float(np.mean(registered[-3:])))), 1)
    rho = np.clip((phi - 1) / max(denominator - 1, 1), 1e-9, 0.999)
    shape = 1 / rho - 1
    mixed = rng.beta(
        np.maximum(probability * shape, 1e-9), np.maximum((1 - probability) * shape, 1e-9)
    )
    over = rng.binomial(denominator, mixed) / denominator
    # phi* < 1 (the draw of an estimated dispersion, not a claim of underdispersion): a binomial
    # share of n / phi* cases has the variance phi* p (1 - p) / n the draw implies
    effective = np.maximum(np.rint(denominator / np.minimum(phi, 1.0)), 1)
    under = rng.binomial(effective.astype(np.int64), probability) / effective
    values = 100.0 * np.where(phi > 1, over, under)
    tail = (1 - level) / 2
    return Forecast(
        year=int(year),
        mean=float(values.mean()),
        pi_low=float(np.quantile(values, tail)),
        pi_high=float(np.quantile(values, 1 - tail)),
        level=level,
        draws=values,
        method=(
            f"quasi-binomial trend on year (Pearson dispersion {fit['phi']:.2f}, t parameter "
            "draws, dispersion from its scaled inverse chi-square, beta-binomial year noise); "
            f"simulated with {denominator} registered offences (mean of the last three years); "
            f"{independence_note(serial)}"
        ),
        method_spec=MethodSpec(
            "clearance_forecast",
            {
                "dispersion": float(fit["phi"]),
                "registered": denominator,
                "level": level,
                "draws": int(n_sim),
                "serial": independence_values(serial),
            },
        ),
    )


def _forecast_linear(
    years: np.ndarray, values: np.ndarray, year: int, level: float, unit: str = ""
) -> Forecast:
    design = add_constant(years - years[0])
    results = OLS(values, design).fit()
    new = np.array([[1.0, year - years[0]]])
    prediction = results.get_prediction(new)
    mean = float(prediction.predicted_mean[0])
    se_obs = float(np.sqrt(prediction.var_pred_mean[0] + results.scale))
    df = results.df_resid
    quantile = stats.t.ppf(1 - (1 - level) / 2, df)
    draws = mean + se_obs * stats.t.rvs(df, size=20000, random_state=np.random.default_rng(0))
    low, high = float(mean - quantile * se_obs), float(mean + quantile * se_obs)
    if unit == "percent":  # a percentage lives on 0-100
        draws = np.clip(draws, 0.0, 100.0)
        mean, low, high = min(max(mean, 0.0), 100.0), max(low, 0.0), min(high, 100.0)
    return Forecast(
        year=int(year),
        mean=mean,
        pi_low=low,
        pi_high=high,
        level=level,
        draws=draws,
        method="OLS linear trend on year with t prediction interval",
        method_spec=MethodSpec("linear_forecast", {"df": float(df), "level": level}),
    )
