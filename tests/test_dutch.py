"""Dutch notation (rvs_analysis.dutch) and every generated sentence template, one expected sentence
per case: rise, fall, no change and too few cases."""

from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd
import pytest

from rvs_analysis import dutch
from rvs_analysis.report import wording
from rvs_analysis.report.chapters import monitor, proeftuinen

NAN = math.nan


@pytest.mark.parametrize(
    ("value", "decimals", "signed", "expected"),
    [
        (12564.25, 1, False, "12.564,3"),
        (-4.2, 1, False, "\u22124,2"),
        (3.0, 0, True, "+3"),
        (-0.01, 1, True, "0,0"),
        (1234567, 0, False, "1.234.567"),
        (NAN, 1, False, "–"),
        (None, 1, False, "–"),
    ],
)
def test_numbers(value, decimals, signed, expected):
    assert dutch.fmt_num(value, decimals, signed) == expected


def test_percentages_and_integers():
    assert dutch.fmt_pct(7.8) == "7,8%"
    assert dutch.fmt_pct(-12.0, 0, signed=True) == "\u221212%"
    assert dutch.fmt_int(12564) == "12.564"
    assert dutch.format_number(-4.83) == "\u22124,83" and dutch.format_number(0.1234) == "0,123"
    assert dutch.format_number("behaald") == "behaald" and dutch.format_number(None) == "–"


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (4.15e-200, "p < 0,001"),
        (0.000999, "p < 0,001"),
        (0.001, "p = 0,001"),
        (0.0432, "p = 0,043"),
        (0.97, "p = 0,97"),
        (1.0, "p = 1,00"),
        (NAN, "p niet te berekenen"),
    ],
)
def test_p_values(p, expected):
    assert dutch.fmt_p(p) == expected


def test_dates_are_written_out_in_local_time_without_iso_or_utc():
    assert dutch.fmt_date("2026-12-01") == "1 december 2026"
    assert dutch.fmt_date(dt.date(2014, 3, 9)) == "9 maart 2014"
    moment = dt.datetime(2026, 12, 1, 11, 39, tzinfo=dt.UTC)
    local = moment.astimezone()
    text = dutch.fmt_datetime(moment.isoformat())
    assert text == f"{local.day} december 2026 om {local.hour:02d}:{local.minute:02d}"
    assert "T" not in text and "UTC" not in text and "+" not in text
    assert dutch.fmt_month(pd.Timestamp("2014-03-01")) == "maart 2014"
    assert dutch.fmt_seconds("4.23") == "4,2 seconden" and dutch.fmt_seconds(125) == "2 min 5 s"


def test_report_wording_reexports_the_one_module():
    assert wording.fmt_num is dutch.fmt_num and wording.fmt_p is dutch.fmt_p
    assert wording.MONTHS_NL is dutch.MONTHS_NL


# ---- phrase templates: rise, fall, no change, too few cases ------------------------------------

CI = "95%-BI"


@pytest.mark.parametrize(
    ("estimate", "expected"),
    [
        ((12.0, 4.0, 21.0), f"steeg met 12% ({CI} 4% tot 21%; statistisch significant)"),
        (
            (-8.0, -12.0, -4.0),
            f"daalde met 8% ({CI} \u221212% tot \u22124%; statistisch significant)",
        ),
        (
            (0.2, -3.0, 3.5),
            f"bleef vrijwel gelijk (0%; {CI} \u22123% tot 4%; niet statistisch significant)",
        ),
        ((NAN, NAN, NAN), "is niet te berekenen (te weinig gegevens)"),
        # significant, yet at whole percents the interval would touch 0: digits until it does not
        (
            (0.4, 0.2, 0.7),
            f"steeg met 0,4% ({CI} 0,2% tot 0,7%; statistisch significant)",
        ),
        ((4.2, 0.04, 8.1), f"steeg met 4,20% ({CI} 0,04% tot 8,10%; statistisch significant)"),
    ],
    ids=["rise", "fall", "no change", "too few", "small significant", "bound near zero"],
)
def test_change_phrase(estimate, expected):
    assert wording.change_phrase(estimate) == expected


