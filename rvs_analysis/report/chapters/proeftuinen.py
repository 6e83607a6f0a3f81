"""The chapters of the proeftuinen report (``notebooks/onveiligheidsbeleving_proeftuinen.ipynb``).

Did the ten pilot municipalities improve perceived safety? Weighted survey proportions per wave for
the pilots and the other municipalities, the difference-in-differences, the event study with its
pre-trend test, and the area's own series. The statistics come from
:mod:`rvs_analysis.stats.perception`; this module selects what a chapter shows and words it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import pandas as pd
from scipy import stats

from rvs_analysis import regions
from rvs_analysis.exceptions import NotAvailableForSource
from rvs_analysis.report import figures
from rvs_analysis.report.area_data import survey_frame
from rvs_analysis.report.chapters import proeftuinen_open
from rvs_analysis.report.composition import composition_codes
from rvs_analysis.report.context import ReportContext, methods_block
from rvs_analysis.report.monte_carlo import (
    DID_REPLICATES,
    EVENT_STUDY_REPLICATES,
    simulation_sentence,
)
from rvs_analysis.report.open_data import open_data_line
from rvs_analysis.report.shared import computed_once
from rvs_analysis.report.tables import table
from rvs_analysis.report.wording import (
    difference_phrase,
    fmt_ci,
    fmt_int,
    fmt_num,
    fmt_p,
    fmt_pct,
    is_missing,
    key_message,
    md,
)
from rvs_analysis.stats import perception

__all__ = [
    "TABLES",
    "INDICATORS",
    "Pilots",
    "cell_means_table",
    "did_sentence",
    "pilot_effect",
    "pilot_effect_by_wave",
    "event_study_figure",
    "key_message_of",
    "group_figure",
    "latest_wave_map",
    "pilot_effect_leaving_each_out",
    "sensitivity_sentence",
    "sensitivity_table",
    "methods",
    "own_series",
    "own_series_sentence",
    "own_series_table",
    "pilots",
    "pre_trend_sentence",
    "published_comparisons",
    "published_figure",
    "published_sentence",
    "published_table",
    "record_published_summary",
    "record_summary",
]

INDICATORS = {
    "feels_unsafe": "Voelt zich weleens onveilig in de eigen buurt",
    "youth_nuisance": "Ervaart jongerenoverlast in de eigen buurt",
}
"""The survey indicators of the report and their Dutch titles."""


TABLES = ("81877NED", "85146NED")
"""The open tables the proeftuinen report reads (named in its source line)."""

MICRODATA_NOTE = (
    "Deze bron heeft geen microdata van de Veiligheidsmonitor (antwoorden per respondent). Het "
    "verschil-in-verschillenmodel per gemeente, de toets op gelijke trends en de kaart per "
    "gemeente vragen die microdata van de regio (sjabloon data/templates/survey_microdata.csv); "
    "hierboven staat de vergelijking op de gepubliceerde CBS-schattingen."
)


@dataclass
class Pilots:
    """The pilot municipalities, their start year, the region's survey microdata (``None`` when
    the source has none) and CBS's published estimates (``None`` without them)."""

    table: pd.DataFrame
    start_year: int
    survey: pd.DataFrame | None
    published: proeftuinen_open.PublishedPilots | None = None

    @property
    def has_microdata(self) -> bool:
        return self.survey is not None

    @property
    def codes(self) -> pd.Series:
        return self.table["gemeente_code"]

    def show(self):
        """The pilots with their district, start year and whether they lie in the report's area."""
        return table(
            self.table,
            columns={
                "gemeente_name": "Gemeente",
                "district": "District",
                "start_year": "Start",
                "in_area": "In dit gebied",
            },
        )


