"""``rvs fetch`` against the loopback feed (tests/cbs_feed.py) with faults injected, per table.

Each fault is injected in the feed's answers (``CbsFeed.rewrite``, ``break_on``, a missing table);
the real cbsodata client downloads unchanged. What is checked: a table is refused before it is
swapped into the cache (no rows, no topic column, keys of the wrong shape, implausibly many rows,
malformed answers, a redirect to another host), an optional table that is missing or keeps failing
is reported while the cache keeps its earlier copy, a required one leaves the whole cache as it was,
an edition table is found by title in the catalog, and a cache folder that is a link to another
file system can be fetched.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import uuid
from pathlib import Path

import pytest
from cbs_feed import CbsFeed, areas_table

from rvs_analysis.cli import main
from rvs_analysis.exceptions import FetchError
from rvs_analysis.sources import cbs, cbs_fetch, load_source

TABLE = ["table", "--source", "cbs", "--offence", "1.1.1", "--level", "region"]


def run_cli(argv, capsys):
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_paragraph(text: str) -> None:
    assert text.strip() and "\n\n" not in text.strip() and "Traceback" not in text


def snapshot(folder: Path) -> dict:
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def leftovers(cache: Path) -> list[str]:
    inside = [path.name for path in cache.iterdir() if path.name.startswith(".")]
    beside = [path.name for path in cache.parent.iterdir() if cbs_fetch._STAGING_MARK in path.name]
    return inside + beside


@pytest.fixture(scope="module")
def fetched_once(fetched_cache):
    """The run's one fetch from the standard feed (``conftest.fetched_feed``; read-only)."""
    return fetched_cache


@pytest.fixture
def cache(tmp_path, fetched_once):
    """A writable copy of a complete fetched cache whose tables say they were retrieved long ago."""
    target = tmp_path / "raw"
    shutil.copytree(fetched_once, target)
    for record_path in target.glob("*/fetch.json"):
        record = json.loads(record_path.read_text())
        record["retrieved"] = "2020-01-02T03:04:05+00:00"
        record_path.write_text(json.dumps(record))
    return target


@pytest.fixture
def feed():
    with CbsFeed(page_size=1000) as running:
        yield running


def on_part(table_id, part, change):
    """A ``rewrite`` that changes the answer for one part of one table with ``change(body)``."""

    def rewrite(base, path, query, status, body):
        if path == f"/ODataFeed/odata/{table_id}/{part}":
            return change(body)
        return status, body

    return rewrite


def rows_of(change):
    """``change`` applied to the rows (``value``) of an answer."""

    def apply(body):
        return 200, {**body, "value": change(body["value"])}

    return apply


# --- a table is checked before the swap --------------------------------------------------------


