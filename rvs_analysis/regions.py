"""Municipality -> district -> region for Midden-Nederland, and municipal mergers.

The composition of the region and its history are data, not code: ``data/regions/municipalities.csv``
(every municipality that is or was part of the region from 2011 on, with its district and validity
dates), ``data/regions/mergers.csv`` (mergers and annexations touching the region) and
``data/regions/pilots.csv`` (the pilot municipalities of the source document). Every function here is
generic over those tables: a new merger is a new row, never a new ``if``.

Boundaries and compositions
---------------------------
"Boundaries of year Y" means the municipalities as they were on 1 January of Y. ``municipalities(2017)``
gives the 39 municipalities of the source document; ``municipalities(2019)`` has Vijfheerenlanden
(GM1961) instead of Vianen; ``municipalities(2023)`` no longer has Weesp, which Amsterdam annexed on
24 March 2022.

Harmonisation
-------------
CBS publishes registered crime (47018NED) recoded to its newest municipal boundaries for every year,
and population (70072ned) on each year's own boundaries. To compare or divide them, both are brought to
one boundary year:

* forward (a merger that took effect after the data's boundaries and on or before the target
  boundaries): the predecessors' values are summed into the successor. This is exact.
* backward (a merger that took effect after the target boundaries): the successor's value is apportioned
  to its predecessors by their population share. This is an approximation: it assumes that offences
  (or inhabitants) are spread over the parts of a merged municipality as its inhabitants were. For a year
  before the merger the share is that year's; for the merger year and later it is frozen at the last full
  year before the merger (for Weesp, annexed in March 2022, that is 2021: its 2022 population is a
  partial-year figure).

``GM0000`` (CBS: "not attributable to a municipality") is carried through harmonisation unchanged and is
never part of a municipality's, district's or the region's sum.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from rvs_analysis import national
from rvs_analysis.completeness import check_complete
from rvs_analysis.exceptions import (
    DataValidationError,
    RvsError,
    SourceNotAvailableError,
    UnknownAreaError,
)
from rvs_analysis.region_tables import (  # noqa: F401  (part of this module's interface)
    DISTRICTS,
    GM_CODE,
    NATIONAL_KINDS,
    REGIONS_DIR,
    MergerEvent,
    changed_code_years,
    known_codes,
    merger_events,
    merger_table,
    mergers,
    municipality_table,
    national_changes,
    read_region_table,
)
from rvs_analysis.years import parse_years, select_years, year_list  # noqa: F401 (interface)

REGION_NAME = "Midden-Nederland"
"""The region's name as the source document writes it."""


FIRST_BOUNDARY_YEAR = 2011
"""The region and merger tables cover the boundaries from 1 January 2011 on."""

LEVELS: tuple[str, ...] = ("region", "district", "gemeente")
"""Aggregation levels understood by :func:`areas`, :func:`aggregate` and :func:`area_table`."""

NOT_ATTRIBUTABLE_CODE = "GM0000"
"""CBS code for offences not attributable to a municipality; kept apart, never summed into an area."""


NETHERLANDS_NAME = "Nederland"
"""Name of the national area (:func:`netherlands`): every municipality in the data, ``GM0000`` apart."""

AREA_LEVELS: tuple[str, ...] = (
    "region",
    "district",
    "gemeente",
    "rest",
    "country",
    "custom",
    "police-unit",
)
"""Kinds of :class:`Area`: the three levels of the region, "the rest of" an area within another,
the Netherlands, any named list of GM codes, and a police unit."""

SCOPES: tuple[str, ...] = ("region", "nederland")
"""Scopes of :func:`area_table`: the region's municipalities and districts (the region's merger
table), or every Dutch municipality (``data/regions/national_changes.csv``)."""

TABLE_LEVELS: tuple[str, ...] = (*LEVELS, "police-unit")
"""Levels :func:`area_table` understands: the region's three and the ten police units."""


@dataclass(frozen=True)
class Area:
    """An area: the region, a district, a municipality, "the rest of" an area, the Netherlands or
    any named list of municipalities.

    Make one with :func:`as_area` (a name, slug or GM code), :func:`netherlands`, :func:`rest_of`
    or :func:`custom_area`; pass it to :func:`area_table` and the comparison functions.

    Attributes
    ----------
    name : str
        Name as the reports write it (``"Midden-Nederland"``, ``"Gooi en Vechtstreek"``,
        ``"Laren"``, ``"Nederland"``, ``"Midden-Nederland zonder Stad Utrecht"``).
    level : str
        One of :data:`AREA_LEVELS`.
    district : str or None
        The district of a municipality or the district itself; ``None`` otherwise.
    codes : tuple of str
        GM codes of the municipalities that make up the area on the boundaries of ``boundaries``;
        empty for an area of the whole country (see ``whole_country``).
    boundaries : int or None
        The boundary and composition year the codes belong to (``None``: not recorded).
    whole_country : bool
        True for the Netherlands and "the rest of the Netherlands": the area is every municipality
        in the data except ``GM0000`` and the ``excluded`` codes, so it needs no list of the
        country's municipalities.
    excluded : tuple of str
        Codes left out of a ``whole_country`` area.

    Examples
    --------
    >>> as_area("Stad Utrecht").codes
    ('GM0344',)
    >>> rest_of("Stad Utrecht").name
    'Midden-Nederland zonder Stad Utrecht'
    >>> len(rest_of("Stad Utrecht").codes)
    38
    """

    name: str
    level: str
    district: str | None
    codes: tuple[str, ...]
    boundaries: int | None = None
    whole_country: bool = False
    excluded: tuple[str, ...] = ()

    def member_codes(self, available: Iterable[str]) -> list[str]:
        """The area's GM codes among the codes of a data set.

        Parameters
        ----------
        available : iterable of str
            The municipality codes present in the (harmonised) data.

        Returns
        -------
        list of str
            For a ``whole_country`` area every available code except ``GM0000`` and ``excluded``
            (sorted); otherwise :attr:`codes` (whether present or not: a missing code is an error
            for the caller to report).
        """
        if self.whole_country:
            excluded = {NOT_ATTRIBUTABLE_CODE, *self.excluded}
            return sorted({code for code in available if code not in excluded})
        return list(self.codes)


