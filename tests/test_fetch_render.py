"""End to end on CBS's protocol: ``rvs fetch --catalog`` from the loopback feed (real cbsodata client),
then ``rvs render --source cbs`` of the four reports for the region and its five districts.

The crime change and strategy monitor reports must render for every area; the clearance and pilot
reports may skip (open data have no burglary clearance per municipality and no survey microdata), with
their reason; none may fail.
"""

from __future__ import annotations

import json

import pytest
from cbs_feed import CbsFeed

from rvs_analysis.cli import main

REPORTS = ("crime_change", "strategy_monitor")
MAY_SKIP = ("burglary_clearance_drivers", "onveiligheidsbeleving_proeftuinen")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("fetch_render")
    cache = root / "raw"
    with CbsFeed(page_size=1000) as feed:
        assert main(["fetch", "--catalog", feed.url, "--cache", str(cache)]) == 0
    out = root / "outputs"
    status = main(
        ["render", "--source", "cbs", "--cache", str(cache), "--out", str(out),
         "--notebooks", ",".join(REPORTS + MAY_SKIP), "--jobs", "2", "--progress", "lines"]
    )  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return status, manifest, out


@pytest.mark.slow
def test_fetched_cache_renders_for_the_region_and_every_district(rendered):
    status, manifest, out = rendered
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
        if name in REPORTS:
            assert report["status"] == "ok", report
            html = (out / report["html"]).read_text(encoding="utf-8")
            assert "47018NED" in html and "70072ned" in html
        else:
            assert report["status"] in ("ok", "skipped"), report
            if report["status"] == "skipped":  # the manifest keeps a skip's reason as its error
                assert "niet beschikbaar" in report["error"], report
