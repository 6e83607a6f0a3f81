"""Tests for rvs_analysis.report: Dutch formatting and wording, escaping, start/require, summary."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rvs_analysis import report
from rvs_analysis.exceptions import NotAvailableForSource, UnknownAreaError
from rvs_analysis.regions import municipalities
from rvs_analysis.report.wording import status_word
from rvs_analysis.stats import monthly
from rvs_analysis.stats.common import Estimate


@pytest.fixture(scope="module")
def tidy_folder(tmp_path_factory):
    """A minimal tidy source: burglary and population for the 2017 region, 2014-2016."""
    folder = tmp_path_factory.mktemp("tidy")
    codes = municipalities(2017)
    crime, population = [], []
    for position, record in enumerate(codes.itertuples(index=False)):
        for year in (2014, 2015, 2016):
            crime.append(
                {
                    "offence_code": "1.1.1",
                    "offence_label": "Diefstal/inbraak woning",
                    "gemeente_code": record.gemeente_code,
                    "gemeente_name": record.gemeente_name,
                    "year": year,
                    "registered_offences": 100 + position + year - 2014,
                    "provisional": 0,
                }
            )
            population.append(
                {"gemeente_code": record.gemeente_code, "year": year, "population": 20000}
            )
    pd.DataFrame(crime).to_csv(folder / "registered_crime.csv", index=False)
    pd.DataFrame(population).to_csv(folder / "population.csv", index=False)
    (folder / "metadata.json").write_text(
        json.dumps(
            {
                "crime_boundary_year": 2017,
                "population_boundary_year": 2017,
                "is_demo": False,
                "title": "test",
            }
        )
    )
    return folder


def test_dutch_numbers():
    assert report.fmt_int(12564) == "12.564"
    assert report.fmt_int(1234567.4) == "1.234.567"
    assert report.fmt_pct(7.8) == "7,8%"
    assert report.fmt_pct(7.85, 2) == "7,85%"
    assert report.fmt_num(-4.25, 1) == "\u22124,2" or report.fmt_num(-4.25, 1) == "\u22124,3"
    assert report.fmt_num(3.0, 1, signed=True) == "+3,0"
    assert report.fmt_num(-0.01, 1) == "0,0"  # no "minus zero"
    assert report.fmt_num(float("nan")) == "–"
    assert report.fmt_num(None) == "–"
    assert report.fmt_ci(6.94, 8.71, 1, "%") == "95%-BI 6,9% tot 8,7%"
    assert report.fmt_ci(-12, -4, 0, "%") == "95%-BI \u221212% tot \u22124%"


def test_change_phrase_says_whether_significant():
    down = report.change_phrase((-8.0, -12.0, -4.0))
    assert down == "daalde met 8% (95%-BI \u221212% tot \u22124%; statistisch significant)"
    up = report.change_phrase((3.2, -1.0, 7.5))
    assert up.startswith("steeg met 3% ")
    assert up.endswith("niet statistisch significant)")
    flat = report.change_phrase((0.2, -3.0, 3.4))
    assert flat.startswith("bleef vrijwel gelijk")
    assert "niet statistisch significant" in flat
    assert "niet te berekenen" in report.change_phrase((float("nan"), 0, 0))


def test_phrases_accept_estimates_and_agree_with_their_flag():
    ratio = Estimate(0.95, 0.93, 0.97, "test", null_value=1.0)
    phrase = report.ratio_phrase(ratio)
    assert phrase.startswith("daalde per jaar met 5,0%")
    assert ("niet" not in phrase) == ratio.significant
    effect = Estimate(-4.2, -6.0, -2.4, "did", null_value=0.0)
    assert report.difference_phrase(effect) == (
        "\u22124,2 procentpunt (95%-BI \u22126,0 tot \u22122,4 procentpunt; statistisch significant)"
    )
    wide = {"estimate": 1.0, "ci_low": -0.5, "ci_high": 2.5}
    assert report.difference_phrase(wide).endswith("niet statistisch significant)")


def test_escaping_of_labels():
    assert report.escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert report.escape("a*b_c") == "a\\*b\\_c"
    shown = report.md("Gebied: {area}", area="<b>x</b>")
    assert shown.data == "Gebied: &lt;b&gt;x&lt;/b&gt;"
    frame = pd.DataFrame({"naam": ["<script>x</script>"], "aantal": [12564]})
    html = report.table(frame, caption="<i>").data
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "12.564" in html and "&lt;i&gt;" in html


def test_table_formats_and_headings():
    frame = pd.DataFrame({"jaar": [2016], "pct": [7.81], "ok": [True]})
    html = report.table(
        frame,
        formats={"pct": "pct"},
        columns={"jaar": "Jaar", "pct": "Opheldering", "ok": "Gehaald"},
    ).data
    assert '<th style="text-align:right">Jaar</th>' in html
    assert html.index(">Jaar</th>") < html.index(">Opheldering</th>")
    assert ">ok<" not in html and "ja" in html  # booleans in Dutch
    text = report.table(pd.DataFrame({"naam": ["Laren"], "n": [3]})).data
    assert '<td style="text-align:left">Laren</td>' in text
    assert '<td style="text-align:right">3</td>' in text
    assert "7,8%" in html and "2.016" not in html and "2016" in html


def test_summary_shape_and_write(tmp_path):
    summary = report.Summary("Midden-Nederland", "demo", "nb", {"area": "x"}, {"version": "v"})
    summary.add("ratio", Estimate(1.1, 1.05, 1.2, "m", null_value=1.0), method="m")
    summary.add("plain", {"estimate": 2.0, "ci_low": float("nan"), "ci_high": 3.0})
    summary.add("tuple", (1, 0, 2))
    summary.set_headline("clearance_pct", 7.8)
    summary.set_headline("signals", 7, section="Signalen van de laatste maanden")
    assert summary.write("") is None
    path = tmp_path / "sub" / "summary.json"
    assert summary.write(path) is None
    data = json.loads(path.read_text())
    assert set(data) == {
        "area",
        "source",
        "notebook",
        "parameters",
        "provenance",
        "estimates",
        "headline",
        "headline_sections",
    }
    assert data["estimates"]["ratio"] == {
        "estimate": 1.1,
        "ci_low": 1.05,
        "ci_high": 1.2,
        "significant": True,
        "method": "m",
    }
    assert data["estimates"]["plain"]["ci_low"] is None
    assert data["headline"] == {"clearance_pct": 7.8, "signals": 7}
    assert data["headline_sections"] == {"signals": "Signalen van de laatste maanden"}


def test_start_resolves_area_and_records_parameters(tidy_folder):
    ctx = report.start(
        "stad utrecht", str(tidy_folder), notebook="nb", first_year=2011, last_year=2016
    )
    assert ctx.area.name == "Stad Utrecht" and ctx.area.level == "district"
    assert ctx.first_year == 2014 and ctx.last_year == 2016
    assert ctx.years() == [2014, 2015, 2016]
    assert any("2014" in note for note in ctx.notes)
    assert ctx.summary.parameters["area"] == "stad utrecht"
    assert ctx.summary.area == "Stad Utrecht"
    assert "code_version" in ctx.provenance and ctx.provenance["version"]
    assert not ctx.is_demo
    assert "rvs-note" in report.banner(ctx).data
    assert "Demonstratiedata" not in report.banner(ctx).data


def test_start_refuses_unknown_area_with_valid_names(tidy_folder):
    with pytest.raises(UnknownAreaError) as caught:
        report.start("Atlantis", str(tidy_folder))
    assert "Midden-Nederland" in str(caught.value) and "Gooi en Vechtstreek" in str(caught.value)


def test_start_refuses_years_outside_the_source(tidy_folder):
    with pytest.raises(NotAvailableForSource):
        report.start("Midden-Nederland", str(tidy_folder), first_year=2020, last_year=2022)


def test_require_names_the_missing_input(tidy_folder):
    ctx = report.start("Midden-Nederland", str(tidy_folder))
    for name in ("cleared", "survey", "monthly"):
        with pytest.raises(NotAvailableForSource) as caught:
            report.require(ctx.dataset, name)
        assert "niet beschikbaar voor deze bron" in str(caught.value)
    with pytest.raises(NotAvailableForSource):
        report.start("Midden-Nederland", str(tidy_folder), requires=["cleared"])
    with pytest.raises(ValueError):
        report.require(ctx.dataset, "nonsense")


def test_methods_block_names_methods_sources_and_escapes(tidy_folder):
    ctx = report.start("Midden-Nederland", str(tidy_folder))
    text = report.methods_block(ctx, ["Wilson-interval"], ["<aanname>"], ["Geen maandcijfers"]).data
    assert text.startswith("## Methode en bronnen")
    assert "Wilson-interval" in text and "&lt;aanname&gt;" in text
    assert "Geen maandcijfers" in text and ctx.provenance["version"] in text


def test_small_wording_helpers():
    assert report.fmt_probability(0.004) == "minder dan 1%"
    assert report.fmt_probability(0.9999) == "meer dan 99%"
    assert report.fmt_probability(0.5) == "50%"
    assert report.names_phrase([]) == "geen gemeenten"
    assert report.names_phrase(["Laren"]) == "1 gemeente (Laren)"
    assert report.names_phrase(["A", "B", "C"]) == "3 gemeenten (A, B en C)"
    assert report.fmt_month(pd.Timestamp("2014-03-01")) == "maart 2014"
    text = report.ratio_value_phrase((1.12, 1.05, 1.2), suffix=" keer zo groot")
    assert text == "1,12 keer zo groot (95%-BI 1,05 tot 1,20; statistisch significant)"


def test_change_point_table_shows_a_bend_as_slopes_not_as_a_jump():
    bend = monthly.ChangePoints(
        dates=[pd.Timestamp("2017-05-01")],
        kind="trend",
        penalty=1.0,
        segments=pd.DataFrame(),
        method="test",
        p_value=0.002,
        shape="bend",
        slope_before_pct=-6.8,
        slope_after_pct=-0.4,
    )
    table = report.change_point_table(bend)
    assert list(table.columns) == ["month", "slope_before_pct", "slope_after_pct", "p_value"]
    assert table.iloc[0]["month"] == "mei 2017"
    assert table.iloc[0]["slope_before_pct"] == -6.8


def test_change_point_table_shows_the_confirmed_break_without_a_second_test():
    index = pd.date_range("2014-01-01", periods=72, freq="MS")
    rng = np.random.default_rng(1)
    series = pd.Series(rng.poisson([400.0] * 36 + [260.0] * 36).astype(float), index=index)
    breaks = monthly.detect_change_points(series, kind="level", n_boot=199)
    table = report.change_point_table(breaks)
    assert list(table.columns) == ["month", "jump_pct", "p_value"]
    assert table.iloc[0]["month"] == "januari 2017"
    assert table.iloc[0]["jump_pct"] == pytest.approx(-35, abs=5)
    assert "significant" not in table.columns  # never tested on the data that chose it
    flat = pd.Series(rng.poisson([400.0] * 72).astype(float), index=index)
    assert report.change_point_table(monthly.detect_change_points(flat, n_boot=199)).empty


@pytest.fixture(scope="module")
def demo_region():
    return report.start("Midden-Nederland", "demo", first_year=2011, last_year=2016)


def test_area_data_on_demo_match_the_published_baseline(demo_region):
    counts = report.area_counts(demo_region, "1.1.1")
    assert counts.set_index("year").loc[2011, "registered_offences"] == 12564
    assert list(counts["year"]) == list(range(2011, 2017))
    assert (counts["rate_per_1000"] > 0).all()
    crime = report.area_crime(demo_region, ["1.1.1"])
    assert crime["registered_offences"].dtype.kind == "i"
    frame = report.clearance_frame(demo_region)
    assert {"attempt_share", "density_per_1000", "burgernet_participation", "district"} <= set(
        frame.columns
    )
    assert frame["gemeente_code"].nunique() == 39 and frame["in_area"].all()
    survey = report.survey_frame(demo_region)
    assert set(survey["group"]) == {"Proeftuinen", "Overige gemeenten"}
    assert survey.loc[survey["pilot"], "gemeente_code"].nunique() == 10


def test_results_table_has_every_indicator_and_statuses(demo_region):
    table = report.results_table(demo_region, 2016, 2018)
    assert table["indicator"].is_unique and "burglary" in set(table["indicator"])
    burglary = table.set_index("indicator").loc["burglary"]
    assert burglary["this_year"] == 2016 and burglary["previous_year"] == 2015
    assert burglary["target"] == 11093 and burglary["target_end"] == 10000
    # 2016 lies before the 2018 target year: a forecast word, never "behaald"
    assert burglary["status"] in {
        "op koers", "waarschijnlijk op koers", "onzeker", "niet op koers", "onvoldoende gegevens"
    }  # fmt: skip
    assert burglary["change_low"] <= burglary["change_pct"] <= burglary["change_high"]
    assert "quasi-Poisson dispersion" in burglary["change_method"]
    assert table.attrs["n_comparisons"] == int(table["change_pct"].notna().sum()) >= 2
    clearance = table.set_index("indicator").loc["burglary_clearance"]
    assert clearance["change_unit"] == "procentpunt"
    assert clearance["change_pct"] == pytest.approx(
        clearance["value"] - clearance["previous_value"]
    )
    again, statuses = report.tables.results_and_statuses(demo_region, 2016, 2018)
    assert again.equals(table) and "statuses" not in table.attrs
    assert set(statuses) <= set(table["indicator"]) and "burglary" in statuses
    known = table[table["indicator"].isin(statuses)]
    assert [status_word(statuses[i].status) for i in known["indicator"]] == list(known["status"])
    shown = report.format_results(table, 2016, 2018)
    assert list(shown.columns)[:4] == ["Indicator", "Doel 2016", "2016", "2015"]
    changes = shown.loc[table["indicator"] == "burglary_clearance", "Verandering (95%-BI)"]
    assert "procentpunt" in changes.iloc[0]
    assert shown.loc[table["indicator"] == "burglary", "Doel 2016"].iloc[0] == "11.093"


def test_district_targets_are_scaled_by_the_baseline_share():
    district = report.start("Flevoland", "demo", first_year=2011, last_year=2016)
    region = report.start("Midden-Nederland", "demo", first_year=2011, last_year=2016)
    targets, baseline, note = report.area_targets(district, "burglary", 2016)
    share = (
        report.area_counts(district, "1.1.1").iloc[0]["registered_offences"]
        / report.area_counts(region, "1.1.1").iloc[0]["registered_offences"]
    )
    published = targets[(targets["kind"] == "target") & (targets["year"] == 2018)]["value"]
    assert published.iloc[0] == pytest.approx(10000 * share)
    assert "aandeel" in note
    percent, _, _ = report.area_targets(district, "burglary_clearance", 2016)
    assert percent[percent["year"] == 2018]["value"].iloc[0] == 11.5


def test_district_comparison_lists_districts_then_region(demo_region):
    table = report.district_comparison(demo_region, "1.1.1", 2011, 2016)
    assert list(table["area"]) == [
        "Flevoland",
        "Gooi en Vechtstreek",
        "Stad Utrecht",
        "West-Utrecht",
        "Oost-Utrecht",
        "Midden-Nederland",
    ]
    assert table["base"].iloc[:5].sum() == table["base"].iloc[5]
    assert (
        (table["ci_low"] <= table["change_pct"]) & (table["change_pct"] <= table["ci_high"])
    ).all()
    # the area's own year-to-year noise from 2012-2015 (not compared): a local estimate of one to
    # three df, not floored at 1 (stats.common.second_difference_dispersion)
    assert (table["dispersion"] > 0).all()
    assert not table["provisional"].any()  # 2011 and 2016 are final in the demo data


def test_format_results_small_numbers_and_procentpunt():
    rows = pd.DataFrame(
        [
            {"label": "Overvallen", "unit": "count", "value": 6.0, "previous_value": 3.0,
             "this_year": 2016, "previous_year": 2015, "too_few": True, "status": "onzeker"},
            {"label": "Opheldering", "unit": "percent", "value": 8.1, "previous_value": 8.8,
             "this_year": 2016, "previous_year": 2015, "change_pct": -0.7, "change_low": -2.1,
             "change_high": 0.7, "change_unit": "procentpunt", "significant": False,
             "status": "onzeker"},
        ]
    )  # fmt: skip
    shown = report.format_results(rows, 2016, 2018)["Verandering (95%-BI)"]
    assert shown.iloc[0].startswith("te weinig gevallen (3 → 6)")
    assert shown.iloc[1].startswith("\u22120,7 procentpunt")
    assert "inf" not in " ".join(shown) and "nan" not in " ".join(shown)


def test_methods_text_follows_the_model_actually_used(demo_region):
    from dataclasses import replace

    from rvs_analysis.report.chapters import crime_change as chapter
    from rvs_analysis.stats import crime_change, trends

    totals = chapter.crime_totals(demo_region)
    quasi = chapter.trend_comparison(totals)
    text = chapter.methods(demo_region, quasi).data
    assert "quasi-Poisson" in text and "negatief" not in text
    poisson = crime_change.compare_visibility_trends(totals.crime, dispersion_test_level=0.05)
    visible = trends.fit_count_trend(
        totals.totals[totals.totals["category"] == "visible"], model="poisson",
        population_column=None,
    )  # fmt: skip
    changed = chapter.methods(demo_region, replace(poisson, visible=visible.annual_rate_ratio)).data
    assert changed != text
    assert "Trend per groep: Poisson-regressie" in changed
    assert "Trend per groep: quasi-Poisson" in text
    assert "F-toets" not in text and "PELT" not in text


def test_proeftuinen_wording_claims_no_parallel_trends_nor_overlap_inference():
    import inspect

    from rvs_analysis.report.chapters import proeftuinen

    source = inspect.getsource(proeftuinen)
    assert "intervallen overlappen, dus" not in source
    assert "regressie naar het gemiddelde" in source
    assert '"parallel"' not in source


def test_survey_respondents_coded_with_a_successor_are_harmonised_not_dropped():
    from rvs_analysis.report.area_data import harmonise_survey_codes

    survey = pd.DataFrame(
        {
            "gemeente_code": ["GM0620", "GM1961", "GM1961", "GM0344"],
            "year": [2017, 2019, 2021, 2019],
            "weight": 1.0,
            "feels_unsafe": [0, 1, 0, 1],
        }
    )
    codes = set(municipalities(2017)["gemeente_code"])
    out = harmonise_survey_codes(survey, codes)
    assert list(out["gemeente_code"]) == ["GM0620", "GM0620", "GM0620", "GM0344"]
    assert list(out["code_harmonised"]) == [False, True, True, False]


def test_simulation_sentence_states_sizes_and_monte_carlo_error():
    from rvs_analysis.report.monte_carlo import simulation_sentence
    from rvs_analysis.stats.common import monte_carlo_error

    assert monte_carlo_error(10_000) == pytest.approx(0.005)
    assert monte_carlo_error(999, 0.05) == pytest.approx((0.05 * 0.95 / 999) ** 0.5)
    assert simulation_sentence(5000, 999) == (
        "Simulatiegrootte: kansen en prognose-intervallen uit 5.000 trekkingen "
        "(Monte-Carlofout van een kans hoogstens 0,7 procentpunt); bootstrap-p-waarden uit 999 "
        "herhalingen (Monte-Carlofout rond p = 0,05: 0,7 procentpunt)."
    )
    assert simulation_sentence(bootstrap=499).endswith("p = 0,05: 1,0 procentpunt).")
    assert simulation_sentence() == ""
    two = simulation_sentence(bootstrap=999, bootstrap_for="a", more_bootstraps=[(1999, "b")])
    assert two.count("Simulatiegrootte") == 1
    assert two.endswith(
        "a uit 999 herhalingen (Monte-Carlofout rond p = 0,05: 0,7 procentpunt); "
        "b uit 1.999 herhalingen (Monte-Carlofout rond p = 0,05: 0,5 procentpunt)."
    )


def test_every_count_indicator_gets_its_target_chart(demo_region):
    from rvs_analysis.report import figures
    from rvs_analysis.report.chapters import monitor
    from rvs_analysis.stats import targets

    results = monitor.results(demo_region, 2018, report_year=2016)
    listed = targets.load_targets()
    assert monitor.count_indicators(demo_region) == list(
        dict.fromkeys(listed[listed["unit"] == "count"]["indicator"])
    )
    charted = {}
    for indicator in monitor.count_indicators(demo_region):
        series = monitor.count_series(demo_region, results, indicator, 2016, 2018)
        if series is None:
            continue
        charted[indicator] = series
        rows = listed[(listed["indicator"] == indicator) & (listed["kind"] == "target")]
        path = series.target_path()
        # The path runs through the baseline (where the strategy has one) and every target.
        assert set(rows["year"]) <= set(path["year"]), indicator
        if (listed[listed["indicator"] == indicator]["kind"] == "baseline").any():
            assert path.iloc[0]["kind"] == "baseline" and path.iloc[0]["year"] == 2011
        band = series.forecast_band()
        assert (len(band) > 0) == (2016 < series.target_year), indicator
        if len(band):
            assert (band["low_95"] <= band["low_80"]).all()
            assert (band["high_80"] <= band["high_95"]).all()
        alt = figures.alt_text(series.figure())
        assert series.label in alt and ("prognose" in alt) == bool(len(band))
    # Demo holds the region's crime counts and its own yearly indicators.
    assert {"burglary", "completed_burglary", "robbery", "street_robbery", "total_crime"} <= set(
        charted
    )
    # total_crime's 2018 target is 20% below the (unpublished) 2011 count: the observed one.
    total = charted["total_crime"].target_path().set_index("year")["value"]
    assert total[2018] == pytest.approx(0.8 * total[2011])
    assert charted["suspects_handled"].target_year == 2016  # its only target
    assert charted["suspects_handled"].forecast_band().empty


def test_kept_area_frames_cannot_be_changed_by_a_report_and_follow_the_area(tidy_folder):
    from rvs_analysis.report import tables
    from rvs_analysis.stats import targets

    zeist = report.start("Zeist", str(tidy_folder), notebook="t")
    urk = report.start("Urk", str(tidy_folder), notebook="t")
    first = report.area_counts(zeist, "1.1.1")
    first.loc[0, "registered_offences"] = -1  # a report changing what it got
    first["extra"] = 1.0
    again = report.area_counts(zeist, "1.1.1")
    assert (again["registered_offences"] > 0).all() and "extra" not in again.columns
    assert not again.equals(report.area_counts(urk, "1.1.1"))  # another area, another frame
    later = report.start("Zeist", str(tidy_folder), notebook="t", first_year=2015)
    assert list(report.area_counts(later, "1.1.1")["year"]) == [2015, 2016]
    observed = tables.indicator_observations(zeist, "burglary")
    observed.loc[0, "value"] = -1
    assert (tables.indicator_observations(zeist, "burglary")["value"] > 0).all()
    table = targets.load_targets()
    table.loc[0, "value"] = -123.0
    assert (targets.load_targets()["value"] != -123.0).all()


def test_kept_area_frames_follow_a_changed_source(tidy_folder, tmp_path):
    import shutil

    folder = tmp_path / "tidy"
    shutil.copytree(tidy_folder, folder)
    before = report.area_counts(report.start("Zeist", str(folder), notebook="t"), "1.1.1")
    crime = pd.read_csv(folder / "registered_crime.csv", dtype={"offence_code": str})
    crime["registered_offences"] += 50
    crime.to_csv(folder / "registered_crime.csv", index=False)
    after = report.area_counts(report.start("Zeist", str(folder), notebook="t"), "1.1.1")
    assert list(after["registered_offences"]) == list(before["registered_offences"] + 50)


def test_computed_once_compares_frames_by_content_and_hands_out_copies():
    from rvs_analysis.report import shared

    shared.clear()
    calls = []

    def total(frame, scale):
        calls.append(1)
        return {"sum": float(frame["x"].sum()) * scale, "rows": list(frame["x"])}

    frame = pd.DataFrame({"x": [1.0, 2.0]})
    first = shared.computed_once(total, frame, 2)
    first["rows"].append(99)  # a caller changing its copy
    again = shared.computed_once(total, frame.copy(), scale=2)
    assert again == {"sum": 6.0, "rows": [1.0, 2.0]} and len(calls) == 2  # kwargs: another key
    assert shared.computed_once(total, frame.copy(), 2)["rows"] == [1.0, 2.0] and len(calls) == 2
    assert shared.computed_once(total, frame.assign(x=[1.0, 3.0]), 2)["sum"] == 8.0
    assert len(calls) == 3
    marker = object()  # no content key: computed, not kept
    shared.computed_once(lambda frame, what: total(frame, 1), frame, marker)
    shared.computed_once(lambda frame, what: total(frame, 1), frame, marker)
    assert len(calls) == 5
    shared.clear()


def test_no_empty_chart_column_or_undrawn_legend_entry_and_advice_that_applies(tidy_folder):
    """Issue 28 A6: after the target year the probability chart has no bars and is left out; a
    column without a value is not shown; a single target draws no 'Doelpad' line nor its
    legend entry; 'rvs fetch' is advised only on the CBS source."""
    from rvs_analysis.report import figures, tables
    from rvs_analysis.report.chapters import monitor
    from rvs_analysis.report.context import source_advice
    from rvs_analysis.report.yardstick import national_sentence

    after = report.start("Midden-Nederland", "demo", first_year=2011, last_year=2019)
    assert monitor.results(after, 2018, report_year=2019).chances_figure("Demo") is None
    before = report.start("Midden-Nederland", "demo", first_year=2011, last_year=2016)
    assert monitor.results(before, 2018, report_year=2016).chances_figure("Demo") is not None

    shown = tables.table(pd.DataFrame({"Indicator": ["a", "b"], "Doel 2023": [np.nan, None]}))
    assert shown.shown["columns"] == ["Indicator"]

    observed = pd.DataFrame({"year": [2016, 2017], "value": [10.0, 9.0]})
    one_target = pd.DataFrame({"year": [2018], "value": [8.0], "kind": ["target"]})
    fig = figures.target_chart(observed, "Demo", target_path=one_target)
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert "Doelpad vanaf de nulmeting" not in legend and "Doel" in legend

    assert (
        "rvs fetch"
        not in national_sentence(None, ctx=report.start("Midden-Nederland", str(tidy_folder))).data
    )
    assert "Haal" not in source_advice(before.dataset, "de landelijke cijfers")
    assert "demonstratiedata" in source_advice(before.dataset, "de landelijke cijfers")


def test_no_national_comparison_says_the_true_reason(shared_cbs_dir, tidy_folder):
    """Issue 27: on a source with every municipality, a missing comparison was blamed on a
    'region only' source."""
    from rvs_analysis.report.yardstick import national_comparison, national_sentence

    country = report.start("Midden-Nederland", str(shared_cbs_dir))
    missing = national_comparison(country, "0.0.0", "geregistreerde misdrijven")
    assert missing is None  # the extract has no total of all offences
    text = national_sentence(missing, country).data
    assert "alleen de gemeenten van de regio" not in text and "heel Nederland" in text
    region_only = report.start("Midden-Nederland", str(tidy_folder))
    assert "alleen de gemeenten van de regio" in national_sentence(None, region_only).data
