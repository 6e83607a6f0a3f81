"""A report's downloads (every table as CSV and all as xlsx, every figure as PNG) and its page:
lang="nl", alt texts from the figures, glossary lines, links, Dutch footer dates."""

from __future__ import annotations

import base64
import io
import re

import matplotlib
import nbformat
import pandas as pd
import pytest

matplotlib.use("Agg")

from rvs_analysis.render.downloads import parse_dutch_number, prepare_downloads  # noqa: E402
from rvs_analysis.render.html import ReportExporter  # noqa: E402
from rvs_analysis.report import figures, table  # noqa: E402
from rvs_analysis.report.figures import drawing  # noqa: E402
from rvs_analysis.report.tables import TABLE_MIMETYPE  # noqa: E402


def _shown_table():
    frame = pd.DataFrame(
        {
            "area": ["Flevoland", "Stad Utrecht", "Midden-Nederland"],
            "value": [12564, 980, 31002],
            "change_pct": [-4.25, 3.0, 0.0],
            "rate": [2.345, 1.5, float("nan")],
            "significant": [True, False, True],
        }
    )
    return table(
        frame,
        formats={"change_pct": "signed_pct", "rate": "num2"},
        columns={
            "area": "Gebied",
            "value": "Woninginbraken",
            "change_pct": "Verandering",
            "rate": "Per 1.000 inwoners",
            "significant": "Significant",
        },
        caption="Woninginbraken per district, 2016",
    )


def _notebook():
    shown = _shown_table()
    fig = figures.bar_chart(
        pd.DataFrame({"name": ["A", "B"], "value": [4.0, 6.0]}),
        "name",
        "value",
        "Demo",
        title="Iets, Utrecht 2016",
    )
    png, metadata = drawing._png_with_alt(fig)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Titel\n\nEen verandering met 95%-BI van 1 tot 2."),
        nbformat.v4.new_code_cell(
            "x",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={"text/html": shown.data, TABLE_MIMETYPE: shown.shown},
                )
            ],
        ),
        nbformat.v4.new_code_cell(
            "fig",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={"image/png": base64.b64encode(png).decode()},
                    metadata={"image/png": metadata},
                )
            ],
        ),
    ]
    return nb, shown, png


def _html_cells(shown_html):
    rows = re.findall(r"<tr>(.*?)</tr>", shown_html)
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in rows]


def _as_number(text):
    parsed = parse_dutch_number(text)
    if text == "–":
        return None
    return text if parsed is None else parsed[0]


def test_csv_and_xlsx_re_read_equal_the_shown_table():
    nb, shown, _ = _notebook()
    _, downloads = prepare_downloads(nb, "rapport", "Titel")
    cells = [row for row in _html_cells(shown.data) if row]
    body = [[_as_number(text) for text in row] for row in cells[1:]]
    csv_bytes = downloads.files["tabel-1.csv"]
    assert csv_bytes.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the accents right
    text = csv_bytes.decode("utf-8-sig")
    assert text.splitlines()[1] == "Flevoland;12564;-4,3;2,35;ja"  # semicolons, decimal commas
    frame = pd.read_csv(io.BytesIO(csv_bytes), sep=";", decimal=",", encoding="utf-8-sig")
    assert list(frame.columns) == [
        "Gebied",
        "Woninginbraken",
        "Verandering (%)",
        "Per 1.000 inwoners",
        "Significant",
    ]
    read = frame.astype(object).where(frame.notna(), None).values.tolist()
    assert read == body
    book = pd.read_excel(io.BytesIO(downloads.files["tabellen.xlsx"]), sheet_name=None)
    assert list(book) == ["Inhoud", "Tabel 1"]
    sheet = book["Tabel 1"]
    assert list(sheet.columns) == list(frame.columns)
    assert sheet.astype(object).where(sheet.notna(), None).values.tolist() == body


def test_png_download_is_the_image_the_page_shows():
    nb, _, png = _notebook()
    page_nb, downloads = prepare_downloads(nb, "rapport", "Titel")
    assert downloads.files["figuur-1.png"] == png
    metadata = page_nb.cells[2].outputs[0].metadata["image/png"]
    assert metadata["rvs_download"] == "rapport_bestanden/figuur-1.png"
    assert page_nb.cells[1].outputs[0].metadata["rvs_download"] == "rapport_bestanden/tabel-1.csv"
    assert [link["href"] for link in downloads.links][0] == "rapport_bestanden/tabellen.xlsx"


@pytest.fixture(scope="module")
def page():
    nb, _, _ = _notebook()
    page_nb, downloads = prepare_downloads(nb, "rapport", "Titel")
    return ReportExporter().export(
        page_nb,
        {
            "region": "Midden-Nederland",
            "area": "Flevoland",
            "title": "Titel",
            "notebook": "rapport",
            "source": "demo",
            "source_name": "Demonstratiedata rvs-analysis (gesimuleerd)",
            "data_version": "abc",
            "code_version": "1.0",
            "parameters": {"area": "Flevoland"},
            "rendered_at": "2026-12-01T11:39:36+00:00",
            "seconds": "4.2",
            "is_demo": True,
            "status": "ok",
            "error": None,
            "downloads": downloads.links,
        },
    )


