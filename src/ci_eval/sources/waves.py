"""Which waves of a survey are pulled, how each is read with the survey's codebook
(:func:`harmonise_wave`, the read step's and ``ci-eval codebook``'s one path), and export
of a wave's codebook (``ci-eval codebook``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ci_eval.codebook import Codebook
from ci_eval.errors import CiEvalError
from ci_eval.sources.limesurvey_structure import RESPONSE_FIELDS, response_column
from ci_eval.sources.pull import load_responses, snapshot_store, type_responses, wave_codebook
from ci_eval.sources.settings import LimeSurveySource, SourceStudy

__all__ = [
    "LANGUAGE_FIELD",
    "SurveyCodebook",
    "export_codebook",
    "harmonisation_check",
    "harmonise_wave",
    "pulled_waves",
    "source_columns",
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


LANGUAGE_FIELD = "startlanguage"
"""LimeSurvey's field for the language a response was given in: the column of the survey's
``language`` variable when that variable has no question."""


def source_columns(
    study: SourceStudy, survey: str, wave: str, codebook: Codebook
) -> dict[str, str] | None:
    """Each variable's column in a LimeSurvey wave (None for a file: columns by name).

    A variable is read from the column of its question
    (:func:`~ci_eval.sources.limesurvey_structure.response_column`, the rule the exporter
    names the columns with); the survey's ``language`` variable, when it has no question,
    from :data:`LANGUAGE_FIELD`. A wave mapping in the codebook wins over both.
    """
    if not isinstance(study.source(survey, wave), LimeSurveySource):
        return None
    columns = {
        name: column
        for name, var in codebook.variables.items()
        if (column := response_column(var)) is not None
    }
    language = getattr(study.survey(survey), "language", None)
    if language in codebook.variables and language not in columns:
        columns[language] = LANGUAGE_FIELD
    return columns


def harmonise_wave(study: SourceStudy, survey: str, wave: str, codebook: Codebook) -> pd.DataFrame:
    """A wave's responses with the survey codebook's names and codes (see
    :meth:`Codebook.harmonise`). A LimeSurvey wave is matched by question
    (:func:`source_columns`), and the fields LimeSurvey records itself (``id``,
    ``submitdate``...) that no variable reads are dropped.

    Raises
    ------
    CodebookError
        Naming each variable without a column and each column no variable reads, with the fix.
    """
    columns = source_columns(study, survey, wave, codebook)
    accepted = tuple(RESPONSE_FIELDS) if columns is not None else ()
    typed = typed_wave(study, survey, wave)
    return codebook.harmonise(typed, wave=wave, columns=columns, accepted=accepted)


def harmonisation_check(
    study: SourceStudy, survey: str, codebook: Codebook
) -> list[tuple[str, str]]:
    """For each pulled wave: ``(wave, "fits")`` or ``(wave, <unmapped differences>)``.

    The wave is read as the run reads it (:func:`harmonise_wave`); differences the
    codebook does not map are reported, never guessed.
    """
    results = []
    for wave in pulled_waves(study, survey):
        try:
            harmonise_wave(study, survey, wave, codebook)
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
