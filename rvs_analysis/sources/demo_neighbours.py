"""Leerdam and Zederik in the demo data: the parts of Vijfheerenlanden outside the region.

Vianen (GM0620), one of the region's 39 municipalities of 2017, merged with Leerdam (GM0545) and
Zederik (GM0707) into Vijfheerenlanden (GM1961) on 1 January 2019 (``data/regions/mergers.csv``).
A report on the boundaries of 2019 or later needs all three parts to build Vijfheerenlanden, so the
demo carries the two outside the region in every per-municipality file. They belong to no district,
were no pilots and enter no calibration; their rows come after the region's in each file and are
drawn from their own random streams, so the region's rows are the same with or without them.

:func:`append_merger_neighbours` is what :func:`rvs_analysis.sources.demo.generate` calls; the
settings of the demo's model it follows arrive as a :class:`DemoModel`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rvs_analysis.resources import data_path

__all__ = [
    "COMPARABLE_POPULATION",
    "MERGER_NEIGHBOURS",
    "DemoModel",
    "append_merger_neighbours",
    "neighbour_rows",
]

MERGER_NEIGHBOURS: dict[str, tuple[str, int, float, float]] = {
    # code: (name, population on 1 January 2017, rounded; land area in km2; annual growth in %)
    "GM0545": ("Leerdam", 21000, 31.0, 0.4),
    "GM0707": ("Zederik", 13900, 66.0, 0.6),
}
"""The two municipalities outside the region that merged with Vianen into Vijfheerenlanden.

Populations: CBS 70072ned (the shared extract ``population_70072ned_gemeente_year.csv``, average
population 2017: Leerdam 20,968, Zederik 13,923) rounded to hundreds; growth: their average annual
growth 2012-2018 in the same table (0.36% and 0.64%) rounded to one decimal. Land areas are typed
plausible values like the region's (together with Vianen's 46 km2 about the 143 km2 of land of
Vijfheerenlanden, whose generalised 2024 boundary encloses about 150 km2 with water), not CBS
figures."""

COMPARABLE_POPULATION = (10000, 30000)
"""The region's municipalities with a 2017 population in this range (inclusive) are the comparable
small municipalities whose rates per inhabitant the neighbours follow (17 of the 39)."""


@dataclass(frozen=True)
class DemoModel:
    """The settings of the demo's model that the neighbours follow (from
    :mod:`rvs_analysis.sources.demo`; the years, waves, offence codes and labels come from the
    region's frames themselves)."""

    boundary_year: int
    urbanity: dict[str, float]
    land_area: dict[str, float]
    seasonal_index: tuple[float, ...]
    adult_share: float
    burgernet_odds_ratio: float
    spread: tuple[float, float, float]
    """Standard deviations: municipality-by-year factor of counts, municipal effect on the logit
    of burglary clearance, municipality-by-wave survey shock."""


def _logit(p):
    return np.log(p) - np.log1p(-p)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _population(model: DemoModel, years: tuple[int, ...]) -> pd.DataFrame:
    """The neighbours' populations per year: the 2017 value grown log-linearly."""
    offset = np.array(years) - model.boundary_year
    rows = []
    for code, (_, population_2017, _, growth) in MERGER_NEIGHBOURS.items():
        values = np.rint(population_2017 * (1 + growth / 100) ** offset).astype(np.int64)
        rows.extend((code, year, int(v)) for year, v in zip(years, values, strict=True))
    return pd.DataFrame(rows, columns=["gemeente_code", "year", "population"])


@dataclass
class _Reference:
    """What the neighbours are drawn around, computed from the region's generated frames."""

    years: tuple[int, ...]
    waves: tuple[int, ...]
    labels: dict[str, str]  # offence code -> label
    cleared_codes: tuple[str, ...]
    rates: pd.DataFrame  # year x offence code (and "other"): offences per inhabitant
    density: float  # the comparable group's inhabitants per km2 in 2016
    cleared: pd.DataFrame  # (offence code, year): registered, cleared, attempted in the region
    burgernet: pd.Series  # year: the region's population-weighted mean participation
    survey: dict[str, pd.Series]  # outcome: wave -> weighted share of comparable non-pilots
    next_id: pd.Series  # wave -> first free respondent id


