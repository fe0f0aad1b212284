"""PPS designs without replacement (``SurveyDesign(pps=)``): hand-computed values and errors.

R's numbers for every method (Brewer, Overton, Hartley-Rao, joint probabilities; HT and YG) are in
expected/pps.json, made by tests/reference/make_pps.R and run by test_survey_reference.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ci_eval.errors import DesignError
from ci_eval.survey import HartleyRao, JointProbabilities, SurveyDesign, calibrate
from ci_eval.survey.pps import (
    PairForm,
    hartley_rao_coefficients,
    hartley_rao_dcheck,
    overton_coefficients,
    overton_dcheck,
)

DATA = Path(__file__).parent / "reference" / "data"


@pytest.fixture(scope="module")
def election() -> pd.DataFrame:
    return pd.read_csv(DATA / "election_pps.csv")


@pytest.fixture(scope="module")
def jointprob() -> np.ndarray:
    return pd.read_csv(DATA / "election_jointprob.csv").to_numpy(dtype=float)


def _se(design: SurveyDesign, fn: str, var: str) -> float:
    return float(getattr(design, fn)(var)["se"].iloc[0])


def test_brewer_total_by_hand(election: pd.DataFrame) -> None:
    # n / (n - 1) sum (1 - pi_i) (z_i - zbar)^2 with z = y / pi (Brewer 2002, eq. 9.12)
    p, y = election["p"].to_numpy(), election["Bush"].to_numpy()
    z, n = y / p, len(p)
    want = np.sqrt(n / (n - 1) * np.sum((1 - p) * (z - z.mean()) ** 2))
    got = _se(SurveyDesign(election, fpc="p", pps="brewer"), "total", "Bush")
    assert got == pytest.approx(want, rel=1e-12)


def test_ht_and_yg_from_joint_probabilities_by_hand(
    election: pd.DataFrame, jointprob: np.ndarray
) -> None:
    pi = np.diag(jointprob)
    z = election["Kerry"].to_numpy() / election["p"].to_numpy()
    delta = (jointprob - np.outer(pi, pi)) / jointprob
    delta[np.abs(delta) < 1e-4] = 0.0
    ht = z @ delta @ z
    yg = -0.5 * np.sum(delta * (z[:, None] - z[None, :]) ** 2)
    jp = JointProbabilities(jointprob)
    assert _se(SurveyDesign(election, fpc="p", pps=jp), "total", "Kerry") == pytest.approx(
        np.sqrt(ht), rel=1e-12
    )
    got_yg = _se(SurveyDesign(election, fpc="p", pps=jp, variance="YG"), "total", "Kerry")
    assert got_yg == pytest.approx(np.sqrt(yg), rel=1e-12)


def test_overton_mean_equals_brewer_mean(election: pd.DataFrame) -> None:
    # for a mean the linearised values sum to 0, and Overton's D then gives Brewer's formula;
    # totals differ (R agrees: svymean on both designs prints the same SE)
    brewer = SurveyDesign(election, fpc="p", pps="brewer")
    overton = SurveyDesign(election, fpc="p", pps="overton")
    assert _se(overton, "mean", "Bush") == pytest.approx(_se(brewer, "mean", "Bush"), rel=1e-12)
    assert _se(overton, "total", "Bush") != pytest.approx(_se(brewer, "total", "Bush"), rel=1e-3)


def test_calibrated_overton_uses_the_calibration_residuals(election: pd.DataFrame) -> None:
    # with an intercept the calibration residuals sum to 0, so Overton's variance is Brewer's
    # (which R matches, expected/pps.json). R's ppsvar computes the residuals for a design with a
    # D matrix but then takes the uncalibrated values: R gives 3494400 here, ci_eval does not.
    margins = {"votes": 116199105.0}
    brewer = calibrate(SurveyDesign(election, fpc="p", pps="brewer"), margins, population=4600.0)
    overton = calibrate(SurveyDesign(election, fpc="p", pps="overton"), margins, population=4600.0)
    se = _se(overton, "total", "Bush")
    assert se == pytest.approx(_se(brewer, "total", "Bush"), rel=1e-12)
    assert se == pytest.approx(3376801.640355103, rel=1e-8)  # R's Brewer SE
    uncalibrated = SurveyDesign(election, fpc="p", pps="overton").with_weights(overton.weights)
    assert _se(uncalibrated, "total", "Bush") == pytest.approx(3494400, rel=1e-6)  # R's number


def test_hartley_rao_default_psum_is_the_sample_mean_of_pi(election: pd.DataFrame) -> None:
    psum = float(election["p"].mean())
    default = SurveyDesign(election, fpc="p", pps="HR")
    given = SurveyDesign(election, fpc="p", pps=HartleyRao(psum))
    assert _se(default, "total", "Bush") == pytest.approx(_se(given, "total", "Bush"), rel=1e-12)
    assert _se(SurveyDesign(election, fpc="p", pps=HartleyRao()), "total", "Bush") == (
        _se(default, "total", "Bush")
    )


def test_results_do_not_depend_on_the_row_order() -> None:
    # R's Brewer variance pairs PSUs with their fpc in order of first appearance but sums them in
    # sorted order, so R's answer changes with the row order; ci_eval's does not, and equals R's on
    # data sorted by PSU (apiclus1_pps is sorted; see make_pps.R)
    df = pd.read_csv(DATA / "apiclus1_pps.csv")
    shuffled = df.sample(frac=1.0, random_state=3).reset_index(drop=True)
    for pps in ("brewer", "overton"):
        a = SurveyDesign(df, ids="dnum", fpc="pi1", pps=pps).total("enroll", na_rm=True)
        b = SurveyDesign(shuffled, ids="dnum", fpc="pi1", pps=pps).total("enroll", na_rm=True)
        assert b["se"].iloc[0] == pytest.approx(a["se"].iloc[0], rel=1e-12)


def test_joint_probabilities_follow_the_psus_first_appearance(
    election: pd.DataFrame, jointprob: np.ndarray
) -> None:
    order = np.random.default_rng(1).permutation(len(election))
    moved = election.iloc[order].reset_index(drop=True)
    a = SurveyDesign(election, fpc="p", pps=JointProbabilities(jointprob)).total("Bush")
    b = SurveyDesign(moved, fpc="p", pps=JointProbabilities(jointprob[np.ix_(order, order)]))
    assert b.total("Bush")["se"].iloc[0] == pytest.approx(a["se"].iloc[0], rel=1e-12)


def test_pps_errors(election: pd.DataFrame, jointprob: np.ndarray) -> None:
    with pytest.raises(DesignError, match="not weights="):
        SurveyDesign(election, weights="wt", pps="overton")
    with pytest.raises(DesignError, match="give probs= or fpc="):
        SurveyDesign(election, pps="HR")
    with pytest.raises(DesignError, match="only for the PPS methods"):
        SurveyDesign(election, fpc="p", pps="brewer", variance="YG")
    with pytest.raises(DesignError, match="not one of"):
        SurveyDesign(election, fpc="p", pps="sampford")
    with pytest.raises(DesignError, match="sampling fractions"):
        SurveyDesign(election.assign(N=1000.0), fpc="N", pps="brewer")
    with pytest.raises(DesignError, match=r"must be \(40, 40\)"):
        SurveyDesign(election, fpc="p", pps=JointProbabilities(jointprob[:5, :5]))
    with pytest.raises(DesignError, match="as_replicate is not available"):
        SurveyDesign(election, fpc="p", pps="brewer").as_replicate("bootstrap")
    strat = pd.read_csv(DATA / "apistrat_pps.csv")
    with pytest.raises(DesignError, match="one value per stratum"):
        SurveyDesign(strat, strata="sc", fpc="pi", pps=HartleyRao(0.01))
    with pytest.raises(DesignError, match="no value for stratum"):
        SurveyDesign(strat, strata="sc", fpc="pi", pps=HartleyRao({1: 0.01, 2: 0.02}))
    clus2 = pd.read_csv(DATA / "apiclus2_pps.csv")
    with pytest.raises(DesignError, match="one-stage designs"):
        SurveyDesign(clus2, ids=["dnum", "snum"], fpc=["pi1", "pi2"], pps="overton")
    with pytest.raises(DesignError, match="varies within a cluster"):
        SurveyDesign(strat, ids="dnum", fpc="pi", pps="brewer")  # pi is per school


@pytest.mark.parametrize("method", ["overton", "hr"])
@pytest.mark.parametrize("yg", [False, True], ids=["HT", "YG"])
def test_pair_form_is_the_quadratic_form_of_rs_matrix(method: str, yg: bool) -> None:
    # R's dense D (overton2Dcheck, HRDcheck) against the O(PSUs) form, with pi summing exactly to
    # 1 or 2 in some pairs (R zeroes those: HR's 0.25 + 0.75, 0.5 + 0.5; Overton's 1 + 1)
    rng = np.random.default_rng(7)
    for trial in range(40):
        n = int(rng.integers(2, 25))
        h = np.unique(rng.integers(0, 3, n), return_inverse=True)[1].ravel()
        grid = [0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
        pi = rng.choice(grid, n) if trial % 2 else rng.uniform(0.01, 1, n)
        z = rng.normal(50, 100, size=(n, 3))
        if method == "overton":
            a, b = overton_coefficients(pi, h)
            d, zero_sum = overton_dcheck(pi, h).toarray(), 2.0
        else:
            psum = rng.uniform(0, 0.5, int(h.max()) + 1)
            a, b = hartley_rao_coefficients(h, psum)
            d, zero_sum = hartley_rao_dcheck(pi, h, psum[h]).toarray(), 1.0
        if yg:
            d = d - np.diag(d.sum(axis=0))
        form = PairForm(pi, h, a, b, zero_sum=zero_sum, yg=yg)
        want = z.T @ d @ z
        scale = np.abs(want).max()
        assert np.abs(form.full(z) - want).max() <= 1e-12 * scale, trial
        assert np.abs(form.diag(z) - np.diag(want)).max() <= 1e-12 * scale, trial


def test_overton_needs_no_matrix_of_all_pairs() -> None:
    # 40,000 PSUs: R's 40,000 x 40,000 matrix would take 12.8 GB
    rng = np.random.default_rng(2)
    n = 40_000
    df = pd.DataFrame({"pi": rng.uniform(0.001, 0.01, n), "y": rng.gamma(2.0, 10.0, n)})
    se = _se(SurveyDesign(df, fpc="pi", pps="overton"), "mean", "y")
    brewer = _se(SurveyDesign(df, fpc="pi", pps="brewer"), "mean", "y")
    assert se == pytest.approx(brewer, rel=1e-9)  # the identity for means (see above)
