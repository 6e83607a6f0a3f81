"""Years as the library's functions take them: a range or exactly the years listed.

``"2015-2016"`` and ``(2015, 2016)`` are ranges; ``[2019, 2024]``, ``"2019,2024"`` and
``range(...)`` are exactly those years. :func:`select_years` checks them against the years a data
set has and raises instead of clipping, so a table or a comparison always covers what was asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rvs_analysis.exceptions import RvsError, SourceNotAvailableError

__all__ = ["parse_years", "select_years", "year_list"]


def year_list(years) -> list[int] | None:
    """The years a ``years`` argument means, ascending; ``None`` for "every year".

    Parameters
    ----------
    years : str, int, tuple, range, iterable of int or None
        * ``"2015-2016"`` or ``(2015, 2016)`` (a string range or a 2-tuple): every year from the
          first to the last, both included;
        * ``"2016"`` or ``2016``: that year;
        * ``"2019,2024"``, ``[2019, 2024]``, ``range(2019, 2025)`` or any other iterable: exactly
          those years (``[2019, 2024]`` is two years, not 2019-2024);
        * ``None``: every year (the caller decides which those are).

    Returns
    -------
    list of int or None

    Raises
    ------
    RvsError
        For text that is no year, range or list, an empty list or a range that runs backwards.

    Examples
    --------
    >>> year_list("2015-2017")
    [2015, 2016, 2017]
    >>> year_list([2024, 2019])
    [2019, 2024]
    >>> year_list((2015, 2017))
    [2015, 2016, 2017]
    """
    if years is None:
        return None
    if isinstance(years, str):
        text = years.strip()
        if "," in text:
            parts = [part.strip() for part in text.split(",") if part.strip()]
            if not all(re.fullmatch(r"\d{4}", part) for part in parts):
                raise RvsError(
                    f"Years {years!r} not understood: give one year, a range such as 2015-2016 "
                    "or a list such as 2019,2024."
                )
            return _checked_years(years, [int(part) for part in parts])
        match = re.fullmatch(r"(\d{4})\s*(?:-\s*(\d{4}))?", text)
        if not match:
            raise RvsError(
                f"Years {years!r} not understood: give one year, a range such as 2015-2016 or a "
                "list such as 2019,2024."
            )
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        return _year_range(years, first, last)
    if isinstance(years, tuple) and len(years) == 2:
        return _year_range(years, int(years[0]), int(years[1]))
    if isinstance(years, Iterable):
        return _checked_years(years, [int(year) for year in years])
    return [int(years)]


def _year_range(years, first: int, last: int) -> list[int]:
    if first > last:
        raise RvsError(f"Years {years!r}: the first year is after the last; write e.g. 2015-2016.")
    return list(range(first, last + 1))


def _checked_years(years, values: list[int]) -> list[int]:
    if not values:
        raise RvsError(f"Years {years!r}: the list is empty; give at least one year.")
    return sorted(set(values))


def parse_years(years) -> tuple[int, int] | None:
    """The first and last of the years ``years`` means (see :func:`year_list`), or ``None``.

    Examples
    --------
    >>> parse_years("2015-2016")
    (2015, 2016)
    >>> parse_years([2019, 2024])
    (2019, 2024)
    """
    values = year_list(years)
    if values is None:
        return None
    return values[0], values[-1]


def _year_spans(years: Iterable[int]) -> str:
    """``[2012, 2013, 2014, 2016]`` -> ``"2012-2014, 2016"``."""
    values = sorted({int(year) for year in years})
    spans: list[str] = []
    start = previous = None
    for year in values + [None]:
        if start is not None and (year is None or year != previous + 1):
            spans.append(str(start) if start == previous else f"{start}-{previous}")
            start = None
        if year is not None and start is None:
            start = year
        previous = year
    return ", ".join(spans) or "no years"


def select_years(years, available: Iterable[int], what: str = "The data") -> list[int]:
    """The years of ``years`` (see :func:`year_list`), checked against the years the data has.

    Parameters
    ----------
    years : str, int, tuple, range, iterable of int or None
        ``None`` selects every available year.
    available : iterable of int
        The years the data covers.
    what : str, default "The data"
        What the data is, for the error message (``"Source 'demo' (1.1.1 counts)"``).

    Returns
    -------
    list of int
        The requested years, ascending.

    Raises
    ------
    SourceNotAvailableError
        When any requested year is not in the data: years are never clipped silently.

    Examples
    --------
    >>> select_years([2019, 2024], range(2012, 2026))
    [2019, 2024]
    >>> select_years("2010-2013", range(2012, 2026))
    Traceback (most recent call last):
    ...
    rvs_analysis.exceptions.SourceNotAvailableError: The data has no figures for 2010-2011 (asked: 2010-2013); it covers 2012-2025. Choose years within that period.
    """
    covered = sorted({int(year) for year in available})
    wanted = year_list(years)
    if wanted is None:
        return covered
    missing = [year for year in wanted if year not in set(covered)]
    if missing:
        raise SourceNotAvailableError(
            f"{what} has no figures for {_year_spans(missing)} (asked: {_year_spans(wanted)}); "
            f"it covers {_year_spans(covered)}. Choose years within that period."
        )
    return wanted
