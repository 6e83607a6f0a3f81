"""The country as yardstick: the area's trend against the Netherlands, and other police units.

Every report compares its area with the Netherlands using the toolkit's area-against-area trend
comparison (:func:`rvs_analysis.stats.compare.compare_area_trends`), not a second method: one
quasi-Poisson model of both areas' rates with year effects, the ratio of their annual rate ratios
with a t interval. :func:`national_comparison` runs it; :func:`national_sentence` words it
("daalt sneller dan Nederland") only when the interval excludes 1.

Where the source publishes the national figure itself (``NL00`` in 47018NED), :func:`national_check`
compares the sum of the municipalities in the source with it, so a reader knows whether
"Nederland" in the comparison is the whole country.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from rvs_analysis import regions
from rvs_analysis.report.context import ReportContext, source_advice
from rvs_analysis.report.wording import fmt_ci, fmt_int, fmt_num, md
from rvs_analysis.stats import compare

__all__ = [
    "NationalComparison",
    "comparison_methods",
    "national_check",
    "national_clearance_comparison",
    "national_clearance_sentence",
    "national_comparison",
    "national_sentence",
    "resting_on",
]


@dataclass
class NationalComparison:
    """The area's trend against the Netherlands.

    Attributes
    ----------
    area : str
    offence_label : str
        Dutch name of what is counted (``"woninginbraken"``).
    result : rvs_analysis.stats.compare.AreaTrendComparison
        ``compare_area_trends`` with the Netherlands as reference.
    check : dict or None
        :func:`national_check` for the offence (``None`` without a published national figure).
    """

    area: str
    offence_label: str
    result: object
    check: dict | None = None
    exposure: str = "de bevolking"
    """What the counts are set against in the model (Dutch, for the methods text)."""
    municipalities: tuple[int, int] | None = None
    """The fewest and most municipalities the national total rests on over the years compared."""

    @property
    def ratio(self):
        """Ratio of the area's annual rate ratio to the Netherlands' (below 1: falls faster)."""
        return self.result.ratios[self.area]

    @property
    def method(self) -> str:
        return self.result.method


def national_check(dataset, offence_code: str, tolerance: float = 0.005) -> dict | None:
    """The sum of the source's municipalities against the published national figure, per year.

    Parameters
    ----------
    dataset : rvs_analysis.sources.base.Dataset
        ``provenance["national"]``: ``{offence_code: {year: count}}`` from ``NL00`` (cbs source).
    offence_code : str
    tolerance : float, default 0.005
        Relative difference up to which the sum counts as the whole country.

    Returns
    -------
    dict or None
        ``{"years": [...], "gaps": {year: float}, "largest_gap": float (relative), "complete":
        bool, "tolerance": float}``; ``None`` when the
        source publishes no national figure for the offence.
    """
    national = ((dataset.provenance or {}).get("national") or {}).get(offence_code)
    if not national:
        return None
    crime = dataset.crime
    crime = crime[(crime["offence_code"] == offence_code) & (crime["gemeente_code"] != "GM0000")]
    sums = crime.groupby("year")["registered_offences"].sum()
    gaps = {}
    for year, published in national.items():
        year = int(year)
        if year in sums.index and published:
            gaps[year] = float(sums[year] / float(published) - 1.0)
    if not gaps:
        return None
    largest = max(gaps.values(), key=abs)
    return {
        "years": sorted(gaps),
        "gaps": gaps,
        "largest_gap": largest,
        "complete": abs(largest) <= tolerance,
        "tolerance": tolerance,
    }


def national_comparison(
    ctx: ReportContext, offence_code: str, offence_label: str, years=None
) -> NationalComparison | None:
    """Compare the area's trend in ``offence_code`` with the Netherlands' (toolkit comparison).

    Parameters
    ----------
    ctx : ReportContext
    offence_code : str
        CBS offence key (``"1.1.1"``, ``"0.0.0"``).
    offence_label : str
        Dutch plural for the sentence (``"woninginbraken"``).
    years : optional
        Default the report's years.

    Returns
    -------
    NationalComparison or None
        ``None`` when the offence is not in the source or fewer than three years are available.

    Notes
    -----
    ``compare_area_trends(ctx.dataset, offence_code, [Netherlands, area], years, boundaries=
    ctx.composition_year, reference="Nederland")``: year effects common to both areas, the area's
    linear deviation from the national trend, quasi-Poisson dispersion, t interval. The
    Netherlands is the sum of every municipality in the source (``GM0000`` excluded), which on a
    fetched cache is the whole country (:func:`national_check`).
    """
    years = list(ctx.years()) if years is None else years
    if offence_code not in set(ctx.dataset.crime["offence_code"]) or len(years) < 3:
        return None
    if not _beyond_region(ctx.dataset, ctx.dataset.crime["gemeente_code"]):
        return None  # the source holds the region only: "Nederland" would be the region
    country = regions.netherlands(ctx.composition_year)
    crime = ctx.dataset.crime
    in_total = crime[
        (crime["offence_code"] == offence_code)
        & crime["year"].isin(years)
        & (crime["gemeente_code"] != "GM0000")
    ]
    result = compare.compare_area_trends(
        ctx.dataset,
        offence_code,
        [country, ctx.area],
        years=years,
        boundaries=ctx.composition_year,
        reference=country.name,
    )
    return NationalComparison(
        area=ctx.area.name,
        offence_label=offence_label,
        result=result,
        check=national_check(ctx.dataset, offence_code),
        municipalities=_municipality_counts(in_total),
    )


def _municipality_counts(rows: pd.DataFrame) -> tuple[int, int] | None:
    """Fewest and most municipalities with a row in a year of ``rows`` (None without rows)."""
    per_year = rows.groupby("year")["gemeente_code"].nunique()
    return (int(per_year.min()), int(per_year.max())) if len(per_year) else None


def resting_on(counts: tuple[int, int] | None) -> str:
    """Dutch clause on how many municipalities a national total rests on ('' when unknown).

    Parameters
    ----------
    counts : tuple of int or None
        Fewest and most municipalities over the years (:attr:`NationalComparison.municipalities`).

    Returns
    -------
    str
        Such as " 'Nederland' is de som van 342 gemeenten." or, when the number changed through
        mergers, "de som van 342 tot 415 gemeenten (het aantal gemeenten van elk jaar)".
    """
    if counts is None:
        return ""
    fewest, most = counts
    if fewest == most:
        return f" 'Nederland' is de som van {fmt_int(fewest)} gemeenten."
    return (
        f" 'Nederland' is de som van {fmt_int(fewest)} tot {fmt_int(most)} gemeenten (de "
        "gemeenten van elk jaar in de bron)."
    )


def _beyond_region(dataset, codes) -> bool:
    """Whether a source holds municipalities outside the region (on the source's own boundaries
    and on the strategy's of 2017).

    The region's history counts as the region: its municipalities on any boundary year of the
    merger table and the other parts of a merger that formed one of them (Leerdam and Zederik, in
    Vijfheerenlanden since 2019, which the demo carries for reports on later boundaries). A source
    with those only is not the whole country.
    """
    years = {2017, *([dataset.crime_boundary_year] if dataset.crime_boundary_year else [])}
    last = max([event.date.year for event in regions.merger_events()], default=2017)
    years |= set(range(regions.FIRST_BOUNDARY_YEAR, last + 1))
    region = set().union(*(set(regions.municipalities(year)["gemeente_code"]) for year in years))
    region |= {
        code
        for event in regions.merger_events()
        if event.new_code in region
        for code in event.old_codes
    }
    return bool(set(codes) - region - {"GM0000"})


def comparison_methods(*comparisons) -> tuple[list[str], list[str]]:
    """The methods text of the area-against-area comparisons a report showed, from their results.

    Parameters
    ----------
    *comparisons : NationalComparison, rvs_analysis.stats.compare.AreaTrendComparison or None
        The Netherlands comparisons (:func:`national_comparison`,
        :func:`national_clearance_comparison`) and the police units' comparison
        (:func:`rvs_analysis.report.chapters.monitor_open.police_unit_comparison`); ``None``
        entries (no comparison on this source) are left out.

    Returns
    -------
    (list of str, list of (str, MethodSpec))
        Dutch lines for "Methoden", worded from each result's model, dispersion and reference,
        and for "Technische details" what each comparison is of with its ``method_spec``.
    """
    lines, technical = [], []
    for item in comparisons:
        if item is None:
            continue
        result = getattr(item, "result", item)
        label = getattr(item, "offence_label", "woninginbraken")
        exposure = getattr(item, "exposure", "de bevolking")
        spec = result.method_spec  # area_trend_comparison(_pairs): always quasi-Poisson
        model = "quasi-Poisson-regressie"
        terms = (
            "vaste jaareffecten (gemeenschappelijke schokken vallen weg), een eigen niveau en een "
            "eigen lineaire afwijking per gebied"
            if result.model == "year_effects"
            else "een eigen niveau en een eigen lineaire trend per gebied"
        )
        others = len(result.areas) - 1
        who = "het gebied" if others == 1 else f"{others} gebieden"
        if others == 1:
            text = (
                f"Vergelijking van {who} met {result.reference} ({label}): de vergelijking "
                f"gebied tegen gebied uit de toolkit (stats.compare.compare_area_trends), één {model} "
                f"van beide reeksen met {terms} en {exposure} als blootstelling; dispersie "
                f"max(1, X²/df) = {fmt_num(result.dispersion, 2)}; "
                + (
                    "normaal interval (de dispersie staat op haar ondergrens 1)"
                    if not math.isfinite(spec.values.get("df", math.inf))
                    else "t-interval"
                )
                + " voor de verhouding van de jaarlijkse veranderingen"
            )
        else:
            spread = list(getattr(result, "area_dispersions", {}).values()) or [result.dispersion]
            text = (
                f"Vergelijking van {who} met {result.reference} ({label}): de vergelijking "
                "gebied tegen gebied uit de toolkit (stats.compare.compare_area_trends), per gebied "
                f"een {model} van dat gebied en {result.reference} met {terms} en {exposure} "
                "als blootstelling, met de eigen dispersie max(1, X²/df) van elk gebied ("
                f"{fmt_num(min(spread), 2)} tot {fmt_num(max(spread), 2)}), zodat een "
                "onrustige reeks niet de precisie van de rustige leent; t-interval (normaal "
                "waar de dispersie op haar ondergrens 1 staat) voor de verhouding van de "
                f"jaarlijkse veranderingen; {others} vergelijkingen, met een gezamenlijke "
                "F-toets (elk gebied gewogen naar zijn eigen dispersie) dat alle gebieden de "
                "trend van de referentie volgen"
            )
        lines.append(text + ".")
        check = getattr(item, "check", None)
        if check is not None:
            lines.append(
                "De som van de gemeenten in de bron is per jaar vergeleken met het landelijke "
                f"cijfer van CBS (NL00); tot {fmt_num(100 * check['tolerance'], 1)}% verschil telt "
                "de som als heel Nederland."
            )
        technical.append((f"Vergelijking van {who} met {result.reference} ({label})", spec))
    return lines, technical


def _direction(annual) -> str:
    return "daalt" if annual.estimate < 1 else "stijgt"


def national_sentence(comparison: NationalComparison | None, ctx: ReportContext | None = None):
    """Dutch sentence: does the area's rate fall (or rise) faster or slower than the country's?

    Without a comparison it says why, with advice only where it applies to ``ctx``'s source
    (:func:`rvs_analysis.report.context.source_advice`).
    """
    if comparison is None:
        if ctx is not None and _beyond_region(ctx.dataset, ctx.dataset.crime["gemeente_code"]):
            # the country is there: the offence (or enough years of it) is not
            return md(
                "Een vergelijking met Nederland is hier niet mogelijk: deze bron heeft de gemeenten "
                "van heel Nederland, maar niet deze misdrijfsoort over minstens drie jaren van de "
                "periode."
            )
        advice = source_advice(ctx.dataset if ctx is not None else None, "de landelijke cijfers")
        return md(
            "Een vergelijking met Nederland is op deze bron niet mogelijk: die bevat alleen de "
            "gemeenten van de regio." + advice
        )
    ratio = comparison.ratio
    own = comparison.result.annual_rate_ratios[comparison.area]
    country = comparison.result.annual_rate_ratios[comparison.result.reference]
    pct = lambda value: fmt_num(100 * (value - 1), 1, signed=True) + "%"  # noqa: E731
    if ratio.significant:
        faster = (ratio.estimate < 1) == (country.estimate < 1)
        if country.estimate < 1:
            verdict = (
                "daalt sneller dan in Nederland" if faster else "daalt langzamer dan in Nederland"
            )
        else:
            verdict = (
                "stijgt langzamer dan in Nederland"
                if not faster
                else "stijgt sneller dan in Nederland"
            )
        if (own.estimate < 1) != (country.estimate < 1):
            verdict = f"{_direction(own)}, terwijl het in Nederland {_direction(country)}"
    else:
        verdict = "verandert niet aantoonbaar anders dan in Nederland"
    check = comparison.check
    note = ""
    if check is not None:
        note = (
            " De gemeenten in de bron tellen op tot het landelijke cijfer van CBS (NL00)."
            if check["complete"]
            else " Let op: de gemeenten in de bron tellen niet op tot het landelijke cijfer van "
            f"CBS (NL00; grootste verschil {fmt_num(100 * check['largest_gap'], 1)}%), dus "
            "'Nederland' is hier de som van de gemeenten in de bron."
        )
    return md(
        "Het aantal {label} per inwoner in {area} {verdict}: per jaar {own_change} in {area}, "
        "{country_change} in Nederland; verhouding van de jaarlijkse veranderingen {ratio} "
        "({ci}).{note}",
        label=comparison.offence_label,
        area=comparison.area,
        verdict=verdict,
        own_change=pct(own.estimate),
        country_change=pct(country.estimate),
        ratio=fmt_num(ratio.estimate, 3),
        ci=fmt_ci(ratio.ci_low, ratio.ci_high, 3),
        note=resting_on(comparison.municipalities) + note,
    )


def national_clearance_comparison(ctx: ReportContext, series) -> NationalComparison | None:
    """The area's clearance trend against the Netherlands' (the toolkit's trend comparison).

    Parameters
    ----------
    ctx : ReportContext
    series : rvs_analysis.report.chapters.clearance.ClearanceSeries
        The area's clearance (burglary, or the offence group on open data).

    Returns
    -------
    NationalComparison or None
        ``None`` when fewer than three years are available or the source has cleared offences for
        the region only (the region's own files: no national figure).

    Notes
    -----
    :func:`rvs_analysis.stats.compare.compare_area_trends` on a table with the cleared offences as the
    counts and the registered offences as the exposure (``population`` column): the same
    quasi-Poisson model with year effects, now of cleared per registered offence. For clearance
    around 10-30% this approximates the binomial trend well. The Netherlands is the sum of every
    municipality in the source's cleared offences (83648NED has all municipalities).
    """
    cleared = ctx.dataset.cleared
    cleared = cleared[
        (cleared["offence_code"] == series.offence.code) & (cleared["gemeente_code"] != "GM0000")
    ]
    if not _beyond_region(ctx.dataset, cleared["gemeente_code"]):
        return None  # the region's own figures: no national total
    years = [year for year in series.yearly["year"] if year in set(cleared["year"])]
    if len(years) < 3:
        return None
    country = (
        cleared[cleared["year"].isin(years)]
        .groupby("year", as_index=False)[["cleared_offences", "registered_offences"]]
        .sum()
        .assign(area="Nederland")
    )
    in_total = cleared[cleared["year"].isin(years)]
    own = series.yearly[series.yearly["year"].isin(years)].assign(area=ctx.area.name)
    table = pd.concat([country, own], ignore_index=True).rename(
        columns={"registered_offences": "population"}
    )
    table = table.rename(columns={"cleared_offences": "registered_offences"})
    result = compare.compare_area_trends(
        table[["area", "year", "registered_offences", "population"]], reference="Nederland"
    )
    return NationalComparison(
        area=ctx.area.name,
        offence_label=series.subject,
        result=result,
        check=None,
        exposure="de geregistreerde misdrijven",
        municipalities=_municipality_counts(in_total),
    )


def national_clearance_sentence(comparison: NationalComparison | None):
    """Dutch sentence on the area's clearance trend against the Netherlands'."""
    if comparison is None:
        return md(
            "Een vergelijking met Nederland vraagt de opheldering van alle gemeenten; de bron heeft "
            "die alleen voor de regio."
        )
    ratio = comparison.ratio
    own = comparison.result.annual_rate_ratios[comparison.area]
    country = comparison.result.annual_rate_ratios["Nederland"]
    if ratio.significant:
        verdict = (
            "ontwikkelt zich gunstiger dan in Nederland (stijgt sneller of daalt langzamer)"
            if ratio.estimate > 1
            else "ontwikkelt zich ongunstiger dan in Nederland (daalt sneller of stijgt langzamer)"
        )
    else:
        verdict = "verandert niet aantoonbaar anders dan in Nederland"
    return md(
        "Het ophelderingspercentage ({label}) in {area} {verdict}: per jaar {own_change} in "
        "{area}, {country_change} in Nederland (relatieve verandering); verhouding {ratio} "
        "({ci}).{note}",
        note=resting_on(comparison.municipalities),
        label=comparison.offence_label,
        area=comparison.area,
        verdict=verdict,
        own_change=fmt_num(100 * (own.estimate - 1), 1, signed=True) + "%",
        country_change=fmt_num(100 * (country.estimate - 1), 1, signed=True) + "%",
        ratio=fmt_num(ratio.estimate, 3),
        ci=fmt_ci(ratio.ci_low, ratio.ci_high, 3),
    )
