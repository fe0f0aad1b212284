"""The public sector tables combined with one program's private page, played on the demo
(issue 13: "the public by-region × size tables combined with the private page").

The attacker is a program holding its own page and the public report, and is made stronger
than any real reader: it knows every program's region, size band and type (so which programs
each public cell and its own peer group hold), the range of the answers, every published cell
exactly (no rounding), its own answers, and, for the peer figures, the order of its group's
answers (so each published window of sorted values is a known set of programs). What it can
derive about any other program's answer, or about any cell the public tables suppress, is a
linear program (:func:`scipy.optimize.linprog`); for a yes/no practice, where answers are 0 or
1, an integer program (:func:`scipy.optimize.milp`). The test asserts that no other program's
answer comes back exactly or within the p% interval (one unit at least), no yes/no answer is
determined, no cell the public tables suppress for its size comes back within its p% interval,
and no complementary suppression comes back to within one unit of an answer either side. (A
complement holds at least ``min_cell`` programs: it is withheld so that the small cell beside
it cannot be found by subtraction, which the small cell's own interval checks; its own total is
not confidential, as in the statistical agencies' rules, Hundepool et al., 2012, §4.3.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from ci_eval.analysis.benchmark.disclosure import quartile_windows, rounding_interval
from ci_eval.analysis.benchmark.tables import programs_of_wave
from ci_eval.analysis.stage import analysis_frames
from ci_eval.caching import StageCache
from ci_eval.pipeline import compute_tables
from ci_eval.results.disclosure import DisclosureRules
from ci_eval.study import load_study

pytestmark = pytest.mark.slow
RULES = DisclosureRules(min_peers=5)  # the demo's [disclosure]
WAVE = "2024"
DOMAINS = ("region", "size_band")
ATTACKERS_PER_GROUP = 3


@dataclass
class Release:
    """What the demo publishes for one wave and what its programs answered."""

    programs: pd.DataFrame  # one row per program: answers, region, size band, type
    public: pd.DataFrame  # the organisation survey's rows of ``indicators``
    pages: dict[str, pd.DataFrame]  # every program's private table


@pytest.fixture(scope="module")
def release(demo_built) -> Release:
    study = load_study(demo_built)
    cache = StageCache(demo_built / "reports/2024/.cache")
    tables, runner, _ = compute_tables(study, cache=cache)
    scored, clean = runner.ctx.values["score"]
    frames = analysis_frames(scored, clean, runner.ctx.codebooks)
    public = tables["indicators"]
    public = public[(public["survey"] == "organisations") & (public["wave"] == WAVE)]
    keep = [*public["indicator"].unique(), "region", "size_band", "org_type"]
    programs = programs_of_wave(frames[("organisations", WAVE)], "program_id", keep)
    pages = {n.split("/", 1)[1]: t for n, t in tables.items() if n.startswith("programs/")}
    return Release(programs, public, pages)


def _public_rows(release: Release, indicator: str, answered: pd.Series) -> list[tuple]:
    """(members, least, largest) of every published cell's total, exactly."""
    rows = []
    cells = release.public[(release.public["indicator"] == indicator)]
    for _, cell in cells[~cells["suppressed"]].iterrows():
        members = answered.copy()
        if cell["domain"] != "overall":
            codes = release.programs[cell["domain"]].map(lambda v: f"{v:g}")
            members &= codes == str(cell["domain_value"])
        count = int(members.sum())
        total = cell["estimate"] * (1 if cell["statistic"] == "total" else count)
        rows.append((members.to_numpy(), total, total))
    return rows


def _suppressed_cells(release: Release, indicator: str, answered: pd.Series) -> list[tuple]:
    """(name, members, whether suppressed for its size) of every public cell the tables
    suppress."""
    cells = release.public[(release.public["indicator"] == indicator)]
    out = []
    for _, cell in cells[cells["suppressed"]].iterrows():
        codes = release.programs[cell["domain"]].map(lambda v: f"{v:g}")
        members = (answered & (codes == str(cell["domain_value"]))).to_numpy()
        small = str(cell["reason"]) == f"n < {RULES.min_cell}"
        out.append((f"{cell['domain']}={cell['domain_value']}", members, small))
    return out


