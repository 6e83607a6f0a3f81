"""Comparisons: trend against trend, change between two years, rankings and the change funnel.

Known answers against hand-fitted statsmodels models, a planted riser, and seeded simulations of
the coverage of every new interval (small and fast).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from rvs_analysis import regions
from rvs_analysis.stats import compare, validation_compare
from rvs_analysis.stats.common import StatisticsInputError
from rvs_analysis.stats.trends import fit_count_trend, rate_ratio_interval


def _trend_table(rng, slopes, years=12, level=400.0, phi=1.0, population=100_000.0):
    """Counts of areas with log-linear rates (``slopes`` per year) and variance ``phi * mu``."""
    rows = []
    for position, (name, slope) in enumerate(slopes.items()):
        for t in range(years):
            exposure = population * (1 + 0.1 * position) * (1 + 0.01 * t)
            mu = level * (1 + 0.1 * position) * math.exp(slope * t) * (1 + 0.01 * t)
            if phi > 1:
                mu = rng.gamma(mu / (phi - 1), (phi - 1) / mu) * mu
            rows.append((name, 2012 + t, float(rng.poisson(mu)), exposure))
    return pd.DataFrame(rows, columns=["area", "year", "registered_offences", "population"])


# ---------------------------------------------------------------------------------------------
# Trend against trend: known answers
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def two_areas():
    rng = np.random.default_rng(12)
    return _trend_table(rng, {"A": math.log(0.95), "B": math.log(0.90)}, years=10, phi=4.0)


def _hand_quasi_poisson(formula, table, term):
    fit = smf.glm(
        formula,
        data=table.assign(t=table["year"] - table["year"].min()),
        family=sm.families.Poisson(),
        offset=np.log(table["population"]),
    ).fit()
    df = fit.df_resid
    phi = max(1.0, fit.pearson_chi2 / df)
    coefficient = fit.params[term]
    se = fit.bse[term] * math.sqrt(phi)
    q = stats.t.ppf(0.975, df)
    return (
        math.exp(coefficient),
        math.exp(coefficient - q * se),
        math.exp(coefficient + q * se),
        2 * stats.t.sf(abs(coefficient / se), df),
        phi,
    )


def test_two_area_slopes_ratio_equals_a_hand_fitted_interaction_glm(two_areas):
    result = compare.compare_area_trends(two_areas, model="slopes")
    expected = _hand_quasi_poisson("registered_offences ~ C(area) * t", two_areas, "C(area)[T.B]:t")
    ratio = result.ratio
    got = (ratio.estimate, ratio.ci_low, ratio.ci_high, ratio.p_value, result.dispersion)
    np.testing.assert_allclose(got, expected, rtol=1e-7)
    assert result.dispersion > 1, "the fixture is overdispersed; phi must come from X2/df"
    assert result.joint_p_value == pytest.approx(ratio.p_value, rel=1e-7)
    assert "quasi-Poisson" in result.method and "phi" in result.method


def test_two_area_year_effects_ratio_equals_a_hand_fitted_glm(two_areas):
    result = compare.compare_area_trends(two_areas)
    table = two_areas.assign(is_b=(two_areas["area"] == "B").astype(float))
    expected = _hand_quasi_poisson(
        "registered_offences ~ C(year) + C(area) + is_b:t", table, "is_b:t"
    )
    ratio = result.ratio
    got = (ratio.estimate, ratio.ci_low, ratio.ci_high, ratio.p_value, result.dispersion)
    np.testing.assert_allclose(got, expected, rtol=1e-7)
    assert result.df_resid == 8  # 20 observations - 10 year effects - 1 area - 1 deviation
    own = result.annual_rate_ratios
    assert own["B"].estimate / own["A"].estimate == pytest.approx(
        compare.compare_area_trends(two_areas, model="slopes").ratio.estimate
    )


def test_dispersion_is_never_below_one():
    # counts equal to their expectation: Pearson X2 is about 0, phi must stay 1 (Poisson)
    rows = [
        (name, 2012 + t, float(round(500 * factor * 0.95**t)), 1e5)
        for name, factor in (("A", 1.0), ("B", 1.3))
        for t in range(8)
    ]
    table = pd.DataFrame(rows, columns=["area", "year", "registered_offences", "population"])
    result = compare.compare_area_trends(table, model="slopes")
    assert result.pearson_dispersion < 1 and result.dispersion == 1.0
    poisson = smf.glm(
        "registered_offences ~ C(area) * t",
        data=table.assign(t=table["year"] - 2012),
        family=sm.families.Poisson(),
        offset=np.log(table["population"]),
    ).fit()
    assert result.ratio.details["se"] == pytest.approx(poisson.bse["C(area)[T.B]:t"], rel=1e-7)


def test_three_areas_give_two_ratios_and_a_joint_test():
    rng = np.random.default_rng(3)
    table = _trend_table(rng, {"A": -0.05, "B": -0.05, "C": 0.03}, phi=2.0)
    result = compare.compare_area_trends(table, reference="B")
    assert result.areas == ("B", "A", "C") and set(result.ratios) == {"A", "C"}
    assert result.ratios["C"].significant and result.joint_p_value < 0.001
    assert list(result.to_frame()["area"]) == ["B", "A", "C"]
    with pytest.raises(StatisticsInputError, match="ratios"):
        _ = result.ratio


def test_each_area_gets_its_own_dispersion_against_the_reference():
    # ten police units and the Netherlands as their sum; unit 10 the noisiest (sd 0.08)

    table = validation_compare._police_units(np.random.default_rng(5))
    result = compare.compare_area_trends(table, reference="Nederland")
    phi = result.area_dispersions
    assert phi["Eenheid 10"] > 2 * phi["Eenheid 1"]
    # the noisy unit's ratio is the model of that unit and the Netherlands alone
    pair = compare.compare_area_trends(
        table[table["area"].isin(["Nederland", "Eenheid 10"])], reference="Nederland"
    )
    noisy = result.ratios["Eenheid 10"]
    expected = (pair.ratio.estimate, pair.ratio.ci_low, pair.ratio.ci_high, pair.ratio.p_value)
    np.testing.assert_allclose(
        (noisy.estimate, noisy.ci_low, noisy.ci_high, noisy.p_value), expected, rtol=1e-9
    )
    assert noisy.details["phi"] == pytest.approx(phi["Eenheid 10"])
    assert "own dispersion" in noisy.method
    # each unit's own annual rate ratio is fit_count_trend of its own series: its own dispersion
    own = result.annual_rate_ratios
    for unit in ("Eenheid 1", "Eenheid 10"):
        alone = fit_count_trend(table[table["area"] == unit])
        assert own[unit] == alone.annual_rate_ratio
        assert own[unit].details["phi"] == pytest.approx(alone.scale)
    assert own["Eenheid 10"].details["phi"] != pytest.approx(own["Eenheid 1"].details["phi"])
    assert 0 <= result.joint_p_value <= 1


def test_compare_trends_errors_name_the_fix(two_areas):
    with pytest.raises(StatisticsInputError, match="at least two areas"):
        compare.compare_area_trends(two_areas, areas=["A"])
    with pytest.raises(StatisticsInputError, match="change_between"):
        compare.compare_area_trends(two_areas, years=[2012, 2013])
    with pytest.raises(StatisticsInputError, match="offence code"):
        compare.compare_area_trends(two_areas.iloc[0:0].pipe(lambda _: _demo()), areas=["Laren"])


def test_fit_count_trend_on_a_district_table_names_the_fix():
    from rvs_analysis.stats.trends import fit_count_trend

    table = regions.area_table(_demo(), "1.1.1", "district", rate=True)
    with pytest.raises(StatisticsInputError, match=r"5 values of 'area' \(Flevoland") as error:
        fit_count_trend(table)
    assert "compare_area_trends" in str(error.value) and "table[table['area'] ==" in str(
        error.value
    )
    one = table[table["area"] == "Flevoland"].astype({"registered_offences": float})
    assert fit_count_trend(one.astype({"population": float})).model in {"poisson", "quasi_poisson"}


def _demo():
    from rvs_analysis.sources import load_source

    return load_source("demo")


def test_compare_trends_on_a_dataset_with_rest_of_region():
    dataset = _demo()
    result = compare.compare_area_trends(
        dataset, "1.1.1", ["Stad Utrecht", regions.rest_of("Stad Utrecht")], years="2012-2020"
    )
    assert result.years == tuple(range(2012, 2021))
    assert result.ratio.ci_low < result.ratio.estimate < result.ratio.ci_high


# ---------------------------------------------------------------------------------------------
# Change between two years
# ---------------------------------------------------------------------------------------------


def test_exact_change_equals_the_exact_rate_ratio_interval():
    table = pd.DataFrame(
        {
            "area": ["A", "A", "B", "B", "C", "C"],
            "year": [2019, 2024] * 3,
            "registered_offences": [40.0, 61.0, 3.0, 0.0, 0.0, 5.0],
            "population": [50_000.0, 52_000.0, 8_000.0, 8_100.0, 9_000.0, 9_050.0],
        }
    )
    changes = compare.change_between(table, 2019, 2024, method="exact")
    for record in changes.itertuples():
        expected = rate_ratio_interval(
            record.count_first, record.count_last, record.population_first, record.population_last
        )
        assert record.rate_ratio == pytest.approx(expected.estimate)
        assert record.ratio_ci_low == pytest.approx(expected.ci_low, abs=1e-12)
        assert record.ratio_ci_high == pytest.approx(expected.ci_high)
        # two-sided p-value as twice the smaller exact tail: consistent with the interval
        n = int(record.count_first + record.count_last)
        null = record.population_last / (record.population_first + record.population_last)
        tails = (
            stats.binom.sf(record.count_last - 1, n, null),
            stats.binom.cdf(record.count_last, n, null),
        )
        assert record.p_value == pytest.approx(min(1.0, 2 * min(tails)), rel=1e-6)
        assert (record.p_value < 0.05) == (not record.ratio_ci_low <= 1 <= record.ratio_ci_high)
    assert changes["too_few"].tolist() == [False, True, True]
    a = changes.iloc[0]
    assert a["rate_difference"] == pytest.approx(1000 * (61 / 52_000 - 40 / 50_000))
    assert a["difference_ci_low"] < a["rate_difference"] < a["difference_ci_high"]


def test_change_between_refuses_years_outside_the_data_and_flags_provisional():
    dataset = _demo()
    with pytest.raises(Exception, match="2030"):
        compare.change_between(dataset, 2016, 2030, "1.1.1", "district")
    changes = compare.change_between(
        dataset, 2016, 2020, "1.1.1", "district", provisional_years=[2020]
    )
    assert changes["provisional"].all() and changes.attrs["dispersion"] >= 1


def _riser_changes(seed=7):
    """39 municipalities of the demo's sizes, Poisson counts, one planted riser (rate x 1.8)."""
    rng = np.random.default_rng(seed)
    composition = regions.municipalities(2017)
    rows = []
    for position, code in enumerate(composition["gemeente_code"]):
        population = 20_000 + 9_000 * (position % 13)
        base = population * 4 / 1000
        factor = 1.8 if position == 17 else 0.85
        for t, year in enumerate(range(2016, 2022)):
            mu = base * (factor ** (t / 5))
            rows.append((code, year, float(rng.poisson(mu)), float(population)))
    table = pd.DataFrame(rows, columns=["area", "year", "registered_offences", "population"])
    return table, composition["gemeente_code"].iloc[17]


