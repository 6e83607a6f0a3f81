"""The methods text's line on simulation sizes and the Monte Carlo error they leave.

Every probability, prediction interval and bootstrap p-value in a report comes from a finite
number of simulations; the methods text names that number and the error it leaves
(:func:`rvs_analysis.stats.common.monte_carlo_error`), so a reader knows that a "kans 0,71" is
0,71 give or take 0,01.
"""

from __future__ import annotations

from rvs_analysis.report.wording import fmt_num
from rvs_analysis.stats.common import monte_carlo_error

__all__ = ["simulation_sentence"]


def _points(error: float) -> str:
    return f"{fmt_num(100 * error, 1)} procentpunt"


def simulation_sentence(draws: int | None = None, bootstrap: int | None = None) -> str:
    """One Dutch sentence naming the simulation sizes a report used and their Monte Carlo error.

    Parameters
    ----------
    draws : int, optional
        Draws behind the probabilities and prediction intervals (forecasts, target statuses).
    bootstrap : int, optional
        Replicates behind bootstrap p-values and intervals.

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
            f"kansen en prognose-intervallen uit {fmt_num(draws, 0)} trekkingen (Monte-Carlofout "
            f"van een kans hoogstens {_points(monte_carlo_error(draws))})"
        )
    if bootstrap:
        parts.append(
            f"bootstrap-p-waarden uit {fmt_num(bootstrap, 0)} herhalingen (Monte-Carlofout rond "
            f"p = 0,05: {_points(monte_carlo_error(bootstrap, 0.05))})"
        )
    if not parts:
        return ""
    return "Simulatiegrootte: " + "; ".join(parts) + "."
