"""``rvs masterclass --out DIR``: write the participant and the trainer package of the masterclass."""

from __future__ import annotations

import argparse
from pathlib import Path

from rvs_analysis.teach import masterclass
from rvs_analysis.written_folder import staged

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
        help="write into a folder rvs masterclass did not write (a file you changed or made is "
        "still kept, never overwritten)",
    )


def run(args: argparse.Namespace) -> int:
    """Build both versions and list what was written; returns the exit status.

    Both packages are written to a staging folder beside ``--out`` and moved in only when
    complete (:func:`rvs_analysis.written_folder.staged`): a failure (a full disk) leaves
    ``--out`` as it was.
    """
    with staged(args.out, BY, force=args.force) as staging:
        built = masterclass.build(staging.path, args.notebooks)
    for item in built:
        print(f"{item.version:<10} {args.out / item.path.relative_to(staging.path)}")
    print(f"{len(built)} notebooks written to {args.out}")
    for version in (masterclass.PARTICIPANT_DIR, masterclass.TRAINER_DIR):
        wheels = sorted((args.out / version / masterclass.WHEEL_DIR).glob("*.whl"))
        print(f"{version:<10} {', '.join(str(wheel) for wheel in wheels)}")
    if staging.kept:
        shown = ", ".join(staging.kept[:5]) + (", ..." if len(staging.kept) > 5 else "")
        print(
            f"{len(staging.kept)} file(s) you changed were kept as they are, not overwritten: "
            f"{shown}. Move them aside and run again for the new version."
        )
    return 0
