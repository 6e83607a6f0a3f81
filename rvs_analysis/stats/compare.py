"""Comparisons researchers ask for: area against area, change between two years, ranks, funnels.

Areas are values (:mod:`rvs_analysis.regions`: a municipality, district, the region, "the rest
of" an area, the Netherlands, any named list of GM codes); every function here takes a dataset with
an offence code and areas, or a table of :func:`rvs_analysis.regions.area_table` (``area, year,
registered_offences, population``).

Trend against trend
    :func:`compare_area_trends`: two or more areas' trends in rates in one quasi-Poisson model with a
    population offset; the ratio of annual rate ratios with a t interval and p-value
    (:class:`AreaTrendComparison`).
Change between two years
    :func:`change_between`: per area the rate ratio between two chosen years with an exact
    (conditional binomial) or dispersion-aware interval, and the rate difference per 1,000 with a
    MOVER interval.
Rankings and funnels
    :func:`rank_changes`: areas ordered by their change with the uncertainty of each rank,
    flagged only by a test that treats every area alike (:func:`change_funnel`), never by the
    rank itself. :func:`change_funnel`: the change of every area against the overall change, with
    95% and 99.8% limits.

All intervals are two-sided at ``level`` (95% by default). Simulated coverage of each interval is
on record in ``tests/stats/test_compare.py`` (seeded) and quoted in the docstrings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from rvs_analysis import regions
from rvs_analysis.stats.common import (
    Estimate,
    MethodSpec,
    ResultMixin,
    StatisticsInputError,
    check_level,
    floored_dispersion,
)
from rvs_analysis.stats.count_model import fit_counts
from rvs_analysis.stats.trends import fit_count_trend

__all__ = [
    "AreaTrendComparison",
    "ChangeFunnel",
    "change_between",
    "change_funnel",
    "compare_area_trends",
    "rank_changes",
    "rate_table",
]

_COLUMNS = ("area", "year", "registered_offences", "population")
ESTIMATED = "estimated_from_successor"
"""The flag of a figure apportioned out of a successor (:func:`rvs_analysis.regions.area_table`),
carried by every table of this module that shows an area's figure."""
_WINSOR_Z = stats.norm.ppf(0.9)
_WINSOR_CONSTANT = float(
    (stats.norm.cdf(_WINSOR_Z) - stats.norm.cdf(-_WINSOR_Z))
    - 2 * _WINSOR_Z * stats.norm.pdf(_WINSOR_Z)
    + 2 * _WINSOR_Z**2 * stats.norm.sf(_WINSOR_Z)
)
"""E[z_w^2] for a standard normal z winsorised at its 10th and 90th percentiles (0.679)."""


# --------------------------------------------------------------------------------------------
# Input: a dataset with areas, or a rate table
# --------------------------------------------------------------------------------------------


def rate_table(data, offence_code=None, areas=None, years=None, boundaries: int = 2017):
    """The yearly counts and populations of areas: ``area, year, registered_offences, population``.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A loaded source (:func:`rvs_analysis.sources.load_source`), or a table that already has
        the four columns (such as :func:`rvs_analysis.regions.area_table` with ``rate=True``).
    offence_code : str, optional
        CBS offence key (``"1.2.1"``); required with a dataset.
    areas : str, Area or sequence, optional
        With a dataset: the areas (see :func:`rvs_analysis.regions.as_area`) or a level
        (``"gemeente"``, ``"district"``, ``"region"``) for all areas of that level. With a table:
        keep only these area names (default all).
    years : optional
        See :func:`rvs_analysis.regions.year_list`; years not in the data raise.
    boundaries : int, default 2017
        Boundary year for a dataset.

    Returns
    -------
    pandas.DataFrame
        The four columns, counts as float, ordered by area (as given) and year.

    Raises
    ------
    StatisticsInputError
        For a table without the columns, or with a missing count or population.
    """
    if isinstance(data, pd.DataFrame):
        if offence_code is not None:
            raise StatisticsInputError(
                "offence_code is for a dataset; this table already holds one offence."
            )
        missing = [column for column in _COLUMNS if column not in data.columns]
        if missing:
            raise StatisticsInputError(
                f"The table lacks the column(s) {', '.join(missing)}; make it with "
                "regions.area_table(..., rate=True) or pass a dataset with an offence code."
            )
        flag = data[ESTIMATED] if ESTIMATED in data.columns else False
        table = data.loc[:, list(_COLUMNS)].assign(**{ESTIMATED: flag}).copy()
        if areas is not None:
            names = [areas] if isinstance(areas, str) else [getattr(a, "name", a) for a in areas]
            unknown = [name for name in names if name not in set(table["area"])]
            if unknown:
                raise StatisticsInputError(
                    f"The table has no area {', '.join(map(repr, unknown))}; it has "
                    f"{', '.join(map(repr, table['area'].unique()))}."
                )
            table = table.loc[table["area"].isin(names)]
            table["_order"] = table["area"].map({name: i for i, name in enumerate(names)})
            table = table.sort_values(["_order", "year"]).drop(columns="_order")
        if years is not None:
            wanted = regions.select_years(years, table["year"].unique(), "The table")
            table = table.loc[table["year"].isin(wanted)]
    else:
        if offence_code is None:
            raise StatisticsInputError("Give the offence code (e.g. '1.2.1') with a dataset.")
        if areas is None:
            raise StatisticsInputError(
                "Give the areas to compare, e.g. ['Stad Utrecht', regions.rest_of('Stad "
                "Utrecht')], or a level such as 'gemeente'."
            )
        if isinstance(areas, str) and areas in regions.LEVELS:
            table = regions.area_table(data, offence_code, areas, boundaries, years, rate=True)
        else:
            table = regions.area_table(
                data, offence_code, None, boundaries, years, rate=True, areas=areas
            )
        table = table.loc[:, [*_COLUMNS, ESTIMATED]]
    table[ESTIMATED] = table[ESTIMATED].fillna(False).astype(bool)
    gaps = table["registered_offences"].isna() | table["population"].isna()
    if gaps.any():
        first = table.loc[gaps].iloc[0]
        raise StatisticsInputError(
            f"{first['area']} has no registered offences or population for {int(first['year'])} "
            "(not published): choose years where every area has figures."
        )
    table["registered_offences"] = table["registered_offences"].astype(float)
    table["population"] = table["population"].astype(float)
    table["year"] = table["year"].astype(int)
    if (table["population"] <= 0).any():
        raise StatisticsInputError("Every area-year needs a positive population (the offset).")
    return table.reset_index(drop=True)


