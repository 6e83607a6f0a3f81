"""The data of a report's area: harmonised counts and populations per area.

Selection, harmonisation to the report's boundary year and unit conversion only; no statistics.
:func:`municipal_crime`, :func:`area_crime`, :func:`area_counts`, :func:`municipal_population`,
:func:`area_population`, :func:`clearance_frame`, :func:`survey_frame`, :func:`monthly_counts`,
:func:`monthly_to_date`, :func:`values_by_code`.

The harmonised counts and populations are computed once per source version and kept in the
process (keyed by source, folder, version and composition year; a new version of the same folder
replaces the old), so a warm kernel of ``rvs render`` harmonises once per batch, not once per
report; the seconds are counted in the ``"harmonise"`` stopwatch of :mod:`rvs_analysis.timings`.
What callers get are new frames (pandas copy-on-write), so a report cannot change the cache.
The small yearly frames of an area (:func:`area_population`, :func:`area_counts`, a monitor
indicator's observations) are kept the same way by :func:`remembered`, keyed by the source version
and the area, so that a report asking for them again, and the municipality reports that each scale
a target by the region's figures, reuse them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import pandas as pd

from rvs_analysis.exceptions import IncompleteDataError, NotAvailableForSource
from rvs_analysis.regions import (
    harmonise_counts,
    harmonise_population,
    known_codes,
    mergers,
    municipalities,
    pilot_municipalities,
)
from rvs_analysis.report.composition import (
    composition_codes,
    harmonise_cleared,
    monthly_on_composition,
    refuse_ambiguous_pilot_respondents,
    refuse_partial_survey,
)
from rvs_analysis.report.context import ReportContext, require
from rvs_analysis.sources import resolve_source
from rvs_analysis.stats.monthly import monthly_series
from rvs_analysis.timings import timed

__all__ = [
    "area_counts",
    "area_crime",
    "area_key",
    "area_population",
    "clearance_frame",
    "flagged_years",
    "harmonise_survey_codes",
    "in_report_years",
    "monthly_counts",
    "monthly_to_date",
    "municipal_crime",
    "municipal_population",
    "provisional_from",
    "remembered",
    "source_key",
    "survey_frame",
    "values_by_code",
]


_HARMONISED: dict[tuple, pd.DataFrame] = {}
"""Harmonised frames of the source loaded last, by (source, folder, version, what, year)."""


def _dataset_key(dataset, what: str, composition_year: int, folder=None) -> tuple:
    version = (dataset.provenance or {}).get("version", id(dataset))
    return (dataset.source, str(folder), version, what, composition_year)


def _source_folder(ctx: ReportContext):
    """Where the report's source is read from (the CBS cache folder for ``source="cbs"``)."""
    return resolve_source(ctx.source, ctx.cache)[1]


def _remember(key: tuple, frame: pd.DataFrame) -> pd.DataFrame:
    """Cache a harmonised frame, dropping those of other versions of the same source folder."""
    for stale in [old for old in _HARMONISED if old[:2] == key[:2] and old[2] != key[2]]:
        del _HARMONISED[stale]
    _HARMONISED[key] = frame
    return frame


_AREA_FRAMES: OrderedDict[tuple, pd.DataFrame | None] = OrderedDict()
_AREA_FRAMES_LIMIT = 1024
"""Small per-area frames kept by :func:`remembered` (the least recently used are dropped)."""


def area_key(ctx: ReportContext, what: str, *parts) -> tuple:
    """The key of a per-area result: source, folder, version, composition year, area, its
    municipalities, the report's years and ``parts`` (hashable)."""
    return (
        _dataset_key(ctx.dataset, what, ctx.composition_year, _source_folder(ctx)),
        _strategy_key(ctx),
        ctx.area.name,
        tuple(ctx.codes),
        tuple(ctx.years()),
        *parts,
    )


def source_key(ctx: ReportContext, what: str, *parts) -> tuple:
    """The key of a region-wide result (the same for every area of the report's region): source,
    folder, version, composition year and ``parts`` (hashable)."""
    return (
        _dataset_key(ctx.dataset, what, ctx.composition_year, _source_folder(ctx)),
        _strategy_key(ctx),
        *parts,
    )


def _strategy_key(ctx: ReportContext) -> tuple:
    """The strategy's region name and its municipalities and districts: region-wide results of
    two strategies on the same map differ."""
    composition = ctx.composition
    return (
        ctx.region_name,
        tuple(composition["gemeente_code"]),
        tuple(composition["district"]),
    )