def pilots(ctx: ReportContext) -> Pilots:
    """The pilots of ``data/regions/pilots.csv``, the region's survey microdata and CBS's
    published estimates, as far as the source has them.

    Raises
    ------
    NotAvailableForSource
        When the source has neither survey microdata nor published estimates.
    """
    pilot_table = regions.pilot_municipalities()
    pilot_table["in_area"] = _pilot_area_codes(ctx).isin(ctx.codes).to_numpy()
    survey = ctx.dataset.survey
    has_survey = survey is not None and not survey.empty
    published_group = proeftuinen_open.published_pilots(ctx)
    if not has_survey and published_group is None:
        survey_frame(ctx)  # raises NotAvailableForSource with the reason
    start_year = int(pilot_table["start_year"].min())
    if ctx.report_year is not None and ctx.report_year <= start_year:
        raise NotAvailableForSource(
            f"De proeftuinen startten in {start_year}; tot en met {ctx.report_year} is er geen "
            "meting na de start, dus nog niets om proeftuinen en overige gemeenten op te "
            f"vergelijken. Kies een rapportagejaar na {start_year}."
        )
    waves = sorted({int(year) for year in survey["year"]}) if has_survey else []
    last = ctx.report_year if ctx.report_year is not None else max(waves, default=start_year)
    if has_survey and published_group is None and not [w for w in waves if start_year < w <= last]:
        raise NotAvailableForSource(
            f"De proeftuinen startten in {start_year}; tot en met {last} is er geen meting "
            f"na de start (metingen: {', '.join(map(str, [w for w in waves if w <= last]))}), "
            "dus nog niets om proeftuinen en overige gemeenten op te vergelijken. Kies een "
            "rapportagejaar met een meting na de start."
        )
    return Pilots(
        table=pilot_table,
        start_year=start_year,
        survey=survey_frame(ctx) if has_survey else None,
        published=published_group,
    )


def _pilot_area_codes(ctx: ReportContext) -> pd.Series:
    """The pilots' municipalities on the report's boundaries (Vianen in Vijfheerenlanden from
    2019), in the order of ``data/regions/pilots.csv``."""
    codes = regions.pilot_municipalities()["gemeente_code"]
    return codes.map(composition_codes(list(codes), ctx.composition_year))


