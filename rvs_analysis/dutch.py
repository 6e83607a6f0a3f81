"""Dutch notation for every number, percentage, p-value and date the suite shows.

The one home of the formatting rules (the report helpers, the statistics modules' Dutch verdicts,
the renderer's footer and index all call it):

- decimal comma and dots between thousands (``12.564,3``), a real minus sign (``−4,2``);
- percentages with the sign attached (``7,8%``), changes signed (``+3%``);
- p-values as CBS publishes them: ``p = 0,97``, ``p = 0,043``, ``p < 0,001``;
- dates written out (``1 december 2026``, ``1 december 2026 om 12:40``) in the local time zone,
  never an ISO or UTC time stamp.

It sits at the bottom of the layers (no imports from the rest of the package), so that the
statistics modules may use it too.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

__all__ = [
    "GLOSSARY",
    "MINUS",
    "MONTHS_NL",
    "fmt_date",
    "fmt_datetime",
    "fmt_int",
    "fmt_month",
    "fmt_num",
    "fmt_p",
    "fmt_pct",
    "fmt_seconds",
    "format_number",
    "is_missing",
]

MINUS = "\u2212"
"""The typographic minus sign used for negative numbers in report text."""

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

GLOSSARY: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "95%-BI (95%-betrouwbaarheidsinterval)",
        ("95%-BI",),
        "de marge rond een geschatte waarde; bij herhaling van de "
        "meting ligt de werkelijke waarde in 95 van de 100 gevallen binnen deze marge.",
    ),
    (
        "95%-VI (95%-voorspellingsinterval)",
        ("95%-VI", "95%-voorspellingsinterval"),
        "de marge rond een prognose, waarbinnen de uitkomst met 95% "
        "kans valt als de trend doorzet.",
    ),
    (
        "statistisch significant",
        ("statistisch significant",),
        "het verschil is groter dan het toeval (de gewone schommeling "
        "van de cijfers) aannemelijk maakt; het zegt niets over hoe groot of belangrijk het is.",
    ),
    (
        "procentpunt",
        ("procentpunt",),
        "het verschil tussen twee percentages (van 20% naar 18% is 2 procentpunt "
        "minder, of 10% minder).",
    ),
    (
        "verschil-in-verschillen",
        ("verschil-in-verschillen", "verschil in verschillen"),
        "de verandering in de proeftuinen min de verandering in de "
        "overige gemeenten over dezelfde periode.",
    ),
    (
        "p-waarde (p)",
        ("p = 0", "p = 1", "p < 0", "p-waarde"),
        "de kans op een minstens zo groot verschil als er in werkelijkheid geen "
        "verschil is; een kleine p (onder 0,05) wijst op een echt verschil.",
    ),
)
"""Terms a report explains once, where a reader first meets them: (term as shown, words that
mark its use, explanation). The renderer adds the line (:func:`rvs_analysis.render.html.add_glossary`)."""


def is_missing(value: Any) -> bool:
    """True for ``None``, ``pandas.NA`` and NaN."""
    if value is None:
        return True
    # pandas.NA exists only once pandas is imported: a process that never imported it (the
    # renderer's workers) is spared the import (tens of megabytes)
    pandas = sys.modules.get("pandas")
    if pandas is not None and value is pandas.NA:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def counted(number: int, singular: str, plural: str) -> str:
    """``"1 verandering"`` / ``"3 veranderingen"``: a number with the noun it takes.

    Examples
    --------
    >>> counted(1, "indicator", "indicatoren"), counted(2, "indicator", "indicatoren")
    ('1 indicator', '2 indicatoren')
    """
    return f"{number} {singular if number == 1 else plural}"


def is_set(flag: Any) -> bool:
    """True only for a flag that is set: ``True`` or ``numpy.True_``, or a non-zero number.

    ``None``, ``pandas.NA`` and NaN (a row that never had the flag, e.g. a rate's row in a table
    whose ``too_few`` column only counts have) are not set: ``bool(float("nan"))`` is True, which
    once printed "te weinig gevallen" beside 5.666 burglaries.
    """
    return not is_missing(flag) and bool(flag)


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
        E.g. ``fmt_num(12564.25, 1) == "12.564,3"``, ``fmt_num(-4.2) == "−4,2"``; a value that
        rounds to zero has no sign (``fmt_num(-0.01) == "0,0"``).
    """
    if is_missing(value):
        return "–"
    number = float(value)
    if math.isinf(number):
        return ("+" if signed else "") + "∞" if number > 0 else MINUS + "∞"
    # Half away from zero, as CBS rounds (not Python's half-to-even): 12564,25 -> 12.564,3.
    rounded = Decimal(repr(abs(number))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    text = f"{rounded:,.{decimals}f}"
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


def fmt_p(p_value: float) -> str:
    """A p-value as Dutch statistical publications write it.

    Returns
    -------
    str
        ``"p < 0,001"`` below 0.001, ``"p = 0,043"`` (three decimals) below 0.1,
        ``"p = 0,97"`` (two decimals) otherwise; ``"p niet te berekenen"`` when missing.
    """
    if is_missing(p_value):
        return "p niet te berekenen"
    p = float(p_value)
    if p < 0.001:
        return "p < 0,001"
    if p < 0.1:
        return f"p = {fmt_num(p, 3)}"
    return f"p = {fmt_num(min(p, 1.0), 2)}"


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    elif hasattr(value, "to_pydatetime"):
        moment = value.to_pydatetime()
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        moment = dt.datetime.fromisoformat(text)
    else:  # numpy datetime64 and the like
        moment = pd.Timestamp(value).to_pydatetime()
    if moment.tzinfo is not None:
        moment = moment.astimezone()  # the reader's (machine's) local time, not UTC
    return moment


def fmt_date(value: Any) -> str:
    """A date written out: ``fmt_date("2026-12-01") == "1 december 2026"``.

    Accepts a date, a datetime, a pandas Timestamp or an ISO text (time zones are converted to
    local time first).
    """
    if is_missing(value) or value == "":
        return "–"
    moment = _as_datetime(value)
    return f"{moment.day} {MONTHS_NL[moment.month - 1]} {moment.year}"


def fmt_datetime(value: Any) -> str:
    """A moment written out in local time: ``"1 december 2026 om 12:40"`` (no ISO, no UTC)."""
    if is_missing(value) or value == "":
        return "–"
    moment = _as_datetime(value)
    return f"{fmt_date(moment)} om {moment.hour:02d}:{moment.minute:02d}"


def fmt_month(date: Any) -> str:
    """``"maart 2014"`` for a date or timestamp."""
    moment = _as_datetime(date)
    return f"{MONTHS_NL[moment.month - 1]} {moment.year}"


def fmt_seconds(seconds: Any) -> str:
    """A duration: ``"4,2 seconden"``, ``"1 seconde"``, ``"2 min 5 s"`` above two minutes."""
    if is_missing(seconds) or seconds == "":
        return "–"
    value = float(seconds)
    if value >= 120:
        minutes, rest = divmod(round(value), 60)
        return f"{minutes} min {rest} s"
    if round(value, 1) == 1:
        return "1 seconde"
    return f"{fmt_num(value, 1)} seconden"


def format_number(value: Any) -> str:
    """A headline figure: whole numbers with thousands dots, others with 1-3 decimals.

    ``format_number(12564) == "12.564"``, ``format_number(-4.83) == "−4,83"``,
    ``format_number(0.1234) == "0,123"``; text is returned as it is, ``None`` as ``"–"``.
    """
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if is_missing(value):
        return "–"
    magnitude = abs(value)
    if isinstance(value, int) or magnitude >= 100:
        return fmt_int(value)
    decimals = 1 if magnitude >= 10 else 2 if magnitude >= 1 else 3
    return fmt_num(value, decimals)
