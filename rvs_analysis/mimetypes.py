"""Output mimetypes a report notebook emits and the renderer reads.

They live here, below both stages, so that the renderer's worker processes can read a report's
outputs without importing the report package (and with it matplotlib, seaborn and scipy).
"""

from __future__ import annotations

TABLE_MIMETYPE = "application/vnd.rvs-analysis.table+json"
"""Output mimetype that carries a shown table's headings and cells (the texts the reader sees);
the renderer turns it into the report's CSV and Excel downloads."""

__all__ = ["TABLE_MIMETYPE"]
