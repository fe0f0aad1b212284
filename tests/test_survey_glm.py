"""Survey-weighted GLMs (``DesignBase.glm``, ``ci_eval.survey.glm``).

R ``survey``'s own numbers for the glm cases are in tests/reference/ (run by
test_survey_reference.py); here: hand-computed values, properties, missing values (against R numbers
computed for this file, see ``test_missing_values_leave_the_fit_not_the_design``) and errors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ci_eval.errors import ModelError
from ci_eval.survey import SurveyDesign
from ci_eval.survey.glm import GLM_COLUMNS, fit_glm
from ci_eval.survey.model_frame import model_frame

DATA = Path(__file__).parent / "reference" / "data"


def _random_design(seed: int, n: int, n_psu: int, stratified: bool) -> SurveyDesign:
    rng = np.random.default_rng(seed)
    psu = np.arange(n) % n_psu
    strata = (psu % 2) if stratified else np.zeros(n, dtype=int)
    x = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "psu": psu,
            "h": strata,
            "x": x,
            "y": 2.0 + 0.5 * x + rng.normal(size=n) + 0.3 * psu,
            "z": (rng.random(n) < 0.4 + 0.2 * (x > 0)).astype(float),
            "k": rng.poisson(2.0 + (x > 0), size=n).astype(float),
            "g": rng.choice(["a", "b", "c"], size=n),
            "w": rng.uniform(1.0, 5.0, size=n),
        }
    )
    return SurveyDesign(df, ids="psu", strata="h", weights="w")


designs = st.builds(
    _random_design,
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(24, 60),
    n_psu=st.sampled_from([6, 8, 12]),
    stratified=st.booleans(),
)


def test_coefficient_table_shape_and_names() -> None:
    d = _random_design(1, 40, 8, False)
    res = d.glm("y ~ x + g")
    assert list(res.columns) == list(GLM_COLUMNS)
    assert res["term"].tolist() == ["Intercept", "x", "g[T.b]", "g[T.c]"]
    assert (res["n"] == 40).all()
    assert (res["df"] == 8 - 1 + 1 - 4).all()


def test_srs_gaussian_is_weighted_least_squares_with_a_sandwich_variance() -> None:
    """Each row its own PSU: V = n/(n-1) sum u_i u_i' with u_i = w_i x_i e_i (X'WX)^-1."""
    rng = np.random.default_rng(7)
    n = 30
    df = pd.DataFrame({"x": rng.normal(size=n), "w": rng.uniform(1, 3, size=n)})
    df["y"] = 1.0 + 2.0 * df["x"] + rng.normal(size=n)
    res = SurveyDesign(df, weights="w").glm("y ~ x")
    X = np.column_stack([np.ones(n), df["x"]])
    w, y = df["w"].to_numpy(), df["y"].to_numpy()
    bread = np.linalg.inv(X.T @ (w[:, None] * X))
    beta = bread @ X.T @ (w * y)
    u = (w * (y - X @ beta))[:, None] * X @ bread
    vcov = n / (n - 1) * u.T @ u
    np.testing.assert_allclose(res["estimate"], beta, rtol=1e-10)
    np.testing.assert_allclose(res["se"], np.sqrt(np.diag(vcov)), rtol=1e-10)
    assert res["df"].iloc[0] == n - 1 + 1 - 2


@settings(max_examples=25, deadline=None)
@given(design=designs)
def test_intercept_only_gaussian_is_the_design_mean(design: SurveyDesign) -> None:
    fit = design.glm("y ~ 1")
    mean = design.mean("y")
    assert fit["estimate"].iloc[0] == pytest.approx(mean["estimate"].iloc[0], rel=1e-10)
    assert fit["se"].iloc[0] == pytest.approx(mean["se"].iloc[0], rel=1e-8)
    assert fit["df"].iloc[0] == design.degf


@settings(max_examples=20, deadline=None)
@given(
    design=designs,
    factor=st.floats(0.01, 1000.0),
    family=st.sampled_from(["gaussian", "quasibinomial", "poisson"]),
)
def test_scaling_the_weights_changes_nothing(
    design: SurveyDesign, factor: float, family: str
) -> None:
    formula = {"gaussian": "y ~ x + g", "quasibinomial": "z ~ x", "poisson": "k ~ x"}[family]
    base = design.glm(formula, family=family)
    scaled = design.with_weights(design.weights * factor).glm(formula, family=family)
    np.testing.assert_allclose(scaled["estimate"], base["estimate"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(scaled["se"], base["se"], rtol=1e-7)


@settings(max_examples=15, deadline=None)
@given(design=designs)
def test_quasi_families_agree_with_their_likelihood_families(design: SurveyDesign) -> None:
    """svyglm's variance is design-based: the dispersion of a quasi family does not enter."""
    a = design.glm("z ~ x", family="binomial")
    b = design.glm("z ~ x", family="quasibinomial")
    pd.testing.assert_frame_equal(a, b)
    c = design.glm("k ~ x", family="poisson")
    d = design.glm("k ~ x", family="quasipoisson")
    pd.testing.assert_frame_equal(c, d)


