"""One validation pass for every frame of every source.

Every source (the demo data, a tidy folder, the CBS cache) reads its files as text and hands each frame
to the ``validate_*`` function of its kind before anything else sees it. Validation checks, in this
order, and stops at the first problem with one :class:`~rvs_analysis.exceptions.DataValidationError`
that names the file, the column and the first offending row (1-based data row, header excluded):

1. required columns are present;
2. CBS quirks are undone: keys are stripped of CBS's padding spaces, period codes (``2016JJ00`` year,
   ``2016MM01`` month, ``2016KW01`` quarter) are parsed, missing markers (``""``, ``"."``, ``"x"``,
   ``"-"``) become missing values;
3. types: municipality codes look like ``GM0344``; counts are numbers, whole and non-negative; years
   are plausible (:data:`MIN_YEAR` to the current year + 1); months 1-12; 0/1 answers are 0 or 1;
   survey weights are positive;
4. no duplicate keys;
5. known municipality codes: a code that neither the population data nor the region and merger tables
   know is refused. ``GM0000`` (CBS: not attributable to a municipality) is accepted, kept and reported
   apart (:func:`not_attributable_summary`);
6. provisional years are flagged (:func:`provisional_years`).

Missing counts stay missing (NaN: "not published"), never zero. A count column is ``int64`` when it is
complete and ``float64`` (with NaN) when something is missing.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rvs_analysis import regions
from rvs_analysis.exceptions import DataValidationError, DataWarning

MIN_YEAR = 1990
"""Earliest plausible year of any figure the suite reads."""

MAX_COUNT = 10_000_000
"""Upper bound of an offence count (the whole country registers fewer than 1.5 million a year)."""

MAX_POPULATION = 25_000_000
"""Upper bound of a population figure (the Netherlands has fewer than 18 million inhabitants)."""

MAX_POPULATION_CHANGE = 0.5
"""A municipality's population may change by at most this share of the previous year's figure,
unless a merger or annexation explains it."""

MISSING_MARKERS = frozenset({"", ".", "x", "X", "-", "..", "?", "NaN", "nan", "None", "null"})
"""Text that means "no figure": CBS uses ``.`` (not available) and ``x`` (secret) in its downloads."""

NOT_ATTRIBUTABLE_CODE = "GM0000"

_GM_CODE = re.compile(r"^GM\d{4}$")
_AREA_CODE = re.compile(r"^(WK\d{6}|BU\d{8})$")
_PERIOD = re.compile(r"^(\d{4})(JJ|MM|KW|X0)(\d{2})$")
_TRUE = {"1", "true", "True", "TRUE", "ja", "yes", "1.0"}
_FALSE = {"0", "false", "False", "FALSE", "nee", "no", "0.0"}


def is_area_code(code: str) -> bool:
    """Whether ``code`` is a wijk or buurt code as CBS pads it (``WK034401``, ``BU03440101``).

    Parameters
    ----------
    code : str

    Returns
    -------
    bool
    """
    return bool(_AREA_CODE.fullmatch(str(code)))


def max_plausible_year() -> int:
    """The latest plausible year: the current year plus one (CBS publishes provisional figures)."""
    return dt.date.today().year + 1


@dataclass(frozen=True)
class Column:
    """What one column must hold.

    ``kind`` is one of ``gemeente`` (GM code), ``area`` (wijk or buurt code as CBS pads it,
    ``WK034401`` or ``BU03440101``), ``key`` (non-empty text, padding stripped), ``text``,
    ``year`` (plain year or CBS year code such as ``2016JJ00``), ``count`` (whole, >= 0, at most
    ``maximum``, default :data:`MAX_COUNT`), ``month`` (1-12), ``flag`` (boolean), ``binary``
    (0/1), ``positive`` (> 0), ``number``, ``nonnegative`` (>= 0), ``percent`` (0-100). Numbers
    are always finite.
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    maximum: float | None = None


@dataclass(frozen=True)
class Schema:
    """Columns and key of one kind of frame."""

    kind: str
    columns: tuple[Column, ...]
    keys: tuple[str, ...]


