"""``rvs fetch`` of the wijk and buurt tables against the loopback feed, with the real cbsodata client.

The feed (tests/cbs_feed.py, ``neighbourhood_tables``) serves 47018NED and 47022NED with municipal,
wijk and buurt rows of Utrecht, Amersfoort and Amsterdam (outside the region), one buurt whose
every cell is ``null``, an offence code the suite does not ask for, and two editions of
"Kerncijfers wijken en buurten <year>" found by title in the catalog.
"""

from __future__ import annotations

import json
import shutil
import urllib.parse

import pytest
from cbs_feed import (
    FEED_KERNCIJFERS_EDITIONS,
    FEED_NEIGHBOUR_BUURT,
    FEED_PLANTED,
    KERNCIJFERS_EDITIONS,
    NEIGHBOURHOOD_WITHHELD,
    CbsFeed,
    neighbourhood_tables,
)

from rvs_analysis.cli import main
from rvs_analysis.exceptions import SourceNotAvailableError
from rvs_analysis.sources import cbs, load_neighbourhood_source, pdok_boundaries
from rvs_analysis.sources.cbs_tables import NEIGHBOURHOOD_TABLES


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    """The three wijk and buurt tables fetched once, paged (50 rows a page)."""
    cache = tmp_path_factory.mktemp("cache")
    with CbsFeed(neighbourhood_tables(), page_size=50) as feed:
        records = cbs.fetch(
            tables=list(NEIGHBOURHOOD_TABLES), cache=cache, catalog=feed.url, timeout=120
        )
        requests = list(feed.requests)
    return cache, records, requests


def test_the_tables_are_fetched_filtered_on_the_server(fetched):
    cache, records, requests = fetched
    assert [record["status"] for record in records] == ["fetched"] * 3
    by_key = {record["key"]: record for record in records}
    assert by_key["wijkbuurt_jaar"]["table"] == "47018NED"
    assert by_key["wijkbuurt_maand"]["table"] == "47022NED"
    kerncijfers = by_key["kerncijfers_wijkbuurt"]
    assert kerncijfers["table"] == KERNCIJFERS_EDITIONS[2024] and kerncijfers["edition"] == 2024
    filters = {
        urllib.parse.unquote(query["$filter"])
        for path, query in requests
        if path == "/ODataFeed/odata/47018NED/TypedDataSet" and "$filter" in query
    }
    # one request per six municipalities, each filter short enough for a server's URL limit
    assert len(filters) == len(by_key["wijkbuurt_jaar"]["filter"]) == 8
    assert max(len(text) for text in filters) < 1200
    joined = " ".join(filters)
    assert "startswith(WijkenEnBuurten,'BU0344')" in joined
    assert "startswith(WijkenEnBuurten,'WK0307')" in joined
    assert "'1.4.7 '" not in joined and "SoortMisdrijf eq '1.2.3 '" in joined
    assert any("$skiptoken" in query for path, query in requests), "the download was paged"
    assert not list((cache / "wijkbuurt_maand").glob("part-*")), "the parts are joined"


def test_the_cache_reads_as_wijk_and_buurt_data(fetched):
    cache, _, _ = fetched
    data = load_neighbourhood_source("cbs", cache=str(cache))
    assert data.boundaries is None
    assert set(data.areas["gemeente_code"]) == {"GM0344", "GM0307"}  # not Amsterdam
    assert set(data.areas["area_kind"]) == {"wijk", "buurt"}  # no municipal rows
    assert set(data.offences["offence_code"]) == {"0.0.0", "1.1.1", "1.2.3"}
    assert data.offences.set_index("offence_code").loc["1.2.3", "offence_label"] == (
        "Diefstal van brom-, snor-, fietsen"
    )
    names = data.areas.set_index("area_code")["area_name"]
    assert names["BU03440101"] == "Domplein e.o."
    # withheld: missing, never 0, in every table
    for frame in (data.yearly, data.monthly):
        withheld = frame[frame["area_code"] == NEIGHBOURHOOD_WITHHELD]["registered_offences"]
        assert len(withheld) and withheld.isna().all()
        assert (
            frame[frame["area_code"] != NEIGHBOURHOOD_WITHHELD]["registered_offences"].notna().all()
        )
    latest = data.population[data.population["year"] == 2024]
    population = latest.set_index("area_code")["population"]
    assert population.isna().sum() == 1 and population[NEIGHBOURHOOD_WITHHELD] != 0
    # the figures' years 2022-2023 take the 2023 edition, the codes' year 2024 its own
    assert data.population_editions == {2022: 2023, 2023: 2023}
    assert set(data.population["year"]) == {2022, 2023, 2024}
    assert data.provisional_months == ((2024, 1), (2024, 2))
    assert data.yearly["year"].max() == 2023 and not data.provisional_years


