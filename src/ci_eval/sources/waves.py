"""Which waves of a survey are pulled, whether each fits the survey's codebook, and export
of a wave's codebook (``ci-eval codebook``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ci_eval.codebook import Codebook
from ci_eval.errors import CiEvalError
from ci_eval.sources.pull import load_responses, snapshot_store, type_responses, wave_codebook
from ci_eval.sources.settings import SourceStudy

__all__ = [
    "SurveyCodebook",
    "export_codebook",
    "harmonisation_check",
    "pulled_waves",
    "survey_codebook",
    "typed_wave",
]


def pulled_waves(study: SourceStudy, survey: str) -> list[str]:
    """The waves of a survey that have at least one snapshot, in study order."""
    return [w for w in study.waves.all if snapshot_store(study, survey, w).latest() is not None]


def typed_wave(study: SourceStudy, survey: str, wave: str) -> pd.DataFrame:
    """A wave's responses as held, typed by the codebook of its own snapshot (LimeSurvey
    sends every answer as text: ``'1'`` becomes the code 1, ``''`` missing).

    The one typing path of ``ci-eval codebook``'s check and of the pipeline's read stage,
    so that a codebook reported as a fit is one the run accepts.
    """
    raw = load_responses(study, survey, wave)
    return type_responses(raw, wave_codebook(study, survey, wave))


def harmonisation_check(
    study: SourceStudy, survey: str, codebook: Codebook
) -> list[tuple[str, str]]:
    """For each pulled wave: ``(wave, "fits")`` or ``(wave, <unmapped differences>)``.

    The wave's raw responses are typed with the codebook of its own snapshot,
    then harmonised with the survey's codebook; differences the codebook does
    not map are reported, never guessed.
    """
    results = []
    for wave in pulled_waves(study, survey):
        typed = typed_wave(study, survey, wave)
        try:
            codebook.harmonise(typed, wave=wave)
        except CiEvalError as exc:
            results.append((wave, str(exc)))
        else:
            results.append((wave, "fits"))
    return results


def export_codebook(study: SourceStudy, survey: str, wave: str | None, path: Path) -> Codebook:
    """Write the codebook of a wave's latest snapshot to ``path`` (YAML) and return it."""
    waves = pulled_waves(study, survey)
    chosen = wave if wave is not None else (waves[-1] if waves else study.waves.all[-1])
    codebook = wave_codebook(study, survey, chosen)
    codebook.to_yaml(path)
    return codebook


@dataclass
class SurveyCodebook:
    """What ``ci-eval codebook`` shows of a survey: its codebook file and how each pulled
    wave fits it (``checks``), or, without a codebook file, the latest pulled wave's own
    codebook (``from_wave``); ``codebook`` is None when neither exists."""

    codebook: Codebook | None
    checks: list[tuple[str, str]] = field(default_factory=list)
    from_wave: str | None = None
    suggested_path: str = ""


def survey_codebook(study: SourceStudy, survey: str) -> SurveyCodebook:
    """A survey's codebook and its fit to the pulled waves (see :class:`SurveyCodebook`)."""
    config = study.survey(survey)
    path = study.path(config.codebook) if config.codebook else None
    suggested = config.codebook or f"surveys/{survey}/codebook.yaml"
    if path is not None and path.is_file():
        codebook = Codebook.from_yaml(path)
        return SurveyCodebook(codebook, harmonisation_check(study, survey, codebook))
    waves = pulled_waves(study, survey)
    if not waves:
        return SurveyCodebook(None, suggested_path=suggested)
    latest = wave_codebook(study, survey, waves[-1])
    return SurveyCodebook(latest, from_wave=waves[-1], suggested_path=suggested)