SCHEMAS: dict[str, Schema] = {
    "crime": Schema(
        "crime",
        (
            Column("offence_code", "key"),
            Column("offence_label", "text", required=False, nullable=True),
            Column("gemeente_code", "gemeente"),
            Column("gemeente_name", "text", required=False, nullable=True),
            Column("year", "year"),
            Column("registered_offences", "count", nullable=True),
            Column("provisional", "flag"),
        ),
        ("offence_code", "gemeente_code", "year"),
    ),
    "population": Schema(
        "population",
        (
            Column("gemeente_code", "gemeente"),
            Column("year", "year"),
            Column("population", "count", nullable=True, maximum=MAX_POPULATION),
        ),
        ("gemeente_code", "year"),
    ),
    "offences": Schema(
        "offences",
        (Column("offence_code", "key"), Column("offence_label", "text")),
        ("offence_code",),
    ),
    "cleared": Schema(
        "cleared",
        (
            Column("gemeente_code", "gemeente"),
            Column("year", "year"),
            Column("offence_code", "key"),
            Column("registered_offences", "count", nullable=True),
            Column("cleared_offences", "count", nullable=True),
            Column("provisional", "flag", required=False),
        ),
        ("gemeente_code", "year", "offence_code"),
    ),
    "monthly": Schema(
        "monthly",
        (
            Column("gemeente_code", "gemeente"),
            Column("year", "year"),
            Column("month", "month"),
            Column("offence_code", "key"),
            Column("registered_offences", "count", nullable=True),
            Column("provisional", "flag", required=False),
        ),
        ("gemeente_code", "year", "month", "offence_code"),
    ),
    "survey": Schema(
        "survey",
        (
            Column("gemeente_code", "gemeente"),
            Column("year", "year"),
            Column("respondent_id", "key"),
            Column("weight", "positive"),
            Column("feels_unsafe", "binary", nullable=True),
            Column("youth_nuisance", "binary", nullable=True),
        ),
        ("gemeente_code", "year", "respondent_id"),
    ),
    "survey_estimates": Schema(
        "survey_estimates",
        (
            Column("area_code", "key"),
            Column("year", "year"),
            Column("indicator", "key"),
            Column("estimate", "percent", nullable=True),
            Column("margin", "nonnegative", nullable=True),
        ),
        ("area_code", "year", "indicator"),
    ),
    "indicators": Schema(
        "indicators",
        (
            Column("area", "key"),
            Column("year", "year"),
            Column("indicator", "key"),
            Column("value", "number", nullable=True),
        ),
        ("area", "year", "indicator"),
    ),
    "neighbourhood_crime": Schema(
        "neighbourhood_crime",
        (
            Column("offence_code", "key"),
            Column("offence_label", "text", required=False, nullable=True),
            Column("area_code", "area"),
            Column("area_kind", "key"),
            Column("area_name", "text", required=False, nullable=True),
            Column("gemeente_code", "gemeente"),
            Column("year", "year"),
            Column("registered_offences", "count", nullable=True),
            Column("provisional", "flag"),
        ),
        ("offence_code", "area_code", "year"),
    ),
    "neighbourhood_monthly": Schema(
        "neighbourhood_monthly",
        (
            Column("area_code", "area"),
            Column("year", "year"),
            Column("month", "month"),
            Column("offence_code", "key"),
            Column("registered_offences", "count", nullable=True),
            Column("provisional", "flag"),
        ),
        ("area_code", "year", "month", "offence_code"),
    ),
    "neighbourhood_population": Schema(
        "neighbourhood_population",
        (
            Column("area_code", "area"),
            Column("year", "year"),
            Column("population", "count", nullable=True, maximum=MAX_POPULATION),
        ),
        ("area_code", "year"),
    ),
}
"""The frame kinds of :class:`~rvs_analysis.sources.base.Dataset` (and of the wijk and buurt files,
:mod:`rvs_analysis.sources.neighbourhoods`) and what their columns must hold."""


# ----------------------------------------------------------------------------------------------
# CBS quirks
# ----------------------------------------------------------------------------------------------


def strip_keys(values: pd.Series) -> pd.Series:
    """Strip CBS's padding spaces from dimension keys (``"GM0344  "`` -> ``"GM0344"``)."""
    return values.astype("str").str.strip()


