"""Design-based tests: ``DesignBase.ttest`` (svyttest) and ``DesignBase.chisq`` (svychisq).

R ``survey``'s numbers for the standard cases are in tests/reference/; here: properties, hand
computations, missing values (against R numbers computed for this file) and errors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ci_eval.errors import DesignError
from ci_eval.survey import SurveyDesign

DATA = Path(__file__).parent / "reference" / "data"


def _random_design(seed: int, n: int, n_psu: int, stratified: bool) -> SurveyDesign:
    rng = np.random.default_rng(seed)
    psu = np.arange(n) % n_psu
    g = rng.choice(["no", "yes"], size=n)
    df = pd.DataFrame(
        {
            "psu": psu,
            "h": (psu % 2) if stratified else 0,
            "y": rng.normal(size=n) + 0.8 * (g == "yes") + 0.2 * psu,
            "g": g,
            "a": rng.choice(["p", "q", "r"], size=n),
            "w": rng.uniform(1.0, 4.0, size=n),
        }
    )
    df["b"] = np.where(rng.random(n) < 0.5, df["g"], rng.choice(["no", "yes"], size=n))
    return SurveyDesign(df, ids="psu", strata="h", weights="w")


designs = st.builds(
    _random_design,
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(30, 60),
    n_psu=st.sampled_from([6, 8, 10]),
    stratified=st.booleans(),
)


@settings(max_examples=25, deadline=None)
@given(design=designs)
def test_ttest_is_the_difference_of_the_domain_means(design: SurveyDesign) -> None:
    res = design.ttest("y", by="g").iloc[0]
    means = design.mean("y", by="g").set_index("g")["estimate"]
    assert res["estimate"] == pytest.approx(means["yes"] - means["no"], rel=1e-9, abs=1e-12)
    # its variance: the design variance of the linearised difference of two domain means
    df = design.data
    w, y = design._w, df["y"].to_numpy()
    u = np.zeros(len(df))
    for level, sign in (("yes", 1.0), ("no", -1.0)):
        inside = (df["g"] == level).to_numpy()
        u += sign * np.where(inside, w * (y - means[level]) / w[inside].sum(), 0.0)
    se = np.sqrt(design.vcov(u[:, None])[0, 0])
    assert res["se"] == pytest.approx(se, rel=1e-8)
    assert res["df"] == design.degf - 1
    assert res["p_value"] == pytest.approx(
        2 * stats.t.sf(abs(res["statistic"]), design.degf - 1), rel=1e-10
    )


def test_ttest_row_and_level_order() -> None:
    d = _random_design(4, 40, 8, False)
    res = d.ttest("y", by="g")
    assert list(res.columns) == [
        "variable",
        "by",
        "contrast",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "statistic",
        "df",
        "p_value",
        "n",
    ]
    assert res["contrast"].iloc[0] == "yes - no"
    data = d.data.assign(g=pd.Categorical(d.data["g"], categories=["yes", "no"]))
    flipped = SurveyDesign(data, ids="psu", weights="w").ttest("y", by="g")
    assert flipped["contrast"].iloc[0] == "no - yes"
    assert flipped["estimate"].iloc[0] == pytest.approx(-res["estimate"].iloc[0])


def test_ttest_with_missing_values_matches_r() -> None:
    """R survey 4.1.1 on apiclus1 with api00 missing for the first district (dnum 637) and in
    rows 3, 17, 40 for ell (not used here):

        d$api00[d$dnum == 637] <- NA
        svyttest(api00 ~ sch_wide, svydesign(ids=~dnum, weights=~pw, fpc=~fpc, data=d))
    """
    df = pd.read_csv(DATA / "apiclus1.csv")
    df.loc[df["dnum"] == 637, "api00"] = np.nan
    d = SurveyDesign(df, ids="dnum", weights="pw", fpc="fpc")
    res = d.ttest("api00", by="sch_wide").iloc[0]
    assert res["estimate"] == pytest.approx(39.8692734169832903, rel=1e-10)
    assert res["statistic"] == pytest.approx(2.0143547352132321, rel=1e-9)
    assert res["df"] == 12
    assert res["p_value"] == pytest.approx(0.0669460433454184, rel=1e-8)


def test_ttest_needs_two_groups() -> None:
    d = _random_design(5, 30, 6, False)
    with pytest.raises(DesignError, match=r"exactly two groups.*'a' has 3"):
        d.ttest("y", by="a")
    with pytest.raises(DesignError, match="nosuch"):
        d.ttest("y", by="nosuch")


def test_chisq_statistic_is_pearson_on_the_weighted_table() -> None:
    d = _random_design(6, 50, 10, True)
    res = d.chisq("a", "b", statistic="Chisq").iloc[0]
    table = pd.crosstab(d.data["a"], d.data["b"], values=d.data["w"], aggfunc="sum")
    table = table.to_numpy() * len(d.data) / table.to_numpy().sum()
    pearson = stats.chi2_contingency(table, correction=False)[0]
    assert res["statistic"] == pytest.approx(pearson, rel=1e-10)
    assert res["df"] == 2 and np.isnan(res["ndf"]) and np.isnan(res["ddf"])


def test_rao_scott_on_an_equal_probability_sample_is_pearson_rescaled() -> None:
    """Each row its own PSU, equal weights: the design effects are all n/(n-1), so F is
    X^2 (n-1) / (n k) on k and k (n-1) degrees of freedom, k = (r-1)(c-1)."""
    d = _random_design(7, 60, 10, False)
    data = d.data
    equal = SurveyDesign(data, weights=np.ones(len(data)))
    n, k = len(data), 2
    pearson = equal.chisq("a", "b", statistic="Chisq")["statistic"].iloc[0]
    res = equal.chisq("a", "b").iloc[0]
    assert res["statistic"] == pytest.approx(pearson * (n - 1) / (n * k), rel=1e-10)
    assert res["ndf"] == pytest.approx(k, rel=1e-10)
    assert res["ddf"] == pytest.approx(k * (n - 1), rel=1e-10)
    assert res["p_value"] == pytest.approx(stats.f.sf(res["statistic"], k, k * (n - 1)), rel=1e-10)


@settings(max_examples=15, deadline=None)
@given(
    design=designs,
    factor=st.floats(0.01, 100.0),
    statistic=st.sampled_from(["F", "Chisq", "Wald", "adjWald"]),
)
def test_chisq_does_not_depend_on_the_scale_of_the_weights(
    design: SurveyDesign, factor: float, statistic: str
) -> None:
    base = design.chisq("a", "b", statistic=statistic)
    scaled = design.with_weights(design.weights * factor).chisq("a", "b", statistic=statistic)
    pd.testing.assert_frame_equal(base, scaled, rtol=1e-8)


def test_chisq_ignores_rows_with_a_missing_category() -> None:
    d = _random_design(8, 40, 8, False)
    data = d.data.copy()
    data.loc[[0, 5], "a"] = None
    res = SurveyDesign(data, ids="psu", weights="w").chisq("a", "b")
    assert res["n"].iloc[0] == 38
    assert np.isfinite(res["statistic"].iloc[0])


def test_chisq_errors() -> None:
    d = _random_design(9, 30, 6, False)
    with pytest.raises(DesignError, match="statistic='lrt' is not supported"):
        d.chisq("a", "b", statistic="lrt")
    with pytest.raises(DesignError, match="at least two categories in 'one'"):
        SurveyDesign(d.data.assign(one="x"), ids="psu", weights="w").chisq("a", "one")


@pytest.mark.parametrize(
    ("data", "a", "b", "replicate", "statistic", "p_value"),
    [
        ("apiclus1", "sch_wide", "stype", False, 11.9408920807453391, 0.0264411277096375),
        ("apistrat", "sch_wide", "stype", False, 26.7535340358908, 7.47316330786537e-07),
        ("apiclus1", "sch_wide", "stype", True, 11.9408920807453391, 0.0236525648397439),
        ("apistrat", "stype", "awards", False, 19.4796564209589, 4.85473291356357e-06),
        ("apiclus1", "stype", "both", False, 9.013873684210527, 0.061074537181396),
    ],
)
def test_saddlepoint_matches_r(
    data: str, a: str, b: str, replicate: bool, statistic: float, p_value: float
) -> None:
    """R survey 4.1.1: ``svychisq(~a+b, design, statistic="saddlepoint")`` with dclus1
    (``id=~dnum, fpc=~fpc``), dstrat (``strata=~stype, fpc=~fpc``) and
    ``as.svrepdesign(dclus1, type="JK1")``; R's root finder stops at 1e-8, hence 1e-6."""
    df = pd.read_csv(DATA / f"{data}.csv")
    if data == "apiclus1":
        d = SurveyDesign(df, ids="dnum", weights="pw", fpc="fpc")
    else:
        d = SurveyDesign(df, strata="stype", weights="pw", fpc="fpc")
    if replicate:
        d = d.as_replicate("JK1")
    res = d.chisq(a, b, statistic="saddlepoint").iloc[0]
    assert res["statistic"] == pytest.approx(statistic, rel=1e-10)
    assert res["p_value"] == pytest.approx(p_value, rel=1e-6)


