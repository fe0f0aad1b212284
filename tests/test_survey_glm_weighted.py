"""Regression and tests on weighted (post-stratified, calibrated) designs, against R.

R survey 4.1.1 on apiclus1:

    des <- svydesign(ids=~dnum, weights=~pw, fpc=~fpc, data=apiclus1)
    pop <- data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018))
    ps  <- postStratify(des, ~stype, pop)
    svyglm(api00 ~ ell + meals, ps); svychisq(~sch_wide + stype, ps)
    cal <- calibrate(des, ~stype + api99, c(6194, 755, 1018, 3914069))
    svyglm(api00 ~ ell + meals, cal); svyttest(api00 ~ sch_wide, cal)
    svyglm(api00 ~ ell + meals, postStratify(as.svrepdesign(des, type="JK1"), ~stype, pop))
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ci_eval.survey as survey
from ci_eval.survey import SurveyDesign

DATA = Path(__file__).parent / "reference" / "data"
POP = pd.Series({"E": 4421.0, "H": 755.0, "M": 1018.0})


@pytest.fixture
def weighting():
    return survey


@pytest.fixture
def dclus1() -> SurveyDesign:
    return SurveyDesign(pd.read_csv(DATA / "apiclus1.csv"), ids="dnum", weights="pw", fpc="fpc")


def test_glm_and_chisq_after_post_stratification(weighting, dclus1) -> None:
    ps = weighting.poststratify(dclus1, "stype", POP)
    res = ps.glm("api00 ~ ell + meals")
    np.testing.assert_allclose(
        res["estimate"], [808.90531325860866, -0.42345143675933, -3.13332460445148], rtol=1e-9
    )
    np.testing.assert_allclose(
        res["se"], [19.638215620182173, 0.301676353781228, 0.332436938999854], rtol=1e-9
    )
    row = ps.chisq("sch_wide", "stype").iloc[0]
    np.testing.assert_allclose(
        row[["statistic", "ndf", "ddf", "p_value"]].to_numpy(dtype=float),
        [4.7117382242001584, 1.6290249544991922, 22.8063493629886906, 0.0250898362410908],
        rtol=1e-9,
    )


def test_glm_and_ttest_after_calibration(weighting, dclus1) -> None:
    margins = {"stype": pd.Series({"E": 6194.0 - 755 - 1018, "H": 755.0, "M": 1018.0})}
    cal = weighting.calibrate(dclus1, {**margins, "api99": 3914069.0})
    res = cal.glm("api00 ~ ell + meals")
    np.testing.assert_allclose(
        res["estimate"], [818.235649385792840, -0.426913485110448, -3.216648256698174], rtol=1e-9
    )
    np.testing.assert_allclose(
        res["se"], [13.511040989951610, 0.327975386449257, 0.325785538221471], rtol=1e-9
    )
    t = cal.ttest("api00", by="sch_wide").iloc[0]
    assert t["estimate"] == pytest.approx(44.8592628393619108, rel=1e-9)
    assert t["statistic"] == pytest.approx(2.2630534067306169, rel=1e-9)
    assert t["p_value"] == pytest.approx(0.0413969203196654, rel=1e-8)


def test_glm_on_a_post_stratified_replicate_design(weighting, dclus1) -> None:
    jk = weighting.poststratify(dclus1.as_replicate("JK1"), "stype", POP)
    res = jk.glm("api00 ~ ell + meals")
    np.testing.assert_allclose(
        res["estimate"], [808.90531325860832, -0.42345143675933, -3.13332460445147], rtol=1e-9
    )
    np.testing.assert_allclose(
        res["se"], [21.057460689061354, 0.329612434794030, 0.355658515589813], rtol=1e-9
    )
