"""The sampling structure of a design: stages of clusters, strata and population sizes.

This module turns the column names a user gives (``ids``, ``strata``, ``fpc``) into integer codes
per stage, the way R's ``svydesign`` does (Lumley 2010, ch. 2; R ``survey``'s ``svydesign`` and
``as.fpc``):

* clusters at stage *s* are nested in the clusters of stage *s - 1* (an id is only unique within
  its parent);
* with ``nest=True`` clusters are also nested in their strata (an id is only unique within its
  stratum); without it, a first-stage cluster found in two strata is an error;
* the strata of stage *s > 1* are the given stage strata (if any) within each cluster of stage
  *s - 1*;
* the design sample size of a stratum is its number of distinct clusters; ``fpc`` is either the
  population number of clusters (all values > 1) or the sampling fraction (all values <= 1);
* with ``pps=True`` (R's ``svydesign(pps = "brewer")``) the fpc must be sampling fractions and may
  differ between the clusters of a stratum: it is each cluster's inclusion probability.

No estimation happens here. The structure is immutable and shared by designs derived from one
another (weighting never changes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ci_eval.errors import DesignError

LONELY_PSU_OPTIONS = ("fail", "remove", "adjust", "average", "certainty")
SELF_REPRESENTING = 1e-7  # R: a stratum with fpc factor below this contributes no variance


@dataclass(frozen=True)
class Stage:
    """One stage of sampling.

    Attributes
    ----------
    cluster : codes (n,) of the cluster each row belongs to, unique over the whole sample.
    n_clusters : number of clusters at this stage.
    stratum_of_cluster : codes (n_clusters,) of the stratum each cluster was sampled in.
    n_strata : number of strata at this stage (for stage > 1: strata within parent clusters).
    n_sampled : (n_strata,) number of clusters sampled in each stratum (the design sample size).
    popsize : (n_strata,) population number of clusters per stratum, or ``None`` (with replacement).
    parent_of_stratum : (n_strata,) code of the parent cluster (stage - 1); all 0 at stage 1.
    stratum_names : a printable name for each stratum, for error messages.
    cluster_fraction : (n_clusters,) inclusion probability of each cluster when it varies within
        strata (PPS sampling, R's ``pps = "brewer"``; ``popsize`` is then ``None``), else ``None``.
    """

    cluster: np.ndarray
    n_clusters: int
    stratum_of_cluster: np.ndarray
    n_strata: int
    n_sampled: np.ndarray
    popsize: np.ndarray | None
    parent_of_stratum: np.ndarray
    stratum_names: tuple[str, ...]
    cluster_fraction: np.ndarray | None = None

    @property
    def has_fpc(self) -> bool:
        """The stage is sampled without replacement (it has population sizes or fractions)."""
        return self.popsize is not None or self.cluster_fraction is not None

    @property
    def fraction_of_cluster(self) -> np.ndarray:
        """Sampling fraction of each cluster (0 where sampled with replacement)."""
        if self.cluster_fraction is not None:
            return self.cluster_fraction
        return self.fraction[self.stratum_of_cluster]

    @property
    def factor_of_cluster(self) -> np.ndarray:
        """The finite population factor of each cluster: 1 - its sampling fraction (1 without)."""
        if self.cluster_fraction is not None:
            return 1.0 - self.cluster_fraction
        return self.fpc_factor[self.stratum_of_cluster]

    @property
    def self_representing(self) -> np.ndarray:
        """(n_strata,) every cluster's factor is below 1e-7: the stratum adds no variance (R)."""
        varies = np.bincount(
            self.stratum_of_cluster,
            weights=(self.factor_of_cluster >= SELF_REPRESENTING).astype(float),
            minlength=self.n_strata,
        )
        return varies == 0

    @property
    def fraction(self) -> np.ndarray:
        """Sampling fraction n/N per stratum (0 where sampled with replacement)."""
        if self.popsize is None:
            return np.zeros(self.n_strata)
        return self.n_sampled / self.popsize

    @property
    def fpc_factor(self) -> np.ndarray:
        """The finite population factor (N - n) / N per stratum (1 without fpc)."""
        if self.popsize is None:
            return np.ones(self.n_strata)
        with np.errstate(invalid="ignore", divide="ignore"):
            f = (self.popsize - self.n_sampled) / self.popsize
        return np.where(np.isinf(self.popsize), 1.0, f)


@dataclass(frozen=True)
class DesignStructure:
    """All stages of a design, plus what estimators need to know about strata and PSUs."""

    stages: tuple[Stage, ...]
    has_strata: bool

    @property
    def psu(self) -> np.ndarray:
        """First-stage cluster code of every row."""
        return self.stages[0].cluster

    @property
    def stratum(self) -> np.ndarray:
        """First-stage stratum code of every row."""
        s = self.stages[0]
        return s.stratum_of_cluster[s.cluster]

    def degf(self, rows: np.ndarray | None = None) -> int:
        """Design degrees of freedom: PSUs minus strata among ``rows`` (R's ``degf``)."""
        psu, stratum = self.psu, self.stratum
        if rows is not None:
            psu, stratum = psu[rows], stratum[rows]
        return int(np.unique(psu).size - np.unique(stratum).size)

    def sampling_weights_from_fpc(self) -> np.ndarray:
        """Weights implied by the population sizes: the product over stages of N / n.

        With R's arithmetic, so that the weights are R's to the last bit (quantiles and the
        shares at or below them can turn on it): each stage's probability ``1 / (N / n)``,
        their product accumulated in long double (R's ``prod``), and its inverse.
        """
        prob = np.ones(self.stages[0].cluster.size, dtype=np.longdouble)
        for stage in self.stages:
            if not stage.has_fpc:
                raise DesignError(
                    "no weights or probabilities were given and the fpc does not cover every "
                    "stage, so the weights cannot be computed; pass weights= or probs="
                )
            if stage.cluster_fraction is not None:
                p = stage.cluster_fraction
            else:
                p = (1.0 / (stage.popsize / stage.n_sampled))[stage.stratum_of_cluster]
            prob = prob * p[stage.cluster].astype(np.longdouble)
        return 1.0 / prob.astype(np.float64)


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _column(df: pd.DataFrame, name: str, role: str) -> pd.Series:
    if name not in df.columns:
        raise DesignError(f"{role} column {name!r} is not in the data (columns: {_names(df)})")
    col = df[name]
    if col.isna().any():
        row = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise DesignError(f"{role} column {name!r} has missing values (first at row {row})")
    return col


def _names(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    return ", ".join(cols[:12]) + (", ..." if len(cols) > 12 else "")


def _codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(np.asarray(values), sort=True)
    return codes.astype(np.int64), np.asarray(uniques)


def _combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Codes of the pairs (a, b), dense and in sorted order."""
    key = a * (int(b.max(initial=0)) + 1) + b
    codes, _ = pd.factorize(key, sort=True)
    return codes.astype(np.int64)


def build_structure(
    df: pd.DataFrame,
    ids: str | Sequence[str] | None,
    strata: str | Sequence[str] | None,
    fpc: str | Sequence[str] | None,
    nest: bool,
    pps: bool = False,
) -> DesignStructure:
    """Build the stage structure of a design from column names (see the module docstring).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"s": ["a", "a", "b", "b"], "psu": [1, 2, 1, 2], "N": [10, 10, 20, 20]})
    >>> st = build_structure(df, "psu", "s", "N", nest=True)
    >>> st.stages[0].n_sampled.tolist(), st.stages[0].popsize.tolist(), st.degf()
    ([2.0, 2.0], [10.0, 20.0], 2)
    """
    n = len(df)
    id_cols = _as_list(ids)
    strata_cols = _as_list(strata)
    fpc_cols = _as_list(fpc)
    n_stages = max(len(id_cols), 1)
    if len(strata_cols) > n_stages:
        raise DesignError(f"{len(strata_cols)} strata columns given for {n_stages} stage(s)")
    if len(fpc_cols) > n_stages:
        raise DesignError(f"{len(fpc_cols)} fpc columns given for {n_stages} stage(s)")

    raw_ids = [_codes(_column(df, c, "ids"))[0] for c in id_cols] if id_cols else [np.arange(n)]
    raw_strata = [_codes(_column(df, c, "strata")) for c in strata_cols]
    stage_strata_codes = [s[0] for s in raw_strata]

    # clusters nested in the clusters of the previous stage
    clusters: list[np.ndarray] = []
    for s, rid in enumerate(raw_ids):
        clusters.append(rid if s == 0 else _combine(clusters[s - 1], rid))
    # clusters nested in strata
    if nest and strata_cols:
        for s in range(n_stages):
            code = clusters[s]
            for k in range(min(s + 1, len(strata_cols))):
                code = _combine(stage_strata_codes[k], code)
            clusters[s] = code
    elif strata_cols and id_cols:
        _check_nested(
            clusters[0], stage_strata_codes[0], id_cols[0], strata_cols[0], raw_ids[0], df
        )

    fpc_values = [_fpc_column(df, c) for c in fpc_cols]
    if fpc_values:
        all_fpc = np.concatenate(fpc_values)
        if np.any(all_fpc > 1) and not np.all(all_fpc >= 1):
            raise DesignError(
                f"fpc columns {fpc_cols} mix population sizes (> 1) and sampling fractions (< 1); "
                "give all as population sizes or all as fractions"
            )
        is_popsize = bool(np.any(all_fpc > 1))
        if pps and is_popsize:
            raise DesignError(
                f"fpc columns {fpc_cols}: a PPS design takes the fpc as sampling fractions "
                "(inclusion probabilities, <= 1), as R's svydesign(pps=)"
            )
    else:
        is_popsize = True

    stages: list[Stage] = []
    for s in range(n_stages):
        if s == 0:
            base = stage_strata_codes[0] if strata_cols else np.zeros(n, dtype=np.int64)
            row_stratum = base
        else:
            k = min(s, len(strata_cols) - 1)
            given = stage_strata_codes[k] if strata_cols else np.zeros(n, dtype=np.int64)
            row_stratum = _combine(clusters[s - 1], given)
        stage = _make_stage(
            clusters[s],
            row_stratum,
            clusters[s - 1] if s > 0 else None,
            fpc_values[s] if s < len(fpc_values) else None,
            is_popsize,
            fpc_cols[s] if s < len(fpc_cols) else None,
            s + 1,
            _stratum_labels(df, strata_cols, id_cols, s, row_stratum),
            pps,
        )
        stages.append(stage)
    return DesignStructure(stages=tuple(stages), has_strata=bool(strata_cols))


def _fpc_column(df: pd.DataFrame, name: str) -> np.ndarray:
    col = _column(df, name, "fpc")
    if not pd.api.types.is_numeric_dtype(col):
        raise DesignError(f"fpc column {name!r} must be numeric, not {col.dtype}")
    values = col.to_numpy(dtype=float)
    if np.any(values <= 0):
        row = int(np.flatnonzero(values <= 0)[0])
        raise DesignError(f"fpc column {name!r} has a value <= 0 at row {row}")
    return values


def _check_nested(
    psu: np.ndarray,
    stratum: np.ndarray,
    id_col: str,
    strata_col: str,
    raw: np.ndarray,
    df: pd.DataFrame,
) -> None:
    pairs = pd.DataFrame({"psu": psu, "stratum": stratum}).drop_duplicates()
    counts = pairs.groupby("psu")["stratum"].nunique()
    bad = counts[counts > 1]
    if len(bad):
        row = int(np.flatnonzero(psu == bad.index[0])[0])
        raise DesignError(
            f"PSUs are not nested in strata: PSU {df[id_col].iloc[row]!r} (column {id_col!r}) "
            f"appears in {int(bad.iloc[0])} strata of column {strata_col!r}. If PSU ids are only "
            "unique within strata, pass nest=True"
        )


def _stratum_labels(
    df: pd.DataFrame, strata_cols: list[str], id_cols: list[str], s: int, row_stratum: np.ndarray
) -> tuple[str, ...]:
    first = pd.Series(np.arange(len(df))).groupby(row_stratum).first().to_numpy()
    parts = []
    for r in first:
        bits = []
        if strata_cols:
            col = strata_cols[min(s, len(strata_cols) - 1)]
            bits.append(f"{col}={df[col].iloc[r]!r}")
        if s > 0:
            bits.append(f"within {id_cols[s - 1]}={df[id_cols[s - 1]].iloc[r]!r}")
        parts.append(" ".join(bits) if bits else "(whole sample)")
    return tuple(parts)


def _make_stage(
    cluster: np.ndarray,
    row_stratum: np.ndarray,
    parent_cluster: np.ndarray | None,
    fpc: np.ndarray | None,
    is_popsize: bool,
    fpc_name: str | None,
    stage_no: int,
    names: tuple[str, ...],
    pps: bool = False,
) -> Stage:
    cluster, _ = pd.factorize(cluster, sort=True)
    cluster = cluster.astype(np.int64)
    n_clusters = int(cluster.max()) + 1
    first_row = np.full(n_clusters, -1, dtype=np.int64)
    first_row[cluster[::-1]] = np.arange(cluster.size)[::-1]
    stratum_of_cluster = row_stratum[first_row]
    # a cluster must sit in one stratum (nesting was checked for stage 1 or enforced)
    if np.any(stratum_of_cluster[cluster] != row_stratum):
        raise DesignError(f"clusters at stage {stage_no} cut across strata; pass nest=True")
    n_strata = int(row_stratum.max()) + 1
    n_sampled = np.bincount(stratum_of_cluster, minlength=n_strata).astype(float)
    first_in_stratum = np.full(n_strata, -1, dtype=np.int64)
    first_in_stratum[row_stratum[::-1]] = np.arange(row_stratum.size)[::-1]
    if parent_cluster is None:
        parent = np.zeros(n_strata, dtype=np.int64)
    else:
        parent = parent_cluster[first_in_stratum]
    popsize = None
    if fpc is not None and pps:
        return _pps_stage(
            cluster,
            n_clusters,
            first_row,
            stratum_of_cluster,
            n_strata,
            n_sampled,
            parent,
            names,
            fpc,
            fpc_name,
            stage_no,
        )
    if fpc is not None:
        per_stratum = fpc[first_in_stratum]
        if np.any(fpc != per_stratum[row_stratum]):
            bad = int(np.flatnonzero(fpc != per_stratum[row_stratum])[0])
            raise DesignError(
                f"fpc column {fpc_name!r} varies within a stratum at stage {stage_no} "
                f"(row {bad}, stratum {names[row_stratum[bad]]}); it must be constant per stratum"
            )
        popsize = per_stratum if is_popsize else n_sampled / per_stratum
        if np.any(popsize < n_sampled * (1 - 1e-12)):
            h = int(np.flatnonzero(popsize < n_sampled * (1 - 1e-12))[0])
            raise DesignError(
                f"fpc column {fpc_name!r} implies more than 100% sampling at stage {stage_no} in "
                f"stratum {names[h]}: {int(n_sampled[h])} clusters sampled of {popsize[h]:g}"
            )
    return Stage(
        cluster=cluster,
        n_clusters=n_clusters,
        stratum_of_cluster=stratum_of_cluster,
        n_strata=n_strata,
        n_sampled=n_sampled,
        popsize=popsize,
        parent_of_stratum=parent,
        stratum_names=names,
    )


def _pps_stage(
    cluster: np.ndarray,
    n_clusters: int,
    first_row: np.ndarray,
    stratum_of_cluster: np.ndarray,
    n_strata: int,
    n_sampled: np.ndarray,
    parent: np.ndarray,
    names: tuple[str, ...],
    fpc: np.ndarray,
    fpc_name: str | None,
    stage_no: int,
) -> Stage:
    """A stage whose fpc is each cluster's inclusion probability (R's ``pps = "brewer"``)."""
    fraction = fpc[first_row]
    if np.any(fpc != fraction[cluster]):
        bad = int(np.flatnonzero(fpc != fraction[cluster])[0])
        raise DesignError(
            f"fpc column {fpc_name!r} varies within a cluster at stage {stage_no} (row {bad}); "
            "a PPS design takes one inclusion probability per cluster"
        )
    return Stage(
        cluster=cluster,
        n_clusters=n_clusters,
        stratum_of_cluster=stratum_of_cluster,
        n_strata=n_strata,
        n_sampled=n_sampled,
        popsize=None,
        parent_of_stratum=parent,
        stratum_names=names,
        cluster_fraction=fraction,
    )


def check_lonely(structure: DesignStructure, lonely_psu: str) -> None:
    """Raise under ``lonely_psu='fail'`` when a stratum that contributes variance has one PSU.

    A stage contributes variance when it is the first, or when every stage above it has a
    population size (R recurses into a stage only then). A self-representing stratum (all of
    its clusters sampled) contributes none and is never lonely.
    """
    if lonely_psu not in LONELY_PSU_OPTIONS:
        raise DesignError(
            f"lonely_psu={lonely_psu!r} is not one of {', '.join(LONELY_PSU_OPTIONS)}"
        )
    if lonely_psu != "fail":
        return
    for s, stage in enumerate(structure.stages):
        if s > 0 and not structure.stages[s - 1].has_fpc:
            break
        lonely = (stage.n_sampled == 1) & ~stage.self_representing
        if np.any(lonely):
            h = int(np.flatnonzero(lonely)[0])
            raise DesignError(
                f"stratum {stage.stratum_names[h]} has only one PSU at stage {s + 1} "
                f"({int(lonely.sum())} such strata). Choose how to handle it with lonely_psu= "
                "'remove', 'adjust', 'average' or 'certainty' (as R's survey.lonely.psu)"
            )