@pytest.mark.parametrize(
    ("low", "high", "null", "decimals", "expected"),
    [
        (0.2, 0.7, 0.0, 0, 1),  # "0% tot 1%" would touch zero
        (-3.0, 3.5, 0.0, 0, 0),  # holds zero: as usual
        (0.989, 0.997, 1.0, 2, 3),  # a ratio "0,99 tot 1,00" -> "0,989 tot 0,997"
        (0.95, 0.99, 1.0, 2, 2),
        (1.00001, 1.00002, 1.0, 2, 4),  # never more than four
        (NAN, 2.0, 0.0, 1, 1),
    ],
)
def test_shown_decimals_show_an_interval_excluding_the_null(low, high, null, decimals, expected):
    shown = wording.shown_decimals(low, high, null, decimals)
    assert shown == expected
    if expected < 4 and wording.interval_excludes(low, high, null):
        assert dutch.fmt_num(low if low > null else high, shown) != dutch.fmt_num(null, shown)


@pytest.mark.parametrize(
    ("estimate", "expected"),
    [
        (
            (1.05, 1.02, 1.08),
            f"steeg per jaar met 5,0% ({CI} 2,0% tot 8,0%; statistisch significant)",
        ),
        (
            (0.959, 0.95, 0.968),
            f"daalde per jaar met 4,1% ({CI} \u22125,0% tot \u22123,2%; statistisch significant)",
        ),
        (
            (1.0, 0.98, 1.02),
            f"bleef per jaar vrijwel gelijk (0,0%; {CI} \u22122,0% tot 2,0%; niet statistisch "
            "significant)",
        ),
        ((NAN, NAN, NAN), "is niet te berekenen (te weinig gegevens)"),
    ],
    ids=["rise", "fall", "no change", "too few"],
)
def test_ratio_phrase(estimate, expected):
    assert wording.ratio_phrase(estimate) == expected


@pytest.mark.parametrize(
    ("estimate", "expected"),
    [
        (
            (2.5, 0.5, 4.5),
            f"+2,5 procentpunt ({CI} 0,5 tot 4,5 procentpunt; statistisch significant)",
        ),
        (
            (-4.2, -6.0, -2.4),
            f"\u22124,2 procentpunt ({CI} \u22126,0 tot \u22122,4 procentpunt; statistisch "
            "significant)",
        ),
        (
            (0.0, -1.5, 1.5),
            f"0,0 procentpunt ({CI} \u22121,5 tot 1,5 procentpunt; niet statistisch significant)",
        ),
        ((NAN, NAN, NAN), "niet te berekenen (te weinig gegevens)"),
    ],
    ids=["rise", "fall", "no change", "too few"],
)
def test_difference_phrase(estimate, expected):
    assert wording.difference_phrase(estimate) == expected


@pytest.mark.parametrize(
    ("estimate", "expected"),
    [
        ((1.12, 1.05, 1.20), f"1,12 ({CI} 1,05 tot 1,20; statistisch significant)"),
        ((0.80, 0.70, 0.90), f"0,80 ({CI} 0,70 tot 0,90; statistisch significant)"),
        ((1.00, 0.90, 1.10), f"1,00 ({CI} 0,90 tot 1,10; niet statistisch significant)"),
        ((NAN, NAN, NAN), "niet te berekenen"),
    ],
    ids=["rise", "fall", "no change", "too few"],
)
def test_ratio_value_phrase(estimate, expected):
    assert wording.ratio_value_phrase(estimate) == expected


def test_names_and_probability_phrases():
    assert wording.names_phrase([]) == "geen gemeenten"
    assert wording.names_phrase(["Laren"]) == "1 gemeente (Laren)"
    assert wording.names_phrase(["A", "B", "C"]) == "3 gemeenten (A, B en C)"
    assert wording.fmt_probability(0.004) == "minder dan 1%"
    assert wording.fmt_probability(0.555) == "56%"


