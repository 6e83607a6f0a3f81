"""One engine for overdispersed counts: Poisson, quasi-Poisson and negative binomial GLMs.

Every count model of the statistics layer is fitted here: the trend of one series
(:func:`rvs_analysis.stats.trends.fit_count_trend`), areas against each other
(:func:`rvs_analysis.stats.compare.compare_trends`), visible against less visible crime
(:func:`rvs_analysis.stats.crime_change.compare_trends`), month effects
(:func:`rvs_analysis.stats.monthly.seasonal_effects`) and the year-to-year noise that change
intervals use. The callers build a design matrix (and a log-exposure offset) and read estimates
from the one result type, :class:`CountFit`, which knows the model, the dispersion it estimated,
the reference distribution of its intervals and says so in :attr:`CountFit.method`.

The neighbourhood statistics fit one log-linear model to hundreds of series at a time (one per
wijk, buurt and offence type: :mod:`~rvs_analysis.stats.surveillance`,
:mod:`~rvs_analysis.stats.nowcast`): :func:`fit_counts_batch` fits them together, as stacked
``numpy`` arrays, with the same estimator and the same dispersion rule, and returns a
:class:`BatchCountFit` that names them in :attr:`BatchCountFit.method`.

Rules, in one place
    * Poisson: the GLM's own covariance, normal reference.
    * Quasi-Poisson: the Poisson GLM's coefficients, covariance times ``phi = max(1, X2/df)``
      (Pearson X2 of the Poisson fit, ``df`` its residual degrees of freedom), t(df) reference
      when the dispersion is estimated (``X2/df > 1``), the normal where the floor binds
      (:func:`quasi_poisson_dispersion`, on :func:`rvs_analysis.stats.common.floored_dispersion`);
      one series or many (:func:`fit_counts`, :func:`fit_counts_batch`) alike.
    * Negative binomial (NB2, variance ``mu + alpha mu^2``): maximum likelihood (BFGS, then
      Newton from its optimum), t reference on ``n - p - 1`` df (at least 1);
      :class:`~rvs_analysis.exceptions.CountModelConvergenceError` when it does not converge.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from rvs_analysis.exceptions import CountModelConvergenceError
from rvs_analysis.stats.common import (
    Estimate,
    StatisticsInputError,
    check_level,
    floored_dispersions,
)

__all__ = [
    "BATCH_MODELS",
    "COUNT_MODELS",
    "NB_MAXITER",
    "NB_NEWTON_MAXITER",
    "BatchCountFit",
    "CountFit",
    "CountModelConvergenceError",
    "fit_counts",
    "fit_counts_batch",
    "quasi_poisson_dispersion",
]

COUNT_MODELS = ("poisson", "quasi_poisson", "negative_binomial")
"""The models :func:`fit_counts` fits."""

NB_MAXITER = 1000
"""BFGS iterations of the negative binomial fit (the two former copies used 500 and 1000)."""

NB_NEWTON_MAXITER = 100
"""Newton iterations that polish the BFGS optimum (and give the Hessian the covariance uses)."""

NB_MIN_ALPHA = 1e-10
"""An NB2 alpha at or below this is the Poisson boundary: the fit is refused as not converged
(the likelihood has no interior maximum; quasi-Poisson is the model for such counts)."""

BATCH_MODELS = ("poisson", "quasi_poisson")
"""The models :func:`fit_counts_batch` fits (NB2 needs a likelihood maximum per series)."""

_NAMES = {
    "poisson": "Poisson GLM",
    "quasi_poisson": "quasi-Poisson GLM",
    "negative_binomial": "negative binomial (NB2) regression",
}


@dataclass(frozen=True)
class CountFit:
    """A fitted count model with the dispersion and reference distribution its intervals use.

    Attributes
    ----------
    model : str
        ``"poisson"``, ``"quasi_poisson"`` or ``"negative_binomial"``.
    params : numpy.ndarray
        The regression coefficients (log scale), without the NB2 alpha.
    covariance : numpy.ndarray
        Their covariance as the intervals use it: the Poisson covariance times
        :attr:`dispersion` for quasi-Poisson, the ML covariance for Poisson and NB2.
    unit_covariance : numpy.ndarray
        The covariance of the Poisson fit at dispersion 1.
    dispersion : float
        The multiplier of the Poisson covariance: ``max(1, X2/df)`` for quasi-Poisson, 1 for
        Poisson and NB2 (whose extra variation is :attr:`alpha`).
    pearson_dispersion : float
        Pearson X2 / df of the Poisson fit (NaN without residual df); may be below 1.
    pearson_chi2 : float
        Pearson X2 of the Poisson fit.
    df_resid : int
        Residual degrees of freedom of the model (observations - rank, one fewer for NB2).
    reference_df : float
        Degrees of freedom of the t reference of the intervals; ``inf`` is the normal.
    alpha : float
        NB2 dispersion (variance ``mu + alpha mu^2``); 0 for the other models.
    fitted : numpy.ndarray
        Fitted means of the model.
    poisson_fitted : numpy.ndarray
        Fitted means of the Poisson fit (equal to ``fitted`` except for NB2).
    pearson_residuals : numpy.ndarray
        Pearson residuals of the Poisson fit, ``(y - mu) / sqrt(mu)`` (times the square root of
        any variance weights).
    terms : str
        What the design holds, in words (for :attr:`method`), e.g. ``"on year"``.
    offset : str or None
        What the offset is the log of (``"population"``), or None.
    results : object
        The statsmodels results behind ``params`` (the quasi-Poisson fit carries its scale).
    poisson : object
        The statsmodels results of the Poisson fit.
    """

    model: str
    params: np.ndarray = field(repr=False)
    covariance: np.ndarray = field(repr=False)
    unit_covariance: np.ndarray = field(repr=False)
    dispersion: float
    pearson_dispersion: float
    pearson_chi2: float
    df_resid: int
    reference_df: float
    alpha: float
    fitted: np.ndarray = field(repr=False)
    poisson_fitted: np.ndarray = field(repr=False)
    pearson_residuals: np.ndarray = field(repr=False)
    terms: str = ""
    offset: str | None = None
    results: Any = field(default=None, repr=False, compare=False)
    poisson: Any = field(default=None, repr=False, compare=False)

    @property
    def reference(self) -> str:
        """The reference distribution of the intervals in words: ``"t(11)"`` or ``"normal"``."""
        return f"t({self.reference_df:.7g})" if math.isfinite(self.reference_df) else "normal"

    @property
    def dispersion_text(self) -> str:
        """The dispersion estimate in words."""
        if self.model == "quasi_poisson":
            text = f"dispersion phi = max(1, Pearson X2/df) = {self.dispersion:.2f}"
            if math.isfinite(self.pearson_dispersion):
                text += f" on {self.df_resid} df"
            if not math.isfinite(self.reference_df):
                text += " (the floor binds: Poisson variance)"
            return text
        if self.model == "negative_binomial":
            return f"NB2 alpha = {self.alpha:.3g} (variance mu + alpha mu^2, maximum likelihood)"
        return "no dispersion estimated (Poisson variance)"

    @property
    def method(self) -> str:
        """One sentence naming the model, the dispersion estimate and the reference distribution."""
        offset = f" with log({self.offset}) offset" if self.offset else ""
        terms = f" {self.terms}" if self.terms else ""
        return (
            f"{_NAMES[self.model]}{terms}{offset}; {self.dispersion_text}; "
            f"Wald {self.reference} intervals"
        )

    @property
    def pearson_p_value(self) -> float:
        """Upper-tail p-value of the Poisson fit's Pearson X2 on its residual df (NaN without)."""
        df = self.df_resid + (1 if self.model == "negative_binomial" else 0)
        if df <= 0:
            return math.nan
        return float(stats.chi2.sf(self.pearson_chi2, df))

    def quantile(self, level: float = 0.95) -> float:
        """The two-sided ``level`` critical value of the reference distribution.

        Parameters
        ----------
        level : float, optional
            Confidence level.

        Returns
        -------
        float
            ``t(reference_df).ppf((1 + level) / 2)`` (the normal's for ``reference_df = inf``).
        """
        return float(stats.t.ppf(1 - (1 - check_level(level)) / 2, self.reference_df))

    def contrast(
        self,
        vector,
        level: float = 0.95,
        exponentiate: bool = True,
        method: str | None = None,
        n: float | None = None,
        details: dict | None = None,
    ) -> Estimate:
        """A linear combination of the coefficients with its Wald interval and p-value.

        Parameters
        ----------
        vector : array-like
            Contrast weights, one per coefficient (an index is :meth:`coefficient`).
        level : float, optional
            Confidence level.
        exponentiate : bool, optional
            True (default): the estimate and interval on the ratio scale, ``exp(c'b)`` (a rate
            ratio, null 1); False: on the log scale (null 0).
        method : str, optional
            The estimate's method text; default :attr:`method`.
        n : float, optional
            Number of events behind the estimate.
        details : dict, optional
            Extra entries for ``Estimate.details``.

        Returns
        -------
        Estimate
            ``details`` holds ``log_estimate``, ``se``, ``df`` (the reference's), ``phi`` (the
            dispersion) and ``model``.

        Notes
        -----
        ``c'b +- q sqrt(c' V c)`` with ``V`` :attr:`covariance` and ``q`` the reference
        distribution's critical value; the p-value is the two-sided tail of ``c'b / se`` in the
        same distribution, so ``p < 1 - level`` exactly when the interval excludes the null.
        """
        weights = np.asarray(vector, dtype=float)
        if weights.shape != self.params.shape:
            raise StatisticsInputError(
                f"A contrast needs {len(self.params)} weights, one per coefficient; got "
                f"{weights.size}."
            )
        value = float(weights @ self.params)
        se = math.sqrt(max(float(weights @ self.covariance @ weights), 0.0))
        return self.estimate_from(value, se, level, exponentiate, method, n, details)

    def coefficient(self, index: int, **options) -> Estimate:
        """One coefficient as an estimate (see :meth:`contrast` for ``options``).

        Parameters
        ----------
        index : int
            Position of the coefficient in the design.
        **options
            ``level``, ``exponentiate``, ``method``, ``n``, ``details`` as for :meth:`contrast`.

        Returns
        -------
        Estimate
            ``exp(b_index)`` with its interval (or ``b_index`` with ``exponentiate=False``).
        """
        vector = np.zeros(len(self.params))
        vector[index] = 1.0
        return self.contrast(vector, **options)

    def estimate_from(
        self,
        value: float,
        se: float,
        level: float = 0.95,
        exponentiate: bool = True,
        method: str | None = None,
        n: float | None = None,
        details: dict | None = None,
    ) -> Estimate:
        """An estimate from a log-scale value and its standard error, in this fit's reference.

        Parameters
        ----------
        value, se : float
            The log-scale estimate and its standard error.
        level, exponentiate, method, n, details
            As for :meth:`contrast`.

        Returns
        -------
        Estimate
            As :meth:`contrast`.
        """
        quantile = self.quantile(level)
        p_value = float(2 * stats.t.sf(abs(value / se), self.reference_df)) if se > 0 else math.nan
        low, high = value - quantile * se, value + quantile * se
        transform = math.exp if exponentiate else float
        return Estimate(
            estimate=transform(value),
            ci_low=transform(low),
            ci_high=transform(high),
            method=self.method if method is None else method,
            level=level,
            p_value=p_value,
            null_value=1.0 if exponentiate else 0.0,
            n=n,
            details={
                **(details or {}),
                "log_estimate": value,
                "se": se,
                "df": float(self.reference_df),
                "phi": float(self.dispersion),
                "model": self.model,
            },
        )


