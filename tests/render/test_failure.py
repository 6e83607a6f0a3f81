"""A failed report in Dutch (issue 28 A7): the explanation chosen for each kind of error."""

from __future__ import annotations

import pytest

from rvs_analysis.render.failure import EXPLANATIONS, explain


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("IncompleteDataError: population.csv: 1 municipality ... (cel 12)", "mist cijfers"),
        ("rvs_analysis.exceptions.DataValidationError: x.csv, column a (cel 3)", "ongeldige"),
        ("StatisticsInputError: fewer than three years (cel 7)", "te weinig"),
        ("KernelFailure: Een cel liep langer dan de tijdslimiet van 60 s (cel 4)", "tijdslimiet"),
        ("KernelFailure: De kernel is onverwacht gestopt (kernel died). (cel 2)", "stopte"),
        ("Het werkproces stopte onverwacht (exit code -9).", "stopte onverwacht"),
        ("dask: KilledWorker: ('task', <WorkerState>)", "stopte onverwacht"),
        ("ValueError: opzettelijke fout (cel 4)", "niet voorzag"),
        ("KeyError: 'x'", "niet voorzag"),
        (None, "niet voorzag"),
    ],
)
def test_each_failure_is_explained_in_dutch_with_what_to_do(error, says):
    explanation = explain(error)
    assert says in explanation.what
    assert explanation.todo and explanation.todo[0].isupper() and explanation.todo.endswith(".")
    assert explanation.text == f"{explanation.what} {explanation.todo}"


def test_every_named_error_class_exists_and_gets_its_own_words():
    import rvs_analysis.exceptions as exceptions
    from rvs_analysis.report.context import ReportParameterError
    from rvs_analysis.stats.common import StatisticsInputError

    known = {
        name
        for name in dir(exceptions)
        if isinstance(getattr(exceptions, name), type)
        and issubclass(getattr(exceptions, name), BaseException)
    } | {ReportParameterError.__name__, StatisticsInputError.__name__, "MemoryError"}
    assert set(EXPLANATIONS) <= known
    assert len({item.what for item in EXPLANATIONS.values()}) == len(EXPLANATIONS)
