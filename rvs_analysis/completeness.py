"""Complete or refused: every municipality of an area in use has its rows for every year in use.

A sum over an area's municipalities is only the area's figure when every municipality is in it. A
source that lacks a municipality's crime rows (or population rows) for a year would otherwise give a
total over fewer municipalities, printed as if it were the area's: Oost-Utrecht 1,927 burglaries in
2015 instead of 2,253 with Zeist's rows deleted. This module finds, before anything is computed or
written, which municipalities of the areas in use lack rows in which years, and refuses with one
paragraph naming the file, each municipality (code and name), the years and what to do.

The check is made on the source's own boundaries: the report's municipalities (on the boundaries of
the report's composition) are traced through the merger history (``data/regions/mergers.csv``) to the
codes the source must hold for each year (Gooise Meren 2014 needs Bussum, Muiden and Naarden in a
population table on each year's own boundaries; Vianen 2020 needs Vijfheerenlanden in crime counts on
2024 boundaries).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from rvs_analysis.exceptions import IncompleteDataError
from rvs_analysis.region_tables import (
    merger_events,
    merger_table,
    municipality_table,
    national_events,
    national_table,
    read_region_table,
)

__all__ = ["check_complete", "missing_rows", "required_codes"]

_FILE_HINTS = {
    "crime": ("registered_crime", "47018NED", "crime"),
    "population": ("population", "70072ned", "70072NED"),
}


def required_codes(
    codes: Iterable[str], boundaries: int, on: dt.date, national: bool = False
) -> dict[str, tuple[str, ...]]:
    """The codes a source on the boundaries of date ``on`` must hold for each of ``codes``.

    Parameters
    ----------
    codes : iterable of str
        Municipalities on the boundaries of 1 January of ``boundaries``.
    boundaries : int
        Their boundary year.
    on : datetime.date
        The date whose boundaries the source's figures are on (1 January of its boundary year, or
        of the figure's own year for figures on each year's own boundaries).
    national : bool, default False
        Follow the national municipal history (``national_changes.csv``) instead of the region's
        mergers (``mergers.csv``).

    Returns
    -------
    dict
        Code -> the source's codes that cover it: its predecessors when ``on`` lies before a merger
        that formed it (the successor too when it kept its code, an annexation), its successor when
        ``on`` lies after a merger that ended it, else the code itself.
    """
    target = dt.date(int(boundaries), 1, 1)
    events = national_events() if national else merger_events()
    result = {}
    for code in codes:
        covering = {code}
        if on < target:  # the source predates mergers up to the boundaries: go back through them
            for event in reversed(events):
                if on < event.date <= target and event.new_code in covering:
                    covering.discard(event.new_code)
                    covering.update(event.participants)
        elif on > target:  # the source postdates mergers after the boundaries: follow them
            for event in events:
                if target < event.date <= on and covering & set(event.old_codes):
                    covering -= set(event.old_codes)
                    covering.add(event.new_code)
        result[code] = tuple(sorted(covering))
    return result


def _names() -> dict[str, str]:
    names = dict(
        zip(
            municipality_table()["gemeente_code"],
            municipality_table()["gemeente_name"],
            strict=True,
        )
    )
    for mergers in (merger_table(), national_table()):
        for code_column, name_column in (("old_code", "old_name"), ("new_code", "new_name")):
            for code, name in zip(mergers[code_column], mergers[name_column], strict=True):
                names.setdefault(code, name)
    every = read_region_table(
        "municipality_names.csv", ["gemeente_code", "gemeente_name", "source"]
    )
    for code, name in zip(every["gemeente_code"], every["gemeente_name"], strict=True):
        names.setdefault(code, name)
    return names


def _input_file(dataset, kind: str) -> str:
    """The source file (or CBS table) of a dataset's ``kind`` frame, for the message."""
    files = [str(name) for name in (dataset.provenance or {}).get("files") or []]
    # a CBS table is named by its data set, never by one of its metadata files
    data_sets = [name for name in files if name.rsplit("/", 1)[-1].startswith("TypedDataSet")]
    files = data_sets or files
    for hint in _FILE_HINTS[kind]:
        for name in files:
            if hint in name and "monthly" not in name and "cleared" not in name:
                return name
    return f"the {kind} data of source {dataset.source!r}"


def _year_ranges(years: list[int]) -> str:
    years = sorted(set(years))
    parts, start = [], years[0]
    for previous, year in zip(years, [*years[1:], None], strict=True):
        if year != previous + 1:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = year
    return ", ".join(parts)


