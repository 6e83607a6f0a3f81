"""Known-answer and argument tests for rvs_analysis.stats.clearance."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from rvs_analysis.stats import clearance


def test_wilson_and_clopper_pearson_match_newcombe_1998():
    # Newcombe (1998), Statistics in Medicine 17, 857-872, table I, example 81/263:
    # score (Wilson) 0.2553-0.3662, exact (Clopper-Pearson) 0.2527-0.3676.
    wilson = clearance.clearance_rate(81, 263)
    assert wilson.estimate == pytest.approx(100 * 81 / 263)
    assert wilson.ci_low == pytest.approx(25.53, abs=0.005)
    assert wilson.ci_high == pytest.approx(36.62, abs=0.005)
    exact = clearance.clearance_rate(81, 263, method="clopper-pearson")
    assert exact.ci_low == pytest.approx(25.27, abs=0.005)
    assert exact.ci_high == pytest.approx(36.76, abs=0.005)
    assert "Wilson" in wilson.method and "Clopper-Pearson" in exact.method


def test_wilson_hand_computed_zero_of_ten():
    # Wilson for 0/n: lower 0, upper z^2 / (n + z^2).
    z = 1.959963984540054
    result = clearance.clearance_rate(0, 10)
    assert result.ci_low == pytest.approx(0.0, abs=1e-12)
    assert result.ci_high == pytest.approx(100 * z**2 / (10 + z**2), rel=1e-9)


def test_clearance_table_equals_scalar_route():
    frame = pd.DataFrame(
        {
            "year": [2015, 2015, 2016, 2016],
            "registered_offences": [5000, 3510, 4000, 3813],
            "cleared_offences": [430, 293, 300, 309],
        }
    )
    table = clearance.clearance_table(frame, by="year")
    row = table.set_index("year").loc[2016]
    scalar = clearance.clearance_rate(609, 7813)
    assert row["cleared_offences"] == 609 and row["registered_offences"] == 7813
    assert row["clearance_pct"] == pytest.approx(scalar.estimate)
    assert row["ci_low"] == pytest.approx(scalar.ci_low)
    assert row["ci_high"] == pytest.approx(scalar.ci_high)


def test_drivers_single_binary_driver_equals_two_by_two_odds_ratio():
    frame = pd.DataFrame(
        {
            "gemeente_code": ["GM1", "GM2", "GM3", "GM4", "GM5", "GM6"],
            "registered_offences": [100, 120, 80, 90, 110, 100],
            "cleared_offences": [10, 14, 7, 20, 25, 18],
            "burgernet_high": [0, 0, 0, 1, 1, 1],
        }
    )
    fit = clearance.clearance_drivers(frame, ["burgernet_high"])
    low = frame[frame["burgernet_high"] == 0][["cleared_offences", "registered_offences"]].sum()
    high = frame[frame["burgernet_high"] == 1][["cleared_offences", "registered_offences"]].sum()
    odds_low = low["cleared_offences"] / (low["registered_offences"] - low["cleared_offences"])
    odds_high = high["cleared_offences"] / (high["registered_offences"] - high["cleared_offences"])
    estimate = fit.odds_ratio("burgernet_high")
    assert estimate.estimate == pytest.approx(odds_high / odds_low, rel=1e-8)
    assert estimate.null_value == 1.0 and estimate.significant
    assert fit.covariance == "cluster jackknife CV3 (municipality)"
    assert "t(5)" in fit.method


def test_drivers_jackknife_equals_leave_one_municipality_out_refits():
    rng = np.random.default_rng(12)
    frame = pd.DataFrame(
        {
            "gemeente_code": np.repeat([f"GM{i}" for i in range(8)], 3),
            "registered_offences": rng.integers(50, 300, 24),
            "participation": np.repeat(rng.uniform(2, 12, 8), 3) + rng.normal(0, 0.3, 24),
        }
    )
    frame["cleared_offences"] = rng.binomial(frame["registered_offences"], 0.1)
    fit = clearance.clearance_drivers(frame, ["participation"])
    slopes = []
    for code in frame["gemeente_code"].unique():
        rest = frame[frame["gemeente_code"] != code]
        design = sm.add_constant(rest[["participation"]].astype(float))
        endog = np.column_stack(
            [rest["cleared_offences"], rest["registered_offences"] - rest["cleared_offences"]]
        )
        slopes.append(sm.GLM(endog, design, family=sm.families.Binomial()).fit().params.iloc[1])
    slopes = np.array(slopes)
    se = math.sqrt(7 / 8 * np.sum((slopes - slopes.mean()) ** 2))
    estimate = fit.odds_ratio("participation")
    quantile = stats.t.ppf(0.975, 7)
    log_or = math.log(estimate.estimate)
    assert estimate.ci_high == pytest.approx(math.exp(log_or + quantile * se), rel=1e-6)
    assert fit.covariance == "cluster jackknife CV3 (municipality)"
    cr1 = clearance.clearance_drivers(frame, ["participation"], se_method="cr1")
    assert cr1.covariance == "cluster-robust CR1 (municipality)"
    assert cr1.odds_ratio("participation").estimate == pytest.approx(estimate.estimate)


def test_drivers_give_no_interval_for_a_category_of_one_municipality():
    rng = np.random.default_rng(13)
    codes = [f"GM{i}" for i in range(9)]
    frame = pd.DataFrame(
        {
            "gemeente_code": np.repeat(codes, 2),
            "district": np.repeat(["A", "A", "A", "A", "B", "B", "B", "B", "Stad"], 2),
            "participation": rng.uniform(2, 12, 18),
            "registered_offences": rng.integers(80, 200, 18),
        }
    )
    frame["cleared_offences"] = rng.binomial(frame["registered_offences"], 0.12)
    fit = clearance.clearance_drivers(
        frame, ["participation", "district"], categorical=["district"]
    )
    assert fit.covariance.startswith("cluster jackknife CV3 (municipality); no interval for")
    assert "district=Stad" in fit.covariance
    stad = fit.odds_ratio("district=Stad")
    # a one-municipality district has no cluster-robust interval at all
    assert math.isnan(stad.ci_low) and math.isnan(stad.ci_high) and not stad.significant
    cr1 = clearance.clearance_drivers(
        frame, ["participation", "district"], categorical=["district"], se_method="cr1"
    )
    assert fit.odds_ratio("participation").ci_low != pytest.approx(
        cr1.odds_ratio("participation").ci_low
    )


def test_drivers_recover_simulated_odds_ratio_with_cluster_robust_errors():
    rng = np.random.default_rng(7)
    rows = []
    for municipality in range(39):
        participation = rng.uniform(2, 14)
        district = f"D{municipality % 5}"
        effect = rng.normal(0, 0.2)
        for year in range(2011, 2024):
            registered = int(rng.integers(60, 900))
            logit = -2.7 + math.log(1.15) * participation + effect + 0.2 * (district == "D2")
            cleared = rng.binomial(registered, 1 / (1 + math.exp(-logit)))
            rows.append(
                {
                    "gemeente_code": f"GM{municipality:04d}",
                    "year": year,
                    "district": district,
                    "burgernet_participation": participation,
                    "registered_offences": registered,
                    "cleared_offences": cleared,
                }
            )
    frame = pd.DataFrame(rows)
    fit = clearance.clearance_drivers(
        frame, ["burgernet_participation", "district", "year"], categorical=["district", "year"]
    )
    estimate = fit.odds_ratio("burgernet_participation")
    assert estimate.ci_low < 1.15 < estimate.ci_high
    assert fit.n_clusters == 39
    assert fit.dispersion > 1.5  # the municipal effect makes the data overdispersed
    assert "district=D2" in set(fit.odds_ratios["term"])
    quasi = clearance.clearance_drivers(
        frame, ["burgernet_participation"], cluster_column=None
    ).odds_ratio("burgernet_participation")
    assert quasi.estimate > 1


def test_exact_binomial_funnel_limits_hand_computed():
    # n = 10, theta = 0.5. Upper 97.5%: F(7) = 968/1024 < 0.975 <= F(8) = 1013/1024, so r = 8 and
    # alpha = (1013/1024 - 0.975) / (45/1024) = 14.6/45; limit = (8 - alpha) / 10.
    limits = clearance.funnel_limits([10], 0.5, levels=[0.95]).iloc[0]
    assert limits["upper_95"] == pytest.approx(100 * (8 - 14.6 / 45) / 10, rel=1e-9)
    # Lower 2.5%: F(1) = 11/1024 < 0.025 <= F(2) = 56/1024, r = 2, alpha = (56 - 25.6) / 45.
    assert limits["lower_95"] == pytest.approx(100 * (2 - 30.4 / 45) / 10, rel=1e-9)


def test_exact_poisson_funnel_limits_hand_computed():
    # Rate 4 per 1,000 at 1,000 inhabitants: Poisson(4).
    def cdf(k: int) -> float:
        return sum(math.exp(-4) * 4**i / math.factorial(i) for i in range(k + 1))

    assert cdf(7) < 0.975 <= cdf(8)
    alpha = (cdf(8) - 0.975) / (cdf(8) - cdf(7))
    limits = clearance.funnel_limits([1000], 0.004, kind="rate", levels=[0.95]).iloc[0]
    assert limits["upper_95"] == pytest.approx(8 - alpha, rel=1e-9)
    assert limits["benchmark"] == pytest.approx(4.0)


def test_exact_limits_approach_normal_limits_for_large_denominators():
    limits = clearance.funnel_limits([200_000], 0.08).iloc[0]
    se = math.sqrt(0.08 * 0.92 / 200_000)
    assert limits["upper_95"] == pytest.approx(100 * (0.08 + 1.959964 * se), abs=0.005)
    assert limits["lower_99.8"] == pytest.approx(100 * (0.08 - 3.090232 * se), abs=0.005)


def test_overdispersion_estimate_and_adjusted_limits_hand_computed():
    numerators = np.array([5, 15, 10, 30])
    denominators = np.array([100, 100, 100, 200])
    theta = 60 / 500
    variance = theta * (1 - theta)
    z = (numerators / denominators - theta) / np.sqrt(variance / denominators)
    phi = np.mean(z**2)
    weights = denominators / variance
    tau2 = (4 * phi - 3) / (weights.sum() - (weights**2).sum() / weights.sum())
    result = clearance.estimate_overdispersion(numerators, denominators, winsorize=0.0)
    assert result["benchmark"] == pytest.approx(theta)
    assert result["phi"] == pytest.approx(phi)
    assert result["overdispersed"] == bool(4 * phi > 3)
    assert result["tau2"] == pytest.approx(max(tau2, 0.0))

    multiplicative = clearance.funnel_limits(
        [100], theta, overdispersion="multiplicative", phi=2.0, levels=[0.95]
    ).iloc[0]
    assert multiplicative["upper_95"] == pytest.approx(
        100 * (theta + 1.959964 * math.sqrt(2.0 * variance / 100)), rel=1e-6
    )
    additive = clearance.funnel_limits(
        [100], theta, overdispersion="additive", tau2=0.001, levels=[0.95]
    ).iloc[0]
    assert additive["upper_95"] == pytest.approx(
        100 * (theta + 1.959964 * math.sqrt(variance / 100 + 0.001)), rel=1e-6
    )


def test_funnel_table_flags_an_outlier_and_adjusts_for_overdispersion():
    rng = np.random.default_rng(3)
    registered = rng.integers(100, 2000, 39)
    cleared = rng.binomial(registered, 0.09)
    cleared[0] = int(registered[0] * 0.30)  # a real outlier
    frame = pd.DataFrame(
        {
            "gemeente_code": [f"GM{i:04d}" for i in range(39)],
            "registered_offences": registered,
            "cleared_offences": cleared,
        }
    )
    table = clearance.funnel_table(frame, "cleared_offences", "registered_offences")
    assert table.loc[0, "position_99.8"] == "above"
    assert (table["position_99.8"] == "within").sum() >= 36
    assert table.attrs["overdispersion"]["limits"] == "exact"
    auto = clearance.funnel_table(
        frame, "cleared_offences", "registered_offences", overdispersion="auto"
    )
    assert auto.attrs["overdispersion"]["limits"] in {"exact", "additive"}


def test_cleared_needed_arithmetic():
    result = clearance.cleared_needed(7813, 9.5, cleared=609)
    assert result["cleared_needed"] == 743  # 0.095 x 7813 = 742.2
    assert result["additional_needed"] == 134
    assert clearance.cleared_needed(200, 10)["cleared_needed"] == 20  # exactly 10%, no float slop
    assert clearance.cleared_needed(100, 5, cleared=9)["additional_needed"] == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda: clearance.clearance_rate(-1, 10),
        lambda: clearance.clearance_rate(11, 10),
        lambda: clearance.clearance_rate(0, 0),
        lambda: clearance.clearance_rate(1, 10, method="jeffreys-ish"),
        lambda: clearance.clearance_table(
            pd.DataFrame({"year": [], "registered_offences": [], "cleared_offences": []})
        ),
        lambda: clearance.clearance_table(
            pd.DataFrame({"year": [1], "registered_offences": [5], "cleared_offences": [6]})
        ),
        lambda: clearance.clearance_drivers(
            pd.DataFrame(
                {
                    "gemeente_code": ["a", "b", "c", "d"],
                    "registered_offences": [10, 10, 10, 10],
                    "cleared_offences": [1, 2, 12, 3],
                    "x": [1, 2, 3, 4],
                }
            ),
            ["x"],
        ),
        lambda: clearance.funnel_limits([], 0.1),
        lambda: clearance.funnel_limits([10, -5], 0.1),
        lambda: clearance.funnel_limits([10], 1.5),
        lambda: clearance.funnel_limits([10], 0.1, overdispersion="multiplicative"),
        lambda: clearance.estimate_overdispersion([1, -2, 3], [10, 10, 10]),
        lambda: clearance.estimate_overdispersion([1, 20, 3], [10, 10, 10]),
        lambda: clearance.cleared_needed(-5, 10),
        lambda: clearance.cleared_needed(10, 120),
        lambda: clearance.cleared_needed(10, 10, cleared=11),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


@settings(max_examples=60, deadline=None)
@given(
    registered=st.integers(min_value=1, max_value=100_000),
    share=st.floats(min_value=0.0, max_value=1.0),
    method=st.sampled_from(["wilson", "clopper-pearson"]),
)
def test_clearance_interval_properties(registered, share, method):
    cleared = int(round(share * registered))
    result = clearance.clearance_rate(cleared, registered, method=method)
    assert 0 <= result.ci_low <= result.estimate <= result.ci_high <= 100
    limits = clearance.funnel_limits([registered], 0.09)
    assert (limits["lower_99.8"] <= limits["lower_95"]).all()
    assert (limits["lower_95"] <= 9.0).all() and (limits["upper_95"] >= 9.0).all()
    assert (limits["upper_95"] <= limits["upper_99.8"]).all()


def test_drivers_without_clusters_take_the_larger_of_quasi_binomial_and_sandwich_errors():
    # statsmodels' scale="X2" with a two-column endog returned about 1/n: intervals ~sqrt(n)
    # times too narrow. Without clusters the error is the binomial one times sqrt(phi) or the
    # HC1 sandwich (computed here by hand), whichever is larger.
    rng = np.random.default_rng(3)
    n = 200
    driver = rng.normal(0, 1, n)
    registered = rng.integers(200, 900, n)
    logit = -2.3 + 0.2 * driver + rng.normal(0, 0.3, n)
    frame = pd.DataFrame(
        {
            "driver": driver,
            "registered_offences": registered,
            "cleared_offences": rng.binomial(registered, 1 / (1 + np.exp(-logit))),
        }
    )
    fit = clearance.clearance_drivers(frame, ["driver"], cluster_column=None)
    assert fit.dispersion > 3
    glm = sm.GLM(
        np.column_stack([frame["cleared_offences"], registered - frame["cleared_offences"]]),
        sm.add_constant(frame[["driver"]]),
        family=sm.families.Binomial(),
    ).fit()
    quasi = glm.bse["driver"] * math.sqrt(fit.dispersion)
    exog = sm.add_constant(frame[["driver"]]).to_numpy(dtype=float)
    p = glm.fittedvalues.to_numpy()
    bread = np.linalg.inv((exog * (registered * p * (1 - p))[:, None]).T @ exog)
    score = exog * (frame["cleared_offences"].to_numpy() - registered * p)[:, None]
    sandwich = bread @ (score.T @ score) @ bread * n / (n - 2)
    se = max(quasi, math.sqrt(sandwich[1, 1]))
    estimate = fit.odds_ratio("driver")
    quantile = stats.t.ppf(0.975, n - 2)
    assert estimate.ci_high == pytest.approx(
        math.exp(glm.params["driver"] + quantile * se), rel=1e-6
    )
    assert "quasi-binomial" in fit.covariance and "HC1" in fit.covariance


def test_funnel_false_alarms_at_39_areas_with_a_random_effect():
    # seeded simulation of the review's setting: ordinary random effect, 39 areas; nominal 0.2%
    rng = np.random.default_rng(39)
    flagged = []
    for _ in range(150):
        registered = np.round(np.exp(rng.uniform(np.log(15), np.log(1500), 39))).astype(int)
        logit = np.log(0.09 / 0.91) + rng.normal(0, 0.15, 39)
        frame = pd.DataFrame(
            {
                "gemeente_code": np.arange(39),
                "registered_offences": registered,
                "cleared_offences": rng.binomial(registered, 1 / (1 + np.exp(-logit))),
            }
        )
        table = clearance.funnel_table(
            frame, "cleared_offences", "registered_offences", overdispersion="auto"
        )
        flagged.append((table["position_99.8"] != "within").to_numpy())
    assert np.mean(np.concatenate(flagged)) <= 0.006


def test_overdispersed_funnel_limits_are_never_inside_the_exact_ones():
    n = np.array([5.0, 20, 100, 1000])
    exact = clearance.funnel_limits(n, 0.1)
    additive = clearance.funnel_limits(n, 0.1, overdispersion="additive", tau2=1e-6)
    assert (additive["upper_99.8"] >= exact["upper_99.8"] - 1e-12).all()
    assert (additive["lower_99.8"] <= exact["lower_99.8"] + 1e-12).all()
    # at n = 5 the normal limit would be far too narrow; the exact one is used
    assert additive.loc[0, "upper_99.8"] == pytest.approx(exact.loc[0, "upper_99.8"])


def _clearance_frame(cleared, registered=10000, start=2011):
    cleared = np.asarray(cleared)
    return pd.DataFrame(
        {
            "year": np.arange(start, start + cleared.size),
            "cleared_offences": cleared,
            "registered_offences": np.full(cleared.size, registered),
        }
    )


def test_clearance_noise_leaves_the_compared_and_provisional_years_out():
    """Issue 28 B1 (clearance) and B10: the change itself and revised years are not noise."""
    rng = np.random.default_rng(4)
    logit = math.log(0.09 / 0.91) + rng.normal(0, 0.08, 13)
    frame = _clearance_frame(rng.binomial(10000, 1 / (1 + np.exp(-logit))))
    phi, df = clearance.clearance_dispersion(frame)
    assert df == 11 - 3  # quadratic logit trend through the 11 years not compared
    jumped = frame.assign(
        cleared_offences=frame["cleared_offences"].where(frame["year"] < 2023, 2000)
    )
    assert clearance.clearance_dispersion(jumped) == (phi, df)
    spiked = frame.assign(
        cleared_offences=frame["cleared_offences"].where(frame["year"] != 2016, 2000)
    )
    assert clearance.clearance_dispersion(spiked)[0] > 10 * phi
    assert clearance.clearance_dispersion(spiked, provisional=[2016])[1] == 10 - 3
    # the old rule (one straight line through all 13 years) took the jump for noise
    from rvs_analysis.stats.targets import quasi_binomial_trend

    straight = quasi_binomial_trend(
        jumped["cleared_offences"].to_numpy(float),
        jumped["registered_offences"].to_numpy(float),
        jumped["year"].to_numpy(float),
    )
    assert straight["phi"] > 10 * phi


def test_short_clearance_series_use_second_differences_with_an_exact_reference():
    frame = _clearance_frame([900, 950, 870, 920, 960, 1000])
    phi, df = clearance.clearance_dispersion(frame)
    # two overlapping second differences (2012, 2013): the t with the exact 95% critical value
    assert df == pytest.approx(1.758, abs=0.01)
    logits = np.log(frame["cleared_offences"] / (10000 - frame["cleared_offences"])).to_numpy()
    v = 1 / (frame["cleared_offences"] * (1 - frame["cleared_offences"] / 10000)).to_numpy()
    d = [logits[i + 1] - 2 * logits[i] + logits[i - 1] for i in (1, 2)]
    expected = np.mean([d[j] ** 2 / (v[j + 2] + 4 * v[j + 1] + v[j]) for j in (0, 1)])
    assert phi == pytest.approx(expected, rel=1e-9)
    assert clearance.clearance_dispersion(frame.iloc[:4]) == (None, None)
    change = clearance.clearance_difference(960, 10000, 1000, 10000, phi, df)
    assert f"t({df:g})" in change.method


def test_detectable_difference_is_the_power_formula():
    se = math.sqrt(4.0 * 0.09 * 0.91 * 2 / 10000)
    expected = 100 * (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * se
    assert clearance.detectable_difference(900, 10000, dispersion=4.0) == pytest.approx(expected)
    t_based = clearance.detectable_difference(900, 10000, dispersion=4.0, df=5)
    assert t_based > expected
