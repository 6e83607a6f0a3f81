"""The kernel side of the warm kernels: what runs inside a report's IPython kernel.

:class:`rvs_analysis.render.kernels.WarmKernel` starts a kernel, and the kernel imports this module
(``import rvs_analysis.render.kernel_side``) to warm up (:func:`warm_up_kernel`), to go back to its
warm state between two reports (:func:`reset_kernel_state`) and to hand over the library's
stopwatches (:func:`report_timings`). It imports only the standard library, IPython and the
library's stopwatches, never the client side's ``jupyter_client``, ``nbclient`` or ``papermill``;
matplotlib is imported after the warm-up chose its backend.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import warnings
from typing import Any

import pandas
from IPython import get_ipython

from rvs_analysis import timings

__all__ = [
    "WARM_IMPORTS",
    "WARM_LIBRARY_MODULES",
    "report_timings",
    "reset_kernel_state",
    "snapshot_kernel_state",
    "warm_up_kernel",
]

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
    # deferred: kernel side, matplotlib only after warm_up_kernel set MPLBACKEND
    import matplotlib  # noqa: PLC0415

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
    # deferred: kernel side, matplotlib only after warm_up_kernel set MPLBACKEND
    import matplotlib.pyplot as plt  # noqa: PLC0415

    timings.take()  # the stopwatches count the next report only
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plt.rcParams.update(_STATE["rcparams"])  # matplotlib.rcParams itself
        try:
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
    return timings.take()


def _shell():
    """The IPython shell of the kernel (``None`` outside one)."""
    return get_ipython()
