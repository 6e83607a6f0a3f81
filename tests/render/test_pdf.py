"""``rvs render --pdf``: A4 PDFs with Debian's chromium, and a clear message without it."""

from __future__ import annotations

import functools
import re
import shutil

import pytest
from tidy_sources import write_tiny_source

from rvs_analysis.cli import main
from rvs_analysis.render import batch, pdf


def test_pdf_without_chromium_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    code = main(["render", "--pdf", "--areas", "Flevoland", "--out", str(tmp_path / "out")])
    assert code == 2
    message = capsys.readouterr().err
    assert "apt-get install chromium" in message and "Traceback" not in message
    assert not (tmp_path / "out").exists()  # refused before anything was rendered


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_write_pdfs_prints_each_report_on_a4(tmp_path, tmp_path_factory, monkeypatch):
    import tempfile

    from rvs_analysis.render.html import TEMPLATES

    # Nothing may be left in TMPDIR: Chromium's own scratch (org.chromium.Chromium.*) went
    # there and stayed (issue 29). A short folder: Chromium puts a socket below it.
    scratch = tmp_path_factory.mktemp("t")
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    rows = "".join(f"<tr><td>Rij {n}</td><td>{n},5</td></tr>" for n in range(120))
    page = tmp_path / "flevoland" / "rapport.html"
    page.parent.mkdir()
    page.write_text(
        f'<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><style>{css}</style></head>'
        f'<body class="rvs-report"><main><h1>Rapport</h1><table>{rows}</table></main></body></html>',
        encoding="utf-8",
    )
    written = pdf.write_pdfs(tmp_path, {"reports": [{"html": "flevoland/rapport.html"}]})
    assert written == [tmp_path / "flevoland" / "rapport.pdf"]
    assert list(scratch.iterdir()) == []
    data = written[0].read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", data)
    assert len(boxes) >= 2
    assert all(abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in boxes)


def test_a_browser_that_prints_nothing_fails_the_run(monkeypatch, tmp_path, capsys):
    """Issue 29 (low): a Chromium that fails on every page exited 0 with "0 PDF's geschreven".

    The browser is given one page to print: a one-line notebook on a tiny source, rendered on a
    bare kernel (``render_batch(warm_imports=())``).
    """
    import nbformat

    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    broken.chmod(0o755)
    monkeypatch.setattr(pdf.shutil, "which", lambda name: str(broken))
    monkeypatch.setattr(
        batch, "render_batch", functools.partial(batch.render_batch, warm_imports=())
    )
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    parameters = nbformat.v4.new_code_cell(
        'area = "Flevoland"\nsource = "demo"\ncache = "data/raw"'
    )
    parameters.metadata["tags"] = ["parameters"]
    cells = [parameters, nbformat.v4.new_code_cell('print(f"Rapport voor {area}")')]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), notebooks / "kort.ipynb")
    source = write_tiny_source(tmp_path / "tidy")
    argv = ["render", "--pdf", "--areas", "Flevoland", "--notebooks", "kort", "--jobs", "1",
            "--notebooks-dir", str(notebooks), "--source", str(source)]  # fmt: skip
    code = main([*argv, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code != 0 and "kregen geen PDF" in err and "Traceback" not in err
    assert not list((tmp_path / "out").rglob("*.pdf"))
