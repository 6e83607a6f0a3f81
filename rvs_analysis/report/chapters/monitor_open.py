"""The strategy monitor's open-data indicators and the comparison with the other police units.

Every indicator the open CBS tables hold for the area, beside the results table of the strategy's
own indicators: registered total crime, residential burglary, street robbery and robbery
(47018NED), the clearance of the offence groups 83648NED publishes (group level: no burglary
clearance) and its registrations of suspects (registrations, not persons: one person can be
registered several times). And the area's burglary trend against every other police unit, with
the municipality -> police unit mapping of CBS's "Gebieden in Nederland" table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from rvs_analysis import national, regions
from rvs_analysis.dutch import counted
from rvs_analysis.exceptions import IncompleteDataError, SourceNotAvailableError
from rvs_analysis.report.area_data import area_counts, clearance_frame
from rvs_analysis.report.context import ReportContext, source_advice
from rvs_analysis.report.open_data import burglary_group, group_title
from rvs_analysis.report.tables import table
from rvs_analysis.report.wording import (
    difference_phrase,
    fmt_int,
    fmt_num,
    fmt_value,
    is_missing,
    md,
    shown_decimals,
)
from rvs_analysis.stats import compare
from rvs_analysis.stats.clearance import clearance_difference, clearance_dispersion
from rvs_analysis.stats.common import MIN_CASES_PERCENT, MIN_EVENTS_CHANGE, too_few_for_change
from rvs_analysis.stats.trends import area_dispersion, count_change

__all__ = [
    "COUNT_INDICATORS",
    "OpenIndicators",
    "open_indicators",
    "police_unit_comparison",
    "police_unit_sentence",
    "police_unit_table",
]

COUNT_INDICATORS = {
    "0.0.0": "Geregistreerde misdrijven, totaal",
    "1.1.1": "Woninginbraken (incl. pogingen)",
    "1.4.6": "Straatroven",
    "1.4.7": "Overvallen",
}
"""The 47018NED counts the monitor shows (where the source has them)."""

TOTAL_GROUP_KEYS = ("T001161",)


@dataclass
class OpenIndicators:
    """Every open-data indicator of the area: first year, report year and the change between them.

    Attributes
    ----------
    frame : pandas.DataFrame
        ``indicator, table, first_year, first_value, year, value, unit, change`` (an
        :class:`~rvs_analysis.stats.common.Estimate`, ``None`` below the small-number rules),
        ``too_few``, ``change_text`` (Dutch), ``method``.
    area : str
    """

    frame: pd.DataFrame
    area: str
    provisional: tuple[int, ...] = ()
    """Years whose figures are provisional (CBS "Voorlopig"): labelled in the table."""

    def _year(self, year) -> str:
        return f"{int(year)} (voorlopig)" if int(year) in self.provisional else str(int(year))

    @property
    def n_comparisons(self) -> int:
        """How many changes the table tests (those with an interval)."""
        return int(self.frame["change"].notna().sum()) if not self.frame.empty else 0

    @property
    def methods(self) -> list[tuple[str, Any]]:
        """What each tested change is of (Dutch) and its method spec, for "Technische
        details" (:func:`rvs_analysis.report.methods_text.technical_lines`)."""
        if self.frame.empty:
            return []
        return [
            (f"{indicator} uit open CBS-data, verandering", change.method_spec)
            for indicator, change in zip(self.frame["indicator"], self.frame["change"], strict=True)
            if hasattr(change, "method_spec")
        ]

    def show(self):
        """The indicators as a Dutch table."""
        labels = {}
        if not self.frame.empty:
            labels = {
                "first_year": [self._year(year) for year in self.frame["first_year"]],
                "year": [self._year(year) for year in self.frame["year"]],
            }
        shown = self.frame.assign(
            **labels,
            first_value=[
                fmt_value(value, "percent" if unit == "%" else unit)
                for value, unit in zip(self.frame["first_value"], self.frame["unit"], strict=True)
            ],
            value=[
                fmt_value(value, "percent" if unit == "%" else unit)
                for value, unit in zip(self.frame["value"], self.frame["unit"], strict=True)
            ],
        )
        return table(
            shown,
            columns={
                "indicator": "Indicator",
                "table": "CBS-tabel",
                "first_year": "Beginjaar",
                "first_value": "Waarde beginjaar",
                "year": "Rapportagejaar",
                "value": "Waarde rapportagejaar",
                "change_text": "Verandering (95%-BI)",
            },
            caption=f"Indicatoren uit open CBS-data, {self.area}",
        )

    def sentence(self):
        """How many indicators the open tables hold, what is group-level, how many tests."""
        return md(
            "De open CBS-tabellen geven voor {area} {n}; de tabel toetst {k} "
            "tussen beginjaar en rapportagejaar op 5%, zonder correctie voor "
            "meervoudig toetsen. Opheldering staat in 83648NED alleen per misdrijfgroep (niet "
            "voor woninginbraak, straatroof of overvallen), en 'registraties van verdachten' telt "
            "registraties, geen personen: wie voor meer misdrijven verdacht wordt, telt meer keren.",
            area=self.area,
            n=counted(len(self.frame), "indicator", "indicatoren"),
            k=counted(self.n_comparisons, "verandering", "veranderingen"),
        )


