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

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rvs_analysis import clean
from rvs_analysis.exceptions import DataValidationError, SourceNotAvailableError
from rvs_analysis.sources.base import Dataset
from rvs_analysis.sources.cbs_parts import (
    check_listing,
    check_properties,
    check_rows,
    check_text,
    check_topic_values,
    json_kind,
)
from rvs_analysis.sources.tidy import require_regular_file

DEFAULT_TIMEOUT = 900.0
"""Seconds the whole fetch may take (``rvs fetch --timeout``)."""

STALL_LIMIT = 30.0
"""Seconds a request may go without progress (fewer than :data:`PROGRESS_BYTES` bytes received)."""

PROGRESS_BYTES = 1024
"""Bytes that count as progress within :data:`STALL_LIMIT`: a server that drips a byte every few
seconds is stalled, not slow."""

CONNECT_TIMEOUT = 10.0
"""Seconds a connection attempt (and the connectivity probe) may take."""


@dataclass(frozen=True)
class Topic:
    """A topic the suite reads from a table, found in ``DataProperties`` by its title."""

    role: str
    include: str
    """Regular expression on the title (case-insensitive)."""
    exclude: str | None = None
    required: bool = True


_COUNT_EXCLUDE = r"per 1 ?000|relatief|inwoners|%"


@dataclass(frozen=True)
class TableSpec:
    """A CBS table the suite knows: where it lives, what it is for and what of it is downloaded.

    The registry (:data:`TABLES`) says *what* the suite needs of a table; *how* it is downloaded is
    the ``route`` (:data:`rvs_analysis.sources.cbs_fetch.ROUTES`), and every route writes the same
    cache layout (cbsodata's: ``DataProperties.json``, one list per dimension, ``TypedDataSet.json``,
    ``TableInfos.json``, ``fetch.json``), which is all the readers see. See docs/ARCHITECTURE.md
    ("The CBS table registry").
    """

    key: str
    """The registry key and the cache folder (``<cache>/<key>/``): CBS's identifier for a table
    whose identifier is fixed (``47018NED``), a stable name for one that gets a new identifier with
    each edition (``gebieden``)."""
    catalog: str
    purpose: str
    period: str = "JJ"
    """Period code kind to download (``JJ`` years, ``MM`` months)."""
    topics: tuple[Topic, ...] = ()
    regions: tuple[str, ...] = ("GM", "NL")
    """Region key prefixes to download (``GM`` municipalities, ``NL`` the Netherlands, ``RE`` police
    units); wijk and buurt rows are left out."""
    offences: bool = False
    """Download only the offence codes the suite reads (:func:`needed_offence_codes`)."""
    required: bool = False
    """The ``cbs`` source cannot be read without this table."""
    gives: str = ""
    """What the suite takes from the table (README, ``rvs fetch --help``)."""
    all_topics: bool = False
    """Download every topic (a small table whose topic titles repeat, such as "Code" and "Naam"
    under each area kind in "Gebieden in Nederland"); the reader resolves them by group."""
    title: str | None = None
    """For a table published as a new edition with a new identifier every year: a regular
    expression on the catalog's table titles (``/ODataCatalog/Tables``) whose group ``edition`` is
    the edition's year. The fetch takes the newest edition not later than the crime table's
    boundary year (see :func:`rvs_analysis.sources.cbs_catalog.choose_edition`)."""
    route: str = "odata3"
    """How the table is downloaded: a key of :data:`rvs_analysis.sources.cbs_fetch.ROUTES`
    (``odata3``: CBS's OData v3 bulk feed with the cbsodata client)."""

    @property
    def table_id(self) -> str | None:
        """CBS's identifier when it is fixed; ``None`` when it is found by title in the catalog."""
        return None if self.title else self.key


_REGISTERED = Topic("registered", r"geregistreerde misdrijven", _COUNT_EXCLUDE)
_SURVEY_TOPICS = (
    Topic(
        "feels_unsafe", r"^voelt zich wel ?eens onveilig in (?:de |eigen )?buurt", required=False
    ),
    Topic("youth_nuisance", r"rondhangende jongeren", required=False),
)

