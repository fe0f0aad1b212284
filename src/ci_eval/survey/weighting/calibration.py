"""Generalised regression (GREG) calibration to population totals.

Calibration finds weights ``w_i g_i`` that reproduce known population totals of calibration
variables ``x`` exactly, ``Σ w_i g_i x_i = t_x``, with ``g_i = 1 + F(x_i'λ)`` for a calibration
function ``F`` (Deville and Särndal 1992). Linear calibration without bounds has the closed form
``λ = (Σ w x x')⁻¹ (t_x - Σ w x)`` (R ``survey``'s ``regcalibrate``); every other case is solved by
Newton's method as R's ``grake`` does (same start, steps, step halving, stopping rule
``|misfit| / (1 + |t_x|) < tol`` and rescaling of the weights when every total is over 20 times
its estimate).

The variance uses the residuals of the influence values from their weighted regression on the
calibration variables (R's ``svyrecvar`` for a ``greg_calibration``):
``qr.resid(qr(x √w), u / (g √w)) · g √w``, with ``w`` the weights before calibration.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from typing import TypeVar

import numpy as np
import pandas as pd
from scipy import linalg

from ci_eval.errors import ConvergenceError, WeightingError
from ci_eval.survey.weighting.calfuns import Calfun, make_calfun
from ci_eval.survey.weighting.designs import column_name, rebuild, weight_matrix
from ci_eval.survey.weighting.diagnostics import Margin, NumericMargin, diagnose
from ci_eval.survey.weighting.margins import (
    CategoricalMargin,
    categorical_margin,
    check_grand_totals,
    numeric_total,
)

D = TypeVar("D")

#: R's grake rescales the weights when every population total exceeds its estimate this often
RESCALE_THRESHOLD = 20.0
#: rank tolerance of the calibration model matrix (R's qr default)
RANK_TOL = 1e-7


@dataclass(frozen=True)
class CalibrationModel:
    """The calibration variables: model matrix ``x`` (n, p), totals, column names, margins."""

    x: np.ndarray
    totals: np.ndarray
    names: tuple[str, ...]
    margins: tuple[Margin, ...]


def calibrate(
    design: D,
    margins: Mapping[str, object],
    calfun: str = "linear",
    bounds: tuple[float, float] | None = None,
    population: float | None = None,
    max_iter: int = 50,
    tol: float = 1e-7,
    force: bool = False,
) -> D:
    """Calibrate a design to population totals (R ``survey``'s ``calibrate``).

    Parameters
    ----------
    design : a ``SurveyDesign`` or ``ReplicateDesign``; it is not changed.
    margins : ``{column: total}``: for a categorical column, a pandas Series (or dict) of the
        population count of every category; for a numeric column, its population total (a
        number). The model is R's ``~ a + b + x``: an intercept (the population size) when a
        categorical margin or ``population`` gives it, treatment dummies for each categorical
        margin and each numeric column.
    calfun : ``"linear"`` (GREG), ``"raking"`` (``g = exp(x'λ)``) or ``"logit"`` (needs finite
        bounds), as R.
    bounds : ``(lower, upper)`` on ``g = new weight / old weight`` (``lower <= 1 <= upper``); with
        ``"linear"`` the ratios are cut at the bounds, as R's bounded linear calibration. As in R,
        when every total is more than 20 times its estimate the weights are first rescaled by the
        mean ratio and the bounds apply to the rescaled weights.
    population : the population size, needed only when no margin is categorical; without it and
        without a categorical margin the model has no intercept (R's ``~ x - 1``).
    max_iter, tol : Newton iterations and the stopping rule ``|misfit| / (1 + |total|) < tol``
        (R's ``maxit=50, epsilon=1e-7``).
    force : as R's ``calibrate(force=TRUE)``: when Newton's method does not meet ``tol``, warn
        and return the last iterate's weights (``weighting_diagnostics.converged`` False)
        instead of raising.

    Returns
    -------
    A new design with ``weighting_diagnostics``. A replicate design has every replicate calibrated
    with its own weights, as R's ``calibrate`` for ``svyrep.design``.

    Raises
    ------
    WeightingError : a margin that does not fit the data, categorical margins (or ``population``)
        that disagree on the population size, collinear calibration variables, bounds that no
        weights can meet, negative weights (R allows them; bound the ratios instead).
    ConvergenceError : Newton's method does not meet ``tol`` in ``max_iter`` iterations (for
        bounded calibration: the bounds are probably too tight), as R's "Calibration failed";
        see ``force``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.survey import SurveyDesign, calibrate
    >>> df = pd.DataFrame({"g": ["a", "a", "b", "b"], "x": [1.0, 2.0, 3.0, 4.0],
    ...                    "w": [10.0, 10.0, 10.0, 10.0]})
    >>> d = calibrate(SurveyDesign(df, weights="w"), {"g": pd.Series({"a": 20, "b": 30}), "x": 120})
    >>> d.weights.round(4).tolist()
    [17.5, 2.5, 22.5, 7.5]
    """
    cal = make_calfun(calfun, bounds)
    if max_iter < 1 or tol <= 0:
        raise WeightingError(f"max_iter must be >= 1 and tol > 0 (got {max_iter}, {tol})")
    W = weight_matrix(design)
    before = W[:, 0].copy()
    model = calibration_model(design.data, margins, before, population)
    closed_form = cal.name == "linear" and not np.isfinite([cal.lower, cal.upper]).any()
    new = np.empty_like(W)
    iterations, converged = 0, True
    for j in range(W.shape[1]):
        if closed_form:
            g = _linear_ratios(model, W[:, j], j)
        else:
            g, used, failure = _newton_ratios(model, W[:, j], cal, max_iter, tol, j)
            if failure:
                if not force:
                    raise ConvergenceError(failure)
                warnings.warn(failure, UserWarning, stacklevel=2)
                converged = False
            iterations = used if j == 0 else iterations
        new[:, j] = W[:, j] * g
        _check_positive(new[:, j], g, j)
    # a replicate design's variance comes from its re-weighted replicates
    adjustment = None if design.is_replicate else regression_residuals(model.x, before, new[:, 0])
    diagnostics = diagnose(
        "calibrate", before, new[:, 0], model.margins, iterations, converged=converged
    )
    return rebuild(design, new, adjustment, diagnostics)


def calibration_model(
    data: pd.DataFrame,
    margins: Mapping[str, object],
    weights: np.ndarray,
    population: float | None,
) -> CalibrationModel:
    """The model matrix and totals for ``margins`` (R's ``model.matrix(~ a + b + x)``)."""
    if not margins:
        raise WeightingError("calibrate needs at least one margin: {column: population total}")
    cats: list[CategoricalMargin] = []
    nums: list[NumericMargin] = []
    for var, total in margins.items():
        if isinstance(total, Real | np.number) and not isinstance(total, bool):
            nums.append(_numeric_margin(data, var, total))
        else:
            cats.append(categorical_margin(data, var, total, weights, role="calibration"))
    sizes = {m.variable: float(m.targets.sum()) for m in cats}
    if population is not None:
        sizes["population="] = numeric_total(population, "population")
    size = check_grand_totals(sizes) if sizes else None
    n = len(data)
    columns: list[np.ndarray] = []
    totals: list[float] = []
    names: list[str] = []
    shown: list[Margin] = []
    if size is not None:
        columns.append(np.ones(n))
        totals.append(size)
        names.append("(population)")
        if not cats:
            shown.append(NumericMargin("(population)", np.ones(n), size))
    for m in cats:
        for k in range(1, len(m.levels)):
            columns.append((m.code == k).astype(float))
            totals.append(float(m.targets[k]))
            names.append(f"{m.variable}={m.levels[k]}")
        shown.append(m)
    for m in nums:
        columns.append(m.values)
        totals.append(m.target)
        names.append(m.variable)
        shown.append(m)
    x = np.column_stack(columns)
    return CalibrationModel(x, np.asarray(totals), tuple(names), tuple(shown))


def _numeric_margin(data: pd.DataFrame, var: str, total: object) -> NumericMargin:
    target = numeric_total(total, var)
    if var not in data.columns:
        cols = ", ".join(map(str, list(data.columns)[:15]))
        raise WeightingError(
            f"calibration variable {var!r} is not a column of the data (columns: {cols}...)"
        )
    col = data[var]
    if not (pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype)):
        raise WeightingError(
            f"calibration variable {var!r} is {col.dtype}, but its margin is one number; give "
            "a Series of category totals for a categorical variable"
        )
    values = col.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    if missing.any():
        raise WeightingError(
            f"calibration variable {var!r} has {int(missing.sum())} missing values (first at row "
            f"{int(np.flatnonzero(missing)[0])}); impute them or drop those rows before weighting"
        )
    return NumericMargin(var, values, target)


def _linear_ratios(model: CalibrationModel, w: np.ndarray, j: int) -> np.ndarray:
    """Closed-form linear calibration ratios (R's ``regcalibrate``).

    Where margins are redundant (one is determined by the others, e.g. nested categories) the
    normal equations are singular, and R stops; their least-norm solution (pseudo-inverse) gives
    the same weights whenever the totals are consistent, which is checked.
    """
    x = model.x
    tmat = (x * w[:, None]).T @ x
    gap = model.totals - x.T @ w
    try:
        g = 1 + x @ np.linalg.solve(tmat, gap)
    except np.linalg.LinAlgError:
        g = None
    if g is None or not _meets(model, w * g):
        g = 1 + x @ (np.linalg.pinv(tmat, rcond=256 * np.finfo(float).eps) @ gap)
        if not _meets(model, w * g):
            raise WeightingError(
                f"the calibration variables ({', '.join(model.names)}) are collinear in "
                f"{column_name(j)} and their totals contradict each other: check the margins "
                "of variables that determine one another, or drop one of them"
            )
    return g


def _meets(model: CalibrationModel, weights: np.ndarray, tol: float = 1e-7) -> bool:
    """Whether ``weights`` reproduce the totals (R's grake criterion)."""
    misfit = model.totals - model.x.T @ weights
    return bool(np.all(np.abs(misfit) / (1 + np.abs(model.totals)) < tol))


def _newton_ratios(
    model: CalibrationModel, w: np.ndarray, cal: Calfun, max_iter: int, tol: float, j: int
) -> tuple[np.ndarray, int, str]:
    """Calibration ratios by Newton's method, step for step as R's ``grake``: the ratios, the
    iterations, and why the method did not converge ("" when it did)."""
    x, totals = model.x, model.totals
    sample = x.T @ w
    with np.errstate(divide="ignore", invalid="ignore"):
        scales = totals / sample
    scale = float(np.mean(scales)) if np.min(scales) > RESCALE_THRESHOLD else 1.0
    w = w * scale
    sample = sample * scale
    _check_reachable(model, w, cal, j)
    eta = np.zeros(x.shape[1])
    u = x @ eta
    it = 1
    while True:
        tmat = (x * (w * cal.derivative(u))[:, None]).T @ x
        misfit = totals - sample - x.T @ (w * cal.fm1(u))
        step = np.linalg.pinv(tmat, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + step
        u = x @ eta
        g, deriv = cal.ratio(u), cal.derivative(u)
        while it < max_iter and not (np.isfinite(g).all() and np.isfinite(deriv).all()):
            it += 1
            step = step / 2
            eta = eta - step
            u = x @ eta
            g, deriv = cal.ratio(u), cal.derivative(u)
        misfit = totals - sample - x.T @ (w * cal.fm1(u))
        rel = np.abs(misfit) / (1 + np.abs(totals))
        if np.all(rel < tol):
            return g * scale, it, ""
        it += 1
        if it > max_iter:
            worst = int(np.nanargmax(rel)) if np.isfinite(rel).any() else 0
            bounded = np.isfinite([cal.lower, cal.upper]).any()
            hint = (
                f"; the bounds ({cal.lower:g}, {cal.upper:g}) are probably too tight to meet the "
                "margins: widen them"
                if bounded
                else "; raise max_iter, or check the totals"
            )
            return (
                g * scale,
                max_iter,
                (
                    f"calibration (calfun={cal.name!r}) of {column_name(j)} did not converge in "
                    f"{max_iter} iterations: {model.names[worst]!r} is still off its total "
                    f"{totals[worst]:.10g} by a relative {rel[worst]:.3g}{hint}"
                ),
            )


def _check_positive(w: np.ndarray, g: np.ndarray, j: int) -> None:
    """Negative weights (unbounded linear calibration can give them) are refused."""
    negative = np.flatnonzero(w < 0)
    if negative.size:
        raise WeightingError(
            f"calibration gives {negative.size} negative weights in {column_name(j)} (first at "
            f"row {int(negative[0])}, weight ratio g = {g[negative[0]]:.4g}); bound the ratios, "
            "e.g. bounds=(0, 10), or use calfun='raking', which keeps weights positive"
        )


def _check_reachable(model: CalibrationModel, w: np.ndarray, cal: Calfun, j: int) -> None:
    """Bounds no weights can meet: a non-negative variable's total outside its reachable range."""
    if np.any(w < 0):
        return
    nonnegative = np.all(model.x >= 0, axis=0)
    bases = model.x.T @ w
    for k, name in enumerate(model.names):
        if not nonnegative[k]:
            continue
        base = float(bases[k])
        low = cal.lower * base if np.isfinite(cal.lower) else -np.inf
        high = cal.upper * base if np.isfinite(cal.upper) else np.inf
        target = model.totals[k]
        if not low - 1e-9 * abs(target) <= target <= high + 1e-9 * abs(target):
            raise WeightingError(
                f"bounds ({cal.lower:g}, {cal.upper:g}) cannot be met in {column_name(j)}: "
                f"with every weight ratio within them the total of {name!r} stays in "
                f"[{low:.10g}, {high:.10g}], but its population total is {target:.10g}; widen "
                "the bounds"
            )


def regression_residuals(x: np.ndarray, old: np.ndarray, new: np.ndarray):
    """R's ``svyrecvar`` adjustment of influence values for a calibration step.

    Maps ``u`` (n, m) to ``resid(u / (g √w) ~ x √w) · g √w`` with ``w = old``, ``g √w = new / √w``.
    Rows with no weight keep a zero influence value (R would give NaN).
    """
    root = np.sqrt(np.maximum(old, 0.0))
    scaled = np.where(root > 0, new / np.where(root > 0, root, 1.0), 0.0)
    basis = _orthonormal_basis(x * root[:, None])
    positive = scaled != 0
    safe = np.where(positive, scaled, 1.0)

    def adjust(u: np.ndarray) -> np.ndarray:
        y = np.where(positive[:, None], u / safe[:, None], 0.0)
        return (y - basis @ (basis.T @ y)) * scaled[:, None]

    return adjust


def _orthonormal_basis(a: np.ndarray) -> np.ndarray:
    """Orthonormal basis (n, r) of the column space of ``a``, r its rank (R's qr tolerance).

    Cholesky QR applied twice to the column-scaled matrix (Fukaya et al. 2014: orthogonal to
    machine precision when the condition number is below ~1e8; many times faster than Householder
    QR for tall matrices); the SVD where the columns are (nearly) collinear.
    """
    norms = np.sqrt(np.einsum("ij,ij->j", a, a))
    if norms.size and norms.min() > RANK_TOL * norms.max():
        q = a / norms
        try:
            for _ in range(2):
                chol = linalg.cholesky(q.T @ q, lower=True)
                q = linalg.solve_triangular(chol, q.T, lower=True).T
            gram = q.T @ q
            if np.abs(gram - np.eye(gram.shape[0])).max() < 1e-10:
                return q
        except linalg.LinAlgError:
            pass
    left, sing, _ = np.linalg.svd(a, full_matrices=False)
    return left[:, sing > RANK_TOL * sing[0]]
