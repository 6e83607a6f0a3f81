"""Small helpers for the exploration notebook (``notebooks/explore/``): which source to read and
which offence and years to use on it, said out loud.

The exploration notebook is a researcher's start, not a report: it runs on the real CBS extract when
that is beside the repository (``../shared/data/cbs-open-data``) and on the demo data otherwise. These
helpers make that choice visible instead of hiding it in the notebook's code.
"""

from __future__ import annotations

from pathlib import Path

from rvs_analysis.resources import checkout_root
from rvs_analysis.sources import load_source

SHARED_EXTRACT = Path("shared") / "data" / "cbs-open-data"
"""Where the real CBS extract lives, relative to the folder above the repository."""


def shared_extract() -> Path | None:
    """The real CBS extract beside the repository checkout, or ``None`` when there is none.

    Returns
    -------
    pathlib.Path or None
        ``<repository>/../shared/data/cbs-open-data`` when it holds the crime table; ``None`` in an
        installed package or when the folder is absent.
    """
    root = checkout_root()
    if root is None:
        return None
    folder = (root.parent / SHARED_EXTRACT).resolve()
    if (folder / "registered_crime_47018NED_gemeente_year.csv").is_file():
        return folder
    return None


def load(source: str = "auto"):
    """Load the exploration source and print which one it is (the notebook's first output).

    Parameters
    ----------
    source : str, default "auto"
        ``"auto"``: the real CBS extract beside the repository when present, else ``"demo"``; or
        anything :func:`rvs_analysis.sources.load_source` accepts.

    Returns
    -------
    Dataset
    """
    fallback = ""
    if source == "auto":
        extract = shared_extract()
        source = str(extract) if extract is not None else "demo"
        if extract is None:
            fallback = (
                "\nThe real CBS extract (../shared/data/cbs-open-data beside the repository) was "
                "not found, so this runs on the demo data: where the text quotes CBS results, "
                "these numbers are not them. Set source to a CBS folder or 'cbs' for real data."
            )
    dataset = load_source(source)
    provisional = sorted(
        int(year) for year in dataset.crime.loc[dataset.crime["provisional"], "year"].unique()
    )
    kind = "demo data (made up, with planted effects)" if dataset.is_demo else "CBS open data"
    note = f"; provisional: {', '.join(map(str, provisional))}" if provisional else ""
    print(
        f"Source: {dataset.source} - {kind}, {min(dataset.years)}-{max(dataset.years)}, "
        f"{dataset.crime['gemeente_code'].nunique()} municipality codes{note}.{fallback}"
    )
    return dataset


def offence(dataset, wanted: str, fallback: str) -> str:
    """``wanted`` when the source has it, else ``fallback`` (printed).

    Examples
    --------
    >>> from rvs_analysis.sources import load_source
    >>> offence(load_source("demo"), "1.4.4", "RVS.GEWELD")
    The source has no 1.4.4; using RVS.GEWELD (Geweld totaal) instead.
    'RVS.GEWELD'
    """
    codes = set(dataset.offences["offence_code"])
    if wanted in codes:
        return wanted
    if fallback not in codes:
        raise ValueError(f"The source has neither {wanted} nor {fallback}.")
    labels = dict(
        zip(dataset.offences["offence_code"], dataset.offences["offence_label"], strict=False)
    )
    print(f"The source has no {wanted}; using {fallback} ({labels.get(fallback, '')}) instead.")
    return fallback


def last_year(dataset, wanted: int) -> int:
    """``wanted`` when the source has it, else the source's last year (printed).

    Examples
    --------
    >>> from rvs_analysis.sources import load_source
    >>> last_year(load_source("demo"), 2024)
    The source ends in 2023; using 2023 instead of 2024.
    2023
    """
    latest = max(dataset.years)
    if int(wanted) <= latest:
        return int(wanted)
    print(f"The source ends in {latest}; using {latest} instead of {wanted}.")
    return latest
