"""Public modules carry runnable docstring examples (pytest's --doctest-modules runs them all;
this test makes sure the listed modules keep having at least one, and that they hold)."""

from __future__ import annotations

import doctest
import importlib

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
    "ci_eval.sources.limesurvey_structure",
    "ci_eval.sources.progress",
    "ci_eval.sources.pull",
    "ci_eval.sources.snapshots",
    "ci_eval.sources.summary",
    "ci_eval.survey",
    "ci_eval.survey.design",
    "ci_eval.survey.structure",
    "ci_eval.survey.taylor",
    "ci_eval.survey.variables",
    "ci_eval.survey.quantile",
    "ci_eval.survey.grouped",
    "ci_eval.survey.hadamard",
    "ci_eval.survey.replicate",
    "ci_eval.survey.replicate_weights",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
