"""rvs-analysis: the analysis library of the Regionale Veiligheidsstrategie Midden-Nederland.

One module per concept: ``regions`` (municipality -> district -> region, mergers), ``sources``
(demo, CBS open data, a tidy folder), ``clean`` (validation), ``trends``, ``clearance``,
``crime_change``, ``perception`` (statistics), ``figures`` and ``render`` (reports).
"""

__version__ = "0.1.0"
