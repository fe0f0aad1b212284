"""Estimators shared by every design class.

Every estimator here is a ratio of weighted totals, ``T(num) / T(den)`` (a total when there is no
denominator), possibly within domains. A design class supplies two things:

* ``_ratio_stat``: the estimates and their variances for such ratios (Taylor linearisation in
  :class:`~ci_eval.survey.design.SurveyDesign`, replicate weights in a replicate design);
* ``_degf``: the design degrees of freedom of a set of rows.

Missing values follow R's ``na.rm`` semantics: without ``na_rm`` a column with a missing value in a
domain gives a missing estimate there; with ``na_rm`` the rows with a missing value in any of the
call's variables leave the estimate, never the design (their PSUs and strata stay).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from ci_eval.errors import DesignError
from ci_eval.survey.frames import critical_value, result_frame
from ci_eval.survey.quantile import check_qrule, score_interval, weighted_quantile
from ci_eval.survey.variables import (
    AnalysisMatrix,
    Domains,
    analysis_matrix,
    as_list,
    check_columns,
    domains,
    is_categorical,
    numeric_column,
)

CIPROP_METHODS = ("logit", "likelihood", "xlogit", "mean", "asin", "beta")
#: R's svyquantile interval.type values: "score" for Taylor designs only, "quantile" for
#: replicate designs only (as R's svyquantile methods for the two kinds of design)
QUANTILE_INTERVALS = ("mean", "beta", "xlogit", "asin", "score", "quantile")
#: the named rules of the ``df=`` argument of the estimators (see :meth:`DesignBase.mean`)
DF_RULES = ("design", "estimate")


class DesignBase:
    """Estimator methods over ``_ratio_stat`` and ``_degf`` (see the module docstring)."""

    data: pd.DataFrame
    _w: np.ndarray
    _subset: np.ndarray | None = None
    #: True for a replicate-weight design (variances from replicates, not linearisation)
    is_replicate: bool = False
    #: what the last weighting step did (set by ``ci_eval.survey.weighting``), else None
    weighting_diagnostics = None

    # --- what a design class provides ------------------------------------------------------

    def _ratio_stat(
        self,
        num: np.ndarray,
        den: np.ndarray | None,
        keep: np.ndarray,
        domain: np.ndarray,
        n_domains: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Estimates and variances, both (n_domains, p), of ``T_d(num) / T_d(den)``.

        ``num`` is (n, p) and ``den`` (n, p) or (n, 1) or None (totals); both are zero where
        ``keep`` is False. ``domain`` gives each kept row's domain code.
        """
        raise NotImplementedError

    def _degf(self, rows: np.ndarray | None = None) -> float:
        """Design degrees of freedom of the design restricted to ``rows``."""
        raise NotImplementedError

    def _logit_var(
        self,
        num: np.ndarray,
        den: np.ndarray,
        keep: np.ndarray,
        domain: np.ndarray,
        n_domains: int,
        est: np.ndarray,
        var: np.ndarray,
    ) -> np.ndarray:
        """Variance of ``logit(T(num) / T(den))`` for ``ciprop(method="logit")``.

        R fits an intercept-only quasibinomial ``svyglm``; under linearisation its variance is
        the delta method's, ``var / (p (1 - p))^2``. Replicate designs refit per replicate.
        """
        return var / (est * (1 - est)) ** 2

    # --- public -----------------------------------------------------------------------------

    @property
    def weights(self) -> pd.Series:
        """The sampling weights, aligned with the data."""
        return pd.Series(self._w, index=self.data.index, name="weights")

    @property
    def sampling_weights(self) -> np.ndarray:
        """The sampling weights as a read-only array aligned with the data (R's
        ``weights(design)``)."""
        view = self._w.view()
        view.flags.writeable = False
        return view

    @property
    def subset_mask(self) -> np.ndarray | None:
        """Read-only (n,) True for the rows of the subpopulation (:meth:`subset` of a Taylor
        design), or None when the design is not a subset (replicate subsets drop rows)."""
        if self._subset is None:
            return None
        view = self._subset.view()
        view.flags.writeable = False
        return view

    @property
    def is_calibrated(self) -> bool:
        """True when a weighting step adjusted the influence values (a calibrated Taylor
        design, whose variances are residuals from the calibration model)."""
        return bool(getattr(self, "_calibration", ()))

    @property
    def degf(self) -> float:
        """Design degrees of freedom (R's ``degf``), of the subpopulation for a subset design.

        As R's ``degf(subset(design, ...))``: the PSUs minus the strata that keep a row of
        positive weight in the subset (a replicate design: the rank of its replicate weights).

        Examples
        --------
        >>> import pandas as pd
        >>> from ci_eval.survey import SurveyDesign
        >>> df = pd.DataFrame({"psu": [1, 2, 3, 4], "g": ["a", "a", "a", "b"]})
        >>> d = SurveyDesign(df, ids="psu", weights=[1.0] * 4)
        >>> d.degf, d.subset("g == 'a'").degf
        (3.0, 2.0)
        """
        if self._subset is None:
            return self._degf()
        return self._degf(np.flatnonzero(self._subset & (self._w != 0)))

    def degf_of(self, rows: np.ndarray) -> float:
        """Design degrees of freedom of the design restricted to the positions ``rows`` (R's
        ``degf(design[rows, ])``)."""
        return self._degf(np.asarray(rows))

    def mean(
        self,
        vars: str | Sequence[str],
        by: str | Sequence[str] | None = None,
        na_rm: bool = False,
        conf_level: float = 0.95,
        df: float | str | None = None,
    ) -> pd.DataFrame:
        """Weighted means (proportions per level for categorical variables), as ``svymean``.

        ``by`` gives domain estimates (as ``svyby``); ``df`` sets the intervals: ``None`` for
        normal intervals (R's ``confint`` default), a number for t on that many degrees of
        freedom, ``"design"`` for t on the design's degrees of freedom :attr:`degf` (R's
        ``confint(est, df = degf(design))``: one value for every domain, rows with a missing
        value included), or ``"estimate"`` for t on the degrees of freedom of the rows that enter
        each estimate (the PSUs of its domain that keep a value; a PSU whose values are all
        missing, or outside the domain, does not count).
        """
        am = analysis_matrix(self.data, vars)
        return self._linear(am, by, na_rm, conf_level, df, kind="mean")

    def total(
        self,
        vars: str | Sequence[str],
        by: str | Sequence[str] | None = None,
        na_rm: bool = False,
        conf_level: float = 0.95,
        df: float | str | None = None,
    ) -> pd.DataFrame:
        """Weighted totals (counts per level for categorical variables), as ``svytotal``."""
        am = analysis_matrix(self.data, vars)
        return self._linear(am, by, na_rm, conf_level, df, kind="total")

    def ratio(
        self,
        numerator: str | Sequence[str],
        denominator: str | Sequence[str],
        by: str | Sequence[str] | None = None,
        na_rm: bool = False,
        conf_level: float = 0.95,
        df: float | str | None = None,
    ) -> pd.DataFrame:
        """Ratios of totals ``T(numerator) / T(denominator)`` for every pair, as ``svyratio``.

        The variable is named ``"numerator/denominator"``.
        """
        nums, dens = as_list(numerator), as_list(denominator)
        x = {name: numeric_column(self.data, name) for name in dict.fromkeys(nums + dens)}
        missing = np.zeros(len(self.data), dtype=bool)
        for values in x.values():
            missing |= np.isnan(values)
        num = np.column_stack([x[a] for a in nums for _ in dens])
        den = np.column_stack([x[b] for _ in nums for b in dens])
        names = [f"{a}/{b}" for a in nums for b in dens]
        dom = self._domains(by)
        keep, bad = self._keep(dom, missing, np.isnan(num) | np.isnan(den), na_rm)
        est, var = self._ratio_stat(
            np.where(keep[:, None], np.nan_to_num(num), 0.0),
            np.where(keep[:, None], np.nan_to_num(den), 0.0),
            keep,
            np.maximum(dom.code, 0),
            dom.count,
        )
        return self._frame(names, [None] * len(names), dom, est, var, bad, keep, conf_level, df)

    def var(
        self,
        vars: str | Sequence[str],
        by: str | Sequence[str] | None = None,
        na_rm: bool = False,
        conf_level: float = 0.95,
        df: float | str | None = None,
    ) -> pd.DataFrame:
        """Population variance of numeric variables (divisor n - 1), as ``svyvar``.

        The standard error treats the mean as known, as R does (for a weighted mean it makes no
        difference to first order).
        """
        names = as_list(vars)
        x = np.column_stack([numeric_column(self.data, v) for v in names])
        dom = self._domains(by)
        keep, bad = self._keep(dom, np.isnan(x).any(axis=1), np.isnan(x), na_rm)
        code = np.maximum(dom.code, 0)
        x0 = np.where(keep[:, None], np.nan_to_num(x), 0.0)
        ones = keep[:, None].astype(float)
        xbar, _ = self._ratio_stat(x0, ones, keep, code, dom.count)
        in_dom = (dom.code >= 0) & (self._w != 0)
        n_d = np.bincount(code[in_dom], minlength=dom.count).astype(float)
        q = (x0 - xbar[code]) ** 2 * (n_d / (n_d - 1))[code][:, None]
        q = np.where(keep[:, None], q, 0.0)
        est, var = self._ratio_stat(q, ones, keep, code, dom.count)
        return self._frame(names, [None] * len(names), dom, est, var, bad, keep, conf_level, df)

    def quantile(
        self,
        vars: str | Sequence[str],
        q: float | Sequence[float],
        by: str | Sequence[str] | None = None,
        na_rm: bool = False,
        conf_level: float = 0.95,
        qrule: str = "math",
        df: float | None = None,
        interval_type: str = "mean",
    ) -> pd.DataFrame:
        """Quantiles with confidence intervals, as R ``survey`` 4.x's ``svyquantile``.

        The quantile follows ``qrule``, one of R's rules (``"math"``, R's default, ``"school"``,
        ``"shahvaish"``, ``"hf1"`` to ``"hf9"``; :mod:`ci_eval.survey.quantile` says what each
        computes). The interval (``interval_type``, R's ``interval.type``) is Woodruff's but for
        ``"score"`` and ``"quantile"``: an interval for the estimated share of values at or below
        the quantile, mapped back through the rule (so the rule sets the ends too). The share's
        interval is ``"mean"`` (Wald, the default), ``"beta"``, ``"xlogit"`` or ``"asin"``, as
        :meth:`ciprop`'s methods of those names (t on the design degrees of freedom, or ``df``;
        ``beta`` always uses the design's, as R). The design degrees of freedom are those of the
        rows with a value: R's ``svyquantile(na.rm = TRUE)`` drops the other rows before it
        takes ``degf``, while ``svyciprop`` counts them (R is inconsistent here; ci_eval follows
        each). Taylor designs also offer ``"score"``: Fuller's interval, the quantiles whose
        score test does not reject, found with R's root finder step for step
        (:func:`ci_eval.survey.quantile.score_interval`; missing ends, with a warning, where R
        stops with an error). Replicate designs offer ``"quantile"`` instead: the quantile
        recomputed with every replicate's weights, a Wald interval on their variance. The
        standard error is the interval's width over twice the critical value, as R reports it.

        As R's ``svyquantile`` for replicate designs, a replicate design answers ``"beta"``,
        ``"xlogit"`` and ``"asin"`` with the ``"mean"`` interval (R does not pass the
        interval type on there; ci_eval follows it).

        Examples
        --------
        >>> import pandas as pd
        >>> from ci_eval.survey import SurveyDesign
        >>> d = SurveyDesign(pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 6, 7, 8]}), weights=[1.0] * 8)
        >>> float(d.quantile("y", 0.5, interval_type="beta")["estimate"].iloc[0])
        4.0
        """
        names = as_list(vars)
        probs = np.atleast_1d(np.asarray(q, dtype=float))
        if np.any((probs < 0) | (probs > 1)):
            raise DesignError(f"quantiles must lie in [0, 1], got {probs.tolist()}")
        self._check_quantile_interval(interval_type)
        check_qrule(qrule)
        x = np.column_stack([numeric_column(self.data, v) for v in names])
        dom = self._domains(by)
        x_missing = np.isnan(x).any(axis=1)
        keep, bad = self._keep(dom, x_missing, np.isnan(x), na_rm)
        code = np.maximum(dom.code, 0)
        n_dom, k = dom.count, probs.size
        shape = (n_dom, len(names) * k)
        est, se, lo, hi = (np.full(shape, np.nan) for _ in range(4))
        ones = keep[:, None].astype(float)
        rows_of = [np.flatnonzero(keep & (code == d)) for d in range(n_dom)]
        for j in range(len(names)):
            xj = x[:, j]
            qhat = np.full((n_dom, k), np.nan)
            for d, rows in enumerate(rows_of):
                for i, p in enumerate(probs):
                    qhat[d, i] = weighted_quantile(xj[rows], self._w[rows], p, qrule)
            below = np.where(keep[:, None], xj[:, None] <= qhat[code], False).astype(float)
            share, share_var = self._ratio_stat(below, ones, keep, code, n_dom)
            _exact_certain_shares(below, keep & (self._w != 0), code, share, share_var)
            for d, rows in enumerate(rows_of):
                if bad[d, j]:
                    continue
                ends, crit = self._quantile_ends(
                    interval_type,
                    xj,
                    rows,
                    x_missing & na_rm,
                    probs,
                    (qhat[d], share[d], share_var[d]),
                    conf_level,
                    df,
                    qrule,
                )
                cols = slice(j * k, (j + 1) * k)
                est[d, cols], lo[d, cols], hi[d, cols] = qhat[d], ends[:, 0], ends[:, 1]
                se[d, cols] = (ends[:, 1] - ends[:, 0]) / (2 * crit)
        variable = [v for v in names for _ in probs]
        level = [f"{p:g}" for _ in names for p in probs]
        bad_cols = np.repeat(bad, k, axis=1)
        for arr in (est, se, lo, hi):
            arr[bad_cols] = np.nan
        n = self._counts(dom, keep)
        return result_frame(
            variable,
            level,
            dom.table if by else None,
            est,
            se,
            lo,
            hi,
            np.repeat(n[:, None], len(variable), axis=1),
        )

    def _quantile_ends(
        self,
        interval_type: str,
        x: np.ndarray,
        rows: np.ndarray,
        zeroed: np.ndarray,
        probs: np.ndarray,
        estimates: tuple[np.ndarray, np.ndarray, np.ndarray],
        conf_level: float,
        df: float | None,
        qrule: str,
    ) -> tuple[np.ndarray, float]:
        """The (k, 2) interval ends of one domain's quantiles of ``x``, and the critical value.

        ``rows`` are the domain's rows in the estimate; ``estimates`` holds the quantiles at
        ``probs`` and the estimated shares at or below them with their variances.
        """
        qhat, share, share_var = estimates
        design_df = self._degf(rows[self._w[rows] != 0])
        dfd = design_df if df is None else df
        crit = critical_value(conf_level, dfd)
        ends = np.empty((probs.size, 2))
        for i, p in enumerate(probs):
            if interval_type == "quantile":
                half = crit * self._replicate_quantile_se(x, rows, p, qhat[i], qrule)
                ends[i] = qhat[i] - half, qhat[i] + half
            elif interval_type == "score":
                ends[i] = self._score_interval(x, rows, zeroed, p, crit, qrule)
            else:
                shares = self._share_interval(
                    share[i], share_var[i], interval_type, conf_level, dfd, design_df, len(rows)
                )
                ends[i] = [_quantile_at(x[rows], self._w[rows], s, qrule) for s in shares]
        return ends, crit

    def _check_quantile_interval(self, interval_type: str) -> None:
        wrong_kind = "score" if self.is_replicate else "quantile"
        allowed = [kind for kind in QUANTILE_INTERVALS if kind != wrong_kind]
        if interval_type not in allowed:
            raise DesignError(
                f"quantile interval_type={interval_type!r} is not supported for this design; "
                f"use one of {', '.join(allowed)} ('quantile' needs a replicate design, "
                "'score' a design with Taylor linearisation, as in R)"
            )

    def _score_interval(
        self,
        x: np.ndarray,
        rows: np.ndarray,
        zeroed: np.ndarray,
        p: float,
        crit: float,
        qrule: str,
    ) -> tuple[float, float]:
        """Fuller's score interval of a quantile (R's ``ffullerCI``; see
        :func:`ci_eval.survey.quantile.score_interval`) over the domain's ``rows``.

        R hands ``ffullerCI`` the rows of the domain's design: for a calibrated design every
        row (the others with weight 0; the ``zeroed`` ones, with a missing value under
        ``na.rm``, valued 0), else the domain's ``rows``. Those rows set R's search interval,
        tolerance and the share that maps each end back to a quantile, so ci_eval takes the
        same. Where R stops with an
        error (a missing value in a calibrated design's other rows; no sign change of the score
        in the search interval) the ends are missing, with a warning.
        """
        in_estimate = np.zeros(x.size, dtype=bool)
        in_estimate[rows] = True
        r_rows = np.arange(x.size) if self.is_calibrated else rows
        xr = np.where(zeroed[r_rows], 0.0, x[r_rows])
        w = np.where(in_estimate, self._w, 0.0)

        def zscore(theta: float) -> float:
            u = np.where(in_estimate, (x > theta) - (1 - p), 0.0)[:, None]
            zeros = np.zeros(x.size, dtype=np.int64)
            m, v = self._ratio_stat(u, in_estimate[:, None] * 1.0, in_estimate, zeros, 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                return float(m[0, 0] / np.sqrt(v[0, 0]))

        try:
            if np.isnan(xr).any():
                raise DesignError("a missing value among the design's rows (R's IQR fails)")
            return score_interval(xr, w[r_rows], p, zscore, crit, qrule)
        except DesignError as exc:
            warnings.warn(
                f"quantile(interval_type='score') for p = {p:g}: {exc}; the limits are "
                "missing (R stops with an error here)",
                UserWarning,
                stacklevel=3,
            )
            return float("nan"), float("nan")

    def _share_interval(
        self,
        share: float,
        var: float,
        interval_type: str,
        conf_level: float,
        df: float,
        design_df: float,
        n_rows: int,
    ) -> tuple[float, float]:
        """The interval of the share of values at or below a quantile (R's ``woodruffCI``).

        ``beta`` uses R's ``nrow(design)`` (every row of a calibrated design, else the domain's
        ``n_rows``) and the design's degrees of freedom, whatever ``df`` is, as R.
        """
        if interval_type == "beta":
            n_rows = len(self.data) if self.is_calibrated else n_rows
            df = design_df
        return _prop_interval(share, float(np.sqrt(var)), interval_type, conf_level, df, n_rows)

    def ciprop(
        self,
        var: str,
        category: object | None = None,
        method: str = "logit",
        by: str | Sequence[str] | None = None,
        na_rm: bool = False,
        conf_level: float = 0.95,
        df: float | None = None,
    ) -> pd.DataFrame:
        """A proportion with a confidence interval that stays in [0, 1], as ``svyciprop``.

        ``var`` is a 0/1 (or boolean) column, or a categorical column with ``category`` the level
        whose share is wanted. Methods as R: ``logit`` (Wald interval on the logit scale, the
        default), ``likelihood`` (profile likelihood of the quasi-binomial fit, adjusted to the
        design effect; :mod:`ci_eval.survey.profile_ci`), ``xlogit`` (the same by the delta
        method), ``mean`` (Wald on the proportion), ``asin`` (arcsine square root) and ``beta``
        (Korn and Graubard 1998, with the effective sample size; on a replicate design
        ``likelihood`` gives the estimate and standard error with missing limits, as R). Intervals
        use t with the
        design degrees of freedom unless ``df`` is given; ``beta`` always uses the design's, as
        R's ``svyciprop`` does (it ignores ``df`` there). The design degrees of freedom are
        those of the domain's design, rows with a missing value included, as R's default
        ``df = degf(design)``.

        As R, ``beta`` scales the effective sample size by ``t(n - 1) / t(degf)`` quantiles with
        ``n`` the rows of the domain's design: for a calibrated (post-stratified, raked) design
        that is every row of the design, since R's domains of it keep the other rows with
        weight 0, and for any other design the domain's rows (R is inconsistent here; ci_eval
        follows it).
        """
        if method == "likelihood" and self.is_replicate:
            warnings.warn(
                "ciprop(method='likelihood') has no interval on a replicate design (the profile "
                "likelihood needs a model-based variance); the limits are missing, as in R. Use "
                "method='logit', 'xlogit' or 'beta' for an interval",
                UserWarning,
                stacklevel=2,
            )
        if method not in CIPROP_METHODS:
            raise DesignError(
                f"ciprop method {method!r} is not supported; use one of {', '.join(CIPROP_METHODS)}"
            )
        check_columns(self.data, [var], "variable")
        col = self.data[var]
        if category is not None:
            y = np.where(col.isna(), np.nan, (col.astype(object) == category).astype(float))
            level = str(category)
        elif is_categorical(col):
            raise DesignError(
                f"ciprop needs category= for the categorical variable {var!r} "
                "(the level whose proportion is wanted)"
            )
        else:
            y = numeric_column(self.data, var)
            if np.any((y != 0) & (y != 1) & ~np.isnan(y)):
                raise DesignError(f"ciprop needs a 0/1 variable, but {var!r} has other values")
            level = None
        dom = self._domains(by)
        missing = np.isnan(y)
        keep, bad = self._keep(dom, missing, missing[:, None], na_rm)
        code = np.maximum(dom.code, 0)
        num = np.where(keep, np.nan_to_num(y), 0.0)[:, None]
        den = keep[:, None].astype(float)
        p, v = self._ratio_stat(num, den, keep, code, dom.count)
        if method == "logit":
            with np.errstate(divide="ignore", invalid="ignore"):
                v_link = self._logit_var(num, den, keep, code, dom.count, p, v)
        p, se = p[:, 0], np.sqrt(v[:, 0])
        lo, hi = np.empty_like(p), np.empty_like(p)
        for d in range(dom.count):
            # R: degf of the (domain's) design, rows with a missing value included
            rows = np.flatnonzero((dom.code == d) & (self._w != 0))
            # R's beta interval uses degf(design) whatever df is
            dfd = self._degf(rows) if df is None or method == "beta" else df
            # R's nrow(design) of the domain's design: every row for a calibrated design
            in_domain = len(self.data) if self.is_calibrated else int(np.sum(dom.code == d))
            # logit: the interval is Wald on the logit scale, with that scale's own variance
            se_d = np.sqrt(v_link[d, 0]) * p[d] * (1 - p[d]) if method == "logit" else se[d]
            if method == "likelihood":
                lo[d], hi[d] = np.nan, np.nan
                if not bad[d, 0] and not self.is_replicate:
                    lo[d], hi[d] = self._likelihood_interval(y, dom.code == d, conf_level, dfd)
                continue
            lo[d], hi[d] = _prop_interval(p[d], se_d, method, conf_level, dfd, in_domain)
        n = self._counts(dom, keep)[:, None]
        frame = result_frame(
            [var],
            [level],
            dom.table if by else None,
            p[:, None],
            se[:, None],
            lo[:, None],
            hi[:, None],
            n,
        )
        for name in ("estimate", "se", "ci_low", "ci_high"):
            frame.loc[bad[:, 0], name] = np.nan
        return frame

    def subset(self, condition: str | np.ndarray | pd.Series) -> DesignBase:
        """The design restricted to a subpopulation, as R's ``subset(design, ...)``.

        Estimates on the result are domain estimates: rows outside the subpopulation leave every
        estimate but stay in the design, so strata and PSUs keep their sample sizes and the
        standard errors are the correct domain SEs. ``condition`` is a boolean array aligned with
        the data or a ``DataFrame.eval`` expression such as ``"stype == 'E'"``.

        R's subset of a post-stratified, raked or calibrated design keeps the rows outside with
        weight 0, and ci_eval follows the R code that counts them (:meth:`chisq`'s ``N`` and
        denominator df, ``ciprop(method="beta")``'s ``nrow(design)``, the likelihood interval's
        dispersion). Not followed: without ``na_rm``, R's mean, total, ratio and variance there
        are missing when a row outside the subset has a missing value (``NA`` times weight 0);
        ci_eval estimates the subset from its own rows, as R does for any other design.

        Examples
        --------
        >>> import pandas as pd
        >>> from ci_eval.survey import SurveyDesign
        >>> df = pd.DataFrame({"g": ["a", "b", "a", "b"], "y": [1.0, 2.0, 3.0, 4.0]})
        >>> d = SurveyDesign(df, weights=[1.0, 1.0, 1.0, 1.0]).subset("g == 'a'")
        >>> float(d.mean("y")["estimate"].iloc[0])
        2.0
        """
        mask = subset_mask(self.data, condition)
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._subset = mask if self._subset is None else (self._subset & mask)
        return new

    # --- regression and design-based tests (ci_eval.survey.glm, ci_eval.survey.svytests) ------

    def glm(
        self,
        formula: str,
        family: str = "gaussian",
        conf_level: float = 0.95,
        epsilon: float = 1e-8,
        maxit: int = 25,
    ) -> pd.DataFrame:
        """Survey-weighted GLM with design-based standard errors, as ``svyglm``.

        ``family`` is ``"gaussian"``, ``"binomial"``, ``"quasibinomial"``, ``"poisson"`` or
        ``"quasipoisson"`` (canonical links); ``epsilon``/``maxit`` are R's ``glm.control``.
        Returns ``term, estimate, se, ci_low, ci_high, statistic, df, p_value, n``; see
        :func:`ci_eval.survey.glm.fit_glm` for the fit object.
        """
        from ci_eval.survey.glm import fit_glm

        return fit_glm(self, formula, family, epsilon, maxit).summary_frame(conf_level)

    def ttest(self, var: str, by: str, conf_level: float = 0.95) -> pd.DataFrame:
        """Difference of the means of ``var`` between the two groups of ``by``, as ``svyttest``."""
        from ci_eval.survey.svytests import svyttest

        return svyttest(self, var, by, conf_level)

    def chisq(self, a: str, b: str, statistic: str = "F") -> pd.DataFrame:
        """Design-based test of association of ``a`` and ``b`` (Rao-Scott F), as ``svychisq``."""
        from ci_eval.survey.svytests import svychisq

        return svychisq(self, a, b, statistic)

    # --- helpers ----------------------------------------------------------------------------

    def _likelihood_interval(
        self, y: np.ndarray, in_domain: np.ndarray, conf_level: float, df: float
    ) -> tuple[float, float]:
        """``ciprop(method="likelihood")`` in one domain (``in_domain``: its rows; those with
        ``y`` missing leave the fit).

        R fits on the domain's design: its rows only, but for a calibrated design every row,
        with weight 0 outside the domain (R's ``[.survey.design2``).
        """
        from ci_eval.survey.profile_ci import likelihood_interval

        has_y = ~np.isnan(y)
        if self.is_calibrated:
            everyone = np.flatnonzero(has_y)
            w = np.where(in_domain, self._w, 0.0)
            return likelihood_interval(
                self, y, everyone, np.arange(len(y)), conf_level, df, weights=w
            )
        domain_rows = np.flatnonzero(in_domain)
        return likelihood_interval(
            self, y, np.flatnonzero(in_domain & has_y), domain_rows, conf_level, df
        )

    def _domains(self, by: str | Sequence[str] | None) -> Domains:
        """Domains of ``by``, with rows outside the subpopulation (see :meth:`subset`) in none."""
        dom = domains(self.data, by)
        if self._subset is None:
            return dom
        code = np.where(self._subset, dom.code, -1)
        used, dense = np.unique(code[code >= 0], return_inverse=True)
        code[code >= 0] = dense
        table = dom.table.iloc[used].reset_index(drop=True) if len(dom.table.columns) else dom.table
        return Domains(code=code, table=table)

    def _keep(
        self, dom: Domains, missing_row: np.ndarray, values: np.ndarray, na_rm: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows that enter the estimates, and the (domain, column) cells that are missing.

        ``values`` is the (n, p) matrix (``NaN`` where missing) or its missing-value mask.
        """
        in_dom = dom.code >= 0
        code = np.maximum(dom.code, 0)
        bad = np.zeros((dom.count, values.shape[1]), dtype=bool)
        if na_rm:
            return in_dom & ~missing_row, bad
        rows = np.flatnonzero(missing_row & in_dom)
        if rows.size:
            sub = values[rows]
            mc = sub if sub.dtype == bool else np.isnan(sub)
            for j in range(mc.shape[1]):
                bad[:, j] = np.bincount(code[rows], weights=mc[:, j], minlength=dom.count) > 0
        return in_dom, bad

    def _counts(self, dom: Domains, keep: np.ndarray) -> np.ndarray:
        code = np.maximum(dom.code, 0)
        return np.bincount(code[keep], minlength=dom.count)

    def _linear(
        self,
        am: AnalysisMatrix,
        by: str | Sequence[str] | None,
        na_rm: bool,
        conf_level: float,
        df: float | str | None,
        kind: str,
    ) -> pd.DataFrame:
        dom = self._domains(by)
        keep, bad = self._keep(dom, am.missing, am.values, na_rm)
        num = _zero_outside(am.values, keep, am.missing)
        den = keep[:, None].astype(float) if kind == "mean" else None
        est, var = self._ratio_stat(num, den, keep, np.maximum(dom.code, 0), dom.count)
        return self._frame(am.variable, am.level, dom, est, var, bad, keep, conf_level, df)

    def _frame(
        self,
        variable: Sequence[str],
        level: Sequence[str | None],
        dom: Domains,
        est: np.ndarray,
        var: np.ndarray,
        bad: np.ndarray,
        keep: np.ndarray,
        conf_level: float,
        df: float | str | None,
    ) -> pd.DataFrame:
        est = np.where(bad, np.nan, est)
        se = np.where(bad, np.nan, np.sqrt(np.maximum(var, 0)))
        crit = self._critical(dom, keep, conf_level, df)
        n = self._counts(dom, keep)
        return result_frame(
            variable,
            level,
            dom.table if len(dom.table.columns) else None,
            est,
            se,
            est - crit * se,
            est + crit * se,
            np.repeat(n[:, None], len(variable), axis=1),
        )

    def _critical(
        self, dom: Domains, keep: np.ndarray, conf_level: float, df: float | str | None
    ) -> np.ndarray:
        if df is None or isinstance(df, int | float):
            return np.full((dom.count, 1), critical_value(conf_level, df))
        if df not in DF_RULES:
            raise DesignError(f"df={df!r}: use None (normal), a number, 'design' or 'estimate'")
        if df == "design":
            return np.full((dom.count, 1), critical_value(conf_level, self.degf))
        code = np.maximum(dom.code, 0)
        dfs = [
            self._degf(np.flatnonzero(keep & (code == d) & (self._w != 0)))
            for d in range(dom.count)
        ]
        return np.asarray(critical_value(conf_level, np.asarray(dfs, dtype=float)))[:, None]


def _prop_interval(
    p: float, se: float, method: str, conf_level: float, df: float, n_rows: int
) -> tuple[float, float]:
    """Interval for a proportion by one of R ``svyciprop``'s methods.

    A share of exactly 0 or 1 has the interval ``[p, p]`` by ``logit``: R's quasibinomial fit
    stops a rounding error away (limits within 1e-10 of ``p``); the other methods give R's
    missing limits there (``xlogit``, ``asin``) or their own.
    """
    alpha = 1 - conf_level
    crit = critical_value(conf_level, df)
    if method == "logit" and p in (0.0, 1.0):
        return p, p
    with np.errstate(divide="ignore", invalid="ignore"):
        if method in ("logit", "xlogit"):
            half = crit * se / (p * (1 - p))
            eta = special.logit(p)
            return float(special.expit(eta - half)), float(special.expit(eta + half))
        if method == "mean":
            return p - crit * se, p + crit * se
        if method == "asin":
            half = crit * se / (2 * np.sqrt(p * (1 - p)))
            a = np.arcsin(np.sqrt(p))
            return float(np.sin(a - half) ** 2), float(np.sin(a + half) ** 2)
        # beta: Korn and Graubard (1998), effective sample size as R scales it
        n_eff = p * (1 - p) / se**2
        n_eff *= (stats.t.ppf(alpha / 2, n_rows - 1) / stats.t.ppf(alpha / 2, df)) ** 2
        lo = stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)
        hi = stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))
        return float(lo), float(hi)


def _exact_certain_shares(
    below: np.ndarray, rows: np.ndarray, code: np.ndarray, share: np.ndarray, var: np.ndarray
) -> None:
    """Set to exactly 1 or 0, with variance 0, the shares that are certain (in place).

    Where every row of a domain with a weight lies at or below the quantile (or none does), the
    share is 1 (or 0) and its variance 0, but sums of weights taken in another order leave it
    a few units in the last place off, and an end of its interval just above 1 would be missing
    (R's ``woodruffCI`` maps only ends within [0, 1]); R's own sums give 1 here.
    """
    for d in range(share.shape[0]):
        values = below[rows & (code == d)]
        certain = (values == values[:1]).all(axis=0) if values.size else np.zeros(0, bool)
        share[d, certain] = values[0, certain] if values.size else share[d, certain]
        var[d, certain] = 0.0


def _quantile_at(x: np.ndarray, w: np.ndarray, p: float, qrule: str) -> float:
    """The ``p`` quantile, or NaN where ``p`` is missing or outside [0, 1] (R's woodruffCI)."""
    if not 0 <= p <= 1:
        return float("nan")
    return weighted_quantile(x, w, p, qrule)


def _zero_outside(values: np.ndarray, keep: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """``values`` with rows outside ``keep`` and missing cells set to 0 (no copy if none)."""
    if keep.all() and not missing.any():
        return values
    out = np.array(values, order="F")
    out[~keep] = 0.0
    rows = np.flatnonzero(missing & keep)
    if rows.size:
        sub = out[rows]
        sub[np.isnan(sub)] = 0.0
        out[rows] = sub
    return out


def domain_totals(
    values: np.ndarray, weights: np.ndarray, domain: np.ndarray, n_domains: int
) -> np.ndarray:
    """Weighted totals (n_domains, p) of the columns of ``values`` within domains.

    Examples
    --------
    >>> import numpy as np
    >>> domain_totals(np.array([[1.0], [2.0], [3.0]]), np.ones(3), np.array([0, 1, 1]), 2)
    array([[1.],
           [5.]])
    """
    if n_domains == 1:
        return (weights @ values)[None, :]
    out = np.empty((n_domains, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(domain, weights=values[:, j] * weights, minlength=n_domains)
    return out


def subset_mask(data: pd.DataFrame, condition: str | np.ndarray | pd.Series) -> np.ndarray:
    """The rows a subset ``condition`` keeps: a ``DataFrame.eval`` expression such as
    ``"stype == 'E'"`` or a boolean mask aligned with ``data`` (missing counts as False, as R's
    ``subset``).

    Examples
    --------
    >>> import pandas as pd
    >>> subset_mask(pd.DataFrame({"g": ["a", "b", None]}), "g == 'a'").tolist()
    [True, False, False]
    """
    if isinstance(condition, str):
        try:
            condition = data.eval(condition)
        except Exception as exc:
            raise DesignError(
                f"subset condition {condition!r} failed: {exc}; write it as a DataFrame.eval "
                "expression over the data's columns, e.g. \"stype == 'E'\""
            ) from exc
    values = pd.Series(condition) if not isinstance(condition, pd.Series) else condition
    if values.dtype == object:
        values = values.fillna(False)
    if isinstance(values.dtype, pd.BooleanDtype):
        values = values.fillna(False)
    mask = np.asarray(values)
    if mask.dtype != bool or mask.shape != (len(data),):
        raise DesignError(
            f"a subset condition must give one True/False per row ({len(data)} rows); got "
            f"{mask.size} values of type {mask.dtype}"
        )
    if not mask.any():
        raise DesignError("the subset condition keeps no row")
    return mask


def read_weights(
    data: pd.DataFrame,
    weights: str | Sequence[float] | np.ndarray | pd.Series,
) -> np.ndarray:
    """Sampling weights from a column name or an array aligned with ``data``, checked by
    :func:`check_weights`."""
    if isinstance(weights, str):
        check_columns(data, [weights], "weights")
        col = data[weights]
        if not pd.api.types.is_numeric_dtype(col):
            raise DesignError(f"weights column {weights!r} must be numeric, not {col.dtype}")
        w = col.to_numpy(dtype=float, na_value=np.nan)
        check_weights(w, f"weights column {weights!r}")
        return w
    w = np.asarray(weights, dtype=float).reshape(-1)
    if w.size != len(data):
        raise DesignError(f"weights has {w.size} values for {len(data)} rows")
    check_weights(w, "weights")
    return w


def check_weights(w: np.ndarray, name: str) -> None:
    """The one rule for weights, of either kind of design: every value finite.

    Missing and infinite values are refused (R's ``svydesign`` refuses missing weights).
    Negative and zero weights are accepted, as R's ``svydesign`` and ``svrepdesign`` accept
    them: linear calibration and replicate schemes such as BRR with Fay's factor or
    jackknife-after-calibration can produce them, and a zero weight keeps a row in the design
    but out of the estimates.

    Examples
    --------
    >>> check_weights(np.array([1.0, -0.5, 0.0]), "weights")  # accepted, as R
    >>> check_weights(np.array([1.0, np.nan]), "weights")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ci_eval.errors.DesignError: weights has a missing value at row 1; ...
    """
    if np.any(np.isnan(w)):
        row = int(np.argwhere(np.isnan(w))[0][0])
        raise DesignError(
            f"{name} has a missing value at row {row}; R does not allow missing weights either "
            "(give every row a weight, or drop the row)"
        )
    if np.any(~np.isfinite(w)):
        row = int(np.argwhere(~np.isfinite(w))[0][0])
        raise DesignError(f"{name} has an infinite value at row {row}")
