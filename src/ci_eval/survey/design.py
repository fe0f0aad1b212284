"""``SurveyDesign``: a probability sample with its weights and sampling structure.

Modelled on R ``survey``'s ``svydesign``: one object carries the data, the weights and the
structure (stages of clusters, strata, population sizes); every estimator is a method of it and
returns a tidy frame. Variances are by Taylor linearisation (:mod:`ci_eval.survey.taylor`), or for
PPS samples without replacement by R's ``svydesign(pps=)`` methods (:mod:`ci_eval.survey.pps`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ci_eval.errors import DesignError
from ci_eval.survey.base import DesignBase, check_weights, domain_totals, read_weights
from ci_eval.survey.pps import PPSMethod, method_name, pps_variance
from ci_eval.survey.replicate import ReplicateDesign
from ci_eval.survey.replicate_weights import make_replicate_design
from ci_eval.survey.structure import DesignStructure, build_structure, check_lonely
from ci_eval.survey.taylor import ClusterVariance, TaylorVariance
from ci_eval.survey.variables import as_list, check_columns

InfluenceAdjustment = Callable[[np.ndarray], np.ndarray]
WeightsArg = str | Sequence[float] | np.ndarray | pd.Series | None


class SurveyDesign(DesignBase):
    """A complex sample design, as R's ``svydesign``.

    Parameters
    ----------
    data : the respondents, one row each.
    ids : cluster id column per stage (a name, or a list for several stages); ``None`` makes
        every row its own PSU.
    strata : stratum column (or one per stage); ``None`` for an unstratified design.
    weights : sampling weight column (or an array aligned with ``data``).
    probs : selection probability column(s) (multiplied across stages), or a number for all
        rows; give ``weights`` or ``probs``, not both. With neither, the weights come from
        ``fpc`` when it gives population sizes, else every weight is 1 (with a warning, as R).
    fpc : per stage, the population number of clusters in the stratum (values > 1) or the
        sampling fraction (values <= 1), as R.
    nest : cluster ids are only unique within strata (relabel them per stratum).
    lonely_psu : how a stratum with one PSU enters the variance: ``"fail"`` (the default),
        ``"remove"``, ``"adjust"``, ``"average"`` or ``"certainty"``, as R's
        ``options(survey.lonely.psu=)``.
    pps : sampling with probability proportional to size without replacement, as R's
        ``svydesign(pps=)``: ``"brewer"`` (Brewer's approximation; ``fpc`` gives each PSU's
        inclusion probability, any number of stages), ``"overton"``, ``"HR"`` or
        ``HartleyRao(psum)`` (Hartley-Rao), or ``JointProbabilities(pij)`` (the exact
        Horvitz-Thompson or Yates-Grundy variance, R's ``ppsmat``). These last take the inclusion
        probabilities from ``probs`` or ``fpc`` (fractions), one stage only. See
        :mod:`ci_eval.survey.pps`.
    variance : ``"HT"`` (Horvitz-Thompson form, the default) or ``"YG"`` (Yates-Grundy), for the
        PPS methods other than ``"brewer"``, as R's ``variance=``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"h": ["a", "a", "b", "b"], "y": [1.0, 3.0, 2.0, 6.0],
    ...                    "w": [10.0, 10.0, 20.0, 20.0]})
    >>> d = SurveyDesign(df, strata="h", weights="w")
    >>> d.mean("y")[["variable", "estimate"]].round(4).to_dict("records")
    [{'variable': 'y', 'estimate': 3.3333}]
    """

    def __init__(
        self,
        data: pd.DataFrame,
        ids: str | Sequence[str] | None = None,
        strata: str | Sequence[str] | None = None,
        weights: WeightsArg = None,
        probs: str | Sequence[str] | float | None = None,
        fpc: str | Sequence[str] | None = None,
        nest: bool = False,
        lonely_psu: str = "fail",
        pps: PPSMethod | None = None,
        variance: str = "HT",
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DesignError(f"data must be a pandas DataFrame, not {type(data).__name__}")
        if len(data) == 0:
            raise DesignError("data has no rows")
        self.data = data
        self.ids = as_list(ids)
        self.strata = as_list(strata)
        self.fpc = as_list(fpc)
        self.nest = nest
        self.lonely_psu = lonely_psu
        self.pps = pps
        self.structure: DesignStructure = build_structure(
            data, ids, strata, fpc, nest, pps=pps is not None
        )
        if pps is not None and not (isinstance(pps, str) and pps == "brewer"):
            _check_pps_inputs(pps, weights, probs, self.fpc)
        self._w = _sampling_weights(data, weights, probs, self.structure, bool(self.fpc))
        self._taylor = self._variance_engine(pps, variance)
        # Calibration steps (post-stratification, raking, calibration) replace the influence
        # values by their residuals from the calibration model before the variance is taken, as
        # R's svyrecvar does with a design's postStrata. Each maps (n, m) -> (n, m).
        self._calibration: tuple[InfluenceAdjustment, ...] = ()

    # --- variance engine --------------------------------------------------------------------

    def _variance_engine(self, pps: PPSMethod | None, variance: str) -> ClusterVariance:
        """Linearisation (and Brewer's PPS approximation) or a PPS quadratic form (``pps``)."""
        if pps is None or (isinstance(pps, str) and pps == "brewer"):
            if variance != "HT":
                raise DesignError(
                    f"variance={variance!r} is only for the PPS methods 'overton', 'HR', "
                    "HartleyRao and JointProbabilities (R: only variance='HT' for this design)"
                )
            check_lonely(self.structure, self.lonely_psu)
            return TaylorVariance(self.structure, self.lonely_psu)
        labels = np.array([], dtype=object)
        if self.strata:
            stage = self.structure.stages[0]
            first = np.full(stage.n_strata, len(self.data), dtype=np.int64)
            np.minimum.at(first, stage.stratum_of_cluster[stage.cluster], np.arange(len(self.data)))
            labels = self.data[self.strata[0]].to_numpy()[first]
        return pps_variance(self.structure, pps, variance, self._w, labels)

    def _ratio_stat(
        self,
        num: np.ndarray,
        den: np.ndarray | None,
        keep: np.ndarray,
        domain: np.ndarray,
        n_domains: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        wk = self._w * keep
        t_num = domain_totals(num, wk, domain, n_domains)
        t_den = None if den is None else domain_totals(den, wk, domain, n_domains)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = t_num if t_den is None else t_num / t_den
            if not self._calibration:
                var = self._taylor.var_of_ratios(
                    num, den, wk, est, t_den, domain, n_domains, present=keep
                )
                return est, var
            if den is None:
                u = wk[:, None] * num
            else:
                u = wk[:, None] * (num - est[domain] * den) / t_den[domain]
        return est, self._influence_variance(u, keep, domain, n_domains)

    def _influence_variance(
        self, u: np.ndarray, keep: np.ndarray, domain: np.ndarray, n_domains: int
    ) -> np.ndarray:
        """Variances (n_domains, m) of domain totals of influence values ``u`` (n, m)."""
        if not self._calibration:
            return self._taylor.var_by_domain(u, domain, n_domains, present=keep)
        n, m = u.shape
        if n_domains == 1:
            full = u
        else:  # calibration residuals mix rows of different domains: one column per domain
            full = np.zeros((n, n_domains * m))
            for d in range(n_domains):
                rows = domain == d
                full[rows, d * m : (d + 1) * m] = u[rows]
        for adjust in self._calibration:
            full = adjust(full)
        var = self._taylor.var_by_domain(full, np.zeros(n, dtype=np.int64), 1, present=keep)
        return var.reshape(n_domains, m)

    def _degf(self, rows: np.ndarray | None = None) -> float:
        if rows is None:
            rows = np.flatnonzero(self._w != 0)
        return float(self.structure.degf(rows))

    def vcov(self, influence: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Covariance matrix of totals of linearised values ``influence`` (n, m).

        This is R's ``svyrecvar``: give it the influence functions of any statistics (already
        multiplied by the weights) and it returns their design-based covariance matrix.
        """
        present = None
        if rows is not None:
            present = np.zeros(len(self.data), dtype=bool)
            present[rows] = True
        u = np.asarray(influence, dtype=float).reshape(len(self.data), -1)
        for adjust in self._calibration:
            u = adjust(u)
        return self._taylor.vcov(u, present)

    # --- derived designs ---------------------------------------------------------------------

    def as_replicate(
        self,
        type: str = "JK1",
        replicates: int | None = None,
        seed: int | None = None,
        fay_rho: float = 0.0,
        mse: bool = False,
        counts: np.ndarray | None = None,
    ) -> ReplicateDesign:
        """This design with replicate weights instead of linearisation, as R's ``as.svrepdesign``.

        ``type`` is ``"JK1"`` (unstratified), ``"JKn"``, ``"bootstrap"`` (Canty-Davison, R's
        ``"bootstrap"``, using the first-stage fpc as R does), ``"subbootstrap"`` (Rao-Wu
        rescaled, R's ``"subbootstrap"``), ``"BRR"`` or ``"Fay"`` (with ``fay_rho``). The
        bootstraps take ``replicates`` (default 50, as R) and ``seed``; ``counts``, an array
        (PSUs, replicates) of how often each PSU was drawn (PSUs in the order of their sorted
        ids), rebuilds a ``"bootstrap"`` design from given draws, such as R's. See
        :mod:`ci_eval.survey.replicate_weights` for the weights and their scales. The result
        keeps this design's weights (including any weighting already done) and data.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"psu": [1, 2, 3, 4], "y": [1.0, 2.0, 3.0, 6.0]})
        >>> r = SurveyDesign(df, ids="psu", weights=[1.0] * 4).as_replicate("JK1")
        >>> round(float(r.mean("y")["se"].iloc[0]), 4)
        1.0801
        """
        return make_replicate_design(self, type, replicates, seed, fay_rho, mse, counts)

    def with_weights(
        self, weights: np.ndarray | pd.Series, adjustment: InfluenceAdjustment | None = None
    ) -> SurveyDesign:
        """A copy of this design with other weights (same structure); the input is untouched.

        ``adjustment``, from a calibration step, is appended to the design's calibration
        adjustments of the influence values (see ``_influence_variance``).
        """
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        w = np.asarray(weights, dtype=float).reshape(-1)
        if w.size != len(self.data):
            raise DesignError(f"weights has {w.size} values for {len(self.data)} rows")
        check_weights(w, "weights")
        new._w = w
        if adjustment is not None:
            new._calibration = (*self._calibration, adjustment)
        return new

    def __repr__(self) -> str:
        s = self.structure
        kind = "Stratified " if s.has_strata else ""
        stages = len(s.stages)
        n_psu = s.stages[0].n_clusters
        fpc = "with fpc" if self.fpc else "with replacement"
        if self.pps is not None:
            fpc = f"PPS {method_name(self.pps)}"
        return (
            f"<{kind}{stages}-stage SurveyDesign: {len(self.data)} rows, {n_psu} PSUs, "
            f"{s.stages[0].n_strata} strata, {fpc}, lonely_psu={self.lonely_psu!r}>"
        )


def _check_pps_inputs(pps: PPSMethod, weights: WeightsArg, probs: object, fpc: list[str]) -> None:
    """A PPS design with a D matrix takes its inclusion probabilities from probs or fpc."""
    if weights is not None:
        raise DesignError(
            f"pps={method_name(pps)} takes the inclusion probabilities from probs= or fpc=, "
            "not weights= (R ignores weights= here)"
        )
    if probs is None and not fpc:
        raise DesignError(
            f"pps={method_name(pps)} needs the inclusion probabilities: give probs= or fpc="
        )


def _sampling_weights(
    data: pd.DataFrame,
    weights: WeightsArg,
    probs: str | Sequence[str] | float | None,
    structure: DesignStructure,
    has_fpc: bool,
) -> np.ndarray:
    n = len(data)
    if weights is not None and probs is not None:
        raise DesignError("give weights= or probs=, not both")
    if weights is not None:
        return read_weights(data, weights)
    if probs is not None:
        if isinstance(probs, int | float):
            p = np.full(n, float(probs))
        else:
            p = np.ones(n)
            for name in as_list(probs):
                check_columns(data, [name], "probs")
                col = data[name].to_numpy(dtype=float, na_value=np.nan)
                if np.any(np.isnan(col)):
                    raise DesignError(f"probs column {name!r} has missing values")
                p = p * col
        if np.any((p <= 0) | (p > 1)):
            row = int(np.flatnonzero((p <= 0) | (p > 1))[0])
            raise DesignError(f"selection probabilities must lie in (0, 1]; row {row} has {p[row]}")
        return 1.0 / p
    if has_fpc:
        return structure.sampling_weights_from_fpc()
    warnings.warn(
        "no weights or probabilities supplied, assuming equal probability",
        UserWarning,
        stacklevel=3,
    )
    return np.ones(n)
