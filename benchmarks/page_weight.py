"""Page weight of the rendered reports: median report size on the demo batch.

Usage: ``python benchmarks/page_weight.py [OUTPUTS]``. With an existing output folder of
``rvs render`` it measures that; without, it renders the demo batch (the region and its five
districts, every report notebook) into a temporary folder first. It prints the size of every
report page, the median and the largest, what the figures take, and whether any page refers to
the network or carries a script. Goal: median report <= 250 KB, no network reference, no script.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

GOAL_BYTES = 250_000
_NETWORK = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def measure(out: Path) -> int:
    pages = sorted(path for path in out.glob("*/*.html"))
    if not pages:
        print(f"no report pages under {out}")
        return 1
    sizes, problems = [], []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        size = len(text.encode("utf-8"))
        images = sum(len(match) for match in re.findall(r"data:image/png;base64,([^\"']+)", text))
        sizes.append(size)
        print(f"{size / 1000:8.1f} KB  (figures {images / 1000:6.1f} KB)  {page.relative_to(out)}")
        if _NETWORK.search(text):
            problems.append(f"{page.relative_to(out)} refers to the network")
        if "<script" in text.lower():
            problems.append(f"{page.relative_to(out)} carries a script")
    median = statistics.median(sizes)
    print(
        f"\n{len(sizes)} reports; median {median / 1000:.1f} KB, largest {max(sizes) / 1000:.1f} KB"
    )
    print(
        f"goal: median <= {GOAL_BYTES / 1000:.0f} KB -> {'met' if median <= GOAL_BYTES else 'NOT met'}"
    )
    for problem in problems:
        print(problem)
    return 0 if median <= GOAL_BYTES and not problems else 1


def main(argv: list[str]) -> int:
    if argv:
        return measure(Path(argv[0]))
    from rvs_analysis.render.batch import render_batch

    with tempfile.TemporaryDirectory(prefix="rvs-page-weight-") as folder:
        result = render_batch(
            "demo",
            out=Path(folder) / "outputs",
            notebooks_dir=REPO_ROOT / "notebooks",
            progress=False,
        )
        return measure(result.out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
