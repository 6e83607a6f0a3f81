"""Offline, self-contained HTML: one report per executed notebook and the batch index page.

Reports are exported in-process with one reusable nbconvert :class:`HTMLExporter` per worker and
the ``rvs_report`` template (``rvs_analysis/templates/rvs_report``), which extends JupyterLab's
layout but emits no script at all (no MathJax, require.js, mermaid or widget loader), no code
cells and no prompts; figures are embedded as base64 PNG. HTML and Markdown produced by cells pass
through :func:`clean_output_html`, so a label from the data that contains markup (``<script>``)
shows as text instead of being interpreted. The index page is rendered with Jinja2's autoescape.
"""

from __future__ import annotations

import copy
import math
import re
from functools import cache, lru_cache
from html import escape
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import bleach
from bleach.css_sanitizer import CSSSanitizer
from bs4 import BeautifulSoup
from jinja2 import Environment, FileSystemLoader, select_autoescape
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.strings import add_anchor
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

from rvs_analysis import regions
from rvs_analysis.dutch import GLOSSARY, fmt_datetime, fmt_seconds
from rvs_analysis.dutch import format_number as format_number
from rvs_analysis.render.failure import explain
from rvs_analysis.report.registry import spec_for
from rvs_analysis.report.wording import TARGET_STATUSES_NL, count_change_sentence, targets_sentence

TEMPLATES = Path(__file__).parent / "templates"

_ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
        "dd", "del", "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2",
        "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre",
        "q", "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "*": ["class", "id", "title", "style", "lang"],
    "a": ["href", "name"],
    "img": ["src", "alt", "width", "height"],
    "td": ["colspan", "rowspan", "align"],
    "th": ["colspan", "rowspan", "align", "scope"],
    "col": ["span"],
    "ol": ["start"],
}
# Links may point anywhere a reader can follow; images only to embedded data.
_ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto", "data"})
_CSS = CSSSanitizer(
    allowed_css_properties=frozenset(
        {
            "text-align",
            "vertical-align",
            "font-weight",
            "font-style",
            "color",
            "background-color",
            "width",
            "max-width",
            "white-space",
            "padding",
            "margin",
            "border",
            "border-bottom",
            "border-top",
            "font-size",
            "display",
        }
    )  # fmt: skip
)
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style\s*>", re.IGNORECASE | re.DOTALL)


def _img_src_is_embedded(tag, name, value):
    if tag == "img" and name == "src":
        return value.startswith("data:image/")
    if tag == "a" and name == "href":
        return not value.lower().startswith("data:")
    return name in _ALLOWED_ATTRIBUTES.get(tag, []) or name in _ALLOWED_ATTRIBUTES["*"]


def clean_output_html(html):
    """Make HTML from a notebook cell or output safe and offline.

    Parameters
    ----------
    html : str or bytes
        HTML as a cell output or rendered Markdown holds it.

    Returns
    -------
    str
        The HTML with allowed tags kept (headings, paragraphs, lists, tables, emphasis,
        embedded images) and every other tag *escaped*, so ``<script>`` shows as text.

    Notes
    -----
    Method: ``<style>`` blocks (pandas puts one before every DataFrame) are removed first, as
    the report's own stylesheet formats tables; then bleach cleans the rest with
    ``strip=False`` (disallowed tags become visible text rather than disappearing, which
    keeps a label such as ``<script>`` readable), inline ``style`` attributes reduced to
    harmless layout properties, and ``img`` sources limited to ``data:image/...`` so nothing is
    fetched from the network.
    """
    return _cleaned(html.decode() if isinstance(html, bytes) else str(html))


@lru_cache(maxsize=256)
def _cleaned(text: str) -> str:
    """:func:`clean_output_html` of a text, kept: a batch's reports repeat many outputs (the
    region-wide tables of every municipality report), and cleaning is a pure function."""
    text = _STYLE_BLOCK.sub("", text)
    return bleach.clean(
        text,
        tags=_ALLOWED_TAGS,
        attributes=_img_src_is_embedded,
        protocols=_ALLOWED_PROTOCOLS,
        css_sanitizer=_CSS,
        strip=False,
        strip_comments=True,
    )


