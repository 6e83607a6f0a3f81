"""The report registry (issue 30 item 1): every report notebook has one registry line, every
registered chapter module keeps the :class:`~rvs_analysis.report.registry.Chapter` protocol, and the
renderer and ``report.start`` read the registry instead of matching report names."""

from __future__ import annotations

import ast
import json
import types

import pytest

from rvs_analysis import report
from rvs_analysis.exceptions import NotAvailableForSource
from rvs_analysis.render import html
from rvs_analysis.render.batch import _notebook_title, discover_notebooks
from rvs_analysis.report import registry
from rvs_analysis.report.registry import Chapter, ReportSpec, chapter_problems

SPECS = registry.report_specs()


def _code(spec: ReportSpec) -> list[str]:
    cells = json.loads(spec.path.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


def test_every_report_notebook_has_a_registry_line_and_every_line_a_notebook():
    product = {spec.stem for spec in SPECS if spec.folder is None}
    assert {path.stem for path in discover_notebooks()} == product
    assert len({spec.stem for spec in SPECS}) == len(SPECS)
    for spec in SPECS:
        assert spec.path.is_file(), spec


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.stem)
def test_every_registered_chapter_keeps_the_chapter_protocol(spec):
    module = spec.chapter_module()
    assert isinstance(module, Chapter)
    assert chapter_problems(module) == []
    assert spec.tables == module.TABLES and spec.tables


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.stem)
def test_the_registry_title_is_the_notebooks_heading(spec):
    cells = json.loads(spec.path.read_text(encoding="utf-8"))["cells"]
    markdown = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    headings = [line[2:].strip() for line in markdown.splitlines() if line.startswith("# ")]
    assert headings[:1] == [spec.title]
    assert _notebook_title(spec.path) == spec.title


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.stem)
def test_the_notebook_starts_under_its_own_name_and_uses_its_chapter_module(spec):
    """``report.start(notebook=<stem>)`` finds the registry line (and its ``requires``); the
    notebook imports the registered chapter module as ``chapter``."""
    calls = [
        node
        for source in _code(spec)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "report.start"
    ]
    assert len(calls) == 1
    named = {keyword.arg: ast.literal_eval(keyword.value) for keyword in calls[0].keywords
             if keyword.arg == "notebook"}  # fmt: skip
    assert named == {"notebook": spec.stem}
    assert not [keyword for keyword in calls[0].keywords if keyword.arg == "requires"]
    package, name = spec.chapter.rsplit(".", 1)
    assert any(f"from {package} import {name} as chapter" in source for source in _code(spec))


def test_a_module_short_of_the_protocol_is_refused():
    def methods(ctx, results):
        return results

    complete = types.ModuleType("complete")
    complete.TABLES = ("47018NED",)
    complete.key_message_of = lambda results: results
    complete.methods = methods
    complete.record_summary = methods
    assert isinstance(complete, Chapter)

    missing = types.ModuleType("missing")
    missing.TABLES = ("47018NED",)
    missing.key_message_of = complete.key_message_of
    missing.methods = methods
    assert not isinstance(missing, Chapter)
    assert chapter_problems(missing) == ["missing lacks record_summary"]

    def summary_without_ctx(results, more):
        return None

    wrong = types.ModuleType("wrong")
    wrong.TABLES = "47018NED"
    wrong.key_message_of = complete.key_message_of
    wrong.methods = methods
    wrong.record_summary = summary_without_ctx
    assert isinstance(wrong, Chapter)  # isinstance sees only the names ...
    assert chapter_problems(wrong) == [  # ... the signatures are checked as well
        "wrong.TABLES is not a tuple of table keys",
        "wrong.record_summary does not take the report context (ctx) first",
    ]


def test_register_report_adds_a_line_and_refuses_a_taken_name(tmp_path):
    spec = ReportSpec(
        stem="extra_report",
        chapter="rvs_analysis.report.chapters.crime_change",
        title="Extra",
        folder=str(tmp_path),
    )
    try:
        assert registry.register_report(spec) is spec
        assert registry.spec_for(tmp_path / "extra_report.ipynb") is spec
        assert registry.report_specs()[-1] is spec
        with pytest.raises(ValueError, match="registered already"):
            registry.register_report(spec)
        registry.register_report(spec, replace=True)
        with pytest.raises(ValueError, match="registered already"):
            registry.register_report(ReportSpec("crime_change", spec.chapter, "Kopie"))
        with pytest.raises(TypeError):
            registry.register_report({"stem": "dict"})
    finally:
        registry.unregister_report("extra_report")
    assert registry.spec_for("extra_report") is None
    assert registry.spec_for("notebooks/crime_change.ipynb").stem == "crime_change"
    assert registry.spec_for("") is None


def test_start_takes_what_a_report_requires_from_its_registry_line(tidy_folder):
    """The clearance report's line requires the cleared offences, which the folder lacks."""
    assert registry.spec_for("burglary_clearance_drivers").requires == ("cleared",)
    with pytest.raises(NotAvailableForSource, match="opgehelderde misdrijven"):
        report.start("Midden-Nederland", str(tidy_folder), notebook="burglary_clearance_drivers")
    # An explicit requires wins; an unregistered notebook requires nothing.
    report.start("Midden-Nederland", str(tidy_folder), notebook="burglary_clearance_drivers",
                 requires=())  # fmt: skip
    report.start("Midden-Nederland", str(tidy_folder), notebook="scratch")


def _index(labels):
    summary = {
        "estimates": {"burglary_count": {"estimate": 5123, "year": 2023}},
        "headline": {},
        "parameters": {},
    }
    manifest = {
        "reports": [
            {"area": "Midden-Nederland", "notebook": label, "status": "ok", "html": None}
            for label in labels
        ],
        "source": "demo",
    }
    return html.render_index(
        manifest,
        summaries={("Midden-Nederland", label): summary for label in labels},
        areas=["Midden-Nederland"],
        notebooks=[(label, label) for label in labels],
        region="Midden-Nederland",
        is_demo=True,
        generated_at="2026-01-05T10:00:00+01:00",
    )


def test_the_index_takes_its_key_message_from_the_flagged_report_only():
    flagged = [spec.stem for spec in SPECS if spec.key_message]
    assert flagged == ["strategy_monitor"]
    page = _index(["notebooks/crime_change.ipynb", "notebooks/strategy_monitor.ipynb"])
    assert 'class="key-message"' in page and "5.123 woninginbraken" in page
    # A name that merely contains the monitor's is not the monitor.
    page = _index(["notebooks/crime_change.ipynb", "elsewhere/strategy_monitor_2.ipynb"])
    assert 'class="key-message"' not in page


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.stem)
def test_the_notebook_leaves_the_report_year_to_the_context(spec):
    """The chapters take the report's year from ``ctx`` (or from the results built from it)."""
    assert not [source for source in _code(spec) if "ctx.report_year" in source]
