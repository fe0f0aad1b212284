"""Response quality: flag and exclude ineligible, duplicate, incomplete and careless responses.

Rules are set per survey in the study file (``[quality.<survey>]``); each is
optional and may set ``exclude = false`` to flag without excluding:

=================  =====================================================================
rule               settings
=================  =====================================================================
``eligibility``    ``column``, ``min``/``max`` and/or ``values``; missing is ineligible
``duplicates``     ``key = [columns]`` or ``ignore = [columns]`` (compare all others);
                   the first occurrence is kept
``incomplete``     ``min_answered`` (share, 0-1) of ``columns`` (default: all columns)
``speeders``       ``column`` (seconds) and ``min_ratio``: faster than ratio x median
``straightlining`` ``grids`` (lists of items), ``min_items`` answered per grid (3),
                   ``min_grids`` identical grids to flag (1)
``attention``      ``column`` and ``pass = [codes]``; ``missing_fails`` (false)
``out_of_range``   ``columns = {column = [min, max]}``
=================  =====================================================================

Every rule flags rows of the whole input independently; exclusions are then
attributed in the order above (a row counts for the first rule that excludes it),
so the summary reads as a flow: input, minus each rule, equals the clean rows.
Nothing is dropped without being counted.

>>> import pandas as pd
>>> df = pd.DataFrame({"id": ["a", "b", "c", "d"], "age": [17, 20, 25, 25], "q": [1, 2, 3, 3]})
>>> result = check_quality(df, {"eligibility": {"column": "age", "min": 18, "max": 30},
...                             "duplicates": {"ignore": ["id"]}})
>>> result.clean["id"].tolist()
['b', 'c']
>>> result.summary[["rule", "flagged", "excluded", "remaining"]].values.tolist()
[['responses', 4, 0, 4], ['eligibility', 1, 1, 3], ['duplicates', 1, 1, 2]]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ci_eval.errors import QualityError, did_you_mean, validation_problems
from ci_eval.results.contract import columns

RULES = (
    "eligibility",
    "duplicates",
    "incomplete",
    "speeders",
    "straightlining",
    "attention",
    "out_of_range",
)
"""The rules, in the order exclusions are attributed."""

SUMMARY_COLUMNS = columns("quality")[2:6]  # the results table less survey, wave and about


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    exclude: bool = True


class Eligibility(_Rule):
    column: str
    min: float | None = None
    max: float | None = None
    values: list[int | float | str] | None = None

    @model_validator(mode="after")
    def _some_condition(self) -> Eligibility:
        if self.min is None and self.max is None and self.values is None:
            raise ValueError("give min, max or values")
        return self


class Duplicates(_Rule):
    key: list[str] | None = None
    ignore: list[str] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Duplicates:
        if (self.key is None) == (self.ignore is None):
            raise ValueError("give either key = [columns] or ignore = [columns]")
        return self


class Incomplete(_Rule):
    min_answered: float = Field(gt=0, le=1)
    columns: list[str] | None = None


class Speeders(_Rule):
    column: str
    min_ratio: float = Field(default=0.3, gt=0, lt=1)


class Straightlining(_Rule):
    grids: list[list[str]] = Field(min_length=1)
    min_items: int = Field(default=3, ge=2)
    min_grids: int = Field(default=1, ge=1)


class Attention(_Rule):
    column: str
    pass_: list[int | float | str] = Field(alias="pass", min_length=1)
    missing_fails: bool = False


class OutOfRange(_Rule):
    columns: dict[str, tuple[float, float]] = Field(min_length=1)


_SETTINGS: dict[str, type[_Rule]] = {
    "eligibility": Eligibility,
    "duplicates": Duplicates,
    "incomplete": Incomplete,
    "speeders": Speeders,
    "straightlining": Straightlining,
    "attention": Attention,
    "out_of_range": OutOfRange,
}


@dataclass(frozen=True)
class QualityResult:
    """The outcome of the quality checks on one survey wave.

    Attributes
    ----------
    clean : DataFrame
        The rows no rule excluded (original index kept).
    flags : DataFrame
        One boolean column per configured rule, for every input row.
    excluded_by : Series
        The first rule that excluded each input row (``""`` if kept).
    summary : DataFrame
        ``rule, flagged, excluded, remaining``; the first row counts the input.
    """

    clean: pd.DataFrame
    flags: pd.DataFrame
    excluded_by: pd.Series
    summary: pd.DataFrame


def parse_rules(settings: Mapping[str, Any], *, source: str = "[quality]") -> dict[str, _Rule]:
    """Validate a ``[quality.<survey>]`` table into rule settings, in :data:`RULES` order.

    Raises
    ------
    QualityError
        Naming the table and setting at fault, for every problem at once.
    """
    problems = [
        f"{source}.{name}: unknown rule{did_you_mean(name, list(RULES))}; "
        f"known rules: {', '.join(RULES)}"
        for name in settings
        if name not in _SETTINGS
    ]
    rules: dict[str, _Rule] = {}
    for name in RULES:
        if name not in settings:
            continue
        try:
            rules[name] = _SETTINGS[name].model_validate(settings[name])
        except ValidationError as exc:
            problems += validation_problems(exc, _SETTINGS[name], f"{source}.{name}.")
    if problems:
        raise QualityError("response-quality settings do not validate:\n- " + "\n- ".join(problems))
    return rules


def check_quality(
    responses: pd.DataFrame, settings: Mapping[str, Any], *, source: str = "[quality]"
) -> QualityResult:
    """Apply the configured rules to one survey wave.

    Parameters
    ----------
    responses : DataFrame
        Harmonised responses (codebook names and codes).
    settings : mapping
        The ``[quality.<survey>]`` table of the study file.
    source : str
        How to name that table in error messages.
    """
    rules = parse_rules(settings, source=source)
    flags = pd.DataFrame(index=responses.index)
    for name, rule in rules.items():
        flags[name] = _FLAGGERS[name](responses, rule, f"{source}.{name}")
    excluded_by = pd.Series("", index=responses.index, dtype=object)
    rows = [("responses", len(responses), 0, len(responses))]
    for name, rule in rules.items():
        newly = flags[name] & (excluded_by == "") if rule.exclude else flags[name] & False
        excluded_by[newly] = name
        rows.append(
            (name, int(flags[name].sum()), int(newly.sum()), int((excluded_by == "").sum()))
        )
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    clean = responses[(excluded_by == "").to_numpy()]
    return QualityResult(clean=clean, flags=flags, excluded_by=excluded_by, summary=summary)


def quality_table(results: Mapping[tuple[str, str], QualityResult]) -> pd.DataFrame:
    """Every survey wave's summary: ``survey, wave, rule, flagged, excluded, remaining``.

    >>> import pandas as pd
    >>> rules = {"eligibility": {"column": "age", "min": 18}}
    >>> r = check_quality(pd.DataFrame({"age": [17, 20]}), rules)
    >>> quality_table({("youth", "2024"): r})["excluded"].tolist()
    [0, 1]
    """
    frames = [
        result.summary.assign(survey=survey, wave=wave, about="")
        for (survey, wave), result in sorted(results.items())
    ]
    if not frames:
        return pd.DataFrame(columns=columns("quality"))
    return pd.concat(frames, ignore_index=True)[columns("quality")]


def write_quality_csv(results: Mapping[tuple[str, str], QualityResult], path: str | Path) -> Path:
    """Write :func:`quality_table` as ``quality.csv`` (counts only, never respondent ids)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    quality_table(results).to_csv(path, index=False, lineterminator="\n")
    return path