def test_tight_convergence_moves_standard_errors_only_slightly() -> None:
    d = _random_design(3, 50, 10, True)
    default = d.glm("z ~ x", family="binomial")
    tight = d.glm("z ~ x", family="binomial", epsilon=1e-14, maxit=100)
    np.testing.assert_allclose(tight["estimate"], default["estimate"], rtol=1e-6)
    np.testing.assert_allclose(tight["se"], default["se"], rtol=1e-4)


def test_missing_values_leave_the_fit_not_the_design() -> None:
    """R survey 4.1.1 on apiclus1 with ell missing in rows 3, 17, 40 and api00 missing for the
    whole of the first district (dnum 637):

        d$ell[c(3, 17, 40)] <- NA; d$api00[d$dnum == 637] <- NA
        des <- svydesign(ids=~dnum, weights=~pw, fpc=~fpc, data=d)
        summary(svyglm(api00 ~ ell + meals, des))$coefficients; m$df.residual   # 11
        summary(svyglm(I(sch_wide=="Yes") ~ ell + meals, des, family=quasibinomial()))
    """
    df = pd.read_csv(DATA / "apiclus1.csv")
    df.loc[[2, 16, 39], "ell"] = np.nan
    df.loc[df["dnum"] == 637, "api00"] = np.nan
    df["sch_yes"] = (df["sch_wide"] == "Yes").astype(float)
    d = SurveyDesign(df, ids="dnum", weights="pw", fpc="fpc")
    res = d.glm("api00 ~ ell + meals")
    np.testing.assert_allclose(
        res["estimate"], [821.764340360043661, -0.433122365985346, -3.237886271619288], rtol=1e-9
    )
    np.testing.assert_allclose(
        res["se"], [19.360615819612857, 0.322840167822875, 0.303504753814040], rtol=1e-9
    )
    np.testing.assert_allclose(
        res["p_value"],
        [1.51187331765015e-13, 2.06765351967601e-01, 3.85895996016641e-07],
        rtol=1e-7,
    )
    assert (res["df"] == 11).all()
    assert (res["n"] == int((df["ell"].notna() & df["api00"].notna()).sum())).all()
    q = d.glm("sch_yes ~ ell + meals", family="quasibinomial")
    np.testing.assert_allclose(
        q["estimate"], [1.8630222658891737, 0.0406800719344607, -0.0180571353420391], rtol=1e-9
    )
    np.testing.assert_allclose(
        q["se"], [0.53070138792251542, 0.01249683531549223, 0.00904643591464744], rtol=1e-9
    )


def test_intervals_use_t_on_the_residual_df() -> None:
    d = _random_design(5, 36, 6, False)
    res = d.glm("y ~ x", conf_level=0.9)
    from scipy import stats

    crit = stats.t.ppf(0.95, res["df"].iloc[0])
    np.testing.assert_allclose(res["ci_high"] - res["estimate"], crit * res["se"], rtol=1e-12)
    np.testing.assert_allclose(
        res["p_value"], 2 * stats.t.sf(np.abs(res["estimate"] / res["se"]), 5 + 1 - 2)
    )


def test_no_residual_df_gives_missing_intervals() -> None:
    d = _random_design(6, 24, 6, True)  # 6 PSUs in 2 strata: degf 4; 6 coefficients
    res = d.glm("y ~ x + g + k + z")
    assert (res["df"] <= 0).all()
    assert res["ci_low"].isna().all() and res["p_value"].isna().all()
    assert res["se"].notna().all()


