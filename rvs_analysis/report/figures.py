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

Drawing cost
------------
Drawing is most of what a report's cells cost. The project pins matplotlib below 3.11: 3.11 lays
out and rasterises text glyph by glyph in Python (one FreeType call and one transform per glyph),
and a report chart with its tick labels, legend and source line then takes about a third longer
to draw (a target chart: 130 ms against 95 ms on the reference machine, issue 16).
"""

from __future__ import annotations

import functools
import inspect
import math
import textwrap
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from rvs_analysis.dutch import fmt_num
from rvs_analysis.report import palette, pixels
from rvs_analysis.report.layout import HouseLayoutEngine, fitted_title
from rvs_analysis.report.shared import UnkeyableArgumentError, content_key

__all__ = [
    "FIGURE_DPI",
    "HouseLayoutEngine",
    "PALETTE",
    "SEQUENTIAL_CMAP",
    "alt_text",
    "apply_house_style",
    "apportioned_codes",
    "area_map",
    "bar_chart",
    "choropleth",
    "drawn_once",
    "dutch_formatter",
    "event_study_plot",
    "forest_plot",
    "funnel_plot",
    "mark_overlay",
    "new_figure",
    "png_bytes",
    "set_alt_text",
    "source_line",
    "stl_plot",
    "target_chart",
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


_SOURCE_SPACE = 0.07

FIGURE_DPI = 100
"""Resolution of the PNG a report shows (and offers for download): 800 px for an 8-inch figure,
sharp in the report's 60rem column and light enough for the page-weight goal."""


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
            # a fixed title position: matplotlib's automatic one looks for tick labels above
            # the axes (the house style has none) at the cost of a third of a draw
            "axes.titley": 1.0,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def dutch_formatter(decimals: int = 0, suffix: str = "") -> FuncFormatter:
    """Tick labels in Dutch notation (``12.564``, ``7,5%``) that state their value.

    ``decimals`` is the least number of decimals; a tick that needs more to be exact (2,5% on an
    axis formatted without decimals) gets them, up to three, so no label is rounded to a
    neighbour's value.
    """

    def label(value, _position=None):
        for shown in range(decimals, max(decimals, 3) + 1):
            if abs(round(value, shown) - value) < 1e-9 * max(1.0, abs(value)):
                return fmt_num(value, shown) + suffix
        return fmt_num(value, max(decimals, 3)) + suffix

    return FuncFormatter(label)


def _legend_outside(ax, ncols: int | None = None) -> None:
    """The legend below the plotting area, so that it never covers data or reference lines.

    It hangs a fixed distance below the axes (room for the x tick labels and the axis label,
    from the house style's sizes), not a fraction of the axes' height: its place then does not
    change when the layout resizes the axes.
    """
    from matplotlib.transforms import ScaledTranslation

    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    style = plt.rcParams
    below = (
        (style["xtick.major.size"] if style["xtick.bottom"] else 0.0)
        + style["xtick.major.pad"]
        + 1.3 * _points(style["xtick.labelsize"])
        + style["axes.labelpad"]
        + 1.3 * _points(style["axes.labelsize"])
        + 8.0
    )
    fig = ax.figure
    anchor = ax.transAxes + ScaledTranslation(0.0, -below / 72.0, fig.dpi_scale_trans)
    ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(0.0, 0.0),
        bbox_transform=anchor,
        ncols=ncols or min(len(labels), 3),
        frameon=False,
        borderaxespad=0.0,
    )


def _points(size) -> float:
    """A font size from ``rcParams`` ("large", 11.0) in points."""
    from matplotlib.font_manager import FontProperties

    return float(FontProperties(size=size).get_size_in_points())


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
    fig.set_layout_engine(HouseLayoutEngine(rect=(0, _SOURCE_SPACE, 1, 1 - _SOURCE_SPACE - 0.005)))
    return fig, axes


