"""Time loading, validating and harmonising the whole national CBS extract.

Usage: ``python benchmarks/load_national.py [FOLDER] [--runs N]`` (default folder:
``../shared/data/cbs-open-data`` beside the repository). Each run starts cold (the in-process source
cache is cleared) and does what a report batch does once: read and validate every file of the extract
(``load_source``), then harmonise all registered-crime counts (every offence, every municipality of the
Netherlands, 2012-2025) from the 2024 boundaries to the 2017 boundaries and all population figures
from each year's own boundaries to 2017. It prints the median and the fastest of the runs, per phase
and in total. Goal: under 1 second in total.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from rvs_analysis import regions, sources  # noqa: E402

DEFAULT_FOLDER = REPO_ROOT.parent / "shared" / "data" / "cbs-open-data"
GOAL_SECONDS = 1.0


def one_run(folder: Path) -> dict[str, float]:
    """Load + validate + harmonise once, cold; returns seconds per phase."""
    sources.clear_cache()
    started = time.perf_counter()
    dataset = sources.load_source(str(folder))
    loaded = time.perf_counter()
    crime = dataset.crime[["gemeente_code", "year", "offence_code", "registered_offences"]]
    counts = regions.harmonise_counts(
        crime, dataset.population, dataset.crime_boundary_year, 2017, ["registered_offences"]
    )
    population = regions.harmonise_population(dataset.population, 2017)
    finished = time.perf_counter()
    assert len(counts) and len(population)
    return {
        "load + validate": loaded - started,
        "harmonise": finished - loaded,
        "total": finished - started,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    if not (args.folder / "registered_crime_47018NED_gemeente_year.csv").exists():
        print(f"skipped: the national extract is not at {args.folder}")
        return 0
    one_run(args.folder)  # warm-up: imports and the operating system's file cache
    runs = [one_run(args.folder) for _ in range(args.runs)]
    print(f"national extract {args.folder} ({args.runs} cold runs after one warm-up)")
    for phase in runs[0]:
        values = [run[phase] for run in runs]
        print(
            f"  {phase:<16} median {statistics.median(values):.3f} s   fastest {min(values):.3f} s"
        )
    median_total = statistics.median(run["total"] for run in runs)
    verdict = "within" if median_total < GOAL_SECONDS else "OVER"
    print(f"median total {median_total:.3f} s: {verdict} the goal of {GOAL_SECONDS:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
