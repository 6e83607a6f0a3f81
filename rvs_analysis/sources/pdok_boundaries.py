"""Wijk and buurt polygons from PDOK: the fetch route ``pdok`` and the reader of what it stores.

PDOK publishes CBS's generalised (cartographically simplified) boundaries of every year in one OGC
API Features service, "CBS Gebiedsindelingen", ``https://api.pdok.nl/cbs/gebiedsindelingen/ogc/v1``,
with the collections ``gemeente_gegeneraliseerd``, ``wijk_gegeneraliseerd`` and
``buurt_gegeneraliseerd``: one feature per area and year, with the properties ``statcode``
(``GM0344``, ``WK034401``, ``BU03440101``), ``statnaam`` and ``jaarcode`` (the year), GeoJSON in
WGS84 longitude and latitude (CRS84, PDOK's default). The service filters on ``jaarcode`` and
``bbox`` but on no other property, so :class:`PdokRoute` asks, for the year,

1. ``/collections/gemeente_gegeneraliseerd/items?f=json&jaarcode=<year>&limit=1000``: the bounding
   box of each of the region's municipalities (the other municipalities' polygons are read a page
   at a time and dropped);
2. per municipality ``/collections/<wijk|buurt>_gegeneraliseerd/items?f=json&jaarcode=<year>&
   bbox=<its box>&limit=1000``, keeping the features whose ``statcode`` starts with ``WK``/``BU``
   and the municipality's four digits (a neighbour's buurt that reaches into the box is dropped)
   and whose ``jaarcode`` is the year.

The answers' ``links`` with ``rel`` ``next`` are followed (pages); each page's features are written
to ``neighbourhoods.geojson`` before the next is asked for, so one page is in memory at a time.

The year is the crime table's boundary year (the ``MapYear`` of 47018NED's wijk and buurt codes).
Where the generalised service has no polygons of that year for the region's municipalities, the
full-detail service of the same year, "CBS Wijken en Buurten <year>"
(``/cbs/wijken-en-buurten-<year>/ogc/v1``, collections ``wijken`` and ``buurten`` asked for per
municipality with ``gemeentecode``), is taken instead: the matching year counts for more than the
generalisation, since buurt codes change between years. Where neither has the year, the nearest
earlier year (up to :data:`YEARS_BACK` back) is tried the same way. ``fetch.json`` records the
year taken (``edition``), the codes' year (``boundary_year``), the service (``route``:
``generalised`` or ``full-detail``) and, for the full-detail one, why (``route_reason``).
Coordinates are rounded to :data:`DECIMALS` decimals (about a metre); the polygons are otherwise
PDOK's.

Each feature keeps the properties the tidy layout's ``neighbourhoods.geojson`` has
(``area_code, area_name, area_kind, gemeente_code, year``;
:mod:`rvs_analysis.sources.neighbourhoods`), which reads and checks the file
(:func:`~rvs_analysis.sources.neighbourhoods.read_boundaries`); the name is PDOK's
(``statnaam``, ``wijknaam``, ``buurtnaam``), the code where PDOK gives none. A code served twice is
refused. The route is used by :func:`rvs_analysis.sources.cbs_fetch.fetch` like the OData route:
staged, checked, swapped in with the other tables; the request limits, proxies and the guard
against other hosts apply alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

import requests

from rvs_analysis.exceptions import DataValidationError, FetchError, TableFailedError
from rvs_analysis.region_tables import municipality_table
from rvs_analysis.sources.neighbourhoods import AREA_KINDS, BOUNDARIES_FILE, read_boundaries

__all__ = [
    "DECIMALS",
    "GENERALISED_COLLECTIONS",
    "GENERALISED_SERVICE",
    "KINDS",
    "PDOK_SERVICE",
    "YEARS_BACK",
    "PdokRoute",
    "service_path",
]

GENERALISED_SERVICE = "/cbs/gebiedsindelingen/ogc/v1"
"""The path of CBS's generalised boundaries of every year on the catalog host (``api.pdok.nl``)."""
GENERALISED_COLLECTIONS = {
    "gemeente": "gemeente_gegeneraliseerd",
    "WK": "wijk_gegeneraliseerd",
    "BU": "buurt_gegeneraliseerd",
}
"""Area kind (code prefix) -> its collection in :data:`GENERALISED_SERVICE`."""
PDOK_SERVICE = "/cbs/wijken-en-buurten-{year}/ogc/v1"
"""The path of a year's full-detail service on the catalog host (the fallback)."""
KINDS = {
    "wijken": ("wijkcode", "wijknaam"),
    "buurten": ("buurtcode", "buurtnaam"),
}
"""Full-detail collection -> its code and name properties (``statcode``/``statnaam`` are read as
well)."""
GENERALISED_KEYS = ("statcode", "statnaam")
"""The code and name properties of the generalised collections."""
PAGE_SIZE = 1000
"""Features asked for per page (``limit``)."""
YEARS_BACK = 3
"""Earlier years tried when PDOK has no polygons of the boundary year."""
DECIMALS = 5
"""Decimals kept of each coordinate (1e-5 degree: about a metre)."""
MARGIN = 0.001
"""Degrees added on every side of a municipality's bounding box (about 100 m): a wijk or buurt
generalised a little differently from its municipality still intersects the box."""


