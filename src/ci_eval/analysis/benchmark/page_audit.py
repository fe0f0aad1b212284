"""The private pages audited together with the public tables: no group figure may bring back a
cell the public tables suppress.

A program's page publishes sums over its peer group (each quartile is the mean of a window of
the group's sorted answers, the average is the mean of all of them, a yes/no practice is a
count), and the same programs are inside the public cells by region and by size. A group that
is most of a suppressed cell (dedicated mentoring organisations of the Atlantic region, most of
the Atlantic programs) gives that cell away through its sum: the public audit
(:mod:`ci_eval.analysis.disclosure_audit`) alone cannot see it.

The attacker is the public audit's (every published cell's total exactly, every program's
region and size, the range of one answer) plus one page: a program of the group that knows its
own answer, the set of programs behind each published window (it is told the order of the
group's answers) and each window's sum within the figure's rounding (:func:`rounding_interval`).
For every sensitive public target (a cell suppressed for its size, a union of such cells under
``min_cell``), the least and largest total that attacker finds is a linear program
(:func:`scipy.optimize.linprog`; for a yes/no practice, whose answers are 0 or 1, an integer
program, :func:`scipy.optimize.milp`). A group's figures of an indicator and wave are withheld
(reason: to protect the programs' answers) when one of its programs would narrow a target
below the public audit's width (:func:`~ci_eval.analysis.disclosure_audit.needed_width`).

Programs outside the group enter the program only through the sum of the programs sharing
their cells and weight (the same problem, exactly, with far fewer variables). An attacker that
knows every member's answer is stronger than any one member: when even that one is held off,
no member is tried on its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from ci_eval.analysis.benchmark.disclosure import (
    PeerFigures,
    quartile_windows,
    rounding_interval,
)
from ci_eval.analysis.codes import codes_text
from ci_eval.analysis.disclosure_audit import Atoms, needed_width, targets
from ci_eval.results.disclosure import DisclosureRules
from ci_eval.toc.schema import ToCModel


@dataclass(frozen=True)
class PublicCells:
    """What the public tables give of one indicator and wave, program by program.

    ``ids`` are the programs with a value, ``y`` their answers and ``w`` their weights;
    ``published`` has one row per published cell (which programs it holds), ``targets`` one
    row per sensitive cell or union and ``needs`` the width each must keep; ``keys`` the
    programs' codes of every domain (programs with the same codes and weight are alike to the
    attacker); ``binary`` whether the answers are 0 or 1.
    """

    ids: np.ndarray
    y: np.ndarray
    w: np.ndarray
    keys: np.ndarray
    published: np.ndarray
    targets: np.ndarray
    needs: np.ndarray
    bounds: tuple[float, float]
    binary: bool

    @classmethod
    def of(
        cls,
        data: pd.DataFrame,
        weights: pd.Series,
        ids: pd.Series,
        indicator: str,
        domains: Sequence[str],
        rows: pd.DataFrame,
        rules: DisclosureRules,
    ) -> PublicCells:
        """The cells of ``rows`` (one indicator and wave of ``indicators``) over the programs of
        ``data`` (``ids`` their program ids, ``weights`` their final weights).

        >>> data = pd.DataFrame({"x": [1.0, 2, 3, 4], "g": [1, 1, 2, 2]})
        >>> rows = pd.DataFrame({"domain": ["overall", "g", "g"], "domain_value": ["", "1", "2"],
        ...                      "n": [4, 2, 2], "suppressed": [False, True, True],
        ...                      "reason": ["", "n < 10", "n < 10"]})
        >>> cells = PublicCells.of(data, pd.Series([1.0] * 4), pd.Series(list("ABCD")), "x",
        ...                        ["g"], rows, DisclosureRules())
        >>> cells.published.astype(int).tolist(), cells.targets.astype(int).tolist()
        ([[1, 1, 1, 1]], [[1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]])
        """
        present = [d for d in domains if d in data.columns]
        keep = data[indicator].notna().to_numpy()
        y = data[indicator].to_numpy(float)[keep]
        w = weights.to_numpy(float)[keep]
        codes = pd.DataFrame(
            {d: codes_text(data[d]).fillna("").to_numpy(object)[keep] for d in present},
            index=pd.RangeIndex(int(keep.sum())),
        )
        one_each = Atoms(  # every program an atom of its own: the public audit's rules apply
            codes.astype(str),
            w * y,
            w,
            np.ones(y.size, int),
            (float(y.min()), float(y.max())) if y.size else (0.0, 0.0),
            bool(y.size == 0 or np.allclose(y, np.round(y))),
        )
        cells = zip(rows["domain"], rows["domain_value"], strict=True)
        members = np.array([one_each.cell(d, str(v)) for d, v in cells])
        members = members.reshape(len(rows), y.size)
        shown = ~rows["suppressed"].to_numpy(bool) & (rows["n"].to_numpy() > 0)
        sensitive = np.array(targets(rows.reset_index(drop=True), one_each, members, rules))
        sensitive = sensitive.reshape(-1, y.size)
        keys = codes.astype(str).agg("/".join, axis=1).to_numpy(object) if present else (
            np.full(y.size, "", object))  # fmt: skip
        return cls(
            ids.astype(str).to_numpy(object)[keep],
            y,
            w,
            keys,
            members[shown],
            sensitive,
            np.array([needed_width(one_each, t, rules) for t in sensitive]),
            one_each.bounds,
            bool(y.size > 0 and np.isin(y, (0.0, 1.0)).all()),
        )


@dataclass(frozen=True)
class PageSum:
    """One published group figure as the attacker reads it: the sum of ``programs``' answers
    lies in ``[low, high]``."""

    programs: tuple[str, ...]
    low: float
    high: float


def page_sums(
    ids: Sequence[str], values: np.ndarray, figures: PeerFigures, rules: DisclosureRules
) -> list[PageSum]:
    """The sums a group's published ``figures`` give (``ids`` and ``values``: the group's
    programs and answers, NaN for no answer), each window a known set of programs.

    >>> rules = DisclosureRules()
    >>> f = PeerFigures(6, 41.0, float("nan"), float("nan"), float("nan"), float("nan"), False, "")
    >>> s = page_sums(list("ABCDEF"), np.array([19.0, 30, 38, 45, 52, 60]), f, rules)
    >>> [(len(p.programs), p.low, p.high) for p in s]
    [(6, 243.0, 249.0)]
    """
    if figures.suppressed:
        return []
    answered = ~np.isnan(values)
    order = np.argsort(values[answered], kind="stable")
    sorted_ids = np.asarray(ids, object)[answered][order]
    n = int(answered.sum())
    if not np.isnan(figures.yes):
        return [PageSum(tuple(sorted_ids), figures.yes, figures.yes)]
    windows = quartile_windows(n, rules.peer_k)
    shown = [(windows.get(q), m) for q, m in ((0.25, figures.p25), (0.5, figures.median),
                                              (0.75, figures.p75))]  # fmt: skip
    shown.append(((0, n), figures.average))
    out = []
    for span, mean in shown:
        if span is None or np.isnan(mean):
            continue
        low, high = rounding_interval(mean, rules.peer_digits)
        k = span[1] - span[0]
        out.append(PageSum(tuple(sorted_ids[span[0] : span[1]]), k * low, k * high))
    return out


def exposed(cells: PublicCells, group: Sequence[str], sums: Sequence[PageSum]) -> bool:
    """Whether one program of ``group`` (which published ``sums``), holding its own answer,
    narrows a sensitive target of ``cells`` below its width.

    >>> data = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6], "g": [1, 1, 1, 2, 2, 2]})
    >>> rows = pd.DataFrame({"domain": ["g", "g"], "domain_value": ["1", "2"], "n": [3, 3],
    ...                      "suppressed": [True, True], "reason": ["n < 10", "n < 10"]})
    >>> cells = PublicCells.of(data, pd.Series([1.0] * 6), pd.Series(list("ABCDEF")), "x",
    ...                        ["g"], rows, DisclosureRules())
    >>> exposed(cells, list("ABC"), [PageSum(tuple("ABC"), 6.0, 6.0)])  # the g=1 total
    True
    >>> exposed(cells, list("ABC"), [])
    False
    """
    index = {p: i for i, p in enumerate(cells.ids)}
    inside = [index[p] for p in group if p in index]
    if not inside or not len(cells.targets):
        return False
    everyone = dict.fromkeys(inside)
    if not _narrows(cells, inside, sums, everyone):  # all members' answers known: held off
        return False
    return any(_narrows(cells, inside, sums, {a: None}) for a in inside)


def _narrows(
    cells: PublicCells, group: Sequence[int], sums: Sequence[PageSum], fixed: Mapping[int, None]
) -> bool:
    """Whether an attacker knowing the ``fixed`` programs' answers narrows some target."""
    problem = _Problem(cells, group, sums, fixed)
    for target, need in zip(cells.targets, cells.needs, strict=True):
        low, high = problem.interval(target)
        if high - low < need - 1e-9:
            return True
    return False


