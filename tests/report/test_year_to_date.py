"""'Dit jaar tot nu toe' in the monitor and crime_change: the nowcast of the year under way for
the report's area (issue 31 item 3, last bullet), or one sentence why there is none.

The demo's monthly file holds complete years only (2011-2023, each the multinomial split of the
yearly count), so the partial year comes from a small tidy source built here
(:func:`write_partial_year_source`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tidy_sources import write_tiny_source

from rvs_analysis import regions, report
from rvs_analysis.report import year_to_date
from rvs_analysis.report.methods_text import technical_lines
from rvs_analysis.report.wording import fmt_int
from rvs_analysis.stats import nowcast

SEASON = np.array([1.3, 1.0, 0.9, 0.8, 0.75, 0.7, 0.75, 0.8, 0.9, 1.1, 1.4, 1.6])


def write_partial_year_source(
    folder: Path,
    last: tuple[int, int] = (2018, 9),
    withheld: tuple[str, int, int] | None = None,
    seed: int = 3,
) -> Path:
    """The tiny source (:func:`tidy_sources.write_tiny_source`, 2013-2017) with monthly burglary of
    every municipality from January 2013 to ``last`` (September 2018: the year under way, its
    latest month provisional), yearly counts the sums of the months, and a small less visible
    offence (drug dealing) so that crime_change runs. ``withheld``: (GM code, year, month) of a
    monthly count written empty."""
    years = tuple(range(2013, 2018))
    write_tiny_source(folder, years=years)
    rng = np.random.default_rng(seed)
    rows = []
    for position, code in enumerate(regions.municipalities(2017)["gemeente_code"]):
        level = 120.0 if code == "GM0344" else 5.0 + position
        for year in range(2013, last[0] + 1):
            for month in range(1, 13):
                if (year, month) > last:
                    break
                count = rng.poisson(level * SEASON[month - 1] * 0.97 ** (year - 2013))
                rows.append(
                    {
                        "gemeente_code": code,
                        "year": year,
                        "month": month,
                        "offence_code": "1.1.1",
                        "registered_offences": count,
                        "provisional": "true" if (year, month) == last else "false",
                    }
                )
    monthly = pd.DataFrame(rows)
    sums = monthly.groupby(["gemeente_code", "year"])["registered_offences"].sum()
    if withheld is not None:
        code, year, month = withheld
        hole = (
            (monthly["gemeente_code"] == code)
            & (monthly["year"] == year)
            & (monthly["month"] == month)
        )
        monthly["registered_offences"] = monthly["registered_offences"].astype(object)
        monthly.loc[hole, "registered_offences"] = ""
    monthly.to_csv(folder / "monthly_crime.csv", index=False)
    crime = pd.read_csv(folder / "registered_crime.csv", dtype=str)
    crime["registered_offences"] = [
        str(sums[(code, int(year))])
        for code, year in zip(crime["gemeente_code"], crime["year"], strict=True)
    ]
    drugs = crime.assign(
        offence_code="3.1.1",
        offence_label="Drugshandel",
        registered_offences=[str(3 + i % 5) for i in range(len(crime))],
    )
    pd.concat([crime, drugs]).to_csv(folder / "registered_crime.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def partial(tmp_path_factory) -> Path:
    return write_partial_year_source(tmp_path_factory.mktemp("partial") / "tidy")


def _expected(folder: Path, codes: list[str]):
    """The nowcast straight from the file: the area's monthly sums, 2013 to September 2018."""
    monthly = pd.read_csv(folder / "monthly_crime.csv")
    monthly = monthly[monthly["gemeente_code"].isin(codes)]
    summed = monthly.groupby(["year", "month"])["registered_offences"].sum()
    index = pd.PeriodIndex.from_fields(
        year=summed.index.get_level_values(0).to_numpy(),
        month=summed.index.get_level_values(1).to_numpy(),
        freq="M",
    )
    counts = pd.DataFrame({"area": summed.to_numpy(dtype=float)}, index=index)
    return nowcast.nowcast_year_total(counts).table.iloc[0], float(summed.loc[2017].sum())


@pytest.mark.parametrize("area", ["Midden-Nederland", "Utrecht"])
def test_the_section_shows_the_nowcast_of_a_partial_year_with_its_interval(partial, area):
    ctx = report.start(area, str(partial), notebook="crime_change", first_year=2011)
    so_far = year_to_date.this_year(ctx, "1.1.1")
    expected, previous = _expected(partial, ctx.codes)
    assert so_far.status == "ok" and so_far.year == 2018
    row = so_far.row
    assert row["nowcast"] == pytest.approx(expected["nowcast"])
    assert row["pi_low"] < row["nowcast"] < row["pi_high"]
    assert (row["pi_low"], row["pi_high"]) == pytest.approx(
        (expected["pi_low"], expected["pi_high"])
    )
    assert row["year_to_date"] == expected["year_to_date"] and row["months_observed"] == 9
    text = so_far.sentence().data
    assert (
        f"Verwachting 2018 voor {area}: {fmt_int(expected['nowcast'])} woninginbraken "
        f"(95%-interval {fmt_int(expected['pi_low'])} tot {fmt_int(expected['pi_high'])}), op "
        "basis van januari tot en met september 2018; het cijfer van september is voorlopig."
    ) in text
    assert f"Tot en met september zijn er {fmt_int(expected['year_to_date'])} geregistreerd" in (
        text
    )
    assert f"In 2017 waren het er {fmt_int(previous)} (som van de maandcijfers)" in text
    inside = expected["pi_low"] <= previous <= expected["pi_high"]
    assert ("ligt binnen het 95%-interval" in text) == inside


