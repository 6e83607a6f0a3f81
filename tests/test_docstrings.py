"""The examples in the library's docstrings run and give what they show (doctest).

Every public module of ``rvs_analysis`` is collected; a module without examples passes trivially, so
the test also checks that the modules researchers start from (regions, resources, compare) carry
examples at all. It also checks that every public function of the sources, the regions and the
statistics has numpydoc Parameters and Returns sections.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
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


# --------------------------------------------------------------------------------------------
# numpydoc sections (issue 30 item 8): every public function of the sources, the regions and
# the statistics says what it takes (Parameters) and what it gives (Returns).
# --------------------------------------------------------------------------------------------

SECTIONED = ("sources", "regions", "region_tables", "national", "completeness", "stats")
"""Parts of the package (a module or a subpackage) whose public functions need the sections."""


def _sectioned_modules(prefixes=SECTIONED):
    wanted = tuple(f"rvs_analysis.{prefix}" for prefix in prefixes)
    return [
        name
        for name in MODULES
        if any(name == prefix or name.startswith(prefix + ".") for prefix in wanted)
    ]


def _public_functions(name):
    """The module's own public functions (those in ``__all__`` when it has one); a function
    wrapped by a cache (``functools.lru_cache``) counts as the function it wraps."""
    module = importlib.import_module(name)
    public = getattr(module, "__all__", None)
    for attr, value in vars(module).items():
        if attr.startswith("_") or (public is not None and attr not in public):
            continue
        function = value
        if not inspect.isfunction(function):
            function = getattr(value, "__wrapped__", None)
            if not inspect.isfunction(function):
                continue
        if function.__module__ != name:
            continue
        yield f"{name}.{attr}", value, function


def missing_sections(names):
    """``module.function: Parameters, Returns`` for each public function lacking a section:
    Parameters when it takes an argument (besides self/cls), Returns (or Yields) unless it is
    annotated to return None."""
    found = []
    for name in names:
        for qualified, value, function in _public_functions(name):
            doc = inspect.getdoc(value) or inspect.getdoc(function) or ""
            signature = inspect.signature(function)
            parameters = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
            missing = []
            if parameters and "Parameters\n----------" not in doc:
                missing.append("Parameters")
            returns = signature.return_annotation
            if (
                returns not in (None, "None")
                and "Returns\n-------" not in doc
                and "Yields\n------" not in doc
            ):
                missing.append("Returns")
            if missing:
                found.append(f"{qualified}: {', '.join(missing)}")
    return found


def test_public_functions_have_parameters_and_returns_sections():
    names = _sectioned_modules()
    assert {"rvs_analysis.sources.cbs", "rvs_analysis.regions", "rvs_analysis.stats.trends"} <= set(
        names
    )
    found = missing_sections(names)
    assert not found, "numpydoc sections missing:\n" + "\n".join(found)


def test_the_section_check_sees_a_missing_section(tmp_path, monkeypatch):
    module = tmp_path / "rvs_fake_sections.py"
    module.write_text(
        "import functools\n"
        "__all__ = ['bare', 'told', 'nothing', 'cached']\n"
        "def bare(x):\n    'No sections.'\n    return x\n"
        "def told(x) -> int:\n"
        "    '''Told.\n\n    Parameters\n    ----------\n    x : int\n\n"
        "    Returns\n    -------\n    int\n    '''\n    return x\n"
        "def nothing(x) -> None:\n"
        "    '''Nothing to return.\n\n    Parameters\n    ----------\n    x : int\n    '''\n"
        "@functools.lru_cache\ndef cached() -> int:\n    'Cached, no Returns.'\n    return 1\n"
        "def hidden(x):\n    return x\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert missing_sections(["rvs_fake_sections"]) == [
        "rvs_fake_sections.bare: Parameters, Returns",
        "rvs_fake_sections.cached: Returns",
    ]
