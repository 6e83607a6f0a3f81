"""The report charts: lines over time, targets, bars, forest and event-study plots, seasonal
decomposition and funnel plots. No statistics are computed here: intervals and limits come in as
columns."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, Locator, LogFormatter

from rvs_analysis.dutch import fmt_num
from rvs_analysis.report.figures.drawing import (
    OVERLAY_ZORDER,
    drawn_once,
    finish,
    mark_overlay,
)
from rvs_analysis.report.figures.style import (
    GROUP_COLOURS,
    PALETTE,
    dutch_formatter,
    group_colours,
    label_axes,
    legend_outside,
    new_figure,
    series_words,
    x_text,
)

__all__ = [
    "bar_chart",
    "event_study_plot",
    "forest_plot",
    "funnel_plot",
    "stl_plot",
    "target_chart",
    "time_series",
]


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
    colours = group_colours([name for name, _ in groups])
    described = []
    for position, (name, group) in enumerate(groups):
        colour = colours[position]
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
            f"{label}: {series_words(group[x], group[y].astype(float), decimals, unit)}"
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
                f"{fmt_num(value, decimals)}{unit} in {x_text(when)}"
                for when, value in zip(targets[x], targets["target"].astype(float), strict=True)
            )
        )
    if ylim_zero:
        ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(dutch_formatter(decimals, unit))
    if pd.api.types.is_integer_dtype(frame[x]):
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    label_axes(ax, title, xlabel, ylabel)
    legend_outside(ax)
    alt = f"Lijngrafiek: {title or ylabel or y}. " + "; ".join(described) + "."
    return finish(fig, source, note, alt)


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
    described = [f"geregistreerd {series_words(years, values, decimals, unit)}"]
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
    goals_drawn = target_path is not None and bool(len(target_path))
    if goals_drawn:
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
    label_axes(ax, title, "Jaar", ylabel)
    legend_outside(ax, ncols=3)
    kind = "Lijngrafiek met doelen" if goals_drawn else "Lijngrafiek"
    alt = f"{kind}: {title or ylabel}. " + "; ".join(described) + "."
    return finish(fig, source, note, alt)


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
        legend_outside(ax)
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
    label_axes(ax, title, xlabel, "")
    alt = f"Staafdiagram: {title or value}. " + "; ".join(
        f"{name} {fmt_num(number, decimals)}{unit}"
        for name, number in zip(names, values, strict=True)
    )
    if reference is not None and math.isfinite(reference):
        alt += f". {reference_label}: {fmt_num(reference, decimals)}{unit}"
    return finish(fig, source, note, alt + ".")


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

    Intervals that exclude ``null`` are drawn in the first palette colour, others in grey. An
    estimate without an interval (a missing bound) is an open grey point, and the note under the
    figure says what that means.
    """
    height = max(2.5, 0.5 * len(frame) + 1.3)
    fig, ax = new_figure(height=height)
    positions = np.arange(len(frame))
    values = frame[estimate].astype(float).to_numpy()
    lows = frame[low].astype(float).to_numpy()
    highs = frame[high].astype(float).to_numpy()
    significant = (lows > null) | (highs < null)
    without = np.isnan(lows) | np.isnan(highs)
    for position, value, lo, hi, flag, bare in zip(
        positions, values, lows, highs, significant, without, strict=True
    ):
        colour = PALETTE[0] if flag else "#8c8c8c"
        if bare:
            ax.plot(value, position, "o", mfc="white", mec="#8c8c8c", mew=1.6, ms=7)
            continue
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
    label_axes(ax, title, xlabel, "")
    alt = f"Puntschattingen met interval: {title or xlabel}. " + "; ".join(
        f"{name} {fmt_num(value, 2)} ({fmt_num(lo, 2)} tot {fmt_num(hi, 2)})"
        for name, value, lo, hi in zip(frame[label], values, lows, highs, strict=True)
    )
    if note is None:
        note = "Grijs: interval omvat geen effect (niet significant)"
        if without.any():
            note += "; open punt: geen interval te berekenen"
    return finish(fig, source, note, alt + ".")


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
    """Event-study coefficients per wave with intervals and the start of the intervention.

    The pilots' difference is drawn in the pilots' colour (:data:`GROUP_COLOURS`), the start as a
    grey dashed line.
    """
    fig, ax = new_figure()
    data = frame.sort_values(x)
    xs = data[x].astype(float).to_numpy()
    values = data[estimate].astype(float).to_numpy()
    errors = np.vstack(
        [values - data[low].astype(float).to_numpy(), data[high].astype(float).to_numpy() - values]
    )
    pilots = GROUP_COLOURS["Proeftuinen"]
    ax.errorbar(xs, values, yerr=errors, fmt="o-", color=pilots, capsize=4, lw=1.8)
    ax.axhline(0, color="black", lw=1)
    if start is not None:
        ax.axvline(start - 0.5, color="#555555", ls="--", lw=1.4, label="Start proeftuinen")
        legend_outside(ax)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(dutch_formatter(1))
    label_axes(ax, title, xlabel, ylabel)
    alt = f"Verschil per meting: {title or ylabel}. " + "; ".join(
        f"{x_text(when)}: {fmt_num(value, 1)}" for when, value in zip(xs, values, strict=True)
    )
    if start is not None:
        alt += f". De proeftuinen startten vóór de meting van {x_text(start)}"
    return finish(fig, source, note, alt + ".")


