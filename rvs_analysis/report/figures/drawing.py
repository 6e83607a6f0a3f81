"""Drawing a figure once: the kept canvases, the PNG a report shows, saving for print.

:func:`drawn_once` marks the figures of a pure figure function so that an equal call is drawn only
once per process (a batch draws each region-wide figure once); :func:`mark_overlay` marks what a
figure adds on a kept canvas (the highlighted area); :func:`png_bytes` is the PNG a report shows
(quantised, with a white margin and its alt text); :func:`save` writes a figure for print.
:func:`finish` closes every chart: source line, alt text, display in a notebook.
"""

from __future__ import annotations

import functools
import inspect
import io
from collections import OrderedDict
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython import get_ipython
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, PngImagePlugin

from rvs_analysis.report import palette, pixels
from rvs_analysis.report.figures.style import FIGURE_DPI, alt_text, set_alt_text, source_line
from rvs_analysis.report.shared import UnkeyableArgumentError, content_key

__all__ = [
    "OVERLAY_ZORDER",
    "PRINT_DPI",
    "drawn_once",
    "finish",
    "mark_overlay",
    "png_bytes",
    "save",
]


def finish(fig: Figure, source: str, note: str | None = None, alt: str | None = None) -> Figure:
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
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, _png_with_alt)


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
