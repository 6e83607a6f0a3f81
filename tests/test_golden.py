"""Golden-output back-tests: the CLI's tables on the committed demo data, byte for byte.

The golden files were made with the commands in ``GOLDEN``; a change that moves any number, a
rounding or a column fails here. Regenerate them only for an intended change, and say why in the
commit (``rvs table ... > tests/golden/<file>``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rvs_analysis.cli import main

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN = {
    "table_demo_1.1.1_district_rate.csv": [
        "table", "--source", "demo", "--offence", "1.1.1", "--level", "district",
        "--years", "2011-2023", "--rate", "--format", "csv",
    ],
    "table_demo_0.0.0_region.md": [
        "table", "--source", "demo", "--offence", "0.0.0", "--level", "region",
        "--format", "markdown",
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_cli_table_matches_golden_output(name, capsys):
    assert main(GOLDEN[name]) == 0
    printed = capsys.readouterr().out
    assert printed == (GOLDEN_DIR / name).read_text(encoding="utf-8")


def test_golden_region_totals_are_the_published_figures():
    # 2015 and 2016 total crime of Midden-Nederland in the source document: 107.000 and 103.579.
    text = (GOLDEN_DIR / "table_demo_0.0.0_region.md").read_text(encoding="utf-8")
    assert "| Midden-Nederland | 2015 | 107000 |" in text
    assert "| Midden-Nederland | 2016 | 103579 |" in text
