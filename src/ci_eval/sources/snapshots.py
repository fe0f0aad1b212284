"""The raw snapshot store: immutable, content-hashed pulls.

Each pull of one wave of one survey writes a snapshot folder::

    <study>/surveys/<survey>/raw/<wave>/<snapshot-id>/
        responses.parquet   the responses of this pull (deterministic bytes)
        structure.json      the survey structure (LimeSurvey) or codebook (files)
        meta.json           time, source, response-id range, rows, content hash, ...

A snapshot is written under a ``.tmp-<snapshot-id>`` name and renamed with
:func:`os.replace` only once complete, so an interrupted pull leaves the
earlier snapshots as they were; the next pull removes the leftover and starts
again from the last complete snapshot. Nothing is rewritten in place: files of
a finished snapshot are made read-only.

>>> import tempfile, pathlib, pandas as pd
>>> store = SnapshotStore(pathlib.Path(tempfile.mkdtemp()))
>>> with store.writer(when="2026-01-01T00:00:00Z") as w:
...     w.write(pd.DataFrame({"id": [1, 2], "q": ["a", "b"]}))
...     w.write_structure({"survey": "youth"})
...     snap = w.finish({"source": "example"})
>>> snap.id, snap.meta["rows"], len(store.snapshots())
('0001-20260101T000000Z', 2, 1)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ci_eval.errors import SourceError

__all__ = ["RESPONSES", "Snapshot", "SnapshotStore", "SnapshotWriter", "sha256_file"]

RESPONSES = "responses.parquet"
STRUCTURE = "structure.json"
META = "meta.json"
_TMP = ".tmp-"


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Snapshot:
    """A finished snapshot; ``meta`` is its ``meta.json``."""

    path: Path
    meta: dict[str, Any]

    @property
    def id(self) -> str:
        """The snapshot id: a sequence number and the UTC time of the pull."""
        return self.path.name

    @property
    def responses_path(self) -> Path:
        """The Parquet file of responses."""
        return self.path / RESPONSES

    def responses(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The responses (or some columns of them)."""
        return pq.read_table(self.responses_path, columns=columns).to_pandas()

    def structure(self) -> Any:
        """The contents of ``structure.json``."""
        return json.loads((self.path / STRUCTURE).read_text(encoding="utf-8"))

    def verify(self) -> None:
        """Check the responses against the content hash in ``meta.json``.

        Raises
        ------
        SourceError
            If the Parquet file was changed after the snapshot was written.
        """
        if sha256_file(self.responses_path) != self.meta.get("content_hash"):
            raise SourceError(
                f"{self.responses_path}: content hash differs from meta.json; the snapshot was "
                "modified after it was written: delete the folder and pull again"
            )


