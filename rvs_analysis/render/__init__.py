"""The batch renderer behind ``rvs render``: every report for every area, on warm kernels.

Modules
    :mod:`~rvs_analysis.render.batch` (:func:`render_batch`: plan, decide what is unchanged, run,
    write, swap), :mod:`~rvs_analysis.render.executors` (local worker processes, dask),
    :mod:`~rvs_analysis.render.kernels` (warm kernels reset between reports),
    :mod:`~rvs_analysis.render.html` (self-contained HTML pages and the index; templates in
    ``templates/``).
"""

from __future__ import annotations

from rvs_analysis.render.batch import (
    BatchResult,
    RenderError,
    discover_notebooks,
    render_batch,
    select_notebooks,
)

__all__ = ["BatchResult", "RenderError", "discover_notebooks", "render_batch", "select_notebooks"]
