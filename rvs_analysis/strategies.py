"""A regional safety strategy is data: a folder with its period, priorities, area list and targets.

A strategy lives in ``data/strategies/<id>/`` (shipped) or in any folder a user names:

* ``strategy.toml``: ``name``, ``region``, ``first_year``, ``last_year``, ``source`` and
  ``[[priorities]]`` tables, each with ``theme`` (Dutch, as the strategy names it), ``indicators``
  (ids from the indicator catalogue ``data/indicator_catalogue.csv``) and optionally
  ``not_in_open_data`` (what the theme covers that open data cannot show);
* ``municipalities.csv``: ``gemeente_code, gemeente_name, district, valid_from, valid_to, source``
  (as ``data/regions/municipalities.csv``); the districts are the strategy's districts;
* ``targets.csv``: :data:`TARGET_COLUMNS`; it may hold a header only (a strategy
  without measurable targets gets trends and comparisons and no statuses).

:func:`load_strategy` reads and checks a folder: a malformed TOML file, a missing key, an unknown
indicator, a municipality code that does not exist on the boundaries of a year it is listed for, a
municipality in two districts at once, or a target without a year or of an unknown indicator is
refused with one paragraph naming the file, the row and what is wrong
(:class:`~rvs_analysis.exceptions.StrategyError`). :func:`strategy_for_year` chooses the strategy
whose period holds a report year, or the latest earlier one (and says so).

The shipped strategies: ``rvs-2015-2018`` (the Jaarplan 2017/2018, with its targets),
``rvs-2019-2022`` and ``rvs-2023-2026`` (priorities, no published targets). Sources are in each
``strategy.toml`` and ``municipalities.csv``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from rvs_analysis import national, regions
from rvs_analysis.exceptions import SourceNotAvailableError, StrategyError, UnknownAreaError
from rvs_analysis.region_tables import national_table
from rvs_analysis.resources import data_path

__all__ = [
    "CATALOGUE_PATH",
    "STRATEGIES_DIR",
    "Priority",
    "Strategy",
    "indicator_catalogue",
    "carried_forward",
    "indicator_inputs",
    "load_strategy",
    "resolve_strategy",
    "shipped_strategies",
    "strategy_areas",
    "strategy_for_year",
]

STRATEGIES_DIR = data_path("strategies")
"""The shipped strategies, one folder each."""

CATALOGUE_PATH = data_path("indicator_catalogue.csv")
"""The indicator catalogue: :data:`CATALOGUE_COLUMNS`."""

CATALOGUE_COLUMNS = ("id", "label_nl", "unit", "table", "computed", "source", "input", "code")
"""Columns of the indicator catalogue. ``input`` and ``code`` say where the reports read an
indicator: ``crime`` (registered offences of the CBS SoortMisdrijf key ``code``), ``completed``
(registered minus attempted burglaries), ``cleared`` (clearance percentage of ``code``),
``indicators`` (the region's own yearly figure named ``code``), ``survey`` (weighted share of the
survey variable ``code``); both empty when no source of the suite holds it."""

MUNICIPALITY_COLUMNS = [
    "gemeente_code",
    "gemeente_name",
    "district",
    "valid_from",
    "valid_to",
    "source",
]
TARGET_COLUMNS = [  # the columns of a targets table, here and in stats.targets
    "indicator",
    "label_nl",
    "unit",
    "area",
    "year",
    "kind",
    "value",
    "comparison",
    "relative_to_baseline",
    "source_line",
]
_CBS_SUFFIX = re.compile(r"\s*\([^)]*\)\s*$")
"""CBS's province suffix of a municipality name ("Laren (NH.)")."""

_REQUIRED_KEYS = {
    "name": str,
    "region": str,
    "first_year": int,
    "last_year": int,
    "source": str,
}


@dataclass(frozen=True)
class Priority:
    """One priority (theme) of a strategy.

    Attributes
    ----------
    theme : str
        As the strategy names it (Dutch).
    indicators : tuple of str
        Ids of the indicator catalogue that carry it.
    not_in_open_data : str or None
        What the theme covers that open data cannot show, in one sentence.
    """

    theme: str
    indicators: tuple[str, ...]
    not_in_open_data: str | None = None