TABLES: dict[str, TableSpec] = {
    "47018NED": TableSpec(
        "47018NED",
        "dataderden.cbs.nl",
        "registered offences per municipality and year by offence type (counts only)",
        topics=(_REGISTERED,),
        offences=True,
        required=True,
    ),
    "70072ned": TableSpec(
        "70072ned",
        "opendata.cbs.nl",
        "population per municipality and year, on each year's own boundaries (denominators)",
        topics=(
            Topic(
                "population_average",
                r"^gemiddeld aantal inwoners|^gemiddelde bevolking",
                None,
                False,
            ),
            Topic("population_january", r"^totale bevolking"),
        ),
        required=True,
    ),
    "83648NED": TableSpec(
        "83648NED",
        "opendata.cbs.nl",
        "registered and cleared offences and suspects per municipality, offence groups only",
        topics=(
            Topic("registered", r"geregistreerde misdrijven", _COUNT_EXCLUDE),
            Topic("cleared", r"opgehelderde misdrijven", _COUNT_EXCLUDE),
            Topic("suspects", r"verdachten", _COUNT_EXCLUDE, required=False),
        ),
    ),
    "47022NED": TableSpec(
        "47022NED",
        "dataderden.cbs.nl",
        "monthly registered offences per municipality (counts only; optional)",
        period="MM",
        topics=(_REGISTERED,),
        offences=True,
    ),
    "81877NED": TableSpec(
        "81877NED",
        "opendata.cbs.nl",
        "(On)veiligheidsbeleving 2012-2019: perceived safety with 95% margins; police units and "
        "municipalities of 70,000+ (optional)",
        topics=_SURVEY_TOPICS,
        regions=("GM", "NL", "RE"),
    ),
    "85146NED": TableSpec(
        "85146NED",
        "opendata.cbs.nl",
        "Veiligheidsmonitor 2021-: perceived safety with 95% margins; police units and "
        "municipalities of 70,000+ (optional; series break in 2021)",
        topics=_SURVEY_TOPICS,
        regions=("GM", "NL", "RE"),
    ),
    "gebieden": TableSpec(
        "gebieden",
        "opendata.cbs.nl",
        "Gebieden in Nederland <year> (85755NED for 2024; found by title in the catalog, the "
        "newest edition not later than the crime table's boundary year): the police unit of every "
        "municipality (optional; the monitor compares the region with the other police units)",
        period="",
        regions=("GM",),
        all_topics=True,
        title=r"^Gebieden in Nederland (?P<edition>\d{4})$",
    ),
}
"""Every table ``rvs fetch`` downloads."""

DEFAULT_TABLES: tuple[str, ...] = tuple(TABLES)
"""The tables ``rvs fetch`` downloads when none are named: every table the notebooks use."""

CRIME_TABLE, POPULATION_TABLE, CLEARED_TABLE = "47018NED", "70072ned", "83648NED"
MONTHLY_TABLE = "47022NED"
AREAS_TABLE = "gebieden"
"""CBS "Gebieden in Nederland <year>" (municipality -> police unit): the registry key and cache
folder; CBS's identifier changes every edition (85755NED for 2024) and is in its ``fetch.json``."""
LEGACY_FOLDERS = {AREAS_TABLE: ("85755NED",)}
"""Cache folders earlier versions wrote a registry entry to (``85755NED`` before the edition was
found by title); read when the entry's own folder is absent, until the next fetch."""
SURVEY_TABLES = ("81877NED", "85146NED")
_DIMENSION_TYPES = ("Dimension", "GeoDimension", "TimeDimension")

SUITE_OFFENCES = ("0.0.0", "1.1.1", "1.4.6", "1.4.7")
"""Offence codes the reports read directly (totals, burglary, street robbery, robbery); the crime
change report adds those of ``data/crime_change_classification.csv``."""


def needed_offence_codes() -> list[str]:
    """The 47018NED offence codes the suite reads: :data:`SUITE_OFFENCES` plus every code of
    ``data/crime_change_classification.csv`` (codes the table does not have, such as the region's
    own ``RVS.*`` series, are simply not found)."""
    codes = set(SUITE_OFFENCES)
    from rvs_analysis.resources import data_path

    path = data_path("crime_change_classification.csv")
    if path.is_file():
        with open(path, encoding="utf-8", newline="") as handle:
            codes.update(row["offence_code"].strip() for row in csv.DictReader(handle))
    return sorted(codes)


