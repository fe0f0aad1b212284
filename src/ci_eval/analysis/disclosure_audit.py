"""Complementary suppression that holds across every domain of a table: an attacker's audit.

A cell suppressed for its size (``n < min_cell``) must not come back by adding and
subtracting published cells: not from its own domain's total and other categories, not
through another domain that covers the same respondents (a province inside its region, a
region crossed by size), and no union of suppressed cells of one domain whose respondents
are still fewer than ``min_cell`` (Atlantic with 5 programs and the Territories with 4) may
come back either.

The audit is the one statistical agencies run (Hundepool et al., *Statistical Disclosure
Control*, 2012, §4.3, as in tau-ARGUS). Respondents are grouped into *atoms*, the finest
cross-classification of every domain variable of the table (a respondent with no answer to
a variable is an atom of its own there), so every published cell is a sum of atoms. Each
cell's weighted total ``T = Σ w y`` (a mean or a proportion is its total divided by the
weighted count) is what the attacker works with; the attacker is given more than the site
shows: every published total exactly (no rounding), every atom's weighted count, and the
range of one answer (the observed least and largest values). For every sensitive cell and
union, the least and largest total consistent with all that is a linear program
(:func:`scipy.optimize.linprog`, HiGHS); the suppression holds when that interval is at
least ``2 · max(p% · |T|, one unit)`` wide (``p_percent`` of ``[disclosure]``; one unit is one
answer of the scale for whole-number answers, else ``p%`` of the scale, times the cell's
mean weight) for every respondent of the cell, who knows its own answer besides (the p% rule's
attacker: a contributor to the cell). When it does not, published cells are suppressed too, the
smallest first among those that widen the interval, until every sensitive cell holds. Reasons never
reveal values: a cell is withheld for its size (``n < 10``) or as a complementary
suppression. The first complements come from the one-domain rule
(:func:`ci_eval.analysis.disclosure_rules.complementary_suppression`); the audit adds what it
misses.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from ci_eval.analysis.codes import codes_text
from ci_eval.analysis.disclosure_rules import (
    COMPLEMENTARY,
    DOMINANT,
    blank_suppressed,
    primary_reasons,
)
from ci_eval.results.disclosure import DisclosureRules

MAX_UNION = 4
"""The most suppressed cells of one domain combined into one union audited (all pairs,
triples and quadruples under ``min_cell``)."""


@dataclass(frozen=True)
class Atoms:
    """The respondents of one indicator and wave grouped by every domain variable.

    ``keys`` has one row per atom and one column per domain variable (codes as text, ``""``
    when the respondent has none); ``total`` is the atom's weighted total of the answers,
    ``weight`` its weighted count and ``n`` its respondents; ``bounds`` the range of one answer
    and ``integral`` whether the answers are whole numbers; ``answers`` (``atom``, ``w``,
    ``y``: one row per respondent) says who could attack from inside (``None``: every atom is
    one respondent).
    """

    keys: pd.DataFrame
    total: np.ndarray
    weight: np.ndarray
    n: np.ndarray
    bounds: tuple[float, float]
    integral: bool
    answers: pd.DataFrame | None = None

    @classmethod
    def of(cls, values: pd.Series, weights: pd.Series, domains: pd.DataFrame) -> Atoms:
        """The atoms of the respondents with a value.

        >>> a = Atoms.of(pd.Series([1.0, 2, 3, None]), pd.Series([1.0] * 4),
        ...              pd.DataFrame({"g": [1, 1, 2, 2]}))
        >>> a.keys["g"].tolist(), a.total.tolist(), a.n.tolist(), a.bounds
        (['1', '2'], [3.0, 3.0], [2, 1], (1.0, 3.0))
        >>> Atoms.of(pd.Series([1.0, 2]), pd.Series([1.0] * 2), pd.DataFrame(index=[0, 1])).n
        array([2])
        """
        keep = values.notna().to_numpy()
        y = values.to_numpy(float)[keep]
        w = weights.to_numpy(float)[keep]
        keys = pd.DataFrame(  # the index: without domains, the columns give no length
            {c: codes_text(domains[c]).fillna("").to_numpy(object)[keep] for c in domains},
            index=pd.RangeIndex(int(keep.sum())),
        )
        by = list(domains.columns) or ["_all"]
        keys = keys.assign(_all="", _t=w * y, _w=w, _n=1)
        grouped = keys.groupby(by, sort=True)
        summed = grouped[["_t", "_w", "_n"]].sum().reset_index()
        answers = pd.DataFrame({"atom": grouped.ngroup().to_numpy(), "w": w, "y": y})
        bounds = (float(y.min()), float(y.max())) if y.size else (0.0, 0.0)
        integral = bool(y.size == 0 or np.allclose(y, np.round(y)))
        return cls(
            summed[list(domains.columns)].astype(str),
            summed["_t"].to_numpy(float),
            summed["_w"].to_numpy(float),
            summed["_n"].to_numpy(int),
            bounds,
            integral,
            answers,
        )

    def insiders(self, target: np.ndarray) -> list[tuple[int, float, float]]:
        """``(atom, weight, answer)`` of every respondent of the ``target`` atoms, each
        distinct one once: the attackers who know one answer of the target.

        >>> a = Atoms.of(pd.Series([1.0, 2, 2]), pd.Series([1.0] * 3),
        ...              pd.DataFrame({"g": [1, 1, 2]}))
        >>> a.insiders(np.array([True, True]))
        [(0, 1.0, 1.0), (0, 1.0, 2.0), (1, 1.0, 2.0)]
        """
        if self.answers is None:
            atoms = np.flatnonzero(target)
            return [(int(i), float(self.weight[i]), float(self.total[i] / self.weight[i]))
                    for i in atoms if self.weight[i] > 0]  # fmt: skip
        inside = self.answers[target[self.answers["atom"].to_numpy()]].drop_duplicates()
        return [(int(a), float(w), float(y)) for a, w, y in inside.itertuples(index=False)]

    def cell(self, domain: str, value: str) -> np.ndarray:
        """Which atoms make the cell (``domain == "overall"``: all of them)."""
        if domain == "overall" or domain not in self.keys.columns:
            return np.ones(len(self.total), bool)
        return (self.keys[domain] == value).to_numpy()


def interval(
    atoms: Atoms,
    members: np.ndarray,
    published: np.ndarray,
    target: np.ndarray,
    insider: tuple[int, float, float] | None = None,
) -> tuple[float, float]:
    """The least and largest total of the ``target`` atoms an attacker finds from the
    published cells (``members[published]`` rows, their totals known exactly); an
    ``insider`` ``(atom, weight, answer)`` knows its own answer too.

    >>> a = Atoms.of(pd.Series([5.0, 6, 7, 8]), pd.Series([1.0] * 4),
    ...              pd.DataFrame({"g": [1, 2, 3, 3]}))
    >>> m = np.array([[True] * 3, [True, False, False], [False, True, False],
    ...               [False, False, True]])
    >>> interval(a, m, np.array([True, True, False, False]), m[2])  # one answer is 5 to 8
    (5.0, 8.0)
    >>> interval(a, m, np.array([True, True, True, False]), m[3])  # differencing
    (15.0, 15.0)
    >>> interval(a, m, np.array([True, True, False, False]), m[3], insider=(2, 1.0, 7.0))
    (13.0, 15.0)
    """
    lo_w = atoms.bounds[0] * atoms.weight
    hi_w = atoms.bounds[1] * atoms.weight
    if insider is not None:  # the rest of its atom still ranges over the answers' range
        atom, w, y = insider
        lo_w[atom] = w * y + atoms.bounds[0] * (atoms.weight[atom] - w)
        hi_w[atom] = w * y + atoms.bounds[1] * (atoms.weight[atom] - w)
    a_eq = members[published].astype(float)
    b_eq = a_eq @ atoms.total
    limits = list(zip(lo_w, hi_w, strict=True))
    c = target.astype(float)
    out = []
    for sign in (1.0, -1.0):
        got = linprog(sign * c, A_eq=a_eq if len(a_eq) else None,
                      b_eq=b_eq if len(a_eq) else None, bounds=limits,
                      method="highs")  # fmt: skip
        if got.status != 0:  # the true totals are feasible; a solver failure counts as exposed
            return float(c @ atoms.total), float(c @ atoms.total)
        out.append(sign * float(got.fun))
    return out[0], out[1]


def needed_width(atoms: Atoms, target: np.ndarray, rules: DisclosureRules) -> float:
    """The narrowest interval that protects the target's total: ``2 max(p% |T|, unit)``.

    >>> a = Atoms.of(pd.Series([5.0, 6, 7]), pd.Series([1.0] * 3), pd.DataFrame({"g": [1, 2, 3]}))
    >>> needed_width(a, np.array([True, False, False]), DisclosureRules())
    2.0
    """
    total = float(atoms.total[target].sum())
    n = max(int(atoms.n[target].sum()), 1)
    mean_weight = float(atoms.weight[target].sum()) / n
    step = 1.0 if atoms.integral else rules.p_percent / 100 * (atoms.bounds[1] - atoms.bounds[0])
    return 2 * max(rules.p_percent / 100 * abs(total), step * mean_weight)


def targets(
    rows: pd.DataFrame, atoms: Atoms, members: np.ndarray, rules: DisclosureRules
) -> list[np.ndarray]:
    """The atom sets to protect: every cell suppressed for its size, and every union of up to
    :data:`MAX_UNION` of them in one domain whose respondents are still under ``min_cell``."""
    primary = rows["reason"].isin(primary_reasons(rules.min_cell)).to_numpy()
    small = primary & (rows["n"].to_numpy() > 0)
    out = [members[i] for i in np.flatnonzero(small)]
    for _, part in rows[small].groupby("domain", sort=False):
        where = [rows.index.get_loc(i) for i in part.index]
        for size in range(2, min(MAX_UNION, len(where)) + 1):
            for combo in itertools.combinations(where, size):
                union = members[list(combo)].any(axis=0)
                if atoms.n[union].sum() < rules.min_cell:
                    out.append(union)
    return out


def protect(rows: pd.DataFrame, atoms: Atoms, rules: DisclosureRules) -> list[int]:
    """Positions of ``rows`` (one indicator and wave: the overall row and every domain's
    cells, with ``domain``, ``domain_value``, ``n``, ``suppressed``, ``reason``) to suppress
    as complements so that every target keeps :func:`needed_width`."""
    members = np.array(
        [atoms.cell(d, str(v)) for d, v in zip(rows["domain"], rows["domain_value"], strict=True)]
    ).reshape(len(rows), len(atoms.total))
    hidden = rows["suppressed"].to_numpy(bool) | (rows["n"].to_numpy() == 0)
    sensitive = targets(rows, atoms, members, rules)
    if not sensitive:
        return []
    added: list[int] = []
    overall = (rows["domain"] == "overall").to_numpy()
    for target in sensitive:
        need = needed_width(atoms, target, rules)
        while _width(atoms, members, ~hidden, target) < need - 1e-9:
            choice = _complement(atoms, members, hidden, overall, target, need)
            if choice is None:
                break
            hidden[choice] = True
            added.append(choice)
    return added


def _width(atoms: Atoms, members: np.ndarray, published: np.ndarray, target: np.ndarray) -> float:
    """The narrowest interval of the target's total that any respondent of it finds (one
    that knows its own answer: the p% rule's attacker); an outsider finds no narrower."""
    widths = [np.subtract(*interval(atoms, members, published, target, i)[::-1])
              for i in atoms.insiders(target)]  # fmt: skip
    if not widths:
        low, high = interval(atoms, members, published, target)
        return high - low
    return float(min(widths))


