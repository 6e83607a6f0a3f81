"""The shape of the parts of a CBS table as cbsodata writes them, checked before anything reads them.

:func:`rvs_analysis.sources.cbs.read_table` calls these on every table of the cache (and so, through
:mod:`rvs_analysis.sources.cbs_check`, on every download before the swap); the fetch also checks the
server's DataProperties and dimension lists with them before it builds its request. Each refusal is a
:class:`~rvs_analysis.exceptions.DataValidationError` naming the file, the field and the row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rvs_analysis.exceptions import DataValidationError

__all__ = ["check_listing", "check_properties", "check_rows", "check_text", "check_topic_values"]


def json_kind(value) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), "a number"
    )


_NUMERIC_DATATYPES = frozenset({"Long", "Integer", "Short", "Double", "Float", "Decimal"})
"""CBS topic ``Datatype`` values whose TypedDataSet values are numbers (or ``null``)."""


def check_properties(records: list, shown: str) -> None:
    """Refuse DataProperties whose rows lack a text ``Key`` and ``Type`` or repeat a key.

    Parameters
    ----------
    records : list of dict
        DataProperties as read (already a list of records).
    shown : str
        The file named in the error.

    Raises
    ------
    DataValidationError
    """
    seen: set[str] = set()
    for position, row in enumerate(records, 1):
        for field in ("Key", "Type"):
            value = row.get(field)
            if not isinstance(value, str) or not value.strip():
                raise DataValidationError(
                    shown, field, position, f"expected text, found {json_kind(value)}"
                )
        for field in ("Title", "Datatype"):
            value = row.get(field)
            if value is not None and not isinstance(value, str):
                raise DataValidationError(
                    shown, field, position, f"expected text, found {json_kind(value)}"
                )
        if row["Key"] in seen:
            raise DataValidationError(shown, "Key", position, "key repeated", row["Key"])
        seen.add(row["Key"])


def check_listing(records: list, shown: str) -> None:
    """Refuse a dimension list whose rows lack a text ``Key`` or carry a non-text ``Title`` or
    ``Status`` (the status decides which periods are provisional).

    Parameters
    ----------
    records : list of dict
        The dimension list as read (``Perioden.json``).
    shown : str
        The file as the message names it (``47018NED/Perioden.json``).

    Raises
    ------
    DataValidationError
    """
    for position, row in enumerate(records, 1):
        key = row.get("Key")
        if not isinstance(key, str) or not key.strip():
            raise DataValidationError(
                shown, "Key", position, f"expected text, found {json_kind(key)}"
            )
        for field in ("Title", "Status"):
            value = row.get(field)
            if value is not None and not isinstance(value, str):
                raise DataValidationError(
                    shown, field, position, f"expected text or null, found {json_kind(value)}"
                )


def check_rows(records: list, shown: str) -> None:
    """Refuse a data set without rows or whose rows do not all have the same fields.

    Parameters
    ----------
    records : list of dict
        The typed data set as read.
    shown : str
        The file as the message names it.

    Raises
    ------
    DataValidationError
    """
    if not records:
        raise DataValidationError(shown, None, None, "the table has no rows")
    first = records[0].keys()
    for position, row in enumerate(records, 1):
        if row.keys() != first:
            missing = sorted(set(first) - set(row))
            extra = sorted(set(row) - set(first))
            field = (missing or extra)[0]
            problem = (
                "this field of the first row is missing"
                if missing
                else "a field the first row lacks"
            )
            raise DataValidationError(shown, field, position, problem)


def check_text(values: pd.Series, shown: str, column: str, what: str) -> None:
    """Refuse a value of a key column that is not non-empty text.

    Parameters
    ----------
    values : pandas.Series
        The column.
    shown : str
        The file as the message names it.
    column : str
        The column's name.
    what : str
        What the column holds, for the message (``a dimension key``).

    Raises
    ------
    DataValidationError
        Naming the first row with a bad value.
    """
    bad = ~values.map(lambda value: isinstance(value, str) and bool(value.strip())).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = values.iloc[row]
        found = "empty text" if isinstance(value, str) else json_kind(value)
        raise DataValidationError(shown, column, row + 1, f"expected {what} (text), found {found}")


def check_topic_values(properties: pd.DataFrame, data: pd.DataFrame, shown: str) -> None:
    """Numbers (or null) in numeric topics, text (or null) in text topics, as CBS types them.

    Parameters
    ----------
    properties : pandas.DataFrame
        The table's ``DataProperties`` (``Key``, ``Type``, ``Datatype``).
    data : pandas.DataFrame
        The typed data set.
    shown : str
        The file as the message names it.

    Raises
    ------
    DataValidationError
        Naming the first topic and row whose value does not fit its type.
    """
    if "Datatype" not in properties.columns:
        return
    topics = properties.loc[properties["Type"] == "Topic", ["Key", "Datatype"]]
    for key, datatype in topics.itertuples(index=False):
        if key not in data.columns or not isinstance(datatype, str):
            continue
        column = data[key]
        if datatype in _NUMERIC_DATATYPES:
            if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
                continue
            fits = column.map(
                lambda value: (
                    value is None
                    or (isinstance(value, int | float) and not isinstance(value, bool))
                )
            )
            expected = "a number or null"
        elif datatype == "String":
            fits = column.map(lambda value: value is None or isinstance(value, str))
            expected = "text or null"
        else:
            continue
        bad = ~fits.to_numpy(dtype=bool)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataValidationError(
                shown,
                key,
                row + 1,
                f"expected {expected} (topic type {datatype}), found {json_kind(column.iloc[row])}",
            )