def service_path(year: int) -> str:
    """The path of the full-detail service of ``year``.

    Parameters
    ----------
    year : int

    Returns
    -------
    str
        ``/cbs/wijken-en-buurten-<year>/ogc/v1``.
    """
    return PDOK_SERVICE.format(year=int(year))


def _round(value):
    if isinstance(value, list):
        return [_round(item) for item in value]
    if isinstance(value, float):
        return round(value, DECIMALS)
    return value


def _get(url: str, request: dict, params: dict | None = None) -> dict:
    response = requests.get(url, params=params, **request)
    response.raise_for_status()
    try:
        value = response.json()
    except ValueError as error:
        raise FetchError(f"PDOK's answer for {response.url} is not JSON") from error
    if not isinstance(value, dict):
        raise FetchError(f"PDOK's answer for {response.url} is not a JSON object")
    return value


def _pages(url: str, params: dict, request: dict, shown: str, what: str):
    """The feature lists of an items query, page by page (following ``next`` links)."""
    while url:
        page = _get(url, request, params)
        features = page.get("features")
        if not isinstance(features, list):
            raise DataValidationError(shown, "features", None, f"PDOK's page of {what} has none")
        yield features
        url, params = _next_link(page), None


def _next_link(page: dict) -> str | None:
    """The ``href`` of the page's ``links`` entry with ``rel`` ``next`` (``None`` on the last)."""
    for link in page.get("links") or ():
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return str(link["href"])
    return None


def _bbox(coordinates, box: list[float] | None = None) -> list[float] | None:
    """``[min lon, min lat, max lon, max lat]`` of a GeoJSON coordinate array (any nesting)."""
    if (
        isinstance(coordinates, list)
        and len(coordinates) >= 2
        and all(
            isinstance(value, int | float) and not isinstance(value, bool)
            for value in coordinates[:2]
        )
    ):
        x, y = float(coordinates[0]), float(coordinates[1])
        if box is None:
            return [x, y, x, y]
        return [min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y)]
    if isinstance(coordinates, list):
        for item in coordinates:
            box = _bbox(item, box)
    return box


def _year_of(properties: dict) -> int | None:
    """The feature's ``jaarcode`` as a year (``None`` when absent or not a year)."""
    value = properties.get("jaarcode")
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _region_codes() -> list[str]:
    """The region's municipality codes, any year (``data/regions/municipalities.csv``)."""
    return sorted(set(municipality_table()["gemeente_code"]))


def _feature(raw, keys: tuple[str, str], prefix: str, year: int, shown: str, position: int):
    """One PDOK feature as a feature of the tidy ``neighbourhoods.geojson``, checked: its code
    (``keys[0]``, else ``statcode``) must be a ``prefix`` (``WK``/``BU``) code."""
    if not isinstance(raw, dict) or not isinstance(raw.get("properties"), dict):
        raise DataValidationError(shown, "properties", position, "expected a GeoJSON Feature")
    properties = raw["properties"]
    code_key, name_key = keys
    code = properties.get(code_key, properties.get("statcode"))
    name = properties.get(name_key, properties.get("statnaam"))
    if not isinstance(code, str) or code.strip()[:2] != prefix or len(code.strip()) < 6:
        example = "WK034401" if prefix == "WK" else "BU03440101"
        raise DataValidationError(
            shown,
            code_key,
            position,
            f"expected a {AREA_KINDS[prefix]} code such as {example}",
            code,
        )
    code = code.strip()
    return {
        "type": "Feature",
        "properties": {
            "area_code": code,
            "area_name": name.strip() if isinstance(name, str) and name.strip() else code,
            "area_kind": AREA_KINDS[prefix],
            "gemeente_code": "GM" + code[2:6],
            "year": year,
        },
        "geometry": {
            "type": (raw.get("geometry") or {}).get("type"),
            "coordinates": _round((raw.get("geometry") or {}).get("coordinates")),
        },
    }


