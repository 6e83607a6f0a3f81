"""The render batch's scratch folder, and the sweep of what interrupted runs left behind.

A batch keeps everything it and its workers write to the temporary folder in one folder of its
own, ``rvs-batch-*`` (:func:`batch_scratch`): the kernels' socket folders with their connection
files (``rvs-kernel-*``), each report's scratch (``rvs-report-*``), the dask LocalCluster's
worker space, and the kernels' own ``TMPDIR``. The batch process removes that folder when it
ends, also on SIGINT, SIGTERM or SIGHUP and after a lost worker, once the workers are stopped.

A batch that is killed (SIGKILL, a power cut) cannot remove its own scratch. The next
``rvs render`` removes it instead, but only what is certainly stale and certainly ours: folders
with the names this package creates (:data:`SCRATCH_PREFIXES`), and the ``tmp*.json`` kernel
connection files of earlier versions, which put them straight into the temporary folder, when
the file's content proves it (a Jupyter connection file whose IPC socket lies in an
``rvs-kernel-*`` folder beside it); in both cases owned by the current user, not a symbolic link,
and untouched for longer than :data:`STALE_SECONDS`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

SCRATCH_PREFIXES = ("rvs-batch-", "rvs-kernel-", "rvs-report-", "rvs-pdf-")
"""Name prefixes of the scratch folders this package creates with :mod:`tempfile`."""

CONNECTION_FILE_NAME = re.compile(r"tmp[a-z0-9_]{8}\.json")
"""The name :func:`tempfile.mkstemp` gives a kernel connection file (jupyter_client's default)."""

CONNECTION_FILE_KEYS = frozenset(
    {"shell_port", "iopub_port", "stdin_port", "control_port", "hb_port", "ip", "key",
     "transport", "signature_scheme", "kernel_name"}
)  # fmt: skip
"""The keys of a Jupyter kernel connection file (jupyter_client ``write_connection_file``)."""

STALE_SECONDS = 3600.0
"""A scratch folder untouched for this long belongs to no running batch."""


def sweep_stale_scratch(folder=None, *, older_than=STALE_SECONDS, now=None):
    """Remove stale rvs scratch folders of earlier runs from the temporary folder.

    Parameters
    ----------
    folder : str or path, optional
        Folder to sweep; default :func:`tempfile.gettempdir` (honours ``TMPDIR``).
    older_than : float
        Minimum age in seconds (by modification time) of a folder to remove.
    now : float, optional
        Current time (seconds since the epoch); default :func:`time.time`.

    Returns
    -------
    list of pathlib.Path
        The folders removed.

    Notes
    -----
    Only directories whose name starts with one of :data:`SCRATCH_PREFIXES`, and ``tmp*.json``
    files that :func:`is_rvs_connection_file` proves ours, that are owned by the current user
    and are not symbolic links are considered; everything else is left alone.
    Failures to remove are logged and ignored: a sweep never stops a batch.
    """
    folder = Path(folder if folder is not None else tempfile.gettempdir())
    now = time.time() if now is None else now
    uid = os.getuid() if hasattr(os, "getuid") else None
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        folder_kind = entry.name.startswith(SCRATCH_PREFIXES)
        if not folder_kind and not CONNECTION_FILE_NAME.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if uid is not None and info.st_uid != uid:
            continue
        if now - info.st_mtime < older_than:
            continue
        try:
            if folder_kind and stat.S_ISDIR(info.st_mode):
                shutil.rmtree(entry.path)
            elif not folder_kind and stat.S_ISREG(info.st_mode):
                if not is_rvs_connection_file(entry.path, folder):
                    continue
                os.unlink(entry.path)
            else:
                continue
        except OSError as error:
            log.debug("could not remove stale scratch %s: %s", entry.path, error)
            continue
        removed.append(Path(entry.path))
    if removed:
        log.info("removed %d stale scratch folder(s) from %s", len(removed), folder)
    return removed


def is_rvs_connection_file(path, folder) -> bool:
    """Whether ``path`` is a kernel connection file an rvs render kernel wrote into ``folder``.

    Parameters
    ----------
    path : str or path
        A ``tmp*.json`` file in ``folder``.
    folder : str or path
        The temporary folder being swept.

    Returns
    -------
    bool
        True only for a small JSON object with exactly the keys of a Jupyter connection file
        (:data:`CONNECTION_FILE_KEYS`), the ``ipc`` transport and a socket path
        ``<folder>/rvs-kernel-*/kernel``: what :class:`rvs_analysis.render.kernels.WarmKernel`
        of earlier versions wrote. Any other file, a user's own kernel's included (``tcp``), is
        not ours.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(4097)
        if len(data) > 4096:
            return False
        info = json.loads(data.decode("utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(info, dict) or set(info) != CONNECTION_FILE_KEYS:
        return False
    if info.get("transport") != "ipc" or not isinstance(info.get("ip"), str):
        return False
    socket = Path(info["ip"])
    return (
        socket.name == "kernel"
        and socket.parent.name.startswith("rvs-kernel-")
        and os.path.realpath(socket.parent.parent) == os.path.realpath(folder)
    )


@contextlib.contextmanager
def batch_scratch(folder=None):
    """A private scratch folder for one batch, removed when the batch ends however it ends.

    Parameters
    ----------
    folder : str or path, optional
        Where to create it; default :func:`tempfile.gettempdir` (honours ``TMPDIR``).

    Yields
    ------
    str
        The path of a new ``rvs-batch-*`` folder (mode 0700).

    Notes
    -----
    The workers and kernels of the batch put their scratch into this folder
    (:attr:`rvs_analysis.render.executors.WorkerOptions.scratch`). It is removed on leaving
    the block, also by an exception such as ``KeyboardInterrupt``; the caller stops the
    workers first. Symbolic links inside it are removed, never followed.
    """
    path = tempfile.mkdtemp(prefix="rvs-batch-", dir=folder)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
