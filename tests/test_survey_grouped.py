"""Grouped sums and the fast paths of analysis matrices and domains (speed work on the core)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci_eval.survey.grouped import grouped_sums
from ci_eval.survey.variables import analysis_matrix, domains


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 60),
    p=st.integers(1, 12),
    size=st.integers(1, 7),
    seed=st.integers(0, 2**16),
)
def test_grouped_sums_agree_in_every_layout(n: int, p: int, size: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, p))
    weights = rng.uniform(0, 3, n)
    for key in (rng.integers(0, size, n), np.sort(rng.integers(0, size, n))):
        expected = np.zeros((size, p))
        for i in range(n):
            expected[key[i]] += weights[i] * values[i]
        for layout in (np.ascontiguousarray(values), np.asfortranarray(values)):
            got = grouped_sums(layout, key, weights, size)
            assert got.shape == (size, p)
            assert np.allclose(got, expected, rtol=1e-12, atol=1e-12)
    key = rng.integers(0, size, n)
    assert np.allclose(
        grouped_sums(values, key, None, size), grouped_sums(values, key, np.ones(n), size)
    )


def test_analysis_matrix_blocks_and_missing() -> None:
    n = 70_000  # more than one block of rows
    rng = np.random.default_rng(3)
    x = rng.normal(size=n)
    x[[5, 60_000]] = np.nan
    g = pd.Series(rng.choice(["a", "b", "c"], n))
    g[[7, 65_000]] = None
    m = analysis_matrix(pd.DataFrame({"x": x, "g": g}), ["x", "g"])
    assert m.values.shape == (n, 4)
    assert np.flatnonzero(m.missing).tolist() == [5, 7, 60_000, 65_000]
    assert np.array_equal(np.isnan(m.values).any(axis=1), m.missing)
    ok = ~m.missing
    assert np.array_equal(m.values[ok, 0], x[ok])
    assert np.array_equal(m.values[ok, 1], (g[ok] == "a").to_numpy(dtype=float))
    assert np.all(m.values[ok, 1:].sum(axis=1) == 1)


@pytest.mark.parametrize("with_missing", [False, True])
def test_domain_codes_are_dense_and_sorted(with_missing: bool) -> None:
    df = pd.DataFrame({"a": ["y", "x", "y", "z", "x"], "b": [2, 1, 1, 2, 2]})
    if with_missing:
        df.loc[2, "b"] = np.nan
    d = domains(df, ["a", "b"])
    table = list(d.table.itertuples(index=False, name=None))
    assert table == sorted(table)
    for i, row in df.iterrows():
        if with_missing and i == 2:
            assert d.code[i] == -1
        else:
            assert table[d.code[i]] == (row["a"], row["b"])
    assert d.count == len(set(table))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_taylor_results_do_not_depend_on_row_order(seed: int) -> None:
    # rows sorted by PSU take the run-sum path of the cluster totals; shuffled rows do not
    from ci_eval.survey import SurveyDesign

    rng = np.random.default_rng(seed)
    n = 60
    df = pd.DataFrame(
        {
            "h": np.repeat([0, 1, 2], 20),
            "psu": np.repeat(np.arange(12), 5),
            "w": rng.uniform(1, 5, n),
            "y": rng.normal(size=n),
            "g": rng.choice(["a", "b", "c"], n),
        }
    )
    shuffled = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    results = []
    for data in (df, shuffled):
        d = SurveyDesign(data, ids="psu", strata="h", weights="w")
        results.append((d.mean(["y", "g"]), d.total("y", by="g"), d.ratio("y", "w")))
    for a, b in zip(*results, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-10)