def test_fetch_by_name_on_the_command_line(tmp_path, capsys):
    with CbsFeed(neighbourhood_tables()) as feed:
        status = main(
            [
                "fetch",
                "--cache",
                str(tmp_path),
                "--catalog",
                feed.url,
                "--tables",
                "wijkbuurt_jaar",
                "wijkbuurt_maand",
                "kerncijfers_wijkbuurt",
            ]
        )
    assert status == 0
    assert all((tmp_path / key / "TypedDataSet.json").is_file() for key in NEIGHBOURHOOD_TABLES)


@pytest.fixture(scope="module")
def default_cache(fetched_feed):
    """The default tables (no --tables) fetched from the standard feed, with its planted wijk and
    buurt rows: the run's one fetch (``conftest.fetched_feed``; read-only, copied to change)."""
    assert {record["status"] for record in fetched_feed.records} == {"fetched"}
    return fetched_feed.cache


def test_the_default_fetch_downloads_the_wijk_and_buurt_tables(default_cache):
    assert set(NEIGHBOURHOOD_TABLES) <= set(cbs.DEFAULT_TABLES)
    data = load_neighbourhood_source("cbs", cache=str(default_cache))
    assert set(data.areas["gemeente_code"]) == {"GM0344", "GM0307"}  # not Amsterdam
    assert data.yearly["year"].min() == 2013 and data.monthly["year"].min() == 2013
    assert data.provisional_years == (2018,) and data.provisional_months[-1] == (2018, 12)
    assert len(data.monthly[["year", "month"]].drop_duplicates()) == 72


def test_the_standard_feed_plants_what_the_report_must_find(default_cache):
    data = load_neighbourhood_source("cbs", cache=str(default_cache))
    yearly = data.yearly[data.yearly["offence_code"] == "0.0.0"]
    latest = data.population[data.population["year"] == 2018]
    population = latest.set_index("area_code")["population"]
    utrecht = yearly[(yearly["area_kind"] == "buurt") & (yearly["gemeente_code"] == "GM0344")]
    counts = utrecht.pivot(index="area_code", columns="year", values="registered_offences")
    people = population.reindex(counts.index)
    municipal = counts.sum() / people[counts.notna().all(axis=1)].sum()
    ratio = counts.loc[FEED_PLANTED["hot_spot"]] / people[FEED_PLANTED["hot_spot"]] / municipal
    assert (ratio.loc[2014:2018] > 2.5).all() and ratio.loc[2013] < 2
    # the surge: bicycle theft in the last three months about 3x the same months a year before
    buurt, offence = FEED_PLANTED["surge"]
    monthly = data.monthly.set_index(["area_code", "offence_code", "year", "month"]).sort_index()
    series = monthly.loc[(buurt, offence), "registered_offences"]
    last = series.loc[2018].loc[10:12].sum()
    before = series.loc[2013:2017].groupby(level="month").mean().loc[10:12].sum()
    assert last > 2.2 * before
    # withheld cells stay missing, never 0
    for frame in (data.yearly, data.monthly):
        withheld = frame[frame["area_code"] == FEED_PLANTED["withheld_buurt"]]
        assert len(withheld) and withheld["registered_offences"].isna().all()
    small = data.monthly[data.monthly["area_code"] == FEED_PLANTED["withheld_months_buurt"]]
    assert small["registered_offences"].isna().sum() == len(small) // 2
    assert population[FEED_PLANTED["withheld_buurt"]] != population[FEED_PLANTED["withheld_buurt"]]


