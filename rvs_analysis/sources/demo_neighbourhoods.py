"""Synthetic wijken and buurten for the demo data set, with planted hot spots and surges.

:func:`generate_neighbourhoods` writes the neighbourhood files of the tidy layout (``docs/ARCHITECTURE.md``,
"Wijk and buurt files") into the demo folder: ``neighbourhood_crime.csv.xz`` (yearly, 2012-2023),
``neighbourhood_monthly_crime.csv.xz`` (monthly, January 2014 to June 2024, the latest month
provisional), ``neighbourhood_population.csv``, ``neighbourhoods.geojson`` (the 2024 polygons) and
``neighbourhood_truth.csv`` (what is planted, :func:`truth_table`). :mod:`rvs_analysis.sources.demo`
calls it from :func:`~rvs_analysis.sources.demo.generate` with its own seed; everything random here
is drawn from a separate stream (``numpy.random.default_rng([seed, NEIGHBOURHOOD_STREAM])``), so the
municipal demo files are unchanged by it.

Every name is plainly synthetic ("Wijk 03 Oost (demo)", "Buurt 03-02 Kade (demo)") and every
polygon is a rectangle inside the municipality's square of the tile map (``data/regions/tile_grid.csv``),
not a real boundary. Codes are shaped as CBS pads them: ``WK`` + the municipality's four digits + a
two-digit wijk number, ``BU`` + those six digits + a two-digit buurt number.

What is planted (the same for every seed; :func:`truth_table`):

* persistent hot spots: six buurten whose rate of every offence type is 2-4 times the rate a buurt
  of their municipality has otherwise (:data:`HOT_SPOTS`), from 2019 to the latest month;
* surges: three buurten and one wijk (all its buurten) where one offence type runs at 3 times its
  expected rate over the latest three months, April-June 2024 (:data:`SURGES`);
* recodings: in Utrecht one buurt split into two from 2019, in Amersfoort two buurten merged into
  one from 2021 (:data:`RECODINGS`); CBS gives no key between old and new codes, so the new codes'
  series start at the recoding.

Withheld cells ("niet gepubliceerd", written empty, never 0): every figure of a buurt with fewer
than :data:`WITHHELD_BELOW` inhabitants (a business park in each municipality with 20 buurten or
more) and a scattering of single cells chosen at random, independently of their counts
(:data:`SCATTERED_WITHHELD_YEARLY`, :data:`SCATTERED_WITHHELD_MONTHLY`), never in a planted area.
"""

from __future__ import annotations

import json
import lzma
import math
from pathlib import Path

import numpy as np
import pandas as pd

from rvs_analysis.resources import data_path

__all__ = [
    "BOUNDARY_FILE_YEAR",
    "FILES",
    "HOT_SPOTS",
    "LATEST_MONTH",
    "MONTHLY_FIRST",
    "NEIGHBOURHOOD_OFFENCES",
    "NEIGHBOURHOOD_STREAM",
    "RECODINGS",
    "SURGES",
    "TRUTH_COLUMNS",
    "YEARS",
    "area_name",
    "generate_neighbourhoods",
    "truth_table",
]

NEIGHBOURHOOD_STREAM = 31
"""Second word of the seed of the neighbourhood stream (``default_rng([seed, 31])``; issue 31)."""
YEARS = tuple(range(2012, 2024))
"""Years of the yearly table (complete years only, as CBS publishes 47018NED)."""
MONTHLY_FIRST = (2014, 1)
"""First month written to the monthly table."""
LATEST_MONTH = (2024, 6)
"""The latest month of the monthly table, marked provisional."""
_SIMULATED_FIRST = (2012, 1)
BOUNDARY_FILE_YEAR = 2024
"""The year of the polygons in ``neighbourhoods.geojson`` (the codes valid in 2024)."""

FILES = {
    "yearly": "neighbourhood_crime.csv.xz",
    "monthly": "neighbourhood_monthly_crime.csv.xz",
    "population": "neighbourhood_population.csv",
    "boundaries": "neighbourhoods.geojson",
    "truth": "neighbourhood_truth.csv",
}
"""The files :func:`generate_neighbourhoods` writes."""

