"""Tests of ``rvs render`` (rvs_analysis.render.batch, executors, kernels, html) on fixture notebooks.

The fixture notebooks in ``tests/fixtures/notebooks`` are small: ``good`` (a figure, a summary,
and an assertion that nothing leaked from an earlier report), ``raises`` (a cell error),
``hangs`` (sleeps for Flevoland only), ``not_available`` (raises ``NotAvailableForSource``) and
``script_label`` (displays a label containing ``<script>``). The source is a tiny folder in the
tidy layout marked as demonstration data. One batch is rendered per module and inspected by
several tests; the batches that need their own kernels (timeout, interruption, Dask) are kept
small, since kernel start-up dominates their cost.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import re
import shutil
import socket
import warnings
from pathlib import Path

import nbformat
import pytest
from page_check import visible_text
from tidy_sources import write_tiny_source

from rvs_analysis.commands import render as render_command
from rvs_analysis.exceptions import DataValidationError, SourceNotAvailableError, UnknownAreaError
from rvs_analysis.render.batch import (
    LocalExecutor,
    RenderError,
    render_batch,
    report_fingerprint,
    select_notebooks,
)
from rvs_analysis.render.executors import ReportResult
from rvs_analysis.render.html import clean_output_html, format_number, headline_figures

FIXTURES = Path(__file__).parents[1] / "fixtures" / "notebooks"
AREAS = ["Midden-Nederland", "Flevoland"]

NOTEBOOKS = ["good", "raises", "not_available", "script_label"]
REPORT_FIELDS = {"notebook", "area", "parameters", "status", "html", "summary", "seconds", "error"}


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and modification time."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def statuses(manifest: dict) -> dict[tuple[str, str], str]:
    return {(r["area"], Path(r["notebook"]).stem): r["status"] for r in manifest["reports"]}


def no_leftovers(out: Path) -> list[str]:
    """Temporary folders of a batch that should have been removed or renamed."""
    return [
        p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.") and p.is_dir()
    ]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return write_tiny_source(tmp_path_factory.mktemp("source") / "tidy")


@pytest.fixture(scope="module")
def batch(tmp_path_factory, source):
    out = tmp_path_factory.mktemp("batch") / "outputs"
    results = []
    result = render_batch(
        str(source),
        areas=AREAS,
        notebooks=NOTEBOOKS,
        notebooks_dir=FIXTURES,
        out=out,
        jobs=2,
        timeout=60,
        progress=False,
        on_result=results.append,
    )
    return result, results


# --------------------------------------------------------------------------------------------
# One batch with good, failing, skipped and hostile-label notebooks
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_failing_report_does_not_stop_the_others(batch):
    result, _ = batch
    assert statuses(result.manifest) == {
        (area, notebook): {"raises": "failed", "not_available": "skipped"}.get(notebook, "ok")
        for area in AREAS
        for notebook in NOTEBOOKS
    }
    assert result.exit_code == 1
    on_disk = json.loads((result.out / "manifest.json").read_text(encoding="utf-8"))
    failed = [r for r in on_disk["reports"] if r["status"] == "failed"]
    assert {r["area"] for r in failed} == set(AREAS)
    for report in failed:
        assert report["error"].startswith("ValueError: opzettelijke fout voor " + report["area"])
        executed = nbformat.read(result.out / report["ipynb"], as_version=4)
        errors = [
            output
            for cell in executed.cells
            for output in cell.get("outputs", [])
            if output.output_type == "error"
        ]
        assert [e.ename for e in errors] == ["ValueError"], "the failing cell keeps its error"
        assert "papermill-error-cell-tag" in executed.cells[0].metadata.get("tags", [])
    skipped = [r for r in on_disk["reports"] if r["status"] == "skipped"]
    assert {r["error"] for r in skipped} == {"Deze bron heeft geen opgehelderde misdrijven."}
    assert all(r["html"] is None for r in skipped)
    summary = result.summary_text()
    assert "2 mislukt" in summary and "2 overgeslagen" in summary and "4 gelukt" in summary
    index = (result.out / "index.html").read_text(encoding="utf-8")
    assert "opzettelijke fout voor Flevoland" in index  # behind "Technische details"
    assert "ging iets mis dat rvs-analysis niet voorzag" in visible_text(index)
    assert "opzettelijke fout" not in visible_text(index)
    assert index.count("status-failed") >= 2
    for report in failed:  # the page says in Dutch what went wrong; the English is folded away
        page = (result.out / report["html"]).read_text(encoding="utf-8")
        shown = visible_text(page)
        assert "Dit rapport is niet volledig." in shown and "Wat te doen:" in shown
        assert "Meld het aan de beheerder" in shown
        for english in ("An Exception was encountered", "Traceback", "ValueError", "papermill"):
            assert english not in shown
        assert "ValueError" in page and page.count("<details") >= 2


@pytest.mark.slow
def test_manifest_records_every_report_with_relative_paths(batch, source):
    result, _ = batch
    manifest = json.loads((result.out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) >= {"reports", "source", "code_version", "data_version"}
    assert manifest["source"] == str(source)
    assert re.fullmatch(r"[0-9a-f]{12}", manifest["data_version"])
    assert manifest["code_version"].startswith("0.")
    assert len(manifest["reports"]) == len(AREAS) * len(NOTEBOOKS)
    for report in manifest["reports"]:
        assert REPORT_FIELDS <= set(report)
        assert set(report["parameters"]) == {"area", "source", "cache"}
        assert report["parameters"]["area"] == report["area"]
        assert report["parameters"]["source"] == str(source)
        assert report["parameters"]["cache"].endswith("data/raw")
        assert isinstance(report["seconds"], float) and report["seconds"] > 0
        assert re.fullmatch(r"[0-9a-f]{64}", report["fingerprint"])
        for kind in ("html", "summary", "ipynb"):
            if report[kind] is not None:
                assert not Path(report[kind]).is_absolute()
                assert (result.out / report[kind]).is_file()
    good = next(
        r for r in manifest["reports"] if r["area"] == "Flevoland" and "good" in r["notebook"]
    )
    assert good["html"] == "flevoland/good.html"
    assert good["summary"] == "flevoland/good.summary.json"
    summary = json.loads((result.out / good["summary"]).read_text(encoding="utf-8"))
    assert summary["area"] == "Flevoland"


@pytest.mark.slow
def test_manifest_records_where_each_reports_time_went(batch):
    result, _ = batch
    reports = result.manifest["reports"]
    for report in reports:
        timings = report["timings"]
        assert {"reset", "execute", "cells", "cells_total", "write", "total", "overhead"} <= set(
            timings
        )
        executed = nbformat.read(result.out / report["ipynb"], as_version=4)
        ran = [
            "injected-parameters" if "injected-parameters" in cell.metadata["tags"] else cell.id
            for cell in executed.cells
            if cell.get("execution_count")
        ]
        assert list(timings["cells"]) == ran, "one time per code cell that ran, in order"
        assert timings["cells_total"] == pytest.approx(sum(timings["cells"].values()))
        assert timings["overhead"] == pytest.approx(
            timings["total"] - timings["cells_total"], abs=1e-3
        )
        assert timings["total"] >= report["seconds"]
        assert timings["started_at"] <= timings["finished_at"]
        assert report["worker"]
        if report["status"] != "skipped":
            assert timings["export"] > 0
    started = [r for r in reports if "kernel_start" in r["timings"]]
    workers = {r["worker"] for r in reports}
    assert len(started) == len(workers), "each worker's kernel start is recorded once"


@pytest.mark.slow
def test_report_html_is_offline_without_code_and_with_provenance(batch, source):
    result, _ = batch
    page = (result.out / "flevoland" / "good.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", page, re.IGNORECASE)
    assert 'src="data:image/png;base64,' in page, "the figure is embedded"
    assert "leaked_from_previous_report" not in page, "code cells are not shown"
    assert "Rapport voor Flevoland" in page
    assert "Demonstratiedata" in page
    footer = page[page.index('<footer class="rvs-provenance">') :]
    assert result.manifest["data_version"] in footer
    assert result.manifest["code_version"] in footer
    assert "<code>area</code> = <code>Flevoland</code>" in footer
    # the source folder by its last two parts, never the machine's absolute path (issue 28 A9)
    assert f"…/{source.parent.name}/{source.name}" in footer and str(source) not in footer
    assert "summary_path" not in footer


@pytest.mark.slow
def test_labels_with_markup_show_as_text(batch):
    result, _ = batch
    page = (result.out / "midden-nederland" / "script_label.html").read_text(encoding="utf-8")
    # Printed text and DataFrames show the label as it is; in HTML a notebook builds itself
    # the script tag is neutralised (shown as text) while harmless markup may stay.
    assert "<script" not in page.lower()
    label = "&lt;script&gt;alert('x')&lt;/script&gt; Wijk &amp; Co &lt;b&gt;vet&lt;/b&gt;"
    assert f"<td>{label}</td>" in page, "a DataFrame cell shows the label as text"
    assert f"<pre>{label}\n</pre>" in page, "printed output shows the label as text"
    index = (result.out / "index.html").read_text(encoding="utf-8")
    assert "<script" not in index.lower()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Wijk &amp; Co" in index


@pytest.mark.slow
def test_index_links_every_report_and_shows_headline_figures(batch):
    result, _ = batch
    index = (result.out / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="([^"]+\.html)"', index))
    expected = {r["html"] for r in result.manifest["reports"] if r["html"]}
    assert links == expected
    assert all((result.out / link).is_file() for link in links)
    assert "1.234 [1.200,5; 1.270,3]" not in index  # numbers are formatted, not pasted
    assert "registered_offences" in index and "1.234" in index
    assert "overgeslagen" in index and "Deze bron heeft geen opgehelderde misdrijven." in index


@pytest.mark.slow
def test_rerun_with_nothing_changed_renders_nothing(batch, source, tmp_path, monkeypatch):
    result, _ = batch
    # Other work on the library between the two runs must not count as a change here.
    monkeypatch.setattr(
        "rvs_analysis.render.batch.library_fingerprint",
        lambda: result.manifest["library_fingerprint"],
    )
    out = tmp_path / "outputs"
    shutil.copytree(result.out, out)
    before = snapshot(out)
    children = set(multiprocessing.active_children())

    def no_executor(*args, **kwargs):
        raise AssertionError("a rerun with nothing changed must not start workers")

    monkeypatch.setattr("rvs_analysis.render.batch.LocalExecutor", no_executor)
    rendered = []
    again = render_batch(
        str(source),
        areas=AREAS,
        notebooks=NOTEBOOKS,
        notebooks_dir=FIXTURES,
        out=out,
        jobs=2,
        progress=False,
        on_result=rendered.append,
    )
    assert rendered == [] and again.rendered == []
    assert len(again.carried_over) == len(AREAS) * len(NOTEBOOKS)
    assert statuses(again.manifest) == statuses(result.manifest)
    after = snapshot(out)
    reports = {name: content for name, content in before.items() if "/" in name}
    assert {name: after[name] for name in reports} == reports, (
        "reports are carried over as they were"
    )
    assert set(multiprocessing.active_children()) <= children, "no worker was started"


@pytest.mark.slow
def test_refused_runs_leave_outputs_byte_identical(batch, source, tmp_path, monkeypatch):
    result, _ = batch
    out = tmp_path / "outputs"
    shutil.copytree(result.out, out)
    before = snapshot(out)
    common = {"notebooks_dir": FIXTURES, "out": out, "jobs": 1, "progress": False}
    with pytest.raises(UnknownAreaError, match="Atlantis"):
        render_batch(str(source), areas=["Atlantis"], notebooks=NOTEBOOKS, **common)
    with pytest.raises(SourceNotAvailableError):
        render_batch(str(tmp_path / "missing"), areas=AREAS, notebooks=NOTEBOOKS, **common)
    with pytest.raises(RenderError, match="Unknown notebook"):
        render_batch(str(source), areas=AREAS, notebooks=["no_such_report"], **common)
    # A source that fails validation: its version is new, so the workers have started their
    # kernels while it was being validated; they are stopped and nothing is written.
    broken = tmp_path / "broken"
    shutil.copytree(source, broken)
    crime = broken / "registered_crime.csv"
    crime.write_text(crime.read_text().replace(",1100,", ",veel,"), encoding="utf-8")
    children = set(multiprocessing.active_children())
    started = []
    start = LocalExecutor.start
    monkeypatch.setattr(
        LocalExecutor, "start", lambda self, n=None: started.append(n) or start(self, n)
    )
    with pytest.raises(DataValidationError, match="registered_offences"):
        render_batch(str(broken), areas=AREAS, notebooks=NOTEBOOKS, **common)
    assert started, "the workers were started before the source was validated"
    assert set(multiprocessing.active_children()) <= children, "the early workers are stopped"
    assert snapshot(out) == before
    assert no_leftovers(out) == []


def test_refuses_to_replace_a_folder_it_did_not_write(source, tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("keep me", encoding="utf-8")
    with pytest.raises(RenderError, match="did not write"):
        render_batch(str(source), areas=AREAS, notebooks_dir=FIXTURES, out=out, progress=False)
    assert (out / "chapter1.tex").read_text(encoding="utf-8") == "keep me"
    assert no_leftovers(out) == []


@pytest.mark.slow
def test_interrupted_run_leaves_outputs_byte_identical(batch, source, tmp_path):
    result, _ = batch
    out = tmp_path / "outputs"
    shutil.copytree(result.out, out)
    (out / ".gitkeep").write_text("", encoding="utf-8")
    before = snapshot(out)
    children = set(multiprocessing.active_children())

    def interrupt(report_result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_batch(
            str(source),
            areas=AREAS,
            notebooks=["good"],
            notebooks_dir=FIXTURES,
            out=out,
            jobs=1,
            force=True,
            progress=False,
            on_result=interrupt,
        )
    assert snapshot(out) == before
    assert no_leftovers(out) == []
    assert set(multiprocessing.active_children()) <= children, "the workers were stopped"


# --------------------------------------------------------------------------------------------
# Timeouts and namespace isolation on one warm kernel, through the command
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_hung_cell_and_dead_kernel_fail_only_their_report(source, tmp_path, capsys):
    """One worker, in this order: Midden-Nederland dies (the kernel is killed), good, hangs (no
    hang there); Flevoland dies (lives there), good, hangs (hangs).

    After the dead kernel and after the timeout the kernel is restarted and the batch goes on;
    both ``good`` reports run on one kernel (each asserts that the other's variable is gone).
    """
    out = tmp_path / "outputs"
    code = render_command.main(
        [
            "--source",
            str(source),
            "--areas",
            ",".join(AREAS),
            "--notebooks",
            "dies,good,hangs",
            "--notebooks-dir",
            str(FIXTURES),
            "--out",
            str(out),
            "--jobs",
            "1",
            "--timeout",
            "3",
            "--progress",
            "lines",
        ]
    )
    assert code == 1
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert statuses(manifest) == {
        ("Midden-Nederland", "dies"): "failed",
        ("Midden-Nederland", "good"): "ok",
        ("Midden-Nederland", "hangs"): "ok",
        ("Flevoland", "dies"): "ok",
        ("Flevoland", "good"): "ok",
        ("Flevoland", "hangs"): "failed",
    }
    dead = next(
        r for r in manifest["reports"] if r["status"] == "failed" and "dies" in r["notebook"]
    )
    assert "kernel is onverwacht gestopt" in dead["error"] and dead["retry"] is True
    hung = next(
        r for r in manifest["reports"] if r["status"] == "failed" and "hangs" in r["notebook"]
    )
    assert "tijdslimiet van 3 s" in hung["error"]
    assert hung["retry"] is True, "a timeout is retried on the next run"
    executed = nbformat.read(out / hung["ipynb"], as_version=4)
    assert any(
        output.get("ename") == "KernelFailure"
        for cell in executed.cells
        for output in cell.get("outputs", [])
    )
    err = capsys.readouterr().err
    assert "[6/6]" in err and "2 mislukt" in err and "mislukt: Flevoland" in err


# --------------------------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_dask_executor_gives_the_same_statuses(batch, source, tmp_path):
    """Also with dask's default dashboard port 8787 taken (a second batch, the user's own
    cluster): the LocalCluster listens elsewhere without dask's English warning about it."""
    import distributed  # noqa: F401 - locked test dependency: its absence fails

    result, _ = batch
    with contextlib.ExitStack() as stack:
        held = socket.socket()
        stack.callback(held.close)
        with contextlib.suppress(OSError):  # taken already: the same situation
            held.bind(("127.0.0.1", 8787))
            held.listen()
        caught = stack.enter_context(warnings.catch_warnings(record=True))
        warnings.simplefilter("always")
        dask_result = render_batch(
            str(source),
            areas=AREAS,
            notebooks=NOTEBOOKS,
            notebooks_dir=FIXTURES,
            out=tmp_path / "outputs",
            jobs=1,  # a LocalCluster of one worker: two separate processes are test_render_cluster's
            executor="dask",
            timeout=60,
            progress=False,
        )
    assert not [str(w.message) for w in caught if "already in use" in str(w.message)]
    assert statuses(dask_result.manifest) == statuses(result.manifest)
    errors = {(r["area"], r["notebook"]): r["error"] for r in dask_result.manifest["reports"]}
    assert errors == {(r["area"], r["notebook"]): r["error"] for r in result.manifest["reports"]}
    assert (tmp_path / "outputs" / "flevoland" / "good.html").is_file()


