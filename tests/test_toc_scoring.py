"""Scoring rules against hand-computed values; missing codes never reach a score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci_eval.errors import ModelError
from ci_eval.toc import check_model, score_indicators
from ci_eval.toc.schema import Indicator, ToCModel
from toc_fixtures import codebook, indicator, model_data

NAN = np.nan


def scored(data: pd.DataFrame, *indicators: dict) -> pd.DataFrame:
    model, problems = check_model(model_data(*indicators), {"youth": codebook()})
    assert problems == []
    return score_indicators(model, data, codebook(), id_column="rid")


def frame(**columns: list) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"rid": [f"r{i}" for i in range(n)], **columns})


def test_value_keeps_numbers_and_the_id():
    out = scored(frame(hours=[0.0, 2.5, None]), indicator("h", {"method": "value"}, ["hours"]))
    assert out.columns.tolist() == ["rid", "h"]
    assert out["rid"].tolist() == ["r0", "r1", "r2"]
    np.testing.assert_array_equal(out["h"], [0.0, 2.5, NAN])


def test_recode_maps_codes_and_unlisted_codes_are_missing():
    rule = {"method": "recode", "map": {1: 0, 2: 0, 3: 0.5, 4: 1}}
    out = scored(frame(q1=[1, 3, 4, 5, 9]), indicator("r", rule, ["q1"]))
    np.testing.assert_array_equal(out["r"], [0, 0.5, 1, NAN, NAN])


def test_recode_and_scales_accept_string_codes_as_limesurvey_gives_them():
    model = ToCModel.model_validate(
        model_data(
            indicator("yes", {"method": "recode", "map": {"Y": 1, "N": 0}}, ["comment"]),
            indicator("count", {"method": "sum", "recode": {"Y": 1, "N": 0}}, ["comment", "rid"]),
        )
    )
    data = pd.DataFrame({"rid": ["Y", "N", "Y"], "comment": ["Y", "N", None]})
    out = score_indicators(model, data, codebook(), id_column="rid")
    np.testing.assert_array_equal(out["yes"], [1.0, 0.0, NAN])
    np.testing.assert_array_equal(out["count"], [2.0, 0.0, NAN])


def test_mean_with_reverse_coding_and_minimum_answered():
    # q3 reversed on 1-5: 6 - x. Row 0: (5 + 4 + (6-1)) / 3 = 14/3; row 1: q2 is "don't know"
    # so (4 + (6-2)) / 2 = 4 with 2 answered; row 2: only one answered item -> missing.
    rule = {"method": "mean", "min_answered": 2, "reverse": ["q3"], "range": [1, 5]}
    out = scored(
        frame(q1=[5, 4, 1], q2=[4, 8, 9], q3=[1, 2, 9]), indicator("s", rule, ["q1", "q2", "q3"])
    )
    np.testing.assert_allclose(out["s"], [14 / 3, 4.0, NAN])


def test_mean_needs_every_item_by_default():
    out = scored(frame(q1=[5, 4], q2=[3, None]), indicator("s", {"method": "mean"}, ["q1", "q2"]))
    np.testing.assert_array_equal(out["s"], [4.0, NAN])


def test_sum_is_prorated_over_answered_items():
    # Row 1 answered 3 of 4: mean 3 -> prorated sum 12 (not 9).
    rule = {"method": "sum", "min_answered": 3}
    out = scored(
        frame(q1=[1, 2, 1], q2=[2, 3, 9], q3=[3, 4, 9], q4=[4, 9, 9]),
        indicator("s", rule, ["q1", "q2", "q3", "q4"]),
    )
    np.testing.assert_array_equal(out["s"], [10.0, 12.0, NAN])


def test_sum_with_common_recode_counts_codes():
    rule = {"method": "sum", "recode": {4: 1, 5: 1, 1: 0, 2: 0, 3: 0}}
    out = scored(frame(q1=[5, 1], q2=[4, 4], q3=[3, 5]), indicator("c", rule, ["q1", "q2", "q3"]))
    np.testing.assert_array_equal(out["c"], [2.0, 2.0])


def test_threshold_on_codes_agree_or_strongly_agree():
    rule = {"method": "threshold", "values": [4, 5]}
    out = scored(frame(q1=[5, 4, 3, 1, 8, None]), indicator("t", rule, ["q1"]))
    np.testing.assert_array_equal(out["t"], [1, 1, 0, 0, NAN, NAN])


def test_threshold_on_numbers_with_bounds():
    rule = {"method": "threshold", "min": 2, "max": 10}
    out = scored(frame(hours=[1.9, 2.0, 10.0, 10.5, None]), indicator("t", rule, ["hours"]))
    np.testing.assert_array_equal(out["t"], [0, 1, 1, 0, NAN])


def test_any_of_uses_kleene_logic():
    rule = {"method": "any_of", "values": [1]}
    out = scored(frame(y1=[1, 2, 2, 8, 1], y2=[2, 2, 8, 8, 8]), indicator("a", rule, ["y1", "y2"]))
    # yes+no=1, no+no=0, no+dk=missing, dk+dk=missing, yes+dk=1
    np.testing.assert_array_equal(out["a"], [1, 0, NAN, NAN, 1])


def test_all_of_uses_kleene_logic():
    rule = {"method": "all_of", "values": [1]}
    out = scored(frame(y1=[1, 1, 2, 8, 1], y2=[1, 2, 8, 8, 8]), indicator("a", rule, ["y1", "y2"]))
    # yes+yes=1, yes+no=0, no+dk=0, dk+dk=missing, yes+dk=missing
    np.testing.assert_array_equal(out["a"], [1, 0, 0, NAN, NAN])


def test_derived_from_other_indicators_in_dependency_order():
    # The derived indicator is listed first; it is still computed after what it uses.
    strong = indicator("strong", {"method": "derived", "expression": "score >= 4"})
    ratio = indicator("ratio", {"method": "derived", "expression": "score / hours_v"})
    score = indicator("score", {"method": "mean"}, ["q1", "q2"])
    hours = indicator("hours_v", {"method": "value"}, ["hours"])
    out = scored(
        frame(q1=[5, 3, 9], q2=[4, 4, 4], hours=[3.0, 0.0, 1.0]), strong, ratio, score, hours
    )
    np.testing.assert_array_equal(out["strong"], [1, 0, NAN])
    np.testing.assert_array_equal(out["ratio"], [1.5, NAN, NAN])  # 3.5 / 0 is missing
    assert out.columns.tolist() == ["rid", "strong", "ratio", "score", "hours_v"]


def test_universe_sets_values_outside_it_missing():
    gate = indicator("asked", {"method": "threshold", "values": [1]}, ["y1"])
    rule = {"method": "threshold", "values": [4, 5]}
    inside = indicator("q", rule, ["q1"], universe="asked == 1 and lang == 'fr'")
    out = scored(
        frame(y1=[1, 1, 2, 8], q1=[5, 2, 5, 5], lang=["fr", "fr", "fr", "fr"]), gate, inside
    )
    np.testing.assert_array_equal(out["q"], [1, 0, NAN, NAN])


def test_missing_item_column_is_a_clear_error():
    model, _ = check_model(model_data(indicator("h", {"method": "value"}, ["hours"])))
    with pytest.raises(ModelError, match="items \\['hours'\\] are not in the responses"):
        score_indicators(model, frame(q1=[1]), codebook(), id_column="rid")


def test_missing_id_column_is_a_clear_error():
    model, _ = check_model(model_data(indicator("h", {"method": "value"}, ["hours"])))
    with pytest.raises(ModelError, match="id column 'rid'"):
        score_indicators(model, pd.DataFrame({"hours": [1.0]}), codebook(), id_column="rid")


def test_a_code_outside_the_value_labels_is_a_clear_error_not_an_answer():
    model, _ = check_model(
        model_data(indicator("agree", {"method": "threshold", "values": [4, 5]}, ["q1"]))
    )
    with pytest.raises(
        ModelError, match=r"column 'q1' row 1 holds '77'.*not one of its codes.*1 such row\)"
    ):
        score_indicators(model, frame(q1=[4, 77, 5]), codebook(), id_column="rid")
    out = score_indicators(model, frame(q1=[4.0, 2.0, None]), codebook(), id_column="rid")
    np.testing.assert_array_equal(out["agree"], [1, 0, NAN])  # SPSS's float codes
    score_indicators(model, frame(q1=["4", "2", None]), codebook(), id_column="rid")  # text codes


ALL_RULES = [
    indicator("mean", {"method": "mean", "min_answered": 1}, ["q1", "q2"]),
    indicator("total", {"method": "sum", "min_answered": 1}, ["q1", "q2"]),
    indicator("agree", {"method": "threshold", "values": [4, 5]}, ["q1"]),
    indicator("low", {"method": "threshold", "max": 2}, ["q2"]),
    indicator("rec", {"method": "recode", "map": {1: 10, 5: 50}}, ["q1"]),
    indicator("any", {"method": "any_of", "values": [1]}, ["y1", "y2"]),
    indicator("all", {"method": "all_of", "values": [2]}, ["y1", "y2"]),
]


CODEBOOK = codebook()
RULES_MODEL = check_model(model_data(*ALL_RULES), {"youth": CODEBOOK})[0]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([1, 2, 3, 4, 5, 8, 9]),
            st.sampled_from([1, 2, 3, 4, 5, 8, 9]),
            st.sampled_from([1, 2, 8]),
            st.sampled_from([1, 2, 8]),
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([8, 9]),
)
@pytest.mark.slow
def test_missing_codes_never_leak_into_scores(rows, other_code):
    """Swapping one missing code for another, or for NaN, changes no score."""
    data = frame(
        q1=[r[0] for r in rows],
        q2=[r[1] for r in rows],
        y1=[r[2] for r in rows],
        y2=[r[3] for r in rows],
    )
    base = score_indicators(RULES_MODEL, data, CODEBOOK, id_column="rid")
    swapped = data.copy()
    for column in ("q1", "q2"):
        swapped[column] = swapped[column].replace({8: other_code, 9: other_code})
    as_nan = data.copy()
    as_nan[["q1", "q2", "y1", "y2"]] = as_nan[["q1", "q2", "y1", "y2"]].where(
        ~as_nan[["q1", "q2", "y1", "y2"]].isin([8, 9])
    )
    pd.testing.assert_frame_equal(
        base, score_indicators(RULES_MODEL, swapped, CODEBOOK, id_column="rid")
    )
    pd.testing.assert_frame_equal(
        base, score_indicators(RULES_MODEL, as_nan, CODEBOOK, id_column="rid")
    )
    assert base["mean"].dropna().between(1, 5).all()
    assert base["total"].dropna().between(2, 10).all()
    assert base["rec"].dropna().isin([10, 50]).all()
    for flag in ("agree", "low", "any", "all"):
        assert base[flag].dropna().isin([0, 1]).all()


def test_estimate_as_follows_the_rule():
    binary = Indicator.model_validate(
        indicator("a", {"method": "threshold", "values": [1]}, ["y1"])
    )
    scale = Indicator.model_validate(indicator("b", {"method": "mean"}, ["q1"]))
    total = Indicator.model_validate(
        indicator("c", {"method": "value"}, ["hours"], statistic="total")
    )
    assert (binary.estimate_as, scale.estimate_as, total.estimate_as) == (
        "proportion",
        "mean",
        "total",
    )
    assert isinstance(ToCModel.model_validate(model_data()), ToCModel)