def source_line(fig: Figure, source: str, note: str | None = None) -> Figure:
    """Write ``Bron: <source>`` (and an optional note) at the bottom left of a figure."""
    text = source if source.lower().startswith("bron") else f"Bron: {source}"
    if note:
        text = f"{text}. {note}"
    wrapped = "\n".join(textwrap.wrap(text, width=int(fig.get_figwidth() * 15)))
    fig.text(0.01, 0.01, wrapped, ha="left", va="bottom", fontsize=8.5, color="#444444")
    return fig


def _finish(fig: Figure, source: str, note: str | None = None, alt: str | None = None) -> Figure:
    source_line(fig, source, note)
    if alt:
        set_alt_text(fig, alt)
    _register_display()
    plt.close(fig)
    return fig


_DRAWN: OrderedDict[tuple, bytes] = OrderedDict()
_DRAWN_LIMIT = 48
"""PNG images kept for :func:`drawn_once` figures (some tens of kilobytes each)."""

_BASES: OrderedDict[tuple, tuple[np.ndarray, list]] = OrderedDict()
_BASES_LIMIT = 8
"""Drawn canvases without their overlay (a map's highlighted area), with the axes' positions:
about 2 MB each."""

OVERLAY_ZORDER = 5
"""Z-order of overlay artists (:func:`mark_overlay`): above tiles, borders and labels."""


def drawn_once(function=None, *, overlay: str | None = None):
    """Mark the figures ``function`` builds so that equal calls are drawn only once per process.

    A figure function is pure: its figure depends on its arguments and the house style only. The
    figure is still built on every call (scripts get a real :class:`~matplotlib.figure.Figure`),
    but it carries a key of the call (the function, the :func:`~rvs_analysis.report.shared.content_key`
    of every argument, the current ``rcParams``), and :func:`png_bytes` hands out the image an
    equal call drew before instead of drawing again. In a batch this spares the region-wide
    figures every municipality report shows unchanged (the drivers' forest plot, the event
    studies, a district's bars). A figure changed after it was built is ``stale`` and drawn anew;
    a call with an argument that has no content key is drawn as usual.

    ``overlay`` names an argument that only adds overlay artists (:func:`mark_overlay`) on top of
    a figure that is otherwise the same, such as the highlighted area of a map: figures of calls
    that differ in it alone share one drawn canvas, and only their overlay is drawn on a copy of
    it (whether the argument is empty still counts, as it may change a note).
    """
    if function is None:
        return functools.partial(drawn_once, overlay=overlay)
    signature = inspect.signature(function)

    @functools.wraps(function)
    def build(*args, **kwargs):
        fig = function(*args, **kwargs)
        style = repr(sorted(plt.rcParams.items()))
        try:
            key = (function.__qualname__, content_key(args), content_key(kwargs), style)
            base_key = None
            if overlay is not None:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                arguments = dict(bound.arguments)
                arguments[overlay] = bool(arguments[overlay])
                base_key = (function.__qualname__, "base", content_key(arguments), style)
        except UnkeyableArgumentError:
            return fig
        fig._rvs_drawn_key = key
        fig._rvs_base_key = base_key
        fig.stale = False
        return fig

    return build


def mark_overlay(artist, zorder: float = OVERLAY_ZORDER):
    """Draw ``artist`` as an overlay of its :func:`drawn_once` figure; returns it.

    ``zorder`` (at least :data:`OVERLAY_ZORDER`) must lie above every other artist of the figure
    that the overlay can touch, so that drawing it on a kept canvas equals drawing the figure.
    An overlay takes no part in the layout (``set_in_layout(False)``): the kept canvas was laid
    out without it, and a name near the axes' edge must not move them.
    """
    artist.set_zorder(zorder)
    artist.set_in_layout(False)
    artist._rvs_overlay = True
    fig = artist.get_figure(root=True)
    if fig is None:
        raise ValueError("mark_overlay needs an artist already added to a figure's axes")
    # kept on the figure: finding them with findobj would walk every artist (and create the
    # axes' ticks) again for each report
    fig.__dict__.setdefault("_rvs_overlays", []).append(artist)
    return artist


