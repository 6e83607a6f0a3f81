"""The statistics' methods in Dutch: the "Technische details" of a report.

The statistics layer names each method as a code and its numbers
(:class:`~rvs_analysis.stats.common.MethodSpec`); this module words them in Dutch with Dutch number
formatting (issue 30 item 4, issue 28 A7). A report ties every line to the figure, table or
indicator it belongs to (:func:`technical_lines`); lines with the same wording are merged, so no
method appears twice. Every code of :data:`~rvs_analysis.stats.common.METHOD_CODES` has a wording
in :data:`WORDINGS`; an unknown code raises :class:`UnknownMethodCode`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rvs_analysis.dutch import fmt_int, fmt_num
from rvs_analysis.exceptions import UnknownMethodCode
from rvs_analysis.stats.common import MethodSpec

__all__ = [
    "UnknownMethodCode",
    "WORDINGS",
    "describe",
    "technical_lines",
]


def _number(value: Any, decimals: int = 2) -> str:
    return fmt_num(value, decimals)


def _df(value: Any) -> str:
    """Degrees of freedom: whole numbers without decimals, others with one."""
    number = float(value)
    return fmt_int(number) if number.is_integer() else fmt_num(number, 1)


def _finite(value: Any) -> bool:
    return value is not None and math.isfinite(float(value))


def _draws(values: Mapping) -> str:
    """``t(132)-trekkingen``, or ``normale trekkingen`` where the dispersion sits at its floor
    (no df: the Poisson variance, normal reference)."""
    df = values.get("df")
    return f"t({_df(df)})-trekkingen" if _finite(df) else "normale trekkingen"


def _reference(values: Mapping, what: str = "interval") -> str:
    """``t(11)-interval`` or ``normaal interval`` from ``values["df"]``."""
    df = values.get("df")
    if _finite(df):
        return f"t({_df(df)})-{what}"
    return f"normaal {what}"


def _level(values: Mapping) -> str:
    return f"{fmt_num(100 * float(values.get('level', 0.95)), 0)}%"


def _precise_level(values: Mapping) -> str:
    """A level as a percentage with the decimal it needs (99,8%)."""
    percent = 100 * float(values.get("level", 0.95))
    return f"{fmt_num(percent, 0 if round(percent, 6).is_integer() else 1)}%"


def _precise_share(fraction: Any) -> str:
    percent = 100 * float(fraction)
    return f"{fmt_num(percent, 0 if round(percent, 6).is_integer() else 1)}%"


def _percentage_change(values: Mapping) -> str:
    return ", als procentuele verandering" if values.get("percentage_change") else ""


def _serial(values: Mapping) -> str:
    """The AR(1) check of the year noise (:func:`rvs_analysis.stats.serial.independence_values`)."""
    state = values.get("state", "unchecked")
    if state == "unchecked":
        return "jaren als onafhankelijk genomen (niet op autocorrelatie gecontroleerd)"
    if state == "no_extra_noise":
        return (
            "jaren als onafhankelijk genomen (geen jaarruis boven de Poisson- of binomiale ruis, "
            "die tussen jaren onafhankelijk is)"
        )
    if state == "too_few_years":
        return (
            f"jaren als onafhankelijk genomen: {fmt_int(values['years'])} jaren zijn te weinig "
            "om de jaarruis op autocorrelatie te controleren (minstens "
            f"{fmt_int(values['min_years'])})"
        )
    if state == "independent":
        return (
            "jaarruis gecontroleerd op AR(1)-autocorrelatie (lag-1 van de Pearson-residuen "
            f"{_number(values['lag1'])}, niet hoger dan bij onafhankelijke jaren: rho = 0, jaren "
            "als onafhankelijk genomen)"
        )
    if state == "ar1":
        return (
            "AR(1)-jaarruis meegenomen (lag-1-autocorrelatie van de Pearson-residuen "
            f"{_number(values['lag1'])}; trend: rho = {_number(values['rho'])}, de "
            f"{fmt_num(100 * values['upper_quantile'], 0)}%-bovengrens, sandwichvariantie "
            f"{_number(values['variance_factor'])} maal die bij onafhankelijke jaren, kritieke "
            "waarde uit een parametrische bootstrap van de gestudentiseerde helling; prognoses: "
            f"mediaan-zuivere rho = {_number(values['forecast_rho'])}, sandwichcovariantie, "
            "vrijheidsgraden volgens Satterthwaite)"
        )
    raise UnknownMethodCode(f"Unknown state {state!r} of the year noise's AR(1) check.")


_MODEL_NL = {
    "quasi_poisson": "quasi-Poisson",
    "poisson": "Poisson",
    "negative_binomial": "negatief-binomiale (NB2)",
}

_AREA_TERMS = {
    "year_effects": "vaste jaareffecten, een eigen niveau en een eigen lineaire afwijking per "
    "gebied",
    "slopes": "een eigen niveau en een eigen lineaire trend per gebied",
}

_INTERVAL_NL = {
    "exact_poisson": "exact Poisson",
    "clopper_pearson": "Clopper-Pearson",
    "margin": "de gepubliceerde marge",
    "": "geen interval",
}


def _count_trend(values: Mapping) -> str:
    offset = " met log(bevolking) als offset" if values.get("population") else ""
    model = values.get("model")
    if model == "quasi_poisson":
        if values.get("bootstrap"):
            dispersion = (
                f"dispersie {_number(values['dispersion'])} rekening houdend met de "
                f"autocorrelatie (Pearson X²/df {_number(values['pearson'])}), parametrische "
                "bootstrap-t-intervallen"
            )
        else:
            reference = (
                f"t({_df(values['df'])})-intervallen"
                if _finite(values.get("df"))
                else "normale intervallen (de dispersie staat op haar ondergrens 1: "
                "Poisson-variantie)"
            )
            dispersion = f"dispersie max(1; X²/df) = {_number(values['dispersion'])}, {reference}"
        return f"quasi-Poisson-regressie op het jaar{offset}, {dispersion}; " + _serial(
            values.get("serial") or {}
        )
    if model == "negative_binomial":
        return f"negatief-binomiale regressie (NB2) op het jaar{offset}, t-intervallen"
    return f"Poisson-regressie op het jaar{offset} (geen dispersie geschat), normale intervallen"


def _count_forecast(values: Mapping) -> str:
    projected = (
        ", bevolking doorgetrokken met haar eigen trend"
        if values.get("population_projected")
        else ""
    )
    if values.get("model") == "quasi_poisson":
        text = (
            "simulatie uit de quasi-Poisson-trend: t-trekkingen van de parameters, dispersie uit "
            f"haar geschaalde inverse chi-kwadraatverdeling ({_df(values['df'])} "
            "vrijheidsgraden), telruis met variantie phi* maal het verwachte aantal; "
            + _serial(values.get("serial") or {})
        )
    else:
        model = _MODEL_NL.get(values.get("model"), str(values.get("model")))
        text = f"simulatie uit de {model}-trend (parameters en telruis)"
    return f"{text}; {fmt_int(values['draws'])} trekkingen, {_level(values)}-" + (
        f"voorspellingsinterval{projected}"
    )


def _clearance_forecast(values: Mapping) -> str:
    return (
        "quasi-binomiaal trendmodel op het jaar (Pearson-dispersie "
        f"{_number(values['dispersion'])}, t-trekkingen van de parameters, dispersie uit haar "
        "geschaalde inverse chi-kwadraatverdeling, bèta-binomiale jaarruis), gesimuleerd met "
        f"{fmt_int(values['registered'])} geregistreerde misdrijven (gemiddelde van de laatste "
        f"drie jaren), {fmt_int(values['draws'])} trekkingen; "
        + _serial(values.get("serial") or {})
    )


def _forecast(values: Mapping) -> str:
    forecast = values.get("forecast")
    if forecast is None:
        raise UnknownMethodCode("A forecast status without the forecast's method spec.")
    return describe(forecast)


def _target_measured(values: Mapping) -> str:
    years = " en ".join(str(year) for year in values["years"])
    kinds = [kind for kind in values.get("intervals", []) if kind]
    intervals = sorted({_INTERVAL_NL.get(kind, kind) for kind in kinds})
    interval = (
        f"met het 95%-interval van de meting ({', '.join(intervals)}): 'op de grens' als het "
        "doel binnen het interval ligt"
        if intervals
        else "zonder interval (de bron geeft er geen)"
    )
    return (
        f"gemeten waarde van {years} tegen het doel voor {values['target_year']}, {interval}, "
        "'te weinig gevallen' onder "
        f"{fmt_int(values['min_cases'])} gevallen; geen prognose: de gegevens reiken tot het "
        "doeljaar"
    )


def _target_forecast(values: Mapping) -> str:
    bands = sorted(float(bound) for bound in values.get("bands", (0.9, 0.7, 0.3)))
    low, middle, high = (fmt_num(100 * bound, 0) for bound in bands[-3:])
    return (
        f"prognose door {_forecast(values)}; voorspellende kans dat het doel wordt gehaald als "
        "de trend doorzet, in banden van de afgedrukte hele procent (vanaf "
        f"{high}% op koers, {middle}-{high}% waarschijnlijk op koers, {low}-{middle}% onzeker, "
        f"onder {low}% niet op koers)"
    )


def _area_trend_comparison(values: Mapping) -> str:
    terms = _AREA_TERMS.get(values["model"], str(values["model"]))
    reference = (
        f"Wald-t({_df(values['df'])})-interval"
        if _finite(values.get("df"))
        else "Wald-normaal interval (de dispersie staat op haar ondergrens 1: Poisson-variantie)"
    )
    return (
        f"quasi-Poisson-regressie van beide reeksen ({terms}) met log(bevolking) als offset, "
        f"tegen {values['reference']}; dispersie max(1; X²/df) = "
        f"{_number(values['dispersion'])} op {fmt_int(values['df_resid'])} vrijheidsgraden; "
        f"{reference} voor de verhouding van de jaarlijkse veranderingen"
    )


def _area_trend_comparison_pairs(values: Mapping) -> str:
    terms = _AREA_TERMS.get(values["model"], str(values["model"]))
    return (
        f"per gebied een quasi-Poisson-regressie van dat gebied en {values['reference']} "
        f"({terms}) met log(bevolking) als offset, met de eigen dispersie max(1; X²/df) van elk "
        f"gebied ({_number(values['dispersion_min'])} tot {_number(values['dispersion_max'])}); "
        "Wald-t-intervallen (normaal waar de dispersie op haar ondergrens 1 staat) voor de "
        f"verhouding van de jaarlijkse veranderingen; {fmt_int(values['areas'])} vergelijkingen "
        "met een gezamenlijke F-toets"
    )


def _visibility(values: Mapping) -> str:
    model = values.get("model")
    if model == "quasi_poisson":
        tail = f"dispersie max(1; X²/df) = {_number(values['dispersion'])}, {_reference(values)}"
    elif model == "negative_binomial":
        tail = "t-interval"
    else:
        tail = "normaal interval"
    name = _MODEL_NL.get(model, str(model))
    return (
        f"{name}-regressie van de jaarcijfers met vaste jaareffecten en een interactie "
        f"categorie × jaar; {tail}"
    )


def _change_funnel(values: Mapping) -> str:
    widened = (
        f", gedeeld door de wortel uit phi = {_number(values['dispersion'])} (gewinsoriseerde "
        "dispersie tussen gebieden)"
        if values.get("overdispersion")
        else " (zonder correctie voor overdispersie)"
    )
    return (
        "trechter van de verandering tussen twee jaren: conditionele binomiale z-score van het "
        f"latere aantal tegen de totale verhouding {fmt_num(values['centre'], 3)}{widened}; "
        "grenzen op 95% en 99,8%"
    )


def _change_points(values: Mapping) -> str:
    level = fmt_num(values["test_level"], 2)
    kind = "sprong" if values["kind"] == "level" else "sprong of knik"
    series = (
        "de voor het seizoen gecorrigeerde (STL) log-reeks"
        if values.get("stl")
        else "de log-reeks (te weinig misdrijven per maand voor STL, minder dan "
        f"{fmt_int(values['min_monthly_count'])})"
    )
    rule = (
        "een sprong beter past dan de beste knik"
        if values["kind"] == "level"
        else f"de sprong bovenop de beste knik significant is (bootstrap, p < {level})"
    )
    pelt = (
        f"; voorstellen van PELT (straf {fmt_num(values['penalty'], 3)}) alleen ter vergelijking"
        if values.get("pelt")
        else ""
    )
    return (
        f"sup-F-toets op één {kind} in een onbekende maand tegen een rechte lijn, op {series}; "
        "p-waarde uit een parametrische bootstrap van het maximum onder AR(1)-ruis bovenop "
        f"Poisson-ruis ({fmt_int(values['replicates'])} herhalingen, rho = "
        f"{_number(values['rho'])}); een verandering geldt bij p < {level}, als knik "
        f"(doorlopende gebroken lijn) tenzij {rule}{pelt}"
    )


def _clearance_drivers(values: Mapping) -> str:
    covariance = {
        "cv3": "cluster-jackknife-standaardfouten (CV3, per gemeente)",
        "cr1": "cluster-robuuste standaardfouten (CR1, per gemeente)",
        "quasi_binomial_hc1": "de grootste van de quasi-binomiale en de HC1-sandwich-"
        "standaardfouten",
    }[values["covariance"]]
    missing = values.get("without_interval") or []
    return (
        "binomiaal regressiemodel (logit) van opgehelderde uit geregistreerde misdrijven, "
        f"{covariance}, t({_df(values['df'])})-intervallen; Pearson-dispersie "
        f"{_number(values['dispersion'])}"
        + (
            f"; geen interval voor {', '.join(missing)} (één gemeente: geen cluster-robuuste fout)"
            if missing
            else ""
        )
    )


def _did(values: Mapping) -> str:
    weighted = "gewogen" if values.get("weighted") else "ongewogen"
    interval = (
        f"CR1-t({_df(values['df'])})-interval"
        if values.get("interval") == "cr1"
        else "interval door inversie van de wilde cluster-bootstrap onder de nulhypothese "
        f"(Webb-gewichten, {fmt_int(values['replicates'])} herhalingen)"
    )
    return (
        f"verschil in verschillen: {weighted} lineair kansmodel met vaste effecten voor gemeente "
        "en meting, fouten geclusterd per gemeente "
        f"({fmt_int(values['n_clusters'])} clusters, {fmt_int(values['n_treated'])} "
        f"proeftuinen, Kish-effectief {fmt_num(values['kish_treated'], 1)}), {interval}"
    )


def _event_study(values: Mapping) -> str:
    return (
        "eventstudie: gewogen lineair kansmodel met vaste effecten voor gemeente en meting en "
        f"termen proeftuin × meting (referentiemeting {values['reference_wave']}), fouten "
        f"geclusterd per gemeente, t({_df(values['df'])})-intervallen; toets op verschil vóór de "
        "start: gezamenlijke cluster-robuuste Wald-toets van de metingen vóór de referentie, "
        "p-waarde uit de wilde clusterbootstrap "
        f"({fmt_int(values['replicates'])} herhalingen)"
    )


def _published_comparison(values: Mapping) -> str:
    return (
        "verschil van de veranderingen van proeftuinen en overige gebieden, elk per gebied "
        "genomen en met een random-effectsmodel gepoold (gepubliceerde schattingen, "
        "standaardfout = marge / 1,96 uit de 95%-grenzen van CBS; variantie tussen gebieden "
        "volgens DerSimonian-Laird, variantie volgens Hartung-Knapp op het Kish-effectieve "
        "aantal gebieden min 1), t-interval met vrijheidsgraden volgens Welch-Satterthwaite ("
        f"{_df(values['df'])})"
    )


def _year_nowcast(values: Mapping) -> str:
    low, high = values["dispersion_min"], values["dispersion_max"]
    dispersion = (
        f"dispersie max(1; X²/df) = {_number(low)}"
        if fmt_num(low, 2) == fmt_num(high, 2)
        else f"dispersie max(1; X²/df) {_number(low)} tot {_number(high)} per reeks"
    )
    return (
        "quasi-Poisson-regressie van de maandcijfers met een niveau per jaar en maandeffecten "
        f"(seizoensaandeel uit {values['past_first']}-{values['past_last']}, het niveau van "
        f"{values['year']} uit zijn eigen gepubliceerde maanden), {dispersion}; de verwachte "
        "rest van het jaar met procesvariantie en schattingsvariantie (deltamethode), "
        f"{_level(values)}-voorspellingsinterval uit een gammaverdeling met dat gemiddelde en "
        "die variantie"
    )


WORDINGS: dict[str, Callable[[Mapping], str]] = {
    "exact_poisson_ratio": lambda v: (
        "exacte conditionele Poisson-verhouding van twee aantallen (Clopper-Pearson), "
        f"{_level(v)}-interval{_percentage_change(v)}"
    ),
    "quasi_poisson_ratio": lambda v: (
        "verhouding van twee aantallen met de quasi-Poisson-dispersie "
        f"{_number(v['dispersion'])} van de jaar-op-jaarruis van het gebied, "
        f"{_reference(v)}{_percentage_change(v)}"
    ),
    "clearance_rate": lambda v: (
        "ophelderingspercentage met "
        + ("Wilson" if v.get("interval") == "wilson" else "exact Clopper-Pearson")
        + f"-interval ({_level(v)})"
    ),
    "clearance_difference": lambda v: (
        "verschil van twee ophelderingspercentages in procentpunt, quasi-binomiale dispersie "
        f"{_number(v['dispersion'])} van de reeks, {_reference(v)}"
    ),
    "no_year_noise": lambda v: (
        "geen interval en geen toets: minder dan drie opeenvolgende jaren buiten de vergeleken "
        "en de voorlopige jaren om de jaar-op-jaarruis te schatten"
    ),
    "eb_rates": lambda v: (
        "empirisch-Bayesiaans gladgestreken cijfers per inwoner (Poisson-gamma, momentschatters "
        f"van Marshall), {_precise_level(v)}-intervallen uit de gamma-posterior"
    ),
    "concentration": lambda v: (
        f"aandeel van de verwachte misdrijven in de {_precise_share(v['top_fraction'])} buurten "
        f"met de meeste, {_precise_level(v)}-interval uit een parametrische bootstrap "
        f"({fmt_int(v['draws'])} trekkingen)"
    ),
    "funnel_overdispersed": lambda v: (
        f"trechtergrenzen ({_precise_level(v)}) met een additief random effect "
        "(DerSimonian-Laird, gewinsoriseerde z-scores) voor de spreiding tussen buurten"
    ),
    "persistent_hotspots": lambda v: (
        f"blijvende uitschieter: boven de {_precise_level(v)}-trechtergrens in minstens "
        f"{fmt_int(v['k'])} van de laatste {fmt_int(v['n'])} jaren"
    ),
    "monthly_surveillance": lambda v: (
        "maandsignalen volgens het verbeterde Farrington-schema (quasi-Poisson met seizoen, "
        f"Noufaily e.a. 2013): drempel bij kans {_number(100 * float(v['alpha']), 1)}% per "
        f"gebied-maand, basis van minstens {fmt_int(v['baseline_months'])} maanden"
    ),
    "count_trend": _count_trend,
    "count_forecast": _count_forecast,
    "clearance_forecast": _clearance_forecast,
    "linear_forecast": lambda v: (
        f"lineaire trend (kleinste kwadraten) op het jaar met t({_df(v['df'])})-"
        "voorspellingsinterval"
    ),
    "target_measured": _target_measured,
    "target_no_observation": lambda v: (
        f"geen meting tot en met het doeljaar {v['target_year']}: geen status"
    ),
    "target_too_few_years": lambda v: (
        f"minder dan {fmt_int(v['min_years'])} jaren"
        + (
            f" ({fmt_int(v['min_points_linear'])} voor een lineaire trend)"
            if v.get("min_points_linear")
            else ""
        )
        + ": geen prognose"
    ),
    "target_forecast_wide": lambda v: (
        f"prognose door {_forecast(v)}; het {_level(v)}-interval beslaat het grootste deel van "
        "de schaal: onvoldoende gegevens"
    ),
    "target_forecast": _target_forecast,
    "area_trend_comparison": _area_trend_comparison,
    "area_trend_comparison_pairs": _area_trend_comparison_pairs,
    "visibility_trend_comparison": _visibility,
    "change_funnel": _change_funnel,
    "change_points": _change_points,
    "seasonal_effects": lambda v: (
        "quasi-Poisson-regressie van de maandcijfers met een niveau per jaar en maandeffecten, "
        f"dispersie max(1; X²/df) = {_number(v['dispersion'])}; intervallen uit "
        f"{fmt_int(v['draws'])} {_draws(v)} van de parameters"
    ),
    "seasonal_peak": lambda v: (
        "maand met de hoogste maandfactor; interval: het kleinste circulaire venster met "
        f"{_level(v)} van de gesimuleerde piekmaanden"
    ),
    "dark_months_ratio": lambda v: (
        "verhouding van de gemiddelde maandfactoren, donkere maanden tegen de overige, uit het "
        f"seizoensmodel (dispersie {_number(v['dispersion'])}, {_draws(v)})"
    ),
    "clearance_drivers": _clearance_drivers,
    "weighted_proportion": lambda v: (
        f"gewogen percentage, Wilson-{_level(v)}-interval op de effectieve steekproefomvang "
        f"(Kish); onderdrukt onder {fmt_int(v['min_respondents'])} respondenten"
    ),
    "difference_in_differences": _did,
    "event_study": _event_study,
    "published_pool": lambda v: (
        "met de inverse variantie gewogen gemiddelde van gepubliceerde schattingen "
        f"(standaardfout = marge / 1,96), normaal {_level(v)}-interval"
    ),
    "published_comparison": _published_comparison,
    "published_change": lambda v: (
        "verandering per gebied van gepubliceerde schattingen, met een random-effectsmodel "
        "gepoold (standaardfout = marge / 1,96; DerSimonian-Laird, Hartung-Knapp), t-interval "
        "op het Kish-effectieve aantal gebieden min 1; één gebied: zijn eigen verandering, "
        "normaal interval"
    ),
    "serial_noise": _serial,
    "measured_interval": lambda v: (
        f"95%-interval van de meting: {_INTERVAL_NL.get(v.get('interval', ''), 'geen interval')}"
    ),
    "year_nowcast": _year_nowcast,
}
"""Per method code (:data:`~rvs_analysis.stats.common.METHOD_CODES`), its Dutch wording."""


def describe(spec: MethodSpec | None) -> str:
    """A method spec in Dutch, with decimal commas.

    Parameters
    ----------
    spec : MethodSpec
        A result's ``method_spec``.

    Returns
    -------
    str
        The wording, without a final full stop.

    Raises
    ------
    UnknownMethodCode
        When ``spec`` is None or its code has no wording.
    """
    if spec is None:
        raise UnknownMethodCode(
            "A result without a method spec cannot be described in Dutch; give it one."
        )
    wording = WORDINGS.get(spec.code)
    if wording is None:
        raise UnknownMethodCode(
            f"No Dutch wording for the method code {spec.code!r}; add it to "
            "rvs_analysis.report.methods_text.WORDINGS."
        )
    return wording(spec.values)


def technical_lines(items: Iterable[tuple[str, MethodSpec | None]]) -> list[str]:
    """The "Technische details" lines: each method tied to what it belongs to, no duplicates.

    Parameters
    ----------
    items : iterable of (str, MethodSpec)
        What the method belongs to (a figure, table or indicator, in Dutch) and its spec.

    Returns
    -------
    list of str
        ``"<what>: <method>."``, in first-seen order; items with the same wording share one
        line that names all of them (``"<what 1>; <what 2>: <method>."``).
    """
    grouped: dict[str, list[str]] = {}
    for item in items:
        if isinstance(item, str) or len(item) != 2:
            raise TypeError(
                "Technische details take (what it belongs to, method_spec) pairs, got "
                f"{item!r}: English method text is not shown to readers."
            )
        subject, spec = item
        subjects = grouped.setdefault(describe(spec), [])
        if subject not in subjects:
            subjects.append(subject)
    return [f"{'; '.join(subjects)}: {text}." for text, subjects in grouped.items()]
