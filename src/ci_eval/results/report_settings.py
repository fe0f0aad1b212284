"""The report's settings, declared once: the study's ``[report]`` table and the book's defaults.

Every key is optional. A key left out (``None``) takes the book's default (``book/report.yaml``,
validated by the same model), else a default derived from the results store when the book is
drawn (:attr:`ci_eval.report.page.Page.settings`). An unknown key is an error that names it, in
the study file (:func:`ci_eval.study.load_study`) as in the book's defaults.

```toml
[report]
people_survey = "youth"                # the survey of people (default: youth, else the first)
sector_survey = "organisations"        # the survey of programs (default: organisations)
headline = ["mentored_6_18", "mentoring_gap"]   # the gap page's headline indicators
gap_outcomes = ["access"]              # the outcomes of the gap page
[report.key_findings]
order = ["numbers", "contributions", "capacity", "equity"]   # what leads; leave one out: hidden
numbers = ["mentored_6_18", "mentoring_gap", "mentored_structured_all", "mentored_structured"]
contributions = ["good_mental_health__mentored_6_18"]       # contribution ids (at most 3 shown)
capacity = ["has_waitlist", "youth_waiting", "demand_outpaces_capacity"]
equity = "mentoring_gap"               # the indicator whose widest equity gap is told
```

Ids the results do not hold are left out when the book is drawn (the book's defaults name the
demo's ids), so the page falls back to what the study has.

>>> ReportSettings.model_validate({"key_findings": {"order": ["equity"]}}).key_findings.order
['equity']
>>> merge_settings({"headline": ["a"], "key_findings": {"equity": "g"}},
...                {"key_findings": {"order": ["numbers"]}, "gap_outcomes": None})
{'headline': ['a'], 'key_findings': {'equity': 'g', 'order': ['numbers']}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ci_eval.errors import ReportError, validation_problems

FINDINGS = ("numbers", "contributions", "capacity", "equity")
"""The kinds of key findings, in their default order."""

MAX_CONTRIBUTIONS = 3
"""At most this many contribution headlines lead the key findings."""

Finding = Literal["numbers", "contributions", "capacity", "equity"]

Text = str | dict[str, str]
"""A text of the study file: the same in every language, or one per language
(``{ en = "...", fr = "..." }``, every language of ``[study] languages``)."""


def text_in(text: Text | None, lang: str) -> str:
    """A study-file text in one language ('' when not given).

    >>> text_in({"en": "Youth", "fr": "Jeunes"}, "fr"), text_in("MENTOR", "fr"), text_in(None, "en")
    ('Jeunes', 'MENTOR', '')
    """
    if text is None:
        return ""
    return text if isinstance(text, str) else text.get(lang, "")


class KeyFindingsSettings(BaseModel):
    """``[report.key_findings]``: which findings lead the key-findings page, in what order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order: list[Finding] | None = Field(
        default=None, description="the sections in order (default: every kind, FINDINGS order)"
    )
    numbers: list[str] | None = Field(
        default=None,
        description="indicators of the people survey whose level and change since the "
        "baseline lead (default: the headline indicators of the people survey)",
    )
    contributions: list[str] | None = Field(
        default=None,
        description="contribution ids told in words from their primary (adjusted) estimate "
        f"(default: the first {MAX_CONTRIBUTIONS} with a published primary estimate)",
    )
    capacity: list[str] | None = Field(
        default=None,
        description="indicators of the sector survey on its capacity (default: its "
        "indicators of the outcome of the first headline one)",
    )
    equity: str | None = Field(
        default=None,
        description="the indicator whose widest equity gap is told (default: the first "
        "headline indicator that has equity gaps and a direction)",
    )


class ReportSettings(BaseModel):
    """The study's ``[report]`` table (every key optional, see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    people_survey: str | None = None
    sector_survey: str | None = None
    headline: list[str] | None = None
    gap_outcomes: list[str] | None = None
    key_findings: KeyFindingsSettings = KeyFindingsSettings()


def _given(settings: Mapping[str, Any] | BaseModel | None) -> dict[str, Any]:
    """The keys that are set (not ``None``), nested tables as dicts."""
    if settings is None:
        return {}
    if isinstance(settings, BaseModel):
        settings = settings.model_dump()
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, Mapping):
            value = _given(value)
            if value:
                out[key] = value
        elif value is not None:
            out[key] = value
    return out


def merge_settings(*layers: Mapping[str, Any] | BaseModel | None) -> dict[str, Any]:
    """The settings of several layers (book defaults, then the study's): a later layer's set
    keys win, key by key within ``key_findings``; keys set to ``None`` are not set."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in _given(layer).items():
            if isinstance(value, dict):
                merged[key] = {**merged.get(key, {}), **value}
            else:
                merged[key] = value
    return merged


def report_settings(data: Mapping[str, Any] | None, where: str = "") -> ReportSettings:
    """Validate a ``[report]`` mapping; ``ReportError`` names ``where`` and every key at fault,
    an unknown key with a "did you mean" (:func:`ci_eval.errors.validation_problems`).
    :func:`ci_eval.pipeline.check_settings` runs it on the study's ``[report]`` before a run.

    >>> report_settings({"headlines": ["x"]}, "book/report.yaml")
    Traceback (most recent call last):
    ...
    ci_eval.errors.ReportError: book/report.yaml headlines: unknown key (did you mean \
'headline'?); the keys are people_survey, sector_survey, headline, gap_outcomes, key_findings
    """
    try:
        return ReportSettings.model_validate(dict(data or {}))
    except ValidationError as exc:
        prefix = f"{where} " if where else ""
        raise ReportError("\n".join(validation_problems(exc, ReportSettings, prefix))) from None
