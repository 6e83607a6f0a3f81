"""The chapters of the strategy monitor (``notebooks/strategy_monitor.ipynb``).

The annual report's results table (targets, values, change, status and forecast), the burglary
series against its targets, and the districts compared. The table itself is built by
:func:`rvs_analysis.report.tables.results_table`; this module selects what a chapter shows and
words it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rvs_analysis import regions
from rvs_analysis.dutch import counted
from rvs_analysis.report import figures
from rvs_analysis.report.area_data import area_counts, values_by_code
from rvs_analysis.report.context import ReportContext, methods_block, strategy_label
from rvs_analysis.report.monte_carlo import (
    FORECAST_BAND_DRAWS,
    STATUS_DRAWS,
    simulation_sentence,
)
from rvs_analysis.report.open_data import open_data_line
from rvs_analysis.report.tables import (
    area_targets,
    district_comparison,
    format_results,
    indicator_observations,
    results_and_statuses,
    table,
)
from rvs_analysis.report.wording import (
    TARGET_STATUSES_NL,
    ar1_clause_nl,
    change_phrase,
    count_change_sentence,
    escape,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_probability,
    is_set,
    key_message,
    md,
    ratio_phrase,
    show,
    status_word,
    targets_sentence,
)
from rvs_analysis.report.yardstick import comparison_methods
from rvs_analysis.report.year_to_date import YearToDate, record_year_to_date
from rvs_analysis.stats import serial, targets, trends
from rvs_analysis.stats.common import MIN_CASES_PERCENT, MIN_EVENTS_CHANGE
from rvs_analysis.strategies import indicator_catalogue

__all__ = [
    "TABLES",
    "UNKNOWN_STATUSES",
    "BurglarySeries",
    "CountSeries",
    "Results",
    "burglary_series",
    "count_indicator_figures",
    "count_indicators",
    "count_series",
    "district_figure",
    "district_sentence",
    "district_table",
    "key_message_of",
    "districts",
    "methods",
    "municipal_rate_map",
    "record_summary",
    "results",
]

UNKNOWN_STATUSES = ("geen gegevens", "niet te bepalen", "onvoldoende gegevens")
"""Statuses of indicators whose status could not be judged from the source."""


@dataclass
class Results:
    """The results table of the area, with the statuses behind it."""

    table: pd.DataFrame
    area: str
    report_year: int
    target_year: int
    provisional: tuple[int, ...] = ()
    """Years whose figures are provisional (CBS "Voorlopig")."""
    statuses: dict = field(default_factory=dict)
    """Indicator -> :class:`~rvs_analysis.stats.targets.TargetStatus`."""
    has_targets: bool = True
    """Whether the strategy sets measurable targets (else trends and changes, no statuses)."""
    strategy: str = ""
    """The strategy's name with its period, for sentences."""

    def year_label(self, year) -> str:
        """``"2025 (voorlopig)"`` for a provisional year."""
        return f"{int(year)} (voorlopig)" if int(year) in self.provisional else str(int(year))

    @property
    def known(self) -> pd.DataFrame:
        """Indicators with a judged status."""
        return self.table[~self.table["status"].isin(UNKNOWN_STATUSES)]

    def count(self, status: str) -> int:
        """How many indicators have ``status`` (``"behaald"``, ``"op koers"``, ...)."""
        return int((self.known["status"] == status).sum())

    @property
    def measured(self) -> bool:
        """Whether the targets are judged on measured values (the report year reaches the
        target year) rather than on forecasts."""
        return self.report_year >= self.target_year

    def judged(self) -> str | None:
        """The measured year(s) the targets were judged on, in Dutch: the most common year, and
        each indicator judged on other years by name ("2018 (afgehandelde verdachten: 2016;
        jongerenoverlast: 2017 en 2019)"); ``None`` before the target year."""
        if not self.measured:
            return None
        labels = dict(zip(self.table["indicator"], self.table["label"], strict=False))
        years = {
            indicator: " en ".join(self.year_label(year) for year in status.judged_years)
            for indicator, status in self.statuses.items()
            if status.judged_years
        }
        if not years:
            return str(self.target_year)
        common = max(set(years.values()), key=list(years.values()).count)
        others = [
            f"{str(labels.get(indicator, indicator)).lower()}: {text}"
            for indicator, text in years.items()
            if text != common
        ]
        return common + (f" ({'; '.join(others)})" if others else "")

    def status_counts(self) -> dict[str, int]:
        """Targets per Dutch status (:data:`~rvs_analysis.report.wording.TARGET_STATUSES_NL`)."""
        return {status: self.count(status) for status in TARGET_STATUSES_NL}

    def show(self):
        """The results table for the indicators the source holds."""
        return table(
            format_results(
                self.table[self.table["status"] != "geen gegevens"],
                self.report_year,
                self.target_year,
                provisional=self.provisional,
            )
        )

    def burglary(self) -> pd.Series:
        """The burglary row of the table."""
        return self.table.set_index("indicator").loc["burglary"]

    def burglary_change(self) -> tuple[float, float, float]:
        """The burglary change in percent with its interval."""
        row = self.burglary()
        return (row["change_pct"], row["change_low"], row["change_high"])

    def sentence(self):
        """How many targets fall in each status band, the burglary change and the number of
        comparisons the table makes."""
        burglary = self.burglary()
        missing = self.table[~self.table.index.isin(self.known.index)]["label"]
        comparisons = int(self.table.attrs.get("n_comparisons", 0))
        counts = self.targets_sentence()
        tests = "verandering" if comparisons == 1 else "veranderingen"
        return md(
            "{counts} Geen of onvoldoende gegevens voor: {missing}. Het aantal "
            "woninginbraken in {area} {change} van {previous_year} op {year}. De tabel toetst "
            "{comparisons} {tests}; bij zoveel toetsen op 5% is ongeveer {expected} keer "
            '"sign." door toeval te verwachten.',
            counts=counts,
            tests=tests,
            missing=", ".join(missing) or "geen",
            area=self.area,
            change=_burglary_change_text(burglary),
            previous_year=self.year_label(burglary["previous_year"]),
            year=self.year_label(burglary["this_year"]),
            comparisons=comparisons,
            expected=fmt_num(0.05 * comparisons, 1),
        )

    def targets_sentence(self) -> str:
        """How many targets have each status, or, for a strategy without measurable targets,
        that it has none (and so no statuses)."""
        if not self.has_targets:
            return (
                f"{self.strategy} heeft geen meetbare doelen die deze monitor kan volgen: de tabel "
                "toont de ontwikkeling van de indicatoren van haar prioriteiten, zonder status."
            )
        return targets_sentence(
            self.status_counts(), self.judged(), None if self.measured else self.target_year
        )

    def chances_figure(self, source_label: str):
        """The probability of meeting each target, as bars; ``None`` (nothing shown) when no
        target has one (every target judged on its measured value, after the target year)."""
        known = self.known
        chances = known.dropna(subset=["probability"]).assign(
            probability_pct=known["probability"].dropna() * 100
        )
        if chances.empty:
            return None
        return figures.bar_chart(
            chances,
            "label",
            "probability_pct",
            source_label,
            reference=90,
            reference_label="Grens behaald (90%)",
            title=f"Kans dat het doel wordt gehaald, {self.area}",
            xlabel="Kans (%)",
            decimals=0,
            unit="%",
        )


