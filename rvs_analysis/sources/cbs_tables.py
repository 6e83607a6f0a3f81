"""The CBS tables the suite reads and the cache layout they are read from.

One module that :mod:`~rvs_analysis.sources.cbs` (the readers and the loader),
:mod:`~rvs_analysis.sources.cbs_fetch` (the download), :mod:`~rvs_analysis.sources.cbs_check` and
:mod:`~rvs_analysis.sources.cbs_open` import, so that none of them imports another for the table
specs: the registry (:data:`TABLES`, :class:`TableSpec`, :class:`Topic`), the fetch limits, and the
cache layout reader (:func:`read_table` -> :class:`CbsTable`, :func:`periods`, :func:`labels`).
The tables and the reading rules are described in :mod:`rvs_analysis.sources.cbs`.
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
from rvs_analysis.resources import data_path
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
    every_edition: bool = False
    """With ``title``: also the edition nearest to each year of the wijk and buurt figures
    (``wijkbuurt_jaar``), each in ``<key>/editions/<edition>/``."""
    route: str = "odata3"
    """How the table is downloaded: a key of :data:`rvs_analysis.sources.cbs_fetch.ROUTES`
    (``odata3``: CBS's OData v3 bulk feed with the cbsodata client; ``pdok``: PDOK's OGC API
    Features for polygons)."""
    table: str | None = None
    """CBS's identifier when the registry key is not it: the wijk and buurt rows of 47018NED are
    an entry (and a cache folder) of their own beside its municipal rows."""
    offence_codes: tuple[str, ...] = ()
    """With ``offences``: these codes instead of :func:`needed_offence_codes`."""
    municipalities: bool = False
    """Only the rows of the region's municipalities (``data/regions/municipalities.csv``, any
    year): a wijk or buurt code starts with its municipality's four digits, so the filter is
    ``startswith(<geo>,'WK0344') or startswith(<geo>,'BU0344') or ...``."""

    @property
    def table_id(self) -> str | None:
        """CBS's identifier when it is fixed; ``None`` when it is found by title in the catalog."""
        return None if self.title else (self.table or self.key)


_REGISTERED = Topic("registered", r"geregistreerde misdrijven", _COUNT_EXCLUDE)
NEIGHBOURHOOD_OFFENCES = (
    "0.0.0",
    "1.1.1",
    "1.1.2",
    "1.2.1",
    "1.2.2",
    "1.2.3",
    "1.4.2",
    "1.4.4",
    "1.4.5",
    "2.2.1",
    "2.5.1",
    "3.1.1",
    "3.1.3",
)
"""The offence codes of the wijk and buurt downloads: the total and the twelve types of the demo's
wijk and buurt data (:mod:`rvs_analysis.sources.demo_neighbourhoods`)."""
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
    "wijkbuurt_jaar": TableSpec(
        "wijkbuurt_jaar",
        "dataderden.cbs.nl",
        "registered offences per wijk and buurt of the region's municipalities and year (47018NED; "
        "optional)",
        topics=(_REGISTERED,),
        regions=("WK", "BU"),
        offences=True,
        offence_codes=NEIGHBOURHOOD_OFFENCES,
        municipalities=True,
        table="47018NED",
    ),
    "wijkbuurt_maand": TableSpec(
        "wijkbuurt_maand",
        "dataderden.cbs.nl",
        "registered offences per wijk and buurt of the region's municipalities and month "
        "(47022NED; optional)",
        period="MM",
        topics=(_REGISTERED,),
        regions=("WK", "BU"),
        offences=True,
        offence_codes=NEIGHBOURHOOD_OFFENCES,
        municipalities=True,
        table="47022NED",
    ),
    "kerncijfers_wijkbuurt": TableSpec(
        "kerncijfers_wijkbuurt",
        "opendata.cbs.nl",
        "Kerncijfers wijken en buurten <year> (a new identifier every year, found by title in the "
        "catalog: the newest edition not later than the codes' boundary year and the edition "
        "nearest to each year of the wijk and buurt figures): inhabitants per wijk and buurt of "
        "the region's municipalities (optional)",
        period="",
        topics=(Topic("population", r"^aantal inwoners$"),),
        regions=("WK", "BU"),
        municipalities=True,
        title=r"^Kerncijfers wijken en buurten (?P<edition>\d{4})$",
        every_edition=True,
    ),
    "wijkbuurt_grenzen": TableSpec(
        "wijkbuurt_grenzen",
        "api.pdok.nl",
        "CBS's generalised wijk and buurt boundaries from PDOK (OGC API Features 'CBS "
        "Gebiedsindelingen', else the full-detail 'CBS Wijken en Buurten <year>'; the year of the "
        "wijk and buurt codes of 47018NED or the nearest earlier one): wijk and buurt polygons of "
        "the region's municipalities for the maps (optional; a report without them has no map)",
        period="",
        regions=("WK", "BU"),
        municipalities=True,
        route="pdok",
    ),
}
"""Every table ``rvs fetch`` downloads."""

