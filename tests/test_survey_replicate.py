"""ReplicateDesign and SurveyDesign.as_replicate: hand-computed values, R facts and properties.

The numbers marked "R" come from R 4.2 / survey 4.1 (see tests/reference/); the R cases
themselves run in test_survey_reference.py (expected/replicate.json and the shared files).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci_eval.errors import DesignError
from ci_eval.survey import ReplicateDesign, SurveyDesign
from ci_eval.survey.hadamard import hadamard
from ci_eval.survey.replicate import qr_rank

DATA = Path(__file__).parent / "reference" / "data"


@pytest.fixture(scope="module")
def apiclus1() -> pd.DataFrame:
    return pd.read_csv(DATA / "apiclus1.csv")


@pytest.fixture(scope="module")
def apistrat() -> pd.DataFrame:
    return pd.read_csv(DATA / "apistrat.csv")


def _cluster_sample(seed: int, n_strata: int = 3, n_psu: int = 4, per_psu: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_strata * n_psu * per_psu
    return pd.DataFrame(
        {
            "h": np.repeat(np.arange(n_strata), n_psu * per_psu),
            "psu": np.repeat(np.arange(n_strata * n_psu), per_psu),
            "w": rng.uniform(1, 10, n),
            "y": rng.normal(5, 2, n),
            "z": rng.integers(0, 2, n).astype(float),
            "g": rng.choice(["a", "b"], n),
        }
    )


# --- hand-computed ---------------------------------------------------------------------------


def test_jk1_mean_by_hand() -> None:
    # y = 1, 2, 3, 6: leave-one-out means 11/3, 10/3, 3, 2; (n-1)/n * sum of squares = 14/12
    df = pd.DataFrame({"psu": [1, 2, 3, 4], "y": [1.0, 2.0, 3.0, 6.0]})
    r = SurveyDesign(df, ids="psu", weights=[2.0] * 4).as_replicate("JK1")
    row = r.mean("y").iloc[0]
    assert row["estimate"] == pytest.approx(3.0)
    assert row["se"] == pytest.approx(np.sqrt(14 / 12), rel=1e-12)
    assert r.scale == pytest.approx(3 / 4)
    assert r.repweights[0].tolist() == pytest.approx([0.0, 8 / 3, 8 / 3, 8 / 3])


def test_jk1_scale_carries_the_fpc(apiclus1: pd.DataFrame) -> None:
    r = SurveyDesign(apiclus1, ids="dnum", weights="pw", fpc="fpc").as_replicate("JK1")
    assert r.n_replicates == 15
    assert r.scale == pytest.approx((757 - 15) / 757 * 14 / 15, rel=1e-12)


def test_replicate_variance_centres() -> None:
    reps = np.array([[1.0], [2.0], [6.0]])
    df = pd.DataFrame({"w": [1.0, 1.0]})
    kw = dict(repweights=np.ones((2, 3)), weights="w", type="other", scale=0.5, rscales=1.0)
    plain = ReplicateDesign(df, mse=False, **kw)
    mse = ReplicateDesign(df, mse=True, **kw)
    # mean of the replicates is 3: 0.5 * (4 + 1 + 9); about the estimate 2: 0.5 * (1 + 0 + 16)
    assert plain.replicate_variance(np.array([2.0]), reps)[0, 0] == pytest.approx(7.0)
    assert mse.replicate_variance(np.array([2.0]), reps)[0, 0] == pytest.approx(8.5)


def test_rscales_weight_each_replicate() -> None:
    df = pd.DataFrame({"w": [1.0]})
    r = ReplicateDesign(
        df, repweights=np.ones((1, 2)), weights="w", type="JKn", scale=1.0, rscales=[0.5, 0.25]
    )
    v = r.replicate_variance(np.array([0.0]), np.array([[1.0], [3.0]]))
    assert v[0, 0] == pytest.approx(0.5 * 1 + 0.25 * 1)  # centre: mean 2


def test_missing_replicates_are_dropped_with_a_warning() -> None:
    df = pd.DataFrame({"psu": [1, 2, 3, 4], "y": [1.0, 2.0, 3.0, 4.0], "g": list("aabb")})
    df.loc[3, "g"] = "c"  # domain c lives in PSU 4 only: the replicate dropping it has no weight
    r = SurveyDesign(df, ids="psu", weights=[1.0] * 4).as_replicate("JK1")
    with pytest.warns(UserWarning, match="left out of the variance"):
        out = r.mean("y", by="g")
    c = out[out["g"] == "c"].iloc[0]
    # the other three replicates all give 4: variance 0
    assert c["estimate"] == 4.0
    assert c["se"] == 0.0


def test_subbootstrap_is_rao_wu_and_reproducible() -> None:
    df = _cluster_sample(1)
    d = SurveyDesign(df, ids="psu", strata="h", weights="w")
    a = d.as_replicate("subbootstrap", replicates=30, seed=7)
    b = d.as_replicate("subbootstrap", replicates=30, seed=7)
    c = d.as_replicate("subbootstrap", replicates=30, seed=8)
    assert a.type == "subbootstrap"
    assert np.array_equal(a.repweights, b.repweights)
    assert not np.array_equal(a.repweights, c.repweights)
    assert a.scale == pytest.approx(1 / 29)
    # per stratum: n_h - 1 = 3 draws, each worth n_h / (n_h - 1) = 4/3, so multipliers sum to 4
    factors = a._units
    for h in range(3):
        psus = np.arange(4 * h, 4 * h + 4)
        assert factors[psus].sum(axis=0) == pytest.approx(np.full(30, 4.0))
        counts = factors[psus] * 3 / 4
        assert np.allclose(counts, np.round(counts))


def test_brr_and_fay_weights() -> None:
    df = _cluster_sample(2, n_strata=3, n_psu=2)
    d = SurveyDesign(df, ids="psu", strata="h", weights="w")
    brr = d.as_replicate("BRR")
    assert brr.n_replicates == 4 and brr.scale == pytest.approx(1 / 4)
    assert set(np.unique(brr._units)) == {0.0, 2.0}
    fay = d.as_replicate("Fay", fay_rho=0.5)
    assert set(np.unique(fay._units)) == {0.5, 1.5}
    assert fay.scale == pytest.approx(1 / (4 * 0.25))
    # each pair: one PSU up, the other down, in every replicate
    assert np.allclose(fay._units[0::2] + fay._units[1::2], 2.0)


def test_hadamard_matrices_are_orthogonal() -> None:
    for n in [1, 2, 3, 5, 8, 11, 19, 40, 60, 100]:
        h = 2 * hadamard(n) - 1
        assert h.shape[0] > n
        assert np.array_equal(h @ h.T, h.shape[0] * np.eye(h.shape[0], dtype=int))


def test_hadamard_matches_r() -> None:
    # R: survey::hadamard(5) is of order 8 and hadamard(10) of order 12 (Paley, p = 11)
    assert hadamard(5).shape == (8, 8)
    h12 = hadamard(10)
    assert h12.shape == (12, 12)
    assert h12[1].tolist() == [1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1]


def test_qr_rank_follows_r() -> None:
    # R: qr(x, tol = 1e-5)$rank for these matrices is 0, 1, 2, 2
    assert qr_rank(np.zeros((3, 2))) == 0
    assert qr_rank(np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])) == 1
    x = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 0.0], [3.0, 6.0, 0.0]])
    assert qr_rank(x) == 2
    assert qr_rank(x[:, [0, 2, 1]]) == 2


def test_degf_as_r(apiclus1: pd.DataFrame, apistrat: pd.DataFrame) -> None:
    jk1 = SurveyDesign(apiclus1, ids="dnum", weights="pw", fpc="fpc").as_replicate("JK1")
    assert jk1.degf == 14  # R: degf(as.svrepdesign(dclus1, type = "JK1"))
    rows = np.flatnonzero(apiclus1["stype"].to_numpy() == "H")
    assert jk1._degf(rows) == 7  # R: degf(subset(jk1, stype == "H"))
    jkn = SurveyDesign(apistrat, strata="stype", weights="pw", fpc="fpc").as_replicate("JKn")
    assert jkn.degf == 197  # R: degf(as.svrepdesign(dstrat, type = "JKn"))


# --- errors -----------------------------------------------------------------------------------


def test_bad_input_names_the_problem(apistrat: pd.DataFrame) -> None:
    strat = SurveyDesign(apistrat, strata="stype", weights="pw")
    with pytest.raises(DesignError, match="JKn"):
        strat.as_replicate("JK1")
    with pytest.raises(DesignError, match="replicates= only"):
        strat.as_replicate("JKn", replicates=10)
    with pytest.raises(DesignError, match="fay_rho"):
        SurveyDesign(_cluster_sample(3, n_psu=2), ids="psu", strata="h", weights="w").as_replicate(
            "Fay"
        )
    with pytest.raises(DesignError, match="odd number"):
        SurveyDesign(_cluster_sample(3, n_psu=3), ids="psu", strata="h", weights="w").as_replicate(
            "BRR"
        )
    df = pd.DataFrame({"w": [1.0, 2.0], "r1": [1.0, np.nan], "r2": [1.0, 1.0]})
    with pytest.raises(DesignError, match="'r1' has a missing value at row 1"):
        ReplicateDesign(df, repweights=["r1", "r2"], weights="w", type="bootstrap")
    with pytest.raises(DesignError, match="'r9' is not a column"):
        ReplicateDesign(df, repweights=["r9"], weights="w", type="bootstrap")
    with pytest.raises(DesignError, match="rscales has 3 values"):
        ReplicateDesign(df, repweights=["r2"], weights="w", type="other", rscales=[1, 1, 1])
    with pytest.raises(DesignError, match="type='JKn' with combined weights needs rscales"):
        ReplicateDesign(df, repweights=["r2"], weights="w", type="JKn")
    with pytest.raises(DesignError, match="type='jk'"):
        ReplicateDesign(df, repweights=["r2"], weights="w", type="jk")


def test_repweights_by_regular_expression() -> None:
    df = pd.DataFrame({"w": [1.0, 2.0], "rep_1": [1.0, 2.0], "rep_2": [2.0, 2.0], "y": [1.0, 3.0]})
    r = ReplicateDesign(df, repweights="^rep_", weights="w", type="bootstrap")
    assert r.n_replicates == 2 and r.scale == 1.0


# --- properties --------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    y=st.lists(st.floats(-100, 100), min_size=3, max_size=25),
    seed=st.integers(0, 2**16),
)
def test_jk1_equals_taylor_on_a_simple_random_sample(y: list[float], seed: int) -> None:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"y": y, "w": rng.uniform(0.5, 5, len(y))})
    srs_equal = SurveyDesign(df, weights=np.full(len(y), 3.0))
    srs = SurveyDesign(df, weights="w")
    for design, fn in ((srs_equal, "mean"), (srs, "total"), (srs_equal, "total")):
        taylor = getattr(design, fn)("y").iloc[0]
        jk1 = getattr(design.as_replicate("JK1"), fn)("y").iloc[0]
        assert jk1["estimate"] == pytest.approx(taylor["estimate"], rel=1e-9, abs=1e-9)
        assert jk1["se"] == pytest.approx(taylor["se"], rel=1e-7, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16), kind=st.sampled_from(["JKn", "bootstrap", "subbootstrap", "BRR"])
)
def test_design_from_replicate_weights_gives_identical_results(seed: int, kind: str) -> None:
    df = _cluster_sample(seed, n_psu=2 if kind == "BRR" else 4)
    d = SurveyDesign(df, ids="psu", strata="h", weights="w")
    built = d.as_replicate(kind, seed=seed) if "bootstrap" in kind else d.as_replicate(kind)
    again = ReplicateDesign(
        built.data,
        repweights=built.repweights,
        weights=built.weights,
        type=built.type,
        scale=built.scale,
        rscales=built.rscales,
    )
    for call in (
        lambda r: r.mean(["y", "g"]),
        lambda r: r.total(["y", "z"], by="g"),
        lambda r: r.ratio("y", "z"),
        lambda r: r.var("y", by="g"),
        lambda r: r.quantile("y", [0.5]),
    ):
        with warnings.catch_warnings():  # a bootstrap replicate may miss a small domain
            warnings.simplefilter("ignore", UserWarning)
            a, b = call(built), call(again)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-10)
    assert again.degf == built.degf


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), factor=st.floats(0.01, 1000))
def test_rescaling_all_weights_leaves_means_unchanged(seed: int, factor: float) -> None:
    df = _cluster_sample(seed)
    r = SurveyDesign(df, ids="psu", strata="h", weights="w").as_replicate("JKn")
    scaled = r.with_weights(r._w * factor, r.repweights * factor)
    a, b = r.mean(["y", "g"], by="g"), scaled.mean(["y", "g"], by="g")
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
    ta, tb = r.total("y"), scaled.total("y")
    assert tb["estimate"].iloc[0] == pytest.approx(factor * ta["estimate"].iloc[0], rel=1e-9)
    assert tb["se"].iloc[0] == pytest.approx(factor * ta["se"].iloc[0], rel=1e-9)


def test_with_weights_leaves_the_input_untouched() -> None:
    df = _cluster_sample(5)
    r = SurveyDesign(df, ids="psu", strata="h", weights="w").as_replicate("JKn")
    before = r.mean("y").copy()
    r.with_weights(r._w * 2, r.repweights * 3)
    pd.testing.assert_frame_equal(r.mean("y"), before)
    with pytest.raises(DesignError, match="repweights has shape"):
        r.with_weights(r._w, r.repweights[:, :2])


def test_na_rm_gives_zero_weight_in_every_replicate() -> None:
    df = _cluster_sample(6)
    df.loc[[0, 5], "y"] = np.nan
    r = SurveyDesign(df, ids="psu", strata="h", weights="w").as_replicate("JKn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = r.mean("y", na_rm=True).iloc[0]
    kept = df.dropna(subset=["y"]).index.to_numpy()
    reps = r.repweights
    y = df["y"].to_numpy()
    theta = (reps[kept] * y[kept, None]).sum(axis=0) / reps[kept].sum(axis=0)
    est = np.sum(r._w[kept] * y[kept]) / np.sum(r._w[kept])
    var = r.scale * np.sum(r.rscales * (theta - theta.mean()) ** 2)
    assert got["estimate"] == pytest.approx(est, rel=1e-12)
    assert got["se"] == pytest.approx(np.sqrt(var), rel=1e-10)
    assert np.isnan(r.mean("y").iloc[0]["estimate"])


def test_subset_matches_the_domain_estimate() -> None:
    df = _cluster_sample(9)
    r = SurveyDesign(df, ids="psu", strata="h", weights="w").as_replicate("JKn")
    by = r.mean("y", by="g")
    sub = r.subset(df["g"].to_numpy() == "b").mean("y").iloc[0]
    row = by[by["g"] == "b"].iloc[0]
    assert sub["estimate"] == pytest.approx(row["estimate"], rel=1e-12)
    assert sub["se"] == pytest.approx(row["se"], rel=1e-10)
    with pytest.raises(DesignError, match="keeps no row"):
        r.subset(np.zeros(len(df), dtype=bool))


def test_hadamard_where_r_uses_a_stored_matrix_is_r_s() -> None:
    # R's hadamard(24) is its stored matrix of order 28, hadamard(50) that of 28 doubled
    # (every size up to 64 is compared with R in test_survey_parity.py)
    for n, order in ((24, 28), (34, 36), (50, 56)):
        h = hadamard(n)
        assert h.shape == (order, order)
        s = 2 * h - 1
        assert np.array_equal(s @ s.T, order * np.eye(order, dtype=int))


def test_a_census_has_no_replicates_and_no_variance() -> None:
    df = pd.DataFrame({"psu": [1, 2, 3], "y": [1.0, 2.0, 4.0], "N": [3, 3, 3]})
    r = SurveyDesign(df, ids="psu", fpc="N").as_replicate("JK1")  # all 3 of 3 PSUs sampled
    assert r.n_replicates == 0
    row = r.mean("y").iloc[0]
    assert row["estimate"] == pytest.approx(7 / 3)
    assert row["se"] == 0.0


def test_replicate_subset_takes_the_query_string_and_mask_a_taylor_subset_takes() -> None:
    df = pd.read_csv(Path(__file__).parent / "reference" / "data" / "apistrat.csv")
    taylor = SurveyDesign(df, strata="stype", weights="pw")
    rep = taylor.as_replicate("JKn")
    by_string = rep.subset("stype == 'E'").mean("api00")
    by_mask = rep.subset((df["stype"] == "E").to_numpy()).mean("api00")
    pd.testing.assert_frame_equal(by_string, by_mask)
    assert by_string["estimate"].iloc[0] == pytest.approx(
        taylor.subset("stype == 'E'").mean("api00")["estimate"].iloc[0], rel=1e-12
    )
    with pytest.raises(DesignError, match="one True/False per row"):
        rep.subset(np.ones(3, dtype=bool))