# --------------------------------------------------------------------------------------------
# Incremental planning, with an executor that only records what it was asked to render
# --------------------------------------------------------------------------------------------


class RecordingExecutor:
    """Stands in for LocalExecutor: every task "renders" instantly as an ok report."""

    calls: list[list[str]] = []

    def __init__(self, jobs, options):
        self.options = options

    def run(self, tasks):
        tasks = list(tasks)
        RecordingExecutor.calls.append([task.key for task in tasks])
        for task in tasks:
            yield ReportResult(
                key=task.key, status="ok", seconds=0.01, html="<html></html>", ipynb="{}"
            )


def test_rerun_redoes_exactly_what_changed(source, tmp_path, monkeypatch):
    monkeypatch.setattr("rvs_analysis.render.batch.LocalExecutor", RecordingExecutor)
    monkeypatch.setattr("rvs_analysis.render.batch.library_fingerprint", lambda: "library-1")
    RecordingExecutor.calls = []
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("good", "raises"):
        shutil.copy(FIXTURES / f"{name}.ipynb", notebooks / f"{name}.ipynb")
    out = tmp_path / "outputs"

    def run(**options):
        options.setdefault("areas", AREAS)
        render_batch(str(source), notebooks_dir=notebooks, out=out, progress=False, **options)
        return sorted(RecordingExecutor.calls[-1]) if RecordingExecutor.calls else []

    everything = sorted(
        f"{a}/{n}" for a in ("midden-nederland", "flevoland") for n in ("good", "raises")
    )
    assert run() == everything
    RecordingExecutor.calls = []
    assert run() == [], "nothing changed"
    edited = nbformat.read(notebooks / "raises.ipynb", as_version=4)
    edited.cells.append(nbformat.v4.new_markdown_cell("Nog een zin."))
    nbformat.write(edited, notebooks / "raises.ipynb")
    assert run() == ["flevoland/raises", "midden-nederland/raises"], "only the edited notebook"
    RecordingExecutor.calls = []
    assert run(areas=["Flevoland"]) == [], "a subset of unchanged reports is carried over"
    monkeypatch.setattr("rvs_analysis.render.batch.library_fingerprint", lambda: "library-2")
    assert run() == everything, "a library change redoes every report"
    assert run(force=True) == everything
    with (source / "population.csv").open("a", encoding="utf-8") as handle:
        handle.write("GM0344,2018,350000\n")
    try:
        assert run() == everything, "new input data redoes every report"
    finally:
        write_tiny_source(source)


