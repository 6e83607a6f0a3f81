"""Time the neighbourhood statistics on a municipality the size of Utrecht.

Usage: ``python benchmarks/neighbourhood_stats.py [--runs N]``. Synthetic data (seeded): 100
buurten x 12 offence types x 11 years, yearly and monthly (132 months), about 2% of the cells
withheld. One run computes what the neighbourhood report needs, for each offence type and for the
total of the types: empirical Bayes rates (every year), the concentration in the top 10% with its
change against five years earlier, persistent hot spots (funnel limits of the last five years),
the monthly signals of the last three months and the nowcast of the current year for all 1,300
series at once. It prints the median and the fastest run per step and in total, on one core
(``OPENBLAS_NUM_THREADS=1``), in wall time and in CPU time. Goal (issue 31): well under 3 seconds
in total on one core, checked on the CPU time (on a loaded shared machine the wall time is mostly
waiting for a core).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from rvs_analysis.stats import neighbourhood, nowcast, surveillance  # noqa: E402

GOAL_SECONDS = 3.0
N_AREAS, N_TYPES, N_YEARS, FIRST_YEAR = 100, 12, 11, 2014


def synthetic(seed: int = 31):
    """Yearly long frame and monthly wide frame (months x (area, type))."""
    rng = np.random.default_rng(seed)
    population = np.clip(np.round(np.exp(rng.normal(np.log(800), 1.0, N_AREAS))), 50, 5000)
    theta = rng.gamma(4.0, 0.25, (N_AREAS, N_TYPES))
    type_rate = 0.05 / N_TYPES * rng.gamma(2.0, 0.5, N_TYPES)
    months = 12 * N_YEARS
    season = 1 + 0.15 * np.cos(2 * np.pi * np.arange(months) / 12)
    mean = (population[:, None] * theta * type_rate[None, :] / 12)[None] * season[:, None, None]
    monthly = rng.poisson(mean).astype(float).reshape(months, N_AREAS * N_TYPES)
    monthly[rng.random(monthly.shape) < 0.02] = np.nan
    codes = [f"BU{i:04d}" for i in range(N_AREAS)]
    columns = pd.MultiIndex.from_product([codes, range(N_TYPES)], names=["area_code", "offence"])
    index = pd.period_range(f"{FIRST_YEAR}-01", periods=months, freq="M")
    wide = pd.DataFrame(monthly, index=index, columns=columns)
    yearly = wide.groupby(index.year).sum(min_count=12)  # a year with a withheld month: NaN
    long = yearly.stack(["area_code", "offence"], future_stack=True).rename("registered_offences")
    long = long.rename_axis(["year", "area_code", "offence"]).reset_index()
    long["population"] = long["area_code"].map(dict(zip(codes, population, strict=True)))
    totals = wide.T.groupby(level="area_code").sum(min_count=N_TYPES).T
    return long, wide, totals


def one_run(long, wide, totals) -> dict[str, float]:
    """Every statistic once; seconds per step."""
    seconds = {}
    last = int(long["year"].max())
    groups = [long] + [part for _, part in long.groupby("offence")]
    started = time.perf_counter()
    for frame in groups:
        neighbourhood.eb_rates(frame)
    seconds["eb_rates (13 x 11 years)"] = time.perf_counter() - started
    started = time.perf_counter()
    for frame in groups:
        neighbourhood.concentration(frame, compare_year=last - 5)
    seconds["concentration (13)"] = time.perf_counter() - started
    started = time.perf_counter()
    for frame in groups:
        neighbourhood.persistent_hotspots(frame)
    seconds["persistent_hotspots (13)"] = time.perf_counter() - started
    started = time.perf_counter()
    both = pd.concat(
        [
            wide,
            totals.set_axis(
                pd.MultiIndex.from_product(
                    [totals.columns, ["total"]], names=["area_code", "offence"]
                ),
                axis=1,
            ),
        ],
        axis=1,
    )
    surveillance.monthly_signals(both)
    seconds["monthly_signals (1,300 series)"] = time.perf_counter() - started
    started = time.perf_counter()
    nowcast.nowcast_year_total(both.iloc[:-8])
    seconds["nowcast (1,300 series)"] = time.perf_counter() - started
    seconds["total"] = sum(seconds.values())
    return seconds


def timed_run(long, wide, totals) -> dict[str, float]:
    """One run with its CPU time (less sensitive than wall time to a shared machine's load)."""
    cpu = time.process_time()
    seconds = one_run(long, wide, totals)
    seconds["total (CPU time)"] = time.process_time() - cpu
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    long, wide, totals = synthetic()
    runs = [timed_run(long, wide, totals) for _ in range(args.runs)]
    for step in runs[0]:
        values = [run[step] for run in runs]
        print(f"{step:34s} median {statistics.median(values):6.3f} s  best {min(values):6.3f} s")
    total = statistics.median(run["total"] for run in runs)
    print(
        f"goal: under {GOAL_SECONDS:.1f} s in total -> {'ok' if total < GOAL_SECONDS else 'SLOW'}"
    )
    return 0 if total < GOAL_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
