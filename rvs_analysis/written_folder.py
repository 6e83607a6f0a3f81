"""Folders a command writes (``rvs masterclass --out``, ``rvs demo-data --out``): never another's.

A command writes into a new or empty folder, or into one it wrote before: it leaves a record,
:data:`RECORD`, with the SHA-256 of every file it wrote. Into any other folder, and over a file the
user changed since (a participant's edited notebook, a trainer's edited ``TRAINER.md``), it refuses
with one paragraph unless told ``--force``. ``rvs render`` keeps its own, stricter rules for its
output folder (:mod:`rvs_analysis.render.output_folder`).

:func:`staged` writes the whole package into a staging folder beside the target first (same file
system) and moves it in only when every file was written: a full disk, a write error or Ctrl-C
leaves the target as it was. Moving in is one rename for a new folder and one rename per file
into an existing one, where a file the user changed (or made) is never replaced, ``--force`` or
not.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rvs_analysis.exceptions import RvsError

__all__ = ["RECORD", "Staging", "check_folder", "move_in", "record_folder", "staged"]

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


def check_folder(folder: Path, by: str, force: bool = False, force_keeps: bool = False) -> None:
    """Refuse to write into ``folder`` unless it is new, empty or written by ``by`` unchanged.

    Parameters
    ----------
    folder : pathlib.Path
        Where the command is about to write.
    by : str
        The command (``"rvs masterclass"``), as its record names it.
    force : bool, default False
        Write anyway (``--force``).
    force_keeps : bool, default False
        ``--force`` keeps the changed files rather than overwriting them (:func:`staged`); the
        message says so.

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
            + (
                "write the other files and keep these as they are."
                if force_keeps
                else "overwrite them."
            )
            + " Nothing was written."
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


@dataclass
class Staging:
    """A staging folder (:func:`staged`): write into :attr:`path`; :attr:`kept` lists afterwards
    the files of the target that were not replaced because the user changed them."""

    path: Path
    kept: list[str] = field(default_factory=list)


@contextlib.contextmanager
def staged(folder: Path, by: str, force: bool = False):
    """Write a package for ``folder`` in a staging folder; move it in when the block succeeds.

    Parameters
    ----------
    folder : pathlib.Path
        The target folder (checked with :func:`check_folder` first).
    by : str
        The command, as its record names it.
    force : bool, default False
        Write into a folder the command did not write; even then no file the user changed is
        replaced.

    Yields
    ------
    Staging
        Its ``path`` is an empty folder ``.<name>.staging-*`` beside ``folder`` (the same file
        system, so that moving in is renaming).

    Notes
    -----
    When the block raises (a full disk, a write error, ``KeyboardInterrupt``), the staging
    folder is removed and ``folder`` is left exactly as it was. Otherwise the staged files are
    moved in with :func:`move_in` and the record is written.
    """
    folder = Path(folder)
    check_folder(folder, by, force=force, force_keeps=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Staging(Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging-", dir=folder.parent)))
    try:
        yield staging
        staging.kept = move_in(staging.path, folder, by)
    finally:
        shutil.rmtree(staging.path, ignore_errors=True)


def move_in(staging: Path, folder: Path, by: str) -> list[str]:
    """Move every file of ``staging`` into ``folder`` and record them as written by ``by``.

    Parameters
    ----------
    staging : pathlib.Path
        A complete package (on the file system of ``folder``).
    folder : pathlib.Path
        The target; created when missing (then the staging folder itself is renamed into place).
    by : str
        The command, as its record names it.

    Returns
    -------
    list of str
        Relative paths left as the user had them: a file the command wrote whose content
        changed since, or a file (or link) of the user's at a path the package uses.

    Notes
    -----
    Each file is moved with one :func:`os.replace` (readers see the old or the new file, never
    half of one). The record lists the files this command wrote with their SHA-256; a kept file
    keeps the digest of the command's last write (so it still counts as changed), a user's own
    file is not recorded.
    """
    staging, folder = Path(staging), Path(folder)
    staged_files = {
        path.relative_to(staging).as_posix(): _sha256(path)
        for path in sorted(staging.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }
    if not folder.exists() and not folder.is_symlink():
        _write_record(staging, by, staged_files)
        os.rename(staging, folder)
        return []
    previous = _record(folder)
    recorded = previous["files"] if previous is not None and previous.get("by") == by else {}
    files, kept = {}, []
    for relative, digest in staged_files.items():
        target = folder / relative
        if _occupied_by_user(folder, relative, recorded, digest):
            kept.append(relative)
            if isinstance(recorded.get(relative), str):
                files[relative] = recorded[relative]
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace(staging / relative, target)
        files[relative] = digest
    _write_record(folder, by, files)
    return kept


def _occupied_by_user(folder: Path, relative: str, recorded: dict, digest: str) -> bool:
    """Whether the path ``relative`` in ``folder`` holds something the command must not replace."""
    path = folder
    for part in Path(relative).parts[:-1]:
        path = path / part
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            return True  # never write through a user's link or over a user's file
    target = folder / relative
    if not target.exists() and not target.is_symlink():
        return False
    if target.is_symlink() or not target.is_file():
        return True
    current = _sha256(target)
    return current != recorded.get(relative) and current != digest


def _replace(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        # The target is on another file system (a mount point): copy beside it, then rename.
        partial = target.with_name(f".{target.name}.part")
        try:
            shutil.copyfile(source, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)


def _write_record(folder: Path, by: str, files: dict) -> None:
    text = json.dumps({"by": by, "files": files}, indent=1, sort_keys=True)
    partial = folder / f"{RECORD}.part"
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, folder / RECORD)
