"""The study file ``ci-eval.toml``: load and validate it.

A study is a folder whose ``ci-eval.toml`` names its surveys, where each wave of
each survey comes from (a LimeSurvey server or a file), the waves and the
baseline, and the settings of later stages. Paths in the file are relative to
the study folder. Sections this module does not know are kept as plain dicts
(``study.model_extra``) so that other stages can read their own settings.

Credentials never live in the study file: a LimeSurvey source names an
environment-variable prefix (``credentials = "CI_EVAL_LS"``), see
:mod:`ci_eval.sources.credentials`.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "ci-eval.toml").write_text('''
... [study]
... name = "Demo"
... edition = "2024"
... [waves]
... baseline = "2021"
... all = ["2021", "2024"]
... [surveys.youth]
... codebook = "surveys/youth/codebook.yaml"
... [surveys.youth.sources.2024]
... type = "file"
... path = "surveys/youth/data/youth_2024.sav"
... ''', encoding="utf-8")
>>> study = load_study(folder)
>>> study.surveys["youth"].sources["2024"].type
'file'
>>> study.path(study.surveys["youth"].codebook).relative_to(folder).as_posix()
'surveys/youth/codebook.yaml'
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from ci_eval.errors import StudyError
from ci_eval.results.disclosure import DisclosureRules
from ci_eval.sources.settings import FileSource, LimeSurveySource, Source

STUDY_FILE = "ci-eval.toml"

__all__ = [
    "STUDY_FILE",
    "Disclosure",
    "FileSource",
    "LimeSurveySource",
    "Source",
    "Study",
    "StudyInfo",
    "SurveyConfig",
    "Waves",
    "load_study",
]


def _as_str(value: Any) -> Any:
    # TOML lets a wave be written 2021 or "2021"; waves are strings throughout.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudyInfo(_Strict):
    """The ``[study]`` table."""

    name: str
    edition: str
    languages: list[str] = ["en", "fr"]
    model: str | None = None
    seed: int = 0

    _edition = field_validator("edition", mode="before")(_as_str)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list at least one language, e.g. languages = ['en', 'fr']")
        return value


class Waves(_Strict):
    """The ``[waves]`` table: every wave, and the baseline among them."""

    baseline: str
    all: list[str]

    _baseline = field_validator("baseline", mode="before")(_as_str)

    @field_validator("all", mode="before")
    @classmethod
    def _all(cls, value: Any) -> Any:
        return [_as_str(v) for v in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _baseline_is_a_wave(self) -> Waves:
        if self.baseline not in self.all:
            raise ValueError(f"baseline {self.baseline!r} is not one of all = {self.all}")
        if len(set(self.all)) != len(self.all):
            raise ValueError(f"a wave is listed twice in all = {self.all}")
        return self


DEFAULT_ID = "id"
"""The id column of a survey whose ``id`` is not set (LimeSurvey's response id)."""


POPULATIONS = {
    "respondent": {"en": "all respondents", "fr": "l'ensemble des répondants"},
    "program": {"en": "all programs", "fr": "l'ensemble des programmes"},
}
"""Who a survey's indicators without a universe are about, by ``unit``, when ``population``
is not given."""


class SurveyConfig(_Strict):
    """One ``[surveys.<name>]`` table.

    ``population``: everyone the survey speaks for, as a noun phrase per language (French
    with its article: ``{en = "all young adults aged 18 to 30", fr = "l'ensemble des jeunes
    adultes de 18 à 30 ans"}``); the report reads it as "among ..." / « parmi ... ».
    """

    label: dict[str, str] = {}
    population: dict[str, str] = {}
    codebook: str | None = None
    unit: Literal["respondent", "program"] = "respondent"
    id: str | None = None
    language: str | None = None
    sources: dict[str, Source] = {}

    @field_validator("sources", mode="before")
    @classmethod
    def _wave_keys(cls, value: Any) -> Any:
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value

    @property
    def id_column(self) -> str:
        """The column that identifies a respondent (or program): ``id`` unless set.

        >>> SurveyConfig().id_column, SurveyConfig(id="program_id").id_column
        ('id', 'program_id')
        """
        return self.id or DEFAULT_ID

    @property
    def population_label(self) -> dict[str, str]:
        """``population``, completed per language from the default of the survey's ``unit``.

        >>> SurveyConfig(unit="program").population_label["en"]
        'all programs'
        """
        return {**POPULATIONS[self.unit], **self.population}


Disclosure = DisclosureRules
"""The ``[disclosure]`` table: :class:`ci_eval.results.disclosure.DisclosureRules`."""


class Study(BaseModel):
    """A validated study; ``root`` is its folder, ``file`` its ``ci-eval.toml``."""

    model_config = ConfigDict(extra="allow")

    study: StudyInfo
    waves: Waves
    surveys: dict[str, SurveyConfig] = {}
    weighting: dict[str, dict[str, Any]] = {}
    quality: dict[str, dict[str, Any]] = {}
    disclosure: Disclosure = Disclosure()

    _root: Path = PrivateAttr(default=Path("."))
    _file: Path = PrivateAttr(default=Path(STUDY_FILE))

    @model_validator(mode="after")
    def _sources_are_waves(self) -> Study:
        for name, survey in self.surveys.items():
            for wave in survey.sources:
                if wave not in self.waves.all:
                    raise ValueError(
                        f"surveys.{name}.sources.{wave}: wave {wave!r} is not in "
                        f"waves.all = {self.waves.all}; add it there"
                    )
        return self

    @property
    def root(self) -> Path:
        """The study folder."""
        return self._root

    @property
    def file(self) -> Path:
        """The ``ci-eval.toml`` this study was read from."""
        return self._file

    def path(self, relative: str | Path) -> Path:
        """A path of the study file, resolved against the study folder."""
        return self._root / relative

    def survey(self, name: str) -> SurveyConfig:
        """The survey ``name``; a StudyError lists the known surveys otherwise."""
        try:
            return self.surveys[name]
        except KeyError:
            known = ", ".join(self.surveys) or "none"
            raise StudyError(
                f"{self._file}: no survey {name!r} (surveys: {known}); add a [surveys.{name}] table"
            ) from None

    def source(self, survey: str, wave: str) -> FileSource | LimeSurveySource:
        """The source of one wave of one survey."""
        config = self.survey(survey)
        try:
            return config.sources[str(wave)]
        except KeyError:
            known = ", ".join(config.sources) or "none"
            raise StudyError(
                f"{self._file}: survey {survey!r} has no source for wave {wave!r} "
                f"(waves with a source: {known}); add [surveys.{survey}.sources.{wave}]"
            ) from None


def load_study(path: str | Path = ".") -> Study:
    """Read and validate a study.

    Parameters
    ----------
    path : str or Path
        The study folder, or its ``ci-eval.toml``.

    Raises
    ------
    StudyError
        Naming the file and every key at fault.
    """
    path = Path(path)
    file = path / STUDY_FILE if path.is_dir() else path
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise StudyError(
            f"{file}: no study file; a study folder needs a {STUDY_FILE} (see README)"
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StudyError(f"{file}: not UTF-8 text ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{file}: not valid TOML: {exc}") from None
    try:
        study = Study.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
            # discriminated unions add the tag to the path: drop it for the reader
            key = key.replace(".file.", ".").replace(".limesurvey.", ".")
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{key or '(top level)'}: {msg}")
        raise StudyError(f"{file}: invalid study file:\n- " + "\n- ".join(problems)) from None
    study._root = file.parent
    study._file = file
    return study
