"""Reading a design's weights for a weighting step, and building the re-weighted design.

A weighting step works on a weight matrix ``W`` (n, k): column 0 holds the full-sample weights,
and for a replicate design columns 1..R hold the replicate (analysis) weights, each re-weighted
the same way as R's ``postStratify``, ``rake`` and ``calibrate`` methods for ``svyrep.design``
do. A Taylor design (``SurveyDesign``) has one column and gets, instead, an adjustment of the
influence values that reproduces R's variance for the step (see ``SurveyDesign.with_weights``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ci_eval.errors import WeightingError
from ci_eval.survey.base import DesignBase
from ci_eval.survey.weighting.diagnostics import WeightingDiagnostics

Adjustment = Callable[[np.ndarray], np.ndarray]


def weight_matrix(design: Any) -> np.ndarray:
    """(n, k) weights: the full-sample weights, then each replicate's (replicate designs)."""
    if not isinstance(design, DesignBase):
        raise WeightingError(
            f"weighting needs a SurveyDesign or ReplicateDesign, not {type(design).__name__}"
        )
    if design.subset_mask is not None:
        raise WeightingError(
            "this design is a subpopulation (subset): weight the full design, then take the "
            "subset, or build a design on the subpopulation's rows and weight that"
        )
    w = np.array(design.sampling_weights, dtype=float)
    if not design.is_replicate:
        return w[:, None].copy()
    reps = np.asarray(design.repweights, dtype=float)
    return np.column_stack([w, reps])


def rebuild(
    design: Any,
    weights: np.ndarray,
    adjustment: Adjustment | None,
    diagnostics: WeightingDiagnostics,
) -> Any:
    """A new design with the re-weighted matrix; the input design is left untouched."""
    if design.is_replicate:
        new = design.with_weights(weights[:, 0].copy(), weights[:, 1:].copy())
    else:
        new = design.with_weights(weights[:, 0].copy(), adjustment)
    new.weighting_diagnostics = diagnostics
    return new


def column_name(j: int) -> str:
    """How an error names column ``j`` of a weight matrix."""
    return "the full-sample weights" if j == 0 else f"replicate {j}"
