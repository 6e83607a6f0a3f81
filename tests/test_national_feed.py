"""The whole country end to end on CBS's protocol (issue: national geography).

The loopback feed serves 47018NED with the real shared extract's counts for every municipality of
2024 (and ``NL00``), 70072ned with the real population of every municipality on each year's own
boundaries (415 codes in 2012, 342 in 2024), and "Gebieden in Nederland 2024" placing every
municipality in a police unit. ``rvs fetch`` downloads it with the real cbsodata client; then
``rvs table --scope nederland`` and the default ``rvs render --source cbs`` batch run on it.
"""

from __future__ import annotations

import html
import io
import json
import re

import pandas as pd
import pytest
from cbs_feed import POLICE_UNITS, CbsFeed, national_tables

from rvs_analysis.cli import main


@pytest.fixture(scope="module")
def national_cache(shared_cbs_dir, tmp_path_factory):
    cache = tmp_path_factory.mktemp("national") / "raw"
    with CbsFeed(national_tables(shared_cbs_dir), page_size=10_000) as feed:
        assert main(["fetch", "--catalog", feed.url, "--cache", str(cache)]) == 0
    return cache


def _table(cache, capsys, *argv):
    capsys.readouterr()
    status = main(["table", "--source", "cbs", "--cache", str(cache), *argv])
    out, err = capsys.readouterr()
    assert status == 0, err
    return pd.read_csv(io.StringIO(out))


@pytest.mark.slow
def test_every_municipality_of_2024_has_a_positive_population_every_year(national_cache, capsys):
    table = _table(
        national_cache, capsys, "--scope", "nederland", "--level", "gemeente",
        "--boundaries", "2024", "--years", "2012-2025", "--rate",
    )  # fmt: skip
    assert table["area"].nunique() == 342
    assert table.groupby("area")["year"].nunique().eq(14).all()
    assert (table["population"] > 0).all() and table["rate_per_1000"].notna().all()


@pytest.mark.slow
def test_ten_police_units_cover_the_netherlands(national_cache, capsys):
    units = _table(
        national_cache, capsys, "--level", "police-unit", "--boundaries", "2024",
        "--years", "2012-2025", "--rate",
    )  # fmt: skip
    assert sorted(units["area"].unique()) == sorted(
        f"Politie-eenheid {name}" for name in POLICE_UNITS.values()
    )
    country = _table(
        national_cache, capsys, "--scope", "nederland", "--level", "region",
        "--boundaries", "2024", "--years", "2012-2025", "--rate",
    )  # fmt: skip
    by_year = units.groupby("year")[["registered_offences", "population"]].sum()
    assert by_year["registered_offences"].tolist() == country["registered_offences"].tolist()
    assert by_year["population"].tolist() == pytest.approx(country["population"].tolist(), abs=10)


def _text(path) -> str:
    page = html.unescape(path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


@pytest.mark.slow
def test_the_default_batch_renders_with_police_units_and_the_netherlands(national_cache, tmp_path):
    out = tmp_path / "outputs"
    status = main(
        ["render", "--source", "cbs", "--cache", str(national_cache), "--out", str(out),
         "--jobs", "2", "--progress", "lines"]
    )  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # the national extract has no wijk and buurt rows: that report is skipped, in Dutch
    neighbourhood = [r for r in manifest["reports"] if "neighbourhood" in r["notebook"]]
    assert len(neighbourhood) == 6 and all(
        r["status"] == "skipped" and "wijk- en buurtcijfers" in r["error"] for r in neighbourhood
    ), neighbourhood
    failed = [
        (report["area"], report["notebook"], report.get("error"))
        for report in manifest["reports"]
        if report["status"] != "ok" and report not in neighbourhood
    ]
    assert status == 0 and not failed, failed
    assert len(manifest["reports"]) == 30
    for report in manifest["reports"]:
        if report in neighbourhood:
            continue
        text = _text(out / report["html"])
        if report["notebook"].endswith("strategy_monitor.ipynb"):
            table = text[text.index("politie-eenheden tegen Nederland") :]
            table = table[: table.index("Tabel downloaden")]
            assert all(f"Politie-eenheid {name} " in table for name in POLICE_UNITS.values())
            assert "Van de 10 politie-eenheden in de bron" in text
            assert "10 vergelijkingen, met een gezamenlijke F-toets" in text  # methods
            assert "Nederland is de som van alle 342 gemeenten (indeling 2024)" in text
        if report["notebook"].endswith("crime_change.ipynb"):
            assert "niet mogelijk" not in text[text.index("Vergeleken met Nederland") :][:2000]
            assert "verhouding van de jaarlijkse veranderingen" in text
            assert "'Nederland' is de som van 342 gemeenten." in text  # every year on 2024's map
