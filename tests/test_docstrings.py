"""The examples in the library's docstrings run and give what they show (doctest).

Every public module of ``rvs_analysis`` is collected; a module without examples passes trivially, so
the test also checks that the modules researchers start from (regions, resources, compare) carry
examples at all.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import rvs_analysis

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(rvs_analysis.__path__, prefix="rvs_analysis.")
    if not any(part.startswith("_") for part in info.name.split(".")[1:])
)

WITH_EXAMPLES = {
    "rvs_analysis.regions",
    "rvs_analysis.resources",
    "rvs_analysis.stats.compare",
}


def test_the_researchers_modules_have_examples():
    assert WITH_EXAMPLES <= set(MODULES)
    for name in WITH_EXAMPLES:
        finder = doctest.DocTestFinder()
        examples = sum(len(test.examples) for test in finder.find(importlib.import_module(name)))
        assert examples >= 3, f"{name} has {examples} docstring examples"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
