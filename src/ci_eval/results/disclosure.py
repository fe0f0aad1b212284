"""The disclosure rules and their defaults, declared once (the study's ``[disclosure]`` table).

Published tables follow Statistics Canada practice (*Survey Methods and Practices*, 2010, §11.5,
§12.4): an estimate from fewer than ``min_cell`` (10) unweighted respondents is suppressed; a
coefficient of variation from ``cv_caution`` (16.5%) to ``cv_suppress`` (33.3%) is marked E,
above it F and suppressed. A total or mean that one respondent dominates is confidential too,
under the p% rule (``p_percent``, 10): when the respondents other than the two largest
contribute less than p% of the largest, the second largest would place the largest within p%
(Hundepool et al., *Statistical Disclosure Control*, 2012, §4.2.2). A cell suppressed for its
size or its dominance keeps an interval at least ``p_percent`` of its value wide on each side
(the protection level of the p% rule) against any of its own respondents adding and
subtracting the published cells, and the programs' private benchmark pages beside them
(:mod:`ci_eval.analysis.disclosure_audit`, :mod:`ci_eval.analysis.benchmark.page_audit`).

A program benchmark (:mod:`ci_eval.analysis.benchmark`) compares a program with a peer group of
itself and at least ``min_peers`` (5) other programs. Every peer figure averages at least
``peer_k`` (3) programs' values and is rounded to ``peer_digits`` (2) significant digits; a
yes/no practice is counted only when at least ``peer_k`` programs of the group answered yes and
``peer_k`` answered no.

>>> DEFAULT_RULES.min_cell, DEFAULT_RULES.cv_caution, DEFAULT_RULES.cv_suppress
(10, 16.5, 33.3)
>>> DEFAULT_RULES.min_peers, DEFAULT_RULES.peer_k, DEFAULT_RULES.peer_digits
(5, 3, 2)
>>> DisclosureRules(min_cell=5).p_percent
10.0
>>> try:
...     DisclosureRules(peer_k=7)
... except ValueError as exc:
...     print(str(exc).splitlines()[1].strip()[:49])
Value error, peer_k (7) must not exceed min_peers
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DisclosureRules(BaseModel):
    """Minimum cell size, CV thresholds (percent), the p% rule and the peer-benchmark rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_cell: int = Field(default=10, ge=1)
    cv_caution: float = Field(default=16.5, gt=0)
    cv_suppress: float = Field(default=33.3, gt=0)
    min_peers: int = Field(default=5, ge=2)
    peer_k: int = Field(default=3, ge=2)
    peer_digits: int = Field(default=2, ge=1, le=6)
    p_percent: float = Field(default=10.0, gt=0, lt=100)

    @model_validator(mode="after")
    def _peer_k_fits_the_smallest_group(self) -> DisclosureRules:
        if self.peer_k > self.min_peers + 1:
            raise ValueError(
                f"peer_k ({self.peer_k}) must not exceed min_peers + 1 ({self.min_peers + 1}): "
                "the smallest peer group must hold one average of peer_k programs"
            )
        return self

    @property
    def min_group(self) -> int:
        """The fewest programs of a peer group: the program and ``min_peers`` others.

        >>> DisclosureRules().min_group
        6
        """
        return self.min_peers + 1

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


def edition_rules(settings: dict[str, object] | None) -> DisclosureRules:
    """The rules an edition was published under: the ``disclosure`` settings its manifest
    records (``manifest["settings"]``), the defaults for what it does not name.

    >>> edition_rules({"disclosure": {"min_peers": 7}}).min_group
    8
    >>> edition_rules(None) == DEFAULT_RULES
    True
    """
    given = dict((settings or {}).get("disclosure") or {})  # type: ignore[call-overload]
    known = DisclosureRules.model_fields
    return DisclosureRules(**{k: v for k, v in given.items() if k in known})