def _drawn_key(fig: Figure, dpi: int):
    key = getattr(fig, "_rvs_drawn_key", None)
    if key is None or fig.stale:
        return None
    return (key, dpi)


def _draw_pixels(fig: Figure, dpi: int, base_key) -> np.ndarray:
    """The figure drawn by the Agg canvas at ``dpi`` on white, as RGB pixels
    (:func:`_draw_rgba` without its alpha channel)."""
    return _draw_rgba(fig, dpi, base_key)[..., :3]


def _draw_rgba(fig: Figure, dpi: int, base_key) -> np.ndarray:
    """The figure drawn by the Agg canvas at ``dpi``, as the canvas's RGBA buffer.

    With a ``base_key`` (:func:`drawn_once` with ``overlay``) the canvas without the overlay
    artists is drawn once and kept; a figure with the same key gets a copy of it, its axes placed
    where that drawing's layout put them, and only its overlay artists drawn on top. The result is
    the same as drawing the whole figure: the overlay lies above everything else in its axes and
    does not change the layout (it stays inside the axes).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    if base_key is None:
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())
    overlays = sorted(
        (
            artist
            for artist in getattr(fig, "_rvs_overlays", ())
            if artist.get_figure(root=True) is fig
        ),
        key=lambda artist: artist.get_zorder(),
    )
    base = _BASES.get((base_key, dpi))
    if base is None or len(base[1]) != len(fig.axes):
        for artist in overlays:
            artist.set_visible(False)
        canvas.draw()
        for artist in overlays:
            artist.set_visible(True)
        positions = [ax.get_position(original=False).frozen() for ax in fig.axes]
        _BASES[(base_key, dpi)] = (np.asarray(canvas.buffer_rgba()).copy(), positions)
        while len(_BASES) > _BASES_LIMIT:
            _BASES.popitem(last=False)
        renderer = canvas.get_renderer()
    else:
        _BASES.move_to_end((base_key, dpi))
        pixels, positions = base
        for ax, position in zip(fig.axes, positions, strict=True):
            ax.set_position(position)
            ax.set_in_layout(True)
        renderer = canvas.get_renderer()
        np.asarray(renderer.buffer_rgba())[...] = pixels
    for artist in overlays:
        artist.draw(renderer)
    return np.asarray(renderer.buffer_rgba())


# ------------------------------------------------------------------------------------------------
# Alternative text and the PNG a report shows
# ------------------------------------------------------------------------------------------------


def set_alt_text(fig: Figure, text: str) -> Figure:
    """Attach the alternative text (what the figure shows and its key numbers) to a figure.

    The text travels with the figure: the notebook output's ``image/png`` metadata carries it as
    ``alt`` (the report template writes it into ``<img alt=...>``) and the PNG itself carries it
    as its ``Description`` text chunk.
    """
    fig._rvs_alt_text = " ".join(str(text).split())
    return fig


def alt_text(fig: Figure) -> str:
    """The figure's alternative text; without one set, its titles and axis labels."""
    text = getattr(fig, "_rvs_alt_text", None)
    if text:
        return text
    parts = []
    for ax in fig.axes:
        titles = (ax.get_title(loc) for loc in ("left", "center", "right"))
        for part in (*titles, ax.get_ylabel(), ax.get_xlabel()):
            part = " ".join(part.split())
            if part and part not in parts:
                parts.append(part)
    return "Figuur: " + ("; ".join(parts) if parts else "zonder titel")


