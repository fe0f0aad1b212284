"""One weighted GLM fitted by statsmodels' IRLS the way R's ``glm.fit`` fits it.

statsmodels' ``GLM(y, X, family, var_weights=w).fit(method="IRLS")`` runs the same iteration as
R (McCullagh and Nelder 1989, §2.5); three settings make it stop where R stops, so that
``svyglm``'s numbers are reproduced to rounding rather than to the convergence tolerance:

* **start**: R starts from the family's starting means (:mod:`ci_eval.survey.glm_family`), not
  from statsmodels' ``(y + mean(y)) / 2``. Its first step (one weighted least-squares fit of the
  working response at those means) is taken here and handed to statsmodels as ``start_params``;
  statsmodels then runs R's iterations 2, 3, ... (``maxiter = maxit - 1``).
* **stopping rule**: R stops when ``|dev - dev_old| / (|dev| + 0.1) < epsilon``; statsmodels'
  ``tol_criterion="deviance"`` stops when ``|dev_old - dev| <= atol + rtol |dev|``, which is the
  same test with ``atol = 0.1 epsilon`` and ``rtol = epsilon`` (R: ``epsilon = 1e-8``,
  ``maxit = 25``), on the raw deviance when the scale is fixed at 1 (statsmodels otherwise
  divides a Gaussian deviance by its estimated scale).
* **the weights of the last step**: as R's ``fit$weights``, statsmodels' ``model.weights`` after
  the fit are the working weights of the last iteration (computed before its update of the
  coefficients), and ``normalized_cov_params`` is ``(X' W X)^-1`` with them; ``resid_working``
  is at the final coefficients. ``svyglm``'s standard errors are built from exactly these.

A fit that does not meet the rule in ``maxit`` iterations raises :class:`ConvergenceError`.
Replicate refits (:func:`refit_replicates`) follow R's ``svyglm.svyrep.design``: each column of
replicate weights, scaled to sum one, refitted from the full-sample coefficients.
"""

from __future__ import annotations

import warnings

import numpy as np
import statsmodels.api as sm
from statsmodels.genmod.generalized_linear_model import GLMResults
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from ci_eval.errors import ConvergenceError
from ci_eval.survey.glm_family import (
    Family,
    r_binomial_deviance,
    r_logit_inverse,
    r_logit_mu_eta,
)

EPSILON = 1e-8  # R's glm.control(epsilon)
MAXIT = 25  # R's glm.control(maxit)
EPS = float(np.finfo(float).eps)


def glm_irls(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    family: Family,
    start: np.ndarray | None = None,
    epsilon: float = EPSILON,
    maxit: int = MAXIT,
    what: str = "the model",
    polish: bool = False,
) -> GLMResults:
    """Fit a GLM with prior weights ``w`` by statsmodels' IRLS, stopping as R (module docstring).

    ``polish`` takes one more IRLS step from the converged coefficients, so that the working
    weights (and so the bread ``(X' W X)^-1``) are those of the converged fit rather than of
    the step before it: the fully converged sandwich, where R's is one step behind.

    Examples
    --------
    >>> import numpy as np
    >>> from ci_eval.survey.glm_family import get_family
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> fit = glm_irls(X, np.array([1.0, 3.0, 5.0, 7.0]), np.ones(4), get_family("gaussian"))
    >>> np.round(fit.params, 10).tolist()
    [1.0, 2.0]
    """
    w = np.asarray(w, dtype=float)
    sm_family = family.statsmodels()
    maxiter = maxit
    if start is None:
        start = _first_step(X, y, w, family, sm_family)
        maxiter = max(maxit - 1, 1)
    fit = _statsmodels_irls(X, y, w, sm_family, start, maxiter, epsilon)
    if polish and fit.converged:
        fit = _statsmodels_irls(X, y, w, sm_family, fit.params, 1, epsilon)
        fit.converged = True  # one step from a converged fit
    if not fit.converged or not np.all(np.isfinite(fit.params)):
        raise ConvergenceError(
            f"IRLS for {what} did not converge in {maxit} iterations (epsilon={epsilon:g}); look "
            "for perfect separation (a predictor that splits the outcome exactly), drop sparse "
            "categories, or allow more iterations (maxit=)"
        )
    if family.link == "logit":
        mu = fit.mu[w > 0]
        if np.any((mu < 10 * EPS) | (mu > 1 - 10 * EPS)):
            warnings.warn(
                "fitted probabilities numerically 0 or 1 occurred (possible separation); the "
                "coefficients and their standard errors may be unreliable",
                UserWarning,
                stacklevel=3,
            )
    return fit


def _statsmodels_irls(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    sm_family: object,
    start: np.ndarray,
    maxiter: int,
    epsilon: float,
) -> GLMResults:
    model = sm.GLM(y, X, family=sm_family, var_weights=w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)  # warned below, as R does
        return model.fit(
            method="IRLS",
            start_params=np.asarray(start, dtype=float),
            maxiter=maxiter,
            tol=0.1 * epsilon,
            rtol=epsilon,
            tol_criterion="deviance",
            scale=1.0,  # the criterion is then R's raw deviance (the scale enters no variance)
        )


