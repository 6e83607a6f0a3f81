"""``rvs render``: render every area's report notebooks to offline HTML with an index page.

Examples
--------
``rvs render`` renders the region and its five districts on the demo data into ``outputs/``;
``rvs render --level gemeente --jobs 2`` one report set per municipality;
``rvs render --source cbs --areas Flevoland --notebooks crime_change --out outputs/flevoland``.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import threading

from rvs_analysis.exceptions import RvsError, Terminated
from rvs_analysis.render.pdf import find_chromium, write_pdfs


def positive_seconds(text: str) -> float:
    """``--timeout``: a finite number of seconds greater than zero (fractions honoured).

    ``0``, negative numbers, ``nan`` and ``inf`` are refused: each would silently disable the limit.
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0 or value > MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds greater than zero and at most "
            f"{MAX_TIMEOUT:.0f} (a day; fractions such as 0.5 are allowed; there is no way to "
            "switch the limit off)"
        )
    return value


MAX_TIMEOUT = 86_400.0
"""The longest ``--timeout`` per report: a day (1e308 seconds overflowed the kernel's clock)."""


def positive_jobs(text: str) -> int:
    """``--jobs``: a whole number of parallel kernels, at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of kernels of 1 or more")
    return value


def resolve_areas(names, strategy=None):
    """Area names as ``--areas`` gives them, resolved as the library does.

    ``utrecht``, ``GM0344`` and ``gooise-meren`` are the municipalities Utrecht and Gooise Meren;
    ``stad utrecht`` is the district. Names are areas of ``strategy`` (a
    :class:`~rvs_analysis.strategies.Strategy`; default the latest shipped one). Unknown names
    raise :class:`~rvs_analysis.exceptions.UnknownAreaError` listing the valid ones.
    """
    if names is None:
        return None
    # deferred: CLI start-up time (strategies loads pandas; rvs render --help does not)
    from rvs_analysis.strategies import resolve_strategy  # noqa: PLC0415

    strategy = strategy or resolve_strategy(None, None)[0]
    return list(dict.fromkeys(strategy.area(name).name for name in names))


def add_arguments(parser):
    """Add the ``rvs render`` options to an argparse (sub)parser."""
    parser.add_argument(
        "--source",
        default="demo",
        help="demo (default), cbs (the download cache) or a folder in the tidy CSV layout",
    )
    parser.add_argument("--cache", default="data/raw", help="CBS download cache (default data/raw)")
    parser.add_argument(
        "--level",
        choices=("region", "district", "gemeente"),
        default=None,
        help="render one level's areas; default: the region plus its five districts",
    )
    parser.add_argument(
        "--areas",
        default=None,
        help="comma-separated area names, slugs or GM codes, any case (overrides --level)",
    )
    parser.add_argument(
        "--notebooks",
        default=None,
        help="comma-separated notebook names or paths (default: every notebook in notebooks/)",
    )
    parser.add_argument("--notebooks-dir", default="notebooks", help=argparse_suppress())
    parser.add_argument(
        "--out",
        default="outputs",
        help="output folder, replaced as a whole at the end of the batch (default outputs)",
    )
    parser.add_argument(
        "--jobs",
        type=positive_jobs,
        default=None,
        help=f"parallel kernels (default: the number of cores, here {os.cpu_count()})",
    )
    parser.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="local worker processes (default) or a dask.distributed cluster",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        help=(
            "dask scheduler address for --executor dask (default: start a LocalCluster). A dask "
            "scheduler runs whatever code it is sent, so use only one you control; tls://HOST:PORT "
            "connects with dask's own security settings (distributed.comm.tls.* in the dask "
            "configuration or DASK_DISTRIBUTED__COMM__TLS__* variables)"
        ),
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=600.0,
        help="seconds one notebook cell may run before its report fails, > 0 (default 600)",
    )
    parser.add_argument(
        "--strategy",
        metavar="ID|DIR",
        help="the strategy every report follows: a shipped one (rvs-2015-2018, rvs-2019-2022, "
        "rvs-2023-2026) or the folder of your own (strategy.toml, municipalities.csv, "
        "targets.csv; a group of municipalities of your own is a one-district strategy); "
        "default: the strategy of the report year",
    )
    parser.add_argument(
        "--pdf",
        action="store_true",
        help="also print every report to an A4 PDF beside its HTML page (needs Debian's chromium)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="render every report, also those whose inputs did not change",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        action="append",
        type=parameter_option,
        default=[],
        metavar="NAME=VALUE",
        help="pass a parameter to every report, as papermill's -p (repeatable), e.g. -p "
        "report_year=2018; the value is read as a number, True/False/None or else text; a name a "
        "notebook does not declare is refused",
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "bar", "lines"),
        default="auto",
        help="progress bar, log lines, or auto (a bar on a terminal)",
    )


def parameter_option(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` as papermill's ``-p`` reads it: int, float, True/False/None, else text."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(
            f"expected NAME=VALUE, e.g. report_year=2018, not {text!r}"
        )
    return name, _literal(value)


def _literal(value: str):
    if value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[value]
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def argparse_suppress():
    """Hide developer-only options from ``--help``."""
    return argparse.SUPPRESS


def _raise_terminated(signum, frame):
    # A second signal must not interrupt the clean-up the first one started.
    signal.signal(signum, signal.SIG_IGN)
    raise Terminated(signum)


def run(args) -> int:
    """Run the batch; print a summary; return 0 when every report succeeded or was skipped.

    Errors in the input (unknown area or notebook, unavailable source, unsafe output folder)
    raise :class:`rvs_analysis.exceptions.RvsError` before anything is written; the CLI prints
    them. ``KeyboardInterrupt`` leaves the previous outputs as they were and returns 130.
    """
    # deferred: CLI start-up time (the batch loads pandas and the notebook stack)
    from rvs_analysis.render.batch import batch_strategy, parse_list, render_batch  # noqa: PLC0415

    progress = {"auto": None, "bar": True, "lines": False}[getattr(args, "progress", "auto")]
    chromium = None
    if getattr(args, "pdf", False):
        chromium = find_chromium()  # before rendering: a missing browser stops the run at once
    main_thread = threading.current_thread() is threading.main_thread()
    handled = (signal.SIGTERM, signal.SIGHUP) if main_thread else ()
    before = {signum: signal.signal(signum, _raise_terminated) for signum in handled}
    try:
        try:
            parameters = dict(getattr(args, "parameters", None) or [])
            strategy = getattr(args, "strategy", None)
            result = render_batch(
                source=args.source,
                cache=args.cache,
                level=args.level,
                areas=resolve_areas(parse_list(args.areas), batch_strategy(strategy, parameters)),
                notebooks=parse_list(args.notebooks),
                notebooks_dir=args.notebooks_dir,
                out=args.out,
                jobs=args.jobs,
                executor=args.executor,
                scheduler=args.scheduler,
                timeout=args.timeout,
                force=args.force,
                progress=progress,
                parameters=parameters,
                strategy=strategy,
            )
        except Terminated as stopped:
            name = signal.Signals(stopped.signum).name
            print(
                f"Afgebroken ({name}): werkprocessen en kernels zijn gestopt; de vorige uitvoer "
                f"in {args.out} is ongewijzigd gebleven.",
                file=sys.stderr,
            )
            return 128 + stopped.signum
        except KeyboardInterrupt:
            print(
                f"Onderbroken: de vorige uitvoer in {args.out} is ongewijzigd gebleven.",
                file=sys.stderr,
            )
            return 130
        print(result.summary_text(), file=sys.stderr)
        if chromium is None:
            return result.exit_code
        try:
            return _write_pdfs(result, chromium)
        except KeyboardInterrupt as stopped:
            # The reports are in place; the browser and its profile folder are gone, and no
            # PDF is half-written (each is moved in whole).
            signum = getattr(stopped, "signum", signal.SIGINT)
            print(
                f"Afgebroken ({signal.Signals(signum).name}) tijdens het maken van de PDF's: de "
                f"rapporten in {args.out} zijn geschreven, de PDF's zijn niet compleet. Draai "
                "opnieuw met --pdf.",
                file=sys.stderr,
            )
            return 128 + signum
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def _write_pdfs(result, chromium) -> int:
    """The ``--pdf`` step after a batch: the exit code (non-zero when a page got no PDF)."""
    pdfs = write_pdfs(result.out, result.manifest, chromium)
    pages = sum(1 for report in result.manifest.get("reports", []) if report.get("html"))
    print(
        f"{len(pdfs)} PDF's geschreven (A4), naast de rapporten in {result.out}.",
        file=sys.stderr,
    )
    if len(pdfs) < pages:
        print(
            f"rvs: error: {pages - len(pdfs)} van de {pages} rapporten kregen geen PDF: "
            f"{chromium} kon ze niet afdrukken. Controleer de browser (apt-get install "
            "chromium) en draai opnieuw met --pdf.",
            file=sys.stderr,
        )
        return max(result.exit_code, 1)
    return result.exit_code


def main(argv=None) -> int:
    """Run ``rvs render`` on its own (``python -m rvs_analysis.commands.render``)."""
    parser = argparse.ArgumentParser(prog="rvs render", description=__doc__.splitlines()[0])
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except RvsError as error:
        print(str(error), file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
