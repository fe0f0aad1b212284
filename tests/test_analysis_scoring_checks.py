"""Scoring warnings: a derived expression dividing by zero, and a missing code declared inside
an answer scale, are counted in the quality table (the run goes on, nothing is excluded)."""

from __future__ import annotations

import pandas as pd

from ci_eval.analysis.scoring_checks import missing_inside_scale, scoring_warnings, with_warnings
from ci_eval.codebook import Codebook
from ci_eval.quality import check_quality, quality_table
from ci_eval.results.contract import spec
from ci_eval.toc.expression import zero_divisions
from ci_eval.toc.schema import ToCModel
from ci_eval.toc.scoring import score_indicators, zero_division_counts

CODEBOOK = Codebook.from_dict(
    {
        "survey": "orgs",
        "variables": [
            {"name": "id", "type": "text"},
            {"name": "served", "type": "numeric"},
            {"name": "mentors", "type": "numeric"},
            {
                "name": "agree",
                "type": "numeric",
                "value_labels": {1: "No", 2: "Neutral", 3: "Yes", 9: "Refused"},
                "missing_codes": [2, 9],
            },
        ],
    }
)
MODEL = ToCModel.model_validate(
    {
        "name": {"en": "M"},
        "outcomes": [],
        "indicators": [
            {"id": "served_i", "label": {"en": "S"}, "survey": "orgs", "items": ["served"],
             "scoring": {"method": "value"}},
            {"id": "ratio", "label": {"en": "R"}, "survey": "orgs", "items": ["mentors"],
             "scoring": {"method": "derived", "expression": "served_i / mentors"},
             "universe": "served_i > 1"},
            {"id": "sum", "label": {"en": "T"}, "survey": "orgs", "items": ["mentors"],
             "scoring": {"method": "derived", "expression": "served_i + mentors"}},
        ],
    }
)  # fmt: skip
RESPONSES = pd.DataFrame(
    {
        "id": ["a", "b", "c", "d", "e"],
        "served": [10.0, 0.0, 1.0, None, 20.0],
        "mentors": [0.0, 0.0, 0.0, 0.0, 5.0],
        "agree": [1, 2, 2, 3, 9],
    }
)


def _frame() -> pd.DataFrame:
    scores = score_indicators(MODEL, RESPONSES, CODEBOOK, id_column="id")
    frame = CODEBOOK.apply_missing(RESPONSES)
    return frame.assign(**{c: scores[c] for c in scores.columns if c != "id"})


def test_a_zero_divisor_with_a_known_dividend_is_counted_once_per_row():
    data = {"a": pd.Series([1.0, None, 0.0, 4.0]), "b": pd.Series([0.0, 0.0, 0.0, 2.0])}
    assert zero_divisions("a / b", data).tolist() == [True, False, True, False]
    assert zero_divisions("(a / b) + (a / (b - b))", data).tolist() == [True, False, True, True]
    assert not zero_divisions("a * b", data).any()


def test_zero_divisions_count_only_rows_inside_the_indicators_universe():
    frame = _frame()
    assert frame["ratio"].isna().sum() == 4  # a: 10/0; b, c: outside; d: served missing
    assert zero_division_counts(MODEL, frame, "orgs") == {"ratio": 1}  # b and c are outside


def test_a_missing_code_inside_the_answer_codes_is_reported_with_its_answers():
    assert missing_inside_scale(CODEBOOK, RESPONSES) == {"agree = 2": 2}
    none_given = RESPONSES.assign(agree=[1, 3, 3, 9, 9])
    assert missing_inside_scale(CODEBOOK, none_given) == {}  # 9 is outside 1-3; 2 not given


def test_the_quality_table_gains_the_warnings_after_each_waves_rules():
    result = check_quality(RESPONSES, {"duplicates": {"key": ["id"]}})
    quality = quality_table({("orgs", "2024"): result, ("orgs", "2021"): result})
    warnings = scoring_warnings(MODEL, {"orgs": CODEBOOK}, {"orgs": {"2024": RESPONSES}},
                                {("orgs", "2024"): _frame()})  # fmt: skip
    assert warnings == {("orgs", "2024"): [("missing_inside_scale", "agree = 2", 2),
                                           ("zero_division", "ratio", 1)]}  # fmt: skip
    table = with_warnings(quality, warnings)
    spec("quality").check("quality", table)
    rows = table[table["wave"] == "2024"]
    assert rows["rule"].tolist() == [
        "responses", "duplicates", "missing_inside_scale", "zero_division"
    ]  # fmt: skip
    assert rows["excluded"].tolist()[2:] == [0, 0] and rows["remaining"].nunique() == 1
    assert rows["about"].tolist() == ["", "", "agree = 2", "ratio"]
    assert (table[table["wave"] == "2021"]["about"] == "").all()


def test_a_warning_is_logged_with_its_survey_wave_and_count(caplog):
    with caplog.at_level("WARNING", logger="ci_eval.analysis.scoring_checks"):
        scoring_warnings(MODEL, {"orgs": CODEBOOK}, None, {("orgs", "2024"): _frame()})
    assert "orgs 2024: zero_division (ratio) for 1 response" in caplog.text