def _microdata(note: bool = False):
    """Run a chapter function only with microdata: otherwise return the note (``note=True``), an
    empty Markdown (a display function) or ``None`` (a computation)."""

    def wrap(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            values = [*args, *kwargs.values()]
            missing = any(value is None for value in values) or any(
                isinstance(value, Pilots) and not value.has_microdata for value in values
            )
            if not missing:
                return function(*args, **kwargs)
            if note:
                return md(MICRODATA_NOTE)
            return md("") if function.__name__ not in _COMPUTATIONS else None

        return run

    return wrap


_COMPUTATIONS = {
    "pilot_effect",
    "pilot_effect_by_wave",
    "pilot_effect_leaving_each_out",
    "own_series",
}


def published_figure(ctx: ReportContext, group_pilots: Pilots, indicator: str):
    """CBS's published estimates for pilots, the comparison group and the area, with the 2021
    break (see :func:`rvs_analysis.report.chapters.proeftuinen_open.published_figure`); empty
    Markdown when the source has no published estimates."""
    if group_pilots.published is None:
        return md("")
    return proeftuinen_open.published_figure(ctx, group_pilots.published, indicator)


def published_comparisons(group_pilots: Pilots) -> dict:
    """The pilots-against-the-rest comparison on published estimates per indicator (``None``
    entries where a wave before or after the start is missing; empty without estimates)."""
    if group_pilots.published is None:
        return {}
    return {
        indicator: proeftuinen_open.published_comparison(group_pilots.published, indicator)
        for indicator in INDICATORS
    }


def published_sentence(group_pilots: Pilots, comparisons: dict):
    """The Dutch paragraph on the published-estimates comparison (empty without estimates)."""
    if group_pilots.published is None:
        return md("")
    return proeftuinen_open.published_sentence(
        group_pilots.published, comparisons.get("feels_unsafe"), comparisons.get("youth_nuisance")
    )


def published_table(group_pilots: Pilots, indicator: str = "feels_unsafe"):
    """The pooled published estimates per group and wave (empty without estimates)."""
    if group_pilots.published is None:
        return md("")
    return proeftuinen_open.published_table(group_pilots.published, indicator)


def group_figure(ctx: ReportContext, group_pilots: Pilots, indicator: str):
    """Weighted percentages per wave for pilots, other municipalities and the area itself.

    Without microdata: the note why (under the first indicator only), else nothing.
    """
    if not group_pilots.has_microdata:
        return md(MICRODATA_NOTE) if indicator == next(iter(INDICATORS)) else md("")
    survey = group_pilots.survey
    series = perception.weighted_proportions(survey, indicator, by=["group", "year"])
    if ctx.level != "region":
        own = perception.weighted_proportions(survey[survey["in_area"]], indicator, by="year")
        series = pd.concat([series, own.assign(group=ctx.area.name)], ignore_index=True)
    return figures.time_series(
        series[~series["suppressed"]],
        "year",
        "estimate_pct",
        ctx.source_label,
        low="ci_low",
        high="ci_high",
        hue="group",
        title=INDICATORS[indicator],
        ylabel="% van de inwoners (gewogen)",
        xlabel="Meting",
        unit="%",
        note=f"De proeftuinen startten in {group_pilots.start_year}",
    )


def _region_wide(function, group_pilots: Pilots, indicator: str, n_boot: int):
    """``function`` (a pilots analysis of :mod:`rvs_analysis.stats.perception`) on the whole
    region's survey, computed once per process: the same for every area of the region (the
    area's own ``in_area`` column is dropped), so a batch fits it once per worker
    (:func:`rvs_analysis.report.shared.computed_once`)."""
    return computed_once(
        function,
        group_pilots.survey.drop(columns=["in_area"]),
        indicator,
        group_pilots.codes,
        group_pilots.start_year,
        n_boot=n_boot,
    )


@_microdata()
def pilot_effect(group_pilots: Pilots, indicator: str):
    """The pilots' difference-in-differences for one indicator (all municipalities of the region).

    The same for every area of the region, so fitted once per source version and process
    (:func:`rvs_analysis.report.shared.computed_once`).
    """
    return _region_wide(
        perception.difference_in_differences, group_pilots, indicator, DID_REPLICATES
    )


@_microdata()
def did_sentence(group_pilots: Pilots, did_unsafe, did_youth):
    """Both indicators' difference-in-differences and the data they rest on, in Dutch."""
    return md(
        "Na de start in {start} veranderde het aandeel inwoners dat zich weleens onveilig voelt in "
        "de proeftuinen ten opzichte van de overige gemeenten met {unsafe}. Voor ervaren "
        "jongerenoverlast is het verschil-in-verschillen {youth}. De schatting rust op "
        "{respondents} respondenten in {clusters} gemeenten, waarvan {treated} proeftuinen "
        "(door de weging tellen die als {kish} even grote gemeenten). Een verschil is nog geen "
        "effect van de proeftuinen: de proeftuinen zijn gekozen, niet geloot. Gemeenten die "
        "gekozen worden na een slecht jaar, verbeteren vaak ook vanzelf (regressie naar het "
        "gemiddelde), en wat de gemeenten tot proeftuin maakte kan ook hun ontwikkeling "
        "bepalen.{merged}",
        merged=_merged_sampling_note(group_pilots.survey),
        start=group_pilots.start_year,
        unsafe=difference_phrase(did_unsafe.effect),
        youth=difference_phrase(did_youth.effect),
        respondents=fmt_int(did_unsafe.n_respondents),
        clusters=did_unsafe.n_clusters,
        treated=did_unsafe.n_treated_clusters,
        kish=fmt_num(did_unsafe.effect.details.get("kish_treated", float("nan")), 1),
    )


def _merged_sampling_note(survey: pd.DataFrame) -> str:
    """A Dutch sentence naming the municipalities that count apart in the models although they
    form one municipality on the report's boundaries (Vianen, Leerdam and Zederik:
    Vijfheerenlanden), or an empty string."""
    if "area_code" not in survey.columns:
        return ""
    parts = survey.groupby("area_code")["gemeente_code"].unique()
    parts = parts[parts.map(len) > 1]
    if parts.empty:
        return ""
    names = dict(zip(regions.mergers()["old_code"], regions.mergers()["old_name"], strict=True))
    names.update(zip(regions.mergers()["new_code"], regions.mergers()["new_name"], strict=True))
    names.update(
        zip(
            regions.municipality_table()["gemeente_code"],
            regions.municipality_table()["gemeente_name"],
            strict=True,
        )
    )
    clauses = []
    for area, codes in parts.items():
        listed = sorted(names.get(code, code) for code in codes)
        joined = ", ".join(listed[:-1]) + " en " + listed[-1]
        clauses.append(f"{joined} samen {names.get(area, area)}")
    return (
        " Respondenten tellen bij de gemeente waarin ze zijn ondervraagd; op de grenzen van dit "
        f"rapport vormen {'; '.join(clauses)}."
    )


def key_message_of(
    ctx: ReportContext, group_pilots: Pilots, did_unsafe, did_youth, series: pd.DataFrame
):
    """The proeftuinen report's three-sentence kernboodschap: the difference-in-differences of
    both indicators (estimated over the whole region) and the area's own latest wave.

    Returns
    -------
    IPython.display.HTML
        E.g. "Na de start in 2017 veranderde het aandeel inwoners dat zich weleens onveilig voelt
        in de proeftuinen ten opzichte van de overige gemeenten met −4,2 procentpunt (…)." /
        "Voor jongerenoverlast is dat +0,3 procentpunt (…); de proeftuinen zijn gekozen, niet
        geloot, dus een verschil is nog geen bewezen effect." / "In Flevoland voelde in 2019
        16,0% van de inwoners zich weleens onveilig (95%-BI …; 2011: 20,1%)."
    """
    if did_unsafe is None:  # no microdata: CBS's published estimates
        return key_message(
            proeftuinen_open.key_sentences(
                ctx, group_pilots.published, published_comparisons(group_pilots)
            )
        )
    opening = "Na" if ctx.level == "region" else "Over de hele regio geschat: na"
    if is_missing(did_unsafe.effect.estimate):
        unsafe = (
            f"{opening} de start in {group_pilots.start_year} is het verschil tussen proeftuinen "
            "en overige gemeenten in het aandeel inwoners dat zich weleens onveilig voelt niet te "
            "berekenen (te weinig gegevens)."
        )
    else:
        unsafe = (
            f"{opening} de start in {group_pilots.start_year} veranderde het aandeel inwoners dat "
            "zich weleens onveilig voelt in de proeftuinen ten opzichte van de overige gemeenten "
            f"met {difference_phrase(did_unsafe.effect)}."
        )
    youth = (
        f"Voor jongerenoverlast is dat {difference_phrase(did_youth.effect)}; de proeftuinen zijn "
        "gekozen, niet geloot, dus een verschil is nog geen bewezen effect."
    )
    usable = series.dropna(subset=["estimate_pct_unsafe"])
    if "suppressed_unsafe" in usable.columns:
        usable = usable[~usable["suppressed_unsafe"].astype(bool)]
    if usable.empty:
        own = (
            f"Voor {ctx.area.name} zelf zijn er te weinig respondenten voor een percentage "
            f"(minder dan {perception.MIN_RESPONDENTS} per meting)."
        )
    else:
        last = usable.iloc[-1]
        own = (
            f"In {ctx.area.name} voelde in {int(last['year'])} "
            f"{fmt_pct(last['estimate_pct_unsafe'])} van de inwoners zich weleens onveilig "
            f"({fmt_ci(last['ci_low_unsafe'], last['ci_high_unsafe'], 1, '%')}"
        )
        if len(usable) > 1:
            first = usable.iloc[0]
            own += f"; {int(first['year'])}: {fmt_pct(first['estimate_pct_unsafe'])}"
        own += ")."
    return key_message([unsafe, youth, own])


@_microdata()
def pilot_effect_leaving_each_out(group_pilots: Pilots, indicator: str) -> pd.DataFrame:
    """The difference-in-differences with each pilot left out (the sensitivity table).

    The same for every area of the region, so a batch computes it once per process
    (:func:`rvs_analysis.report.shared.computed_once`).
    """
    table_ = _region_wide(perception.leave_one_pilot_out, group_pilots, indicator, DID_REPLICATES)
    names = dict(
        zip(group_pilots.table["gemeente_code"], group_pilots.table["gemeente_name"], strict=True)
    )
    names["none"] = "geen (alle proeftuinen)"
    return table_.assign(name=table_["left_out"].map(names).fillna(table_["left_out"]))


@_microdata()
def sensitivity_table(leave_out: pd.DataFrame):
    """The leave-one-pilot-out table as the report shows it."""
    shown = leave_out.assign(weight_share_pct=100 * leave_out["weight_share"])
    return table(
        shown,
        formats={
            "weight_share_pct": "pct",
            "estimate_pp": lambda value: fmt_num(value, 1, signed=True),
            "ci_low": lambda value: fmt_num(value, 1, signed=True),
            "ci_high": lambda value: fmt_num(value, 1, signed=True),
        },
        columns={
            "name": "Weggelaten proeftuin",
            "weight_share_pct": "Aandeel in gewicht proeftuinen",
            "estimate_pp": "Effect (procentpunt)",
            "ci_low": "95%-BI onder",
            "ci_high": "95%-BI boven",
        },
        caption="Verschil in verschillen als telkens één proeftuin wordt weggelaten",
    )


@_microdata()
def sensitivity_sentence(group_pilots: Pilots, indicator: str, leave_out: pd.DataFrame):
    """The unweighted estimate and the estimate without the heaviest pilot, in Dutch."""
    unweighted = perception.difference_in_differences(
        group_pilots.survey, indicator, group_pilots.codes, group_pilots.start_year, weighted=False
    )
    others = leave_out[leave_out["left_out"] != "none"]
    heaviest = others.loc[others["weight_share"].idxmax()]
    return md(
        "Gevoeligheid: zonder weging (elke respondent telt even zwaar) is het effect "
        "{unweighted}. Zonder {name}, dat {share} van het gewicht van de proeftuinen draagt, is het "
        "{without} procentpunt ({low} tot {high}).",
        unweighted=difference_phrase(unweighted.effect),
        name=heaviest["name"],
        share=fmt_pct(100 * heaviest["weight_share"], 0),
        without=fmt_num(heaviest["estimate_pp"], 1, signed=True),
        low=fmt_num(heaviest["ci_low"], 1, signed=True),
        high=fmt_num(heaviest["ci_high"], 1, signed=True),
    )


@_microdata()
def cell_means_table(group_pilots: Pilots, did):
    """The weighted 2x2 table behind a difference-in-differences."""
    start = group_pilots.start_year
    cell_means = did.cell_means.assign(
        group=did.cell_means["group"].map({"pilot": "Proeftuinen", "other": "Overige gemeenten"}),
        period=did.cell_means["period"].map({"before": f"t/m {start}", "after": f"na {start}"}),
    )
    return table(
        cell_means,
        formats={"estimate_pct": "pct", "respondents": "int"},
        columns={
            "group": "Groep",
            "period": "Periode",
            "respondents": "Respondenten",
            "estimate_pct": "Voelt zich weleens onveilig (gewogen)",
        },
    )


@_microdata()
def pilot_effect_by_wave(group_pilots: Pilots, indicator: str):
    """The pilots' difference to the other municipalities per wave, with the pre-trend test.

    Region-wide like :func:`pilot_effect`, and computed once in the same way.
    """
    return _region_wide(perception.event_study, group_pilots, indicator, EVENT_STUDY_REPLICATES)


_EVENT_TITLES = {
    "feels_unsafe": "Onveiligheidsgevoel: proeftuinen min overige gemeenten, per meting",
    "youth_nuisance": "Jongerenoverlast: proeftuinen min overige gemeenten, per meting",
}


@_microdata()
def event_study_figure(ctx: ReportContext, group_pilots: Pilots, events, indicator: str):
    """The event-study plot of one indicator."""
    return figures.event_study_plot(
        events.to_frame(),
        "wave",
        "estimate_pp",
        "ci_low",
        "ci_high",
        ctx.source_label,
        start=group_pilots.start_year + 1,
        title=_EVENT_TITLES[indicator],
        note=f"Referentie: meting {events.reference_wave} (op nul gezet)",
    )


def pre_trend_verdict(events) -> str:
    """The event study's pre-trend verdict (``events.pre_trend_verdict``) as a Dutch sentence.

    A non-rejection is no proof of parallel trends: with few waves before the start the test has
    little power, and the sentence says so.
    """
    if events.pre_trend_verdict == "no difference detected":
        return (
            "Vóór de start is geen verschil in ontwikkeling tussen de proeftuinen en de overige "
            f"gemeenten aangetoond (toets op gelijke trends vooraf: {fmt_p(events.pre_trend_p_value)})"
            ". Dat is geen bewijs dat de trends gelijk waren: met weinig metingen vóór de start "
            "heeft de toets weinig onderscheidend vermogen."
        )
    if events.pre_trend_verdict == "not parallel":
        return (
            "Vóór de start ontwikkelden de proeftuinen zich al anders dan de overige gemeenten "
            f"(toets op gelijke trends vooraf: {fmt_p(events.pre_trend_p_value)}); het verschil-in-"
            "verschillen-effect is daarom geen betrouwbare schatting van het effect van de "
            "proeftuinen."
        )
    return "Er is maar één meting vóór de start, zodat gelijke trends vooraf niet te toetsen zijn."


@_microdata()
def pre_trend_sentence(events_unsafe, events_youth):
    """The pre-trend verdicts of both indicators."""
    return md(
        "**Toets op gelijke trends vooraf.** Onveiligheidsgevoel: {unsafe} Jongerenoverlast: {youth}",
        unsafe=pre_trend_verdict(events_unsafe),
        youth=pre_trend_verdict(events_youth),
    )


@_microdata()
def own_series(group_pilots: Pilots) -> pd.DataFrame:
    """The area's own weighted percentages per wave for both indicators."""
    survey = group_pilots.survey[group_pilots.survey["in_area"]]
    return perception.weighted_proportions(survey, "feels_unsafe", by="year").merge(
        perception.weighted_proportions(survey, "youth_nuisance", by="year"),
        on="year",
        suffixes=("_unsafe", "_youth"),
    )


@_microdata()
def own_series_table(ctx: ReportContext, series: pd.DataFrame):
    """The area's own series as the report shows it."""
    return table(
        series,
        formats={
            "respondents_unsafe": "int",
            "estimate_pct_unsafe": "pct",
            "ci_low_unsafe": "pct",
            "ci_high_unsafe": "pct",
            "estimate_pct_youth": "pct",
            "ci_low_youth": "pct",
            "ci_high_youth": "pct",
        },
        columns={
            "year": "Meting",
            "respondents_unsafe": "Respondenten",
            "estimate_pct_unsafe": "Voelt zich onveilig",
            "ci_low_unsafe": "95%-BI onder",
            "ci_high_unsafe": "95%-BI boven",
            "estimate_pct_youth": "Jongerenoverlast",
            "ci_low_youth": "95%-BI onder ",
            "ci_high_youth": "95%-BI boven ",
        },
        caption=f"Gewogen percentages in {ctx.area.name}",
    )


def _pilots_clause(area: str, names: list[str], total: int) -> str:
    """Where the proeftuinen lie: "In West-Utrecht ligt één proeftuin: Woerden." and the like."""
    listed = (
        names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1] if names else ""
    )
    if not names:
        return f"In {area} ligt geen van de {total} proeftuinen."
    if len(names) == 1:
        return f"In {area} ligt één proeftuin: {listed}."
    every = "alle " if len(names) == total else ""
    return f"In {area} liggen {every}{len(names)} proeftuinen: {listed}."


