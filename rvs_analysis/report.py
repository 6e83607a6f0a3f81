"""What every report notebook shares, so that the notebooks stay thin.

A report notebook calls :func:`start` once (check the area, load the source, check the years), shows
:func:`banner` (a visible "Demonstratiedata" notice on demo data), states its computed numbers in
Dutch with the ``fmt_*`` and wording helpers (:func:`change_phrase`, :func:`ratio_phrase`,
:func:`difference_phrase`), shows tables with :func:`table`, ends with :func:`methods_block` and
writes its machine-readable summary with one call, ``ctx.summary.write(summary_path)``.

Every text that contains a label from the data (an area or offence name) is HTML-escaped before it
is shown: :func:`md` escapes the values it substitutes, :func:`table` escapes every cell.

Sections
    *Formatting and wording*: :func:`fmt_int`, :func:`fmt_pct`, :func:`fmt_ci`, :func:`change_phrase`,
    :func:`ratio_phrase`, :func:`ratio_value_phrase`, :func:`difference_phrase`, :func:`names_phrase`.
    *Display*: :func:`md`, :func:`table`, :func:`banner`, :func:`intro`, :func:`methods_block`.
    *Start and summary*: :func:`start`, :func:`require`, :class:`ReportContext`, :class:`Summary`.
    *The area's data* (selection, harmonisation and unit conversion only): :func:`municipal_crime`,
    :func:`area_crime`, :func:`area_counts`, :func:`area_population`, :func:`clearance_frame`,
    :func:`survey_frame`, :func:`monthly_counts`.
    *Strategy monitor*: :func:`indicator_observations`, :func:`area_targets`,
    :func:`results_table`, :func:`format_results`, :func:`district_comparison`.

No statistics live here: estimates come from :mod:`rvs_analysis.trends`,
:mod:`rvs_analysis.clearance`, :mod:`rvs_analysis.crime_change` and :mod:`rvs_analysis.perception`
as :class:`~rvs_analysis.stats_common.Estimate` objects; this module only words and records them.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from rvs_analysis.exceptions import NotAvailableForSource, RvsError
from rvs_analysis.provenance import code_version
from rvs_analysis.regions import REGION_NAME, Area, resolve_area

__all__ = [
    "INDICATOR_SOURCES",
    "INPUTS",
    "LEVEL_NL",
    "MINUS",
    "MONTHS_NL",
    "ReportContext",
    "ReportParameterError",
    "Summary",
    "area_counts",
    "area_crime",
    "area_population",
    "area_targets",
    "banner",
    "change_phrase",
    "change_point_table",
    "clearance_frame",
    "code_version",
    "difference_phrase",
    "district_comparison",
    "escape",
    "fmt_ci",
    "fmt_int",
    "fmt_month",
    "fmt_num",
    "fmt_pct",
    "fmt_probability",
    "fmt_value",
    "format_results",
    "funnel_grid",
    "indicator_observations",
    "intro",
    "md",
    "methods_block",
    "monthly_counts",
    "municipal_crime",
    "municipal_population",
    "names_phrase",
    "ratio_phrase",
    "ratio_value_phrase",
    "require",
    "results_table",
    "significance_label",
    "source_label",
    "start",
    "survey_frame",
    "table",
    "targets_by_year",
    "values_by_code",
]

MINUS = "\u2212"
"""The typographic minus sign used for negative numbers in report text."""

INPUTS: dict[str, str] = {
    "cleared": "opgehelderde misdrijven per gemeente (politiecijfers met verklarende kenmerken)",
    "monthly": "maandcijfers van geregistreerde misdrijven",
    "survey": "enquête-microdata zoals de Veiligheidsmonitor (respondenten met weging)",
    "survey_estimates": "gepubliceerde enquêteschattingen met marges",
    "indicators": "regionale jaarcijfers zonder gemeentelijke uitsplitsing",
    "boundaries": "gemeentegrenzen (GeoJSON)",
}
"""The optional inputs of a :class:`~rvs_analysis.sources.base.Dataset`, described in Dutch."""


# ------------------------------------------------------------------------------------------------
# Errors for the report's readers
# ------------------------------------------------------------------------------------------------


class ReportParameterError(RvsError, ValueError):
    """A report parameter (years, summary path) that cannot be used with this source."""

    exit_code = 2


# ------------------------------------------------------------------------------------------------
# Dutch number formatting
# ------------------------------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def fmt_num(value: float, decimals: int = 1, signed: bool = False) -> str:
    """A number in Dutch notation: decimal comma, dots between thousands, a real minus sign.

    Parameters
    ----------
    value : float
        The number; ``None``/NaN gives ``"–"`` (not available).
    decimals : int, default 1
        Digits after the comma.
    signed : bool, default False
        Show ``+`` before positive numbers (for changes).

    Returns
    -------
    str
        E.g. ``fmt_num(12564.25, 1) == "12.564,3"``, ``fmt_num(-4.2) == "−4,2"``.
    """
    if _is_missing(value):
        return "–"
    number = float(value)
    text = f"{abs(number):,.{decimals}f}"
    text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    if re.fullmatch(r"[0.,]+", text):
        return text
    if number < 0:
        return MINUS + text
    return ("+" + text) if signed else text


def fmt_int(value: float, signed: bool = False) -> str:
    """A whole number with dots between thousands: ``fmt_int(12564) == "12.564"``."""
    return fmt_num(value, 0, signed=signed)


def fmt_pct(value: float, decimals: int = 1, signed: bool = False) -> str:
    """A percentage (given in percent) in Dutch notation: ``fmt_pct(7.8) == "7,8%"``."""
    text = fmt_num(value, decimals, signed=signed)
    return text if text == "–" else text + "%"


def fmt_ci(low: float, high: float, decimals: int = 1, unit: str = "", level: float = 0.95) -> str:
    """A confidence interval in words: ``fmt_ci(6.9, 8.7, unit="%") == "95%-BI 6,9% tot 8,7%"``.

    Parameters
    ----------
    low, high : float
        Interval bounds (in the unit shown).
    decimals : int, default 1
    unit : str, default ""
        Appended to each bound (``"%"``, ``" procentpunt"``...).
    level : float, default 0.95
        Confidence level, shown as ``95%-BI`` (betrouwbaarheidsinterval).
    """
    label = f"{fmt_num(100 * level, 0)}%-BI"
    if _is_missing(low) or _is_missing(high):
        return f"{label} niet te berekenen"
    return f"{label} {fmt_num(low, decimals)}{unit} tot {fmt_num(high, decimals)}{unit}"


# ------------------------------------------------------------------------------------------------
# Wording of estimates
# ------------------------------------------------------------------------------------------------


def _parts(estimate: Any) -> tuple[float, float, float]:
    """(estimate, ci_low, ci_high) of an Estimate, a mapping or a 3-sequence."""
    if isinstance(estimate, Mapping):
        return (
            _float(estimate.get("estimate")),
            _float(estimate.get("ci_low")),
            _float(estimate.get("ci_high")),
        )
    if hasattr(estimate, "ci_low"):
        return _float(estimate.estimate), _float(estimate.ci_low), _float(estimate.ci_high)
    value, low, high = estimate
    return _float(value), _float(low), _float(high)


def _float(value: Any) -> float:
    return float("nan") if _is_missing(value) else float(value)


def _excludes(low: float, high: float, null: float) -> bool:
    if _is_missing(low) or _is_missing(high):
        return False
    return not (low <= null <= high)


def _level(estimate: Any) -> float:
    return float(getattr(estimate, "level", 0.95) or 0.95)


def significance_label(significant: bool) -> str:
    """``"statistisch significant"`` or ``"niet statistisch significant"``."""
    return "statistisch significant" if significant else "niet statistisch significant"


def change_phrase(estimate: Any, decimals: int = 0, null: float = 0.0) -> str:
    """A percentage change with its interval and significance, as a Dutch predicate.

    Parameters
    ----------
    estimate : Estimate, mapping or (estimate, ci_low, ci_high)
        A change in percent (e.g. from :func:`rvs_analysis.trends.count_change`).
    decimals : int, default 0
    null : float, default 0
        The value meaning "no change".

    Returns
    -------
    str
        ``"daalde met 8% (95%-BI −12% tot −4%; statistisch significant)"``,
        ``"steeg met 3% (95%-BI −1% tot 7%; niet statistisch significant)"``.

    Notes
    -----
    Significance is read off the interval: significant at the interval's level when it excludes
    ``null``. An Estimate that carries its own ``significant`` flag gives the same answer.
    """
    value, low, high = _parts(estimate)
    if _is_missing(value):
        return "is niet te berekenen (te weinig gegevens)"
    significant = _excludes(low, high, null)
    interval = fmt_ci(low, high, decimals, "%", _level(estimate))
    rounded = round(abs(value), decimals)
    if rounded == 0:
        verb = "bleef vrijwel gelijk"
        amount = f"({fmt_pct(value, decimals, signed=True)}; "
        return f"{verb} {amount}{interval}; {significance_label(significant)})"
    verb = "steeg" if value > 0 else "daalde"
    return (
        f"{verb} met {fmt_pct(abs(value), decimals)} ({interval}; "
        f"{significance_label(significant)})"
    )


def ratio_phrase(estimate: Any, per: str = "per jaar", decimals: int = 1) -> str:
    """A rate ratio (e.g. an annual trend) worded as a percentage change with its interval.

    Parameters
    ----------
    estimate : Estimate, mapping or (estimate, ci_low, ci_high)
        A ratio (1 = no change), such as ``CountTrend.annual_rate_ratio``.
    per : str, default "per jaar"
        What the ratio is per, inserted after the verb.
    decimals : int, default 1

    Returns
    -------
    str
        ``"daalde per jaar met 4,1% (95%-BI −5,0% tot −3,2%; statistisch significant)"``.
    """
    value, low, high = _parts(estimate)
    as_percent = tuple(100.0 * (part - 1.0) for part in (value, low, high))
    phrase = change_phrase(as_percent, decimals)
    if per and not phrase.startswith("is niet"):
        verb, rest = phrase.split(" ", 1)
        phrase = f"{verb} {per} {rest}"
    if hasattr(estimate, "level"):
        phrase = phrase.replace("95%-BI", f"{fmt_num(100 * _level(estimate), 0)}%-BI")
    return phrase


def difference_phrase(
    estimate: Any, unit: str = " procentpunt", decimals: int = 1, null: float = 0.0
) -> str:
    """A difference (e.g. a difference-in-differences effect) with interval and significance.

    Returns
    -------
    str
        ``"−4,2 procentpunt (95%-BI −6,0 tot −2,4 procentpunt; statistisch significant)"``.
    """
    value, low, high = _parts(estimate)
    if _is_missing(value):
        return "niet te berekenen (te weinig gegevens)"
    significant = _excludes(low, high, null)
    level = fmt_num(100 * _level(estimate), 0)
    return (
        f"{fmt_num(value, decimals, signed=True)}{unit} ({level}%-BI {fmt_num(low, decimals)} tot "
        f"{fmt_num(high, decimals)}{unit}; {significance_label(significant)})"
    )


# ------------------------------------------------------------------------------------------------
# Escaped Markdown, HTML and tables
# ------------------------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|])")


def escape(text: Any) -> str:
    """Make a data label safe to show in Markdown/HTML: HTML-escape it and neutralise Markdown.

    ``escape("<script>") == "&lt;script&gt;"``; ``escape("a*b") == "a\\*b"``.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def _display_object(kind: str, text: str):
    try:
        from IPython.display import HTML, Markdown
    except ImportError:  # pragma: no cover - IPython is a dependency of ipykernel
        return text
    return Markdown(text) if kind == "markdown" else HTML(text)


