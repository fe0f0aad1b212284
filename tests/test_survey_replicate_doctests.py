"""The docstring examples of the replicate-design modules run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
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
