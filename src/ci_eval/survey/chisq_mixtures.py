"""Tail probabilities of linear combinations of chi-squared variables.

Under the null of no association, Pearson's X^2 from a complex sample is asymptotically
``sum_j d_j Z_j^2`` with ``d_j`` the generalised design effects (Rao and Scott 1981). R
``survey``'s ``svychisq(statistic = "lincom" | "saddlepoint")`` refers X^2 to that distribution,
with the design's finite degrees of freedom entering as an independent ``chi^2_ddf / ddf`` (R's
``pFsum``): ``P(sum_j d_j Z_j^2 - (x / ddf) chi^2_ddf > 0)``.

* :func:`imhof_upper` computes such probabilities by numerical inversion of the characteristic
  function (Imhof 1961), the exact answer that R's ``lincom`` computes with Davies' algorithm;
* :func:`saddlepoint_upper` is R's ``saddle``: Kuonen's (1999) saddlepoint approximation, with
  ``None`` where R falls back to Satterthwaite (saddlepoint within 1e-4 of zero).
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, optimize, stats


def imhof_upper(x: float, weights: np.ndarray, dfs: np.ndarray) -> float:
    """``P(sum_j weights_j chi^2_{dfs_j} > x)`` for central chi-squared variables (Imhof 1961).

    ``P = 1/2 + (1/pi) int_0^inf sin(theta(u)) / (u rho(u)) du`` with
    ``theta(u) = sum_j h_j arctan(l_j u) / 2 - x u / 2`` and
    ``rho(u) = prod_j (1 + l_j^2 u^2)^(h_j / 4)``. The oscillating tail beyond ``u = 1/max|l|``
    is integrated as a Fourier integral (QUADPACK's QAWF), so slowly decaying cases stay exact.

    Examples
    --------
    >>> import numpy as np
    >>> round(imhof_upper(3.0, np.array([1.0, 1.0]), np.array([1.0, 1.0])), 8)  # exp(-3/2)
    0.22313016
    """
    lam = np.asarray(weights, dtype=float)
    h = np.asarray(dfs, dtype=float)
    omega = x / 2.0

    def phase(u: float) -> float:
        return float(0.5 * np.sum(h * np.arctan(lam * u)))

    def damping(u: float) -> float:
        return float(np.exp(-np.sum(h / 4.0 * np.log1p((lam * u) ** 2))) / u)

    def integrand(u: float) -> float:
        if u == 0.0:
            return 0.5 * (float(np.sum(h * lam)) - x)
        return float(np.sin(phase(u) - omega * u) * damping(u))

    split = 1.0 / float(np.max(np.abs(lam)))
    quad = integrate.quad
    head = quad(integrand, 0.0, split, limit=500, epsabs=1e-14, epsrel=1e-12)[0]
    if omega == 0.0:
        tail = quad(integrand, split, np.inf, limit=500, epsabs=1e-14, epsrel=1e-12)[0]
    else:  # sin(c - w u) = sin(c) cos(w u) - cos(c) sin(w u)
        tail = (
            quad(
                lambda u: np.sin(phase(u)) * damping(u),
                split,
                np.inf,
                weight="cos",
                wvar=omega,
                limlst=200,
                limit=200,
                epsabs=1e-11,
            )[0]
            - quad(
                lambda u: np.cos(phase(u)) * damping(u),
                split,
                np.inf,
                weight="sin",
                wvar=omega,
                limlst=200,
                limit=200,
                epsabs=1e-11,
            )[0]
        )
    return float(min(max(0.5 + (head + tail) / np.pi, 0.0), 1.0))


def saddlepoint_upper(x: float, lam: np.ndarray) -> float | None:
    """R ``survey``'s ``saddle(x, lambda)``: ``P(sum_j lam_j Z_j^2 > x)`` (Kuonen 1999).

    Examples
    --------
    >>> import numpy as np
    >>> round(saddlepoint_upper(6.0, np.ones(2)), 4)  # chi^2_2 tail is exp(-3) = 0.0498
    0.0506
    """
    scale = float(np.max(lam))
    lam = np.asarray(lam, dtype=float) / scale
    x = x / scale

    def k0(z: float) -> float:
        return float(-np.sum(np.log1p(-2.0 * z * lam)) / 2.0)

    def k1(z: float) -> float:
        return float(np.sum(lam / (1.0 - 2.0 * z * lam)))

    def k2(z: float) -> float:
        return float(2.0 * np.sum(lam**2 / (1.0 - 2.0 * z * lam) ** 2))

    if np.any(lam < 0):
        lower = float(np.max(1.0 / (2.0 * lam[lam < 0]))) * 0.99999
    elif x > lam.sum():
        lower = -0.01
    else:
        lower = -lam.size / (2.0 * x)
    upper = float(np.min(1.0 / (2.0 * lam[lam > 0]))) * 0.99999
    zeta = optimize.brentq(lambda z: k1(z) - x, lower, upper, xtol=1e-14, rtol=1e-15)
    if abs(zeta) < 1e-4:
        return None
    w = np.sign(zeta) * np.sqrt(2.0 * (zeta * x - k0(zeta)))
    v = zeta * np.sqrt(k2(zeta))
    return float(stats.norm.sf(w + np.log(v / w) / w))


def satterthwaite_upper(x: float, lam: np.ndarray, ddf: float) -> float:
    """R's Satterthwaite fallback: a scaled F (or chi-squared when ``ddf`` is infinite)."""
    lam = np.asarray(lam, dtype=float)
    tr = lam.mean()
    tr2 = np.mean(lam**2) / tr**2
    scale, ndf = tr * tr2, lam.size / tr2
    if np.isinf(ddf):
        return float(stats.chi2.sf(x / scale, ndf))
    return float(stats.f.sf(x / ndf / scale, ndf, ddf))


def lincom_upper(x: float, design_effects: np.ndarray, ddf: float) -> float:
    """``P(sum_j d_j Z_j^2 > x * chi^2_ddf / ddf)`` (chi-squared version when ``ddf`` is inf)."""
    d = np.asarray(design_effects, dtype=float)
    if np.isinf(ddf):
        return imhof_upper(x, d, np.ones(d.size))
    return imhof_upper(0.0, np.append(d, -x / ddf), np.append(np.ones(d.size), ddf))


def saddlepoint_mixture_upper(x: float, design_effects: np.ndarray, ddf: float) -> float:
    """R's ``svychisq(statistic = "saddlepoint")`` p-value (``pFsum``/``pchisqsum``).

    As R, the ``chi^2_ddf`` term enters as ``int(ddf)`` unit terms of weight ``-x / ddf`` and the
    Satterthwaite approximation is used where the saddlepoint is not defined.
    """
    d = np.asarray(design_effects, dtype=float)
    if np.isinf(ddf):
        sad = saddlepoint_upper(x, d)
        return satterthwaite_upper(x, d, ddf) if sad is None else sad
    lam = np.append(d, np.full(int(ddf), -x / ddf))
    sad = saddlepoint_upper(0.0, lam)
    return satterthwaite_upper(x, d, ddf) if sad is None else sad
