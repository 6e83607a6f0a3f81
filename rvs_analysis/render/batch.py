"""Batch rendering: every area's report notebooks to offline HTML, fast, incremental and atomic.

:func:`render_batch` is what ``rvs render`` runs:

1. *Validate* before anything is written: the notebooks exist, the areas are known, the source
   loads (``rvs_analysis.sources.load_source`` raises the typed errors for people), the output
   folder is one this command marked as its own, or empty (:mod:`rvs_analysis.render.output_folder`).
   Then the output folder is locked for the rest of the batch (a second batch into it refuses)
   and what killed batches left next to it is cleaned up.
2. *Plan*: one :class:`~rvs_analysis.render.executors.ReportTask` per area x notebook with a
   fingerprint of everything that determines its output (notebook content, parameters, data
   version, library content). A report whose fingerprint equals the one in the previous
   manifest and whose files still have the SHA-256 the manifest recorded is carried over without
   rendering (unless ``force``); this holds for failed reports too (the same inputs fail the same way), except
   failures that may not repeat (a timed-out cell, a dead kernel, a lost worker: ``retry``).
   The source itself is read and validated last (:func:`check_source`, the longest check): the
   local workers start their kernels meanwhile (planning needs only the source's version), and
   are stopped if it fails; a plan with nothing to render starts no worker.
3. *Render* the rest in parallel on warm kernels (:mod:`rvs_analysis.render.executors`), writing into a
   temporary folder next to the output folder; a failing report is recorded and the others go on.
4. *Swap*: write the manifest and the index page, then replace the output folder by the temporary
   one; whatever the output folder holds that the previous manifest does not list is moved into
   the new one, and only the listed files are deleted. A refused run writes nothing; an
   interrupted or terminated run removes its temporary folder. Either way the previous outputs
   stay byte for byte as they were.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import math
import os
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rvs_analysis import regions, sources
from rvs_analysis.clean import MIN_YEAR, max_plausible_year
from rvs_analysis.completeness import check_complete
from rvs_analysis.exceptions import DataWarning, RenderError
from rvs_analysis.provenance import code_version
from rvs_analysis.render import output_folder
from rvs_analysis.render.batch_areas import (
    batch_strategy,
    default_areas,
    follow_report_year,
    validate_areas,
)
from rvs_analysis.render.executors import (
    DaskExecutor,
    LocalExecutor,
    ReportResult,
    ReportTask,
    WorkerOptions,
)
from rvs_analysis.render.html import render_index
from rvs_analysis.render.tempfiles import batch_scratch, sweep_stale_scratch
from rvs_analysis.report.registry import spec_for
from rvs_analysis.resources import PRODUCT_DIR, data_path, product_root
from rvs_analysis.sources.base import source_label
from rvs_analysis.strategies import STRATEGIES_DIR, Strategy, resolve_strategy

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parents[1]
"""The library root (``rvs_analysis/``), whose content makes the library fingerprint."""
DEFAULT_NOTEBOOKS_DIR = Path("notebooks")
MANIFEST = "manifest.json"
INDEX = "index.html"
RENDERER_FORMAT = 1
"""Bumped when the renderer's output format changes, so that old reports are redone."""

STATUSES = ("ok", "failed", "skipped")


# --------------------------------------------------------------------------------------------
# What to render
# --------------------------------------------------------------------------------------------


def discover_notebooks(folder=DEFAULT_NOTEBOOKS_DIR):
    """Report notebooks directly under ``folder`` (not in sub-folders such as ``masterclass``).

    Parameters
    ----------
    folder : str or path

    Returns
    -------
    list of pathlib.Path
        Sorted by name; checkpoints and hidden files are ignored.
    """
    folder = Path(folder)
    if not folder.is_dir() and not folder.is_absolute():
        # Run from outside the repository: the product's own report notebooks (the repository's
        # notebooks/ in a checkout, the installed package's copy otherwise).
        folder = product_root() / folder
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.glob("*.ipynb")
        if path.is_file() and not path.name.startswith((".", "_"))
    )


def select_notebooks(available, names=None):
    """The notebooks named in ``names`` (stem, file name or path), or all ``available``.

    Raises
    ------
    RenderError
        A name matches no available notebook, or there is no notebook at all.
    """
    available = [Path(path) for path in available]
    if not names:
        if not available:
            raise RenderError(
                "There are no report notebooks to render. Report notebooks live directly under "
                "notebooks/ (pass --notebooks with paths to render others)."
            )
        return available
    chosen = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" and path.is_file():
            chosen.append(path)
            continue
        matches = [nb for nb in available if name in (nb.stem, nb.name)]
        if not matches:
            valid = ", ".join(nb.stem for nb in available) or "(none)"
            raise RenderError(
                f"Unknown notebook {name!r}. Available report notebooks: {valid}. Pass a name "
                "from that list or the path of a notebook file."
            )
        chosen.extend(matches)
    return list(dict.fromkeys(chosen))