def _burglary_change_text(row) -> str:
    """The burglary change as a predicate, or "te weinig gevallen"."""
    if is_set(row.get("too_few")) or pd.isna(row.get("change_pct")):
        return "veranderde (te weinig gevallen voor een percentage)"
    if pd.isna(row.get("change_low")):  # no year-noise estimate: no interval, no test
        return (
            f"veranderde met {fmt_pct(row['change_pct'], 0, signed=True)} (geen interval: te "
            "weinig jaren voor de jaar-op-jaarruis)"
        )
    phrase = change_phrase((row["change_pct"], row["change_low"], row["change_high"]))
    detectable = row.get("change_detectable")
    if not is_set(row.get("significant")) and detectable is not None and pd.notna(detectable):
        # the power where it matters: what a "not significant" could have detected
        phrase += (
            f"; met de jaar-op-jaarruis van deze reeks toont de toets pas een verandering van "
            f"ongeveer {fmt_pct(detectable, 0)} met 80% kans aan"
        )
    return phrase


def results(ctx: ReportContext, target_year: int, *, report_year: int | None = None) -> Results:
    """The area's results table (:func:`rvs_analysis.report.tables.results_table`) in
    ``report_year`` (default: ``ctx.report_year``) towards the targets of ``target_year``."""
    report_year = ctx.report_year if report_year is None else report_year
    table, statuses = results_and_statuses(ctx, report_year, target_year)
    return Results(
        table=table,
        statuses=statuses,
        area=ctx.area.name,
        report_year=report_year,
        target_year=target_year,
        provisional=tuple(ctx.provisional_years),
        has_targets=not ctx.targets().empty,
        strategy=strategy_label(ctx.strategy),
    )