def md(template: str, **values: Any):
    """Markdown from a trusted template with escaped values substituted.

    Parameters
    ----------
    template : str
        Text written in the notebook, with ``{name}`` placeholders.
    **values
        Values to substitute; each is converted to ``str`` and escaped with :func:`escape`, so a
        label from the data can never inject HTML or Markdown.

    Returns
    -------
    IPython.display.Markdown
        Shown as rendered text when it is a cell's last expression. ``.data`` holds the text.
    """
    safe = {name: escape(value) for name, value in values.items()}
    return _display_object("markdown", template.format(**safe))


def table(
    frame: pd.DataFrame,
    formats: Mapping[str, Any] | None = None,
    columns: Mapping[str, str] | None = None,
    caption: str | None = None,
):
    """An HTML table with Dutch number formats and every cell escaped.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data to show.
    formats : mapping, optional
        Column -> ``"int"``, ``"pct"``, ``"pct0"``, ``"num"``, ``"num2"``, ``"signed_pct"`` or a
        callable ``value -> str``. Columns named like a year are shown plainly (``2016``); other
        numeric columns with :func:`fmt_num` (one decimal) or :func:`fmt_int` for whole numbers;
        booleans as ja/nee.
    columns : mapping, optional
        Column -> Dutch heading; only these columns are shown, in this order, when given.
    caption : str, optional
        Caption above the table (escaped).

    Returns
    -------
    IPython.display.HTML
    """
    named = {
        "int": fmt_int,
        "pct": fmt_pct,
        "pct0": lambda value: fmt_pct(value, 0),
        "num": fmt_num,
        "num2": lambda value: fmt_num(value, 2),
        "signed_pct": lambda value: fmt_pct(value, 1, signed=True),
    }
    formats = dict(formats or {})
    shown = frame if columns is None else frame[list(columns)]
    out = pd.DataFrame(index=range(len(shown)))
    for column in shown.columns:
        values = shown[column].tolist()
        formatter = formats.get(column)
        if isinstance(formatter, str):
            formatter = named[formatter]
        if formatter is None:
            formatter = _default_formatter(shown[column], str(column))
        heading = (columns or {}).get(column, column)
        out[str(heading)] = [formatter(value) for value in values]
    aligns = [
        "right" if out[column].map(_looks_numeric).all() else "left" for column in out.columns
    ]
    header = "".join(
        f'<th style="text-align:{align}">{html.escape(str(name))}</th>'
        for name, align in zip(out.columns, aligns, strict=True)
    )
    rows = []
    for record in out.itertuples(index=False):
        cells = "".join(
            f'<td style="text-align:{align}">{html.escape(str(value))}</td>'
            for value, align in zip(record, aligns, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    caption_html = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    text = (
        '<table class="rvs-table">'
        f"{caption_html}<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return _display_object("html", text)


_NUMERIC_TEXT = re.compile(r"^[\s+*\u2212\-–0-9.,%()a-z]*$")


def _looks_numeric(text: str) -> bool:
    """Whether a formatted cell reads as a number (right-aligned) rather than as text."""
    text = str(text)
    return bool(_NUMERIC_TEXT.match(text)) and any(ch.isdigit() for ch in text) or text == "–"


def _default_formatter(series: pd.Series, name: str = ""):
    if any(word in name.casefold() for word in ("year", "jaar")) and pd.api.types.is_numeric_dtype(
        series
    ):
        return lambda value: "–" if _is_missing(value) else str(int(value))
    if pd.api.types.is_bool_dtype(series):
        return lambda value: "–" if _is_missing(value) else ("ja" if value else "nee")
    if pd.api.types.is_integer_dtype(series):
        return fmt_int
    if pd.api.types.is_float_dtype(series):
        whole = series.dropna()
        if len(whole) and (whole == whole.round()).all() and whole.abs().max() >= 100:
            return fmt_int
        return fmt_num
    return lambda value: "–" if _is_missing(value) else str(value)


# ------------------------------------------------------------------------------------------------
# Start of a report: area, source, years
# ------------------------------------------------------------------------------------------------


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
        composition = _composition(self)
        return list(composition.loc[composition["gemeente_code"].isin(self.codes), "gemeente_name"])

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

    def years(self) -> list[int]:
        """The report's years that the source covers, ascending."""
        return [
            year
            for year in self.dataset.years
            if (self.first_year is None or year >= self.first_year)
            and (self.last_year is None or year <= self.last_year)
        ]


def source_label(dataset) -> str:
    """Dutch name of a dataset's source for figure source lines and the methods block."""
    if dataset.is_demo:
        return "Demonstratiedata rvs-analysis (gesimuleerd)"
    tables = sorted(set((dataset.provenance or {}).get("tables", {}).values()))
    if tables:
        return "CBS StatLine " + ", ".join(tables)
    return f"Bron: {dataset.source}"


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


def start(
    area: str = REGION_NAME,
    source: str = "demo",
    cache: str = "data/raw",
    notebook: str = "",
    first_year: int | None = None,
    last_year: int | None = None,
    requires: Iterable[str] = (),
    parameters: Mapping[str, Any] | None = None,
    composition_year: int = 2017,
) -> ReportContext:
    """Check a report's parameters, load its source and return the context it works with.

    Parameters
    ----------
    area : str, default "Midden-Nederland"
        The region, a district or a municipality (name, slug or GM code).
    source : str, default "demo"
        ``"demo"``, ``"cbs"`` or a folder in the tidy layout; relative paths are looked up from the
        working directory and then from the repository root, so a notebook opened in
        ``notebooks/`` finds ``data/...`` with its defaults.
    cache : str, default "data/raw"
        CBS download cache (for ``source="cbs"``).
    notebook : str, optional
        The report's name, recorded in the summary.
    first_year, last_year : int, optional
        Period of the report; clipped to the years the source covers (with a note), and refused
        with :class:`~rvs_analysis.exceptions.NotAvailableForSource` when there is no overlap.
    requires : iterable of str, optional
        Optional dataset inputs the report cannot do without (see :data:`INPUTS`); checked with
        :func:`require` before anything else is computed.
    parameters : mapping, optional
        The notebook's parameters, recorded in the summary (``area``, ``source``... are added).
    composition_year : int, default 2017
        Composition of the region (2017: the 39 municipalities of the strategy).

    Returns
    -------
    ReportContext

    Raises
    ------
    UnknownAreaError
        When the area is not the region, a district or one of its municipalities (the message
        lists the valid names). Checked before the source is loaded.
    SourceNotAvailableError, DataValidationError
        From :func:`rvs_analysis.sources.load_source`.
    NotAvailableForSource
        When a required input or the requested years do not exist in this source; the renderer
        records the report as skipped.
    """
    from rvs_analysis.sources import load_source

    resolved = resolve_area(area, composition_year)
    dataset = load_source(source, cache)
    for name in requires:
        require(dataset, name)
    notes: list[str] = []
    first, last = _clip_years(dataset, first_year, last_year, notes)
    recorded = {"area": area, "source": source, "cache": str(cache)}
    if first_year is not None:
        recorded["first_year"] = first_year
    if last_year is not None:
        recorded["last_year"] = last_year
    recorded.update(dict(parameters or {}))
    recorded.pop("summary_path", None)
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
    )


def require(dataset, name: str) -> None:
    """Stop a report when its source lacks an input it needs.

    Parameters
    ----------
    dataset : rvs_analysis.sources.base.Dataset
    name : str
        An optional input of the dataset (``"cleared"``, ``"survey"``, ``"monthly"``, ...).

    Raises
    ------
    NotAvailableForSource
        With a Dutch reason ("… niet beschikbaar voor deze bron …") that the renderer shows when it
        records the report as skipped.
    ValueError
        When ``name`` is not an optional input of a Dataset.
    """
    if name not in INPUTS:
        raise ValueError(f"Unknown dataset input {name!r}; known: {', '.join(INPUTS)}.")
    value = getattr(dataset, name, None)
    empty = value is None or (isinstance(value, pd.DataFrame) and value.empty)
    if not empty:
        return
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
        "monthly": " Maandcijfers staan in CBS-tabel 47022NED; haal die op met 'rvs fetch'.",
    }.get(name, "")
    raise NotAvailableForSource(
        f"Deze rapportage is niet beschikbaar voor deze bron ({dataset.source}): "
        f"{INPUTS[name]} ontbreken.{hint}"
    )


# ------------------------------------------------------------------------------------------------
# Banner and methods block
# ------------------------------------------------------------------------------------------------

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
    for note in ctx.notes:
        blocks.append(f'<div class="rvs-note" style="{_NOTE_STYLE}">{html.escape(note)}</div>')
    return _display_object("html", "".join(blocks))


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
    technical : sequence of str, optional
        The statistics modules' own method descriptions (English, with test statistics), shown
        under "Technische details" for researchers.

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
        lines += ["", "**Technische details** (uit de statistiekmodules, Engelstalig)", ""]
        lines += [f"- {escape(text)}" for text in technical]
    files = ", ".join(provenance.get("files") or []) or "–"
    tables = ", ".join(sorted(set((provenance.get("tables") or {}).values()))) or "–"
    lines += [
        "",
        "**Bronnen**",
        "",
        f"- Bron: {escape(source_label(ctx.dataset))} ({escape(ctx.source)}), "
        f"versie {escape(provenance.get('version', '–'))}",
        f"- Bestanden: {escape(files)}"
        + (f"; tabellen: {escape(tables)}" if tables != "–" else ""),
        "- Gebiedsindeling: de 39 gemeenten van de Regionale Veiligheidsstrategie "
        f"Midden-Nederland in de indeling van {ctx.composition_year} (data/regions/), "
        "gemeentelijke herindelingen geharmoniseerd",
        "- Doelen: Jaarplan 2017/2018 RVS Midden-Nederland (data/targets.csv)",
        f"- Code: rvs-analysis {escape(provenance.get('code_version', '–'))}; "
        f"gemaakt op {dt.date.today().isoformat()}",
    ]
    return _display_object("markdown", "\n".join(lines))


# ------------------------------------------------------------------------------------------------
# The machine-readable summary
# ------------------------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_value(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if _is_missing(value):
        return None
    if isinstance(value, int | str):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return _json_value(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return str(value)


@dataclass
class Summary:
    """Key figures of one report for machines: the renderer's index and the tests read them.

    Written as ``{"area", "source", "notebook", "parameters", "provenance", "estimates",
    "headline"}``; ``estimates`` maps names to ``{"estimate": x, "ci_low": a, "ci_high": b}``.
    Names of estimates that recover a planted demo effect use the effect's name from
    ``rvs_analysis.sources.demo.truth()``.
    """

    area: str
    source: str
    notebook: str
    parameters: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    estimates: dict = field(default_factory=dict)
    headline: dict = field(default_factory=dict)

    def add(self, name: str, estimate: Any, **extra: Any) -> Summary:
        """Record an estimate with its interval.

        Parameters
        ----------
        name : str
        estimate : Estimate, Forecast, mapping or (estimate, ci_low, ci_high)
            Anything with ``estimate/ci_low/ci_high`` (or a ``to_dict()`` giving them).
        **extra
            Further plain values stored beside the interval (``significant``, ``method``...).

        Returns
        -------
        Summary
            ``self``, so calls can be chained.
        """
        if hasattr(estimate, "to_dict") and not isinstance(estimate, Mapping):
            values = estimate.to_dict()
            value, low, high = _parts(values)
        else:
            value, low, high = _parts(estimate)
        record = {"estimate": value, "ci_low": low, "ci_high": high}
        if hasattr(estimate, "significant") and "significant" not in extra:
            record["significant"] = bool(estimate.significant)
        record.update(extra)
        self.estimates[name] = _json_value(record)
        return self

    def set_headline(self, name: str, value: Any) -> Summary:
        """Record a headline figure (a plain value shown on the renderer's index page)."""
        self.headline[name] = _json_value(value)
        return self

    def to_dict(self) -> dict:
        """The summary as plain JSON-able values."""
        return {
            "area": self.area,
            "source": self.source,
            "notebook": self.notebook,
            "parameters": _json_value(self.parameters),
            "provenance": _json_value(self.provenance),
            "estimates": _json_value(self.estimates),
            "headline": _json_value(self.headline),
        }

    def write(self, path: str | Path = "") -> None:
        """Write the summary as JSON; a no-op when ``path`` is empty (interactive use).

        Parameters
        ----------
        path : str or Path
            Target file (parents are created). The renderer injects it as ``summary_path``.

        Returns
        -------
        None
            Nothing, so that a notebook's last cell shows no output.
        """
        if not path:
            return None
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_text(text + "\n", encoding="utf-8")
        temporary.replace(target)
        return None


# ------------------------------------------------------------------------------------------------
# Data of the report's area (selection and harmonisation only; no statistics)
# ------------------------------------------------------------------------------------------------

_HARMONISED: dict[tuple, pd.DataFrame] = {}


def _dataset_key(dataset, what: str, composition_year: int) -> tuple:
    version = (dataset.provenance or {}).get("version", id(dataset))
    return (dataset.source, version, what, composition_year)


def _harmonised_population(dataset, composition_year: int) -> pd.DataFrame:
    from rvs_analysis.regions import harmonise_population, known_codes

    key = _dataset_key(dataset, "population", composition_year)
    if key not in _HARMONISED:
        population = dataset.population
        population = population[population["gemeente_code"].isin(known_codes())]
        _HARMONISED[key] = harmonise_population(
            population[["gemeente_code", "year", "population"]],
            composition_year,
            dataset.population_boundary_year,
        )
    return _HARMONISED[key]


def _harmonised_crime(dataset, composition_year: int) -> pd.DataFrame:
    from rvs_analysis.regions import harmonise_counts, known_codes, municipalities

    key = _dataset_key(dataset, "crime", composition_year)
    if key not in _HARMONISED:
        crime = dataset.crime
        crime = crime[crime["gemeente_code"].isin(known_codes())]
        crime = crime[["gemeente_code", "year", "offence_code", "registered_offences"]]
        if dataset.crime_boundary_year != composition_year:
            crime = harmonise_counts(
                crime, dataset.population, dataset.crime_boundary_year, composition_year
            )
        codes = set(municipalities(composition_year)["gemeente_code"])
        crime = crime[crime["gemeente_code"].isin(codes)].copy()
        crime["registered_offences"] = crime["registered_offences"].astype(float)
        labels = dict(
            zip(dataset.offences["offence_code"], dataset.offences["offence_label"], strict=False)
        )
        crime["offence_label"] = crime["offence_code"].map(labels).fillna(crime["offence_code"])
        _HARMONISED[key] = crime.reset_index(drop=True)
    return _HARMONISED[key]


def _in_years(frame: pd.DataFrame, ctx: ReportContext) -> pd.DataFrame:
    years = ctx.years()
    return frame[frame["year"].isin(years)] if years else frame


def municipal_crime(
    ctx: ReportContext, offence_codes: Sequence[str] | None = None, whole_region: bool = False
) -> pd.DataFrame:
    """Registered offences per municipality, year and offence type on the report's boundaries.

    Parameters
    ----------
    ctx : ReportContext
    offence_codes : sequence of str, optional
        Keep these offence codes (all when omitted).
    whole_region : bool, default False
        All municipalities of the region instead of the area's.

    Returns
    -------
    pandas.DataFrame
        ``gemeente_code, year, offence_code, offence_label, registered_offences`` (float: counts
        apportioned out of a merged municipality are fractions), within the report's years.

    Notes
    -----
    Counts are harmonised with :func:`rvs_analysis.regions.harmonise_counts` from the source's
    boundary year to the composition year (exact for merged predecessors, population-share
    apportioning for municipalities merged later, such as Vianen and Weesp on 2017 boundaries).
    """
    crime = _harmonised_crime(ctx.dataset, ctx.composition_year)
    if not whole_region:
        crime = crime[crime["gemeente_code"].isin(ctx.codes)]
    if offence_codes is not None:
        crime = crime[crime["offence_code"].isin(list(offence_codes))]
    return _in_years(crime, ctx).reset_index(drop=True)


def area_crime(ctx: ReportContext, offence_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Registered offences of the area per year and offence type, as whole numbers.

    Returns
    -------
    pandas.DataFrame
        ``year, offence_code, offence_label, registered_offences`` (int): :func:`municipal_crime`
        summed over the area's municipalities and rounded, so that apportioned fractions (a
        merged municipality split by population share) add up before rounding.
    """
    crime = municipal_crime(ctx, offence_codes)
    summed = crime.groupby(["year", "offence_code", "offence_label"], as_index=False)[
        "registered_offences"
    ].sum()
    summed["registered_offences"] = summed["registered_offences"].round().astype(int)
    return summed


def municipal_population(ctx: ReportContext, whole_region: bool = False) -> pd.DataFrame:
    """Population per municipality and year on the report's boundaries (``gemeente_code, year,
    population``), harmonised like :func:`municipal_crime`."""
    population = _harmonised_population(ctx.dataset, ctx.composition_year)
    codes = set(_composition(ctx)["gemeente_code"]) if whole_region else set(ctx.codes)
    return _in_years(population[population["gemeente_code"].isin(codes)], ctx).reset_index(
        drop=True
    )


def area_population(ctx: ReportContext) -> pd.DataFrame:
    """Population of the area per year (``year, population``), summed over its municipalities."""
    population = municipal_population(ctx)
    return population.groupby("year", as_index=False)["population"].sum()


def area_counts(ctx: ReportContext, offence_code: str) -> pd.DataFrame:
    """Yearly registered offences of one offence type in the area, with its population.

    Returns
    -------
    pandas.DataFrame
        ``year, registered_offences, population, rate_per_1000``; counts rounded to whole numbers
        after summing (apportioned parts are fractions).

    Raises
    ------
    NotAvailableForSource
        When the source has no counts for this offence type.
    """
    crime = municipal_crime(ctx, [offence_code])
    if crime.empty:
        raise NotAvailableForSource(
            f"Misdrijfsoort {offence_code} is niet beschikbaar voor deze bron ({ctx.source})."
        )
    counts = crime.groupby("year", as_index=False)["registered_offences"].sum()
    counts["registered_offences"] = counts["registered_offences"].round().astype(int)
    counts = counts.merge(area_population(ctx), on="year", how="left")
    counts["rate_per_1000"] = 1000.0 * counts["registered_offences"] / counts["population"]
    return counts


def _composition(ctx: ReportContext) -> pd.DataFrame:
    from rvs_analysis.regions import municipalities

    return municipalities(ctx.composition_year)


def clearance_frame(ctx: ReportContext, offence_code: str = "1.1.1") -> pd.DataFrame:
    """Registered and cleared offences per municipality and year for the whole region.

    Parameters
    ----------
    ctx : ReportContext
        Its dataset must have ``cleared`` (see :func:`require`).
    offence_code : str, default "1.1.1"
        Offence type (residential burglary).

    Returns
    -------
    pandas.DataFrame
        ``gemeente_code, gemeente_name, district, in_area, year, registered_offences,
        cleared_offences`` and, where the source has the covariates, ``attempt_share`` (attempts
        as % of registered), ``density_per_1000`` (inhabitants per km2 / 1,000) and
        ``burgernet_participation`` (participants per 100 inhabitants), within the report's years.

    Notes
    -----
    Only unit conversions of the source's columns, so that the odds ratios of a drivers model
    are per a meaningful unit. Cleared offences are taken on the composition's boundaries as the
    region supplies them.
    """
    require(ctx.dataset, "cleared")
    cleared = ctx.dataset.cleared
    cleared = cleared[cleared["offence_code"] == offence_code]
    if cleared.empty:
        raise NotAvailableForSource(
            f"Opgehelderde misdrijven van soort {offence_code} zijn niet beschikbaar voor deze "
            f"bron ({ctx.source})."
        )
    frame = cleared.merge(_composition(ctx), on="gemeente_code", how="inner")
    frame["in_area"] = frame["gemeente_code"].isin(ctx.codes)
    if "attempted_offences" in frame.columns:
        frame["attempt_share"] = 100.0 * frame["attempted_offences"] / frame["registered_offences"]
    if "population_density" in frame.columns:
        frame["density_per_1000"] = frame["population_density"] / 1000.0
    return _in_years(frame, ctx).reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# Small shared pieces of the reports
# ------------------------------------------------------------------------------------------------

LEVEL_NL = {"region": "regio", "district": "district", "gemeente": "gemeente"}
"""Dutch names of the area levels."""


def intro(ctx: ReportContext):
    """One line under a report's title: area, level, municipalities, source and period."""
    years = ctx.years()
    period = f"{years[0]}–{years[-1]}" if years else "–"
    count = len(ctx.codes)
    members = f"{count} gemeente{'n' if count != 1 else ''}"
    district = (
        f", district {escape(ctx.area.district)}"
        if ctx.level == "gemeente" and ctx.area.district
        else ""
    )
    return _display_object(
        "markdown",
        f"**Gebied:** {escape(ctx.area.name)} ({LEVEL_NL[ctx.level]}{district}; {members}) · "
        f"**Bron:** {escape(source_label(ctx.dataset))} · **Periode:** {period}",
    )


def ratio_value_phrase(estimate: Any, decimals: int = 2, name: str = "", suffix: str = "") -> str:
    """A ratio (odds ratio, rate ratio) with its interval and significance against 1.

    Returns
    -------
    str
        ``"1,12 (95%-BI 1,05 tot 1,20; statistisch significant)"``, prefixed by ``name`` and a
        space when given; ``suffix`` (e.g. ``" keer zo groot"``) follows the value.
    """
    value, low, high = _parts(estimate)
    if _is_missing(value):
        return f"{name} niet te berekenen".strip()
    level = fmt_num(100 * _level(estimate), 0)
    text = (
        f"{fmt_num(value, decimals)}{suffix} ({level}%-BI {fmt_num(low, decimals)} tot "
        f"{fmt_num(high, decimals)}; {significance_label(_excludes(low, high, 1.0))})"
    )
    return f"{name} {text}" if name else text


def fmt_probability(probability: float) -> str:
    """A probability (0-1) as a Dutch percentage, with ``<1%`` and ``>99%`` at the extremes."""
    if _is_missing(probability):
        return "–"
    percent = 100.0 * float(probability)
    if percent < 1:
        return "minder dan 1%"
    if percent > 99:
        return "meer dan 99%"
    return fmt_pct(percent, 0)


def names_phrase(names: Iterable[Any], singular: str = "gemeente", plural: str = "gemeenten"):
    """``"geen gemeenten"``, ``"1 gemeente (Laren)"``, ``"3 gemeenten (A, B en C)"`` (not escaped:
    pass the result through :func:`md`, which escapes it)."""
    names = [str(name) for name in names]
    if not names:
        return f"geen {plural}"
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]
    return f"{len(names)} {singular if len(names) == 1 else plural} ({listed})"


