"""Population margins: checking them against the data and mapping rows to their categories.

A categorical margin is a set of population totals, one per category of a column (a pandas
Series indexed by category); a numeric margin is one population total of a numeric column.
Categories are matched as text, so ``1`` in the data matches the index label ``"1"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from numbers import Real

import numpy as np
import pandas as pd
from scipy import sparse

from ci_eval.errors import WeightingError

#: margins whose grand totals differ by more than this (relative) are inconsistent
TOTALS_AGREE = 1e-6


@dataclass(frozen=True)
class CategoricalMargin:
    """Population totals of the categories of one column, matched to the rows.

    Attributes
    ----------
    variable : the column.
    levels : the categories that have a population total and sample rows, in the order given.
    targets : (L,) population totals of ``levels``.
    code : (n,) index into ``levels`` of each row's category.
    """

    variable: str
    levels: tuple[str, ...]
    targets: np.ndarray
    code: np.ndarray

    @cached_property
    def grouping(self) -> sparse.csr_matrix:
        """(L, n) sparse 0/1 matrix: row ``g`` picks the rows of category ``g``."""
        n = self.code.size
        return sparse.csr_matrix(
            (np.ones(n), (self.code, np.arange(n))), shape=(len(self.levels), n)
        )

    def totals(self, weights: np.ndarray) -> np.ndarray:
        """(L, k) weighted counts per category of the columns of ``weights`` (n, k) or (n,)."""
        if weights.ndim == 1:
            return np.bincount(self.code, weights=weights, minlength=len(self.levels))
        return np.asarray(self.grouping @ weights)


def as_totals(totals: object, name: str) -> pd.Series:
    """Population totals as a float Series indexed by category text; rejects NaN and negatives."""
    if isinstance(totals, pd.Series):
        series = totals
    elif isinstance(totals, Mapping):
        series = pd.Series(dict(totals))
    else:
        raise WeightingError(
            f"the population totals of {name!r} must be a pandas Series (or a dict) of "
            f"category -> total, not {type(totals).__name__}"
        )
    if series.empty:
        raise WeightingError(f"the population totals of {name!r} are empty")
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    labels = [str(k) for k in series.index]
    if len(set(labels)) != len(labels):
        raise WeightingError(f"the population totals of {name!r} name a category twice")
    for label, value in zip(labels, values, strict=True):
        _check_total(value, f"the population total of category {label!r} of {name!r}")
    return pd.Series(values, index=labels, dtype=float)


def _check_total(value: float, what: str) -> None:
    if math.isnan(value) or math.isinf(value):
        raise WeightingError(f"{what} is {value}; give a finite number")
    if value < 0:
        raise WeightingError(f"{what} is negative ({value:g}); population totals are counts")


def numeric_total(total: object, name: str) -> float:
    """A numeric margin's population total, checked."""
    if isinstance(total, bool) or not isinstance(total, Real | np.number):
        raise WeightingError(
            f"the population total of the numeric variable {name!r} must be a number, "
            f"not {type(total).__name__}"
        )
    value = float(total)
    if math.isnan(value) or math.isinf(value):
        raise WeightingError(f"the population total of {name!r} is {value}; give a finite number")
    return value


def row_labels(data: pd.DataFrame, variable: str, role: str) -> tuple[np.ndarray, list[str]]:
    """Each row's category of ``variable``: codes (n,) into the distinct labels (as text).

    Errors on a missing column or value.

    Examples
    --------
    >>> import pandas as pd
    >>> codes, labels = row_labels(pd.DataFrame({"g": [2, 1, 2]}), "g", "margin")
    >>> codes.tolist(), labels
    ([0, 1, 0], ['2', '1'])
    """
    if variable not in data.columns:
        cols = ", ".join(map(str, list(data.columns)[:15]))
        raise WeightingError(
            f"{role} variable {variable!r} is not a column of the data (columns: {cols}...)"
        )
    col = data[variable]
    missing = col.isna().to_numpy()
    if missing.any():
        raise WeightingError(
            f"{role} variable {variable!r} has {int(missing.sum())} missing values (first at "
            f"row {int(np.flatnonzero(missing)[0])}); every row needs a category with a "
            "population total: recode the missing values to a category of their own"
        )
    codes, uniques = pd.factorize(col, sort=False)
    text = [str(u) for u in uniques]
    labels = list(dict.fromkeys(text))  # values that print alike (1 and "1") are one category
    if len(labels) < len(text):
        position = {lab: i for i, lab in enumerate(labels)}
        codes = np.asarray([position[t] for t in text], dtype=np.int64)[codes]
    return np.asarray(codes, dtype=np.int64), labels


def categorical_margin(
    data: pd.DataFrame,
    variable: str,
    totals: object,
    weights: np.ndarray,
    role: str = "margin",
    partial: bool = False,
) -> CategoricalMargin:
    """Match a categorical margin to the data (R ``postStratify``'s checks).

    Every category in the data needs a positive population total and a positive weighted count;
    a category with a total but no rows is an error unless ``partial`` (then it is ignored, as R's
    ``partial=TRUE``). A category with a zero total and no rows is dropped silently, as R does.
    """
    series = as_totals(totals, variable)
    row_code, present = row_labels(data, variable, role)
    counts = np.bincount(row_code, minlength=len(present))
    rows_of = dict(zip(present, counts.tolist(), strict=True))
    for label in present:
        if label not in series.index:
            raise WeightingError(
                f"category {label!r} of {variable!r} has {rows_of[label]} rows but no population "
                f"total; add it to the {role} totals (given: {', '.join(series.index)})"
            )
        if series[label] == 0:
            raise WeightingError(
                f"category {label!r} of {variable!r} has {rows_of[label]} rows but a population "
                "total of 0; correct the total or drop those rows"
            )
    absent = [lev for lev in series.index if lev not in rows_of and series[lev] != 0]
    if absent and not partial:
        raise WeightingError(
            f"the {role} totals of {variable!r} name categories with no rows in the data: "
            f"{', '.join(absent)}; correct the category names, or pass partial=True to ignore "
            "them (the weights then sum to less than the population)"
        )
    levels = tuple(lev for lev in series.index if lev in rows_of)
    index = {lev: i for i, lev in enumerate(levels)}
    code = np.asarray([index[lab] for lab in present], dtype=np.int64)[row_code]
    margin = CategoricalMargin(variable, levels, series[list(levels)].to_numpy(), code)
    weighted = margin.totals(np.asarray(weights, dtype=float))
    empty = np.flatnonzero(weighted <= 0)
    if empty.size:
        lev = levels[int(empty[0])]
        raise WeightingError(
            f"category {lev!r} of {variable!r} has rows but a weight total of 0, so no "
            "re-weighting can reach its population total; check the input weights"
        )
    return margin


def check_grand_totals(margins: Mapping[str, float]) -> float:
    """The common grand total of categorical margins; error if they disagree (relative 1e-6)."""
    names = list(margins)
    first = margins[names[0]]
    for name in names[1:]:
        other = margins[name]
        if abs(other - first) > TOTALS_AGREE * max(abs(first), abs(other)):
            raise WeightingError(
                f"the margins disagree on the population size: {names[0]!r} sums to {first:.10g} "
                f"but {name!r} sums to {other:.10g}; margins of one population must have the "
                "same grand total"
            )
    return first
