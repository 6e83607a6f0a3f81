"""The batch's areas when the source ends before the latest strategy (``follow_report_year``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rvs_analysis.exceptions import RenderError
from rvs_analysis.render.batch_areas import default_areas, follow_report_year
from rvs_analysis.strategies import resolve_strategy

LATEST = resolve_strategy(None, None)[0]
OLD = resolve_strategy(None, 2018)[0]


def _inputs(area_names, default_level):
    return SimpleNamespace(
        parameters={},
        strategy=LATEST,
        area_names=list(area_names),
        default_level=default_level,
        provenance={},
    )


def test_a_levels_default_list_becomes_the_followed_strategys_list():
    assert OLD.id != LATEST.id
    inputs = _inputs(default_areas("gemeente", None, LATEST), ("gemeente", None))
    assert "Vijfheerenlanden" in inputs.area_names  # not on the 2017 map
    follow_report_year(SimpleNamespace(years=["2016", "2017", "2018"]), inputs)
    assert inputs.strategy.id == OLD.id
    assert inputs.area_names == default_areas("gemeente", None, OLD)
    assert "Vijfheerenlanden" not in inputs.area_names
    assert inputs.provenance["strategy"] == OLD.id


def test_named_areas_outside_the_followed_strategy_are_refused_in_dutch():
    inputs = _inputs(["Vijfheerenlanden"], None)
    with pytest.raises(RenderError, match="De bron eindigt in 2018"):
        follow_report_year(SimpleNamespace(years=["2017", "2018"]), inputs)
    assert inputs.strategy.id == LATEST.id


def test_a_source_of_the_latest_strategys_years_changes_nothing():
    areas = default_areas("gemeente", None, LATEST)
    inputs = _inputs(areas, ("gemeente", None))
    follow_report_year(SimpleNamespace(years=["2023", "2024"]), inputs)
    assert inputs.strategy.id == LATEST.id
    assert inputs.area_names == areas
