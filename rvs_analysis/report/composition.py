"""Report frames beyond the counts on the composition's boundaries: cleared offences with their
covariates, monthly counts and the survey's municipalities.

A tidy folder (the demo) holds every file on its ``crime_boundary_year``; a report on a later
composition (Vijfheerenlanden from 2019, without Weesp from 2023) needs each frame on its own
boundaries, and needs all parts of a merged municipality: :func:`harmonise_cleared` sums the counts
and combines the covariates it can combine honestly, :func:`monthly_on_composition` sums the monthly
counts, :func:`composition_codes` places survey respondents; each refuses, naming the file, what it
cannot do rather than give a municipality that covers part of its territory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import pandas as pd

from rvs_analysis.completeness import missing_rows, required_codes
from rvs_analysis.exceptions import IncompleteDataError, RvsError
from rvs_analysis.region_tables import known_codes, merger_events
from rvs_analysis.regions import (
    FIRST_BOUNDARY_YEAR,
    harmonise_counts,
    harmonise_population,
    municipalities,
    pilot_municipalities,
)

__all__ = [
    "CLEARED_COUNT_COLUMNS",
    "COMBINED_COVARIATES",
    "composition_codes",
    "harmonise_cleared",
    "monthly_on_composition",
    "refuse_ambiguous_pilot_respondents",
    "refuse_partial_survey",
]


CLEARED_COUNT_COLUMNS: tuple[str, ...] = (
    "registered_offences",
    "cleared_offences",
    "attempted_offences",
    "suspects",
)
"""Count columns of a cleared-offences frame: summed over merged municipalities."""

COMBINED_COVARIATES: dict[str, str] = {
    "population_density": "total population / total land area",
    "burgernet_participation": "population-weighted mean",
}
"""Covariates of a cleared-offences frame that :func:`harmonise_cleared` can combine for a union
of municipalities, with how."""


def harmonise_cleared(
    cleared: pd.DataFrame,
    population: pd.DataFrame,
    from_year: int,
    to_year: int,
    population_boundary_year: int | None = None,
    codes: Iterable[str] | None = None,
    file: str = "cleared_offences.csv",
) -> pd.DataFrame:
    """Bring cleared offences with their covariates from the boundaries of ``from_year`` to those
    of ``to_year``, for municipalities that merged in between.

    Parameters
    ----------
    cleared : pandas.DataFrame
        ``gemeente_code, year, offence_code``, the counts of :data:`CLEARED_COUNT_COLUMNS` it has,
        optionally ``provisional`` and covariates (``population_density`` in inhabitants per km2,
        ``burgernet_participation`` in participants per 100 inhabitants, others).
    population : pandas.DataFrame
        ``gemeente_code, year, population`` on the boundaries of ``population_boundary_year``.
    from_year, to_year : int
        Boundary years of ``cleared`` and of the result.
    population_boundary_year : int or None, default None
        Boundary year of ``population`` (``None``: each year's own boundaries).
    codes : iterable of str, optional
        Keep only these municipalities of ``to_year`` (the region's composition); default all.
    file : str, default "cleared_offences.csv"
        Named in the errors.

    Returns
    -------
    pandas.DataFrame
        The columns of ``cleared`` on the boundaries of ``to_year``. A municipality formed by a
        merger in between has the sums of its predecessors' counts, ``provisional`` when any of
        them was, ``population_density`` = their total population / their total land area (each
        part's land area = its population / its density) and ``burgernet_participation`` = their
        population-weighted mean; a text column holds the predecessors' distinct values joined
        with "; ". Rows of unchanged municipalities are returned as they were.

    Raises
    ------
    IncompleteDataError
        When a predecessor of a municipality in ``codes`` has no row for a year and offence that
        another predecessor has (a sum over fewer parts would be too low), or when a covariate of
        a merged municipality cannot be combined: one not in :data:`COMBINED_COVARIATES`, or a
        population-based one without the parts' population.
    RvsError
        When ``to_year`` precedes ``from_year`` and ``cleared`` has covariates: splitting a
        municipality's density or Burgernet participation over its predecessors has no honest
        rule. Without covariates the counts are split by population share (of the same year,
        frozen at the last full year before the merger) like
        :func:`rvs_analysis.regions.harmonise_counts`.

    Notes
    -----
    Summing predecessors is exact for counts; the combined density and participation are exact
    given the parts' figures (up to the rounding of the figures in the file). The population
    weights are ``population`` on the boundaries of ``from_year`` (harmonised with
    :func:`harmonise_population`) in the same year.
    """
    if to_year == from_year:
        frame = cleared
    elif to_year < from_year:
        frame = _split_cleared(cleared, population, from_year, to_year, file)
    else:
        frame = _merge_cleared(
            cleared, population, from_year, to_year, population_boundary_year, codes, file
        )
    if codes is not None:
        frame = frame[frame["gemeente_code"].isin(set(codes))]
    return frame.reset_index(drop=True)


def _split_cleared(cleared, population, from_year, to_year, file):
    """Back to earlier boundaries: counts split by population share, like the registered
    offences; covariates refused (a part's density or participation is not the whole's)."""
    keys = ["gemeente_code", "year", "offence_code"]
    counts = [column for column in CLEARED_COUNT_COLUMNS if column in cleared.columns]
    covariates = [
        c
        for c in cleared.columns
        if c not in (*keys, *counts, "provisional") and pd.api.types.is_numeric_dtype(cleared[c])
    ]
    if covariates:
        raise RvsError(
            f"{file}: cleared offences on the boundaries of {from_year} cannot be brought back to "
            f"those of {to_year} with their covariates ({', '.join(covariates)}): a merged "
            "municipality's density or participation cannot be split over its predecessors "
            f"honestly. Use a composition year of {from_year} or later, or leave the covariates out."
        )
    harmonised = harmonise_counts(
        cleared[keys + counts], population, from_year, to_year, value_columns=counts
    )
    for column in counts:
        harmonised[column] = harmonised[column].round()
    return harmonised


def _merge_cleared(cleared, population, from_year, to_year, population_boundary_year, codes, file):
    keys = ["gemeente_code", "year", "offence_code"]
    counts = [column for column in CLEARED_COUNT_COLUMNS if column in cleared.columns]
    rest = [c for c in cleared.columns if c not in (*keys, *counts, "provisional")]
    numeric = [c for c in rest if pd.api.types.is_numeric_dtype(cleared[c])]
    text = [c for c in rest if c not in numeric]
    kept = set(codes) if codes is not None else None
    # every predecessor of a kept municipality must be there wherever another one is
    if kept is not None:
        needed = required_codes(sorted(kept), to_year, dt.date(int(from_year), 1, 1))
        merged_codes = {code: parts for code, parts in needed.items() if parts != (code,)}
        rows = cleared[cleared["gemeente_code"].isin({c for p in merged_codes.values() for c in p})]
        if not rows.empty:
            years = sorted({int(year) for year in rows["year"].unique()})
            gaps = missing_rows(
                rows, "registered_offences", dict.fromkeys(years, merged_codes), True
            )
            if gaps:
                listed = "; ".join(
                    f"{code}: {', '.join(str(y) for y in missing)}"
                    for code, missing in sorted(gaps.items())
                )
                raise IncompleteDataError(
                    f"{file}: on the boundaries of {to_year} a municipality is the sum of its "
                    f"predecessors on those of {from_year}, and some predecessors lack rows "
                    f"({listed}). A sum over fewer parts would be too low, so nothing was "
                    "computed or written. Complete the file, or choose the composition year "
                    f"{from_year}."
                )
    people = harmonise_population(population, from_year, population_boundary_year)
    people = people.rename(columns={"population": "_people"})
    frame = cleared.merge(people, on=["gemeente_code", "year"], how="left")
    values = [*counts, "_people"]
    if "provisional" in frame.columns:
        frame["provisional"] = frame["provisional"].astype("boolean").fillna(False).astype(int)
        values.append("provisional")
    if "population_density" in numeric:
        frame["_land"] = frame["_people"] / frame["population_density"]
        values.append("_land")
    if "burgernet_participation" in numeric:
        frame["_participants"] = frame["_people"] * frame["burgernet_participation"] / 100.0
        values.append("_participants")
    summed = harmonise_counts(
        frame[keys + values], population, from_year, to_year, value_columns=values
    )
    original = cleared.set_index(keys)
    new = ~summed.set_index(keys).index.isin(original.index)
    changed = summed.loc[new].copy()
    if kept is not None:
        changed = changed[changed["gemeente_code"].isin(kept)]
    unchanged = cleared[cleared["gemeente_code"].isin(set(summed["gemeente_code"]))]
    unchanged = unchanged.merge(summed.loc[~new, keys], on=keys, how="inner")
    if changed.empty:
        return unchanged
    uncombined = [c for c in numeric if c not in COMBINED_COVARIATES]
    if uncombined:
        first = changed.iloc[0]
        raise IncompleteDataError(
            f"{file}: the covariate {uncombined[0]!r} of {first['gemeente_code']} (merged from "
            f"its predecessors on the boundaries of {from_year}) cannot be combined: the suite "
            f"knows how to combine only {', '.join(COMBINED_COVARIATES)} and counts "
            f"({', '.join(CLEARED_COUNT_COLUMNS)}). Nothing was computed or written. Supply the "
            f"file on the boundaries of {to_year}, or leave the column out."
        )
    for column in counts:
        changed[column] = changed[column].round()
    if "provisional" in values:
        changed["provisional"] = changed["provisional"] > 0
    lacking = changed["_people"].isna() & bool({"_land", "_participants"} & set(values))
    if lacking.any():
        first = changed[lacking].iloc[0]
        raise IncompleteDataError(
            f"{file}: the population of the predecessors of {first['gemeente_code']} in "
            f"{int(first['year'])} is missing, so its population density and Burgernet "
            "participation cannot be combined; nothing was computed or written."
        )
    if "_land" in values:
        changed["population_density"] = changed["_people"] / changed["_land"]
    if "_participants" in values:
        changed["burgernet_participation"] = 100.0 * changed["_participants"] / changed["_people"]
    for column in text:
        parts = _successor_text(cleared, column, from_year, to_year)
        changed[column] = [
            parts.get((row.gemeente_code, row.year, row.offence_code))
            for row in changed[keys].itertuples(index=False)
        ]
    changed = changed[[c for c in cleared.columns if c in changed.columns]]
    for column in counts:
        if changed[column].notna().all():
            changed[column] = changed[column].astype(cleared[column].dtype)
    return pd.concat([unchanged, changed], ignore_index=True).sort_values(keys)


def _successor_text(cleared, column, from_year, to_year) -> dict:
    """The distinct values of a text column over each successor's parts, joined with "; "."""
    moved = cleared[["gemeente_code", "year", "offence_code", column]].copy()
    target = dt.date(int(to_year), 1, 1)
    start = dt.date(int(from_year), 1, 1)
    for event in merger_events():
        if start < event.date <= target:
            moved.loc[moved["gemeente_code"].isin(event.old_codes), "gemeente_code"] = (
                event.new_code
            )
    grouped = moved.dropna(subset=[column]).groupby(["gemeente_code", "year", "offence_code"])
    return {
        key: "; ".join(sorted({str(value) for value in values})) for key, values in grouped[column]
    }


def monthly_on_composition(dataset, monthly: pd.DataFrame, composition_year: int) -> pd.DataFrame:
    """A tidy folder's (the demo's) monthly counts, on its ``crime_boundary_year`` like all its
    files, harmonised to the composition with :func:`rvs_analysis.regions.harmonise_counts`;
    refused when a merged municipality's predecessors are not all there. CBS's monthly table is
    used as it is."""
    from_year = dataset.crime_boundary_year
    if dataset.source == "cbs" or from_year is None or from_year == composition_year:
        return monthly
    codes = sorted(municipalities(composition_year)["gemeente_code"])
    on = dt.date(int(from_year), 1, 1)
    needed = {
        code: parts
        for code, parts in required_codes(codes, composition_year, on).items()
        if parts != (code,)
    }
    years = sorted({int(year) for year in monthly["year"].unique()})
    gaps = missing_rows(monthly, "registered_offences", dict.fromkeys(years, needed), keyed=True)
    if gaps:
        listed = "; ".join(
            f"{code}: {', '.join(str(year) for year in missing)}"
            for code, missing in sorted(gaps.items())
        )
        raise IncompleteDataError(
            f"monthly_crime.csv: on the boundaries of {composition_year} a municipality is the sum "
            f"of its predecessors on those of {from_year}, and some predecessors lack monthly rows "
            f"({listed}). A sum over fewer parts would be too low, so nothing was computed or "
            f"written. Complete the file, or choose the composition year {from_year}."
        )
    keys = [c for c in ("gemeente_code", "year", "month", "offence_code") if c in monthly.columns]
    known = monthly[monthly["gemeente_code"].isin(known_codes())]
    return harmonise_counts(
        known[keys + ["registered_offences"]], dataset.population, from_year, composition_year
    )


def composition_codes(codes: Sequence[str], composition_year: int) -> dict[str, str]:
    """Each municipality's code on the boundaries of ``composition_year``, following the region's
    mergers forward (``data/regions/mergers.csv``).

    Parameters
    ----------
    codes : sequence of str
        GM codes of any earlier boundary year (Vianen, Leerdam, Zederik, Weesp, ...).
    composition_year : int

    Returns
    -------
    dict of str to str
        Code -> the municipality it lies in on 1 January of ``composition_year`` (itself when no
        merger of the table ended it by then: GM0620 Vianen -> GM1961 Vijfheerenlanden for 2019 and
        later, GM0457 Weesp -> GM0363 Amsterdam for 2023).
    """
    target = dt.date(int(composition_year), 1, 1)
    events = [event for event in merger_events() if event.date <= target]
    mapping = {}
    for code in codes:
        current = code
        for event in events:
            if current in event.old_codes:
                current = event.new_code
        mapping[code] = current
    return mapping


def refuse_ambiguous_pilot_respondents(survey: pd.DataFrame, codes: set[str], pilots: set[str]):
    """Refuse respondents coded with a successor that merged a pilot with other municipalities:
    whether they live in the pilot's part cannot be told, so neither group can take them."""
    for event in merger_events():
        parts = set(event.participants)
        if event.new_code not in codes or event.new_code in pilots:
            continue
        if not (parts & pilots) or not (parts - pilots):
            continue
        coded = survey[
            (survey["gemeente_code"] == event.new_code)
            & (survey["year"].astype(int) >= event.date.year)
        ]
        if not coded.empty:
            pilot = ", ".join(sorted(parts & pilots))
            raise IncompleteDataError(
                f"survey_microdata.csv: {len(coded)} respondents from {int(coded['year'].min())} "
                f"on are coded {event.new_code}, which merged the pilot municipality {pilot} with "
                f"{', '.join(sorted(parts - pilots))} on {event.date.isoformat()}. Whether they "
                "live in the pilot's part cannot be told, so the pilots' comparison cannot place "
                "them and nothing was computed or written. Code the respondents with their "
                "municipality before the merger, or use the composition year of the pilots "
                f"({min(int(y) for y in pilot_municipalities()['start_year'])})."
            )


def refuse_partial_survey(survey: pd.DataFrame, codes: set[str], composition_year: int) -> None:
    """Refuse a merged municipality of the composition whose survey covers only some parts: in a
    wave without respondents coded with its own code, every one of its parts on the earliest
    boundaries of the merger table must have respondents once any of them has."""
    earliest = dt.date(FIRST_BOUNDARY_YEAR, 1, 1)
    parts_of = {
        code: parts
        for code, parts in required_codes(sorted(codes), composition_year, earliest).items()
        if parts != (code,)
    }
    for wave, rows in survey.groupby("year"):
        present = set(rows["gemeente_code"])
        for code, parts in parts_of.items():
            if code in present or not (set(parts) & present):
                continue
            lacking = sorted(set(parts) - present)
            if lacking:
                raise IncompleteDataError(
                    f"survey_microdata.csv: {code} on the boundaries of {composition_year} is made "
                    f"of {', '.join(parts)}, and the wave {int(wave)} has no respondents in "
                    f"{', '.join(lacking)}. Its estimate would cover part of it only, so nothing "
                    "was computed or written. Add the respondents, or choose a composition year "
                    "before the merger."
                )
