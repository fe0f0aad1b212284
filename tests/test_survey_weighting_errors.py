"""Bad margins, bounds and settings for weighting get clear errors that name the problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ci_eval.errors import ConvergenceError, WeightingError
from ci_eval.survey import SurveyDesign, calibrate, poststratify, rake, trim_weights


@pytest.fixture
def design() -> SurveyDesign:
    df = pd.DataFrame(
        {
            "province": ["ON"] * 6 + ["QC"] * 3 + ["BC"] * 3,
            "sex": ["f", "m"] * 6,
            "age": [15.0, 16, 17, 18, 19, 20, 15, 16, 17, 18, 19, 20],
            "w": [10.0, 12, 9, 11, 10, 8, 20, 22, 18, 30, 28, 32],
        }
    )
    return SurveyDesign(df, weights="w")


PROVINCES = pd.Series({"ON": 100.0, "QC": 80.0, "BC": 90.0})
SEXES = pd.Series({"f": 130.0, "m": 140.0})


def test_margin_variable_not_in_data(design) -> None:
    with pytest.raises(WeightingError, match=r"'region' is not a column of the data"):
        poststratify(design, "region", PROVINCES)


def test_category_in_data_without_total_names_it_and_its_rows(design) -> None:
    with pytest.raises(
        WeightingError, match=r"category 'BC' of 'province' has 3 rows but no population total"
    ):
        rake(design, {"province": PROVINCES.drop("BC"), "sex": SEXES})


def test_total_for_a_category_absent_from_data(design) -> None:
    totals = pd.concat([PROVINCES, pd.Series({"NS": 40.0})])
    with pytest.raises(WeightingError, match=r"no rows in the data: NS.*partial=True"):
        poststratify(design, "province", totals)
    d = poststratify(design, "province", totals, partial=True)
    assert d.weights.sum() == pytest.approx(270.0, rel=1e-12)


def test_zero_total_for_absent_category_is_ignored_but_not_for_present(design) -> None:
    totals = pd.concat([PROVINCES, pd.Series({"NS": 0.0})])
    assert poststratify(design, "province", totals).weights.sum() == pytest.approx(270.0)
    with pytest.raises(WeightingError, match=r"'QC' of 'province' has 3 rows but a population"):
        poststratify(design, "province", PROVINCES.replace(80.0, 0.0))


def test_margins_with_different_grand_totals(design) -> None:
    with pytest.raises(WeightingError, match=r"disagree on the population size.*'sex' sums to 271"):
        rake(design, {"province": PROVINCES, "sex": SEXES + 0.5})
    with pytest.raises(WeightingError, match=r"population="):
        calibrate(design, {"province": PROVINCES}, population=300.0)


@pytest.mark.parametrize("bad", [np.nan, -5.0, np.inf])
def test_nan_negative_or_infinite_total(design, bad) -> None:
    totals = PROVINCES.copy()
    totals["QC"] = bad
    with pytest.raises(WeightingError, match=r"category 'QC' of 'province'"):
        poststratify(design, "province", totals)


def test_totals_must_be_a_series_or_dict(design) -> None:
    with pytest.raises(WeightingError, match=r"must be a pandas Series"):
        poststratify(design, "province", [100.0, 80.0, 90.0])
    d = poststratify(design, "province", PROVINCES.to_dict())
    assert d.weights.sum() == pytest.approx(270.0)


def test_missing_value_in_margin_variable(design) -> None:
    df = design.data.copy()
    df.loc[4, "province"] = None
    expected = r"'province' has 1 missing values \(first at row 4\)"
    with pytest.raises(WeightingError, match=expected):
        poststratify(SurveyDesign(df, weights="w"), "province", PROVINCES)
    df = design.data.copy()
    df.loc[2, "age"] = np.nan
    with pytest.raises(WeightingError, match=r"'age' has 1 missing values"):
        calibrate(SurveyDesign(df, weights="w"), {"province": PROVINCES, "age": 4500.0})


def test_numeric_total_for_a_categorical_column(design) -> None:
    with pytest.raises(WeightingError, match=r"'sex' is (object|str).*one number"):
        calibrate(design, {"province": PROVINCES, "sex": 130.0})


def test_rake_that_cannot_converge_names_the_discrepancy() -> None:
    # every "x" row is a "u" row, so a = x and b = u must have the same total: 10 versus 5
    df = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["u", "u", "v", "v"], "w": [1.0] * 4})
    margins = {"a": pd.Series({"x": 10.0, "y": 10.0}), "b": pd.Series({"u": 5.0, "v": 15.0})}
    with pytest.raises(ConvergenceError, match=r"did not converge in 20 sweeps.*category"):
        rake(SurveyDesign(df, weights="w"), margins, max_iter=20)
    # force=True: R's behaviour, a warning and the last sweep's weights, reported as such
    with pytest.warns(UserWarning, match=r"did not converge in 20 sweeps"):
        forced = rake(SurveyDesign(df, weights="w"), margins, max_iter=20, force=True)
    diag = forced.weighting_diagnostics
    assert (diag.converged, diag.iterations) == (False, 20)
    assert not np.allclose(diag.margins["after"], diag.margins["target"])


def test_rake_by_r_rule_that_does_not_settle() -> None:
    df = pd.DataFrame({"a": ["x", "y", "x", "y"], "b": ["u", "u", "v", "v"], "w": [1.0, 2, 3, 4]})
    margins = {"a": pd.Series({"x": 10.0, "y": 10.0}), "b": pd.Series({"u": 10.0, "v": 10.0})}
    with pytest.raises(ConvergenceError, match=r"in 2 sweeps by R's rule"):
        rake(SurveyDesign(df, weights="w"), margins, epsilon=1e-12, max_iter=2)
    with pytest.warns(UserWarning, match=r"in 2 sweeps by R's rule"):
        forced = rake(SurveyDesign(df, weights="w"), margins, epsilon=1e-12, max_iter=2, force=True)
    assert not forced.weighting_diagnostics.converged
    settled = rake(SurveyDesign(df, weights="w"), margins, epsilon=1e-12, max_iter=200)
    assert settled.weighting_diagnostics.converged


def test_bounds_that_cannot_be_met(design) -> None:
    margins = {"province": PROVINCES, "age": 4700.0}
    expected = r"bounds \(0.9, 1.1\) cannot be met.*'\(population\)'"
    with pytest.raises(WeightingError, match=expected):
        calibrate(design, margins, bounds=(0.9, 1.1))


def test_bounds_met_one_by_one_but_not_together() -> None:
    # each total is reachable within the bounds, but b = 1 holds both b rows at g = 0.5, and then
    # x = 3 needs g = 2.5 for the first row
    df = pd.DataFrame({"g": ["a", "a", "b", "b"], "x": [1.0, 0.0, 1.0, 0.0], "w": [1.0] * 4})
    margins = {"g": pd.Series({"a": 3.0, "b": 1.0}), "x": 3.0}
    with pytest.raises(ConvergenceError, match=r"bounds .* too tight"):
        calibrate(SurveyDesign(df, weights="w"), margins, bounds=(0.5, 2.0), calfun="raking")
    # R's calibrate(force = TRUE): a warning, and the diagnostics say it did not converge
    with pytest.warns(UserWarning, match=r"bounds .* too tight"):
        forced = calibrate(
            SurveyDesign(df, weights="w"), margins, bounds=(0.5, 2.0), calfun="raking", force=True
        )
    assert forced.weighting_diagnostics.converged is False
    assert forced.weighting_diagnostics.iterations == 50


def test_bad_bounds_and_calfun(design) -> None:
    margins = {"province": PROVINCES}
    with pytest.raises(WeightingError, match=r"lower <= 1 <= upper"):
        calibrate(design, margins, bounds=(1.2, 2.0))
    with pytest.raises(WeightingError, match=r"logit' needs finite bounds"):
        calibrate(design, margins, calfun="logit")
    with pytest.raises(WeightingError, match=r"calfun='probit' is not supported"):
        calibrate(design, margins, calfun="probit")


def test_linear_calibration_refuses_negative_weights(design) -> None:
    with pytest.raises(WeightingError, match=r"negative weights.*calfun='raking'"):
        calibrate(design, {"province": PROVINCES, "age": 2000.0})


def test_collinear_calibration_variables(design) -> None:
    df = design.data.assign(age2=design.data["age"] * 2)
    margins = {"province": PROVINCES, "age": 4700.0, "age2": 9401.0}
    with pytest.raises(WeightingError, match=r"collinear .* contradict each other"):
        calibrate(SurveyDesign(df, weights="w"), margins)
    # consistent totals of redundant variables: the weights are those without the redundant one
    redundant = calibrate(SurveyDesign(df, weights="w"), {**margins, "age2": 9400.0})
    plain = calibrate(design, {"province": PROVINCES, "age": 4700.0})
    np.testing.assert_allclose(redundant.weights, plain.weights, rtol=1e-9)
    assert redundant.mean("age")["se"].iloc[0] == pytest.approx(plain.mean("age")["se"].iloc[0])


def test_calibration_needs_a_margin_and_no_intercept_without_population(design) -> None:
    with pytest.raises(WeightingError, match=r"at least one margin"):
        calibrate(design, {})
    d = calibrate(design, {"age": 4700.0})
    assert float(d.weights @ design.data["age"]) == pytest.approx(4700.0, rel=1e-10)
    assert d.weights.sum() != pytest.approx(270.0)  # no intercept: the size is free


def test_trim_bounds_that_cannot_be_met(design) -> None:
    with pytest.raises(WeightingError, match=r"lower <= upper"):
        trim_weights(design, lower=20, upper=10)
    with pytest.raises(WeightingError, match=r"mean weight 17.5 must lie within them"):
        trim_weights(design, upper=15, strict=True)
    # one pass is R's trimWeights even then: the weights above 15 are cut to it and the cut
    # amount raises the others, past 15 (the total is kept)
    with pytest.warns(UserWarning, match=r"mean weight 17.5 must lie within them; one pass"):
        once = trim_weights(design, upper=15).weights
    assert once.tolist() == pytest.approx([20.0, 22, 19, 21, 20, 18] + [15.0] * 6, rel=1e-12)
    # six weights raised by 1 each take 3 from each of the two inside: 2 would become -1
    uneven = SurveyDesign(pd.DataFrame({"w": [1.0] * 6 + [2.0, 100.0]}), weights="w")
    with pytest.raises(WeightingError, match=r"some become negative\); use strict=True"):
        trim_weights(uneven, lower=2)
    strict = trim_weights(uneven, lower=2, strict=True).weights
    assert strict.min() >= 2 - 1e-12 and strict.sum() == pytest.approx(108.0, rel=1e-12)


def test_rake_needs_margins_and_positive_tolerances(design) -> None:
    with pytest.raises(WeightingError, match=r"at least one margin"):
        rake(design, {})
    with pytest.raises(WeightingError, match=r"must be positive"):
        rake(design, {"province": PROVINCES}, tol=0)


def test_weighting_a_subpopulation_is_refused(design) -> None:
    with pytest.raises(WeightingError, match=r"weight the full design, then take the subset"):
        rake(design.subset("sex == 'f'"), {"province": PROVINCES})
