"""``rvs masterclass --out DIR``: write participant and trainer versions of the masterclass."""

from __future__ import annotations

import argparse
from pathlib import Path

from rvs_analysis.teach import masterclass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``masterclass`` subcommand's options to ``parser``."""
    parser.description = (
        "Write the masterclass notebooks twice: a participant version without the solution "
        "cells (DIR/deelnemers) and a trainer version with them (DIR/trainers)."
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder to write both versions to"
    )
    parser.add_argument(
        "--notebooks",
        type=Path,
        default=masterclass.DEFAULT_SOURCE,
        metavar="DIR",
        help="folder with the masterclass notebooks (default: notebooks/masterclass)",
    )


def run(args: argparse.Namespace) -> int:
    """Build both versions and list what was written; returns the exit status."""
    built = masterclass.build(args.out, args.notebooks)
    for item in built:
        print(f"{item.version:<10} {item.path}")
    print(f"{len(built)} notebooks written to {args.out}")
    return 0