def _page_rows(page: pd.DataFrame, release: Release, indicator: str, answered: pd.Series):
    """The attacker's page as (members, least, largest) sums: each published window of its
    group's sorted answers (a known set of programs: the attacker knows the order), or the
    group's average."""
    row = page[(page["indicator"] == indicator) & (page["wave"] == WAVE)]
    group = row[row["scope"] == "group"].iloc[0]
    if group["suppressed"]:
        return [], None
    members = _members(release, group)
    values = release.programs.loc[members, indicator].dropna().sort_values(kind="stable")
    n = values.size
    shown = [(q, group[c]) for q, c in ((0.25, "p25"), (0.5, "median"), (0.75, "p75"))]
    windows = quartile_windows(n, RULES.peer_k)
    out = []
    for q, mean in shown:
        if not np.isnan(mean):
            out.append((list(values.index[slice(*windows[q])]), mean))
    if not np.isnan(group["average"]):
        out.append((list(values.index), group["average"]))
    if group["kind"] == "yes_no" and not np.isnan(group["yes"]):
        return [(_mask(release, values.index), group["yes"], group["yes"])], values.index
    sums = []
    for ids, mean in out:
        low, high = rounding_interval(mean, RULES.peer_digits)
        sums.append((_mask(release, ids), len(ids) * low, len(ids) * high))
    return sums, values.index


def _members(release: Release, group: pd.Series) -> list[str]:
    keep = pd.Series(True, index=release.programs.index)
    for variable, levels in zip(group["peer_variables"], group["peer_levels"], strict=True):
        codes = release.programs[variable].map(lambda v: f"{v:g}")
        keep &= codes.isin(str(levels).split("+"))
    return list(release.programs.index[keep])


def _mask(release: Release, ids) -> np.ndarray:
    return release.programs.index.isin(list(ids))


def _bounds(rows, y_range, fixed: dict[int, float], target: np.ndarray, binary: bool,
            alone: np.ndarray, atoms: np.ndarray):  # fmt: skip
    """Least and largest ``target · x`` given the sums ``rows`` and the ``fixed`` answers.

    The programs ``alone`` (the attacker's group) are variables of their own; every other
    program enters each sum only through its atom's total (its region and size band: every
    published cell is a union of atoms), a variable between the atom's count times the least
    and the largest answer, which is the same program, exactly, with far fewer variables.
    """
    n = target.size
    free = [i for i in range(n) if i not in fixed]
    keys = {}
    column = np.empty(n, int)
    for i in free:
        key = ("p", i) if alone[i] else ("a", atoms[i])
        column[i] = keys.setdefault(key, len(keys))
    m = np.zeros((n, len(keys)))
    m[free, column[free]] = 1.0
    size = m.sum(axis=0)
    a_full = np.array([r[0] for r in rows], float)
    shift = a_full[:, list(fixed)] @ np.array(list(fixed.values())) if fixed else 0.0
    a = a_full @ m / size  # 0 or 1: each cell holds an atom whole or not at all
    low = np.array([r[1] for r in rows]) - shift
    high = np.array([r[2] for r in rows]) - shift
    c = target @ m / size
    constant = float(target[list(fixed)] @ np.array(list(fixed.values()))) if fixed else 0.0
    lb, ub = size * y_range[0], size * y_range[1]
    out = []
    for sign in (1.0, -1.0):
        if binary:
            got = milp(sign * c, constraints=LinearConstraint(a, low - 1e-9, high + 1e-9),
                       integrality=np.ones(c.size), bounds=Bounds(lb, ub))  # fmt: skip
        else:
            a_ub = np.vstack([a, -a])
            b_ub = np.concatenate([high + 1e-9, -(low - 1e-9)])
            got = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, bounds=list(zip(lb, ub, strict=True)))
        assert got.status == 0, got.message
        out.append(sign * got.fun + constant)
    return out[0], out[1]


