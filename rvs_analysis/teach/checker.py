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

from rvs_analysis.resources import notebooks_path

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


# ------------------------------------------------------------------------------------------------
# The exercises of the masterclass notebooks. The defaults below are the notebooks' parameters: an
# answer is checked for the notebook as shipped (source "demo", default parameters).
# ------------------------------------------------------------------------------------------------

SAMPLE_DIR = notebooks_path("masterclass", "data")
"""The raw CBS-shaped sample of masterclass 1 (fictitious numbers in cbsodata's layout)."""

BURGLARY = "1.1.1"
BOUNDARY_YEAR = 2017
DISTRICT_YEAR = 2016
DISTRICT = "Gooi en Vechtstreek"
SMALL_MUNICIPALITY = "Urk"
YEAR_BEFORE, YEAR_AFTER = 2015, 2016
TREND_YEARS = (2011, 2016)
SURVEY_INDICATOR = "feels_unsafe"
SURVEY_MUNICIPALITY = "Zeist"
SURVEY_WAVE = 2015


@cache
def _demo():
    from rvs_analysis.sources import load_source

    return load_source("demo")


@cache
def _sample():
    from rvs_analysis import regions
    from rvs_analysis.sources import cbs

    crime, _ = cbs.read_crime(cbs.read_table(SAMPLE_DIR / "47018NED"), regions.known_codes())
    population = cbs.read_population(cbs.read_table(SAMPLE_DIR / "70072ned"))
    return crime, population


def _only(frame: pd.DataFrame, column: str, **where) -> float:
    mask = pd.Series(True, index=frame.index)
    for key, value in where.items():
        mask &= frame[key] == value
    values = frame.loc[mask, column]
    if len(values) != 1:
        raise LookupError(f"expected one row for {where}, found {len(values)}")
    return float(values.iloc[0])


def _sample_burglary_2017_boundaries() -> pd.DataFrame:
    from rvs_analysis import regions

    crime, population = _sample()
    burglary = crime.loc[crime["offence_code"] == BURGLARY]
    return regions.harmonise_counts(burglary, population, from_year=2024, to_year=BOUNDARY_YEAR)


def _sample_population_2017_boundaries() -> pd.DataFrame:
    from rvs_analysis import regions

    return regions.harmonise_population(_sample()[1], to_year=BOUNDARY_YEAR)


def _successors(new_name: str) -> set[str]:
    from rvs_analysis import regions

    mergers = regions.mergers()
    return set(mergers.loc[mergers["new_name"] == new_name, "old_name"])


def _successor_of(old_name: str) -> str:
    from rvs_analysis import regions

    mergers = regions.mergers()
    return str(mergers.loc[mergers["old_name"] == old_name, "new_name"].item())


def _composition_size(year: int) -> int:
    from rvs_analysis import regions

    return len(regions.municipalities(year))


def _district_burglary(rate: bool) -> pd.DataFrame:
    from rvs_analysis import regions

    return regions.area_table(
        _demo(), BURGLARY, "district", BOUNDARY_YEAR, (DISTRICT_YEAR, DISTRICT_YEAR), rate=rate
    )


def _municipal_burglary() -> pd.DataFrame:
    from rvs_analysis import regions

    table = regions.area_table(_demo(), BURGLARY, "gemeente", BOUNDARY_YEAR, rate=True)
    return table.astype({"registered_offences": float, "population": float})


def _small_change():
    from rvs_analysis.stats import trends

    table = _municipal_burglary()
    before = _only(table, "registered_offences", area=SMALL_MUNICIPALITY, year=YEAR_BEFORE)
    after = _only(table, "registered_offences", area=SMALL_MUNICIPALITY, year=YEAR_AFTER)
    return trends.count_change(before, after)


def _poisson_lower_bound() -> float:
    from scipy import stats

    count = _only(
        _municipal_burglary(), "registered_offences", area=SMALL_MUNICIPALITY, year=YEAR_AFTER
    )
    return 0.0 if count == 0 else float(stats.chi2.ppf(0.025, 2 * count) / 2)


def _region_trend_ratio() -> float:
    from rvs_analysis import regions
    from rvs_analysis.stats import trends

    region = regions.area_table(_demo(), BURGLARY, "region", BOUNDARY_YEAR, TREND_YEARS, rate=True)
    region = region.astype({"registered_offences": float, "population": float})
    return trends.fit_count_trend(region, model="poisson").annual_rate_ratio.estimate


def _municipal_dispersion() -> float:
    import statsmodels.api as sm

    table = _municipal_burglary()
    table = table.loc[table["year"].between(*TREND_YEARS)]
    design = pd.get_dummies(table["area"], dtype=float)
    design["year"] = table["year"].astype(float)
    model = sm.GLM(
        table["registered_offences"],
        design,
        family=sm.families.Poisson(),
        offset=np.log(table["population"]),
    ).fit()
    return float(model.pearson_chi2 / model.df_resid)


