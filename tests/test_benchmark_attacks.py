"""Attacks on the published figures, played as a determined reader would (issue 13).

Each test plays one route of the issue with an attacker written here, independently of the
code under test: a linear program over every program's (or respondent's) own answer, given
everything the attacker can read or knows, and asserts that no other program's answer, no
suppressed cell and no union of suppressed cells under ``min_cell`` comes back exactly or
within the published rounding.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from ci_eval.analysis.benchmark.disclosure import (
    BANDS,
    PROTECT,
    PeerFigures,
    group_figures,
    quartile_windows,
    rank_band,
    round_significant,
    rounding_step,
    too_few,
)
from ci_eval.analysis.benchmark.tables import Benchmark, measures_of_data, program_table
from ci_eval.analysis.disclosure_rules import complementary_suppression
from ci_eval.analysis.indicators import estimate_indicator, estimate_indicators
from ci_eval.results.disclosure import DisclosureRules
from ci_eval.survey import SurveyDesign
from ci_eval.toc.schema import ToCModel

RULES = DisclosureRules()
PRAIRIES = {"MB": 30, "SK": 5, "AB": 40}
PROVINCES = {"BC": 60, **PRAIRIES, "ON": 90, "QC": 50, "NS": 3, "NB": 2, "YT": 4}
REGION = {"BC": "BC", "MB": "PR", "SK": "PR", "AB": "PR", "ON": "ON", "QC": "QC", "NS": "AT",
          "NB": "AT", "YT": "TR"}  # fmt: skip


def _model(statistic: str = "total") -> ToCModel:
    return ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                {
                    "id": "served",
                    "label": {"en": "Youth served"},
                    "survey": "org",
                    "items": ["q"],
                    "scoring": {"method": "value"},
                    "statistic": statistic,
                    "disaggregate_by": ["region", "province", "size_band"],
                }
            ],
        }
    )


def _programs(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    province = np.repeat(list(PROVINCES), list(PROVINCES.values()))
    served = rng.integers(10, 300, province.size).astype(float)
    return pd.DataFrame(
        {
            "served": served,
            "province": province,
            "region": [REGION[p] for p in province],
            "size_band": np.where(served < 50, "1", np.where(served < 150, "2", "3")),
            "w": 1.0,
        }
    )


def _attacker(data: pd.DataFrame, table: pd.DataFrame, cell: np.ndarray) -> tuple[float, float]:
    """The least and largest total of the ``cell`` programs given every published total, the
    domain codes of every program and the answers' range (each program one variable)."""
    y = data["served"].to_numpy(float)
    rows, values = [], []
    for _, r in table[~table["suppressed"]].iterrows():
        member = np.ones(len(data), bool)
        if r["domain"] != "overall":
            member = (data[r["domain"]].astype(str) == r["domain_value"]).to_numpy()
        total = r["estimate"] * (member.sum() if r["statistic"] != "total" else 1)
        rows.append(member.astype(float))
        values.append(total)
    bounds = [(y.min(), y.max())] * len(y)
    low = linprog(cell.astype(float), A_eq=np.array(rows), b_eq=values, bounds=bounds)
    high = linprog(-cell.astype(float), A_eq=np.array(rows), b_eq=values, bounds=bounds)
    assert low.status == 0 and high.status == 0
    return low.fun, -high.fun


def _held(data: pd.DataFrame, table: pd.DataFrame, cell: np.ndarray) -> bool:
    low, high = _attacker(data, table, cell)
    true = data.loc[cell, "served"].sum()
    assert low - 1e-6 <= true <= high + 1e-6
    return high - low >= 2 * max(RULES.p_percent / 100 * true, 1.0) - 1e-6


