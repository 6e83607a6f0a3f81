"""The batch renderer behind ``rvs render``: every report for every area, on warm kernels.

Modules
    :mod:`~rvs_analysis.render.batch` (:func:`render_batch`: plan, decide what is unchanged, run,
    write, swap), :mod:`~rvs_analysis.render.executors` (local worker processes, dask),
    :mod:`~rvs_analysis.render.kernels` (warm kernels reset between reports),
    :mod:`~rvs_analysis.render.html` (self-contained HTML pages and the index; templates in
    ``templates/``).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

# jsonschema (imported by nbformat) loads the optional ``rfc3987_syntax`` package when it is
# installed (JupyterLab's jupyter-events asks for it), and that package builds a lark grammar at
# import: 2-2.5 s in the batch process and in every worker, for a checker of the "iri" string
# format that no notebook schema uses. The renderer's processes go without it (jsonschema then
# leaves "iri" strings unchecked); a module already imported is left alone.
sys.modules.setdefault("rfc3987_syntax", None)

_EXPORTS = {
    "BatchResult": "batch",
    "RenderError": "batch",
    "discover_notebooks": "batch",
    "render_batch": "batch",
    "select_notebooks": "batch",
}
"""Public name -> the module of this package that defines it. Names are imported when first used
(PEP 562), so that a kernel importing :mod:`rvs_analysis.render.kernel_side` or a worker importing
:mod:`rvs_analysis.render.executors` does not import the batch and, with it, the data stack."""


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = ["BatchResult", "RenderError", "discover_notebooks", "render_batch", "select_notebooks"]
