"""The masterclass answer check: right, close, known slips, wrong and unanswered, no answers given away."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rvs_analysis.teach import checker as teach
from rvs_analysis.teach import exercises as exercises_module

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "notebooks" / "masterclass" / "TRAINER.md"
BOUNDARY_SET = ROOT / "notebooks" / "masterclass" / "data" / "grenzen_2024"


def _register(exercise, reference):
    teach.add_exercise(exercise, lambda: reference)


@pytest.fixture
def exercises(monkeypatch):
    """A private exercise table with known references, so these tests do not need the demo data."""
    monkeypatch.setattr(teach, "_EXERCISES", {})
    monkeypatch.setattr(teach, "_REFERENCES", {})
    monkeypatch.setattr(teach, "_ATTEMPTS", teach.Counter())
    teach._reference.cache_clear()
    _register(
        teach.Exercise(
            "count",
            "Hoeveel?",
            tolerance=0.5,
            close=20,
            slips=(teach.Slip("je het jaar ervoor hebt genomen.", lambda _: 1250),),
        ),
        1234,
    )
    _register(
        teach.Exercise(
            "percentage",
            "Welk percentage?",
            tolerance=0.05,
            close=1,
            slips=(*teach.factor_slips(100), teach.SIGN_FLIP),
        ),
        37.25,
    )
    _register(teach.Exercise("significant", "Significant?", kind="bool"), False)
    _register(
        teach.Exercise(
            "names",
            "Welke?",
            kind="set",
            slips=(
                teach.Slip(
                    exercises_module.CODES_NOT_NAMES, lambda _: {"GM0381", "GM0424", "GM0425"}
                ),
            ),
        ),
        ["Bussum", "Muiden", "Naarden"],
    )
    _register(
        teach.Exercise(
            "per_district",
            "Per district?",
            kind="mapping",
            tolerance=0.5,
            close=2,
            slips=(
                teach.Slip(
                    "je niet hebt geharmoniseerd.",
                    lambda _: {"Flevoland": 10.0, "Stad Utrecht": 19.0},
                ),
            ),
        ),
        pd.Series({"Flevoland": 10.0, "Stad Utrecht": 20.0}),
    )
    _register(
        teach.Exercise(
            "keuze",
            "Welke letter?",
            kind="choice",
            choices=("A", "B", "C"),
            slips=(teach.Slip("A het geval is, maar dat is het niet.", lambda _: "A"),),
        ),
        "B",
    )
    yield
    teach._reference.cache_clear()


def test_right_answer_is_goed(exercises, capsys):
    result = teach.check("count", 1234)
    assert result.verdict == "goed" and result.correct
    assert "goed" in capsys.readouterr().out


def test_right_answer_in_numpy_and_pandas_shapes(exercises):
    assert teach.check("count", np.int64(1234)).verdict == "goed"
    assert teach.check("count", pd.Series([1234.2])).verdict == "goed"
    assert teach.check("percentage", 37.3).verdict == "goed"


def test_close_answer_is_bijna(exercises):
    assert teach.check("count", 1230).verdict == "bijna"
    assert teach.check("percentage", 37.9).verdict == "bijna"


def test_a_known_slip_gets_its_hint_before_the_bijna_band(exercises):
    """1250 lies inside the bijna band (20) but is the slip's value: the slip wins."""
    result = teach.check("count", 1250)
    assert result.verdict == "fout"
    assert result.slip == "je het jaar ervoor hebt genomen."
    assert "jaar ervoor" in result.message
    # rounding near the reference is never taken for the slip
    assert teach.check("count", 1241).verdict == "bijna"


def test_factor_slips_and_a_flipped_sign(exercises):
    fraction = teach.check("percentage", 0.3725)
    assert fraction.verdict == "fout" and "factor 100 te klein" in fraction.message
    assert "37" not in fraction.message
    assert "factor 100 te groot" in teach.check("percentage", 3725).message
    assert "teken" in teach.check("percentage", -37.25).message


def test_wrong_answer_says_direction_only_for_the_first_tries(exercises):
    messages = [teach.check("count", 2000 + attempt).message for attempt in range(5)]
    assert all("te hoog" in message for message in messages[: teach.DIRECTION_TRIES])
    assert not any(
        "te hoog" in message or "te laag" in message
        for message in messages[teach.DIRECTION_TRIES :]
    )
    assert teach.check("count", "veel").verdict == "fout"