def test_lincom_is_the_f_test_when_the_design_effects_are_equal() -> None:
    """With equal design effects the mixture is a scaled F: lincom gives the Rao-Scott p-value."""
    d = _random_design(10, 60, 10, False)
    equal = SurveyDesign(d.data, weights=np.ones(len(d.data)))
    lincom = equal.chisq("a", "b", statistic="lincom")["p_value"].iloc[0]
    rao_scott = equal.chisq("a", "b")["p_value"].iloc[0]
    assert lincom == pytest.approx(rao_scott, rel=1e-8)


@pytest.mark.parametrize(
    ("weights", "x"),
    [((1.8, 0.6), 11.94), ((2.5, 0.3), 4.0), ((1.0, 0.01), 30.0), ((5.0, 4.9), 0.2)],
)
def test_mixture_tail_against_direct_integration(weights: tuple, x: float) -> None:
    from scipy import integrate

    from ci_eval.survey.chisq_mixtures import imhof_upper

    l1, l2 = weights

    def cond(t: float) -> float:  # P(l1 Z1^2 > x - l2 t) times the chi^2_1 density of t
        return stats.chi2.sf(max(x - l2 * t, 0.0) / l1, 1) * stats.chi2.pdf(t, 1)

    direct = integrate.quad(cond, 0, x / l2, epsabs=1e-14, epsrel=1e-13, limit=500)[0]
    direct += stats.chi2.sf(x / l2, 1)
    assert imhof_upper(x, np.array(weights), np.ones(2)) == pytest.approx(direct, rel=1e-7)