def parse_periods(
    codes: pd.Series, file: str = "Perioden", column: str = "Perioden"
) -> pd.DataFrame:
    """Parse CBS period codes.

    Parameters
    ----------
    codes : pandas.Series
        Codes such as ``2016JJ00`` (year), ``2016MM01`` (month), ``2016KW01`` (quarter); plain years
        (``2016``) are accepted as years.
    file, column : str
        Named in the error when a code is not understood.

    Returns
    -------
    pandas.DataFrame
        ``year`` (int), ``period_kind`` (``"year"``, ``"month"``, ``"quarter"``), ``period_number``
        (0 for a year, 1-12 for a month, 1-4 for a quarter); same index as ``codes``.

    Raises
    ------
    DataValidationError
        For the first code that is none of these, or a month/quarter number out of range.
    """
    text = strip_keys(codes)
    plain = text.str.fullmatch(r"\d{4}")
    parts = text.str.extract(_PERIOD)
    parts.loc[plain, 0] = text[plain]
    parts.loc[plain, 1] = "JJ"
    parts.loc[plain, 2] = "00"
    bad = parts[0].isna().to_numpy().copy()
    kinds = parts[1].map({"JJ": "year", "MM": "month", "KW": "quarter", "X0": "year"})
    numbers = pd.to_numeric(parts[2], errors="coerce")
    limits = kinds.map({"year": 0, "month": 12, "quarter": 4})
    lower = kinds.map({"year": 0, "month": 1, "quarter": 1})
    out_of_range = ((numbers > limits) | (numbers < lower)).fillna(True).to_numpy()
    bad = bad | (~bad & out_of_range)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            file,
            column,
            row + 1,
            "not a CBS period code (2016JJ00, 2016MM01, 2016KW01) or a year",
            codes.iloc[row],
        )
    return pd.DataFrame(
        {
            "year": parts[0].astype(int),
            "period_kind": kinds.astype(str),
            "period_number": numbers.astype(int),
        },
        index=codes.index,
    )


# ----------------------------------------------------------------------------------------------
# Column checks
# ----------------------------------------------------------------------------------------------


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _fail(file: str, column: str, mask, problem: str, original: pd.Series):
    position = _first(np.asarray(mask, dtype=bool))
    raise DataValidationError(file, column, position + 1, problem, original.iloc[position])


