"""Variance of PPS samples drawn without replacement, as R ``survey``'s ``svydesign(pps=)``.

R's ``pps_design``, ``ppsvar``, ``htvar.matrix`` and ``ygvar.matrix`` (survey 4.1, ``ht.R``;
Lumley's help page ``?svydesign``, "Probability-proportional-to-size sampling") write the variance
of a total as a quadratic form in the PSU totals z_i of the linearised values (already weighted,
z_i = y_i / pi_i for a total):

* Horvitz-Thompson (``variance = "HT"``): ``V = sum_ij D_ij z_i z_j``;
* Yates-Grundy (``variance = "YG"``): ``V = -1/2 sum_ij D_ij (z_i - z_j)^2``, that is the HT form
  with ``D - diag(column sums of D)``,

with ``D_ij = (pi_ij - pi_i pi_j) / pi_ij`` ("Dcheck") from the joint inclusion probabilities, or
an approximation of them. PSUs of different strata are independent (``D_ij = 0``); within a
stratum of n PSUs:

* ``JointProbabilities(pij)`` (R's ``ppsmat``): D from the given matrix (pi_i on its diagonal);
  entries with ``|D_ij| < tolerance`` (default 1e-4, R's) are set to 0, as R does.
* ``"overton"`` (Overton 1985; R's ``overton2Dcheck``): ``D_ij = 1 - (n - pbar_ij) / (n - 1)``
  with ``pbar_ij = (pi_i + pi_j) / 2``.
* ``HartleyRao(psum)`` (Hartley and Rao 1962; R's ``HR`` and ``HRDcheck``): ``D_ij = 1 - (n -
  pi_i - pi_j + psum) / (n - 1)``, with psum = sum over the population of pi_k^2 divided by n;
  ``HartleyRao()`` (R's ``HR()``) estimates it by the mean of the sampled pi_i of the stratum.
* Diagonal ``D_ii = 1 - pi_i``; like R, a pair is given ``D_ij = 0`` where ``pbar_ij`` (Overton) or
  ``pi_i + pi_j`` (Hartley-Rao) is exactly 1.

Brewer's approximation (``pps="brewer"``) needs no matrix: it is the usual stratified formula with
each PSU's own finite population factor ``1 - pi_i`` (see :mod:`ci_eval.survey.taylor`); it alone
also allows several stages, as in R. Overton's and Hartley-Rao's forms are computed from stratum
sums in O(PSUs) (:class:`PairForm`; R builds the n_h x n_h matrices, as ``overton_dcheck`` and
``hartley_rao_dcheck`` do here); a matrix of joint probabilities is used as given.

Weighting (``calibrate``, ``poststratify``, ``rake``) replaces the linearised values by their
calibration residuals before the quadratic form, as for every design. R does so for Brewer's
designs, but for a design with a D matrix R's ``ppsvar`` computes the residuals and then uses the
uncalibrated values (and its ``postStratify`` fails there), so ci_eval parts from R on purpose
for calibrated Overton, Hartley-Rao and joint-probability designs (tests/test_survey_pps.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from ci_eval.errors import DesignError
from ci_eval.survey.structure import DesignStructure
from ci_eval.survey.taylor import ClusterVariance, StagePlan

VARIANCE_FORMS = ("HT", "YG")


@dataclass(frozen=True)
class HartleyRao:
    """Hartley and Rao's approximation of the joint inclusion probabilities (R's ``HR(psum)``).

    ``psum`` is sum_k pi_k^2 / n over the population (one number for an unstratified design, or
    one per stratum label as a mapping); ``None`` (R's ``HR()``) estimates it from the sample.

    Examples
    --------
    >>> HartleyRao(0.0234).psum
    0.0234
    """

    psum: float | Mapping[Any, float] | None = None


@dataclass(frozen=True)
class JointProbabilities:
    """The joint inclusion probabilities of the sampled PSUs (R's ``ppsmat(jointprob)``).

    ``pij`` is (PSUs, PSUs), in the order the PSUs first appear in the data, with the inclusion
    probabilities pi_i on the diagonal; ``|D_ij| < tolerance`` is set to 0, as R does.

    Examples
    --------
    >>> import numpy as np
    >>> JointProbabilities(np.array([[0.5, 0.2], [0.2, 0.5]])).tolerance
    0.0001
    """

    pij: np.ndarray
    tolerance: float = 1e-4


PPSMethod = str | HartleyRao | JointProbabilities


def method_name(method: PPSMethod) -> str:
    """A short name of a PPS method for messages (no matrix printed).

    >>> method_name("overton"), method_name(HartleyRao(0.1))
    ("'overton'", 'HartleyRao')
    """
    return repr(method) if isinstance(method, str) else type(method).__name__


def _blocks(stratum: np.ndarray, block_of) -> sparse.csr_matrix:
    """The block-diagonal matrix whose block for stratum h is ``block_of(members of h)``."""
    rows, cols, vals = [], [], []
    for h in np.unique(stratum):
        members = np.flatnonzero(stratum == h)
        block = block_of(members)
        r, c = np.meshgrid(members, members, indexing="ij")
        rows.append(r.ravel())
        cols.append(c.ravel())
        vals.append(block.ravel())
    n = stratum.size
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )


def overton_dcheck(pi: np.ndarray, stratum: np.ndarray) -> sparse.csr_matrix:
    """Overton's D matrix (R's ``overton2Dcheck``) of PSUs with inclusion probabilities ``pi``.

    Examples
    --------
    >>> import numpy as np
    >>> overton_dcheck(np.array([0.2, 0.4, 0.6]), np.zeros(3, int)).toarray().round(2).tolist()
    [[0.8, -0.35, -0.3], [-0.35, 0.6, -0.25], [-0.3, -0.25, 0.4]]
    """

    def block(members: np.ndarray) -> np.ndarray:
        p = pi[members]
        n = p.size
        pbar = (p[:, None] + p[None, :]) / 2
        d = 1 - (n - pbar) / (n - 1) if n > 1 else np.zeros((1, 1))
        d[pbar == 1] = 0.0
        np.fill_diagonal(d, 1 - p)
        return d

    return _blocks(stratum, block)


def hartley_rao_dcheck(pi: np.ndarray, stratum: np.ndarray, psum: np.ndarray) -> sparse.csr_matrix:
    """Hartley and Rao's D matrix (R's ``HRDcheck``); ``psum`` per PSU (its stratum's value).

    Examples
    --------
    >>> import numpy as np
    >>> d = hartley_rao_dcheck(np.array([0.2, 0.4]), np.zeros(2, int), np.array([0.3, 0.3]))
    >>> d.toarray().round(2).tolist()  # 1 - (2 - 0.6 + 0.3) / 1
    [[0.8, -0.7], [-0.7, 0.6]]
    """

    def block(members: np.ndarray) -> np.ndarray:
        p = pi[members]
        n = p.size
        fsum = p[:, None] + p[None, :]
        d = 1 - (n - fsum + psum[members][:, None]) / (n - 1) if n > 1 else np.zeros((1, 1))
        d[fsum == 1] = 0.0
        np.fill_diagonal(d, 1 - p)
        return d

    return _blocks(stratum, block)


class PairForm:
    """``z' D z`` for Overton's and Hartley-Rao's D in O(PSUs), without building D.

    Within stratum h, ``D_ij = a_h + b_h (pi_i + pi_j)`` for i != j and ``D_ii = 1 - pi_i``; R
    sets ``D_ij = 0`` where ``pi_i + pi_j == zero_sum`` exactly (2 for Overton, where the formula
    gives 0 anyway; 1 for Hartley-Rao). With the stratum sums S = sum z_i and P = sum pi_i z_i,
    ``z' D z = sum_i e_i z_i^2 + a S^2 + 2 b P S`` minus the zeroed pairs, e_i = 1 - pi_i - a - 2
    b pi_i; for the Yates-Grundy form e_i also loses the column sum of D (``ygvar.matrix``).
    ``overton_dcheck`` and ``hartley_rao_dcheck`` build the same D as a matrix, as R does.

    Examples
    --------
    >>> import numpy as np
    >>> pi, h = np.array([0.2, 0.4, 0.6]), np.zeros(3, int)
    >>> z = np.array([[1.0], [2.0], [4.0]])
    >>> form = PairForm(pi, h, *overton_coefficients(pi, h), zero_sum=2.0, yg=False)
    >>> bool(np.isclose(form.full(z)[0, 0], (z.T @ overton_dcheck(pi, h) @ z)[0, 0]))
    True
    """

    def __init__(
        self,
        pi: np.ndarray,
        stratum: np.ndarray,
        a: np.ndarray,
        b: np.ndarray,
        zero_sum: float,
        yg: bool,
    ) -> None:
        self.pi, self.h = pi, stratum
        self.a, self.b = a, b
        n_h = np.bincount(stratum)
        groups, pairs, partners = _zeroed_pairs(pi, stratum, zero_sum)
        self.groups, self.pairs = groups, pairs
        coef0 = (a + b * zero_sum)[stratum]
        e = (1 - pi) - a[stratum] - 2 * b[stratum] * pi
        self.self_paired = np.zeros(pi.size, dtype=bool)
        if pairs.size:
            same = pairs[:, 0] == pairs[:, 1]
            self.self_paired = np.isin(groups, pairs[same, 0])
            e = e + np.where(self.self_paired, coef0, 0.0)
        if yg:  # minus the column sums of D
            psum_h = np.bincount(stratum, weights=pi)[stratum]
            m = (n_h - 1)[stratum]
            col = (1 - pi) + m * a[stratum] + b[stratum] * (psum_h - pi + m * pi)
            e = e - (col - partners * coef0)
        self.e = e
        self.coef0 = coef0

    def full(self, z: np.ndarray) -> np.ndarray:
        """The (k, k) matrix z' D z of the columns of z (PSUs, k)."""
        return self._form(z, lambda x, y: x.T @ y)

    def diag(self, z: np.ndarray) -> np.ndarray:
        """The (k,) diagonal of z' D z."""
        return self._form(z, lambda x, y: np.einsum("cj,cj->j", x, y))

    def _form(self, z: np.ndarray, prod) -> np.ndarray:
        n_strata = self.a.size
        s = _rowsum(z, self.h, n_strata)
        p = _rowsum(self.pi[:, None] * z, self.h, n_strata)
        out = prod(self.e[:, None] * z, z) + prod(self.a[:, None] * s, s)
        bp = prod(self.b[:, None] * p, s)
        out = out + bp + (bp.T if bp.ndim == 2 else bp)
        if self.pairs.size:
            g_sum = _rowsum(z, self.groups, int(self.groups.max()) + 1)
            first = np.full(int(self.groups.max()) + 1, -1, dtype=np.int64)
            first[self.groups] = np.arange(self.groups.size)
            for g1, g2 in self.pairs:
                c = self.coef0[first[g1]]
                cross = prod(c * g_sum[[g1]], g_sum[[g2]])
                out = (
                    out - cross
                    if g1 == g2
                    else out - cross - (cross.T if cross.ndim == 2 else cross)
                )
        return out


def _rowsum(z: np.ndarray, key: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((size, z.shape[1]))
    np.add.at(out, key, z)
    return out


def _zeroed_pairs(
    pi: np.ndarray, stratum: np.ndarray, zero_sum: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PSUs grouped by (stratum, pi); the group pairs (g1 <= g2) whose pi sum to ``zero_sum``
    exactly, as R's ``fbar == 1`` test; and each PSU's number of zeroed partners."""
    keys = np.stack([stratum.astype(float), pi], axis=1)
    values, groups = np.unique(keys, axis=0, return_inverse=True)  # sorted by stratum, then pi
    groups = groups.ravel()
    size = np.bincount(groups)
    pairs = []
    for h in np.unique(values[:, 0]):
        ids = np.flatnonzero(values[:, 0] == h)
        v = values[ids, 1]
        near = np.searchsorted(v, zero_sum - v)
        for shift in (-1, 0, 1):  # the exact partner, if any, is next to zero_sum - v
            j = np.clip(near + shift, 0, v.size - 1)
            hit = (v + v[j] == zero_sum) & (j >= np.arange(v.size))
            pairs += list(zip(ids[hit], ids[j[hit]], strict=True))
    pairs_arr = np.unique(np.array(pairs, dtype=np.int64).reshape(-1, 2), axis=0)
    partners = np.zeros(values.shape[0])
    for g1, g2 in pairs_arr:
        if g1 == g2:
            partners[g1] += size[g1] - 1
        else:
            partners[g1] += size[g2]
            partners[g2] += size[g1]
    return groups, pairs_arr, partners[groups]


def overton_coefficients(pi: np.ndarray, stratum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Overton's a_h = -1 / (n_h - 1), b_h = 1 / (2 (n_h - 1)) (0 for a stratum of one PSU)."""
    m = np.bincount(stratum).astype(float) - 1
    with np.errstate(divide="ignore"):
        inv = np.where(m > 0, 1 / np.maximum(m, 1), 0.0)
    return -inv, inv / 2


def hartley_rao_coefficients(
    stratum: np.ndarray, psum_of_stratum: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Hartley-Rao's a_h = -(1 + psum_h) / (n_h - 1), b_h = 1 / (n_h - 1)."""
    m = np.bincount(stratum).astype(float) - 1
    inv = np.where(m > 0, 1 / np.maximum(m, 1), 0.0)
    return -(1 + psum_of_stratum) * inv, inv


def joint_dcheck(pij: np.ndarray, tolerance: float) -> np.ndarray:
    """D from joint inclusion probabilities (R's ``pi2Dcheck``), small entries set to 0.

    Examples
    --------
    >>> import numpy as np
    >>> joint_dcheck(np.array([[0.5, 0.2], [0.2, 0.5]]), 1e-4).round(3).tolist()
    [[0.5, -0.25], [-0.25, 0.5]]
    """
    pij = np.asarray(pij, dtype=float)
    pi = np.diag(pij)
    d = (pij - np.outer(pi, pi)) / pij
    d[np.abs(d) < tolerance] = 0.0
    return d


class MatrixForm:
    """``z' D z`` for a given matrix D (joint inclusion probabilities), HT or YG form.

    Examples
    --------
    >>> import numpy as np
    >>> form = MatrixForm(np.array([[0.5, -0.25], [-0.25, 0.5]]), yg=False)
    >>> form.full(np.array([[2.0], [4.0]])).tolist()  # 0.5 * 4 - 2 * 0.25 * 8 + 0.5 * 16
    [[6.0]]
    """

    def __init__(self, dcheck: np.ndarray, yg: bool) -> None:
        d = sparse.csr_matrix(dcheck)
        if yg:  # ygvar.matrix: minus the column sums of D on the diagonal
            d = d - sparse.diags(np.asarray(d.sum(axis=0)).ravel())
        self._matrix = sparse.csr_matrix(d)

    def full(self, z: np.ndarray) -> np.ndarray:
        """The (k, k) matrix z' D z of the columns of z (PSUs, k)."""
        return z.T @ (self._matrix @ z)

    def diag(self, z: np.ndarray) -> np.ndarray:
        """The (k,) diagonal of z' D z."""
        return np.einsum("cj,cj->j", z, self._matrix @ z)


class PPSVariance(ClusterVariance):
    """Quadratic-form variance ``z' D z`` of first-stage PSU totals (HT or YG form).

    ``form`` has ``full(z)`` and ``diag(z)``: a :class:`PairForm` or a :class:`MatrixForm`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ci_eval.survey.structure import build_structure
    >>> st = build_structure(pd.DataFrame({"i": [0, 1]}), None, None, None, nest=False)
    >>> v = PPSVariance(st, MatrixForm(np.array([[0.5, -0.25], [-0.25, 0.5]]), yg=False))
    >>> float(v.vcov(np.array([[2.0], [4.0]]))[0, 0])
    6.0
    """

    def __init__(self, structure: DesignStructure, form: PairForm | MatrixForm) -> None:
        stage = structure.stages[0]
        self._n = stage.cluster.size
        self._plans = [StagePlan(stage, np.ones(stage.n_strata), "remove", self._n)]
        self._form = form

    def vcov(self, u: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
        """Covariance matrix (m, m) of the totals of the columns of ``u`` (n, m)."""
        u = np.asarray(u, dtype=float).reshape(self._n, -1)
        return self._form.full(self._plans[0].cluster_totals(u, None, None, 1))

    def _variances(self, totals_of, domain, n_domains, m, present) -> np.ndarray:
        return self._form.diag(totals_of(self._plans[0])).reshape(n_domains, m)


def pps_variance(
    structure: DesignStructure,
    method: PPSMethod,
    variance: str,
    weights: np.ndarray,
    stratum_labels: np.ndarray,
) -> PPSVariance:
    """The variance engine of a PPS design whose method needs D (all but ``"brewer"``).

    The inclusion probability of a PSU is 1 / the sampling weight of its first row (R's
    ``allprob``, from ``probs`` or the fpc); ``stratum_labels`` gives the label of each stratum
    code, for ``HartleyRao(psum={label: value})``.
    """
    if len(structure.stages) > 1:
        raise DesignError(
            f"pps={method_name(method)} is for one-stage designs (as in R); use pps='brewer' for "
            "several stages"
        )
    stage = structure.stages[0]
    first_row = np.full(stage.n_clusters, stage.cluster.size, dtype=np.int64)
    np.minimum.at(first_row, stage.cluster, np.arange(stage.cluster.size))
    pi = 1.0 / weights[first_row]
    h = stage.stratum_of_cluster
    if variance not in VARIANCE_FORMS:
        raise DesignError(f"variance={variance!r} is not one of {', '.join(VARIANCE_FORMS)}")
    yg = variance == "YG"
    if isinstance(method, JointProbabilities):
        form: PairForm | MatrixForm = MatrixForm(_joint_in_code_order(method, first_row), yg)
    elif method == "overton":
        form = PairForm(pi, h, *overton_coefficients(pi, h), zero_sum=2.0, yg=yg)
    elif method == "HR" or isinstance(method, HartleyRao):
        psum = method.psum if isinstance(method, HartleyRao) else None
        psum_h = _psum_of_stratum(psum, pi, h, stratum_labels)
        form = PairForm(pi, h, *hartley_rao_coefficients(h, psum_h), zero_sum=1.0, yg=yg)
    else:
        raise DesignError(
            f"pps={method_name(method)} is not one of 'brewer', 'overton', 'HR', "
            "HartleyRao(psum) or JointProbabilities(pij)"
        )
    return PPSVariance(structure, form)


def _psum_of_stratum(psum, pi: np.ndarray, h: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Hartley-Rao's psum per stratum code."""
    if psum is None:  # R's HR(): the mean sampled pi of the stratum
        return np.bincount(h, weights=pi) / np.bincount(h)
    if isinstance(psum, Mapping):
        if labels.size == 0:
            raise DesignError("HartleyRao(psum=) is one number for an unstratified design")
        missing = [lab for lab in labels if lab not in psum]
        if missing:
            raise DesignError(f"HartleyRao(psum=) has no value for stratum {missing[0]!r}")
        return np.array([float(psum[lab]) for lab in labels])
    if labels.size > 1:
        raise DesignError(
            "HartleyRao(psum=) needs one value per stratum (a mapping from stratum to value) "
            "for a stratified design"
        )
    return np.full(int(h.max()) + 1, float(psum))


def _joint_in_code_order(method: JointProbabilities, first_row: np.ndarray) -> np.ndarray:
    """R's D from ``pij`` (PSUs in order of first appearance) in ci_eval's PSU code order."""
    pij = np.asarray(method.pij, dtype=float)
    n_psu = first_row.size
    if pij.shape != (n_psu, n_psu):
        raise DesignError(
            f"JointProbabilities: pij must be ({n_psu}, {n_psu}), one row per PSU; it is "
            f"{pij.shape}"
        )
    if not np.allclose(pij, pij.T) or np.any(~(pij > 0) | ~(pij <= 1)):
        raise DesignError("JointProbabilities: pij must be symmetric with values in (0, 1]")
    rank = np.argsort(np.argsort(first_row))  # position of each PSU code in data order
    return joint_dcheck(pij[np.ix_(rank, rank)], method.tolerance)
