"""Validation scenarios of the target status: how often 'op koers' before the target year came
true (used by :mod:`rvs_analysis.stats.validation`).

Each scenario is a function ``(n_sims, seed) -> numpy.ndarray`` of 0/1 outcomes, NaN for a run
outside the measured set (a calibration counts only the runs given the word).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rvs_analysis.stats import targets

__all__: list[str] = []
"""No public names: the scenario functions are run through
:data:`rvs_analysis.stats.validation.SCENARIOS`."""


def _target_calibration(n_sims, seed, true_logit):
    """Of the runs whose burglary-clearance status before the target year is 'on course' (op
    koers, the most favourable forecast word), 1 when the clearance measured in the target year
    met the target, 0 when not; NaN for runs given another word (the proportion is taken over
    the runs so labelled). 2011-2016 observed (a 2016 monitor), target year 2018, 900 registered
    offences a year, independent year noise sd 0.05 on the logit around the run's true logit
    path ``true_logit(rng, years, target_logit)``. The truth varies between runs: with a level
    fixed at the target the outcome is a coin flip whatever the data say, and no rule's
    'op koers' could mean more than 50%."""
    rng = np.random.default_rng(seed)
    years = np.arange(2011, 2019)
    observed = years < 2017
    registered = np.full(years.size, 900)
    table = targets.load_targets()
    target = targets.target_for("burglary_clearance", 2018, table)
    target_logit = math.log(target.value / (100 - target.value))
    hits = np.full(n_sims, np.nan)
    for i in range(n_sims):
        logit = true_logit(rng, years, target_logit) + rng.normal(0, 0.05, years.size)
        cleared = rng.binomial(registered, 1 / (1 + np.exp(-logit)))
        frame = pd.DataFrame(
            {
                "year": years[observed],
                "cleared_offences": cleared[observed],
                "registered_offences": registered[observed],
            }
        )
        status = targets.target_status("burglary_clearance", frame, 2018, table, n_sim=2000, seed=i)
        if status.status == "on course":
            hits[i] = target.is_met(100.0 * cleared[-1] / registered[-1])
    return hits


def _flat_near_target(rng, years, target_logit):
    return np.full(years.size, target_logit + rng.uniform(-0.3, 0.3))


def _rising_through_target(rng, years, target_logit):
    slope, crossing = rng.uniform(0.04, 0.10), rng.uniform(2014.0, 2020.0)
    return target_logit + slope * (years - crossing)


def sim_target_calibration_flat(n_sims, seed):
    """Clearance flat at a level around its target (logit offset uniform -0.3 to 0.3, 8.8% to
    14.9% for the 11.5% target)."""
    return _target_calibration(n_sims, seed, _flat_near_target)


def sim_target_calibration_rising(n_sims, seed):
    """Clearance rising on the logit (0.04-0.10 a year, 0.4-1 point a year near 11.5%),
    crossing the target between 2014 and 2020: the model the forecast fits, well specified."""
    return _target_calibration(n_sims, seed, _rising_through_target)