def _outside_funnel() -> int:
    from rvs_analysis.stats import clearance

    table = _municipal_burglary()
    table = table.loc[table["year"] == YEAR_AFTER]
    funnel = clearance.funnel_table(
        table, "registered_offences", "population", kind="rate", label_column="area"
    )
    return int((funnel["position_99.8"] != "within").sum())


def _survey() -> pd.DataFrame:
    from rvs_analysis import regions

    dataset = _demo()
    survey = dataset.survey.merge(regions.municipalities(BOUNDARY_YEAR), on="gemeente_code")
    pilots = regions.pilot_municipalities()
    start = int(pilots["start_year"].min())
    survey["pilot"] = survey["gemeente_code"].isin(pilots["gemeente_code"])
    survey["after"] = survey["year"] > start
    survey.attrs["start_year"] = start
    return survey


def _survey_cell() -> pd.DataFrame:
    survey = _survey()
    return survey.loc[
        (survey["gemeente_name"] == SURVEY_MUNICIPALITY) & (survey["year"] == SURVEY_WAVE)
    ]


def _weighted_estimate():
    from rvs_analysis.stats import perception

    cell = _survey_cell()
    return perception.weighted_proportion(cell[SURVEY_INDICATOR], cell["weight"])


def _weighted_percentage() -> float:
    return float(_weighted_estimate().estimate)


def _effective_sample_size() -> float:
    return float(_weighted_estimate().details["n_effective"])


def _design_effect() -> float:
    return float(_weighted_estimate().details["design_effect"])


def _pilot_before_after() -> float:
    survey = _survey()
    pilots = survey.loc[survey["pilot"]]
    after, before = pilots.loc[pilots["after"]], pilots.loc[~pilots["after"]]
    return float(
        100
        * (
            np.average(after[SURVEY_INDICATOR], weights=after["weight"])
            - np.average(before[SURVEY_INDICATOR], weights=before["weight"])
        )
    )


def _two_by_two(survey: pd.DataFrame, after: pd.Series) -> float:
    """Weighted 2x2 difference in differences in percentage points (the hand calculation)."""
    cells = {}
    for pilot in (True, False):
        for period in (True, False):
            part = survey.loc[(survey["pilot"] == pilot) & (after == period)]
            cells[pilot, period] = 100 * np.average(part[SURVEY_INDICATOR], weights=part["weight"])
    return float(
        (cells[True, True] - cells[True, False]) - (cells[False, True] - cells[False, False])
    )


def _did() -> float:
    survey = _survey()
    return _two_by_two(survey, survey["after"])


def _placebo_did() -> float:
    survey = _survey()
    before = survey.loc[survey["year"] <= survey.attrs["start_year"]]
    return _two_by_two(before, before["year"] > before["year"].min())