def apportioned(years: Iterable[int], from_year: int | None, to_year: int) -> pd.DataFrame:
    """Municipality-years whose figures on ``to_year`` boundaries are estimated from a successor.

    Parameters
    ----------
    years : iterable of int
        The years of the figures.
    from_year : int or None
        Boundary year the figures are published on (``None``: each year's own boundaries).
    to_year : int
        Boundary year of the report (2017 for the strategy's 39 municipalities).

    Returns
    -------
    pandas.DataFrame
        ``gemeente_code, year, successor_code, successor_name`` (Vianen out of Vijfheerenlanden
        from 2019, Weesp out of Amsterdam from 2022 on own boundaries; all years on 2024's).

    Notes
    -----
    The rule of :func:`harmonise_counts`' backward step. Such a municipality carries its
    successor's rate by construction: reports flag it ("geschat uit opvolger"), no exact interval.
    """
    target = pd.Timestamp(int(to_year), 1, 1)
    names = merger_table().drop_duplicates("new_code").set_index("new_code")["new_name"]
    rows = []
    for event in merger_events():
        when = pd.Timestamp(event.date)
        codes = event.old_codes + ((event.new_code,) if event.successor_existed else ())
        for year in sorted({int(year) for year in years}):
            end = pd.Timestamp(from_year, 1, 1) if from_year else pd.Timestamp(year, 12, 31)
            if target < when <= end:
                rows += [(code, year, event.new_code, names[event.new_code]) for code in codes]
    columns = ["gemeente_code", "year", "successor_code", "successor_name"]
    return pd.DataFrame(rows, columns=columns).drop_duplicates(["gemeente_code", "year"])


# ----------------------------------------------------------------------------------------------
# Composition and areas
# ----------------------------------------------------------------------------------------------


def municipalities(year: int = 2017) -> pd.DataFrame:
    """The municipalities of the region on 1 January of ``year``.

    Parameters
    ----------
    year : int, default 2017
        Composition year. 2017 gives the 39 municipalities of the source document.

    Returns
    -------
    pandas.DataFrame
        Columns ``gemeente_code``, ``gemeente_name``, ``district``; ordered by district (in
        :data:`DISTRICTS` order) and then by name.

    Notes
    -----
    A municipality belongs to the composition of ``year`` when ``valid_from`` is empty or on/before
    1 January of ``year`` and ``valid_to`` is empty or on/after that day. Worked out once per
    process and year; every call gets a copy.
    """
    return _composition(int(year)).copy()


@lru_cache(maxsize=64)
def _composition(year: int) -> pd.DataFrame:
    day = dt.date(year, 1, 1)
    table = municipality_table()
    valid = [
        (start is None or start <= day) and (end is None or end >= day)
        for start, end in zip(table["valid_from"], table["valid_to"], strict=True)
    ]
    frame = table.loc[valid, ["gemeente_code", "gemeente_name", "district"]].copy()
    frame["_order"] = frame["district"].map({name: i for i, name in enumerate(DISTRICTS)})
    frame["_name"] = frame["gemeente_name"].str.casefold()
    frame = frame.sort_values(["_order", "_name"]).drop(columns=["_order", "_name"])
    return frame.reset_index(drop=True)


def pilot_municipalities() -> pd.DataFrame:
    """The pilot municipalities ("proeftuinen onveiligheidsbeleving") of the source document.

    Returns
    -------
    pandas.DataFrame
        Columns ``gemeente_code``, ``gemeente_name``, ``district``, ``pilot``, ``start_year`` (int),
        ``source``.
    """
    frame = read_region_table(
        "pilots.csv", ["gemeente_code", "gemeente_name", "pilot", "start_year", "source"]
    )
    districts = municipality_table().set_index("gemeente_code")["district"]
    frame["district"] = frame["gemeente_code"].map(districts)
    frame["start_year"] = frame["start_year"].astype(int)
    return frame[["gemeente_code", "gemeente_name", "district", "pilot", "start_year", "source"]]


def _check_level(level: str) -> str:
    if level not in LEVELS:
        raise UnknownAreaError(level, LEVELS)
    return level


def areas(level: str, year: int = 2017) -> list[str]:
    """Names of the areas of one level in the composition of ``year``.

    Parameters
    ----------
    level : {"region", "district", "gemeente"}
    year : int, default 2017
        Composition year (only matters for ``"gemeente"``).

    Returns
    -------
    list of str
        ``["Midden-Nederland"]``, the districts in :data:`DISTRICTS` order, or the municipality names
        ordered by district and name.
    """
    _check_level(level)
    if level == "region":
        return [REGION_NAME]
    if level == "district":
        return list(DISTRICTS)
    return list(municipalities(year)["gemeente_name"])


def slug(name: str) -> str:
    """A file-name-safe form of an area name: ASCII, lower case, words joined by hyphens.

    Parameters
    ----------
    name : str
        An area name (a municipality, district or the region).

    Returns
    -------
    str

    Examples
    --------
    >>> slug("Gooi en Vechtstreek")
    'gooi-en-vechtstreek'
    >>> slug("Laren (NH.)")
    'laren-nh'
    """
    ascii_text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _normalise_name(name: str) -> str:
    return " ".join(str(name).split()).casefold()


