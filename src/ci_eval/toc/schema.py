"""The theory-of-change model: outcomes, indicators and contribution specs.

A model file (``models/*.yaml``) has four top-level keys::

    name: {en: ..., fr: ...}
    outcomes:       # nodes of the theory of change, linked by ``leads_to``
      - {id: belonging, label: {en: ..., fr: ...}, level: short_term, leads_to: [wellbeing]}
    indicators:     # how each outcome is measured, from codebook items
      - id: belonging_score
        outcome: belonging
        label: {en: ..., fr: ...}
        survey: youth
        items: [belong_1, belong_2, belong_3, belong_4]
        scoring: {method: mean, min_answered: 3, reverse: [belong_3], range: [1, 5]}
        direction: higher_is_better
    contributions:  # exposure -> outcome indicator, adjusted for covariates
      - {indicator: belonging_score, exposure: had_mentor_6_18, adjust_for: [family_income]}

Outcomes and indicators may carry a ``short_label``: what the report shows, where the
``label`` is long; an indicator with a ``universe`` says in ``universe_label`` who it is about
in words, as a noun phrase ("programs with a waitlist", « les programmes ayant une liste
d'attente »: French with its article), which the report reads as "among ..." / « parmi ... ».

These pydantic models check the *shape* of each entry; the cross-entry checks
(unknown items, cycles, scoring that does not fit the item types, missing French
labels) live in :mod:`ci_eval.toc.validate`, which reports every problem at once.

>>> Outcome.model_validate({"id": "belonging", "label": {"en": "Belonging", "fr": "Appartenance"},
...                         "level": "short_term"}).leads_to
[]
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Code = int | float | str
"""A value code as stored in the data (numbers, or strings such as ``"fr"``)."""

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]

LEVELS = ("activity", "output", "short_term", "intermediate", "long_term", "impact")
"""Levels of a theory of change, from what the initiative does to its final impact."""


UNITS = ("percent", "score", "count", "number")
"""How an indicator's values read: a percentage (its changes in percentage points), a score on
a scale, a count of people or things, or another number (months, ...)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(_Strict):
    """A bilingual label; ``fr`` may be absent here so validation can report it by place."""

    en: str
    fr: str | None = None


class Outcome(_Strict):
    """A node of the theory of change."""

    id: Identifier
    label: Label
    short_label: Label | None = None
    level: Literal["activity", "output", "short_term", "intermediate", "long_term", "impact"]
    leads_to: list[Identifier] = []
    description: Label | None = None
    starting_point: bool = False
    """Where change starts although the model's lowest level is below it: no outcome needs to
    lead to it (validation otherwise reports an outcome that nothing leads to)."""


class ValueScoring(_Strict):
    """The item's own numeric value (after missing codes are removed)."""

    method: Literal["value"]


class RecodeScoring(_Strict):
    """Map each code of one item to a number; codes not in ``map`` become missing."""

    method: Literal["recode"]
    map: dict[Code, float | None]


class ScaleScoring(_Strict):
    """Mean or sum of several items.

    ``recode`` (one map for every item) is applied first, then ``reverse`` items
    are reverse-coded as ``range[0] + range[1] - x``. A respondent needs at least
    ``min_answered`` answered items (default: all); a sum is prorated as
    ``mean * len(items)`` so that partial answers stay on the full scale.
    """

    method: Literal["mean", "sum"]
    min_answered: int | None = Field(default=None, ge=1)
    reverse: list[str] = []
    range: tuple[float, float] | None = None
    recode: dict[Code, float | None] | None = None


class ThresholdScoring(_Strict):
    """1 when one item's answer is in ``values`` (or within ``min``/``max``), else 0."""

    method: Literal["threshold"]
    values: list[Code] | None = None
    min: float | None = None
    max: float | None = None


class FlagScoring(_Strict):
    """``any_of``: 1 if any item is in ``values``; ``all_of``: 1 if all are (Kleene logic)."""

    method: Literal["any_of", "all_of"]
    values: list[Code] = [1]


class DerivedScoring(_Strict):
    """An expression over other indicators of the same survey, e.g. ``belonging_score >= 4``."""

    method: Literal["derived"]
    expression: str


