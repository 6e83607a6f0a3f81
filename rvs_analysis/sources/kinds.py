"""The registry of source kinds: what ``--source`` can name, where its files are, how it loads.

A source kind is one way data come into the suite: ``demo`` (the embedded demo data), ``cbs`` (CBS
tables fetched into a cache) and ``tidy`` (any folder in the tidy CSV layout, the fallback). Each
kind says which ``--source`` values it takes, where their files are, which files it reads, how it
loads them into a :class:`~rvs_analysis.sources.base.Dataset` and what to tell a person when there
are none. :mod:`rvs_analysis.sources` asks the registry and has no ``if kind == ...`` of its own,
as papermill asks its registry of I/O handlers.

The cheapest new source is not a new kind but a converter that writes the tidy layout (see
``docs/ARCHITECTURE.md``, "How to add a source"): everything downstream then works unchanged. A
new kind is for a source that must be read in place (a cache in another format, a database):
:func:`register_source_kind` adds it ahead of the tidy fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from rvs_analysis.resources import data_path, user_path
from rvs_analysis.sources import cbs, cbs_neighbourhoods, neighbourhoods, tidy
from rvs_analysis.sources.base import Dataset

__all__ = [
    "DEMO_DIR",
    "SourceKind",
    "kind_named",
    "register_source_kind",
    "source_kind",
    "source_kinds",
]

DEMO_DIR = data_path("demo")
"""The embedded demo data set in the tidy layout, written by ``rvs demo-data``: the repository's
``data/demo`` in a checkout, the installed package's copy otherwise (:mod:`rvs_analysis.resources`)."""


@dataclass(frozen=True)
class SourceKind:
    """One kind of source.

    Attributes
    ----------
    name : str
        Its name (``"demo"``, ``"cbs"``, ``"tidy"``), recorded as the kind of a loaded source.
    takes : callable
        ``takes(source) -> bool``: whether a ``--source`` value names this kind.
    locate : callable
        ``locate(source, cache) -> Path``: the folder its files are in.
    input_files : callable
        ``input_files(folder) -> list[Path]``: the files it reads (empty when there are none);
        what ``rvs`` never overwrites and what the source's version hashes.
    load : callable
        ``load(folder, source, version) -> Dataset``: read and validate.
    missing : callable
        ``missing(folder) -> str``: one paragraph for a person when there are no input files.
    load_neighbourhoods : callable, optional
        ``load_neighbourhoods(folder) -> Neighbourhoods``: its wijk and buurt data; ``None``: the
        kind has none.
    """

    name: str
    takes: Callable[[str], bool]
    locate: Callable[[str, object], Path]
    input_files: Callable[[Path], list[Path]]
    load: Callable[[Path, str, str | None], Dataset]
    missing: Callable[[Path], str]
    load_neighbourhoods: Callable[[Path], object] | None = None


_KINDS: list[SourceKind] = []


def register_source_kind(kind: SourceKind) -> SourceKind:
    """Add a source kind ahead of the tidy fallback (or replace one of the same name).

    Parameters
    ----------
    kind : SourceKind

    Returns
    -------
    SourceKind
        ``kind``, so that the call can be used as an expression.
    """
    for position, known in enumerate(_KINDS):
        if known.name == kind.name:
            _KINDS[position] = kind
            return kind
    fallback = next(
        (position for position, known in enumerate(_KINDS) if known.name == "tidy"), len(_KINDS)
    )
    _KINDS.insert(fallback, kind)
    return kind


def source_kinds() -> tuple[SourceKind, ...]:
    """The registered kinds in the order a ``--source`` value is matched against them.

    Returns
    -------
    tuple of SourceKind
    """
    return tuple(_KINDS)


def source_kind(source: str) -> SourceKind:
    """The kind a ``--source`` value names: the first registered kind that takes it.

    Parameters
    ----------
    source : str

    Returns
    -------
    SourceKind
        The tidy fallback takes every value not taken before it.
    """
    return next(kind for kind in _KINDS if kind.takes(str(source)))


def kind_named(name: str) -> SourceKind:
    """The registered kind called ``name``.

    Parameters
    ----------
    name : str

    Returns
    -------
    SourceKind

    Raises
    ------
    KeyError
        When no kind has that name.
    """
    for kind in _KINDS:
        if kind.name == name:
            return kind
    raise KeyError(name)


def _tidy_files(folder: Path) -> list[Path]:
    """The municipal files and the wijk and buurt files: both are inputs of a report, so both
    count in the source's version."""
    if not folder.is_dir():
        return []
    return sorted({*tidy.input_files(folder), *neighbourhoods.input_files(folder)})


def _load_demo(folder: Path, source: str, version: str | None) -> Dataset:
    dataset = tidy.load_tidy(folder, source_name="demo", version=version)
    return replace(dataset, is_demo=True, neighbourhoods=neighbourhoods.has_neighbourhoods(folder))


def _load_tidy(folder: Path, source: str, version: str | None) -> Dataset:
    dataset = tidy.load_tidy(folder, source_name=str(folder), version=version)
    return replace(dataset, neighbourhoods=neighbourhoods.has_neighbourhoods(folder))


def _load_cbs(folder: Path, source: str, version: str | None) -> Dataset:
    dataset = cbs.load_cbs(folder, version=version)
    held = all((folder / key).is_dir() for key in cbs_neighbourhoods.NEIGHBOURHOOD_TABLES)
    return replace(dataset, neighbourhoods=held)


DEMO = SourceKind(
    name="demo",
    takes=lambda source: source == "demo",
    locate=lambda source, cache: DEMO_DIR,
    input_files=_tidy_files,
    load=_load_demo,
    missing=lambda folder: (
        f"The demo data set is missing ({folder}). Generate it with 'rvs demo-data'."
    ),
    load_neighbourhoods=neighbourhoods.load_neighbourhoods,
)
CBS = SourceKind(
    name="cbs",
    takes=lambda source: source == "cbs",
    locate=lambda source, cache: user_path(cache),
    input_files=cbs.input_files,
    load=_load_cbs,
    missing=lambda folder: (
        f"No CBS tables in the cache {folder}. Download them once with 'rvs fetch --cache "
        f"{folder}' (needs network); everything after that reads them offline."
    ),
    load_neighbourhoods=cbs_neighbourhoods.load_cbs_neighbourhoods,
)
TIDY = SourceKind(
    name="tidy",
    takes=lambda source: True,
    locate=lambda source, cache: user_path(source),
    input_files=_tidy_files,
    load=_load_tidy,
    missing=lambda folder: (
        f"The source folder {folder} does not exist or has no input files. Give 'demo', 'cbs' "
        "or a folder in the tidy CSV layout (registered_crime*.csv and population*.csv; see "
        "docs/ARCHITECTURE.md)."
    ),
    load_neighbourhoods=neighbourhoods.load_neighbourhoods,
)
for _kind in (DEMO, CBS, TIDY):
    _KINDS.append(_kind)