def resolve_topics(
    properties, spec: TableSpec, file: str = "DataProperties.json"
) -> dict[str, str]:
    """The key of each of ``spec``'s topics, found by title among the ``Topic`` rows.

    Parameters
    ----------
    properties : list of dict or pandas.DataFrame
        The table's DataProperties (``Key``, ``Type``, ``Title``).
    spec : TableSpec
    file : str
        Named in the error.

    Returns
    -------
    dict
        Role -> key, for the topics found (optional topics may be absent).

    Raises
    ------
    DataValidationError
        When a required topic matches no title, or any topic matches more than one.
    """
    frame = pd.DataFrame(properties)
    topics = frame.loc[frame.get("Type", pd.Series(dtype=str)) == "Topic"]
    titles = topics.get("Title", pd.Series("", index=topics.index)).fillna("").astype(str)
    found = {}
    for topic in spec.topics:
        match = titles.str.contains(topic.include, case=False, regex=True)
        if topic.exclude:
            match &= ~titles.str.contains(topic.exclude, case=False, regex=True)
        keys = list(topics.loc[match, "Key"])
        if len(keys) == 1:
            found[topic.role] = keys[0]
        elif keys or topic.required:
            raise DataValidationError(
                f"{spec.key}/{file}",
                "Title",
                None,
                f"expected one topic titled like /{topic.include}/, found {len(keys)} "
                f"({', '.join(titles[match]) or 'none'})",
            )
    return found


# ----------------------------------------------------------------------------------------------
# Fetch (the download itself is in rvs_analysis.sources.cbs_fetch)
# ----------------------------------------------------------------------------------------------


def fetch(tables=None, cache="data/raw", timeout: float = DEFAULT_TIMEOUT, **options) -> list[dict]:
    """Download CBS tables into ``<cache>/<table>/``, all or nothing.

    See :func:`rvs_analysis.sources.cbs_fetch.fetch` for the parameters (``catalog``,
    ``catalogs``, ``stall``, ``connect_timeout``), what is downloaded and how failures are handled.
    """
    from rvs_analysis.sources.cbs_fetch import fetch as download

    return download(tables, cache, timeout=timeout, **options)


# ----------------------------------------------------------------------------------------------
# Offline reading
# ----------------------------------------------------------------------------------------------


def regional_dir(cache) -> Path:
    """The folder with the region's own CSV files for the ``cbs`` source: ``regional/`` next to the
    cache (``data/regional`` for ``data/raw``), filled from ``data/templates/``."""
    return Path(cache).parent / "regional"


def input_files(cache) -> list[Path]:
    """The JSON files of every known table present in the cache, sorted, then the region's own
    CSV files (see :func:`regional_dir`)."""
    from rvs_analysis.sources.tidy import OPTIONAL_FILES

    cache = Path(cache)
    files = []
    for table_id in TABLES:
        folder = table_folder(cache, table_id)
        if folder.is_dir():
            files.extend(sorted(folder.glob("*.json")))
    if files:
        regional = regional_dir(cache)
        files.extend(
            regional / name for name in OPTIONAL_FILES.values() if (regional / name).is_file()
        )
    return files


def table_folder(cache, key: str) -> Path:
    """The cache folder of registry entry ``key``: ``<cache>/<key>/``, or a folder an earlier
    version wrote it to (:data:`LEGACY_FOLDERS`) when only that exists."""
    folder = Path(cache) / key
    if not folder.is_dir():
        for legacy in LEGACY_FOLDERS.get(key, ()):
            if (Path(cache) / legacy).is_dir():
                return Path(cache) / legacy
    return folder


