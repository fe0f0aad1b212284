"""Post-stratification: scale the weights in each category to its population total.

Within post-stratum ``g`` every weight is multiplied by ``N_g / N̂_g``, the population count over
the weighted sample count (R ``survey``'s ``postStratify``; Lumley 2010, §7.2). The variance then
uses the residuals of the influence values from their post-stratum means (``svyrecvar``):
``u_i - w*_i · Σ_g(u_j w_j / w*_j) / Σ_g w_j``, with ``w`` the weights before and ``w*`` after.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from ci_eval.errors import WeightingError
from ci_eval.survey.weighting.designs import column_name, rebuild, weight_matrix
from ci_eval.survey.weighting.diagnostics import diagnose
from ci_eval.survey.weighting.margins import CategoricalMargin, categorical_margin

D = TypeVar("D")


def poststratify(design: D, var: str, totals: object, partial: bool = False) -> D:
    """Post-stratify a design to population counts of the categories of ``var``.

    Parameters
    ----------
    design : a ``SurveyDesign`` or ``ReplicateDesign``; it is not changed.
    var : the post-stratifying column (categorical; to post-stratify on a cross-classification,
        make a column of the combined categories first).
    totals : population count of every category, a pandas Series (or dict) indexed by category.
    partial : ignore categories that have a total but no rows (R's ``partial=TRUE``); by default
        such categories are an error.

    Returns
    -------
    A new design of the same class whose weights reproduce ``totals`` exactly, with
    ``weighting_diagnostics``. A replicate design has every replicate post-stratified with its own
    weights, as R's ``postStratify`` for ``svyrep.design`` does.

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.survey import SurveyDesign, poststratify
    >>> df = pd.DataFrame({"g": ["a", "a", "b"], "y": [1.0, 2.0, 3.0], "w": [1.0, 1.0, 1.0]})
    >>> d = poststratify(SurveyDesign(df, weights="w"), "g", pd.Series({"a": 10, "b": 30}))
    >>> d.weights.tolist()
    [5.0, 5.0, 30.0]
    """
    W = weight_matrix(design)
    margin = categorical_margin(
        design.data, var, totals, W[:, 0], role="post-stratification", partial=partial
    )
    new = W * _factors(margin, W)[margin.code]
    adjustment = poststratum_residuals(margin, W[:, 0], new[:, 0])
    diagnostics = diagnose("poststratify", W[:, 0], new[:, 0], (margin,), iterations=1)
    return rebuild(design, new, adjustment, diagnostics)


def _factors(margin: CategoricalMargin, W: np.ndarray) -> np.ndarray:
    """(L, k) factors ``N_g / N̂_g`` for each weight column."""
    counts = margin.totals(W)
    bad = np.argwhere(counts <= 0)
    if bad.size:
        g, j = (int(v) for v in bad[0])
        raise WeightingError(
            f"{column_name(j)} gives category {margin.levels[g]!r} of {margin.variable!r} a "
            "weight total of 0, so it cannot be scaled to its population total (a replicate "
            "that drops every PSU of a category: use a coarser category)"
        )
    return margin.targets[:, None] / counts


def poststratum_residuals(margin: CategoricalMargin, old: np.ndarray, new: np.ndarray):
    """R's ``svyrecvar`` adjustment of influence values for one post-stratification.

    Returns a function mapping influence values ``u`` (n, m) to
    ``u - new · rowsum(u · old / new) / rowsum(old)`` by post-stratum.

    Examples
    --------
    >>> import numpy as np
    >>> from ci_eval.survey.weighting.margins import CategoricalMargin
    >>> m = CategoricalMargin("g", ("a", "b"), np.array([4.0, 4.0]), np.array([0, 0, 1, 1]))
    >>> adjust = poststratum_residuals(m, np.ones(4), np.full(4, 2.0))
    >>> adjust(np.array([[1.0], [3.0], [0.0], [2.0]])).ravel().tolist()  # centred in each group
    [-1.0, 1.0, -1.0, 1.0]
    """
    # rows with no weight before or after count with weight 1 afterwards, as in R
    new = np.where((new == 0) & (old == 0), 1.0, new)
    ratio = old / new
    old_sum = margin.totals(old)
    code, grouping = margin.code, margin.grouping

    def adjust(u: np.ndarray) -> np.ndarray:
        sums = np.asarray(grouping @ (u * ratio[:, None]))
        return u - (sums / old_sum[:, None])[code] * new[:, None]

    return adjust
