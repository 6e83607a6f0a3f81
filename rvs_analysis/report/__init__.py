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
"""

from __future__ import annotations

from rvs_analysis.report import figures  # noqa: E402  (after the helpers it uses)
from rvs_analysis.report.area_data import (
    area_counts,
    area_crime,
    area_population,
    clearance_frame,
    in_report_years,
    monthly_counts,
    municipal_crime,
    municipal_population,
    survey_frame,
    values_by_code,
)
from rvs_analysis.report.context import (
    INPUTS,
    ReportContext,
    ReportParameterError,
    banner,
    intro,
    methods_block,
    require,
    source_label,
    start,
)
from rvs_analysis.report.summary import (
    Summary,
)
from rvs_analysis.report.tables import (
    INDICATOR_SOURCES,
    area_targets,
    change_point_table,
    district_comparison,
    format_results,
    funnel_grid,
    indicator_observations,
    results_table,
    table,
    targets_by_year,
)
from rvs_analysis.report.wording import (
    LEVEL_NL,
    MINUS,
    MONTHS_NL,
    change_phrase,
    difference_phrase,
    display_object,
    escape,
    estimate_parts,
    fmt_ci,
    fmt_int,
    fmt_month,
    fmt_num,
    fmt_pct,
    fmt_probability,
    fmt_value,
    interval_excludes,
    interval_level,
    is_missing,
    md,
    names_phrase,
    ratio_phrase,
    ratio_value_phrase,
    show,
    significance_label,
)

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
