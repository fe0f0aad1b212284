"""Cronbach's alpha by scale and language, against hand computations and Feldt's interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import f

from ci_eval.codebook import Codebook
from ci_eval.toc.reliability import scale_reliability
from ci_eval.toc.schema import ToCModel

CODEBOOK = Codebook.from_dict(
    {
        "survey": "s",
        "variables": [{"name": n, "type": "numeric", "missing_codes": [9]} for n in "abc"]
        + [{"name": "lang", "type": "categorical"}],
    }
)


def model(scoring: dict, items: list[str]) -> ToCModel:
    return ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                {
                    "id": "scale",
                    "label": {"en": "S"},
                    "survey": "s",
                    "items": items,
                    "scoring": scoring,
                },
                {
                    "id": "single",
                    "label": {"en": "1"},
                    "survey": "s",
                    "items": ["a"],
                    "scoring": scoring,
                },
            ],
        }
    )


DATA = pd.DataFrame(
    {
        "a": [1, 2, 3, 4, 5, 1, 2, 3, 9],
        "b": [1, 3, 3, 4, 5, 2, 2, 4, 3],
        "c": [2, 2, 3, 5, 5, 1, 3, 3, 3],
        "lang": ["en"] * 5 + ["fr"] * 4,
    }
)


def hand_alpha(items: pd.DataFrame) -> float:
    k = items.shape[1]
    return k / (k - 1) * (1 - items.var(ddof=1).sum() / items.sum(axis=1).var(ddof=1))


def test_alpha_overall_and_by_language_with_listwise_deletion():
    table = scale_reliability(
        model({"method": "mean"}, ["a", "b", "c"]), DATA, CODEBOOK, language_column="lang"
    )
    assert table["scale"].tolist() == ["scale"] * 3  # the one-item indicator has no alpha
    assert table["language"].tolist() == ["all", "en", "fr"]
    # Row 8 answered a = 9 (a missing code): it drops out everywhere.
    assert table["n"].tolist() == [8, 5, 3]
    items = DATA[["a", "b", "c"]]
    expected = [hand_alpha(items.iloc[:8]), hand_alpha(items.iloc[:5]), hand_alpha(items.iloc[5:8])]
    np.testing.assert_allclose(table["alpha"], expected, rtol=1e-12)
    assert round(expected[1], 4) == 0.9697  # 3/2 * (1 - 7.0 / 19.8)


def test_interval_is_feldts():
    table = scale_reliability(model({"method": "sum"}, ["a", "b", "c"]), DATA, CODEBOOK)
    alpha, n, k = table["alpha"].iloc[0], 8, 3
    low = 1 - (1 - alpha) * f.isf(0.025, n - 1, (n - 1) * (k - 1))
    high = 1 - (1 - alpha) * f.isf(0.975, n - 1, (n - 1) * (k - 1))
    assert abs(table["ci_low"].iloc[0] - low) <= 0.0005  # pingouin rounds to 3 decimals
    assert abs(table["ci_high"].iloc[0] - high) <= 0.0005


def test_reverse_coding_is_applied_before_alpha():
    reversed_data = DATA.assign(c=6 - DATA["c"].where(DATA["c"] != 9))
    rule = {"method": "mean", "reverse": ["c"], "range": [1, 5]}
    table = scale_reliability(model(rule, ["a", "b", "c"]), reversed_data, CODEBOOK)
    np.testing.assert_allclose(table["alpha"].iloc[0], hand_alpha(DATA[["a", "b", "c"]].iloc[:8]))


def test_too_few_respondents_give_missing_alpha():
    table = scale_reliability(model({"method": "mean"}, ["a", "b"]), DATA.iloc[:2], CODEBOOK)
    assert table["n"].iloc[0] == 2 and np.isnan(table["alpha"].iloc[0])
