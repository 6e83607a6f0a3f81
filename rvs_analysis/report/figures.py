"""The house style of the reports and the figures they share.

One look for every report: seaborn's white grid, the Okabe-Ito colour-blind-safe palette, Dutch
labels and Dutch number notation on the axes (decimal comma, dots between thousands), and a source
line under each figure. Every function returns a closed :class:`matplotlib.figure.Figure`: a
notebook shows it by ending a cell with it (exactly once), a script can save it.

Figures
-------
:func:`time_series` (lines with interval bands and optional target markers), :func:`funnel_plot`
(proportions or rates against their size, with control limits computed by
:mod:`rvs_analysis.stats.clearance`), :func:`forest_plot` (odds ratios, rate ratios, effects with
intervals), :func:`event_study_plot`, :func:`stl_plot` (seasonal decomposition with change points),
:func:`bar_chart` (areas with intervals), :func:`tile_map` (the 39 municipalities as a tile grid
from ``data/regions/tile_grid.csv``) and :func:`choropleth` (real municipal boundaries from GeoJSON,
drawn with matplotlib patches, no geopandas). :func:`area_map` picks the choropleth when a dataset
has boundaries and the tile map otherwise.

No statistics are computed here: intervals and limits come in as columns.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter

from rvs_analysis.regions import REGIONS_DIR, municipalities
from rvs_analysis.report.wording import fmt_num

__all__ = [
    "PALETTE",
    "SEQUENTIAL_CMAP",
    "apply_house_style",
    "area_map",
    "bar_chart",
    "choropleth",
    "dutch_formatter",
    "event_study_plot",
    "forest_plot",
    "funnel_plot",
    "new_figure",
    "source_line",
    "stl_plot",
    "tile_grid",
    "tile_map",
    "time_series",
]

PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
"""Okabe & Ito (2008) colour-blind-safe palette, in the order series are coloured."""

SEQUENTIAL_CMAP = "cividis"
"""Colour map for maps: perceptually uniform and readable with colour-vision deficiency."""

TILE_GRID_PATH = REGIONS_DIR / "tile_grid.csv"
"""Tile positions of the 39 municipalities (``gemeente_code, row, col``)."""

_SOURCE_SPACE = 0.07


def apply_house_style() -> None:
    """Set seaborn's theme, the palette and readable defaults for every later figure."""
    sns.set_theme(style="whitegrid", context="notebook", palette=list(PALETTE))
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 110,
            "figure.figsize": (8.0, 4.5),
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def dutch_formatter(decimals: int = 0, suffix: str = "") -> FuncFormatter:
    """Tick labels in Dutch notation (``12.564``, ``7,5%``)."""
    return FuncFormatter(lambda value, _position: fmt_num(value, decimals) + suffix)


def new_figure(
    width: float = 8.0, height: float = 4.5, ncols: int = 1, nrows: int = 1, **kwargs: Any
):
    """A figure in the house style with room for a source line below it.

    Returns
    -------
    (Figure, Axes or array of Axes)
    """
    apply_house_style()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=True, **kwargs)
    fig.set_layout_engine(
        ConstrainedLayoutEngine(rect=(0, _SOURCE_SPACE, 1, 1 - _SOURCE_SPACE - 0.005))
    )
    return fig, axes


def source_line(fig: Figure, source: str, note: str | None = None) -> Figure:
    """Write ``Bron: <source>`` (and an optional note) at the bottom left of a figure."""
    text = source if source.lower().startswith("bron") else f"Bron: {source}"
    if note:
        text = f"{text}. {note}"
    wrapped = "\n".join(textwrap.wrap(text, width=int(fig.get_figwidth() * 17)))
    fig.text(0.01, 0.01, wrapped, ha="left", va="bottom", fontsize=7.5, color="#444444")
    return fig


def _finish(fig: Figure, source: str, note: str | None = None) -> Figure:
    source_line(fig, source, note)
    plt.close(fig)
    return fig


def _label(ax, title: str | None, xlabel: str | None, ylabel: str | None) -> None:
    if title:
        ax.set_title(title)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)