# ---- chapter sentences -------------------------------------------------------------------------


# the extremes of five districts are picked by their value: interval, no significance claim
RANKING = (
    " Wie bovenaan of onderaan staat is deels toeval: of een district echt veranderde, staat per "
    "district in de tabel (die toets geldt voor elk district apart, niet voor de rangorde)."
)


def _comparison(changes):
    rows = [
        {"area": name, "level": "district", "change_pct": value, "ci_low": value - 5,
         "ci_high": value + 5}
        for name, value in changes.items()
    ]  # fmt: skip
    rows.append(
        {"area": "Midden-Nederland", "level": "region", "change_pct": -10.0, "ci_low": -12.0,
         "ci_high": -8.0}
    )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"Flevoland": 20.0, "Stad Utrecht": 10.0},
            "Geen district had een daling; de kleinste stijging had Stad Utrecht: het aantal "
            f"woninginbraken steeg met 10% ({CI} 5% tot 15%). De sterkste stijging had Flevoland: "
            f"het aantal woninginbraken steeg met 20% ({CI} 15% tot 25%).{RANKING}",
        ),
        (
            {"Gooi en Vechtstreek": -42.0, "West-Utrecht": -30.0},
            "De sterkste daling had Gooi en Vechtstreek: het aantal woninginbraken daalde met 42% "
            f"({CI} \u221247% tot \u221237%). De kleinste daling had West-Utrecht: het aantal "
            f"woninginbraken daalde met 30% ({CI} \u221235% tot \u221225%).{RANKING}",
        ),
        (
            {"Flevoland": 0.0, "Oost-Utrecht": 0.2},
            "Geen district had een daling; de kleinste verandering had Flevoland: het aantal "
            f"woninginbraken bleef vrijwel gelijk (0%; {CI} \u22125% tot 5%). De kleinste "
            "verandering had Oost-Utrecht: het aantal woninginbraken bleef vrijwel gelijk (0%; "
            f"{CI} \u22125% tot 5%).{RANKING}",
        ),
        (
            {"Flevoland": NAN},
            "Per district zijn er te weinig gevallen om de verandering van het aantal "
            "woninginbraken te berekenen.",
        ),
    ],
    ids=["rise", "fall", "no change", "too few"],
)
def test_district_sentence(changes, expected):
    assert monitor.district_sentence(_comparison(changes)).data == expected


class _Ctx:
    def __init__(self, name):
        self.area = type("Area", (), {"name": name})()


def _pilots(in_area):
    table = pd.DataFrame({"gemeente_name": ["Almere", "Lelystad", "Woerden"], "in_area": in_area})
    return proeftuinen.Pilots(table=table, start_year=2017, survey=pd.DataFrame())


def _series(first, last):
    return pd.DataFrame(
        {
            "year": [2011, 2019],
            "estimate_pct_unsafe": [first[0], last[0]],
            "ci_low_unsafe": [first[1], last[1]],
            "ci_high_unsafe": [first[2], last[2]],
            "n_effective_unsafe": [1000.0, 1000.0],
        }
    )


