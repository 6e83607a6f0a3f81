"""One engine for overdispersed counts: Poisson, quasi-Poisson and negative binomial GLMs.

Every count model of the statistics layer is fitted here: the trend of one series
(:func:`rvs_analysis.stats.trends.fit_count_trend`), areas against each other
(:func:`rvs_analysis.stats.compare.compare_trends`), visible against less visible crime
(:func:`rvs_analysis.stats.crime_change.compare_trends`), month effects
(:func:`rvs_analysis.stats.monthly.seasonal_effects`) and the year-to-year noise that change
intervals use. The callers build a design matrix (and a log-exposure offset) and read estimates
from the one result type, :class:`CountFit`, which knows the model, the dispersion it estimated,
the reference distribution of its intervals and says so in :attr:`CountFit.method`.

Rules, in one place
    * Poisson: the GLM's own covariance, normal reference.
    * Quasi-Poisson: the Poisson GLM's coefficients, covariance times ``phi = max(1, X2/df)``
      (Pearson X2 of the Poisson fit, ``df`` its residual degrees of freedom), t(df) reference
      when the dispersion is estimated (``X2/df > 1``), the normal where the floor binds
      (:func:`rvs_analysis.stats.common.floored_dispersion`).
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
    floored_dispersion,
)

__all__ = [
    "COUNT_MODELS",
    "NB_MAXITER",
    "NB_NEWTON_MAXITER",
    "CountFit",
    "CountModelConvergenceError",
    "fit_counts",
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
        For an unknown model, mismatched shapes or weights with NB2.
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
        phi = max(1.0, pearson) if df > 0 else 1.0
        reference_df = floored_dispersion(pearson, df)[1] if df > 0 else math.inf
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