# --------------------------------------------------------------------------------------------
# Small pieces
# --------------------------------------------------------------------------------------------


def test_clean_output_html_escapes_scripts_and_keeps_tables():
    html = clean_output_html(
        '<style scoped>.x{}</style><table class="dataframe"><thead><tr><th>gebied</th></tr>'
        "</thead><tbody><tr><td><script>alert(1)</script></td></tr></tbody></table>"
        '<img src="https://example.org/x.png"><img src="data:image/png;base64,AAAA">'
        '<p onclick="steal()" style="color: red; position: fixed">tekst</p>'
    )
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<thead>" in html and "<th>gebied</th>" in html
    assert "<style" not in html and ".x{}" not in html
    assert "example.org" not in html and 'src="data:image/png;base64,AAAA"' in html
    assert "onclick" not in html and "position" not in html and "color: red" in html


def test_headline_figures_formats_dutch_numbers_and_tolerates_odd_summaries():
    summary = {"estimates": {"a": {"estimate": 0.1234, "ci_low": 0.1, "ci_high": 0.15}, "b": 12.25}}
    assert headline_figures(summary) == [
        {"name": "a", "value": "0,123 [0,100; 0,150]"},
        {"name": "b", "value": "12,3"},  # half away from zero, as CBS rounds
    ]
    assert headline_figures(None) == [] and headline_figures({"estimates": [1]}) == []
    assert format_number(1234.0) == "1.234" and format_number(None) == "–"


