"""The masterclass answer check: right, close, wrong and unanswered, without giving answers away."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rvs_analysis import teach


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
