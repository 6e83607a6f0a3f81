"""The chapters of the crime change report (``notebooks/crime_change.ipynb``).

Visible against less visible crime: counts, rates and shares per year, whether the two trends
differ, the offence types that changed most, and the seasonality and change points of monthly
burglary. The statistics come from :mod:`rvs_analysis.stats.crime_change` and
:mod:`~rvs_analysis.stats.monthly`; this module selects what a chapter shows and words it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from rvs_analysis.report import figures
from rvs_analysis.report.area_data import (
    area_crime,
    area_population,
    monthly_counts,
    provisional_from,
)
from rvs_analysis.report.context import ReportContext, methods_block
from rvs_analysis.report.monte_carlo import (
    BREAK_TEST_REPLICATES,
    SEASONAL_DRAWS,
    simulation_sentence,
)
from rvs_analysis.report.open_data import open_data_line
from rvs_analysis.report.tables import change_point_table, table
from rvs_analysis.report.wording import (
    MONTHS_NL,
    change_phrase,
    fmt_int,
    fmt_month,
    fmt_num,
    fmt_p,
    fmt_pct,
    is_missing,
    is_set,
    key_message,
    md,
    ratio_phrase,
)
from rvs_analysis.report.yardstick import comparison_methods
from rvs_analysis.report.year_to_date import YearToDate, record_year_to_date
from rvs_analysis.stats import crime_change, monthly
from rvs_analysis.stats.common import MIN_EVENTS_CHANGE

__all__ = [
    "TABLES",
    "less_visible_held",
    "CrimeTotals",
    "MonthlyBurglary",
    "crime_totals",
    "key_message_of",
    "largest_mover_sentence",
    "methods",
    "monthly_burglary",
    "movers_table",
    "record_summary",
    "largest_movers",
    "trend_comparison",
    "trend_sentence",
]


@dataclass
class CrimeTotals:
    """Visible and less visible crime of the area per year: counts, rates and shares."""

    crime: pd.DataFrame
    totals: pd.DataFrame
    area: str
    source_label: str
    years: list[int]
    provisional: tuple[int, ...] = ()
    rates_source_label: str = ""
    """The rates figure's source line (counts and population); default ``source_label``."""
    """Years whose figures are provisional (CBS "Voorlopig"): open markers, "(voorlopig)" labels."""

    def year_label(self, year) -> str:
        """``"2025 (voorlopig)"`` for a provisional year."""
        return f"{int(year)} (voorlopig)" if int(year) in self.provisional else str(int(year))

    def counts_figure(self):
        """Registered offences per group and year."""
        return figures.time_series(
            self.totals,
            "year",
            "registered_offences",
            self.source_label,
            hue="category_nl",
            title=f"Geregistreerde misdrijven per groep, {self.area}",
            ylabel="Aantal misdrijven",
            provisional=self.provisional,
        )

    def rates_figure(self):
        """Offences per 1,000 inhabitants per group and year."""
        return figures.time_series(
            self.totals,
            "year",
            "rate_per_1000",
            self.rates_source_label or self.source_label,
            hue="category_nl",
            title=f"Misdrijven per 1.000 inwoners, {self.area}",
            ylabel="Per 1.000 inwoners",
            decimals=1,
            provisional=self.provisional,
        )

    def share_figure(self):
        """The less visible share of visible + less visible crime, with its Wilson band."""
        return figures.time_series(
            self.totals[self.totals["category"] == "less_visible"],
            "year",
            "share_pct",
            self.source_label,
            low="share_ci_low",
            high="share_ci_high",
            hue="category_nl",
            title="Aandeel minder zichtbare criminaliteit",
            ylabel="% van zichtbaar + minder zichtbaar",
            decimals=0,
            unit="%",
            provisional=self.provisional,
        )

    def by_year(self) -> pd.DataFrame:
        """One row per year: both groups' counts and rates and the less visible share."""
        visible = self.totals[self.totals["category"] == "visible"]
        less_visible = self.totals[self.totals["category"] == "less_visible"]
        return visible[["year", "registered_offences", "rate_per_1000"]].merge(
            less_visible[
                [
                    "year",
                    "registered_offences",
                    "rate_per_1000",
                    "share_pct",
                    "share_ci_low",
                    "share_ci_high",
                ]
            ],
            on="year",
            suffixes=("_visible", "_less_visible"),
        )

    def table(self):
        """The yearly table of both groups as the report shows it."""
        yearly = self.by_year()
        yearly["year"] = [self.year_label(year) for year in yearly["year"]]
        return table(
            yearly,
            formats={
                "rate_per_1000_visible": "num2",
                "rate_per_1000_less_visible": "num2",
                "share_pct": "pct",
                "share_ci_low": "pct",
                "share_ci_high": "pct",
            },
            columns={
                "year": "Jaar",
                "registered_offences_visible": "Zichtbaar",
                "rate_per_1000_visible": "Zichtbaar per 1.000 inw.",
                "registered_offences_less_visible": "Minder zichtbaar",
                "rate_per_1000_less_visible": "Minder zichtbaar per 1.000 inw.",
                "share_pct": "Aandeel minder zichtbaar",
                "share_ci_low": "95%-BI onder",
                "share_ci_high": "95%-BI boven",
            },
        )


