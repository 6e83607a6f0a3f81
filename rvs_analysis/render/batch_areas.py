"""Which areas a batch renders: the areas of the strategy its reports follow.

``rvs render`` lists the region and its districts (or one level's areas, or ``--areas``) of a
strategy (:mod:`rvs_analysis.strategies`): the one named with ``--strategy``, else the one of
``-p report_year``, else the latest shipped one, switched after the source is read when the
source ends before that strategy (:func:`follow_report_year`).
"""

from __future__ import annotations

from rvs_analysis.exceptions import RenderError, UnknownAreaError
from rvs_analysis.strategies import resolve_strategy

__all__ = ["batch_strategy", "default_areas", "follow_report_year", "validate_areas"]


def default_areas(level=None, year=None, strategy=None):
    """The areas of a batch: the region and its districts by default, or one level's areas.

    Parameters
    ----------
    level : {None, "region", "district", "gemeente"}
        ``None``: the region plus its districts (what ``make reports`` renders).
    year : int, optional
        Composition year for municipalities; default the strategy's ``boundaries``.
    strategy : rvs_analysis.strategies.Strategy, optional
        The strategy whose areas are listed; default the latest shipped one.

    Returns
    -------
    list of str
    """
    strategy = strategy or resolve_strategy(None, None)[0]
    if level is None:
        return strategy.area_names("region", year) + strategy.area_names("district", year)
    return strategy.area_names(level, year)


def validate_areas(areas, year=None, strategy=None):
    """Check area names against the strategy's region, its districts and municipalities.

    Returns
    -------
    list of str
        The names, each once.

    Raises
    ------
    UnknownAreaError
        For the first unknown name, listing the valid ones.
    """
    strategy = strategy or resolve_strategy(None, None)[0]
    valid = (
        strategy.area_names("region", year)
        + strategy.area_names("district", year)
        + strategy.area_names("gemeente", year)
    )
    for area in areas:
        if area not in valid:
            raise UnknownAreaError(area, valid)
    return list(dict.fromkeys(areas))


def batch_strategy(spec, parameters: dict):
    """The strategy a batch lists the areas of: ``spec`` (``--strategy``), else the strategy of
    ``-p report_year``, else the latest shipped one (the default run is on the latest year; see
    :func:`follow_report_year` for sources that end earlier).

    Raises
    ------
    StrategyError, SourceNotAvailableError
        A strategy that cannot be used, before anything is written.
    """
    year = parameters.get("report_year")
    try:
        year = int(year) if year is not None else None
    except (TypeError, ValueError, OverflowError):
        year = None
    return resolve_strategy(spec if spec not in (None, "") else None, year)[0]


def follow_report_year(dataset, inputs) -> None:
    """Without ``--strategy`` the reports follow the strategy of their report year: the latest
    year of the source when ``-p report_year`` is not given. Switch the batch to it when it is
    another (a source that ends before the latest strategy). A level's default list (no
    ``--areas``) becomes that strategy's list of the level; named areas must all be among its
    areas, or the batch is refused before anything is rendered."""
    if "strategy" in inputs.parameters or "report_year" in inputs.parameters:
        return
    years = [int(year) for year in dataset.years]
    if not years:
        return
    followed = resolve_strategy(None, max(years))[0]
    if inputs.strategy is None or followed.id == inputs.strategy.id:
        return
    try:
        if inputs.default_level is not None:
            level, year = inputs.default_level
            inputs.area_names = default_areas(level, year, followed)
        else:
            validate_areas(inputs.area_names, strategy=followed)
    except UnknownAreaError as error:
        raise RenderError(
            f"De bron eindigt in {max(years)}; de rapporten volgen daarom {followed.name}, maar "
            f"niet elk gekozen gebied hoort daarbij ({error}). Kies de strategie met --strategy "
            "of het jaar met -p report_year=JAAR."
        ) from None
    inputs.strategy = followed
    inputs.provenance.update(region=followed.region, strategy=followed.id)
