"""Maps of the region's municipalities: the tile map and the choropleth (part of the house style).

:func:`tile_map` draws the 39 municipalities as a tile grid from ``data/regions/tile_grid.csv`` with
full names and district borders; :func:`choropleth` draws real municipal boundaries from GeoJSON
(matplotlib patches, no geopandas), numbered with a key, with district borders; both hatch the
municipalities whose figures are apportioned from a successor (:func:`apportioned_codes`).
:func:`area_map` picks the choropleth when a dataset has boundaries and the tile map otherwise.
:func:`neighbourhood_map` draws buurten (wijk and buurt polygons of CBS's codes) coloured by a
value, withheld ones grey and hatched, marked ones outlined.
Re-exported by :mod:`rvs_analysis.report.figures`, whose house style and finishing they use.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from rvs_analysis.dutch import fmt_num
from rvs_analysis.regions import REGIONS_DIR, mergers, municipalities
from rvs_analysis.report.figures.drawing import drawn_once, finish, mark_overlay
from rvs_analysis.report.figures.style import (
    SEQUENTIAL_CMAP,
    dutch_formatter,
    label_axes,
    new_figure,
)

__all__ = [
    "TILE_GRID_PATH",
    "apportioned_codes",
    "area_map",
    "choropleth",
    "neighbourhood_map",
    "tile_grid",
    "tile_map",
]

TILE_GRID_PATH = REGIONS_DIR / "tile_grid.csv"
"""Tile positions of the region's municipalities (``gemeente_code, row, col, label``)."""


# ------------------------------------------------------------------------------------------------
# Maps
# ------------------------------------------------------------------------------------------------


def tile_grid(year: int = 2017) -> pd.DataFrame:
    """Tile positions of the region's municipalities.

    Returns
    -------
    pandas.DataFrame
        ``gemeente_code, gemeente_name, district, row, col``. Read from
        ``data/regions/tile_grid.csv`` when it exists; otherwise a simple fallback: one block per
        district (three blocks to a row), municipalities in alphabetical order, four to a row.
        Worked out once per process and year (the file is part of the package); every call
        gets a copy.
    """
    return _tile_grid(int(year)).copy()


