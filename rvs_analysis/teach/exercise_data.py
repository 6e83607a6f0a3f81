"""The boundary exercise set of masterclass 1 part 4: counts that need harmonising.

The demo data set the reports use is already on the boundaries of 2017, so a district figure summed
from it without harmonising is right by accident. Part 4 of masterclass 1 therefore has a data set of
its own, in the tidy layout (``notebooks/masterclass/data/grenzen_2024/``), shaped like the real CBS
tables:

* the counts (residential burglary, 2014-2017) are on the boundaries of **2024**, as CBS publishes
  47018NED: Vianen is part of Vijfheerenlanden (``GM1961``, with Leerdam and Zederik) and Weesp part
  of Amsterdam (``GM0363``);
* the populations are on **each year's own** boundaries, as CBS publishes 70072ned: Bussum, Muiden
  and Naarden before 2016, Vianen, Leerdam, Zederik, Weesp and Amsterdam separately.

A sum per district without :func:`rvs_analysis.regions.harmonise_counts` loses Vianen and Weesp, so
it is wrong for two districts. The numbers are derived from the demo data (so the region's 37 other
municipalities keep their demo counts) plus fictitious counts and populations for the municipalities
outside the region; they are not CBS figures. :func:`boundary_exercise_tables` makes them
deterministically; ``tests/teach/test_teach.py`` checks that the committed files are what it makes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from rvs_analysis import regions
from rvs_analysis.sources import load_source

YEARS = (2014, 2015, 2016, 2017)
OFFENCE = "1.1.1"
COUNT_BOUNDARY_YEAR = 2024

#: Shares of Gooise Meren's population before the 2016 merger (fictitious, close to the real ones).
GOOISE_MEREN_SHARES = {"GM0381": 0.577, "GM0424": 0.110, "GM0425": 0.313}

#: Municipalities outside the region that the 2019 and 2022 mergers bring into the 2024 counts:
#: code, name, population in 2014, yearly growth, burglary risk relative to the region member they
#: absorb (all fictitious).
OUTSIDE = {
    "GM0545": ("Leerdam", 20_900, 0.002, 0.8, "GM0620"),
    "GM0707": ("Zederik", 13_700, 0.003, 0.6, "GM0620"),
    "GM0363": ("Amsterdam", 811_000, 0.011, 2.1, "GM0457"),
}
SUCCESSORS = {"GM0620": ("GM1961",), "GM0457": ("GM0363",)}

METADATA = {
    "crime_boundary_year": COUNT_BOUNDARY_YEAR,
    "population_boundary_year": None,
    "is_demo": False,
    "title": "Oefenset masterclass 1: tellingen op de grenzen van 2024 (fictief)",
}


def _names() -> dict[str, str]:
    names = dict(
        zip(
            regions.municipalities(2017)["gemeente_code"],
            regions.municipalities(2017)["gemeente_name"],
            strict=True,
        )
    )
    mergers = regions.mergers()
    names.update(zip(mergers["new_code"], mergers["new_name"], strict=True))
    return names


def boundary_exercise_tables(dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The exercise set's counts and populations, made from the demo data set.

    Parameters
    ----------
    dataset : rvs_analysis.sources.base.Dataset
        The demo data (counts and populations on the boundaries of 2017).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        ``registered_crime`` (tidy columns, boundaries of 2024) and ``population``
        (``gemeente_code, year, population``, each year's own boundaries).

    Notes
    -----
    Outside municipalities get ``population * growth`` and a burglary count of the absorbed region
    member's rate times their relative risk, rounded; a successor's count is the sum of its
    predecessors' counts, as CBS recodes old years.
    """
    # the region's municipalities of 2017 (the demo also carries Leerdam and Zederik, outside the
    # region; this set gives them fictitious figures of its own, see OUTSIDE)
    region = set(regions.municipalities(2017)["gemeente_code"])
    crime = dataset.crime.loc[
        (dataset.crime["offence_code"] == OFFENCE)
        & dataset.crime["year"].isin(YEARS)
        & dataset.crime["gemeente_code"].isin(region)
    ].copy()
    population = dataset.population.loc[
        dataset.population["year"].isin(YEARS) & dataset.population["gemeente_code"].isin(region)
    ].copy()
    population["population"] = population["population"].astype(int)
    crime["registered_offences"] = crime["registered_offences"].astype(int)
    people = population.set_index(["gemeente_code", "year"])["population"]
    counts = crime.set_index(["gemeente_code", "year"])["registered_offences"]

    outside_people, outside_counts = {}, {}
    for code, (_, start, growth, risk, member) in OUTSIDE.items():
        for year in YEARS:
            inhabitants = round(start * (1 + growth) ** (year - YEARS[0]))
            outside_people[code, year] = inhabitants
            rate = counts[member, year] / people[member, year]
            outside_counts[code, year] = round(rate * risk * inhabitants)

    offences = dataset.offences
    label = str(offences.loc[offences["offence_code"] == OFFENCE, "offence_label"].iloc[0])
    names = _names()
    rows = []
    for row in crime.itertuples(index=False):
        code, count = row.gemeente_code, int(row.registered_offences)
        if code in SUCCESSORS:
            absorbed = [c for c, spec in OUTSIDE.items() if spec[4] == code]
            count += sum(outside_counts[c, row.year] for c in absorbed)
            code = SUCCESSORS[code][0]
        rows.append((OFFENCE, label, code, names[code], row.year, count, int(row.provisional)))
    columns = [
        "offence_code",
        "offence_label",
        "gemeente_code",
        "gemeente_name",
        "year",
        "registered_offences",
        "provisional",
    ]
    crime_2024 = pd.DataFrame(rows, columns=columns).sort_values(["gemeente_code", "year"])

    own = []
    for (code, year), inhabitants in people.items():
        if code == "GM1942" and year < 2016:
            parts = {c: round(inhabitants * share) for c, share in GOOISE_MEREN_SHARES.items()}
            parts["GM0381"] += inhabitants - sum(parts.values())
            own.extend((c, year, value) for c, value in parts.items())
        else:
            own.append((code, year, int(inhabitants)))
    own.extend((code, year, value) for (code, year), value in outside_people.items())
    population_own = pd.DataFrame(own, columns=["gemeente_code", "year", "population"])
    return crime_2024.reset_index(drop=True), population_own.sort_values(
        ["gemeente_code", "year"]
    ).reset_index(drop=True)


def write_boundary_exercise_set(folder: Path, dataset=None) -> list[Path]:
    """Write the exercise set (two CSVs and ``metadata.json``) to ``folder``; returns the paths."""
    if dataset is None:
        dataset = load_source("demo")
    crime, population = boundary_exercise_tables(dataset)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "registered_crime.csv", folder / "population.csv", folder / "metadata.json"]
    crime.to_csv(paths[0], index=False)
    population.to_csv(paths[1], index=False)
    paths[2].write_text(json.dumps(METADATA, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths
