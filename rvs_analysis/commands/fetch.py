"""``rvs fetch``: download the CBS open-data tables into the cache (the only step that needs network)."""

from __future__ import annotations

import argparse

from rvs_analysis.sources import cbs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``fetch`` options to ``parser``."""
    parser.description = (
        "Download CBS tables with cbsodata into CACHE/<table>/ (cbsodata's own layout: one JSON "
        "file per OData part). Each table goes to a temporary folder first and is swapped in only "
        "when complete, so a failed fetch leaves the cache as it was. Tables: "
        + "; ".join(f"{spec.table_id} ({spec.purpose})" for spec in cbs.TABLES.values())
        + "."
    )
    parser.add_argument(
        "--cache", default="data/raw", metavar="DIR", help="cache folder (default: data/raw)"
    )
    parser.add_argument(
        "--tables",
        nargs="+",
        choices=list(cbs.TABLES),
        default=list(cbs.DEFAULT_TABLES),
        metavar="TABLE",
        help=f"tables to download (default: {' '.join(cbs.DEFAULT_TABLES)})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=cbs.DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up when a connect or read takes longer (default: {cbs.DEFAULT_TIMEOUT:g})",
    )


def run(args: argparse.Namespace) -> int:
    """Fetch the tables and list what was stored; returns 0 (errors raise ``FetchError``)."""
    records = cbs.fetch(args.tables, args.cache, timeout=args.timeout)
    for record in records:
        print(f"{record['table']:<10} {record['catalog']:<20} retrieved {record['retrieved']}")
    print(f"{len(records)} table(s) stored in {args.cache}")
    return 0
