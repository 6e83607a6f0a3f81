"""Shared test fixtures: the shared CBS extract (skipped when absent), the embedded demo data and
one demo batch per test run (and Utrecht's wijk and buurt report), one ``rvs fetch`` from the
loopback feed per test run, the hand-made CBS cache and small tidy folders and frames built by
hand (from the helper module ``tidy_sources``).

Fixtures only: test modules never import from a conftest (``tests/test_test_layout.py`` checks);
helpers they call are modules of their own in ``tests/`` (``tidy_sources``, ``cbs_feed``,
``page_check``, ``report_scan``).
"""

from __future__ import annotations

import os

# One BLAS thread per process, set before numpy is first imported (OpenBLAS reads it once, at
# load). The suite runs on every core already (xdist workers, their kernels, dask workers); BLAS
# threads on top of that spin against each other: a small SVD took 6-8 times longer with
# OpenBLAS's default of a thread per core. Kernels and subprocesses inherit it.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import fcntl  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from unittest import mock  # noqa: E402

import pytest  # noqa: E402
from tidy_sources import region_crime, region_population, write_tidy  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
# The shared real CBS extract: ../shared/data/cbs-open-data beside the repository, or the folder
# RVS_SHARED_CBS_DIR names (a worktree or clone elsewhere runs the tests that read it, not skips them).
SHARED_CBS_DIR = Path(
    os.environ.get("RVS_SHARED_CBS_DIR") or REPO_ROOT / ".." / "shared" / "data" / "cbs-open-data"
).resolve()
CBS_CACHE_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "cbs_cache"


@pytest.fixture(scope="session")
def shared_cbs_dir() -> Path:
    """The real CBS extract beside the repository; skips the test when it is absent."""
    if not (SHARED_CBS_DIR / "registered_crime_47018NED_gemeente_year.csv").exists():
        pytest.skip(
            f"the shared CBS extract is not available at {SHARED_CBS_DIR} "
            "(../shared/data/cbs-open-data relative to the repository, or RVS_SHARED_CBS_DIR)"
        )
    return SHARED_CBS_DIR


@pytest.fixture(scope="session")
def shared_dataset(shared_cbs_dir):
    """The shared CBS extract loaded through ``load_source`` (once per test session)."""
    from rvs_analysis.sources import load_source

    return load_source(str(shared_cbs_dir))


@pytest.fixture(scope="session")
def demo_dataset():
    """The embedded demo data set (``data/demo``, committed: its absence fails the test)."""
    from rvs_analysis.sources import load_source

    return load_source("demo")


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


@pytest.fixture(scope="session")
def demo_neighbourhood_batch(tmp_path_factory) -> Path:
    """The output folder of ``rvs render --areas Utrecht --notebooks neighbourhood_signals`` on
    the demo data: the wijk and buurt report of a municipality (the demo batch has the region's
    and the districts'), rendered once per test run (per xdist worker). Tests only read it."""
    from rvs_analysis.render.batch import render_batch

    out = tmp_path_factory.mktemp("neighbourhood") / "out"
    render_batch(
        "demo",
        out=out,
        areas=["Utrecht"],
        notebooks=[str(REPO_ROOT / "notebooks" / "neighbourhood_signals.ipynb")],
        notebooks_dir=REPO_ROOT / "notebooks",
        jobs=1,
        progress=False,
        timeout=300,
    )
    return out


@pytest.fixture
def cbs_cache(tmp_path) -> Path:
    """A writable copy of the hand-made CBS cache (``tests/fixtures/cbs_cache``)."""
    target = tmp_path / "raw"
    shutil.copytree(CBS_CACHE_FIXTURE, target)
    return target


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
    ``region_population`` (from ``tidy_sources``, as a fixture)."""
    return SimpleNamespace(
        write_tidy=write_tidy, region_crime=region_crime, region_population=region_population
    )


@pytest.fixture
def tidy_frames():
    """The hand-built crime and population frames behind :func:`tidy_folder` (fresh copies)."""
    return region_crime(), region_population()


# --- One fetch from the loopback CBS feed per test run -----------------------------------------


def _run_shared_folder(tmp_path_factory, name: str) -> Path:
    """A folder shared by every xdist worker of this run (not by other runs), created once."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / name
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def fetched_feed(tmp_path_factory) -> SimpleNamespace:
    """Every default table fetched once per test run from the loopback CBS feed
    (``CbsFeed(page_size=1000)``, ``tests/cbs_feed.py``) by the command ``rvs fetch --catalog``
    (``cli.main``, real cbsodata client): ``cache`` (the fetched folder), ``records`` (what the
    command's ``cbs.fetch`` returned),
    ``url`` (the feed's address, no longer served) and ``requests`` (every ``(path, query)`` the
    feed answered); ``data_requests(table_id, part)`` as :meth:`CbsFeed.data_requests`.

    Fetched once per run however many xdist workers ask for it (as :func:`demo_batch`, under a
    file lock in the run's common temporary folder). Read-only: a test that changes a cache copies
    ``cache`` first.
    """
    from cbs_feed import CbsFeed

    from rvs_analysis.cli import main
    from rvs_analysis.sources import cbs

    folder = _run_shared_folder(tmp_path_factory, "cbs-fetch")
    cache, done = folder / "raw", folder / "fetch.json"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            records, fetch = [], cbs.fetch

            def recorded(*args, **kwargs):  # the command's own call, its return value kept
                records.extend(fetch(*args, **kwargs))
                return records

            with CbsFeed(page_size=1000) as feed, mock.patch.object(cbs, "fetch", recorded):
                command = ["fetch", "--catalog", feed.url, "--cache", str(cache)]
                assert main([*command, "--timeout", "120"]) == 0
            served = {"records": records, "url": feed.url, "requests": feed.requests}
            done.write_text(json.dumps(served), encoding="utf-8")
    served = json.loads(done.read_text(encoding="utf-8"))
    requests = [(path, query) for path, query in served["requests"]]

    def data_requests(table_id: str, part: str = "TypedDataSet") -> list[dict]:
        path = f"/ODataFeed/odata/{table_id}/{part}"
        return [query for served_path, query in requests if served_path == path]

    return SimpleNamespace(
        cache=cache,
        records=served["records"],
        url=served["url"],
        requests=requests,
        data_requests=data_requests,
    )


@pytest.fixture(scope="session")
def fetched_cache(fetched_feed) -> Path:
    """The cache folder of the run's one ``rvs fetch`` (:func:`fetched_feed`); read-only."""
    return fetched_feed.cache
