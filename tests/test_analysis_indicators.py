"""Indicator estimates, CVs, quality flags and suppression (hand-computed values)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci_eval.analysis.disclosure_rules import coefficient_of_variation, quality_flag
from ci_eval.analysis.indicators import COLUMNS, estimate_indicator, estimate_indicators
from ci_eval.analysis.settings import AnalysisSettings, DisclosureRules
from ci_eval.codebook import Codebook
from ci_eval.errors import AnalysisError
from ci_eval.survey import SurveyDesign
from ci_eval.toc.schema import Indicator, ToCModel


def _indicator(**extra) -> Indicator:
    spec = {
        "id": "x",
        "label": {"en": "X"},
        "survey": "s",
        "items": ["q"],
        "scoring": {"method": "threshold", "values": [1]},
        "disaggregate_by": ["g"],
    }
    spec.update(extra)
    return Indicator.model_validate(spec)


def _frame() -> pd.DataFrame:
    # group 1: 120 rows, weights 1 and 3 alternating; group 2: 4 rows (one missing)
    x = [1.0, 0.0] * 60 + [1.0, 1.0, 0.0, np.nan]
    g = [1.0] * 120 + [2.0] * 4
    w = [1.0, 3.0] * 60 + [2.0] * 4
    return pd.DataFrame({"x": x, "g": g, "w": w})


def test_overall_estimate_is_the_weighted_mean_with_srs_with_replacement_se():
    df = _frame()
    t = estimate_indicator(SurveyDesign(df, weights="w"), _indicator(), "2024", DisclosureRules())
    ok = df.dropna()
    p = np.average(ok["x"], weights=ok["w"])
    # linearised SE of a ratio mean, with replacement, n/(n-1) factor (Lumley 2010, §2.2); the
    # row with a missing value stays in the design with zero influence (domain estimation)
    n = len(df)
    z = (df["w"] * (df["x"] - p) / ok["w"].sum()).fillna(0.0)
    se = np.sqrt(n / (n - 1) * ((z - z.mean()) ** 2).sum())
    row = t.iloc[0]
    assert row["domain"] == "overall" and row["domain_value"] == ""
    assert row["estimate"] == pytest.approx(p, rel=1e-12)
    assert row["se"] == pytest.approx(se, rel=1e-10)
    assert row["n"] == 123
    assert row["cv"] == pytest.approx(100 * se / p)
    assert row["statistic"] == "proportion"
    assert list(t.columns) == COLUMNS


def test_small_domain_is_suppressed_and_blanked_but_kept():
    t = estimate_indicator(
        SurveyDesign(_frame(), weights="w"), _indicator(), "2024", DisclosureRules()
    )
    g2 = t[(t["domain"] == "g") & (t["domain_value"] == "2")].iloc[0]
    assert g2["suppressed"] and g2["reason"] == "n < 10" and g2["n"] == 3
    assert np.isnan([g2["estimate"], g2["se"], g2["ci_low"], g2["ci_high"], g2["cv"]]).all()
    g1 = t[(t["domain"] == "g") & (t["domain_value"] == "1")].iloc[0]
    assert not g1["suppressed"] and g1["estimate"] == pytest.approx(60 / 240)


def test_codebook_levels_without_respondents_appear_as_suppressed_rows():
    cb = Codebook.from_dict(
        {
            "survey": "s",
            "variables": [
                {
                    "name": "g",
                    "type": "categorical",
                    "missing_codes": [9],
                    "value_labels": {
                        1: {"en": "a"},
                        2: {"en": "b"},
                        3: {"en": "c"},
                        9: {"en": "?"},
                    },
                }
            ],
        }
    )
    t = estimate_indicator(
        SurveyDesign(_frame(), weights="w"), _indicator(), "1", DisclosureRules(), codebook=cb
    )
    levels = t.loc[t["domain"] == "g", "domain_value"].tolist()
    assert levels == ["1", "2", "3"]  # the missing code 9 is not a domain
    g3 = t[t["domain_value"] == "3"].iloc[0]
    assert g3["n"] == 0 and g3["suppressed"] and g3["reason"] == "n < 10"


@pytest.mark.parametrize(
    ("estimate", "se", "n", "expected"),
    [
        (0.5, 0.08, 50, ("", False, "")),  # CV 16%
        (0.5, 0.0825, 50, ("E", False, "")),  # CV 16.5% exactly: E
        (0.5, 0.1665, 50, ("E", False, "")),  # CV 33.3%: still E
        (0.5, 0.17, 50, ("F", True, "CV > 33.3%")),
        (0.5, 0.01, 9, ("", True, "n < 10")),
        (0.0, 0.0, 50, ("", False, "")),  # CV undefined for a zero estimate
    ],
)
def test_statcan_flags(estimate, se, n, expected):
    assert quality_flag(estimate, se, n, DisclosureRules()) == expected


def test_flags_follow_the_study_rules():
    rules = AnalysisSettings.from_mapping({}, {"min_cell": 30, "cv_caution": 5, "cv_suppress": 10})
    r = rules.disclosure
    assert quality_flag(1.0, 0.06, 40, r) == ("E", False, "")
    assert quality_flag(1.0, 0.11, 40, r) == ("F", True, "CV > 10%")
    assert quality_flag(1.0, 0.01, 29, r)[1:] == (True, "n < 30")
    assert np.isnan(coefficient_of_variation(0.0, 0.1))


def test_totals_and_derived_proportions():
    df = pd.DataFrame({"y": [2.0, 4.0, 6.0] * 4, "b": [0.0, 1.0, 1.0] * 4, "w": [1.0] * 12})
    model = ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                {
                    "id": "y",
                    "label": {"en": "Y"},
                    "survey": "s",
                    "items": ["q"],
                    "scoring": {"method": "value"},
                    "statistic": "total",
                },
                {
                    "id": "b",
                    "label": {"en": "B"},
                    "survey": "s",
                    "scoring": {"method": "derived", "expression": "y >= 4"},
                },
            ],
        }
    )
    t = estimate_indicators({("s", "1"): SurveyDesign(df, weights="w")}, model, DisclosureRules())
    assert t.loc[t["indicator"] == "y", "estimate"].item() == pytest.approx(48.0)
    assert t.loc[t["indicator"] == "y", "statistic"].item() == "total"
    b = t[t["indicator"] == "b"].iloc[0]
    assert b["statistic"] == "proportion" and b["estimate"] == pytest.approx(2 / 3)


def test_missing_disaggregation_column_names_the_fix():
    df = _frame().drop(columns="g")
    with pytest.raises(AnalysisError, match="disaggregation variable 'g'"):
        estimate_indicator(SurveyDesign(df, weights="w"), _indicator(), "1", DisclosureRules())


@pytest.mark.slow
def test_demo_indicators_table_contract():
    from analysis_fixtures import demo_inputs, demo_tables

    t = demo_tables()["indicators"]
    model = demo_inputs()[1]
    assert list(t.columns) == COLUMNS
    suppressed = t[t["suppressed"]]
    assert len(suppressed) > 0  # the territories' programs, at least
    assert suppressed[["estimate", "se", "ci_low", "ci_high", "cv"]].isna().all().all()
    assert (suppressed["reason"] != "").all()
    shown = t[~t["suppressed"]]
    assert (shown["n"] >= 10).all() and (shown["cv"].fillna(0) <= 33.3).all()
    assert set(t["flag"]) <= {"", "E", "F"}
    assert set(t.loc[t["suppressed"], "symbol"]) <= {"F", "x"}
    assert (t.loc[~t["suppressed"], "symbol"] == t.loc[~t["suppressed"], "flag"]).all()
    # every model indicator, every wave of its survey, an overall row
    overall = t[t["domain"] == "overall"]
    assert len(overall) == 2 * len(model.indicators) == 2 * 44  # partners: 6 indicators


@settings(max_examples=30, deadline=None)
@given(
    values=st.lists(st.sampled_from([0.0, 1.0, np.nan]), min_size=12, max_size=40),
    scale=st.floats(0.01, 1000),
    seed=st.integers(0, 10_000),
)
def test_estimates_and_flags_do_not_depend_on_the_scale_of_the_weights(values, scale, seed):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x": values,
            "g": rng.choice([1.0, 2.0], len(values)),
            "w": rng.uniform(0.5, 3.0, len(values)),
        }
    )
    if df["x"].notna().sum() == 0:
        return
    rules = DisclosureRules(min_cell=3)
    a = estimate_indicator(SurveyDesign(df, weights="w"), _indicator(), "1", rules)
    b = estimate_indicator(
        SurveyDesign(df.assign(w=df["w"] * scale), weights="w"), _indicator(), "1", rules
    )
    pd.testing.assert_frame_equal(a, b, rtol=1e-9)
    ok = df.dropna()
    if not a["suppressed"].iloc[0]:
        assert a["estimate"].iloc[0] == pytest.approx(np.average(ok["x"], weights=ok["w"]))


def test_a_lone_small_cell_gets_a_complementary_suppression():
    """With the overall total and all but one region published, the small region's total would
    follow by subtraction; the smallest other region is suppressed with it."""
    rng = np.random.default_rng(4)
    region = np.repeat([1.0, 2.0, 3.0], [4, 30, 60])
    df = pd.DataFrame(
        {"y": rng.integers(10, 100, region.size).astype(float), "region": region, "w": 1.0}
    )
    model = ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                {
                    "id": "y",
                    "label": {"en": "Y"},
                    "survey": "s",
                    "items": ["q"],
                    "scoring": {"method": "value"},
                    "statistic": "total",
                    "disaggregate_by": ["region"],
                }
            ],
        }
    )
    t = estimate_indicators(
        {("s", "1"): SurveyDesign(df, weights="w")}, model, DisclosureRules()
    ).set_index("domain_value")
    assert t.loc["1", "reason"] == "n < 10"
    assert t.loc["2", "suppressed"] and t.loc["2", "reason"] == "complementary suppression"
    assert np.isnan(t.loc["2", "estimate"])
    assert not t.loc["3", "suppressed"] and not t.loc["", "suppressed"]
    # two small cells whose union (4 + 5 = 9 respondents) is still under min_cell do not
    # protect each other: the union would be the total less the rest, so a third is withheld
    df.loc[df.index[4:9], "region"] = 5.0
    t2 = estimate_indicators(
        {("s", "1"): SurveyDesign(df, weights="w")}, model, DisclosureRules()
    ).set_index("domain_value")
    assert t2.loc[["1", "5"], "reason"].tolist() == ["n < 10", "n < 10"]
    assert t2.loc["2", "reason"] == "complementary suppression"
    assert not t2.loc["3", "suppressed"] and not t2.loc["", "suppressed"]


def test_a_cell_one_program_dominates_is_withheld_and_protected_from_its_second_largest():
    """The p% rule: region 2's youth served are 30 programs, one of them with 5,000 youth and
    the rest 10 to 20 each. The second-largest program, subtracting its own answer from the
    published total, would know the largest to within 10%; the cell is withheld (a reason that
    does not say why, and though its CV withholds it too: CV suppressions get no complement),
    gets a complement, and that program (knowing every published total and
    its own answer) cannot place the cell, so the largest, within 10%."""
    from scipy.optimize import linprog

    from ci_eval.analysis.disclosure_rules import DOMINANT

    rng = np.random.default_rng(7)
    region = np.repeat([1.0, 2.0, 3.0], [40, 30, 50])
    y = rng.integers(10, 21, region.size).astype(float)
    y[40] = 5000.0
    df = pd.DataFrame({"y": y, "region": region, "w": 1.0})
    spec = {"id": "y", "label": {"en": "Y"}, "survey": "s", "items": ["q"],
            "scoring": {"method": "value"}, "statistic": "total",
            "disaggregate_by": ["region"]}  # fmt: skip
    model = ToCModel.model_validate({"name": {"en": "M"}, "outcomes": [], "indicators": [spec]})
    t = estimate_indicators({("s", "1"): SurveyDesign(df, weights="w")}, model, DisclosureRules())
    by = t.set_index("domain_value")
    assert by.loc["2", "reason"] == DOMINANT and np.isnan(by.loc["2", "estimate"])
    assert by["suppressed"].sum() >= 2  # and a complement: else total - the rest gives it
    second = int(np.argsort(-y[region == 2.0])[1] + 40)
    a_eq, b_eq = [np.eye(y.size)[second]], [y[second]]
    for _, cell in t[~t["suppressed"]].iterrows():
        inside = np.ones(y.size) if cell["domain"] == "overall" else (
            region == float(cell["domain_value"])).astype(float)  # fmt: skip
        a_eq.append(inside)
        b_eq.append(cell["estimate"])
    target = (region == 2.0).astype(float)
    bounds = [(y.min(), y.max())] * y.size
    low, high = (sign * linprog(sign * target, A_eq=np.array(a_eq), b_eq=b_eq,
                                bounds=bounds).fun for sign in (1.0, -1.0))  # fmt: skip
    assert high - low >= 2 * 0.10 * y[region == 2.0].sum() - 1e-6
    # without the large program nothing is dominated, and nothing is withheld
    df.loc[40, "y"] = 15.0
    plain = estimate_indicators(
        {("s", "1"): SurveyDesign(df, weights="w")}, model, DisclosureRules()
    )
    assert not plain["suppressed"].any()
