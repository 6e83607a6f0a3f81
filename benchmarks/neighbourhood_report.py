"""Benchmark: the neighbourhood report (``notebooks/neighbourhood_signals.ipynb``) on the demo data.

Two measurements (issue 31 item 6):

1. **The report's own cells for Utrecht** (102 buurten and 10 wijken, 13 offence types, 126 months):
   every code cell of the notebook after the parameters, executed in this process as a kernel
   executes them (matplotlib's Agg backend, each cell's last value turned into its display
   data, figures to PNG). The first run is cold (imports, the source and the wijk and buurt files
   read); the later runs are warm, as in a renderer's kernel that rendered a report before (the
   figures drawn anew in each run, as for another area). Goal:
   at most 3 s (warm) on this machine's two cores; ``OPENBLAS_NUM_THREADS=1`` as the renderer
   gives each of its two kernels.
2. **``rvs render --level gemeente --notebooks neighbourhood_signals``** on the demo data (a fresh
   process, all the strategy's municipalities, 2 jobs): wall time per report, with the
   manifest's breakdown (``benchmarks/render_per_municipality.py``). Goal: at most 1.0 s per
   report. Also the CPU time of the render, its workers and their kernels per report: on a
   machine shared with other work the wall time follows the load average (the same code
   measured 0.82 to 2.35 s per report at loads of 7 to 12), the CPU time much less.

Usage::

    python benchmarks/neighbourhood_report.py [--runs N] [--skip-render] [--area Utrecht]

It prints the wall and CPU time of each run, the slowest cells of the fastest warm run, and the
verdicts; on a shared machine the fastest warm run is the one least disturbed.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import nbformat  # noqa: E402
from IPython.core.formatters import DisplayFormatter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from rvs_analysis.report.figures import drawing, png_bytes  # noqa: E402

NOTEBOOK = REPO / "notebooks" / "neighbourhood_signals.ipynb"
GOAL_CELLS = 3.0
GOAL_PER_REPORT = 1.0


def _cells(area: str) -> tuple[str, list[str]]:
    """The parameters cell (with ``area`` set) and the other code cells of the notebook."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    parameters = next(cell for cell in code if "parameters" in cell.metadata.get("tags", []))
    rest = [cell.source for cell in code if cell is not parameters]
    return parameters.source + f"\narea = {area!r}\n", rest


def _run_cell(source: str, namespace: dict, formatter: DisplayFormatter) -> None:
    """Execute a cell and format its last expression as a kernel would display it."""
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    body = tree.body[:-1] if last is not None else tree.body
    exec(compile(ast.Module(body, []), "<cell>", "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
        if isinstance(value, Figure):
            png_bytes(value)  # what the kernel's display hook shows
        elif value is not None:
            formatter.format(value)


def time_cells(area: str, runs: int) -> list[tuple[float, float, list[tuple[float, str]]]]:
    """Run the report's cells ``runs`` times; per run (wall, cpu, [(seconds, first line)])."""
    os.chdir(REPO / "notebooks")  # the renderer runs a notebook in its folder
    parameters, cells = _cells(area)
    formatter = DisplayFormatter()
    results = []
    for _ in range(runs):
        # each run draws its figures anew: a batch draws each area's figures once
        drawing._DRAWN.clear()  # noqa: SLF001 (benchmark script)
        drawing._BASES.clear()  # noqa: SLF001
        namespace: dict = {}
        exec(parameters, namespace)
        wall, cpu = time.perf_counter(), time.process_time()
        per_cell = []
        for source in cells:
            start = time.perf_counter()
            _run_cell(source, namespace, formatter)
            per_cell.append((time.perf_counter() - start, source.strip().splitlines()[0][:70]))
        results.append((time.perf_counter() - wall, time.process_time() - cpu, per_cell))
        import matplotlib.pyplot as plt  # noqa: PLC0415 (benchmark script)

        plt.close("all")
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4, help="runs of the cells (first is cold)")
    parser.add_argument("--area", default="Utrecht")
    parser.add_argument("--skip-render", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    runs = time_cells(args.area, max(args.runs, 2))
    for number, (wall, cpu, _) in enumerate(runs, start=1):
        kind = "cold" if number == 1 else "warm"
        print(f"cells for {args.area}, run {number} ({kind}): {wall:.2f} s wall, {cpu:.2f} s CPU")
    warm = runs[1:]
    fastest = min(warm, key=lambda run: run[0])
    print("slowest cells of the fastest warm run:")
    for seconds, line in sorted(fastest[2], reverse=True)[:5]:
        print(f"  {seconds:6.2f} s  {line}")
    walls = [run[0] for run in warm]
    verdict = "met" if min(walls) <= GOAL_CELLS else "NOT met"
    print(
        f"warm: fastest {min(walls):.2f} s, median {statistics.median(walls):.2f} s wall "
        f"(goal <= {GOAL_CELLS} s: {verdict}); cold {runs[0][0]:.2f} s"
    )
    if args.skip_render:
        return 0
    from render_per_municipality import one_run  # noqa: PLC0415 (benchmark script)

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    scratch = Path(tempfile.mkdtemp(prefix="rvs-bench-neighbourhood-"))
    options = argparse.Namespace(
        source="demo", notebooks="neighbourhood_signals", jobs=args.jobs, keep=scratch / "out"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        per_report, _, _ = one_run(options, env)
        manifest = json.loads((scratch / "out" / "manifest.json").read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    verdict = "met" if per_report <= GOAL_PER_REPORT else "NOT met"
    print(
        f"render --level gemeente: {per_report:.2f} s per report (goal <= {GOAL_PER_REPORT} s: {verdict})"
    )
    # the CPU time of the render, its workers and their kernels: what a report costs, far less
    # sensitive than the wall time to what else runs on a shared machine
    print(
        f"CPU of the render's processes: {cpu:.1f} s, {cpu / len(manifest['reports']):.2f} s per "
        f"report (load average {os.getloadavg()[0]:.1f} at the end)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
