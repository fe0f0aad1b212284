"""Replicate weights built from a design's structure, as R ``survey``'s ``as.svrepdesign``.

Each builder returns the compressed form R uses (``repweights_compressed``): one row of replicate
multipliers per first-stage PSU, with ``scale`` and ``rscales`` for the variance
``scale * sum_r rscales_r (theta_r - centre)^2`` (R ``survey``, ``surveyrep.R``):

* ``JK1`` (``jk1weights``): one replicate per PSU of an unstratified design; the dropped PSU gets
  0, the others n / (n - 1); ``scale = f (n - 1) / n`` with ``f = (N - n) / N`` from the first-stage
  fpc (1 without one); with ``f = 0`` there are no replicates.
* ``JKn`` (``jknweights``): per stratum, one replicate per PSU, multiplying the other PSUs of the
  stratum by n_h / (n_h - 1); ``rscales = f_h (n_h - 1) / n_h`` and ``scale = 1``. A stratum with
  ``f_h = 0`` gets no replicate; a stratum with one PSU follows the lonely-PSU rule as R does.
* ``bootstrap``: Canty and Davison's (1999) bootstrap, R's ``bootweights``
  (``as.svrepdesign(type = "bootstrap")``): in every stratum the n_h PSUs are resampled n_h
  times with replacement, and a PSU drawn k times gets the multiplier k. With a first-stage
  population size N_h the n_h draws are made without replacement from a pseudo-population, the
  PSUs in random order repeated to N_h units (R's ``rep(upsu, length = N_h)``, N_h truncated to
  an integer as R does), so a stratum sampled whole keeps multiplier 1. ``scale = nbar /
  ((nbar - 1) (R - 1))`` with nbar the harmonic mean of the n_h (R does not use the fpc in it).
* ``subbootstrap``: the Rao-Wu (1988) rescaled bootstrap, R's ``subbootweights``: in every
  stratum, n_h - 1 of the n_h PSUs are drawn with replacement and a PSU drawn k times gets
  k n_h / (n_h - 1); ``scale = 1 / (R - 1)``. The first-stage fpc is not used, as in R.

Both bootstraps draw from numpy's ``default_rng(seed)``, so they cannot repeat R's draws; R's own
counts can be given to ``as_replicate("bootstrap", counts=...)`` to rebuild R's design exactly.
* ``BRR`` / ``Fay`` (``brrweights``): half samples from the rows of a Hadamard matrix, strata with
  two PSUs (larger strata with an even number of PSUs are split into pairs, as R's default);
  the chosen PSU of each pair gets ``2 - rho``, the other ``rho``; ``scale = 1 / (R (1 - rho)^2)``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ci_eval.errors import DesignError
from ci_eval.survey.hadamard import hadamard
from ci_eval.survey.replicate import ReplicateDesign
from ci_eval.survey.structure import DesignStructure

if TYPE_CHECKING:
    from ci_eval.survey.design import SurveyDesign


@dataclass(frozen=True)
class ReplicateFactors:
    """Replicate multipliers per first-stage PSU, and the variance multipliers."""

    factors: np.ndarray  # (n_psu, R)
    scale: float
    rscales: np.ndarray  # (R,)


def _psus_by_stratum(structure: DesignStructure) -> list[np.ndarray]:
    stage = structure.stages[0]
    order = np.argsort(stage.stratum_of_cluster, kind="stable")
    bounds = np.searchsorted(stage.stratum_of_cluster[order], np.arange(stage.n_strata + 1))
    return [order[bounds[h] : bounds[h + 1]] for h in range(stage.n_strata)]


def jk1_factors(structure: DesignStructure) -> ReplicateFactors:
    """Delete-one-PSU jackknife of an unstratified design (R's ``jk1weights``).

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.survey.structure import build_structure
    >>> rf = jk1_factors(build_structure(pd.DataFrame({"psu": [1, 2, 3]}), "psu", None, None,
    ...                                  nest=False))
    >>> rf.factors.tolist(), rf.scale
    ([[0.0, 1.5, 1.5], [1.5, 0.0, 1.5], [1.5, 1.5, 0.0]], 0.6666666666666666)
    """
    stage = structure.stages[0]
    if structure.has_strata and stage.n_strata > 1:
        raise DesignError(
            "JK1 is for unstratified designs (R refuses it for a stratified one); use 'JKn'"
        )
    n = stage.n_clusters
    if n < 2:
        raise DesignError("JK1 needs at least two PSUs; the design has one")
    f = float(stage.fpc_factor[0])
    if f == 0:  # every PSU sampled: no variance, no replicates (survey.drop.replicates)
        return ReplicateFactors(np.zeros((n, 0)), 0.0, np.zeros(0))
    factors = (1.0 - np.eye(n)) * (n / (n - 1))
    return ReplicateFactors(factors, f * (n - 1) / n, np.ones(n))


def jkn_factors(structure: DesignStructure, lonely_psu: str) -> ReplicateFactors:
    """Stratified delete-one-PSU jackknife (R's ``jknweights``)."""
    stage = structure.stages[0]
    if not structure.has_strata:
        raise DesignError("JKn is for stratified designs; use 'JK1' or 'bootstrap'")
    n_psu, n_strata = stage.n_clusters, stage.n_strata
    fpc = stage.fpc_factor
    columns: list[np.ndarray] = []
    rscales: list[float] = []
    for h, psus in enumerate(_psus_by_stratum(structure)):
        n_h = psus.size
        if fpc[h] == 0:
            continue
        if n_h == 1:
            if lonely_psu == "fail":
                raise DesignError(
                    f"stratum {stage.stratum_names[h]} has only one PSU; choose lonely_psu= "
                    "'remove', 'adjust', 'average' or 'certainty'"
                )
            if lonely_psu != "adjust":
                continue
            col = np.full(n_psu, n_strata / (n_strata - 1))
            col[psus] = 0.0
            columns.append(col)
            rscales.append((n_strata - 1) / n_strata)
            continue
        for j in psus:
            col = np.ones(n_psu)
            col[psus] = n_h / (n_h - 1)
            col[j] = 0.0
            columns.append(col)
            rscales.append(fpc[h] * (n_h - 1) / n_h)
    if not columns:
        raise DesignError("all strata were sampled exhaustively: the design has no variance")
    scale = 1.0
    if len(columns) < n_psu and lonely_psu == "average":
        scale = n_psu / len(columns)
    return ReplicateFactors(np.column_stack(columns), scale, np.asarray(rscales))


def bootstrap_counts(structure: DesignStructure, replicates: int, seed: int | None) -> np.ndarray:
    """Canty-Davison resampling counts (n_psu, R) of R's ``bootstratum``; see the module docstring.

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.survey.structure import build_structure
    >>> df = pd.DataFrame({"h": [0, 0, 0, 1, 1], "psu": [1, 2, 3, 4, 5], "N": [3, 3, 3, 9, 9]})
    >>> counts = bootstrap_counts(build_structure(df, "psu", "h", "N", nest=False), 4, seed=1)
    >>> counts[:3].tolist()  # stratum 0 was sampled whole: every PSU is drawn once
    [[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]
    >>> counts[3:].sum(axis=0).tolist()  # n_h = 2 draws in stratum 1
    [2.0, 2.0, 2.0, 2.0]
    """
    if replicates < 2:
        raise DesignError(f"replicates={replicates}: the bootstrap needs at least 2")
    rng = np.random.default_rng(seed)
    stage = structure.stages[0]
    counts = np.ones((stage.n_clusters, replicates))
    for h, psus in enumerate(_psus_by_stratum(structure)):
        n_h = psus.size
        popsize = None if stage.popsize is None else stage.popsize[h]
        if popsize is None or np.isinf(popsize):
            counts[psus] = rng.multinomial(n_h, np.full(n_h, 1.0 / n_h), size=replicates).T
            continue
        counts[psus] = _draws_without_replacement(rng, n_h, int(popsize), replicates).T
    return counts


def _draws_without_replacement(
    rng: np.random.Generator, n: int, popsize: int, replicates: int
) -> np.ndarray:
    """Counts (R, n) of n draws without replacement from the n PSUs repeated to ``popsize``.

    R's ``sample(rep(sample(upsu), length = N), n)``: the PSUs in random order are repeated to N
    units (the first N mod n get one copy more), then n units are drawn. The multivariate
    hypergeometric draw is made one PSU at a time for all replicates at once.
    """
    each, extra = divmod(popsize, n)
    ranks = rng.random((replicates, n)).argsort(axis=1).argsort(axis=1)
    copies = each + (ranks < extra).astype(np.int64)
    counts = np.empty((replicates, n))
    left_units = np.full(replicates, popsize, dtype=np.int64)
    left_draws = np.full(replicates, n, dtype=np.int64)
    for i in range(n - 1):
        drawn = rng.hypergeometric(copies[:, i], left_units - copies[:, i], left_draws)
        counts[:, i] = drawn
        left_draws -= drawn
        left_units -= copies[:, i]
    counts[:, n - 1] = left_draws
    return counts


def canty_davison_factors(structure: DesignStructure, counts: np.ndarray) -> ReplicateFactors:
    """R's ``bootweights`` from resampling counts (n_psu, R): multipliers and R's scale.

    ``scale = nbar / ((nbar - 1) (R - 1))`` with nbar the harmonic mean of the number of PSUs per
    stratum (R's ``psu.per.strata``), ``rscales = 1``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ci_eval.survey.structure import build_structure
    >>> st = build_structure(pd.DataFrame({"psu": [1, 2, 3]}), "psu", None, None, nest=False)
    >>> rf = canty_davison_factors(st, np.array([[2, 0], [1, 1], [0, 2.0]]))
    >>> rf.scale  # nbar = 3: 3 / (2 * 1)
    1.5
    """
    stage = structure.stages[0]
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 2 or counts.shape[0] != stage.n_clusters or counts.shape[1] < 2:
        raise DesignError(
            f"bootstrap counts must be an array (PSUs = {stage.n_clusters}, replicates >= 2), "
            f"not of shape {counts.shape}"
        )
    nbar = 1.0 / np.mean(1.0 / stage.n_sampled)
    if nbar <= 1:
        raise DesignError("the bootstrap needs a stratum with at least two PSUs")
    n_rep = counts.shape[1]
    return ReplicateFactors(counts, float(nbar / ((nbar - 1) * (n_rep - 1))), np.ones(n_rep))


def subbootstrap_factors(
    structure: DesignStructure, replicates: int, seed: int | None
) -> ReplicateFactors:
    """Rao-Wu rescaled bootstrap (R's ``subbootweights``); reproducible with ``seed``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ci_eval.survey.structure import build_structure
    >>> st = build_structure(pd.DataFrame({"psu": [1, 2, 3, 4]}), "psu", None, None, nest=False)
    >>> rf = subbootstrap_factors(st, replicates=5, seed=1)
    >>> rf.factors.sum(axis=0).tolist()  # n - 1 = 3 draws, each worth 4/3
    [4.0, 4.0, 4.0, 4.0, 4.0]
    """
    if replicates < 2:
        raise DesignError(f"replicates={replicates}: the bootstrap needs at least 2")
    rng = np.random.default_rng(seed)
    stage = structure.stages[0]
    factors = np.ones((stage.n_clusters, replicates))
    for psus in _psus_by_stratum(structure):
        n_h = psus.size
        if n_h < 2:  # a lonely PSU cannot be resampled: it adds no variance
            continue
        draws = rng.integers(0, n_h, size=(replicates, n_h - 1))
        offset = draws + (np.arange(replicates) * n_h)[:, None]
        counts = np.bincount(offset.ravel(), minlength=replicates * n_h).reshape(replicates, n_h)
        factors[psus] = counts.T * (n_h / (n_h - 1))
    return ReplicateFactors(factors, 1.0 / (replicates - 1), np.ones(replicates))


def brr_factors(
    structure: DesignStructure, data: pd.DataFrame, strata: str, fay_rho: float
) -> ReplicateFactors:
    """Balanced repeated replication, with Fay's factor ``fay_rho`` (R's ``brrweights``).

    Pairs are formed as R does: strata in the order of their labels as text, PSUs in the order
    they first appear in the data; strata of more than two PSUs (an even number) are split into
    consecutive pairs and numbered before the strata of exactly two.
    """
    stage = structure.stages[0]
    if not structure.has_strata:
        raise DesignError("BRR is for stratified designs with two PSUs per stratum")
    n = stage.cluster.size
    first_row = np.full(stage.n_clusters, n, dtype=np.int64)
    np.minimum.at(first_row, stage.cluster, np.arange(n))
    labels = data[strata].astype(str).to_numpy()
    psu_label = labels[first_row]
    table = pd.DataFrame({"label": psu_label, "first": first_row, "psu": np.arange(first_row.size)})
    table = table.sort_values(["label", "first"], kind="stable")
    sizes = table.groupby("label", sort=True)["psu"].size()
    if (sizes < 2).any():
        raise DesignError(
            f"BRR needs at least two PSUs per stratum; stratum {strata}={sizes.index[sizes < 2][0]}"
            " has one"
        )
    if (sizes % 2 == 1).any():
        bad = sizes.index[sizes % 2 == 1][0]
        raise DesignError(
            f"BRR pairs PSUs within strata; stratum {strata}={bad} has an odd number "
            f"({int(sizes[bad])}) of PSUs"
        )
    pair = np.empty(stage.n_clusters, dtype=np.int64)
    first = np.empty(stage.n_clusters, dtype=bool)
    next_pair = 0
    for large in (True, False):
        for label, size in sizes.items():
            if (size > 2) != large:
                continue
            psus = table.loc[table["label"] == label, "psu"].to_numpy()
            pair[psus] = next_pair + np.arange(size) // 2
            first[psus] = np.arange(size) % 2 == 0
            next_pair += size // 2
    h = hadamard(next_pair)
    chosen = h[1 + pair, :] == 1  # (n_psu, R): does the first PSU of the pair get 2 - rho?
    chosen = np.where(first[:, None], chosen, ~chosen)
    factors = np.where(chosen, 2.0 - fay_rho, fay_rho)
    n_rep = h.shape[1]
    return ReplicateFactors(factors, 1.0 / (n_rep * (1 - fay_rho) ** 2), np.ones(n_rep))


AS_REPLICATE_TYPES = ("JK1", "JKn", "bootstrap", "subbootstrap", "BRR", "Fay")
BOOTSTRAPS = ("bootstrap", "subbootstrap")


def make_replicate_design(
    design: SurveyDesign,
    type: str,
    replicates: int | None,
    seed: int | None,
    fay_rho: float,
    mse: bool,
    counts: np.ndarray | None = None,
) -> ReplicateDesign:
    """The replicate design of ``design`` (see :meth:`SurveyDesign.as_replicate`)."""
    if type not in AS_REPLICATE_TYPES:
        raise DesignError(f"type={type!r} is not one of {', '.join(AS_REPLICATE_TYPES)}")
    if replicates is not None and type not in BOOTSTRAPS:
        raise DesignError(f"replicates= only applies to the bootstraps, not {type!r}")
    if counts is not None and type != "bootstrap":
        raise DesignError(f"counts= only applies to type='bootstrap', not {type!r}")
    if design.pps is not None:
        raise DesignError(
            "as_replicate is not available for a PPS design: replicate weights of a "
            "without-replacement PPS sample would drop its joint inclusion probabilities"
        )
    if design.is_calibrated:
        warnings.warn(
            "the design was calibrated: its replicate weights are built from the final weights "
            "and do not repeat the calibration in each replicate (weight the replicate design "
            "instead)",
            UserWarning,
            stacklevel=3,
        )
    structure = design.structure
    n_rep = 50 if replicates is None else int(replicates)
    if type == "JK1":
        rf = jk1_factors(structure)
    elif type == "JKn":
        rf = jkn_factors(structure, design.lonely_psu)
    elif type == "bootstrap":
        if counts is None:
            counts = bootstrap_counts(structure, n_rep, seed)
        rf = canty_davison_factors(structure, counts)
    elif type == "subbootstrap":
        rf = subbootstrap_factors(structure, n_rep, seed)
    else:
        rho = fay_rho if type == "Fay" else 0.0
        if type == "BRR" and fay_rho != 0:
            warnings.warn("type='BRR' ignores fay_rho; use type='Fay'", UserWarning, stacklevel=3)
        if type == "Fay" and not 0 < fay_rho < 1:
            raise DesignError("type='Fay' needs fay_rho= in (0, 1) (0 is plain BRR)")
        if design.fpc:
            warnings.warn("the fpc is dropped for BRR (as R)", UserWarning, stacklevel=3)
        if not design.strata:
            raise DesignError("BRR is for stratified designs with two PSUs per stratum")
        rf = brr_factors(structure, design.data, design.strata[0], rho)
        type = "BRR" if rho == 0 else "Fay"
    return ReplicateDesign.from_factors(
        design.data,
        design.sampling_weights.copy(),
        rf.factors,
        structure.psu,
        type=type,
        scale=rf.scale,
        rscales=rf.rscales,
        mse=mse,
        fay_rho=fay_rho if type == "Fay" else 0.0,
    )
