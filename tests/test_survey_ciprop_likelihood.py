"""``ciprop(method="likelihood")`` and the interpolation it rests on (R's ``spline``, ``approx``).

The two R reference cases (``dclus1_ciprop_likelihood``, ``dstrat_ciprop_likelihood``) run in
test_survey_reference.py. The R numbers here were computed for this file with R 4.2.2 and survey
4.1.1 (the R call is given with each set); the data are the reference CSVs in tests/reference/data.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci_eval.errors import DesignError
from ci_eval.survey import SurveyDesign, poststratify
from ci_eval.survey.interpolation import approx, fmm_spline, regular_grid, spline

DATA = Path(__file__).parent / "reference" / "data"

# R 4.2.2: for each set, s <- spline(x, y) (method "fmm", n = 3 * length(unique x));
# xout = s$x, yout = s$y, printed with sprintf("%.17g"). "unsorted_ties" has x = 1 twice (R
# averages their y, with a warning) and so 5 distinct x and 15 points.
R_SPLINE = {
    "four": {
        "x": [0.0, 1.0, 2.5, 4.0],
        "y": [1.0, -1.0, 2.0, 0.5],
        "xout": [
            0.0,
            0.36363636363636365,
            0.7272727272727273,
            1.0909090909090908,
            1.4545454545454546,
            1.8181818181818183,
            2.1818181818181817,
            2.5454545454545454,
            2.909090909090909,
            3.272727272727273,
            3.6363636363636367,
            4.0,
        ],
        "yout": [
            1.0,
            -0.41885800150262953,
            -1.0004507888805403,
            -0.9323065364387679,
            -0.4019534184823441,
            0.4030803906836966,
            1.2952667167543197,
            2.0870773854244926,
            2.5909842223891815,
            2.619459053343351,
            1.9849737039819682,
            0.5,
        ],
    },
    "three": {
        "x": [0.0, 1.0, 3.0],
        "y": [0.0, 2.0, 1.0],
        "xout": [0.0, 0.375, 0.75, 1.125, 1.5, 1.875, 2.25, 2.625, 3.0],
        "yout": [0.0, 0.9453125, 1.65625, 2.1328125, 2.375, 2.3828125, 2.15625, 1.6953125, 1.0],
    },
    "two": {
        "x": [1.0, 3.0],
        "y": [2.0, 5.0],
        "xout": [1.0, 1.4, 1.8, 2.2, 2.6, 3.0],
        "yout": [2.0, 2.5999999999999996, 3.2, 3.8000000000000003, 4.4, 5.0],
    },
    "uneven": {
        "x": [-2.2, -1.5, -0.3, 0.0, 0.4, 1.7, 2.9, 3.1],
        "y": [-2.5, -1.9, -0.4, 0.0, 0.5, 1.6, 2.3, 2.6],
        "xout": [
            -2.2,
            -1.9695652173913045,
            -1.7391304347826089,
            -1.508695652173913,
            -1.2782608695652176,
            -1.0478260869565217,
            -0.817391304347826,
            -0.5869565217391304,
            -0.3565217391304347,
            -0.12608695652173907,
            0.10434782608695681,
            0.33478260869565224,
            0.5652173913043481,
            0.7956521739130435,
            1.0260869565217394,
            1.2565217391304349,
            1.4869565217391307,
            1.7173913043478266,
            1.947826086956522,
            2.178260869565218,
            2.408695652173914,
            2.639130434782609,
            2.8695652173913047,
            3.1,
        ],
        "yout": [
            -2.5,
            -2.337108509572798,
            -2.138488656221534,
            -1.909186554376767,
            -1.6542262779859145,
            -1.378533162370141,
            -1.0870049043097263,
            -0.7845391992557187,
            -0.4760337426591661,
            -0.16673043092597956,
            0.1352475859125571,
            0.4222486261420486,
            0.6889918707635883,
            0.9318161031547518,
            1.1479051956185669,
            1.334452498264087,
            1.4886513612003665,
            1.6076973856915924,
            1.6952912023286348,
            1.7759078047594616,
            1.8781604077303329,
            2.0306622259875073,
            2.2620264742772465,
            2.6,
        ],
    },
    "unsorted_ties": {
        "x": [3.0, 1.0, 2.0, 1.0, 0.0, 4.0],
        "y": [9.0, 1.0, 4.0, 3.0, 0.0, 16.0],
        "xout": [
            0.0,
            0.2857142857142857,
            0.5714285714285714,
            0.8571428571428571,
            1.1428571428571428,
            1.4285714285714284,
            1.7142857142857142,
            2.0,
            2.2857142857142856,
            2.571428571428571,
            2.8571428571428568,
            3.142857142857143,
            3.4285714285714284,
            3.714285714285714,
            4.0,
        ],
        "yout": [
            0.0,
            0.7690314220926465,
            1.3449951409135081,
            1.7978620019436344,
            2.198250728862974,
            2.6316812439261414,
            3.198574667962423,
            4.0,
            5.111111111111111,
            6.503401360544217,
            8.122448979591834,
            9.914480077745383,
            11.84062196307094,
            13.876903142209262,
            16.0,
        ],
    },
}


@pytest.mark.parametrize("name", sorted(R_SPLINE))
def test_spline_reproduces_r(name: str) -> None:
    case = R_SPLINE[name]
    u, v = spline(np.array(case["x"]), np.array(case["y"]))
    np.testing.assert_allclose(u, case["xout"], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(v, case["yout"], rtol=1e-13, atol=1e-14)


def test_spline_with_a_given_number_of_points() -> None:
    u, v = spline(np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 1.0]), n=5)
    assert u.tolist() == [0.0, 0.75, 1.5, 2.25, 3.0]
    # R: spline(c(0, 1, 3), c(0, 2, 1), n = 5)$y
    np.testing.assert_allclose(v, [0.0, 1.65625, 2.375, 2.15625, 1.0], rtol=1e-15)


def test_regular_grid_ends_exactly_at_the_end() -> None:
    grid = regular_grid(-2.123456789, 3.987654321, 19)
    assert grid[0] == -2.123456789
    assert grid[-1] == 3.987654321
    assert np.all(np.diff(grid) > 0)
    assert regular_grid(1.5, 1.5, 1).tolist() == [1.5]


@settings(max_examples=50, deadline=None)
@given(
    coef=st.lists(st.floats(-3, 3), min_size=4, max_size=4),
    gaps=st.lists(st.floats(0.1, 2.0), min_size=4, max_size=9),
)
def test_fmm_spline_reproduces_cubics(coef: list[float], gaps: list[float]) -> None:
    """FMM's end conditions are exact for a cubic, so the spline is the cubic itself."""
    x = np.cumsum([0.0, *gaps])
    a, b, c, d = coef
    cubic = lambda t: a + t * (b + t * (c + t * d))  # noqa: E731
    u = np.linspace(x[0], x[-1], 37)
    np.testing.assert_allclose(fmm_spline(x, cubic(x))(u), cubic(u), rtol=1e-9, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=2, max_size=12, unique=True))
