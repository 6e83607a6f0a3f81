"""Checks of a yearly count trend's residuals: serially correlated (AR(1)) year noise with the
variance correction it needs, and overdispersion (:func:`cameron_trivedi_test`).

:func:`ar1_noise` takes the Pearson residuals of a Poisson or binomial trend fit (quasi-Poisson
and quasi-binomial trends of :mod:`rvs_analysis.stats.trends` and
:mod:`rvs_analysis.stats.targets`) and returns the year noise's lag-1 autocorrelation and the
covariance of the trend's coefficients that allows for it (:class:`SerialNoise`).

Model: each year's count varies by its Poisson (binomial) sampling noise, independent between
years, plus an extra-Poisson year noise that follows an AR(1) process with autocorrelation
``rho``; in Pearson units ``Cov(e) = I + (phi - 1) R(rho)`` with ``R(rho)_{st} = rho^|s-t|``.
Only the year noise can be autocorrelated: at the Poisson floor (``phi <= 1``) nothing is
corrected. Trend intervals and forecasts that take years as independent cover 78-89% under AR(1)
year noise with ``rho = 0.5`` (issue 28); see ``docs/statistical_properties.md`` (``trend-rr-ar1``,
``count-forecast-ar1``, ``clearance-forecast-ar1``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.regression.linear_model import OLS

from rvs_analysis.stats.common import MethodSpec, ResultMixin, StatisticsInputError

__all__ = [
    "AR1_METHOD",
    "MIN_YEARS_AR1",
    "SerialNoise",
    "ar1_correlation",
    "ar1_noise",
    "cameron_trivedi_test",
    "independence_note",
    "independence_values",
    "trend_method_spec",
]

MIN_YEARS_AR1 = 8
"""Fewer years leave the lag-1 autocorrelation unestimated (from six years, a lag-1 of 0.15
already pointed at rho 0.95: it cannot be told from independence): the years are taken as
independent and the method text says so."""

AR1_GRID = np.round(np.arange(0.0, 0.901, 0.05), 2)
"""The values of ``rho`` among which :func:`ar1_noise` chooses (interpolating between them)."""

AR1_REFERENCE_DRAWS = 2000
"""Standard normal vectors from which the distribution of the lag-1 autocorrelation of the
residuals is simulated for each ``rho`` of the grid (fixed seed: the estimate is reproducible)."""

AR1_QUANTILE = 0.35
"""For the trend's interval ``rho`` is chosen so that the observed lag-1 autocorrelation is this
quantile of its simulated distribution: a one-sided 65% upper confidence bound (0.5 would be the
median-unbiased estimate of Andrews 1993). From 13 years the median-unbiased rho gave the trend's
interval 89-91% coverage under AR(1) noise with rho 0.5 (its estimation error narrows the
intervals where it errs low); 0.35 gives 94.0% there and 96.7% with independent years
(2,000 simulations each: ``trend-rr-ar1``, ``trend_noise`` in ``docs/statistical_properties.md``;
0.25-0.4 gave 92.7-93.7% and 96.2-97.0% in trial runs)."""

AR1_METHOD = (
    "year noise checked for AR(1) autocorrelation (from the lag-1 autocorrelation of the Pearson "
    "residuals; where above its median under independence: sandwich variance, bootstrap-t "
    "interval of the trend, forecasts widened for it)"
)
"""What :func:`ar1_noise` does, as methods texts name it."""

_STANDARD_NORMAL = np.random.default_rng(20170101).standard_normal((AR1_REFERENCE_DRAWS, 64))
_BOOTSTRAP_NORMAL = np.random.default_rng(20180101).standard_normal((AR1_REFERENCE_DRAWS, 64))


def ar1_correlation(n: int, rho: float) -> np.ndarray:
    """The correlation matrix of an AR(1) process.

    Parameters
    ----------
    n : int
        Number of consecutive periods.
    rho : float
        Lag-1 autocorrelation, in (-1, 1).

    Returns
    -------
    numpy.ndarray
        ``n x n`` with entries ``rho^|s - t|``.
    """
    index = np.arange(n)
    return float(rho) ** np.abs(index[:, None] - index[None, :])


@dataclass(frozen=True)
class SerialNoise(ResultMixin):
    """Result of :func:`ar1_noise`.

    Attributes
    ----------
    rho : float
        The year noise's AR(1) autocorrelation as estimated (0 when not estimated or not above
        what independent years give; never negative: a negative estimate does not narrow an
        interval).
    lag1 : float
        The lag-1 autocorrelation of the Pearson residuals as observed (NaN when not computed).
    dispersion : float
        The dispersion ``phi`` (variance over the Poisson or binomial variance) allowing for the
        autocorrelation: ``1 + (X2 - (n - p)) / tr(M R)``, not floored (``X2 / (n - p)`` when
        ``rho = 0``).
    df : float
        Degrees of freedom of the dispersion estimate (Satterthwaite: ``tr(M S)^2 / tr((M S)^2)``
        with ``S`` the residual covariance; ``n - p`` when ``rho = 0``).
    covariance : numpy.ndarray
        Covariance of the coefficients at the estimated dispersion, ``B X' W^(1/2) S W^(1/2) X B``
        with ``B = (X' W X)^-1`` (``phi B`` when ``rho = 0``).
    floored_covariance : numpy.ndarray
        The same with the dispersion floored at 1 (``B`` at the floor).
    estimated : bool
        Whether the autocorrelation was checked (enough years and ``phi > 1``).
    covariance_without_rho : numpy.ndarray
        ``max(1, X2 / (n - p)) B``: the covariance if the years were independent.
    slope_statistics : numpy.ndarray
        Absolute studentized slope errors ``|b* - b| / se*`` of the parametric bootstrap (empty
        when the autocorrelation was not checked).
    years : int
        Number of years (residuals).
    forecast_rho, forecast_dispersion, forecast_df, forecast_covariance
        The same at the median-unbiased ``rho`` (the observed lag-1 at the median of its
        distribution; 0 when at most its median under independence), which forecasts use.
    """

    rho: float
    lag1: float
    dispersion: float
    df: float
    covariance: np.ndarray
    floored_covariance: np.ndarray
    estimated: bool
    covariance_without_rho: np.ndarray
    slope_statistics: np.ndarray
    years: int = 0
    forecast_rho: float = 0.0
    forecast_dispersion: float = 1.0
    forecast_df: float = 0.0
    forecast_covariance: np.ndarray | None = None

    _NOT_IN_DICT = (
        "covariance",
        "floored_covariance",
        "covariance_without_rho",
        "slope_statistics",
        "forecast_covariance",
    )

    @property
    def method(self) -> str:
        """What the check found, as a trend's method text words it."""
        return independence_note(self)

    @property
    def method_spec(self) -> MethodSpec:
        """The check as a code and its numbers (:func:`independence_values`)."""
        return MethodSpec("serial_noise", independence_values(self))

    @property
    def variance_factor(self) -> float:
        """How much the autocorrelation inflates the slope's variance (1 when ``rho = 0``)."""
        unit = self.covariance_without_rho
        return float(self.floored_covariance[1, 1] / unit[1, 1]) if unit[1, 1] > 0 else 1.0

    def slope_quantile(self, level: float) -> float:
        """The bootstrap critical value of the studentized slope at two-sided ``level``."""
        return float(np.quantile(self.slope_statistics, level))

    def slope_p_value(self, statistic: float) -> float:
        """Bootstrap two-sided p-value of a studentized slope ``statistic`` (add-one rule)."""
        draws = self.slope_statistics
        return float((1 + np.sum(draws >= abs(statistic))) / (draws.size + 1))


def _lag1(residuals: np.ndarray) -> np.ndarray:
    total = np.sum(residuals**2, axis=-1)
    return np.sum(residuals[..., 1:] * residuals[..., :-1], axis=-1) / np.maximum(total, 1e-300)


def ar1_noise(
    residuals: np.ndarray, design: np.ndarray, weights: np.ndarray, pearson_chi2: float
) -> SerialNoise:
    """The year noise's AR(1) autocorrelation and the coefficient covariance that allows for it.

    Parameters
    ----------
    residuals : numpy.ndarray
        Pearson residuals of the Poisson (or binomial) fit, in year order, one per year
        (consecutive years).
    design : numpy.ndarray
        The fit's design matrix (``n x p``); the slope is its second column.
    weights : numpy.ndarray
        The fit's working weights (the fitted mean for Poisson, ``n p (1 - p)`` for binomial).
    pearson_chi2 : float
        The Pearson chi-square ``X2`` (sum of squared Pearson residuals).

    Returns
    -------
    SerialNoise

    Notes
    -----
    Residual covariance in Pearson units ``S = I + (phi - 1) R(rho)``: the sampling noise is
    independent, the extra year noise AR(1). With ``M = I - H`` the residual maker of the
    weighted design, ``E[X2] = tr(M S)``, so given ``rho`` the dispersion is
    ``phi = 1 + (X2 - (n - p)) / tr(M R)``. The lag-1 autocorrelation of the residuals is
    compared with its distribution under ``S`` for each ``rho`` of :data:`AR1_GRID`, simulated
    from :data:`AR1_REFERENCE_DRAWS` fixed normal vectors through ``M`` (so the detrending's
    downward bias, about ``-(1 + 3 rho) / n`` and more, is allowed for). At most its median
    under independence: ``rho = 0``, the years are taken as independent. Above it, the trend's
    interval uses the ``rho`` at which the observed value is the :data:`AR1_QUANTILE` quantile
    (a 65% upper confidence bound) and forecasts the ``rho`` at which it is the median (the
    median-unbiased estimate of Andrews, 1993: the upper bound over-covered forecasts, whose
    width is mostly the future year's own noise). The coefficients' covariance is the sandwich
    ``B X' W^(1/2) S W^(1/2) X B``; the dispersion's degrees of freedom Satterthwaite's
    ``tr(M S)^2 / tr((M S)^2)``.

    With 8-15 years the estimate of ``rho`` is rough, so the slope's critical value comes from a
    parametric bootstrap of the studentized slope (:attr:`SerialNoise.slope_statistics`):
    residual vectors drawn from ``N(0, S)`` at the estimates, each with ``rho``, ``phi`` and
    the standard error estimated again by the same rule; the quantile of ``|b* - b| / se*``
    replaces the t quantile (a bootstrap-t, which carries the uncertainty of ``rho`` and
    ``phi``). The future year's noise in a forecast is drawn with its marginal variance (its
    correlation with the last years' residuals is ignored, which errs wide).

    With at most ``phi = 1`` (Poisson or binomial noise only: sampling noise is independent
    between years) or fewer than :data:`MIN_YEARS_AR1` years the years are taken as independent.
    Simulated coverage in ``docs/statistical_properties.md``.

    References
    ----------
    Andrews, D.W.K. (1993). Exactly median-unbiased estimation of first order autoregressive/unit
    root models. Econometrica 61, 139-165.
    """
    residuals = np.asarray(residuals, dtype=float)
    design = np.asarray(design, dtype=float)
    weights = np.asarray(weights, dtype=float)
    n, p = design.shape
    if residuals.shape != (n,) or weights.shape != (n,):
        raise StatisticsInputError("ar1_noise needs one residual and one weight per design row.")
    root = design * np.sqrt(weights)[:, None]
    bread = np.linalg.pinv(root.T @ root)
    maker = np.eye(n) - root @ bread @ root.T
    df0 = n - p
    pearson = pearson_chi2 / df0 if df0 > 0 else math.nan
    independent = (max(pearson, 1.0) if math.isfinite(pearson) else 1.0) * bread

    def sandwich(extra: float, correlation: np.ndarray) -> np.ndarray:
        return bread @ root.T @ (np.eye(n) + extra * correlation) @ root @ bread

    if n < MIN_YEARS_AR1 or not (pearson > 1):
        phi = pearson if math.isfinite(pearson) else 1.0
        return SerialNoise(
            0.0,
            math.nan,
            phi,
            float(max(df0, 0)),
            phi * bread,
            max(phi, 1.0) * bread,
            False,
            independent,
            np.empty(0),
            n,
            0.0,
            phi,
            float(max(df0, 0)),
            phi * bread,
        )
    # per value of the grid: tr(M R), tr(M R M R), the sandwich's slope variance per unit of
    # extra noise, and the lag-1 autocorrelation's quantile under the observed X2
    traces, squares, slope_parts, medians, centres = [], [], [], [], []
    normal = _STANDARD_NORMAL[:, :n]
    for value in AR1_GRID:
        correlation = ar1_correlation(n, value)
        product = maker @ correlation
        trace = float(np.trace(product))
        traces.append(trace)
        squares.append(float(np.trace(product @ product)))
        slope_parts.append(float((bread @ root.T @ correlation @ root @ bread)[1, 1]))
        extra = max((pearson_chi2 - df0) / trace, 0.0)
        simulated = (normal @ np.linalg.cholesky(np.eye(n) + extra * correlation).T) @ maker
        lag1_draws = _lag1(simulated)
        medians.append(float(np.quantile(lag1_draws, AR1_QUANTILE)))
        centres.append(float(np.median(lag1_draws)))
    traces_a, squares_a = np.asarray(traces), np.asarray(squares)
    slope_a, medians_a = np.asarray(slope_parts), np.maximum.accumulate(np.asarray(medians))
    centres_a = np.maximum.accumulate(np.asarray(centres))
    null_median = float(centres_a[0])

    def estimate_rho(lag1: np.ndarray) -> np.ndarray:
        # allowed for only when the lag-1 exceeds its median under independence; then at the
        # upper bound
        rho = np.interp(lag1, medians_a, AR1_GRID)
        return np.where(lag1 <= max(medians_a[0], null_median), 0.0, rho)

    def at(rho: float) -> tuple[float, float, np.ndarray]:
        """Dispersion, its Satterthwaite df and the correlation matrix at ``rho``."""
        trace = float(np.interp(rho, AR1_GRID, traces_a))
        phi = 1.0 + (pearson_chi2 - df0) / trace
        extra = max(phi - 1.0, 0.0)
        square = float(np.interp(rho, AR1_GRID, squares_a))
        # tr(M S) = df0 + extra tr(M R); tr((M S)^2) = df0 + 2 extra tr(M R) + extra^2 tr(MRMR)
        df = (df0 + extra * trace) ** 2 / (df0 + 2 * extra * trace + extra**2 * square)
        return phi, df, ar1_correlation(n, rho)

    lag1 = float(_lag1(residuals))
    rho = float(estimate_rho(np.asarray(lag1)))
    phi, df, correlation = at(rho)
    extra = max(phi - 1.0, 0.0)
    # forecasts: the median-unbiased rho (its upper bound over-covered a forecast, whose width
    # is mostly the future year's own noise: 97.3% under rho 0.5)
    forecast_rho = 0.0 if lag1 <= null_median else float(np.interp(lag1, centres_a, AR1_GRID))
    forecast_phi, forecast_df, forecast_correlation = at(forecast_rho)

    # parametric bootstrap of the studentized slope at the estimates
    draws = _BOOTSTRAP_NORMAL[:, :n] @ np.linalg.cholesky(np.eye(n) + extra * correlation).T
    slope_error = draws @ (root @ bread)[:, 1]
    fitted_residuals = draws @ maker
    chi2 = np.sum(fitted_residuals**2, axis=1)
    rho_star = np.where(chi2 > df0, estimate_rho(_lag1(fitted_residuals)), 0.0)
    trace_star = np.interp(rho_star, AR1_GRID, traces_a)
    extra_star = np.maximum((chi2 - df0) / trace_star, 0.0)
    variance_star = bread[1, 1] + extra_star * np.interp(rho_star, AR1_GRID, slope_a)
    statistics = np.abs(slope_error) / np.sqrt(variance_star)
    return SerialNoise(
        rho=rho,
        lag1=lag1,
        dispersion=float(phi),
        df=float(df),
        covariance=sandwich(phi - 1.0, correlation),
        floored_covariance=sandwich(extra, correlation),
        estimated=True,
        covariance_without_rho=independent,
        slope_statistics=statistics,
        years=n,
        forecast_rho=forecast_rho,
        forecast_dispersion=float(forecast_phi),
        forecast_df=float(forecast_df),
        forecast_covariance=sandwich(forecast_phi - 1.0, forecast_correlation),
    )


def independence_note(serial: SerialNoise | None) -> str:
    """The clause a trend's or forecast's method text adds on the year noise's autocorrelation.

    Parameters
    ----------
    serial : SerialNoise or None
        The fit's :func:`ar1_noise` (None: not checked, e.g. a Poisson or NB2 model on request).

    Returns
    -------
    str
        English clause naming what was done: AR(1) allowed for (with rho and the variance
        factor), checked and not found, or years taken as independent and why.
    """
    if serial is None:
        return "years taken as independent (not checked for autocorrelation)"
    if not serial.estimated:
        if serial.dispersion <= 1 or serial.years < 3:
            return (
                "years taken as independent (no extra-binomial or extra-Poisson year noise: "
                "sampling noise is independent between years)"
            )
        return (
            f"years taken as independent: {serial.years} years are too few to check the year "
            f"noise for autocorrelation (at least {MIN_YEARS_AR1})"
        )
    if serial.rho <= 0:
        return (
            "year noise checked for AR(1) autocorrelation (lag-1 of the Pearson residuals "
            f"{serial.lag1:.2f}, not above what independent years give: rho = 0, years taken "
            "as independent)"
        )
    return (
        f"AR(1) year noise allowed for (lag-1 autocorrelation of the Pearson residuals "
        f"{serial.lag1:.2f}; trend: rho = {serial.rho:.2f}, its 65% upper confidence bound, "
        f"sandwich variance {serial.variance_factor:.2f} times the independent-years variance of "
        "the slope, critical value from a parametric bootstrap of the studentized slope; "
        f"forecasts: median-unbiased rho = {serial.forecast_rho:.2f}, sandwich covariance, "
        "Satterthwaite df)"
    )


def independence_values(serial: SerialNoise | None) -> dict:
    """What :func:`independence_note` says, as a state and its numbers.

    Parameters
    ----------
    serial : SerialNoise or None
        The fit's :func:`ar1_noise` (None: not checked).

    Returns
    -------
    dict
        ``state``: ``"unchecked"``, ``"no_extra_noise"``, ``"too_few_years"`` (with ``years``
        and ``min_years``), ``"independent"`` (with ``lag1``) or ``"ar1"`` (with ``lag1``,
        ``rho``, ``upper_quantile``, ``variance_factor`` and ``forecast_rho``).
    """
    if serial is None:
        return {"state": "unchecked"}
    if not serial.estimated:
        if serial.dispersion <= 1 or serial.years < 3:
            return {"state": "no_extra_noise"}
        return {"state": "too_few_years", "years": int(serial.years), "min_years": MIN_YEARS_AR1}
    if serial.rho <= 0:
        return {"state": "independent", "lag1": float(serial.lag1)}
    return {
        "state": "ar1",
        "lag1": float(serial.lag1),
        "rho": float(serial.rho),
        "upper_quantile": 1 - AR1_QUANTILE,
        "variance_factor": float(serial.variance_factor),
        "forecast_rho": float(serial.forecast_rho),
    }


def trend_method_spec(
    model: str,
    uses_population: bool,
    pearson: float,
    scale: float,
    reference_df: float,
    serial: SerialNoise | None = None,
) -> MethodSpec:
    """The method spec of a yearly count trend (``fit_count_trend``) and its year-noise check.

    Parameters
    ----------
    model : str
        ``"quasi_poisson"``, ``"poisson"`` or ``"negative_binomial"``.
    uses_population : bool
        Whether the trend has a log(population) offset.
    pearson, scale : float
        Pearson X2/df of the Poisson fit and the dispersion the intervals use.
    reference_df : float
        Degrees of freedom of the intervals' t reference (inf: the normal).
    serial : SerialNoise or None
        The year noise's AR(1) check.

    Returns
    -------
    MethodSpec
        Code ``count_trend`` with these numbers and :func:`independence_values`.
    """
    return MethodSpec(
        "count_trend",
        {
            "model": model,
            "population": uses_population,
            "pearson": pearson,
            "dispersion": scale,
            "df": reference_df,
            "bootstrap": bool(serial is not None and serial.rho > 0),
            "serial": independence_values(serial) if model == "quasi_poisson" else {},
        },
    )


def cameron_trivedi_test(counts: np.ndarray, fitted_means: np.ndarray) -> tuple[float, float]:
    """Cameron-Trivedi regression test for overdispersion after a Poisson fit.

    Parameters
    ----------
    counts : array-like
        Observed counts.
    fitted_means : array-like
        Poisson fitted means for the same observations.

    Returns
    -------
    (statistic, p_value)
        The t-statistic of ``alpha`` in the auxiliary regression
        ``((y - mu)^2 - y) / mu = alpha * mu + error`` (no intercept) and its one-sided p-value
        against ``alpha > 0`` (NB2-type overdispersion), from a t distribution with n-1 df.

    Notes
    -----
    Cameron & Trivedi (1990), "Regression-based tests for overdispersion in the Poisson model",
    Journal of Econometrics 46, 347-364. Equivalent to statsmodels' ``PoissonDiagnostic``
    "CT nb2" test with a t reference instead of the normal; the t reference is a little more
    conservative for the short series (6-15 years) this suite fits.
    """
    y = np.asarray(counts, dtype=float)
    mu = np.asarray(fitted_means, dtype=float)
    if y.size < 3:
        return math.nan, math.nan
    auxiliary = ((y - mu) ** 2 - y) / mu
    fit = OLS(auxiliary, mu[:, None]).fit()
    statistic = float(fit.tvalues[0])
    p_value = float(stats.t.sf(statistic, df=y.size - 1))
    return statistic, p_value