def remembered(key: tuple, compute: Callable[[], pd.DataFrame | None]) -> pd.DataFrame | None:
    """``compute()``, computed once per ``key`` (:func:`area_key`, :func:`source_key`) and process.

    Returns a shallow copy (pandas copy-on-write: changing it leaves the kept frame as it was), or
    ``None`` when ``compute`` returned ``None``.
    """
    if key in _AREA_FRAMES:
        _AREA_FRAMES.move_to_end(key)
        frame = _AREA_FRAMES[key]
    else:
        frame = compute()
        _AREA_FRAMES[key] = frame
        while len(_AREA_FRAMES) > _AREA_FRAMES_LIMIT:
            _AREA_FRAMES.popitem(last=False)
    return None if frame is None else frame.copy(deep=False)


def _harmonised_population(dataset, composition_year: int, folder=None) -> pd.DataFrame:
    key = _dataset_key(dataset, "population", composition_year, folder)
    if key in _HARMONISED:
        return _HARMONISED[key]
    with timed("harmonise"):
        population = dataset.population
        population = population[population["gemeente_code"].isin(known_codes())]
        return _remember(
            key,
            harmonise_population(
                population[["gemeente_code", "year", "population"]],
                composition_year,
                dataset.population_boundary_year,
            ),
        )


def _harmonised_crime(dataset, composition_year: int, folder=None) -> pd.DataFrame:
    key = _dataset_key(dataset, "crime", composition_year, folder)
    if key in _HARMONISED:
        return _HARMONISED[key]
    with timed("harmonise"):
        crime = dataset.crime
        crime = crime[crime["gemeente_code"].isin(known_codes())]
        crime = crime[["gemeente_code", "year", "offence_code", "registered_offences"]]
        if dataset.crime_boundary_year != composition_year:
            crime = harmonise_counts(
                crime, dataset.population, dataset.crime_boundary_year, composition_year
            )
        codes = set(municipalities(composition_year)["gemeente_code"])
        crime = crime[crime["gemeente_code"].isin(codes)].copy()
        crime["registered_offences"] = crime["registered_offences"].astype(float)
        labels = dict(
            zip(dataset.offences["offence_code"], dataset.offences["offence_label"], strict=False)
        )
        crime["offence_label"] = crime["offence_code"].map(labels).fillna(crime["offence_code"])
        return _remember(key, crime.reset_index(drop=True))


def in_report_years(frame: pd.DataFrame, ctx: ReportContext) -> pd.DataFrame:
    years = ctx.years()
    return frame[frame["year"].isin(years)] if years else frame


def municipal_crime(
    ctx: ReportContext, offence_codes: Sequence[str] | None = None, whole_region: bool = False
) -> pd.DataFrame:
    """Registered offences per municipality, year and offence type on the report's boundaries.

    Parameters
    ----------
    ctx : ReportContext
    offence_codes : sequence of str, optional
        Keep these offence codes (all when omitted).
    whole_region : bool, default False
        All municipalities of the region instead of the area's.

    Returns
    -------
    pandas.DataFrame
        ``gemeente_code, year, offence_code, offence_label, registered_offences`` (float: counts
        apportioned out of a merged municipality are fractions), within the report's years.

    Notes
    -----
    Counts are harmonised with :func:`rvs_analysis.regions.harmonise_counts` from the source's
    boundary year to the composition year (exact for merged predecessors, population-share
    apportioning for municipalities merged later, such as Vianen and Weesp on 2017 boundaries).
    """
    crime = _harmonised_crime(ctx.dataset, ctx.composition_year, _source_folder(ctx))
    codes = ctx.composition["gemeente_code"] if whole_region else ctx.codes
    crime = crime[crime["gemeente_code"].isin(list(codes))]
    if offence_codes is not None:
        crime = crime[crime["offence_code"].isin(list(offence_codes))]
    return in_report_years(crime, ctx).reset_index(drop=True)