def area_slug(area):
    """File-name-safe folder name of an area (``rvs_analysis.regions.slug``)."""
    return regions.slug(area)


# --------------------------------------------------------------------------------------------
# Versions and fingerprints
# --------------------------------------------------------------------------------------------


def library_fingerprint():
    """Content hash of the library (its Python files, templates and data tables).

    Notes
    -----
    Hashing the content rather than taking the git commit means that a commit which changes
    only tests or documentation does not redo every report, while an uncommitted edit of the
    library does.
    """
    digest = hashlib.sha256()
    files = [
        (path.relative_to(PACKAGE_DIR).as_posix(), path)
        for path in sorted(PACKAGE_DIR.rglob("*"))
        if path.is_file()
        and "__pycache__" not in path.parts
        and PRODUCT_DIR not in path.relative_to(PACKAGE_DIR).parts
        and path.suffix in {".py", ".j2", ".css", ".json", ".csv", ".html"}
    ]
    # The product's own tables, wherever they are (data/ in a checkout, inside an installed
    # package): the same files give the same fingerprint in both.
    tables = data_path()
    for pattern in ("regions/*.csv", "*.csv"):
        files.extend(
            ("data/" + path.relative_to(tables).as_posix(), path)
            for path in sorted(tables.glob(pattern))
        )
    for name, path in files:
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def report_fingerprint(notebook_bytes, parameters, data_version, library_version):
    """Hash of everything that determines a report's output.

    Parameters
    ----------
    notebook_bytes : bytes
        The notebook file's content.
    parameters : dict
        Injected parameters (without ``summary_path``, which only says where to write).
    data_version : str
        ``source_version(source, cache)``.
    library_version : str
        :func:`library_fingerprint` (and the package version).

    Returns
    -------
    str
        Hex SHA-256.
    """
    record = {
        "format": RENDERER_FORMAT,
        "notebook": hashlib.sha256(notebook_bytes).hexdigest(),
        "parameters": parameters,
        "data_version": data_version,
        "library": library_version,
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# The batch
# --------------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    """What a batch did: the manifest written, and which reports were rendered or carried over."""

    out: Path
    manifest: dict
    rendered: list[str] = field(default_factory=list)
    carried_over: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def counts(self):
        """Reports per status."""
        counts = dict.fromkeys(STATUSES, 0)
        for report in self.manifest["reports"]:
            counts[report["status"]] += 1
        return counts

    @property
    def failed(self):
        """Manifest entries of the failed reports."""
        return [report for report in self.manifest["reports"] if report["status"] == "failed"]

    @property
    def exit_code(self):
        """0 when no report failed, 1 otherwise (skipped reports are not failures)."""
        return 1 if self.failed else 0

    def summary_text(self):
        """One paragraph for the terminal, in Dutch like the reports."""
        counts = self.counts
        total = len(self.manifest["reports"])
        lines = [
            f"{total} rapporten: {counts['ok']} gelukt, {counts['failed']} mislukt, "
            f"{counts['skipped']} overgeslagen ({len(self.rendered)} gemaakt, "
            f"{len(self.carried_over)} ongewijzigd overgenomen) in {self.seconds:.1f} s. "
            f"Overzicht: {self.out / INDEX}"
        ]
        for report in self.failed:
            lines.append(f"  mislukt: {report['area']} / {report['notebook']}: {report['error']}")
        return "\n".join(lines)


def _source_parameters(source, cache):
    """``source`` and ``cache`` as the kernel should see them (absolute where they are paths)."""
    source = str(source)
    if source not in ("demo", "cbs") and Path(source).exists():
        source = str(Path(source).resolve())
    cache = str(cache)
    if Path(cache).exists():
        cache = str(Path(cache).resolve())
    return source, cache


def _notebook_label(path):
    """How the manifest names a notebook: relative to the working directory when inside it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def _notebook_title(path):
    """The report's Dutch title: its registry line's, else the notebook's first Markdown heading,
    else its file name."""
    spec = spec_for(path)
    if spec is not None:
        return spec.title
    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        cells = []
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        for line in source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return Path(path).stem.replace("_", " ").capitalize()


def _carry_over(previous, fingerprint, out, force):
    """The previous manifest entry if it can be reused as it is (same fingerprint, the same files
    as recorded by their hashes)."""
    if force or previous is None or previous.get("fingerprint") != fingerprint:
        return None
    if previous.get("status") not in STATUSES or previous.get("retry"):
        return None
    # Every file must still be the one this command wrote (same SHA-256): a report edited by
    # hand, truncated or replaced is rendered again.
    if not output_folder.files_match(previous, out):
        return None
    # the downloads too: a CSV rewritten to '=HYPERLINK(...)', an xlsx truncated to 0 bytes or a
    # file replaced by a link to a private file is never carried over as "ongewijzigd"
    if not output_folder.downloads_match(previous, out):
        return None
    return previous


class _Progress:
    """A tqdm bar on a terminal, plain log lines otherwise."""

    def __init__(self, total, enabled=None, stream=None):
        self.stream = stream or sys.stderr
        self.total = total
        self.done = 0
        if enabled is None:
            enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.bar = None
        if enabled and total:
            self.bar = tqdm(total=total, unit="rapport", file=self.stream, desc="rvs render")

    def update(self, result):
        self.done += 1
        line = (
            f"[{self.done}/{self.total}] {result.status:<7} {result.key} ({result.seconds:.1f} s)"
        )
        if result.error:
            line += f": {result.error.splitlines()[0][:200]}"
        if self.bar is not None:
            self.bar.set_postfix_str(f"{result.key} {result.status}", refresh=False)
            self.bar.update(1)
            if result.status == "failed":
                self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def render_batch(
    source="demo",
    cache="data/raw",
    *,
    level=None,
    areas=None,
    notebooks=None,
    notebooks_dir=DEFAULT_NOTEBOOKS_DIR,
    out="outputs",
    jobs=None,
    executor="local",
    scheduler=None,
    timeout=600.0,
    force=False,
    year=None,
    progress=None,
    warm_imports=None,
    on_result: Callable[[ReportResult], None] | None = None,
    parameters: dict | None = None,
    strategy=None,
):
    """Render every area x notebook report into ``out`` (see the module docstring).

    Parameters
    ----------
    source : str
        ``"demo"``, ``"cbs"`` or a folder in the tidy layout.
    cache : str or path
        CBS download cache (for ``source="cbs"``).
    level : {None, "region", "district", "gemeente"}
        Which areas; ``None`` is the region plus its five districts. Ignored when ``areas``
        is given.
    areas : sequence of str, optional
        Explicit area names (validated against the region's areas).
    notebooks : sequence of str, optional
        Notebook names (stems) or paths; default every notebook directly under
        ``notebooks_dir``.
    notebooks_dir : str or path
        Where report notebooks live.
    out : str or path
        Output folder; replaced as a whole at the end of the batch.
    jobs : int, optional
        Parallel workers (kernels); default the number of CPU cores.
    executor : {"local", "dask"}
        Local worker processes, or dask.distributed (``scheduler`` or a new LocalCluster).
    scheduler : str, optional
        Dask scheduler address.
    timeout : float or None
        Seconds one cell may run; a cell that runs longer (or a kernel that dies) fails that
        report only.
    force : bool
        Render every report even when its fingerprint is unchanged.
    year : int, optional
        Composition year for the list of municipalities; default the strategy's ``boundaries``.
    progress : bool, optional
        Progress bar (True), log lines (False) or decide by whether stderr is a terminal.
    warm_imports : sequence of str, optional
        Modules every kernel imports once at start-up. Default: the scientific stack
        (:data:`rvs_analysis.render.kernels.WARM_IMPORTS`) and the library's own modules
        (:data:`~rvs_analysis.render.kernels.WARM_LIBRARY_MODULES`), with the source loaded
        into the kernel's cache. When given, exactly these modules and nothing else: no library
        module and no pre-loaded source (each report imports and loads what it uses); ``()``
        starts bare kernels, for notebooks that need little.
    on_result : callable, optional
        Called with every :class:`~rvs_analysis.render.executors.ReportResult` as it arrives (after
        it has been written to the temporary folder).
    parameters : dict, optional
        Extra notebook parameters for every report (``rvs render -p NAME=VALUE``), e.g.
        ``{"report_year": 2018}``. Every notebook must declare each name in its parameters cell
        (checked before anything is rendered); ``area``, ``source``, ``cache`` and
        ``summary_path`` are set by the renderer itself. They become part of each report's
        parameters (and fingerprint) and are listed in the manifest and on the index page.
    strategy : str or pathlib.Path, optional
        The strategy every report follows (``rvs render --strategy``): a shipped id or a folder,
        checked before anything is written and passed to each notebook as its ``strategy``
        parameter. ``None``: each report follows the strategy of its report year
        (``-p report_year``, else the latest year of the source); the batch lists the areas of
        that strategy.

    Returns
    -------
    BatchResult

    Raises
    ------
    RvsError
        Before anything is written: unknown notebook or area, unavailable or invalid source,
        unsafe output folder.
    KeyboardInterrupt
        Passed on after the temporary folder has been removed; ``out`` is untouched.
    """
    started = time.perf_counter()
    # Nothing is written before preparing (every check) has passed.
    inputs = check_request(
        source, cache, level, areas, notebooks, notebooks_dir, out, year, parameters, strategy
    )
    # Scratch folders an earlier, killed batch could not remove (stale, ours, rvs names only).
    sweep_stale_scratch()
    # One batch per output folder, from reading the previous manifest to the swap; the workers'
    # and kernels' scratch in one folder of the batch's own, removed however the batch ends.
    with output_folder.locked(inputs.out), batch_scratch() as scratch:
        output_folder.clean_leftovers(inputs.out)
        output_folder.check_output_folder(inputs.out)
        previous_manifest = output_folder.read_manifest(inputs.out)
        plan = plan_batch(inputs, previous_manifest, timeout=timeout, force=force)
        output_folder.check_foreign_names(inputs.out, planned_files(plan))
        # The workers start their kernels while the source is validated here (the kernels
        # load it themselves): the two longest steps before the first report overlap.
        runner = _runner(plan, inputs, jobs, executor, scheduler, warm_imports, scratch)
        try:
            check_source(inputs)
            plan.tasks = [_with_provenance(task, inputs) for task in plan.tasks]
            staging = output_folder.make_staging(inputs.out)
            try:
                for key in plan.carried:
                    _copy_report_files(plan.entries[key], inputs.out, staging)
                rendered = run_tasks(
                    plan,
                    inputs,
                    staging,
                    jobs=jobs,
                    executor=executor,
                    scheduler=scheduler,
                    warm_imports=warm_imports,
                    progress=progress,
                    on_result=on_result,
                    runner=runner,
                )
                manifest = write_manifest_and_index(staging, inputs, plan)
                output_folder.swap_in(staging, inputs.out)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        finally:
            if runner is not None and hasattr(runner, "stop"):
                runner.stop()
    return BatchResult(
        out=inputs.out,
        manifest=manifest,
        rendered=rendered,
        carried_over=plan.carried,
        seconds=time.perf_counter() - started,
    )


@dataclass
class BatchInputs:
    """What a batch renders, after every check has passed (:func:`check_request`, then
    :func:`check_source`)."""

    out: Path
    notebook_paths: list[Path]
    area_names: list[str]
    source: str
    source_parameter: str
    cache_parameter: str
    data_version: str
    library_version: str
    provenance: dict
    parameters: dict = field(default_factory=dict)
    """Extra parameters for every report (``rvs render -p``)."""
    strategy: Strategy | None = None
    """The strategy whose areas the batch lists (:func:`batch_strategy`)."""
    default_level: tuple | None = None
    """``(level, year)`` where the areas are a level's default list, not named with ``--areas``."""


@dataclass
class BatchPlan:
    """Every report's manifest entry, the reports to render and those carried over unchanged."""

    entries: dict[str, dict]
    tasks: list[ReportTask]
    carried: list[str]


def check_request(
    source, cache, level, areas, notebooks, notebooks_dir, out, year, parameters=None, strategy=None
):
    """Step 1a: every check but reading the source (notebooks, areas, parameters, the source's
    version, output folder), enough to plan the batch; nothing is written.

    Returns
    -------
    BatchInputs
        Its ``provenance`` lacks what only the data say (``source_name``, ``is_demo``) until
        :func:`check_source` has read them.
    """
    out = Path(out).resolve()
    notebook_paths = select_notebooks(discover_notebooks(notebooks_dir), notebooks)
    parameters = dict(parameters or {})
    followed = batch_strategy(strategy, parameters)
    if strategy not in (None, ""):
        # every report follows it: a shipped id as it is, the user's folder by its full path
        parameters["strategy"] = (
            followed.id if followed.folder.parent == STRATEGIES_DIR else str(followed.folder)
        )
    parameters = check_parameters(parameters, notebook_paths)
    area_names = (
        validate_areas(areas, year, followed) if areas else default_areas(level, year, followed)
    )
    data_version = sources.source_version(source, cache)
    output_folder.check_output_folder(out)
    source_parameter, cache_parameter = _source_parameters(source, cache)
    return BatchInputs(
        out=out,
        notebook_paths=list(notebook_paths),
        area_names=list(area_names),
        source=str(source),
        source_parameter=source_parameter,
        cache_parameter=cache_parameter,
        data_version=data_version,
        library_version=library_fingerprint(),
        strategy=followed,
        default_level=None if areas else (level, year),
        provenance={
            "region": followed.region,
            "strategy": followed.id,
            "source": str(source),
            "code_version": code_version(),
        },
        parameters=parameters,
    )


def check_source(inputs):
    """Step 1b: load and validate the source (the batch's longest check) and complete the
    provenance with its name and whether it is demo data; nothing is written.

    Raises
    ------
    RvsError
        Unavailable or invalid source.
    """
    dataset = sources.load_source(inputs.source, inputs.cache_parameter)
    follow_report_year(dataset, inputs)
    _check_region_complete(dataset, inputs.parameters, inputs.strategy)
    noticed = sources.load_notes(dataset)
    if noticed:  # once per batch here; the notebooks' own loads keep it in the provenance only
        warnings.warn(noticed, DataWarning, stacklevel=2)
        inputs.provenance["data_notes"] = noticed
    inputs.provenance.update(
        source_name=_source_name(dataset, inputs.source),
        data_version=inputs.data_version,
        is_demo=bool(getattr(dataset, "is_demo", False)),
    )
    return inputs


def _check_region_complete(dataset, parameters: dict, strategy=None) -> None:
    """Refuse the batch before anything renders when a municipality of the region lacks rows for
    a year the reports use (``first_year`` to ``report_year`` of ``-p``, else every year): each
    report sums the region's municipalities (:func:`rvs_analysis.completeness.check_complete`)."""

    def year(name):
        try:
            return int(parameters.get(name))
        except (TypeError, ValueError):
            return None

    first, last = year("first_year"), year("report_year")
    years = [
        each
        for each in dataset.years
        if (first is None or each >= first) and (last is None or each <= last)
    ]
    strategy = strategy or resolve_strategy(None, None)[0]
    composition = strategy.composition()
    check_complete(
        dataset, composition["gemeente_code"], strategy.boundaries, years, area=strategy.region
    )


RENDERER_PARAMETERS = ("area", "source", "cache", "summary_path")
"""Parameters the renderer sets for each report itself (``--areas``, ``--source``, ``--cache``)."""


def declared_parameters(path) -> list[str]:
    """The names a notebook's ``parameters`` cell assigns, in order (papermill's contract).

    Parameters
    ----------
    path : str or pathlib.Path
        A report notebook.

    Returns
    -------
    list of str
        Empty when the notebook has no cell tagged ``parameters``.

    Raises
    ------
    RenderError
        When the notebook is not valid notebook JSON or its parameters cell is not valid Python.
    """
    return list(declared_defaults(path))


def declared_defaults(path) -> dict[str, Any]:
    """The names a notebook's ``parameters`` cell assigns with their literal defaults.

    Returns
    -------
    dict
        Name -> default (``...`` where the default is not a literal).

    Raises
    ------
    RenderError
        When the notebook is not valid notebook JSON or its parameters cell is not valid Python.
    """
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = notebook.get("cells", []) if isinstance(notebook, dict) else None
        if not isinstance(cells, list):
            raise ValueError("no list of cells")
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise RenderError(
            f"{path} is not a readable notebook ({error}); check the file or leave it out of "
            "--notebooks. Nothing was rendered."
        ) from None
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        if "parameters" not in (cell.get("metadata") or {}).get("tags", []):
            continue
        source = cell.get("source", "")
        try:
            tree = ast.parse("".join(source) if isinstance(source, list) else str(source))
        except SyntaxError as error:
            raise RenderError(
                f"The parameters cell of {path} is not valid Python (line {error.lineno}: "
                f"{error.msg}); fix the notebook. Nothing was rendered."
            ) from None
        defaults: dict[str, Any] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            else:
                targets, value = [getattr(node, "target", None)], getattr(node, "value", None)
            try:
                literal = ast.literal_eval(value) if value is not None else ...
            except ValueError:
                literal = ...
            for target in targets:
                if isinstance(target, ast.Name) and target.id not in defaults:
                    defaults[target.id] = literal
        return defaults
    return {}


def check_parameter_value(name: str, value: Any, default: Any) -> None:
    """Refuse a ``-p`` value a report cannot use, before anything renders.

    A parameter whose name ends in ``_year`` takes a whole year from 1990 to next year (or
    ``None`` where that is its default); otherwise a value must have its default's type (an
    integer default takes an integer, not ``True``; text takes text).

    Raises
    ------
    RenderError
        Naming the parameter, the value and what it takes.
    """
    if name.endswith("_year"):
        if value is None and default is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            problem = "a whole year"
        elif not MIN_YEAR <= value <= max_plausible_year():
            problem = f"a year from {MIN_YEAR} to {max_plausible_year()}"
        else:
            return
    elif default is ... or default is None or value is None:
        return
    elif isinstance(default, bool):
        if isinstance(value, bool):
            return
        problem = "True or False"
    elif isinstance(default, int | float) and not isinstance(value, bool):
        if isinstance(value, int) or (
            isinstance(default, float) and isinstance(value, float) and math.isfinite(value)
        ):
            return
        problem = "a whole number" if isinstance(default, int) else "a finite number"
    elif isinstance(default, str) and isinstance(value, str):
        return
    else:
        problem = f"a value like its default {default!r}"
    raise RenderError(
        f"-p {name}={value!r} is not {problem}; nothing was rendered and the previous output "
        "is untouched."
    )


def check_parameters(parameters, notebook_paths) -> dict:
    """Refuse a parameter that the renderer sets itself or that a notebook does not declare.

    Returns
    -------
    dict
        The parameters, as given.

    Raises
    ------
    RenderError
        Naming the parameter, the notebook and the names that notebook does declare.
    """
    parameters = dict(parameters or {})
    own = [name for name in parameters if name in RENDERER_PARAMETERS]
    if own:
        raise RenderError(
            f"Parameter {own[0]!r} is set by rvs render itself for every report; use --areas, "
            "--source or --cache instead of -p."
        )
    for path in notebook_paths:
        declared = declared_defaults(path)
        unknown = [name for name in parameters if name not in declared]
        if unknown:
            offered = [name for name in declared if name not in RENDERER_PARAMETERS]
            raise RenderError(
                f"Parameter {unknown[0]!r} is not declared by {_notebook_label(path)}; it "
                f"declares: {', '.join(offered) or 'no parameters besides area, source and cache'}."
                " Nothing was rendered."
            )
        for name, value in parameters.items():
            check_parameter_value(name, value, declared[name])
    return parameters


def _source_name(dataset, source):
    """The source by its name (``CBS StatLine 47018NED, ...``, the demo data set's name, or the
    folder's title in its metadata), not by a file path."""
    title = (getattr(dataset, "provenance", None) or {}).get("title")
    if title and not getattr(dataset, "is_demo", False):
        return str(title)
    label = source_label(dataset)
    if label.startswith("Bron: "):
        return Path(str(source)).name or str(source)
    return label


def plan_batch(inputs, previous_manifest, *, timeout=600.0, force=False):
    """Step 2: one task per area x notebook, except reports whose fingerprint is unchanged.

    Parameters
    ----------
    inputs : BatchInputs
    previous_manifest : dict
        The manifest of the outputs already in ``inputs.out`` (``{"reports": []}`` when none).
    timeout : float or None
        Seconds one cell may run.
    force : bool
        Render every report even when its fingerprint is unchanged.

    Returns
    -------
    BatchPlan
    """
    previous = {
        (report.get("area"), report.get("notebook")): report
        for report in previous_manifest.get("reports", [])
    }
    expected = _expected_seconds(previous_manifest)
    plan = BatchPlan(entries={}, tasks=[], carried=[])
    for area in inputs.area_names:
        slug = area_slug(area)
        for path in inputs.notebook_paths:
            notebook_bytes = path.read_bytes()
            label = _notebook_label(path)
            key = f"{slug}/{path.stem}"
            parameters = {
                "area": area,
                "source": inputs.source_parameter,
                "cache": inputs.cache_parameter,
                **inputs.parameters,
            }
            fingerprint = report_fingerprint(
                notebook_bytes, parameters, inputs.data_version, inputs.library_version
            )
            reused = _carry_over(previous.get((area, label)), fingerprint, inputs.out, force)
            if reused is not None:
                plan.entries[key] = {**reused, "reused": True}
                plan.carried.append(key)
                continue
            plan.entries[key] = {
                "notebook": label,
                "area": area,
                "parameters": parameters,
                "status": "failed",
                "html": None,
                "summary": None,
                "ipynb": None,
                "seconds": None,
                "error": "not rendered",
                "fingerprint": fingerprint,
                "rendered_at": None,
                "retry": True,
                "reused": False,
            }
            plan.tasks.append(
                ReportTask(
                    key=key,
                    notebook=label,
                    notebook_json=notebook_bytes.decode("utf-8"),
                    notebook_dir=str(path.resolve().parent),
                    area=area,
                    parameters=parameters,
                    provenance={**inputs.provenance, "title": _notebook_title(path)},
                    timeout=timeout,
                    expected_seconds=expected.get((area, label), expected.get(label)),
                )
            )
    return plan


def _expected_seconds(previous_manifest):
    """How long each report took last time, for scheduling the longest first.

    Returns
    -------
    dict
        ``{(area, notebook): seconds}`` for every report the previous manifest timed, and
        ``{notebook: mean seconds}`` for areas it did not have (a new level, a new area).
    """
    expected: dict = {}
    by_notebook: dict[str, list[float]] = {}
    for report in previous_manifest.get("reports", []):
        seconds = (report.get("timings") or {}).get("total") or report.get("seconds")
        if not seconds or report.get("status") not in STATUSES:
            continue
        expected[(report.get("area"), report.get("notebook"))] = float(seconds)
        by_notebook.setdefault(report.get("notebook"), []).append(float(seconds))
    for notebook, values in by_notebook.items():
        expected[notebook] = sum(values) / len(values)
    return expected


def planned_files(plan):
    """Relative paths of every file the batch may write into the output folder."""
    files = {output_folder.MANIFEST, output_folder.INDEX, output_folder.MARKER}
    for key, entry in plan.entries.items():
        if entry.get("reused"):
            files.update(entry[kind] for kind in output_folder.REPORT_FILE_KINDS if entry.get(kind))
        else:
            files.update(f"{key}{suffix}" for suffix in (".html", ".summary.json", ".ipynb"))
    return files


def run_tasks(
    plan,
    inputs,
    staging,
    *,
    jobs=None,
    executor="local",
    scheduler=None,
    warm_imports=None,
    progress=None,
    on_result=None,
    runner=None,
):
    """Step 3: render the plan's tasks in parallel and write each result into ``staging``.

    ``runner`` is an executor made (and perhaps started) by :func:`_runner`; without one, one is
    made here.

    Returns
    -------
    list of str
        The keys of the reports rendered, in the order they finished; their manifest entries in
        ``plan.entries`` are updated in place.
    """
    rendered: list[str] = []
    if not plan.tasks:
        return rendered
    if runner is None:
        runner = _make_runner(inputs, jobs, executor, scheduler, warm_imports)
    bar = _Progress(len(plan.tasks), enabled=progress)
    # Close the generator explicitly: an exception (KeyboardInterrupt) must stop the
    # workers now, not when the traceback holding the generator is garbage collected.
    results = runner.run(plan.tasks)
    try:
        for result in results:
            plan.entries[result.key].update(_write_result(result, staging))
            rendered.append(result.key)
            bar.update(result)
            if on_result is not None:
                on_result(result)
    finally:
        results.close()
        bar.close()
    return rendered


def _make_runner(inputs, jobs, executor, scheduler, warm_imports, scratch=None):
    """The executor of a batch: local worker processes or dask (``scratch``: the batch's
    scratch folder, see :attr:`WorkerOptions.scratch`)."""
    if warm_imports is None:
        # the default warm-up: the stack, the library's modules and the source pre-loaded
        options = WorkerOptions(
            scratch=scratch, source=inputs.source_parameter, cache=inputs.cache_parameter
        )
    else:
        options = WorkerOptions(
            scratch=scratch, warm_imports=tuple(warm_imports), warm_library_modules=()
        )
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    if executor == "local":
        return LocalExecutor(jobs=jobs, options=options)
    if executor == "dask":
        return DaskExecutor(jobs=jobs, options=options, scheduler=scheduler)
    raise RenderError(f"Unknown executor {executor!r}; choose 'local' or 'dask'.")


def _runner(plan, inputs, jobs, executor, scheduler, warm_imports, scratch=None):
    """The batch's executor, its local workers already starting their kernels; ``None`` when
    there is nothing to render (a rerun with nothing changed starts no worker)."""
    if not plan.tasks:
        return None
    runner = _make_runner(inputs, jobs, executor, scheduler, warm_imports, scratch)
    start = getattr(runner, "start", None)
    if start is not None:
        start(len(plan.tasks))
    return runner


def _with_provenance(task, inputs):
    """``task`` with the batch's provenance as it is after :func:`check_source`."""
    return dataclasses.replace(task, provenance={**task.provenance, **inputs.provenance})


def write_manifest_and_index(staging, inputs, plan):
    """Step 4: write ``manifest.json`` and ``index.html`` into ``staging``; return the manifest."""
    manifest = {
        "reports": list(plan.entries.values()),
        "source": inputs.source,
        "source_name": inputs.provenance.get("source_name"),
        "code_version": inputs.provenance["code_version"],
        "data_version": inputs.data_version,
        "library_fingerprint": inputs.library_version,
        "generated_at": _now(),
        "parameters": dict(inputs.parameters),
    }
    summaries = {
        (entry["area"], entry["notebook"]): _read_summary(staging, entry.get("summary"))
        for entry in plan.entries.values()
    }
    (staging / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (staging / INDEX).write_text(
        render_index(
            manifest,
            summaries=summaries,
            areas=inputs.area_names,
            notebooks=[
                (_notebook_label(path), _notebook_title(path)) for path in inputs.notebook_paths
            ],
            region=inputs.provenance["region"],
            composition=(inputs.strategy or resolve_strategy(None, None)[0]).composition(),
            strategy=(inputs.strategy or resolve_strategy(None, None)[0]).label,
            is_demo=inputs.provenance["is_demo"],
            generated_at=manifest["generated_at"],
        ),
        encoding="utf-8",
    )
    return manifest


def _now():
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def report_timings(timings, seconds, write_seconds):
    """The manifest's ``timings`` of one rendered report: where its seconds went.

    Parameters
    ----------
    timings : dict
        :attr:`~rvs_analysis.render.executors.ReportResult.timings` from the worker.
    seconds : float
        The report's time on the worker (the manifest's ``seconds``).
    write_seconds : float
        Writing the report's files into the temporary folder.

    Returns
    -------
    dict
        Seconds (wall clock) of ``prepare`` (parameterising the notebook), ``reset`` (the warm
        kernel back to its clean state), ``execute`` (running every cell, nbclient's own work
        included), ``cells_total`` (the cells' own durations, the notebook's work) with
        ``cells`` (``{cell id: seconds}`` per code cell that ran, in order; the ids are the
        notebook file's, papermill's parameters cell is ``"injected-parameters"``), ``source_load`` and
        ``harmonise`` (inside the cells: what the report spent loading and harmonising its source,
        near zero when the warm kernel has it already), ``export`` (HTML), ``serialise`` (the
        executed notebook as text), ``write``, ``total`` (``seconds`` plus ``write``) and
        ``overhead`` (everything but the notebook's own work: ``total`` minus ``cells_total``); ``kernel_start`` on the first report of a kernel
        (its start, imports and source pre-load, paid once per worker, not part of ``overhead``);
        ``started_at`` / ``finished_at`` (Unix time on the worker) show how the workers were
        kept busy. A step that did not run is missing.
    """
    record = dict(timings)
    cells = record.get("cells") or {}
    total_cells = sum(cells.values())
    record["cells_total"] = round(total_cells, 4)
    record["write"] = round(write_seconds, 4)
    total = float(seconds or 0.0) + write_seconds
    record["total"] = round(total, 4)
    record["overhead"] = round(max(0.0, total - total_cells), 4)
    return record


def _write_result(result, staging):
    """Write one report's files into the temporary folder; return the manifest fields."""
    writing = time.perf_counter()
    slug, notebook = result.key.split("/", 1)
    folder = staging / slug
    folder.mkdir(exist_ok=True)
    fields = {
        "status": result.status,
        "seconds": result.seconds,
        "error": result.error,
        "rendered_at": result.rendered_at,
        "retry": result.transient,
        "html": None,
        "summary": None,
        "ipynb": None,
        "sha256": {},
    }
    for kind, suffix, text in (
        ("html", ".html", result.html),
        ("summary", ".summary.json", result.summary),
        ("ipynb", ".ipynb", result.ipynb),
    ):
        if text is None:
            continue
        path = folder / f"{notebook}{suffix}"
        path.write_text(text, encoding="utf-8")
        fields[kind] = f"{slug}/{notebook}{suffix}"
        fields["sha256"][kind] = output_folder.file_sha256(path)
    # The tables (CSV, xlsx) and figures (PNG) the page links to, beside it.
    fields["downloads"] = []
    if result.html is not None and result.downloads:
        files = folder / f"{notebook}_bestanden"
        files.mkdir(exist_ok=True)
        for name, data in sorted(result.downloads.items()):
            (files / name).write_bytes(data)
            fields["downloads"].append(f"{slug}/{notebook}_bestanden/{name}")
    fields["downloads_sha256"] = {
        path: output_folder.file_sha256(staging / path) for path in fields["downloads"]
    }
    fields["worker"] = result.worker
    fields["timings"] = report_timings(
        result.timings, result.seconds, time.perf_counter() - writing
    )
    return fields


def _read_summary(folder, relative):
    if not relative:
        return None
    try:
        return json.loads((folder / relative).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("summary %s is not readable JSON; the index shows no figures for it", relative)
        return None


def _copy_report_files(entry, out, staging):
    paths = [entry[kind] for kind in ("html", "summary", "ipynb") if entry.get(kind)]
    for path in paths + list(entry.get("downloads") or []):
        source = out / path
        if source.is_symlink() or not source.is_file():  # never follow a link out of --out
            raise RenderError(f"{source} is no longer the file rvs render wrote; render again.")
        target = staging / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def parse_list(text: str | None) -> Sequence[str] | None:
    """Split a comma-separated command-line list, dropping empty items (``None`` stays None)."""
    if text is None:
        return None
    items = [item.strip() for item in text.split(",") if item.strip()]
    return items or None