def _as_text(values: pd.Series) -> pd.Series:
    """Values as stripped text, with missing markers as missing."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        text = values.astype("str")
        text = text.where(values.notna(), None)
    else:
        text = values.astype("str").str.strip()
        text = text.where(values.notna(), None)
    return text.where(~text.isin(MISSING_MARKERS), None)


def _numbers(values: pd.Series, file: str, column: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    text = _as_text(values)
    numbers = pd.to_numeric(text, errors="coerce")
    unreadable = numbers.isna() & text.notna()
    if unreadable.any():
        _fail(file, column, unreadable, "not a number", values)
    return numbers.astype("float64")


def _finite_numbers(values: pd.Series, file: str, column: str) -> pd.Series:
    """:func:`_numbers`, refusing infinite values (``inf``, ``-inf``, ``1e999``)."""
    numbers = _numbers(values, file, column)
    infinite = np.isinf(numbers.to_numpy())
    if infinite.any():
        _fail(file, column, infinite, "not a finite number", values)
    return numbers


def _check_missing(values: pd.Series, missing: pd.Series, column: Column, file: str) -> None:
    if not column.nullable and missing.any():
        _fail(file, column.name, missing, "a value is required here", values)


def _whole(numbers: pd.Series) -> pd.Series:
    if numbers.isna().any():
        return numbers
    return numbers.astype("int64")


_CODE_SHAPES = {
    "gemeente": (_GM_CODE, "not a municipality code like GM0344"),
    "area": (
        _AREA_CODE,
        "not a wijk or buurt code like WK034401 or BU03440101 (WK or BU, the municipality's four "
        "digits, then two digits for the wijk and two for the buurt)",
    ),
}


def _convert(values: pd.Series, column: Column, file: str) -> pd.Series:
    kind = column.kind
    name = column.name
    if kind in ("gemeente", "area", "key", "text"):
        text = _as_text(values)
        _check_missing(values, text.isna(), column, file)
        if kind in _CODE_SHAPES:
            pattern, problem = _CODE_SHAPES[kind]
            bad = text.notna() & ~text.str.fullmatch(pattern.pattern).fillna(False)
            if bad.any():
                _fail(file, name, bad, problem, values)
        return text.astype("str") if not text.isna().any() else text
    if kind == "year":
        text = _as_text(values)
        _check_missing(values, text.isna(), column, file)
        periodic = text.str.contains(r"[A-Za-z]", regex=True, na=False)
        if periodic.any():
            periods = parse_periods(text.where(periodic, "1990").astype(str), file, name)
            not_a_year = periodic & (periods["period_kind"] != "year")
            if not_a_year.any():
                _fail(
                    file,
                    name,
                    not_a_year,
                    "a month or quarter period code where a year is expected (a year is "
                    "written 2016 or 2016JJ00)",
                    values,
                )
            text = text.where(~periodic, periods["year"].astype(str))
        numbers = _numbers(text, file, name)
        not_whole = numbers.notna() & (numbers % 1 != 0)
        if not_whole.any():
            _fail(file, name, not_whole, "a year must be a whole number", values)
        implausible = numbers.notna() & ~numbers.between(MIN_YEAR, max_plausible_year())
        if implausible.any():
            _fail(
                file,
                name,
                implausible,
                f"implausible year (expected {MIN_YEAR}-{max_plausible_year()})",
                values,
            )
        return numbers.astype("int64")
    if kind == "flag":
        if pd.api.types.is_bool_dtype(values):
            return values.astype(bool)
        text = _as_text(values)
        _check_missing(values, text.isna(), column, file)
        bad = ~text.isin(_TRUE | _FALSE)
        if bad.any():
            _fail(file, name, bad, "expected 0/1 or true/false", values)
        return text.isin(_TRUE)
    numbers = _finite_numbers(values, file, name)
    _check_missing(values, numbers.isna(), column, file)
    present = numbers.notna()
    if kind == "count":
        if (present & (numbers < 0)).any():
            _fail(file, name, present & (numbers < 0), "a count cannot be negative", values)
        if (present & (numbers % 1 != 0)).any():
            _fail(
                file, name, present & (numbers % 1 != 0), "a count must be a whole number", values
            )
        maximum = column.maximum if column.maximum is not None else MAX_COUNT
        if (present & (numbers > maximum)).any():
            _fail(
                file,
                name,
                present & (numbers > maximum),
                f"implausibly large (more than {maximum:,.0f}; a broken or shifted file?)",
                values,
            )
        return _whole(numbers)
    if kind == "month":
        bad = present & ~numbers.isin(range(1, 13))
        if bad.any():
            _fail(file, name, bad, "a month must be 1-12", values)
        return _whole(numbers)
    if kind == "binary":
        bad = present & ~numbers.isin([0, 1])
        if bad.any():
            _fail(file, name, bad, "expected 0 or 1", values)
        return _whole(numbers)
    if kind == "positive":
        if (present & (numbers <= 0)).any():
            _fail(file, name, present & (numbers <= 0), "must be greater than zero", values)
        return numbers
    if kind == "nonnegative":
        if (present & (numbers < 0)).any():
            _fail(file, name, present & (numbers < 0), "cannot be negative", values)
        return numbers
    if kind == "percent":
        bad = present & ~numbers.between(0, 100)
        if bad.any():
            _fail(file, name, bad, "a percentage must be 0-100", values)
        return numbers
    if kind == "number":
        return numbers
    raise ValueError(f"unknown column kind {kind!r}")


def validate_frame(
    kind: str,
    frame: pd.DataFrame,
    file: str,
    known_codes: Iterable[str] | None = None,
    row_numbers: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Validate and type one frame of the given kind.

    Parameters
    ----------
    kind : str
        A key of :data:`SCHEMAS` (``"crime"``, ``"population"``, ...).
    frame : pandas.DataFrame
        The frame as read (text or typed), rows in file order so that row numbers match the file.
    file : str
        Name of the file (or CBS table) shown in an error.
    known_codes : iterable of str, optional
        Municipality codes that are allowed; ``GM0000`` is always allowed. ``None``: not checked.
    row_numbers : sequence of int, optional
        The 1-based row of each frame row in its file, when the frame is a selection of the file's
        rows (the CBS reader keeps only municipalities); default: the frame's own order.

    Returns
    -------
    pandas.DataFrame
        A new frame with typed columns: the schema's columns first, extra columns (such as region-
        supplied covariates) kept as they are, converted to numbers where they are numeric.

    Raises
    ------
    DataValidationError
        At the first problem found.
    """
    try:
        return _validate_frame(kind, frame, file, known_codes)
    except DataValidationError as error:
        if row_numbers is None or error.row is None:
            raise
        raise DataValidationError(
            error.file, error.column, int(row_numbers[error.row - 1]), error.problem, error.value
        ) from None