def _read_json(path: Path, expected: type = list, table_id: str | None = None):
    """Read one JSON file of the cache and check its shape: a list of records (``expected=list``)
    or one object (``dict``)."""
    shown = f"{table_id}/{path.name}" if table_id else path
    require_regular_file(path)  # a named pipe would block the read forever
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        error = SourceNotAvailableError(
            f"{path} is missing: the CBS download is incomplete. Run 'rvs fetch' again."
        )
        error.path = path
        raise error from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataValidationError(shown, None, None, f"not valid JSON ({error})") from error
    except RecursionError:
        raise DataValidationError(
            shown, None, None, "JSON nested too deeply to be a CBS table part"
        ) from None
    if expected is dict and not isinstance(value, dict):
        raise DataValidationError(
            shown, None, None, f"expected a JSON object, found {json_kind(value)}"
        )
    if expected is list:
        if not isinstance(value, list):
            raise DataValidationError(
                shown, None, None, f"expected a list of records, found {json_kind(value)}"
            )
        bad = [position for position, row in enumerate(value) if not isinstance(row, dict)]
        if bad:
            raise DataValidationError(
                shown, None, bad[0] + 1, f"expected a record, found {json_kind(value[bad[0]])}"
            )
    return value


@dataclass
class CbsTable:
    """One table as read from the cache: its typed data, properties and dimension lists."""

    table_id: str
    folder: Path
    properties: pd.DataFrame
    data: pd.DataFrame
    dimensions: dict[str, pd.DataFrame]
    fetch_record: dict

    def file(self, name: str) -> str:
        return f"{self.table_id}/{name}"

    @property
    def cbs_id(self) -> str:
        """CBS's identifier of the table (``fetch.json``'s ``table``; else the folder's name,
        which is the identifier for every table whose identifier is fixed)."""
        value = self.fetch_record.get("table")
        return value.strip() if isinstance(value, str) and value.strip() else self.table_id

    def dimension_key(self, kind: str) -> str:
        """The key of the one dimension of type ``kind`` (``GeoDimension``, ``TimeDimension``)."""
        keys = list(self.properties.loc[self.properties["Type"] == kind, "Key"])
        if len(keys) != 1:
            raise DataValidationError(
                self.file("DataProperties.json"),
                "Type",
                None,
                f"expected exactly one {kind}, found {len(keys)}",
            )
        return keys[0]

    def topics(self, spec: TableSpec | None = None) -> dict[str, str]:
        """The key of each topic of ``spec`` (default: this table's entry in :data:`TABLES`),
        resolved by title (:func:`resolve_topics`), each checked to be a column of the data set.

        Raises
        ------
        DataValidationError
            When a required topic is not in DataProperties, or a resolved topic has no column in
            ``TypedDataSet.json`` (a download without the topics the suite reads).
        """
        spec = spec or TABLES[self.table_id]
        found = resolve_topics(self.properties, spec, file="DataProperties.json")
        titles = self.properties.set_index("Key")["Title"]
        for key in found.values():
            if key not in self.data.columns:
                raise DataValidationError(
                    self.file("TypedDataSet.json"),
                    key,
                    None,
                    f"the topic '{titles.get(key, key)}' the suite reads has no column in the data set",
                )
        return found

    def other_dimension_keys(self) -> list[str]:
        return list(self.properties.loc[self.properties["Type"] == "Dimension", "Key"])

    def topic(self, include: str, exclude: str | None = None, required: bool = True) -> str | None:
        """The key of the one topic whose title matches ``include`` (regex, case-insensitive)."""
        topics = self.properties.loc[self.properties["Type"] == "Topic"]
        titles = topics["Title"].fillna("")
        match = titles.str.contains(include, case=False, regex=True)
        if exclude:
            match &= ~titles.str.contains(exclude, case=False, regex=True)
        keys = list(topics.loc[match, "Key"])
        if len(keys) == 1:
            return keys[0]
        if not keys and not required:
            return None
        raise DataValidationError(
            self.file("DataProperties.json"),
            "Title",
            None,
            f"expected one topic titled like /{include}/, found {len(keys)} "
            f"({', '.join(titles[match]) or 'none'})",
        )