def strategy_section(ctx: ReportContext):
    """The strategy the monitor follows: name, period, area list, priorities with their
    indicators (and whether the source holds them), what open data cannot show, the targets.

    Returns
    -------
    IPython.display.Markdown
        A "## De strategie" section in Dutch.
    """
    strategy = ctx.strategy
    catalogue = indicator_catalogue().set_index("id")
    composition = ctx.composition
    districts = list(dict.fromkeys(composition["district"]))
    lines = [
        "## De strategie",
        "",
        f"Deze monitor volgt **{escape(strategy_label(strategy))}** van "
        f"{escape(strategy.region)}: {counted(len(composition), 'gemeente', 'gemeenten')} in "
        f"{counted(len(districts), 'district', 'districten')} ({escape(', '.join(districts))}), "
        f"in de gemeentelijke indeling van {ctx.composition_year}.",
        "",
        "**Prioriteiten en hun indicatoren**",
        "",
    ]
    for priority in strategy.priorities:
        shown = []
        for indicator in priority.indicators:
            label = str(catalogue.loc[indicator, "label_nl"])
            held = indicator_observations(ctx, indicator, ctx.report_year) is not None
            shown.append(label if held else f"{label} (niet in deze bron)")
        line = f"- **{escape(priority.theme)}**: {escape('; '.join(shown))}."
        if priority.not_in_open_data:
            line += f" *Niet in open data:* {escape(priority.not_in_open_data)}"
        lines.append(line)
    targets_table = ctx.targets()
    lines.append("")
    if targets_table.empty:
        lines.append(
            "Deze strategie publiceert geen meetbare doelen die deze monitor kan volgen: de "
            "monitor toont ontwikkelingen, veranderingen en vergelijkingen, geen statussen. "
            "Woninginbraak staat in elke monitor als vaste maatstaf."
        )
    else:
        listed = targets_table[targets_table["kind"] == "target"]
        lines.append(
            f"De strategie stelt {counted(len(listed), 'doelwaarde', 'doelwaarden')} voor "
            f"{counted(listed['indicator'].nunique(), 'indicator', 'indicatoren')}, elk met een "
            "bronregel; de resultatentabel beoordeelt ze."
        )
    return md("\n".join(lines))


@dataclass
class CountSeries:
    """A count indicator of the strategy (burglaries, robberies, ...) for the area: its yearly
    counts, its targets (scaled to the area), trend and status."""

    counts: pd.DataFrame
    targets: pd.DataFrame
    target_note: str
    trend: object
    status: object
    area: str
    source_label: str
    target_year: int
    provisional: tuple[int, ...] = ()
    report_year: int | None = None
    label: str = "Woninginbraken"
    """The indicator's Dutch name as a plural count (the chart's title and axis)."""
    baseline: float | None = None
    """The area's observed baseline-year value, for targets stated relative to the baseline."""

    def forecast_band(self, n_sim: int = FORECAST_BAND_DRAWS) -> pd.DataFrame:
        """The forecast from the report year to the target year with its 80% and 95% bands.

        Returns
        -------
        pandas.DataFrame
            ``year, mean, low_80, high_80, low_95, high_95``; the report year's observed count is
            the band's start. Empty when the report year is not before the target year.
        """
        columns = ["year", "mean", "low_80", "high_80", "low_95", "high_95"]
        report_year = self.report_year or int(self.counts["year"].max())
        if report_year >= self.target_year:
            return pd.DataFrame(columns=columns)
        last = self.counts[self.counts["year"] == report_year]["registered_offences"]
        start = float(last.iloc[0]) if len(last) else float("nan")
        rows = [(report_year, start, start, start, start, start)]
        for year in range(report_year + 1, self.target_year + 1):
            draws = self.trend.forecast(year, n_sim=n_sim).draws
            low_95, low_80, high_80, high_95 = np.quantile(draws, [0.025, 0.10, 0.90, 0.975])
            rows.append((year, float(np.mean(draws)), low_80, high_80, low_95, high_95))
        return pd.DataFrame(rows, columns=columns)

    def target_path(self) -> pd.DataFrame:
        """The baseline and each target of the strategy (scaled to the area), by year."""
        path = self.targets[self.targets["kind"].isin(["baseline", "target"])].copy()
        if self.baseline is not None:
            # A baseline the strategy does not state, and targets relative to it, follow the
            # area's observed baseline-year value.
            missing = path["value"].isna()
            baseline_row = missing & (path["kind"] == "baseline")
            path.loc[baseline_row, "value"] = self.baseline
            if "relative_to_baseline" in path.columns:
                relative = missing & path["relative_to_baseline"].notna()
                path.loc[relative, "value"] = self.baseline * (
                    1 + path.loc[relative, "relative_to_baseline"].astype(float)
                )
        path = path.dropna(subset=["value"])
        return path[["year", "value", "kind"]].sort_values("year")

    def figure(self):
        """Observed burglaries, the target path through the baseline and each target, the
        forecast with its 80% and 95% bands, provisional years as open markers."""
        observed = self.counts.rename(columns={"registered_offences": "value"}).assign(
            provisional=self.counts["year"].isin(self.provisional)
        )
        first, last = int(observed["year"].min()), int(observed["year"].max())
        return figures.target_chart(
            observed,
            self.source_label,
            target_path=self.target_path(),
            forecast=self.forecast_band(),
            title=f"{self.label}, {self.area}, {first}–{last}"
            + (f", met doelen tot {self.target_year}" if self.status is not None else ""),
            ylabel=f"Aantal {self.label[0].lower() + self.label[1:]}",
            note=(
                f"Doelen: {self.target_note}. Prognose: de trend tot en met het rapportagejaar "
                "doorgetrokken"
                if self.status is not None
                else "Geen doel in de strategie"
            )
            + ("; open punten: voorlopige cijfers" if self._shows_provisional() else ""),
        )

    def _shows_provisional(self) -> bool:
        return bool(set(self.counts["year"]) & set(self.provisional))

    def _year(self, year) -> str:
        return f"{int(year)} (voorlopig)" if int(year) in self.provisional else str(int(year))

    def sentence(self):
        """The trend and either the observed value of the target year against its target (when
        the data reach it) or the forecast for the target year and the probability of meeting it."""
        if self.status is None:  # no target: the trend only
            return md(
                "Het aantal {what} per 1.000 inwoners {trend} ({first}–{last}); de strategie "
                "stelt er geen doel voor.",
                what=self.label.lower(),
                trend=ratio_phrase(self.trend.annual_rate_ratio),
                first=int(self.counts["year"].min()),
                last=self._year(self.counts["year"].max()),
            )
        forecast = self.status.forecast
        if self.status.observed_year is not None:
            return md(
                "Het aantal woninginbraken per 1.000 inwoners {trend} ({first}–{last}). In "
                "{observed_year} zijn {observed} woninginbraken geregistreerd; het doel voor "
                "{target_year} was {target} ({note}): {verdict}.",
                trend=ratio_phrase(self.trend.annual_rate_ratio),
                first=int(self.counts["year"].min()),
                last=self._year(self.counts["year"].max()),
                observed_year=self._year(self.status.observed_year),
                observed=fmt_int(self.status.observed_value),
                target_year=self.target_year,
                target=fmt_int(self.status.target.value),
                note=self.target_note,
                verdict=measured_verdict(self.status),
            )
        return md(
            "Het aantal woninginbraken per 1.000 inwoners {trend}, gemeten over {first}–{last}. "
            "Verwachting "
            "voor {target_year} als die trend doorzet: {forecast} inbraken "
            "(95%-voorspellingsinterval {low} tot {high}); het doel is {target} ({note}). De kans "
            "dat het gehaald wordt is {probability}: een voorspellende kans, gegeven dat de trend "
            "doorzet, geen kans dat het beleid werkt.",
            trend=ratio_phrase(self.trend.annual_rate_ratio),
            first=int(self.counts["year"].min()),
            last=int(self.counts["year"].max()),
            target_year=self.target_year,
            forecast=fmt_int(forecast.mean) if forecast else "–",
            low=fmt_int(forecast.pi_low) if forecast else "–",
            high=fmt_int(forecast.pi_high) if forecast else "–",
            target=fmt_int(self.status.target.value),
            note=self.target_note,
            probability=fmt_probability(self.status.probability_meeting_target),
        )