def test_spline_interpolates_the_data(xs: list[float]) -> None:
    x = np.sort(np.array(xs))
    if np.min(np.diff(x)) < 1e-3:
        return
    y = np.sin(x)
    np.testing.assert_allclose(fmm_spline(x, y)(x), y, rtol=1e-9, atol=1e-9)


def test_fmm_spline_rejects_bad_knots() -> None:
    with pytest.raises(ValueError, match="increasing"):
        fmm_spline(np.array([0.0, 0.0, 1.0]), np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="two points"):
        fmm_spline(np.array([0.0]), np.array([1.0]))


def test_approx_is_linear_inside_and_missing_outside() -> None:
    # R: approx(c(2, 0, 1, 1), c(30, 0, 8, 12), xout = c(-1, 0, 0.25, 1, 1.5, 2, 2.5))$y
    # (unsorted, tied x = 1 averaged to 10) gives NA 0 2.5 10 20 30 NA
    out = approx(
        np.array([2.0, 0.0, 1.0, 1.0]),
        np.array([30.0, 0.0, 8.0, 12.0]),
        np.array([-1.0, 0.0, 0.25, 1.0, 1.5, 2.0, 2.5]),
    )
    assert np.isnan(out[[0, 6]]).all()
    np.testing.assert_allclose(out[1:6], [0.0, 2.5, 10.0, 20.0, 30.0], rtol=1e-15)


