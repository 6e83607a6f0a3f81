"""CBS open data: download with ``cbsodata`` into a cache, read it offline from there.

``rvs fetch`` (:func:`fetch`) downloads each table into ``<cache>/<table>/`` in cbsodata's own layout:
one JSON file per OData part (``TableInfos.json``, ``DataProperties.json``, ``TypedDataSet.json``,
one file per dimension such as ``RegioS.json`` and ``Perioden.json``), with CBS's padded keys and
period codes as they come, plus ``fetch.json`` (catalog, filter, time of retrieval). It downloads into
a temporary folder next to the cache and swaps it in only when complete, so a failed fetch never damages
what was there. Everything else reads the cache offline (:func:`load_cbs`).

The tables and why the suite needs them
---------------------------------------
``47018NED`` (catalog ``dataderden.cbs.nl``: figures CBS publishes for the police)
    Registered offences per municipality (and district/neighbourhood) and year by offence type
    (SoortMisdrijf keys such as ``1.1.1`` residential burglary). Counts only: no cleared offences, no
    suspects. CBS recodes every year to its newest municipal boundaries. The suite downloads the
    municipal rows and yearly periods only (a filter built from the table's own dimension keys).
``70072ned`` (catalog ``opendata.cbs.nl``)
    Regional key figures: the population per municipality and year, on each year's own boundaries
    (the denominators of every rate; harmonised in :mod:`rvs_analysis.regions`).
``83648NED`` (catalog ``opendata.cbs.nl``)
    Registered and cleared offences and suspects per municipality, but only for offence *groups*:
    there is no residential-burglary level, so the burglary clearance rate per municipality is not in
    open data (see ``data/templates/``).

Optional tables (``rvs fetch --tables ...``): ``47022NED`` (dataderden; monthly registered offences,
counts only) and ``85146NED`` (Veiligheidsmonitor: perceived safety with 95% margins as a dimension,
for police units and only the larger municipalities; the 2021 redesign broke the series). They are
downloaded into the same layout; the suite reads local survey figures from the region's own CSV
(``data/templates/``) where the Veiligheidsmonitor has no municipal estimate.

Reading rules
-------------
Column names are resolved from ``DataProperties.json`` (``Key``, ``Title``, ``Type``): dimensions by
their type (``GeoDimension``, ``TimeDimension``, ``Dimension``) and topics by their title, never by a
hard-coded key suffix (CBS renumbers ``..._1``, ``..._2`` between table versions). Values come from the
``TypedDataSet``; ``null`` means "not published" and stays missing, never zero. Keys are stripped of
CBS's padding, period codes are parsed (``2016JJ00``, ``2016MM01``, ``2016KW01``) and a period whose
``Status`` is provisional (or whose title ends in ``*``) marks its counts provisional.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rvs_analysis import clean
from rvs_analysis.exceptions import DataValidationError, FetchError, SourceNotAvailableError
from rvs_analysis.sources.base import Dataset

DEFAULT_TIMEOUT = 10.0
"""Seconds a single HTTP connect or read may take before the fetch gives up."""


@dataclass(frozen=True)
class TableSpec:
    """A CBS table the suite knows: where it lives and what it is for."""

    table_id: str
    catalog: str
    purpose: str
    period: str = "JJ"
    """Period code kind to download (``JJ`` years, ``MM`` months)."""
    municipal_only: bool = True
    """Download only rows whose region key is a municipality (``GM...``)."""


TABLES: dict[str, TableSpec] = {
    "47018NED": TableSpec(
        "47018NED",
        "dataderden.cbs.nl",
        "registered offences per municipality and year by offence type (counts only)",
    ),
    "70072ned": TableSpec(
        "70072ned",
        "opendata.cbs.nl",
        "population per municipality and year, on each year's own boundaries (denominators)",
    ),
    "83648NED": TableSpec(
        "83648NED",
        "opendata.cbs.nl",
        "registered and cleared offences and suspects per municipality, offence groups only",
    ),
    "47022NED": TableSpec(
        "47022NED",
        "dataderden.cbs.nl",
        "monthly registered offences per municipality (counts only; optional)",
        period="MM",
    ),
    "85146NED": TableSpec(
        "85146NED",
        "opendata.cbs.nl",
        "Veiligheidsmonitor estimates with 95% margins; police units and larger municipalities "
        "(optional; series break in 2021)",
        municipal_only=False,
    ),
}
"""Every table ``rvs fetch`` can download."""

DEFAULT_TABLES: tuple[str, ...] = ("47018NED", "70072ned", "83648NED")
"""The tables ``rvs fetch`` downloads when none are named: the ones the reports need."""

CRIME_TABLE, POPULATION_TABLE, CLEARED_TABLE = "47018NED", "70072ned", "83648NED"
_DIMENSION_TYPES = ("Dimension", "GeoDimension", "TimeDimension")


# ----------------------------------------------------------------------------------------------
# Fetch
# ----------------------------------------------------------------------------------------------


def _download_filter(table_id: str, spec: TableSpec, catalog: str, timeout: float) -> str:
    """An OData filter for the rows the suite needs, built from the table's own dimension keys."""
    import cbsodata

    properties = cbsodata.get_meta(table_id, "DataProperties", catalog_url=catalog, timeout=timeout)
    parts = []
    for prop in properties:
        if prop.get("Type") == "GeoDimension" and spec.municipal_only:
            parts.append(f"substringof('GM',{prop['Key']})")
        if prop.get("Type") == "TimeDimension" and spec.period:
            parts.append(f"substringof('{spec.period}',{prop['Key']})")
    return " and ".join(parts)


