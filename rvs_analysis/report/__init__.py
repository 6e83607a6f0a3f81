"""Report helpers: what every report notebook shares, so that the notebooks stay thin.

A report notebook calls :func:`start` once, shows :func:`banner` and :func:`intro`, words its computed
numbers with the Dutch helpers of :mod:`~rvs_analysis.report.wording`, shows tables with :func:`table`,
ends with :func:`methods_block` and writes its summary with ``ctx.summary.write(summary_path)``.
Figures (the house style, charts and maps) are :mod:`rvs_analysis.report.figures`.

Modules
    :mod:`~rvs_analysis.report.context` (start, ReportContext, banner, methods),
    :mod:`~rvs_analysis.report.wording` (Dutch numbers and phrases),
    :mod:`~rvs_analysis.report.area_data` (harmonised counts and populations per area),
    :mod:`~rvs_analysis.report.tables` (results table, display tables),
    :mod:`~rvs_analysis.report.summary` (Summary), :mod:`~rvs_analysis.report.figures`.

The names below are the public interface the report notebooks use.

Names are imported when first used (PEP 562): importing one light module such as
:mod:`~rvs_analysis.report.wording` (the index page's key message, in the batch's main process)
does not pull in matplotlib, seaborn and statsmodels with the figures and tables.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "INDICATOR_SOURCES": "tables",
    "INPUTS": "context",
    "LEVEL_NL": "wording",
    "MINUS": "wording",
    "MONTHS_NL": "wording",
    "ReportContext": "context",
    "ReportParameterError": "context",
    "Summary": "summary",
    "area_counts": "area_data",
    "area_crime": "area_data",
    "area_population": "area_data",
    "area_targets": "tables",
    "banner": "context",
    "change_phrase": "wording",
    "change_point_table": "tables",
    "clearance_frame": "area_data",
    "difference_phrase": "wording",
    "display_object": "wording",
    "district_comparison": "tables",
    "escape": "wording",
    "estimate_parts": "wording",
    "fmt_ci": "wording",
    "fmt_int": "wording",
    "fmt_month": "wording",
    "fmt_num": "wording",
    "fmt_pct": "wording",
    "fmt_probability": "wording",
    "fmt_value": "wording",
    "format_results": "tables",
    "funnel_grid": "tables",
    "in_report_years": "area_data",
    "indicator_observations": "tables",
    "interval_excludes": "wording",
    "interval_level": "wording",
    "intro": "context",
    "is_missing": "wording",
    "md": "wording",
    "methods_block": "context",
    "monthly_counts": "area_data",
    "municipal_crime": "area_data",
    "municipal_population": "area_data",
    "names_phrase": "wording",
    "ratio_phrase": "wording",
    "ratio_value_phrase": "wording",
    "require": "context",
    "results_table": "tables",
    "show": "wording",
    "significance_label": "wording",
    "source_label": "context",
    "start": "context",
    "survey_frame": "area_data",
    "table": "tables",
    "targets_by_year": "tables",
    "values_by_code": "area_data",
}
"""Public name -> the module of this package that defines it."""


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        # a module of the package (report.figures, report.tables, ...), as the eager package
        # made every one it imported an attribute
        try:
            loaded = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        globals()[name] = loaded
        return loaded
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "INDICATOR_SOURCES",
    "INPUTS",
    "LEVEL_NL",
    "MINUS",
    "MONTHS_NL",
    "ReportContext",
    "ReportParameterError",
    "Summary",
    "area_counts",
    "area_crime",
    "area_population",
    "area_targets",
    "banner",
    "change_phrase",
    "change_point_table",
    "clearance_frame",
    "difference_phrase",
    "display_object",
    "district_comparison",
    "escape",
    "estimate_parts",
    "figures",
    "fmt_ci",
    "fmt_int",
    "fmt_month",
    "fmt_num",
    "fmt_pct",
    "fmt_probability",
    "fmt_value",
    "format_results",
    "funnel_grid",
    "in_report_years",
    "indicator_observations",
    "interval_excludes",
    "interval_level",
    "intro",
    "is_missing",
    "md",
    "methods_block",
    "monthly_counts",
    "municipal_crime",
    "municipal_population",
    "names_phrase",
    "ratio_phrase",
    "ratio_value_phrase",
    "require",
    "results_table",
    "show",
    "significance_label",
    "source_label",
    "start",
    "survey_frame",
    "table",
    "targets_by_year",
    "values_by_code",
]