@dataclass(frozen=True)
class Strategy:
    """A regional safety strategy read from its folder (:func:`load_strategy`).

    Attributes
    ----------
    id : str
        The folder's name (``"rvs-2023-2026"``).
    folder : pathlib.Path
    name, region, source : str
    first_year, last_year : int
        Its period, both included.
    priorities : tuple of Priority
    municipalities : pandas.DataFrame
        :data:`MUNICIPALITY_COLUMNS`, ``valid_from``/``valid_to`` as dates (``NaT`` = open).
    targets : pandas.DataFrame
        :data:`TARGET_COLUMNS`; possibly empty.
    boundaries : int
        The municipal map its reports use (``boundaries`` in ``strategy.toml``; default
        ``first_year``): the composition year of the region, its districts and municipalities.
    """

    id: str
    folder: Path
    name: str
    region: str
    first_year: int
    last_year: int
    source: str
    priorities: tuple[Priority, ...]
    municipalities: pd.DataFrame
    targets: pd.DataFrame
    boundaries: int | None = None

    @property
    def period(self) -> str:
        """``"2023-2026"``."""
        return f"{self.first_year}-{self.last_year}"

    @property
    def label(self) -> str:
        """The name with its period unless the name holds it ("Veiligheidsstrategie 2023-2026",
        "Veiligheidsplan Eemland (2023-2026)")."""
        return self.name if self.period in self.name else f"{self.name} ({self.period})"

    def covers(self, year: int) -> bool:
        """Whether ``year`` lies in the strategy's period.

        Parameters
        ----------
        year : int

        Returns
        -------
        bool
        """
        return self.first_year <= int(year) <= self.last_year

    def municipalities_on(self, year: int) -> pd.DataFrame:
        """The strategy's municipalities on 1 January of ``year``.

        Parameters
        ----------
        year : int

        Returns
        -------
        pandas.DataFrame
            ``gemeente_code, gemeente_name, district`` of the rows valid that day, by name.
        """
        day = pd.Timestamp(int(year), 1, 1)
        rows = self.municipalities
        valid = (rows["valid_from"].isna() | (rows["valid_from"] <= day)) & (
            rows["valid_to"].isna() | (rows["valid_to"] >= day)
        )
        chosen = rows.loc[valid, ["gemeente_code", "gemeente_name", "district"]]
        return chosen.sort_values("gemeente_name").reset_index(drop=True)

    def districts(self) -> list[str]:
        """The strategy's districts in the order of its municipality table.

        Returns
        -------
        list of str
        """
        return list(dict.fromkeys(self.municipalities["district"]))

    def indicators(self) -> list[str]:
        """Every indicator of its priorities, in order, each once.

        Returns
        -------
        list of str
        """
        return list(dict.fromkeys(code for p in self.priorities for code in p.indicators))

    def composition(self, year: int | None = None) -> pd.DataFrame:
        """The strategy's municipalities on ``year``, in the order its reports list them.

        Parameters
        ----------
        year : int, optional
            Boundary year; default :attr:`boundaries`.

        Returns
        -------
        pandas.DataFrame
            ``gemeente_code, gemeente_name, district``, ordered by district (in the order of
            :meth:`districts`) and then by name (case-insensitive), as
            :func:`rvs_analysis.regions.municipalities` orders the region. After the strategy's
            last year, its last list brought up to date by the merger history
            (:func:`carried_forward`).
        """
        year = self.boundaries if year is None else int(year)
        if year > self.last_year:  # past its period: its last list, brought up to date
            frame = carried_forward(self.municipalities_on(self.last_year), self.last_year, year)
        else:
            frame = self.municipalities_on(year)
        order = {name: number for number, name in enumerate(self.districts())}
        keys = pd.DataFrame(
            {"order": frame["district"].map(order), "name": frame["gemeente_name"].str.casefold()}
        )
        return frame.loc[keys.sort_values(["order", "name"]).index].reset_index(drop=True)

    def area(self, name, year: int | None = None) -> regions.Area:
        """One of the strategy's areas by name, slug or GM code.

        Parameters
        ----------
        name : str
            The strategy's ``region``, one of its districts, or one of its municipalities (name,
            slug, GM code; CBS's ``"Laren (NH.)"`` is ``"Laren"``).
        year : int, optional
            Boundary year; default :attr:`boundaries`.

        Returns
        -------
        rvs_analysis.regions.Area
            Level ``"region"``, ``"district"`` or ``"gemeente"``; for a shipped strategy of the
            region the same area as :func:`rvs_analysis.regions.resolve_area` gives.

        Raises
        ------
        UnknownAreaError
            When the name is none of these; the message lists the valid names.
        """
        year = self.boundaries if year is None else int(year)
        composition = self.composition(year)
        wanted = regions.slug(_CBS_SUFFIX.sub("", str(name)) or str(name))
        if regions.slug(self.region) == wanted:
            return regions.Area(
                self.region, "region", None, tuple(composition["gemeente_code"]), year
            )
        for district in self.districts():
            if regions.slug(district) == wanted:
                rows = composition[composition["district"] == district]
                return regions.Area(
                    district, "district", district, tuple(rows["gemeente_code"]), year
                )
        for record in composition.itertuples(index=False):
            if wanted in (regions.slug(record.gemeente_name), record.gemeente_code.casefold()):
                return regions.Area(
                    record.gemeente_name, "gemeente", record.district, (record.gemeente_code,), year
                )
        valid = [self.region, *self.districts(), *composition["gemeente_name"]]
        raise UnknownAreaError(str(name), valid)

    def area_names(self, level: str, year: int | None = None) -> list[str]:
        """The names of the strategy's areas of one level.

        Parameters
        ----------
        level : {"region", "district", "gemeente"}
        year : int, optional
            Boundary year; default :attr:`boundaries`.

        Returns
        -------
        list of str
            ``[region]``, the districts with a municipality on ``year``, or the municipalities
            in :meth:`composition` order.
        """
        composition = self.composition(year)
        if level == "region":
            return [self.region]
        if level == "district":
            return list(dict.fromkeys(composition["district"]))
        if level == "gemeente":
            return list(composition["gemeente_name"])
        raise UnknownAreaError(level, list(STRATEGY_LEVELS))


