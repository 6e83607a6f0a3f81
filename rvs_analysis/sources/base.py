"""The one shape every source delivers: a :class:`Dataset` of cleaned, validated tidy frames.

Sources (``demo``, ``cbs``, a tidy folder) differ in where the numbers come from; after loading
and validation they all look like this, so regions, statistics and notebooks never care which
source they read.

Frames and their columns (all required columns present, validated by ``rvs_analysis.clean``):

``crime``
    ``gemeente_code`` (str, ``GM0344``), ``year`` (int), ``offence_code`` (str, CBS SoortMisdrijf
    key such as ``1.1.1``), ``registered_offences`` (int >= 0), ``provisional`` (bool).
    Counts are on the municipal boundaries of ``crime_boundary_year`` (CBS recodes 47018NED to its
    newest boundaries for every year), or on each year's own boundaries when that is ``None``.
``population``
    ``gemeente_code``, ``year``, ``population`` (int >= 0), on the boundaries of
    ``population_boundary_year`` (``None``: each year's own boundaries, as CBS 70072ned).
``offences``
    ``offence_code``, ``offence_label`` (Dutch label as the source gives it).
``cleared`` (optional)
    ``gemeente_code``, ``year``, ``offence_code``, ``registered_offences``, ``cleared_offences``,
    plus optional covariate columns a region supplies (``attempted_offences``, ...).
``monthly`` (optional)
    ``gemeente_code``, ``year``, ``month`` (1-12), ``offence_code``, ``registered_offences``.
``survey`` (optional, microdata like the Veiligheidsmonitor)
    ``gemeente_code``, ``year`` (survey wave), ``respondent_id``, ``weight`` (> 0),
    ``feels_unsafe`` (0/1), ``youth_nuisance`` (0/1).
``survey_estimates`` (optional, published estimates with margins, e.g. CBS 85146NED)
    ``area_code``, ``year``, ``indicator``, ``estimate`` (percent), ``margin`` (95% half-width).
``indicators`` (optional, region-supplied yearly figures without a municipal breakdown)
    ``area`` (name as in the source document), ``year``, ``indicator``, ``value``.
``boundaries`` (optional)
    GeoJSON FeatureCollection dict with ``statcode`` and ``statnaam`` properties.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Dataset:
    """Cleaned, validated frames of one source plus where they came from."""

    source: str
    crime: pd.DataFrame
    population: pd.DataFrame
    offences: pd.DataFrame
    crime_boundary_year: int | None = None
    population_boundary_year: int | None = None
    cleared: pd.DataFrame | None = None
    monthly: pd.DataFrame | None = None
    survey: pd.DataFrame | None = None
    survey_estimates: pd.DataFrame | None = None
    indicators: pd.DataFrame | None = None
    boundaries: dict | None = None
    is_demo: bool = False
    provenance: dict[str, Any] = field(default_factory=dict)
    """``{"source": ..., "version": <content hash of the input files>, "files": [...],
    "retrieved": ..., "tables": {...}}``: what every report footer and summary repeats."""
    neighbourhoods: bool = False
    """Whether the source also holds the wijk and buurt tables (read with
    :func:`rvs_analysis.sources.load_neighbourhood_source`, not into this dataset)."""

    @property
    def years(self) -> list[int]:
        """Years with registered crime counts, ascending."""
        return sorted(int(y) for y in self.crime["year"].unique())


def table_ids(provenance) -> list[str]:
    """The CBS table identifiers a dataset's provenance names, sorted.

    ``provenance["tables"]`` maps a file to its table (a tidy folder: ``{"registered_crime_47018NED...csv":
    "47018NED"}``) or a table to what was fetched (the ``cbs`` source: ``{"47018NED": {"catalog": ...,
    "purpose": ...}}``); both give the table identifiers here.

    Parameters
    ----------
    provenance : dict
        A :class:`Dataset`'s ``provenance``.

    Returns
    -------
    list of str
        The identifiers, sorted; empty when the provenance names no table.
    """
    tables = (provenance or {}).get("tables") or {}
    return sorted({key if isinstance(value, dict) else str(value) for key, value in tables.items()})


def source_label(dataset, uses=None) -> str:
    """Dutch name of a dataset's source for figure source lines and the methods block.

    Parameters
    ----------
    dataset : Dataset
    uses : iterable of str, optional
        The tables a figure reads, as registry keys (``47018NED``, ``70072ned``, ``gebieden``);
        only those the dataset holds are named (a key is mapped to the identifier it was fetched
        under through ``provenance["roles"]``). Default, or when the dataset holds none of them
        (the region's own files): every table of the dataset.

    Returns
    -------
    str
        ``"CBS StatLine 47018NED, 70072ned"``, the demo notice, or ``"Bron: <source>"``.
    """
    if dataset.is_demo:
        return "Demonstratiedata rvs-analysis (gesimuleerd)"
    tables = table_ids(dataset.provenance)
    if uses is not None:
        roles = (dataset.provenance or {}).get("roles") or {}
        wanted = {roles.get(key, key) for key in uses}
        tables = [table for table in tables if table in wanted] or tables
    if tables:
        return "CBS StatLine " + ", ".join(tables)
    return f"Bron: {dataset.source}"