def test_the_default_fetch_stores_the_generalised_polygons_of_the_boundary_year(default_cache):
    data = load_neighbourhood_source("cbs", cache=str(default_cache))
    assert data.boundary_year == 2024
    codes = [feature["properties"]["area_code"] for feature in data.boundaries["features"]]
    region = set(data.areas["area_code"])
    # every wijk and buurt of Utrecht and Amersfoort, once; not Amsterdam's, not the Amsterdam
    # buurt inside Utrecht's box
    assert set(codes) == region and len(codes) == len(region)
    assert FEED_NEIGHBOUR_BUURT not in codes
    record = json.loads((default_cache / "wijkbuurt_grenzen" / "fetch.json").read_text())
    assert record["table"] == "gebiedsindelingen-2024" and record["route"] == "generalised"
    assert record["edition"] == record["boundary_year"] == 2024 and record["generalised"]
    assert record["title"] == "CBS Gebiedsindelingen 2024 (gegeneraliseerd)"
    assert record["api"] == "PDOK OGC API Features" and record["rows"] == len(codes)
    names = {
        feature["properties"]["area_code"]: feature["properties"]["area_name"]
        for feature in data.boundaries["features"]
    }
    assert names[FEED_PLANTED["hot_spot"]] == "Leidsche Rijn, buurt 2"  # statnaam, of 2024
    # the 2024 polygons, not the feed's 2023 ones (0.5 degree east)
    longitudes = [
        point[0]
        for feature in data.boundaries["features"]
        for point in feature["geometry"]["coordinates"][0]
    ]
    assert max(longitudes) < 5.5


def test_polygons_are_asked_for_by_year_and_each_municipalitys_box(tmp_path):
    with CbsFeed(page_size=1000) as feed:
        records = cbs.fetch(
            tables=["47018NED", "wijkbuurt_grenzen"], cache=tmp_path, catalog=feed.url, timeout=60
        )
        served = [(path, query) for path, query in feed.requests if path.endswith("/items")]
    assert records[1]["status"] == "fetched"
    assert all("/cbs/gebiedsindelingen/ogc/v1/collections/" in path for path, _ in served)
    assert all(query["jaarcode"] == "2024" and query["limit"] == "1000" for _, query in served)
    municipal = [q for p, q in served if p.endswith("/gemeente_gegeneraliseerd/items")]
    assert municipal and all("bbox" not in query for query in municipal)
    boxes: dict[str, list[str]] = {}
    for path, query in served:
        if "bbox" in query:
            boxes.setdefault(path.split("/")[-2], []).append(query["bbox"])
    boxes = {collection: sorted(asked) for collection, asked in boxes.items()}
    # one box per region municipality of the feed (Utrecht, Amersfoort; not Amsterdam), each
    # asked for its wijken and its buurten (the feed's 40 Utrecht buurten: one page)
    assert set(boxes) == {"wijk_gegeneraliseerd", "buurt_gegeneraliseerd"}
    assert boxes["wijk_gegeneraliseerd"] == boxes["buurt_gegeneraliseerd"]
    assert len(boxes["buurt_gegeneraliseerd"]) == 2
    utrecht = [float(v) for v in min(boxes["buurt_gegeneraliseerd"]).split(",")]
    assert utrecht[0] < 5.05 < 5.15 < utrecht[2] and utrecht[1] < 52.05 < 52.09 < utrecht[3]


def test_paging_follows_the_next_links(tmp_path, monkeypatch):
    monkeypatch.setattr(pdok_boundaries, "PAGE_SIZE", 7)
    with CbsFeed(page_size=1000) as feed:
        cbs.fetch(
            tables=["47018NED", "wijkbuurt_grenzen"], cache=tmp_path, catalog=feed.url, timeout=60
        )
        pages = [
            query
            for path, query in feed.requests
            if path.endswith("/buurt_gegeneraliseerd/items") and query["bbox"].startswith("5.04")
        ]
    # Utrecht's box: its 40 buurten and the Amsterdam buurt inside it, 7 a page
    assert [query.get("cursor") for query in pages] == [None, "7", "14", "21", "28", "35"]
    data = json.loads((tmp_path / "wijkbuurt_grenzen" / "neighbourhoods.geojson").read_text())
    codes = [f["properties"]["area_code"] for f in data["features"]]
    assert len([code for code in codes if code.startswith("BU0344")]) == 40
    assert FEED_NEIGHBOUR_BUURT not in codes and len(codes) == len(set(codes))


