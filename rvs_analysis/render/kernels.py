"""Warm IPython kernels: start once, import the scientific stack once, run report after report.

Starting a kernel and importing pandas, matplotlib, seaborn, statsmodels and scipy costs several
seconds, far more than most reports' own computation. A :class:`WarmKernel` owns one kernel for
its whole life: it is started once, pre-imports the stack (and optionally loads the data source
into the library's in-process cache), and then executes notebook after notebook on the same
process. Between two notebooks :func:`reset_kernel_state` runs *inside* the kernel and returns it
to the state right after warm-up, so that every report sees a fresh namespace while the imports
and the data cache stay warm.

The kernel side (:func:`snapshot_kernel_state`, :func:`reset_kernel_state`) only uses the
standard library and modules the kernel already imported; the client side (:class:`WarmKernel`)
uses ``jupyter_client``, ``nbclient`` and ``papermill``.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import sys
import tempfile
import textwrap
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_QUIET_LOG = logging.getLogger(f"{__name__}.nbclient")
"""Logger handed to nbclient: its messages are kept out of stderr (the outcome says it all)."""
_QUIET_LOG.addHandler(logging.NullHandler())
_QUIET_LOG.propagate = False

#: Modules every report kernel imports once at start-up (the expensive part of a report).
WARM_IMPORTS: tuple[str, ...] = (
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "seaborn",
    # the statsmodels modules the library fits with, not ``statsmodels.api`` (which imports
    # every model and the time-series package: about 20 MB more per kernel)
    "statsmodels.genmod.generalized_linear_model",
    "statsmodels.discrete.discrete_model",
    "statsmodels.regression.linear_model",
    "scipy.stats",
    "rvs_analysis",
)

#: Library modules that are imported too when they exist (they import nothing we do not want).
WARM_LIBRARY_MODULES: tuple[str, ...] = (
    "rvs_analysis.regions",
    "rvs_analysis.sources",
    "rvs_analysis.clean",
    "rvs_analysis.stats",
    "rvs_analysis.report",
    # the package resolves its names lazily: its modules are imported here themselves
    "rvs_analysis.report.context",
    "rvs_analysis.report.area_data",
    "rvs_analysis.report.tables",
    "rvs_analysis.report.summary",
    "rvs_analysis.report.figures",
)

#: Environment variables that size the thread pools of the numerical libraries (OpenBLAS, MKL,
#: OpenMP, Apple Accelerate, numexpr). Every kernel gets :attr:`WarmKernel.blas_threads` in each
#: one that the environment does not set already.
THREAD_LIMIT_VARIABLES: tuple[str, ...] = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

MAX_SOCKET_PATH = 103
"""Longest IPC socket path used (bytes): Linux allows 107 (``sun_path``), macOS 103."""

_STATE: dict[str, Any] = {}
"""Kernel side: what the process looked like right after warm-up (environment, path, rcParams)."""


# --------------------------------------------------------------------------------------------
# Kernel side: these functions run inside the IPython kernel.
# --------------------------------------------------------------------------------------------


def warm_up_kernel(
    modules=WARM_IMPORTS, library_modules=WARM_LIBRARY_MODULES, source=None, cache=None
):
    """Import the stack, switch matplotlib to the inline backend and snapshot the clean state.

    Runs inside the kernel, once after start-up.

    Parameters
    ----------
    modules : sequence of str
        Modules that must import (an ImportError here is a broken installation and is raised).
    library_modules : sequence of str
        ``rvs_analysis`` modules imported when they exist; one that is missing or fails to
        import is left for the report that needs it to report properly.
    source, cache : str, optional
        When given, ``rvs_analysis.sources.load_source(source, cache)`` is called once so that
        the library's in-process cache holds the data before the first report.

    Returns
    -------
    dict
        ``{"warm_failures": {module: message}}`` for library modules or sources that could not
        be pre-loaded.
    """
    import importlib

    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    failures = {}
    for name in modules:
        importlib.import_module(name)
    for name in library_modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # noqa: BLE001 - reported to the caller, the report will fail
            failures[name] = f"{type(error).__name__}: {error}"
    shell = _shell()
    if shell is not None:
        shell.run_line_magic("matplotlib", "inline")
    if source is not None:
        try:
            sources = importlib.import_module("rvs_analysis.sources")
            sources.load_source(source, cache)
        except Exception as error:  # noqa: BLE001 - the report itself raises it properly
            failures["load_source"] = f"{type(error).__name__}: {error}"
    snapshot_kernel_state()
    # What the warm-up built (modules, the source) lives as long as the kernel: move it out of
    # the garbage collector's sight, so that the full collection of every reset (IPython's
    # ``reset`` runs ``gc.collect()``) only walks what a report allocated.
    gc.collect()
    gc.freeze()
    return {"warm_failures": failures}


def snapshot_kernel_state():
    """Remember environment, ``sys.path``, warning filters and rcParams of the warm kernel."""
    import matplotlib

    _STATE["environ"] = dict(os.environ)
    _STATE["path"] = list(sys.path)
    _STATE["argv"] = list(sys.argv)
    _STATE["warning_filters"] = list(warnings.filters)
    _STATE["rcparams"] = dict(matplotlib.rcParams)


def reset_kernel_state(cwd):
    """Return the kernel to its warm-up state and enter ``cwd`` for the next report.

    Runs inside the kernel between two reports.

    Parameters
    ----------
    cwd : str
        Working directory for the next report (the notebook's own folder, as Jupyter does).

    Notes
    -----
    What is reset: every figure is closed, matplotlib's rcParams (which ``seaborn.set_theme``
    and the house style change) go back to the snapshot, pandas options to their defaults,
    ``os.environ``, ``sys.path``, ``sys.argv`` and the warning filters to the snapshot; the
    user namespace is wiped as ``%reset -f`` does and the execution counter restarts at 1, so the
    executed notebook numbers its cells as papermill's would. What is kept on purpose:
    imported modules (the point of a warm kernel) and module-level caches such as the
    library's data cache, which hold no report state. Modules a report imported itself stay
    imported (dropping them from ``sys.modules`` could break C extensions). After a full
    collection, whatever survives the reset is frozen for the garbage collector
    (:func:`gc.freeze`), so that collections in the next report walk only what that report
    allocates.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    from rvs_analysis import timings

    timings.take()  # the stopwatches count the next report only
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(_STATE["rcparams"])
        try:
            import pandas

            pandas.reset_option("all")
        except Exception:  # noqa: BLE001 - pandas options are a nicety, never fatal
            pass
    os.environ.clear()
    os.environ.update(_STATE["environ"])
    sys.path[:] = _STATE["path"]
    sys.argv[:] = _STATE["argv"]
    warnings.filters[:] = _STATE["warning_filters"]
    warnings._filters_mutated()  # type: ignore[attr-defined]
    os.chdir(cwd)
    shell = _shell()
    if shell is not None:
        # What ``%reset -f`` does, plus a new history session (the counter restarts at 1).
        shell.reset(new_session=True)
        shell.execution_count = 1
    # Collect the last report's garbage first (figures are reference cycles; IPython's reset
    # does not free them all), then freeze what survived (modules and caches the report
    # filled) for the kernel's life (see warm-up). Freezing without the collection made
    # garbage cycles permanent: a kernel grew by about 5 MB a report, now it stays flat.
    gc.collect()
    gc.freeze()