NEIGHBOURHOOD_OFFENCES: dict[str, tuple[str, float, float, str]] = {
    # CBS SoortMisdrijf key: (title, rate per 1,000 inhabitants a year in 2018 at median density,
    # annual rate ratio, seasonal profile)
    "1.1.1": ("Diefstal/inbraak woning", 3.0, 0.95, "dark"),
    "1.1.2": ("Diefstal/inbraak box/garage/schuur", 1.0, 0.97, "dark"),
    "1.2.1": ("Diefstal uit/vanaf motorvoertuigen", 4.0, 0.96, "flat"),
    "1.2.2": ("Diefstal van motorvoertuigen", 0.8, 0.98, "flat"),
    "1.2.3": ("Diefstal van brom-, snor-, fietsen", 7.0, 0.98, "autumn"),
    "1.4.2": ("Moord, doodslag", 0.1, 1.00, "flat"),
    "1.4.4": ("Bedreiging", 1.2, 1.01, "summer"),
    "1.4.5": ("Mishandeling", 2.5, 0.99, "summer"),
    "2.2.1": ("Vernieling cq. zaakbeschadiging", 4.5, 0.98, "new_year"),
    "2.5.1": ("Diefstal/inbraak bedrijven enz.", 1.5, 0.97, "flat"),
    "3.1.1": ("Drugshandel", 0.4, 1.02, "flat"),
    "3.1.3": ("Wapenhandel", 0.2, 1.03, "flat"),
}
"""The twelve offence types of the neighbourhood tables (the SoortMisdrijf keys and titles of CBS
47018NED/47022NED, as in the shared extract) with the demo's typed rates, trends and seasonality.
``0.0.0`` Totaal misdrijven is their sum plus all other crime (:data:`OTHER_RATE` per 1,000)."""
TOTAL_CODE = "0.0.0"
TOTAL_LABEL = "Totaal misdrijven"
OTHER_RATE = 24.0
"""Rate per 1,000 inhabitants a year of crime outside the twelve types (only in ``0.0.0``)."""

SEASONAL_PROFILES = {
    "flat": (1.0,) * 12,
    "dark": (1.20, 0.95, 0.88, 0.80, 0.76, 0.72, 0.74, 0.80, 0.90, 1.10, 1.30, 1.40),
    "autumn": (0.75, 0.70, 0.85, 0.95, 1.05, 1.05, 1.00, 1.05, 1.20, 1.25, 1.15, 0.90),
    "summer": (0.85, 0.85, 0.95, 1.00, 1.10, 1.10, 1.10, 1.05, 1.00, 0.95, 0.90, 1.00),
    "new_year": (1.45, 0.90, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 1.10),
}
"""Relative expected counts January-December (mean 1 up to rounding)."""

DENSITY_EXPONENT = 0.3
"""A municipality's rates scale with (its density / the median density) ** 0.3."""
BUURT_SD = 0.20
"""Log-scale sd of a buurt's constant factor on every offence (truncated at two sd)."""
BUURT_OFFENCE_SD = 0.15
"""Log-scale sd of a buurt's constant factor per offence type (truncated at two sd)."""
YEAR_SD = 0.08
"""Log-scale sd of the buurt-by-offence-by-year factor (mean 1): overdispersion between years."""
WITHHELD_BELOW = 50
"""A buurt with fewer inhabitants has every figure withheld (written empty)."""
SCATTERED_WITHHELD_YEARLY = 0.003
"""Share of the other buurt cells of the yearly table withheld at random."""
SCATTERED_WITHHELD_MONTHLY = 0.001
"""Share of the other buurt cells of the monthly table withheld at random."""
PEOPLE_PER_BUURT = 8_000
"""Outside Utrecht a municipality has ``round(population / 8,000)`` buurten, at least three."""

HOT_SPOTS: dict[str, float] = {
    "BU03440304": 4.0,  # Utrecht
    "BU03440702": 2.0,  # Utrecht
    "BU03070203": 3.0,  # Amersfoort
    "BU00340302": 3.0,  # Almere
    "BU09950102": 4.0,  # Lelystad
    "BU03450201": 2.5,  # Veenendaal
}
"""Planted persistent hot spots: buurt code -> rate ratio to the municipality's ordinary buurt
rate, on every offence type, from :data:`HOT_SPOT_FIRST_YEAR` to the latest month."""
HOT_SPOT_FIRST_YEAR = 2019
SURGES: dict[str, tuple[str, float]] = {
    "BU03440505": ("1.2.3", 3.0),  # Utrecht, bicycle theft
    "BU03560201": ("1.1.1", 3.0),  # Nieuwegein, residential burglary
    "BU04020301": ("2.2.1", 3.0),  # Hilversum, vandalism
    "WK030704": ("1.2.1", 3.0),  # Amersfoort, car break-ins in every buurt of the wijk
}
"""Planted surges: area code -> (offence, rate ratio) over the latest :data:`SURGE_MONTHS` months."""
SURGE_MONTHS = 3
RECODINGS: dict[str, tuple[tuple[str, ...], tuple[str, ...], int]] = {
    "split": (("BU03440905",), ("BU03440911", "BU03440912"), 2019),
    "merge": (("BU03070103", "BU03070104"), ("BU03070111",), 2021),
}
"""Planted recodings: (old codes, new codes, first year of the new codes); no key links them."""
PLANTED_MINIMUM_SHARE = 1.2
"""A planted buurt has at least 1.2 times the mean population of its municipality's buurten."""