def test_fingerprint_changes_with_each_input():
    base = (b"{}", {"area": "Flevoland"}, "abc", "lib1")
    reference = report_fingerprint(*base)
    assert report_fingerprint(*base) == reference
    assert report_fingerprint(b"{ }", *base[1:]) != reference
    assert report_fingerprint(base[0], {"area": "Utrecht"}, *base[2:]) != reference
    assert report_fingerprint(*base[:2], "abd", base[3]) != reference
    assert report_fingerprint(*base[:3], "lib2") != reference


def test_select_notebooks_by_name_and_rejects_unknown():
    available = sorted(FIXTURES.glob("*.ipynb"))
    assert [p.stem for p in select_notebooks(available, ["good", "raises.ipynb"])] == [
        "good",
        "raises",
    ]
    assert select_notebooks(available) == available
    with pytest.raises(RenderError, match="Available report notebooks: dies, good, hangs"):
        select_notebooks(available, ["nope"])
    with pytest.raises(RenderError, match="no report notebooks"):
        select_notebooks([], None)


def test_command_help_lists_the_options():
    import argparse

    parser = argparse.ArgumentParser()
    render_command.add_arguments(parser)
    text = parser.format_help()
    for option in ("--source", "--cache", "--level", "--areas", "--notebooks", "--out", "--jobs"):
        assert option in text
    for option in ("--executor", "--scheduler", "--timeout", "--force"):
        assert option in text
    assert os.cpu_count() is not None


