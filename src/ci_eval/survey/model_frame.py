"""From a model formula and a data frame to a response vector and a design matrix.

Formulas are read by ``formulaic`` (Wilkinson-Rogers notation, as R and patsy): numeric columns
stay numbers, string and ``category`` columns are categorical with treatment coding against their
first level (sorted values, or the categories' order), and terms are named as formulaic names them:
``Intercept``, ``ell``, ``stype[T.H]``. Rows with a missing value in any model variable leave the
fit; :attr:`ModelFrame.rows` says which rows stay, so the design can keep the others (R's
``na.action = na.omit`` followed by ``design[-nas, ]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ci_eval.errors import ModelError

_ANSI = re.compile(r"\x1b\[[0-9;]*m|[\u29db\u29da]")


@dataclass(frozen=True)
class ModelFrame:
    """The numbers a regression is fitted to.

    Attributes
    ----------
    formula : the formula as given.
    response : name of the response.
    y : (k,) response of the rows that stay.
    X : (k, p) design matrix of the rows that stay.
    terms : the p column names (``Intercept``, ``x``, ``g[T.b]``).
    rows : (k,) positions (0-based, in the data) of the rows that stay.
    spec : the formula's model specification (``formulaic.ModelSpec``), which builds the
        design matrix of new data (``spec.get_model_matrix(frame)``); None for a hand-built
        frame.
    """

    formula: str
    response: str
    y: np.ndarray
    X: np.ndarray
    terms: tuple[str, ...]
    rows: np.ndarray
    spec: Any = None


def _formula_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns as the formula library reads them: nullable numbers as floats with NaN, nullable
    strings as categories (their missing values stay missing)."""
    changed = {}
    for name, col in frame.items():
        dtype = col.dtype
        if isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA:
            changed[name] = col.astype(object).where(col.notna(), None).astype("category")
        elif isinstance(dtype, pd.api.extensions.ExtensionDtype) and (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        ):
            changed[name] = col.to_numpy(dtype=float, na_value=np.nan)
    return frame.assign(**changed) if changed else frame


def model_frame(data: pd.DataFrame, formula: str) -> ModelFrame:
    """Build the response and design matrix of ``formula`` on ``data``, dropping incomplete rows.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, None, 4.0], "x": [0.5, 1.5, 2.5, 3.5],
    ...                    "g": ["b", "a", "a", "b"]})
    >>> mf = model_frame(df, "y ~ x + g")
    >>> mf.terms, mf.rows.tolist()
    (('Intercept', 'x', 'g[T.b]'), [0, 1, 3])
    """
    from formulaic import model_matrix
    from formulaic.errors import FormulaicError

    if not isinstance(formula, str) or "~" not in formula:
        raise ModelError(
            f"model formula {formula!r} needs a response and a tilde, e.g. 'api00 ~ ell + meals'"
        )
    frame = _formula_ready(data.reset_index(drop=True))
    try:
        mm = model_matrix(formula, frame, na_action="drop")
    except FormulaicError as exc:
        first = _ANSI.sub("", str(exc)).strip().splitlines()[0]
        raise ModelError(
            f"model formula {formula!r} cannot be used with this data: {first} "
            "(check the column names and the formula syntax)"
        ) from exc
    lhs, rhs = mm.lhs, mm.rhs
    if lhs.shape[1] != 1:
        raise ModelError(
            f"model formula {formula!r}: the response must be one numeric (or 0/1, boolean) "
            f"column, but it gives the columns {list(lhs.columns)}; recode it to a number first"
        )
    rows = np.asarray(rhs.index, dtype=np.int64)
    if len(rows) == 0:
        raise ModelError(f"model formula {formula!r}: no row has a value for every model variable")
    return ModelFrame(
        formula=formula,
        response=str(lhs.columns[0]),
        y=np.asarray(lhs.iloc[:, 0], dtype=float),
        X=np.asarray(rhs, dtype=float),
        terms=tuple(str(c) for c in rhs.columns),
        rows=rows,
        spec=rhs.model_spec,
    )
