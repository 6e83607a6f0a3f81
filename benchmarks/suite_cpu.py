"""Benchmark: where the test suite's CPU time goes, by kind of process and by test module.

Runs the suite as ``make test`` runs it (``python -m pytest -n 2 --dist loadfile``, or the
arguments given after ``--``) and samples ``/proc`` every 0.1 s meanwhile. Every process that
descends from the pytest command is classified by its command line: the pytest workers themselves
(collection and the tests that run in-process), Jupyter kernels, the render's worker processes
(``multiprocessing`` spawn), ``rvs`` commands, dask schedulers and workers, the browser, and
others. A process started during a test carries that test's name in its environment
(``PYTEST_CURRENT_TEST``, inherited when it was started), so its CPU time is also counted against
the test module that started it.

Prints the wall time, the CPU seconds per kind of process and per test module (processes started
by tests only; the workers' own time per test is what ``pytest --durations`` shows), and the total
CPU seconds of the run as the kernel counted them for the pytest command and the processes it
waited for. The two totals differ a little: the sampled sums miss what a process spent after its
last sample (at most 0.1 s each), the kernel's count misses processes nobody waited for (a killed
dask worker's kernel, the browser's helpers).

Linux only (``/proc``). Compare CPU seconds, not wall times, between runs: they depend much less on
what else the machine is doing.

Usage::

    python benchmarks/suite_cpu.py [--interval 0.1] [--top 25] [-- PYTEST ARGS...]

About as long as ``make test`` (5-6 minutes on an idle two-core machine).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PYTEST_ARGS = ["-n", "2", "--dist", "loadfile"]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

KINDS = (
    ("pytest worker (collection, in-process tests)", ("exec(eval(sys.stdin.readline()))",)),
    ("Jupyter kernel", ("ipykernel_launcher",)),
    ("render worker (multiprocessing spawn)", ("spawn_main", "resource_tracker")),
    ("dask scheduler or worker", ("dask ", "distributed")),
    ("browser (Chromium)", ("chrom", "/proc/self/exe --type=")),
    ("rvs command", ("rvs_analysis.cli", "bin/rvs ")),
    ("pytest command", ("-m pytest",)),
    ("package build and install", ("pip ", "build_meta", "setuptools")),
    ("node (axe-core)", ("node_modules", "bin/node ")),
)
"""Kinds of process, by a piece of their command line (the first kind that matches)."""


@dataclass
class Sampled:
    """One process seen while sampling: its command line, the test that started it (if any) and
    the CPU seconds (user + system) at its last sample."""

    command: str
    test: str
    cpu_seconds: float = 0.0


def classify(command: str) -> str:
    """The kind of process a command line belongs to (:data:`KINDS`), else ``other``."""
    for kind, pieces in KINDS:
        if any(piece in command for piece in pieces):
            return kind
    return "other"


def _stat(pid: str) -> tuple[int, int, float] | None:
    """``(parent pid, start time in ticks, CPU seconds)`` of a process, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[19]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _describe(pid: str) -> tuple[str, str]:
    """The command line of a process and the ``PYTEST_CURRENT_TEST`` it was started with."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environment = handle.read().split(b"\0")
    except OSError:
        return "", ""
    prefix = b"PYTEST_CURRENT_TEST="
    test = next((item[len(prefix) :] for item in environment if item.startswith(prefix)), b"")
    return command, test.decode(errors="replace")


def sample(root: int, stop: threading.Event, interval: float) -> dict[tuple[int, int], Sampled]:
    """Sample every descendant of process ``root`` until ``stop`` is set.

    A process belongs to the run when its parent did when it was first seen (its ancestry is
    recorded then, so a process whose parent exits later still counts).
    """
    seen: dict[tuple[int, int], Sampled] = {}
    members: set[int] = {root}
    while not stop.is_set():
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            stat = _stat(pid)
            if stat is None:
                continue
            parent, started, cpu_seconds = stat
            key = (int(pid), started)
            if key not in seen:
                if parent not in members and int(pid) != root:
                    continue
                members.add(int(pid))
                command, test = _describe(pid)
                seen[key] = Sampled(command, test)
            seen[key].cpu_seconds = cpu_seconds
        stop.wait(interval)
    return seen


def module_of(test: str) -> str:
    """The test module of a ``PYTEST_CURRENT_TEST`` value (``path::name (phase)``)."""
    return test.split("::", 1)[0] if test else "(not started by a test)"


def _table(title: str, rows: dict[str, list[float]], top: int) -> None:
    print(f"\n{title}")
    print(f"{'CPU s':>8} {'processes':>9}  ")
    ordered = sorted(rows.items(), key=lambda item: -item[1][0])
    for name, (cpu_seconds, count) in ordered[:top]:
        print(f"{cpu_seconds:8.1f} {int(count):9d}  {name}")
    if len(ordered) > top:
        rest = ordered[top:]
        print(f"{sum(r[1][0] for r in rest):8.1f} {sum(int(r[1][1]) for r in rest):9d}  (the rest)")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    pytest_args = DEFAULT_PYTEST_ARGS
    if "--" in argv:
        pytest_args = argv[argv.index("--") + 1 :]
        argv = argv[: argv.index("--")]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between samples")
    parser.add_argument("--top", type=int, default=25, help="test modules to list")
    args = parser.parse_args(argv)
    if not Path("/proc/self/stat").exists():
        raise SystemExit("suite_cpu.py reads /proc: it runs on Linux only")

    python = REPO / ".venv" / "bin" / "python"
    command = [str(python if python.exists() else sys.executable), "-m", "pytest", "-q"]
    command += ["-p", "no:cacheprovider", *pytest_args]
    print("$ " + " ".join(command), flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    stop = threading.Event()
    found: dict = {}
    sampler = threading.Thread(
        target=lambda: found.update(sample(process.pid, stop, args.interval)), daemon=True
    )
    sampler.start()
    output = process.communicate()[0]
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print("\n".join(output.strip().splitlines()[-3:]))

    by_kind: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    by_module: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for process_seen in found.values():
        kind = classify(process_seen.command)
        by_kind[kind][0] += process_seen.cpu_seconds
        by_kind[kind][1] += 1
        if process_seen.test:
            by_module[module_of(process_seen.test)][0] += process_seen.cpu_seconds
            by_module[module_of(process_seen.test)][1] += 1
    sampled = sum(row[0] for row in by_kind.values())
    print(f"\nwall {wall:.1f} s; pytest exit code {process.returncode}; {os.cpu_count()} cores")
    print(f"CPU: {waited:.1f} s counted by the kernel for the run, {sampled:.1f} s sampled")
    _table("CPU seconds by kind of process", by_kind, len(KINDS) + 1)
    _table("CPU seconds of the processes each test module started", by_module, args.top)
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