def _area_names(table: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(table["area"]))


def _events(table: pd.DataFrame, name: str) -> float:
    return float(table.loc[table["area"] == name, "registered_offences"].sum())


_MODEL_NAMES = {
    "year_effects": "year effects, area effects and area-specific linear trend deviations",
    "slopes": "area-specific intercepts and linear year slopes",
}


def _design(table: pd.DataFrame, names: list[str], reference: str, model: str):
    """Design of the slopes or year-effects model; returns (X, slope-deviation columns, t0)."""
    t0 = int(table["year"].min())
    time = (table["year"] - t0).to_numpy(dtype=float)
    columns: list[np.ndarray] = []
    others = [name for name in names if name != reference]
    if model == "slopes":
        for name in names:
            columns.append((table["area"] == name).to_numpy(dtype=float))
        columns.append(time)
    else:
        for year in sorted(table["year"].unique()):
            columns.append((table["year"] == year).to_numpy(dtype=float))
        for name in others:
            columns.append((table["area"] == name).to_numpy(dtype=float))
    first_deviation = len(columns)
    for name in others:
        columns.append((table["area"] == name).to_numpy(dtype=float) * time)
    return np.column_stack(columns), list(range(first_deviation, len(columns))), t0


# --------------------------------------------------------------------------------------------
# Trend against trend
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaTrendComparison(ResultMixin):
    """Result of :func:`compare_area_trends`.

    Attributes
    ----------
    areas : tuple of str
        The areas, the reference first.
    reference : str
        The area the others are compared with.
    ratios : dict of str to Estimate
        For each other area, the ratio of its annual rate ratio to the reference's (1: the same
        trend; above 1: its rate falls more slowly or rises faster), t interval and p-value.
    annual_rate_ratios : dict of str to Estimate
        Each area's own annual rate ratio (rate in a year / rate a year earlier):
        :func:`~rvs_analysis.stats.trends.fit_count_trend` of its own series, so the same
        estimate and interval as that function gives (its own dispersion, AR(1) year noise
        allowed for). It answers "how does this area's rate change", not the comparison, which
        has year effects common to the areas; each estimate's ``method`` says which.
    dispersion : float
        phi = max(1, Pearson X2 / df) of the model of all areas together (with two areas the
        ratio's intervals scale with sqrt(phi)).
    pearson_dispersion : float
        X2 / df itself (below 1 is possible; phi is then 1).
    area_dispersions : dict of str to float
        Each other area's own dispersion: phi_a of the model of that area and the reference,
        which its ratio uses (with two areas the same as ``dispersion``).
    df_resid : int
        Residual degrees of freedom of the model of all areas (with two areas the t
        intervals' df; with more, each ratio's df is in its ``details["df_resid"]``).
    joint_p_value : float
        F test that every area has the reference's trend (equals the ratio's p-value for two
        areas; with more, a quasi-likelihood F test weighting each area by ``1 / phi_a``).
    model : str
        ``"year_effects"`` or ``"slopes"``.
    years : tuple of int
    method : str
        One sentence naming the model, offset, dispersion and interval actually used.
    data : pandas.DataFrame
        The table the model was fitted on.
    results : object
        The statsmodels results of the (Poisson) fit; covariances are scaled by ``dispersion``.
    """

    areas: tuple[str, ...]
    reference: str
    ratios: dict[str, Estimate]
    annual_rate_ratios: dict[str, Estimate]
    dispersion: float
    pearson_dispersion: float
    area_dispersions: dict[str, float]
    df_resid: int
    joint_p_value: float
    model: str
    years: tuple[int, ...]
    method: str
    data: pd.DataFrame = field(repr=False, compare=False)
    results: Any = field(repr=False, compare=False)

    @property
    def ratio(self) -> Estimate:
        """The ratio of annual rate ratios of a two-area comparison."""
        if len(self.ratios) != 1:
            raise StatisticsInputError(
                f"This comparison has {len(self.ratios)} ratios (areas {', '.join(self.areas)}); "
                "read them from .ratios or .to_frame()."
            )
        return next(iter(self.ratios.values()))

    @property
    def method_spec(self) -> MethodSpec:
        """The model as a code and its numbers: one model of two areas, or each area against
        the reference in its own model (its own dispersion)."""
        if len(self.areas) == 2:
            return MethodSpec(
                "area_trend_comparison",
                {
                    "model": self.model,
                    "reference": self.reference,
                    "dispersion": self.dispersion,
                    "df_resid": self.df_resid,
                    "df": floored_dispersion(self.pearson_dispersion, self.df_resid)[1],
                },
            )
        spread = list(self.area_dispersions.values()) or [self.dispersion]
        return MethodSpec(
            "area_trend_comparison_pairs",
            {
                "model": self.model,
                "reference": self.reference,
                "areas": len(self.areas) - 1,
                "dispersion_min": min(spread),
                "dispersion_max": max(spread),
            },
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per area: its annual rate ratio and (not for the reference) the ratio to the
        reference, with intervals and p-values."""
        rows = []
        for name in self.areas:
            own = self.annual_rate_ratios[name]
            row = {
                "area": name,
                "annual_rate_ratio": own.estimate,
                "arr_ci_low": own.ci_low,
                "arr_ci_high": own.ci_high,
                "ratio_to_reference": math.nan,
                "ratio_ci_low": math.nan,
                "ratio_ci_high": math.nan,
                "p_value": math.nan,
            }
            if name in self.ratios:
                ratio = self.ratios[name]
                row.update(
                    ratio_to_reference=ratio.estimate,
                    ratio_ci_low=ratio.ci_low,
                    ratio_ci_high=ratio.ci_high,
                    p_value=ratio.p_value,
                )
            rows.append(row)
        return pd.DataFrame(rows)


def _comparison_areas(table: pd.DataFrame, reference) -> list[str]:
    """The areas of a trend comparison, the reference first; each needs three years."""
    names = _area_names(table)
    if len(names) < 2:
        raise StatisticsInputError(
            f"compare_area_trends needs at least two areas, got {names}. For one area use "
            "trends.fit_count_trend on its rows."
        )
    reference = names[0] if reference is None else getattr(reference, "name", reference)
    if reference not in names:
        raise StatisticsInputError(f"The reference {reference!r} is not one of {names}.")
    names = [reference, *[name for name in names if name != reference]]
    counts = table.groupby("area")["year"].nunique()
    short = [name for name in names if counts[name] < 3]
    if short:
        raise StatisticsInputError(
            f"A trend comparison needs at least three years per area; {', '.join(short)} "
            "has fewer. Compare two years with change_between instead."
        )
    return names


def _pair_ratio(
    table: pd.DataFrame, reference: str, name: str, model: str, level: float, method: str
) -> tuple[Estimate, float]:
    """The ratio of ``name``'s annual rate ratio to the reference's in the model of the two alone,
    with that pair's own dispersion and df; returns the estimate and the dispersion."""
    pair = table[table["area"].isin([reference, name])].reset_index(drop=True)
    pair_design, pair_deviation, _ = _design(pair, [reference, name], reference, model)
    pair_fit = fit_counts(
        pair["registered_offences"].to_numpy(),
        pair_design,
        np.log(pair["population"].to_numpy()),
        "quasi_poisson",
    )
    if pair_fit.df_resid <= 0:
        raise StatisticsInputError(
            f"Too few years to compare {name} with {reference}: the model has no "
            "residual degrees of freedom."
        )
    ratio = pair_fit.coefficient(
        pair_deviation[0],
        level=level,
        method=method,
        n=_events(table, name),
        details={"reference": reference, "df_resid": int(pair_fit.df_resid)},
    )
    return ratio, pair_fit.dispersion


def _joint_p_value(y, design, offset, table, deviations, area_dispersions) -> float:
    """Quasi-likelihood F test that every area has the reference's trend, in the model of all
    areas with area weights ``1 / phi_a`` (the reference weight 1) and the remaining scale
    ``max(1, weighted X2/df)`` (chi-square where that floor binds)."""
    weights = table["area"].map(lambda area: 1.0 / area_dispersions.get(area, 1.0))
    weighted = fit_counts(y, design, offset, "quasi_poisson", var_weights=weights.to_numpy(float))
    block = np.array(deviations)
    delta = weighted.params[block]
    wald = float(delta @ np.linalg.solve(weighted.covariance[np.ix_(block, block)], delta))
    if math.isfinite(weighted.reference_df):
        return float(stats.f.sf(wald / len(block), len(block), weighted.df_resid))
    return float(stats.chi2.sf(wald, len(block)))


def compare_area_trends(
    data,
    offence_code: str | None = None,
    areas=None,
    years=None,
    boundaries: int = 2017,
    reference: str | None = None,
    model: str = "year_effects",
    level: float = 0.95,
) -> AreaTrendComparison:
    """Compare two or more areas' trends in rates in one quasi-Poisson model.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        A dataset (with ``offence_code`` and ``areas``) or a table ``area, year,
        registered_offences, population`` (see :func:`rate_table`).
    offence_code : str, optional
        CBS offence key, with a dataset.
    areas : sequence of str or Area
        At least two areas, e.g. ``["Stad Utrecht", regions.rest_of("Stad Utrecht")]``.
    years : optional
        A range (``"2012-2025"``) or list; default every year.
    boundaries : int, default 2017
    reference : str, optional
        The area the others are compared with; default the first.
    model : {"year_effects", "slopes"}, default "year_effects"
        ``year_effects``: a common effect for every year plus an area effect and an
        area-specific linear deviation from the reference's trend (common shocks such as 2020
        cancel out of the comparison). ``slopes``: each area its own intercept and slope.
    level : float, default 0.95

    Returns
    -------
    AreaTrendComparison
        ``.ratio`` (two areas) or ``.ratios``: the ratio of annual rate ratios, with interval and
        p-value; ``.annual_rate_ratios`` per area; ``.method``.

    Notes
    -----
    Model (year effects): ``log E[y_at] = g_t + a_a + d_a (t - t0) + log(population_at)``, with
    ``a_ref = d_ref = 0``; the ratio of annual rate ratios of area ``a`` to the reference is
    ``exp(d_a)``. Slopes: ``log E[y_at] = a_a + b_a (t - t0) + log(population_at)``, ratio
    ``exp(b_a - b_ref)``. Both are Poisson GLMs whose covariance is multiplied by the dispersion
    ``phi = max(1, X2 / df)`` (Pearson X2 of the Poisson fit, df = observations - parameters);
    intervals and p-values use t(df) (quasi-Poisson; the normal where the floor binds).

    Areas differ in their year-to-year noise (a police unit with one volatile city against a
    quiet one), so with three or more areas each area's ratio comes from the model of that area
    and the reference alone, with that pair's own dispersion ``phi_a`` and df: the noisiest of
    ten simulated police units was "significant" against the Netherlands in 14.5% of null runs
    with one dispersion pooled over all areas (``docs/statistical_properties.md``,
    ``police-unit-size-unequal-noise``). Each area's own annual rate ratio is
    :func:`~rvs_analysis.stats.trends.fit_count_trend` of the area's own series (the slopes
    model's estimate for that area, with the area's own dispersion over ``years - 2`` df and the
    check for AR(1) year noise), so it has the same interval whichever function gives it. With
    three or more areas ``joint_p_value`` is the quasi-likelihood F test of all deviations
    being 0 in the model of all areas, each area's rows weighted by ``1 / phi_a`` (Wald
    statistic / q / scale on (q, df), scale ``max(1, weighted X2 / df)``). Assumes a log-linear
    difference in trends and independent years.

    Simulated coverage (seeded, ``tests/stats/test_compare.py``; 2 areas x 12 years, gamma-Poisson
    counts with variance 3 mu, about 400 a year): the 95% interval of the ratio (year effects)
    covered the true ratio in 93.5% of 200 series (95.0% of 400).

    Examples
    --------
    >>> from rvs_analysis import regions
    >>> from rvs_analysis.sources import load_source
    >>> result = compare_area_trends(load_source("demo"), "1.1.1", ["Stad Utrecht", regions.rest_of("Stad Utrecht")])
    >>> result.areas
    ('Stad Utrecht', 'Midden-Nederland zonder Stad Utrecht')
    >>> result.ratio.ci_low < result.ratio.estimate < result.ratio.ci_high
    True
    """
    level = check_level(level)
    if model not in ("year_effects", "slopes"):
        raise StatisticsInputError(f"model must be 'year_effects' or 'slopes', got {model!r}.")
    table = rate_table(data, offence_code, areas, years, boundaries)
    names = _comparison_areas(table, reference)
    reference = names[0]
    y = table["registered_offences"].to_numpy()
    offset = np.log(table["population"].to_numpy())
    design, deviations, _ = _design(table, names, reference, model)
    model_name = _MODEL_NAMES[model]
    fit = fit_counts(y, design, offset, "quasi_poisson", f"({model_name})", "population")
    if fit.df_resid <= 0:
        raise StatisticsInputError(
            "Too few years for this comparison: the model has no residual degrees of freedom."
        )
    phi, df_resid = fit.dispersion, fit.df_resid
    method = (
        f"quasi-Poisson GLM ({model_name}) with log(population) offset; dispersion "
        f"phi = max(1, Pearson X2/df) = {phi:.2f} on {df_resid} df; "
        + (
            f"Wald t({df_resid}) intervals"
            if math.isfinite(fit.reference_df)
            else "Wald normal intervals (the floor binds: Poisson variance)"
        )
        + " for the ratio of annual rate ratios"
    )
    ratios = {}
    area_dispersions: dict[str, float] = {}
    if len(names) == 2:
        ratios[names[1]] = fit.coefficient(
            deviations[0],
            level=level,
            method=method,
            n=_events(table, names[1]),
            details={"reference": reference},
        )
        area_dispersions[names[1]] = phi
    else:
        # Each area against the reference in its own model: its own dispersion and df, so a
        # noisy area does not borrow the precision of the quiet ones (one pooled phi called the
        # noisiest of ten police units "significant" in 14.5% of null runs).
        method = (
            f"quasi-Poisson GLM per area against {reference} ({model_name}) with "
            "log(population) offset; each area's own dispersion phi_a = max(1, Pearson X2/df) "
            "of its pair model; Wald t(df) intervals (normal where phi_a is at its floor 1) "
            "for the ratio of annual rate ratios"
        )
        for name in names[1:]:
            ratios[name], area_dispersions[name] = _pair_ratio(
                table, reference, name, model, level, method
            )
    if len(names) == 2:
        joint_p = ratios[names[1]].p_value
    else:
        joint_p = _joint_p_value(y, design, offset, table, deviations, area_dispersions)
    # each area's own annual rate ratio is fit_count_trend's of its own series: one interval for
    # the same quantity whichever function is asked (issue 30)
    annual = {
        name: fit_count_trend(table[table["area"] == name], level=level).annual_rate_ratio
        for name in names
    }
    data_out = table.copy()
    data_out["fitted"] = fit.fitted
    return AreaTrendComparison(
        areas=tuple(names),
        reference=reference,
        ratios=ratios,
        annual_rate_ratios=annual,
        dispersion=phi,
        pearson_dispersion=fit.pearson_dispersion,
        area_dispersions=area_dispersions,
        df_resid=int(df_resid),
        joint_p_value=joint_p,
        model=model,
        years=tuple(sorted(int(year) for year in table["year"].unique())),
        method=method,
        data=data_out,
        results=fit.results,
    )


# --------------------------------------------------------------------------------------------
# Change between two years
# --------------------------------------------------------------------------------------------


def _pooled_dispersion(table: pd.DataFrame) -> tuple[float, int, str]:
    """Year-to-year dispersion of the areas' series: phi, df and a description.

    With two or more areas: Poisson GLM with year effects, area effects and area-specific slopes
    (the noise of an area around its own trend and the common year pattern); with one area its
    own log-linear trend.
    """
    names = _area_names(table)
    if table["year"].nunique() < 3:
        return 1.0, 0, "no dispersion estimate (fewer than three years): phi = 1"
    y = table["registered_offences"].to_numpy()
    offset = np.log(table["population"].to_numpy())
    model = "year_effects" if len(names) > 1 else "slopes"
    design, _, _ = _design(table, names, names[0], model)
    fit = fit_counts(y, design, offset, "quasi_poisson")
    if fit.df_resid <= 0:
        return 1.0, 0, "no residual df for a dispersion estimate: phi = 1"
    phi, df_resid = fit.dispersion, fit.df_resid
    what = (
        "year effects, area effects and area slopes"
        if model == "year_effects"
        else "the area's log-linear trend"
    )
    years = f"{int(table['year'].min())}-{int(table['year'].max())}"
    return (
        phi,
        int(df_resid),
        f"phi = max(1, Pearson X2/df) = {phi:.2f} from a Poisson GLM of {years} with {what}",
    )


def _ratio_interval(k1, k2, e1, e2, phi, level):
    """Conditional binomial (Clopper-Pearson) rate-ratio interval on counts divided by phi."""
    alpha = 1 - level
    a, b = k2 / phi, k1 / phi
    n = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        pi_low = np.where(a > 0, stats.beta.ppf(alpha / 2, a, b + 1), 0.0)
        pi_high = np.where(b > 0, stats.beta.ppf(1 - alpha / 2, a + 1, b), 1.0)
        factor = e1 / e2
        low = pi_low / (1 - pi_low) * factor
        high = np.where(pi_high >= 1, np.inf, pi_high / (1 - pi_high) * factor)
        ratio = np.where(k1 > 0, (k2 / e2) / (k1 / e1), np.inf)
        ratio = np.where(n > 0, ratio, np.nan)
        null = e2 / (e1 + e2)
        upper_tail = np.where(a > 0, stats.beta.cdf(null, a, b + 1), 1.0)  # P(X >= a)
        lower_tail = np.where(b > 0, stats.beta.sf(null, a + 1, b), 1.0)  # P(X <= a)
        p_value = np.minimum(1.0, 2 * np.minimum(upper_tail, lower_tail))
    high = np.where(n > 0, high, np.inf)
    return ratio, low, high, np.where(n > 0, p_value, 1.0)


def _rate_limits(k, e, phi, level, per):
    """Garwood limits of a rate, on counts divided by phi (scaled back)."""
    alpha = 1 - level
    scaled = k / phi
    low = np.where(scaled > 0, stats.chi2.ppf(alpha / 2, 2 * scaled) / 2, 0.0)
    high = stats.chi2.ppf(1 - alpha / 2, 2 * scaled + 2) / 2
    return low * phi / e * per, high * phi / e * per


def change_between(
    data,
    first_year: int,
    last_year: int,
    offence_code: str | None = None,
    areas=None,
    boundaries: int = 2017,
    method: str = "dispersion",
    level: float = 0.95,
    per: float = 1000.0,
    min_count: int = 10,
    provisional_years: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Change of each area's rate between two chosen years, with intervals.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
        See :func:`rate_table`. The dispersion is estimated from the years the table holds other
        than the two compared and the provisional ones, so pass all years (the default).
    first_year, last_year : int
        The two years compared (both must be in the data).
    offence_code : str, optional
    areas : optional
        Areas or a level (``"gemeente"``) with a dataset; area names to keep with a table.
    boundaries : int, default 2017
    method : {"dispersion", "exact"}, default "dispersion"
        ``exact``: the conditional binomial interval for two Poisson counts. ``dispersion``: the
        same on counts divided by the areas' year-to-year dispersion phi (see Notes).
    level : float, default 0.95
    per : float, default 1000
        Rates per this many inhabitants.
    min_count : int, default 10
        Below this many offences in the two years together a row is marked ``too_few`` (the
        reports write "te weinig gevallen").
    provisional_years : sequence of int, optional
        Years whose figures are provisional; default from the dataset's ``provisional`` flag.

    Returns
    -------
    pandas.DataFrame
        One row per area: ``area, count_first, count_last, population_first, population_last,
        rate_first, rate_last, rate_ratio, ratio_ci_low, ratio_ci_high, p_value,
        rate_difference, difference_ci_low, difference_ci_high, significant, too_few,
        provisional``. ``attrs`` holds ``first_year``, ``last_year``, ``dispersion``,
        ``method`` and ``level``.

    Notes
    -----
    Rate ratio: given ``n = k1 + k2`` the later count is Binomial(n, pi) with
    ``pi = E2 RR / (E1 + E2 RR)``; the Clopper-Pearson interval for pi is transformed to RR and the
    p-value is twice the smaller exact binomial tail at RR = 1 (Breslow & Day 1987), so that
    ``p < 1 - level`` exactly when the interval excludes 1. For ``method =
    "dispersion"`` the counts are divided by phi before this (an effective-count correction:
    variance phi times the Poisson variance), where ``phi = max(1, X2/df)`` of a Poisson GLM of
    the areas' years other than the two compared and the provisional ones, with year effects, area
    effects and area-specific slopes (one area: its own log-linear trend); ``phi = 1`` when fewer
    than three such years remain (the method says so). Rate difference (per ``per`` inhabitants): MOVER interval (Zou & Donner
    2008) from the two rates' Garwood limits on the same (divided) counts. Populations are taken
    as known. ``significant`` means the ratio's interval excludes 1, for this area on its own: it
    is not corrected for looking at many areas (see :func:`change_funnel`).

    Simulated coverage (seeded, ``tests/stats/test_compare.py``): the dispersion-aware 95% ratio
    interval covered 94.3% of 600 true ratios for gamma-Poisson counts with variance 3 mu (20
    areas x 8 years, 30 replications); for Poisson counts of 5 to 200 the exact ratio interval
    covered 96.5% and the MOVER difference interval 96.3% of 4,000.

    Examples
    --------
    >>> from rvs_analysis.sources import load_source
    >>> changes = change_between(load_source("demo"), 2012, 2016, "1.1.1", "district")
    >>> changes["area"].tolist()
    ['Flevoland', 'Gooi en Vechtstreek', 'Stad Utrecht', 'West-Utrecht', 'Oost-Utrecht']
    >>> bool((changes["ratio_ci_low"] < changes["rate_ratio"]).all())
    True
    """
    level = check_level(level)
    if method not in ("dispersion", "exact"):
        raise StatisticsInputError(f"method must be 'dispersion' or 'exact', got {method!r}.")
    first_year, last_year = int(first_year), int(last_year)
    if first_year == last_year:
        raise StatisticsInputError("Choose two different years to compare.")
    table = rate_table(data, offence_code, areas, None, boundaries)
    regions.select_years([first_year, last_year], table["year"].unique(), "The table")
    if provisional_years is None:
        provisional_years = _provisional_years(data, offence_code)
    if method == "dispersion":
        # the noise of the years neither compared nor provisional (issue 28 B1, B10): the change
        # itself and revised figures must not inflate the noise it is judged against
        left_out = {first_year, last_year} | {int(year) for year in provisional_years}
        phi, _, phi_text = _pooled_dispersion(table[~table["year"].isin(left_out)])
        phi_text += " (the compared and provisional years left out)"
    else:
        phi, phi_text = 1.0, "phi = 1 (counts taken as Poisson)"
    wide = table.pivot(index="area", columns="year", values=["registered_offences", "population"])
    wide = wide.reindex(_area_names(table))
    k1 = wide[("registered_offences", first_year)].to_numpy(dtype=float)
    k2 = wide[("registered_offences", last_year)].to_numpy(dtype=float)
    e1 = wide[("population", first_year)].to_numpy(dtype=float)
    e2 = wide[("population", last_year)].to_numpy(dtype=float)
    ratio, low, high, p_value = _ratio_interval(k1, k2, e1, e2, phi, level)
    rate1, rate2 = k1 / e1 * per, k2 / e2 * per
    l1, u1 = _rate_limits(k1, e1, phi, level, per)
    l2, u2 = _rate_limits(k2, e2, phi, level, per)
    difference = rate2 - rate1
    result = pd.DataFrame(
        {
            "area": wide.index.to_list(),
            "count_first": k1,
            "count_last": k2,
            "population_first": e1,
            "population_last": e2,
            "rate_first": rate1,
            "rate_last": rate2,
            "rate_ratio": ratio,
            "ratio_ci_low": low,
            "ratio_ci_high": high,
            "p_value": p_value,
            "rate_difference": difference,
            "difference_ci_low": difference - np.sqrt((rate2 - l2) ** 2 + (u1 - rate1) ** 2),
            "difference_ci_high": difference + np.sqrt((u2 - rate2) ** 2 + (rate1 - l1) ** 2),
        }
    )
    estimated = table.loc[table["year"].isin([first_year, last_year])].groupby("area")[ESTIMATED]
    result[ESTIMATED] = estimated.any().reindex(result["area"]).fillna(False).to_numpy(bool)
    result["too_few"] = [
        bool(a + b < min_count or min(a, b) <= 0) for a, b in zip(k1, k2, strict=True)
    ]
    # no claim on a row with too few cases (B9): the same small-number rule as every change
    result["significant"] = (
        (result["ratio_ci_low"] > 1) | (result["ratio_ci_high"] < 1)
    ) & ~result["too_few"]
    provisional = {int(year) for year in provisional_years}
    result["provisional"] = bool({first_year, last_year} & provisional)
    interval = (
        "exact conditional binomial (Clopper-Pearson) rate-ratio interval"
        if method == "exact"
        else "conditional binomial rate-ratio interval on counts divided by phi"
    )
    result.attrs.update(
        first_year=first_year,
        last_year=last_year,
        dispersion=phi,
        level=level,
        per=per,
        method=f"{interval} ({phi_text}); rate difference per {per:g}: MOVER from Garwood limits",
    )
    return result


def _provisional_years(data, offence_code) -> list[int]:
    crime = getattr(data, "crime", None)
    if crime is None or "provisional" not in crime.columns:
        return []
    rows = crime if offence_code is None else crime[crime["offence_code"] == offence_code]
    return sorted(int(year) for year in rows.loc[rows["provisional"].astype(bool), "year"].unique())


# --------------------------------------------------------------------------------------------
# Funnel and ranking
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeFunnel(ResultMixin):
    """Result of :func:`change_funnel`.

    Attributes
    ----------
    points : pandas.DataFrame
        One row per area: ``area, total`` (offences in the two years), ``rate_ratio``, ``z``
        (standardised, after the dispersion), ``beyond_95``, ``beyond_99_8`` (outside the 95% /
        99.8% limits), ``direction`` ("hoger", "lager" or "").
    limits : pandas.DataFrame
        ``denominator`` (total offences) and ``lower_95, upper_95, lower_99.8, upper_99.8`` on the
        rate-ratio scale, for drawing (with the region's population growth).
    centre : float
        The overall rate ratio of all areas together.
    dispersion : float
        Between-area dispersion phi used to widen the limits (1: none).
    method : str
    """

    points: pd.DataFrame
    limits: pd.DataFrame
    centre: float
    dispersion: float
    method: str
    method_spec: MethodSpec | None = field(default=None, compare=False)

    _FRAME = "points"

    @property
    def outliers(self) -> list[str]:
        """Areas beyond the 99.8% limits."""
        return list(self.points.loc[self.points["beyond_99_8"], "area"])


def _logit(p):
    return np.log(p) - np.log1p(-p)


def change_funnel(
    changes: pd.DataFrame, overdispersion: bool = True, min_count: int = 10
) -> ChangeFunnel:
    """A funnel of the change between two years: each area against the overall change.

    Parameters
    ----------
    changes : pandas.DataFrame
        The result of :func:`change_between` (its counts and populations are used).
    overdispersion : bool, default True
        Widen the limits by the between-area dispersion (see Notes).
    min_count : int, default 10
        The drawn limits start at this many offences (fewer are "te weinig gevallen").

    Returns
    -------
    ChangeFunnel
        Points, limits (95% and 99.8%), the centre and the dispersion used.

    Notes
    -----
    Centre: the rate ratio of all areas together, ``R0 = (sum k2 / sum E2) / (sum k1 / sum E1)``.
    Under "every area changed like the whole", area i's later count given its total
    ``n_i = k1 + k2`` is Binomial(n_i, p_i) with ``p_i = R0 E2 / (E1 + R0 E2)``. Its z-score is on
    the log-odds scale, which is the log rate ratio's: ``z = (logit(q_i) - logit(p_i)) sqrt(n_i
    p_i (1 - p_i))`` with ``q_i = (k2 + 0.5) / (n_i + 1)`` (a half-count correction, so a year
    without offences stays finite); so the limits are ``R0 exp(+-z_a sqrt(phi / (n p (1 - p))))``
    (Spiegelhalter 2005, on the log scale). With ``overdispersion`` the z-scores are divided by
    ``sqrt(phi)``, ``phi = max(1, mean(z_w^2) / 0.679)``, where ``z_w`` are the z-scores winsorised
    at their 10th and 90th percentiles and 0.679 is the mean of a winsorised standard normal's
    square, so that a planted outlier does not widen the funnel. An area is beyond the 99.8% (95%)
    limits when ``|z| > 3.09`` (1.96). Every area is tested alike, whatever its rank; expect about 1
    in 500 (1 in 20) beyond them by chance. The drawn limits use the total population growth and
    start at ``min_count`` offences; ``beyond_*`` use each area's own growth.

    Examples
    --------
    >>> from rvs_analysis.sources import load_source
    >>> funnel = change_funnel(change_between(load_source("demo"), 2012, 2016, "1.1.1", "gemeente"))
    >>> sorted(funnel.limits.columns)
    ['denominator', 'lower_95', 'lower_99.8', 'upper_95', 'upper_99.8']
    """
    needed = ["area", "count_first", "count_last", "population_first", "population_last"]
    missing = [column for column in needed if column not in changes.columns]
    if missing:
        raise StatisticsInputError(
            f"change_funnel needs the table of change_between; it lacks {', '.join(missing)}."
        )
    k1 = changes["count_first"].to_numpy(dtype=float)
    k2 = changes["count_last"].to_numpy(dtype=float)
    e1 = changes["population_first"].to_numpy(dtype=float)
    e2 = changes["population_last"].to_numpy(dtype=float)
    if k1.sum() <= 0 or k2.sum() <= 0:
        raise StatisticsInputError("The areas together need offences in both years.")
    centre = float((k2.sum() / e2.sum()) / (k1.sum() / e1.sum()))
    total = k1 + k2
    p = centre * e2 / (e1 + centre * e2)
    observed = (k2 + 0.5) / (
        total + 1.0
    )  # half-count correction: an area with a zero year stays finite
    z = (_logit(observed) - _logit(p)) * np.sqrt(total * p * (1 - p))
    phi = 1.0
    if overdispersion and (total > 0).sum() >= 10:
        used = z[total > 0]
        low, high = np.quantile(used, [0.1, 0.9])
        phi = max(1.0, float(np.mean(np.clip(used, low, high) ** 2)) / _WINSOR_CONSTANT)
    z = np.where(total > 0, z / math.sqrt(phi), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(k1 > 0, (k2 / e2) / (k1 / e1), np.inf)
    points = pd.DataFrame(
        {
            "area": changes["area"].to_numpy(),
            "total": total,
            "rate_ratio": ratio,
            "z": z,
            "beyond_95": np.abs(z) > stats.norm.ppf(0.975),
            "beyond_99_8": np.abs(z) > stats.norm.ppf(0.999),
            ESTIMATED: (
                changes[ESTIMATED].to_numpy(bool)
                if ESTIMATED in changes.columns
                else np.zeros(len(changes), bool)
            ),
        }
    )
    points["direction"] = np.where(
        points["beyond_95"], np.where(points["z"] > 0, "hoger", "lager"), ""
    )
    growth = e2.sum() / e1.sum()
    start = max(float(min_count), float(total[total > 0].min()) * 0.8)
    grid = np.unique(np.geomspace(start, max(start * 1.5, total.max() * 1.2), 200).round(2))
    p0 = centre * growth / (1 + centre * growth)
    limits = pd.DataFrame({"denominator": grid})
    for label, probability in (("95", 0.975), ("99.8", 0.999)):
        half = stats.norm.ppf(probability) * np.sqrt(phi / (grid * p0 * (1 - p0)))
        limits[f"lower_{label}"] = centre * np.exp(-half)
        limits[f"upper_{label}"] = centre * np.exp(half)
    method = (
        "funnel of the change between two years: conditional binomial z-score of the later count "
        f"against the overall rate ratio {centre:.3f}"
        + (
            f", divided by sqrt(phi), phi = {phi:.2f} (winsorised between-area dispersion)"
            if overdispersion
            else " (no overdispersion correction)"
        )
        + "; limits at 95% and 99.8%"
    )
    spec = MethodSpec(
        "change_funnel",
        {"centre": centre, "dispersion": phi, "overdispersion": bool(overdispersion)},
    )
    return ChangeFunnel(points, limits, centre, phi, method, spec)


def rank_changes(
    changes: pd.DataFrame,
    by: str = "rate_difference",
    top: int | None = None,
    ascending: bool = False,
    n_sim: int = 2000,
    seed: int = 20170101,
    level: float = 0.95,
) -> pd.DataFrame:
    """Rank areas by their change, with the uncertainty of each rank and an honest flag.

    Parameters
    ----------
    changes : pandas.DataFrame
        The result of :func:`change_between`.
    by : {"rate_difference", "rate_ratio"}, default "rate_difference"
        What to rank: the change per 1,000 inhabitants or the rate ratio.
    top : int, optional
        Keep only the first ``top`` rows (the ranks and flags are computed over all areas).
    ascending : bool, default False
        False: the largest rise first.
    n_sim : int, default 2000
        Simulations for the rank intervals.
    seed : int, default 20170101
    level : float, default 0.95
        Level of the rank intervals.

    Returns
    -------
    pandas.DataFrame
        ``rank, area, <by> and its interval, rank_low, rank_high, beyond_95, beyond_99_8,
        too_few, provisional``, ordered by rank. There is deliberately no "significant" column:
        being in the top five is no evidence of anything; ``beyond_99_8`` comes from
        :func:`change_funnel`, which tests every area alike, before any ranking.

    Notes
    -----
    Rank intervals by simulation: each area-year rate is drawn from
    ``Gamma(k / phi + 0.5, scale = phi) / E`` (a Jeffreys posterior for a Poisson count, on counts
    divided by the dispersion phi of :func:`change_between`); the measure is computed per draw and
    the areas ranked; ``rank_low``-``rank_high`` is the central ``level`` range of each area's
    ranks (Goldstein & Spiegelhalter 1996 on league tables). Wide rank intervals mean the order is
    mostly noise.

    Examples
    --------
    >>> from rvs_analysis.sources import load_source
    >>> changes = change_between(load_source("demo"), 2012, 2016, "1.1.1", "gemeente")
    >>> ranked = rank_changes(changes, top=5)
    >>> ranked["rank"].tolist()
    [1, 2, 3, 4, 5]
    """
    level = check_level(level)
    columns = {
        "rate_difference": ("rate_difference", "difference_ci_low", "difference_ci_high"),
        "rate_ratio": ("rate_ratio", "ratio_ci_low", "ratio_ci_high"),
    }
    if by not in columns:
        raise StatisticsInputError(f"by must be 'rate_difference' or 'rate_ratio', got {by!r}.")
    if n_sim < 100:
        raise StatisticsInputError("n_sim must be at least 100.")
    phi = float(changes.attrs.get("dispersion", 1.0))
    per = float(changes.attrs.get("per", 1000.0))
    rng = np.random.default_rng(seed)
    k1 = changes["count_first"].to_numpy(dtype=float)
    k2 = changes["count_last"].to_numpy(dtype=float)
    e1 = changes["population_first"].to_numpy(dtype=float)
    e2 = changes["population_last"].to_numpy(dtype=float)
    draw1 = rng.gamma(k1 / phi + 0.5, phi, size=(n_sim, len(k1))) / e1 * per
    draw2 = rng.gamma(k2 / phi + 0.5, phi, size=(n_sim, len(k2))) / e2 * per
    measure = draw2 - draw1 if by == "rate_difference" else draw2 / draw1
    order = measure if ascending else -measure
    ranks = order.argsort(axis=1).argsort(axis=1) + 1
    tail = (1 - level) / 2
    funnel = change_funnel(changes)
    value, low, high = columns[by]
    table = pd.DataFrame(
        {
            "area": changes["area"].to_numpy(),
            value: changes[value].to_numpy(),
            low: changes[low].to_numpy(),
            high: changes[high].to_numpy(),
            "rank_low": np.quantile(ranks, tail, axis=0, method="lower").astype(int),
            "rank_high": np.quantile(ranks, 1 - tail, axis=0, method="higher").astype(int),
            "beyond_95": funnel.points["beyond_95"].to_numpy(),
            "beyond_99_8": funnel.points["beyond_99_8"].to_numpy(),
            "too_few": changes["too_few"].to_numpy(),
            "provisional": changes["provisional"].to_numpy(),
            ESTIMATED: funnel.points[ESTIMATED].to_numpy(),
        }
    )
    table = table.sort_values(value, ascending=ascending, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table.attrs.update(
        changes.attrs,
        method=(
            f"ranked by {by}; rank intervals from {n_sim} simulations (Jeffreys gamma draws, "
            f"phi = {phi:.2f}); flags from the change funnel ({funnel.method}), not from the rank"
        ),
    )
    shown = table if top is None else table.head(int(top))
    # a ranking says when an area in it rests on figures apportioned out of a successor
    shown.attrs["estimated_areas"] = shown.loc[shown[ESTIMATED], "area"].tolist()
    return shown
