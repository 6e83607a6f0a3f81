"""The region tables of ``data/regions``: read, checked and kept once per process.

``municipalities.csv`` (every municipality that is or was part of the region from 2011 on, with
its district and validity dates), ``mergers.csv`` (mergers and annexations touching the region)
and ``national_changes.csv`` (every change to the Dutch municipal map from 2012 on that ends or
creates a code), each row with its source. A table that is missing, lacks a column or holds a bad
code, kind, share, district or date raises :class:`~rvs_analysis.exceptions.DataValidationError` naming the file,
the column and the row. :mod:`rvs_analysis.regions` builds compositions, areas and the
harmonisation on them and re-exports what it reads with. The tables and merger events are public
names (:func:`municipality_table`, :func:`merger_table`, :func:`national_table`,
:func:`merger_events`, :func:`national_events`, :func:`read_region_table`, :data:`GM_CODE`) because
:mod:`rvs_analysis.regions`, :mod:`rvs_analysis.national` and :mod:`rvs_analysis.completeness` read
them; a module never imports another module's underscored name (``tests/test_layers.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from rvs_analysis.exceptions import DataValidationError, SourceNotAvailableError
from rvs_analysis.resources import data_path

DISTRICTS: tuple[str, ...] = (
    "Flevoland",
    "Gooi en Vechtstreek",
    "Stad Utrecht",
    "West-Utrecht",
    "Oost-Utrecht",
)
"""The five districts of the police unit Midden-Nederland, in the source document's order."""

REGIONS_DIR = data_path("regions")
"""Folder of the region tables (``municipalities.csv``, ``mergers.csv``, ``pilots.csv``): the
repository's ``data/regions`` in a checkout, the installed package's copy otherwise
(:mod:`rvs_analysis.resources`)."""

_MERGER_KINDS = {"merger", "annexation"}
GM_CODE = re.compile(r"^GM\d{4}$")


def read_region_table(name: str, required: Sequence[str]) -> pd.DataFrame:
    """Read one table of ``data/regions`` as text, stripped, with its required columns checked.

    Parameters
    ----------
    name : str
        The file name in :data:`REGIONS_DIR` (``municipalities.csv``).
    required : sequence of str
        Columns the table must have.

    Returns
    -------
    pandas.DataFrame
        Every column as text (empty cells as ``""``), surrounding spaces stripped.

    Raises
    ------
    SourceNotAvailableError
        When the file is missing (a broken installation).
    DataValidationError
        Naming the file and the first required column that is missing.
    """
    path = REGIONS_DIR / name
    if not path.exists():
        raise SourceNotAvailableError(
            f"The region table {path} is missing; it is part of the product (data/regions/ in "
            "the repository, included in the installed package). Reinstall rvs_analysis."
        )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in required:
        if column not in frame.columns:
            raise DataValidationError(path, column, None, "required column is missing")
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    return frame


def _parse_date(path: Path, column: str, row: int, text: str) -> dt.date | None:
    if text == "":
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DataValidationError(path, column, row, "not a date (YYYY-MM-DD)", text) from None


@lru_cache(maxsize=1)
def municipality_table() -> pd.DataFrame:
    """The region's municipalities from ``data/regions/municipalities.csv``, read and checked once.

    Returns
    -------
    pandas.DataFrame
        ``gemeente_code``, ``gemeente_name``, ``district``, ``valid_from`` and ``valid_to``
        (``datetime.date`` or ``None``) and ``source``; the cached frame itself, not to be changed.

    Raises
    ------
    DataValidationError
        Naming the file, the column and the row of a bad code, district, date or source, or of a
        repeated code.
    """
    columns = ["gemeente_code", "gemeente_name", "district", "valid_from", "valid_to", "source"]
    frame = read_region_table("municipalities.csv", columns)
    path = REGIONS_DIR / "municipalities.csv"
    for position, record in enumerate(frame.itertuples(index=False), start=1):
        if not GM_CODE.match(record.gemeente_code):
            raise DataValidationError(
                path, "gemeente_code", position, "not a GM code", record.gemeente_code
            )
        if record.district not in DISTRICTS:
            raise DataValidationError(
                path, "district", position, "unknown district", record.district
            )
        if record.source == "":
            raise DataValidationError(path, "source", position, "every row needs a source")
    frame["valid_from"] = [
        _parse_date(path, "valid_from", i, text) for i, text in enumerate(frame["valid_from"], 1)
    ]
    frame["valid_to"] = [
        _parse_date(path, "valid_to", i, text) for i, text in enumerate(frame["valid_to"], 1)
    ]
    refuse_duplicate_codes(frame, path)
    return frame