@_microdata()
def own_series_sentence(ctx: ReportContext, group_pilots: Pilots, series: pd.DataFrame):
    """The area's proeftuinen and its first and last wave with the tested difference, in Dutch.

    Returns
    -------
    IPython.display.Markdown
        E.g. "In Flevoland liggen 2 proeftuinen: Almere en Lelystad. Het aandeel inwoners dat zich
        weleens onveilig voelt was 20,1% in 2011 (95%-BI …) en 16,0% in 2019 (95%-BI …); het
        verschil is −4,1 procentpunt (95%-BI …; statistisch significant). (…)" A wave with too
        few respondents is named as such instead of compared.

    Notes
    -----
    The difference of the two waves is tested itself (normal approximation on the two weighted
    proportions with their effective sample sizes), not read off overlapping intervals.
    """
    area_pilots = group_pilots.table[group_pilots.table["in_area"]]["gemeente_name"]
    clause = _pilots_clause(
        ctx.area.name, [str(name) for name in area_pilots], len(group_pilots.table)
    )
    usable = series.dropna(subset=["estimate_pct_unsafe"])
    if "suppressed_unsafe" in usable.columns:
        usable = usable[~usable["suppressed_unsafe"].astype(bool)]
    if len(usable) < 2:
        return md(
            "{clause} Voor een vergelijking van metingen zijn er in dit gebied te weinig "
            "respondenten (minder dan 100 per meting).",
            clause=clause,
        )
    first_wave, last_wave = usable.iloc[0], usable.iloc[-1]
    p1, p2 = first_wave["estimate_pct_unsafe"] / 100, last_wave["estimate_pct_unsafe"] / 100
    se = math.sqrt(
        p1 * (1 - p1) / first_wave["n_effective_unsafe"]
        + p2 * (1 - p2) / last_wave["n_effective_unsafe"]
    )
    quantile = stats.norm.ppf(0.975)
    difference = 100 * (p2 - p1)
    low, high = difference - 100 * quantile * se, difference + 100 * quantile * se
    return md(
        "{clause} Het aandeel inwoners dat zich weleens onveilig voelt was {first} in {first_year} "
        "({first_ci}) en {last} in {last_year} ({last_ci}); het verschil is {difference}. (Of twee "
        "intervallen overlappen zegt niet of het verschil significant is; daarom is het verschil "
        "zelf getoetst.)",
        clause=clause,
        first=fmt_pct(first_wave["estimate_pct_unsafe"]),
        first_year=int(first_wave["year"]),
        first_ci=fmt_ci(first_wave["ci_low_unsafe"], first_wave["ci_high_unsafe"], 1, "%"),
        last=fmt_pct(last_wave["estimate_pct_unsafe"]),
        last_year=int(last_wave["year"]),
        last_ci=fmt_ci(last_wave["ci_low_unsafe"], last_wave["ci_high_unsafe"], 1, "%"),
        difference=difference_phrase((difference, low, high)),
    )