def _complement(
    atoms: Atoms,
    members: np.ndarray,
    hidden: np.ndarray,
    overall: np.ndarray,
    target: np.ndarray,
    need: float,
) -> int | None:
    """The published cell to suppress next: the smallest that protects the target alone,
    else the one that widens its interval most (the overall row last of all)."""
    sizes = members.astype(float) @ atoms.n
    candidates = [i for i in np.argsort(sizes, kind="stable") if not hidden[i]]
    candidates = [i for i in candidates if not overall[i]] + [i for i in candidates if overall[i]]
    best, best_width = None, -math.inf
    for i in candidates:
        trial = ~hidden
        trial[i] = False
        width = _width(atoms, members, trial, target)
        if width >= need - 1e-9:
            return int(i)
        if width > best_width + 1e-9:
            best, best_width = int(i), width
    return best


def dominated(rows: pd.DataFrame, atoms: Atoms, rules: DisclosureRules) -> list[int]:
    """Positions of the rows (one indicator and wave; published, or withheld for their CV,
    which does not stop subtraction) of a magnitude (a total or a mean, not a proportion)
    that one respondent dominates under the p% rule: with the
    respondents' contributions ``|w y|`` sorted, ``x1 >= x2 >= ...``, the cell is sensitive when
    ``x3 + x4 + ... < p% x1``, for the second-largest respondent, who knows its own ``x2``,
    would then place the largest within ``p%`` (Hundepool et al., 2012, §4.2.2).

    >>> a = Atoms.of(pd.Series([5000.0] + [10.0] * 11), pd.Series([1.0] * 12),
    ...              pd.DataFrame({"g": [1] * 12}))
    >>> rows = pd.DataFrame({"domain": ["overall"], "domain_value": [""], "n": [12],
    ...                      "statistic": ["total"], "reason": [""]})
    >>> dominated(rows, a, DisclosureRules())
    [0]
    >>> a = Atoms.of(pd.Series([500.0] + [10.0] * 11), pd.Series([1.0] * 12),
    ...              pd.DataFrame({"g": [1] * 12}))
    >>> dominated(rows, a, DisclosureRules())
    []
    """
    if atoms.answers is None:
        return []
    atom = atoms.answers["atom"].to_numpy()
    size = np.abs(atoms.answers["w"].to_numpy() * atoms.answers["y"].to_numpy())
    out = []
    primary = primary_reasons(rules.min_cell)
    cells = zip(rows["domain"], rows["domain_value"], rows["statistic"], rows["reason"],
                strict=True)  # fmt: skip
    for position, (domain, value, statistic, reason) in enumerate(cells):
        if reason in primary or statistic == "proportion":  # (a CV suppression is no shield)
            continue
        inside = np.sort(size[atoms.cell(domain, str(value))[atom]])[::-1]
        if inside.size >= 2 and inside[2:].sum() < rules.p_percent / 100 * inside[0]:
            out.append(position)
    return out


