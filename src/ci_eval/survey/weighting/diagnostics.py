"""What a weighting step did: spread of the weights, iterations, margins before and after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ci_eval.survey.weighting.margins import CategoricalMargin

MARGIN_COLUMNS = ["margin", "level", "target", "before", "after"]


@dataclass(frozen=True)
class NumericMargin:
    """A population total of a numeric column (or of the constant 1: the population size)."""

    variable: str
    values: np.ndarray
    target: float

    def totals(self, weights: np.ndarray) -> float:
        return float(self.values @ weights)


Margin = CategoricalMargin | NumericMargin


@dataclass(frozen=True)
class WeightingDiagnostics:
    """Diagnostics of the weights a weighting step produced (``design.weighting_diagnostics``).

    Attributes
    ----------
    method : ``"poststratify"``, ``"rake"``, ``"calibrate"`` or ``"trim"``.
    kish_deff : Kish's design effect of unequal weights, ``n * sum(w^2) / sum(w)^2`` over the
        ``n`` rows with a non-zero weight (Kish 1965, §11.7).
    effective_n : ``n / kish_deff``.
    min, max : the smallest and largest non-zero weight.
    ratio : ``max / min`` (NaN when a weight is negative, as linear calibration can give).
    iterations : sweeps (raking), Newton steps (calibration) or trimming passes used.
    converged : whether the iteration met its criterion. A step that does not converge raises
        :class:`~ci_eval.errors.ConvergenceError`, unless it was asked to go on (``force=True``
        of ``rake`` and ``calibrate``, R's behaviour), which warns and returns False here.
    margins : tidy frame ``margin, level, target, before, after``: each population total, and the
        weighted estimate of it before and after the step (``level`` is None for a numeric margin).
    """

    method: str
    kish_deff: float
    effective_n: float
    min: float
    max: float
    ratio: float
    iterations: int
    converged: bool
    margins: pd.DataFrame
    targets: tuple[Margin, ...] = field(default=(), repr=False, compare=False)


def margins_frame(targets: Sequence[Margin], before: np.ndarray, after: np.ndarray) -> pd.DataFrame:
    """The tidy margins frame for weights ``before`` and ``after`` a step."""
    rows: list[dict[str, object]] = []
    for margin in targets:
        if isinstance(margin, CategoricalMargin):
            t_before, t_after = margin.totals(before), margin.totals(after)
            rows += [
                {
                    "margin": margin.variable,
                    "level": level,
                    "target": float(margin.targets[i]),
                    "before": float(t_before[i]),
                    "after": float(t_after[i]),
                }
                for i, level in enumerate(margin.levels)
            ]
        else:
            rows.append(
                {
                    "margin": margin.variable,
                    "level": None,
                    "target": margin.target,
                    "before": margin.totals(before),
                    "after": margin.totals(after),
                }
            )
    frame = pd.DataFrame(rows, columns=MARGIN_COLUMNS)
    return frame.astype({"target": float, "before": float, "after": float})


def diagnose(
    method: str,
    before: np.ndarray,
    after: np.ndarray,
    targets: Sequence[Margin],
    iterations: int,
    converged: bool = True,
) -> WeightingDiagnostics:
    """Diagnostics of weights ``after`` a step that started from ``before``.

    Examples
    --------
    >>> import numpy as np
    >>> d = diagnose("trim", np.ones(4), np.array([1.0, 1.0, 2.0, 2.0]), (), 1)
    >>> round(d.kish_deff, 4), round(d.effective_n, 4), d.ratio, d.converged
    (1.1111, 3.6, 2.0, True)
    """
    w = after[after != 0]
    n = w.size
    total = float(w.sum())
    deff = float(n * (w @ w) / total**2) if n else float("nan")
    lo = float(w.min()) if n else float("nan")
    hi = float(w.max()) if n else float("nan")
    return WeightingDiagnostics(
        method=method,
        kish_deff=deff,
        effective_n=n / deff if n else 0.0,
        min=lo,
        max=hi,
        ratio=hi / lo if n and lo > 0 else float("nan"),
        iterations=iterations,
        converged=bool(converged),
        margins=margins_frame(targets, before, after),
        targets=tuple(targets),
    )