def test_category_order_and_boolean_predictors() -> None:
    d = _random_design(8, 40, 8, False)
    data = d.data.assign(
        g=pd.Categorical(d.data["g"], categories=["c", "a", "b"]), pos=d.data["x"] > 0
    )
    res = SurveyDesign(data, ids="psu", weights="w").glm("y ~ g + pos")
    assert res["term"].tolist() == ["Intercept", "g[T.a]", "g[T.b]", "pos"]


def test_model_frame_drops_incomplete_rows_and_keeps_positions() -> None:
    df = pd.DataFrame(
        {"y": [1.0, None, 3.0, 4.0, 5.0], "g": ["a", "b", None, "b", "a"]},
        index=[10, 10, 11, 12, 13],
    )
    mf = model_frame(df, "y ~ g")
    assert mf.rows.tolist() == [0, 3, 4]
    np.testing.assert_array_equal(mf.X, [[1, 0], [1, 1], [1, 0]])


def test_fit_object_carries_the_covariance() -> None:
    d = _random_design(9, 40, 8, True)
    fit = fit_glm(d, "y ~ x + g")
    assert fit.vcov.shape == (4, 4)
    np.testing.assert_allclose(fit.vcov, fit.vcov.T)
    np.testing.assert_allclose(fit.se, fit.summary_frame()["se"])
    np.testing.assert_allclose(fit.bse, fit.se)
    assert (
        list(fit.cov_params().columns) == list(fit.terms) == ["Intercept", "x", "g[T.b]", "g[T.c]"]
    )
    assert fit.influence.shape == (40, 4) and fit.replicate_params is None
    np.testing.assert_allclose(fit.vcov, d.vcov(fit.influence, rows=fit.rows))
    np.testing.assert_allclose(fit.predict(newdata=d.data.iloc[:3]), fit.model.fittedvalues[:3])


def test_replicate_fit_carries_the_replicate_coefficients() -> None:
    d = _random_design(9, 40, 8, False).as_replicate("JK1")
    fit = fit_glm(d, "y ~ x")
    assert fit.influence is None and fit.replicate_params.shape == (8, 2)
    np.testing.assert_allclose(fit.vcov, d.replicate_variance(fit.params, fit.replicate_params))


@pytest.mark.parametrize(
    ("formula", "family", "fragment"),
    [
        ("y ~ x", "gamma", "family='gamma' is not supported"),
        ("y ~ nosuch", "gaussian", "nosuch"),
        ("y ~ x +", "gaussian", "cannot be used"),
        ("x", "gaussian", "needs a response"),
        ("y ~ x", "binomial", "must lie in [0, 1]"),
        ("x ~ y", "poisson", "must not be negative"),
        ("g ~ x", "gaussian", "one numeric"),
        ("y ~ x + x2", "gaussian", "['x2']"),
    ],
)
def test_bad_models_get_clear_errors(formula: str, family: str, fragment: str) -> None:
    d = _random_design(2, 30, 6, False)
    d = SurveyDesign(d.data.assign(x2=2 * d.data["x"]), ids="psu", weights="w")
    with pytest.raises(ModelError) as err:
        d.glm(formula, family=family)
    assert fragment in str(err.value)


def test_replicate_design_refits_the_model_under_every_replicate() -> None:
    """JK1 by hand: drop one PSU at a time, reweight the others by m/(m-1), refit by weighted
    least squares; variance (m-1)/m sum (b_j - mean b)^2 (R's svrVar for JK1 without fpc)."""
    d = _random_design(11, 48, 8, False)
    res = d.as_replicate("JK1").glm("y ~ x")
    df = d.data
    X = np.column_stack([np.ones(len(df)), df["x"]])
    y, w, psu = df["y"].to_numpy(), df["w"].to_numpy(), df["psu"].to_numpy()

    def wls(weights: np.ndarray) -> np.ndarray:
        return np.linalg.solve(X.T @ (weights[:, None] * X), X.T @ (weights * y))

    m = 8
    betas = np.array([wls(np.where(psu == j, 0.0, w * m / (m - 1))) for j in range(m)])
    dev = betas - betas.mean(axis=0)
    vcov = (m - 1) / m * dev.T @ dev
    np.testing.assert_allclose(res["estimate"], wls(w), rtol=1e-10)
    np.testing.assert_allclose(res["se"], np.sqrt(np.diag(vcov)), rtol=1e-8)
    assert (res["df"] == (m - 1) + 1 - 2).all()


