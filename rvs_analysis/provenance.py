"""Which code made an output: the version string every report footer, summary and manifest carries."""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

from rvs_analysis import __version__

PACKAGE_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def code_version() -> str:
    """Package version plus git commit (``0.1.0+g1a2b3c4``, ``.dirty`` when the library is edited).

    Returns
    -------
    str
        Just the package version when git or the repository is not available. Cached for the
        process: a batch and its warm kernels ask once.
    """
    try:
        commit = subprocess.run(
            ["git", "-C", str(PACKAGE_DIR), "rev-parse", "--short=10", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PACKAGE_DIR), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    if not commit:
        return __version__
    return f"{__version__}+g{commit}" + (".dirty" if dirty else "")