def area_crime(ctx: ReportContext, offence_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Registered offences of the area per year and offence type, as whole numbers.

    Returns
    -------
    pandas.DataFrame
        ``year, offence_code, offence_label, registered_offences`` (int): :func:`municipal_crime`
        summed over the area's municipalities and rounded, so that apportioned fractions (a
        merged municipality split by population share) add up before rounding.
    """
    crime = municipal_crime(ctx, offence_codes)
    _refuse_withheld(crime, "registered_offences", ctx)
    summed = crime.groupby(["year", "offence_code", "offence_label"], as_index=False)[
        "registered_offences"
    ].sum()
    summed["registered_offences"] = summed["registered_offences"].round().astype(int)
    return summed


def _refuse_withheld(frame: pd.DataFrame, column: str, ctx: ReportContext) -> None:
    """Refuse an area sum with a withheld (missing) municipal figure in it: pandas would count it
    as 0, and the area's total would be too low."""
    missing = frame[frame[column].isna()]
    if missing.empty:
        return
    first = missing.iloc[0]
    raise IncompleteDataError(
        f"Source {ctx.source!r}: the {column.replace('_', ' ')} of {first['gemeente_code']} in "
        f"{int(first['year'])} (and {len(missing) - 1} more) are not published, so the total of "
        f"{ctx.area.name} cannot be computed; nothing was written. Choose years or an area "
        "without withheld figures."
    )


def municipal_population(ctx: ReportContext, whole_region: bool = False) -> pd.DataFrame:
    """Population per municipality and year on the report's boundaries (``gemeente_code, year,
    population``), harmonised like :func:`municipal_crime`."""
    population = _harmonised_population(ctx.dataset, ctx.composition_year, _source_folder(ctx))
    codes = set(ctx.composition["gemeente_code"]) if whole_region else set(ctx.codes)
    return in_report_years(population[population["gemeente_code"].isin(codes)], ctx).reset_index(
        drop=True
    )


def area_population(ctx: ReportContext) -> pd.DataFrame:
    """Population of the area per year (``year, population``), summed over its municipalities."""

    def compute():
        population = municipal_population(ctx)
        _refuse_withheld(population, "population", ctx)
        return population.groupby("year", as_index=False)["population"].sum()

    return remembered(area_key(ctx, "area_population"), compute)


def area_counts(ctx: ReportContext, offence_code: str) -> pd.DataFrame:
    """Yearly registered offences of one offence type in the area, with its population.

    Returns
    -------
    pandas.DataFrame
        ``year, registered_offences, population, rate_per_1000``; counts rounded to whole numbers
        after summing (apportioned parts are fractions).

    Raises
    ------
    NotAvailableForSource
        When the source has no counts for this offence type.
    """

    def compute():
        crime = municipal_crime(ctx, [offence_code])
        if crime.empty:
            return None
        _refuse_withheld(crime, "registered_offences", ctx)
        counts = crime.groupby("year", as_index=False)["registered_offences"].sum()
        counts["registered_offences"] = counts["registered_offences"].round().astype(int)
        counts = counts.merge(area_population(ctx), on="year", how="left")
        counts["rate_per_1000"] = 1000.0 * counts["registered_offences"] / counts["population"]
        return counts

    counts = remembered(area_key(ctx, "area_counts", offence_code), compute)
    if counts is None:
        raise NotAvailableForSource(
            f"Misdrijfsoort {offence_code} is niet beschikbaar voor deze bron ({ctx.source})."
        )
    return counts


def _cleared_on_composition(dataset, cleared, offence_code: str, composition_year: int):
    """Cleared offences on the composition's boundaries.

    Open-data offence groups (83648NED, recoded by CBS to its newest boundaries like 47018NED) are
    harmonised like counts. The region's own cleared offences beside a CBS cache
    (``regional/cleared_offences.csv``) are on the composition already. A tidy folder's (the demo's)
    are on its ``crime_boundary_year`` like all its files: merged municipalities get the sums of
    their predecessors' counts and their combined covariates
    (:func:`rvs_analysis.regions.harmonise_cleared`, which refuses what it cannot combine).
    """
    from_year = dataset.crime_boundary_year
    own = offence_code in set(dataset.crime["offence_code"])
    if from_year is None or from_year == composition_year:
        return cleared
    if own and dataset.source == "cbs":
        return cleared
    if own:
        return harmonise_cleared(
            cleared[cleared["gemeente_code"].isin(known_codes())],
            dataset.population,
            from_year,
            composition_year,
            population_boundary_year=dataset.population_boundary_year,
            codes=municipalities(composition_year)["gemeente_code"],
        )
    values = ["registered_offences", "cleared_offences"]
    # registrations of suspects (83648NED) are apportioned like the counts; they may be missing
    optional = [column for column in ("suspects",) if column in cleared.columns]
    extra = [
        c
        for c in cleared.columns
        if c not in (*values, *optional, "gemeente_code", "year", "offence_code")
    ]
    counts = cleared.loc[cleared["gemeente_code"].isin(known_codes())].drop(columns=extra)
    harmonised = harmonise_counts(
        counts, dataset.population, from_year, composition_year, value_columns=values + optional
    )
    for column in values + optional:
        harmonised[column] = harmonised[column].round()
    return harmonised.dropna(subset=values).astype({column: int for column in values})


