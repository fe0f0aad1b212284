"""R parity in the corners (issue 16), beyond the reference cases of tests/reference/parity_*.json.

Those cases (made by tests/reference/make_parity.R) run in test_survey_reference.py; the tests
here pin the options that keep ci_eval's earlier behaviour and the properties R's numbers rest on.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from ci_eval.errors import DesignError
from ci_eval.survey import ReplicateDesign, SurveyDesign, poststratify
from ci_eval.survey.glm_family import get_family
from ci_eval.survey.glm_fit import logit_intercept_refits, refit_replicates
from ci_eval.survey.hadamard import hadamard, stored

DATA = Path(__file__).parent / "reference" / "data"


@pytest.fixture(scope="module")
def clus1_na() -> SurveyDesign:
    df = pd.read_csv(DATA / "apiclus1_na.csv")
    return SurveyDesign(df, ids="dnum", weights="pw", fpc="fpc")


# --- 1. degrees of freedom ------------------------------------------------------------------


def test_subset_degf_counts_the_psus_left(clus1_na: SurveyDesign) -> None:
    e = clus1_na.subset("stype == 'H'")
    psus = clus1_na.data.loc[clus1_na.data["stype"] == "H", "dnum"].nunique()
    assert e.degf == psus - 1 < clus1_na.degf


def test_df_estimate_counts_the_psus_with_values(clus1_na: SurveyDesign) -> None:
    """df='estimate' (ci_eval's earlier 'design'): the PSUs that keep a value, here fewer."""
    data = clus1_na.data
    with_values = data.loc[data["api00_na"].notna(), "dnum"].nunique()
    assert with_values < data["dnum"].nunique()  # the data file has PSUs with no value
    row = clus1_na.mean("api00_na", na_rm=True, df="estimate").iloc[0]
    crit = stats.t.ppf(0.975, with_values - 1)
    assert row["ci_high"] == pytest.approx(row["estimate"] + crit * row["se"], rel=1e-12)
    design_row = clus1_na.mean("api00_na", na_rm=True, df="design").iloc[0]
    crit = stats.t.ppf(0.975, clus1_na.degf)
    assert design_row["ci_high"] == pytest.approx(
        design_row["estimate"] + crit * design_row["se"], rel=1e-12
    )


def test_df_estimate_is_per_domain(clus1_na: SurveyDesign) -> None:
    frame = clus1_na.mean("api00", by="stype", df="estimate")
    for _, row in frame.iterrows():
        psus = clus1_na.data.loc[clus1_na.data["stype"] == row["stype"], "dnum"].nunique()
        crit = stats.t.ppf(0.975, psus - 1)
        assert row["ci_low"] == pytest.approx(row["estimate"] - crit * row["se"], rel=1e-12)


def test_df_rule_must_be_known(clus1_na: SurveyDesign) -> None:
    with pytest.raises(DesignError, match="'design' or 'estimate'"):
        clus1_na.mean("api00", df="rows")


def test_subset_without_rows_of_positive_weight_has_no_psu() -> None:
    df = pd.DataFrame({"psu": [1, 2, 3], "g": ["a", "b", "b"]})
    d = SurveyDesign(df, ids="psu", weights=np.array([0.0, 1.0, 1.0]))
    assert d.subset("g == 'b'").degf == 1.0
    assert d.degf == 1.0  # R: degf counts only rows of positive weight


# --- 2. subsets of calibrated designs ---------------------------------------------------------


def test_missing_values_outside_a_calibrated_subset_stay_outside(clus1_na: SurveyDesign) -> None:
    """R gives NA here (the rows outside keep weight 0, NA * 0); ci_eval estimates the subset
    from its own rows (documented in DesignBase.subset)."""
    ps = poststratify(clus1_na, "stype", pd.Series({"E": 4421.0, "H": 755.0, "M": 1018.0}))
    data = clus1_na.data
    assert data.loc[data["stype"] == "H", "api00_na"].notna().all()
    assert data["api00_na"].isna().any()
    sub = ps.subset("stype == 'H'")
    plain, dropped = sub.mean("api00_na"), sub.mean("api00_na", na_rm=True)
    assert np.isfinite(plain["se"].iloc[0])
    pd.testing.assert_frame_equal(plain, dropped)


# --- ciprop(method="logit") at the edges ---------------------------------------------------------


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_logit_interval_of_a_share_of_0_or_1_is_the_point(value: float) -> None:
    """R's quasibinomial fit stops a rounding error from the edge: limits within 1e-10 of it."""
    df = pd.DataFrame({"y": [value] * 6, "psu": [1, 1, 2, 2, 3, 3]})
    row = SurveyDesign(df, ids="psu", weights=[1.0] * 6).ciprop("y").iloc[0]
    assert (row["estimate"], row["ci_low"], row["ci_high"]) == (value, value, value)


def test_logit_refits_agree_with_the_statsmodels_engine() -> None:
    """The replicate refits of R's glm.fit written out (used where a replicate's share is 0 or
    1) and glm_irls (statsmodels, stopping as R) give the same coefficients."""
    rng = np.random.default_rng(16)
    y = (rng.random(40) < 0.3).astype(float)
    weights = rng.uniform(0.5, 2.0, (40, 5)) * (rng.random((40, 5)) < 0.8)
    start = float(special.logit(y.mean()))
    mine = logit_intercept_refits(y, weights, start)
    theirs = refit_replicates(
        np.ones((40, 1)), y, weights, get_family("quasibinomial"), np.array([start])
    )[:, 0]
    np.testing.assert_allclose(mine, theirs, rtol=1e-10)
    exact = special.logit((weights.T @ y) / weights.sum(axis=0))
    np.testing.assert_allclose(mine, exact, rtol=1e-6)  # R stops within glm.fit's tolerance
    ones = logit_intercept_refits(np.ones(40), weights, start)
    assert np.all((ones > 15) & (ones < 30))  # no finite maximum: where the deviance test stops


# --- 3. svyciprop(method="beta") ignores df ------------------------------------------------------


def test_beta_interval_ignores_df(clus1_na: SurveyDesign) -> None:
    base = clus1_na.ciprop("sch_wide", category="Yes", method="beta")
    for df in (3, 30.5, np.inf):
        other = clus1_na.ciprop("sch_wide", category="Yes", method="beta", df=df)
        pd.testing.assert_frame_equal(base, other)
    logit = clus1_na.ciprop("sch_wide", category="Yes", method="logit", df=3)
    assert logit["ci_low"].iloc[0] != clus1_na.ciprop("sch_wide", category="Yes")["ci_low"].iloc[0]


# --- 4. BRR with R's Hadamard matrices -----------------------------------------------------------

HADAMARD = json.loads((DATA / "brr_hadamard.json").read_text(encoding="utf-8"))


def _hex_rows(rows: list[str], width: int) -> np.ndarray:
    """Rows of hexadecimal digits (make_parity.R's bits()) as a 0/1 matrix ``width`` wide."""
    bits = [[(int(c, 16) >> (3 - b)) & 1 for c in row for b in range(4)][:width] for row in rows]
    return np.asarray(bits)


def test_stored_matrices_are_r_s() -> None:
    for size in ("28", "36"):
        np.testing.assert_array_equal(
            stored(int(size)), _hex_rows(HADAMARD["stored"][size], int(size))
        )


@pytest.mark.parametrize("case", HADAMARD["brr"], ids=lambda c: f"{c['pairs']}pairs")
def test_brr_weights_are_r_s_for_every_size(case: dict) -> None:
    """R's as.svrepdesign(type = "BRR") replicate weights, for 2..64 pairs of PSUs."""
    pairs = pd.read_csv(DATA / "brr_pairs.csv")
    data = pairs[pairs["h"] <= case["pairs"]].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning any more
        rep = SurveyDesign(data, ids="psu", strata="h", weights="w").as_replicate("BRR")
    r_psu = _hex_rows(case["psu_rows"], case["replicates"])
    r_factor = 2.0 * r_psu[np.asarray(case["psu_of_row"]) - 1]
    assert rep.n_replicates == case["replicates"]
    np.testing.assert_array_equal(rep.repweights / data["w"].to_numpy()[:, None], r_factor)


HADAMARD_MD5 = json.loads((DATA / "hadamard_md5.json").read_text(encoding="utf-8"))["matrices"]


def test_hadamard_is_r_s_for_every_size_to_300() -> None:
    """survey:::hadamard(n) for n = 1..300 (tests/reference/make_hadamard.R): order and the MD5
    of its rows as 0/1 digits, one row a line."""
    for case in HADAMARD_MD5:
        h = hadamard(case["n"])
        text = "".join("".join(map(str, row)) + "\n" for row in h.tolist())
        assert (h.shape[0], hashlib.md5(text.encode()).hexdigest()) == (
            case["order"],
            case["md5"],
        ), f"n = {case['n']}"


# --- 6. quantile intervals -----------------------------------------------------------------------


def test_quantile_interval_types_need_their_kind_of_design(clus1_na: SurveyDesign) -> None:
    with pytest.raises(DesignError, match="'quantile' needs a replicate design"):
        clus1_na.quantile("api00", 0.5, interval_type="quantile")
    with pytest.raises(DesignError, match="'score' a design with Taylor linearisation"):
        clus1_na.as_replicate("JK1").quantile("api00", 0.5, interval_type="score")


def test_replicate_quantile_answers_beta_with_mean_as_r(clus1_na: SurveyDesign) -> None:
    rep = clus1_na.as_replicate("JK1")
    mean = rep.quantile("api00", [0.25, 0.5], interval_type="mean")
    for kind in ("beta", "xlogit", "asin"):
        pd.testing.assert_frame_equal(rep.quantile("api00", [0.25, 0.5], interval_type=kind), mean)


def test_interval_types_share_the_estimate(clus1_na: SurveyDesign) -> None:
    frames = [
        clus1_na.quantile("api00", [0.1, 0.5], interval_type=kind)
        for kind in ("mean", "beta", "xlogit", "asin", "score")
    ]
    for frame in frames[1:]:
        np.testing.assert_array_equal(frame["estimate"], frames[0]["estimate"])
        assert (frame["ci_low"] <= frame["estimate"]).all()
        assert (frame["estimate"] <= frame["ci_high"]).all()


# --- 7. replicate designs with a finite-population correction -----------------------------------


def test_replicate_fpc_scales_the_variance() -> None:
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 6.0], "w": [1.0] * 4})
    reps = (1 - np.eye(4)) * 4 / 3
    plain = ReplicateDesign(df, repweights=reps, weights="w", type="JK1", scale=0.75)
    with_fpc = ReplicateDesign(
        df, repweights=reps, weights="w", type="JK1", scale=0.75, fpc=0.2, fpctype="fraction"
    )
    se, se_fpc = plain.mean("y")["se"].iloc[0], with_fpc.mean("y")["se"].iloc[0]
    assert se_fpc == pytest.approx(se * np.sqrt(0.8), rel=1e-14)
    with pytest.raises(DesignError, match="fpctype="):
        ReplicateDesign(df, repweights=reps, weights="w", type="JK1", scale=0.75, fpc=0.2)
    with pytest.raises(DesignError, match="not available for type='bootstrap'"):
        ReplicateDesign(
            df, repweights=reps, weights="w", type="bootstrap", fpc=0.2, fpctype="correction"
        )