def quasi_poisson_dispersion(pearson, df):
    """The quasi-Poisson dispersion and the reference distribution of its intervals: the one rule.

    Parameters
    ----------
    pearson : float or array-like
        Pearson X2/df of the Poisson fit(s); NaN without residual df.
    df : float or array-like
        Residual degrees of freedom of the fit(s).

    Returns
    -------
    (float, float) or (numpy.ndarray, numpy.ndarray)
        ``(phi, reference_df)``: ``phi = max(1, X2/df)`` (1 without residual df) and the
        degrees of freedom of the t reference, ``inf`` (the normal) where the floor binds;
        floats for scalar input, arrays (one per fit) otherwise.

    Notes
    -----
    :func:`fit_counts` and :func:`fit_counts_batch` both read their dispersion here. The
    reference is that of :func:`~rvs_analysis.stats.common.floored_dispersion` (t(df) when
    ``X2/df > 1``, the normal at the floor; below
    :data:`~rvs_analysis.stats.common.LOCAL_NOISE_MAX_DF` df t(df) throughout); the
    dispersion multiplying the covariance is floored at 1 in every case, since a quasi-Poisson
    GLM never takes counts as less variable than Poisson.
    """
    floored, reference = floored_dispersions(pearson, df)
    phi = np.maximum(floored, 1.0)
    if phi.ndim == 0:
        return float(phi), float(reference)
    return phi, reference


