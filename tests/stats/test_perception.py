"""Known-answer and argument tests for rvs_analysis.stats.perception."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from rvs_analysis.dutch import fmt_p
from rvs_analysis.report.chapters import proeftuinen
from rvs_analysis.stats import perception
from rvs_analysis.stats.clearance import clearance_rate


def _survey(
    seed: int,
    effect: float = -0.04,
    pre_trend: float = 0.0,
    waves: tuple[int, ...] = (2011, 2013, 2015, 2017, 2019, 2021),
    municipalities: int = 39,
    respondents: int = 80,
) -> tuple[pd.DataFrame, list[str]]:
    """Microdata with municipality and wave effects, shocks, unequal weights and a pilot effect."""
    rng = np.random.default_rng(seed)
    codes = [f"GM{i:04d}" for i in range(municipalities)]
    pilots = codes[:10]
    base = rng.uniform(0.10, 0.30, municipalities)
    frames = []
    for position, wave in enumerate(waves):
        wave_effect = 0.01 * position
        for m, code in enumerate(codes):
            treated = m < 10
            p = base[m] + wave_effect + rng.normal(0, 0.01)
            if treated:
                p += effect * (wave > 2017) + pre_trend * (position - 3) * (wave <= 2017)
            frames.append(
                pd.DataFrame(
                    {
                        "gemeente_code": code,
                        "year": wave,
                        "respondent_id": np.arange(respondents),
                        "weight": rng.lognormal(0, 0.4, respondents),
                        "feels_unsafe": (rng.random(respondents) < p).astype(int),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True), pilots


def test_equal_weights_reduce_to_wilson_81_of_263():
    values = np.r_[np.ones(81), np.zeros(182)]
    weighted = perception.weighted_proportion(values, np.full(263, 3.7))
    plain = clearance_rate(81, 263)
    assert weighted.estimate == pytest.approx(plain.estimate)
    assert weighted.ci_low == pytest.approx(25.53, abs=0.005)  # Newcombe (1998)
    assert weighted.ci_high == pytest.approx(plain.ci_high)
    assert weighted.details["n_effective"] == pytest.approx(263)


def test_kish_effective_sample_size_hand_computed():
    values = np.r_[np.ones(60), np.zeros(60)]
    weights = np.r_[np.ones(60), 2 * np.ones(60)]
    result = perception.weighted_proportion(values, weights)
    # (sum w)^2 / sum w^2 = 180^2 / 300 = 108; p = 60 / 180
    assert result.details["n_effective"] == pytest.approx(108.0)
    assert result.estimate == pytest.approx(100 / 3)
    wilson_at_108 = clearance_rate(36, 108)  # 1/3 of 108 = 36: Wilson on the effective size
    assert result.ci_low == pytest.approx(wilson_at_108.ci_low)
    assert result.ci_high == pytest.approx(wilson_at_108.ci_high)


def test_suppression_below_minimum_respondents():
    result = perception.weighted_proportion(np.r_[np.ones(30), np.zeros(69)], np.ones(99))
    assert result.suppressed and np.isnan(result.estimate)
    assert result.to_dict() == {"estimate": None, "ci_low": None, "ci_high": None}
    assert perception.MIN_RESPONDENTS == 100
    shown = perception.weighted_proportion(np.r_[np.ones(30), np.zeros(70)], np.ones(100))
    assert not shown.suppressed


def test_weighted_proportions_per_group():
    survey, _ = _survey(1, respondents=60)
    table = perception.weighted_proportions(survey, "feels_unsafe", by=["gemeente_code", "year"])
    assert table["suppressed"].all()  # 60 respondents per municipality and wave
    by_wave = perception.weighted_proportions(survey, "feels_unsafe", by="year")
    assert not by_wave["suppressed"].any() and len(by_wave) == 6
    group = survey[survey["year"] == 2011]
    direct = perception.weighted_proportion(group["feels_unsafe"], group["weight"])
    assert by_wave.loc[0, "estimate_pct"] == pytest.approx(direct.estimate)


def test_did_equals_difference_of_means_in_a_balanced_two_by_two():
    rows = []
    values = {("T", 2015): 0.30, ("T", 2019): 0.20, ("C", 2015): 0.25, ("C", 2019): 0.22}
    for group, codes in (("T", ["GM1", "GM2"]), ("C", ["GM3", "GM4", "GM5"])):
        for code in codes:
            for wave in (2015, 2019):
                yes = int(round(values[(group, wave)] * 100))
                for i in range(100):
                    rows.append((code, wave, i, 1.0, int(i < yes)))
    survey = pd.DataFrame(
        rows, columns=["gemeente_code", "year", "respondent_id", "weight", "feels_unsafe"]
    )
    result = perception.difference_in_differences(survey, "feels_unsafe", ["GM1", "GM2"], 2017)
    assert result.effect.estimate == pytest.approx(100 * ((0.20 - 0.30) - (0.22 - 0.25)))
    cells = result.cell_means.set_index(["group", "period"])["estimate_pct"]
    assert cells[("pilot", "after")] == pytest.approx(20.0)
    assert result.n_clusters == 5 and result.n_treated_clusters == 2


def test_did_cell_route_equals_respondent_level_weighted_regression():
    survey, pilots = _survey(2, municipalities=20, respondents=40)
    result = perception.difference_in_differences(survey, "feels_unsafe", pilots, 2017)
    design = pd.concat(
        [
            pd.Series(
                (survey["gemeente_code"].isin(pilots) & (survey["year"] > 2017)).astype(float),
                name="pilot_after",
            ),
            pd.get_dummies(survey["gemeente_code"], dtype=float),
            pd.get_dummies(survey["year"], dtype=float).iloc[:, 1:],
        ],
        axis=1,
    )
    reference = sm.WLS(survey["feels_unsafe"].astype(float), design, weights=survey["weight"]).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(survey["gemeente_code"])[0]}
    )
    assert result.effect.estimate == pytest.approx(100 * reference.params["pilot_after"], rel=1e-8)
    assert result.effect.details["se_pp"] == pytest.approx(
        100 * reference.bse["pilot_after"], rel=1e-8
    )
    assert "wild cluster restricted bootstrap" in result.method
    cr1 = perception.difference_in_differences(survey, "feels_unsafe", pilots, 2017, interval="cr1")
    assert "t(19)" in cr1.method
    assert cr1.effect.estimate == pytest.approx(result.effect.estimate)


def test_event_study_reference_wave_and_pre_trend_verdicts():
    survey, pilots = _survey(4, respondents=300)
    study = perception.event_study(survey, "feels_unsafe", pilots, 2017)
    assert study.reference_wave == 2017
    reference_row = study.effects.set_index("wave").loc[2017]
    assert reference_row["estimate_pp"] == 0.0 and reference_row["is_reference"]
    assert list(study.effects["relative_wave"]) == [-3, -2, -1, 0, 1, 2]
    assert study.pre_trend_df == (3, 38)  # leads 2011, 2013, 2015; G - 1 = 38
    assert study.pre_trend_verdict == "no difference detected"
    assert study.pre_trend_p_value >= 0.05
    verdict = proeftuinen.pre_trend_verdict(study)  # the report words the stats layer's code
    assert "geen bewijs" in verdict and "parallel" not in verdict
    assert f"(toets op gelijke trends vooraf: {fmt_p(study.pre_trend_p_value)})" in verdict
    assert "proeftuinen" in verdict and "." not in fmt_p(0.5)
    after = study.effects[study.effects["period"] == "after"]
    assert (after["estimate_pp"] < 0).all()

    diverging, pilots = _survey(4, pre_trend=-0.03, respondents=300)
    bad = perception.event_study(diverging, "feels_unsafe", pilots, 2017)
    assert bad.pre_trend_verdict == "not parallel" and bad.pre_trend_p_value < 0.05
    assert "geen betrouwbare schatting" in proeftuinen.pre_trend_verdict(bad)

    assert bad.pre_trend_p_value_analytic < 0.05

    short, pilots = _survey(4, waves=(2017, 2019))
    untestable = perception.event_study(short, "feels_unsafe", pilots, 2017)
    assert untestable.pre_trend_verdict == "not testable"
    assert "niet te toetsen" in proeftuinen.pre_trend_verdict(untestable)
    assert np.isnan(untestable.pre_trend_p_value)


def test_bootstrap_observed_statistic_equals_statsmodels_wald():
    survey, pilots = _survey(8, respondents=120)
    study = perception.event_study(survey, "feels_unsafe", pilots, 2017, n_boot=199)
    data, _, _, _ = perception._prepare(survey, "feels_unsafe", pilots, 2017)
    cells = perception._cells(data)
    design = perception._fixed_effects(cells)
    leads = []
    for position, wave in enumerate(w for w in sorted(cells["year"].unique()) if w != 2017):
        name = f"pilot_wave_{wave}"
        design.insert(position, name, (cells["treated"] & (cells["year"] == wave)).astype(float))
        if wave < 2017:
            leads.append(name)
    observed, replicates = perception._wild_bootstrap_wald(cells, design, leads, len(data), 199, 1)
    assert observed == pytest.approx(study.pre_trend_statistic, rel=1e-8)
    assert replicates.shape == (199,) and (replicates >= 0).all()
    assert 0 < study.pre_trend_p_value <= 1


@pytest.mark.parametrize(
    "call",
    [
        lambda: perception.weighted_proportion([1, 0, 1], [1, 0, 1]),
        lambda: perception.weighted_proportion([1, 0, 1], [1, -2, 1]),
        lambda: perception.weighted_proportion([1, 0, 2], [1, 1, 1]),
        lambda: perception.weighted_proportion([1, 0], [1, 1, 1]),
        lambda: perception.weighted_proportion([], []),
        lambda: perception.weighted_proportion([1, 0], [1, 1], level=95),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_bad_survey_frames_raise_value_error():
    survey, pilots = _survey(6, municipalities=12, respondents=10)
    with pytest.raises(ValueError, match="no comparison group"):
        perception.difference_in_differences(
            survey, "feels_unsafe", survey["gemeente_code"].unique(), 2017
        )
    with pytest.raises(ValueError, match="pilot"):
        perception.difference_in_differences(survey, "feels_unsafe", ["GM9999"], 2017)
    with pytest.raises(ValueError, match="waves"):
        perception.difference_in_differences(survey, "feels_unsafe", pilots, 2030)
    bad_weight = survey.assign(weight=survey["weight"].where(survey.index != 3, 0.0))
    with pytest.raises(ValueError, match="weight"):
        perception.difference_in_differences(bad_weight, "feels_unsafe", pilots, 2017)
    with pytest.raises(ValueError, match="youth_nuisance"):
        perception.event_study(survey, "youth_nuisance", pilots, 2017)
