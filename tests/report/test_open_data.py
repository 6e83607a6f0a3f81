"""The reports on CBS open data: fetched through the loopback feed with the real cbsodata client.

Known answers: group-level clearance equals the published cleared/registered of its group; the
Netherlands comparison equals the toolkit's comparison called directly; the proeftuinen figure on
published estimates draws the 2021 break and no line crosses it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from cbs_feed import CbsFeed, standard_tables

from rvs_analysis import regions, report
from rvs_analysis.report import open_data, yardstick
from rvs_analysis.report.chapters import clearance as clearance_chapter
from rvs_analysis.report.chapters import monitor_open, proeftuinen_open
from rvs_analysis.sources import cbs, load_source
from rvs_analysis.stats import compare, published


@pytest.fixture(scope="module")
def open_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("open") / "raw"
    with CbsFeed(page_size=2000) as feed:
        cbs.fetch(cache=cache, catalog=feed.url, timeout=120)
    return cache


def context(cache, area="Midden-Nederland"):
    return report.start(area, "cbs", str(cache), notebook="test", first_year=2013, last_year=2018)


def published_clearance(code: str, year: int, group: str = "CRI1100") -> tuple[int, int]:
    rows = [
        row
        for row in standard_tables()["83648NED"].rows
        if row["RegioS"].strip() == code
        and row["SoortMisdrijf"].strip() == group
        and row["Perioden"] == f"{year}JJ00"
    ]
    assert len(rows) == 1
    return rows[0]["TotaalOpgehelderdeMisdrijven_4"], rows[0]["TotaalGeregistreerdeMisdrijven_1"]


def test_open_data_clearance_is_the_published_group_labelled_as_group_level(open_cache):
    ctx = context(open_cache, "Utrecht")
    series = clearance_chapter.clearance_series(ctx, "1.1.1")
    assert series.group_level and series.offence.code == "CRI1100"
    assert "Diefstal/verduistering en inbraak" in series.offence.label
    assert "misdrijfgroep" in series.offence.why and "83648NED" in series.offence.why
    cleared, registered = published_clearance("GM0344", 2016)
    row = series.yearly.set_index("year").loc[2016]
    assert (row["cleared_offences"], row["registered_offences"]) == (cleared, registered)
    assert row["clearance_pct"] == pytest.approx(100 * cleared / registered)
    this_year = clearance_chapter.clearance_in_year(series, 2016, 2013)
    text = this_year.sentence().data
    assert "groepsniveau" in text and "woninginbraken opgehelderd" not in text
    assert clearance_chapter.clearance_status(series, 2018, report_year=2016) is None
    assert clearance_chapter.drivers_model(series) is None
    assert "groepsniveau" in clearance_chapter.group_level_note(series).data


def test_group_clearance_of_a_district_sums_its_municipalities(open_cache):
    ctx = context(open_cache, "Stad Utrecht")
    series = clearance_chapter.clearance_series(ctx)
    codes = list(ctx.codes)
    totals = np.sum([published_clearance(code, 2015) for code in codes], axis=0)
    row = series.yearly.set_index("year").loc[2015]
    assert (row["cleared_offences"], row["registered_offences"]) == tuple(totals)


def test_burglary_itself_when_the_region_supplies_its_police_figures(demo_dataset):
    offence = open_data.clearance_offence(demo_dataset)
    assert offence.code == "1.1.1" and not offence.group_level


def test_the_netherlands_comparison_equals_the_toolkit_comparison(open_cache):
    ctx = context(open_cache, "Stad Utrecht")
    comparison = yardstick.national_comparison(ctx, "1.1.1", "woninginbraken")
    direct = compare.compare_area_trends(
        load_source("cbs", str(open_cache)),
        "1.1.1",
        [regions.netherlands(), "Stad Utrecht"],
        years=ctx.years(),
        reference="Nederland",
    )
    assert comparison.ratio.estimate == pytest.approx(direct.ratios["Stad Utrecht"].estimate)
    assert comparison.ratio.ci_low == pytest.approx(direct.ratios["Stad Utrecht"].ci_low)
    text = yardstick.national_sentence(comparison).data
    assert "Nederland" in text
    # the feed's NL00 is not the sum of its few municipalities: the sentence says so
    assert comparison.check is not None and not comparison.check["complete"]
    assert "NL00" in text
    # and how many municipalities the total rests on, year by year
    counts = comparison.municipalities
    assert counts is not None and counts[0] >= 1
    assert f"is de som van {counts[0]}" in text and "gemeenten" in text


def test_published_estimates_proeftuinen_draw_the_break_and_never_bridge_it(open_cache):
    ctx = context(open_cache)
    group = proeftuinen_open.published_pilots(ctx)
    assert {"GM0344", "GM0307"} <= set(group.pilots)
    figure = proeftuinen_open.published_figure(ctx, group, "feels_unsafe")
    axis = figure.axes[0]
    labels = [text.get_text() for text in axis.get_legend().get_texts()]
    assert proeftuinen_open.BREAK_LABEL in labels
    series_lines = [
        line
        for line in axis.get_lines()
        if np.asarray(line.get_xdata()).size >= 2
        and not np.allclose(np.asarray(line.get_xdata(), dtype=float), line.get_xdata()[0])
    ]  # without the vertical break line
    assert len(series_lines) >= 2, "the loop below must have lines to check"
    spanning = [
        line
        for line in series_lines
        if min(line.get_xdata()) < published.SERIES_BREAK - 0.5 < max(line.get_xdata())
    ]
    assert spanning, "a series on both sides of the break, so that bridging could happen"
    for line in series_lines:
        x = np.asarray(line.get_xdata(), dtype=float)
        y = np.asarray(line.get_ydata(), dtype=float)
        for left, right, y_left, y_right in zip(x[:-1], x[1:], y[:-1], y[1:], strict=True):
            bridges = left < published.SERIES_BREAK - 0.5 < right
            assert not (bridges and not math.isnan(y_left) and not math.isnan(y_right))
    comparison = proeftuinen_open.published_comparison(group, "feels_unsafe")
    assert comparison is not None
    assert all(published.series_of(y) == 0 for y in comparison.before + comparison.after)


def test_the_monitor_holds_every_open_indicator_and_compares_the_police_units(open_cache):
    ctx = context(open_cache)
    indicators = monitor_open.open_indicators(ctx, report_year=2018).frame
    names = set(indicators["indicator"])
    assert {"Woninginbraken (incl. pogingen)", "Straatroven", "Overvallen"} <= names
    assert "Registraties van verdachten (geen personen)" in names
    assert any("groepsniveau" in name for name in names)


def test_police_units_of_a_source_without_every_municipality_are_not_compared(open_cache):
    """The small feed places only the region and Amsterdam in a police unit: a unit summed over
    the municipalities that happen to be in the source would be a wrong number, so there is no
    comparison and the page says why (the full comparison: tests/test_national_feed.py)."""
    ctx = context(open_cache)
    assert monitor_open.police_unit_comparison(ctx) is None
    text = monitor_open.police_unit_table(None, ctx).data
    assert "niet alle gemeenten van Nederland" in text


def test_the_clearance_trend_is_compared_with_the_netherlands(open_cache):
    ctx = context(open_cache, "Stad Utrecht")
    series = clearance_chapter.clearance_series(ctx)
    national = yardstick.national_clearance_comparison(ctx, series)
    assert national is not None and national.result.reference == "Nederland"
    assert "Nederland" in yardstick.national_clearance_sentence(national).data


def test_no_netherlands_comparison_on_a_source_that_holds_the_region_only(demo_dataset):
    ctx = report.start("Midden-Nederland", "demo", notebook="test")
    assert yardstick.national_comparison(ctx, "1.1.1", "woninginbraken") is None
    assert "alleen de gemeenten van de regio" in yardstick.national_sentence(None).data


def test_police_units_come_from_the_gebieden_in_nederland_layout(open_cache):
    """85755NED as CBS publishes it: the police units are the subgroup "Politie Regionale
    eenheden" of "Lokaliseringen van gemeenten", beside other subgroups whose topics are also
    titled "Code" and "Naam"; codes and names padded."""
    dataset = load_source("cbs", str(open_cache))
    units = dataset.provenance["police_units"]
    region = set(regions.municipalities(2024)["gemeente_code"])
    assert {units[code] for code in region} == {"RE09"}
    assert units["GM0363"] == "RE05"
    assert dataset.provenance["police_unit_names"] == {
        "RE09": "Midden-Nederland",
        "RE05": "Amsterdam",
    }
    assert "85755NED" in open_data.open_tables(dataset)


def test_every_comparison_names_its_method_in_the_methods_text(open_cache):
    """The Netherlands comparison and the published-estimates comparison are named in "Methode en bronnen" from the results the report computed."""
    from rvs_analysis.report.chapters import monitor, proeftuinen
    from rvs_analysis.report.wording import escape

    ctx = context(open_cache, "Stad Utrecht")
    national = yardstick.national_comparison(ctx, "1.1.1", "woninginbraken")
    units = monitor_open.police_unit_comparison(ctx)
    assert units is None  # not every municipality: see tests/test_national_feed.py
    lines, technical = yardstick.comparison_methods(national, units)
    assert len(lines) == 2  # the Netherlands, the NL00 check
    assert "compare_area_trends" in lines[0] and "Nederland" in lines[0]
    assert (
        "Vergelijking van het gebied met Nederland (woninginbraken)",
        national.result.method_spec,
    ) in technical
    results = monitor.results(ctx, 2018, report_year=2018)
    indicators = monitor_open.open_indicators(ctx, report_year=2018)
    text = monitor.methods(ctx, results, national, units, indicators).data
    from rvs_analysis.report.methods_text import describe

    worded = escape(describe(national.result.method_spec))
    assert escape("compare_area_trends") in text and "NL00" in text and worded in text
    assert f"{indicators.n_comparisons} veranderingen getoetst" in text

    region = context(open_cache)
    group = proeftuinen.pilots(region)
    comparisons = proeftuinen.published_comparisons(group)
    text = proeftuinen.methods(region, None, None, group, comparisons).data
    used = next(result for result in comparisons.values() if result is not None)
    assert (
        escape(describe(used.method_spec)) in text and escape(describe(published.POOL_SPEC)) in text
    )
    assert "inverse variantie" in text and "2021" in text


def test_open_indicator_changes_have_intervals_or_too_few(open_cache):
    ctx = context(open_cache, "Utrecht")
    frame = monitor_open.open_indicators(ctx, report_year=2018).frame
    assert len(frame) >= 3 and (~frame["too_few"].astype(bool)).any()
    for _, row in frame.iterrows():
        if row["too_few"]:
            assert row["change"] is None and "te weinig gevallen" in row["change_text"]
        else:
            change = row["change"]
            assert change.ci_low <= change.estimate <= change.ci_high
            assert "95%-BI" in row["change_text"]
            unit = "procentpunt" if row["unit"] == "%" else "%"
            assert unit in row["change_text"]


def test_with_the_regions_own_files_burglary_clearance_and_the_microdata_did_run(
    open_cache, demo_dataset, tmp_path
):
    """The region's police figures and survey microdata in ``regional/`` (the templates' layout)
    beside the fetched cache: the clearance report shows burglary itself (targets, drivers) and
    the proeftuinen report runs its microdata difference-in-differences beside CBS's estimates."""
    import shutil

    from rvs_analysis.report.chapters import proeftuinen

    cache = tmp_path / "raw"
    shutil.copytree(open_cache, cache)
    regional = cache.parent / "regional"
    regional.mkdir()
    cleared = demo_dataset.cleared
    cleared = cleared[(cleared["offence_code"] == "1.1.1") & cleared["year"].between(2013, 2018)]
    cleared.assign(source="Politie Midden-Nederland (test)").to_csv(
        regional / "cleared_offences.csv", index=False
    )
    # the feed's years end in 2018: the region's own survey has a wave after the start in it
    survey = demo_dataset.survey[demo_dataset.survey["year"] <= 2019]
    survey.assign(year=survey["year"].replace(2019, 2018)).to_csv(
        regional / "survey_microdata.csv", index=False
    )

    ctx = context(cache, "Utrecht")
    series = clearance_chapter.clearance_series(ctx, "1.1.1")
    assert not series.group_level and series.offence.code == "1.1.1"
    assert not series.targets.empty
    this_year = clearance_chapter.clearance_in_year(series, 2018, 2013)
    assert "woninginbraken opgehelderd" in this_year.sentence().data
    assert clearance_chapter.clearance_status(series, 2018, report_year=2018) is not None
    assert clearance_chapter.drivers_model(series) is not None

    region = context(cache)
    group = proeftuinen.pilots(region)
    assert group.has_microdata and group.published is not None
    did = proeftuinen.pilot_effect(group, "feels_unsafe")
    assert did is not None and did.effect.ci_low < did.effect.estimate < did.effect.ci_high
    text = proeftuinen.methods(
        region,
        did,
        proeftuinen.pilot_effect_by_wave(group, "feels_unsafe"),
        group,
        proeftuinen.published_comparisons(group),
    ).data
    assert "Verschil in verschillen" in text and "inverse variantie" in text


