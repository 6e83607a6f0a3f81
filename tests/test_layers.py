"""The library's layers: data flows one way, and no lower stage imports a higher one.

raw data -> ``sources`` / ``regions`` / ``clean`` -> ``stats`` -> ``report`` -> ``render``; the
masterclass (``teach``) and the command line (``commands``, ``cli``) sit on top. The test reads every
module's imports with :mod:`ast` (also imports inside functions) and fails on an upward one.

It also fails on an import cycle between the package's modules (module-level imports), on a module
that imports another module's private (underscored) name, on a module that
``docs/ARCHITECTURE.md`` does not name, on an exception class defined outside
``rvs_analysis/exceptions.py``, and on imports inside functions beyond the few deferred ones.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rvs_analysis"
ARCHITECTURE = PACKAGE.parent / "docs" / "ARCHITECTURE.md"
EXCEPTIONS_MODULE = "rvs_analysis.exceptions"


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
    # Over 100 code lines, each with its reason; at most five may stay. The count models moved to
    # the one count engine (issue 30 item 2, stats/count_model.py), which shortened three.
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
    "rvs_analysis.stats.validation": "scenario descriptions quote what the reports print",
    "rvs_analysis.stats.validation_table": "its table explains the scenarios in the words reports print",
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


# --------------------------------------------------------------------------------------------
# Seams (issue 30 items 6 and 8): no cycle, no private reach-in, every module documented,
# every exception in exceptions.py, imports at the top.
# --------------------------------------------------------------------------------------------


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_module_level(tree: ast.Module):
    """Import statements that run when the module is imported: at module level or inside a class
    body, an ``if`` or a ``try``, but not inside a function or an ``if TYPE_CHECKING:`` block."""
    found = []

    def visit(body):
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.append(node)
                continue
            if isinstance(node, ast.If) and _is_type_checking(node):
                visit(node.orelse)
                continue
            for field in ("body", "orelse", "finalbody", "handlers"):
                value = getattr(node, field, None)
                if isinstance(value, list):
                    visit(value)

    visit(tree.body)
    return found


def _in_functions(tree: ast.Module):
    """Import statements inside a function body (at any depth)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    found.append(inner)
    # nested functions are walked twice: one entry per statement
    return sorted({id(node): node for node in found}.values(), key=lambda node: node.lineno)


def _target(name: str, path: Path, node: ast.ImportFrom) -> str:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    if node.level:
        base = package.split(".")
        base = base[: len(base) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))
    return node.module or ""


