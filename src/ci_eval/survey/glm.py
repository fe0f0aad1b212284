"""Generalised linear models on a survey design, as R ``survey``'s ``svyglm``, on statsmodels.

The coefficients solve the sampling-weighted estimating equations ``sum_i w_i x_i (dmu_i/deta)
(y_i - mu_i) / V(mu_i) = 0``: statsmodels' ``GLM`` with the weights (scaled to mean one, as R)
as ``var_weights``, fitted by IRLS with R's start and stopping rule
(:mod:`ci_eval.survey.glm_fit`). Their variance is design-based:

* Taylor designs (R's ``svy.varcoef``; Binder 1983): the influence value of row i is
  ``(X' W X)^-1 x_i w_i r_i`` (working weights ``w_i`` times working residuals ``r_i``) and the
  covariance is the design's covariance of the influence values' totals (the sandwich
  ``A^-1 V A^-1``), computed by the design's ``vcov`` hook (so multistage structure, lonely-PSU
  rules and calibration adjustments apply);
* replicate designs (R's ``svyglm.svyrep.design``): the model is refitted under every column of
  replicate weights, starting from the full-sample fit, and the spread of the replicate
  coefficients gives the variance (``replicate_variance``, R's ``svrVar``).

Intervals and p-values use Student t with R's residual degrees of freedom, the design degrees of
freedom + 1 - the number of coefficients; the dispersion does not enter (the variance is already
design-based, so the quasi families give the numbers of their likelihood families). Rows with a
missing model variable, and rows outside a subset, leave the fit but stay in the design.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, stats
from statsmodels.genmod.generalized_linear_model import GLMResults

from ci_eval.errors import ModelError
from ci_eval.survey.frames import critical_value
from ci_eval.survey.glm_family import get_family
from ci_eval.survey.glm_fit import EPSILON, MAXIT, glm_irls, refit_replicates, working_scores
from ci_eval.survey.model_frame import ModelFrame, model_frame

GLM_COLUMNS = (
    "term",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "statistic",
    "df",
    "p_value",
    "n",
)
ALIAS_TOL = 1e-9


@dataclass(frozen=True)
class SurveyGlmResults:
    """A survey-weighted GLM, in the shape of statsmodels' ``GLMResults``.

    Attributes
    ----------
    formula, family : as given (R's family name).
    terms : coefficient names (``Intercept``, ``x``, ``g[T.b]``).
    params : (p,) coefficients.
    vcov : (p, p) design-based covariance of the coefficients.
    df_resid : R's residual degrees of freedom, ``degf(design) + 1 - p``.
    n : number of rows in the fit (rows with a missing model variable are left out).
    rows : (n,) positions of those rows in the design's data.
    model : the full-sample statsmodels ``GLMResults`` (its own ``bse`` are model-based, not
        design-based: use this object's).
    influence : (N, p) influence values of the coefficients over the design's N rows (zero
        outside the fit), already multiplied by the weights, for a Taylor design; else None.
    replicate_params : (R, p) coefficients refitted under each replicate (replicate designs).
    """

    formula: str
    family: str
    terms: tuple[str, ...]
    params: np.ndarray
    vcov: np.ndarray
    df_resid: float
    n: int
    rows: np.ndarray
    model: GLMResults
    influence: np.ndarray | None = None
    replicate_params: np.ndarray | None = None
    spec: Any = None

    @property
    def bse(self) -> np.ndarray:
        """Design-based standard errors of the coefficients (statsmodels' name)."""
        return np.sqrt(np.maximum(np.diag(self.vcov), 0.0))

    @property
    def se(self) -> np.ndarray:
        """The same as :attr:`bse` (the ``se`` column of :meth:`summary_frame`)."""
        return self.bse

    @property
    def deviance(self) -> float:
        """Weighted deviance of the full-sample fit (weights scaled to mean 1, as R)."""
        return float(self.model.deviance)

    @property
    def iterations(self) -> int:
        """IRLS iterations of the full-sample fit, counted as R counts them."""
        return int(self.model.fit_history["iteration"]) + 1

    def cov_params(self) -> pd.DataFrame:
        """The design-based covariance as a frame labelled by the terms."""
        return pd.DataFrame(self.vcov, index=list(self.terms), columns=list(self.terms))

    def predict(
        self, exog: np.ndarray | None = None, newdata: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Fitted means for model-matrix rows ``exog``, for the rows of ``newdata`` (through
        the formula), or for the fit's rows when neither is given."""
        if newdata is not None:
            if self.spec is None:
                raise ModelError("predict(newdata=) needs a fit made from a formula")
            exog = np.asarray(self.spec.get_model_matrix(newdata), dtype=float)
        return np.asarray(self.model.predict(exog))

    def summary_frame(self, conf_level: float = 0.95) -> pd.DataFrame:
        """The coefficient table: ``term, estimate, se, ci_low, ci_high, statistic, df,
        p_value, n`` (t intervals and tests on ``df_resid``; NaN when it is not positive).
        """
        if not 0 < conf_level < 1:
            raise ModelError(f"conf_level must lie between 0 and 1 (e.g. 0.95), got {conf_level!r}")
        se = self.bse
        df = self.df_resid
        with np.errstate(divide="ignore", invalid="ignore"):
            t = self.params / se
        if df > 0:
            crit = critical_value(conf_level, df)
            p = 2.0 * stats.t.sf(np.abs(t), df)
        else:
            crit, p = np.nan, np.full_like(t, np.nan)
        return pd.DataFrame(
            {
                "term": list(self.terms),
                "estimate": self.params,
                "se": se,
                "ci_low": self.params - crit * se,
                "ci_high": self.params + crit * se,
                "statistic": t,
                "df": np.full(len(self.terms), float(df)),
                "p_value": p,
                "n": np.full(len(self.terms), self.n, dtype=np.int64),
            },
            columns=list(GLM_COLUMNS),
        )


def fit_glm(
    design: Any,
    formula: str,
    family: str = "gaussian",
    epsilon: float = EPSILON,
    maxit: int = MAXIT,
) -> SurveyGlmResults:
    """Fit ``formula`` on ``design`` with design-based variance (see the module docstring).

    ``epsilon`` and ``maxit`` are R's ``glm.control`` settings for IRLS (defaults as R, so the
    results are R's to rounding; ``epsilon=1e-14`` gives the fully converged fit).

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.survey import SurveyDesign
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 4.0, 3.0, 6.0, 5.0], "x": [0, 1, 2, 3, 4, 5],
    ...                    "w": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]})
    >>> fit = fit_glm(SurveyDesign(df, weights="w"), "y ~ x")
    >>> fit.terms, round(float(fit.params[1]), 6), fit.df_resid
    (('Intercept', 'x'), 0.820513, 4.0)
    """
    subset = design.subset_mask
    if subset is None:
        return fit_model_frame(design, model_frame(design.data, formula), family, epsilon, maxit)
    # a subpopulation: as R, the model frame (and so the categories) is that of its rows
    positions = np.flatnonzero(subset)
    mf = model_frame(design.data.iloc[positions], formula)
    mf = replace(mf, rows=positions[mf.rows])
    return fit_model_frame(design, mf, family, epsilon, maxit)


def fit_model_frame(
    design: Any,
    mf: ModelFrame,
    family: str = "gaussian",
    epsilon: float = EPSILON,
    maxit: int = MAXIT,
) -> SurveyGlmResults:
    """Fit a GLM to a prepared :class:`ModelFrame` (``fit_glm`` without the formula step)."""
    fam = get_family(family)
    problem = fam.check(mf.y)
    if problem:
        raise ModelError(
            f"model formula {mf.formula!r} with family={family!r}: {problem}; the response "
            f"{mf.response!r} has values from {np.min(mf.y):g} to {np.max(mf.y):g}"
        )
    if not (epsilon > 0 and maxit >= 1):
        raise ModelError(f"glm needs epsilon > 0 and maxit >= 1, got {epsilon!r} and {maxit!r}")
    w_all = design.sampling_weights
    w = w_all[mf.rows]
    _check_rank(mf, w)
    # R rescales the weights to mean one over the design's rows (a subset's rows) before fitting;
    # it changes only the deviance, and so, slightly, where IRLS stops
    subset = design.subset_mask
    scale = float(np.mean(w_all if subset is None else w_all[subset]))
    what = f"formula {mf.formula!r}"
    fit = glm_irls(mf.X, mf.y, w / scale, fam, epsilon=epsilon, maxit=maxit, what=what)
    p = len(mf.terms)
    influence = replicate_params = None
    if design.is_replicate:
        repweights = design.repweights[mf.rows]
        replicate_params = refit_replicates(
            mf.X, mf.y, repweights, fam, fit.params, epsilon, maxit, what
        )
        vcov = np.asarray(design.replicate_variance(fit.params, replicate_params), dtype=float)
        degf = float(design.degf)  # R: degf of the replicate design, before rows leave
    else:
        influence = np.zeros((len(design.data), p))
        influence[mf.rows] = coefficient_influence(mf.X, fit)
        vcov = design.vcov(influence, rows=mf.rows)
        degf = float(design.degf_of(mf.rows[w != 0]))  # R: degf(design[-nas, ])
    return SurveyGlmResults(
        formula=mf.formula,
        family=family,
        terms=mf.terms,
        params=np.asarray(fit.params, dtype=float),
        vcov=vcov,
        df_resid=degf + 1 - p,
        n=len(mf.rows),
        rows=mf.rows,
        model=fit,
        influence=influence,
        replicate_params=replicate_params,
        spec=mf.spec,
    )


def fit_matrix(
    design: Any,
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    family: str = "gaussian",
    epsilon: float = EPSILON,
    maxit: int = MAXIT,
    what: str = "the model",
    polish: bool = False,
) -> SurveyGlmResults:
    """Fit a GLM to a model matrix ``X`` (N, p) over the design's N rows with analysis weights
    ``w`` (N,): the sampling weights times a per-row factor, zero for the rows outside the fit.

    The variance is as :func:`fit_glm`'s: Taylor designs get the influence values (and their
    covariance from the design's ``vcov`` over every row); replicate designs refit the model
    under each column of replicate weights times the same per-row factor. ``polish``: see
    :func:`~ci_eval.survey.glm_fit.glm_irls` (the full-sample fit only).

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.survey import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"w": [1.0, 2.0, 1.0, 2.0]}), weights="w")
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> fit = fit_matrix(d, X, np.array([1.0, 3.0, 2.0, 5.0]), d.sampling_weights)
    >>> np.round(fit.params, 4).tolist()
    [1.2727, 1.1364]
    """
    fam = get_family(family)
    rows = np.flatnonzero(w > 0)
    Xs, ys, ws = X[rows], y[rows], w[rows]
    fit = glm_irls(Xs, ys, ws / ws.mean(), fam, None, epsilon, maxit, what, polish)
    p = X.shape[1]
    influence = replicate_params = None
    if design.is_replicate:
        sw = design.sampling_weights
        factor = np.divide(w, sw, out=np.zeros(len(w)), where=sw != 0)
        repweights = design.repweights[rows] * factor[rows, None]
        replicate_params = refit_replicates(Xs, ys, repweights, fam, fit.params, epsilon, maxit)
        vcov = np.asarray(design.replicate_variance(fit.params, replicate_params), dtype=float)
        degf = float(design.degf)
    else:
        influence = np.zeros((len(w), p))
        influence[rows] = coefficient_influence(Xs, fit)
        vcov = design.vcov(influence)
        degf = float(design.degf_of(rows))
    return SurveyGlmResults(
        formula=what,
        family=family,
        terms=tuple(f"x{j}" for j in range(p)),
        params=np.asarray(fit.params, dtype=float),
        vcov=vcov,
        df_resid=degf + 1 - p,
        n=len(rows),
        rows=rows,
        model=fit,
        influence=influence,
        replicate_params=replicate_params,
    )


def coefficient_influence(X: np.ndarray, fit: GLMResults) -> np.ndarray:
    """Binder's influence values of the coefficients, ``(X' W X)^-1 x_i w_i r_i`` (k, p), from
    the bread and the working scores of a statsmodels fit (R's ``svy.varcoef``)."""
    bread = np.asarray(fit.normalized_cov_params, dtype=float)
    return (X * working_scores(fit)[:, None]) @ bread


def _check_rank(mf: ModelFrame, w: np.ndarray) -> None:
    """Raise a :class:`ModelError` naming the terms that are linear combinations of the others."""
    X = mf.X[w > 0]
    p = X.shape[1]
    if X.shape[0] < p:
        raise ModelError(
            f"model formula {mf.formula!r} has {p} coefficients but only {X.shape[0]} rows "
            "with a positive weight and every model variable; simplify the model"
        )
    norms = np.linalg.norm(X, axis=0)
    if np.any(norms == 0):
        zero = [mf.terms[j] for j in np.flatnonzero(norms == 0)]
        raise ModelError(
            f"model formula {mf.formula!r}: the terms {zero} are zero in every row of the fit "
            "(a category without respondents?); drop or merge them"
        )
    _, r, piv = linalg.qr(X / norms, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > ALIAS_TOL * diag[0]))
    if rank < p:
        aliased = sorted(mf.terms[j] for j in piv[rank:])
        raise ModelError(
            f"model formula {mf.formula!r}: the terms {aliased} are linear combinations of the "
            "other terms in the rows of the fit (aliased); drop them or merge categories"
        )