def clearance_frame(ctx: ReportContext, offence_code: str = "1.1.1") -> pd.DataFrame:
    """Registered and cleared offences per municipality and year for the whole region.

    Parameters
    ----------
    ctx : ReportContext
        Its dataset must have ``cleared`` (see :func:`require`).
    offence_code : str, default "1.1.1"
        Offence type (residential burglary).

    Returns
    -------
    pandas.DataFrame
        ``gemeente_code, gemeente_name, district, in_area, year, registered_offences,
        cleared_offences`` and, where the source has the covariates, ``attempt_share`` (attempts
        as % of registered), ``density_per_1000`` (inhabitants per km2 / 1,000) and
        ``burgernet_participation`` (participants per 100 inhabitants), within the report's years.

    Notes
    -----
    Only unit conversions of the source's columns, so that the odds ratios of a drivers model
    are per a meaningful unit. Cleared offences are taken on the composition's boundaries as the
    region supplies them.
    """
    require(ctx.dataset, "cleared")
    cleared = ctx.dataset.cleared
    cleared = cleared[cleared["offence_code"] == offence_code]
    if cleared.empty:
        raise NotAvailableForSource(
            f"Opgehelderde misdrijven van soort {offence_code} zijn niet beschikbaar voor deze "
            f"bron ({ctx.source})."
        )
    key = _dataset_key(
        ctx.dataset, f"cleared {offence_code}", ctx.composition_year, _source_folder(ctx)
    )
    if key not in _HARMONISED:
        with timed("harmonise"):
            _remember(
                key,
                _cleared_on_composition(ctx.dataset, cleared, offence_code, ctx.composition_year),
            )
    cleared = _HARMONISED[key]
    frame = cleared.merge(ctx.composition, on="gemeente_code", how="inner")
    frame["in_area"] = frame["gemeente_code"].isin(ctx.codes)
    if "attempted_offences" in frame.columns:
        frame["attempt_share"] = 100.0 * frame["attempted_offences"] / frame["registered_offences"]
    if "population_density" in frame.columns:
        frame["density_per_1000"] = frame["population_density"] / 1000.0
    return in_report_years(frame, ctx).reset_index(drop=True)


def values_by_code(
    frame: pd.DataFrame, value: str, ctx: ReportContext, name: str = "gemeente_name"
):
    """A value column as a Series indexed by GM code, from a frame labelled by municipality name
    (for :func:`rvs_analysis.report.figures.area_map`)."""
    composition = ctx.composition
    codes = dict(zip(composition["gemeente_name"], composition["gemeente_code"], strict=True))
    series = frame.set_index(frame[name].map(codes))[value].astype(float)
    return series[series.index.notna()]


def _monthly_on_composition(ctx: ReportContext, offence_code: str) -> pd.DataFrame:
    """The source's monthly rows of one offence type on the report's composition (kept per
    source version)."""
    key = _dataset_key(
        ctx.dataset, f"monthly {offence_code}", ctx.composition_year, _source_folder(ctx)
    )
    if key not in _HARMONISED:
        with timed("harmonise"):
            monthly = ctx.dataset.monthly
            selected = monthly[monthly["offence_code"] == offence_code]
            _remember(key, monthly_on_composition(ctx.dataset, selected, ctx.composition_year))
    return _HARMONISED[key]


def monthly_counts(ctx: ReportContext, offence_code: str = "1.1.1"):
    """Monthly registered offences of the area within the report's years, or ``None``.

    Returns
    -------
    pandas.Series or None
        From :func:`rvs_analysis.stats.monthly.monthly_series` (monthly DatetimeIndex); ``None`` when the
        source has no monthly counts for this offence type, so that a report can say so and go on.
    """
    monthly = ctx.dataset.monthly
    if monthly is None or monthly.empty:
        return None
    monthly = _monthly_on_composition(ctx, offence_code)
    monthly = monthly[monthly["gemeente_code"].isin(ctx.codes)]
    monthly = in_report_years(monthly, ctx)
    if monthly.empty:
        return None
    # apportioned parts of a merged municipality are fractions: add them up, then round
    summed = monthly.groupby(["year", "month", "offence_code"], as_index=False)[
        "registered_offences"
    ].sum()
    summed["registered_offences"] = summed["registered_offences"].round()
    return monthly_series(summed, offence_code)


