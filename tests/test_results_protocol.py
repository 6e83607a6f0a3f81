"""One results protocol and no duplicate public names (issue 30 item 3).

Every public result dataclass of :mod:`rvs_analysis.stats` has ``method`` (English text),
``method_spec`` (a code and its numbers, which the report layer words in Dutch), ``to_frame()``
and ``to_dict()`` whose value survives ``json.dumps``. A public name means one thing: no two
statistics modules define it, and no report function takes a statistics function's name.
"""

from __future__ import annotations

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
