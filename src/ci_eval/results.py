"""The results store: every table the report shows, as deterministic CSV and Parquet files.

``reports/<edition>/`` holds one ``<name>.csv`` and ``<name>.parquet`` per table under ``tables/``
and an ``index.json`` that lists them (name, files, columns, row count, content hash, description,
and whether the table is private to one program). Values are stored unrounded; rounding happens at
presentation time. Writing is atomic per file (a temporary name, then a rename), so an interrupted
run leaves the previous files whole; the same frame always gives the same bytes.

Examples
--------
>>> import tempfile, pandas as pd
>>> store = ResultsStore(tempfile.mkdtemp())
>>> _ = store.write("demo", pd.DataFrame({"indicator": ["a"], "estimate": [0.5]}), "A demo table")
>>> store.read("demo")["estimate"].tolist(), store.names()
([0.5], ['demo'])
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ci_eval.errors import AnalysisError

INDEX = "index.json"


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV form of a table: UTF-8, ``\\n`` line ends, shortest round-trip floats."""
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """The Parquet form of a table, without pandas metadata so the bytes are stable."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", write_statistics=False)
    return sink.getvalue().to_pybytes()


class ResultsStore:
    """Read and write the tables of one edition's results store."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.tables = self.root / "tables"

    def _index(self) -> dict:
        path = self.root / INDEX
        if not path.exists():
            return {"tables": {}}
        return json.loads(path.read_text(encoding="utf-8"))

    def write(
        self,
        name: str,
        frame: pd.DataFrame,
        description: str,
        private: bool = False,
    ) -> Path:
        """Write one table (CSV + Parquet) and record it in the index; returns the CSV path."""
        if not name.replace("_", "").replace("/", "").isalnum():
            raise AnalysisError(f"table name {name!r} must be letters, digits, '_' or '/'")
        data = csv_bytes(frame)
        csv_path = self.tables / f"{name}.csv"
        _atomic_write(csv_path, data)
        _atomic_write(self.tables / f"{name}.parquet", parquet_bytes(frame))
        index = self._index()
        index["tables"][name] = {
            "csv": f"tables/{name}.csv",
            "parquet": f"tables/{name}.parquet",
            "description": description,
            "columns": [str(c) for c in frame.columns],
            "rows": len(frame),
            "sha256": hashlib.sha256(data).hexdigest(),
            "private": private,
        }
        index["tables"] = dict(sorted(index["tables"].items()))
        _atomic_write(
            self.root / INDEX,
            (json.dumps(index, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode(),
        )
        return csv_path

    def read(self, name: str) -> pd.DataFrame:
        """Read a table back (from Parquet, which keeps the column types)."""
        path = self.tables / f"{name}.parquet"
        if not path.exists():
            raise AnalysisError(
                f"table {name!r} is not in the results store {self.root} "
                f"(has: {', '.join(self.names()) or 'nothing'}); run `ci-eval run` first"
            )
        return pd.read_parquet(path)

    def names(self) -> list[str]:
        """Names of the tables in the store, sorted."""
        return list(self._index()["tables"])

    def entry(self, name: str) -> dict:
        """The index entry of one table."""
        return self._index()["tables"][name]