_CBS_SUFFIX = re.compile(r"\s*\([^)]*\)\s*$")
"""CBS adds a province to ambiguous names ("Laren (NH.)"); the source document does not."""


def resolve_area(name, year: int = 2017) -> Area:
    """Look up an area by name (case-insensitive), slug or GM code.

    Parameters
    ----------
    name : str or Area
        ``"Midden-Nederland"``, a district (``"Stad Utrecht"``), a municipality of the composition
        of ``year`` (``"Gooise Meren"``, ``"GM1942"``, ``"gooise-meren"``; CBS's ``"Laren (NH.)"``
        is ``"Laren"``) or ``"Nederland"`` (also ``"Netherlands"``, ``"NL"``). An :class:`Area`
        is passed through :func:`as_area`.
    year : int, default 2017
        Composition year.

    Returns
    -------
    Area

    Raises
    ------
    UnknownAreaError
        When the name is none of these; the message lists the valid names.
    """
    if isinstance(name, Area):
        return as_area(name, year)
    composition = municipalities(year)
    name = _CBS_SUFFIX.sub("", str(name)) or str(name)
    wanted = _normalise_name(name)
    wanted_slug = slug(name)

    def matches(candidate: str) -> bool:
        return _normalise_name(candidate) == wanted or slug(candidate) == wanted_slug

    year = int(year)
    if matches(REGION_NAME):
        return Area(REGION_NAME, "region", None, tuple(composition["gemeente_code"]), year)
    for district in DISTRICTS:
        if matches(district):
            codes = composition.loc[composition["district"] == district, "gemeente_code"]
            return Area(district, "district", district, tuple(codes), year)
    for record in composition.itertuples(index=False):
        if matches(record.gemeente_name) or record.gemeente_code.casefold() == wanted:
            return Area(
                record.gemeente_name,
                "gemeente",
                record.district,
                (record.gemeente_code,),
                year,
            )
    if any(matches(alias) for alias in _NETHERLANDS_ALIASES):
        return netherlands(year)
    valid = [REGION_NAME, *DISTRICTS, *composition["gemeente_name"], NETHERLANDS_NAME]
    raise UnknownAreaError(name, valid)


_NETHERLANDS_ALIASES = (NETHERLANDS_NAME, "Netherlands", "the Netherlands", "NL", "NL01")


def netherlands(boundaries: int = 2017) -> Area:
    """The Netherlands: every municipality in the data, ``GM0000`` kept apart.

    Parameters
    ----------
    boundaries : int, default 2017
        Boundary year of the tables the area is used with (a national total does not depend on
        it; recorded for consistency with the other areas).

    Returns
    -------
    Area
        ``level="country"``, ``whole_country=True``, no code list: the national figure of a year
        is the sum over all municipalities the source has for that year.

    Examples
    --------
    >>> netherlands().name
    'Nederland'
    """
    return Area(NETHERLANDS_NAME, "country", None, (), int(boundaries), whole_country=True)


def municipality(name: str, boundaries: int = 2024) -> Area:
    """Any Dutch municipality on the boundaries of ``boundaries`` (2012 or later), as an area.

    Parameters
    ----------
    name : str
        GM code (``"GM0014"``) or name as CBS writes it (``"Groningen"``; case and spacing free;
        ``"Laren"`` finds CBS's ``"Laren (NH.)"`` when no other municipality has that name).
    boundaries : int, default 2024

    Returns
    -------
    Area
        ``level="gemeente"``, one code; the district when the municipality is one of the region's.

    Raises
    ------
    UnknownAreaError
        When no municipality of that name or code exists on ``boundaries``.

    Examples
    --------
    >>> municipality("Dijk en Waard", 2024).codes
    ('GM1980',)
    """
    table = national.municipalities(boundaries)
    text = _normalise_name(str(name))
    match = table.loc[
        (table["gemeente_code"] == str(name).strip().upper())
        | (table["gemeente_name"].map(_normalise_name) == text)
    ]
    if match.empty:  # "Laren" for CBS's "Laren (NH.)", when only one municipality fits
        bare = table["gemeente_name"].map(lambda value: _normalise_name(_CBS_SUFFIX.sub("", value)))
        match = table.loc[bare == _normalise_name(_CBS_SUFFIX.sub("", str(name)))]
    if len(match) != 1:
        raise UnknownAreaError(str(name), list(table["gemeente_name"]))
    code, label = match.iloc[0]["gemeente_code"], match.iloc[0]["gemeente_name"]
    region = municipalities(max(int(boundaries), FIRST_BOUNDARY_YEAR)).set_index("gemeente_code")
    district = region["district"].get(code)
    return Area(label, "gemeente", district, (code,), int(boundaries))


def police_unit_areas(dataset, boundaries: int = 2024) -> list[Area]:
    """The police units as areas, with their municipalities on ``boundaries``.

    Parameters
    ----------
    dataset : rvs_analysis.sources.base.Dataset
        A source that says which municipality belongs to which unit (CBS "Gebieden in
        Nederland", or ``police_units.csv`` in a tidy folder).
    boundaries : int, default 2024

    Returns
    -------
    list of Area
        ``level="police-unit"``, named ``"Politie-eenheid <name>"``, in the order of the units'
        codes (see :func:`rvs_analysis.national.police_units`).

    Raises
    ------
    SourceNotAvailableError
        When the source has no membership.
    """
    units = national.police_units(dataset, boundaries)
    return [
        Area(name, "police-unit", None, codes, int(boundaries)) for name, codes in units.items()
    ]


