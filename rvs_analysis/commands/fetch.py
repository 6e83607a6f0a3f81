"""``rvs fetch``: download the CBS open-data tables into the cache (the only step that needs network)."""

from __future__ import annotations

import argparse

from rvs_analysis.sources import cbs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``fetch`` options to ``parser``."""
    parser.description = (
        "Download CBS tables with cbsodata into CACHE/<table>/ (cbsodata's own layout: one JSON "
        "file per OData part, the typed data set as TypedDataSet.json). Only the rows (municipalities, "
        "the Netherlands, police units; the offence codes the suite reads) and topics (resolved by "
        "title) the suite reads are downloaded. The tables go to a staging folder beside the cache "
        "first and move in together only when all are complete, so a failed or interrupted fetch "
        "leaves the cache as it was. Tables: "
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
        "--catalog",
        metavar="URL",
        help="fetch every table from this OData host instead of CBS's own catalogs (a mirror, a "
        "proxy or a test server; https:// by default, http:// allowed), e.g. "
        "https://opendata.cbs.nl or http://127.0.0.1:8080",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=cbs.DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up when the whole fetch takes longer (default: {cbs.DEFAULT_TIMEOUT:g}); any "
        f"request that makes no progress for {cbs.STALL_LIMIT:g} s fails it earlier",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def run(args: argparse.Namespace) -> int:
    """Fetch the tables and list what was stored; returns 0 (errors raise ``FetchError``)."""
    records = cbs.fetch(args.tables, args.cache, timeout=args.timeout, catalog=args.catalog)
    for record in records:
        print(
            f"{record['table']:<10} {record['catalog']:<28} {record['rows']:>8} rows, "
            f"retrieved {record['retrieved']}"
        )
    print(f"{len(records)} table(s) stored in {args.cache}")
    return 0