def read_table(folder) -> CbsTable:
    """Read one table of the cache (``<cache>/<table>/``) as cbsodata wrote it, and check its shape.

    Parameters
    ----------
    folder : str or pathlib.Path

    Returns
    -------
    CbsTable
        ``data`` holds the TypedDataSet with dimension keys stripped of padding (values unchanged,
        ``null`` as NaN); ``dimensions`` maps each dimension key to its ``Key``/``Title`` (/``Status``)
        list; ``properties`` is DataProperties.

    Raises
    ------
    SourceNotAvailableError
        When ``DataProperties.json``, ``TypedDataSet.json`` or the time dimension's list
        (``Perioden.json``, which says which periods are provisional) is missing.
    DataValidationError
        For the first part of the wrong shape (:func:`check_parts`), naming the file, the field and
        the row.
    """
    folder = Path(folder)
    table_id = folder.name
    raw_properties = _read_json(folder / "DataProperties.json", table_id=table_id)
    properties = pd.DataFrame(raw_properties)
    for column in ("Key", "Type"):
        if column not in properties.columns:
            raise DataValidationError(
                f"{table_id}/DataProperties.json", column, None, "required field is missing"
            )
    check_properties(raw_properties, f"{table_id}/DataProperties.json")
    if "Title" not in properties.columns:
        properties["Title"] = properties["Key"]
    typed_path = folder / "TypedDataSet.json"
    if not typed_path.exists() and (folder / "UntypedDataSet.json").exists():
        raise SourceNotAvailableError(
            f"{folder} holds an untyped download; the suite reads the TypedDataSet. Run 'rvs fetch' "
            "again."
        )
    records = _read_json(typed_path, table_id=table_id)
    check_rows(records, f"{table_id}/TypedDataSet.json")
    data = pd.DataFrame.from_records(records)
    dimensions = {}
    for key, kind in properties.loc[
        properties["Type"].isin(_DIMENSION_TYPES), ["Key", "Type"]
    ].itertuples(index=False):
        if key not in data.columns:
            raise DataValidationError(
                f"{table_id}/TypedDataSet.json", key, None, "dimension column is missing"
            )
        check_text(data[key], f"{table_id}/TypedDataSet.json", key, "a dimension key")
        data[key] = clean.strip_keys(data[key])
        path = folder / f"{key}.json"
        # The time dimension's list is required: its Status says which periods are provisional.
        raw = (
            _read_json(path, table_id=table_id) if path.exists() or kind == "TimeDimension" else []
        )
        check_listing(raw, f"{table_id}/{key}.json")
        listing = pd.DataFrame(raw)
        if not listing.empty:
            listing["Key"] = clean.strip_keys(listing["Key"])
            unknown = ~data[key].isin(set(listing["Key"]))
            if unknown.any():
                row = int(np.flatnonzero(unknown.to_numpy())[0])
                raise DataValidationError(
                    f"{table_id}/TypedDataSet.json",
                    key,
                    row + 1,
                    f"key not in the dimension list {key}.json",
                    data[key].iloc[row],
                )
        dimensions[key] = listing
    check_topic_values(properties, data, f"{table_id}/TypedDataSet.json")
    fetch_path = folder / "fetch.json"
    fetch_record = _read_json(fetch_path, dict, table_id) if fetch_path.exists() else {}
    return CbsTable(table_id, folder, properties, data, dimensions, fetch_record)


def _periods(table: CbsTable, kind: str) -> pd.DataFrame:
    """Parsed periods of the table's rows plus a provisional flag from the period list."""
    key = table.dimension_key("TimeDimension")
    parsed = clean.parse_periods(table.data[key], table.file("TypedDataSet.json"), key)
    listing = table.dimensions.get(key, pd.DataFrame())
    provisional = pd.Series(False, index=table.data.index)
    if not listing.empty:
        status = listing.get("Status", pd.Series("", index=listing.index)).fillna("")
        title = listing.get("Title", pd.Series("", index=listing.index)).fillna("")
        flagged = set(
            listing.loc[
                status.str.contains("voorlopig", case=False) | title.str.strip().str.endswith("*"),
                "Key",
            ]
        )
        provisional = table.data[key].isin(flagged)
    parsed["provisional"] = provisional.to_numpy()
    return parsed.loc[parsed["period_kind"] == kind]


