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

import ast
import hashlib
import json
import os
import pickle
from collections.abc import Iterable, Iterator
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