REQUIRED_FAULTS = {
    "no rows": (
        "47018NED",
        "TypedDataSet",
        rows_of(lambda rows: []),
        "47018NED/TypedDataSet.json: the table has no rows",
    ),
    "no topic column": (
        "70072ned",
        "TypedDataSet",
        rows_of(lambda rows: [{k: v for k, v in row.items() if k != "TotaleBevolking_1"} for row in rows]),
        "column 'TotaleBevolking_1': the topic 'Totale bevolking' the suite reads has no column",
    ),
    "topic without values": (
        "70072ned",
        "TypedDataSet",
        rows_of(lambda rows: [{**row, "TotaleBevolking_1": None} for row in rows]),
        "the topic the suite reads has no value in any row",
    ),
    "wards and neighbourhoods (the $filter ignored)": (
        "47018NED",
        "TypedDataSet",
        rows_of(lambda rows: [*rows, {**rows[0], "WijkenEnBuurten": "WK034401  "}]),
        "column 'WijkenEnBuurten', row 1001: expected a region key of the kind asked for "
        "(value: 'WK034401')",
    ),
    "a region key that is a number": (
        "70072ned",
        "TypedDataSet",
        rows_of(lambda rows: [{**row, "RegioS": 344} for row in rows]),
        "column 'RegioS', row 1: expected a dimension key (text), found a number",
    ),
    "months in a yearly table": (
        "70072ned",
        "TypedDataSet",
        rows_of(lambda rows: [{**row, "Perioden": row["Perioden"].replace("JJ00", "MM01")} for row in rows]),
        "key not in the dimension list Perioden.json",
    ),
    "rows sent twice (implausibly many rows)": (
        "70072ned",
        "TypedDataSet",
        rows_of(lambda rows: rows + rows),
        "implausibly many rows",
    ),
    "DataProperties as a list of numbers": (
        "47018NED",
        "DataProperties",
        lambda body: (200, {**body, "value": [1, 2, 3]}),
        "47018NED/DataProperties.json: the server's answer is not a list of records",
    ),
    "deeply nested JSON": (
        "70072ned",
        "DataProperties",
        lambda body: (200, b'{"value": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"),
        "is not OData as CBS serves it (RecursionError",
    ),
    "a Perioden Status that is not text": (
        "47018NED",
        "Perioden",
        rows_of(lambda rows: [{**row, "Status": 1} for row in rows]),
        "47018NED/Perioden.json, column 'Status', row 1: expected text or null, found a number",
    ),
    "no Perioden list": (
        "70072ned",
        "",
        lambda body: (200, {**body, "value": [p for p in body["value"] if p["name"] != "Perioden"]}),
        "70072ned/Perioden.json: the server did not send this part",
    ),
}  # fmt: skip


@pytest.mark.parametrize("fault", list(REQUIRED_FAULTS))
def test_a_required_table_of_the_wrong_shape_is_refused_and_the_cache_kept(
    fault, cache, feed, capsys
):
    table_id, part, change, problem = REQUIRED_FAULTS[fault]
    before = snapshot(cache)
    feed.rewrite = on_part(table_id, part, change)
    status, _out, err = run_cli(
        ["fetch", "--catalog", feed.url, "--cache", str(cache), "--tables", "47018NED", "70072ned",
         "83648NED"],
        capsys,
    )  # fmt: skip
    assert status == 4
    assert_one_paragraph(err)
    assert f"CBS table {table_id}" in err and problem in err and "left as it was" in err
    assert snapshot(cache) == before and leftovers(cache) == []
    # ... and the cache still reads.
    status, _out, err = run_cli([*TABLE, "--cache", str(cache)], capsys)
    assert status == 0, err


def test_a_server_whose_pages_never_end_is_refused_at_the_request_bound(cache, feed, monkeypatch):
    monkeypatch.setattr(cbs_fetch, "MAX_REQUESTS", 25)
    before = snapshot(cache)

    def loop(base, path, query, status, body):
        if path.endswith("70072ned/TypedDataSet"):
            again = f"{base}{path}?$format=json&$skiptoken=0"
            return status, {**body, "odata.nextLink": again}
        return status, body

    feed.rewrite = loop
    with pytest.raises(FetchError, match="more than 25 requests") as caught:
        cbs.fetch(["70072ned"], cache=cache, catalog=feed.url, timeout=60)
    assert "implausibly many rows" in str(caught.value)
    assert snapshot(cache) == before


def test_a_redirect_to_another_host_is_refused(cache, feed):
    before = snapshot(cache)
    with CbsFeed(page_size=1000) as elsewhere:
        other = elsewhere.url.replace("127.0.0.1", "localhost")

        def redirect(base, path, query, status, body):
            if path.endswith("70072ned/DataProperties"):
                return 302, b"", {"Location": f"{other}{path}?$format=json"}
            return status, body

        feed.rewrite = redirect
        with pytest.raises(FetchError) as caught:
            cbs.fetch(["70072ned"], cache=cache, catalog=feed.url, timeout=60)
        assert not elsewhere.requests  # never reached
    message = str(caught.value)
    assert "another host" in message and other in message and "70072ned" in message
    assert snapshot(cache) == before


# --- per table: optional tables degrade, required ones keep the whole cache ---------------------


def test_an_optional_table_missing_on_the_host_is_reported_and_its_old_copy_kept(
    cache, feed, capsys
):
    del feed.tables["47022NED"]
    old_monthly = snapshot(cache / "47022NED")
    status, out, err = run_cli(
        ["fetch", "--catalog", feed.url, "--cache", str(cache), "--tables", "47018NED", "70072ned",
         "47022NED"],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    line = next(line for line in out.splitlines() if line.startswith("47022NED"))
    assert "NOT FETCHED" in line and "404 Not Found" in line
    assert "keeps its copy of 47022NED retrieved 2020-01-02T03:04:05+00:00" in line
    assert "2 table(s) stored" in out and "1 optional table(s) not fetched" in out
    assert_one_paragraph(err)
    assert "47022NED" in err
    assert snapshot(cache / "47022NED") == old_monthly
    # The required tables were swapped in with today's date; the monthly table keeps its own.
    dataset = load_source("cbs", cache=str(cache))
    retrieved = dataset.provenance["retrieved"]
    assert retrieved["47022NED"] == "2020-01-02T03:04:05+00:00"
    assert retrieved["47018NED"] > "2025" and retrieved["70072ned"] > "2025"
    assert dataset.monthly is not None and leftovers(cache) == []


def test_an_optional_table_that_keeps_failing_is_retried_then_reported(cache, feed):
    feed.break_on = lambda path, query: path.endswith("83648NED/TypedDataSet")
    records = cbs.fetch(["47018NED", "83648NED"], cache=cache, catalog=feed.url, timeout=60)
    by_key = {record["key"]: record for record in records}
    assert by_key["47018NED"]["status"] == "fetched"
    failed = by_key["83648NED"]
    assert failed["status"] == "not fetched" and failed["kind"] == "failed"
    assert failed["kept"]["retrieved"] == "2020-01-02T03:04:05+00:00"
    assert len(feed.data_requests("83648NED")) == cbs_fetch.ATTEMPTS == 2
    cleared = json.loads((cache / "83648NED" / "fetch.json").read_text())
    assert cleared["retrieved"] == "2020-01-02T03:04:05+00:00"


def test_an_optional_table_refused_by_the_check_is_reported_and_not_swapped(cache, feed):
    feed.rewrite = on_part("85146NED", "TypedDataSet", rows_of(lambda rows: []))
    before = snapshot(cache / "85146NED")
    records = cbs.fetch(["70072ned", "85146NED"], cache=cache, catalog=feed.url, timeout=60)
    refused = records[1]
    assert refused["status"] == "not fetched" and refused["kind"] == "refused"
    assert "85146NED/TypedDataSet.json: the table has no rows" in refused["reason"]
    assert snapshot(cache / "85146NED") == before


def test_a_required_table_that_keeps_failing_leaves_every_table_as_it_was(cache, feed):
    before = snapshot(cache)
    feed.break_on = lambda path, query: path.endswith("70072ned/TypedDataSet")
    with pytest.raises(FetchError, match="70072ned") as caught:
        cbs.fetch(["83648NED", "47018NED", "70072ned"], cache=cache, catalog=feed.url, timeout=60)
    assert "left as it was" in str(caught.value)
    assert len(feed.data_requests("70072ned")) == 2  # retried once
    assert snapshot(cache) == before and leftovers(cache) == []


# --- tables with editions are found by title in the catalog -------------------------------------


def edition(table_id: str, year: int):
    return dataclasses.replace(
        areas_table(), table_id=table_id, title=f"Gebieden in Nederland {year}"
    )


def test_the_newest_edition_not_later_than_the_data_is_found_by_title(tmp_path, feed):
    del feed.tables["85755NED"]
    for table_id, year in (("84929NED", 2021), ("85385NED", 2023), ("85999NED", 2024),
                           ("86111NED", 2025)):  # fmt: skip
        feed.tables[table_id] = edition(table_id, year)
    cache = tmp_path / "raw"
    records = cbs.fetch(["47018NED", "70072ned", "gebieden"], cache=cache, catalog=feed.url)
    found = records[-1]
    # The crime table is on the 2024 boundaries: 2025's edition is later than the data.
    assert found["table"] == "85999NED" and found["edition"] == 2024
    assert found["title"] == "Gebieden in Nederland 2024" and found["boundary_year"] == 2024
    assert found["editions"] == {"2021": "84929NED", "2023": "85385NED", "2024": "85999NED",
                                 "2025": "86111NED"}  # fmt: skip
    # The catalog is asked only for the editions, not for its thousands of tables.
    listings = [query for path, query in feed.requests if path == "/ODataCatalog/Tables"]
    assert listings == [{"$format": "json",
                         "$filter": "substringof('Gebieden in Nederland',Title)"}]  # fmt: skip
    assert feed.data_requests("85999NED", "TypedDataSet")
    assert not feed.data_requests("86111NED", "TypedDataSet")
    record = json.loads((cache / "gebieden" / "fetch.json").read_text())
    assert record["table"] == "85999NED"
    dataset = load_source("cbs", cache=str(cache))
    assert dataset.provenance["police_units"]["GM0344"] == "RE09"


def test_an_older_edition_is_taken_when_the_data_year_has_none(tmp_path, feed):
    del feed.tables["85755NED"]
    feed.tables["85385NED"] = edition("85385NED", 2023)
    feed.tables["86111NED"] = edition("86111NED", 2025)
    records = cbs.fetch(["47018NED", "gebieden"], cache=tmp_path / "raw", catalog=feed.url)
    assert records[-1]["table"] == "85385NED"


def test_no_edition_up_to_the_data_year_is_reported_for_the_optional_table(tmp_path, feed):
    del feed.tables["85755NED"]
    feed.tables["86111NED"] = edition("86111NED", 2025)
    records = cbs.fetch(["47018NED", "gebieden"], cache=tmp_path / "raw", catalog=feed.url)
    assert records[0]["status"] == "fetched"
    missed = records[-1]
    assert missed["status"] == "not fetched" and missed["kept"] is None
    assert "'Gebieden in Nederland <year>' only for 2025" in missed["reason"]
    assert "boundary year 2024" in missed["reason"]
    assert not (tmp_path / "raw" / "gebieden").exists()


# --- the cache folder ----------------------------------------------------------------------------


def test_a_cache_that_links_to_another_file_system_can_be_fetched(tmp_path, feed):
    elsewhere_root = Path("/dev/shm")
    if not (elsewhere_root.is_dir() and os.access(elsewhere_root, os.W_OK)):
        pytest.skip("no writable /dev/shm")
    elsewhere = elsewhere_root / f"rvs-fetch-test-{uuid.uuid4().hex}"
    elsewhere.mkdir()
    try:
        if elsewhere.stat().st_dev == tmp_path.stat().st_dev:
            pytest.skip("/dev/shm is on the same file system as the test's folder")
        link = tmp_path / "raw"
        link.symlink_to(elsewhere, target_is_directory=True)
        records = cbs.fetch(["70072ned", "47018NED"], cache=link, catalog=feed.url)
        assert [record["status"] for record in records] == ["fetched", "fetched"]
        assert (elsewhere / "70072ned" / "TypedDataSet.json").is_file() and link.is_symlink()
        assert sorted(path.name for path in elsewhere.iterdir()) == ["47018NED", "70072ned"]
        assert [path.name for path in tmp_path.iterdir()] == ["raw"]
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)


# --- a malformed cache is one paragraph ------------------------------------------------------------


def nested(text: str) -> str:
    return "[" * 100_000 + "]" * 100_000


def drop_topic(text: str) -> str:
    return json.dumps([
        {key: value for key, value in row.items() if key != "GeregistreerdeMisdrijven_1"}
        for row in json.loads(text)
    ])  # fmt: skip


def status_number(text: str) -> str:
    return json.dumps([{**row, "Status": 2} for row in json.loads(text)])


@pytest.mark.parametrize(
    ("file", "change", "problem"),
    [
        ("47018NED/TypedDataSet.json", drop_topic,
         "column 'GeregistreerdeMisdrijven_1': the topic 'Geregistreerde misdrijven' the suite "
         "reads has no column in the data set"),
        ("70072ned/DataProperties.json", lambda text: "[1, 2, 3]",
         "row 1: expected a record, found a number"),
        ("70072ned/TypedDataSet.json", nested, "JSON nested too deeply"),
        ("47018NED/Perioden.json", status_number,
         "column 'Status', row 1: expected text or null, found a number"),
        ("47018NED/Perioden.json", None, "Perioden.json is missing"),
        ("70072ned/DataProperties.json", None, "DataProperties.json is missing"),
        ("47018NED/TypedDataSet.json", lambda text: "[]", "the table has no rows"),
    ],
)  # fmt: skip
def test_a_malformed_cache_is_one_paragraph(cbs_cache, capsys, file, change, problem):
    path = cbs_cache / file
    if change is None:
        path.unlink()
    else:
        path.write_text(change(path.read_text()))
    status, _out, err = run_cli([*TABLE, "--cache", str(cbs_cache)], capsys)
    assert status in (2, 3)
    assert_one_paragraph(err)
    assert problem in err and file.split("/")[0] in err


# --- provenance per table, and the tables each figure names ----------------------------------------


def test_provenance_names_each_table_with_title_api_catalog_and_both_dates(cache):
    dataset = load_source("cbs", cache=str(cache))
    tables = dataset.provenance["tables"]
    # the wijk and buurt rows of 47018NED/47022NED are the same tables; 84286NED is the
    # Kerncijfers wijken en buurten edition the default fetch adds
    assert set(tables) == {"47018NED", "47022NED", "70072ned", "83648NED", "81877NED",
                           "84286NED", "85146NED", "85755NED"}  # fmt: skip
    areas = tables["85755NED"]
    assert areas["key"] == "gebieden" and areas["title"] == "Gebieden in Nederland 2024"
    assert areas["api"] == "OData v3 Feed" and areas["cbs_catalog"] == "CBS"
    assert areas["catalog"].startswith("http://127.0.0.1:") and areas["edition"] == 2024
    assert areas["modified"] == "2026-10-15T02:00:00"
    assert areas["retrieved"] == "2020-01-02T03:04:05+00:00"
    assert dataset.provenance["roles"]["gebieden"] == "85755NED"
    from rvs_analysis.report.context import table_lines

    line = next(line for line in table_lines(dataset.provenance) if line.startswith("85755NED"))
    assert line.startswith("85755NED 'Gebieden in Nederland 2024' (OData v3 Feed, catalogus CBS, ")
    assert line.endswith("door het CBS gewijzigd op 15 oktober 2026, opgehaald op 2 januari 2020")


def test_a_cache_fetched_before_the_records_falls_back_to_table_infos(cbs_cache):
    # The hand-made cache's fetch.json has neither title nor API nor CBS's date: TableInfos.json does.
    tables = load_source("cbs", cache=str(cbs_cache)).provenance["tables"]
    crime = tables["47018NED"]
    infos = json.loads((cbs_cache / "47018NED" / "TableInfos.json").read_text())[0]
    assert crime["title"] == infos["Title"] and crime["modified"] == infos["Modified"]
    assert crime["api"] == "OData v3 Feed" and crime["retrieved"] == "2026-11-01T09:00:00+00:00"


def test_each_figure_names_only_the_tables_it_reads(cache):
    from rvs_analysis import report
    from rvs_analysis.report.chapters import crime_change

    ctx = report.start("Midden-Nederland", source="cbs", cache=str(cache))
    everything = ctx.source_label
    assert everything.count("NED") + everything.count("ned") == 8  # with the Kerncijfers edition
    totals = crime_change.crime_totals(ctx)
    assert totals.source_label == "CBS StatLine 47018NED"
    assert totals.rates_source_label == "CBS StatLine 47018NED, 70072ned"
    assert ctx.source_for("81877NED", "85146NED") == "CBS StatLine 81877NED, 85146NED"
    assert ctx.source_for("gebieden") == "CBS StatLine 85755NED"
    assert crime_change.monthly_burglary(ctx).source_label == "CBS StatLine 47022NED"


def test_a_cache_of_an_earlier_version_keeps_its_police_units_until_the_next_fetch(cache):
    (cache / "gebieden").rename(cache / "85755NED")  # where earlier versions stored the table
    dataset = load_source("cbs", cache=str(cache))
    assert dataset.provenance["police_units"]["GM0344"] == "RE09"
    assert "85755NED/TypedDataSet.json" in " ".join(dataset.provenance["files"])


def test_a_host_without_a_catalog_listing_reports_the_edition_table(tmp_path, feed):
    def no_catalog(base, path, query, status, body):
        if path.startswith("/ODataCatalog"):
            return 404, {"odata.error": {"message": {"value": "Resource not found"}}}
        return status, body

    feed.rewrite = no_catalog
    records = cbs.fetch(["47018NED", "gebieden"], cache=tmp_path / "raw", catalog=feed.url)
    assert records[0]["status"] == "fetched" and records[1]["status"] == "not fetched"
    assert "has no table list (/ODataCatalog/Tables: 404 Not Found)" in records[1]["reason"]
