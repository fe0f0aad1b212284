"""The docstring examples of the sources and codebook modules run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "ci_eval.codebook",
    "ci_eval.study",
    "ci_eval.sources.credentials",
    "ci_eval.sources.files",
    "ci_eval.sources.limesurvey",
    "ci_eval.sources.limesurvey_structure",
    "ci_eval.sources.progress",
    "ci_eval.sources.pull",
    "ci_eval.sources.snapshots",
    "ci_eval.sources.summary",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