def custom_area(name: str, codes: Iterable[str], boundaries: int = 2017) -> Area:
    """Any list of municipalities with a name, e.g. a safety partnership or a police team.

    Parameters
    ----------
    name : str
        Name for tables and reports.
    codes : iterable of str
        GM codes on the boundaries of ``boundaries`` (``"GM0344"``; ``"344"`` is not accepted).
    boundaries : int, default 2017
        The boundary year the codes belong to; tables that use the area must use the same.

    Returns
    -------
    Area
        ``level="custom"``.

    Raises
    ------
    RvsError
        When the list is empty, has duplicates or a code that is not of the form ``GM0000``, or
        holds ``GM0000`` itself.

    Notes
    -----
    Codes are harmonised like every other area: a municipality of the region that merged later is
    apportioned out of its successor (:func:`harmonise_counts`). Mergers outside the region's
    merger table are not known, so a code outside the region must exist on ``boundaries`` in
    the source's own boundary year too; :func:`area_table` names any code the source lacks.

    Examples
    --------
    >>> custom_area("Eemland", ["GM0307", "GM0313"]).codes
    ('GM0307', 'GM0313')
    """
    codes = tuple(str(code).strip().upper() for code in codes)
    if not codes:
        raise RvsError(f"The area {name!r} has no municipalities: give at least one GM code.")
    bad = [code for code in codes if not GM_CODE.match(code)]
    if bad:
        raise RvsError(
            f"The area {name!r} has codes that are not GM codes: {', '.join(bad)}. Write them as "
            "GM followed by four digits, e.g. GM0344 (Utrecht)."
        )
    if NOT_ATTRIBUTABLE_CODE in codes:
        raise RvsError(
            f"The area {name!r} contains {NOT_ATTRIBUTABLE_CODE} (not attributable to a "
            "municipality), which is kept apart and never part of an area."
        )
    duplicated = sorted({code for code in codes if codes.count(code) > 1})
    if duplicated:
        raise RvsError(f"The area {name!r} lists {', '.join(duplicated)} more than once.")
    return Area(str(name), "custom", None, codes, int(boundaries))


def as_area(area, boundaries: int = 2017) -> Area:
    """An :class:`Area` from a name, slug, GM code or an area, on the boundaries of ``boundaries``.

    Parameters
    ----------
    area : str or Area
        ``"Midden-Nederland"``, a district, a municipality (see :func:`resolve_area`),
        ``"Nederland"``, or an :class:`Area` (from :func:`rest_of`, :func:`custom_area`, ...).
    boundaries : int, default 2017
        Boundary and composition year.

    Returns
    -------
    Area
        A region, district, municipality or the Netherlands given on other boundaries is looked up
        again on ``boundaries`` (the same name, that year's municipalities).

    Raises
    ------
    UnknownAreaError
        For a name that is no area.
    RvsError
        For a "rest of" or custom area made on other boundaries (its codes may not exist on
        ``boundaries``): make it again with ``boundaries=...``.

    Examples
    --------
    >>> as_area("gooise-meren").name
    'Gooise Meren'
    >>> len(as_area("Midden-Nederland", 2023).codes)
    38
    """
    boundaries = int(boundaries)
    if isinstance(area, Area):
        if area.boundaries is None or area.boundaries == boundaries:
            return area
        if area.level == "country":
            return netherlands(boundaries)
        if area.level in LEVELS:
            return resolve_area(area.name, boundaries)
        raise RvsError(
            f"The area {area.name!r} was made on the boundaries of {area.boundaries}, not "
            f"{boundaries}: make it again with boundaries={boundaries} (its municipalities may "
            "differ)."
        )
    return resolve_area(str(area), boundaries)


def rest_of(area, within=REGION_NAME, boundaries: int = 2017, name: str | None = None) -> Area:
    """ "The rest of" ``within`` without ``area``: e.g. Midden-Nederland without Stad Utrecht.

    Parameters
    ----------
    area : str or Area
        The area to leave out (a name as for :func:`as_area`, or an area).
    within : str or Area, default "Midden-Nederland"
        The area it lies in: the region, a district, ``"Nederland"`` or any area.
    boundaries : int, default 2017
        Boundary and composition year.
    name : str, optional
        Name of the result; default ``"<within> zonder <area>"``.

    Returns
    -------
    Area
        ``level="rest"``. Within the Netherlands the result is ``whole_country`` with the
        area's codes ``excluded``; otherwise its codes are those of ``within`` less those of
        ``area``, so for every table row rest = within - area.

    Raises
    ------
    RvsError
        When ``area`` is not inside ``within``, or nothing would be left.

    Examples
    --------
    >>> rest_of("Stad Utrecht", "Nederland").excluded
    ('GM0344',)
    """
    inner = as_area(area, boundaries)
    outer = as_area(within, boundaries)
    label = name or f"{outer.name} zonder {inner.name}"
    if inner.whole_country:
        raise RvsError(f"The rest of {outer.name} without {inner.name} is empty.")
    if outer.whole_country:
        excluded = tuple(sorted({*outer.excluded, *inner.codes}))
        overlap = set(outer.excluded) & set(inner.codes)
        if overlap:
            raise RvsError(
                f"{inner.name} is not inside {outer.name}: {', '.join(sorted(overlap))} "
                "were left out of it already."
            )
        return Area(label, "rest", None, (), int(boundaries), whole_country=True, excluded=excluded)
    outside = [code for code in inner.codes if code not in outer.codes]
    if outside:
        raise RvsError(
            f"{inner.name} is not inside {outer.name} on the boundaries of {boundaries}: "
            f"{', '.join(outside)} are not part of it. Choose an area within {outer.name}, or "
            "within='Nederland'."
        )
    codes = tuple(code for code in outer.codes if code not in inner.codes)
    if not codes:
        raise RvsError(f"The rest of {outer.name} without {inner.name} is empty.")
    district = outer.district if outer.level in ("district", "gemeente") else None
    return Area(label, "rest", district, codes, int(boundaries))


