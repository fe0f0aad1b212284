"""The pipeline's stage cache: a stage's output stored under the hash of its inputs.

``reports/<edition>/.cache/<stage>/<key>/`` holds what a stage returned the last
time it ran on inputs and settings whose SHA-256 is ``key``; a rerun with the same key
loads it instead of recomputing. An entry is data, never pickled code: ``value.json``
(lists, tuples, dicts, numbers, text, and the few ci_eval classes of
:data:`CACHEABLE_CLASSES`) and one Parquet file per frame, so a crafted entry cannot run
code when it is loaded. Writes are atomic (a temporary folder, then a rename) so an
interrupted run never leaves half an entry; a few recent entries per stage are kept.

>>> import tempfile
>>> import pandas as pd
>>> cache = StageCache(tempfile.mkdtemp())
>>> key = stage_key("score", {"model": "abc", "upstream": "def"})
>>> cache.load("score", key) is None
True
>>> cache.save("score", key, {("youth", "2024"): pd.DataFrame({"x": [1.5]}), "n": (3, None)})
>>> value = cache.load("score", key)
>>> value[("youth", "2024")]["x"].tolist(), value["n"]
([1.5], (3, None))
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)

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


# ---------------------------------------------------------------- code fingerprints
PACKAGE_ROOT = Path(__file__).resolve().parent


def _module_files(root: Path, package: str) -> dict[str, Path]:
    """Every module of a package folder by dotted name (``pkg/a/__init__.py`` is ``pkg.a``)."""
    files = {}
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files[".".join((package, *parts))] = path
    return files


def _import_statements(source: str) -> Iterator[ast.stmt]:
    """The import statements of a module's source, at any depth (imports inside functions
    count), each parsed with :mod:`ast`; only lines that start an import are parsed, which
    keeps fingerprinting the package fast."""
    lines = source.splitlines()
    k = 0
    while k < len(lines):
        text = lines[k].lstrip()
        k += 1
        if not text.startswith(("import ", "from ")):
            continue
        while text.count("(") > text.count(")") and k < len(lines):
            text += "\n" + lines[k]
            k += 1
        try:
            yield from ast.parse(text).body
        except SyntaxError:
            continue  # prose in a docstring that starts with "from "


def _imported(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of ``known`` that a module's source imports, with the packages Python
    runs on the way (``import a.b.c`` runs ``a`` and ``a.b``)."""
    here = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_statements(source):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    with_parents = set()
    for name in found:
        parts = name.split(".")
        with_parents.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))
    return with_parents & known


def import_closure(
    modules: Iterable[str], root: str | os.PathLike[str] = PACKAGE_ROOT, package: str = "ci_eval"
) -> list[str]:
    """The modules of ``package`` that ``modules`` import, directly or not (themselves included).

    A package among ``modules`` stands for all its modules. Imports are read from the
    source with :mod:`ast`; nothing is imported.

    >>> closure = import_closure(["ci_eval.survey.design"])
    >>> "ci_eval.survey.base" in closure, "ci_eval.report.build" in closure
    (True, False)
    """
    files = _module_files(Path(root), package)
    known = set(files)
    named = list(modules)
    unknown = [m for m in named if m not in known]
    if unknown:
        raise KeyError(f"not modules of {package}: {', '.join(unknown)}")
    todo = [m for m in known if any(m == n or m.startswith(f"{n}.") for n in named)]
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = files[module]
        source = path.read_text(encoding="utf-8")
        todo += sorted(_imported(source, module, path.name == "__init__.py", known) - seen)
    return sorted(seen)