BurglarySeries = CountSeries
"""The burglary indicator's series (the name the monitor's burglary chapter used first)."""


def burglary_series(ctx: ReportContext, area_results: Results) -> CountSeries:
    """The area's burglary counts, targets (scaled for a district or municipality) and trend, in
    the report and target year of ``area_results``."""
    report_year, target_year = area_results.report_year, area_results.target_year
    counts = area_counts(ctx, "1.1.1")
    burglary_targets, baseline, target_note = area_targets(ctx, "burglary", report_year)
    return CountSeries(
        counts=counts,
        targets=burglary_targets,
        target_note=target_note,
        trend=trends.fit_count_trend(counts[counts["year"] <= report_year]),
        status=area_results.statuses.get("burglary"),
        area=ctx.area.name,
        source_label=ctx.source_for("47018NED", "70072ned"),
        target_year=target_year if area_results.has_targets else report_year,
        provisional=tuple(ctx.provisional_years),
        report_year=report_year,
        baseline=baseline,
    )


def count_series(
    ctx: ReportContext, area_results: Results, indicator: str, report_year: int, target_year: int
) -> CountSeries | None:
    """One count indicator of the strategy for the area (``None`` when the source does
    not hold it, or it has no status): counts, targets scaled to the area, trend and status.

    Notes
    -----
    The trend is :func:`rvs_analysis.stats.trends.fit_count_trend` on the counts up to the
    report year (with the population as exposure where the indicator has one); the target year
    is the indicator's own last listed target up to ``target_year``.
    """
    observations = indicator_observations(ctx, indicator)
    status = area_results.statuses.get(indicator)
    if observations is None or (
        area_results.has_targets and (status is None or status.target is None)
    ):
        return None
    counts = observations.rename(columns={"value": "registered_offences"})
    counts["registered_offences"] = counts["registered_offences"].round()
    fitted = counts[counts["year"] <= report_year]
    exposure = (
        "population" if "population" in fitted and fitted["population"].notna().all() else None
    )
    if len(fitted) < 3:
        return None
    rows, baseline, target_note = area_targets(ctx, indicator, report_year)
    label = (
        str(rows["label_nl"].iloc[0])
        if not rows.empty
        else str(indicator_catalogue().set_index("id").loc[indicator, "label_nl"])
    )
    return CountSeries(
        counts=counts[["year", "registered_offences"]],
        targets=rows,
        target_note=target_note,
        trend=trends.fit_count_trend(fitted, population_column=exposure),
        status=status,
        area=ctx.area.name,
        source_label=ctx.source_for("47018NED", "70072ned"),
        target_year=(
            min(int(status.target.year), int(target_year)) if status is not None else report_year
        ),
        provisional=tuple(ctx.provisional_years),
        report_year=report_year,
        label=label,
        baseline=baseline,
    )