def crime_totals(ctx: ReportContext) -> CrimeTotals:
    """The area's crime per group and year (counts, rates per 1,000 with harmonised population)."""
    crime = area_crime(ctx)
    population = area_population(ctx)
    return CrimeTotals(
        crime=crime,
        totals=with_category_names(crime_change.category_totals(crime, population=population)),
        area=ctx.area.name,
        source_label=ctx.source_for("47018NED"),
        years=ctx.years(),
        provisional=tuple(ctx.provisional_years),
        rates_source_label=ctx.source_for("47018NED", "70072ned"),
    )


def less_visible_held(totals: CrimeTotals) -> list[str]:
    """The less visible offence types the source really holds for the area (registrations in at
    least one year), as Dutch lower-case labels in the classification's order.

    On open data this is what "minder zichtbaar" means in the report: 47018NED has drug dealing and
    arms trafficking, fraud and cybercrime where CBS publishes them, never money laundering.
    """
    if totals.crime.empty:
        return []
    classified = crime_change.classify(totals.crime)
    held = classified[
        (classified["category"] == "less_visible") & (classified["registered_offences"] > 0)
    ]
    order = list(crime_change.load_classification()["offence_code"])
    codes = sorted(held["offence_code"].unique(), key=order.index)
    labels = dict(zip(held["offence_code"], held["offence_label"], strict=False))
    return [str(labels[code]).strip().lower() for code in codes]


def _held_phrase(totals: CrimeTotals) -> str:
    held = less_visible_held(totals)
    if not held:
        return ""
    listed = held[0] if len(held) == 1 else ", ".join(held[:-1]) + " en " + held[-1]
    return listed


def trend_comparison(totals: CrimeTotals):
    """Whether visible and less visible crime follow different trends (one count model)."""
    return crime_change.compare_visibility_trends(totals.crime)


def trend_sentence(comparison, totals: CrimeTotals):
    """Both groups' trends and their ratio, in Dutch."""
    return md(
        "Over {first}–{last} gemeten: het aantal zichtbare misdrijven {visible_change}; het aantal "
        "minder zichtbare misdrijven{held} {less_visible_change}. Afgezet tegen elkaar: het aantal "
        "minder zichtbare misdrijven ten opzichte van het aantal zichtbare {ratio}. {verdict}",
        held=f" (in deze bron: {_held_phrase(totals)})" if _held_phrase(totals) else "",
        first=totals.years[0],
        last=totals.year_label(totals.years[-1]),
        visible_change=ratio_phrase(comparison.visible),
        less_visible_change=ratio_phrase(comparison.less_visible),
        ratio=ratio_phrase(comparison.ratio),
        verdict="De trends van de twee groepen verschillen dus statistisch significant."
        if comparison.ratio.significant
        else "Een verschil in trend is statistisch niet aangetoond.",
    )


