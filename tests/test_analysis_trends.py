"""Change since the baseline, the BH correction, the scorecard and progress to targets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ci_eval.analysis.targets import progress_to_targets
from ci_eval.analysis.trends import COLUMNS, change_since_baseline, scorecard
from ci_eval.errors import AnalysisError
from ci_eval.toc.schema import ToCModel


def _model() -> ToCModel:
    def ind(i: str, direction: str = "higher_is_better", **extra) -> dict:
        return {
            "id": i,
            "label": {"en": i},
            "survey": "s",
            "items": ["q"],
            "scoring": {"method": "value"},
            "direction": direction,
            **extra,
        }

    return ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                ind("up"),
                ind("down", "lower_is_better"),
                ind("flat"),
                ind("neutral", "neutral"),
                ind("hidden"),
            ],
        }
    )


def _indicators() -> pd.DataFrame:
    rows = []
    values = {  # indicator: (baseline, se, later, se)
        "up": (0.50, 0.01, 0.56, 0.01),
        "down": (0.40, 0.01, 0.46, 0.01),
        "flat": (0.30, 0.02, 0.31, 0.02),
        "neutral": (0.20, 0.01, 0.30, 0.01),
        "hidden": (0.20, 0.01, 0.30, 0.01),
    }
    for name, (b, sb, e, se) in values.items():
        rows.append(
            {
                "indicator": name,
                "survey": "s",
                "wave": "2021",
                "domain": "overall",
                "domain_value": "",
                "estimate": b,
                "se": sb,
                "suppressed": False,
            }
        )
        rows.append(
            {
                "indicator": name,
                "survey": "s",
                "wave": "2024",
                "domain": "overall",
                "domain_value": "",
                "estimate": e,
                "se": se,
                "suppressed": name == "hidden",
            }
        )
    return pd.DataFrame(rows)


def test_change_se_and_tests_by_hand():
    table = change_since_baseline(_indicators(), _model(), "2021")
    assert list(table.columns) == COLUMNS
    t = table.set_index("indicator")
    up = t.loc["up"]
    assert up["change"] == pytest.approx(0.06)
    assert up["se"] == pytest.approx(np.sqrt(0.01**2 + 0.01**2))
    assert up["p_value"] == pytest.approx(2 * stats.norm.sf(0.06 / np.sqrt(2e-4)))
    assert up["ci_low"] == pytest.approx(0.06 - 1.959963984540054 * np.sqrt(2e-4))


def test_benjamini_hochberg_over_the_whole_set():
    t = change_since_baseline(_indicators(), _model(), "2021").set_index("indicator")
    tested = t[~t["suppressed"]]
    p = tested["p_value"].to_numpy()
    m = len(p)
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1)
    assert tested["q_value"].to_numpy() == pytest.approx(q)


def test_direction_aware_trends_and_suppressed_changes():
    t = change_since_baseline(_indicators(), _model(), "2021").set_index("indicator")
    assert t.loc["up", "trend"] == "improved"
    assert t.loc["down", "trend"] == "worsened"  # lower is better and it rose
    assert t.loc["flat", "trend"] == "steady"
    assert t.loc["neutral", "trend"] == "increased"  # no direction: a significant rise
    hidden = t.loc["hidden"]
    assert hidden["trend"] == "not_assessed" and hidden["suppressed"]
    assert hidden["reason"] == "suppressed in 2024"
    assert np.isnan([hidden["change"], hidden["estimate"], hidden["q_value"]]).all()


def test_scorecard_counts_overall_rows_in_every_category():
    card = scorecard(change_since_baseline(_indicators(), _model(), "2021"))
    # improved, steady, worsened, increased (the neutral one), decreased, not_assessed
    assert card.loc[card["survey"] == "all", "count"].tolist() == [1, 1, 1, 1, 0, 1]
    card = card[card["survey"] == "s"]
    counts = dict(zip(card["trend"], card["count"], strict=True))
    assert counts == {"improved": 1, "steady": 1, "worsened": 1, "increased": 1,
                      "decreased": 0, "not_assessed": 1}  # fmt: skip
    assert (card["total"] == 5).all()


def test_panel_waves_are_refused_with_the_setting_named():
    with pytest.raises(AnalysisError, match="independent_waves"):
        change_since_baseline(_indicators(), _model(), "2021", independent=False)


def test_progress_to_targets():
    model = ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                {
                    "id": "gap",
                    "label": {"en": "g"},
                    "survey": "s",
                    "items": ["q"],
                    "scoring": {"method": "value"},
                    "direction": "lower_is_better",
                    "target": {"value": 0.40, "wave": "2027"},
                },
            ],
        }
    )
    ind = pd.DataFrame(
        {
            "indicator": "gap",
            "wave": ["2021", "2024", "2027"],
            "domain": "overall",
            "estimate": [0.50, 0.44, 0.41],
            "suppressed": False,
        }
    )
    t = progress_to_targets(ind, model, "2021").set_index("wave")
    # baseline from the baseline wave's estimate; half the time gone in 2024
    assert t.loc["2024", "progress"] == pytest.approx(0.6)
    assert bool(t.loc["2024", "on_track"])
    assert t.loc["2027", "progress"] == pytest.approx(0.9)
    assert not bool(t.loc["2027", "on_track"])  # the target itself was not reached


@pytest.mark.slow
def test_demo_trends_and_scorecard():
    from analysis_fixtures import demo_tables

    tables = demo_tables()
    trends, card = tables["trends"], tables["scorecard"]
    assert list(trends.columns) == COLUMNS
    assert trends["q_value"].dropna().between(0, 1).all()
    assert (trends["q_value"].dropna() >= trends.loc[trends["q_value"].notna(), "p_value"]).all()
    youth = card[card["survey"] == "youth"]
    assert youth["count"].sum() == youth["total"].iloc[0] == 21
    everything = card[card["survey"] == "all"]
    assert everything["total"].iloc[0] == 44 == everything["count"].sum()  # with 6 of partners