def _reference(model, crime, population, cleared, survey) -> _Reference:
    low, high = COMPARABLE_POPULATION
    in_2017 = population[population["year"] == model.boundary_year]
    comparable = sorted(
        set(in_2017.loc[in_2017["population"].between(low, high), "gemeente_code"])
        - set(MERGER_NEIGHBOURS)
    )
    people = population[population["gemeente_code"].isin(comparable)].groupby("year")
    people = people["population"].sum()
    counts = crime[crime["gemeente_code"].isin(comparable)].pivot_table(
        index="year", columns="offence_code", values="registered_offences", aggfunc="sum"
    )
    counts["other"] = counts["0.0.0"] - counts.drop(columns="0.0.0").sum(axis=1)
    region = cleared.assign(bn=cleared["burgernet_participation"].astype(float)).merge(
        population, on=["gemeente_code", "year"]
    )
    cleared_codes = tuple(sorted(cleared["offence_code"].unique()))
    first = region[region["offence_code"] == cleared_codes[0]]
    burgernet = (first["bn"] * first["population"]).groupby(first["year"]).sum()
    pilots = set(pd.read_csv(data_path("regions") / "pilots.csv", dtype=str)["gemeente_code"])
    reference = survey[survey["gemeente_code"].isin(set(comparable) - pilots)]
    weight = reference["weight"].astype(float)
    return _Reference(
        years=tuple(int(year) for year in sorted(crime["year"].unique())),
        waves=tuple(int(year) for year in sorted(survey["year"].unique())),
        labels=dict(zip(crime["offence_code"], crime["offence_label"], strict=True)),
        cleared_codes=cleared_codes,
        rates=counts.div(people, axis=0),
        density=float(people[2016] / sum(model.land_area[code] for code in comparable)),
        cleared=region.groupby(["offence_code", "year"])[
            ["registered_offences", "cleared_offences", "attempted_offences"]
        ].sum(),
        burgernet=burgernet / first.groupby("year")["population"].sum(),
        survey={
            name: (weight * reference[name]).groupby(reference["year"]).sum()
            / weight.groupby(reference["year"]).sum()
            for name in ("feels_unsafe", "youth_nuisance")
        },
        next_id=survey.groupby("year")["respondent_id"].max() + 1,
    )


def _registered(rng, model, reference, inhabitants, area) -> dict[str, np.ndarray]:
    """Poisson counts per offence code around the comparable group's rates (see
    :func:`neighbour_rows`); total crime = the codes + all other crime."""
    density_ratio = (inhabitants[reference.years.index(2016)] / area) / reference.density
    registered = {}
    for offence in sorted([*reference.labels.keys() - {"0.0.0"}, "other"]):
        effect = density_ratio ** model.urbanity[offence] * math.exp(rng.normal(0.0, 0.2))
        jitter = np.exp(rng.normal(0.0, model.spread[0], len(reference.years)))
        rate = reference.rates[offence].reindex(reference.years).to_numpy()
        registered[offence] = rng.poisson(inhabitants * rate * effect * jitter).astype(np.int64)
    other = registered.pop("other")
    registered["0.0.0"] = sum(registered.values()) + other
    return registered


