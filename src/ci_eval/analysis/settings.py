"""Settings of the analysis stage, from the study file with documented defaults.

The study's ``[disclosure]`` table gives the disclosure rules
(:class:`ci_eval.results.disclosure.DisclosureRules`, where their defaults are declared); an
optional ``[analysis]`` table gives the rest:

```toml
[analysis]
conf_level = 0.95
alpha = 0.05              # significance of trends (after the FDR correction)
independent_waves = true  # waves are independent samples (no panel)
gap_indicator = "mentoring_gap"   # who "wanted a mentor but had none" (gap projection)
gap_exposure = "mentored_6_18"    # the exposure whose absence that gap is
propensity_bins = 20
primary_estimator = "gcomp"       # the contribution estimate reports lead with: raw,
                                  # regression, gcomp or aipw (ci_eval.analysis.contribution.tables)
[analysis.trends]            # false-discovery families (ci_eval.analysis.trend_families)
headline = { youth = ["mentored_6_18", "mentoring_gap"] }   # default: every indicator
subgroups = "indicator"      # one family per indicator for its subgroup changes, or "survey"
[analysis.equity]            # equity gaps (ci_eval.analysis.equity)
variables = ["indigenous", "disability", "lgbtq2s", "risk_any"]   # default: the instrument's
within = ["region"]          # intersections, where cells allow
[analysis.benchmark]
survey = "organisations"
peer_by = ["org_type", "region", "size_band"]   # widened from the end
youth_survey = "youth"    # the survey of programs' own youth data (--data)
[analysis.partnership]       # the partner survey (ci_eval.analysis.partnership_stage)
survey = "partners"
members = "surveys/partners/members.csv"
```

>>> s = AnalysisSettings.from_mapping({"alpha": 0.1}, {"min_cell": 5})
>>> s.alpha, s.disclosure.min_cell, s.disclosure.cv_suppress
(0.1, 5, 33.3)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ci_eval.analysis.contribution.tables import EFFECTS, PRIMARY_ESTIMATOR
from ci_eval.analysis.equity import EquitySettings
from ci_eval.analysis.partnership_stage import PartnershipSettings
from ci_eval.analysis.trend_families import TrendFamilySettings
from ci_eval.errors import AnalysisError, validation_problems
from ci_eval.results.disclosure import DisclosureRules

__all__ = ["AnalysisSettings", "BenchmarkSettings", "DisclosureRules"]


class BenchmarkSettings(BaseModel):
    """Which survey holds the programs, and the peer-group criteria in widening order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    survey: str = "organisations"
    peer_by: list[str] = ["org_type", "region", "size_band"]
    youth_survey: str = "youth"


class AnalysisSettings(BaseModel):
    """Every setting of the analysis stage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    conf_level: float = Field(default=0.95, gt=0, lt=1)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    independent_waves: bool = True
    gap_indicator: str = "mentoring_gap"
    gap_exposure: str = "mentored_6_18"
    propensity_bins: int = Field(default=20, ge=2)
    primary_estimator: str = PRIMARY_ESTIMATOR
    disclosure: DisclosureRules = DisclosureRules()
    benchmark: BenchmarkSettings = BenchmarkSettings()
    trends: TrendFamilySettings = TrendFamilySettings()
    equity: EquitySettings = EquitySettings()
    partnership: PartnershipSettings | None = None

    @field_validator("primary_estimator")
    @classmethod
    def _known_estimator(cls, value: str) -> str:
        if value not in EFFECTS:
            raise ValueError(f"{value!r} is not an estimator: use one of {', '.join(EFFECTS)}")
        return value

    @classmethod
    def from_mapping(
        cls, analysis: Mapping[str, Any] | None = None, disclosure: Any = None
    ) -> AnalysisSettings:
        """Settings from an ``[analysis]`` table and a ``[disclosure]`` table (or model)."""
        data = dict(analysis or {})
        if disclosure is not None:
            if hasattr(disclosure, "model_dump"):
                disclosure = disclosure.model_dump()
            data["disclosure"] = dict(disclosure)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = validation_problems(exc, cls)
            raise AnalysisError("\n".join(problems)) from None
