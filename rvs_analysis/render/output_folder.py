"""The output folder of ``rvs render``: whose files are whose, one batch at a time, no leftovers.

What ``rvs render --out OUT`` may touch, and how:

* **Marker.** Every folder rvs render writes holds a marker file, :data:`MARKER`. A folder that
  exists, is not empty and has no marker is refused before anything is written (one paragraph,
  nothing touched). Empty means: no entries, or only ``.gitkeep`` (like the repository's
  ``outputs/``). A folder written by an rvs render from before the marker existed is accepted
  only when every file in it is one its ``manifest.json`` lists (nothing else to lose).
* **Ownership.** rvs's own files in ``OUT`` are exactly those its previous manifest lists (each
  report's ``html``, ``summary`` and ``ipynb``) plus ``manifest.json``, ``index.html`` and the
  marker (:func:`listed_files`). Everything else in ``OUT`` (a ``.git`` folder, someone's notes, a
  file put into a report folder) is *foreign*: the swap moves it, by rename, into the new output
  folder, and deletes only the listed files of the previous one (:func:`swap_in`).
* **Lock.** One batch per output folder: :func:`locked` takes an exclusive ``flock`` on
  ``.OUT.lock`` next to ``OUT`` for the whole batch; a second batch refuses with the first one's
  process id. The kernel releases the lock when a process dies, however it dies.
* **Leftovers.** A batch writes into ``.OUT.rendering-PID`` next to ``OUT`` and swaps through
  ``.OUT.previous-PID``. A batch that was killed may leave them; the next batch (holding the lock)
  removes staging folders whose process is gone and finishes or undoes an interrupted swap
  (:func:`clean_leftovers`).
* **Hashes.** The manifest records the SHA-256 of every report file (``sha256``); a carried-over
  report whose files no longer match (edited by hand, truncated) is rendered again
  (:func:`files_match`).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from rvs_analysis.exceptions import RenderError

MARKER = ".rvs-output"
"""Marker file in every output folder rvs render wrote."""

MANIFEST = "manifest.json"
INDEX = "index.html"
REPORT_FILE_KINDS = ("html", "summary", "ipynb")
EMPTY_NAMES = frozenset({".gitkeep"})
"""Entries that leave a folder empty for rvs render (the repository's ``outputs/.gitkeep``)."""

MARKER_TEXT = (
    json.dumps(
        {
            "written_by": "rvs render",
            "note": (
                "rvs render writes this folder. On the next run it replaces the files that "
                "manifest.json lists, and keeps everything else that is here."
            ),
        },
        indent=2,
    )
    + "\n"
)


# --------------------------------------------------------------------------------------------
# Names next to OUT
# --------------------------------------------------------------------------------------------


def staging_path(out: Path, pid: int | None = None) -> Path:
    """``.OUT.rendering-PID``: where a batch writes before the swap."""
    return out.parent / f".{out.name}.rendering-{os.getpid() if pid is None else pid}"


def previous_path(out: Path, pid: int | None = None) -> Path:
    """``.OUT.previous-PID``: where the previous outputs wait during the swap."""
    return out.parent / f".{out.name}.previous-{os.getpid() if pid is None else pid}"


def lock_path(out: Path) -> Path:
    """``.OUT.lock``: the lock file of the output folder (left in place between batches)."""
    return out.parent / f".{out.name}.lock"


def _leftover_pid(path: Path, out: Path, kind: str) -> int | None:
    prefix = f".{out.name}.{kind}-"
    if not path.name.startswith(prefix):
        return None
    text = path.name[len(prefix) :]
    return int(text) if text.isdigit() else None


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (of any user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --------------------------------------------------------------------------------------------
# What is rvs's
# --------------------------------------------------------------------------------------------


def safe_relative(path) -> str | None:
    """``path`` as a relative POSIX path inside the output folder, or ``None`` when it is not one."""
    if not isinstance(path, str) or not path or "\\" in path or "\0" in path:
        return None
    pure = PurePosixPath(path)
    if pure.is_absolute() or any(part in ("", ".", "..") for part in path.split("/")):
        return None
    return pure.as_posix()


def listed_files(manifest: dict) -> set[str]:
    """The files a manifest says rvs wrote: report files plus manifest, index page and marker."""
    listed = {MANIFEST, INDEX, MARKER}
    for report in manifest.get("reports", []) if isinstance(manifest, dict) else []:
        if not isinstance(report, dict):
            continue
        for kind in REPORT_FILE_KINDS:
            relative = safe_relative(report.get(kind))
            if relative is not None:
                listed.add(relative)
        # The page's downloads (tables, figures) and the PDF that ``rvs render --pdf`` prints.
        for path in report.get("downloads") or []:
            relative = safe_relative(path)
            if relative is not None:
                listed.add(relative)
        page = safe_relative(report.get("html"))
        if page is not None and page.endswith(".html"):
            listed.add(page[: -len(".html")] + ".pdf")
    return listed


def read_manifest(folder: Path) -> dict:
    """The manifest in ``folder`` (``{"reports": []}`` when there is none or it is unreadable)."""
    path = folder / MANIFEST
    try:
        if not path.is_file():
            return {"reports": []}
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"reports": []}
    if not isinstance(manifest, dict) or not isinstance(manifest.get("reports"), list):
        return {"reports": []}
    return manifest


def _is_rvs_manifest(manifest: dict) -> bool:
    return bool(manifest.get("reports")) and "library_fingerprint" in manifest


def _files_under(folder: Path) -> Iterator[str]:
    for root, dirs, files in os.walk(folder):
        base = Path(root).relative_to(folder)
        for name in files:
            yield (base / name).as_posix()
        for name in dirs:
            if (Path(root) / name).is_symlink():
                yield (base / name).as_posix()


def is_empty(out: Path) -> bool:
    """No entries, or only :data:`EMPTY_NAMES` (``.gitkeep``)."""
    return all(entry.name in EMPTY_NAMES and entry.is_file() for entry in out.iterdir())


def check_output_folder(out: Path) -> None:
    """Refuse an output folder that rvs render did not write; touches nothing.

    Raises
    ------
    RenderError
        When ``out`` is not a folder, or is a non-empty folder without :data:`MARKER` (and not a
        pre-marker rvs output folder whose every file its manifest lists).
    """
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir() or out.is_symlink():
        raise RenderError(
            f"The output path {out} exists and is not a folder rvs render can own (a file or a "
            "link); choose another --out."
        )
    _check_swappable(out)
    if is_empty(out):
        return
    if (out / MARKER).is_file() and not (out / MARKER).is_symlink():
        return
    manifest = read_manifest(out)
    if _is_rvs_manifest(manifest):
        foreign = sorted(set(_files_under(out)) - listed_files(manifest) - EMPTY_NAMES)
        if not foreign:
            return
    else:
        foreign = sorted(entry.name for entry in out.iterdir())
    shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
    raise RenderError(
        f"The output folder {out} holds things rvs render did not write ({shown}) and no "
        f"{MARKER} marker of a folder it owns. rvs render writes only into a new or empty folder "
        "or one it marked itself, so it touched nothing here; choose a new or empty folder with "
        "--out."
    )


def _check_swappable(out: Path) -> None:
    """Refuse an output folder the final swap could not rename (a mount point, another device).

    The batch is rendered in a staging folder beside ``out`` and swapped in by renaming ``out``
    away; that rename fails (EBUSY, EXDEV) when ``out`` is a mount point or lies on another
    file system than its parent. Checked before anything is rendered.

    Raises
    ------
    RenderError
        When ``out`` is a mount point or not on the same device as its parent folder.
    """
    parent = out.resolve().parent
    try:
        other_device = out.stat().st_dev != parent.stat().st_dev
    except OSError:
        other_device = False
    if os.path.ismount(out) or other_device:
        raise RenderError(
            f"The output folder {out} is a mount point (or on another file system than {parent}); "
            "rvs render renders beside it and swaps the finished batch in by renaming the folder, "
            "which cannot be done there, so it rendered nothing. Choose a folder inside the mount "
            "with --out, e.g. --out " + str(out / "rapporten") + "."
        )


# --------------------------------------------------------------------------------------------
# Lock
# --------------------------------------------------------------------------------------------


@contextmanager
def locked(out: Path):
    """Hold the exclusive lock of ``out`` for a batch.

    Raises
    ------
    RenderError
        When another process holds it (names its process id).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    path = lock_path(out)
    try:  # a link planted at the lock's path is refused, never opened (and truncated)
        descriptor = os.open(
            path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644
        )
    except OSError as error:
        raise RenderError(
            f"The lock file {path} is a link or not a regular file ({error.strerror}); rvs "
            "render does not follow it. Remove it if you put it there, then run again. Nothing "
            "was written."
        ) from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise RenderError(
            f"The lock file {path} is not a regular file; remove it and run again. Nothing was "
            "written."
        )
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(descriptor, 64, 0).decode("ascii", "replace").strip()
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise RenderError(
                f"Another rvs render{who} is writing into {out} right now. One batch at a time "
                "per output folder: wait until it has finished, or choose another --out. "
                "Nothing was written."
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode("ascii"), 0)
        yield path
    finally:
        os.close(descriptor)


# --------------------------------------------------------------------------------------------
# Leftovers of killed batches
# --------------------------------------------------------------------------------------------


def clean_leftovers(out: Path) -> list[str]:
    """Remove what batches whose process is gone left next to ``out``; call with the lock held.

    * ``.OUT.rendering-PID`` (a staging folder, marked): removed.
    * ``.OUT.previous-PID`` (the previous outputs during a swap): put back as ``OUT`` when ``OUT``
      is missing (the batch died between its two renames), otherwise the swap is finished: its
      foreign entries go into ``OUT`` and its listed files are deleted.

    Folders of live processes, and folders without the marker, are left alone.

    Returns
    -------
    list of str
        The names of the folders dealt with.
    """
    handled = []
    if not out.parent.is_dir():
        return handled
    previous = sorted(
        (path for path in out.parent.iterdir() if _leftover_pid(path, out, "previous")),
        key=lambda path: path.stat().st_mtime,
    )
    for path in previous:
        pid = _leftover_pid(path, out, "previous")
        if pid == os.getpid() or process_alive(pid) or not path.is_dir() or path.is_symlink():
            continue
        if not (path / MARKER).is_file() and not _is_rvs_manifest(read_manifest(path)):
            continue
        if not out.exists():
            path.rename(out)
        else:
            finish_swap(path, out)
        handled.append(path.name)
    for path in list(out.parent.iterdir()):
        pid = _leftover_pid(path, out, "rendering")
        if pid is None or pid == os.getpid() or process_alive(pid) or path.is_symlink():
            continue
        if path.is_dir() and (path / MARKER).is_file():
            shutil.rmtree(path, ignore_errors=True)
            handled.append(path.name)
    return handled


# --------------------------------------------------------------------------------------------
# Staging and swap
# --------------------------------------------------------------------------------------------


def make_staging(out: Path) -> Path:
    """Create this batch's (marked) staging folder next to ``out``."""
    staging = staging_path(out)
    if staging.exists():
        shutil.rmtree(staging)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging.mkdir()
    (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    return staging


def foreign_entries(folder: Path, listed: set[str]) -> list[str]:
    """Entries of ``folder`` that are not rvs's (top-most ones: a foreign folder is one entry).

    A folder that holds a listed file is descended into; any other entry that is not listed is
    foreign.
    """
    listed_dirs = {parent.as_posix() for item in listed for parent in PurePosixPath(item).parents}
    found = []

    def visit(relative: PurePosixPath):
        with os.scandir(folder / relative) as entries:
            for entry in sorted(entries, key=lambda entry: entry.name):
                name = (relative / entry.name).as_posix()
                if entry.is_dir(follow_symlinks=False) and name in listed_dirs:
                    visit(PurePosixPath(name))
                elif name not in listed:
                    found.append(name)

    visit(PurePosixPath("."))
    return [PurePosixPath(name).as_posix() for name in found]


def check_foreign_names(out: Path, planned: set[str]) -> None:
    """Refuse a batch whose new files would take the place of something rvs did not write.

    Parameters
    ----------
    out : pathlib.Path
    planned : set of str
        Relative paths of the files the batch will write (reports, manifest, index page).
    """
    if not out.is_dir():
        return
    listed = listed_files(read_manifest(out))
    for name in foreign_entries(out, listed):
        clash = [item for item in planned if item == name or item.startswith(name + "/")]
        if clash:
            raise RenderError(
                f"{out / name} was not written by rvs render, but this batch would write "
                f"{clash[0]} there. Nothing was written; move it away or choose another --out."
            )


def _move_foreign(previous: Path, out: Path) -> list[str]:
    """Move the foreign entries of ``previous`` into ``out``; return those that could not move."""
    listed = listed_files(read_manifest(previous))
    stuck = []
    for name in foreign_entries(previous, listed):
        source, target = previous / name, out / name
        if target.exists() or target.is_symlink():
            stuck.append(name)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)
    return stuck


def _delete_listed(previous: Path) -> bool:
    """Delete the listed files of ``previous`` and then its empty folders; True if it is gone."""
    listed = listed_files(read_manifest(previous))
    for name in sorted(listed, key=lambda item: (item == MANIFEST, item)):
        path = previous / name
        if path.is_file() or path.is_symlink():
            path.unlink()
    for root, _, _ in os.walk(previous, topdown=False):
        try:
            os.rmdir(root)  # only empty folders go; anything left in one keeps it
        except OSError:
            pass
    return not previous.exists()


def finish_swap(previous: Path, out: Path) -> None:
    """After ``OUT`` was replaced: foreign entries of the previous outputs go into the new ``OUT``,
    then the previous outputs' listed files are deleted.

    What could not move (the new outputs took its name, which :func:`check_foreign_names`
    prevents) stays in ``previous``, which is then left in place rather than deleted.
    """
    _move_foreign(previous, out)
    _delete_listed(previous)


def swap_in(staging: Path, out: Path) -> None:
    """Replace rvs's files in ``out`` by those in ``staging``; keep everything else in ``out``.

    Two renames make the new outputs appear at once (``out`` -> ``.OUT.previous-PID``,
    ``staging`` -> ``out``); the foreign entries of the previous folder are then renamed into the
    new one and only the files the previous manifest lists are deleted (:func:`finish_swap`).
    """
    if not out.exists():
        staging.rename(out)
        return
    previous = previous_path(out)
    if previous.exists():
        shutil.rmtree(previous)
    out.rename(previous)
    try:
        staging.rename(out)
    except BaseException:
        previous.rename(out)
        raise
    finish_swap(previous, out)


# --------------------------------------------------------------------------------------------
# Hashes
# --------------------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def downloads_match(entry: dict, out: Path) -> bool:
    """True when every download the entry lists is a regular file (not a link) in ``out`` with
    the SHA-256 the manifest recorded (``downloads_sha256``); an entry without those hashes (a
    manifest from before they were recorded) does not match, so the report is rendered again."""
    downloads = list(entry.get("downloads") or [])
    recorded = entry.get("downloads_sha256")
    if not downloads:
        return True
    if not isinstance(recorded, dict):
        return False
    for relative in downloads:
        safe = safe_relative(relative)
        if safe is None:
            return False
        path = out / safe
        if path.is_symlink() or not path.is_file():
            return False
        if recorded.get(relative) != file_sha256(path):
            return False
    return True


def files_match(entry: dict, out: Path) -> bool:
    """True when every file the entry names is a regular file in ``out`` with its recorded hash.

    An entry without recorded hashes (a manifest from before they were recorded) or with a path
    outside ``out`` does not match: the report is rendered again.
    """
    recorded = entry.get("sha256")
    if not isinstance(recorded, dict):
        return False
    for kind in REPORT_FILE_KINDS:
        if not entry.get(kind):
            continue
        relative = safe_relative(entry[kind])
        if relative is None:
            return False
        path = out / relative
        if path.is_symlink() or not path.is_file():
            return False
        if recorded.get(kind) != file_sha256(path):
            return False
    return True
