"""The tidy result frame every estimator returns.

Columns, always in this order: ``variable``, ``level``, one column per ``by`` variable, then
``estimate``, ``se``, ``ci_low``, ``ci_high`` and ``n`` (the unweighted number of rows that entered
the estimate). ``level`` is the category of a categorical variable, the quantile for quantiles, and
missing for a numeric variable. Rows are ordered by domain, then by variable and level.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

RESULT_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "n")


def critical_value(conf_level: float, df: float | np.ndarray | None) -> float | np.ndarray:
    """Two-sided critical value: normal when ``df`` is None or infinite, else Student t."""
    alpha = 1 - conf_level
    if df is None:
        return float(stats.norm.ppf(1 - alpha / 2))
    df_arr = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        crit = np.where(
            np.isinf(df_arr), stats.norm.ppf(1 - alpha / 2), stats.t.ppf(1 - alpha / 2, df_arr)
        )
    return crit if crit.ndim else float(crit)


def result_frame(
    variable: Sequence[str],
    level: Sequence[str | None],
    by_table: pd.DataFrame | None,
    estimate: np.ndarray,
    se: np.ndarray,
    ci_low: np.ndarray,
    ci_high: np.ndarray,
    n: np.ndarray,
) -> pd.DataFrame:
    """Assemble the tidy frame from (n_domains, p) arrays, domain-major.

    Examples
    --------
    >>> import numpy as np
    >>> f = result_frame(["x"], [None], None, np.array([[2.0]]), np.array([[0.5]]),
    ...                  np.array([[1.0]]), np.array([[3.0]]), np.array([[10]]))
    >>> list(f.columns)
    ['variable', 'level', 'estimate', 'se', 'ci_low', 'ci_high', 'n']
    """
    estimate = np.atleast_2d(estimate)
    n_dom, p = estimate.shape
    out = {
        "variable": np.tile(np.asarray(variable, dtype=object), n_dom),
        "level": np.tile(np.asarray(level, dtype=object), n_dom),
    }
    if by_table is not None and len(by_table.columns):
        for name in by_table.columns:
            out[name] = np.repeat(by_table[name].to_numpy(dtype=object), p)
    for name, arr in zip(RESULT_COLUMNS[:4], (estimate, se, ci_low, ci_high), strict=True):
        out[name] = np.asarray(arr, dtype=float).reshape(-1)
    out["n"] = np.broadcast_to(np.asarray(n), (n_dom, p)).reshape(-1).astype(np.int64)
    frame = pd.DataFrame(out)
    frame["variable"] = frame["variable"].astype(object)
    return frame