def test_headline_figures_prefer_the_reports_own_dutch_headline():
    summary = {
        "headline": {"Opheldering woninginbraak 2016": "7,8%", "Doelen behaald": 9},
        "estimates": {"burglary_clearance_pct": {"estimate": 7.8, "ci_low": 7.2, "ci_high": 8.5}},
    }
    assert headline_figures(summary) == [
        {"name": "Opheldering woninginbraak 2016", "value": "7,8%"},
        {"name": "Doelen behaald", "value": "9"},
    ]


def test_a_headline_figure_links_to_the_section_its_report_names():
    from rvs_analysis.render.html import render_index, section_anchor

    summary = {
        "headline": {"Signalen oktober – december 2018": 7, "Blijvende hotspots": 1, "Overig": 2},
        "headline_sections": {
            "Signalen oktober – december 2018": "Signalen van de laatste maanden",
            "Blijvende hotspots": "Eén & twee: hotspots",
        },
    }
    lines = headline_figures(summary)
    assert lines == [
        {"name": "Signalen oktober – december 2018", "value": "7",
         "section": "Signalen-van-de-laatste-maanden"},
        {"name": "Blijvende hotspots", "value": "1", "section": section_anchor("Eén & twee: hotspots")},
        {"name": "Overig", "value": "2"},
    ]  # fmt: skip
    # the id nbconvert writes on the heading, accents and all
    assert section_anchor("Eén & twee: hotspots") == "E%C3%A9n-&-twee:-hotspots"
    manifest = {
        "reports": [
            {"area": "Utrecht", "notebook": "nb", "status": "ok", "html": "utrecht/nb.html"},
            {"area": "Zeist", "notebook": "nb", "status": "skipped", "html": None, "error": "x"},
        ],
        "source": "demo",
    }
    page = render_index(
        manifest,
        summaries={("Utrecht", "nb"): summary, ("Zeist", "nb"): summary},
        areas=["Utrecht", "Zeist"],
        notebooks=[("nb", "Wijken en buurten")],
        region="Midden-Nederland",
        is_demo=False,
        generated_at="2026-01-05T10:00:00+01:00",
    )
    assert (
        '<a href="utrecht/nb.html#Signalen-van-de-laatste-maanden"><span class="name">Signalen '
        'oktober – december 2018:</span> <strong class="value">7</strong></a>'
    ) in page
    assert 'href="utrecht/nb.html#E%C3%A9n-&amp;-twee:-hotspots"' in page
    assert page.count("#Signalen-van-de-laatste-maanden") == 1  # no link without a page
    # a summary without sections (an older batch's) still shows its figures, unlinked
    del summary["headline_sections"]
    assert [line.get("section") for line in headline_figures(summary)] == [None] * 3