@pytest.mark.parametrize(
    ("in_area", "series", "expected"),
    [
        (
            [True, True, False],
            _series((14.0, 13.0, 15.0), (18.0, 17.0, 19.0)),
            "In Flevoland liggen 2 proeftuinen: Almere en Lelystad. Het aandeel inwoners dat zich "
            f"weleens onveilig voelt was 14,0% in 2011 ({CI} 13,0% tot 15,0%) en 18,0% in 2019 "
            f"({CI} 17,0% tot 19,0%); het verschil is +4,0 procentpunt ({CI} 0,8 tot 7,2 "
            "procentpunt; statistisch significant). "
            "(Of twee intervallen overlappen zegt niet of het verschil significant is; daarom is het "
            "verschil zelf getoetst.)",
        ),
        (
            [False, False, True],
            _series((20.0, 19.0, 21.0), (16.0, 15.0, 17.0)),
            "In Flevoland ligt één proeftuin: Woerden. Het aandeel inwoners dat zich weleens "
            f"onveilig voelt was 20,0% in 2011 ({CI} 19,0% tot 21,0%) en 16,0% in 2019 ({CI} "
            f"15,0% tot 17,0%); het verschil is \u22124,0 procentpunt ({CI} \u22127,4 tot "
            "\u22120,6 procentpunt; statistisch significant). "
            "(Of twee intervallen overlappen zegt niet of het verschil significant is; daarom is het "
            "verschil zelf getoetst.)",
        ),
        (
            [True, True, True],
            _series((15.0, 13.0, 17.0), (15.2, 13.1, 17.3)),
            "In Flevoland liggen alle 3 proeftuinen: Almere, Lelystad en Woerden. Het aandeel "
            f"inwoners dat zich weleens onveilig voelt was 15,0% in 2011 ({CI} 13,0% tot 17,0%) "
            f"en 15,2% in 2019 ({CI} 13,1% tot 17,3%); het verschil is +0,2 procentpunt ({CI} "
            "\u22122,9 tot 3,3 procentpunt; niet statistisch significant). "
            "(Of twee intervallen overlappen zegt niet of het verschil significant is; daarom is het "
            "verschil zelf getoetst.)",
        ),
        (
            [False, False, False],
            _series((NAN, NAN, NAN), (NAN, NAN, NAN)),
            "In Flevoland ligt geen van de 3 proeftuinen. Voor een vergelijking van metingen zijn "
            "er in dit gebied te weinig respondenten (minder dan 100 per meting).",
        ),
    ],
    ids=["rise", "fall", "no change", "too few"],
)
def test_own_series_sentence(in_area, series, expected):
    sentence = proeftuinen.own_series_sentence(_Ctx("Flevoland"), _pilots(in_area), series)
    assert sentence.data == expected


@pytest.mark.parametrize(
    ("estimate", "expected"),
    [
        ((12.0, 4.0, 21.0), f"een stijging van 12% ({CI} 4% tot 21%; statistisch significant)"),
        (
            (-8.0, -11.0, -5.0),
            f"een daling van 8% ({CI} \u221211% tot \u22125%; statistisch significant)",
        ),
        (
            (0.0, -3.0, 3.0),
            f"vrijwel gelijk (0%; {CI} \u22123% tot 3%; niet statistisch significant)",
        ),
        ((NAN, NAN, NAN), "niet te berekenen (te weinig gegevens)"),
    ],
    ids=["rise", "fall", "no change", "too few"],
)
def test_change_noun(estimate, expected):
    assert wording.change_noun(estimate) == expected


class _Results:
    area = "Flevoland"
    report_year, target_year = 2016, 2018

    def __init__(self, change, counts):
        self._change, self._counts = change, counts
        self.known = list(range(sum(counts.values())))

    def burglary(self):
        return pd.Series({"this_year": 2016, "previous_year": 2015, "value": 1544.0})

    def burglary_change(self):
        return self._change

    def count(self, status):
        return self._counts.get(status, 0)

    measured = False
    has_targets = True
    strategy = "Regionale Veiligheidsstrategie 2015-2018"

    def judged(self):
        return None

    def targets_sentence(self):
        return monitor.Results.targets_sentence(self)

    def status_counts(self):
        return {status: self.count(status) for status in wording.TARGET_STATUSES_NL}

    def year_label(self, year):
        return str(int(year))


def _burglary(forecast):
    from types import SimpleNamespace

    status = SimpleNamespace(
        forecast=forecast,
        target=SimpleNamespace(value=2026.0),
        probability_meeting_target=0.999,
    )
    return SimpleNamespace(status=status, target_year=2018)