def missing_rows(
    frame: pd.DataFrame, value: str, needed: dict[int, dict[str, tuple[str, ...]]], keyed: bool
) -> dict[str, list[int]]:
    """Per source code the years it lacks (rows absent, or for population no positive number).

    Parameters
    ----------
    frame : pandas.DataFrame
        A source's crime (``keyed``: one row per offence type) or population frame.
    value : str
        The value column (``"registered_offences"`` or ``"population"``).
    needed : dict
        Year -> each municipality in use -> the source codes that cover it that year
        (:func:`required_codes`).
    keyed : bool
        Crime rows: a code is complete in a year when it has a row for every offence type the
        year has. Otherwise a positive number.

    Returns
    -------
    dict
        Source code -> the years (in ``needed``'s order) it lacks.

    Notes
    -----
    A municipality is also covered when the source holds it under its own code that year (a
    source whose figures are on later boundaries than it says, such as Gooise Meren in 2015).
    """
    gaps: dict[str, list[int]] = {}
    if keyed:  # crime: every offence type the year has, for every code
        present = frame.groupby(["gemeente_code", "year"])["offence_code"].nunique()
        offences = frame.groupby("year")["offence_code"].nunique()
    else:
        usable = frame[pd.to_numeric(frame[value], errors="coerce") > 0]
        present = usable.groupby(["gemeente_code", "year"]).size()

    def complete(code, year) -> bool:
        full = offences.get(year, 0) if keyed else 1
        return present.get((code, year), 0) >= max(full, 1)

    for year, mapping in needed.items():
        for target, sources in sorted(mapping.items()):
            if all(complete(code, year) for code in sources) or complete(target, year):
                continue
            for code in sources:
                if not complete(code, year):
                    gaps.setdefault(code, []).append(year)
    return gaps


def check_complete(
    dataset,
    codes: Iterable[str],
    boundaries: int,
    years: Iterable[int],
    kinds: Iterable[str] = ("crime", "population"),
    area: str | None = None,
    national: bool = False,
) -> None:
    """Refuse a source that lacks rows of a municipality in use for a year in use.

    Parameters
    ----------
    dataset : rvs_analysis.sources.base.Dataset
    codes : iterable of str
        The municipalities of every area in use (not the whole country), on ``boundaries``.
    boundaries : int
        Their boundary year.
    years : iterable of int
        The years in use; years the source does not cover at all are left to the caller (it
        refuses or never asks for them).
    kinds : iterable of {"crime", "population"}
        Which frames to check. Crime: a row for every offence type the year has. Population: a
        positive number (a population of 0, a negative or a missing one cannot be a denominator).
    area : str, optional
        The area's name, for the message.
    national : bool, default False
        The codes are any Dutch municipalities: follow the national municipal history.

    Raises
    ------
    IncompleteDataError
        Naming the file, each municipality with code and name, its years, and what to do.

    Notes
    -----
    Missing *values* in crime rows (a cell CBS withholds, "niet gepubliceerd") are not absent
    rows: they stay missing and make the area's figure missing, never smaller.
    """
    codes = sorted(set(codes))
    years = sorted({int(year) for year in years})
    if not codes or not years:
        return
    kinds = tuple(kinds)
    version = (dataset.provenance or {}).get("version")
    key = (dataset.source, version, id(dataset.crime), id(dataset.population), tuple(codes))
    key += (int(boundaries), tuple(years), kinds, national)
    if version is not None and key in _CHECKED:
        return  # the same data were found complete for the same areas and years before
    _check(dataset, codes, int(boundaries), years, kinds, area, national)
    if version is not None:
        _CHECKED.add(key)
        while len(_CHECKED) > 64:
            _CHECKED.pop()


_CHECKED: set[tuple] = set()
"""Checks passed in this process (a warm kernel checks a batch's source once per area list)."""


def _check(dataset, codes, boundaries, years, kinds, area, national=False) -> None:
    names = _names()
    for kind in kinds:
        frame = dataset.crime if kind == "crime" else dataset.population
        if frame is None:
            continue
        boundary = (
            dataset.crime_boundary_year if kind == "crime" else dataset.population_boundary_year
        )
        covered = {int(year) for year in frame["year"].unique()}
        needed: dict[int, dict[str, tuple[str, ...]]] = {}
        for year in years:
            if year not in covered:
                continue
            on = dt.date(int(boundary if boundary is not None else year), 1, 1)
            needed[year] = required_codes(codes, boundaries, on, national)
        value = "registered_offences" if kind == "crime" else "population"
        gaps = missing_rows(frame, value, needed, keyed=kind == "crime")
        if not gaps:
            continue
        listed = "; ".join(
            f"{code} {names.get(code, '(unknown name)')}: {_year_ranges(missing)}"
            for code, missing in sorted(gaps.items())
        )
        what = (
            "registered crime rows (for every offence type of the year)"
            if kind == "crime"
            else "a population greater than zero"
        )
        where = f"of {area}" if area else "of the areas in use"
        several = len(gaps) > 1
        raise IncompleteDataError(
            f"{_input_file(dataset, kind)}: {len(gaps)} "
            f"{'municipalities' if several else 'municipality'} {where} "
            f"{'lack' if several else 'lacks'} {what} in the years in use ({listed}). A total "
            "over fewer municipalities than the area has would be wrong, so nothing was computed "
            "or written. Complete the file (or fetch the tables again), or choose years the data "
            "cover."
        )
