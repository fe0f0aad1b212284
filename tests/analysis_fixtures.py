"""Shared inputs of the analysis tests: the bundled demo study, read and scored once.

The demo study (repo root: ci-eval.toml, surveys/, models/) is simulated by ci_eval.demo, with
its planted truth in surveys/demo_truth.yaml.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from ci_eval.codebook import Codebook
from ci_eval.quality import check_quality
from ci_eval.sources.files import read_survey_file
from ci_eval.study import load_study
from ci_eval.toc import load_model, score_indicators

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def demo_inputs():
    """``(study, model, codebooks, scored, raw, quality)`` of the demo study."""
    study = load_study(ROOT)
    codebooks = {
        name: Codebook.from_yaml(study.path(cfg.codebook)) for name, cfg in study.surveys.items()
    }
    model = load_model(study.path(study.study.model), codebooks)
    scored: dict = {}
    raw: dict = {}
    quality = {}
    for name, cfg in study.surveys.items():
        for wave, source in cfg.sources.items():
            data = read_survey_file(study.path(source.path), survey=name, wave=wave).data
            data = codebooks[name].harmonise(data, wave=wave)
            result = check_quality(data, study.quality.get(name, {}))
            quality[(name, wave)] = result
            raw.setdefault(name, {})[wave] = result.clean
            scored.setdefault(name, {})[wave] = score_indicators(
                model, result.clean, codebooks[name], id_column=cfg.id
            )
    return study, model, codebooks, scored, raw, quality


@functools.cache
def demo_truth() -> dict:
    """The planted effects of the demo study."""
    return yaml.safe_load((ROOT / "surveys" / "demo_truth.yaml").read_text(encoding="utf-8"))


@functools.cache
def demo_tables():
    """Every table of the analysis stage on the demo study (computed once per test session)."""
    from ci_eval.analysis import analyse

    study, model, codebooks, scored, raw, quality = demo_inputs()
    return analyse(study, model, codebooks, scored, raw=raw, quality=quality)
