"""Masterclass answer checks: tell a participant whether an answer is right, close or wrong.

Participants of the region's masterclasses work through the notebooks in
``notebooks/masterclass/`` on the demo data and check their answers with::

    from rvs_analysis import teach
    teach.check("inbraak_gooi_2016", my_answer)

:func:`check` prints a Dutch verdict (``goed``, ``bijna``, ``fout`` or ``nog niet beantwoord``)
and returns a :class:`CheckResult`. It never prints the expected value: a participant learns
whether the answer is right and, for a few common slips (a fraction where a percentage was
asked, a count per inhabitant instead of per 1,000, a flipped sign), what kind of slip it looks
like, but not the number itself.

Where the truth comes from
--------------------------
Every exercise is registered in :data:`EXERCISES` with a function that produces its truth at
check time, never a typed-in number. The truth is either

* a planted effect of the demo data (:func:`rvs_analysis.sources.demo.truth`), or
* computed from the demo data by the library (``regions``, ``trends``, ``clearance``,
  ``perception``), so it follows the demo data if the generator changes.

Truths are cached per kernel session (the demo data are deterministic).
"""

from __future__ import annotations

import math
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

#: Common slips a numeric answer is tested against (transform of the answer, hint in Dutch).
_SLIPS: tuple[tuple[Callable[[float], float], str], ...] = (
    (lambda a: a * 100, "het lijkt een fractie (0-1) waar een percentage (0-100) gevraagd is"),
    (lambda a: a / 100, "het lijkt een percentage waar een fractie (0-1) gevraagd is"),
    (lambda a: a * 1000, "het lijkt een aantal per inwoner waar per 1.000 inwoners gevraagd is"),
    (lambda a: a / 1000, "het lijkt een aantal per 1.000 inwoners waar per inwoner gevraagd is"),
    (lambda a: -a, "het teken lijkt omgedraaid (stijging in plaats van daling of andersom)"),
    (
        lambda a: 1 + a / 100,
        "het lijkt een procentuele verandering waar een verhouding gevraagd is",
    ),
    (
        lambda a: (a - 1) * 100,
        "het lijkt een verhouding waar een procentuele verandering gevraagd is",
    ),
)


@dataclass(frozen=True)
class Exercise:
    """One masterclass exercise and how its answer is judged.

    Parameters
    ----------
    name : str
        The key participants pass to :func:`check` (``inbraak_gooi_2016``).
    question : str
        The question in one Dutch sentence, shown when an answer is not yet given.
    truth : callable
        Function without arguments returning the true answer, computed at check time.
    kind : {"number", "bool", "text", "set", "mapping"}
        How to compare: numbers within a tolerance, booleans and texts exactly (texts ignoring
        case and surrounding spaces), sets of texts as sets, mappings (a dict or a pandas
        Series) key by key with the numeric tolerance.
    tolerance : float
        Largest absolute difference still judged ``goed`` (numbers and mappings).
    close : float
        Largest absolute difference judged ``bijna``; at least ``tolerance``.
    hint : str
        A Dutch hint shown with ``bijna`` and ``fout``; it must not give the answer away.
    """

    name: str
    question: str
    truth: Callable[[], Any]
    kind: str = "number"
    tolerance: float = 0.0
    close: float = 0.0
    hint: str = ""

    def __post_init__(self):
        if self.kind not in {"number", "bool", "text", "set", "mapping"}:
            raise ValueError(f"Exercise {self.name!r}: unknown kind {self.kind!r}.")
        if self.tolerance < 0 or self.close < 0:
            raise ValueError(f"Exercise {self.name!r}: tolerances must be >= 0.")


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
        One Dutch sentence for the participant (never contains the expected value).
    """

    name: str
    verdict: str
    message: str = ""
    details: dict = field(default_factory=dict, repr=False, compare=False)

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


EXERCISES: dict[str, Exercise] = {}
"""The registered exercises by name; see :func:`register`."""


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to :data:`EXERCISES` (replacing one with the same name) and return it."""
    EXERCISES[exercise.name] = exercise
    return exercise


def is_placeholder(answer: Any) -> bool:
    """True for the placeholders exercise cells start with: ``...`` and ``None``."""
    return answer is Ellipsis or answer is None


def check(name: str, answer: Any, *, tolerance: float | None = None) -> CheckResult:
    """Judge a participant's answer against the known truth, print and return the verdict.

    Parameters
    ----------
    name : str
        The exercise's name as the notebook gives it.
    answer : object
        The participant's answer: a number (also a numpy scalar or a one-element Series), a
        bool, a text, a collection of texts, or a dict/Series of numbers, as the exercise
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
    Numbers are ``goed`` within the tolerance and ``bijna`` within the wider ``close`` band; a
    wrong number that matches a common slip (factor 100 or 1,000, flipped sign, ratio versus
    percentage change) is ``bijna`` with a hint about the slip. The expected value is never
    printed, so a participant cannot read the answer off the check.
    """
    if name not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise KeyError(f"Onbekende opdracht {name!r}. Bekende opdrachten: {known}.")
    exercise = EXERCISES[name]
    if is_placeholder(answer):
        result = CheckResult(
            name,
            VERDICT_UNANSWERED,
            f"Vul je antwoord in op de plaats van de ... ({exercise.question})",
        )
    else:
        result = _judge(exercise, answer, tolerance)
    print(result)
    return result


