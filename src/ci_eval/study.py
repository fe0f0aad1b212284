"""The study file ``ci-eval.toml``: load and validate it.

A study is a folder whose ``ci-eval.toml`` names its surveys, where each wave of
each survey comes from (a LimeSurvey server or a file), the waves and the
baseline, and the settings of later stages. Paths in the file are relative to
the study folder and must stay inside it (``paths_outside = true`` in ``[study]`` lifts
that); an edition is a plain name (it names the folder ``reports/<edition>``). Every table
and key is checked: a misspelt one is an error with a "did you mean". The settings of the
later stages (``[weighting.<survey>]``, ``[quality.<survey>]``, ``[analysis]``, ``[report]``)
are validated by the stage that owns them, before a run starts
(:func:`ci_eval.pipeline.check_settings`).

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
... [surveys.youth.sources.2021]
... type = "file"
... path = "surveys/youth/data/youth_2021.sav"
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

import difflib
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from ci_eval.errors import StudyError, validation_problems
from ci_eval.results.contract import LANGUAGES
from ci_eval.results.disclosure import DisclosureRules
from ci_eval.results.report_settings import ReportSettings, Text, text_in
from ci_eval.sources.settings import FileSource, LimeSurveySource, Source

STUDY_FILE = "ci-eval.toml"

__all__ = [
    "STUDY_FILE",
    "Disclosure",
    "FileSource",
    "LimeSurveySource",
    "ReportSettings",
    "Source",
    "Study",
    "StudyInfo",
    "SurveyAbout",
    "SurveyConfig",
    "Text",
    "WaveAbout",
    "Waves",
    "load_study",
    "text_in",
]


def _as_str(value: Any) -> Any:
    # TOML lets a wave be written 2021 or "2021"; waves are strings throughout.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""An edition's name: letters, digits, ``_ . -``, not starting with a dot (no path)."""


class StudyInfo(_Strict):
    """The ``[study]`` table; ``publisher`` (who publishes the report) signs its footer."""

    name: str
    edition: str
    languages: list[str] = list(LANGUAGES)
    model: str | None = None
    seed: int = 0
    publisher: Text | None = None
    paths_outside: bool = False

    _edition = field_validator("edition", mode="before")(_as_str)

    @field_validator("edition")
    @classmethod
    def _plain_edition(cls, value: str) -> str:
        if not PLAIN_NAME.fullmatch(value) or ".." in value:
            raise ValueError(
                f"{value!r} is not a plain name; an edition names the folder "
                "reports/<edition>: use letters, digits, '-', '_' or '.', e.g. edition = '2024'"
            )
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list at least one language, e.g. languages = ['en', 'fr']")
        unknown = [lang for lang in value if lang not in LANGUAGES]
        if unknown:
            raise ValueError(
                f"no report translation for {', '.join(map(repr, unknown))}; "
                f"the languages are {', '.join(LANGUAGES)}"
            )
        if len(set(value)) != len(value):
            raise ValueError(f"a language is listed twice in languages = {value}")
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


class WaveAbout(_Strict):
    """One wave of a survey as the methods describe it (``[surveys.<name>.about.waves.<wave>]``).

    ``fieldwork`` is the first and last day of data collection (TOML dates); ``invited`` the
    people (or programs) asked to take part; ``response_rate`` (a probability sample) or
    ``participation_rate`` (an opt-in panel or a census of programs), as a share, where known.
    """

    fieldwork: tuple[date, date] | None = None
    invited: int | None = Field(default=None, ge=1)
    response_rate: float | None = Field(default=None, gt=0, le=1)
    participation_rate: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _coherent(self) -> WaveAbout:
        if self.fieldwork and self.fieldwork[0] > self.fieldwork[1]:
            start, end = self.fieldwork
            raise ValueError(f"fieldwork ends ({end}) before it starts ({start})")
        if self.response_rate is not None and self.participation_rate is not None:
            raise ValueError("give response_rate or participation_rate, not both")
        return self


class SurveyAbout(_Strict):
    """What the report says of a survey (``[surveys.<name>.about]``): who it is about
    (``population``), how its sample was drawn (``sample``), who ran it (``publisher``),
    where its weighting targets come from (``targets_source``), whether its data are
    ``simulated`` (a notice then shows on every page) and each wave's fieldwork."""

    population: Text | None = None
    sample: Text | None = None
    publisher: Text | None = None
    targets_source: Text | None = None
    simulated: StrictBool = False
    waves: dict[str, WaveAbout] = {}

    @field_validator("waves", mode="before")
    @classmethod
    def _wave_keys(cls, value: Any) -> Any:
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value

    def texts(self) -> dict[str, Text | None]:
        """The texts of the description, by field name."""
        return {
            "population": self.population,
            "sample": self.sample,
            "publisher": self.publisher,
            "targets_source": self.targets_source,
        }


DEFAULT_ID = "id"
"""The id column of a survey whose ``id`` is not set (LimeSurvey's response id)."""


