"""Data sources: ``demo`` (embedded, with known truths), ``cbs`` (CBS open data, fetched into a
cache and read offline) and a folder in the tidy CSV layout. See :mod:`rvs_analysis.sources.base`.
"""

from rvs_analysis.sources.base import Dataset

__all__ = ["Dataset"]
