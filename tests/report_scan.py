"""Scan rendered reports for what issue 11 forbids: "inf", "nan", a share's interval past 0-100%.

Used by ``tests/test_notebooks.py`` on the 24 demo reports it renders, and from the command line
on any rendered batch (for example all 156 municipality reports of ``rvs render --level
gemeente``)::

    python tests/report_scan.py outputs/

prints one line per problem and exits 1 when there is any.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

_NOT_SHOWN = re.compile(r"<(style|script)\b.*?</\1>|<img\b[^>]*>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_FORBIDDEN = re.compile(r"\b(inf|nan|infinity)\b|∞", re.I)
SHARE_SUFFIX = "_pct"
"""Summary estimates that are shares in percent (clearance percentages) end in ``_pct``; a
change in percent (``*_change_pct``) is not a share and may pass 100%."""


def page_text(path: Path) -> str:
    """The visible text of a report page (no styles, scripts or embedded images)."""
    raw = _NOT_SHOWN.sub(" ", path.read_text(encoding="utf-8"))
    return html.unescape(_TAG.sub(" ", raw))


def problems(folder: Path) -> list[str]:
    """Every forbidden word in a report page and every share whose interval leaves 0-100%."""
    found = []
    for page in sorted(folder.rglob("*.html")):
        if page.name == "index.html":
            continue
        text = page_text(page)
        for match in _FORBIDDEN.finditer(text):
            context = " ".join(text[max(0, match.start() - 50) : match.end() + 20].split())
            found.append(f"{page.relative_to(folder)}: '{match.group(0)}' in '{context}'")
    for summary in sorted(folder.rglob("*.summary.json")):
        estimates = json.loads(summary.read_text(encoding="utf-8")).get("estimates", {})
        for key, value in estimates.items():
            if not key.endswith(SHARE_SUFFIX) or key.endswith("change_pct"):
                continue
            low, high = value.get("ci_low"), value.get("ci_high")
            if (low is not None and low < 0) or (high is not None and high > 100):
                found.append(f"{summary.relative_to(folder)}: {key} interval {low} to {high}")
    return found


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else "outputs")
    pages = len([page for page in folder.rglob("*.html") if page.name != "index.html"])
    found = problems(folder)
    for line in found:
        print(line)
    print(f"{pages} report pages scanned, {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
