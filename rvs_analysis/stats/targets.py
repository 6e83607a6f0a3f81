"""Targets of the strategy: baselines, yearly and 2018 targets, forecasts and status.

:func:`load_targets`, :func:`target_for` and :func:`target_status` read ``data/targets.csv`` (the 2011
baselines and yearly/2018 targets of the Veiligheidsstrategie 2015-2018) and say whether a target is
achieved, on track or off track, with the probability of meeting it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from rvs_analysis.resources import data_path
from rvs_analysis.stats.common import (
    COMPARISONS,
    StatisticsInputError,
    check_cleared_within_registered,
    check_columns,
    check_counts,
    check_level,
    meets_threshold,
)
from rvs_analysis.stats.trends import Forecast, fit_count_trend

__all__ = [
    "TARGETS_PATH",
    "Target",
    "TargetStatus",
    "load_targets",
    "target_for",
    "target_status",
]


TARGETS_PATH = data_path("targets.csv")
"""Default location of the strategy's targets table (``data/targets.csv``, or the installed package's
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
        Defaults to ``data/targets.csv`` of the repository (see ``data/targets.md``).

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
    table = pd.read_csv(path, dtype={"indicator": "str", "comparison": "str"})
    required = [
        "indicator",
        "label_nl",
        "unit",
        "area",
        "year",
        "kind",
        "value",
        "comparison",
        "relative_to_baseline",
        "source_line",
    ]
    check_columns(table, required, str(path))
    bad_kind = ~table["kind"].isin(["baseline", "target"])
    if bad_kind.any():
        raise StatisticsInputError(f"{path}: kind must be 'baseline' or 'target'.")
    targets = table[table["kind"] == "target"]
    bad = ~targets["comparison"].isin(sorted(COMPARISONS))
    if bad.any():
        raise StatisticsInputError(f"{path}: every target row needs a comparison (<=, <, >=, >).")
    return table


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
        Indicator name as in ``data/targets.csv`` (e.g. ``burglary``, ``burglary_clearance``).
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
    rows = targets[targets["indicator"] == indicator]
    if rows.empty:
        known = sorted(targets["indicator"].unique())
        raise StatisticsInputError(
            f"No targets for indicator {indicator!r}; known indicators: {', '.join(known)}."
        )
    baseline_rows = rows[rows["kind"] == "baseline"]
    target_rows = rows[rows["kind"] == "target"].sort_values("year")
    baseline_year = int(baseline_rows["year"].iloc[0]) if not baseline_rows.empty else None
    base = baseline_value
    if base is None and not baseline_rows.empty and pd.notna(baseline_rows["value"].iloc[0]):
        base = float(baseline_rows["value"].iloc[0])
    unit = str(rows["unit"].iloc[0])
    comparison = str(target_rows["comparison"].iloc[-1])

    def resolve(row: pd.Series) -> tuple[float, str]:
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

    exact = target_rows[target_rows["year"] == year]
    if not exact.empty:
        row = exact.iloc[0]
        value, how = resolve(row)
        return Target(
            indicator, int(year), value, str(row["comparison"]), unit, how, str(row["source_line"])
        )
    points: list[tuple[int, float, str]] = []
    if baseline_year is not None and base is not None:
        points.append((baseline_year, base, str(baseline_rows["source_line"].iloc[0])))
    for _, row in target_rows.iterrows():
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
class TargetStatus:
    """Status of an indicator against its target (see :func:`target_status`)."""

    indicator: str
    status: str
    status_nl: str
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

    def to_dict(self) -> dict[str, Any]:
        """Plain values for a summary or a table row."""
        return {
            "indicator": self.indicator,
            "status": self.status,
            "status_nl": self.status_nl,
            "target_year": self.target.year,
            "target": self.target.value,
            "last_year": self.last_year,
            "last_value": self.last_value,
            "current_target": None if self.current_target is None else self.current_target.value,
            "meets_current_target": self.meets_current_target,
            "forecast": None if self.forecast is None else self.forecast.to_dict(),
            "probability_meeting_target": self.probability_meeting_target,
            "observed_year": self.observed_year,
            "observed_value": self.observed_value,
        }


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