def _count_change(series: pd.DataFrame):
    """The change of a count between the first and the last year, with the series' year noise
    (quasi-Poisson dispersion of its year-to-year noise outside the compared years); ``None`` below
    the small-number rule."""
    before, after = round(float(series["value"].iloc[0])), round(float(series["value"].iloc[-1]))
    if too_few_for_change(before, after):
        return None
    frame = series.rename(columns={"value": "registered_offences"})
    frame["registered_offences"] = frame["registered_offences"].round()
    compared = (int(series["year"].iloc[0]), int(series["year"].iloc[-1]))
    phi, df = area_dispersion(
        frame[["year", "registered_offences"]], population_column=None, compared=compared
    )
    return count_change(before, after, dispersion=phi, df=df)


def _percentage_change(series: pd.DataFrame):
    """The change of a clearance percentage in procentpunt, with the series' year-to-year noise
    outside the two compared years (:func:`~rvs_analysis.stats.clearance.clearance_dispersion`;
    binomial when too few years remain for it); ``None`` below the small-number rule."""
    first, last = series.iloc[0], series.iloc[-1]
    if min(first["registered_offences"], last["registered_offences"]) < MIN_CASES_PERCENT:
        return None
    phi, df = clearance_dispersion(series, compared=(int(first["year"]), int(last["year"])))
    if phi is None:
        phi, df = 1.0, None
    return clearance_difference(
        int(first["cleared_offences"]),
        int(first["registered_offences"]),
        int(last["cleared_offences"]),
        int(last["registered_offences"]),
        dispersion=phi,
        df=df,
    )


def _row(name, table_id, series: pd.DataFrame, report_year: int, unit: str = "aantal"):
    series = series.dropna(subset=["value"]).sort_values("year")
    series = series[series["year"] <= report_year]
    if series.empty:
        return None
    first, last = series.iloc[0], series.iloc[-1]
    change = None
    if len(series) >= 2:
        change = _percentage_change(series) if unit == "%" else _count_change(series)
    if change is None:
        rule = (
            f"minder dan {MIN_CASES_PERCENT} geregistreerde misdrijven in een jaar"
            if unit == "%"
            else f"minder dan {MIN_EVENTS_CHANGE} in beide jaren samen"
        )
        text = f"te weinig gevallen ({rule})" if len(series) >= 2 else "één jaar"
    else:
        text = difference_phrase(change, " procentpunt" if unit == "%" else "%")
    return {
        "indicator": name,
        "table": table_id,
        "first_year": int(first["year"]),
        "first_value": float(first["value"]),
        "year": int(last["year"]),
        "value": float(last["value"]),
        "unit": unit,
        "change": change,
        "too_few": change is None and len(series) >= 2,
        "change_text": text,
        "method": None if change is None else change.method,
    }


