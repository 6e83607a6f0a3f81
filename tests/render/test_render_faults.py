"""Fault injection (issues 15 and 29) for ``rvs render``: nothing rvs did not write is touched.

The output folder is refused when rvs did not write it and keeps what others added to it;
SIGTERM and SIGINT leave no process, staging folder or scratch behind; a second batch into one
folder is refused; carried-over reports and downloads are checked against the manifest's hashes;
a fractional ``--timeout`` is honoured and the progress lines stay Dutch. The faults of the inputs
and the other commands are in ``tests/test_faults.py``.

The batches render tiny notebooks (written by the ``tiny`` fixture) on bare kernels
(``render_batch(warm_imports=())``, :data:`fault_kit.BARE_KERNELS_CLI` for a process of its own):
the notebooks need neither the scientific stack nor the library's modules, which a warm kernel
would import first, at a second or two of CPU time per kernel. One good batch (``rendered``,
``with_downloads``) is rendered per module and copied by the tests that change it.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fault_kit import BARE_KERNELS_CLI, REPO_ROOT, one_paragraph, run_cli, rvs_process

from rvs_analysis import cli
from rvs_analysis.render import batch


@pytest.fixture(scope="module", autouse=True)
def bare_kernels():
    """Every batch of this module, rendered in this process, starts bare kernels (see above)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "render_batch", functools.partial(batch.render_batch, warm_imports=()))
        yield


# --------------------------------------------------------------------------------------------
# Tiny notebooks, a tiny source and helpers shared by points 1, 2, 3, 6, 7 and 8
# --------------------------------------------------------------------------------------------


def _notebook(*cells: str) -> str:
    import nbformat

    parameters = nbformat.v4.new_code_cell(
        'area = "Midden-Nederland"\nsource = "demo"\ncache = "data/raw"\nsummary_path = ""'
    )
    parameters.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Testrapport"),
        parameters,
        *(nbformat.v4.new_code_cell(cell) for cell in cells),
    ]
    return nbformat.writes(nb)


