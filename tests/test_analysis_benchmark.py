"""Program benchmarking: peer groups, disclosure control under attack, programs' own data."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci_eval.analysis.benchmark.disclosure import (
    PROTECT,
    attacker_bounds,
    group_figures,
    quartile_windows,
    round_significant,
    rounding_step,
    too_few,
)
from ci_eval.analysis.benchmark.peers import peer_partition
from ci_eval.analysis.benchmark.program_data import program_youth_indicators
from ci_eval.analysis.benchmark.tables import PROGRAM_COLUMNS, benchmark_tables, program_table
from ci_eval.analysis.settings import DisclosureRules
from ci_eval.codebook import Codebook
from ci_eval.errors import AnalysisError
from ci_eval.toc.schema import ToCModel


def _programs(n: int = 40, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "org_type": rng.choice([1.0, 2.0], n),
            "region": rng.choice([1.0, 2.0, 3.0], n),
            "size_band": rng.choice([1.0, 2.0], n),
            "served": rng.integers(5, 300, n).astype(float),
            "other": rng.integers(0, 7, n).astype(float),
        },
        index=[f"P{k:04d}" for k in range(1, n + 1)],
    )
    return frame


PEER_BY = ["org_type", "region", "size_band"]
RULES = DisclosureRules()


def test_peer_groups_partition_the_programs_into_groups_of_enough_alike_programs():
    programs = _programs()
    groups = peer_partition(programs, PEER_BY, RULES.min_group)
    assert sorted(groups) == sorted(programs.index)
    distinct = {g.label: g for g in groups.values()}.values()
    assert sum(len(g.members) for g in distinct) == len(programs)  # each program once
    for group in distinct:
        assert len(group.members) >= RULES.min_group
        for member in group.members:
            assert groups[member] is group
            for variable, levels in group.criteria:
                assert str(int(programs.loc[member, variable])) in levels
    # the same group for every indicator: a group is a property of the program and the wave
    table, _ = program_table(programs, "P0001", ["served", "other"], PEER_BY, RULES)
    assert table["peer_group"].nunique() == 2  # the group, and all programs
    # a program alone of its kind: pooled, never a group of one
    programs.loc["P0040", "region"] = 6.0
    groups = peer_partition(programs, PEER_BY, RULES.min_group)
    assert all("region=6" not in g.label for g in groups.values())
    assert len(groups["P0040"].members) >= RULES.min_group


def test_fewer_programs_than_the_minimum_suppresses_every_peer_value():
    programs = _programs(n=5)
    table, _ = program_table(programs, "P0001", ["served"], PEER_BY, RULES)
    row = table[table["scope"] == "group"].iloc[0]
    assert row["peer_group"] == "all programs" and row["n"] == 5
    assert row["suppressed"] and row["reason"] == "fewer than 6 programs answered"
    assert np.isnan(row[["average", "p25", "median", "p75", "yes"]].to_numpy(float)).all()
    assert row["rank_band"] == ""
    assert row["value"] == programs.loc["P0001", "served"]  # its own value is its own


def test_a_peer_group_of_identical_programs_never_shows_their_common_value():
    programs = _programs(n=13)
    programs["served"] = 50.0
    programs.loc["P0001", "served"] = 80.0
    table, _ = program_table(programs, "P0001", ["served"], [], RULES)
    row = table[table["scope"] == "group"].iloc[0]
    # quartiles (or the middle programs' average) of 50 would tell a program answering 50
    # that the programs around it answered 50 too: withheld; the average of all does not
    assert np.isnan([row["p25"], row["median"], row["p75"]]).all()
    assert row["average"] == 52.0 and not row["suppressed"]
    # six alike: at most the average of all six (a program answering 50 learns the others'
    # sum, not any one value: it does not know whether it is their largest), and no reason
    # saying the values are equal
    programs = _programs(n=6).assign(served=50.0)
    table, _ = program_table(programs, "P0001", ["served"], [], RULES)
    row = table[table["scope"] == "group"].iloc[0]
    assert np.isnan(row[["p25", "median", "p75"]].to_numpy(float)).all()
    assert row["reason"] in ("", PROTECT) and "equal" not in row["reason"]


def test_peers_without_a_value_do_not_count():
    programs = _programs(n=12)
    programs["served"] = np.nan
    programs.loc[["P0001", "P0002", "P0003"], "served"] = [1.0, 2.0, 3.0]
    table, _ = program_table(programs, "P0001", ["served"], PEER_BY, RULES)
    row = table[table["scope"] == "group"].iloc[0]
    assert row["n"] == 3 and row["suppressed"]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(0, 60), min_size=0, max_size=16),
    yes_no=st.booleans(),
)
def test_a_shown_figure_is_a_rounded_average_of_at_least_k_programs(values, yes_no):
    answers = np.array(values, float)
    if yes_no:
        answers = (answers > 30).astype(float)
    got = group_figures(answers, RULES, yes_no=yes_no, bounds=(0.0, 1.0 if yes_no else np.inf),
                        integral=True)  # fmt: skip
    if answers.size < RULES.min_group:
        assert got.suppressed and got.reason == too_few(RULES)
        return
    if got.suppressed:
        assert got.reason == PROTECT
        return
    if yes_no:  # a count with at least k programs on each side, never quartiles of 0/1
        assert RULES.peer_k <= got.yes <= answers.size - RULES.peer_k
        assert np.isnan([got.p25, got.median, got.p75, got.average]).all()
        return
    ordered = np.sort(answers)
    windows = quartile_windows(ordered.size, RULES.peer_k)
    spans = dict(windows) | {"average": (0, ordered.size)}
    for key, shown in (
        (0.25, got.p25),
        (0.5, got.median),
        (0.75, got.p75),
        ("average", got.average),
    ):
        if np.isnan(shown):
            continue
        start, stop = spans[key]
        assert stop - start >= RULES.peer_k
        mean = ordered[start:stop].mean()
        assert shown == round_significant(mean, RULES.peer_digits)
        assert abs(shown - mean) <= rounding_step(mean, RULES.peer_digits) / 2 + 1e-9


def test_the_attackers_bounds_are_those_of_the_linear_program_alone_or_in_pairs():
    from scipy.optimize import linprog

    rng = np.random.default_rng(7)
    for trial in range(12):
        n = int(rng.integers(4, 11))
        x = np.sort(rng.integers(0, 8, n).astype(float) if trial % 2 else rng.gamma(2, 4, n))
        x = np.minimum(x, 20.0)
        spans = [(0, n)] if trial % 3 == 0 else [(0, 3), (n - 3, n)] if n >= 6 else [(1, 4)]
        sums = [(x[a:b].sum() - 0.7, x[a:b].sum() + 0.4) for a, b in spans]
        top = np.inf if trial % 4 else 20.0
        own, rank = np.repeat(x, n), np.tile(np.arange(n), n)  # every value at every rank
        if trial % 2:  # a coalition of two: the true smallest and each value at every rank
            own = np.column_stack([np.full(n * n, x[0]), own])
            rank = np.column_stack([np.zeros(n * n, int), rank])
            keep = rank[:, 1] > 0
            own, rank = own[keep], rank[keep]
        low, high, feasible = attacker_bounds(x, spans, sums, (0.0, top), own, rank)
        order = -np.diff(np.eye(n), axis=0)  # x_i - x_{i+1} <= 0
        blocks = np.array([np.isin(np.arange(n), np.arange(a, b)) for a, b in spans], float)
        a_ub = np.vstack([order, blocks, -blocks])
        b_ub = np.concatenate([np.zeros(n - 1), [s[1] for s in sums], [-s[0] for s in sums]])
        for row in range(len(own)):
            a_eq, b_eq = np.eye(n)[np.atleast_1d(rank[row])], np.atleast_1d(own[row])
            bounds = [(0.0, None if np.isinf(top) else top)] * n
            solve = functools.partial(linprog, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                                      bounds=bounds)  # fmt: skip
            assert (solve(np.zeros(n)).status == 0) == feasible[row]
            if not feasible[row]:
                continue
            for t in range(n):
                least, most = solve(np.eye(n)[t]), solve(-np.eye(n)[t])
                assert low[row, t] == pytest.approx(least.fun, abs=1e-5)
                if most.status == 3:  # unbounded
                    assert np.isinf(high[row, t])
                else:
                    assert high[row, t] == pytest.approx(-most.fun, abs=1e-5)


def test_benchmark_tables_are_private_per_program_and_the_public_summary_has_no_values():
    programs = _programs(n=30).rename_axis("program_id").reset_index()
    model = ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                {
                    "id": "served",
                    "label": {"en": "S"},
                    "survey": "organisations",
                    "items": ["q"],
                    "scoring": {"method": "value"},
                }
            ],
        }
    )
    tables = benchmark_tables(
        {("organisations", "2024"): programs}, model, "organisations", "program_id", PEER_BY, RULES
    )
    assert sorted(k for k in tables if k.startswith("programs/")) == [
        f"programs/P{k:04d}" for k in range(1, 31)
    ]
    assert list(tables["programs/P0001"].columns) == PROGRAM_COLUMNS
    public = tables["benchmark_peers"]
    assert list(public.columns) == ["peer_group", "programs"]
    assert (public["programs"] >= RULES.min_group).all()
    assert public["programs"].sum() == 30
    with pytest.raises(AnalysisError, match="P9999"):
        program_table(programs.set_index("program_id"), "P9999", ["served"], PEER_BY, RULES)


def _youth_model() -> tuple[ToCModel, Codebook]:
    model = ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                {
                    "id": "mentored",
                    "label": {"en": "M"},
                    "survey": "youth",
                    "items": ["had"],
                    "scoring": {"method": "threshold", "values": [1]},
                },
                {
                    "id": "belong",
                    "label": {"en": "B"},
                    "survey": "youth",
                    "items": ["b1", "b2"],
                    "scoring": {"method": "mean"},
                },
                {
                    "id": "strong",
                    "label": {"en": "S"},
                    "survey": "youth",
                    "scoring": {"method": "derived", "expression": "belong >= 4"},
                },
            ],
        }
    )
    cb = Codebook.from_dict(
        {
            "survey": "youth",
            "variables": [
                {
                    "name": "had",
                    "type": "categorical",
                    "missing_codes": [8],
                    "value_labels": {1: {"en": "Yes"}, 2: {"en": "No"}, 8: {"en": "DK"}},
                },
                {"name": "b1", "type": "numeric"},
                {"name": "b2", "type": "numeric"},
            ],
        }
    )
    return model, cb


def _national() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator": ["mentored", "belong", "strong"],
            "survey": "youth",
            "wave": "2024",
            "domain": "overall",
            "estimate": [0.6, 3.5, 0.3],
            "ci_low": [0.58, 3.4, 0.28],
            "ci_high": [0.62, 3.6, 0.32],
            "suppressed": False,
        }
    )


def test_program_youth_data_is_scored_and_compared_with_the_nation():
    model, cb = _youth_model()
    own = pd.DataFrame({"had": [1, 2, 1, 8] * 10})  # no belonging items in this template
    t = program_youth_indicators(own, model, cb, _national(), DisclosureRules(), "id").set_index(
        "indicator"
    )
    mentored = t.loc["mentored"]
    assert mentored["n"] == 30  # the "don't know" answers are missing
    assert mentored["value"] == pytest.approx(20 / 30)
    assert mentored["difference"] == pytest.approx(20 / 30 - 0.6)
    assert mentored["national"] == 0.6
    for missing in ("belong", "strong"):
        assert t.loc[missing, "suppressed"] and t.loc[missing, "reason"] == "items not in the data"


def test_program_youth_data_small_groups_are_suppressed():
    model, cb = _youth_model()
    own = pd.DataFrame({"had": [1, 2] * 4, "b1": [4, 5] * 4, "b2": [4, 3] * 4})
    t = program_youth_indicators(own, model, cb, _national(), DisclosureRules(), "id")
    assert t["suppressed"].all() and (t["reason"] == "n < 10").all()
    assert t["value"].isna().all() and t["difference"].isna().all()


def test_program_youth_data_without_template_columns_is_refused():
    model, cb = _youth_model()
    with pytest.raises(AnalysisError, match="none of the template's items"):
        program_youth_indicators(
            pd.DataFrame({"x": [1]}), model, cb, _national(), DisclosureRules(), "id"
        )


@pytest.mark.slow
def test_demo_benchmarks_respect_disclosure_rules():
    from analysis_fixtures import demo_tables

    tables = demo_tables()
    programs = {k: v for k, v in tables.items() if k.startswith("programs/")}
    assert len(programs) == 410
    figures = ["average", "p25", "median", "p75", "yes"]
    for table in programs.values():
        group = table[table["scope"] == "group"]
        shown = group[~group["suppressed"]]
        assert (shown["n"] >= RULES.min_group).all()
        assert group[group["suppressed"]][figures].isna().all().all()
        assert group["peer_group"].nunique() == 1  # one group for every indicator and wave
        yes_no = shown[shown["kind"] == "yes_no"]
        assert yes_no[["p25", "median", "p75"]].isna().all().all()
        assert (
            (yes_no["yes"] >= RULES.peer_k) & (yes_no["n"] - yes_no["yes"] >= RULES.peer_k)
        ).all()
    # the territories' programs (region 6) are pooled with another region, never alone
    assert not tables["benchmark_peers"]["peer_group"].str.contains(r"region=6(?:,|$)").any()
