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

from rvs_analysis.exceptions import DataValidationError, FetchError
from rvs_analysis.sources.cbs import (
    _DIMENSION_TYPES,
    CONNECT_TIMEOUT,
    DEFAULT_TABLES,
    DEFAULT_TIMEOUT,
    PROGRESS_BYTES,
    STALL_LIMIT,
    TABLES,
    TableSpec,
    needed_offence_codes,
    resolve_topics,
)

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
    """The proxies for ``catalog`` from the environment (``HTTPS_PROXY``/``https_proxy``,
    ``HTTP_PROXY``/``http_proxy``, ``NO_PROXY``/``no_proxy``), as ``requests`` reads them.

    The same dictionary is given to every cbsodata request and to the connectivity probe, so both
    go the same way (cbsodata on its own reads only the lower-case variables, once at import).
    """
    import requests

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
    import cbsodata

    previous = cbsodata.options.use_https
    cbsodata.options.use_https = catalog.scheme == "https"
    try:
        yield cbsodata
    finally:
        cbsodata.options.use_https = previous


# ----------------------------------------------------------------------------------------------
# Fetch: one table
# ----------------------------------------------------------------------------------------------


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _row_filter(spec: TableSpec, properties: list[dict], offence_keys: list[str] | None) -> str:
    """The OData ``$filter`` for the rows the suite reads, on the table's own dimension keys."""
    parts = []
    for prop in properties:
        key = prop.get("Key")
        if prop.get("Type") == "GeoDimension" and spec.regions:
            either = " or ".join(f"substringof({_quote(prefix)},{key})" for prefix in spec.regions)
            parts.append(f"({either})")
        elif prop.get("Type") == "TimeDimension" and spec.period:
            parts.append(f"substringof({_quote(spec.period)},{key})")
    if offence_keys is not None:
        dimension = _offence_key_of(properties, spec.table_id)
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