def test_a_report_needing_survey_data_accepts_microdata_or_published_estimates(open_cache):
    from rvs_analysis.exceptions import NotAvailableForSource
    from rvs_analysis.report.context import require

    dataset = load_source("cbs", str(open_cache))
    assert dataset.survey is None or dataset.survey.empty
    require(dataset, ("survey", "survey_estimates"))  # the published estimates will do
    with pytest.raises(NotAvailableForSource, match="niet beschikbaar voor deze bron"):
        require(dataset, "survey")
    with pytest.raises(ValueError, match="Unknown dataset input"):
        require(dataset, ("survey", "surveys"))


def test_the_kernboodschap_on_open_data_says_what_the_open_tables_answer(open_cache):
    from rvs_analysis.report.chapters import proeftuinen

    ctx = context(open_cache, "Utrecht")
    series = clearance_chapter.clearance_series(ctx)
    this_year = clearance_chapter.clearance_in_year(series, 2018, 2013)
    text = clearance_chapter.key_message_of(this_year, None, None).data
    assert "groepsniveau" in text and "Diefstal/verduistering en inbraak" in text
    assert "woninginbraken opgehelderd" not in text

    group = proeftuinen.pilots(ctx)
    text = proeftuinen.key_message_of(ctx, group, None, None, None).data
    assert "gepubliceerde CBS-schattingen" in text and "95%-BI" in text
    assert "In Utrecht voelde in 2023 volgens CBS" in text


