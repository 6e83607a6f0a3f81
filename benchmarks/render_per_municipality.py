"""Benchmark: ``rvs render --level gemeente`` on the demo data, wall time per report.

Renders one report set per municipality of the region (``--force``, into a fresh folder) as a
command in a fresh process, and measures the wall time of the whole command with
``time.perf_counter`` (kernel start-up and imports included). Prints the wall time, the number
of reports, seconds per report and the statuses; the goal of issue 5 is at most 1.5 s wall per
report on a 2-core machine.

Usage::

    python benchmarks/render_per_municipality.py [--jobs N] [--notebooks a,b] [--source demo]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None, help="default: the number of cores")
    parser.add_argument("--notebooks", default=None, help="comma-separated names; default all")
    parser.add_argument("--source", default="demo")
    args = parser.parse_args(argv)
    out = Path(tempfile.mkdtemp(prefix="rvs-bench-gemeente-")) / "outputs"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
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
        started = time.perf_counter()
        run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
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
        busy = sum(report["seconds"] or 0 for report in reports)
        print(f"sum of per-report times {busy:.1f} s (mean {busy / len(reports):.2f} s per report)")
        print("goal: <= 1.5 s wall per report")
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