def _download(table_id: str, spec: TableSpec, folder: Path, catalog: str, timeout: float) -> dict:
    import cbsodata

    filters = _download_filter(table_id, spec, catalog, timeout) or None
    cbsodata.download_data(
        table_id, dir=str(folder), typed=True, filters=filters, catalog_url=catalog, timeout=timeout
    )
    record = {
        "table": table_id,
        "catalog": catalog,
        "filter": filters,
        "retrieved": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "cbsodata": getattr(cbsodata, "__version__", "unknown"),
        "purpose": spec.purpose,
    }
    (folder / "fetch.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return record


def _check_reachable(catalog: str, timeout: float) -> None:
    """Connect to the catalog's host once, with a hard deadline, before anything is downloaded.

    Socket timeouts do not bound name resolution; the connection attempt therefore runs in a
    daemon thread and the fetch gives up when it has not answered within ``timeout`` seconds. Behind
    a proxy (``https_proxy``) the proxy is probed instead.
    """
    import urllib.parse

    import requests

    target = catalog.partition("/")[0]
    proxy = requests.utils.get_environ_proxies(f"https://{target}/").get("https")
    if proxy:
        parsed = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        target = f"{parsed.hostname}:{parsed.port or 80}"
    host, _, port = target.partition(":")
    outcome: list[BaseException | None] = []

    def attempt():
        try:
            socket.create_connection((host, int(port or 443)), timeout=timeout).close()
            outcome.append(None)
        except OSError as error:
            outcome.append(error)

    worker = threading.Thread(target=attempt, name=f"rvs-fetch-probe-{host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise TimeoutError(f"no answer from {host} within {timeout:g} s")
    if outcome[0] is not None:
        raise outcome[0]


def _swap_in(new_folder: Path, target: Path) -> None:
    """Replace ``target`` by ``new_folder`` with renames only (same file system)."""
    old = None
    if target.exists():
        old = target.with_name(f".old-{target.name}-{new_folder.name}")
        target.rename(old)
    try:
        new_folder.rename(target)
    except OSError:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def fetch(
    tables=None,
    cache="data/raw",
    timeout: float = DEFAULT_TIMEOUT,
    catalogs: dict[str, str] | None = None,
) -> list[dict]:
    """Download CBS tables into ``<cache>/<table>/`` in cbsodata's layout.

    Parameters
    ----------
    tables : iterable of str, optional
        Table identifiers (keys of :data:`TABLES`); default :data:`DEFAULT_TABLES`.
    cache : str or pathlib.Path, default "data/raw"
    timeout : float, default 10
        Seconds any single connect or read may take.
    catalogs : dict, optional
        Catalog host per table, overriding :data:`TABLES` (for a mirror or a test).

    Returns
    -------
    list of dict
        The ``fetch.json`` record of each table.

    Raises
    ------
    FetchError
        When a download fails (no network, CBS unreachable, a table that does not exist); tables
        fetched before it are kept, the failed one leaves the cache as it was.
    """
    import requests

    tables = list(tables or DEFAULT_TABLES)
    unknown = [table for table in tables if table not in TABLES]
    if unknown:
        raise FetchError(
            f"Unknown CBS table {', '.join(unknown)}. Known tables: {', '.join(TABLES)}."
        )
    cache = Path(cache)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FetchError(f"Cannot create the cache folder {cache}: {error.strerror}.") from error
    records = []
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        for table_id in tables:
            spec = TABLES[table_id]
            catalog = (catalogs or {}).get(table_id, spec.catalog)
            temporary = Path(tempfile.mkdtemp(prefix=f".fetch-{table_id}-", dir=cache))
            try:
                _check_reachable(catalog, timeout)
                records.append(_download(table_id, spec, temporary, catalog, timeout))
                _swap_in(temporary, cache / table_id)
            except (requests.RequestException, OSError, ValueError, KeyError) as error:
                shutil.rmtree(temporary, ignore_errors=True)
                reason = str(error).splitlines()[0] if str(error) else type(error).__name__
                if len(reason) > 300:
                    reason = reason[:300] + "..."
                raise FetchError(
                    f"Could not download CBS table {table_id} from {catalog} "
                    f"({type(error).__name__}: {reason}). Check the network connection (and the "
                    f"https_proxy setting, if you are behind a proxy) and run 'rvs fetch' again; "
                    f"the cache {cache} was left as it was"
                    + (
                        f", and {len(records)} table(s) fetched before it were kept."
                        if records
                        else "."
                    )
                ) from error
            finally:
                if temporary.exists():
                    shutil.rmtree(temporary, ignore_errors=True)
    finally:
        socket.setdefaulttimeout(previous_timeout)
    return records


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
        folder = cache / table_id
        if folder.is_dir():
            files.extend(sorted(folder.glob("*.json")))
    if files:
        regional = regional_dir(cache)
        files.extend(
            regional / name for name in OPTIONAL_FILES.values() if (regional / name).is_file()
        )
    return files


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceNotAvailableError(
            f"{path} is missing: the CBS download is incomplete. Run 'rvs fetch' again."
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataValidationError(path, None, None, f"not valid JSON ({error})") from error


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
    """Read one table of the cache (``<cache>/<table>/``) as cbsodata wrote it.

    Parameters
    ----------
    folder : str or pathlib.Path

    Returns
    -------
    CbsTable
        ``data`` holds the TypedDataSet with dimension keys stripped of padding (values unchanged,
        ``null`` as NaN); ``dimensions`` maps each dimension key to its ``Key``/``Title`` (/``Status``)
        list; ``properties`` is DataProperties.
    """
    folder = Path(folder)
    table_id = folder.name
    properties = pd.DataFrame(_read_json(folder / "DataProperties.json"))
    for column in ("Key", "Type"):
        if column not in properties.columns:
            raise DataValidationError(
                folder / "DataProperties.json", column, None, "required field is missing"
            )
    if "Title" not in properties.columns:
        properties["Title"] = properties["Key"]
    typed_path = folder / "TypedDataSet.json"
    if not typed_path.exists() and (folder / "UntypedDataSet.json").exists():
        raise SourceNotAvailableError(
            f"{folder} holds an untyped download; the suite reads the TypedDataSet. Run 'rvs fetch' "
            "again."
        )
    records = _read_json(typed_path)
    data = pd.DataFrame.from_records(records)
    dimensions = {}
    for key in properties.loc[properties["Type"].isin(_DIMENSION_TYPES), "Key"]:
        if key not in data.columns:
            raise DataValidationError(typed_path, key, None, "dimension column is missing")
        data[key] = clean.strip_keys(data[key])
        path = folder / f"{key}.json"
        listing = pd.DataFrame(_read_json(path)) if path.exists() else pd.DataFrame()
        if not listing.empty:
            listing["Key"] = clean.strip_keys(listing["Key"])
        dimensions[key] = listing
    fetch_path = folder / "fetch.json"
    fetch_record = _read_json(fetch_path) if fetch_path.exists() else {}
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
    topic = table.topic(r"geregistreerde misdrijven", exclude=r"per 1 ?000|relatief|inwoners")
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

    Notes
    -----
    The topic titled "Gemiddelde bevolking" (average population over the year) is used when the table
    has it, otherwise "Totale bevolking" (population on 1 January).
    """
    topic = table.topic(r"^gemiddelde bevolking", required=False) or table.topic(
        r"^totale bevolking"
    )
    data, rows = _municipal_rows(table)
    frame = pd.DataFrame(
        {"gemeente_code": data["gemeente_code"], "year": data["year"], "population": data[topic]}
    )
    return clean.validate_frame(
        "population", frame, table.file("TypedDataSet.json"), row_numbers=rows
    )


def read_cleared(table: CbsTable, known_codes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Registered and cleared offences (and suspects) per offence group from 83648NED."""
    offence_key = _offence_dimension(table)
    exclude = r"per 1 ?000|relatief|inwoners|%"
    registered = table.topic(r"geregistreerde misdrijven", exclude=exclude)
    cleared = table.topic(r"opgehelderde misdrijven", exclude=exclude)
    suspects = table.topic(r"verdachten", exclude=exclude, required=False)
    data, rows = _municipal_rows(table)
    frame = pd.DataFrame(
        {
            "gemeente_code": data["gemeente_code"],
            "year": data["year"],
            "offence_code": data[offence_key],
            "registered_offences": data[registered],
            "cleared_offences": data[cleared],
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
        fetched (offence-group codes, not the 47018NED keys). ``crime_boundary_year`` is the
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
    population = read_population(population_table)
    known = clean.known_municipality_codes(population)
    crime_table = read_table(cache / CRIME_TABLE)
    crime, offences = read_crime(crime_table, known)
    tables = {CRIME_TABLE: crime_table, POPULATION_TABLE: population_table}
    cleared = None
    if (cache / CLEARED_TABLE).is_dir():
        cleared_table = read_table(cache / CLEARED_TABLE)
        cleared, _groups = read_cleared(cleared_table, known)
        tables[CLEARED_TABLE] = cleared_table
    regional = _read_regional(regional_dir(cache), known)
    if "cleared" in regional:
        cleared = _combine_cleared(cleared, regional.pop("cleared"))
    retrieved = {
        table_id: table.fetch_record.get("retrieved") for table_id, table in tables.items()
    }
    provenance = {
        "source": "cbs",
        "version": version,
        "files": [path.relative_to(cache.parent).as_posix() for path in input_files(cache)],
        "tables": {
            table_id: {
                "catalog": table.fetch_record.get("catalog", TABLES[table_id].catalog),
                "purpose": TABLES[table_id].purpose,
            }
            for table_id, table in tables.items()
        },
        "retrieved": retrieved,
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
