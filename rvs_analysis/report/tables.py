"""The tables of the reports: display tables and the strategy monitor's results table.

:func:`table` shows a frame as an escaped HTML table with Dutch number formats. The strategy monitor's
tables: :func:`indicator_observations`, :func:`area_targets`, :func:`results_table`,
:func:`format_results`, :func:`district_comparison`; and small shared pieces (:func:`targets_by_year`,
:func:`funnel_grid`, :func:`change_point_table`). Estimates come from :mod:`rvs_analysis.stats`; this
module only selects, words and lays them out.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML

from rvs_analysis.mimetypes import TABLE_MIMETYPE
from rvs_analysis.regions import area_table
from rvs_analysis.report.area_data import (
    area_counts,
    area_key,
    area_population,
    in_report_years,
    municipal_crime,
    remembered,
    source_key,
)
from rvs_analysis.report.context import ReportContext
from rvs_analysis.report.monte_carlo import STATUS_DRAWS
from rvs_analysis.report.wording import (
    fmt_int,
    fmt_month,
    fmt_num,
    fmt_pct,
    fmt_probability,
    fmt_value,
    is_missing,
    shown_decimals,
    status_word,
)
from rvs_analysis.stats.clearance import (
    clearance_difference,
    clearance_dispersion,
    detectable_difference,
    funnel_limits,
)
from rvs_analysis.stats.common import (
    MIN_CASES_PERCENT,
    MethodSpec,
    StatisticsInputError,
    too_few_for_change,
)
from rvs_analysis.stats.perception import weighted_proportions
from rvs_analysis.stats.targets import target_for, target_status
from rvs_analysis.stats.trends import area_dispersion, count_change, detectable_change
from rvs_analysis.strategies import indicator_catalogue, indicator_inputs

__all__ = [
    "INDICATOR_SOURCES",
    "TABLE_MIMETYPE",
    "TableHTML",
    "area_targets",
    "change_point_table",
    "district_comparison",
    "format_results",
    "funnel_grid",
    "indicator_observations",
    "results_and_statuses",
    "results_table",
    "table",
    "targets_by_year",
]


EMPTY_CELLS = ("", "–", "-")
"""What an empty cell shows; a column of only these is not shown."""


def table(
    frame: pd.DataFrame,
    formats: Mapping[str, Any] | None = None,
    columns: Mapping[str, str] | None = None,
    caption: str | None = None,
):
    """An HTML table with Dutch number formats and every cell escaped.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data to show.
    formats : mapping, optional
        Column -> ``"int"``, ``"pct"``, ``"pct0"``, ``"num"``, ``"num2"``, ``"signed_pct"`` or a
        callable ``value -> str``. Columns named like a year are shown plainly (``2016``); other
        numeric columns with :func:`fmt_num` (one decimal) or :func:`fmt_int` for whole numbers;
        booleans as ja/nee.
    columns : mapping, optional
        Column -> Dutch heading; only these columns are shown, in this order, when given.
    caption : str, optional
        Caption above the table (escaped).

    Returns
    -------
    IPython.display.HTML
        Columns without a single value (every cell one of :data:`EMPTY_CELLS`) are left out.
    """
    named = {
        "int": fmt_int,
        "pct": fmt_pct,
        "pct0": lambda value: fmt_pct(value, 0),
        "num": fmt_num,
        "num2": lambda value: fmt_num(value, 2),
        "signed_pct": lambda value: fmt_pct(value, 1, signed=True),
    }
    formats = dict(formats or {})
    shown = frame if columns is None else frame[list(columns)]
    out = pd.DataFrame(index=range(len(shown)))
    for column in shown.columns:
        values = shown[column].tolist()
        formatter = formats.get(column)
        if isinstance(formatter, str):
            formatter = named[formatter]
        if formatter is None:
            formatter = _default_formatter(shown[column], str(column))
        heading = (columns or {}).get(column, column)
        out[str(heading)] = [formatter(value) for value in values]
    if len(out):
        # a column with nothing in it ("Doel 2023" after the strategy's last target) is left out
        out = out[[column for column in out.columns if not out[column].isin(EMPTY_CELLS).all()]]
    aligns = [
        "right" if out[column].map(_looks_numeric).all() else "left" for column in out.columns
    ]
    header = "".join(
        f'<th style="text-align:{align}">{html.escape(str(name))}</th>'
        for name, align in zip(out.columns, aligns, strict=True)
    )
    rows = []
    for record in out.itertuples(index=False):
        cells = "".join(
            f'<td style="text-align:{align}">{html.escape(str(value))}</td>'
            for value, align in zip(record, aligns, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    caption_html = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    text = (
        '<table class="rvs-table">'
        f"{caption_html}<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return _table_display(
        text,
        {
            "caption": caption or "",
            "columns": [str(name) for name in out.columns],
            "rows": [[str(value) for value in record] for record in out.itertuples(index=False)],
        },
    )


class TableHTML(HTML):
    """An HTML table that also hands its cells to the renderer (:data:`TABLE_MIMETYPE`)."""

    def __init__(self, data: str, shown: dict):
        super().__init__(data)
        self.shown = shown

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.data, TABLE_MIMETYPE: self.shown}


def _table_display(text: str, shown: dict) -> TableHTML:
    return TableHTML(text, shown)


_NUMERIC_TEXT = re.compile(r"^[\s+*\u2212\-–0-9.,%()a-z]*$")


def _looks_numeric(text: str) -> bool:
    """Whether a formatted cell reads as a number (right-aligned) rather than as text."""
    text = str(text)
    return bool(_NUMERIC_TEXT.match(text)) and any(ch.isdigit() for ch in text) or text == "–"


def _default_formatter(series: pd.Series, name: str = ""):
    if any(word in name.casefold() for word in ("year", "jaar")) and pd.api.types.is_numeric_dtype(
        series
    ):
        return lambda value: "–" if is_missing(value) else str(int(value))
    if pd.api.types.is_bool_dtype(series):
        return lambda value: "–" if is_missing(value) else ("ja" if value else "nee")
    if pd.api.types.is_integer_dtype(series):
        return fmt_int
    if pd.api.types.is_float_dtype(series):
        whole = series.dropna()
        if len(whole) and (whole == whole.round()).all() and whole.abs().max() >= 100:
            return fmt_int
        return fmt_num
    return lambda value: "–" if is_missing(value) else str(value)


def targets_by_year(
    indicator: str, years: Iterable[int], published_only: bool = True, targets=None
):
    """The strategy's targets of an indicator for the given years (``year, target, how``).

    Years without a target are left out; with ``published_only`` interpolated targets too. Reads
    ``targets`` (the strategy's table, ``ctx.targets()``; default the 2015-2018 one) through
    :func:`rvs_analysis.stats.targets.target_for`.
    """
    rows = []
    if targets is not None and targets.empty:
        return pd.DataFrame(rows, columns=["year", "target", "how"])
    for year in sorted({int(year) for year in years}):
        try:
            target = target_for(indicator, year, targets)
        except StatisticsInputError:
            continue
        if published_only and target.how != "published":
            continue
        rows.append({"year": year, "target": target.value, "how": target.how})
    return pd.DataFrame(rows, columns=["year", "target", "how"])


def funnel_grid(
    funnel: pd.DataFrame, denominator: str, kind: str = "proportion", points: int = 150
):
    """Funnel limits over a smooth grid of sizes, with the same limits as a funnel table.

    Parameters
    ----------
    funnel : pandas.DataFrame
        From :func:`rvs_analysis.stats.clearance.funnel_table` (its ``attrs["overdispersion"]`` says
        which limits were used).
    denominator : str
        The table's denominator column.

    Returns
    -------
    pandas.DataFrame
        :func:`rvs_analysis.stats.clearance.funnel_limits` on a log-spaced grid from half the smallest
        to twice the largest denominator.
    """
    used = funnel.attrs.get("overdispersion", {})
    sizes = funnel[denominator].astype(float)
    grid = np.geomspace(max(1.0, sizes.min() / 2), sizes.max() * 2, points)
    chosen = used.get("limits", "exact")
    return funnel_limits(
        grid,
        float(used["benchmark"]),
        kind,
        overdispersion=None if chosen == "exact" else chosen,
        phi=float(used.get("phi", 1.0)),
        tau2=float(used.get("tau2", 0.0)),
    )


def change_point_table(breaks: Any, window: int = 12) -> pd.DataFrame:
    """The break the search-aware test confirmed, with its fitted jump (no second test).

    Parameters
    ----------
    breaks : ChangePoints
        From :func:`rvs_analysis.stats.monthly.detect_change_points`.
    window : int, default 12
        Unused (kept for callers); the jump comes from the segmented regression.

    Returns
    -------
    pandas.DataFrame
        ``month`` (Dutch), ``jump_pct`` (fitted level change at the break, trend on both sides)
        and ``p_value`` (the search-aware test of the whole series), one row per reported break;
        empty when the test found none. For a bend (``breaks.is_bend``: a continuous change of
        slope fits as well as a jump) the columns are ``month`` (the knot),
        ``slope_before_pct``, ``slope_after_pct`` (change per year) and ``p_value``.

    Notes
    -----
    A break is never tested again on the data that chose it, and no interval is given for its
    size: both would be too optimistic after the search.
    """
    if getattr(breaks, "is_bend", False):
        rows = [
            {
                "month": fmt_month(date),
                "slope_before_pct": breaks.slope_before_pct,
                "slope_after_pct": breaks.slope_after_pct,
                "p_value": breaks.p_value,
            }
            for date in breaks.dates
        ]
        return pd.DataFrame(
            rows, columns=["month", "slope_before_pct", "slope_after_pct", "p_value"]
        )
    rows = [
        {"month": fmt_month(date), "jump_pct": breaks.jump_pct, "p_value": breaks.p_value}
        for date in breaks.dates
    ]
    return pd.DataFrame(rows, columns=["month", "jump_pct", "p_value"])


INDICATOR_SOURCES: dict[str, tuple[str, str]] = indicator_inputs()
"""Where each indicator of the catalogue comes from: (kind of input, code or column), read from
the ``input`` and ``code`` columns of ``data/indicator_catalogue.csv``.

``crime``: registered offences of an offence code; ``completed``: registered minus attempted
burglaries (cleared-offences file); ``cleared``: clearance percentage; ``indicators``: the region's
own yearly figures; ``survey``: weighted percentage per survey wave."""


def indicator_observations(ctx: ReportContext, indicator: str, last_year: int | None = None):
    """The yearly observations of one strategy indicator for the report's area.

    Parameters
    ----------
    ctx : ReportContext
    indicator : str
        An indicator of the catalogue (see :data:`INDICATOR_SOURCES`).
    last_year : int, optional
        Drop later years (the report year of a monitor).

    Returns
    -------
    pandas.DataFrame or None
        ``year, value`` plus ``population`` (counts) or ``cleared_offences,
        registered_offences`` (clearance): the shape :func:`rvs_analysis.stats.targets.target_status`
        reads. ``None`` when the source does not hold the indicator for this area.

    Notes
    -----
    Kept per source version, area and year range (:func:`~rvs_analysis.report.area_data.remembered`):
    a monitor asks for each indicator several times, and every municipality report asks for the
    region's observations to scale its targets.
    """
    return remembered(
        area_key(ctx, "indicator_observations", indicator, last_year),
        lambda: _indicator_observations(ctx, indicator, last_year),
    )


def _indicator_observations(ctx: ReportContext, indicator: str, last_year: int | None):
    kind, code = INDICATOR_SOURCES.get(indicator, ("", ""))
    data = ctx.dataset
    frame = None
    if kind == "crime":
        crime = municipal_crime(ctx, [code])
        if not crime.empty:
            frame = area_counts(ctx, code).rename(columns={"registered_offences": "value"})
            frame = frame[["year", "value", "population"]]
    elif kind in ("cleared", "completed") and data.cleared is not None:
        cleared = data.cleared
        cleared = cleared[
            (cleared["offence_code"] == code) & cleared["gemeente_code"].isin(ctx.codes)
        ]
        if kind == "completed" and "attempted_offences" not in cleared.columns:
            cleared = cleared.iloc[0:0]
        if not cleared.empty:
            columns = ["registered_offences", "cleared_offences"]
            if kind == "completed":
                columns.append("attempted_offences")
            sums = in_report_years(cleared, ctx).groupby("year", as_index=False)[columns].sum()
            if kind == "completed":
                sums["value"] = sums["registered_offences"] - sums["attempted_offences"]
                frame = sums[["year", "value"]].merge(area_population(ctx), on="year", how="left")
            else:
                sums["value"] = 100.0 * sums["cleared_offences"] / sums["registered_offences"]
                frame = sums[["year", "value", "cleared_offences", "registered_offences"]]
    elif kind == "indicators" and data.indicators is not None:
        rows = data.indicators[
            (data.indicators["indicator"] == code) & (data.indicators["area"] == ctx.area.name)
        ]
        if not rows.empty:
            frame = in_report_years(rows, ctx)[["year", "value"]].astype({"value": float})
    elif kind == "survey" and data.survey is not None:
        survey = data.survey[data.survey["gemeente_code"].isin(ctx.codes)]
        survey = in_report_years(survey, ctx)
        if not survey.empty:
            shares = weighted_proportions(survey, code, by="year")
            shares = shares[~shares["suppressed"]]
            frame = shares.rename(columns={"estimate_pct": "value"})[
                ["year", "value", "ci_low", "ci_high"]
            ]
    if frame is None or frame.empty:
        return None
    if last_year is not None:
        frame = frame[frame["year"] <= last_year]
    return frame.sort_values("year").reset_index(drop=True)


def _region_context(ctx: ReportContext) -> ReportContext:
    return replace(ctx, area=ctx.region_area())


def area_targets(ctx: ReportContext, indicator: str, last_year: int | None = None):
    """The strategy's targets of an indicator, scaled to the report's area.

    Returns
    -------
    (pandas.DataFrame, float or None, str)
        The targets table (as :func:`rvs_analysis.stats.targets.load_targets`) for this indicator, the
        observed baseline-year value of the area (for targets stated relative to the baseline),
        and a Dutch note on how the targets were obtained.

    Notes
    -----
    The strategy states its targets for the region. Percentages (clearance, survey shares) apply
    to any area as they are. Counts and amounts are scaled by the area's share of the region in
    the baseline year (or the first year with data for both): an area that had 20% of the
    region's burglaries in 2011 gets 20% of the region's target. That is an assumption of equal
    relative effort, not a target the strategy set for the area.
    """
    targets = ctx.targets()
    rows = targets[targets["indicator"] == indicator].copy()
    observed = indicator_observations(ctx, indicator, last_year)
    baseline_rows = rows[rows["kind"] == "baseline"]
    baseline_year = int(baseline_rows["year"].iloc[0]) if not baseline_rows.empty else None
    baseline_value = None
    if observed is not None and baseline_year is not None:
        at_baseline = observed[observed["year"] == baseline_year]
        if not at_baseline.empty:
            baseline_value = float(at_baseline["value"].iloc[0])
    unit = str(rows["unit"].iloc[0]) if not rows.empty else ""
    if ctx.level == "region" or unit == "percent" or observed is None:
        note = "doel van de regio" if unit != "percent" else "percentage van de regio"
        return rows, baseline_value, note
    region = indicator_observations(_region_context(ctx), indicator, last_year)
    if region is None:
        return rows.iloc[0:0], baseline_value, "geen regiocijfers om het doel te schalen"
    both = observed.merge(region, on="year", suffixes=("", "_region"))
    if baseline_year is not None:
        both = both[both["year"] >= baseline_year]
    if both.empty or not both["value_region"].iloc[0] > 0:
        return rows.iloc[0:0], baseline_value, "geen gemeenschappelijk jaar om het doel te schalen"
    share = float(both["value"].iloc[0] / both["value_region"].iloc[0])
    rows["value"] = rows["value"] * share
    note = f"regiodoel × aandeel {fmt_pct(100 * share, 1)} in {int(both['year'].iloc[0])}"
    return rows, baseline_value, note


def results_table(ctx: ReportContext, report_year: int, target_year: int = 2018) -> pd.DataFrame:
    """The annual report's results table for the area: target, this year, last year, status.

    The table of :func:`results_and_statuses`, without the status objects.
    """
    return results_and_statuses(ctx, report_year, target_year)[0]


def results_and_statuses(
    ctx: ReportContext, report_year: int, target_year: int = 2018
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The annual report's results table for the area, and the status behind each row.

    Parameters
    ----------
    ctx : ReportContext
    report_year : int
        "This year" of the table; observations after it are ignored (a monitor as it was then).
    target_year : int, default 2018
        End year of the strategy, whose target decides the status.

    Returns
    -------
    (pandas.DataFrame, dict)
        The table: one row per indicator of the strategy's targets (or, without targets, burglary and its priorities' indicators): ``indicator, label, unit, target, how,
        this_year, value, previous_year, previous_value, change_pct, change_low, change_high,
        significant, too_few, change_unit, change_method, change_detectable (the smallest change,
        in the change's unit, that the test calls significant with 80% power), change_provisional
        (one of the two compared years is provisional), status, target_end, target_end_year, forecast, forecast_low, forecast_high,
        probability, observed_end_year, observed_end, note``; ``observed_end`` is the observed value
        of the target year that decided the status when the data reach it (then no forecast). The status is judged against the target of ``target_year``, or of
        the indicator's last target year before it when the strategy set none for that year
        (suspects handled: 2016). Indicators the source lacks have NaN values and status ``"geen gegevens"``.
        The dict maps each judged indicator to its :class:`~rvs_analysis.stats.targets.TargetStatus`
        (kept out of the table's ``attrs``: pandas deep-copies ``attrs`` into every column and
        selection taken from the table).

    Notes
    -----
    Status and forecast from :func:`rvs_analysis.stats.targets.target_status` on the area's series up
    to ``report_year``; the change against the previous observation with the area's own
    year-to-year noise outside the compared and provisional years (:func:`_change_record`:
    quasi-Poisson for counts, quasi-binomial procentpunt for clearance), "te weinig gevallen" below the small-number rules; survey shares
    and the region's own figures are not tested. ``attrs["n_comparisons"]`` counts the changes
    tested (with 15 tests at 5%, about one "sign." is expected by chance).
    """
    labels = _indicator_labels(ctx)
    rows, statuses = [], {}
    for indicator in labels.index:
        record: dict[str, Any] = {
            "indicator": indicator,
            "label": labels.loc[indicator, "label_nl"],
            "unit": labels.loc[indicator, "unit"],
            "status": "geen gegevens",
            "note": "",
        }
        observed = indicator_observations(ctx, indicator, report_year)
        if observed is None or observed.empty:
            record["note"] = "niet in deze bron"
            rows.append(record)
            continue
        targets, baseline_value, note = area_targets(ctx, indicator, report_year)
        record["note"] = note
        latest = observed.iloc[-1]
        record.update(this_year=int(latest["year"]), value=float(latest["value"]))
        if len(observed) > 1:
            previous = observed.iloc[-2]
            record.update(
                previous_year=int(previous["year"]), previous_value=float(previous["value"])
            )
            record.update(_change_record(observed, record["unit"], tuple(ctx.provisional_years)))
            record["change_provisional"] = bool(
                {int(previous["year"]), int(latest["year"])} & set(ctx.provisional_years)
            )
        try:
            target = target_for(indicator, int(latest["year"]), targets, baseline_value)
            record.update(target=target.value, how=target.how, met=target.is_met(record["value"]))
        except StatisticsInputError:
            pass
        if targets.empty:  # the strategy sets this indicator no target: no status
            record["status"] = NO_TARGET
            rows.append(record)
            continue
        status_input = observed  # ci_low/ci_high (a survey's margin) judge a measured share
        if "cleared_offences" in status_input.columns:
            status_input = status_input.drop(columns="value")
        target_years = targets.loc[targets["kind"] == "target", "year"].astype(int)
        end_year = int(target_years[target_years <= target_year].max()) if len(target_years) else 0
        try:
            status = target_status(
                indicator, status_input, end_year, targets, baseline_value, n_sim=STATUS_DRAWS
            )
        except (StatisticsInputError, ValueError) as error:
            record["status"] = "niet te bepalen"
            record["note"] = f"{note}; {error}"
        else:
            statuses[indicator] = status
            record.update(
                status=status_word(status.status),
                target_end=status.target.value,
                target_end_year=status.target.year,
                probability=status.probability_meeting_target,
                observed_end_year=status.observed_year,
                observed_end=status.observed_value,
            )
            if status.forecast is not None:
                record.update(
                    forecast=status.forecast.mean,
                    forecast_low=status.forecast.pi_low,
                    forecast_high=status.forecast.pi_high,
                )
        rows.append(record)
    columns = [
        "indicator", "label", "unit", "target", "how", "met", "this_year", "value",
        "previous_year", "previous_value", "change_pct", "change_low", "change_high",
        "significant", "too_few", "change_unit", "change_method", "change_detectable",
        "change_provisional",
        "status", "target_end",
        "target_end_year", "forecast", "forecast_low", "forecast_high",
        "probability", "observed_end_year", "observed_end", "note",
    ]  # fmt: skip
    table = pd.DataFrame(rows).reindex(columns=columns)
    tested = table["change_low"].notna()
    table.attrs["n_comparisons"] = int(tested.sum())
    table.attrs["change_methods"] = sorted(
        {str(method) for method in table.loc[tested, "change_method"].dropna()}
    )
    # what each tested change is of, with its method spec ("Technische details")
    table.attrs["change_specs"] = [
        (
            f"{record['label']}, verandering ten opzichte van de vorige meting",
            record["change_spec"],
        )
        for record in rows
        if record.get("change_spec") is not None and not pd.isna(record.get("change_low"))
    ]
    return table, statuses


NO_TARGET = "geen doel"
"""The status of an indicator the strategy sets no target (a priority's indicator)."""


def _indicator_labels(ctx: ReportContext) -> pd.DataFrame:
    """The results table's indicators with ``label_nl`` and ``unit``: those of the strategy's
    targets in the file's order, or, for a strategy without targets, burglary and its
    priorities' indicators (labels from the indicator catalogue)."""
    targets = ctx.targets()
    if not targets.empty:
        return targets.drop_duplicates("indicator").set_index("indicator")[["label_nl", "unit"]]
    catalogue = indicator_catalogue().set_index("id")
    # burglary stays in every monitor as its fixed yardstick (key message, index, district figure)
    listed = list(dict.fromkeys(["burglary", *ctx.strategy.indicators()]))
    return catalogue.loc[listed, ["label_nl", "unit"]].rename_axis("indicator")


def _change_record(
    observed: pd.DataFrame, unit: str, provisional: Sequence[int] = ()
) -> dict[str, Any]:
    """The change of the last observation against the one before, with the area's year noise.

    Counts: :func:`rvs_analysis.stats.trends.count_change` with the year-to-year noise of the
    series outside the two compared years and the provisional ones
    (:func:`rvs_analysis.stats.trends.area_dispersion`); percentages with counts
    (clearance): :func:`rvs_analysis.stats.clearance.clearance_difference` (procentpunt) with the
    series' year-to-year noise estimated the same way on the logit
    (:func:`rvs_analysis.stats.clearance.clearance_dispersion`). Without three consecutive
    usable years for that noise the change has no interval and no test (:data:`NO_NOISE_METHOD`).
    Below the small-number rules (:data:`~rvs_analysis.stats.common.MIN_EVENTS_CHANGE` events in
    the two years, :data:`~rvs_analysis.stats.common.MIN_CASES_PERCENT` cases behind a percentage)
    the change is "te weinig gevallen".
    """
    latest, previous = observed.iloc[-1], observed.iloc[-2]
    if "cleared_offences" in observed.columns:
        n1, n2 = float(previous["registered_offences"]), float(latest["registered_offences"])
        if min(n1, n2) < MIN_CASES_PERCENT:
            return {"too_few": True, "change_unit": "procentpunt"}
        phi, df = clearance_dispersion(
            observed,
            compared=(int(previous["year"]), int(latest["year"])),
            provisional=provisional,
        )
        if phi is None:
            return _without_noise(
                100 * (latest["cleared_offences"] / n2 - previous["cleared_offences"] / n1),
                "procentpunt",
            )
        change = clearance_difference(
            int(previous["cleared_offences"]),
            int(n1),
            int(latest["cleared_offences"]),
            int(n2),
            dispersion=phi,
            df=df,
        )
        return {
            "change_pct": change.estimate,
            "change_low": change.ci_low,
            "change_high": change.ci_high,
            "significant": change.significant,
            "change_unit": "procentpunt",
            "change_method": change.method,
            "change_spec": change.method_spec,
            "change_detectable": detectable_difference(
                int(previous["cleared_offences"]), int(n1), int(n2), phi, df
            ),
        }
    if unit != "count" or "ci_low" in observed.columns:
        return {}
    before, after = round(float(previous["value"])), round(float(latest["value"]))
    if too_few_for_change(before, after):
        return {"too_few": True, "change_unit": "%"}
    frame = observed.rename(columns={"value": "registered_offences"}).assign(
        registered_offences=lambda f: np.round(f["registered_offences"])
    )
    phi, df = area_dispersion(
        frame,
        population_column=None,
        compared=(int(previous["year"]), int(latest["year"])),
        provisional=provisional,
    )
    if phi is None:
        return _without_noise(100.0 * (after / before - 1), "%")
    change = count_change(before, after, dispersion=phi, df=df)
    return {
        "change_pct": change.estimate,
        "change_low": change.ci_low,
        "change_high": change.ci_high,
        "significant": change.significant,
        "change_unit": "%",
        "change_method": change.method,
        "change_spec": change.method_spec,
        "change_detectable": detectable_change(before, phi, df),
    }


NO_NOISE_METHOD = (
    "no interval and no test: fewer than three consecutive years outside the compared and "
    "provisional ones to estimate the year-to-year noise"
)
"""The change method of a result whose series is too short for its year noise."""


def _without_noise(change: float, unit: str) -> dict[str, Any]:
    """A change shown without interval or test: the year-to-year noise cannot be estimated (a
    one-year sampling interval would pass that noise off as a real change)."""
    return {
        "change_pct": float(change),
        "significant": False,
        "change_unit": unit,
        "change_method": NO_NOISE_METHOD,
        "change_spec": MethodSpec("no_year_noise"),
    }


def district_comparison(
    ctx: ReportContext, offence_code: str, base_year: int, report_year: int
) -> pd.DataFrame:
    """Registered offences per district: base year against report year, with rates.

    Returns
    -------
    pandas.DataFrame
        ``area, base, value, change_pct, ci_low, ci_high, significant, too_few, dispersion,
        rate_per_1000, provisional`` per district plus the region (last row), from
        :func:`rvs_analysis.regions.area_table` (harmonised counts and populations).

    Notes
    -----
    The change is :func:`rvs_analysis.stats.trends.count_change` with the area's year-to-year
    noise over ``base_year``-``report_year`` without those two years
    (:func:`rvs_analysis.stats.trends.area_dispersion`); fewer than
    :data:`~rvs_analysis.stats.common.MIN_EVENTS_CHANGE` offences in the two years: "te weinig
    gevallen" (no interval); without three consecutive years between them to estimate the noise,
    the change without interval or test. ``provisional`` says that one of the two compared years
    is provisional (CBS "Voorlopig"). The table is the same for every area of the region, so it is kept
    per source version (:func:`~rvs_analysis.report.area_data.remembered`).
    """
    return remembered(
        source_key(ctx, "district_comparison", offence_code, base_year, report_year),
        lambda: _district_comparison(ctx, offence_code, base_year, report_year),
    )


def _district_comparison(
    ctx: ReportContext, offence_code: str, base_year: int, report_year: int
) -> pd.DataFrame:
    years = list(range(base_year, report_year + 1))
    provisional = {int(year) for year in ctx.provisional_years}
    rows = []
    for level in ("district", "region"):
        table = area_table(
            ctx.dataset,
            offence_code,
            boundaries=ctx.composition_year,
            years=years,
            rate=True,
            areas=ctx.level_areas(level),
        )
        for name, group in table.groupby("area", sort=False):
            by_year = group.set_index("year")
            if base_year not in by_year.index or report_year not in by_year.index:
                continue
            before = float(by_year.loc[base_year, "registered_offences"])
            after = float(by_year.loc[report_year, "registered_offences"])
            series = group[["year", "registered_offences", "population"]].dropna()
            phi, df = area_dispersion(
                series, compared=(base_year, report_year), provisional=ctx.provisional_years
            )
            too_few = too_few_for_change(before, after)
            record = {
                "area": name,
                "level": level,
                "base": before,
                "value": after,
                "too_few": too_few,
                "dispersion": math.nan if phi is None else phi,
                "rate_per_1000": float(by_year.loc[report_year, "rate_per_1000"]),
                "provisional": bool({base_year, report_year} & provisional),
            }
            if too_few:
                record.update(
                    change_pct=math.nan, ci_low=math.nan, ci_high=math.nan, significant=False
                )
            elif phi is None:  # no year-noise estimate: the change without interval or test
                record.update(
                    change_pct=100.0 * (after / before - 1),
                    ci_low=math.nan,
                    ci_high=math.nan,
                    significant=False,
                )
            else:
                change = count_change(before, after, dispersion=phi, df=df)
                record.update(
                    change_pct=change.estimate,
                    ci_low=change.ci_low,
                    ci_high=change.ci_high,
                    significant=change.significant,
                )
            rows.append(record)
    columns = ["area", "base", "value", "change_pct", "ci_low", "ci_high", "significant",
               "too_few", "dispersion", "rate_per_1000", "provisional", "level"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def value_text(record: Mapping[str, Any]) -> str:
    """The record's value in its unit (``fmt_value``)."""
    return fmt_value(record.get("value"), record.get("unit", ""))


def format_results(
    table: pd.DataFrame, report_year: int, target_year: int = 2018, provisional: Sequence = ()
) -> pd.DataFrame:
    """The results table of :func:`results_table` as Dutch text, one column per heading.

    Values are formatted in each indicator's unit; interpolated targets are marked ``*``;
    prediction intervals of percentages are cut at 0% and 100%. Years in ``provisional`` are
    headed "(voorlopig)". When ``report_year`` is at or past ``target_year`` the table shows the
    observed value of the target year (which decided the status) instead of a forecast; a change in a
    percentage is in procentpunt; below the small-number rules the change reads "te weinig
    gevallen" with the two values.
    """
    provisional = {int(year) for year in provisional}

    def heading(year: int) -> str:
        return f"{year} (voorlopig)" if year in provisional else str(year)

    past_target = report_year >= target_year
    rows = []
    for record in table.to_dict("records"):
        unit = record["unit"]
        target = fmt_value(record.get("target"), unit)
        if record.get("how") == "interpolated":
            target += "*"
        change = "–"
        if record.get("too_few") is True:
            change = f"te weinig gevallen ({fmt_value(record.get('previous_value'), unit)} → {value_text(record)})"
        elif not is_missing(record.get("change_pct")) and is_missing(record.get("change_low")):
            shown = (
                f"{fmt_num(record['change_pct'], 1, signed=True)} procentpunt"
                if record.get("change_unit") == "procentpunt"
                else fmt_pct(record["change_pct"], 0, signed=True)
            )
            change = f"{shown} (geen interval: te weinig jaren voor de jaar-op-jaarruis)"
        elif (
            not is_missing(record.get("change_pct")) and record.get("change_unit") == "procentpunt"
        ):
            shown = shown_decimals(record["change_low"], record["change_high"], 0.0, 1)
            change = (
                f"{fmt_num(record['change_pct'], shown, signed=True)} procentpunt "
                f"({fmt_num(record['change_low'], shown)} tot "
                f"{fmt_num(record['change_high'], shown)})"
                + (" sign." if record.get("significant") else "")
            )
        elif not is_missing(record.get("change_pct")):
            shown = shown_decimals(record["change_low"], record["change_high"], 0.0, 0)
            change = (
                f"{fmt_pct(record['change_pct'], shown, signed=True)} "
                f"({fmt_pct(record['change_low'], shown)} tot "
                f"{fmt_pct(record['change_high'], shown)})"
                + (" sign." if record.get("significant") else "")
            )
        forecast = "–"
        if not is_missing(record.get("forecast")):
            low, high = record["forecast_low"], record["forecast_high"]
            if unit == "percent":
                low, high = max(0.0, low), min(100.0, high)
            forecast = (
                f"{fmt_value(record['forecast'], unit)} "
                f"({fmt_value(low, unit)}–{fmt_value(high, unit)})"
            )
        end_year = record.get("target_end_year")
        end = fmt_value(record.get("target_end"), unit)
        if not is_missing(end_year) and int(end_year) != target_year:
            end += f" ({int(end_year)})"
        this_year = record.get("this_year")
        value = fmt_value(record.get("value"), unit)
        if not is_missing(this_year) and int(this_year) != report_year:
            value += f" ({int(this_year)})"
        previous = fmt_value(record.get("previous_value"), unit)
        if not is_missing(record.get("previous_year")) and int(record["previous_year"]) != (
            report_year - 1
        ):
            previous += f" ({int(record['previous_year'])})"
        row = {
            "Indicator": record["label"],
            f"Doel {report_year}": target,
            heading(report_year): value,
            heading(report_year - 1): previous,
            "Verandering (95%-BI)": change,
            f"Doel {target_year}": end,
        }
        if past_target:
            observed = fmt_value(record.get("observed_end"), unit)
            observed_year = record.get("observed_end_year")
            if not is_missing(observed_year) and int(observed_year) != target_year:
                observed += f" ({int(observed_year)})"
            row[f"Gemeten {heading(target_year)}"] = observed
        else:
            row[f"Prognose {target_year} (95%-VI)"] = forecast
            row["Kans doel gehaald"] = fmt_probability(record.get("probability"))
        # a strategy without measurable targets: no status (the empty column is dropped)
        row["Status"] = "–" if record["status"] == NO_TARGET else record["status"]
        rows.append(row)
    return pd.DataFrame(rows)