def test_change_ranking_and_funnel_find_the_planted_riser_and_no_other():
    table, riser = _riser_changes()
    changes = compare.change_between(table, 2016, 2021)
    funnel = compare.change_funnel(changes)
    assert funnel.outliers == [riser]
    assert funnel.points.set_index("area").loc[riser, "direction"] == "hoger"
    assert funnel.centre == pytest.approx(
        (changes["count_last"].sum() / changes["population_last"].sum())
        / (changes["count_first"].sum() / changes["population_first"].sum())
    )
    ranked = compare.rank_changes(changes, by="rate_ratio", top=5)
    assert ranked.iloc[0]["area"] == riser and ranked.iloc[0]["rank_low"] == 1
    assert ranked["beyond_99_8"].tolist() == [True, False, False, False, False]
    assert "significant" not in ranked.columns
    full = compare.rank_changes(changes)
    assert len(full) == 39 and (full["rank_low"] <= full["rank"]).all()
    assert (full["rank"] <= full["rank_high"]).all()
    limits = funnel.limits
    assert (limits["lower_99.8"] < limits["lower_95"]).all()
    assert (limits["upper_95"] < limits["upper_99.8"]).all()


def test_funnel_without_a_riser_flags_about_none():
    table, riser = _riser_changes()
    table = table[table["area"] != riser]
    funnel = compare.change_funnel(compare.change_between(table, 2016, 2021))
    assert funnel.outliers == [] and funnel.dispersion == pytest.approx(1.0, abs=0.5)


