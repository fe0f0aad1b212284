"""Trend families (ci_eval.analysis.trend_families): BH within families, reasons, N of M."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from statsmodels.stats.multitest import multipletests

from ci_eval.analysis.trend_families import (
    SCORECARD_COLUMNS,
    TrendFamilySettings,
    family_of,
    family_scorecard,
    within_families,
)


def trends(rows: list[tuple]) -> pd.DataFrame:
    """A small ``trends`` table: (survey, indicator, domain, value, change, p, direction)."""
    frame = pd.DataFrame(
        rows,
        columns=["survey", "indicator", "domain", "domain_value", "change", "p_value", "direction"],
    )
    frame["baseline_wave"], frame["wave"] = "2021", "2024"
    frame["estimate"] = 0.5
    frame["suppressed"] = False
    frame["reason"] = ""
    return frame


def headline_and_subgroups(rng: np.random.Generator) -> pd.DataFrame:
    rows = [("youth", "had_mentor", "overall", "", 0.031, 0.004, "higher_is_better")]
    rows += [
        ("youth", f"h{i}", "overall", "", 0.01, p, "higher_is_better")
        for i, p in enumerate([0.01, 0.02, 0.3, 0.5])
    ]
    rows += [
        ("youth", f"h{i % 4}", "region", str(i), 0.0, p, "higher_is_better")
        for i, p in enumerate(rng.uniform(0, 1, 276))
    ]
    return trends(rows)


def test_headlines_are_corrected_among_themselves_not_with_every_subgroup():
    t = headline_and_subgroups(np.random.default_rng(1))
    out = within_families(t)
    headline = out[out["family"] == "headline:youth"]
    assert len(headline) == 5
    expected = multipletests(headline["p_value"].to_numpy(), method="fdr_bh")[1]
    np.testing.assert_allclose(headline["q_value"], expected)
    assert headline["trend"].iloc[0] == "improved"
    # the same change corrected with all 281 tests at once would not be significant
    everything = multipletests(t["p_value"].to_numpy(), method="fdr_bh")[1]
    assert everything[0] > 0.05 > headline["q_value"].iloc[0]
    for indicator in ("h0", "h1", "h2", "h3"):
        family = out[out["family"] == f"subgroups:{indicator}"]
        assert len(family) == 69
        expected = multipletests(family["p_value"].to_numpy(), method="fdr_bh")[1]
        np.testing.assert_allclose(family["q_value"], expected)


def test_families_are_configurable():
    t = headline_and_subgroups(np.random.default_rng(2))
    settings = TrendFamilySettings(headline={"youth": ["had_mentor", "h0"]}, subgroups="survey")
    families = family_of(t, settings)
    assert families.iloc[:5].tolist() == ["headline:youth"] * 2 + ["overall:youth"] * 3
    assert set(families.iloc[5:]) == {"subgroups:youth"}
    with pytest.raises(ValidationError):
        TrendFamilySettings.model_validate({"subgroup": "indicator"})  # a typo is an error


def test_each_wave_is_its_own_correction():
    t = trends([("s", "a", "overall", "", 0.1, 0.01, "higher_is_better")] * 2)
    t.loc[1, "wave"] = "2027"
    out = within_families(t)
    assert out["q_value"].tolist() == [0.01, 0.01]


def test_every_change_not_assessed_says_why_and_neutral_changes_are_seen():
    t = trends(
        [
            ("o", "ementoring", "overall", "", 0.102, 1e-5, "neutral"),
            ("o", "one_to_one", "overall", "", -0.01, 0.7, "neutral"),
            ("o", "waitlist", "overall", "", 0.07, 0.001, "lower_is_better"),
            ("o", "practices", "overall", "", np.nan, np.nan, "higher_is_better"),
            ("o", "served", "overall", "", 5.0, np.nan, "higher_is_better"),
            ("o", "waitlist", "region", "6", np.nan, np.nan, "lower_is_better"),
        ]
    )
    t.loc[5, ["suppressed", "reason"]] = [True, "suppressed in 2021"]
    out = within_families(t).set_index(["indicator", "domain"])
    assert out.loc[("ementoring", "overall"), "trend"] == "increased"
    assert out.loc[("one_to_one", "overall"), "trend"] == "steady"
    assert out.loc[("waitlist", "overall"), "trend"] == "worsened"
    assert out.loc[("practices", "overall"), "reason"] == "no value in one of the waves"
    assert out.loc[("served", "overall"), "reason"] == "no standard error for the change"
    assert out.loc[("waitlist", "region"), "reason"] == "suppressed in 2021"
    not_assessed = out[out["trend"] == "not_assessed"]
    assert len(not_assessed) == 3 and (not_assessed["reason"] != "").all()
    assert (out.loc[out["trend"] != "not_assessed", "reason"] == "").all()


def test_the_scorecard_says_n_of_m_improved_per_family():
    t = trends(
        [
            ("y", "a", "overall", "", 0.05, 0.001, "higher_is_better"),
            ("y", "b", "overall", "", -0.05, 0.001, "lower_is_better"),
            ("y", "c", "overall", "", 0.05, 0.001, "lower_is_better"),
            ("y", "d", "overall", "", 0.00, 0.9, "higher_is_better"),
            ("y", "e", "overall", "", 0.10, 0.001, "neutral"),
            ("y", "a", "gender", "1", 0.05, 0.001, "higher_is_better"),
        ]
    )
    card = family_scorecard(within_families(t))
    assert list(card.columns) == SCORECARD_COLUMNS
    head = card[card["family"] == "headline:y"].iloc[0]
    assert (head["improved"], head["worsened"], head["steady"], head["increased"]) == (2, 1, 1, 1)
    assert (head["total"], head["with_direction"]) == (5, 4)
    assert head["summary"] == "2 of 4 improved"
    assert card[card["family"] == "subgroups:a"]["summary"].item() == "1 of 1 improved"
