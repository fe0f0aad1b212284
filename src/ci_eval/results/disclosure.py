"""The disclosure rules and their defaults, declared once (the study's ``[disclosure]`` table).

Statistics Canada practice by default (*Survey Methods and Practices*, 2010, §11.5, §12.4): an
estimate from fewer than ``min_cell`` (10) unweighted respondents is suppressed; a coefficient of
variation from ``cv_caution`` (16.5%) to ``cv_suppress`` (33.3%) is marked E, above it F and
suppressed; a program benchmark needs at least ``min_peers`` (5) other programs.

>>> DEFAULT_RULES.min_cell, DEFAULT_RULES.cv_caution, DEFAULT_RULES.cv_suppress
(10, 16.5, 33.3)
>>> DisclosureRules(min_cell=5).min_peers
5
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DisclosureRules(BaseModel):
    """Minimum cell size, CV thresholds (percent) and minimum number of peer programs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_cell: int = Field(default=10, ge=1)
    cv_caution: float = Field(default=16.5, gt=0)
    cv_suppress: float = Field(default=33.3, gt=0)
    min_peers: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _caution_below_suppress(self) -> DisclosureRules:
        if self.cv_suppress < self.cv_caution:
            raise ValueError(
                f"cv_suppress ({self.cv_suppress}) is below cv_caution ({self.cv_caution}): "
                "estimates are marked E from cv_caution and suppressed from cv_suppress, "
                "so cv_suppress must be at least cv_caution"
            )
        return self


DEFAULT_RULES = DisclosureRules()
"""The defaults, for code that needs one rule without a study (``DEFAULT_RULES.min_cell``)."""
