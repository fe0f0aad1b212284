"""The weighting stage: raking to crossed margins per wave, trimming, diagnostics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ci_eval.analysis.weighting_stage import (
    margin_totals,
    read_targets,
    weight_wave,
    weighting_tables,
)
from ci_eval.errors import AnalysisError
from ci_eval.results.contract import columns


def _sample(seed: int = 1, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.choice([1.0, 2.0], n, p=[0.6, 0.4]),
            "sex": rng.choice([1.0, 2.0], n),
            "prov": rng.choice([10.0, 24.0, 35.0], n, p=[0.2, 0.3, 0.5]),
            "dw": rng.uniform(5, 17, n),
        }
    )


def _targets() -> pd.DataFrame:
    rows = []
    for wave, scale in (("2021", 1.0), ("2024", 1.1)):
        for age in (1, 2):
            for sex in (1, 2):
                for prov, share in ((10, 0.1), (24, 0.3), (35, 0.6)):
                    rows.append(
                        {
                            "wave": wave,
                            "age": str(age),
                            "sex": str(sex),
                            "prov": str(prov),
                            "population": 1000 * scale * share,
                        }
                    )
    return pd.DataFrame(rows)


SETTINGS = {
    "design_weight": "dw",
    "strata": "prov",
    "margins": [["age", "sex"], ["prov"]],
    "max_iter": 100,
    "tolerance": 1e-10,
}


def test_raking_meets_crossed_and_single_margins_of_the_wave():
    ww = weight_wave(_sample(), "youth", "2024", SETTINGS, _targets())
    data, w = ww.design.data, ww.design.weights.to_numpy()
    for (age, sex), total in ((("1", "1"), 1100.0), (("2", "2"), 1100.0)):
        hit = (data["age"] == float(age)) & (data["sex"] == float(sex))
        assert w[hit.to_numpy()].sum() == pytest.approx(total, rel=1e-8)
    assert w[(data["prov"] == 35.0).to_numpy()].sum() == pytest.approx(4 * 1100 * 0.6, rel=1e-8)
    m = ww.margins
    assert set(m["margin"]) == {"age x sex", "prov"}
    assert m["after"].to_numpy() == pytest.approx(m["target"].to_numpy(), rel=1e-8)
    assert not np.allclose(m["before"], m["target"])
    d = ww.diagnostics
    assert d["sum_weights"] == pytest.approx(4400.0)
    assert d["kish_deff"] == pytest.approx(len(w) * (w @ w) / w.sum() ** 2)
    assert d["effective_n"] == pytest.approx(len(w) / d["kish_deff"])
    assert d["ratio"] == pytest.approx(w.max() / w.min())
    assert d["converged"] and d["iterations"] >= 1 and not d["trimmed"]


def test_margin_totals_sum_other_columns_of_the_wave():
    totals = margin_totals(_targets(), ["prov"], "2021")
    assert totals.to_dict() == pytest.approx({"10": 400.0, "24": 1200.0, "35": 2400.0})


def test_trimming_bounds_relative_to_the_mean_weight():
    settings = dict(SETTINGS, trim={"lower": 0.8, "upper": 1.2, "rerake": False})
    ww = weight_wave(_sample(), "youth", "2024", settings, _targets())
    w = ww.design.weights.to_numpy()
    assert ww.diagnostics["trimmed"]
    assert w.max() <= 1.2 * w.mean() * (1 + 1e-6)
    assert w.min() >= 0.8 * w.mean() * (1 - 1e-6)


def test_trimming_then_raking_again_keeps_the_margins():
    settings = dict(SETTINGS, trim={"lower": 0.8, "upper": 1.2})
    trimmed = weight_wave(_sample(), "youth", "2024", settings, _targets())
    raked = weight_wave(_sample(), "youth", "2024", SETTINGS, _targets())
    m = trimmed.margins
    assert m["after"].to_numpy() == pytest.approx(m["target"].to_numpy(), rel=1e-8)
    assert trimmed.diagnostics["trimmed"]
    assert trimmed.diagnostics["ratio"] < raked.diagnostics["ratio"]


def test_bounds_relative_to_the_design_weight_by_bounded_raking():
    settings = dict(SETTINGS, trim={"lower": 0.5, "upper": 2.0, "relative_to": "design"})
    data = _sample()
    ww = weight_wave(data, "youth", "2024", settings, _targets())
    g = ww.design.weights.to_numpy() / data["dw"].to_numpy()
    assert g.min() >= 0.5 - 1e-8 and g.max() <= 2.0 + 1e-8
    m = ww.margins
    assert m["after"].to_numpy() == pytest.approx(m["target"].to_numpy(), rel=1e-6)
    with pytest.raises(AnalysisError, match="relative_to"):
        weight_wave(data, "youth", "2024", dict(SETTINGS, trim={"relative_to": "x"}), _targets())


def test_a_survey_without_weighting_gets_unit_weights():
    ww = weight_wave(_sample(), "programs", "2024", None)
    assert (ww.design.weights == 1.0).all() and ww.diagnostics["kish_deff"] == 1.0
    summary, margins = weighting_tables([ww])
    assert summary["n"].item() == 400 and margins.empty


def test_errors_name_the_setting_or_the_wave():
    with pytest.raises(AnalysisError, match="design_weight 'nope'"):
        weight_wave(_sample(), "youth", "2024", dict(SETTINGS, design_weight="nope"), _targets())
    with pytest.raises(AnalysisError, match="no rows for wave '2030'"):
        weight_wave(_sample(), "youth", "2030", SETTINGS, _targets())


def test_read_targets_checks_the_population_column(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("wave,prov,population\n2024,10,-5\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match="row 2"):
        read_targets(path)
    with pytest.raises(AnalysisError, match="not found"):
        read_targets(tmp_path / "missing.csv")


@pytest.mark.slow
def test_demo_weighting_tables():
    from analysis_fixtures import demo_tables

    t = demo_tables()
    youth = t["weighting"][t["weighting"]["survey"] == "youth"]
    assert youth["converged"].all() and (youth["kish_deff"] > 1).all()
    margins = t["weighting_margins"]
    assert {tuple(v) for v in margins["variables"]} == {("age_band", "gender_plus"), ("province",)}
    crossed = margins[[len(v) == 2 for v in margins["variables"]]]
    assert all(len(codes) == 2 for codes in crossed["levels"])
    assert list(margins.columns) == columns("weighting_margins")
