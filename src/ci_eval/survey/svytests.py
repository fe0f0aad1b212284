"""Design-based tests: the difference of two domain means and tests of association in a 2-way table.

* :func:`svyttest` is R ``survey``'s ``svyttest(y ~ g, design)``: the coefficient of the group
  indicator in the gaussian survey regression of ``y`` on it, i.e. mean(second level) - mean(first
  level), tested with t on the regression's residual degrees of freedom.
* :func:`svychisq` is R's ``svychisq(~a + b, design)``: Pearson's X^2 of the weighted table scaled
  to the sample size, corrected for the design by the generalised design effects (the eigenvalues
  of ``Delta``, Rao and Scott 1981, 1984) -- ``"F"`` (default): second-order correction as an F
  statistic ``X^2 / tr(Delta)`` on ``d0 = tr(Delta)^2 / tr(Delta^2)`` and ``d0 * nu`` degrees of
  freedom (Thomas and Rao 1987); ``"Chisq"``: first-order, ``X^2 / mean(eigenvalues)`` on
  ``(r-1)(c-1)`` df, reporting X^2 as R does; ``"Wald"`` and ``"adjWald"``: Wald tests of the
  interaction contrasts of the cell totals (Koch et al. 1975; the adjusted form rescales by
  ``(nu - k + 1) / (k nu)``); ``"lincom"`` and ``"saddlepoint"``: X^2 referred to its asymptotic
  distribution, a linear combination of chi-squares weighted by the design effects, exactly
  (Imhof's inversion, where R uses Davies' algorithm) or by R's saddlepoint approximation
  (:mod:`ci_eval.survey.chisq_mixtures`). ``nu`` is the design degrees of freedom.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ci_eval.errors import DesignError
from ci_eval.survey.chisq_mixtures import lincom_upper, saddlepoint_mixture_upper
from ci_eval.survey.design_covariance import (
    analysis_degf,
    in_analysis,
    mean_covariance,
    total_covariance,
)
from ci_eval.survey.glm import fit_model_frame
from ci_eval.survey.model_frame import ModelFrame
from ci_eval.survey.variables import check_columns, numeric_column

CHISQ_STATISTICS = ("F", "Chisq", "Wald", "adjWald", "lincom", "saddlepoint")


def svyttest(design: Any, var: str, by: str, conf_level: float = 0.95) -> pd.DataFrame:
    """Design-based t-test of the difference of the means of ``var`` between two groups.

    The estimate is mean(second level of ``by``) - mean(first level), levels in sorted order (a
    category column's own order); rows with a missing ``var`` or ``by`` leave the estimate, not the
    design. Returns one row: ``variable, by, contrast, estimate, se, ci_low, ci_high, statistic,
    df, p_value, n``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.survey import SurveyDesign
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0, 6.0, 7.0], "g": list("aaabbb"),
    ...                    "w": [1.0, 1.0, 2.0, 1.0, 2.0, 1.0]})
    >>> t = svyttest(SurveyDesign(df, weights="w"), "y", by="g")
    >>> t[["contrast", "estimate", "df"]].round(6).to_dict("records")
    [{'contrast': 'b - a', 'estimate': 3.75, 'df': 4.0}]
    """
    y = numeric_column(design.data, var)
    check_columns(design.data, [by], "by variable")
    group = design.data[by].reset_index(drop=True)
    rows = np.flatnonzero(~np.isnan(y) & group.notna().to_numpy() & in_analysis(design))
    levels = _observed_levels(group, rows)
    if len(levels) != 2:
        shown = ", ".join(map(str, levels[:6]))
        raise DesignError(
            f"ttest needs a by variable with exactly two groups, but {by!r} has {len(levels)} "
            f"among the rows with {var!r}: {shown}; recode it or choose two groups first"
        )
    second = (group.iloc[rows] == levels[1]).to_numpy(dtype=float)
    term = f"{by}[T.{levels[1]}]"
    mf = ModelFrame(
        formula=f"{var} ~ {by}",
        response=var,
        y=y[rows],
        X=np.column_stack([np.ones(rows.size), second]),
        terms=("Intercept", term),
        rows=rows,
    )
    coef = fit_model_frame(design, mf, "gaussian").summary_frame(conf_level).iloc[1]
    return pd.DataFrame(
        {
            "variable": [var],
            "by": [by],
            "contrast": [f"{levels[1]} - {levels[0]}"],
            **{k: [coef[k]] for k in ("estimate", "se", "ci_low", "ci_high", "statistic")},
            "df": [float(coef["df"])],
            "p_value": [coef["p_value"]],
            "n": [int(coef["n"])],
        }
    )


def svychisq(design: Any, a: str, b: str, statistic: str = "F") -> pd.DataFrame:
    """Test of association between the categorical variables ``a`` and ``b`` (module docstring).

    Returns one row: ``method, statistic, ndf, ddf, df, p_value, n`` (``ndf``/``ddf`` for the F
    forms, ``df`` for ``"Chisq"``, NaN where not applicable). Rows with a missing ``a`` or ``b``
    leave the estimate (R's ``na.rm = TRUE``).

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.survey import SurveyDesign
    >>> df = pd.DataFrame({"a": list("xxyyxxyy"), "b": list("uvuvuuvv")})
    >>> res = svychisq(SurveyDesign(df, weights=[1.0] * 8), "a", "b", statistic="Chisq")
    >>> res[["statistic", "df"]].to_dict("records")
    [{'statistic': 2.0, 'df': 1.0}]
    """
    if statistic not in CHISQ_STATISTICS:
        raise DesignError(
            f"chisq statistic={statistic!r} is not supported; use one of "
            f"{', '.join(CHISQ_STATISTICS)}"
        )
    check_columns(design.data, [a, b], "chisq variable")
    col_a = design.data[a].reset_index(drop=True)
    col_b = design.data[b].reset_index(drop=True)
    # categories of the respondents in the analysis (a positive weight and both values): an
    # empty row or column would make Pearson's X^2 undefined (R then returns NaN)
    analysed = in_analysis(design)
    both = np.flatnonzero(col_a.notna().to_numpy() & col_b.notna().to_numpy() & analysed)
    lev_a, lev_b = _observed_levels(col_a, both), _observed_levels(col_b, both)
    for name, levs in ((a, lev_a), (b, lev_b)):
        if len(levs) < 2:
            raise DesignError(
                f"chisq needs at least two categories in {name!r} among the respondents with "
                f"both {a!r} and {b!r}, found {len(levs)}"
            )
    nr, nc = len(lev_a), len(lev_b)
    code_a = _codes(col_a, lev_a)
    code_b = _codes(col_b, lev_b)
    rows = np.flatnonzero((code_a >= 0) & (code_b >= 0) & analysed)
    cell = code_a.astype(np.int64) + nr * code_b.astype(np.int64)
    cells = np.zeros((len(col_a), nr * nc))
    cells[rows, cell[rows]] = 1.0
    grid_rows = np.tile(np.arange(nr), nc)
    grid_cols = np.repeat(np.arange(nc), nr)
    nu = analysis_degf(design)
    w = design.sampling_weights
    if statistic in ("Wald", "adjWald"):
        return _wald(design, cells, rows, grid_rows, grid_cols, nr, nc, nu, statistic)
    n_total = float(np.count_nonzero(analysed))
    table = (w[rows] @ cells[rows]).reshape(nc, nr).T
    pearson = _pearson(table * n_total / table.sum())
    props, cov = mean_covariance(design, cells, rows)
    delta = _design_effects(props, cov, grid_rows, grid_cols, nr, nc, n_total)
    trace = float(np.trace(delta))
    if statistic == "F":
        ndf = trace**2 / float(np.trace(delta @ delta))
        f_stat = pearson / trace
        p = float(stats.f.sf(f_stat, ndf, ndf * nu))
        return _chisq_frame("Rao-Scott F", f_stat, ndf, ndf * nu, np.nan, p, rows.size)
    if statistic in ("lincom", "saddlepoint"):
        # Taylor designs refer X^2 to the mixture with an F-type denominator on d0 * nu df (R's
        # pFsum); replicate designs to the chi-squared mixture itself (R's pchisqsum)
        ndf = trace**2 / float(np.trace(delta @ delta))
        ddf = np.inf if design.is_replicate else ndf * nu
        effects = np.sort(np.linalg.eigvals(delta).real)[::-1]
        tail = lincom_upper if statistic == "lincom" else saddlepoint_mixture_upper
        p = tail(pearson, effects, ddf)
        method = "Pearson X^2, " + (
            "exact mixture of chi-squares" if statistic == "lincom" else "saddlepoint"
        )
        return _chisq_frame(method, pearson, np.nan, np.nan, np.nan, p, rows.size)
    df = float(delta.shape[0])
    p = float(stats.chi2.sf(pearson / (trace / df), df))
    return _chisq_frame("Rao-Scott chi-squared", pearson, np.nan, np.nan, df, p, rows.size)


def _codes(col: pd.Series, levels: list) -> np.ndarray:
    """Position of each value in ``levels`` (-1 for missing values and other categories)."""
    return pd.Categorical(col.where(col.isin(levels)), categories=levels).codes


def _observed_levels(col: pd.Series, rows: np.ndarray) -> list:
    """Levels that occur in ``rows``: a category column's order, else sorted values."""
    present = col.iloc[rows].dropna()
    if isinstance(col.dtype, pd.CategoricalDtype):
        seen = set(present.unique())
        return [lev for lev in col.cat.categories if lev in seen]
    values = present.unique()
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _pearson(table: np.ndarray) -> float:
    """Pearson's X^2 of a two-way table of counts (no continuity correction)."""
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    return float(np.sum((table - expected) ** 2 / expected))


def _interaction_contrasts(
    grid_rows: np.ndarray, grid_cols: np.ndarray, nr: int, nc: int
) -> np.ndarray:
    """Interaction columns of the saturated model, made orthogonal to the main effects."""
    main = np.column_stack(
        [np.ones(nr * nc)]
        + [(grid_rows == i).astype(float) for i in range(1, nr)]
        + [(grid_cols == j).astype(float) for j in range(1, nc)]
    )
    inter = np.column_stack(
        [
            ((grid_rows == i) & (grid_cols == j)).astype(float)
            for j in range(1, nc)
            for i in range(1, nr)
        ]
    )
    coef, *_ = np.linalg.lstsq(main, inter, rcond=None)
    return inter - main @ coef


def _design_effects(
    props: np.ndarray,
    cov: np.ndarray,
    grid_rows: np.ndarray,
    grid_cols: np.ndarray,
    nr: int,
    nc: int,
    n_total: float,
) -> np.ndarray:
    """Rao and Scott's ``Delta``: design over multinomial covariance on the interaction contrasts.

    Its eigenvalues are the generalised design effects.
    """
    contrasts = _interaction_contrasts(grid_rows, grid_cols, nr, nc)
    with np.errstate(divide="ignore"):
        inv_p = np.where(props == 0, 0.0, 1.0 / props)
    scaled = contrasts * inv_p[:, None]
    denom = contrasts.T @ scaled / n_total
    numer = scaled.T @ cov @ scaled
    return np.linalg.solve(denom, numer)


def _wald(
    design: Any,
    cells: np.ndarray,
    rows: np.ndarray,
    grid_rows: np.ndarray,
    grid_cols: np.ndarray,
    nr: int,
    nc: int,
    nu: float,
    statistic: str,
) -> pd.DataFrame:
    """Wald test that the cell totals equal row total x column total / total (R's ``svychisq``)."""
    k_cells = nr * nc
    row_ind = np.column_stack([cells[:, grid_rows == i].sum(axis=1) for i in range(nr)])
    col_ind = np.column_stack([cells[:, grid_cols == j].sum(axis=1) for j in range(nc)])
    values = np.column_stack([cells, row_ind, col_ind, np.ones(len(cells))])
    totals, cov = total_covariance(design, values, rows)
    t_cell, t_row, t_col, t_all = (
        totals[:k_cells],
        totals[k_cells : k_cells + nr],
        totals[k_cells + nr : k_cells + nr + nc],
        totals[-1],
    )
    jac = np.column_stack(
        [
            np.eye(k_cells),
            -(grid_rows[:, None] == np.arange(nr)).astype(float)
            * (t_col[grid_cols] / t_all)[:, None],
            -(grid_cols[:, None] == np.arange(nc)).astype(float)
            * (t_row[grid_rows] / t_all)[:, None],
            t_row[grid_rows] * t_col[grid_cols] / t_all**2,
        ]
    )
    resid = t_cell - t_row[grid_rows] * t_col[grid_cols] / t_all
    v = jac @ cov @ jac.T
    use = np.flatnonzero((grid_rows > 0) & (grid_cols > 0))
    wald = float(resid[use] @ np.linalg.solve(v[np.ix_(use, use)], resid[use]))
    ndf = float((nr - 1) * (nc - 1))
    if statistic == "Wald":
        f_stat, ddf = wald / ndf, nu
    else:
        ddf = nu - ndf + 1
        f_stat = wald * ddf / (ndf * nu)
    p = float(stats.f.sf(f_stat, ndf, ddf))
    method = "Wald F" if statistic == "Wald" else "adjusted Wald F"
    return _chisq_frame(method, f_stat, ndf, ddf, np.nan, p, rows.size)


def _chisq_frame(
    method: str, statistic: float, ndf: float, ddf: float, df: float, p: float, n: int
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "method": [method],
            "statistic": [float(statistic)],
            "ndf": [float(ndf)],
            "ddf": [float(ddf)],
            "df": [float(df)],
            "p_value": [p],
            "n": [int(n)],
        }
    )
