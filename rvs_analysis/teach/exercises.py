"""The masterclasses' exercises: what each asks, its known slips and how its reference is computed.

Each exercise of ``notebooks/masterclass/`` is an :class:`~rvs_analysis.teach.checker.Exercise`
registered with :func:`~rvs_analysis.teach.checker.add_exercise` together with the function that
computes its reference at check time from the data the notebook uses (the CBS-shaped sample and
the boundary exercise set in ``notebooks/masterclass/data``, the demo data set), by the library,
never typed in. Importing :mod:`rvs_analysis.teach` registers them. The references stay private
to this module: no public name returns an answer.

The defaults below are the notebooks' parameters: an answer is checked for the notebook as
shipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.tools import add_constant

from rvs_analysis import regions, resources
from rvs_analysis.sources import cbs, load_source
from rvs_analysis.stats import clearance, trends
from rvs_analysis.teach.checker import (
    CHANGE_AS_RATIO,
    LOG_NOT_EXP,
    RATIO_AS_CHANGE,
    RECIPROCAL,
    SIGN_FLIP,
    Exercise,
    Slip,
    add_exercise,
    factor_slips,
)

BURGLARY = "1.1.1"
TOTAL = "0.0.0"
BOUNDARY_YEAR = 2017
DISTRICT_YEAR = 2016
DISTRICT = "Gooi en Vechtstreek"
SMALL_MUNICIPALITY = "Urk"
LARGE_MUNICIPALITY = "Amersfoort"
YEAR_BEFORE, YEAR_AFTER = 2015, 2016
TREND_YEARS = (2011, 2016)
SURVEY_INDICATOR = "feels_unsafe"
SURVEY_MUNICIPALITY = "Zeist"
SURVEY_WAVE = 2015
SAMPLE_FOLDER = "data"
BOUNDARY_SET_FOLDER = "grenzen_2024"


def _sample_dir():
    """The raw CBS-shaped sample of masterclass 1 (fictitious numbers in cbsodata's layout)."""

    return resources.notebooks_path("masterclass", SAMPLE_FOLDER)


@cache
def _demo():

    return load_source("demo")


@cache
def _boundary_set():
    """The exercise set of masterclass 1 part 4: counts on 2024 boundaries, populations per year."""

    return load_source(str(_sample_dir() / BOUNDARY_SET_FOLDER))


@cache
def _sample():

    folder = _sample_dir()
    crime, _ = cbs.read_crime(cbs.read_table(folder / "47018NED"), regions.known_codes())
    population = cbs.read_population(cbs.read_table(folder / "70072ned"))
    return crime, population


def _only(frame: pd.DataFrame, column: str, **where) -> float:
    mask = pd.Series(True, index=frame.index)
    for key, value in where.items():
        mask &= frame[key] == value
    values = frame.loc[mask, column]
    if len(values) != 1:
        raise LookupError(f"expected one row for {where}, found {len(values)}")
    return float(values.iloc[0])


def _sample_count(code: str, year: int, offence: str = BURGLARY) -> float:
    crime = _sample()[0]
    return _only(crime, "registered_offences", offence_code=offence, gemeente_code=code, year=year)


def _sample_population(code: str, year: int) -> float:
    return _only(_sample()[1], "population", gemeente_code=code, year=year)


def _predecessors(new_name: str, column: str = "old_name") -> set[str]:

    mergers = regions.mergers()
    return set(mergers.loc[mergers["new_name"] == new_name, column])


def _merger_row(old_name: str) -> pd.Series:

    mergers = regions.mergers()
    return mergers.loc[mergers["old_name"] == old_name].iloc[0]


def _composition_size(year: int) -> int:

    return len(regions.municipalities(year))


def _gooise_meren_population_2015() -> float:
    return sum(_sample_population(code, 2015) for code in _predecessors("Gooise Meren", "old_code"))


def _vianen_share(year: int, with_vianen: bool = True) -> float:
    codes = _predecessors("Vijfheerenlanden", "old_code")
    others = sum(_sample_population(code, year) for code in codes - {"GM0620"})
    vianen = _sample_population("GM0620", year)
    return vianen / (vianen + others if with_vianen else others)


def _vianen_burglary(count_year: int = 2015, share_year: int = 2015, **share) -> float:
    return _sample_count("GM1961", count_year) * _vianen_share(share_year, **share)


def _gooise_meren_rate(population: float) -> float:
    return 1000 * _sample_count("GM1942", 2015) / population


def _district_counts(year: int = DISTRICT_YEAR, harmonise: bool = True) -> pd.Series:
    """Burglaries per district on 2017 boundaries; ``harmonise=False``: a plain merge and sum."""

    dataset = _boundary_set()
    crime = dataset.crime.loc[
        (dataset.crime["offence_code"] == BURGLARY) & (dataset.crime["year"] == year),
        ["gemeente_code", "year", "registered_offences"],
    ]
    if harmonise:
        crime = regions.harmonise_counts(
            crime, dataset.population, dataset.crime_boundary_year, BOUNDARY_YEAR
        )
    composition = regions.municipalities(BOUNDARY_YEAR)
    merged = crime.merge(composition, on="gemeente_code")
    return merged.groupby("district")["registered_offences"].sum().round().astype(float)


def _district_population(year: int = DISTRICT_YEAR) -> float:

    dataset = _boundary_set()
    people = regions.harmonise_population(
        dataset.population, BOUNDARY_YEAR, from_year=dataset.population_boundary_year
    )
    merged = people.merge(regions.municipalities(BOUNDARY_YEAR), on="gemeente_code")
    return float(
        merged.loc[(merged["district"] == DISTRICT) & (merged["year"] == year), "population"].sum()
    )


def _district_rate(count_year: int = DISTRICT_YEAR, population_year: int = DISTRICT_YEAR, **kw):
    counts = _district_counts(count_year, **kw)
    return 1000 * float(counts[DISTRICT]) / _district_population(population_year)


def _mean_of_municipal_rates() -> float:

    table = regions.area_table(
        _boundary_set(), BURGLARY, "gemeente", BOUNDARY_YEAR, [DISTRICT_YEAR], rate=True
    )
    composition = regions.municipalities(BOUNDARY_YEAR)
    names = set(composition.loc[composition["district"] == DISTRICT, "gemeente_name"])
    return float(table.loc[table["area"].isin(names), "rate_per_1000"].astype(float).mean())


def _municipal_burglary() -> pd.DataFrame:

    table = regions.area_table(_demo(), BURGLARY, "gemeente", BOUNDARY_YEAR, rate=True)
    return table.astype({"registered_offences": float, "population": float})


def _count(area: str, year: int) -> float:
    return _only(_municipal_burglary(), "registered_offences", area=area, year=year)


def _small_change(area: str = SMALL_MUNICIPALITY):

    return trends.count_change(_count(area, YEAR_BEFORE), _count(area, YEAR_AFTER))


def _poisson_bound(probability: float, year: int = YEAR_AFTER, extra_df: int = 0) -> float:

    count = _count(SMALL_MUNICIPALITY, year)
    if count == 0 and extra_df == 0:
        return 0.0
    return float(stats.chi2.ppf(probability, 2 * count + extra_df) / 2)


def _region_table() -> pd.DataFrame:

    region = regions.area_table(_demo(), BURGLARY, "region", BOUNDARY_YEAR, TREND_YEARS, rate=True)
    return region.astype({"registered_offences": float, "population": float})


def _region_trend_ratio(offset: bool = True) -> float:

    region = _region_table()
    design = add_constant(region["year"].astype(float))
    model = GLM(
        region["registered_offences"],
        design,
        family=families.Poisson(),
        offset=np.log(region["population"]) if offset else None,
    ).fit()
    return float(np.exp(model.params["year"]))


def _municipal_dispersion(offset: bool = True, levels: bool = True, pearson: bool = True) -> float:

    table = _municipal_burglary()
    table = table.loc[table["year"].between(*TREND_YEARS)]
    if levels:
        design = pd.get_dummies(table["area"], dtype=float)
    else:
        design = pd.DataFrame({"const": 1.0}, index=table.index)
    design["year"] = table["year"].astype(float)
    model = GLM(
        table["registered_offences"],
        design,
        family=families.Poisson(),
        offset=np.log(table["population"]) if offset else None,
    ).fit()
    statistic = model.pearson_chi2 if pearson else model.deviance
    return float(statistic / model.df_resid)


def _outside_funnel(year: int = YEAR_AFTER, level: float = 0.998, overdispersion=None) -> int:

    table = _municipal_burglary()
    table = table.loc[table["year"] == year]
    if overdispersion:
        funnel = clearance.funnel_table(
            table,
            "registered_offences",
            "population",
            kind="rate",
            label_column="area",
            overdispersion=overdispersion,
        )
        return int((funnel["position_99.8"] != "within").sum())
    expected = table["registered_offences"].sum() / table["population"].sum() * table["population"]
    tail = (1 - level) / 2
    low, high = stats.poisson.ppf(tail, expected), stats.poisson.ppf(1 - tail, expected)
    counts = table["registered_offences"]
    return int(((counts < low) | (counts >= high)).sum())


def _expected_outside(level: float = 0.998) -> float:
    return _composition_size(BOUNDARY_YEAR) * (1 - level)


def _survey() -> pd.DataFrame:

    dataset = _demo()
    survey = dataset.survey.merge(regions.municipalities(BOUNDARY_YEAR), on="gemeente_code")
    pilots = regions.pilot_municipalities()
    start = int(pilots["start_year"].min())
    survey["pilot"] = survey["gemeente_code"].isin(pilots["gemeente_code"])
    survey["after"] = survey["year"] > start
    survey.attrs["start_year"] = start
    return survey


def _survey_cell(wave: int = SURVEY_WAVE) -> pd.DataFrame:
    survey = _survey()
    return survey.loc[(survey["gemeente_name"] == SURVEY_MUNICIPALITY) & (survey["year"] == wave)]


def _neighbouring_waves() -> list[int]:
    waves = sorted(_survey()["year"].unique())
    position = waves.index(SURVEY_WAVE)
    return [waves[i] for i in (position - 1, position + 1) if 0 <= i < len(waves)]


def _weighted_percentage(wave: int = SURVEY_WAVE, weighted: bool = True) -> float:
    cell = _survey_cell(wave)
    weights = cell["weight"] if weighted else None
    return float(100 * np.average(cell[SURVEY_INDICATOR], weights=weights))


def _effective_sample_size(wave: int = SURVEY_WAVE) -> float:
    weights = _survey_cell(wave)["weight"]
    return float(weights.sum() ** 2 / (weights**2).sum())


def _design_effect(wave: int = SURVEY_WAVE) -> float:
    return len(_survey_cell(wave)) / _effective_sample_size(wave)


def _mean_pp(part: pd.DataFrame, weighted: bool) -> float:
    weights = part["weight"] if weighted else None
    return 100 * float(np.average(part[SURVEY_INDICATOR], weights=weights))


def _pilot_before_after(start_counts_as_after: bool = False, weighted: bool = True) -> float:
    survey = _survey()
    pilots = survey.loc[survey["pilot"]]
    after = (
        pilots["year"] >= survey.attrs["start_year"] if start_counts_as_after else pilots["after"]
    )
    return _mean_pp(pilots.loc[after], weighted) - _mean_pp(pilots.loc[~after], weighted)


def _two_by_two(survey: pd.DataFrame, after: pd.Series, weighted: bool = True) -> float:
    """Difference in differences in percentage points from the 2x2 table (the hand calculation)."""
    cells = {}
    for pilot in (True, False):
        for period in (True, False):
            part = survey.loc[(survey["pilot"] == pilot) & (after == period)]
            cells[pilot, period] = _mean_pp(part, weighted)
    return float(
        (cells[True, True] - cells[True, False]) - (cells[False, True] - cells[False, False])
    )


def _did(start_counts_as_after: bool = False, weighted: bool = True) -> float:
    survey = _survey()
    after = (
        survey["year"] >= survey.attrs["start_year"] if start_counts_as_after else survey["after"]
    )
    return _two_by_two(survey, after, weighted)


def _placebo_did(weighted: bool = True) -> float:
    survey = _survey()
    before = survey.loc[survey["year"] <= survey.attrs["start_year"]]
    return _two_by_two(before, before["year"] > before["year"].min(), weighted)


NEIGHBOURING_YEAR = "je het getal van een naburig jaar hebt genomen: kijk welk jaar gevraagd is."
WRONG_DENOMINATOR_YEAR = (
    "je de bevolking van een ander jaar als noemer hebt genomen: teller en noemer moeten over "
    "hetzelfde jaar gaan, ook als de gemeente in dat jaar nog niet bestond (harmoniseer de noemer)."
)
CODES_NOT_NAMES = "je de GM-codes geeft: gevraagd zijn de namen van de gemeenten (kolom *_name)."
PER_100 = "je per 100 inwoners hebt gerekend in plaats van per 1.000 (een factor 10)."


def _masterclass_1_tables() -> tuple[tuple[Exercise, Callable[[], Any]], ...]:
    """Masterclass 1, first half: from the CBS table to a municipality on other boundaries."""
    # fmt: off
    return (
        # Masterclass 1: van CBS-tabel naar districtscijfer ---------------------------------------
        (Exercise(
            "cbs_inbraak_gooise_meren_2016",
            "woninginbraken in Gooise Meren in 2016 volgens de voorbeeldtabel",
            tolerance=0.5, close=0.5,
            hint="vergelijk sleutels zonder spaties en neem de juiste periode (JJ).",
            slips=(
                Slip(NEIGHBOURING_YEAR, lambda _: _sample_count("GM1942", 2015)),
                Slip("je het totaal van alle misdrijven (0.0.0) hebt genomen, niet woninginbraak (1.1.1).",
                     lambda _: _sample_count("GM1942", 2016, TOTAL)),
            ),
        ), lambda: _sample_count("GM1942", 2016)),
        (Exercise(
            "gooise_meren_voorgangers", "de gemeenten waaruit Gooise Meren ontstond", kind="set",
            slips=(
                Slip(CODES_NOT_NAMES, lambda _: _predecessors("Gooise Meren", "old_code")),
                Slip("je de nieuwe gemeente zelf geeft: gevraagd zijn de gemeenten waaruit ze ontstond "
                     "(de voorgangers, kolom old_name).", lambda _: {"Gooise Meren"}),
            ),
        ), lambda: _predecessors("Gooise Meren")),
        (Exercise(
            "vianen_opvolger", "de gemeente waarin Vianen opging", kind="text",
            slips=(
                Slip(CODES_NOT_NAMES, lambda _: str(_merger_row("Vianen")["new_code"])),
                Slip("je een voorganger geeft, niet de opvolger: de opvolger staat in new_name.",
                     lambda _: sorted(_predecessors("Vijfheerenlanden"))),
            ),
        ), lambda: str(_merger_row("Vianen")["new_name"])),
        (Exercise(
            "gemeenten_in_2023", "het aantal gemeenten van de regio in de samenstelling van 2023",
            tolerance=0, close=1,
            slips=(
                Slip("je de samenstelling van 2017 (het jaarplan) telt: gevraagd is 2023.",
                     lambda _: _composition_size(2017)),
            ),
        ), lambda: _composition_size(2023)),
        (Exercise(
            "bevolking_gooise_meren_2015",
            "de bevolking van Gooise Meren in 2015 (grenzen van 2016 en later)",
            tolerance=0.5, close=0.02 * 56_000,
            hint="tel alle gemeenten op die in 2016 samen Gooise Meren vormden.",
            slips=(
                Slip("je alleen Bussum hebt genomen: Gooise Meren is Bussum + Muiden + Naarden.",
                     lambda _: _sample_population("GM0381", 2015)),
                Slip("je twee van de drie voorgangers hebt opgeteld: er ontbreekt er een.",
                     lambda reference: [reference - _sample_population(code, 2015)
                                        for code in _predecessors("Gooise Meren", "old_code")]),
                Slip("je de bevolking van 2016 hebt genomen, het eerste jaar van Gooise Meren: "
                     "gevraagd is 2015, dus de som van de voorgangers in 2015.",
                     lambda _: _sample_population("GM1942", 2016)),
            ),
        ), _gooise_meren_population_2015),
        (Exercise(
            "inbraak_vianen_2015_grenzen_2017",
            "woninginbraken in Vianen in 2015 op de grenzen van 2017 (bevolkingsaandeel)",
            tolerance=0.05, close=2,
            hint="het aandeel is Vianen gedeeld door Vianen + Leerdam + Zederik, in hetzelfde jaar.",
            slips=(
                Slip("je het hele aantal van Vijfheerenlanden hebt genomen: verdeel het naar het "
                     "aandeel van Vianen in de bevolking.", lambda _: _sample_count("GM1961", 2015)),
                Slip("je Vianen hebt gedeeld door alleen Leerdam + Zederik: het aandeel is Vianen "
                     "gedeeld door alle drie samen.", lambda _: _vianen_burglary(with_vianen=False)),
                Slip(WRONG_DENOMINATOR_YEAR, lambda _: _vianen_burglary(share_year=2016)),
                Slip(NEIGHBOURING_YEAR, lambda _: [_vianen_burglary(2016, 2016), _vianen_burglary(2016, 2015)]),
            ),
        ), _vianen_burglary),
    )
    # fmt: on


def _masterclass_1_rates() -> tuple[tuple[Exercise, Callable[[], Any]], ...]:
    """Masterclass 1, second half: rates, districts and what the figures assume."""
    # fmt: off
    return (
        (Exercise(
            "inbraak_per_1000_gooise_meren_2015",
            "woninginbraken per 1.000 inwoners in Gooise Meren in 2015",
            tolerance=0.005, close=0.1,
            hint="deel door de geharmoniseerde bevolking van hetzelfde jaar.",
            slips=(
                Slip(WRONG_DENOMINATOR_YEAR, lambda _: _gooise_meren_rate(_sample_population("GM1942", 2016))),
                Slip("je alleen Bussum als noemer hebt genomen: de noemer is de bevolking van alle "
                     "drie voorgangers.", lambda _: _gooise_meren_rate(_sample_population("GM0381", 2015))),
                Slip(PER_100, lambda reference: reference / 10),
                *factor_slips(1000, unit="per inwoner of per miljoen"),
                RECIPROCAL,
            ),
        ), lambda: _gooise_meren_rate(_gooise_meren_population_2015())),
        (Exercise(
            "inbraak_per_district_2016",
            "woninginbraken per district in 2016 (grenzen 2017), als Series met districtsnamen",
            kind="mapping", tolerance=0.5, close=5,
            hint="harmoniseer eerst naar de grenzen van 2017 en laat GM0000 buiten beschouwing.",
            slips=(
                Slip("je niet hebt geharmoniseerd: de tellingen staan op de grenzen van 2024, zodat "
                     "Vijfheerenlanden (met Vianen) en Amsterdam (met Weesp) bij het koppelen aan de "
                     "samenstelling van 2017 wegvallen.", lambda _: _district_counts(harmonise=False)),
                Slip(NEIGHBOURING_YEAR, lambda _: [_district_counts(DISTRICT_YEAR - 1),
                                                   _district_counts(DISTRICT_YEAR + 1)]),
            ),
        ), _district_counts),
        (Exercise(
            "inbraak_per_1000_district_2016",
            "woninginbraken per 1.000 inwoners in het district in 2016",
            tolerance=0.01, close=0.1,
            hint="tel eerst tellers en noemers op, en deel daarna.",
            slips=(
                Slip("je het gemiddelde van de cijfers per gemeente hebt genomen: tel eerst de "
                     "tellingen en de inwoners op en deel daarna.", lambda _: _mean_of_municipal_rates()),
                Slip("je de tellingen niet hebt geharmoniseerd: Weesp zit in de tellingen bij "
                     "Amsterdam en valt zo weg.", lambda _: _district_rate(harmonise=False)),
                Slip(WRONG_DENOMINATOR_YEAR, lambda _: [_district_rate(population_year=DISTRICT_YEAR - 1)]),
                Slip(PER_100, lambda reference: reference / 10),
                *factor_slips(1000, unit="per inwoner of per miljoen"),
            ),
        ), _district_rate),
        (Exercise(
            "benadering_weesp",
            "waarom het cijfer van Gooi en Vechtstreek op de grenzen van 2017 een benadering is",
            kind="choice", choices=("A", "B", "C", "D"),
            slips=(
                Slip("de afronding het cijfer tot een benadering maakt; maar afronden na het optellen "
                     "kost hooguit een half. Welke aanname doe je bij het verdelen van Amsterdam?",
                     lambda _: "A"),
                Slip("de bevolking van Gooise Meren in 2016 ontbreekt; maar Gooise Meren bestond in 2016 "
                     "al en staat in de bevolkingstabel. Kijk naar de tellingen van Weesp.",
                     lambda _: "C"),
                Slip("CBS' herzieningen het cijfer tot een benadering maken; dat kan, maar het gaat hier "
                     "om wat je aanneemt bij het verdelen van Amsterdam over Weesp en de rest.",
                     lambda _: "D"),
            ),
        ), lambda: "B"),
    )
    # fmt: on


def _masterclass_2_changes() -> tuple[tuple[Exercise, Callable[[], Any]], ...]:
    """Masterclass 2, first half: is a change between two years significant?"""
    # fmt: off
    return (
        # Masterclass 2: is de daling significant? -------------------------------------------------
        (Exercise(
            "procent_verandering_klein", "procentuele verandering in de kleine gemeente",
            tolerance=0.05, close=1, hint="deel door het aantal van het eerste jaar.",
            slips=(
                SIGN_FLIP,
                CHANGE_AS_RATIO,
                *factor_slips(100, unit="een fractie waar procenten gevraagd zijn"),
                Slip("je door het aantal van het tweede jaar hebt gedeeld: een verandering deel je "
                     "door het beginjaar.", lambda _: 100 * (_count(SMALL_MUNICIPALITY, YEAR_AFTER)
                                                          - _count(SMALL_MUNICIPALITY, YEAR_BEFORE))
                     / _count(SMALL_MUNICIPALITY, YEAR_AFTER)),
                Slip("je de grote gemeente hebt genomen: gevraagd is de kleine gemeente.",
                     lambda _: _small_change(LARGE_MUNICIPALITY).estimate),
            ),
        ), lambda: _small_change().estimate),
        (Exercise(
            "poisson_ondergrens_klein", "ondergrens van het exacte 95%-interval voor de telling",
            tolerance=0.01, close=0.5, hint="gebruik 2k vrijheidsgraden voor de ondergrens en deel door 2.",
            slips=(
                Slip("je de ondergrens van een 90%-interval geeft (kans 0,05): een 95%-interval laat "
                     "2,5% aan elke kant.", lambda _: _poisson_bound(0.05)),
                Slip("je de bovengrens geeft: gevraagd is de ondergrens.",
                     lambda _: _poisson_bound(0.975, extra_df=2)),
                Slip("je 2k + 2 vrijheidsgraden gebruikt: die horen bij de bovengrens; de ondergrens "
                     "gebruikt 2k.", lambda _: _poisson_bound(0.025, extra_df=2)),
                Slip("je niet door 2 hebt gedeeld: de grens is de helft van het chi-kwadraatkwantiel.",
                     lambda reference: 2 * reference),
                Slip(NEIGHBOURING_YEAR, lambda _: _poisson_bound(0.025, YEAR_BEFORE)),
            ),
        ), lambda: _poisson_bound(0.025)),
        (Exercise(
            "verandering_significant_klein",
            "is de verandering in de kleine gemeente significant (True/False)?", kind="bool",
            hint="significant betekent: het 95%-interval sluit 0% (verhouding 1) uit.",
        ), lambda: _small_change().significant),
        (Exercise(
            "trend_jaarverhouding_regio", "jaarlijkse verhouding uit het Poisson-model met bevolkingsoffset",
            tolerance=0.0005, close=0.01,
            hint="vergeet de offset log(bevolking) niet en neem exp van de coëfficiënt van year.",
            slips=(
                Slip("je de offset log(bevolking) bent vergeten: zonder offset gaat de trend over "
                     "aantallen, niet over het risico per inwoner.", lambda _: _region_trend_ratio(offset=False)),
                LOG_NOT_EXP,
                RATIO_AS_CHANGE,
                RECIPROCAL,
            ),
        ), _region_trend_ratio),
        (Exercise(
            "dispersie_gemeenten", "Pearson-dispersie van het model met een niveau per gemeente en één trend",
            tolerance=0.01, close=0.2, hint="Pearson chi-kwadraat gedeeld door de residuele vrijheidsgraden.",
            slips=(
                Slip("je de offset log(population) bent vergeten.",
                     lambda _: _municipal_dispersion(offset=False)),
                Slip("je geen eigen niveau per gemeente hebt (C(area)): dan meet de dispersie vooral de "
                     "verschillen tussen gemeenten.", lambda _: _municipal_dispersion(levels=False)),
                Slip("je de deviantie hebt gebruikt: gevraagd is model.pearson_chi2 / model.df_resid.",
                     lambda _: _municipal_dispersion(pearson=False)),
            ),
        ), _municipal_dispersion),
    )
    # fmt: on


def _masterclass_2_funnels() -> tuple[tuple[Exercise, Callable[[], Any]], ...]:
    """Masterclass 2, second half: many municipalities at once, funnel plots."""
    # fmt: off
    return (
        (Exercise(
            "standaardfout_bij_dispersie_2",
            "de factor waarmee de standaardfouten groeien bij een dispersie van 2",
            tolerance=0.01, close=0.05,
            slips=(
                Slip("je de factor voor de variantie geeft: de standaardfout is de wortel van de "
                     "variantie.", lambda reference: reference**2),
                RECIPROCAL,
                Slip("je het kwadraat van de variantiefactor geeft.", lambda reference: reference**4),
            ),
        ), lambda: math.sqrt(2)),
        (Exercise(
            "aantal_buiten_trechter", "aantal gemeenten buiten de 99,8%-grenzen van de trechterplot",
            tolerance=0, close=1,
            hint="gebruik het regiogemiddelde (som tellingen / som bevolking) en de 0,1%- en 99,9%-kwantielen.",
            slips=(
                Slip("je de 95%-grenzen hebt gebruikt: gevraagd zijn de 99,8%-grenzen (0,1% aan elke kant).",
                     lambda _: _outside_funnel(level=0.95)),
                Slip("je de grenzen hebt gecorrigeerd voor overdispersie: de opdracht vraagt de exacte "
                     "Poisson-grenzen.", lambda _: _outside_funnel(overdispersion="auto")),
                Slip(NEIGHBOURING_YEAR, lambda _: _outside_funnel(YEAR_BEFORE)),
            ),
        ), _outside_funnel),
        (Exercise(
            "verwacht_buiten_door_toeval",
            "hoeveel van de 39 gemeenten je door toeval alleen buiten de 99,8%-grenzen verwacht",
            tolerance=0.005, close=0.03,
            slips=(
                Slip("je het aantal binnen de grenzen geeft: buiten valt 100% - 99,8% = 0,2%.",
                     lambda _: _expected_outside(0.002)),
                Slip("je met 95%-grenzen rekent: gevraagd zijn de 99,8%-grenzen.",
                     lambda _: _expected_outside(0.95)),
                Slip("je maar één kant meetelt: buiten de grenzen is boven én onder (0,1% + 0,1%).",
                     lambda _: _expected_outside(0.999)),
                *factor_slips(10, 100, unit="0,2% is 0,002"),
                Slip("je het waargenomen aantal geeft: gevraagd is wat je door toeval alleen zou verwachten "
                     "als alle gemeenten hetzelfde risico hadden.", lambda _: _outside_funnel()),
            ),
        ), _expected_outside),
    )
    # fmt: on


def _masterclass_3() -> tuple[tuple[Exercise, Callable[[], Any]], ...]:
    """Masterclass 3: did the pilots work?"""
    # fmt: off
    return (
        # Masterclass 3: werkten de proeftuinen? ---------------------------------------------------
        (Exercise(
            "gewogen_percentage_gemeente", "gewogen percentage in de gemeente en meting",
            tolerance=0.05, close=1.5,
            hint="vermenigvuldig elke 0/1-waarde met het gewicht en deel door de som van de gewichten.",
            slips=(
                Slip("je ongewogen hebt gerekend: elke respondent telt mee met zijn weegfactor.",
                     lambda _: _weighted_percentage(weighted=False)),
                *factor_slips(100, unit="een fractie waar een percentage gevraagd is"),
                Slip("je het aandeel met een 0 geeft: gevraagd is het aandeel met indicator = 1.",
                     lambda reference: 100 - reference),
                Slip(NEIGHBOURING_YEAR, lambda _: [_weighted_percentage(w) for w in _neighbouring_waves()]),
            ),
        ), _weighted_percentage),
        (Exercise(
            "effectieve_steekproefomvang", "Kish' effectieve steekproefomvang",
            tolerance=0.5, close=5,
            hint="(som van de gewichten) in het kwadraat, gedeeld door de som van de gekwadrateerde gewichten.",
            slips=(
                Slip("je het aantal respondenten geeft: door de weging is de effectieve omvang kleiner.",
                     lambda _: len(_survey_cell())),
                Slip("je de som van de gewichten geeft: kwadrateer die en deel door de som van de "
                     "gekwadrateerde gewichten.", lambda _: float(_survey_cell()["weight"].sum())),
                RECIPROCAL,
                Slip(NEIGHBOURING_YEAR, lambda _: [_effective_sample_size(w) for w in _neighbouring_waves()]),
            ),
        ), _effective_sample_size),
        (Exercise(
            "design_effect_weging", "het design-effect van de weging (n / n_eff)",
            tolerance=0.003, close=0.05, hint="deel het aantal respondenten door de effectieve steekproefomvang.",
            slips=(
                Slip("je n_eff / n hebt berekend: het design-effect is n / n_eff (groter dan 1).",
                     lambda reference: 1 / reference),
                Slip(NEIGHBOURING_YEAR, lambda _: [_design_effect(w) for w in _neighbouring_waves()]),
            ),
        ), _design_effect),
        (Exercise(
            "voor_na_proeftuinen_pp",
            "de verandering in de proeftuinen van vóór naar na de start, in procentpunten",
            tolerance=0.05, close=0.5, hint="gewogen percentage na de start min dat vóór de start, alleen proeftuinen.",
            slips=(
                SIGN_FLIP,
                Slip("je de meting van het startjaar bij 'na' hebt geteld: die is gedaan voordat de "
                     "proeftuinen effect konden hebben en hoort bij 'vóór'.",
                     lambda _: _pilot_before_after(start_counts_as_after=True)),
                Slip("je ongewogen hebt gerekend.", lambda _: _pilot_before_after(weighted=False)),
                *factor_slips(100, unit="een fractie waar procentpunten gevraagd zijn"),
            ),
        ), _pilot_before_after),
        (Exercise(
            "did_procentpunten", "het verschil-in-verschillen in procentpunten",
            tolerance=0.05, close=0.5, hint="(proeftuin na - proeftuin voor) - (overige na - overige voor), gewogen.",
            slips=(
                SIGN_FLIP,
                Slip("je alleen de voor-naverandering in de proeftuinen geeft: trek daar de verandering "
                     "in de overige gemeenten van af.", lambda _: _pilot_before_after()),
                Slip("je de meting van het startjaar bij 'na' hebt geteld: die hoort bij 'vóór'.",
                     lambda _: _did(start_counts_as_after=True)),
                Slip("je ongewogen hebt gerekend.", lambda _: _did(weighted=False)),
                *factor_slips(100, unit="een fractie waar procentpunten gevraagd zijn"),
            ),
        ), _did),
        (Exercise(
            "placebo_did_procentpunten", "de placebo-DiD vóór de start in procentpunten",
            tolerance=0.05, close=0.5,
            hint="alleen metingen tot en met het startjaar; 'voor' is alleen de eerste meting.",
            slips=(
                SIGN_FLIP,
                Slip("je ook metingen ná de start hebt meegenomen: de placebo gebruikt alleen de metingen "
                     "tot en met het startjaar.", lambda _: _did()),
                Slip("je ongewogen hebt gerekend.", lambda _: _placebo_did(weighted=False)),
                *factor_slips(100, unit="een fractie waar procentpunten gevraagd zijn"),
            ),
        ), _placebo_did),
        (Exercise(
            "pretrendtoets_conclusie", "wat een niet-significante pre-trendtoets wel en niet zegt",
            kind="choice", choices=("A", "B", "C", "D"),
            slips=(
                Slip("een niet-significante toets bewijst dat de trends parallel liepen; maar met "
                     "weinig metingen en tien proeftuinen kan een echt verschil onopgemerkt blijven.",
                     lambda _: "A"),
                Slip("de DiD daarmee het effect is; de toets zegt niets over wat er ná de start "
                     "naast de proeftuin veranderde.", lambda _: "B"),
                Slip("de proeftuinen daarmee bewezen werken; de pre-trendtoets gaat alleen over de "
                     "periode vóór de start.", lambda _: "D"),
            ),
        ), lambda: "C"),
    )
    # fmt: on


def _exercises() -> tuple[tuple[Exercise, Callable[[], Any]], ...]:
    """Every exercise of the three masterclasses with the function that computes its answer."""
    return (
        *_masterclass_1_tables(),
        *_masterclass_1_rates(),
        *_masterclass_2_changes(),
        *_masterclass_2_funnels(),
        *_masterclass_3(),
    )


for _entry, _compute in _exercises():
    add_exercise(_entry, _compute)
