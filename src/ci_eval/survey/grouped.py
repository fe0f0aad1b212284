"""Weighted sums of the columns of a matrix within groups of rows, in one pass per column.

Every estimator reduces its data to such sums (domain totals, cluster totals for the Taylor
variance, PSU-by-domain totals for replicate weights). A row-major matrix goes through one
sparse product; a column-major one (an analysis matrix), or one of a few columns, is summed
column by column with ``np.bincount``, or with ``np.add.reduceat`` over runs of rows when the
rows are sorted by group.

The sparse product streams through a row-major matrix and is fastest when the rows of a group
lie together (data sorted by PSU, as survey files usually are); ``np.bincount`` per column does
not care about the order of the rows.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

FEW_COLUMNS = 8  # up to this many columns, per-column counting passes beat the sparse product


def grouped_sums(
    values: np.ndarray, key: np.ndarray, weights: np.ndarray | None, size: int
) -> np.ndarray:
    """Sums (size, p) of ``weights * values`` (n, p) over the rows of each ``key`` (0..size-1).

    Examples
    --------
    >>> import numpy as np
    >>> grouped_sums(np.array([[1.0], [2.0], [3.0]]), np.array([0, 1, 1]), np.ones(3), 2)
    array([[1.],
           [5.]])
    """
    n, p = values.shape
    if p <= FEW_COLUMNS or (values.flags.f_contiguous and not values.flags.c_contiguous):
        # rows sorted by key (data sorted by PSU): each group is one run, summed by add.reduceat
        runs = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if n else None
        if runs is not None and not np.all(key[1:] >= key[:-1]):
            runs = None
        out = np.zeros((size, p)) if runs is not None else np.empty((size, p))
        for j in range(p):
            col = values[:, j] if weights is None else values[:, j] * weights
            if runs is None:
                out[:, j] = np.bincount(key, weights=col, minlength=size)
            else:
                out[key[runs], j] = np.add.reduceat(col, runs)
        return out
    data = np.ones(n) if weights is None else weights
    spread = sparse.csr_matrix((data, (key, np.arange(n))), shape=(size, n))
    return np.asarray(spread @ values)