def test_the_police_unit_table_prints_the_digits_that_show_significance():
    """A unit whose ratio interval excludes 1 only in the third decimal is printed with three
    (was "0,99 (0,99 tot 1,00)" beside a significant result); the others keep two."""
    import pandas as pd

    class Comparison:
        def to_frame(self):
            return pd.DataFrame(
                {
                    "area": [
                        "Nederland",
                        "Politie-eenheid Oost-Nederland",
                        "Politie-eenheid Zeeland",
                    ],
                    "annual_rate_ratio": [0.95, 0.944, 0.96],
                    "arr_ci_low": [0.949, 0.941, 0.93],
                    "arr_ci_high": [0.951, 0.947, 0.99],
                    "ratio_to_reference": [float("nan"), 0.993, 1.01],
                    "ratio_ci_low": [float("nan"), 0.989, 0.97],
                    "ratio_ci_high": [float("nan"), 0.997, 1.05],
                    "p_value": [float("nan"), 0.001, 0.6],
                }
            )

    text = monitor_open.police_unit_table(Comparison()).data
    assert "<td" in text and "0,993" in text and "0,989" in text and "0,997" in text
    assert "1,01" in text and "0,97" in text and "1,05" in text and "1,010" not in text
    assert "Verhouding: 95%-BI onder" in text


