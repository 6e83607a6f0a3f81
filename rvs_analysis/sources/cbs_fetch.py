"""``rvs fetch``: download CBS tables with the real ``cbsodata`` client into the cache, all or nothing.

The tables, their topics and filters are declared in :mod:`rvs_analysis.sources.cbs`
(:data:`~rvs_analysis.sources.cbs.TABLES`); this module does the network part: the connectivity
probe and proxies, the stall and overall limits on every socket read, the typed data set checked on
disk, and the staging folder swapped in when every table is complete. See the module docstring of
:mod:`rvs_analysis.sources.cbs` ("How the fetch works").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import cbsodata
import cbsodata.cbsodata3 as cbsodata3
import requests

from rvs_analysis.exceptions import (
    DataValidationError,
    FetchError,
    OtherHostError,
    SourceNotAvailableError,
    TableFailedError,
    TooManyRequestsError,
)
from rvs_analysis.region_tables import municipality_table
from rvs_analysis.sources.cbs_catalog import choose_edition, nearest_editions
from rvs_analysis.sources.cbs_check import check_download, data_years
from rvs_analysis.sources.cbs_parts import check_listing, check_properties
from rvs_analysis.sources.cbs_tables import (
    CONNECT_TIMEOUT,
    CRIME_TABLE,
    DEFAULT_TABLES,
    DEFAULT_TIMEOUT,
    DIMENSION_TYPES,
    PROGRESS_BYTES,
    STALL_LIMIT,
    TABLES,
    TableSpec,
    needed_offence_codes,
    resolve_topics,
)
from rvs_analysis.sources.pdok_boundaries import PdokRoute

# ----------------------------------------------------------------------------------------------
# Fetch: limits
# ----------------------------------------------------------------------------------------------


class _Limits:
    """The overall deadline and the stall limit of one fetch, enforced on every socket read.

    While a fetch runs, reads and writes on sockets of the fetching thread pass through
    :class:`_SocketWatch`: before each read the socket's timeout is set to what is left of both
    limits, and after it the bytes received count towards progress. Fewer than
    :data:`PROGRESS_BYTES` bytes within ``stall`` seconds (since the last progress or the last
    request sent) is a stall, even when a byte trickles in every few seconds.
    """

    def __init__(self, total: float, stall: float):
        now = time.monotonic()
        self.deadline = now + total
        self.total = total
        self.stall = stall
        self.window_start = now
        self.window_bytes = 0
        self.expired = False
        self.stalled = False
        self.busy = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def budget(self) -> float:
        """Seconds the next read may block; raises ``TimeoutError`` when a limit is reached."""
        now = time.monotonic()
        if now >= self.deadline:
            self.expired = True
            raise TimeoutError(f"the fetch took longer than {self.total:g} s")
        stall_left = self.window_start + self.stall - now
        if stall_left <= 0:
            self.stalled = True
            raise TimeoutError(f"no progress for {self.stall:g} s")
        return max(0.001, min(stall_left, self.deadline - now))

    def received(self, count: int) -> None:
        self.window_bytes += count
        if self.window_bytes >= PROGRESS_BYTES or count == 0:
            self.restart()

    def restart(self) -> None:
        self.window_start = time.monotonic()
        self.window_bytes = 0

    def timed_out(self) -> None:
        """A read timed out: say which limit it was."""
        if self.remaining() <= 0.01:
            self.expired = True
        else:
            self.stalled = True


class _SocketWatch:
    """Installs :class:`_Limits` on the socket classes while at least one fetch runs."""

    _lock = threading.Lock()
    _active: dict[int, _Limits] = {}
    _originals: dict[tuple[type, str], object] = {}
    _READS = ("recv", "recv_into")
    _WRITES = ("send", "sendall")

    @classmethod
    def _wrap_read(cls, original):
        def read(sock, *args, **kwargs):
            limits = cls._active.get(threading.get_ident())
            if limits is None or limits.busy:
                return original(sock, *args, **kwargs)
            limits.busy = True
            try:
                sock.settimeout(limits.budget())
                try:
                    result = original(sock, *args, **kwargs)
                except TimeoutError:
                    limits.timed_out()
                    raise
                limits.received(len(result) if isinstance(result, bytes | bytearray) else result)
                return result
            finally:
                limits.busy = False

        return read

    @classmethod
    def _wrap_write(cls, original):
        def write(sock, *args, **kwargs):
            limits = cls._active.get(threading.get_ident())
            if limits is not None and not limits.busy:
                limits.restart()  # a new request: the client made progress
            return original(sock, *args, **kwargs)

        return write

    @classmethod
    def _wrap_connect(cls, original):
        def connect(sock, *args, **kwargs):
            limits = cls._active.get(threading.get_ident())
            if limits is not None:
                current = sock.gettimeout()
                left = max(0.001, limits.remaining())
                sock.settimeout(left if current is None else min(current, left))
            return original(sock, *args, **kwargs)

        return connect

    @classmethod
    @contextlib.contextmanager
    def watching(cls, limits: _Limits):
        ident = threading.get_ident()
        with cls._lock:
            if not cls._active:
                for klass in (socket.socket, ssl.SSLSocket):
                    for name, wrap in (
                        *((name, cls._wrap_read) for name in cls._READS),
                        *((name, cls._wrap_write) for name in cls._WRITES),
                        ("connect", cls._wrap_connect),
                    ):
                        original = klass.__dict__.get(name)
                        if original is None and klass is ssl.SSLSocket:
                            continue
                        original = getattr(klass, name)
                        cls._originals[(klass, name)] = klass.__dict__.get(name)
                        setattr(klass, name, wrap(original))
            cls._active[ident] = limits
        try:
            yield limits
        finally:
            with cls._lock:
                cls._active.pop(ident, None)
                if not cls._active:
                    for (klass, name), original in cls._originals.items():
                        if original is None:
                            delattr(klass, name)
                        else:
                            setattr(klass, name, original)
                    cls._originals.clear()


# ----------------------------------------------------------------------------------------------
# Fetch: catalog, proxy, probe
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalog:
    """Where an OData host is: ``https://opendata.cbs.nl``, a mirror or a test server."""

    scheme: str
    host: str
    """``host[:port][/path]``, as cbsodata's ``catalog_url``."""

    @classmethod
    def parse(cls, text: str) -> Catalog:
        text = text.strip().rstrip("/")
        if "://" not in text:
            text = "https://" + text
        parts = urllib.parse.urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(
                f"Not an OData catalog URL: {text!r}. Give a host such as opendata.cbs.nl or a URL "
                "such as https://mirror.example.org or http://127.0.0.1:8080."
            )
        return cls(parts.scheme, parts.netloc + parts.path.rstrip("/"))

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"

    @property
    def address(self) -> tuple[str, int]:
        parts = urllib.parse.urlsplit(self.url)
        return parts.hostname, parts.port or (443 if self.scheme == "https" else 80)


