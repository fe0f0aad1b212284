"""Equity gaps (ci_eval.analysis.equity): R's svycontrast numbers, disclosure, the demo's truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ci_eval.analysis.equity import COLUMNS, EquityGroup, default_groups, equity_gaps, gap_cells
from ci_eval.analysis.settings import DisclosureRules
from ci_eval.errors import AnalysisError
from ci_eval.survey import SurveyDesign, poststratify, rake

REFERENCE = Path(__file__).parent / "reference"
CASES = json.loads((REFERENCE / "equity/equity_gaps.json").read_text(encoding="utf-8"))["cases"]
TYPES = pd.Series({"E": 4421.0, "H": 755.0, "M": 1018.0})


def _reference_design(case_id: str) -> tuple[SurveyDesign, pd.DataFrame]:
    if case_id.startswith("equity_clus2"):
        df = pd.read_csv(REFERENCE / "data/apiclus2.csv")
        df["high"] = np.where(df["enroll"].isna(), np.nan, (df["api00"] > 700) * 1.0)
        return SurveyDesign(df, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"]), df
    df = pd.read_csv(REFERENCE / "data/apistrat.csv")
    df["high"] = (df["api00"] > 700) * 1.0
    d = SurveyDesign(df, strata="stype", weights="pw", fpc="fpc")
    if case_id.startswith("equity_post"):
        return poststratify(d, "stype", TYPES), df
    wide = pd.Series({"No": 1000.0, "Yes": 5194.0})
    return rake(d, {"stype": TYPES, "sch_wide": wide}, epsilon=1), df


GROUPS = {
    "equity_clus2_high_by_elementary": lambda df: df["stype"] == "E",
    "equity_clus2_api00_by_awards": lambda df: df["awards"] == "Yes",
    "equity_post_high_by_awards": lambda df: df["awards"] == "Yes",
    "equity_raked_high_by_yr_rnd": lambda df: df["yr_rnd"] == "Yes",
}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_gap_difference_and_log_ratio_intervals_match_r_svycontrast(case: dict):
    design, df = _reference_design(case["id"])
    a = GROUPS[case["id"]](df).to_numpy()
    got = gap_cells(design, df[case["indicator"]].to_numpy(dtype=float), a, ~a, 1.959963984540054)
    assert (got["n_group"], got["n_comparison"]) == (case["n_group"], case["n_comparison"])
    rtol = 1e-6 if "raked" in case["id"] else 1e-9  # raking: R stops at epsilon = 1
    for ours, theirs in (
        ("estimate_group", "estimate_group"),
        ("estimate_comparison", "estimate_comparison"),
        ("se_group", "se_group"),
        ("se_comparison", "se_comparison"),
        ("difference", "difference"),
        ("difference_se", "difference_se"),
        ("log_ratio_se", "log_ratio_se"),
    ):
        assert got[ours] == pytest.approx(case[theirs], rel=rtol), ours
    assert np.log(got["ratio"]) == pytest.approx(case["log_ratio"], rel=rtol)
    assert [got["difference_ci_low"], got["difference_ci_high"]] == pytest.approx(
        case["difference_ci"], rel=rtol
    )
    assert [got["ratio_ci_low"], got["ratio_ci_high"]] == pytest.approx(case["ratio_ci"], rel=rtol)


def test_the_covariance_of_the_two_cells_matters_in_a_cluster_design():
    case = CASES[0]
    assert case["covariance"] > 0  # the same districts hold both groups
    independent = np.hypot(case["se_group"], case["se_comparison"])
    assert case["difference_se"] < 0.7 * independent


def _frame(rng: np.random.Generator, n: int = 600) -> pd.DataFrame:
    g = rng.choice([1.0, 2.0, 3.0, 9.0], n, p=[0.3, 0.665, 0.015, 0.02])
    region = rng.choice([1.0, 2.0], n)
    y = (rng.random(n) < np.where(g == 1, 0.6, 0.3)) * 1.0
    y[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({"g": g, "region": region, "y": y, "w": rng.uniform(1, 3, n)})


def test_default_groups_leave_missing_codes_out_of_both_cells():
    from ci_eval.codebook import Codebook

    codebook = Codebook.from_dict({"survey": "s", "variables": [{
        "name": "g", "type": "categorical", "missing_codes": [9],
        "value_labels": {1: "a", 2: "b", 3: "c", 9: "Prefer not to say"}}]})  # fmt: skip
    df = _frame(np.random.default_rng(3))
    groups = default_groups(df, "g", codebook)
    assert [(x.group, x.comparison) for x in groups] == [
        (("1",), ("2", "3")),
        (("2",), ("1", "3")),
        (("3",), ("1", "2")),
    ]
    t = equity_gaps(
        SurveyDesign(df, weights="w"), ["y"], groups[:1], "1", DisclosureRules(), codebook=codebook
    )
    answered = df["y"].notna()
    assert t["n_group"].item() == int(((df["g"] == 1) & answered).sum())
    assert t["n_comparison"].item() == int((df["g"].isin([2, 3]) & answered).sum())


def test_small_cells_are_suppressed_blanked_and_say_why():
    df = _frame(np.random.default_rng(4))
    rules = DisclosureRules(min_cell=10)
    t = equity_gaps(
        SurveyDesign(df, weights="w"),
        ["y"],
        [EquityGroup("g", ("3",), ("1", "2")), EquityGroup("g", ("1",), ("2",))],
        "2024",
        rules,
        within=["region"],
    )
    assert list(t.columns) == COLUMNS
    assert t[["domain", "domain_value"]].values.tolist()[:3] == [
        ["overall", ""],
        ["region", "1"],
        ["region", "2"],
    ]
    small = t[t["n_group"] < 10]
    assert len(small) and small["suppressed"].all()
    assert small["reason"].str.startswith("group: n < 10").all()
    estimated = [c for c in COLUMNS[7:19]]
    assert small[estimated].isna().all().all()
    shown = t[~t["suppressed"]]
    assert len(shown) and shown[estimated].notna().all().all()
    assert (shown["ratio_ci_low"] < shown["ratio"]).all() and (
        shown["ratio"] < shown["ratio_ci_high"]
    ).all()


def test_a_high_cv_cell_is_f_and_suppressed_and_a_moderate_one_is_e():
    rng = np.random.default_rng(5)
    n = 400
    df = pd.DataFrame({"g": rng.choice([1.0, 2.0], n, p=[0.1, 0.9]), "w": 1.0})
    df["y"] = (rng.random(n) < np.where(df["g"] == 1, 0.04, 0.5)) * 1.0
    rules = DisclosureRules(min_cell=5)
    t = equity_gaps(SurveyDesign(df, weights="w"), ["y"], [EquityGroup("g", ("1",), ("2",))],
                    "1", rules)  # fmt: skip
    row = t.iloc[0]
    assert row["flag"] == "F" and row["suppressed"] and row["reason"].startswith("group: CV")
    df["y"] = (rng.random(n) < np.where(df["g"] == 1, 0.3, 0.5)) * 1.0
    row = equity_gaps(SurveyDesign(df, weights="w"), ["y"], [EquityGroup("g", ("1",), ("2",))],
                      "1", rules).iloc[0]  # fmt: skip
    assert row["flag"] == "E" and not row["suppressed"]


def test_an_unknown_column_is_a_clear_error():
    df = _frame(np.random.default_rng(6))
    with pytest.raises(AnalysisError, match="'disability' is not a column"):
        equity_gaps(SurveyDesign(df, weights="w"), ["y"], [EquityGroup("disability", ("1",))],
                    "2024", DisclosureRules())  # fmt: skip
