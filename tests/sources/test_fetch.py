"""``rvs fetch`` against the loopback CBS OData feed (tests/cbs_feed.py), with the real cbsodata client.

No network: every request goes to 127.0.0.1. The feed serves small tables in CBS's real shapes
(padded keys, nested topic groups, provisional periods, paging), applies ``$filter`` and ``$select``
as CBS does, and can cut a response off, drip it byte by byte or interrupt the fetch.
"""

from __future__ import annotations

import _thread
import io
import json
import os
import shutil
import signal
import socket
import time
from pathlib import Path

import pandas as pd
import pytest
from cbs_feed import FEED_KERNCIJFERS_EDITIONS, CbsFeed, compile_filter

from rvs_analysis.cli import main
from rvs_analysis.exceptions import FetchError
from rvs_analysis.sources import cbs, cbs_fetch, load_source

CORE = ["47018NED", "47022NED", "70072ned", "83648NED"]


def run_cli(argv, capsys):
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_paragraph(text: str) -> None:
    assert text.strip() and "\n\n" not in text.strip() and "Traceback" not in text


def snapshot(folder: Path) -> dict:
    """Every file under ``folder`` with its bytes and modification time."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def leftovers(cache: Path) -> list[str]:
    """Staging or partial folders inside or beside the cache."""
    inside = [path.name for path in cache.iterdir() if path.name.startswith(".")]
    beside = [path.name for path in cache.parent.iterdir() if cbs_fetch._STAGING_MARK in path.name]
    return inside + beside


@pytest.fixture
def feed():
    with CbsFeed(page_size=1000) as running:
        yield running


@pytest.fixture(scope="session")
def fetched_once(fetched_feed):
    """Every table fetched once from a feed of its own (``conftest.fetched_feed``, shared with the
    other tests of a fetched cache): (cache, the feed's url and requests served, records)."""
    return fetched_feed.cache, fetched_feed, fetched_feed.records


@pytest.fixture
def fetched(tmp_path, fetched_once, feed):
    """A writable copy of the fetched cache, and a fresh running feed (for fetching again)."""
    cache = tmp_path / "raw"
    shutil.copytree(fetched_once[0], cache)
    return cache, feed, fetched_once[2]


def test_fetch_through_the_feed_writes_the_typed_data_set_in_cbsodata_layout(fetched_once):
    cache, feed, records = fetched_once
    assert [record["key"] for record in records] == list(cbs.DEFAULT_TABLES)
    assert {record["status"] for record in records} == {"fetched"}
    by_key = {record["key"]: record for record in records}
    # "Gebieden in Nederland" is found by title in the catalog: the feed's 2024 edition.
    assert by_key["gebieden"]["table"] == "85755NED"
    # The wijk and buurt tables are part of the default fetch.
    assert by_key["wijkbuurt_jaar"]["table"] == "47018NED"
    assert by_key["wijkbuurt_maand"]["table"] == "47022NED"
    assert by_key["kerncijfers_wijkbuurt"]["table"] == FEED_KERNCIJFERS_EDITIONS[2018]
    for table_id in CORE:
        files = sorted(path.name for path in (cache / table_id).iterdir())
        assert "TypedDataSet.json" in files and "UntypedDataSet.json" not in files
        assert {"TableInfos.json", "DataProperties.json", "Perioden.json", "fetch.json"} <= set(
            files
        )
        assert not feed.data_requests(table_id, "UntypedDataSet")
    # Paging: 47018NED's filtered rows span several pages, every page carrying the query on (the
    # municipal download's pages; the wijk and buurt download filters on startswith).
    pages = [page for page in feed.data_requests("47018NED") if "startswith" not in page["$filter"]]
    assert len(pages) >= 2
    assert all(page["$filter"] == pages[0]["$filter"] for page in pages)
    assert [page.get("$skiptoken") for page in pages][:2] == [None, "1000"]
    rows = json.loads((cache / "47018NED" / "TypedDataSet.json").read_text())
    assert len(rows) == records[0]["rows"] > 1000
    # $select: only the dimensions and the topic the suite reads; $filter: municipalities, NL00,
    # years and the needed offence codes, on CBS's padded keys.
    assert set(rows[0]) == {
        "SoortMisdrijf",
        "WijkenEnBuurten",
        "Perioden",
        "GeregistreerdeMisdrijven_1",
    }
    regions = {row["WijkenEnBuurten"] for row in rows}
    assert "NL00      " in regions and "GM0344    " in regions
    assert not [key for key in regions if key.startswith(("WK", "BU"))]
    offences = {row["SoortMisdrijf"].strip() for row in rows}
    assert offences == set(cbs.needed_offence_codes()) & offences
    assert "1.1.1" in offences and "1.3.1" not in offences and "2.1.1" not in offences
    assert isinstance(rows[0]["GeregistreerdeMisdrijven_1"], int)
    record = json.loads((cache / "47018NED" / "fetch.json").read_text())
    assert record["catalog"] == feed.url and record["data_set"] == "TypedDataSet"
    assert "RVS.GEWELD" in record["offences_not_in_table"]
    population = json.loads((cache / "70072ned" / "fetch.json").read_text())
    assert population["topics"] == {
        "population_average": "GemiddeldAantalInwoners_51",
        "population_january": "TotaleBevolking_1",
    }


def test_fetched_cache_reads_as_the_cbs_source(fetched_once):
    cache, _feed, _records = fetched_once
    dataset = load_source("cbs", cache=str(cache))
    assert dataset.years == [2013, 2014, 2015, 2016, 2017, 2018]
    assert dataset.provenance["provisional_years"] == [2018]
    assert dataset.crime_boundary_year == 2024
    assert dataset.crime.loc[dataset.crime["year"] == 2018, "provisional"].all()
    # Average population where CBS has it (the feed serves 1 January + 75), 1 January in 2018.
    served = {
        (row["RegioS"].strip(), int(row["Perioden"][:4])): row
        for row in json.loads((cache / "70072ned" / "TypedDataSet.json").read_text())
    }
    population = dataset.population.set_index(["gemeente_code", "year"])["population"]
    assert population[("GM0344", 2017)] == served[("GM0344", 2017)]["TotaleBevolking_1"] + 75
    assert served[("GM0344", 2018)]["GemiddeldAantalInwoners_51"] is None
    assert population[("GM0344", 2018)] == served[("GM0344", 2018)]["TotaleBevolking_1"]
    basis = dataset.provenance["population_basis"]
    assert basis["topic"] == "Gemiddeld aantal inwoners" and basis["fallback_years"] == [2018]
    assert basis["fallback"].startswith("Totale bevolking")
    assert basis["fallback_rows"] == (population.index.get_level_values("year") == 2018).sum()
    # Optional tables become the optional frames.
    assert set(dataset.monthly["month"]) == set(range(1, 13))
    assert set(dataset.cleared["offence_code"]) == {"T001161", "CRI1000", "CRI1100", "CRI3000"}
    estimates = dataset.survey_estimates
    assert {"NL01", "RE09", "GM0344"} <= set(estimates["area_code"])
    assert set(estimates["indicator"]) == {"feels_unsafe", "youth_nuisance"}
    assert set(estimates["year"]) == {2015, 2016, 2017, 2019, 2021, 2023}
    assert (estimates.loc[estimates["area_code"] == "GM0344", "margin"] == 3.0).all()


def test_rvs_fetch_and_rvs_table_with_a_provisional_column(tmp_path, feed, capsys):
    cache = tmp_path / "raw"
    status, out, err = run_cli(
        ["fetch", "--catalog", feed.url, "--cache", str(cache), "--tables", *CORE], capsys
    )
    assert status == 0, err
    assert "4 table(s) stored" in out and "47018NED" in out
    status, out, err = run_cli(
        ["table", "--source", "cbs", "--cache", str(cache), "--offence", "1.1.1",
         "--level", "district", "--boundaries", "2024", "--rate"],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert list(table.columns)[-1] == "provisional"
    assert set(table.loc[table["provisional"], "year"]) == {2018}
    assert not table.loc[table["year"] < 2018, "provisional"].any()
    assert len(table["area"].unique()) == 5


def test_the_installed_client_writes_untyped_data_when_asked_for_typed(tmp_path, feed):
    # cbsodata 1.3.5 (J535D165/cbsodata#20): download_data(typed=True) drops the TypedDataSet from
    # its list and downloads the UntypedDataSet; get_data(typed=True) returns untyped text with
    # dimension titles. The fetch therefore checks what the client wrote.
    import cbsodata

    host = feed.url.removeprefix("http://")
    cbsodata.options.use_https = False
    try:
        cbsodata.download_data(
            "83648NED", dir=str(tmp_path / "typed"), typed=True, catalog_url=host
        )
        rows = cbsodata.get_data(
            "70072ned", typed=True, catalog_url=host, select=["RegioS", "TotaleBevolking_1"]
        )
    finally:
        cbsodata.options.use_https = True
    written = {path.name for path in (tmp_path / "typed").iterdir()}
    assert "UntypedDataSet.json" in written and "TypedDataSet.json" not in written
    assert isinstance(rows[0]["TotaleBevolking_1"], str) and rows[0]["RegioS"] == "Nederland"


def test_a_cut_off_response_leaves_the_cache_as_it_was(fetched):
    cache, feed, _records = fetched
    before = snapshot(cache)
    feed.break_on = lambda path, query: path.endswith("70072ned/TypedDataSet")
    with pytest.raises(FetchError) as caught:
        cbs.fetch(CORE, cache=cache, catalog=feed.url, timeout=30)
    assert "70072ned" in str(caught.value) and "left as it was" in str(caught.value)
    # 47018NED was complete before the cut, but nothing moves in unless every table is complete.
    assert snapshot(cache) == before
    assert leftovers(cache) == []


def test_an_interrupted_fetch_leaves_no_partial_folder(tmp_path, fetched):
    cache, feed, _records = fetched
    before = snapshot(cache)
    # interrupt_main() does nothing while SIGINT is ignored or at its default, which a library
    # run earlier in the same test process may have left behind: Ctrl-C's usual handler here.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)

    def interrupt(path, query):
        if path.endswith("83648NED/TypedDataSet"):
            _thread.interrupt_main()

    feed.on_request = interrupt
    try:
        with pytest.raises(KeyboardInterrupt):
            cbs.fetch(CORE, cache=cache, catalog=feed.url, timeout=30)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert snapshot(cache) == before
    assert leftovers(cache) == []


def test_a_drip_feeding_server_fails_the_fetch_at_the_stall_limit(tmp_path, feed):
    feed.drip_seconds = 0.2  # one byte every 0.2 s: never silent long enough for a read timeout
    started = time.perf_counter()
    with pytest.raises(FetchError) as caught:
        cbs.fetch(["70072ned"], cache=tmp_path / "raw", catalog=feed.url, timeout=60, stall=1.5)
    elapsed = time.perf_counter() - started
    assert 1.4 < elapsed < 5
    assert "no progress for 1.5 s" in str(caught.value)
    assert not (tmp_path / "raw" / "70072ned").exists() and leftovers(tmp_path / "raw") == []


def test_the_overall_limit_stops_a_fetch_that_keeps_making_a_little_progress(tmp_path, feed):
    feed.drip_seconds = 0.0005  # ~2 kB/s: progress by the stall rule, but slow
    started = time.perf_counter()
    with pytest.raises(FetchError) as caught:
        cbs.fetch(["47018NED"], cache=tmp_path / "raw", catalog=feed.url, timeout=2, stall=30)
    assert time.perf_counter() - started < 6
    assert "longer than its limit of 2 s" in str(caught.value)


def test_an_unreachable_catalog_fails_within_30_seconds_with_one_paragraph(tmp_path, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    started = time.perf_counter()
    status, _out, err = run_cli(
        ["fetch", "--catalog", f"http://127.0.0.1:{closed_port}", "--cache", str(tmp_path / "raw")],
        capsys,
    )
    assert time.perf_counter() - started < 30
    assert status == 4
    assert_one_paragraph(err)
    assert f"http://127.0.0.1:{closed_port}" in err and "47018NED" in err
    assert list((tmp_path / "raw").iterdir()) == []


def test_a_silent_server_fails_at_the_stall_limit(tmp_path):
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        started = time.perf_counter()
        with pytest.raises(FetchError, match="no progress for 1 s"):
            cbs.fetch(
                ["70072ned"],
                cache=tmp_path / "raw",
                catalog=f"http://127.0.0.1:{silent.getsockname()[1]}",
                stall=1,
            )
        assert time.perf_counter() - started < 4


def test_probe_and_download_use_the_same_proxy_settings(tmp_path, feed, monkeypatch):
    # Only the upper-case variable is set (cbsodata itself reads only http_proxy/https_proxy): the
    # probe and every request go to the proxy, here a second feed that answers absolute URLs.
    for name in ("http_proxy", "https_proxy", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", feed.url)
    records = cbs.fetch(["70072ned"], cache=tmp_path / "raw", catalog="http://cbs.mirror.invalid")
    assert records[0]["rows"] > 0 and feed.data_requests("70072ned")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert cbs_fetch.proxies_for(cbs_fetch.Catalog.parse("opendata.cbs.nl"))["https"] == (
        "http://proxy.example:3128"
    )
    monkeypatch.setenv("https_proxy", "http://lower.example:8080")
    assert cbs_fetch.proxies_for(cbs_fetch.Catalog.parse("opendata.cbs.nl"))["https"] == (
        "http://lower.example:8080"
    )


def test_a_required_table_unknown_on_the_host_is_one_clear_error(tmp_path, feed):
    del feed.tables["70072ned"]
    with pytest.raises(FetchError, match="70072ned") as caught:
        cbs.fetch(["83648NED", "70072ned"], cache=tmp_path / "raw", catalog=feed.url)
    assert "404" in str(caught.value)
    assert list((tmp_path / "raw").iterdir()) == []


@pytest.mark.parametrize(
    ("file", "content", "problem"),
    [
        ("47018NED/fetch.json", "[]", "expected a JSON object, found a list"),
        ("47018NED/DataProperties.json", '"x"', "expected a list of records, found a string"),
        ("70072ned/TypedDataSet.json", "null", "expected a list of records, found null"),
        ("47018NED/Perioden.json", "[1, 2]", "expected a record, found a number"),
        ("70072ned/DataProperties.json", "[]", "required field is missing"),
    ],
)
def test_a_damaged_cache_gives_one_clear_error(cbs_cache, capsys, file, content, problem):
    (cbs_cache / file).write_text(content)
    status, _out, err = run_cli(
        ["table", "--source", "cbs", "--cache", str(cbs_cache), "--offence", "1.1.1",
         "--level", "region"],
        capsys,
    )  # fmt: skip
    assert status == 2
    assert_one_paragraph(err)
    assert file in err and problem in err


def test_filter_semantics_of_the_feed_follow_cbs():
    row = {"RegioS": "GM0344    ", "Perioden": "2016JJ00", "SoortMisdrijf": "1.1.1 "}
    columns = list(row)
    assert compile_filter("RegioS eq 'GM0344    '", columns)(row)
    assert not compile_filter("RegioS eq 'GM0344'", columns)(row)  # keys are compared padded
    assert compile_filter(
        "(substringof('GM',RegioS) or substringof('NL',RegioS)) and substringof('JJ',Perioden)",
        columns,
    )(row)
    assert compile_filter("not startswith(RegioS,'NL') and SoortMisdrijf ne '0.0.0 '", columns)(row)
    with pytest.raises(ValueError, match="No property"):
        compile_filter("Regio eq 'x'", columns)


def test_no_staging_folder_of_a_killed_fetch_survives_the_next_one(tmp_path, feed):
    cache = tmp_path / "raw"
    cache.mkdir()
    stale = tmp_path / f".raw{cbs_fetch._STAGING_MARK}999999999-1"
    (stale / "70072ned").mkdir(parents=True)
    alive = tmp_path / f".raw{cbs_fetch._STAGING_MARK}{os.getpid()}-1"
    alive.mkdir()
    cbs.fetch(["70072ned"], cache=cache, catalog=feed.url)
    assert not stale.exists() and alive.exists()  # a running process's folder is left alone