def values_by_code(
    frame: pd.DataFrame, value: str, ctx: ReportContext, name: str = "gemeente_name"
):
    """A value column as a Series indexed by GM code, from a frame labelled by municipality name
    (for :func:`rvs_analysis.figures.area_map`)."""
    composition = _composition(ctx)
    codes = dict(zip(composition["gemeente_name"], composition["gemeente_code"], strict=True))
    series = frame.set_index(frame[name].map(codes))[value].astype(float)
    return series[series.index.notna()]


def targets_by_year(indicator: str, years: Iterable[int], published_only: bool = True):
    """The strategy's targets of an indicator for the given years (``year, target, how``).

    Years without a target are left out; with ``published_only`` interpolated targets too. Reads
    ``data/targets.csv`` through :func:`rvs_analysis.trends.target_for`.
    """
    from rvs_analysis.stats_common import StatisticsInputError
    from rvs_analysis.trends import target_for

    rows = []
    for year in sorted({int(year) for year in years}):
        try:
            target = target_for(indicator, year)
        except StatisticsInputError:
            continue
        if published_only and target.how != "published":
            continue
        rows.append({"year": year, "target": target.value, "how": target.how})
    return pd.DataFrame(rows, columns=["year", "target", "how"])


def funnel_grid(
    funnel: pd.DataFrame, denominator: str, kind: str = "proportion", points: int = 150
):
    """Funnel limits over a smooth grid of sizes, with the same limits as a funnel table.

    Parameters
    ----------
    funnel : pandas.DataFrame
        From :func:`rvs_analysis.clearance.funnel_table` (its ``attrs["overdispersion"]`` says
        which limits were used).
    denominator : str
        The table's denominator column.

    Returns
    -------
    pandas.DataFrame
        :func:`rvs_analysis.clearance.funnel_limits` on a log-spaced grid from half the smallest
        to twice the largest denominator.
    """
    import numpy as np

    from rvs_analysis.clearance import funnel_limits

    used = funnel.attrs.get("overdispersion", {})
    sizes = funnel[denominator].astype(float)
    grid = np.geomspace(max(1.0, sizes.min() / 2), sizes.max() * 2, points)
    chosen = used.get("limits", "exact")
    return funnel_limits(
        grid,
        float(used["benchmark"]),
        kind,
        overdispersion=None if chosen == "exact" else chosen,
        phi=float(used.get("phi", 1.0)),
        tau2=float(used.get("tau2", 0.0)),
    )