def count_indicator_figures(ctx: ReportContext, area_results: Results) -> None:
    """The chart of every count indicator besides burglary (shown above with its sentence):
    observed counts, target path through the baseline and each listed target, forecast bands to
    the target year, provisional years open. Indicators the source lacks are left out. Report
    and target year are those of ``area_results``."""
    shown = []
    for indicator in count_indicators(ctx):
        if indicator == "burglary":
            continue
        series = count_series(
            ctx, area_results, indicator, area_results.report_year, area_results.target_year
        )
        if series is not None:
            shown.append(series.figure())
    show(*shown)


def count_indicators(ctx: ReportContext) -> list[str]:
    """The indicators of the strategy's targets counted in whole numbers, in the file's order;
    for a strategy without targets, its priorities' count indicators."""
    listed = ctx.targets()
    if listed.empty:
        catalogue = indicator_catalogue().set_index("id")
        return [
            code for code in ctx.strategy.indicators() if catalogue.loc[code, "unit"] == "count"
        ]
    counted = listed[listed["unit"] == "count"]["indicator"]
    return list(dict.fromkeys(counted))


def key_message_of(area_results: Results, burglary: BurglarySeries):
    """The monitor's three-sentence kernboodschap: burglaries this year, the targets, the outlook.

    Returns
    -------
    IPython.display.HTML
        E.g. "In 2016 telde Flevoland 1.544 woninginbraken: een daling van 8% (…) ten opzichte
        van 2015." / "Van de 11 doelen met gegevens: 8 behaald, 1 waarschijnlijk gehaald, 2 onzeker
        en 0 waarschijnlijk niet gehaald." / "Als de trend doorzet, komt het aantal woninginbraken in 2018 uit op 1.252
        (95%-voorspellingsinterval 1.159 tot 1.350) tegen een doel van 2.026; de kans dat het doel
        gehaald wordt is meer dan 99%."
    """
    row = area_results.burglary()
    first = count_change_sentence(
        area_results.area,
        area_results.year_label(row["this_year"]),
        row["value"],
        "woninginbraken",
        area_results.year_label(row["previous_year"]),
        area_results.burglary_change(),
        too_few=is_set(row.get("too_few")),
    )
    second = area_results.targets_sentence()
    forecast = burglary.status.forecast if burglary.status is not None else None
    if burglary.status is None:
        third = (
            "Het aantal woninginbraken per 1.000 inwoners "
            f"{ratio_phrase(burglary.trend.annual_rate_ratio)} "
            f"({int(burglary.counts['year'].min())}–"
            f"{area_results.year_label(burglary.counts['year'].max())})."
        )
    elif getattr(burglary.status, "observed_year", None) is not None:
        third = (
            f"In {area_results.year_label(burglary.status.observed_year)} zijn "
            f"{fmt_int(burglary.status.observed_value)} woninginbraken geregistreerd tegen een doel "
            f"van {fmt_int(burglary.status.target.value)}: {measured_verdict(burglary.status)}."
        )
    elif forecast is None:
        third = "Voor woninginbraak is geen prognose te maken (te weinig jaren)."
    else:
        third = (
            f"Als de trend doorzet, komt het aantal woninginbraken in {burglary.target_year} uit op "
            f"{fmt_int(forecast.mean)} (95%-voorspellingsinterval {fmt_int(forecast.pi_low)} tot "
            f"{fmt_int(forecast.pi_high)}) tegen een doel van {fmt_int(burglary.status.target.value)}; "
            f"de kans dat het doel gehaald wordt is {fmt_probability(burglary.status.probability_meeting_target)}."
        )
    return key_message([first, second, third])


def measured_verdict(status) -> str:
    """The verdict on a measured target in Dutch, for a sentence ("het doel is behaald", "de
    meting ligt op de grens van het doel", ...)."""
    years = " en ".join(map(str, status.judged_years)) or str(status.observed_year)
    return {
        "achieved": "het doel is behaald",
        "not met": "het doel is niet behaald",
        "borderline": (
            f"het doel ligt binnen de onzekerheidsmarge van de meting ({years}): op de grens"
        ),
        "too few": "te weinig gevallen voor een oordeel",
    }.get(status.status, status_word(status.status))


def districts(ctx: ReportContext, *, report_year: int | None = None) -> pd.DataFrame:
    """Burglary change per district (and the region) from the first year to ``report_year``
    (default: ``ctx.report_year``)."""
    report_year = ctx.report_year if report_year is None else report_year
    return district_comparison(ctx, "1.1.1", ctx.first_year, report_year)


def _has_path(ctx: ReportContext) -> bool:
    """Whether the district figure can show the change the burglary target asks for: the
    strategy sets burglary a target against a 2011 baseline and the period starts in 2011."""
    listed = ctx.targets()
    burglary = listed[listed["indicator"] == "burglary"]
    return (
        ctx.first_year == 2011
        and (burglary["kind"] == "target").any()
        and ((burglary["kind"] == "baseline") & (burglary["year"] == 2011)).any()
    )


