"""Weighting on Taylor and replicate designs: diagnostics, variance, replicates, stopping rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ci_eval.errors import WeightingError
from ci_eval.survey import (
    ReplicateDesign,
    SurveyDesign,
    WeightingDiagnostics,
    calibrate,
    poststratify,
    rake,
    trim_weights,
)

DATA = Path(__file__).parent / "reference" / "data"
STYPE = pd.Series({"E": 4421.0, "H": 755.0, "M": 1018.0})
SCHWIDE = pd.Series({"No": 1072.0, "Yes": 5122.0})


@pytest.fixture(scope="module")
def dclus1() -> SurveyDesign:
    return SurveyDesign(pd.read_csv(DATA / "apiclus1.csv"), ids="dnum", weights="pw", fpc="fpc")


def test_diagnostics_by_hand() -> None:
    df = pd.DataFrame({"g": ["a", "a", "b", "b"], "w": [1.0, 1.0, 1.0, 1.0]})
    d = poststratify(SurveyDesign(df, weights="w"), "g", pd.Series({"a": 2.0, "b": 6.0}))
    diag = d.weighting_diagnostics
    assert isinstance(diag, WeightingDiagnostics)
    # weights 1, 1, 3, 3: n sum(w^2) / sum(w)^2 = 4 * 20 / 64
    assert diag.kish_deff == pytest.approx(1.25)
    assert diag.effective_n == pytest.approx(3.2)
    assert (diag.min, diag.max, diag.ratio) == (1.0, 3.0, 3.0)
    assert (diag.method, diag.iterations, diag.converged) == ("poststratify", 1, True)
    assert diag.margins.to_dict("records") == [
        {"margin": "g", "level": "a", "target": 2.0, "before": 2.0, "after": 2.0},
        {"margin": "g", "level": "b", "target": 6.0, "before": 2.0, "after": 6.0},
    ]


def test_poststratifying_to_one_total_gives_the_ratio_estimator(dclus1) -> None:
    # one post-stratum: the mean's influence values already sum to zero in it, so its SE stays,
    # and the total becomes N times the mean (Lumley 2010, §7.2)
    df = dclus1.data.assign(all="x")
    d = SurveyDesign(df, ids="dnum", weights="pw", fpc="fpc")
    ps = poststratify(d, "all", pd.Series({"x": 6194.0}))
    mean_before, mean_after = d.mean("api00"), ps.mean("api00")
    assert mean_after["se"].iloc[0] == pytest.approx(mean_before["se"].iloc[0], rel=1e-12)
    total = ps.total("api00")
    assert total["estimate"].iloc[0] == pytest.approx(6194 * mean_after["estimate"].iloc[0])
    assert total["se"].iloc[0] == pytest.approx(6194 * mean_after["se"].iloc[0], rel=1e-12)


def test_calibrated_totals_have_no_variance(dclus1) -> None:
    d = calibrate(dclus1, {"stype": STYPE, "api99": 3914069.0})
    est = d.total(["stype", "api99"])
    np.testing.assert_allclose(est["estimate"], [4421, 755, 1018, 3914069], rtol=1e-10)
    np.testing.assert_allclose(est["se"], 0.0, atol=1e-6)


def test_rake_stopping_rules(dclus1) -> None:
    margins = {"stype": STYPE, "sch_wide": SCHWIDE}
    tight = rake(dclus1, margins)
    as_r = rake(dclus1, margins, epsilon=1)
    assert tight.weighting_diagnostics.iterations > as_r.weighting_diagnostics.iterations
    after = tight.weighting_diagnostics.margins
    np.testing.assert_allclose(after["after"], after["target"], rtol=1e-10)
    # R's rule stops while a margin is still off, by less than epsilon = 1 in a cell
    off = as_r.weighting_diagnostics.margins
    assert np.abs(off["after"] - off["target"]).max() < 1.0
    assert np.abs(off["after"] - off["target"]).max() > 1e-6


def test_trimming_after_calibration_reports_the_margins_it_moves(dclus1) -> None:
    cal = calibrate(dclus1, {"stype": STYPE, "api99": 3914069.0})
    trimmed = trim_weights(cal, lower=30, upper=45)
    margins = trimmed.weighting_diagnostics.margins
    assert list(margins["margin"]) == ["stype", "stype", "stype", "api99"]
    np.testing.assert_allclose(margins["before"], margins["target"], rtol=1e-10)
    assert not np.allclose(margins["after"], margins["target"], rtol=1e-3)
    assert trimmed.weights.sum() == pytest.approx(cal.weights.sum(), rel=1e-12)
    assert trimmed._calibration == cal._calibration  # R keeps the calibration's adjustment


def test_zero_weights_kept_are_neither_trimmed_nor_given_a_share() -> None:
    df = pd.DataFrame({"w": [0.0, 1.0, 2.0, 3.0, 14.0]})
    d = SurveyDesign(df, weights="w")
    w = trim_weights(d, lower=2, upper=8, zero_weights="keep").weights.tolist()
    # 1 is raised to 2 and 14 cut to 8: 5 is shared by the two inside (2.5 each)
    assert w == [0.0, 2.0, 4.5, 5.5, 8.0]


def test_zero_weights_are_raised_to_the_lower_bound_as_r() -> None:
    df = pd.DataFrame({"w": [0.0, 1.0, 2.0, 3.0, 14.0]})
    w = trim_weights(SurveyDesign(df, weights="w"), lower=2, upper=8).weights.tolist()
    # R's trimWeights: 0 and 1 are raised to 2, 14 cut to 8: 3 is shared by the two inside
    assert w == [2.0, 2.0, 3.5, 4.5, 8.0]
    # within the bounds a zero weight is inside and takes its share of the cut amount
    w = trim_weights(SurveyDesign(df, weights="w"), upper=8).weights.tolist()
    assert w == [1.5, 2.5, 3.5, 4.5, 8.0]


def test_zero_weight_rule_must_be_known() -> None:
    d = SurveyDesign(pd.DataFrame({"w": [1.0, 2.0, 9.0]}), weights="w")
    with pytest.raises(WeightingError, match="zero_weights='drop'"):
        trim_weights(d, upper=5, zero_weights="drop")


@pytest.fixture(scope="module")
def jk1(dclus1) -> ReplicateDesign:
    return dclus1.as_replicate("JK1")


def _replicate_totals(design, var: str) -> pd.DataFrame:
    reps = pd.DataFrame(design.repweights, index=design.data.index)
    return reps.groupby(design.data[var]).sum()


def test_replicates_are_raked_each_with_its_own_weights(jk1) -> None:
    raked = rake(jk1, {"stype": STYPE, "sch_wide": SCHWIDE})
    assert isinstance(raked, ReplicateDesign)
    for var, pop in (("stype", STYPE), ("sch_wide", SCHWIDE)):
        got = _replicate_totals(raked, var)
        want = np.broadcast_to(pop.to_numpy()[:, None], got.shape)
        np.testing.assert_allclose(got.loc[pop.index].to_numpy(), want, rtol=1e-9)
    # the dropped PSU of each jackknife replicate keeps its zero weight
    np.testing.assert_array_equal(raked.repweights == 0, jk1.repweights == 0)


def test_replicates_are_poststratified_and_calibrated(jk1) -> None:
    ps = poststratify(jk1, "stype", STYPE)
    got = _replicate_totals(ps, "stype")
    want = np.broadcast_to(STYPE.to_numpy()[:, None], got.shape)
    np.testing.assert_allclose(got.loc[STYPE.index].to_numpy(), want, rtol=1e-12)
    cal = calibrate(jk1, {"stype": STYPE, "api99": 3914069.0}, calfun="raking")
    api99 = cal.data["api99"].to_numpy() @ cal.repweights
    np.testing.assert_allclose(api99, 3914069.0, rtol=1e-6)


def test_replicates_are_trimmed_the_same_way(jk1) -> None:
    trimmed = trim_weights(jk1, lower=30, upper=40, strict=True)
    np.testing.assert_allclose(trimmed.repweights.sum(axis=0), jk1.repweights.sum(axis=0))
    kept = trimmed.repweights[jk1.repweights != 0]
    assert kept.min() >= 30 - 1e-9 and kept.max() <= 40 + 1e-9
    np.testing.assert_array_equal(trimmed.repweights[jk1.repweights == 0], 0.0)


def test_replicate_input_untouched(jk1) -> None:
    before_w, before_reps = jk1.weights.copy(), jk1.repweights.copy()
    rake(jk1, {"stype": STYPE, "sch_wide": SCHWIDE})
    calibrate(jk1, {"stype": STYPE, "api99": 3914069.0})
    pd.testing.assert_series_equal(jk1.weights, before_w)
    np.testing.assert_array_equal(jk1.repweights, before_reps)
