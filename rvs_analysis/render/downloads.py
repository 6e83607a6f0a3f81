"""The downloads of a report: every table as CSV, all tables as one Excel file, every figure as PNG.

A report's tables carry their shown cells in the output mimetype
:data:`rvs_analysis.report.tables.TABLE_MIMETYPE`; its figures are ``image/png`` outputs. Before
the page is exported, :func:`prepare_downloads` numbers them, writes the files' bytes (the batch
puts them in ``<area>/<notebook>_bestanden/``) and marks each output with the link the page shows
under it.

CSV files are what Dutch Excel opens directly: UTF-8 with a byte-order mark, semicolons between
fields, decimal commas, no thousands separators, an ASCII minus. A cell that reads as a number on
the page (``12.564``, ``−4,2``, ``7,8%``) is written as that number (``12564``, ``-4,2``, ``7,8``;
a column of percentages gets `` (%)`` in its heading); other cells as their text. The Excel file
holds the same values as numbers, one sheet per table, with a contents sheet of the captions.
The PNG files are the exact bytes the page embeds.
"""

from __future__ import annotations

import base64
import copy
import csv
import io
import re
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Font

from rvs_analysis.mimetypes import TABLE_MIMETYPE
from rvs_analysis.spreadsheet import as_text_cell, safe_text

__all__ = [
    "Downloads",
    "cell_value",
    "parse_dutch_number",
    "prepare_downloads",
    "table_csv",
    "tables_xlsx",
]

_DUTCH_NUMBER = re.compile(r"^([+\u2212-])?(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?(%)?$")


def parse_dutch_number(text: str) -> tuple[float, bool] | None:
    """``"12.564"`` -> ``(12564.0, False)``, ``"−4,2%"`` -> ``(-4.2, True)``; text -> None.

    Returns
    -------
    tuple of (float, bool) or None
        The number and whether it was a percentage; ``None`` when the text is not a number.
    """
    match = _DUTCH_NUMBER.match(str(text).strip())
    if match is None:
        return None
    sign, whole, decimals, percent = match.groups()
    value = float(whole.replace(".", "") + ("." + decimals if decimals else ""))
    if sign in ("\u2212", "-"):
        value = -value
    return value, percent is not None


def cell_value(text: str):
    """A shown cell as a download holds it: a float for a number, ``None`` for "–", else text."""
    text = str(text)
    if text.strip() in ("–", ""):
        return None
    parsed = parse_dutch_number(text)
    return text if parsed is None else parsed[0]


def _percent_columns(shown: dict) -> list[bool]:
    flags = []
    for index, _ in enumerate(shown["columns"]):
        parsed = [parse_dutch_number(row[index]) for row in shown["rows"]]
        numbers = [item for item in parsed if item is not None]
        flags.append(bool(numbers) and all(item[1] for item in numbers))
    return flags


def _headings(shown: dict) -> list[str]:
    """Column headings for a download: a percentage column says so, and every heading is unique
    (a second "Waarde" becomes "Waarde (2)"), since spreadsheet users select columns by name."""
    headings, seen = [], {}
    for name, percent in zip(shown["columns"], _percent_columns(shown), strict=True):
        heading = " ".join(str(name).split())
        heading = f"{heading} (%)" if percent and "%" not in heading else heading
        seen[heading] = seen.get(heading, 0) + 1
        headings.append(heading if seen[heading] == 1 else f"{heading} ({seen[heading]})")
    return headings


def _csv_number(value: float) -> str:
    text = repr(float(value))
    if text.endswith(".0"):
        text = text[:-2]
    return text.replace(".", ",")