def _target_path_year(ctx: ReportContext, report_year: int) -> int:
    """The year of the burglary target the district figure compares with: the report year, or the
    strategy's last target year when the report year is past it."""
    return min(int(report_year), targets.last_target_year("burglary", ctx.targets()))


def _target_path_change(ctx: ReportContext, report_year: int) -> float:
    """The change from the 2011 baseline that the region's burglary target of a year asks for."""
    report_year = _target_path_year(ctx, report_year)
    all_targets = ctx.targets()
    baseline_2011 = all_targets[
        (all_targets["indicator"] == "burglary") & (all_targets["kind"] == "baseline")
    ]["value"].iloc[0]
    return 100 * (
        targets.target_for("burglary", report_year, all_targets).value / baseline_2011 - 1
    )


def district_figure(
    ctx: ReportContext, comparison: pd.DataFrame, *, report_year: int | None = None
):
    """Bars of the districts' burglary change (to ``report_year``, default ``ctx.report_year``)
    with the change the region's target asks for.

    The bar of the report's district (or the area itself) is marked; a municipality's report marks
    its district, so the figure is the same for every municipality of a district (and is drawn
    once per district in a batch: :func:`rvs_analysis.report.figures.drawn_once`)."""
    report_year = ctx.report_year if report_year is None else report_year
    shown = set(comparison["area"])
    marked = [name for name in (ctx.area.name, ctx.area.district) if name and name in shown]
    return figures.bar_chart(
        comparison,
        "area",
        "change_pct",
        ctx.source_for("47018NED"),
        low="ci_low",
        high="ci_high",
        highlight=marked,
        reference=_target_path_change(ctx, report_year) if _has_path(ctx) else None,
        reference_label=(
            f"Regiodoel {_target_path_year(ctx, report_year)} t.o.v. 2011"
            if _has_path(ctx)
            else None
        ),
        title=f"Verandering woninginbraken {ctx.first_year}–{ctx.year_label(report_year)} per "
        "district",
        xlabel="Verandering (%)",
        decimals=0,
        unit="%",
    )


def district_table(ctx: ReportContext, comparison: pd.DataFrame, *, report_year: int | None = None):
    """The district comparison (to ``report_year``, default ``ctx.report_year``) as the report
    shows it."""
    report_year = ctx.report_year if report_year is None else report_year
    return table(
        comparison,
        formats={
            "base": "int",
            "value": "int",
            "change_pct": "signed_pct",
            "ci_low": "signed_pct",
            "ci_high": "signed_pct",
            "rate_per_1000": "num2",
        },
        columns={
            "area": "Gebied",
            "base": f"Woninginbraken {ctx.first_year}",
            "value": f"Woninginbraken {ctx.year_label(report_year)}",
            "change_pct": "Verandering",
            "ci_low": "95%-BI onder",
            "ci_high": "95%-BI boven",
            "significant": "Significant",
            "rate_per_1000": f"Per 1.000 inwoners {ctx.year_label(report_year)}",
        },
        caption=(
            "Intervallen en significantie met de jaar-op-jaarruis van elk gebied "
            "(quasi-Poisson-dispersie uit de jaren die niet vergeleken worden); '–' bij te weinig "
            "gevallen."
        ),
    )


def _district_change(row) -> str:
    """One district's burglary change as a clause: "het aantal woninginbraken daalde met 30% (…)"."""
    # picked as the extreme of five: the interval, but no significance claim after ranking
    phrase = change_phrase((row["change_pct"], row["ci_low"], row["ci_high"]), tested=False)
    if phrase.startswith("is niet"):
        return "te weinig gevallen om een verandering te berekenen"
    return f"het aantal woninginbraken {phrase}"


def district_sentence(comparison: pd.DataFrame):
    """The districts with the strongest fall (or smallest rise) and the weakest, in Dutch.

    Returns
    -------
    IPython.display.Markdown
        E.g. "De sterkste daling had Gooi en Vechtstreek: het aantal woninginbraken daalde met
        42% (…). De kleinste daling had West-Utrecht: het aantal woninginbraken daalde met 30%
        (…)."; with rises "De sterkste stijging had …", without usable numbers "te weinig
        gevallen".
    """
    districts = comparison[comparison["level"] != "region"]
    ranked = districts.dropna(subset=["change_pct"]).sort_values("change_pct")
    if ranked.empty:
        return md(
            "Per district zijn er te weinig gevallen om de verandering van het aantal "
            "woninginbraken te berekenen."
        )
    first, last = ranked.iloc[0], ranked.iloc[-1]
    if round(first["change_pct"]) < 0:
        opening = "De sterkste daling had {first}: {first_change}."
    elif round(first["change_pct"]) == 0:
        opening = (
            "Geen district had een daling; de kleinste verandering had {first}: {first_change}."
        )
    else:
        opening = "Geen district had een daling; de kleinste stijging had {first}: {first_change}."
    if len(ranked) == 1:
        closing = ""
    elif round(last["change_pct"]) > 0:
        closing = " De sterkste stijging had {last}: {last_change}."
    elif round(last["change_pct"]) == 0:
        closing = " De kleinste verandering had {last}: {last_change}."
    else:
        closing = " De kleinste daling had {last}: {last_change}."
    caveat = (
        " Wie bovenaan of onderaan staat is deels toeval: of een district echt veranderde, staat "
        "per district in de tabel (die toets geldt voor elk district apart, niet voor de rangorde)."
        if len(ranked) > 1
        else ""
    )
    return md(
        opening + closing + caveat,
        first=first["area"],
        first_change=_district_change(first),
        last=last["area"],
        last_change=_district_change(last),
    )


