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

from collections.abc import Callable

import numpy as np

from ci_eval.errors import DesignError
from ci_eval.survey.uniroot import uniroot

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


def _r_quantile7(xs: np.ndarray, p: float) -> float:
    """R's ``quantile(x, p, type = 7)`` of the sorted ``xs``, with R's arithmetic."""
    index = 1 + (xs.size - 1) * p
    lo = int(np.floor(index))
    hi = int(np.ceil(index))
    q = xs[lo - 1]
    if index > lo and xs[hi - 1] != q:
        h = index - lo
        q = (1 - h) * q + h * xs[hi - 1]
    return float(q)


def score_interval(
    x: np.ndarray,
    w: np.ndarray,
    p: float,
    zscore: Callable[[float], float],
    crit: float,
    rule: str = "math",
) -> tuple[float, float]:
    """Fuller's score interval for the ``p`` quantile, as R ``survey``'s ``ffullerCI``.

    ``zscore(theta)`` is the design-based z statistic ``m / se(m)`` of ``m``, the mean of
    ``U = 1(x > theta) - (1 - p)``. Each end is the ``theta`` where ``zscore`` crosses ``crit``
    (lower end) or ``-crit`` (upper end), found by R's ``uniroot``
    (:func:`ci_eval.survey.uniroot.uniroot`, same steps) on [min + IQR / 100, max - IQR / 100]
    with ``tol = 1 / (100 sqrt(n))``; IQR is R's type-7 interquartile range of ``x``. ``zscore``
    is a step function of ``theta``, so the root found is a point near a step, which side of
    the step it falls on is decided by uniroot's steps, and R's tolerance is kept: where the
    values of ``x`` lie closer together than it, a tighter root finder would give other ends
    than R. ``zscore`` agrees with R's to rounding (about 1e-15 relative), so the points visited
    are R's to that precision, and an end could only differ from R's if one of them fell that
    close to a value of ``x``.

    As R, an end ``theta`` is reported as the ``rule`` quantile (weights ``w``) at the
    *unweighted* share of ``x`` at or below ``theta``. ``x`` and ``w`` are the rows of R's design
    (with zero weights where R keeps rows out of the estimate).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(1.0, 101.0)
    >>> def z(theta):  # simple random sampling, n = 100
    ...     m = np.mean(x > theta) - 0.5
    ...     return m / np.sqrt(np.var(x > theta) / 99)
    >>> score_interval(x, np.ones(100), 0.5, z, 1.96)
    (40.0, 60.0)
    """
    xs = np.sort(x)
    iqr = _r_quantile7(xs, 0.75) - _r_quantile7(xs, 0.25)
    lower, upper = float(xs[0] + iqr / 100), float(xs[-1] - iqr / 100)
    tol = 1 / (100 * np.sqrt(x.size))
    ends = []
    for limit in (crit, -crit):
        theta = uniroot(lambda t, limit=limit: zscore(t) - limit, lower, upper, tol=tol)
        share = np.longdouble(np.count_nonzero(x <= theta)) / np.longdouble(x.size)  # R's mean
        ends.append(weighted_quantile(x, w, float(share), rule))
    return ends[0], ends[1]
