"""Properties every weighting step must have, on random samples (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ci_eval.errors import WeightingError
from ci_eval.survey import SurveyDesign, calibrate, poststratify, rake, trim_weights

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def samples(draw, min_rows: int = 8, max_rows: int = 40) -> pd.DataFrame:
    """Rows with two categorical variables (every level present), a positive x and a weight."""
    n = draw(st.integers(min_rows, max_rows))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    k_a, k_b = draw(st.integers(2, 4)), draw(st.integers(2, 3))
    a = np.concatenate([np.arange(k_a), rng.integers(0, k_a, n - k_a)])
    b = np.concatenate([np.arange(k_b), rng.integers(0, k_b, n - k_b)])
    rng.shuffle(b)
    return pd.DataFrame(
        {
            "a": [f"a{v}" for v in a],
            "b": [f"b{v}" for v in b],
            "x": rng.uniform(1.0, 10.0, n),
            "w": rng.uniform(1.0, 50.0, n),
        }
    )


def totals(df: pd.DataFrame, var: str, weights: np.ndarray) -> pd.Series:
    return pd.Series(weights, index=df.index).groupby(df[var]).sum()


@SETTINGS
@given(samples())
def test_raking_to_margins_already_met_leaves_weights_unchanged(df) -> None:
    d = SurveyDesign(df, weights="w")
    w = df["w"].to_numpy()
    raked = rake(d, {"a": totals(df, "a", w), "b": totals(df, "b", w)})
    np.testing.assert_array_equal(raked.weights.to_numpy(), w)
    assert raked.weighting_diagnostics.iterations == 0


@SETTINGS
@given(samples(), st.data())
def test_poststratified_weights_reproduce_population_totals(df, data) -> None:
    levels = sorted(df["a"].unique())
    pop = pd.Series(
        data.draw(st.lists(st.floats(1.0, 1e6), min_size=len(levels), max_size=len(levels))),
        index=levels,
    )
    d = poststratify(SurveyDesign(df, weights="w"), "a", pop)
    got = totals(df, "a", d.weights.to_numpy())
    np.testing.assert_allclose(got[levels].to_numpy(), pop.to_numpy(), rtol=1e-12)


@SETTINGS
@given(samples(), st.floats(0.9, 1.1), st.integers(0, 2**32 - 1))
def test_raking_meets_every_margin(df, _, seed) -> None:
    # the margins of other positive weights: a solution exists
    rng = np.random.default_rng(seed)
    target_w = df["w"].to_numpy() * rng.uniform(0.5, 2.0, len(df))
    margins = {"a": totals(df, "a", target_w), "b": totals(df, "b", target_w)}
    raked = rake(SurveyDesign(df, weights="w"), margins, max_iter=2000)
    for var, pop in margins.items():
        got = totals(df, var, raked.weights.to_numpy())
        np.testing.assert_allclose(got[pop.index].to_numpy(), pop.to_numpy(), rtol=1e-9)


@SETTINGS
@given(samples(), st.sampled_from(["linear", "raking", "logit"]), st.integers(0, 2**32 - 1))
def test_calibration_reproduces_every_margin(df, calfun, seed) -> None:
    rng = np.random.default_rng(seed)
    target_w = df["w"].to_numpy() * rng.uniform(0.8, 1.25, len(df))
    margins = {
        "a": totals(df, "a", target_w),
        "b": totals(df, "b", target_w),
        "x": float(df["x"].to_numpy() @ target_w),
    }
    bounds = (0.5, 2.0) if calfun == "logit" else None
    try:
        d = calibrate(SurveyDesign(df, weights="w"), margins, calfun=calfun, bounds=bounds)
    except WeightingError as exc:  # linear g can go negative on a small sample; refused
        assume("negative weights" not in str(exc))
        raise
    w = d.weights.to_numpy()
    for var in ("a", "b"):
        got = totals(df, var, w)
        np.testing.assert_allclose(got[margins[var].index], margins[var].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(df["x"].to_numpy() @ w, margins["x"], rtol=1e-6)
    if bounds:
        g = w / df["w"].to_numpy()
        assert g.min() >= 0.5 - 1e-12 and g.max() <= 2.0 + 1e-12


@SETTINGS
@given(samples(), st.floats(0.05, 0.95), st.floats(0.05, 0.95), st.booleans())
def test_trimming_keeps_the_total_and_strict_meets_the_bounds(df, q_lo, q_hi, strict) -> None:
    w = df["w"].to_numpy()
    mean = w.mean()
    lower = min(np.quantile(w, q_lo), mean)
    upper = max(np.quantile(w, q_hi), mean)
    try:
        d = trim_weights(SurveyDesign(df, weights="w"), lower=lower, upper=upper, strict=strict)
    except WeightingError as exc:  # one pass that would leave negative weights is refused
        assume(strict or "negative" not in str(exc))
        raise
    new = d.weights.to_numpy()
    np.testing.assert_allclose(new.sum(), w.sum(), rtol=1e-10)
    if strict:
        assert new.min() >= lower * (1 - 1e-12) and new.max() <= upper * (1 + 1e-12)
    else:  # one pass: the weights that were outside sit on the bounds (unless all were)
        outside = (w < lower) | (w > upper)
        if not outside.all():
            np.testing.assert_array_equal(new[outside], np.clip(w[outside], lower, upper))


@SETTINGS
@given(samples())
def test_weighting_leaves_the_input_design_untouched(df) -> None:
    d = SurveyDesign(df, weights="w")
    before = d.weights.copy()
    data_before = df.copy()
    w = df["w"].to_numpy() * 1.3
    poststratify(d, "a", totals(df, "a", w))
    rake(d, {"a": totals(df, "a", w), "b": totals(df, "b", w)})
    calibrate(d, {"a": totals(df, "a", w)}, calfun="raking")
    trim_weights(d, upper=float(np.quantile(df["w"], 0.9)) + df["w"].mean())
    pd.testing.assert_series_equal(d.weights, before)
    pd.testing.assert_frame_equal(df, data_before)
    assert d.weighting_diagnostics is None
    assert d._calibration == ()
