"""The demo data set: synthetic, deterministic, calibrated to the source document, with known truths.

:func:`generate` writes a folder in the tidy layout of ``docs/ARCHITECTURE.md`` (by default the
embedded ``data/demo/``) for the 39 municipalities of Midden-Nederland on their 2017 boundaries,
2011-2023, plus Leerdam and Zederik, outside the region, for the boundaries of 2019 and later
(:mod:`rvs_analysis.sources.demo_neighbours`). :func:`truth` returns the effects the generator plants, under the names the report
notebooks use for their estimates, so that a report run on the demo data can be checked against
them (``rvs demo-data --truth``).

What is calibrated (region and district totals equal the figures published in "Jaarplan 2017/2018
Midden-Nederland en resultaten 2016", see :data:`PUBLISHED_REGION` and :data:`PUBLISHED_DISTRICT`):

* the 2011 baselines of the 2015-2018 ambitions: residential burglary 12,564 of which 8,626
  completed, robbery (overvallen) 213, street robbery (straatroven) 894, and their clearance
  percentages 8%, 38% and 23%;
* the region series 2011-2016 of car break-ins, bicycle theft, vandalism and violence;
* the 2015 and 2016 results per district ("Terugblik 2016"): total crime, suspects handled,
  burglary, completed burglary, burglary clearance %, robbery and street robbery with their clearance
  %, and the region's criminal networks tackled and confiscation.

Published percentages are rounded; the generator chooses whole cleared counts whose percentages round
(half up, as the document does) to the published ones, per district and for the region.

What is planted (see :func:`truth`):

* ``burglary_clearance_or_burgernet``: the odds ratio of a burglary being cleared per one Burgernet
  participant per 100 inhabitants, in a logistic model with district and year intercepts;
* ``burglary_clearance_or_density``: population density has no effect (odds ratio 1);
* ``pilot_effect_feels_unsafe_pp`` and ``pilot_effect_youth_nuisance_pp``: the ten pilot
  municipalities' difference-in-differences effect (percentage points) after the pilots' start;
* ``crime_change_trend_ratio``: the annual rate ratio of less visible crime divided by that of
  visible crime, with ``visible_annual_rate_ratio`` and ``less_visible_annual_rate_ratio``;
* ``burglary_seasonal_peak_month`` and ``burglary_dark_months_rate_ratio``: the seasonal pattern of
  monthly burglary.

The wijk and buurt files (synthetic wijken and buurten with planted persistent hot spots, surges
and recodings) come from :mod:`rvs_analysis.sources.demo_neighbourhoods`, drawn from a separate
random stream; :func:`neighbourhood_truth` lists what they plant.

The data are synthetic: populations and land areas are plausible rounded values typed in below
(:data:`MUNICIPALITY_PARAMETERS`), not copied from CBS; every count below the published totals is
drawn at random.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from rvs_analysis.resources import data_path
from rvs_analysis.sources.demo_neighbourhoods import generate_neighbourhoods
from rvs_analysis.sources.demo_neighbourhoods import truth_table as neighbourhood_truth
from rvs_analysis.sources.demo_neighbours import DemoModel, append_merger_neighbours

__all__ = [
    "DEFAULT_SEED",
    "DEMO_DIR",
    "GENERATOR_VERSION",
    "MUNICIPALITY_PARAMETERS",
    "OFFENCE_LABELS",
    "PUBLISHED_DISTRICT",
    "PUBLISHED_REGION",
    "SURVEY_WAVES",
    "YEARS",
    "generate",
    "neighbourhood_truth",
    "truth",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_DIR = data_path("demo")
"""The embedded demo data set, committed to the repository (``data/demo``; in an installed package
its copy inside the package, see :mod:`rvs_analysis.resources`)."""
REGIONS_DIR = data_path("regions")

DEFAULT_SEED = 20170101
GENERATOR_VERSION = "1.0.0"
TITLE = "Demonstratiedata RVS Midden-Nederland"
REGION_NAME = "Midden-Nederland"
BOUNDARY_YEAR = 2017

YEARS = tuple(range(2011, 2024))
"""Years of the demo data (2011, the strategy's baseline year, to 2023)."""
SURVEY_WAVES = (2011, 2013, 2015, 2017, 2019, 2021, 2023)
"""Biennial waves of the survey, as the Veiligheidsmonitor."""
FIRST_WAVE_AFTER_PILOT_START = 2019
"""The first survey wave after the pilots' start (2017, ``data/regions/pilots.csv``): a wave counts
as *after* when it is later than the start year, so the 2017 wave counts as *before*."""

OFFENCE_LABELS = {
    "0.0.0": "Totaal misdrijven",
    "1.1.1": "Diefstal/inbraak woning",
    "1.2.1": "Diefstal uit/vanaf motorvoertuigen",
    "1.2.3": "Diefstal van brom-, snor-, fietsen",
    "1.4.6": "Straatroof",
    "1.4.7": "Overval",
    "2.2.1": "Vernieling cq. zaakbeschadiging",
    "3.1.1": "Drugshandel",
    "3.7.4": "Cybercrime",
    "3.9.1": "Horizontale fraude",
    "RVS.GEWELD": "Geweld totaal",
    "RVS.WITWAS": "Witwassen",
}
"""Offence codes of the demo data with the labels written to ``registered_crime.csv``."""

VISIBLE_CODES = ("1.1.1", "1.2.1", "1.2.3", "2.2.1", "1.4.6")
"""Visible crime: burglary, car break-in, bicycle theft, vandalism, street robbery."""
LESS_VISIBLE_CODES = ("3.9.1", "3.7.4", "3.1.1", "RVS.WITWAS")
"""Less visible crime: fraud, cybercrime, drug dealing, money laundering."""
CLEARED_CODES = ("1.1.1", "1.4.6", "1.4.7")

# ------------------------------------------------------------------------------------------------
# Parameters: municipalities (typed, plausible rounded values; not CBS figures)
# ------------------------------------------------------------------------------------------------

MUNICIPALITY_PARAMETERS: dict[str, tuple[int, float, float]] = {
    # code: (population on 1 January 2017, rounded; land area in km2; annual growth in %)
    "GM0034": (201300, 129.0, 1.2),  # Almere
    "GM0303": (40700, 333.0, 0.6),  # Dronten
    "GM0995": (77400, 230.0, 0.5),  # Lelystad
    "GM0171": (46600, 460.0, 0.3),  # Noordoostpolder
    "GM0184": (20100, 11.5, 1.4),  # Urk
    "GM0050": (22200, 248.0, 0.6),  # Zeewolde
    "GM0376": (10700, 11.0, 1.0),  # Blaricum
    "GM0317": (9100, 31.0, 0.5),  # Eemnes
    "GM1942": (57300, 41.0, 0.6),  # Gooise Meren
    "GM0402": (89000, 45.6, 0.7),  # Hilversum
    "GM0406": (41300, 16.0, 0.2),  # Huizen
    "GM0417": (11100, 12.3, 0.4),  # Laren
    "GM0457": (18900, 22.0, 1.0),  # Weesp
    "GM1696": (23400, 49.0, 0.3),  # Wijdemeren
    "GM0344": (343000, 94.0, 1.6),  # Utrecht
    "GM0736": (43300, 98.0, 0.4),  # De Ronde Venen
    "GM0321": (49300, 55.0, 0.6),  # Houten
    "GM0353": (34300, 21.0, 0.1),  # IJsselstein
    "GM0331": (14300, 77.0, 0.2),  # Lopik
    "GM0335": (13800, 38.0, 0.3),  # Montfoort
    "GM0356": (62400, 24.0, 0.4),  # Nieuwegein
    "GM0589": (10100, 39.0, 0.4),  # Oudewater
    "GM1904": (64300, 97.0, 0.4),  # Stichtse Vecht
    "GM0620": (19700, 46.0, 0.5),  # Vianen
    "GM0632": (51600, 89.0, 0.5),  # Woerden
    "GM0307": (155000, 63.0, 0.9),  # Amersfoort
    "GM0308": (24600, 33.0, 0.2),  # Baarn
    "GM0312": (15000, 37.0, 0.4),  # Bunnik
    "GM0313": (21000, 30.0, 0.8),  # Bunschoten
    "GM0310": (42700, 67.0, 0.5),  # De Bilt
    "GM0327": (29600, 59.0, 0.5),  # Leusden
    "GM0339": (5100, 18.0, 0.5),  # Renswoude
    "GM0340": (19600, 42.0, 0.5),  # Rhenen
    "GM0342": (45900, 46.0, 0.3),  # Soest
    "GM1581": (49300, 133.0, 0.3),  # Utrechtse Heuvelrug
    "GM0345": (64500, 20.0, 0.7),  # Veenendaal
    "GM0352": (23600, 48.0, 0.3),  # Wijk bij Duurstede
    "GM0351": (12900, 36.0, 0.8),  # Woudenberg
    "GM0355": (62800, 48.0, 0.5),  # Zeist
}
"""Per municipality of 2017: population on 1 January 2017 (rounded to hundreds), land area (km2)
and annual population growth (%). Plausible magnitudes typed for the demo, not CBS figures."""

ADULT_SHARE = 0.83
"""Share of inhabitants aged 15 or over (the survey's population), the same everywhere."""

# ------------------------------------------------------------------------------------------------
# Published figures (the source document), the calibration targets
# ------------------------------------------------------------------------------------------------

DISTRICTS = ("Flevoland", "Gooi en Vechtstreek", "Stad Utrecht", "West-Utrecht", "Oost-Utrecht")

PUBLISHED_REGION: dict[str, dict[int, float]] = {
    # registered offences, region Midden-Nederland
    "1.1.1": {2011: 12564, 2015: 8510, 2016: 7813},
    "1.1.1 completed": {2011: 8626, 2015: 5534, 2016: 5097},
    "1.1.1 clearance %": {2011: 8, 2015: 8.5, 2016: 7.8},
    "1.4.7": {2011: 213, 2015: 100, 2016: 97},
    "1.4.7 clearance %": {2011: 38, 2015: 40, 2016: 53},
    "1.4.6": {2011: 894, 2015: 430, 2016: 360},
    "1.4.6 clearance %": {2011: 23, 2015: 22, 2016: 33},
    "0.0.0": {2015: 107000, 2016: 103579},
    "1.2.1": {2011: 16529, 2012: 15829, 2013: 14764, 2014: 13623, 2015: 13531, 2016: 13656},
    "1.2.3": {2011: 10298, 2012: 9280, 2013: 10463, 2014: 10404, 2015: 11642, 2016: 10561},
    "2.2.1": {2011: 15700, 2012: 13590, 2013: 12318, 2014: 12023, 2015: 11917, 2016: 10774},
    "RVS.GEWELD": {2011: 12111, 2012: 11709, 2013: 10775, 2014: 9922, 2015: 9107, 2016: 9183},
    "afgehandelde_verdachten": {2015: 24056, 2016: 25789},
    "csv_aangepakt": {2015: 65, 2016: 68},
    "afpakken_x1000_euro": {2015: 12036, 2016: 16391},
    "cybercrime_onderzoeken": {2015: 9, 2016: 26},
    "fraudezaken_horizontaal": {2015: 197, 2016: 230},
}
"""Region figures of the source document (ambitions with 2011 baselines, Terugblik 2016, the
series of other offences). Percentages as published (rounded)."""

PUBLISHED_DISTRICT: dict[str, dict[str, dict[int, float]]] = {
    "0.0.0": {
        "Flevoland": {2016: 20494, 2015: 21241},
        "Gooi en Vechtstreek": {2016: 12354, 2015: 12916},
        "Stad Utrecht": {2016: 29695, 2015: 30567},
        "West-Utrecht": {2016: 15795, 2015: 15829},
        "Oost-Utrecht": {2016: 25241, 2015: 26447},
    },
    "afgehandelde_verdachten": {
        "Flevoland": {2016: 7585, 2015: 6379},
        "Gooi en Vechtstreek": {2016: 2910, 2015: 2365},
        "Stad Utrecht": {2016: 5838, 2015: 5959},
        "West-Utrecht": {2016: 3585, 2015: 3581},
        "Oost-Utrecht": {2016: 5871, 2015: 5772},
    },
    "1.1.1": {
        "Flevoland": {2016: 1544, 2015: 1678},
        "Gooi en Vechtstreek": {2016: 1219, 2015: 1600},
        "Stad Utrecht": {2016: 1651, 2015: 1654},
        "West-Utrecht": {2016: 1212, 2015: 1303},
        "Oost-Utrecht": {2016: 2187, 2015: 2275},
    },
    "1.1.1 completed": {
        "Flevoland": {2016: 990, 2015: 1036},
        "Gooi en Vechtstreek": {2016: 808, 2015: 1068},
        "Stad Utrecht": {2016: 1177, 2015: 1185},
        "West-Utrecht": {2016: 731, 2015: 788},
        "Oost-Utrecht": {2016: 1391, 2015: 1457},
    },
    "1.1.1 clearance %": {
        "Flevoland": {2016: 10.6, 2015: 8.8},
        "Gooi en Vechtstreek": {2016: 8.2, 2015: 5.7},
        "Stad Utrecht": {2016: 6.7, 2015: 8.6},
        "West-Utrecht": {2016: 6.4, 2015: 8.5},
        "Oost-Utrecht": {2016: 7.4, 2015: 10.1},
    },
    "1.4.7": {
        "Flevoland": {2016: 20, 2015: 25},
        "Gooi en Vechtstreek": {2016: 10, 2015: 8},
        "Stad Utrecht": {2016: 22, 2015: 27},
        "West-Utrecht": {2016: 7, 2015: 14},
        "Oost-Utrecht": {2016: 38, 2015: 26},
    },
    "1.4.7 clearance %": {
        "Flevoland": {2016: 60, 2015: 44},
        "Gooi en Vechtstreek": {2016: 30, 2015: 63},
        "Stad Utrecht": {2016: 73, 2015: 33},
        "West-Utrecht": {2016: 57, 2015: 21},
        "Oost-Utrecht": {2016: 42, 2015: 46},
    },
    "1.4.6": {
        "Flevoland": {2016: 118, 2015: 143},
        "Gooi en Vechtstreek": {2016: 35, 2015: 30},
        "Stad Utrecht": {2016: 140, 2015: 149},
        "West-Utrecht": {2016: 27, 2015: 52},
        "Oost-Utrecht": {2016: 40, 2015: 56},
    },
    "1.4.6 clearance %": {
        "Flevoland": {2016: 39, 2015: 23},
        "Gooi en Vechtstreek": {2016: 43, 2015: 33},
        "Stad Utrecht": {2016: 20, 2015: 15},
        "West-Utrecht": {2016: 56, 2015: 21},
        "Oost-Utrecht": {2016: 40, 2015: 30},
    },
}
"""District figures of "Terugblik 2016: resultaten Veiligheidsstrategie" (2015 and 2016)."""

PUBLISHED_YOUTH_NUISANCE_2013_PERCENT = 28
"""Experienced youth nuisance in Midden-Nederland in 2013 (28% of inhabitants, ambition section)."""

# ------------------------------------------------------------------------------------------------
# Planted effects
# ------------------------------------------------------------------------------------------------

BURGERNET_ODDS_RATIO = 1.15
PILOT_EFFECT_FEELS_UNSAFE_PP = -4.0
PILOT_EFFECT_YOUTH_NUISANCE_PP = -3.0
CRIME_CHANGE_TREND_RATIO = 1.12
SEASONAL_INDEX = (1.20, 0.95, 0.88, 0.80, 0.76, 0.72, 0.74, 0.80, 0.90, 1.10, 1.30, 1.40)
"""Relative expected monthly burglary counts, January to December (peak in the dark months)."""
DARK_MONTHS = (10, 11, 12, 1)

# Noise and spread (not truths; documented in data/demo/README.md)
YEAR_SHOCK_SD = 0.03
"""Standard deviation of the log region-wide year shock of counts that are not calibrated."""
MUNICIPAL_YEAR_SD = 0.08
"""Standard deviation of the log municipality-by-year factor of the allocation weights of counts
(overdispersion between municipalities beyond the multinomial)."""
MUNICIPAL_CLEARANCE_SD = 0.20
"""Standard deviation of the municipal random effect on the logit of burglary clearance."""
SURVEY_MUNICIPALITY_WAVE_SD = 0.010
"""Standard deviation of municipality-by-wave shocks of the survey probabilities."""


# ------------------------------------------------------------------------------------------------
# Small exact helpers
# ------------------------------------------------------------------------------------------------


def _round_half_up(numerator: int, denominator: int, decimals: int) -> int:
    """``100 * numerator / denominator`` rounded half up, times ``10**decimals``, exactly."""
    scale = 100 * 10**decimals
    return (2 * scale * numerator + denominator) // (2 * denominator)


def _decimals(percent: float) -> int:
    return 0 if float(percent).is_integer() else 1


def _counts_rounding_to(percent: float, trials: int) -> list[int]:
    """Whole counts out of ``trials`` whose percentage rounds (half up) to the published one."""
    decimals = _decimals(percent)
    target = round(percent * 10**decimals)
    return [c for c in range(trials + 1) if _round_half_up(c, trials, decimals) == target]


def _logit(p):
    return np.log(p) - np.log1p(-p)


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _shift_for_expected_total(trials, logits, total) -> float:
    """The common shift of ``logits`` that makes the expected number of successes ``total``."""
    low, high = -30.0, 30.0
    for _ in range(200):
        middle = (low + high) / 2
        if np.sum(trials * _expit(logits + middle)) < total:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _binomials_with_sum(rng, trials, logits, total, max_draws=1_000_000) -> np.ndarray:
    """Independent binomials ``Bin(trials_i, expit(logits_i))`` conditioned on their sum.

    Exact rejection sampling: the conditional distribution given the sum does not depend on a
    common shift of the logits, so the logits are first shifted to make the expected sum equal to
    ``total`` (which makes acceptance likely) and then independent draws are repeated until one hits
    the total.
    """
    trials = np.asarray(trials, dtype=np.int64)
    logits = np.asarray(logits, dtype=float)
    if not 0 <= total <= trials.sum():
        raise ValueError(f"Cannot draw {total} successes out of {trials.sum()} trials.")
    if total == 0:
        return np.zeros_like(trials)
    if total == trials.sum():
        return trials.copy()
    probabilities = _expit(logits + _shift_for_expected_total(trials, logits, total))
    for _ in range(max_draws):
        draw = rng.binomial(trials, probabilities)
        if draw.sum() == total:
            return draw
    raise RuntimeError("Rejection sampling did not reach the fixed total.")  # pragma: no cover


def _multinomial(rng, total: int, weights) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return rng.multinomial(int(total), weights / weights.sum())


def _interpolate_log(values: dict[int, float], year: int) -> float:
    """Log-linear interpolation between the nearest known years around ``year``."""
    known = sorted(values)
    before = max(y for y in known if y <= year)
    after = min(y for y in known if y >= year)
    if before == after:
        return float(values[year])
    fraction = (year - before) / (after - before)
    return float(np.exp((1 - fraction) * np.log(values[before]) + fraction * np.log(values[after])))


# ------------------------------------------------------------------------------------------------
# Region model: municipalities, population
# ------------------------------------------------------------------------------------------------


def _municipalities() -> pd.DataFrame:
    """The 39 municipalities of 2017 with district, pilot flag and the typed parameters."""
    table = pd.read_csv(REGIONS_DIR / "municipalities.csv", dtype=str, keep_default_na=False)
    day = pd.Timestamp(f"{BOUNDARY_YEAR}-01-01")
    valid_from = pd.to_datetime(table["valid_from"].replace("", "1900-01-01"))
    valid_to = pd.to_datetime(table["valid_to"].replace("", "2999-12-31"))
    table = table[(valid_from <= day) & (valid_to >= day)].copy()
    pilots = pd.read_csv(REGIONS_DIR / "pilots.csv", dtype=str, keep_default_na=False)
    table["pilot"] = table["gemeente_code"].isin(set(pilots["gemeente_code"]))
    missing = set(table["gemeente_code"]) ^ set(MUNICIPALITY_PARAMETERS)
    if missing or len(table) != 39:
        raise ValueError(
            f"The demo generator's parameters do not match the 39 municipalities of 2017 in "
            f"{REGIONS_DIR / 'municipalities.csv'} (differing codes: {sorted(missing)})."
        )
    table["population_2017"] = table["gemeente_code"].map(
        lambda code: MUNICIPALITY_PARAMETERS[code][0]
    )
    table["land_area_km2"] = table["gemeente_code"].map(
        lambda code: MUNICIPALITY_PARAMETERS[code][1]
    )
    table["growth_percent"] = table["gemeente_code"].map(
        lambda code: MUNICIPALITY_PARAMETERS[code][2]
    )
    table["district"] = pd.Categorical(table["district"], categories=DISTRICTS, ordered=True)
    table = table.sort_values(["district", "gemeente_code"]).reset_index(drop=True)
    table["district"] = table["district"].astype(str)
    return table[
        [
            "gemeente_code",
            "gemeente_name",
            "district",
            "pilot",
            "population_2017",
            "land_area_km2",
            "growth_percent",
        ]
    ]


def _pilot_start_year() -> int:
    """The pilots' start year from ``data/regions/pilots.csv`` (one year for all ten)."""
    pilots = pd.read_csv(REGIONS_DIR / "pilots.csv", dtype=str, keep_default_na=False)
    years = set(pilots["start_year"].astype(int))
    if len(years) != 1:
        raise ValueError(f"The demo generator expects one start year for all pilots, got {years}.")
    (year,) = years
    return year


def _population(municipalities: pd.DataFrame) -> np.ndarray:
    """Population per municipality (rows) and year (columns), 2017 value grown log-linearly."""
    years = np.array(YEARS) - BOUNDARY_YEAR
    growth = 1 + municipalities["growth_percent"].to_numpy() / 100
    base = municipalities["population_2017"].to_numpy(dtype=float)
    return np.rint(base[:, None] * growth[:, None] ** years[None, :]).astype(np.int64)


# ------------------------------------------------------------------------------------------------
# Expected region totals (deterministic)
# ------------------------------------------------------------------------------------------------


def _visible_expected_2011_2016() -> dict[str, dict[int, float]]:
    """Region series of the visible codes 2011-2016: published, or log-linearly interpolated."""
    series = {}
    for code in VISIBLE_CODES:
        published = PUBLISHED_REGION[code]
        series[code] = {year: _interpolate_log(published, year) for year in range(2011, 2017)}
    return series


def _poisson_log_linear_fit(years, counts) -> tuple[float, float]:
    """Maximum-likelihood ``(level_at_first_year, annual_rate_ratio)`` of a log-linear Poisson mean."""
    years = np.asarray(years, dtype=float) - years[0]
    counts = np.asarray(counts, dtype=float)
    slope = np.polyfit(years, np.log(counts), 1)[0]
    for _ in range(100):  # Newton on the profile score in the slope
        weights = np.exp(slope * years)
        level = counts.sum() / weights.sum()
        mean = level * weights
        score = np.sum(years * (counts - mean))
        centred = years - np.sum(years * mean) / mean.sum()
        information = np.sum(centred**2 * mean)
        step = score / information
        slope += step
        if abs(step) < 1e-14:
            break
    level = counts.sum() / np.exp(slope * years).sum()
    return float(level), float(np.exp(slope))


def _visible_trend() -> tuple[float, float]:
    """Level in 2011 and annual rate ratio of visible crime: the Poisson fit to 2011-2016.

    The published (and interpolated) region totals of the visible codes 2011-2016 are treated as
    draws around a log-linear expectation; its maximum-likelihood parameters are that expectation,
    which later years continue. Because the published years satisfy the likelihood equations at
    these parameters exactly, a log-linear Poisson fit over all years is unbiased for them.
    """
    series = _visible_expected_2011_2016()
    years = list(range(2011, 2017))
    totals = [sum(series[code][year] for code in VISIBLE_CODES) for year in years]
    return _poisson_log_linear_fit(years, totals)


LESS_VISIBLE_LEVEL_2011 = {"3.9.1": 2600.0, "3.7.4": 140.0, "3.1.1": 1150.0, "RVS.WITWAS": 95.0}
"""Expected region counts in 2011 of the less visible codes (plausible magnitudes)."""
OTHER_TRENDS = {"RVS.GEWELD": 0.985, "1.4.7": 0.96}
"""Annual rate ratios after 2016 of the codes that are neither visible nor less visible."""


def _expected_region_totals() -> dict[str, dict[int, float]]:
    """Expected region totals per offence code (except total crime) and year."""
    visible_level, visible_ratio = _visible_trend()
    less_visible_ratio = CRIME_CHANGE_TREND_RATIO * visible_ratio
    published_visible = _visible_expected_2011_2016()
    visible_2016 = sum(published_visible[code][2016] for code in VISIBLE_CODES)
    expected: dict[str, dict[int, float]] = {}
    for code in VISIBLE_CODES:
        share = published_visible[code][2016] / visible_2016
        expected[code] = dict(published_visible[code])
        for year in YEARS:
            if year > 2016:
                expected[code][year] = share * visible_level * visible_ratio ** (year - 2011)
    for code in LESS_VISIBLE_CODES:
        expected[code] = {
            year: LESS_VISIBLE_LEVEL_2011[code] * less_visible_ratio ** (year - 2011)
            for year in YEARS
        }
    for code, ratio in OTHER_TRENDS.items():
        published = PUBLISHED_REGION[code]
        expected[code] = {}
        for year in YEARS:
            if year <= 2016:
                expected[code][year] = _interpolate_log(published, year)
            else:
                expected[code][year] = published[2016] * ratio ** (year - 2016)
    return expected


def _expected_other_crime() -> dict[int, float]:
    """Expected region count of all other crime (total minus the codes above), log-linear."""
    expected = _expected_region_totals()
    other = {
        year: PUBLISHED_REGION["0.0.0"][year] - sum(series[year] for series in expected.values())
        for year in (2015, 2016)
    }
    ratio = other[2016] / other[2015]
    return {year: other[2016] * ratio ** (year - 2016) for year in YEARS}


# ------------------------------------------------------------------------------------------------
# Generation
# ------------------------------------------------------------------------------------------------

# Urbanity exponent of each code's municipal rate (rate proportional to density ** exponent).
_URBANITY = {
    "1.1.1": 0.10,
    "1.2.1": 0.25,
    "1.2.3": 0.55,
    "2.2.1": 0.20,
    "1.4.6": 0.70,
    "1.4.7": 0.35,
    "RVS.GEWELD": 0.30,
    "3.9.1": 0.10,
    "3.7.4": 0.0,
    "3.1.1": 0.40,
    "RVS.WITWAS": 0.30,
    "other": 0.25,
}
_DISTRICT_CALIBRATED = ("1.1.1", "1.4.6", "1.4.7", "other")


class _Generator:
    """Holds the random stream and the intermediate frames of one generation run."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.municipalities = _municipalities()
        self.codes = self.municipalities["gemeente_code"].to_numpy()
        self.district = self.municipalities["district"].to_numpy()
        self.population = _population(self.municipalities)  # (39, years)
        self.area = self.municipalities["land_area_km2"].to_numpy(dtype=float)
        self.year_index = {year: i for i, year in enumerate(YEARS)}
        self.jitter: dict[str, np.ndarray] = {}
        self.effects = self._municipal_effects()

    # -- municipal rate effects ------------------------------------------------------------------

    def _district_mask(self, district: str) -> np.ndarray:
        return self.district == district

    def _municipal_effects(self) -> dict[str, np.ndarray]:
        """A constant relative rate per municipality and code (population x effect = weight)."""
        density = self.population[:, self.year_index[2016]] / self.area
        effects = {}
        codes = [*OFFENCE_LABELS.keys() - {"0.0.0"}, "other"]
        for code in sorted(codes):
            effect = (density / 1000.0) ** _URBANITY[code] * np.exp(
                self.rng.normal(0.0, 0.2, len(density))
            )
            if code in _DISTRICT_CALIBRATED:
                effect = self._scale_to_districts(code, effect)
            effects[code] = effect
            self.jitter[code] = np.exp(
                self.rng.normal(0.0, MUNICIPAL_YEAR_SD, (len(density), len(YEARS)))
            )
        return effects

    def _scale_to_districts(self, code: str, effect: np.ndarray) -> np.ndarray:
        """Scale effects so each district's expected share equals its published 2015-2016 share."""
        population = self.population[:, self.year_index[2016]]
        if code == "other":
            published = {d: sum(PUBLISHED_DISTRICT["0.0.0"][d].values()) for d in DISTRICTS}
        else:
            published = {d: sum(PUBLISHED_DISTRICT[code][d].values()) for d in DISTRICTS}
        total = sum(published.values())
        scaled = effect.copy()
        for district in DISTRICTS:
            mask = self._district_mask(district)
            weight = np.sum(population[mask] * effect[mask])
            scaled[mask] = effect[mask] * (published[district] / total) / weight
        return scaled

    def weights(self, code: str, year: int) -> np.ndarray:
        """Allocation weights: population x municipal rate x a municipality-year factor."""
        column = self.year_index[year]
        return self.population[:, column] * self.effects[code] * self.jitter[code][:, column]

    # -- registered counts -----------------------------------------------------------------------

    def _shocked_total(self, mean: float) -> int:
        shock = self.rng.normal(-(YEAR_SHOCK_SD**2) / 2, YEAR_SHOCK_SD)
        return int(self.rng.poisson(mean * math.exp(shock)))

    def _allocate_districts(self, totals: dict[str, int], code: str, year: int) -> np.ndarray:
        counts = np.zeros(len(self.codes), dtype=np.int64)
        weights = self.weights(code, year)
        for district in DISTRICTS:
            mask = self._district_mask(district)
            counts[mask] = _multinomial(self.rng, totals[district], weights[mask])
        return counts

    def registered(self) -> dict[str, np.ndarray]:
        """Registered offences per code: array (municipalities, years)."""
        expected = _expected_region_totals()
        counts: dict[str, np.ndarray] = {}
        for code in sorted(expected):
            array = np.zeros((len(self.codes), len(YEARS)), dtype=np.int64)
            for year in YEARS:
                column = self.year_index[year]
                district_published = PUBLISHED_DISTRICT.get(code, {})
                if district_published and year in district_published[DISTRICTS[0]]:
                    totals = {d: int(district_published[d][year]) for d in DISTRICTS}
                    array[:, column] = self._allocate_districts(totals, code, year)
                elif year in PUBLISHED_REGION.get(code, {}):
                    total = int(PUBLISHED_REGION[code][year])
                    array[:, column] = _multinomial(self.rng, total, self.weights(code, year))
                else:
                    total = self._shocked_total(expected[code][year])
                    array[:, column] = _multinomial(self.rng, total, self.weights(code, year))
            counts[code] = array
        # Total crime = the codes above + all other crime (district totals fixed in 2015/2016).
        components = sum(counts.values())
        other_expected = _expected_other_crime()
        other = np.zeros_like(components)
        for year in YEARS:
            column = self.year_index[year]
            if year in PUBLISHED_DISTRICT["0.0.0"][DISTRICTS[0]]:
                totals = {}
                for district in DISTRICTS:
                    mask = self._district_mask(district)
                    remainder = PUBLISHED_DISTRICT["0.0.0"][district][year] - int(
                        components[mask, column].sum()
                    )
                    if remainder < 0:  # pragma: no cover - guarded by the calibration test
                        raise RuntimeError(f"Components exceed total crime in {district} {year}.")
                    totals[district] = remainder
                other[:, column] = self._allocate_districts(totals, "other", year)
            else:
                total = self._shocked_total(other_expected[year])
                other[:, column] = _multinomial(self.rng, total, self.weights("other", year))
        counts["0.0.0"] = components + other
        return counts

    # -- attempts and cleared --------------------------------------------------------------------

    def attempts(self, code: str, registered: np.ndarray) -> np.ndarray:
        """Attempted offences (pogingen) among the registered ones."""
        attempts = np.zeros_like(registered)
        if code == "1.1.1":
            share_2011 = (
                1 - PUBLISHED_REGION["1.1.1 completed"][2011] / PUBLISHED_REGION["1.1.1"][2011]
            )
            share_2015 = (
                1 - PUBLISHED_REGION["1.1.1 completed"][2015] / PUBLISHED_REGION["1.1.1"][2015]
            )
            shares = {2011: share_2011, 2015: share_2015, 2016: 0.345, 2023: 0.345}
        else:
            shares = {
                2011: 0.25 if code == "1.4.6" else 0.20,
                2023: 0.25 if code == "1.4.6" else 0.20,
            }
        for year in YEARS:
            column = self.year_index[year]
            trials = registered[:, column]
            if code == "1.1.1" and year == 2011:
                total = int(trials.sum() - PUBLISHED_REGION["1.1.1 completed"][2011])
                attempts[:, column] = self.rng.multivariate_hypergeometric(trials, total)
            elif code == "1.1.1" and year in (2015, 2016):
                for district in DISTRICTS:
                    mask = self._district_mask(district)
                    completed = PUBLISHED_DISTRICT["1.1.1 completed"][district][year]
                    total = int(trials[mask].sum() - completed)
                    attempts[mask, column] = self.rng.multivariate_hypergeometric(
                        trials[mask], total
                    )
            else:
                share = float(np.interp(year, sorted(shares), [shares[y] for y in sorted(shares)]))
                attempts[:, column] = self.rng.binomial(trials, share)
        return attempts

    def burgernet(self) -> np.ndarray:
        """Burgernet participants per 100 inhabitants, rounded to 2 decimals as written."""
        n = len(self.codes)
        base = np.clip(self.rng.normal(4.5, 1.6, n), 1.0, 9.0)
        slope = np.clip(self.rng.normal(0.40, 0.10, n), 0.1, 0.8)
        noise = self.rng.normal(0.0, 0.15, (n, len(YEARS)))
        years = np.array(YEARS) - 2011
        values = np.clip(base[:, None] + slope[:, None] * years[None, :] + noise, 0.5, None)
        return np.round(values, 2)

    def density(self) -> np.ndarray:
        """Inhabitants per km2, rounded to 1 decimal as written."""
        return np.round(self.population / self.area[:, None], 1)

    def cleared(self, code, registered, burgernet) -> np.ndarray:
        """Cleared offences per municipality and year; burglary with the planted Burgernet effect.

        Logit of the clearance probability = district intercept + year intercept
        + beta x burgernet (burglary only) + a municipal random effect. Where the source document
        publishes a clearance percentage, the district (or region) total of cleared offences is
        fixed to a whole count that rounds to it and the municipal counts are drawn from the exact
        conditional distribution given that total, which leaves beta identifiable with district
        and year effects.
        """
        beta = math.log(BURGERNET_ODDS_RATIO) if code == "1.1.1" else 0.0
        region_rates = {
            "1.1.1": {2011: 8.0, 2013: 8.4, 2015: 8.5, 2016: 7.8, 2018: 8.9, 2023: 10.2},
            "1.4.6": {2011: 23.0, 2015: 22.0, 2016: 33.0, 2023: 32.0},
            "1.4.7": {2011: 38.0, 2015: 40.0, 2016: 53.0, 2023: 52.0},
        }[code]
        district_rate = {
            d: np.mean(list(PUBLISHED_DISTRICT[f"{code} clearance %"][d].values()))
            for d in DISTRICTS
        }
        region_mean = np.mean([PUBLISHED_REGION[f"{code} clearance %"][y] for y in (2015, 2016)])
        spread = MUNICIPAL_CLEARANCE_SD if code == "1.1.1" else 0.10
        municipal = self.rng.normal(0.0, spread, len(self.codes))
        district_intercept = np.array(
            [_logit(district_rate[d] / 100) - _logit(region_mean / 100) for d in self.district]
        )
        weights = self.population[:, self.year_index[2016]]
        cleared = np.zeros_like(registered)
        for year in YEARS:
            column = self.year_index[year]
            trials = registered[:, column]
            covariate = beta * burgernet[:, column]
            mean_covariate = np.sum(weights * covariate) / weights.sum()
            rate = float(
                np.interp(
                    year, sorted(region_rates), [region_rates[y] for y in sorted(region_rates)]
                )
            )
            logits = (
                _logit(rate / 100) - mean_covariate + district_intercept + covariate + municipal
            )
            percent_key = f"{code} clearance %"
            if year in PUBLISHED_DISTRICT[percent_key][DISTRICTS[0]]:
                proposal = {
                    d: int(
                        self.rng.binomial(
                            trials[self.district == d], _expit(logits[self.district == d])
                        ).sum()
                    )
                    for d in DISTRICTS
                }
                totals = self._choose_district_totals(code, year, trials, proposal)
                for district in DISTRICTS:
                    mask = self._district_mask(district)
                    cleared[mask, column] = _binomials_with_sum(
                        self.rng, trials[mask], logits[mask], totals[district]
                    )
            elif year in PUBLISHED_REGION[percent_key]:
                proposal = int(self.rng.binomial(trials, _expit(logits)).sum())
                feasible = _counts_rounding_to(
                    PUBLISHED_REGION[percent_key][year], int(trials.sum())
                )
                total = min(feasible, key=lambda c: (abs(c - proposal), c))
                cleared[:, column] = _binomials_with_sum(self.rng, trials, logits, total)
            else:
                cleared[:, column] = self.rng.binomial(trials, _expit(logits))
        return cleared

    def _choose_district_totals(self, code, year, trials, proposal) -> dict[str, int]:
        """Whole cleared totals per district whose percentages, and the region's, round as published."""
        percent_key = f"{code} clearance %"
        options = []
        for district in DISTRICTS:
            n = int(trials[self.district == district].sum())
            feasible = _counts_rounding_to(PUBLISHED_DISTRICT[percent_key][district][year], n)
            if not feasible:  # pragma: no cover - the published figures admit a solution
                raise RuntimeError(
                    f"No whole count rounds to the published {code} {district} {year}."
                )
            options.append(feasible)
        region_percent = PUBLISHED_REGION[percent_key][year]
        decimals = _decimals(region_percent)
        target = round(region_percent * 10**decimals)
        region_trials = int(trials.sum())
        best = None
        for combination in itertools.product(*options):
            if _round_half_up(sum(combination), region_trials, decimals) != target:
                continue
            distance = sum(
                (c - proposal[d]) ** 2 for c, d in zip(combination, DISTRICTS, strict=True)
            )
            if best is None or distance < best[0]:
                best = (distance, combination)
        if best is None:  # pragma: no cover
            raise RuntimeError(
                f"No district totals reproduce the published {code} {year} percentages."
            )
        return dict(zip(DISTRICTS, best[1], strict=True))

    # -- monthly burglary ------------------------------------------------------------------------

    def monthly(self, registered: np.ndarray) -> np.ndarray:
        """Monthly burglary (municipalities, years, 12): a multinomial split of each annual count."""
        shares = np.array(SEASONAL_INDEX) / np.sum(SEASONAL_INDEX)
        months = np.zeros((*registered.shape, 12), dtype=np.int64)
        for i in range(registered.shape[0]):
            for j in range(registered.shape[1]):
                months[i, j] = self.rng.multinomial(int(registered[i, j]), shares)
        return months

    # -- survey ----------------------------------------------------------------------------------

    def survey(self) -> pd.DataFrame:
        """Survey microdata like the Veiligheidsmonitor, with the planted pilot effect.

        For respondent i in municipality m and wave t, P(feels unsafe) = base_m + wave_t
        + effect x pilot_m x after_t + shock_mt + 0.01 x z_i (a linear probability model, so the
        effect is a difference in percentage points), likewise for youth nuisance; z_i is the
        standardised log of the respondent's design factor (groups that respond less get larger
        weights and feel slightly less safe). Weights = adult population / respondents x design
        factor (mean 1 within a municipality and wave).
        """
        rng = self.rng
        n = len(self.codes)
        population_2017 = self.municipalities["population_2017"].to_numpy(dtype=float)
        pilot = self.municipalities["pilot"].to_numpy()
        start_year = _pilot_start_year()
        log_size = np.log(population_2017 / 50000.0)
        base_unsafe = np.clip(0.14 + 0.03 * log_size + rng.normal(0, 0.025, n), 0.11, 0.32)
        base_youth = np.clip(0.27 + 0.03 * log_size + rng.normal(0, 0.03, n), 0.15, 0.40)
        wave_unsafe = dict(
            zip(SURVEY_WAVES, (0.010, 0.0, -0.004, -0.008, -0.012, -0.020, -0.016), strict=True)
        )
        wave_youth = dict(
            zip(SURVEY_WAVES, (0.012, 0.0, -0.008, -0.014, -0.020, -0.005, -0.028), strict=True)
        )
        size = np.clip(np.rint(150 + 550 * population_2017 / 343000.0), 150, 900).astype(int)
        frames = []
        for wave in SURVEY_WAVES:
            column = self.year_index[wave]
            after = wave > start_year
            respondents = np.clip(np.rint(size * rng.uniform(0.9, 1.1, n)), 150, 900).astype(int)
            shock_unsafe = np.clip(rng.normal(0, SURVEY_MUNICIPALITY_WAVE_SD, n), -0.025, 0.025)
            shock_youth = np.clip(rng.normal(0, SURVEY_MUNICIPALITY_WAVE_SD, n), -0.025, 0.025)
            for m in range(n):
                count = int(respondents[m])
                z = np.clip(rng.standard_normal(count), -2.0, 2.0)
                factor = np.exp(0.35 * z)
                factor /= factor.mean()
                adults = self.population[m, column] * ADULT_SHARE
                effect = pilot[m] and after
                frames.append(
                    pd.DataFrame(
                        {
                            "m": m,
                            "year": wave,
                            "weight": np.round(adults / count * factor, 1),
                            "p_unsafe": base_unsafe[m]
                            + wave_unsafe[wave]
                            + (PILOT_EFFECT_FEELS_UNSAFE_PP / 100 if effect else 0.0)
                            + shock_unsafe[m]
                            + 0.01 * z,
                            "p_youth": base_youth[m]
                            + wave_youth[wave]
                            + (PILOT_EFFECT_YOUTH_NUISANCE_PP / 100 if effect else 0.0)
                            + shock_youth[m]
                            + 0.01 * z,
                        }
                    )
                )
        survey = pd.concat(frames, ignore_index=True)
        # Calibrate the 2013 level of youth nuisance to the published 28% (a shift of all waves).
        in_2013 = survey["year"].to_numpy() == 2013
        weights = survey["weight"].to_numpy()
        target = PUBLISHED_YOUTH_NUISANCE_2013_PERCENT / 100
        expected_2013 = np.sum(weights[in_2013] * survey["p_youth"].to_numpy()[in_2013]) / np.sum(
            weights[in_2013]
        )
        survey["p_youth"] = survey["p_youth"] + (target - expected_2013)
        for name in ("p_unsafe", "p_youth"):
            values = survey[name].to_numpy()
            if (
                values.min() <= 0 or values.max() >= 1
            ):  # pragma: no cover - parameters keep them inside
                raise RuntimeError(f"Survey probability {name} outside (0, 1).")
        survey["feels_unsafe"] = (rng.random(len(survey)) < survey["p_unsafe"]).astype(int)
        youth = (rng.random(len(survey)) < survey["p_youth"]).astype(int)
        # The published figure is a whole percentage: redraw the 2013 answers (exact conditioning
        # on the event) until the weighted 2013 share lies within 0.25 points of 28%.
        for _ in range(10_000):
            share = np.sum(weights[in_2013] * youth[in_2013]) / np.sum(weights[in_2013])
            if abs(100 * share - PUBLISHED_YOUTH_NUISANCE_2013_PERCENT) <= 0.25:
                break
            youth[in_2013] = (
                rng.random(int(in_2013.sum())) < survey["p_youth"].to_numpy()[in_2013]
            ).astype(int)
        else:  # pragma: no cover - the expected share is 28% exactly, so a hit comes quickly
            raise RuntimeError("Could not calibrate the 2013 youth nuisance share to 28%.")
        survey["youth_nuisance"] = youth
        survey["gemeente_code"] = self.codes[survey["m"].to_numpy()]
        survey["respondent_id"] = survey.groupby("year").cumcount() + 1
        return survey[
            ["gemeente_code", "year", "respondent_id", "weight", "feels_unsafe", "youth_nuisance"]
        ]

    # -- indicators ------------------------------------------------------------------------------

    def indicators(self) -> pd.DataFrame:
        """Region (and, for suspects, district) indicators; published years as published."""
        rng = self.rng
        paths = {
            # indicator: (expected 2011-2014, annual ratio after 2016, noise kind)
            "afgehandelde_verdachten": ((27300, 26400, 25500, 24700), 0.99, "lognormal"),
            "csv_aangepakt": ((48, 52, 57, 60), 1.02, "poisson"),
            "afpakken_x1000_euro": ((7800, 8900, 9800, 10900), 1.03, "lognormal"),
            "cybercrime_onderzoeken": ((2, 3, 4, 6), 1.10, "poisson"),
            "fraudezaken_horizontaal": ((150, 160, 172, 185), 1.04, "poisson"),
        }
        noise_sd = {"afgehandelde_verdachten": 0.02, "afpakken_x1000_euro": 0.12}
        rows = []
        for indicator, (early, ratio, noise) in paths.items():
            published = PUBLISHED_REGION[indicator]
            for year in YEARS:
                if year in published:
                    value = int(published[year])
                else:
                    mean = (
                        early[year - 2011]
                        if year < 2015
                        else published[2016] * ratio ** (year - 2016)
                    )
                    if noise == "poisson":
                        value = int(rng.poisson(mean))
                    else:
                        value = int(round(mean * math.exp(rng.normal(0, noise_sd[indicator]))))
                rows.append((REGION_NAME, year, indicator, value))
                if indicator == "afgehandelde_verdachten":
                    district_published = PUBLISHED_DISTRICT[indicator]
                    if year in published:
                        split = [int(district_published[d][year]) for d in DISTRICTS]
                    else:
                        shares = [sum(district_published[d].values()) for d in DISTRICTS]
                        split = _multinomial(rng, value, shares).tolist()
                    rows.extend(
                        (district, year, indicator, int(count))
                        for district, count in zip(DISTRICTS, split, strict=True)
                    )
        return pd.DataFrame(rows, columns=["area", "year", "indicator", "value"])


# ------------------------------------------------------------------------------------------------
# Public API
# ------------------------------------------------------------------------------------------------


def _long(array: np.ndarray, codes, value_name: str) -> pd.DataFrame:
    frame = pd.DataFrame(array, columns=list(YEARS))
    frame.insert(0, "gemeente_code", codes)
    return frame.melt(id_vars="gemeente_code", var_name="year", value_name=value_name)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n")


def _append_merger_neighbours(seed: int, frames: dict) -> dict:
    """``frames`` with the rows of Leerdam and Zederik appended (:mod:`.demo_neighbours`)."""
    model = DemoModel(
        BOUNDARY_YEAR,
        _URBANITY,
        {code: values[1] for code, values in MUNICIPALITY_PARAMETERS.items()},
        SEASONAL_INDEX,
        ADULT_SHARE,
        BURGERNET_ODDS_RATIO,
        (MUNICIPAL_YEAR_SD, MUNICIPAL_CLEARANCE_SD, SURVEY_MUNICIPALITY_WAVE_SD),
    )
    return append_merger_neighbours(seed, model, frames)


CRIME_COLUMNS = ["offence_code", "offence_label", "gemeente_code", "gemeente_name", "year",
                 "registered_offences", "provisional"]  # fmt: skip
"""Columns of ``registered_crime.csv``, in order."""
CLEARED_COLUMNS = ["gemeente_code", "year", "offence_code", "registered_offences",
                   "cleared_offences", "attempted_offences", "population_density",
                   "burgernet_participation"]  # fmt: skip
"""Columns of ``cleared_offences.csv``, in order."""


def generate(out_dir: Path | str | None = None, seed: int = DEFAULT_SEED) -> Path:
    """Write the demo data set in the tidy layout; the same seed gives byte-identical files.

    Parameters
    ----------
    out_dir : pathlib.Path or str, optional
        Folder to write (created if needed). Default: :data:`DEMO_DIR`, the embedded data set.
    seed : int, default 20170101
        Seed of :func:`numpy.random.default_rng`; everything random is drawn from that one stream.

    Returns
    -------
    pathlib.Path
        The folder written, holding ``registered_crime.csv``, ``population.csv``,
        ``cleared_offences.csv``, ``monthly_crime.csv``, ``survey_microdata.csv``,
        ``indicators.csv`` and ``metadata.json``, and the wijk and buurt files of
        :func:`rvs_analysis.sources.demo_neighbourhoods.generate_neighbourhoods`.

    Notes
    -----
    Method, in the order of the random stream:

    1. Populations: the typed 2017 populations grown log-linearly at each municipality's typed rate.
    2. A constant relative rate per municipality and offence code: density ** urbanity exponent times
       a log-normal factor; for burglary, robbery, street robbery and other crime scaled so each
       district's expected share equals its published 2015-2016 share.
    3. Registered offences: where the source document fixes a district total (2015, 2016) or a
       region total (2011 baselines, 2011-2016 series) that total is allocated multinomially over the
       municipalities with weights population x rate; otherwise the region total is Poisson around
       its expectation times a log-normal year shock (sd :data:`YEAR_SHOCK_SD`, mean 1) and then
       allocated. Visible crime after 2016 and less visible crime throughout follow log-linear
       expectations (see :func:`truth`). Total crime = the other codes + all other crime, whose
       district totals are fixed in 2015 and 2016.
    4. Burglary attempts, Burgernet participation, cleared offences (see ``_Generator.cleared``),
       monthly burglary (multinomial over months with :data:`SEASONAL_INDEX`), survey microdata
       and indicators.
    5. Leerdam and Zederik, each from its own stream (:mod:`.demo_neighbours`), after the region.
    6. The wijk and buurt files, from their own stream ``default_rng([seed, 31])``: the files above
       are the same with or without them.

    All CSV files use ``\\n`` line ends and fixed decimals (density 1, Burgernet 2, weights 2).
    """
    out_dir = DEMO_DIR if out_dir is None else Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    generator = _Generator(seed)
    municipalities = generator.municipalities
    codes = generator.codes
    names = dict(zip(municipalities["gemeente_code"], municipalities["gemeente_name"], strict=True))

    population = _long(generator.population, codes, "population")
    registered = generator.registered()

    crime = pd.concat(
        [
            _long(array, codes, "registered_offences").assign(offence_code=code)
            for code, array in registered.items()
        ],
        ignore_index=True,
    )
    crime["offence_label"] = crime["offence_code"].map(OFFENCE_LABELS)
    crime["gemeente_name"] = crime["gemeente_code"].map(names)
    crime["provisional"] = 0
    crime = crime.sort_values(["offence_code", "gemeente_code", "year"])[CRIME_COLUMNS]

    burgernet = generator.burgernet()
    density = generator.density()
    cleared_frames = []
    for code in CLEARED_CODES:
        attempts = generator.attempts(code, registered[code])
        cleared = generator.cleared(code, registered[code], burgernet)
        frame = _long(registered[code], codes, "registered_offences")
        frame["offence_code"] = code
        frame["cleared_offences"] = _long(cleared, codes, "v")["v"]
        frame["attempted_offences"] = _long(attempts, codes, "v")["v"]
        frame["population_density"] = _long(density, codes, "v")["v"].map("{:.1f}".format)
        frame["burgernet_participation"] = _long(burgernet, codes, "v")["v"].map("{:.2f}".format)
        cleared_frames.append(frame)
    cleared_table = pd.concat(cleared_frames, ignore_index=True).sort_values(
        ["gemeente_code", "year", "offence_code"]
    )[CLEARED_COLUMNS]

    months = generator.monthly(registered["1.1.1"])
    monthly = pd.DataFrame(
        {
            "gemeente_code": np.repeat(codes, len(YEARS) * 12),
            "year": np.tile(np.repeat(YEARS, 12), len(codes)),
            "month": np.tile(np.arange(1, 13), len(codes) * len(YEARS)),
            "offence_code": "1.1.1",
            "registered_offences": months.reshape(-1),
        }
    )

    survey = generator.survey()
    survey["weight"] = survey["weight"].map("{:.1f}".format)
    indicators = generator.indicators()

    frames = {
        "registered_crime": crime,
        "population": population.sort_values(["gemeente_code", "year"]),
        "cleared_offences": cleared_table,
        "monthly_crime": monthly.sort_values(["gemeente_code", "year", "month"]),
        "survey_microdata": survey,
        "indicators": indicators,
    }
    for stem, frame in _append_merger_neighbours(seed, frames).items():
        _write_csv(frame, out_dir / f"{stem}.csv")
    metadata = {
        "crime_boundary_year": BOUNDARY_YEAR,
        "population_boundary_year": BOUNDARY_YEAR,
        "is_demo": True,
        "title": TITLE,
        "seed": int(seed),
        "generator_version": GENERATOR_VERSION,
    }
    (out_dir / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    generate_neighbourhoods(out_dir, seed, municipalities)
    return out_dir


def truth() -> dict:
    """The effects the demo generator plants, as ``{"effects": {name: {"value", "description"}}}``.

    Returns
    -------
    dict
        ``{"effects": {"<name>": {"value": float, "description": str}}}``; the names are the ones
        the report notebooks use for their estimates (see ``data/demo/README.md``). The values do
        not depend on the seed.

    Notes
    -----
    The visible crime trend is the maximum-likelihood log-linear Poisson fit to the published (and,
    for burglary and street robbery 2012-2014, log-linearly interpolated) region totals of visible
    crime 2011-2016, which the generator continues after 2016; less visible crime grows at
    :data:`CRIME_CHANGE_TREND_RATIO` times that rate ratio, in every municipality.
    """
    _, visible_ratio = _visible_trend()
    dark = np.mean([SEASONAL_INDEX[m - 1] for m in DARK_MONTHS])
    light = np.mean([SEASONAL_INDEX[m - 1] for m in range(1, 13) if m not in DARK_MONTHS])
    effects = {
        "burglary_clearance_or_burgernet": (
            BURGERNET_ODDS_RATIO,
            "Odds ratio of a residential burglary being cleared per 1 Burgernet participant per 100 "
            "inhabitants (logistic model with district and year intercepts; cleared_offences.csv, "
            "offence 1.1.1, covariate burgernet_participation).",
        ),
        "burglary_clearance_or_density": (
            1.0,
            "Odds ratio of a residential burglary being cleared per 1,000 inhabitants per km2 of "
            "population density: no effect planted (same model as burglary_clearance_or_burgernet).",
        ),
        "pilot_effect_feels_unsafe_pp": (
            PILOT_EFFECT_FEELS_UNSAFE_PP,
            "Difference-in-differences, in percentage points, of the weighted share feeling unsafe in "
            "the own neighbourhood: the ten pilot municipalities against the other 29, waves 2019-2023 "
            "(after the pilots' start in 2017) against 2011-2017; parallel trends before.",
        ),
        "pilot_effect_youth_nuisance_pp": (
            PILOT_EFFECT_YOUTH_NUISANCE_PP,
            "Difference-in-differences, in percentage points, of the weighted share experiencing youth "
            "nuisance: pilot municipalities against the others, waves 2019-2023 against 2011-2017.",
        ),
        "crime_change_trend_ratio": (
            CRIME_CHANGE_TREND_RATIO,
            "Annual rate ratio of less visible crime (3.9.1, 3.7.4, 3.1.1, RVS.WITWAS) divided by "
            "that of visible crime (1.1.1, 1.2.1, 1.2.3, 2.2.1, 1.4.6), 2011-2023: the category x "
            "year interaction of a log-linear count model.",
        ),
        "visible_annual_rate_ratio": (
            round(visible_ratio, 6),
            "Annual rate ratio of the expected count of visible crime in the region, 2011-2023.",
        ),
        "less_visible_annual_rate_ratio": (
            round(CRIME_CHANGE_TREND_RATIO * visible_ratio, 6),
            "Annual rate ratio of the expected count of less visible crime in the region, 2011-2023.",
        ),
        "burglary_seasonal_peak_month": (
            float(int(np.argmax(SEASONAL_INDEX)) + 1),
            "Month (1-12) with the highest expected residential burglary count (December).",
        ),
        "burglary_dark_months_rate_ratio": (
            round(float(dark / light), 6),
            "Mean expected monthly residential burglary count in October-January divided by that in "
            "February-September (monthly_crime.csv).",
        ),
    }
    return {
        "effects": {
            name: {"value": float(value), "description": description}
            for name, (value, description) in effects.items()
        }
    }