def _validate_frame(kind, frame, file, known_codes):
    schema = SCHEMAS[kind]
    frame = frame.reset_index(drop=True)
    for column in schema.columns:
        if column.required and column.name not in frame.columns:
            raise DataValidationError(
                file,
                column.name,
                None,
                f"required column of {kind} is missing{_delimiter_hint(frame.columns)}",
            )
    result = {}
    for column in schema.columns:
        if column.name in frame.columns:
            result[column.name] = _convert(frame[column.name], column, file)
    extra = [name for name in frame.columns if name not in result]
    for name in extra:
        values = frame[name]
        if pd.api.types.is_bool_dtype(values):
            result[name] = values
            continue
        if pd.api.types.is_numeric_dtype(values):
            numbers = values
        else:
            text = _as_text(values)
            numbers = pd.to_numeric(text, errors="coerce")
            if not (numbers.notna() == text.notna()).all():
                result[name] = values
                continue
        _check_extra_numbers(kind, name, numbers, values, file)
        result[name] = numbers
    typed = pd.DataFrame(result)
    duplicated = typed.duplicated(list(schema.keys), keep="first").to_numpy()
    if duplicated.any():
        position = _first(duplicated)
        shown = ", ".join(str(typed[key].iloc[position]) for key in schema.keys)
        raise DataValidationError(
            file,
            schema.keys[-1] if len(schema.keys) == 1 else ", ".join(schema.keys),
            position + 1,
            "duplicate key (this combination occurs earlier in the file)",
            shown,
        )
    if known_codes is not None and "gemeente_code" in typed.columns:
        check_known_codes(typed, file, known_codes)
    if kind == "population":
        empty = (typed["population"] < 1).fillna(False).to_numpy()
        if empty.any():
            position = _first(empty)
            record = typed.iloc[position]
            raise DataValidationError(
                file,
                "population",
                position + 1,
                f"{record['gemeente_code']} has a population of 0 in {int(record['year'])}: a "
                "municipality has inhabitants, and every rate per inhabitant would be infinite",
                int(record["population"]),
            )
        check_population_jumps(typed, file)
    if kind == "survey_estimates":
        check_known_areas(typed, file, "area_code")
    if kind == "indicators":
        check_known_areas(typed, file, "area")
    if kind == "cleared":
        more = (typed["cleared_offences"] > typed["registered_offences"]).fillna(False)
        if more.any():
            _fail(
                file,
                "cleared_offences",
                more,
                "more cleared than registered offences",
                frame["cleared_offences"],
            )
    return typed


def _delimiter_hint(columns) -> str:
    """A hint when the header looks like another delimiter than the comma."""
    header = ",".join(str(column) for column in columns)
    for delimiter, name in ((";", "semicolons"), ("\t", "tabs")):
        if delimiter in header:
            return (
                f" (the header {header[:80]!r} looks separated by {name}: the suite reads "
                "comma-separated files, so save the file as CSV with commas)"
            )
    return ""


COVARIATE_KINDS = frozenset({"cleared"})
"""Frame kinds whose extra numeric columns are covariates (counts, densities, shares): >= 0."""


def _check_extra_numbers(kind, name, numbers, values, file) -> None:
    """Extra numeric columns: finite everywhere, and not negative where they are covariates."""
    array = numbers.to_numpy(dtype="float64", na_value=np.nan)
    if np.isinf(array).any():
        _fail(file, name, np.isinf(array), "not a finite number", values)
    if kind in COVARIATE_KINDS and (array < 0).any():
        _fail(file, name, array < 0, "a covariate cannot be negative", values)


FAST_KINDS = frozenset({"neighbourhood_crime", "neighbourhood_monthly", "neighbourhood_population"})
"""The kinds :func:`read_well_formed` reads: large tables without checks beyond their columns'."""
_NUMERIC_KINDS = ("year", "count", "month")


def read_well_formed(kind: str, path) -> pd.DataFrame | None:
    """Read a CSV file of ``kind`` by typed parsing, when every value is in its plainest form.

    The fast path for large tables (the wijk and buurt files: 670,000 rows). It accepts only what
    :func:`validate_frame` accepts, and returns the same frame; anything else (a value with
    padding spaces, a missing marker other than an empty cell, a period code, a duplicate key, an
    extra column, a bad value) gives ``None``, and the caller validates the text row by row, which
    names the offending file, column and row.

    Parameters
    ----------
    kind : str
        One of :data:`FAST_KINDS`.
    path : str or pathlib.Path
        The CSV file (compressed by suffix: ``.gz``, ``.xz``, ...).

    Returns
    -------
    pandas.DataFrame or None
        As :func:`validate_frame` would return it, or ``None``.
    """
    if kind not in FAST_KINDS:
        raise ValueError(f"{kind!r} has no fast path")
    schema = SCHEMAS[kind]
    columns = {column.name: column for column in schema.columns}
    try:
        header = list(pd.read_csv(path, nrows=0).columns)
        if set(header) - set(columns) or len(set(header)) != len(header):
            return None
        if any(column.required and column.name not in header for column in schema.columns):
            return None
        numeric = [name for name in header if columns[name].kind in _NUMERIC_KINDS]
        frame = pd.read_csv(
            path,
            dtype={name: "float64" if name in numeric else str for name in header},
            keep_default_na=False,
            na_values={name: [""] for name in numeric},
        )
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OSError):
        return None
    if frame.empty:
        return None
    result = {}
    for column in schema.columns:
        if column.name in frame.columns:
            values = _typed_plainly(frame[column.name], column)
            if values is None:
                return None
            result[column.name] = values
    typed = pd.DataFrame(result)
    if typed.duplicated(list(schema.keys)).any():
        return None
    return typed


