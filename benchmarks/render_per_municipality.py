"""Benchmark: ``rvs render --level gemeente`` on the demo data, wall time per report.

Renders one report set per municipality of the region (``--force``, into a fresh folder) as a
command in a fresh process, and measures the wall time of the whole command with
``time.perf_counter`` (kernel start-up and imports included) and the memory of its process tree
(sampled every 0.25 s). Prints the wall time, the number of reports, seconds per report, the
statuses, the peak memory and whether it stays flat, and the manifest's breakdown of where the
time went (``benchmarks/manifest_breakdown.py``). Goals (issue 16, 2-core machine): at most 0.6 s
wall per report, a median overhead per report (all but the notebook's own cells) of at most
0.3 s, a peak of at most 0.8 GB with 2 jobs, flat over the batch.

Usage::

    python benchmarks/render_per_municipality.py [--jobs N] [--notebooks a,b] [--source demo]
        [--runs N]

With ``--runs N`` the batch is rendered N times and the figures of every run are printed with
the fastest and the median: on a shared machine the fastest run is the one least disturbed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from manifest_breakdown import print_breakdown, print_memory, run_with_memory  # noqa: E402

GOAL_WALL_PER_REPORT = 0.6
GOAL_OVERHEAD = 0.3
GOAL_PEAK_GB = 0.8


def one_run(args, env):
    """Render once into a fresh folder; print its figures; return (seconds per report, overhead)."""
    if args.keep:
        out = Path(args.keep).resolve()
        if out.exists() and any(out.iterdir()):
            raise SystemExit(f"--keep {out}: the folder must be new or empty")
    else:
        out = Path(tempfile.mkdtemp(prefix="rvs-bench-gemeente-")) / "outputs"
    command = [
        sys.executable, "-m", "rvs_analysis.commands.render",
        "--source", args.source, "--level", "gemeente",
        "--out", str(out), "--force", "--progress", "lines",
    ]  # fmt: skip
    if args.notebooks:
        command += ["--notebooks", args.notebooks]
    if args.jobs:
        command += ["--jobs", str(args.jobs)]
    try:
        run, seconds, samples = run_with_memory(command, cwd=REPO, env=env)
        if run.returncode not in (0, 1):
            sys.stderr.write(run.stderr)
            raise SystemExit(f"rvs render failed to run (exit {run.returncode})")
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        reports = manifest["reports"]
        statuses = Counter(report["status"] for report in reports)
        jobs = args.jobs or os.cpu_count()
        print(f"rvs render --level gemeente on {args.source}, {jobs} jobs, {os.cpu_count()} cores")
        print(
            f"{len(reports)} reports in {seconds:.1f} s wall: {seconds / len(reports):.2f} s per report"
        )
        print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
        peak = print_memory(samples)
        overhead = print_breakdown(manifest, wall=seconds, jobs=jobs)
        return seconds / len(reports), overhead, peak
    finally:
        if not args.keep:
            shutil.rmtree(out.parent, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None, help="default: the number of cores")
    parser.add_argument("--notebooks", default=None, help="comma-separated names; default all")
    parser.add_argument("--source", default="demo")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--keep",
        default=None,
        help="render into this new folder and keep it (e.g. for tests/report_scan.py)",
    )
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    runs = []
    for number in range(args.runs):
        if args.runs > 1:
            print(f"== run {number + 1} of {args.runs}")
        runs.append(one_run(args, env))
    per_report = [run[0] for run in runs]
    overheads = [run[1] for run in runs if run[1] is not None]
    peaks = [run[2] for run in runs if run[2] is not None]
    print(
        f"wall per report: fastest {min(per_report):.2f} s, median {statistics.median(per_report):.2f} s"
        f" (goal <= {GOAL_WALL_PER_REPORT} s)"
    )
    if overheads:
        print(
            f"median overhead per report: fastest run {min(overheads):.3f} s "
            f"(goal <= {GOAL_OVERHEAD} s)"
        )
    if peaks:
        print(
            f"peak memory: lowest run {min(peaks) * 2**20 / 1e9:.2f} GB (goal <= {GOAL_PEAK_GB} GB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
