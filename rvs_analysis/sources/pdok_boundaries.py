"""Wijk and buurt polygons from PDOK: the fetch route ``pdok`` and the reader of what it stores.

PDOK publishes CBS's "Wijken en Buurten <year>" map as an OGC API Features service per year,
``https://api.pdok.nl/cbs/wijken-en-buurten-<year>/ogc/v1``, with the collections ``wijken`` and
``buurten``. :class:`PdokRoute` asks for the items of each of the region's municipalities
(``/collections/<kind>/items?f=json&limit=1000&gemeentecode=GM0344``; GeoJSON in WGS84 longitude and
latitude, CRS84, PDOK's default) and follows the answers' ``links`` with ``rel`` ``next`` (pages),
writing each page's features to ``neighbourhoods.geojson`` before asking for the next, so one page
is in memory at a time. The year is the crime table's boundary year (the ``MapYear`` of 47018NED's
wijk and buurt codes); where PDOK has no service of that year the nearest earlier year (up to
:data:`YEARS_BACK` back) is taken and recorded. Coordinates are rounded to
:data:`DECIMALS` decimals (about a metre); the polygons are otherwise PDOK's, not generalised further.

Each feature keeps the properties the tidy layout's ``neighbourhoods.geojson`` has
(``area_code, area_name, area_kind, gemeente_code, year``;
:mod:`rvs_analysis.sources.neighbourhoods`), which reads and checks the file
(:func:`~rvs_analysis.sources.neighbourhoods.read_boundaries`). The route is used by
:func:`rvs_analysis.sources.cbs_fetch.fetch` like the OData route: staged, checked, swapped in with
the other tables; the request limits, proxies and the guard against other hosts apply alike.
"""

from __future__ import annotations

import json
from pathlib import Path

import requests

from rvs_analysis.exceptions import DataValidationError, FetchError, TableFailedError
from rvs_analysis.region_tables import municipality_table
from rvs_analysis.sources.neighbourhoods import AREA_KINDS, BOUNDARIES_FILE, read_boundaries

__all__ = ["DECIMALS", "KINDS", "PDOK_SERVICE", "YEARS_BACK", "PdokRoute", "service_path"]

PDOK_SERVICE = "/cbs/wijken-en-buurten-{year}/ogc/v1"
"""The path of a year's service on the catalog host (``api.pdok.nl``)."""
KINDS = {
    "wijken": ("wijkcode", "wijknaam"),
    "buurten": ("buurtcode", "buurtnaam"),
}
"""Collection -> its code and name properties (``statcode``/``statnaam`` are read as well)."""
PAGE_SIZE = 1000
"""Features asked for per page (``limit``)."""
YEARS_BACK = 3
"""Earlier years tried when PDOK has no service of the boundary year."""
DECIMALS = 5
"""Decimals kept of each coordinate (1e-5 degree: about a metre)."""


def service_path(year: int) -> str:
    """The path of the service of ``year``.

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


def _feature(raw, kind: str, year: int, shown: str, position: int) -> dict:
    """One PDOK feature as a feature of the tidy ``neighbourhoods.geojson``."""
    if not isinstance(raw, dict) or not isinstance(raw.get("properties"), dict):
        raise DataValidationError(shown, "properties", position, "expected a GeoJSON Feature")
    properties = raw["properties"]
    code_key, name_key = KINDS[kind]
    code = properties.get(code_key, properties.get("statcode"))
    name = properties.get(name_key, properties.get("statnaam"))
    if not isinstance(code, str) or code.strip()[:2] not in AREA_KINDS:
        raise DataValidationError(
            shown, code_key, position, f"expected a {kind[:-2]} code such as WK034401", code
        )
    code = code.strip()
    return {
        "type": "Feature",
        "properties": {
            "area_code": code,
            "area_name": name.strip() if isinstance(name, str) and name.strip() else code,
            "area_kind": AREA_KINDS[code[:2]],
            "gemeente_code": "GM" + code[2:6],
            "year": year,
        },
        "geometry": {
            "type": (raw.get("geometry") or {}).get("type"),
            "coordinates": _round((raw.get("geometry") or {}).get("coordinates")),
        },
    }


class PdokRoute:
    """PDOK's OGC API Features of "CBS Wijken en Buurten <year>" with ``requests``.

    ``locate`` finds the year's service (the boundary year or the nearest earlier one);
    ``download`` writes ``neighbourhoods.geojson`` into the folder; ``check`` reads it back as the
    offline reader does.
    """

    name = "pdok"
    api = "PDOK OGC API Features"

    def locate(self, spec, catalog, request: dict, not_after) -> dict:
        if not_after is None:
            raise FetchError(
                "the boundary year of the wijk and buurt codes is unknown (47018NED is neither "
                "fetched nor in the cache), so the year of the polygons cannot be chosen"
            )
        tried = []
        for year in range(int(not_after), int(not_after) - YEARS_BACK - 1, -1):
            url = f"{catalog.url}{service_path(year)}/collections"
            response = requests.get(url, params={"f": "json"}, **request)
            if response.status_code == 404:
                tried.append(str(year))
                continue
            response.raise_for_status()
            return {
                "table": f"wijken-en-buurten-{year}",
                "title": f"CBS Wijken en Buurten {year}",
                "edition": year,
                "boundary_year": int(not_after),
            }
        raise TableFailedError(
            f"{catalog.url} has no 'CBS Wijken en Buurten' service for {', '.join(tried)} "
            f"({service_path(int(not_after))}: 404 Not Found); the wijk and buurt report renders "
            "without its map",
            "missing",
        )

    def download(self, spec, table_id: str, folder: Path, catalog, request) -> dict:
        year = int(table_id.rsplit("-", 1)[1])
        folder.mkdir(parents=True, exist_ok=True)
        codes = sorted(set(municipality_table()["gemeente_code"]))
        shown = f"{spec.key}/{BOUNDARIES_FILE}"
        count = 0
        with open(folder / BOUNDARIES_FILE, "w", encoding="utf-8") as out:
            out.write('{"type": "FeatureCollection", "features": [\n')
            for kind in KINDS:
                for code in codes:
                    url = f"{catalog.url}{service_path(year)}/collections/{kind}/items"
                    params = {"f": "json", "limit": PAGE_SIZE, "gemeentecode": code}
                    while url:
                        page = _get(url, request, params)
                        features = page.get("features")
                        if not isinstance(features, list):
                            raise DataValidationError(
                                shown, "features", None, f"PDOK's page of {kind} has no features"
                            )
                        for raw in features:
                            count += 1
                            feature = _feature(raw, kind, year, shown, count)
                            out.write(("" if count == 1 else ",\n") + json.dumps(feature))
                        url, params = _next_link(page), None
            out.write("\n]}\n")
        return {
            "filter": {"gemeentecode": codes},
            "select": None,
            "topics": {},
            "title": f"CBS Wijken en Buurten {year}",
            "cbs_catalog": "PDOK",
            "modified": None,
            "data_set": BOUNDARIES_FILE,
            "features": count,
        }

    def check(self, folder: Path, spec, offence_keys=None) -> dict:
        path = Path(folder) / BOUNDARIES_FILE
        geojson = read_boundaries(path, f"{spec.key}/{BOUNDARIES_FILE}")
        year = int(geojson["features"][0]["properties"]["year"])
        return {"rows": len(geojson["features"]), "years": [year, year]}


def _next_link(page: dict) -> str | None:
    """The ``href`` of the page's ``links`` entry with ``rel`` ``next`` (``None`` on the last)."""
    for link in page.get("links") or ():
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return str(link["href"])
    return None