def png_bytes(fig: Figure, dpi: int = FIGURE_DPI) -> bytes:
    """The figure as the PNG a report shows: ``dpi`` resolution, alt text as its Description.

    Notes
    -----
    The figure is drawn once, by the Agg canvas (its constrained layout fits the labels), and
    the white margin around what was drawn is cut to ``savefig.pad_inches`` (what
    ``bbox_inches="tight"`` does with a second draw). Only when something is drawn up to the
    canvas edge (and so perhaps past it) does matplotlib's tight bounding box and second draw
    take over. The pixels are then reduced to an adaptive
    palette of at most 256 colours (Pillow's maximum-coverage quantiser, no dithering):
    figures are flat colours and anti-aliased lines, so the palette image looks the same at about
    a third of the size. On the reports' figures it stays within 8 of 255 levels of every pixel
    (median cut: up to 74, with a visible step in colour bars; the octree quantiser bands them)
    and is faster and slightly smaller than median cut. A figure drawn over a kept canvas
    (:func:`drawn_once` with ``overlay``) quantises only the pixels its overlay changed
    (:func:`rvs_analysis.report.palette.palette_image`), also within 8 levels. The image is
    written once, without Pillow's slow ``optimize`` pass (a few per cent larger, four times
    faster to write). A figure built by a
    :func:`drawn_once` function and not changed since gets the image an equal call drew before.
    """
    import io

    from PIL import Image, PngImagePlugin

    drawn_key = _drawn_key(fig, dpi)
    if drawn_key is not None and drawn_key in _DRAWN:
        _DRAWN.move_to_end(drawn_key)
        return _DRAWN[drawn_key]
    original_dpi, original_face = fig.dpi, fig.get_facecolor()
    try:
        fig.set_dpi(dpi)
        fig.set_facecolor("white")
        rgba = _draw_rgba(fig, dpi, getattr(fig, "_rvs_base_key", None) if drawn_key else None)
    finally:
        fig.set_dpi(original_dpi)
        fig.set_facecolor(original_face)
    pad = round(plt.rcParams["savefig.pad_inches"] * dpi)
    ink = pixels.ink(rgba)
    if pixels.touches_edge(ink):
        # something reaches past the canvas (a long label, a legend outside the axes): let
        # matplotlib find the tight bounding box, at the cost of a second draw
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
        buffer.seek(0)
        image = Image.open(buffer).convert("RGB")
    else:
        box = top, bottom, left, right = pixels.inked_box(ink, pad)
        base_key = getattr(fig, "_rvs_base_key", None) if drawn_key else None
        if base_key is not None and (base_key, dpi) in _BASES:
            image = palette.palette_image(rgba, _BASES[(base_key, dpi)][0], (base_key, dpi, box))
        else:
            image = Image.fromarray(pixels.white_margin(rgba[top:bottom, left:right], pad)).convert(
                "RGB"
            )
    info = PngImagePlugin.PngInfo()
    info.add_text("Description", alt_text(fig))
    reduced = image if image.mode == "P" else palette.quantised(image, 256)
    out = io.BytesIO()
    reduced.save(out, format="PNG", pnginfo=info)
    data = out.getvalue()
    if drawn_key is not None:
        _DRAWN[drawn_key] = data
        while len(_DRAWN) > _DRAWN_LIMIT:
            _DRAWN.popitem(last=False)
    return data