def source_fingerprint(
    modules: Iterable[str], root: str | os.PathLike[str] = PACKAGE_ROOT, package: str = "ci_eval"
) -> str:
    """One SHA-256 over the source of ``modules`` and of every module of the package they
    import: an edit to any other module leaves it unchanged."""
    files = _module_files(Path(root), package)
    digest = hashlib.sha256()
    for module in import_closure(modules, root, package):
        digest.update(module.encode())
        digest.update(sha256_path(files[module]).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- values as data
CACHEABLE_CLASSES = {
    "ci_eval.quality.QualityResult": ("ci_eval.quality", "QualityResult"),
    "ci_eval.toc.schema.ToCModel": ("ci_eval.toc.schema", "ToCModel"),
}
"""The only classes a cache entry may name: a dataclass of frames, or a pydantic model
stored as its JSON. Any other name in an entry is refused, so loading the cache never
imports or runs code that the entry chooses."""


class CacheFormatError(ValueError):
    """A value that cannot be stored as data, or an entry that is not the cache's data."""


def _class_name(value: Any) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


def _encode(value: Any, frames: list[pd.DataFrame]) -> Any:
    """A JSON-ready form of ``value``; frames and series go to ``frames`` (Parquet files)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, pd.DataFrame):
        frames.append(value)
        return {"frame": len(frames) - 1, "object": _object_columns(value)}
    if isinstance(value, pd.Series):
        frames.append(value.to_frame(name="value"))
        return {"series": len(frames) - 1, "name": _encode(value.name, frames),
                "object": _object_columns(frames[-1])}  # fmt: skip
    if isinstance(value, list | tuple):
        return {type(value).__name__: [_encode(v, frames) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[_encode(k, frames), _encode(v, frames)] for k, v in value.items()]}
    name = _class_name(value)
    if name not in CACHEABLE_CLASSES:
        raise CacheFormatError(f"a {name} cannot be cached as data; add it to CACHEABLE_CLASSES")
    if dataclasses.is_dataclass(value):
        fields = dataclasses.fields(value)
        encoded = {f.name: _encode(getattr(value, f.name), frames) for f in fields}
        return {"dataclass": name, "fields": encoded}
    # python mode keeps the types JSON would change (integer dict keys, tuples)
    return {"model": name, "fields": _encode(value.model_dump(mode="python"), frames)}


def _decode(data: Any, frames: Callable[[int], pd.DataFrame]) -> Any:
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if not isinstance(data, dict) or not 1 <= len(data) <= 3:
        raise CacheFormatError(f"not an encoded value: {str(data)[:80]}")
    kind = next(iter(data))
    if kind == "frame":
        return _as_object(frames(data["frame"]), data["object"])
    if kind == "series":
        frame = _as_object(frames(data["series"]), data["object"])
        return frame["value"].rename(_decode(data["name"], frames))
    if kind in ("list", "tuple"):
        items = [_decode(v, frames) for v in data[kind]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {_hashable(_decode(k, frames)): _decode(v, frames) for k, v in data["dict"]}
    if kind in ("dataclass", "model") and data[kind] in CACHEABLE_CLASSES:
        module, name = CACHEABLE_CLASSES[data[kind]]
        cls = getattr(importlib.import_module(module), name)
        if kind == "model":
            return cls.model_validate(_decode(data["fields"], frames))
        return cls(**{k: _decode(v, frames) for k, v in data["fields"].items()})
    raise CacheFormatError(f"refused: {kind} {str(data.get(kind))[:80]!r} is not cacheable data")


def _object_columns(frame: pd.DataFrame) -> list[int]:
    """Positions of the object columns, which Parquet would bring back as strings."""
    return [k for k, dtype in enumerate(frame.dtypes) if pd.api.types.is_object_dtype(dtype)]


def _as_object(frame: pd.DataFrame, positions: list[int]) -> pd.DataFrame:
    for k in positions:
        frame.isetitem(k, frame.iloc[:, k].astype(object))
    return frame


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def _plain(frame: pd.DataFrame) -> bool:
    """A frame that can share a Parquet file with others of its schema: default row
    numbers, text column names, no categories (whose levels a shared file would merge)."""
    index = frame.index
    return (
        isinstance(index, pd.RangeIndex)
        and index.start == 0
        and index.step == 1
        and all(isinstance(c, str) for c in frame.columns)
        and frame.columns.is_unique
        and not any(isinstance(d, pd.CategoricalDtype) for d in frame.dtypes)
    )


def _write_frames(frames: list[pd.DataFrame], folder: Path) -> list[list[Any]]:
    """Write frames as Parquet; plain frames of one schema go into one file (many small
    tables read far faster that way). Returns ``[file, start, stop]`` per frame
    (``start`` None: the whole file, with its own index)."""
    groups: dict[Any, list[int]] = {}
    tables: dict[int, pa.Table] = {}
    for k, frame in enumerate(frames):
        if _plain(frame):
            tables[k] = pa.Table.from_pandas(frame, preserve_index=False)
            schema = tables[k].schema.remove_metadata()
            groups.setdefault((schema.to_string(), tuple(map(str, frame.dtypes))), []).append(k)
        else:
            groups[("own", k)] = [k]
    where: dict[int, list[Any]] = {}
    for number, members in enumerate(groups.values()):
        name = f"frames-{number}.parquet"
        if len(members) == 1 and members[0] not in tables:
            frames[members[0]].to_parquet(folder / name)
            where[members[0]] = [name, None, None]
            continue
        start = 0
        for k in members:
            where[k] = [name, start, start + tables[k].num_rows]
            start += tables[k].num_rows
        combined = pa.concat_tables([tables[k] for k in members])
        combined = combined.replace_schema_metadata(tables[members[0]].schema.metadata)
        pq.write_table(combined, folder / name)
    parts = [where[k] for k in range(len(frames))]
    return parts


class _FrameReader:
    """Frames of a cache entry by number, reading each Parquet file once."""

    def __init__(self, folder: Path, parts: list[list[Any]]) -> None:
        self.folder, self.parts = folder, parts
        self.files: dict[str, pd.DataFrame] = {}

    def __call__(self, number: int) -> pd.DataFrame:
        name, start, stop = self.parts[int(number)]
        if Path(name).name != name or not name.endswith(".parquet"):
            raise CacheFormatError(f"refused: frame file {name!r} is outside the entry")
        if name not in self.files:
            self.files[name] = pd.read_parquet(self.folder / name)
        whole = self.files[name]
        if start is None:
            return whole
        return whole.iloc[int(start) : int(stop)].reset_index(drop=True)


class StageCache:
    """Stage outputs by key, under one folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, stage: str, key: str) -> Path:
        return self.root / stage / key

    def load(self, stage: str, key: str) -> Any | None:
        """The cached output, or None when there is none (or it is not the cache's data).

        Only ``value.json`` and the Parquet files it names are read; a pickle left by an
        older ci_eval (or planted) is never loaded: it is reported and removed.
        """
        for planted in (self.root / stage).glob("*.pickle"):
            logger.warning("ignoring %s: the stage cache holds data only (JSON, Parquet)", planted)
            planted.unlink(missing_ok=True)
        folder = self._path(stage, key)
        if not (folder / "value.json").is_file():
            return None
        try:
            entry = json.loads((folder / "value.json").read_text(encoding="utf-8"))
            return _decode(entry["value"], _FrameReader(folder, entry["frames"]))
        except (OSError, ValueError, TypeError, KeyError, IndexError, pa.ArrowException) as exc:
            logger.warning("ignoring the cache entry %s: %s", folder, exc)
            return None  # an unreadable entry is recomputed

    def save(self, stage: str, key: str, value: Any) -> None:
        """Store an output atomically (a folder renamed into place) and drop the oldest
        entries beyond a few. A value that is not data is not cached (and says why)."""
        frames: list[pd.DataFrame] = []
        try:
            encoded = _encode(value, frames)
        except CacheFormatError as exc:
            logger.warning("the %s stage is not cached: %s", stage, exc)
            return
        folder = self._path(stage, key)
        tmp = folder.with_name(f".{key}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            parts = _write_frames(frames, tmp)
        except (ValueError, TypeError, ImportError, pa.ArrowException) as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            logger.warning("the %s stage is not cached: a frame is not Parquet (%s)", stage, exc)
            return
        entry = {"value": encoded, "frames": parts}
        (tmp / "value.json").write_text(json.dumps(entry), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
        entries = sorted(
            (p for p in folder.parent.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime_ns,
        )
        for old in entries[:-KEEP]:
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