def test_approx_needs_two_points() -> None:
    with pytest.raises(ValueError, match="two distinct"):
        approx(np.array([1.0, 1.0]), np.array([2.0, 3.0]), np.array([1.0]))


# --- the interval, against R --------------------------------------------------------------------


def _designs(na_every: int | None = None) -> tuple[SurveyDesign, SurveyDesign]:
    strat = pd.read_csv(DATA / "apistrat.csv")
    if na_every:
        strat.loc[np.arange(na_every - 1, len(strat), na_every), "sch_wide"] = np.nan
    clus = pd.read_csv(DATA / "apiclus1.csv")
    return (
        SurveyDesign(strat, strata="stype", weights="pw", fpc="fpc"),
        SurveyDesign(clus, ids="dnum", weights="pw", fpc="fpc"),
    )


# R: dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc);
# svyciprop(~I(sch_wide == "Yes"), dclus1, method = "likelihood", <args>); attr(, "ci")
R_CLUS1 = [
    ({"conf_level": 0.9}, "level = 0.9", [0.83548271900501136, 0.90730667247529029]),
    ({"df": np.inf}, "df = Inf", [0.83075161966048283, 0.91065218746001364]),
    ({"df": 5}, "df = 5", [0.81578430506658672, 0.92045738190994986]),
]


@pytest.mark.parametrize(("kwargs", "r_args", "expected"), R_CLUS1)
def test_level_and_df_as_r(kwargs: dict, r_args: str, expected: list[float]) -> None:
    _, clus = _designs()
    res = clus.ciprop("sch_wide", category="Yes", method="likelihood", **kwargs)
    np.testing.assert_allclose(res[["ci_low", "ci_high"]].iloc[0], expected, rtol=1e-10)


def test_domains_and_subsets_as_r() -> None:
    # R: svyby(~I(sch_wide == "Yes"), ~stype, dclus1, svyciprop, method = "likelihood",
    #          vartype = "ci"); and svyciprop on subset(dclus1, stype == "E")
    expected = {
        "E": [0.86416696103308999, 0.95449893006041908],
        "H": [0.52181179923188359, 0.94604425405356085],
        "M": [0.41841858860488623, 0.88028637051379777],
    }
    _, clus = _designs()
    res = clus.ciprop("sch_wide", category="Yes", method="likelihood", by="stype")
    assert res["stype"].tolist() == ["E", "H", "M"]
    np.testing.assert_allclose(
        res[["ci_low", "ci_high"]].to_numpy(), [expected[s] for s in "EHM"], rtol=1e-10
    )
    sub = clus.subset("stype == 'E'").ciprop("sch_wide", category="Yes", method="likelihood")
    np.testing.assert_allclose(sub[["ci_low", "ci_high"]].iloc[0], expected["E"], rtol=1e-10)