def _png_with_alt(fig: Figure):
    """IPython formatter: PNG bytes plus the ``alt``, ``width`` and ``height`` output metadata."""
    data = png_bytes(fig)
    width, height = _png_size(data)
    return data, {"alt": alt_text(fig), "width": width, "height": height}


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _register_display() -> None:
    """Show house-style figures in a notebook through :func:`_png_with_alt` (no-op outside)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, _png_with_alt)


def _series_words(xs, ys, decimals: int, unit: str) -> str:
    pairs = [(x, y) for x, y in zip(xs, ys, strict=False) if np.isfinite(float(y))]
    if not pairs:
        return "geen waarden"
    (x0, y0), (x1, y1) = pairs[0], pairs[-1]
    if len(pairs) == 1:
        return f"{fmt_num(y0, decimals)}{unit} in {_x_text(x0)}"
    low = min(pairs, key=lambda pair: float(pair[1]))
    high = max(pairs, key=lambda pair: float(pair[1]))
    return (
        f"van {fmt_num(y0, decimals)}{unit} in {_x_text(x0)} naar {fmt_num(y1, decimals)}{unit} "
        f"in {_x_text(x1)} (hoogste {fmt_num(high[1], decimals)}{unit} in {_x_text(high[0])}, "
        f"laagste {fmt_num(low[1], decimals)}{unit} in {_x_text(low[0])})"
    )


def _x_text(value) -> str:
    if isinstance(value, pd.Timestamp | np.datetime64):
        from rvs_analysis.dutch import fmt_month

        return fmt_month(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else fmt_num(number, 1)


def _label(ax, title: str | None, xlabel: str | None, ylabel: str | None) -> None:
    if title:
        # the y tick labels stand left of the left-aligned title (long ones in a forest plot)
        rows = tuple(label.get_text() for label in ax.get_yticklabels())
        ax.set_title(fitted_title(ax.figure, title, rows))
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)


# ------------------------------------------------------------------------------------------------
# Time series, bars, coefficients
# ------------------------------------------------------------------------------------------------


@drawn_once
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
    described = []
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
        described.append(
            f"{label}: {_series_words(group[x], group[y].astype(float), decimals, unit)}"
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
        described.append(
            "doel "
            + ", ".join(
                f"{fmt_num(value, decimals)}{unit} in {_x_text(when)}"
                for when, value in zip(targets[x], targets["target"].astype(float), strict=True)
            )
        )
    if ylim_zero:
        ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(dutch_formatter(decimals, unit))
    if pd.api.types.is_integer_dtype(frame[x]):
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    _label(ax, title, xlabel, ylabel)
    _legend_outside(ax)
    alt = f"Lijngrafiek: {title or ylabel or y}. " + "; ".join(described) + "."
    return _finish(fig, source, note, alt)


@drawn_once
def target_chart(
    observed: pd.DataFrame,
    source: str,
    target_path: pd.DataFrame | None = None,
    forecast: pd.DataFrame | None = None,
    title: str | None = None,
    ylabel: str = "Aantal",
    decimals: int = 0,
    unit: str = "",
    note: str | None = None,
) -> Figure:
    """A count indicator against its targets: observed values, the target path and the forecast.

    Parameters
    ----------
    observed : pandas.DataFrame
        ``year, value`` and optionally ``provisional`` (bool): provisional years are drawn as open
        markers.
    target_path : pandas.DataFrame, optional
        ``year, value, kind`` with the baseline (``kind == "baseline"``) and each target
        (``"target"``), in year order: drawn as a dashed line through them, targets as diamonds.
    forecast : pandas.DataFrame, optional
        ``year, mean, low_80, high_80, low_95, high_95`` from the report year to the target year:
        the forecast line with its 80% and 95% bands.
    """
    fig, ax = new_figure()
    data = observed.sort_values("year")
    years = data["year"].astype(int).to_numpy()
    values = data["value"].astype(float).to_numpy()
    provisional = (
        data["provisional"].fillna(False).astype(bool).to_numpy()
        if "provisional" in data.columns
        else np.zeros(len(data), dtype=bool)
    )
    ax.plot(years, values, color=PALETTE[0], lw=2, label="Geregistreerd", zorder=4)
    ax.scatter(years[~provisional], values[~provisional], color=PALETTE[0], s=30, zorder=5)
    if provisional.any():
        ax.scatter(
            years[provisional],
            values[provisional],
            facecolor="white",
            edgecolor=PALETTE[0],
            linewidths=1.8,
            s=42,
            zorder=6,
            label="Voorlopig cijfer",
        )
    described = [f"geregistreerd {_series_words(years, values, decimals, unit)}"]
    if forecast is not None and len(forecast):
        band = forecast.sort_values("year")
        ax.fill_between(
            band["year"],
            band["low_95"],
            band["high_95"],
            color=PALETTE[1],
            alpha=0.18,
            lw=0,
            label="Prognose, 95%-interval",
        )
        ax.fill_between(
            band["year"],
            band["low_80"],
            band["high_80"],
            color=PALETTE[1],
            alpha=0.35,
            lw=0,
            label="Prognose, 80%-interval",
        )
        ax.plot(band["year"], band["mean"], color=PALETTE[1], lw=1.8, ls="-", label="Prognose")
        last = band.iloc[-1]
        described.append(
            f"prognose {int(last['year'])} {fmt_num(last['mean'], decimals)}{unit} (95%-interval "
            f"{fmt_num(last['low_95'], decimals)} tot {fmt_num(last['high_95'], decimals)}{unit})"
        )
    if target_path is not None and len(target_path):
        path = target_path.sort_values("year")
        if len(path) >= 2:  # a path needs two points; one target alone is only its marker
            ax.plot(
                path["year"],
                path["value"].astype(float),
                color="black",
                ls="--",
                lw=1.2,
                label="Doelpad vanaf de nulmeting",
            )
        goals = path[path["kind"] == "target"]
        ax.scatter(
            goals["year"],
            goals["value"].astype(float),
            marker="D",
            s=45,
            color="black",
            zorder=7,
            label="Doel",
        )
        described.append(
            "doelen "
            + ", ".join(
                f"{fmt_num(value, decimals)}{unit} in {int(year)}"
                for year, value in zip(goals["year"], goals["value"].astype(float), strict=True)
            )
        )
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(dutch_formatter(decimals, unit))
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    _label(ax, title, "Jaar", ylabel)
    _legend_outside(ax, ncols=3)
    alt = f"Lijngrafiek met doelen: {title or ylabel}. " + "; ".join(described) + "."
    return _finish(fig, source, note, alt)


@drawn_once
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
        _legend_outside(ax)
    ax.set_yticks(positions, names)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(dutch_formatter(decimals if decimals < 2 else 1, unit))
    ax.grid(axis="y", visible=False)
    # Value labels at the end of each bar (beyond the whisker when there is one), so that a bar
    # too short to see still states its value.
    ends = values if high is None else np.fmax(values, frame[high].astype(float).to_numpy())
    starts = values if low is None else np.fmin(values, frame[low].astype(float).to_numpy())
    span = np.nanmax(np.abs(np.concatenate([ends, starts, [0.0]]))) or 1.0
    for position, shown, end, begin in zip(positions, values, ends, starts, strict=True):
        if not np.isfinite(shown):
            continue
        negative = shown < 0
        anchor = begin if negative else end
        ax.annotate(
            fmt_num(shown, decimals) + unit,
            (anchor, position),
            xytext=(-4 if negative else 4, 0),
            textcoords="offset points",
            ha="right" if negative else "left",
            va="center",
            fontsize=8,
        )
    finite_starts, finite_ends = starts[np.isfinite(starts)], ends[np.isfinite(ends)]
    if len(finite_starts) and len(finite_ends):  # room for the value labels
        left, right = ax.get_xlim()
        ax.set_xlim(
            min(left, finite_starts.min() - 0.12 * span),
            max(right, finite_ends.max() + 0.12 * span),
        )
    _label(ax, title, xlabel, "")
    alt = f"Staafdiagram: {title or value}. " + "; ".join(
        f"{name} {fmt_num(number, decimals)}{unit}"
        for name, number in zip(names, values, strict=True)
    )
    if reference is not None and math.isfinite(reference):
        alt += f". {reference_label}: {fmt_num(reference, decimals)}{unit}"
    return _finish(fig, source, note, alt + ".")


@drawn_once
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
    alt = f"Puntschattingen met interval: {title or xlabel}. " + "; ".join(
        f"{name} {fmt_num(value, 2)} ({fmt_num(lo, 2)} tot {fmt_num(hi, 2)})"
        for name, value, lo, hi in zip(frame[label], values, lows, highs, strict=True)
    )
    return _finish(
        fig, source, note or "Grijs: interval omvat geen effect (niet significant)", alt + "."
    )


@drawn_once
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
        _legend_outside(ax)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(dutch_formatter(1))
    _label(ax, title, xlabel, ylabel)
    alt = f"Verschil per meting: {title or ylabel}. " + "; ".join(
        f"{_x_text(when)}: {fmt_num(value, 1)}" for when, value in zip(xs, values, strict=True)
    )
    if start is not None:
        alt += f". De proeftuinen startten vóór de meting van {_x_text(start)}"
    return _finish(fig, source, note, alt + ".")


@drawn_once
def stl_plot(
    decomposition: pd.DataFrame,
    source: str,
    change_dates: Sequence[Any] = (),
    title: str | None = None,
    ylabel: str = "Aantal per maand",
    note: str | None = None,
    change_label: str = "Trendbreuk",
) -> Figure:
    """Observed, trend and seasonally adjusted monthly counts, the seasonal factor, change points.

    Parameters
    ----------
    decomposition : pandas.DataFrame
        From :func:`rvs_analysis.stats.monthly.stl_decompose` (columns ``observed``, ``trend``,
        ``seasonal``, ``seasonally_adjusted``; seasonal as a factor when decomposed on logs).
    change_dates : sequence of dates
        First months of new segments, drawn as vertical lines.
    change_label : str, optional
        Legend and alt-text name of those lines ("Trendbreuk" for a jump, "Knik in de trend"
        for a bend).
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
            date, color="black", ls="--", lw=1, label=change_label if position == 0 else None
        )
    top.set_ylim(bottom=0)
    top.yaxis.set_major_formatter(dutch_formatter(0))
    top.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=4, frameon=False)
    _label(top, title, "", ylabel)
    if title:
        top.set_title(title, pad=22)
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
    peak, trough = int(shown.idxmax()), int(shown.idxmin())
    seasonal_unit = "%" if factor else ""
    alt = (
        f"Maandreeks: {title or ylabel}, {_x_text(index[0])} tot {_x_text(index[-1])}. "
        f"Trend {_series_words(index, decomposition['trend'].astype(float), 0, '')}. "
        f"Seizoen: hoogst in {months[peak - 1]} ({fmt_num(shown.max(), 0, signed=True)}"
        f"{seasonal_unit}), laagst in {months[trough - 1]} ({fmt_num(shown.min(), 0)}"
        f"{seasonal_unit}). "
        + (
            f"{change_label}: " + ", ".join(_x_text(pd.Timestamp(date)) for date in change_dates)
            if len(change_dates)
            else "Geen trendbreuk of knik"
        )
    )
    return _finish(fig, source, note, alt + ".")


