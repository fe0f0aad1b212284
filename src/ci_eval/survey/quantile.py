"""Weighted quantile rules, as R ``survey`` 4.x defines them (``qrule.R``).

Every rule of R's ``svyquantile(qrule =)`` is here (:data:`QRULES`), each written after R's
function ``survey:::qrule_<name>`` to the letter, R's quirks included; rows with zero weight are
dropped first, as R does.

- ``math`` and ``hf1`` (the same function): the smallest value whose weighted cumulative share
  reaches ``p``; ``school`` and ``hf2``: the average of the two values around ``p`` where the
  cumulative share equals ``p`` exactly. Both follow R's ``qs`` helper, including its handling of
  a ``p`` below the first cumulative share (the second value is returned).
- ``hf3``: the weights summed by distinct value, then ``math`` on the distinct values, except
  that where the cumulative share equals ``p`` at an odd position (counting from 1) the next
  value is taken.
- ``hf4``: between the two values around ``p``, linear in the cumulative share.
- ``hf5`` to ``hf9``: R's ``approx(pk, x, p, rule = 2)`` through plotting positions ``pk`` of
  the sorted values: ``hf5`` ``(C_k - w_k / 2) / C_n``, ``hf6`` ``C_k / (C_n + w_n)``, ``hf7``
  ``C_{k-1} / C_{n-1}`` (so that the largest value sits at 1 and the one before it at
  ``C_{n-2} / C_{n-1}``, as R has it), ``hf8`` ``(C_{k-1} / 3 + 2 C_k / 3) / (C_n + w_n / 3)``,
  ``hf9`` ``(3 C_{k-1} / 8 + 5 C_k / 8) / (C_n + w_n / 4)``, with ``C_k`` the cumulative weight
  (``C_0 = 0``) and ``w_n`` the weight of the largest value.
- ``shahvaish`` (Shah and Vaish): the step function (R's ``approx(method = "constant")``)
  through ``pk = (S_k + 1/2 - w_k / 2) / (n + 1)``, ``S_k`` the cumulative sum of the weights
  divided by their mean; R subtracts half the raw weight, not of the scaled one, so with weights
  far from 1 the ``pk`` are not in the order of the values, and R's ``approx`` sorts them (and
  averages the values of tied ``pk``): ci_eval does the same.

Cumulative sums, sums and means are taken in extended precision, as R's ``cumsum``, ``sum`` and
``mean`` do, so that ties with ``p`` are decided exactly as in R. The interpolating rules (``hf5``
to ``hf9``) need two rows with a weight, where R stops with an error: ci_eval gives NaN.

The Woodruff (1952) interval for a quantile is found in :mod:`ci_eval.survey.base`: it takes the
confidence interval of the estimated share of values at or below the quantile and maps its ends
back through the quantile rule (R ``survey``'s ``woodruffCI``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ci_eval.errors import DesignError
from ci_eval.survey.uniroot import uniroot

_LD = np.longdouble


def _cumsum(w: np.ndarray) -> np.ndarray:
    """R's ``cumsum``: accumulated in long double, each partial sum stored as a double."""
    return np.cumsum(w.astype(_LD)).astype(np.float64)


def _sum(w: np.ndarray) -> np.float64:
    """R's ``sum`` of doubles: accumulated in long double in order, rounded once."""
    return np.float64(np.cumsum(w.astype(_LD))[-1])


def _mean(w: np.ndarray) -> np.float64:
    """R's ``mean``: the long double mean, corrected by the mean of the deviations from it."""
    wl = w.astype(_LD)
    s = np.cumsum(wl)[-1] / _LD(w.size)
    if np.isfinite(s):
        s = s + np.cumsum(wl - s)[-1] / _LD(w.size)
    return np.float64(s)