def key_message_of(totals: CrimeTotals, comparison):
    """The crime change report's three-sentence kernboodschap: the last year's counts and the
    less visible share, both groups' trends, and whether the trends differ.

    Returns
    -------
    IPython.display.HTML
        E.g. "In 2018 telde Flevoland 9.812 zichtbare en 6.240 minder zichtbare misdrijven; het
        aandeel minder zichtbare was 38,9% (2011: 31,2%)." / "Per jaar: het aantal zichtbare
        misdrijven daalde per jaar met 4,1% (…); het aantal minder zichtbare steeg per jaar met
        1,2% (…)." / "Het verschil in trend is statistisch significant: het aandeel minder
        zichtbare criminaliteit neemt toe."
    """
    yearly = totals.by_year().sort_values("year")
    first, last = yearly.iloc[0], yearly.iloc[-1]
    counts = (
        f"In {totals.year_label(last['year'])} telde {totals.area} "
        f"{fmt_int(last['registered_offences_visible'])} zichtbare en "
        f"{fmt_int(last['registered_offences_less_visible'])} minder zichtbare misdrijven; het "
        f"aandeel minder zichtbare was {fmt_pct(last['share_pct'])} ({int(first['year'])}: "
        f"{fmt_pct(first['share_pct'])})."
    )
    trends_ = (
        f"Het aantal zichtbare misdrijven {ratio_phrase(comparison.visible)}; het aantal minder "
        f"zichtbare {ratio_phrase(comparison.less_visible)}."
    )
    ratio = comparison.ratio
    if is_missing(ratio.estimate):
        verdict = "Of de trends van de twee groepen verschillen is niet te berekenen (te weinig gegevens)."
    elif ratio.significant:
        direction = "neemt toe" if ratio.estimate > 1 else "neemt af"
        verdict = (
            "Het verschil in trend is statistisch significant: het aandeel minder zichtbare "
            f"criminaliteit {direction}."
        )
    else:
        verdict = "Een verschil in trend tussen de twee groepen is statistisch niet aangetoond."
    return key_message([counts, trends_, verdict])


