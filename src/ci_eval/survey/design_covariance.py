"""Full covariance matrices of weighted totals and means, for either kind of design.

The estimators of :mod:`ci_eval.survey.base` need only variances; regression and tests of
association need whole covariance matrices. A Taylor design gives them from influence values
through its ``vcov`` hook (R's ``svyrecvar``, with its calibration adjustments); a replicate
design from the replicate estimates through ``replicate_variance`` (R's ``svrVar``).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def in_analysis(design: Any) -> np.ndarray:
    """(n,) True for the rows of the (sub)population analysed: all rows, or the rows of a subset
    (:meth:`~ci_eval.survey.base.DesignBase.subset`) with a positive weight."""
    mask = design.sampling_weights != 0
    subset = design.subset_mask
    return mask if subset is None else mask & subset


def analysis_degf(design: Any) -> float:
    """Design degrees of freedom of the analysed rows, as R's ``degf`` of a subset design.

    Taylor designs count the PSUs and strata with analysed rows; replicate designs (whose subsets
    drop rows from the data and the replicates) take the rank of their replicate weights.
    """
    if design.is_replicate:
        return float(design.degf)
    return float(design.degf_of(np.flatnonzero(in_analysis(design))))


def total_covariance(
    design: Any, values: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted totals (m,) of the columns of ``values`` (n, m) over ``rows``, and their covariance.

    ``rows`` are the positions that enter (R's ``na.rm``: the others leave the estimate, not the
    design).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ci_eval.survey import SurveyDesign
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "w": [2.0, 2.0, 2.0, 2.0]})
    >>> est, cov = total_covariance(SurveyDesign(df, weights="w"), df[["x"]].to_numpy(),
    ...                             np.arange(4))
    >>> float(est[0]), float(cov[0, 0])  # n var(w x) = 4 * 20/3
    (20.0, 26.666666666666668)
    """
    x = np.asarray(values, dtype=float)[rows]
    if design.is_replicate:
        est = design.sampling_weights[rows] @ x
        reps = design.repweights[rows].T @ x
        return est, design.replicate_variance(est, reps)
    w = design.sampling_weights[rows]
    est = w @ x
    return est, design.vcov(_spread(design, w[:, None] * x, rows), rows=rows)


def mean_covariance(
    design: Any, values: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means (m,) of the columns of ``values`` (n, m) over ``rows``, and their covariance.

    The Taylor variance linearises the ratio ``T(x) / T(1)``: influence values
    ``w_i (x_i - mean) / T(1)`` (Lumley 2010, §2.3); a replicate design recomputes the means with
    every column of replicate weights.
    """
    x = np.asarray(values, dtype=float)[rows]
    w = design.sampling_weights[rows]
    total_w = w.sum()
    est = (w @ x) / total_w
    if design.is_replicate:
        rw = design.repweights[rows]
        reps = (rw.T @ x) / rw.sum(axis=0)[:, None]
        return est, design.replicate_variance(est, reps)
    u = w[:, None] * (x - est) / total_w
    return est, design.vcov(_spread(design, u, rows), rows=rows)


def _spread(design: Any, u: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Influence values of the kept ``rows`` placed in an (n, m) matrix, zero elsewhere."""
    full = np.zeros((len(design.data), u.shape[1]))
    full[rows] = u
    return full
