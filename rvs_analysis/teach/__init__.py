"""The masterclass: answer checks for participants, and the participant and trainer packages.

Participants check an answer with ``teach.check("inbraak_gooi_2016", my_answer)``
(:mod:`~rvs_analysis.teach.checker`); ``rvs masterclass --out DIR`` builds the packages
(:mod:`~rvs_analysis.teach.masterclass`). No public name here returns an exercise's answer: the
checker computes its reference privately at check time.
"""

from __future__ import annotations

from rvs_analysis.teach import exercises  # noqa: F401 - registers the masterclasses' exercises
from rvs_analysis.teach.checker import (
    VERDICTS,
    CheckResult,
    check,
    exercise_names,
    is_placeholder,
    question,
)

__all__ = [
    "VERDICTS",
    "CheckResult",
    "check",
    "exercise_names",
    "is_placeholder",
    "question",
]
