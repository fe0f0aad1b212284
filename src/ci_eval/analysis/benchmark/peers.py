"""Peer groups: one fixed partition of a wave's programs into groups of programs alike.

Every program of a wave belongs to exactly one group, the same for every indicator, so that no
two published groups differ by a few programs (which would give those programs away by
difference). The groups are formed by splitting: starting from all programs, a group is split
by the first criterion (``[analysis.benchmark] peer_by``, by default type of organisation,
region, size band) whose categories each hold at least ``min_group`` programs; categories
with fewer are pooled together ("in Atlantic or Territories") and, if the pool is still too
small, pooled with the smallest category. A group is split again by the remaining criteria, in
order, and stays whole when no criterion splits it. A program with no answer to a criterion
stays in the group above.

The previous wave's figures of a group are those of the programs that meet the same criteria
in that wave (:func:`members_in`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ci_eval.analysis.codes import code_sort_key, codes_text

Criteria = tuple[tuple[str, tuple[str, ...]], ...]
"""``((variable, (code, ...)), ...)``: a program is in the group when, for every variable,
its code is one of the codes."""


@dataclass(frozen=True)
class PeerGroup:
    """A peer group: its criteria and its members (program ids, sorted)."""

    criteria: Criteria
    members: tuple[str, ...]

    @property
    def label(self) -> str:
        """The criteria as text: ``org_type=1, region=1+6`` (``all programs`` without any).

        >>> PeerGroup((("region", ("1", "6")),), ("P1",)).label
        'region=1+6'
        >>> PeerGroup((), ()).label
        'all programs'
        """
        parts = [f"{variable}={'+'.join(codes)}" for variable, codes in self.criteria]
        return ", ".join(parts) or "all programs"

    @property
    def variables(self) -> list[str]:
        """The criteria's variables, in order."""
        return [variable for variable, _ in self.criteria]

    @property
    def levels(self) -> list[str]:
        """Each criterion's codes, ``+``-joined (parallel to :attr:`variables`)."""
        return ["+".join(codes) for _, codes in self.criteria]


def peer_partition(
    programs: pd.DataFrame, peer_by: Sequence[str], min_group: int
) -> dict[str, PeerGroup]:
    """Every program's group (program id -> :class:`PeerGroup`); ``programs`` is indexed by
    program id and holds the ``peer_by`` columns.

    Examples
    --------
    >>> p = pd.DataFrame({"region": [1] * 7 + [2] * 6 + [3] * 2, "size": [1, 2] * 7 + [1]},
    ...                  index=[f"P{k:02d}" for k in range(15)])
    >>> groups = peer_partition(p, ["region", "size"], 6)
    >>> sorted({g.label for g in groups.values()})
    ['region=1', 'region=2+3']
    >>> len(groups["P14"].members)
    8
    """
    ids = np.asarray(programs.index.astype(str))
    columns = [c for c in peer_by if c in programs.columns]
    codes = {c: codes_text(programs[c]).to_numpy(object) for c in columns}
    out: dict[str, PeerGroup] = {}
    for criteria, mask in _split(np.ones(ids.size, bool), (), columns, codes, min_group):
        group = PeerGroup(criteria, tuple(sorted(ids[mask])))
        out.update(dict.fromkeys(group.members, group))
    return out


def _split(
    mask: np.ndarray,
    criteria: Criteria,
    columns: list[str],
    codes: dict[str, np.ndarray],
    min_group: int,
) -> list[tuple[Criteria, np.ndarray]]:
    for k, column in enumerate(columns):
        values = codes[column]
        if pd.isna(values[mask]).any():
            continue
        parts = _pooled(values, mask, min_group)
        if len(parts) < 2:
            continue
        rest = columns[:k] + columns[k + 1 :]
        out = []
        for part in parts:
            sub = mask & np.isin(values, list(part))
            out += _split(sub, (*criteria, (column, part)), rest, codes, min_group)
        return out
    return [(criteria, mask)]


def _pooled(values: np.ndarray, mask: np.ndarray, min_group: int) -> list[tuple[str, ...]]:
    """The categories of ``values`` within ``mask``, small ones pooled (see the module)."""
    present, counts = np.unique(values[mask].astype(str), return_counts=True)
    size = dict(zip(present, counts.tolist(), strict=True))
    big = sorted((c for c in present if size[c] >= min_group), key=code_sort_key)
    small = sorted((c for c in present if size[c] < min_group), key=code_sort_key)
    parts = [(c,) for c in big]
    if small:
        pool = tuple(small)
        if sum(size[c] for c in pool) < min_group and parts:
            smallest = min(parts, key=lambda p: (size[p[0]], code_sort_key(p[0])))
            parts.remove(smallest)
            pool = tuple(sorted(pool + smallest, key=code_sort_key))
        parts.append(pool)
    if any(sum(size[c] for c in part) < min_group for part in parts):
        return []
    return parts


def members_in(programs: pd.DataFrame, criteria: Criteria) -> tuple[str, ...]:
    """The programs of ``programs`` (another wave's, indexed by id) that meet ``criteria``.

    >>> p = pd.DataFrame({"region": [1.0, 2.0, 6.0]}, index=["A", "B", "C"])
    >>> members_in(p, (("region", ("1", "6")),))
    ('A', 'C')
    """
    keep = np.ones(len(programs), bool)
    for variable, levels in criteria:
        if variable not in programs.columns:
            return ()
        keep &= codes_text(programs[variable]).isin(levels).to_numpy()
    return tuple(sorted(programs.index[keep].astype(str)))