class _Writer:
    """``neighbourhoods.geojson`` written feature by feature; a code written twice is refused."""

    def __init__(self, out: IO[str], shown: str):
        self.out, self.shown = out, shown
        self.count = 0
        self.seen: set[str] = set()
        out.write('{"type": "FeatureCollection", "features": [\n')

    def write(self, feature: dict) -> None:
        code = feature["properties"]["area_code"]
        if code in self.seen:
            raise DataValidationError(
                self.shown, "area_code", self.count + 1, "PDOK served this area twice", code
            )
        self.seen.add(code)
        self.count += 1
        self.out.write(("" if self.count == 1 else ",\n") + json.dumps(feature))

    def close(self) -> None:
        self.out.write("\n]}\n")


class PdokRoute:
    """PDOK's OGC API Features of CBS's wijk and buurt boundaries with ``requests``.

    ``locate`` chooses the year and the service (the generalised "CBS Gebiedsindelingen", else the
    full-detail "CBS Wijken en Buurten <year>"); ``download`` writes ``neighbourhoods.geojson`` into
    the folder; ``check`` reads it back as the offline reader does.
    """

    name = "pdok"
    api = "PDOK OGC API Features"

    def locate(self, spec, catalog, request: dict, not_after) -> dict:
        """The year and service of the polygons.

        Parameters
        ----------
        spec : TableSpec
        catalog : Catalog
            The host (``https://api.pdok.nl``, a mirror or a test server).
        request : dict
            ``timeout`` and ``proxies`` for ``requests``.
        not_after : int or None
            The wijk and buurt codes' boundary year.

        Returns
        -------
        dict
            ``table`` (``gebiedsindelingen-<year>`` or ``wijken-en-buurten-<year>``), ``title``,
            ``edition`` (the year taken), ``boundary_year``, ``route`` and, for the full-detail
            service, ``route_reason``.

        Raises
        ------
        FetchError
            When the boundary year is unknown.
        TableFailedError
            ``missing``: neither service has polygons of the year or the :data:`YEARS_BACK`
            years before it.
        """
        if not_after is None:
            raise FetchError(
                "the boundary year of the wijk and buurt codes is unknown (47018NED is neither "
                "fetched nor in the cache), so the year of the polygons cannot be chosen"
            )
        codes = _region_codes()
        generalised = True
        tried = []
        for year in range(int(not_after), int(not_after) - YEARS_BACK - 1, -1):
            if generalised:
                boxes = _municipal_boxes(catalog, request, year, codes, spec.key)
                if boxes is None:
                    generalised = False  # no such service on this host (404): not per year
                elif boxes:
                    return {
                        "table": f"gebiedsindelingen-{year}",
                        "title": f"CBS Gebiedsindelingen {year} (gegeneraliseerd)",
                        "edition": year,
                        "boundary_year": int(not_after),
                        "route": "generalised",
                    }
            url = f"{catalog.url}{service_path(year)}/collections"
            response = requests.get(url, params={"f": "json"}, **request)
            if response.status_code != 404:
                response.raise_for_status()
                return {
                    "table": f"wijken-en-buurten-{year}",
                    "title": f"CBS Wijken en Buurten {year}",
                    "edition": year,
                    "boundary_year": int(not_after),
                    "route": "full-detail",
                    "route_reason": (
                        f"the generalised service {GENERALISED_SERVICE} has no polygons of {year} "
                        "for the region's municipalities"
                        if generalised
                        else f"{catalog.url} has no generalised service {GENERALISED_SERVICE}"
                    ),
                }
            tried.append(str(year))
        raise TableFailedError(
            f"{catalog.url} has no wijk and buurt polygons of {', '.join(tried)} for the region's "
            f"municipalities (neither the generalised {GENERALISED_SERVICE} nor "
            f"{service_path(int(not_after))}); the wijk and buurt report renders without its map",
            "missing",
        )

    def download(self, spec, table_id: str, folder: Path, catalog, request) -> dict:
        """Write the polygons of ``table_id`` (as ``locate`` named it) to ``neighbourhoods.geojson``.

        Parameters
        ----------
        spec : TableSpec
        table_id : str
            ``gebiedsindelingen-<year>`` or ``wijken-en-buurten-<year>``.
        folder : pathlib.Path
        catalog : Catalog
        request : dict

        Returns
        -------
        dict
            What ``fetch.json`` records of the download (``filter``, ``title``, ``features``, ...).
        """
        year = int(table_id.rsplit("-", 1)[1])
        generalised = table_id.startswith("gebiedsindelingen-")
        folder.mkdir(parents=True, exist_ok=True)
        codes = _region_codes()
        shown = f"{spec.key}/{BOUNDARIES_FILE}"
        with open(folder / BOUNDARIES_FILE, "w", encoding="utf-8") as out:
            writer = _Writer(out, shown)
            if generalised:
                boxes = _municipal_boxes(catalog, request, year, codes, spec.key) or {}
                _write_generalised(writer, catalog, request, year, boxes)
                asked = sorted(boxes)
            else:
                _write_full_detail(writer, catalog, request, year, codes)
                asked = codes
            writer.close()
        title = (
            f"CBS Gebiedsindelingen {year} (gegeneraliseerd)"
            if generalised
            else f"CBS Wijken en Buurten {year}"
        )
        return {
            "filter": {"gemeentecode": asked, **({"jaarcode": year} if generalised else {})},
            "select": None,
            "topics": {},
            "title": title,
            "cbs_catalog": "PDOK",
            "modified": None,
            "data_set": BOUNDARIES_FILE,
            "features": writer.count,
            "service": GENERALISED_SERVICE if generalised else service_path(year),
            "generalised": generalised,
        }

    def check(self, folder: Path, spec, offence_keys=None) -> dict:
        """Read ``neighbourhoods.geojson`` back as the offline reader does.

        Returns
        -------
        dict
            ``rows`` (features) and ``years`` (``[year, year]``).
        """
        path = Path(folder) / BOUNDARIES_FILE
        geojson = read_boundaries(path, f"{spec.key}/{BOUNDARIES_FILE}")
        year = int(geojson["features"][0]["properties"]["year"])
        return {"rows": len(geojson["features"]), "years": [year, year]}


