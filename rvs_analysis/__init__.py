"""rvs-analysis: the analysis library of the Regionale Veiligheidsstrategie Midden-Nederland.

One module per concept: ``regions`` (municipality -> district -> region, mergers), ``sources``
(demo, CBS open data, a tidy folder), ``clean`` (validation), ``trends``, ``clearance``,
``crime_change``, ``perception`` (statistics), ``figures`` and ``render`` (reports).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rvs_analysis")
    """The installed distribution's version: ``[project] version`` of pyproject.toml, its one home."""
except PackageNotFoundError:  # a checkout on sys.path without any install
    __version__ = "0+unknown"