def test_replicate_glm_with_missing_values_keeps_the_replicates() -> None:
    d = _random_design(12, 48, 8, False)
    data = d.data.copy()
    data.loc[[1, 9, 30], "y"] = np.nan
    full = SurveyDesign(data, ids="psu", weights="w").as_replicate("JK1")
    res = full.glm("y ~ x + g")
    assert (res["n"] == 45).all()
    assert res["se"].notna().all()
    complete = SurveyDesign(data.dropna(subset=["y"]), ids="psu", weights="w")
    expected = complete.as_replicate("JK1").glm("y ~ x + g")
    np.testing.assert_allclose(res["estimate"], expected["estimate"], rtol=1e-10)
    np.testing.assert_allclose(res["se"], expected["se"], rtol=1e-8)


def test_subset_designs_match_r() -> None:
    """R survey 4.1.1, subsets keep the design (domain estimation):

    des <- subset(svydesign(ids=~dnum, weights=~pw, fpc=~fpc, data=apiclus1), stype != "E")
    svyglm(api00 ~ ell + meals, des)                         # df.residual 9
    ds <- subset(svydesign(ids=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat),
                 sch_wide == "Yes")
    svyglm(api00 ~ ell + stype, ds)                          # df.residual 146
    """
    c1 = pd.read_csv(DATA / "apiclus1.csv")
    d = SurveyDesign(c1, ids="dnum", weights="pw", fpc="fpc").subset("stype != 'E'")
    res = d.glm("api00 ~ ell + meals")
    np.testing.assert_allclose(
        res["estimate"], [788.36441920126140, -0.53181947508528, -3.67248198172672], rtol=1e-9
    )
    np.testing.assert_allclose(
        res["se"], [24.767379800934471, 0.864867723709556, 0.617128780436368], rtol=1e-9
    )
    assert (res["df"] == 9).all()
    st_ = pd.read_csv(DATA / "apistrat.csv")
    ds = SurveyDesign(st_, strata="stype", weights="pw", fpc="fpc").subset("sch_wide == 'Yes'")
    res = ds.glm("api00 ~ ell + stype")
    assert res["term"].tolist() == ["Intercept", "ell", "stype[T.H]", "stype[T.M]"]
    np.testing.assert_allclose(
        res["estimate"],
        [778.80326061488222, -3.98641613888101, -78.30876360108587, -44.20857097293784],
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        res["se"],
        [12.972939431082878, 0.341457562678799, 18.184406895100050, 16.650641897720813],
        rtol=1e-9,
    )
    assert (res["df"] == 146).all()


@settings(max_examples=10, deadline=None)
@given(design=designs, kind=st.sampled_from(["JK1", "bootstrap"]))
def test_intercept_only_gaussian_on_replicates_is_the_replicate_mean(
    design: SurveyDesign, kind: str
) -> None:
    if kind == "JK1":  # JK1 is for unstratified designs
        rep = SurveyDesign(design.data, ids="psu", weights="w").as_replicate("JK1")
    else:
        rep = design.as_replicate("bootstrap", replicates=20, seed=1)
    fit, mean = rep.glm("y ~ 1"), rep.mean("y")
    assert fit["estimate"].iloc[0] == pytest.approx(mean["estimate"].iloc[0], rel=1e-10)
    assert fit["se"].iloc[0] == pytest.approx(mean["se"].iloc[0], rel=1e-8)


