"""Variance by Taylor linearisation for multistage stratified cluster samples.

Given the linearised (influence) values ``u`` of one or more statistics, one row per respondent,
the variance is computed stage by stage as R ``survey``'s ``svyrecvar`` does (Lumley 2010, §2.2 and
appendix; R ``survey``, ``multistage.R``):

* sum ``u`` within each cluster of the stage, centre the cluster totals on their stratum mean and
  add ``f_h n_h / (n_h - 1)`` times their cross-product, where ``n_h`` is the number of clusters
  sampled in stratum ``h`` and ``f_h = (N_h - n_h) / N_h`` the finite population factor
  (1 without an fpc; a stratum with ``f_h < 1e-7`` is self-representing and adds nothing);
* under PPS sampling with Brewer's approximation (R's ``svydesign(pps = "brewer")``; Brewer 2002,
  eq. 9.12; Berger 2004) each cluster i has its own factor ``1 - pi_i``, pi_i its inclusion
  probability: the stratum adds ``n_h / (n_h - 1) sum_i (1 - pi_i) (z_i - zbar_h)^2``. R's
  ``onestrat`` takes the factors in the order the PSUs first appear in the data but the PSU totals
  in sorted order, so on data not sorted by PSU R pairs PSUs with other PSUs' factors; ci_eval
  pairs each PSU with its own and agrees with R on sorted data;
* when a stage has population sizes, add the variance of the next stage within each of its
  clusters, multiplied by the sampling fraction ``n_h / N_h`` of every stage above it;
* a stratum with a single PSU is handled as R's ``survey.lonely.psu`` option says: ``remove`` and
  ``certainty`` add nothing; ``adjust`` centres it on zero (the population mean of a linearised
  value) instead of its own mean; ``average`` leaves it out and scales the sum over the other strata
  of the same parent up by (strata present) / (strata with more than one PSU).

Domains are handled as ``svyby`` does: each domain's variance uses the full design, with the
influence values of rows outside the domain set to zero, so every stratum keeps its design number
of PSUs.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ci_eval.survey.structure import DesignStructure


class ClusterVariance:
    """Variances of domain totals and ratios from first-stage cluster totals (shared part).

    A subclass sets ``_n`` (rows), ``_plans`` (one :class:`StagePlan` per stage that adds
    variance) and ``_variances(totals_of, domain, n_domains, m, present)``, which turns the
    cluster totals of each plan into variances (n_domains, m).
    """

    _n: int
    _plans: list[StagePlan]

    def _variances(self, totals_of, domain, n_domains, m, present) -> np.ndarray:
        raise NotImplementedError

    def var_by_domain(
        self, u: np.ndarray, domain: np.ndarray, n_domains: int, present: np.ndarray | None = None
    ) -> np.ndarray:
        """Variances (n_domains, m) of the domain totals of the columns of ``u`` (n, m).

        Row ``i`` belongs to domain ``domain[i]``; ``u`` must be zero for rows that are in no
        domain (or not ``present``).
        """
        u = np.asarray(u, dtype=float).reshape(self._n, -1)
        return self._variances(
            lambda plan: plan.cluster_totals(u, None, domain, n_domains),
            domain,
            n_domains,
            u.shape[1],
            present,
        )

    def var_of_ratios(
        self,
        num: np.ndarray,
        den: np.ndarray | None,
        weights: np.ndarray,
        est: np.ndarray,
        t_den: np.ndarray | None,
        domain: np.ndarray,
        n_domains: int,
        present: np.ndarray | None = None,
    ) -> np.ndarray:
        """Variances (n_domains, p) of domain ratios ``T_d(num) / T_d(den)`` (or totals).

        The influence value of row ``i`` in domain ``d`` is ``w_i (num_i - est_d den_i) / T_d``;
        its cluster totals are formed from the weighted cluster totals of ``num`` and ``den``
        without building the (n, p) influence matrix.
        """

        def totals(plan: StagePlan) -> np.ndarray:
            t_num = plan.cluster_totals(num, weights, domain, n_domains)
            if den is None:
                return t_num
            c = plan.stage.n_clusters
            t_d = plan.cluster_totals(den, weights, domain, n_domains).reshape(c, n_domains, -1)
            u = (t_num.reshape(c, n_domains, -1) - est[None] * t_d) / t_den[None]
            return u.reshape(c, -1)

        return self._variances(totals, domain, n_domains, num.shape[1], present)


class TaylorVariance(ClusterVariance):
    """Linearisation variance for one design structure and lonely-PSU rule.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ci_eval.survey.structure import build_structure
    >>> df = pd.DataFrame({"h": [0, 0, 1, 1], "psu": [0, 1, 2, 3]})
    >>> tv = TaylorVariance(build_structure(df, "psu", "h", None, nest=False), "fail")
    >>> u = np.array([[1.0], [3.0], [2.0], [2.0]])
    >>> float(tv.vcov(u)[0, 0])  # stratum 0: (1-2)^2 + (3-2)^2 times 2/1; stratum 1: 0
    4.0
    """

    def __init__(self, structure: DesignStructure, lonely_psu: str) -> None:
        self.structure = structure
        self.lonely_psu = lonely_psu
        n = structure.stages[0].cluster.size
        self._n = n
        self._plans = []
        multiplier_of_cluster = np.ones(structure.stages[0].n_clusters)
        parent_mult = None
        for s, stage in enumerate(structure.stages):
            if s > 0:
                prev = structure.stages[s - 1]
                if not prev.has_fpc:
                    break
                # multiplier of a stage-s stratum: fraction and multiplier of its parent cluster
                parent_mult = multiplier_of_cluster[stage.parent_of_stratum]
            mult = np.ones(stage.n_strata) if parent_mult is None else parent_mult
            self._plans.append(StagePlan(stage, mult, lonely_psu, n))
            multiplier_of_cluster = mult[stage.stratum_of_cluster] * stage.fraction_of_cluster

    def vcov(self, u: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
        """Covariance matrix (m, m) of the totals of the columns of ``u`` (n, m)."""
        u = np.asarray(u, dtype=float).reshape(self._n, -1)
        out = np.zeros((u.shape[1], u.shape[1]))
        for plan in self._plans:
            totals = plan.cluster_totals(u, None, None, 1)
            centred, weight = plan.centre(totals, None, 1, present)
            out += (centred * weight).T @ centred
        return out

    def _variances(self, totals_of, domain, n_domains, m, present) -> np.ndarray:
        out = np.zeros((n_domains, m))
        for plan in self._plans:
            centred, weight = plan.centre(totals_of(plan), domain, n_domains, present)
            sq = centred.reshape(-1, n_domains, m) ** 2
            out += np.einsum("cd,cdm->dm", weight, sq)
        return out


class StagePlan:
    """Precomputed cluster and stratum maps of one stage."""

    def __init__(self, stage, multiplier: np.ndarray, lonely_psu: str, n: int) -> None:
        self.stage = stage
        self.n = n
        c = stage.n_clusters
        h = stage.stratum_of_cluster
        self.to_stratum = sparse.csr_matrix(
            (np.ones(c), (h, np.arange(c))), shape=(stage.n_strata, c)
        )
        n_h = stage.n_sampled
        # per cluster: f n_h / (n_h - 1), f = 1 - its sampling fraction (R's onestrat); the
        # fraction is the stratum's, or the cluster's own inclusion probability under PPS
        f = stage.factor_of_cluster
        n_c = n_h[h]
        scale = np.where(n_c > 1, f * n_c / np.maximum(n_c - 1, 1), f)
        scale = np.where(stage.self_representing[h], 0.0, scale)
        self.lonely = (n_h == 1) & ~stage.self_representing
        self.centred = np.ones(stage.n_strata, dtype=bool)
        if lonely_psu in ("remove", "certainty", "fail", "average"):
            scale = np.where(self.lonely[h], 0.0, scale)
        elif lonely_psu == "adjust":
            self.centred = ~self.lonely
        self.average = lonely_psu == "average" and bool(self.lonely.any())
        self.cluster_weight = scale * multiplier[h]
        self.parent = stage.parent_of_stratum
        self.n_parents = int(self.parent.max()) + 1
        # data sorted by cluster (survey files usually are): each cluster is one run of rows
        cl = stage.cluster
        self.runs = (
            np.flatnonzero(np.r_[True, cl[1:] != cl[:-1]])
            if bool(np.all(cl[1:] >= cl[:-1]))
            else None
        )

    def cluster_totals(
        self,
        x: np.ndarray,
        weights: np.ndarray | None,
        domain: np.ndarray | None,
        n_domains: int,
    ) -> np.ndarray:
        """Totals (C, D*m) of the (weighted) columns of ``x`` per cluster and domain.

        One ``bincount`` per column: columns of a Fortran-ordered matrix are contiguous, so this
        is one pass over the data with no copy of it. When the rows are sorted by cluster and
        there are no domains, each cluster is a run of rows and ``add.reduceat`` sums the runs
        several times faster.
        """
        c = self.stage.n_clusters
        if self.runs is not None and (domain is None or n_domains == 1):
            out = np.empty((c, x.shape[1]))
            for j in range(x.shape[1]):
                col = x[:, j] if weights is None else x[:, j] * weights
                out[:, j] = np.add.reduceat(col, self.runs)
            return out
        if domain is None or n_domains == 1:
            key, size = self.stage.cluster, c
        else:
            key, size = self.stage.cluster * n_domains + domain, c * n_domains
        m = x.shape[1]
        out = np.empty((size, m))
        for j in range(m):
            col = x[:, j] if weights is None else x[:, j] * weights
            out[:, j] = np.bincount(key, weights=col, minlength=size)
        return out.reshape(c, n_domains * m)

    def centre(
        self,
        totals: np.ndarray,
        domain: np.ndarray | None,
        n_domains: int,
        present: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cluster totals centred within strata (C, D*m) and the weight of each (C, D)."""
        means = (self.to_stratum @ totals) / self.stage.n_sampled[:, None]
        h = self.stage.stratum_of_cluster
        centred = totals - np.where(self.centred[h][:, None], means[h], 0.0)
        weight = np.repeat(self.cluster_weight[:, None], n_domains, axis=1)
        if self.average:
            weight = weight * self._average_factor(domain, n_domains, present)[h]
        return centred, weight

    def _average_factor(
        self, domain: np.ndarray | None, n_domains: int, present: np.ndarray | None
    ) -> np.ndarray:
        """(strata present) / (non-lonely strata present) per parent group, for each stratum."""
        rows = np.ones(self.n, dtype=bool) if present is None else present
        dom = np.zeros(self.n, dtype=np.int64) if domain is None else domain
        row_stratum = self.stage.stratum_of_cluster[self.stage.cluster]
        hits = np.zeros((self.stage.n_strata, n_domains), dtype=bool)
        hits[row_stratum[rows], dom[rows]] = True
        n_present = np.zeros((self.n_parents, n_domains))
        n_ok = np.zeros((self.n_parents, n_domains))
        np.add.at(n_present, self.parent, hits)
        np.add.at(n_ok, self.parent, hits & ~self.lonely[:, None])
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = n_present / n_ok
        return factor[self.parent]
