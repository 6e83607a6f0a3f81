"""The start of every report: area, source, years, banner, introduction and methods block.

A report notebook calls :func:`start` once (check the area, load the source, check the years), shows
:func:`banner` (a visible "Demonstratiedata" notice on demo data) and :func:`intro`, and ends with
:func:`methods_block`. :class:`ReportContext` carries what the other report helpers need.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from rvs_analysis.completeness import check_complete
from rvs_analysis.dutch import fmt_date
from rvs_analysis.exceptions import NotAvailableForSource, ReportParameterError, UnknownAreaError
from rvs_analysis.provenance import code_version
from rvs_analysis.regions import (
    REGION_NAME,
    Area,
    apportioned,
    areas,
    as_area,
    municipalities,
    netherlands,
    resolve_area,
)
from rvs_analysis.report.methods_text import technical_lines
from rvs_analysis.report.registry import spec_for
from rvs_analysis.report.summary import Summary
from rvs_analysis.report.wording import LEVEL_NL, display_object, escape
from rvs_analysis.sources import load_source
from rvs_analysis.sources.base import source_label, table_ids
from rvs_analysis.stats.targets import load_targets
from rvs_analysis.strategies import Strategy, load_strategy, resolve_strategy, shipped_strategies

__all__ = [
    "INPUTS",
    "ReportContext",
    "ReportParameterError",
    "apportioned_note",
    "banner",
    "intro",
    "methods_block",
    "require",
    "source_advice",
    "source_label",
    "start",
    "table_lines",
]


INPUTS: dict[str, str] = {
    "cleared": "opgehelderde misdrijven per gemeente (politiecijfers met verklarende kenmerken)",
    "monthly": "maandcijfers van geregistreerde misdrijven",
    "survey": "enquête-microdata zoals de Veiligheidsmonitor (respondenten met weging)",
    "survey_estimates": "gepubliceerde enquêteschattingen met marges",
    "indicators": "regionale jaarcijfers zonder gemeentelijke uitsplitsing",
    "boundaries": "gemeentegrenzen (GeoJSON)",
    "neighbourhoods": "wijk- en buurtcijfers (geregistreerde misdrijven per wijk en buurt per jaar "
    "en per maand, met inwoners)",
}
"""The optional inputs of a :class:`~rvs_analysis.sources.base.Dataset`, described in Dutch."""


LEGACY_STRATEGY = "rvs-2015-2018"
"""The strategy of a :class:`ReportContext` made without one (its default map is 2017's)."""


@dataclass
class ReportContext:
    """What a report needs after :func:`start`.

    Attributes
    ----------
    area : rvs_analysis.regions.Area
        The resolved area (name, level, district, GM codes).
    dataset : rvs_analysis.sources.base.Dataset
    source, cache : str
        As passed to :func:`start`.
    notebook : str
        The report's name (notebook file stem).
    first_year, last_year : int or None
        The requested years, clipped to the years the source covers.
    parameters : dict
        The report's parameters, recorded in the summary.
    notes : list of str
        Dutch remarks about adjustments (e.g. years outside the source), shown by :func:`banner`.
    summary : Summary
        Collects the report's estimates; write it with ``summary.write(path)``.
    composition_year : int
        Composition and boundary year of the areas (2017: the strategy's 39 municipalities).
    report_year : int or None
        The year the report is about: the ``report_year`` parameter, or the latest year with data
        in the source (within the report's period) when that is ``None``.
    strategy : rvs_analysis.strategies.Strategy
        The strategy the report follows: its region, districts, municipalities and targets.
    """

    area: Area
    dataset: Any
    source: str
    cache: str
    notebook: str
    first_year: int | None
    last_year: int | None
    parameters: dict
    notes: list[str]
    summary: Summary
    composition_year: int = 2017
    report_year: int | None = None
    strategy: Strategy | None = None

    def __post_init__(self):
        if self.strategy is None:  # a context made by hand: the strategy of the 2017 map
            self.strategy = load_strategy(LEGACY_STRATEGY)

    @property
    def provisional_years(self) -> list[int]:
        """Years whose registered counts the source still marks provisional (CBS "Voorlopig")."""
        crime = self.dataset.crime
        if "provisional" not in crime.columns:
            return []
        return sorted(int(year) for year in crime.loc[crime["provisional"], "year"].unique())

    def is_provisional(self, year) -> bool:
        """Whether ``year``'s figures are provisional."""
        return year is not None and int(year) in self.provisional_years

    def year_label(self, year) -> str:
        """``"2025 (voorlopig)"`` for a provisional year, else ``"2024"``."""
        return f"{int(year)} (voorlopig)" if self.is_provisional(year) else str(int(year))

    @property
    def provenance(self) -> dict:
        """The dataset's provenance plus the code version."""
        return self.summary.provenance

    @property
    def is_demo(self) -> bool:
        return bool(self.dataset.is_demo)

    @property
    def codes(self) -> list[str]:
        """GM codes of the area's municipalities."""
        return list(self.area.codes)

    @property
    def level(self) -> str:
        return self.area.level

    @property
    def names(self) -> list[str]:
        """Names of the area's municipalities."""
        composition = self.composition
        return list(composition.loc[composition["gemeente_code"].isin(self.codes), "gemeente_name"])

    @property
    def composition(self) -> pd.DataFrame:
        """The strategy's municipalities on the report's composition year, by district and name."""
        if self.strategy is None:
            return municipalities(self.composition_year)
        return self.strategy.composition(self.composition_year)

    @property
    def region_name(self) -> str:
        """The name of the strategy's whole area (``"Midden-Nederland"``)."""
        return REGION_NAME if self.strategy is None else self.strategy.region

    def region_area(self) -> Area:
        """The strategy's whole area on the report's composition year."""
        if self.strategy is None:
            return resolve_area(REGION_NAME, self.composition_year)
        return self.strategy.area(self.strategy.region, self.composition_year)

    def targets(self) -> pd.DataFrame:
        """The strategy's targets table (:func:`rvs_analysis.stats.targets.load_targets`); empty
        (header only) for a strategy without measurable targets."""
        if self.strategy.targets.empty:
            return self.strategy.targets
        return load_targets(self.strategy.folder / "targets.csv")

    def level_areas(self, level: str) -> list[Area]:
        """The strategy's areas of one level (``"region"``, ``"district"``, ``"gemeente"``)."""
        if self.strategy is None:
            return [
                resolve_area(name, self.composition_year)
                for name in areas(level, self.composition_year)
            ]
        return [
            self.strategy.area(name, self.composition_year)
            for name in self.strategy.area_names(level, self.composition_year)
        ]

    @property
    def highlight_codes(self) -> list[str]:
        """GM codes to mark in region-wide figures: the area's, or none for the region itself."""
        return [] if self.level == "region" else self.codes

    @property
    def highlight_names(self) -> list[str]:
        """Names to mark in region-wide figures (none for the region itself)."""
        return [] if self.level == "region" else self.names

    @property
    def source_label(self) -> str:
        """A short Dutch description of the source for source lines under figures."""
        return source_label(self.dataset)

    def source_for(self, *tables: str) -> str:
        """The source line of a figure that reads only ``tables`` (registry keys such as
        ``"47018NED"``, ``"70072ned"``): :func:`~rvs_analysis.sources.base.source_label`."""
        return source_label(self.dataset, uses=tables)

    def years(self) -> list[int]:
        """The report's years that the source covers, ascending."""
        return [
            year
            for year in self.dataset.years
            if (self.first_year is None or year >= self.first_year)
            and (self.last_year is None or year <= self.last_year)
        ]


def _clip_years(
    dataset, first_year: int | None, last_year: int | None, notes: list[str]
) -> tuple[int | None, int | None]:
    available = dataset.years
    low, high = min(available), max(available)
    if first_year is not None and last_year is not None and int(first_year) > int(last_year):
        raise ReportParameterError(
            f"first_year ({first_year}) ligt na last_year ({last_year}); geef een oplopende "
            "periode op."
        )
    if (first_year is not None and int(first_year) > high) or (
        last_year is not None and int(last_year) < low
    ):
        raise NotAvailableForSource(
            f"De gevraagde jaren {first_year}-{last_year} zijn niet beschikbaar voor deze bron: "
            f"die bevat {low}-{high}."
        )
    clipped_first = None if first_year is None else max(int(first_year), low)
    clipped_last = None if last_year is None else min(int(last_year), high)
    if first_year is not None and clipped_first != int(first_year):
        notes.append(
            f"De bron begint in {low}; de analyse start daarom in {low} in plaats van {first_year}."
        )
    if last_year is not None and clipped_last != int(last_year):
        notes.append(
            f"De bron loopt tot en met {high}; de analyse eindigt daarom in {high} in plaats van "
            f"{last_year}."
        )
    return clipped_first, clipped_last


def _check_within(area: Area, strategy: Strategy, composition_year: int) -> None:
    """Reports describe areas of the strategy: refuse the Netherlands or codes outside it."""
    inside = set(strategy.composition(composition_year)["gemeente_code"])
    outside = [code for code in area.codes if code not in inside]
    if area.whole_country or outside:
        raise ReportParameterError(
            f"De rapporten gaan over gebieden binnen {strategy.region}; {area.name} valt daarbuiten"
            + (f" ({', '.join(outside[:5])})" if outside else "")
            + ". Vergelijk zo'n gebied met regions.area_table(..., areas=[...]) en "
            "rvs_analysis.stats.compare (zie docs/api.md)."
        )


def start(
    area: str | Area = REGION_NAME,
    source: str = "demo",
    cache: str = "data/raw",
    notebook: str = "",
    first_year: int | None = None,
    last_year: int | None = None,
    requires: Iterable[str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    composition_year: int | None = None,
    report_year: int | None = None,
    strategy: str | Strategy | None = None,
) -> ReportContext:
    """Check a report's parameters, load its source and return the context it works with.

    Parameters
    ----------
    area : str or Area, default "Midden-Nederland"
        The strategy's region, one of its districts or municipalities (name, slug or GM code), or
        any area of the region as a value: ``regions.rest_of("Stad Utrecht")``,
        ``regions.custom_area(...)``.
    source : str, default "demo"
        ``"demo"``, ``"cbs"`` or a folder in the tidy layout; relative paths are looked up from the
        working directory and then from the repository root, so a notebook opened in
        ``notebooks/`` finds ``data/...`` with its defaults.
    cache : str, default "data/raw"
        CBS download cache (for ``source="cbs"``).
    notebook : str, optional
        The report's name (its notebook's stem), recorded in the summary; a registered report's
        spec (:func:`rvs_analysis.report.registry.spec_for`) gives ``requires`` and, for a report
        about one strategy's own intervention, that strategy.
    first_year, last_year : int, optional
        Period of the report; clipped to the years the source covers (with a note), and refused
        with :class:`~rvs_analysis.exceptions.NotAvailableForSource` when there is no overlap.
    requires : iterable of str or of tuples of str, optional
        Optional dataset inputs the report cannot do without (see :data:`INPUTS`); a tuple names
        alternatives, any one of which will do (``("survey", "survey_estimates")``: microdata or
        CBS's published estimates). Checked with :func:`require` before anything else is
        computed. ``None`` (the default): the ``requires`` of the notebook's registry line
        (:class:`~rvs_analysis.report.registry.ReportSpec`), nothing for an unregistered one.
    parameters : mapping, optional
        The notebook's parameters, recorded in the summary (``area``, ``source``... are added).
    composition_year : int, optional
        The municipal map of the areas; default the strategy's ``boundaries`` (2017 for the
        2015-2018 strategy: its 39 municipalities; 2023 for the 2023-2026 strategy: 38).
    report_year : int, optional
        The year the report is about (``ctx.report_year``); ``None`` (the notebooks' default) is
        the latest year with data in the source, within ``first_year``-``last_year``. The period
        then ends there (``last_year`` defaults to it). A year after the source's last year is
        clipped to it with a note; a year before the period is refused as not available.
    strategy : str, pathlib.Path, Strategy or None
        The strategy the report follows (:mod:`rvs_analysis.strategies`): a shipped id
        (``"rvs-2023-2026"``) or a folder. ``None``: the shipped strategy whose period holds the
        report year (:func:`~rvs_analysis.strategies.resolve_strategy`). Its region, districts,
        municipalities and targets are the report's.

    Returns
    -------
    ReportContext

    Raises
    ------
    UnknownAreaError
        When the area is not the strategy's region, a district or one of its municipalities (the
        message lists the valid names). Checked before the source is loaded.
    StrategyError
        For a strategy folder that cannot be used; checked before the source is loaded.
    ReportParameterError
        For the Netherlands or an area with municipalities outside the strategy's area list.
    SourceNotAvailableError, DataValidationError
        From :func:`rvs_analysis.sources.load_source`.
    NotAvailableForSource
        When a required input or the requested years do not exist in this source; the renderer
        records the report as skipped.
    """
    spec = spec_for(notebook)
    fixed = spec.strategy if spec is not None else None
    asked = None if strategy in (None, "") else strategy
    notes: list[str] = []
    chosen = fixed or asked or _strategy_of_map(area, composition_year)
    if chosen is not None:  # a bad strategy or area is refused before the source is loaded
        known = resolve_strategy(chosen, None)[0]
        _strategy_area(area, known, composition_year, fixed_by=spec if fixed else None)
    else:
        _any_strategy_area(area)
    dataset = load_source(source, cache)
    if requires is None:
        requires = spec.requires if spec is not None else ()
    for name in requires:
        require(dataset, name)
    period_end = last_year if last_year is not None else report_year
    first, last = _clip_years(dataset, first_year, period_end, notes)
    resolved_year = _report_year(dataset, first, last, report_year)
    if last_year is None and resolved_year is not None:
        last = resolved_year
    followed, strategy_note = resolve_strategy(chosen, resolved_year)
    if strategy_note:
        notes.append(strategy_note_nl(followed, resolved_year))
    if fixed and asked is not None and resolve_strategy(asked, None)[0].id != followed.id:
        notes.append(
            f"Dit rapport beoordeelt een maatregel van {followed.name} en volgt daarom die "
            f"strategie en haar gemeenten, niet de gekozen {resolve_strategy(asked, None)[0].name}."
        )
    if composition_year is None:
        past = strategy_note and resolved_year is not None and resolved_year > followed.last_year
        # past every strategy: the latest one's list, brought up to date to the report year's map
        composition_year = resolved_year if past else followed.boundaries
    composition_year = int(composition_year)
    resolved = _strategy_area(area, followed, composition_year)
    # every report sums the strategy's municipalities (districts, the region): all, or none
    check_complete(
        dataset,
        followed.composition(composition_year)["gemeente_code"],
        composition_year,
        [
            year
            for year in dataset.years
            if (first is None or year >= first) and (last is None or year <= last)
        ],
        area=followed.region,
    )
    recorded = {
        "area": resolved.name if isinstance(area, Area) else area,
        "source": source,
        "cache": str(cache),
    }
    if first_year is not None:
        recorded["first_year"] = first_year
    if last_year is not None:
        recorded["last_year"] = last_year
    recorded["report_year"] = report_year
    recorded.update(dict(parameters or {}))
    recorded.pop("summary_path", None)
    recorded["strategy"] = followed.id
    provenance = dict(dataset.provenance or {})
    provenance["code_version"] = code_version()
    provenance["is_demo"] = bool(dataset.is_demo)
    summary = Summary(
        area=resolved.name,
        source=str(source),
        notebook=notebook,
        parameters=recorded,
        provenance=provenance,
    )
    return ReportContext(
        area=resolved,
        dataset=dataset,
        source=str(source),
        cache=str(cache),
        notebook=notebook,
        first_year=first,
        last_year=last,
        parameters=recorded,
        notes=notes,
        summary=summary,
        composition_year=composition_year,
        report_year=resolved_year,
        strategy=followed,
    )


def _strategy_of_map(area, composition_year):
    """The shipped strategy of a map the caller fixed: an area value made on boundaries of its own
    (``rest_of``, ``custom_area``: 2017 by default), or an explicit ``composition_year``; ``None``
    when neither is given (the report year then decides)."""
    if isinstance(area, Area) and composition_year is None:
        same_map = [each for each in shipped_strategies() if each.boundaries == area.boundaries]
        return same_map[-1] if same_map else None
    if composition_year is not None:
        return resolve_strategy(None, int(composition_year))[0]
    return None


def strategy_note_nl(strategy: Strategy, year: int | None) -> str:
    """The Dutch note for a report year that no shipped strategy covers."""
    if year is not None and year < strategy.first_year:
        return (
            f"Geen van de meegeleverde strategieën begint vóór {year}: dit rapport volgt de "
            f"eerste, {strategy_label(strategy)}, met haar indeling van gemeenten."
        )
    return (
        f"Geen meegeleverde strategie dekt {year}: dit rapport volgt de laatste die eerder begon, "
        f"{strategy_label(strategy)}, met haar gemeenten bijgewerkt naar de gemeentelijke "
        f"indeling van {year} (herindelingen na {strategy.last_year})."
    )


def _strategy_area(area, strategy: Strategy, composition_year, fixed_by=None) -> Area:
    """The report's area as an area of ``strategy`` on ``composition_year``.

    A report about one strategy's own intervention (``fixed_by``, its registry spec) is not
    available for an area outside that strategy: the renderer records it as skipped.
    """
    year = strategy.boundaries if composition_year is None else int(composition_year)
    try:
        if isinstance(area, Area):
            resolved = as_area(area, year)
        elif _is_netherlands(area):
            resolved = netherlands(year)  # refused below: reports are about the strategy's areas
        else:
            resolved = strategy.area(area, year)
    except UnknownAreaError:
        if fixed_by is None:
            raise
        raise NotAvailableForSource(
            f"Dit rapport beoordeelt een maatregel van {strategy.name}; {area} hoort niet bij "
            "de gebieden van die strategie."
        ) from None
    _check_within(resolved, strategy, year)
    return resolved


def _is_netherlands(name) -> bool:
    try:
        return resolve_area(str(name)).level == "country"
    except UnknownAreaError:
        return False


def _any_strategy_area(area) -> None:
    """Refuse early an area name that no shipped strategy knows (the strategy itself follows
    from the report year, which needs the source)."""
    if isinstance(area, Area) or _is_netherlands(area):
        return
    error = None
    for strategy in shipped_strategies():
        try:
            strategy.area(area)
            return
        except UnknownAreaError as failed:
            error = failed
    if error is not None:
        raise error


def _report_year(dataset, first: int | None, last: int | None, report_year) -> int | None:
    """The report's year: as asked (within the period), or the latest year with data."""
    years = [
        year
        for year in dataset.years
        if (first is None or year >= first) and (last is None or year <= last)
    ]
    if not years:
        return None
    if report_year is None:
        return max(years)
    if int(report_year) < min(years):
        raise NotAvailableForSource(
            f"Het rapportagejaar {report_year} valt buiten de periode van deze rapportage met "
            f"gegevens in deze bron ({min(years)}-{max(years)})."
        )
    return min(int(report_year), max(years))


def _shown_source(source: str) -> str:
    """The source parameter as a page shows it: an absolute local path by its last two parts."""
    if source.startswith("/") and len(source) > 1:
        return "…/" + "/".join([part for part in source.split("/") if part][-2:])
    return source


def source_advice(dataset, tables: str) -> str:
    """Where the missing ``tables`` can come from, said only where it applies to the source in use.

    Parameters
    ----------
    dataset : rvs_analysis.sources.base.Dataset or None
    tables : str
        What is missing, in Dutch ("de landelijke cijfers", "CBS-tabel 47022NED").

    Returns
    -------
    str
        A sentence starting with a space: on the CBS source "Haal … op met 'rvs fetch'."; on the
        demo data that they do not hold it and CBS data do; on a folder of CSV files that the
        folder does not; nothing without a dataset.
    """
    if dataset is None:
        return ""
    if getattr(dataset, "is_demo", False):
        return (
            f" De demonstratiedata bevatten {tables} niet; met CBS-data ('rvs fetch', dan "
            "'--source cbs') kan het wel."
        )
    if getattr(dataset, "source", None) == "cbs":
        return f" Haal {tables} op met 'rvs fetch'."
    return f" Deze bronmap bevat {tables} niet."


def require(dataset, name) -> None:
    """Stop a report when its source lacks an input it needs.

    Parameters
    ----------
    dataset : rvs_analysis.sources.base.Dataset
    name : str or tuple of str
        An optional input of the dataset (``"cleared"``, ``"survey"``, ``"monthly"``, ...), or
        alternatives of which the source must have at least one.

    Raises
    ------
    NotAvailableForSource
        With a Dutch reason ("… niet beschikbaar voor deze bron …") that the renderer shows when it
        records the report as skipped.
    ValueError
        When ``name`` is not an optional input of a Dataset.
    """
    names = (name,) if isinstance(name, str) else tuple(name)
    unknown = [each for each in names if each not in INPUTS]
    if unknown or not names:
        raise ValueError(f"Unknown dataset input {unknown or name!r}; known: {', '.join(INPUTS)}.")
    for each in names:
        value = getattr(dataset, each, None)
        absent = value is None or value is False
        if not (absent or (isinstance(value, pd.DataFrame) and value.empty)):
            return
    name = names[0]
    hint = {
        "cleared": (
            " De open CBS-tabellen (83648NED) geven opgehelderde misdrijven alleen per "
            "misdrijfgroep, niet voor woninginbraak per gemeente; lever de politiecijfers van de "
            "regio aan volgens het sjabloon data/templates/cleared_offences.csv."
        ),
        "survey": (
            " CBS publiceert de Veiligheidsmonitor alleen als schattingen met marges voor de "
            "grotere gemeenten (85146NED), niet als microdata per respondent; een "
            "verschil-in-verschillenanalyse per gemeente vraagt de microdata of lokale "
            "oversamples van de regio."
        ),
        "monthly": " Maandcijfers staan in CBS-tabel 47022NED."
        + source_advice(dataset, "CBS-tabel 47022NED"),
        "neighbourhoods": " Wijk- en buurtcijfers staan in CBS-tabellen 47018NED en 47022NED "
        "(rijen per wijk en buurt) met de inwoners uit 'Kerncijfers wijken en buurten'."
        + (
            " Haal ze op met 'rvs fetch --tables wijkbuurt_jaar wijkbuurt_maand "
            "kerncijfers_wijkbuurt'."
            if getattr(dataset, "source", None) == "cbs"
            else source_advice(dataset, "de wijk- en buurtcijfers")
        ),
    }.get(name, "")
    if "survey_estimates" in names and len(names) > 1:
        hint = (
            source_advice(
                dataset,
                "de gepubliceerde schattingen van de Veiligheidsmonitor (81877NED, 85146NED)",
            )
            + " De microdata van de regio kunnen ook, volgens het sjabloon "
            "data/templates/survey_microdata.csv."
        )
    missing = " en ".join(INPUTS[each] for each in names)
    raise NotAvailableForSource(
        f"Deze rapportage is niet beschikbaar voor deze bron ({dataset.source}): "
        f"{missing} ontbreken.{hint}"
    )


_BANNER_STYLE = (
    "border:2px solid #b35806;background:#fff4e5;color:#3d2000;padding:0.6em 0.9em;"
    "margin:0.5em 0;border-radius:4px"
)


_NOTE_STYLE = (
    "border:1px solid #4b6d8c;background:#eef4fa;color:#102a43;padding:0.5em 0.9em;"
    "margin:0.5em 0;border-radius:4px"
)


def banner(ctx: ReportContext):
    """The notice at the top of a report: "Demonstratiedata" on demo data, plus any notes.

    Returns
    -------
    IPython.display.HTML
        Empty when the data are real and nothing needs saying.
    """
    blocks = []
    if ctx.is_demo:
        blocks.append(
            f'<div class="rvs-demo-banner" style="{_BANNER_STYLE}"><strong>Demonstratiedata:'
            "</strong> de cijfers in dit rapport zijn gesimuleerd. De regio- en districtstotalen "
            "volgen de gepubliceerde cijfers van de Veiligheidsstrategie waar die bekend zijn; de "
            "verdeling over gemeenten en de effecten die dit rapport schat zijn er bewust in "
            "gelegd, zodat te zien is of de methoden ze terugvinden. Trek er geen conclusies uit "
            "over werkelijke gemeenten.</div>"
        )
    notes = list(ctx.notes)
    for note in (provisional_note(ctx), apportioned_note(ctx)):
        if note:
            notes.append(note)
    for note in notes:
        blocks.append(f'<div class="rvs-note" style="{_NOTE_STYLE}">{html.escape(note)}</div>')
    return display_object("html", "".join(blocks))


def provisional_note(ctx: ReportContext) -> str:
    """The Dutch sentence that says which of the report's years are provisional ("" when none)."""
    years = [year for year in ctx.years() if ctx.is_provisional(year)]
    if not years:
        return ""
    listed = " en ".join(
        [", ".join(map(str, years[:-1])), str(years[-1])] if len(years) > 1 else [str(years[0])]
    )
    return (
        f"De cijfers over {listed} zijn voorlopig (CBS: 'Voorlopig') en kunnen nog veranderen; "
        "in tabellen, figuren en tekst staan ze als voorlopig gemarkeerd."
    )


def apportioned_note(ctx: ReportContext) -> str:
    """The Dutch sentence naming the area's municipalities whose figures are estimated from a
    successor ("" when none): they carry the successor's rate by construction.

    Notes
    -----
    From :func:`rvs_analysis.regions.apportioned` for the source's boundary year and the report's
    composition year (Vianen out of Vijfheerenlanden, Weesp out of Amsterdam).
    """
    split = apportioned(ctx.years(), ctx.dataset.crime_boundary_year, ctx.composition_year)
    split = split[split["gemeente_code"].isin(ctx.codes)]
    if split.empty:
        return ""
    names = dict(
        zip(ctx.composition["gemeente_code"], ctx.composition["gemeente_name"], strict=True)
    )
    parts = []
    for (code, successor), group in split.groupby(["gemeente_code", "successor_name"], sort=True):
        first, last, name = (
            int(group["year"].min()),
            int(group["year"].max()),
            names.get(code, code),
        )
        period = str(first) if first == last else f"{first}-{last}"
        parts.append(
            f"de bron publiceert {name} over {period} alleen als deel van {successor}; de cijfers "
            f"van {name} zijn daaruit naar inwonertal geschat"
        )
    whole = (
        "" if ctx.level == "gemeente" else f" Het totaal van {ctx.area.name} bevat die schatting."
    )
    return (
        "Geschat uit opvolger: " + "; ".join(parts) + f" (gemeentegrenzen van "
        f"{ctx.composition_year}). Zo'n geschat cijfer volgt het cijfer per inwoner van de "
        "opvolger en zegt niets over de gemeente zelf; er staat geen exact interval bij." + whole
    )


def methods_block(
    ctx: ReportContext,
    methods: Sequence[str],
    assumptions: Sequence[str] = (),
    limitations: Sequence[str] = (),
    technical: Sequence[str] = (),
):
    """The "Methode en bronnen" section of a report.

    Parameters
    ----------
    ctx : ReportContext
    methods : sequence of str
        One line per method used (Dutch); method strings from the statistics modules may be
        included as they are.
    assumptions : sequence of str, optional
        The assumptions a reader should know.
    limitations : sequence of str, optional
        What the source lacks (e.g. on real CBS data).
    technical : sequence of (str, MethodSpec), optional
        What each method belongs to (a figure, table or indicator, in Dutch) and the result's
        ``method_spec``; shown under "Technische details" for researchers, worded in Dutch by
        :func:`rvs_analysis.report.methods_text.technical_lines` (one line per distinct method).

    Returns
    -------
    IPython.display.Markdown
        Headings and bullet lists; every line escaped. The source, its version, the files and
        tables, the code version and the run date are added from the context.
    """
    provenance = ctx.provenance
    lines = ["## Methode en bronnen", "", "**Methoden**", ""]
    lines += [f"- {escape(text)}" for text in methods]
    if assumptions:
        lines += ["", "**Aannames**", ""]
        lines += [f"- {escape(text)}" for text in assumptions]
    if limitations:
        lines += ["", "**Wat open CBS-data niet bevatten**", ""]
        lines += [f"- {escape(text)}" for text in limitations]
    if technical:
        lines += ["", "**Technische details**", ""]
        lines += [f"- {escape(text)}" for text in technical_lines(technical)]
    files = ", ".join(provenance.get("files") or []) or "–"
    tables = ", ".join(table_ids(provenance)) or "–"
    lines += [
        "",
        "**Bronnen**",
        "",
        f"- Bron: {escape(source_label(ctx.dataset))}, versie "
        f"{escape(provenance.get('version', '–'))}; bronparameter: {escape(_shown_source(ctx.source))}",
        f"- Bestanden: {escape(files)}"
        + (f"; tabellen: {escape(tables)}" if tables != "–" else ""),
        *(f"- Tabel {escape(line)}" for line in table_lines(provenance)),
        *strategy_source_lines(ctx),
        f"- Code: rvs-analysis `{escape(provenance.get('code_version', '–'))}`; "
        f"gemaakt op {fmt_date(dt.date.today())}",
    ]
    return display_object("markdown", "\n".join(lines))


def strategy_label(strategy: Strategy) -> str:
    """The strategy's name with its period unless the name holds it ("Veiligheidsstrategie
    2023-2026", "Veiligheidsplan Eemland (2023-2026)")."""
    return strategy.label


def strategy_source_lines(ctx: ReportContext) -> list[str]:
    """The lines of "Bronnen" on the strategy: its area list on the report's map, its targets."""
    strategy = ctx.strategy
    count = len(ctx.composition)
    members = f"{count} gemeente{'n' if count != 1 else ''}"
    folder = (
        f"data/strategies/{strategy.id}/"
        if strategy.folder.parent.name == "strategies"
        else f"eigen strategie {strategy.folder.name}/"
    )
    lines = [
        f"- Gebiedsindeling: de {members} van {escape(strategy_label(strategy))} in de indeling "
        f"van {ctx.composition_year} ({escape(folder)}municipalities.csv), gemeentelijke "
        "herindelingen geharmoniseerd"
    ]
    targets = ctx.targets()
    if targets.empty:
        lines.append(
            f"- Doelen: {escape(strategy_label(strategy))} heeft geen meetbare doelen die deze "
            "suite kan volgen; het rapport toont ontwikkelingen en vergelijkingen, geen statussen"
        )
    else:
        listed = int((targets["kind"] == "target").sum())
        lines.append(
            f"- Doelen: {listed} doelwaarden van {escape(strategy_label(strategy))}, elk met "
            f"bronregel ({escape(folder)}targets.csv)"
        )
    return lines


def table_lines(provenance: Mapping) -> list[str]:
    """Per CBS table a report read, one Dutch line: identifier, title, API, catalog, CBS's own
    modification date and the date it was retrieved (the ``cbs`` source's ``provenance["tables"]``;
    empty for a source without these records)."""
    lines = []
    for table_id, entry in sorted(((provenance or {}).get("tables") or {}).items()):
        if not isinstance(entry, Mapping) or "retrieved" not in entry:
            continue
        title = f" '{entry['title']}'" if entry.get("title") else ""
        catalog = ", ".join(
            str(part) for part in (entry.get("cbs_catalog"), entry.get("catalog")) if part
        )
        lines.append(
            f"{table_id}{title} ({entry.get('api') or 'OData'}"
            + (f", catalogus {catalog}" if catalog else "")
            + f"): door het CBS gewijzigd op {fmt_date(entry.get('modified'))}, "
            f"opgehaald op {fmt_date(entry.get('retrieved'))}"
        )
    return lines


def intro(ctx: ReportContext):
    """One line under a report's title: area, level, municipalities, source and period."""
    years = ctx.years()
    period = f"{years[0]}–{years[-1]}" if years else "–"
    provisional = [year for year in years if ctx.is_provisional(year)]
    if provisional:
        span = f"{provisional[0]}–{provisional[-1]}" if len(provisional) > 1 else provisional[0]
        period += f" ({span} voorlopig)"
    count = len(ctx.codes)
    members = f"{count} gemeente{'n' if count != 1 else ''}"
    district = (
        f", district {escape(ctx.area.district)}"
        if ctx.level == "gemeente" and ctx.area.district
        else ""
    )
    return display_object(
        "markdown",
        f"**Gebied:** {escape(ctx.area.name)} ({LEVEL_NL[ctx.level]}{district}; {members}) · "
        f"**Bron:** {escape(source_label(ctx.dataset))} · **Periode:** {period} · "
        f"**Strategie:** {escape(strategy_label(ctx.strategy))}",
    )
