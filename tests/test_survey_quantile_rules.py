"""R ``survey``'s quantile rules (``svyquantile(qrule =)``), repeated bit for bit.

The estimators' reference cases with every rule and interval type
(tests/reference/expected/quantile_rules.json, made by tests/reference/make_quantile_rules.R) run
in test_survey_reference.py. Here: each rule against R's own function ``survey:::qrule_<name>``
on random values, weights and probabilities (tests/reference/data/qrules.json, made by the same
script), and what ci_eval does where R's rule stops with an error.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ci_eval.errors import DesignError
from ci_eval.survey import SurveyDesign
from ci_eval.survey.quantile import QRULES, weighted_quantile

DRAWS = json.loads(
    (Path(__file__).parent / "reference" / "data" / "qrules.json").read_text(encoding="utf-8")
)["draws"]


def _floats(hexes: list[str]) -> np.ndarray:
    return np.array([float.fromhex(h) if h not in ("NaN", "NA") else math.nan for h in hexes])


def test_the_draws_cover_every_rule_and_the_hard_inputs() -> None:
    assert set(DRAWS[0]["quantile"]) == set(QRULES)
    weights = [_floats(d["w"]) for d in DRAWS]
    assert any((w == 0).any() for w in weights)  # a zero weight
    assert any(np.unique(_floats(d["x"])).size < len(d["x"]) for d in DRAWS)  # ties
    assert any(w.max() > 2 * w.min() > 0 for w in weights)  # unequal weights


@pytest.mark.parametrize("rule", QRULES)
def test_each_rule_repeats_r_bit_for_bit(rule: str) -> None:
    differ = []
    for k, draw in enumerate(DRAWS):
        x, w = _floats(draw["x"]), _floats(draw["w"])
        for p, expected in zip(_floats(draw["p"]), _floats(draw["quantile"][rule]), strict=True):
            got = weighted_quantile(x, w, p, rule)
            if not (got == expected or (math.isnan(got) and math.isnan(expected))):
                differ.append(f"draw {k}, p = {p!r}: ci_eval {got!r}, R {expected!r}")
    assert not differ, "\n".join(differ[:10])


@pytest.mark.parametrize("rule", ["hf5", "hf6", "hf7", "hf8", "hf9"])
def test_an_interpolating_rule_needs_two_rows_where_r_stops(rule: str) -> None:
    one = np.array([5.0, 7.0]), np.array([0.0, 2.0])  # one row with a weight
    assert math.isnan(weighted_quantile(*one, 0.5, rule))
    assert weighted_quantile(*one, 0.5, "shahvaish") == 7.0
    assert weighted_quantile(*one, 0.5, "math") == 7.0


def test_an_unknown_rule_is_refused_before_any_work() -> None:
    d = SurveyDesign(pd.DataFrame({"y": [1.0, 2.0, 3.0]}), weights=[1.0, 1.0, 1.0])
    with pytest.raises(DesignError, match=r"'hf10' is not one of math, school, shahvaish, hf1"):
        d.quantile("y", 0.5, qrule="hf10")
