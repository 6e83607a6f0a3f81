"""``rvs table``: registered offences per area and year, as CSV or a Markdown table.

Example: ``rvs table --source ../shared/data/cbs-open-data --offence 1.1.1 --level district
--boundaries 2017 --years 2015-2016`` prints the residential burglaries per district on the 2017
composition (the 39 municipalities of the source document). ``--scope nederland --level gemeente
--boundaries 2024`` lists all 342 Dutch municipalities of 2024; ``--level police-unit`` the ten
police units.
"""

from __future__ import annotations

import argparse
import io
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from rvs_analysis import regions, strategies
from rvs_analysis.exceptions import DataWarning, RvsError
from rvs_analysis.sources import load_notes, load_source, source_files
from rvs_analysis.spreadsheet import safe_text
from rvs_analysis.stats.trends import add_rate_interval


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``table`` options to ``parser``."""
    parser.description = (
        "Print registered offences per area and year: area,year,registered_offences (plus "
        "population, rate_per_1000 and its exact 95% interval with --rate), and provisional (true "
        "for a year whose counts CBS still marks provisional, 'Voorlopig'). Counts are "
        "harmonised to the municipal "
        "boundaries of --boundaries; municipalities merged since then are apportioned out of their "
        "successors by population share."
    )
    parser.add_argument(
        "--source",
        default="demo",
        metavar="{demo|cbs|DIR}",
        help="demo (default), cbs (the cache of 'rvs fetch') or a folder in the tidy CSV layout",
    )
    parser.add_argument(
        "--cache", default="data/raw", metavar="DIR", help="CBS cache folder (default: data/raw)"
    )
    parser.add_argument(
        "--offence",
        default="1.1.1",
        metavar="CODE",
        help="CBS offence key (default: 1.1.1, residential burglary)",
    )
    parser.add_argument(
        "--level",
        required=True,
        choices=regions.TABLE_LEVELS,
        help="the region's levels, or police-unit (the ten police units; needs a source that "
        "says which municipality belongs to which unit)",
    )
    parser.add_argument(
        "--scope",
        choices=regions.SCOPES,
        default="region",
        help="region (default): the region's municipalities and districts; nederland: every "
        "Dutch municipality of the boundary year (--level gemeente), or the Netherlands "
        "(--level region)",
    )
    parser.add_argument(
        "--strategy",
        metavar="ID|DIR",
        help="the areas of a strategy instead of the region's: a shipped one (rvs-2023-2026) or "
        "the folder of your own (strategy.toml, municipalities.csv, targets.csv); --level "
        "region, district or gemeente",
    )
    parser.add_argument(
        "--boundaries",
        type=int,
        default=2017,
        metavar="YEAR",
        help="composition and municipal boundaries of this year (default: 2017)",
    )
    parser.add_argument(
        "--years", type=_years, metavar="A-B", help="one year or a range, e.g. 2015-2016"
    )
    parser.add_argument(
        "--rate", action="store_true", help="add population and offences per 1,000 inhabitants"
    )
    parser.add_argument("--format", choices=("csv", "markdown"), default="csv")
    parser.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="write to FILE (only when the whole table succeeded) instead of printing",
    )


def _years(text: str) -> str:
    """Check ``--years`` while parsing, so a typo is a usage error before any data is read."""
    try:
        regions.parse_years(text)
    except RvsError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _cell(value, decimals: int | None = None) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if decimals is not None:
        return f"{float(value):.{decimals}f}"
    return str(value)


def format_table(table: pd.DataFrame, fmt: str) -> str:
    """Render the table of :func:`rvs_analysis.regions.area_table` as CSV or Markdown.

    Rates are shown with two decimals; missing figures (not published) as an empty cell in CSV and
    ``n/a`` in Markdown.
    """
    decimals = {"rate_per_1000": 2, "rate_ci_low": 2, "rate_ci_high": 2}
    rows = [
        [
            _cell(value, decimals.get(column))
            for column, value in zip(table.columns, record, strict=True)
        ]
        for record in table.itertuples(index=False)
    ]
    columns = list(table.columns)
    if fmt == "csv":
        buffer = io.StringIO()
        safe = [[safe_text(cell) for cell in row] for row in rows]
        pd.DataFrame(safe, columns=columns).to_csv(buffer, index=False, lineterminator="\n")
        return buffer.getvalue()
    header = "| " + " | ".join(columns) + " |"
    rule = "|" + "|".join("---" if column == "area" else "---:" for column in columns) + "|"
    body = ["| " + " | ".join(cell or "n/a" for cell in row) + " |" for row in rows]
    return "\n".join([header, rule, *body]) + "\n"


def with_provisional(table: pd.DataFrame, dataset, offence: str) -> pd.DataFrame:
    """Add ``provisional``: whether any count of ``offence`` in that year is provisional."""
    crime = dataset.crime
    flagged = crime.loc[(crime["offence_code"] == offence) & crime["provisional"], "year"]
    table = table.copy()
    table["provisional"] = table["year"].isin(set(flagged)).to_numpy(dtype=bool)
    return table


def run(args: argparse.Namespace) -> int:
    """Load the source, build the table, print it (or write ``--output``); returns 0."""
    if args.output:
        target = Path(args.output).resolve()
        if any(target == path.resolve() for path in source_files(args.source, args.cache)):
            raise RvsError(
                f"--output {args.output} is one of the source's own input files; rvs table never "
                "overwrites its input. Choose another file name. Nothing was written."
            )
    dataset = load_source(args.source, args.cache)
    noticed = load_notes(dataset)
    if noticed:
        warnings.warn(noticed, DataWarning, stacklevel=1)
    areas = None
    if getattr(args, "strategy", None):
        strategy = strategies.load_strategy(args.strategy)
        areas = strategies.strategy_areas(strategy, args.level, args.boundaries)
    table = regions.area_table(
        dataset,
        args.offence,
        None if areas is not None else args.level,
        boundaries=args.boundaries,
        years=args.years,
        rate=args.rate,
        areas=areas,
        scope=args.scope,
    )
    if args.rate:
        table = add_rate_interval(table)
    table = with_provisional(table, dataset, args.offence)
    if not table["estimated_from_successor"].any():  # the column only where it says something
        table = table.drop(columns="estimated_from_successor")
    text = format_table(table, args.format)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0