def _edges(name: str, path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``name`` imports when it is imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    edges = set()
    for node in _runtime_module_level(tree):
        if isinstance(node, ast.Import):
            edges.update(alias.name for alias in node.names if alias.name in modules)
            continue
        target = _target(name, path, node)
        for alias in node.names:
            if f"{target}.{alias.name}" in modules:
                edges.add(f"{target}.{alias.name}")
            elif target in modules:
                edges.add(target)
    edges.discard(name)
    return edges


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def connect(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_import_cycle():
    modules = dict(_modules())
    graph = {name: _edges(name, path, set(modules)) for name, path in modules.items()}
    cycles = _cycles(graph)
    assert not cycles, "import cycles (module-level imports): " + "; ".join(
        " <-> ".join(cycle) for cycle in cycles
    )


def _private_reach_ins(name: str, path: Path, modules: set[str]) -> list[str]:
    """``from rvs_analysis.x import _name`` and ``x._name`` for another module ``x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    bound = alias.asname or alias.name.split(".")[0]
                    aliases[bound] = alias.name if alias.asname else "rvs_analysis"
        elif isinstance(node, ast.ImportFrom):
            target = _target(name, path, node)
            if target.split(".")[0] != "rvs_analysis":
                continue
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:
                    aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
                elif alias.name.startswith("_") and not alias.name.startswith("__"):
                    if target != name:
                        found.append(
                            f"{_relative(path)}:{node.lineno} imports {target}.{alias.name}"
                        )
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and isinstance(node.value, ast.Name)
            and aliases.get(node.value.id, name) != name
        ):
            found.append(
                f"{_relative(path)}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}"
            )
    return found


def test_no_module_imports_another_modules_private_name():
    modules = dict(_modules())
    found = []
    for name, path in modules.items():
        found.extend(_private_reach_ins(name, path, set(modules)))
    assert not found, (
        "private names used across modules (make them public in the module that owns them):\n"
        + "\n".join(found)
    )


def _layout_block() -> str:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    start = text.index("## Layout")
    opening = text.index("```", start)
    closing = text.index("```", opening + 3)
    return text[opening + 3 : closing]


def _section(block: str, package: str) -> str:
    """The lines of the layout block that describe ``package/``: from the line naming it to the
    next entry at the block's first indentation level."""
    lines = block.splitlines()
    for position, line in enumerate(lines):
        if re.search(rf"(^|\s){re.escape(package)}/(\s|$)", line):
            end = position + 1
            while end < len(lines) and not re.match(r"^  \S", lines[end]):
                end += 1
            return "\n".join(lines[position:end])
    return ""


def _unnamed_modules(block: str) -> list[str]:
    missing = []
    for name, path in _modules():
        parts = name.split(".")[1:]
        if not parts:
            continue
        if len(parts) == 1:
            token = f"{parts[0]}/" if path.name == "__init__.py" else f"{parts[0]}.py"
            if not re.search(rf"(^|\s){re.escape(token)}(\s|$)", block):
                missing.append(name)
            continue
        if path.name == "__init__.py" and len(parts) == 1:
            continue
        section = _section(block, parts[0])
        wanted = parts[-1] + ("/" if path.name == "__init__.py" else "")
        if not re.search(rf"(?<![\w.]){re.escape(wanted)}(?![\w])", section):
            missing.append(name)
    return missing


def test_every_module_is_named_in_the_architecture():
    missing = _unnamed_modules(_layout_block())
    assert not missing, f"name these modules in the layout of {ARCHITECTURE.name}: " + ", ".join(
        missing
    )


def test_the_architecture_diagram_runs_in_the_layer_order():
    """The diagram's arrows between the package's stages point from a lower stage to the same
    or a higher one, as the imports do."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    start = text.index("```mermaid")
    diagram = text[start : text.index("```", start + 3)]
    arrows = re.findall(r"^\s*(\w+)(?:\[[^\]]*\])?\s*-->\s*(\w+)", diagram, flags=re.M)
    assert arrows, "no arrows found in the mermaid diagram"
    stages = {a for arrow in arrows for a in arrow} & set(LAYERS)
    assert {"sources", "clean", "regions", "stats", "report", "render", "teach"} <= stages
    backwards = [
        f"{a} --> {b}" for a, b in arrows if a in LAYERS and b in LAYERS and LAYERS[a] > LAYERS[b]
    ]
    assert not backwards, "diagram arrows against the layer order: " + ", ".join(backwards)


_BUILTIN_EXCEPTIONS = {
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
}


def _exception_names() -> set[str]:
    """The builtin exceptions and every class defined in exceptions.py."""
    tree = ast.parse((PACKAGE / "exceptions.py").read_text(encoding="utf-8"))
    return _BUILTIN_EXCEPTIONS | {
        node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
    }


def _exception_classes_outside(path: Path, known: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {
            base.id if isinstance(base, ast.Name) else base.attr
            for base in node.bases
            if isinstance(base, ast.Name | ast.Attribute)
        }
        if bases & known or any(base.endswith(("Error", "Exception", "Warning")) for base in bases):
            found.append(f"{_relative(path)}:{node.lineno} {node.name}")
    return found


def test_every_exception_class_lives_in_exceptions():
    known = _exception_names()
    found = []
    for name, path in _modules():
        if name != EXCEPTIONS_MODULE:
            found.extend(_exception_classes_outside(path, known))
    assert not found, (
        "define these exception classes in rvs_analysis/exceptions.py (re-export them where "
        "they were):\n" + "\n".join(found)
    )


def _fake_package(tmp_path, monkeypatch, files: dict[str, str]) -> Path:
    """A throw-away ``rvs_analysis`` tree the checks run on instead of the real one."""
    fake = tmp_path / "rvs_analysis"
    for relative, text in {"__init__.py": "", "exceptions.py": "", **files}.items():
        target = fake / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    monkeypatch.setattr(sys.modules[__name__], "ARCHITECTURE", docs / "ARCHITECTURE.md")
    return fake


def test_the_checks_see_a_cycle(tmp_path, monkeypatch):
    _fake_package(
        tmp_path,
        monkeypatch,
        {
            "sources/__init__.py": "",
            "sources/a.py": "from rvs_analysis.sources.b import thing\n",
            "sources/b.py": "from rvs_analysis.sources import a\nthing = 1\n",
            "sources/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from rvs_analysis.sources.d import x\n",
            "sources/d.py": "from rvs_analysis.sources.c import TYPE_CHECKING\n",
        },
    )
    with pytest.raises(
        AssertionError, match=r"(?m)rvs_analysis\.sources\.a <-> rvs_analysis\.sources\.b$"
    ):
        test_no_import_cycle()


def test_the_checks_see_a_private_reach_in(tmp_path, monkeypatch):
    _fake_package(
        tmp_path,
        monkeypatch,
        {
            "regions.py": "from rvs_analysis.region_tables import _events\n",
            "national.py": "from rvs_analysis import region_tables\nx = region_tables._GM_CODE\n",
            "region_tables.py": "_GM_CODE = 1\nfrom rvs_analysis import region_tables\n"
            "y = region_tables._GM_CODE\n",
            "stats/__init__.py": "",
            "stats/common.py": "from rvs_analysis.region_tables import _events\n",
        },
    )
    with pytest.raises(AssertionError) as raised:
        test_no_module_imports_another_modules_private_name()
    message = str(raised.value)
    assert "regions.py:1 imports rvs_analysis.region_tables._events" in message
    assert "national.py:2 uses rvs_analysis.region_tables._GM_CODE" in message
    assert "stats/common.py:1 imports rvs_analysis.region_tables._events" in message  # no allowlist
    assert "rvs_analysis/region_tables.py" not in message  # its own private name


def test_the_checks_see_an_unnamed_module_and_a_backward_arrow(tmp_path, monkeypatch):
    fake = _fake_package(
        tmp_path,
        monkeypatch,
        {"clean.py": "", "sources/__init__.py": "", "sources/cbs.py": "", "sources/tidy.py": ""},
    )
    (fake.parent / "docs" / "ARCHITECTURE.md").write_text(
        "```mermaid\nflowchart LR\n    sources --> clean\n    clean --> regions\n"
        "    regions --> stats\n    stats --> sources\n    stats --> report\n    report --> render\n"
        "    render --> teach\n```\n\n## Layout\n\n```\n"
        "rvs_analysis/\n  exceptions.py\n  sources/   cbs\n  clean.py  tidy\n```\n"
    )
    with pytest.raises(AssertionError, match=r"(?m)rvs_analysis\.sources\.tidy$"):
        test_every_module_is_named_in_the_architecture()
    with pytest.raises(AssertionError, match="stats --> sources"):
        test_the_architecture_diagram_runs_in_the_layer_order()


def test_the_checks_see_an_exception_class_elsewhere(tmp_path, monkeypatch):
    _fake_package(
        tmp_path,
        monkeypatch,
        {
            "exceptions.py": "class RvsError(Exception):\n    pass\n",
            "cli.py": "from rvs_analysis.exceptions import RvsError\n"
            "class ArgumentProblem(RvsError):\n    pass\n"
            "class Fine:\n    pass\n",
            "render/__init__.py": "",
            "render/kernels.py": "class Unavailable(RuntimeError):\n    pass\n",
        },
    )
    with pytest.raises(AssertionError) as raised:
        test_every_exception_class_lives_in_exceptions()
    assert "cli.py:2 ArgumentProblem" in str(raised.value)
    assert "render/kernels.py:1 Unavailable" in str(raised.value)
    assert "Fine" not in str(raised.value)


MAX_DEFERRED_IMPORTS = 15
DEFERRAL_REASONS = ("CLI start-up time", "the network stack", "optional dependency", "kernel side")
"""Why an import may stay inside a function: it would slow down ``rvs --help`` or a subcommand's
start, it loads the network stack only a download needs, it is an optional dependency, or it runs
inside a report's kernel after the warm-up (matplotlib after its backend is chosen)."""
_DEFERRED = re.compile(r"#\s*deferred:\s*(?P<reason>\S.*)$")


def _deferred_imports():
    """Every import inside a function of the package, with its reason
    (``None`` when the line above it lacks a ``# deferred: <reason>`` comment)."""
    for _, path in _modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in _in_functions(ast.parse("\n".join(lines))):
            above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
            found = _DEFERRED.match(above)
            yield f"{_relative(path)}:{node.lineno}", found.group("reason") if found else None


def test_imports_are_at_the_top():
    deferred = list(_deferred_imports())
    assert len(deferred) <= MAX_DEFERRED_IMPORTS, (
        f"{len(deferred)} imports inside functions (at most {MAX_DEFERRED_IMPORTS}): move them to "
        "the top of their module:\n" + "\n".join(where for where, _ in deferred)
    )
    unexplained = [
        f"{where}: {reason or 'no # deferred: <reason> line above it'}"
        for where, reason in deferred
        if reason is None or not reason.startswith(DEFERRAL_REASONS)
    ]
    assert not unexplained, (
        "an import inside a function needs a '# deferred: <reason>' line above it, the reason "
        f"one of {DEFERRAL_REASONS}:\n" + "\n".join(unexplained)
    )


def test_the_checks_see_imports_inside_functions(tmp_path, monkeypatch):
    _fake_package(
        tmp_path,
        monkeypatch,
        {
            "sources/__init__.py": "",
            "sources/cbs.py": "def fetch():\n"
            "    # deferred: the network stack\n"
            "    import requests  # noqa: PLC0415\n"
            "    return requests\n",
            "clean.py": "def check():\n    import pandas\n    return pandas\n",
            "render/__init__.py": "",
            "render/html.py": "def page():\n    # deferred: it was easier\n    import jinja2\n",
            "stats/__init__.py": "",
            "stats/trends.py": "def fit():\n    import statsmodels\n",
        },
    )
    with pytest.raises(AssertionError) as raised:
        test_imports_are_at_the_top()
    message = str(raised.value)
    assert "clean.py:2: no # deferred" in message
    assert "render/html.py:3: it was easier" in message
    assert "stats/trends.py:2: no # deferred" in message  # the statistics too: no allowlist
    assert "sources/cbs.py" not in message
    monkeypatch.setattr(sys.modules[__name__], "MAX_DEFERRED_IMPORTS", 3)
    with pytest.raises(AssertionError, match="4 imports inside functions"):
        test_imports_are_at_the_top()