def open_indicators(ctx: ReportContext, *, report_year: int | None = None) -> OpenIndicators:
    """Every indicator the open tables hold for the area, up to ``report_year`` (default:
    ``ctx.report_year``).

    Notes
    -----
    Counts, cleared offences and registrations of suspects are summed over the area's harmonised
    municipalities (:mod:`~rvs_analysis.report.area_data`); a count's change between the first and the report year is
    :func:`rvs_analysis.stats.trends.count_change` with the series' quasi-Poisson dispersion
    (:func:`~rvs_analysis.stats.trends.area_dispersion`). Clearance percentages are cleared /
    registered of the summed counts; their change is the difference in procentpunt with the
    series' year-to-year noise outside the compared years
    (:func:`rvs_analysis.stats.clearance.clearance_difference`,
    :func:`~rvs_analysis.stats.clearance.clearance_dispersion`).
    Below :data:`~rvs_analysis.stats.common.MIN_EVENTS_CHANGE` events (counts) or
    :data:`~rvs_analysis.stats.common.MIN_CASES_PERCENT` registered offences (percentages) in
    either year: "te weinig gevallen", no interval.
    """
    report_year = ctx.report_year if report_year is None else report_year
    rows = []
    codes = set(ctx.dataset.crime["offence_code"])
    for code, name in COUNT_INDICATORS.items():
        if code in codes:
            counts = area_counts(ctx, code).rename(columns={"registered_offences": "value"})
            rows.append(_row(name, "47018NED", counts, report_year))
    cleared = ctx.dataset.cleared
    if cleared is not None and not cleared.empty:
        labels = dict((ctx.dataset.provenance or {}).get("offence_groups") or {})
        group = burglary_group(ctx.dataset)
        wanted = [key for key in TOTAL_GROUP_KEYS if key in set(cleared["offence_code"])]
        if group is not None:
            wanted.append(group[0])
        for key in wanted:
            # harmonised to the report's composition like every other count of the report
            frame = clearance_frame(ctx, key)
            rows_of = frame[frame["in_area"]]
            sums = rows_of.groupby("year", as_index=False)[
                ["registered_offences", "cleared_offences"]
            ].sum()
            sums["value"] = 100.0 * sums["cleared_offences"] / sums["registered_offences"]
            label = group_title(labels.get(key, key))
            rows.append(
                _row(f"Opheldering {label} (groepsniveau, %)", "83648NED", sums, report_year, "%")
            )
            if "suspects" in rows_of.columns and key in TOTAL_GROUP_KEYS:
                suspects = rows_of.groupby("year", as_index=False)["suspects"].sum(min_count=1)
                rows.append(
                    _row(
                        "Registraties van verdachten (geen personen)",
                        "83648NED",
                        suspects.rename(columns={"suspects": "value"}),
                        report_year,
                    )
                )
    columns = ["indicator", "table", "first_year", "first_value", "year", "value", "unit",
               "change", "too_few", "change_text", "method"]  # fmt: skip
    frame = pd.DataFrame([row for row in rows if row is not None], columns=columns)
    return OpenIndicators(frame=frame, area=ctx.area.name, provisional=tuple(ctx.provisional_years))


def police_unit_comparison(ctx: ReportContext, offence_code: str = "1.1.1"):
    """The burglary trend of every police unit, against the Netherlands (toolkit comparison).

    Returns
    -------
    rvs_analysis.stats.compare.AreaTrendComparison or None
        ``compare_area_trends`` over the Netherlands (reference) and the police units
        (:func:`rvs_analysis.regions.police_unit_areas`: municipalities from CBS's "Gebieden in
        Nederland"), every Dutch municipality harmonised to the crime table's boundary year with
        the national municipal history (``scope="nederland"``); ``None`` when the source lacks
        that table or does not hold every municipality of the country (crime rows and
        population for the years in use).
    """
    provenance = ctx.dataset.provenance or {}
    if not provenance.get("police_units"):
        return None
    boundary = int(ctx.dataset.crime_boundary_year or ctx.composition_year)
    try:
        units = regions.police_unit_areas(ctx.dataset, boundary)
        areas = [regions.netherlands(boundary), *units]
        if len(areas) < 2 or len(ctx.years()) < 3:
            return None
        table = regions.area_table(
            ctx.dataset,
            offence_code,
            areas=areas,
            boundaries=boundary,
            years=ctx.years(),
            rate=True,
            scope="nederland",
        )
    except (SourceNotAvailableError, IncompleteDataError):
        # a unit over only the municipalities the source happens to hold would be wrong
        return None
    return compare.compare_area_trends(table, reference=areas[0].name)


