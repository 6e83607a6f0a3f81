"""The masterclass answer check: right, close, wrong and unanswered, without giving answers away."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rvs_analysis.teach import checker as teach


@pytest.fixture
def exercises(monkeypatch):
    """A private exercise table with known truths, so these tests do not need the demo data."""
    monkeypatch.setattr(teach, "EXERCISES", {})
    teach._cached_truth.cache_clear()
    teach.register(teach.Exercise("count", "Hoeveel?", lambda: 1234, tolerance=0.5, close=20))
    teach.register(
        teach.Exercise("percentage", "Welk percentage?", lambda: 37.25, tolerance=0.05, close=1)
    )
    teach.register(teach.Exercise("significant", "Significant?", lambda: False, kind="bool"))
    teach.register(
        teach.Exercise("names", "Welke?", lambda: ["Bussum", "Muiden", "Naarden"], kind="set")
    )
    teach.register(
        teach.Exercise(
            "per_district",
            "Per district?",
            lambda: pd.Series({"Flevoland": 10.0, "Stad Utrecht": 20.0}),
            kind="mapping",
            tolerance=0.5,
            close=2,
        )
    )
    yield
    teach._cached_truth.cache_clear()


def test_right_answer_is_goed(exercises, capsys):
    result = teach.check("count", 1234)
    assert result.verdict == "goed" and result.correct
    assert "goed" in capsys.readouterr().out


def test_right_answer_in_numpy_and_pandas_shapes(exercises):
    assert teach.check("count", np.int64(1234)).verdict == "goed"
    assert teach.check("count", pd.Series([1234.2])).verdict == "goed"
    assert teach.check("percentage", 37.3).verdict == "goed"


def test_close_answer_is_bijna(exercises):
    assert teach.check("count", 1240).verdict == "bijna"
    assert teach.check("percentage", 37.9).verdict == "bijna"


def test_wrong_answer_is_fout(exercises):
    result = teach.check("count", 2000)
    assert result.verdict == "fout"
    assert "te hoog" in result.message
    assert teach.check("count", 100).verdict == "fout"
    assert teach.check("count", "veel").verdict == "fout"


def test_placeholders_are_not_yet_answered(exercises, capsys):
    for placeholder in (..., None):
        result = teach.check("count", placeholder)
        assert result.verdict == "nog niet beantwoord"
        assert not result.correct
    assert "nog niet beantwoord" in capsys.readouterr().out


def test_the_truth_is_never_printed(exercises, capsys):
    for answer in (..., 1234, 1240, 2000, 12.34):
        teach.check("count", answer)
    assert "1234" not in capsys.readouterr().out.replace("Controle 'count'", "")


def test_common_slips_get_a_hint_not_the_answer(exercises):
    fraction = teach.check("percentage", 0.3725)
    assert fraction.verdict == "bijna"
    assert "fractie" in fraction.message
    assert "37" not in fraction.message


def test_tolerance_argument_widens_or_narrows_goed(exercises):
    assert teach.check("count", 1240, tolerance=10).verdict == "goed"
    assert teach.check("count", 1234.4, tolerance=0.1).verdict == "bijna"


def test_bool_answers(exercises):
    assert teach.check("significant", False).verdict == "goed"
    assert teach.check("significant", np.bool_(False)).verdict == "goed"
    assert teach.check("significant", "nee").verdict == "goed"
    assert teach.check("significant", True).verdict == "fout"
    assert teach.check("significant", 3).verdict == "fout"


def test_set_answers(exercises):
    assert teach.check("names", {"naarden", "Bussum ", "Muiden"}).verdict == "goed"
    assert teach.check("names", ["Bussum", "Muiden"]).verdict == "bijna"
    assert teach.check("names", ["Hilversum", "Laren"]).verdict == "fout"
    assert teach.check("names", "Bussum").verdict == "fout"


def test_mapping_answers(exercises):
    right = pd.Series({"Flevoland": 10.2, "Stad Utrecht": 20.0})
    assert teach.check("per_district", right).verdict == "goed"
    assert teach.check("per_district", {"Flevoland": 11.0, "Stad Utrecht": 20}).verdict == "bijna"
    assert teach.check("per_district", {"Flevoland": 30, "Stad Utrecht": 20}).verdict == "fout"
    missing = teach.check("per_district", {"Flevoland": 10})
    assert missing.verdict == "fout" and "Stad Utrecht" in missing.message


def test_unknown_exercise_lists_the_known_ones(exercises):
    with pytest.raises(KeyError, match="count"):
        teach.check("bestaat_niet", 1)


def test_exercise_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        teach.Exercise("x", "?", lambda: 1, kind="matrix")


# ------------------------------------------------------------------------------------------------
# The registered exercises of the masterclass notebooks (truths computed from the demo data, the
# region tables and the CBS-shaped sample at check time)
# ------------------------------------------------------------------------------------------------

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "registered_crime.csv"


@pytest.fixture(scope="module")
def truths():
    if not DEMO.exists():
        pytest.skip("data/demo is missing: run 'rvs demo-data' first")
    teach._cached_truth.cache_clear()
    return {name: teach.truth_of(name) for name in teach.EXERCISES}


def test_every_registered_truth_can_be_computed(truths):
    assert set(truths) == set(teach.EXERCISES)
    for name, truth in truths.items():
        kind = teach.EXERCISES[name].kind
        if kind == "number":
            assert np.isfinite(float(truth)), name
        elif kind == "bool":
            assert isinstance(truth, bool | np.bool_), name
        else:
            assert len(truth) > 0, name


def test_the_truth_itself_is_goed_and_a_far_answer_fout(truths, capsys):
    for name, truth in truths.items():
        assert teach.check(name, truth).verdict == "goed", name
        if teach.EXERCISES[name].kind == "number":
            assert teach.check(name, 3 * float(truth) + 1000).verdict == "fout", name
    assert all(str(value) not in capsys.readouterr().out for value in truths.values())


def test_truths_follow_the_data_not_typed_in_numbers(truths, monkeypatch):
    """A truth computed from the data changes when the data change."""
    import dataclasses

    original = teach._demo()
    crime = original.crime.copy()
    burglary = crime["offence_code"] == "1.1.1"
    crime.loc[burglary, "registered_offences"] = crime.loc[burglary, "registered_offences"] * 2
    monkeypatch.setattr(teach, "_demo", lambda: dataclasses.replace(original, crime=crime))
    teach._cached_truth.cache_clear()
    try:
        doubled = teach.truth_of("inbraak_per_district_2016")
        assert np.allclose(doubled, 2 * truths["inbraak_per_district_2016"], atol=1)
    finally:
        teach._cached_truth.cache_clear()


def test_planted_pilot_effect_lies_in_the_library_interval_around_the_hand_did(truths):
    """The hand-computed DiD of masterclass 3 is close to the effect the demo data plant."""
    from rvs_analysis.sources import demo

    planted = demo.truth()["effects"]["pilot_effect_feels_unsafe_pp"]["value"]
    assert abs(truths["did_procentpunten"] - planted) < 2.0
    assert abs(truths["placebo_did_procentpunten"]) < 1.5
