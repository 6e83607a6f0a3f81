"""Data sources: ``demo`` (embedded, with known truths), ``cbs`` (CBS open data, fetched into a
cache and read offline) and a folder in the tidy CSV layout. See :mod:`rvs_analysis.sources.base`.

:func:`load_source` is the one entry point: it reads, validates (:mod:`rvs_analysis.clean`) and
returns a :class:`~rvs_analysis.sources.base.Dataset`; :func:`source_version` gives a short content hash
of the input files (for incremental rendering and report footers).

Loaded datasets are cached in the process, keyed by the resolved path and the names, sizes and
modification times of the input files, so a batch of reports loads a source once (a warm kernel of
``rvs render`` once per batch) and a changed file is read again; the cache keeps one version per
folder, so a changed source replaces the old one instead of piling up beside it.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

from rvs_analysis.exceptions import DataWarning, SourceNotAvailableError
from rvs_analysis.national import incomplete_municipalities, municipality_names
from rvs_analysis.region_tables import known_codes
from rvs_analysis.sources.base import Dataset
from rvs_analysis.sources.kinds import DEMO_DIR, kind_named, source_kind
from rvs_analysis.sources.neighbourhoods import Neighbourhoods
from rvs_analysis.sources.tidy import require_regular_file
from rvs_analysis.timings import timed

__all__ = [
    "DEMO_DIR",
    "REPO_ROOT",
    "Dataset",
    "clear_cache",
    "load_neighbourhood_source",
    "load_notes",
    "load_source",
    "resolve_source",
    "source_version",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The folder above the package: the repository root in a checkout (see
:func:`rvs_analysis.resources.checkout_root`, which is ``None`` in an installed package)."""


_CACHE: dict[tuple, Dataset] = {}


def resolve_source(source: str = "demo", cache="data/raw") -> tuple[str, Path]:
    """Which kind of source ``source`` is and where its files are.

    Parameters
    ----------
    source : str
        ``"demo"``, ``"cbs"`` or a folder in the tidy layout (or a value a registered kind of
        :mod:`rvs_analysis.sources.kinds` takes).
    cache : str or pathlib.Path, default "data/raw"
        The CBS download cache (only for ``"cbs"``). A relative path is looked up from the
        working directory and then from the repository root
        (:func:`rvs_analysis.resources.user_path`).

    Returns
    -------
    (kind, path) : (str, pathlib.Path)
        ``kind`` is the kind's name (``"demo"``, ``"cbs"`` or ``"tidy"``).
    """
    kind = source_kind(str(source))
    return kind.name, kind.locate(str(source), cache)


def load_neighbourhood_source(source: str = "demo", cache="data/raw") -> Neighbourhoods:
    """The wijk and buurt data of a source: its folder read by
    :func:`~rvs_analysis.sources.neighbourhoods.load_neighbourhoods`.

    Parameters
    ----------
    source : str
        ``"demo"``, ``"cbs"`` (the cache's wijk and buurt tables, without boundaries) or a folder
        in the tidy layout.
    cache : str or pathlib.Path, default "data/raw"

    Returns
    -------
    Neighbourhoods

    Raises
    ------
    SourceNotAvailableError
        When the source has no wijk and buurt tables (for ``"cbs"``: naming the ``rvs fetch``
        call that downloads them).
    DataValidationError
        For bad input (file, column, row).
    """
    kind = source_kind(str(source))
    path = kind.locate(str(source), cache)
    if kind.load_neighbourhoods is None:
        raise SourceNotAvailableError(f"The source {source} has no wijk and buurt data.")
    return kind.load_neighbourhoods(path)


def _input_files(kind: str, path: Path) -> list[Path]:
    return kind_named(kind).input_files(path)


def source_files(source: str = "demo", cache="data/raw") -> list[Path]:
    """The input files a source is read from (what ``rvs`` must never overwrite).

    Parameters
    ----------
    source : str
        ``"demo"``, ``"cbs"`` or a tidy folder.
    cache : str or pathlib.Path, default "data/raw"

    Returns
    -------
    list of pathlib.Path
        Empty when the source has none (yet).
    """
    return _input_files(*resolve_source(source, cache))


def _fingerprint(files: list[Path]) -> tuple:
    stats = []
    for path in files:
        status = path.stat()
        stats.append((str(path), status.st_size, status.st_mtime_ns))
    return tuple(stats)


_VERSION_CACHE: dict[tuple, str] = {}


