"""Benchmark: ``rvs render`` against the loop a papermill user writes by hand, on the same reports.

The hand loop runs, for every report, the real command-line tools one after the other::

    papermill NOTEBOOK OUT.ipynb -p area AREA -p source SOURCE -p cache CACHE -k python3
    jupyter nbconvert --to html --no-input OUT.ipynb

``rvs render`` renders the same area x notebook reports (``--force``, into a fresh folder, with
as many jobs as cores). Both wall times are measured with ``time.perf_counter`` around the whole
run, and the ratio is printed, with the manifest's breakdown of where the batch's time went
(``benchmarks/manifest_breakdown.py``: steps, overhead, busy workers, the five most expensive
cells) and its peak memory; the goal of issue 16 is a ratio of at most 0.10.

Usage::

    python benchmarks/render_vs_hand_loop.py [--areas Midden-Nederland,Flevoland,Stad\\ Utrecht]
        [--notebooks a,b] [--source demo] [--jobs N]

Default: the region and two districts x every report notebook in ``notebooks/``, on the demo
data. Reports that fail or are skipped count in both runs alike (papermill exits non-zero for
them; the loop goes on, as a hand loop with ``|| true`` would).
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from manifest_breakdown import print_breakdown, print_memory, run_with_memory  # noqa: E402

GOAL_RATIO = 0.10


def hand_loop(notebooks, areas, source, cache, workdir):
    """Run papermill then nbconvert per report; return (seconds, number of reports, failures)."""
    from rvs_analysis.regions import slug

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    failures = 0
    started = time.perf_counter()
    for area in areas:
        folder = workdir / slug(area)
        folder.mkdir(parents=True, exist_ok=True)
        for notebook in notebooks:
            executed = folder / f"{notebook.stem}.ipynb"
            run = subprocess.run(
                [
                    str(BIN / "papermill"),
                    str(notebook),
                    str(executed),
                    "-p", "area", area,
                    "-p", "source", source,
                    "-p", "cache", cache,
                    "-k", "python3",
                    "--cwd", str(notebook.parent),
                    "--log-level", "ERROR",
                ],
                env=env,
                capture_output=True,
                text=True,
            )  # fmt: skip
            failures += run.returncode != 0
            subprocess.run(
                [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                env=env,
                capture_output=True,
                check=executed.exists(),
            )
    return time.perf_counter() - started, len(areas) * len(notebooks), failures


def rvs_render(notebooks, areas, source, cache, out, jobs):
    """Run ``rvs render`` as a command (a fresh process, as a user would); return seconds."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    command = [
        sys.executable, "-m", "rvs_analysis.commands.render",
        "--source", source, "--cache", cache,
        "--areas", ",".join(areas),
        "--notebooks", ",".join(str(nb) for nb in notebooks),
        "--out", str(out), "--force", "--progress", "lines",
    ]  # fmt: skip
    if jobs:
        command += ["--jobs", str(jobs)]
    run, seconds, samples = run_with_memory(command, cwd=REPO, env=env)
    if run.returncode not in (0, 1):
        sys.stderr.write(run.stderr)
        raise SystemExit(f"rvs render failed to run (exit {run.returncode})")
    return seconds, run.stderr, samples


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", default="Midden-Nederland,Flevoland,Stad Utrecht")
    parser.add_argument("--notebooks", default=None, help="comma-separated names; default all")
    parser.add_argument("--source", default="demo")
    parser.add_argument("--cache", default="data/raw")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from rvs_analysis.render.batch import discover_notebooks, select_notebooks

    notebooks = [
        path.resolve()
        for path in select_notebooks(
            discover_notebooks(REPO / "notebooks"),
            args.notebooks.split(",") if args.notebooks else None,
        )
    ]
    areas = [area.strip() for area in args.areas.split(",") if area.strip()]
    workdir = Path(tempfile.mkdtemp(prefix="rvs-bench-"))
    try:
        print(
            f"{len(areas)} areas x {len(notebooks)} notebooks = {len(areas) * len(notebooks)} reports"
        )
        render_seconds, log, samples = rvs_render(
            notebooks, areas, args.source, args.cache, workdir / "rvs", args.jobs
        )
        print(log.strip().splitlines()[-1] if log.strip() else "")
        print(f"rvs render : {render_seconds:7.1f} s wall")
        manifest = json.loads((workdir / "rvs" / "manifest.json").read_text(encoding="utf-8"))
        print_memory(samples)
        print_breakdown(manifest, wall=render_seconds, jobs=args.jobs or os.cpu_count())
        hand_seconds, reports, failures = hand_loop(
            notebooks, areas, args.source, args.cache, workdir / "hand"
        )
        print(
            f"hand loop  : {hand_seconds:7.1f} s wall ({hand_seconds / reports:.1f} s per report, "
            f"{failures} papermill failures)"
        )
        ratio = render_seconds / hand_seconds
        print(f"ratio rvs render / hand loop = {ratio:.3f} (goal <= {GOAL_RATIO:.2f})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
