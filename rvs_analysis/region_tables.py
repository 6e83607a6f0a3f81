"""The region tables of ``data/regions``: read, checked and kept once per process.

``municipalities.csv`` (every municipality that is or was part of the region from 2011 on, with
its district and validity dates) and ``mergers.csv`` (mergers and annexations touching the
region), each row with its source. A table that is missing, lacks a column or holds a bad code,
district or date raises :class:`~rvs_analysis.exceptions.DataValidationError` naming the file,
the column and the row. :mod:`rvs_analysis.regions` builds compositions, areas and the
harmonisation on them and re-exports what it reads with; the underscored names here are the
package's own (for :mod:`rvs_analysis.regions` and tests), not public interface.
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
_GM_CODE = re.compile(r"^GM\d{4}$")


def _read_table(name: str, required: Sequence[str]) -> pd.DataFrame:
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
def _municipality_table() -> pd.DataFrame:
    columns = ["gemeente_code", "gemeente_name", "district", "valid_from", "valid_to", "source"]
    frame = _read_table("municipalities.csv", columns)
    path = REGIONS_DIR / "municipalities.csv"
    for position, record in enumerate(frame.itertuples(index=False), start=1):
        if not _GM_CODE.match(record.gemeente_code):
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
    duplicated = frame["gemeente_code"].duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0]) + 1
        raise DataValidationError(
            path, "gemeente_code", row, "duplicate code", frame["gemeente_code"].iloc[row - 1]
        )
    return frame


@lru_cache(maxsize=1)
def _merger_table() -> pd.DataFrame:
    columns = ["date", "old_code", "old_name", "new_code", "new_name", "kind", "source"]
    frame = _read_table("mergers.csv", columns)
    path = REGIONS_DIR / "mergers.csv"
    for position, record in enumerate(frame.itertuples(index=False), start=1):
        for column in ("old_code", "new_code"):
            if not _GM_CODE.match(getattr(record, column)):
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


@dataclass(frozen=True)
class _Event:
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
def _events() -> tuple[_Event, ...]:
    table = _merger_table()
    events = []
    for (date, new_code), group in table.groupby(["date", "new_code"], sort=True):
        events.append(
            _Event(
                date=date,
                new_code=new_code,
                old_codes=tuple(group["old_code"]),
                successor_existed=bool((group["kind"] == "annexation").any()),
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
    municipalities_table = _municipality_table()
    mergers = _merger_table()
    return (
        frozenset(municipalities_table["gemeente_code"])
        | frozenset(mergers["old_code"])
        | frozenset(mergers["new_code"])
    )


def mergers() -> pd.DataFrame:
    """The merger table as read from ``data/regions/mergers.csv`` (``date`` as ``datetime.date``)."""
    return _merger_table().copy()