def monthly_to_date(ctx: ReportContext, offence_code: str = "1.1.1") -> pd.DataFrame | None:
    """Every published month of the area from the report's first year to the source's latest
    month, also months after the report's last year (a year still under way), or ``None``.

    Parameters
    ----------
    ctx : ReportContext
    offence_code : str, default "1.1.1"

    Returns
    -------
    pandas.DataFrame or None
        Indexed by month (``pandas.PeriodIndex``, consecutive), with ``registered_offences``
        (float: the sum over the area's municipalities, rounded; NaN where a municipality's
        count of that month is withheld or missing, never a sum over fewer municipalities) and
        ``provisional`` (bool: the monthly table marks the month provisional, CBS "Voorlopig").
        ``None`` when the source has no monthly counts of this offence type for the area.

    Notes
    -----
    Unlike :func:`monthly_counts` (a complete series within the report's years, for seasonality
    and change points) the months after the report's last year are kept: they are what a
    nowcast of the year under way rests on.
    """
    monthly = ctx.dataset.monthly
    if monthly is None or monthly.empty:
        return None
    rows = _monthly_on_composition(ctx, offence_code)
    rows = rows[rows["gemeente_code"].isin(ctx.codes)]
    if ctx.first_year is not None:
        rows = rows[rows["year"] >= ctx.first_year]
    if rows.empty:
        return None
    month = pd.PeriodIndex.from_fields(
        year=rows["year"].astype(int), month=rows["month"].astype(int), freq="M"
    )
    values = rows["registered_offences"].astype(float).to_numpy()
    grouped = pd.DataFrame(
        {
            "month": month,
            "gemeente_code": rows["gemeente_code"].to_numpy(),
            "value": values,
            "withheld": pd.isna(values),
        }
    ).groupby(["month", "gemeente_code"])
    # a withheld part (NaN) withholds the municipality's month: pandas would sum it as 0
    by_code = grouped["value"].sum().where(~grouped["withheld"].any())
    counts = by_code.unstack("gemeente_code").reindex(columns=list(ctx.codes))
    months = pd.period_range(counts.index.min(), counts.index.max(), freq="M")
    counts = counts.reindex(months)
    complete = counts.notna().all(axis=1)
    total = counts.sum(axis=1).round().where(complete)
    flagged = _provisional_months(ctx, offence_code)
    return pd.DataFrame(
        {
            "registered_offences": total.astype(float),
            "provisional": [month in flagged for month in months],
        },
        index=pd.PeriodIndex(months, name="month"),
    )


def _provisional_months(ctx: ReportContext, offence_code: str) -> set[pd.Period]:
    """The months the monthly table marks provisional for the area's municipalities."""
    monthly = ctx.dataset.monthly
    if monthly is None or "provisional" not in monthly.columns:
        return set()
    rows = monthly[
        (monthly["offence_code"] == offence_code)
        & monthly["gemeente_code"].isin(ctx.codes)
        & monthly["provisional"].astype("boolean").fillna(False).astype(bool)
    ]
    return {
        pd.Period(year=int(year), month=int(month), freq="M")
        for year, month in zip(rows["year"], rows["month"], strict=True)
    }


def flagged_years(frame: pd.DataFrame | None) -> set[int]:
    """Years with a row the source marks provisional (its ``provisional`` column, if any).

    Parameters
    ----------
    frame : pandas.DataFrame or None
        Rows with ``year`` and optionally ``provisional`` (missing flags count as final: the
        region's own files carry none).

    Returns
    -------
    set of int
    """
    if frame is None or "provisional" not in frame.columns or frame.empty:
        return set()
    flags = frame["provisional"].astype("boolean").fillna(False).astype(bool)
    return {int(year) for year in frame.loc[flags, "year"].unique()}


