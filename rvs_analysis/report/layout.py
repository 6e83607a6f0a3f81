"""Where the parts of a house-style figure go: the axes inside the figure, a long title.

:class:`HouseLayoutEngine` is matplotlib's constrained layout with a shortcut for figures of one
axes (most of the reports' charts): measured once instead of twice, placed the same.
:func:`fitted_title` breaks a title that would run past the figure's right edge.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import _get_tightbbox_for_layout_only
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.textpath import text_to_path
from matplotlib.transforms import Bbox

__all__ = ["TITLE_LEFT_ROOM", "HouseLayoutEngine", "fitted_title"]


class HouseLayoutEngine(ConstrainedLayoutEngine):
    """Matplotlib's constrained layout, with a one-measurement shortcut for one-axes figures.

    Notes
    -----
    Constrained layout measures the tight bounding box of every axes' decorations (tick labels,
    axis labels, title, a legend below the axes) twice: once where the axes stand, and again
    after moving them, as the decorations may change with the axes' size. For a figure of one
    axes in a one-cell grid, without colour bars, figure legends or subfigures, this engine
    places the axes where the figure before it with the same decorations (figure size, axis
    labels, title lines, legend entries) ended, measures there once and sets the same margins
    (the decorations' extent plus ``w_pad``/``h_pad``, inside ``rect``) as constrained layout.
    The measurement holds for the final place when the tick positions of both axes are the
    same there and the height has not changed (a legend anchored below the axes moves with the
    height); otherwise it measures once more at the final place, as constrained layout does.
    The first figure of a kind has no such place to start from: it is measured until measuring
    again moves it by at most 0.01 pixel (constrained layout stops after two measurements,
    which can leave a tick label that overhangs the axes' edge a fraction of a pixel off, as
    the overhang moves with the axes' width), so that figures laid out after it do not depend
    on which figure came first. Every other figure gets constrained layout itself.
    """

    _last_places: dict[tuple, Any] = {}
    MAX_MEASUREMENTS = 5
    """Measurements of one figure at most (a warm start needs one, a first figure two or more)."""

    def execute(self, fig):
        ax = self._single_axes(fig)
        if ax is None:
            return super().execute(fig)
        kind = self._decorations(fig, ax)
        start = self._last_places.get(kind)
        if start is not None:
            ax._set_position(start)
        pixels = np.tile(fig.bbox.size, 2)
        for _ in range(self.MAX_MEASUREMENTS):
            measured_at, measured_ticks = ax.get_position(original=True), self._ticks(ax)
            new = self.place(fig, ax)
            ax._set_position(new)
            if start is None:
                # the first figure of its kind: measured again until its place holds, so that
                # the next one starts from a place that measuring there does not move
                moved = np.abs((new.extents - measured_at.extents) * pixels).max()
                if moved <= 0.01:
                    break
                continue
            moved_height = abs(new.height - measured_at.height) * fig.get_figheight() * fig.dpi
            if moved_height <= 0.25 and self._ticks(ax) == measured_ticks:
                break
        self._last_places[kind] = new.frozen()
        while len(self._last_places) > 64:
            self._last_places.pop(next(iter(self._last_places)))
        return None

    @staticmethod
    def _single_axes(fig):
        """The figure's one axes, when the shortcut applies to it (else ``None``)."""
        axes = [ax for ax in fig.axes if ax.get_in_layout()]
        if len(axes) != 1 or fig.subfigs or fig.legends or fig._suptitle is not None:
            return None
        spec = axes[0].get_subplotspec()
        if axes[0]._colorbars or spec is None or spec.get_gridspec().get_geometry() != (1, 1):
            return None
        return axes[0]

    def _decorations(self, fig, ax) -> tuple:
        """What decides the axes' margins besides tick labels: a key for the last place."""
        legend = ax.get_legend()
        return (
            tuple(float(size) for size in fig.get_size_inches()),
            tuple(self._params["rect"]),
            ax.get_xlabel(),
            ax.get_ylabel(),
            tuple(
                ax.get_title(loc).count("\n") + bool(ax.get_title(loc))
                for loc in ("left", "center", "right")
            ),
            (len(legend.get_texts()), legend._ncols) if legend is not None else None,
        )

    @staticmethod
    def _ticks(ax) -> tuple:
        return tuple(tuple(axis.get_majorticklocs()) for axis in (ax.xaxis, ax.yaxis))

    def place(self, fig, ax):
        """Where constrained layout puts ``ax`` given its decorations measured where it stands
        (one measurement of their tight bounding box); a :class:`~matplotlib.transforms.Bbox`
        in figure coordinates."""
        width, height = fig.get_size_inches()
        w_pad, h_pad = self._params["w_pad"] / width, self._params["h_pad"] / height
        x, y, w, h = self._params["rect"]
        pos = ax.get_position(original=True)
        tight = _get_tightbbox_for_layout_only(ax, fig._get_renderer())
        box = pos if tight is None else tight.transformed(fig.transFigure.inverted())
        left, right = max(pos.x0 - box.x0, 0), max(box.x1 - pos.x1, 0)
        bottom, top = max(pos.y0 - box.y0, 0), max(box.y1 - pos.y1, 0)
        return Bbox.from_extents(
            x + w_pad + left, y + h_pad + bottom, x + w - w_pad - right, y + h - h_pad - top
        )


TITLE_LEFT_ROOM = 1.0
"""Inches of a figure's width left of its (left-aligned) title: the y tick labels and axis label
that the axes' left edge stands behind."""


def fitted_title(fig: Figure, title: str, tick_labels: tuple[str, ...] = ()) -> str:
    """``title`` wrapped so that every line fits the figure.

    A title wider than the figure less the room left of the axes (measured in the title's font)
    breaks after a comma where it can ("…, Flevoland," / "2011–2023, met doelen tot 2018"),
    between words where a part alone is too wide. The room left of the axes is
    :data:`TITLE_LEFT_ROOM`, or more where ``tick_labels`` (the y tick labels of a chart that
    names its rows, such as a forest plot) are wider than that.
    """
    font = FontProperties(
        size=plt.rcParams["axes.titlesize"], weight=plt.rcParams["axes.titleweight"]
    )
    tick_font = FontProperties(size=plt.rcParams["ytick.labelsize"])
    widest = max(
        (
            text_to_path.get_text_width_height_descent(label, tick_font, ismath=False)[0]
            for label in tick_labels
            if label
        ),
        default=0.0,
    )
    # the tick labels, their padding and the page margin stand left of the axes
    left = max(TITLE_LEFT_ROOM, widest / 72.0 + 0.35)
    room = (fig.get_figwidth() - left) * 72.0

    def fits(text: str) -> bool:
        return text_to_path.get_text_width_height_descent(text, font, ismath=False)[0] <= room

    if "\n" in title or fits(title):
        return title

    def filled(parts: list[str]) -> list[str]:
        lines: list[str] = []
        for part in parts:
            if lines and fits(f"{lines[-1]} {part}"):
                lines[-1] = f"{lines[-1]} {part}"
            else:
                lines.append(part)
        return lines

    clauses = [clause + "," for clause in title.split(", ")]
    clauses[-1] = clauses[-1][:-1]
    lines = []
    for line in filled(clauses):
        lines += [line] if fits(line) else filled(line.split())
    return "\n".join(lines)