def _typed_plainly(values: pd.Series, column: Column) -> pd.Series | None:
    """One column of :func:`read_well_formed` typed as :func:`_convert` types it, or ``None``."""
    kind = column.kind
    if kind in _NUMERIC_KINDS:
        numbers = values.to_numpy(dtype=float)
        missing = np.isnan(numbers)
        present = numbers[~missing]
        if (missing.any() and not column.nullable) or np.isinf(present).any():
            return None
        if (present % 1 != 0).any():
            return None
        if kind == "year" and not ((present >= MIN_YEAR) & (present <= max_plausible_year())).all():
            return None
        if kind == "month" and not ((present >= 1) & (present <= 12)).all():
            return None
        maximum = column.maximum if column.maximum is not None else MAX_COUNT
        if kind == "count" and not ((present >= 0) & (present <= maximum)).all():
            return None
        return values.astype("float64") if missing.any() else values.astype("int64")
    unique = pd.unique(values.to_numpy(dtype=object))
    if any(value != value.strip() or value in MISSING_MARKERS for value in unique):
        return None
    if kind == "flag":
        if not set(unique) <= _TRUE | _FALSE:
            return None
        return values.isin(_TRUE)
    if kind in _CODE_SHAPES and not all(_CODE_SHAPES[kind][0].fullmatch(v) for v in unique):
        return None
    return values.astype("str")


def require_rows(frame: pd.DataFrame, file: str, what: str) -> None:
    """Refuse a required file that holds no data rows (an empty or header-only file).

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame as read.
    file : str
        Named in the error.
    what : str
        What the file should hold (``"registered crime"``, ``"population"``).

    Raises
    ------
    DataValidationError
        When ``frame`` has no rows.
    """
    if len(frame) == 0:
        raise DataValidationError(
            file,
            None,
            None,
            f"the file holds no data rows (only a header, or nothing); {what} is required",
        )


def check_population_jumps(population: pd.DataFrame, file: str) -> None:
    """Refuse a region municipality's population that jumps without a merger; warn elsewhere.

    Parameters
    ----------
    population : pandas.DataFrame
        Typed ``gemeente_code, year, population`` rows in file order.
    file : str
        Named in the error or warning.

    Raises
    ------
    DataValidationError
        For the first municipality of the region tables (``data/regions/``) whose population
        changes by more than :data:`MAX_POPULATION_CHANGE` of the previous year's figure between
        two consecutive years without a merger or annexation touching it in those years; names the
        row of the later year and both figures.

    Warns
    -----
    DataWarning
        Once, listing such jumps of municipalities outside the region that no change in
        ``data/regions/national_changes.csv`` explains (every change to the municipal map from
        2012 on is there, so such a jump is probably a broken figure, or a change after the
        table's last row).

    Notes
    -----
    A merger, annexation, split or rename (of the region's table or the national one) dated in
    year ``Y`` explains a jump of the codes it touches between ``Y - 1`` and ``Y`` and
    between ``Y`` and ``Y + 1`` (figures on each year's own boundaries, and partial-year figures
    of an annexation during the year). Missing figures are skipped.
    """
    frame = population[["gemeente_code", "year", "population"]].copy()
    frame["_row"] = np.arange(1, len(frame) + 1)
    frame = frame[frame["population"].notna()].sort_values(["gemeente_code", "year"])
    previous = frame.groupby("gemeente_code").shift(1)
    consecutive = (frame["year"] - previous["year"]) == 1
    change = (frame["population"] - previous["population"]).abs()
    jumps = frame[consecutive & (change > MAX_POPULATION_CHANGE * previous["population"])]
    if jumps.empty:
        return
    merged = regions.changed_code_years()
    region = regions.known_codes()
    refused, warned = [], []
    for index, record in jumps.iterrows():
        if (record["gemeente_code"], int(record["year"])) in merged:
            continue
        before = previous.loc[index]
        line = (
            f"{record['gemeente_code']} {int(before['year'])}: {int(before['population'])} "
            f"(row {int(before['_row'])}) -> {int(record['year'])}: "
            f"{int(record['population'])} (row {int(record['_row'])})"
        )
        (refused if record["gemeente_code"] in region else warned).append((record, line))
    if refused:
        record, line = min(refused, key=lambda item: item[0]["_row"])
        raise DataValidationError(
            file,
            "population",
            int(record["_row"]),
            f"the population changes by more than half from one year to the next ({line}) "
            "without a merger in data/regions/mergers.csv or national_changes.csv: a number "
            "cut short or shifted? (a real merger belongs in those tables)",
            int(record["population"]),
        )
    if warned:
        shown = "; ".join(line for _, line in warned[:5])
        more = f" and {len(warned) - 5} more" if len(warned) > 5 else ""
        warnings.warn(
            f"{file}: the population of {len(warned)} municipalities outside the region changes "
            f"by more than half from one year to the next ({shown}{more}) without a change in "
            "data/regions/national_changes.csv: check the file, or add the change to that "
            "table with its source.",
            DataWarning,
            stacklevel=2,
        )


