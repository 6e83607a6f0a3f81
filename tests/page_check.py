"""Read rendered report pages as their users read them and flag what contradicts itself (issue 28).

Each check is one class of defect a machine can see on a page:

* ``too-few-beside-many``: "te weinig gevallen" in a sentence that counts 10 or more offences
  ("In 2023 telde Midden-Nederland 5.666 woninginbraken; ... te weinig gevallen");
* ``status-against-printed``: a results row whose printed target and measurement are equal while
  its status says "niet behaald", or whose measurement is a count below 10 with a verdict;
* ``behaald-for-a-forecast``: "behaald" in a sentence about a forecast or a probability;
* ``empty-column``: a table column without a single value;
* ``one-with-plural``: "1" before a plural noun ("Alle 1 tabellen", "toetst 1 veranderingen");
* ``significant-touching-zero``: "statistisch significant" beside an interval printed from or to
  0% (the digits shown do not exclude no change);
* ``local-path``: an absolute path of the machine that rendered the page (``/home/...``);
* ``technical-details``: a line of the "Technische details" list in English, with a decimal
  point, marked ``lang="en"``, or twice (issue 28 A7: Dutch, decimal commas, no duplicates);
* ``dangling-link``: a link of a page, the index included, to a section (``page.html#id``) of a
  page in the folder that has no element with that id.

``python tests/page_check.py outputs/`` prints one line per problem and exits 1 when there is any.
"""

from __future__ import annotations

import html
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

_NOT_SHOWN = re.compile(r"<(style|script)\b.*?</\1>|<img\b[^>]*>|<details\b.*?</details>", re.S)
_TAG = re.compile(r"<[^>]+>")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_COUNTED = re.compile(
    r"(\d{1,3}(?:\.\d{3})+|\d+) (?:woninginbraken|misdrijven|inbraken|overvallen|straatroven)"
)
_PLURAL = re.compile(
    r"(?<![\d.,])\b1 (tabellen|doelen|veranderingen|gemeenten|indicatoren|metingen|rapporten)\b"
)
_SIGNIFICANT_AT_ZERO = re.compile(
    r"(?:BI|\() ?[−-]?0% tot [^;)]*; statistisch significant|tot [−-]?0%\)?; statistisch significant"
)
_LOCAL_PATH = re.compile(r"(?<![\w.:/])/(?:home|tmp|root|work|Users|var|opt)/[\w./-]+")
_FORECAST_WORDS = re.compile(r"naar de prognose|als de trend doorzet|de kans dat", re.I)
_TECHNICAL = re.compile(r"Technische details.*?(<ul\b[^>]*>)(.*?)</ul>", re.S)
_ITEM = re.compile(r"<li\b[^>]*>(.*?)</li>", re.S)
_ENGLISH = re.compile(
    r"\b(the|with|and|from|when|where|which|taken|allowing|for|to|by|on|are|below|"
    r"above|each|years|change|forecast|trend of)\b"
)
_DECIMAL_POINT = re.compile(r"(?<![\d.])\d+\.\d{1,2}(?![\d.])|\d\.\d{4,}")
_SECTION_LINK = re.compile(r'<a\b[^>]*\bhref="(?![a-z]+:)([^"#]+\.html)#([^"]+)"')
_ID = re.compile(r'\bid="([^"]*)"')
_HEADLINE = re.compile(r'<ul class="headlines">.*?</ul>', re.S)


def visible_text(raw: str) -> str:
    """A page's visible text (no styles, scripts, images or technical details)."""
    return " ".join(html.unescape(_TAG.sub(" ", _NOT_SHOWN.sub(" ", raw))).split())


class _Tables(HTMLParser):
    """Every table of a page as a list of rows of cell texts (header row first)."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(raw: str) -> list[list[list[str]]]:
    """Every table of a page's HTML as rows of cell texts (header row first)."""
    parser = _Tables()
    parser.feed(raw)
    return parser.tables


def _number(text: str) -> float | None:
    cleaned = text.replace(".", "").replace(",", ".").replace("−", "-").rstrip("%").strip()
    try:
        return float(cleaned)
    except ValueError:
        return None


def sentence_problems(text: str) -> list[tuple[str, str]]:
    """``(check, sentence)`` for every sentence of visible text that breaks a rule."""
    found = []
    for sentence in _SENTENCE.split(text):
        lower = sentence.lower()
        if "te weinig gevallen" in lower and "minder dan" not in lower and "onder " not in lower:
            counts = [_number(match.group(1)) for match in _COUNTED.finditer(sentence)]
            if any(count is not None and count >= 10 for count in counts):
                found.append(("too-few-beside-many", sentence))
        if _FORECAST_WORDS.search(sentence) and re.search(r"\bbehaald\b", sentence):
            if not re.search(r"gemeten|beoordeeld op", lower):
                found.append(("behaald-for-a-forecast", sentence))
        if _PLURAL.search(sentence):
            found.append(("one-with-plural", sentence))
        if _SIGNIFICANT_AT_ZERO.search(sentence) and "niet statistisch significant" not in lower:
            found.append(("significant-touching-zero", sentence))
    return found


