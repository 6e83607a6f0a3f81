"""This year so far: the nowcast of the year under way, for the monitor and crime_change.

When the source has months of a year after the report's last year and that year is not complete
(fewer than 12 published months), :func:`this_year` nowcasts its total for the report's area
(region, district or municipality) with :func:`rvs_analysis.stats.nowcast.nowcast_year_total`:
the months published so far plus what the rest of the year brings, given the seasonal share of
those months in the earlier years and this year's own level, with a 95% prediction interval whose
coverage is on record (``nowcast-coverage``). :class:`YearToDate` words it in Dutch ("Dit jaar
tot nu toe"), names its method for "Methode en bronnen" and records it in the summary
(:func:`record_year_to_date`). Without such a year it says in one sentence why there is no
nowcast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rvs_analysis.report.area_data import monthly_to_date
from rvs_analysis.report.context import ReportContext
from rvs_analysis.report.wording import MONTHS_NL, fmt_int, fmt_month, fmt_num, fmt_pct, md
from rvs_analysis.stats import nowcast

__all__ = [
    "YearToDate",
    "month_span",
    "record_year_to_date",
    "this_year",
]

STATUSES = {
    "ok": "the nowcast of the year under way",
    "no_months": "the source has no monthly counts of the offence type for the area",
    "complete": "the latest published month ends a year, or lies within the report's years",
    "earlier_report": "the report is about an earlier year than the source's latest complete one",
    "too_few_years": "fewer than nowcast.MIN_PAST_YEARS complete earlier years of months",
    "nothing_published": "every month of the year under way so far is withheld",
}
"""What each :attr:`YearToDate.status` means."""


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]


def month_span(last: int) -> str:
    """January up to month ``last`` in Dutch: ``"januari tot en met september"``.

    Parameters
    ----------
    last : int
        The last month (1-12).

    Returns
    -------
    str
        ``"januari"``, ``"januari en februari"`` or ``"januari tot en met <month>"``.
    """
    if last == 1:
        return MONTHS_NL[0]
    if last == 2:
        return f"{MONTHS_NL[0]} en {MONTHS_NL[1]}"
    return f"{MONTHS_NL[0]} tot en met {MONTHS_NL[last - 1]}"


@dataclass
class YearToDate:
    """The year under way for the report's area: its nowcast, or why there is none.

    Attributes
    ----------
    area : str
    status : str
        One of :data:`STATUSES`.
    noun : str
        The offences in Dutch, plural (``"woninginbraken"``).
    key : str
        The summary's name stem (``"burglary"`` -> ``burglary_nowcast``).
    latest : pandas.Period or None
        The latest month in the monthly table for the area.
    report_last : int or None
        The report's last year.
    source_last : int or None
        The latest year of the source's yearly counts.
    result : rvs_analysis.stats.nowcast.Nowcast or None
        The nowcast (status ``ok`` and ``nothing_published``).
    past_years : int
        Complete earlier years of months within the nowcast's window.
    provisional_months : tuple of int
        The months of the year under way the monthly table marks provisional.
    withheld_months : tuple of int
        The months of the year under way up to the latest whose count is not published.
    previous_total : float or None
        The previous year's total summed from its twelve months (None when one is missing).
    previous_provisional : bool
        Whether the previous year's figures are provisional.
    mean_monthly : float
        The mean count a month over the months the nowcast rests on.
    """

    area: str
    status: str
    noun: str = "woninginbraken"
    key: str = "burglary"
    latest: pd.Period | None = None
    report_last: int | None = None
    source_last: int | None = None
    result: nowcast.Nowcast | None = None
    past_years: int = 0
    provisional_months: tuple[int, ...] = ()
    withheld_months: tuple[int, ...] = ()
    previous_total: float | None = None
    previous_provisional: bool = False
    mean_monthly: float = float("nan")

    @property
    def available(self) -> bool:
        """Whether there is a nowcast to show."""
        return self.status == "ok"

    @property
    def year(self) -> int | None:
        """The year of the latest published month."""
        return None if self.latest is None else int(self.latest.year)

    @property
    def row(self) -> pd.Series:
        """The nowcast's row (``year_to_date, nowcast, pi_low, pi_high, ...``)."""
        if self.result is None:
            raise ValueError(f"No nowcast for {self.area}: {STATUSES[self.status]}.")
        return self.result.table.iloc[0]

    def previous_label(self) -> str:
        """``"2025"`` or ``"2025 (voorlopig)"``."""
        previous = int(self.year) - 1
        return f"{previous} (voorlopig)" if self.previous_provisional else str(previous)

    def sentence(self):
        """The section's text: the nowcast with its interval and the comparison with the
        previous year, or one sentence why there is none."""
        return md("{text}", text=" ".join(self.sentences()))

    def sentences(self) -> list[str]:
        """The section's sentences as plain Dutch text (see :meth:`sentence`)."""
        if self.status == "no_months":
            return [
                f"Maandcijfers van {self.noun} zijn niet beschikbaar voor deze bron; een "
                "verwachting voor het lopende jaar vervalt."
            ]
        if self.status == "complete":
            end = (
                "een volledig jaar"
                if self.latest.month == 12
                else f"niet verder dan het laatste jaar van dit rapport ({self.report_last})"
            )
            return [
                "Er is geen onvolledig jaar om een verwachting voor te maken: de maandcijfers "
                f"van {self.noun} lopen tot en met {fmt_month(self.latest.to_timestamp())}, "
                f"{end}."
            ]
        if self.status == "earlier_report":
            return [
                f"Dit rapport gaat over {self.report_last}, niet over het laatste jaar met "
                f"jaarcijfers ({self.source_last}); een verwachting voor het lopende jaar "
                f"{self.year} (maandcijfers tot en met "
                f"{fmt_month(self.latest.to_timestamp())}) hoort daar niet bij."
            ]
        if self.status == "too_few_years":
            have = "is er" if self.past_years == 1 else "zijn er"
            return [
                f"Voor een verwachting van {self.year} zijn de maandcijfers van minstens "
                f"{nowcast.MIN_PAST_YEARS} volledige eerdere jaren nodig (voor het "
                f"seizoenspatroon); voor {self.area} {have} {self.past_years}."
            ]
        if self.status == "nothing_published":
            return [
                f"Van {self.year} is voor {self.area} nog geen maand gepubliceerd "
                f"({month_span(self.latest.month)} niet gepubliceerd); een verwachting vervalt."
            ]
        sentences = [self._nowcast_sentence(), self._so_far_sentence(), *self._comparison()]
        if not self._in_checked_range():
            sentences.append(self._coverage_caveat())
        return sentences

    def _nowcast_sentence(self) -> str:
        row = self.row
        notes = []
        if self.withheld_months:
            withheld = _listed([MONTHS_NL[m - 1] for m in self.withheld_months])
            notes.append(
                f"{withheld} {'is' if len(self.withheld_months) == 1 else 'zijn'} niet "
                "gepubliceerd en, net als de komende maanden, voorspeld"
            )
        if self.provisional_months:
            names = _listed([MONTHS_NL[m - 1] for m in self.provisional_months])
            notes.append(
                f"het cijfer van {names} is voorlopig"
                if len(self.provisional_months) == 1
                else f"de cijfers van {names} zijn voorlopig"
            )
        extra = "".join(f"; {note}" for note in notes)
        return (
            f"Verwachting {self.year} voor {self.area}: {fmt_int(row['nowcast'])} {self.noun} "
            f"(95%-interval {fmt_int(row['pi_low'])} tot {fmt_int(row['pi_high'])}), op basis "
            f"van {month_span(self.latest.month)} {self.year}{extra}."
        )

    def _so_far_sentence(self) -> str:
        row = self.row
        when = (
            "In de gepubliceerde maanden"
            if self.withheld_months
            else f"Tot en met {MONTHS_NL[self.latest.month - 1]}"
        )
        return (
            f"{when} zijn er {fmt_int(row['year_to_date'])} geregistreerd; de rest is de "
            "verwachting voor de overige maanden, met het seizoenspatroon van de voorgaande jaren "
            f"en het niveau van {self.year} tot nu toe."
        )

    def _comparison(self) -> list[str]:
        row = self.row
        previous = self.year - 1
        if self.previous_total is None:
            return [
                f"Het totaal van {previous} is niet uit de maandcijfers op te tellen (niet elke "
                "maand is gepubliceerd); een vergelijking vervalt."
            ]
        change = 100 * (row["nowcast"] / self.previous_total - 1) if self.previous_total else None
        if change is None:
            compared = ""
        elif round(abs(change)) == 0:
            compared = f"; de verwachting voor {self.year} is daarmee vrijwel gelijk"
        else:
            direction = "hoger" if change > 0 else "lager"
            compared = (
                f"; de verwachting voor {self.year} ligt daarmee {fmt_pct(abs(change), 0)} "
                f"{direction}"
            )
        first = (
            f"In {self.previous_label()} waren het er {fmt_int(self.previous_total)} (som van de "
            f"maandcijfers){compared}."
        )
        if self.previous_total < row["pi_low"]:
            verdict = (
                f"Het totaal van {previous} ligt onder het 95%-interval: {self.year} komt naar "
                f"verwachting hoger uit dan {previous}."
            )
        elif self.previous_total > row["pi_high"]:
            verdict = (
                f"Het totaal van {previous} ligt boven het 95%-interval: {self.year} komt naar "
                f"verwachting lager uit dan {previous}."
            )
        else:
            verdict = (
                f"Het totaal van {previous} ligt binnen het 95%-interval: of {self.year} hoger "
                f"of lager uitkomt dan {previous}, is nog niet te zeggen."
            )
        return [first, verdict]

    def _in_checked_range(self) -> bool:
        low, high = nowcast.COVERAGE_CHECKED
        return bool(low <= self.mean_monthly <= high)

    def _coverage_caveat(self) -> str:
        low, high = nowcast.COVERAGE_CHECKED
        side = "onder" if self.mean_monthly < low else "boven"
        return (
            f"Met gemiddeld {fmt_num(self.mean_monthly, 1)} {self.noun} per maand ligt "
            f"{self.area} {side} de {fmt_int(low)} tot {fmt_int(high)} per maand waarvoor de "
            "dekking van dit interval in simulatie is nagegaan; lees het als een benadering."
        )

    def methods_lines(self) -> list[str]:
        """The method in Dutch for "Methode en bronnen" (none without a nowcast)."""
        if not self.available:
            return []
        past = self.result.past_years
        low, high = nowcast.COVERAGE_CHECKED
        return [
            f"Dit jaar tot nu toe: de gepubliceerde maanden van {self.year} plus de verwachte "
            "overige maanden. Het seizoensaandeel van die maanden komt uit de maandcijfers van "
            f"{past[0]}-{past[-1]} (quasi-Poisson-model met een niveau per jaar en "
            f"maandeffecten), het niveau van {self.year} uit de eigen maanden van dat jaar, zodat "
            "de trend tussen jaren geen apart model nodig heeft. Het 95%-voorspellingsinterval "
            "neemt de ruis van de overige maanden (met overdispersie) en de onzekerheid van de "
            "schatting mee; de dekking is in simulatie nagegaan voor reeksen van "
            f"{fmt_int(low)} tot {fmt_int(high)} misdrijven per maand "
            "(docs/statistical_properties.md, nowcast-coverage). Aanname: het seizoenspatroon "
            "van de voorgaande jaren geldt ook dit jaar.",
        ]

    @property
    def methods(self) -> list[tuple[str, Any]]:
        """``(what it belongs to, method_spec)`` for "Technische details"."""
        if not self.available:
            return []
        return [(f"Verwachting {self.noun} {self.year}", self.result.method_spec)]

    def uses_monthly_table(self) -> bool:
        """Whether the section read the monthly table (its source names 47022NED)."""
        return self.latest is not None


