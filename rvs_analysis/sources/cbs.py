"""CBS open data: download with ``cbsodata`` into a cache, read it offline from there.

``rvs fetch`` (:func:`fetch`) downloads each table into ``<cache>/<table>/`` in cbsodata's own layout:
one JSON file per OData part (``TableInfos.json``, ``DataProperties.json``, ``CategoryGroups.json``,
one file per dimension such as ``RegioS.json`` and ``Perioden.json``, and the typed data set
``TypedDataSet.json``), with CBS's padded keys and period codes as they come, plus ``fetch.json``
(CBS's identifier, title, API, catalog, CBS's modification date, filter, selected topics, rows, time of
retrieval). Everything else reads the cache offline
(:func:`load_cbs`).

How the fetch works
-------------------
* **The typed data set.** cbsodata 1.3.5 removes the *requested* data set from its download list and
  downloads the other one (upstream issue J535D165/cbsodata#20): ``download_data(typed=True)`` writes
  ``UntypedDataSet.json``, and ``get_data(typed=True)`` returns untyped text with dimension titles in
  place of keys. The fetch calls ``download_data`` with the argument that makes this client write
  ``TypedDataSet.json`` and checks what was written (trying the other argument once, for a fixed
  client); the cache never holds an untyped download.
* **Only what the suite reads.** ``DataProperties`` is read first; the topics of each table
  (:attr:`TableSpec.topics`) are resolved by title and only they and the dimensions are selected
  (``$select``). Rows are filtered on the server (``$filter``): municipalities (``GM``), the
  Netherlands (``NL``) and, for the survey tables, police units (``RE``), never wijk or buurt rows;
  the period kind; for the police tables the offence codes of :func:`needed_offence_codes`, with the
  padded keys of the table's own dimension list.
* **Any OData host.** ``catalog`` (``rvs fetch --catalog URL``) sends every table to one host: a
  mirror, a proxy or a test server, ``https://`` or ``http://``.
* **Proxies.** :func:`proxies_for` reads ``HTTPS_PROXY``/``https_proxy``, ``HTTP_PROXY``/``http_proxy``
  and ``NO_PROXY`` once; the connectivity probe and every cbsodata request use that same setting.
* **Limits.** A request that makes no progress (fewer than :data:`PROGRESS_BYTES` bytes) for
  :data:`STALL_LIMIT` seconds fails the fetch, so a server that drips a byte every few seconds cannot
  hang it; the whole fetch has an overall limit (``timeout``, ``rvs fetch --timeout``).
* **Checked before the swap.** Each table is downloaded into a staging folder inside the cache's
  real folder (``<cache>/.fetch-<pid>-...``; inside the folder a linked cache points to, so the
  renames stay on one file system) and checked there (:mod:`rvs_analysis.sources.cbs_check`): no
  rows, a topic the suite reads without a column or without any value, keys of the wrong shape, a
  key repeated, and whatever the offline reader refuses, refuse the table with its name and file.
* **Per table, all or nothing for the required ones.** Required tables are fetched first. When one
  of them fails or is refused nothing moves in. An optional table that is missing (404), refused or
  keeps failing (:data:`~rvs_analysis.sources.cbs_fetch.ATTEMPTS`) is reported and the cache keeps
  its earlier copy, with that copy's own ``fetch.json``. The rest move in together with renames
  only. A failed or interrupted fetch leaves no partial folder; a staging folder of a killed fetch
  is removed by the next one.
* **One host.** Every request of a table's download must go to its catalog's host: a redirect, a
  part URL or an ``odata.nextLink`` to another host is refused, and so is a download whose pages do
  not end (:data:`~rvs_analysis.sources.cbs_fetch.MAX_REQUESTS`).
* **Editions found by title.** A table with a new identifier every edition ("Gebieden in Nederland
  <year>") has a title pattern in the registry; the fetch looks it up in the catalog
  (``/ODataCatalog/Tables``) and takes the newest edition not later than the crime table's boundary
  year (:mod:`rvs_analysis.sources.cbs_catalog`).

The tables and why the suite needs them
---------------------------------------
``47018NED`` (catalog ``dataderden.cbs.nl``: figures CBS publishes for the police)
    Registered offences per municipality (and district/neighbourhood) and year by offence type
    (SoortMisdrijf keys such as ``1.1.1`` residential burglary). Counts only: no cleared offences, no
    suspects. CBS recodes every year to its newest municipal boundaries.
``70072ned`` (catalog ``opendata.cbs.nl``)
    Regional key figures: the population per municipality and year, on each year's own boundaries
    (the denominators of every rate; harmonised in :mod:`rvs_analysis.regions`). The average
    population of the year ("Gemiddeld aantal inwoners") where CBS has it, else 1 January
    (:func:`read_population_basis`).
``83648NED`` (catalog ``opendata.cbs.nl``)
    Registered and cleared offences and registrations of suspects per municipality, but only for
    offence *groups*: there is no residential-burglary level, so the burglary clearance rate per
    municipality is not in open data (see ``data/templates/``).
``47022NED`` (dataderden; optional)
    Monthly registered offences per municipality (counts only): ``Dataset.monthly``.
``81877NED`` and ``85146NED`` (optional)
    The Veiligheidsmonitor (2012-2019 and from 2021; the 2021 redesign breaks the series): perceived
    safety with CBS's 95% bounds as a ``Marges`` dimension, for the Netherlands, police units and
    municipalities of 70,000+: ``Dataset.survey_estimates``. The region's own survey microdata and
    figures stay in its own CSV files (``data/templates/``).

Reading rules
-------------
Column names are resolved from ``DataProperties.json`` (``Key``, ``Title``, ``Type``): dimensions by
their type (``GeoDimension``, ``TimeDimension``, ``Dimension``) and topics by their title, never by a
hard-coded key suffix (CBS renumbers ``..._1``, ``..._2`` between table versions). Values come from the
``TypedDataSet``; ``null`` means "not published" and stays missing, never zero. Keys are stripped of
CBS's padding, period codes are parsed (``2016JJ00``, ``2016MM01``, ``2016KW01``) and a period whose
``Status`` is provisional (or whose title ends in ``*``) marks its counts provisional; a table without
its period list (``Perioden.json``) is refused like one without ``DataProperties.json``, since every
year would silently count as final. A file of the wrong shape is one
:class:`~rvs_analysis.exceptions.DataValidationError` naming the file, the field and the row
(:func:`read_table`, :mod:`rvs_analysis.sources.cbs_parts`): ``fetch.json`` that is not an object, a part that is not a list of records, JSON
nested too deeply, a ``Key``/``Type``/``Title`` or a ``Status`` that is not text, a data set without
rows or whose rows differ in their fields, a dimension key that is not text or not in its list, a number
where CBS types text or text where it types a number, a topic the suite reads without a column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rvs_analysis import clean
from rvs_analysis.exceptions import DataValidationError, SourceNotAvailableError
from rvs_analysis.sources import cbs_open
from rvs_analysis.sources.base import Dataset
from rvs_analysis.sources.cbs_neighbourhoods import (
    read_neighbourhood_crime,
    read_neighbourhood_population,
)

# The registry and the cache layout live in cbs_tables; they are re-exported here, where
# notebooks, scripts and the tests have always found them (``cbs.TABLES``, ``cbs.read_table``).
from rvs_analysis.sources.cbs_tables import (
    AREAS_TABLE,
    CLEARED_TABLE,
    CONNECT_TIMEOUT,
    CRIME_TABLE,
    DEFAULT_TABLES,
    DEFAULT_TIMEOUT,
    DIMENSION_TYPES,
    LEGACY_FOLDERS,
    MONTHLY_TABLE,
    POPULATION_TABLE,
    PROGRESS_BYTES,
    STALL_LIMIT,
    SUITE_OFFENCES,
    SURVEY_TABLES,
    TABLES,
    CbsTable,
    TableSpec,
    Topic,
    dimension_labels,
    needed_offence_codes,
    period_rows,
    read_json,
    read_table,
    resolve_topics,
)
from rvs_analysis.sources.tidy import OPTIONAL_FILES, read_validated

__all__ = [
    "API_OF_CBSODATA",
    "AREAS_TABLE",
    "CLEARED_TABLE",
    "CONNECT_TIMEOUT",
    "CRIME_TABLE",
    "CbsTable",
    "DEFAULT_TABLES",
    "DEFAULT_TIMEOUT",
    "DIMENSION_TYPES",
    "LEGACY_FOLDERS",
    "MARGIN_KEYS",
    "MONTHLY_TABLE",
    "POPULATION_TABLE",
    "PROGRESS_BYTES",
    "STALL_LIMIT",
    "SUITE_OFFENCES",
    "SURVEY_TABLES",
    "TABLES",
    "TableSpec",
    "Topic",
    "dimension_labels",
    "fetch",
    "input_files",
    "load_cbs",
    "needed_offence_codes",
    "period_rows",
    "read_checked",
    "read_cleared",
    "read_crime",
    "read_json",
    "read_monthly",
    "read_population",
    "read_population_basis",
    "read_survey_estimates",
    "read_table",
    "regional_dir",
    "resolve_topics",
    "table_folder",
    "table_provenance",
]

# ----------------------------------------------------------------------------------------------
# Fetch (the download itself is in rvs_analysis.sources.cbs_fetch)
# ----------------------------------------------------------------------------------------------


def fetch(tables=None, cache="data/raw", timeout: float = DEFAULT_TIMEOUT, **options) -> list[dict]:
    """Download CBS tables into ``<cache>/<table>/``, all or nothing.

    See :func:`rvs_analysis.sources.cbs_fetch.fetch` for the options (``catalog``, ``catalogs``,
    ``stall``, ``connect_timeout``), what is downloaded and how failures are handled.

    Parameters
    ----------
    tables : sequence of str, optional
        Registry keys of :data:`TABLES` to fetch; ``None`` fetches :data:`DEFAULT_TABLES`.
    cache : str or pathlib.Path
        The cache folder (``data/raw``).
    timeout : float
        Seconds the whole fetch may take.
    **options
        Passed on to :func:`rvs_analysis.sources.cbs_fetch.fetch`.

    Returns
    -------
    list of dict
        One record per table: what was fetched, kept or refused (see ``cbs_fetch.fetch``).
    """
    # deferred: the network stack (requests, cbsodata); reading the cache offline never loads it
    from rvs_analysis.sources.cbs_fetch import fetch as download  # noqa: PLC0415

    return download(tables, cache, timeout=timeout, **options)


# ----------------------------------------------------------------------------------------------
# Offline reading
# ----------------------------------------------------------------------------------------------


def regional_dir(cache) -> Path:
    """The folder with the region's own CSV files for the ``cbs`` source.

    Parameters
    ----------
    cache : str or pathlib.Path
        The CBS cache folder (``data/raw``).

    Returns
    -------
    pathlib.Path
        ``regional/`` next to the cache (``data/regional`` for ``data/raw``), filled from
        ``data/templates/``.
    """
    return Path(cache).parent / "regional"


def input_files(cache) -> list[Path]:
    """The files the ``cbs`` source reads from ``cache``.

    Parameters
    ----------
    cache : str or pathlib.Path
        The CBS cache folder.

    Returns
    -------
    list of pathlib.Path
        The JSON files of every known table present in the cache, sorted, then the region's own CSV
        files (see :func:`regional_dir`); empty when no table is there.
    """
    cache = Path(cache)
    files = []
    for table_id in TABLES:
        folder = table_folder(cache, table_id)
        if folder.is_dir():
            files.extend(sorted([*folder.glob("*.json"), *folder.glob("*.geojson")]))
    if files:
        regional = regional_dir(cache)
        files.extend(
            regional / name for name in OPTIONAL_FILES.values() if (regional / name).is_file()
        )
    return files


def table_folder(cache, key: str) -> Path:
    """The cache folder of one registry entry.

    Parameters
    ----------
    cache : str or pathlib.Path
        The CBS cache folder.
    key : str
        A key of :data:`TABLES`.

    Returns
    -------
    pathlib.Path
        ``<cache>/<key>/``, or a folder an earlier version wrote it to (:data:`LEGACY_FOLDERS`) when
        only that exists.
    """
    folder = Path(cache) / key
    if not folder.is_dir():
        for legacy in LEGACY_FOLDERS.get(key, ()):
            if (Path(cache) / legacy).is_dir():
                return Path(cache) / legacy
    return folder


def _municipal_rows(table: CbsTable, kind: str = "year") -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of municipalities and periods of ``kind``, with their 1-based rows in TypedDataSet."""
    geo = table.dimension_key("GeoDimension")
    periods = period_rows(table, kind)
    data = table.data.loc[periods.index]
    municipal = data[geo].str.match(r"GM\d{4}$").to_numpy()
    data = data.loc[municipal].copy()
    periods = periods.loc[municipal]
    data["gemeente_code"] = data[geo]
    data["year"] = periods["year"].to_numpy()
    data["period_number"] = periods["period_number"].to_numpy()
    data["provisional"] = periods["provisional"].to_numpy()
    rows = data.index.to_numpy() + 1
    return data.reset_index(drop=True), rows