def table_problems(raw: str) -> list[tuple[str, str]]:
    """``(check, description)`` for every table column or results row that breaks a rule."""
    found = []
    for table in tables(raw):
        if len(table) < 2:
            continue
        header, rows = table[0], table[1:]
        for index, name in enumerate(header):
            cells = [row[index] for row in rows if index < len(row)]
            if cells and all(cell in ("", "–", "-") for cell in cells):
                found.append(("empty-column", f"column {name!r} of a table has no value"))
        status = next((i for i, name in enumerate(header) if name.lower() == "status"), None)
        target = next((i for i, name in enumerate(header) if name.startswith("Doel ")), None)
        measured = next((i for i, name in enumerate(header) if name.startswith("Gemeten")), None)
        if status is None or target is None or measured is None:
            continue
        for row in rows:
            if max(status, target, measured) >= len(row):
                continue
            verdict, printed_target, printed = row[status], row[target], row[measured]
            if verdict == "niet behaald" and printed_target == printed and printed not in ("–", ""):
                found.append(("status-against-printed", f"{row[0]}: {printed} against {printed}"))
            value = _number(printed)
            if (
                verdict in ("behaald", "niet behaald")
                and "%" not in printed
                and value is not None
                and value < 10
            ):
                found.append(("status-against-printed", f"{row[0]}: {verdict} on {printed} cases"))
    return found


def technical_problems(raw: str) -> list[tuple[str, str]]:
    """``(check, line)`` for every line of "Technische details" in English, with a decimal point
    or twice, and for the list when it is marked English."""
    found = []
    for opening, body in _TECHNICAL.findall(raw):
        if 'lang="en"' in opening:
            found.append(("technical-details", 'the list is marked lang="en"'))
        seen = set()
        for item in _ITEM.findall(body):
            line = " ".join(html.unescape(_TAG.sub(" ", item)).split())
            words = _ENGLISH.findall(line)
            if words:
                found.append(("technical-details", f"English ({', '.join(words[:3])}): {line}"))
            if _DECIMAL_POINT.search(line):
                found.append(("technical-details", f"decimal point: {line}"))
            if line in seen:
                found.append(("technical-details", f"twice: {line}"))
            seen.add(line)
    return found


def page_problems(raw: str) -> list[tuple[str, str]]:
    """Every problem of one page's HTML."""
    text = visible_text(raw)
    paths = [("local-path", match.group(0)) for match in _LOCAL_PATH.finditer(text)]
    return sentence_problems(text) + table_problems(raw) + paths + technical_problems(raw)


def index_figures(raw: str) -> list[dict]:
    """The headline figures of a batch index: ``{"name", "value", "link"}`` each, ``link`` the
    report section the figure links to (``"utrecht/r.html#Signalen"``) or None."""
    figures = []
    items = [item for block in _HEADLINE.findall(raw) for item in _ITEM.findall(block)]
    for item in items:
        link = re.match(r'<a href="([^"]+)">', item)
        name = re.search(r'<span class="name">(.*?):</span>', item, re.S)
        value = re.search(r'<strong class="value">(.*?)</strong>', item, re.S)
        figures.append(
            {
                "name": html.unescape(name.group(1)) if name else None,
                "value": html.unescape(value.group(1)) if value else None,
                "link": html.unescape(link.group(1)) if link else None,
            }
        )
    return figures


def link_problems(page: Path) -> list[tuple[str, str]]:
    """``(check, link)`` for every link of ``page`` to a section of a local page without it."""
    found = []
    for target, anchor in _SECTION_LINK.findall(page.read_text(encoding="utf-8")):
        path = page.parent / unquote(html.unescape(target))
        ids = set()
        if path.is_file():
            ids = {html.unescape(each) for each in _ID.findall(path.read_text(encoding="utf-8"))}
        if html.unescape(anchor) not in ids:
            found.append(("dangling-link", f"{target}#{anchor}"))
    return found


def problems(folder: Path) -> list[str]:
    """Every problem of every report page under ``folder`` (the index only for its links), one
    line each."""
    lines = []
    for page in sorted(Path(folder).rglob("*.html")):
        found = link_problems(page)
        if page.name != "index.html":
            found = page_problems(page.read_text(encoding="utf-8")) + found
        for check, what in found:
            lines.append(f"{page.relative_to(folder)}: {check}: {what[:200]}")
    return lines


def main(argv: list[str]) -> int:
    found = problems(Path(argv[0] if argv else "outputs"))
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