@pytest.mark.parametrize(
    ("change", "forecast", "expected_first", "expected_third"),
    [
        (
            (5.0, 1.0, 9.0),
            (1252.0, 1159.0, 1350.0),
            f"In 2016 telde Flevoland 1.544 woninginbraken: een stijging van 5% ({CI} 1% tot 9%; "
            "statistisch significant) ten opzichte van 2015.",
            "Als de trend doorzet, komt het aantal woninginbraken in 2018 uit op 1.252 "
            "(95%-voorspellingsinterval 1.159 tot 1.350) tegen een doel van 2.026; de kans dat "
            "het doel gehaald wordt is meer dan 99%.",
        ),
        (
            (-8.0, -14.0, -1.0),
            (1252.0, 1159.0, 1350.0),
            f"In 2016 telde Flevoland 1.544 woninginbraken: een daling van 8% ({CI} \u221214% tot "
            "\u22121%; statistisch significant) ten opzichte van 2015.",
            None,
        ),
        (
            (0.1, -4.0, 4.0),
            (1252.0, 1159.0, 1350.0),
            f"In 2016 telde Flevoland 1.544 woninginbraken: vrijwel gelijk (0%; {CI} \u22124% tot "
            "4%; niet statistisch significant) ten opzichte van 2015.",
            None,
        ),
        (
            (NAN, NAN, NAN),
            None,
            "In 2016 telde Flevoland 1.544 woninginbraken; voor een verandering ten opzichte van "
            "2015 zijn het te weinig gevallen.",
            "Voor woninginbraak is geen prognose te maken (te weinig jaren).",
        ),
    ],
    ids=["rise", "fall", "no change", "too few"],
)
def test_monitor_key_message(change, forecast, expected_first, expected_third):
    from types import SimpleNamespace

    if forecast is not None:
        forecast = SimpleNamespace(mean=forecast[0], pi_low=forecast[1], pi_high=forecast[2])
    results = _Results(change, {"op koers": 8, "waarschijnlijk op koers": 1, "onzeker": 2})
    html = monitor.key_message_of(results, _burglary(forecast)).data
    sentences = re.findall(r"<p>(.*?)</p>", html)
    assert html.startswith('<div class="rvs-kernboodschap"><h2>Kernboodschap</h2>')
    assert len(sentences) == 3
    assert sentences[0] == expected_first
    assert sentences[1] == (
        "Van de 11 doelen met gegevens: naar de prognose voor 2018 8 op koers, 1 waarschijnlijk "
        "op koers en 2 onzeker."
    )
    if expected_third:
        assert sentences[2] == expected_third


@pytest.mark.parametrize(
    ("counts", "judged", "forecast_year", "expected"),
    [
        (
            {"op koers": 8, "waarschijnlijk op koers": 1, "onzeker": 2},
            None,
            2018,
            "Van de 11 doelen met gegevens: naar de prognose voor 2018 8 op koers, 1 "
            "waarschijnlijk op koers en 2 onzeker.",
        ),
        (
            {"op koers": 2, "niet op koers": 8, "behaald": 1},
            None,
            2018,
            "Van de 11 doelen met gegevens: naar de prognose voor 2018 2 op koers en 8 niet op "
            "koers; gemeten in hun eigen, eerdere doeljaar 1 behaald.",
        ),
        (
            {"behaald": 7, "niet behaald": 3, "op de grens": 1},
            "2018 (afgehandelde verdachten: 2016)",
            None,
            "Van de 11 doelen met gegevens, beoordeeld op de gemeten waarde van 2018 "
            "(afgehandelde verdachten: 2016): 7 behaald, 3 niet behaald en 1 op de grens.",
        ),
        (
            {"op koers": 1},
            None,
            2018,
            "Van het ene doel met gegevens: naar de prognose voor 2018 1 op koers.",
        ),
    ],
    ids=["forecast", "at risk, one measured early", "judged on the target year", "one target"],
)
def test_targets_sentence_counts_what_it_says_and_never_says_behaald_for_a_forecast(
    counts, judged, forecast_year, expected
):
    sentence = wording.targets_sentence(counts, judged, forecast_year)
    assert sentence == expected
    if forecast_year is not None:
        assert "behaald" not in sentence.split(";")[0]


