"""One results protocol and no duplicate public names (issue 30 item 3).

Every public result dataclass of :mod:`rvs_analysis.stats` has ``method`` (English text),
``method_spec`` (a code and its numbers, which the report layer words in Dutch), ``to_frame()``
and ``to_dict()`` whose value survives ``json.dumps``. A public name means one thing: no two
statistics modules define it, and no report function takes a statistics function's name.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil

import rvs_analysis.report as report_package
import rvs_analysis.stats as stats_package


def _public_definitions(package):
    """``{name: [module, ...]}`` for the public functions and classes each module defines."""
    found: dict[str, list[str]] = {}
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if name.startswith("_"):
                continue
            if inspect.isfunction(value) or inspect.isclass(value):
                if value.__module__ == module.__name__:
                    found.setdefault(name, []).append(module.__name__)
    return found


def test_no_public_name_is_defined_by_two_statistics_modules():
    twice = {name: where for name, where in _public_definitions(stats_package).items()}
    twice = {name: where for name, where in twice.items() if len(where) > 1}
    assert not twice, f"public names defined twice in rvs_analysis.stats: {twice}"


def test_no_report_function_takes_a_statistics_name():
    statistics = _public_definitions(stats_package)
    shadows = {
        name: where
        for name, where in _public_definitions(report_package).items()
        if name in statistics
    }
    assert not shadows, f"report names that shadow rvs_analysis.stats names: {shadows}"


# --------------------------------------------------------------------------------------------
# One results protocol: method, method_spec, to_frame(), to_dict()
# --------------------------------------------------------------------------------------------

NOT_RESULTS = {
    # public dataclasses of rvs_analysis.stats that are not results, each with why
    "Target": "a row of data/targets.csv: the input a status is judged against",
    "Scenario": "the specification of a simulation in make validate-stats",
    "MethodSpec": "the structured method description every result carries",
    "CountFit": "the count engine's fit, from which results (Estimates) are read",
    "BatchCountFit": "the count engine's fit of many series at once, read by the neighbourhood results",
    "AreaYearTotals": "validated input of the neighbourhood statistics (totals, withheld cells)",
}


@functools.lru_cache(maxsize=1)
def _instances():
    """One cheap instance of every result class (small synthetic data, few replicates), built
    once per test run."""
    import math

    import numpy as np
    import pandas as pd
    from stats.test_compare import _trend_table
    from stats.test_crime_change import _crime
    from stats.test_neighbourhood import _months, _years
    from stats.test_perception import _survey
    from stats.test_published import simulated

    from rvs_analysis.stats import (
        clearance,
        compare,
        crime_change,
        monthly,
        neighbourhood,
        nowcast,
        perception,
        published,
        surveillance,
        targets,
        trends,
    )

    years = list(range(2011, 2024))
    counts = [5200, 5100, 4900, 4700, 4800, 4500, 4300, 4100, 4200, 3900, 3800, 3700, 3600]
    frame = pd.DataFrame(
        {"year": years, "registered_offences": counts, "population": [1.3e6] * len(years)}
    )
    trend = trends.fit_count_trend(frame)
    two = _trend_table(np.random.default_rng(12), {"A": math.log(0.95), "B": math.log(0.9)})
    changes = compare.change_between(two, 2012, 2023)
    drivers = pd.DataFrame(
        {
            "gemeente_code": ["GM1", "GM2", "GM3", "GM4", "GM5", "GM6"],
            "registered_offences": [100, 120, 80, 90, 110, 100],
            "cleared_offences": [10, 14, 7, 20, 25, 18],
            "burgernet_high": [0, 0, 0, 1, 1, 1],
        }
    )
    survey, pilots = _survey(2, municipalities=20, respondents=40)
    months = pd.date_range("2015-01-01", periods=48, freq="MS")
    rng = np.random.default_rng(5)
    series = pd.Series(rng.poisson(300 * (1 + 0.2 * np.cos(months.month / 12 * 2 * np.pi))), months)
    status = targets.target_status(
        "burglary",
        frame.rename(columns={"registered_offences": "value"})[["year", "value"]].iloc[:6],
    )
    buurten = _years(np.full(20, 0.05), np.linspace(300, 4000, 20))
    monthly_counts = _months([20.0] * 4, n_years=4)
    return {
        "EBRates": neighbourhood.eb_rates(buurten),
        "Concentration": neighbourhood.concentration(buurten, draws=200),
        "Funnel": neighbourhood.overdispersed_funnel(buurten),
        "Hotspots": neighbourhood.persistent_hotspots(buurten),
        "Signals": surveillance.monthly_signals(monthly_counts),
        "Estimate": trends.count_change(100, 80, dispersion=2.0, df=5),
        "Forecast": trend.forecast(2025, population=1.3e6, n_sim=500),
        "CountTrend": trend,
        "SerialNoise": trend.serial,
        "TargetStatus": status,
        "Measured": targets.Measured(2018, 90.0, 72.0, 110.0, 90.0, "exact_poisson"),
        "DriversFit": clearance.clearance_drivers(drivers, ["burgernet_high"]),
        "AreaTrendComparison": compare.compare_area_trends(two),
        "ChangeFunnel": compare.change_funnel(changes),
        "TrendComparison": crime_change.compare_visibility_trends(
            _crime([1000, 950, 900, 870, 820], [100, 110, 118, 130, 139], years[:5])
        ),
        "ChangePoints": monthly.detect_change_points(series, n_boot=99),
        "SeasonalEffects": monthly.seasonal_effects(series, n_sim=200),
        "DidResult": perception.difference_in_differences(
            survey, "feels_unsafe", pilots, 2017, n_boot=99
        ),
        "EventStudy": perception.event_study(survey, "feels_unsafe", pilots, 2017, n_boot=99),
        "Nowcast": nowcast.nowcast_year_total(series.iloc[:-5]),
        "PublishedComparison": published.pilot_comparison(
            simulated(np.random.default_rng(1), -3.0),
            "feels_unsafe",
            [f"GMP{i}" for i in range(4)],
            [f"GMR{i}" for i in range(6)],
            2015,
            2017,
        ),
    }


def _result_classes():
    import dataclasses

    found = {}
    for info in pkgutil.walk_packages(stats_package.__path__, stats_package.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and dataclasses.is_dataclass(value)
                and value.__module__ == module.__name__
                and not name.startswith("_")
                and name not in NOT_RESULTS
            ):
                found[name] = value
    return found


def test_every_public_result_has_method_spec_frame_and_json_dict():
    import json

    import pandas as pd

    from rvs_analysis.stats.common import MethodSpec, Result

    classes = _result_classes()
    instances = _instances()
    assert sorted(classes) == sorted(instances), "a result class without an instance here"
    for name, result in instances.items():
        assert isinstance(result, classes[name]) and isinstance(result, Result), name
        assert isinstance(result.method, str) and result.method, name
        assert isinstance(result.method_spec, MethodSpec), name
        frame = result.to_frame()
        assert isinstance(frame, pd.DataFrame) and not frame.empty, name
        json.dumps(result.to_dict(), allow_nan=False)


def test_an_unknown_method_code_is_refused_and_every_code_has_a_dutch_wording():
    import pytest

    from rvs_analysis.exceptions import UnknownMethodCode
    from rvs_analysis.report import methods_text
    from rvs_analysis.stats.common import METHOD_CODES, MethodSpec, StatisticsInputError

    assert set(methods_text.WORDINGS) == set(METHOD_CODES)
    with pytest.raises(StatisticsInputError, match="Unknown method code"):
        MethodSpec("made_up")
    with pytest.raises(UnknownMethodCode):
        methods_text.describe(None)
    spec = MethodSpec("quasi_poisson_ratio", {"dispersion": 5.687, "df": 8.0, "level": 0.95})
    object.__setattr__(spec, "code", "made_up")  # a code that slipped past the check
    with pytest.raises(UnknownMethodCode, match="made_up"):
        methods_text.describe(spec)


def test_technical_lines_are_dutch_tied_to_their_subject_and_not_repeated():
    from rvs_analysis.report.methods_text import technical_lines
    from rvs_analysis.stats.common import MethodSpec

    ratio = MethodSpec(
        "quasi_poisson_ratio",
        {"dispersion": 5.687, "df": 8.0, "level": 0.95, "percentage_change": True},
    )
    lines = technical_lines([("Woninginbraken", ratio), ("Overvallen", ratio)])
    assert lines == [
        "Woninginbraken; Overvallen: verhouding van twee aantallen met de quasi-Poisson-dispersie "
        "5,69 van de jaar-op-jaarruis van het gebied, t(8)-interval, als procentuele verandering."
    ]


def test_every_result_spec_of_the_instances_has_a_dutch_wording():
    from page_check import _DECIMAL_POINT, _ENGLISH

    from rvs_analysis.report.methods_text import describe

    for name, result in _instances().items():
        text = describe(result.method_spec)
        assert not _ENGLISH.search(text), (name, text)
        assert not _DECIMAL_POINT.search(text), (name, text)


def test_technical_details_refuse_english_text_instead_of_a_spec():
    import pytest

    from rvs_analysis.report.methods_text import technical_lines

    with pytest.raises(TypeError, match="method_spec"):
        technical_lines(["rate ratio with quasi-Poisson dispersion 5.69, t(8) interval"])


def test_plain_values_of_pandas_missing_cells_are_none():
    """A result's ``to_dict()`` carries pandas' missing values (a withheld month's alarm, an
    unranked buurt) as JSON null, never as the text ``<NA>``."""
    import pandas as pd

    from rvs_analysis.stats.common import plain

    assert plain(pd.NA) is None and plain(pd.NaT) is None
    assert plain({"alarm": pd.NA, "month": pd.Period("2024-03", "M")}) == {
        "alarm": None,
        "month": "2024-03",
    }
