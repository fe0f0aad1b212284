"""Calibration functions (distance measures) of Deville and Särndal (1992), as in R ``survey``.

A calibration function gives the calibrated weight ratio ``g = 1 + F(u)`` for a linear predictor
``u = x'λ`` and its derivative ``F'(u)``, given bounds ``(L, U)`` on ``g``. These follow R
``survey``'s ``cal.linear``, ``cal.raking`` and ``cal.logit`` (``grake.R``) exactly, including how
the derivative is cut at the bounds, so that Newton's method takes the same steps as R's
``grake``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ci_eval.errors import WeightingError

CALFUNS = ("linear", "raking", "logit")


@dataclass(frozen=True)
class Calfun:
    """``g - 1 = F(u)`` and ``F'(u)`` of one calibration function within bounds ``(lower, upper)``.

    Examples
    --------
    >>> import numpy as np
    >>> f = Calfun("linear", 0.5, 1.5)
    >>> f.ratio(np.array([-1.0, 0.2, 1.0])).tolist()
    [0.5, 1.2, 1.5]
    """

    name: str
    lower: float
    upper: float

    def fm1(self, u: np.ndarray) -> np.ndarray:
        """``F(u) = g - 1``."""
        lo, hi = self.lower, self.upper
        with np.errstate(over="ignore", invalid="ignore"):
            if self.name == "linear":
                return np.clip(u + 1, lo, hi) - 1
            if self.name == "raking":
                return np.clip(np.exp(u), lo, hi) - 1
            a = (hi - lo) / ((hi - 1) * (1 - lo))
            e = np.exp(a * u)
            return (lo * (hi - 1) + hi * (1 - lo) * e) / (hi - 1 + (1 - lo) * e) - 1

    def derivative(self, u: np.ndarray) -> np.ndarray:
        """``F'(u)``, zero where ``g`` is held at a bound (R's cut at ``u ∈ (L-1, U-1)``)."""
        lo, hi = self.lower, self.upper
        inside = (u < hi - 1) & (u > lo - 1)
        with np.errstate(over="ignore", invalid="ignore"):
            if self.name == "linear":
                return inside.astype(float)
            if self.name == "raking":
                return np.where(inside, np.exp(u), 0.0)
            a = (hi - lo) / ((hi - 1) * (1 - lo))
            e = np.exp(a * u)
            den = hi - 1 + (1 - lo) * e
            return (
                hi * (1 - lo) * e * a / den
                - (lo * (hi - 1) + hi * (1 - lo) * e) * ((1 - lo) * e * a) / den**2
            )

    def ratio(self, u: np.ndarray) -> np.ndarray:
        """``g = 1 + F(u)``."""
        return 1 + self.fm1(u)


def make_calfun(name: str, bounds: tuple[float, float] | None) -> Calfun:
    """Check ``calfun`` and ``bounds`` (on ``g = w_new / w_old``) and build the function."""
    if name not in CALFUNS:
        raise WeightingError(f"calfun={name!r} is not supported; use one of {', '.join(CALFUNS)}")
    lo, hi = (-np.inf, np.inf) if bounds is None else (float(bounds[0]), float(bounds[1]))
    if np.isnan(lo) or np.isnan(hi) or not lo <= 1 <= hi or lo == hi:
        raise WeightingError(
            f"bounds={bounds!r} on the weight ratio g = new / old weight must satisfy "
            "lower <= 1 <= upper with lower < upper (g = 1 leaves a weight unchanged)"
        )
    if name == "logit" and not (np.isfinite(lo) and np.isfinite(hi) and lo < 1 < hi):
        raise WeightingError(
            f"calfun='logit' needs finite bounds with lower < 1 < upper, got bounds={bounds!r}"
        )
    return Calfun(name, lo, hi)