Scoring = Annotated[
    ValueScoring | RecodeScoring | ScaleScoring | ThresholdScoring | FlagScoring | DerivedScoring,
    Field(discriminator="method"),
]


class Benchmark(_Strict):
    """A baseline or target value of an indicator; ``source`` says where it comes from, as
    one text (a name, the same in every language) or per language (``{en: ..., fr: ...}``)."""

    value: float
    wave: str | None = None
    source: str | Label | None = None

    @property
    def source_text(self) -> str:
        """The source in English (or as given): what the results tables record.

        >>> Benchmark(value=0.5, source={"en": "Census", "fr": "Recensement"}).source_text
        'Census'
        """
        if isinstance(self.source, Label):
            return self.source.en
        return self.source or ""


class Indicator(_Strict):
    """A measure of an outcome, scored per respondent from codebook items."""

    id: Identifier
    outcome: str | None = None
    label: Label
    short_label: Label | None = None
    survey: str
    items: list[str] = []
    scoring: Scoring
    universe: str | None = None
    universe_label: Label | None = None
    direction: Literal["higher_is_better", "lower_is_better", "neutral"] = "higher_is_better"
    statistic: Literal["mean", "proportion", "total"] | None = None
    unit: Literal["percent", "score", "count", "number"] | None = None
    disaggregate_by: list[str] = []
    baseline: Benchmark | None = None
    target: Benchmark | None = None

    @property
    def estimate_as(self) -> str:
        """The statistic the analysis reports: given, or ``proportion`` for 0/1 scorings."""
        if self.statistic is not None:
            return self.statistic
        binary = self.scoring.method in ("threshold", "any_of", "all_of")
        return "proportion" if binary else "mean"

    @property
    def shown_as(self) -> str:
        """The unit the report shows it in (:data:`UNITS`), before the data are seen: see
        :meth:`unit_for`.

        >>> Indicator.model_validate({"id": "r", "label": {"en": "R"}, "survey": "s",
        ...     "scoring": {"method": "derived", "expression": "a / b"}, "unit": "percent"}
        ...     ).shown_as
        'percent'
        """
        return self.unit_for()

    def unit_for(self, statistic: str | None = None) -> str:
        """The unit the report shows it in: given, or from the ``statistic`` the analysis
        estimated (default: :attr:`estimate_as`) and the scoring (a proportion is a percent,
        a total a count, a mean of a scale a score). A derived 0/1 indicator is estimated as
        a proportion (:func:`ci_eval.analysis.indicators.statistic_of`), so it reads as a
        percent.

        >>> i = Indicator.model_validate({"id": "s", "label": {"en": "S"}, "survey": "s",
        ...     "scoring": {"method": "derived", "expression": "b >= 4"}})
        >>> i.unit_for(), i.unit_for("proportion")
        ('number', 'percent')
        """
        if self.unit is not None:
            return self.unit
        statistic = statistic or self.estimate_as
        if statistic == "proportion":
            return "percent"
        if statistic == "total":
            return "count"
        return "score" if self.scoring.method in ("mean", "sum") else "number"


class Contribution(_Strict):
    """A contribution model: the effect of ``exposure`` on an outcome ``indicator``."""

    indicator: str
    exposure: str
    adjust_for: list[str] = []
    label: Label | None = None
    levels: dict[Code, Label] = {}
    """Names of the groups compared, by exposure code (``{1: {en: Mentored}, 0: ...}``); a
    codebook item's own value labels serve when absent."""


class ToCModel(_Strict):
    """A whole theory-of-change model, as read from ``models/*.yaml``."""

    name: Label
    outcomes: list[Outcome]
    indicators: list[Indicator]
    contributions: list[Contribution] = []

    def indicator(self, indicator_id: str) -> Indicator:
        """Return the indicator with this id (``KeyError`` if there is none)."""
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise KeyError(indicator_id)

    def indicators_for(self, survey: str) -> list[Indicator]:
        """The indicators scored from one survey, in file order."""
        return [i for i in self.indicators if i.survey == survey]
