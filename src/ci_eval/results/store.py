"""The results store: every table the report shows, as deterministic CSV and Parquet files.

``reports/<edition>/`` holds the public tables and, apart, the private ones::

    index.json                              public tables: files, columns, rows, hash, description
    tables/<name>.csv, tables/<name>.parquet
    private/index.json                      private tables, same fields
    private/programs/<id>/benchmark.csv     one program's benchmark (table ``programs/<id>``)

so that publishing ``tables/`` (and ``index.json``) can never ship a program's numbers. Every
table is checked against its declaration in :mod:`ci_eval.results.contract` before it is
written. Values are stored unrounded; the same frame always gives the same bytes, and a table
whose bytes did not change is not rewritten (nor is an index that did not change), so a rerun
with nothing new touches no file. Each file is written atomically (a temporary name, then a
rename); :meth:`ResultsStore.write_tables` renames only after every changed file is ready.

Examples
--------
>>> import tempfile, pandas as pd
>>> store = ResultsStore(tempfile.mkdtemp())
>>> peers = pd.DataFrame({"peer_group": ["region=1"], "programs": [8]})
>>> store.write_tables({"benchmark_peers": peers}).written
['benchmark_peers']
>>> store.write_tables({"benchmark_peers": peers}).written, store.names()
([], ['benchmark_peers'])
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ci_eval.errors import AnalysisError
from ci_eval.results.contract import (
    PRIVATE_PREFIX,
    TableSpec,
    is_private,
    program_of,
    spec,
)

INDEX = "index.json"
PUBLIC_DIR = "tables"
PRIVATE_DIR = "private"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = _staged(path, data)
    os.replace(tmp, path)


def _staged(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    return tmp


def csv_bytes(frame: pd.DataFrame, table: TableSpec | None = None) -> bytes:
    """The CSV form of a table: UTF-8, ``\\n`` line ends, shortest round-trip floats; a
    ``list<string>`` column of ``table`` as JSON arrays."""
    lists = [c.name for c in (table.columns if table else ()) if c.dtype == "list<string>"]
    if lists:
        frame = frame.copy()
        for name in lists:
            frame[name] = [json.dumps(list(v), ensure_ascii=False) for v in frame[name]]
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def parquet_bytes(frame: pd.DataFrame | pa.Table) -> bytes:
    """The Parquet form of a table, without pandas metadata so the bytes are stable."""
    if isinstance(frame, pd.DataFrame):
        frame = pa.Table.from_pandas(frame, preserve_index=False)
    table = frame.replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", write_statistics=False)
    return sink.getvalue().to_pybytes()


@dataclass
class WriteSummary:
    """What :meth:`ResultsStore.write_tables` did: tables written, left as they were, removed."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


