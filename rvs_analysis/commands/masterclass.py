"""``rvs masterclass --out DIR``: write the participant and the trainer package of the masterclass."""

from __future__ import annotations

import argparse
from pathlib import Path

from rvs_analysis.teach import masterclass
from rvs_analysis.written_folder import check_folder, record_folder

BY = "rvs masterclass"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``masterclass`` subcommand's options to ``parser``."""
    parser.description = (
        "Write the masterclass twice: a participant package (DIR/deelnemers: notebooks without "
        "solutions or model answers, their data, and a wheel of rvs_analysis without the "
        "masterclass sources, so it runs on its own) and a trainer package (DIR/trainers: "
        "notebooks with solutions and model answers, the trainer's guide TRAINER.md, data, wheel)."
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder to write both versions to"
    )
    parser.add_argument(
        "--notebooks",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder with the masterclass notebooks (default: notebooks/masterclass)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a folder rvs masterclass did not write, or over files changed since",
    )


def run(args: argparse.Namespace) -> int:
    """Build both versions and list what was written; returns the exit status."""
    check_folder(args.out, BY, force=args.force)
    built = masterclass.build(args.out, args.notebooks)
    record_folder(args.out, BY)
    for item in built:
        print(f"{item.version:<10} {item.path}")
    print(f"{len(built)} notebooks written to {args.out}")
    for version in (masterclass.PARTICIPANT_DIR, masterclass.TRAINER_DIR):
        wheels = sorted((args.out / version / masterclass.WHEEL_DIR).glob("*.whl"))
        print(f"{version:<10} {', '.join(str(wheel) for wheel in wheels)}")
    return 0
