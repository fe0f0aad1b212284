"""Trimming: cut extreme weights at bounds and share what was cut among the other units.

As R ``survey``'s ``trimWeights``: weights below ``lower`` are raised to it and weights above
``upper`` cut to it; the net amount removed is then added *equally* to every unit that was inside
the bounds, so the weight total is kept. This may push some of them past a bound; with
``strict=True`` the step is repeated until every weight is within the bounds.
"""

from __future__ import annotations

import warnings
from typing import TypeVar

import numpy as np

from ci_eval.errors import ConvergenceError, WeightingError
from ci_eval.survey.weighting.designs import column_name, rebuild, weight_matrix
from ci_eval.survey.weighting.diagnostics import diagnose

D = TypeVar("D")

#: passes of strict trimming before giving up (each pass shrinks the overshoot geometrically)
MAX_PASSES = 10_000
#: how trim_weights treats weights of 0 (see its docstring)
ZERO_WEIGHT_RULES = ("raise", "keep")
#: weights within this relative distance of a bound count as on it when strict trimming settles
SETTLED = 1e-12


def trim_weights(
    design: D,
    lower: float | None = None,
    upper: float | None = None,
    strict: bool = False,
    zero_weights: str = "raise",
) -> D:
    """Trim the weights of a design to ``[lower, upper]``, keeping their total.

    Parameters
    ----------
    design : a ``SurveyDesign`` or ``ReplicateDesign``; it is not changed.
    lower, upper : bounds on the weights themselves (not ratios); ``None`` for no bound.
    strict : repeat until every weight lies within the bounds (R's ``strict=TRUE``); by default
        the cut amount is shared out once, as R's default, and may leave some weights outside.
    zero_weights : ``"raise"`` (the default, R's ``trimWeights``): a weight of 0 is a weight
        like any other, raised to ``lower`` when that is positive (or given a share of the cut
        amount when it lies within the bounds); ``"keep"``: units with a weight of 0 are
        neither trimmed nor given a share, so they stay out of every estimate.

    Returns
    -------
    A new design with ``weighting_diagnostics`` (``iterations`` = passes). When every weight is
    outside the bounds, the amount is shared among all units (R would drop it and change the
    total). Strict trimming stops when what is left outside is rounding (relative 1e-12), and
    when the mean weight sits on a bound it sets every weight to the mean (the only solution,
    which R's passes approach without end). The variance keeps the
    adjustments of earlier post-stratification or calibration, computed with the weights of that
    step, as R does (trimming itself adds none). A replicate design has every replicate's
    weights trimmed the same way (R's own ``trimWeights`` for replicate designs leaves the
    full-sample weights unchanged, which is a bug there); a replicate's weight of 0 for a unit
    of positive full-sample weight (a PSU the replicate drops) stays 0 under either
    ``zero_weights`` rule.

    Raises
    ------
    WeightingError : ``lower > upper``; with ``strict=True``, bounds that cannot be met (the
        mean weight, which trimming keeps, lies outside them); with ``strict=False``, a pass
        that would make a weight negative. Without ``strict``, bounds around which the mean
        weight does not lie give R's one pass with a warning (the result has weights outside
        them, as R's ``trimWeights`` gives).

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.survey import SurveyDesign, trim_weights
    >>> df = pd.DataFrame({"w": [1.0, 2.0, 3.0, 10.0]})
    >>> trim_weights(SurveyDesign(df, weights="w"), upper=6).weights.round(4).tolist()
    [2.3333, 3.3333, 4.3333, 6.0]
    """
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    if np.isnan(lo) or np.isnan(hi) or lo > hi:
        raise WeightingError(f"trim_weights needs lower <= upper, got lower={lower}, upper={upper}")
    if zero_weights not in ZERO_WEIGHT_RULES:
        raise WeightingError(
            f"trim_weights zero_weights={zero_weights!r}: use 'raise' (R's rule) or 'keep'"
        )
    W = weight_matrix(design)
    before = W[:, 0].copy()
    new = np.empty_like(W)
    passes = 0
    for j in range(W.shape[1]):
        active = _trimmed_units(W, j, zero_weights)
        new[:, j], used = _trim_column(W[:, j], lo, hi, strict, j, active)
        passes = used if j == 0 else passes
    previous = design.weighting_diagnostics
    targets = previous.targets if previous is not None else ()
    diagnostics = diagnose("trim", before, new[:, 0], targets, passes)
    return rebuild(design, new, None, diagnostics)


def _trimmed_units(W: np.ndarray, j: int, zero_weights: str) -> np.ndarray:
    """The units that column ``j`` of the weights (0: full sample) trims and shares among."""
    if zero_weights == "keep":
        return W[:, j] != 0
    if j == 0:
        return np.ones(W.shape[0], dtype=bool)
    return (W[:, j] != 0) | (W[:, 0] == 0)  # a replicate's dropped PSU stays dropped


def _trim_column(
    w: np.ndarray, lo: float, hi: float, strict: bool, j: int, active: np.ndarray
) -> tuple[np.ndarray, int]:
    n = int(active.sum())
    mean = float(w[active].sum()) / n if n else 0.0
    if n and not lo <= mean <= hi:
        problem = (
            f"trimming bounds [{lo:g}, {hi:g}] cannot be met in {column_name(j)}: trimming keeps "
            f"the weight total, so the mean weight {mean:.6g} must lie within them"
        )
        if strict:
            raise WeightingError(f"{problem}; widen the bounds")
        # R's one pass is still defined: it leaves weights outside the bounds
        warnings.warn(
            f"{problem}; one pass (R's trimWeights) leaves weights outside them",
            UserWarning,
            stacklevel=3,
        )
    w = w.copy()
    slack = SETTLED * max(abs(mean), *(abs(b) for b in (lo, hi) if np.isfinite(b)))
    if strict and min(mean - lo, hi - mean) <= slack:
        # the mean sits on a bound: the only weights within the bounds with this total are all
        # equal to it (R's passes approach them without end)
        w[active] = mean
        return w, 1
    for passes in range(1, MAX_PASSES + 1):
        outside = active & ((w < lo) | (w > hi))
        if not outside.any():
            return w, passes - 1
        rounding = np.all((w[outside] >= lo - slack) & (w[outside] <= hi + slack))
        if strict and passes > 1 and rounding:
            # what is left outside is rounding: a further pass would only move it back and forth
            w[outside] = np.clip(w[outside], lo, hi)
            return w, passes - 1
        # with every weight outside, the amount is shared by all (R would lose it)
        inside = active & ~outside
        inside = inside if inside.any() else active
        cut = np.clip(w[outside], lo, hi)
        share = float((w[outside] - cut).sum()) / int(inside.sum())
        w[outside] = cut
        w[inside] += share
        if not strict:
            if np.any(w < 0):
                raise WeightingError(
                    f"one pass of trimming to [{lo:g}, {hi:g}] takes more from the weights of "
                    f"{column_name(j)} inside the bounds than they have (some become negative); "
                    "use strict=True, or a lower bound closer to the smallest weights"
                )
            return w, passes
    raise ConvergenceError(
        f"strict trimming of {column_name(j)} to [{lo:g}, {hi:g}] did not settle in {MAX_PASSES} "
        "passes; widen the bounds"
    )