def test_without_a_pdok_service_the_fetch_succeeds_and_the_data_load_without_map(
    default_cache, tmp_path, capsys
):
    # The wijk and buurt tables as a default fetch left them, but never a map: then the polygons
    # are fetched from a host without PDOK's service (the CBS tables are fetched as always; the
    # polygons' absence does not depend on which other tables a fetch asks for).
    cache = tmp_path / "raw"
    shutil.copytree(default_cache, cache, ignore=shutil.ignore_patterns("wijkbuurt_grenzen"))
    assert not (cache / "wijkbuurt_grenzen").exists()
    with CbsFeed(boundaries={}, gebiedsindelingen={}) as feed:
        status = main(
            ["fetch", "--cache", str(cache), "--catalog", feed.url, "--tables", "wijkbuurt_grenzen"]
        )
        asked = [path for path, _ in feed.requests if path.startswith("/cbs/")]
        assert any(path.startswith("/cbs/gebiedsindelingen/") for path in asked)
        assert any(path.startswith("/cbs/wijken-en-buurten-") for path in asked)
    out = capsys.readouterr()
    assert status == 0
    assert "wijkbuurt_grenzen" in out.out + out.err and "without its map" in out.out + out.err
    assert not (cache / "wijkbuurt_grenzen").exists()
    data = load_neighbourhood_source("cbs", cache=str(cache))
    assert data.boundaries is None and data.boundary_year is None and len(data.yearly)


def test_a_bad_polygon_is_refused_and_the_old_copy_kept(default_cache, tmp_path):
    cache = tmp_path / "raw"
    shutil.copytree(default_cache, cache)
    before = (cache / "wijkbuurt_grenzen" / "neighbourhoods.geojson").read_bytes()

    def broken(base, path, query, status, body):
        if path.endswith("/buurt_gegeneraliseerd/items") and body.get("features"):
            body = {**body, "features": [*body["features"]]}
            body["features"][-1] = {
                **body["features"][-1],
                "geometry": {"type": "Point", "coordinates": [5.1, 52.1]},
            }
        return status, body

    with CbsFeed() as feed:
        feed.rewrite = broken
        records = cbs.fetch(
            tables=["47018NED", "wijkbuurt_grenzen"], cache=cache, catalog=feed.url, timeout=60
        )
    assert records[1]["status"] == "not fetched" and records[1]["kind"] == "refused"
    assert "wijkbuurt_grenzen/neighbourhoods.geojson" in records[1]["reason"]
    assert "geometry" in records[1]["reason"]
    assert (cache / "wijkbuurt_grenzen" / "neighbourhoods.geojson").read_bytes() == before
    assert not [path for path in cache.iterdir() if path.name.startswith(".")]


def test_each_year_takes_its_own_kerncijfers_edition_or_the_nearest(default_cache):
    data = load_neighbourhood_source("cbs", cache=str(default_cache))
    assert data.population_editions == {
        2013: 2014, 2014: 2014, 2015: 2014, 2016: 2016, 2017: 2017, 2018: 2018
    }  # fmt: skip
    record = json.loads((default_cache / "kerncijfers_wijkbuurt" / "fetch.json").read_text())
    assert record["table"] == FEED_KERNCIJFERS_EDITIONS[2018]
    assert record["population_editions"]["2015"] == 2014  # said in the provenance
    for edition in (2014, 2016, 2017):
        stored = json.loads(
            (
                default_cache / "kerncijfers_wijkbuurt" / "editions" / str(edition) / "fetch.json"
            ).read_text()
        )
        assert stored == {"table": FEED_KERNCIJFERS_EDITIONS[edition], "edition": edition}
    population = data.population.set_index(["area_code", "year"])["population"]
    buurt = "BU03440101"
    assert population[buurt, 2015] == population[buurt, 2014] != population[buurt, 2016]
    assert population[buurt, 2016] < population[buurt, 2017] < population[buurt, 2018]
    assert population[FEED_PLANTED["withheld_buurt"], 2015] != 0  # withheld: missing, never 0


def test_a_cache_without_a_wijk_and_buurt_table_names_it_and_the_fetch(default_cache, tmp_path):
    cache = tmp_path / "raw"
    shutil.copytree(default_cache, cache)
    shutil.rmtree(cache / "wijkbuurt_maand")
    with pytest.raises(SourceNotAvailableError) as caught:
        load_neighbourhood_source("cbs", cache=str(cache))
    text = str(caught.value)
    assert "wijkbuurt_maand missing" in text and f"rvs fetch --cache {cache}" in text
    assert "\n" not in text


def test_the_fetch_summary_counts_polygons_not_cbs_rows():
    from rvs_analysis.commands.fetch import summary_lines

    record = {
        "status": "fetched", "key": "wijkbuurt_grenzen", "table": "gebiedsindelingen-2024",
        "catalog": "https://api.pdok.nl", "rows": 65, "api": "PDOK OGC API Features",
        "data_set": "neighbourhoods.geojson", "retrieved": "2026-12-05T21:00:00+00:00",
    }  # fmt: skip
    (line,) = summary_lines([record])
    assert "65 polygons (PDOK OGC API Features)" in line and "modified by CBS" not in line
