"""What a program may see of its peers: averages of several programs, never one program's value.

The rule (the study's ``[disclosure]``: ``peer_k``, ``peer_digits``, ``p_percent``,
``min_peers``), applied to every figure drawn from other programs' answers:

- A figure is published for a group only when at least ``min_peers + 1`` programs of the group
  answered (the program and ``min_peers`` others).
- A quartile is published as the **mean of the** ``peer_k`` **values nearest its position** in
  the sorted values (position ``q (n - 1)``), rounded to ``peer_digits`` significant digits.
  The three windows (25th percentile, median, 75th percentile) must not overlap, so two
  figures never differ by one program; when they would, only the median is published.
- Each window is audited against an attacker stronger than any program: one who knows every
  value of the group outside the window exactly, one value inside it (its own) and the window's
  exact sum (no rounding). A window is withheld when that attacker could bound another
  program's value to an interval narrower than ``p_percent`` of the value (at least one unit of
  an integer answer): the p% rule of magnitude tables applied to one program's value
  (Hundepool et al., *Statistical Disclosure Control*, 2012, §4.2.2).
- A yes/no answer is published as the **count** of programs of the group answering yes, and
  only when at least ``peer_k`` programs answered yes and ``peer_k`` answered no, so that no
  coalition of fewer than ``peer_k`` programs can tell how any other program answered
  (k-anonymity, Sweeney 2002, applied to the group's answers). Never quartiles of 0/1 values.
- A program's place in its group is published only as a quarter (bottom, second, third, top),
  from the mid-rank percentile ``100 (below + equal / 2) / n`` among the programs that
  answered.

Reasons never reveal values: a figure is withheld "to protect the programs' answers" whatever
the cause, or because too few programs answered.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ci_eval.results.disclosure import DisclosureRules

QUARTILES = (0.25, 0.5, 0.75)
PROTECT = "withheld to protect the programs' answers"
BANDS = ("bottom", "second", "third", "top")
"""The quarters a program's place in its group is published in (lowest values first)."""


def too_few(rules: DisclosureRules) -> str:
    """The reason of a figure withheld for the group's size (the size is published anyway).

    >>> too_few(DisclosureRules())
    'fewer than 6 programs answered'
    """
    return f"fewer than {rules.min_group} programs answered"


@dataclass(frozen=True)
class PeerFigures:
    """What a group shows of one indicator: ``n`` programs answered; for a number, quartile
    averages or else the average of all; for a yes/no answer, a count of yes (NaN: withheld)."""

    n: int
    average: float
    p25: float
    median: float
    p75: float
    yes: float
    suppressed: bool
    reason: str


