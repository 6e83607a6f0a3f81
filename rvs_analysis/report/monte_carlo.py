"""The methods text's line on simulation sizes and the Monte Carlo error they leave.

Every probability, prediction interval and bootstrap p-value in a report comes from a finite
number of simulations; the methods text names that number and the error it leaves
(:func:`rvs_analysis.stats.common.monte_carlo_error`), so a reader knows that a "kans 0,71" is
0,71 give or take 0,01.
"""

from __future__ import annotations

from collections.abc import Sequence

from rvs_analysis.report.wording import fmt_num
from rvs_analysis.stats.common import monte_carlo_error

__all__ = [
    "BREAK_TEST_REPLICATES",
    "CLEARANCE_STATUS_DRAWS",
    "DID_REPLICATES",
    "EVENT_STUDY_REPLICATES",
    "FORECAST_BAND_DRAWS",
    "SEASONAL_DRAWS",
    "STATUS_DRAWS",
    "simulation_sentence",
]

# The simulation sizes the reports use, chosen by the Monte Carlo error they leave
# (:func:`rvs_analysis.stats.common.monte_carlo_error`): a probability of meeting a target to
# within 1 percentage point (at worst, p = 0.5), a bootstrap p-value near 0.05 to within 1 point.
# The chapters pass them to the statistics and the methods text states them from here.

STATUS_DRAWS = 5000
"""Forecast draws behind each target status of the monitor's table (error at most 0.7 point)."""

CLEARANCE_STATUS_DRAWS = 20000
"""Forecast draws behind the clearance report's one status (0.4 point; one fit per report)."""

FORECAST_BAND_DRAWS = 4000
"""Draws behind each year of the 80% and 95% forecast bands of the monitor's charts."""

DID_REPLICATES = 999
"""Wild cluster bootstrap replicates of the pilots' difference-in-differences interval."""

EVENT_STUDY_REPLICATES = 1999
"""Wild cluster bootstrap replicates of the event study's pre-trend test (0.5 point at 0.05)."""

BREAK_TEST_REPLICATES = 499
"""Bootstrap replicates of the monthly break test (1.0 point at p = 0.05)."""

SEASONAL_DRAWS = 4000
"""Draws behind the intervals of the seasonal peak and the dark-months ratio."""


def _points(error: float) -> str:
    return f"{fmt_num(100 * error, 1)} procentpunt"


def simulation_sentence(
    draws: int | None = None,
    bootstrap: int | None = None,
    draws_for: str = "kansen en prognose-intervallen",
    bootstrap_for: str = "bootstrap-p-waarden",
    more_bootstraps: Sequence[tuple[int, str]] = (),
) -> str:
    """One Dutch sentence naming the simulation sizes a report used and their Monte Carlo error.

    Parameters
    ----------
    draws : int, optional
        Draws behind the probabilities and prediction intervals (forecasts, target statuses).
    bootstrap : int, optional
        Replicates behind bootstrap p-values and intervals.
    draws_for, bootstrap_for : str, optional
        What the draws and the replicates give, in Dutch (plural, lower case).
    more_bootstraps : sequence of (int, str), optional
        Further bootstraps of the same report as ``(replicates, what they give)``, in the same
        sentence.

    Returns
    -------
    str
        For example "Simulatiegrootte: kansen en prognose-intervallen uit 5.000 trekkingen
        (Monte-Carlofout van een kans hoogstens 0,7 procentpunt); bootstrap-p-waarden uit 999
        herhalingen (Monte-Carlofout rond p = 0,05: 0,7 procentpunt)." ("" when neither is given.)

    Notes
    -----
    The error of a probability is largest at 0.5 (:func:`monte_carlo_error`); that of a
    bootstrap p-value is stated at 0.05, where a test's decision is made.
    """
    parts = []
    if draws:
        parts.append(
            f"{draws_for} uit {fmt_num(draws, 0)} trekkingen (Monte-Carlofout "
            f"van een kans hoogstens {_points(monte_carlo_error(draws))})"
        )
    for replicates, what in ([(bootstrap, bootstrap_for)] if bootstrap else []) + list(
        more_bootstraps
    ):
        parts.append(
            f"{what} uit {fmt_num(replicates, 0)} herhalingen (Monte-Carlofout rond "
            f"p = 0,05: {_points(monte_carlo_error(replicates, 0.05))})"
        )
    if not parts:
        return ""
    return "Simulatiegrootte: " + "; ".join(parts) + "."
