"""The settings of a survey wave's source, as the study file gives them, and what a pull
needs to know of the study.

The study file (:mod:`ci_eval.study`) validates ``[surveys.<name>.sources.<wave>]`` with
these models; the pull functions take them, and the study only through
:class:`SourceStudy`, so that ``sources`` never imports the study module.

>>> FileSource(type="file", path="youth_2024.sav").chunk_size
50000
>>> try:
...     LimeSurveySource(type="limesurvey", url="ftp://x", survey_id=1)
... except ValueError as exc:
...     print("url must start with http" in str(exc))
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["FileSource", "LimeSurveySource", "Source", "SourceStudy"]

_SECRET_KEYS = {"user", "username", "password", "passwd", "secret", "token", "api_key"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileSource(_Strict):
    """A wave delivered as a file (sav/zsav/por/dta/sas7bdat/xpt/csv/parquet)."""

    type: Literal["file"]
    path: str
    codebook: str | None = None
    """A codebook for this file only (CSV needs one, unless the survey's codebook is used)."""
    encoding: str | None = None
    chunk_size: int = Field(default=50_000, gt=0)


class LimeSurveySource(_Strict):
    """A wave pulled from a LimeSurvey server (RemoteControl 2 JSON-RPC)."""

    type: Literal["limesurvey"]
    url: str
    survey_id: int
    completed_only: bool = True
    credentials: str = "CI_EVAL_LS"
    """Prefix of the environment variables ``<prefix>_USER`` / ``<prefix>_PASSWORD``."""
    languages: list[str] | None = None
    """Languages of the structure to pull; default: the study's languages."""
    timeout: float = Field(default=60.0, gt=0)
    retries: int = Field(default=3, ge=0)
    batch_size: int = Field(default=5_000, gt=0)
    verify_every: int = Field(default=10, gt=0)
    """Every this many pulls, compare the content of every response held with the server."""

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            found = sorted(k for k in data if str(k).lower() in _SECRET_KEYS)
            if found:
                raise ValueError(
                    f"{', '.join(found)} must not be in the study file; set the environment "
                    "variables <credentials>_USER and <credentials>_PASSWORD instead"
                )
        return data

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                "url must start with http:// or https:// and point at index.php/admin/remotecontrol"
            )
        return value


Source = Annotated[FileSource | LimeSurveySource, Field(discriminator="type")]


class _Survey(Protocol):
    codebook: str | None
    sources: Mapping[str, FileSource | LimeSurveySource]


class _Info(Protocol):
    languages: Sequence[str]


class _Waves(Protocol):
    all: Sequence[str]


class SourceStudy(Protocol):
    """What the pull functions read of a study (:class:`ci_eval.study.Study` has it)."""

    surveys: Mapping[str, Any]
    study: _Info
    waves: _Waves

    @property
    def file(self) -> Path:
        """The study file, named in error messages."""
        ...

    def path(self, relative: str | Path) -> Path:
        """A path of the study file, resolved against the study folder."""
        ...

    def survey(self, name: str) -> Any:
        """The survey ``name`` (``codebook``, ``sources``)."""
        ...

    def source(self, survey: str, wave: str) -> FileSource | LimeSurveySource:
        """The source of one wave of one survey."""
        ...
