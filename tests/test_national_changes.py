"""The national table of municipal changes (data/regions/national_changes.csv), proved against the
shared CBS extract: every code that starts or stops in 70072ned is explained by a row, and every
pure merger's successor continues its predecessors' population."""

from __future__ import annotations

import datetime as dt
import shutil
import warnings

import pandas as pd
import pytest

from rvs_analysis import clean, region_tables
from rvs_analysis.exceptions import DataValidationError, DataWarning


def _population(shared_cbs_dir) -> pd.DataFrame:
    return pd.read_csv(
        shared_cbs_dir / "population_70072ned_gemeente_year.csv", dtype={"gemeente_code": str}
    )


def _codes_per_year(population: pd.DataFrame) -> dict[int, set[str]]:
    return {
        int(year): set(group["gemeente_code"]) - {"GM0000"}
        for year, group in population.groupby("year")
    }


def _first_year(date: dt.date) -> int:
    """First calendar year a change holds for the whole of (70072ned is on each year's boundaries)."""
    return date.year if (date.month, date.day) == (1, 1) else date.year + 1


def test_the_table_is_well_formed():
    table = region_tables.national_changes()
    assert set(table["kind"]) == set(region_tables.NATIONAL_KINDS)
    assert (table["source"].str.len() > 0).all()
    assert table["date"].min() >= dt.date(2012, 1, 1)
    splits = table.loc[table["kind"] == "split"]
    assert splits.groupby("old_code")["population_share"].sum().round(3).eq(1.0).all()
    # Names agree across rows: a code has one name as old and as new municipality.
    names = pd.concat(
        [
            table[["old_code", "old_name"]].set_axis(["code", "name"], axis=1),
            table[["new_code", "new_name"]].set_axis(["code", "name"], axis=1),
        ]
    ).drop_duplicates()
    assert names["code"].is_unique, names[names["code"].duplicated(keep=False)]


def test_every_code_that_starts_or_stops_in_70072ned_is_explained(shared_cbs_dir):
    table = region_tables.national_changes()
    codes = _codes_per_year(_population(shared_cbs_dir))
    years = sorted(codes)
    assert years[0] == 2012 and years[-1] >= 2025
    unexplained = []
    for before, after in zip(years, years[1:], strict=False):
        for code in sorted(codes[before] - codes[after]):
            rows = table.loc[(table["old_code"] == code) & (table["kind"] != "annexation")]
            rows = pd.concat([rows, table.loc[table["old_code"] == code]])
            if not any(_first_year(date) == after for date in rows["date"]):
                unexplained.append(f"{code} stops after {before}")
        for code in sorted(codes[after] - codes[before]):
            rows = table.loc[(table["new_code"] == code) & (table["kind"] != "annexation")]
            if not any(_first_year(date) == after for date in rows["date"]):
                unexplained.append(f"{code} starts in {after}")
    assert not unexplained, unexplained


def test_every_row_matches_the_codes_of_70072ned(shared_cbs_dir):
    table = region_tables.national_changes()
    codes = _codes_per_year(_population(shared_cbs_dir))
    wrong = []
    for row in table.itertuples(index=False):
        first = _first_year(row.date)
        if first - 1 not in codes or first not in codes:
            continue
        if row.old_code not in codes[first - 1] or row.old_code in codes[first]:
            wrong.append(f"{row.old_code} {row.old_name} does not end at {row.date}")
        if row.new_code not in codes[first]:
            wrong.append(f"{row.new_code} {row.new_name} does not exist after {row.date}")
        existed = row.new_code in codes[first - 1]
        keeps_code = row.kind == "annexation" or (row.kind == "split" and existed)
        if existed != keeps_code:
            wrong.append(f"{row.new_code} {row.new_name}: kind {row.kind} but existed={existed}")
    assert not wrong, wrong


def test_pure_mergers_continue_their_predecessors_population_within_2_percent(shared_cbs_dir):
    table = region_tables.national_changes()
    population = _population(shared_cbs_dir).set_index(["gemeente_code", "year"])["population"]
    split_codes = set(table.loc[table["kind"] == "split", "old_code"])
    receives_split = set(
        table.loc[table["kind"] == "split", ["new_code", "date"]].itertuples(index=False, name=None)
    )
    checked, off = 0, []
    for (date, new_code), group in table.groupby(["date", "new_code"]):
        if (new_code, date) in receives_split or set(group["old_code"]) & split_codes:
            continue
        first = _first_year(date)
        parts = list(group["old_code"])
        if (group["kind"] == "annexation").any():
            parts.append(new_code)
        if (new_code, first) not in population or first - 1 < 2012:
            continue
        before = sum(population[(code, first - 1)] for code in parts)
        after = population[(new_code, first)]
        checked += 1
        if abs(after / before - 1) > 0.02:
            off.append(f"{new_code} {first}: {after} vs {before} ({after / before - 1:+.1%})")
    assert checked >= 30  # 33 pure mergers, annexations and renames 2013-2023
    assert not off, off


def test_the_region_mergers_from_2012_on_are_in_the_national_table():
    national = region_tables.national_changes()
    region = region_tables.mergers()
    region = region.loc[region["date"] >= dt.date(2012, 1, 1)]
    pairs = set(zip(national["date"], national["old_code"], national["new_code"], strict=True))
    missing = [
        (row.date, row.old_code, row.new_code)
        for row in region.itertuples(index=False)
        if (row.date, row.old_code, row.new_code) not in pairs
    ]
    assert not missing


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("2020-01-01,GM0344,Utrecht,GM0307,Amersfoort,split,1.5,test", "population_share"),
        ("2020-01-01,GM0344,Utrecht,GM0307,Amersfoort,merger,0.5,test", "population_share"),
        ("2020-01-01,GM0344,Utrecht,GM0307,Amersfoort,fusion,,test", "kind"),
        ("2020-01-01,GM0344,Utrecht,GM0307,Amersfoort,merger,,", "source"),
        ("2020-01-01,GM0344,Utrecht,GM0307,Amersfoort,split,0.4,test", "population_share"),
        ("2020-01-01,GM0053,Winsum,GM0307,Amersfoort,merger,,test", "old_code"),
    ],
)
def test_a_bad_row_names_the_file_and_column(tmp_path, monkeypatch, line, column):
    folder = tmp_path / "regions"
    shutil.copytree(region_tables.REGIONS_DIR, folder)
    with open(folder / "national_changes.csv", "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    monkeypatch.setattr(region_tables, "REGIONS_DIR", folder)
    region_tables.national_table.cache_clear()
    try:
        with pytest.raises(DataValidationError) as raised:
            region_tables.national_changes()
        assert "national_changes.csv" in str(raised.value)
        assert column in str(raised.value)
    finally:
        region_tables.national_table.cache_clear()


def test_the_real_changes_raise_no_population_jump_warning(shared_cbs_dir):
    # GM0241 (2015), GM0441 (2013), GM0575 (2019) and the others warned on every load when only
    # the region's mergers were known.
    population = _population(shared_cbs_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        clean.check_population_jumps(population, "population_70072ned_gemeente_year.csv")


def test_an_unexplained_jump_outside_the_region_still_warns(shared_cbs_dir):
    population = _population(shared_cbs_dir)
    broken = population.copy()
    row = (broken["gemeente_code"] == "GM0241") & (broken["year"] == 2013)
    broken.loc[row, "population"] = 1_900
    with pytest.warns(DataWarning, match="GM0241 2012"):
        clean.check_population_jumps(broken, "population.csv")