@lru_cache(maxsize=1)
def _catalogue() -> pd.DataFrame:
    frame = pd.read_csv(CATALOGUE_PATH, dtype=str, keep_default_na=False)
    missing = [column for column in CATALOGUE_COLUMNS if column not in frame.columns]
    if missing:
        raise StrategyError(CATALOGUE_PATH, None, f"the catalogue lacks the columns {missing}.")
    duplicated = frame["id"].duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().argmax()) + 1
        raise StrategyError(CATALOGUE_PATH, row, f"indicator {frame['id'][row - 1]!r} twice.")
    return frame


def indicator_inputs() -> dict[str, tuple[str, str]]:
    """Where the reports read each indicator that a source can hold.

    Returns
    -------
    dict
        ``{id: (input, code)}`` from the catalogue's ``input`` and ``code`` columns
        (:data:`CATALOGUE_COLUMNS`), for the indicators with an input.
    """
    frame = _catalogue()
    held = frame[frame["input"] != ""]
    return dict(zip(held["id"], zip(held["input"], held["code"], strict=True), strict=True))


def indicator_catalogue() -> pd.DataFrame:
    """The indicator catalogue (``data/indicator_catalogue.csv``).

    Returns
    -------
    pandas.DataFrame
        ``id, label_nl, unit, table, computed, source``: one row per indicator a strategy may
        name; ``table`` is the CBS table it is computed from (``47018NED``, ``85146NED``) or
        ``regional`` (the region's own figures).
    """
    return _catalogue().copy()


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise StrategyError(path, None, "the folder has no strategy.toml.") from None
    except tomllib.TOMLDecodeError as error:
        raise StrategyError(path, None, f"it is not valid TOML ({error}).") from None