@_microdata()
def latest_wave_map(ctx: ReportContext, group_pilots: Pilots):
    """The weighted percentage feeling unsafe per municipality in the latest wave."""
    survey = group_pilots.survey
    latest_wave = int(survey["year"].max())
    # per municipality of the report's boundaries (Vijfheerenlanden: its parts' respondents)
    by_municipality = perception.weighted_proportions(
        survey[survey["year"] == latest_wave], "feels_unsafe", by="area_code"
    )
    return figures.area_map(
        ctx.dataset,
        by_municipality.set_index("area_code")["estimate_pct"],
        ctx.source_label,
        "Voelt zich weleens onveilig (%)",
        highlight=ctx.highlight_codes,
        year=ctx.composition_year,
        codes=list(ctx.composition["gemeente_code"]),
        title=f"Onveiligheidsgevoel per gemeente, meting {latest_wave}",
        unit="%",
        decimals=0,
    )


def methods(
    ctx: ReportContext,
    did,
    events,
    group_pilots: Pilots | None = None,
    published: dict | None = None,
):
    """The "Methode en bronnen" section of the proeftuinen report, worded from the methods used
    (``published``: :func:`published_comparisons`, when the source has CBS's estimates)."""
    published_methods, published_technical = proeftuinen_open.published_methods(
        group_pilots.published if group_pilots is not None else None, published or {}
    )
    if did is None:
        return methods_block(
            ctx,
            methods=published_methods,
            assumptions=[
                "De schattingen van verschillende gemeenten en metingen zijn onafhankelijke "
                "steekproeven; binnen een groep veranderen de gebieden gelijk.",
                "Zonder proeftuin hadden proeftuinen en vergelijkingsgroep dezelfde ontwikkeling "
                "gehad; dit rapport toetst dat niet op de gepubliceerde metingen.",
            ],
            limitations=[
                MICRODATA_NOTE,
                *filter(None, [open_data_line(ctx.dataset, TABLES)]),
            ],
            technical=published_technical,
        )
    return methods_block(
        ctx,
        methods=[
            *published_methods,
            "Gewogen percentages (Hajek-schatter) met Wilson-interval op de effectieve "
            "steekproefomvang volgens Kish; niet getoond bij minder dan 100 respondenten.",
            "Verschil in verschillen: gewogen lineair kansmodel met vaste effecten per gemeente en "
            "per meting, standaardfouten geclusterd per gemeente; "
            + (
                "het interval door het omkeren van de wild cluster restricted bootstrap (Webb-"
                "gewichten per gemeente), omdat bij tien proeftuinen met ongelijke gewichten de "
                "gewone t-verdeling te smalle intervallen geeft."
                if did.method_spec.values.get("interval") != "cr1"
                else "t-verdeling met G − 1 vrijheidsgraden."
            ),
            "Effect per meting (event study) met dezelfde opzet; toets dat de verschillen vóór de "
            "start nul zijn: gezamenlijke Wald-toets met p-waarde uit de wild cluster bootstrap"
            + (" (F-verdeling ter vergelijking)." if "Wald" in events.method else "."),
            "Gevoeligheid: het effect met telkens één proeftuin weggelaten en zonder weging.",
            simulation_sentence(
                bootstrap=DID_REPLICATES,
                bootstrap_for="de intervallen van het verschil in verschillen",
                more_bootstraps=[(EVENT_STUDY_REPLICATES, "de p-waarde van de toets vooraf")],
            ),
            "De vergelijking van twee metingen van het eigen gebied: verschil van twee gewogen "
            "percentages met de effectieve steekproefomvang (normale benadering).",
        ],
        assumptions=[
            "Zonder proeftuin hadden proeftuinen en overige gemeenten dezelfde ontwikkeling gehad "
            "(gelijke trends); een toets vooraf die geen verschil vindt, bewijst dat niet.",
            "De proeftuinen zijn gekozen, niet geloot: selectie en regressie naar het gemiddelde "
            "kunnen een schijneffect geven.",
            "Geen uitstraling naar de overige gemeenten en geen verandering in wie de enquête "
            "invult.",
            "De meting van het startjaar geldt als 'vóór': het veldwerk lag vóór de proeftuinen "
            "effect konden hebben.",
        ],
        limitations=[
            "CBS publiceert de Veiligheidsmonitor (85146NED) niet als microdata maar als "
            "schattingen met 95%-marges, voor politie-eenheden en alleen voor de grotere "
            "gemeenten; de herziening van 2021 maakt de reeks vóór en na 2021 niet zonder meer "
            "vergelijkbaar. Deze analyse vraagt microdata (of lokale oversamples) per respondent.",
            *filter(None, [open_data_line(ctx.dataset, TABLES)]),
        ],
        technical=[
            *published_technical,
            ("Effect van de proeftuinen (verschil in verschillen)", did.method_spec),
            ("Verschil per meting (event study) en toets vooraf", events.method_spec),
        ],
    )


