"""Shared fixtures of the test suite.

- ``demo_study``: a copy of the bundled demo study (study file, model, codebooks, data and
  targets; no raw snapshots, results or cache) in a temporary folder, for tests that run the
  pipeline or the CLI and must not write into the repository.
- ``demo_model_study``: the demo's study file, model and codebooks only (no data), for the
  model commands and for copies that a test breaks on purpose.
- ``demo_built``: the demo study run once per session with its book (``reports/2024`` with
  ``site/en`` and ``site/fr``), for the tests that read the real report; never modify it.

The demo study read, scored and analysed once per session is ``analysis_fixtures.py``
(``demo_inputs``, ``demo_tables``, ``demo_truth``: cached functions, imported by the tests that
need them); the small synthetic results store of the report tests is ``report_synthetic.py``;
the model fixtures of the theory-of-change tests are ``toc_fixtures.py``; the loopback
LimeSurvey server is ``limesurvey_server.py``.

Module layout: ``test_<module>.py`` tests ``ci_eval.<module>`` (``test_survey_weighting_*`` the
``ci_eval.survey.weighting`` package, ``test_pipeline*`` ``ci_eval.pipeline``, ``test_cli_*``
the commands); tests over a few seconds carry ``@pytest.mark.slow`` (``make check`` skips them).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def copy_demo_study(folder: Path, data: bool = True) -> Path:
    """Copy the demo study into ``folder`` (with its data unless ``data=False``)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "ci-eval.toml", folder / "ci-eval.toml")
    shutil.copytree(ROOT / "models", folder / "models")
    if data:
        shutil.copytree(ROOT / "surveys", folder / "surveys", ignore=shutil.ignore_patterns("raw"))
        return folder
    for codebook in sorted(ROOT.glob("surveys/*/codebook.yaml")):
        target = folder / codebook.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(codebook, target)
    return folder


@pytest.fixture
def demo_study(tmp_path: Path) -> Path:
    return copy_demo_study(tmp_path / "study")


@pytest.fixture
def demo_model_study(tmp_path: Path) -> Path:
    return copy_demo_study(tmp_path / "study", data=False)


@pytest.fixture(scope="session")
def demo_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ci_eval.pipeline import run_pipeline

    study = copy_demo_study(tmp_path_factory.mktemp("demo-built") / "study")
    run_pipeline(study)
    return study
