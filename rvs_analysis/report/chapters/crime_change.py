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
from rvs_analysis.report.area_data import area_crime, area_population, monthly_counts
from rvs_analysis.report.context import ReportContext, methods_block
from rvs_analysis.report.tables import change_point_table, table
from rvs_analysis.report.wording import (
    MONTHS_NL,
    change_phrase,
    fmt_int,
    fmt_pct,
    md,
    ratio_phrase,
)
from rvs_analysis.stats import crime_change, monthly

__all__ = [
    "CrimeTotals",
    "MonthlyBurglary",
    "crime_totals",
    "largest_mover_sentence",
    "methods",
    "monthly_burglary",
    "movers_table",
    "record_summary",
    "top_movers",
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
            self.source_label,
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
        totals=crime_change.category_totals(crime, population=population),
        area=ctx.area.name,
        source_label=ctx.source_label,
        years=ctx.years(),
        provisional=tuple(ctx.provisional_years),
    )


def trend_comparison(totals: CrimeTotals):
    """Whether visible and less visible crime follow different trends (one count model)."""
    return crime_change.compare_trends(totals.crime)


def trend_sentence(comparison, totals: CrimeTotals):
    """Both groups' trends and their ratio, in Dutch."""
    return md(
        "Over {first}–{last} gemeten: het aantal zichtbare misdrijven {visible_change}; het aantal "
        "minder zichtbare misdrijven {less_visible_change}. Afgezet tegen elkaar: het aantal "
        "minder zichtbare misdrijven ten opzichte van het aantal zichtbare {ratio}. {verdict}",
        first=totals.years[0],
        last=totals.year_label(totals.years[-1]),
        visible_change=ratio_phrase(comparison.visible),
        less_visible_change=ratio_phrase(comparison.less_visible),
        ratio=ratio_phrase(comparison.ratio),
        verdict="De trends van de twee groepen verschillen dus statistisch significant."
        if comparison.ratio.significant
        else "Een verschil in trend is statistisch niet aangetoond.",
    )


def top_movers(totals: CrimeTotals, n: int = 6) -> pd.DataFrame:
    """The ``n`` offence types with the largest change in count between the first and last year."""
    movers = crime_change.top_movers(totals.crime, totals.years[0], totals.years[-1], n=n)
    movers["category_nl"] = movers["category"].map(crime_change.CATEGORY_LABELS_NL)
    movers.attrs["years"] = (totals.years[0], totals.years[-1])
    return movers


def movers_table(movers: pd.DataFrame):
    """The movers as the report shows them."""
    first, last = movers.attrs["years"]
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
            "significant": "Significant",
        },
    )


def largest_mover_sentence(movers: pd.DataFrame):
    """The offence type with the largest change, in Dutch."""
    largest = movers.iloc[0]
    return md(
        "De grootste verandering in aantal: {label} ({category}) {change}, van {start} naar {end}.",
        label=largest["offence_label"],
        category=largest["category_nl"],
        change=change_phrase(
            (largest["change_pct"], largest["ci_low_pct"], largest["ci_high_pct"])
        ),
        start=fmt_int(largest["count_start"]),
        end=fmt_int(largest["count_end"]),
    )


