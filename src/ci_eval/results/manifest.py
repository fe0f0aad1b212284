"""The run manifest ``reports/<edition>/manifest.json``: what an edition was built from.

Inputs and their SHA-256, the study's settings, package versions, seeds, row counts at
every stage, the results tables' hashes, and stage timings. Keys are sorted; the only
values that change between identical runs are the timings and the cached flags, which is
why ``ci-eval verify`` compares the results tables and not the manifest.

>>> sorted(package_versions(["ci_eval"]))
['ci_eval', 'python']
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "ci_eval",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "pyarrow",
    "pyreadstat",
    "pingouin",
    "pydantic",
    "matplotlib",
    "jupyter-book",
    "sphinx",
    "myst-nb",
    "sphinx-book-theme",
)
MANIFEST = "manifest.json"


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of the packages a run depends on (``"not installed"`` if absent)."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_manifest(root: str | os.PathLike[str], manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` (sorted keys, UTF-8, atomic) and return its path."""
    path = Path(root) / MANIFEST
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_manifest(root: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``manifest.json`` of a results store; ``{}`` when there is none."""
    path = Path(root) / MANIFEST
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))