# ---------------------------------------------------------------------------------------------
# Seeded coverage simulations of the new intervals
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_coverage_of_the_trend_ratio_interval_under_overdispersion():
    rng = np.random.default_rng(20170101)
    truth = math.log(0.92) - math.log(0.96)
    covered = []
    for _ in range(200):
        table = _trend_table(rng, {"A": math.log(0.96), "B": math.log(0.92)}, phi=3.0)
        ratio = compare.compare_area_trends(table).ratio
        covered.append(ratio.ci_low <= math.exp(truth) <= ratio.ci_high)
    coverage = float(np.mean(covered))
    print(f"trend ratio interval coverage {coverage:.3f}")
    assert 0.92 <= coverage <= 0.98, coverage


@pytest.mark.slow
def test_coverage_of_the_dispersion_aware_change_interval():
    rng = np.random.default_rng(5)
    slope = math.log(0.95)
    covered = []
    for _ in range(30):
        rows = []
        for area in range(20):
            for t in range(8):
                mu = (60 + 30 * area) * math.exp(slope * t)
                mu = rng.gamma(mu / 2.0, 2.0 / mu) * mu  # variance 3 mu
                rows.append((f"a{area}", 2016 + t, float(rng.poisson(mu)), 1e5))
        table = pd.DataFrame(rows, columns=["area", "year", "registered_offences", "population"])
        changes = compare.change_between(table, 2016, 2023)
        true_ratio = math.exp(slope * 7)
        covered.extend(
            (changes["ratio_ci_low"] <= true_ratio) & (true_ratio <= changes["ratio_ci_high"])
        )
    coverage = float(np.mean(covered))
    print(f"dispersion-aware change interval coverage {coverage:.3f}")
    assert 0.93 <= coverage <= 0.975, coverage


