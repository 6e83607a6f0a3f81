"""A drawn figure as pixels: where it is inked, the box around the ink, the white margin.

What :func:`rvs_analysis.report.figures.png_bytes` needs to cut a drawn canvas to its content
without a second draw (``bbox_inches="tight"`` draws twice), on the Agg canvas's RGBA buffer.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ink", "inked_box", "touches_edge", "white_margin"]


def ink(rgba: np.ndarray) -> np.ndarray:
    """Where an RGBA canvas is not opaque white (one comparison per pixel, as 32-bit words)."""
    return rgba.view(np.uint32)[..., 0] != np.uint32(0xFFFFFFFF)


def touches_edge(inked: np.ndarray) -> bool:
    """Whether anything lies on the outermost rows or columns (drawn past the edge)."""
    return bool(inked[0].any() or inked[-1].any() or inked[:, 0].any() or inked[:, -1].any())


def white_margin(rgba: np.ndarray, pad: int) -> np.ndarray:
    """``rgba`` with white added where less than ``pad`` pixels lie between ink and an edge
    (a long y tick label that the layout placed at the canvas's very edge)."""
    inked = ink(rgba)
    rows, columns = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        return rgba
    height, width = inked.shape
    widths = (
        (max(pad - int(rows[0]), 0), max(pad - (height - 1 - int(rows[-1])), 0)),
        (max(pad - int(columns[0]), 0), max(pad - (width - 1 - int(columns[-1])), 0)),
        (0, 0),
    )
    if not any(before or after for before, after in widths[:2]):
        return rgba
    return np.pad(rgba, widths, constant_values=255)


def inked_box(inked: np.ndarray, pad: int) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` of what is inked, plus ``pad`` pixels on every side where
    there is room; the whole canvas when nothing is."""
    rows, columns = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        return 0, inked.shape[0], 0, inked.shape[1]
    top, bottom = max(rows[0] - pad, 0), min(rows[-1] + pad + 1, inked.shape[0])
    left, right = max(columns[0] - pad, 0), min(columns[-1] + pad + 1, inked.shape[1])
    return int(top), int(bottom), int(left), int(right)