class ResultsStore:
    """Read and write the tables of one edition's results store (see the module docstring)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.tables = self.root / PUBLIC_DIR
        self.private = self.root / PRIVATE_DIR

    # ------------------------------------------------------------ where things are
    def _base(self, name: str) -> Path:
        """The folder an index entry's paths are relative to (the root or ``private/``)."""
        return self.private if is_private(name) else self.root

    def _stem(self, name: str) -> str:
        if is_private(name):
            return f"{PRIVATE_PREFIX}{program_of(name)}/benchmark"
        return f"{PUBLIC_DIR}/{name}"

    def path(self, name: str, ext: str = ".parquet") -> Path:
        """The file of table ``name`` (``.csv`` or ``.parquet``)."""
        return self._base(name) / f"{self._stem(name)}{ext}"

    def _index(self, private: bool) -> dict[str, Any]:
        path = (self.private if private else self.root) / INDEX
        if not path.exists():
            return {"tables": {}}
        return json.loads(path.read_text(encoding="utf-8"))

    # ------------------------------------------------------------ writing
    def write(self, name: str, frame: pd.DataFrame) -> Path:
        """Write one table (CSV + Parquet) and record it in its index; returns the CSV path."""
        self.write_tables({name: frame}, remove_others=False)
        return self.path(name, ".csv")

    def write_tables(
        self, tables: Mapping[str, pd.DataFrame], remove_others: bool = True
    ) -> WriteSummary:
        """Write every table whose bytes changed, then each index that changed.

        With ``remove_others``, tables in the store but not in ``tables`` are removed.
        Every frame is checked against the contract before any file is touched.
        """
        encoded = {name: self._encode(name, frame) for name, frame in sorted(tables.items())}
        summary = WriteSummary()
        staged: list[tuple[Path, Path]] = []
        for name, (_, files) in encoded.items():
            changed = False
            for path, data in files.items():
                if not path.exists() or path.read_bytes() != data:
                    staged.append((_staged(path, data), path))
                    changed = True
            (summary.written if changed else summary.unchanged).append(name)
        for tmp, path in staged:
            os.replace(tmp, path)
        for private in (False, True):
            index = self._index(private)
            old = dict(index["tables"])
            entries = {n: e for n, (e, _) in encoded.items() if is_private(n) == private}
            kept = {} if remove_others else {k: v for k, v in old.items() if k not in entries}
            for gone in sorted(set(old) - set(entries) - set(kept)):
                self._remove(gone)
                summary.removed.append(gone)
            new = dict(sorted({**kept, **entries}.items()))
            if new != old:  # a missing index reads as empty, so a first write makes it
                index["tables"] = new
                text = json.dumps(index, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
                _atomic_write(self._base_dir(private) / INDEX, text.encode())
        return summary

    def _base_dir(self, private: bool) -> Path:
        return self.private if private else self.root

    def _encode(self, name: str, frame: pd.DataFrame) -> tuple[dict[str, Any], dict[Path, bytes]]:
        """The index entry and the file bytes of one table, after the contract check."""
        declared = spec(name)
        table = declared.check(name, frame)
        data = csv_bytes(frame, declared)
        stem = self._stem(name)
        entry = {
            "csv": f"{stem}.csv",
            "parquet": f"{stem}.parquet",
            "description": declared.description,
            "columns": declared.names,
            "rows": len(frame),
            "sha256": hashlib.sha256(data).hexdigest(),
            "private": declared.private,
        }
        files = {self.path(name, ".csv"): data, self.path(name, ".parquet"): parquet_bytes(table)}
        return entry, files

    def _remove(self, name: str) -> None:
        for ext in (".csv", ".parquet"):
            path = self.path(name, ext)
            if path.exists():
                path.unlink()
        folder = self.path(name).parent
        if is_private(name) and folder.exists() and not any(folder.iterdir()):
            folder.rmdir()

    # ------------------------------------------------------------ reading
    def read(self, name: str) -> pd.DataFrame:
        """Read a table back (from Parquet, which keeps the column types)."""
        path = self.path(name)
        if not path.exists():
            shown = ", ".join(self.names(private=False)) or "nothing"
            raise AnalysisError(
                f"table {name!r} is not in the results store {self.root} "
                f"(has: {shown}); run `ci-eval run` first"
            )
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise AnalysisError(
                f"{path}: the results table {name!r} cannot be read ({exc}); the store is "
                "damaged (a truncated or edited file): run `ci-eval run` again to rewrite it"
            ) from None

    def names(self, private: bool | None = None) -> list[str]:
        """Names of the tables in the store, sorted: all, or only the public or private ones."""
        parts = [False, True] if private is None else [private]
        return sorted(n for p in parts for n in self._index(p)["tables"])

    def has(self, name: str) -> bool:
        """Whether the store holds table ``name``."""
        return name in self._index(is_private(name))["tables"]

    def entry(self, name: str) -> dict[str, Any]:
        """The index entry of one table."""
        return self._index(is_private(name))["tables"][name]

    def sha256(self) -> dict[str, str]:
        """The CSV hash of every table, by name (the manifest records it)."""
        return {n: e["sha256"] for p in (False, True) for n, e in self._index(p)["tables"].items()}
