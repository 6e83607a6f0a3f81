"""Typed exceptions that carry what a person needs to fix the problem.

Every error the CLI can meet derives from :class:`RvsError`; the CLI prints ``str(error)`` as one
paragraph and exits non-zero, and shows the traceback only with ``--debug``. Every exception class
of the package is defined here (``tests/test_layers.py`` checks); the modules that raise them
import them from here (and some re-export theirs under the old name).
"""

from __future__ import annotations


class RvsError(Exception):
    """Base class: an error whose message is meant for a person, not a developer."""

    exit_code = 1


class DataValidationError(RvsError, ValueError):
    """Bad input data: names the file, the column and the first offending row.

    Parameters
    ----------
    file : str
        The file (or table) that holds the bad value.
    column : str or None
        The offending column.
    row : int or None
        The first offending row, 1-based as a person counts data rows (header excluded).
    problem : str
        What is wrong, in one sentence.
    value : object, optional
        The offending value, shown as it was read.
    """

    exit_code = 2

    def __init__(self, file, column, row, problem, value=None):
        self.file = str(file)
        self.column = column
        self.row = row
        self.problem = problem
        self.value = value
        where = f"{self.file}"
        if column is not None:
            where += f", column '{column}'"
        if row is not None:
            where += f", row {row}"
        shown = f" (value: {value!r})" if value is not None else ""
        super().__init__(
            f"Invalid input in {where}: {problem}{shown}. Nothing was written; "
            "fix the input (files under data/raw are never edited: fetch again or fix the source) "
            "and run again."
        )


class StrategyError(RvsError, ValueError):
    """A strategy folder that cannot be used: names the file, the row (or TOML line) and what is
    wrong (:mod:`rvs_analysis.strategies`); refused before anything is written.

    Parameters
    ----------
    file : str
        The strategy's file (``strategy.toml``, ``municipalities.csv``, ``targets.csv``).
    row : int or None
        The data row (1-based, header excluded) or, for the TOML file, the line or priority.
    problem : str
        What is wrong and what to do, in one or two sentences.
    """

    exit_code = 2

    def __init__(self, file, row, problem):
        self.file = str(file)
        self.row = row
        self.problem = problem
        where = self.file + (f", {row}" if isinstance(row, str) else f", row {row}" if row else "")
        super().__init__(
            f"The strategy in {where} cannot be used: {problem} Nothing was written; fix the "
            "strategy folder (or choose another with --strategy) and run again."
        )


class UnknownAreaError(RvsError, ValueError):
    """An area name that is not the region, one of its districts or municipalities."""

    exit_code = 2

    def __init__(self, area, valid):
        self.area = area
        self.valid = list(valid)
        super().__init__(f"Unknown area {area!r}. Valid areas are: {', '.join(self.valid)}.")


class SourceNotAvailableError(RvsError):
    """The requested source (or a part of it, such as cleared offences) is not available."""

    exit_code = 3


class IncompleteDataError(SourceNotAvailableError):
    """A municipality of an area in use lacks rows (or a usable population) for a year in use:
    refused, because a total over fewer municipalities than the area has would be wrong
    (:mod:`rvs_analysis.completeness`)."""

    exit_code = 3


class FetchError(RvsError):
    """Downloading CBS open data failed; the cache was left as it was."""

    exit_code = 4


class RenderError(RvsError):
    """A batch that cannot start: unknown notebook, unsafe or busy output folder, nothing to render."""

    exit_code = 2


class NotAvailableForSource(RvsError):  # noqa: N818 - a signal to skip, not a failure
    """A report's inputs do not exist for this source: the renderer records it as *skipped*.

    Raised from a report notebook's first cells; ``reason`` says what is missing, in Dutch or
    English, for the index page.
    """

    exit_code = 0

    def __init__(self, reason):
        self.reason = reason
        super().__init__(reason)


class ArgumentNotTextError(RvsError):
    """A command-line argument that is not valid UTF-8 (such as ``--cache $'\\xff'``)."""

    exit_code = 2


class ReportParameterError(RvsError, ValueError):
    """A report parameter (years, summary path) that cannot be used with this source."""

    exit_code = 2


class StatisticsInputError(RvsError, ValueError):
    """A statistics function received arguments it cannot use (negative counts, empty series, ...)."""

    exit_code = 2


class UnknownMethodCode(RvsError, ValueError):  # noqa: N818 - named as the report layer says it
    """A method code without a Dutch wording (``rvs_analysis.report.methods_text.WORDINGS``)."""


class CountModelConvergenceError(StatisticsInputError):
    """A count model (negative binomial) that did not converge to a usable maximum likelihood fit.

    Raised by :func:`rvs_analysis.stats.count_model.fit_counts`; callers that documented a fall
    back to quasi-Poisson catch it, others let it reach the user.
    """


class ChromiumMissingError(RvsError):
    """``--pdf`` was asked for but Chromium is not installed."""

    exit_code = 2


class KernelUnavailableError(Exception):
    """The kernel died, timed out or could not be started; it has been restarted (or stopped).

    Not an :class:`RvsError`: the renderer catches it and records the report as failed.
    """


class UnkeyableArgumentError(TypeError):
    """An argument :func:`rvs_analysis.report.shared.content_key` cannot stand in for by its content."""


class OtherHostError(FetchError):
    """A request of a CBS download went to a host other than the catalog's."""


class TooManyRequestsError(FetchError):
    """A CBS download made more than :data:`rvs_analysis.sources.cbs_fetch.MAX_REQUESTS` requests."""


class TableFailedError(Exception):
    """One CBS table could not be fetched (internal to :func:`rvs_analysis.sources.cbs_fetch.fetch`).

    Parameters
    ----------
    reason : str
        What went wrong, in words.
    kind : str
        ``missing``, ``refused`` or ``failed``.
    retry : bool, optional
        Whether another attempt may help.
    """

    def __init__(self, reason: str, kind: str, retry: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.retry = retry


class Terminated(KeyboardInterrupt):  # noqa: N818 - Ctrl-C's kin, not an error
    """SIGTERM or SIGHUP reached the batch process: stop like Ctrl-C (workers, kernels, staging)."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class DataWarning(UserWarning):
    """Input that is suspicious but not refused (a population jump outside the region).

    The CLI prints it as one line ``rvs: warning: ...``; in a notebook it shows as a warning.
    """


class ClusterLostError(Exception):
    """The dask cluster of ``rvs render --executor dask`` went away mid-batch; its open reports
    have been failed already (:class:`rvs_analysis.render.executors.DaskExecutor`)."""
