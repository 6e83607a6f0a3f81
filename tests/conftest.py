"""Shared test fixtures: the shared CBS extract (skipped when absent), the hand-made CBS cache and
small tidy folders and frames built by hand.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_CBS_DIR = (REPO_ROOT / ".." / "shared" / "data" / "cbs-open-data").resolve()
CBS_CACHE_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "cbs_cache"


@pytest.fixture(scope="session")
def shared_cbs_dir() -> Path:
    """The real CBS extract beside the repository; skips the test when it is absent."""
    if not (SHARED_CBS_DIR / "registered_crime_47018NED_gemeente_year.csv").exists():
        pytest.skip(
            f"the shared CBS extract is not available at {SHARED_CBS_DIR} "
            "(../shared/data/cbs-open-data relative to the repository)"
        )
    return SHARED_CBS_DIR


@pytest.fixture(scope="session")
def shared_dataset(shared_cbs_dir):
    """The shared CBS extract loaded through ``load_source`` (once per test session)."""
    from rvs_analysis.sources import load_source

    return load_source(str(shared_cbs_dir))


@pytest.fixture(scope="session")
def demo_dataset():
    """The embedded demo data set (``data/demo``); skips the test when it has not been generated."""
    from rvs_analysis.exceptions import SourceNotAvailableError
    from rvs_analysis.sources import load_source

    try:
        return load_source("demo")
    except SourceNotAvailableError as error:
        pytest.skip(f"the demo data set is not available: {error}")


@pytest.fixture(scope="session")
def demo_batch(tmp_path_factory) -> Path:
    """The output folder of one batch on the demo data: every registered report for the region and
    each district, rendered the way ``make reports`` renders them (two warm kernels).

    Rendered once per test run, however many xdist workers ask for it: the first worker renders
    into the run's common temporary folder under a file lock, the others wait for it and read the
    same folder. Tests only read it (a test that writes renders its own batch). Its render status
    is in ``render_exit_code`` beside the folder.
    """
    from rvs_analysis.regions import DISTRICTS, REGION_NAME
    from rvs_analysis.render.batch import render_batch
    from rvs_analysis.report import registry

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this run, not by other runs
    folder = base / "demo-batch"
    folder.mkdir(exist_ok=True)
    out, status = folder / "out", folder / "render_exit_code"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not status.exists():
            result = render_batch(
                "demo",
                out=out,
                areas=[REGION_NAME, *DISTRICTS],
                notebooks=[str(spec.path) for spec in registry.report_specs()],
                notebooks_dir=REPO_ROOT / "notebooks",
                jobs=2,
                progress=False,
                timeout=300,
            )
            status.write_text(str(result.exit_code), encoding="utf-8")
    return out


@pytest.fixture
def cbs_cache(tmp_path) -> Path:
    """A writable copy of the hand-made CBS cache (``tests/fixtures/cbs_cache``)."""
    target = tmp_path / "raw"
    shutil.copytree(CBS_CACHE_FIXTURE, target)
    return target


def region_population(years=(2015, 2016, 2017)) -> pd.DataFrame:
    """Population of the 39 municipalities of 2017 (and their predecessors/successors) by year.

    Made-up but shaped like CBS 70072ned: each year on its own boundaries.
    """
    from rvs_analysis import regions

    rows = []
    codes = list(regions.municipalities(2017)["gemeente_code"])
    for year in years:
        for position, code in enumerate(codes):
            rows.append((code, year, 10_000 + 1_000 * position + year - 2000))
    return pd.DataFrame(rows, columns=["gemeente_code", "year", "population"])


def region_crime(years=(2015, 2016, 2017), offences=("1.1.1", "0.0.0")) -> pd.DataFrame:
    """Registered crime for the 39 municipalities of 2017 plus GM0000, in the tidy layout."""
    from rvs_analysis import regions

    composition = regions.municipalities(2017)
    rows = []
    for offence in offences:
        label = {"1.1.1": "Diefstal/inbraak woning", "0.0.0": "Totaal misdrijven"}.get(offence, "")
        for year in years:
            for position, record in enumerate(composition.itertuples(index=False)):
                count = (position + 1) * (3 if offence == "1.1.1" else 40) + (year - 2015)
                rows.append(
                    (offence, label, record.gemeente_code, record.gemeente_name, year, count, 0)
                )
            rows.append((offence, label, "GM0000", "", year, 7, 0))
    return pd.DataFrame(
        rows,
        columns=[
            "offence_code",
            "offence_label",
            "gemeente_code",
            "gemeente_name",
            "year",
            "registered_offences",
            "provisional",
        ],
    )


def write_tidy(folder: Path, crime=None, population=None, metadata=None, extra=None) -> Path:
    """Write a folder in the tidy layout from frames (or raw CSV text) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "registered_crime.csv": region_crime() if crime is None else crime,
        "population.csv": region_population() if population is None else population,
        **(extra or {}),
    }
    for name, content in files.items():
        if isinstance(content, pd.DataFrame):
            content.to_csv(folder / name, index=False)
        else:
            (folder / name).write_text(content, encoding="utf-8")
    if metadata is not None:
        (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return folder


@pytest.fixture
def tidy_folder(tmp_path) -> Path:
    """A small valid tidy folder on 2017 boundaries (39 municipalities, 2015-2017, GM0000)."""
    return write_tidy(
        tmp_path / "tidy",
        metadata={
            "crime_boundary_year": 2017,
            "population_boundary_year": 2017,
            "is_demo": False,
            "title": "test folder",
        },
    )


@pytest.fixture
def tidy_kit():
    """Helpers for building tidy folders in a test: ``write_tidy``, ``region_crime``,
    ``region_population`` (a fixture, so tests need not import this module)."""
    return SimpleNamespace(
        write_tidy=write_tidy, region_crime=region_crime, region_population=region_population
    )


@pytest.fixture
def tidy_frames():
    """The hand-built crime and population frames behind :func:`tidy_folder` (fresh copies)."""
    return region_crime(), region_population()


def write_tiny_source(
    folder: Path,
    utrecht_counts: dict | None = None,
    years: tuple[int, ...] = (2016, 2017),
    metadata: dict | None = None,
) -> Path:
    """The renderer tests' small source: residential burglary in every municipality of 2017 for
    ``years`` (complete, so that a region's or district's total can be made), flagged as demo data.

    Utrecht (GM0344) has ``utrecht_counts`` (default 1,200 in 2016 and 1,100 in 2017) and 340,000
    inhabitants in 2016 (+7,000 a year); the others small counts and populations no other row
    shares, so a test can change one value by its text.
    """
    from rvs_analysis import regions

    counts = {2016: 1200, 2017: 1100} if utrecht_counts is None else dict(utrecht_counts)
    folder.mkdir(parents=True, exist_ok=True)
    crime = [
        "offence_code,offence_label,gemeente_code,gemeente_name,year,registered_offences,provisional"
    ]
    population = ["gemeente_code,year,population"]
    for position, record in enumerate(regions.municipalities(2017).itertuples(index=False)):
        for year in years:
            if record.gemeente_code == "GM0344":
                count = counts.get(year, 1000)
                people = 340_000 + 7_000 * (year - 2016)
            else:
                count = 20 + 3 * position + (year - 2016)
                people = 20_003 + 1_000 * position + 10 * (year - 2016)
            crime.append(
                f"1.1.1,Diefstal/inbraak woning,{record.gemeente_code},{record.gemeente_name},"
                f"{year},{count},false"
            )
            population.append(f"{record.gemeente_code},{year},{people}")
    (folder / "registered_crime.csv").write_text("\n".join(crime) + "\n", encoding="utf-8")
    (folder / "population.csv").write_text("\n".join(population) + "\n", encoding="utf-8")
    meta = {
        "crime_boundary_year": 2017,
        "population_boundary_year": 2017,
        "is_demo": True,
        "title": "Testbron",
    }
    (folder / "metadata.json").write_text(json.dumps(meta | (metadata or {})), encoding="utf-8")
    return folder