_STATUS_NL = {
    "achieved": "behaald",
    "on track": "op koers",
    "off track": "niet op koers",
    "not met": "niet behaald",
}


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
    """Achieved / on track / off track for a target, with a forecast of the target year.

    Parameters
    ----------
    indicator : str
        Indicator in the targets table.
    observed : pandas.DataFrame
        One row per year with ``year`` and either
        ``value`` (counts for ``count`` indicators; any number for others), optionally
        ``population`` (count indicators: the trend is then in the rate, forecast at the last
        population), or ``cleared_offences`` and ``registered_offences`` (percent indicators
        such as clearance).
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
        ``status`` is ``"achieved"`` when the last observed value already meets the target of
        ``target_year`` (as the source document says "doelstelling 2018 behaald"); otherwise
        ``"on track"`` when the forecast for ``target_year`` meets it with probability >= 0.5,
        else ``"off track"``. When the observations reach ``target_year`` the observed value of
        the target year (or of the last year before it that has one) decides: ``"achieved"`` or
        ``"not met"``, with no forecast (``observed_year``, ``observed_value``).

    Notes
    -----
    Forecast routes: count indicators use :func:`fit_count_trend` (Poisson or NB trend) and
    simulate parameters plus count noise; percentages with cleared/registered counts use a
    binomial GLM on year (quasi-binomial covariance when the Pearson dispersion exceeds 1) and
    simulate the proportion and binomial noise at the last year's number of registered
    offences; other values use an OLS linear trend with its t prediction interval. The
    probability of meeting the target is the share of simulated (or t-distributed) values that
    meet it. All routes assume the recent trend continues unchanged to the target year.
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
    if last_year < target_year and len(data) >= 3:
        if has_counts:
            forecast = _forecast_proportion(data, target_year, level, n_sim, seed)
        elif target.unit == "count":
            frame = data.rename(columns={"value": "registered_offences"})
            trend = fit_count_trend(frame, population_column="population")
            forecast = trend.forecast(target_year, level=level, n_sim=n_sim, seed=seed)
        else:
            forecast = _forecast_linear(data["year"].to_numpy(float), values, target_year, level)
    probability = (
        forecast.probability(target.value, target.comparison) if forecast is not None else math.nan
    )
    observed_year = observed_value = None
    reached = np.flatnonzero(data["year"].to_numpy() <= target_year)
    if last_year >= target_year and len(reached):
        # The data reach the target year: the observed value decides, never a forecast.
        position = int(reached[-1])
        observed_year, observed_value = int(data["year"].iloc[position]), float(values[position])
        met = target.is_met(observed_value)
        status = "achieved" if met else "not met"
        probability = math.nan
        method = (
            f"the observed value of {observed_year} {'meets' if met else 'does not meet'} the "
            f"{target_year} target (no forecast: the data reach the target year)"
        )
    elif target.is_met(last_value):
        status = "achieved"
        method = f"the last observed value ({last_year}) already meets the {target_year} target"
    elif last_year >= target_year:
        status, probability = "off track", 0.0
        method = f"the {target_year} target was not met"
    elif forecast is None:
        status = "off track"
        method = "fewer than three years: no forecast; the target is not yet met"
    else:
        status = "on track" if probability >= 0.5 else "off track"
        method = f"forecast by {forecast.method}; on track when P(meeting target) >= 0.5"
    return TargetStatus(
        indicator=indicator,
        status=status,
        status_nl=_STATUS_NL[status],
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
    )


def _forecast_proportion(
    data: pd.DataFrame, year: int, level: float, n_sim: int, seed: int
) -> Forecast:
    cleared = data["cleared_offences"].to_numpy(float)
    registered = data["registered_offences"].to_numpy(float)
    years = data["year"].to_numpy(float)
    reference = years[0]
    design = np.column_stack([np.ones_like(years), years - reference])
    endog = np.column_stack([cleared, registered - cleared])
    results = sm.GLM(endog, design, family=sm.families.Binomial()).fit()
    phi = float(results.pearson_chi2 / results.df_resid) if results.df_resid > 0 else 1.0
    if phi > 1:
        results = sm.GLM(endog, design, family=sm.families.Binomial()).fit(scale="X2")
    rng = np.random.default_rng(seed)
    beta = rng.multivariate_normal(np.asarray(results.params), results.cov_params(), size=n_sim)
    probability = 1 / (1 + np.exp(-(beta @ np.array([1.0, year - reference]))))
    denominator = int(registered[-1])
    values = 100.0 * rng.binomial(denominator, probability) / denominator
    tail = (1 - level) / 2
    return Forecast(
        year=int(year),
        mean=float(values.mean()),
        pi_low=float(np.quantile(values, tail)),
        pi_high=float(np.quantile(values, 1 - tail)),
        level=level,
        draws=values,
        method=(
            "binomial GLM trend on year"
            + (" (quasi-binomial covariance)" if phi > 1 else "")
            + f"; simulated with {denominator} registered offences as in the last year"
        ),
    )


def _forecast_linear(years: np.ndarray, values: np.ndarray, year: int, level: float) -> Forecast:
    design = sm.add_constant(years - years[0])
    results = sm.OLS(values, design).fit()
    new = np.array([[1.0, year - years[0]]])
    prediction = results.get_prediction(new)
    mean = float(prediction.predicted_mean[0])
    se_obs = float(np.sqrt(prediction.var_pred_mean[0] + results.scale))
    df = results.df_resid
    quantile = stats.t.ppf(1 - (1 - level) / 2, df)
    draws = mean + se_obs * stats.t.rvs(df, size=20000, random_state=np.random.default_rng(0))
    return Forecast(
        year=int(year),
        mean=mean,
        pi_low=float(mean - quantile * se_obs),
        pi_high=float(mean + quantile * se_obs),
        level=level,
        draws=draws,
        method="OLS linear trend on year with t prediction interval",
    )
