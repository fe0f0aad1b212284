"""Attacks on the published figures, played as a determined reader would (issue 13).

Each test plays one route of the issue with an attacker written here, independently of the
code under test: a linear program over every program's (or respondent's) own answer, given
everything the attacker can read or knows, and asserts that no other program's answer, no
suppressed cell and no union of suppressed cells under ``min_cell`` comes back exactly or
within the published rounding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from ci_eval.analysis.disclosure_rules import complementary_suppression
from ci_eval.analysis.indicators import estimate_indicator, estimate_indicators
from ci_eval.results.disclosure import DisclosureRules
from ci_eval.survey import SurveyDesign
from ci_eval.toc.schema import ToCModel

RULES = DisclosureRules()
PRAIRIES = {"MB": 30, "SK": 5, "AB": 40}
PROVINCES = {"BC": 60, **PRAIRIES, "ON": 90, "QC": 50, "NS": 3, "NB": 2, "YT": 4}
REGION = {"BC": "BC", "MB": "PR", "SK": "PR", "AB": "PR", "ON": "ON", "QC": "QC", "NS": "AT",
          "NB": "AT", "YT": "TR"}  # fmt: skip


def _model(statistic: str = "total") -> ToCModel:
    return ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                {
                    "id": "served",
                    "label": {"en": "Youth served"},
                    "survey": "org",
                    "items": ["q"],
                    "scoring": {"method": "value"},
                    "statistic": statistic,
                    "disaggregate_by": ["region", "province", "size_band"],
                }
            ],
        }
    )


def _programs(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    province = np.repeat(list(PROVINCES), list(PROVINCES.values()))
    served = rng.integers(10, 300, province.size).astype(float)
    return pd.DataFrame(
        {
            "served": served,
            "province": province,
            "region": [REGION[p] for p in province],
            "size_band": np.where(served < 50, "1", np.where(served < 150, "2", "3")),
            "w": 1.0,
        }
    )


def _attacker(data: pd.DataFrame, table: pd.DataFrame, cell: np.ndarray) -> tuple[float, float]:
    """The least and largest total of the ``cell`` programs given every published total, the
    domain codes of every program and the answers' range (each program one variable)."""
    y = data["served"].to_numpy(float)
    rows, values = [], []
    for _, r in table[~table["suppressed"]].iterrows():
        member = np.ones(len(data), bool)
        if r["domain"] != "overall":
            member = (data[r["domain"]].astype(str) == r["domain_value"]).to_numpy()
        total = r["estimate"] * (member.sum() if r["statistic"] != "total" else 1)
        rows.append(member.astype(float))
        values.append(total)
    bounds = [(y.min(), y.max())] * len(y)
    low = linprog(cell.astype(float), A_eq=np.array(rows), b_eq=values, bounds=bounds)
    high = linprog(-cell.astype(float), A_eq=np.array(rows), b_eq=values, bounds=bounds)
    assert low.status == 0 and high.status == 0
    return low.fun, -high.fun


def _held(data: pd.DataFrame, table: pd.DataFrame, cell: np.ndarray) -> bool:
    low, high = _attacker(data, table, cell)
    true = data.loc[cell, "served"].sum()
    assert low - 1e-6 <= true <= high + 1e-6
    return high - low >= 2 * max(RULES.p_percent / 100 * true, 1.0) - 1e-6


@pytest.mark.parametrize("statistic", ["total", "mean"])
def test_saskatchewan_is_not_prairies_less_manitoba_and_alberta(statistic):
    data = _programs()
    design = SurveyDesign(data, weights="w")
    table = estimate_indicators({("org", "2024"): design}, _model(statistic), RULES)
    sk = table[(table["domain"] == "province") & (table["domain_value"] == "SK")].iloc[0]
    assert sk["suppressed"] and sk["reason"] == "n < 10"
    saskatchewan = (data["province"] == "SK").to_numpy()
    assert _held(data, table, saskatchewan)
    # the one-domain rule alone (a complement in the province domain) does not hold
    alone = complementary_suppression(
        estimate_indicator(design, _model(statistic).indicators[0], "2024", RULES), 10
    )
    assert not _held(data, alone, saskatchewan)
    for domain, small in (("province", ["SK", "NS", "NB", "YT"]), ("region", ["AT", "TR"])):
        for value in small:
            assert _held(data, table, (data[domain] == value).to_numpy()), (domain, value)


def test_atlantic_and_territories_together_are_not_the_total_less_the_rest():
    data = _programs()
    table = estimate_indicators({("org", "2024"): SurveyDesign(data, weights="w")}, _model(), RULES)
    union = data["region"].isin(["AT", "TR"]).to_numpy()
    assert union.sum() == 9 < RULES.min_cell
    assert _held(data, table, union)
    for pair in (["NS", "NB"], ["NS", "YT"], ["NB", "YT"], ["NS", "NB", "YT"]):
        assert _held(data, table, data["province"].isin(pair).to_numpy()), pair


def test_the_suppression_reasons_say_nothing_of_the_values():
    data = _programs()
    table = estimate_indicators({("org", "2024"): SurveyDesign(data, weights="w")}, _model(), RULES)
    assert set(table["reason"]) <= {"", "n < 10", "complementary suppression"}
    hidden = table[table["suppressed"]]
    assert hidden[["estimate", "se", "ci_low", "ci_high", "cv"]].isna().all().all()