def test_coverage_of_the_exact_ratio_and_mover_difference_intervals():
    rng = np.random.default_rng(99)
    n = 4000
    mu1 = rng.choice([5.0, 20.0, 200.0], size=n)
    mu2 = mu1 * rng.choice([0.7, 1.0, 1.4], size=n)
    e1, e2 = 10_000.0, 11_000.0
    table = pd.DataFrame(
        {
            "area": np.repeat([f"a{i}" for i in range(n)], 2),
            "year": np.tile([2019, 2024], n),
            "registered_offences": np.column_stack([rng.poisson(mu1), rng.poisson(mu2)])
            .ravel()
            .astype(float),
            "population": np.tile([e1, e2], n),
        }
    )
    changes = compare.change_between(table, 2019, 2024, method="exact")
    true_ratio = (mu2 / e2) / (mu1 / e1)
    true_difference = 1000 * (mu2 / e2 - mu1 / e1)
    ratio_covered = (changes["ratio_ci_low"] <= true_ratio) & (
        true_ratio <= changes["ratio_ci_high"]
    )
    difference_covered = (changes["difference_ci_low"] <= true_difference) & (
        true_difference <= changes["difference_ci_high"]
    )
    print(
        f"exact ratio {ratio_covered.mean():.3f}, MOVER difference {difference_covered.mean():.3f}"
    )
    assert ratio_covered.mean() >= 0.945, ratio_covered.mean()
    assert 0.94 <= difference_covered.mean() <= 0.985, difference_covered.mean()
    small = mu1 == 5.0
    assert difference_covered[small].mean() >= 0.93, difference_covered[small].mean()


