"""The wijk and buurt rows of the CBS cache, read as the tidy frames of :mod:`.neighbourhoods`.

``rvs fetch --tables wijkbuurt_jaar wijkbuurt_maand kerncijfers_wijkbuurt`` downloads, filtered on
CBS's side by the region's municipalities and the offence codes of
:data:`~rvs_analysis.sources.cbs_tables.NEIGHBOURHOOD_OFFENCES`, the wijk and buurt rows of 47018NED
(yearly) and 47022NED (monthly) and the inhabitants of the newest "Kerncijfers wijken en buurten
<year>" (found by title) into the cache, in cbsodata's layout like every table. The readers here turn
them into the frames of the tidy wijk and buurt files (``docs/ARCHITECTURE.md``), validated by
:mod:`rvs_analysis.clean` with the row numbers of ``TypedDataSet.json``: a ``null`` cell is withheld
("niet gepubliceerd") and stays missing, a period CBS marks "Voorlopig" is provisional.
:func:`load_cbs_neighbourhoods` gives the same :class:`~.neighbourhoods.Neighbourhoods` as a tidy
folder; its boundaries are the PDOK polygons (CBS's generalised gebiedsindelingen) ``rvs fetch`` stores in ``<cache>/wijkbuurt_grenzen/``
(:mod:`rvs_analysis.sources.pdok_boundaries`), ``None`` when the cache has none.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rvs_analysis import clean
from rvs_analysis.exceptions import DataValidationError, SourceNotAvailableError
from rvs_analysis.sources.cbs_catalog import nearest_editions
from rvs_analysis.sources.cbs_tables import (
    BOUNDARIES_TABLE,
    NEIGHBOURHOOD_TABLES,
    TABLES,
    CbsTable,
    dimension_labels,
    period_rows,
    read_table,
)
from rvs_analysis.sources.neighbourhoods import (
    AREA_KINDS,
    BOUNDARIES_FILE,
    Neighbourhoods,
    assemble_neighbourhoods,
    check_against_codes,
    read_boundaries,
)

__all__ = [
    "load_cbs_neighbourhoods",
    "read_neighbourhood_crime",
    "read_neighbourhood_population",
]


def _areas_of(table: CbsTable, data: pd.DataFrame) -> pd.DataFrame:
    """Code, kind, name and municipality of each row's region (names from the dimension list)."""
    geo = table.dimension_key("GeoDimension")
    codes = clean.strip_keys(data[geo].astype(str))
    names = dimension_labels(table, geo)
    names.index = clean.strip_keys(pd.Series(names.index.astype(str))).to_numpy()
    names = names.astype(str).str.strip()
    return pd.DataFrame(
        {
            "area_code": codes.to_numpy(),
            "area_kind": codes.str[:2].map(AREA_KINDS).to_numpy(),
            "area_name": codes.map(names).to_numpy(),
            "gemeente_code": ("GM" + codes.str[2:6]).to_numpy(),
        }
    )


def read_neighbourhood_crime(table: CbsTable) -> pd.DataFrame:
    """Registered offences per wijk or buurt from the cache's ``wijkbuurt_jaar`` (47018NED) or
    ``wijkbuurt_maand`` (47022NED).

    Parameters
    ----------
    table : CbsTable
        The table as read from the cache (its folder's name is its registry key).

    Returns
    -------
    pandas.DataFrame
        The yearly table's columns (``offence_code, offence_label, area_code, area_kind,
        area_name, gemeente_code, year, registered_offences, provisional``) or the monthly table's
        (``area_code, area_kind, gemeente_code, year, month, offence_code, registered_offences,
        provisional``), validated; withheld cells ``NaN``.

    Raises
    ------
    DataValidationError
        Naming ``TypedDataSet.json``, the column and the row.
    """
    spec = TABLES[table.table_id]
    monthly = spec.period == "MM"
    topic = table.topics(spec)["registered"]
    offences = table.other_dimension_keys()
    if len(offences) != 1:
        raise DataValidationError(
            table.file("DataProperties.json"),
            "Type",
            None,
            f"expected one offence dimension besides region and period, found {offences}",
        )
    periods = period_rows(table, "month" if monthly else "year")
    data = table.data.loc[periods.index]
    rows = data.index.to_numpy() + 1
    areas = _areas_of(table, data)
    codes = clean.strip_keys(data[offences[0]].astype(str))
    labels = dimension_labels(table, offences[0])
    labels.index = clean.strip_keys(pd.Series(labels.index.astype(str))).to_numpy()
    frame = pd.DataFrame(
        {
            "offence_code": codes.to_numpy(),
            "offence_label": codes.map(labels.astype(str).str.strip()).to_numpy(),
            **{column: areas[column].to_numpy() for column in areas.columns},
            "year": periods["year"].to_numpy(),
            "month": periods["period_number"].to_numpy(),
            "registered_offences": data[topic].to_numpy(),
            "provisional": periods["provisional"].to_numpy(),
        }
    )
    if monthly:
        kind = "neighbourhood_monthly"
        frame = frame[[column.name for column in clean.SCHEMAS[kind].columns]]
    else:
        kind = "neighbourhood_crime"
        frame = frame.drop(columns="month")
    validated = clean.validate_frame(kind, frame, table.file("TypedDataSet.json"), row_numbers=rows)
    return check_against_codes(validated, table.file("TypedDataSet.json"))