# ----------------------------------------------------------------------------------------------
# Harmonisation
# ----------------------------------------------------------------------------------------------


def _event_shares(population: pd.DataFrame, event: MergerEvent) -> pd.DataFrame:
    """Population shares of an event's participants per year, up to its last full year.

    Returns a frame ``year, gemeente_code, share`` with the shares of each year in which every
    participant has a population figure (only years up to ``event.last_full_year``).
    """
    participants = event.participants
    subset = population.loc[
        population["gemeente_code"].isin(participants)
        & (population["year"] <= event.last_full_year),
        ["gemeente_code", "year", "population"],
    ]
    wide = subset.pivot_table(
        index="year", columns="gemeente_code", values="population", aggfunc="sum"
    )
    wide = wide.reindex(columns=list(participants))
    wide = wide.loc[wide.notna().all(axis=1) & (wide.sum(axis=1) > 0)]
    if wide.empty:
        raise SourceNotAvailableError(
            f"Cannot apportion {event.new_code} to {', '.join(participants)} (merger of "
            f"{event.date.isoformat()}): the population data have no year up to "
            f"{event.last_full_year} with a population for each of them. Use population data on "
            "each year's own boundaries that cover the years before the merger."
        )
    shares = wide.div(wide.sum(axis=1), axis=0)
    long = shares.reset_index().melt(id_vars="year", var_name="gemeente_code", value_name="share")
    return long


def _share_year_lookup(share_years: np.ndarray, years: np.ndarray) -> np.ndarray:
    """For each data year, the nearest share year at or before it (or the first one)."""
    share_years = np.sort(share_years)
    position = np.searchsorted(share_years, years, side="right") - 1
    position = np.clip(position, 0, len(share_years) - 1)
    return share_years[position]


def _apply_forward(frame: pd.DataFrame, event: MergerEvent, mask: pd.Series) -> pd.DataFrame:
    rows = mask & frame["gemeente_code"].isin(event.old_codes)
    if rows.any():
        frame = frame.copy()
        frame.loc[rows, "gemeente_code"] = event.new_code
    return frame


def _apply_backward(
    frame: pd.DataFrame,
    event: MergerEvent,
    mask: pd.Series,
    population: pd.DataFrame,
    key_columns: list[str],
    value_columns: list[str],
) -> pd.DataFrame:
    codes = {event.new_code, *event.old_codes}
    rows = mask & frame["gemeente_code"].isin(codes)
    if not rows.any():
        return frame
    affected = frame.loc[rows]
    other_keys = [column for column in key_columns if column != "gemeente_code"]
    totals = affected.groupby(other_keys, as_index=False, dropna=False, sort=False)[
        value_columns
    ].sum(min_count=1)
    shares = _event_shares(population, event)
    totals["_share_year"] = _share_year_lookup(
        shares["year"].unique(), totals["year"].to_numpy(dtype=np.int64)
    )
    shares = shares.rename(columns={"year": "_share_year"})
    split = totals.merge(shares, on="_share_year", how="inner")
    for column in value_columns:
        split[column] = split[column].astype(float) * split["share"]
    split = split[key_columns + value_columns]
    return pd.concat([frame.loc[~rows], split], ignore_index=True)


def _boundary_dates(frame: pd.DataFrame, from_year: int | None, end_of_year: bool) -> pd.Series:
    """The date whose boundaries each row is on: ``from_year``'s 1 January, or (own boundaries)
    the first or last day of the row's own year."""
    if from_year is not None:
        return pd.Series(pd.Timestamp(int(from_year), 1, 1), index=frame.index)
    years = frame["year"].astype("int64")
    return pd.to_datetime(
        {"year": years, "month": 12 if end_of_year else 1, "day": 31 if end_of_year else 1}
    )


def _harmonise(
    frame: pd.DataFrame,
    population: pd.DataFrame,
    value_columns: Sequence[str],
    from_year: int | None,
    to_year: int,
) -> pd.DataFrame:
    """Bring ``frame`` from ``from_year`` boundaries (None: each row's own year) to ``to_year``."""
    value_columns = list(value_columns)
    for column in ["gemeente_code", "year", *value_columns]:
        if column not in frame.columns:
            raise DataValidationError("frame to harmonise", column, None, "column is missing")
    key_columns = [column for column in frame.columns if column not in value_columns]
    target = pd.Timestamp(int(to_year), 1, 1)

    result = frame
    # Own boundaries: a year's figures cover the whole year, so an event during the year makes them
    # a mix of before and after. Forward, a year counts as "before" from its first day; backward, as
    # "after" up to its last day (its parts are then added up before they are split).
    start_dates = _boundary_dates(result, from_year, end_of_year=False)
    for event in merger_events():
        when = pd.Timestamp(event.date)
        forward = (start_dates < when) & (when <= target)
        if forward.any():
            result = _apply_forward(result, event, forward)
    if result is not frame:
        summed = result.groupby(key_columns, dropna=False, sort=False)[value_columns].sum(
            min_count=1
        )
        # a successor's figure is missing when a predecessor's is (withheld): never a partial sum
        missing = result[value_columns].isna().assign(**{k: result[k] for k in key_columns})
        missing = missing.groupby(key_columns, dropna=False, sort=False)[value_columns].any()
        result = summed.mask(missing).reset_index()

    for event in reversed(merger_events()):
        when = pd.Timestamp(event.date)
        end_dates = _boundary_dates(result, from_year, end_of_year=True)
        backward = (target < when) & (when <= end_dates)
        if backward.any():
            result = _apply_backward(
                result, event, backward, population, key_columns, value_columns
            )
    return result.reset_index(drop=True)