def test_placeholders_are_not_yet_answered(exercises, capsys):
    for placeholder in (..., None):
        result = teach.check("count", placeholder)
        assert result.verdict == "nog niet beantwoord"
        assert not result.correct
    assert "nog niet beantwoord" in capsys.readouterr().out


def test_the_reference_is_never_printed(exercises, capsys):
    for answer in (..., 1234, 1240, 1250, 2000, 12.34):
        teach.check("count", answer)
    assert "1234" not in capsys.readouterr().out.replace("Controle 'count'", "")


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
    codes = teach.check("names", ["GM0381", "GM0424", "GM0425"])
    assert codes.verdict == "fout" and codes.slip == exercises_module.CODES_NOT_NAMES


def test_mapping_answers(exercises):
    right = pd.Series({"Flevoland": 10.2, "Stad Utrecht": 20.0})
    assert teach.check("per_district", right).verdict == "goed"
    assert teach.check("per_district", {"Flevoland": 11.0, "Stad Utrecht": 20}).verdict == "bijna"
    assert teach.check("per_district", {"Flevoland": 30, "Stad Utrecht": 20}).verdict == "fout"
    slip = teach.check("per_district", {"Flevoland": 10, "Stad Utrecht": 19})
    assert slip.verdict == "fout" and "geharmoniseerd" in slip.message
    missing = teach.check("per_district", {"Flevoland": 10})
    assert missing.verdict == "fout" and "Stad Utrecht" in missing.message


def test_choice_answers(exercises):
    assert teach.check("keuze", "b").verdict == "goed"
    assert teach.check("keuze", " (B) ").verdict == "goed"
    slip = teach.check("keuze", "A")
    assert slip.verdict == "fout" and "Je denkt misschien dat A" in slip.message
    assert teach.check("keuze", "C").verdict == "fout"
    assert "één letter" in teach.check("keuze", "E").message


def test_unknown_exercise_lists_the_known_ones(exercises):
    with pytest.raises(KeyError, match="count"):
        teach.check("bestaat_niet", 1)


def test_exercise_rejects_unknown_kind_and_choices_without_kind():
    with pytest.raises(ValueError, match="kind"):
        teach.Exercise("x", "?", kind="matrix")
    with pytest.raises(ValueError, match="choices"):
        teach.Exercise("x", "?", kind="text", choices=("A", "B"))


# ------------------------------------------------------------------------------------------------
# The registered exercises of the masterclass notebooks (references computed at check time from the
# demo data, the region tables, the CBS-shaped sample and the boundary exercise set)
# ------------------------------------------------------------------------------------------------

DEMO = ROOT / "data" / "demo" / "registered_crime.csv"


@pytest.fixture(scope="module")
def references():
    # the demo data are committed: their absence is a regression, not a reason to skip
    assert DEMO.exists(), f"{DEMO} is missing (run 'rvs demo-data')"
    teach._reference.cache_clear()
    return {name: teach._reference(name) for name in teach.exercise_names()}


@pytest.fixture
def fresh_attempts(monkeypatch):
    monkeypatch.setattr(teach, "_ATTEMPTS", teach.Counter())


def test_every_registered_reference_can_be_computed(references):
    assert set(references) == set(teach.exercise_names())
    for name, reference in references.items():
        kind = teach._EXERCISES[name].kind
        if kind == "number":
            assert np.isfinite(float(reference)), name
        elif kind == "bool":
            assert isinstance(reference, bool | np.bool_), name
        else:
            assert len(reference) > 0, name


def test_the_reference_itself_is_goed_and_a_far_answer_fout(references, fresh_attempts, capsys):
    for name, reference in references.items():
        assert teach.check(name, reference).verdict == "goed", name
        if teach._EXERCISES[name].kind == "number":
            assert teach.check(name, 3 * float(reference) + 1000).verdict == "fout", name
    assert all(str(value) not in capsys.readouterr().out for value in references.values())


def _slip_cases():
    return [
        (name, index)
        for name in teach.exercise_names()
        for index in range(len(teach._EXERCISES[name].slips))
    ]


