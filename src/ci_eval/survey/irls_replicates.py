"""IRLS refits of one GLM under many columns of replicate weights at once.

R ``survey``'s ``svyglm.svyrep.design`` refits the model with every column of replicate weights
(scaled to sum one), starting from the full-sample coefficients, with ``glm.fit``'s settings. Each
IRLS step of ``glm.fit`` is the Newton step ``beta + (X' W X)^-1 X' s`` with ``W`` the working
weights and ``s`` the score weights (:mod:`ci_eval.survey.irls`), so all replicates advance
together: one batched ``p x p`` solve per step instead of one least-squares fit per replicate.
Every replicate stops at its own iteration by R's deviance test, as separate ``glm.fit`` calls
would. A replicate whose weights leave the coefficients unidentified gives NaN (R: NA), which the
replicate variance then drops with a warning, as R's ``svrVar`` does.
"""

from __future__ import annotations

import numpy as np

from ci_eval.errors import ConvergenceError
from ci_eval.survey.glm_family import Family
from ci_eval.survey.irls import irls

CHUNK = 16  # replicate columns refitted together
SINGULAR = 1e-12  # smallest eigenvalue of the scaled X' W X for an identified replicate fit


def refit_replicates(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    family: Family,
    start: np.ndarray,
    epsilon: float,
    maxit: int,
    what: str = "the model",
) -> np.ndarray:
    """Coefficients (R, p) of the model refitted under each column of ``weights`` (k, R).

    Examples
    --------
    >>> import numpy as np
    >>> from ci_eval.survey.glm_family import get_family
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> y = np.array([1.0, 3.0, 4.0, 8.0])
    >>> W = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    >>> refit_replicates(X, y, W, get_family("gaussian"), np.zeros(2), 1e-8, 25).round(6) + 0.0
    array([[0.      , 2.5     ],
           [1.166667, 1.5     ]])
    """
    chunks = [
        _refit_chunk(X, y, weights[:, lo : lo + CHUNK], family, start, epsilon, maxit, what)
        for lo in range(0, weights.shape[1], CHUNK)
    ]
    return np.vstack(chunks)


def _refit_chunk(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    family: Family,
    start: np.ndarray,
    epsilon: float,
    maxit: int,
    what: str,
) -> np.ndarray:
    """:func:`refit_replicates` for a few columns (the (k, columns) arrays stay in cache)."""
    n_rep, p = weights.shape[1], X.shape[1]
    totals = weights.sum(axis=0)
    w = weights / np.where(totals > 0, totals, 1.0)
    y_col = y[:, None]
    coef = np.repeat(np.asarray(start, dtype=float)[:, None], n_rep, axis=1)  # (p, R)
    eta = X @ coef
    mu = family.linkinv(eta)
    dev_old = _deviance(family, y_col, mu, w)
    out = np.full((n_rep, p), np.nan)
    active = np.flatnonzero(totals > 0)  # a replicate without weight in the fit gives NaN
    scale = np.linalg.norm(X, axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    outer = (Xs[:, :, None] * Xs[:, None, :]).reshape(len(X), p * p)  # rows' x x'
    for _ in range(maxit):
        wa, mua, etaa = w[:, active], mu[:, active], eta[:, active]
        d = family.mu_eta(etaa)
        v = family.variance(mua)
        working = wa * d**2 / v
        score = wa * d * (y_col - mua) / v
        info = (outer.T @ working).T.reshape(active.size, p, p)
        grad = (Xs.T @ score).T
        ok = np.linalg.eigvalsh(info)[:, 0] > SINGULAR * np.trace(info, axis1=1, axis2=2)
        step = np.zeros((active.size, p))
        if ok.any():
            step[ok] = np.linalg.solve(info[ok], grad[ok][:, :, None])[:, :, 0]
        new = coef[:, active] + (step / scale).T
        eta_new = X @ new
        mu_new = family.linkinv(eta_new)
        dev = _deviance(family, y_col, mu_new, wa)
        bad = ~np.isfinite(dev) & ok
        for j in np.flatnonzero(bad):  # rare: let the one-column fit halve its step, as R
            r = active[j]
            new[:, j] = irls(X, y, w[:, r], family, start, epsilon, maxit, what).coef
            eta_new[:, j] = X @ new[:, j]
            mu_new[:, j] = family.linkinv(eta_new[:, j])
            dev[j] = _deviance(family, y_col, mu_new[:, [j]], wa[:, [j]])[0]
        coef[:, active], eta[:, active], mu[:, active] = new, eta_new, mu_new
        done = ~ok | bad | (np.abs(dev - dev_old[active]) / (np.abs(dev) + 0.1) < epsilon)
        finished = active[done & ok]
        out[finished] = coef[:, finished].T
        dev_old[active] = dev
        active = active[~done]
        if active.size == 0:
            return out
    raise ConvergenceError(
        f"IRLS for {what} did not converge in {maxit} iterations for {active.size} replicate(s) "
        f"(epsilon={epsilon:g}); look for perfect separation in a replicate, drop sparse "
        "categories, or allow more iterations (maxit=)"
    )


def _deviance(family: Family, y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted deviance of every column of ``mu`` (k, a): (a,)."""
    return np.sum(w * family.unit_deviance(y, mu), axis=0)
