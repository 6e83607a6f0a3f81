"""The registered report notebooks: executed for the region and its districts on the demo data (and
for the region on the shared real CBS extract), committed clean, and recovering the demo's truths.

Every test that goes over the reports goes over the registry
(:func:`rvs_analysis.report.registry.report_specs`), so a new report is covered by its registry line.

The notebooks run through the renderer's warm-kernel executor (``rvs_analysis.render.batch``), the way
``make reports`` runs them: a kernel per worker, started once, reset between reports, with the
notebook folder as working directory (as in JupyterLab). One batch per source is shared by the
tests of this module; the demo batch (``conftest.demo_batch``) also by the browser tests.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import nbformat
import pytest

from rvs_analysis import notebook_check
from rvs_analysis.exceptions import NotAvailableForSource
from rvs_analysis.regions import DISTRICTS, REGION_NAME
from rvs_analysis.report import registry
from rvs_analysis.report.context import require
from rvs_analysis.sources import demo

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"
SPECS = {spec.stem: spec for spec in registry.report_specs()}
REPORTS = tuple(SPECS)
AREAS = (REGION_NAME, *DISTRICTS)
SUMMARY_KEYS = {
    "area", "source", "notebook", "parameters", "provenance", "estimates", "headline",
    "headline_sections",
}  # fmt: skip

# Which planted effect a report estimates, and whether its estimator is fitted on the whole
# region in every report (drivers model, difference-in-differences) or on the report's own area
# (crime change: the truth is defined for the region, so only the region's report must hold it).
REGION_WIDE = {
    "burglary_clearance_drivers": [
        "burglary_clearance_or_burgernet",
        "burglary_clearance_or_density",
    ],
    "onveiligheidsbeleving_proeftuinen": [
        "pilot_effect_feels_unsafe_pp",
        "pilot_effect_youth_nuisance_pp",
    ],
}
REGION_ONLY = {
    "crime_change": [
        "crime_change_trend_ratio",
        "visible_annual_rate_ratio",
        "less_visible_annual_rate_ratio",
        "burglary_seasonal_peak_month",
        "burglary_dark_months_rate_ratio",
    ],
}


def _render(source: str, areas, out: Path) -> dict:
    from rvs_analysis.render.batch import render_batch

    render_batch(
        source,
        out=out,
        areas=list(areas),
        notebooks=[str(spec.path) for spec in SPECS.values()],
        notebooks_dir=NOTEBOOKS_DIR,
        jobs=1,
        progress=False,
        timeout=300,
    )
    return _read(out)


def _read(out: Path) -> dict:
    """The batch in ``out`` by (area, notebook): manifest entry, summary and executed notebook."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    reports = {}
    for entry in manifest["reports"]:
        summary = None
        if entry.get("summary") and (out / entry["summary"]).exists():
            summary = json.loads((out / entry["summary"]).read_text(encoding="utf-8"))
        executed = None
        if entry.get("ipynb") and (out / entry["ipynb"]).exists():
            executed = nbformat.read(out / entry["ipynb"], as_version=4)
        reports[(entry["area"], Path(entry["notebook"]).stem)] = {
            **entry,
            "summary_data": summary,
            "executed": executed,
        }
    return reports


@pytest.fixture(scope="module")
def demo_folder(demo_batch):
    """The demo batch of every report for the region and the districts (``conftest.demo_batch``,
    rendered once per test run and shared with the browser tests)."""
    return demo_batch


@pytest.fixture(scope="module")
def demo_reports(demo_folder):
    return _read(demo_folder)


@pytest.fixture(scope="module")
def real_reports(shared_cbs_dir, tmp_path_factory):
    return _render(str(shared_cbs_dir), [REGION_NAME], tmp_path_factory.mktemp("real") / "out")


def test_the_notebook_folder_is_committed_clean():
    assert notebook_check.main([str(NOTEBOOKS_DIR)]) == 0


@pytest.mark.parametrize("name", REPORTS)
def test_report_notebook_is_committed_clean_and_thin(name):
    assert notebook_check.problems(SPECS[name].path, report=True) == []


@pytest.mark.parametrize("name", REPORTS)
def test_parameters_cell_comes_first_with_the_common_parameters(name):
    nb = nbformat.read(SPECS[name].path, as_version=4)
    first_code = next(cell for cell in nb.cells if cell.cell_type == "code")
    assert "parameters" in first_code.metadata.get("tags", [])
    assigned = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(first_code.source).body
        if isinstance(node, ast.Assign)
    }
    assert assigned["area"] == REGION_NAME
    assert assigned["source"] == "demo"
    assert assigned["cache"] == "data/raw"
    assert assigned["summary_path"] == ""
    assert any(key.endswith("_year") for key in assigned)
    # The summary is written with one library call in the last cell.
    last_code = [cell for cell in nb.cells if cell.cell_type == "code"][-1]
    assert "ctx.summary.write(summary_path)" in last_code.source
    # A "Methode en bronnen" section is generated in every report.
    assert any("chapter.methods(ctx" in cell.source for cell in nb.cells)