TRUTH_COLUMNS = (
    "truth",
    "area_code",
    "area_kind",
    "area_name",
    "gemeente_code",
    "offence_code",
    "first_year",
    "first_month",
    "last_year",
    "last_month",
    "rate_ratio",
    "note",
)
"""The columns of ``neighbourhood_truth.csv`` and of :func:`truth_table`."""

_WIJK_WORDS = ("Centrum", "Noord", "Oost", "Zuid", "West", "Noordoost", "Zuidoost", "Zuidwest")
_WIJK_WORDS += ("Noordwest", "Buitengebied")
_BUURT_WORDS = ("Akker", "Beek", "Dijk", "Hof", "Kade", "Laan", "Park", "Veld", "Weide", "Zoom")
_BUURT_WORDS += ("Haven", "Hoeve", "Singel", "Gaarde", "Erf")
_TILE_ORIGIN = (4.80, 52.75)  # longitude of column 0, latitude of the top of row 0 (WGS84)
_TILE_STEP = (0.14, 0.09)
_TILE_SIZE = (0.13, 0.08)


# ------------------------------------------------------------------------------------------------
# Planted truths
# ------------------------------------------------------------------------------------------------


def truth_table() -> pd.DataFrame:
    """The planted truths of the demo's wijk and buurt data, one row per planted area.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TRUTH_COLUMNS`: ``truth`` (``hot_spot``, ``surge`` or ``recoded``),
        ``area_code``, ``area_kind`` (``buurt`` or ``wijk``), ``area_name``, ``gemeente_code``, ``offence_code``
        (``0.0.0`` for a hot spot: every offence type), the first and last year and month the
        planted effect holds (for a recoded code: the months its series covers), ``rate_ratio``
        (empty for a recoding) and a ``note`` in English. The same for every seed.

    Notes
    -----
    A hot spot's ``rate_ratio`` is against the expected rate of an ordinary buurt of its
    municipality (whose own constant factors, sd :data:`BUURT_SD` and :data:`BUURT_OFFENCE_SD` on the
    log scale, are replaced for the planted buurt by the ratio from :data:`HOT_SPOT_FIRST_YEAR` on;
    before that year the buurt is ordinary with factor 1). A surge multiplies the area's expected
    count of one offence type in each of the latest :data:`SURGE_MONTHS` months.
    """
    last_year, last_month = LATEST_MONTH
    rows = []
    for code, ratio in HOT_SPOTS.items():
        rows.append(
            ("hot_spot", code, "buurt", area_name(code), "GM" + code[2:6], TOTAL_CODE)
            + (HOT_SPOT_FIRST_YEAR, 1)
            + (last_year, last_month, ratio, "every offence type, to the latest month")
        )
    first_year, first_month = _shift(LATEST_MONTH, -(SURGE_MONTHS - 1))
    for code, (offence, ratio) in SURGES.items():
        kind = "wijk" if code.startswith("WK") else "buurt"
        note = "every buurt of the wijk" if kind == "wijk" else "one buurt"
        rows.append(
            (
                "surge",
                code,
                kind,
                area_name(code),
                "GM" + code[2:6],
                offence,
                first_year,
                first_month,
            )
            + (last_year, last_month, ratio, note)
        )
    for old, new, year in RECODINGS.values():
        joined_old, joined_new = ", ".join(old), ", ".join(new)
        for code in old:
            rows.append(
                ("recoded", code, "buurt", area_name(code), "GM" + code[2:6], "")
                + (_SIMULATED_FIRST[0], 1)
                + (
                    year - 1,
                    12,
                    math.nan,
                    f"replaced by {joined_new} from {year}; no key links them",
                )
            )
        for code in new:
            rows.append(
                ("recoded", code, "buurt", area_name(code), "GM" + code[2:6], "", year, 1)
                + (
                    last_year,
                    last_month,
                    math.nan,
                    f"new in {year} (was {joined_old}); the series starts at the recoding",
                )
            )
    table = pd.DataFrame(rows, columns=list(TRUTH_COLUMNS))
    return table.astype(
        {"first_year": int, "first_month": int, "last_year": int, "last_month": int}
    )


