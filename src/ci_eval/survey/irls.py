"""Weighted maximum (pseudo-)likelihood for a GLM by iteratively reweighted least squares.

The iteration is R's ``glm.fit`` step for step (McCullagh and Nelder 1989, §2.5), so that results
agree with R ``survey``'s ``svyglm`` to rounding: from the family's starting values, regress the
working response ``z = eta + (y - mu) / (dmu/deta)`` on ``X`` with working weights
``w (dmu/deta)^2 / V(mu)``, halving the step while the deviance is not finite, and stop when
``|dev - dev_old| / (|dev| + 0.1) < epsilon`` (R's ``glm.control``: ``epsilon = 1e-8``,
``maxit = 25``). As in R, the fit keeps the working weights of its last step (computed before the
last update of the coefficients) and the working residuals of the final coefficients; ``svyglm``'s
standard errors are built from them. A smaller ``epsilon`` (e.g. ``1e-14``) gives the fully
converged fit, whose standard errors can differ from R's default ones by about 1e-6 relative.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ci_eval.errors import ConvergenceError, ModelError
from ci_eval.survey.glm_family import EPS, Family

EPSILON = 1e-8  # R's glm.control(epsilon)
MAXIT = 25  # R's glm.control(maxit)


@dataclass(frozen=True)
class IrlsFit:
    """An IRLS fit.

    Attributes
    ----------
    coef : (p,) coefficients.
    mu : (k,) fitted means at ``coef``.
    working_weights : (k,) ``w (dmu/deta)^2 / V(mu)`` of the last step (R's ``fit$weights``).
    score : (k,) working weights times working residuals ``(y - mu) / (dmu/deta)`` at ``coef``;
        ``X * score[:, None]`` are the rows' contributions to the estimating equations.
    deviance : the weighted deviance at ``coef``.
    iterations : IRLS steps taken.
    """

    coef: np.ndarray
    mu: np.ndarray
    working_weights: np.ndarray
    score: np.ndarray
    deviance: float
    iterations: int


def irls(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    family: Family,
    start: np.ndarray | None = None,
    epsilon: float = EPSILON,
    maxit: int = MAXIT,
    what: str = "the model",
) -> IrlsFit:
    """Fit a GLM with prior weights ``w`` by IRLS (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from ci_eval.survey.glm_family import get_family
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> fit = irls(X, np.array([1.0, 3.0, 5.0, 7.0]), np.ones(4), get_family("gaussian"))
    >>> np.round(fit.coef, 10).tolist()
    [1.0, 2.0]
    """
    w = np.asarray(w, dtype=float)
    if start is None:
        eta = family.linkfun(family.start(y, w))
        coef = None
    else:
        coef = np.asarray(start, dtype=float)
        eta = X @ coef
    mu = family.linkinv(eta)
    dev_old = family.deviance(y, mu, w)
    for iteration in range(1, maxit + 1):
        new, working = _step(X, y, w, family, eta, mu, what)
        eta_new = X @ new
        mu_new = family.linkinv(eta_new)
        dev = family.deviance(y, mu_new, w)
        halvings = 0
        while not np.isfinite(dev):
            if coef is None or halvings >= maxit:
                raise ConvergenceError(
                    f"IRLS for {what} reached an invalid deviance; check the response values "
                    "and the predictors (perfect separation, extreme values)"
                )
            new = (new + coef) / 2.0
            eta_new = X @ new
            mu_new = family.linkinv(eta_new)
            dev = family.deviance(y, mu_new, w)
            halvings += 1
        coef, eta, mu = new, eta_new, mu_new
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            return _result(coef, eta, mu, y, working, family, dev, iteration)
        dev_old = dev
    raise ConvergenceError(
        f"IRLS for {what} did not converge in {maxit} iterations (epsilon={epsilon:g}); look "
        "for perfect separation (a predictor that splits the outcome exactly), drop sparse "
        "categories, or allow more iterations (maxit=)"
    )


def _step(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    family: Family,
    eta: np.ndarray,
    mu: np.ndarray,
    what: str,
) -> tuple[np.ndarray, np.ndarray]:
    """One weighted least-squares step: new coefficients and the working weights it used."""
    d = family.mu_eta(eta)
    good = (w > 0) & (d != 0)
    z = eta[good] + (y[good] - mu[good]) / d[good]
    root = np.sqrt(w[good] * d[good] ** 2 / family.variance(mu[good]))
    coef, _, rank, _ = np.linalg.lstsq(X[good] * root[:, None], z * root, rcond=None)
    if rank < X.shape[1]:
        raise ModelError(
            f"{what}: the predictors are linearly dependent among the rows with positive "
            "weight, so the coefficients are not identified; drop aliased terms"
        )
    working = np.zeros(len(w))
    working[good] = root**2
    return coef, working


def _result(
    coef: np.ndarray,
    eta: np.ndarray,
    mu: np.ndarray,
    y: np.ndarray,
    working: np.ndarray,
    family: Family,
    dev: float,
    iterations: int,
) -> IrlsFit:
    used = working > 0
    if family.link == "logit" and np.any((mu[used] < 10 * EPS) | (mu[used] > 1 - 10 * EPS)):
        warnings.warn(
            "fitted probabilities numerically 0 or 1 occurred (possible separation); the "
            "coefficients and their standard errors may be unreliable",
            UserWarning,
            stacklevel=4,
        )
    score = np.zeros(len(y))
    score[used] = working[used] * (y[used] - mu[used]) / family.mu_eta(eta[used])
    return IrlsFit(
        coef=coef,
        mu=mu,
        working_weights=working,
        score=score,
        deviance=dev,
        iterations=iterations,
    )