MONTHS_NL = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
"""Dutch month names, January first."""


def fmt_month(date: Any) -> str:
    """``"maart 2014"`` for a date or timestamp."""
    stamp = pd.Timestamp(date)
    return f"{MONTHS_NL[stamp.month - 1]} {stamp.year}"


def monthly_counts(ctx: ReportContext, offence_code: str = "1.1.1"):
    """Monthly registered offences of the area within the report's years, or ``None``.

    Returns
    -------
    pandas.Series or None
        From :func:`rvs_analysis.trends.monthly_series` (monthly DatetimeIndex); ``None`` when the
        source has no monthly counts for this offence type, so that a report can say so and go on.
    """
    from rvs_analysis.trends import monthly_series

    monthly = ctx.dataset.monthly
    if monthly is None or monthly.empty:
        return None
    monthly = monthly[
        (monthly["offence_code"] == offence_code) & monthly["gemeente_code"].isin(ctx.codes)
    ]
    monthly = _in_years(monthly, ctx)
    if monthly.empty:
        return None
    return monthly_series(monthly, offence_code, ctx.codes)


def change_point_table(series: pd.Series, dates: Iterable[Any], window: int = 12) -> pd.DataFrame:
    """The level change at each change point: ``window`` months after against before.

    Parameters
    ----------
    series : pandas.Series
        Monthly counts (DatetimeIndex).
    dates : iterable of dates
        First months of new segments (``ChangePoints.dates``).
    window : int, default 12
        Months compared on each side (whole years, so the season cancels); shorter at the ends.

    Returns
    -------
    pandas.DataFrame
        ``month`` (Dutch), ``before, after`` (counts summed over the windows), ``months``,
        ``change_pct, ci_low, ci_high, significant`` from
        :func:`rvs_analysis.trends.count_change` (exact Poisson interval).

    Notes
    -----
    Counts in whole-year windows so that seasonality does not create a change; the Poisson
    interval ignores month-to-month overdispersion, so read borderline cases with care.
    """
    from rvs_analysis.trends import count_change

    rows = []
    index = series.index
    for date in dates:
        position = int(index.searchsorted(pd.Timestamp(date)))
        months = min(window, position, len(series) - position)
        if months < 1:
            continue
        before = float(series.iloc[position - months : position].sum())
        after = float(series.iloc[position : position + months].sum())
        change = count_change(before, after)
        rows.append(
            {
                "month": fmt_month(index[position]),
                "months": months,
                "before": before,
                "after": after,
                "change_pct": change.estimate,
                "ci_low": change.ci_low,
                "ci_high": change.ci_high,
                "significant": change.significant,
            }
        )
    columns = ["month", "months", "before", "after", "change_pct", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=[*columns, "significant"])


