"""Masterclass answer checks: tell a participant whether an answer is right, and what slip it shows.

Participants of the region's masterclasses work through the notebooks in
``notebooks/masterclass/`` and check their answers with::

    from rvs_analysis import teach
    teach.check("inbraak_gooi_2016", my_answer)

:func:`check` prints a Dutch verdict (``goed``, ``bijna``, ``fout`` or ``nog niet beantwoord``)
and returns a :class:`CheckResult`. It never prints the expected value.

How an answer is judged
-----------------------
1. Within the exercise's tolerance of the reference: ``goed``.
2. Equal (to a small relative margin) to one of the exercise's **known slips**: ``fout`` with a
   targeted Dutch hint. A slip is a wrong answer a participant gets by a recognisable mistake: a
   factor 10, 100 or 1,000, the reciprocal, a log instead of its exponent, GM codes instead of
   names, the predecessor instead of the successor, the neighbouring year, a model without the
   population offset, the wrong year's denominator, a flipped sign, the wrong interval level. The
   slips are tested *before* the "bijna" band, so a slip close to the reference is named as the
   slip, not as a rounding matter.
3. Within the wider ``close`` band: ``bijna``.
4. Otherwise ``fout``; for the first :data:`DIRECTION_TRIES` wrong tries of an exercise the message
   says whether the answer is too high or too low, after that it does not (so the answer cannot be
   found by searching).

Where the reference comes from
------------------------------
Every exercise's reference is computed at check time from the data the notebook uses, by the
library, never typed in: :mod:`rvs_analysis.teach.exercises` registers each exercise with the
function that computes it (:func:`add_exercise`). The references and the exercise table stay private:
the public names (:func:`check`, :func:`exercise_names`, :func:`question`) never return an answer.
(A participant who reads the source can of course always compute them.)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

VERDICT_RIGHT = "goed"
VERDICT_CLOSE = "bijna"
VERDICT_WRONG = "fout"
VERDICT_UNANSWERED = "nog niet beantwoord"
VERDICTS = (VERDICT_RIGHT, VERDICT_CLOSE, VERDICT_WRONG, VERDICT_UNANSWERED)

DIRECTION_TRIES = 3
"""Wrong tries of one exercise that still say "te hoog" or "te laag"; later tries do not."""

SLIP_MARGIN = 0.005
"""Relative margin within which an answer matches a known slip (rounding of the slip's value)."""

KINDS = {"number", "bool", "text", "set", "mapping", "choice"}


@dataclass(frozen=True)
class Slip:
    """A known wrong answer of one exercise and the hint it gets.

    Parameters
    ----------
    hint : str
        The Dutch hint, one sentence; it names the slip, never the answer.
    wrong : callable
        ``wrong(reference)`` returns the wrong answer (or a list of wrong answers) the slip
        produces: a transform of the reference (factor, sign, reciprocal, log) or a value computed
        from the data the way the slip computes it (the neighbouring year, the model without the
        offset). For text, set and choice exercises the wrong answers are compared as the answer is.
    """

    hint: str
    wrong: Callable[[Any], Any]


@dataclass(frozen=True)
class Exercise:
    """One masterclass exercise and how its answer is judged (its reference is kept privately).

    Parameters
    ----------
    name : str
        The key participants pass to :func:`check` (``inbraak_gooi_2016``).
    question : str
        The question in one Dutch sentence, shown when an answer is not yet given.
    kind : {"number", "bool", "text", "set", "mapping", "choice"}
        How to compare: numbers within a tolerance, booleans and texts exactly (texts ignoring
        case and surrounding spaces), sets of texts as sets, mappings (a dict or a pandas Series)
        key by key with the numeric tolerance, choices as one letter (``"B"`` or ``"b"``).
    tolerance : float
        Largest absolute difference still judged ``goed`` (numbers and mappings).
    close : float
        Largest absolute difference judged ``bijna``; at least ``tolerance``.
    hint : str
        A Dutch hint shown with ``bijna`` and a ``fout`` that matches no slip.
    slips : tuple of Slip
        The exercise's known slips, tested in order before the ``bijna`` band.
    choices : tuple of str
        The letters of a multiple-choice question (``("A", "B", "C", "D")``).
    """

    name: str
    question: str
    kind: str = "number"
    tolerance: float = 0.0
    close: float = 0.0
    hint: str = ""
    slips: tuple[Slip, ...] = ()
    choices: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Exercise {self.name!r}: unknown kind {self.kind!r}.")
        if self.tolerance < 0 or self.close < 0:
            raise ValueError(f"Exercise {self.name!r}: tolerances must be >= 0.")
        if (self.kind == "choice") != bool(self.choices):
            raise ValueError(f"Exercise {self.name!r}: choices go with kind 'choice' only.")


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer.

    Attributes
    ----------
    name : str
        The exercise.
    verdict : str
        One of ``goed``, ``bijna``, ``fout``, ``nog niet beantwoord``.
    message : str
        One Dutch sentence or two for the participant (never contains the expected value).
    slip : str
        The hint of the known slip the answer matched, or ``""``.
    """

    name: str
    verdict: str
    message: str = ""
    slip: str = field(default="", compare=False)

    @property
    def correct(self) -> bool:
        """True when the verdict is ``goed``."""
        return self.verdict == VERDICT_RIGHT

    def __str__(self) -> str:
        symbol = {
            VERDICT_RIGHT: "[v]",
            VERDICT_CLOSE: "[~]",
            VERDICT_WRONG: "[x]",
            VERDICT_UNANSWERED: "[ ]",
        }[self.verdict]
        text = f"{symbol} Controle '{self.name}': {self.verdict}."
        return f"{text} {self.message}" if self.message else text

    def _ipython_display_(self):
        # check() has already printed the verdict; showing the object again would repeat it.
        return None


_EXERCISES: dict[str, Exercise] = {}
_REFERENCES: dict[str, Callable[[], Any]] = {}
_ATTEMPTS: Counter = Counter()


def add_exercise(exercise: Exercise, reference: Callable[[], Any]) -> None:
    """Add an exercise and the function computing its reference (replacing one of the same name)."""
    _EXERCISES[exercise.name] = exercise
    _REFERENCES[exercise.name] = reference


def exercise_names() -> list[str]:
    """The names of the registered exercises, sorted."""
    return sorted(_EXERCISES)


def question(name: str) -> str:
    """The Dutch question of one exercise (what :func:`check` shows for an unanswered one)."""
    return _exercise(name).question


def is_placeholder(answer: Any) -> bool:
    """True for the placeholders exercise cells start with: ``...`` and ``None``."""
    return answer is Ellipsis or answer is None


def _exercise(name: str) -> Exercise:
    if name not in _EXERCISES:
        known = ", ".join(sorted(_EXERCISES))
        raise KeyError(f"Onbekende opdracht {name!r}. Bekende opdrachten: {known}.")
    return _EXERCISES[name]


def check(name: str, answer: Any, *, tolerance: float | None = None) -> CheckResult:
    """Judge a participant's answer against the exercise's reference, print and return the verdict.

    Parameters
    ----------
    name : str
        The exercise's name as the notebook gives it.
    answer : object
        The participant's answer: a number (also a numpy scalar or a one-element Series), a
        bool, a text, a collection of texts, a dict/Series of numbers, or a letter, as the exercise
        asks. ``...`` and ``None`` mean "not yet answered".
    tolerance : float, optional
        Largest absolute difference still judged ``goed``; defaults to the exercise's own.
        The ``bijna`` band is never narrower than this.

    Returns
    -------
    CheckResult
        ``verdict`` is ``goed``, ``bijna``, ``fout`` or ``nog niet beantwoord``.

    Raises
    ------
    KeyError
        For an unknown exercise name; the message lists the known names.

    Notes
    -----
    See the module docstring for the order of the tests (tolerance, known slips, ``bijna`` band,
    direction for the first :data:`DIRECTION_TRIES` wrong tries). The expected value is never
    printed, so a participant cannot read the answer off the check.
    """
    exercise = _exercise(name)
    if is_placeholder(answer):
        result = CheckResult(
            name,
            VERDICT_UNANSWERED,
            f"Vul je antwoord in op de plaats van de ... ({exercise.question})",
        )
    else:
        result = _judge(exercise, answer, tolerance)
        if not result.correct:
            _ATTEMPTS[name] += 1
    print(result)
    return result


@cache
def _reference(name: str) -> Any:
    return _REFERENCES[name]()


def _judge(exercise: Exercise, answer: Any, tolerance: float | None) -> CheckResult:
    reference = _reference(exercise.name)
    good = exercise.tolerance if tolerance is None else float(tolerance)
    close = max(exercise.close, good)
    if exercise.kind == "number":
        return _judge_number(exercise, answer, reference, good, close)
    if exercise.kind == "bool":
        return _judge_exact(exercise, _as_bool(answer), bool(reference))
    if exercise.kind == "text":
        return _judge_exact(exercise, _normalise_text(answer), _normalise_text(reference))
    if exercise.kind == "choice":
        return _judge_exact(exercise, _as_choice(exercise, answer), _as_choice(exercise, reference))
    if exercise.kind == "set":
        return _judge_set(exercise, answer, reference)
    return _judge_mapping(exercise, answer, reference, good, close)


def _right(exercise: Exercise, message: str = "Dat klopt.") -> CheckResult:
    return CheckResult(exercise.name, VERDICT_RIGHT, message)


def _wrong(exercise: Exercise, message: str) -> CheckResult:
    hint = f" Tip: {exercise.hint}" if exercise.hint else ""
    return CheckResult(exercise.name, VERDICT_WRONG, message + hint)


def _slipped(exercise: Exercise, slip: Slip) -> CheckResult:
    if exercise.kind == "choice":
        message = f"Dat klopt niet. Je denkt misschien dat {slip.hint}"
    else:
        message = f"Dat klopt niet, maar het lijkt erop dat {slip.hint}"
    return CheckResult(exercise.name, VERDICT_WRONG, message, slip.hint)


def _close(exercise: Exercise, message: str) -> CheckResult:
    hint = f" Tip: {exercise.hint}" if exercise.hint else ""
    return CheckResult(exercise.name, VERDICT_CLOSE, message + hint)


def _wrong_values(slip: Slip, reference: Any) -> list:
    values = slip.wrong(reference)
    if isinstance(values, list):
        return values
    return [values]


def _matches(value: float, wrong: Any, reference: float, good: float) -> bool:
    """True when ``value`` is the slip's ``wrong`` answer rather than a rough ``reference``.

    The margin is the exercise's tolerance scaled to the slip's size (a slip a factor 100 smaller
    gets a hundredth of it), or :data:`SLIP_MARGIN` of the slip's value if that is larger; and the
    answer must be nearer the slip than the reference, so rounding is never taken for a slip.
    """
    wrong = _as_number(wrong)
    if wrong is None or abs(wrong - reference) <= good:
        return False
    scale = min(1.0, abs(wrong) / abs(reference)) if reference else 1.0
    margin = max(good * scale, SLIP_MARGIN * abs(wrong))
    return abs(value - wrong) <= margin and abs(value - wrong) < abs(value - reference)


def _as_number(answer: Any) -> float | None:
    if isinstance(answer, pd.DataFrame) and answer.size == 1:
        answer = answer.iloc[0, 0]
    if isinstance(answer, pd.Series | np.ndarray | list | tuple) and len(answer) == 1:
        answer = answer.iloc[0] if isinstance(answer, pd.Series) else answer[0]
    if isinstance(answer, bool | np.bool_):
        return None
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _judge_number(exercise, answer, reference, good, close) -> CheckResult:
    value = _as_number(answer)
    if value is None:
        return _wrong(exercise, f"Verwacht één getal, maar kreeg {type(answer).__name__}.")
    reference = float(reference)
    difference = abs(value - reference)
    if difference <= good:
        return _right(exercise)
    for slip in exercise.slips:
        if any(_matches(value, wrong, reference, good) for wrong in _wrong_values(slip, reference)):
            return _slipped(exercise, slip)
    if difference <= close:
        return _close(
            exercise,
            "Dichtbij, maar nog niet precies: kijk naar afronding en tussenstappen.",
        )
    if _ATTEMPTS[exercise.name] < DIRECTION_TRIES:
        direction = "te hoog" if value > reference else "te laag"
        return _wrong(exercise, f"Dit antwoord is {direction}.")
    return _wrong(
        exercise,
        "Dit antwoord klopt niet. Na een paar pogingen zeggen we niet meer in welke richting het "
        "afwijkt: lees de uitleg boven de opdracht nog eens, of vraag de trainer.",
    )


def _as_bool(answer: Any) -> bool | None:
    if isinstance(answer, bool | np.bool_):
        return bool(answer)
    if isinstance(answer, str):
        text = answer.strip().lower()
        if text in {"ja", "j", "yes", "waar", "true"}:
            return True
        if text in {"nee", "n", "no", "onwaar", "false"}:
            return False
    return None


def _normalise_text(answer: Any) -> str | None:
    return answer.strip().casefold() if isinstance(answer, str) else None


def _as_choice(exercise: Exercise, answer: Any) -> str | None:
    if not isinstance(answer, str):
        return None
    letter = answer.strip().strip("().").upper()
    return letter if letter in exercise.choices else None


def _judge_exact(exercise, value, reference) -> CheckResult:
    if value is None:
        kind = {
            "bool": "True/False (of 'ja'/'nee')",
            "choice": "één letter: " + ", ".join(exercise.choices),
        }.get(exercise.kind, "een tekst")
        return _wrong(exercise, f"Verwacht {kind}.")
    if value == reference:
        return _right(exercise)
    normalise = (
        (lambda item: _as_choice(exercise, item)) if exercise.kind == "choice" else _normalise_text
    )
    for slip in exercise.slips:
        if any(normalise(wrong) == value for wrong in _wrong_values(slip, reference)):
            return _slipped(exercise, slip)
    return _wrong(exercise, "Dat klopt niet.")


def _as_names(items) -> set:
    return {_normalise_text(str(item)) for item in items}


def _judge_set(exercise, answer, reference) -> CheckResult:
    if isinstance(answer, str) or not hasattr(answer, "__iter__"):
        return _wrong(exercise, "Verwacht een verzameling of lijst van namen.")
    given, expected = _as_names(answer), _as_names(reference)
    if given == expected:
        return _right(exercise)
    for slip in exercise.slips:
        if any(_as_names(wrong) == given for wrong in _wrong_values(slip, reference)):
            return _slipped(exercise, slip)
    missing, extra = len(expected - given), len(given - expected)
    if missing + extra == 1:
        return CheckResult(
            exercise.name,
            VERDICT_CLOSE,
            "Bijna: er ontbreekt er één." if missing else "Bijna: er staat er één te veel in.",
        )
    return _wrong(exercise, f"{missing} ontbreken en {extra} horen er niet bij.")


def _as_mapping(answer) -> dict | None:
    if isinstance(answer, pd.DataFrame) and answer.shape[1] == 1:
        answer = answer.iloc[:, 0]
    if not isinstance(answer, Mapping | pd.Series):
        return None
    return {str(key).strip(): value for key, value in dict(answer).items()}


def _judge_mapping(exercise, answer, reference, good, close) -> CheckResult:
    given = _as_mapping(answer)
    if given is None:
        return _wrong(exercise, "Verwacht een pandas Series of dict (naam -> getal).")
    expected = {key: float(value) for key, value in _as_mapping(reference).items()}
    missing = sorted(set(expected) - set(given))
    extra = sorted(set(given) - set(expected))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"ontbrekend: {', '.join(missing)}")
        if extra:
            parts.append(f"onverwacht: {', '.join(extra)}")
        return _wrong(exercise, "De namen kloppen niet (" + "; ".join(parts) + ").")
    numbers = {}
    for key, value in given.items():
        numbers[key] = _as_number(value)
        if numbers[key] is None:
            return _wrong(exercise, f"De waarde bij {key!r} is geen getal.")
    off = [key for key in expected if abs(numbers[key] - expected[key]) > good]
    if not off:
        return _right(exercise, "Dat klopt, voor alle namen.")
    for slip in exercise.slips:
        for wrong in _wrong_values(slip, reference):
            wrong = _as_mapping(wrong)
            if wrong is None or set(wrong) != set(expected):
                continue
            differs = [key for key in expected if abs(float(wrong[key]) - expected[key]) > good]
            if (
                differs
                and all(_matches(numbers[key], wrong[key], expected[key], good) for key in differs)
                and all(
                    abs(numbers[key] - expected[key]) <= good
                    for key in set(expected) - set(differs)
                )
            ):
                return _slipped(exercise, slip)
    if all(abs(numbers[key] - expected[key]) <= close for key in off):
        return _close(exercise, f"Bijna: nog niet precies bij {', '.join(sorted(off))}.")
    return _wrong(
        exercise, f"{len(off)} van {len(expected)} waarden kloppen niet: {', '.join(sorted(off))}."
    )


# ------------------------------------------------------------------------------------------------
# Slips that follow from the reference alone
# ------------------------------------------------------------------------------------------------


def factor_slips(*factors: int, unit: str = "") -> tuple[Slip, ...]:
    """Off by a factor 10, 100 or 1,000 (both directions)."""
    slips = []
    for factor in factors:
        name = f"{factor:,}".replace(",", ".")
        about = f" ({unit})" if unit else ""
        slips.append(
            Slip(
                f"je antwoord een factor {name} te klein is{about}: kijk naar de eenheid "
                "(fractie of percentage, per inwoner, per 100 of per 1.000).",
                lambda reference, factor=factor: reference / factor,
            )
        )
        slips.append(
            Slip(
                f"je antwoord een factor {name} te groot is{about}: kijk naar de eenheid "
                "(fractie of percentage, per inwoner, per 100 of per 1.000).",
                lambda reference, factor=factor: reference * factor,
            )
        )
    return tuple(slips)


SIGN_FLIP = Slip(
    "het teken omgedraaid is: trek 'voor' af van 'na' (een daling is negatief).",
    lambda reference: -reference,
)
RECIPROCAL = Slip(
    "je de breuk omgekeerd hebt (noemer en teller verwisseld).",
    lambda reference: 1 / reference if reference else math.nan,
)
LOG_NOT_EXP = Slip(
    "je de coëfficiënt op de log-schaal geeft: neem er de exponent van (np.exp).",
    lambda reference: math.log(reference) if reference > 0 else math.nan,
)
RATIO_AS_CHANGE = Slip(
    "je een procentuele verandering geeft waar een verhouding (een getal rond 1) gevraagd is.",
    lambda reference: 100 * (reference - 1),
)
CHANGE_AS_RATIO = Slip(
    "je een verhouding (n_na / n_voor) geeft waar een procentuele verandering gevraagd is.",
    lambda reference: 1 + reference / 100,
)
