"""Analysis variables and domains: from data frame columns to numeric matrices.

Numeric (and boolean) columns stay numbers; categorical columns (pandas ``category`` or strings)
become one 0/1 indicator column per level, as R's ``model.matrix(~0 + x)`` does, so their means are
proportions and their totals are counts. Missing values stay ``NaN`` in every indicator of the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ci_eval.errors import DesignError


@dataclass(frozen=True)
class AnalysisMatrix:
    """Columns ready for estimation.

    Attributes
    ----------
    values : (n, p) floats, ``NaN`` where missing.
    variable : the source column of each of the p columns.
    level : the category of each column (``None`` for a numeric variable).
    missing : (n,) True where any column is missing (R's ``na.rm`` drops these rows).
    """

    values: np.ndarray
    variable: tuple[str, ...]
    level: tuple[str | None, ...]
    missing: np.ndarray


def as_list(value: str | Sequence[str] | None) -> list[str]:
    """A column name or a sequence of them, as a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def check_columns(df: pd.DataFrame, names: Sequence[str], role: str) -> None:
    """Raise a :class:`DesignError` naming the first column that is not in ``df``."""
    for name in names:
        if name not in df.columns:
            cols = ", ".join(map(str, list(df.columns)[:15]))
            raise DesignError(f"{role} {name!r} is not a column of the data (columns: {cols}...)")


def is_categorical(col: pd.Series) -> bool:
    """True for pandas categoricals and string/object columns."""
    return (
        isinstance(col.dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(col.dtype)
        or col.dtype == object
    )


def levels_of(col: pd.Series) -> list:
    """The levels of a categorical column: its categories, or its sorted distinct values."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return list(col.cat.categories)
    values = col.dropna().unique()
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def numeric_column(df: pd.DataFrame, name: str, role: str = "analysis variable") -> np.ndarray:
    """A numeric (or boolean) column as floats with ``NaN`` for missing values."""
    check_columns(df, [name], role)
    col = df[name]
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "biuf":
        return col.to_numpy(dtype=float)  # plain numpy column: no missing-value mask to map
    if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
        return col.to_numpy(dtype=float, na_value=np.nan)
    raise DesignError(
        f"{role} {name!r} must be numeric, but has dtype {col.dtype}; convert it, or use it as a "
        "categorical variable where the estimator allows (proportions per level)"
    )


def analysis_matrix(df: pd.DataFrame, names: str | Sequence[str]) -> AnalysisMatrix:
    """Build the analysis matrix for ``names`` (numeric columns, or indicators per level).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [1.0, 2.0, None], "g": ["b", "a", "b"]})
    >>> m = analysis_matrix(df, ["x", "g"])
    >>> m.variable, m.level
    (('x', 'g', 'g'), (None, 'a', 'b'))
    >>> m.missing.tolist()
    [False, False, True]
    """
    names = as_list(names)
    if not names:
        raise DesignError("no analysis variable was given")
    check_columns(df, names, "analysis variable")
    blocks: list[np.ndarray] = []
    variable: list[str] = []
    level: list[str | None] = []
    for name in names:
        col = df[name]
        if is_categorical(col):
            levs = levels_of(col)
            if not levs:
                raise DesignError(f"categorical variable {name!r} has no non-missing value")
            codes = pd.Categorical(col, categories=levs).codes
            for j in range(len(levs)):
                ind = (codes == j).astype(float)
                ind[codes < 0] = np.nan
                blocks.append(ind)
            variable += [name] * len(levs)
            level += [str(lev) for lev in levs]
        else:
            blocks.append(numeric_column(df, name))
            variable.append(name)
            level.append(None)
    # Fortran order: every estimator works column by column, and columns are contiguous
    values = np.empty((len(df), len(blocks)), order="F")
    missing = np.zeros(len(df), dtype=bool)
    for j, block in enumerate(blocks):
        values[:, j] = block
        missing |= np.isnan(block)
    return AnalysisMatrix(
        values=values,
        variable=tuple(variable),
        level=tuple(level),
        missing=missing,
    )


@dataclass(frozen=True)
class Domains:
    """Domain membership of every row for ``by=`` estimates.

    ``code[i]`` is the domain of row ``i`` (``-1`` where a by-variable is missing), and ``table``
    has one row per domain that occurs, holding the by-values, in sorted order.
    """

    code: np.ndarray
    table: pd.DataFrame

    @property
    def count(self) -> int:
        return len(self.table)


def domains(df: pd.DataFrame, by: str | Sequence[str] | None) -> Domains:
    """Domains defined by the distinct combinations of the ``by`` columns that occur.

    Examples
    --------
    >>> import pandas as pd
    >>> d = domains(pd.DataFrame({"g": ["b", "a", "b", None]}), "g")
    >>> d.code.tolist(), d.table["g"].tolist()
    ([1, 0, 1, -1], ['a', 'b'])
    """
    names = as_list(by)
    n = len(df)
    if not names:
        return Domains(code=np.zeros(n, dtype=np.int64), table=pd.DataFrame(index=[0]))
    check_columns(df, names, "by variable")
    codes = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    level_lists = []
    for name in names:
        col = df[name]
        levs = levels_of(col) if is_categorical(col) else sorted(col.dropna().unique())
        c = pd.Categorical(col, categories=levs).codes.astype(np.int64)
        miss = c < 0
        c[miss] = 0
        missing |= miss
        codes = codes * len(levs) + c
        level_lists.append(levs)
    size = int(np.prod([len(levs) for levs in level_lists], dtype=float))
    present = codes[~missing]
    if size <= 4 * n + 1024:  # dense lookup: one pass, no sort
        used = np.flatnonzero(np.bincount(present, minlength=size))
        lookup = np.full(size, -1, dtype=np.int64)
        lookup[used] = np.arange(used.size)
        dense = lookup[present]
    else:
        used, dense = np.unique(present, return_inverse=True)
    code = np.full(n, -1, dtype=np.int64)
    code[~missing] = dense
    table = {}
    rem = used.copy()
    for name, levs in zip(reversed(names), reversed(level_lists), strict=True):
        table[name] = [levs[i] for i in rem % len(levs)]
        rem = rem // len(levs)
    frame = pd.DataFrame({name: table[name] for name in names})
    return Domains(code=code, table=frame)