def proxies_for(catalog: Catalog) -> dict[str, str]:
    """The proxies for ``catalog`` from the environment, as ``requests`` reads them.

    The variables are ``HTTPS_PROXY``/``https_proxy``, ``HTTP_PROXY``/``http_proxy`` and
    ``NO_PROXY``/``no_proxy``. The same dictionary is given to every cbsodata request and to the
    connectivity probe, so both go the same way (cbsodata on its own reads only the lower-case
    variables, once at import).

    Parameters
    ----------
    catalog : Catalog
        The host the requests go to.

    Returns
    -------
    dict
        ``{"http": url, "https": url}`` for the schemes that have a proxy; empty for none.
    """
    found = requests.utils.get_environ_proxies(catalog.url + "/")
    return {scheme: found[scheme] for scheme in ("http", "https") if found.get(scheme)}


def _probe(catalog: Catalog, proxies: dict[str, str], timeout: float) -> None:
    """Connect once to the catalog's host (or its proxy) with a hard deadline.

    Socket timeouts do not bound name resolution, so the attempt runs in a daemon thread and the
    fetch gives up when it has not answered within ``timeout`` seconds.
    """
    host, port = catalog.address
    proxy = proxies.get(catalog.scheme)
    if proxy:
        parsed = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        host, port = parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80)
    outcome: list[BaseException | None] = []

    def attempt():
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome.append(None)
        except OSError as error:
            outcome.append(error)

    worker = threading.Thread(target=attempt, name=f"rvs-fetch-probe-{host}", daemon=True)
    worker.start()
    worker.join(timeout)
    via = f" (through the proxy {host}:{port})" if proxy else ""
    if not outcome:
        raise TimeoutError(f"no answer from {host}:{port}{via} within {timeout:g} s")
    if outcome[0] is not None:
        error = outcome[0]
        raise OSError(f"cannot connect to {host}:{port}{via}: {error.strerror or error}")


@contextlib.contextmanager
def _client(catalog: Catalog):
    """cbsodata with ``use_https`` set for the catalog's scheme (restored afterwards)."""
    previous = cbsodata.options.use_https
    cbsodata.options.use_https = catalog.scheme == "https"
    try:
        yield cbsodata
    finally:
        cbsodata.options.use_https = previous