@drawn_once
def stl_plot(
    decomposition: pd.DataFrame,
    source: str,
    change_dates: Sequence[Any] = (),
    title: str | None = None,
    ylabel: str = "Aantal per maand",
    note: str | None = None,
    provisional_from: Any = None,
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
    provisional_from : date, optional
        The first provisional month (CBS "Voorlopig"): the months from it on are hatched, with
        a legend entry "voorlopig", and the alt text says so.
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
    provisional = None
    if provisional_from is not None and pd.Timestamp(provisional_from) <= index[-1]:
        provisional = max(pd.Timestamp(provisional_from), index[0])
        top.axvspan(
            provisional - pd.Timedelta(days=15),
            index[-1] + pd.Timedelta(days=15),
            facecolor="none",
            edgecolor="#b0b0b0",
            hatch="///",
            lw=0,
            zorder=0,
            label="voorlopig",
        )
    top.set_ylim(bottom=0)
    top.yaxis.set_major_formatter(dutch_formatter(0))
    top.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=5, frameon=False)
    label_axes(top, title, "", ylabel)
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
    label_axes(
        bottom,
        None,
        "",
        "Seizoenseffect (% t.o.v. trend)" if factor else "Seizoenseffect",
    )
    peak, trough = int(shown.idxmax()), int(shown.idxmin())
    seasonal_unit = "%" if factor else ""
    alt = (
        f"Maandreeks: {title or ylabel}, {x_text(index[0])} tot {x_text(index[-1])}. "
        f"Trend {series_words(index, decomposition['trend'].astype(float), 0, '')}. "
        f"Seizoen: hoogst in {months[peak - 1]} ({fmt_num(shown.max(), 0, signed=True)}"
        f"{seasonal_unit}), laagst in {months[trough - 1]} ({fmt_num(shown.min(), 0)}"
        f"{seasonal_unit}). "
        + (
            f"{change_label}: " + ", ".join(x_text(pd.Timestamp(date)) for date in change_dates)
            if len(change_dates)
            else "Geen trendbreuk of knik"
        )
        + (f". Voorlopig vanaf {x_text(provisional)}" if provisional is not None else "")
    )
    return finish(fig, source, note, alt + ".")


_LABEL_SPOTS = (
    ((5, 5), "left"),
    ((5, -11), "left"),
    ((-5, 5), "right"),
    ((-5, -11), "right"),
    ((5, 15), "left"),
    ((5, -21), "left"),
    ((-5, 15), "right"),
    ((-5, -21), "right"),
)
"""Offsets (points) and alignments tried, in order, for a point's name."""


def _leader(offset) -> dict | None:
    """A thin line from a name placed away from its point back to the point (None when near)."""
    if abs(offset[1]) <= 11:
        return None
    return {"arrowstyle": "-", "lw": 0.6, "color": "#777777", "shrinkA": 0, "shrinkB": 3}


def _point_boxes(ax, xs, ys, radius: float) -> list[tuple[float, float, float, float]]:
    """Boxes (points) of ``radius`` around each data point, as obstacles for names."""
    to_points = 72.0 / ax.figure.dpi
    positions = ax.transData.transform(np.column_stack([np.asarray(xs), np.asarray(ys)]))
    return [
        (
            x * to_points - radius,
            y * to_points - radius,
            x * to_points + radius,
            y * to_points + radius,
        )
        for x, y in positions
        if np.isfinite(x) and np.isfinite(y)
    ]


def _free_label_spot(ax, anchor, text: str, fontsize: float, placed: list):
    """The first offset beside ``anchor`` where ``text`` overlaps no box in ``placed``.

    The name's box is estimated from its length (0.6 em per character, 1.3 em high) in points
    around the anchor's position on the axes as they stand (scales and limits set); the chosen
    box is appended to ``placed``. When every spot is taken, the first is used.
    """
    x, y = ax.transData.transform(anchor)
    to_points = 72.0 / ax.figure.dpi
    x, y = x * to_points, y * to_points
    width, height = 0.6 * fontsize * len(text) + 4, 1.3 * fontsize + 2
    first = None
    for (dx, dy), align in _LABEL_SPOTS:
        left = x + dx - (width if align == "right" else 0)
        box = (left, y + dy - 2, left + width, y + dy - 2 + height)
        if first is None:
            first = ((dx, dy), align, box)
        if not any(
            box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]
            for other in placed
        ):
            placed.append(box)
            return (dx, dy), align
    placed.append(first[2])
    return first[0], first[1]