def _labels(table: CbsTable, key: str) -> pd.Series:
    listing = table.dimensions.get(key, pd.DataFrame())
    if listing.empty:
        return pd.Series(dtype=str)
    return listing.set_index("Key")["Title"]


def _municipal_rows(table: CbsTable, kind: str = "year") -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of municipalities and periods of ``kind``, with their 1-based rows in TypedDataSet."""
    geo = table.dimension_key("GeoDimension")
    periods = _periods(table, kind)
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
    """Crime and offence frames from 47018NED (registered offences per municipality and year)."""
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
    labels = _labels(table, offence_key)
    codes = sorted(crime["offence_code"].unique())
    offences = pd.DataFrame(
        {"offence_code": codes, "offence_label": [labels.get(code, "") for code in codes]}
    )
    return crime, offences


def read_population(table: CbsTable) -> pd.DataFrame:
    """Population per municipality and year from 70072ned (each year's own boundaries).

    See :func:`read_population_basis` for which topic it is and when it falls back.
    """
    return read_population_basis(table)[0]


def read_population_basis(table: CbsTable) -> tuple[pd.DataFrame, dict]:
    """Population per municipality and year from 70072ned, and which topic it is.

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
    """Monthly registered offences per municipality from 47022NED."""
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
    periods = _periods(table, "year")
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
    """Registered and cleared offences (and suspects) per offence group from 83648NED."""
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
    labels = _labels(table, offence_key)
    codes = sorted(validated["offence_code"].unique())
    groups = pd.DataFrame(
        {"offence_code": codes, "offence_label": [labels.get(code, "") for code in codes]}
    )
    return validated, groups


API_OF_CBSODATA = "OData v3 Feed"
"""The API of a table fetched before ``fetch.json`` recorded it: cbsodata reads CBS's bulk feed
(``ODataFeed``)."""


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
        listing = _read_json(path, table_id=table.table_id)
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
    """Read ``table`` with the reader of its registry entry (its folder name), as :func:`load_cbs`
    would, so that a download is refused before the swap for what the next offline read would
    refuse (:mod:`rvs_analysis.sources.cbs_check`). Municipality codes are not checked against the
    population table here.

    Returns
    -------
    object
        What the reader returns (frames); the caller only needs it not to raise.
    """
    from rvs_analysis.sources import cbs_open

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
    }
    return readers[table.table_id]()


def _read_regional(folder: Path, known_codes) -> dict[str, pd.DataFrame]:
    """The region's own files (``data/templates/`` layout) that exist in ``folder``, validated."""
    from rvs_analysis.sources.tidy import OPTIONAL_FILES, _read_validated

    frames = {}
    for kind, name in OPTIONAL_FILES.items():
        path = folder / name
        if path.is_file():
            codes = known_codes if kind in ("cleared", "monthly", "survey") else None
            frames[kind] = _read_validated([path], kind, codes)
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
                {str(k).strip(): str(v).strip() for k, v in _labels(tables[table_id], geo).items()}
            )
    if estimates:
        optional["survey_estimates"] = pd.concat(estimates, ignore_index=True)
    from rvs_analysis.sources import cbs_open

    national = cbs_open.read_national(
        crime_table,
        _offence_dimension(crime_table),
        crime_table.topics(TABLES[CRIME_TABLE])["registered"],
    )
    police_units = None
    if table_folder(cache, AREAS_TABLE).is_dir():
        tables[AREAS_TABLE] = read_table(table_folder(cache, AREAS_TABLE))
        police_units = cbs_open.read_police_units(tables[AREAS_TABLE])
    regional = _read_regional(regional_dir(cache), known)
    for kind, frame in optional.items():
        regional.setdefault(kind, frame)
    if "cleared" in regional:
        cleared = _combine_cleared(cleared, regional.pop("cleared"))
    described = {table.cbs_id: table_provenance(table) for table in tables.values()}
    provenance = {
        "source": "cbs",
        "version": version,
        "files": [path.relative_to(cache.parent).as_posix() for path in input_files(cache)],
        "tables": described,
        "roles": {key: table.cbs_id for key, table in tables.items()},
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