def truth_of(name: str) -> Any:
    """The true answer of an exercise, for trainers and tests (participants use :func:`check`)."""
    return _cached_truth(name)


@cache
def _cached_truth(name: str) -> Any:
    return EXERCISES[name].truth()


def _judge(exercise: Exercise, answer: Any, tolerance: float | None) -> CheckResult:
    truth = _cached_truth(exercise.name)
    good = exercise.tolerance if tolerance is None else float(tolerance)
    close = max(exercise.close, good)
    if exercise.kind == "number":
        return _judge_number(exercise, answer, truth, good, close)
    if exercise.kind == "bool":
        return _judge_exact(exercise, _as_bool(answer), bool(truth))
    if exercise.kind == "text":
        return _judge_exact(exercise, _normalise_text(answer), _normalise_text(truth))
    if exercise.kind == "set":
        return _judge_set(exercise, answer, truth)
    return _judge_mapping(exercise, answer, truth, good, close)


def _wrong(exercise: Exercise, message: str) -> CheckResult:
    hint = f" Tip: {exercise.hint}" if exercise.hint else ""
    return CheckResult(exercise.name, VERDICT_WRONG, message + hint)


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


def _judge_number(exercise, answer, truth, good, close) -> CheckResult:
    value = _as_number(answer)
    if value is None:
        return _wrong(exercise, f"Verwacht één getal, maar kreeg {type(answer).__name__}.")
    truth = float(truth)
    difference = abs(value - truth)
    if difference <= good:
        return CheckResult(exercise.name, VERDICT_RIGHT, "Dat klopt.")
    if difference <= close:
        return CheckResult(
            exercise.name,
            VERDICT_CLOSE,
            "Dichtbij, maar nog niet precies: kijk naar afronding, de gekozen jaren of gemeenten."
            + (f" Tip: {exercise.hint}" if exercise.hint else ""),
        )
    for transform, slip in _SLIPS:
        if abs(transform(value) - truth) <= close:
            return CheckResult(exercise.name, VERDICT_CLOSE, f"Bijna: {slip}.")
    direction = "te hoog" if value > truth else "te laag"
    return _wrong(exercise, f"Dit antwoord is {direction}.")


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


def _judge_exact(exercise, value, truth) -> CheckResult:
    if value is None:
        kind = "True/False (of 'ja'/'nee')" if exercise.kind == "bool" else "een tekst"
        return _wrong(exercise, f"Verwacht {kind}.")
    if value == truth:
        return CheckResult(exercise.name, VERDICT_RIGHT, "Dat klopt.")
    return _wrong(exercise, "Dat klopt niet.")


def _judge_set(exercise, answer, truth) -> CheckResult:
    if isinstance(answer, str) or not hasattr(answer, "__iter__"):
        return _wrong(exercise, "Verwacht een verzameling of lijst van namen.")
    given = {_normalise_text(str(item)) for item in answer}
    expected = {_normalise_text(str(item)) for item in truth}
    if given == expected:
        return CheckResult(exercise.name, VERDICT_RIGHT, "Dat klopt.")
    missing, extra = len(expected - given), len(given - expected)
    if missing + extra == 1:
        return CheckResult(
            exercise.name,
            VERDICT_CLOSE,
            "Bijna: er ontbreekt er één." if missing else "Bijna: er staat er één te veel in.",
        )
    return _wrong(exercise, f"{missing} ontbreken en {extra} horen er niet bij.")


def _judge_mapping(exercise, answer, truth, good, close) -> CheckResult:
    if isinstance(answer, pd.DataFrame) and answer.shape[1] == 1:
        answer = answer.iloc[:, 0]
    if not isinstance(answer, Mapping | pd.Series):
        return _wrong(exercise, "Verwacht een pandas Series of dict (naam -> getal).")
    given = {str(key).strip(): value for key, value in dict(answer).items()}
    expected = {str(key).strip(): float(value) for key, value in dict(truth).items()}
    missing = sorted(set(expected) - set(given))
    extra = sorted(set(given) - set(expected))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"ontbrekend: {', '.join(missing)}")
        if extra:
            parts.append(f"onverwacht: {', '.join(extra)}")
        return _wrong(exercise, "De namen kloppen niet (" + "; ".join(parts) + ").")
    differences = {}
    for key, value in given.items():
        number = _as_number(value)
        if number is None:
            return _wrong(exercise, f"De waarde bij {key!r} is geen getal.")
        differences[key] = abs(number - expected[key])
    off = [key for key, difference in differences.items() if difference > good]
    if not off:
        return CheckResult(exercise.name, VERDICT_RIGHT, "Dat klopt, voor alle namen.")
    if all(differences[key] <= close for key in off):
        return CheckResult(
            exercise.name, VERDICT_CLOSE, f"Bijna: nog niet precies bij {', '.join(sorted(off))}."
        )
    return _wrong(
        exercise, f"{len(off)} van {len(expected)} waarden kloppen niet: {', '.join(sorted(off))}."
    )
