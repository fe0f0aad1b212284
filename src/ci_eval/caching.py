"""The pipeline's stage cache: a stage's output stored under the hash of its inputs.

``reports/<edition>/.cache/<stage>/<key>.pickle`` holds what a stage returned the
last time it ran on inputs and settings whose SHA-256 is ``key``; a rerun with the
same key loads it instead of recomputing. Writes are atomic (a temporary file, then
a rename) so an interrupted run never leaves half an entry; a few recent entries per
stage are kept. The cache is local working data (pickle): never share or commit it.

>>> import tempfile
>>> cache = StageCache(tempfile.mkdtemp())
>>> key = stage_key("score", {"model": "abc", "upstream": "def"})
>>> cache.load("score", key) is None
True
>>> cache.save("score", key, {"rows": 3})
>>> cache.load("score", key)
{'rows': 3}
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

KEEP = 4


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys and no whitespace variation, for hashing settings.

    >>> canonical_json({"b": 1, "a": [1, 2]})
    b'{"a":[1,2],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def stage_key(stage: str, parts: dict[str, Any]) -> str:
    """The SHA-256 of a stage's name, inputs (their hashes) and settings."""
    return hashlib.sha256(canonical_json({"stage": stage, "parts": parts})).hexdigest()


def sha256_path(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_tree(folder: str | os.PathLike[str], pattern: str = "**/*") -> str:
    """One SHA-256 over the relative paths and bytes of the files of a folder."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.glob(pattern) if p.is_file()):
        if "_build" in path.parts or "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(sha256_path(path).encode())
    return digest.hexdigest()


class StageCache:
    """Stage outputs by key, under one folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, stage: str, key: str) -> Path:
        return self.root / stage / f"{key}.pickle"

    def load(self, stage: str, key: str) -> Any | None:
        """The cached output, or None when there is none (or it cannot be read)."""
        path = self._path(stage, key)
        if not path.exists():
            return None
        try:
            with open(path, "rb") as handle:
                return pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None  # an unreadable entry is recomputed

    def save(self, stage: str, key: str, value: Any) -> None:
        """Store an output atomically and drop the oldest entries beyond a few."""
        path = self._path(stage, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        entries = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns)
        for old in entries[:-KEEP]:
            if old != path:
                old.unlink(missing_ok=True)