def report_timings():
    """The library's stopwatches since the reset (:func:`rvs_analysis.timings.take`).

    Runs inside the kernel after a report: ``{"source_load": s, "harmonise": s}`` for the steps
    that ran.
    """
    from rvs_analysis import timings

    return timings.take()


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - always there inside a kernel
        return None
    return get_ipython()


# --------------------------------------------------------------------------------------------
# Client side: the process that owns the kernel.
# --------------------------------------------------------------------------------------------


class KernelUnavailableError(Exception):
    """The kernel died, timed out or could not be started; it has been restarted (or stopped)."""


@dataclass
class ExecutionOutcome:
    """What happened when one notebook ran on a warm kernel.

    Attributes
    ----------
    nb : nbformat.NotebookNode
        The executed notebook with papermill's metadata, outputs and (on error) error cell.
    error_name, error_value : str or None
        Exception class name and message of the first cell error, ``None`` when all cells ran.
    error_cell : int or None
        Index of the failing cell.
    kernel_failure : str or None
        Set when the cell timed out or the kernel died (the kernel has been restarted).
    """

    nb: Any
    error_name: str | None = None
    error_value: str | None = None
    error_cell: int | None = None
    kernel_failure: str | None = None
    warm_failures: dict[str, str] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)
    """Seconds: ``reset``, ``execute`` (every cell, as nbclient runs them), ``cells`` (the cells'
    own durations, ``{cell id: seconds}`` for the code cells that ran) and the kernel's
    stopwatches (``source_load``, ``harmonise``; see :func:`report_timings`)."""


