"""Public modules carry runnable docstring examples.

pytest's ``--doctest-modules`` (pyproject.toml) runs every example once; this test only checks
that the listed modules keep having examples, so an example deleted by mistake is noticed. It
finds them with :class:`doctest.DocTestFinder` and runs none of them (running them here too
would run every doctest twice).
"""

from __future__ import annotations

import doctest
import importlib
import sys
import types

import pytest

MODULES = [
    "ci_eval.codebook",
    "ci_eval.study",
    "ci_eval.results",
    "ci_eval.results.contract",
    "ci_eval.results.disclosure",
    "ci_eval.results.manifest",
    "ci_eval.results.store",
    "ci_eval.sources.credentials",
    "ci_eval.sources.files",
    "ci_eval.sources.limesurvey",
    "ci_eval.sources.limesurvey_export",
    "ci_eval.sources.limesurvey_structure",
    "ci_eval.sources.progress",
    "ci_eval.sources.pull",
    "ci_eval.sources.settings",
    "ci_eval.sources.snapshots",
    "ci_eval.terminal",
    "ci_eval.survey",
    "ci_eval.survey.design",
    "ci_eval.survey.structure",
    "ci_eval.survey.taylor",
    "ci_eval.survey.variables",
    "ci_eval.survey.quantile",
    "ci_eval.survey.uniroot",
    "ci_eval.survey.grouped",
    "ci_eval.survey.hadamard",
    "ci_eval.survey.replicate",
    "ci_eval.survey.replicate_weights",
]


def example_count(module_name: str) -> int:
    """The number of docstring examples in a module (its own objects only)."""
    module = importlib.import_module(module_name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module)
    return sum(len(t.examples) for t in tests)


@pytest.mark.parametrize("name", MODULES)
def test_module_keeps_docstring_examples(name: str) -> None:
    assert example_count(name) > 0, f"{name} has no docstring examples"


def test_example_count_sees_a_module_without_examples(monkeypatch) -> None:
    bare = types.ModuleType("bare_module")
    bare.__doc__ = "A module whose docstring shows no example."
    monkeypatch.setitem(sys.modules, "bare_module", bare)
    assert example_count("bare_module") == 0