def test_the_nowcast_is_in_the_summary_and_its_method_in_dutch(partial):
    from page_check import _DECIMAL_POINT, _ENGLISH

    ctx = report.start("Utrecht", str(partial), notebook="strategy_monitor", first_year=2011)
    so_far = year_to_date.this_year(ctx)
    year_to_date.record_year_to_date(ctx, so_far)
    recorded = ctx.summary.to_dict()["estimates"]["burglary_nowcast"]
    row = so_far.row
    assert (recorded["estimate"], recorded["ci_low"], recorded["ci_high"]) == pytest.approx(
        (row["nowcast"], row["pi_low"], row["pi_high"])
    )
    assert recorded["year"] == 2018 and recorded["last_month"] == "2018-09"
    assert recorded["provisional_months"] == [9] and recorded["previous_year"] == 2017
    json.dumps(ctx.summary.to_dict(), allow_nan=False)
    (line,) = technical_lines(so_far.methods)
    assert line.startswith("Verwachting woninginbraken 2018: quasi-Poisson-regressie")
    assert "seizoensaandeel uit 2013-2017" in line
    assert not _ENGLISH.search(line) and not _DECIMAL_POINT.search(line)
    assert "nowcast-coverage" in so_far.methods_lines()[0]


def test_a_withheld_month_is_predicted_never_counted_as_zero(tmp_path):
    folder = write_partial_year_source(tmp_path / "tidy", withheld=("GM0344", 2018, 8))
    ctx = report.start("Utrecht", str(folder), notebook="crime_change", first_year=2011)
    so_far = year_to_date.this_year(ctx)
    monthly = pd.read_csv(folder / "monthly_crime.csv")
    utrecht_2018 = monthly[(monthly["gemeente_code"] == "GM0344") & (monthly["year"] == 2018)]
    known = utrecht_2018["registered_offences"].dropna().sum()
    assert so_far.status == "ok" and so_far.withheld_months == (8,)
    row = so_far.row
    assert row["months_observed"] == 8 and row["months_withheld"] == 1
    assert row["year_to_date"] == known  # August left out, not added as 0
    assert row["nowcast"] > known + 4 * 50  # August to December predicted
    text = so_far.sentence().data
    assert "augustus is niet gepubliceerd en, net als de komende maanden, voorspeld" in text
    assert "In de gepubliceerde maanden zijn er" in text


def test_complete_years_give_one_sentence_and_no_summary_entry(tmp_path):
    folder = write_partial_year_source(tmp_path / "tidy", last=(2017, 12))
    ctx = report.start("Utrecht", str(folder), notebook="crime_change", first_year=2011)
    so_far = year_to_date.this_year(ctx)
    assert so_far.status == "complete" and not so_far.available
    assert so_far.sentences() == [
        "Er is geen onvolledig jaar om een verwachting voor te maken: de maandcijfers van "
        "woninginbraken lopen tot en met december 2017, een volledig jaar."
    ]
    year_to_date.record_year_to_date(ctx, so_far)
    assert ctx.summary.estimates == {} and so_far.methods == [] and so_far.methods_lines() == []


def test_the_demo_has_no_incomplete_year(demo_dataset):
    ctx = report.start("Midden-Nederland", "demo", notebook="strategy_monitor", first_year=2011)
    assert year_to_date.this_year(ctx).sentences() == [
        "Er is geen onvolledig jaar om een verwachting voor te maken: de maandcijfers van "
        "woninginbraken lopen tot en met december 2023, een volledig jaar."
    ]


def test_no_nowcast_for_an_earlier_report_year_or_too_few_earlier_years(partial):
    earlier = report.start("Utrecht", str(partial), notebook="crime_change", report_year=2016)
    so_far = year_to_date.this_year(earlier)
    assert so_far.status == "earlier_report"
    assert "Dit rapport gaat over 2016, niet over het laatste jaar met jaarcijfers (2017)" in (
        so_far.sentence().data
    )
    late = report.start("Utrecht", str(partial), notebook="crime_change", first_year=2017)
    so_far = year_to_date.this_year(late)
    assert so_far.status == "too_few_years" and so_far.past_years == 1
    assert "minstens 2 volledige eerdere jaren" in so_far.sentence().data


def test_month_span_in_dutch():
    assert year_to_date.month_span(1) == "januari"
    assert year_to_date.month_span(2) == "januari en februari"
    assert year_to_date.month_span(9) == "januari tot en met september"


@pytest.mark.slow
def test_both_notebooks_show_the_nowcast_and_pass_the_page_checker(partial, tmp_path, capsys):
    from page_check import problems, visible_text

    from rvs_analysis.cli import main

    out = tmp_path / "out"
    argv = ["render", "--source", str(partial), "--areas", "Utrecht", "--out", str(out)]
    argv += ["--notebooks", "strategy_monitor,crime_change", "--progress", "lines", "--jobs", "1"]
    assert main(argv) == 0, capsys.readouterr().err
    ctx = report.start("Utrecht", str(partial), first_year=2011)
    expected, _ = _expected(partial, ctx.codes)
    wanted = (
        f"Verwachting 2018 voor Utrecht: {fmt_int(expected['nowcast'])} woninginbraken "
        f"(95%-interval {fmt_int(expected['pi_low'])} tot {fmt_int(expected['pi_high'])})"
    )
    for name in ("strategy_monitor", "crime_change"):
        page = visible_text((out / "utrecht" / f"{name}.html").read_text(encoding="utf-8"))
        assert "Dit jaar tot nu toe" in page and wanted in page, name
        summary = json.loads((out / "utrecht" / f"{name}.summary.json").read_text())
        assert summary["estimates"]["burglary_nowcast"]["estimate"] == pytest.approx(
            expected["nowcast"]
        )
    assert problems(out) == []