def _fetch_table(spec: TableSpec, folder: Path, catalog: Catalog, request: dict) -> dict:
    """Download one table into ``folder`` (cbsodata's layout) and write its ``fetch.json``."""
    with _client(catalog) as client:
        properties = client.get_meta(
            spec.table_id, "DataProperties", catalog_url=catalog.host, **request
        )
        if not isinstance(properties, list) or not properties:
            raise FetchError(f"{catalog.url} has no DataProperties for {spec.table_id}.")
        topics = resolve_topics(properties, spec)
        offence_keys = missing_offences = None
        if spec.offences:
            dimension = _offence_key_of(properties, spec.table_id)
            listing = client.get_meta(spec.table_id, dimension, catalog_url=catalog.host, **request)
            padded = {str(row["Key"]).strip(): row["Key"] for row in listing}
            wanted = needed_offence_codes()
            offence_keys = [padded[code] for code in wanted if code in padded]
            missing_offences = [code for code in wanted if code not in padded]
        dimensions = [prop["Key"] for prop in properties if prop.get("Type") in _DIMENSION_TYPES]
        select = None if spec.all_topics else [*dimensions, *topics.values()]
        filters = _row_filter(spec, properties, offence_keys) or None
        typed_argument = _download_typed(
            client, spec.table_id, folder, select, filters, catalog, request
        )
    rows = json.loads((folder / "TypedDataSet.json").read_text(encoding="utf-8"))
    import cbsodata

    record = {
        "table": spec.table_id,
        "catalog": catalog.url,
        "filter": filters,
        "select": select,
        "topics": topics,
        "offences_not_in_table": missing_offences,
        "rows": len(rows),
        "data_set": "TypedDataSet",
        "cbsodata": getattr(cbsodata, "__version__", "unknown"),
        "cbsodata_typed_argument": typed_argument,
        "retrieved": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "purpose": spec.purpose,
    }
    (folder / "fetch.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return record


# ----------------------------------------------------------------------------------------------
# Fetch: staging and swap
# ----------------------------------------------------------------------------------------------

_STAGING_MARK = ".fetch-"


def _staging_prefix(cache: Path) -> str:
    return f".{cache.name}{_STAGING_MARK}"


def _remove_stale_staging(cache: Path) -> None:
    """Remove staging folders of earlier fetches of this cache whose process is gone (killed)."""
    prefix = _staging_prefix(cache)
    for path in cache.parent.glob(prefix + "*"):
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


def fetch(
    tables=None,
    cache="data/raw",
    timeout: float = DEFAULT_TIMEOUT,
    catalog: str | None = None,
    catalogs: dict[str, str] | None = None,
    stall: float = STALL_LIMIT,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> list[dict]:
    """Download CBS tables into ``<cache>/<table>/`` in cbsodata's layout, all or nothing.

    Parameters
    ----------
    tables : iterable of str, optional
        Table identifiers (keys of :data:`TABLES`); default :data:`DEFAULT_TABLES`.
    cache : str or pathlib.Path, default "data/raw"
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
        The ``fetch.json`` record of each table.

    Raises
    ------
    FetchError
        When a download fails (no network, host unreachable, a stalled server, the overall limit,
        a table that does not exist). Nothing in the cache changes then: the tables are downloaded
        into a staging folder beside the cache and moved in together only when all are complete.

    Notes
    -----
    Per table: ``DataProperties`` is read first and the topics the suite reads are resolved by
    title (:func:`resolve_topics`); the data set is then downloaded with ``$select`` (dimensions
    and those topics) and a ``$filter`` on municipalities (``GM``), the Netherlands (``NL``) and,
    for the survey tables, police units (``RE``), the period kind and, for the police tables, the
    offence codes the suite reads (padded as the table's own dimension list gives them). All other
    parts (``TableInfos``, ``DataProperties``, ``CategoryGroups``, the dimension lists) are written
    as cbsodata writes them.
    """
    import requests

    tables = list(tables or DEFAULT_TABLES)
    unknown = [table for table in tables if table not in TABLES]
    if unknown:
        raise FetchError(
            f"Unknown CBS table {', '.join(unknown)}. Known tables: {', '.join(TABLES)}."
        )
    common = Catalog.parse(catalog) if catalog else None
    cache = Path(cache)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FetchError(f"Cannot create the cache folder {cache}: {error.strerror}.") from error
    _remove_stale_staging(cache)
    staging = cache.parent / f"{_staging_prefix(cache)}{os.getpid()}-{time.time_ns()}"
    limits = _Limits(timeout, stall)
    records: list[dict] = []
    table_id = tables[0]
    where = None
    try:
        staging.mkdir()
        with _SocketWatch.watching(limits):
            probed = set()
            for table_id in tables:
                spec = TABLES[table_id]
                where = Catalog.parse(
                    (catalogs or {}).get(table_id) or (common.url if common else spec.catalog)
                )
                proxies = proxies_for(where)
                if where not in probed:
                    _probe(where, proxies, min(connect_timeout, max(0.1, limits.remaining())))
                    probed.add(where)
                request = {
                    "timeout": (connect_timeout, stall),
                    "proxies": proxies,
                }
                records.append(_fetch_table(spec, staging / table_id, where, request))
                if limits.remaining() <= 0:
                    limits.expired = True
                    raise TimeoutError(f"the fetch took longer than {timeout:g} s")
        _swap_all(staging, cache, tables)
    except (requests.RequestException, OSError, ValueError, KeyError, TypeError) as error:
        raise _fetch_error(error, table_id, where, cache, limits) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return records


def _fetch_error(error, table_id, where, cache, limits: _Limits) -> FetchError:
    if isinstance(error, FetchError):
        return error
    if isinstance(error, DataValidationError):
        return FetchError(f"CBS table {table_id} is not as the suite expects: {error}")
    host = where.url if where else "CBS"
    if limits.expired:
        reason = f"the whole fetch took longer than its limit of {limits.total:g} s (--timeout)"
    elif limits.stalled:
        reason = (
            f"the server made no progress for {limits.stall:g} s (less than {PROGRESS_BYTES} bytes)"
        )
    else:
        text = str(error).splitlines()[0] if str(error) else ""
        reason = f"{type(error).__name__}: {text}" if text else type(error).__name__
        if len(reason) > 300:
            reason = reason[:300] + "..."
    return FetchError(
        f"Could not download CBS table {table_id} from {host} ({reason}). Check the network "
        "connection (and HTTPS_PROXY/https_proxy if you are behind a proxy, or the --catalog URL) "
        f"and run 'rvs fetch' again; the cache {cache} was left as it was."
    )
