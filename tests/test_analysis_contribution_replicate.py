"""Contribution estimates on replicate-weight designs.

Against R (tests/reference/contribution_replicate.json, made by
tests/reference/make_contribution_replicate.R): svyglm on apiclus1's 50 bootstrap replicates and
on its JK1 replicates, and g-computation and AIPW levels with the whole estimator replicated
(R's ``withReplicates``). Against a Taylor design: every contribution table on a JK1 design
built from a cluster design is close to the one on the cluster design itself (the same
estimates, standard errors within the difference between the two variance methods).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ci_eval.analysis.contribution.aipw import aipw
from ci_eval.analysis.contribution.data import contribution_data
from ci_eval.analysis.contribution.gap import gap_projection
from ci_eval.analysis.contribution.regression import fit_glm, standardised_means
from ci_eval.analysis.contribution.tables import contribution_tables
from ci_eval.survey import ReplicateDesign, SurveyDesign
from ci_eval.toc.schema import ToCModel

REFERENCE = Path(__file__).parent / "reference"
R = json.loads((REFERENCE / "contribution_replicate.json").read_text())


@pytest.fixture(scope="module")
def apiclus1() -> pd.DataFrame:
    df = pd.read_csv(REFERENCE / "data" / "apiclus1.csv")
    return df.assign(
        high=(df["api00"] >= 700).astype(float), award=(df["awards"] == "Yes").astype(int)
    )


@pytest.fixture(scope="module")
def boot(apiclus1: pd.DataFrame) -> ReplicateDesign:
    reps = pd.read_csv(REFERENCE / "data" / "apiclus1_bootstrap50.csv").to_numpy(float)
    return ReplicateDesign(apiclus1, repweights=reps, weights="pw", type="bootstrap")


@pytest.fixture(scope="module")
def cluster(apiclus1: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(apiclus1, ids="dnum", weights="pw")


@pytest.mark.parametrize(
    ("case", "family"),
    [
        ("glm_boot_quasibinomial", "quasibinomial"),
        ("glm_boot_gaussian", "gaussian"),
        ("glm_jk1_quasibinomial", "quasibinomial"),
    ],
)
def test_svyglm_on_replicate_designs_agrees_with_r(boot, cluster, case, family) -> None:
    ref = R[case]
    design = cluster.as_replicate("JK1") if "jk1" in case else boot
    got = design.glm(ref["formula"], family=family)
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-8)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-6)
    assert (got["df"] == ref["df"]).all()


def test_gcomputation_on_bootstrap_replicates_agrees_with_r(boot) -> None:
    data = contribution_data(boot, "high", "award", ["ell", "meals"], binary=True)
    fit = fit_glm(boot, data.matrix(), data.y, data.w, binary=True)
    means = standardised_means(boot, fit, [data.matrix("1"), data.matrix("0")], data.w)
    np.testing.assert_allclose(means.estimate, R["gcomp_boot"]["estimate"], rtol=1e-10)
    np.testing.assert_allclose(means.vcov, R["gcomp_boot"]["vcov"], rtol=1e-6)


def test_aipw_on_bootstrap_replicates_agrees_with_r(boot) -> None:
    data = contribution_data(boot, "api00", "award", ["ell", "meals"], binary=False)
    result = aipw(boot, data)
    np.testing.assert_allclose(result.estimate, R["aipw_boot"]["estimate"], rtol=1e-10)
    np.testing.assert_allclose(result.vcov, R["aipw_boot"]["vcov"], rtol=1e-6)


def _model(exposure: str) -> ToCModel:
    return ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                {
                    "id": "high",
                    "label": {"en": "High"},
                    "survey": "s",
                    "items": ["q"],
                    "scoring": {"method": "threshold", "values": [1]},
                }
            ],
            "contributions": [
                {"indicator": "high", "exposure": exposure, "adjust_for": ["ell", "meals"]}
            ],
        }
    )


@pytest.mark.parametrize("exposure", ["award", "stype_code"])
def test_contribution_tables_on_a_replicate_design_are_close_to_taylor(apiclus1, exposure) -> None:
    data = apiclus1.assign(
        stype_code=apiclus1["stype"].map({"E": 1, "M": 2, "H": 3}),
        wanted=(apiclus1["meals"] > 50).astype(float),
    )
    taylor = SurveyDesign(data, ids="dnum", weights="pw")
    model = _model(exposure)
    spec = model.contributions[0]
    kwargs = {"gap_indicator": "wanted", "gap_exposure": "award"}
    t = contribution_tables(taylor, spec, model, "2024", **kwargs)
    r = contribution_tables(taylor.as_replicate("JK1"), spec, model, "2024", **kwargs)
    for name in ("contributions", "dose_response", "gap_projection"):
        a, b = getattr(t, name), getattr(r, name)
        assert len(a) == len(b)
        assert len(a) > 0 or name != "contributions"
        if not len(a):
            continue
        np.testing.assert_allclose(b["estimate"], a["estimate"], rtol=1e-9, atol=1e-12)
        # the same design, two variance methods: close, not equal
        ratio = b["se"].to_numpy() / a["se"].to_numpy()
        ok = np.isfinite(ratio)
        assert ok.any() and np.all((ratio[ok] > 0.5) & (ratio[ok] < 2.0)), (name, ratio)
        assert not np.allclose(b["se"][ok], a["se"][ok], rtol=1e-6), name


def test_gap_projection_on_replicates_runs_the_whole_estimator(boot, cluster) -> None:
    gap = (boot.data["meals"] > 50).to_numpy()
    rows = {}
    for name, design in (("boot", boot), ("taylor", cluster)):
        data = contribution_data(design, "high", "award", ["ell", "meals"], binary=True)
        fit = fit_glm(design, data.matrix(), data.y, data.w, binary=True)
        rows[name] = gap_projection(design, data, fit, gap)
    np.testing.assert_allclose(rows["boot"]["estimate"], rows["taylor"]["estimate"], rtol=1e-10)
    # the gap group's observed level is 0 (no such school reaches 700), so its SE is 0 too
    assert rows["boot"]["estimate"].iloc[0] == 0 == rows["boot"]["se"].iloc[0]
    assert (rows["boot"]["se"].iloc[1:] > 0).all()
