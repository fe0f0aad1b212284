"""``ReplicateDesign``: a sample whose variances come from replicate weights.

Modelled on R ``survey``'s ``svyrepdesign`` / ``svrepdesign`` (Lumley 2010, ch. 2.3; R ``survey``,
``surveyrep.R``). Every replicate r has its own set of analysis weights; a statistic is computed
once with the full-sample weights and once per replicate, and its variance is R's ``svrVar``::

    v = scale * sum_r rscales_r (theta_r - centre)^2

with ``centre`` the full-sample estimate when ``mse=True``, else the mean of the replicates
(those with ``rscales > 0``). A replicate whose estimate is missing (for instance a domain that
has no row left in it) is left out with a warning, as R does.

Replicate weights are stored either dense, (n, R) analysis weights as a user supplies them, or
compressed as R's ``repweights_compressed``: the analysis weight of row i in replicate r is
``w_i * factor[unit_i, r]``, one row of multipliers per PSU. Replicate totals of p columns are then
one grouped sum of the weighted values over PSUs (and domains), one pass over the data, followed
by a small matrix product ``factor.T @ psu_totals``; the dense path is one matrix product
``repweights.T @ values``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from ci_eval.errors import DesignError
from ci_eval.survey.base import DesignBase, check_weights, domain_totals, read_weights, subset_mask
from ci_eval.survey.grouped import grouped_sums
from ci_eval.survey.quantile import weighted_quantile
from ci_eval.survey.variables import as_list, check_columns, numeric_column

REPLICATE_TYPES = ("JK1", "JKn", "bootstrap", "subbootstrap", "BRR", "Fay", "other")
RANK_TOL = 1e-5  # R: degf.svyrep.design uses qr(weights, tol = 1e-5)$rank - 1

WeightsArg = str | Sequence[float] | np.ndarray | pd.Series | None


class ReplicateDesign(DesignBase):
    """A design with replicate weights, as R's ``svrepdesign``.

    Parameters
    ----------
    data : the respondents, one row each.
    repweights : the replicate weight columns (a list of names, or a regular expression that
        picks them, as R's ``repweights="..."``), or an (n, R) array.
    weights : the full-sample sampling weight column (or an array); ``None`` gives equal
        weights with a warning, as R.
    type : ``"JK1"``, ``"JKn"``, ``"bootstrap"``, ``"BRR"``, ``"Fay"`` or ``"other"``; sets the
        default ``scale`` and ``rscales`` as R's ``svrepdesign`` does. ``"subbootstrap"`` (the
        type ``as_replicate`` gives a Rao-Wu bootstrap, as R's ``as.svrepdesign``) is taken as
        ``"bootstrap"``.
    scale, rscales : the variance multipliers (see the module docstring); ``rscales`` is one
        number or one per replicate.
    mse : centre the replicates on the full-sample estimate instead of their mean.
    combined_weights : the replicate columns are analysis weights (already multiplied by the
        sampling weights, the default, as R); with ``False`` they are multipliers of ``weights``.
    fay_rho : Fay's factor for ``type="Fay"`` (R's ``rho``).
    fpc, fpctype : a finite population correction per replicate, as R's ``svrepdesign(fpc=,
        fpctype=)``: ``rscales`` is multiplied by ``1 - fpc`` (``fpctype="fraction"``, fpc the
        sampling fractions) or by ``fpc`` (``"correction"``); one value or one per replicate, in
        [0, 1]. Not for ``BRR``, ``Fay`` or ``bootstrap`` (R refuses them too).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 6.0], "w": [1.0, 1.0, 1.0, 1.0]})
    >>> reps = (1 - np.eye(4)) * 4 / 3          # the JK1 replicates of 4 units
    >>> r = ReplicateDesign(df, repweights=reps, weights="w", type="JK1", scale=3 / 4)
    >>> r.mean("y")[["estimate", "se"]].round(4).to_dict("records")
    [{'estimate': 3.0, 'se': 1.0801}]
    """

    is_replicate = True

    def __init__(
        self,
        data: pd.DataFrame,
        repweights: str | Sequence[str] | np.ndarray,
        weights: WeightsArg = None,
        type: str = "other",
        scale: float | None = None,
        rscales: float | Sequence[float] | np.ndarray | None = None,
        mse: bool = False,
        combined_weights: bool = True,
        fay_rho: float = 0.0,
        fpc: float | Sequence[float] | np.ndarray | None = None,
        fpctype: str | None = None,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DesignError(f"data must be a pandas DataFrame, not {type_name(data)}")
        if len(data) == 0:
            raise DesignError("data has no rows")
        if type not in REPLICATE_TYPES:
            raise DesignError(f"type={type!r} is not one of {', '.join(REPLICATE_TYPES)}")
        reps = _replicate_matrix(data, repweights)
        w = _full_sample_weights(data, weights)
        scale_, rscales_ = _default_scales(type, scale, rscales, reps, combined_weights, fay_rho)
        if fpc is not None or fpctype is not None:
            rscales_ = rscales_ * _fpc_factor(type, fpc, fpctype, reps.shape[1])
        if not combined_weights:
            reps = reps * w[:, None]
        self._setup(data, w, reps, None, type, scale_, rscales_, mse, fay_rho)

    # --- construction -----------------------------------------------------------------------

    def _setup(
        self,
        data: pd.DataFrame,
        w: np.ndarray,
        units: np.ndarray,
        unit_of_row: np.ndarray | None,
        type: str,
        scale: float,
        rscales: np.ndarray,
        mse: bool,
        fay_rho: float,
    ) -> None:
        self.data = data
        self._w = w
        # analysis weight of row i in replicate r: units[i, r] (dense) or
        # w[i] * units[unit_of_row[i], r] (compressed: one row of multipliers per PSU)
        self._units = np.ascontiguousarray(units, dtype=float)
        self._unit_of_row = unit_of_row
        self.type = type
        self.scale = float(scale)
        self.rscales = np.asarray(rscales, dtype=float)
        self.mse = bool(mse)
        self.fay_rho = float(fay_rho)
        self._full_degf: float | None = None

    @classmethod
    def from_factors(
        cls,
        data: pd.DataFrame,
        weights: np.ndarray,
        factors: np.ndarray,
        unit_of_row: np.ndarray,
        type: str,
        scale: float,
        rscales: np.ndarray,
        mse: bool = False,
        fay_rho: float = 0.0,
    ) -> ReplicateDesign:
        """A replicate design in R's compressed form: ``weights * factors[unit_of_row]``.

        ``factors`` is (units, R), one row of replicate multipliers per PSU; this is what
        :meth:`SurveyDesign.as_replicate` builds.
        """
        new = object.__new__(cls)
        new._setup(
            data,
            np.asarray(weights, dtype=float),
            factors,
            np.asarray(unit_of_row, dtype=np.int64),
            type,
            scale,
            rscales,
            mse,
            fay_rho,
        )
        return new

    # --- public ------------------------------------------------------------------------------

    @property
    def n_replicates(self) -> int:
        """The number of replicates R."""
        return self._units.shape[1]

    @property
    def repweights(self) -> np.ndarray:
        """The (n, R) replicate analysis weights (combined with the sampling weights).

        For a design built by ``as_replicate`` this expands the per-PSU multipliers to one
        row per respondent (n * R numbers).
        """
        if self._unit_of_row is None:
            return self._units
        return self._w[:, None] * self._units[self._unit_of_row]

    def replicate_variance(self, est: np.ndarray, reps: np.ndarray) -> np.ndarray:
        """Covariance (m, m) of statistics from their replicates, as R's ``svrVar``.

        ``est`` (m,) are the full-sample estimates and ``reps`` (R, m) the replicate estimates.
        Replicates with a missing value are left out (with a warning), as R does.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> r = ReplicateDesign(pd.DataFrame({"w": [1.0, 1.0]}), repweights=np.ones((2, 3)),
        ...                     weights="w", type="other", scale=0.5, rscales=1.0)
        >>> r.replicate_variance(np.array([1.0]), np.array([[0.0], [1.0], [2.0]]))
        array([[1.]])
        """
        est = np.atleast_1d(np.asarray(est, dtype=float))
        reps = np.asarray(reps, dtype=float).reshape(self.n_replicates, est.size)
        if self.n_replicates == 0:  # a census: no variance
            return np.zeros((est.size, est.size))
        ok = ~np.isnan(reps).any(axis=1)
        _warn_dropped(ok)
        rs = self.rscales * ok
        centre = est if self.mse else _replicate_mean(reps, ok & (self.rscales > 0))
        dev = np.where(ok[:, None], reps - centre, 0.0)
        return self.scale * (dev * rs[:, None]).T @ dev

    def with_weights(
        self, weights: np.ndarray | pd.Series, repweights: np.ndarray
    ) -> ReplicateDesign:
        """A copy with new full-sample and (n, R) replicate analysis weights; input untouched.

        Weighting steps re-weight every replicate the same way as the full sample (R does) and
        hand both here.
        """
        w = np.asarray(weights, dtype=float).reshape(-1)
        n = len(self.data)
        if w.size != n:
            raise DesignError(f"weights has {w.size} values for {n} rows")
        reps = np.asarray(repweights, dtype=float)
        if reps.shape != (n, self.n_replicates):
            raise DesignError(
                f"repweights has shape {reps.shape}; it must be (rows, replicates) = "
                f"({n}, {self.n_replicates})"
            )
        check_weights(w, "weights")
        _check_finite(reps, "repweights")
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._w = w
        new._units = np.ascontiguousarray(reps)
        new._unit_of_row = None
        new._full_degf = None
        return new

    def subset(self, condition: str | np.ndarray | pd.Series) -> ReplicateDesign:
        """The design restricted to a subpopulation, as R's ``subset`` of a replicate design.

        ``condition`` is what :meth:`SurveyDesign.subset` takes: a ``DataFrame.eval``
        expression such as ``"stype == 'E'"`` or a boolean mask aligned with the data (missing
        counts as False). The other rows leave the data and every replicate: a replicate design
        carries its sampling structure in the replicate weights, so dropping rows gives the
        domain estimates R gives.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> df = pd.DataFrame({"g": ["a", "b", "a", "b"], "y": [1.0, 2.0, 3.0, 4.0]})
        >>> r = ReplicateDesign(df, repweights=(1 - np.eye(4)) * 4 / 3, weights=np.ones(4),
        ...                     type="JK1", scale=3 / 4)
        >>> float(r.subset("g == 'a'").mean("y")["estimate"].iloc[0])
        2.0
        """
        mask = subset_mask(self.data, condition)
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.data = self.data[mask]
        new._w = self._w[mask]
        if self._unit_of_row is None:
            new._units = self._units[mask]
        else:
            new._unit_of_row = self._unit_of_row[mask]
        new._full_degf = None
        return new

    def __repr__(self) -> str:
        form = "compressed" if self._unit_of_row is not None else "dense"
        return (
            f"<ReplicateDesign ({self.type}): {len(self.data)} rows, {self.n_replicates} "
            f"replicates ({form}), scale={self.scale:.6g}, mse={self.mse}>"
        )

    def var(
        self,
        vars: str | Sequence[str],
        by: str | Sequence[str] | None = None,
        na_rm: bool = False,
        conf_level: float = 0.95,
        df: float | str | None = None,
    ) -> pd.DataFrame:
        """Population variance of numeric variables, as R's ``svyvar`` on a replicate design.

        Each replicate recomputes the mean and the variance ``n / (n - 1) * sum w (x - xbar)^2 /
        sum w`` (n the rows of the domain), and the replicates give the standard error.
        """
        names = as_list(vars)
        x = np.column_stack([numeric_column(self.data, v) for v in names])
        dom = self._domains(by)
        keep, bad = self._keep(dom, np.isnan(x).any(axis=1), np.isnan(x), na_rm)
        code = np.maximum(dom.code, 0)
        x0 = np.where(keep[:, None], np.nan_to_num(x), 0.0)
        ones = keep[:, None].astype(float)
        p = x.shape[1]
        full, _ = self._totals(np.hstack([x0, ones]), keep, code, dom.count)
        with np.errstate(divide="ignore", invalid="ignore"):
            shift = full[:, :p] / full[:, p:]
        # centre on the full-sample mean first: same variances, no cancellation
        xc = np.where(keep[:, None], x0 - shift[code], 0.0)
        full, reps = self._totals(np.hstack([xc, xc * xc, ones]), keep, code, dom.count)
        n_d = np.bincount(code[keep], minlength=dom.count).astype(float)
        factor = (n_d / (n_d - 1))[:, None]

        def variance(t: np.ndarray) -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):
                m1 = t[..., :p] / t[..., 2 * p :]
                return factor * (t[..., p : 2 * p] / t[..., 2 * p :] - m1 * m1)

        est = variance(full)
        v = self._cell_variance(est, variance(reps))
        return self._frame(names, [None] * p, dom, est, v, bad, keep, conf_level, df)

    # --- quantile intervals (DesignBase.quantile) ----------------------------------------------

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
        """R's replicate ``svyquantile`` calls ``woodruffCI`` without the interval type: always
        the Wald (``"mean"``) interval of the share."""
        return super()._share_interval(share, var, "mean", conf_level, df, design_df, n_rows)

    def _replicate_quantile_se(
        self, x: np.ndarray, rows: np.ndarray, p: float, qhat: float, qrule: str
    ) -> float:
        """Standard error of the ``p`` quantile of ``x`` over ``rows`` from the quantiles of
        every replicate (R's ``repCI``, ``interval.type = "quantile"``)."""
        rw = self.repweights[rows]
        reps = np.array(
            [weighted_quantile(x[rows], rw[:, r], p, qrule) for r in range(rw.shape[1])]
        )
        return float(np.sqrt(self.replicate_variance(np.array([qhat]), reps[:, None])[0, 0]))

    # --- variance engine ---------------------------------------------------------------------

    def _ratio_stat(
        self,
        num: np.ndarray,
        den: np.ndarray | None,
        keep: np.ndarray,
        domain: np.ndarray,
        n_domains: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        est, theta = self._totals(num, keep, domain, n_domains)
        if den is not None:
            full_den, reps_den = self._totals(den, keep, domain, n_domains)
            with np.errstate(divide="ignore", invalid="ignore"):
                est = est / full_den
                theta = theta / reps_den
        return est, self._cell_variance(est, theta)

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
        """Replicate variance of the logit of the share: R's intercept-only ``svyglm`` per
        replicate, whose coefficient is the logit of the replicate's weighted share.

        A replicate whose share is 0 or 1 has no finite logit; R's ``glm.fit`` then stops where
        its deviance test does (a coefficient of about +-20), and that is what enters R's
        variance (a very wide interval, not a missing one). In a domain with such a replicate
        every replicate is refitted as R refits it
        (:func:`~ci_eval.survey.glm_fit.logit_intercept_refits`, from the full-sample logit),
        since the interval then rests on where each fit stops; elsewhere the replicate logits
        are exact (R's converge to them within its tolerance).
        """
        full, reps = self._totals(np.hstack([num, den]), keep, domain, n_domains)
        p = num.shape[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            eta = special.logit(full[:, :p] / full[:, p:])
            theta = special.logit(reps[:, :, :p] / reps[:, :, p:])
        degenerate = np.isinf(theta) & np.isfinite(eta)[None]
        if degenerate.any():
            from ci_eval.survey.glm_fit import logit_intercept_refits  # statsmodels: load late
        for d, j in zip(*np.nonzero(degenerate.any(axis=0)), strict=True):
            rows = np.flatnonzero(keep & (domain == d))
            theta[:, d, j] = logit_intercept_refits(
                num[rows, j], self.repweights[rows], float(eta[d, j])
            )
        return self._cell_variance(eta, theta)

    def _totals(
        self, values: np.ndarray, keep: np.ndarray, domain: np.ndarray, n_domains: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Full-sample (D, q) and replicate (R, D, q) domain totals of ``values`` (n, q)."""
        q = values.shape[1]
        w = np.where(keep, self._w, 0.0)
        n_rep = self.n_replicates
        if self._unit_of_row is not None:
            n_units = self._units.shape[0]
            key = self._unit_of_row if n_domains == 1 else self._unit_of_row * n_domains + domain
            grouped = grouped_sums(values, key, w, n_units * n_domains)
            grouped = grouped.reshape(n_units, n_domains * q)
            full = grouped.sum(axis=0).reshape(n_domains, q)
            reps = (self._units.T @ grouped).reshape(n_rep, n_domains, q)
            return full, reps
        full = domain_totals(values, w, domain, n_domains)
        a = self._units
        if n_domains == 1:
            reps = (a.T @ values)[:, None, :]  # values are zero outside keep
            return full, reps
        reps = np.zeros((n_rep, n_domains, q))
        order = np.argsort(domain, kind="stable")
        bounds = np.searchsorted(domain[order], np.arange(n_domains + 1))
        for d in range(n_domains):
            rows = order[bounds[d] : bounds[d + 1]]
            rows = rows[keep[rows]]
            reps[:, d, :] = a[rows].T @ values[rows]
        return full, reps

    def _cell_variance(self, est: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """svrVar for every domain (row of ``est``) and column at once: (D, p)."""
        if theta.shape[0] == 0:  # a census (every PSU sampled): no replicates, no variance
            return np.zeros(est.shape)
        ok = ~np.isnan(theta).any(axis=2)  # (R, D): replicate usable for the domain
        _warn_dropped(ok)
        if self.mse:
            centre = est
        else:
            use = ok & (self.rscales > 0)[:, None]
            count = use.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                centre = np.where(use[:, :, None], theta, 0.0).sum(axis=0) / count[:, None]
        dev = np.where(ok[:, :, None], theta - centre[None], 0.0)
        rs = self.rscales[:, None] * ok
        var = self.scale * np.einsum("rd,rdp->dp", rs, dev * dev)
        return np.where(ok.any(axis=0)[:, None], var, np.nan)

    def _degf(self, rows: np.ndarray | None = None) -> float:
        """R's ``degf`` of a replicate design: rank of the replicate weights minus 1.

        R computes ``qr(weights(design, "analysis"), tol = 1e-5)$rank - 1`` on the rows of the
        design (subset to a domain by ``svyby``). Rows that are multiples of one another (all
        the rows of one PSU in a compressed design) do not change the rank, so the rank is
        taken on the distinct rows only.
        """
        if rows is None and self._full_degf is not None:
            return self._full_degf
        picked = np.arange(len(self.data)) if rows is None else np.asarray(rows)
        if self._unit_of_row is not None:
            picked = picked[self._w[picked] != 0]
            matrix = self._units[np.unique(self._unit_of_row[picked])]
        else:
            matrix = _distinct_rows(self._units[picked])
        value = float(qr_rank(matrix) - 1)
        if rows is None:
            self._full_degf = value
        return value


def type_name(obj: object) -> str:
    return type(obj).__name__


def qr_rank(x: np.ndarray, tol: float = RANK_TOL) -> int:
    """Rank of ``x`` as R's ``qr(x, tol)$rank`` decides it (LINPACK ``dqrdc2``).

    A column counts when its part orthogonal to the columns accepted before it has a norm of at
    least ``tol`` times its own norm (zero columns never count). The triangular factor of a
    Householder QR preserves those norms, so the test runs on it.

    Examples
    --------
    >>> qr_rank(np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 0.0], [3.0, 6.0, 0.0]]))
    2
    """
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return 0
    if x.shape[0] > x.shape[1]:
        x = np.linalg.qr(x, mode="r")
    norms = np.linalg.norm(x, axis=0)
    basis = np.zeros((x.shape[0], min(x.shape)))  # orthonormal columns accepted so far
    rank = 0
    for j in range(x.shape[1]):
        if norms[j] == 0 or rank == basis.shape[1]:
            continue
        col = x[:, j].copy()
        for _ in range(2):  # Gram-Schmidt, twice for orthogonality in floating point
            q = basis[:, :rank]
            col -= q @ (q.T @ col)
        resid = np.linalg.norm(col)
        if resid >= tol * norms[j]:
            basis[:, rank] = col / resid
            rank += 1
    return rank


def _distinct_rows(x: np.ndarray) -> np.ndarray:
    """The distinct nonzero rows of ``x`` up to a positive factor (rank-preserving)."""
    scale = np.abs(x).max(axis=1) if x.shape[1] else np.zeros(x.shape[0])
    x = x[scale > 0] / scale[scale > 0, None]
    if x.shape[0] <= 1:
        return x
    return np.unique(np.round(x, 12), axis=0)


def _replicate_mean(reps: np.ndarray, use: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return reps[use].sum(axis=0) / use.sum()


def _warn_dropped(ok: np.ndarray) -> None:
    dropped = int((~ok).sum())
    if dropped and ok.any():
        warnings.warn(
            f"{dropped} replicate estimate(s) were missing (a domain or denominator with no "
            "weight in the replicate) and were left out of the variance, as R does",
            UserWarning,
            stacklevel=4,
        )


def _check_finite(x: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise DesignError(f"{name} has a missing or infinite value at row {row}")


def _replicate_matrix(
    data: pd.DataFrame, repweights: str | Sequence[str] | np.ndarray
) -> np.ndarray:
    n = len(data)
    if isinstance(repweights, str):
        names = [c for c in data.columns if re.search(repweights, str(c))]
        if not names:
            raise DesignError(
                f"repweights={repweights!r} matches no column of the data; give the replicate "
                "weight columns as a list of names or a regular expression that matches them"
            )
        repweights = names
    if isinstance(repweights, np.ndarray | pd.DataFrame):
        reps = np.asarray(repweights, dtype=float)
        if reps.ndim != 2 or reps.shape[0] != n:
            raise DesignError(
                f"repweights has shape {reps.shape}; it must be (rows, replicates) with {n} rows"
            )
        _check_finite(reps, "repweights")
        return reps
    names = list(repweights)
    if not names:
        raise DesignError("repweights names no column")
    check_columns(data, names, "replicate weight column")
    reps = np.empty((n, len(names)))
    for j, name in enumerate(names):
        col = data[name]
        if not pd.api.types.is_numeric_dtype(col):
            raise DesignError(f"replicate weight column {name!r} must be numeric, not {col.dtype}")
        reps[:, j] = col.to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(reps[:, j]).any():
            row = int(np.flatnonzero(np.isnan(reps[:, j]))[0])
            raise DesignError(
                f"replicate weight column {name!r} has a missing value at row {row}; "
                "R does not allow missing replicate weights either"
            )
    return reps


def _full_sample_weights(data: pd.DataFrame, weights: WeightsArg) -> np.ndarray:
    n = len(data)
    if weights is None:
        warnings.warn(
            "no sampling weights supplied: equal probability assumed (as R)",
            UserWarning,
            stacklevel=3,
        )
        return np.ones(n)
    return read_weights(data, weights)


FPC_TYPES = ("fraction", "correction")


def _fpc_factor(
    type: str, fpc: float | Sequence[float] | np.ndarray | None, fpctype: str | None, n_rep: int
) -> np.ndarray:
    """The factor R's ``svrepdesign(fpc=, fpctype=)`` multiplies ``rscales`` by.

    >>> _fpc_factor("JK1", 0.25, "fraction", 2).tolist()
    [0.75, 0.75]
    """
    if fpc is None or fpctype not in FPC_TYPES:
        raise DesignError(
            "a replicate design's fpc needs both fpc= (one value or one per replicate) and "
            f"fpctype= ({' or '.join(map(repr, FPC_TYPES))}), as R's svrepdesign"
        )
    if type in ("BRR", "Fay", "bootstrap", "subbootstrap"):
        raise DesignError(f"fpc= is not available for type={type!r} (R refuses it too)")
    f = np.atleast_1d(np.asarray(fpc, dtype=float))
    if f.size not in (1, n_rep) or np.any(~(f >= 0) | ~(f <= 1)):
        raise DesignError(
            f"fpc= must give one value or one per replicate ({n_rep}), each in [0, 1]"
        )
    return np.broadcast_to(1.0 - f if fpctype == "fraction" else f, (n_rep,)).copy()


def _default_scales(
    type: str,
    scale: float | None,
    rscales: float | Sequence[float] | np.ndarray | None,
    reps: np.ndarray,
    combined: bool,
    fay_rho: float,
) -> tuple[float, np.ndarray]:
    """``scale`` and ``rscales`` with R ``svrepdesign``'s defaults per type.

    Without ``scale`` (JK1) or ``rscales`` (JKn), R guesses them from multipliers (``1 / max``
    of the first column, or of each column) and, for combined weights, takes n = R for JK1 and
    refuses JKn.
    """
    n_rep = reps.shape[1]
    if rscales is not None:
        rs = np.atleast_1d(np.asarray(rscales, dtype=float))
        if rs.size not in (1, n_rep):
            raise DesignError(
                f"rscales has {rs.size} values; give one or one per replicate ({n_rep})"
            )
        rs = np.broadcast_to(rs, (n_rep,)).copy()
    else:
        rs = None
    if type == "BRR":
        if scale is not None and not np.isclose(scale, 1.0 / n_rep):
            warnings.warn(
                "type='BRR' sets scale = 1/R; the given scale is ignored (as R)",
                UserWarning,
                stacklevel=4,
            )
        scale = 1.0 / n_rep
    elif type == "Fay":
        if not 0 < fay_rho < 1:
            raise DesignError("type='Fay' needs Fay's factor: pass fay_rho= in (0, 1)")
        scale = 1.0 / (n_rep * (1 - fay_rho) ** 2)
    elif type in ("bootstrap", "subbootstrap") and scale is None:
        scale = 1.0 / (n_rep - 1)
    elif type == "JK1" and scale is None:
        scale = 1.0 / reps[:, 0].max() if not combined else (n_rep - 1) / n_rep
        warnings.warn(
            "scale (n-1)/n not given for JK1: guessed as R does", UserWarning, stacklevel=4
        )
    elif type == "JKn" and rs is None:
        if combined:
            raise DesignError(
                "type='JKn' with combined weights needs rscales= ((n_h - 1) / n_h for the "
                "stratum of each replicate)"
            )
        rs = 1.0 / reps.max(axis=0)
        warnings.warn(
            "rscales (n-1)/n not given for JKn: guessed from the weights as R does",
            UserWarning,
            stacklevel=4,
        )
    if scale is None or rs is None:
        if type == "other" and (scale is None or rs is None):
            warnings.warn("scale or rscales not given, set to 1 (as R)", UserWarning, stacklevel=4)
        scale = 1.0 if scale is None else scale
        rs = np.ones(n_rep) if rs is None else rs
    return float(scale), rs