@pytest.mark.parametrize(("name", "index"), _slip_cases())
def test_every_known_slip_gets_its_targeted_hint_never_bijna(
    references, fresh_attempts, name, index
):
    exercise = teach._EXERCISES[name]
    slip = exercise.slips[index]
    wrong_answers = teach._wrong_values(slip, references[name])
    assert wrong_answers, f"{name}: slip {slip.hint!r} produces no wrong answer"
    for wrong in wrong_answers:
        result = teach.check(name, wrong)
        assert result.verdict == "fout", (name, slip.hint, result)
        assert result.slip == slip.hint, (name, slip.hint, result.message)
        assert slip.hint in result.message


def test_every_numeric_exercise_lists_its_slips():
    for name in teach.exercise_names():
        exercise = teach._EXERCISES[name]
        if exercise.kind in {"number", "set", "text", "mapping", "choice"}:
            assert exercise.slips, f"{name} has no known slips"


def test_the_issue_slips_are_named(references, fresh_attempts):
    """The slips the issue found misjudged: each now gets its targeted hint."""
    rate = references["inbraak_per_1000_gooise_meren_2015"]
    cases = {"inbraak_per_1000_gooise_meren_2015": (rate / 10, "per 100")}
    cases["vianen_opvolger"] = ("GM1961", "GM-codes")
    cases["trend_jaarverhouding_regio"] = (
        exercises_module._region_trend_ratio(offset=False),
        "offset",
    )
    cases["placebo_did_procentpunten"] = (-references["placebo_did_procentpunten"], "teken")
    cases["cbs_inbraak_gooise_meren_2016"] = (
        exercises_module._sample_count("GM1942", 2015),
        "naburig jaar",
    )
    cases["poisson_ondergrens_klein"] = (exercises_module._poisson_bound(0.05), "90%")
    cases["did_procentpunten"] = (-references["did_procentpunten"], "teken")
    for name, (answer, words) in cases.items():
        result = teach.check(name, answer)
        assert result.verdict == "fout" and words in result.message, (name, result.message)
    population_2016 = exercises_module._gooise_meren_rate(
        exercises_module._sample_population("GM1942", 2016)
    )
    wrong_year = teach.check("inbraak_per_1000_gooise_meren_2015", population_2016)
    assert wrong_year.slip == exercises_module.WRONG_DENOMINATOR_YEAR
    log = teach.check(
        "trend_jaarverhouding_regio", np.log(references["trend_jaarverhouding_regio"])
    )
    assert "exponent" in log.message


def test_each_notebook_has_a_checked_interpretation_question():
    interpretation = {"benadering_weesp", "verwacht_buiten_door_toeval", "pretrendtoets_conclusie"}
    assert interpretation <= set(teach.exercise_names())


def test_references_follow_the_data_not_typed_in_numbers(references, monkeypatch):
    """A reference computed from the data changes when the data change."""
    import dataclasses

    original = exercises_module._boundary_set()
    crime = original.crime.copy()
    crime["registered_offences"] = crime["registered_offences"] * 2
    monkeypatch.setattr(
        exercises_module, "_boundary_set", lambda: dataclasses.replace(original, crime=crime)
    )
    teach._reference.cache_clear()
    try:
        doubled = teach._reference("inbraak_per_district_2016")
        assert np.allclose(doubled, 2 * references["inbraak_per_district_2016"], atol=1)
    finally:
        teach._reference.cache_clear()


def test_the_boundary_exercise_set_needs_harmonising(references):
    harmonised = references["inbraak_per_district_2016"]
    plain = exercises_module._district_counts(harmonise=False)
    differs = set(harmonised.index[(harmonised - plain).abs() > 5])
    assert differs == {"Gooi en Vechtstreek", "West-Utrecht"}
    dataset = exercises_module._boundary_set()
    assert dataset.crime_boundary_year == 2024 and dataset.population_boundary_year is None


def test_the_committed_boundary_exercise_set_is_what_the_generator_makes(tmp_path):
    from rvs_analysis.teach import exercise_data

    exercise_data.write_boundary_exercise_set(tmp_path)
    for name in ("registered_crime.csv", "population.csv", "metadata.json"):
        assert (tmp_path / name).read_text() == (BOUNDARY_SET / name).read_text(), name


