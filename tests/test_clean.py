"""Validation: one test per kind of bad input, plus the CBS quirks that must be undone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rvs_analysis import clean
from rvs_analysis.exceptions import DataValidationError


def crime_text(**changes) -> pd.DataFrame:
    """Three valid crime rows as text (as a CSV is read), with ``changes`` applied to row 2."""
    frame = pd.DataFrame(
        {
            "offence_code": ["1.1.1", "1.1.1", "1.1.1"],
            "offence_label": ["Diefstal/inbraak woning"] * 3,
            "gemeente_code": ["GM0344", "GM0034", "GM0000"],
            "gemeente_name": ["Utrecht", "Almere", ""],
            "year": ["2016", "2016", "2016"],
            "registered_offences": ["1651", "800", "12"],
            "provisional": ["0", "0", "0"],
        }
    )
    for column, value in changes.items():
        frame.loc[1, column] = value
    return frame


KNOWN = {"GM0344", "GM0034"}


def refused(frame, kind="crime", known=KNOWN) -> DataValidationError:
    with pytest.raises(DataValidationError) as caught:
        clean.validate_frame(kind, frame, "registered_crime.csv", known)
    return caught.value


def test_valid_crime_is_typed():
    crime = clean.validate_crime(crime_text(), "registered_crime.csv", KNOWN)
    assert crime["year"].dtype == np.int64
    assert crime["registered_offences"].dtype == np.int64
    assert crime["provisional"].dtype == bool
    assert crime["gemeente_code"].tolist() == ["GM0344", "GM0034", "GM0000"]


def test_missing_required_column():
    error = refused(crime_text().drop(columns=["registered_offences"]))
    assert error.column == "registered_offences" and error.row is None
    assert "registered_crime.csv" in str(error)


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("registered_offences", "abc", "not a number"),
        ("registered_offences", "-3", "negative"),
        ("registered_offences", "12.5", "whole"),
        ("year", "1890", "implausible year"),
        ("year", "2999", "implausible year"),
        ("year", "2016XX01", "period code"),
        ("year", "2016MM13", "period code"),
        ("gemeente_code", "0344", "municipality code"),
        ("gemeente_code", "GM9999", "unknown municipality code"),
        ("gemeente_code", "", "required"),
        ("provisional", "maybe", "0/1"),
    ],
)
def test_bad_value_names_file_column_and_row(column, value, problem):
    error = refused(crime_text(**{column: value}))
    assert error.column == column
    assert error.row == 2
    assert error.file == "registered_crime.csv"
    assert problem in error.problem
    message = str(error)
    assert "registered_crime.csv" in message and f"'{column}'" in message and "row 2" in message


def test_duplicate_key_names_the_second_occurrence():
    frame = crime_text()
    frame.loc[2, "gemeente_code"] = "GM0344"
    error = refused(frame)
    assert error.row == 3 and "duplicate" in error.problem


def test_unknown_code_is_refused_but_gm0000_is_kept_and_reported_apart():
    crime = clean.validate_crime(crime_text(), "registered_crime.csv", {"GM0344", "GM0034"})
    summary = clean.not_attributable_summary(crime)
    assert summary == {"gemeente_code": "GM0000", "rows": 1, "registered_offences": {"1.1.1": 12}}
    with pytest.raises(DataValidationError, match="GM0034"):
        clean.validate_crime(crime_text(), "registered_crime.csv", {"GM0344"})


def test_known_codes_come_from_population_and_region_tables():
    population = pd.DataFrame({"gemeente_code": ["GM0014"], "year": [2016], "population": [1]})
    known = clean.known_municipality_codes(population)
    assert {"GM0014", "GM0344", "GM0620", "GM1961", "GM0363", "GM0000"} <= known
    assert "GM9999" not in known


def test_missing_markers_stay_missing_never_zero():
    for marker in (".", "x", "", "-"):
        crime = clean.validate_crime(
            crime_text(registered_offences=marker), "registered_crime.csv", KNOWN
        )
        assert np.isnan(crime["registered_offences"].iloc[1])
        assert crime["registered_offences"].iloc[0] == 1651


def test_cbs_quirks_padded_keys_and_period_codes():
    frame = crime_text()
    frame["gemeente_code"] = ["GM0344  ", "  GM0034", "GM0000    "]
    frame["offence_code"] = ["1.1.1   "] * 3
    frame["year"] = ["2016JJ00", "2017JJ00", "2016"]
    crime = clean.validate_crime(frame, "TypedDataSet.json", KNOWN)
    assert crime["gemeente_code"].tolist() == ["GM0344", "GM0034", "GM0000"]
    assert crime["offence_code"].tolist() == ["1.1.1"] * 3
    assert crime["year"].tolist() == [2016, 2017, 2016]


def test_parse_periods():
    parsed = clean.parse_periods(pd.Series(["2016JJ00", "2016MM01", "2016KW04", "2019MM12 "]))
    assert parsed["year"].tolist() == [2016, 2016, 2016, 2019]
    assert parsed["period_kind"].tolist() == ["year", "month", "quarter", "month"]
    assert parsed["period_number"].tolist() == [0, 1, 4, 12]
    with pytest.raises(DataValidationError) as caught:
        clean.parse_periods(pd.Series(["2016JJ00", "2016KW05"]), "Perioden.json", "Perioden")
    assert caught.value.row == 2 and caught.value.file == "Perioden.json"


def test_provisional_years_are_flagged():
    frame = crime_text()
    frame["year"] = ["2023", "2024", "2024"]
    frame["provisional"] = ["0", "1", "true"]
    crime = clean.validate_crime(frame, "registered_crime.csv", KNOWN)
    assert clean.provisional_years(crime) == [2024]


def test_population_must_be_complete_per_key():
    population = pd.DataFrame(
        {"gemeente_code": ["GM0344", "GM0344"], "year": ["2016", "2016"], "population": ["1", "2"]}
    )
    with pytest.raises(DataValidationError, match="duplicate"):
        clean.validate_population(population, "population.csv")


def test_cleared_cannot_exceed_registered():
    cleared = pd.DataFrame(
        {
            "gemeente_code": ["GM0344", "GM0034"],
            "year": ["2016", "2016"],
            "offence_code": ["1.1.1", "1.1.1"],
            "registered_offences": ["100", "50"],
            "cleared_offences": ["8", "51"],
            "attempted_offences": ["30", "20"],
        }
    )
    with pytest.raises(DataValidationError) as caught:
        clean.validate_cleared(cleared, "cleared_offences.csv", KNOWN)
    assert caught.value.column == "cleared_offences" and caught.value.row == 2
    cleared.loc[1, "cleared_offences"] = "5"
    valid = clean.validate_cleared(cleared, "cleared_offences.csv", KNOWN)
    assert valid["attempted_offences"].tolist() == [30, 20]


def test_survey_weights_answers_and_months():
    survey = pd.DataFrame(
        {
            "gemeente_code": ["GM0344", "GM0344"],
            "year": ["2017", "2017"],
            "respondent_id": ["r1", "r2"],
            "weight": ["1.2", "0"],
            "feels_unsafe": ["0", "1"],
            "youth_nuisance": ["1", "0"],
        }
    )
    with pytest.raises(DataValidationError, match="greater than zero"):
        clean.validate_survey(survey, "survey_microdata.csv", KNOWN)
    survey.loc[1, "weight"] = "0.8"
    survey.loc[1, "feels_unsafe"] = "2"
    with pytest.raises(DataValidationError, match="0 or 1"):
        clean.validate_survey(survey, "survey_microdata.csv", KNOWN)
    monthly = pd.DataFrame(
        {
            "gemeente_code": ["GM0344"],
            "year": ["2016"],
            "month": ["13"],
            "offence_code": ["1.1.1"],
            "registered_offences": ["4"],
        }
    )
    with pytest.raises(DataValidationError, match="1-12"):
        clean.validate_monthly(monthly, "monthly_crime.csv", KNOWN)


def test_survey_estimates_and_indicators():
    estimates = pd.DataFrame(
        {
            "area_code": ["PL09"],
            "year": ["2021"],
            "indicator": ["onveilig_buurt"],
            "estimate": ["130"],
            "margin": ["1.5"],
        }
    )
    with pytest.raises(DataValidationError, match="0-100"):
        clean.validate_survey_estimates(estimates, "survey_estimates.csv")
    indicators = pd.DataFrame(
        {"area": ["Midden-Nederland"], "year": ["2016"], "indicator": ["witwassen"], "value": ["x"]}
    )
    valid = clean.validate_indicators(indicators, "indicators.csv")
    assert np.isnan(valid["value"].iloc[0])


def test_row_numbers_can_refer_to_the_original_file():
    frame = crime_text(registered_offences="-1")
    with pytest.raises(DataValidationError) as caught:
        clean.validate_frame("crime", frame, "TypedDataSet.json", KNOWN, row_numbers=[10, 20, 30])
    assert caught.value.row == 20
