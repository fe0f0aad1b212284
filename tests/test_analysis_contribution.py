"""Contribution estimators: agreement with svyglm, hand-computed cases, the demo's planted
effects, and a coverage simulation (a few hundred small samples)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ci_eval.analysis.contribution.aipw import aipw
from ci_eval.analysis.contribution.data import contribution_data
from ci_eval.analysis.contribution.evalue import e_value, e_value_ci, rr_from_odds_ratio
from ci_eval.analysis.contribution.gap import gap_projection
from ci_eval.analysis.contribution.regression import fit_glm, standardised_means
from ci_eval.analysis.contribution.tables import COLUMNS, contribution_tables
from ci_eval.errors import AnalysisError
from ci_eval.survey import SurveyDesign
from ci_eval.toc.schema import ToCModel

TAU = 0.5
INCOME = np.array([-0.6, 0.0, 0.6])  # confounder effect on the exposure (logit) and outcome


def simulate(rng: np.random.Generator, n: int, binary: bool = False) -> pd.DataFrame:
    """A stratified sample with informative weights and confounding by income.

    Stratum 2 (a third of the population) is sampled at three times the rate of stratum 1;
    income raises both the chance of exposure and the outcome.
    """
    stratum = rng.choice([1, 2], n, p=[0.5, 0.5])
    weight = np.where(stratum == 1, 2.0, 2.0 / 3.0)
    income = rng.choice([0, 1, 2], n, p=[0.3, 0.4, 0.3])
    shift = np.where(stratum == 2, 0.3, 0.0)
    exposed = rng.random(n) < 1 / (1 + np.exp(-(0.2 + 1.2 * INCOME[income] + shift)))
    eta = 0.2 + TAU * exposed + 1.5 * INCOME[income] + shift
    if binary:
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = eta + rng.normal(0, 1, n)
    return pd.DataFrame(
        {
            "y": y,
            "a": exposed.astype(float),
            "income": income.astype(str),
            "stratum": stratum,
            "w": weight,
        }
    )


def binary_truth() -> float:
    """Population ATE of the binary-outcome simulation (the population mix of strata: the
    weights make stratum 1 three times as large as stratum 2 in the population)."""
    p_stratum = np.array([0.75, 0.25])
    p_income = np.array([0.3, 0.4, 0.3])
    ate = 0.0
    for s, ps in zip((0.0, 0.3), p_stratum, strict=True):
        eta0 = 0.2 + 1.5 * INCOME + s
        diff = 1 / (1 + np.exp(-(eta0 + TAU))) - 1 / (1 + np.exp(-eta0))
        ate += ps * float(p_income @ diff)
    return ate


def _design(df: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(df, strata="stratum", weights="w")


def test_regression_agrees_with_svyglm():
    df = simulate(np.random.default_rng(5), 800, binary=True)
    d = _design(df)
    data = contribution_data(d, "y", "a", ["income"], binary=True)
    fit = fit_glm(d, data.matrix(), data.y, data.w, binary=True)
    ref = d.glm("y ~ a + income", family="binomial")
    assert fit.params == pytest.approx(ref["estimate"].to_numpy(), rel=1e-6)
    assert np.sqrt(np.diag(fit.vcov)) == pytest.approx(ref["se"].to_numpy(), rel=1e-6)
    lin = fit_glm(d, data.matrix(), df["y"].to_numpy(), data.w, binary=False)
    ref_lin = d.glm("y ~ a + income", family="gaussian")
    assert np.sqrt(np.diag(lin.vcov)) == pytest.approx(ref_lin["se"].to_numpy(), rel=1e-6)


def test_unadjusted_standardised_levels_are_the_domain_means():
    df = simulate(np.random.default_rng(6), 500, binary=True)
    d = _design(df)
    data = contribution_data(d, "y", "a", [], binary=True)
    fit = fit_glm(d, data.matrix(), data.y, data.w, binary=True)
    means = standardised_means(d, fit, [data.matrix("0"), data.matrix("1")], data.w)
    ref = d.mean("y", by="a")
    assert means.estimate == pytest.approx(ref["estimate"].to_numpy(), rel=1e-8)
    assert np.sqrt(np.diag(means.vcov)) == pytest.approx(ref["se"].to_numpy(), rel=1e-6)


def test_aipw_without_covariates_is_the_difference_of_weighted_means():
    df = simulate(np.random.default_rng(7), 400)
    d = _design(df)
    data = contribution_data(d, "y", "a", [], binary=False)
    result = aipw(d, data)
    ref = d.mean("y", by="a")["estimate"].to_numpy()
    assert result.estimate == pytest.approx([ref[1], ref[0]], rel=1e-10)


def test_gap_projection_of_a_constant_effect():
    df = simulate(np.random.default_rng(8), 600)
    df["wanted"] = (np.arange(len(df)) % 3 == 0).astype(float)
    d = _design(df)
    data = contribution_data(d, "y", "a", ["income"], binary=False)
    fit = fit_glm(d, data.matrix(), data.y, data.w, binary=False)
    gap = df["wanted"].to_numpy() == 1
    t = gap_projection(d, data, fit, gap).set_index(["population", "scenario"])
    group = gap & (df["a"].to_numpy() == 0)
    share = df["w"][group].sum() / df["w"].sum()
    # a linear model without interactions gives every gap respondent the same effect
    assert t.loc[("all", "if_mentored"), "change"] == pytest.approx(share * fit.params[1])
    observed = np.average(df["y"][group], weights=df["w"][group])
    assert t.loc[("gap", "observed"), "estimate"] == pytest.approx(observed)
    assert t.loc[("gap", "if_mentored"), "n"] == group.sum()


def test_e_values_vanderweele_ding():
    # VanderWeele & Ding 2017: RR 3.9 (1.8, 8.7) -> E-values 7.26 and 3.0
    assert e_value(3.9) == pytest.approx(7.26, abs=0.005)
    assert e_value_ci(3.9, 1.8, 8.7) == pytest.approx(3.0, abs=0.005)
    assert e_value(0.5) == pytest.approx(2 + math.sqrt(2))
    assert rr_from_odds_ratio(2.25, 0.3) == pytest.approx(1.5)


def _model(binary: bool) -> ToCModel:
    scoring = {"method": "threshold", "values": [1]} if binary else {"method": "value"}
    return ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                {
                    "id": "y",
                    "label": {"en": "Y"},
                    "survey": "s",
                    "items": ["q"],
                    "scoring": scoring,
                },
                {
                    "id": "a",
                    "label": {"en": "A"},
                    "survey": "s",
                    "items": ["q2"],
                    "scoring": {"method": "threshold", "values": [1]},
                },
            ],
            "contributions": [{"indicator": "y", "exposure": "a", "adjust_for": ["income"]}],
        }
    )


def test_contribution_table_shows_odds_ratio_risk_ratio_and_levels_side_by_side():
    df = simulate(np.random.default_rng(9), 1500, binary=True)
    model = _model(True)
    result = contribution_tables(_design(df), model.contributions[0], model, "2024")
    t = result.contributions
    assert list(t.columns) == COLUMNS
    get = t.set_index(["model", "measure"])["estimate"]
    raw1, raw0 = get[("raw", "level_exposed")], get[("raw", "level_unexposed")]
    assert get[("raw", "risk_ratio")] == pytest.approx(raw1 / raw0)
    assert get[("raw", "risk_difference")] == pytest.approx(raw1 - raw0)
    assert get[("raw", "odds_ratio")] == pytest.approx(raw1 / (1 - raw1) / (raw0 / (1 - raw0)))
    assert get[("regression", "ame")] == pytest.approx(get[("gcomp", "risk_difference")])
    row = t[(t["model"] == "regression") & (t["measure"] == "odds_ratio")].iloc[0]
    prevalence = np.average(df["y"], weights=df["w"])
    assert prevalence > 0.15
    assert row["e_value"] == pytest.approx(e_value(math.sqrt(row["estimate"])))
    assert len(result.balance) == 2 and len(result.overlap) == 40
    shares = result.overlap.groupby("group")["share"].sum()
    assert shares.to_numpy() == pytest.approx([1.0, 1.0])
    # weighting by the inverse propensity balances the confounder
    assert result.balance["smd_after"].abs().max() < 0.05 < result.balance["smd_before"].abs().max()


def test_ordered_exposure_gives_a_dose_response():
    rng = np.random.default_rng(10)
    df = simulate(rng, 1200)
    df["length"] = rng.choice([1.0, 2.0, 3.0], len(df))
    df["y"] = df["y"] + 0.4 * (df["length"] - 1)
    model = ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                {
                    "id": "y",
                    "label": {"en": "Y"},
                    "survey": "s",
                    "items": ["q"],
                    "scoring": {"method": "value"},
                }
            ],
            "contributions": [{"indicator": "y", "exposure": "length", "adjust_for": ["income"]}],
        }
    )
    result = contribution_tables(_design(df), model.contributions[0], model, "2024")
    dose = result.dose_response
    assert dose["exposure_level"].tolist() == ["1", "2", "3"]
    steps = np.diff(dose["estimate"].to_numpy())
    assert steps == pytest.approx([0.4, 0.4], abs=0.2)
    pairs = set(zip(result.contributions["high"], result.contributions["low"], strict=True))
    assert pairs == {("2", "1"), ("3", "1")}
    assert "aipw" not in set(result.contributions["model"])


def test_a_constant_exposure_is_refused_with_the_spec_named():
    df = simulate(np.random.default_rng(11), 200).assign(a=1.0)
    model = _model(False)
    with pytest.raises(AnalysisError, match="fewer than two"):
        contribution_tables(_design(df), model.contributions[0], model, "2024")


@pytest.mark.slow
def test_simulation_coverage_of_dr_and_regression_and_bias_of_the_naive_difference():
    """300 stratified samples of 400 with informative weights and confounding: the AIPW and
    regression (g-computation) intervals cover the population effect about 95% of the time;
    the naive difference of weighted means is biased upward."""
    rng = np.random.default_rng(20241125)
    reps, n = 300, 400
    truth = binary_truth()
    hits = {"aipw": 0, "gcomp": 0}
    naive = []
    for _ in range(reps):
        df = simulate(rng, n, binary=True)
        d = _design(df)
        data = contribution_data(d, "y", "a", ["income", "stratum"], binary=True)
        dr = aipw(d, data)
        ate = dr.estimate[0] - dr.estimate[1]
        se = math.sqrt(dr.vcov[0, 0] + dr.vcov[1, 1] - 2 * dr.vcov[0, 1])
        hits["aipw"] += abs(ate - truth) <= 1.96 * se
        fit = fit_glm(d, data.matrix(), data.y, data.w, binary=True)
        g = standardised_means(d, fit, [data.matrix("1"), data.matrix("0")], data.w)
        rd = g.estimate[0] - g.estimate[1]
        se_g = math.sqrt(g.vcov[0, 0] + g.vcov[1, 1] - 2 * g.vcov[0, 1])
        hits["gcomp"] += abs(rd - truth) <= 1.96 * se_g
        exposed = df["a"] == 1
        naive.append(
            np.average(df["y"][exposed], weights=df["w"][exposed])
            - np.average(df["y"][~exposed], weights=df["w"][~exposed])
        )
    for name, count in hits.items():
        assert 0.91 <= count / reps <= 0.985, (name, count / reps)
    bias = np.mean(naive) - truth
    assert bias > 5 * np.std(naive) / math.sqrt(reps)


@pytest.mark.slow
def test_demo_contributions_recover_the_planted_effects():
    """The demo's planted average effects of having had a mentor (surveys/demo_truth.yaml)."""
    from analysis_fixtures import demo_tables, demo_truth

    tables, truth = demo_tables(), demo_truth()
    c = tables["contributions"]
    assert list(c.columns) == COLUMNS
    outcome_of = {
        "belonging_score": "belonging_score",
        "swemwbs_score": "swemwbs_score",
        "strong_belonging": "strong_belonging",
        "good_mental_health": "good_mental_health",
        "employed_or_studying": "employed_or_studying",
    }
    checked = covered = 0
    for indicator, key in outcome_of.items():
        for wave in ("2021", "2024"):
            ate = truth["waves"][wave]["average_treatment_effect"][key]["ate"]
            row = c[
                (c["outcome"] == indicator)
                & (c["exposure"] == "mentored_6_18")
                & (c["wave"] == wave)
                & (c["model"] == "aipw")
                & (c["measure"] == "ate")
            ]
            assert len(row) == 1
            covered += row["ci_low"].item() <= ate <= row["ci_high"].item()
            assert abs(row["estimate"].item() - ate) < 3 * row["se"].item(), (indicator, wave)
            raw = c[
                (c["outcome"] == indicator)
                & (c["exposure"] == "mentored_6_18")
                & (c["wave"] == wave)
                & (c["model"] == "raw")
                & c["measure"].isin(["risk_difference", "mean_difference"])
            ]
            # confounding by income inflates the naive gap over the adjusted one
            assert raw["estimate"].item() > row["estimate"].item()
            checked += 1
    assert checked == 10
    # ten 95% intervals of one fixed sample: each covers with probability 0.95, so one miss is
    # chance (2021 good mental health misses by 0.003, z = -2.1); more would be a bias
    assert covered >= 9
    gap = tables["gap_projection"]
    assert set(gap["scenario"]) == {"observed", "if_mentored"}
    assert (gap.loc[gap["scenario"] == "if_mentored", "change"] > 0).all()
    dose = tables["dose_response"]
    assert dose.groupby("wave")["exposure_level"].apply(list).tolist() == [["1", "2", "3"]] * 2


