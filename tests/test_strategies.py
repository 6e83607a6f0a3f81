"""The strategy is data (issue 32, first part): shipped strategies, the choice by report year, and
bad strategy folders refused with one paragraph naming the file and the row."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from rvs_analysis import regions, strategies
from rvs_analysis.exceptions import SourceNotAvailableError, StrategyError

WEESP = "GM0457"


def test_the_shipped_strategies_and_their_area_lists():
    shipped = {strategy.id: strategy for strategy in strategies.shipped_strategies()}
    assert list(shipped) == ["rvs-2015-2018", "rvs-2019-2022", "rvs-2023-2026"]
    current = shipped["rvs-2023-2026"]
    assert (current.name, current.period, current.region) == (
        "Veiligheidsstrategie 2023-2026",
        "2023-2026",
        "Midden-Nederland",
    )
    for year in range(2023, 2027):
        listed = current.municipalities_on(year)
        assert len(listed) == 38 and WEESP not in set(listed["gemeente_code"])
    assert [priority.theme for priority in current.priorities] == [
        "Georganiseerde ondermijnende criminaliteit",
        "Digitale veiligheid en cybercrime",
        "Maatschappelijke onrust",
    ]
    assert all(priority.indicators and priority.not_in_open_data for priority in current.priorities)
    assert current.targets.empty and "12 april 2023" in current.source
    # the five districts are unchanged and each municipality keeps the district of the region table
    for strategy in shipped.values():
        assert strategy.districts() == list(regions.DISTRICTS)
        for year in range(max(strategy.first_year, 2015), strategy.last_year + 1):
            ours = strategy.municipalities_on(year).set_index("gemeente_code")["district"]
            table = regions.municipalities(year).set_index("gemeente_code")["district"]
            assert ours.sort_index().equals(table.sort_index()), (strategy.id, year)
    assert len(shipped["rvs-2019-2022"].municipalities_on(2022)) == 39  # Weesp until March 2022
    assert len(shipped["rvs-2015-2018"].municipalities_on(2017)) == 39


def test_the_2015_2018_strategy_carries_the_annual_plans_targets_unchanged():
    """The one home of the Jaarplan's targets (stats.targets reads it by default)."""
    from rvs_analysis.stats import targets as stats_targets

    targets = strategies.load_strategy("rvs-2015-2018").targets
    assert len(targets) == 43
    assert stats_targets.TARGETS_PATH == strategies.STRATEGIES_DIR / "rvs-2015-2018" / "targets.csv"
    burglary = stats_targets.load_targets().query("indicator == 'burglary'")
    assert burglary.set_index(["year", "kind"])["value"].to_dict()[(2011, "baseline")] == 12564


def test_every_indicator_and_target_is_in_the_catalogue():
    catalogue = strategies.indicator_catalogue()
    assert catalogue["id"].is_unique
    assert set(catalogue["table"]) <= {"47018NED", "85146NED", "regional"}
    for strategy in strategies.shipped_strategies():
        assert set(strategy.indicators()) <= set(catalogue["id"])
        assert set(strategy.targets["indicator"]) <= set(catalogue["id"])
    offences = catalogue.loc[catalogue["table"] == "47018NED", "computed"]
    assert offences.str.match(r"SoortMisdrijf \d\.\d\.\d ").all()


@pytest.mark.parametrize(
    ("year", "expected", "noted"),
    [(2016, "rvs-2015-2018", False), (2018, "rvs-2015-2018", False),
     (2021, "rvs-2019-2022", False), (2025, "rvs-2023-2026", False),
     (2028, "rvs-2023-2026", True)],
)  # fmt: skip
def test_a_report_year_chooses_the_strategy_whose_period_holds_it(year, expected, noted):
    strategy, note = strategies.strategy_for_year(year)
    assert strategy.id == expected and (note is not None) == noted
    if noted:
        assert str(year) in note and strategy.name in note
    with pytest.raises(SourceNotAvailableError, match="No shipped strategy covers 2009"):
        strategies.strategy_for_year(2009)


@pytest.fixture
def own(tmp_path):
    """A user's strategy: three municipalities of Eemland in one district."""
    folder = tmp_path / "eemland"
    folder.mkdir()
    (folder / "strategy.toml").write_text(
        'name = "Veiligheidsplan Eemland"\nregion = "Eemland"\nfirst_year = 2023\n'
        'last_year = 2026\nsource = "eigen plan"\n\n[[priorities]]\ntheme = "Woninginbraak"\n'
        'indicators = ["burglary"]\n',
        encoding="utf-8",
    )
    (folder / "municipalities.csv").write_text(
        "gemeente_code,gemeente_name,district,valid_from,valid_to,source\n"
        "GM0307,Amersfoort,Eemland,,,eigen\nGM0327,Leusden,Eemland,,,eigen\n"
        "GM0355,Zeist,Eemland,,,eigen\n",
        encoding="utf-8",
    )
    shutil.copy(strategies.STRATEGIES_DIR / "rvs-2023-2026" / "targets.csv", folder)
    return folder


