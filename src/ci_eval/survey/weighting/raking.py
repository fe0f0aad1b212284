"""Raking (iterative proportional fitting) to several categorical margins.

Each sweep post-stratifies to every margin in turn (Deming and Stephan 1940; R ``survey``'s
``rake``). The variance uses R's approximation (``svyrecvar`` on a ``raking`` object): ten passes
over the margins of the last sweep, each replacing the influence values ``u`` by
``u - w_k · mean_g(u / w_k)``, where ``w_k`` are the weights right after margin ``k`` was met and
the mean is the plain mean within the margin's category ``g``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TypeVar

import numpy as np

from ci_eval.errors import ConvergenceError, WeightingError
from ci_eval.survey.weighting.designs import column_name, rebuild, weight_matrix
from ci_eval.survey.weighting.diagnostics import diagnose
from ci_eval.survey.weighting.margins import (
    CategoricalMargin,
    categorical_margin,
    check_grand_totals,
)
from ci_eval.survey.weighting.poststratify import _factors

D = TypeVar("D")

#: passes of margin-mean removal in the variance, as R's svyrecvar
VARIANCE_PASSES = 10


def rake(
    design: D,
    margins: Mapping[str, object],
    max_iter: int | None = None,
    tol: float = 1e-10,
    epsilon: float | None = None,
    force: bool = False,
) -> D:
    """Rake a design to population margins of several categorical variables.

    Parameters
    ----------
    design : a ``SurveyDesign`` or ``ReplicateDesign``; it is not changed.
    margins : ``{column: totals}``, each ``totals`` a pandas Series (or dict) of population counts
        of every category of the column; all margins must have the same grand total (within a
        relative 1e-6).
    max_iter : most sweeps over the margins (default 100, or R's 10 when ``epsilon`` is given).
    tol : stop when every weighted category total is within this relative distance of its
        target (checked before the first sweep too: margins the sample already meets leave the
        weights unchanged).
    epsilon : R's stopping rule instead of ``tol``: stop when a sweep changes no cell of the
        weighted cross-table of the margin variables by ``epsilon`` or more (a fraction of the
        weight total when ``epsilon < 1``). ``epsilon=1`` with the default ``max_iter`` (10)
        reproduces R's ``rake`` defaults, and R's weights, exactly.
    force : return the weights of the last sweep, with a warning, when the criterion is not met
        (R's behaviour) instead of raising.

    Returns
    -------
    A new design with ``weighting_diagnostics`` (sweeps used in ``iterations``). A replicate
    design has every replicate raked with its own weights, sweep for sweep with the full sample,
    as R's ``rake`` on a ``svyrep.design`` does.

    Raises
    ------
    WeightingError : a margin that does not fit the data, or margins with different grand totals.
    ConvergenceError : the criterion is not met in ``max_iter`` sweeps; the message names the
        margin category furthest from its target. With ``force=True`` the step warns instead,
        as R's ``rake`` does, and returns the last sweep's weights with
        ``weighting_diagnostics.converged`` False.

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.survey import SurveyDesign, rake
    >>> df = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["u", "v", "u", "v"],
    ...                    "w": [1.0, 1.0, 1.0, 1.0]})
    >>> d = rake(SurveyDesign(df, weights="w"),
    ...          {"a": pd.Series({"x": 6, "y": 4}), "b": pd.Series({"u": 5, "v": 5})})
    >>> d.weights.round(6).tolist()
    [3.0, 3.0, 2.0, 2.0]
    """
    if not margins:
        raise WeightingError("rake needs at least one margin: {column: population totals}")
    if tol <= 0 or (epsilon is not None and epsilon <= 0):
        raise WeightingError(f"tol and epsilon must be positive (tol={tol}, epsilon={epsilon})")
    W = weight_matrix(design)
    before = W[:, 0].copy()
    cats = [
        categorical_margin(design.data, var, totals, before, role="raking")
        for var, totals in margins.items()
    ]
    check_grand_totals({m.variable: float(m.targets.sum()) for m in cats})
    if epsilon is None:
        W, sweeps, after_margin, failure = _rake_to_tolerance(W, cats, max_iter or 100, tol)
    else:
        limit = 10 if max_iter is None else max_iter
        W, sweeps, after_margin, failure = _rake_as_r(W, cats, limit, epsilon)
    if failure:
        if not force:
            raise ConvergenceError(failure)
        warnings.warn(failure, UserWarning, stacklevel=2)
    adjustment = raking_residuals(cats, after_margin)
    diagnostics = diagnose("rake", before, W[:, 0], cats, iterations=sweeps, converged=not failure)
    return rebuild(design, W, adjustment, diagnostics)


def _sweep(W: np.ndarray, cats: Sequence[CategoricalMargin]) -> tuple[np.ndarray, list]:
    """One pass of post-stratification over every margin; the weights after each margin."""
    after = []
    for margin in cats:
        W = W * _factors(margin, W)[margin.code]
        after.append(W[:, 0].copy())
    return W, after


def _worst(W: np.ndarray, cats: Sequence[CategoricalMargin]) -> tuple[float, str]:
    """Largest relative distance of a weighted category total from its target, described."""
    worst, where = -1.0, ""
    for margin in cats:
        got = margin.totals(W)
        rel = np.abs(got - margin.targets[:, None]) / margin.targets[:, None]
        g, j = np.unravel_index(int(np.argmax(rel)), rel.shape)
        if rel[g, j] > worst:
            worst = float(rel[g, j])
            where = (
                f"category {margin.levels[g]!r} of {margin.variable!r} in {column_name(int(j))}: "
                f"target {margin.targets[g]:.10g}, weighted total {got[g, j]:.10g}"
            )
    return worst, where


def _rake_to_tolerance(
    W: np.ndarray, cats: Sequence[CategoricalMargin], max_iter: int, tol: float
) -> tuple[np.ndarray, int, list, str]:
    """Sweep until every margin is within ``tol``: weights, sweeps, the weights after each
    margin in the last sweep, and why it did not converge ("" when it did)."""
    # margins already met: the weights stay, but the variance still gains from the calibration
    sweeps, after = 0, [W[:, 0].copy() for _ in cats]
    worst, where = _worst(W, cats)
    while worst >= tol:
        if sweeps == max_iter:
            return (
                W,
                sweeps,
                after,
                (
                    f"raking to {', '.join(repr(m.variable) for m in cats)} did not converge in "
                    f"{max_iter} sweeps: the largest remaining discrepancy is a relative "
                    f"{worst:.3g} ({where}); raise max_iter or loosen tol, or check for empty "
                    "cells of the cross-classification that keep the margins from being met "
                    "together"
                ),
            )
        W, after = _sweep(W, cats)
        sweeps += 1
        worst, where = _worst(W, cats)
    return W, sweeps, after, ""


def _rake_as_r(
    W: np.ndarray, cats: Sequence[CategoricalMargin], max_iter: int, epsilon: float
) -> tuple[np.ndarray, int, list, str]:
    """R's loop: sweep until no cell of the joint weighted table moves by ``epsilon``."""
    limit = epsilon * float(W[:, 0].sum()) if epsilon < 1 else epsilon
    _, cell = np.unique(np.column_stack([m.code for m in cats]), axis=0, return_inverse=True)
    cell = cell.reshape(-1)
    table = np.bincount(cell, weights=W[:, 0])
    after: list = []
    for sweep in range(1, max_iter + 1):
        W, after = _sweep(W, cats)
        new_table = np.bincount(cell, weights=W[:, 0])
        delta = float(np.max(np.abs(new_table - table)))
        if delta < limit:
            return W, sweep, after, ""
        table = new_table
    worst, where = _worst(W, cats)
    return (
        W,
        max_iter,
        after,
        (
            f"raking to {', '.join(repr(m.variable) for m in cats)} did not converge in "
            f"{max_iter} sweeps by R's rule (the last sweep moved a cell of the weighted table "
            f"by {delta:.6g}, not below epsilon={limit:.6g}); the largest remaining "
            f"discrepancy is a relative {worst:.3g} ({where}); raise max_iter or epsilon"
        ),
    )


def raking_residuals(cats: Sequence[CategoricalMargin], after: Sequence[np.ndarray]):
    """R's ``svyrecvar`` adjustment of influence values for a raking step.

    ``after[k]`` are the full-sample weights right after margin ``k`` in the last sweep. Rows
    with a zero weight there take no part in the category means (R would give NaN).
    """
    plans = []
    for margin, w in zip(cats, after, strict=True):
        positive = w > 0
        inverse = np.where(positive, 1.0 / np.where(positive, w, 1.0), 0.0)
        counts = np.maximum(margin.totals(positive.astype(float)), 1.0)
        plans.append((margin, w, inverse, counts))

    def adjust(u: np.ndarray) -> np.ndarray:
        for _ in range(VARIANCE_PASSES):
            for margin, w, inverse, counts in plans:
                means = np.asarray(margin.grouping @ (u * inverse[:, None])) / counts[:, None]
                u = u - w[:, None] * means[margin.code]
        return u

    return adjust