@functools.lru_cache(maxsize=16)
def _tile_grid(year: int) -> pd.DataFrame:
    composition = municipalities(year)
    if TILE_GRID_PATH.exists():
        grid = pd.read_csv(TILE_GRID_PATH, dtype={"gemeente_code": str})
        row_column = "row" if "row" in grid.columns else "y"
        col_column = "col" if "col" in grid.columns else "x"
        grid = grid.rename(columns={row_column: "row", col_column: "col"})
        if "label" not in grid.columns:
            grid["label"] = ""
        grid = grid[["gemeente_code", "row", "col", "label"]]
        merged = composition.merge(grid, on="gemeente_code", how="left")
        if merged[["row", "col"]].notna().all().all():
            merged["row"] = merged["row"].astype(int)
            merged["col"] = merged["col"].astype(int)
            return merged
    rows = []
    for block, (_district, members) in enumerate(composition.groupby("district", sort=False)):
        top, left = (block // 3) * 5, (block % 3) * 5
        for position, record in enumerate(members.itertuples(index=False)):
            rows.append((record.gemeente_code, top + position // 4, left + position % 4))
    grid = pd.DataFrame(rows, columns=["gemeente_code", "row", "col"])
    return composition.merge(grid, on="gemeente_code")


TILE_FONT_SIZE = 7.0
"""Points of a tile's name: 9.7 px at the reports' 100 dpi, so at least 9 px where the report's
column shows the figure at its own size (a 1280 px window)."""


def _tile_label(name: str, label: object = None) -> str:
    """A municipality's full name on at most three short lines for a tile, never broken mid-word.

    ``label`` is the tile label of ``data/regions/tile_grid.csv`` where it has one: the name with
    ``|`` at its line breaks, for names too long for a tile that break only at a hyphenation
    point the data give ("Noordoost-|polder"); otherwise the name wraps between words.
    """
    if isinstance(label, str) and label.strip():
        return "\n".join(part.strip() for part in label.split("|"))
    lines = textwrap.wrap(name, width=11, break_long_words=False, break_on_hyphens=True)
    return "\n".join(lines[:3])


def _value_words(values: pd.Series, names: Mapping[str, str], decimals: int, unit: str) -> str:
    finite = values.astype(float).replace([np.inf, -np.inf], np.nan).dropna()
    if finite.empty:
        return "geen waarden"
    top, bottom = finite.idxmax(), finite.idxmin()
    return (
        f"{len(finite)} gemeenten; hoogste {names.get(top, top)} "
        f"({fmt_num(finite[top], decimals)}{unit}), laagste {names.get(bottom, bottom)} "
        f"({fmt_num(finite[bottom], decimals)}{unit}), mediaan "
        f"{fmt_num(float(finite.median()), decimals)}{unit}"
    )


def apportioned_codes(composition_year: int, boundary_year: int | None) -> list[str]:
    """Municipalities of ``composition_year`` whose figures are apportioned from a successor.

    A municipality that merged after ``composition_year`` but on or before ``boundary_year``
    (the boundaries the data are published on) has no figures of its own in the data: the
    harmonisation apportions its successor's by population share (e.g. Vianen, Weesp on 2024
    boundaries). Maps hatch them.
    """
    if boundary_year is None or boundary_year <= composition_year:
        return []

    table = mergers()
    dates = pd.to_datetime(table["date"])
    # Boundaries of year Y are those of 1 January Y: a merger on that day or before is in force.
    moved = table[(dates.dt.year > composition_year) & (dates <= pd.Timestamp(boundary_year, 1, 1))]
    codes = set(municipalities(composition_year)["gemeente_code"])
    return sorted(code for code in moved["old_code"] if code in codes)


def _colourbar(fig, ax, norm, label: str, decimals: int, unit: str) -> None:
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=SEQUENTIAL_CMAP)
    bar = fig.colorbar(mappable, ax=ax, shrink=0.75, pad=0.02)
    bar.set_label(label)
    bar.formatter = dutch_formatter(decimals, unit)
    bar.update_ticks()


def _tile_borders(record, district_at) -> list[np.ndarray]:
    """District borders of one tile: a segment on each side that faces another district or the
    outside (``district_at``: (row, col) -> district of every tile)."""
    x, y = record.col, -record.row
    row, col = int(record.row), int(record.col)
    sides = (
        ((-1, 0), ((x - 0.5, x + 0.5), (y + 0.5, y + 0.5))),
        ((1, 0), ((x - 0.5, x + 0.5), (y - 0.5, y - 0.5))),
        ((0, -1), ((x - 0.5, x - 0.5), (y - 0.5, y + 0.5))),
        ((0, 1), ((x + 0.5, x + 0.5), (y - 0.5, y + 0.5))),
    )
    return [
        np.column_stack(segment)
        for (d_row, d_col), segment in sides
        if district_at.get((row + d_row, col + d_col)) != record.district
    ]


@drawn_once(overlay="highlight")
def tile_map(
    values: pd.Series,
    source: str,
    label: str,
    highlight: Sequence[str] = (),
    title: str | None = None,
    decimals: int = 1,
    unit: str = "",
    year: int = 2017,
    note: str | None = None,
    apportioned: Sequence[str] = (),
    codes: Sequence[str] | None = None,
) -> Figure:
    """The region's municipalities as equal tiles coloured by a value.

    Parameters
    ----------
    values : pandas.Series
        Values indexed by GM code; municipalities without a value are drawn grey with a dot
        pattern.
    label : str
        Colour bar label (Dutch, with unit).
    highlight : sequence of str
        GM codes outlined in black (the report's area).
    apportioned : sequence of str
        GM codes whose values are apportioned from a successor (hatched).
    codes : sequence of str, optional
        The municipalities to draw (a strategy's area list); default the region's of ``year``.

    Notes
    -----
    Equal tiles give every municipality the same visual weight, unlike a real map where large
    rural municipalities dominate; positions only approximate geography. Each tile carries the
    municipality's full name; thick dark lines are the district borders.
    """
    grid = tile_grid(year)
    if codes is not None:
        grid = grid[grid["gemeente_code"].isin(list(codes))]
    fig, ax = new_figure(width=8.0, height=7.0)
    finite = values.astype(float).replace([np.inf, -np.inf], np.nan).dropna()
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    norm = Normalize(vmin=low, vmax=high if high > low else low + 1)
    cmap = plt.get_cmap(SEQUENTIAL_CMAP)
    marked = set(highlight)
    split = set(apportioned)
    district_at = {(int(r.row), int(r.col)): r.district for r in grid.itertuples(index=False)}
    borders = []
    plain_tiles, plain_colours = [], []
    for record in grid.itertuples(index=False):
        value = finite.get(record.gemeente_code, np.nan)
        missing = not np.isfinite(value)
        colour = "#dddddd" if missing else cmap(norm(value))
        x, y = record.col, -record.row
        hatch = "..." if missing else "////" if record.gemeente_code in split else None
        if hatch is None:
            west, south, east, north = x - 0.48, y - 0.48, x + 0.48, y + 0.48
            plain_tiles.append([(west, south), (east, south), (east, north), (west, north)])
            plain_colours.append(colour)
        else:  # a patch of its own: its hatch takes the tile's white edge colour
            ax.add_patch(
                plt.Rectangle(
                    (x - 0.48, y - 0.48),
                    0.96,
                    0.96,
                    facecolor=colour,
                    edgecolor="white",
                    lw=0.8,
                    hatch=hatch,
                )
            )
        if record.gemeente_code in marked:
            # on top of the tile's label and the borders, so that a batch draws the map once
            # and only the frame of each report's area on a copy (drawn_once's overlay)
            frame = plt.Rectangle(
                (x - 0.42, y - 0.42), 0.84, 0.84, fill=False, edgecolor="#E69F00", lw=2.6
            )
            mark_overlay(ax.add_patch(frame))
        brightness = 1.0 if missing else float(np.dot(colour[:3], (0.299, 0.587, 0.114)))
        ax.text(
            x,
            y,
            _tile_label(record.gemeente_name, getattr(record, "label", None)),
            ha="center",
            va="center",
            fontsize=TILE_FONT_SIZE,
            linespacing=1.0,
            color="black" if brightness > 0.5 else "white",
        )
        borders.extend(_tile_borders(record, district_at))
    # the plain tiles as one collection, as the district borders: one artist to build and draw
    # (the axes' limits are set below, so the collections take no part in them)
    ax.add_collection(
        PolyCollection(
            plain_tiles, facecolors=plain_colours, edgecolors="white", linewidths=0.8, zorder=1
        ),
        autolim=False,
    )
    ax.add_collection(
        LineCollection(borders, colors="#222222", linewidths=1.8, capstyle="projecting", zorder=2)
    )
    ax.set_xlim(grid["col"].min() - 0.6, grid["col"].max() + 0.6)
    ax.set_ylim(-grid["row"].max() - 0.6, -grid["row"].min() + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    _colourbar(fig, ax, norm, label, decimals, unit)
    label_axes(ax, title, None, None)
    text = (
        "Tegelkaart: elke gemeente één vak, ligging bij benadering; dikke lijnen: districtsgrenzen"
    )
    if marked:
        text += "; oranje kader: gemeenten van het gebied"
    if split:
        text += "; gearceerd: cijfer naar rato verdeeld uit de huidige gemeente"
    names = dict(zip(grid["gemeente_code"], grid["gemeente_name"], strict=True))
    alt = f"Tegelkaart: {title or label}. {_value_words(values, names, decimals, unit)}."
    return finish(fig, source, f"{text}. {note}" if note else text, alt)


def _rings(geometry: Mapping[str, Any]) -> list[np.ndarray]:
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates") or []
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    rings = []
    for polygon in polygons:
        if polygon:
            rings.append(np.asarray(polygon[0], dtype=float)[:, :2])  # outer ring only
    return rings


def _district_edges(rings_by_code: Mapping[str, list[np.ndarray]], district_of) -> list[np.ndarray]:
    """Edges that separate two districts (or a district from the outside).

    Adjacent municipal polygons of one boundary file share their vertices; an edge that occurs in
    only one municipality of a district lies on that district's border.
    """
    counts: dict[str, dict[frozenset, np.ndarray]] = {}
    seen: dict[str, dict[frozenset, int]] = {}
    for code, rings in rings_by_code.items():
        district = district_of.get(code)
        if district is None:
            continue
        for ring in rings:
            rounded = np.round(ring, 6)
            for start, end in zip(rounded[:-1], rounded[1:], strict=True):
                key = frozenset((tuple(start), tuple(end)))
                seen.setdefault(district, {})
                seen[district][key] = seen[district].get(key, 0) + 1
                counts.setdefault(district, {})[key] = np.vstack([start, end])
    return [
        counts[district][key]
        for district, edges in seen.items()
        for key, number in edges.items()
        if number == 1
    ]


def _number_polygons(ax, drawn, names, values, cmap, norm, split) -> list[str]:
    """Number each municipality at its largest ring's centre (black or white for contrast) and
    return the key lines ("3 Dronten"), by name; apportioned ones say "(naar rato)"."""
    key = []
    ordered = sorted(drawn.items(), key=lambda item: names.get(item[0], item[0]))
    for number, (code, rings) in enumerate(ordered, start=1):
        centre = max(rings, key=len).mean(axis=0)
        value = values.get(code, np.nan)
        colour = "#dddddd" if not np.isfinite(value) else cmap(norm(value))
        bright = not np.isfinite(value) or float(np.dot(colour[:3], (0.299, 0.587, 0.114))) > 0.5
        ax.text(
            centre[0],
            centre[1],
            str(number),
            ha="center",
            va="center",
            fontsize=6.5,
            fontweight="bold",
            color="black" if bright else "white",
        )
        key.append(f"{number} {names.get(code, code)}" + (" (naar rato)" if code in split else ""))
    return key


def choropleth(
    boundaries: Mapping[str, Any],
    values: pd.Series,
    source: str,
    label: str,
    codes: Sequence[str] | None = None,
    highlight: Sequence[str] = (),
    title: str | None = None,
    decimals: int = 1,
    unit: str = "",
    names: Mapping[str, str] | None = None,
    note: str | None = None,
    districts: Mapping[str, str] | None = None,
    apportioned: Mapping[str, str] | None = None,
) -> Figure:
    """A map of real municipal boundaries coloured by a value, numbered, with district borders.

    Parameters
    ----------
    boundaries : dict
        GeoJSON FeatureCollection with ``statcode`` and ``statnaam`` properties (WGS84 or a
        projected system).
    values : pandas.Series
        Values indexed by GM code.
    codes : sequence of str, optional
        Municipalities to draw (default: those in ``values``). Codes without a polygon (e.g.
        municipalities merged since the boundaries' year) are named in a note under the map.
    highlight : sequence of str
        GM codes outlined in orange.
    names : mapping, optional
        GM code -> name, for the numbered key and the note on missing polygons.
    districts : mapping, optional
        GM code -> district: the borders between districts are drawn as thick dark lines.
    apportioned : mapping, optional
        GM code -> successor GM code for municipalities whose figures are apportioned from a
        successor; they are hatched, drawn on the successor's polygon when they have none.

    Notes
    -----
    Polygons are drawn with a :class:`~matplotlib.collections.PolyCollection` (outer rings; holes
    are ignored, which at this scale only fills a few lakes). Longitude/latitude are shown with an
    aspect of ``1 / cos(latitude)`` so that the Netherlands is not stretched. Each municipality
    carries a number at its largest ring's centre; the key (number and name) is under the map.
    """
    wanted = list(values.index if codes is None else codes)
    names = dict(names or {})
    split = dict(apportioned or {})
    features = {}
    for feature in boundaries.get("features", []):
        code = str((feature.get("properties") or {}).get("statcode", "")).strip()
        features[code] = feature
        name = (feature.get("properties") or {}).get("statnaam")
        if name and code not in names:
            names[code] = str(name)
    fig, ax = new_figure(width=8.0, height=6.8)
    finite = values.astype(float).replace([np.inf, -np.inf], np.nan).dropna()
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    norm = Normalize(vmin=low, vmax=high if high > low else low + 1)
    cmap = plt.get_cmap(SEQUENTIAL_CMAP)
    marked = set(highlight)
    drawn: dict[str, list[np.ndarray]] = {}
    missing = []
    for code in wanted:
        polygon_code = code if code in features else split.get(code)
        if polygon_code not in features:
            missing.append(code)
            continue
        drawn[code] = _rings(features[polygon_code].get("geometry") or {})
    polygons, colours, hatched, outlined = [], [], [], []
    for code, rings in drawn.items():
        value = finite.get(code, np.nan)
        colour = "#dddddd" if not np.isfinite(value) else cmap(norm(value))
        for ring in rings:
            polygons.append(ring)
            colours.append(colour)
            if code in split:
                hatched.append(ring)
            if code in marked:
                outlined.append(ring)
    key = []
    if polygons:
        ax.add_collection(
            PolyCollection(polygons, facecolors=colours, edgecolors="white", linewidths=0.5)
        )
        if hatched:
            ax.add_collection(
                PolyCollection(
                    hatched, facecolors="none", edgecolors="#333333", linewidths=0, hatch="////"
                )
            )
        for edge in _district_edges(drawn, dict(districts or {})):
            ax.plot(edge[:, 0], edge[:, 1], color="#222222", lw=1.6, solid_capstyle="round")
        if outlined:
            ax.add_collection(
                PolyCollection(outlined, facecolors="none", edgecolors="#E69F00", linewidths=2.2)
            )
        key = _number_polygons(ax, drawn, names, finite, cmap, norm, split)
        stacked = np.vstack(polygons)
        ax.set_xlim(stacked[:, 0].min(), stacked[:, 0].max())
        ax.set_ylim(stacked[:, 1].min(), stacked[:, 1].max())
        mean_y = float(stacked[:, 1].mean())
        geographic = abs(mean_y) <= 90
        ax.set_aspect(1 / math.cos(math.radians(mean_y)) if geographic else "equal")
    ax.axis("off")
    _colourbar(fig, ax, norm, label, decimals, unit)
    label_axes(ax, title, None, None)
    notes = [note] if note else []
    if districts:
        notes.append("Dikke lijnen: districtsgrenzen")
    if split:
        notes.append("gearceerd: cijfer naar rato verdeeld uit de huidige gemeente")
    if missing:
        shown = ", ".join(names.get(code, code) for code in missing)
        notes.append(f"Niet op de kaart (geen eigen grens in de kaartbron): {shown}")
    if key:
        notes.append("Nummers: " + " · ".join(key))
    alt = f"Kaart: {title or label}. {_value_words(values.reindex(wanted), names, decimals, unit)}."
    return finish(fig, source, ". ".join(notes) or None, alt)


def area_map(
    dataset,
    values: pd.Series,
    source: str,
    label: str,
    highlight: Sequence[str] = (),
    title: str | None = None,
    decimals: int = 1,
    unit: str = "",
    year: int = 2017,
    codes: Sequence[str] | None = None,
) -> Figure:
    """A choropleth when the dataset has boundaries, otherwise the tile map of the region.

    ``codes`` restricts the map to a strategy's municipalities (default: the region's of
    ``year``).

    ``values`` are indexed by the GM codes of the region's composition of ``year``. Municipalities
    whose figures the harmonisation apportions from a successor (:func:`apportioned_codes`, on the
    dataset's crime boundary year) are hatched on either map.
    """
    composition = municipalities(year)
    if codes is not None:
        composition = composition[composition["gemeente_code"].isin(list(codes))]
    names = dict(zip(composition["gemeente_code"], composition["gemeente_name"], strict=True))
    districts = dict(zip(composition["gemeente_code"], composition["district"], strict=True))
    split = apportioned_codes(year, getattr(dataset, "crime_boundary_year", None))
    if getattr(dataset, "boundaries", None):
        # A merger's new municipality is drawn in its predecessor's place; an annexation's
        # (Weesp into Amsterdam) is not: the far larger successor would stand for it.
        table = mergers()
        merged = table[table["kind"] == "merger"]
        successor = dict(zip(merged["old_code"], merged["new_code"], strict=True))
        return choropleth(
            dataset.boundaries,
            values,
            source,
            label,
            codes=list(composition["gemeente_code"]),
            highlight=highlight,
            title=title,
            decimals=decimals,
            unit=unit,
            names=names,
            districts=districts,
            apportioned={code: successor.get(code, "") for code in split},
        )
    return tile_map(
        values,
        source,
        label,
        highlight=highlight,
        title=title,
        decimals=decimals,
        unit=unit,
        year=year,
        apportioned=split,
        codes=codes,
    )


def neighbourhood_map(
    boundaries: Mapping[str, Any],
    values: pd.Series,
    source: str,
    label: str,
    codes: Sequence[str],
    marked: Sequence[str] = (),
    withheld: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
    title: str | None = None,
    decimals: int = 0,
    note: str | None = None,
) -> Figure:
    """A map of buurten coloured by a value, from the polygons of ``neighbourhoods.geojson``.

    Parameters
    ----------
    boundaries : dict
        GeoJSON FeatureCollection with ``area_code`` and ``gemeente_code`` properties (WGS84).
    values : pandas.Series
        Values indexed by buurt code (NaN: no value).
    codes : sequence of str
        The buurten to draw; those without a polygon are counted in the note.
    marked : sequence of str
        Buurten outlined in orange (the persistent hot spots).
    withheld : sequence of str
        Buurten whose figure CBS did not publish: grey and hatched, "niet gepubliceerd", never a
        colour of the scale.
    names : mapping, optional
        Code -> name, for the alt text.

    Notes
    -----
    Polygons are drawn with a :class:`~matplotlib.collections.PolyCollection` (outer rings), with
    an aspect of ``1 / cos(latitude)`` as in :func:`choropleth`.
    """
    names = dict(names or {})
    features = {
        str((feature.get("properties") or {}).get("area_code", "")): feature
        for feature in boundaries.get("features", [])
    }
    held = set(withheld)
    fig, ax = new_figure(width=8.0, height=6.8)
    finite = values.astype(float).replace([np.inf, -np.inf], np.nan).dropna()
    finite = finite[[code for code in finite.index if code not in held]]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    norm = Normalize(vmin=low, vmax=high if high > low else low + 1)
    cmap = plt.get_cmap(SEQUENTIAL_CMAP)
    drawn: dict[str, list[np.ndarray]] = {}
    for code in codes:
        if code in features:
            drawn[code] = _rings(features[code].get("geometry") or {})
    polygons, colours, hatched, outlined = [], [], [], []
    for code, rings in drawn.items():
        value = finite.get(code, np.nan)
        colour = "#dddddd" if not np.isfinite(value) else cmap(norm(value))
        for ring in rings:
            polygons.append(ring)
            colours.append(colour)
            if code in held:
                hatched.append(ring)
            if code in set(marked):
                outlined.append(ring)
    if polygons:
        ax.add_collection(
            PolyCollection(polygons, facecolors=colours, edgecolors="white", linewidths=0.4)
        )
        if hatched:
            ax.add_collection(
                PolyCollection(
                    hatched, facecolors="none", edgecolors="#555555", linewidths=0, hatch="////"
                )
            )
        if outlined:
            ax.add_collection(
                PolyCollection(outlined, facecolors="none", edgecolors="#E69F00", linewidths=2.2)
            )
        stacked = np.vstack(polygons)
        ax.set_xlim(stacked[:, 0].min(), stacked[:, 0].max())
        ax.set_ylim(stacked[:, 1].min(), stacked[:, 1].max())
        mean_y = float(stacked[:, 1].mean())
        ax.set_aspect(1 / math.cos(math.radians(mean_y)) if abs(mean_y) <= 90 else "equal")
    ax.axis("off")
    _colourbar(fig, ax, norm, label, decimals, "")
    label_axes(ax, title, None, None)
    notes = [note] if note else []
    if outlined:
        notes.append("oranje rand: blijvende hotspot")
    if held & set(drawn):
        notes.append("grijs gearceerd: niet gepubliceerd")
    missing = [code for code in codes if code not in drawn]
    if missing:
        notes.append(f"{len(missing)} buurten zonder grens in de kaartbron")
    shown = finite.reindex(list(drawn)).dropna().sort_values(ascending=False)
    highest = ", ".join(
        f"{names.get(code, code)} {fmt_num(value, decimals)}"
        for code, value in shown.head(3).items()
    )
    alt = (
        f"Kaart: {title or label}. {len(drawn)} buurten; hoogste: {highest or 'geen'}"
        + (f"; niet gepubliceerd: {len(held & set(drawn))}" if held & set(drawn) else "")
        + "."
    )
    return finish(fig, source, ". ".join(notes), alt)