# ------------------------------------------------------------------------------------------------
# Strategy monitor: the indicators of the Veiligheidsstrategie for an area
# ------------------------------------------------------------------------------------------------

INDICATOR_SOURCES: dict[str, tuple[str, str]] = {
    "burglary": ("crime", "1.1.1"),
    "completed_burglary": ("completed", "1.1.1"),
    "robbery": ("crime", "1.4.7"),
    "street_robbery": ("crime", "1.4.6"),
    "total_crime": ("crime", "0.0.0"),
    "burglary_clearance": ("cleared", "1.1.1"),
    "robbery_clearance": ("cleared", "1.4.7"),
    "street_robbery_clearance": ("cleared", "1.4.6"),
    "suspects_handled": ("indicators", "afgehandelde_verdachten"),
    "criminal_networks": ("indicators", "csv_aangepakt"),
    "confiscation": ("indicators", "afpakken_x1000_euro"),
    "feels_unsafe": ("survey", "feels_unsafe"),
    "youth_nuisance": ("survey", "youth_nuisance"),
}
"""Where each indicator of ``data/targets.csv`` comes from: (kind of input, code or column).

``crime``: registered offences of an offence code; ``completed``: registered minus attempted
burglaries (cleared-offences file); ``cleared``: clearance percentage; ``indicators``: the region's
own yearly figures; ``survey``: weighted percentage per survey wave."""


