"""Response-quality rules on crafted responses; every exclusion is counted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ci_eval.errors import QualityError
from ci_eval.quality import check_quality, quality_table, write_quality_csv


def flagged(data: pd.DataFrame, **rules: dict) -> list[str]:
    result = check_quality(data, rules)
    (name,) = rules
    return data.loc[result.flags[name], "id"].tolist()


def test_eligibility_by_range_values_and_missing():
    data = pd.DataFrame({"id": list("abcdef"), "age": [17, 18, 30, 31, None, 25]})
    assert flagged(data, eligibility={"column": "age", "min": 18, "max": 30}) == ["a", "d", "e"]
    data["consent"] = [1, 1, 2, 1, 1, None]
    assert flagged(data, eligibility={"column": "consent", "values": [1]}) == ["c", "f"]


def test_duplicates_keep_the_first_and_compare_what_is_asked():
    data = pd.DataFrame(
        {
            "id": list("abcde"),
            "q1": [1, 1, 2, 1, None],
            "q2": [3, 3, 3, 3, None],
            "secs": [5, 6, 7, 5, 8],
        }
    )
    assert flagged(data, duplicates={"ignore": ["id", "secs"]}) == ["b", "d"]
    assert flagged(data, duplicates={"ignore": ["id"]}) == ["d"]
    data["id"] = ["a", "b", "a", "c", "b"]
    assert flagged(data, duplicates={"key": ["id"]}) == ["a", "b"]  # rows 3 and 5


def test_incomplete_by_share_answered():
    data = pd.DataFrame(
        {
            "id": list("abc"),
            "q1": [1, 1, None],
            "q2": [1, None, None],
            "q3": [1, 1, 1],
            "x": [None] * 3,
        }
    )
    # b answered 2/3 = 0.667 of q1-q3, c answered 1/3.
    assert flagged(data, incomplete={"min_answered": 0.7, "columns": ["q1", "q2", "q3"]}) == [
        "b",
        "c",
    ]
    assert flagged(data, incomplete={"min_answered": 0.6, "columns": ["q1", "q2", "q3"]}) == ["c"]


def test_speeders_against_the_median():
    data = pd.DataFrame({"id": list("abcde"), "secs": [100, 1000, 900, 1100, None]})
    # median of 100, 900, 1000, 1100 is 950; 0.3 x 950 = 285.
    assert flagged(data, speeders={"column": "secs", "min_ratio": 0.3}) == ["a"]
    assert flagged(data, speeders={"column": "secs", "min_ratio": 0.95}) == ["a", "c"]


def test_straightlining_needs_enough_identical_grids():
    data = pd.DataFrame(
        {
            "id": list("abcd"),
            "g1a": [3, 3, 3, 3], "g1b": [3, 3, 3, None], "g1c": [3, 3, 4, None],
            "g2a": [5, 1, 5, 2], "g2b": [5, 2, 5, 2], "g2c": [5, 3, 5, 2],
        }
    )  # fmt: skip
    grids = [["g1a", "g1b", "g1c"], ["g2a", "g2b", "g2c"]]
    assert flagged(data, straightlining={"grids": grids, "min_items": 3, "min_grids": 2}) == ["a"]
    # d: grid 1 has only one answered item, so it does not count at min_items=2.
    assert flagged(data, straightlining={"grids": grids, "min_items": 2}) == ["a", "b", "c", "d"]
    assert flagged(data, straightlining={"grids": grids, "min_items": 3, "min_grids": 1}) == [
        "a",
        "b",
        "c",
        "d",
    ]


def test_attention_check_and_missing_answers():
    data = pd.DataFrame({"id": list("abcd"), "check": [2, 4, None, 2]})
    assert flagged(data, attention={"column": "check", "pass": [2]}) == ["b"]
    assert flagged(data, attention={"column": "check", "pass": [2], "missing_fails": True}) == [
        "b",
        "c",
    ]


def test_out_of_range_any_column():
    data = pd.DataFrame({"id": list("abcd"), "n": [0, 31, None, 5], "h": [1, 1, 1, -1]})
    assert flagged(data, out_of_range={"columns": {"n": [0, 30], "h": [0, 24]}}) == ["b", "d"]


def test_exclusions_are_attributed_in_order_and_nothing_is_lost():
    data = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(8)],
            "age": [17, 20, 20, 25, 25, 25, 40, 22],
            "check": [1, 1, 2, 2, 1, 2, 1, 2],
            "secs": [500, 500, 500, 10, 500, 500, 500, 500],
        }
    )
    rules = {
        "attention": {"column": "check", "pass": [2]},
        "eligibility": {"column": "age", "min": 18, "max": 30},
        "speeders": {"column": "secs", "min_ratio": 0.3, "exclude": False},
    }
    result = check_quality(data, rules)
    assert result.summary.values.tolist() == [
        ["responses", 8, 0, 8],
        ["eligibility", 2, 2, 6],  # r0, r6
        ["speeders", 1, 0, 6],  # flagged only
        ["attention", 4, 2, 4],  # r1 and r4; r0 and r6 were already out
    ]
    assert result.clean["id"].tolist() == ["r2", "r3", "r5", "r7"]
    assert result.excluded_by.tolist() == [
        "eligibility",
        "attention",
        "",
        "",
        "attention",
        "",
        "eligibility",
        "",
    ]
    assert len(result.clean) + result.summary["excluded"].sum() == len(data)


def test_bad_settings_name_the_table_and_setting():
    data = pd.DataFrame({"id": ["a"], "age": [20]})
    with pytest.raises(QualityError) as info:
        check_quality(
            data,
            {"speed": {}, "speeders": {"min_ratio": 2}, "duplicates": {}},
            source="[quality.youth]",
        )
    message = str(info.value)
    assert "[quality.youth].speed: unknown rule" in message
    assert "[quality.youth].speeders.column: Field required" in message
    assert "[quality.youth].speeders.min_ratio: Input should be less than 1" in message
    assert "[quality.youth].duplicates: give either key" in message
    with pytest.raises(
        QualityError, match=r"\[quality\].eligibility: column 'agee' is not in the responses"
    ):
        check_quality(data, {"eligibility": {"column": "agee", "min": 18}})


def test_quality_csv_holds_counts_only(tmp_path: Path):
    data = pd.DataFrame({"id": ["secret-1", "secret-2"], "age": [17, 20]})
    result = check_quality(data, {"eligibility": {"column": "age", "min": 18}})
    path = write_quality_csv(
        {("youth", "2024"): result, ("youth", "2021"): result}, tmp_path / "quality.csv"
    )
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[:3] == [
        "survey,wave,rule,flagged,excluded,remaining,about",
        "youth,2021,responses,2,0,2,",
        "youth,2021,eligibility,1,1,1,",
    ]
    assert "secret" not in text
    assert quality_table({}).columns.tolist() == [
        "survey",
        "wave",
        "rule",
        "flagged",
        "excluded",
        "remaining",
        "about",
    ]
    assert np.array_equal(result.flags["eligibility"].to_numpy(), [True, False])
