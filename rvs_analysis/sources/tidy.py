"""Read a folder in the tidy CSV layout (the shared CBS extract, the demo data, a region's own folder).

The layout is described in ``docs/ARCHITECTURE.md``: ``registered_crime*.csv`` and ``population*.csv``
are required; ``*.geojson``, ``cleared_offences.csv``, ``monthly_crime.csv``, ``survey_microdata.csv``,
``survey_estimates.csv``, ``indicators.csv``, ``police_units.csv`` (municipality -> police unit,
as CBS's "Gebieden in Nederland") and ``metadata.json`` are optional. Every file is read as
text and validated by :mod:`rvs_analysis.clean` before it becomes part of the
:class:`~rvs_analysis.sources.base.Dataset`. The wijk and buurt files (``neighbourhood*``) are
:mod:`rvs_analysis.sources.neighbourhoods`'s: this module neither reads nor hashes them.

Without ``metadata.json`` (the shared CBS extract), the crime boundary year is read from the boundary
file's name (``gemeenten_2024.geojson`` -> 2024) and populations are taken to be on each year's own
boundaries, as CBS publishes them.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd

from rvs_analysis import clean
from rvs_analysis.exceptions import DataValidationError, SourceNotAvailableError
from rvs_analysis.sources.base import Dataset

REQUIRED_PATTERNS = {"crime": "registered_crime*.csv", "population": "population*.csv"}
OPTIONAL_FILES = {
    "cleared": "cleared_offences.csv",
    "monthly": "monthly_crime.csv",
    "survey": "survey_microdata.csv",
    "survey_estimates": "survey_estimates.csv",
    "indicators": "indicators.csv",
}
POLICE_UNITS_FILE = "police_units.csv"
"""Optional: ``gemeente_code, police_unit_code, police_unit_name`` (validated by
:func:`rvs_analysis.clean.validate_police_units`), put into the provenance as the CBS source does."""
NEIGHBOURHOOD_PREFIX = "neighbourhood"
"""Files whose names start with this are the wijk and buurt files
(:mod:`rvs_analysis.sources.neighbourhoods`): not municipal boundaries, not read by :func:`load_tidy`."""
_TABLE_ID = re.compile(r"(\d{5}[A-Za-z]{3})")
_BOUNDARY_YEAR = re.compile(r"(\d{4})\.geojson$")


def input_files(folder: Path) -> list[Path]:
    """The files of a tidy folder that :func:`load_tidy` reads, sorted by name.

    Parameters
    ----------
    folder : pathlib.Path
        The tidy folder.

    Returns
    -------
    list of pathlib.Path
        The required and optional CSV files, boundary files and ``metadata.json`` present.
    """
    patterns = [
        *REQUIRED_PATTERNS.values(),
        *OPTIONAL_FILES.values(),
        POLICE_UNITS_FILE,
        "*.geojson",
        "metadata.json",
    ]
    files: set[Path] = set()
    for pattern in patterns:
        files.update(
            path
            for path in folder.glob(pattern)
            if path.is_file() and not path.name.startswith(NEIGHBOURHOOD_PREFIX)
        )
    return sorted(files)


def require_regular_file(path: Path) -> Path:
    """Refuse an input path that is not a regular file (a named pipe would block forever).

    Parameters
    ----------
    path : pathlib.Path
        The input path; a path that does not exist passes (its reader says it is missing).

    Returns
    -------
    pathlib.Path
        ``path`` itself.

    Raises
    ------
    DataValidationError
        When ``path`` exists but is a FIFO, socket, device or folder.
    """
    if path.exists() and not path.is_file():
        kind = (
            "a folder" if path.is_dir() else "not a regular file (a named pipe, socket or device)"
        )
        raise DataValidationError(
            path, None, None, f"this input is {kind}; rvs reads regular files only"
        )
    return path


def _regular_files(folder: Path, pattern: str) -> list[Path]:
    """The paths matching ``pattern`` (but not the wijk and buurt files), sorted; refuses one that
    is not a regular file."""
    return sorted(
        require_regular_file(path)
        for path in folder.glob(pattern)
        if not path.name.startswith(NEIGHBOURHOOD_PREFIX)
    )


def read_csv_text(path: Path) -> pd.DataFrame:
    """Read a CSV file with every value as text, so that validation sees exactly what is there.

    Parameters
    ----------
    path : pathlib.Path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        Every column as text, empty cells as ``""``.

    Raises
    ------
    DataValidationError
        When the file is not a regular file or not a readable CSV file.
    """
    require_regular_file(path)
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataValidationError(
            path, None, None, f"not a readable CSV file ({first_line})"
        ) from error


def _read_metadata(path: Path) -> dict:
    require_regular_file(path)
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataValidationError(path, None, None, f"not valid JSON ({error})") from error
    except RecursionError:
        raise DataValidationError(
            path, None, None, "JSON nested too deeply to be metadata"
        ) from None
    if not isinstance(metadata, dict):
        raise DataValidationError(path, None, None, "expected a JSON object")
    for key in ("crime_boundary_year", "population_boundary_year"):
        value = metadata.get(key)
        if value is not None and (
            not isinstance(value, int) or not clean.MIN_YEAR <= value <= clean.max_plausible_year()
        ):
            raise DataValidationError(path, key, None, "expected a plausible year or null", value)
    if "is_demo" in metadata and not isinstance(metadata["is_demo"], bool):
        raise DataValidationError(
            path, "is_demo", None, "expected true or false", metadata["is_demo"]
        )
    return metadata


def _read_boundaries(path: Path) -> dict:
    require_regular_file(path)
    try:
        geojson = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataValidationError(path, None, None, f"not valid GeoJSON ({error})") from error
    except RecursionError:
        raise DataValidationError(path, None, None, "GeoJSON nested too deeply") from None
    if not isinstance(geojson, dict) or geojson.get("type") != "FeatureCollection":
        raise DataValidationError(path, "type", None, "expected a GeoJSON FeatureCollection")
    features = geojson.get("features", [])
    if not isinstance(features, list):
        raise DataValidationError(path, "features", None, "expected a list of GeoJSON features")
    for position, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise DataValidationError(
                path, "features", position, "expected a GeoJSON Feature object", feature
            )
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise DataValidationError(
                path, "properties", position, "feature properties must be an object"
            )
        for key in ("statcode", "statnaam"):
            if key not in properties:
                raise DataValidationError(path, key, position, "feature property is missing")
        problem = geometry_problem(feature.get("geometry"))
        if problem:
            raise DataValidationError(
                path,
                "geometry",
                position,
                f"the geometry of feature {properties.get('statcode')!r} is not a usable "
                f"polygon: {problem}",
            )
    return geojson


def geometry_problem(geometry) -> str | None:
    """What is wrong with a feature's geometry for a map, or ``None``.

    Parameters
    ----------
    geometry : object
        A feature's ``geometry`` as parsed from GeoJSON.

    Returns
    -------
    str or None
        ``None`` for a Polygon or MultiPolygon whose rings have at least four positions of two or
        three finite numbers (checked with loops, not recursion: the nesting depth is fixed by the
        type); otherwise what is wrong, in a few words.
    """
    if not isinstance(geometry, dict):
        return "expected a geometry object"
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        return f"type {kind!r} (expected Polygon or MultiPolygon)"
    if not isinstance(coordinates, list) or not coordinates:
        return "no coordinates"
    polygons = [coordinates] if kind == "Polygon" else coordinates
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return "a polygon without rings"
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                return "a ring with fewer than four positions"
            for position in ring:
                if (
                    not isinstance(position, list)
                    or len(position) not in (2, 3)
                    or not all(
                        isinstance(value, int | float)
                        and not isinstance(value, bool)
                        and math.isfinite(value)
                        for value in position
                    )
                ):
                    return f"a position {str(position)[:40]} is not two or three finite numbers"
    return None


REQUIRED_CONTENT = {"crime": "registered crime", "population": "population"}


def read_validated(paths: list[Path], kind: str, known_codes=None) -> pd.DataFrame:
    """Read and validate each file, then refuse keys duplicated across files.

    A required file (registered crime, population) must hold data rows; an optional file of the
    region's own (a template copied but not filled) may be a header only.

    Parameters
    ----------
    paths : list of pathlib.Path
        The files of one kind (several ``registered_crime*.csv`` are read as one table).
    kind : str
        The schema (``crime``, ``population``, ``cleared``, ...; see :data:`rvs_analysis.clean.SCHEMAS`).
    known_codes : collection of str, optional
        The GM codes a row may have; ``None`` does not check them.

    Returns
    -------
    pandas.DataFrame
        The validated rows of all files.

    Raises
    ------
    DataValidationError
        For the first bad value, naming the file, the column and the row, or for a key that repeats
        across files.
    """
    frames = []
    for path in paths:
        text = read_csv_text(path)
        if kind in REQUIRED_CONTENT:
            clean.require_rows(text, path.name, REQUIRED_CONTENT[kind])
        frames.append(clean.validate_frame(kind, text, path.name, known_codes))
    if len(frames) == 1:
        return frames[0]
    combined = pd.concat(frames, ignore_index=True)
    keys = list(clean.SCHEMAS[kind].keys)
    duplicated = combined.duplicated(keys).to_numpy()
    if duplicated.any():
        position = int(duplicated.nonzero()[0][0])
        offsets = [0]
        for frame in frames:
            offsets.append(offsets[-1] + len(frame))
        file_index = max(i for i, start in enumerate(offsets[:-1]) if start <= position)
        raise DataValidationError(
            paths[file_index].name,
            ", ".join(keys),
            position - offsets[file_index] + 1,
            "duplicate key (the same combination is in an earlier file of this folder)",
        )
    return combined


def _tables_of(files: list[Path]) -> dict[str, str]:
    tables = {}
    for path in files:
        match = _TABLE_ID.search(path.name)
        if match:
            tables[path.name] = match.group(1)
    return tables


def load_tidy(folder, source_name: str | None = None, version: str | None = None) -> Dataset:
    """Load and validate a folder in the tidy CSV layout.

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder (``../shared/data/cbs-open-data``, ``data/demo``, ...).
    source_name : str, optional
        Name recorded as ``Dataset.source`` (default: the folder path).
    version : str, optional
        Content hash for the provenance (computed by :func:`rvs_analysis.sources.source_version`).

    Returns
    -------
    Dataset

    Raises
    ------
    SourceNotAvailableError
        When the folder or a required file is missing.
    DataValidationError
        When a file holds bad input (first offending file, column and row).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceNotAvailableError(
            f"The source folder {folder} does not exist. Give a folder in the tidy CSV layout "
            "(see docs/ARCHITECTURE.md), 'demo' or 'cbs'."
        )
    found = {kind: _regular_files(folder, pattern) for kind, pattern in REQUIRED_PATTERNS.items()}
    for kind, paths in found.items():
        if not paths:
            raise SourceNotAvailableError(
                f"The folder {folder} has no {REQUIRED_PATTERNS[kind]} file; a tidy source needs "
                f"{' and '.join(REQUIRED_PATTERNS.values())} (see docs/ARCHITECTURE.md)."
            )

    metadata_path = folder / "metadata.json"
    metadata = _read_metadata(metadata_path) if metadata_path.exists() else {}
    geojson_paths = _regular_files(folder, "*.geojson")
    boundaries = _read_boundaries(geojson_paths[0]) if geojson_paths else None

    population = read_validated(found["population"], "population")
    known = clean.known_municipality_codes(population)
    crime = read_validated(found["crime"], "crime", known)

    if "offence_label" in crime.columns:
        offences = crime[["offence_code", "offence_label"]].drop_duplicates("offence_code")
        offences = offences.assign(offence_label=offences["offence_label"].fillna(""))
    else:
        offences = pd.DataFrame(
            {"offence_code": crime["offence_code"].unique(), "offence_label": ""}
        )
    offences = offences.sort_values("offence_code").reset_index(drop=True)
    crime = crime[["gemeente_code", "year", "offence_code", "registered_offences", "provisional"]]
    population = population[["gemeente_code", "year", "population"]]

    optional = {}
    for kind, name in OPTIONAL_FILES.items():
        path = folder / name
        if path.exists():
            codes = known if kind in ("cleared", "monthly", "survey") else None
            optional[kind] = read_validated([path], kind, codes)

    if "crime_boundary_year" in metadata:
        crime_boundary_year = metadata["crime_boundary_year"]
    elif geojson_paths and _BOUNDARY_YEAR.search(geojson_paths[0].name):
        crime_boundary_year = int(_BOUNDARY_YEAR.search(geojson_paths[0].name).group(1))
    else:
        crime_boundary_year = None
    population_boundary_year = metadata.get("population_boundary_year")

    files = input_files(folder)
    provenance = {
        "source": source_name or str(folder),
        "version": version,
        "files": [path.name for path in files],
        "tables": _tables_of(files),
        "retrieved": metadata.get("retrieved"),
        "title": metadata.get("title"),
        "provisional_years": clean.provisional_years(crime),
        "not_attributable": clean.not_attributable_summary(crime),
        **_police_units(folder / POLICE_UNITS_FILE),
    }
    return Dataset(
        source=source_name or str(folder),
        crime=crime.reset_index(drop=True),
        population=population.reset_index(drop=True),
        offences=offences,
        crime_boundary_year=crime_boundary_year,
        population_boundary_year=population_boundary_year,
        boundaries=boundaries,
        is_demo=bool(metadata.get("is_demo", False)),
        provenance=provenance,
        **optional,
    )


def _police_units(path: Path) -> dict:
    """``police_units``/``police_unit_names`` provenance entries from ``police_units.csv``."""
    if not path.exists():
        return {}
    require_regular_file(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    table = clean.validate_police_units(frame, path.name)
    return {
        "police_units": dict(zip(table["gemeente_code"], table["police_unit_code"], strict=True)),
        "police_unit_names": dict(
            zip(table["police_unit_code"], table["police_unit_name"], strict=True)
        ),
    }
