"""The check every downloaded CBS table passes before ``rvs fetch`` swaps it into the cache.

A download that is empty, lacks the topics the suite reads, has keys of the wrong shape or more rows
than its filter can give would otherwise replace a good cache and fail (or worse, count wrongly) at
the next ``rvs table``. :func:`check_download` reads the staged folder exactly as the offline reader
does (:func:`rvs_analysis.sources.cbs.read_table`: the parts' shapes, ``Perioden.json``, keys in the
dimension lists, numbers where CBS types numbers), then checks what the fetch asked for (regions,
period kind, offence codes, one row per key) and finally runs the table's own reader
(:func:`rvs_analysis.sources.cbs.read_checked`). Any failure is a
:class:`~rvs_analysis.exceptions.DataValidationError` naming the table's file; the fetch turns it into
a refusal of that table.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from rvs_analysis import clean
from rvs_analysis.exceptions import DataValidationError, SourceNotAvailableError
from rvs_analysis.sources.cbs import read_checked
from rvs_analysis.sources.cbs_tables import TableSpec, read_table

__all__ = ["REGION_PATTERNS", "check_download", "data_years"]

REGION_PATTERNS = {
    "GM": r"GM\d{4}",
    "NL": r"NL\d{2}",
    "RE": r"RE\d{2}",
    "WK": r"WK\d{6}",
    "BU": r"BU\d{8}",
}
"""The shape of a region key of each prefix the fetch asks for (:attr:`TableSpec.regions`)."""

_KIND = {"JJ": "year", "MM": "month", "KW": "quarter"}


def check_download(folder, spec: TableSpec, offence_keys=None) -> dict:
    """Check one downloaded table in ``folder`` before it is swapped into the cache.

    Parameters
    ----------
    folder : str or pathlib.Path
        The staged table (cbsodata's layout).
    spec : TableSpec
        What the suite needs of the table.
    offence_keys : list of str, optional
        The offence keys the download asked for (``$filter``); ``None`` when it asked for all.

    Returns
    -------
    dict
        ``rows`` and ``years`` (first and last year of the data, or ``None``).

    Raises
    ------
    DataValidationError
        For the first problem: no rows, a part of the wrong shape, a topic the suite reads without
        a column or without a single value, a region key outside the requested prefixes, a period
        of another kind, an offence key not asked for, a key repeated (implausibly many rows), or
        whatever the table's reader refuses.
    """
    folder = Path(folder)
    try:
        table = read_table(folder, spec.key)
    except SourceNotAvailableError as error:
        missing = getattr(error, "path", None)
        if missing is None:
            raise
        raise DataValidationError(
            f"{folder.name}/{missing.name}", None, None, "the server did not send this part"
        ) from error
    shown = table.file("TypedDataSet.json")
    data = table.data
    if not spec.all_topics:
        found = table.topics(spec)
        for topic in spec.topics:
            key = found.get(topic.role)
            if topic.required and key and data[key].isna().all():
                raise DataValidationError(
                    shown, key, None, "the topic the suite reads has no value in any row"
                )
    geo = table.dimension_key("GeoDimension")
    pattern = "|".join(REGION_PATTERNS[prefix] for prefix in spec.regions)
    _refuse_unmatched(
        data[geo], rf"(?:{pattern})", shown, geo, "a region key of the kind asked for"
    )
    dimensions = [geo]
    years = None
    if spec.period:
        period = table.dimension_key("TimeDimension")
        parsed = clean.parse_periods(data[period], shown, period)
        other_kind = (parsed["period_kind"] != _KIND.get(spec.period, spec.period)).to_numpy()
        if other_kind.any():
            row = int(np.flatnonzero(other_kind)[0])
            raise DataValidationError(
                shown, period, row + 1, f"expected a period of the kind asked for ({spec.period})",
                data[period].iloc[row],
            )  # fmt: skip
        dimensions.append(period)
        years = [int(parsed["year"].min()), int(parsed["year"].max())]
    others = table.other_dimension_keys()
    if offence_keys is not None and others:
        wanted = {str(key).strip() for key in offence_keys}
        outside = ~data[others[0]].isin(wanted).to_numpy()
        if outside.any():
            row = int(np.flatnonzero(outside)[0])
            raise DataValidationError(
                shown, others[0], row + 1, "an offence key the fetch did not ask for",
                data[others[0]].iloc[row],
            )  # fmt: skip
    dimensions.extend(others)
    bound = math.prod(max(1, data[key].nunique()) for key in dimensions)
    repeated = data.duplicated(dimensions).to_numpy()
    if repeated.any() or len(data) > bound:
        row = int(np.flatnonzero(repeated)[0]) if repeated.any() else None
        raise DataValidationError(
            shown,
            ", ".join(dimensions),
            None if row is None else row + 1,
            f"implausibly many rows ({len(data)}): {int(repeated.sum())} repeat the keys of an "
            "earlier row (one row per key is what CBS publishes)",
        )
    read_checked(table)
    return {"rows": len(data), "years": years}


def _refuse_unmatched(values: pd.Series, pattern: str, shown: str, column: str, what: str):
    bad = ~values.astype(str).str.fullmatch(pattern).to_numpy(dtype=bool)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataValidationError(shown, column, row + 1, f"expected {what}", values.iloc[row])


def data_years(folder) -> int | None:
    """The boundary year of a cached or staged table.

    Parameters
    ----------
    folder : str or pathlib.Path
        The table's folder (cbsodata's layout).

    Returns
    -------
    int or None
        Its GeoDimension's ``MapYear``, else the last year of its period list; ``None`` when the
        folder does not say (no table, unreadable parts).
    """
    folder = Path(folder)
    try:
        table = read_table(folder)
    except (DataValidationError, OSError, ValueError, KeyError):
        return None
    geo = table.properties.loc[table.properties["Type"] == "GeoDimension"]
    if "MapYear" in geo.columns and len(geo):
        value = pd.to_numeric(geo["MapYear"], errors="coerce").iloc[0]
        if pd.notna(value):
            return int(value)
    try:
        period = table.dimension_key("TimeDimension")
    except DataValidationError:
        return None
    parsed = clean.parse_periods(table.data[period], table.file("TypedDataSet.json"), period)
    return int(parsed["year"].max()) if len(parsed) else None
