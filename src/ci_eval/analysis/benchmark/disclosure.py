"""What a program may see of its peers: distributions only, never a traceable value.

A program sees its own value, and of its peers only the quartiles and its percentile rank among
them, and only when (1) at least ``min_peers`` other programs have a value (the study's
``[disclosure] min_peers``, default 5), and (2) the peers' values are not all the same (then any
quartile would be every peer's value). Otherwise the peer columns are blank and the row says
why. Quartiles are unweighted sample quantiles with linear interpolation (Hyndman & Fan 1996,
type 7); the percentile rank is ``100 (below + equal / 2) / peers`` (the mid-rank convention).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PeerComparison:
    """A program's value against its peers (NaN where disclosure control blanks a value)."""

    value: float
    peer_n: int
    p25: float
    median: float
    p75: float
    percentile_rank: float
    suppressed: bool
    reason: str


def compare_with_peers(value: float, peers: np.ndarray, min_peers: int) -> PeerComparison:
    """Quartiles of the peers' values and the program's percentile rank, or a suppression.

    Examples
    --------
    >>> c = compare_with_peers(3.0, np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 5)
    >>> c.p25, c.median, c.p75, c.percentile_rank, c.suppressed
    (2.0, 3.0, 4.0, 50.0, False)
    >>> compare_with_peers(3.0, np.array([1.0, 2.0]), 5).reason
    'fewer than 5 peer programs'
    >>> compare_with_peers(3.0, np.full(6, 2.0), 5).reason
    'peer values all equal'
    """
    peers = np.asarray(peers, dtype=float)
    peers = peers[~np.isnan(peers)]
    n = int(peers.size)
    nan = float("nan")
    if n < min_peers:
        reason = f"fewer than {min_peers} peer programs"
        return PeerComparison(value, n, nan, nan, nan, nan, True, reason)
    if np.ptp(peers) == 0:
        return PeerComparison(value, n, nan, nan, nan, nan, True, "peer values all equal")
    p25, median, p75 = (float(q) for q in np.quantile(peers, [0.25, 0.5, 0.75]))
    if value is None or math.isnan(value):
        rank = nan
    else:
        rank = 100.0 * (float((peers < value).sum()) + 0.5 * float((peers == value).sum())) / n
    return PeerComparison(value, n, p25, median, p75, rank, False, "")