@pytest.mark.parametrize("statistic", ["total", "mean"])
def test_saskatchewan_is_not_prairies_less_manitoba_and_alberta(statistic):
    data = _programs()
    design = SurveyDesign(data, weights="w")
    table = estimate_indicators({("org", "2024"): design}, _model(statistic), RULES)
    sk = table[(table["domain"] == "province") & (table["domain_value"] == "SK")].iloc[0]
    assert sk["suppressed"] and sk["reason"] == "n < 10"
    saskatchewan = (data["province"] == "SK").to_numpy()
    assert _held(data, table, saskatchewan)
    # the one-domain rule alone (a complement in the province domain) does not hold
    alone = complementary_suppression(
        estimate_indicator(design, _model(statistic).indicators[0], "2024", RULES), 10
    )
    assert not _held(data, alone, saskatchewan)
    for domain, small in (("province", ["SK", "NS", "NB", "YT"]), ("region", ["AT", "TR"])):
        for value in small:
            assert _held(data, table, (data[domain] == value).to_numpy()), (domain, value)


def test_atlantic_and_territories_together_are_not_the_total_less_the_rest():
    data = _programs()
    table = estimate_indicators({("org", "2024"): SurveyDesign(data, weights="w")}, _model(), RULES)
    union = data["region"].isin(["AT", "TR"]).to_numpy()
    assert union.sum() == 9 < RULES.min_cell
    assert _held(data, table, union)
    for pair in (["NS", "NB"], ["NS", "YT"], ["NB", "YT"], ["NS", "NB", "YT"]):
        assert _held(data, table, data["province"].isin(pair).to_numpy()), pair


def test_the_suppression_reasons_say_nothing_of_the_values():
    data = _programs()
    table = estimate_indicators({("org", "2024"): SurveyDesign(data, weights="w")}, _model(), RULES)
    assert set(table["reason"]) <= {"", "n < 10", "complementary suppression"}
    hidden = table[table["suppressed"]]
    assert hidden[["estimate", "se", "ci_low", "ci_high", "cv"]].isna().all().all()


# --- the private pages: one program, two programs pooling pages, waves, indicators ---------


def _published_windows(n: int, figures) -> list[tuple[tuple[int, int], float]]:
    """The windows of sorted positions whose rounded averages a page shows (the rule is public,
    so the attacker knows which positions each figure averages)."""
    windows = quartile_windows(n, RULES.peer_k)
    shown = [(windows[q], v) for q, v in ((0.25, figures.p25), (0.5, figures.median),
             (0.75, figures.p75)) if not np.isnan(v)]  # fmt: skip
    if not np.isnan(figures.average):
        shown.append(((0, n), figures.average))
    return shown