def provisional_from(ctx: ReportContext, offence_code: str = "1.1.1") -> pd.Timestamp | None:
    """The first month of the area's monthly series that is provisional, or ``None``.

    Parameters
    ----------
    ctx : ReportContext
    offence_code : str, default "1.1.1"

    Returns
    -------
    pandas.Timestamp or None
        The earliest month the monthly table (47022NED) marks provisional, or January of the
        first year the yearly table marks provisional (a month of a provisional year is
        provisional too), whichever is earlier.
    """
    months = []
    monthly = ctx.dataset.monthly
    if monthly is not None and "provisional" in monthly.columns:
        rows = monthly[
            (monthly["offence_code"] == offence_code)
            & monthly["gemeente_code"].isin(ctx.codes)
            & monthly["provisional"].astype("boolean").fillna(False).astype(bool)
        ]
        if not rows.empty:
            first = rows.sort_values(["year", "month"]).iloc[0]
            months.append(pd.Timestamp(int(first["year"]), int(first["month"]), 1))
    if ctx.provisional_years:
        months.append(pd.Timestamp(int(min(ctx.provisional_years)), 1, 1))
    return min(months) if months else None


def harmonise_survey_codes(survey: pd.DataFrame, codes: set[str]) -> pd.DataFrame:
    """Survey respondents coded with a successor's code, moved back to the region's code.

    Parameters
    ----------
    survey : pandas.DataFrame
        Survey microdata (``gemeente_code, year, ...``).
    codes : set of str
        The municipalities of the report's composition.

    Returns
    -------
    pandas.DataFrame
        A copy with ``gemeente_code`` harmonised and ``code_harmonised`` (bool) marking the moved
        respondents.

    Notes
    -----
    From the merger date on, a survey codes its respondents with the successor (Vianen as
    GM1961 Vijfheerenlanden from 2019). When exactly one predecessor belongs to the composition,
    those respondents are given that predecessor's code instead of being dropped; the
    successor's other parts (Leerdam, Zederik) lie outside the region, so this assumes the
    respondents coded with the successor live in the region's part (true for a survey sampled
    by the region). No change when the successor itself is in the composition.
    """
    out = survey.copy()
    out["code_harmonised"] = False
    events = mergers()
    for new_code, group in events.groupby("new_code"):
        if new_code in codes:
            continue
        inside = sorted(set(group["old_code"]) & codes)
        if len(inside) != 1:
            continue
        year = int(str(group["date"].iloc[0])[:4])
        moved = (out["gemeente_code"] == new_code) & (out["year"].astype(int) >= year)
        out.loc[moved, "gemeente_code"] = inside[0]
        out.loc[moved, "code_harmonised"] = True
    return out


def survey_frame(ctx: ReportContext) -> pd.DataFrame:
    """The survey microdata of the whole region with pilot group and area membership.

    Returns
    -------
    pandas.DataFrame
        The source's ``survey`` frame (region composition, report years) plus ``area_code`` (the
        respondent's municipality on the composition's boundaries), ``pilot`` (bool: one of the
        pilot municipalities of ``data/regions/pilots.csv``), ``group`` (``"Proeftuinen"`` /
        ``"Overige gemeenten"``) and ``in_area`` (bool).

    Raises
    ------
    NotAvailableForSource
        When the source has no survey microdata.
    IncompleteDataError
        When respondents are coded with a successor that merged a pilot with other municipalities
        (Vijfheerenlanden from 2019 on a composition of 2019 or later): see Notes.

    Notes
    -----
    Respondents keep the code of the municipality they were sampled in (``gemeente_code``), so the
    pilots' comparison stays on the pilots' own municipalities; ``area_code`` places them in the
    composition: on the boundaries of 2019 or later Vianen's respondents, a pilot's, and those of
    Leerdam and Zederik (the demo carries them) together make up Vijfheerenlanden, and Weesp's
    (in Amsterdam from 2022) are outside the region. A municipality of the composition is taken
    only when the survey has respondents in all its parts in a wave where it has any; otherwise
    its estimate would cover a part of it only, and the frame is refused.
    """
    require(ctx.dataset, "survey")
    pilots = set(pilot_municipalities()["gemeente_code"])
    codes = set(ctx.composition["gemeente_code"])
    survey = harmonise_survey_codes(ctx.dataset.survey, codes)
    refuse_ambiguous_pilot_respondents(survey, codes, pilots)
    mapping = composition_codes(sorted(set(survey["gemeente_code"])), ctx.composition_year)
    survey["area_code"] = survey["gemeente_code"].map(mapping)
    survey = survey[survey["area_code"].isin(codes)]
    survey = in_report_years(survey, ctx).copy()
    refuse_partial_survey(survey, codes, ctx.composition_year)
    survey["pilot"] = survey["gemeente_code"].isin(pilots)
    survey["group"] = survey["pilot"].map({True: "Proeftuinen", False: "Overige gemeenten"})
    survey["in_area"] = survey["area_code"].isin(ctx.codes)
    return survey.reset_index(drop=True)
