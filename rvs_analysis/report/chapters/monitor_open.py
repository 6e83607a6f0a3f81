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

import pandas as pd

from rvs_analysis.report.area_data import area_counts, in_report_years
from rvs_analysis.report.context import ReportContext
from rvs_analysis.report.open_data import burglary_group
from rvs_analysis.report.tables import table
from rvs_analysis.report.wording import fmt_int, fmt_num, md

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
    """Every open-data indicator of the area: first year, report year and change.

    Attributes
    ----------
    frame : pandas.DataFrame
        ``indicator, table, first_year, first_value, year, value, change_pct, unit``.
    area : str
    """

    frame: pd.DataFrame
    area: str

    def show(self):
        """The indicators as a Dutch table."""
        return table(
            self.frame,
            formats={"first_value": "num", "value": "num", "change_pct": "signed_pct"},
            columns={
                "indicator": "Indicator",
                "table": "CBS-tabel",
                "first_year": "Beginjaar",
                "first_value": "Waarde",
                "year": "Rapportagejaar",
                "value": "Waarde ",
                "change_pct": "Verandering",
            },
            caption=f"Indicatoren uit open CBS-data, {self.area}",
        )

    def sentence(self):
        """How many indicators the open tables hold, and what is group-level."""
        return md(
            "De open CBS-tabellen geven voor {area} {n} indicatoren. Opheldering staat in 83648NED "
            "alleen per misdrijfgroep (niet voor woninginbraak, straatroof of overvallen), en "
            "'registraties van verdachten' telt registraties, geen personen: wie voor meer "
            "misdrijven verdacht wordt, telt meer keren.",
            area=self.area,
            n=len(self.frame),
        )


def _row(name, table_id, series: pd.DataFrame, report_year: int, unit: str = "aantal"):
    series = series.dropna(subset=["value"]).sort_values("year")
    series = series[series["year"] <= report_year]
    if series.empty:
        return None
    first, last = series.iloc[0], series.iloc[-1]
    change = 100.0 * (last["value"] / first["value"] - 1.0) if first["value"] else float("nan")
    if unit == "%":
        change = last["value"] - first["value"]
    return {
        "indicator": name,
        "table": table_id,
        "first_year": int(first["year"]),
        "first_value": float(first["value"]),
        "year": int(last["year"]),
        "value": float(last["value"]),
        "change_pct": change,
        "unit": unit,
    }


def open_indicators(ctx: ReportContext, report_year: int) -> OpenIndicators:
    """Every indicator the open tables hold for the area, up to ``report_year``.

    Notes
    -----
    Counts are summed over the area's harmonised municipalities (:mod:`~rvs_analysis.report.
    area_data`); clearance percentages are cleared / registered of the summed counts; the change
    of a percentage is in percentage points (shown in the same column).
    """
    rows = []
    codes = set(ctx.dataset.crime["offence_code"])
    for code, name in COUNT_INDICATORS.items():
        if code in codes:
            counts = area_counts(ctx, code).rename(columns={"registered_offences": "value"})
            rows.append(_row(name, "47018NED", counts, report_year))
    cleared = ctx.dataset.cleared
    if cleared is not None and not cleared.empty:
        mine = in_report_years(cleared[cleared["gemeente_code"].isin(ctx.codes)], ctx)
        labels = dict((ctx.dataset.provenance or {}).get("offence_groups") or {})
        group = burglary_group(ctx.dataset)
        wanted = [key for key in TOTAL_GROUP_KEYS if key in set(mine["offence_code"])]
        if group is not None:
            wanted.append(group[0])
        for key in wanted:
            rows_of = mine[mine["offence_code"] == key]
            sums = rows_of.groupby("year", as_index=False)[
                ["registered_offences", "cleared_offences"]
            ].sum()
            sums["value"] = 100.0 * sums["cleared_offences"] / sums["registered_offences"]
            label = labels.get(key, key)
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
    frame = pd.DataFrame([row for row in rows if row is not None])
    return OpenIndicators(frame=frame, area=ctx.area.name)


def police_unit_comparison(ctx: ReportContext, offence_code: str = "1.1.1"):
    """The burglary trend of every police unit, against the Netherlands (toolkit comparison).

    Returns
    -------
    rvs_analysis.stats.compare.AreaTrendComparison or None
        ``compare_trends`` over the Netherlands (reference) and one custom area per police unit
        (municipalities from CBS's "Gebieden in Nederland", on its boundary year); ``None`` when
        the source lacks that table.
    """
    from rvs_analysis import regions
    from rvs_analysis.stats import compare

    provenance = ctx.dataset.provenance or {}
    units = provenance.get("police_units")
    if not units:
        return None
    names = provenance.get("police_unit_names") or {}
    boundary = int(ctx.dataset.crime_boundary_year or ctx.composition_year)
    crime_codes = set(ctx.dataset.crime["gemeente_code"])
    by_unit: dict[str, list[str]] = {}
    for gemeente, unit in units.items():
        if gemeente in crime_codes:
            by_unit.setdefault(unit, []).append(gemeente)
    areas = [regions.netherlands(boundary)]
    areas += [
        regions.custom_area(f"Politie-eenheid {names.get(unit, unit)}", codes, boundary)
        for unit, codes in sorted(by_unit.items())
    ]
    if len(areas) < 2 or len(ctx.years()) < 3:
        return None
    return compare.compare_trends(
        ctx.dataset,
        offence_code,
        areas,
        years=ctx.years(),
        boundaries=boundary,
        reference=areas[0].name,
    )


def police_unit_table(comparison):
    """Each police unit's annual change in burglaries per inhabitant and its ratio to NL."""
    if comparison is None:
        return md(
            "De indeling in politie-eenheden (CBS 'Gebieden in Nederland', 85755NED) is niet "
            "opgehaald; haal die op met 'rvs fetch'."
        )
    frame = comparison.table()
    for column in ("annual_rate_ratio", "arr_ci_low", "arr_ci_high"):
        frame[column] = 100.0 * (frame[column] - 1.0)
    return table(
        frame,
        formats={
            "annual_rate_ratio": "signed_pct",
            "arr_ci_low": "signed_pct",
            "arr_ci_high": "signed_pct",
            "ratio_to_reference": "num2",
            "ratio_ci_low": "num2",
            "ratio_ci_high": "num2",
        },
        columns={
            "area": "Gebied",
            "annual_rate_ratio": "Verandering per jaar",
            "arr_ci_low": "95%-BI onder",
            "arr_ci_high": "95%-BI boven",
            "ratio_to_reference": "Verhouding t.o.v. Nederland",
            "ratio_ci_low": "95%-BI onder ",
            "ratio_ci_high": "95%-BI boven ",
        },
        caption="Woninginbraken per inwoner: politie-eenheden tegen Nederland",
    )


def police_unit_sentence(comparison):
    """Which police units' trends differ from the country's, in Dutch."""
    if comparison is None:
        return md("")
    faster = [name for name, ratio in comparison.ratios.items() if ratio.significant]
    return md(
        "Van de {n} politie-eenheden in de bron wijkt de trend van {k} statistisch significant af "
        "van die van Nederland{names}. Gezamenlijke toets dat alle eenheden de landelijke trend "
        "volgen: p = {p}. De indeling komt uit CBS 'Gebieden in Nederland' (85755NED).",
        n=fmt_int(len(comparison.ratios)),
        k=fmt_int(len(faster)),
        names=f" ({', '.join(faster)})" if faster else "",
        p=fmt_num(comparison.joint_p_value, 3),
    )
