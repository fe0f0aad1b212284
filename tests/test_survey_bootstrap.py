"""The Canty-Davison bootstrap (R's ``as.svrepdesign(type = "bootstrap")``) with ci_eval's draws.

R's own draws rebuilt by ci_eval agree with R to 1e-8 (expected/bootstrap_cd.json, run by
test_survey_reference.py). ci_eval cannot repeat R's random numbers, so here its own draws are
checked statistically: the expected bootstrap variance of a total (over the draws) in closed form,
the mean SE over 200 seeds against R's mean over 200 seeds (tests/reference/
bootstrap_cd_mean_se.json, made by make_bootstrap_cd.R), and the coverage of 95% intervals over
repeated samples from apipop.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ci_eval.errors import DesignError
from ci_eval.survey import SurveyDesign
from ci_eval.survey.replicate_weights import bootstrap_counts

REFERENCE = Path(__file__).parent / "reference"


def _strata_sample(n_sizes: tuple[int, ...], popsize: tuple[int, ...] | None) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    h = np.repeat(np.arange(len(n_sizes)), n_sizes)
    df = pd.DataFrame({"h": h, "y": rng.gamma(2.0, 3.0, h.size) + 4 * h, "w": 1.0})
    if popsize is not None:
        df["N"] = np.asarray(popsize, dtype=float)[h]
        df["w"] = df["N"] / np.asarray(n_sizes, dtype=float)[h]
    return df


def _expected_bootstrap_variance(df: pd.DataFrame, n_sizes, popsize) -> float:
    """E over the draws of R's bootstrap variance of the total of y, in closed form.

    In stratum h with PSU totals z_i, n_h draws with replacement give Var*(t*) = sum (z_i -
    zbar)^2; without replacement from N_h = k n_h copies, times (N_h - n_h) / (N_h - 1). R scales
    by nbar / (nbar - 1), nbar the harmonic mean of the n_h.
    """
    nbar = 1 / np.mean(1 / np.asarray(n_sizes, dtype=float))
    total = 0.0
    for h, n_h in enumerate(n_sizes):
        z = (df["w"] * df["y"])[df["h"] == h].to_numpy()
        ss = float(((z - z.mean()) ** 2).sum())
        total += ss if popsize is None else ss * (popsize[h] - n_h) / (popsize[h] - 1)
    return nbar / (nbar - 1) * total


@pytest.mark.parametrize("popsize", [None, (24, 40, 90)], ids=["with_replacement", "fpc"])
def test_bootstrap_variance_has_the_closed_form_expectation(popsize) -> None:
    n_sizes = (4, 8, 6)
    df = _strata_sample(n_sizes, popsize)
    d = SurveyDesign(df, strata="h", weights="w", fpc=None if popsize is None else "N")
    r = d.as_replicate("bootstrap", replicates=20000, seed=11)
    var = float(r.total("y")["se"].iloc[0]) ** 2
    # the variance of a variance estimate from R replicates is about 2 var^2 / R: 1% here
    assert var == pytest.approx(_expected_bootstrap_variance(df, n_sizes, popsize), rel=0.04)


def test_bootstrap_counts_follow_r() -> None:
    df = _strata_sample((4, 8, 6), (4, 40, 90))
    d = SurveyDesign(df, strata="h", weights="w", fpc="N")
    counts = bootstrap_counts(d.structure, 500, seed=3)
    assert np.all(counts[:4] == 1)  # stratum 0 is sampled whole: N_h = n_h
    for h, (start, n_h) in enumerate(((0, 4), (4, 8), (12, 6))):
        assert np.all(counts[start : start + n_h].sum(axis=0) == n_h), h
    # without replacement from 5 copies of each PSU: no PSU is drawn more than 5 times
    assert counts[4:12].max() <= 5
    r = d.as_replicate("bootstrap", replicates=500, seed=3)
    assert np.array_equal(r._units, counts)
    nbar = 1 / np.mean(1 / np.array([4.0, 8.0, 6.0]))
    assert r.scale == pytest.approx(nbar / ((nbar - 1) * 499), rel=1e-14)
    assert r.type == "bootstrap" and np.all(r.rscales == 1)


def test_bootstrap_refuses_bad_counts_and_arguments() -> None:
    df = _strata_sample((4, 8, 6), None)
    d = SurveyDesign(df, strata="h", weights="w")
    with pytest.raises(DesignError, match="counts must be an array"):
        d.as_replicate("bootstrap", counts=np.ones((5, 10)))
    with pytest.raises(DesignError, match="counts= only applies"):
        d.as_replicate("subbootstrap", counts=np.ones((18, 10)))
    with pytest.raises(DesignError, match="at least 2"):
        d.as_replicate("bootstrap", replicates=1)


@pytest.mark.parametrize("name", ["dclus1", "dstrat"])
def test_mean_bootstrap_se_matches_r_over_200_seeds(name: str) -> None:
    ref = json.loads((REFERENCE / "bootstrap_cd_mean_se.json").read_text())["cases"][name]
    df = pd.read_csv(REFERENCE / "data" / f"{ref['data']}.csv")
    spec = ref["design"]
    d = SurveyDesign(
        df, ids=spec["ids"], strata=spec["strata"], weights=spec["weights"], fpc=spec["fpc"]
    )
    se = [
        float(d.as_replicate("bootstrap", replicates=50, seed=s).mean("api00")["se"].iloc[0])
        for s in range(200)
    ]
    # each mean of 200 SEs has a Monte Carlo error of sd / sqrt(200), about 0.65%
    assert np.mean(se) == pytest.approx(ref["mean_se"], rel=0.03)
    assert np.std(se, ddof=1) == pytest.approx(ref["sd_se"], rel=0.25)
    assert d.mean("api00")["se"].iloc[0] == pytest.approx(ref["taylor_se"], rel=1e-8)


def test_bootstrap_intervals_cover_95_percent() -> None:
    pop = pd.read_csv(REFERENCE / "data" / "apipop.csv")
    truth = float(pop["api00"].mean())
    sizes = {"E": 40, "H": 20, "M": 20}
    popsize = pop["stype"].value_counts()
    rng = np.random.default_rng(20261203)
    rows = {s: np.flatnonzero(pop["stype"].to_numpy() == s) for s in sizes}
    covered = []
    for k in range(200):
        picked = np.concatenate([rng.choice(rows[s], n, replace=False) for s, n in sizes.items()])
        sample = pop.iloc[picked].reset_index(drop=True)
        sample["N"] = sample["stype"].map(popsize).astype(float)
        d = SurveyDesign(sample, strata="stype", fpc="N")
        row = d.as_replicate("bootstrap", replicates=50, seed=k).mean("api00").iloc[0]
        covered.append(row["ci_low"] <= truth <= row["ci_high"])
    # binomial sd of the coverage over 200 samples at 95%: 1.5%
    assert 0.91 <= np.mean(covered) <= 0.99