def test_page_is_dutch_with_alt_texts_glossary_and_links(page):
    assert '<html lang="nl">' in page
    assert "No description has been provided" not in page
    assert 'alt="Staafdiagram: Iets, Utrecht 2016. A 4,0; B 6,0."' in page
    assert page.count('class="rvs-glossary"') == 1 and "<dfn>95%-BI" in page
    assert 'href="rapport_bestanden/tabel-1.csv"' in page
    assert 'href="rapport_bestanden/figuur-1.png"' in page
    assert 'href="rapport_bestanden/tabellen.xlsx"' in page
    footer = page[page.index('<footer class="rvs-provenance">') :]
    assert "december 2026 om" in footer and "4,2 seconden" in footer
    assert not re.search(r"\d{4}-\d\d-\d\dT", footer) and "UTC" not in footer


def test_page_carries_no_jupyterlab_css_script_or_network_reference(page):
    assert "<script" not in page and "jp-ThemedContainer" not in page
    assert "--jp-" not in page.split("</style>")[0]
    assert not re.search(r"(src|href)=\"https?://", page)
    assert len(page.encode()) < 60_000


def test_glossary_lines_of_the_kernboodschap_follow_the_block_in_reading_order():
    from bs4 import BeautifulSoup

    from rvs_analysis.render.html import add_glossary

    page = (
        "<html><body><main>"
        '<div class="rvs-kernboodschap"><h2>Kernboodschap</h2><p>Eén.</p>'
        "<p>Daalde met 8% (95%-BI −12% tot −4%; statistisch significant).</p><p>Drie.</p></div>"
        "<p>Later weer 95%-BI.</p></main></body></html>"
    )
    soup = BeautifulSoup(add_glossary(page), "html.parser")
    block = soup.find(class_="rvs-kernboodschap")
    assert [p.get_text() for p in block.find_all("p")][::2] == ["Eén.", "Drie."]
    assert len(block.find_all("p")) == 3 and not block.find(class_="rvs-glossary")
    following = [p for p in block.find_next_siblings("p") if "rvs-glossary" in p.get("class", [])]
    assert [p.dfn.get_text() for p in following] == [
        "95%-BI (95%-betrouwbaarheidsinterval)",
        "statistisch significant",
    ]
    assert len(soup.find_all(class_="rvs-glossary")) == 2  # once per term


HOSTILE = ['=HYPERLINK("http://x","klik")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx"]


def test_text_cells_are_never_formulas_in_csv_or_xlsx_and_numbers_stay_numbers():
    """Issue 29 (high): offence labels and custom-area names reach the downloads as text; a
    text cell starting with = + - @ TAB or CR is escaped with a leading quote in CSV (OWASP) and
    stored as text in xlsx; a negative number stays a number."""
    from openpyxl import load_workbook

    from rvs_analysis.render.downloads import table_csv, tables_xlsx

    shown = {
        "caption": "=1+1",
        "columns": ["Gebied", "=Kolom", "Verandering"],
        "rows": [[name, "x", "-4,3"] for name in HOSTILE],
    }
    text = table_csv(shown).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].split(";")[1] == "'=Kolom"
    for line, name in zip(lines[1:], HOSTILE, strict=False):
        first = next(iter(__import__("csv").reader([line], delimiter=";")))
        assert first[0] == "'" + name and first[2] == "-4,3"
    book = load_workbook(io.BytesIO(tables_xlsx([shown], "=Titel")))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    values = [cell.value for cell in book["Tabel 1"]["A"]][1:]
    assert values == HOSTILE
    assert book["Tabel 1"]["C2"].value == -4.3


def test_rvs_table_output_escapes_a_hostile_area_name():
    from rvs_analysis.commands.table import format_table
    from rvs_analysis.spreadsheet import safe_text

    assert safe_text("=1+1") == "'=1+1" and safe_text("-3") == "-3" and safe_text(4) == 4

    table = pd.DataFrame({"area": ["=cmd|calc", "Flevoland"], "year": [2016, 2016]})
    out = format_table(table, "csv")
    assert "'=cmd|calc" in out and "\n=cmd" not in out


def test_download_links_are_named_alike_and_headings_are_unique():
    """Issue 28 A9: 'Tabel 3 (CSV): ...' like 'Figuur 1 (PNG): ...'; no 'Waarde' and 'Waarde '."""
    from rvs_analysis.render.downloads import _headings

    nb, _, _ = _notebook()
    _, downloads = prepare_downloads(nb, "rapport", "Titel")
    labels = [link["label"] for link in downloads.links]
    assert any(re.match(r"Tabel 1 \(CSV\)", label) for label in labels)
    assert all(
        re.match(r"(Tabel \d+ \(CSV\)|Figuur \d+ \(PNG\)|De tabel|Alle \d+ tabellen)", label)
        for label in labels
    )
    shown = {"columns": ["Gebied", "Waarde", "Waarde "], "rows": [["A", "1", "2"]]}
    assert _headings(shown) == ["Gebied", "Waarde", "Waarde (2)"]
