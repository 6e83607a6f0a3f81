"""``rvs demo-data``: write the embedded demo data set, or print the effects planted in it."""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path

from rvs_analysis.exceptions import SourceNotAvailableError
from rvs_analysis.sources import DEMO_DIR
from rvs_analysis.written_folder import check_folder, record_folder

BY = "rvs demo-data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``demo-data`` options to ``parser``."""
    parser.description = (
        "Write the deterministic demo data set (fixed seed) in the tidy CSV layout, or with --truth "
        "print the effects planted in it as JSON (--truth neighbourhoods: the planted wijk and "
        "buurt hot spots, surges and recodings as a table)."
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEMO_DIR,
        metavar="DIR",
        help="folder to write (default: data/demo in the repository)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a folder rvs demo-data did not write, or over files changed since",
    )
    parser.add_argument(
        "--truth",
        nargs="?",
        const="effects",
        choices=("effects", "neighbourhoods"),
        default=None,
        help='print {"effects": {name: {"value", "description"}}} instead of writing data; '
        "--truth neighbourhoods prints the planted wijk and buurt truths as a table (the same "
        "rows as neighbourhood_truth.csv in the demo folder)",
    )


def _generator():
    try:
        return importlib.import_module("rvs_analysis.sources.demo")
    except ModuleNotFoundError as error:
        if error.name != "rvs_analysis.sources.demo":
            raise
        raise SourceNotAvailableError(
            "The demo data generator (rvs_analysis.sources.demo) is not available in this version."
        ) from error


def _truth_text(table) -> str:
    """The planted wijk and buurt truths as a plain text table (empty cells blank)."""
    shown = table.astype(object).where(table.notna(), "")
    return shown.to_string(index=False)


def run(args: argparse.Namespace) -> int:
    """Write the data set (or print the truths); returns 0."""
    demo = _generator()
    if args.truth == "neighbourhoods":
        print(_truth_text(demo.neighbourhood_truth()))
        return 0
    if args.truth:
        print(json.dumps(demo.truth(), indent=2, ensure_ascii=False))
        return 0
    # the embedded data set (data/demo) is the package's own: regenerating it is the default
    own = Path(args.out).resolve() == Path(DEMO_DIR).resolve()
    if not own:
        check_folder(args.out, BY, force=getattr(args, "force", False))
    written = demo.generate(args.out)
    if not own:
        record_folder(args.out, BY)
    print(f"demo data written to {args.out}" if written is None else f"demo data: {written}")
    return 0