@pytest.mark.slow
def test_every_report_runs_for_region_and_districts_on_demo(demo_reports):
    assert len(demo_reports) == len(AREAS) * len(REPORTS)
    failed = {key: entry["error"] for key, entry in demo_reports.items() if entry["status"] != "ok"}
    assert failed == {}
    for (area, name), entry in demo_reports.items():
        summary = entry["summary_data"]
        assert summary is not None, (area, name)
        assert set(summary) == SUMMARY_KEYS
        assert summary["area"] == area and summary["notebook"] == name
        assert summary["source"] == "demo" and summary["provenance"]["is_demo"] is True
        assert summary["estimates"], (area, name)
        for estimate in summary["estimates"].values():
            low, high = estimate["ci_low"], estimate["ci_high"]
            if low is not None and high is not None:
                assert low <= estimate["estimate"] <= high


@pytest.mark.slow
@pytest.mark.parametrize("name", REPORTS)
def test_demo_reports_show_banner_significance_wording_and_methods(demo_reports, name):
    executed = demo_reports[("Stad Utrecht", name)]["executed"]
    texts = []
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts.append(data.get("text/html", "") + data.get("text/markdown", ""))
    joined = "\n".join(texts)
    assert "Demonstratiedata" in joined
    assert "## Methode en bronnen" in joined
    assert "statistisch significant" in joined
    assert "Stad Utrecht" in joined
    images = sum(
        "image/png" in output.get("data", {})
        for cell in executed.cells
        for output in cell.get("outputs", [])
    )
    assert images >= 2


@pytest.mark.slow
@pytest.mark.parametrize("area", AREAS)
def test_demo_summaries_contain_the_planted_truths(demo_reports, area):
    truths = demo.truth()["effects"]
    checks = [(name, effect) for name, effects in REGION_WIDE.items() for effect in effects]
    if area == REGION_NAME:
        checks += [(name, effect) for name, effects in REGION_ONLY.items() for effect in effects]
    for notebook, effect in checks:
        estimate = demo_reports[(area, notebook)]["summary_data"]["estimates"][effect]
        truth = truths[effect]["value"]
        assert estimate["ci_low"] <= truth <= estimate["ci_high"], (
            area,
            notebook,
            effect,
            estimate,
        )


def _has_inputs(dataset, spec) -> bool:
    """Whether ``dataset`` holds every input the report's registry line requires."""
    try:
        for name in spec.requires:
            require(dataset, name)
    except NotAvailableForSource:
        return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("name", REPORTS)
def test_real_extract_runs_where_inputs_exist_and_skips_otherwise(
    real_reports, shared_dataset, name
):
    entry = real_reports[(REGION_NAME, name)]
    if _has_inputs(shared_dataset, SPECS[name]):
        assert entry["status"] == "ok", entry["error"]
        summary = entry["summary_data"]
        assert summary["provenance"]["is_demo"] is False
        assert all(
            value["ci_low"] is None or math.isfinite(value["ci_low"])
            for value in summary["estimates"].values()
        )
    else:
        assert entry["status"] == "skipped"
        assert "niet beschikbaar voor deze bron" in entry["error"]
        # It stops at its start, before computing anything.
        code_cells = [cell for cell in entry["executed"].cells if cell.cell_type == "code"]
        start_cell = next(cell for cell in code_cells if "report.start(" in cell.source)
        errors = [out for out in start_cell.get("outputs", []) if out.get("output_type") == "error"]
        assert errors and errors[0]["ename"] == "NotAvailableForSource"
        before = code_cells[: code_cells.index(start_cell)]
        assert all(
            {"parameters", "injected-parameters"} & set(cell.metadata.get("tags", []))
            for cell in before
        )  # right after the parameters


@pytest.mark.slow
def test_unknown_area_stops_the_notebook_with_the_valid_names(tmp_path, monkeypatch):
    import os

    import papermill

    # The kernel must import this checkout even where the package is not installed.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))

    with pytest.raises(papermill.PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(NOTEBOOKS_DIR / "strategy_monitor.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters={"area": "Atlantis"},
            cwd=str(NOTEBOOKS_DIR),
            kernel_name="python3",
            progress_bar=False,
        )
    assert caught.value.ename == "UnknownAreaError"
    assert "Gooi en Vechtstreek" in caught.value.evalue


@pytest.mark.slow
def test_demo_reports_show_no_inf_nan_or_share_interval_past_0_100(demo_reports, demo_folder):
    # issue 11: every page of the 24 demo reports and every share in their summaries
    from report_scan import problems

    assert len(demo_reports) == len(AREAS) * len(REPORTS)
    assert problems(demo_folder) == []


def test_report_scan_catches_what_it_looks_for(tmp_path):
    from report_scan import problems

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "r.html").write_text(
        "<style>.inf{}</style><p>Opheldering 12% (95%-BI 3% tot inf%)</p><p>informatie</p>",
        encoding="utf-8",
    )
    (tmp_path / "a" / "r.summary.json").write_text(
        '{"estimates": {"x_clearance_pct": {"estimate": 50, "ci_low": -1, "ci_high": 60},'
        ' "burglary_change_pct": {"estimate": 150, "ci_low": 20, "ci_high": 400}}}',
        encoding="utf-8",
    )
    found = problems(tmp_path)
    assert len(found) == 2 and "'inf'" in found[0] and "x_clearance_pct" in found[1]