@drawn_once(overlay="highlight")
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
    sizes, values = points[size].astype(float), points[value].astype(float)
    ax.scatter(sizes, values, c=PALETTE[0], s=42, zorder=4, edgecolor="white")
    # The area's own points and names are overlays (drawn_once): a batch draws the funnel of the
    # region once and only them on a copy for each area.
    is_marked = points[label].astype(str).isin(marked).to_numpy()
    if is_marked.any():
        mark_overlay(
            ax.scatter(sizes[is_marked], values[is_marked], c=PALETTE[1], s=42, edgecolor="white"),
            zorder=OVERLAY_ZORDER + 2,
        )
    if outer_low is not None:
        lower = np.interp(sizes, grid[grid_size], grid[outer_low])
        upper = np.interp(sizes, grid[grid_size], grid[outer_high])
        outside = (values < lower) | (values > upper)
        labelled = [
            record
            for record, flag in zip(points.itertuples(index=False), outside, strict=True)
            if flag
        ]
        labelled.sort(key=lambda record: float(getattr(record, size)))
        label_box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}
        for position, record in enumerate(labelled):
            # Alternate above/below so that neighbouring labels do not overprint each other.
            # A white box under the name keeps the limit lines from running through it.
            ax.annotate(
                str(getattr(record, label)),
                (float(getattr(record, size)), float(getattr(record, value))),
                xytext=(5, 5 if position % 2 == 0 else -11),
                textcoords="offset points",
                fontsize=7.5,
                zorder=6,
                bbox=label_box,
            )
        # the area's own municipalities are named too (above their point), outliers or not
        for record, flag, own in zip(
            points.itertuples(index=False), outside, is_marked, strict=True
        ):
            if own and not flag:
                annotation = ax.annotate(
                    str(getattr(record, label)),
                    (float(getattr(record, size)), float(getattr(record, value))),
                    xytext=(5, 5),
                    textcoords="offset points",
                    fontsize=7.5,
                    bbox=label_box,
                )
                mark_overlay(annotation, zorder=OVERLAY_ZORDER + 3)
    else:
        outside = pd.Series(False, index=points.index)
    if marked:
        ax.scatter([], [], c=PALETTE[1], s=42, label="Gemeenten van het gebied")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(dutch_formatter(0))
    ax.yaxis.set_major_formatter(dutch_formatter(decimals, unit))
    bottom, top = ax.get_ylim()
    if bottom < 0 or (len(values) and float(values.min()) <= 0.025 * top):
        # a little room below zero, so that a point at 0% is drawn whole, not cut in half
        bottom = -0.025 * top if float(values.min()) >= 0 else bottom
    ax.set_ylim(bottom=bottom)
    _legend_outside(ax, ncols=4)
    xlabel = size if xlabel is None else xlabel
    ylabel = value if ylabel is None else ylabel
    _label(ax, title, xlabel, ylabel)
    flagged = [str(name) for name, flag in zip(points[label], outside, strict=True) if flag]
    alt = (
        f"Trechterdiagram: {title or ylabel}. {len(points)} gemeenten, gemiddelde "
        f"{fmt_num(centre, decimals)}{unit}. "
        + (
            "Buiten de buitenste grenzen: " + ", ".join(flagged)
            if flagged
            else "Alle gemeenten liggen binnen de grenzen"
        )
    )
    return _finish(fig, source, note, alt + ".")