def _known_area_names() -> set[str]:
    names = {regions.REGION_NAME, *regions.DISTRICTS}
    for year in range(regions.FIRST_BOUNDARY_YEAR, max_plausible_year() + 1):
        names.update(regions.municipalities(year)["gemeente_name"])
    return names


_REGIONAL_CODE = re.compile(r"^[A-Z]{2}\d{2}$")
"""CBS codes of regions other than municipalities: NL01 (the Netherlands), police units, provinces."""


def check_known_areas(frame: pd.DataFrame, file: str, column: str) -> None:
    """Refuse an area of the region's own files that the suite does not know.

    Parameters
    ----------
    frame : pandas.DataFrame
        Typed frame, rows in file order.
    file : str
    column : {"area", "area_code"}
        ``area`` (``indicators.csv``): the region, a district or a municipality, written exactly as
        the source document and ``data/regions/municipalities.csv`` write it (the reports select
        rows by that name). ``area_code`` (``survey_estimates.csv``): a GM code of the region
        tables, or another CBS region code such as ``NL01`` or a police unit's code.

    Raises
    ------
    DataValidationError
        Naming the first row with an unknown area (and the right spelling when only case or
        spacing differ).
    """
    values = frame[column].astype(str)
    if column == "area":
        known = _known_area_names()
        unknown = ~values.isin(known).to_numpy()
    else:
        codes = regions.known_codes()
        gm = values.str.fullmatch(_GM_CODE.pattern)
        unknown = (
            (gm & ~values.isin(codes)) | (~gm & ~values.str.fullmatch(_REGIONAL_CODE.pattern))
        ).to_numpy()
        known = set()
    if not unknown.any():
        return
    position = _first(unknown)
    value = values.iloc[position]
    spelled = {" ".join(name.split()).casefold(): name for name in known}
    hint = spelled.get(" ".join(value.split()).casefold())
    if column == "area":
        problem = "unknown area: expected Midden-Nederland, a district or a municipality"
        if hint:
            problem += f" (write it as {hint!r}, exactly)"
    else:
        problem = (
            "unknown area code: expected a GM code of the region tables or a CBS region code "
            "such as NL01"
        )
    raise DataValidationError(file, column, position + 1, problem, value)


def check_known_codes(frame: pd.DataFrame, file: str, known_codes: Iterable[str]) -> None:
    """Refuse a municipality code that nobody knows.

    Parameters
    ----------
    frame : pandas.DataFrame
        With a ``gemeente_code`` column, rows in file order.
    file : str
    known_codes : iterable of str
        Codes of the population data plus those of the region and merger tables; ``GM0000`` is added.

    Raises
    ------
    DataValidationError
        Naming the first row whose code is unknown.
    """
    known = set(known_codes) | {NOT_ATTRIBUTABLE_CODE}
    unknown = ~frame["gemeente_code"].isin(known).to_numpy()
    if unknown.any():
        position = _first(unknown)
        raise DataValidationError(
            file,
            "gemeente_code",
            position + 1,
            "unknown municipality code: neither the population data nor the region and merger "
            "tables know it",
            frame["gemeente_code"].iloc[position],
        )


def validate_crime(frame, file, known_codes=None):
    """Validate registered crime (see :func:`validate_frame`, kind ``"crime"``)."""
    return validate_frame("crime", frame, file, known_codes)


def validate_population(frame, file, known_codes=None):
    """Validate population figures (kind ``"population"``)."""
    return validate_frame("population", frame, file, known_codes)


def validate_offences(frame, file):
    """Validate the offence list (kind ``"offences"``)."""
    return validate_frame("offences", frame, file)