NEIGHBOURHOOD_TABLES = ("wijkbuurt_jaar", "wijkbuurt_maand", "kerncijfers_wijkbuurt")
"""The wijk and buurt entries (optional: a fetch without them still gives the municipal reports)."""
DEFAULT_TABLES: tuple[str, ...] = tuple(TABLES)
"""The tables ``rvs fetch`` downloads when none are named: every table the notebooks use, the
wijk and buurt tables included."""

BOUNDARIES_TABLE = "wijkbuurt_grenzen"
"""The cache folder of the wijk and buurt polygons (``neighbourhoods.geojson``, from PDOK's
generalised CBS Gebiedsindelingen)."""
CRIME_TABLE, POPULATION_TABLE, CLEARED_TABLE = "47018NED", "70072ned", "83648NED"
MONTHLY_TABLE = "47022NED"
AREAS_TABLE = "gebieden"
"""CBS "Gebieden in Nederland <year>" (municipality -> police unit): the registry key and cache
folder; CBS's identifier changes every edition (85755NED for 2024) and is in its ``fetch.json``."""
LEGACY_FOLDERS = {AREAS_TABLE: ("85755NED",)}
"""Cache folders earlier versions wrote a registry entry to (``85755NED`` before the edition was
found by title); read when the entry's own folder is absent, until the next fetch."""
SURVEY_TABLES = ("81877NED", "85146NED")
DIMENSION_TYPES = ("Dimension", "GeoDimension", "TimeDimension")

SUITE_OFFENCES = ("0.0.0", "1.1.1", "1.4.6", "1.4.7")
"""Offence codes the reports read directly (totals, burglary, street robbery, robbery); the crime
change report adds those of ``data/crime_change_classification.csv``."""


def needed_offence_codes() -> list[str]:
    """The 47018NED offence codes the suite reads.

    Returns
    -------
    list of str
        :data:`SUITE_OFFENCES` plus every code of ``data/crime_change_classification.csv`` (codes the
        table does not have, such as the region's own ``RVS.*`` series, are simply not found),
        sorted.
    """
    codes = set(SUITE_OFFENCES)
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


def read_json(path: Path, expected: type = list, table_id: str | None = None):
    """Read one JSON file of the cache and check its shape.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    expected : type
        ``list`` for a list of records, ``dict`` for one object.
    table_id : str, optional
        The table, for messages (``47018NED/Perioden.json``).

    Returns
    -------
    list or dict
        The parsed JSON.

    Raises
    ------
    SourceNotAvailableError
        When the file is missing (an incomplete download).
    DataValidationError
        When it is not valid JSON or not of the expected shape.
    """
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


def read_table(folder, key: str | None = None) -> CbsTable:
    """Read one table of the cache (``<cache>/<table>/``) as cbsodata wrote it, and check its shape.

    Parameters
    ----------
    folder : str or pathlib.Path
    key : str, optional
        The registry key the table is read as (default the folder's name; an extra edition is in
        ``<key>/editions/<year>/``).

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
    table_id = key or folder.name
    raw_properties = read_json(folder / "DataProperties.json", table_id=table_id)
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
    records = read_json(typed_path, table_id=table_id)
    check_rows(records, f"{table_id}/TypedDataSet.json")
    data = pd.DataFrame.from_records(records)
    dimensions = {}
    for key, kind in properties.loc[
        properties["Type"].isin(DIMENSION_TYPES), ["Key", "Type"]
    ].itertuples(index=False):
        if key not in data.columns:
            raise DataValidationError(
                f"{table_id}/TypedDataSet.json", key, None, "dimension column is missing"
            )
        check_text(data[key], f"{table_id}/TypedDataSet.json", key, "a dimension key")
        data[key] = clean.strip_keys(data[key])
        path = folder / f"{key}.json"
        # The time dimension's list is required: its Status says which periods are provisional.
        raw = read_json(path, table_id=table_id) if path.exists() or kind == "TimeDimension" else []
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
    fetch_record = read_json(fetch_path, dict, table_id) if fetch_path.exists() else {}
    return CbsTable(table_id, folder, properties, data, dimensions, fetch_record)


def period_rows(table: CbsTable, kind: str) -> pd.DataFrame:
    """Parsed periods of the table's rows plus a provisional flag from the period list.

    Parameters
    ----------
    table : CbsTable
        The table as read from the cache.
    kind : str
        The period kind to keep: ``year``, ``month`` or ``quarter``.

    Returns
    -------
    pandas.DataFrame
        One row per data row of that kind (the data's index): ``year``, ``period_kind``,
        ``period_number`` (as :func:`rvs_analysis.clean.parse_periods` gives them) and
        ``provisional`` (the period list's ``Status`` says "voorlopig" or its title ends in ``*``).
    """
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


def dimension_labels(table: CbsTable, key: str) -> pd.Series:
    """The titles of a dimension's keys, from its list.

    Parameters
    ----------
    table : CbsTable
        The table as read from the cache.
    key : str
        The dimension's key (``SoortMisdrijf``).

    Returns
    -------
    pandas.Series
        Title by key; empty when the table has no list for the dimension.
    """
    listing = table.dimensions.get(key, pd.DataFrame())
    if listing.empty:
        return pd.Series(dtype=str)
    return listing.set_index("Key")["Title"]