def test_the_apportioned_flag_travels_into_changes_funnels_and_rankings(shared_dataset):
    """Issue 27 item 3: on the 2017 boundaries Vianen and Weesp are apportioned out of
    Vijfheerenlanden and Amsterdam in every year; Vianen came third in a top five of threats on
    numbers that are Vijfheerenlanden's rate, and nothing said so."""
    changes = compare.change_between(shared_dataset, 2019, 2024, "1.4.4", "gemeente")
    flagged = set(changes.loc[changes["estimated_from_successor"], "area"])
    assert flagged == {"Vianen", "Weesp"}
    funnel = compare.change_funnel(changes)
    assert set(funnel.points.loc[funnel.points["estimated_from_successor"], "area"]) == flagged
    ranked = compare.rank_changes(changes, top=5)
    assert "estimated_from_successor" in ranked.columns
    assert (
        ranked.attrs["estimated_areas"]
        == ranked.loc[ranked["estimated_from_successor"], "area"].tolist()
    )
    assert "Vianen" in ranked.attrs["estimated_areas"]


def test_no_significance_claim_on_a_row_with_too_few_cases(tidy_kit, tmp_path):
    """Issue 28 B9: one small-number rule; too_few rows claim nothing."""
    crime = tidy_kit.region_crime()
    renswoude = crime["gemeente_code"] == "GM0339"
    crime.loc[renswoude & (crime["year"] == 2015), "registered_offences"] = 0
    crime.loc[renswoude & (crime["year"] == 2017), "registered_offences"] = 8
    folder = tidy_kit.write_tidy(
        tmp_path / "t", crime=crime, metadata={"crime_boundary_year": 2017}
    )
    from rvs_analysis.sources import load_source

    changes = compare.change_between(load_source(str(folder)), 2015, 2017, "1.1.1", "gemeente")
    row = changes.set_index("area").loc["Renswoude"]
    assert bool(row["too_few"]) and not bool(row["significant"])


def test_change_between_noise_leaves_the_compared_and_provisional_years_out():
    """Issue 28 B1/B10: a change in the compared year, or a revised provisional year, does not
    enter the noise the change is judged against."""
    rng = np.random.default_rng(3)
    table = _trend_table(rng, {"A": math.log(0.95), "B": math.log(0.97), "C": 0.0}, phi=3.0)
    before = compare.change_between(table, 2021, 2023)
    jumped = table.assign(
        registered_offences=table["registered_offences"].where(
            (table["year"] != 2023) | (table["area"] != "A"), 50.0
        )
    )
    after = compare.change_between(jumped, 2021, 2023)
    assert after.attrs["dispersion"] == before.attrs["dispersion"]
    assert "compared and provisional years left out" in after.attrs["method"]
    # one area's 2018 far off (a common shock would be taken up by the year effects)
    revised = table.assign(
        registered_offences=table["registered_offences"].where(
            (table["year"] != 2018) | (table["area"] != "A"), 5.0
        )
    )
    assert (
        compare.change_between(revised, 2021, 2023).attrs["dispersion"]
        > 5 * before.attrs["dispersion"]
    )
    kept_out = compare.change_between(revised, 2021, 2023, provisional_years=[2018])
    assert kept_out["provisional"].eq(False).all()
    # 2018 left out as provisional: the noise of the other years only
    reference = compare.change_between(table[table["year"] != 2018], 2021, 2023)
    assert kept_out.attrs["dispersion"] == pytest.approx(reference.attrs["dispersion"])
