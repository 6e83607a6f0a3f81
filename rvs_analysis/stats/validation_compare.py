"""Validation scenarios of the comparisons between areas (used by :mod:`rvs_analysis.stats.validation`):
an area's trend against a reference (police units against the Netherlands) and the pilots against
the rest on published estimates with margins.

Each scenario is a function ``(n_sims, seed) -> numpy.ndarray`` of 0/1 outcomes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rvs_analysis.stats import compare, published

__all__: list[str] = []
"""No public names: the scenario functions are run through
:data:`rvs_analysis.stats.validation.SCENARIOS`."""

YEARS = np.arange(2011, 2024)
"""The years of a simulated yearly series (as :data:`rvs_analysis.stats.validation.YEARS`)."""


def sim_compare_trends(n_sims, seed):
    """Coverage of the ratio of annual rate ratios (an area against a large reference such as
    the Netherlands, compare_area_trends 'year_effects') when both share the trend: true ratio 1."""

    rng = np.random.default_rng(seed)
    years = YEARS
    t = years - years[0]
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        rows = []
        common = rng.normal(0, 0.03, years.size)  # shocks both areas share (cancel out)
        for area, mean, population in (("gebied", 400, 250_000), ("Nederland", 30_000, 17e6)):
            mu = mean * 0.97**t * np.exp(common + rng.normal(0, 0.04, years.size))
            rows.append(
                pd.DataFrame(
                    {
                        "area": area,
                        "year": years,
                        "registered_offences": rng.poisson(mu),
                        "population": population,
                    }
                )
            )
        comparison = compare.compare_area_trends(pd.concat(rows, ignore_index=True))
        ratio = comparison.ratios["Nederland"]
        hits[i] = ratio.ci_low <= 1.0 <= ratio.ci_high
    return hits


def _police_units(rng, years=YEARS):
    """Ten police units with the same trend (-3% a year), shared shocks sd 0.03 and each its
    own year noise, sd 0.01 to 0.08 on the log scale (the last unit the noisiest), and the
    Netherlands as their sum."""
    t = years - years[0]
    means = np.array([9000, 7000, 6000, 5500, 5000, 4500, 4000, 3500, 3000, 2500], dtype=float)
    noise = np.linspace(0.01, 0.08, means.size)
    population = means * 250.0
    common = rng.normal(0, 0.03, years.size)
    rows, national = [], np.zeros(years.size)
    for unit, (mean, sd, people) in enumerate(zip(means, noise, population, strict=True)):
        mu = mean * 0.97**t * np.exp(common + rng.normal(0, sd, years.size))
        counts = rng.poisson(mu)
        national += counts
        rows.append(
            pd.DataFrame(
                {
                    "area": f"Eenheid {unit + 1}",
                    "year": years,
                    "registered_offences": counts,
                    "population": people,
                }
            )
        )
    rows.insert(
        0,
        pd.DataFrame(
            {
                "area": "Nederland",
                "year": years,
                "registered_offences": national,
                "population": population.sum(),
            }
        ),
    )
    return pd.concat(rows, ignore_index=True)


def sim_police_unit_size(n_sims, seed):
    """Share of runs in which the noisiest of ten police units is 'sign.' against the
    Netherlands (compare_area_trends, year effects) although every unit has the national trend."""

    rng = np.random.default_rng(seed)
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        comparison = compare.compare_area_trends(_police_units(rng), reference="Nederland")
        hits[i] = comparison.ratios["Eenheid 10"].p_value < 0.05
    return hits


def sim_published_comparison(n_sims, seed):
    """Coverage of the pilots-against-the-rest comparison on published estimates with margins
    (published.pilot_comparison) when the municipalities' true changes differ too."""

    rng = np.random.default_rng(seed)
    pilots = [f"GM{i:04d}" for i in range(10)]
    rest = [f"GM{i:04d}" for i in range(10, 39)]
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        level = rng.uniform(15, 35, 39)
        rows = []
        for year, after in ((2015, False), (2017, False), (2019, True)):
            truth = level + rng.normal(0, 1.2, 39) - 2.0 * (after & (np.arange(39) < 10))
            margin = rng.uniform(2, 5, 39)
            estimate = truth + rng.normal(0, margin / 1.959964)
            for code, value, half in zip(pilots + rest, estimate, margin, strict=True):
                rows.append((code, year, "feels_unsafe", value, half))
        frame = pd.DataFrame(rows, columns=["area_code", "year", "indicator", "estimate", "margin"])
        result = published.pilot_comparison(frame, "feels_unsafe", pilots, rest, [2015, 2017], 2019)
        hits[i] = result.difference.ci_low <= -2.0 <= result.difference.ci_high
    return hits


def _published_cbs(rng, waves, effect_from, shock=2.0, effect=-2.0):
    """Published estimates with CBS-style margins: 10 pilots and 29 other municipalities,
    levels 15-35%, effective samples of 100-400 and one big city per group (3,000 among the
    pilots, 2,400 among the rest), the margin computed from each published estimate
    (``1.96 sqrt(p (1 - p) / n)``, one decimal), municipality x wave shocks of sd ``shock``
    points and ``effect`` points for the pilots from wave ``effect_from`` on."""
    codes = [f"GM{i:04d}" for i in range(39)]
    level = rng.uniform(15, 35, 39)
    n_eff = rng.uniform(100, 400, 39)
    n_eff[0], n_eff[10] = 3000.0, 2400.0
    pilot = np.arange(39) < 10
    rows = []
    for year in waves:
        truth = level + rng.normal(0, shock, 39) + effect * (pilot & (year >= effect_from))
        p = truth / 100
        estimate = np.clip(100 * (p + rng.normal(0, np.sqrt(p * (1 - p) / n_eff))), 0.0, 100.0)
        share = np.clip(estimate / 100, 0.005, 0.995)
        margin = np.round(100 * 1.959964 * np.sqrt(share * (1 - share) / n_eff), 1)
        for code, value, half in zip(codes, estimate, margin, strict=True):
            rows.append((code, year, "feels_unsafe", value, half))
    frame = pd.DataFrame(rows, columns=["area_code", "year", "indicator", "estimate", "margin"])
    return frame, codes[:10], codes[10:]


def _published_coverage(n_sims, seed, waves, start, effect_from):
    """Coverage of pilot_comparison's difference (true -2 points) with the report's wave split:
    waves up to and including the start year before, later waves after
    (``PublishedPilots.before_after_waves``)."""

    before = [year for year in waves if year <= start]
    after = [year for year in waves if year > start]
    rng = np.random.default_rng(seed)
    hits = np.zeros(n_sims)
    for i in range(n_sims):
        frame, pilots, rest = _published_cbs(rng, waves, effect_from)
        result = published.pilot_comparison(frame, "feels_unsafe", pilots, rest, before, after)
        hits[i] = result.difference.ci_low <= -2.0 <= result.difference.ci_high
    return hits


def sim_published_bigcity(n_sims, seed):
    return _published_coverage(n_sims, seed, (2015, 2017, 2019), 2017, 2019)


def sim_published_startyear(n_sims, seed):
    return _published_coverage(n_sims, seed, (2013, 2015, 2017, 2019), 2017, 2018)