def indicator_observations(ctx: ReportContext, indicator: str, last_year: int | None = None):
    """The yearly observations of one strategy indicator for the report's area.

    Parameters
    ----------
    ctx : ReportContext
    indicator : str
        An indicator of ``data/targets.csv`` (see :data:`INDICATOR_SOURCES`).
    last_year : int, optional
        Drop later years (the report year of a monitor).

    Returns
    -------
    pandas.DataFrame or None
        ``year, value`` plus ``population`` (counts) or ``cleared_offences,
        registered_offences`` (clearance): the shape :func:`rvs_analysis.trends.target_status`
        reads. ``None`` when the source does not hold the indicator for this area.
    """
    kind, code = INDICATOR_SOURCES.get(indicator, ("", ""))
    data = ctx.dataset
    frame = None
    if kind == "crime":
        crime = municipal_crime(ctx, [code])
        if not crime.empty:
            frame = area_counts(ctx, code).rename(columns={"registered_offences": "value"})
            frame = frame[["year", "value", "population"]]
    elif kind in ("cleared", "completed") and data.cleared is not None:
        cleared = data.cleared
        cleared = cleared[
            (cleared["offence_code"] == code) & cleared["gemeente_code"].isin(ctx.codes)
        ]
        if kind == "completed" and "attempted_offences" not in cleared.columns:
            cleared = cleared.iloc[0:0]
        if not cleared.empty:
            columns = ["registered_offences", "cleared_offences"]
            if kind == "completed":
                columns.append("attempted_offences")
            sums = _in_years(cleared, ctx).groupby("year", as_index=False)[columns].sum()
            if kind == "completed":
                sums["value"] = sums["registered_offences"] - sums["attempted_offences"]
                frame = sums[["year", "value"]].merge(area_population(ctx), on="year", how="left")
            else:
                sums["value"] = 100.0 * sums["cleared_offences"] / sums["registered_offences"]
                frame = sums[["year", "value", "cleared_offences", "registered_offences"]]
    elif kind == "indicators" and data.indicators is not None:
        rows = data.indicators[
            (data.indicators["indicator"] == code) & (data.indicators["area"] == ctx.area.name)
        ]
        if not rows.empty:
            frame = _in_years(rows, ctx)[["year", "value"]].astype({"value": float})
    elif kind == "survey" and data.survey is not None:
        from rvs_analysis.perception import weighted_proportions

        survey = data.survey[data.survey["gemeente_code"].isin(ctx.codes)]
        survey = _in_years(survey, ctx)
        if not survey.empty:
            shares = weighted_proportions(survey, code, by="year")
            shares = shares[~shares["suppressed"]]
            frame = shares.rename(columns={"estimate_pct": "value"})[
                ["year", "value", "ci_low", "ci_high"]
            ]
    if frame is None or frame.empty:
        return None
    if last_year is not None:
        frame = frame[frame["year"] <= last_year]
    return frame.sort_values("year").reset_index(drop=True)


