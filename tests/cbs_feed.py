"""A loopback CBS OData v3 feed for tests: the real ``cbsodata`` client runs against it unchanged.

The server (standard library ``http.server`` on 127.0.0.1) answers the URLs cbsodata 1.3.5 requests:

``/ODataFeed/odata/<table>/?$format=json``
    The table's root listing: ``{"value": [{"name": "TableInfos", "url": ...}, ...]}`` (cbsodata
    downloads every part listed here).
``/ODataFeed/odata/<table>/<part>?$format=json``
    One part: ``TableInfos``, ``DataProperties`` (dimensions, topics and nested topic groups with
    ``ParentID``), ``CategoryGroups``, one list per dimension (``Key`` padded as CBS pads it,
    ``Perioden`` with ``Status`` "Voorlopig"), ``TypedDataSet`` (numbers and ``null``) and
    ``UntypedDataSet`` (right-aligned text, ``"."`` for not published). The data sets apply
    ``$filter`` (``eq``, ``ne``, ``and``, ``or``, ``not``, parentheses, ``substringof``,
    ``startswith``, ``endswith``; comparisons on the padded keys, as CBS does) and ``$select`` (only
    the named fields, unknown names are a 400 error), and are paged with ``odata.nextLink``
    (``$skiptoken``), carrying the query on.
``/ODataCatalog/Tables?$format=json``
    The catalog's table list (``TableInfos`` of every table served), with ``$filter`` applied.

Test controls (attributes of :class:`CbsFeed`): ``page_size``; ``drip_seconds`` (send every
response one byte at a time with that pause); ``break_on`` (a predicate on the request path: the
response is cut off half-way and the connection closed); ``on_request`` (a callback per request);
``rewrite`` (faults: ``rewrite(base, path, query, status, body)`` returns the ``(status, body)`` or
``(status, body, headers)`` to send instead, ``body`` as JSON-able data or raw ``bytes``, e.g. a
redirect with a ``Location`` header); ``requests`` (every path and query served, in order).

:func:`standard_tables` builds small tables in CBS's real shapes for the region: all municipalities of
the region (on 2024 boundaries for the recoded police tables, on each year's own boundaries for
70072ned), a municipality outside the region, wijk and buurt rows, ``NL00``/``NL01`` and police
units, a few offence codes and years, the newest year provisional and without its average population.
"""

from __future__ import annotations

import functools
import json
import re
import socket
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---------------------------------------------------------------------------------------------
# OData $filter, as CBS applies it
# ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<name>\w+)|(?P<punct>[(),]))"
)


class FilterError(ValueError):
    """A ``$filter`` the feed (like CBS) does not understand."""


