"""Hadamard matrices for balanced repeated replication, chosen as R ``survey``'s ``hadamard``.

Matrices are 0/1 (1 for +1), with a first row and column of ones. For n strata the matrix has more
than n rows, and R picks its size and construction this way (R ``survey``, ``hadamard.R``):

* Sylvester matrices (powers of two, by doubling ``[[H, H], [H, 1 - H]]``), which are R's stored
  matrices of orders 4 and 16 and their doublings;
* Paley's construction for an order p + 1 with p a prime, p = 3 (mod 4): entry (i, j) of the core
  is 0 when (i + j) mod p is 0 or a quadratic residue mod p, else 1, bordered with ones.

* R's stored matrices of orders 28 and 36 (``survey:::hadamard.list[[3]]`` and ``[[4]]`` of R
  ``survey`` 4.1.1, not normalised: neither the first row nor the first column is all ones), and
  their doublings (56, 72, ...). They are shipped here as data, copied from R with
  ``tests/reference/make_parity.R`` (which also writes them to
  ``tests/reference/data/brr_hadamard.json``, where a test compares the two): each row is a
  string of hexadecimal digits, four columns a digit, the first column in the high bit.

So every BRR design gets R's replicate weights: they are compared with R's for 2 to 64 pairs, and
the matrices (order, rows and signs) with ``survey:::hadamard(n)`` for n = 1 to 300
(``tests/reference/make_hadamard.R``).
"""

from __future__ import annotations

import numpy as np

STORED_SIZES = (4, 16, 28, 36)  # R's precomputed orders (survey:::hadamard.sizes)
LARGEST_PRIME = 7919  # R's table of primes for Paley's construction ends here

# R survey 4.1.1's survey:::hadamard.list[[3]] and [[4]] (see the module docstring)
_R_STORED_28 = (
    "fffffff",
    "9c71c78",
    "83cd378",
    "83b2e66",
    "9a0f8d6",
    "952c5ae",
    "8cd239e",
    "58aa7f0",
    "45b59d4",
    "46cbcac",
    "561774a",
    "4b64e9a",
    "5959b26",
    "2d1eae8",
    "3666b34",
    "2b3b51c",
    "31d74b2",
    "32f89ca",
    "2ced646",
    "ea545e4",
    "f1632cc",
    "f09ce1c",
    "e54ad52",
    "e6392b2",
    "e8a792a",
    "dffe000",
    "bf81f80",
    "7f8007e",
)
_R_STORED_36 = (
    "fffffffff",
    "5c7dc8564",
    "b8fb90ac8",
    "71f721592",
    "e3ee42b24",
    "c7dc8564a",
    "8fb90ac96",
    "1f721592e",
    "3ee42b25c",
    "7dc8564b8",
    "fb90ac970",
    "f721592e2",
    "ee42b25c6",
    "dc8564b8e",
    "b90ac971e",
    "721592e3e",
    "e42b25c7c",
    "c8564b8fa",
    "90ac971f6",
    "21592e3ee",
    "42b25c7dc",
    "8564b8fb8",
    "0ac971f72",
    "1592e3ee4",
    "2b25c7dc8",
    "564b8fb90",
    "ac971f720",
    "592e3ee42",
    "b25c7dc84",
    "64b8fb90a",
    "c971f7214",
    "92e3ee42a",
    "25c7dc856",
    "4b8fb90ac",
    "971f72158",
    "2e3ee42b2",
)


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
        return stored(min(precooked))
    if np.all(m < sizes):
        return stored(4)
    grown = sizes * 2 ** np.maximum(0, np.ceil(np.log2((n + 1) / sizes))).astype(np.int64)
    best = int(np.argmin(grown - n))
    h = None
    if grown[best] - n > 4:
        h = _paley(n, int(grown[best]))
    if h is None:
        h = stored(int(sizes[best]))
        for _ in range(int(np.ceil(np.log2(grown[best] / sizes[best])))):
            h = _double(h)
    return h


def _decode(rows: tuple[str, ...]) -> np.ndarray:
    """A 0/1 matrix from rows of hexadecimal digits (four columns a digit, high bit first)."""
    n = len(rows)
    bits = [[(int(c, 16) >> (3 - b)) & 1 for c in row for b in range(4)][:n] for row in rows]
    return np.asarray(bits, dtype=np.int64)


def stored(size: int) -> np.ndarray:
    """R's stored Hadamard matrix of order ``size`` (4, 16, 28 or 36), as 0/1.

    Orders 4 and 16 are Sylvester matrices; 28 and 36 are R's own data (module docstring).

    Examples
    --------
    >>> h = 2 * stored(28) - 1
    >>> bool((h @ h.T == 28 * np.eye(28)).all())
    True
    """
    if size in (4, 16):
        return sylvester(size)
    if size == 28:
        return _decode(_R_STORED_28)
    if size == 36:
        return _decode(_R_STORED_36)
    raise ValueError(f"R stores Hadamard matrices of orders {STORED_SIZES}, not {size}")
