"""Crime change: the shift from visible crime to less visible (undermining) crime.

The source document asks whether registered crime in Midden-Nederland shifts from visible forms
(burglary, car break-in, bicycle theft, vandalism, street robbery) to less visible, undermining
forms (fraud, cybercrime, money laundering, drug offences). The grouping of offence codes is data:
``data/crime_change_classification.csv`` (one row per code with the reasoning and its source).

Functions
    :func:`load_classification`, :func:`classify`, :func:`category_totals` (counts, rates and
    shares over time), :func:`compare_visibility_trends` (Poisson/NB model with category x year
    interaction: ratio of the annual rate ratios), :func:`top_movers` (offence types that changed
    most, with exact intervals).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from rvs_analysis.exceptions import CountModelConvergenceError
from rvs_analysis.resources import data_path
from rvs_analysis.stats.common import (
    Estimate,
    MethodSpec,
    ResultMixin,
    StatisticsInputError,
    check_columns,
    check_counts,
    check_level,
    estimates_frame,
    too_few_for_change,
)
from rvs_analysis.stats.count_model import fit_counts
from rvs_analysis.stats.trends import area_dispersion, count_change, fit_count_trend

__all__ = [
    "CLASSIFICATION_PATH",
    "CATEGORIES",
    "TrendComparison",
    "load_classification",
    "classify",
    "category_totals",
    "compare_visibility_trends",
    "top_movers",
]

CLASSIFICATION_PATH = data_path("crime_change_classification.csv")
"""Default location of the classification table (``data/crime_change_classification.csv``, or the
installed package's copy: :mod:`rvs_analysis.resources`)."""

CATEGORIES = ("visible", "less_visible")
"""The two groups compared; codes classified ``other`` or ``total`` take no part."""


def load_classification(path: str | Path | None = None) -> pd.DataFrame:
    """Read the classification of offence codes into visible and less visible crime.

    Parameters
    ----------
    path : str or Path, optional
        Defaults to ``data/crime_change_classification.csv``.

    Returns
    -------
    pandas.DataFrame
        ``offence_code, offence_label, category, category_nl, reasoning, source``; ``category``
        is ``visible``, ``less_visible``, ``other`` (e.g. violence) or ``total`` (0.0.0).

    Notes
    -----
    Data, not code: change the grouping in the CSV, with the reasoning, never here.
    """
    path = Path(path) if path is not None else CLASSIFICATION_PATH
    if not path.exists():
        raise StatisticsInputError(f"Classification table not found at {path}.")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    check_columns(
        table,
        ["offence_code", "offence_label", "category", "category_nl", "reasoning", "source"],
        str(path),
    )
    bad = ~table["category"].isin(["visible", "less_visible", "other", "total"])
    if bad.any():
        raise StatisticsInputError(
            f"{path}: unknown category {table.loc[bad, 'category'].iloc[0]!r} "
            "(use visible, less_visible, other or total)."
        )
    if table["offence_code"].duplicated().any():
        raise StatisticsInputError(f"{path}: an offence code is listed twice.")
    if (table["reasoning"].str.strip() == "").any():
        raise StatisticsInputError(f"{path}: every row needs its reasoning.")
    return table


def classify(crime: pd.DataFrame, classification: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add a ``category`` column to a crime frame.

    Parameters
    ----------
    crime : pandas.DataFrame
        Tidy crime frame with ``offence_code``.
    classification : pandas.DataFrame, optional
        As returned by :func:`load_classification` (read when omitted).

    Returns
    -------
    pandas.DataFrame
        A copy with ``category`` (codes absent from the table get ``"unclassified"``).

    Notes
    -----
    A lookup; no statistics.
    """
    classification = load_classification() if classification is None else classification
    check_columns(crime, ["offence_code"], "crime")
    mapping = dict(zip(classification["offence_code"], classification["category"], strict=True))
    out = crime.copy()
    out["category"] = out["offence_code"].map(mapping).fillna("unclassified").astype(str)
    return out


def _grouped(
    crime: pd.DataFrame, classification: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    check_columns(crime, ["offence_code", "year", "registered_offences"], "crime")
    check_counts(crime["registered_offences"].to_numpy(), "registered_offences")
    data = classify(crime, classification)
    data = data[data["category"].isin(CATEGORIES)]
    if data.empty:
        raise StatisticsInputError(
            "No offence codes of the visible or less visible groups in the crime frame."
        )
    totals = (
        data.groupby(["year", "category"], as_index=False)["registered_offences"]
        .sum()
        .sort_values(["year", "category"])
    )
    return data, totals


def category_totals(
    crime: pd.DataFrame,
    classification: pd.DataFrame | None = None,
    population: pd.DataFrame | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Registered offences, rates and shares of visible and less visible crime per year.

    Parameters
    ----------
    crime : pandas.DataFrame
        Tidy crime frame (``offence_code, year, registered_offences``, any municipalities: they
        are summed, so select the area first).
    classification : pandas.DataFrame, optional
        Classification table (read when omitted).
    population : pandas.DataFrame, optional
        ``year, population`` for rates; with ``gemeente_code`` (in both frames) only the crime
        frame's municipalities are summed per year.
    level : float, optional
        Confidence level of the share interval.

    Returns
    -------
    pandas.DataFrame
        ``year, category, registered_offences, share_pct, share_ci_low, share_ci_high`` and,
        with population, ``rate_per_1000``; ``category`` is the classification's code (a report
        words it with the table's ``category_nl``).

    Notes
    -----
    The share is the category's count as a percentage of visible plus less visible crime in
    that year (not of total crime, whose definition changes between sources), with a Wilson
    interval that treats offences as independent; it describes the mix, while
    :func:`compare_visibility_trends` tests the change in the mix.
    """
    level = check_level(level)
    _, totals = _grouped(crime, classification)
    combined = totals.groupby("year")["registered_offences"].transform("sum")
    low, high = proportion_confint(
        totals["registered_offences"].to_numpy(),
        combined.to_numpy(),
        alpha=1 - level,
        method="wilson",
    )
    totals = totals.copy()
    totals["share_pct"] = 100.0 * totals["registered_offences"] / combined
    totals["share_ci_low"] = 100.0 * np.asarray(low, dtype=float)
    totals["share_ci_high"] = 100.0 * np.asarray(high, dtype=float)
    if population is not None:
        yearly = _yearly_population(population, crime)
        totals = totals.merge(yearly, on="year", how="left")
        totals["rate_per_1000"] = 1000.0 * totals["registered_offences"] / totals["population"]
        totals = totals.drop(columns="population")
    return totals.reset_index(drop=True)


def _yearly_population(population: pd.DataFrame, crime: pd.DataFrame) -> pd.DataFrame:
    """Population per year of the municipalities in ``crime`` (all rows when either frame has
    no ``gemeente_code``)."""
    check_columns(population, ["year", "population"], "population")
    if "gemeente_code" in population.columns and "gemeente_code" in crime.columns:
        population = population[population["gemeente_code"].isin(set(crime["gemeente_code"]))]
        if population.empty:
            raise StatisticsInputError(
                "'population' holds none of the municipalities of the crime frame."
            )
    values = np.asarray(population["population"], dtype=float)
    if not (np.isfinite(values).all() and (values > 0).all()):
        raise StatisticsInputError("'population' must be positive.")
    return population.groupby("year", as_index=False)["population"].sum()


@dataclass(frozen=True)
class TrendComparison(ResultMixin):
    """Result of :func:`compare_visibility_trends`.

    Attributes
    ----------
    ratio : Estimate
        Annual rate ratio of less visible crime divided by that of visible crime (null 1);
        above 1 means less visible crime grows faster (or falls slower) than visible crime.
    visible, less_visible : Estimate
        Each group's own annual rate ratio (:func:`~rvs_analysis.stats.trends.fit_count_trend`).
    model : str
        Model of the interaction test: ``poisson``, ``negative_binomial`` or ``quasi_poisson``.
    dispersion_p_value : float
        Pearson chi-square test of the Poisson interaction model.
    method : str
    totals : pandas.DataFrame
        The yearly counts per group that were modelled.
    results : object
        statsmodels results of the interaction model.
    """

    ratio: Estimate
    visible: Estimate
    less_visible: Estimate
    model: str
    dispersion_p_value: float
    method: str
    totals: pd.DataFrame = field(repr=False, compare=False)
    results: Any = field(repr=False, compare=False)
    method_spec: MethodSpec | None = field(default=None, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """Three rows (``quantity``: ``ratio``, ``visible``, ``less_visible``): each estimate
        with its interval and p-value."""
        return estimates_frame(
            {"ratio": self.ratio, "visible": self.visible, "less_visible": self.less_visible}
        )


def compare_visibility_trends(
    crime: pd.DataFrame,
    classification: pd.DataFrame | None = None,
    population: pd.DataFrame | None = None,
    level: float = 0.95,
    dispersion_test_level: float = 0.05,
    overdispersed_model: str = "quasi_poisson",
) -> TrendComparison:
    """Test whether visible and less visible crime follow different trends.

    Parameters
    ----------
    crime : pandas.DataFrame
        Tidy crime frame of the area (``offence_code, year, registered_offences``).
    classification : pandas.DataFrame, optional
        Classification table (read when omitted).
    population : pandas.DataFrame, optional
        ``year, population`` for the groups' own trends in rates (the ratio of the two trends
        does not depend on population, which is the same for both groups).
    level : float, optional
        Confidence level.
    dispersion_test_level : float, optional
        Level of the Pearson overdispersion test that switches away from Poisson.
    overdispersed_model : {"quasi_poisson", "negative_binomial"}, optional
        Model used when overdispersed (see Notes).

    Returns
    -------
    TrendComparison
        ``ratio`` is ``exp(delta)`` from the interaction model with its interval and p-value
        (Wald test of delta = 0).

    Notes
    -----
    Model for the yearly counts of the two groups:
    ``log E[y_ct] = a_t + g [c = less visible] + delta [c = less visible] (t - t0)``,
    with a fixed effect ``a_t`` for every year, so whatever moves both groups in a year
    (registration changes, a pandemic) cancels and ``exp(delta)``, the ratio of the two groups'
    annual rate ratios, is identified from the change in their mix alone. Fitted by the count
    engine (:func:`~rvs_analysis.stats.count_model.fit_counts`), always with a dispersion (no
    pre-test): quasi-Poisson (Pearson ``phi = max(1, X2/df)``, t intervals on the residual df,
    the normal where the floor binds; default, for the reasons given in
    :func:`~rvs_analysis.stats.trends.fit_count_trend`: with 6-15 years it keeps nominal coverage)
    or, on request, NB2 negative binomial (ML alpha; quasi-Poisson if it does not converge). The
    Pearson chi-square test of the Poisson fit is reported. Assumes a constant log-linear
    difference in trends over the period. Each group's own annual rate ratio comes from
    :func:`~rvs_analysis.stats.trends.fit_count_trend` (Poisson or NB, population offset if given).
    """
    level = check_level(level)
    _, totals = _grouped(crime, classification)
    present = set(totals["category"])
    if present != set(CATEGORIES):
        raise StatisticsInputError(
            "Both visible and less visible crime are needed to compare trends; the frame has only "
            f"{', '.join(sorted(present))}."
        )
    wide = totals.pivot(index="year", columns="category", values="registered_offences")
    wide = wide.dropna()
    if len(wide) < 3:
        raise StatisticsInputError(
            f"Comparing trends needs at least three years with both groups, got {len(wide)}."
        )
    years = wide.index.to_numpy(dtype=float)
    reference_year = years[0]
    n_years = len(years)
    counts = np.concatenate([wide["visible"].to_numpy(float), wide["less_visible"].to_numpy(float)])
    less = np.concatenate([np.zeros(n_years), np.ones(n_years)])
    year_dummies = np.vstack([np.eye(n_years), np.eye(n_years)])
    design = np.column_stack([year_dummies, less, less * np.tile(years - reference_year, 2)])
    if overdispersed_model not in ("quasi_poisson", "negative_binomial"):
        raise StatisticsInputError(
            "overdispersed_model must be 'quasi_poisson' or 'negative_binomial', got "
            f"{overdispersed_model!r}."
        )
    # always a dispersion model (no pre-test): quasi-Poisson with phi = max(1, X2/df), or NB2
    # on request (quasi-Poisson if it does not converge)
    try:
        fit = fit_counts(counts, design, model=overdispersed_model)
    except CountModelConvergenceError:
        fit = fit_counts(counts, design, model="quasi_poisson")
    model = fit.model
    if model == "quasi_poisson":
        dispersion_text = f"dispersion phi = max(1, X2/df) = {fit.dispersion:.2f}, " + (
            f"t({fit.df_resid:g}) interval"
            if math.isfinite(fit.reference_df)
            else "normal interval (the floor binds: Poisson variance)"
        )
    else:
        dispersion_text = "t interval"
    names = {
        "negative_binomial": "negative binomial (NB2) model",
        "quasi_poisson": "quasi-Poisson GLM",
    }
    method = (
        f"{names[model]} of yearly counts with year fixed effects and a category x year "
        f"interaction; {dispersion_text}"
    )
    index = n_years + 1  # the category x year interaction
    ratio = fit.coefficient(
        index,
        level=level,
        method=method,
        n=float(counts.sum()),
        details={"log_ratio": float(fit.params[index])},
    )
    spec = MethodSpec(
        "visibility_trend_comparison",
        {
            "model": model,
            "dispersion": fit.dispersion,
            "df": fit.reference_df,
            "level": level,
        },
    )
    own: dict[str, Estimate] = {}
    for category in CATEGORIES:
        frame = pd.DataFrame({"year": wide.index, "registered_offences": wide[category].to_numpy()})
        if population is not None:
            frame = frame.merge(_yearly_population(population, crime), on="year", how="left")
            if frame["population"].isna().any():
                raise StatisticsInputError("'population' lacks some years of the crime frame.")
        trend = fit_count_trend(
            frame,
            population_column="population" if population is not None else None,
            level=level,
            dispersion_test_level=dispersion_test_level,
            overdispersed_model=overdispersed_model,
        )
        own[category] = trend.annual_rate_ratio
    return TrendComparison(
        ratio=ratio,
        visible=own["visible"],
        less_visible=own["less_visible"],
        model=model,
        dispersion_p_value=fit.pearson_p_value,
        method=method,
        totals=totals,
        results=fit.results,
        method_spec=spec,
    )


def top_movers(
    crime: pd.DataFrame,
    start_year: int,
    end_year: int,
    classification: pd.DataFrame | None = None,
    n: int = 5,
    order_by: str = "absolute",
    level: float = 0.95,
) -> pd.DataFrame:
    """The offence types whose registered counts changed most between two years.

    Parameters
    ----------
    crime : pandas.DataFrame
        Tidy crime frame of the area (summed over municipalities).
    start_year, end_year : int
        The two years compared.
    classification : pandas.DataFrame, optional
        For the ``category`` column (read when omitted); total crime (0.0.0) is left out.
    n : int, optional
        Number of offence types returned (all when larger than available).
    order_by : {"absolute", "relative"}, optional
        Rank by the absolute change in counts, or by the size of the relative change
        ``|log rate ratio|``.
    level : float, optional
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        ``offence_code, offence_label (if present), category, count_start, count_end, change,
        change_pct, ci_low_pct, ci_high_pct, dispersion, too_few``, ranked. No significance
        column: see Notes.

    Notes
    -----
    Each change's interval is :func:`~rvs_analysis.stats.trends.count_change` with the offence
    type's own year-to-year noise (:func:`~rvs_analysis.stats.trends.area_dispersion`, from the
    years not compared), so it carries the year-to-year noise. The table makes no
    significance claim: ranking picks the largest of many changes, and the largest of a dozen
    noisy changes looks significant by selection alone. ``too_few`` marks offence types with
    fewer than :data:`~rvs_analysis.stats.common.MIN_EVENTS_CHANGE` offences in the two years;
    they get no interval.
    """
    level = check_level(level)
    if order_by not in ("absolute", "relative"):
        raise StatisticsInputError("order_by must be 'absolute' or 'relative'.")
    if n < 1:
        raise StatisticsInputError("n must be at least 1.")
    check_columns(crime, ["offence_code", "year", "registered_offences"], "crime")
    check_counts(crime["registered_offences"].to_numpy(), "registered_offences")
    data = classify(crime, classification)
    data = data[data["category"] != "total"]
    years_present = set(data["year"].astype(int))
    for year in (start_year, end_year):
        if year not in years_present:
            raise StatisticsInputError(f"Year {year} is not in the crime frame.")
    keys = ["offence_code", "category"]
    if "offence_label" in data.columns:
        keys.insert(1, "offence_label")
    yearly = data.groupby(["offence_code", "year"], as_index=False)["registered_offences"].sum()
    sums = data[data["year"].isin([start_year, end_year])].pivot_table(
        index=keys, columns="year", values="registered_offences", aggfunc="sum", fill_value=0
    )
    rows = []
    for key, row in sums.iterrows():
        before, after = float(row[start_year]), float(row[end_year])
        if before + after == 0:
            continue
        record = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        series = yearly[yearly["offence_code"] == record["offence_code"]]
        phi, df = area_dispersion(series, population_column=None, compared=(start_year, end_year))
        too_few = too_few_for_change(before, after)
        record.update(
            count_start=int(before),
            count_end=int(after),
            change=int(after - before),
            dispersion=math.nan if phi is None else phi,
            too_few=too_few,
        )
        if too_few:
            record.update(change_pct=math.nan, ci_low_pct=math.nan, ci_high_pct=math.nan)
        else:
            change = count_change(before, after, level=level, dispersion=phi, df=df)
            record.update(
                change_pct=change.estimate, ci_low_pct=change.ci_low, ci_high_pct=change.ci_high
            )
        rows.append(record)
    table = pd.DataFrame(rows)
    if table.empty:
        raise StatisticsInputError("No offence type has counts in the two years.")
    if order_by == "absolute":
        size = table["change"].abs()
    else:
        with np.errstate(divide="ignore"):
            size = np.abs(np.log((table["count_end"] + 0.5) / (table["count_start"] + 0.5)))
    table = table.assign(_size=size).sort_values("_size", ascending=False).drop(columns="_size")
    columns = [
        *[key for key in keys if key != "category"],
        "category",
        "count_start",
        "count_end",
        "change",
        "change_pct",
        "ci_low_pct",
        "ci_high_pct",
        "dispersion",
        "too_few",
    ]
    return table[list(dict.fromkeys(columns))].head(n).reset_index(drop=True)