@dataclass
class MonthlyBurglary:
    """Monthly burglary of the area: its STL decomposition and change points (or none)."""

    series: pd.Series | None
    decomposition: Any = None
    breaks: Any = None
    area: str = ""
    source_label: str = ""

    @property
    def available(self) -> bool:
        return self.series is not None

    def figure(self):
        """The decomposition with the change points, or a sentence that the months are missing."""
        if not self.available:
            return md(
                "Maandcijfers van woninginbraak zijn niet beschikbaar voor deze bron; dit deel "
                "vervalt."
            )
        return figures.stl_plot(
            self.decomposition,
            self.source_label,
            change_dates=self.breaks.dates,
            title=f"Woninginbraken per maand, {self.area}",
        )

    def jumps(self) -> pd.DataFrame:
        """Twelve months after against twelve before each change point."""
        return change_point_table(self.series, self.breaks.dates)

    def sentence(self):
        """The seasonal peak and low and the change points, in Dutch (nothing without months)."""
        if not self.available:
            return None
        seasonal = self.decomposition["seasonal"].groupby(self.decomposition.index.month).mean()
        jumps = self.jumps()
        return md(
            "Seizoen: in {peak} ligt het aantal inbraken gemiddeld {peak_pct} boven de trend, in "
            "{low} {low_pct} eronder. Er zijn {count} trendbreuken gevonden{dates}; daarvan gaan "
            "{significant} gepaard met een statistisch significante verandering van het niveau "
            "(twaalf maanden na tegen twaalf maanden voor de breuk).",
            peak=MONTHS_NL[seasonal.idxmax() - 1],
            peak_pct=fmt_pct(100 * (seasonal.max() - 1), 0),
            low=MONTHS_NL[seasonal.idxmin() - 1],
            low_pct=fmt_pct(100 * (1 - seasonal.min()), 0),
            count=len(self.breaks.dates),
            dates=(" (" + ", ".join(jumps["month"]) + ")") if len(jumps) else "",
            significant=int(jumps["significant"].sum()),
        )

    def table(self):
        """The change-point table (nothing without months)."""
        if not self.available:
            return None
        return table(
            self.jumps(),
            formats={
                "before": "int",
                "after": "int",
                "change_pct": "signed_pct",
                "ci_low": "signed_pct",
                "ci_high": "signed_pct",
            },
            columns={
                "month": "Breuk vanaf",
                "months": "Maanden vergeleken",
                "before": "Aantal ervoor",
                "after": "Aantal erna",
                "change_pct": "Verandering",
                "ci_low": "95%-BI onder",
                "ci_high": "95%-BI boven",
                "significant": "Significant",
            },
        )


def monthly_burglary(ctx: ReportContext, offence_code: str = "1.1.1") -> MonthlyBurglary:
    """Monthly counts, STL decomposition and change points of burglary in the area."""
    series = monthly_counts(ctx, offence_code)
    if series is None:
        return MonthlyBurglary(series=None)
    return MonthlyBurglary(
        series=series,
        decomposition=monthly.stl_decompose(series),
        breaks=monthly.detect_change_points(series),
        area=ctx.area.name,
        source_label=ctx.source_label,
    )


def methods(ctx: ReportContext, comparison):
    """The "Methode en bronnen" section of the crime change report."""
    return methods_block(
        ctx,
        methods=[
            "Indeling in zichtbare en minder zichtbare criminaliteit volgens "
            "data/crime_change_classification.csv (tabel met reden per misdrijfsoort).",
            "Aandelen met Wilson-interval; aantallen per 1.000 inwoners met de geharmoniseerde "
            "bevolking van hetzelfde jaar.",
            "Trend per groep: Poisson-regressie op jaar, negatief binomiaal bij overdispersie; het "
            "verschil in trend uit een model met vaste jaareffecten en een interactie groep × jaar.",
            "Veranderingen per misdrijfsoort en rond trendbreuken: exact interval voor de "
            "verhouding van twee Poisson-aantallen.",
            "Maandcijfers: STL-decompositie (statsmodels) van log(1 + aantal); trendbreuken met "
            "PELT (ruptures) op de voor seizoen gecorrigeerde reeks.",
        ],
        assumptions=[
            "Een constante jaarlijkse procentuele verandering per groep over de hele periode.",
            "Registratie weerspiegelt voorkomen niet voor alle soorten even goed: minder zichtbare "
            "criminaliteit wordt vooral gevonden als politie en partners ernaar zoeken, dus een "
            "stijging kan ook meer opsporing betekenen.",
        ],
        limitations=[
            "De open CBS-tabel 47018NED bevat niet alle minder zichtbare soorten (fraude, "
            "cybercrime en witwassen ontbreken in het gedeelde extract); de vergelijking rust dan "
            "op de soorten die er wel zijn, zoals drugshandel.",
            "Maandcijfers staan in 47022NED; zonder die tabel vervalt het maanddeel.",
            "Door de herziening van 2021 en de coronajaren zijn jaren rond 2020-2021 lastiger te "
            "vergelijken; het model met vaste jaareffecten vangt gemeenschappelijke schokken op.",
        ],
        technical=[comparison.method, comparison.visible.method, comparison.less_visible.method],
    )


def record_summary(ctx: ReportContext, comparison) -> None:
    """Record the report's key estimates and headline in ``ctx.summary``."""
    ctx.summary.add("crime_change_trend_ratio", comparison.ratio)
    ctx.summary.add("visible_annual_rate_ratio", comparison.visible)
    ctx.summary.add("less_visible_annual_rate_ratio", comparison.less_visible)
    ctx.summary.set_headline(
        "Minder zichtbaar t.o.v. zichtbaar per jaar",
        fmt_pct(100 * (comparison.ratio.estimate - 1), 1, signed=True),
    )