def _priorities(path: Path, content: dict) -> tuple[Priority, ...]:
    known = set(_catalogue()["id"])
    priorities = content.get("priorities", [])
    if not isinstance(priorities, list) or not priorities:
        raise StrategyError(
            path, None, "it names no [[priorities]] (each with theme and indicators)."
        )
    result = []
    for number, table in enumerate(priorities, start=1):
        where = f"priority {number}"
        if not isinstance(table, dict) or not isinstance(table.get("theme"), str):
            raise StrategyError(path, where, "a priority needs a theme (text).")
        indicators = table.get("indicators")
        if not isinstance(indicators, list) or not all(isinstance(i, str) for i in indicators):
            raise StrategyError(path, where, "indicators must be a list of indicator ids.")
        unknown = [code for code in indicators if code not in known]
        if unknown:
            raise StrategyError(
                path,
                where,
                f"unknown indicator {unknown[0]!r} (theme {table['theme']!r}); the indicator "
                f"catalogue {CATALOGUE_PATH.name} lists: {', '.join(sorted(known))}.",
            )
        note = table.get("not_in_open_data")
        if note is not None and not isinstance(note, str):
            raise StrategyError(path, where, "not_in_open_data must be one sentence of text.")
        result.append(Priority(table["theme"], tuple(indicators), note))
    return tuple(result)


def _dates(path: Path, frame: pd.DataFrame, column: str) -> pd.Series:
    text = frame[column].fillna("").astype(str).str.strip()
    parsed = pd.to_datetime(text.where(text != ""), format="%Y-%m-%d", errors="coerce")
    bad = (text != "") & parsed.isna()
    if bad.any():
        row = int(bad.to_numpy().argmax()) + 1
        raise StrategyError(
            path, row, f"{column} {text.iloc[row - 1]!r} is not a date (YYYY-MM-DD) or empty."
        )
    return parsed


def _municipalities(path: Path, first_year: int, last_year: int) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise StrategyError(path, None, "the folder has no municipalities.csv.") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise StrategyError(path, None, f"it is not a readable CSV file ({error}).") from None
    missing = [column for column in MUNICIPALITY_COLUMNS if column not in frame.columns]
    if missing:
        raise StrategyError(path, None, f"the columns {missing} are missing.")
    if frame.empty:
        raise StrategyError(path, None, "it lists no municipality.")
    frame = frame[MUNICIPALITY_COLUMNS].copy()
    frame["valid_from"] = _dates(path, frame, "valid_from")
    frame["valid_to"] = _dates(path, frame, "valid_to")
    for row, record in enumerate(frame.itertuples(index=False), start=1):
        if not record.district.strip():
            raise StrategyError(path, row, f"{record.gemeente_code} has no district.")
        years = _listed_years(record, first_year, last_year)
        known_years = [year for year in years if year >= national.FIRST_NATIONAL_YEAR]
        if not any(national.valid_on(record.gemeente_code, year) for year in known_years) and (
            known_years or not record.gemeente_code.startswith("GM")
        ):
            raise StrategyError(
                path,
                row,
                f"municipality code {record.gemeente_code!r} ({record.gemeente_name}) does not "
                f"exist on the boundaries of {_year_span(known_years or years)} (data/regions/"
                "national_changes.csv and municipality_names.csv); check the code, or its "
                "valid_from/valid_to.",
            )
    _refuse_two_districts(path, frame)
    return frame


def _listed_years(record, first_year: int, last_year: int) -> list[int]:
    """Years of the strategy's period (1 January) on which a row is valid."""
    years = []
    for year in range(first_year, last_year + 1):
        day = pd.Timestamp(year, 1, 1)
        if (pd.isna(record.valid_from) or record.valid_from <= day) and (
            pd.isna(record.valid_to) or record.valid_to >= day
        ):
            years.append(year)
    return years


def _year_span(years: list[int]) -> str:
    if not years:
        return "no year of the strategy's period"
    return str(years[0]) if len(years) == 1 else f"{years[0]} to {years[-1]}"


