"""The chapters of the neighbourhood report (``notebooks/neighbourhood_signals.ipynb``).

Where in a municipality (or a district's municipalities) crime concentrates and what changed this
month: buurt rates smoothed by empirical Bayes on a map, the funnel of the buurten against their
own municipality, the persistent hot spots, the signals of the latest months per wijk and buurt
and offence type, the concentration in the top 10% of buurten and the nowcast of the current
year. The statistics come from :mod:`rvs_analysis.stats.neighbourhood`,
:mod:`~rvs_analysis.stats.surveillance` and :mod:`~rvs_analysis.stats.nowcast`; this module
selects the area's rows, words the results and lays them out.

A cell CBS did not publish stays missing and is shown as "niet gepubliceerd", never as 0; the
latest month, which CBS still revises, is marked "(voorlopig)".
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from rvs_analysis.exceptions import NotAvailableForSource
from rvs_analysis.report import figures
from rvs_analysis.report.context import ReportContext, methods_block
from rvs_analysis.report.open_data import open_data_line
from rvs_analysis.report.tables import table
from rvs_analysis.report.wording import (
    MONTHS_NL,
    fmt_int,
    fmt_num,
    fmt_pct,
    is_missing,
    key_message,
    md,
)
from rvs_analysis.sources import load_neighbourhood_source, source_version
from rvs_analysis.stats import neighbourhood as stats_nb
from rvs_analysis.stats import nowcast as stats_nowcast
from rvs_analysis.stats import surveillance
from rvs_analysis.stats.common import StatisticsInputError

__all__ = [
    "HOTSPOT_FALSE_ALARMS",
    "HOT_SPOTS_HEADING",
    "SIGNALS_HEADING",
    "SIGNAL_FALSE_ALARMS",
    "TABLES",
    "WITHHELD",
    "BuurtData",
    "HotSpots",
    "MonthSignals",
    "YearNowcast",
    "buurt_concentration",
    "buurt_data",
    "concentration_sentence",
    "funnel_figure",
    "hot_spot_sentence",
    "hot_spot_table",
    "hot_spots",
    "key_message_of",
    "map_figure",
    "methods",
    "month_signals",
    "nowcast_sentence",
    "nowcast_table",
    "open_data_limits",
    "record_summary",
    "signal_sentence",
    "signal_table",
    "year_nowcast",
]

TABLES = ("wijkbuurt_jaar", "wijkbuurt_maand", "kerncijfers_wijkbuurt")
"""The open tables the report reads: 47018NED and 47022NED per wijk and buurt, and the
inhabitants of "Kerncijfers wijken en buurten"."""

WITHHELD = "niet gepubliceerd"
"""What a cell CBS withheld shows: never 0."""
SIGNALS_HEADING = "Signalen van de laatste maanden"
HOT_SPOTS_HEADING = "Blijvende hotspots"
"""The notebook's headings of the signals and the hot spots: the index links the headline
figures to these sections."""

TOTAL = "0.0.0"
"""Totaal misdrijven: the count of the map, the funnel, the hot spots and the concentration."""

HOTSPOT_FALSE_ALARMS = 0.00298
"""Share of ordinary buurten flagged as persistent hot spots in the simulations on record
(``docs/statistical_properties.json``, ``hotspot-persistent-false-alarm``)."""

SIGNAL_FALSE_ALARMS = 0.003657
"""False alarms per ordinary area-month on record (``surveillance-false-alarm``)."""

LATEST_MONTHS = 3
"""The latest months looked at by the monthly signals (the setting of the record)."""

HOTSPOT_K, HOTSPOT_N = 3, 5
"""Persistent: above the upper funnel limit in at least 3 of the last 5 years."""

_LOADED: dict[tuple, Any] = {}


def _neighbourhoods(ctx: ReportContext) -> dict[str, Any]:
    """The source's wijk and buurt data, read and prepared once per process and source version
    (a renderer's kernel renders many areas): the months x (area, offence type) table, the buurt
    totals with their inhabitants, each municipality's latest month, the names."""
    key = (ctx.source, ctx.cache, source_version(ctx.source, ctx.cache))
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = _prepared(load_neighbourhood_source(ctx.source, ctx.cache))
    return _LOADED[key]


def _prepared(data) -> dict[str, Any]:
    """What :func:`buurt_data` selects from for every area, computed from the whole source once.

    The selections per area are then row and column subsets of these tables, in the same order as
    selecting from the source's tables first would give them."""
    monthly = data.monthly
    months = pd.PeriodIndex.from_fields(year=monthly["year"], month=monthly["month"], freq="M")
    rows = pd.MultiIndex.from_arrays(
        [months, monthly["area_code"], monthly["offence_code"]],
        names=["month", "area_code", "offence_code"],
    )
    wide = pd.Series(monthly["registered_offences"].to_numpy(dtype=float), index=rows)
    wide = wide.unstack(["area_code", "offence_code"]).sort_index().sort_index(axis=1)
    yearly = data.yearly
    totals = yearly[(yearly["area_kind"] == "buurt") & (yearly["offence_code"] == TOTAL)].merge(
        data.population[["area_code", "year", "population"]], on=["area_code", "year"], how="left"
    )[["area_code", "gemeente_code", "year", "registered_offences", "population"]]
    month_index = monthly["year"] * 12 + monthly["month"] - 1
    areas = data.areas
    offences = dict(zip(data.offences["offence_code"], data.offences["offence_label"], strict=True))
    return {
        "data": data,
        "wide": wide,
        "wide_gemeente": np.asarray(
            "GM" + wide.columns.get_level_values("area_code").str[2:6], dtype=object
        ),
        "totals": totals,
        "totals_gemeente": totals["gemeente_code"].to_numpy(dtype=object),
        "last_month": month_index.groupby(monthly["gemeente_code"].to_numpy(dtype=object)).max(),
        "last_year": int(yearly["year"].max()),
        "held": set(areas["gemeente_code"]),
        "names": dict(zip(areas["area_code"], areas["area_name"], strict=True)),
        "offences": {code: label or code for code, label in offences.items()},
        "provisional": set(data.provisional_months),
    }


def _month_label(month, provisional: set) -> str:
    """``"juni 2024 (voorlopig)"`` for a provisional month."""
    period = pd.Period(month, freq="M")
    text = f"{MONTHS_NL[period.month - 1]} {period.year}"
    return text + (" (voorlopig)" if (period.year, period.month) in provisional else "")


def _count(value) -> str:
    """A count, or "niet gepubliceerd" where CBS withheld it."""
    return WITHHELD if is_missing(value) else fmt_int(value)


@dataclass
class BuurtData:
    """The wijk and buurt rows of the report's area.

    Attributes
    ----------
    area : str
    codes : list of str
        The GM codes of the area's municipalities that have wijk and buurt rows.
    without : list of str
        Names of the area's municipalities without wijk and buurt rows in the source.
    yearly : pandas.DataFrame
        Buurten, Totaal misdrijven: ``area_code, gemeente_code, year, registered_offences,
        population`` up to ``year`` (withheld counts NaN).
    year : int
        The year of the yearly analyses.
    monthly : pandas.DataFrame
        Months (``PeriodIndex``) x (``area_code``, ``offence_code``) of the area's wijken and
        buurten, up to ``latest``.
    latest : pandas.Period
    provisional : set of (int, int)
    names, gemeenten, offences : dict
        Code -> name of the areas, municipalities and offence types.
    boundaries : dict or None
    partial : pandas.DataFrame
        The area's buurten whose series start or end at a recoding.
    source_label : str
    """

    area: str
    codes: list[str]
    without: list[str]
    yearly: pd.DataFrame
    year: int
    monthly: pd.DataFrame
    latest: pd.Period
    provisional: set
    names: dict[str, str]
    gemeenten: dict[str, str]
    offences: dict[str, str]
    boundaries: dict | None
    partial: pd.DataFrame
    source_label: str

    @property
    def several(self) -> bool:
        """Whether the area has more than one municipality with buurten."""
        return len(self.codes) > 1

    def month_label(self, month) -> str:
        """A month in Dutch, marked "(voorlopig)" when CBS still revises it."""
        return _month_label(month, self.provisional)

    def buurten(self, year: int | None = None) -> pd.DataFrame:
        """The buurt rows of one year (default :attr:`year`)."""
        return self.yearly[self.yearly["year"] == (self.year if year is None else year)]


def buurt_data(ctx: ReportContext) -> BuurtData:
    """The area's wijk and buurt rows: yearly buurt totals with inhabitants, and the monthly
    counts of every wijk, buurt and offence type up to the report's latest month."""
    loaded = _neighbourhoods(ctx)
    data = loaded["data"]
    composition = ctx.composition
    gemeenten = dict(zip(composition["gemeente_code"], composition["gemeente_name"], strict=False))
    held = loaded["held"]
    codes = [code for code in ctx.codes if code in held]
    without = [gemeenten.get(code, code) for code in ctx.codes if code not in held]
    if not codes:
        raise NotAvailableForSource(
            f"Deze rapportage is niet beschikbaar voor {ctx.area.name}: de bron bevat geen wijk- "
            f"en buurtcijfers van {', '.join(without)}."
        )
    last_year = loaded["last_year"]
    year = min(int(ctx.report_year or last_year), last_year)
    totals = loaded["totals"]
    yearly = totals[np.isin(loaded["totals_gemeente"], codes) & (totals["year"] <= year).to_numpy()]
    index_end = int(loaded["last_month"].reindex(codes).max())
    if ctx.parameters.get("report_year") is not None:
        index_end = min(index_end, int(ctx.report_year) * 12 + 11)
    latest = pd.Period(year=index_end // 12, month=index_end % 12 + 1, freq="M")
    wide = loaded["wide"]
    wide = wide.loc[wide.index <= latest, np.isin(loaded["wide_gemeente"], codes)]
    wide = wide.loc[wide.notna().any(axis=1).to_numpy()]  # from the area's first month
    partial = data.partial_series[data.partial_series["gemeente_code"].isin(codes)]
    return BuurtData(
        area=ctx.area.name,
        codes=codes,
        without=without,
        yearly=yearly.reset_index(drop=True),
        year=year,
        monthly=wide,
        latest=latest,
        provisional=set(loaded["provisional"]),
        names=dict(loaded["names"]),
        gemeenten=gemeenten,
        offences=dict(loaded["offences"]),
        boundaries=data.boundaries,
        partial=partial.reset_index(drop=True),
        source_label=ctx.source_for(*TABLES),
    )


# --------------------------------------------------------------------------------------------
# Hot spots: empirical Bayes rates, funnels and persistence, per municipality
# --------------------------------------------------------------------------------------------


@dataclass
class HotSpots:
    """The buurten's smoothed rates, funnels and persistent hot spots, each municipality's
    buurten against their own municipality.

    Attributes
    ----------
    rates : pandas.DataFrame
        :class:`~rvs_analysis.stats.neighbourhood.EBRates` tables of the year, with
        ``gemeente_code``.
    spots : pandas.DataFrame
        :class:`~rvs_analysis.stats.neighbourhood.Hotspots` tables, with ``gemeente_code``.
    funnels : dict
        GM code -> :class:`~rvs_analysis.stats.neighbourhood.Funnel` of the window.
    too_few : list of str
        Municipalities with fewer than three buurten with a published count (no funnel).
    methods : list of str
        The English method texts of the results (for the record).
    """

    data: BuurtData
    rates: pd.DataFrame
    spots: pd.DataFrame
    funnels: dict
    too_few: list[str] = field(default_factory=list)
    window: list[int] = field(default_factory=list)
    specs: list[tuple[str, Any]] = field(default_factory=list)
    """What each method belongs to (Dutch) and its ``method_spec``, for "Technische details"."""

    @property
    def persistent(self) -> pd.DataFrame:
        """The persistent hot spots, highest z first."""
        if self.spots.empty:
            return self.spots
        return self.spots[self.spots["persistent"]].sort_values("last_z", ascending=False)

    @property
    def assessed(self) -> int:
        """Buurten assessed in at least one year of the window."""
        return int(len(self.spots))


def hot_spots(data: BuurtData) -> HotSpots:
    """Empirical Bayes rates of the year and persistent hot spots (above the 99.8% funnel limit
    of their municipality in at least 3 of the last 5 years), per municipality."""
    rates, spots, funnels, too_few, specs = [], [], {}, [], {}
    for code in data.codes:
        frame = data.yearly[data.yearly["gemeente_code"] == code]
        known = frame[(frame["year"] == data.year) & frame["registered_offences"].notna()]
        if len(known) < 3:
            too_few.append(data.gemeenten.get(code, code))
            continue
        try:
            smoothed = stats_nb.eb_rates(frame, year=data.year)
            found = stats_nb.persistent_hotspots(
                frame, k=HOTSPOT_K, n=HOTSPOT_N, last_year=data.year
            )
        except StatisticsInputError:
            too_few.append(data.gemeenten.get(code, code))
            continue
        rates.append(smoothed.table.assign(gemeente_code=code))
        spots.append(found.table.assign(gemeente_code=code))
        funnels[code] = found.funnel
        specs.setdefault("Afgevlakte buurtcijfers (kaart)", smoothed.method_spec)
        specs.setdefault("Trechter", found.funnel.method_spec)
        specs.setdefault("Blijvende hotspots", found.method_spec)
    window = list(range(data.year - HOTSPOT_N + 1, data.year + 1))
    return HotSpots(
        data=data,
        rates=pd.concat(rates, ignore_index=True) if rates else pd.DataFrame(),
        spots=pd.concat(spots, ignore_index=True) if spots else pd.DataFrame(),
        funnels=funnels,
        too_few=too_few,
        window=window,
        specs=list(specs.items()),
    )


def map_figure(spots: HotSpots):
    """The buurt map of the smoothed rates of the year, or one sentence why there is none."""
    data = spots.data
    if data.boundaries is None:
        return md(
            "Geen kaart: deze bron bevat geen buurtgrenzen (de gegeneraliseerde "
            "CBS-gebiedsindelingen van PDOK, bestand neighbourhoods.geojson); de cijfers staan "
            "in de tabellen hieronder."
        )
    buurten = data.buurten()
    withheld = buurten.loc[
        buurten["registered_offences"].isna() | ~(buurten["population"] > 0), "area_code"
    ]
    values = spots.rates.set_index("area_code")["eb_rate"] if not spots.rates.empty else pd.Series()
    return figures.neighbourhood_map(
        data.boundaries,
        values,
        data.source_label,
        "Misdrijven per 1.000 inwoners (afgevlakt)",
        codes=list(buurten["area_code"]),
        marked=list(spots.persistent["area_code"]) if not spots.spots.empty else [],
        withheld=list(withheld),
        names=data.names,
        title=f"Misdrijven per 1.000 inwoners per buurt, {data.area} {data.year}",
    )


def funnel_figure(spots: HotSpots):
    """The funnel of the year: for one municipality its buurten's rates against its own with
    the 99.8% limits; for several, each buurt's deviation from its own municipality in units
    of that municipality's funnel (the funnels straightened, one limit for all)."""
    data = spots.data
    if not spots.funnels:
        return md(
            "Geen trechter: geen gemeente van het gebied heeft drie of meer buurten met cijfers."
        )
    rows = []
    for funnel in spots.funnels.values():
        part = funnel.table[funnel.table["year"] == data.year]
        rows.append(part.assign(name=part["area_code"].map(data.names)))
    points = pd.concat(rows, ignore_index=True)
    if not data.several:
        funnel = next(iter(spots.funnels.values()))
        grid = np.geomspace(points["population"].min() * 0.8, points["population"].max() * 1.2, 80)
        limits = stats_nb.funnel_curve(funnel, data.year, grid)
        centre = float(funnel.years.loc[funnel.years["year"] == data.year, "rate"].iloc[0])
        return figures.funnel_plot(
            points,
            "population",
            "rate",
            "name",
            limits.rename(columns={"population": "denominator"}),
            centre,
            data.source_label,
            limit_columns={"99,8%-grenzen": ("lower", "upper")},
            title=f"Buurten tegen het gemiddelde van {data.area}, {data.year}",
            xlabel="Inwoners van de buurt",
            ylabel="Misdrijven per 1.000 inwoners",
            units="buurten",
        )
    q = float(stats.norm.ppf(1 - (1 - funnel_level(spots)) / 2))
    grid = np.geomspace(points["expected"].min() * 0.8, points["expected"].max() * 1.2, 20)
    limits = pd.DataFrame({"denominator": grid, "lower": -q, "upper": q})
    return figures.funnel_plot(
        points,
        "expected",
        "z",
        "name",
        limits,
        0.0,
        data.source_label,
        limit_columns={"99,8%-grenzen": ("lower", "upper")},
        title=f"Buurten tegen hun eigen gemeente, {data.area} {data.year}",
        xlabel="Verwacht aantal misdrijven (tarief van de eigen gemeente)",
        ylabel="Afwijking (eenheden van de eigen trechter)",
        decimals=0,
        units="buurten",
    )


def funnel_level(spots: HotSpots) -> float:
    """The two-sided level of the funnels (0.998)."""
    return float(next(iter(spots.funnels.values())).level)


def hot_spot_table(spots: HotSpots):
    """The persistent hot spots by name with their figures (nothing when there are none)."""
    found = spots.persistent
    if found.empty:
        return None
    data = spots.data
    rates = spots.rates.set_index("area_code") if not spots.rates.empty else pd.DataFrame()
    buurten = data.buurten().set_index("area_code")
    shown = pd.DataFrame(
        {
            "name": found["area_code"].map(data.names).to_numpy(),
            "gemeente": found["gemeente_code"].map(data.gemeenten).to_numpy(),
            "years": [
                f"{a} van {b}"
                for a, b in zip(found["years_above"], found["years_assessed"], strict=True)
            ],
            "count": found["area_code"].map(buurten["registered_offences"]).to_numpy(),
            "population": found["area_code"].map(buurten["population"]).to_numpy(),
            "rate": found["last_rate"].to_numpy(),
            "upper": found["last_upper"].to_numpy(),
            "eb": found["area_code"].map(rates.get("eb_rate", pd.Series(dtype=float))).to_numpy(),
            "eb_low": found["area_code"]
            .map(rates.get("ci_low", pd.Series(dtype=float)))
            .to_numpy(),
            "eb_high": found["area_code"]
            .map(rates.get("ci_high", pd.Series(dtype=float)))
            .to_numpy(),
        }
    )
    columns = {
        "name": "Buurt",
        "gemeente": "Gemeente",
        "years": f"Jaren boven de grens ({spots.window[0]}-{spots.window[-1]})",
        "count": f"Misdrijven {data.year}",
        "population": "Inwoners",
        "rate": "Per 1.000 inw.",
        "upper": "Bovengrens per 1.000",
        "eb": "Afgevlakt per 1.000",
        "eb_low": "95%-interval onder",
        "eb_high": "95%-interval boven",
    }
    if not data.several:
        columns.pop("gemeente")
    return table(
        shown,
        formats={
            "count": _count,
            "population": _count,
            "rate": "num",
            "upper": "num",
            "eb": "num",
            "eb_low": "num",
            "eb_high": "num",
        },
        columns=columns,
        caption=(
            "Blijvende hotspots met hun cijfers (per 1.000 inwoners en bovengrens: het laatste "
            "beoordeelde jaar; 'niet gepubliceerd': "
            "CBS publiceerde het cijfer niet, nooit als 0 geteld)"
        ),
    )


def hot_spot_sentence(spots: HotSpots):
    """How many buurten are persistent hot spots, by name, and what chance alone would give."""
    found = spots.persistent
    data = spots.data
    window = f"{spots.window[0]}-{spots.window[-1]}"
    expected = HOTSPOT_FALSE_ALARMS * spots.assessed
    chance = (
        f"Bij {fmt_int(spots.assessed)} beoordeelde buurten zonder echte uitschieters wijst deze "
        f"regel er door toeval gemiddeld {fmt_num(expected, 1)} aan (simulatie: "
        f"{fmt_pct(100 * HOTSPOT_FALSE_ALARMS, 1)} van de gewone buurten)."
    )
    few = (
        f" Geen trechter voor {', '.join(spots.too_few)}: minder dan drie buurten met cijfers."
        if spots.too_few
        else ""
    )
    if found.empty:
        return md(
            "Geen buurt van {area} lag in {k} of meer van de jaren {window} boven de bovengrens "
            "van de eigen gemeente. {chance}{few}",
            area=data.area,
            k=HOTSPOT_K,
            window=window,
            chance=chance,
            few=few,
        )
    names = [data.names.get(code, code) for code in found["area_code"]]
    return md(
        "{n} van {area} {verb} in minstens {k} van de jaren {window} boven de bovengrens (99,8%) "
        "van de eigen gemeente: {names}. {chance}{few}",
        n=f"{len(names)} buurt" if len(names) == 1 else f"{len(names)} buurten",
        area=data.area,
        verb="lag" if len(names) == 1 else "lagen",
        k=HOTSPOT_K,
        window=window,
        names=", ".join(names),
        chance=chance,
        few=few,
    )


# --------------------------------------------------------------------------------------------
# Monthly signals
# --------------------------------------------------------------------------------------------


@dataclass
class MonthSignals:
    """The latest months of every wijk, buurt and offence type against their own baseline.

    Attributes
    ----------
    table : pandas.DataFrame or None
        :class:`~rvs_analysis.stats.surveillance.Signals` table (``area_code, offence_code,
        month, observed, expected, upper, alarm, ...``); ``None`` without enough months.
    reason : str
        Why there are no signals (Dutch), when ``table`` is ``None``.
    """

    data: BuurtData
    table: pd.DataFrame | None
    reason: str = ""
    spec: Any = None
    """The ``method_spec`` of the signals (``None`` without them)."""

    @property
    def judged(self) -> pd.DataFrame:
        """The area-months with a verdict (published, long enough baseline)."""
        if self.table is None:
            return pd.DataFrame()
        return self.table[self.table["status"] == "ok"]

    @property
    def flagged(self) -> pd.DataFrame:
        """The area-months that gave a signal."""
        judged = self.judged
        if judged.empty:
            return judged
        return judged[judged["alarm"].fillna(False).astype(bool)]

    @property
    def withheld(self) -> int:
        """Area-months looked at whose count CBS did not publish."""
        return 0 if self.table is None else int((self.table["status"] == "withheld").sum())

    @property
    def expected_by_chance(self) -> float:
        """Signals chance alone gives among the judged area-months (the rate on record)."""
        return SIGNAL_FALSE_ALARMS * len(self.judged)


def month_signals(data: BuurtData) -> MonthSignals:
    """Signals of the latest three months per wijk, buurt and offence type (improved
    Farrington on months, 99.5% threshold, at least 3 offences)."""
    wide = data.monthly
    first = data.latest - (LATEST_MONTHS - 1)
    looked = wide.loc[wide.index >= first]
    alive = looked.notna().any(axis=0) | wide.loc[wide.index < first].tail(12).notna().any(axis=0)
    wide = wide.loc[:, alive.to_numpy()]
    if wide.empty:
        return MonthSignals(data, None, "geen maandcijfers per wijk of buurt in deze periode")
    try:
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            found = surveillance.monthly_signals(wide, latest=LATEST_MONTHS)
    except StatisticsInputError:
        return MonthSignals(
            data,
            None,
            f"minder dan {surveillance.MIN_BASELINE_MONTHS} maanden vóór de laatste "
            f"{LATEST_MONTHS} om een seizoenspatroon op te baseren",
        )
    return MonthSignals(data, found.table, spec=found.method_spec)


def signal_table(signals: MonthSignals):
    """The signals by wijk or buurt name: what was counted, expected and the threshold."""
    flagged = signals.flagged
    if flagged.empty:
        return None
    data = signals.data
    flagged = flagged.assign(
        name=flagged["area_code"].map(data.names),
        kind=flagged["area_code"].str[:2].map({"WK": "wijk", "BU": "buurt"}),
        offence=flagged["offence_code"].map(data.offences),
        month_text=[data.month_label(month) for month in flagged["month"]],
        ratio=(flagged["observed"] / flagged["expected"]).where(flagged["expected"] >= 0.5),
        order=[str(month) for month in flagged["month"]],
    ).sort_values(["name", "offence", "order"])
    return table(
        flagged,
        formats={
            "observed": _count,
            "expected": "num",
            "upper": _count,
            "ratio": lambda value: "–" if is_missing(value) else fmt_num(value, 1) + "×",
        },
        columns={
            "name": "Wijk of buurt",
            "kind": "Soort",
            "offence": "Misdrijf",
            "month_text": "Maand",
            "observed": "Geteld",
            "expected": "Verwacht",
            "upper": "Signaalgrens (99,5%)",
            "ratio": "Geteld / verwacht",
        },
        caption=(
            "Signalen per wijk en buurt; verwacht: uit het eigen seizoenspatroon en de eigen "
            "trend van de vijf jaar ervoor; "
            "een signaal is een telling boven de signaalgrens en minstens 3 misdrijven. Geen "
            "verhouding waar minder dan 0,5 verwacht werd."
        ),
    )


def signal_sentence(signals: MonthSignals):
    """How many signals, how many chance alone gives, and the withheld area-months."""
    data = signals.data
    if signals.table is None:
        return md("Geen maandsignalen: {reason}.", reason=signals.reason)
    judged = len(signals.judged)
    months = f"{data.month_label(data.latest - (LATEST_MONTHS - 1))} tot en met {data.month_label(data.latest)}"
    flagged = signals.flagged
    count = len(flagged)
    series = flagged[["area_code", "offence_code"]].drop_duplicates()
    names = sorted({data.names.get(code, code) for code in series["area_code"]})
    found = (
        f"gaven {fmt_int(count)} wijk- of buurtmaanden een signaal, in {fmt_int(len(names))} "
        f"{'gebied' if len(names) == 1 else 'gebieden'}: {', '.join(names)}"
        if count
        else "gaf geen wijk of buurt een signaal"
    )
    withheld = (
        f" {fmt_int(signals.withheld)} gebied-maanden zijn niet gepubliceerd en zijn niet beoordeeld."
        if signals.withheld
        else ""
    )
    return md(
        "Van {months} {found}. Beoordeeld zijn {judged} combinaties van gebied, misdrijfsoort en "
        "maand; in gewone maanden geeft de methode bij {rate} daarvan een vals signaal, hier "
        "dus ongeveer {chance} door toeval alleen. Een signaal in een enkele maand is daarom een "
        "reden om te kijken, geen bewijs; een signaal dat drie maanden aanhoudt weegt zwaarder.{withheld}",
        months=months,
        found=found,
        judged=fmt_int(judged),
        rate=fmt_pct(100 * SIGNAL_FALSE_ALARMS, 2),
        chance=fmt_num(signals.expected_by_chance, 0),
        withheld=withheld,
    )


# --------------------------------------------------------------------------------------------
# Concentration and the nowcast
# --------------------------------------------------------------------------------------------


def buurt_concentration(data: BuurtData):
    """The share of offences in the top 10% of the area's buurten in the year, with its interval
    and the change from five years earlier (``None`` with fewer than two buurten)."""
    years = sorted(set(data.yearly["year"]))
    earlier = (
        data.year - 5 if data.year - 5 in years else (years[0] if years[0] < data.year else None)
    )
    try:
        return stats_nb.concentration(data.yearly, year=data.year, compare_year=earlier)
    except StatisticsInputError:
        return None


def concentration_sentence(data: BuurtData, result):
    """The concentration in words."""
    if result is None:
        return md("Geen concentratiemaat: te weinig buurten met gepubliceerde cijfers.")
    row = result.years[result.years["year"] == data.year].iloc[0]
    change = result.change
    moved = ""
    if change is not None:
        low, high = 100 * change["ci_low"], 100 * change["ci_high"]
        verdict = (
            "statistisch significant" if low > 0 or high < 0 else "statistisch niet aantoonbaar"
        )
        moved = (
            f" In {change['from_year']} was dat {fmt_pct(100 * result.years.iloc[0]['share'])}; "
            f"het verschil is {fmt_num(100 * change['difference'], 1, signed=True)} procentpunt "
            f"(95%-interval {fmt_num(low, 1, signed=True)} tot {fmt_num(high, 1, signed=True)}; "
            f"{verdict})."
        )
    return md(
        "In {year} vielen naar schatting {share} van de misdrijven in {area} in de {top} buurten "
        "met de meeste misdrijven (de bovenste 10% van {n} buurten; 95%-interval {low} tot "
        "{high}). {observed}{moved}",
        year=data.year,
        share=fmt_pct(100 * row["share"]),
        area=data.area,
        top=fmt_int(row["n_top"]),
        n=fmt_int(row["n_areas"]),
        low=fmt_pct(100 * row["ci_low"]),
        high=fmt_pct(100 * row["ci_high"]),
        observed=(
            f"Geteld was dat {fmt_pct(100 * row['observed_share'])}: buurten die toevallig hoog "
            "uitvallen komen vanzelf bovenaan, daarom is de schatting lager."
            if fmt_pct(100 * row["observed_share"]) != fmt_pct(100 * row["share"])
            else "Geteld was dat ook zo."
        ),
        moved=moved,
    )


@dataclass
class YearNowcast:
    """The nowcast of the year of the latest month for the area, per offence type.

    Attributes
    ----------
    table : pandas.DataFrame or None
        :class:`~rvs_analysis.stats.nowcast.Nowcast` table, one row per offence type.
    year : int
    reason : str
    """

    data: BuurtData
    table: pd.DataFrame | None
    year: int
    reason: str = ""
    spec: Any = None
    """The ``method_spec`` of the nowcast (``None`` without one)."""

    @property
    def total(self):
        """The row of Totaal misdrijven (``None`` without a nowcast)."""
        if self.table is None:
            return None
        rows = self.table[self.table["offence_code"] == TOTAL]
        return None if rows.empty else rows.iloc[0]


def year_nowcast(data: BuurtData) -> YearNowcast:
    """The current year's total per offence type from the months published so far: the sum of
    the area's wijken (a month with a withheld wijk is unknown, predicted like a month to come)."""
    wide = data.monthly
    wijken = [column for column in wide.columns if str(column[0]).startswith("WK")]
    year = int(data.latest.year)
    if not wijken:
        return YearNowcast(data, None, year, "geen maandcijfers per wijk")
    part = wide[wijken]
    by_offence = part.T.groupby(level="offence_code")
    sums = by_offence.sum(min_count=1).T
    unknown = by_offence.apply(lambda frame: frame.isna().any(axis=0)).T
    counts = sums.where(~unknown)
    try:
        found = stats_nowcast.nowcast_year_total(counts, year=year)
    except StatisticsInputError:
        return YearNowcast(data, None, year, "te weinig volledige eerdere jaren van maandcijfers")
    return YearNowcast(data, found.table, year, spec=found.method_spec)


def nowcast_sentence(now: YearNowcast):
    """The nowcast of the year in words."""
    data = now.data
    row = now.total
    if row is None:
        return md(
            "Geen prognose van het lopende jaar: {reason}.", reason=now.reason or "geen cijfers"
        )
    scope = (
        f" (zonder {', '.join(data.without)}: geen wijk- en buurtcijfers)" if data.without else ""
    )
    if row["status"] == "complete":
        return md(
            "{year} is compleet: {area}{scope} telde {total} misdrijven.",
            year=now.year,
            area=data.area,
            scope=scope,
            total=fmt_int(row["year_to_date"]),
        )
    months = int(row["months_observed"])
    return md(
        "Prognose {year}: {area}{scope} komt naar verwachting uit op {nowcast} misdrijven "
        "(95%-voorspellingsinterval {low} tot {high}). Tot en met {latest} zijn er {so_far} "
        "geteld in {months} maanden; volgens het seizoenspatroon van eerdere jaren is dat "
        "{share} van een jaar.",
        year=now.year,
        area=data.area,
        scope=scope,
        nowcast=fmt_int(row["nowcast"]),
        low=fmt_int(row["pi_low"]),
        high=fmt_int(row["pi_high"]),
        latest=data.month_label(data.latest),
        so_far=fmt_int(row["year_to_date"]),
        months=months,
        share=fmt_pct(100 * row["share_observed"], 0),
    )


def nowcast_table(now: YearNowcast):
    """The nowcast per offence type."""
    if now.table is None:
        return None
    shown = now.table.assign(offence=now.table["offence_code"].map(now.data.offences)).sort_values(
        "offence_code"
    )
    return table(
        shown,
        formats={"year_to_date": _count, "nowcast": _count, "pi_low": _count, "pi_high": _count},
        columns={
            "offence": "Misdrijf",
            "year_to_date": f"Geteld tot en met {now.data.month_label(now.data.latest)}",
            "nowcast": f"Prognose {now.year}",
            "pi_low": "95%-interval onder",
            "pi_high": "95%-interval boven",
        },
        caption=f"Prognose {now.year} per misdrijfsoort",
    )


# --------------------------------------------------------------------------------------------
# The report's frame: kernboodschap, what open data cannot show, methods, summary
# --------------------------------------------------------------------------------------------


def key_message_of(spots: HotSpots, signals: MonthSignals, concentration=None, now=None):
    """The kernboodschap: the persistent hot spots, the signals of the latest months against
    what chance gives, and the concentration with the nowcast."""
    data = spots.data
    found = spots.persistent
    if found.empty:
        first = (
            f"Geen buurt van {data.area} lag in {HOTSPOT_K} of meer van de laatste "
            f"{HOTSPOT_N} jaren boven de grens van de eigen gemeente."
        )
    else:
        names = [data.names.get(code, code) for code in found["area_code"]]
        first = (
            f"{len(names)} {'buurt is een blijvende hotspot' if len(names) == 1 else 'buurten zijn blijvende hotspots'} "
            f"(in minstens {HOTSPOT_K} van de laatste {HOTSPOT_N} jaren boven de grens van de "
            f"eigen gemeente): {', '.join(names)}."
        )
    count = len(signals.flagged)
    second = (
        f"In de laatste {LATEST_MONTHS} maanden (tot en met {data.month_label(data.latest)}) "
        f"{'gaf' if count == 1 else 'gaven'} {fmt_int(count)} wijk- of buurtmaanden een signaal; "
        f"door toeval alleen zijn er ongeveer {fmt_num(signals.expected_by_chance, 0)} te verwachten."
        if signals.table is not None
        else "Geen maandsignalen: te weinig maandcijfers."
    )
    third = []
    if concentration is not None:
        row = concentration.years[concentration.years["year"] == data.year].iloc[0]
        third.append(
            f"De 10% buurten met de meeste misdrijven hadden in {data.year} naar schatting "
            f"{fmt_pct(100 * row['share'])} van alle misdrijven."
        )
    total = None if now is None else now.total
    if total is not None and total["status"] == "ok":
        third.append(
            f"Prognose {now.year}: {fmt_int(total['nowcast'])} misdrijven (95%-interval "
            f"{fmt_int(total['pi_low'])} tot {fmt_int(total['pi_high'])})."
        )
    return key_message([first, second, " ".join(third)])


def open_data_limits(data: BuurtData):
    """What open data cannot show, and the buurten whose series start or end at a recoding."""
    recoded = ""
    if not data.partial.empty:
        starts = data.partial[data.partial["starts_late"]]
        ends = data.partial[data.partial["ends_early"]]
        parts = []
        if len(starts):
            parts.append(
                "begint bij een hercodering voor "
                + ", ".join(
                    f"{name} (vanaf {int(year)})"
                    for name, year in zip(starts["area_name"], starts["first_year"], strict=True)
                )
            )
        if len(ends):
            parts.append(
                "eindigt bij een hercodering voor "
                + ", ".join(
                    f"{name} (tot en met {int(year)})"
                    for name, year in zip(ends["area_name"], ends["last_year"], strict=True)
                )
            )
        recoded = (
            " CBS gaf geen sleutel tussen oude en nieuwe buurtcodes: de reeks "
            + "; de reeks ".join(parts)
            + "."
        )
    without = (
        f" Voor {', '.join(data.without)} bevat de bron geen wijk- en buurtcijfers."
        if data.without
        else ""
    )
    return md(
        "De open cijfers tellen misdrijven per buurt, maand en soort zoals de politie ze "
        "registreert. Ze tonen geen adressen of straten, geen tijdstip van de dag of dag van de "
        "week, en geen misdrijfsoorten buiten de {n} soorten van de tabel (zoals fraude, "
        "cybercrime en witwassen per buurt). Een cel die CBS niet publiceert (te weinig "
        "gevallen of inwoners) staat hier als 'niet gepubliceerd', nooit als 0; de laatste "
        "maand is voorlopig en kan nog veranderen.{recoded}{without}",
        n=len(data.offences) - (1 if TOTAL in data.offences else 0),
        recoded=recoded,
        without=without,
    )


def methods(
    ctx: ReportContext, spots: HotSpots, signals: MonthSignals, concentration=None, now=None
):
    """The "Methode en bronnen" section of the neighbourhood report."""
    return methods_block(
        ctx,
        methods=[
            "Afgevlakte buurtcijfers: empirisch Bayes (Poisson-gamma) per gemeente en jaar, "
            "momentschattingen van Marshall (1991); 95%-intervallen uit de gamma-posterior. "
            "Ruwe cijfers van kleine buurten worden niet gerangschikt.",
            f"Trechter en hotspots: 99,8%-grenzen rond het gemiddelde van de eigen gemeente op "
            "de wortelschaal van geteld/verwacht, verbreed met een additief random effect voor "
            "de gewone spreiding tussen buurten (Spiegelhalter 2005; DerSimonian-Laird, 5% "
            f"gewinsoriseerd). Blijvend: boven de bovengrens in minstens {HOTSPOT_K} van de "
            f"laatste {HOTSPOT_N} jaren; een jaar met een niet gepubliceerd cijfer telt niet mee.",
            "Maandsignalen: verbeterde Farrington-methode (Noufaily e.a. 2013) per wijk, buurt "
            "en misdrijfsoort: een quasi-Poissonmodel met maandeffecten en een trend (alleen als "
            "die significant is) op de vijf jaar vóór de laatste drie maanden, uitschieters "
            "afgezwakt; signaal boven het 99,5%-kwantiel van een negatief-binomiale verdeling "
            "(met de onzekerheid van de voorspelling) en bij minstens 3 misdrijven. Een "
            "kalendermaand zonder één misdrijf in de basisperiode krijgt geen eigen maandeffect "
            "(dat zou 0 voorspellen): de verwachting komt dan uit het model zonder maandeffecten.",
            "Concentratie: aandeel van de verwachte misdrijven in de 10% buurten met de meeste, "
            "mediaan en 95%-interval van 2.000 trekkingen uit de empirisch-Bayesverdeling met de "
            "onzekerheid van de verdeling zelf (parametrische bootstrap van Laird en Louis).",
            "Prognose van het lopende jaar: quasi-Poissonmodel met een niveau per jaar en "
            "maandeffecten op de vijf volledige jaren ervoor en de maanden van dit jaar; de "
            "resterende maanden voorspeld met proces- en schattingsonzekerheid (95%-interval uit "
            "een gammaverdeling).",
        ],
        assumptions=[
            "Het seizoenspatroon en de trend van de basisperiode lopen door; buurten zijn "
            "onafhankelijk van elkaar.",
            "Registratie is niet hetzelfde als voorkomen: meer toezicht in een buurt geeft meer "
            "geregistreerde misdrijven.",
        ],
        limitations=[
            *filter(None, [open_data_line(ctx.dataset, TABLES)]),
            "Geen adressen, tijdstippen of misdrijfsoorten buiten de tabel; niet gepubliceerde "
            "cellen blijven onbekend en tellen nergens als 0.",
            f"Valse signalen op record (simulaties in docs/statistical_properties.md): "
            f"{fmt_pct(100 * SIGNAL_FALSE_ALARMS, 2)} van de gewone gebied-maanden, "
            f"{fmt_pct(100 * HOTSPOT_FALSE_ALARMS, 1)} van de gewone buurten als blijvende hotspot.",
        ],
        technical=[
            *spots.specs,
            *([("Maandsignalen", signals.spec)] if signals.spec is not None else []),
            *(
                [("Concentratie in de 10% buurten", concentration.method_spec)]
                if concentration is not None
                else []
            ),
            *([(f"Prognose {now.year}", now.spec)] if now is not None and now.spec else []),
        ],
    )


def record_summary(
    ctx: ReportContext, spots: HotSpots, signals: MonthSignals, concentration=None, now=None
) -> None:
    """Record the hot spots, the signals (with the number judged), the concentration and the
    nowcast in ``ctx.summary``; the headline is the number of signals and of hot spots, each
    linked on the index to its section of the report."""
    data = spots.data
    found = spots.persistent
    codes = [] if found.empty else list(found["area_code"])
    flagged = signals.flagged
    ctx.summary.add(
        "persistent_hotspots",
        (len(codes), math.nan, math.nan),
        areas=codes,
        buurten_assessed=spots.assessed,
        window=spots.window,
    )
    ctx.summary.add(
        "monthly_signals",
        (len(flagged), math.nan, math.nan),
        judged=len(signals.judged),
        withheld=signals.withheld,
        latest_month=str(data.latest),
        flagged=[
            {
                "area_code": str(row.area_code),
                "offence_code": str(row.offence_code),
                "month": str(row.month),
            }
            for row in flagged.itertuples(index=False)
        ],
    )
    if concentration is not None:
        row = concentration.years[concentration.years["year"] == data.year].iloc[0]
        ctx.summary.add(
            "top10_share", (row["share"], row["ci_low"], row["ci_high"]), year=data.year
        )
    total = None if now is None else now.total
    if total is not None and total["status"] == "ok":
        ctx.summary.add(
            "nowcast_total", (total["nowcast"], total["pi_low"], total["pi_high"]), year=now.year
        )
    ctx.summary.set_headline(
        f"Signalen {data.month_label(data.latest - (LATEST_MONTHS - 1))} – "
        f"{data.month_label(data.latest)}",
        len(flagged),
        section=SIGNALS_HEADING,
    )
    ctx.summary.set_headline("Blijvende hotspots", len(codes), section=HOT_SPOTS_HEADING)
