"""The book's chapters: each function reads the results store through a :class:`Page`
and returns the HTML of one block (tables and figures with their notes).

One module per chapter of ``book/*.md``; the chapters call these functions from hidden code
cells (``chapters.key_findings(page, ...)``), so the pages hold prose (from the translation
files) and these blocks only. Every block states its denominator (the indicator's universe)
and how "don't know / prefer not to say" answers were treated, and shows suppressed and
flagged estimates by their ``symbol`` column, with a legend.
"""

from ci_eval.report.chapters.common import indicators_of
from ci_eval.report.chapters.explorer import explorer
from ci_eval.report.chapters.key_findings import key_findings, scorecard_summary
from ci_eval.report.chapters.mentoring_gap import domain_figure, domain_table, gap_sections
from ci_eval.report.chapters.methods import (
    disclosure_text,
    margins_table,
    quality_table,
    reliability_table,
    weighting_table,
)
from ci_eval.report.chapters.outcomes import (
    adjustment_covariates,
    contributions_table,
    dose_response_figure,
    estimator_details,
    forest_plot,
    gap_projection_table,
)
from ci_eval.report.chapters.partnership import (
    partnership_conditions_figure,
    partnership_conditions_table,
    partnership_members_table,
    partnership_network_figure,
    partnership_network_table,
    partnership_sector_table,
    partnership_sector_ties_table,
    partnership_youth_voice,
    partnership_youth_voice_figure,
)
from ci_eval.report.chapters.reproducibility import manifest_tables, read_manifest
from ci_eval.report.chapters.scorecard import scorecard_families, scorecard_table
from ci_eval.report.chapters.sector import sector_sections, waves_figure
from ci_eval.report.chapters.surveys import survey_sources, surveys_table
from ci_eval.report.chapters.theory_of_change import outcome_indicators_table, toc_diagram

__all__ = [
    "adjustment_covariates",
    "contributions_table",
    "disclosure_text",
    "domain_figure",
    "domain_table",
    "dose_response_figure",
    "estimator_details",
    "explorer",
    "forest_plot",
    "gap_projection_table",
    "gap_sections",
    "indicators_of",
    "key_findings",
    "manifest_tables",
    "margins_table",
    "outcome_indicators_table",
    "partnership_conditions_figure",
    "partnership_conditions_table",
    "partnership_members_table",
    "partnership_network_figure",
    "partnership_network_table",
    "partnership_sector_table",
    "partnership_sector_ties_table",
    "partnership_youth_voice",
    "partnership_youth_voice_figure",
    "quality_table",
    "read_manifest",
    "reliability_table",
    "scorecard_families",
    "scorecard_summary",
    "scorecard_table",
    "sector_sections",
    "survey_sources",
    "surveys_table",
    "toc_diagram",
    "waves_figure",
    "weighting_table",
]
