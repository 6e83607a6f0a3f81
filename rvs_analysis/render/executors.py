"""Where reports run: a pool of local worker processes or a dask.distributed cluster.

A report is a :class:`ReportTask` (notebook text, area, parameters, provenance) and comes back as
a :class:`ReportResult` (status, error, seconds, and the HTML, executed notebook and summary as
text). Both executors run tasks with a :class:`ReportWorker`: one warm kernel
(:class:`rvs_analysis.render.kernels.WarmKernel`) plus one reusable HTML exporter per worker, so start-up
and imports are paid once per worker instead of once per report. Results carry their files as
text, so the same code serves a cluster whose workers do not share the file system.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import math
import multiprocessing
import os
import queue
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
import psutil
from papermill import __version__ as papermill_version
from papermill.execute import (
    ERROR_ANCHOR_MSG,
    ERROR_MARKER_TAG,
    ERROR_MESSAGE_TEMPLATE,
    prepare_notebook_metadata,
    remove_error_markers,
)
from papermill.parameterize import parameterize_notebook

from rvs_analysis.exceptions import ClusterLostError, RenderError
from rvs_analysis.render.downloads import prepare_downloads
from rvs_analysis.render.html import ReportExporter
from rvs_analysis.render.kernels import (
    WARM_IMPORTS,
    WARM_LIBRARY_MODULES,
    KernelUnavailableError,
    WarmKernel,
)

log = logging.getLogger(__name__)

NOT_AVAILABLE = "NotAvailableForSource"


@dataclass(frozen=True)
class ReportTask:
    """One report to render: a notebook for one area.

    Attributes
    ----------
    key : str
        ``<area-slug>/<notebook>``: unique in a batch, also the output path stem.
    notebook : str
        Notebook path as the manifest records it.
    notebook_json : str
        The notebook's content (so that remote workers need no shared file system).
    notebook_dir : str
        Folder the kernel works in (the notebook's own, as in Jupyter); a temporary folder is
        used where it does not exist.
    area : str
        Area name.
    parameters : dict
        Parameters injected into the notebook (``summary_path`` is added by the worker).
    provenance : dict
        ``region``, ``title``, ``source``, ``data_version``, ``code_version``, ``is_demo``:
        what the report's banner and footer show.
    timeout : float or None
        Seconds one cell may run before the report fails.
    """

    key: str
    notebook: str
    notebook_json: str
    notebook_dir: str
    area: str
    parameters: dict
    provenance: dict
    timeout: float | None = 600.0
    expected_seconds: float | None = None
    """How long the report took last time (from the previous manifest), for scheduling."""


class LongestFirst:
    """Which waiting report a free worker gets next: the one expected to take longest.

    Parameters
    ----------
    tasks : iterable of ReportTask
    reorder : bool, default True
        ``False`` hands the tasks out in plan order (one worker: the order does not change when
        the batch ends, and a plan order is easier to follow).

    Notes
    -----
    Longest processing time first (Graham 1969): handing out the long reports first and the
    short ones last lets the workers finish close together, instead of one worker still
    running a long report while the others have nothing left. The expected time of a report is
    its :attr:`ReportTask.expected_seconds` (the previous run's, from the manifest) when known,
    else the mean time of the reports of the same notebook finished so far in this batch, else
    unknown; unknown reports go first (in plan order), so that every notebook's cost is learnt
    early. Ties keep the plan order.
    """

    def __init__(self, tasks, reorder=True):
        self.waiting = list(tasks)
        self.reorder = reorder
        self._seconds: dict[str, list[float]] = {}

    def __len__(self):
        return len(self.waiting)

    def expected(self, task):
        """Expected seconds of ``task`` (``inf`` when unknown)."""
        if task.expected_seconds is not None:
            return float(task.expected_seconds)
        seen = self._seconds.get(task.notebook)
        return sum(seen) / len(seen) if seen else math.inf

    def record(self, task, seconds):
        """Learn from a finished report (its notebook's mean time)."""
        if seconds:
            self._seconds.setdefault(task.notebook, []).append(float(seconds))

    def pop(self):
        """Remove and return the waiting task expected to take longest (``None`` when none)."""
        if not self.waiting:
            return None
        if not self.reorder:
            return self.waiting.pop(0)
        best = max(range(len(self.waiting)), key=lambda i: (self.expected(self.waiting[i]), -i))
        return self.waiting.pop(best)


@dataclass
class ReportResult:
    """Outcome of one report; the files come as text and are written by the batch."""

    key: str
    status: str
    seconds: float
    error: str | None = None
    html: str | None = None
    ipynb: str | None = None
    summary: str | None = None
    rendered_at: str | None = None
    worker: str | None = None
    transient: bool = False
    """True when the failure may not repeat (timeout, dead kernel, lost worker): retried next run."""
    timings: dict[str, Any] = field(default_factory=dict)
    """Where the report's seconds went (see :func:`rvs_analysis.render.batch.report_timings`)."""
    downloads: dict | None = None
    """The page's download files (name -> bytes: tables as CSV and xlsx, figures as PNG)."""


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker's kernel is set up (same for every worker of a batch)."""

    source: str | None = None
    cache: str | None = None
    kernel_name: str = "python3"
    warm_imports: tuple[str, ...] = WARM_IMPORTS
    warm_library_modules: tuple[str, ...] = WARM_LIBRARY_MODULES
    """The library's own modules the kernel imports at warm-up (where they import)."""
    startup_timeout: float = 120.0
    blas_threads: int | None = 1
    scratch: str | None = None
    """The batch's scratch folder (:func:`rvs_analysis.render.tempfiles.batch_scratch`): the
    kernels' sockets and connection files, each report's scratch and the kernels' ``TMPDIR`` go
    there, so that the batch process can remove all of it, also when a worker was killed.
    ``None``: the worker's own temporary folder (a remote dask worker)."""


class ReportWorker:
    """Renders report after report on one warm kernel with one HTML exporter.

    Parameters
    ----------
    options : WorkerOptions

    Notes
    -----
    For every task: the notebook is parameterised with papermill's ``parameterize_notebook``
    (so the executed notebook has papermill's ``injected-parameters`` cell and metadata), a
    ``summary_path`` into a private temporary folder is added, the notebook runs on the warm
    kernel after a state reset, and the executed notebook is exported to HTML in-process.
    A cell error makes the report *failed* (the executed notebook keeps the failing cell and
    papermill's error markers) unless the exception is ``NotAvailableForSource``, which makes
    it *skipped* with the exception's reason. A timed-out cell or a dead kernel fails the
    report and stops the kernel; the next report starts a new one.
    """

    def __init__(self, options=None):
        self.options = options or WorkerOptions()
        self.kernel = WarmKernel(
            kernel_name=self.options.kernel_name,
            startup_timeout=self.options.startup_timeout,
            source=self.options.source,
            cache=self.options.cache,
            warm_imports=self.options.warm_imports,
            library_modules=self.options.warm_library_modules,
            blas_threads=self.options.blas_threads,
            scratch=self.options.scratch,
        )
        self._exporter = None
        self._starts_reported = 0
        self.name = f"{os.uname().nodename}:{os.getpid()}"

    @property
    def exporter(self):
        """The worker's reusable :class:`rvs_analysis.render.html.ReportExporter`."""
        if self._exporter is None:
            self._exporter = ReportExporter()
        return self._exporter

    def start(self):
        """Start and warm the kernel and build the exporter (both reused for every report)."""
        self.kernel.start()
        _ = self.exporter

    def close(self):
        """Shut the kernel down."""
        self.kernel.shutdown()

    def run(self, task):
        """Render one report.

        Parameters
        ----------
        task : ReportTask

        Returns
        -------
        ReportResult
        """
        started = time.perf_counter()
        started_at = time.time()
        rendered_at = dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")
        timings: dict[str, Any] = {}
        with tempfile.TemporaryDirectory(prefix="rvs-report-", dir=self.options.scratch) as scratch:
            summary_path = Path(scratch) / "summary.json"
            nb = notebook_node(task.notebook_json)
            nb = parameterize_notebook(
                nb,
                {**task.parameters, "summary_path": str(summary_path)},
                kernel_name=self.kernel.kernel_name,
                language="python",
            )
            nb = prepare_notebook_metadata(nb, task.notebook, None)
            nb = remove_error_markers(nb)
            cwd = task.notebook_dir if Path(task.notebook_dir).is_dir() else scratch
            timings["prepare"] = round(time.perf_counter() - started, 4)
            try:
                outcome = self.kernel.execute_notebook(nb, cwd=cwd, timeout=task.timeout)
            except KernelUnavailableError as error:
                return ReportResult(
                    key=task.key,
                    status="failed",
                    seconds=round(time.perf_counter() - started, 3),
                    error=f"De kernel kon niet starten of herstarten: {error}",
                    ipynb=nbformat.writes(nb),
                    rendered_at=rendered_at,
                    worker=self.name,
                    transient=True,
                )
            summary = summary_path.read_text(encoding="utf-8") if summary_path.exists() else None
        timings.update(outcome.timings)
        if self.kernel.starts != self._starts_reported:
            # The kernel was (re)started for or before this report: say once what that cost.
            self._starts_reported = self.kernel.starts
            timings["kernel_start"] = self.kernel.start_seconds
        executed = outcome.nb
        if outcome.error_name is None:
            status, error = "ok", None
        elif outcome.error_name == NOT_AVAILABLE:
            status, error = "skipped", outcome.error_value or "niet beschikbaar voor deze bron"
        else:
            status = "failed"
            where = f" (cel {outcome.error_cell})" if outcome.error_cell is not None else ""
            error = f"{outcome.error_name}: {outcome.error_value}{where}"
            if outcome.kernel_failure is None and outcome.error_cell is not None:
                executed = _with_papermill_error_markers(executed, outcome.error_cell)
        html = None
        downloads = None
        if status != "skipped":
            page_nb, prepared = prepare_downloads(
                executed, task.key.split("/", 1)[1], task.provenance.get("title", "")
            )
            downloads = prepared.files
            provenance = {
                **task.provenance,
                "area": task.area,
                "notebook": task.notebook,
                "parameters": dict(task.parameters),
                "rendered_at": rendered_at,
                "seconds": f"{time.perf_counter() - started:.1f}",
                "status": status,
                "error": error,
                "downloads": prepared.links,
            }
            exporting = time.perf_counter()
            html = self.exporter.export(page_nb, provenance)
            timings["export"] = round(time.perf_counter() - exporting, 4)
        serialising = time.perf_counter()
        ipynb = nbformat.writes(executed)
        timings["serialise"] = round(time.perf_counter() - serialising, 4)
        timings["started_at"] = round(started_at, 3)
        timings["finished_at"] = round(time.time(), 3)
        return ReportResult(
            key=task.key,
            status=status,
            seconds=round(time.perf_counter() - started, 3),
            error=error,
            html=html,
            ipynb=ipynb,
            summary=summary,
            rendered_at=rendered_at,
            worker=self.name,
            transient=outcome.kernel_failure is not None,
            timings=timings,
            downloads=downloads,
        )


def notebook_node(text):
    """Read notebook text as papermill's ``load_notebook_node`` reads a file.

    Upgrades to the current nbformat 4 minor version and adds the ``tags`` and ``papermill``
    metadata papermill expects on every cell (papermill reads only from paths or URLs, and a
    task carries the notebook as text).
    """
    nb = nbformat.reads(text, as_version=4)
    nb = nbformat.v4.upgrade(nb) or nb
    if "papermill" not in nb.metadata:
        nb.metadata["papermill"] = {
            "default_parameters": {},
            "parameters": {},
            "environment_variables": {},
            "version": papermill_version,
        }
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
        cell.metadata.setdefault("papermill", {})
    return nb


def _with_papermill_error_markers(nb, cell_index):
    """Add papermill's "An Exception was encountered" cells, as ``papermill`` itself does."""
    message = nbformat.v4.new_markdown_cell(
        ERROR_MESSAGE_TEMPLATE % str(nb.cells[cell_index].get("execution_count"))
    )
    message.metadata["tags"] = [ERROR_MARKER_TAG]
    anchor = nbformat.v4.new_markdown_cell(ERROR_ANCHOR_MSG)
    anchor.metadata["tags"] = [ERROR_MARKER_TAG]
    nb.cells.insert(cell_index, anchor)
    nb.cells.insert(0, message)
    return nb


def failed_result(task, error):
    """A failed :class:`ReportResult` for a task that never produced one (worker lost)."""
    return ReportResult(key=task.key, status="failed", seconds=0.0, error=error, transient=True)


# --------------------------------------------------------------------------------------------
# Local executor: N worker processes, each with one warm kernel.
# --------------------------------------------------------------------------------------------


def _kill_kernel(worker):
    """Kill the worker's kernel process at once (SIGKILL); nothing in it is worth saving."""
    pid = worker.kernel.pid if worker is not None else None
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _watch_parent(parent, worker, interval=0.5):
    """Thread body: when the batch process is gone (killed, even with -9), kill the kernel and
    exit, also in the middle of a report (the task loop notices only between reports)."""
    while True:
        time.sleep(interval)
        if os.getppid() != parent:
            _kill_kernel(worker)
            os._exit(1)


def _local_worker_main(worker_id, tasks, results, options):
    """Body of one local worker process: warm up once, then render tasks until a sentinel."""
    # Ctrl-C reaches the whole process group; the parent decides what to do and terminates us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker = None
    parent = os.getppid()

    def _terminate(signum, frame):
        # The kernel goes first: a report may be running in it, and the kernel lives in its own
        # session, so nothing else would stop it promptly.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _kill_kernel(worker)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _terminate)
    if options.scratch:
        # Whatever this process writes to the temporary folder lands in the batch's scratch
        # folder, which the batch removes even when this process is killed.
        os.environ["TMPDIR"] = options.scratch
        tempfile.tempdir = options.scratch
    # When terminated mid-report, nbclient's pending output tasks are abandoned on purpose;
    # asyncio's "Task exception was never retrieved" about them is noise for the user.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    worker = ReportWorker(options)
    threading.Thread(
        target=_watch_parent, args=(parent, worker), name="rvs-parent-watch", daemon=True
    ).start()
    try:
        try:
            worker.start()
        except Exception as error:  # noqa: BLE001 - every task then reports the failure
            log.error("worker %s could not start its kernel: %s", worker_id, error)
            worker.kernel.shutdown()
        results.put(("ready", worker_id, None))
        while True:
            try:
                task = tasks.get(timeout=1.0)
            except queue.Empty:
                if os.getppid() != parent:  # the batch process is gone: stop, with the kernel
                    break
                continue
            if task is None:
                break
            results.put(("started", worker_id, task.key))
            try:
                result = worker.run(task)
            except Exception as error:  # noqa: BLE001 - one report's failure stays its own
                result = failed_result(task, f"{type(error).__name__}: {error}")
            results.put(("result", worker_id, result))
    finally:
        worker.close()
        results.put(("exited", worker_id, None))
    # Done and the kernel is gone: flush the result queue and leave without tearing the
    # interpreter down (freeing nbconvert, pandas and friends took a second or two at the end of
    # every batch, with the batch waiting for it).
    results.close()
    results.join_thread()
    os._exit(0)


@dataclass
class LocalExecutor:
    """Run reports on ``jobs`` local worker processes, each owning one warm kernel.

    Parameters
    ----------
    jobs : int
        Number of worker processes (and kernels).
    options : WorkerOptions

    Notes
    -----
    Workers are started with the ``spawn`` method (no inherited threads or locks) and send
    results back as they finish. A worker that is free (warmed up, or done with a report) is
    handed the longest waiting report (:class:`LongestFirst`), one at a time, so the workers
    stay busy to the end of the batch and none holds a report while another is idle. A worker that dies takes only its current report with it: that
    report is failed and a replacement worker is started for the remaining ones. On
    ``KeyboardInterrupt`` (or any error in the caller) the workers are terminated, which shuts
    their kernels down.
    """

    jobs: int
    options: WorkerOptions = field(default_factory=WorkerOptions)
    poll_seconds: float = 0.5
    _pool: Any = field(default=None, init=False, repr=False)

    def start(self, n_tasks: int | None = None) -> None:
        """Start the worker processes now (each starts and warms its kernel), before
        :meth:`run` hands them tasks: ``min(jobs, n_tasks)`` of them. Without a call, :meth:`run`
        starts them."""
        if self._pool is not None:
            return

        context = multiprocessing.get_context("spawn")
        wanted = self.jobs if n_tasks is None else min(self.jobs, n_tasks)
        self._pool = _WorkerPool(context, context.Queue(), context.Queue(), self.options)
        for _ in range(max(1, wanted)):
            self._pool.start_worker()

    def stop(self, graceful: bool = False) -> None:
        """Stop the workers (and their kernels); nothing when they were not started or are
        stopped already."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop(graceful)

    def run(self, tasks: Iterable[ReportTask]) -> Iterator[ReportResult]:
        """Yield a :class:`ReportResult` for every task, in completion order."""
        tasks = list(tasks)
        if not tasks:
            return
        self.start(len(tasks))
        pool = self._pool
        pending = {task.key: task for task in tasks}
        schedule = LongestFirst(tasks, reorder=self.jobs > 1)
        current: dict[int, str] = {}
        exited: set[int] = set()

        def hand_out():
            # One task for the worker that just became free (the longest waiting one), or the
            # sentinel that lets it exit. Tasks are handed out one at a time rather than queued
            # all at once, so no worker holds a report another one could already be running.
            pool.tasks.put(schedule.pop())

        try:
            while pending:
                try:
                    kind, worker_id, payload = pool.results.get(timeout=self.poll_seconds)
                except Empty:
                    for worker_id, process in list(pool.workers.items()):
                        if worker_id in exited or process.is_alive():
                            continue
                        exited.add(worker_id)
                        key = current.pop(worker_id, None)
                        if key in pending:
                            task = pending.pop(key)
                            yield failed_result(
                                task,
                                f"Het werkproces stopte onverwacht (exit code {process.exitcode}).",
                            )
                        if pending:
                            pool.start_worker()
                    continue
                if kind == "ready":
                    hand_out()
                elif kind == "started":
                    current[worker_id] = payload
                elif kind == "result":
                    current.pop(worker_id, None)
                    hand_out()
                    if payload.key in pending:
                        schedule.record(pending.pop(payload.key), payload.seconds)
                        yield payload
                elif kind == "exited":
                    exited.add(worker_id)
        finally:
            self.stop(graceful=not pending)


@dataclass
class _WorkerPool:
    """The worker processes of a :class:`LocalExecutor` and their two queues."""

    context: Any
    tasks: Any
    results: Any
    options: WorkerOptions
    workers: dict[int, Any] = field(default_factory=dict)

    def start_worker(self) -> None:
        worker_id = len(self.workers)
        process = self.context.Process(
            target=_local_worker_main,
            args=(worker_id, self.tasks, self.results, self.options),
            name=f"rvs-render-worker-{worker_id}",
            daemon=True,
        )
        process.start()
        self.workers[worker_id] = process

    def stop(self, graceful: bool) -> None:
        _stop_processes(self.workers.values(), graceful=graceful)
        self.tasks.cancel_join_thread()
        self.results.cancel_join_thread()


def _descendants(processes):
    """The live child processes (kernels) of the workers, found before the workers stop."""
    found = []
    for process in processes:
        try:
            found.extend(psutil.Process(process.pid).children(recursive=True))
        except (psutil.Error, ValueError, TypeError):
            continue
    return found


def _stop_processes(processes, graceful, seconds=5.0):
    """Let finished workers exit; terminate the others (SIGTERM: each kills its kernel first).

    Whatever still runs after ``seconds`` (a worker stuck in C code, a kernel that outlived its
    worker) is killed, so that an interrupted or terminated batch leaves no process behind
    within a few seconds.
    """
    processes = list(processes)
    if graceful:
        deadline = time.monotonic() + 30
        for process in processes:
            process.join(timeout=max(0.1, deadline - time.monotonic()))
    children = _descendants(processes)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + seconds
    for process in processes:
        process.join(timeout=max(0.1, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(timeout=2)
    for child in children:
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(children, timeout=2)


# --------------------------------------------------------------------------------------------
# Dask executor: the same workers on a dask.distributed cluster.
# --------------------------------------------------------------------------------------------

_DASK_WORKERS: dict[tuple[int, WorkerOptions], ReportWorker] = {}
_DASK_LOCK = threading.Lock()


def run_report_on_dask_worker(task, options):
    """Dask task: render ``task`` with this worker thread's warm :class:`ReportWorker`.

    The first task on a worker thread starts and warms its kernel; later tasks reuse it.
    """
    key = (threading.get_ident(), options)
    with _DASK_LOCK:
        worker = _DASK_WORKERS.get(key)
        if worker is None:
            worker = ReportWorker(options)
            _DASK_WORKERS[key] = worker
    try:
        return worker.run(task)
    except Exception as error:  # noqa: BLE001 - one report's failure stays its own
        return failed_result(task, f"{type(error).__name__}: {error}")


def shutdown_dask_worker_kernels():
    """Shut down every kernel this dask worker process started (run via ``Client.run``)."""
    with _DASK_LOCK:
        workers = list(_DASK_WORKERS.values())
        _DASK_WORKERS.clear()
    for worker in workers:
        worker.close()
    return len(workers)


def _scheduler_error(address: str, error: Exception) -> RenderError:
    """The one paragraph for a dask scheduler that cannot be reached (nothing was rendered)."""
    hint = ""
    if str(address).startswith("tls://"):
        hint = (
            " Een tls://-adres gebruikt de certificaten uit de dask-configuratie "
            "(distributed.comm.tls.ca-file, distributed.comm.tls.client.cert en "
            "distributed.comm.tls.client.key, of de variabelen DASK_DISTRIBUTED__COMM__TLS__*); "
            "zijn die ingesteld en geldig voor deze scheduler?"
        )
    return RenderError(
        f"Geen verbinding met de dask-scheduler {address}: {error}.{hint} Er is niets "
        "gerenderd; de vorige uitvoer is ongewijzigd."
    )


@dataclass
class DaskExecutor:
    """Run reports on a dask.distributed cluster: a scheduler address or a new LocalCluster.

    Parameters
    ----------
    jobs : int
        Workers of the LocalCluster started when no ``scheduler`` is given (one thread each).
    options : WorkerOptions
    scheduler : str, optional
        Address of an existing scheduler (``tcp://host:8786``, or ``tls://host:8786`` with the
        certificates of dask's own configuration, ``distributed.comm.tls.*``, which
        ``distributed.Client`` reads when no security is passed); its workers need this package
        installed. Kernels started on it are shut down at the end of the batch. A dask scheduler
        runs whatever code it is sent: use only one you control.

    Notes
    -----
    A new LocalCluster has no dashboard; its scheduler's HTTP server listens on a free port of
    127.0.0.1.

    Each task runs :func:`run_report_on_dask_worker`, which keeps one warm kernel per worker
    thread, so a cluster worker pays kernel start-up once per batch as a local worker does.
    Reports are submitted as worker threads become free, longest first (:class:`LongestFirst`).

    A lost cluster does not hang the batch: while no report finishes, the batch asks the
    scheduler every :attr:`poll_seconds` how many worker threads it has. When the scheduler
    does not answer, the connection is closed, or no worker is left, for :attr:`lost_after`
    seconds on end, every report still open fails with a Dutch message (marked for a retry);
    the reports that finished are kept and the batch ends, non-zero. A worker that dies while
    others remain only makes dask run its report again elsewhere (a report whose every attempt
    kills its worker fails with ``KilledWorker``).

    What a worker on another machine needs: this package installed in the worker's Python (with
    the same version, so that reports match), and the data source at the same absolute path as
    on the machine that runs ``rvs render`` (a shared or copied folder): a task carries the
    notebook's text and its parameters, and the kernel reads the source at the path in
    ``source``/``cache``; the results come back as text, so the output folder need not be
    shared.
    """

    jobs: int
    options: WorkerOptions = field(default_factory=WorkerOptions)
    scheduler: str | None = None
    poll_seconds: float = 2.0
    """How often the batch looks at the cluster while no report finishes."""
    lost_after: float = 20.0
    """Seconds the scheduler may be unreachable, or without workers, before the cluster counts
    as lost and the reports still open fail."""

    def run(self, tasks: Iterable[ReportTask]) -> Iterator[ReportResult]:
        """Yield a :class:`ReportResult` for every task, in completion order."""
        # deferred: optional dependency (dask[distributed], the rvs-analysis[dask] extra)
        import dask  # noqa: PLC0415

        # deferred: optional dependency (dask[distributed], the rvs-analysis[dask] extra)
        from distributed import Client, LocalCluster  # noqa: PLC0415

        tasks = list(tasks)
        if not tasks:
            return
        cluster = None
        own_scratch = None
        options = self.options
        if self.scheduler:
            # The batch's scratch folder is on this machine, not on the cluster's workers.
            options = dataclasses.replace(options, scratch=None)
            try:
                client = Client(self.scheduler)
            except (OSError, TypeError, ValueError) as error:
                raise _scheduler_error(self.scheduler, error) from error
        else:
            if options.scratch is None:
                own_scratch = tempfile.mkdtemp(prefix="rvs-batch-")
                options = dataclasses.replace(options, scratch=own_scratch)
            # Every dask server (scheduler, nannies, workers) keeps its space (locks, spilled
            # data) in the batch's scratch folder, not as dask-scratch-space in TMPDIR.
            with dask.config.set({"temporary-directory": options.scratch}):
                cluster = LocalCluster(
                    n_workers=max(1, min(self.jobs, len(tasks))),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    # no dashboard, but the scheduler's HTTP server (health, metrics) still
                    # listens: on a free loopback port, not 8787, where a second batch or the
                    # user's own cluster would make dask warn in English on our stderr
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    silence_logs=logging.ERROR,
                )
            client = Client(cluster)
        finished = lost = False
        quiet = _quiet_distributed_logs()
        try:
            yield from self._run_on(client, tasks, options)
            finished = True
        except ClusterLostError:
            lost = True  # every open report has been failed; the batch writes what it has
        finally:
            try:
                _close_dask(client, cluster, graceful=finished, reachable=not lost)
            finally:
                quiet.close()
            if own_scratch is not None:
                shutil.rmtree(own_scratch, ignore_errors=True)

    def _run_on(self, client, tasks, options):
        """Hand the tasks to the cluster and yield their results; fail what is left when the
        cluster is lost (see :meth:`run`)."""
        # deferred: optional dependency (dask[distributed], the rvs-analysis[dask] extra)
        from distributed import wait  # noqa: PLC0415

        schedule = LongestFirst(tasks)
        futures = {}

        def submit():
            task = schedule.pop()
            futures[client.submit(
                run_report_on_dask_worker,
                task,
                options,
                pure=False,
                key=f"rvs-{task.key}-{uuid.uuid4().hex[:8]}",
            )] = task  # fmt: skip

        # As many reports in flight as the cluster has worker threads, the next one submitted as
        # one finishes: longest first, and none waits on a busy worker.
        slots = max(1, sum(client.nthreads().values()) or 1)
        unhealthy_since = None
        while futures or len(schedule):
            try:
                while len(schedule) and len(futures) < slots:
                    submit()
                done, _ = wait(
                    list(futures), timeout=self.poll_seconds, return_when="FIRST_COMPLETED"
                )
            except Exception as error:  # noqa: BLE001 - a timeout, or a client that lost its scheduler
                done, problem = (), error
            else:
                problem = None
            if done:
                unhealthy_since = None
                for future in done:
                    task = futures.pop(future)
                    result = _dask_result(future, task)
                    schedule.record(task, result.seconds)
                    yield result
                continue
            if problem is not None and "Cancelled" in type(problem).__name__:
                why = "de verbinding met de scheduler is verbroken, de taken zijn geannuleerd"
            elif problem is not None and not _is_timeout(problem):
                why = f"{type(problem).__name__}: {problem}"
            else:
                why = _cluster_problem(client)
            if why is None:
                unhealthy_since = None
                continue
            now = time.monotonic()
            unhealthy_since = unhealthy_since or now
            if now - unhealthy_since < self.lost_after:
                continue
            message = (
                f"Het dask-cluster is weggevallen ({why}; al {self.lost_after:g} s geen "
                "scheduler of werkproces bereikbaar). Dit rapport is niet gemaakt; de rapporten "
                "die wel klaar waren zijn bewaard. Start het cluster opnieuw en render nog eens."
            )
            log.debug("the dask cluster is lost: %s", why)
            for task in list(futures.values()) + schedule.waiting:
                yield failed_result(task, message)
            futures.clear()
            schedule.waiting.clear()
            raise ClusterLostError(why)


def _quiet_distributed_logs():
    """Keep dask's own log records (English tracebacks of a lost connection) off stderr while a
    batch runs; the reports say in Dutch what went wrong. Call ``.close()`` to restore.

    Nothing changes when this package's logger is at DEBUG level.
    """

    stack = contextlib.ExitStack()
    if log.isEnabledFor(logging.DEBUG):
        return stack
    names = ["distributed"] + [
        name for name in list(logging.root.manager.loggerDict) if name.startswith("distributed.")
    ]
    for name in names:
        logger = logging.getLogger(name)
        stack.callback(logger.setLevel, logger.level)
        logger.setLevel(logging.CRITICAL)
    return stack


def _is_timeout(error) -> bool:

    return isinstance(error, (TimeoutError, asyncio.TimeoutError))


def _cluster_problem(client):
    """Why the cluster cannot render (Dutch, short), or ``None`` when it can."""
    if getattr(client, "status", "running") not in ("running", "connecting"):
        return f"de verbinding met de scheduler is gesloten ({client.status})"
    try:
        threads = client.nthreads(callback_timeout=5)
    except Exception as error:  # noqa: BLE001 - any failure to answer is the problem
        return f"de scheduler antwoordt niet: {type(error).__name__}"
    if not threads:
        return "de scheduler heeft geen werkprocessen meer"
    return None


def _dask_result(future, task):
    """The :class:`ReportResult` of a finished future; a Dutch failure for a lost worker."""
    # deferred: optional dependency (dask[distributed], the rvs-analysis[dask] extra)
    from distributed import KilledWorker  # noqa: PLC0415

    try:
        return future.result(timeout=30)
    except KilledWorker as error:
        return failed_result(
            task,
            "Het dask-werkproces stopte onverwacht tijdens dit rapport, ook bij elke nieuwe "
            f"poging (KilledWorker: {error}).",
        )
    except Exception as error:  # noqa: BLE001 - a lost worker or scheduler fails one report
        name = type(error).__name__
        if "Cancelled" in name:
            return failed_result(
                task, f"Het rapport is door het dask-cluster geannuleerd ({name}: {error})."
            )
        return failed_result(task, f"dask: {name}: {error}")


def _cluster_processes(cluster):
    """The LocalCluster's worker processes and their descendants (the kernels), as psutil
    processes; the workers first."""

    workers, descendants = [], []
    for nanny in list(getattr(cluster, "workers", {}).values()):
        try:
            process = psutil.Process(int(nanny.pid))
            children = process.children(recursive=True)
        except (psutil.Error, TypeError, ValueError, AttributeError):
            continue
        workers.append(process)
        descendants.extend(children)
    return workers, descendants


def _close_dask(client, cluster, graceful, reachable=True):
    """Shut the batch's kernels down and close the client (and the LocalCluster).

    At the end of a batch every worker shuts its kernels down (``Client.run``). After an
    interruption or a lost cluster the kernels of a LocalCluster are killed at once (a report
    may be running in them) before the cluster closes, and whatever of its processes still runs
    afterwards is killed too, so that nothing outlives the batch. A lost cluster
    (``reachable=False``) is not asked to do anything. Every step is bounded in time.
    """

    workers, kernels = _cluster_processes(cluster) if cluster is not None else ([], [])
    if (graceful or cluster is None) and reachable:
        try:
            client.run(shutdown_dask_worker_kernels, callback_timeout=30 if graceful else 5)
        except Exception as error:  # noqa: BLE001 - best effort at shutdown
            log.warning("could not shut down kernels on the dask workers: %s", error)
    else:
        for kernel in kernels:
            try:
                kernel.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(kernels, timeout=5)
    try:
        client.close(timeout=10)
    except Exception as error:  # noqa: BLE001 - best effort at shutdown
        log.debug("closing the dask client: %s", error)
    if cluster is None:
        return
    try:
        cluster.close(timeout=15)
    except Exception as error:  # noqa: BLE001 - best effort at shutdown
        log.debug("closing the dask LocalCluster: %s", error)
    survivors = [p for p in workers + kernels if _running(p)]
    for process in survivors:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(survivors, timeout=5)


def _running(process) -> bool:

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
