"""Published estimates with margins (stats/published.py): known answers, the break, coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rvs_analysis.stats import published
from rvs_analysis.stats.common import StatisticsInputError


def frame(rows):
    return pd.DataFrame(rows, columns=["area_code", "year", "indicator", "estimate", "margin"])


def test_pool_is_the_inverse_variance_weighted_mean_with_se_from_the_margins():
    data = frame(
        [
            ("GM0001", 2017, "feels_unsafe", 20.0, 1.96),  # se 1
            ("GM0002", 2017, "feels_unsafe", 30.0, 3.92),  # se 2
        ]
    )
    pooled = published.pool(data, "feels_unsafe", 2017, ["GM0001", "GM0002"])
    # weights 1 and 1/4: (20 + 30/4) / 1.25 = 22; se = 1/sqrt(1.25)
    assert pooled.estimate == pytest.approx(22.0)
    se_one = published.standard_error(1.96)  # 1.96 / 1.959964 (CBS rounds z to 1.96)
    assert pooled.details["se"] == pytest.approx(se_one / np.sqrt(1.25))
    # the 95% half-width of the pooled estimate: z * se = 1.96 / sqrt(1.25)
    assert pooled.ci_high - pooled.estimate == pytest.approx(1.96 / np.sqrt(1.25))


def test_an_area_without_a_margin_is_left_out_and_listed():
    data = frame(
        [
            ("GM0001", 2017, "feels_unsafe", 20.0, 1.96),
            ("GM0002", 2017, "feels_unsafe", 30.0, None),
        ]
    )
    pooled = published.pool(data, "feels_unsafe", 2017, ["GM0001", "GM0002"])
    assert pooled.estimate == pytest.approx(20.0)
    assert pooled.details["missing"] == ["GM0002"]


def test_no_estimate_spans_the_2021_break():
    data = frame(
        [
            ("GM0001", 2019, "feels_unsafe", 20.0, 2.0),
            ("GM0001", 2021, "feels_unsafe", 25.0, 2.0),
            ("GM0001", 2023, "feels_unsafe", 24.0, 2.0),
        ]
    )
    with pytest.raises(StatisticsInputError, match="method break of 2021"):
        published.before_after(data, "feels_unsafe", ["GM0001"], 2019, 2021)
    with pytest.raises(StatisticsInputError, match="method break"):
        published.pilot_comparison(data, "feels_unsafe", ["GM0001"], ["GM0001"], [2019], [2023])
    within = published.before_after(data, "feels_unsafe", ["GM0001"], 2021, 2023)
    assert within.estimate == pytest.approx(-1.0)
    assert published.series_of(2019) != published.series_of(2021)


def simulated(rng, planted, pilots=4, rest=6):
    rows = []
    for kind, count in (("P", pilots), ("R", rest)):
        for index in range(count):
            code = f"GM{kind}{index}"
            level = rng.uniform(15, 35)
            for year, after in ((2015, False), (2017, True)):
                margin = rng.uniform(2, 4)
                truth = level - 1.0 * after + (planted if (after and kind == "P") else 0.0)
                value = truth + rng.normal(0, published.standard_error(margin))
                rows.append((code, year, "feels_unsafe", value, margin))
    return frame(rows)


def test_the_pilot_comparison_recovers_a_planted_difference_with_its_margin_based_interval():
    rng = np.random.default_rng(20261201)
    planted = -3.0
    pilots = [f"GMP{i}" for i in range(4)]
    rest = [f"GMR{i}" for i in range(6)]
    covered, estimates = 0, []
    replications = 200  # 1,000 with this seed: 94.0% (recorded in the docstring)
    for _ in range(replications):
        result = published.pilot_comparison(
            simulated(rng, planted), "feels_unsafe", pilots, rest, 2015, 2017
        )
        estimates.append(result.difference.estimate)
        covered += result.difference.ci_low <= planted <= result.difference.ci_high
    assert abs(np.mean(estimates) - planted) < 0.1
    assert 0.91 <= covered / replications <= 0.985
    one = published.pilot_comparison(
        simulated(np.random.default_rng(1), -8.0), "feels_unsafe", pilots, rest, 2015, 2017
    )
    assert one.difference.ci_high < 0 and one.difference.significant
    assert one.pilots_change.details["areas"] == pilots


def test_the_report_counts_the_start_year_as_before_and_recovers_a_planted_effect():
    """Issue 28 A10: the start year's wave is "before" (its fieldwork preceded the pilots), as the
    methods text says; a -3 point effect from the year after the start is found as -3, not diluted
    by counting the start year as "after"."""
    from rvs_analysis.report.chapters.proeftuinen_open import PublishedPilots

    pilots, rest = ["GMP0", "GMP1", "GMP2"], ["GMR0", "GMR1", "GMR2", "GMR3"]
    rows = []
    for position, code in enumerate(pilots + rest):
        for year in (2015, 2016, 2017, 2019):
            effect = -3.0 if code in pilots and year > 2017 else 0.0
            rows.append((code, year, "feels_unsafe", 20.0 + position + effect, 3.0))
    group = PublishedPilots(
        estimates=frame(rows),
        pilots=pilots,
        rest=rest,
        rest_name="Overige gemeenten",
        own=None,
        names={},
        start_year=2017,
        unpublished_pilots=[],
    )
    assert group.before_after_waves("feels_unsafe") == ([2015, 2016, 2017], [2019])
    from rvs_analysis.report.chapters import proeftuinen_open

    result = proeftuinen_open.published_comparison(group, "feels_unsafe")
    assert result.before == (2015, 2016, 2017) and result.after == (2019,)
    assert result.difference.estimate == pytest.approx(-3.0)


def test_the_pooled_change_has_the_degrees_of_freedom_of_its_weights():
    """Issue 28 B(6): with one big, precise city the Hartung-Knapp t reference uses the Kish
    effective number of areas minus 1, not k - 1 (which covered 92.1-93.4%)."""
    rows = []
    changes = [-2.0, 4.0, 1.5, -4.5, 5.5, -1.5]
    margins = [1.0, 4.0, 4.0, 4.0, 4.0, 4.0]  # GMP0 is the big city
    for position, (change, margin) in enumerate(zip(changes, margins, strict=True)):
        rows.append((f"GMP{position}", 2015, "feels_unsafe", 25.0, margin))
        rows.append((f"GMP{position}", 2017, "feels_unsafe", 25.0 + change, margin))
    data = frame(rows)
    codes = [f"GMP{i}" for i in range(6)]
    result = published.before_after(data, "feels_unsafe", codes, 2015, 2017)
    weights = np.asarray(list(result.details["weights"].values()))
    kish = weights.sum() ** 2 / (weights**2).sum()
    assert kish - 1 > 1 and result.details["df"] == pytest.approx(kish - 1)
    assert result.details["df"] < len(codes) - 1
    t = stats.t.ppf(0.975, kish - 1)
    assert result.ci_high - result.estimate == pytest.approx(t * result.details["se"])
    equal = published.before_after(
        frame([(r[0], r[1], r[2], r[3], 4.0) for r in rows]), "feels_unsafe", codes, 2015, 2017
    )
    assert equal.details["df"] == pytest.approx(len(codes) - 1)
