"""Peer groups of a program: programs like it, widened until there are enough of them.

The criteria (by default program model / type, region and size band) are tried in full first,
then dropped from the end one at a time (size, then region, then model) until the group holds
at least ``min_peers`` *other* programs with a value of the indicator; the last resort is every
other program. A program never counts as its own peer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ci_eval.analysis.codes import codes_text


@dataclass(frozen=True)
class PeerGroup:
    """The criteria a peer group was formed on, its members (the program excluded) and the
    number of programs that meet the criteria (the program included)."""

    criteria: tuple[tuple[str, str], ...]
    members: tuple[str, ...]
    size: int
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        """``org_type=1, region=3`` or ``all programs``.

        >>> PeerGroup((("region", "3"),), ("P2",), 2).label, PeerGroup((), (), 1).label
        ('region=3', 'all programs')
        """
        return ", ".join(f"{k}={v}" for k, v in self.criteria) or "all programs"


class PeerIndex:
    """The programs' peer-group criteria as code text, for fast matching.

    Examples
    --------
    >>> p = pd.DataFrame({"region": [1, 1, 2, 2, 2]}, index=["A", "B", "C", "D", "E"])
    >>> index = PeerIndex(p, ["region"])
    >>> index.find("A", 1).members, index.find("A", 2).label
    (('B',), 'all programs')
    """

    def __init__(self, programs: pd.DataFrame, peer_by: Sequence[str]) -> None:
        self.ids = np.asarray(programs.index.astype(str))
        self.position = {pid: k for k, pid in enumerate(self.ids)}
        self.columns = [c for c in peer_by if c in programs.columns]
        self.codes = {c: codes_text(programs[c]).to_numpy(object) for c in self.columns}

    def find(
        self, program_id: str, min_peers: int, has_value: np.ndarray | None = None
    ) -> PeerGroup:
        """The narrowest peer group with at least ``min_peers`` other programs with a value."""
        k_self = self.position[program_id]
        usable = np.ones(self.ids.size, bool) if has_value is None else np.asarray(has_value)
        others = usable.copy()
        others[k_self] = False
        for k in range(len(self.columns), 0, -1):
            columns = self.columns[:k]
            own = [self.codes[c][k_self] for c in columns]
            if any(pd.isna(v) for v in own):
                continue
            same = np.ones(self.ids.size, bool)
            for column, value in zip(columns, own, strict=True):
                same &= self.codes[column] == value
            mask = same & others
            if mask.sum() >= min_peers:
                members = tuple(sorted(self.ids[mask]))
                criteria = tuple(zip(columns, own, strict=True))
                return PeerGroup(criteria, members, int(same.sum()), mask)
        return PeerGroup((), tuple(sorted(self.ids[others])), int(self.ids.size), others)