# ------------------------------------------------------------------------------------------------
# Time series, bars, coefficients
# ------------------------------------------------------------------------------------------------


def time_series(
    frame: pd.DataFrame,
    x: str,
    y: str,
    source: str,
    low: str | None = None,
    high: str | None = None,
    hue: str | None = None,
    targets: pd.DataFrame | None = None,
    title: str | None = None,
    xlabel: str = "Jaar",
    ylabel: str | None = None,
    decimals: int = 0,
    unit: str = "",
    band_label: str = "95%-betrouwbaarheidsinterval",
    note: str | None = None,
    ylim_zero: bool = True,
    provisional: Sequence = (),
) -> Figure:
    """Lines over time with interval bands and optional target markers.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long data: one row per ``x`` (and ``hue`` group).
    x, y : str
        Time column (years or dates) and value column.
    source : str
        Source line text.
    low, high : str, optional
        Columns with the interval bounds, drawn as a shaded band.
    hue : str, optional
        Column that splits the series (one colour each).
    targets : pandas.DataFrame, optional
        ``x`` and ``target`` columns: drawn as black diamonds labelled "Doel".
    decimals, unit : optional
        Tick label format (``unit="%"`` gives ``7,5%``).
    provisional : sequence, optional
        ``x`` values whose figures are provisional (CBS "Voorlopig"): drawn as open markers and
        named in the legend ("voorlopig").
    """
    provisional = set(provisional)
    fig, ax = new_figure()
    groups = [(None, frame)] if hue is None else list(frame.groupby(hue, sort=False))
    for position, (name, group) in enumerate(groups):
        colour = PALETTE[position % len(PALETTE)]
        group = group.sort_values(x)
        label = str(name) if name is not None else (ylabel or y)
        ax.plot(group[x], group[y].astype(float), marker="o", color=colour, label=label, lw=2)
        marked = group[group[x].isin(provisional)]
        if len(marked):
            ax.scatter(
                marked[x],
                marked[y].astype(float),
                marker="o",
                s=60,
                facecolors="white",
                edgecolors=colour,
                linewidths=2,
                zorder=4,
                label="voorlopig" if position == 0 else None,
            )
        if low is not None and high is not None:
            ax.fill_between(
                group[x],
                group[low].astype(float),
                group[high].astype(float),
                color=colour,
                alpha=0.18,
                lw=0,
                label=band_label if position == 0 else None,
            )
    if targets is not None and len(targets):
        ax.scatter(
            targets[x],
            targets["target"].astype(float),
            marker="D",
            s=45,
            color="black",
            zorder=5,
            label="Doel",
        )
    if ylim_zero:
        ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(dutch_formatter(decimals, unit))
    if pd.api.types.is_integer_dtype(frame[x]):
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    _label(ax, title, xlabel, ylabel)
    ax.legend(loc="best")
    return _finish(fig, source, note)


def bar_chart(
    frame: pd.DataFrame,
    category: str,
    value: str,
    source: str,
    low: str | None = None,
    high: str | None = None,
    highlight: Sequence[str] = (),
    reference: float | None = None,
    reference_label: str = "Doel",
    title: str | None = None,
    xlabel: str | None = None,
    decimals: int = 1,
    unit: str = "",
    note: str | None = None,
) -> Figure:
    """Horizontal bars per category (e.g. district) with interval whiskers and a reference line."""
    height = max(2.5, 0.45 * len(frame) + 1.2)
    fig, ax = new_figure(height=height)
    names = [str(name) for name in frame[category]]
    positions = np.arange(len(names))
    colours = [PALETTE[1] if name in set(highlight) else PALETTE[0] for name in names]
    values = frame[value].astype(float).to_numpy()
    ax.barh(positions, values, color=colours, height=0.6)
    if low is not None and high is not None:
        errors = np.vstack(
            [values - frame[low].astype(float).to_numpy(), frame[high].astype(float) - values]
        )
        ax.errorbar(values, positions, xerr=errors, fmt="none", ecolor="#333333", capsize=3)
    if reference is not None and math.isfinite(reference):
        ax.axvline(reference, color="black", ls="--", lw=1.2, label=reference_label)
        ax.legend(loc="lower right")
    ax.set_yticks(positions, names)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(dutch_formatter(decimals if decimals < 2 else 1, unit))
    ax.grid(axis="y", visible=False)
    _label(ax, title, xlabel, "")
    return _finish(fig, source, note)


