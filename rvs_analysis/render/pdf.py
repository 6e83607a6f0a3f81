"""PDFs of the rendered reports (``rvs render --pdf``) with Debian's headless Chromium.

The page's own print stylesheet (A4, no cut tables, figures kept with their captions) decides the
layout; Chromium's ``--print-to-pdf`` writes one PDF beside each report's HTML page
(``<area>/<notebook>.pdf``), without the browser's header and footer lines.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from rvs_analysis.exceptions import ChromiumMissingError

__all__ = ["ChromiumMissingError", "find_chromium", "write_pdfs"]


def find_chromium() -> str:
    """The path of Debian's ``chromium`` (or ``chromium-browser``).

    Raises
    ------
    ChromiumMissingError
        With how to install it.
    """
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise ChromiumMissingError(
            "rvs render --pdf maakt de PDF's met Chromium, maar dat is op deze computer niet "
            "geïnstalleerd. Installeer het (Debian/Ubuntu: 'sudo apt-get install chromium') of "
            "render zonder --pdf; elk rapport is ook vanuit de browser op A4 af te drukken."
        )
    return found


def write_pdfs(out, manifest, chromium: str | None = None, timeout: float = 120.0) -> list[Path]:
    """Print every rendered report of a batch to PDF.

    Parameters
    ----------
    out : str or path
        The batch's output folder.
    manifest : dict
        The batch manifest; reports with an ``html`` page are printed.
    chromium : str, optional
        Path of the browser (default :func:`find_chromium`).
    timeout : float
        Seconds one page may take.

    Returns
    -------
    list of pathlib.Path
        The PDFs written.
    """
    chromium = chromium or find_chromium()
    out = Path(out)
    written = []
    for report in manifest.get("reports", []):
        if not report.get("html"):
            continue
        page = out / report["html"]
        target = page.with_suffix(".pdf")
        target.unlink(missing_ok=True)
        with tempfile.TemporaryDirectory(prefix="rvs-pdf-") as profile:
            # Chromium prints into its profile folder; the PDF is moved in whole afterwards, so
            # an interrupted or failed print never leaves half a PDF beside the report.
            printed = Path(profile) / "page.pdf"
            subprocess.run(
                [
                    chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--no-first-run",
                    f"--user-data-dir={profile}",
                    "--no-pdf-header-footer",
                    "--print-to-pdf-no-header",
                    f"--print-to-pdf={printed}",
                    page.resolve().as_uri(),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
                # Chromium's own scratch (org.chromium.Chromium.*, which it does not always
                # remove) in the profile folder, removed with it, not in TMPDIR.
                env={**os.environ, "TMPDIR": profile},
            )
            if printed.is_file() and printed.stat().st_size > 0:
                _move_in(printed, target)
        if target.is_file() and target.stat().st_size > 0:
            written.append(target)
    return written


def _move_in(printed: Path, target: Path) -> None:
    """Copy ``printed`` beside ``target`` and rename it into place (one step for readers)."""
    partial = target.with_name(f".{target.name}.part")
    try:
        shutil.copyfile(printed, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