def dominance_suppression(
    table: pd.DataFrame, atoms: Mapping[tuple[str, str], Atoms], rules: DisclosureRules
) -> pd.DataFrame:
    """``table`` (the ``indicators`` rows) with every cell :func:`dominated` suppressed
    (reason :data:`DOMINANT`: a primary suppression the audit then protects)."""
    return _suppress(table, atoms, rules, dominated, DOMINANT)


def audit_indicators(
    table: pd.DataFrame,
    atoms: Mapping[tuple[str, str], Atoms],
    rules: DisclosureRules,
) -> pd.DataFrame:
    """``table`` (the ``indicators`` rows) with the complements every (indicator, wave) needs
    suppressed (reason :data:`COMPLEMENTARY`); ``atoms`` by ``(indicator, wave)``."""
    return _suppress(table, atoms, rules, protect, COMPLEMENTARY)


def _suppress(
    table: pd.DataFrame,
    atoms: Mapping[tuple[str, str], Atoms],
    rules: DisclosureRules,
    rule: Callable[[pd.DataFrame, Atoms, DisclosureRules], list[int]],
    reason: str,
) -> pd.DataFrame:
    """``table`` with the rows ``rule`` picks in each (indicator, wave) suppressed for
    ``reason`` and blanked."""
    table = table.copy()
    for (indicator, wave), rows in table.groupby(["indicator", "wave"], sort=False):
        found = atoms.get((str(indicator), str(wave)))
        if found is None:
            continue
        for position in rule(rows, found, rules):
            table.loc[rows.index[position], ["suppressed", "reason"]] = [True, reason]
    return blank_suppressed(table)


def atoms_of(
    data: pd.DataFrame, weights: pd.Series, indicator: str, domains: Sequence[str]
) -> Atoms:
    """The :class:`Atoms` of one indicator from a wave's scored data and final weights."""
    present = [d for d in domains if d in data.columns]
    return Atoms.of(data[indicator], weights, data[present])
