"""Weighted quantile rules, as R ``survey`` 4.x defines them (``qrule.R``).

``math`` (R's default, Hyndman-Fan type 1): the smallest value whose weighted cumulative share
reaches ``p``; ``school`` (type 2): the average of the two values around ``p`` where the cumulative
share equals ``p`` exactly. Both follow R's ``qs`` helper to the letter, including its handling of a
``p`` below the first cumulative share. Cumulative sums are taken in extended precision as R's
``cumsum`` and ``sum`` do, so that ties with ``p`` are decided exactly as in R.

The Woodruff (1952) interval for a quantile is found in :mod:`ci_eval.survey.base`: it takes the
confidence interval of the estimated share of values at or below the quantile and maps its ends
back through the quantile rule (R ``survey``'s ``woodruffCI``).
"""

from __future__ import annotations

import numpy as np

from ci_eval.errors import DesignError

QRULES = ("math", "school")


def _qs(x: np.ndarray, w: np.ndarray, p: float) -> tuple[float, float, float]:
    order = np.argsort(x, kind="stable")
    xs = x[order]
    # R: cumsum and sum accumulate in long double and store doubles
    cum = np.cumsum(w[order].astype(np.longdouble)).astype(np.float64)
    total = np.float64(np.sum(w.astype(np.longdouble)))
    below = np.flatnonzero(cum <= p * total)
    pos = int(below[-1]) if below.size else 0
    nxt = pos if pos == xs.size - 1 else pos + 1
    wlow = p - cum[pos] / total
    return float(xs[pos]), float(xs[nxt]), float(wlow)


def weighted_quantile(x: np.ndarray, w: np.ndarray, p: float, rule: str = "math") -> float:
    """The ``p`` quantile of ``x`` with weights ``w`` under R ``survey``'s rule ``rule``.

    Rows with zero weight are ignored; ``NaN`` is returned when no row is left.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_quantile(np.array([3.0, 1.0, 2.0, 4.0]), np.ones(4), 0.5)
    2.0
    >>> weighted_quantile(np.array([3.0, 1.0, 2.0, 4.0]), np.ones(4), 0.5, rule="school")
    2.5
    """
    if rule not in QRULES:
        raise DesignError(f"qrule={rule!r} is not one of {', '.join(QRULES)}")
    keep = w != 0
    x, w = x[keep], w[keep]
    if x.size == 0 or np.isnan(p):
        return float("nan")
    if np.any(np.isnan(x)):
        return float("nan")
    qlow, qup, wlow = _qs(x, w, p)
    if wlow == 0:
        return qlow if rule == "math" else (qlow + qup) / 2
    return qup
