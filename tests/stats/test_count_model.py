"""The one count engine (stats/count_model.py): known answers, and one interval per quantity.

The engine fits Poisson, quasi-Poisson and NB2 models for every count statistic; these tests
check it against closed forms and seeded simulations, and check that the public functions built on
it give the same annual rate ratio the same interval (issue 30 item 2).
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rvs_analysis import regions
from rvs_analysis.exceptions import CountModelConvergenceError
from rvs_analysis.stats import compare, count_model, crime_change, trends
from rvs_analysis.stats.common import StatisticsInputError
from rvs_analysis.stats.count_model import fit_counts

STATS = Path(count_model.__file__).parent


def _two_groups(k1: float, k2: float, e1: float, e2: float):
    counts = np.array([k1, k2])
    design = np.array([[1.0, 0.0], [1.0, 1.0]])
    return counts, design, np.log([e1, e2])


def test_poisson_rate_ratio_is_the_closed_form():
    counts, design, offset = _two_groups(120, 90, 50_000, 52_000)
    fit = fit_counts(counts, design, offset, "poisson")
    ratio = fit.coefficient(1)
    expected = (90 / 52_000) / (120 / 50_000)
    half = stats.norm.ppf(0.975) * math.sqrt(1 / 120 + 1 / 90)
    assert ratio.estimate == pytest.approx(expected, rel=1e-9)
    assert ratio.ci_low == pytest.approx(expected * math.exp(-half), rel=1e-6)
    assert ratio.ci_high == pytest.approx(expected * math.exp(half), rel=1e-6)
    z = math.log(expected) / math.sqrt(1 / 120 + 1 / 90)
    assert ratio.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-4)
    assert fit.reference_df == math.inf and fit.dispersion == 1.0
    # a contrast is the same as the coefficient; on the log scale its null is 0
    assert fit.contrast([0.0, 1.0]).estimate == pytest.approx(ratio.estimate)
    log_scale = fit.contrast([0.0, 1.0], exponentiate=False)
    assert log_scale.estimate == pytest.approx(math.log(expected)) and log_scale.null_value == 0
    # the saturated quasi-Poisson fit has no residual df: no dispersion, the normal reference
    quasi = fit_counts(counts, design, offset, "quasi_poisson")
    assert quasi.dispersion == 1.0 and quasi.reference_df == math.inf
    assert quasi.coefficient(1).ci_low == pytest.approx(ratio.ci_low, rel=1e-7)


def test_quasi_poisson_dispersion_of_a_seeded_overdispersed_simulation():
    # gamma-Poisson counts with variance 3 mu around a log-linear trend: phi is about 3
    rng = np.random.default_rng(20170101)
    n = 3000
    x = rng.uniform(0, 1, n)
    mu = np.exp(4.0 - 0.5 * x)
    counts = rng.poisson(rng.gamma(mu / 2.0, 2.0))
    design = np.column_stack([np.ones(n), x])
    fit = fit_counts(counts, design, model="quasi_poisson")
    assert fit.dispersion == pytest.approx(3.0, abs=0.25)
    assert fit.df_resid == n - 2 and fit.reference_df == n - 2
    poisson = fit_counts(counts, design, model="poisson")
    np.testing.assert_allclose(fit.params, poisson.params)
    np.testing.assert_allclose(fit.covariance, poisson.covariance * fit.dispersion)
    assert fit.results.bse[1] == pytest.approx(math.sqrt(fit.covariance[1, 1]))
    assert "quasi-Poisson GLM" in fit.method and f"t({n - 2})" in fit.method
    assert f"{fit.dispersion:.2f}" in fit.method
    assert fit.pearson_p_value < 1e-6


def test_quasi_poisson_floor_binds_with_the_normal_reference():
    # counts equal to their expectation: Pearson X2/df about 0, phi stays 1 and is not estimated
    years = np.arange(8.0)
    counts = np.round(500 * 0.95**years)
    fit = fit_counts(counts, np.column_stack([np.ones(8), years]), model="quasi_poisson")
    assert fit.pearson_dispersion < 1 and fit.dispersion == 1.0
    assert fit.reference_df == math.inf and fit.reference == "normal"
    assert "floor binds" in fit.method


def test_negative_binomial_recovers_alpha_with_a_t_reference():
    rng = np.random.default_rng(7)
    n = 400
    x = rng.uniform(0, 1, n)
    mu = np.exp(3.0 + 0.4 * x)
    alpha = 0.2
    counts = rng.poisson(rng.gamma(1 / alpha, alpha * mu))
    design = np.column_stack([np.ones(n), x])
    fit = fit_counts(counts, design, model="negative_binomial")
    assert fit.alpha == pytest.approx(alpha, abs=0.05)
    assert fit.params[1] == pytest.approx(0.4, abs=0.15)
    assert fit.df_resid == n - 3 and fit.reference_df == n - 3
    assert fit.dispersion == 1.0 and "NB2" in fit.method and f"t({n - 3})" in fit.method


def test_negative_binomial_that_does_not_converge_raises_one_clear_error():
    # no extra-Poisson variation: the NB2 likelihood has its maximum at alpha = 0
    years = np.arange(10.0)
    counts = np.round(300 * 0.97**years)
    design = np.column_stack([np.ones(10), years])
    with pytest.raises(CountModelConvergenceError, match="quasi_poisson") as error:
        fit_counts(counts, design, model="negative_binomial")
    assert isinstance(error.value, StatisticsInputError)
    assert "did not converge" in str(error.value)
    # fit_count_trend documents a fall back to quasi-Poisson, and says so in its model
    frame = pd.DataFrame({"year": 2012 + years, "registered_offences": counts})
    trend = trends.fit_count_trend(frame, population_column=None, model="negative_binomial")
    assert trend.model == "quasi_poisson"


def test_negative_binomial_is_fitted_in_one_place_only():
    # one maxiter, one set of checks: no other stats module fits its own Poisson or NB model
    # (binomial GLMs of clearance percentages are not count models)
    for path in sorted(STATS.glob("*.py")):
        if path.name in ("count_model.py", "clearance.py") or path.name.startswith("validation"):
            continue
        names = {
            node.id if isinstance(node, ast.Name) else node.attr
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Name | ast.Attribute)
        }
        assert not names & {"NegativeBinomial", "Poisson"}, f"{path.name} fits its own count model"
    assert count_model.NB_MAXITER == 1000


def test_bad_arguments_name_the_problem():
    counts, design, offset = _two_groups(10, 12, 1.0, 1.0)
    with pytest.raises(StatisticsInputError, match="model must be"):
        fit_counts(counts, design, offset, "gamma")
    with pytest.raises(StatisticsInputError, match="one row per count"):
        fit_counts(counts, design[:1], offset)
    fit = fit_counts(counts, design, offset, "poisson")
    with pytest.raises(StatisticsInputError, match="2 weights"):
        fit.contrast([1.0, 0.0, 0.0])


def test_fit_count_trend_reports_the_pearson_test_not_the_slope_p_value():
    frame = pd.DataFrame(
        {
            "year": range(2012, 2022),
            "registered_offences": [90, 130, 70, 140, 60, 120, 80, 110, 50, 95],
        }
    )
    trend = trends.fit_count_trend(frame, population_column=None)
    assert trend.dispersion_p_value == pytest.approx(stats.chi2.sf(trend.dispersion_statistic, 8))
    assert trend.dispersion_p_value != pytest.approx(trend.annual_rate_ratio.p_value)


# --------------------------------------------------------------------------------------------
# One interval for one quantity, whichever public function gives it
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("offence_code", ["0.0.0", "1.2.1"])
def test_stad_utrecht_annual_rate_ratio_has_one_interval(demo_dataset, offence_code):
    # before the engine, compare_trends gave Stad Utrecht's total crime 0.9656 the interval
    # 0.957-0.975 (slopes model, years independent) and fit_count_trend 0.913-1.022 (AR(1) noise)
    area = "Stad Utrecht"
    comparison = compare.compare_area_trends(
        demo_dataset, offence_code, [area, regions.rest_of(area)]
    ).annual_rate_ratios[area]
    alone = trends.fit_count_trend(
        regions.area_table(demo_dataset, offence_code, areas=[area], rate=True)
    ).annual_rate_ratio
    assert comparison == alone  # estimate, interval, p-value, level and method
    assert comparison.method.startswith("annual rate ratio from quasi-Poisson GLM")


def test_the_two_trend_comparisons_agree_on_the_same_question(demo_dataset):
    # visible against less visible crime, once as crime_change.compare_trends and once as two
    # "areas" in compare.compare_trends (year effects; a common offset cancels): one interval
    crime = demo_dataset.crime
    result = crime_change.compare_visibility_trends(crime)
    totals = result.totals.rename(columns={"category": "area"})
    table = totals.assign(population=1.0)
    as_areas = compare.compare_area_trends(table, reference="visible")
    ratio = as_areas.ratio
    np.testing.assert_allclose(
        (ratio.estimate, ratio.ci_low, ratio.ci_high, ratio.p_value),
        (result.ratio.estimate, result.ratio.ci_low, result.ratio.ci_high, result.ratio.p_value),
        rtol=1e-8,
    )
    # each group's own annual rate ratio is fit_count_trend's in both
    assert as_areas.annual_rate_ratios["visible"].estimate == pytest.approx(result.visible.estimate)
    assert as_areas.annual_rate_ratios["visible"].ci_low == pytest.approx(result.visible.ci_low)
    # the comparison's method names the year effects it has and the own trends lack
    assert "year effects" in ratio.method and "year effects" not in result.visible.method


# --------------------------------------------------------------------------------------------
# Many series at once: the same estimator and the same dispersion rule
# --------------------------------------------------------------------------------------------


def _batch_series():
    """Seeded series on one design: less variable than Poisson (the floor binds),
    overdispersed, overdispersed with withheld (NaN) cells, all zero, and one with so few
    observed months that its dispersion is a local estimate (df 2)."""
    rng = np.random.default_rng(31)
    months = 48
    design = np.column_stack(
        [np.ones(months), np.arange(months) / 12, np.cos(np.arange(months) * np.pi / 6)]
    )
    mean = np.exp(2.5 - 0.1 * design[:, 1] + 0.3 * design[:, 2])
    counts = np.vstack(
        [
            np.round(mean),
            rng.poisson(rng.gamma(mean / 2.0, 2.0)),
            rng.poisson(rng.gamma(mean / 3.0, 3.0)),
            np.zeros(months),
            rng.poisson(mean),
        ]
    ).astype(float)
    counts[2, [3, 17, 40]] = np.nan  # withheld: left out, never 0
    counts[4, 5:] = np.nan  # five months observed, three coefficients: df 2
    return counts, design


def test_the_batch_fit_equals_fit_counts_series_by_series():
    counts, design = _batch_series()
    batch = count_model.fit_counts_batch(counts, design)
    assert batch.converged.all()
    checked = 0
    for s in range(counts.shape[0]):
        keep = np.isfinite(counts[s])
        if not counts[s, keep].any():
            continue  # the all-zero series: next test
        one = fit_counts(counts[s, keep], design[keep], model="quasi_poisson")
        np.testing.assert_allclose(batch.beta[s], one.params, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(
            batch.standard_errors()[s], np.sqrt(np.diag(one.covariance)), rtol=1e-5
        )
        np.testing.assert_allclose(batch.covariance()[s], one.covariance, rtol=1e-5, atol=1e-12)
        assert batch.dispersion()[s] == pytest.approx(one.dispersion, rel=1e-7)
        assert batch.pearson[s] == pytest.approx(one.pearson_dispersion, rel=1e-7)
        assert batch.df[s] == one.df_resid and batch.reference_df()[s] == one.reference_df
        np.testing.assert_allclose(batch.mu[s, keep], one.fitted, rtol=1e-6)
        checked += 1
    assert checked == 4
    # the cases of the rule are all here: floor (normal), estimated (t), local (t(2) at phi 1)
    assert batch.reference_df()[[0, 1, 2, 4]].tolist() == [math.inf, 45.0, 42.0, 2.0]
    assert batch.dispersion()[0] == 1.0 and batch.dispersion()[4] == 1.0
    assert batch.dispersion()[1] > 1.5 and batch.dispersion()[2] > 1.5
    assert "quasi-Poisson GLM" in batch.method and "max(1, Pearson X2/df)" in batch.method


def test_an_all_zero_series_expects_nothing_with_the_poisson_dispersion():
    counts, design = _batch_series()
    batch = count_model.fit_counts_batch(counts, design)
    assert batch.mu[3].max() < 1e-9 and batch.pearson[3] < 1e-9
    assert batch.dispersion()[3] == 1.0 and batch.reference_df()[3] == math.inf
    # one series alone has no finite estimate: a clear error, not statsmodels' bare ValueError
    with pytest.raises(StatisticsInputError, match="All 48 counts are 0"):
        fit_counts(counts[3], design, model="quasi_poisson")
    # the other series' fits do not depend on the zero series beside them
    alone = count_model.fit_counts_batch(counts[[0, 1, 2, 4]], design)
    np.testing.assert_allclose(alone.beta, batch.beta[[0, 1, 2, 4]], rtol=1e-10)


def test_the_batch_fit_equals_statsmodels_poisson_also_with_prior_weights():
    import statsmodels.api as sm

    counts, design = _batch_series()
    rows = [0, 1, 2]
    weights = np.random.default_rng(5).uniform(0.2, 1.0, size=(len(rows), design.shape[0]))
    for given in (None, weights):
        batch = count_model.fit_counts_batch(counts[rows], design, weights=given)
        for i, s in enumerate(rows):
            keep = np.isfinite(counts[s])
            w = None if given is None else given[i, keep]
            reference = sm.GLM(
                counts[s, keep], design[keep], family=sm.families.Poisson(), var_weights=w
            ).fit()
            np.testing.assert_allclose(batch.beta[i], reference.params, atol=1e-7)
            np.testing.assert_allclose(batch.unscaled_cov[i], reference.cov_params(), rtol=1e-5)
            assert batch.pearson[i] == pytest.approx(reference.pearson_chi2 / reference.df_resid)
            one = fit_counts(counts[s, keep], design[keep], var_weights=w)
            assert batch.dispersion()[i] == pytest.approx(one.dispersion, rel=1e-7)
        assert batch.weighted is (given is not None)
    assert "with prior weights" in batch.method


def test_the_batch_fit_refuses_what_it_cannot_fit():
    counts, design = _batch_series()
    with pytest.raises(StatisticsInputError, match="many series at once"):
        count_model.fit_counts_batch(counts, design, model="negative_binomial")
    with pytest.raises(StatisticsInputError, match="do not match a design"):
        count_model.fit_counts_batch(counts[:, :-1], design)
    poisson = count_model.fit_counts_batch(counts[[1]], design, model="poisson")
    assert poisson.dispersion()[0] == 1.0 and poisson.reference_df()[0] == math.inf
    assert "Poisson variance" in poisson.method


def test_one_dispersion_rule_for_one_series_and_many():
    from rvs_analysis.stats.common import LOCAL_NOISE_MAX_DF, floored_dispersion

    pearsons = [math.nan, -1.0, 0.0, 0.3, 1.0, 1.0 + 1e-12, 2.5, math.inf]
    dfs = [math.nan, -1.0, 0.0, 0.5, 1.0, 2.0, LOCAL_NOISE_MAX_DF, 3.5, 8.0, math.inf]
    grid_p, grid_df = np.meshgrid(pearsons, dfs)
    phis, references = count_model.quasi_poisson_dispersion(grid_p.ravel(), grid_df.ravel())
    cases = zip(grid_p.ravel(), grid_df.ravel(), phis, references, strict=True)
    for pearson, df, phi, reference in cases:
        floored = floored_dispersion(pearson, df)
        assert (phi, reference) == count_model.quasi_poisson_dispersion(pearson, df)
        assert reference == floored[1] and phi == max(1.0, floored[0])
        assert phi >= 1.0