@pytest.mark.parametrize("k", [1, 2, 4])
@pytest.mark.parametrize("x", [0.5, 3.0, 12.0])
def test_mixture_tail_of_equal_weights_is_chi_squared(k: int, x: float) -> None:
    from ci_eval.survey.chisq_mixtures import imhof_upper

    got = imhof_upper(x, np.full(k, 2.0), np.ones(k))
    assert got == pytest.approx(stats.chi2.sf(x / 2.0, k), rel=1e-9)


def test_rows_with_zero_weight_bring_no_categories() -> None:
    """A category held only by rows of weight zero (outside a subset) is not a category of the
    analysis: R's subset drops those rows before counting categories."""
    d = _random_design(13, 40, 8, False)
    data = pd.concat([d.data, d.data.iloc[:2].assign(a="s", g="maybe", w=0.0)], ignore_index=True)
    zeroed = SurveyDesign(data, ids="psu", weights="w")
    pd.testing.assert_frame_equal(zeroed.chisq("a", "b"), d.chisq("a", "b"))
    got, want = zeroed.ttest("y", by="g"), d.ttest("y", by="g")
    assert got["estimate"].iloc[0] == pytest.approx(want["estimate"].iloc[0], rel=1e-12)
    assert got["se"].iloc[0] == pytest.approx(want["se"].iloc[0], rel=1e-10)