class _Problem:
    """The attacker's linear program: one variable per free program of the group, one per set
    of other programs alike to the attacker (their sum), the known answers moved to the
    right-hand side."""

    def __init__(
        self,
        cells: PublicCells,
        group: Sequence[int],
        sums: Sequence[PageSum],
        fixed: Mapping[int, None],
    ) -> None:
        n = cells.y.size
        known = np.zeros(n, bool)
        known[list(fixed)] = True
        alone = np.zeros(n, bool)
        alone[list(group)] = True
        column = np.full(n, -1)
        names: dict[tuple, int] = {}
        for i in np.flatnonzero(~known):
            key = ("p", i) if alone[i] else ("a", cells.keys[i], cells.w[i])
            column[i] = names.setdefault(key, len(names))
        m = np.zeros((n, len(names)))
        m[~known, column[~known]] = 1.0
        size = m.sum(axis=0)
        self.spread = m / np.where(size > 0, size, 1.0)  # each program's share of its variable
        self.truth = m.T @ cells.y  # each variable's true value
        self.known, self.cells = known, cells
        wy = cells.w * cells.y
        self.a_eq = (cells.published * cells.w) @ self.spread
        self.b_eq = cells.published[:, ~known] @ wy[~known]
        index = {p: i for i, p in enumerate(cells.ids)}
        page = np.zeros((len(sums), n), bool)
        for j, s in enumerate(sums):
            page[j, [index[p] for p in s.programs if p in index]] = True
        self.a_ub = page @ self.spread
        shift = page[:, known] @ cells.y[known]
        self.low = np.array([s.low for s in sums]) - shift
        self.high = np.array([s.high for s in sums]) - shift
        self.lb, self.ub = size * cells.bounds[0], size * cells.bounds[1]

    def interval(self, target: np.ndarray) -> tuple[float, float]:
        """The least and largest weighted total of the ``target`` programs."""
        cells, known = self.cells, self.known
        c = (target * cells.w) @ self.spread
        constant = float((target & known) @ (cells.w * cells.y))
        out = [self._solve(sign * c) * sign + constant for sign in (1.0, -1.0)]
        return out[0], out[1]

    def _solve(self, c: np.ndarray) -> float:
        if not c.size:
            return 0.0
        if self.cells.binary:
            constraints = [LinearConstraint(self.a_eq, self.b_eq - 1e-6, self.b_eq + 1e-6)]
            if len(self.a_ub):
                constraints.append(LinearConstraint(self.a_ub, self.low - 1e-9,
                                                    self.high + 1e-9))  # fmt: skip
            got = milp(c, constraints=constraints, integrality=np.ones(c.size),
                       bounds=Bounds(self.lb, self.ub))  # fmt: skip
        else:
            page = len(self.a_ub) > 0
            got = linprog(
                c,
                A_ub=np.vstack([self.a_ub, -self.a_ub]) if page else None,
                b_ub=np.concatenate([self.high + 1e-9, -(self.low - 1e-9)]) if page else None,
                A_eq=self.a_eq if len(self.a_eq) else None,
                b_eq=self.b_eq if len(self.a_eq) else None,
                bounds=list(zip(self.lb, self.ub, strict=True)),
                method="highs",
            )
        if got.status != 0:  # the true answers are feasible: a failure counts as exposed
            return float(c @ self.truth)
        return float(got.fun)


