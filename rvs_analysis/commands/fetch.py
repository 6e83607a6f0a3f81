"""``rvs fetch``: download the CBS open-data tables into the cache (the only step that needs network)."""

from __future__ import annotations

import argparse
import sys

from rvs_analysis.sources import cbs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``fetch`` options to ``parser``."""
    parser.description = (
        "Download CBS tables with cbsodata into CACHE/<table>/ (cbsodata's own layout: one JSON "
        "file per OData part, the typed data set as TypedDataSet.json). Only the rows (municipalities, "
        "the Netherlands, police units; the offence codes the suite reads) and topics (resolved by "
        "title) the suite reads are downloaded. Each table is checked (rows, topics, keys) in a "
        "staging folder inside the cache first; the tables move in together when every required "
        "table is complete, so a failed or interrupted fetch leaves the cache as it was. An "
        "optional table that is missing, refused or keeps failing is reported and the cache keeps "
        "its earlier copy. Tables: "
        + "; ".join(f"{spec.key} ({spec.purpose})" for spec in cbs.TABLES.values())
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
    """Fetch the tables and list what was stored and what was not; returns 0.

    A required table that cannot be fetched raises ``FetchError`` (nothing stored). An optional
    table that is missing, refused or keeps failing is listed with the reason and the retrieval
    date of the copy the cache keeps, and summarised on stderr.
    """
    records = cbs.fetch(args.tables, args.cache, timeout=args.timeout, catalog=args.catalog)
    for line in summary_lines(records):
        print(line)
    stored = [record for record in records if record["status"] == "fetched"]
    missed = [record for record in records if record["status"] != "fetched"]
    print(f"{len(stored)} table(s) stored in {args.cache}" + (
        f"; {len(missed)} optional table(s) not fetched" if missed else ""
    ))  # fmt: skip
    if missed:
        print(
            "rvs fetch: warning: optional table(s) not fetched: "
            + "; ".join(f"{record['key']} ({record['reason']})" for record in missed)
            + ". The reports that use them say so or use the copy kept in the cache (see above).",
            file=sys.stderr,
        )
    return 0


def summary_lines(records: list[dict]) -> list[str]:
    """One line per table: fetched (identifier, catalog, rows, CBS's modification date, retrieval
    date) or not fetched (why, and the copy the cache keeps)."""
    lines = []
    for record in records:
        if record["status"] == "fetched" and record.get("data_set") == "neighbourhoods.geojson":
            lines.append(
                f"{record['key']:<10} {record['table']:<10} {record['catalog']:<28} "
                f"{record['rows']:>8} polygons ({record.get('api')}), "
                f"retrieved {record['retrieved']}"
            )
            continue
        if record["status"] == "fetched":
            lines.append(
                f"{record['key']:<10} {record['table']:<10} {record['catalog']:<28} "
                f"{record['rows']:>8} rows, modified by CBS {record.get('modified') or '-'}, "
                f"retrieved {record['retrieved']}"
            )
            continue
        kept = record.get("kept")
        if kept is None:
            keeps = "the cache has no copy"
        else:
            keeps = (
                f"the cache keeps its copy of {kept.get('table', record['key'])} retrieved "
                f"{kept.get('retrieved') or 'at an unknown time'}"
            )
        lines.append(f"{record['key']:<10} NOT FETCHED: {record['reason']}; {keeps}")
    return lines
