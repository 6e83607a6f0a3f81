"""Reports follow a strategy (issue 32, items 3-5): its areas, its map, its targets, its
priorities; a copy with another name and target, a user's own three municipalities, a strategy
without targets, and bad strategies refused by ``rvs render`` before anything is written."""

from __future__ import annotations

import re
import shutil

import pytest

from rvs_analysis import regions, report, strategies
from rvs_analysis.cli import main
from rvs_analysis.report.chapters import clearance as clearance_chapter
from rvs_analysis.report.chapters import monitor
from rvs_analysis.report.tables import NO_TARGET, format_results

SHIPPED = strategies.STRATEGIES_DIR


def _copy(tmp_path, shipped: str, name: str):
    folder = tmp_path / name
    shutil.copytree(SHIPPED / shipped, folder)
    return folder


def _replace(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def renamed(tmp_path):
    """The 2015-2018 strategy under another name, with the 2018 burglary target changed."""
    folder = _copy(tmp_path, "rvs-2015-2018", "herzien")
    _replace(
        folder / "strategy.toml",
        'name = "Regionale Veiligheidsstrategie 2015-2018"',
        'name = "Herziene Veiligheidsstrategie 2015-2018"',
    )
    targets = folder / "targets.csv"
    line = next(
        row
        for row in targets.read_text(encoding="utf-8").splitlines()
        if row.startswith("burglary,") and ",2018,target," in row
    )
    _replace(targets, line, re.sub(r",2018,target,\d+,", ",2018,target,9999,", line))
    return folder


@pytest.fixture
def without_targets(tmp_path):
    folder = _copy(tmp_path, "rvs-2015-2018", "zonder-doelen")
    _replace(
        folder / "strategy.toml",
        'name = "Regionale Veiligheidsstrategie 2015-2018"',
        'name = "Plan zonder doelen"',
    )
    header = (folder / "targets.csv").read_text(encoding="utf-8").splitlines()[0]
    (folder / "targets.csv").write_text(header + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def eemland(tmp_path):
    """A user's strategy: three municipalities in one district of their own."""
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
        "GM0351,Woudenberg,Eemland,,,eigen\n",
        encoding="utf-8",
    )
    shutil.copy(SHIPPED / "rvs-2023-2026" / "targets.csv", folder)
    return folder


def test_the_shipped_strategies_map_is_the_regions_map():
    """Each shipped strategy's area list on its boundaries is the region table's of that year,
    so the 2015-2018 reports keep their 39 municipalities of 2017."""
    for strategy in strategies.shipped_strategies():
        ours = strategy.composition()
        assert ours.equals(regions.municipalities(strategy.boundaries)), strategy.id
        for name in ["Midden-Nederland", "Stad Utrecht", "GM0344", "gooise-meren"]:
            assert strategy.area(name) == regions.resolve_area(name, strategy.boundaries)
    assert strategies.load_strategy("rvs-2015-2018").boundaries == 2017
    assert len(strategies.load_strategy("rvs-2023-2026").composition()) == 38


def test_a_strategys_list_past_its_period_follows_the_merger_history():
    """The 2015-2018 list (39 on 2017's map) brought to 2023's map is the 2023-2026 list: Vianen
    merged into Vijfheerenlanden, Weesp annexed by Amsterdam (which does not join the region)."""
    old, new = (strategies.load_strategy(key) for key in ("rvs-2015-2018", "rvs-2023-2026"))
    carried = old.composition(2023)
    assert carried.equals(new.composition(2023)) and len(carried) == 38
    assert not {"GM0620", "GM0457", "GM0363"} & set(carried["gemeente_code"])


def test_a_renamed_strategy_with_another_target_reaches_the_monitor(renamed):
    ctx = report.start(
        "Midden-Nederland", "demo", notebook="strategy_monitor", report_year=2018, strategy=renamed
    )
    assert ctx.strategy.name == "Herziene Veiligheidsstrategie 2015-2018"
    assert ctx.composition_year == 2017 and len(ctx.composition) == 39
    results = monitor.results(ctx, 2018)
    burglary = results.table.set_index("indicator").loc["burglary"]
    assert burglary["target_end"] == 9999 and burglary["target_end_year"] == 2018
    assert "Herziene Veiligheidsstrategie 2015-2018" in monitor.strategy_section(ctx).data
    assert "Herziene Veiligheidsstrategie 2015-2018" in report.intro(ctx).data
    shipped = report.start(
        "Midden-Nederland", "demo", notebook="strategy_monitor", report_year=2018
    )
    assert shipped.strategy.id == "rvs-2015-2018"
    assert (
        monitor.results(shipped, 2018).table.set_index("indicator").loc["burglary", "target_end"]
        != 9999
    )


def test_a_strategy_without_targets_shows_changes_and_no_status(without_targets):
    ctx = report.start(
        "Flevoland", "demo", notebook="strategy_monitor", report_year=2018, strategy=without_targets
    )
    results = monitor.results(ctx, 2018)
    assert not results.has_targets and not results.statuses
    assert set(results.table["status"]) <= {NO_TARGET, "geen gegevens"}
    assert results.table["indicator"].iloc[0] == "burglary"
    shown = format_results(results.table, 2018, 2018)
    assert set(shown["Status"]) <= {"–", "geen gegevens"}
    burglary = monitor.burglary_series(ctx, results)
    message = monitor.key_message_of(results, burglary).data
    assert "geen meetbare doelen" in message and "behaald" not in message
    assert "geen doel" in burglary.sentence().data
    series = clearance_chapter.clearance_series(ctx, "1.1.1")
    status = clearance_chapter.clearance_status(series, 2018)
    assert isinstance(status, clearance_chapter.NoStatus)
    assert "geen doel" in clearance_chapter.status_sentence(status, 2018).data
    assert series.targets.empty


def test_a_year_before_every_strategy_follows_the_first_and_says_so():
    ctx = report.start("Midden-Nederland", "demo", notebook="crime_change", report_year=2013)
    assert ctx.strategy.id == "rvs-2015-2018"
    assert any("Geen van de meegeleverde strategieën" in note for note in ctx.notes)


def test_the_pilots_report_follows_the_strategy_that_started_them(eemland):
    ctx = report.start(
        "Midden-Nederland",
        "demo",
        notebook="onveiligheidsbeleving_proeftuinen",
        strategy="rvs-2023-2026",
    )
    assert ctx.strategy.id == "rvs-2015-2018" and ctx.composition_year == 2017
    assert any("maatregel van Regionale Veiligheidsstrategie 2015-2018" in n for n in ctx.notes)
    from rvs_analysis.exceptions import NotAvailableForSource

    with pytest.raises(NotAvailableForSource, match="Eemland hoort niet bij"):
        report.start(
            "Eemland", "demo", notebook="onveiligheidsbeleving_proeftuinen", strategy=eemland
        )


@pytest.mark.slow
def test_rvs_render_a_users_three_municipality_strategy(eemland, tmp_path, capsys):
    """Acceptance: a user's three-municipality strategy renders its district."""
    out = tmp_path / "out"
    argv = ["render", "--strategy", str(eemland), "--level", "district", "--out", str(out)]
    argv += ["--notebooks", "strategy_monitor,crime_change", "--progress", "lines", "--jobs", "1"]
    status = main(argv)
    assert status == 0, capsys.readouterr().err
    page = (out / "eemland" / "strategy_monitor.html").read_text(encoding="utf-8")
    assert "Veiligheidsplan Eemland" in page and "3 gemeenten" in page
    change = (out / "eemland" / "crime_change.html").read_text(encoding="utf-8")
    assert "Veiligheidsplan Eemland" in change and "3 gemeenten" in change
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Strategie: Veiligheidsplan Eemland (2023-2026), 3 gemeenten" in index


@pytest.mark.parametrize(
    "file,old,new,says",
    [
        ("strategy.toml", "first_year = 2023", "first_year = = 2023", "not valid TOML"),
        ("strategy.toml", '"burglary"', '"burglarie"', "unknown indicator 'burglarie'"),
        ("municipalities.csv", "GM0327,Leusden", "GM0999,Leusden", "'GM0999'"),
        (
            "municipalities.csv",
            "GM0351,Woudenberg,Eemland,,,eigen\n",
            "GM0351,Woudenberg,Eemland,,,eigen\nGM0351,Woudenberg,Vallei,,,eigen\n",
            "listed twice",
        ),
        ("targets.csv", None, "burglary,Woninginbraken,count,Eemland,,target,900,<=,,eigen\n", "has no year"),
    ],
    ids=["malformed toml", "unknown indicator", "unknown code", "two districts", "target without year"],
)  # fmt: skip
def test_rvs_render_refuses_a_bad_strategy_before_writing(
    eemland, tmp_path, capsys, file, old, new, says
):
    path = eemland / file
    if old is None:
        path.write_text(path.read_text(encoding="utf-8") + new, encoding="utf-8")
    else:
        _replace(path, old, new)
    out = tmp_path / "out"
    status = main(["render", "--strategy", str(eemland), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2
    assert file in err and says in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_the_default_run_follows_the_2023_2026_strategy(demo_batch):
    """Acceptance: the default render (latest year) gives monitors under the 2023-2026 strategy:
    its name and period, its three priorities with their indicators, 38 municipalities, no
    Weesp; the index says which strategy the reports follow."""
    index = (demo_batch / "index.html").read_text(encoding="utf-8")
    assert "Strategie: Veiligheidsstrategie 2023-2026, 38 gemeenten" in index
    page = (demo_batch / "midden-nederland" / "strategy_monitor.html").read_text(encoding="utf-8")
    assert "Deze monitor volgt <strong>Veiligheidsstrategie 2023-2026</strong>" in page
    assert "38 gemeenten in 5 districten" in page and "Weesp" not in page
    for theme, indicator in [
        ("Georganiseerde ondermijnende criminaliteit", "Drugshandel"),
        ("Digitale veiligheid en cybercrime", "Cybercrime"),
        ("Maatschappelijke onrust", "Openlijk geweld tegen personen"),
    ]:
        assert theme in page and indicator in page
    summary = (demo_batch / "midden-nederland" / "strategy_monitor.summary.json").read_text()
    assert '"strategy": "rvs-2023-2026"' in summary and "Doelen behaald" not in summary