def _cleared(rng, model, reference, code, registered, inhabitants, area) -> list[pd.DataFrame]:
    """Attempts and cleared offences (binomial) with the covariates, one frame per code."""
    years = np.array(reference.years)
    base = float(np.clip(rng.normal(4.5, 1.6), 1.0, 9.0))
    slope = float(np.clip(rng.normal(0.40, 0.10), 0.1, 0.8))
    noise = rng.normal(0.0, 0.15, len(years))
    burgernet = np.round(np.clip(base + slope * (years - 2011) + noise, 0.5, None), 2)
    density = np.round(inhabitants / area, 1)
    mean_burgernet = reference.burgernet.reindex(reference.years).to_numpy()
    frames = []
    for offence in reference.cleared_codes:
        trials = registered[offence]
        rows = reference.cleared.loc[offence].reindex(reference.years)
        rate = (rows["cleared_offences"] / rows["registered_offences"]).to_numpy()
        attempts = (rows["attempted_offences"] / rows["registered_offences"]).to_numpy()
        burglary = offence == "1.1.1"
        beta = math.log(model.burgernet_odds_ratio) if burglary else 0.0
        spread = model.spread[1] if burglary else 0.10
        logits = _logit(rate) + beta * (burgernet - mean_burgernet) + rng.normal(0.0, spread)
        frames.append(
            pd.DataFrame(
                {
                    "gemeente_code": code,
                    "year": years,
                    "offence_code": offence,
                    "registered_offences": trials,
                    "cleared_offences": rng.binomial(trials, _expit(logits)),
                    "attempted_offences": rng.binomial(trials, attempts),
                    "population_density": [f"{value:.1f}" for value in density],
                    "burgernet_participation": [f"{value:.2f}" for value in burgernet],
                }
            )
        )
    return frames


def _survey(rng, model, reference, code, population_2017, inhabitants) -> list[pd.DataFrame]:
    """Respondents per wave like the region's, around the comparable non-pilots' shares."""
    level = {"feels_unsafe": rng.normal(0.0, 0.025), "youth_nuisance": rng.normal(0.0, 0.03)}
    size = int(np.clip(np.rint(150 + 550 * population_2017 / 343000.0), 150, 900))
    frames = []
    for wave in reference.waves:
        count = int(np.clip(np.rint(size * rng.uniform(0.9, 1.1)), 150, 900))
        z = np.clip(rng.standard_normal(count), -2.0, 2.0)
        factor = np.exp(0.35 * z)
        factor /= factor.mean()
        adults = inhabitants[reference.years.index(wave)] * model.adult_share
        answers = {}
        for outcome in ("feels_unsafe", "youth_nuisance"):
            shock = float(np.clip(rng.normal(0, model.spread[2]), -0.025, 0.025))
            p = reference.survey[outcome][wave] + level[outcome] + shock + 0.01 * z
            answers[outcome] = (rng.random(count) < np.clip(p, 0.01, 0.99)).astype(int)
        first = int(reference.next_id[wave])
        reference.next_id[wave] += count
        frames.append(
            pd.DataFrame(
                {
                    "gemeente_code": code,
                    "year": wave,
                    "respondent_id": np.arange(first, first + count),
                    "weight": [f"{value:.1f}" for value in adults / count * factor],
                    **answers,
                }
            )
        )
    return frames