def test_a_report_with_its_own_demo_banner_gets_no_second_one():
    from rvs_analysis.render.html import ReportExporter

    own = nbformat.v4.new_code_cell("banner()")
    own.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/html": '<div class="rvs-demo-banner">Demonstratiedata: gesimuleerd</div>'},
        )
    ]
    provenance = {"notebook": "x", "area": "Flevoland", "is_demo": True, "parameters": {}}
    exporter = ReportExporter()
    with_own = exporter.export(nbformat.v4.new_notebook(cells=[own]), provenance)
    without_own = exporter.export(nbformat.v4.new_notebook(cells=[]), provenance)
    assert with_own.count("Demonstratiedata") == 1
    assert "rvs-banner-demo" in without_own


def test_reset_frees_the_last_reports_garbage_before_freezing(tmp_path, monkeypatch):
    # The reset freezes what survives it (gc.freeze); cyclic garbage left by a report (every
    # matplotlib figure is a reference cycle) must be collected first, or each report's figures
    # stay in the kernel for good and its memory grows report by report.
    import gc

    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    from rvs_analysis.render import kernels

    monkeypatch.chdir(tmp_path)
    kernels.snapshot_kernel_state()
    automatic = gc.isenabled()
    gc.disable()  # no automatic collection may do the reset's work in this test
    try:
        # One figure and reset first: what the first draw initialises once per process (font
        # and text caches, lazily imported modules) is frozen once, not per report.
        for _ in range(2):
            fig, ax = plt.subplots()
            ax.plot([1, 2, 3])
            fig.canvas.draw()
            plt.close(fig)
            del fig, ax
            kernels.reset_kernel_state(str(tmp_path))
        baseline = gc.get_freeze_count()
        for _ in range(3):
            fig, ax = plt.subplots()
            ax.plot([1, 2, 3])
            fig.canvas.draw()
            plt.close(fig)
            del fig, ax
            kernels.reset_kernel_state(str(tmp_path))
        grown = gc.get_freeze_count() - baseline
    finally:
        gc.unfreeze()
        if automatic:
            gc.enable()
    assert grown < 500, f"{grown} objects of closed figures were frozen"


