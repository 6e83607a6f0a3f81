"""End to end on CBS's protocol: the default tables fetched from the loopback feed (real cbsodata
client; the run's one fetch, ``conftest.fetched_feed``), then ``rvs render --source cbs`` of every
registered report for the region and its five districts.

Every report renders for every area, none skipped (but the wijk and buurt report while the default
fetch does not download its tables): on open data the clearance report shows the
clearance of the offence group that contains burglary (83648NED) and the pilot report CBS's published
estimates with their margins (81877NED, 85146NED); each names the open tables it used (its chapter
module's ``TABLES``) and what they cannot show.
"""

from __future__ import annotations

import json
import re

import pytest

from rvs_analysis.cli import main
from rvs_analysis.report.registry import report_specs, spec_for

SPECS = report_specs()


@pytest.fixture(scope="module")
def rendered(fetched_feed, tmp_path_factory):
    """The run's fetched cache (``conftest.fetched_feed``: every default table from the loopback
    feed), rendered by ``rvs render --source cbs``: (status, manifest, output folder, cache)."""
    cache = fetched_feed.cache
    out = tmp_path_factory.mktemp("fetch_render") / "outputs"
    status = main(
        ["render", "--source", "cbs", "--cache", str(cache), "--out", str(out),
         "--notebooks", ",".join(str(spec.path) for spec in SPECS), "--jobs", "2",
         "--progress", "lines"]
    )  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return status, manifest, out, cache


@pytest.mark.slow
def test_fetched_cache_renders_for_the_region_and_every_district(rendered):
    status, manifest, out, cache = rendered
    reports = manifest["reports"]
    failed = [
        (report["area"], report["notebook"], report["error"])
        for report in reports
        if report["status"] == "failed"
    ]
    assert status == 0 and not failed, failed
    areas = {report["area"] for report in reports}
    assert areas == {
        "Midden-Nederland",
        "Flevoland",
        "Gooi en Vechtstreek",
        "Stad Utrecht",
        "West-Utrecht",
        "Oost-Utrecht",
    }
    for report in reports:
        name = report["notebook"].rsplit("/", 1)[-1].removesuffix(".ipynb")
        if "neighbourhoods" in spec_for(name).requires and not (cache / "wijkbuurt_jaar").is_dir():
            # a cache without the wijk and buurt tables: skipped, in Dutch
            assert report["status"] == "skipped", report
            assert "niet beschikbaar voor deze bron" in report["error"], report
            continue
        if "neighbourhoods" in spec_for(name).requires and report["area"] not in WITH_BUURTEN:
            # the feed's wijk and buurt rows are Utrecht's and Amersfoort's only: skipped, in Dutch
            assert report["status"] == "skipped" and "buurt" in report["error"], report
            continue
        assert report["status"] == "ok", report
        html = (out / report["html"]).read_text(encoding="utf-8")
        # The methods block names every table with its API, catalog and both dates.
        assert "Tabel 47018NED 'Geregistreerde misdrijven" in html.replace("&#x27;", "'")
        assert "(OData v3 Feed, catalogus DATADERDEN, " in html
        assert "Gebieden in Nederland 2024" in html and "opgehaald op" in html
        # The source line names every fetched table the report reads (its chapter's TABLES).
        used = re.search(r"Open CBS-tabellen gebruikt: [^<]*", html)
        assert used, name
        fetched = [_fetched_table(cache, key) for key in spec_for(name).tables]
        assert [table for table in fetched if table and table not in used.group()] == [], name
        assert any(fetched), name


WITH_BUURTEN = {"Midden-Nederland", "Stad Utrecht", "Oost-Utrecht"}
"""The areas with wijk and buurt rows in the loopback feed (Utrecht, Amersfoort)."""


def _fetched_table(cache, key):
    """The CBS identifier the cache's table ``key`` was fetched under (None if not fetched)."""
    record = cache / key / "fetch.json"
    return json.loads(record.read_text(encoding="utf-8"))["table"] if record.exists() else None