def _need(value: float, unit: float) -> float:
    return max(RULES.p_percent / 100 * abs(value), unit)


def _attackers(release: Release) -> dict[str, list[str]]:
    """Per peer group, the programs that attack: its least, middle and largest ids."""
    groups: dict[str, list[str]] = {}
    for program, page in release.pages.items():
        label = str(page["peer_group"].iloc[0])
        groups.setdefault(label, []).append(program)
    out = {}
    for label, ids in groups.items():
        ids = sorted(ids)
        picks = [ids[0], ids[len(ids) // 2], ids[-1]][:ATTACKERS_PER_GROUP]
        out[label] = sorted(set(picks))
    return out


def _indicators(release: Release) -> list[str]:
    """The indicators published by region and size band (the crossed public tables)."""
    rows = release.public[release.public["domain"].isin(DOMAINS)]
    return list(dict.fromkeys(rows["indicator"]))


def test_the_demo_publishes_by_region_and_size_and_every_program_gets_a_page(release):
    assert set(_indicators(release)) >= {"youth_served", "has_waitlist", "mentor_retention"}
    assert set(release.pages) == set(release.programs.index)


INDICATORS = [
    "youth_served",
    "mentor_retention",
    "practices_in_place",
    "collaboration_count",
    "has_waitlist",
    "serving_after_18",
    "demand_outpaces_capacity",
]


@pytest.mark.parametrize("indicator", INDICATORS)
def test_public_tables_and_one_private_page_give_no_other_program_away(release, indicator):
    answers = release.programs[indicator]
    answered = answers.notna()
    y = answers.fillna(0.0).to_numpy(float)
    binary = bool(answers.dropna().isin([0.0, 1.0]).all())
    integral = bool(np.allclose(answers.dropna(), np.round(answers.dropna())))
    y_range = (0.0, 1.0) if binary else (float(answers.min()), float(answers.max()))
    unit = 1.0 if integral else RULES.p_percent / 100 * (y_range[1] - y_range[0])
    public = _public_rows(release, indicator, answered)
    hidden = _suppressed_cells(release, indicator, answered)
    index = {p: i for i, p in enumerate(release.programs.index)}
    atoms = (
        release.programs["region"].astype(str) + "/" + release.programs["size_band"].astype(str)
    ).to_numpy()
    unanswered = {i: 0.0 for i in np.flatnonzero(~answered.to_numpy())}
    exposed = []
    for attackers in _attackers(release).values():
        for attacker in attackers:
            if not answered[attacker]:
                continue
            sums, group = _page_rows(release.pages[attacker], release, indicator, answered)
            fixed = {**unanswered, index[attacker]: y[index[attacker]]}
            rows = public + sums
            alone = _mask(release, group if group is not None else [])
            targets = [(p, np.eye(y.size)[index[p]]) for p in (group if group is not None else [])
                       if p != attacker and answered[p]]  # fmt: skip
            for program, target in targets:
                low, high = _bounds(rows, y_range, fixed, target, binary, alone, atoms)
                value = y[index[program]]
                tight = low == high if binary else high - low < _need(value, unit) - 1e-6
                if tight:
                    exposed.append(f"{attacker} finds {program} in [{low:g}, {high:g}]")
            for name, members, small in hidden:
                target = members.astype(float)
                low, high = _bounds(rows, y_range, fixed, target, binary, alone, atoms)
                total = float(y @ target)
                need = 2 * (_need(total, unit) if small else unit)
                if high - low < need - 1e-6:
                    exposed.append(f"{attacker} finds {name} in [{low:g}, {high:g}]")
    assert not exposed, f"{indicator} ({len(exposed)}):\n" + "\n".join(exposed[:20])
