"""Where a batch's time goes and how it is spread: timings, scheduling, warm caches, a dask cluster.

- :class:`~rvs_analysis.render.executors.LongestFirst` hands out the longest report first and learns
  notebook costs during a batch; the plan takes expected times from the previous manifest.
- A warm kernel keeps the loaded and harmonised source between reports, and loads it again when
  the source changed (``source_counts`` fixture notebook: registered offences from the source).
- A dask cluster of separate processes (``dask scheduler`` and two ``dask worker`` commands on
  127.0.0.1, one TLS cluster for the module) renders the same statuses and summary estimates as
  the local workers; a killed worker or scheduler fails the open reports within a minute.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from tidy_sources import write_tiny_source

from rvs_analysis.commands import render as render_command
from rvs_analysis.render.batch import _expected_seconds, report_timings
from rvs_analysis.render.executors import (
    DaskExecutor,
    LongestFirst,
    ReportTask,
    ReportWorker,
    WorkerOptions,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "notebooks"
AREAS = ["Midden-Nederland", "Flevoland"]


def write_counts_source(folder: Path, count_2017: int = 1100) -> Path:
    """The shared tiny source (:func:`tidy_sources.write_tiny_source`) with Utrecht's 2017 count."""
    return write_tiny_source(folder, {2016: 1200, 2017: count_2017})