def area_name(code: str, business_park: bool = False) -> str:
    """The demo's synthetic name of a wijk or buurt code (the same for every seed).

    Parameters
    ----------
    code : str
        ``WK`` + six digits or ``BU`` + eight digits.
    business_park : bool, default False
        The name of a business park (the last buurt of a large municipality).

    Returns
    -------
    str
        ``"Wijk 03 Zuid (demo)"``, ``"Buurt 03-02 Kade (demo)"``; a buurt numbered 11 or more (new
        after a recoding) is ``"Buurt 09-11 Nieuw (demo)"``.
    """
    wijk = int(code[6:8])
    if code.startswith("WK"):
        return f"Wijk {wijk:02d} {_WIJK_WORDS[(wijk - 1) % len(_WIJK_WORDS)]} (demo)"
    buurt = int(code[8:10])
    if business_park:
        word = "Bedrijventerrein"
    elif buurt > 10:
        word = "Nieuw"
    else:
        word = _BUURT_WORDS[((wijk - 1) * 7 + buurt - 1) % len(_BUURT_WORDS)]
    return f"Buurt {wijk:02d}-{buurt:02d} {word} (demo)"


def _shift(month: tuple[int, int], by: int) -> tuple[int, int]:
    index = month[0] * 12 + month[1] - 1 + by
    return index // 12, index % 12 + 1


# ------------------------------------------------------------------------------------------------
# Areas: wijken, buurten, their rectangles
# ------------------------------------------------------------------------------------------------


def _tile_boxes() -> dict[str, tuple[float, float, float, float]]:
    """Each municipality's square of the tile map as ``(west, south, east, north)`` in WGS84."""
    grid = pd.read_csv(data_path("regions") / "tile_grid.csv", dtype={"gemeente_code": str})
    boxes = {}
    for code, row, col in grid[["gemeente_code", "row", "col"]].itertuples(index=False):
        west = _TILE_ORIGIN[0] + _TILE_STEP[0] * int(col)
        north = _TILE_ORIGIN[1] - _TILE_STEP[1] * int(row)
        boxes[code] = (west, north - _TILE_SIZE[1], west + _TILE_SIZE[0], north)
    return boxes


def _split(box: tuple[float, float, float, float], parts: int) -> list[tuple[float, ...]]:
    """``parts`` rectangles that tile ``box`` exactly: rows of equal height, row-major."""
    west, south, east, north = box
    columns = math.ceil(math.sqrt(parts))
    rows = math.ceil(parts / columns)
    boxes = []
    for row in range(rows):
        in_row = columns if row < rows - 1 else parts - columns * (rows - 1)
        top = north - (north - south) * row / rows
        bottom = north - (north - south) * (row + 1) / rows
        for column in range(in_row):
            left = west + (east - west) * column / in_row
            right = west + (east - west) * (column + 1) / in_row
            boxes.append((left, bottom, right, top))
    return boxes


def _counts_of_areas(population_2017: int, code: str) -> tuple[int, int]:
    """``(wijken, buurten)`` of a municipality: Utrecht 10 and 100, others by population."""
    if code == "GM0344":
        return 10, 100
    buurten = max(3, round(population_2017 / PEOPLE_PER_BUURT))
    return min(10, max(2, round(buurten / 4))), buurten