# ------------------------------------------------------------------ the rules


def _column(responses: pd.DataFrame, column: str, where: str) -> pd.Series:
    if column not in responses.columns:
        raise QualityError(
            f"{where}: column {column!r} is not in the responses; fix the setting or the codebook"
        )
    return responses[column]


def _eligibility(responses: pd.DataFrame, rule: Eligibility, where: str) -> pd.Series:
    values = _column(responses, rule.column, where)
    ok = values.notna()
    if rule.values is not None:
        ok &= values.isin(rule.values)
    numeric = pd.to_numeric(values, errors="coerce")
    if rule.min is not None:
        ok &= numeric >= rule.min
    if rule.max is not None:
        ok &= numeric <= rule.max
    return ~ok.fillna(False).astype(bool)


def _duplicates(responses: pd.DataFrame, rule: Duplicates, where: str) -> pd.Series:
    if rule.key is not None:
        subset = [_column(responses, c, where).name for c in rule.key]
    else:
        subset = [c for c in responses.columns if c not in set(rule.ignore or [])]
    return responses.duplicated(subset=subset, keep="first")


def _incomplete(responses: pd.DataFrame, rule: Incomplete, where: str) -> pd.Series:
    columns = rule.columns or list(responses.columns)
    frame = pd.DataFrame({c: _column(responses, c, where) for c in columns})
    return frame.notna().mean(axis=1) < rule.min_answered


def _speeders(responses: pd.DataFrame, rule: Speeders, where: str) -> pd.Series:
    seconds = pd.to_numeric(_column(responses, rule.column, where), errors="coerce")
    median = seconds.median()
    if np.isnan(median):
        return pd.Series(False, index=responses.index)
    return (seconds < rule.min_ratio * median).fillna(False).astype(bool)


def _straightlining(responses: pd.DataFrame, rule: Straightlining, where: str) -> pd.Series:
    lined = pd.Series(0, index=responses.index)
    for grid in rule.grids:
        frame = pd.DataFrame({c: _column(responses, c, where) for c in grid})
        answered = frame.notna().sum(axis=1)
        same = frame.nunique(axis=1, dropna=True) == 1
        lined += (same & (answered >= rule.min_items)).astype(int)
    return lined >= rule.min_grids


def _attention(responses: pd.DataFrame, rule: Attention, where: str) -> pd.Series:
    values = _column(responses, rule.column, where)
    failed = ~values.isin(rule.pass_)
    return failed if rule.missing_fails else failed & values.notna()


def _out_of_range(responses: pd.DataFrame, rule: OutOfRange, where: str) -> pd.Series:
    flagged = pd.Series(False, index=responses.index)
    for column, (low, high) in rule.columns.items():
        values = pd.to_numeric(_column(responses, column, where), errors="coerce")
        flagged |= ((values < low) | (values > high)).fillna(False).astype(bool)
    return flagged


_FLAGGERS = {
    "eligibility": _eligibility,
    "duplicates": _duplicates,
    "incomplete": _incomplete,
    "speeders": _speeders,
    "straightlining": _straightlining,
    "attention": _attention,
    "out_of_range": _out_of_range,
}