def _offence_dimension(table: CbsTable) -> str:
    """The key of the table's one offence dimension (besides region and period)."""
    offence_keys = table.other_dimension_keys()
    if len(offence_keys) != 1:
        raise DataValidationError(
            table.file("DataProperties.json"),
            "Type",
            None,
            f"expected one offence dimension besides region and period, found {offence_keys}",
        )
    return offence_keys[0]


def read_crime(table: CbsTable, known_codes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Crime and offence frames from 47018NED (registered offences per municipality and year).

    Parameters
    ----------
    table : CbsTable
        The table as read from the cache (:func:`read_table`).
    known_codes : collection of str
        The GM codes a row may have (present and former municipalities).

    Returns
    -------
    (crime, offences) : (pandas.DataFrame, pandas.DataFrame)
        ``crime``: ``offence_code``, ``gemeente_code``, ``year``, ``registered_offences``,
        ``provisional``, validated (:func:`rvs_analysis.clean.validate_frame`); ``offences``:
        ``offence_code`` and its CBS title ``offence_label``.
    """
    offence_key = _offence_dimension(table)
    topic = table.topics(TABLES[CRIME_TABLE])["registered"]
    data, rows = _municipal_rows(table)
    frame = pd.DataFrame(
        {
            "offence_code": data[offence_key],
            "gemeente_code": data["gemeente_code"],
            "year": data["year"],
            "registered_offences": data[topic],
            "provisional": data["provisional"],
        }
    )
    crime = clean.validate_frame(
        "crime", frame, table.file("TypedDataSet.json"), known_codes, row_numbers=rows
    )
    labels = dimension_labels(table, offence_key)
    codes = sorted(crime["offence_code"].unique())
    offences = pd.DataFrame(
        {"offence_code": codes, "offence_label": [labels.get(code, "") for code in codes]}
    )
    return crime, offences


def read_population(table: CbsTable) -> pd.DataFrame:
    """Population per municipality and year from 70072ned (each year's own boundaries).

    See :func:`read_population_basis` for which topic it is and when it falls back.

    Parameters
    ----------
    table : CbsTable
        The table as read from the cache.

    Returns
    -------
    pandas.DataFrame
        ``gemeente_code``, ``year``, ``population``.
    """
    return read_population_basis(table)[0]


def read_population_basis(table: CbsTable) -> tuple[pd.DataFrame, dict]:
    """Population per municipality and year from 70072ned, and which topic it is.

    Parameters
    ----------
    table : CbsTable
        The table as read from the cache.

    Returns
    -------
    (population, basis) : (pandas.DataFrame, dict)
        ``basis`` says which topic was used: ``{"topic": title, "fallback": title or None,
        "fallback_years": [...], "fallback_rows": n}``.

    Notes
    -----
    CBS's rates per 1,000 inhabitants use the average population of the year ("Gemiddeld aantal
    inwoners", topic group "Bevolkingsgroei"); it is used where the table has it. CBS publishes the
    newest year's average later than its population on 1 January ("Totale bevolking"), so a row
    without an average falls back, per row, to 1 January; ``basis`` records where that happened so
    a report can say so. Without an average topic at all, 1 January is used throughout.
    """
    topics = table.topics(TABLES[POPULATION_TABLE])
    title = table.properties.set_index("Key")["Title"]
    january = topics["population_january"]
    average = topics.get("population_average")
    data, rows = _municipal_rows(table)
    values = pd.to_numeric(data[january], errors="coerce") if average is None else None
    basis = {
        "topic": str(title[january]),
        "fallback": None,
        "fallback_years": [],
        "fallback_rows": 0,
    }
    if average is not None:
        averaged = data[average]
        missing = averaged.isna() & data[january].notna()
        values = averaged.where(~missing, data[january])
        basis["topic"] = str(title[average])
        if missing.any():
            basis["fallback"] = f"{title[january]} (1 januari)"
            basis["fallback_years"] = sorted(
                int(year) for year in data.loc[missing, "year"].unique()
            )
            basis["fallback_rows"] = int(missing.sum())
    frame = pd.DataFrame(
        {"gemeente_code": data["gemeente_code"], "year": data["year"], "population": values}
    )
    population = clean.validate_frame(
        "population", frame, table.file("TypedDataSet.json"), row_numbers=rows
    )
    return population, basis


def read_monthly(table: CbsTable, known_codes) -> pd.DataFrame:
    """Monthly registered offences per municipality from 47022NED.

    Parameters
    ----------
    table : CbsTable
        The table as read from the cache.
    known_codes : collection of str
        The GM codes a row may have.

    Returns
    -------
    pandas.DataFrame
        ``gemeente_code``, ``year``, ``month``, ``offence_code``, ``registered_offences``,
        ``provisional``, validated.
    """
    offence_key = _offence_dimension(table)
    topic = table.topics(TABLES[MONTHLY_TABLE])["registered"]
    data, rows = _municipal_rows(table, "month")
    frame = pd.DataFrame(
        {
            "gemeente_code": data["gemeente_code"],
            "year": data["year"],
            "month": data["period_number"],
            "offence_code": data[offence_key],
            "registered_offences": data[topic],
            "provisional": data["provisional"],
        }
    )
    return clean.validate_frame(
        "monthly", frame, table.file("TypedDataSet.json"), known_codes, row_numbers=rows
    )


MARGIN_KEYS = {"MW00000": "estimate", "MOG0095": "lower", "MBG0095": "upper"}
"""The ``Marges`` dimension of the Veiligheidsmonitor tables: value and 95% bounds."""


def read_survey_estimates(table: CbsTable) -> pd.DataFrame:
    """Published Veiligheidsmonitor estimates (81877NED, 85146NED) with their 95% margins.

    Parameters
    ----------
    table : CbsTable
        The table as read from the cache.

    Returns
    -------
    pandas.DataFrame
        ``area_code`` (``GM0344``, ``RE09``, ``NL01``), ``year``, ``indicator`` (``feels_unsafe``,
        ``youth_nuisance``), ``estimate`` (percent) and ``margin`` (half the width of CBS's 95%
        interval, ``(upper - lower) / 2``; missing when CBS gives no bounds).
    """
    topics = table.topics()
    margins = _offence_dimension(table)
    geo = table.dimension_key("GeoDimension")
    periods = period_rows(table, "year")
    data = table.data.loc[periods.index].copy()
    data["year"] = periods["year"].to_numpy()
    data["kind"] = data[margins].map(MARGIN_KEYS)
    frames = []
    for indicator, key in topics.items():
        wide = data.pivot_table(
            index=[geo, "year"], columns="kind", values=key, aggfunc="first", dropna=False
        )
        wide = wide.reindex(columns=["estimate", "lower", "upper"])
        frames.append(
            pd.DataFrame(
                {
                    "area_code": wide.index.get_level_values(0),
                    "year": wide.index.get_level_values(1),
                    "indicator": indicator,
                    "estimate": wide["estimate"].to_numpy(),
                    "margin": ((wide["upper"] - wide["lower"]) / 2).round(2).to_numpy(),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["area_code", "year", "indicator", "estimate", "margin"])
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.loc[frame["estimate"].notna() | frame["margin"].notna()]
    return clean.validate_frame("survey_estimates", frame, table.file("TypedDataSet.json"))


def read_cleared(table: CbsTable, known_codes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Registered and cleared offences (and suspects) per offence group from 83648NED.

    Parameters
    ----------
    table : CbsTable
        The table as read from the cache.
    known_codes : collection of str
        The GM codes a row may have.

    Returns
    -------
    (cleared, groups) : (pandas.DataFrame, pandas.DataFrame)
        ``cleared``: ``gemeente_code``, ``year``, ``offence_code``, ``registered_offences``,
        ``cleared_offences``, ``provisional`` (and ``suspects`` when the table has them), validated;
        ``groups``: ``offence_code`` and its CBS title ``offence_label``.
    """
    offence_key = _offence_dimension(table)
    topics = table.topics(TABLES[CLEARED_TABLE])
    registered, cleared = topics["registered"], topics["cleared"]
    suspects = topics.get("suspects")
    data, rows = _municipal_rows(table)
    frame = pd.DataFrame(
        {
            "gemeente_code": data["gemeente_code"],
            "year": data["year"],
            "offence_code": data[offence_key],
            "registered_offences": data[registered],
            "cleared_offences": data[cleared],
            "provisional": data["provisional"],
        }
    )
    if suspects:
        frame["suspects"] = data[suspects]
    validated = clean.validate_frame(
        "cleared", frame, table.file("TypedDataSet.json"), known_codes, row_numbers=rows
    )
    labels = dimension_labels(table, offence_key)
    codes = sorted(validated["offence_code"].unique())
    groups = pd.DataFrame(
        {"offence_code": codes, "offence_label": [labels.get(code, "") for code in codes]}
    )
    return validated, groups


API_OF_CBSODATA = "OData v3 Feed"
"""The API of a table fetched before ``fetch.json`` recorded it: cbsodata reads CBS's bulk feed
(``ODataFeed``)."""


def _neighbourhood_tables(cache: Path) -> dict[str, CbsTable]:
    """The fetched wijk and buurt tables, by their fetch records only (rows not read): the
    neighbourhood report reads them with its own loader (:mod:`.cbs_neighbourhoods`); they are
    named here so that every report's provenance and source line say which tables it rests on."""
    named = {}
    for key in ("wijkbuurt_jaar", "wijkbuurt_maand", "kerncijfers_wijkbuurt"):
        record_path = cache / key / "fetch.json"
        if record_path.is_file():
            record = read_json(record_path, dict, key)
            named[key] = CbsTable(key, cache / key, pd.DataFrame(), pd.DataFrame(), {}, record)
    return named


def table_provenance(table: CbsTable) -> dict:
    """What a report says about one table it read: identifier, title, API, catalog, CBS's own
    modification date and our retrieval date.

    Parameters
    ----------
    table : CbsTable

    Returns
    -------
    dict
        ``key`` (registry key and cache folder), ``table``, ``title``, ``api`` (``OData v3 Feed``),
        ``catalog`` (the host it came from), ``cbs_catalog`` (CBS's catalog name, such as ``CBS``
        or ``Politie``), ``modified`` (CBS's ``Modified``), ``retrieved`` (ISO time of the fetch),
        ``edition`` (for a table found by title), ``purpose``. Fields the cache does not record
        are ``None``; ``fetch.json`` first, then ``TableInfos.json`` (as cbsodata wrote it).
    """
    record = table.fetch_record
    infos = {}
    path = table.folder / "TableInfos.json"
    if path.is_file():
        listing = read_json(path, table_id=table.table_id)
        infos = listing[0] if listing else {}

    def text(*values):
        for value in values:
            if isinstance(value, str) and value.strip():
                return value.strip()
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return None

    spec = TABLES.get(table.table_id)
    return {
        "key": table.table_id,
        "table": table.cbs_id,
        "title": text(record.get("title"), infos.get("Title")),
        "api": text(record.get("api")) or API_OF_CBSODATA,
        "catalog": text(record.get("catalog")) or (spec.catalog if spec else None),
        "cbs_catalog": text(record.get("cbs_catalog"), infos.get("Catalog")),
        "modified": text(record.get("modified"), infos.get("Modified")),
        "retrieved": text(record.get("retrieved")),
        "edition": text(record.get("edition")),
        "purpose": spec.purpose if spec else None,
    }


def read_checked(table: CbsTable):
    """Read ``table`` with the reader of its registry entry, as :func:`load_cbs` would.

    A download is thus refused before the swap for what the next offline read would refuse
    (:mod:`rvs_analysis.sources.cbs_check`). Municipality codes are not checked against the
    population table here.

    Parameters
    ----------
    table : CbsTable
        The staged table, read with :func:`read_table`; its folder name is the registry key.

    Returns
    -------
    object
        What the reader returns (frames); the caller only needs it not to raise.
    """
    readers = {
        CRIME_TABLE: lambda: (
            read_crime(table, None),
            cbs_open.read_national(
                table, _offence_dimension(table), table.topics(TABLES[CRIME_TABLE])["registered"]
            ),
        ),
        POPULATION_TABLE: lambda: read_population_basis(table),
        CLEARED_TABLE: lambda: read_cleared(table, None),
        MONTHLY_TABLE: lambda: read_monthly(table, None),
        AREAS_TABLE: lambda: cbs_open.read_police_units(table),
        **{table_id: lambda: read_survey_estimates(table) for table_id in SURVEY_TABLES},
        "wijkbuurt_jaar": lambda: read_neighbourhood_crime(table),
        "wijkbuurt_maand": lambda: read_neighbourhood_crime(table),
        "kerncijfers_wijkbuurt": lambda: read_neighbourhood_population(table),
    }
    return readers[table.table_id]()


def _read_regional(folder: Path, known_codes) -> dict[str, pd.DataFrame]:
    """The region's own files (``data/templates/`` layout) that exist in ``folder``, validated."""
    frames = {}
    for kind, name in OPTIONAL_FILES.items():
        path = folder / name
        if path.is_file():
            codes = known_codes if kind in ("cleared", "monthly", "survey") else None
            frames[kind] = read_validated([path], kind, codes)
    return frames


def _combine_cleared(open_data: pd.DataFrame | None, regional: pd.DataFrame) -> pd.DataFrame:
    """83648NED's offence groups plus the region's own cleared offences (e.g. burglary, 1.1.1)."""
    if open_data is None:
        return regional
    combined = pd.concat([open_data, regional], ignore_index=True)
    keys = list(clean.SCHEMAS["cleared"].keys)
    duplicated = combined.duplicated(keys).to_numpy()
    if duplicated.any():
        position = int(np.flatnonzero(duplicated)[0]) - len(open_data)
        raise DataValidationError(
            "regional/cleared_offences.csv",
            ", ".join(keys),
            position + 1,
            "duplicate key: 83648NED already has this municipality, year and offence code",
        )
    return combined


def _boundary_year(table: CbsTable, crime: pd.DataFrame) -> int | None:
    """The municipal boundary year of a recoded table: ``MapYear`` of its GeoDimension if CBS gives
    it, else the latest year of the data (CBS recodes to its newest boundaries)."""
    geo = table.properties.loc[table.properties["Type"] == "GeoDimension"]
    if "MapYear" in geo.columns and len(geo):
        map_year = pd.to_numeric(geo["MapYear"], errors="coerce").iloc[0]
        if pd.notna(map_year):
            return int(map_year)
    return int(crime["year"].max()) if len(crime) else None


def load_cbs(cache, version: str | None = None) -> Dataset:
    """Read the CBS cache offline and return a validated :class:`Dataset`.

    Parameters
    ----------
    cache : str or pathlib.Path
        The folder ``rvs fetch`` wrote (``data/raw``).
    version : str, optional
        Content hash of the cache files for the provenance.

    Returns
    -------
    Dataset
        ``crime`` from 47018NED, ``population`` from 70072ned, ``cleared`` from 83648NED when it was
        fetched (offence-group codes, not the 47018NED keys), ``monthly`` from 47022NED and
        ``survey_estimates`` from 81877NED/85146NED when fetched (the region's own files in
        ``regional/`` take precedence). ``provenance["population_basis"]`` says which population
        topic was used and for which years it fell back to 1 January. ``crime_boundary_year`` is the
        ``MapYear`` of 47018NED's region dimension, or else its latest year: CBS recodes the table to
        its newest municipal boundaries.

    Raises
    ------
    SourceNotAvailableError
        When 47018NED or 70072ned has not been fetched.
    """
    cache = Path(cache)
    missing = [table for table in (CRIME_TABLE, POPULATION_TABLE) if not (cache / table).is_dir()]
    if missing:
        raise SourceNotAvailableError(
            f"The CBS cache {cache} lacks {', '.join(missing)}. Run 'rvs fetch --cache {cache}' "
            "(needs network) and try again."
        )
    population_table = read_table(cache / POPULATION_TABLE)
    population, population_basis = read_population_basis(population_table)
    known = clean.known_municipality_codes(population)
    crime_table = read_table(cache / CRIME_TABLE)
    crime, offences = read_crime(crime_table, known)
    tables = {CRIME_TABLE: crime_table, POPULATION_TABLE: population_table}
    cleared = None
    offence_groups: dict[str, str] = {}
    if (cache / CLEARED_TABLE).is_dir():
        cleared_table = read_table(cache / CLEARED_TABLE)
        cleared, groups = read_cleared(cleared_table, known)
        offence_groups = dict(zip(groups["offence_code"], groups["offence_label"], strict=True))
        tables[CLEARED_TABLE] = cleared_table
    optional = {}
    if (cache / MONTHLY_TABLE).is_dir():
        tables[MONTHLY_TABLE] = read_table(cache / MONTHLY_TABLE)
        optional["monthly"] = read_monthly(tables[MONTHLY_TABLE], known)
    estimates = []
    survey_areas: dict[str, str] = {}
    for table_id in SURVEY_TABLES:
        if (cache / table_id).is_dir():
            tables[table_id] = read_table(cache / table_id)
            estimates.append(read_survey_estimates(tables[table_id]))
            geo = tables[table_id].dimension_key("GeoDimension")
            survey_areas.update(
                {
                    str(k).strip(): str(v).strip()
                    for k, v in dimension_labels(tables[table_id], geo).items()
                }
            )
    if estimates:
        optional["survey_estimates"] = pd.concat(estimates, ignore_index=True)
    national = cbs_open.read_national(
        crime_table,
        _offence_dimension(crime_table),
        crime_table.topics(TABLES[CRIME_TABLE])["registered"],
    )
    police_units = None
    if table_folder(cache, AREAS_TABLE).is_dir():
        tables[AREAS_TABLE] = read_table(table_folder(cache, AREAS_TABLE))
        police_units = cbs_open.read_police_units(tables[AREAS_TABLE])
    named = _neighbourhood_tables(cache)
    regional = _read_regional(regional_dir(cache), known)
    for kind, frame in optional.items():
        regional.setdefault(kind, frame)
    if "cleared" in regional:
        cleared = _combine_cleared(cleared, regional.pop("cleared"))
    described = {table.cbs_id: table_provenance(table) for table in tables.values()}
    # a wijk and buurt download of a table the municipal rows came from (47018NED, 47022NED) is
    # the same CBS table: named once, by its municipal download
    for table in named.values():
        described.setdefault(table.cbs_id, table_provenance(table))
    provenance = {
        "source": "cbs",
        "version": version,
        "files": [path.relative_to(cache.parent).as_posix() for path in input_files(cache)],
        "tables": described,
        "roles": {key: table.cbs_id for key, table in {**named, **tables}.items()},
        "retrieved": {table_id: entry["retrieved"] for table_id, entry in described.items()},
        "population_basis": population_basis,
        "offence_groups": offence_groups,
        "national": national,
        "survey_areas": survey_areas,
        "police_units": None
        if police_units is None
        else dict(
            zip(police_units["gemeente_code"], police_units["police_unit_code"], strict=True)
        ),
        "police_unit_names": None
        if police_units is None
        else dict(
            zip(police_units["police_unit_code"], police_units["police_unit_name"], strict=False)
        ),
        "provisional_years": clean.provisional_years(crime),
        "not_attributable": clean.not_attributable_summary(crime),
    }
    return Dataset(
        source="cbs",
        crime=crime,
        population=population,
        offences=offences,
        crime_boundary_year=_boundary_year(crime_table, crime),
        population_boundary_year=None,
        cleared=cleared,
        provenance=provenance,
        **regional,
    )