def harmonise_population(
    population: pd.DataFrame, to_year: int, from_year: int | None = None
) -> pd.DataFrame:
    """Bring population figures to the municipal boundaries of ``to_year``.

    Parameters
    ----------
    population : pandas.DataFrame
        ``gemeente_code, year, population``; on each year's own boundaries (``from_year=None``, as CBS
        70072ned publishes them) or on the boundaries of ``from_year``.
    to_year : int
        Target boundary year (boundaries on 1 January of that year).
    from_year : int or None, default None
        Boundary year of the input; ``None`` means each year's own boundaries.

    Returns
    -------
    pandas.DataFrame
        ``gemeente_code, year, population`` on the boundaries of ``to_year``. Summed values stay whole;
        apportioned values are floats (population share times the successor's population).

    Notes
    -----
    Method: for a merger after the data's boundaries and on or before ``to_year``, the predecessors
    are summed (Gooise Meren 2012-2015 = Bussum + Muiden + Naarden). For a merger after ``to_year``
    the successor is split by the predecessors' population shares; from the merger year on the shares
    are frozen at the last full year before it. A year in which a municipality was annexed during the
    year (Weesp, March 2022) holds partial-year figures for both parts: they are added up first and
    then split, so Weesp's 2022 population on 2017 boundaries is its 2021 share of the combined
    figure, not CBS's partial-year 10,383. The shares come from the input itself, which must then be
    on each year's own boundaries. This is an approximation for the apportioned municipalities only.
    """
    frame = population[["gemeente_code", "year", "population"]]
    return _harmonise(frame, population, ["population"], from_year, to_year)


def harmonise_counts(
    counts: pd.DataFrame,
    population: pd.DataFrame,
    from_year: int | None,
    to_year: int,
    value_columns: Sequence[str] = ("registered_offences",),
) -> pd.DataFrame:
    """Bring counts (offences, cleared offences, ...) to the municipal boundaries of ``to_year``.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``gemeente_code``, ``year``, the ``value_columns`` and any further key columns (such as
        ``offence_code``) that are kept as they are.
    population : pandas.DataFrame
        ``gemeente_code, year, population`` on each year's own boundaries: the weights for apportioning.
    from_year : int or None
        Boundary year of ``counts`` (2024 for the shared CBS extract; CBS recodes every year of
        47018NED to its newest boundaries). ``None``: each year's own boundaries.
    to_year : int
        Target boundary year.
    value_columns : sequence of str, default ("registered_offences",)
        Columns to sum or apportion; all other columns except ``gemeente_code`` are keys.

    Returns
    -------
    pandas.DataFrame
        The same columns on the boundaries of ``to_year``. Apportioned values are floats; round only
        after aggregating.

    Notes
    -----
    Summing predecessors is exact. Apportioning a successor's count to a predecessor (Vianen out of
    Vijfheerenlanden GM1961, Weesp out of Amsterdam GM0363 for 2017 boundaries) uses the
    predecessors' population share of the same year, frozen at the last full year before the merger
    for later years (2018 for Vianen, 2021 for Weesp). It assumes offences are spread like inhabitants,
    which is an approximation. Missing values (not published) stay missing. ``GM0000`` passes through.
    """
    frame = counts.copy()
    return _harmonise(frame, population, value_columns, from_year, to_year)


# ----------------------------------------------------------------------------------------------
# Aggregation
# ----------------------------------------------------------------------------------------------


def _area_of_code(level: str, year: int) -> pd.Series:
    composition = municipalities(year).set_index("gemeente_code")
    if level == "gemeente":
        return composition["gemeente_name"]
    if level == "district":
        return composition["district"]
    return pd.Series(REGION_NAME, index=composition.index)


def aggregate(
    frame: pd.DataFrame,
    level: str,
    year: int = 2017,
    value_columns: Sequence[str] = ("registered_offences",),
) -> pd.DataFrame:
    """Sum municipal figures to areas of one level in the composition of ``year``.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``gemeente_code``, ``year``, ``value_columns`` and optional further keys (``offence_code``),
        on the boundaries of ``year`` (see :func:`harmonise_counts`).
    level : {"region", "district", "gemeente"}
    year : int, default 2017
        Composition year.
    value_columns : sequence of str, default ("registered_offences",)

    Returns
    -------
    pandas.DataFrame
        ``area``, ``year``, any further keys, then ``value_columns``; ordered as :func:`areas` and then
        by year. An area total is missing (NaN) when any of its municipalities is missing, so an
        unpublished figure never turns into a too-low sum.

    Notes
    -----
    Codes outside the composition (other municipalities, ``GM0000``) are left out.
    """
    _check_level(level)
    value_columns = list(value_columns)
    area_of_code = _area_of_code(level, year)
    extra_keys = [
        column
        for column in frame.columns
        if column not in value_columns and column not in ("gemeente_code", "gemeente_name", "year")
    ]
    inside = frame.loc[frame["gemeente_code"].isin(area_of_code.index)].copy()
    inside["area"] = inside["gemeente_code"].map(area_of_code)
    keys = ["area", "year", *extra_keys]
    result = inside.groupby(keys, as_index=False, sort=False)[value_columns].sum(skipna=False)
    order = {name: i for i, name in enumerate(areas(level, year))}
    result["_order"] = result["area"].map(order)
    result = result.sort_values(["_order", "year", *extra_keys]).drop(columns="_order")
    return result.reset_index(drop=True)


def _area_list(areas, boundaries: int) -> list[Area]:
    if isinstance(areas, (str, Area)):
        areas = [areas]
    resolved = [as_area(area, boundaries) for area in areas]
    if not resolved:
        raise RvsError("No areas given: pass an area or a list of areas.")
    names = [area.name for area in resolved]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise RvsError(
            f"Two areas are named {', '.join(map(repr, duplicated))}: give each area its own name."
        )
    return resolved