# ----------------------------------------------------------------------------------------------
# Fetch: the hosts a download may reach
# ----------------------------------------------------------------------------------------------

MAX_REQUESTS = 1000
"""Requests one table's download may make (pages included): CBS pages its bulk feed by 10,000 rows,
so this is ten million rows, far more than any table the suite reads. A server whose pages never
end (an ``odata.nextLink`` back to an earlier page) is refused at this bound instead of running
until the overall limit."""


class _HostGuard:
    """Refuses every request of a download to a host other than its catalog's.

    cbsodata follows what the server says: redirects (``requests`` follows them to any host) and the
    part URLs and ``odata.nextLink`` of its answers. While a table is downloaded,
    ``requests.Session.send`` (which also sends every redirected request) of the fetching thread
    checks the URL's host and port against the catalog and counts the requests.
    """

    _lock = threading.Lock()
    _active: dict[int, list] = {}
    _original = None

    @classmethod
    def _send(cls, session, request, **kwargs):
        state = cls._active.get(threading.get_ident())
        if state is not None:
            catalog, counter = state
            parts = urllib.parse.urlsplit(request.url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            if (parts.hostname, port) != catalog.address:
                raise OtherHostError(f"{parts.scheme}://{parts.netloc}")
            counter[0] += 1
            if counter[0] > MAX_REQUESTS:
                raise TooManyRequestsError(str(MAX_REQUESTS))
        return cls._original(session, request, **kwargs)

    @classmethod
    @contextlib.contextmanager
    def allowing(cls, catalog: Catalog):
        ident = threading.get_ident()
        with cls._lock:
            if not cls._active:
                cls._original = requests.Session.send
                requests.Session.send = lambda session, request, **kw: cls._send(
                    session, request, **kw
                )
            cls._active[ident] = [catalog, [0]]
        try:
            yield
        finally:
            with cls._lock:
                cls._active.pop(ident, None)
                if not cls._active:
                    requests.Session.send = cls._original
                    cls._original = None


# ----------------------------------------------------------------------------------------------
# Fetch: one table over CBS's OData v3 feed (the route "odata3")
# ----------------------------------------------------------------------------------------------


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


MUNICIPALITIES_PER_REQUEST = 6
"""A table filtered by municipality (:attr:`TableSpec.municipalities`) is downloaded in requests of
this many municipalities each, so that a ``$filter`` stays near 1,000 characters (servers limit
the length of a query; IIS's default is 2,048) and one request's rows are written to disk before
the next is asked for."""


def _municipality_numbers() -> list[str]:
    """The four digits of every municipality the region has had (``data/regions``)."""
    return sorted({code[2:] for code in municipality_table()["gemeente_code"]})


def _row_filter(
    spec: TableSpec,
    properties: list[dict],
    offence_keys: list[str] | None,
    numbers: list[str] | None = None,
) -> str:
    """The OData ``$filter`` for the rows the suite reads, on the table's own dimension keys
    (for a table filtered by municipality: the municipalities ``numbers``, default all)."""
    parts = []
    for prop in properties:
        key = prop.get("Key")
        if prop.get("Type") == "GeoDimension" and spec.municipalities:
            numbers = _municipality_numbers() if numbers is None else numbers
            either = " or ".join(
                f"startswith({key},{_quote(prefix + number)})"
                for number in numbers
                for prefix in spec.regions
            )
            parts.append(f"({either})")
        elif prop.get("Type") == "GeoDimension" and spec.regions:
            either = " or ".join(f"substringof({_quote(prefix)},{key})" for prefix in spec.regions)
            parts.append(f"({either})")
        elif prop.get("Type") == "TimeDimension" and spec.period:
            parts.append(f"substringof({_quote(spec.period)},{key})")
    if offence_keys is not None:
        dimension = _offence_key_of(properties, spec.key)
        either = " or ".join(f"{dimension} eq {_quote(padded)}" for padded in offence_keys)
        parts.append(f"({either})")
    return " and ".join(parts)


def _offence_key_of(properties: list[dict], table_id: str) -> str:
    keys = [prop["Key"] for prop in properties if prop.get("Type") == "Dimension"]
    if len(keys) != 1:
        raise DataValidationError(
            f"{table_id}/DataProperties.json",
            "Type",
            None,
            f"expected one offence dimension besides region and period, found {keys}",
        )
    return keys[0]


# cbsodata up to 1.3.5 removes the *requested* data set from its download list and downloads the
# other one (J535D165/cbsodata#20): download_data(typed=True) writes UntypedDataSet.json. The fetch
# asks for what that version delivers as TypedDataSet and checks what was written.
_TYPED_ARGUMENT_ORDER = (False, True)


def _download_typed(client, table_id, folder: Path, select, filters, catalog, request) -> bool:
    """Run ``cbsodata.download_data`` into ``folder`` until it has written the TypedDataSet.

    Returns the ``typed`` argument that produced it.
    """
    for typed in _TYPED_ARGUMENT_ORDER:
        client.download_data(
            table_id,
            dir=str(folder),
            typed=typed,
            select=select,
            filters=filters,
            catalog_url=catalog.host,
            **request,
        )
        if (folder / "TypedDataSet.json").is_file():
            (folder / "UntypedDataSet.json").unlink(missing_ok=True)
            return typed
        (folder / "UntypedDataSet.json").unlink(missing_ok=True)
    raise FetchError(
        f"cbsodata did not write TypedDataSet.json for {table_id} (with typed=True or False); "
        "this version of the client is not supported."
    )


def _download_by_municipality(
    spec, properties, offence_keys, client, table_id, folder: Path, select, catalog, request
) -> tuple[list[str], bool]:
    """Download a table in requests of :data:`MUNICIPALITIES_PER_REQUEST` municipalities, each
    into a part folder, then join the parts' data sets into one ``TypedDataSet.json`` (one part in
    memory at a time) beside the first part's metadata. Returns the filters and the ``typed``
    argument."""
    numbers = _municipality_numbers()
    groups = [
        numbers[start : start + MUNICIPALITIES_PER_REQUEST]
        for start in range(0, len(numbers), MUNICIPALITIES_PER_REQUEST)
    ]
    filters, parts, typed_argument = [], [], False
    for index, group in enumerate(groups):
        part = folder / f"part-{index:03d}"
        part.mkdir(parents=True)
        filters.append(_row_filter(spec, properties, offence_keys, group))
        typed_argument = _download_typed(
            client, table_id, part, select, filters[-1], catalog, request
        )
        parts.append(part)
    for path in parts[0].iterdir():
        if path.name != "TypedDataSet.json":
            path.replace(folder / path.name)
    with open(folder / "TypedDataSet.json", "w", encoding="utf-8") as out:
        out.write("[")
        first = True
        for part in parts:
            rows = _records(
                json.loads((part / "TypedDataSet.json").read_text(encoding="utf-8")),
                f"{table_id}/TypedDataSet.json",
            )
            for row in rows:
                out.write(("" if first else ",\n") + json.dumps(row, ensure_ascii=False))
                first = False
            del rows
        out.write("]")
    for part in parts:
        shutil.rmtree(part)
    return filters, typed_argument


def _records(value, shown: str) -> list[dict]:
    """A server answer that must be a list of records (DataProperties, a dimension list)."""
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise DataValidationError(shown, None, None, "the server's answer is not a list of records")
    return value


class ODataV3Route:
    """CBS's OData v3 bulk feed (``<host>/ODataFeed/odata/<table>/``) with the cbsodata client.

    ``locate`` finds the identifier (by title in ``/ODataCatalog/Tables`` for a table with
    editions); ``download`` writes the table into a folder in cbsodata's layout and returns what
    the fetch records about it. A second route (CBS's OData v4 at datasets.cbs.nl) would write the
    same layout: see docs/ARCHITECTURE.md.
    """

    name = "odata3"
    check = staticmethod(check_download)

    @property
    def api(self) -> str:
        return (
            "OData v3 Feed" if "Feed" in getattr(cbsodata3, "BULK", "ODataFeed") else "OData v3 API"
        )

    def locate(self, spec: TableSpec, catalog: Catalog, request: dict, not_after) -> dict:
        if spec.table_id:
            return {"table": spec.table_id}

        with _client(catalog) as client:
            try:
                listing = client.get_table_list(
                    filters=_title_filter(spec.title), catalog_url=catalog.host, **request
                )
            except requests.HTTPError as error:
                if _http_status(error) != 404:
                    raise
                raise FetchError(
                    f"{catalog.url} has no table list (/ODataCatalog/Tables: 404 Not Found), so "
                    f"the edition of '{spec.key}' cannot be found by title"
                ) from error
        found = choose_edition(listing, spec.title, not_after, f"{catalog.url}/ODataCatalog")
        found["boundary_year"] = not_after
        return found

    def download(self, spec: TableSpec, table_id: str, folder: Path, catalog, request) -> dict:
        with _client(catalog) as client:
            shown = f"{table_id}/DataProperties.json"
            properties = _records(
                client.get_meta(table_id, "DataProperties", catalog_url=catalog.host, **request),
                shown,
            )
            if not properties:
                raise DataValidationError(shown, None, None, "the server sent no DataProperties")
            check_properties(properties, shown)
            topics = resolve_topics(properties, spec)
            offence_keys = missing_offences = None
            if spec.offences:
                dimension = _offence_key_of(properties, table_id)
                listing = _records(
                    client.get_meta(table_id, dimension, catalog_url=catalog.host, **request),
                    f"{table_id}/{dimension}.json",
                )
                check_listing(listing, f"{table_id}/{dimension}.json")
                padded = {row["Key"].strip(): row["Key"] for row in listing}
                wanted = list(spec.offence_codes) or needed_offence_codes()
                offence_keys = [padded[code] for code in wanted if code in padded]
                missing_offences = [code for code in wanted if code not in padded]
            dimensions = [p["Key"] for p in properties if p.get("Type") in DIMENSION_TYPES]
            select = None if spec.all_topics else [*dimensions, *topics.values()]
            if spec.municipalities:
                filters, typed_argument = _download_by_municipality(
                    spec, properties, offence_keys, client, table_id, folder, select, catalog,
                    request,
                )  # fmt: skip
            else:
                filters = _row_filter(spec, properties, offence_keys) or None
                typed_argument = _download_typed(
                    client, table_id, folder, select, filters, catalog, request
                )
        infos = _table_infos(folder)
        return {
            "filter": filters,
            "select": select,
            "topics": topics,
            "offence_keys": offence_keys,
            "offences_not_in_table": missing_offences,
            "title": infos.get("Title"),
            "cbs_catalog": infos.get("Catalog"),
            "modified": infos.get("Modified"),
            "data_set": "TypedDataSet",
            "cbsodata": getattr(cbsodata, "__version__", "unknown"),
            "cbsodata_typed_argument": typed_argument,
        }


def _title_filter(pattern: str) -> str | None:
    """A ``$filter`` on the catalog's titles for the literal start of a title pattern
    (``^Gebieden in Nederland (?P<edition>...)`` -> ``substringof('Gebieden in Nederland',Title)``),
    so that the catalog sends only the editions, not its thousands of tables; ``None`` when the
    pattern has no plain text before its first group."""
    literal = pattern.removeprefix("^").split("(", 1)[0].replace("\\", "").strip()
    if not literal or any(char in literal for char in ".*+?[]{}|$"):
        return None
    return f"substringof({_quote(literal)},Title)"


def _table_infos(folder: Path) -> dict:
    """Title, catalog and modification date from ``TableInfos.json`` (text fields only)."""
    try:
        value = json.loads((folder / "TableInfos.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    first = value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else {}
    return {
        key: first[key]
        for key in ("Title", "Catalog", "Modified", "Identifier")
        if isinstance(first.get(key), str)
    }


ROUTES = {ODataV3Route.name: ODataV3Route(), PdokRoute.name: PdokRoute()}
"""How tables are downloaded, by :attr:`TableSpec.route`. Every route writes cbsodata's layout,
which is all the readers (:mod:`rvs_analysis.sources.cbs`) see; ``pdok`` (PDOK's OGC API Features:
CBS's generalised gebiedsindelingen, else the full-detail wijken en buurten;
:mod:`rvs_analysis.sources.pdok_boundaries`) writes the wijk and buurt polygons as
``neighbourhoods.geojson``."""


# ----------------------------------------------------------------------------------------------
# Fetch: staging and swap
# ----------------------------------------------------------------------------------------------

_STAGING_MARK = ".fetch-"


def _staging_prefix(cache: Path) -> str:
    """The name of staging folders of earlier versions, beside the cache (still cleaned up)."""
    return f".{cache.name}{_STAGING_MARK}"


def _remove_stale_staging(target: Path, cache: Path) -> None:
    """Remove staging folders of earlier fetches of this cache whose process is gone (killed):
    inside the cache's real folder (``.fetch-<pid>-...``) and, from earlier versions, beside it."""
    places = [(target, _STAGING_MARK), (cache.parent, _staging_prefix(cache))]
    for folder, prefix in places:
        for path in folder.glob(prefix + "*"):
            pid_text = path.name[len(prefix) :].partition("-")[0]
            if not pid_text.isdigit() or not path.is_dir():
                continue
            try:
                os.kill(int(pid_text), 0)
            except ProcessLookupError:
                shutil.rmtree(path, ignore_errors=True)
            except OSError:
                pass


def _swap_all(staging: Path, cache: Path, table_ids: list[str]) -> None:
    """Move every downloaded table into the cache with renames only; all or nothing."""
    old_dir = staging / ".old"
    old_dir.mkdir()
    done: list[tuple[str, bool]] = []
    try:
        for table_id in table_ids:
            target = cache / table_id
            had_old = target.exists()
            if had_old:
                target.rename(old_dir / table_id)
            try:
                (staging / table_id).rename(target)
            except OSError:
                if had_old:
                    (old_dir / table_id).rename(target)
                raise
            done.append((table_id, had_old))
    except OSError:
        for table_id, had_old in reversed(done):
            (cache / table_id).rename(staging / table_id)
            if had_old:
                (old_dir / table_id).rename(cache / table_id)
        raise


# ----------------------------------------------------------------------------------------------
# Fetch: every table
# ----------------------------------------------------------------------------------------------

ATTEMPTS = 2
"""Attempts per table when a download fails on the way (connection refused or reset, a response
cut off, a server error 5xx); a missing table (404), a stall, a refused answer are not retried."""


def fetch(
    tables=None,
    cache="data/raw",
    timeout: float = DEFAULT_TIMEOUT,
    catalog: str | None = None,
    catalogs: dict[str, str] | None = None,
    stall: float = STALL_LIMIT,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> list[dict]:
    """Download CBS tables into ``<cache>/<key>/`` in cbsodata's layout, checked, table by table.

    Parameters
    ----------
    tables : iterable of str, optional
        Registry keys (:data:`TABLES`); default :data:`DEFAULT_TABLES`.
    cache : str or pathlib.Path, default "data/raw"
        May be a symbolic link to a folder on another file system: the tables are staged inside
        the folder it points to.
    timeout : float, default 900
        Seconds the whole fetch may take.
    catalog : str, optional
        One OData host for every table (``rvs fetch --catalog``): a mirror, a proxy or a test
        server, ``https://`` (default) or ``http://``. Default: each table's own CBS catalog.
    catalogs : dict, optional
        A catalog per table, overriding ``catalog`` and :data:`TABLES`.
    stall : float, default 30
        Seconds any request may go without progress (:data:`PROGRESS_BYTES`).
    connect_timeout : float, default 10
        Seconds a connection attempt may take.

    Returns
    -------
    list of dict
        Per table, in the order asked: ``status`` ``"fetched"`` with its ``fetch.json`` record, or
        ``"not fetched"`` (an optional table) with ``reason``, ``kind`` (``missing``: the host
        has no such table; ``refused``: the download failed the check or the host's answer was
        malformed or led to another host; ``failed``: the download kept failing) and ``kept``: the
        ``fetch.json`` record of the copy the cache keeps (its own retrieval date), or ``None``.

    Raises
    ------
    FetchError
        When a required table (47018NED, 70072ned) cannot be fetched or is refused, the host is
        unreachable, or the overall limit passes. Nothing in the cache changes then.

    Notes
    -----
    Per table: the identifier is located (found by title in the catalog for a table with
    editions, :attr:`TableSpec.title`); ``DataProperties`` is read and the topics the suite reads
    are resolved by title (:func:`resolve_topics`); the data set is downloaded with ``$select``
    (dimensions and those topics) and a ``$filter`` on municipalities (``GM``), the Netherlands
    (``NL``) and, for the survey tables, police units (``RE``), the period kind and, for the police
    tables, the offence codes the suite reads. Every request must stay on the catalog's host (a
    redirect or link elsewhere is refused). The download is then checked
    (:func:`rvs_analysis.sources.cbs_check.check_download`) in a staging folder inside the cache's
    real folder. Required tables are fetched first; when all are complete the fetched tables are
    moved in together with renames. An optional table that is missing, refused or keeps failing is
    reported, and the cache keeps its earlier copy of it.
    """
    keys = list(tables or DEFAULT_TABLES)
    unknown = [key for key in keys if key not in TABLES]
    if unknown:
        raise FetchError(
            f"Unknown CBS table {', '.join(unknown)}. Known tables: {', '.join(TABLES)}."
        )
    common = Catalog.parse(catalog) if catalog else None
    cache = Path(cache)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        target = cache.resolve(strict=True)
    except OSError as error:
        raise FetchError(
            f"Cannot create the cache folder {cache}: {error.strerror or error}."
        ) from error
    _remove_stale_staging(target, cache)
    staging = target / f"{_STAGING_MARK}{os.getpid()}-{time.time_ns()}"
    limits = _Limits(timeout, stall)
    order = sorted(keys, key=lambda key: not TABLES[key].required)  # required first, stable
    outcome: dict[str, dict] = {}
    try:
        staging.mkdir()
        with _SocketWatch.watching(limits):
            probed: dict[Catalog, BaseException | None] = {}
            for key in order:
                spec = TABLES[key]
                where = Catalog.parse(
                    (catalogs or {}).get(key) or (common.url if common else spec.catalog)
                )
                try:
                    outcome[key] = _fetch_one(
                        spec, staging, target, where, limits, probed, connect_timeout
                    )
                except TableFailedError as failure:
                    if spec.required or limits.expired:
                        raise FetchError(_failure_text(key, where, failure, cache)) from failure
                    shutil.rmtree(staging / key, ignore_errors=True)
                    outcome[key] = {
                        "key": key,
                        "status": "not fetched",
                        "reason": failure.reason,
                        "kind": failure.kind,
                        "catalog": where.url,
                        "kept": _kept_record(target / key),
                    }
        fetched = [key for key in keys if outcome[key]["status"] == "fetched"]
        _swap_all(staging, target, fetched)
    except OSError as error:
        raise FetchError(
            f"Could not move the fetched tables into the cache {cache} "
            f"({error.strerror or error}); the cache was left as it was."
        ) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [outcome[key] for key in keys]


def _fetch_one(spec, staging, target, where: Catalog, limits, probed, connect_timeout) -> dict:
    """Locate, download and check one table (with :data:`ATTEMPTS`); raises :class:`TableFailedError`."""
    if where not in probed:
        try:
            _probe(where, proxies_for(where), min(connect_timeout, max(0.1, limits.remaining())))
            probed[where] = None
        except OSError as error:  # TimeoutError included
            probed[where] = error
    if probed[where] is not None:
        raise TableFailedError(str(probed[where]), "failed")
    route = ROUTES[spec.route]
    folder = staging / spec.key
    request = {"timeout": (connect_timeout, limits.stall), "proxies": proxies_for(where)}
    for attempt in range(1, ATTEMPTS + 1):
        shutil.rmtree(folder, ignore_errors=True)
        limits.stalled = False
        table_id = spec.table_id or spec.key
        try:
            with _HostGuard.allowing(where):
                located = route.locate(
                    spec, where, request, _boundary_year(staging, target, spec.regions)
                )
                table_id = located["table"]
                record = route.download(spec, table_id, folder, where, request)
                if spec.every_edition:
                    record["population_editions"] = _other_editions(
                        route, spec, located, folder, where, request, _figure_years(staging, target)
                    )
            checked = route.check(folder, spec, record.pop("offence_keys", None))
            if limits.remaining() <= 0:
                limits.expired = True
                raise TimeoutError(f"the fetch took longer than {limits.total:g} s")
            break
        except OtherHostError as error:
            raise TableFailedError(
                f"the server sent the download of {table_id} to another host, {error} (a redirect "
                f"or a link in its answer); the fetch only follows links on {where.url}",
                "refused",
            ) from error
        except TooManyRequestsError as error:
            raise TableFailedError(
                f"the download of {table_id} took more than {error} requests: the server's pages "
                "do not end (implausibly many rows)",
                "refused",
            ) from error
        except DataValidationError as error:
            raise TableFailedError(
                f"{error.file}"
                + (f", column '{error.column}'" if error.column else "")
                + (f", row {error.row}" if error.row else "")
                + f": {error.problem}"
                + (f" (value: {error.value!r})" if error.value is not None else ""),
                "refused",
            ) from error
        except (FetchError, SourceNotAvailableError) as error:
            raise TableFailedError(str(error), "refused") from error
        except requests.HTTPError as error:
            status = _http_status(error)
            if status == 404:
                raise TableFailedError(
                    f"{where.url} has no table {table_id} (404 Not Found)", "missing"
                ) from error
            failure = TableFailedError(
                _reason(error, limits), "failed", status is None or status >= 500
            )
        except (requests.RequestException, OSError) as error:
            failure = TableFailedError(_reason(error, limits), "failed", not limits.stalled)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            # cbsodata reading an answer that is not CBS's shape (a part that is not JSON, cut off,
            # nested too deeply, without "value"); a cut-off answer may be whole next time.
            failure = TableFailedError(
                f"the server's answer for {table_id} is not OData as CBS serves it "
                f"({_reason(error, limits)})",
                "refused",
                isinstance(error, ValueError) and not isinstance(error, RecursionError),
            )
        if limits.expired or not failure.retry or attempt == ATTEMPTS:
            raise failure
    record.update(
        {
            "key": spec.key,
            "table": table_id,
            "api": route.api,
            "catalog": where.url,
            **{
                name: located[name]
                for name in ("edition", "editions", "boundary_year", "route", "route_reason")
                if name in located
            },
            "rows": checked["rows"],
            "years": checked["years"],
            "retrieved": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "purpose": spec.purpose,
        }
    )
    record["title"] = record.get("title") or located.get("title")
    (folder / "fetch.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return {"status": "fetched", **record}


def _http_status(error) -> int | None:
    """The HTTP status of an error (cbsodata re-raises ``HTTPError`` without the response)."""
    for candidate in (error, error.__cause__):
        response = getattr(candidate, "response", None)
        if response is not None:
            return response.status_code
    return None


def _boundary_year(staging: Path, target: Path, regions=()) -> int | None:
    """The crime table's boundary year (fetched in this run, else in the cache): editions of
    tables found by title are not taken later than this. For a table of wijk and buurt rows
    (``regions`` ``WK``/``BU``) the year of the wijk and buurt codes (``wijkbuurt_jaar``) comes
    first."""
    keys = (NEIGHBOURHOOD_CRIME_TABLE, CRIME_TABLE) if "BU" in regions else (CRIME_TABLE,)
    for key in keys:
        for folder in (staging / key, target / key):
            if folder.is_dir():
                return data_years(folder)
    return None


NEIGHBOURHOOD_CRIME_TABLE = "wijkbuurt_jaar"


def _figure_years(staging: Path, target: Path) -> list[int] | None:
    """The years of the wijk and buurt figures (``wijkbuurt_jaar``'s ``fetch.json``, fetched in
    this run, else in the cache), or ``None``."""
    for folder in (staging / NEIGHBOURHOOD_CRIME_TABLE, target / NEIGHBOURHOOD_CRIME_TABLE):
        try:
            years = json.loads((folder / "fetch.json").read_text(encoding="utf-8"))["years"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            continue
        if isinstance(years, list) and len(years) == 2 and all(type(y) is int for y in years):
            return list(range(years[0], years[1] + 1))
    return None


def _other_editions(route, spec, located, folder: Path, where, request, years) -> dict:
    """Download, besides the located edition, the edition nearest to each of ``years`` (not later
    than the boundary year) into ``<folder>/editions/<edition>/``, each checked and with its own
    ``fetch.json``; returns ``{year: edition}`` for the record."""
    limit = located.get("boundary_year")
    editions = {
        int(year): identifier
        for year, identifier in (located.get("editions") or {}).items()
        if limit is None or int(year) <= limit
    }
    plan = nearest_editions(editions, years or [located["edition"]])
    for edition in sorted(set(plan.values()) - {located["edition"]}):
        sub = folder / "editions" / str(edition)
        route.download(spec, editions[edition], sub, where, request)
        (sub / "fetch.json").write_text(
            json.dumps({"table": editions[edition], "edition": edition}), encoding="utf-8"
        )
        check_download(sub, spec)
    return {str(year): edition for year, edition in plan.items()}


def _kept_record(folder: Path) -> dict | None:
    """The ``fetch.json`` of the copy the cache keeps of a table that was not fetched."""
    if not folder.is_dir():
        return None
    try:
        value = json.loads((folder / "fetch.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {"retrieved": None}
    return value if isinstance(value, dict) else {"retrieved": None}


def _reason(error: BaseException, limits: _Limits) -> str:
    if limits.expired:
        return f"the whole fetch took longer than its limit of {limits.total:g} s (--timeout)"
    if limits.stalled:
        return (
            f"the server made no progress for {limits.stall:g} s (less than {PROGRESS_BYTES} bytes)"
        )
    text = str(error).splitlines()[0] if str(error) else ""
    reason = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return reason[:300] + "..." if len(reason) > 300 else reason


def _failure_text(key: str, where: Catalog, failure: TableFailedError, cache) -> str:
    if failure.kind == "refused":
        return (
            f"CBS table {key} from {where.url} was refused: {failure.reason}. The cache {cache} "
            "was left as it was; nothing of this fetch was stored."
        )
    return (
        f"Could not download CBS table {key} from {where.url} ({failure.reason}). Check the "
        "network connection (and HTTPS_PROXY/https_proxy if you are behind a proxy, or the "
        f"--catalog URL) and run 'rvs fetch' again; the cache {cache} was left as it was."
    )