@pytest.mark.slow
def test_the_page_checker_passes_on_every_demo_page(demo_reports, demo_folder):
    """Issue 28: no page of the demo batch contradicts itself in a way a machine can see."""
    from page_check import problems

    assert problems(demo_folder) == []


PLANTED = {
    "too-few-beside-many": "<p>In 2023 telde Midden-Nederland 5.666 woninginbraken; voor een "
    "verandering ten opzichte van 2022 zijn het te weinig gevallen.</p>",
    "behaald-for-a-forecast": "<p>Als de trend doorzet, komt het aantal in 2018 uit op 6.459; "
    "de kans dat het doel gehaald wordt is 99%: het doel is behaald.</p>",
    "one-with-plural": "<p>Alle 1 tabellen in één Excel-bestand.</p>",
    "significant-touching-zero": "<p>Het aantal steeg +4% (95%-BI 0% tot 8%; statistisch "
    "significant).</p>",
    "empty-column": "<table><tr><th>Indicator</th><th>Doel 2023</th></tr>"
    "<tr><td>Woninginbraken</td><td>–</td></tr></table>",
    "local-path": "<p>Parameters: source = /home/analist/data/cbs-open-data</p>",
    "status-against-printed": "<table><tr><th>Indicator</th><th>Doel 2018</th>"
    "<th>Gemeten 2018</th><th>Status</th></tr><tr><td>Opheldering</td><td>11,5%</td>"
    "<td>11,5%</td><td>niet behaald</td></tr><tr><td>Overvallen</td><td>1</td><td>0</td>"
    "<td>behaald</td></tr></table>",
    # issue 28 A7: the list as it was, English under lang="en"
    "technical-details": '<p><strong>Technische details</strong></p><ul lang="en"><li>rate '
    "ratio with quasi-Poisson dispersion 5.69 of the area's year-to-year noise, t(8) interval, "
    "as percentage change</li></ul>",
}


def test_the_page_checker_fails_on_a_link_to_a_section_a_page_lacks(tmp_path):
    """The index links a headline figure to its section of the report (issue 31): a link to an
    id the page does not have, or to a page that is not there, is flagged."""
    from page_check import problems

    (tmp_path / "én").mkdir()
    (tmp_path / "én" / "r.html").write_text(
        '<h2 id="Signalen-van-de-laatste-maanden">Signalen</h2><h2 id="E%C3%A9n-&amp;-twee">x</h2>',
        encoding="utf-8",
    )
    index = tmp_path / "index.html"
    good = (
        '<a href="e%CC%81n/r.html#Signalen-van-de-laatste-maanden">7</a>'
        '<a href="e%CC%81n/r.html#E%C3%A9n-&amp;-twee">1</a><a href="https://x.nl/a.html#b">c</a>'
    )
    index.write_text(good, encoding="utf-8")
    assert problems(tmp_path) == []
    index.write_text(good + '<a href="e%CC%81n/r.html#Signalen">7</a>', encoding="utf-8")
    assert problems(tmp_path) == ["index.html: dangling-link: e%CC%81n/r.html#Signalen"]
    index.write_text('<a href="elders/r.html#Signalen-van-de-laatste-maanden">7</a>')
    assert [line.split(": ")[1] for line in problems(tmp_path)] == ["dangling-link"]


def test_the_page_checker_fails_on_each_english_technical_line():
    """Issue 28 A7: English, a decimal point or a duplicate in "Technische details" is flagged,
    the Dutch list the reports write is not."""
    from page_check import technical_problems

    dutch = (
        "<p><strong>Technische details</strong></p><ul><li>Woninginbraken (verandering ten "
        "opzichte van de vorige meting): verhouding van twee aantallen met de quasi-Poisson-"
        "dispersie 5,69 van de jaar-op-jaarruis van het gebied, t(8)-interval, als procentuele "
        "verandering.</li><li>Piekmaand: maand met de hoogste maandfactor.</li></ul>"
    )
    assert technical_problems(dutch) == []
    planted = dutch.replace(
        "<li>Piekmaand", "<li>Piekmaand: month with the highest factor</li><li>Piekmaand"
    )
    assert [check for check, _ in technical_problems(planted)] == ["technical-details"]
    twice = dutch.replace("</ul>", "<li>Piekmaand: maand met de hoogste maandfactor.</li></ul>")
    assert any("twice" in what for _, what in technical_problems(twice))
    point = dutch.replace("5,69", "5.69")
    assert any("decimal point" in what for _, what in technical_problems(point))


@pytest.mark.parametrize("check", sorted(PLANTED))
def test_the_page_checker_fails_on_a_planted_contradiction(check):
    from page_check import page_problems

    found = {name for name, _ in page_problems(f"<html><body>{PLANTED[check]}</body></html>")}
    assert check in found
    clean = "<p>In 2023 telde Midden-Nederland 5.666 woninginbraken: een stijging van 1%.</p>"
    assert page_problems(clean) == []
