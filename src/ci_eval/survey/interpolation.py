"""Interpolation as R's ``stats::spline`` (method ``"fmm"``) and ``stats::approx`` (linear).

The profile-likelihood interval of :mod:`ci_eval.survey.profile_ci` interpolates a profile with
these two functions, and must do so exactly as R does, so both follow R's arithmetic step by step:

* :func:`fmm_spline` is the cubic spline of Forsythe, Malcolm and Moler (1977), *Computer Methods
  for Mathematical Computations*, §4.4 (the ``spline``/``seval`` pair): an interpolating cubic whose
  end conditions match the third derivatives of the cubics through the first four and the last
  four points (divided differences), solved as a tridiagonal system by Gaussian elimination. With
  three points the end conditions are zero third derivatives; with two the spline is the line.
* :func:`spline` evaluates it as R's ``spline(x, y)`` does: ``x`` sorted (mean ``y`` for tied
  ``x``), at ``n = 3 * length(x)`` equally spaced points from ``min(x)`` to ``max(x)``
  (``seq.int``: ``min(x) + i * step``, the last point exactly ``max(x)``).
* :func:`approx` is linear interpolation with R's ``rule = 1``: NaN outside the range of ``x``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CubicSpline:
    """A piecewise cubic: on ``[x[i], x[i+1]]`` it is
    ``y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]))`` with ``dx = u - x[i]``.

    Below ``x[0]`` and above ``x[-1]`` the first and last pieces are extended.
    """

    x: np.ndarray
    y: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray

    def __call__(self, u: np.ndarray) -> np.ndarray:
        """The spline at the points ``u``.

        The piece is found as R's ``spline_eval`` finds it, point after point: the previous
        point's piece is kept while ``x[i] <= u <= x[i+1]``, so a point on a knot may be
        evaluated on the piece to its left (the results agree to rounding either way).
        """
        u = np.atleast_1d(np.asarray(u, dtype=float))
        x, last = self.x, len(self.x) - 1
        out = np.empty_like(u)
        i = 0
        for k, ul in enumerate(u):
            if ul < x[i] or (i < last and x[i + 1] < ul):
                i, j = 0, last + 1
                while j > i + 1:
                    mid = (i + j) // 2
                    if ul < x[mid]:
                        j = mid
                    else:
                        i = mid
            dx = ul - x[i]
            out[k] = self.y[i] + dx * (self.b[i] + dx * (self.c[i] + dx * self.d[i]))
        return out


def fmm_spline(x: np.ndarray, y: np.ndarray) -> CubicSpline:
    """The Forsythe-Malcolm-Moler interpolating cubic spline through ``(x, y)``.

    ``x`` must be strictly increasing, with at least two points. The operations are those of
    FMM's ``spline`` routine (as in R's ``splines.c``), so the coefficients agree with R's
    ``splinefun(x, y, method = "fmm")`` to the last bit or nearly so.

    Examples
    --------
    >>> import numpy as np
    >>> s = fmm_spline(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, 8.0, 27.0]))
    >>> [float(v) for v in s(np.array([0.5, 2.5]))]  # a cubic is reproduced exactly
    [0.125, 15.625]
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    if n < 2 or len(y) != n:
        raise ValueError("fmm_spline needs at least two points and as many y as x")
    if not np.all(np.diff(x) > 0):
        raise ValueError("fmm_spline needs strictly increasing x")
    if n == 2:
        slope = (y[1] - y[0]) / (x[1] - x[0])
        return CubicSpline(x, y, np.full(2, slope), np.zeros(2), np.zeros(2))
    b = np.zeros(n)
    c = np.zeros(n)
    d = np.zeros(n)
    last = n - 1
    # tridiagonal system: b the diagonal, d the off-diagonal, c the right-hand side
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, last):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    # end conditions: third derivatives at the ends from divided differences
    b[0] = -d[0]
    b[last] = -d[last - 1]
    c[0] = c[last] = 0.0
    if n > 3:
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        c[last] = c[last - 1] / (x[last] - x[last - 2]) - c[last - 2] / (x[last - 1] - x[last - 3])
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
        c[last] = -c[last] * d[last - 1] * d[last - 1] / (x[last] - x[last - 3])
    # Gaussian elimination, then back substitution
    for i in range(1, n):
        t = d[i - 1] / b[i - 1]
        b[i] = b[i] - t * d[i - 1]
        c[i] = c[i] - t * c[i - 1]
    c[last] = c[last] / b[last]
    for i in range(last - 1, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    # polynomial coefficients
    b[last] = (y[last] - y[last - 1]) / d[last - 1] + d[last - 1] * (c[last - 1] + 2.0 * c[last])
    for i in range(last):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[last] = 3.0 * c[last]
    d[last] = d[last - 1]
    return CubicSpline(x, y, b, c, d)


def regular_grid(start: float, stop: float, n: int) -> np.ndarray:
    """``n`` equally spaced points from ``start`` to ``stop``, as R's ``seq.int(length.out=)``.

    Examples
    --------
    >>> regular_grid(0.0, 1.0, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    if n == 1:
        return np.array([float(start)])
    step = (stop - start) / (n - 1)
    out = start + np.arange(n, dtype=float) * step
    out[-1] = stop
    return out


def _regularize(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``regularize.values(x, y, mean)``: drop missing pairs, sort by ``x`` (stably),
    average ``y`` over tied ``x``."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    ux, start = np.unique(x, return_index=True)
    if len(ux) < len(x):
        y = np.add.reduceat(y, start) / np.diff(np.append(start, len(x)))
        x = ux
    return x, y


def spline(x: np.ndarray, y: np.ndarray, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """R's ``spline(x, y, n, method = "fmm")``: the spline at ``n`` equally spaced points.

    ``n`` defaults to three times the number of distinct ``x``. Returns the points and the values.

    Examples
    --------
    >>> import numpy as np
    >>> u, v = spline(np.array([2.0, 0.0, 1.0]), np.array([4.0, 0.0, 1.0]))
    >>> len(u), float(u[0]), float(u[-1]), float(v[-1])
    (9, 0.0, 2.0, 4.0)
    """
    xs, ys = _regularize(x, y)
    if len(xs) == 0:
        raise ValueError("spline needs at least one pair (x, y) without missing values")
    if n is None:
        n = 3 * len(xs)
    grid = regular_grid(xs[0], xs[-1], n)
    if len(xs) == 1:
        return grid, np.full(n, ys[0])
    return grid, fmm_spline(xs, ys)(grid)


def approx(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """R's ``approx(x, y, xout)``: linear interpolation, NaN outside the range of ``x``.

    Tied ``x`` take the mean of their ``y``; missing pairs are dropped.

    Examples
    --------
    >>> import numpy as np
    >>> approx(np.array([0.0, 1.0, 2.0]), np.array([0.0, 10.0, 30.0]),
    ...        np.array([0.5, 1.5, 3.0])).tolist()
    [5.0, 20.0, nan]
    """
    xs, ys = _regularize(x, y)
    if len(xs) < 2:
        raise ValueError("approx needs at least two distinct x without missing values")
    xout = np.atleast_1d(np.asarray(xout, dtype=float))
    out = np.full(xout.shape, np.nan)
    for k, v in enumerate(xout):
        if not xs[0] <= v <= xs[-1]:
            continue
        j = int(np.searchsorted(xs, v, side="left"))
        if xs[j] == v:
            out[k] = ys[j]
            continue
        i = j - 1
        out[k] = ys[i] + (ys[j] - ys[i]) * ((v - xs[i]) / (xs[j] - xs[i]))
    return out