def with_category_names(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``category_nl``: the Dutch name of its ``category`` code as the
    classification table (``data/crime_change_classification.csv``) writes it."""
    table = crime_change.load_classification()
    names = dict(zip(table["category"], table["category_nl"], strict=True))
    names.setdefault("unclassified", "niet ingedeeld")
    return frame.assign(category_nl=frame["category"].map(names))


def largest_movers(totals: CrimeTotals, n: int = 6) -> pd.DataFrame:
    """The ``n`` offence types with the largest change in count between the first and last year."""
    movers = crime_change.top_movers(totals.crime, totals.years[0], totals.years[-1], n=n)
    movers = with_category_names(movers)
    movers.attrs["years"] = (totals.years[0], totals.years[-1])
    movers.attrs["labels"] = (
        totals.year_label(totals.years[0]),
        totals.year_label(totals.years[-1]),
    )
    return movers


def movers_table(movers: pd.DataFrame):
    """The movers as the report shows them."""
    first, last = movers.attrs.get("labels", movers.attrs["years"])
    return table(
        movers,
        formats={
            "count_start": "int",
            "count_end": "int",
            "change": "int",
            "change_pct": "signed_pct",
            "ci_low_pct": "signed_pct",
            "ci_high_pct": "signed_pct",
        },
        columns={
            "offence_label": "Misdrijfsoort",
            "category_nl": "Groep",
            "count_start": f"Aantal {first}",
            "count_end": f"Aantal {last}",
            "change": "Verschil",
            "change_pct": "Verandering",
            "ci_low_pct": "95%-BI onder",
            "ci_high_pct": "95%-BI boven",
        },
        caption=(
            "Geen significantietoets: de zes grootste van alle veranderingen zijn uitgekozen, en "
            "de grootste van veel veranderingen lijkt door die keuze alleen al groot. Intervallen "
            "met de jaar-op-jaarruis van elke soort; 'te weinig gevallen' onder "
            f"{MIN_EVENTS_CHANGE} misdrijven in beide jaren samen (of 0 in een ervan)."
        ),
    )


def largest_mover_sentence(movers: pd.DataFrame):
    """The offence type with the largest change, in Dutch."""
    largest = movers.iloc[0]
    if is_set(largest.get("too_few")) or is_missing(largest["change_pct"]):
        change = "veranderde (te weinig gevallen voor een percentage)"
    else:
        # Selected as the largest of many changes: an interval, but no significance label.
        change = change_phrase(
            (largest["change_pct"], largest["ci_low_pct"], largest["ci_high_pct"]), tested=False
        )
    return md(
        "De grootste verandering in aantal: {label} ({category}) {change}, van {start} naar {end}. "
        "Omdat deze soort is uitgekozen als de grootste verandering, zegt dat op zich niet dat "
        "de verandering meer is dan toeval.",
        label=largest["offence_label"],
        category=largest["category_nl"],
        change=change,
        start=fmt_int(largest["count_start"]),
        end=fmt_int(largest["count_end"]),
    )


@dataclass
class MonthlyBurglary:
    """Monthly burglary of the area: seasonal effects, STL where the counts carry a season, and
    the search-aware break test."""

    series: pd.Series | None
    decomposition: Any = None
    breaks: Any = None
    seasonal: Any = None
    area: str = ""
    source_label: str = ""
    provisional_from: pd.Timestamp | None = None
    """The first provisional month (CBS "Voorlopig"), hatched in the figure."""

    @property
    def available(self) -> bool:
        return self.series is not None

    @property
    def seasonal_supported(self) -> bool:
        return self.decomposition is not None

    def figure(self):
        """The decomposition with a confirmed break, or a sentence why there is none."""
        if not self.available:
            return md(
                "Maandcijfers van woninginbraak zijn niet beschikbaar voor deze bron; dit deel "
                "vervalt."
            )
        if not self.seasonal_supported:
            return md(
                "Geen seizoensontleding: {area} telt gemiddeld {mean} woninginbraken per maand, "
                "minder dan {minimum}; bij zo weinig gevallen is een seizoenspatroon niet van "
                "toeval te onderscheiden.",
                area=self.area,
                mean=fmt_int(float(self.series.mean())),
                minimum=monthly.MIN_MONTHLY_COUNT_STL,
            )
        return figures.stl_plot(
            self.decomposition,
            self.source_label,
            change_dates=self.breaks.dates,
            change_label="Knik in de trend" if self.breaks.is_bend else "Trendbreuk",
            title=f"Woninginbraken per maand, {self.area}",
            provisional_from=self.provisional_from,
        )

    def jumps(self) -> pd.DataFrame:
        """The confirmed break (if any) with its fitted jump."""
        return change_point_table(self.breaks)

    def sentence(self):
        """The seasonal peak, the dark-months ratio and the break test, in Dutch."""
        if not self.available:
            return None
        breaks = self.breaks
        if breaks.is_bend:
            # A bend fits as well as a jump: the trend bends, it does not break.
            break_text = (
                "De toets op een verandering in de trend, die rekening houdt met het zoeken naar "
                "de maand en met samenhang tussen opeenvolgende maanden, vindt een verandering "
                f"({fmt_p(breaks.p_value)}): de trend buigt af vanaf {fmt_month(breaks.dates[0])}, "
                f"van {fmt_pct(breaks.slope_before_pct, 1, signed=True)} per jaar naar "
                f"{fmt_pct(breaks.slope_after_pct, 1, signed=True)} per jaar. Een sprong in het "
                f"niveau past niet beter dan die geleidelijke knik ({fmt_p(breaks.jump_p_value)}). "
                "De hellingen krijgen geen interval: de knik is op dezelfde cijfers gekozen."
            )
        elif breaks.dates:
            break_text = (
                "De toets op een trendbreuk, die rekening houdt met het zoeken naar de breuk en "
                f"met samenhang tussen opeenvolgende maanden, vindt een breuk vanaf {fmt_month(breaks.dates[0])} "
                f"({fmt_p(breaks.p_value)}); het niveau verandert daar naar schatting met {fmt_pct(breaks.jump_pct, 0, signed=True)}. Die omvang "
                "krijgt geen interval: de breuk is op dezelfde cijfers gekozen."
            )
        else:
            break_text = (
                "De toets op een trendbreuk, die rekening houdt met het zoeken naar de breuk en "
                f"met samenhang tussen opeenvolgende maanden, vindt geen breuk ({fmt_p(breaks.p_value)})."
            )
        if self.seasonal is None:
            return md("{breaks}", breaks=break_text)
        peak = self.seasonal.peak_month
        ratio = self.seasonal.dark_months_ratio
        return md(
            "Seizoen: de meeste inbraken vallen in {peak}; in de donkere maanden (oktober tot "
            "en met januari) liggen de aantallen gemiddeld {ratio} keer zo hoog als in de overige "
            "maanden (95%-interval {low} tot {high}). {breaks}",
            peak=MONTHS_NL[int(peak.estimate) - 1],
            ratio=fmt_num(ratio.estimate, 2),
            low=fmt_num(ratio.ci_low, 2),
            high=fmt_num(ratio.ci_high, 2),
            breaks=break_text,
        )

    def table(self):
        """The confirmed break as a table (nothing without months or without a break)."""
        if not self.available or not self.breaks.dates:
            return None
        if self.breaks.is_bend:
            return table(
                self.jumps(),
                formats={
                    "slope_before_pct": "signed_pct",
                    "slope_after_pct": "signed_pct",
                    "p_value": lambda value: fmt_num(value, 3),
                },
                columns={
                    "month": "Knik vanaf",
                    "slope_before_pct": "Verandering per jaar ervoor",
                    "slope_after_pct": "Verandering per jaar erna",
                    "p_value": "p (toets met zoekcorrectie)",
                },
            )
        return table(
            self.jumps(),
            formats={"jump_pct": "signed_pct", "p_value": lambda value: fmt_num(value, 3)},
            columns={
                "month": "Breuk vanaf",
                "jump_pct": "Geschatte sprong",
                "p_value": "p (toets met zoekcorrectie)",
            },
        )

    @property
    def methods(self) -> list[tuple[str, Any]]:
        """The methods the monthly part actually used: what each is of (Dutch) and its spec."""
        if not self.available:
            return []
        used = [("Woninginbraken per maand, breuk of knik", self.breaks.method_spec)]
        if self.seasonal is not None:
            used += [
                ("Woninginbraken per maand, seizoenspatroon", self.seasonal.method_spec),
                ("Piekmaand", self.seasonal.peak_month.method_spec),
                ("Donkere maanden tegen de overige", self.seasonal.dark_months_ratio.method_spec),
            ]
        return used


def monthly_burglary(ctx: ReportContext, offence_code: str = "1.1.1") -> MonthlyBurglary:
    """Monthly counts, seasonal effects, STL (where supported) and the break test."""
    series = monthly_counts(ctx, offence_code)
    if series is None:
        return MonthlyBurglary(series=None)
    supported = monthly.seasonality_supported(series)
    return MonthlyBurglary(
        series=series,
        decomposition=monthly.stl_decompose(series) if supported else None,
        breaks=monthly.detect_change_points(series, n_boot=BREAK_TEST_REPLICATES),
        seasonal=monthly.seasonal_effects(series, n_sim=SEASONAL_DRAWS) if supported else None,
        area=ctx.area.name,
        source_label=ctx.source_for("47022NED"),
        provisional_from=provisional_from(ctx, offence_code),
    )


TABLES = ("47018NED", "47022NED", "70072ned")
"""The open tables the crime change report reads (named in its source line)."""


def _model_nl(estimate) -> str:
    """The Dutch name of the count model an estimate's method names."""
    text = str(getattr(estimate, "method", estimate))
    if "quasi-Poisson" in text and "normal interval" in text:
        return (
            "quasi-Poisson-regressie (dispersie max(1, X²/df) op de ondergrens 1: "
            "Poisson-variantie, normale intervallen)"
        )
    if "quasi-Poisson" in text and "AR(1) year noise allowed for" in text:
        return (
            "quasi-Poisson-regressie (jaar-op-jaarruis met samenhang tussen opeenvolgende jaren, "
            "AR(1): sandwichvariantie en bootstrap-t-intervallen)"
        )
    if "quasi-Poisson" in text:
        return "quasi-Poisson-regressie (dispersie max(1, X²/df), t-intervallen)"
    if "negative binomial" in text:
        return "negatief-binomiale regressie"
    return "Poisson-regressie"


def methods(
    ctx: ReportContext,
    comparison,
    burglary_months: MonthlyBurglary | None = None,
    national=None,
    so_far: YearToDate | None = None,
):
    """The "Methode en bronnen" section of the crime change report, worded from the methods the
    results actually used (``national``: :func:`rvs_analysis.report.yardstick.
    national_comparison`, when the report compared the area with the Netherlands; ``so_far``:
    :func:`rvs_analysis.report.year_to_date.this_year`, "Dit jaar tot nu toe")."""
    national_lines, national_technical = comparison_methods(national)
    monthly_lines = []
    if burglary_months is not None and burglary_months.available:
        if burglary_months.seasonal_supported:
            monthly_lines.append(
                "Maandcijfers: STL-decompositie (statsmodels) van log(1 + aantal); seizoen en "
                "verhouding donkere/overige maanden uit een quasi-Poisson-model met een niveau "
                "per jaar en maandeffecten. "
                + simulation_sentence(
                    draws=SEASONAL_DRAWS,
                    draws_for="de intervallen van seizoenspiek en donkere-maandenverhouding",
                )
            )
        else:
            monthly_lines.append(
                "Maandcijfers: geen seizoensontleding, want minder dan "
                f"{monthly.MIN_MONTHLY_COUNT_STL} gevallen per maand gemiddeld."
            )
        monthly_lines.append(
            "Trendbreuken: één sup-F-toets op een sprong of knik op een onbekende maand, met "
            "p-waarde uit een parametrische bootstrap onder AR(1)-ruis bovenop de Poisson-ruis "
            "van de tellingen (de AR(1) geschat op het deel van de ruis boven Poisson; houdt "
            "rekening met het zoeken). Een gevonden verandering heet alleen een breuk als een "
            "sprong in het niveau significant beter past dan de best passende knik (een "
            "doorlopende lijn die van helling verandert; tweede bootstrap onder die knik); "
            "anders staat er dat de trend afbuigt. Een breuk of knik wordt niet opnieuw getoetst "
            "op de cijfers die hem kozen. "
            + simulation_sentence(
                bootstrap=BREAK_TEST_REPLICATES, bootstrap_for="de p-waarde van de breuktoets"
            )
        )
    return methods_block(
        ctx,
        methods=[
            "Indeling in zichtbare en minder zichtbare criminaliteit volgens "
            "data/crime_change_classification.csv (tabel met reden per misdrijfsoort).",
            "Aandelen met Wilson-interval; aantallen per 1.000 inwoners met de geharmoniseerde "
            "bevolking van hetzelfde jaar.",
            f"Trend per groep: {_model_nl(comparison.visible)} op jaar; het verschil in trend "
            f"uit een {_model_nl(comparison.ratio)} met vaste jaareffecten en een interactie "
            "groep × jaar.",
            "Veranderingen per misdrijfsoort: interval met de jaar-op-jaarruis van die soort "
            "(quasi-Poisson-dispersie uit de jaren die niet vergeleken worden); geen "
            "significantietoets na rangschikken; "
            f"'te weinig gevallen' bij minder dan {MIN_EVENTS_CHANGE} misdrijven in beide jaren "
            "samen.",
            *monthly_lines,
            *(so_far.methods_lines() if so_far is not None else []),
            *national_lines,
        ],
        assumptions=[
            "Een constante jaarlijkse procentuele verandering per groep over de hele periode.",
            "Registratie weerspiegelt voorkomen niet voor alle soorten even goed: minder zichtbare "
            "criminaliteit wordt vooral gevonden als politie en partners ernaar zoeken, dus een "
            "stijging kan ook meer opsporing betekenen.",
        ],
        limitations=[
            *filter(None, [open_data_line(ctx.dataset, TABLES)]),
            "De open CBS-tabel 47018NED bevat niet alle minder zichtbare soorten (fraude, "
            "cybercrime en witwassen ontbreken in het gedeelde extract); de vergelijking rust dan "
            "op de soorten die er wel zijn, zoals drugshandel.",
            "Maandcijfers staan in 47022NED; zonder die tabel vervalt het maanddeel.",
            "Door de herziening van 2021 en de coronajaren zijn jaren rond 2020-2021 lastiger te "
            "vergelijken; het model met vaste jaareffecten vangt gemeenschappelijke schokken op.",
        ],
        technical=[
            ("Verhouding minder zichtbare tot zichtbare criminaliteit", comparison.method_spec),
            ("Trend zichtbare criminaliteit per 1.000 inwoners", comparison.visible.method_spec),
            (
                "Trend minder zichtbare criminaliteit per 1.000 inwoners",
                comparison.less_visible.method_spec,
            ),
            *(burglary_months.methods if burglary_months is not None else []),
            *(so_far.methods if so_far is not None else []),
            *national_technical,
        ],
    )


def record_summary(
    ctx: ReportContext,
    comparison,
    burglary_months: MonthlyBurglary | None = None,
    totals: CrimeTotals | None = None,
    so_far: YearToDate | None = None,
) -> None:
    """Record the report's key estimates and headline in ``ctx.summary``; with ``totals`` the
    headline names the less visible offence types the source holds; with ``so_far``
    (:func:`rvs_analysis.report.year_to_date.this_year`) the nowcast of the year under way
    (``burglary_nowcast``)."""
    if burglary_months is not None and burglary_months.seasonal is not None:
        ctx.summary.add("burglary_seasonal_peak_month", burglary_months.seasonal.peak_month)
        ctx.summary.add(
            "burglary_dark_months_rate_ratio", burglary_months.seasonal.dark_months_ratio
        )
    ctx.summary.add("crime_change_trend_ratio", comparison.ratio)
    ctx.summary.add("visible_annual_rate_ratio", comparison.visible)
    ctx.summary.add("less_visible_annual_rate_ratio", comparison.less_visible)
    record_year_to_date(ctx, so_far)
    held = _held_phrase(totals) if totals is not None else ""
    ctx.summary.set_headline(
        f"Verhouding minder zichtbare ({held}) tot zichtbare criminaliteit"
        if held
        else "Verhouding minder zichtbare tot zichtbare criminaliteit",
        _ratio_headline(comparison.ratio),
    )


def _ratio_headline(ratio) -> str:
    """The index's value for the ratio of the two groups' annual changes, in words."""
    change = 100 * (ratio.estimate - 1)
    if is_missing(change):
        return "niet te berekenen"
    if not ratio.significant:
        return f"geen aantoonbare verandering ({fmt_pct(change, 1, signed=True)} per jaar)"
    verb = "stijgt" if change > 0 else "daalt"
    return f"{verb} {fmt_pct(abs(change), 1)} per jaar"
