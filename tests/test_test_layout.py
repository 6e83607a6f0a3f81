"""The tests mirror the package: where a test module sits says what it tests.

``tests/stats``, ``tests/sources``, ``tests/report``, ``tests/render`` and ``tests/teach`` hold
the tests of those subpackages of ``rvs_analysis``; ``tests/`` itself the tests of the modules at
the package's root (``regions``, ``clean``, ``cli``, ...) and the cross-cutting ones (layers,
packaging, the notebooks end to end, the golden output, the red-team table). The rules, checked
on the modules' names and their ``rvs_analysis`` imports (CONTRIBUTING.md, "Where a test goes"):

1. test modules sit only in ``tests/`` and the five package folders, each name once (pytest's
   default import mode imports a test module by its file name);
2. ``test_<name>.py`` named after a subpackage sits in its folder, named after a module at the
   package's root in ``tests/``, named after a module (or folder) of exactly one subpackage in
   that subpackage's folder;
3. a test module in ``tests/<subpackage>/`` imports from ``rvs_analysis.<subpackage>``;
4. a test module in ``tests/`` whose ``rvs_analysis`` imports all come from one subpackage belongs
   in that subpackage's folder;
5. no test module imports from ``conftest``: fixtures are for pytest, helpers are modules of
   their own (``tidy_sources``, ``cbs_feed``, ``page_check``, ``report_scan``).
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PACKAGE = TESTS.parent / "rvs_analysis"
SUBPACKAGES = ("stats", "sources", "report", "render", "teach")


def _imported(path: Path) -> list[str]:
    """The top-level parts of ``rvs_analysis`` a module imports (``"stats"``, ``"regions"``, ...),
    once per imported name, and ``"conftest"`` for an import from conftest."""
    parts = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = node.module.split(".")
            if names[0] == "conftest":
                parts.append("conftest")
            elif names[0] == "rvs_analysis" and len(names) > 1:
                parts.extend(names[1] for _ in node.names)
            elif names[0] == "rvs_analysis":
                parts.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names = alias.name.split(".")
                if names[0] == "conftest":
                    parts.append("conftest")
                elif names[0] == "rvs_analysis":
                    parts.append(names[1] if len(names) > 1 else "__init__")
    return parts


def _home(name: str, package: Path) -> str | None:
    """The folder (``""`` for ``tests/``) that ``test_<name>.py`` belongs in by its name, or None
    when the name does not say."""
    if name in SUBPACKAGES:
        return name
    if (package / f"{name}.py").exists():
        return ""
    homes = [
        sub
        for sub in SUBPACKAGES
        if (package / sub / f"{name}.py").exists() or (package / sub / name).is_dir()
    ]
    return homes[0] if len(homes) == 1 else None


def misplaced(tests: Path, package: Path) -> list[str]:
    """Every test module of ``tests`` that breaks one of the rules above, with the rule."""
    problems = []
    seen: dict[str, Path] = {}
    for path in sorted(tests.rglob("test_*.py")):
        relative = path.relative_to(tests)
        folder = relative.parent.as_posix() if relative.parent != Path(".") else ""
        if folder not in ("", *SUBPACKAGES):
            problems.append(f"{relative}: test modules sit in tests/ or tests/<subpackage>/ only")
            continue
        if path.name in seen:
            problems.append(f"{relative}: the same name as {seen[path.name].relative_to(tests)}")
        seen[path.name] = path
        home = _home(path.stem.removeprefix("test_"), package)
        if home is not None and home != folder:
            problems.append(
                f"{relative}: named after a module of its package, belongs in tests/{home}"
            )
        imported = _imported(path)
        if "conftest" in imported:
            problems.append(f"{relative}: imports from conftest (put shared helpers in a module)")
        if folder and folder not in imported:
            problems.append(f"{relative}: imports nothing from rvs_analysis.{folder}")
        subpackages = {part for part in imported if part != "conftest"}
        if not folder and len(subpackages) == 1 and subpackages <= set(SUBPACKAGES):
            problems.append(
                f"{relative}: imports only rvs_analysis.{subpackages.pop()}, belongs there"
            )
    return problems


def test_every_test_module_sits_where_its_package_module_does():
    assert misplaced(TESTS, PACKAGE) == []
    assert {path.parent.name for path in TESTS.rglob("test_*.py")} >= set(SUBPACKAGES)


def test_the_layout_rules_catch_a_test_module_in_the_wrong_place(tmp_path):
    package, tests = tmp_path / "rvs_analysis", tmp_path / "tests"
    for module in ("regions.py", "stats/trends.py", "report/figures/__init__.py", "render/pdf.py"):
        (package / module).parent.mkdir(parents=True, exist_ok=True)
        (package / module).write_text("", encoding="utf-8")
    modules = {
        "test_trends.py": "from rvs_analysis.stats import trends\n",  # named for stats: rule 2
        "stats/test_regions.py": "from rvs_analysis.stats import trends\n",  # root module: rule 2
        "report/test_figures.py": "from rvs_analysis import regions\n",  # no report import: rule 3
        "test_anything.py": "from rvs_analysis.render.pdf import x\nimport rvs_analysis.render\n",
        "render/test_pdf.py": "from rvs_analysis.render import pdf\nfrom conftest import helper\n",
        "stats/deep/test_deep.py": "",  # rule 1: a folder of its own
        "test_serial.py": "import rvs_analysis\nfrom rvs_analysis import stats\n",  # 2 parts
        "stats/test_serial.py": "from rvs_analysis import stats\n",  # rule 1: the same name
        "test_areas.py": "from rvs_analysis import regions\n",  # fine
    }
    for name, text in modules.items():
        (tests / name).parent.mkdir(parents=True, exist_ok=True)
        (tests / name).write_text(text, encoding="utf-8")
    assert set(misplaced(tests, package)) == {
        "render/test_pdf.py: imports from conftest (put shared helpers in a module)",
        "report/test_figures.py: imports nothing from rvs_analysis.report",
        "stats/deep/test_deep.py: test modules sit in tests/ or tests/<subpackage>/ only",
        "stats/test_regions.py: named after a module of its package, belongs in tests/",
        "test_serial.py: the same name as stats/test_serial.py",
        "test_anything.py: imports only rvs_analysis.render, belongs there",
        "test_trends.py: named after a module of its package, belongs in tests/stats",
        "test_trends.py: imports only rvs_analysis.stats, belongs there",
    }
