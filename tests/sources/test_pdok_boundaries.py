"""The fetch route ``pdok`` (``sources.pdok_boundaries``) against the loopback feed's PDOK services.

The feed (tests/cbs_feed.py) speaks PDOK's generalised "CBS Gebiedsindelingen" (collections
``gemeente_gegeneraliseerd``, ``wijk_gegeneraliseerd``, ``buurt_gegeneraliseerd``; ``jaarcode`` and
``bbox`` filters, ``limit``, ``next`` links; 400 on any other parameter) and the full-detail "CBS
Wijken en Buurten <year>". 47018NED (whose wijk and buurt codes are of 2024) is fetched once; each
test fetches only ``wijkbuurt_grenzen`` into a copy of that cache.
"""

from __future__ import annotations

import json
import shutil

import pytest
from cbs_feed import FEED_NEIGHBOUR_BUURT, CbsFeed, feed_gebiedsindelingen

from rvs_analysis.sources import cbs, pdok_boundaries

GRENZEN = "wijkbuurt_grenzen"


@pytest.fixture(scope="module")
def crime_cache(tmp_path_factory):
    """A cache holding 47018NED of the standard feed (the codes' boundary year: 2024)."""
    cache = tmp_path_factory.mktemp("crime") / "raw"
    with CbsFeed() as feed:
        (record,) = cbs.fetch(tables=["47018NED"], cache=cache, catalog=feed.url, timeout=60)
    assert record["status"] == "fetched"
    return cache


def fetch_polygons(crime_cache, tmp_path, feed, rewrite=None):
    """Fetch the polygons from ``feed`` into a copy of the crime cache: (record, features)."""
    cache = tmp_path / "raw"
    shutil.copytree(crime_cache, cache)
    feed.rewrite = rewrite
    (record,) = cbs.fetch(tables=[GRENZEN], cache=cache, catalog=feed.url, timeout=60)
    path = cache / GRENZEN / "neighbourhoods.geojson"
    features = json.loads(path.read_text())["features"] if path.exists() else None
    return record, features


def test_the_nearest_earlier_year_of_the_generalised_service_is_taken(crime_cache, tmp_path):
    with CbsFeed(boundaries={}, gebiedsindelingen=feed_gebiedsindelingen(years=(2022,))) as feed:
        record, features = fetch_polygons(crime_cache, tmp_path, feed)
        asked = [
            query["jaarcode"]
            for path, query in feed.requests
            if path.endswith("/gemeente_gegeneraliseerd/items")
        ]
    assert record["status"] == "fetched" and record["route"] == "generalised"
    assert record["edition"] == 2022 and record["boundary_year"] == 2024  # in the provenance
    assert record["table"] == "gebiedsindelingen-2022"
    assert asked[:3] == ["2024", "2023", "2022"]
    assert {feature["properties"]["year"] for feature in features} == {2022}
    assert all(feature["properties"]["area_name"].endswith("(2022)") for feature in features)
    assert len(features) == 65 and FEED_NEIGHBOUR_BUURT not in {
        feature["properties"]["area_code"] for feature in features
    }


def test_no_year_within_reach_leaves_the_report_without_map(crime_cache, tmp_path):
    back = 2024 - pdok_boundaries.YEARS_BACK - 1
    with CbsFeed(boundaries={}, gebiedsindelingen=feed_gebiedsindelingen(years=(back,))) as feed:
        record, features = fetch_polygons(crime_cache, tmp_path, feed)
    assert record["status"] == "not fetched" and record["kind"] == "missing"
    assert "without its map" in record["reason"] and features is None


def test_the_full_detail_service_of_the_year_comes_before_an_earlier_generalised_year(
    crime_cache, tmp_path
):
    with CbsFeed(gebiedsindelingen=feed_gebiedsindelingen(years=(2023,))) as feed:
        record, features = fetch_polygons(crime_cache, tmp_path, feed)
        full = [query for path, query in feed.requests if path.endswith("/buurten/items")]
    assert record["status"] == "fetched" and record["route"] == "full-detail"
    assert record["table"] == "wijken-en-buurten-2024" and record["edition"] == 2024
    assert not record["generalised"]
    assert "no polygons of 2024" in record["route_reason"]
    assert {query["gemeentecode"] for query in full} >= {"GM0344", "GM0307"}
    assert len(features) == 65 and {f["properties"]["year"] for f in features} == {2024}


def test_without_the_generalised_service_the_full_detail_one_is_taken(crime_cache, tmp_path):
    with CbsFeed(gebiedsindelingen={}) as feed:
        record, features = fetch_polygons(crime_cache, tmp_path, feed)
    assert record["status"] == "fetched" and record["route"] == "full-detail"
    assert "no generalised service" in record["route_reason"] and len(features) == 65


def test_a_generalised_feature_without_a_name_is_named_by_its_code(crime_cache, tmp_path):
    def nameless(base, path, query, status, body):
        if path.endswith("/wijk_gegeneraliseerd/items"):
            body = {
                **body,
                "features": [
                    {**feature, "properties": {**feature["properties"], "statnaam": None}}
                    for feature in body["features"]
                ],
            }
        return status, body

    with CbsFeed() as feed:
        record, features = fetch_polygons(crime_cache, tmp_path, feed, nameless)
    assert record["status"] == "fetched"
    names = {f["properties"]["area_code"]: f["properties"]["area_name"] for f in features}
    assert names["WK034401"] == "WK034401" and names["BU03440101"] == "Binnenstad, buurt 1"


def test_a_next_link_to_another_host_is_refused(crime_cache, tmp_path):
    def elsewhere(base, path, query, status, body):
        if path.endswith("/buurt_gegeneraliseerd/items"):
            link = {"rel": "next", "href": "http://example.invalid/items?cursor=1"}
            body = {**body, "links": [*body["links"], link]}
        return status, body

    with CbsFeed() as feed:
        record, features = fetch_polygons(crime_cache, tmp_path, feed, elsewhere)
        asked = len(feed.requests)
    assert record["status"] == "not fetched" and record["kind"] == "refused"
    assert "another host" in record["reason"] and "example.invalid" in record["reason"]
    assert features is None and asked < 20


def test_a_page_served_twice_is_refused(crime_cache, tmp_path, monkeypatch):
    monkeypatch.setattr(pdok_boundaries, "PAGE_SIZE", 10)

    def back_to_start(base, path, query, status, body):
        if path.endswith("/buurt_gegeneraliseerd/items") and query.get("cursor") == "10":
            body = {
                **body,
                "links": [
                    {**link, "href": link["href"].replace("cursor=20", "cursor=0")}
                    for link in body["links"]
                ],
            }
        return status, body

    with CbsFeed() as feed:
        record, features = fetch_polygons(crime_cache, tmp_path, feed, back_to_start)
    assert record["status"] == "not fetched" and record["kind"] == "refused"
    assert "served this area twice" in record["reason"] and "area_code" in record["reason"]
    assert features is None


def test_only_jaarcode_bbox_and_paging_are_asked_of_the_generalised_service(crime_cache, tmp_path):
    with CbsFeed(boundaries={}) as feed:
        record, _ = fetch_polygons(crime_cache, tmp_path, feed)
        queries = [q for p, q in feed.requests if p.startswith("/cbs/gebiedsindelingen/")]
    assert record["status"] == "fetched"
    # the feed answers 400 to any other parameter, as PDOK does to a property that is not queryable
    assert queries and all(set(q) <= {"f", "limit", "jaarcode", "bbox", "cursor"} for q in queries)