PRINT_DPI = 300
"""Resolution :func:`save` writes by default: sharp in print (an 8-inch figure is 2,400 px)."""


def save(fig: Figure, path: str | Path, dpi: int = PRINT_DPI) -> Path:
    """Save a figure as a PNG, for a document, a slide or print.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure of this module (house style, alt text).
    path : str or pathlib.Path
        Where to write; missing folders are made.
    dpi : int, default :data:`PRINT_DPI` (300)
        Resolution. 300 suits print; :data:`FIGURE_DPI` (100) gives the image a report shows.

    Returns
    -------
    pathlib.Path
        The file written.

    Notes
    -----
    The image is made as a report's (:func:`png_bytes`): cut to what is drawn with a white margin,
    at most 256 colours, the alt text as its PNG Description.
    """
    dpi = int(dpi)
    if dpi < 50 or dpi > 1200:
        raise ValueError(f"dpi must lie between 50 and 1200, got {dpi}.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(fig, dpi=dpi))
    return path


# The maps live in their own module (which builds on this one) and are part of this one's
# interface: resolved on first use (PEP 562), so that either module can be imported first.
_MAP_NAMES = frozenset({"apportioned_codes", "area_map", "choropleth", "tile_grid", "tile_map"})

if TYPE_CHECKING:
    from rvs_analysis.report.maps import (
        apportioned_codes,
        area_map,
        choropleth,
        tile_grid,
        tile_map,
    )


def __getattr__(name: str):
    if name in _MAP_NAMES:
        from rvs_analysis.report import maps

        value = getattr(maps, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