def test_provisional_years_of_the_clearance_and_monthly_tables_are_marked(open_cache):
    """CBS marks the latest periods of 83648NED and 47022NED "Voorlopig": the clearance
    sentence, table and index headline and the monthly figure say so (issue 28 A5)."""
    from rvs_analysis.report.area_data import flagged_years, provisional_from
    from rvs_analysis.report.chapters import crime_change

    ctx = context(open_cache)
    dataset = ctx.dataset
    flagged = flagged_years(dataset.cleared)
    assert flagged  # the feed's latest period of 83648NED is "Voorlopig"
    series = clearance_chapter.clearance_series(ctx)
    assert set(series.provisional) >= flagged
    latest = int(series.yearly["year"].max())
    this_year = clearance_chapter.clearance_in_year(series, latest, latest - 1)
    assert this_year.year_label == f"{latest} (voorlopig)"
    assert f"In {latest} (voorlopig) werden" in this_year.sentence().data
    assert f"{latest} (voorlopig)" in series.table().data
    first = provisional_from(ctx)
    assert first is not None and first.year == min(flagged_years(dataset.monthly))
    months = crime_change.monthly_burglary(ctx)
    assert months.provisional_from == first
    assert months.seasonal_supported  # the region has enough burglaries a month for STL
    figure = months.figure()
    from rvs_analysis.report import figures

    assert "Voorlopig vanaf" in figures.alt_text(figure)
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert "voorlopig" in labels