def _region_context(ctx: ReportContext) -> ReportContext:
    from dataclasses import replace

    return replace(ctx, area=resolve_area(REGION_NAME, ctx.composition_year))


def area_targets(ctx: ReportContext, indicator: str, last_year: int | None = None):
    """The strategy's targets of an indicator, scaled to the report's area.

    Returns
    -------
    (pandas.DataFrame, float or None, str)
        The targets table (as :func:`rvs_analysis.trends.load_targets`) for this indicator, the
        observed baseline-year value of the area (for targets stated relative to the baseline),
        and a Dutch note on how the targets were obtained.

    Notes
    -----
    The strategy states its targets for the region. Percentages (clearance, survey shares) apply
    to any area as they are. Counts and amounts are scaled by the area's share of the region in
    the baseline year (or the first year with data for both): an area that had 20% of the
    region's burglaries in 2011 gets 20% of the region's target. That is an assumption of equal
    relative effort, not a target the strategy set for the area.
    """
    from rvs_analysis.trends import load_targets

    targets = load_targets()
    rows = targets[targets["indicator"] == indicator].copy()
    observed = indicator_observations(ctx, indicator, last_year)
    baseline_rows = rows[rows["kind"] == "baseline"]
    baseline_year = int(baseline_rows["year"].iloc[0]) if not baseline_rows.empty else None
    baseline_value = None
    if observed is not None and baseline_year is not None:
        at_baseline = observed[observed["year"] == baseline_year]
        if not at_baseline.empty:
            baseline_value = float(at_baseline["value"].iloc[0])
    unit = str(rows["unit"].iloc[0]) if not rows.empty else ""
    if ctx.level == "region" or unit == "percent" or observed is None:
        note = "doel van de regio" if unit != "percent" else "percentage van de regio"
        return rows, baseline_value, note
    region = indicator_observations(_region_context(ctx), indicator, last_year)
    if region is None:
        return rows.iloc[0:0], baseline_value, "geen regiocijfers om het doel te schalen"
    both = observed.merge(region, on="year", suffixes=("", "_region"))
    if baseline_year is not None:
        both = both[both["year"] >= baseline_year]
    if both.empty or not both["value_region"].iloc[0] > 0:
        return rows.iloc[0:0], baseline_value, "geen gemeenschappelijk jaar om het doel te schalen"
    share = float(both["value"].iloc[0] / both["value_region"].iloc[0])
    rows["value"] = rows["value"] * share
    note = f"regiodoel × aandeel {fmt_pct(100 * share, 1)} in {int(both['year'].iloc[0])}"
    return rows, baseline_value, note


def results_table(ctx: ReportContext, report_year: int, target_year: int = 2018) -> pd.DataFrame:
    """The annual report's results table for the area: target, this year, last year, status.

    Parameters
    ----------
    ctx : ReportContext
    report_year : int
        "This year" of the table; observations after it are ignored (a monitor as it was then).
    target_year : int, default 2018
        End year of the strategy, whose target decides the status.

    Returns
    -------
    pandas.DataFrame
        One row per indicator of ``data/targets.csv``: ``indicator, label, unit, target, how,
        this_year, value, previous_year, previous_value, change_pct, change_low, change_high,
        significant, status, target_end, target_end_year, forecast, forecast_low, forecast_high,
        probability, note``. The status is judged against the target of ``target_year``, or of
        the indicator's last target year before it when the strategy set none for that year
        (suspects handled: 2016). Indicators the source lacks have NaN values and status ``"geen gegevens"``.
        ``attrs["statuses"]`` holds the :class:`~rvs_analysis.trends.TargetStatus` objects.

    Notes
    -----
    Status and forecast from :func:`rvs_analysis.trends.target_status` on the area's series up
    to ``report_year``; the change against the previous observation from
    :func:`rvs_analysis.trends.count_change` (exact Poisson interval; for clearance the ratio of
    cleared per registered offence) where the indicator is a count, else not tested.
    """
    from rvs_analysis.stats_common import StatisticsInputError
    from rvs_analysis.trends import count_change, load_targets, target_for, target_status

    all_targets = load_targets()
    labels = all_targets.drop_duplicates("indicator").set_index("indicator")
    rows, statuses = [], {}
    for indicator in labels.index:
        record: dict[str, Any] = {
            "indicator": indicator,
            "label": labels.loc[indicator, "label_nl"],
            "unit": labels.loc[indicator, "unit"],
            "status": "geen gegevens",
            "note": "",
        }
        observed = indicator_observations(ctx, indicator, report_year)
        if observed is None or observed.empty:
            record["note"] = "niet in deze bron"
            rows.append(record)
            continue
        targets, baseline_value, note = area_targets(ctx, indicator, report_year)
        record["note"] = note
        latest = observed.iloc[-1]
        record.update(this_year=int(latest["year"]), value=float(latest["value"]))
        if len(observed) > 1:
            previous = observed.iloc[-2]
            record.update(
                previous_year=int(previous["year"]), previous_value=float(previous["value"])
            )
            change = None
            try:
                if "cleared_offences" in observed.columns:
                    change = count_change(
                        previous["cleared_offences"],
                        latest["cleared_offences"],
                        previous["registered_offences"],
                        latest["registered_offences"],
                    )
                elif record["unit"] == "count" and "ci_low" not in observed.columns:
                    change = count_change(round(previous["value"]), round(latest["value"]))
            except StatisticsInputError:
                change = None  # e.g. no registered robberies in a year: no percentage to compare
            if change is not None:
                record.update(
                    change_pct=change.estimate,
                    change_low=change.ci_low,
                    change_high=change.ci_high,
                    significant=change.significant,
                )
        try:
            target = target_for(indicator, int(latest["year"]), targets, baseline_value)
            record.update(target=target.value, how=target.how, met=target.is_met(record["value"]))
        except StatisticsInputError:
            pass
        status_input = observed.drop(columns=["ci_low", "ci_high"], errors="ignore")
        if "cleared_offences" in status_input.columns:
            status_input = status_input.drop(columns="value")
        target_years = targets.loc[targets["kind"] == "target", "year"].astype(int)
        end_year = int(target_years[target_years <= target_year].max()) if len(target_years) else 0
        try:
            status = target_status(
                indicator, status_input, end_year, targets, baseline_value, n_sim=5000
            )
        except (StatisticsInputError, ValueError) as error:
            record["status"] = "niet te bepalen"
            record["note"] = f"{note}; {error}"
        else:
            statuses[indicator] = status
            record.update(
                status=status.status_nl,
                target_end=status.target.value,
                target_end_year=status.target.year,
                probability=status.probability_meeting_target,
            )
            if status.forecast is not None:
                record.update(
                    forecast=status.forecast.mean,
                    forecast_low=status.forecast.pi_low,
                    forecast_high=status.forecast.pi_high,
                )
        rows.append(record)
    columns = [
        "indicator", "label", "unit", "target", "how", "met", "this_year", "value",
        "previous_year", "previous_value", "change_pct", "change_low", "change_high",
        "significant", "status", "target_end", "target_end_year", "forecast", "forecast_low", "forecast_high",
        "probability", "note",
    ]  # fmt: skip
    table = pd.DataFrame(rows).reindex(columns=columns)
    table.attrs["statuses"] = statuses
    return table