def _first_step(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, family: Family, sm_family: object
) -> np.ndarray:
    """R's first IRLS step: weighted least squares of the working response at R's start."""
    mu = family.start(y, w)
    link = sm_family.link  # type: ignore[attr-defined]
    eta = link(mu)
    z = eta + (y - mu) * link.deriv(mu)
    root = np.sqrt(w * sm_family.weights(mu))  # type: ignore[attr-defined]
    coef, *_ = np.linalg.lstsq(X * root[:, None], z * root, rcond=None)
    return coef


def working_scores(fit: GLMResults) -> np.ndarray:
    """Each row's contribution to the estimating equations, per unit of ``x_i``: the working
    weight of the last step times the working residual, ``w_i (y_i - mu_i) / (dmu/deta)_i``."""
    return np.asarray(fit.model.weights) * np.asarray(fit.resid_working)


def refit_replicates(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    family: Family,
    start: np.ndarray,
    epsilon: float = EPSILON,
    maxit: int = MAXIT,
    what: str = "the model",
) -> np.ndarray:
    """Coefficients (R, p) of the model refitted under each column of ``weights`` (k, R).

    A replicate without weight, or whose weights leave the coefficients unidentified, gives NaN
    (R: NA), which the replicate variance then drops with a warning, as R's ``svrVar`` does.

    Examples
    --------
    >>> import numpy as np
    >>> from ci_eval.survey.glm_family import get_family
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> y = np.array([1.0, 3.0, 4.0, 8.0])
    >>> W = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    >>> refit_replicates(X, y, W, get_family("gaussian"), np.zeros(2)).round(6) + 0.0
    array([[0.      , 2.5     ],
           [1.166667, 1.5     ]])
    """
    p = X.shape[1]
    out = np.full((weights.shape[1], p), np.nan)
    for r in range(weights.shape[1]):
        wr = weights[:, r]
        total = wr.sum()
        if not total > 0 or np.linalg.matrix_rank(X[wr > 0]) < p:
            continue
        out[r] = glm_irls(X, y, wr / total, family, start, epsilon, maxit, what).params
    return out


def logit_intercept_refits(
    y: np.ndarray,
    weights: np.ndarray,
    start: float,
    epsilon: float = EPSILON,
    maxit: int = MAXIT,
) -> np.ndarray:
    """R's ``glm.fit`` of ``y ~ 1`` (quasibinomial) from ``start`` under each column of
    ``weights`` (k, R), each scaled to sum one: the replicate coefficients of
    ``svyglm.svyrep.design``, operation for operation.

    Where a replicate's share is 0 or 1 the coefficient has no finite value and R's answer is
    where its deviance test stops (about +-20). Each step there adds ``(y - mu) / mu.eta``, with
    ``1 - mu`` a difference of nearly equal numbers, so the result rests on rounding: the link
    is computed as R's C code computes it (``x / (1 + x)``, ``x = exp(eta)``;
    :func:`~ci_eval.survey.glm_family.r_logit_inverse`) so that the rounding is R's. A
    replicate without weight gives NaN (R: NA).

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 1.0], [1.0, 0.0], [2.0, 1.0]])
    >>> refits = logit_intercept_refits(np.array([1.0, 0.0, 1.0]), W, 0.5)
    >>> round(float(refits[0]), 8), bool(refits[1] > 20)  # logit(3/4); all ones: R's stop
    (1.09861229, True)
    """
    out = np.full(weights.shape[1], np.nan)
    for r in range(weights.shape[1]):
        total = weights[:, r].sum()
        if not total > 0:
            continue
        good = weights[:, r] > 0
        out[r] = _logit_intercept_irls(y[good], weights[good, r] / total, start, epsilon, maxit)
    return out


def _logit_intercept_irls(
    y: np.ndarray, wt: np.ndarray, eta: float, epsilon: float, maxit: int
) -> float:
    """R's ``glm.fit`` iterations for ``y ~ 1`` with the logit link, from ``eta``."""
    mu = float(r_logit_inverse(np.array([eta]))[0])
    dev_old = r_binomial_deviance(y, mu, wt)
    for _ in range(maxit):
        mu_eta = r_logit_mu_eta(eta)
        z = eta + (y - mu) / mu_eta
        w2 = wt * mu_eta**2 / (mu * (1 - mu))
        eta = float(np.sum(w2 * z) / np.sum(w2))
        mu = float(r_logit_inverse(np.array([eta]))[0])
        dev = r_binomial_deviance(y, mu, wt)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            return eta
        dev_old = dev
    raise ConvergenceError(
        f"IRLS for a replicate's proportion did not converge in {maxit} iterations"
    )