def round_significant(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant digits (half away from zero).

    >>> round_significant(31.666, 2), round_significant(4992.0, 2), round_significant(0.6349, 2)
    (32.0, 5000.0, 0.63)
    >>> round_significant(0.0, 2), round_significant(-2.25, 2)
    (0.0, -2.3)
    """
    if value == 0 or not math.isfinite(value):
        return float(value)
    step = rounding_step(value, digits)
    places = max(0, -math.floor(math.log10(step)))
    return float(math.copysign(round(math.floor(abs(value) / step + 0.5) * step, places), value))


def rounding_step(value: float, digits: int) -> float:
    """The unit of the last published digit of ``value`` (0 for 0).

    >>> rounding_step(31.666, 2), rounding_step(0.6349, 2), rounding_step(4992, 2)
    (1.0, 0.01, 100.0)
    """
    if value == 0 or not math.isfinite(value):
        return 0.0
    exponent = math.floor(math.log10(abs(value))) - digits + 1
    return float(10.0**exponent) if exponent < 0 else float(10**exponent)


def rounding_interval(shown: float, digits: int) -> tuple[float, float]:
    """Every value that :func:`round_significant` publishes as ``shown``: half a step either
    side, the step below being ten times finer when ``shown`` is a power of ten (9.96 is
    published as 10, 9.94 as 9.9).

    >>> rounding_interval(42.0, 2), rounding_interval(10.0, 2), rounding_interval(0.0, 2)
    ((41.5, 42.5), (9.95, 10.5), (0.0, 0.0))
    >>> rounding_interval(-10.0, 2)
    (-10.5, -9.95)
    """
    if shown < 0:
        low, high = rounding_interval(-shown, digits)
        return -high, -low
    step = rounding_step(shown, digits)
    high = shown + step / 2
    low = shown - step / 2
    if rounding_step(low, digits) < step:  # the values below are rounded to a finer step
        low = shown - rounding_step(low, digits) / 2
    return float(low), float(high)


def window(n: int, q: float, k: int) -> tuple[int, int]:
    """``[start, stop)`` of the ``k`` sorted positions nearest the ``q`` quantile's position
    ``q (n - 1)`` (ties towards the lower values).

    >>> window(5, 0.5, 3), window(5, 0.25, 3), window(12, 0.75, 3), window(6, 0.5, 3)
    ((1, 4), (0, 3), (7, 10), (1, 4))
    """
    position = q * (n - 1)
    start = math.ceil(position - (k - 1) / 2 - 0.5)
    start = min(max(start, 0), n - k)
    return start, start + k


def quartile_windows(n: int, k: int) -> dict[float, tuple[int, int]]:
    """The windows published for ``n`` values: all three quartiles when they do not overlap,
    else the median alone.

    >>> quartile_windows(12, 3)
    {0.5: (4, 7)}
    >>> quartile_windows(13, 3)
    {0.25: (2, 5), 0.5: (5, 8), 0.75: (8, 11)}
    """
    windows = {q: window(n, q, k) for q in QUARTILES}
    spans = sorted(windows.values())
    if all(a[1] <= b[0] for a, b in itertools.pairwise(spans)):
        return windows
    return {0.5: windows[0.5]}


def attacker_bounds(
    values: np.ndarray,
    spans: Sequence[tuple[int, int]],
    sums: Sequence[tuple[float, float]],
    bounds: tuple[float, float],
    own: np.ndarray | None = None,
    rank: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What a program can derive about the others: ``low[r, t]``, ``high[r, t]`` bound the
    ``t``-th smallest of the ``n`` values for a program holding ``own[r]`` at sorted position
    ``rank[r]`` (default: each value at its own position; 2-D ``own`` and ``rank``, one column
    per member: a coalition of programs pooling their values), which knows the values' range
    ``bounds`` and that the sum of each window ``spans[j]`` lies in ``sums[j]`` (the published
    average's rounding interval); ``feasible[r]`` is False when no data fit that position.

    This is the linear program the attacker would solve, in closed form for its chain
    structure: every value is bounded by the values beside it (at least the attacker's own
    value above it; above a window, at least the smallest largest value that the window's
    lower sum allows; symmetrically below), and a value pushed up to ``v`` forces every larger
    value of a window to at least ``v``, which the window's upper sum must allow. Checked
    against :func:`scipy.optimize.linprog` in the tests.

    >>> lo, hi, ok = attacker_bounds(np.array([1.0, 2, 3]), [(0, 3)], [(6.0, 6.0)], (0.0, 10.0))
    >>> lo[0].round(6).tolist(), hi[0].round(6).tolist(), ok.tolist()
    ([1.0, 1.0, 2.5], [1.0, 2.5, 4.0], [True, True, True])
    """
    n = values.size
    pos = np.arange(n)
    own = values.astype(float) if own is None else np.asarray(own, float)
    rank = pos if rank is None else np.asarray(rank, int)
    own, rank = own.reshape(own.shape[0], -1), rank.reshape(rank.shape[0], -1)
    rows = np.arange(own.shape[0])
    lower = np.full((own.shape[0], n), float(bounds[0]))
    upper = np.full((own.shape[0], n), float(bounds[1]))
    for j in range(own.shape[1]):  # each value the attacker (or coalition) holds
        mine, at = own[:, j : j + 1], rank[:, j : j + 1]
        lower = np.where(pos[None, :] > at, np.maximum(lower, mine), lower)
        upper = np.where(pos[None, :] < at, np.minimum(upper, mine), upper)
    for j in range(own.shape[1]):
        lower[rows, rank[:, j]] = own[:, j]
        upper[rows, rank[:, j]] = own[:, j]
    in_block = np.zeros((len(spans), n), bool)
    for j, (start, stop) in enumerate(spans):
        in_block[j, start:stop] = True
    cap = _cap_value(values, sums)
    for _ in range(4 * len(spans) + 1):
        before = (lower.copy(), upper.copy())
        for j, (span, total) in enumerate(zip(spans, sums, strict=True)):
            lower, upper = _propagate(lower, upper, in_block[j], span, total, cap)
        lower = np.maximum.accumulate(lower, axis=1)
        upper = np.minimum.accumulate(upper[:, ::-1], axis=1)[:, ::-1]
        if np.array_equal(before[0], lower) and np.array_equal(before[1], upper):
            break
    feasible = (lower <= upper + 1e-9).all(axis=1) & _in_order(own, rank)
    for j, (low_sum, high_sum) in enumerate(sums):
        feasible &= lower[:, in_block[j]].sum(-1) <= high_sum + 1e-9
        feasible &= (
            np.where(np.isfinite(upper), upper, cap)[:, in_block[j]].sum(-1) >= low_sum - 1e-9
        )
    upper_c = np.where(np.isfinite(upper), upper, cap)
    lower_c = np.minimum(lower, upper_c)
    high = _extreme(lower_c, upper_c, in_block, sums, top=True)
    low = _extreme(lower_c, upper_c, in_block, sums, top=False)
    high = np.where(high >= cap * 0.999, np.inf, high)
    return low, high, feasible


def _in_order(own: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Per row, whether the held values fit their positions (a lower position, no larger).

    >>> _in_order(np.array([[1.0, 2.0], [3.0, 2.0]]), np.array([[0, 1], [0, 1]])).tolist()
    [True, False]
    """
    order = np.argsort(rank, axis=1, kind="stable")
    held = np.take_along_axis(own, order, axis=1)
    return (np.diff(held, axis=1) >= -1e-9).all(axis=1)


def _cap_value(values: np.ndarray, sums: Sequence[tuple[float, float]]) -> float:
    """A finite stand-in for an infinite upper bound (far above anything feasible)."""
    return float(np.abs(values).max() + sum(abs(b) for _, b in sums) + 1.0) * 4.0


def _propagate(
    lower: np.ndarray,
    upper: np.ndarray,
    block: np.ndarray,
    span: tuple[int, int],
    total: tuple[float, float],
    cap: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One window's bounds on the values around it: everything above it is at least the
    smallest largest value its lower sum allows, everything below at most the largest
    smallest value its upper sum allows."""
    start, stop = span
    capped = np.where(np.isfinite(upper), upper, cap)
    inside_hi, inside_lo = upper[:, block], lower[:, block]

    def reaches(m: np.ndarray) -> np.ndarray:
        return np.minimum(m[:, None], inside_hi).sum(-1) >= total[0] - 1e-9

    def fits(m: np.ndarray) -> np.ndarray:
        return np.maximum(m[:, None], inside_lo).sum(-1) <= total[1] + 1e-9

    top = _bisect_rows(lower[:, stop - 1], capped[:, stop - 1], reaches, top=False)
    bottom = _bisect_rows(lower[:, start], capped[:, start], fits, top=True)
    lower, upper = lower.copy(), upper.copy()
    lower[:, stop:] = np.maximum(lower[:, stop:], top[:, None])
    upper[:, :start] = np.minimum(upper[:, :start], bottom[:, None])
    return lower, upper


def _bisect_rows(a: np.ndarray, b: np.ndarray, ok: object, *, top: bool) -> np.ndarray:
    """Per row, the largest (``top``) or smallest ``m`` in ``[a, b]`` with ``ok(m)`` true
    (monotone); the bound itself when no ``m`` qualifies (the data are feasible)."""
    a, b = a.astype(float).copy(), np.maximum(b.astype(float), a)
    end = b.copy() if top else a.copy()
    done = ok(end)
    for _ in range(32):
        mid = (a + b) / 2
        good = ok(mid)
        if top:
            a, b = np.where(good, mid, a), np.where(good, b, mid)
        else:
            a, b = np.where(good, a, mid), np.where(good, mid, b)
    return np.where(done, end, a if top else b)


def _extreme(
    lower: np.ndarray,
    upper: np.ndarray,
    in_block: np.ndarray,
    sums: Sequence[tuple[float, float]],
    *,
    top: bool,
) -> np.ndarray:
    """Largest (``top``) or smallest value of each target for each attacker, by bisection
    on all (attacker, target) pairs at once (arrays ``[attacker, target, position]``)."""
    n = lower.shape[1]
    pos = np.arange(n)
    # positions that move with the target: above it (pushed up) or below it (pulled down)
    moves = (pos[None, :] >= pos[:, None]) if top else (pos[None, :] <= pos[:, None])
    moves = moves[None, :, :]
    fixed = (lower if top else upper)[:, None, :]

    def ok(v: np.ndarray) -> np.ndarray:
        vv = v[:, :, None]
        good = np.ones(v.shape, bool)
        for j, (a_sum, b_sum) in enumerate(sums):
            if top:
                least = np.where(moves, np.maximum(vv, fixed), fixed)
                good &= least[:, :, in_block[j]].sum(-1) <= b_sum + 1e-9
            else:
                most = np.where(moves, np.minimum(vv, fixed), fixed)
                good &= most[:, :, in_block[j]].sum(-1) >= a_sum - 1e-9
        return good

    return _bisect_rows(lower, upper, ok, top=top)


def protection_width(value: float, rules: DisclosureRules, unit: float) -> float:
    """The narrowest interval an attacker may have for a program's value: ``p_percent`` of
    it, and at least ``unit`` (one unit of an integer answer).

    >>> rules = DisclosureRules()
    >>> protection_width(42.0, rules, 1.0), protection_width(3.0, rules, 1.0)
    (4.2, 1.0)
    """
    return max(rules.p_percent / 100.0 * abs(value), unit)


def protected(
    values: np.ndarray,
    spans: Sequence[tuple[int, int]],
    bounds: tuple[float, float],
    rules: DisclosureRules,
    integral: bool,
) -> bool:
    """Whether publishing the windows ``spans`` of the sorted ``values`` (averages rounded to
    ``peer_digits`` significant digits, read back as :func:`rounding_interval`) leaves every
    program's value at least :func:`protection_width` wide for every other program of the
    group, and for every two programs pooling their pages
    (:func:`pairs_to_audit`), each of which knows its own value and its quarter of the group
    (:func:`rank_band`) but not its exact rank (:func:`attacker_bounds`, over every rank its
    quarter and the figures allow)."""
    n = values.size
    sums = []
    for start, stop in spans:
        mean = round_significant(float(values[start:stop].mean()), rules.peer_digits)
        low, high = rounding_interval(mean, rules.peer_digits)
        sums.append(((stop - start) * low, (stop - start) * high))
    unit = 1.0 if integral else rules.p_percent / 100.0 * _scale(values, bounds)
    need = np.minimum([protection_width(v, rules, unit) for v in values], bounds[1] - bounds[0])
    quarter = np.minimum((100.0 * (np.arange(n) + 0.5) / n) // 25, 3)
    bands = [BANDS.index(b) if (b := rank_band(v, values, rules)) else -1 for v in values]
    coalitions = [(a,) for a in range(n)] + pairs_to_audit(spans, rules.peer_k)
    for size in (1, 2):
        group = np.array([c for c in coalitions if len(c) == size])
        if group.size == 0:
            continue
        # first every coalition at its true positions: if even that attacker is held off, so
        # is one that knows only its quarters
        exposed = _exposed(values, spans, sums, bounds, integral, need, group, values[group])
        for members in group[exposed]:
            if n < rules.min_group:
                return False
            options = [
                np.union1d(np.flatnonzero(quarter == bands[m]), [m])
                if bands[m] >= 0
                else np.arange(n)  # no quarter shown: any rank
                for m in members
            ]
            ranks = np.array(list(itertools.product(*options)))
            ranks = ranks[[len(set(r)) == size for r in ranks]]
            held = np.tile(values[members], (len(ranks), 1))
            if not _held_off(values, spans, sums, bounds, integral, need, members, held, ranks):
                return False
    return True


def pairs_to_audit(spans: Sequence[tuple[int, int]], k: int) -> list[tuple[int, int]]:
    """The two-program coalitions that can learn more than each alone: two programs of one
    window of fewer than ``2 k`` values (from the window's sum they know the sum of the fewer
    than ``2 k - 2`` others, a third program's value in a window of ``k = 3``). Two programs
    elsewhere learn only what each learns alone, the order of the values aside, which their
    quarters do not pin.

    >>> pairs_to_audit([(1, 4), (0, 10)], 3)
    [(1, 2), (1, 3), (2, 3)]
    """
    found = set()
    for start, stop in spans:
        if stop - start < 2 * k:
            found |= set(itertools.combinations(range(start, stop), 2))
    return sorted(found)


def _exposed(
    values: np.ndarray,
    spans: Sequence[tuple[int, int]],
    sums: Sequence[tuple[float, float]],
    bounds: tuple[float, float],
    integral: bool,
    need: np.ndarray,
    ranks: np.ndarray,
    own: np.ndarray,
) -> np.ndarray:
    """Rows of ``ranks`` (coalitions at their true positions) that bound some other program's
    value more narrowly than ``need``."""
    low, high, _ = attacker_bounds(values, spans, sums, bounds, own, ranks)
    if integral:
        low, high = np.ceil(low - 1e-9), np.floor(high + 1e-9)
    width = high - low
    np.put_along_axis(width, ranks, np.inf, axis=1)
    return (width < need[None, :] - 1e-9).any(axis=1)


def _held_off(
    values: np.ndarray,
    spans: Sequence[tuple[int, int]],
    sums: Sequence[tuple[float, float]],
    bounds: tuple[float, float],
    integral: bool,
    need: np.ndarray,
    members: np.ndarray,
    held: np.ndarray,
    ranks: np.ndarray,
) -> bool:
    """Whether a coalition holding ``members``' values, at any of the ``ranks`` its quarters
    allow, still cannot place the others' values (in their order) within ``need``."""
    n = values.size
    low, high, feasible = attacker_bounds(values, spans, sums, bounds, held, ranks)
    if integral:
        low, high = np.ceil(low - 1e-9), np.floor(high + 1e-9)
    truth = np.array([tuple(r) == tuple(members) for r in ranks])
    others = n - len(members)
    lo_hull, hi_hull = np.full(others, np.inf), np.full(others, -np.inf)
    for row in np.flatnonzero(feasible | truth):
        keep = ~np.isin(np.arange(n), ranks[row])  # the others' positions, in their order
        lo_hull = np.minimum(lo_hull, low[row, keep])
        hi_hull = np.maximum(hi_hull, high[row, keep])
    return bool(((hi_hull - lo_hull) >= np.delete(need, members) - 1e-9).all())


def group_figures(
    values: np.ndarray,
    rules: DisclosureRules,
    *,
    yes_no: bool,
    bounds: tuple[float, float] = (0.0, math.inf),
    integral: bool = False,
) -> PeerFigures:
    """The figures a group shows of one indicator (``values``: the group's answers, the
    program's included; NaN: did not answer).

    Examples
    --------
    >>> rules = DisclosureRules()
    >>> f = group_figures(np.array([19.0, 30, 38, 45, 52, 60]), rules, yes_no=False)
    >>> f.n, f.average, f.median, f.suppressed  # the median of 30, 38, 45 would give 38 away
    (6, 41.0, nan, False)
    >>> group_figures(np.array([19.0, 34, 42, 42, 49]), rules, yes_no=False).reason
    'fewer than 6 programs answered'
    >>> group_figures(np.array([1.0, 1, 1, 0, 0, 0, 1]), rules, yes_no=True).yes
    4.0
    >>> group_figures(np.array([1.0, 1, 1, 1, 1, 0, 0]), rules, yes_no=True).reason
    "withheld to protect the programs' answers"
    """
    answered = np.sort(values[~np.isnan(values)])
    n, nan = int(answered.size), float("nan")
    if n < rules.min_group:
        return withheld(n, too_few(rules))
    if yes_no:
        yes = int((answered > 0.5).sum())
        if min(yes, n - yes) < rules.peer_k:
            return withheld(n, PROTECT)
        return PeerFigures(n, nan, nan, nan, nan, float(yes), False, "")
    windows = quartile_windows(n, rules.peer_k)
    for chosen in (windows, {0.5: windows[0.5]}, {"average": (0, n)}):
        spans = list(chosen.values())
        means = {q: float(answered[a:b].mean()) for q, (a, b) in chosen.items()}
        if protected(answered, spans, bounds, rules, integral):
            shown = {q: round_significant(m, rules.peer_digits) for q, m in means.items()}
            return PeerFigures(
                n,
                shown.get("average", nan),
                shown.get(0.25, nan),
                shown.get(0.5, nan),
                shown.get(0.75, nan),
                nan,
                False,
                "",
            )
    return withheld(n, PROTECT)


def withheld(n: int, reason: str) -> PeerFigures:
    """The figures of a group that shows nothing of an indicator, and why."""
    nan = float("nan")
    return PeerFigures(n, nan, nan, nan, nan, nan, True, reason)


def _scale(values: np.ndarray, bounds: tuple[float, float]) -> float:
    """The size of one answer's range: the bounds' width when finite, else the largest value."""
    if math.isfinite(bounds[1] - bounds[0]):
        return float(bounds[1] - bounds[0])
    return float(max(np.abs(values).max(), 1e-12))


def rank_band(own: float, values: np.ndarray, rules: DisclosureRules) -> str:
    """The quarter of the group a program's value lies in (:data:`BANDS`), or ``""`` when the
    program did not answer, fewer than ``min_peers`` others did, or the group's quarters
    would squeeze another program's value (:func:`bands_hold`).

    >>> rank_band(60.0, np.array([19.0, 34, 42, 42, 49, 60]), DisclosureRules())
    'top'
    >>> rank_band(19.0, np.array([19.0, 34, 42, 42, 49]), DisclosureRules())
    ''
    """
    answered = values[~np.isnan(values)]
    if own is None or math.isnan(own) or answered.size < rules.min_group:
        return ""
    if not bands_hold(answered, rules):
        return ""
    return BANDS[_band_index(np.array([own]), answered)[0]]


def _band_index(own: np.ndarray, answered: np.ndarray) -> np.ndarray:
    """The quarter of each ``own`` value among ``answered`` (mid-rank percentile)."""
    below = (answered[None, :] < own[:, None]).sum(axis=1)
    equal = (answered[None, :] == own[:, None]).sum(axis=1)
    rank = 100.0 * (below + 0.5 * equal) / answered.size
    return np.minimum(rank // 25, 3).astype(int)


def bands_hold(answered: np.ndarray, rules: DisclosureRules) -> bool:
    """Whether the programs' quarters, pooled by two programs, squeeze no third value.

    Two programs whose quarters are two apart know that every program of the quarter between
    lies between their two values (one program alone: between its value and the least
    possible answer, 0 for counts); the quarters are withheld for the whole group when that
    interval is narrower than the p% of any such value (one unit for whole numbers).

    >>> rules = DisclosureRules()
    >>> bands_hold(np.array([19.0, 34, 42, 42, 49, 60]), rules)
    True
    >>> bands_hold(np.array([3.0, 40, 41, 41, 42, 300]), rules)  # 40 and 42 squeeze 41
    False
    """
    band = _band_index(answered, answered)
    integral = bool(np.allclose(answered, np.round(answered)))
    spread = float(np.ptp(answered)) or 1.0
    unit = 1.0 if integral else rules.p_percent / 100.0 * spread
    low = min(0.0, float(answered.min()))
    for upper in range(1, 4):
        if not (band == upper).any():
            continue
        top = float(answered[band == upper].min())
        for lower in range(-1, upper - 1):
            if lower >= 0 and not (band == lower).any():
                continue
            bottom = low if lower < 0 else float(answered[band == lower].max())
            between = answered[(band > lower) & (band < upper)]
            if between.size == 0:
                continue
            need = max(rules.p_percent / 100.0 * float(np.abs(between).max()), unit)
            if top - bottom < need - 1e-9:
                return False
    return True
