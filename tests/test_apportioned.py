"""Municipalities apportioned out of a successor (issue 11, finding 10): flagged, no exact interval.

Vianen (merged into Vijfheerenlanden GM1961 on 1 January 2019) and Weesp (annexed by Amsterdam
GM0363 on 24 March 2022) have no figures of their own on later boundaries; on the strategy's 2017
boundaries their counts are the successor's split by population share, so they carry the
successor's rate by construction.
"""

from __future__ import annotations

import pandas as pd

from rvs_analysis import regions
from rvs_analysis.report import context
from rvs_analysis.stats import trends


def _years(table: pd.DataFrame, code: str) -> list[int]:
    return sorted(table.loc[table["gemeente_code"] == code, "year"].tolist())


def test_apportioned_on_own_boundaries_starts_with_the_merger():
    split = regions.apportioned(range(2015, 2025), None, 2017)
    assert _years(split, "GM0620") == list(range(2019, 2025))  # Vianen from 2019
    assert _years(split, "GM0457") == [2022, 2023, 2024]  # Weesp: 2022 holds the annexation
    assert set(split.loc[split["gemeente_code"] == "GM0620", "successor_name"]) == {
        "Vijfheerenlanden"
    }
    # Amsterdam kept its code, so its own figure on 2017 boundaries is also a split
    assert _years(split, "GM0363") == [2022, 2023, 2024]
    # no municipality of the region before a merger: Houten, Utrecht never
    assert not split["gemeente_code"].isin(["GM0321", "GM0344"]).any()


def test_apportioned_on_published_boundaries_covers_every_year():
    split = regions.apportioned(range(2012, 2025), 2024, 2017)
    assert _years(split, "GM0620") == list(range(2012, 2025))
    assert _years(split, "GM0457") == list(range(2012, 2025))
    # on the boundaries the data are published on, nothing is apportioned
    assert regions.apportioned(range(2012, 2025), 2024, 2024).empty
    # a composition after the merger sums predecessors instead (exact): nothing flagged
    assert regions.apportioned(range(2012, 2025), None, 2023).empty


def test_area_table_flags_apportioned_areas_and_gives_them_no_exact_interval(shared_dataset):
    table = regions.area_table(
        shared_dataset, "1.1.1", areas=["Vianen", "Weesp", "Utrecht", "West-Utrecht"], rate=True
    )
    flags = table.groupby("area")["estimated_from_successor"].agg(["all", "any"])
    assert flags.loc["Vianen", "all"] and flags.loc["Weesp", "all"]
    # a district only partly apportioned, and a municipality of its own, are counts
    assert not flags.loc["Utrecht", "any"] and not flags.loc["West-Utrecht", "any"]
    with_interval = trends.add_rate_interval(table)
    vianen = with_interval[with_interval["area"] == "Vianen"]
    assert vianen["rate_per_1000"].notna().all()
    assert vianen["rate_ci_low"].isna().all() and vianen["rate_ci_high"].isna().all()
    utrecht = with_interval[with_interval["area"] == "Utrecht"]
    assert utrecht["rate_ci_low"].notna().all()


def test_demo_data_on_own_boundaries_has_no_apportioned_years(demo_dataset):
    # the demo series end in 2016, before either merger
    table = regions.area_table(demo_dataset, "1.1.1", level="gemeente")
    assert not table["estimated_from_successor"].any()


def test_report_banner_says_geschat_uit_opvolger(shared_cbs_dir):
    vianen = context.start(  # Vianen is a municipality of the 2015-2018 strategy (2017's map)
        "Vianen",
        str(shared_cbs_dir),
        "data/cbs",
        notebook="strategy_monitor",
        strategy="rvs-2015-2018",
    )
    note = context.apportioned_note(vianen)
    assert note.startswith("Geschat uit opvolger: de bron publiceert Vianen over 2012-")
    assert "alleen als deel van Vijfheerenlanden" in note and "geen exact interval" in note
    assert "Geschat uit opvolger" in context.banner(vianen).data
    gooi = context.start(
        "Gooi en Vechtstreek",
        str(shared_cbs_dir),
        "data/cbs",
        notebook="strategy_monitor",
        strategy="rvs-2015-2018",
    )
    assert "Weesp" in context.apportioned_note(gooi)
    assert "Het totaal van Gooi en Vechtstreek bevat die schatting." in context.apportioned_note(
        gooi
    )
    stad = context.start(
        "Stad Utrecht", str(shared_cbs_dir), "data/cbs", notebook="strategy_monitor"
    )
    assert context.apportioned_note(stad) == ""