def test_subset_designs_match_r() -> None:
    """R survey 4.1.1 on subset designs (rows outside stay in the design):

    des <- subset(svydesign(ids=~dnum, weights=~pw, fpc=~fpc, data=apiclus1), stype != "E")
    svyttest(api00 ~ sch_wide, des)
    svychisq(~sch_wide + stype, des, statistic = "F" | "Chisq" | "adjWald")
    ds <- subset(svydesign(ids=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat),
                 sch_wide == "Yes")
    svychisq(~stype + awards, ds)
    """
    c1 = pd.read_csv(DATA / "apiclus1.csv")
    d = SurveyDesign(c1, ids="dnum", weights="pw", fpc="fpc").subset("stype != 'E'")
    t = d.ttest("api00", by="sch_wide").iloc[0]
    assert t["estimate"] == pytest.approx(8.360389610389658, rel=1e-9)
    assert t["statistic"] == pytest.approx(0.177860515345975, rel=1e-9)
    assert t["df"] == 10
    assert t["p_value"] == pytest.approx(0.862383791139411, rel=1e-9)
    expected = {
        "F": (1.012359190623679, 1.0, 11.0, np.nan, 0.335958612899148),
        "Chisq": (0.495278293135435, np.nan, np.nan, 1.0, 0.314338312632837),
        "adjWald": (1.139843872224900, 1.0, 11.0, np.nan, 0.308556030313219),
    }
    for statistic, values in expected.items():
        row = d.chisq("sch_wide", "stype", statistic=statistic).iloc[0]
        got = row[["statistic", "ndf", "ddf", "df", "p_value"]].to_numpy(dtype=float)
        np.testing.assert_allclose(got, values, rtol=1e-9)
    st_ = pd.read_csv(DATA / "apistrat.csv")
    ds = SurveyDesign(st_, strata="stype", weights="pw", fpc="fpc").subset("sch_wide == 'Yes'")
    row = ds.chisq("stype", "awards").iloc[0]
    np.testing.assert_allclose(
        row[["statistic", "ndf", "ddf", "p_value"]].to_numpy(dtype=float),
        [2.5530304567625794, 1.8974628611010933, 282.7219663040629030, 0.0825878584480304],
        rtol=1e-9,
    )


def test_replicate_subset_matches_r() -> None:
    """R survey 4.1.1: ``jk <- subset(as.svrepdesign(dclus1, type="JK1"), stype != "E")``;
    ``svyglm(api00 ~ ell + meals, jk)``, ``svyttest(api00 ~ sch_wide, jk)``,
    ``svychisq(~sch_wide + stype, jk)``."""
    c1 = pd.read_csv(DATA / "apiclus1.csv")
    jk = SurveyDesign(c1, ids="dnum", weights="pw", fpc="fpc").as_replicate("JK1")
    sub = jk.subset((c1["stype"] != "E").to_numpy())
    fit = sub.glm("api00 ~ ell + meals")
    np.testing.assert_allclose(
        fit["se"], [30.905018806552619, 1.311879157040292, 0.727936006963548], rtol=1e-9
    )
    assert (fit["df"] == 9).all()
    t = sub.ttest("api00", by="sch_wide").iloc[0]
    assert t["statistic"] == pytest.approx(0.155128010502734, rel=1e-9)
    assert t["p_value"] == pytest.approx(0.879806906528876, rel=1e-9)
    row = sub.chisq("sch_wide", "stype").iloc[0]
    np.testing.assert_allclose(
        row[["statistic", "ndf", "ddf", "p_value"]].to_numpy(dtype=float),
        [0.982265007249898, 1.0, 11.0, 0.342940903973221],
        rtol=1e-9,
    )


@settings(max_examples=10, deadline=None)
@given(design=designs, statistic=st.sampled_from(["F", "Chisq", "Wald", "adjWald"]))
def test_chisq_is_symmetric_in_its_two_variables(design: SurveyDesign, statistic: str) -> None:
    ab = design.chisq("a", "b", statistic=statistic)
    ba = design.chisq("b", "a", statistic=statistic)
    pd.testing.assert_frame_equal(ab, ba, rtol=1e-8)
