"""The house style of every figure: palette, group colours, Dutch number axes, the figure frame.

One look for every report: seaborn's white grid, the Okabe-Ito colour-blind-safe palette (with a
fixed colour for the groups a reader meets in several figures, :data:`GROUP_COLOURS`), Dutch
labels and Dutch number notation on the axes (decimal comma, dots between thousands), a legend
below the axes and room for the source line under each figure. Charts and maps build on it; it
builds on nothing else of the figures package.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import ScaledTranslation

from rvs_analysis.dutch import fmt_month, fmt_num
from rvs_analysis.report.layout import HouseLayoutEngine, fitted_title

__all__ = [
    "FIGURE_DPI",
    "GROUP_COLOURS",
    "PALETTE",
    "SEQUENTIAL_CMAP",
    "SOURCE_SPACE",
    "alt_text",
    "apply_house_style",
    "dutch_formatter",
    "group_colours",
    "label_axes",
    "legend_outside",
    "new_figure",
    "series_words",
    "set_alt_text",
    "source_line",
    "x_text",
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

GROUP_COLOURS: dict[str, str] = {
    "Proeftuinen": PALETTE[1],
    "Overige gemeenten": PALETTE[0],
    "Nederland": "#555555",
}
"""Groups that keep one colour in every figure of every report (a reader learns "orange is the
pilots" once); other groups take the palette's colours in order, skipping these."""

SEQUENTIAL_CMAP = "cividis"
"""Colour map for maps: perceptually uniform and readable with colour-vision deficiency."""


SOURCE_SPACE = 0.07

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


def legend_outside(ax, ncols: int | None = None) -> None:
    """The legend below the plotting area, so that it never covers data or reference lines.

    It hangs a fixed distance below the axes (room for the x tick labels and the axis label,
    from the house style's sizes), not a fraction of the axes' height: its place then does not
    change when the layout resizes the axes.
    """
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
    fig.set_layout_engine(HouseLayoutEngine(rect=(0, SOURCE_SPACE, 1, 1 - SOURCE_SPACE - 0.005)))
    return fig, axes


def source_line(fig: Figure, source: str, note: str | None = None) -> Figure:
    """Write ``Bron: <source>`` (and an optional note) at the bottom left of a figure."""
    text = source if source.lower().startswith("bron") else f"Bron: {source}"
    if note:
        text = f"{text}. {note}"
    wrapped = "\n".join(textwrap.wrap(text, width=int(fig.get_figwidth() * 15)))
    fig.text(0.01, 0.01, wrapped, ha="left", va="bottom", fontsize=8.5, color="#444444")
    return fig


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


def series_words(xs, ys, decimals: int, unit: str) -> str:
    pairs = [(x, y) for x, y in zip(xs, ys, strict=False) if np.isfinite(float(y))]
    if not pairs:
        return "geen waarden"
    (x0, y0), (x1, y1) = pairs[0], pairs[-1]
    if len(pairs) == 1:
        return f"{fmt_num(y0, decimals)}{unit} in {x_text(x0)}"
    low = min(pairs, key=lambda pair: float(pair[1]))
    high = max(pairs, key=lambda pair: float(pair[1]))
    return (
        f"van {fmt_num(y0, decimals)}{unit} in {x_text(x0)} naar {fmt_num(y1, decimals)}{unit} "
        f"in {x_text(x1)} (hoogste {fmt_num(high[1], decimals)}{unit} in {x_text(high[0])}, "
        f"laagste {fmt_num(low[1], decimals)}{unit} in {x_text(low[0])})"
    )


def x_text(value) -> str:
    if isinstance(value, pd.Timestamp | np.datetime64):
        return fmt_month(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else fmt_num(number, 1)


def label_axes(ax, title: str | None, xlabel: str | None, ylabel: str | None) -> None:
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


def group_colours(names: Sequence) -> list[str]:
    """One colour per group: :data:`GROUP_COLOURS` for the named groups and the palette's other
    colours in order for the rest; the palette in order when no group is named there."""
    if not any(str(name) in GROUP_COLOURS for name in names if name is not None):
        return [PALETTE[position % len(PALETTE)] for position in range(len(names))]
    reserved = set(GROUP_COLOURS.values())
    free = iter([colour for colour in PALETTE if colour not in reserved] * len(names))
    return [
        GROUP_COLOURS[str(name)] if str(name) in GROUP_COLOURS else next(free) for name in names
    ]