def _name_points(ax, points, size, value, label, outside, own) -> None:
    """Name the funnel's outliers and the area's own municipalities beside their points.

    Outliers first (the same on every copy of the figure), then the area's own names (overlays),
    each at the first spot beside its point that no earlier name and no point covers
    (:func:`_free_label_spot`). A white box under a name keeps the limit lines from running
    through it; a name placed further away gets a leader line.
    """
    sizes, values = points[size].astype(float), points[value].astype(float)
    label_box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}
    placed = _point_boxes(ax, sizes, values, radius=3.5)
    records = list(points.itertuples(index=False))
    outliers = sorted(
        (record for record, flag in zip(records, outside, strict=True) if flag),
        key=lambda record: float(getattr(record, size)),
    )
    own_only = [
        record
        for record, flag, mine in zip(records, outside, own, strict=True)
        if mine and not flag
    ]
    for record, overlay in [*((r, False) for r in outliers), *((r, True) for r in own_only)]:
        name = str(getattr(record, label))
        anchor = (float(getattr(record, size)), float(getattr(record, value)))
        offset, align = _free_label_spot(ax, anchor, name, 7.5, placed)
        annotation = ax.annotate(
            name,
            anchor,
            xytext=offset,
            textcoords="offset points",
            ha=align,
            fontsize=7.5,
            zorder=6,
            bbox=label_box,
            arrowprops=_leader(offset),
        )
        if overlay:
            mark_overlay(annotation, zorder=OVERLAY_ZORDER + 3)


class _LabelledMinorTicks(Locator):
    """The minor ticks of a log axis that carry a label, where minor ticks draw nothing else.

    A log axis places some 40 minor ticks, and matplotlib builds a tick (line, grid line and
    label artists) for each, most of a funnel's drawing time; under the house style their marks
    and grid lines are invisible and :class:`~matplotlib.ticker.LogFormatter` leaves all but a
    few labels empty (it labels by the view limits, not by the other ticks). This locator keeps
    only the ticks with a label: the same pixels, fewer artists.
    """

    def __init__(self, base: Locator, formatter: LogFormatter):
        self.base, self.formatter = base, formatter

    def set_axis(self, axis):
        super().set_axis(axis)
        self.base.set_axis(axis)

    def __call__(self):
        locs = self.base()
        labels = self.formatter.format_ticks(locs)
        return [loc for loc, text in zip(locs, labels, strict=True) if text]

    def tick_values(self, vmin, vmax):
        return self.base.tick_values(vmin, vmax)


def _only_labelled_minor_ticks(axis) -> None:
    """Give a log ``axis`` :class:`_LabelledMinorTicks` when its minor tick marks and grid lines
    are invisible (else its minor ticks stay as they are)."""
    formatter = axis.get_minor_formatter()
    if not isinstance(formatter, LogFormatter):
        return
    tick = axis.get_minor_ticks(1)[0]
    if any(line.get_visible() for line in (tick.tick1line, tick.tick2line, tick.gridline)):
        return
    axis.set_minor_locator(_LabelledMinorTicks(axis.get_minor_locator(), formatter))


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
    units: str = "gemeenten",
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
    units : str, default "gemeenten"
        What the points are, in Dutch plural (``"buurten"``), for the alt text.

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
    ax.set_xscale("log")
    bottom, top = ax.get_ylim()
    if bottom < 0 or (len(values) and float(values.min()) <= 0.025 * top):
        # a little room below zero, so that a point at 0% is drawn whole, not cut in half
        bottom = -0.025 * top if float(values.min()) >= 0 else bottom
    ax.set_ylim(bottom=bottom)
    if outer_low is not None:
        lower = np.interp(sizes, grid[grid_size], grid[outer_low])
        upper = np.interp(sizes, grid[grid_size], grid[outer_high])
        outside = (values < lower) | (values > upper)
        _name_points(ax, points, size, value, label, outside, is_marked)
    else:
        outside = pd.Series(False, index=points.index)
    if marked:
        ax.scatter([], [], c=PALETTE[1], s=42, label="Gemeenten van het gebied")
    ax.xaxis.set_major_formatter(dutch_formatter(0))
    ax.yaxis.set_major_formatter(dutch_formatter(decimals, unit))
    _only_labelled_minor_ticks(ax.xaxis)
    legend_outside(ax, ncols=4)
    xlabel = size if xlabel is None else xlabel
    ylabel = value if ylabel is None else ylabel
    label_axes(ax, title, xlabel, ylabel)
    flagged = [str(name) for name, flag in zip(points[label], outside, strict=True) if flag]
    alt = (
        f"Trechterdiagram: {title or ylabel}. {len(points)} {units}, gemiddelde "
        f"{fmt_num(centre, decimals)}{unit}. "
        + (
            "Buiten de buitenste grenzen: " + ", ".join(flagged)
            if flagged
            else f"Alle {units} liggen binnen de grenzen"
        )
    )
    return finish(fig, source, note, alt + ".")