class SnapshotStore:
    """The snapshots of one wave of one survey, in one folder.

    Parameters
    ----------
    root : Path
        ``<study>/surveys/<survey>/raw/<wave>``.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def snapshots(self) -> list[Snapshot]:
        """The finished snapshots, oldest first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in sorted(self.root.iterdir()):
            if path.name.startswith(_TMP) or not (path / META).is_file():
                continue
            try:
                meta = json.loads((path / META).read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise SourceError(f"{path / META}: not valid JSON ({exc})") from None
            found.append(Snapshot(path, meta))
        return found

    def latest(self) -> Snapshot | None:
        """The newest finished snapshot, if any."""
        snaps = self.snapshots()
        return snaps[-1] if snaps else None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the wave's lock for a pull, so two pulls never write it at once.

        The lock (``flock`` on ``.lock``) ends with the process, so a crashed
        pull never leaves the wave locked. Where ``fcntl`` does not exist
        (Windows) pulls are not locked.

        Raises
        ------
        SourceError
            If another pull of this wave is running.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        lock = self.root / ".lock"
        while True:
            handle = lock.open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise SourceError(
                    f"{self.root}: another pull of this wave is running; wait for it to finish"
                ) from None
            # the file may have been removed by the pull that held it just before: lock anew
            if lock.exists() and os.fstat(handle.fileno()).st_ino == lock.stat().st_ino:
                break
            handle.close()
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)  # no empty .lock left behind, even after a failure
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def leftovers(self) -> list[Path]:
        """Folders of interrupted pulls (``.tmp-*``)."""
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if p.name.startswith(_TMP))

    def clean_leftovers(self) -> list[Path]:
        """Remove the folders of interrupted pulls; returns what was removed."""
        gone = self.leftovers()
        for path in gone:
            shutil.rmtree(path)
        return gone

    def next_id(self, when: str) -> str:
        """The id of the next snapshot: ``<sequence>-<UTC time, compact>``."""
        snaps = self.snapshots()
        number = int(snaps[-1].id.split("-", 1)[0]) + 1 if snaps else 1
        compact = when.replace("-", "").replace(":", "")
        return f"{number:04d}-{compact}"

    @contextlib.contextmanager
    def writer(self, when: str) -> Iterator[SnapshotWriter]:
        """Write one snapshot; it appears only when :meth:`SnapshotWriter.finish` runs.

        If the block raises, or ends without ``finish``, the temporary folder is
        removed and no snapshot is added.
        """
        snap_id = self.next_id(when)
        tmp = self.root / f"{_TMP}{snap_id}"
        tmp.mkdir(parents=True)
        writer = SnapshotWriter(tmp, self.root / snap_id, when)
        try:
            yield writer
        finally:
            writer.close()
            if tmp.exists():
                shutil.rmtree(tmp)


class SnapshotWriter:
    """Writes the files of one snapshot into its temporary folder."""

    def __init__(self, tmp: Path, final: Path, when: str) -> None:
        self._tmp = tmp
        self._final = final
        self._when = when
        self._parquet: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._structure: Any = None
        self.rows = 0

    def write(self, batch: pd.DataFrame | pa.Table) -> None:
        """Append a batch of responses (same columns and types as the first batch)."""
        table = batch if isinstance(batch, pa.Table) else _to_arrow(batch)
        if self._schema is None:
            self._schema = table.schema
            self._parquet = pq.ParquetWriter(
                self._tmp / RESPONSES, self._schema, compression="zstd", write_statistics=True
            )
        elif table.schema != self._schema:
            try:
                table = table.select(self._schema.names).cast(self._schema)
            except (KeyError, ValueError, pa.ArrowInvalid) as exc:
                raise SourceError(
                    f"the responses changed shape during the pull ({exc}); pull again"
                ) from None
        assert self._parquet is not None
        self._parquet.write_table(table)
        self.rows += table.num_rows

    def use_schema(self, schema: pa.Schema) -> None:
        """Set the schema of an empty snapshot (no batch written)."""
        if self._schema is None:
            self._schema = schema

    def write_structure(self, structure: Any) -> None:
        """Set the contents of ``structure.json``."""
        self._structure = structure

    def close(self) -> None:
        """Close the Parquet file (safe to call twice)."""
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None

    def finish(self, meta: dict[str, Any]) -> Snapshot:
        """Write ``structure.json`` and ``meta.json`` and rename the snapshot into place."""
        self.close()
        responses = self._tmp / RESPONSES
        if not responses.exists():
            if self._schema is None:
                raise SourceError("no responses and no schema: nothing to snapshot")
            pq.write_table(self._schema.empty_table(), responses, compression="zstd")
        (self._tmp / STRUCTURE).write_bytes(_json_bytes(self._structure))
        full = {
            **meta,
            "snapshot": self._final.name,
            "pulled_at": self._when,
            "rows": self.rows,
            "content_hash": sha256_file(responses),
            "structure_hash": hashlib.sha256((self._tmp / STRUCTURE).read_bytes()).hexdigest(),
        }
        (self._tmp / META).write_bytes(_json_bytes(full))
        for path in self._tmp.iterdir():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        if self._final.exists():
            raise SourceError(f"{self._final}: a snapshot with this id exists; pull again")
        os.replace(self._tmp, self._final)
        return Snapshot(self._final, full)


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise SourceError(f"cannot store the responses as Parquet ({exc})") from None
