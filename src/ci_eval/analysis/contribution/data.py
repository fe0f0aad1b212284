"""The analysis sample of one contribution spec: outcome, exposure, covariates and weights.

Rows enter when the outcome, the exposure and every ``adjust_for`` covariate are observed
(complete cases); the design stays whole and the other rows get zero influence, which is the
domain (subpopulation) approach of design-based inference (Lumley 2010, §2.3). Categorical
covariates (codebook type ``categorical``, or text) become 0/1 columns for every level but the
lowest code; numeric covariates enter as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ci_eval.analysis.codes import code_sort_key, codes_text
from ci_eval.codebook import Codebook
from ci_eval.errors import AnalysisError
from ci_eval.survey import SurveyDesign


@dataclass(frozen=True)
class ContributionData:
    """Arrays of one spec over every row of the design (``keep`` marks the analysis sample).

    Attributes
    ----------
    y : outcome (0 outside ``keep``).
    exposure : exposure code as text per row ("" outside ``keep``).
    levels : exposure levels, lowest code first (the reference).
    covariates : (n, k) covariate columns (dummies and numbers), 0 outside ``keep``.
    covariate_names : their names, ``variable=level`` for dummies.
    w : the design's weights times ``keep``.
    binary : the outcome is 0/1 (logistic models) rather than a score (linear models).
    """

    y: np.ndarray
    exposure: np.ndarray
    levels: tuple[str, ...]
    covariates: np.ndarray
    covariate_names: tuple[str, ...]
    w: np.ndarray
    keep: np.ndarray
    binary: bool

    @property
    def n(self) -> int:
        """Unweighted size of the analysis sample."""
        return int(self.keep.sum())

    def exposure_matrix(self, level: str | None = None) -> np.ndarray:
        """(n, L-1) exposure dummies: observed, or every row set to ``level``."""
        codes = self.exposure if level is None else np.full(self.exposure.size, level)
        return np.column_stack([(codes == lv).astype(float) for lv in self.levels[1:]])

    def matrix(self, level: str | None = None) -> np.ndarray:
        """The model matrix ``[1, exposure dummies, covariates]`` (observed or set exposure)."""
        ones = np.ones((self.y.size, 1))
        return np.column_stack([ones, self.exposure_matrix(level), self.covariates])


def contribution_data(
    design: SurveyDesign,
    outcome: str,
    exposure: str,
    adjust_for: Sequence[str],
    binary: bool,
    codebook: Codebook | None = None,
) -> ContributionData:
    """Collect a spec's arrays from the design's data.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 0.0, 1.0, None], "a": [1, 0, 1, 0],
    ...                    "c": ["u", "v", "v", "u"]})
    >>> d = SurveyDesign(df.assign(w=1.0), weights="w")
    >>> cd = contribution_data(d, "y", "a", ["c"], binary=True)
    >>> cd.n, cd.levels, cd.covariate_names, cd.matrix("1")[:3].tolist()
    (3, ('0', '1'), ('c=v',), [[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    """
    data = design.data
    for column in (outcome, exposure, *adjust_for):
        if column not in data.columns:
            raise AnalysisError(
                f"contribution of {exposure!r} to {outcome!r}: {column!r} is not a column of the "
                "scored data; keep it in the responses or fix the model's contribution spec"
            )
    y = pd.to_numeric(data[outcome], errors="coerce").to_numpy(float)
    a = codes_text(data[exposure])
    keep = ~np.isnan(y) & a.notna().to_numpy()
    blocks, names = [], []
    for variable in adjust_for:
        block, labels, observed = _covariate(data[variable], variable, codebook)
        keep &= observed
        blocks.append(block)
        names += labels
    if binary and np.any((y[keep] != 0) & (y[keep] != 1)):
        raise AnalysisError(f"outcome {outcome!r} is treated as 0/1 but has other values")
    levels = tuple(sorted(a[keep].unique(), key=code_sort_key))
    if len(levels) < 2:
        raise AnalysisError(
            f"contribution of {exposure!r} to {outcome!r}: the exposure has fewer than two "
            "observed levels in the analysis sample"
        )
    covariates = np.column_stack(blocks) if blocks else np.zeros((len(data), 0))
    covariates = np.where(keep[:, None], covariates, 0.0)
    # drop dummies that are constant in the analysis sample (empty levels)
    useful = [j for j in range(covariates.shape[1]) if np.ptp(covariates[keep, j]) > 0]
    return ContributionData(
        y=np.where(keep, y, 0.0),
        exposure=np.where(keep, a.fillna("").to_numpy(str), ""),
        levels=levels,
        covariates=covariates[:, useful],
        covariate_names=tuple(names[j] for j in useful),
        w=design.weights.to_numpy(float) * keep,
        keep=keep,
        binary=binary,
    )


def _covariate(
    column: pd.Series, name: str, codebook: Codebook | None
) -> tuple[np.ndarray, list[str], np.ndarray]:
    var = codebook.variables.get(name) if codebook is not None else None
    numeric = pd.to_numeric(column, errors="coerce")
    categorical = (var is not None and var.type == "categorical") or (
        var is None and numeric.notna().sum() < column.notna().sum()
    )
    if not categorical and var is None and numeric.notna().any():
        categorical = numeric.dropna().nunique() <= 10 and (numeric.dropna() % 1 == 0).all()
    if not categorical:
        return numeric.to_numpy(float)[:, None], [name], numeric.notna().to_numpy()
    text = codes_text(numeric if numeric.notna().sum() == column.notna().sum() else column)
    levels = sorted(text.dropna().unique(), key=code_sort_key)
    block = np.column_stack(
        [(text == lv).to_numpy(float) for lv in levels[1:]] or [np.zeros(len(column))]
    )
    labels = [f"{name}={lv}" for lv in levels[1:]] or [f"{name}=constant"]
    return block, labels, text.notna().to_numpy()