def police_unit_table(comparison, ctx: ReportContext | None = None):
    """Each police unit's annual change in burglaries per inhabitant and its ratio to NL.

    Without a comparison it says why, with advice only where it applies to ``ctx``'s source.
    """
    if comparison is None:
        return md(
            "Een vergelijking met de politie-eenheden is op deze bron niet mogelijk: de indeling "
            "in politie-eenheden (CBS 'Gebieden in Nederland') ontbreekt, of de bron bevat niet "
            "alle gemeenten van Nederland met hun cijfers en inwoners."
            + source_advice(ctx.dataset if ctx is not None else None, "die indeling")
        )
    frame = comparison.to_frame()
    for column in ("annual_rate_ratio", "arr_ci_low", "arr_ci_high"):
        frame[column] = 100.0 * (frame[column] - 1.0)
    # each row with the digits that show whether its interval excludes "no difference"
    for columns, null, decimals, signed in (
        (("annual_rate_ratio", "arr_ci_low", "arr_ci_high"), 0.0, 1, True),
        (("ratio_to_reference", "ratio_ci_low", "ratio_ci_high"), 1.0, 2, False),
    ):
        shown = [
            shown_decimals(low, high, null, decimals)
            for low, high in zip(frame[columns[1]], frame[columns[2]], strict=True)
        ]
        for column in columns:
            frame[column] = [
                "–"
                if is_missing(value)
                else fmt_num(value, digits, signed=signed) + ("%" if null == 0.0 else "")
                for value, digits in zip(frame[column], shown, strict=True)
            ]
    return table(
        frame,
        columns={
            "area": "Gebied",
            "annual_rate_ratio": "Verandering per jaar",
            "arr_ci_low": "95%-BI onder",
            "arr_ci_high": "95%-BI boven",
            "ratio_to_reference": "Verhouding t.o.v. Nederland",
            "ratio_ci_low": "Verhouding: 95%-BI onder",
            "ratio_ci_high": "Verhouding: 95%-BI boven",
        },
        caption="Woninginbraken per inwoner: politie-eenheden tegen Nederland",
    )


def police_unit_sentence(comparison, ctx: ReportContext | None = None):
    """Which police units' trends differ from the country's, in Dutch.

    With ``ctx``, says how many municipalities the national total rests on (every municipality
    on the crime table's boundaries: the comparison is refused otherwise).
    """
    if comparison is None:
        return md("")
    faster = [name for name, ratio in comparison.ratios.items() if ratio.significant]
    resting = ""
    if ctx is not None:
        boundary = int(ctx.dataset.crime_boundary_year or ctx.composition_year)
        count = len(national.municipalities(boundary))
        resting = f" Nederland is de som van alle {fmt_int(count)} gemeenten (indeling {boundary})."
    return md(
        "Van de {n} politie-eenheden in de bron wijkt de trend van {k} statistisch significant af "
        "van die van Nederland{names}. Gezamenlijke toets dat alle eenheden de landelijke trend "
        "volgen: p = {p}. De indeling komt uit CBS 'Gebieden in Nederland'.{resting}",
        n=fmt_int(len(comparison.ratios)),
        k=fmt_int(len(faster)),
        names=f" ({', '.join(faster)})" if faster else "",
        p=fmt_num(comparison.joint_p_value, 3),
        resting=resting,
    )
