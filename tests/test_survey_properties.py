"""Properties every design-based estimator must have, checked on generated samples (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ci_eval.survey import SurveyDesign, weighted_quantile


@st.composite
def clustered_samples(draw: st.DrawFn) -> pd.DataFrame:
    """A stratified cluster sample: 2-4 strata, 2-5 PSUs each, 1-4 rows per PSU."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(draw(st.integers(2, 4))):
        for c in range(draw(st.integers(2, 5))):
            for _ in range(int(rng.integers(1, 5))):
                rows.append((f"s{h}", f"s{h}c{c}"))
    df = pd.DataFrame(rows, columns=["stratum", "psu"])
    n = len(df)
    df["w"] = rng.uniform(0.5, 20, n).round(3)
    df["y"] = rng.normal(50, 10, n).round(2)
    df["x"] = rng.uniform(1, 5, n).round(2)
    df["g"] = rng.choice(["a", "b", "c"], n)
    return df


@settings(max_examples=40, deadline=None)
@given(clustered_samples(), st.floats(0.01, 1000))
def test_scaling_weights_leaves_means_ratios_and_proportions_unchanged(df, c):
    d1 = SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    scaled = df.assign(w=df["w"] * c)
    d2 = SurveyDesign(scaled, ids="psu", strata="stratum", weights="w")
    for a, b in [
        (d1.mean(["y", "g"]), d2.mean(["y", "g"])),
        (d1.ratio("y", "x"), d2.ratio("y", "x")),
        (d1.mean("y", by="g"), d2.mean("y", by="g")),
    ]:
        np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-10)
        np.testing.assert_allclose(a["se"], b["se"], rtol=1e-8, atol=1e-12)
    # totals scale with the weights
    np.testing.assert_allclose(d2.total("y")["estimate"], c * d1.total("y")["estimate"], rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(clustered_samples())
def test_a_domain_that_is_the_whole_sample_equals_the_full_estimate(df):
    d = SurveyDesign(df.assign(all="everyone"), ids="psu", strata="stratum", weights="w")
    whole = d.mean(["y", "g"])
    by = d.mean(["y", "g"], by="all")
    np.testing.assert_allclose(by["estimate"], whole["estimate"], rtol=1e-12)
    np.testing.assert_allclose(by["se"], whole["se"], rtol=1e-10)
    np.testing.assert_allclose(d.total("y", by="all")["se"], d.total("y")["se"], rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(clustered_samples())
def test_proportions_of_a_categorical_sum_to_one_and_complements_share_an_se(df):
    df = df.assign(two=np.where(df["g"] == "a", "a", "other"))
    d = SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    assert d.mean("g")["estimate"].sum() == pytest.approx(1.0)
    two = d.mean("two")
    assert two["se"].iloc[0] == pytest.approx(two["se"].iloc[-1], rel=1e-9, abs=1e-12)
    counts = d.total("g")
    assert counts["estimate"].sum() == pytest.approx(df["w"].sum())


@settings(max_examples=30, deadline=None)
@given(st.integers(5, 60), st.integers(0, 2**32 - 1), st.booleans())
def test_simple_random_sample_reproduces_the_textbook_formulas(n, seed, with_fpc):
    rng = np.random.default_rng(seed)
    big_n = 1000
    y = rng.normal(10, 3, n)
    df = pd.DataFrame({"y": y, "fpc": float(big_n), "w": big_n / n})
    d = SurveyDesign(df, weights="w", fpc="fpc" if with_fpc else None)
    f = n / big_n if with_fpc else 0.0
    s2 = y.var(ddof=1)
    mean = d.mean("y").iloc[0]
    assert mean["estimate"] == pytest.approx(y.mean(), rel=1e-12)
    assert mean["se"] == pytest.approx(np.sqrt((1 - f) * s2 / n), rel=1e-9)
    total = d.total("y").iloc[0]
    assert total["se"] == pytest.approx(big_n * np.sqrt((1 - f) * s2 / n), rel=1e-9)
    var = d.var("y").iloc[0]
    assert var["estimate"] == pytest.approx(s2, rel=1e-9)
    q = d.quantile("y", 0.5).iloc[0]
    assert q["estimate"] == pytest.approx(np.quantile(y, 0.5, method="inverted_cdf"))


def test_weighted_quantile_math_rule_is_the_inverse_cdf():
    x = np.array([5.0, 1.0, 3.0, 2.0, 4.0])
    w = np.array([1.0, 2.0, 1.0, 1.0, 5.0])
    assert weighted_quantile(x, w, 0.2) == 1.0
    assert weighted_quantile(x, w, 0.25) == 2.0
    assert weighted_quantile(x, w, 0.5) == 4.0  # cumulative shares .2 .3 .4 .9 1


@pytest.mark.slow
def test_taylor_intervals_cover_about_95_percent_in_a_two_stage_sample():
    """Simulation: a stratified cluster sample from a finite population, 400 draws.

    The 95% interval for the population mean (t with design df) must cover the true mean in
    roughly 95% of samples; 400 draws give a binomial SE of about 1.1 points, so 91-99% is the
    accepted band.
    """
    rng = np.random.default_rng(20261125)
    strata, clusters, size = 6, 40, 25
    effect = rng.normal(0, 2, (strata, clusters))
    pop = pd.DataFrame(
        {
            "h": np.repeat(np.arange(strata), clusters * size),
            "c": np.repeat(np.arange(strata * clusters), size),
        }
    )
    pop["y"] = 10 + pop["h"] + effect.reshape(-1)[pop["c"]] + rng.normal(0, 3, len(pop))
    truth = pop["y"].mean()
    grouped = pop.groupby("h")["c"].unique()
    covered = 0
    draws = 400
    for _ in range(draws):
        chosen = np.concatenate([rng.choice(grouped[h], 5, replace=False) for h in range(strata)])
        s = pop[pop["c"].isin(chosen)].assign(w=clusters / 5, N=float(clusters))
        row = (
            SurveyDesign(s, ids="c", strata="h", weights="w", fpc="N")
            .mean("y", df="design")
            .iloc[0]
        )
        covered += row["ci_low"] <= truth <= row["ci_high"]
    rate = covered / draws
    assert 0.91 <= rate <= 0.99, rate
    assert stats.binomtest(covered, draws, 0.95).pvalue > 0.001
