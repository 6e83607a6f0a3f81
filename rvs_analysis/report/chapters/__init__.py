"""The chapters of each report notebook: one module per report, one function per chapter.

A report notebook reads like a report: Markdown prose, and code cells that each call one or two
functions of its chapter module and show the table, figure or sentence they return.

Modules
    :mod:`~rvs_analysis.report.chapters.clearance` (``burglary_clearance_drivers``),
    :mod:`~rvs_analysis.report.chapters.crime_change` (``crime_change``),
    :mod:`~rvs_analysis.report.chapters.proeftuinen` (``onveiligheidsbeleving_proeftuinen``),
    :mod:`~rvs_analysis.report.chapters.monitor` (``strategy_monitor``).

Each report module is a :class:`~rvs_analysis.report.registry.Chapter` (``TABLES``,
``key_message_of``, ``methods``, ``record_summary``) and has its line in
:data:`rvs_analysis.report.registry.REPORTS`.
"""