def forest_plot(
    frame: pd.DataFrame,
    label: str,
    estimate: str,
    low: str,
    high: str,
    source: str,
    null: float = 1.0,
    log: bool = True,
    title: str | None = None,
    xlabel: str = "Odds ratio (95%-betrouwbaarheidsinterval)",
    note: str | None = None,
) -> Figure:
    """Estimates with intervals on a common axis (odds ratios, rate ratios, effects).

    Intervals that exclude ``null`` are drawn in the first palette colour, others in grey.
    """
    height = max(2.5, 0.5 * len(frame) + 1.3)
    fig, ax = new_figure(height=height)
    positions = np.arange(len(frame))
    values = frame[estimate].astype(float).to_numpy()
    lows = frame[low].astype(float).to_numpy()
    highs = frame[high].astype(float).to_numpy()
    significant = (lows > null) | (highs < null)
    for position, value, lo, hi, flag in zip(
        positions, values, lows, highs, significant, strict=True
    ):
        colour = PALETTE[0] if flag else "#8c8c8c"
        ax.plot([lo, hi], [position, position], color=colour, lw=2.2)
        ax.plot(value, position, "o", color=colour, ms=7)
    ax.axvline(null, color="black", lw=1, ls="--")
    if log:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(
            matplotlib.ticker.LogLocator(base=10, subs=(1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 7.0, 8.0))
        )
        ax.xaxis.set_major_formatter(dutch_formatter(2))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
    else:
        ax.xaxis.set_major_formatter(dutch_formatter(1))
    ax.set_yticks(positions, [str(name) for name in frame[label]])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    _label(ax, title, xlabel, "")
    return _finish(fig, source, note or "Grijs: interval omvat geen effect (niet significant)")


def event_study_plot(
    frame: pd.DataFrame,
    x: str,
    estimate: str,
    low: str,
    high: str,
    source: str,
    start: float | None = None,
    title: str | None = None,
    xlabel: str = "Jaar (meting)",
    ylabel: str = "Verschil met referentiejaar (procentpunt)",
    note: str | None = None,
) -> Figure:
    """Event-study coefficients per wave with intervals and the start of the intervention."""
    fig, ax = new_figure()
    data = frame.sort_values(x)
    xs = data[x].astype(float).to_numpy()
    values = data[estimate].astype(float).to_numpy()
    errors = np.vstack(
        [values - data[low].astype(float).to_numpy(), data[high].astype(float).to_numpy() - values]
    )
    ax.errorbar(xs, values, yerr=errors, fmt="o-", color=PALETTE[0], capsize=4, lw=1.8)
    ax.axhline(0, color="black", lw=1)
    if start is not None:
        ax.axvline(start - 0.5, color=PALETTE[5], ls="--", lw=1.4, label="Start proeftuinen")
        ax.legend(loc="best")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(dutch_formatter(1))
    _label(ax, title, xlabel, ylabel)
    return _finish(fig, source, note)


