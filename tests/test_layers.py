"""The library's layers: data flows one way, and no lower stage imports a higher one.

raw data -> ``sources`` / ``regions`` / ``clean`` -> ``stats`` -> ``report`` -> ``render``; the
masterclass (``teach``) and the command line (``commands``, ``cli``) sit on top. The test reads every
module's imports with :mod:`ast` (also imports inside functions) and fails on an upward one.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rvs_analysis"

# Rank of each top-level part of the package; a module may import only its own rank or lower.
LAYERS = {
    "exceptions": 0,
    "provenance": 0,
    "resources": 0,
    "clean": 1,
    "completeness": 1,
    "regions": 1,
    "region_tables": 1,
    "national": 1,
    "strategies": 1,
    "years": 0,
    "timings": 0,
    "dutch": 0,
    "mimetypes": 0,
    "spreadsheet": 0,
    "written_folder": 0,
    "sources": 1,
    "stats": 2,
    "report": 3,
    "render": 4,
    "teach": 5,
    "notebook_check": 5,
    "commands": 6,
    "cli": 6,
}
MAX_LINES = 1200


def _part(module: str) -> str | None:
    """The top-level part of a dotted ``rvs_analysis`` module name, or None for the package root."""
    parts = module.split(".")
    if parts[0] != "rvs_analysis" or len(parts) == 1:
        return None
    return parts[1]


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        yield name, path


def _imports(name: str, path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "rvs_analysis":
                # ``from rvs_analysis import regions``: each name is a module.
                for alias in node.names:
                    yield node.lineno, f"rvs_analysis.{alias.name}"
            else:
                yield node.lineno, target


def test_every_part_has_a_layer():
    parts = {_part(name) for name, _ in _modules()} - {None}
    assert parts <= set(LAYERS), f"give these parts a layer in LAYERS: {parts - set(LAYERS)}"


def test_no_lower_stage_imports_a_higher_one():
    upward = []
    for name, path in _modules():
        own = _part(name)
        if own is None:
            continue
        for line, target in _imports(name, path):
            other = _part(target)
            if other is None or other not in LAYERS or other == own:
                continue
            if LAYERS[other] > LAYERS[own]:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    assert not upward, "upward imports:\n" + "\n".join(upward)


@pytest.mark.parametrize("name,path", list(_modules()), ids=lambda value: str(value))
def test_no_module_over_the_size_limit(name, path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines (limit {MAX_LINES}): split it by concept"


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The checker itself: a fake stats module importing the report layer is caught."""
    fake = tmp_path / "rvs_analysis"
    (fake / "stats").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "stats" / "__init__.py").write_text("")
    (fake / "stats" / "bad.py").write_text(
        "def f():\n    from rvs_analysis.report import wording\n    return wording\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    with pytest.raises(AssertionError, match="stats/bad.py:2 imports rvs_analysis.report"):
        test_no_lower_stage_imports_a_higher_one()


def test_the_report_package_imports_its_modules_only_when_used():
    """The batch's main process words the index's key message with report.wording: that must not
    import the plotting and model stack the report package's figures and tables need."""
    import subprocess

    code = (
        "import sys\n"
        "from rvs_analysis.render.html import key_message\n"
        "key_message({'estimates': {}}, 'Midden-Nederland')\n"
        "import rvs_analysis.report.wording\n"
        "heavy = [m for m in ('matplotlib', 'seaborn', 'statsmodels') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "from rvs_analysis import report\n"
        "assert all(getattr(report, name) is not None for name in report.__all__)\n"
        "assert 'matplotlib' in sys.modules and report.figures.PALETTE\n"
        "assert report.tables.results_table is report.results_table\n"
        "assert not hasattr(report, 'no_such_module')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_every_module_imports_on_its_own():
    """Any module can be the first one a notebook or script imports (no import cycle that only
    works in one order): each is imported with none of the package loaded before it."""
    import subprocess

    names = [name for name, _ in _modules()]
    code = (
        "import importlib, sys, traceback\n"
        "import matplotlib, pandas, scipy.stats, statsmodels.api  # loaded once, not the package\n"
        "failed = []\n"
        f"for name in {names!r}:\n"
        "    for loaded in [m for m in sys.modules if m.split('.')[0] == 'rvs_analysis']:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        failed.append(name + ': ' + traceback.format_exc(limit=0).strip())\n"
        "assert not failed, failed\n"
        "from rvs_analysis.report import figures\nfrom rvs_analysis.report.figures import maps\n"
        "assert figures.tile_map is maps.tile_map\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


MAX_FUNCTION_LINES = 100
"""Code lines of one function (its docstring not counted)."""

LONG_FUNCTIONS = {
    # Each builds its design, fits and reads its contrasts in one place; they are split when the
    # count models move to the one count engine (issue 30 item 2). At most five may stay.
    "rvs_analysis.stats.compare.compare_trends": "count engine (issue 30 item 2)",
    "rvs_analysis.stats.crime_change.compare_trends": "count engine (issue 30 item 2)",
    "rvs_analysis.stats.trends.fit_count_trend": "count engine (issue 30 item 2)",
    "rvs_analysis.stats.targets.target_status": "count engine (issue 30 item 2)",
    "rvs_analysis.stats.clearance.clearance_drivers": "count engine (issue 30 item 2)",
    "rvs_analysis.stats.monthly.detect_change_points": "AR(1) null and bend-or-break test: to split",
    "rvs_analysis.stats.serial.ar1_noise": "AR(1) estimate of the extra-Poisson noise: to split",
}


def _function_lengths():
    for name, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            first = node.body[0]
            docstring = (
                first.end_lineno - first.lineno + 1
                if isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
                else 0
            )
            yield f"{name}.{node.name}", node.end_lineno - node.lineno + 1 - docstring


def test_functions_are_short():
    long = {name: lines for name, lines in _function_lengths() if lines > MAX_FUNCTION_LINES}
    unexplained = sorted(set(long) - set(LONG_FUNCTIONS))
    assert not unexplained, f"functions over {MAX_FUNCTION_LINES} code lines: " + ", ".join(
        f"{name} ({long[name]})" for name in unexplained
    )
    stale = sorted(set(LONG_FUNCTIONS) - set(long))
    assert not stale, f"short now, remove from LONG_FUNCTIONS: {stale}"


_DUTCH_WORDS = re.compile(
    r"\b(niet|geen|behaald|koers|procentpunt|gemeenten|weinig|voorlopig|daling|stijging|"
    r"zichtbaar|ingedeeld|overig)\b",
    re.IGNORECASE,
)

DUTCH_IN_STATS = {
    # report words that still live in stats, each with where it goes
    "rvs_analysis.stats.targets": "status words (_STATUS_NL): to the report layer (issue 28 B4)",
    "rvs_analysis.stats.clearance": "'procentpunt' in a method string: 'percentage points'",
    "rvs_analysis.stats.validation": "scenario descriptions quote what the reports print",
}


def _string_constants(tree):
    """String literals that are not docstrings."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            docstrings.add(id(node.value))  # bare strings: documentation, not values
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                yield node


def test_statistics_return_codes_and_reports_write_dutch():
    """The stats layer returns codes and numbers; wording (Dutch, decimal commas) is the report
    layer's (issue 30 item 4): no stats module imports the Dutch formatting, and no string it
    returns is Dutch."""
    found = []
    for name, path in _modules():
        if not name.startswith("rvs_analysis.stats"):
            continue
        for line, target in _imports(name, path):
            if target.startswith(("rvs_analysis.dutch", "rvs_analysis.report")):
                found.append(f"{name}:{line} imports {target}")
        if name in DUTCH_IN_STATS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _string_constants(tree):
            if _DUTCH_WORDS.search(node.value):
                found.append(f"{name}:{node.lineno} {node.value[:60]!r}")
    assert not found, "Dutch in the stats layer:\n" + "\n".join(found)
