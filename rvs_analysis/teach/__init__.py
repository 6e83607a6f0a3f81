"""The masterclass: answer checks for participants, and the participant and trainer packages.

Participants check an answer with ``teach.check("inbraak_gooi_2016", my_answer)``
(:mod:`~rvs_analysis.teach.checker`); ``rvs masterclass --out DIR`` builds the packages
(:mod:`~rvs_analysis.teach.masterclass`). No public name here returns an exercise's answer: the
checker computes its reference privately at check time.
"""

from __future__ import annotations

import importlib
from typing import Any

_CHECKER_NAMES = (
    "VERDICTS",
    "CheckResult",
    "check",
    "exercise_names",
    "is_placeholder",
    "question",
)
"""The checker's public names, imported when first used (PEP 562): ``rvs masterclass`` imports
:mod:`~rvs_analysis.teach.masterclass` without the checker's statistics stack."""


def __getattr__(name: str) -> Any:
    if name not in _CHECKER_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # the exercises register themselves with the checker when first imported
    importlib.import_module(f"{__name__}.exercises")
    value = getattr(importlib.import_module(f"{__name__}.checker"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "VERDICTS",
    "CheckResult",
    "check",
    "exercise_names",
    "is_placeholder",
    "question",
]
