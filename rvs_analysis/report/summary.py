"""The machine-readable summary of a report (key estimates with 95% intervals and headlines).

A report collects its estimates in ``ctx.summary`` (:class:`Summary`) and writes them with one call,
``ctx.summary.write(summary_path)``; the renderer reads the JSON for the index.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from rvs_analysis.report.wording import estimate_parts, is_missing

__all__ = [
    "Summary",
]


def _json_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_value(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if is_missing(value):
        return None
    if isinstance(value, int | str):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return _json_value(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return str(value)


@dataclass
class Summary:
    """Key figures of one report for machines: the renderer's index and the tests read them.

    Written as ``{"area", "source", "notebook", "parameters", "provenance", "estimates",
    "headline", "headline_sections"}``; ``estimates`` maps names to ``{"estimate": x, "ci_low": a,
    "ci_high": b}``; ``headline_sections`` maps a headline label to the heading of the section it
    comes from (the index links it there).
    Names of estimates that recover a planted demo effect use the effect's name from
    ``rvs_analysis.sources.demo.truth()``.
    """

    area: str
    source: str
    notebook: str
    parameters: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    estimates: dict = field(default_factory=dict)
    headline: dict = field(default_factory=dict)
    headline_sections: dict = field(default_factory=dict)

    def add(self, name: str, estimate: Any, **extra: Any) -> Summary:
        """Record an estimate with its interval.

        Parameters
        ----------
        name : str
        estimate : Estimate, Forecast, mapping or (estimate, ci_low, ci_high)
            Anything with ``estimate/ci_low/ci_high`` (or a ``to_dict()`` giving them).
        **extra
            Further plain values stored beside the interval (``significant``, ``method``...).

        Returns
        -------
        Summary
            ``self``, so calls can be chained.
        """
        if hasattr(estimate, "to_dict") and not isinstance(estimate, Mapping):
            values = estimate.to_dict()
            value, low, high = estimate_parts(values)
        else:
            value, low, high = estimate_parts(estimate)
        record = {"estimate": value, "ci_low": low, "ci_high": high}
        if hasattr(estimate, "significant") and "significant" not in extra:
            record["significant"] = bool(estimate.significant)
        record.update(extra)
        self.estimates[name] = _json_value(record)
        return self

    def set_headline(self, name: str, value: Any, section: str | None = None) -> Summary:
        """Record a headline figure (a plain value shown on the renderer's index page).

        Parameters
        ----------
        name : str
            The figure's Dutch label.
        value : Any
            A plain value (a count, a formatted percentage).
        section : str, optional
            The heading of the report's section the figure comes from, as the notebook writes
            it (``"Signalen van de laatste maanden"``): the index links the figure to that
            section of the report.

        Returns
        -------
        Summary
            ``self``, so calls can be chained.
        """
        self.headline[name] = _json_value(value)
        if section is not None:
            self.headline_sections[name] = str(section)
        return self

    def to_dict(self) -> dict:
        """The summary as plain JSON-able values."""
        return {
            "area": self.area,
            "source": self.source,
            "notebook": self.notebook,
            "parameters": _json_value(self.parameters),
            "provenance": _json_value(self.provenance),
            "estimates": _json_value(self.estimates),
            "headline": _json_value(self.headline),
            "headline_sections": _json_value(self.headline_sections),
        }

    def write(self, path: str | Path = "") -> None:
        """Write the summary as JSON; a no-op when ``path`` is empty (interactive use).

        Parameters
        ----------
        path : str or Path
            Target file (parents are created). The renderer injects it as ``summary_path``.

        Returns
        -------
        None
            Nothing, so that a notebook's last cell shows no output.
        """
        if not path:
            return None
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_text(text + "\n", encoding="utf-8")
        temporary.replace(target)
        return None