def test_a_users_own_strategy_is_read_from_its_folder(own):
    strategy = strategies.load_strategy(own)
    assert strategy.id == "eemland" and strategy.districts() == ["Eemland"]
    assert list(strategy.municipalities_on(2024)["gemeente_name"]) == [
        "Amersfoort",
        "Leusden",
        "Zeist",
    ]


def _replace(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


BAD = {
    "malformed toml": ("strategy.toml", 'first_year = 2023', "first_year = = 2023", None, "not valid TOML"),
    "unknown indicator": ("strategy.toml", '"burglary"', '"burglarie"', "priority 1", "unknown indicator 'burglarie'"),
    "missing key": ("strategy.toml", 'region = "Eemland"\n', "", None, "region is missing"),
    "unknown code": ("municipalities.csv", "GM0327,Leusden", "GM0999,Leusden", "row 2", "'GM0999'"),
    "merged code": ("municipalities.csv", "GM0327,Leusden", "GM0457,Weesp", "row 2", "does not exist on the boundaries of 2023 to 2026"),
    "two districts": ("municipalities.csv", "GM0355,Zeist,Eemland,,,eigen\n", "GM0355,Zeist,Eemland,,,eigen\nGM0355,Zeist,Kromme Rijn,,,eigen\n", "row 4", "listed twice"),
    "target without a year": ("targets.csv", None, "burglary,Woninginbraken,count,Eemland,,target,900,<=,,eigen\n", "row 1", "has no year"),
    "target of an unknown indicator": ("targets.csv", None, "inbraak,Woninginbraken,count,Eemland,2025,target,900,<=,,eigen\n", "row 1", "unknown indicator 'inbraak'"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_strategy_is_refused_naming_the_file_and_the_row(own, case):
    name, old, new, where, says = BAD[case]
    path = own / name
    if old is None:
        path.write_text(path.read_text(encoding="utf-8") + new, encoding="utf-8")
    else:
        _replace(path, old, new)
    with pytest.raises(StrategyError) as refused:
        strategies.load_strategy(own)
    message = str(refused.value)
    assert name in message and says in message and "Nothing was written" in message
    if where is not None:
        assert where in message
    assert "\n" not in message and "Traceback" not in message


def test_an_unknown_strategy_names_the_shipped_ones(tmp_path):
    with pytest.raises(
        SourceNotAvailableError, match="rvs-2015-2018, rvs-2019-2022, rvs-2023-2026"
    ):
        strategies.load_strategy("rvs-2031-2034")


def _table(argv, capsys):
    from rvs_analysis import cli

    status = cli.main(["table", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_rvs_table_sums_a_users_strategy_per_district(own, capsys):
    """Issue 32 item 4: a custom area is a one-district strategy; rvs table sums its
    municipalities (Eemland = Amersfoort + Leusden + Zeist, year by year)."""
    years = ["--years", "2015-2016", "--boundaries", "2017"]  # the demo data's boundaries
    status, out, err = _table(["--strategy", str(own), "--level", "district", *years], capsys)
    assert status == 0, err
    district = pd.read_csv(__import__("io").StringIO(out)).set_index("year")
    assert list(district["area"].unique()) == ["Eemland"]
    status, out, _ = _table(["--level", "gemeente", *years], capsys)
    towns = pd.read_csv(__import__("io").StringIO(out))
    towns = towns[towns["area"].isin(["Amersfoort", "Leusden", "Zeist"])]
    assert len(towns) == 6
    summed = towns.groupby("year")["registered_offences"].sum()
    assert district["registered_offences"].to_dict() == summed.to_dict()
    status, out, err = _table(["--strategy", str(own), "--level", "gemeente", *years], capsys)
    assert status == 0 and sorted(pd.read_csv(__import__("io").StringIO(out))["area"].unique()) == [
        "Amersfoort", "Leusden", "Zeist"
    ]  # fmt: skip


def test_rvs_table_with_the_current_strategy_is_the_region_of_38(shared_cbs_dir, capsys):
    """On the real extract (2024 boundaries): the 2023-2026 strategy's region is the region's
    composition of 2024, 38 municipalities."""
    years = ["--years", "2023", "--boundaries", "2024", "--source", str(shared_cbs_dir)]
    status, ours, err = _table(["--strategy", "rvs-2023-2026", "--level", "region", *years], capsys)
    assert status == 0, err
    assert ours.splitlines()[1].startswith("Midden-Nederland,2023,")
    status, region, _ = _table(["--level", "region", *years], capsys)
    assert ours.splitlines()[1:] == region.splitlines()[1:]  # the same 38 municipalities
    status, _, err = _table(
        ["--strategy", "rvs-2023-2026", "--level", "police-unit", *years], capsys
    )
    assert status != 0 and "is not one of the strategy's own" in err and "Traceback" not in err
