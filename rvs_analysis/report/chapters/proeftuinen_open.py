"""The proeftuinen report on CBS's published estimates (81877NED, 85146NED) instead of microdata.

Without the region's survey microdata the report compares the Veiligheidsmonitor's published
estimates with their 95% margins: the pilots CBS publishes against the other municipalities of
the region it publishes (or, when it publishes none, the Netherlands), before and after the start,
each group pooled with inverse-variance weights from the margins
(:mod:`rvs_analysis.stats.published`). The 2021 redesign breaks the series: the figure draws the
break and leaves a gap, and no before/after estimate spans it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from rvs_analysis import regions
from rvs_analysis.exceptions import NotAvailableForSource
from rvs_analysis.report import figures
from rvs_analysis.report.context import ReportContext
from rvs_analysis.report.tables import table
from rvs_analysis.report.wording import difference_phrase, fmt_ci, fmt_num, md, names_phrase
from rvs_analysis.stats import published

__all__ = [
    "BREAK_LABEL",
    "PublishedPilots",
    "key_sentences",
    "published_methods",
    "published_comparison",
    "published_figure",
    "published_pilots",
    "published_sentence",
    "published_table",
]

BREAK_LABEL = f"Trendbreuk {published.SERIES_BREAK}: nieuwe opzet Veiligheidsmonitor"
"""The label of the break line in the figures."""

INDICATOR_TITLES = {
    "feels_unsafe": "Voelt zich weleens onveilig in de eigen buurt",
    "youth_nuisance": "Ervaart jongerenoverlast in de eigen buurt",
}


@dataclass
class PublishedPilots:
    """The published estimates the report can use, and which areas are which.

    Attributes
    ----------
    estimates : pandas.DataFrame
        ``area_code, year, indicator, estimate, margin`` (``Dataset.survey_estimates``).
    pilots : list of str
        Pilot municipalities with published estimates.
    rest : list of str
        Other municipalities of the region with published estimates, or ``["NL01"]``.
    rest_name : str
        ``"Overige gemeenten"`` or ``"Nederland"``.
    own : str or None
        The report area's own published code (police unit, district or municipality).
    names : dict
        Area code -> name.
    start_year : int
    unpublished_pilots : list of str
        Pilot names without a published estimate.
    """

    estimates: pd.DataFrame
    pilots: list[str]
    rest: list[str]
    rest_name: str
    own: str | None
    names: dict
    start_year: int
    unpublished_pilots: list[str]

    def waves(self, indicator: str) -> list[int]:
        frame = self.estimates
        return sorted(int(y) for y in frame.loc[frame["indicator"] == indicator, "year"].unique())

    def before_after_waves(self, indicator: str) -> tuple[list[int], list[int]]:
        """The waves before the start and after it, within the series the start lies in.

        Notes
        -----
        The start year's wave counts as "before", as in the microdata analysis
        (:mod:`rvs_analysis.report.chapters.proeftuinen`): the Veiligheidsmonitor's fieldwork of
        that year lay before the pilots could have had an effect.
        """
        series = published.series_of(self.start_year)
        waves = [y for y in self.waves(indicator) if published.series_of(y) == series]
        return [y for y in waves if y <= self.start_year], [y for y in waves if y > self.start_year]


def _bare(title: str) -> str:
    return re.sub(r"\s*\((?:RE|DI|PD|GM|BT)\)\s*$", "", str(title)).strip()


def _own_code(ctx: ReportContext, names: dict, available: set) -> str | None:
    if ctx.level == "gemeente":
        code = ctx.codes[0] if ctx.codes else None
        return code if code in available else None
    prefixes = ("RE",) if ctx.level == "region" else ("DI", "PD")
    for code, title in names.items():
        if code in available and code.startswith(prefixes) and _bare(title) == ctx.area.name:
            return code
    return None


def published_pilots(ctx: ReportContext) -> PublishedPilots | None:
    """The pilots, the comparison group and the area among CBS's published estimates.

    Returns
    -------
    PublishedPilots or None
        ``None`` when the source has no published estimates (the microdata path is used).

    Raises
    ------
    NotAvailableForSource
        When the source has published estimates but none for a pilot municipality.
    """
    estimates = ctx.dataset.survey_estimates
    if estimates is None or estimates.empty:
        return None
    available = set(estimates["area_code"])
    names = dict((ctx.dataset.provenance or {}).get("survey_areas") or {})
    composition = ctx.composition
    names.update(dict(zip(composition["gemeente_code"], composition["gemeente_name"], strict=True)))
    names.setdefault("NL01", "Nederland")
    pilot_table = regions.pilot_municipalities()
    pilot_codes = list(pilot_table["gemeente_code"])
    pilots = [code for code in pilot_codes if code in available]
    if not pilots:
        raise NotAvailableForSource(
            "CBS publiceert voor geen van de proeftuingemeenten een schatting van de "
            "Veiligheidsmonitor in deze bron; een vergelijking vraagt de microdata van de regio."
        )
    rest = [
        code
        for code in composition["gemeente_code"]
        if code in available and code not in set(pilot_codes)
    ]
    rest_name = "Overige gemeenten"
    if not rest:
        national = [code for code in available if code.startswith("NL")]
        rest, rest_name = national[:1], "Nederland"
    return PublishedPilots(
        estimates=estimates,
        pilots=pilots,
        rest=rest,
        rest_name=rest_name,
        own=_own_code(ctx, names, available),
        names=names,
        start_year=int(pilot_table["start_year"].min()),
        unpublished_pilots=[
            name
            for code, name in zip(
                pilot_table["gemeente_code"], pilot_table["gemeente_name"], strict=True
            )
            if code not in available
        ],
    )


def _series_frame(group: PublishedPilots, indicator: str) -> pd.DataFrame:
    rows = []
    groups = [("Proeftuinen", group.pilots), (group.rest_name, group.rest)]
    if group.own and group.own not in group.pilots + group.rest:
        groups.append((_bare(group.names.get(group.own, group.own)), [group.own]))
    for name, codes in groups:
        for year in group.waves(indicator):
            try:
                pooled = published.pool(group.estimates, indicator, year, codes)
            except ValueError:
                continue
            rows.append(
                {
                    "group": name,
                    "year": year,
                    "estimate": pooled.estimate,
                    "ci_low": pooled.ci_low,
                    "ci_high": pooled.ci_high,
                    "areas": len(pooled.details["areas"]),
                    "series": published.series_of(year),
                }
            )
    return pd.DataFrame(
        rows, columns=["group", "year", "estimate", "ci_low", "ci_high", "areas", "series"]
    )


def published_figure(ctx: ReportContext, group: PublishedPilots, indicator: str):
    """Pooled published estimates per wave with intervals; the 2021 break drawn, lines not joined.

    Notes
    -----
    A gap row (no value) is inserted at the last year before :data:`~rvs_analysis.stats.published.
    SERIES_BREAK` for every group, so that no line or band bridges the break, and a dashed
    vertical line labelled :data:`BREAK_LABEL` marks it.
    """
    series = _series_frame(group, indicator)
    gaps = pd.DataFrame(
        {
            "group": series["group"].unique(),
            "year": published.SERIES_BREAK - 1,
            "estimate": float("nan"),
            "ci_low": float("nan"),
            "ci_high": float("nan"),
        }
    )
    spans = series["series"].nunique() > 1
    shown = pd.concat([series, gaps], ignore_index=True) if spans else series
    shown["year"] = shown["year"].astype(int)
    figure = figures.time_series(
        shown,
        "year",
        "estimate",
        ctx.source_for("81877NED", "85146NED"),
        low="ci_low",
        high="ci_high",
        hue="group",
        title=INDICATOR_TITLES.get(indicator, indicator),
        ylabel="% van de inwoners (CBS-schatting)",
        xlabel="Meting",
        unit="%",
        note=f"De proeftuinen startten in {group.start_year}. Groepen gewogen naar de "
        "gepubliceerde marges (inverse variantie).",
    )
    axis = figure.axes[0]
    years = series["year"]
    if len(years) and years.min() < published.SERIES_BREAK <= years.max():
        axis.axvline(
            published.SERIES_BREAK - 0.5, color="#444444", ls="--", lw=1.2, label=BREAK_LABEL
        )
        axis.legend(loc="best")
    return figure


def published_comparison(group: PublishedPilots, indicator: str):
    """Pilots against the comparison group, before and after the start, within one series.

    Returns
    -------
    rvs_analysis.stats.published.PublishedComparison or None
        ``None`` when the series of the start year has no wave before or after it.
    """
    before, after = group.before_after_waves(indicator)
    if not before or not after:
        return None
    return published.pilot_comparison(
        group.estimates, indicator, group.pilots, group.rest, before, after
    )


def published_sentence(group: PublishedPilots, unsafe, youth):
    """The Dutch paragraph on the comparison, naming the groups, waves, break and method."""
    parts = []
    for title, result in (("onveiligheidsgevoel", unsafe), ("jongerenoverlast", youth)):
        if result is None:
            parts.append(
                f"Voor {title} publiceert CBS binnen de reeks van de start geen meting tot en met "
                f"{group.start_year} én een na {group.start_year}."
            )
            continue
        parts.append(
            f"Voor {title} veranderde het aandeel in de proeftuinen tussen "
            f"{'/'.join(map(str, result.before))} en {'/'.join(map(str, result.after))} "
            f"{fmt_num(result.pilots_change.estimate, 1, signed=True)} procentpunt, in de groep "
            f"'{group.rest_name}' {fmt_num(result.rest_change.estimate, 1, signed=True)}; het "
            f"verschil is {difference_phrase(result.difference)}."
        )
    missing = (
        f" Geen CBS-schatting voor {names_phrase(group.unpublished_pilots)}: CBS publiceert "
        "alleen de grotere gemeenten."
        if group.unpublished_pilots
        else ""
    )
    return md(
        "{text} Proeftuinen met een CBS-schatting: {pilots}; vergeleken met: {rest}.{missing} "
        "Metingen vanaf {brk} (nieuwe opzet van de Veiligheidsmonitor) worden niet met eerdere "
        "vergeleken. Dit zijn gepubliceerde schattingen, geen microdata: de verandering is per "
        "gemeente genomen en per groep gewogen naar haar precisie (inverse variantie uit de "
        "marges), zonder correctie voor verschillen in wie er woont of de enquête invult.",
        text=" ".join(parts),
        pilots=names_phrase([group.names.get(code, code) for code in group.pilots]),
        rest="Nederland (landelijke schatting)"
        if group.rest_name == "Nederland"
        else names_phrase([group.names.get(code, code) for code in group.rest]),
        missing=missing,
        brk=published.SERIES_BREAK,
    )


def published_table(group: PublishedPilots, indicator: str):
    """The pooled estimates per group and wave, with the series each belongs to."""
    series = _series_frame(group, indicator)
    series["series"] = series["year"].map(published.series_label)
    return table(
        series,
        formats={"estimate": "pct", "ci_low": "pct", "ci_high": "pct"},
        columns={
            "group": "Groep",
            "year": "Meting",
            "estimate": "Schatting",
            "ci_low": "95%-BI onder",
            "ci_high": "95%-BI boven",
            "areas": "Gebieden",
            "series": "Reeks",
        },
    )


def published_methods(group: PublishedPilots | None, comparisons: dict) -> tuple[list, list]:
    """The methods text of the published-estimates part, from what the report computed.

    Parameters
    ----------
    group : PublishedPilots or None
        ``None`` when the source has no published estimates (nothing to say).
    comparisons : dict
        Indicator -> :class:`~rvs_analysis.stats.published.PublishedComparison` or ``None``.

    Returns
    -------
    (list of str, list of (str, MethodSpec))
        Dutch lines for "Methoden" and, for "Technische details", what each method is of with
        its ``method_spec``.
    """
    if group is None:
        return [], []
    lines = [
        "Gepubliceerde CBS-schattingen (81877NED tot en met 2019, 85146NED vanaf 2021): "
        "standaardfout uit de 95%-marge (marge / 1,96); per meting het met de inverse variantie "
        "gewogen gemiddelde van de gebieden van een groep, met normaal 95%-interval (figuur en "
        f"tabel). Metingen vóór en vanaf {published.SERIES_BREAK} worden niet met elkaar "
        "verbonden of vergeleken (trendbreuk door de nieuwe opzet)."
    ]
    technical = [
        ("Gepubliceerde CBS-schattingen per groep (figuren en tabel)", published.POOL_SPEC)
    ]
    used = [result for result in comparisons.values() if result is not None]
    if used:
        described = sorted({result.method for result in used})
        indicators = [INDICATOR_TITLES.get(r.indicator, r.indicator).lower() for r in used]
        if all(method == published.COMPARISON_METHOD for method in described):
            lines.append(
                "Proeftuinen tegen vergelijkingsgroep ("
                + "; ".join(indicators)
                + "): per gebied de verandering tussen de metingen vóór en na de start "
                "(binnen één reeks; de meting van het startjaar geldt als 'vóór': het veldwerk "
                "lag vóór de proeftuinen), per groep gepoold met een random-effectsmodel (de "
                "verandering verschilt ook echt tussen gemeenten: DerSimonian-Laird, variantie "
                "volgens Hartung-Knapp, vrijheidsgraden naar het effectieve aantal gebieden van "
                "de gewichten, zodat één grote stad met een kleine marge niet meer zekerheid "
                "geeft dan zij draagt); het verschil van de twee groepen met t-interval (95%, "
                "Welch-Satterthwaite) en toets op nul "
                f"({len(used)} vergelijkingen, niet gecorrigeerd voor meervoudig toetsen)."
            )
        technical += [
            (
                "Proeftuinen tegen vergelijkingsgroep, "
                + INDICATOR_TITLES.get(result.indicator, result.indicator).lower(),
                result.method_spec,
            )
            for result in used
        ]
    else:
        lines.append(
            "Geen vergelijking vóór/na op de gepubliceerde schattingen: binnen de reeks van de "
            "start publiceert CBS geen meting vóór én na de start."
        )
    return lines, technical


def key_sentences(ctx: ReportContext, group: PublishedPilots, comparisons: dict) -> list[str]:
    """The kernboodschap on CBS's published estimates: both indicators' pilots-against-the-rest
    difference (or why there is none) and the area's own latest published estimate."""
    unsafe, youth = comparisons.get("feels_unsafe"), comparisons.get("youth_nuisance")
    rest = "Nederland" if group.rest_name == "Nederland" else "de overige gemeenten"
    if unsafe is None:
        first = (
            "Op de gepubliceerde CBS-schattingen is het verschil tussen proeftuinen en "
            f"{rest} niet te bepalen: CBS publiceert binnen één reeks geen meting vóór én na "
            f"{group.start_year}."
        )
    else:
        first = (
            "Op de gepubliceerde CBS-schattingen veranderde het aandeel inwoners dat zich weleens "
            f"onveilig voelt in de proeftuinen tussen {'/'.join(map(str, unsafe.before))} en "
            f"{'/'.join(map(str, unsafe.after))} ten opzichte van {rest} met "
            f"{difference_phrase(unsafe.difference)}."
        )
    second = (
        "Voor jongerenoverlast is dat "
        + (
            difference_phrase(youth.difference)
            if youth is not None
            else "niet te bepalen (geen meting vóór én na de start)"
        )
        + "; dit zijn gepubliceerde schattingen van de grotere gemeenten, geen microdata, en de "
        "proeftuinen zijn gekozen, niet geloot, dus een verschil is nog geen bewezen effect."
    )
    own_waves = sorted(
        int(year)
        for year in group.estimates.loc[
            (group.estimates["area_code"] == group.own)
            & (group.estimates["indicator"] == "feels_unsafe")
            & group.estimates["margin"].notna(),
            "year",
        ]
    )
    if group.own is None or not own_waves:
        third = (
            f"CBS publiceert voor {ctx.area.name} zelf geen schatting van de Veiligheidsmonitor."
        )
    else:
        latest = published.pool(group.estimates, "feels_unsafe", own_waves[-1], [group.own])
        third = (
            f"In {ctx.area.name} voelde in {own_waves[-1]} volgens CBS "
            f"{fmt_num(latest.estimate, 1)}% van de inwoners zich weleens onveilig in de eigen "
            f"buurt ({fmt_ci(latest.ci_low, latest.ci_high, 1, '%')})."
        )
    return [first, second, third]
