"""The report registry: one line per report notebook, and the protocol of its chapter module.

A report is a notebook (``notebooks/<stem>.ipynb``), a chapter module
(``rvs_analysis.report.chapters.<name>``) and one :class:`ReportSpec` line in :data:`REPORTS`. The
renderer, :func:`rvs_analysis.report.start` and the tests read everything they need to know about a
report from here: its Dutch title (the index's column heading), whether it feeds the index's key
message, and which optional inputs of the dataset it cannot do without.

Reports outside this package register themselves the way papermill's I/O handlers and engines do:
with :func:`register_report` in the process that renders, or, to be seen in every process (the
renderer's kernels and a test run too), through an entry point of the group
:data:`ENTRY_POINT_GROUP` naming a :class:`ReportSpec`::

    [project.entry-points."rvs_analysis.reports"]
    wijken = "my_package.reports:WIJKEN"

This module imports only the standard library and :mod:`rvs_analysis.resources` (the renderer's
main process reads it); a chapter module is imported only when :meth:`ReportSpec.chapter_module`
is called.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from rvs_analysis.resources import notebooks_path

if TYPE_CHECKING:
    from rvs_analysis.report.context import ReportContext

__all__ = [
    "ENTRY_POINT_GROUP",
    "REPORTS",
    "Chapter",
    "ReportSpec",
    "chapter_problems",
    "register_report",
    "report_specs",
    "spec_for",
    "unregister_report",
]

ENTRY_POINT_GROUP = "rvs_analysis.reports"
"""The entry-point group through which an installed package adds reports."""


@runtime_checkable
class Chapter(Protocol):
    """What every report's chapter module provides, whatever else its chapters need.

    Each report's statistics differ, so the three functions take the report's own results after
    the context; what they share is their role in the notebook: the kernboodschap at the top, the
    "Methode en bronnen" section and the machine-readable summary in the last cell.

    Attributes
    ----------
    TABLES : tuple of str
        The open CBS tables the report reads (registry keys of
        :data:`rvs_analysis.sources.cbs.TABLES`), named in its source line on the CBS source.
    """

    TABLES: tuple[str, ...]

    def key_message_of(self, *results: Any) -> Any:
        """The report's kernboodschap (Markdown, three sentences) from its results."""

    def methods(self, ctx: ReportContext, *results: Any, **options: Any) -> Any:
        """The "Methode en bronnen" section, worded from the methods the results used."""

    def record_summary(self, ctx: ReportContext, *results: Any, **options: Any) -> None:
        """Record the report's key estimates and headline in ``ctx.summary``."""


_MEMBERS = ("key_message_of", "methods", "record_summary")
_CTX_FIRST = ("methods", "record_summary")


def chapter_problems(module: ModuleType) -> list[str]:
    """Where ``module`` falls short of :class:`Chapter`, beyond what ``isinstance`` sees.

    Parameters
    ----------
    module : module

    Returns
    -------
    list of str
        Empty when the module is a :class:`Chapter` whose ``methods`` and ``record_summary`` take
        the report context first and whose ``TABLES`` is a tuple of strings.

    Notes
    -----
    ``isinstance(module, Chapter)`` checks only that the names exist; the signatures are read with
    :func:`inspect.signature`.
    """
    name = getattr(module, "__name__", repr(module))
    missing = [member for member in ("TABLES", *_MEMBERS) if not hasattr(module, member)]
    if missing:
        return [f"{name} lacks {', '.join(missing)}"]
    problems = []
    tables = module.TABLES
    if not (isinstance(tables, tuple) and all(isinstance(table, str) for table in tables)):
        problems.append(f"{name}.TABLES is not a tuple of table keys")
    for member in _MEMBERS:
        function = getattr(module, member)
        if not inspect.isfunction(function):
            problems.append(f"{name}.{member} is not a function")
            continue
        parameters = list(inspect.signature(function).parameters)
        if member in _CTX_FIRST and parameters[:1] != ["ctx"]:
            problems.append(f"{name}.{member} does not take the report context (ctx) first")
        if not parameters:
            problems.append(f"{name}.{member} takes no results")
    return problems


@dataclass(frozen=True)
class ReportSpec:
    """One report: its notebook, its chapter module and what the renderer needs to know of it.

    Attributes
    ----------
    stem : str
        The notebook's file name without ``.ipynb``; also the report's name in the manifest, the
        summary and the output file names.
    chapter : str
        The dotted name of its chapter module (a :class:`Chapter`).
    title : str
        The Dutch title: the notebook's first heading, and the index's column heading.
    key_message : bool
        Whether the region's summary of this report words the key message at the top of the index
        (:func:`rvs_analysis.render.html.key_message`: burglaries and the targets).
    requires : tuple
        Optional inputs of the dataset the report cannot do without, checked by
        :func:`rvs_analysis.report.start` before anything is computed (see
        :data:`rvs_analysis.report.context.INPUTS`); a tuple names alternatives, any one of which
        will do. Without them the renderer records the report as skipped.
    folder : str or None
        The folder of the notebook; ``None`` is the product's own ``notebooks/``.
    strategy : str or None
        For a report that evaluates one strategy's own intervention: that strategy's id, which
        the report follows whatever the report year or the batch's strategy (its area list holds
        the intervention's municipalities). ``None``: the report follows the chosen strategy.
    """

    stem: str
    chapter: str
    title: str
    key_message: bool = False
    requires: tuple[str | tuple[str, ...], ...] = ()
    folder: str | None = None
    strategy: str | None = None

    @property
    def path(self) -> Path:
        """The notebook file."""
        if self.folder is None:
            return notebooks_path(f"{self.stem}.ipynb")
        return Path(self.folder) / f"{self.stem}.ipynb"

    def chapter_module(self) -> ModuleType:
        """The chapter module, imported."""
        return importlib.import_module(self.chapter)

    @property
    def tables(self) -> tuple[str, ...]:
        """The open CBS tables the report reads (its chapter module's ``TABLES``)."""
        return tuple(self.chapter_module().TABLES)


REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec(
        stem="burglary_clearance_drivers",
        chapter="rvs_analysis.report.chapters.clearance",
        title="Opheldering van woninginbraken: ontwikkeling, verschillen en verklarende factoren",
        requires=("cleared",),
    ),
    ReportSpec(
        stem="crime_change",
        chapter="rvs_analysis.report.chapters.crime_change",
        title="Verandering van criminaliteit: van zichtbaar naar minder zichtbaar",
    ),
    ReportSpec(
        stem="onveiligheidsbeleving_proeftuinen",
        chapter="rvs_analysis.report.chapters.proeftuinen",
        title="Onveiligheidsbeleving en de proeftuinen",
        requires=(("survey", "survey_estimates"),),
        # the ten pilots (data/regions/pilots.csv) started in 2017 under this strategy
        strategy="rvs-2015-2018",
    ),
    ReportSpec(
        stem="neighbourhood_signals",
        chapter="rvs_analysis.report.chapters.neighbourhood",
        title="Wijken en buurten: waar, en wat veranderde deze maand",
        requires=("neighbourhoods",),
    ),
    ReportSpec(
        stem="strategy_monitor",
        chapter="rvs_analysis.report.chapters.monitor",
        title="Monitor Regionale Veiligheidsstrategie: resultaten, doelen en districten",
        key_message=True,
    ),
)
"""The product's reports, one line each (their notebooks are in ``notebooks/``)."""

_REGISTERED: dict[str, ReportSpec] = {}
_FROM_ENTRY_POINTS: dict[str, ReportSpec] | None = None


def _entry_point_specs() -> dict[str, ReportSpec]:
    """The specs installed packages declare under :data:`ENTRY_POINT_GROUP` (read once)."""
    global _FROM_ENTRY_POINTS
    if _FROM_ENTRY_POINTS is None:
        found = {}
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            spec = entry_point.load()
            if not isinstance(spec, ReportSpec):
                raise TypeError(
                    f"Entry point {entry_point.name!r} of group {ENTRY_POINT_GROUP!r} names "
                    f"{entry_point.value}, which is not a ReportSpec."
                )
            found[spec.stem] = spec
        _FROM_ENTRY_POINTS = found
    return _FROM_ENTRY_POINTS


def register_report(spec: ReportSpec, replace: bool = False) -> ReportSpec:
    """Add a report to the registry of this process.

    Parameters
    ----------
    spec : ReportSpec
    replace : bool, default False
        Allow replacing a report of the same stem registered earlier with this function.

    Returns
    -------
    ReportSpec
        ``spec``.

    Raises
    ------
    ValueError
        When a report with this stem exists already (a product report or one from an entry point
        can never be replaced).

    Notes
    -----
    The renderer's kernels are other processes: a report whose notebook calls
    :func:`rvs_analysis.report.start` with ``requires`` taken from the registry must be declared
    through an entry point (:data:`ENTRY_POINT_GROUP`) for the kernels to see it.
    """
    if not isinstance(spec, ReportSpec):
        raise TypeError(f"register_report takes a ReportSpec, not {type(spec).__name__}.")
    fixed = {each.stem for each in REPORTS} | set(_entry_point_specs())
    if spec.stem in fixed or (spec.stem in _REGISTERED and not replace):
        raise ValueError(f"A report named {spec.stem!r} is registered already.")
    _REGISTERED[spec.stem] = spec
    return spec


def unregister_report(stem: str) -> None:
    """Remove a report added with :func:`register_report` (a no-op for an unknown stem)."""
    _REGISTERED.pop(stem, None)


def report_specs() -> list[ReportSpec]:
    """Every registered report: the product's, those of entry points, those registered here.

    Returns
    -------
    list of ReportSpec
        In that order; stems are unique.

    Raises
    ------
    ValueError
        When an entry point declares a stem the product uses already.
    """
    builtin = {spec.stem for spec in REPORTS}
    from_entry_points = _entry_point_specs()
    clashes = sorted(builtin & set(from_entry_points))
    if clashes:
        raise ValueError(
            f"Entry points of group {ENTRY_POINT_GROUP!r} declare reports the product has "
            f"already: {', '.join(clashes)}."
        )
    return [*REPORTS, *from_entry_points.values(), *_REGISTERED.values()]


def spec_for(name: str | Path) -> ReportSpec | None:
    """The registered report of a notebook.

    Parameters
    ----------
    name : str or path
        A stem (``"crime_change"``), a file name or a path (``"notebooks/crime_change.ipynb"``).

    Returns
    -------
    ReportSpec or None
        ``None`` for a notebook that is not registered.
    """
    if not name:
        return None
    stem = Path(str(name)).name.removesuffix(".ipynb")
    return next((spec for spec in report_specs() if spec.stem == stem), None)