def sum_areas(
    frame: pd.DataFrame, areas, value_column: str, boundaries: int = 2017, what: str = "The data"
) -> pd.DataFrame:
    """Sum municipal figures to any areas (region, district, rest-of, the Netherlands, custom).

    Parameters
    ----------
    frame : pandas.DataFrame
        ``gemeente_code, year, <value_column>`` on the boundaries of ``boundaries`` (after
        :func:`harmonise_counts` or :func:`harmonise_population`).
    areas : str, Area or sequence of them
        See :func:`as_area`.
    value_column : str
    boundaries : int, default 2017
    what : str, default "The data"
        What ``frame`` is, for error messages.

    Returns
    -------
    pandas.DataFrame
        ``area, year, <value_column>``; areas in the order given, years ascending. A year's total
        is missing (NaN) when one of the area's municipalities has no figure or a missing figure
        for that year, so an unpublished figure never turns into a too-low sum. For a
        ``whole_country`` area a year's total is the sum over the municipalities the data has for
        that year (the country's municipalities differ from year to year on own boundaries).

    Raises
    ------
    SourceNotAvailableError
        When a code of an area appears in no year of ``frame``.
    """
    resolved = _area_list(areas, boundaries)
    frame = frame.loc[frame["gemeente_code"] != NOT_ATTRIBUTABLE_CODE]
    present = set(frame["gemeente_code"])
    years = sorted(int(year) for year in frame["year"].unique())
    parts = []
    for area in resolved:
        codes = area.member_codes(present)
        absent = [code for code in codes if code not in present]
        if absent:
            raise SourceNotAvailableError(
                f"{what} has no {value_column} for {', '.join(absent)} of the area "
                f"{area.name!r} on the boundaries of {boundaries}. Check the codes against "
                f"municipalities({boundaries}) or the source's municipalities."
            )
        part = frame.loc[
            frame["gemeente_code"].isin(codes), ["gemeente_code", "year", value_column]
        ]
        values = part[value_column].astype(float)
        if area.whole_country:
            totals = values.groupby(part["year"]).sum(min_count=1)
            totals[values.isna().groupby(part["year"]).any()] = np.nan
        else:
            # min_count=1: a withheld (missing) figure stays missing; pivot_table's sum made it 0
            wide = (
                part.assign(**{value_column: values})
                .groupby(["year", "gemeente_code"])[value_column]
                .sum(min_count=1)
                .unstack("gemeente_code")
                .reindex(index=years, columns=codes)
            )
            totals = wide.sum(axis=1, skipna=False)
        totals = totals.reindex(years)
        parts.append(
            pd.DataFrame({"area": area.name, "year": years, value_column: totals.to_numpy()})
        )
    return pd.concat(parts, ignore_index=True)


