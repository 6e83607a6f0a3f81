"""Wijk and buurt data in the tidy layout: read, validated, withheld cells kept as missing.

A folder in the tidy layout (``docs/ARCHITECTURE.md``, "Wijk and buurt files") may hold, beside the
municipal files, the wijk and buurt tables of CBS 47018NED (yearly) and 47022NED (monthly), the
population of the "Kerncijfers wijken en buurten" tables and the polygons:

* ``neighbourhood_crime.csv`` (yearly), ``neighbourhood_monthly_crime.csv`` (monthly) and
  ``neighbourhood_population.csv``, each plain or compressed (``.csv.gz``, ``.csv.xz``; the demo
  data are compressed);
* ``neighbourhoods.geojson`` (optional): polygons with ``area_code``, ``area_name``, ``area_kind``,
  ``gemeente_code`` and ``year``.

:func:`load_neighbourhoods` reads them into :class:`Neighbourhoods`. A cell CBS withheld ("niet
gepubliceerd", an empty cell) stays missing (``NaN``), never 0; the provisional months are listed;
a code present in some years only (CBS recoded the buurt and gives no key between old and new
codes) is listed in :attr:`Neighbourhoods.partial_series`, so that a report can say its series
starts (or ends) at the recoding. Bad input raises one
:class:`~rvs_analysis.exceptions.DataValidationError` naming the file, the column and the row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rvs_analysis import clean
from rvs_analysis.exceptions import DataValidationError, SourceNotAvailableError
from rvs_analysis.sources.tidy import geometry_problem, read_csv_text, require_regular_file

__all__ = [
    "AREA_KINDS",
    "BOUNDARIES_FILE",
    "TABLE_FILES",
    "Neighbourhoods",
    "assemble_neighbourhoods",
    "check_against_codes",
    "has_neighbourhoods",
    "input_files",
    "load_neighbourhoods",
    "read_boundaries",
]

TABLE_FILES = {
    "yearly": "neighbourhood_crime",
    "monthly": "neighbourhood_monthly_crime",
    "population": "neighbourhood_population",
}
"""The three required tables by stem; each is ``<stem>.csv``, ``<stem>.csv.gz`` or ``<stem>.csv.xz``."""
SUFFIXES = (".csv", ".csv.gz", ".csv.xz")
BOUNDARIES_FILE = "neighbourhoods.geojson"
"""The optional polygons."""
AREA_KINDS = {"WK": "wijk", "BU": "buurt"}
"""Code prefix -> ``area_kind``."""
_SCHEMA_OF = {
    "yearly": "neighbourhood_crime",
    "monthly": "neighbourhood_monthly",
    "population": "neighbourhood_population",
}
_BOUNDARY_PROPERTIES = ("area_code", "area_name", "area_kind", "gemeente_code", "year")


@dataclass(frozen=True)
class Neighbourhoods:
    """The wijk and buurt data of one folder, validated.

    Attributes
    ----------
    yearly : pandas.DataFrame
        ``offence_code, area_code, area_kind, gemeente_code, year, registered_offences,
        provisional``; ``registered_offences`` is ``NaN`` where CBS withheld the cell.
    monthly : pandas.DataFrame
        ``area_code, area_kind, gemeente_code, year, month, offence_code, registered_offences,
        provisional`` (withheld cells ``NaN``).
    population : pandas.DataFrame
        ``area_code, area_kind, gemeente_code, year, population`` (withheld ``NaN``).
    areas : pandas.DataFrame
        One row per code: ``area_code, area_kind, area_name`` (the latest name; the code where no
        file names it), ``gemeente_code``, ``wijk_code`` (a buurt's wijk, a wijk's own code), and
        the span of its series: ``first_year, last_year`` (yearly table) and ``first_month,
        last_month`` (monthly table, as ``YYYY-MM`` text; empty where the code has no monthly rows).
    offences : pandas.DataFrame
        ``offence_code, offence_label`` (the label empty where the yearly table has none).
    boundaries : dict or None
        The GeoJSON FeatureCollection of ``neighbourhoods.geojson``; ``None`` without that file (a
        report then has no map and says why).
    provisional_months : tuple of (int, int)
        The ``(year, month)`` pairs the monthly table marks provisional (CBS revises them).
    provisional_years : tuple of int
        The years the yearly table marks provisional.
    partial_series : pandas.DataFrame
        The codes whose series start after the first or end before the last year of the yearly
        table (buurten CBS recoded): the columns of ``areas`` plus ``starts_late`` and
        ``ends_early``. Empty when every code covers every year.
    files : tuple of str
        The file names read.
    population_editions : dict
        For a source whose population comes from yearly editions ("Kerncijfers wijken en buurten
        <year>", the CBS cache): year -> the edition year its population rows are taken from (the
        nearest edition where the year has none); empty for a tidy folder.
    """

    yearly: pd.DataFrame
    monthly: pd.DataFrame
    population: pd.DataFrame
    areas: pd.DataFrame
    offences: pd.DataFrame
    boundaries: dict | None
    provisional_months: tuple[tuple[int, int], ...]
    provisional_years: tuple[int, ...]
    partial_series: pd.DataFrame
    files: tuple[str, ...]
    population_editions: dict[int, int] = field(default_factory=dict)

    @property
    def boundary_year(self) -> int | None:
        """The year of the polygons (their ``year`` property), or ``None`` without boundaries."""
        if self.boundaries is None or not self.boundaries["features"]:
            return None
        return int(self.boundaries["features"][0]["properties"]["year"])


def _table_paths(folder: Path) -> dict[str, Path | None]:
    """The path of each table (``None`` when absent); refuses two spellings of one table."""
    found: dict[str, Path | None] = {}
    for key, stem in TABLE_FILES.items():
        paths = [folder / f"{stem}{suffix}" for suffix in SUFFIXES]
        present = [require_regular_file(path) for path in paths if path.exists()]
        if len(present) > 1:
            raise DataValidationError(
                present[1].name,
                None,
                None,
                f"the folder holds {' and '.join(path.name for path in present)}: one table in "
                "two files; keep one",
            )
        found[key] = present[0] if present else None
    return found


def has_neighbourhoods(folder) -> bool:
    """Whether ``folder`` holds any of the wijk and buurt tables.

    Parameters
    ----------
    folder : str or pathlib.Path

    Returns
    -------
    bool
    """
    folder = Path(folder)
    return folder.is_dir() and any(
        (folder / f"{stem}{suffix}").exists()
        for stem in TABLE_FILES.values()
        for suffix in SUFFIXES
    )


def input_files(folder) -> list[Path]:
    """The wijk and buurt files of ``folder`` that :func:`load_neighbourhoods` reads, sorted.

    Parameters
    ----------
    folder : str or pathlib.Path

    Returns
    -------
    list of pathlib.Path
        What a source version of the neighbourhood data should hash.
    """
    folder = Path(folder)
    names = [f"{stem}{suffix}" for stem in TABLE_FILES.values() for suffix in SUFFIXES]
    names.append(BOUNDARIES_FILE)
    return sorted(folder / name for name in names if (folder / name).is_file())


def _read(path: Path, key: str) -> pd.DataFrame:
    """Read one table (decompressing by suffix) and validate it against its schema: by typed
    parsing when it is well formed, else as text row by row (which names the bad row)."""
    require_regular_file(path)
    frame = clean.read_well_formed(_SCHEMA_OF[key], path)
    text = None
    if frame is None:
        text = read_csv_text(path)
        clean.require_rows(text, path.name, f"wijk and buurt {key} figures")
        frame = clean.validate_frame(_SCHEMA_OF[key], text, path.name)
    return _check_codes(frame, path, text)


def _check_codes(frame: pd.DataFrame, path: Path, text: pd.DataFrame | None) -> pd.DataFrame:
    """``area_kind`` and ``gemeente_code`` against the code (added where the file lacks them)."""
    shown = frame if text is None else text  # the values as the file holds them
    codes = frame["area_code"].astype(str)
    unique = pd.unique(codes.to_numpy(dtype=object))
    prefix_kind = codes.map({code: AREA_KINDS[code[:2]] for code in unique})
    expected_gemeente = codes.map({code: "GM" + code[2:6] for code in unique})
    if "area_kind" in frame.columns:
        kinds = frame["area_kind"].astype(str)
        unknown = ~kinds.isin(AREA_KINDS.values())
        if unknown.any():
            _refuse(path, "area_kind", unknown, "expected wijk or buurt", shown["area_kind"])
        wrong = kinds != prefix_kind
        if wrong.any():
            _refuse(
                path,
                "area_kind",
                wrong,
                "does not match the code (WK codes are wijken, BU codes buurten)",
                shown["area_kind"],
            )
    else:
        frame.insert(1, "area_kind", prefix_kind.to_numpy())
    if "gemeente_code" in frame.columns:
        wrong = frame["gemeente_code"].astype(str) != expected_gemeente
        if wrong.any():
            _refuse(
                path,
                "gemeente_code",
                wrong,
                "does not match the area code (the four digits after WK or BU are the "
                "municipality's)",
                shown["gemeente_code"],
            )
    else:
        frame.insert(2, "gemeente_code", expected_gemeente.to_numpy())
    return frame


def _refuse(path: Path, column: str, mask: pd.Series, problem: str, values: pd.Series):
    position = int(np.flatnonzero(mask.to_numpy())[0])
    raise DataValidationError(path.name, column, position + 1, problem, values.iloc[position])


def read_boundaries(path, shown: str | None = None) -> dict:
    """Read and check ``neighbourhoods.geojson``: a FeatureCollection of wijk and buurt polygons
    of one year.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    shown : str, optional
        The file as errors name it (default its name).

    Returns
    -------
    dict
        The parsed FeatureCollection.

    Raises
    ------
    DataValidationError
        Naming the file, the property and the feature: not GeoJSON, no features, a feature without
        ``area_code``/``area_name``/``area_kind``/``gemeente_code``/``year``, a code that is not a
        wijk or buurt code, a kind or municipality that contradicts it, an unusable polygon, or
        polygons of several years.
    """
    path = Path(path)
    name = shown or path.name
    require_regular_file(path)
    try:
        geojson = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataValidationError(name, None, None, f"not valid GeoJSON ({error})") from error
    except RecursionError:
        raise DataValidationError(name, None, None, "GeoJSON nested too deeply") from None
    if not isinstance(geojson, dict) or geojson.get("type") != "FeatureCollection":
        raise DataValidationError(name, "type", None, "expected a GeoJSON FeatureCollection")
    features = geojson.get("features")
    if not isinstance(features, list) or not features:
        raise DataValidationError(name, "features", None, "expected a non-empty feature list")
    years = set()
    for position, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise DataValidationError(
                name, "features", position, "expected a GeoJSON Feature object"
            )
        properties = feature.get("properties")
        if not isinstance(properties, dict):
            raise DataValidationError(
                name, "properties", position, "feature properties must be an object"
            )
        for key in _BOUNDARY_PROPERTIES:
            if key not in properties:
                raise DataValidationError(name, key, position, "feature property is missing")
        code = str(properties["area_code"])
        if not clean.is_area_code(code):
            raise DataValidationError(
                name, "area_code", position, "not a wijk or buurt code like BU03440101", code
            )
        if properties["area_kind"] != AREA_KINDS[code[:2]]:
            raise DataValidationError(
                name,
                "area_kind",
                position,
                "does not match the code (WK codes are wijken, BU codes buurten)",
                properties["area_kind"],
            )
        if properties["gemeente_code"] != "GM" + code[2:6]:
            raise DataValidationError(
                name,
                "gemeente_code",
                position,
                "does not match the area code",
                properties["gemeente_code"],
            )
        year = properties["year"]
        if not isinstance(year, int) or isinstance(year, bool):
            raise DataValidationError(name, "year", position, "expected a whole year", year)
        years.add(year)
        problem = geometry_problem(feature.get("geometry"))
        if problem:
            raise DataValidationError(
                name,
                "geometry",
                position,
                f"the geometry of {code} is not a usable polygon: {problem}",
            )
    if len(years) > 1:
        raise DataValidationError(
            name,
            "year",
            None,
            f"polygons of several years ({', '.join(map(str, sorted(years)))}); keep one year's",
        )
    return geojson


def _areas(yearly, monthly, population, boundaries) -> pd.DataFrame:
    """One row per code with its latest name and the span of its series."""
    # the distinct codes of each table first: iterating the monthly table's text column row by
    # row is most of a cold load's time
    codes = pd.Index(
        sorted(
            set().union(*(frame["area_code"].unique() for frame in (yearly, monthly, population)))
        )
    )
    names = pd.Series(np.nan, index=codes, dtype=object)
    if boundaries is not None:
        for feature in boundaries["features"]:
            properties = feature["properties"]
            names[properties["area_code"]] = properties["area_name"]
    if "area_name" in yearly.columns:
        latest = yearly.dropna(subset=["area_name"]).sort_values("year")
        latest = latest.drop_duplicates("area_code", keep="last").set_index("area_code")
        names.loc[latest.index] = latest["area_name"]
    names = names.where(names.notna(), pd.Series(codes, index=codes))
    years = yearly.groupby("area_code")["year"].agg(["min", "max"])
    month_index = monthly["year"] * 12 + monthly["month"] - 1
    months = month_index.groupby(monthly["area_code"]).agg(["min", "max"])

    def as_text(values: pd.Series) -> pd.Series:
        present = values.dropna().astype(int)
        text = (present // 12).astype(str) + "-" + (present % 12 + 1).map("{:02d}".format)
        return text.reindex(codes).fillna("")

    areas = pd.DataFrame(
        {
            "area_code": codes,
            "area_kind": codes.str[:2].map(AREA_KINDS),
            "area_name": names.to_numpy(),
            "gemeente_code": "GM" + codes.str[2:6],
            "wijk_code": "WK" + codes.str[2:8],
            "first_year": years["min"].reindex(codes).astype("Int64").to_numpy(),
            "last_year": years["max"].reindex(codes).astype("Int64").to_numpy(),
            "first_month": as_text(months["min"].reindex(codes)).to_numpy(),
            "last_month": as_text(months["max"].reindex(codes)).to_numpy(),
        }
    )
    return areas


def load_neighbourhoods(source_dir) -> Neighbourhoods:
    """Read and validate the wijk and buurt files of a tidy folder.

    Parameters
    ----------
    source_dir : str or pathlib.Path
        The folder (``data/demo``, a region's own folder, the CBS cache's tidy export).

    Returns
    -------
    Neighbourhoods
        ``boundaries`` is ``None`` when ``neighbourhoods.geojson`` is absent.

    Raises
    ------
    SourceNotAvailableError
        When the folder or one of the three tables is missing.
    DataValidationError
        At the first bad value (file, column, row): a code not shaped as CBS pads it, an
        ``area_kind`` or ``gemeente_code`` that contradicts the code, a negative or fractional
        count, a duplicate key, a missing column, a table with no rows, two files of one table, a
        boundary feature without its properties or with an unusable polygon.

    Notes
    -----
    A withheld cell is an empty cell (or one of CBS's markers ``.``, ``x``, ``-``): it is read as
    ``NaN`` and stays so, so that no total or rate counts it as 0. A wijk's count is CBS's own (it
    includes buurten whose cells are withheld), never the sum of its buurten's published cells.
    """
    folder = Path(source_dir)
    if not folder.is_dir():
        raise SourceNotAvailableError(
            f"The source folder {folder} does not exist; wijk and buurt data are read from a "
            "folder in the tidy layout (see docs/ARCHITECTURE.md)."
        )
    paths = _table_paths(folder)
    missing = [TABLE_FILES[key] + ".csv" for key, path in paths.items() if path is None]
    if missing:
        raise SourceNotAvailableError(
            f"The folder {folder} has no wijk and buurt data: {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing (plain or as .csv.gz/.csv.xz). Run "
            "'rvs demo-data' for the demo folder, or write the three tables of docs/ARCHITECTURE.md "
            "('Wijk and buurt files') into the folder."
        )
    yearly = _read(paths["yearly"], "yearly")
    monthly = _read(paths["monthly"], "monthly")
    population = _read(paths["population"], "population")
    boundary_path = folder / BOUNDARIES_FILE
    boundaries = read_boundaries(boundary_path) if boundary_path.exists() else None
    files = [path.name for path in paths.values() if path is not None]
    if boundaries is not None:
        files.append(BOUNDARIES_FILE)
    return assemble_neighbourhoods(yearly, monthly, population, boundaries, files)


def check_against_codes(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """``area_kind`` and ``gemeente_code`` of validated rows checked against (or, where absent,
    taken from) the area code.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows validated by :func:`rvs_analysis.clean.validate_frame` (a neighbourhood kind).
    file : str
        Named in an error.

    Returns
    -------
    pandas.DataFrame
        ``frame`` with ``area_kind`` and ``gemeente_code``.

    Raises
    ------
    DataValidationError
        When a row's kind or municipality contradicts its code.
    """
    return _check_codes(frame, Path(file), None)


def assemble_neighbourhoods(
    yearly, monthly, population, boundaries, files, population_editions=None
) -> Neighbourhoods:
    """:class:`Neighbourhoods` from validated frames (the tidy files' or the CBS cache's).

    Parameters
    ----------
    yearly, monthly, population : pandas.DataFrame
        Validated rows (:data:`rvs_analysis.clean.SCHEMAS` ``neighbourhood_*``) with ``area_kind``
        and ``gemeente_code`` (:func:`check_against_codes`).
    boundaries : dict or None
        The polygons, read and checked.
    files : list of str
        The files (or tables) read, for the record.
    population_editions : dict, optional
        Year -> edition year of the population rows (:attr:`Neighbourhoods.population_editions`).

    Returns
    -------
    Neighbourhoods
    """
    if "offence_label" in yearly.columns:
        offences = yearly[["offence_code", "offence_label"]].drop_duplicates("offence_code")
        offences = offences.assign(offence_label=offences["offence_label"].fillna(""))
    else:
        offences = pd.DataFrame(
            {"offence_code": yearly["offence_code"].unique(), "offence_label": ""}
        )
    offences = offences.sort_values("offence_code").reset_index(drop=True)

    areas = _areas(yearly, monthly, population, boundaries)
    first, last = int(yearly["year"].min()), int(yearly["year"].max())
    partial = areas.assign(
        starts_late=areas["first_year"].fillna(first) > first,
        ends_early=areas["last_year"].fillna(last) < last,
    )
    partial = partial[partial["starts_late"] | partial["ends_early"]].reset_index(drop=True)
    provisional = monthly.loc[monthly["provisional"], ["year", "month"]].drop_duplicates()
    provisional_months = tuple(
        (int(year), int(month)) for year, month in sorted(provisional.itertuples(index=False))
    )
    provisional_years = tuple(
        sorted(int(y) for y in yearly.loc[yearly["provisional"], "year"].unique())
    )
    yearly_columns = [
        "offence_code",
        "area_code",
        "area_kind",
        "gemeente_code",
        "year",
        "registered_offences",
        "provisional",
    ]
    monthly_columns = [
        "area_code",
        "area_kind",
        "gemeente_code",
        "year",
        "month",
        "offence_code",
        "registered_offences",
        "provisional",
    ]
    return Neighbourhoods(
        yearly=yearly[yearly_columns].reset_index(drop=True),
        monthly=monthly[monthly_columns].reset_index(drop=True),
        population=population[
            ["area_code", "area_kind", "gemeente_code", "year", "population"]
        ].reset_index(drop=True),
        areas=areas,
        offences=offences,
        boundaries=boundaries,
        provisional_months=provisional_months,
        provisional_years=provisional_years,
        partial_series=partial,
        files=tuple(sorted(files)),
        population_editions=dict(population_editions or {}),
    )