def _municipal_boxes(catalog, request: dict, year: int, codes, key: str):
    """The bounding box (with :data:`MARGIN`) of each of ``codes`` in the generalised
    municipalities of ``year``: ``{code: "minlon,minlat,maxlon,maxlat"}`` (empty: none of them in
    that year), or ``None`` when the host has no generalised service (404)."""
    url = f"{catalog.url}{GENERALISED_SERVICE}/collections/{GENERALISED_COLLECTIONS['gemeente']}/items"
    params = {"f": "json", "jaarcode": year, "limit": PAGE_SIZE}
    wanted = set(codes)
    boxes: dict[str, list[float]] = {}
    try:
        for features in _pages(url, params, request, f"{key}/{BOUNDARIES_FILE}", "municipalities"):
            for raw in features:
                properties = (raw or {}).get("properties") if isinstance(raw, dict) else None
                if not isinstance(properties, dict):
                    continue
                code = str(properties.get("statcode") or "").strip()
                if code not in wanted or _year_of(properties) not in (year, None):
                    continue
                box = _bbox((raw.get("geometry") or {}).get("coordinates"), boxes.get(code))
                if box is not None:
                    boxes[code] = box
    except requests.HTTPError as error:
        if error.response is not None and error.response.status_code == 404:
            return None
        raise
    return {
        code: ",".join(
            f"{value:.6f}"
            for value in (box[0] - MARGIN, box[1] - MARGIN, box[2] + MARGIN, box[3] + MARGIN)
        )
        for code, box in sorted(boxes.items())
    }


def _write_generalised(writer: _Writer, catalog, request: dict, year: int, boxes: dict) -> None:
    """The generalised wijken, then buurten, of each municipality: asked for by ``jaarcode`` and
    the municipality's box, kept when the code is the municipality's and the year the year."""
    for prefix in ("WK", "BU"):
        collection = GENERALISED_COLLECTIONS[prefix]
        url = f"{catalog.url}{GENERALISED_SERVICE}/collections/{collection}/items"
        for gemeente, box in boxes.items():
            own = prefix + gemeente[2:6]
            params = {"f": "json", "jaarcode": year, "bbox": box, "limit": PAGE_SIZE}
            for features in _pages(url, params, request, writer.shown, collection):
                for raw in features:
                    feature = _feature(
                        raw, GENERALISED_KEYS, prefix, year, writer.shown, writer.count + 1
                    )
                    served_year = _year_of(raw["properties"])
                    if feature["properties"]["area_code"].startswith(own) and served_year in (
                        year,
                        None,
                    ):
                        writer.write(feature)


def _write_full_detail(writer: _Writer, catalog, request: dict, year: int, codes) -> None:
    """The full-detail wijken, then buurten, of each municipality (``gemeentecode`` filter)."""
    for kind, keys in KINDS.items():
        prefix = "WK" if kind == "wijken" else "BU"
        url = f"{catalog.url}{service_path(year)}/collections/{kind}/items"
        for code in codes:
            params = {"f": "json", "limit": PAGE_SIZE, "gemeentecode": code}
            for features in _pages(url, params, request, writer.shown, kind):
                for raw in features:
                    writer.write(_feature(raw, keys, prefix, year, writer.shown, writer.count + 1))
