"""R parity in the corners (issue 16), beyond the reference cases of tests/reference/parity_*.json.

Those cases (made by tests/reference/make_parity.R) run in test_survey_reference.py; the tests
here pin the options that keep ci_eval's earlier behaviour and the properties R's numbers rest on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ci_eval.errors import DesignError
from ci_eval.survey import SurveyDesign

DATA = Path(__file__).parent / "reference" / "data"


@pytest.fixture(scope="module")
def clus1_na() -> SurveyDesign:
    df = pd.read_csv(DATA / "apiclus1_na.csv")
    return SurveyDesign(df, ids="dnum", weights="pw", fpc="fpc")


# --- 1. degrees of freedom ------------------------------------------------------------------


def test_subset_degf_counts_the_psus_left(clus1_na: SurveyDesign) -> None:
    e = clus1_na.subset("stype == 'H'")
    psus = clus1_na.data.loc[clus1_na.data["stype"] == "H", "dnum"].nunique()
    assert e.degf == psus - 1 < clus1_na.degf


def test_df_estimate_counts_the_psus_with_values(clus1_na: SurveyDesign) -> None:
    """df='estimate' (ci_eval's earlier 'design'): the PSUs that keep a value, here fewer."""
    data = clus1_na.data
    with_values = data.loc[data["api00_na"].notna(), "dnum"].nunique()
    assert with_values < data["dnum"].nunique()  # the data file has PSUs with no value
    row = clus1_na.mean("api00_na", na_rm=True, df="estimate").iloc[0]
    crit = stats.t.ppf(0.975, with_values - 1)
    assert row["ci_high"] == pytest.approx(row["estimate"] + crit * row["se"], rel=1e-12)
    design_row = clus1_na.mean("api00_na", na_rm=True, df="design").iloc[0]
    crit = stats.t.ppf(0.975, clus1_na.degf)
    assert design_row["ci_high"] == pytest.approx(
        design_row["estimate"] + crit * design_row["se"], rel=1e-12
    )


def test_df_estimate_is_per_domain(clus1_na: SurveyDesign) -> None:
    frame = clus1_na.mean("api00", by="stype", df="estimate")
    for _, row in frame.iterrows():
        psus = clus1_na.data.loc[clus1_na.data["stype"] == row["stype"], "dnum"].nunique()
        crit = stats.t.ppf(0.975, psus - 1)
        assert row["ci_low"] == pytest.approx(row["estimate"] - crit * row["se"], rel=1e-12)


def test_df_rule_must_be_known(clus1_na: SurveyDesign) -> None:
    with pytest.raises(DesignError, match="'design' or 'estimate'"):
        clus1_na.mean("api00", df="rows")


def test_subset_without_rows_of_positive_weight_has_no_psu() -> None:
    df = pd.DataFrame({"psu": [1, 2, 3], "g": ["a", "b", "b"]})
    d = SurveyDesign(df, ids="psu", weights=np.array([0.0, 1.0, 1.0]))
    assert d.subset("g == 'b'").degf == 1.0
    assert d.degf == 1.0  # R: degf counts only rows of positive weight


# --- 3. svyciprop(method="beta") ignores df ------------------------------------------------------


def test_beta_interval_ignores_df(clus1_na: SurveyDesign) -> None:
    base = clus1_na.ciprop("sch_wide", category="Yes", method="beta")
    for df in (3, 30.5, np.inf):
        other = clus1_na.ciprop("sch_wide", category="Yes", method="beta", df=df)
        pd.testing.assert_frame_equal(base, other)
    logit = clus1_na.ciprop("sch_wide", category="Yes", method="logit", df=3)
    assert logit["ci_low"].iloc[0] != clus1_na.ciprop("sch_wide", category="Yes")["ci_low"].iloc[0]
