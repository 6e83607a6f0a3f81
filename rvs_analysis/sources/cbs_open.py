"""What the open CBS tables publish beyond the municipal rows the reports count.

* :func:`read_national`: the national figure (``NL00`` in 47018NED, ``NL01`` elsewhere) per offence
  code and year, so that a report can check that the sum of the municipalities in the cache is the
  whole country (:func:`rvs_analysis.report.yardstick.national_check`).
* :func:`read_police_units`: CBS's "Gebieden in Nederland" table (municipality -> police unit,
  ``RE01``..``RE10``), so that the monitor can compare the region with the other police units.

Both read a table of the cache (:class:`rvs_analysis.sources.cbs_tables.CbsTable`) and resolve columns by
title, as the rest of the reader does.
"""

from __future__ import annotations

import re

import pandas as pd

from rvs_analysis.exceptions import DataValidationError
from rvs_analysis.sources.cbs_tables import period_rows

__all__ = ["read_national", "read_police_units"]


def read_national(table, offence_key: str, topic: str) -> dict[str, dict[int, float]]:
    """The table's national rows (``NL00``/``NL01``): ``{offence_code: {year: value}}``.

    Parameters
    ----------
    table : rvs_analysis.sources.cbs_tables.CbsTable
    offence_key : str
        The offence dimension's key (``SoortMisdrijf``).
    topic : str
        The topic's key (registered offences).

    Returns
    -------
    dict
        Empty when the table has no national row (it was not fetched).
    """
    geo = table.dimension_key("GeoDimension")
    periods = period_rows(table, "year")
    data = table.data.loc[periods.index]
    national = data[geo].astype(str).str.strip().str.match(r"NL0[01]$").to_numpy()
    rows = data.loc[national]
    years = periods.loc[national, "year"]
    out: dict[str, dict[int, float]] = {}
    for code, year, value in zip(
        rows[offence_key].astype(str).str.strip(), years, rows[topic], strict=True
    ):
        if pd.notna(value):
            out.setdefault(code, {})[int(year)] = float(value)
    return out


def read_police_units(table) -> pd.DataFrame:
    """Municipality -> police unit from CBS's "Gebieden in Nederland" table.

    Parameters
    ----------
    table : rvs_analysis.sources.cbs_tables.CbsTable
        Rows per municipality (``RegioS``, ``GM0344``). CBS's layout: a topic group "Lokaliseringen
        van gemeenten" with one subgroup per area kind, each holding a topic "Code" and a topic
        "Naam"; the police units are the subgroup "Politie Regionale eenheden" (``RE01`` ..
        ``RE10``). Resolved by the group's title (containing "politie"; among several, the one
        about "eenheden"), never by key: the keys (``Code_32`` in 2016) move every edition.

    Returns
    -------
    pandas.DataFrame
        ``gemeente_code, police_unit_code, police_unit_name``, one row per municipality.

    Raises
    ------
    DataValidationError
        When the table has no police-unit code and name topics.
    """
    props = table.properties
    groups = props.loc[
        (props["Type"] == "TopicGroup")
        & props["Title"].fillna("").str.contains("politie", case=False)
    ]
    if len(groups) > 1:  # e.g. the former police regions beside the regional units
        units = groups.loc[groups["Title"].str.contains(r"eenhe", case=False)]
        groups = units if not units.empty else groups
    topics = props.loc[(props["Type"] == "Topic") & props["ParentID"].isin(groups["ID"])]
    titles = topics.set_index("Key")["Title"].fillna("").astype(str)
    code = [key for key, title in titles.items() if re.match(r"^code", title, re.IGNORECASE)]
    name = [key for key, title in titles.items() if re.match(r"^naam", title, re.IGNORECASE)]
    if len(code) != 1 or len(name) != 1:
        raise DataValidationError(
            table.file("DataProperties.json"),
            "Title",
            None,
            "expected one 'Code' and one 'Naam' topic under a topic group about the police units "
            f"(politie), found {len(code)} and {len(name)}",
        )
    missing = [key for key in (code[0], name[0]) if key not in table.data.columns]
    if missing:
        raise DataValidationError(
            table.file("TypedDataSet.json"),
            missing[0],
            None,
            "the police unit's code or name topic has no column in the data set",
        )
    geo = table.dimension_key("GeoDimension")
    data = table.data
    keys = data[geo].astype(str).str.strip()
    municipal = keys.str.match(r"GM\d{4}$")
    frame = pd.DataFrame(
        {
            "gemeente_code": keys[municipal].to_numpy(),
            "police_unit_code": data.loc[municipal, code[0]].astype(str).str.strip().to_numpy(),
            "police_unit_name": data.loc[municipal, name[0]].astype(str).str.strip().to_numpy(),
        }
    )
    return frame.drop_duplicates("gemeente_code").reset_index(drop=True)
