"""Overlap diagnostics of a propensity model: score histograms and covariate balance.

The standardised mean difference of a covariate column is
``(mean_1 - mean_0) / sqrt((var_1 + var_0) / 2)`` (Austin 2009, *Statistics in Medicine*
28:3083), with means and variances weighted by the survey weights (before) and by the survey
weights times the inverse probability weights ``A / e + (1 - A) / (1 - e)`` (after). The
variances in the denominator are the survey-weighted ones before weighting, in both cases, so
the two columns are on one scale. Absolute SMDs under 0.1 are the usual sign of balance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ci_eval.analysis.contribution.data import ContributionData
from ci_eval.results.contract import columns


def _weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    total = w.sum()
    mean = float(w @ x / total)
    return mean, float(w @ (x - mean) ** 2 / total)


def balance_table(
    data: ContributionData, propensity: np.ndarray, exposed: np.ndarray
) -> pd.DataFrame:
    """``covariate, variable, level, smd_before, smd_after`` for every covariate column
    (``variable`` and ``level`` of a dummy ``variable=level``; ``level`` empty for a number).

    >>> from ci_eval.analysis.contribution.data import ContributionData
    >>> x = np.array([[0.0], [1.0], [0.0], [1.0]])
    >>> cd = ContributionData(np.zeros(4), np.array(["0", "0", "1", "1"]), ("0", "1"), x,
    ...                       ("c=1",), np.ones(4), np.ones(4, bool), False)
    >>> balance_table(cd, np.full(4, 0.5), np.array([False, False, True, True])).values.tolist()
    [['c=1', 'c', '1', 0.0, 0.0]]
    """
    keep = data.keep
    a = exposed & keep
    b = ~exposed & keep
    e = np.where(keep, propensity, 0.5)
    ipw = np.where(a, 1 / e, np.where(b, 1 / (1 - e), 0.0))
    rows = []
    for j, name in enumerate(data.covariate_names):
        x = data.covariates[:, j]
        m1, v1 = _weighted_mean_var(x[a], data.w[a])
        m0, v0 = _weighted_mean_var(x[b], data.w[b])
        sd = np.sqrt((v1 + v0) / 2)
        n1, _ = _weighted_mean_var(x[a], (data.w * ipw)[a])
        n0, _ = _weighted_mean_var(x[b], (data.w * ipw)[b])
        # the names are made in ContributionData (``variable=level`` for a dummy): taken
        # apart here, once, so that the table carries the variable and the level as columns
        variable, _, level = name.partition("=")
        rows.append(
            {
                "covariate": name,
                "variable": variable,
                "level": level,
                "smd_before": (m1 - m0) / sd if sd > 0 else 0.0,
                "smd_after": (n1 - n0) / sd if sd > 0 else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=columns("balance")[2:])


def overlap_table(
    data: ContributionData, propensity: np.ndarray, exposed: np.ndarray, bins: int = 20
) -> pd.DataFrame:
    """Weighted propensity histograms: ``group, bin_low, bin_high, share`` (shares sum to 1).

    >>> from ci_eval.analysis.contribution.data import ContributionData
    >>> cd = ContributionData(np.zeros(2), np.array(["0", "1"]), ("0", "1"), np.zeros((2, 0)),
    ...                       (), np.ones(2), np.ones(2, bool), False)
    >>> t = overlap_table(cd, np.array([0.1, 0.9]), np.array([False, True]), bins=2)
    >>> t["share"].tolist(), t["group"].tolist()[1:3]
    ([0.0, 1.0, 1.0, 0.0], ['exposed', 'unexposed'])
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for group, mask in (("exposed", exposed & data.keep), ("unexposed", ~exposed & data.keep)):
        counts, _ = np.histogram(propensity[mask], bins=edges, weights=data.w[mask])
        total = counts.sum()
        for k in range(bins):
            rows.append(
                {
                    "group": group,
                    "bin_low": float(edges[k]),
                    "bin_high": float(edges[k + 1]),
                    "share": float(counts[k] / total) if total > 0 else float("nan"),
                }
            )
    return pd.DataFrame(rows, columns=["group", "bin_low", "bin_high", "share"])