def test_missing_values_as_r() -> None:
    # R: st <- read.csv("apistrat.csv"); st$sch_wide[seq(9, nrow(st), by = 9)] <- NA;
    # dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = st, fpc = ~fpc);
    # svyciprop(~I(sch_wide == "Yes"), dstrat, method = m, na.rm = TRUE): the t quantile uses
    # degf(dstrat) = 197, rows with a missing value included (175 without them)
    expected = {
        "likelihood": [0.77032227558297706, 0.87003801334691777],
        "logit": [0.7679395501889712, 0.86863882123987746],
        "beta": [0.76751388022191647, 0.87143427510133442],
        "mean": [0.77365311779705315, 0.87410271865971367],
        "asin": [0.77098737672090178, 0.87114618774518604],
        "xlogit": [0.76793955052320051, 0.8686388215743629],
    }
    strat, _ = _designs(na_every=9)
    for method, ci in expected.items():
        res = strat.ciprop("sch_wide", category="Yes", method=method, na_rm=True)
        row = res.iloc[0]
        np.testing.assert_allclose(row["estimate"], 0.82387791822838341, rtol=1e-8)
        np.testing.assert_allclose(row["se"], 0.025467945032152006, rtol=1e-10)
        np.testing.assert_allclose([row["ci_low"], row["ci_high"]], ci, rtol=1e-8, err_msg=method)
    # R: svyby(..., ~stype, dstrat, svyciprop, method = "likelihood", na.rm = TRUE)
    by = strat.ciprop("sch_wide", category="Yes", method="likelihood", na_rm=True, by="stype")
    np.testing.assert_allclose(
        by[["ci_low", "ci_high"]].to_numpy(),
        [
            [0.84758617157818361, 0.96458338972077717],
            [0.33645721325540634, 0.62247874315322094],
            [0.55148491440162051, 0.81770823197446652],
        ],
        rtol=1e-10,
    )


def test_calibrated_domains_as_r() -> None:
    # R: ps <- postStratify(dclus1, ~stype, data.frame(stype = c("E", "H", "M"),
    #                                                  Freq = c(4421, 755, 1018)));
    # svyciprop(~I(sch_wide == "Yes"), ps, method = "likelihood") and
    # svyby(~I(sch_wide == "Yes"), ~stype, ps, svyciprop, method = "likelihood", vartype = "ci"):
    # R's domains of a calibrated design keep every row (weight 0 outside), which changes the
    # number of rows in the profile's F quantile, so these differ from the uncalibrated domains
    _, clus = _designs()
    ps = poststratify(clus, "stype", pd.Series({"E": 4421.0, "H": 755.0, "M": 1018.0}))
    whole = ps.ciprop("sch_wide", category="Yes", method="likelihood").iloc[0]
    np.testing.assert_allclose(whole["estimate"], 0.86180781708872845, rtol=1e-10)
    np.testing.assert_allclose(whole["se"], 0.022231494851971734, rtol=1e-10)
    np.testing.assert_allclose(
        [whole["ci_low"], whole["ci_high"]], [0.80951596025216888, 0.90490691755837416], rtol=1e-10
    )
    expected = [
        [0.86416774406976438, 0.95449932335897425],
        [0.52147550647012408, 0.94603736725136622],
        [0.41835281382162981, 0.88025340422576681],
    ]
    by = ps.ciprop("sch_wide", category="Yes", method="likelihood", by="stype")
    np.testing.assert_allclose(by[["ci_low", "ci_high"]].to_numpy(), expected, rtol=1e-10)
    # R: svyciprop(..., subset(ps, stype == "H"), method = "likelihood")
    sub = ps.subset("stype == 'H'").ciprop("sch_wide", category="Yes", method="likelihood")
    np.testing.assert_allclose(sub[["ci_low", "ci_high"]].iloc[0], expected[1], rtol=1e-10)


def test_a_proportion_of_one_is_refused() -> None:
    # R: svyciprop(~I(sch_wide == "Yes"), subset(dclus1, both == "Yes"), method = "likelihood")
    # stops ("profiling has found a better solution"): every school there has sch_wide Yes
    _, clus = _designs()
    with pytest.raises(DesignError, match="both 0s and 1s"):
        clus.subset("both == 'Yes'").ciprop("sch_wide", category="Yes", method="likelihood")


