"""Load a study's theory-of-change model together with the codebooks it is checked against.

>>> from pathlib import Path
>>> callable(load_study_model)
True
"""

from __future__ import annotations

from pathlib import Path

from ci_eval.codebook import Codebook
from ci_eval.errors import ModelError
from ci_eval.study import load_study
from ci_eval.toc.schema import ToCModel
from ci_eval.toc.validate import load_model


def study_codebooks(study_folder: str | Path) -> dict[str, Codebook]:
    """Every survey's codebook of a study, by survey name."""
    study = load_study(study_folder)
    return {
        name: Codebook.from_yaml(study.path(survey.codebook))
        for name, survey in study.surveys.items()
        if survey.codebook is not None
    }


def load_study_model(study_folder: str | Path) -> tuple[ToCModel, Path]:
    """The validated model named by ``[study] model`` and its path.

    Raises
    ------
    ModelError
        If the study names no model, or the model does not validate (every problem listed).
    """
    study = load_study(study_folder)
    if study.study.model is None:
        raise ModelError(
            f"{study_folder}: ci-eval.toml names no model; add model = 'models/<name>.yaml' "
            "to [study]"
        )
    path = study.path(study.study.model)
    return load_model(path, study_codebooks(study_folder)), path