def _refuse_two_districts(path: Path, frame: pd.DataFrame) -> None:
    """Refuse a municipality listed twice with validity periods that overlap."""
    lowest, highest = pd.Timestamp.min, pd.Timestamp.max
    for _code, rows in frame.groupby("gemeente_code", sort=False):
        if len(rows) < 2:
            continue
        spans = sorted(
            (
                row.valid_from if pd.notna(row.valid_from) else lowest,
                row.valid_to if pd.notna(row.valid_to) else highest,
                position + 1,
                row.district,
            )
            for position, row in zip(rows.index, rows.itertuples(index=False), strict=True)
        )
        for (_, end, _, district), (start, _, row, other) in zip(spans, spans[1:], strict=False):
            if start <= end:
                raise StrategyError(
                    path,
                    row,
                    f"{_code} is listed twice for the same days ({district} and {other}); a "
                    "municipality belongs to one district at a time (end the first row with "
                    "valid_to).",
                )


def _targets(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise StrategyError(
            path, None, "the folder has no targets.csv (a header only is fine: no targets)."
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise StrategyError(path, None, f"it is not a readable CSV file ({error}).") from None
    missing = [column for column in TARGET_COLUMNS if column not in frame.columns]
    if missing:
        raise StrategyError(path, None, f"the columns {missing} are missing.")
    known = set(_catalogue()["id"])
    for row, record in enumerate(frame.itertuples(index=False), start=1):
        if record.indicator not in known:
            raise StrategyError(
                path, row, f"unknown indicator {record.indicator!r} (not in {CATALOGUE_PATH.name})."
            )
        year = record.year.strip()
        if not (year.isdigit() and len(year) == 4):
            raise StrategyError(
                path, row, f"the {record.kind or 'target'} of {record.indicator} has no year "
                f"(year {record.year!r}); every target and baseline names the year it is for."
            )  # fmt: skip
        if record.kind not in ("baseline", "target"):
            raise StrategyError(
                path, row, f"kind {record.kind!r} of {record.indicator}: use baseline or target."
            )
        relative = record.relative_to_baseline.strip()
        # a baseline the strategy names without publishing it, or a target set relative to one
        empty_allowed = record.kind == "baseline" or bool(relative)
        for column, text in (("value", record.value.strip()), ("relative_to_baseline", relative)):
            if text == "" and (column == "relative_to_baseline" or empty_allowed):
                continue
            try:
                float(text)
            except ValueError:
                raise StrategyError(
                    path, row, f"{column} {text!r} of {record.indicator} is not a number."
                ) from None
    return frame


def load_strategy(spec: str | Path) -> Strategy:
    """Read and check a strategy: a shipped id (``"rvs-2023-2026"``) or a folder.

    Parameters
    ----------
    spec : str or pathlib.Path
        The id of a folder in :data:`STRATEGIES_DIR`, or the path of a strategy folder.

    Returns
    -------
    Strategy

    Raises
    ------
    SourceNotAvailableError
        When ``spec`` is neither a shipped id nor an existing folder.
    StrategyError
        For the first thing in the folder that cannot be used (the module's docstring lists
        what is checked), naming the file and the row.
    """
    folder = Path(spec)
    if not folder.is_dir():
        shipped = STRATEGIES_DIR / str(spec)
        if not shipped.is_dir():
            ids = ", ".join(sorted(path.name for path in STRATEGIES_DIR.iterdir() if path.is_dir()))
            raise SourceNotAvailableError(
                f"No strategy {str(spec)!r}: give a shipped one ({ids}) or the folder of your own "
                "(strategy.toml, municipalities.csv, targets.csv; see data/strategies/README.md)."
            )
        folder = shipped
    return _load(folder.resolve())


@lru_cache(maxsize=16)
def _load(folder: Path) -> Strategy:
    toml_path = folder / "strategy.toml"
    content = _read_toml(toml_path)
    for key, kind in _REQUIRED_KEYS.items():
        value = content.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise StrategyError(
                toml_path, None, f"{key} is missing or not {'a whole number' if kind is int else 'text'}."
            )  # fmt: skip
    first, last = int(content["first_year"]), int(content["last_year"])
    if first > last:
        raise StrategyError(toml_path, None, f"first_year {first} lies after last_year {last}.")
    priorities = _priorities(toml_path, content)
    municipalities = _municipalities(folder / "municipalities.csv", first, last)
    targets = _targets(folder / "targets.csv")
    boundaries = _boundaries(toml_path, content, municipalities)
    return Strategy(
        id=folder.name,
        folder=folder,
        name=content["name"],
        region=content["region"],
        first_year=first,
        last_year=last,
        source=content["source"],
        priorities=priorities,
        municipalities=municipalities,
        targets=targets,
        boundaries=boundaries,
    )


def carried_forward(listed: pd.DataFrame, from_year: int, to_year: int) -> pd.DataFrame:
    """A list of municipalities brought from the map of ``from_year`` to that of ``to_year``.

    Parameters
    ----------
    listed : pandas.DataFrame
        ``gemeente_code, gemeente_name, district`` valid on 1 January ``from_year``.
    from_year, to_year : int
        Boundary years (``to_year`` after ``from_year``, both 2012 or later).

    Returns
    -------
    pandas.DataFrame
        The same columns on the map of ``to_year``: a municipality merged into a new one (or
        renamed) is replaced by its successor, in its district; one annexed by a municipality
        that is not in the list leaves the list (the area does not grow by the annexing
        municipality: Weesp into Amsterdam); several that merged appear once.

    Notes
    -----
    Follows ``data/regions/national_changes.csv`` change by change, in date order.
    """
    changes = national_table()
    changes = changes[
        (pd.to_datetime(changes["date"]) > pd.Timestamp(from_year, 1, 1))
        & (pd.to_datetime(changes["date"]) <= pd.Timestamp(to_year, 1, 1))
    ].sort_values("date")
    names = national.municipality_names()
    rows = [dict(record) for record in listed.to_dict("records")]
    for change in changes.itertuples(index=False):
        members = {row["gemeente_code"] for row in rows}
        for row in [row for row in rows if row["gemeente_code"] == change.old_code]:
            rows.remove(row)
            if change.kind == "annexation" and change.new_code not in members:
                continue
            if change.new_code not in {other["gemeente_code"] for other in rows}:
                rows.append(
                    {
                        **row,
                        "gemeente_code": change.new_code,
                        "gemeente_name": str(names.get(change.new_code, change.new_name)),
                    }
                )
    return pd.DataFrame(rows, columns=["gemeente_code", "gemeente_name", "district"])


def _boundaries(path: Path, content: dict, municipalities: pd.DataFrame) -> int:
    """The map of the strategy's reports: ``boundaries`` or ``first_year``, with members on it."""
    value = content.get("boundaries", content["first_year"])
    if not isinstance(value, int) or isinstance(value, bool):
        raise StrategyError(path, None, "boundaries must be a year (a whole number).")
    day = pd.Timestamp(value, 1, 1)
    valid = (municipalities["valid_from"].isna() | (municipalities["valid_from"] <= day)) & (
        municipalities["valid_to"].isna() | (municipalities["valid_to"] >= day)
    )
    if not valid.any():
        raise StrategyError(
            path, None, f"no municipality of municipalities.csv is valid on 1 January {value} "
            "(boundaries): choose a year of its period."
        )  # fmt: skip
    return int(value)


def resolve_strategy(spec, report_year: int | None) -> tuple[Strategy, str | None]:
    """The strategy a report follows: the one named, or the one of its report year.

    Parameters
    ----------
    spec : str, pathlib.Path, Strategy or None
        A shipped id, a folder, a loaded strategy, or ``None`` for the shipped strategy whose
        period holds ``report_year`` (:func:`strategy_for_year`).
    report_year : int or None
        The report's year; ``None`` with ``spec=None`` gives the latest shipped strategy.

    Returns
    -------
    (Strategy, str or None)
        The strategy and, when none covers the year, the note of :func:`strategy_for_year`
        (a year before every shipped strategy follows the first one, with a note).
    """
    if isinstance(spec, Strategy):
        return spec, None
    if spec not in (None, ""):
        return load_strategy(spec), None
    shipped = shipped_strategies()
    if report_year is None:
        return shipped[-1], None
    if int(report_year) < shipped[0].first_year:
        return shipped[0], (
            f"no strategy covers {report_year} or an earlier year: the first, {shipped[0].name} "
            f"({shipped[0].period}), is used"
        )
    return strategy_for_year(int(report_year))


def shipped_strategies() -> list[Strategy]:
    """Every strategy in :data:`STRATEGIES_DIR`, by first year.

    Returns
    -------
    list of Strategy
    """
    folders = sorted(path for path in STRATEGIES_DIR.iterdir() if (path / "strategy.toml").exists())
    return sorted((_load(folder.resolve()) for folder in folders), key=lambda s: s.first_year)


def strategy_for_year(year: int) -> tuple[Strategy, str | None]:
    """The shipped strategy a report on ``year`` follows, and a note when none covers it.

    Parameters
    ----------
    year : int
        The report year.

    Returns
    -------
    (Strategy, str or None)
        The strategy whose period holds ``year``; else the latest one that started earlier, with
        a sentence (English, for the report layer to word) saying that it is used beyond its
        period and that its area list follows the municipal map of the year.

    Raises
    ------
    SourceNotAvailableError
        When ``year`` precedes every shipped strategy.
    """
    year = int(year)
    strategies = shipped_strategies()
    for strategy in strategies:
        if strategy.covers(year):
            return strategy, None
    earlier = [strategy for strategy in strategies if strategy.first_year <= year]
    if not earlier:
        raise SourceNotAvailableError(
            f"No shipped strategy covers {year} or an earlier year; the first starts in "
            f"{strategies[0].first_year}. Give one with --strategy DIR."
        )
    chosen = earlier[-1]
    return chosen, (
        f"no strategy covers {year}: {chosen.name} ({chosen.period}) is used, with its "
        f"municipalities on the map of {year}"
    )


STRATEGY_LEVELS = ("region", "district", "gemeente")
"""The levels of a strategy's own areas."""


def strategy_areas(strategy: Strategy, level: str, boundaries: int) -> list:
    """The strategy's areas of one level on the boundaries of ``boundaries``.

    Parameters
    ----------
    strategy : Strategy
    level : {"region", "district", "gemeente"}
        The whole area list (named by the strategy's ``region``), each of its districts, or each
        municipality.
    boundaries : int
        The boundary year: the strategy's municipalities valid on 1 January of it.

    Returns
    -------
    list of rvs_analysis.regions.Area
        Custom areas (:func:`rvs_analysis.regions.custom_area`) in the order of the strategy's
        districts and, within a level, by name.

    Raises
    ------
    StrategyError
        When ``level`` is not a strategy level, or no municipality of the strategy is valid on
        ``boundaries``.
    """
    if level not in STRATEGY_LEVELS:
        raise StrategyError(
            strategy.folder / "municipalities.csv",
            None,
            f"level {level!r} is not one of the strategy's own ({', '.join(STRATEGY_LEVELS)}).",
        )
    listed = strategy.municipalities_on(boundaries)
    if listed.empty:
        raise StrategyError(
            strategy.folder / "municipalities.csv",
            None,
            f"no municipality of {strategy.name} is valid on 1 January {boundaries}; choose "
            f"boundaries in its period ({strategy.period}).",
        )
    if level == "region":
        return [regions.custom_area(strategy.region, listed["gemeente_code"], boundaries)]
    if level == "district":
        return [
            regions.custom_area(district, rows["gemeente_code"], boundaries)
            for district, rows in listed.groupby("district", sort=False)
        ]
    return [
        regions.custom_area(name, [code], boundaries)
        for code, name in zip(listed["gemeente_code"], listed["gemeente_name"], strict=True)
    ]