POPULATIONS = {
    "respondent": {"en": "all respondents", "fr": "l'ensemble des répondants"},
    "program": {"en": "all programs", "fr": "l'ensemble des programmes"},
    "organisation": {
        "en": "all member organisations",
        "fr": "l'ensemble des organismes membres",
    },
}
"""Who a survey's indicators without a universe are about, by ``unit``, when ``population``
is not given."""


class SurveyConfig(_Strict):
    """One ``[surveys.<name>]`` table.

    ``population``: everyone the survey speaks for, as a noun phrase per language (French
    with its article: ``{en = "all young adults aged 18 to 30", fr = "l'ensemble des jeunes
    adultes de 18 à 30 ans"}``); the report reads it as "Population: ..." after a number and as
    "among ..." / « parmi ... », and names an overall row by it. ``about.population`` is the
    methods' definition of the target population, a sentence of its own.
    """

    label: dict[str, str] = {}
    population: dict[str, str] = {}
    codebook: str | None = None
    unit: Literal["respondent", "program", "organisation"] = "respondent"
    id: str | None = None
    language: str | None = None
    sources: dict[str, Source] = {}
    about: SurveyAbout = SurveyAbout()

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
    """A validated study; ``root`` is its folder, ``file`` its ``ci-eval.toml``.

    ``weighting``, ``quality``, ``analysis`` and ``report`` hold the later stages' tables as
    read; each stage validates its own (see the module docstring).
    """

    model_config = ConfigDict(extra="forbid")

    study: StudyInfo
    waves: Waves
    surveys: dict[str, SurveyConfig] = {}
    weighting: dict[str, dict[str, Any]] = {}
    quality: dict[str, dict[str, Any]] = {}
    disclosure: Disclosure = Disclosure()
    analysis: dict[str, Any] = {}
    report: dict[str, Any] = {}

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
            for wave in survey.about.waves:
                if wave not in self.waves.all:
                    raise ValueError(
                        f"surveys.{name}.about.waves.{wave}: wave {wave!r} is not in "
                        f"waves.all = {self.waves.all}"
                    )
        if self.surveys:
            for wave in self.waves.all:
                if not any(wave in survey.sources for survey in self.surveys.values()):
                    raise ValueError(
                        f"waves.all: wave {wave!r} has no source in any survey; add "
                        f"[surveys.<name>.sources.{wave}] or remove it from waves.all"
                    )
        for section in ("weighting", "quality"):
            for name in getattr(self, section):
                if name not in self.surveys:
                    raise ValueError(
                        f"{section}.{name}: no survey {name!r}"
                        f"{_did_you_mean(name, list(self.surveys))}; "
                        f"the surveys are {', '.join(self.surveys) or 'none'}"
                    )
        return self

    @model_validator(mode="after")
    def _texts_in_every_language(self) -> Study:
        texts = {"study.publisher": self.study.publisher}
        for name, survey in self.surveys.items():
            texts |= {f"surveys.{name}.about.{k}": v for k, v in survey.about.texts().items()}
        for key, text in texts.items():
            if isinstance(text, dict):
                missing = [lang for lang in self.study.languages if not text.get(lang)]
                if missing:
                    raise ValueError(
                        f"{key}: no text in {', '.join(missing)}; give one per language "
                        f"of [study] languages, or one plain string for all"
                    )
        return self

    def paths(self) -> dict[str, str]:
        """Every path the study file names, by its key (``surveys.youth.codebook``)."""
        found = {"study.model": self.study.model} if self.study.model else {}
        for name, survey in self.surveys.items():
            if survey.codebook:
                found[f"surveys.{name}.codebook"] = survey.codebook
            for wave, source in survey.sources.items():
                if isinstance(source, FileSource):
                    found[f"surveys.{name}.sources.{wave}.path"] = source.path
        for name, table in self.weighting.items():
            if isinstance(table.get("targets"), str):
                found[f"weighting.{name}.targets"] = table["targets"]
        return found

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

    def _confine_paths(self) -> list[str]:
        """The keys whose path leaves the study folder (unless ``paths_outside``)."""
        if self.study.paths_outside:
            return []
        root = self._root.resolve()
        return [
            f"{key}: {value!r} is outside the study folder; keep the study's files inside it "
            "(or set paths_outside = true in [study])"
            for key, value in self.paths().items()
            if not (root / value).resolve().is_relative_to(root)
        ]

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
        problems = [
            p.replace(".file.", ".").replace(".limesurvey.", ".")  # union tags: not the reader's
            for p in validation_problems(exc, Study)
        ]
        raise StudyError(f"{file}: invalid study file:\n- " + "\n- ".join(problems)) from None
    study._root = file.parent
    study._file = file
    outside = study._confine_paths()
    if outside:
        raise StudyError(f"{file}: invalid study file:\n- " + "\n- ".join(outside))
    return study


def _did_you_mean(name: str, known: list[str]) -> str:
    """`` (did you mean 'weighting'?)`` for a near miss, else ``""``.

    >>> _did_you_mean("wights", ["study", "weighting"])
    " (did you mean 'weighting'?)"
    """
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
