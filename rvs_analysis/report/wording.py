"""Dutch numbers and phrases of the reports.

The number, percentage, p-value and date formats are :mod:`rvs_analysis.dutch` (re-exported here);
:func:`fmt_ci`, :func:`fmt_probability` and :func:`fmt_value` build on them; the phrase helpers (:func:`change_phrase`, :func:`ratio_phrase`,
:func:`difference_phrase`, :func:`ratio_value_phrase`, :func:`names_phrase`) word an estimate with its
interval and significance; :func:`md` shows a Markdown sentence with every substituted value
HTML-escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

from IPython.display import HTML, Markdown, display

from rvs_analysis.dutch import (
    MINUS,
    MONTHS_NL,
    fmt_date,
    fmt_datetime,
    fmt_int,
    fmt_month,
    fmt_num,
    fmt_p,
    fmt_pct,
    is_missing,
    is_set,
)

__all__ = [
    "LEVEL_NL",
    "TARGET_STATUSES_NL",
    "MINUS",
    "MONTHS_NL",
    "ar1_clause_nl",
    "change_noun",
    "change_phrase",
    "count_change_sentence",
    "difference_phrase",
    "display_object",
    "escape",
    "estimate_parts",
    "fmt_ci",
    "fmt_date",
    "fmt_datetime",
    "fmt_int",
    "fmt_month",
    "fmt_num",
    "fmt_p",
    "fmt_pct",
    "fmt_probability",
    "fmt_value",
    "interval_excludes",
    "interval_level",
    "is_missing",
    "is_set",
    "key_message",
    "md",
    "names_phrase",
    "ratio_phrase",
    "ratio_value_phrase",
    "show",
    "shown_decimals",
    "significance_label",
    "targets_sentence",
]


def ar1_clause_nl(min_years: int) -> str:
    """What :mod:`rvs_analysis.stats.serial` does to trends and forecasts, as a Dutch clause.

    Parameters
    ----------
    min_years : int
        The fewest years from which the autocorrelation is estimated
        (:data:`rvs_analysis.stats.serial.MIN_YEARS_AR1`).

    Returns
    -------
    str
        Lower case, no final full stop (capitalise for a sentence).
    """
    return (
        f"bij minstens {min_years} jaren is nagegaan of de jaar-op-jaarruis samenhangt tussen "
        "opeenvolgende jaren (AR(1), uit de autocorrelatie van de residuen van de trend); waar "
        "dat zo is, zijn het interval van de trend (sandwichvariantie, bootstrap-t) en het "
        "voorspellingsinterval daarvoor verbreed; met minder jaren zijn de jaren als onafhankelijk "
        "behandeld"
    )


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
    if is_missing(low) or is_missing(high):
        return f"{label} niet te berekenen"
    return f"{label} {fmt_num(low, decimals)}{unit} tot {fmt_num(high, decimals)}{unit}"


def estimate_parts(estimate: Any) -> tuple[float, float, float]:
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
    return float("nan") if is_missing(value) else float(value)


def interval_excludes(low: float, high: float, null: float) -> bool:
    if is_missing(low) or is_missing(high):
        return False
    return not (low <= null <= high)


def shown_decimals(low: float, high: float, null: float, decimals: int, most: int = 4) -> int:
    """The fewest decimals (at least ``decimals``) at which a printed interval shows what it is.

    Parameters
    ----------
    low, high : float
        Interval bounds, in the unit printed.
    null : float
        The value meaning "no change" (0 for a percentage change, 1 for a ratio).
    decimals : int
        The decimals the report uses for this kind of figure.
    most : int, default 4
        Never more than this.

    Returns
    -------
    int
        ``decimals`` when the interval holds ``null`` (or is missing); otherwise the fewest
        decimals at which neither printed bound equals ``null``, so that "+4% (0% tot 8%) sign."
        becomes "+4,2% (0,3% tot 8,1%) sign." and a ratio "0,99 (0,99 tot 1,00)" becomes
        "0,993 (0,989 tot 0,997)".
    """
    if not interval_excludes(low, high, null):
        return decimals
    shown = decimals
    near = low if low > null else high
    while shown < most and round(near, shown) == round(null, shown):
        shown += 1
    return shown


def interval_level(estimate: Any) -> float:
    return float(getattr(estimate, "level", 0.95) or 0.95)


def significance_label(significant: bool) -> str:
    """``"statistisch significant"`` or ``"niet statistisch significant"``."""
    return "statistisch significant" if significant else "niet statistisch significant"


def change_phrase(estimate: Any, decimals: int = 0, null: float = 0.0, tested: bool = True) -> str:
    """A percentage change with its interval and significance, as a Dutch predicate.

    Parameters
    ----------
    estimate : Estimate, mapping or (estimate, ci_low, ci_high)
        A change in percent (e.g. from :func:`rvs_analysis.stats.trends.count_change`).
    decimals : int, default 0
    null : float, default 0
        The value meaning "no change".
    tested : bool, default True
        Name the significance; False for a change that was selected for its size (the largest
        of many), where a significance label would mislead: ``"steeg met 12% (95%-BI 4% tot 21%)"``.

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
    value, low, high = estimate_parts(estimate)
    if is_missing(value):
        return "is niet te berekenen (te weinig gegevens)"
    significant = interval_excludes(low, high, null)
    decimals = shown_decimals(low, high, null, decimals)
    interval = fmt_ci(low, high, decimals, "%", interval_level(estimate))
    if tested:
        interval += f"; {significance_label(significant)}"
    if fmt_num(abs(value), decimals) == fmt_num(0, decimals):
        return f"bleef vrijwel gelijk ({fmt_pct(value, decimals, signed=True)}; {interval})"
    verb = "steeg" if value > 0 else "daalde"
    return f"{verb} met {fmt_pct(abs(value), decimals)} ({interval})"


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
    value, low, high = estimate_parts(estimate)
    as_percent = tuple(100.0 * (part - 1.0) for part in (value, low, high))
    phrase = change_phrase(as_percent, decimals)
    if per and not phrase.startswith("is niet"):
        verb, rest = phrase.split(" ", 1)
        phrase = f"{verb} {per} {rest}"
    if hasattr(estimate, "level"):
        phrase = phrase.replace("95%-BI", f"{fmt_num(100 * interval_level(estimate), 0)}%-BI")
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
    value, low, high = estimate_parts(estimate)
    if is_missing(value):
        return "niet te berekenen (te weinig gegevens)"
    significant = interval_excludes(low, high, null)
    level = fmt_num(100 * interval_level(estimate), 0)
    return (
        f"{fmt_num(value, decimals, signed=True)}{unit} ({level}%-BI {fmt_num(low, decimals)} tot "
        f"{fmt_num(high, decimals)}{unit}; {significance_label(significant)})"
    )


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|])")


