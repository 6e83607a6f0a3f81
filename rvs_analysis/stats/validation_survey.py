"""Validation scenarios of the survey: weighted proportion, difference-in-differences and
pre-trend test (used by :mod:`rvs_analysis.stats.validation`).

Each scenario is a function ``(n_sims, seed) -> numpy.ndarray`` of 0/1 outcomes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rvs_analysis.stats import perception

__all__: list[str] = []
"""No public names: the scenario functions are run through
:data:`rvs_analysis.stats.validation.SCENARIOS`."""


def sim_weighted_proportion(n_sims, seed):
    rng = np.random.default_rng(seed)
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        n = int(rng.integers(100, 600))
        weights = rng.lognormal(0, 0.5, n)
        y = rng.binomial(1, 0.2, n)
        estimate = perception.weighted_proportion(y, weights)
        hits[i] = estimate.ci_low <= 20.0 <= estimate.ci_high
    return hits


def _survey(rng, effect_pp=-2.0, waves=(2011, 2013, 2015, 2017, 2019, 2021, 2023)):
    """Demo-like design: 39 municipalities, 10 pilots of which one (Utrecht) carries about a
    third of the pilots' weight, population weights, municipality x wave shocks."""
    n_areas, n_pilots = 39, 10
    population = np.exp(rng.normal(10.3, 0.6, n_areas))
    rest = population[1:n_pilots]
    population[1:n_pilots] = rest / rest.sum() * (2 * 350_000.0)
    population[0] = 350_000.0
    base = rng.normal(0.18, 0.03, n_areas)
    waves = np.asarray(waves)
    shock = rng.normal(0, 0.012, (n_areas, waves.size))
    n_resp = rng.integers(60, 160, (n_areas, waves.size))
    treated = np.arange(n_areas) < n_pilots
    p = (
        base[:, None]
        + shock
        + np.where(treated[:, None] & (waves > 2017)[None, :], effect_pp / 100, 0.0)
    )
    p = np.clip(p, 0.01, 0.99)
    counts = n_resp.ravel()
    area = np.repeat(np.repeat(np.arange(n_areas), waves.size), counts)
    wave = np.repeat(np.tile(waves, n_areas), counts)
    y = rng.random(area.size) < np.repeat(p.ravel(), counts)
    w = np.repeat((population[:, None] / n_resp).ravel(), counts) * rng.lognormal(0, 0.3, area.size)
    codes = np.array([f"GM{m:04d}" for m in range(n_areas)])
    survey = pd.DataFrame(
        {"gemeente_code": codes[area], "year": wave, "weight": w, "feels_unsafe": y.astype(int)}
    )
    return survey, list(codes[:n_pilots])


def sim_did(n_sims, seed):
    """Coverage of the WCR interval (column 0) and of CR1 t(G-1) (column 1), same data sets."""
    rng = np.random.default_rng(seed)
    hits = np.zeros((n_sims, 2))
    for i in range(n_sims):
        survey, pilots = _survey(rng)
        for j, interval in enumerate(("wild bootstrap", "cr1")):
            result = perception.difference_in_differences(
                survey, "feels_unsafe", pilots, 2017, interval=interval, n_boot=399, seed=i
            )
            hits[i, j] = result.effect.ci_low <= -2.0 <= result.effect.ci_high
    return hits


def sim_did_cr1(n_sims, seed):
    """Companion of the ``did`` scenario (filled from its second column)."""
    return sim_did(n_sims, seed)[:, 1]


def sim_pre_trend(n_sims, seed):
    rng = np.random.default_rng(seed)
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        survey, pilots = _survey(rng, effect_pp=0.0)
        study = perception.event_study(survey, "feels_unsafe", pilots, 2017, n_boot=199, seed=i)
        hits[i] = study.pre_trend_p_value < 0.05
    return hits