@lru_cache(maxsize=1)
def merger_table() -> pd.DataFrame:
    """The mergers and annexations touching the region from ``data/regions/mergers.csv``,
    read and checked once.

    Returns
    -------
    pandas.DataFrame
        ``date`` (``datetime.date``), ``old_code``, ``old_name``, ``new_code``, ``new_name``,
        ``kind`` and ``source``; the cached frame itself (:func:`mergers` gives a copy).

    Raises
    ------
    DataValidationError
        Naming the file, the column and the row of a bad code, kind, date or source.
    """
    columns = ["date", "old_code", "old_name", "new_code", "new_name", "kind", "source"]
    frame = read_region_table("mergers.csv", columns)
    path = REGIONS_DIR / "mergers.csv"
    for position, record in enumerate(frame.itertuples(index=False), start=1):
        for column in ("old_code", "new_code"):
            if not GM_CODE.match(getattr(record, column)):
                raise DataValidationError(
                    path, column, position, "not a GM code", getattr(record, column)
                )
        if record.kind not in _MERGER_KINDS:
            raise DataValidationError(
                path, "kind", position, f"kind must be one of {sorted(_MERGER_KINDS)}", record.kind
            )
        if record.source == "":
            raise DataValidationError(path, "source", position, "every row needs a source")
    frame["date"] = [_parse_date(path, "date", i, text) for i, text in enumerate(frame["date"], 1)]
    return frame


def refuse_duplicate_codes(frame: pd.DataFrame, path) -> None:
    """Raise :class:`DataValidationError` naming the first row whose ``gemeente_code`` repeats.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with a ``gemeente_code`` column.
    path : str or pathlib.Path
        The file the table was read from, for the message.
    """
    duplicated = frame["gemeente_code"].duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0]) + 1
        raise DataValidationError(
            path, "gemeente_code", row, "duplicate code", frame["gemeente_code"].iloc[row - 1]
        )


@dataclass(frozen=True)
class MergerEvent:
    """One merger or annexation: the old codes that went into ``new_code`` on ``date``."""

    date: dt.date
    new_code: str
    old_codes: tuple[str, ...]
    successor_existed: bool

    @property
    def participants(self) -> tuple[str, ...]:
        """Codes that existed just before the event and together cover the successor's territory."""
        if self.successor_existed:
            return (self.new_code, *self.old_codes)
        return self.old_codes

    @property
    def last_full_year(self) -> int:
        """Last calendar year entirely before the event: shares are frozen at this year."""
        return self.date.year - 1


@lru_cache(maxsize=1)
def merger_events() -> tuple[MergerEvent, ...]:
    """The region's mergers and annexations as events, in date order.

    Returns
    -------
    tuple of MergerEvent
        One event per date and successor code: the old codes that went into it, and whether the
        successor existed before (an annexation).
    """
    table = merger_table()
    events = []
    for (date, new_code), group in table.groupby(["date", "new_code"], sort=True):
        events.append(
            MergerEvent(
                date=date,
                new_code=new_code,
                old_codes=tuple(group["old_code"]),
                successor_existed=bool((group["kind"] == "annexation").any()),
            )
        )
    return tuple(sorted(events, key=lambda event: event.date))


@lru_cache(maxsize=1)
def national_events() -> tuple[MergerEvent, ...]:
    """:func:`merger_events` over the national municipal history (``national_changes.csv``).

    Mergers, annexations, renames and splits: a split successor that existed before keeps its code,
    like an annexation; one formed that day is new.

    Returns
    -------
    tuple of MergerEvent
        One event per date and successor code, in date order.
    """
    table = national_table()
    events = []
    for date, day in table.groupby("date", sort=True):
        created = set(day.loc[day["kind"].isin(["merger", "rename"]), "new_code"])
        for new_code, group in day.groupby("new_code", sort=True):
            events.append(
                MergerEvent(
                    date=date,
                    new_code=new_code,
                    old_codes=tuple(group["old_code"]),
                    successor_existed=new_code not in created,
                )
            )
    return tuple(sorted(events, key=lambda event: event.date))


def known_codes() -> frozenset[str]:
    """Every GM code the region and merger tables know (present and former municipalities).

    Returns
    -------
    frozenset of str
        Codes from ``municipalities.csv`` and both code columns of ``mergers.csv``.
    """
    municipalities_table = municipality_table()
    mergers = merger_table()
    return (
        frozenset(municipalities_table["gemeente_code"])
        | frozenset(mergers["old_code"])
        | frozenset(mergers["new_code"])
    )


def mergers() -> pd.DataFrame:
    """The merger table as read from ``data/regions/mergers.csv`` (``date`` as ``datetime.date``).

    Returns
    -------
    pandas.DataFrame
        ``date``, ``old_code``, ``old_name``, ``new_code``, ``new_name``, ``kind`` (``merger`` or
        ``annexation``) and ``source``; a copy, so the caller may change it.
    """
    return merger_table().copy()


# ----------------------------------------------------------------------------------------------
# The national table: every change to the Dutch municipal map from 2012 on
# ----------------------------------------------------------------------------------------------

NATIONAL_KINDS: tuple[str, ...] = ("merger", "annexation", "split", "rename")
"""Kinds of rows in ``national_changes.csv``: ``merger`` (the old municipality goes wholly into a
successor with a new code), ``annexation`` (it goes wholly into a successor that keeps its code),
``split`` (it is dissolved and divided over several successors, each row with the share of its
inhabitants that went there) and ``rename`` (a new code for the same territory)."""

_SHARE_TOLERANCE = 0.0015


