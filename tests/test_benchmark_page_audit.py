"""The private pages audited beside the public tables (``ci_eval.analysis.benchmark.page_audit``).

The planted study: three regions of 40, 40 and 8 programs, answers between 0 and 100. The
public table by region suppresses the 8 programs of region 3 (and region 1 beside it); the 8
programs are also one peer group, whose page would give their total back. The attacker here is
written apart from the module (its own linear program over every program's answer).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog

from ci_eval.analysis.benchmark.disclosure import (
    PROTECT,
    quartile_windows,
    round_significant,
    rounding_interval,
)
from ci_eval.analysis.benchmark.page_audit import public_cells
from ci_eval.analysis.benchmark.tables import benchmark_tables
from ci_eval.analysis.indicators import estimate_indicators
from ci_eval.results.disclosure import DisclosureRules
from ci_eval.survey.design import SurveyDesign
from ci_eval.toc.schema import ToCModel

RULES = DisclosureRules()
SMALL = "3"


def _study(yes_no: bool, seed: int = 1) -> tuple[pd.DataFrame, ToCModel]:
    rng = np.random.default_rng(seed)
    rows, k = [], 0
    for region, n in (("1", 40), ("2", 40), (SMALL, 8)):
        for i in range(n):
            x = float(rng.integers(0, 2)) if yes_no else float(rng.integers(0, 101))
            kind = int(i == 0) + 1 if region == SMALL else i % 2 + 1
            rows.append(
                {"program_id": f"P{k:03d}", "region": int(region), "org_type": kind, "x": x}
            )
            k += 1
    frame = pd.DataFrame(rows).assign(w=1.0)
    small = frame["region"] == int(SMALL)  # peer_k programs of it answer yes and no
    frame.loc[small, "x"] = (
        [1.0, 0, 1, 0, 1, 0, 1, 1] if yes_no else [30.0, 10, 80, 50, 20, 70, 40, 60]
    )
    frame.loc[frame["x"].idxmin(), "x"], frame.loc[frame["x"].idxmax(), "x"] = (
        (0.0, 1.0) if yes_no else (0.0, 100.0)  # the range the attacker is told
    )
    indicator = {"id": "x", "label": {"en": "X"}, "survey": "o", "items": ["q"],
                 "scoring": {"method": "value"}, "disaggregate_by": ["region"],
                 "statistic": "proportion" if yes_no else "total"}  # fmt: skip
    model = ToCModel.model_validate(
        {"name": {"en": "M"}, "outcomes": [], "indicators": [indicator]}
    )
    return frame, model


def _release(yes_no: bool, audited: bool):
    frame, model = _study(yes_no)
    designs = {("o", "2024"): SurveyDesign(frame, weights="w")}
    public = estimate_indicators(designs, model, RULES)
    cells = public_cells(designs, model, "o", "program_id", public, RULES) if audited else None
    pages = benchmark_tables({("o", "2024"): frame}, model, "o", "program_id",
                             ["region", "org_type"], RULES, public=cells)  # fmt: skip
    return frame, public, pages


def _group_row(pages, program: str) -> pd.Series:
    page = pages[f"programs/{program}"]
    return page[page["scope"] == "group"].iloc[0]


def _attack(frame: pd.DataFrame, public: pd.DataFrame, row: pd.Series, attacker: str):
    """The least and largest total of the small region for ``attacker`` (its own answer, the
    public cells exactly, its group's figures within their rounding, every program's region
    and its group's order)."""
    y = frame["x"].to_numpy(float)
    n = y.size
    region = frame["region"].astype(str).to_numpy()
    a_eq, b_eq = [], []
    for _, cell in public[~public["suppressed"]].iterrows():
        inside = np.ones(n, bool) if cell["domain"] == "overall" else region == cell["domain_value"]
        a_eq.append(inside.astype(float))
        b_eq.append(float(cell["estimate"]) * (1 if cell["statistic"] == "total" else inside.sum()))
    me = np.flatnonzero(frame["program_id"].to_numpy() == attacker)[0]
    a_eq.append(np.eye(n)[me])
    b_eq.append(y[me])
    a_ub, b_ub = [], []
    group = np.flatnonzero(region == SMALL)
    order = group[np.argsort(y[group], kind="stable")]
    sums = []
    if row["kind"] == "yes_no" and not np.isnan(row["yes"]):
        a_eq.append(np.isin(np.arange(n), order).astype(float))
        b_eq.append(float(row["yes"]))
    windows = quartile_windows(order.size, RULES.peer_k)
    for q, column in ((0.25, "p25"), (0.5, "median"), (0.75, "p75")):
        if q in windows and not np.isnan(row[column]):
            sums.append((order[slice(*windows[q])], row[column]))
    if not np.isnan(row["average"]):
        sums.append((order, row["average"]))
    for ids, mean in sums:
        low, high = rounding_interval(mean, RULES.peer_digits)
        inside = np.isin(np.arange(n), ids).astype(float)
        a_ub += [inside, -inside]
        b_ub += [len(ids) * high, -len(ids) * low]
    lo, hi = float(frame["x"].min()), float(frame["x"].max())
    target = (region == SMALL).astype(float)
    out = []
    for sign in (1.0, -1.0):
        got = linprog(sign * target, A_ub=np.array(a_ub) if a_ub else None,
                      b_ub=np.array(b_ub) if b_ub else None, A_eq=np.array(a_eq),
                      b_eq=np.array(b_eq), bounds=[(lo, hi)] * n)  # fmt: skip
        assert got.status == 0, got.message
        out.append(sign * got.fun)
    return out[0], out[1], float(target @ y)


def _members(frame: pd.DataFrame) -> list[str]:
    return frame.loc[frame["region"] == int(SMALL), "program_id"].tolist()


@pytest.mark.parametrize("yes_no", [False, True], ids=["number", "yes_no"])
def test_without_the_audit_the_small_region_s_group_gives_its_suppressed_cell_away(yes_no):
    frame, public, pages = _release(yes_no, audited=False)
    small = public[(public["domain"] == "region") & (public["domain_value"] == SMALL)]
    assert small["suppressed"].all() and (small["reason"] == f"n < {RULES.min_cell}").all()
    member = _members(frame)[3]
    row = _group_row(pages, member)
    assert row["peer_group"] == "region=3" and not row["suppressed"]
    low, high, total = _attack(frame, public, row, member)
    assert low <= total <= high
    unit = 1.0
    assert high - low < 2 * max(RULES.p_percent / 100 * total, unit)


@pytest.mark.parametrize("yes_no", [False, True], ids=["number", "yes_no"])
def test_the_audit_withholds_that_group_s_figures_and_only_those(yes_no):
    frame, public, pages = _release(yes_no, audited=True)
    for member in _members(frame):
        row = _group_row(pages, member)
        assert row["suppressed"] and row["reason"] == PROTECT
        low, high, total = _attack(frame, public, row, member)
        assert high - low >= 2 * max(RULES.p_percent / 100 * total, 1.0) - 1e-9
    _, _, plain = _release(yes_no, audited=False)
    for program in frame["program_id"]:
        if program in _members(frame):
            continue
        kept = _group_row(pages, program)
        before = _group_row(plain, program)
        assert kept["suppressed"] == before["suppressed"]
        assert kept[["average", "median", "yes"]].equals(before[["average", "median", "yes"]])


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda v: abs(v) > 1e-9))
def test_a_rounded_figure_s_interval_holds_every_value_it_could_come_from(value):
    shown = round_significant(value, RULES.peer_digits)
    low, high = rounding_interval(shown, RULES.peer_digits)
    assert low - 1e-9 * abs(value) <= value <= high + 1e-9 * abs(value)


@pytest.mark.parametrize("shown", [10.0, 100.0, 0.1, 42.0, 99.0, 1.0])
def test_a_rounded_figure_s_interval_is_no_wider_than_its_rounding(shown):
    low, high = rounding_interval(shown, RULES.peer_digits)
    assert round_significant(low + 1e-9, RULES.peer_digits) == shown
    assert round_significant(high - 1e-9 * shown, RULES.peer_digits) == shown
    assert round_significant(low - 1e-6 * shown, RULES.peer_digits) != shown