def area_table(
    dataset,
    offence_code: str,
    level: str | None = None,
    boundaries: int = 2017,
    years=None,
    rate: bool = False,
    *,
    areas=None,
    scope: str = "region",
) -> pd.DataFrame:
    """Registered offences per area and year, on one year's boundaries and composition.

    Parameters
    ----------
    dataset : rvs_analysis.sources.base.Dataset
    offence_code : str
        CBS SoortMisdrijf key, such as ``"1.1.1"`` (residential burglary).
    level : {"region", "district", "gemeente"} or None
        Every area of one level of the region. Give either ``level`` or ``areas``.
    boundaries : int, default 2017
        Composition and municipal boundaries (2017: the 39 municipalities of the source document).
    years : str, int, tuple, range, iterable of int or None
        See :func:`rvs_analysis.years.year_list`: ``"2015-2016"`` or ``(2015, 2016)`` is a range, ``[2019, 2024]``
        exactly those two years, ``None`` every year of the offence's counts.
    rate : bool, default False
        Add ``population`` and ``rate_per_1000`` (registered offences per 1,000 inhabitants). Its
        interval is a statistic, added by :func:`rvs_analysis.stats.trends.add_rate_interval`.
    areas : str, Area or sequence of them, optional
        Any areas instead of a level: ``"Stad Utrecht"``, ``rest_of("Stad Utrecht")``,
        ``"Nederland"``, ``custom_area(...)`` (see :func:`as_area`).
    scope : {"region", "nederland"}, default "region"
        ``"nederland"``: every Dutch municipality, harmonised with the national table
        (:func:`rvs_analysis.national.area_table`): ``level="gemeente"`` lists every
        municipality of ``boundaries`` (342 on 2024's), ``"region"`` gives the Netherlands, and
        ``areas`` may be any areas of Dutch municipalities (:func:`municipality`,
        :func:`police_unit_areas`). ``level="police-unit"`` (the ten police units) is national
        in either scope.

    Returns
    -------
    pandas.DataFrame
        ``area, year, registered_offences, estimated_from_successor`` (+ ``population,
        rate_per_1000``). Counts are rounded to whole numbers after aggregation (apportioned
        municipalities give fractions); missing figures stay missing (nullable integers).
        ``estimated_from_successor`` is True where every municipality of the area is apportioned
        out of a successor that year (:func:`apportioned`): such a count is an estimate.

    Raises
    ------
    SourceNotAvailableError
        When the offence code is not in the dataset, or any requested year is not (years outside
        the data raise; they are never clipped), or an area's municipality is missing.
    IncompleteDataError
        When a municipality of an area (other than the whole country) lacks crime rows, or with
        ``rate`` a positive population, for a requested year
        (:func:`rvs_analysis.completeness.check_complete`).

    Notes
    -----
    Counts are harmonised from ``dataset.crime_boundary_year`` and populations from
    ``dataset.population_boundary_year`` to ``boundaries`` (:func:`harmonise_counts`,
    :func:`harmonise_population`); the rate uses the harmonised population of the same year, so
    numerator and denominator cover the same territory. ``GM0000`` is never part of an area.
    Because every area is a sum of harmonised municipalities, a rest-of area equals its outer
    area minus the inner one on every row, and the Netherlands equals the sum of all
    municipalities.

    Examples
    --------
    >>> from rvs_analysis.sources import load_source
    >>> table = area_table(load_source("demo"), "1.1.1", areas=["Stad Utrecht", rest_of("Stad Utrecht")], years=[2012, 2016])
    >>> table[["area", "year"]].to_records(index=False).tolist()
    [('Stad Utrecht', 2012), ('Stad Utrecht', 2016), ('Midden-Nederland zonder Stad Utrecht', 2012), ('Midden-Nederland zonder Stad Utrecht', 2016)]
    """
    if (level is None) == (areas is None):
        raise RvsError(
            "area_table needs either a level ('region', 'district', 'gemeente') or areas "
            "(areas=['Stad Utrecht', rest_of('Stad Utrecht')]), not both."
        )
    if scope not in SCOPES:
        raise RvsError(f"Unknown scope {scope!r}: use one of {', '.join(SCOPES)}.")
    if scope == "nederland" or level == "police-unit":
        return _national_area_table(dataset, offence_code, level, boundaries, years, rate, areas)
    if level is not None:
        _check_level(level)
    boundaries = int(boundaries)
    if not FIRST_BOUNDARY_YEAR <= boundaries <= dt.date.today().year + 1:
        raise SourceNotAvailableError(
            f"No composition for boundaries {boundaries}: the region and merger tables in "
            f"data/regions cover {FIRST_BOUNDARY_YEAR} to now. Use for example --boundaries 2017 "
            "(the 39 municipalities of the source document)."
        )
    area_values = None if areas is None else _area_list(areas, boundaries)
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
    chosen_years = select_years(years, selected["year"].unique(), what)
    selected = selected.loc[selected["year"].isin(chosen_years)]
    if area_values is None:
        in_use = set(municipalities(boundaries)["gemeente_code"])
    else:
        in_use = {code for area in area_values if not area.whole_country for code in area.codes}
    check_complete(
        dataset, in_use, boundaries, chosen_years, ("crime", "population") if rate else ("crime",)
    )
    counts = selected.loc[
        selected["gemeente_code"] != NOT_ATTRIBUTABLE_CODE,
        ["gemeente_code", "year", "registered_offences"],
    ]
    harmonised = harmonise_counts(
        counts, dataset.population, dataset.crime_boundary_year, boundaries
    )
    if area_values is None:
        table = aggregate(harmonised, level, boundaries, ["registered_offences"])
    else:
        table = sum_areas(harmonised, area_values, "registered_offences", boundaries, what)
    table["registered_offences"] = table["registered_offences"].round().astype("Int64")
    table["estimated_from_successor"] = _estimated_areas(
        harmonised, dataset.crime_boundary_year, boundaries, level, area_values, table
    )
    if rate:
        population = harmonise_population(
            dataset.population, boundaries, dataset.population_boundary_year
        )
        population = population.loc[population["year"].isin(chosen_years)]
        if area_values is None:
            population = aggregate(population, level, boundaries, ["population"])
        else:
            population = sum_areas(
                population,
                area_values,
                "population",
                boundaries,
                f"Source {dataset.source!r} (population)",
            )
        population["population"] = population["population"].round().astype("Int64")
        table = table.merge(population, on=["area", "year"], how="left")
        table["rate_per_1000"] = (
            table["registered_offences"].astype("Float64")
            / table["population"].astype("Float64")
            * 1000
        )
    return table.reset_index(drop=True)


def _national_area_table(dataset, offence_code, level, boundaries, years, rate, areas):
    """:func:`area_table` for the whole country (scope "nederland" or police units)."""
    if level == "district":
        raise RvsError(
            "Districts are the region's: use --scope region for --level district, or --level "
            "gemeente, police-unit or region (the Netherlands) with --scope nederland."
        )
    if areas is not None:
        boundaries = int(boundaries)
        areas = [
            area if isinstance(area, Area) else _national_area(area, boundaries)
            for area in ([areas] if isinstance(areas, (str, Area)) else list(areas))
        ]
    national_level = {"region": "country"}.get(level, level)
    return national.area_table(
        dataset, offence_code, national_level, boundaries, years, rate, areas=areas
    )


def _national_area(name: str, boundaries: int) -> Area:
    """A name as a national area: the Netherlands or any Dutch municipality."""
    if _normalise_name(name) in {_normalise_name(alias) for alias in _NETHERLANDS_ALIASES}:
        return netherlands(boundaries)
    return municipality(name, boundaries)


def _estimated_areas(harmonised, from_year, boundaries, level, area_values, table) -> pd.Series:
    """Per row of ``table``: True when all of the area's municipalities are apportioned."""
    split = apportioned(harmonised["year"].unique(), from_year, boundaries)
    keys = set(zip(split["gemeente_code"], split["year"], strict=True))
    members = harmonised[["gemeente_code", "year"]].drop_duplicates().assign(_member=1.0)
    pairs = zip(members["gemeente_code"], members["year"].astype(int), strict=True)
    members["_estimated"] = [float(pair in keys) for pair in pairs]
    if area_values is None:
        summed = aggregate(members, level, boundaries, ["_member", "_estimated"])
    else:
        summed = sum_areas(members, area_values, "_member", boundaries).merge(
            sum_areas(members, area_values, "_estimated", boundaries), on=["area", "year"]
        )
    flags = summed.assign(
        flag=(summed["_estimated"] > 0) & (summed["_estimated"] == summed["_member"])
    )
    merged = table[["area", "year"]].merge(flags[["area", "year", "flag"]], how="left")
    return merged["flag"].fillna(False).astype(bool).to_numpy()
