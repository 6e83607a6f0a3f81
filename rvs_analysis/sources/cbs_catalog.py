"""Finding a table that CBS publishes as a new edition, with a new identifier, every year.

"Gebieden in Nederland 2024" is 85755NED, the 2023 edition another identifier, the 2025 edition yet
another ("Kerncijfers wijken en buurten <year>" works the same way). The registry
(:data:`rvs_analysis.sources.cbs.TABLES`) therefore gives such a table a title pattern instead of an
identifier (:attr:`~rvs_analysis.sources.cbs.TableSpec.title`), and the fetch looks it up in the
catalog's table list (``/ODataCatalog/Tables``, :func:`cbsodata.get_table_list`) with
:func:`choose_edition`.
"""

from __future__ import annotations

import re

from rvs_analysis.exceptions import FetchError

__all__ = ["choose_edition", "nearest_editions"]


def nearest_editions(editions, years) -> dict[int, int]:
    """The edition used for each year: its own, else the nearest (the earlier one on a tie).

    Parameters
    ----------
    editions : iterable of int
        The editions' years available.
    years : iterable of int
        The years figures are needed for.

    Returns
    -------
    dict
        Year -> edition year; empty when there are no editions.
    """
    available = sorted(set(int(year) for year in editions))
    if not available:
        return {}
    return {
        int(year): min(available, key=lambda edition: (abs(edition - year), edition))
        for year in years
    }


def choose_edition(listing, pattern: str, not_after: int | None, where: str) -> dict:
    """The newest edition in ``listing`` whose title matches ``pattern``, not later than ``not_after``.

    Parameters
    ----------
    listing : list of dict
        The catalog's table list (``Identifier``, ``Title``, ``Modified``, ...).
    pattern : str
        Regular expression on the title with a group ``edition`` (the edition's year).
    not_after : int or None
        The latest year the data the edition describes (the crime table's boundary year); ``None``:
        the newest edition.
    where : str
        The catalog, named in the error.

    Returns
    -------
    dict
        ``table`` (identifier), ``title``, ``edition`` (int) and ``editions`` (every matching
        ``{edition: identifier}`` seen, for the record).

    Raises
    ------
    FetchError
        When the listing is not a list of records, no title matches, or every matching edition is
        later than ``not_after``.
    """
    if not isinstance(listing, list):
        raise FetchError(f"The table list of {where} is not a list of tables.")
    editions: dict[int, tuple[str, str]] = {}
    compiled = re.compile(pattern)
    for row in listing:
        if not isinstance(row, dict):
            continue
        title, identifier = row.get("Title"), row.get("Identifier")
        if not isinstance(title, str) or not isinstance(identifier, str):
            continue
        match = compiled.match(title.strip())
        if match:
            year = int(match["edition"])
            # Two tables with one edition's title (a corrected re-release): the later identifier.
            if year not in editions or identifier > editions[year][0]:
                editions[year] = (identifier.strip(), title.strip())
    shown = pattern.strip("^$").replace(r"(?P<edition>\d{4})", "<year>").replace("\\", "")
    if not editions:
        raise FetchError(f"{where} lists no table titled '{shown}' in its catalog.")
    allowed = [year for year in editions if not_after is None or year <= not_after]
    if not allowed:
        raise FetchError(
            f"{where} lists '{shown}' only for {', '.join(map(str, sorted(editions)))}, all later "
            f"than the data's boundary year {not_after}."
        )
    year = max(allowed)
    identifier, title = editions[year]
    return {
        "table": identifier,
        "title": title,
        "edition": year,
        "editions": {str(key): editions[key][0] for key in sorted(editions)},
    }