def test_the_demo_datas_planted_effects_answer_no_exercise(references):
    """demo.truth() (kept for trainers and tests) is not a one-call answer to any exercise."""
    from rvs_analysis.sources import demo

    planted = [effect["value"] for effect in demo.truth()["effects"].values()]
    for name, reference in references.items():
        exercise = teach._EXERCISES[name]
        if exercise.kind != "number":
            continue
        for value in planted:
            assert abs(float(value) - float(reference)) > exercise.tolerance, (name, value)


def _public(module) -> dict:
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    return {name: getattr(module, name) for name in names}


def test_teach_has_no_public_name_that_returns_an_answer(references, fresh_attempts):
    from rvs_analysis import teach as package
    from rvs_analysis.teach import exercise_data, masterclass

    public = _public(package)
    assert set(public) == {
        "VERDICTS",
        "CheckResult",
        "check",
        "exercise_names",
        "is_placeholder",
        "question",
    }
    modules = [package, teach, exercises_module, masterclass, exercise_data]
    everything = {f"{m.__name__}.{k}": v for m in modules for k, v in vars(m).items()}
    for dotted in everything:
        leaf = dotted.rsplit(".", 1)[1]
        assert leaf not in {"truth_of", "EXERCISES", "truth", "register"}, dotted
    # The functions that take an exercise name (the checker's; the package builders write files and
    # know nothing of the references, so they are not called here).
    callables = {
        f"{module.__name__}.{key}": value
        for module in (package, teach, exercises_module)
        for key, value in vars(module).items()
        if not key.startswith("_") and inspect.isfunction(value)
    }
    for name, reference in references.items():
        for dotted, value in callables.items():
            # (a yes/no answer is any predicate's return value: bool exercises are not probed here)
            if value.__module__.startswith("rvs_analysis.teach") and not isinstance(
                reference, bool | np.bool_
            ):
                try:
                    returned = value(name)
                except Exception:  # noqa: BLE001 - any failure means it does not return the answer
                    continue
                assert not _is_reference(returned, reference), (dotted, name)
        result = teach.check(name, ...)
        assert not any(_is_reference(v, reference) for v in vars(result).values()), name
        assert not any(_is_reference(v, reference) for v in vars(teach._EXERCISES[name]).values())


def _is_reference(value, reference) -> bool:
    if isinstance(reference, bool | np.bool_):
        return isinstance(value, bool | np.bool_) and value == reference
    if isinstance(value, str | bool | np.bool_) or value is None:
        return isinstance(reference, str) and value == reference
    try:
        given, expected = np.asarray(value, dtype=float), np.asarray(reference, dtype=float)
    except (TypeError, ValueError):
        return False
    return given.shape == expected.shape and given.size > 0 and bool(np.all(given == expected))


def _dutch_number(text: str) -> float:
    return float(text.replace("−", "-").replace(".", "").replace(",", "."))


def test_the_trainers_guide_lists_the_expected_answers(references):
    """Every exercise is in TRAINER.md, with the answer the check expects (to the shown rounding)."""
    guide = GUIDE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| `([a-z0-9_]+)` \| ([^|]+) \|", guide, flags=re.MULTILINE)
    listed = {name: answer.strip() for _, name, answer in rows}
    assert set(listed) == set(references)
    for name, reference in references.items():
        exercise, shown = teach._EXERCISES[name], listed[name]
        if exercise.kind == "number":
            decimals = len(shown.split(",")[1]) if "," in shown else 0
            assert abs(_dutch_number(shown) - float(reference)) <= max(
                exercise.tolerance, 0.5 * 10**-decimals
            ), (name, shown, reference)
        elif exercise.kind == "mapping":
            pairs = dict(re.findall(r"([A-Z][A-Za-z -]+?) ([\d.]+)", shown))
            assert {k.strip(): _dutch_number(v) for k, v in pairs.items()} == dict(reference)
        elif exercise.kind == "set":
            assert {part.strip() for part in shown.split(",")} == set(reference)
        elif exercise.kind == "bool":
            assert shown.startswith(str(bool(reference)))
        else:
            assert shown == str(reference), name