def source_version(source: str = "demo", cache="data/raw") -> str:
    """A short content hash of a source's input files.

    Parameters
    ----------
    source : str
        ``"demo"``, ``"cbs"`` or a tidy folder.
    cache : str or pathlib.Path, default "data/raw"

    Returns
    -------
    str
        12 hexadecimal characters of a SHA-256 over the files' relative names and contents; equal
        inputs give equal versions on any machine. Memoised per process on names, sizes and
        modification times, so asking again is cheap.

    Raises
    ------
    SourceNotAvailableError
        When the source has no input files.
    """
    kind, path = resolve_source(source, cache)
    files = _input_files(kind, path)
    if not files:
        raise _not_available(kind, path)
    for file in files:  # hashing a named pipe would block forever
        require_regular_file(file)
    key = _fingerprint(files)
    if key not in _VERSION_CACHE:
        digest = hashlib.sha256()
        for file in files:
            base = path if file.is_relative_to(path) else path.parent
            digest.update(file.relative_to(base).as_posix().encode())
            digest.update(b"\0")
            with open(file, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            digest.update(b"\0")
        _VERSION_CACHE[key] = digest.hexdigest()[:12]
    return _VERSION_CACHE[key]


def _not_available(kind: str, path: Path) -> SourceNotAvailableError:
    return SourceNotAvailableError(kind_named(kind).missing(path))


def load_source(source: str = "demo", cache="data/raw") -> Dataset:
    """Load, validate and return a source as a :class:`Dataset`.

    Parameters
    ----------
    source : str, default "demo"
        ``"demo"`` (the embedded demo data in ``data/demo/``), ``"cbs"`` (the CBS tables downloaded
        by ``rvs fetch`` into ``cache``, read offline) or the path of a folder in the tidy CSV layout
        (such as ``../shared/data/cbs-open-data``), read as it is.
    cache : str or pathlib.Path, default "data/raw"
        The CBS download cache. A relative path is looked up from the working directory and then
        from the repository root.

    Returns
    -------
    Dataset
        With ``provenance`` ``{"source", "version", "files", "tables", "retrieved", ...}``. The same
        object is returned again while the input files are unchanged; treat it as read-only.

    Raises
    ------
    SourceNotAvailableError
        When the source does not exist (no demo data yet, empty CBS cache, missing folder).
    DataValidationError
        When an input file holds bad data.

    Notes
    -----
    What a load notices but does not refuse goes to the provenance record, not to the output of
    every notebook that loads the source: ``provenance["data_notes"]`` (the text of each
    :class:`~rvs_analysis.exceptions.DataWarning` the validation raised, such as a population
    jump of a municipality outside the region) and ``provenance["incomplete_outside_region"]``
    (:func:`rvs_analysis.national.incomplete_municipalities`). :func:`load_notes` sums them up in
    one sentence for the command line.

    The seconds spent here (also on a cache hit: listing and checking the files) are counted in
    the ``"source_load"`` stopwatch of :mod:`rvs_analysis.timings`.
    """
    with timed("source_load"):
        return _load_source(source, cache)


def _record_notes(load, *args) -> Dataset:
    """Run ``load(*args)``; its DataWarnings and the outside-region gaps go to the provenance."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = load(*args)
    notes = []
    for warning in caught:
        if issubclass(warning.category, DataWarning):
            notes.append(str(warning.message))
        else:  # not ours to keep: shown as Python would have shown it
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    provenance = dataset.provenance
    provenance["data_notes"] = notes
    provenance["incomplete_outside_region"] = incomplete_municipalities(dataset, known_codes())
    return dataset


def load_notes(dataset: Dataset) -> str | None:
    """One sentence on what the load of ``dataset`` noticed, or None when it noticed nothing.

    Parameters
    ----------
    dataset : Dataset
        As returned by :func:`load_source`.

    Returns
    -------
    str or None
        How many municipalities outside the region lack rows (with up to five named) and how
        many other notes the provenance record holds; for ``rvs table`` and ``rvs render`` to
        print once per load.
    """
    provenance = dataset.provenance or {}
    gaps = provenance.get("incomplete_outside_region") or {}
    notes = provenance.get("data_notes") or []
    if not gaps and not notes:
        return None
    parts = []
    if gaps:
        names = municipality_names()
        codes = sorted({code for per_kind in gaps.values() for code in per_kind})
        shown = ", ".join(f"{code} {names.get(code, '')}".strip() for code in codes[:5])
        shown += f" and {len(codes) - 5} more" if len(codes) > 5 else ""
        kinds = " and ".join(
            "crime rows" if kind == "crime" else "a population" for kind in sorted(gaps)
        )
        parts.append(
            f"{len(codes)} {'municipalities' if len(codes) > 1 else 'municipality'} outside "
            f"the region {'lack' if len(codes) > 1 else 'lacks'} {kinds} in some years "
            f"({shown}); a comparison that needs them (the Netherlands, a police unit) is "
            "refused"
        )
    if notes:
        parts.append(f"{len(notes)} other note{'s' if len(notes) > 1 else ''} on the data")
    return (
        f"source {dataset.source!r}: " + "; ".join(parts) + ". The details are in the "
        "provenance record (data_notes, incomplete_outside_region)."
    )


def _load_source(source, cache) -> Dataset:
    kind, path = resolve_source(source, cache)
    files = _input_files(kind, path)
    if not files:
        raise _not_available(kind, path)
    key = (kind, str(path), _fingerprint(files))
    if key in _CACHE:
        return _CACHE[key]
    version = source_version(source, cache)
    dataset = _record_notes(kind_named(kind).load, path, str(source), version)
    # One version per folder: a changed source replaces the one loaded before (memory stays
    # flat over a long-lived kernel), and a handful of folders at most are kept.
    for stale in [old for old in _CACHE if old[:2] == key[:2] or len(_CACHE) >= 8]:
        del _CACHE[stale]
    _CACHE[key] = dataset
    return dataset


def clear_cache() -> None:
    """Forget the datasets and versions loaded so far in this process."""
    _CACHE.clear()
    _VERSION_CACHE.clear()
