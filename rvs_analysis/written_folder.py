"""Folders a command writes (``rvs masterclass --out``, ``rvs demo-data --out``): never another's.

A command writes into a new or empty folder, or into one it wrote before: it leaves a record,
:data:`RECORD`, with the SHA-256 of every file it wrote. Into any other folder, and over a file the
user changed since (a participant's edited notebook, a trainer's edited ``TRAINER.md``), it refuses
with one paragraph unless told ``--force``. ``rvs render`` keeps its own, stricter rules for its
output folder (:mod:`rvs_analysis.render.output_folder`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rvs_analysis.exceptions import RvsError

__all__ = ["RECORD", "check_folder", "record_folder"]

RECORD = ".rvs-written.json"
"""The record a command leaves in a folder it wrote: ``{"by": ..., "files": {path: sha256}}``."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record(folder: Path) -> dict | None:
    path = folder / RECORD
    if path.is_symlink() or not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("files"), dict) else None


def check_folder(folder: Path, by: str, force: bool = False) -> None:
    """Refuse to write into ``folder`` unless it is new, empty or written by ``by`` unchanged.

    Parameters
    ----------
    folder : pathlib.Path
        Where the command is about to write.
    by : str
        The command (``"rvs masterclass"``), as its record names it.
    force : bool, default False
        Write anyway (``--force``).

    Raises
    ------
    RvsError
        Naming the folder and what it holds that the command did not write, or the files the user
        changed since the command wrote them.
    """
    folder = Path(folder)
    if force or not folder.exists():
        return
    if folder.is_symlink() or not folder.is_dir():
        raise RvsError(f"{folder} is not a folder; choose another --out. Nothing was written.")
    entries = [entry for entry in folder.iterdir() if entry.name != ".gitkeep"]
    if not entries:
        return
    record = _record(folder)
    if record is None or record.get("by") != by:
        shown = ", ".join(sorted(entry.name for entry in entries)[:5])
        raise RvsError(
            f"{folder} holds files {by} did not write ({shown}); it writes only into a new or "
            "empty folder or one it wrote before. Choose another --out, or add --force to write "
            "into this one anyway. Nothing was written."
        )
    changed = [
        relative
        for relative, digest in record["files"].items()
        if (folder / relative).is_file() and _sha256(folder / relative) != digest
    ]
    if changed:
        shown = ", ".join(sorted(changed)[:5])
        raise RvsError(
            f"{len(changed)} file(s) in {folder} changed since {by} wrote them ({shown}); they are "
            "not overwritten. Move them elsewhere (or choose another --out), or add --force to "
            "overwrite them. Nothing was written."
        )


def record_folder(folder: Path, by: str) -> None:
    """Record every file now under ``folder`` as written by ``by`` (after writing them)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        path.relative_to(folder).as_posix(): _sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink() and path.name != RECORD
    }
    (folder / RECORD).write_text(
        json.dumps({"by": by, "files": files}, indent=1, sort_keys=True), encoding="utf-8"
    )