def this_year(
    ctx: ReportContext,
    offence_code: str = "1.1.1",
    noun: str = "woninginbraken",
    key: str = "burglary",
) -> YearToDate:
    """The year under way for the report's area: its nowcast, or why there is none.

    Parameters
    ----------
    ctx : ReportContext
    offence_code : str, default "1.1.1"
    noun : str, default "woninginbraken"
        The offences in Dutch, plural, as the text names them.
    key : str, default "burglary"
        The summary's name stem (:func:`record_year_to_date`).

    Returns
    -------
    YearToDate

    Notes
    -----
    The year under way is the year of the latest month in the source's monthly counts for the
    area (:func:`~rvs_analysis.report.area_data.monthly_to_date`). It is nowcast when it has
    fewer than 12 months, lies after the report's last year, and the report is about the
    source's latest complete year (a report about an earlier year, ``report_year``, has no
    nowcast). The nowcast uses the five complete years before it that lie within the report's
    period (at least :data:`~rvs_analysis.stats.nowcast.MIN_PAST_YEARS`).
    """
    base = {"area": ctx.area.name, "noun": noun, "key": key}
    years = ctx.years()
    report_last = max(years) if years else None
    source_last = max(ctx.dataset.years)
    months = monthly_to_date(ctx, offence_code)
    if months is None:
        return YearToDate(status="no_months", **base)
    latest = months.index[-1]
    base |= {"latest": latest, "report_last": report_last, "source_last": source_last}
    year = int(latest.year)
    if latest.month == 12 or (report_last is not None and year <= report_last):
        return YearToDate(status="complete", **base)
    if report_last is not None and report_last < source_last:
        return YearToDate(status="earlier_report", **base)
    first_full = int(months.index[0].year) + (0 if months.index[0].month == 1 else 1)
    past = [one for one in range(year - 5, year) if one >= first_full]
    if len(past) < nowcast.MIN_PAST_YEARS:
        return YearToDate(status="too_few_years", past_years=len(past), **base)
    window = months[months.index.year >= past[0]]
    counts = window[["registered_offences"]].rename(columns={"registered_offences": ctx.area.name})
    result = nowcast.nowcast_year_total(counts, year=year)
    this = window[window.index.year == year]
    previous = window[window.index.year == year - 1]
    withheld = tuple(int(m) for m in this.index[this["registered_offences"].isna()].month)
    status = "nothing_published" if result.table.iloc[0]["status"] == "no_months" else "ok"
    previous_total = (
        float(previous["registered_offences"].sum())
        if len(previous) == 12 and previous["registered_offences"].notna().all()
        else None
    )
    return YearToDate(
        status=status,
        result=result,
        past_years=len(past),
        provisional_months=tuple(int(m) for m in this.index[this["provisional"]].month),
        withheld_months=withheld,
        previous_total=previous_total,
        previous_provisional=bool(previous["provisional"].any()) or ctx.is_provisional(year - 1),
        mean_monthly=float(np.nanmean(window["registered_offences"].to_numpy(dtype=float))),
        **base,
    )


def record_year_to_date(ctx: ReportContext, so_far: YearToDate | None) -> None:
    """Record the nowcast in ``ctx.summary`` as ``<key>_nowcast`` (nothing without one).

    Parameters
    ----------
    ctx : ReportContext
    so_far : YearToDate or None
        From :func:`this_year`.

    Returns
    -------
    None
    """
    if so_far is None or not so_far.available:
        return
    row = so_far.row
    ctx.summary.add(
        f"{so_far.key}_nowcast",
        (float(row["nowcast"]), float(row["pi_low"]), float(row["pi_high"])),
        year=so_far.year,
        last_month=str(so_far.latest),
        months_observed=int(row["months_observed"]),
        months_withheld=int(row["months_withheld"]),
        year_to_date=float(row["year_to_date"]),
        provisional_months=list(so_far.provisional_months),
        previous_year=so_far.year - 1,
        previous_total=so_far.previous_total,
        level=so_far.result.level,
    )