def municipal_rate_map(ctx: ReportContext, *, report_year: int | None = None):
    """Burglaries per 1,000 inhabitants per municipality in ``report_year`` (default:
    ``ctx.report_year``), on the map."""
    report_year = ctx.report_year if report_year is None else report_year
    municipal = regions.area_table(
        ctx.dataset,
        "1.1.1",
        boundaries=ctx.composition_year,
        years=report_year,
        rate=True,
        areas=ctx.level_areas("gemeente"),
    )
    return figures.area_map(
        ctx.dataset,
        values_by_code(municipal, "rate_per_1000", ctx, name="area"),
        ctx.source_for("47018NED", "70072ned"),
        "Woninginbraken per 1.000 inwoners",
        highlight=ctx.highlight_codes,
        year=ctx.composition_year,
        codes=list(ctx.composition["gemeente_code"]),
        title=f"Woninginbraken per 1.000 inwoners per gemeente, {ctx.year_label(report_year)}",
        decimals=1,
    )


TABLES = ("47018NED", "47022NED", "70072ned", "83648NED", "gebieden")
"""The open tables the monitor reads (named in its source line; 47022NED for "Dit jaar tot nu
toe")."""


def methods(
    ctx: ReportContext,
    area_results: Results,
    national=None,
    units=None,
    open_indicators=None,
    so_far: YearToDate | None = None,
):
    """The "Methode en bronnen" section of the monitor, worded from the methods used.

    ``national`` (:func:`rvs_analysis.report.yardstick.national_comparison`), ``units``
    (:func:`rvs_analysis.report.chapters.monitor_open.police_unit_comparison`),
    ``open_indicators`` (:func:`~rvs_analysis.report.chapters.monitor_open.open_indicators`) and
    ``so_far`` (:func:`rvs_analysis.report.year_to_date.this_year`) add their methods when the
    report showed them.
    """
    compared, compared_technical = comparison_methods(national, units)
    open_lines, open_technical = [], []
    if open_indicators is not None and not open_indicators.frame.empty:
        open_lines.append(
            "Indicatoren uit open CBS-data: verandering tussen beginjaar en rapportagejaar; "
            "aantallen met de jaar-op-jaarruis van de reeks (quasi-Poisson-dispersie uit de jaren "
            "die niet vergeleken worden, t-interval), ophelderingspercentages als verschil in "
            "procentpunt met de quasi-binomiale dispersie uit de jaren die niet vergeleken "
            "worden; "
            f"{counted(open_indicators.n_comparisons, 'verandering', 'veranderingen')} getoetst "
            "op 5%, niet gecorrigeerd voor meervoudig toetsen."
        )
        open_technical = open_indicators.methods
    labels = dict(zip(area_results.table["indicator"], area_results.table["label"], strict=False))
    return methods_block(
        ctx,
        methods=[
            "Verandering ten opzichte van de vorige meting: aantallen met de jaar-op-jaarruis van "
            "het gebied (quasi-Poisson-dispersie rond een gladde, kwadratische trend van de "
            "jaren die niet vergeleken worden en niet voorlopig zijn, of bij minder dan zeven "
            "zulke jaren uit de tweede verschillen van de log-cijfers, dan niet begrensd op 1; "
            "t-interval, een normaal interval waar een dispersie uit zeven of meer jaren op haar "
            "ondergrens 1 staat); "
            "ophelderingspercentages als verschil in procentpunt met de jaar-op-jaarruis van de "
            "reeks, op dezelfde manier geschat op de logit (quasi-binomiale dispersie). Bij "
            "een niet-significante verandering noemt de tekst de kleinste verandering die de "
            "toets met 80% kans aantoont (onderscheidingsvermogen). Zonder "
            "drie opeenvolgende bruikbare jaren voor die ruis: geen interval en geen toets. "
            "Te weinig gevallen: minder dan "
            f"{MIN_EVENTS_CHANGE} misdrijven in beide jaren samen (of 0 in een ervan), of minder dan "
            f"{MIN_CASES_PERCENT} geregistreerde misdrijven achter een percentage.",
            "De tabel toetst "
            + counted(
                int(area_results.table.attrs.get("n_comparisons", 0)),
                "verandering",
                "veranderingen",
            )
            + " op 5%; er is niet gecorrigeerd voor meervoudig toetsen.",
            "Status en prognose per doel: een trendmodel tot en met het rapportagejaar, "
            "doorgetrokken naar het doeljaar met simulatie (aantallen: quasi-Poisson met de "
            "geprojecteerde bevolking; percentages met tellers: quasi-binomiaal met ruis per jaar; "
            "overige: lineaire trend, alleen bij minstens vier metingen). "
            + "B"
            + ar1_clause_nl(serial.MIN_YEARS_AR1)[1:]
            + ". Vóór het doeljaar een "
            "status in kansbanden van de afgedrukte kans: op koers (≥ 90%), waarschijnlijk op "
            "koers (70-90%), onzeker (30-70%), niet op koers (< 30%); onvoldoende gegevens bij "
            "minder dan drie jaren of een voorspellingsinterval over het grootste deel van de "
            "schaal. Vanaf het doeljaar beslist de gemeten waarde van het doeljaar (zonder meting "
            "in dat jaar: de metingen ervoor en erna): behaald of niet behaald, 'op de grens' als "
            "het doel binnen het 95%-interval van de meting ligt (exact Poisson voor aantallen, "
            "Clopper-Pearson voor ophelderingspercentages, de gepubliceerde marge voor "
            "enquêtecijfers), 'te weinig gevallen' onder 10 gevallen.",
            simulation_sentence(draws=STATUS_DRAWS)
            + f" De banden in de figuren: {fmt_int(FORECAST_BAND_DRAWS)} trekkingen per jaar.",
            "Enquêtecijfers (onveiligheidsgevoel, jongerenoverlast): gewogen percentages per "
            "meting, onderdrukt bij minder dan 100 respondenten.",
            *compared,
            *open_lines,
            *(so_far.methods_lines() if so_far is not None else []),
        ],
        assumptions=[
            "Een prognose veronderstelt dat de trend tot het rapportagejaar ongewijzigd doorzet.",
            "Doelen in aantallen voor een district of gemeente: het regiodoel maal het aandeel van "
            "het gebied in de regio in het basisjaar (gelijke relatieve inspanning); de strategie "
            "zelf stelt alleen regiodoelen.",
            "Voorspellingsintervallen van percentages zijn in de tabel afgekapt op 0% en 100%.",
        ],
        limitations=[
            "De open CBS-tabellen bevatten geregistreerde misdrijven per gemeente (47018NED) maar "
            "niet de opheldering van woninginbraak per gemeente (83648NED alleen per "
            "misdrijfgroep), niet de eigen regiocijfers (verdachten, criminele "
            "samenwerkingsverbanden, afpakken) en de Veiligheidsmonitor alleen als schattingen met "
            "marges voor de grotere gemeenten, met een breuk in de reeks in 2021. Zulke "
            "indicatoren staan op 'geen gegevens' als de bron ze mist.",
            *filter(None, [open_data_line(ctx.dataset, TABLES)]),
        ],
        technical=[
            *area_results.table.attrs.get("change_specs", []),
            *(
                (f"{labels.get(indicator, indicator)}, status doel {status.target.year}", spec)
                for indicator, status in area_results.statuses.items()
                for spec in [status.method_spec]
            ),
            *compared_technical,
            *open_technical,
            *(so_far.methods if so_far is not None else []),
        ],
    )