def test_a_render_sweeps_stale_scratch_of_killed_runs(batch, source, tmp_path, monkeypatch):
    result, _ = batch
    monkeypatch.setattr(
        "rvs_analysis.render.batch.library_fingerprint",
        lambda: result.manifest["library_fingerprint"],
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    stale = scratch / "rvs-kernel-killed"
    stale.mkdir()
    os.utime(stale, (0, 0))
    stale_batch = scratch / "rvs-batch-killed"  # a batch killed with -9: its whole scratch
    (stale_batch / "k1").mkdir(parents=True)
    os.utime(stale_batch, (0, 0))
    running = scratch / "rvs-report-running"
    running.mkdir()
    out = tmp_path / "outputs"
    shutil.copytree(result.out, out)
    render_batch(
        str(source),
        areas=AREAS,
        notebooks=NOTEBOOKS,
        notebooks_dir=FIXTURES,
        out=out,
        jobs=1,
        progress=False,
    )
    assert not stale.exists(), "a stale folder of a killed run is swept"
    assert not stale_batch.exists()
    assert running.is_dir(), "a fresh one (a batch still running) is left alone"


@pytest.mark.parametrize("how", ["mount point", "other device"])
def test_out_at_a_mount_point_is_refused_before_rendering(source, tmp_path, monkeypatch, how):
    out = tmp_path / "mnt"
    out.mkdir()
    if how == "mount point":
        real_ismount = os.path.ismount
        monkeypatch.setattr("os.path.ismount", lambda path: Path(path) == out or real_ismount(path))
    else:
        real_stat = Path.stat

        def stat(self, *args, **kwargs):
            result = real_stat(self, *args, **kwargs)
            if self == out:
                values = list(result)
                values[2] = result.st_dev + 1  # st_dev
                return os.stat_result(values)
            return result

        monkeypatch.setattr(Path, "stat", stat)

    def no_executor(*args, **kwargs):
        raise AssertionError("nothing is rendered for an out folder that cannot be swapped")

    monkeypatch.setattr("rvs_analysis.render.batch.LocalExecutor", no_executor)
    with pytest.raises(RenderError, match="mount point") as refused:
        render_batch(
            str(source),
            areas=AREAS,
            notebooks=NOTEBOOKS,
            notebooks_dir=FIXTURES,
            out=out,
            jobs=1,
            progress=False,
        )
    assert "\n" not in str(refused.value)
    assert list(out.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnt"]
