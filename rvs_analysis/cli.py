"""The ``rvs`` command: one entry point, one module per subcommand.

Each subcommand lives in ``rvs_analysis/commands/<name>.py`` (``demo-data`` -> ``demo_data.py``) with
``add_arguments(parser)`` and ``run(args) -> int``. Only the chosen subcommand's module is imported, so
a slow or missing module never slows down or breaks the others; a subcommand whose module does not
exist yet says so and exits with status 2.

Errors meant for people (:class:`~rvs_analysis.exceptions.RvsError`, and also ``OSError`` and
Ctrl-C) are printed as one paragraph on stderr with the exception's exit status; the traceback is shown
only with ``--debug``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import traceback
import warnings

from rvs_analysis import __version__
from rvs_analysis.exceptions import ArgumentNotTextError, DataWarning, RvsError

COMMANDS: dict[str, str] = {
    "table": "print registered offences per area and year (csv or markdown)",
    "fetch": "download the CBS open-data tables into the cache (needs network)",
    "demo-data": "write the embedded demo data set, or print its planted truths (--truth)",
    "render": "render the report notebooks to HTML",
    "masterclass": "write participant and trainer versions of the masterclass notebooks",
}
"""Subcommands and their one-line help, in the order ``rvs --help`` lists them."""

NOT_AVAILABLE_EXIT = 2


def module_name(command: str) -> str:
    """The module that implements ``command`` (``demo-data`` -> ``rvs_analysis.commands.demo_data``)."""
    return "rvs_analysis.commands." + command.replace("-", "_")


def _load_command(command: str):
    """Import a subcommand's module, or ``None`` when it does not exist (yet)."""
    name = module_name(command)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name == name:
            return None
        raise


def _chosen_command(argv: list[str]) -> str | None:
    for token in argv:
        if token in COMMANDS:
            return token
        if not token.startswith("-"):
            return None
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; only the subcommand named in ``argv`` gets its full options.

    Parameters
    ----------
    argv : list of str, optional
        The arguments about to be parsed (to know which subcommand module to import).
    """
    parser = argparse.ArgumentParser(
        prog="rvs",
        description=(
            "rvs-analysis: crime figures, reports and masterclass of the Regionale "
            "Veiligheidsstrategie Midden-Nederland."
        ),
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    parser.add_argument("--version", action="version", version=f"rvs-analysis {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _chosen_command(list(argv or []))
    for command, summary in COMMANDS.items():
        sub = subparsers.add_parser(command, help=summary, description=summary)
        sub.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
        if command != chosen:
            continue
        module = _load_command(command)
        if module is None:
            sub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
            sub.set_defaults(_run=None)
        else:
            module.add_arguments(sub)
            sub.set_defaults(_run=module.run)
    return parser


def _check_text(argv: list[str]) -> None:
    """Refuse arguments with bytes that are not UTF-8, before anything runs.

    Paths and names end up in UTF-8 manifests, reports and tables; a byte the file system allows
    but UTF-8 does not would otherwise fail only at the end of the work.
    """
    for position, token in enumerate(argv):
        try:
            token.encode("utf-8")
        except UnicodeEncodeError:
            shown = token.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            option = argv[position - 1] if position and argv[position - 1].startswith("-") else ""
            of = f" (of {option})" if option else ""
            raise ArgumentNotTextError(
                f"The argument '{shown}'{of} is not valid UTF-8 text. rvs writes names and "
                "paths into UTF-8 reports, manifests and tables; rename the file or folder, or "
                "give another one."
            ) from None


@contextlib.contextmanager
def _data_warnings_as_lines():
    """Show :class:`DataWarning` as one line ``rvs: warning: ...`` (others as Python shows them)."""
    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, DataWarning):
            print(f"rvs: warning: {message}", file=sys.stderr)
        else:
            original(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = original


def _report(error: BaseException, message: str, debug: bool) -> None:
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    print(f"rvs: error: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the ``rvs`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 on success, the exception's ``exit_code`` for an
        :class:`~rvs_analysis.exceptions.RvsError`, 2 for a subcommand that is not available yet or a
        usage error, 130 after Ctrl-C.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        _check_text(argv)
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        debug = bool(getattr(args, "debug", False))
        if args.command is None:
            parser.print_help(sys.stderr)
            return NOT_AVAILABLE_EXIT
        run = getattr(args, "_run", None)
        if run is None:
            print(
                f"rvs: '{args.command}' is not available yet (the module "
                f"{module_name(args.command)} is not installed in this version).",
                file=sys.stderr,
            )
            return NOT_AVAILABLE_EXIT
        with _data_warnings_as_lines():
            return int(run(args) or 0)
    except RvsError as error:
        _report(error, str(error), debug)
        return int(error.exit_code)
    except KeyboardInterrupt as error:
        _report(error, "interrupted; nothing more was written.", debug)
        return 130
    except OSError as error:
        where = f" ({error.filename})" if getattr(error, "filename", None) else ""
        _report(error, f"{error.strerror or error}{where}.", debug)
        return 1


if __name__ == "__main__":
    sys.exit(main())
