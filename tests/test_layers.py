"""The package's layers point one way (shared/DESIGN.md): an inner layer never imports an
outer one. Imports are read from every module's source with ``ast`` (imports inside
functions count), so a lazy import cannot hide a wrong-way dependency."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "ci_eval"

# layer -> the ci_eval layers it may import (besides itself and ``errors``). ``study``
# validates the sources' settings with the models in ``sources.settings`` and the disclosure
# rules with ``results.disclosure``; ``results`` (the contract of the tables) is a leaf that
# every layer writing or reading a results table may import.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "survey": set(),
    "codebook": set(),
    "study": {"codebook", "sources.settings", "results"},
    "sources": {"codebook"},
    "toc": {"codebook"},
    "quality": {"codebook", "results"},
    "results": set(),
    "analysis": {"survey", "toc", "quality", "codebook", "results"},
    "report": {"results"},
    "manifest": set(),
    "caching": set(),
    "pipeline": {"survey", "codebook", "study", "sources", "toc", "quality", "results",
                 "analysis", "report", "manifest", "caching"},
    "terminal": {"codebook", "sources"},
    "cli": {"pipeline", "terminal", "study", "sources", "toc", "report", "scaffold", "demo",
            "codebook"},
    "scaffold": {"study", "results", "sources", "sources.settings", "codebook"},
    "demo": {"codebook", "survey"},
}  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(("ci_eval", *(parts[:-1] if parts[-1] == "__init__" else parts)))


def layer_of(module: str) -> str:
    """``ci_eval.sources.pull`` -> ``sources``; ``sources.settings`` is a layer of its own
    (the study validates with it); the package's ``__init__`` counts as ``errors``."""
    parts = module.split(".")[1:]
    if parts[:2] == ["sources", "settings"]:
        return "sources.settings"
    return parts[0] if parts else "errors"


def imports(path: Path) -> set[str]:
    """The ci_eval modules a module's source imports, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module_name(path)
    if path.name != "__init__.py":
        here = here.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("ci_eval")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}" if base else anchor
            if base == "ci_eval":
                found |= {f"ci_eval.{a.name}" for a in node.names}
            elif base.startswith("ci_eval."):
                found.add(base)
    return found


def wrong_way_imports(path: Path) -> list[str]:
    own = layer_of(module_name(path))
    allowed = {own, "errors", "__version__", *ALLOWED.get(own, ())}
    if own == "sources":
        allowed.add("sources.settings")
    return sorted(m for m in imports(path) if layer_of(m) not in allowed)


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_layer_is_declared():
    layers = {layer_of(module_name(p)) for p in MODULES}
    assert layers - {"sources.settings"} <= set(ALLOWED), sorted(layers - set(ALLOWED))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_inner_layer_imports_an_outer_one(path):
    wrong = wrong_way_imports(path)
    assert not wrong, f"{module_name(path)} ({layer_of(module_name(path))}) imports {wrong}"


def test_the_check_catches_wrong_way_imports(tmp_path, monkeypatch):
    fake = tmp_path / "ci_eval"
    (fake / "survey").mkdir(parents=True)
    (fake / "sources").mkdir()
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    lazy = fake / "survey" / "x.py"
    lazy.write_text("def f():\n    from ci_eval.pipeline import run_pipeline\n")
    relative = fake / "sources" / "pull.py"
    relative.write_text("from ..study import Study\nfrom .settings import FileSource\n")
    assert wrong_way_imports(lazy) == ["ci_eval.pipeline"]
    assert wrong_way_imports(relative) == ["ci_eval.study"]
