"""Small tidy sources built by hand for the tests: the region's municipalities with made-up
counts and populations, written in the tidy layout (``rvs_analysis.sources.tidy``).

A helper module, not a conftest: test modules import it by name (``from tidy_sources import
write_tiny_source``; ``tests/`` is on pytest's ``pythonpath``), and the fixtures of
``tests/conftest.py`` (``tidy_folder``, ``tidy_kit``, ``tidy_frames``) are built from it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


def region_population(years=(2015, 2016, 2017)) -> pd.DataFrame:
    """Population of the 39 municipalities of 2017 (and their predecessors/successors) by year.

    Made-up but shaped like CBS 70072ned: each year on its own boundaries.
    """
    from rvs_analysis import regions

    rows = []
    codes = list(regions.municipalities(2017)["gemeente_code"])
    for year in years:
        for position, code in enumerate(codes):
            rows.append((code, year, 10_000 + 1_000 * position + year - 2000))
    return pd.DataFrame(rows, columns=["gemeente_code", "year", "population"])


def region_crime(years=(2015, 2016, 2017), offences=("1.1.1", "0.0.0")) -> pd.DataFrame:
    """Registered crime for the 39 municipalities of 2017 plus GM0000, in the tidy layout."""
    from rvs_analysis import regions

    composition = regions.municipalities(2017)
    rows = []
    for offence in offences:
        label = {"1.1.1": "Diefstal/inbraak woning", "0.0.0": "Totaal misdrijven"}.get(offence, "")
        for year in years:
            for position, record in enumerate(composition.itertuples(index=False)):
                count = (position + 1) * (3 if offence == "1.1.1" else 40) + (year - 2015)
                rows.append(
                    (offence, label, record.gemeente_code, record.gemeente_name, year, count, 0)
                )
            rows.append((offence, label, "GM0000", "", year, 7, 0))
    return pd.DataFrame(
        rows,
        columns=[
            "offence_code",
            "offence_label",
            "gemeente_code",
            "gemeente_name",
            "year",
            "registered_offences",
            "provisional",
        ],
    )


def write_tidy(folder: Path, crime=None, population=None, metadata=None, extra=None) -> Path:
    """Write a folder in the tidy layout from frames (or raw CSV text) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "registered_crime.csv": region_crime() if crime is None else crime,
        "population.csv": region_population() if population is None else population,
        **(extra or {}),
    }
    for name, content in files.items():
        if isinstance(content, pd.DataFrame):
            content.to_csv(folder / name, index=False)
        else:
            (folder / name).write_text(content, encoding="utf-8")
    if metadata is not None:
        (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return folder


def write_tiny_source(
    folder: Path,
    utrecht_counts: dict | None = None,
    years: tuple[int, ...] = (2016, 2017),
    metadata: dict | None = None,
) -> Path:
    """The renderer tests' small source: residential burglary in every municipality of 2017 for
    ``years`` (complete, so that a region's or district's total can be made), flagged as demo data.

    Utrecht (GM0344) has ``utrecht_counts`` (default 1,200 in 2016 and 1,100 in 2017) and 340,000
    inhabitants in 2016 (+7,000 a year); the others small counts and populations no other row
    shares, so a test can change one value by its text.
    """
    from rvs_analysis import regions

    counts = {2016: 1200, 2017: 1100} if utrecht_counts is None else dict(utrecht_counts)
    folder.mkdir(parents=True, exist_ok=True)
    crime = [
        "offence_code,offence_label,gemeente_code,gemeente_name,year,registered_offences,provisional"
    ]
    population = ["gemeente_code,year,population"]
    for position, record in enumerate(regions.municipalities(2017).itertuples(index=False)):
        for year in years:
            if record.gemeente_code == "GM0344":
                count = counts.get(year, 1000)
                people = 340_000 + 7_000 * (year - 2016)
            else:
                count = 20 + 3 * position + (year - 2016)
                people = 20_003 + 1_000 * position + 10 * (year - 2016)
            crime.append(
                f"1.1.1,Diefstal/inbraak woning,{record.gemeente_code},{record.gemeente_name},"
                f"{year},{count},false"
            )
            population.append(f"{record.gemeente_code},{year},{people}")
    (folder / "registered_crime.csv").write_text("\n".join(crime) + "\n", encoding="utf-8")
    (folder / "population.csv").write_text("\n".join(population) + "\n", encoding="utf-8")
    meta = {
        "crime_boundary_year": 2017,
        "population_boundary_year": 2017,
        "is_demo": True,
        "title": "Testbron",
    }
    (folder / "metadata.json").write_text(json.dumps(meta | (metadata or {})), encoding="utf-8")
    return folder
