"""Derived-indicator expressions: Kleene logic, arithmetic with missing values, safety."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ci_eval.errors import ModelError
from ci_eval.toc.expression import evaluate, names

NAN = np.nan
# Every pair of (true, false, missing).
A = pd.Series([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, NAN, NAN, NAN])
B = pd.Series([1.0, 0.0, NAN, 1.0, 0.0, NAN, 1.0, 0.0, NAN])


def test_and_or_not_follow_kleene_truth_tables():
    data = {"a": A, "b": B}
    np.testing.assert_array_equal(evaluate("a and b", data), [1, 0, NAN, 0, 0, 0, NAN, 0, NAN])
    np.testing.assert_array_equal(evaluate("a or b", data), [1, 1, 1, 1, 0, NAN, 1, NAN, NAN])
    np.testing.assert_array_equal(evaluate("not a", data), [0, 0, 0, 1, 1, 1, NAN, NAN, NAN])


def test_comparisons_and_membership_with_missing_values():
    data = {"x": pd.Series([1.0, 4.0, NAN]), "lang": pd.Series(["en", "fr", None])}
    np.testing.assert_array_equal(evaluate("x >= 4", data), [0, 1, NAN])
    np.testing.assert_array_equal(evaluate("x in (1, 2)", data), [1, 0, NAN])
    np.testing.assert_array_equal(evaluate("x not in (1, 2)", data), [0, 1, NAN])
    np.testing.assert_array_equal(evaluate("lang == 'fr'", data), [0, 1, NAN])
    np.testing.assert_array_equal(evaluate("1 < x <= 4", data), [0, 1, NAN])


def test_arithmetic_and_division_by_zero():
    data = {"x": pd.Series([6.0, 1.0, NAN]), "y": pd.Series([3.0, 0.0, 2.0])}
    np.testing.assert_array_equal(evaluate("x / y", data), [2.0, NAN, NAN])
    np.testing.assert_array_equal(evaluate("(x - y) * 2 + -1", data), [5.0, 1.0, NAN])


@pytest.mark.parametrize(
    "text", ["__import__('os')", "x.real", "x[0]", "lambda: 1", "[i for i in x]", "x if y else 1"]
)
def test_anything_but_the_small_grammar_is_refused(text):
    with pytest.raises(ModelError, match="not allowed"):
        names(text)


def test_names_and_unknown_names():
    assert names("a + b * a >= c") == {"a", "b", "c"}
    with pytest.raises(ModelError, match="'zz', which is not known"):
        evaluate("zz + 1", {"a": pd.Series([1.0])})