def record_published_summary(ctx: ReportContext, comparisons: dict) -> None:
    """Record the published-estimates comparison (where there is one) in ``ctx.summary``."""
    for indicator, result in comparisons.items():
        if result is None:
            continue
        ctx.summary.add(
            f"pilot_difference_published_{indicator}_pp",
            result.difference,
            before=list(result.before),
            after=list(result.after),
        )
    unsafe = comparisons.get("feels_unsafe")
    if unsafe is not None:
        # the comparison is the region's pilots against its other municipalities: a district's
        # cell says so rather than pass the region's figure off as its own
        whole = "" if ctx.level == "region" else ", hele regio"
        ctx.summary.set_headline(
            "Proeftuinen t.o.v. vergelijkingsgroep, onveiligheidsgevoel (procentpunt, "
            f"CBS-schattingen{whole})",
            fmt_num(unsafe.difference.estimate, 1, signed=True),
        )


def record_summary(ctx: ReportContext, did_unsafe, did_youth, events_unsafe, events_youth):
    """Record the report's key estimates and headlines in ``ctx.summary``."""
    if did_unsafe is None:
        return
    ctx.summary.add(
        "pilot_effect_feels_unsafe_pp",
        did_unsafe.effect,
        pre_trend_p_value=events_unsafe.pre_trend_p_value,
        pre_trend=events_unsafe.pre_trend_verdict,
    )
    ctx.summary.add(
        "pilot_effect_youth_nuisance_pp",
        did_youth.effect,
        pre_trend_p_value=events_youth.pre_trend_p_value,
        pre_trend=events_youth.pre_trend_verdict,
    )
    if ctx.level == "region":
        ctx.summary.set_headline(
            "Effect proeftuinen op onveiligheidsgevoel (procentpunt)",
            fmt_num(did_unsafe.effect.estimate, 1, signed=True),
        )
        ctx.summary.set_headline(
            "Vergelijking vooraf", _PRE_TREND_NL.get(events_unsafe.pre_trend_verdict, "–")
        )
    else:
        # The effect is estimated for the region as a whole: a district row shows its own pilots.
        in_area = _pilot_area_codes(ctx).isin(ctx.codes)
        ctx.summary.set_headline("Proeftuinen in dit gebied", int(in_area.sum()))


_PRE_TREND_NL = {
    "no difference detected": "geen verschil vóór de start aangetoond",
    "not parallel": "al verschil vóór de start",
    "not testable": "niet te toetsen",
}