def neighbour_rows(
    seed: int,
    model: DemoModel,
    crime: pd.DataFrame,
    population: pd.DataFrame,
    cleared: pd.DataFrame,
    survey: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """The rows of Leerdam and Zederik (:data:`MERGER_NEIGHBOURS`) for every per-municipality file.

    Parameters
    ----------
    seed : int
        The generation's seed; each neighbour draws from its own stream
        ``numpy.random.default_rng([seed, <number of its GM code>])`` (545, 707), so the region's
        rows, drawn from the main stream, do not change.
    model : DemoModel
        The demo model's settings.
    crime, population, cleared, survey : pandas.DataFrame
        The region's generated frames as written (covariates and weights formatted as text).

    Returns
    -------
    dict of str to pandas.DataFrame
        By file stem (``registered_crime``, ``population``, ``cleared_offences``,
        ``monthly_crime``, ``survey_microdata``): the neighbours' rows in the columns, formats and
        order of the region's frames.

    Notes
    -----
    The neighbours follow the region's comparable small municipalities (2017 population within
    :data:`COMPARABLE_POPULATION`): per offence code and year the expected count is the
    neighbour's population x the group's registered offences per inhabitant x (neighbour's density
    / group's density in 2016) ** the code's urbanity exponent x a log-normal municipal factor
    (sd 0.2) x a log-normal municipality-by-year factor (sd ``model.spread[0]``); counts are
    Poisson. Total crime adds all other crime the same way, so it holds every other code. Attempts
    and cleared offences are binomial with the region's attempt share and clearance rate of the
    year; burglary clearance carries the planted Burgernet effect (its log odds ratio x the
    neighbour's participation minus the region's population-weighted mean) plus a municipal effect
    (sd ``model.spread[1]``; 0.10 for the robberies). Burgernet participation is drawn
    like the region's; density = population / land area. Monthly burglary splits the annual count
    multinomially with the seasonal index. Survey respondents: as many as the region's rule gives
    for the population, answering with the comparable non-pilot municipalities' weighted share of
    the wave plus a municipal level (sd 2.5 and 3 points), a wave shock and the design-factor term;
    no pilot effect (they were no pilots). Respondent ids continue after the wave's last one.
    """
    reference = _reference(model, crime, population, cleared, survey)
    own_population = _population(model, reference.years)
    parts: dict[str, list[pd.DataFrame]] = {
        "registered_crime": [],
        "cleared_offences": [],
        "monthly_crime": [],
        "survey_microdata": [],
    }
    years = np.array(reference.years)
    seasonal = np.array(model.seasonal_index) / np.sum(model.seasonal_index)
    for code, (name, population_2017, area, _) in MERGER_NEIGHBOURS.items():
        rng = np.random.default_rng([seed, int(code[2:])])
        inhabitants = own_population.loc[own_population["gemeente_code"] == code, "population"]
        inhabitants = inhabitants.to_numpy()
        registered = _registered(rng, model, reference, inhabitants, area)
        parts["registered_crime"].extend(
            pd.DataFrame(
                {
                    "offence_code": offence,
                    "offence_label": reference.labels[offence],
                    "gemeente_code": code,
                    "gemeente_name": name,
                    "year": years,
                    "registered_offences": registered[offence],
                    "provisional": 0,
                }
            )
            for offence in sorted(registered)
        )
        parts["cleared_offences"].extend(
            _cleared(rng, model, reference, code, registered, inhabitants, area)
        )
        months = np.stack([rng.multinomial(int(n), seasonal) for n in registered["1.1.1"]])
        parts["monthly_crime"].append(
            pd.DataFrame(
                {
                    "gemeente_code": code,
                    "year": np.repeat(years, 12),
                    "month": np.tile(np.arange(1, 13), len(years)),
                    "offence_code": "1.1.1",
                    "registered_offences": months.reshape(-1),
                }
            )
        )
        parts["survey_microdata"].extend(
            _survey(rng, model, reference, code, population_2017, inhabitants)
        )
    frames = {key: pd.concat(frames, ignore_index=True) for key, frames in parts.items()}
    frames["population"] = own_population
    crime = frames["registered_crime"]
    frames["registered_crime"] = crime.sort_values(["offence_code", "gemeente_code", "year"])
    cleared = frames["cleared_offences"]
    frames["cleared_offences"] = cleared.sort_values(["gemeente_code", "year", "offence_code"])
    return frames


def append_merger_neighbours(
    seed: int, model: DemoModel, frames: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """The region's frames with the neighbours' rows appended after the region's.

    Parameters
    ----------
    seed : int
        The generation's seed (see :func:`neighbour_rows`).
    model : DemoModel
        The demo model's settings.
    frames : dict of str to pandas.DataFrame
        The region's frames as written, keyed by file stem as :func:`neighbour_rows` returns them;
        others, such as ``indicators``, pass through.

    Returns
    -------
    dict of str to pandas.DataFrame
        The same keys; every row of the region keeps its bytes and its place in the file.
    """
    extra = neighbour_rows(
        seed,
        model,
        frames["registered_crime"],
        frames["population"],
        frames["cleared_offences"],
        frames["survey_microdata"],
    )
    return {
        key: pd.concat([frame, extra[key][list(frame.columns)]], ignore_index=True)
        if key in extra
        else frame
        for key, frame in frames.items()
    }
