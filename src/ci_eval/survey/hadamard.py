"""Hadamard matrices for balanced repeated replication, chosen as R ``survey``'s ``hadamard``.

Matrices are 0/1 (1 for +1), with a first row and column of ones. For n strata the matrix has more
than n rows, and R picks its size and construction this way (R ``survey``, ``hadamard.R``):

* Sylvester matrices (powers of two, by doubling ``[[H, H], [H, 1 - H]]``), which are R's stored
  matrices of orders 4 and 16 and their doublings;
* Paley's construction for an order p + 1 with p a prime, p = 3 (mod 4): entry (i, j) of the core
  is 0 when (i + j) mod p is 0 or a quadratic residue mod p, else 1, bordered with ones.

R also stores matrices of orders 28 and 36 (and doubles them); where R would use one of those,
this module uses the Sylvester matrix of the next power of two instead, which also gives full
orthogonal balance: linear estimates get the same BRR variance as R, nonlinear ones may differ
slightly, and :func:`hadamard` warns.
"""

from __future__ import annotations

import warnings

import numpy as np

STORED_SIZES = (4, 16, 28, 36)  # R's precomputed orders
LARGEST_PRIME = 7919  # R's table of primes for Paley's construction ends here


def sylvester(size: int) -> np.ndarray:
    """The Sylvester Hadamard matrix of order ``size`` (a power of two), as 0/1.

    Examples
    --------
    >>> sylvester(4).tolist()
    [[1, 1, 1, 1], [1, 0, 1, 0], [1, 1, 0, 0], [1, 0, 0, 1]]
    """
    idx = np.arange(size)
    both = idx[:, None] & idx[None, :]
    parity = np.zeros_like(both)
    while both.any():
        parity ^= both & 1
        both >>= 1
    return (1 - parity).astype(np.int64)


def _is_prime(p: int) -> bool:
    if p < 2:
        return False
    return all(p % k for k in range(2, int(p**0.5) + 1))


def paley_primes() -> list[int]:
    """Primes p = 3 (mod 4) up to R's limit: the orders p + 1 Paley's construction gives."""
    return [p for p in range(3, LARGEST_PRIME + 1, 4) if _is_prime(p)]


def paley_from_prime(p: int) -> np.ndarray:
    """Paley's Hadamard matrix of order p + 1 (R's layout), as 0/1.

    Examples
    --------
    >>> paley_from_prime(3).tolist()
    [[1, 1, 1, 1], [1, 0, 0, 1], [1, 0, 1, 0], [1, 1, 0, 0]]
    """
    residues = {0} | {(i * i) % p for i in range(1, (p - 1) // 2 + 1)}
    idx = np.arange(p)
    core = (idx[:, None] + idx[None, :]) % p
    core = np.where(np.isin(core, list(residues)), 0, 1)
    out = np.ones((p + 1, p + 1), dtype=np.int64)
    out[1:, 1:] = core
    return out


def _double(h: np.ndarray) -> np.ndarray:
    return np.block([[h, h], [h, 1 - h]])


def _paley(n: int, nmax: int) -> np.ndarray | None:
    """R's ``paley(n, nmax)``: a Paley-based matrix of order above n, or None."""
    primes = paley_primes()
    nceil = nn = n + 4 - n % 4
    if n % 4 + 4 == n % 8:
        while nn % 8 == 0:
            nn //= 2
        if nn - 1 in primes:
            m = paley_from_prime(nn - 1)
            while nn < nceil:
                m = _double(m)
                nn *= 2
            return m
    if n > primes[-1]:
        return None
    p = min(q for q in primes if q >= n)
    if p + 1 > nceil + 4 and nceil + 4 < nmax:
        return _paley(nceil + 3, 2 * (nceil + 3))
    if p > nmax:
        return None
    return paley_from_prime(p)


def hadamard(n: int) -> np.ndarray:
    """A 0/1 Hadamard matrix with more than ``n`` rows, chosen as R's ``hadamard(n)``.

    Examples
    --------
    >>> hadamard(3).shape, hadamard(5).shape
    ((4, 4), (8, 8))
    """
    m = n - n % 4
    sizes = np.asarray(STORED_SIZES)
    precooked = [s for s in STORED_SIZES if m < s <= m + 4]
    if precooked:
        return _stored(min(precooked), n)
    if np.all(m < sizes):
        return _stored(4, n)
    grown = sizes * 2 ** np.maximum(0, np.ceil(np.log2((n + 1) / sizes))).astype(np.int64)
    best = int(np.argmin(grown - n))
    h = None
    if grown[best] - n > 4:
        h = _paley(n, int(grown[best]))
    if h is None:
        doubles = int(np.ceil(np.log2(grown[best] / sizes[best])))
        h = _stored(int(sizes[best]), n)
        if sizes[best] in (4, 16):
            for _ in range(doubles):
                h = _double(h)
        else:
            h = _stored(int(grown[best]), n)
    return h


def _stored(size: int, n: int) -> np.ndarray:
    """R's stored matrix of order ``size`` (Sylvester for 4 and 16; see the module docstring)."""
    if size & (size - 1) == 0:
        return sylvester(size)
    order = 1 << int(np.ceil(np.log2(n + 1)))
    warnings.warn(
        f"BRR with {n} pairs: R uses its stored Hadamard matrix of order {size} here; ci_eval "
        f"uses the Sylvester matrix of order {order}. Linear estimates get R's variance, "
        "nonlinear ones may differ slightly",
        UserWarning,
        stacklevel=3,
    )
    return sylvester(order)