@cache
def _report_css():
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


class ReportExporter:
    """Reusable in-process HTML exporter for executed report notebooks.

    Notes
    -----
    One instance per worker: creating an nbconvert exporter loads and compiles the Jinja
    templates (a few hundred milliseconds), exporting with an existing one is cheap. The page is
    parsed once after the template (:func:`_finish_page`: nbconvert's alternative texts and
    focusable outputs, and the glossary), not once by nbconvert and again for the glossary; the
    notebook is validated once after the preprocessors (nbconvert's ``optimistic_validation``),
    not after each of its eleven.
    """

    def __init__(self):
        self._exporter = _single_pass_exporter_class()(
            template_name="rvs_report",
            language_code="nl",
            extra_template_basedirs=[str(TEMPLATES)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            sanitize_html=True,
            embed_images=True,
            filters={"clean_html": clean_output_html},
            # the notebook is validated once, after the last preprocessor, not after each
            optimistic_validation=True,
        )

    def export(self, nb, provenance):
        """Export an executed notebook to one self-contained HTML page.

        Parameters
        ----------
        nb : nbformat.NotebookNode
            The executed notebook.
        provenance : dict
            ``region``, ``area``, ``title``, ``notebook``, ``source``, ``data_version``,
            ``code_version``, ``parameters`` (dict), ``rendered_at``, ``seconds``, ``is_demo``,
            ``status`` and ``error``; shown in the banner and footer (escaped).

        Returns
        -------
        str
            The HTML document.
        """
        nb = _without_widget_state(nb)
        failed = provenance.get("status") == "failed"
        if failed:  # papermill's English markers stay in the notebook copy, not on the page
            nb = _without_papermill_markers(nb)
        explanation = explain(provenance.get("error")) if failed else None
        # A report that shows its own demo banner (rvs_analysis.report.banner) gets no second one.
        show_demo_banner = bool(provenance.get("is_demo")) and not _has_own_demo_banner(nb)
        resources = {
            "metadata": {"name": provenance.get("title") or provenance.get("notebook", "rapport")},
            "rvs": {
                **provenance,
                "css": _report_css(),
                "show_demo_banner": show_demo_banner,
                "failure_what": explanation.what if explanation else None,
                "failure_todo": explanation.todo if explanation else None,
                "source_name": provenance.get("source_name") or provenance.get("source"),
                "rendered_at_nl": fmt_datetime(provenance.get("rendered_at")),
                "seconds_nl": fmt_seconds(provenance.get("seconds")),
                "downloads": list(provenance.get("downloads") or []),
                "parameters": {
                    name: _shown_parameter(value)
                    for name, value in dict(provenance.get("parameters") or {}).items()
                },
            },
        }
        body, _ = self._exporter.from_notebook_node(nb, resources=resources)
        return _finish_page(body)


def _without_papermill_markers(nb):
    """The notebook without papermill's "An Exception was encountered" marker cells."""
    nb = copy.copy(nb)
    nb.cells = [
        cell
        for cell in nb.cells
        if "papermill-error-cell-tag" not in (cell.get("metadata", {}).get("tags") or [])
    ]
    return nb


def _shown_parameter(value):
    """A parameter as the provenance footer shows it: an absolute local path by its last two
    parts ("…/data/raw"), since the page travels and the reader's machine is not ours."""
    if isinstance(value, str) and value.startswith("/") and len(value) > 1:
        parts = [part for part in value.split("/") if part]
        return "…/" + "/".join(parts[-2:])
    return value


@cache
def _single_pass_exporter_class():
    """nbconvert's HTMLExporter without its BeautifulSoup pass over the finished page.

    :meth:`nbconvert.exporters.html.HTMLExporter.from_notebook_node` registers two filters,
    renders the template and then parses the whole page to give images without one an
    alternative text and to make outputs focusable; :func:`_finish_page` does that work in the
    pass that also places the glossary.
    """

    class ReportHTMLExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            language = nb.metadata.get("language_info", {})
            lexer = language.get("pygments_lexer", language.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportHTMLExporter


def _finish_page(page):
    """The one parse of an exported page: what nbconvert's HTMLExporter adds (an alternative text
    on any image without one, ``tabindex="0"`` on input wrappers and outputs) and the glossary
    (:func:`add_glossary`)."""
    soup = BeautifulSoup(page, "html.parser")
    for image in soup.select("img:not([alt])"):
        image.attrs["alt"] = "No description has been provided for this image"
    for element in soup.select(
        ".jp-Notebook div.jp-Cell-inputWrapper, .jp-Notebook div.jp-OutputArea-output"
    ):
        element.attrs["tabindex"] = "0"
    _place_glossary(soup)
    return str(soup)


_GLOSSARY_BLOCKS = ("p", "li", "table", "figure", "dd", "h2", "h3", "h4")


def add_glossary(page):
    """Explain each term of :data:`rvs_analysis.dutch.GLOSSARY` once, where the page first uses it.

    Parameters
    ----------
    page : str
        A report page.

    Returns
    -------
    str
        The page with one ``<p class="rvs-glossary">`` line after the paragraph, list item or
        table (or figure, through its alt text) in which each term first occurs in the report's
        body (the provenance footer does not count).

    Notes
    -----
    Terms are matched as plain text, in reading order; a term first met inside a list item gets
    its line after the whole list, so the list stays a list, and one met in the kernboodschap
    after the whole block, so that it stays three sentences.
    """
    soup = BeautifulSoup(page, "html.parser")
    if not _place_glossary(soup):
        return page
    return str(soup)


def _place_glossary(soup) -> bool:
    """:func:`add_glossary` on a parsed page, in place; False when it has no body."""
    main = soup.find("main") or soup.body
    if main is None:
        return False
    pending = list(GLOSSARY)
    last_line = {}  # anchor -> the glossary line last placed after it (keeps reading order)
    for block in main.find_all(_GLOSSARY_BLOCKS):
        if not pending:
            break
        if block.find_parent(["footer", "table", "figure"]) or block.find_parent(
            class_="rvs-glossary"
        ):
            continue
        text = block.get_text(" ")
        if block.name == "figure":
            text = " ".join(img.get("alt", "") for img in block.find_all("img"))
        found = [entry for entry in pending if any(word in text for word in entry[1])]
        if not found:
            continue
        anchor = block
        if block.name == "li":
            anchor = block.find_parent(["ul", "ol"]) or block
        # The kernboodschap stays three sentences: its terms are explained below the block.
        anchor = block.find_parent(class_="rvs-kernboodschap") or anchor
        after = last_line.get(id(anchor), anchor)
        for entry in found:
            pending.remove(entry)
            line = soup.new_tag("p", attrs={"class": "rvs-glossary"})
            term = soup.new_tag("dfn")
            term.string = entry[0]
            line.append(term)
            line.append(f": {entry[2]}")
            after.insert_after(line)
            after = line
        last_line[id(anchor)] = after
    return True


def _has_own_demo_banner(nb):
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "rvs-demo-banner" in str(output.get("data", {}).get("text/html", "")):
                return True
    return False


def _without_widget_state(nb):
    if "widgets" not in nb.metadata:
        return nb
    nb = copy.deepcopy(nb)
    del nb.metadata["widgets"]
    return nb


STATUS_LABELS = {"ok": "gelukt", "failed": "mislukt", "skipped": "overgeslagen"}


def headline_figures(summary, limit=3):
    """The headline figures of a report summary, formatted for the index.

    A report names its own headline in Dutch (``summary["headline"]``, set with
    ``Summary.set_headline``); only a summary without one falls back to its first ``limit``
    estimates with their intervals.

    Parameters
    ----------
    summary : dict or None
        A report's JSON summary, ``{"headline": {label: value}, "estimates": {name: {"estimate",
        "ci_low", "ci_high"}}}``.
    limit : int

    Returns
    -------
    list of dict
        ``{"name": str, "value": str}``; estimates get their interval in brackets. A headline
        figure whose report names the section it comes from (``summary["headline_sections"]``)
        also has ``"section"``: that section's id in the report page (:func:`section_anchor`).
    """
    if not isinstance(summary, dict):
        return []
    headline = summary.get("headline")
    if isinstance(headline, dict) and headline:
        sections = summary.get("headline_sections")
        sections = sections if isinstance(sections, dict) else {}
        lines = []
        for label, value in list(headline.items())[:limit]:
            line = {"name": str(label), "value": format_number(value)}
            if isinstance(sections.get(label), str) and sections[label].strip():
                line["section"] = section_anchor(sections[label])
            lines.append(line)
        return lines
    if not isinstance(summary.get("estimates"), dict):
        return []
    lines = []
    for name, estimate in list(summary["estimates"].items())[:limit]:
        if isinstance(estimate, dict):
            value = format_number(estimate.get("estimate"))
            low, high = estimate.get("ci_low"), estimate.get("ci_high")
            if low is not None and high is not None:
                value += f" [{format_number(low)}; {format_number(high)}]"
        else:
            value = format_number(estimate)
        lines.append({"name": str(name), "value": value})
    return lines


def section_anchor(heading: str) -> str:
    """The id a report page gives the section under a markdown heading (its link target).

    Parameters
    ----------
    heading : str
        The heading's text as the notebook writes it (``"Signalen van de laatste maanden"``).

    Returns
    -------
    str
        The id, made by nbconvert's own ``add_anchor`` filter, the one that writes the ids of
        the page's headings (``"Signalen-van-de-laatste-maanden"``; spaces become hyphens, other
        characters not allowed in a URL fragment are percent-encoded).
    """
    tag = add_anchor(f"<h2>{escape(heading, quote=False)}</h2>")
    return ElementTree.fromstring(tag).get("id") or ""


def relative_link(path):
    """A URL-quoted relative link (``outputs``-relative POSIX path) that works from file://."""
    return quote(str(path), safe="/")


def key_message(summary, region):
    """The region's key message for the index: burglaries this year and the change, the targets.

    Parameters
    ----------
    summary : dict or None
        The region's strategy-monitor summary (``estimates`` with ``burglary_count`` and
        ``burglary_change_pct``, ``headline`` with the target counts).
    region : str

    Returns
    -------
    list of str
        Dutch sentences (empty without a usable summary).
    """
    if not isinstance(summary, dict):
        return []
    estimates = summary.get("estimates") or {}
    headline = summary.get("headline") or {}
    sentences = []
    count = estimates.get("burglary_count")
    change = estimates.get("burglary_change_pct")
    if isinstance(count, dict) and count.get("estimate") is not None:
        sentences.append(
            count_change_sentence(
                region,
                count.get("year_label") or count.get("year"),
                count["estimate"],
                "woninginbraken",
                count.get("previous_year_label") or count.get("previous_year"),
                # No recorded change with a previous year: too few cases for a percentage.
                change if isinstance(change, dict) else (math.nan, math.nan, math.nan),
                too_few=not isinstance(change, dict),
            )
        )
    counts = {
        status: headline[f"Doelen {status}"]
        for status in TARGET_STATUSES_NL
        if isinstance(headline.get(f"Doelen {status}"), int)
    }
    if counts:
        target_year = (summary.get("parameters") or {}).get("target_year")
        judged = headline.get("Doelen beoordeeld op")
        judged = str(judged) if judged is not None else None
        sentences.append(
            targets_sentence(counts, judged, None if judged is not None else target_year)
        )
    return sentences


def _feeds_key_message(notebook):
    """Whether the registered report of ``notebook`` (a manifest label) words the key message."""
    spec = spec_for(notebook)
    return spec is not None and spec.key_message


def _area_links(area, areas_manifest, notebooks, composition):
    """Rendered reports of an area's municipalities (a district row links them)."""
    members = composition.loc[composition["district"] == area, "gemeente_name"]
    links = []
    for name in members:
        for notebook, _title in notebooks:
            report = areas_manifest.get((name, notebook))
            if report and report.get("html"):
                links.append({"name": name, "html": relative_link(report["html"])})
                break
    return links


def render_index(
    manifest,
    *,
    summaries,
    areas,
    notebooks,
    region,
    is_demo,
    generated_at,
    composition=None,
    strategy=None,
):
    """Render the batch index page: the region's key message, then a row per area.

    Parameters
    ----------
    manifest : dict
        The batch manifest (``reports``, ``source``, ``source_name``, ``code_version``,
        ``data_version`` and ``parameters``, the ``rvs render -p`` parameters shown under the
        title).
    summaries : dict
        ``(area, notebook) -> summary dict or None``.
    areas : list of str
        Row order.
    notebooks : list of (name, title)
        Column order: notebook key as in the manifest and its column heading.
    region : str
        Region name for the title.
    is_demo : bool
        Whether to show the demonstration data banner.
    composition : pandas.DataFrame, optional
        The strategy's municipalities (``gemeente_name, district``): a district row links the
        reports of its municipalities; default the region's of 2017.
    strategy : str, optional
        The strategy the reports follow, named under the title with its number of
        municipalities.
    generated_at : str
        Time stamp (ISO), shown written out in Dutch.

    Returns
    -------
    str
        The HTML page (Jinja2 with autoescape: every value is shown as text).

    Notes
    -----
    Each cell shows a report's status (colour and word) and its headline figures; a skipped
    report's reason is given once, as a numbered note below the table; a district row links the
    reports of its municipalities when they were rendered in the same batch. On a narrow screen
    (phone) the table becomes one block per area.
    """
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    by_key = {(report["area"], report["notebook"]): report for report in manifest["reports"]}
    if composition is None:
        composition = regions.municipalities()
    reasons = []
    rows = []
    for area in areas:
        cells = []
        for notebook, title in notebooks:
            report = by_key.get((area, notebook))
            if report is None:
                cells.append(None)
                continue
            note = None
            error = report.get("error")
            technical = None
            if report["status"] == "skipped" and error:
                if error not in reasons:
                    reasons.append(error)
                note = reasons.index(error) + 1
                error = None
            elif report["status"] == "failed":
                technical, error = error, explain(error).what
            cells.append(
                {
                    "title": title,
                    "status": report["status"],
                    "status_label": STATUS_LABELS.get(report["status"], report["status"]),
                    "html": relative_link(report["html"]) if report.get("html") else None,
                    "ipynb": relative_link(report["ipynb"]) if report.get("ipynb") else None,
                    "headlines": headline_figures(summaries.get((area, notebook))),
                    "error": error,
                    "technical": technical,
                    "note": note,
                }
            )
        rows.append(
            {
                "area": area,
                "cells": cells,
                "links": _area_links(area, by_key, notebooks, composition),
            }
        )
    counts = {status: 0 for status in STATUS_LABELS}
    for report in manifest["reports"]:
        counts[report["status"]] = counts.get(report["status"], 0) + 1
    # The report whose registry line says it feeds the key message (the strategy monitor).
    monitor = next((name for name, _ in notebooks if _feeds_key_message(name)), None)
    message = key_message(summaries.get((region, monitor)), region) if monitor else []
    return environment.get_template("index.html.j2").render(
        css=(TEMPLATES / "index.css").read_text(encoding="utf-8"),
        region=region,
        source=manifest.get("source_name") or manifest.get("source"),
        data_version=manifest.get("data_version"),
        code_version=manifest.get("code_version"),
        generated_at=fmt_datetime(generated_at),
        is_demo=is_demo,
        parameters=dict(manifest.get("parameters") or {}),
        counts=counts,
        notebooks=[{"name": name, "title": title} for name, title in notebooks],
        rows=rows,
        reasons=reasons,
        key_message=message,
        strategy=strategy,
        members=len(composition),
    )