class WarmKernel:
    """One IPython kernel that is started and warmed once and then executes many notebooks.

    Parameters
    ----------
    kernel_name : str
        Kernel spec; ``python3`` is run with the current interpreter by jupyter_client.
    startup_timeout : float
        Seconds to wait for the kernel to start and answer.
    source, cache : str, optional
        Data source to pre-load into the kernel's in-process cache at warm-up.
    warm_imports : sequence of str
        Modules to import at warm-up.
    blas_threads : int or None
        Threads of the numerical libraries in the kernel (see :data:`THREAD_LIMIT_VARIABLES`);
        ``None`` leaves them to the libraries (one per core).
    scratch : str, optional
        Folder for the kernel's private socket folder (``rvs-kernel-*``, which also holds the
        connection file with the kernel's key) and the kernel's ``TMPDIR``; default the
        temporary folder.

    Notes
    -----
    Method: the kernel is started with jupyter_client's :class:`KernelManager`; notebooks are
    executed with papermill's :class:`PapermillNotebookClient` (an nbclient ``NotebookClient``)
    given the existing manager *and* client, so nbclient neither starts nor stops a kernel.
    Before every notebook :func:`reset_kernel_state` runs silently in the kernel. When a cell
    exceeds the timeout or the kernel dies, the kernel is killed and a new one is started and
    warmed, so the next report runs on a healthy kernel.

    One thread per kernel by default: a batch already runs one kernel per core, and the reports'
    matrices are small (a few hundred rows), so OpenBLAS's own threads only compete with the
    other kernels. On this 2-core machine a least-squares fit of the drivers model's size took
    0.8 ms with one thread and 28 ms with two while two kernels were busy (spinning threads
    waiting for a core).
    """

    def __init__(
        self,
        kernel_name="python3",
        startup_timeout=120.0,
        source=None,
        cache=None,
        warm_imports=WARM_IMPORTS,
        blas_threads=1,
        scratch=None,
    ):
        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self.source = source
        self.cache = cache
        self.warm_imports = tuple(warm_imports)
        self.blas_threads = blas_threads
        self.scratch = scratch
        self.km = None
        self.kc = None
        self.warm_failures: dict[str, str] = {}
        self.starts = 0
        self.start_seconds: float | None = None
        """Seconds the last start took (kernel, imports, pre-loaded source)."""

    # -- life cycle ---------------------------------------------------------------------------

    def start(self):
        """Start the kernel and warm it up (imports, inline backend, optional data pre-load)."""
        from jupyter_client import KernelManager

        started = time.perf_counter()
        # IPC sockets in a private folder: faster than TCP on one machine, not reachable from
        # the network, and no "running over TCP without encryption" warning on stderr.
        # The connection file (with the kernel's key) goes into the same private folder, not
        # as tmp*.json into the temporary folder, so that removing the folder removes it too.
        # In the batch's scratch folder a short name keeps the socket paths short.
        prefix = "k" if self.scratch else "rvs-kernel-"
        self._socket_dir = tempfile.mkdtemp(prefix=prefix, dir=self.scratch)
        transport, ip = "ipc", os.path.join(self._socket_dir, "kernel")
        if len(os.fsencode(ip)) + len("-1") > MAX_SOCKET_PATH:
            # A socket path longer than the system allows (a long TMPDIR) cannot be bound:
            # the kernel would never answer. The loopback interface instead.
            transport, ip = "tcp", "127.0.0.1"
        self.km = KernelManager(
            kernel_name=self.kernel_name,
            transport=transport,
            ip=ip,
            connection_file=os.path.join(self._socket_dir, "connection.json"),
        )
        # The kernel must import this very library, installed or not (a fresh clone before
        # `make install`, a test run): put its folder first on the kernel's PYTHONPATH.
        env = dict(os.environ)
        library_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(
            part for part in (library_root, env.get("PYTHONPATH", "")) if part
        )
        if self.scratch:
            env["TMPDIR"] = self.scratch
        if self.blas_threads:
            for name in THREAD_LIMIT_VARIABLES:
                env.setdefault(name, str(int(self.blas_threads)))
        # A neutral working directory; each report enters its own folder at reset.
        # No history database: reports need none, and restarting the execution counter at 1
        # in a warm kernel would collide with line numbers already stored for the session.
        self.km.start_kernel(
            cwd=os.getcwd(), env=env, extra_arguments=["--HistoryManager.enabled=False"]
        )
        # nbclient needs an *asynchronous* client: with a blocking one its output poller blocks
        # the event loop while a cell is silent, and the cell timeout never fires. All calls
        # go through jupyter_core's run_sync, which keeps one event loop per thread.
        from jupyter_client.asynchronous import AsyncKernelClient
        from jupyter_core.utils import run_sync

        self.kc = AsyncKernelClient(**self.km.get_connection_info(session=True), parent=self.km)
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
        self.kc.allow_stdin = False
        self.starts += 1
        code = textwrap.dedent(
            f"""
            import rvs_analysis.render.kernels as _rvs_kernels
            _rvs_warm = _rvs_kernels.warm_up_kernel(
                modules={self.warm_imports!r}, source={self.source!r}, cache={self.cache!r}
            )
            """
        )
        reply = self._run_silently(code, timeout=self.startup_timeout, expression="_rvs_warm")
        self.warm_failures = reply or {}
        if self.warm_failures.get("warm_failures"):
            self.warm_failures = self.warm_failures["warm_failures"]
            log.debug("warm-up could not pre-load: %s", self.warm_failures)
        else:
            self.warm_failures = {}
        self.start_seconds = round(time.perf_counter() - started, 4)

    def shutdown(self):
        """Stop the client channels and the kernel (immediately; nothing is left to save)."""
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:  # noqa: BLE001 - best effort at shutdown
                pass
            self.kc = None
        if self.km is not None:
            try:
                if self.km.has_kernel:
                    self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 - best effort at shutdown
                pass
            self.km = None
        if getattr(self, "_socket_dir", None):
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None

    def restart(self):
        """Kill the kernel and start and warm a new one."""
        self.shutdown()
        self.start()

    @property
    def pid(self):
        """Process id of the running kernel (for tests and diagnostics), or None."""
        provisioner = getattr(self.km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        return getattr(process, "pid", None)

    # -- execution ----------------------------------------------------------------------------

    def reset(self, cwd):
        """Reset the kernel's state (see :func:`reset_kernel_state`) and enter ``cwd``."""
        code = (
            "import rvs_analysis.render.kernels as _rvs_kernels\n"
            f"_rvs_kernels.reset_kernel_state({str(cwd)!r})\n"
        )
        self._run_silently(code, timeout=60)

    def execute_notebook(self, nb, cwd, timeout):
        """Execute a (parameterised) notebook on the warm kernel.

        Parameters
        ----------
        nb : nbformat.NotebookNode
            Notebook, already parameterised with papermill's ``parameterize_notebook``.
        cwd : str or path
            Working directory of the report.
        timeout : float or None
            Seconds one cell may run; a cell that runs longer fails the report and the kernel
            is restarted.

        Returns
        -------
        ExecutionOutcome
        """
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        from papermill.clientwrap import PapermillNotebookClient
        from papermill.engines import NotebookExecutionManager

        if self.km is None:
            self.start()
        started = time.perf_counter()
        try:
            self.reset(cwd)
        except KernelUnavailableError:
            self.restart()
            self.reset(cwd)
        reset_seconds = time.perf_counter() - started
        nb_man = NotebookExecutionManager(nb, output_path=None, progress_bar=False)
        nb_man.notebook_start()
        client = PapermillNotebookClient(
            nb_man,
            km=self.km,
            kernel_name=self.kernel_name,
            # nbclient's ``timeout`` trait is an integer (int(0.5) would be 0: no limit at all);
            # its ``timeout_func`` takes any number of seconds, so fractions are honoured.
            timeout=None,
            timeout_func=(lambda cell: timeout) if timeout else None,
            startup_timeout=int(self.startup_timeout),
            # nbclient logs "Kernel died ..." in English; the batch reports that itself, in
            # Dutch, so these lines must not reach stderr between the progress lines.
            log=_QUIET_LOG,
            interrupt_on_timeout=False,
        )
        client.kc = self.kc
        outcome = ExecutionOutcome(nb=nb_man.nb, warm_failures=dict(self.warm_failures))
        started = time.perf_counter()
        try:
            client.execute()
        except CellTimeoutError:
            outcome.kernel_failure = (
                f"Een cel liep langer dan de tijdslimiet van {timeout:g} s en is afgebroken "
                "(cell timed out)."
            )
        except DeadKernelError:
            outcome.kernel_failure = "De kernel is onverwacht gestopt (kernel died)."
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        outcome.timings = {
            "reset": round(reset_seconds, 4),
            "execute": round(time.perf_counter() - started, 4),
            "cells": cell_seconds(nb_man.nb),
        }
        if outcome.kernel_failure is None:
            outcome.timings.update(self.kernel_timings())
        if outcome.kernel_failure is not None:
            index = _running_cell_index(nb_man.nb)
            outcome.error_name = "KernelFailure"
            outcome.error_value = outcome.kernel_failure
            outcome.error_cell = index
            if index is not None:
                cell = nb_man.nb.cells[index]
                cell.setdefault("outputs", []).append(
                    _error_output("KernelFailure", outcome.kernel_failure)
                )
                cell.metadata.setdefault("papermill", {})["exception"] = True
                cell.metadata["papermill"]["status"] = "failed"
            self.restart()
        else:
            first_error = _first_error(nb_man.nb)
            if first_error is not None:
                outcome.error_cell, outcome.error_name, outcome.error_value = first_error
        return outcome

    def kernel_timings(self):
        """The kernel's stopwatches for the report just run (:func:`report_timings`), or ``{}``."""
        try:
            reply = self._run_silently(
                "import rvs_analysis.render.kernels as _rvs_kernels\n"
                "_rvs_timings = _rvs_kernels.report_timings()\n",
                timeout=30,
                expression="_rvs_timings",
            )
        except KernelUnavailableError:
            return {}
        return reply if isinstance(reply, dict) else {}

    def _run_silently(self, code, timeout, expression=None):
        """Run code without history or outputs; raise KernelUnavailableError on error, death or timeout."""
        from jupyter_core.utils import run_sync

        return run_sync(self._async_run_silently)(code, timeout, expression)

    async def _async_run_silently(self, code, timeout, expression=None):
        from queue import Empty

        user_expressions = {"result": expression} if expression else {}
        msg_id = self.kc.execute(
            code, silent=True, store_history=False, user_expressions=user_expressions
        )
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KernelUnavailableError(f"kernel did not answer within {timeout} s")
            try:
                reply = await self.kc.get_shell_msg(timeout=min(remaining, 1.0))
            except Empty:
                if not self.km.is_alive():
                    raise KernelUnavailableError("kernel died") from None
                continue
            if reply["parent_header"].get("msg_id") != msg_id:
                continue
            content = reply["content"]
            if content.get("status") != "ok":
                raise KernelUnavailableError(
                    f"{content.get('ename')}: {content.get('evalue')}\n"
                    + "\n".join(content.get("traceback", []))
                )
            if expression:
                result = content.get("user_expressions", {}).get("result", {})
                text = result.get("data", {}).get("text/plain")
                if text is None:
                    return None
                import ast

                return ast.literal_eval(text)
            return None


def cell_seconds(nb):
    """``{cell id: seconds}`` of the code cells that ran, in notebook order, from papermill's
    cell metadata.

    Cells are named by their nbformat id (stable in the notebook file, so a benchmark can show
    the cell's code); papermill's injected parameters cell is ``"injected-parameters"``, a cell
    without an id ``"#<index>"``. Each duration is papermill's: from the cell's start to its end
    as the client saw them, so it includes sending the cell and receiving its outputs.
    """
    durations = {}
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        duration = cell.metadata.get("papermill", {}).get("duration")
        if duration is None:
            continue
        if "injected-parameters" in cell.metadata.get("tags", []):
            name = "injected-parameters"
        else:
            name = cell.get("id") or f"#{index}"
        durations[name] = round(float(duration), 4)
    return durations


def _first_error(nb):
    """(cell index, exception name, message) of the first error output, ignoring sys.exit(0)."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if output.get("ename") == "SystemExit" and output.get("evalue") in ("", "0"):
                continue
            return index, output.get("ename"), output.get("evalue")
    return None


def _running_cell_index(nb):
    """Index of the last cell papermill started: the one that timed out or killed the kernel."""
    started = [
        index
        for index, cell in enumerate(nb.cells)
        if cell.metadata.get("papermill", {}).get("start_time") is not None
    ]
    return started[-1] if started else None


def _error_output(name, value):
    import nbformat

    return nbformat.v4.new_output("error", ename=name, evalue=value, traceback=[f"{name}: {value}"])