def stl_plot(
    decomposition: pd.DataFrame,
    source: str,
    change_dates: Sequence[Any] = (),
    title: str | None = None,
    ylabel: str = "Aantal per maand",
    note: str | None = None,
) -> Figure:
    """Observed, trend and seasonally adjusted monthly counts, the seasonal factor, change points.

    Parameters
    ----------
    decomposition : pandas.DataFrame
        From :func:`rvs_analysis.stats.monthly.stl_decompose` (columns ``observed``, ``trend``,
        ``seasonal``, ``seasonally_adjusted``; seasonal as a factor when decomposed on logs).
    change_dates : sequence of dates
        First months of new segments, drawn as vertical lines.
    """
    fig, (top, bottom) = new_figure(
        height=6.0, nrows=2, sharex=False, gridspec_kw={"height_ratios": [2.2, 1]}
    )
    index = decomposition.index
    top.plot(index, decomposition["observed"], color="#9a9a9a", lw=1, label="Geregistreerd")
    top.plot(
        index,
        decomposition["seasonally_adjusted"],
        color=PALETTE[0],
        lw=1.4,
        label="Gecorrigeerd voor seizoen",
    )
    top.plot(index, decomposition["trend"], color=PALETTE[5], lw=2.2, label="Trend")
    for position, date in enumerate(change_dates):
        top.axvline(
            date, color="black", ls="--", lw=1, label="Trendbreuk" if position == 0 else None
        )
    top.set_ylim(bottom=0)
    top.yaxis.set_major_formatter(dutch_formatter(0))
    top.legend(loc="upper right", ncols=2)
    _label(top, title, "", ylabel)
    seasonal = decomposition["seasonal"].astype(float)
    by_month = seasonal.groupby(index.month).mean()
    factor = by_month.max() < 5  # decomposed on logs: a factor around 1
    shown = (by_month - 1) * 100 if factor else by_month
    months = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
    bottom.bar(
        [months[m - 1] for m in by_month.index],
        shown,
        color=[PALETTE[5] if v > 0 else PALETTE[0] for v in shown],
    )
    bottom.axhline(0, color="black", lw=0.8)
    bottom.yaxis.set_major_formatter(dutch_formatter(0, "%" if factor else ""))
    _label(
        bottom,
        None,
        "",
        "Seizoenseffect (% t.o.v. trend)" if factor else "Seizoenseffect",
    )
    return _finish(fig, source, note)


