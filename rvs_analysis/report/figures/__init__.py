"""The house style of the reports and the figures they share (a package of four modules).

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

Modules
-------
:mod:`~rvs_analysis.report.figures.style` (palette, group colours, Dutch axes, the figure frame),
:mod:`~rvs_analysis.report.figures.drawing` (drawn once, the PNG, saving),
:mod:`~rvs_analysis.report.figures.charts` (the charts) and
:mod:`~rvs_analysis.report.figures.maps` (tile map and choropleth). Each builds only on the ones
before it; this package re-exports their public names, so a notebook writes
``figures.time_series(...)``.
"""

from __future__ import annotations

from rvs_analysis.report.figures.charts import (
    bar_chart,
    event_study_plot,
    forest_plot,
    funnel_plot,
    stl_plot,
    target_chart,
    time_series,
)
from rvs_analysis.report.figures.drawing import (
    OVERLAY_ZORDER,
    PRINT_DPI,
    drawn_once,
    mark_overlay,
    png_bytes,
    save,
)
from rvs_analysis.report.figures.maps import (
    apportioned_codes,
    area_map,
    choropleth,
    neighbourhood_map,
    tile_grid,
    tile_map,
)
from rvs_analysis.report.figures.style import (
    FIGURE_DPI,
    GROUP_COLOURS,
    PALETTE,
    SEQUENTIAL_CMAP,
    alt_text,
    apply_house_style,
    dutch_formatter,
    new_figure,
    set_alt_text,
    source_line,
)
from rvs_analysis.report.layout import HouseLayoutEngine

__all__ = [
    "FIGURE_DPI",
    "GROUP_COLOURS",
    "OVERLAY_ZORDER",
    "PRINT_DPI",
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
    "neighbourhood_map",
    "new_figure",
    "png_bytes",
    "save",
    "set_alt_text",
    "source_line",
    "stl_plot",
    "target_chart",
    "tile_grid",
    "tile_map",
    "time_series",
]
