"""Bad input gets a clear DesignError naming the column and the problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ci_eval.errors import DesignError
from ci_eval.survey import ReplicateDesign, SurveyDesign


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "h": ["a", "a", "b", "b", "c", "c"],
            "psu": [1, 2, 3, 4, 5, 6],
            "w": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "y": [1.0, 2.0, 3.0, np.nan, 5.0, 6.0],
            "when": pd.to_datetime(["2024-01-01"] * 6),
            "g": ["x", "y", "x", "y", "x", "y"],
        }
    )


def test_missing_design_column_is_named(df):
    with pytest.raises(DesignError, match="strata column 'stratum' is not in the data"):
        SurveyDesign(df, strata="stratum", weights="w")
    with pytest.raises(DesignError, match="weights 'wt' is not a column"):
        SurveyDesign(df, weights="wt")


@pytest.mark.parametrize(
    ("value", "message"), [(np.nan, "a missing value"), (np.inf, "an infinite value")]
)
@pytest.mark.parametrize("kind", ["taylor", "replicate"])
def test_bad_weights_are_refused_with_the_row(df, value, message, kind):
    df.loc[2, "w"] = value
    with pytest.raises(DesignError, match=rf"weights column .w. has {message} at row 2"):
        if kind == "taylor":
            SurveyDesign(df, weights="w")
        else:
            ReplicateDesign(df, repweights=np.ones((len(df), 3)), weights="w", scale=1, rscales=1)


def test_negative_weights_are_accepted_by_both_designs_as_r(df):
    # R 4.1.1: svydesign(ids = ~1, weights = ~w, data) and svrepdesign(...) accept w < 0
    df.loc[2, "w"] = -1.0
    taylor = SurveyDesign(df, weights="w")
    rep = ReplicateDesign(df, repweights=np.ones((len(df), 3)), weights="w", scale=1, rscales=1)
    assert taylor.sampling_weights[2] == rep.sampling_weights[2] == -1.0
    assert taylor.with_weights(taylor.sampling_weights).sampling_weights[2] == -1.0


def test_a_lonely_psu_fails_by_default_and_names_the_stratum(df):
    df = df.iloc[:5]
    with pytest.raises(DesignError, match=r"stratum h='c' has only one PSU at stage 1"):
        SurveyDesign(df, ids="psu", strata="h", weights="w")
    d = SurveyDesign(df, ids="psu", strata="h", weights="w", lonely_psu="remove")
    assert np.isfinite(d.mean("w")["se"].iloc[0])


def test_psus_not_nested_in_strata_need_nest(df):
    df = df.assign(psu=[1, 2, 1, 2, 1, 2])
    with pytest.raises(DesignError, match=r"not nested in strata.*nest=True"):
        SurveyDesign(df, ids="psu", strata="h", weights="w")
    d = SurveyDesign(df, ids="psu", strata="h", weights="w", nest=True)
    assert d.structure.stages[0].n_clusters == 6


def test_non_numeric_analysis_variable(df):
    d = SurveyDesign(df, weights="w")
    with pytest.raises(DesignError, match="'when' must be numeric"):
        d.mean("when")
    with pytest.raises(DesignError, match="'g' must be numeric"):
        d.ratio("g", "w")


def test_unknown_variables_and_by(df):
    d = SurveyDesign(df, weights="w")
    with pytest.raises(DesignError, match="by variable 'region' is not a column"):
        d.mean("y", by="region")
    with pytest.raises(DesignError, match="analysis variable 'z' is not a column"):
        d.mean("z")


def test_design_argument_errors(df):
    with pytest.raises(DesignError, match="lonely_psu='ignore' is not one of"):
        SurveyDesign(df, weights="w", lonely_psu="ignore")
    with pytest.raises(DesignError, match="weights= or probs=, not both"):
        SurveyDesign(df, weights="w", probs=0.5)
    with pytest.raises(DesignError, match="mix population sizes"):
        SurveyDesign(df.assign(f=[10, 10, 0.5, 0.5, 10, 10]), weights="w", fpc="f")
    with pytest.raises(DesignError, match="more than 100% sampling"):
        SurveyDesign(df.assign(f=[1.5] * 6), ids="psu", strata="h", weights="w", fpc="f")
    with pytest.raises(DesignError, match="varies within a stratum"):
        SurveyDesign(df.assign(f=[10, 11, 10, 10, 10, 10]), ids="psu", strata="h", fpc="f")
    with pytest.raises(DesignError, match="ids column 'psu' has missing values"):
        SurveyDesign(df.assign(psu=[1, 2, None, 4, 5, 6]), ids="psu", weights="w")
    with pytest.raises(DesignError, match="quantiles must lie in"):
        SurveyDesign(df, weights="w").quantile("w", 1.5)
    with pytest.raises(DesignError, match="category="):
        SurveyDesign(df, weights="w").ciprop("g")


def test_missing_values_follow_r_na_rm(df):
    d = SurveyDesign(df, ids="psu", strata="h", weights="w")
    without = d.mean("y")
    assert np.isnan(without["estimate"].iloc[0]) and np.isnan(without["se"].iloc[0])
    with_rm = d.mean("y", na_rm=True).iloc[0]
    keep = df["y"].notna()
    assert with_rm["estimate"] == pytest.approx(np.average(df["y"][keep], weights=df["w"][keep]))
    assert with_rm["n"] == 5
    # dropping rows changes the estimate, never the design: stratum b keeps its two PSUs
    assert d.degf == 3