def test_a_profile_that_stops_short_as_r() -> None:
    # R: d <- svydesign(id = ~psu, weights = ~w, data = df); the data below (2 PSUs, df = 1,
    # design effect 0.027); svyciprop(~y, d, method = "likelihood", level = 0.8) gives NA NA
    # (the profile ends before the limits); level = 0.99 gives the interval below
    df = pd.DataFrame(
        {
            "psu": ["a"] * 7 + ["b"] * 5,
            "w": [
                *[5.761, 1.299, 0.822, 16.359, 18.299, 12.329, 14.725],
                *[11.101, 18.734, 16.409, 0.553, 17.219],
            ],
            "y": [0.0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0],
        }
    )
    design = SurveyDesign(df, ids="psu", weights="w")
    with pytest.warns(UserWarning, match="does not reach"):
        short = design.ciprop("y", method="likelihood", conf_level=0.8).iloc[0]
    assert np.isnan(short["ci_low"]) and np.isnan(short["ci_high"])
    wide = design.ciprop("y", method="likelihood", conf_level=0.99).iloc[0]
    np.testing.assert_allclose(
        [wide["ci_low"], wide["ci_high"]],
        [3.4017958045136859e-06, 9.9995855803932343e-01],
        rtol=1e-10,
    )


def test_missing_values_without_na_rm_give_missing() -> None:
    strat, _ = _designs(na_every=9)
    res = strat.ciprop("sch_wide", category="Yes", method="likelihood")
    assert res[["estimate", "se", "ci_low", "ci_high"]].isna().all(axis=None)


def test_replicate_designs_give_no_interval_as_r() -> None:
    # R: svyciprop(..., as.svrepdesign(dclus1), method = "likelihood") has NA limits
    # (the estimate and se: parity_replicate.json)
    _, clus = _designs()
    rep = clus.as_replicate("JK1")
    with pytest.warns(UserWarning, match="no interval on a replicate design"):
        res = rep.ciprop("sch_wide", category="Yes", method="likelihood")
    assert res[["ci_low", "ci_high"]].isna().all(axis=None)
    logit = rep.ciprop("sch_wide", category="Yes", method="logit")
    assert res["estimate"].iloc[0] == pytest.approx(logit["estimate"].iloc[0], rel=1e-14)
    assert res["se"].iloc[0] == pytest.approx(logit["se"].iloc[0], rel=1e-14)


def test_unknown_method_lists_likelihood() -> None:
    _, clus = _designs()
    with pytest.raises(DesignError, match="likelihood"):
        clus.ciprop("sch_wide", category="Yes", method="wilson")


# --- properties -----------------------------------------------------------------------------------


@st.composite
def cluster_samples(draw: st.DrawFn) -> pd.DataFrame:
    """A stratified cluster sample with a 0/1 outcome that has both values, neither rare.

    At least 6 design degrees of freedom: with fewer, R's profile (nine steps each way) can stop
    short of a limit, which is then missing (see ``test_a_profile_that_stops_short_as_r``).
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    p = draw(st.floats(0.15, 0.85))
    rows = [
        (f"s{h}", f"s{h}c{c}")
        for h in range(draw(st.integers(2, 3)))
        for c in range(draw(st.integers(4, 7)))
        for _ in range(int(rng.integers(2, 8)))
    ]
    df = pd.DataFrame(rows, columns=["stratum", "psu"])
    df["w"] = rng.uniform(0.5, 20, len(df)).round(3)
    df["y"] = (rng.random(len(df)) < p).astype(float)
    df.loc[0, "y"], df.loc[1, "y"] = 0.0, 1.0
    return df


@settings(max_examples=40, deadline=None)
@given(cluster_samples(), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_interval_contains_the_estimate_and_lies_in_0_1(df: pd.DataFrame, level: float) -> None:
    design = SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    row = design.ciprop("y", method="likelihood", conf_level=level).iloc[0]
    assert 0 < row["ci_low"] < row["estimate"] < row["ci_high"] < 1


@settings(max_examples=25, deadline=None)
@given(cluster_samples())
def test_higher_level_gives_a_wider_interval(df: pd.DataFrame) -> None:
    design = SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    narrow = design.ciprop("y", method="likelihood", conf_level=0.8).iloc[0]
    wide = design.ciprop("y", method="likelihood", conf_level=0.95).iloc[0]
    assert wide["ci_low"] < narrow["ci_low"] and narrow["ci_high"] < wide["ci_high"]


@pytest.mark.parametrize("name", ["ci_eval.survey.interpolation", "ci_eval.survey.profile_ci"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