for _exercise in (
    # Masterclass 1: van CBS-tabel naar districtscijfer
    Exercise(
        "cbs_inbraak_gooise_meren_2016",
        "woninginbraken in Gooise Meren in 2016 volgens de voorbeeldtabel",
        lambda: _only(
            _sample()[0],
            "registered_offences",
            offence_code=BURGLARY,
            gemeente_code="GM1942",
            year=2016,
        ),
        tolerance=0.5,
        close=0.5,
        hint="kijk of je sleutels zonder spaties vergelijkt en de juiste periode (JJ) neemt.",
    ),
    Exercise(
        "gooise_meren_voorgangers",
        "de gemeenten waaruit Gooise Meren ontstond",
        lambda: _successors("Gooise Meren"),
        kind="set",
    ),
    Exercise(
        "vianen_opvolger",
        "de gemeente waarin Vianen opging",
        lambda: _successor_of("Vianen"),
        kind="text",
    ),
    Exercise(
        "gemeenten_in_2023",
        "het aantal gemeenten van de regio in de samenstelling van 2023",
        lambda: _composition_size(2023),
        tolerance=0,
        close=1,
    ),
    Exercise(
        "bevolking_gooise_meren_2015",
        "de bevolking van Gooise Meren in 2015 (grenzen van 2016 en later)",
        lambda: _only(
            _sample_population_2017_boundaries(), "population", gemeente_code="GM1942", year=2015
        ),
        tolerance=0.5,
        close=0.02 * 56_000,
        hint="tel alle gemeenten op die in 2016 samen Gooise Meren vormden.",
    ),
    Exercise(
        "inbraak_vianen_2015_grenzen_2017",
        "woninginbraken in Vianen in 2015 op de grenzen van 2017 (bevolkingsaandeel)",
        lambda: _only(
            _sample_burglary_2017_boundaries(),
            "registered_offences",
            gemeente_code="GM0620",
            year=2015,
        ),
        tolerance=0.05,
        close=2,
        hint="het aandeel is Vianen gedeeld door Vianen + Leerdam + Zederik, in hetzelfde jaar.",
    ),
    Exercise(
        "inbraak_per_1000_gooise_meren_2015",
        "woninginbraken per 1.000 inwoners in Gooise Meren in 2015",
        lambda: (
            1000
            * _only(
                _sample_burglary_2017_boundaries(),
                "registered_offences",
                gemeente_code="GM1942",
                year=2015,
            )
            / _only(
                _sample_population_2017_boundaries(),
                "population",
                gemeente_code="GM1942",
                year=2015,
            )
        ),
        tolerance=0.005,
        close=0.1,
        hint="deel door de geharmoniseerde bevolking van hetzelfde jaar.",
    ),
    Exercise(
        "inbraak_per_district_2016",
        "woninginbraken per district in 2016 (grenzen 2017), als Series met districtsnamen",
        lambda: (
            _district_burglary(rate=False).set_index("area")["registered_offences"].astype(float)
        ),
        kind="mapping",
        tolerance=0.5,
        close=5,
        hint="harmoniseer eerst naar de grenzen van 2017 en laat GM0000 buiten beschouwing.",
    ),
    Exercise(
        "inbraak_per_1000_district_2016",
        "woninginbraken per 1.000 inwoners in het district in 2016",
        lambda: _only(
            _district_burglary(rate=True).astype({"rate_per_1000": float}),
            "rate_per_1000",
            area=DISTRICT,
            year=DISTRICT_YEAR,
        ),
        tolerance=0.01,
        close=0.1,
        hint="tel eerst tellers en noemers op, en deel daarna.",
    ),
    # Masterclass 2: is de daling significant?
    Exercise(
        "procent_verandering_klein",
        "procentuele verandering in de kleine gemeente",
        lambda: _small_change().estimate,
        tolerance=0.05,
        close=1,
        hint="deel door het aantal van het eerste jaar.",
    ),
    Exercise(
        "poisson_ondergrens_klein",
        "ondergrens van het exacte 95%-interval voor de telling",
        _poisson_lower_bound,
        tolerance=0.01,
        close=0.5,
        hint="gebruik 2k vrijheidsgraden voor de ondergrens en deel door 2.",
    ),
    Exercise(
        "verandering_significant_klein",
        "is de verandering in de kleine gemeente significant (True/False)?",
        lambda: _small_change().significant,
        kind="bool",
        hint="significant betekent: het 95%-interval sluit 0% (verhouding 1) uit.",
    ),
    Exercise(
        "trend_jaarverhouding_regio",
        "jaarlijkse verhouding uit het Poisson-model met bevolkingsoffset",
        _region_trend_ratio,
        tolerance=0.0005,
        close=0.01,
        hint="vergeet de offset log(bevolking) niet en neem exp van de coëfficiënt van year.",
    ),
    Exercise(
        "dispersie_gemeenten",
        "Pearson-dispersie van het model met een niveau per gemeente en één trend",
        _municipal_dispersion,
        tolerance=0.01,
        close=0.2,
        hint="Pearson chi-kwadraat gedeeld door de residuele vrijheidsgraden.",
    ),
    Exercise(
        "aantal_buiten_trechter",
        "aantal gemeenten buiten de 99,8%-grenzen van de trechterplot",
        _outside_funnel,
        tolerance=0,
        close=1,
        hint="gebruik het regiogemiddelde (som tellingen / som bevolking) en de 0,1%- en 99,9%-kwantielen.",
    ),
    # Masterclass 3: werkten de proeftuinen?
    Exercise(
        "gewogen_percentage_gemeente",
        "gewogen percentage in de gemeente en meting",
        _weighted_percentage,
        tolerance=0.05,
        close=1.5,
        hint="vermenigvuldig elke 0/1-waarde met het gewicht en deel door de som van de gewichten.",
    ),
    Exercise(
        "effectieve_steekproefomvang",
        "Kish' effectieve steekproefomvang",
        _effective_sample_size,
        tolerance=0.5,
        close=5,
        hint="(som van de gewichten) in het kwadraat, gedeeld door de som van de gekwadrateerde gewichten.",
    ),
    Exercise(
        "design_effect_weging",
        "het design-effect van de weging (n / n_eff)",
        _design_effect,
        tolerance=0.005,
        close=0.05,
        hint="deel het aantal respondenten door de effectieve steekproefomvang.",
    ),
    Exercise(
        "voor_na_proeftuinen_pp",
        "de verandering in de proeftuinen van vóór naar na de start, in procentpunten",
        _pilot_before_after,
        tolerance=0.05,
        close=0.5,
        hint="gewogen percentage na de start min dat vóór de start, alleen proeftuinen.",
    ),
    Exercise(
        "did_procentpunten",
        "het verschil-in-verschillen in procentpunten",
        _did,
        tolerance=0.05,
        close=0.5,
        hint="(proeftuin na - proeftuin voor) - (overige na - overige voor), gewogen.",
    ),
    Exercise(
        "placebo_did_procentpunten",
        "de placebo-DiD vóór de start in procentpunten",
        _placebo_did,
        tolerance=0.05,
        close=0.5,
        hint="alleen metingen tot en met het startjaar; 'voor' is alleen de eerste meting.",
    ),
):
    register(_exercise)
