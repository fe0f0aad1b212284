"""Time of writing a results store, the first time and again with nothing changed.

Run from the repository root, after ``ci-eval run .`` made ``reports/2024``::

    python benchmarks/results_store.py reports/2024

Every table of the store is read back and written into a fresh store twice: the first write
encodes, checks and writes every table and both indexes; the second encodes and checks them
again but writes no file (no table's bytes changed), which is what a cached rerun of
``ci-eval run`` costs in the store. Measured on the development machine (2 shared cores), demo
study, 426 tables: first write 1.8 s, unchanged rewrite 1.5 s, 0 files written.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from ci_eval.results import ResultsStore


def main(store: str) -> None:
    source = ResultsStore(store)
    tables = {name: source.read(name) for name in source.names()}
    with tempfile.TemporaryDirectory() as tmp:
        fresh = ResultsStore(Path(tmp))
        for label in ("first write", "unchanged rewrite"):
            start = time.perf_counter()
            summary = fresh.write_tables(tables)
            seconds = time.perf_counter() - start
            print(f"{label}: {seconds:.2f} s, {len(summary.written)} of {len(tables)} written")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reports/2024")