def record_summary(
    ctx: ReportContext,
    area_results: Results,
    burglary: BurglarySeries,
    so_far: YearToDate | None = None,
) -> None:
    """Record the monitor's forecasts, the burglary change and trend, the status counts and, with
    ``so_far`` (:func:`rvs_analysis.report.year_to_date.this_year`), the nowcast of the year under
    way (``burglary_nowcast``)."""
    for indicator, status in area_results.statuses.items():
        if status.forecast is not None:
            ctx.summary.add(
                f"{indicator}_forecast_{status.target.year}", status.forecast, status=status.status
            )
    row = area_results.burglary()
    if not pd.isna(row.get("change_pct")):
        ctx.summary.add(
            "burglary_change_pct",
            area_results.burglary_change(),
            significant=is_set(row.get("significant")),
        )
    ctx.summary.add("burglary_annual_rate_ratio", burglary.trend.annual_rate_ratio)
    nan = float("nan")
    ctx.summary.add(
        "burglary_count",
        (float(row["value"]), nan, nan),
        year=int(row["this_year"]),
        previous_year=int(row["previous_year"]) if "previous_year" in row.index else None,
        year_label=area_results.year_label(row["this_year"]),
        previous_year_label=(
            area_results.year_label(row["previous_year"]) if "previous_year" in row.index else None
        ),
    )
    ctx.summary.parameters.setdefault("target_year", int(area_results.target_year))
    for status, count in area_results.status_counts().items() if area_results.has_targets else ():
        if count or status in ("behaald", "niet behaald", "op koers"):
            ctx.summary.set_headline(f"Doelen {status}", count)
    judged = area_results.judged() if area_results.has_targets else None
    if judged is not None:
        ctx.summary.set_headline("Doelen beoordeeld op", judged)
    record_year_to_date(ctx, so_far)