def test_an_exposure_group_under_the_minimum_is_suppressed_not_estimated():
    df = simulate(np.random.default_rng(12), 300)
    df.loc[df.index[8:], "a"] = 0.0  # at most 8 exposed
    model = _model(False)
    result = contribution_tables(_design(df), model.contributions[0], model, "2024")
    row = result.contributions.iloc[0]
    assert len(result.contributions) == 1 and row["suppressed"] and row["primary"]
    assert row["reason"] == "an exposure group has n < 10" and np.isnan(row["estimate"])
    assert result.balance.empty and result.gap_projection.empty


@pytest.mark.slow
def test_demo_dose_response_recovers_the_planted_effect_by_relationship_length():
    """Relationship length is independent of the confounders among the mentored in the demo, so
    the standardised contrast of lengths k and 1 estimates effect(k) - effect(1)."""
    from analysis_fixtures import demo_tables, demo_truth

    c = demo_tables()["contributions"]
    truth = demo_truth()
    for wave in ("2021", "2024"):
        by_length = truth["waves"][wave]["effect_by_relationship_length"]["swemwbs_score"]
        for k in (2, 3):
            planted = by_length[k] - by_length[1]
            row = c[
                (c["exposure"] == "relationship_length")
                & (c["wave"] == wave)
                & (c["model"] == "gcomp")
                & (c["high"] == str(k))
                & (c["low"] == "1")
            ]
            assert row["ci_low"].item() <= planted <= row["ci_high"].item(), (wave, k)


@pytest.mark.parametrize(
    ("estimator", "model", "measure"),
    [
        ("gcomp", "gcomp", "risk_difference"),
        ("aipw", "aipw", "ate"),
        ("regression", "regression", "ame"),
    ],
)
def test_one_primary_row_per_contrast_is_the_chosen_estimators_effect(estimator, model, measure):
    df = simulate(np.random.default_rng(5), 400, binary=True)
    spec_model = _model(True)
    t = contribution_tables(
        _design(df), spec_model.contributions[0], spec_model, "2024", primary=estimator
    ).contributions
    primary = t[t["primary"]]
    assert primary[["model", "measure"]].values.tolist() == [[model, measure]]


def test_an_unknown_primary_estimator_is_an_error_naming_the_choices():
    from ci_eval.analysis.settings import AnalysisSettings

    with pytest.raises(AnalysisError, match="use one of raw, regression, gcomp, aipw"):
        AnalysisSettings.from_mapping({"primary_estimator": "ols"})