def funnel_plot(
    points: pd.DataFrame,
    size: str,
    value: str,
    label: str,
    limits: pd.DataFrame,
    centre: float,
    source: str,
    limit_columns: Mapping[str, tuple[str, str]] | None = None,
    highlight: Sequence[str] = (),
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    unit: str = "",
    decimals: int = 0,
    note: str | None = None,
) -> Figure:
    """A funnel plot: each unit's value against its size with control limits around the centre.

    The plot knows nothing of what it shows: clearance percentages, rates per 1,000, rate ratios
    of a change (:func:`rvs_analysis.stats.compare.change_funnel`) all pass their own axis labels
    and unit.

    Parameters
    ----------
    points : pandas.DataFrame
        One row per unit (municipality) with ``size`` (denominator), ``value`` and ``label``.
    limits : pandas.DataFrame
        Limits over a grid of sizes: a ``denominator`` column (or one named ``size``) and the
        bound columns named in ``limit_columns`` (computed by :mod:`rvs_analysis.stats.clearance`).
    centre : float
        The overall value (the funnel's centre line).
    limit_columns : mapping, optional
        Legend label -> (lower column, upper column). Default
        ``{"95%-grenzen": ("lower_95", "upper_95"), "99,8%-grenzen": ("lower_99.8", "upper_99.8")}``.
    highlight : sequence of str, optional
        Labels to mark (e.g. the area's own municipalities).
    xlabel, ylabel : str, optional
        Axis titles; default the ``size`` and ``value`` column names. Pass the Dutch titles the
        figure needs, e.g. ``ylabel="Ophelderingspercentage (%)"``.
    unit : str, default ""
        Suffix of the value axis' tick labels (``"%"`` for percentages).
    decimals : int, default 0
        Decimals of the value axis' tick labels.

    Notes
    -----
    Units outside the outer limits are labelled by name; points inside the funnel differ from the
    centre no more than chance would explain (Spiegelhalter 2005).
    """
    limit_columns = dict(
        limit_columns
        or {"95%-grenzen": ("lower_95", "upper_95"), "99,8%-grenzen": ("lower_99.8", "upper_99.8")}
    )
    fig, ax = new_figure(height=5.0)
    grid_size = "denominator" if "denominator" in limits.columns else size
    grid = limits.sort_values(grid_size)
    styles = ["--", ":"]
    outer_low = outer_high = None
    for position, (name, (low_column, high_column)) in enumerate(limit_columns.items()):
        style = styles[position % len(styles)]
        ax.plot(grid[grid_size], grid[low_column], color="#555555", ls=style, lw=1.2, label=name)
        ax.plot(grid[grid_size], grid[high_column], color="#555555", ls=style, lw=1.2)
        outer_low, outer_high = low_column, high_column
    ax.axhline(centre, color="black", lw=1.2, label="Gemiddelde")
    marked = set(highlight)
    colours = [PALETTE[1] if str(name) in marked else PALETTE[0] for name in points[label]]
    ax.scatter(
        points[size].astype(float),
        points[value].astype(float),
        c=colours,
        s=42,
        zorder=4,
        edgecolor="white",
    )
    if outer_low is not None:
        lower = np.interp(points[size].astype(float), grid[grid_size], grid[outer_low])
        upper = np.interp(points[size].astype(float), grid[grid_size], grid[outer_high])
        outside = (points[value].astype(float) < lower) | (points[value].astype(float) > upper)
        labelled = [
            record
            for record, flag in zip(points.itertuples(index=False), outside, strict=True)
            if flag or str(getattr(record, label)) in marked
        ]
        labelled.sort(key=lambda record: float(getattr(record, size)))
        for position, record in enumerate(labelled):
            # Alternate above/below so that neighbouring labels do not overprint each other.
            ax.annotate(
                str(getattr(record, label)),
                (float(getattr(record, size)), float(getattr(record, value))),
                xytext=(4, 4 if position % 2 == 0 else -10),
                textcoords="offset points",
                fontsize=7.5,
            )
    if marked:
        ax.scatter([], [], c=PALETTE[1], s=42, label="Gemeenten van het gebied")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(dutch_formatter(0))
    ax.yaxis.set_major_formatter(dutch_formatter(decimals, unit))
    ax.set_ylim(bottom=max(0, ax.get_ylim()[0]))
    ax.legend(loc="upper right")
    _label(ax, title, size if xlabel is None else xlabel, value if ylabel is None else ylabel)
    return _finish(fig, source, note)


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
    """
    composition = municipalities(year)
    if TILE_GRID_PATH.exists():
        grid = pd.read_csv(TILE_GRID_PATH, dtype={"gemeente_code": str})
        row_column = "row" if "row" in grid.columns else "y"
        col_column = "col" if "col" in grid.columns else "x"
        grid = grid.rename(columns={row_column: "row", col_column: "col"})
        grid = grid[["gemeente_code", "row", "col"]]
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


def _short_name(name: str) -> str:
    if len(name) <= 9:
        return name
    words = name.replace("-", " ").split()
    if len(words) > 1:
        return "".join(word[0].upper() for word in words if word[0].isalpha())
    return name[:7] + "."


def _colourbar(fig, ax, norm, label: str, decimals: int, unit: str) -> None:
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=SEQUENTIAL_CMAP)
    bar = fig.colorbar(mappable, ax=ax, shrink=0.75, pad=0.02)
    bar.set_label(label)
    bar.formatter = dutch_formatter(decimals, unit)
    bar.update_ticks()


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
) -> Figure:
    """The region's municipalities as equal tiles coloured by a value.

    Parameters
    ----------
    values : pandas.Series
        Values indexed by GM code; municipalities without a value are drawn hatched grey.
    label : str
        Colour bar label (Dutch, with unit).
    highlight : sequence of str
        GM codes outlined in black (the report's area).

    Notes
    -----
    Equal tiles give every municipality the same visual weight, unlike a real map where large
    rural municipalities dominate; positions only approximate geography.
    """
    grid = tile_grid(year)
    fig, ax = new_figure(width=8.0, height=6.2)
    finite = values.astype(float).replace([np.inf, -np.inf], np.nan).dropna()
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    norm = Normalize(vmin=low, vmax=high if high > low else low + 1)
    cmap = plt.get_cmap(SEQUENTIAL_CMAP)
    marked = set(highlight)
    for record in grid.itertuples(index=False):
        value = finite.get(record.gemeente_code, np.nan)
        missing = not np.isfinite(value)
        colour = "#dddddd" if missing else cmap(norm(value))
        x, y = record.col, -record.row
        ax.add_patch(
            plt.Rectangle(
                (x - 0.46, y - 0.46),
                0.92,
                0.92,
                facecolor=colour,
                edgecolor="black" if record.gemeente_code in marked else "white",
                lw=2.2 if record.gemeente_code in marked else 0.8,
                hatch="///" if missing else None,
            )
        )
        brightness = 1.0 if missing else float(np.mean(colour[:3]))
        ax.text(
            x,
            y,
            _short_name(record.gemeente_name),
            ha="center",
            va="center",
            fontsize=6,
            color="black" if brightness > 0.5 else "white",
        )
    ax.set_xlim(grid["col"].min() - 0.6, grid["col"].max() + 0.6)
    ax.set_ylim(-grid["row"].max() - 0.6, -grid["row"].min() + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    _colourbar(fig, ax, norm, label, decimals, unit)
    _label(ax, title, None, None)
    text = "Tegelkaart: elke gemeente één vak; ligging bij benadering"
    return _finish(fig, source, f"{text}. {note}" if note else text)


def _rings(geometry: Mapping[str, Any]) -> list[np.ndarray]:
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates") or []
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    rings = []
    for polygon in polygons:
        if polygon:
            rings.append(np.asarray(polygon[0], dtype=float)[:, :2])  # outer ring only
    return rings


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
) -> Figure:
    """A map of real municipal boundaries coloured by a value.

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
        GM codes outlined in black.
    names : mapping, optional
        GM code -> name, for the note on missing polygons.

    Notes
    -----
    Polygons are drawn with a :class:`~matplotlib.collections.PolyCollection` (outer rings; holes
    are ignored, which at this scale only fills a few lakes). Longitude/latitude are shown with an
    aspect of ``1 / cos(latitude)`` so that the Netherlands is not stretched.
    """
    wanted = list(values.index if codes is None else codes)
    features = {}
    for feature in boundaries.get("features", []):
        code = str((feature.get("properties") or {}).get("statcode", "")).strip()
        if code in wanted:
            features[code] = feature
    fig, ax = new_figure(width=8.0, height=6.4)
    finite = values.astype(float).replace([np.inf, -np.inf], np.nan).dropna()
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    norm = Normalize(vmin=low, vmax=high if high > low else low + 1)
    cmap = plt.get_cmap(SEQUENTIAL_CMAP)
    polygons, colours, edges, widths = [], [], [], []
    marked = set(highlight)
    for code in wanted:
        if code not in features:
            continue
        value = finite.get(code, np.nan)
        for ring in _rings(features[code].get("geometry") or {}):
            polygons.append(ring)
            colours.append("#dddddd" if not np.isfinite(value) else cmap(norm(value)))
            edges.append("black" if code in marked else "white")
            widths.append(1.8 if code in marked else 0.5)
    if polygons:
        collection = PolyCollection(
            polygons, facecolors=colours, edgecolors=edges, linewidths=widths
        )
        ax.add_collection(collection)
        stacked = np.vstack(polygons)
        ax.set_xlim(stacked[:, 0].min(), stacked[:, 0].max())
        ax.set_ylim(stacked[:, 1].min(), stacked[:, 1].max())
        mean_y = float(stacked[:, 1].mean())
        geographic = abs(mean_y) <= 90
        ax.set_aspect(1 / math.cos(math.radians(mean_y)) if geographic else "equal")
    ax.axis("off")
    _colourbar(fig, ax, norm, label, decimals, unit)
    _label(ax, title, None, None)
    missing = [code for code in wanted if code not in features]
    if missing:
        shown = ", ".join((names or {}).get(code, code) for code in missing)
        extra = f"Niet op de kaart (geen eigen grens in de kaartbron): {shown}"
        note = f"{note}. {extra}" if note else extra
    return _finish(fig, source, note)


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
) -> Figure:
    """A choropleth when the dataset has boundaries, otherwise the tile map of the region.

    ``values`` are indexed by the GM codes of the region's composition of ``year``.
    """
    composition = municipalities(year)
    names = dict(zip(composition["gemeente_code"], composition["gemeente_name"], strict=True))
    if getattr(dataset, "boundaries", None):
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
    )


def save(fig: Figure, path: str | Path) -> Path:
    """Save a figure as PNG (helper for scripts and tests)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path
