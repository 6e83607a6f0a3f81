"""Reports up to the latest year: ``report_year`` (None = latest with data), provisional years marked
"voorlopig", the monitor past its target year, and ``rvs render -p NAME=VALUE``.

The shared CBS extract (``../shared/data/cbs-open-data``, 2012-2025 with 2024-2025 provisional) is
used where present; the parameter checks run on the demo data.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from rvs_analysis import regions, report
from rvs_analysis.cli import main
from rvs_analysis.render.batch import RenderError, check_parameters, declared_parameters
from rvs_analysis.report.chapters import monitor
from rvs_analysis.report.registry import report_specs
from rvs_analysis.stats import targets


@pytest.mark.parametrize("spec", report_specs(), ids=lambda spec: spec.stem)
def test_every_report_notebook_declares_report_year_defaulting_to_none(spec):
    assert "report_year" in declared_parameters(spec.path)
    cell = next(
        cell
        for cell in json.loads(spec.path.read_text())["cells"]
        if "parameters" in cell["metadata"].get("tags", [])
    )
    assert "report_year = None" in "".join(cell["source"])


def test_an_undeclared_parameter_is_refused_with_the_declared_names(tmp_path, capsys):
    status = main(
        ["render", "--notebooks", "strategy_monitor", "--out", str(tmp_path / "out"),
         "-p", "report_yr=2018"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    assert "'report_yr'" in err and "strategy_monitor" in err
    assert "report_year" in err and "target_year" in err and "first_year" in err
    assert not (tmp_path / "out").exists()
    with pytest.raises(RenderError, match="set by rvs render"):
        check_parameters({"area": "Flevoland"}, [])


def test_parameter_values_are_read_as_papermill_reads_them():
    from rvs_analysis.commands.render import parameter_option

    assert parameter_option("report_year=2018") == ("report_year", 2018)
    assert parameter_option("level=0.9") == ("level", 0.9)
    assert parameter_option("flag=True") == ("flag", True)
    assert parameter_option("report_year=None") == ("report_year", None)
    assert parameter_option("area=Stad Utrecht") == ("area", "Stad Utrecht")


@pytest.fixture(scope="module")
def latest(shared_cbs_dir):
    return report.start("Midden-Nederland", str(shared_cbs_dir), first_year=2011)


@pytest.fixture(scope="module")
def in_2018(shared_cbs_dir):
    return report.start("Midden-Nederland", str(shared_cbs_dir), first_year=2011, report_year=2018)


def test_report_year_none_is_the_latest_year_with_2024_2025_voorlopig(latest):
    assert latest.report_year == 2025 and latest.years()[-1] == 2025
    assert latest.provisional_years == [2024, 2025]
    assert latest.year_label(2025) == "2025 (voorlopig)" and latest.year_label(2023) == "2023"
    assert "2024 en 2025 zijn voorlopig" in report.banner(latest).data
    assert "(2024–2025 voorlopig)" in report.intro(latest).data


def test_region_monitor_on_the_latest_year_judges_2018_from_the_observed_value(shared_cbs_dir):
    """The 2015-2018 strategy on the latest year (2025): its 2018 targets judged on 2018."""
    latest = report.start(
        "Midden-Nederland", str(shared_cbs_dir), first_year=2011, strategy="rvs-2015-2018"
    )
    results = monitor.results(latest, 2018)
    status = results.statuses["burglary"]
    counts = report.area_counts(latest, "1.1.1").set_index("year")["registered_offences"]
    assert status.observed_year == 2018 and status.observed_value == counts[2018]
    assert status.forecast is None and status.status == "achieved"
    shown = results.table.set_index("indicator").loc["burglary"]
    assert shown["this_year"] == 2025 and math.isnan(shown["forecast"])
    formatted = report.format_results(
        results.table[results.table["status"] != "geen gegevens"], 2025, 2018,
        provisional=latest.provisional_years,
    )  # fmt: skip
    assert {"2025 (voorlopig)", "2024 (voorlopig)", "Gemeten 2018"} <= set(formatted.columns)
    assert not [column for column in formatted.columns if column.startswith("Prognose")]
    assert "van 2024 (voorlopig) op 2025 (voorlopig)" in results.sentence().data


def test_region_monitor_for_2018_shows_observed_2018_burglaries_against_the_2018_target(
    in_2018, shared_cbs_dir
):
    assert in_2018.report_year == 2018 and in_2018.years()[-1] == 2018
    results = monitor.results(in_2018, 2018)
    burglary = results.table.set_index("indicator").loc["burglary"]
    observed = regions.area_table(in_2018.dataset, "1.1.1", "region", 2017, "2018")
    assert burglary["this_year"] == 2018
    assert burglary["value"] == observed["registered_offences"].iloc[0]
    assert burglary["target"] == targets.target_for("burglary", 2018).value == 10000
    assert math.isnan(burglary["forecast"])  # 2018 has data: no forecast for it
    series = monitor.burglary_series(in_2018, results)
    text = series.sentence().data
    assert f"In 2018 zijn {report.fmt_int(burglary['value'])} woninginbraken" in text
    assert "het doel is behaald" in text and "Verwachting" not in text


@pytest.mark.slow
def test_rvs_render_passes_report_year_to_the_report_and_lists_it(shared_cbs_dir, tmp_path):
    out = tmp_path / "out"
    status = main(
        ["render", "--source", str(shared_cbs_dir), "--areas", "Midden-Nederland",
         "--notebooks", "strategy_monitor", "--out", str(out), "-p", "report_year=2018",
         "--progress", "lines"]
    )  # fmt: skip
    assert status == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"] == {"report_year": 2018}
    assert manifest["reports"][0]["parameters"]["report_year"] == 2018
    assert "report_year = 2018" in (out / "index.html").read_text()
    page = (out / manifest["reports"][0]["html"]).read_text()
    assert "In 2018 zijn 6.184 woninginbraken geregistreerd" in page
    assert "Prognose 2018" not in page


@pytest.mark.slow
def test_a_report_year_before_the_target_year_passes_the_page_checker(tmp_path, capsys):
    """Issue 28: a batch as it stood in 2016 (forecasts, no measured 2018) contradicts nothing;
    the pilots, which started in 2017, are skipped with the reason instead of failing."""
    from page_check import problems

    out = tmp_path / "out"
    argv = [
        "render",
        "--level",
        "region",
        "--out",
        str(out),
        "-p",
        "report_year=2016",
        "--jobs",
        "1",
    ]
    status = main([*argv, "--progress", "lines"])
    assert status == 0, capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    statuses = {Path(r["notebook"]).stem: (r["status"], r["error"]) for r in manifest["reports"]}
    status_, reason = statuses["onveiligheidsbeleving_proeftuinen"]
    assert status_ == "skipped" and "startten in 2017" in reason
    assert problems(out) == []
    monitor = (out / "midden-nederland" / "strategy_monitor.html").read_text(encoding="utf-8")
    assert "naar de prognose voor 2018" in monitor