def _monitor_summary(change, judged=False):
    estimates = {
        "burglary_count": {"estimate": 1544.0, "year": 2016, "previous_year": 2015},
    }
    if change is not None:
        estimates["burglary_change_pct"] = dict(
            zip(["estimate", "ci_low", "ci_high"], change, strict=True)
        )
    if judged:
        headline = {"Doelen behaald": 8, "Doelen niet behaald": 3, "Doelen beoordeeld op": "2018"}
    else:
        headline = {"Doelen op koers": 8, "Doelen waarschijnlijk op koers": 1, "Doelen onzeker": 2}
    return {"estimates": estimates, "headline": headline, "parameters": {"target_year": 2018}}


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (
            _monitor_summary((5.0, 1.0, 9.0)),
            [
                f"In 2016 telde Midden-Nederland 1.544 woninginbraken: een stijging van 5% ({CI} 1% "
                "tot 9%; statistisch significant) ten opzichte van 2015.",
                "Van de 11 doelen met gegevens: naar de prognose voor 2018 8 op koers, 1 "
                "waarschijnlijk op koers en 2 onzeker.",
            ],
        ),
        (
            _monitor_summary((-8.0, -14.0, -1.0), judged=True),
            [
                "In 2016 telde Midden-Nederland 1.544 woninginbraken: een daling van 8% "
                f"({CI} \u221214% tot \u22121%; statistisch significant) ten opzichte van 2015.",
                "Van de 11 doelen met gegevens, beoordeeld op de gemeten waarde van 2018: 8 "
                "behaald en 3 niet behaald.",
            ],
        ),
        (
            _monitor_summary((0.2, -4.0, 4.0)),
            [
                "In 2016 telde Midden-Nederland 1.544 woninginbraken: vrijwel gelijk (0%; "
                f"{CI} \u22124% tot 4%; niet statistisch significant) ten opzichte van 2015.",
                "Van de 11 doelen met gegevens: naar de prognose voor 2018 8 op koers, 1 "
                "waarschijnlijk op koers en 2 onzeker.",
            ],
        ),
        (
            _monitor_summary(None),
            [
                "In 2016 telde Midden-Nederland 1.544 woninginbraken; voor een verandering ten "
                "opzichte van 2015 zijn het te weinig gevallen.",
                "Van de 11 doelen met gegevens: naar de prognose voor 2018 8 op koers, 1 "
                "waarschijnlijk op koers en 2 onzeker.",
            ],
        ),
    ],
    ids=["rise", "fall", "no change", "too few"],
)
def test_index_key_message_follows_the_monitor(summary, expected):
    from rvs_analysis.render import html

    assert html.key_message(summary, "Midden-Nederland") == expected
    assert html.key_message(None, "Midden-Nederland") == []


def test_a_flag_is_set_only_when_it_is_true_never_when_it_is_missing():
    """Issue 28 A1: bool(nan) is True, so a NaN too_few printed 'te weinig gevallen' beside
    5.666 burglaries."""
    import numpy as np
    import pandas as pd

    from rvs_analysis.dutch import is_set

    assert is_set(True) and is_set(np.True_) and is_set(1)
    for unset in (False, np.False_, 0, None, float("nan"), np.nan, pd.NA):
        assert not is_set(unset)


def test_a_large_burglary_change_with_an_unset_too_few_flag_gets_its_percentage():
    import numpy as np
    import pandas as pd

    from rvs_analysis.report.chapters import monitor

    row = pd.Series(
        {"too_few": np.nan, "change_pct": 0.8, "change_low": -16.0, "change_high": 21.0}
    )
    text = monitor._burglary_change_text(row)
    assert "te weinig" not in text and "%" in text
    assert "te weinig" in monitor._burglary_change_text(row.replace({np.nan: True}))