def _poisson(counts, design, offset, var_weights, scale=None):
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # an exactly log-linear series fits perfectly, which statsmodels flags; a saturated
        # model leaves no residual df for its internal scale; the Poisson fit itself is fine
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        model = GLM(
            counts, design, family=families.Poisson(), offset=offset, var_weights=var_weights
        )
        return model.fit() if scale is None else model.fit(scale=scale)


def _negative_binomial(counts, design, offset, start) -> Any:
    """NB2 by maximum likelihood: BFGS from the Poisson fit with alpha 0.01, then Newton."""
    failure = (
        "The negative binomial (NB2) model did not converge to a usable maximum likelihood fit "
        f"(BFGS up to {NB_MAXITER} iterations, then Newton up to {NB_NEWTON_MAXITER}): {{}}. Fit "
        "these counts with model='quasi_poisson', which needs no likelihood maximum."
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = NegativeBinomial(counts, design, offset=offset, loglike_method="nb2")
            start_params = np.append(np.asarray(start, dtype=float), 0.01)
            first = model.fit(start_params=start_params, method="bfgs", maxiter=NB_MAXITER, disp=0)
            results = model.fit(
                start_params=first.params, method="newton", maxiter=NB_NEWTON_MAXITER, disp=0
            )
        except (np.linalg.LinAlgError, ValueError) as error:
            raise CountModelConvergenceError(failure.format(f"the fit failed ({error})")) from None
    if not results.mle_retvals.get("converged", False):
        raise CountModelConvergenceError(failure.format("Newton's method did not converge"))
    params = np.asarray(results.params, dtype=float)
    bse = np.asarray(results.bse, dtype=float)
    if not (np.isfinite(params).all() and np.isfinite(bse[:-1]).all()):
        raise CountModelConvergenceError(failure.format("no finite estimates or standard errors"))
    if params[-1] <= NB_MIN_ALPHA:
        raise CountModelConvergenceError(
            failure.format(f"alpha {params[-1]:.3g} is at the Poisson boundary")
        )
    return results


def fit_counts(
    counts,
    design,
    offset=None,
    model: str = "quasi_poisson",
    terms: str = "",
    offset_name: str | None = None,
    var_weights=None,
) -> CountFit:
    """Fit a log-linear model to counts: Poisson, quasi-Poisson or negative binomial (NB2).

    Parameters
    ----------
    counts : array-like
        Non-negative counts, one per row of ``design``.
    design : array-like
        Design matrix (n x p), intercept and all columns included.
    offset : array-like, optional
        Log exposure (``log(population)``), one per count.
    model : {"poisson", "quasi_poisson", "negative_binomial"}, optional
        Quasi-Poisson by default (see Notes).
    terms : str, optional
        What the design holds, in words, for the method text (``"on year"``).
    offset_name : str, optional
        What the offset is the log of, for the method text (``"population"``).
    var_weights : array-like, optional
        Variance weights of the Poisson fit (a row with weight ``w`` has variance ``mu / w``);
        not with NB2.

    Returns
    -------
    CountFit
        Coefficients, the covariance the intervals use, the dispersion, the reference
        distribution and :attr:`CountFit.method`; :meth:`CountFit.contrast` reads estimates.

    Raises
    ------
    StatisticsInputError
        For an unknown model, mismatched shapes, weights with NB2, or counts that are all 0
        (no finite estimate; statsmodels' own error was a bare ``ValueError``).
    CountModelConvergenceError
        When NB2 does not converge (non-finite estimates or standard errors, an optimiser
        failure, or alpha at the Poisson boundary).

    Notes
    -----
    ``log E[y] = X b + offset``. The Poisson GLM is always fitted (IRLS); its Pearson X2 over the
    residual df ``n - rank(X)`` is the dispersion estimate. Quasi-Poisson (McCullagh & Nelder
    1989, section 4.5) keeps its coefficients and multiplies the covariance by ``phi = max(1,
    X2/df)``; intervals use t(df) when ``X2/df > 1`` and the normal when the floor binds or there
    is no residual df (:func:`~rvs_analysis.stats.common.floored_dispersion`: counts are never
    taken as less variable than Poisson, and a dispersion fixed at 1 is not estimated). NB2
    (Cameron & Trivedi 2013, ch. 3) is fitted by maximum likelihood from the Poisson estimates
    and alpha 0.01 (BFGS, :data:`NB_MAXITER` iterations, then :data:`NB_NEWTON_MAXITER` Newton
    steps); its Wald intervals use t on ``n - rank(X) - 1`` df (at least 1), as the alpha is
    estimated from the same short series. Poisson: normal intervals.
    """
    if model not in COUNT_MODELS:
        raise StatisticsInputError(
            f"model must be 'poisson', 'quasi_poisson' or 'negative_binomial', got {model!r}."
        )
    y = np.asarray(counts, dtype=float)
    x = np.asarray(design, dtype=float)
    if x.ndim != 2 or x.shape[0] != y.shape[0]:
        raise StatisticsInputError(
            f"The design needs one row per count: {y.shape[0]} counts, design of shape {x.shape}."
        )
    if var_weights is not None and model == "negative_binomial":
        raise StatisticsInputError("Variance weights are for the Poisson and quasi-Poisson fits.")
    if y.size and not np.any(y > 0):
        raise StatisticsInputError(
            f"All {y.size} counts are 0: a log-linear count model has no finite estimate (the "
            "rate's logarithm is minus infinity). Show the zeros as they are; fit_counts_batch "
            "gives such a series means of 0 with the Poisson dispersion."
        )
    offset = None if offset is None else np.asarray(offset, dtype=float)
    weights = None if var_weights is None else np.asarray(var_weights, dtype=float)
    poisson = _poisson(y, x, offset, weights)
    df = int(round(float(poisson.df_resid)))
    pearson_chi2 = float(poisson.pearson_chi2)
    pearson = pearson_chi2 / df if df > 0 else math.nan
    unit = np.asarray(poisson.cov_params(), dtype=float)
    params = np.asarray(poisson.params, dtype=float)
    poisson_fitted = np.asarray(poisson.fittedvalues, dtype=float)
    residuals = np.asarray(poisson.resid_pearson, dtype=float)
    common = dict(
        unit_covariance=unit,
        pearson_dispersion=pearson,
        pearson_chi2=pearson_chi2,
        poisson_fitted=poisson_fitted,
        pearson_residuals=residuals,
        terms=terms,
        offset=offset_name,
        poisson=poisson,
    )
    if model == "poisson":
        return CountFit(
            model="poisson",
            params=params,
            covariance=unit,
            dispersion=1.0,
            df_resid=max(df, 0),
            reference_df=math.inf,
            alpha=0.0,
            fitted=poisson_fitted,
            results=poisson,
            **common,
        )
    if model == "quasi_poisson":
        phi, reference_df = quasi_poisson_dispersion(pearson, df)
        # the same coefficients, the covariance (and statsmodels' bse) scaled by phi
        scaled = _poisson(y, x, offset, weights, scale=phi)
        return CountFit(
            model="quasi_poisson",
            params=params,
            covariance=unit * phi,
            dispersion=phi,
            df_resid=max(df, 0),
            reference_df=reference_df,
            alpha=0.0,
            fitted=poisson_fitted,
            results=scaled,
            **common,
        )
    results = _negative_binomial(y, x, offset, params)
    p = x.shape[1]
    nb_df = df - 1
    return CountFit(
        model="negative_binomial",
        params=np.asarray(results.params, dtype=float)[:p],
        covariance=np.asarray(results.cov_params(), dtype=float)[:p, :p],
        dispersion=1.0,
        df_resid=max(nb_df, 0),
        reference_df=float(max(nb_df, 1)),
        alpha=float(np.asarray(results.params)[-1]),
        fitted=np.asarray(results.predict(x, offset=offset), dtype=float),
        results=results,
        **common,
    )


# --------------------------------------------------------------------------------------------
# Many series on one design at once
# --------------------------------------------------------------------------------------------

_ETA_FLOOR = -30.0
"""Lower bound of the linear predictor of the batch fit (a mean of 1e-13): an all-zero series
converges to 'nothing expected' instead of running off to minus infinity."""


@dataclass(frozen=True)
class BatchCountFit:
    """Poisson or quasi-Poisson log-linear fits of ``S`` series on one ``T x p`` design.

    Attributes
    ----------
    beta : numpy.ndarray
        ``(S, p)`` coefficients (log scale).
    unscaled_cov : numpy.ndarray
        ``(S, p, p)`` inverse of ``X' W X``: the covariance of the Poisson fit at dispersion 1
        (:meth:`covariance` multiplies it by the dispersion).
    mu : numpy.ndarray
        ``(S, T)`` fitted means (also where the prior weight is 0).
    pearson : numpy.ndarray
        ``(S,)`` Pearson X2 over the residual degrees of freedom (weighted by the prior
        weights); NaN without residual df. May be below 1.
    df : numpy.ndarray
        ``(S,)`` residual degrees of freedom: observations with a positive weight minus ``p``.
    converged : numpy.ndarray
        ``(S,)`` booleans.
    model : str
        ``"quasi_poisson"`` (default) or ``"poisson"``.
    terms : str
        What the design holds, in words (for :attr:`method`).
    weighted : bool
        Whether the fit had prior weights other than 1.

    Notes
    -----
    The per-series numbers are methods returning ``(S,)`` arrays (:meth:`dispersion`,
    :meth:`reference_df`, :meth:`standard_errors`); for one series they equal
    :class:`CountFit`'s ``dispersion``, ``reference_df`` and the square roots of the diagonal of
    its ``covariance`` (a test checks this against :func:`fit_counts`).
    """

    beta: np.ndarray = field(repr=False)
    unscaled_cov: np.ndarray = field(repr=False)
    mu: np.ndarray = field(repr=False)
    pearson: np.ndarray = field(repr=False)
    df: np.ndarray = field(repr=False)
    converged: np.ndarray = field(repr=False)
    model: str = "quasi_poisson"
    terms: str = ""
    weighted: bool = False

    def dispersion(self) -> np.ndarray:
        """The dispersion of each series: ``max(1, X2/df)`` for quasi-Poisson (1 without
        residual df), 1 for Poisson (:func:`quasi_poisson_dispersion`).

        Returns
        -------
        numpy.ndarray
            ``(S,)`` dispersions.
        """
        if self.model == "poisson":
            return np.ones(self.pearson.shape)
        return quasi_poisson_dispersion(self.pearson, self.df)[0]

    def reference_df(self) -> np.ndarray:
        """Degrees of freedom of the t reference of each series' Wald intervals (``inf``: normal).

        Returns
        -------
        numpy.ndarray
            ``(S,)``: t(df) where the quasi-Poisson dispersion is estimated, ``inf`` where the
            floor binds and for Poisson (:func:`quasi_poisson_dispersion`).
        """
        if self.model == "poisson":
            return np.full(self.pearson.shape, math.inf)
        return quasi_poisson_dispersion(self.pearson, self.df)[1]

    def covariance(self) -> np.ndarray:
        """The coefficients' covariance as intervals use it: :attr:`unscaled_cov` times the
        dispersion.

        Returns
        -------
        numpy.ndarray
            ``(S, p, p)``.
        """
        return self.dispersion()[:, None, None] * self.unscaled_cov

    def standard_errors(self) -> np.ndarray:
        """Standard errors of the coefficients (with the dispersion).

        Returns
        -------
        numpy.ndarray
            ``(S, p)``.
        """
        diagonal = np.diagonal(self.unscaled_cov, axis1=1, axis2=2)
        return np.sqrt(self.dispersion()[:, None] * diagonal)

    def hat(self, design: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Leverages ``h_tt`` of each series' weighted fit.

        Parameters
        ----------
        design : numpy.ndarray
            The ``(T, p)`` design the fit used.
        weights : numpy.ndarray
            ``(S, T)`` prior weights the fit used.

        Returns
        -------
        numpy.ndarray
            ``(S, T)`` diagonal of ``W^1/2 X (X'WX)^-1 X' W^1/2``.
        """
        quadratic = (np.matmul(design[None], self.unscaled_cov) * design[None]).sum(axis=-1)
        return weights * self.mu * quadratic

    @property
    def method(self) -> str:
        """One sentence naming the model, the dispersion rule and the reference distribution."""
        terms = f" {self.terms}" if self.terms else ""
        weights = " with prior weights" if self.weighted else ""
        fitted = (
            f"{_NAMES[self.model]}{terms} of {self.beta.shape[0]} series on one design, fitted "
            f"together by IRLS{weights}"
        )
        if self.model == "poisson":
            return f"{fitted}; no dispersion estimated (Poisson variance); Wald normal intervals"
        phi = self.dispersion()
        spread = f" ({phi.min():.2f}-{phi.max():.2f})" if phi.size else ""
        return (
            f"{fitted}; dispersion phi = max(1, Pearson X2/df) per series{spread}; Wald t(df) "
            "intervals where the dispersion is estimated, normal where the floor binds"
        )


def fit_counts_batch(
    counts: np.ndarray,
    design: np.ndarray,
    weights: np.ndarray | None = None,
    model: str = "quasi_poisson",
    terms: str = "",
    max_iter: int = 60,
    tol: float = 1e-8,
) -> BatchCountFit:
    """Fit ``log E[y_st] = X_t beta_s`` to every series ``s`` by Poisson IRLS, all at once.

    Parameters
    ----------
    counts : numpy.ndarray
        ``(S, T)`` counts; NaN marks a missing (withheld or future) observation, which gets
        weight 0.
    design : numpy.ndarray
        ``(T, p)`` design matrix shared by all series (full column rank on the observed rows).
    weights : numpy.ndarray, optional
        ``(S, T)`` prior weights (the reweighting of Farrington's method); 1 when omitted.
    model : {"quasi_poisson", "poisson"}, optional
        Quasi-Poisson by default: the same coefficients, the covariance times the dispersion.
    terms : str, optional
        What the design holds, in words, for the method text.
    max_iter : int, optional
        Iteration limit.
    tol : float, optional
        Convergence on the relative change of the deviance (as R's ``glm``).

    Returns
    -------
    BatchCountFit
        Coefficients, unscaled covariance, fitted means, Pearson dispersion and df per series;
        the dispersion and reference distribution by the rule of :func:`fit_counts`.

    Raises
    ------
    StatisticsInputError
        For a model other than Poisson or quasi-Poisson, or counts and a design whose shapes do
        not match.

    Notes
    -----
    The estimator of :func:`fit_counts` (``statsmodels.GLM(family=Poisson())`` with variance
    weights, the observed rows of each series) for hundreds of series at once: fitting them one
    by one with statsmodels costs about 10 ms each, this a few ms for a thousand. Iteratively
    reweighted least squares for the canonical log link (McCullagh and Nelder 1989, section
    2.5): working response ``eta + (y - mu) / mu``, working weights ``w mu``, started from ``mu
    = (y + mean(y)) / 2`` as R's and statsmodels' ``glm`` do. A ridge of 1e-10 times the trace
    keeps the normal equations of an all-zero series solvable; the linear predictor is bounded
    at +-30 (an all-zero series gets means near 0, X2 near 0 and so the dispersion 1 with the
    normal reference, as :func:`fit_counts` gives it; its coefficients, at minus infinity in
    theory, are only as far out as the bound). The dispersion is Pearson's X2 over the
    residual df, by :func:`quasi_poisson_dispersion` as in :func:`fit_counts`.

    References
    ----------
    McCullagh, P. and Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed. Chapman & Hall.
    """
    if model not in BATCH_MODELS:
        raise StatisticsInputError(
            f"model must be 'poisson' or 'quasi_poisson' for many series at once, got {model!r}."
        )
    beta, inverse, mu, pearson, df, converged = _poisson_irls_batch(
        counts, design, weights, max_iter, tol
    )
    return BatchCountFit(
        beta,
        inverse,
        mu,
        pearson,
        df,
        converged,
        model=model,
        terms=terms,
        weighted=weights is not None,
    )


def _poisson_irls_batch(counts, design, weights, max_iter, tol):
    """Poisson IRLS of every series at once (see :func:`fit_counts_batch`)."""
    y = np.asarray(counts, dtype=float)
    x = np.asarray(design, dtype=float)
    if y.ndim != 2 or x.ndim != 2 or y.shape[1] != x.shape[0]:
        raise StatisticsInputError(
            f"Counts of shape {y.shape} do not match a design of shape {x.shape}."
        )
    observed = np.isfinite(y)
    prior = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float).copy()
    prior = np.where(observed, prior, 0.0)
    y0 = np.where(observed, y, 0.0)
    n_series, n_par = y.shape[0], x.shape[1]
    beta = np.zeros((n_series, n_par))
    mass = np.maximum(prior.sum(axis=1, keepdims=True), 1e-12)
    # start as glm does: mu = (y + mean) / 2 on the observed rows
    eta = np.log((y0 + (prior * y0).sum(axis=1, keepdims=True) / mass) / 2 + 0.1)
    converged = np.zeros(n_series, dtype=bool)
    outer = (x[:, :, None] * x[:, None, :]).reshape(x.shape[0], n_par * n_par)
    deviance = np.full(n_series, np.inf)
    active = np.arange(n_series)
    for _ in range(max_iter):
        mu = np.exp(eta)
        w_prior, y_act = prior[active], y0[active]
        working = w_prior * mu
        z = eta + (y_act - mu) / mu
        normal = (working @ outer).reshape(active.size, n_par, n_par)
        ridge = 1e-10 * np.trace(normal, axis1=1, axis2=2)[:, None, None] + 1e-300
        right = (working * z) @ x
        beta[active] = np.linalg.solve(normal + ridge * np.eye(n_par), right[..., None])[..., 0]
        fitted = np.exp(np.clip(beta[active] @ x.T, _ETA_FLOOR, -_ETA_FLOOR))
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.where(y_act > 0, y_act * np.log(y_act / fitted), 0.0)
        new_deviance = 2 * (w_prior * (log_ratio - (y_act - fitted))).sum(axis=1)
        # R's glm criterion: relative change of the deviance below tol
        done = np.abs(new_deviance - deviance[active]) / (np.abs(new_deviance) + 0.1) < tol
        deviance[active] = new_deviance
        converged[active[done]] = True
        active = active[~done]
        if active.size == 0:
            break
        eta = np.log(fitted[~done])
    mu = np.exp(np.clip(beta @ x.T, _ETA_FLOOR, -_ETA_FLOOR))
    normal = ((prior * mu) @ outer).reshape(n_series, n_par, n_par)
    ridge = 1e-10 * np.trace(normal, axis1=1, axis2=2)[:, None, None] + 1e-300
    inverse = np.linalg.inv(normal + ridge * np.eye(n_par))
    df = (prior > 0).sum(axis=1) - n_par
    chi2 = (prior * (y0 - mu) ** 2 / mu).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = np.where(df > 0, chi2 / np.maximum(df, 1), np.nan)
    return beta, inverse, mu, pearson, df.astype(float), converged