def escape(text: Any) -> str:
    """Make a data label safe to show in Markdown/HTML: HTML-escape it and neutralise Markdown.

    ``escape("<script>") == "&lt;script&gt;"``; ``escape("a*b") == "a\\*b"``.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def display_object(kind: str, text: str):
    return Markdown(text) if kind == "markdown" else HTML(text)


def show(*objects: Any) -> None:
    """Display several results in one cell, in order, skipping ``None`` (a part left out)."""
    for item in objects:
        if item is not None:
            display(item)


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
    return display_object("markdown", template.format(**safe))


def key_message(sentences: Iterable[str]):
    """A report's "kernboodschap": its key sentences in a block at the top of the page.

    Parameters
    ----------
    sentences : iterable of str
        Plain Dutch sentences computed from the report's own results (escaped here).

    Returns
    -------
    IPython.display.HTML
        ``<div class="rvs-kernboodschap">`` with the heading "Kernboodschap"; ``.data`` holds
        the HTML.
    """
    body = "".join(f"<p>{html.escape(str(sentence))}</p>" for sentence in sentences if sentence)
    return display_object(
        "html",
        f'<div class="rvs-kernboodschap"><h2>Kernboodschap</h2>{body}</div>',
    )


def count_change_sentence(
    area: str,
    year: Any,
    count: float,
    what: str,
    previous_year: Any = None,
    change: Any = None,
    too_few: bool = False,
) -> str:
    """A count of this year and its change since the previous year, as one Dutch sentence.

    Parameters
    ----------
    area : str
    year : int or str
        The year counted (a label such as ``"2025 (voorlopig)"`` is shown as given).
    count : float
    what : str
        The counted offences in the plural, e.g. ``"woninginbraken"``.
    previous_year : int or str, optional
        Without it the sentence gives the count only.
    change : Estimate, mapping or (estimate, ci_low, ci_high), optional
        The change in percent with its interval.
    too_few : bool, default False
        Fewer cases than a percentage change needs ("te weinig gevallen").

    Returns
    -------
    str
        ``"In 2016 telde Flevoland 1.544 woninginbraken: een daling van 8% (95%-BI …) ten
        opzichte van 2015."``; with too few cases ``"In 2016 telde Laren 12 woninginbraken; voor
        een verandering ten opzichte van 2015 zijn het te weinig gevallen."``.
    """
    counted = f"In {year} telde {area} {fmt_int(count)} {what}"
    if previous_year is None or change is None:
        return counted + "."
    if too_few or is_missing(estimate_parts(change)[0]):
        return (
            f"{counted}; voor een verandering ten opzichte van {previous_year} zijn het te weinig "
            "gevallen."
        )
    return f"{counted}: {change_noun(change)} ten opzichte van {previous_year}."


TARGET_STATUS_WORDS = {
    "achieved": "behaald",
    "not met": "niet behaald",
    "borderline": "op de grens",
    "too few": "te weinig gevallen",
    "on course": "op koers",
    "likely": "waarschijnlijk op koers",
    "uncertain": "onzeker",
    "unlikely": "niet op koers",
    "insufficient data": "onvoldoende gegevens",
}
"""The Dutch word of each status code of :func:`rvs_analysis.stats.targets.target_status`
(measured: achieved, not met, borderline, too few; forecast, before the target year: on course,
likely, uncertain, unlikely; neither: insufficient data)."""


def status_word(status: str) -> str:
    """The Dutch word of a target's status code (:data:`TARGET_STATUS_WORDS`).

    Parameters
    ----------
    status : str
        ``TargetStatus.status``, e.g. ``"on course"``.

    Returns
    -------
    str
        E.g. ``"op koers"``.
    """
    return TARGET_STATUS_WORDS[status]


TARGET_STATUSES_NL = tuple(
    TARGET_STATUS_WORDS[code]
    for code in (
        "achieved", "not met", "borderline", "too few", "on course", "likely", "uncertain",
        "unlikely",
    )
)  # fmt: skip
"""The statuses of a target in the order the reports count them: measured (the first four, once
the data reach the target year) and forecast (the last four, before it; never "behaald"); see
:mod:`rvs_analysis.stats.targets`."""


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " en " + parts[-1]


def targets_sentence(
    counts: Mapping[str, int], judged: str | None = None, forecast_year: int | None = None
) -> str:
    """How many targets have each status, as one Dutch sentence that says what it counts.

    Parameters
    ----------
    counts : mapping of str to int
        Number of targets per Dutch status (:data:`TARGET_STATUSES_NL`); missing statuses count 0.
    judged : str, optional
        The measured year(s) the targets were judged on (``"2018"``, or ``"2018 (afgehandelde
        verdachten: 2016)"``), when the data reach the target year.
    forecast_year : int, optional
        The target year of a forecast (before the target year).

    Returns
    -------
    str
        ``"Van de 13 doelen met gegevens, beoordeeld op de gemeten waarde van 2018: 8 behaald,
        3 niet behaald en 2 op de grens."``; ``"Van de 11 doelen met gegevens: naar de prognose
        voor 2018 6 op koers, 1 onzeker en 3 niet op koers; gemeten in hun eigen, eerdere doeljaar
        1 behaald."``. Statuses with no target are left out; one target takes the singular ("Van
        het ene doel met gegevens").
    """
    number = {status: int(counts.get(status, 0) or 0) for status in TARGET_STATUSES_NL}
    total = sum(number.values())
    if total == 0:
        return "Geen doelen met gegevens."
    opening = (
        "Van het ene doel met gegevens" if total == 1 else f"Van de {total} doelen met gegevens"
    )
    parts = [f"{count} {status}" for status, count in number.items() if count]
    if judged is not None:
        return f"{opening}, beoordeeld op de gemeten waarde van {judged}: {_listed(parts)}."
    if forecast_year is None:
        return f"{opening}: {_listed(parts)}."
    measured = [f"{number[status]} {status}" for status in TARGET_STATUSES_NL[:4] if number[status]]
    forecast = [f"{number[status]} {status}" for status in TARGET_STATUSES_NL[4:] if number[status]]
    said = []
    if forecast:
        said.append(f"naar de prognose voor {forecast_year} {_listed(forecast)}")
    if measured:
        said.append(f"gemeten in hun eigen, eerdere doeljaar {_listed(measured)}")
    return f"{opening}: {'; '.join(said)}."


def change_noun(estimate: Any, decimals: int = 0) -> str:
    """A change as a noun phrase: "een daling van 8% (95%-BI …; statistisch significant)"."""
    phrase = change_phrase(estimate, decimals)
    for verb, noun in (
        ("steeg met", "een stijging van"),
        ("daalde met", "een daling van"),
        ("bleef vrijwel gelijk", "vrijwel gelijk"),
        ("is niet te berekenen", "niet te berekenen"),
    ):
        if phrase.startswith(verb):
            return noun + phrase[len(verb) :]
    return phrase


LEVEL_NL = {
    "region": "regio",
    "district": "district",
    "gemeente": "gemeente",
    "rest": "deel van de regio",
    "custom": "eigen gebied",
    "country": "land",
}
"""Dutch names of the area levels."""


def ratio_value_phrase(estimate: Any, decimals: int = 2, name: str = "", suffix: str = "") -> str:
    """A ratio (odds ratio, rate ratio) with its interval and significance against 1.

    Returns
    -------
    str
        ``"1,12 (95%-BI 1,05 tot 1,20; statistisch significant)"``, prefixed by ``name`` and a
        space when given; ``suffix`` (e.g. ``" keer zo groot"``) follows the value.
    """
    value, low, high = estimate_parts(estimate)
    if is_missing(value):
        return f"{name} niet te berekenen".strip()
    level = fmt_num(100 * interval_level(estimate), 0)
    decimals = shown_decimals(low, high, 1.0, decimals)
    text = (
        f"{fmt_num(value, decimals)}{suffix} ({level}%-BI {fmt_num(low, decimals)} tot "
        f"{fmt_num(high, decimals)}; {significance_label(interval_excludes(low, high, 1.0))})"
    )
    return f"{name} {text}" if name else text


def fmt_probability(probability: float) -> str:
    """A probability (0-1) as a Dutch percentage, with ``<1%`` and ``>99%`` at the extremes."""
    if is_missing(probability):
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


def fmt_value(value: Any, unit: str) -> str:
    """An indicator value in its unit: counts whole, percentages with one decimal, amounts in
    thousands of euros whole."""
    if is_missing(value):
        return "–"
    if unit == "percent":
        return fmt_pct(value, 1)
    return fmt_int(value)
