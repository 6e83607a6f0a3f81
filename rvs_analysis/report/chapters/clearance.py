"""The chapters of the burglary clearance report (``notebooks/burglary_clearance_drivers.ipynb``).

Each function takes the report's context and the results of the chapter before it and returns a
figure, a table or a sentence (Markdown), so that a notebook cell is one or two calls. The
statistics come from :mod:`rvs_analysis.stats.clearance`, :mod:`~rvs_analysis.stats.trends` and
:mod:`~rvs_analysis.stats.targets`; this module selects what a chapter shows and words it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from rvs_analysis.report import figures
from rvs_analysis.report.area_data import (
    area_counts,
    clearance_frame,
    flagged_years,
    values_by_code,
)
from rvs_analysis.report.context import ReportContext, methods_block, strategy_label
from rvs_analysis.report.monte_carlo import CLEARANCE_STATUS_DRAWS, simulation_sentence
from rvs_analysis.report.open_data import ClearanceOffence, clearance_offence, open_data_line
from rvs_analysis.report.shared import computed_once
from rvs_analysis.report.tables import funnel_grid, table, targets_by_year
from rvs_analysis.report.wording import (
    ar1_clause_nl,
    difference_phrase,
    fmt_ci,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_probability,
    key_message,
    md,
    names_phrase,
    ratio_phrase,
    ratio_value_phrase,
    status_word,
)
from rvs_analysis.report.yardstick import comparison_methods
from rvs_analysis.stats import clearance, serial, targets, trends
from rvs_analysis.stats.common import MIN_CASES_PERCENT, StatisticsInputError

__all__ = [
    "TABLES",
    "key_message_of",
    "ClearanceSeries",
    "ClearanceYear",
    "DRIVERS",
    "DRIVER_LABELS",
    "NeededToReach",
    "clearance_in_year",
    "clearance_series",
    "drivers_figure",
    "drivers_model",
    "drivers_sentence",
    "funnel_figure",
    "funnel_map",
    "funnel_sentence",
    "group_level_note",
    "methods",
    "municipal_funnel",
    "needed_sentence",
    "needed_to_reach",
    "record_summary",
    "status_sentence",
    "clearance_status",
]

DRIVER_LABELS = {
    "burgernet_participation": "Burgernet (+1 deelnemer per 100 inwoners)",
    "density_per_1000": "Bevolkingsdichtheid (+1.000 inwoners per km²)",
    "attempt_share": "Aandeel pogingen (+1 procentpunt)",
}
"""Dutch labels of the drivers in the forest plot."""

BURGLARY = ClearanceOffence("1.1.1", "woninginbraak", False)
"""Residential burglary itself (the region's own police figures)."""

TABLES = ("83648NED", "47018NED", "70072ned")
"""The open tables the clearance report reads (named in its source line)."""

DRIVERS = ["burgernet_participation", "density_per_1000", "attempt_share", "year", "district"]
"""The drivers model's terms: three explanatory variables and fixed effects for year and district."""


@dataclass
class ClearanceSeries:
    """The area's clearance per year, with the municipal frame it came from.

    Attributes
    ----------
    frame : pandas.DataFrame
        Per municipality and year (:func:`rvs_analysis.report.area_data.clearance_frame`).
    yearly : pandas.DataFrame
        The area's clearance per year (:func:`rvs_analysis.stats.clearance.clearance_table`).
    targets : pandas.DataFrame
        ``year, target`` for the years with a published target.
    area : str
    source_label : str
    offence : ClearanceOffence
        Residential burglary, or on open data the published offence group that contains it
        (:func:`rvs_analysis.report.open_data.clearance_offence`): ``offence.group_level``.
    """

    frame: pd.DataFrame
    yearly: pd.DataFrame
    targets: pd.DataFrame
    area: str
    source_label: str
    provisional: tuple[int, ...] = ()
    """Years whose registered figures are provisional (CBS "Voorlopig")."""
    offence: ClearanceOffence = BURGLARY
    report_year: int | None = None
    """The report's year (``ctx.report_year``): the default year of the chapters on the series."""
    first_year: int | None = None
    """The report's first year (``ctx.first_year``): the default base of a change."""
    strategy_targets: pd.DataFrame | None = None
    """The strategy's whole targets table (``ctx.targets()``); ``None``: the 2015-2018 one."""
    strategy: str = ""
    """The strategy's name with its period, for sentences."""

    @property
    def target_table(self) -> pd.DataFrame:
        """The strategy's targets table."""
        return targets.load_targets() if self.strategy_targets is None else self.strategy_targets

    def last_target_year(self) -> int | None:
        """The strategy's last clearance target year, ``None`` when it sets none."""
        try:
            return targets.last_target_year("burglary_clearance", self.target_table)
        except StatisticsInputError:
            return None

    @property
    def group_level(self) -> bool:
        """The series is the clearance of an offence group, not of residential burglary."""
        return self.offence.group_level

    @property
    def subject(self) -> str:
        """Dutch name of what is cleared (for titles and sentences)."""
        if self.group_level:
            return f"misdrijfgroep '{self.offence.label}'"
        return "woninginbraak"

    def figure(self):
        """The clearance percentage per year with its interval band and the targets."""
        return figures.time_series(
            self.yearly,
            "year",
            "clearance_pct",
            self.source_label,
            low="ci_low",
            high="ci_high",
            targets=self.targets,
            title=f"Ophelderingspercentage {self.subject}, {self.area}",
            ylabel="Opgehelderd (% van geregistreerd)",
            unit="%",
            provisional=self.provisional,
        )

    def table(self):
        """The yearly clearance with its interval and the target, as a Dutch table; provisional
        years are marked."""
        return table(
            self.yearly.merge(self.targets, on="year", how="left"),
            formats={
                "year": lambda year: _year_label(year, self.provisional),
                "clearance_pct": "pct",
                "ci_low": "pct",
                "ci_high": "pct",
                "target": "pct",
            },
            columns={
                "year": "Jaar",
                "registered_offences": "Geregistreerd",
                "cleared_offences": "Opgehelderd",
                "clearance_pct": "Ophelderingspercentage",
                "ci_low": "95%-BI onder",
                "ci_high": "95%-BI boven",
                "target": "Doel",
            },
        )

    def until(self, year: int) -> pd.DataFrame:
        """``year, cleared_offences, registered_offences`` up to and including ``year``."""
        observed = self.yearly[self.yearly["year"] <= year]
        return observed[["year", "cleared_offences", "registered_offences"]]

    def municipalities_in(self, year: int) -> pd.DataFrame:
        """The municipal rows of one year."""
        return self.frame[self.frame["year"] == year]


def clearance_series(ctx: ReportContext, offence_code: str = "1.1.1") -> ClearanceSeries:
    """The area's clearance per year (Wilson intervals) and the strategy's targets.

    Parameters
    ----------
    ctx : ReportContext
    offence_code : str, default "1.1.1"
        CBS offence key (residential burglary).

    Returns
    -------
    ClearanceSeries
        Of ``offence_code`` when the source has its cleared offences (the region's own police
        figures); on open data of the published offence group that contains residential burglary
        (83648NED "Diefstal/verduistering en inbraak"), with ``group_level`` set and no targets
        (they are burglary targets).
    """
    offence = clearance_offence(ctx.dataset, offence_code)
    frame = clearance_frame(ctx, offence.code)
    yearly = clearance.clearance_table(frame[frame["in_area"]], by="year")
    goals = targets_by_year("burglary_clearance", yearly["year"], targets=ctx.targets())
    if offence.group_level:
        goals = goals.iloc[0:0]
    return ClearanceSeries(
        frame=frame,
        yearly=yearly,
        targets=goals,
        area=ctx.area.name,
        source_label=ctx.source_for("83648NED"),
        provisional=tuple(sorted(set(ctx.provisional_years) | flagged_years(frame))),
        offence=offence,
        report_year=ctx.report_year,
        first_year=ctx.first_year,
        strategy_targets=ctx.targets(),
        strategy=strategy_label(ctx.strategy),
    )


@dataclass(frozen=True)
class NoStatus:
    """No status towards a clearance target: the strategy sets none (``sentence`` says so)."""

    sentence: str
    method: str = ""


def _no_status(series: ClearanceSeries) -> NoStatus:
    return NoStatus(
        f"{series.strategy} stelt geen doel voor het ophelderingspercentage van woninginbraak; "
        "dit rapport geeft daarom de ontwikkeling, geen status."
    )


def judged(status) -> bool:
    """Whether the report judged a target (a status, not ``None`` or :class:`NoStatus`)."""
    return status is not None and not isinstance(status, NoStatus)


def group_level_note(series: ClearanceSeries):
    """On open data, why the report shows an offence group's clearance (empty otherwise)."""
    if not series.group_level:
        return md("")
    subgroups = ", ".join(f"{title} ({code})" for code, title in series.offence.subgroups)
    return md(
        "**Opheldering op groepsniveau.** {why}{subgroups}",
        why=series.offence.why,
        subgroups=f" Gepubliceerde subgroepen: {subgroups}." if subgroups else "",
    )


def _year_label(year, provisional) -> str:
    """``"2025 (voorlopig)"`` when ``year`` is among ``provisional``, else the year."""
    return f"{int(year)} (voorlopig)" if int(year) in set(provisional) else str(int(year))


@dataclass
class ClearanceYear:
    """The clearance of one year against the base year and the year's target."""

    area: str
    year: int
    base_year: int
    cleared: int
    registered: int
    rate: Any
    change: Any
    target: Any
    offence: ClearanceOffence = BURGLARY
    provisional: tuple[int, ...] = ()
    """Years whose figures are provisional (CBS "Voorlopig"): marked wherever they are named."""
    last_target_year: int | None = None
    """The strategy's last clearance target year; ``None`` when it sets none."""

    @property
    def year_label(self) -> str:
        """``"2025 (voorlopig)"`` for a provisional year, else ``"2024"``."""
        return _year_label(self.year, self.provisional)

    @property
    def base_label(self) -> str:
        """The base year, marked when provisional."""
        return _year_label(self.base_year, self.provisional)

    def sentence(self):
        """The Dutch sentence the report shows (Markdown; ``.data`` holds the text)."""
        if self.offence.group_level:
            return md(
                "In {year} werden in {area} {cleared} van de {registered} geregistreerde "
                "misdrijven van de groep '{group}' opgehelderd: {pct} ({ci}). Dit is opheldering "
                "op groepsniveau, niet van woninginbraak alleen; het doel voor woninginbraak "
                "wordt daarom niet getoetst. Ten opzichte van {base_year}: {change}.",
                year=self.year_label,
                area=self.area,
                cleared=fmt_int(self.cleared),
                registered=fmt_int(self.registered),
                group=self.offence.label,
                pct=fmt_pct(self.rate.estimate),
                ci=fmt_ci(self.rate.ci_low, self.rate.ci_high, 1, "%"),
                change=self._change_phrase(),
                base_year=self.base_label,
            )
        if self.target is None and self.last_target_year is None:
            verdict = "De strategie stelt geen doel voor de opheldering."
        elif self.target is None:
            verdict = (
                "De strategie stelde voor {year} geen doel (de doelen lopen tot en met "
                f"{self.last_target_year})."
            )
        else:
            verdict = "Het doel voor {year} was {target}; dat is {met}."
        return md(
            "In {year} werden in {area} {cleared} van de {registered} geregistreerde "
            "woninginbraken opgehelderd: {pct} ({ci}). " + verdict + " Ten opzichte van "
            "{base_year}: {change}.",
            year=self.year_label,
            area=self.area,
            cleared=fmt_int(self.cleared),
            registered=fmt_int(self.registered),
            pct=fmt_pct(self.rate.estimate),
            ci=fmt_ci(self.rate.ci_low, self.rate.ci_high, 1, "%"),
            target=fmt_pct(self.target.value) if self.target is not None else "–",
            met=self._verdict(),
            change=self._change_phrase(),
            base_year=self.base_label,
        )

    def _verdict(self) -> str:
        """Met or not, judged with the year's interval: "op de grens" when the target lies in
        it, "te weinig gevallen" below :data:`MIN_CASES_PERCENT` registered offences."""
        if self.target is None:
            return "–"
        if self.registered < MIN_CASES_PERCENT:
            return "met te weinig gevallen niet te beoordelen"
        if self.rate.ci_low <= self.target.value <= self.rate.ci_high:
            return "op de grens (het doel ligt binnen het 95%-interval)"
        return "gehaald" if self.target.is_met(self.rate.estimate) else "niet gehaald"

    def _change_phrase(self) -> str:
        """The change since the base year in procentpunt, or 'te weinig gevallen'."""
        counted = "misdrijven van de groep" if self.offence.group_level else "inbraken"
        if self.change is None:
            return (
                "te weinig gevallen voor een vergelijking (minder dan "
                f"{MIN_CASES_PERCENT} geregistreerde {counted} in een jaar)"
            )
        return "een verschil van " + difference_phrase(self.change)


def clearance_in_year(
    series: ClearanceSeries, year: int | None = None, base_year: int | None = None
) -> ClearanceYear:
    """The clearance of ``year``, its change since ``base_year`` and the year's target.

    ``year`` defaults to the report's year and ``base_year`` to its first year (as the series
    recorded them from the report context).

    Notes
    -----
    The percentage has a Wilson interval (:func:`rvs_analysis.stats.clearance.clearance_rate`);
    the change is the difference in procentpunt with the year-to-year noise of the series up to
    ``year`` outside the two compared years and the provisional ones
    (:func:`rvs_analysis.stats.clearance.clearance_difference` with
    :func:`~rvs_analysis.stats.clearance.clearance_dispersion`; the binomial alone when no three
    consecutive such years remain); fewer than
    :data:`~rvs_analysis.stats.common.MIN_CASES_PERCENT` registered offences in either year
    gives no change (``None``).
    """
    year = series.report_year if year is None else year
    base_year = series.first_year if base_year is None else base_year
    by_year = series.yearly.set_index("year")
    now, base = by_year.loc[year], by_year.loc[base_year]
    upto = series.yearly[series.yearly["year"] <= year]
    phi, df = clearance.clearance_dispersion(
        upto, compared=(int(base_year), int(year)), provisional=series.provisional
    )
    if phi is None:  # no three consecutive usable years: the binomial alone (method names it)
        phi, df = 1.0, None
    change = None
    if min(now["registered_offences"], base["registered_offences"]) >= MIN_CASES_PERCENT:
        change = clearance.clearance_difference(
            int(base["cleared_offences"]),
            int(base["registered_offences"]),
            int(now["cleared_offences"]),
            int(now["registered_offences"]),
            dispersion=phi,
            df=df,
        )
    return ClearanceYear(
        area=series.area,
        year=int(year),
        base_year=int(base_year),
        cleared=int(now["cleared_offences"]),
        registered=int(now["registered_offences"]),
        rate=clearance.clearance_rate(
            int(now["cleared_offences"]), int(now["registered_offences"])
        ),
        change=change,
        target=targets.target_for("burglary_clearance", year, series.target_table)
        if series.last_target_year() is not None and year <= series.last_target_year()
        else None,
        last_target_year=series.last_target_year(),
        provisional=tuple(series.provisional),
        offence=series.offence,
    )


def clearance_status(series: ClearanceSeries, target_year: int, *, report_year: int | None = None):
    """The status towards the target of ``target_year`` from the series up to ``report_year``
    (default: the report's year).

    ``None`` for a group-level series: the targets are burglary targets.
    """
    if series.group_level:
        return None
    if series.last_target_year() is None:
        return _no_status(series)
    report_year = series.report_year if report_year is None else report_year
    return targets.target_status(
        "burglary_clearance",
        series.until(report_year),
        target_year=target_year,
        targets=series.target_table,
        n_sim=CLEARANCE_STATUS_DRAWS,
    )


def status_sentence(status, target_year: int, *, report_year: int | None = None):
    """The Dutch sentence on the status, the forecast and the probability of meeting the target;
    when the data reach the target year, the observed clearance of that year against it.

    The forecast continues the trend through ``report_year``, by default the last year the
    status was computed from (``status.last_year``: the report's year)."""
    if isinstance(status, NoStatus):
        return md(status.sentence)
    if status is None:
        return md(
            "Het doel van de strategie geldt voor het ophelderingspercentage van woninginbraak; "
            "de open CBS-cijfers hebben alleen de misdrijfgroep, dus de status richting het doel "
            "van {target_year} is op deze bron niet te bepalen.",
            target_year=target_year,
        )
    if status.observed_year is not None:
        target, observed = fmt_pct(status.target.value), fmt_pct(status.observed_value)
        if observed == target:  # one more decimal shows on which side of the target it lies
            observed = fmt_pct(status.observed_value, 2)
        return md(
            "Doel voor {target_year}: {target}. Gemeten in {observed_year}: {observed}; status: "
            "**{status}** (beoordeeld op de gemeten waarde met haar 95%-interval, zonder "
            "prognose).",
            target=target,
            target_year=target_year,
            observed_year=" en ".join(map(str, status.judged_years)) or status.observed_year,
            observed=observed,
            status=status_word(status.status),
        )
    return md(
        "Status richting het doel van {target} in {target_year}: **{status}**. Als de trend tot en "
        "met {year} doorzet, is de verwachting voor {target_year} {forecast} "
        "(95%-voorspellingsinterval {low} tot {high}); de kans dat het doel dan gehaald wordt is "
        "{probability}.",
        target=fmt_pct(status.target.value),
        target_year=target_year,
        status=status_word(status.status),
        year=status.last_year if report_year is None else report_year,
        forecast=fmt_pct(status.forecast.mean),
        low=fmt_pct(status.forecast.pi_low),
        high=fmt_pct(status.forecast.pi_high),
        probability=fmt_probability(status.probability_meeting_target),
    )


def municipal_funnel(series: ClearanceSeries, year: int | None = None) -> pd.DataFrame:
    """The municipalities' clearance of ``year`` (default: the report's year) against funnel
    limits (overdispersion if found).

    ``attrs["subject"]`` names what is cleared (burglary, or the offence group on open data),
    ``attrs["year"]`` the year.
    """
    year = series.report_year if year is None else year
    municipal = clearance.funnel_table(
        series.municipalities_in(year),
        "cleared_offences",
        "registered_offences",
        overdispersion="auto",
        label_column="gemeente_name",
    )
    municipal.attrs["subject"] = series.subject
    municipal.attrs["year"] = year
    return municipal


def _subject(municipal: pd.DataFrame) -> str:
    return municipal.attrs.get("subject", "woninginbraak")


def funnel_figure(ctx: ReportContext, municipal: pd.DataFrame, year: int | None = None):
    """The funnel plot of the municipalities' clearance in ``year`` (default: the funnel's)."""
    year = municipal.attrs["year"] if year is None else year
    return figures.funnel_plot(
        municipal,
        "registered_offences",
        "value",
        "gemeente_name",
        funnel_grid(municipal, "registered_offences"),
        municipal.attrs["overdispersion"]["benchmark"] * 100,
        ctx.source_for("83648NED"),
        highlight=ctx.highlight_names,
        title=f"Opheldering {_subject(municipal)} per gemeente, {year}",
        xlabel="Geregistreerde misdrijven (logaritmische schaal)"
        if _subject(municipal) != "woninginbraak"
        else "Geregistreerde woninginbraken (logaritmische schaal)",
        ylabel="Ophelderingspercentage (%)",
        unit="%",
    )


def funnel_sentence(municipal: pd.DataFrame):
    """Which limits were used and which municipalities lie outside the 99.8% limits."""
    outside = municipal[municipal["position_99.8"] != "within"]
    return md(
        "De grenzen zijn {limits}. Buiten de 99,8%-grenzen liggen {outside}; de overige verschillen "
        "tussen gemeenten zijn niet groter dan toeval en de gewone spreiding tussen gemeenten "
        "verklaren, en zijn dus niet statistisch significant.",
        limits="verbreed voor overdispersie (de gemeenten verschillen meer dan toeval verklaart)"
        if municipal.attrs["overdispersion"]["limits"] != "exact"
        else "exact binomiaal (geen overdispersie gevonden)",
        outside=names_phrase(outside["gemeente_name"]),
    )


def funnel_map(ctx: ReportContext, municipal: pd.DataFrame, year: int | None = None):
    """The municipalities' clearance of ``year`` (default: the funnel's) on the map."""
    year = municipal.attrs["year"] if year is None else year
    return figures.area_map(
        ctx.dataset,
        values_by_code(municipal, "value", ctx),
        ctx.source_for("83648NED"),
        "Opgehelderd (%)",
        highlight=ctx.highlight_codes,
        year=ctx.composition_year,
        codes=list(ctx.composition["gemeente_code"]),
        title=f"Ophelderingspercentage {_subject(municipal)} per gemeente, {year}",
        unit="%",
    )


def drivers_model(series: ClearanceSeries):
    """The binomial drivers model of clearance over every municipality and year.

    The same for every area of the region (only the area's own column differs), so a batch fits
    it once per source version and process (:func:`rvs_analysis.report.shared.computed_once`).
    ``None`` when the source lacks the explanatory variables (open data: they are the region's own
    police figures, ``data/templates/cleared_offences.csv``).
    """
    if series.group_level or not all(term in series.frame.columns for term in DRIVER_LABELS):
        return None
    return computed_once(
        clearance.clearance_drivers,
        series.frame.drop(columns=["in_area"]),
        DRIVERS,
        categorical=["year", "district"],
    )


def drivers_figure(ctx: ReportContext, drivers, series: ClearanceSeries):
    """Forest plot of the drivers' odds ratios (year effects left out); nothing without them
    (:func:`drivers_sentence` says why)."""
    if drivers is None:
        return md("")
    odds_ratios = drivers.to_frame()  # one row per term (DriversFit's tidy frame)
    shown = odds_ratios[~odds_ratios["term"].str.startswith("year=")].copy()
    reference_district = sorted(series.frame["district"].unique())[0]
    districts = shown["term"].str.replace("district=", "District ", regex=False)
    shown["label"] = (
        shown["term"].map(DRIVER_LABELS).fillna(districts + f" (t.o.v. {reference_district})")
    )
    # a district of one municipality has no cluster-robust interval: the note says why
    bare = districts[shown["ci_low"].isna() & shown["term"].str.startswith("district=")]
    note = "Grijs: interval omvat geen effect (niet significant)"
    if len(bare):
        note += f"; open punt ({', '.join(bare)}): één gemeente, dus geen cluster-robuust interval"
    return figures.forest_plot(
        shown,
        "label",
        "odds_ratio",
        "ci_low",
        "ci_high",
        ctx.source_label,
        title="Verklarende factoren van opheldering (odds ratio's)",
        note=note,
    )


def drivers_sentence(drivers):
    """The three drivers' odds ratios, the number of clusters and the dispersion, in Dutch."""
    if drivers is None:
        return md(
            "De verklarende kenmerken (Burgernet-deelname, pogingen, dichtheid per gemeente en "
            "jaar) staan niet in de open CBS-tabellen; ze komen uit de politiecijfers van de "
            "regio (sjabloon data/templates/cleared_offences.csv). Dit hoofdstuk vervalt op "
            "deze bron."
        )
    return md(
        "Per extra Burgernet-deelnemer per 100 inwoners is de odds op opheldering {burgernet}. "
        "Voor de bevolkingsdichtheid is de odds ratio {density}, voor het aandeel pogingen "
        "{attempts}. Het model rust op {clusters} gemeenten; de spreiding is {dispersion} keer wat "
        "een zuiver binomiaal model verwacht, en daarom zijn de intervallen cluster-robuust "
        "berekend.",
        burgernet=ratio_value_phrase(
            drivers.odds_ratio("burgernet_participation"), suffix=" keer zo groot"
        ),
        density=ratio_value_phrase(drivers.odds_ratio("density_per_1000")),
        attempts=ratio_value_phrase(drivers.odds_ratio("attempt_share"), 3),
        clusters=drivers.n_clusters,
        dispersion=fmt_num(drivers.dispersion, 2),
    )


@dataclass
class NeededToReach:
    """What it takes to reach the target: cleared offences needed now and in the target year."""

    goal: Any
    year: int
    target_year: int
    trend: Any
    expected: Any
    needed_now: dict
    needed_then: dict


def needed_to_reach(
    ctx: ReportContext,
    this_year: ClearanceYear,
    target_year: int,
    *,
    report_year: int | None = None,
) -> NeededToReach | NoStatus | None:
    """Cleared burglaries needed for the target now, and with the forecast number of burglaries.

    Notes
    -----
    The number of burglaries in ``target_year`` comes from the area's count trend up to
    ``report_year`` (default: ``ctx.report_year``; :func:`rvs_analysis.stats.trends.fit_count_trend`,
    population offset). ``None`` for a group-level series (the target is a burglary target).
    """
    if this_year.offence.group_level:
        return None
    if this_year.last_target_year is None:
        return NoStatus(
            "De strategie stelt geen doel voor de opheldering van woninginbraak, dus er is geen "
            "aantal opgehelderde inbraken dat nodig is."
        )
    report_year = ctx.report_year if report_year is None else report_year
    counts = area_counts(ctx, "1.1.1")
    trend = trends.fit_count_trend(counts[counts["year"] <= report_year])
    observed = counts.loc[counts["year"] == target_year, "registered_offences"]
    # A year with data is never forecast: past the target year its observed count is used.
    expected = trend.forecast(target_year) if observed.empty else None
    burglaries = round(expected.mean) if expected is not None else int(observed.iloc[0])
    goal = targets.target_for("burglary_clearance", target_year, ctx.targets())
    return NeededToReach(
        goal=goal,
        year=report_year,
        target_year=target_year,
        trend=trend,
        expected=expected,
        needed_now=clearance.cleared_needed(this_year.registered, goal.value, this_year.cleared),
        needed_then=clearance.cleared_needed(burglaries, goal.value),
    )


def needed_sentence(needed: NeededToReach):
    """The Dutch paragraph on what it takes to reach the target."""
    if isinstance(needed, NoStatus):
        return md(needed.sentence)
    if needed is None:
        return md(
            "Hoeveel opgehelderde woninginbraken nodig zijn voor het doel, vraagt de opheldering "
            "van woninginbraak zelf; de open CBS-cijfers hebben alleen de misdrijfgroep."
        )
    if needed.expected is None:
        return md(
            "Om {goal} te halen bij evenveel inbraken als in {year} ({registered}) moeten er "
            "{needed} worden opgehelderd, {additional} meer dan de {cleared} van {year}. In "
            "{target_year} zijn {burglaries} inbraken geregistreerd; voor het doel van dat jaar "
            "waren {needed_then} opgehelderde inbraken nodig geweest.",
            goal=fmt_pct(needed.goal.value),
            year=needed.year,
            registered=fmt_int(needed.needed_now["registered"]),
            needed=fmt_int(needed.needed_now["cleared_needed"]),
            additional=fmt_int(needed.needed_now["additional_needed"]),
            cleared=fmt_int(needed.needed_now["cleared"]),
            target_year=needed.target_year,
            burglaries=fmt_int(needed.needed_then["registered"]),
            needed_then=fmt_int(needed.needed_then["cleared_needed"]),
        )
    return md(
        "Om {goal} te halen bij evenveel inbraken als in {year} ({registered}) moeten er {needed} "
        "worden opgehelderd, {additional} meer dan de {cleared} van {year}. Het aantal inbraken "
        "{trend}; als die trend doorzet worden voor {target_year} {expected} inbraken verwacht "
        "(95%-voorspellingsinterval {low} tot {high}), en zijn {needed_then} opgehelderde "
        "inbraken nodig.",
        goal=fmt_pct(needed.goal.value),
        year=needed.year,
        registered=fmt_int(needed.needed_now["registered"]),
        needed=fmt_int(needed.needed_now["cleared_needed"]),
        additional=fmt_int(needed.needed_now["additional_needed"]),
        cleared=fmt_int(needed.needed_now["cleared"]),
        trend=ratio_phrase(needed.trend.annual_rate_ratio),
        target_year=needed.target_year,
        expected=fmt_int(needed.expected.mean),
        low=fmt_int(needed.expected.pi_low),
        high=fmt_int(needed.expected.pi_high),
        needed_then=fmt_int(needed.needed_then["cleared_needed"]),
    )


def key_message_of(this_year: ClearanceYear, status, needed: NeededToReach):
    """The clearance report's three-sentence kernboodschap: the year's clearance and its change,
    the target's status, and what it takes to reach the target.

    Returns
    -------
    IPython.display.HTML
        E.g. "In 2016 werd in Flevoland 9,8% van de geregistreerde woninginbraken opgehelderd
        (151 van 1.544); ten opzichte van 2011 is dat +1,2 procentpunt (…)." / "Het doel van
        15,0% in 2018 is niet op koers: als de trend doorzet, is de kans dat het gehaald wordt
        4%." / "Om het doel te halen bij evenveel inbraken als in 2016 moeten er 232 worden
        opgehelderd, 81 meer dan nu."
    """
    if this_year.offence.group_level:
        return key_message(_group_key_sentences(this_year))
    rate = (
        f"In {this_year.year_label} werd in {this_year.area} {fmt_pct(this_year.rate.estimate)} van de "
        f"geregistreerde woninginbraken opgehelderd ({fmt_int(this_year.cleared)} van "
        f"{fmt_int(this_year.registered)})"
    )
    if this_year.change is None:
        rate += f"; voor een vergelijking met {this_year.base_label} zijn het te weinig gevallen."
    else:
        rate += f"; ten opzichte van {this_year.base_label} is dat {difference_phrase(this_year.change)}."
    if isinstance(status, NoStatus):  # no target: what a point of clearance means instead
        scale = (
            f"Bij evenveel inbraken als in {this_year.year_label} ({fmt_int(this_year.registered)}) "
            "staat elk procentpunt opheldering voor ongeveer "
            f"{fmt_int(max(1, round(this_year.registered / 100)))} opgehelderde inbraken."
        )
        return key_message([rate, status.sentence, scale])
    target = fmt_pct(status.target.value)
    if status.observed_year is not None:
        observed = fmt_pct(status.observed_value)
        if observed == target:  # one more decimal shows on which side of the target it lies
            observed = fmt_pct(status.observed_value, 2)
        outlook = (
            f"Het doel van {target} voor {status.target.year}, beoordeeld op de meting van "
            f"{' en '.join(map(str, status.judged_years)) or status.observed_year} "
            f"(gemeten: {observed}): {status_word(status.status)}."
        )
    else:
        outlook = (
            f"Het doel van {target} in {needed.target_year} is {status_word(status.status)}: als de trend "
            "doorzet, is de kans dat het gehaald wordt "
            f"{fmt_probability(status.probability_meeting_target)}."
        )
    now = needed.needed_now
    if now["additional_needed"] <= 0:
        effort = (
            f"Bij evenveel inbraken als in {needed.year} haalt het gebied het doel van "
            f"{fmt_pct(needed.goal.value)} al: {fmt_int(now['cleared'])} opgehelderd, "
            f"{fmt_int(now['cleared_needed'])} nodig."
        )
    else:
        effort = (
            f"Om het doel van {fmt_pct(needed.goal.value)} te halen bij evenveel inbraken als in "
            f"{needed.year} moeten er {fmt_int(now['cleared_needed'])} worden opgehelderd, "
            f"{fmt_int(now['additional_needed'])} meer dan nu."
        )
    return key_message([rate, outlook, effort])


def _group_key_sentences(this_year: ClearanceYear) -> list[str]:
    """The kernboodschap on open data: the offence group's clearance, labelled as group level."""
    rate = (
        f"In {this_year.year_label} werd in {this_year.area} {fmt_pct(this_year.rate.estimate)} van de "
        f"geregistreerde misdrijven van de groep '{this_year.offence.label}' opgehelderd "
        f"({fmt_int(this_year.cleared)} van {fmt_int(this_year.registered)})"
    )
    if this_year.change is None:
        rate += f"; voor een vergelijking met {this_year.base_label} zijn het te weinig gevallen."
    else:
        rate += f"; ten opzichte van {this_year.base_label} is dat {difference_phrase(this_year.change)}."
    return [
        rate,
        "Dit is opheldering op groepsniveau (CBS 83648NED), niet van woninginbraak alleen; de "
        "doelen voor woninginbraak zijn op deze bron daarom niet te toetsen.",
        "Met de politiecijfers van de regio (data/regional/cleared_offences.csv) toont dit rapport "
        "de opheldering van woninginbraak zelf, met doelen en verklarende factoren.",
    ]


def methods(
    ctx: ReportContext, status, drivers, needed: NeededToReach | None, national=None, series=None
):
    """The "Methode en bronnen" section of the clearance report, worded from the methods the
    results used: status, drivers and what is needed only when the report computed them (not on
    group-level open data); ``national`` from
    :func:`rvs_analysis.report.yardstick.national_clearance_comparison`; ``series`` names the
    offence (group) the percentages are of."""
    group_level = series is not None and series.group_level
    needed_trend = getattr(needed, "trend", None)
    counted = "misdrijven van de groep" if group_level else "inbraken"
    national_lines, national_technical = comparison_methods(national)
    lines = [
        "Ophelderingspercentage met Wilson-interval (95%)"
        + (f" van de misdrijfgroep '{series.offence.label}' (83648NED)." if group_level else "."),
        "Verandering van het ophelderingspercentage: verschil in procentpunt, met de "
        "jaar-op-jaarruis van de reeks (quasi-binomiale dispersie rond een gladde, "
        "kwadratische trend op de logit van de jaren die niet vergeleken worden en niet "
        "voorlopig zijn, of bij minder dan zeven zulke jaren uit de tweede verschillen van de "
        "logit, dan niet begrensd op 1) en t-interval (normaal waar een dispersie uit zeven of "
        "meer jaren op haar ondergrens 1 staat); 'te weinig gevallen' bij minder dan "
        f"{MIN_CASES_PERCENT} geregistreerde {counted} in een jaar.",
    ]
    if judged(status):
        lines.append(
            "Status en prognose: een quasi-binomiaal trendmodel van het ophelderingspercentage tot "
            "en met het rapportagejaar, doorgetrokken naar het doeljaar (simulatie met ruis per "
            "jaar; "
            + ar1_clause_nl(serial.MIN_YEARS_AR1)
            + "); vóór het doeljaar een status in kansbanden van de afgedrukte kans (op koers "
            "bij minstens 90%, waarschijnlijk op koers 70-90%, onzeker 30-70%, niet op koers "
            "onder 30%); vanaf het doeljaar de gemeten waarde met haar Clopper-Pearson-interval "
            "(behaald, niet behaald, op de grens als het doel binnen het interval ligt, te "
            "weinig gevallen onder 10 opgehelderde). De kans is een voorspellende kans, gegeven "
            "dat de trend doorzet. " + simulation_sentence(draws=CLEARANCE_STATUS_DRAWS)
        )
    lines.append(
        "Trechterdiagram volgens Spiegelhalter (2005), met grenzen verbreed voor overdispersie "
        "(zonder winsoriseren) als de gemeenten meer verschillen dan toeval verklaart; nooit "
        "smaller dan de exacte binomiale grenzen."
    )
    if drivers is not None:
        lines.append(
            "Verklarende factoren: binomiaal regressiemodel (logit) met cluster-robuuste "
            "standaardfouten per gemeente (welke variant: zie de technische details) en "
            "t-verdeling met G − 1 vrijheidsgraden."
        )
    if judged(needed):
        lines.append(
            "Benodigde opheldering: rekenkundig (afronding naar boven); verwacht aantal inbraken "
            "uit een quasi-Poisson-trendmodel met de bevolking als blootstelling."
        )
    lines += national_lines
    assumptions = [
        "Misdrijven worden onafhankelijk van elkaar opgehelderd"
        + (
            " (de cluster-robuuste fouten vangen samenhang binnen een gemeente op)."
            if drivers is not None
            else "."
        ),
    ]
    if judged(status):
        assumptions += [
            "De doelen van de regio gelden als percentage ook voor districten en gemeenten.",
            "Een prognose veronderstelt dat de trend tot het rapportagejaar ongewijzigd doorzet.",
        ]
    return methods_block(
        ctx,
        methods=lines,
        technical=[
            *(
                (subject, item.method_spec)
                for subject, item in (
                    ("Ophelderingspercentage, status en prognose", status),
                    ("Verklarende factoren van opheldering (odds ratio's)", drivers),
                    ("Benodigde opheldering, trend van het aantal inbraken", needed_trend),
                )
                if item is not None and not isinstance(item, NoStatus)
            ),
            *national_technical,
        ],
        assumptions=assumptions,
        limitations=[
            "De open CBS-tabellen (83648NED) geven opgehelderde misdrijven alleen per "
            "misdrijfgroep; opheldering van woninginbraak per gemeente en de verklarende kenmerken "
            "komen uit de politiecijfers van de regio.",
            *filter(None, [open_data_line(ctx.dataset, TABLES)]),
        ],
    )


def record_summary(
    ctx: ReportContext, this_year: ClearanceYear, status, drivers, target_year: int
) -> None:
    """Record the report's key estimates and headlines in ``ctx.summary``."""
    if this_year.offence.group_level:
        ctx.summary.add("group_clearance_pct", this_year.rate, year=this_year.year)
        ctx.summary.set_headline(
            f"Opheldering {this_year.offence.label} {this_year.year_label} (groepsniveau)",
            _headline_rate(this_year),
        )
        return
    ctx.summary.add(
        "burglary_clearance_or_burgernet", drivers.odds_ratio("burgernet_participation")
    )
    ctx.summary.add("burglary_clearance_or_density", drivers.odds_ratio("density_per_1000"))
    ctx.summary.add("burglary_clearance_pct", this_year.rate, year=this_year.year)
    if not judged(status):
        ctx.summary.set_headline(
            f"Opheldering woninginbraak {this_year.year_label}", _headline_rate(this_year)
        )
        return
    if status.forecast is not None:
        ctx.summary.add("burglary_clearance_forecast_pct", status.forecast, year=target_year)
    else:
        ctx.summary.add(
            "burglary_clearance_observed_pct",
            (status.observed_value, None, None),
            year=status.observed_year,
        )
    ctx.summary.set_headline(
        f"Opheldering woninginbraak {this_year.year_label}", _headline_rate(this_year)
    )
    ctx.summary.set_headline(f"Status doel {target_year}", status_word(status.status))


def _headline_rate(this_year: ClearanceYear) -> str:
    """The clearance percentage for the index, or "0 van 9; te weinig gevallen" below
    :data:`~rvs_analysis.stats.common.MIN_CASES_PERCENT` registered offences (a bare "0,0%" or
    "100,0%" on a handful of cases says nothing)."""
    if this_year.registered < MIN_CASES_PERCENT:
        return (
            f"{fmt_int(this_year.cleared)} van {fmt_int(this_year.registered)}; te weinig gevallen"
        )
    return fmt_pct(this_year.rate.estimate)