def read_neighbourhood_population(table: CbsTable) -> pd.DataFrame:
    """Inhabitants per wijk and buurt from the cache's ``kerncijfers_wijkbuurt``.

    Parameters
    ----------
    table : CbsTable
        The table as read from the cache.

    Returns
    -------
    pandas.DataFrame
        ``area_code, area_kind, gemeente_code, year, population``: the edition's year (its
        ``fetch.json`` ``edition``, else its GeoDimension's ``MapYear``; the table has no period),
        withheld cells ``NaN``.

    Raises
    ------
    DataValidationError
        When the edition is unknown or a value is bad (file, column, row).
    """
    edition = table.fetch_record.get("edition")
    if not isinstance(edition, int):  # before fetch.json is written: the polygons' year
        geo = table.properties.loc[table.properties["Type"] == "GeoDimension"]
        year = pd.to_numeric(geo.get("MapYear", pd.Series(dtype=str)), errors="coerce")
        if len(year) != 1 or pd.isna(year.iloc[0]):
            raise DataValidationError(
                table.file("fetch.json"),
                "edition",
                None,
                "the edition's year is recorded neither here nor as the GeoDimension's MapYear",
            )
        edition = int(year.iloc[0])
    topic = table.topics(TABLES[table.table_id])["population"]
    areas = _areas_of(table, table.data)
    frame = pd.DataFrame(
        {
            "area_code": areas["area_code"],
            "year": edition,
            "population": table.data[topic].to_numpy(),
        }
    )
    validated = clean.validate_frame(
        "neighbourhood_population", frame, table.file("TypedDataSet.json")
    )
    return check_against_codes(validated, table.file("TypedDataSet.json"))


def load_cbs_neighbourhoods(cache) -> Neighbourhoods:
    """The wijk and buurt data of the CBS cache.

    Parameters
    ----------
    cache : str or pathlib.Path
        The CBS cache (``data/raw``).

    Returns
    -------
    Neighbourhoods
        ``boundaries`` the polygons of ``<cache>/wijkbuurt_grenzen/neighbourhoods.geojson``, or
        ``None`` when the cache has none (a report then renders without its map). The population
        of each year is that of its "Kerncijfers wijken en buurten <year>" edition, else of the
        nearest edition (``population_editions`` says which).

    Raises
    ------
    SourceNotAvailableError
        When the cache lacks one of the three tables (naming the ``rvs fetch`` call).
    DataValidationError
        For bad input (file, column, row).
    """
    cache = Path(cache)
    missing = [key for key in NEIGHBOURHOOD_TABLES if not (cache / key).is_dir()]
    if missing:
        raise SourceNotAvailableError(
            f"The CBS cache {cache} holds no wijk and buurt figures ({', '.join(missing)} "
            f"missing). Download them with 'rvs fetch --cache {cache} --tables "
            f"{' '.join(NEIGHBOURHOOD_TABLES)}' (needs network)."
        )
    yearly = read_neighbourhood_crime(read_table(cache / "wijkbuurt_jaar"))
    monthly = read_neighbourhood_crime(read_table(cache / "wijkbuurt_maand"))
    files = [f"{key}/TypedDataSet.json" for key in NEIGHBOURHOOD_TABLES]
    population, editions = _population_by_year(cache, sorted(set(yearly["year"])), files)
    boundary_path = cache / BOUNDARIES_TABLE / BOUNDARIES_FILE
    boundaries = None
    if boundary_path.exists():
        shown = f"{BOUNDARIES_TABLE}/{BOUNDARIES_FILE}"
        boundaries = read_boundaries(boundary_path, shown)
        files.append(shown)
    return assemble_neighbourhoods(yearly, monthly, population, boundaries, files, editions)


def _population_by_year(cache: Path, years: list[int], files: list[str]):
    """The inhabitants of every edition in the cache (``kerncijfers_wijkbuurt`` and its
    ``editions/<year>/``), and for each of ``years`` without an edition the rows of the nearest
    one (the earlier on a tie), relabelled with the year; returns the frame and
    ``{year: edition}``."""
    key = "kerncijfers_wijkbuurt"
    frames = [read_neighbourhood_population(read_table(cache / key))]
    for folder in sorted((cache / key / "editions").glob("*")):
        if folder.is_dir():
            frames.append(read_neighbourhood_population(read_table(folder, key)))
            files.append(f"{key}/editions/{folder.name}/TypedDataSet.json")
    population = pd.concat(frames, ignore_index=True).drop_duplicates(["area_code", "year"])
    editions = nearest_editions(population["year"].unique(), years)
    filled = [
        population[population["year"] == edition].assign(year=year)
        for year, edition in editions.items()
        if year != edition
    ]
    population = pd.concat([population, *filled], ignore_index=True)
    return population.sort_values(["year", "area_code"]).reset_index(drop=True), editions