def test_one_fpc_per_replicate_is_as_replicate_with_the_design_fpc() -> None:
    """JKn weights with each replicate's first-stage sampling fraction (parity_replicate.json)
    give the variance of the design built with its fpc and turned into JKn replicates."""
    cases = json.loads(
        (DATA.parent / "expected" / "parity_replicate.json").read_text(encoding="utf-8")
    )["cases"]
    spec = next(c for c in cases if c["id"] == "par_dstrat2_jkn_fpc_fraction_mean")["replicate"]
    df = pd.read_csv(DATA / "apipop_strat2_pw.csv")
    reps = pd.read_csv(DATA / spec["repweights_file"])
    given = ReplicateDesign(
        pd.concat([df, reps], axis=1),
        repweights=list(reps.columns),
        weights="pw",
        type="JKn",
        scale=1.0,
        rscales=spec["rscales"],
        fpc=spec["fpc"],
        fpctype="fraction",
    )
    built = SurveyDesign(
        df, ids=["dnum", "snum"], strata="stype", fpc=["fpc1", "fpc2"], nest=True
    ).as_replicate("JKn")
    plain = ReplicateDesign(
        pd.concat([df, reps], axis=1),
        repweights=list(reps.columns),
        weights="pw",
        type="JKn",
        scale=1.0,
        rscales=spec["rscales"],
    )
    se = [d.mean(["api00", "api99"])["se"].to_numpy() for d in (given, built, plain)]
    np.testing.assert_allclose(se[0], se[1], rtol=1e-12)
    assert (se[2] > se[0]).all()  # without the correction: larger