def audit_pages(
    groups: Iterator[tuple[str, str, str, Sequence[str], np.ndarray, PeerFigures]],
    public: Mapping[tuple[str, str], PublicCells],
    rules: DisclosureRules,
) -> set[tuple[str, str, str]]:
    """The ``(wave, peer_group, indicator)`` figures to withhold: those with which one program
    of the group would narrow a sensitive public cell (``groups`` yields ``(wave, label,
    indicator, member ids, their answers, figures)``; ``public`` the cells by ``(indicator,
    wave)``)."""
    out = set()
    for wave, label, indicator, ids, values, figures in groups:
        cells = public.get((indicator, wave))
        if cells is None or figures.suppressed or not len(cells.targets):
            continue
        if exposed(cells, ids, page_sums(ids, values, figures, rules)):
            out.add((wave, label, indicator))
    return out


def public_cells(
    designs: Mapping[tuple[str, str], object],
    model: ToCModel,
    survey: str,
    id_column: str,
    indicators: pd.DataFrame,
    rules: DisclosureRules,
) -> dict[tuple[str, str], PublicCells]:
    """The :class:`PublicCells` of every indicator of ``survey`` and wave the public
    ``indicators`` table holds (``designs``: the weighted designs by ``(survey, wave)``)."""
    out = {}
    for (name, wave), design in sorted(designs.items()):
        if name != survey or id_column not in design.data.columns:
            continue
        for indicator in model.indicators_for(survey):
            rows = indicators[(indicators["indicator"] == indicator.id)
                              & (indicators["wave"] == wave)]  # fmt: skip
            if rows.empty or indicator.id not in design.data.columns:
                continue
            out[(indicator.id, wave)] = PublicCells.of(
                design.data,
                design.weights,
                design.data[id_column],
                indicator.id,
                indicator.disaggregate_by,
                rows,
                rules,
            )
    return out