def _qs(x: np.ndarray, w: np.ndarray, p: float) -> tuple[float, float, int, float, float]:
    """R's ``survey:::qs``: the values around ``p``, the 0-based position of the lower one and
    the cumulative share's distances ``wlow = p - F(low)`` and ``wup = F(up) - p``."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    cum = _cumsum(w[order])
    total = _sum(w)
    below = np.flatnonzero(cum <= p * total)
    pos = int(below[-1]) if below.size else 0
    nxt = pos if pos == xs.size - 1 else pos + 1
    wlow = p - cum[pos] / total
    wup = cum[nxt] / total - p
    return float(xs[pos]), float(xs[nxt]), pos, float(wlow), float(wup)


def _approx(pk: np.ndarray, y: np.ndarray, p: float, constant: bool) -> float:
    """R's ``approx(pk, y, p, rule = 2)``, linear or ``method = "constant", f = 0``.

    As R's ``regularize.values``, the points are sorted by ``pk`` (stably) and tied ``pk`` are
    collapsed to the mean of their ``y``; then R's C ``approx1``, step for step.
    """
    order = np.argsort(pk, kind="stable")
    xs, ys = pk[order], y[order]
    if np.unique(xs).size < xs.size:
        starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
        ys = np.array([_mean(g) for g in np.split(ys, starts[1:])])
        xs = xs[starts]
    if not constant and xs.size < 2:
        return float("nan")  # R: "need at least two non-NA values to interpolate"
    if p < xs[0]:
        return float(ys[0])
    if p > xs[-1]:
        return float(ys[-1])
    i, j = 0, xs.size - 1
    while i < j - 1:
        ij = (i + j) // 2
        if p < xs[ij]:
            j = ij
        else:
            i = ij
    if p == xs[j]:
        return float(ys[j])
    if p == xs[i] or constant:
        return float(ys[i])
    return float(ys[i] + (ys[j] - ys[i]) * ((p - xs[i]) / (xs[j] - xs[i])))


def _math(x: np.ndarray, w: np.ndarray, p: float) -> float:
    qlow, qup, _, wlow, _ = _qs(x, w, p)
    return qlow if wlow == 0 else qup


def _school(x: np.ndarray, w: np.ndarray, p: float) -> float:
    qlow, qup, _, wlow, _ = _qs(x, w, p)
    return (qlow + qup) / 2 if wlow == 0 else qup


def _hf3(x: np.ndarray, w: np.ndarray, p: float) -> float:
    values, group = np.unique(x, return_inverse=True)
    summed = np.bincount(group, weights=w)  # R's rowsum: in the data's order, in doubles
    qlow, qup, pos, wlow, _ = _qs(values, summed, p)
    return qlow if wlow == 0 and (pos + 1) % 2 == 0 else qup


def _hf4(x: np.ndarray, w: np.ndarray, p: float) -> float:
    qlow, qup, _, wlow, wup = _qs(x, w, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.float64(wlow) / np.float64(wup + wlow)
        return float(qlow * (1 - gamma) + qup * gamma)


def _positions(name: str) -> Callable[[np.ndarray, np.ndarray, float], float]:
    """An interpolating rule: R's ``approx`` through the plotting positions of ``name``."""

    def rule(x: np.ndarray, w: np.ndarray, p: float) -> float:
        order = np.argsort(x, kind="stable")
        xs, ws = x[order], w[order]
        n = xs.size
        cum = _cumsum(ws)
        before = np.r_[0.0, cum[:-1]]
        if name == "hf5":
            pk = (cum - ws / 2) / cum[-1]
        elif name == "hf6":
            pk = cum / (cum[-1] + ws[-1])
        elif name == "hf7":
            if n < 2:
                return float("nan")  # R fails: pk has no element
            pk = before / cum[-2]
        elif name == "hf8":
            pk = (before * 1 / 3 + cum * 2 / 3) / (cum[-1] + ws[-1] / 3)
        elif name == "hf9":
            pk = (before * 3 / 8 + cum * 5 / 8) / (cum[-1] + ws[-1] / 4)
        else:  # shahvaish
            scaled = _cumsum(ws / _mean(ws))
            pk = (scaled + 0.5 - ws / 2) / (n + 1)
        return _approx(pk, xs, p, constant=name == "shahvaish")

    return rule


_RULES: dict[str, Callable[[np.ndarray, np.ndarray, float], float]] = {
    "math": _math,
    "school": _school,
    "shahvaish": _positions("shahvaish"),
    "hf1": _math,
    "hf2": _school,
    "hf3": _hf3,
    "hf4": _hf4,
    **{f"hf{k}": _positions(f"hf{k}") for k in range(5, 10)},
}

#: The names of R's ``svyquantile(qrule =)`` rules, in R's order (``math`` is the default).
QRULES = tuple(_RULES)


def check_qrule(rule: str) -> None:
    """Raise :class:`~ci_eval.errors.DesignError` unless ``rule`` is one of :data:`QRULES`."""
    if rule not in _RULES:
        raise DesignError(f"qrule={rule!r} is not one of {', '.join(QRULES)}")


def weighted_quantile(x: np.ndarray, w: np.ndarray, p: float, rule: str = "math") -> float:
    """The ``p`` quantile of ``x`` with weights ``w`` under R ``survey``'s rule ``rule``.

    Rows with zero weight are ignored; ``NaN`` is returned when no row is left, when ``p`` or a
    value is missing, and where R's rule stops with an error (see the module's notes).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([3.0, 1.0, 2.0, 4.0])
    >>> weighted_quantile(x, np.ones(4), 0.5)
    2.0
    >>> weighted_quantile(x, np.ones(4), 0.5, rule="school")
    2.5
    >>> weighted_quantile(x, np.ones(4), 0.5, rule="hf7")
    2.5
    """
    check_qrule(rule)
    keep = w != 0
    x, w = x[keep], w[keep]
    if x.size == 0 or np.isnan(p) or np.any(np.isnan(x)):
        return float("nan")
    return _RULES[rule](x, w, p)


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
