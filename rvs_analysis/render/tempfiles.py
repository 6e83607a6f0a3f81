"""Sweep scratch folders that earlier, interrupted render runs left in the temporary folder.

A batch that is killed (SIGKILL, a power cut) cannot remove its own scratch folders. The next
``rvs render`` removes them instead, but only what is certainly stale and certainly ours: names
this package creates (``rvs-kernel-*``, ``rvs-report-*``, ``rvs-pdf-*``), owned by the current
user, not symbolic links, and untouched for longer than :data:`STALE_SECONDS`.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

SCRATCH_PREFIXES = ("rvs-kernel-", "rvs-report-", "rvs-pdf-")
"""Name prefixes of the scratch folders this package creates with :mod:`tempfile`."""

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
    Only directories whose name starts with one of :data:`SCRATCH_PREFIXES`, that are owned by
    the current user and are not symbolic links are considered; everything else is left alone.
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
        if not entry.name.startswith(SCRATCH_PREFIXES):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            continue
        if uid is not None and info.st_uid != uid:
            continue
        if now - info.st_mtime < older_than:
            continue
        try:
            shutil.rmtree(entry.path)
        except OSError as error:
            log.debug("could not remove stale scratch folder %s: %s", entry.path, error)
            continue
        removed.append(Path(entry.path))
    if removed:
        log.info("removed %d stale scratch folder(s) from %s", len(removed), folder)
    return removed