def table_csv(shown: dict) -> bytes:
    """One shown table as a Dutch-Excel CSV (see the module notes).

    Parameters
    ----------
    shown : dict
        ``{"caption": str, "columns": [str], "rows": [[str]]}`` as the table output carries it.

    Returns
    -------
    bytes
        UTF-8 with byte-order mark.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_text(heading) for heading in _headings(shown)])
    for row in shown["rows"]:
        values = [cell_value(text) for text in row]
        writer.writerow(
            [
                ""
                if value is None
                else _csv_number(value)
                if isinstance(value, float)
                else safe_text(str(value))
                for value in values
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def tables_xlsx(tables: list[dict], title: str) -> bytes:
    """All shown tables of a report as one Excel workbook (openpyxl).

    The first sheet, ``Inhoud``, lists the report's title and each table's sheet and caption;
    then one sheet per table (``Tabel 1``, ...) with the headings in row 1 and numbers stored as
    numbers (percentages as the number of percent, shown with a ``%`` format).
    """
    book = Workbook()
    contents = book.active
    contents.title = "Inhoud"
    contents.append([title])
    contents["A1"].font = Font(bold=True)
    contents.append([])
    contents.append(["Blad", "Tabel"])
    for number, shown in enumerate(tables, start=1):
        contents.append([f"Tabel {number}", shown.get("caption") or f"Tabel {number}"])
        sheet = book.create_sheet(f"Tabel {number}")
        sheet.append(_headings(shown))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        percents = _percent_columns(shown)
        for row in shown["rows"]:
            sheet.append([cell_value(text) for text in row])
            for cell, percent in zip(sheet[sheet.max_row], percents, strict=True):
                if percent and isinstance(cell.value, float):
                    cell.number_format = '0.0"%"'
        for column in sheet.columns:
            width = max(len(str(cell.value or "")) for cell in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 50)
    for each in book.worksheets:  # text is text: openpyxl would store "=..." as a formula
        for row in each.iter_rows():
            for cell in row:
                as_text_cell(cell)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass
class Downloads:
    """A report's download files and the links its page shows."""

    folder: str
    files: dict[str, bytes] = field(default_factory=dict)
    links: list[dict] = field(default_factory=list)


def prepare_downloads(nb, stem: str, title: str = ""):
    """Number a report's tables and figures, make their files, and link them from the outputs.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (not changed).
    stem : str
        The report's file stem (``crime_change``); files go to ``<stem>_bestanden/``.
    title : str
        The report's title, on the Excel file's contents sheet.

    Returns
    -------
    (nbformat.NotebookNode, Downloads)
        A copy of the notebook whose table outputs carry ``metadata["rvs_download"]`` and whose
        figure outputs carry ``metadata["image/png"]["rvs_download"]`` (relative links), and the
        files by name (inside the folder) with the links for the page's download list.
    """
    nb = copy.deepcopy(nb)
    downloads = Downloads(folder=f"{stem}_bestanden")
    tables = []
    figure_number = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            metadata = output.setdefault("metadata", {})
            if TABLE_MIMETYPE in data and "text/html" in data:
                shown = data[TABLE_MIMETYPE]
                tables.append(shown)
                name = f"tabel-{len(tables)}.csv"
                downloads.files[name] = table_csv(shown)
                metadata["rvs_download"] = f"{downloads.folder}/{name}"
                caption = shown.get("caption")
                label = f"Tabel {len(tables)} (CSV)" + (f": {_shorten(caption)}" if caption else "")
                downloads.links.append({"href": f"{downloads.folder}/{name}", "label": label})
            elif "image/png" in data:
                figure_number += 1
                name = f"figuur-{figure_number}.png"
                raw = data["image/png"]
                if isinstance(raw, list):
                    raw = "".join(raw)
                downloads.files[name] = base64.b64decode(raw)
                png_metadata = metadata.setdefault("image/png", {})
                png_metadata["rvs_download"] = f"{downloads.folder}/{name}"
                alt = png_metadata.get("alt") or f"Figuur {figure_number}"
                downloads.links.append(
                    {
                        "href": f"{downloads.folder}/{name}",
                        "label": f"Figuur {figure_number} (PNG): {_shorten(alt)}",
                    }
                )
    if tables:
        downloads.files["tabellen.xlsx"] = tables_xlsx(tables, title)
        downloads.links.insert(
            0,
            {
                "href": f"{downloads.folder}/tabellen.xlsx",
                "label": (
                    f"Alle {len(tables)} tabellen in één Excel-bestand (.xlsx)"
                    if len(tables) > 1
                    else "De tabel als Excel-bestand (.xlsx)"
                ),
            },
        )
    return nb, downloads


def _shorten(text: str, limit: int = 90) -> str:
    first = str(text).split(". ")[0]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"