def fmt_value(value: Any, unit: str) -> str:
    """An indicator value in its unit: counts whole, percentages with one decimal, amounts in
    thousands of euros whole."""
    if _is_missing(value):
        return "–"
    if unit == "percent":
        return fmt_pct(value, 1)
    return fmt_int(value)


def district_comparison(
    ctx: ReportContext, offence_code: str, base_year: int, report_year: int
) -> pd.DataFrame:
    """Registered offences per district: base year against report year, with rates.

    Returns
    -------
    pandas.DataFrame
        ``area, base, value, change_pct, ci_low, ci_high, significant, rate_per_1000`` per
        district plus the region (last row), from :func:`rvs_analysis.regions.area_table`
        (harmonised counts and populations) and :func:`rvs_analysis.trends.count_change`.
    """
    from rvs_analysis.regions import area_table
    from rvs_analysis.trends import count_change

    rows = []
    for level in ("district", "region"):
        table = area_table(
            ctx.dataset, offence_code, level, ctx.composition_year, [base_year, report_year], True
        )
        for name, group in table.groupby("area", sort=False):
            by_year = group.set_index("year")
            if base_year not in by_year.index or report_year not in by_year.index:
                continue
            before = float(by_year.loc[base_year, "registered_offences"])
            after = float(by_year.loc[report_year, "registered_offences"])
            change = count_change(before, after)
            rows.append(
                {
                    "area": name,
                    "base": before,
                    "value": after,
                    "change_pct": change.estimate,
                    "ci_low": change.ci_low,
                    "ci_high": change.ci_high,
                    "significant": change.significant,
                    "rate_per_1000": float(by_year.loc[report_year, "rate_per_1000"]),
                }
            )
    return pd.DataFrame(rows)


def format_results(table: pd.DataFrame, report_year: int, target_year: int = 2018) -> pd.DataFrame:
    """The results table of :func:`results_table` as Dutch text, one column per heading.

    Values are formatted in each indicator's unit; interpolated targets are marked ``*``;
    prediction intervals of percentages are cut at 0% and 100%.
    """
    rows = []
    for record in table.to_dict("records"):
        unit = record["unit"]
        target = fmt_value(record.get("target"), unit)
        if record.get("how") == "interpolated":
            target += "*"
        change = "–"
        if not _is_missing(record.get("change_pct")):
            change = (
                f"{fmt_pct(record['change_pct'], 0, signed=True)} "
                f"({fmt_pct(record['change_low'], 0)} tot {fmt_pct(record['change_high'], 0)})"
                + (" sign." if record.get("significant") else "")
            )
        forecast = "–"
        if not _is_missing(record.get("forecast")):
            low, high = record["forecast_low"], record["forecast_high"]
            if unit == "percent":
                low, high = max(0.0, low), min(100.0, high)
            forecast = (
                f"{fmt_value(record['forecast'], unit)} "
                f"({fmt_value(low, unit)}–{fmt_value(high, unit)})"
            )
        end_year = record.get("target_end_year")
        end = fmt_value(record.get("target_end"), unit)
        if not _is_missing(end_year) and int(end_year) != target_year:
            end += f" ({int(end_year)})"
        this_year = record.get("this_year")
        value = fmt_value(record.get("value"), unit)
        if not _is_missing(this_year) and int(this_year) != report_year:
            value += f" ({int(this_year)})"
        previous = fmt_value(record.get("previous_value"), unit)
        if not _is_missing(record.get("previous_year")) and int(record["previous_year"]) != (
            report_year - 1
        ):
            previous += f" ({int(record['previous_year'])})"
        rows.append(
            {
                "Indicator": record["label"],
                f"Doel {report_year}": target,
                f"{report_year}": value,
                f"{report_year - 1}": previous,
                "Verandering (95%-BI)": change,
                f"Doel {target_year}": end,
                f"Prognose {target_year} (95%-VI)": forecast,
                "Kans doel gehaald": fmt_probability(record.get("probability")),
                "Status": record["status"],
            }
        )
    return pd.DataFrame(rows)


def survey_frame(ctx: ReportContext) -> pd.DataFrame:
    """The survey microdata of the whole region with pilot group and area membership.

    Returns
    -------
    pandas.DataFrame
        The source's ``survey`` frame (region composition, report years) plus ``pilot`` (bool:
        one of the pilot municipalities of ``data/regions/pilots.csv``), ``group``
        (``"Proeftuinen"`` / ``"Overige gemeenten"``) and ``in_area`` (bool).

    Raises
    ------
    NotAvailableForSource
        When the source has no survey microdata.
    """
    from rvs_analysis.regions import pilot_municipalities

    require(ctx.dataset, "survey")
    pilots = set(pilot_municipalities()["gemeente_code"])
    survey = ctx.dataset.survey
    survey = survey[survey["gemeente_code"].isin(set(_composition(ctx)["gemeente_code"]))]
    survey = _in_years(survey, ctx).copy()
    survey["pilot"] = survey["gemeente_code"].isin(pilots)
    survey["group"] = survey["pilot"].map({True: "Proeftuinen", False: "Overige gemeenten"})
    survey["in_area"] = survey["gemeente_code"].isin(ctx.codes)
    return survey.reset_index(drop=True)
