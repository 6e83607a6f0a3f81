"""The masterclass: answer checks for participants and the participant and trainer versions.

Participants check an answer with ``teach.check("inbraak_gooi_2016", my_answer)``
(:mod:`~rvs_analysis.teach.checker`); ``rvs masterclass --out DIR`` builds the versions
(:mod:`~rvs_analysis.teach.masterclass`).
"""

from __future__ import annotations

from rvs_analysis.teach.checker import (
    EXERCISES,
    VERDICTS,
    CheckResult,
    Exercise,
    check,
    is_placeholder,
    register,
    truth_of,
)

__all__ = [
    "EXERCISES",
    "VERDICTS",
    "CheckResult",
    "Exercise",
    "check",
    "is_placeholder",
    "register",
    "truth_of",
]
