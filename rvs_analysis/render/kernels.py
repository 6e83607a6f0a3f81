"""Warm IPython kernels: start once, import the scientific stack once, run report after report.

Starting a kernel and importing pandas, matplotlib, seaborn, statsmodels and scipy costs several
seconds, far more than most reports' own computation. A :class:`WarmKernel` owns one kernel for
its whole life: it is started once, pre-imports the stack (and optionally loads the data source
into the library's in-process cache), and then executes notebook after notebook on the same
process. Between two notebooks :func:`reset_kernel_state` runs *inside* the kernel and returns it
to the state right after warm-up, so that every report sees a fresh namespace while the imports
and the data cache stay warm.

The kernel side (:func:`snapshot_kernel_state`, :func:`reset_kernel_state`) lives in
:mod:`rvs_analysis.render.kernel_side`, which the kernel imports: it uses only the standard library,
IPython and modules the kernel already imported. This module is the client side
(:class:`WarmKernel`, using ``jupyter_client``, ``nbclient`` and ``papermill``) and re-exports the
kernel side's names.
"""

from __future__ import annotations

import ast
import logging
import os
import shutil
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
from jupyter_client import KernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NotebookExecutionManager

from rvs_analysis.exceptions import KernelUnavailableError
from rvs_analysis.render.kernel_side import (  # noqa: F401 - re-exported: the kernel side's names
    WARM_IMPORTS,
    WARM_LIBRARY_MODULES,
    report_timings,
    reset_kernel_state,
    snapshot_kernel_state,
    warm_up_kernel,
)

log = logging.getLogger(__name__)

_QUIET_LOG = logging.getLogger(f"{__name__}.nbclient")
"""Logger handed to nbclient: its messages are kept out of stderr (the outcome says it all)."""
_QUIET_LOG.addHandler(logging.NullHandler())
_QUIET_LOG.propagate = False

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


# --------------------------------------------------------------------------------------------
# Client side: the process that owns the kernel.
# --------------------------------------------------------------------------------------------


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
        Set when the cell timed out or the kernel died (the kernel has been stopped; the next
        notebook starts a new one).
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
        Modules to import at warm-up (an ImportError is a broken installation and is raised).
    library_modules : sequence of str
        The library's own modules to import at warm-up where they import (default
        :data:`WARM_LIBRARY_MODULES`); ``()`` with ``warm_imports=()`` and no ``source`` starts
        a bare kernel.
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
    exceeds the timeout or the kernel dies, the kernel is killed; the next notebook starts and
    warms a new one, so it runs on a healthy kernel, and a worker whose last report failed
    starts no kernel it would not use (a second or more of imports at the end of the batch).

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
        library_modules=WARM_LIBRARY_MODULES,
    ):
        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self.source = source
        self.cache = cache
        self.warm_imports = tuple(warm_imports)
        self.library_modules = tuple(library_modules)
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
        self.kc = AsyncKernelClient(**self.km.get_connection_info(session=True), parent=self.km)
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
        self.kc.allow_stdin = False
        self.starts += 1
        code = textwrap.dedent(
            f"""
            import rvs_analysis.render.kernel_side as _rvs_kernels
            _rvs_warm = _rvs_kernels.warm_up_kernel(
                modules={self.warm_imports!r}, library_modules={self.library_modules!r},
                source={self.source!r}, cache={self.cache!r},
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
            "import rvs_analysis.render.kernel_side as _rvs_kernels\n"
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
            is stopped (the next notebook starts a new one).

        Returns
        -------
        ExecutionOutcome
        """
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
            # The next notebook starts a fresh kernel (above); none is started for nothing
            # when this was the worker's last report.
            self.shutdown()
        else:
            first_error = _first_error(nb_man.nb)
            if first_error is not None:
                outcome.error_cell, outcome.error_name, outcome.error_value = first_error
        return outcome

    def kernel_timings(self):
        """The kernel's stopwatches for the report just run (:func:`report_timings`), or ``{}``."""
        try:
            reply = self._run_silently(
                "import rvs_analysis.render.kernel_side as _rvs_kernels\n"
                "_rvs_timings = _rvs_kernels.report_timings()\n",
                timeout=30,
                expression="_rvs_timings",
            )
        except KernelUnavailableError:
            return {}
        return reply if isinstance(reply, dict) else {}

    def _run_silently(self, code, timeout, expression=None):
        """Run code without history or outputs; raise KernelUnavailableError on error, death or timeout."""
        return run_sync(self._async_run_silently)(code, timeout, expression)

    async def _async_run_silently(self, code, timeout, expression=None):
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
    return nbformat.v4.new_output("error", ename=name, evalue=value, traceback=[f"{name}: {value}"])
