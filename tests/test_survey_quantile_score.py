"""Fuller's score interval for quantiles and the root finder it rests on (R's ``uniroot``).

The interval's reference cases (tests/reference/expected/quantile_intervals.json, made by
tests/reference/make_quantile_intervals.R) run in test_survey_reference.py. Here: R's ``uniroot``
repeated bit for bit on closed-form functions (tests/reference/data/uniroot.json, made by the same
script), and what ci_eval does where R stops with an error.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ci_eval.survey.quantile as quantile_module
import ci_eval.survey.uniroot as uniroot_module
from ci_eval.errors import DesignError
from ci_eval.survey import SurveyDesign
from ci_eval.survey.uniroot import uniroot

DATA = Path(__file__).parent / "reference" / "data"
ROOTS = json.loads((DATA / "uniroot.json").read_text(encoding="utf-8"))["roots"]
STEPS = [k / 7 for k in range(1, 51)]
#: the functions of make_quantile_intervals.R, with the same double operations (C library math)
FUNCTIONS = {
    "cos_minus_x": lambda x: math.cos(x) - x,
    "cubic": lambda x: x * x * x - 2 * x - 5,
    "step": lambda x: sum(v > x for v in STEPS) / 50 - 0.37,
    "log_minus_half": lambda x: (-math.inf if x == 0 else math.log(x)) - 0.5,
    "exp_minus_ten": lambda x: math.exp(x) - 10,
}


@pytest.mark.parametrize(
    "case", ROOTS, ids=lambda c: f"{c['f']}[{c['lower']},{c['upper']}]tol={c['tol']}"
)
def test_uniroot_repeats_r_bit_for_bit(case: dict) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        root = uniroot(
            FUNCTIONS[case["f"]],
            case["lower"],
            case["upper"],
            tol=float.fromhex(case["tol"]),
            maxiter=case["maxiter"],
        )
    assert root.hex() == float.fromhex(case["root"]).hex()
    not_converged = [w for w in caught if "_NOT_ converged" in str(w.message)]
    assert len(not_converged) == (0 if case["converged"] else 1)


def test_the_roots_include_one_that_stops_short() -> None:
    assert not all(case["converged"] for case in ROOTS)


def test_uniroot_stops_where_r_stops() -> None:
    with pytest.raises(DesignError, match="lower < upper"):
        uniroot(math.cos, 1.0, 1.0)
    with pytest.raises(DesignError, match="not of opposite sign"):
        uniroot(lambda x: x * x + 1, -1.0, 1.0)
    with pytest.raises(DesignError, match="NaN"):
        uniroot(lambda x: math.nan if x > 0 else -1.0, -1.0, 1.0)


def test_uniroot_takes_infinite_values_as_the_largest_double() -> None:
    # inside the bracket an infinite value is DBL_MAX with its sign, so the search goes on
    root = uniroot(lambda x: math.inf if x > 0.5 else x - 0.25, 0.0, 1.0, tol=1e-12)
    assert root == pytest.approx(0.25, abs=1e-12)


@pytest.fixture(scope="module")
def strat2() -> SurveyDesign:
    df = pd.read_csv(DATA / "apipop_strat2.csv")
    return SurveyDesign(df, ids=["dnum", "snum"], strata="stype", fpc=["fpc1", "fpc2"], nest=True)


def test_score_ends_are_missing_where_r_stops(strat2: SurveyDesign) -> None:
    """R: svyquantile(~api00, dstrat2, 0.9, interval.type = "score") stops (uniroot: the ends
    are not of opposite sign; checked in make_quantile_intervals.R)."""
    with pytest.warns(UserWarning, match="p = 0.9: uniroot: .* not of opposite sign"):
        got = strat2.quantile("api00", [0.5, 0.9], interval_type="score")
    mean = strat2.quantile("api00", [0.5, 0.9])
    np.testing.assert_array_equal(got["estimate"], mean["estimate"])
    assert got[["ci_low", "ci_high", "se"]].iloc[1].isna().all()
    assert got[["ci_low", "ci_high", "se"]].iloc[0].notna().all()


def test_score_skips_domains_with_missing_values() -> None:
    y = np.arange(60.0)
    y[3] = np.nan
    df = pd.DataFrame({"y": y, "g": ["a"] * 30 + ["b"] * 30})
    d = SurveyDesign(df, weights=[1.0] * 60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = d.quantile("y", 0.5, by="g", interval_type="score")
    assert got.set_index("g").loc["a", ["estimate", "ci_low", "ci_high"]].isna().all()
    assert got.set_index("g").loc["b", ["estimate", "ci_low", "ci_high"]].notna().all()


def test_the_fine_case_needs_r_s_tolerance(monkeypatch: pytest.MonkeyPatch) -> None:
    """qi_dclus1_score_fine tests the repetition of uniroot's steps: solved more tightly, an
    end moves off R's (api_fine's values lie closer together than uniroot's tolerance)."""
    cases = json.loads(
        (DATA.parent / "expected" / "quantile_intervals.json").read_text(encoding="utf-8")
    )["cases"]
    case = next(c for c in cases if c["id"] == "qi_dclus1_score_fine")
    r_ends = np.array([[row["ci_low"], row["ci_high"]] for row in case["expected"]])
    df = pd.read_csv(DATA / "apiclus1_na.csv")
    df["api_fine"] = df["api00"] / 5000
    d = SurveyDesign(df, ids="dnum", weights="pw", fpc="fpc")
    probs = case["call"]["args"]["q"]

    def ends() -> np.ndarray:
        return d.quantile("api_fine", probs, interval_type="score")[["ci_low", "ci_high"]].values

    np.testing.assert_allclose(ends(), r_ends, rtol=1e-8)
    tight = uniroot_module.uniroot
    monkeypatch.setattr(quantile_module, "uniroot", lambda f, lo, hi, tol: tight(f, lo, hi, 1e-12))
    assert not np.allclose(ends(), r_ends, rtol=1e-8)