def _tokens(text: str) -> list[tuple[str, object]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise FilterError(f"syntax error at position {position} in $filter {text!r}")
        position = match.end()
        if match["string"] is not None:
            tokens.append(("string", match["string"][1:-1].replace("''", "'")))
        elif match["number"] is not None:
            tokens.append(("number", float(match["number"])))
        elif match["name"] is not None:
            tokens.append(("name", match["name"]))
        else:
            tokens.append(("punct", match["punct"]))
    return tokens


_FUNCTIONS = {
    "substringof": lambda needle, haystack: str(needle) in str(haystack),
    "startswith": lambda value, prefix: str(value).startswith(str(prefix)),
    "endswith": lambda value, suffix: str(value).endswith(str(suffix)),
}
# comparisons with an ordering are false where either side is null, as in OData
_ORDERED = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


class _Parser:
    """Recursive descent over ``or`` > ``and`` > ``not`` > comparison > value.

    Each rule returns a Python expression over ``row`` (literals by ``repr``); the filter is
    compiled once into one predicate, so that a national table's 80,000 rows are filtered in a
    fraction of a second rather than through a closure per node and row.
    """

    def __init__(self, text: str, columns):
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0
        self.columns = set(columns)

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else (None, None)

    def take(self, kind=None, value=None):
        token = self.peek()
        if token[0] is None or (kind and token[0] != kind) or (value and token[1] != value):
            raise FilterError(f"unexpected {token[1]!r} in $filter {self.text!r}")
        self.position += 1
        return token

    def parse(self) -> str:
        expression = self.disjunction()
        if self.position != len(self.tokens):
            raise FilterError(f"unexpected {self.peek()[1]!r} in $filter {self.text!r}")
        return expression

    def disjunction(self) -> str:
        parts = [self.conjunction()]
        while self.peek() == ("name", "or"):
            self.take()
            parts.append(self.conjunction())
        return "(" + " or ".join(f"bool({part})" for part in parts) + ")"

    def conjunction(self) -> str:
        parts = [self.negation()]
        while self.peek() == ("name", "and"):
            self.take()
            parts.append(self.negation())
        return "(" + " and ".join(f"bool({part})" for part in parts) + ")"

    def negation(self) -> str:
        if self.peek() == ("name", "not"):
            self.take()
            return f"(not {self.negation()})"
        return self.comparison()

    def comparison(self) -> str:
        left = self.value()
        operator = self.peek()
        if operator[0] == "name" and operator[1] in ("eq", "ne", *_ORDERED):
            self.take()
            right = self.value()
            if operator[1] == "eq":
                return f"({left} == {right})"
            if operator[1] == "ne":
                return f"({left} != {right})"
            return (
                f"((_l := {left}) is not None and (_r := {right}) is not None "
                f"and _l {_ORDERED[operator[1]]} _r)"
            )
        return f"bool({left})"

    def value(self) -> str:
        kind, value = self.peek()
        if kind == "punct" and value == "(":
            self.take()
            inner = self.disjunction()
            self.take("punct", ")")
            return inner
        if kind in ("string", "number"):
            self.take()
            return repr(value)
        if kind == "name" and value in _FUNCTIONS:
            self.take()
            self.take("punct", "(")
            first = self.value()
            self.take("punct", ",")
            second = self.value()
            self.take("punct", ")")
            return f"_FUNCTIONS[{value!r}]({first}, {second})"
        if kind == "name":
            if value not in self.columns:
                raise FilterError(f"No property '{value}' exists in type 'TypedDataSet'")
            self.take()
            return f"row.get({value!r})"
        raise FilterError(f"unexpected {value!r} in $filter {self.text!r}")


def compile_filter(text: str, columns):
    """A predicate on a row for an OData v3 ``$filter`` over ``columns``."""
    expression = _Parser(text, columns).parse()
    return eval(f"lambda row: {expression}", {"_FUNCTIONS": _FUNCTIONS})  # noqa: S307 - built above


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


@dataclass
class FeedTable:
    """One CBS table as the feed serves it: metadata parts and typed rows with padded keys."""

    table_id: str
    catalog: str
    title: str
    properties: list[dict]
    dimensions: dict[str, list[dict]]
    rows: list[dict]
    category_groups: list[dict] = field(default_factory=list)

    def parts(self) -> list[str]:
        return [
            "TableInfos",
            "UntypedDataSet",
            "TypedDataSet",
            "DataProperties",
            "CategoryGroups",
            *self.dimensions,
        ]

    def table_infos(self) -> list[dict]:
        return [
            {
                "ID": 0,
                "Title": self.title,
                "ShortTitle": self.title[:40],
                "Identifier": self.table_id,
                "Summary": "Test table served by the loopback feed (tests/cbs_feed.py); not CBS figures.",
                "Modified": "2026-10-15T02:00:00",
                "MetaDataModified": "2026-10-15T02:00:00",
                "ReasonDelivery": "Actualisering",
                "Frequency": "Perjaar",
                "Catalog": self.catalog,
                "Language": "nl",
                "OutputStatus": "Regulier",
            }
        ]

    def columns(self) -> list[str]:
        return ["ID"] + [
            prop["Key"] for prop in self.properties if prop["Type"] not in ("TopicGroup",)
        ]

    def topic_keys(self) -> list[str]:
        return [prop["Key"] for prop in self.properties if prop["Type"] == "Topic"]

    def untyped(self, row: dict) -> dict:
        out = dict(row)
        for key in self.topic_keys():
            value = row.get(key)
            out[key] = f"{'.' if value is None else value:>10}"
        return out


def _pad(key: str, width: int) -> str:
    return key.ljust(width)


class _Properties:
    """Builds DataProperties with running IDs and positions."""

    def __init__(self):
        self.rows: list[dict] = []
        self.position = 0

    def _add(self, row: dict) -> int:
        row = {"ID": len(self.rows), **row}
        self.rows.append(row)
        return row["ID"]

    def dimension(self, key, title, kind="Dimension", **extra) -> int:
        self.position += 1
        return self._add(
            {
                "odata.type": f"Cbs.OData.{kind}",
                "Position": self.position - 1,
                "ParentID": None,
                "Type": kind,
                "Key": key,
                "Title": title,
                "Description": None,
                **extra,
            }
        )

    def group(self, key, title, parent=None) -> int:
        return self._add(
            {
                "odata.type": "Cbs.OData.TopicGroup",
                "Position": None,
                "ParentID": parent,
                "Type": "TopicGroup",
                "Key": key,
                "Title": title,
                "Description": None,
            }
        )

    def topic(self, key, title, parent=None, datatype="Long", unit="aantal", decimals=0) -> int:
        self.position += 1
        return self._add(
            {
                "odata.type": "Cbs.OData.Topic",
                "Position": self.position - 1,
                "ParentID": parent,
                "Type": "Topic",
                "Key": key,
                "Title": title,
                "Description": None,
                "Datatype": datatype,
                "Unit": unit,
                "Decimals": decimals,
                "Default": "Impossible",
                "PresentationType": "Absolute",
            }
        )


def _noise(*parts) -> float:
    """A deterministic number in [0, 1) from the parts (no global random state)."""
    return zlib.crc32("|".join(map(str, parts)).encode()) / 2**32


def _periods(years, provisional, kind="JJ"):
    rows = []
    for year in years:
        numbers = ["00"] if kind == "JJ" else [f"{month:02d}" for month in range(1, 13)]
        for number in numbers:
            title = str(year) if kind == "JJ" else f"{year} {number}"
            status = "Voorlopig" if year in provisional else "Definitief"
            rows.append(
                {
                    "Key": f"{year}{kind}{number}",
                    "Title": title + ("*" if status == "Voorlopig" else ""),
                    "Description": None,
                    "Status": status,
                }
            )
    return rows


def _population(code: str, year: int) -> int:
    return int(12_000 + 200_000 * _noise("population", code) ** 2 + 150 * (year - 2010))


OFFENCES_47018 = {
    "0.0.0": "Totaal misdrijven",
    "1.1.1": "Diefstal/inbraak woning",
    "1.1.2": "Diefstal/inbraak box/garage/schuur",
    "1.2.1": "Diefstal uit/vanaf motorvoertuigen",
    "1.2.2": "Diefstal van motorvoertuigen",
    "1.2.3": "Diefstal van brom-, snor-, fietsen",
    "1.4.2": "Moord, doodslag",
    "1.4.4": "Bedreiging",
    "1.4.5": "Mishandeling",
    "1.4.6": "Straatroof",
    "1.4.7": "Overval",
    "2.2.1": "Vernieling cq. zaakbeschadiging",
    "2.5.1": "Diefstal/inbraak bedrijven enz.",
    "3.1.1": "Drugshandel",
    "3.1.3": "Wapenhandel",
    "3.7.4": "Cybercrime",
    "3.9.1": "Horizontale fraude",
    "1.3.1": "Ongevallen (weg)",
    "2.1.1": "Drugs/drankoverlast",
}
"""Offence codes of the test 47018NED (the classification's codes plus two the suite does not read)."""

_OFFENCE_SCALE = {"0.0.0": 60.0, "1.1.1": 3.0, "1.4.6": 0.4, "1.4.7": 0.15}


def _offence_count(code: str, offence: str, period: str, population: int) -> int:
    scale = _OFFENCE_SCALE.get(offence, 1.0)
    base = population / 1000 * scale * (0.7 + 0.6 * _noise("level", code, offence))
    year = int(period[:4])
    trend = 1.0 - 0.03 * (year - 2012)
    return int(base * trend * (0.9 + 0.2 * _noise("count", code, offence, period)))


def _geo_police(region_codes, names, with_wijk=True) -> list[dict]:
    listing = [{"Key": _pad("NL00", 10), "Title": "Nederland", "Description": None}]
    listing.append({"Key": _pad("GM0000", 10), "Title": "Niet in te delen", "Description": None})
    for code in region_codes:
        listing.append({"Key": _pad(code, 10), "Title": names[code], "Description": None})
    if with_wijk:
        listing.append({"Key": _pad("WK034401", 10), "Title": "Binnenstad", "Description": None})
        listing.append(
            {"Key": _pad("BU03440101", 10), "Title": "Domplein e.o.", "Description": None}
        )
    return listing


def _police_properties() -> _Properties:
    """DataProperties of 47018NED / 47022NED: offence, wijk/buurt and period dimensions, the count
    and two text topics."""
    props = _Properties()
    props.dimension("SoortMisdrijf", "Soort misdrijf")
    props.dimension(
        "WijkenEnBuurten", "Wijken en buurten", "GeoDimension", MapYear="2024", ReleasePolicy=True
    )
    props.dimension("Perioden", "Perioden", "TimeDimension", ReleasePolicy=True)
    props.topic("GeregistreerdeMisdrijven_1", "Geregistreerde misdrijven")
    props.topic("Gemeentenaam_2", "Gemeentenaam", datatype="String", unit="")
    props.topic("SoortRegio_3", "Soort regio", datatype="String", unit="")
    return props


def _offence_listing(offences, titles) -> list[dict]:
    """The SoortMisdrijf dimension: padded keys with their titles (``titles`` first, then
    :data:`OFFENCES_47018`)."""
    return [
        {
            "Key": _pad(code, 6),
            "Title": titles.get(code, OFFENCES_47018.get(code)),
            "Description": None,
            "CategoryGroupID": None,
        }
        for code in offences
    ]


def police_table(
    table_id, years, provisional, offences, kind="JJ", municipalities=None, neighbourhood_years=None
):
    """47018NED (``kind="JJ"``) or 47022NED (``"MM"``): registered offences, recoded to 2024.

    With ``neighbourhood_years``, also the wijk and buurt rows of :func:`feed_neighbourhood_rows`
    for those years (the monthly table's municipal rows cover only ``years``; its period list
    covers both)."""
    from rvs_analysis import regions

    composition = municipalities if municipalities is not None else regions.municipalities(2024)
    names = dict(zip(composition["gemeente_code"], composition["gemeente_name"], strict=True))
    codes = [*names, "GM0363"]
    names["GM0363"] = "Amsterdam"
    props = _police_properties()
    geo = _geo_police(codes, names, with_wijk=neighbourhood_years is None)
    periods = _periods(years, provisional, kind)
    offence_listing = _offence_listing(offences, OFFENCES_47018)
    rows = []
    for offence in offences:
        for region in geo:
            key = region["Key"].strip()
            population = _population(key if key.startswith("GM") else "GM0344", 2020)
            if key == "NL00":
                population *= 60
            if key.startswith(("WK", "BU")):
                population //= 20
            for period in periods:
                count = _offence_count(key, offence, period["Key"], population)
                if kind == "MM":
                    count = max(0, count // 12)
                if key == "GM0000":
                    count = count // 50
                rows.append(
                    {
                        "ID": len(rows),
                        "SoortMisdrijf": _pad(offence, 6),
                        "WijkenEnBuurten": region["Key"],
                        "Perioden": period["Key"],
                        "GeregistreerdeMisdrijven_1": count,
                        "Gemeentenaam_2": region["Title"].ljust(40) if key[:2] != "NL" else None,
                        "SoortRegio_3": {
                            "NL": "Land",
                            "GM": "Gemeente",
                            "WK": "Wijk",
                            "BU": "Buurt",
                        }[key[:2]].ljust(10),
                    }
                )
    if neighbourhood_years is not None:
        all_periods = _periods(neighbourhood_years, provisional, kind)
        extra_geo, extra_rows = feed_neighbourhood_rows(all_periods, kind)
        geo = [*geo, *extra_geo]
        listed = {row["Key"].strip() for row in offence_listing}
        offence_listing += _offence_listing(
            [code for code in ("0.0.0", *FEED_NEIGHBOURHOOD_OFFENCES) if code not in listed],
            OFFENCES_47018,
        )
        rows += [{"ID": len(rows) + index, **row} for index, row in enumerate(extra_rows)]
        known = {period["Key"] for period in periods}
        periods = sorted(
            [*periods, *(p for p in all_periods if p["Key"] not in known)], key=lambda p: p["Key"]
        )
    title = (
        "Geregistreerde misdrijven; soort misdrijf, wijk, buurt, jaarcijfers"
        if kind == "JJ"
        else "Geregistreerde misdrijven; soort misdrijf, wijk, buurt, maandcijfers"
    )
    return FeedTable(
        table_id,
        "DATADERDEN",
        title,
        props.rows,
        {"SoortMisdrijf": offence_listing, "WijkenEnBuurten": geo, "Perioden": periods},
        rows,
    )


def population_table(years, provisional):
    """70072ned: population per municipality on each year's own boundaries; the newest year has no
    average population yet (only 1 January)."""
    from rvs_analysis import regions

    props = _Properties()
    props.dimension("RegioS", "Regio's", "GeoDimension", MapYear=None, ReleasePolicy=True)
    props.dimension("Perioden", "Perioden", "TimeDimension", ReleasePolicy=True)
    population = props.group("Bevolking", "Bevolking")
    props.topic("TotaleBevolking_1", "Totale bevolking", population)
    sex = props.group("Geslacht", "Geslacht", population)
    props.topic("Mannen_2", "Mannen", sex)
    props.topic("Vrouwen_3", "Vrouwen", sex)
    growth = props.group("Bevolkingsgroei", "Bevolkingsgroei", population)
    props.topic("LevendGeborenKinderen_48", "Levend geboren kinderen", growth)
    props.topic("GemiddeldAantalInwoners_51", "Gemiddeld aantal inwoners", growth)
    households = props.group("ParticuliereHuishoudens", "Particuliere huishoudens", population)
    props.topic(
        "GemiddeldeHuishoudensgrootte_56",
        "Gemiddelde huishoudensgrootte",
        households,
        datatype="Double",
        decimals=2,
    )
    props.topic(
        "Bevolkingsdichtheid_57", "Bevolkingsdichtheid", population, unit="aantal inwoners per km²"
    )
    names: dict[str, str] = {}
    per_year: dict[int, list[str]] = {}
    mergers = regions.mergers()
    for year in years:
        composition = regions.municipalities(year)
        names.update(zip(composition["gemeente_code"], composition["gemeente_name"], strict=True))
        codes = [*composition["gemeente_code"], "GM0363"]
        # Like CBS, every municipality of the country: here also those outside the region that took
        # part in one of its mergers (Leerdam and Zederik before Vijfheerenlanden).
        for event in mergers.itertuples(index=False):
            existing = (
                (event.old_code, event.old_name)
                if year < event.date.year or (year == event.date.year and event.date.month > 1)
                else (event.new_code, event.new_name)
            )
            if existing[0] not in codes:
                codes.append(existing[0])
            names.setdefault(*existing)
        per_year[year] = codes
    names["GM0363"] = "Amsterdam"
    geo = [{"Key": _pad("NL01", 10), "Title": "Nederland", "Description": None}]
    geo.append({"Key": _pad("PV26", 10), "Title": "Utrecht (PV)", "Description": None})
    geo += [
        {"Key": _pad(code, 10), "Title": name, "Description": None} for code, name in names.items()
    ]
    periods = _periods(years, provisional)
    newest = max(years)
    rows = []
    for period in periods:
        year = int(period["Key"][:4])
        present = ["NL01", "PV26", *per_year[year]]
        for key in present:
            total = _population(key, year) * (1400 if key == "NL01" else 25 if key == "PV26" else 1)
            rows.append(
                {
                    "ID": len(rows),
                    "RegioS": _pad(key, 10),
                    "Perioden": period["Key"],
                    "TotaleBevolking_1": total,
                    "Mannen_2": total // 2,
                    "Vrouwen_3": total - total // 2,
                    "LevendGeborenKinderen_48": total // 100,
                    "GemiddeldAantalInwoners_51": None if year == newest else total + 75,
                    "GemiddeldeHuishoudensgrootte_56": 2.2,
                    "Bevolkingsdichtheid_57": None,
                }
            )
    return FeedTable(
        "70072ned",
        "CBS",
        "Regionale kerncijfers Nederland",
        props.rows,
        {"RegioS": geo, "Perioden": periods},
        rows,
    )


CLEARED_GROUPS = {
    "T001161": "Misdrijven, totaal",
    "CRI1000": "1 Vermogensmisdrijven",
    "CRI1100": "11 Diefstal/verduistering en inbraak",
    "CRI3000": "3 Gewelds- en seksuele misdrijven",
}


def cleared_table(years, provisional):
    """83648NED: registered and cleared offences and suspects per offence group (unpadded GM keys)."""
    from rvs_analysis import regions

    props = _Properties()
    props.dimension("SoortMisdrijf", "Soort misdrijf")
    props.dimension("RegioS", "Regio's", "GeoDimension", MapYear="2024", ReleasePolicy=True)
    props.dimension("Perioden", "Perioden", "TimeDimension", ReleasePolicy=True)
    registered = props.group("GeregistreerdeMisdrijven", "Geregistreerde misdrijven")
    props.topic("TotaalGeregistreerdeMisdrijven_1", "Totaal geregistreerde misdrijven", registered)
    props.topic(
        "GeregistreerdeMisdrijvenRelatief_2",
        "Geregistreerde misdrijven, relatief",
        registered,
        datatype="Double",
        unit="%",
        decimals=1,
    )
    props.topic(
        "GeregistreerdeMisdrijvenPer1000Inw_3",
        "Geregistreerde misdrijven per 1000 inw.",
        registered,
        datatype="Double",
        unit="per 1 000 inwoners",
        decimals=1,
    )
    cleared = props.group("OpgehelderdeMisdrijven", "Opgehelderde misdrijven")
    props.topic("TotaalOpgehelderdeMisdrijven_4", "Totaal opgehelderde misdrijven", cleared)
    props.topic(
        "OpgehelderdeMisdrijvenRelatief_5",
        "Opgehelderde misdrijven, relatief",
        cleared,
        datatype="Double",
        unit="%",
        decimals=1,
    )
    props.topic("RegistratiesVanVerdachten_6", "Registraties van verdachten")
    composition = regions.municipalities(2024)
    codes = [*composition["gemeente_code"], "GM0363"]
    names = [*composition["gemeente_name"], "Amsterdam"]
    geo = [{"Key": "NL01", "Title": "Nederland", "Description": None}]
    geo += [
        {"Key": code, "Title": name, "Description": None}
        for code, name in zip(codes, names, strict=True)
    ]
    periods = _periods(years, provisional)
    groups = [
        {"Key": _pad(code, 8), "Title": title, "Description": None, "CategoryGroupID": 1}
        for code, title in CLEARED_GROUPS.items()
    ]
    rows = []
    for group in CLEARED_GROUPS:
        for region in geo:
            for period in periods:
                population = _population(region["Key"], 2020) * (
                    60 if region["Key"] == "NL01" else 1
                )
                total = _offence_count(region["Key"], "0.0.0", period["Key"], population)
                share = {"T001161": 1.0, "CRI1000": 0.55, "CRI1100": 0.45, "CRI3000": 0.1}[group]
                count = int(total * share)
                cleared_count = int(count * (0.15 + 0.1 * _noise("clear", region["Key"], group)))
                rows.append(
                    {
                        "ID": len(rows),
                        "SoortMisdrijf": _pad(group, 8),
                        "RegioS": region["Key"],
                        "Perioden": period["Key"],
                        "TotaalGeregistreerdeMisdrijven_1": count,
                        "GeregistreerdeMisdrijvenRelatief_2": 100.0 * share,
                        "GeregistreerdeMisdrijvenPer1000Inw_3": round(count / population * 1000, 1),
                        "TotaalOpgehelderdeMisdrijven_4": cleared_count,
                        "OpgehelderdeMisdrijvenRelatief_5": round(
                            100 * cleared_count / max(count, 1), 1
                        ),
                        "RegistratiesVanVerdachten_6": None
                        if region["Key"] == "GM0355"
                        else cleared_count // 2,
                    }
                )
    return FeedTable(
        "83648NED",
        "CBS",
        "Geregistreerde criminaliteit; soort misdrijf, regio",
        props.rows,
        {"SoortMisdrijf": groups, "RegioS": geo, "Perioden": periods},
        rows,
    )


def perception_table(table_id, years, provisional):
    """81877NED / 85146NED: Veiligheidsmonitor estimates with a ``Marges`` dimension, for the
    Netherlands, the police unit, a district and the municipalities of 70,000+."""
    props = _Properties()
    props.dimension("Marges", "Marges")
    props.dimension("RegioS", "Regio's", "GeoDimension", MapYear="2023", ReleasePolicy=True)
    props.dimension("Perioden", "Perioden", "TimeDimension", ReleasePolicy=True)
    feeling = props.group("Veiligheidsbeleving", "Veiligheidsbeleving")
    unsafe = props.group("Onveiligheidsgevoelens", "Onveiligheidsgevoelens", feeling)
    props.topic(
        "VoeltZichWelEensOnveilig_1",
        "Voelt zich weleens onveilig",
        unsafe,
        datatype="Double",
        unit="%",
        decimals=1,
    )
    props.topic(
        "VoeltZichWelEensOnveiligInEigenBuurt_2",
        "Voelt zich weleens onveilig in eigen buurt",
        unsafe,
        datatype="Double",
        unit="%",
        decimals=1,
    )
    problems = props.group("Buurtproblemen", "Buurtproblemen")
    props.topic(
        "RondhangendeJongeren_3",
        "Rondhangende jongeren",
        problems,
        datatype="Double",
        unit="%",
        decimals=1,
    )
    margins = [
        {"Key": "MW00000", "Title": "Waarde", "Description": None, "CategoryGroupID": None},
        {
            "Key": "MOG0095",
            "Title": "Ondergrens 95%-interval",
            "Description": None,
            "CategoryGroupID": None,
        },
        {
            "Key": "MBG0095",
            "Title": "Bovengrens 95%-interval",
            "Description": None,
            "CategoryGroupID": None,
        },
    ]
    areas = {
        "NL01": "Nederland",
        "RE09": "Midden-Nederland (RE)",
        "DI0901": "Stad Utrecht (DI)",
        "GM0034": "Almere",
        "GM0307": "Amersfoort",
        "GM0402": "Hilversum",
        "GM0344": "Utrecht",
        "GM0345": "Veenendaal",
        "GM0356": "Nieuwegein",
        "GM0363": "Amsterdam",
    }
    geo = [
        {"Key": _pad(code, 8), "Title": title, "Description": None} for code, title in areas.items()
    ]
    periods = _periods(years, provisional)
    rows = []
    for margin in ("MW00000", "MOG0095", "MBG0095"):
        for region in geo:
            for period in periods:
                values = {}
                for position, key in enumerate(
                    (
                        "VoeltZichWelEensOnveilig_1",
                        "VoeltZichWelEensOnveiligInEigenBuurt_2",
                        "RondhangendeJongeren_3",
                    )
                ):
                    value = 15 + 20 * _noise("vm", region["Key"], period["Key"], position)
                    width = 1.0 if region["Key"].startswith("NL") else 3.0
                    shift = {"MW00000": 0.0, "MOG0095": -width, "MBG0095": width}[margin]
                    values[key] = round(value + shift, 1)
                rows.append(
                    {
                        "ID": len(rows),
                        "Marges": margin,
                        "RegioS": region["Key"],
                        "Perioden": period["Key"],
                        **values,
                    }
                )
    title = (
        "(On)veiligheidsbeleving; regio (2012-2019)"
        if table_id == "81877NED"
        else "Veiligheidsmonitor; kerncijfers, regio"
    )
    return FeedTable(
        table_id,
        "CBS",
        title,
        props.rows,
        {"Marges": margins, "RegioS": geo, "Perioden": periods},
        rows,
    )


def areas_table():
    """85755NED "Gebieden in Nederland 2024" in CBS's layout: per municipality (``RegioS``) a topic
    group "Codes en namen van gemeenten" (Code, Naam, Sortering naam) and a group "Lokaliseringen
    van gemeenten" whose subgroups (COROP-gebieden, Politie Regionale eenheden, Provincies,
    Veiligheidsregio's, ...) each hold a topic "Code" and a topic "Naam"; codes and names padded
    with spaces; no time dimension.

    Titles and nesting follow CBS's published metadata of the series (83287ned, 2016: "Politie
    Regionale eenheden" > Code ``RE01``, Naam "Noord-Nederland"; 85755NED, 2024: Provincies under
    ``Code_28`` / ``Naam_29``). The other 2024 keys are inferred (CBS numbers topics in order, the
    subgroups alphabetically); the reader resolves by title and group, never by key.
    """
    from rvs_analysis import regions

    props = _Properties()
    props.dimension("RegioS", "Regio's", "GeoDimension", MapYear="2024", ReleasePolicy=True)
    names_group = props.group("CodesEnNamenVanGemeenten", "Codes en namen van gemeenten")
    for key, title in (
        ("Code_1", "Code"),
        ("Naam_2", "Naam"),
        ("SorteringNaam_3", "Sortering naam"),
    ):
        props.topic(
            key, title, names_group, datatype="String", unit="code" if key == "Code_1" else "naam"
        )
    located = props.group("LokaliseringenVanGemeenten", "Lokaliseringen van gemeenten")
    subgroups = {
        "PolitieRegionaleEenheden": ("Politie Regionale eenheden", "Code_26", "Naam_27"),
        "Provincies": ("Provincies", "Code_28", "Naam_29"),
        "Veiligheidsregios": ("Veiligheidsregio's", "Code_40", "Naam_41"),
    }
    for key, (title, code, name) in subgroups.items():
        parent = props.group(key, title, located)
        props.topic(code, "Code", parent, datatype="String", unit="code")
        props.topic(name, "Naam", parent, datatype="String", unit="naam")
    composition = regions.municipalities(2024)
    names = dict(zip(composition["gemeente_code"], composition["gemeente_name"], strict=True))
    names["GM0363"] = "Amsterdam"
    district = dict(zip(composition["gemeente_code"], composition["district"], strict=True))
    # province and safety region by the region's district (Amsterdam: police unit Amsterdam)
    located_in = {
        "Flevoland": ("PV24", "Flevoland", "VR25", "Flevoland"),
        "Gooi en Vechtstreek": ("PV27", "Noord-Holland", "VR14", "Gooi en Vechtstreek"),
        None: ("PV26", "Utrecht", "VR09", "Utrecht"),
        "Amsterdam": ("PV27", "Noord-Holland", "VR13", "Amsterdam-Amstelland"),
    }
    geo = [
        {"Key": _pad(code, 10), "Title": name, "Description": None} for code, name in names.items()
    ]
    rows = []
    for code, name in names.items():
        amsterdam = code == "GM0363"
        of = "Amsterdam" if amsterdam else district[code]
        province, province_name, safety, safety_name = located_in.get(of, located_in[None])
        rows.append(
            {
                "ID": len(rows),
                "RegioS": _pad(code, 10),
                "Code_1": code.ljust(10),
                "Naam_2": name.ljust(50),
                "SorteringNaam_3": name.ljust(50),
                "Code_26": ("RE05" if amsterdam else "RE09").ljust(10),
                "Naam_27": ("Amsterdam" if amsterdam else "Midden-Nederland").ljust(50),
                "Code_28": province.ljust(10),
                "Naam_29": province_name.ljust(50),
                "Code_40": safety.ljust(10),
                "Naam_41": safety_name.ljust(50),
            }
        )
    return FeedTable(
        "85755NED",
        "CBS",
        "Gebieden in Nederland 2024",
        props.rows,
        {"RegioS": geo},
        rows,
    )


@functools.lru_cache(maxsize=4)
def _standard_tables(years, provisional):
    years = list(years)
    return {
        table.table_id: table
        for table in (
            police_table(
                "47018NED", years, provisional, list(OFFENCES_47018), neighbourhood_years=years
            ),
            police_table(
                "47022NED",
                years[-2:],
                provisional,
                ["0.0.0", "1.1.1", "1.4.6"],
                kind="MM",
                neighbourhood_years=years,
            ),
            population_table(years, provisional),
            cleared_table(years, provisional),
            perception_table("81877NED", [2015, 2016, 2017, 2019], ()),
            perception_table("85146NED", [2021, 2023], (2023,)),
            areas_table(),
            *(
                kerncijfers_table(year, feed_neighbourhood_areas(), FEED_KERNCIJFERS_EDITIONS)
                for year in FEED_KERNCIJFERS_EDITIONS
            ),
        )
    }


# ---------------------------------------------------------------------------------------------
# Wijk and buurt tables (issue 31)
# ---------------------------------------------------------------------------------------------

NEIGHBOURHOOD_AREAS = {
    # code: (title, inhabitants); Utrecht and Amersfoort are the region's, Amsterdam is not
    "GM0344": ("Utrecht", 360000),
    "WK034401": ("Binnenstad", 18000),
    "BU03440101": ("Domplein e.o.", 6000),
    "BU03440102": ("Lange Nieuwstraat e.o.", 12000),
    "BU03440103": ("Havens (bedrijven)", None),
    "WK034402": ("Oost", 30000),
    "BU03440201": ("Watervogelbuurt", 30000),
    "GM0307": ("Amersfoort", 160000),
    "WK030701": ("Stadskern", 9000),
    "BU03070101": ("Binnenstad", 9000),
    "GM0363": ("Amsterdam", 930000),
    "WK036301": ("Burgwallen-Oude Zijde", 4300),
    "BU03630101": ("Kop Zeedijk", 1200),
}
"""The feed's wijken and buurten: GeoDetail-like columns name the municipality and the kind."""
NEIGHBOURHOOD_WITHHELD = "BU03440103"
"""A buurt whose every cell is ``null`` (CBS: not published)."""
NEIGHBOURHOOD_FEED_OFFENCES = ("0.0.0", "1.1.1", "1.2.3", "1.4.7")
"""Offences served; 1.4.7 is not among the suite's wijk and buurt codes (filtered out by CBS)."""
KERNCIJFERS_EDITIONS = {2023: "85618NED", 2024: "85984NED"}


def _neighbourhood_geo() -> list[dict]:
    return [
        {"Key": _pad(code, 10), "Title": title, "Description": None}
        for code, (title, _) in NEIGHBOURHOOD_AREAS.items()
    ]


def _geo_detail(code: str) -> dict:
    municipality = NEIGHBOURHOOD_AREAS["GM" + code[2:6]][0]
    kind = {"GM": "Gemeente", "WK": "Wijk", "BU": "Buurt"}[code[:2]]
    return {"Gemeentenaam_2": municipality.ljust(40), "SoortRegio_3": kind.ljust(10)}


def neighbourhood_police_table(table_id="47018NED", kind="JJ") -> FeedTable:
    """47018NED (``kind="JJ"``, 2022-2023) or 47022NED (``"MM"``, 2023, 2024 provisional): GM, WK
    and BU rows with GeoDetail-like columns, ``null`` in every cell of the withheld buurt and a
    surge of 1.2.3 in BU03440102 in the latest months."""
    props = _police_properties()
    years, provisional = ((2022, 2023), ()) if kind == "JJ" else ((2023, 2024), (2024,))
    periods = _periods(years, provisional, kind)
    if kind == "MM":  # 2024 up to February, the latest provisional
        periods = [p for p in periods if p["Key"] <= "2024MM02"]
    rows = []
    for offence in NEIGHBOURHOOD_FEED_OFFENCES:
        for code, (_, people) in NEIGHBOURHOOD_AREAS.items():
            for period in periods:
                count = None
                if code != NEIGHBOURHOOD_WITHHELD:
                    base = _offence_count(code, offence, period["Key"], people or 1000)
                    count = max(0, base // 12) if kind == "MM" else base
                    if offence == "1.2.3" and code == "BU03440102" and period["Key"] >= "2024":
                        count = 3 * count + 5
                rows.append(
                    {
                        "ID": len(rows),
                        "SoortMisdrijf": _pad(offence, 6),
                        "WijkenEnBuurten": _pad(code, 10),
                        "Perioden": period["Key"],
                        "GeregistreerdeMisdrijven_1": count,
                        **_geo_detail(code),
                    }
                )
    title = (
        "Geregistreerde misdrijven; soort misdrijf, wijk, buurt, jaarcijfers"
        if kind == "JJ"
        else "Geregistreerde misdrijven; soort misdrijf, wijk, buurt, maandcijfers"
    )
    return FeedTable(
        table_id,
        "DATADERDEN",
        title,
        props.rows,
        {
            "SoortMisdrijf": _offence_listing(list(NEIGHBOURHOOD_FEED_OFFENCES), OFFENCES_47018),
            "WijkenEnBuurten": _neighbourhood_geo(),
            "Perioden": periods,
        },
        rows,
    )


def kerncijfers_table(year: int, areas=None, editions=None) -> FeedTable:
    """ "Kerncijfers wijken en buurten <year>": one edition (its own identifier, from ``editions``,
    default :data:`KERNCIJFERS_EDITIONS`), no period dimension, the inhabitants topic ``null`` for
    the withheld buurt; ``areas`` (code -> (name, inhabitants)) default
    :data:`NEIGHBOURHOOD_AREAS`."""
    areas = NEIGHBOURHOOD_AREAS if areas is None else areas
    editions = KERNCIJFERS_EDITIONS if editions is None else editions
    props = _Properties()
    props.dimension("WijkenEnBuurten", "Wijken en buurten", "GeoDimension", MapYear=str(year))
    props.topic("Gemeentenaam_1", "Gemeentenaam", datatype="String", unit="")
    props.topic("SoortRegio_2", "Soort regio", datatype="String", unit="")
    props.topic("Codering_3", "Codering", datatype="String", unit="")
    props.topic("AantalInwoners_5", "Aantal inwoners")
    props.topic("Mannen_6", "Mannen")
    rows = []
    for code, (_, people) in areas.items():
        detail = _geo_detail(code)
        if people is None:
            count = None
        elif areas is NEIGHBOURHOOD_AREAS:
            count = people + 10 * (year - 2023)
        else:
            count = round(people * (1 + 0.01 * (year - 2013)))
        rows.append(
            {
                "ID": len(rows),
                "WijkenEnBuurten": _pad(code, 10),
                "Gemeentenaam_1": detail["Gemeentenaam_2"],
                "SoortRegio_2": detail["SoortRegio_3"],
                "Codering_3": code.ljust(10),
                "AantalInwoners_5": count,
                "Mannen_6": None if count is None else count // 2,
            }
        )
    return FeedTable(
        editions[year],
        "CBS",
        f"Kerncijfers wijken en buurten {year}",
        props.rows,
        {
            "WijkenEnBuurten": [
                {"Key": _pad(code, 10), "Title": title, "Description": None}
                for code, (title, _) in areas.items()
            ]
        },
        rows,
    )


def neighbourhood_tables() -> dict[str, FeedTable]:
    """The wijk and buurt tables by identifier: 47018NED and 47022NED and two Kerncijfers
    editions (a feed of their own: ``CbsFeed(neighbourhood_tables())``)."""
    tables = [
        neighbourhood_police_table("47018NED", "JJ"),
        neighbourhood_police_table("47022NED", "MM"),
        *(kerncijfers_table(year) for year in KERNCIJFERS_EDITIONS),
    ]
    return {table.table_id: table for table in tables}


def standard_tables(years=(2013, 2014, 2015, 2016, 2017, 2018), provisional=(2018,)):
    """Every table ``rvs fetch`` downloads, small, in CBS's shapes (see the module docstring).

    Built once per set of arguments; the returned dict is a fresh copy (drop a table from it to
    make the feed answer 404), the tables themselves are shared and must not be changed.
    """
    return dict(_standard_tables(tuple(years), tuple(provisional)))


# ---------------------------------------------------------------------------------------------
# Wijk and buurt rows of the standard feed, with planted truths (issue 31)
# ---------------------------------------------------------------------------------------------

FEED_WIJKEN = {
    "GM0344": (
        "Binnenstad",
        "Oost",
        "Leidsche Rijn",
        "Zuid",
        "Zuidwest",
        "West",
        "Noordwest",
        "Overvecht",
        "Noordoost",
        "Vleuten-De Meern",
    ),
    "GM0307": ("Stadskern", "Noord", "Vathorst"),
    "GM0363": ("Burgwallen-Oude Zijde",),  # outside the region: the server-side filter drops it
}
"""The wijken of the standard feed by municipality; each has :data:`FEED_BUURTEN_PER_WIJK`
buurten named ``<wijk>, buurt <n>`` (codes ``WK<gemeente><nn>``, ``BU<gemeente><nn><mm>``)."""
FEED_BUURTEN_PER_WIJK = 4
FEED_NEIGHBOURHOOD_OFFENCES = {
    "1.1.1": 0.05,
    "1.2.3": 0.14,
    "1.4.5": 0.06,
    "2.2.1": 0.10,
}
"""The offence types of the wijk and buurt rows with their share of all offences; ``0.0.0`` is
their sum plus the other offences (as CBS's total)."""
FEED_RATE_PER_1000 = 60.0
"""Offences per 1,000 inhabitants a year of an ordinary buurt (before its own level)."""

FEED_HOT_SPOT = "BU03440302"
"""Planted persistent hot spot: every offence at 4x an ordinary buurt's level in each of the last
five years of the yearly and monthly rows (3.4-3.6x Utrecht's rate, which includes it)."""
FEED_HOT_SPOT_FACTOR = 4.0
FEED_SURGE = ("BU03440603", "1.2.3")
"""Planted surge: bicycle theft in this buurt at 3x its expectation over the last three months
(the total 0.0.0 rises by the same offences)."""
FEED_SURGE_FACTOR = 3.0
FEED_WITHHELD_BUURT = "BU03440104"
"""A buurt whose every cell is ``null`` (counts and inhabitants: not published)."""
FEED_WITHHELD_MONTHS_BUURT = "BU03440804"
"""A small buurt whose monthly cells are ``null`` in the odd months (its yearly cells published)."""
FEED_PLANTED = {
    "hot_spot": FEED_HOT_SPOT,
    "surge": FEED_SURGE,
    "withheld_buurt": FEED_WITHHELD_BUURT,
    "withheld_months_buurt": FEED_WITHHELD_MONTHS_BUURT,
}
"""What the standard feed plants in Utrecht's buurten, for tests of the wijk and buurt report."""
FEED_KERNCIJFERS_EDITIONS = {2014: "82931NED", 2016: "83487NED", 2017: "83765NED", 2018: "84286NED"}
"""The standard feed's "Kerncijfers wijken en buurten <year>" editions (CBS's identifiers); 2013
and 2015 have none."""


def feed_neighbourhood_areas() -> dict[str, tuple[str, int | None]]:
    """Code -> (name, inhabitants in 2013) of the standard feed's wijken and buurten."""
    areas: dict[str, tuple[str, int | None]] = {}
    for gemeente, wijken in FEED_WIJKEN.items():
        for number, wijk in enumerate(wijken, start=1):
            wijk_code = f"WK{gemeente[2:]}{number:02d}"
            buurten = {}
            for index in range(1, FEED_BUURTEN_PER_WIJK + 1):
                code = f"BU{gemeente[2:]}{number:02d}{index:02d}"
                people = int(1500 + 6500 * _noise("buurt inhabitants", code))
                if code == FEED_WITHHELD_MONTHS_BUURT:
                    people = 240
                buurten[code] = (f"{wijk}, buurt {index}", people)
            total = sum(people for _, people in buurten.values())
            areas[wijk_code] = (wijk, total)
            areas.update(buurten)
    name, people = areas[FEED_WITHHELD_BUURT]
    areas[FEED_WITHHELD_BUURT] = (name, None)
    return areas


@functools.lru_cache(maxsize=4)
def feed_neighbourhood_counts(years: tuple[int, ...]) -> dict:
    """Monthly counts of every buurt and wijk: ``{(code, offence, year, month): count}``.

    Poisson counts around a buurt's own level (gamma, shape 8; 1 for the planted buurten), a 15%
    seasonal swing and a trend
    of -2% a year, with the planted hot spot and surge; a wijk's count is the sum of its buurten's
    (including withheld ones). Seeded: the same counts every run.
    """
    import numpy as np

    rng = np.random.default_rng(31)
    areas = feed_neighbourhood_areas()
    counts: dict[tuple[str, str, int, int], int] = {}
    first, last = years[0], years[-1]
    surge_months = {(last, month) for month in (10, 11, 12)}
    for code, (_, people) in areas.items():
        if not code.startswith("BU"):
            continue
        people = people or 400  # the withheld buurt has offences, CBS does not publish them
        level = rng.gamma(8.0, 1 / 8.0)
        if code in (FEED_HOT_SPOT, FEED_SURGE[0]):
            level = 1.0  # ordinary buurten but for what is planted
        for year in years:
            hot = code == FEED_HOT_SPOT and year > last - 5
            for month in range(1, 13):
                season = 1 + 0.15 * np.cos(2 * np.pi * (month - 1) / 12)
                mean = people / 1000 * FEED_RATE_PER_1000 / 12 * level * season
                mean *= (1 - 0.02 * (year - first)) * (FEED_HOT_SPOT_FACTOR if hot else 1.0)
                total = 0
                for offence, share in FEED_NEIGHBOURHOOD_OFFENCES.items():
                    expected = mean * share
                    if (code, offence) == FEED_SURGE and (year, month) in surge_months:
                        expected *= FEED_SURGE_FACTOR
                    value = int(rng.poisson(expected))
                    counts[code, offence, year, month] = value
                    total += value
                other = 1 - sum(FEED_NEIGHBOURHOOD_OFFENCES.values())
                counts[code, "0.0.0", year, month] = total + int(rng.poisson(mean * other))
    for key, value in list(counts.items()):
        wijk = "WK" + key[0][2:8]
        counts[(wijk, *key[1:])] = counts.get((wijk, *key[1:]), 0) + value
    return counts


def _feed_withheld(code: str, kind: str, month: int) -> bool:
    if code == FEED_WITHHELD_BUURT:
        return True
    return kind == "MM" and code == FEED_WITHHELD_MONTHS_BUURT and month % 2 == 1


def feed_neighbourhood_rows(periods, kind: str) -> tuple[list[dict], list[dict]]:
    """The wijk and buurt entries of the police tables' ``WijkenEnBuurten`` list and their rows
    (without ``ID``) for ``periods`` (``JJ``: the sum of the year's months)."""
    areas = feed_neighbourhood_areas()
    years = tuple(sorted({int(period["Key"][:4]) for period in periods}))
    counts = feed_neighbourhood_counts(years)
    geo = [
        {"Key": _pad(code, 10), "Title": name, "Description": None}
        for code, (name, _) in areas.items()
    ]
    municipality = {"GM0344": "Utrecht", "GM0307": "Amersfoort", "GM0363": "Amsterdam"}
    rows = []
    for offence in ("0.0.0", *FEED_NEIGHBOURHOOD_OFFENCES):
        for code in areas:
            for period in periods:
                year, number = int(period["Key"][:4]), int(period["Key"][-2:])
                months = range(1, 13) if kind == "JJ" else (number,)
                value = sum(counts[code, offence, year, month] for month in months)
                rows.append(
                    {
                        "SoortMisdrijf": _pad(offence, 6),
                        "WijkenEnBuurten": _pad(code, 10),
                        "Perioden": period["Key"],
                        "GeregistreerdeMisdrijven_1": None
                        if _feed_withheld(code, kind, number)
                        else value,
                        "Gemeentenaam_2": municipality["GM" + code[2:6]].ljust(40),
                        "SoortRegio_3": ("Wijk" if code.startswith("WK") else "Buurt").ljust(10),
                    }
                )
    return geo, rows


FEED_BOUNDARY_YEAR = 2024
"""The year of the polygons the feed serves as PDOK does (the police tables' ``MapYear``)."""
FEED_NEIGHBOUR_BUURT = "BU03639901"
"""A buurt of a municipality outside the region (Amsterdam) whose generalised polygon lies inside
Utrecht's bounding box: a fetch asking by Utrecht's box gets it and must drop it."""
_FEED_ORIGINS = {"GM0344": (5.05, 52.05), "GM0307": (5.35, 52.13), "GM0363": (4.85, 52.35)}
_FEED_MUNICIPALITIES = {"GM0344": "Utrecht", "GM0307": "Amersfoort", "GM0363": "Amsterdam"}


def _feed_square(code: str, shift: float = 0.0) -> list[list[float]]:
    """The ring of a feed area: a wijk a strip of its municipality's square, a buurt a quarter of
    its wijk, a municipality the square (WGS84 longitude and latitude)."""
    x0, y0 = _FEED_ORIGINS["GM" + code[2:6]]
    x0 += shift
    if code.startswith("GM"):
        wijken = len(FEED_WIJKEN.get(code, ())) or 1
        left, right, bottom, top = x0, x0 + 0.01 * wijken, y0, y0 + 0.04
    else:
        wijk = int(code[6:8])
        left, right, bottom, top = x0 + 0.01 * (wijk - 1), x0 + 0.01 * wijk, y0, y0 + 0.04
        if code.startswith("BU"):
            buurt = int(code[8:10])
            bottom, top = y0 + 0.01 * (buurt - 1), y0 + 0.01 * buurt
    return [[left, bottom], [right, bottom], [right, top], [left, top], [left, bottom]]


def feed_boundaries() -> dict[str, list[dict]]:
    """The standard feed's wijk and buurt polygons as PDOK's full-detail OGC API Features "CBS
    Wijken en Buurten <year>" serves them (collection -> features with its property names)."""
    served: dict[str, list[dict]] = {"wijken": [], "buurten": []}
    for code, (name, _) in feed_neighbourhood_areas().items():
        gemeente = "GM" + code[2:6]
        kind = "wijken" if code.startswith("WK") else "buurten"
        properties = {"gemeentecode": gemeente, "gemeentenaam": _FEED_MUNICIPALITIES[gemeente]}
        if kind == "wijken":
            properties.update({"wijkcode": code, "wijknaam": name})
        else:
            properties.update({"buurtcode": code, "buurtnaam": name, "wijkcode": "WK" + code[2:8]})
        served[kind].append(
            {
                "type": "Feature",
                "id": len(served[kind]) + 1,
                "properties": properties,
                "geometry": {"type": "MultiPolygon", "coordinates": [[_feed_square(code)]]},
            }
        )
    return served


def feed_gebiedsindelingen(years=(FEED_BOUNDARY_YEAR - 1, FEED_BOUNDARY_YEAR)) -> dict[str, list]:
    """The standard feed's municipalities, wijken and buurten as PDOK's generalised "CBS
    Gebiedsindelingen" serves them: collection -> features of every year (``statcode``,
    ``statnaam``, ``jaarcode``). The polygons of a year before :data:`FEED_BOUNDARY_YEAR` lie
    0.5 degree east and their names end in the year, so a fetch of the wrong year shows; a buurt
    of Amsterdam (:data:`FEED_NEIGHBOUR_BUURT`) lies inside Utrecht's box."""
    served: dict[str, list[dict]] = {
        "gemeente_gegeneraliseerd": [],
        "wijk_gegeneraliseerd": [],
        "buurt_gegeneraliseerd": [],
    }
    areas = {
        **{code: (name, None) for code, name in _FEED_MUNICIPALITIES.items()},
        **feed_neighbourhood_areas(),
    }
    for year in years:
        shift = 0.0 if year == FEED_BOUNDARY_YEAR else 0.5
        suffix = "" if year == FEED_BOUNDARY_YEAR else f" ({year})"
        for code, (name, _) in areas.items():
            collection = {"GM": "gemeente", "WK": "wijk", "BU": "buurt"}[code[:2]]
            ring = _feed_square(code, shift)
            served[f"{collection}_gegeneraliseerd"].append(
                _generalised_feature(
                    code, name + suffix, year, ring, len(served[collection + "_gegeneraliseerd"])
                )
            )
        ring = [[x + 0.005, y + 0.005] for x, y in _feed_square("BU03440101", shift)]
        served["buurt_gegeneraliseerd"].append(
            _generalised_feature(
                FEED_NEIGHBOUR_BUURT, "Buurman buiten de regio" + suffix, year, ring, 0
            )
        )
    return served


def _generalised_feature(code: str, name: str, year: int, ring, number: int) -> dict:
    return {
        "type": "Feature",
        "id": f"{year}{code}{number}",
        "properties": {
            "statcode": code,
            "statnaam": name,
            "jaarcode": year,
            "jrstatcode": f"{year}{code}",
            "rubriek": {"GM": "gemeente", "WK": "wijk", "BU": "buurt"}[code[:2]],
        },
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def _ring_box(geometry: dict) -> tuple[float, float, float, float]:
    points = []

    def walk(value):
        if value and isinstance(value[0], int | float):
            points.append(value)
        else:
            for item in value:
                walk(item)

    walk(geometry.get("coordinates") or [])
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):  # noqa: N802 - the http.server API
        feed = self.server.feed
        parsed = urllib.parse.urlsplit(self.path)
        query = {
            key: values[-1]
            for key, values in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()
        }
        feed.requests.append((parsed.path, query))
        if feed.on_request is not None:
            feed.on_request(parsed.path, query)
        base = f"http://{self.headers.get('Host')}"
        try:
            status, body = feed.answer(base, parsed.path, query)
        except FilterError as error:
            status, body = (
                400,
                {"odata.error": {"code": "", "message": {"lang": "en-US", "value": str(error)}}},
            )
        headers = {}
        if feed.rewrite is not None:
            status, body, *more = feed.rewrite(base, parsed.path, query, status, body)
            headers = more[0] if more else {}
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header(
            "Content-Type", "application/json;odata=minimalmetadata;streaming=true;charset=utf-8"
        )
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            if feed.break_on is not None and feed.break_on(parsed.path, query):
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if feed.drip_seconds:
                for position in range(len(data)):
                    if feed.stopping.is_set():
                        return
                    self.wfile.write(data[position : position + 1])
                    self.wfile.flush()
                    time.sleep(feed.drip_seconds)
                return
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    feed: CbsFeed


class CbsFeed:
    """A running loopback feed; use as a context manager (``with CbsFeed(tables) as feed``).

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:PORT``, the catalog URL to give ``rvs fetch --catalog``.
    """

    def __init__(self, tables=None, page_size=500, boundaries=None, gebiedsindelingen=None):
        self.tables = standard_tables() if tables is None else tables
        self.boundaries = (
            {FEED_BOUNDARY_YEAR: feed_boundaries()} if boundaries is None else boundaries
        )
        """PDOK's full-detail "CBS Wijken en Buurten <year>" services: year -> collection ->
        features (``{}``: no service of any year, every request a 404)."""
        self.gebiedsindelingen = (
            feed_gebiedsindelingen() if gebiedsindelingen is None else gebiedsindelingen
        )
        """PDOK's generalised "CBS Gebiedsindelingen": collection -> features of every year
        (``{}``: no such service, every request a 404)."""
        self.page_size = page_size
        self.drip_seconds = 0.0
        self.break_on = None
        self.on_request = None
        self.rewrite = None
        self.requests: list[tuple[str, dict]] = []
        self.stopping = threading.Event()
        # the rows a $filter kept, for the next pages of the same download (see _data_set)
        self._filtered: dict[tuple, tuple[list, int, list]] = {}
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.feed = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def data_requests(self, table_id: str, part: str = "TypedDataSet") -> list[dict]:
        """The queries of every request for one data set part of one table."""
        path = f"/ODataFeed/odata/{table_id}/{part}"
        return [query for served, query in self.requests if served == path]

    # --- answers -------------------------------------------------------------------------------

    def answer(self, base: str, path: str, query: dict) -> tuple[int, dict]:
        if path.startswith("/cbs/wijken-en-buurten-"):
            return self._pdok(base, path, query)
        if path.startswith("/cbs/gebiedsindelingen/"):
            return self._gebiedsindelingen(base, path, query)
        if query.get("$format") != "json":
            return 406, {
                "odata.error": {
                    "code": "",
                    "message": {"lang": "en-US", "value": "use $format=json"},
                }
            }
        if path.rstrip("/") == "/ODataCatalog/Tables":
            listing = [table.table_infos()[0] for table in self.tables.values()]
            if query.get("$filter"):
                predicate = compile_filter(query["$filter"], listing[0] if listing else ())
                listing = [row for row in listing if predicate(row)]
            return 200, {
                "odata.metadata": f"{base}/ODataCatalog/$metadata#Tables",
                "value": listing,
            }
        match = re.fullmatch(r"/ODataFeed/odata/(?P<table>[^/]+)/?(?P<part>[^/]*)", path)
        table = self.tables.get(match["table"]) if match else None
        if table is None:
            return 404, {
                "odata.error": {
                    "code": "",
                    "message": {"lang": "en-US", "value": "Resource not found"},
                }
            }
        root = f"{base}/ODataFeed/odata/{table.table_id}"
        part = match["part"]
        if not part:
            return 200, {
                "odata.metadata": f"{root}/$metadata",
                "value": [{"name": name, "url": f"{root}/{name}"} for name in table.parts()],
            }
        if part in ("TypedDataSet", "UntypedDataSet"):
            return 200, self._data_set(table, part, root, query)
        listing = {
            "TableInfos": table.table_infos(),
            "DataProperties": table.properties,
            "CategoryGroups": table.category_groups,
            **table.dimensions,
        }.get(part)
        if listing is None:
            return 404, {
                "odata.error": {
                    "code": "",
                    "message": {"lang": "en-US", "value": "Resource not found"},
                }
            }
        return 200, {
            "odata.metadata": f"{root}/$metadata#Cbs.OData.WebAPI.{part}",
            "value": listing,
        }

    def _pdok(self, base: str, path: str, query: dict) -> tuple[int, dict]:
        """PDOK's OGC API Features of one year: ``/collections`` and ``/collections/<kind>/items``
        filtered by ``gemeentecode``, paged by ``limit`` with a ``next`` link (``cursor``)."""
        match = re.fullmatch(
            r"/cbs/wijken-en-buurten-(?P<year>\d{4})/ogc/v1/collections(?:/(?P<kind>\w+)/items)?",
            path,
        )
        service = self.boundaries.get(int(match["year"])) if match else None
        if service is None or (match["kind"] and match["kind"] not in service):
            return 404, {"code": "NotFound", "description": "Not Found"}
        if query.get("f") != "json":
            return 400, {"code": "BadRequest", "description": "use f=json"}
        if not match["kind"]:
            return 200, {"collections": [{"id": kind} for kind in service], "links": []}
        features = [
            feature
            for feature in service[match["kind"]]
            if feature["properties"]["gemeentecode"] == query.get("gemeentecode", "")
            or "gemeentecode" not in query
        ]
        limit, start = int(query.get("limit") or 10), int(query.get("cursor") or 0)
        return 200, _feature_page(base, path, query, features, start, limit)

    def _gebiedsindelingen(self, base: str, path: str, query: dict) -> tuple[int, dict]:
        """PDOK's generalised "CBS Gebiedsindelingen": ``/collections`` and
        ``/collections/<collection>/items`` filtered by ``jaarcode`` and ``bbox`` (a feature is
        kept when its bounding box meets the box), paged by ``limit`` (at most 1000) with a
        ``next`` link (``cursor``). Any other query parameter is a 400, as PDOK answers a filter
        on a property that is not queryable."""
        match = re.fullmatch(
            r"/cbs/gebiedsindelingen/ogc/v1/collections(?:/(?P<collection>\w+)/items)?", path
        )
        service = self.gebiedsindelingen
        if (
            not service
            or match is None
            or (match["collection"] and match["collection"] not in service)
        ):
            return 404, {"code": "NotFound", "description": "Not Found"}
        unknown = set(query) - {"f", "limit", "jaarcode", "bbox", "cursor"}
        if query.get("f") != "json" or unknown:
            return 400, {"code": "BadRequest", "description": f"unknown parameters {unknown}"}
        if not match["collection"]:
            return 200, {"collections": [{"id": name} for name in service], "links": []}
        limit = int(query.get("limit") or 10)
        if not 1 <= limit <= 1000:
            return 400, {"code": "BadRequest", "description": "limit must be 1-1000"}
        features = service[match["collection"]]
        if "jaarcode" in query:
            features = [
                f for f in features if str(f["properties"]["jaarcode"]) == query["jaarcode"]
            ]
        if "bbox" in query:
            x0, y0, x1, y1 = (float(value) for value in query["bbox"].split(","))
            features = [
                f
                for f in features
                if (box := _ring_box(f["geometry"]))[0] <= x1
                and box[2] >= x0
                and box[1] <= y1
                and box[3] >= y0
            ]
        start = int(query.get("cursor") or 0)
        return 200, _feature_page(base, path, query, features, start, limit)

    def _data_set(self, table: FeedTable, part: str, root: str, query: dict) -> dict:
        columns = table.columns()
        rows = table.rows
        start = int(query.get("$skiptoken") or 0)
        if query.get("$filter"):
            # A download's first page filters the table; its next pages (a $skiptoken) reuse
            # those rows while the table's row list is the same, as CBS pages one result.
            key = (id(table), part, query["$filter"])
            kept = self._filtered.get(key)
            if start and kept is not None and kept[0] is rows and kept[1] == len(rows):
                rows = kept[2]
            else:
                predicate = compile_filter(query["$filter"], columns)
                self._filtered[key] = (rows, len(rows), [row for row in rows if predicate(row)])
                rows = self._filtered[key][2]
        selected = columns
        if query.get("$select"):
            selected = [name.strip() for name in query["$select"].split(",")]
            unknown = [name for name in selected if name not in columns]
            if unknown:
                raise FilterError(
                    f"Could not find a property named '{unknown[0]}' on type 'TypedDataSet'"
                )
        page = rows[start : start + self.page_size]
        if part == "UntypedDataSet":
            page = [table.untyped(row) for row in page]
        body = {
            "odata.metadata": f"{root}/$metadata#Cbs.OData.WebAPI.{part}",
            "value": [{name: row.get(name) for name in selected} for row in page],
        }
        if start + self.page_size < len(rows):
            carried = {key: value for key, value in query.items() if key != "$skiptoken"}
            carried["$skiptoken"] = str(start + self.page_size)
            body["odata.nextLink"] = f"{root}/{part}?" + urllib.parse.urlencode(
                carried, quote_via=urllib.parse.quote, safe="$,'()"
            )
        return body


# ---------------------------------------------------------------------------------------------
# The whole country, from the real shared extract
# ---------------------------------------------------------------------------------------------

POLICE_UNITS = {
    "RE01": "Noord-Nederland",
    "RE02": "Oost-Nederland",
    "RE03": "Noord-Holland",
    "RE04": "Den Haag",
    "RE05": "Amsterdam",
    "RE06": "Rotterdam",
    "RE07": "Zeeland-West-Brabant",
    "RE08": "Oost-Brabant",
    "RE09": "Midden-Nederland",
    "RE10": "Limburg",
}
"""CBS's codes and names of the ten police units ("Politie Regionale eenheden")."""

AMSTERDAM_AMSTELLAND = ("GM0358", "GM0362", "GM0363", "GM0384", "GM0437", "GM0451")
"""Aalsmeer, Amstelveen, Amsterdam, Diemen, Ouder-Amstel, Uithoorn: police unit Amsterdam."""

_UNIT_BY_CODE_RANGE = (
    (200, "RE01"),
    (350, "RE02"),
    (480, "RE03"),
    (560, "RE04"),
    (660, "RE06"),
    (800, "RE07"),
    (880, "RE08"),
    (1000, "RE10"),
)


def stand_in_police_unit(code: str, region_codes) -> str:
    """The police unit the national test feed gives a municipality of 2024.

    The region's municipalities (RE09) and Amsterdam-Amstelland (RE05) are CBS's; the rest is a
    stand-in by the old code ranges (which followed the provinces) and, for the codes of 1500 and
    later, a fixed hash: ten units that cover the country, not CBS's exact membership.
    """
    if code in region_codes:
        return "RE09"
    if code in AMSTERDAM_AMSTELLAND:
        return "RE05"
    number = int(code[2:])
    for upper, unit in _UNIT_BY_CODE_RANGE:
        if number < upper:
            return unit
    others = [unit for unit in POLICE_UNITS if unit not in ("RE05", "RE09")]
    return others[zlib.crc32(code.encode()) % len(others)]


def _national_police_table(crime, offences, provisional):
    """47018NED for every municipality of 2024 and ``NL00``: the extract's real counts for its
    twelve offences, and for the others the suite reads deterministic stand-ins."""
    from rvs_analysis import national

    names = national.municipality_names()
    codes = sorted(set(crime["gemeente_code"]))
    props = _police_properties()
    title_of = {code: "Niet in te delen" if code == "GM0000" else names[code] for code in codes}
    geo = [{"Key": _pad("NL00", 10), "Title": "Nederland", "Description": None}]
    geo += [{"Key": _pad(code, 10), "Title": title_of[code], "Description": None} for code in codes]
    years = sorted(set(crime["year"]))
    periods = _periods(years, provisional)
    real = {
        (row.offence_code, row.gemeente_code, int(row.year)): int(row.registered_offences)
        for row in crime.itertuples(index=False)
    }
    real_offences = set(crime["offence_code"])
    labels = dict(zip(crime["offence_code"], crime["offence_label"], strict=False))
    listing = _offence_listing(offences, labels)
    rows = []
    for offence in offences:
        for period in periods:
            year = int(period["Key"][:4])
            counts = {}
            for code in codes:
                if offence in real_offences:
                    counts[code] = real[offence, code, year]
                else:
                    counts[code] = _offence_count(
                        code, offence, period["Key"], _population(code, 2020)
                    ) // (50 if code == "GM0000" else 1)
            counts = {"NL00": sum(counts.values()), **counts}
            for code, count in counts.items():
                rows.append(
                    {
                        "ID": len(rows),
                        "SoortMisdrijf": _pad(offence, 6),
                        "WijkenEnBuurten": _pad(code, 10),
                        "Perioden": period["Key"],
                        "GeregistreerdeMisdrijven_1": count,
                        "Gemeentenaam_2": None if code == "NL00" else title_of[code].ljust(40),
                        "SoortRegio_3": ("Land" if code == "NL00" else "Gemeente").ljust(10),
                    }
                )
    return FeedTable(
        "47018NED",
        "DATADERDEN",
        "Geregistreerde misdrijven; soort misdrijf, wijk, buurt, jaarcijfers",
        props.rows,
        {"SoortMisdrijf": listing, "WijkenEnBuurten": geo, "Perioden": periods},
        rows,
    )


def _national_population_table(population, provisional):
    """70072ned for every municipality on each year's own boundaries (the extract's real average
    population) and ``NL01``; the 1 January figure is a stand-in close to the average."""
    from rvs_analysis import national

    names = national.municipality_names()
    base = population_table([2013], ())
    years = sorted(set(population["year"]))
    codes = sorted(set(population["gemeente_code"]))
    geo = [{"Key": _pad("NL01", 10), "Title": "Nederland", "Description": None}]
    geo += [{"Key": _pad(code, 10), "Title": names[code], "Description": None} for code in codes]
    periods = _periods(years, provisional)
    rows = []
    for year, frame in population.groupby("year"):
        period = f"{year}JJ00"
        figures = dict(zip(frame["gemeente_code"], frame["population"], strict=True))
        for code, average in {"NL01": int(frame["population"].sum()), **figures}.items():
            average = int(average)
            rows.append(
                {
                    "ID": len(rows),
                    "RegioS": _pad(code, 10),
                    "Perioden": period,
                    "TotaleBevolking_1": average - average // 400,
                    "Mannen_2": average // 2,
                    "Vrouwen_3": average - average // 2,
                    "LevendGeborenKinderen_48": average // 100,
                    "GemiddeldAantalInwoners_51": average,
                    "GemiddeldeHuishoudensgrootte_56": 2.2,
                    "Bevolkingsdichtheid_57": None,
                }
            )
    return FeedTable(
        "70072ned",
        "CBS",
        "Regionale kerncijfers Nederland",
        base.properties,
        {"RegioS": geo, "Perioden": periods},
        rows,
    )


def _national_areas_table(codes):
    """ "Gebieden in Nederland 2024" for every municipality of 2024, in the layout of
    :func:`areas_table`; police units by :func:`stand_in_police_unit`."""
    from rvs_analysis import national, regions

    base = areas_table()
    names = national.municipality_names()
    region = set(regions.municipalities(2024)["gemeente_code"])
    geo = [{"Key": _pad(code, 10), "Title": names[code], "Description": None} for code in codes]
    rows = []
    for code in codes:
        unit = stand_in_police_unit(code, region)
        rows.append(
            {
                "ID": len(rows),
                "RegioS": _pad(code, 10),
                "Code_1": code.ljust(10),
                "Naam_2": names[code].ljust(50),
                "SorteringNaam_3": names[code].ljust(50),
                "Code_26": unit.ljust(10),
                "Naam_27": POLICE_UNITS[unit].ljust(50),
                "Code_28": "PV99".ljust(10),
                "Naam_29": "Provincie".ljust(50),
                "Code_40": "VR99".ljust(10),
                "Naam_41": "Veiligheidsregio".ljust(50),
            }
        )
    return FeedTable(
        "85755NED", "CBS", "Gebieden in Nederland 2024", base.properties, {"RegioS": geo}, rows
    )


@functools.lru_cache(maxsize=1)
def _national_tables(shared_dir: str):
    import pathlib

    import pandas as pd

    folder = pathlib.Path(shared_dir)
    crime = pd.read_csv(
        folder / "registered_crime_47018NED_gemeente_year.csv",
        dtype={"offence_code": str, "gemeente_code": str},
    )
    population = pd.read_csv(
        folder / "population_70072ned_gemeente_year.csv", dtype={"gemeente_code": str}
    )
    provisional = tuple(sorted(set(crime.loc[crime["provisional"] == 1, "year"])))
    years = sorted(set(crime["year"]))
    offences = sorted(set(crime["offence_code"]) | set(OFFENCES_47018))
    municipalities_2024 = sorted(set(population.loc[population["year"] == 2024, "gemeente_code"]))
    standard = _standard_tables(tuple(years), provisional)
    tables = dict(standard)
    tables["47018NED"] = _national_police_table(crime, offences, provisional)
    tables["70072ned"] = _national_population_table(population, provisional)
    tables["85755NED"] = _national_areas_table(municipalities_2024)
    return tables


def national_tables(shared_dir) -> dict:
    """Every table ``rvs fetch`` downloads, for the whole country: 47018NED from the real shared
    extract (every municipality of 2024, ``GM0000`` and ``NL00``; the offences the extract lacks as
    stand-ins), 70072ned with the real population of every municipality on each year's own
    boundaries, and "Gebieden in Nederland 2024" placing every municipality in one of the ten police
    units; the other tables as in :func:`standard_tables` over the extract's years.
    """
    return dict(_national_tables(str(shared_dir)))


def _feature_page(base, path, query, features, start, limit) -> dict:
    """One page of an OGC API Features answer: ``features[start:start+limit]``, its ``self`` link
    and, while more follow, a ``next`` link carrying the query with the next ``cursor``."""
    body = {"type": "FeatureCollection", "features": features[start : start + limit]}
    body["links"] = [{"rel": "self", "href": f"{base}{path}?f=json"}]
    if start + limit < len(features):
        carried = {**query, "cursor": str(start + limit)}
        body["links"].append(
            {"rel": "next", "href": f"{base}{path}?" + urllib.parse.urlencode(carried)}
        )
    body["numberReturned"] = len(body["features"])
    return body