def validate_cleared(frame, file, known_codes=None):
    """Validate cleared offences (kind ``"cleared"``; also cleared <= registered)."""
    return validate_frame("cleared", frame, file, known_codes)


def validate_monthly(frame, file, known_codes=None):
    """Validate monthly counts (kind ``"monthly"``)."""
    return validate_frame("monthly", frame, file, known_codes)


def validate_survey(frame, file, known_codes=None):
    """Validate survey microdata (kind ``"survey"``)."""
    return validate_frame("survey", frame, file, known_codes)


def validate_survey_estimates(frame, file):
    """Validate published survey estimates with margins (kind ``"survey_estimates"``)."""
    return validate_frame("survey_estimates", frame, file)


def validate_indicators(frame, file):
    """Validate region-supplied yearly indicators (kind ``"indicators"``)."""
    return validate_frame("indicators", frame, file)


# ----------------------------------------------------------------------------------------------
# Reporting
# ----------------------------------------------------------------------------------------------


def provisional_years(crime: pd.DataFrame) -> list[int]:
    """Years with at least one provisional count, ascending."""
    if "provisional" not in crime.columns:
        return []
    return sorted(int(year) for year in crime.loc[crime["provisional"], "year"].unique())


def not_attributable_summary(crime: pd.DataFrame) -> dict:
    """What is registered under ``GM0000`` (not attributable to a municipality), kept apart.

    Returns
    -------
    dict
        ``{"gemeente_code": "GM0000", "rows": int, "registered_offences": {offence_code: total}}``.
    """
    rows = crime.loc[crime["gemeente_code"] == NOT_ATTRIBUTABLE_CODE]
    totals = rows.groupby("offence_code")["registered_offences"].sum(min_count=1)
    return {
        "gemeente_code": NOT_ATTRIBUTABLE_CODE,
        "rows": len(rows),
        "registered_offences": {
            str(code): (None if pd.isna(total) else int(total)) for code, total in totals.items()
        },
    }


def known_municipality_codes(population: pd.DataFrame, extra: Sequence[str] = ()) -> set[str]:
    """Codes a crime or survey frame may use: population codes, region and merger tables, GM0000."""
    return (
        set(population["gemeente_code"].unique())
        | set(regions.known_codes())
        | set(extra)
        | {NOT_ATTRIBUTABLE_CODE}
    )


_POLICE_UNIT_CODE = re.compile(r"^RE\d{2}$")


def validate_police_units(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Validate a municipality -> police unit table (``police_units.csv`` of a tidy folder).

    Parameters
    ----------
    frame : pandas.DataFrame
        Read as text: ``gemeente_code`` (``GM0344``), ``police_unit_code`` (CBS's ``RE01`` ..
        ``RE10``), ``police_unit_name`` (``Midden-Nederland``), one row per municipality of one
        boundary year (as CBS's "Gebieden in Nederland").
    file : str
        Named in errors.

    Returns
    -------
    pandas.DataFrame
        The three columns, stripped.

    Raises
    ------
    DataValidationError
        Naming the file, column and first bad row: a missing column, a code of the wrong form,
        an empty name, a municipality listed twice, or a unit code with two names.
    """
    columns = ["gemeente_code", "police_unit_code", "police_unit_name"]
    for column in columns:
        if column not in frame.columns:
            raise DataValidationError(file, column, None, "required column is missing")
    table = frame[columns].reset_index(drop=True)
    for column in columns:
        table[column] = _as_text(table[column])
    if table.empty:
        raise DataValidationError(file, None, None, "the file has no rows")
    checks = [
        ("gemeente_code", _GM_CODE, "not a GM code (GM followed by four digits)"),
        ("police_unit_code", _POLICE_UNIT_CODE, "not a police-unit code (RE01 .. RE10)"),
    ]
    for column, pattern, problem in checks:
        bad = ~table[column].fillna("").str.fullmatch(pattern.pattern).to_numpy()
        if bad.any():
            _fail(file, column, bad, problem, table[column])
    empty = table["police_unit_name"].fillna("").eq("").to_numpy()
    if empty.any():
        _fail(file, "police_unit_name", empty, "every unit needs a name", table["police_unit_name"])
    twice = table["gemeente_code"].duplicated().to_numpy()
    if twice.any():
        _fail(file, "gemeente_code", twice, "municipality listed twice", table["gemeente_code"])
    names = table.groupby("police_unit_code")["police_unit_name"].transform("nunique")
    if (names > 1).any():
        _fail(
            file,
            "police_unit_name",
            (names > 1).to_numpy(),
            "a unit with two names",
            table["police_unit_name"],
        )
    return table
