"""Where a batch's time went, from its ``manifest.json``: steps, overhead, busy workers, costly cells.

Usage: ``python benchmarks/manifest_breakdown.py [MANIFEST] [--wall SECONDS] [--jobs N]``
(default ``outputs/manifest.json``). The other benchmarks call :func:`print_breakdown` on the
batch they rendered. Prints, over the reports rendered in the batch (carried-over ones are left
out):

- per step (``timings`` of each manifest entry) the median, mean and total seconds: reset,
  prepare, the cells (the notebook's own work) and inside them source load and harmonising, the
  nbclient time between cells, HTML export, serialising, writing, and the overhead (everything
  but the cells); kernel start-up once per worker;
- how busy the workers were: the sum of report times against wall x jobs, and how long each
  worker sat idle after its last report while the batch was still running;
- the five most expensive cells across the batch (by total seconds), with their code's first line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STEPS = (
    ("reset", "reset"),
    ("prepare", "prepare"),
    ("cells_total", "cells (notebook's own work)"),
    ("source_load", "  of which source load"),
    ("harmonise", "  of which harmonising"),
    ("between_cells", "nbclient between cells"),
    ("export", "HTML export"),
    ("serialise", "serialise notebook"),
    ("write", "write files"),
    ("overhead", "overhead (all but cells)"),
    ("total", "total per report"),
)


def rendered_reports(manifest):
    """Manifest entries rendered in this batch (with timings), not carried over."""
    return [r for r in manifest["reports"] if r.get("timings") and not r.get("reused")]


def _cell_sources(notebook_label):
    """``{cell id: first code line}`` of a notebook named as the manifest names it."""
    for base in (Path.cwd(), REPO):
        path = base / notebook_label
        if path.is_file():
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            sources = {}
            for cell in cells:
                source = cell.get("source", "")
                source = "".join(source) if isinstance(source, list) else source
                lines = [line for line in source.splitlines() if line.strip()]
                code = [line for line in lines if not line.lstrip().startswith("#")]
                sources[cell.get("id")] = (code or lines or [""])[0].strip()
            return sources
    return {}


def step_values(reports, step):
    values = []
    for report in reports:
        timings = report["timings"]
        if step == "between_cells":
            if "execute" in timings:
                values.append(max(0.0, timings["execute"] - timings.get("cells_total", 0.0)))
        elif step in timings:
            values.append(float(timings[step]))
        elif step in ("source_load", "harmonise"):
            values.append(0.0)
    return values


def print_breakdown(manifest, wall=None, jobs=None, top=5, out=sys.stdout):
    """Print the breakdown of a batch (see the module docstring); returns the overhead median."""
    reports = rendered_reports(manifest)
    if not reports:
        print("no rendered reports with timings in this manifest", file=out)
        return None
    print(f"breakdown of {len(reports)} rendered reports (seconds, wall clock)", file=out)
    print(f"  {'step':<28} {'median':>8} {'mean':>8} {'total':>9}", file=out)
    for step, label in STEPS:
        values = step_values(reports, step)
        if not values:
            continue
        print(
            f"  {label:<28} {statistics.median(values):8.3f} {statistics.mean(values):8.3f} "
            f"{sum(values):9.1f}",
            file=out,
        )
    starts = [r["timings"]["kernel_start"] for r in reports if "kernel_start" in r["timings"]]
    if starts:
        print(
            f"  kernel start (once per worker): {len(starts)} x, median "
            f"{statistics.median(starts):.2f} s",
            file=out,
        )
    by_notebook = defaultdict(list)
    for report in reports:
        by_notebook[report["notebook"]].append(report["timings"]["total"])
    for notebook, values in sorted(by_notebook.items()):
        print(
            f"  {Path(notebook).stem:<36} {len(values):4d} reports, mean {statistics.mean(values):.2f} s",
            file=out,
        )

    busy = sum(r["timings"]["total"] for r in reports)
    workers = defaultdict(list)
    for report in reports:
        workers[report.get("worker") or "?"].append(report["timings"])
    if wall and jobs:
        print(
            f"workers busy {busy:.1f} s of {wall:.1f} s wall x {jobs} jobs = "
            f"{100 * busy / (wall * jobs):.0f}%",
            file=out,
        )
    ends = [t["finished_at"] for ts in workers.values() for t in ts if "finished_at" in t]
    if ends:
        last = max(ends)
        idle = {
            worker: last - max(t["finished_at"] for t in ts)
            for worker, ts in workers.items()
            if all("finished_at" in t for t in ts)
        }
        print(
            "idle at the end (last report of each worker to the batch's last): "
            + ", ".join(f"{seconds:.2f} s" for seconds in sorted(idle.values())),
            file=out,
        )

    cells = defaultdict(list)
    for report in reports:
        recorded = report["timings"].get("cells")
        for cell, seconds in (recorded if isinstance(recorded, dict) else {}).items():
            cells[(report["notebook"], cell)].append(seconds)
    costly = sorted(cells.items(), key=lambda item: -sum(item[1]))[:top]
    print(f"the {top} most expensive cells across the batch:", file=out)
    sources = {}
    for (notebook, cell), values in costly:
        if notebook not in sources:
            sources[notebook] = _cell_sources(notebook)
        code = sources[notebook].get(cell, "")
        print(
            f"  {sum(values):7.1f} s total, {statistics.mean(values):.3f} s mean x {len(values):3d}  "
            f"{Path(notebook).stem}[{cell}]  {code[:70]}",
            file=out,
        )
    return statistics.median(step_values(reports, "overhead"))


def run_with_memory(command, interval=0.25, **popen):
    """Run ``command``; sample the memory of its whole process tree while it runs.

    Returns
    -------
    (subprocess.CompletedProcess, float, list of (float, float))
        The finished process (stdout/stderr captured as text), its wall seconds, and samples of
        (seconds since start, total MiB of the tree). The total is the sum of each process's
        proportional set size (PSS: shared pages divided among the processes sharing them), or
        of its resident set size where PSS cannot be read.
    """
    import subprocess
    import tempfile
    import time

    try:
        import psutil
    except ImportError:  # no sampling without psutil: the run is still timed
        psutil = None

    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True, **popen)
        samples = []
        if psutil is None:
            process.wait()
        else:
            root = psutil.Process(process.pid)
        while process.poll() is None:
            total = 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                tree = []
            for member in tree:
                try:
                    try:
                        total += member.memory_full_info().pss
                    except (psutil.AccessDenied, AttributeError):
                        total += member.memory_info().rss
                except psutil.Error:
                    continue
            samples.append((time.perf_counter() - started, total / 2**20))
            time.sleep(interval)
        seconds = time.perf_counter() - started
        stdout.seek(0)
        stderr.seek(0)
        done = subprocess.CompletedProcess(
            command, process.returncode, stdout.read(), stderr.read()
        )
    return done, seconds, samples


def print_memory(samples, out=sys.stdout):
    """Peak total memory of the batch, and whether it stays flat (second vs last third)."""
    if not samples:
        return None
    peak = max(mib for _, mib in samples)
    third = max(1, len(samples) // 3)
    middle = [mib for _, mib in samples[third : 2 * third]] or [peak]
    last = [mib for _, mib in samples[2 * third :]] or [peak]
    print(
        f"memory (PSS of the process tree, {len(samples)} samples): peak {peak:.0f} MiB "
        f"({peak * 2**20 / 1e9:.2f} GB); mean of the middle third {statistics.mean(middle):.0f} MiB, "
        f"of the last third {statistics.mean(last):.0f} MiB",
        file=out,
    )
    return peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", nargs="?", type=Path, default=Path("outputs/manifest.json"))
    parser.add_argument("--wall", type=float, default=None, help="the batch's wall seconds")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    if not args.manifest.is_file():
        print(f"skipped: no manifest at {args.manifest} (render a batch first)")
        return 0
    manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    print_breakdown(manifest, wall=args.wall, jobs=args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