TINY_NOTEBOOKS = {
    # Also says which of the stack's and the library's modules its kernel has imported.
    "quick": _notebook(
        'import sys\n\nprint(f"Rapport voor {area}")\n'
        'print("warm:", sorted({"seaborn", "statsmodels", "rvs_analysis.stats"} & set(sys.modules)))'
    ),
    # A table: its page links a CSV and an xlsx download.
    "tabel": _notebook(
        "import pandas as pd\nfrom rvs_analysis.report import table\n\n"
        'table(pd.DataFrame({"Gebied": [area], "Aantal": [3]}))'
    ),
    # Sleeps 20 s, long enough to be caught running; a test that has seen what it needs wakes it
    # early by creating the file that RVS_TEST_WAKE names (kernels inherit the environment).
    "naps": _notebook(
        "import os\nimport time\n\n"
        'wake = os.environ.get("RVS_TEST_WAKE", "")\n'
        "until = time.monotonic() + 20\n"
        "while time.monotonic() < until and not (wake and os.path.exists(wake)):\n"
        "    time.sleep(0.1)",
        'print("wakker")',
    ),
    "dies": _notebook(
        "import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGKILL)",
        'print("kernel leeft")',
    ),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A notebooks folder with ``quick``, ``tabel``, ``naps`` and ``dies`` and a small tidy
    source."""
    from tidy_sources import write_tidy

    root = tmp_path_factory.mktemp("tiny")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    for name, text in TINY_NOTEBOOKS.items():
        (notebooks / f"{name}.ipynb").write_text(text, encoding="utf-8")
    source = write_tidy(root / "source", metadata={"is_demo": True, "crime_boundary_year": 2017})
    return {"notebooks": notebooks, "source": source}


def render_argv(tiny, out, notebooks="quick", areas="Utrecht", *extra):
    return [
        "render",
        "--source",
        str(tiny["source"]),
        "--notebooks-dir",
        str(tiny["notebooks"]),
        "--notebooks",
        notebooks,
        "--areas",
        areas,
        "--out",
        str(out),
        "--jobs",
        "1",
        "--progress",
        "lines",
        *extra,
    ]


def tree(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder``: files with bytes and modification time, folders by name."""
    entries = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink() or not path.is_dir():
            entries[name] = (path.read_bytes(), path.stat().st_mtime_ns)
        else:
            entries[name] = "folder"
    return entries


def leftovers(out: Path) -> list[str]:
    """Staging and previous-output folders of a batch next to ``out``."""
    return sorted(
        path.name
        for path in out.parent.iterdir()
        if path.name.startswith(f".{out.name}.") and path.is_dir()
    )


@pytest.fixture(scope="module")
def rendered(tiny, tmp_path_factory):
    """Outputs of one good batch (quick for Utrecht and Midden-Nederland) to copy from."""
    out = tmp_path_factory.mktemp("rendered") / "outputs"
    status = cli.main(render_argv(tiny, out, "quick", "Utrecht,Midden-Nederland"))
    assert status == 0
    return out


def copy_of(rendered_out: Path, tmp_path: Path) -> Path:
    import shutil

    out = tmp_path / "outputs"
    shutil.copytree(rendered_out, out, symlinks=True)
    return out


def test_the_batches_here_start_bare_kernels(rendered):
    # render_batch(warm_imports=()): neither the stack (seaborn, statsmodels) nor the library's
    # modules (rvs_analysis.stats) were imported before the report ran; it still renders.
    page = (rendered / "utrecht" / "quick.html").read_text(encoding="utf-8")
    assert "Rapport voor Utrecht" in page and "warm: []" in page


# --------------------------------------------------------------------------------------------
# 1. --out never deletes what rvs did not write
# --------------------------------------------------------------------------------------------


def _git_checkout_like(folder: Path) -> Path:
    folder.mkdir()
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    (folder / ".config").mkdir()
    (folder / ".config" / "s").write_text("k\n", encoding="utf-8")
    (folder / ".env").write_text("s\n", encoding="utf-8")
    return folder


def _web_app_like(folder: Path) -> Path:
    folder.mkdir()
    (folder / "assets").mkdir()
    (folder / "manifest.json").write_text('{"name":"pwa"}\n', encoding="utf-8")
    (folder / "thesis.docx").write_text("x\n", encoding="utf-8")
    (folder / "assets" / "app.js").write_text("y\n", encoding="utf-8")
    return folder


def _only_dot_folders(folder: Path) -> Path:
    folder.mkdir()
    for name in (".git", ".cache"):
        (folder / name).mkdir()
        (folder / name / "keep").write_text(name + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("make", [_git_checkout_like, _web_app_like, _only_dot_folders])
def test_out_folder_that_rvs_did_not_write_is_refused_untouched(make, tiny, tmp_path, capsys):
    out = make(tmp_path / "foreign")
    before = tree(out)
    status, _, err = run_cli(render_argv(tiny, out), capsys)
    assert status == 2
    message = one_paragraph(err)
    assert str(out) in message and "did not write" in message
    assert tree(out) == before
    assert leftovers(out) == []


def test_gitkeep_only_folder_counts_as_empty_and_the_swap_keeps_foreign_entries(
    tiny, tmp_path, capsys
):
    out = tmp_path / "outputs"
    out.mkdir()
    (out / ".gitkeep").write_text("", encoding="utf-8")
    status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht,Midden-Nederland"), capsys)
    assert status == 0, err
    assert (out / ".rvs-output").is_file() and (out / "utrecht" / "quick.html").is_file()
    # Someone adds their own things to rvs's folder; rvs keeps them and replaces only its own.
    _git_checkout_like(out / "site")
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    (out / "utrecht" / "mine.txt").write_text("also mine\n", encoding="utf-8")
    (out / ".hidden").mkdir()
    (out / ".hidden" / "key").write_text("k\n", encoding="utf-8")
    os.symlink("notes.txt", out / "link-to-notes")
    foreign = {
        name: entry
        for name, entry in tree(out).items()
        if name.split("/")[0] in {"site", "notes.txt", ".hidden", ".gitkeep", "link-to-notes"}
        or name == "utrecht/mine.txt"
    }
    # The next batch drops Midden-Nederland (its files are listed in the manifest: removed)
    # and carries Utrecht over unchanged (no kernel).
    status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht"), capsys)
    assert status == 0, err
    after = tree(out)
    assert {name: after.get(name) for name in foreign} == foreign
    assert (out / "link-to-notes").is_symlink()
    assert not (out / "midden-nederland").exists()
    assert (out / "utrecht" / "quick.html").is_file() and (out / "index.html").is_file()
    assert leftovers(out) == []


def test_manifest_paths_outside_out_are_never_copied_or_trusted(rendered, tiny, tmp_path, capsys):
    import hashlib

    out = copy_of(rendered, tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy me\n", encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    utrecht = next(report for report in manifest["reports"] if report["area"] == "Utrecht")
    utrecht["summary"] = "../secret.txt"  # a hand-edited manifest pointing outside OUT
    utrecht["sha256"]["summary"] = hashlib.sha256(secret.read_bytes()).hexdigest()
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht"), capsys)
    assert status == 0, err
    assert "1 gemaakt, 0 ongewijzigd overgenomen" in err, "not carried over on its word"
    assert secret.read_text(encoding="utf-8") == "do not copy me\n"
    written = [path for path in out.rglob("*") if path.is_file()]
    assert all(b"do not copy me" not in path.read_bytes() for path in written)
    # Swapping the manifest's files away removed the real Midden-Nederland files only.
    assert not (out / "midden-nederland").exists()
    assert leftovers(out) == []


# --------------------------------------------------------------------------------------------
# 2. SIGTERM leaves no orphans and no staging folder; 3. one batch per output folder
# --------------------------------------------------------------------------------------------


def _start_render(tiny, out, notebooks, areas, *extra, tmpdir=None, path=None, env=None):
    import signal

    argv = render_argv(tiny, out, notebooks, areas, *extra)[1:]
    env = {**os.environ, **(env or {})}
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    if path is not None:
        env["PATH"] = f"{path}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.Popen(
        [sys.executable, "-c", BARE_KERNELS_CLI, "render", *argv],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # Ctrl-C as a terminal sends it (a test runner may have SIGINT ignored, which a child
        # would inherit).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for(condition, seconds, what):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


def _alive(process) -> bool:
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _kernels_running(process, count):
    """The batch's descendants once ``count`` kernels (ipykernel_launcher) run under it."""
    import psutil

    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
        kernels = [p for p in descendants if "ipykernel_launcher" in " ".join(p.cmdline())]
    except psutil.Error:
        return None
    return descendants if len(kernels) >= count else None


def _descendants(process):
    import psutil

    try:
        return psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        return []


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["local", "dask"])
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_sigterm_stops_workers_and_kernels_and_removes_staging(
    rendered, tiny, tmp_path, tmp_path_factory, executor, signame
):
    """SIGTERM and SIGINT, local workers and a dask LocalCluster: no process, no staging folder
    and nothing in TMPDIR (kernel sockets and connection files with the key, report scratch,
    dask's worker space) is left behind; the previous output is untouched.

    With SIGTERM two workers (and kernels) are stopped; with SIGINT, whose way through the batch
    differs only in the batch process (KeyboardInterrupt), one: the workers are stopped by the
    same code either way, and a worker costs a process and a kernel start."""
    import signal
    import time

    signum = getattr(signal, signame)
    jobs = 2 if signame == "SIGTERM" else 1
    tmpdir = tmp_path_factory.mktemp("t")  # short: the kernels' socket paths go below it
    out = copy_of(rendered, tmp_path)
    before = tree(out)
    process = _start_render(
        tiny, out, "naps", "Utrecht,Midden-Nederland", "--jobs", str(jobs), "--executor", executor,
        tmpdir=tmpdir,
    )  # fmt: skip
    try:
        _wait_for(lambda: _kernels_running(process, jobs), 120, f"{jobs} kernel(s)")
        assert leftovers(out), "the batch renders into a staging folder"
        time.sleep(1.0)  # the kernels are now inside time.sleep(20)
        assert any(tmpdir.iterdir()), "the batch keeps its scratch in TMPDIR"
        descendants = _descendants(process)
        process.send_signal(signum)
        signalled = time.monotonic()
        _, err = process.communicate(timeout=30)
        while time.monotonic() - signalled < 10 and any(map(_alive, descendants)):
            time.sleep(0.1)
        stopped_after = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
    assert [p.pid for p in descendants if _alive(p)] == []
    assert stopped_after < 20
    assert process.returncode == 128 + signum
    assert "Traceback" not in err and "ongewijzigd" in err
    assert sorted(path.name for path in tmpdir.iterdir()) == []
    assert leftovers(out) == []
    assert tree(out) == before


FAKE_CHROMIUM = """#!/bin/sh
# Writes half a PDF where it is told to print, then hangs (a browser caught mid-print).
for arg in "$@"; do
  case "$arg" in --print-to-pdf=*) printf '%%PDF-1.4 half' > "${arg#--print-to-pdf=}" ;; esac
done
echo started > "$RVS_TEST_MARK"
exec sleep 60
"""


@pytest.mark.slow
def test_sigterm_during_the_pdf_step_leaves_no_half_pdf_and_nothing_in_tmpdir(
    tiny, tmp_path, tmp_path_factory
):
    import signal
    import time

    tmpdir = tmp_path_factory.mktemp("t")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "chromium").write_text(FAKE_CHROMIUM, encoding="utf-8")
    (bin_dir / "chromium").chmod(0o755)
    mark = tmp_path / "printing"
    out = tmp_path / "outputs"
    process = _start_render(
        tiny, out, "quick", "Utrecht", "--pdf", tmpdir=tmpdir, path=bin_dir,
        env={"RVS_TEST_MARK": str(mark)},
    )  # fmt: skip
    try:
        _wait_for(mark.exists, 120, "the PDF step")
        browser = _descendants(process)
        assert browser and any(tmpdir.iterdir()), "the browser prints with a profile in TMPDIR"
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(map(_alive, browser)):
            time.sleep(0.1)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143
    assert "Traceback" not in err
    assert "Afgebroken (SIGTERM) tijdens het maken van de PDF's" in err
    assert [p.pid for p in browser if _alive(p)] == []
    assert sorted(path.name for path in tmpdir.iterdir()) == []
    assert (out / "utrecht" / "quick.html").is_file(), "the reports stay"
    assert [p.name for p in out.rglob("*") if ".pdf" in p.name] == []


def test_later_run_removes_staging_folders_of_processes_that_are_gone(
    rendered, tiny, tmp_path, capsys
):
    out = copy_of(rendered, tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    # What a batch killed with -9 leaves: its marked staging folder, and (killed during the
    # swap) the previous outputs, here with a file of someone else's that must survive.
    stale = out.parent / f".{out.name}.rendering-{gone.pid}"
    stale.mkdir()
    (stale / ".rvs-output").write_text("{}", encoding="utf-8")
    (stale / "index.html").write_text("half done", encoding="utf-8")
    stale_previous = out.parent / f".{out.name}.previous-{gone.pid}"
    stale_previous.mkdir()
    (stale_previous / ".rvs-output").write_text("{}", encoding="utf-8")
    (stale_previous / "index.html").write_text("old", encoding="utf-8")
    (stale_previous / "notes.txt").write_text("mine", encoding="utf-8")
    alive = out.parent / f".{out.name}.rendering-{os.getppid()}"
    alive.mkdir()
    (alive / ".rvs-output").write_text("{}", encoding="utf-8")
    unmarked = out.parent / f".{out.name}.rendering-{gone.pid + 1}"
    unmarked.mkdir()
    status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht,Midden-Nederland"), capsys)
    assert status == 0, err
    assert not stale.exists() and not stale_previous.exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert alive.is_dir(), "a staging folder of a live process is not ours to remove"
    assert unmarked.is_dir(), "a folder without rvs's marker is not rvs's to remove"


@pytest.mark.slow
def test_second_concurrent_run_into_one_folder_refuses_and_nothing_is_lost(
    rendered, tiny, tmp_path, capsys
):
    out = copy_of(rendered, tmp_path)
    wake = tmp_path / "wake"
    first = _start_render(tiny, out, "naps", "Utrecht", "--force", env={"RVS_TEST_WAKE": str(wake)})
    try:
        _wait_for(lambda: _kernels_running(first, 1), 120, "the first batch's kernel")
        before = tree(out)
        status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht", "--force"), capsys)
        assert status == 2
        message = one_paragraph(err)
        assert str(out) in message and f"pid {first.pid}" in message
        assert tree(out) == before
        wake.touch()  # the first batch's nap ends now instead of after 20 s
        _, first_err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, first_err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {(r["area"], Path(r["notebook"]).stem, r["status"]) for r in manifest["reports"]} == {
        ("Utrecht", "naps", "ok")
    }
    assert "wakker" in (out / "utrecht" / "naps.html").read_text(encoding="utf-8")
    assert leftovers(out) == []


# --------------------------------------------------------------------------------------------
# 7. Carried-over outputs are checked against the manifest's hashes
# --------------------------------------------------------------------------------------------


def test_hand_edited_report_is_rendered_again(rendered, tiny, tmp_path, capsys):
    import hashlib

    out = copy_of(rendered, tmp_path)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for report in manifest["reports"]:
        for kind in ("html", "summary", "ipynb"):
            if report[kind]:
                digest = hashlib.sha256((out / report[kind]).read_bytes()).hexdigest()
                assert report["sha256"][kind] == digest
    page = out / "utrecht" / "quick.html"
    page.write_text(page.read_text(encoding="utf-8") + "<p>hand edit</p>", encoding="utf-8")
    untouched = (out / "midden-nederland" / "quick.html").read_bytes()
    status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht,Midden-Nederland"), capsys)
    assert status == 0, err
    assert "1 gemaakt, 1 ongewijzigd overgenomen" in err
    assert "hand edit" not in page.read_text(encoding="utf-8")
    assert (out / "midden-nederland" / "quick.html").read_bytes() == untouched
    again = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) <= set(again)
    for old, new in zip(manifest["reports"], again["reports"], strict=True):
        assert set(old) <= set(new), "manifest fields are added, never renamed"


# --------------------------------------------------------------------------------------------
# 6 and 8 in one batch: a fractional timeout is honoured, --areas resolves like the library,
# nbclient's English log lines stay out of the Dutch progress lines
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_fractional_timeout_resolved_areas_and_only_dutch_progress_lines(tiny, tmp_path):
    out = tmp_path / "outputs"
    argv = render_argv(tiny, out, "dies,naps", "utrecht,GM0344", "--timeout", "0.5")
    result = rvs_process(argv, timeout=600, bare_kernels=True)
    assert result.returncode == 1, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    reports = {(r["area"], Path(r["notebook"]).stem): r for r in manifest["reports"]}
    # utrecht and GM0344 are one area, Utrecht, as the library resolves them.
    assert set(reports) == {("Utrecht", "dies"), ("Utrecht", "naps")}
    # With int(0.5) == 0 there was no limit and the 20 s nap ended "ok".
    assert reports[("Utrecht", "naps")]["status"] == "failed"
    assert "tijdslimiet van 0.5 s" in reports[("Utrecht", "naps")]["error"]
    assert "onverwacht gestopt" in reports[("Utrecht", "dies")]["error"]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    dutch = re.compile(r"^(\[\d+/\d+\] |\d+ rapporten: |  mislukt: )")
    assert [line for line in lines if not dutch.match(line)] == []
    assert "Kernel died" not in result.stderr


# --------------------------------------------------------------------------------------------
# Issue 29: downloads are checked on carry-over, links are never followed, the lock is no link
# --------------------------------------------------------------------------------------------


DOWNLOAD_TAMPERING = {
    "Utrecht": "formula",
    "Flevoland": "truncated",
    "Gooise Meren": "link to a private file",
    "Midden-Nederland": "missing",
}
"""Area -> what is done to its downloads; the fifth area's stay as they were."""
DOWNLOAD_AREAS = ",".join([*DOWNLOAD_TAMPERING, "Stad Utrecht"])


@pytest.fixture(scope="module")
def with_downloads(tiny, tmp_path_factory):
    """``tabel`` for five areas: each page links a CSV and an xlsx download."""
    out = tmp_path_factory.mktemp("downloads") / "outputs"
    assert cli.main(render_argv(tiny, out, "tabel", DOWNLOAD_AREAS)) == 0
    return out


def test_a_changed_download_is_rendered_again_never_carried_over(
    with_downloads, tiny, tmp_path, capsys
):
    """Each way of changing a download (one per area, in one batch) has its report rendered
    again; the area whose downloads are unchanged is carried over."""
    out = copy_of(with_downloads, tmp_path)
    private = tmp_path / "private.txt"
    private.write_text("geheim", encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    folders = {entry["area"]: out / Path(entry["html"]).parent for entry in manifest["reports"]}
    files = {}
    for area, tamper in DOWNLOAD_TAMPERING.items():
        downloads = folders[area] / "tabel_bestanden"
        csv_file, xlsx_file = next(downloads.glob("*.csv")), next(downloads.glob("*.xlsx"))
        files[area] = csv_file, xlsx_file
        if tamper == "formula":
            csv_file.write_text('=HYPERLINK("http://x")', encoding="utf-8")
        elif tamper == "truncated":
            xlsx_file.write_bytes(b"")
        elif tamper == "link to a private file":
            csv_file.unlink()
            csv_file.symlink_to(private)
        else:
            xlsx_file.unlink()
    untouched = snapshot_of(folders["Stad Utrecht"])
    status, _, err = run_cli(render_argv(tiny, out, "tabel", DOWNLOAD_AREAS), capsys)
    assert status == 0, err
    assert "4 gemaakt, 1 ongewijzigd overgenomen" in err
    # Four made again, and those are the four changed ones: each is repaired.
    for area, (csv_file, xlsx_file) in files.items():
        assert not csv_file.is_symlink(), area
        assert "HYPERLINK" not in csv_file.read_text("utf-8-sig"), area
        assert xlsx_file.stat().st_size > 0, area
    assert snapshot_of(folders["Stad Utrecht"]) == untouched
    assert all("geheim" not in path.read_bytes().decode("utf-8", "replace")
               for path in out.rglob("*") if path.is_file())  # fmt: skip
    after = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for entry in after["reports"]:
        assert set(entry["downloads_sha256"]) == set(entry["downloads"]), entry["area"]


def snapshot_of(folder: Path) -> dict[str, bytes]:
    """The bytes of every file under ``folder``."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_an_unchanged_download_is_carried_over(with_downloads, tiny, tmp_path, capsys):
    out = copy_of(with_downloads, tmp_path)
    status, _, err = run_cli(render_argv(tiny, out, "tabel", DOWNLOAD_AREAS), capsys)
    assert status == 0 and "0 gemaakt, 5 ongewijzigd overgenomen" in err


def test_a_link_at_the_lock_path_is_refused_and_its_target_untouched(tiny, tmp_path, capsys):
    out = tmp_path / "outputs"
    target = tmp_path / "precious.txt"
    target.write_text("niet aankomen\n", encoding="utf-8")
    (tmp_path / ".outputs.lock").symlink_to(target)
    status, _, err = run_cli(render_argv(tiny, out, "quick", "Utrecht"), capsys)
    assert status != 0 and "lock" in err and "Traceback" not in err
    assert target.read_text(encoding="utf-8") == "niet aankomen\n"
    assert not out.exists()


@pytest.mark.parametrize("value", ["201B", "nan", "inf", "True", "-2018"])
def test_a_parameter_value_a_report_cannot_use_is_refused_before_anything_renders(
    value, rendered, tmp_path, capsys
):
    """Issue 29 (low): every report failed and the failed batch replaced the good one."""
    out = copy_of(rendered, tmp_path)
    before = tree(out)
    argv = ["render", "--out", str(out), "--notebooks", "strategy_monitor", "--level", "region"]
    status, _, err = run_cli([*argv, "-p", f"report_year={value}"], capsys)
    assert status != 0 and "report_year" in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1
    assert tree(out) == before


def test_an_absurd_timeout_and_a_malformed_notebook_are_one_paragraph(tiny, tmp_path, capsys):
    out = tmp_path / "outputs"
    with pytest.raises(SystemExit) as caught:
        cli.main(render_argv(tiny, out, "quick", "Utrecht", "--timeout", "1e308"))
    assert caught.value.code != 0 and "at most 86400" in capsys.readouterr().err
    broken = tmp_path / "notebooks"
    broken.mkdir()
    (broken / "kapot.ipynb").write_text("{niet: json", encoding="utf-8")
    bad_cell = json.loads(TINY_NOTEBOOKS["quick"])
    bad_cell["cells"][1]["source"] = "area = (\n"
    (broken / "syntax.ipynb").write_text(json.dumps(bad_cell), encoding="utf-8")
    for name, words in (("kapot", "not a readable notebook"), ("syntax", "not valid Python")):
        argv = render_argv({**tiny, "notebooks": broken}, out, name, "Utrecht")
        status, _, err = run_cli(argv, capsys)
        assert status != 0 and words in err and "Traceback" not in err, err
        assert not out.exists()