def _band_ranks(values: np.ndarray, program: int) -> list[int]:
    """The sorted positions a program may be at, knowing only its quarter."""
    n = values.size
    shown = rank_band(values[program], values, RULES)
    if not shown:
        return list(range(n))
    band = BANDS.index(shown)
    quarter = np.minimum((100.0 * (np.arange(n) + 0.5) / n) // 25, 3)
    return sorted(set(np.flatnonzero(quarter == band)) | {program})


def _peer_attack(values: np.ndarray, holders: tuple[int, ...], figures) -> np.ndarray:
    """For programs ``holders`` (sorted positions) pooling their pages: the width of what
    they can tell of each other order statistic, over every rank their quarters allow (a
    linear program over the sorted values per rank combination, solved by HiGHS)."""
    n = values.size
    shown = _published_windows(n, figures)
    order = -np.diff(np.eye(n), axis=0)  # x_i - x_{i+1} <= 0
    rows, limits = [order], [np.zeros(n - 1)]
    for (start, stop), mean in shown:
        step = rounding_step(mean, RULES.peer_digits)
        block = np.isin(np.arange(n), np.arange(start, stop)).astype(float)
        rows += [block[None, :], -block[None, :]]
        limits += [[(stop - start) * (mean + step / 2)], [-(stop - start) * (mean - step / 2)]]
    a_ub, b_ub = np.vstack(rows), np.concatenate(limits)
    low, high = np.full(n - len(holders), np.inf), np.full(n - len(holders), -np.inf)
    for ranks in itertools.product(*(_band_ranks(values, h) for h in holders)):
        if len(set(ranks)) < len(ranks):
            continue
        eq = np.eye(n)[list(ranks)]
        others = [t for t in range(n) if t not in ranks]
        for j, t in enumerate(others):
            common = dict(A_ub=a_ub, b_ub=b_ub, A_eq=eq, b_eq=values[list(holders)],
                          bounds=[(0, None)] * n)  # fmt: skip
            least, most = linprog(np.eye(n)[t], **common), linprog(-np.eye(n)[t], **common)
            if least.status != 0:
                break  # these ranks do not fit the figures
            low[j] = min(low[j], np.ceil(least.fun - 1e-9))
            high[j] = max(high[j], np.inf if most.status == 3 else np.floor(-most.fun + 1e-9))
    return high - low


def _need(values: np.ndarray, holders: tuple[int, ...]) -> np.ndarray:
    others = np.delete(values, list(holders))
    return np.maximum(RULES.p_percent / 100 * others, 1.0)


SMALL_GROUPS = [
    np.array([19.0, 30, 34, 42, 42, 49]),  # P0047's five peers and its own 30
    np.array([19.0, 34, 42, 42, 49, 60]),
    np.array([10.0, 11, 12, 13, 14, 15, 16]),  # alike programs: tight values
    np.array([3.0, 40, 41, 41, 42, 300]),
    np.array([5.0, 9, 14, 20, 31, 46, 70]),
]


@pytest.mark.parametrize("values", SMALL_GROUPS, ids=lambda v: "-".join(f"{x:g}" for x in v))
def test_one_program_alone_recovers_no_peer_answer(values):
    figures = group_figures(values, RULES, yes_no=False, integral=True)
    assert not figures.suppressed or figures.reason == PROTECT
    for program in range(values.size):
        assert (_peer_attack(values, (program,), figures) >= _need(values, (program,))).all()


@pytest.mark.parametrize("values", SMALL_GROUPS, ids=lambda v: "-".join(f"{x:g}" for x in v))
def test_two_programs_of_a_group_comparing_pages_recover_no_third(values):
    figures = group_figures(values, RULES, yes_no=False, integral=True)
    for pair in itertools.combinations(range(values.size), 2):
        assert (_peer_attack(values, pair, figures) >= _need(values, pair)).all(), pair


def test_p0047_sees_no_peer_answer():
    """The issue's case: 19, 34, 42, 42 and 49 were shown as p25 = 34, median = 42, p75 = 42."""
    values = SMALL_GROUPS[0]
    figures = group_figures(values, RULES, yes_no=False, integral=True)
    assert np.isnan([figures.p25, figures.median, figures.p75]).all()
    assert figures.average == round_significant(values.mean(), RULES.peer_digits) == 36.0
    # with only its five peers (P0047 not counted) nothing at all: too few programs
    alone = group_figures(values[values != 30], RULES, yes_no=False, integral=True)
    assert alone.suppressed and alone.reason == too_few(RULES)


def test_a_group_that_changed_by_one_program_between_waves_shows_no_previous_figures():
    ids = [f"P{k}" for k in range(8)]
    now = pd.DataFrame({"x": [10.0, 12, 15, 18, 20, 25, 30, 41], "region": 1.0}, index=ids)
    before = now.drop(index="P7")  # one program joined: the difference would be its answer
    bench = Benchmark({"2021": before, "2024": now}, measures_of_data(now, ["x"]), ["region"],
                      RULES)  # fmt: skip
    table = bench.table("P0")
    group = table[table["scope"] == "group"].set_index("wave")
    assert not group.loc["2024", "suppressed"]
    assert group.loc["2021", "suppressed"]
    assert "changed by too few programs" in group.loc["2021", "reason"]
    assert np.isnan(group.loc["2021", ["average", "p25", "median", "p75"]].to_numpy(float)).all()


def test_indicators_answered_by_different_programs_use_the_same_group_and_hold_apart():
    """The group is fixed per program and wave: an indicator one program left blank keeps
    the same group, and even if both indicators held the same answers, the two rounded
    averages leave the missing program's answer wider than the p% interval."""
    ids = [f"P{k}" for k in range(7)]
    a = np.array([20.0, 25, 31, 38, 44, 52, 61])
    data = pd.DataFrame({"a": a, "b": a, "region": 1.0}, index=ids)
    data.loc["P6", "b"] = np.nan
    table, _ = program_table(data, "P0", ["a", "b"], ["region"], RULES)
    group = table[table["scope"] == "group"]
    assert group["peer_group"].nunique() == 1
    fa = group_figures(a, RULES, yes_no=False, integral=True)
    fb = group_figures(a[:-1], RULES, yes_no=False, integral=True)
    assert not np.isnan(fa.average) and not np.isnan(fb.average)  # the worst case: two sums
    step_a, step_b = (rounding_step(f.average, RULES.peer_digits) for f in (fa, fb))
    low = 7 * (fa.average - step_a / 2) - 6 * (fb.average + step_b / 2)
    high = 7 * (fa.average + step_a / 2) - 6 * (fb.average - step_b / 2)
    assert low <= a[-1] <= high and high - low >= 2 * RULES.p_percent / 100 * a[-1]


def test_a_place_in_the_group_is_a_quarter_and_only_when_it_pins_nobody():
    values = np.array([19.0, 30, 34, 42, 42, 49])
    assert [rank_band(v, values, RULES) for v in values] == [
        "bottom", "second", "second", "third", "third", "top"]  # fmt: skip
    assert rank_band(30.0, values[1:], RULES) == ""  # five programs: no place given
    # 40 (second quarter) and 42 (top quarter) comparing pages would know that the third
    # quarter's programs answered 40 to 42: no program of that group is given its quarter
    squeezed = SMALL_GROUPS[3]
    assert [rank_band(v, squeezed, RULES) for v in squeezed] == [""] * squeezed.size


def test_the_attacker_finds_the_answer_a_careless_page_gives_away():
    """The attacker above is not toothless: on the median of 30, 40 and 50 (40, exact to the
    rounding) the programs answering 30 and 50 find the third within a unit."""
    values = np.array([10.0, 20, 30, 40, 50, 60, 70])
    careless = PeerFigures(7, np.nan, np.nan, 40.0, np.nan, np.nan, False, "")
    width = _peer_attack(values, (2, 4), careless)
    assert (width < _need(values, (2, 4))).any()
    assert group_figures(values, RULES, yes_no=False, integral=True).median != 40.0


def test_a_generated_study_of_very_small_groups_gives_no_peer_away():
    """Issue 13's "done when": a study whose peer groups hold 5 to 7 programs. Groups of 5
    are pooled (fewer than ``min_group``); every figure a program's table shows resists the
    lone and the two-program attacker above, whatever its group."""
    rng = np.random.default_rng(13)
    sizes = {"1": 5, "2": 6, "3": 7, "4": 6, "5": 7, "6": 5}
    region = np.repeat(list(sizes), list(sizes.values()))
    ids = [f"P{k:03d}" for k in range(region.size)]
    served = rng.integers(5, 60, region.size).astype(float)
    data = pd.DataFrame({"served": served, "region": region.astype(float)}, index=ids)
    bench = Benchmark({"2024": data}, measures_of_data(data, ["served"]), ["region"], RULES)
    sizes_seen = {len(g.members) for g in bench.groups.values()}
    assert min(sizes_seen) >= RULES.min_group and max(sizes_seen) <= 12
    assert any(len(g.members) <= 7 for g in bench.groups.values())
    published = 0
    for group in {g.label: g for g in bench.groups.values()}.values():
        row = bench.table(group.members[0]).iloc[0]
        values = np.sort(data.loc[list(group.members), "served"].to_numpy())
        shown = [row[k] for k in ("average", "p25", "median", "p75", "yes")]
        figures = PeerFigures(int(row["n"]), *shown, bool(row["suppressed"]), row["reason"])
        published += not figures.suppressed
        for holders in [(p,) for p in range(values.size)] + list(
            itertools.combinations(range(values.size), 2)
        ):
            assert (_peer_attack(values, holders, figures) >= _need(values, holders)).all()
    assert published  # not vacuous: some small group shows a figure
