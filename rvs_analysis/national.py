"""Every Dutch municipality on any boundary year from 2012 on: the national harmonisation.

The region's harmonisation (:mod:`rvs_analysis.regions`) knows the region's mergers only. This module
does the same for the whole country with ``data/regions/national_changes.csv`` (every change to the
municipal map from 2012 on that ends or creates a code) and ``data/regions/municipality_names.csv``
(every code of 2012 on with its name).

Method
------
Each date of the national table is one step: a mapping ``old_code -> new_code`` with a weight (1 for
a merger, annexation or rename; the share of inhabitants for each successor of a split).

* forward (a change after the data's boundaries and on or before the target boundaries): each old
  code's figure goes to its successors, times the weight, and is summed there. Exact for mergers,
  annexations and renames; for a split the part of a dissolved municipality is its share of
  inhabitants times its figure, an approximation.
* backward (a change after the target boundaries): each successor's figure is divided over the
  municipalities it came from by population, each weighted by the share of it that went into the
  successor (a whole municipality 1, a part of a split municipality its share), with the shares of
  the same year before the change and frozen at the last full year before it for later years, as
  :mod:`rvs_analysis.regions` does. An approximation: offences are taken to be spread like
  inhabitants.

A figure that rests on any apportioned part (backward, or a split's share forward) is flagged
``estimated_from_successor``. ``GM0000`` passes through unchanged. Boundary corrections that change no
code are not in the table; those municipalities are taken as unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from rvs_analysis.completeness import check_complete, missing_rows
from rvs_analysis.exceptions import DataValidationError, SourceNotAvailableError
from rvs_analysis.region_tables import (
    GM_CODE,
    REGIONS_DIR,
    national_table,
    read_region_table,
    refuse_duplicate_codes,
)
from rvs_analysis.years import select_years

__all__ = [
    "ESTIMATED",
    "FIRST_NATIONAL_YEAR",
    "LEVELS",
    "POLICE_UNIT_PREFIX",
    "area_table",
    "harmonise",
    "incomplete_municipalities",
    "municipalities",
    "municipality_names",
    "police_units",
    "valid_on",
]

FIRST_NATIONAL_YEAR = 2012
"""The national table covers the boundaries from 1 January 2012 on."""

ESTIMATED = "estimated_from_successor"
"""Name of the flag column :func:`harmonise` adds with ``flag=True``."""

_FLAG = "_estimated"


@dataclass(frozen=True)
class _Step:
    """All changes of one date: ``mapping`` (``old_code, new_code, weight``) and the successors
    that existed before the date (``kept``: annexing municipalities, split receivers)."""

    date: pd.Timestamp
    mapping: pd.DataFrame
    kept: frozenset[str]

    @property
    def last_full_year(self) -> int:
        return self.date.year - 1

    def participants(self) -> pd.DataFrame:
        """``successor, participant, weight``: what each successor was made of just before."""
        parts = self.mapping.rename(columns={"new_code": "successor", "old_code": "participant"})
        kept = sorted(self.kept)
        own = pd.DataFrame({"successor": kept, "participant": kept, "weight": 1.0})
        return pd.concat([parts[["successor", "participant", "weight"]], own], ignore_index=True)


@lru_cache(maxsize=1)
def _steps() -> tuple[_Step, ...]:
    table = national_table()
    steps = []
    for date, group in table.groupby("date", sort=True):
        created = set(group.loc[group["kind"].isin(["merger", "rename"]), "new_code"])
        mapping = group[["old_code", "new_code", "population_share"]].rename(
            columns={"population_share": "weight"}
        )
        kept = frozenset(set(group["new_code"]) - created)
        steps.append(_Step(pd.Timestamp(date), mapping.reset_index(drop=True), kept))
    return tuple(steps)


@lru_cache(maxsize=1)
def _names() -> pd.DataFrame:
    name = "municipality_names.csv"
    frame = read_region_table(name, ["gemeente_code", "gemeente_name", "source"])
    path = REGIONS_DIR / name
    for position, record in enumerate(frame.itertuples(index=False), start=1):
        if not GM_CODE.match(record.gemeente_code):
            raise DataValidationError(
                path, "gemeente_code", position, "not a GM code", record.gemeente_code
            )
        for column in ("gemeente_name", "source"):
            if getattr(record, column) == "":
                raise DataValidationError(path, column, position, "every row needs a value")
    refuse_duplicate_codes(frame, path)
    return frame


def municipality_names() -> pd.Series:
    """Name of every municipality code from 2012 on (``data/regions/municipality_names.csv``).

    Returns
    -------
    pandas.Series
        Names indexed by GM code: CBS's names of the 2024 municipalities and the names of the former
        ones as CBS wrote them.
    """
    return _names().set_index("gemeente_code")["gemeente_name"].copy()


def _check_boundaries(boundaries: int) -> int:
    boundaries = int(boundaries)
    if not FIRST_NATIONAL_YEAR <= boundaries <= dt.date.today().year + 1:
        raise SourceNotAvailableError(
            f"No national municipal map for boundaries {boundaries}: data/regions/"
            f"national_changes.csv covers {FIRST_NATIONAL_YEAR} to now. Use for example "
            "--boundaries 2024."
        )
    return boundaries


def valid_on(code: str, boundaries: int) -> bool:
    """Whether a municipality code exists on 1 January of ``boundaries`` (2012 or later).

    Parameters
    ----------
    code : str
        GM code.
    boundaries : int

    Returns
    -------
    bool
        False when the code was ended by a change on or before that day, or created by one after
        it, or is not in ``municipality_names.csv``.
    """
    return code in set(municipalities(boundaries)["gemeente_code"])


@lru_cache(maxsize=32)
def _municipalities(boundaries: int) -> pd.DataFrame:
    day = dt.date(boundaries, 1, 1)
    table = national_table()
    ended = set(table.loc[table["date"] <= day, "old_code"])
    created_rows = table.loc[table["kind"].isin(["merger", "rename"])]
    created_later = set(created_rows.loc[created_rows["date"] > day, "new_code"])
    names = _names()
    keep = ~names["gemeente_code"].isin(ended | created_later)
    frame = names.loc[keep, ["gemeente_code", "gemeente_name"]]
    frame = frame.assign(_name=frame["gemeente_name"].str.casefold()).sort_values("_name")
    return frame.drop(columns="_name").reset_index(drop=True)


def municipalities(boundaries: int) -> pd.DataFrame:
    """Every Dutch municipality on 1 January of ``boundaries`` (2012 or later).

    Parameters
    ----------
    boundaries : int

    Returns
    -------
    pandas.DataFrame
        ``gemeente_code, gemeente_name``, ordered by name: 415 on 2012's boundaries, 388 on 2017's,
        342 on 2024's.
    """
    return _municipalities(_check_boundaries(boundaries)).copy()


def incomplete_municipalities(dataset, inside) -> dict[str, dict[str, list[int]]]:
    """Municipalities outside ``inside`` whose crime or population rows are absent in a year.

    Parameters
    ----------
    dataset : rvs_analysis.sources.base.Dataset
    inside : iterable of str
        Codes left out (the region's: those are checked, and refused, where they are used).

    Returns
    -------
    dict
        ``{"crime": {code: [years]}, "population": {code: [years]}}`` with only the kinds that
        have gaps. Empty when the source holds no municipality outside ``inside`` (a source of the
        region alone is not incomplete, it is regional).

    Notes
    -----
    For each year the frame covers, the municipalities that existed on the frame's boundaries
    (crime: its boundary year; population on each year's own boundaries: that year) are looked up
    in the national history, and each must have a row for every offence type of the year (crime)
    or a positive population. Years before :data:`FIRST_NATIONAL_YEAR` are not checked. Such
    gaps are not an error: national comparisons that need the municipality refuse when used
    (:func:`area_table`).
    """
    inside = set(inside)
    result: dict[str, dict[str, list[int]]] = {}
    for kind, frame, boundary in (
        ("crime", dataset.crime, dataset.crime_boundary_year),
        ("population", dataset.population, dataset.population_boundary_year),
    ):
        if frame is None or frame.empty:
            continue
        codes = set(frame["gemeente_code"].unique()) - inside - {"GM0000"}
        if not any(GM_CODE.fullmatch(str(code)) for code in codes):
            continue
        needed: dict[int, dict[str, tuple[str, ...]]] = {}
        for year in sorted({int(year) for year in frame["year"].unique()}):
            on = int(boundary) if boundary is not None else year
            if not FIRST_NATIONAL_YEAR <= on <= dt.date.today().year + 1:
                continue
            outside = set(_municipalities(on)["gemeente_code"]) - inside
            needed[year] = {code: (code,) for code in outside}
        value = "registered_offences" if kind == "crime" else "population"
        gaps = missing_rows(frame, value, needed, keyed=kind == "crime")
        if gaps:
            result[kind] = gaps
    return result


def _boundary_dates(frame: pd.DataFrame, from_year: int | None, end_of_year: bool) -> pd.Series:
    if from_year is not None:
        return pd.Series(pd.Timestamp(int(from_year), 1, 1), index=frame.index)
    years = frame["year"].astype("int64")
    return pd.to_datetime(
        {"year": years, "month": 12 if end_of_year else 1, "day": 31 if end_of_year else 1}
    )


def _collapse(frame, key_columns, value_columns):
    sums = frame.groupby(key_columns, as_index=False, dropna=False, sort=False)[
        [*value_columns, _FLAG]
    ].sum(min_count=1)
    return sums


def _forward(frame, step, rows, key_columns, value_columns):
    moved = frame.loc[rows].merge(step.mapping, left_on="gemeente_code", right_on="old_code")
    moved["gemeente_code"] = moved["new_code"]
    for column in value_columns:
        moved[column] = moved[column].astype(float) * moved["weight"]
    moved[_FLAG] = np.maximum(moved[_FLAG].astype(float), (moved["weight"] < 1).astype(float))
    moved = moved[frame.columns]
    return pd.concat([frame.loc[~rows], moved], ignore_index=True)


def _shares(population: pd.DataFrame, step: _Step) -> pd.DataFrame:
    """``successor, participant, _share_year, share`` for every year up to the last full year
    before the step in which every participant has a population figure."""
    parts = step.participants()
    codes = parts["participant"].unique()
    subset = population.loc[
        population["gemeente_code"].isin(codes) & (population["year"] <= step.last_full_year),
        ["gemeente_code", "year", "population"],
    ]
    wide = subset.pivot_table(
        index="year", columns="gemeente_code", values="population", aggfunc="sum"
    ).reindex(columns=list(codes))
    wide = wide.loc[wide.notna().all(axis=1)]
    if wide.empty:
        raise SourceNotAvailableError(
            f"Cannot apportion the municipalities changed on {step.date.date().isoformat()} "
            f"({', '.join(sorted(set(parts['successor'])))}) to {', '.join(sorted(codes))}: the "
            f"population data have no year up to {step.last_full_year} with a population for "
            "each of them. Use population data on each year's own boundaries (CBS 70072ned) that "
            "cover the years before the change."
        )
    long = wide.reset_index().melt(id_vars="year", var_name="participant", value_name="pop")
    long = long.rename(columns={"year": "_share_year"}).merge(parts, on="participant")
    long["weighted"] = long["pop"].astype(float) * long["weight"]
    totals = long.groupby(["successor", "_share_year"])["weighted"].transform("sum")
    long["share"] = np.where(totals > 0, long["weighted"] / totals.where(totals > 0, 1), 0.0)
    return long[["successor", "participant", "_share_year", "share"]]


def _backward(frame, step, rows, population, key_columns, value_columns):
    successors = set(step.mapping["new_code"])
    old = set(step.mapping["old_code"])
    affected = frame.loc[rows & frame["gemeente_code"].isin(successors | old)]
    if affected.empty:
        return frame
    # Figures of old codes after the date (partial-year figures of a change during the year) go
    # to their successors first, so that the whole is split once.
    early = affected["gemeente_code"].isin(old)
    if early.any():
        affected = _forward(affected, step, early.to_numpy(), key_columns, value_columns)
        affected = _collapse(affected, key_columns, value_columns)
    shares = _shares(population, step)
    share_years = np.sort(shares["_share_year"].unique())
    years = affected["year"].to_numpy(dtype=np.int64)
    position = np.clip(np.searchsorted(share_years, years, side="right") - 1, 0, None)
    affected = affected.assign(_share_year=share_years[position])
    split = affected.rename(columns={"gemeente_code": "successor"}).merge(
        shares, on=["successor", "_share_year"], how="inner"
    )
    for column in value_columns:
        split[column] = split[column].astype(float) * split["share"]
    split[_FLAG] = 1.0
    split = split.rename(columns={"participant": "gemeente_code"})[frame.columns]
    untouched = frame.loc[~(rows & frame["gemeente_code"].isin(successors | old))]
    return pd.concat([untouched, split], ignore_index=True)


def harmonise(
    frame: pd.DataFrame,
    population: pd.DataFrame,
    from_year: int | None,
    to_year: int,
    value_columns: Sequence[str] = ("registered_offences",),
    flag: bool = False,
) -> pd.DataFrame:
    """Bring figures of every Dutch municipality to the boundaries of ``to_year``.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``gemeente_code``, ``year``, the ``value_columns`` and any further key columns (such as
        ``offence_code``).
    population : pandas.DataFrame
        ``gemeente_code, year, population`` on each year's own boundaries (CBS 70072ned): the
        weights for apportioning a successor to the municipalities it came from.
    from_year : int or None
        Boundary year of ``frame`` (2024 for 47018NED in the shared extract); ``None``: each
        year's own boundaries (70072ned).
    to_year : int
        Target boundary year, 2012 or later.
    value_columns : sequence of str, default ("registered_offences",)
    flag : bool, default False
        Add a boolean column ``estimated_from_successor``: True where the figure rests on any
        apportioned part (see the module's method).

    Returns
    -------
    pandas.DataFrame
        The same key columns on the boundaries of ``to_year``; summed figures stay whole,
        apportioned ones are floats (round after aggregating).

    Notes
    -----
    Forward steps sum predecessors into their successor (a split's part by its share of
    inhabitants); backward steps divide a successor over its predecessors by population share,
    frozen at the last full year before the change for the change's year and later. A figure
    missing in the input stays missing unless a sum has other parts (as in
    :func:`rvs_analysis.regions.harmonise_counts`).
    """
    to_year = _check_boundaries(to_year)
    value_columns = list(value_columns)
    for column in ["gemeente_code", "year", *value_columns]:
        if column not in frame.columns:
            raise DataValidationError("frame to harmonise", column, None, "column is missing")
    key_columns = [column for column in frame.columns if column not in value_columns]
    result = frame.assign(**{_FLAG: 0.0})
    target = pd.Timestamp(to_year, 1, 1)
    for step in _steps():
        start = _boundary_dates(result, from_year, end_of_year=False)
        rows = (
            (start < step.date)
            & (step.date <= target)
            & result["gemeente_code"].isin(step.mapping["old_code"])
        ).to_numpy()
        if rows.any():
            result = _forward(result, step, rows, key_columns, value_columns)
            result = _collapse(result, key_columns, value_columns)
    for step in reversed(_steps()):
        end = _boundary_dates(result, from_year, end_of_year=True)
        rows = ((target < step.date) & (step.date <= end)).to_numpy()
        if rows.any():
            result = _backward(result, step, rows, population, key_columns, value_columns)
            result = _collapse(result, key_columns, value_columns)
    result = result.reset_index(drop=True)
    if flag:
        result[ESTIMATED] = result[_FLAG].fillna(0).to_numpy() > 0
    return result.drop(columns=_FLAG)


# ----------------------------------------------------------------------------------------------
# Police units
# ----------------------------------------------------------------------------------------------

POLICE_UNIT_PREFIX = "Politie-eenheid"
"""Police-unit areas are named ``"Politie-eenheid <name>"`` (as the monitor writes them)."""


def _membership(dataset) -> tuple[dict[str, str], dict[str, str]]:
    provenance = getattr(dataset, "provenance", None) or {}
    units = provenance.get("police_units") or {}
    names = provenance.get("police_unit_names") or {}
    if not units:
        raise SourceNotAvailableError(
            f"Source {dataset.source!r} does not say which municipality belongs to which police "
            "unit, so police units cannot be made. That membership comes from CBS's 'Gebieden "
            "in Nederland' table (85755NED for 2024, fetched by 'rvs fetch' into --source cbs) or, in a "
            "folder in the tidy layout, from an optional police_units.csv with the columns "
            "gemeente_code, police_unit_code, police_unit_name (see docs/ARCHITECTURE.md)."
        )
    return dict(units), dict(names)


def _membership_year(codes: set[str]) -> int:
    """The latest boundary year whose municipalities include every code of the membership."""
    for year in range(dt.date.today().year + 1, FIRST_NATIONAL_YEAR - 1, -1):
        if codes <= set(_municipalities(year)["gemeente_code"]):
            return year
    unknown = sorted(codes - set(_names()["gemeente_code"]))
    raise SourceNotAvailableError(
        "The police-unit membership mixes municipalities of different years"
        + (f" or names unknown codes ({', '.join(unknown[:5])})" if unknown else "")
        + ": it must list the municipalities of one boundary year, as CBS's 'Gebieden in "
        "Nederland' does."
    )


def police_units(dataset, boundaries: int) -> dict[str, tuple[str, ...]]:
    """The police units and their municipalities on the boundaries of ``boundaries``.

    Parameters
    ----------
    dataset : rvs_analysis.sources.base.Dataset
        Its provenance carries the membership (CBS "Gebieden in Nederland", or ``police_units.csv``
        of a tidy folder), on the boundaries of one year.
    boundaries : int

    Returns
    -------
    dict
        ``{"Politie-eenheid <name>": (GM codes, ...)}`` ordered by unit code. A municipality of
        ``boundaries`` that the membership's year does not have goes to the unit of the part of it
        with the most inhabitants (harmonised like any figure).

    Raises
    ------
    SourceNotAvailableError
        When the source has no membership, or a municipality of ``boundaries`` gets no unit.
    """
    boundaries = _check_boundaries(boundaries)
    units, names = _membership(dataset)
    member_year = _membership_year(set(units))
    unit_codes = sorted(set(units.values()))
    indicator = pd.DataFrame(
        {
            "gemeente_code": list(units),
            "year": boundaries,
            **{unit: [float(units[code] == unit) for code in units] for unit in unit_codes},
        }
    )
    moved = harmonise(indicator, dataset.population, member_year, boundaries, unit_codes)
    moved = moved.set_index("gemeente_code")[unit_codes]
    codes = list(municipalities(boundaries)["gemeente_code"])
    missing = [code for code in codes if code not in moved.index or moved.loc[code].sum() <= 0]
    if missing:
        raise SourceNotAvailableError(
            f"The police-unit membership of source {dataset.source!r} (municipalities of "
            f"{member_year}) has no unit for {', '.join(missing[:5])}"
            f"{' and more' if len(missing) > 5 else ''} on the boundaries of {boundaries}."
        )
    best = moved.loc[codes].idxmax(axis=1)
    return {
        f"{POLICE_UNIT_PREFIX} {names.get(unit, unit)}": tuple(best.index[best == unit])
        for unit in unit_codes
    }


# ----------------------------------------------------------------------------------------------
# The national area table
# ----------------------------------------------------------------------------------------------

LEVELS: tuple[str, ...] = ("gemeente", "police-unit", "country")
"""Levels of :func:`area_table`: every municipality, the ten police units, the Netherlands."""


def _sum_to_areas(frame, members, value_column, estimated):
    """Sum municipal figures of ``members`` (area -> codes) per year; NaN when a member lacks one.

    The flag (named ``estimated`` in the result) is True where every member's figure is."""
    years = sorted(int(year) for year in frame["year"].unique())
    wide = frame.pivot_table(
        index="year", columns="gemeente_code", values=value_column, aggfunc="sum", dropna=False
    ).reindex(index=years)
    flags = frame.pivot_table(
        index="year", columns="gemeente_code", values=ESTIMATED, aggfunc="max", dropna=False
    ).reindex(index=years)
    parts = []
    for area, codes in members.items():
        codes = list(codes)
        values = wide.reindex(columns=codes)
        flag = flags.reindex(columns=codes).fillna(False).astype(bool)
        parts.append(
            pd.DataFrame(
                {
                    "area": area,
                    "year": years,
                    value_column: values.sum(axis=1, skipna=False).to_numpy(),
                    estimated: flag.all(axis=1).to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _area_members(areas, codes: list[str], boundaries: int) -> dict[str, tuple[str, ...]]:
    members = {}
    valid = set(codes)
    for area in areas:
        chosen = tuple(area.member_codes(codes))
        unknown = [code for code in chosen if code not in valid]
        if unknown:
            raise SourceNotAvailableError(
                f"The area {area.name!r} has {', '.join(unknown)}, which are no municipalities on "
                f"the boundaries of {boundaries} (see data/regions/national_changes.csv). Make "
                f"the area on the boundaries of {boundaries}."
            )
        if area.name in members:
            raise SourceNotAvailableError(f"Two areas are named {area.name!r}.")
        members[area.name] = chosen
    return members


def area_table(
    dataset,
    offence_code: str,
    level: str,
    boundaries: int,
    years=None,
    rate: bool = False,
    areas=None,
) -> pd.DataFrame:
    """Registered offences of every municipality, police unit or the Netherlands on any boundaries.

    Parameters
    ----------
    dataset : rvs_analysis.sources.base.Dataset
        Crime and population for the whole country (CBS 47018NED and 70072ned).
    offence_code : str
        CBS SoortMisdrijf key, such as ``"1.1.1"``.
    level : {"gemeente", "police-unit", "country"}
    boundaries : int
        Boundary year, 2012 or later: 342 municipalities on 2024's, 388 on 2017's.
    years : see :func:`rvs_analysis.years.year_list`
    rate : bool, default False
        Add ``population`` and ``rate_per_1000``.
    areas : sequence of rvs_analysis.regions.Area, optional
        Any areas of Dutch municipalities on ``boundaries`` instead of a level (``level`` is then
        ignored): :func:`rvs_analysis.regions.municipality`, police units, the Netherlands,
        custom areas.

    Returns
    -------
    pandas.DataFrame
        ``area, year, registered_offences, estimated_from_successor`` (+ ``population,
        rate_per_1000``), as :func:`rvs_analysis.regions.area_table`; municipalities by name,
        police units by code. A total is missing when a municipality's figure is.

    Notes
    -----
    Counts are harmonised from ``dataset.crime_boundary_year`` and populations from
    ``dataset.population_boundary_year`` with :func:`harmonise`. ``estimated_from_successor``:
    for a municipality, its count (or, with ``rate``, its population) rests on an apportioned
    part; for a police unit or the country, every municipality's does.
    """
    if areas is None and level not in LEVELS:
        raise SourceNotAvailableError(
            f"Unknown national level {level!r}: use one of {', '.join(LEVELS)}."
        )
    boundaries = _check_boundaries(boundaries)
    crime = dataset.crime
    offence_code = str(offence_code).strip()
    selected = crime.loc[crime["offence_code"] == offence_code]
    if selected.empty:
        available = sorted(crime["offence_code"].unique())
        raise SourceNotAvailableError(
            f"Offence code {offence_code!r} is not in source {dataset.source!r}. Available codes: "
            f"{', '.join(available)}."
        )
    what = f"Source {dataset.source!r} ({offence_code} counts)"
    chosen = select_years(years, selected["year"].unique(), what)
    counts = selected.loc[
        selected["year"].isin(chosen) & (selected["gemeente_code"] != "GM0000"),
        ["gemeente_code", "year", "registered_offences"],
    ]
    counts = harmonise(
        counts, dataset.population, dataset.crime_boundary_year, boundaries, flag=True
    )
    municipal = municipalities(boundaries)
    if areas is not None:
        members = _area_members(areas, list(municipal["gemeente_code"]), boundaries)
    elif level == "gemeente":
        members = dict(
            zip(
                municipal["gemeente_name"],
                municipal["gemeente_code"].map(lambda c: (c,)),
                strict=True,
            )
        )
    elif level == "police-unit":
        members = police_units(dataset, boundaries)
    else:
        members = {"Nederland": tuple(municipal["gemeente_code"])}
    in_use = {code for codes in members.values() for code in codes}
    check_complete(
        dataset,
        in_use,
        boundaries,
        chosen,
        ("crime", "population") if rate else ("crime",),
        national=True,
    )
    table = _sum_to_areas(counts, members, "registered_offences", ESTIMATED)
    table["registered_offences"] = table["registered_offences"].round().astype("Int64")
    if rate:
        population = dataset.population.loc[dataset.population["year"].isin(chosen)]
        population = harmonise(
            population[["gemeente_code", "year", "population"]],
            dataset.population,
            dataset.population_boundary_year,
            boundaries,
            ["population"],
            flag=True,
        )
        population = _sum_to_areas(population, members, "population", "_pop_estimated")
        population["population"] = population["population"].round().astype("Int64")
        table = table.merge(population, on=["area", "year"], how="left")
        if areas is None and level == "gemeente":
            table[ESTIMATED] = table[ESTIMATED] | table["_pop_estimated"].fillna(False)
        table = table.drop(columns="_pop_estimated")
        table["rate_per_1000"] = (
            table["registered_offences"].astype("Float64")
            / table["population"].astype("Float64")
            * 1000
        )
        table = table[
            ["area", "year", "registered_offences", ESTIMATED, "population", "rate_per_1000"]
        ]
    return table.reset_index(drop=True)