def region_2017(count_2017: int = 1100) -> int:
    """The region's 2017 burglaries in that source: Utrecht's plus the 38 others' fixed counts."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        source = write_counts_source(Path(folder) / "tidy", count_2017)
        lines = (source / "registered_crime.csv").read_text(encoding="utf-8").splitlines()[1:]
    return sum(int(line.split(",")[5]) for line in lines if line.split(",")[4] == "2017")


def task(key, notebook="nb", expected=None):
    return ReportTask(
        key=key,
        notebook=notebook,
        notebook_json="{}",
        notebook_dir=".",
        area="Midden-Nederland",
        parameters={},
        provenance={},
        expected_seconds=expected,
    )


# --------------------------------------------------------------------------------------------
# Scheduling and timings (no kernels)
# --------------------------------------------------------------------------------------------


def test_longest_first_uses_expected_times_then_plan_order():
    schedule = LongestFirst(
        [task("a", expected=1.0), task("b", expected=3.0), task("c", expected=3.0)]
    )
    assert [schedule.pop().key for _ in range(3)] == ["b", "c", "a"]
    assert schedule.pop() is None


def test_longest_first_learns_notebook_costs_and_tries_unknown_notebooks_first():
    tasks = [task(f"{area}/{nb}", nb) for area in ("x", "y", "z") for nb in ("short", "long")]
    schedule = LongestFirst(tasks)
    first = schedule.pop()
    assert first.key == "x/short", "nothing known yet: plan order"
    schedule.record(first, 1.0)
    second = schedule.pop()
    assert second.key == "x/long", "an unknown notebook before a known one"
    schedule.record(second, 5.0)
    assert [schedule.pop().key for _ in range(4)] == ["y/long", "z/long", "y/short", "z/short"]
    assert schedule.expected(task("q", "long")) == 5.0
    assert math.isinf(schedule.expected(task("q", "other")))


def test_longest_first_keeps_plan_order_when_asked():
    schedule = LongestFirst([task("a", expected=1.0), task("b", expected=9.0)], reorder=False)
    assert [schedule.pop().key, schedule.pop().key] == ["a", "b"]


def test_plan_takes_expected_times_from_the_previous_manifest():
    previous = {
        "reports": [
            {
                "area": "A",
                "notebook": "n1",
                "status": "ok",
                "seconds": 2.0,
                "timings": {"total": 2.5},
            },
            {"area": "B", "notebook": "n1", "status": "failed", "seconds": 1.5},
            {"area": "A", "notebook": "n2", "status": "failed", "seconds": None},
        ]
    }
    expected = _expected_seconds(previous)
    assert expected[("A", "n1")] == 2.5, "the total of the timings when there are any"
    assert expected[("B", "n1")] == 1.5
    assert expected["n1"] == 2.0, "the notebook's mean for areas not in the manifest"
    assert ("A", "n2") not in expected and "n2" not in expected
    assert _expected_seconds({"reports": []}) == {}


def test_report_timings_split_the_total_into_cells_and_overhead():
    record = report_timings(
        {"reset": 0.01, "execute": 1.1, "cells": {"cell-1": 0.25, "cell-3": 0.75}, "export": 0.1},
        seconds=1.3,
        write_seconds=0.02,
    )
    assert record["cells_total"] == 1.0
    assert record["total"] == pytest.approx(1.32)
    assert record["overhead"] == pytest.approx(0.32)
    assert record["cells"] == {"cell-1": 0.25, "cell-3": 0.75}
    assert report_timings({}, seconds=0.5, write_seconds=0.0)["overhead"] == 0.5


# --------------------------------------------------------------------------------------------
# The warm kernel keeps the source between reports and reloads a changed one
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_kernel_under_a_long_tmpdir_starts_and_leaves_nothing(tmp_path):
    """Issue 29: the kernel's IPC socket path is limited (107 bytes on Linux); a longer one
    could not be bound and the kernel never answered. It falls back to loopback TCP, and its
    connection file (with the key) lives in its own folder, removed at shutdown."""
    from rvs_analysis.render.kernels import MAX_SOCKET_PATH, WarmKernel

    scratch = tmp_path / ("x" * max(1, MAX_SOCKET_PATH - len(str(tmp_path))))
    scratch.mkdir()
    kernel = WarmKernel(
        warm_imports=("json",), library_modules=(), scratch=str(scratch), startup_timeout=60
    )
    try:
        kernel.start()
        assert kernel.km.transport == "tcp"
        folders = list(scratch.iterdir())
        assert [path.name[:1] for path in folders] == ["k"]
        assert (folders[0] / "connection.json").is_file()
    finally:
        kernel.shutdown()
    assert list(scratch.iterdir()) == []


@pytest.mark.slow
def test_a_kernel_that_died_is_replaced_only_when_the_next_notebook_comes(tmp_path):
    """A dead (or timed-out) kernel is stopped with its report; the next notebook starts a new
    one. A worker whose last report killed its kernel starts none it would not use."""
    import nbformat

    from rvs_analysis.render.executors import notebook_node
    from rvs_analysis.render.kernels import WarmKernel

    def notebook(code):
        return notebook_node(nbformat.writes(nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(code)]
        )))  # fmt: skip

    kernel = WarmKernel(warm_imports=(), library_modules=(), startup_timeout=60)
    try:
        kernel.start()
        died = kernel.execute_notebook(
            notebook("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"), tmp_path, 30
        )
        assert died.kernel_failure and "onverwacht gestopt" in died.kernel_failure
        assert kernel.pid is None and kernel.starts == 1, "no kernel started for nothing"
        lives = kernel.execute_notebook(notebook("print('leeft')"), tmp_path, 30)
        assert lives.kernel_failure is None and lives.error_name is None
        assert kernel.starts == 2 and kernel.pid is not None
    finally:
        kernel.shutdown()


@pytest.mark.slow
def test_a_changed_source_is_loaded_again_on_a_warm_kernel(tmp_path):
    source = write_counts_source(tmp_path / "tidy")
    notebook = FIXTURES / "source_counts.ipynb"
    worker = ReportWorker(WorkerOptions(source=str(source), cache=str(tmp_path / "raw")))

    def render(key):
        result = worker.run(
            ReportTask(
                key=f"midden-nederland/{key}",
                notebook="source_counts",
                notebook_json=notebook.read_text(encoding="utf-8"),
                notebook_dir=str(tmp_path),
                area="Midden-Nederland",
                parameters={"area": "Midden-Nederland", "source": str(source), "cache": "raw"},
                provenance={"region": "Midden-Nederland", "title": "Test", "is_demo": True},
                timeout=60,
            )
        )
        assert result.status == "ok", result.error
        summary = json.loads(result.summary)
        return summary["estimates"]["registered_2017"]["estimate"], summary, result.timings

    try:
        worker.start()
        first, summary, timings = render("first")
        assert first == region_2017()
        assert "kernel_start" in timings and timings["harmonise"] > 0
        again, _, timings = render("again")
        assert again == region_2017()
        assert "harmonise" not in timings, "the harmonised frames stayed in the warm kernel"
        assert "kernel_start" not in timings
        assert timings["source_load"] < 1.0
        write_counts_source(source, count_2017=987654)
        changed, changed_summary, timings = render("changed")
        assert changed == region_2017(987654), (
            "a changed source is read again, not served from cache"
        )
        assert timings["harmonise"] > 0, "and harmonised again"
        assert changed_summary["headline"]["data_version"] != summary["headline"]["data_version"]
    finally:
        worker.close()


# --------------------------------------------------------------------------------------------
# A dask cluster of separate processes on 127.0.0.1
# --------------------------------------------------------------------------------------------


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_workers(address, count, seconds=120, security=None):
    from distributed import Client

    with Client(address, timeout=seconds, security=security) as client:
        client.wait_for_workers(count, timeout=seconds)


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate and key for 127.0.0.1 (openssl; it is its own CA)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: no certificate for the TLS cluster")
    cert, key = folder / "cluster.pem", folder / "cluster.key"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@contextlib.contextmanager
def _cluster(tmp_path, tls=None, workers=2, processes=None):
    """``dask scheduler`` and ``workers`` ``dask worker`` processes (one thread each) on
    127.0.0.1; ``tls=(cert, key)`` makes every connection TLS with that certificate (also the
    CA). ``processes``, a list, receives the scheduler's and the workers' Popen objects."""
    import distributed  # noqa: F401 - locked test dependency: its absence fails

    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    assert dask is not None, (
        "the dask command (dask[distributed], a locked test dependency) is missing"
    )
    port = _free_port()
    scheme = "tls" if tls else "tcp"
    address = f"{scheme}://127.0.0.1:{port}"
    security_args, security = [], None
    if tls:
        from distributed.security import Security

        cert, key = (str(path) for path in tls)
        security_args = ["--tls-ca-file", cert, "--tls-cert", cert, "--tls-key", key]
        security = Security(
            tls_ca_file=cert, tls_client_cert=cert, tls_client_key=key, require_encryption=True
        )
    env = dict(os.environ)
    # The cluster's own temporary files (the scheduler's dask-scratch-space; a worker's kernel
    # sockets and report scratch, left behind when a test kills it) in pytest's folders, not in
    # TMPDIR; a short path, as the kernels' sockets go below it.
    env["TMPDIR"] = tempfile.mkdtemp(prefix="c", dir=tmp_path.parent)
    repository = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (repository, env.get("PYTHONPATH", "")) if p)
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    commands = [
        [dask, "scheduler", "--host", f"{scheme}://127.0.0.1", "--port", str(port),
         "--no-dashboard", *security_args],
        *(
            [dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "1",
             "--no-dashboard", "--name", f"rvs-test-{number}", "--local-directory", str(tmp_path),
             *security_args]
            for number in range(1, workers + 1)
        ),
    ]  # fmt: skip
    processes = [] if processes is None else processes
    try:
        for number, command in enumerate(commands):
            log = (logs / f"{number}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
                )
            )
            if number == 0:
                time.sleep(1.0)
        _wait_for_workers(address, workers, security=security)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            if process.poll() is not None:
                continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    """One TLS cluster of separate processes for the module (see :func:`_cluster`): the
    scheduler's address and the dask settings (``distributed.comm.tls.*``) that reach it.

    Its two workers render for two tests (each batch shuts its kernels down at its end). A plain
    TCP address (``tcp://``) is what the killed-worker and killed-scheduler test render through."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = _self_signed_certificate(folder)
    settings = {
        "distributed.comm.tls.ca-file": str(cert),
        "distributed.comm.tls.client.cert": str(cert),
        "distributed.comm.tls.client.key": str(key),
        "distributed.comm.require-encryption": True,
    }
    with _cluster(folder, tls=(cert, key)) as address:
        yield address, settings


def _render(out, source, *extra):
    code = render_command.main(
        [
            "--source", str(source), "--areas", ",".join(AREAS),
            "--notebooks", "good,raises,not_available,source_counts",
            "--notebooks-dir", str(FIXTURES), "--out", str(out), "--jobs", "2",
            "--timeout", "120", "--progress", "lines", *extra,
        ]
    )  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    results = {}
    for report in manifest["reports"]:
        summary = None
        if report["summary"]:
            summary = json.loads((out / report["summary"]).read_text(encoding="utf-8"))
        results[(report["area"], Path(report["notebook"]).stem)] = (
            report["status"],
            report["error"],
            summary and summary.get("estimates"),
        )
    return code, manifest, results


@pytest.mark.slow
def test_a_dask_cluster_of_separate_processes_renders_what_local_workers_render(
    tls_cluster, tmp_path
):
    import dask

    address, settings = tls_cluster
    source = write_counts_source(tmp_path / "tidy")
    local_code, _, local = _render(tmp_path / "local", source, "--jobs", "1")  # the reference
    with dask.config.set(settings):
        cluster_code, manifest, cluster = _render(
            tmp_path / "cluster", source, "--executor", "dask", "--scheduler", address
        )
    assert cluster_code == local_code == 1, "the raises notebook fails in both"
    assert cluster == local, "statuses, errors and summary estimates identical"
    assert local[("Midden-Nederland", "source_counts")][2]["registered_2017"]["estimate"] == (
        region_2017()
    )
    # the source is complete (every municipality), so Flevoland has its own total too
    assert local[("Flevoland", "source_counts")][0] == "ok"
    workers = {report["worker"] for report in manifest["reports"]}
    assert len(workers) == 2, f"both cluster workers rendered reports: {workers}"
    assert all(report["timings"]["cells"] for report in manifest["reports"])


@pytest.mark.slow
def test_a_tls_scheduler_address_connects_with_dasks_own_security_settings(tls_cluster, tmp_path):
    # `--scheduler tls://...` takes its certificates from dask's configuration
    # (distributed.comm.tls.*, here as the DASK_DISTRIBUTED__COMM__TLS__* variables a user sets);
    # the scheduler and workers accept nothing but TLS with that certificate.
    import dask

    address, settings = tls_cluster
    source = write_counts_source(tmp_path / "tidy")
    with dask.config.set(settings):
        assert address.startswith("tls://")
        code = render_command.main(
            [
                "--source", str(source), "--areas", "Midden-Nederland",
                "--notebooks", "good,source_counts", "--notebooks-dir", str(FIXTURES),
                "--out", str(tmp_path / "out"), "--executor", "dask", "--scheduler", address,
                "--timeout", "120", "--progress", "lines",
            ]
        )  # fmt: skip
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert code == 0
    assert {report["status"] for report in manifest["reports"]} == {"ok"}
    counts = next(r for r in manifest["reports"] if r["notebook"].endswith("source_counts.ipynb"))
    summary = json.loads((tmp_path / "out" / counts["summary"]).read_text(encoding="utf-8"))
    assert summary["estimates"]["registered_2017"]["estimate"] == region_2017()


# --------------------------------------------------------------------------------------------
# Region-wide results computed once per process
# --------------------------------------------------------------------------------------------


def test_region_wide_results_are_computed_once_per_content_and_copied():
    import pandas as pd

    from rvs_analysis.report import shared

    calls = []

    def fit(frame, scale):
        calls.append(len(frame))
        return {"total": float(frame["x"].sum()) * scale, "rows": [1, 2]}

    shared.clear()
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    first = shared.computed_once(fit, frame, 2)
    first["rows"].append("changed by a report")
    again = shared.computed_once(fit, frame.copy(), 2)
    assert calls == [3], "equal content: computed once"
    assert again == {"total": 12.0, "rows": [1, 2]}, "every caller gets its own copy"
    changed = frame.assign(x=[1.0, 2.0, 4.0])
    assert shared.computed_once(fit, changed, 2)["total"] == 14.0, "new data: computed again"
    assert shared.computed_once(fit, frame, 3)["total"] == 18.0, "other arguments: again"
    renamed = frame.rename(columns={"x": "y"}).rename(columns={"y": "x"}).astype("float32")
    shared.computed_once(fit, renamed, 2)
    assert calls == [3, 3, 3, 3], "another dtype is another content"
    shared.clear()


def _kill_tree(pid):
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(processes, timeout=10)


LOST_AFTER = 3.0
RENDER_LOSING_THE_CLUSTER_AFTER = f"""
import functools, sys
from rvs_analysis.render import batch, executors
batch.DaskExecutor = functools.partial(executors.DaskExecutor, lost_after={LOST_AFTER})
batch.render_batch = functools.partial(batch.render_batch, warm_imports=())
from rvs_analysis.cli import main
sys.exit(main(sys.argv[1:]))
"""
"""``python -m rvs_analysis.cli`` with the dask executor's ``lost_after`` set to :data:`LOST_AFTER`
and bare kernels (``render_batch(warm_imports=())``: the two notebooks import nothing)."""


@pytest.mark.slow
@pytest.mark.parametrize("killed", ["worker", "scheduler"])
def test_a_killed_dask_worker_or_scheduler_fails_the_open_reports_within_a_minute(killed, tmp_path):
    """Issue 29: with its only worker or its scheduler killed (SIGKILL), ``rvs render
    --executor dask`` hung with no output. Now the open reports fail with a Dutch message within
    a minute, the finished one is kept, and the batch exits non-zero.

    The batch gives the cluster :attr:`DaskExecutor.lost_after` seconds (20) to come back; the
    process here is ``rvs render`` with that set to 3 s (:data:`LOST_AFTER`), so the test waits
    seconds, not the default's twenty, for the same code path."""
    import nbformat

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name, code in (("a_quick", "print(area)"), ("b_naps", "import time\ntime.sleep(120)")):
        parameters = nbformat.v4.new_code_cell(
            'area = "Midden-Nederland"\nsource = "demo"\ncache = "data/raw"\nsummary_path = ""'
        )
        parameters.metadata["tags"] = ["parameters"]
        nb = nbformat.v4.new_notebook(cells=[parameters, nbformat.v4.new_code_cell(code)])
        (notebooks / f"{name}.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    source = write_counts_source(tmp_path / "tidy")
    out = tmp_path / "out"
    err_path = tmp_path / "render.err"
    processes = []
    with _cluster(tmp_path, workers=1, processes=processes) as address:
        scheduler, worker = processes
        with err_path.open("w") as err_file:
            render = subprocess.Popen(
                [
                    sys.executable, "-c", RENDER_LOSING_THE_CLUSTER_AFTER, "render",
                    "--source", str(source),
                    "--areas", "Midden-Nederland", "--notebooks-dir", str(notebooks),
                    "--notebooks", "a_quick,b_naps", "--out", str(out), "--executor", "dask",
                    "--scheduler", address, "--progress", "lines",
                ],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err_file,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while "a_quick" not in err_path.read_text(encoding="utf-8"):
                assert render.poll() is None and time.monotonic() < deadline, err_path.read_text(
                    encoding="utf-8"
                )
                time.sleep(0.2)
            time.sleep(2.0)  # b_naps is now asleep on the worker
            _kill_tree((worker if killed == "worker" else scheduler).pid)
            killed_at = time.monotonic()
            render.wait(timeout=90)
            seconds = time.monotonic() - killed_at
        finally:
            if render.poll() is None:
                render.kill()
                render.wait()
            # the survivor (its kernel asleep in b_naps) is of no further use: no graceful stop
            _kill_tree((scheduler if killed == "worker" else worker).pid)
    err = err_path.read_text(encoding="utf-8")
    assert seconds < LOST_AFTER + 20, f"took {seconds:.0f} s after the {killed} was killed"
    assert DaskExecutor(jobs=1).lost_after + 20 < 60, "the default keeps 'within a minute'"
    assert render.returncode == 1, err
    assert "Traceback" not in err and "dask-cluster is weggevallen" in err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    statuses = {Path(r["notebook"]).stem: (r["status"], r["error"]) for r in manifest["reports"]}
    assert statuses["a_quick"] == ("ok", None)
    assert (out / "midden-nederland" / "a_quick.html").is_file(), "the finished report is kept"
    status, error = statuses["b_naps"]
    assert status == "failed" and error.startswith("Het dask-cluster is weggevallen")
    assert all(r["retry"] for r in manifest["reports"] if r["status"] == "failed")
