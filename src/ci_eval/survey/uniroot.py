"""Brent's root finder, step for step as R's ``uniroot`` (R ``stats``, ``zeroin.c``).

R ``survey``'s score interval for a quantile (:func:`ci_eval.survey.quantile.score_interval`)
solves a step function with ``uniroot``; where the steps lie closer together than uniroot's
tolerance, the root R reports depends on the points the root finder visits. So ci_eval repeats
those points: this is Brent's (1973) method with the decisions of R's C code (``R_zeroin2``, after
the netlib ``zeroin`` by Oleg Keselyov): the best point ``b`` and the bracketing point ``c``, the
tolerance ``2 eps |b| + tol / 2``, linear or inverse quadratic interpolation when the last step
shrank ``|f|``, bisection otherwise, and a step never shorter than the tolerance. The arithmetic is
the same sequence of double operations, so on the same function values the iterates are R's bit
for bit (checked against R in ``tests/reference/data/uniroot.json``).

As R's ``fcn2``, a function value that is not finite becomes the largest double with its sign
(``NaN`` as ``+``) while iterating; the values at the ends may be infinite.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable

from ci_eval.errors import DesignError

EPSILON = sys.float_info.epsilon
DBL_MAX = sys.float_info.max
#: R's default ``tol`` for ``uniroot``, ``.Machine$double.eps^0.25``
DEFAULT_TOL = EPSILON**0.25


def _finite(value: float) -> float:
    """R's ``fcn2``: -Inf becomes -DBL_MAX, +Inf and NaN become +DBL_MAX."""
    if math.isfinite(value):
        return value
    return -DBL_MAX if value == -math.inf else DBL_MAX


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def uniroot(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    tol: float = DEFAULT_TOL,
    maxiter: int = 1000,
) -> float:
    """A root of ``f`` in [``lower``, ``upper``], as R's ``uniroot(f, c(lower, upper), tol=)$root``.

    Raises :class:`~ci_eval.errors.DesignError` where R stops: ``lower >= upper``, a missing
    value at an end, or ends of the same sign. Warns, as R, when ``maxiter`` steps do not
    converge.

    Examples
    --------
    >>> round(uniroot(lambda x: x * x - 2, 0.0, 2.0, tol=1e-12), 10)
    1.4142135624
    """
    lower, upper = float(lower), float(upper)
    if not lower < upper:
        raise DesignError(f"uniroot needs lower < upper, got [{lower}, {upper}]")
    f_lower, f_upper = float(f(lower)), float(f(upper))
    if math.isnan(f_lower) or math.isnan(f_upper):
        raise DesignError("uniroot: the function is missing (NaN) at an end of the interval")
    if _sign(f_lower) * _sign(f_upper) > 0:
        raise DesignError("uniroot: the function values at the ends are not of opposite sign")
    root, converged = _zeroin(
        lambda x: _finite(float(f(x))), lower, upper, f_lower, f_upper, tol, maxiter
    )
    if not converged:
        warnings.warn(
            f"uniroot: _NOT_ converged in {maxiter} iterations", UserWarning, stacklevel=2
        )
    return root


def _zeroin(
    f: Callable[[float], float],
    a: float,
    b: float,
    fa: float,
    fb: float,
    tol: float,
    maxiter: int,
) -> tuple[float, bool]:
    """Brent's iteration from the bracket [a, b]; the root and whether it converged."""
    if fa == 0.0:
        return a, True
    if fb == 0.0:
        return b, True
    c, fc = a, fa
    for _ in range(maxiter + 1):
        prev_step = b - a  # R takes it before b and c may swap
        if abs(fc) < abs(fb):  # b is the best point so far, c brackets the root with it
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * EPSILON * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b, True
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            new_step = _interpolated(a, b, c, fa, fb, fc, prev_step, tol_act, new_step)
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b, False


def _interpolated(
    a: float,
    b: float,
    c: float,
    fa: float,
    fb: float,
    fc: float,
    prev_step: float,
    tol_act: float,
    bisection: float,
) -> float:
    """The secant (two distinct points) or inverse quadratic step from b, when it stays well
    inside [b, c] and is shorter than half the previous step; else the ``bisection`` step."""
    cb = c - b
    if a == c:
        t1 = fb / fa
        p = cb * t1
        q = 1.0 - t1
    else:
        q = fa / fc
        t1 = fb / fc
        t2 = fb / fa
        p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
        q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
    if p > 0:
        q = -q
    else:
        p = -p
    if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
        return p / q
    return bisection