@pytest.mark.parametrize("family", ["gaussian", "binomial", "poisson"])
def test_replicate_refits_are_the_weighted_fits_of_each_replicate(family: str) -> None:
    import statsmodels.api as sm

    from ci_eval.survey.glm_family import get_family
    from ci_eval.survey.glm_fit import glm_irls, refit_replicates

    rng = np.random.default_rng(21)
    k = 80
    X = np.column_stack([np.ones(k), rng.normal(size=k), rng.integers(0, 2, size=k)])
    eta = 0.3 + 0.8 * X[:, 1] - 0.5 * X[:, 2]
    y = {
        "gaussian": eta + rng.normal(size=k),
        "binomial": (rng.random(k) < 1 / (1 + np.exp(-eta))).astype(float),
        "poisson": rng.poisson(np.exp(eta)).astype(float),
    }[family]
    fam = get_family(family)
    weights = rng.exponential(size=(k, 7)) * (rng.random((k, 7)) < 0.9)
    start = glm_irls(X, y, np.ones(k), fam).params
    got = refit_replicates(X, y, weights, fam, start, 1e-8, 25)
    for r in range(weights.shape[1]):
        model = sm.GLM(y, X, family=fam.statsmodels(), var_weights=weights[:, r])
        np.testing.assert_allclose(got[r], model.fit(tol=1e-14).params, rtol=1e-6, atol=1e-8)


def test_replicates_that_cannot_be_refitted_give_nan() -> None:
    from ci_eval.survey.glm_family import get_family
    from ci_eval.survey.glm_fit import refit_replicates

    X = np.column_stack([np.ones(6), [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]])
    y = np.array([1.0, 2.0, 3.0, 5.0, 6.0, 7.0])
    weights = np.ones((6, 3))
    weights[3:, 1] = 0.0  # no row with x = 1: slope not identified
    weights[:, 2] = 0.0  # no weight at all
    got = refit_replicates(X, y, weights, get_family("gaussian"), np.zeros(2), 1e-8, 25)
    np.testing.assert_allclose(got[0], [2.0, 4.0])
    assert np.isnan(got[1:]).all()


def test_conf_level_must_be_a_probability() -> None:
    d = _random_design(14, 30, 6, False)
    with pytest.raises(ModelError, match="conf_level"):
        d.glm("y ~ x", conf_level=95)


@settings(max_examples=10, deadline=None)
@given(design=designs, family=st.sampled_from(["binomial", "poisson"]))
def test_coefficients_agree_with_statsmodels(design: SurveyDesign, family: str) -> None:
    """The point estimates are weighted maximum likelihood (statsmodels GLM, var_weights)."""
    import statsmodels.api as sm

    formula, col = ("z ~ x + g", "z") if family == "binomial" else ("k ~ x + g", "k")
    data = design.data
    # no separation: every category has both outcomes (else the MLE is at infinity)
    spread = data.groupby("g")[col].agg(["min", "max"])
    assume(len(spread) == 3 and (spread["max"] > 0).all())
    if family == "binomial":
        assume((spread["min"] == 0).all())
    ours = design.glm(formula, family=family, epsilon=1e-14, maxit=100)
    X = np.column_stack([np.ones(len(data)), data["x"], data["g"] == "b", data["g"] == "c"]).astype(
        float
    )
    fam = sm.families.Binomial() if family == "binomial" else sm.families.Poisson()
    ref = sm.GLM(data[col].to_numpy(), X, family=fam, var_weights=design._w).fit(tol=1e-14)
    np.testing.assert_allclose(ours["estimate"], ref.params, rtol=1e-7, atol=1e-10)


def test_nullable_columns_are_read_like_their_numpy_counterparts() -> None:
    base = pd.DataFrame(
        {
            "y": [1.0, 2.0, np.nan, 4.0, 5.0, 7.0, 8.0, 9.0],
            "x": [0.5, 1.0, 2.0, np.nan, 3.0, 4.0, 5.0, 6.5],
            "g": ["a", "b", "a", "b", None, "a", "b", "a"],
            "w": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0],
        }
    )
    nullable = base.assign(
        y=pd.array([1, 2, None, 4, 5, 7, 8, 9], dtype="Int64"),
        x=base["x"].astype("Float64"),
        g=base["g"].astype("string"),
    )
    want = SurveyDesign(base, weights="w").glm("y ~ x + g")
    got = SurveyDesign(nullable, weights="w").glm("y ~ x + g")
    pd.testing.assert_frame_equal(got, want)
    assert got["term"].tolist() == ["Intercept", "x", "g[T.b]"]