@lru_cache(maxsize=1)
def national_table() -> pd.DataFrame:
    """Every change to the Dutch municipal map from 2012 on, from
    ``data/regions/national_changes.csv``, read and checked once.

    Returns
    -------
    pandas.DataFrame
        ``date`` (``datetime.date``), ``old_code``, ``old_name``, ``new_code``, ``new_name``,
        ``kind`` (one of :data:`NATIONAL_KINDS`), ``population_share`` (a number for splits) and
        ``source``; the cached frame itself (:func:`national_changes` gives a copy).

    Raises
    ------
    DataValidationError
        Naming the file, the column and the row of a bad code, kind, share, date or source, or of
        split shares that do not add up to one.
    """
    columns = [
        "date",
        "old_code",
        "old_name",
        "new_code",
        "new_name",
        "kind",
        "population_share",
        "source",
    ]
    name = "national_changes.csv"
    frame = read_region_table(name, columns)
    path = REGIONS_DIR / name
    shares = []
    for position, record in enumerate(frame.itertuples(index=False), start=1):
        for column in ("old_code", "new_code"):
            if not GM_CODE.match(getattr(record, column)):
                raise DataValidationError(
                    path, column, position, "not a GM code", getattr(record, column)
                )
        for column in ("old_name", "new_name", "source"):
            if getattr(record, column) == "":
                raise DataValidationError(path, column, position, "every row needs a value")
        if record.kind not in NATIONAL_KINDS:
            raise DataValidationError(
                path, "kind", position, f"kind must be one of {list(NATIONAL_KINDS)}", record.kind
            )
        if record.old_code == record.new_code:
            raise DataValidationError(
                path, "new_code", position, "a municipality cannot go into itself", record.new_code
            )
        text = record.population_share
        if record.kind == "split":
            try:
                share = float(text)
            except ValueError:
                share = float("nan")
            if not 0 < share < 1:
                raise DataValidationError(
                    path,
                    "population_share",
                    position,
                    "a split row needs the share of inhabitants that went to this successor "
                    "(a number between 0 and 1)",
                    text,
                )
            shares.append(share)
        else:
            if text != "":
                raise DataValidationError(
                    path,
                    "population_share",
                    position,
                    f"only split rows carry a share (a {record.kind} moves all inhabitants)",
                    text,
                )
            shares.append(1.0)
    frame["population_share"] = shares
    frame["date"] = [_parse_date(path, "date", i, text) for i, text in enumerate(frame["date"], 1)]
    whole = frame.loc[frame["kind"] != "split"]
    twice = whole["old_code"].duplicated(keep=False) | whole["old_code"].isin(
        frame.loc[frame["kind"] == "split", "old_code"]
    )
    if twice.any():
        row = int(whole.index[twice.to_numpy()][0]) + 1
        raise DataValidationError(
            path,
            "old_code",
            row,
            "a municipality that goes wholly into a successor ends once: it has another row",
            whole["old_code"].loc[twice].iloc[0],
        )
    for code, group in frame.loc[frame["kind"] == "split"].groupby("old_code"):
        total = float(group["population_share"].sum())
        if abs(total - 1.0) > _SHARE_TOLERANCE or group["date"].nunique() != 1:
            row = int(group.index[0]) + 1
            raise DataValidationError(
                path,
                "population_share",
                row,
                f"the split of {code} must be on one date with shares adding up to 1 "
                f"(they add up to {total:.4f})",
            )
    return frame


def national_changes() -> pd.DataFrame:
    """Every change to the Dutch municipal map from 2012 on, from ``data/regions/national_changes.csv``.

    Returns
    -------
    pandas.DataFrame
        ``date`` (``datetime.date``), ``old_code, old_name, new_code, new_name, kind`` (see
        :data:`NATIONAL_KINDS`), ``population_share`` (float; 1 for every kind but ``split``) and
        ``source``. One row per old municipality and successor.

    Notes
    -----
    The table lists the changes that end or create a CBS municipality code (mergers, annexations,
    splits, renames with a new code). Boundary corrections between municipalities that both go
    on (grenscorrecties, by law below 10% of either's inhabitants) are not listed: harmonisation
    treats such municipalities as unchanged.
    """
    return national_table().copy()


@lru_cache(maxsize=1)
def _changed_code_years() -> frozenset[tuple[str, int]]:
    rows = [merger_table()[["date", "old_code", "new_code"]]]
    rows.append(national_table()[["date", "old_code", "new_code"]])
    return frozenset(
        (code, year)
        for record in pd.concat(rows, ignore_index=True).itertuples(index=False)
        for code in (record.old_code, record.new_code)
        for year in (record.date.year, record.date.year + 1)
    )


def changed_code_years() -> frozenset[tuple[str, int]]:
    """``(gemeente_code, year)`` pairs in which a change to the municipal map may move a figure.

    Returns
    -------
    frozenset of tuple
        For every row of ``mergers.csv`` and ``national_changes.csv`` dated in year ``Y``: the old
        and the new code, each with ``Y`` and ``Y + 1`` (on each year's own boundaries a change
        on 1 January of ``Y`` moves the figures of ``Y``; one during ``Y`` also those of
        ``Y + 1``).
    """
    return _changed_code_years()