def _areas(
    municipalities: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The wijken and the buurten (with their population shares, boxes and years of validity)."""
    boxes = _tile_boxes()
    planted = set(HOT_SPOTS) | {code for code in SURGES if code.startswith("BU")}
    wijk_rows, buurt_rows = [], []
    for gm, name, population_2017 in municipalities[
        ["gemeente_code", "gemeente_name", "population_2017"]
    ].itertuples(index=False):
        number = gm[2:]
        n_wijken, n_buurten = _counts_of_areas(int(population_2017), gm)
        per_wijk = np.full(n_wijken, n_buurten // n_wijken)
        per_wijk[: n_buurten % n_wijken] += 1
        shares = rng.gamma(5.0, 1.0, n_buurten)
        shares /= shares.sum()
        wijk_boxes = _split(boxes[gm], n_wijken)
        position = 0
        for w in range(n_wijken):
            wijk_code = f"WK{number}{w + 1:02d}"
            wijk_rows.append(
                {
                    "area_code": wijk_code,
                    "area_name": area_name(wijk_code),
                    "gemeente_code": gm,
                    "gemeente_name": name,
                    "box": wijk_boxes[w],
                }
            )
            for b, buurt_box in enumerate(_split(wijk_boxes[w], int(per_wijk[w]))):
                code = f"BU{number}{w + 1:02d}{b + 1:02d}"
                share = float(shares[position])
                if code in planted:
                    share = max(share, PLANTED_MINIMUM_SHARE / n_buurten)
                buurt_rows.append(
                    {
                        "area_code": code,
                        "area_name": area_name(code),
                        "wijk_code": wijk_code,
                        "gemeente_code": gm,
                        "share": share,
                        "box": buurt_box,
                        "first_year": _SIMULATED_FIRST[0],
                        "last_year": LATEST_MONTH[0],
                    }
                )
                position += 1
        first = len(buurt_rows) - n_buurten
        if n_buurten >= 20:  # a business park with a handful of inhabitants
            park = buurt_rows[-1]
            park["share"] = 40.0 / population_2017
            park["area_name"] = area_name(park["area_code"], business_park=True)
        # the shares of the other buurten sum to the rest of the municipality
        rest = [row for row in buurt_rows[first:] if "Bedrijventerrein" not in row["area_name"]]
        fixed = sum(row["share"] for row in buurt_rows[first:]) - sum(r["share"] for r in rest)
        total = sum(row["share"] for row in rest)
        for row in rest:
            row["share"] *= (1.0 - fixed) / total
    buurten = pd.DataFrame(buurt_rows)
    buurten = _recode(buurten)  # successors share their predecessors' population
    return pd.DataFrame(wijk_rows), buurten


def _recode(buurten: pd.DataFrame) -> pd.DataFrame:
    """Apply :data:`RECODINGS`: old codes end the year before, new codes (new numbers) begin."""
    buurten = buurten.set_index("area_code", drop=False)
    for old, new, year in RECODINGS.values():
        share = float(buurten.loc[list(old), "share"].sum())
        boxes = [buurten.loc[code, "box"] for code in old]
        west = min(box[0] for box in boxes)
        south = min(box[1] for box in boxes)
        east = max(box[2] for box in boxes)
        north = max(box[3] for box in boxes)
        if len(old) > 1 and not all(box[1] == south and box[3] == north for box in boxes):
            raise ValueError(f"merged buurten {old} do not form a rectangle")  # pragma: no cover
        buurten.loc[list(old), "last_year"] = year - 1
        template = buurten.loc[old[0]]
        pieces = _split((west, south, east, north), len(new))
        for code, piece in zip(new, pieces, strict=True):
            buurten.loc[code] = {
                **template.to_dict(),
                "area_code": code,
                "area_name": area_name(code),
                "share": share / len(new),
                "box": piece,
                "first_year": year,
                "last_year": LATEST_MONTH[0],
            }
    return buurten.reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# Counts
# ------------------------------------------------------------------------------------------------


def _truncated_normal(rng: np.random.Generator, sd: float, size) -> np.ndarray:
    values = rng.normal(0.0, sd, size)
    return np.clip(values, -2 * sd, 2 * sd)


def _months() -> pd.DataFrame:
    first = _SIMULATED_FIRST[0] * 12 + _SIMULATED_FIRST[1] - 1
    last = LATEST_MONTH[0] * 12 + LATEST_MONTH[1] - 1
    index = np.arange(first, last + 1)
    return pd.DataFrame({"year": index // 12, "month": index % 12 + 1})


def _simulate(municipalities, buurten, rng):
    """Monthly counts per buurt (rows), offence (the twelve and other crime) and month."""
    months = _months()
    years = months["year"].to_numpy()
    calendar = months["month"].to_numpy()
    n_buurten, n_months = len(buurten), len(months)
    codes = [*NEIGHBOURHOOD_OFFENCES, "other"]
    municipal = municipalities.set_index("gemeente_code")
    density = municipal["population_2017"] / municipal["land_area_km2"]
    level = (density / density.median()) ** DENSITY_EXPONENT
    gm = buurten["gemeente_code"].to_numpy()
    population = _buurt_population(municipalities, buurten, years)  # per buurt and month
    buurt_factor = np.exp(_truncated_normal(rng, BUURT_SD, n_buurten))
    offence_factor = np.exp(_truncated_normal(rng, BUURT_OFFENCE_SD, (n_buurten, len(codes))))
    year_index = years - _SIMULATED_FIRST[0]
    n_years = int(year_index.max()) + 1
    year_factor = np.exp(rng.normal(-(YEAR_SD**2) / 2, YEAR_SD, (n_buurten, len(codes), n_years)))
    # the constant factor of every offence type: ordinary, or a planted hot spot's ratio
    factor = np.repeat(
        (buurt_factor[:, None] * offence_factor)[:, :, None], n_months, axis=2
    )  # buurt x offence x month
    codes_of_buurten = buurten["area_code"].to_numpy()
    for code, ratio in HOT_SPOTS.items():
        row = int(np.flatnonzero(codes_of_buurten == code)[0])
        factor[row, :, years >= HOT_SPOT_FIRST_YEAR] = ratio
    surge = np.ones((n_buurten, len(codes), n_months))
    surge_months = slice(n_months - SURGE_MONTHS, n_months)
    for code, (offence, ratio) in SURGES.items():
        rows = (
            buurten["wijk_code"].to_numpy() == code
            if code.startswith("WK")
            else buurten["area_code"].to_numpy() == code
        )
        surge[rows, codes.index(offence), surge_months] = ratio
    counts = np.zeros((n_buurten, len(codes), n_months), dtype=np.int64)
    for k, code in enumerate(codes):
        if code == "other":
            rate, ratio, profile = OTHER_RATE, 0.98, "flat"
        else:
            _, rate, ratio, profile = NEIGHBOURHOOD_OFFENCES[code]
        season = np.asarray(SEASONAL_PROFILES[profile])[calendar - 1]
        trend = ratio ** (years + (calendar - 0.5) / 12 - 2018.5)
        base = rate / 1000 / 12 * season * trend  # per inhabitant and month
        expected = (
            population
            * base[None, :]
            * level.loc[gm].to_numpy()[:, None]
            * factor[:, k, :]
            * year_factor[:, k, year_index]
            * surge[:, k, :]
        )
        counts[:, k, :] = rng.poisson(expected)
    return months, codes, counts, population


def _buurt_population(municipalities, buurten, years) -> np.ndarray:
    """Inhabitants per buurt and month (the municipality's, grown yearly, times the buurt's share);
    zero outside the years a buurt code is valid."""
    municipal = municipalities.set_index("gemeente_code")
    base = municipal.loc[buurten["gemeente_code"], "population_2017"].to_numpy(dtype=float)
    growth = 1 + municipal.loc[buurten["gemeente_code"], "growth_percent"].to_numpy() / 100
    people = base[:, None] * growth[:, None] ** (years[None, :] - 2017)
    people *= buurten["share"].to_numpy()[:, None]
    valid = (years[None, :] >= buurten["first_year"].to_numpy()[:, None]) & (
        years[None, :] <= buurten["last_year"].to_numpy()[:, None]
    )
    return np.where(valid, people, 0.0)


# ------------------------------------------------------------------------------------------------
# Tables
# ------------------------------------------------------------------------------------------------


def _round_to_five(values: np.ndarray) -> np.ndarray:
    return (5 * np.floor(np.asarray(values) / 5 + 0.5)).astype(np.int64)


def _tables(wijken, buurten, months, codes, counts, population, rng):
    """The yearly, monthly and population tables (withheld cells as missing)."""
    years = months["year"].to_numpy()
    labels = {code: values[0] for code, values in NEIGHBOURHOOD_OFFENCES.items()}
    labels[TOTAL_CODE] = TOTAL_LABEL
    offence_codes = [TOTAL_CODE, *NEIGHBOURHOOD_OFFENCES]
    twelve = counts[:, : len(NEIGHBOURHOOD_OFFENCES), :]
    by_offence = np.concatenate([counts.sum(axis=1, keepdims=True), twelve], axis=1)

    # yearly population (rounded to 5, as CBS rounds buurt populations), 2012-2024
    population_years = np.arange(_SIMULATED_FIRST[0], LATEST_MONTH[0] + 1)
    first_month = np.array([np.flatnonzero(years == year)[0] for year in population_years])
    buurt_people = _round_to_five(population[:, first_month])
    valid = population[:, first_month] > 0

    # wijk figures: the sum over its buurten, withheld buurten included (CBS publishes them)
    wijk_codes = wijken["area_code"].to_numpy()
    membership = (buurten["wijk_code"].to_numpy()[None, :] == wijk_codes[:, None]).astype(np.int64)
    wijk_counts = np.einsum("wb,bom->wom", membership, by_offence)
    wijk_people = _round_to_five(membership @ population[:, first_month])

    # withheld: every figure of a buurt-year below WITHHELD_BELOW inhabitants
    small = valid & (population[:, first_month] < WITHHELD_BELOW)
    planted_rows = (
        buurten["area_code"].isin(set(HOT_SPOTS) | set(SURGES)).to_numpy()
        | buurten["wijk_code"].isin(set(SURGES)).to_numpy()
    )

    areas = pd.concat(
        [
            wijken.assign(area_kind="wijk")[
                ["area_code", "area_kind", "area_name", "gemeente_code"]
            ],
            buurten.assign(area_kind="buurt")[
                ["area_code", "area_kind", "area_name", "gemeente_code"]
            ],
        ],
        ignore_index=True,
    )
    all_counts = np.concatenate([wijk_counts, by_offence], axis=0).astype(float)
    all_valid_month = np.concatenate(
        [np.ones((len(wijken), len(years)), dtype=bool), population > 0], axis=0
    )
    year_of_population = {int(year): i for i, year in enumerate(population_years)}
    small_month = np.concatenate(
        [
            np.zeros((len(wijken), len(years)), dtype=bool),
            small[:, [year_of_population[int(year)] for year in years]],
        ],
        axis=0,
    )

    # yearly table, complete years
    yearly_values = np.stack(
        [all_counts[:, :, years == year].sum(axis=2) for year in YEARS], axis=2
    )
    yearly_valid = np.stack(
        [all_valid_month[:, years == year].all(axis=1) for year in YEARS], axis=1
    )
    yearly_small = np.stack([small_month[:, years == year].any(axis=1) for year in YEARS], axis=1)
    scattered = rng.random(yearly_values.shape) < SCATTERED_WITHHELD_YEARLY
    scattered[: len(wijken)] = False
    scattered[len(wijken) :][planted_rows] = False
    yearly_values[yearly_small[:, None, :] | scattered] = np.nan
    yearly = _long(areas, offence_codes, labels, yearly_values, yearly_valid, list(YEARS), None)

    # monthly table from MONTHLY_FIRST
    keep = (years * 12 + months["month"].to_numpy()) >= MONTHLY_FIRST[0] * 12 + MONTHLY_FIRST[1]
    monthly_values = all_counts[:, :, keep]
    scattered = rng.random(monthly_values.shape) < SCATTERED_WITHHELD_MONTHLY
    scattered[: len(wijken)] = False
    scattered[len(wijken) :][planted_rows] = False
    monthly_values[small_month[:, None, keep] | scattered] = np.nan
    monthly = _long(
        areas,
        offence_codes,
        labels,
        monthly_values,
        all_valid_month[:, keep],
        years[keep].tolist(),
        months["month"].to_numpy()[keep].tolist(),
    )

    people = np.concatenate([wijk_people, buurt_people], axis=0).astype(float)
    people_valid = np.concatenate([np.ones_like(wijk_people, dtype=bool), valid], axis=0)
    withheld_people = np.concatenate([np.zeros_like(wijk_people, dtype=bool), small], axis=0)
    people[withheld_people] = np.nan
    population_table = pd.DataFrame(
        {
            "area_code": np.repeat(areas["area_code"].to_numpy(), len(population_years)),
            "year": np.tile(population_years, len(areas)),
            "population": people.reshape(-1),
            "valid": people_valid.reshape(-1),
        }
    )
    population_table = population_table[population_table["valid"]].drop(columns="valid")
    population_table["population"] = population_table["population"].astype("Int64")
    return yearly, monthly, population_table.sort_values(["area_code", "year"])


def _long(areas, offence_codes, labels, values, valid, years, months) -> pd.DataFrame:
    """Areas x offences x periods as long rows, dropping periods an area code was not valid."""
    n_areas, n_offences, n_periods = values.shape
    frame = pd.DataFrame(
        {
            "offence_code": np.tile(np.repeat(offence_codes, n_periods), n_areas),
            "area_index": np.repeat(np.arange(n_areas), n_offences * n_periods),
            "year": np.tile(np.asarray(years), n_areas * n_offences),
            "registered_offences": values.reshape(-1),
            "valid": np.repeat(valid[:, None, :], n_offences, axis=1).reshape(-1),
        }
    )
    if months is not None:
        frame.insert(3, "month", np.tile(np.asarray(months), n_areas * n_offences))
    frame = frame[frame["valid"]].drop(columns="valid")
    frame["registered_offences"] = frame["registered_offences"].astype("Int64")
    order = ["offence_code", "area_code", "year"] + (["month"] if months is not None else [])
    if months is None:
        area = areas.iloc[frame["area_index"].to_numpy()].reset_index(drop=True)
        frame = frame.reset_index(drop=True)
        frame["offence_label"] = frame["offence_code"].map(labels)
        for column in ("area_code", "area_kind", "area_name", "gemeente_code"):
            frame[column] = area[column]
        frame["provisional"] = 0
        columns = [
            "offence_code",
            "offence_label",
            "area_code",
            "area_kind",
            "area_name",
            "gemeente_code",
            "year",
            "registered_offences",
            "provisional",
        ]
    else:
        frame = frame.reset_index(drop=True)
        frame["area_code"] = areas["area_code"].to_numpy()[frame["area_index"].to_numpy()]
        latest = (frame["year"] == LATEST_MONTH[0]) & (frame["month"] == LATEST_MONTH[1])
        frame["provisional"] = latest.astype(int)
        columns = [
            "area_code",
            "year",
            "month",
            "offence_code",
            "registered_offences",
            "provisional",
        ]
    return frame.sort_values(order)[columns].reset_index(drop=True)


def _geojson(wijken: pd.DataFrame, buurten: pd.DataFrame) -> str:
    """The polygons valid in :data:`BOUNDARY_FILE_YEAR`, one feature per line, 4 decimals."""
    lines = []
    current = buurten[buurten["last_year"] >= BOUNDARY_FILE_YEAR]
    for kind, frame in (("wijk", wijken), ("buurt", current)):
        for record in frame.itertuples(index=False):
            west, south, east, north = (round(value, 4) for value in record.box)
            ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
            feature = {
                "type": "Feature",
                "properties": {
                    "area_code": record.area_code,
                    "area_name": record.area_name,
                    "area_kind": kind,
                    "gemeente_code": record.gemeente_code,
                    "year": BOUNDARY_FILE_YEAR,
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
            lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def _xz(data: bytes) -> bytes:
    """``data`` compressed as an .xz file (preset 0: well under a second; pandas reads it by its
    suffix). Higher presets halve the monthly file but take half a minute."""
    return lzma.compress(data, format=lzma.FORMAT_XZ, preset=0)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def generate_neighbourhoods(
    out_dir: Path | str, seed: int, municipalities: pd.DataFrame
) -> list[Path]:
    """Write the demo's wijk and buurt files into ``out_dir``; the same seed gives the same files.

    Parameters
    ----------
    out_dir : pathlib.Path or str
        The demo folder (created if needed).
    seed : int
        The demo's seed; the neighbourhood stream is ``default_rng([seed, NEIGHBOURHOOD_STREAM])``.
    municipalities : pandas.DataFrame
        The demo's municipalities: ``gemeente_code``, ``gemeente_name``, ``population_2017``,
        ``land_area_km2``, ``growth_percent``.

    Returns
    -------
    list of pathlib.Path
        The files written (:data:`FILES`). The two crime tables are xz-compressed CSV (about 24 MB
        of text in about 1.4 MB) to keep the repository small.

    Notes
    -----
    Per buurt, offence type and month the count is Poisson with mean population x the offence's
    typed rate (:data:`NEIGHBOURHOOD_OFFENCES`) x its seasonal profile x its log-linear trend x the
    municipality's density factor x the buurt's constant factor (log-normal, sd :data:`BUURT_SD`,
    truncated at two sd) x the buurt-by-offence factor (sd :data:`BUURT_OFFENCE_SD`, truncated)
    x a buurt-by-offence-by-year factor (log-normal, sd :data:`YEAR_SD`, mean 1) x the planted
    hot-spot ratio and surge. A buurt's population is its municipality's (grown as the municipal
    demo data grow it) times a constant share (Gamma(5) weights), rounded to 5. A wijk's counts and
    population are the sums over its buurten, withheld ones included. Yearly counts are the sums of
    the months; ``0.0.0`` is the sum of the twelve types and all other crime.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([int(seed), NEIGHBOURHOOD_STREAM])
    wijken, buurten = _areas(municipalities, rng)
    months, codes, counts, population = _simulate(municipalities, buurten, rng)
    yearly, monthly, population_table = _tables(
        wijken, buurten, months, codes, counts, population, rng
    )
    paths = {name: out_dir / file for name, file in FILES.items()}
    paths["yearly"].write_bytes(_xz(_csv_bytes(yearly)))
    paths["monthly"].write_bytes(_xz(_csv_bytes(monthly)))
    paths["population"].write_bytes(_csv_bytes(population_table))
    paths["boundaries"].write_text(_geojson(wijken, buurten), encoding="utf-8")
    truth = truth_table()
    truth["rate_ratio"] = truth["rate_ratio"].map(lambda v: "" if math.isnan(v) else f"{v:.1f}")
    paths["truth"].write_bytes(_csv_bytes(truth))
    return list(paths.values())
