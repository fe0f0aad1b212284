"""The theory-of-change model: schema, validation, scoring, reliability and diagrams.

>>> from ci_eval.toc import LEVELS
>>> LEVELS[0], LEVELS[-1]
('activity', 'impact')
"""

from ci_eval.toc.reliability import scale_reliability
from ci_eval.toc.schema import LEVELS, Contribution, Indicator, Outcome, ToCModel
from ci_eval.toc.scoring import score_indicator, score_indicators
from ci_eval.toc.validate import Problem, check_model, load_model

__all__ = [
    "LEVELS",
    "Contribution",
    "Indicator",
    "Outcome",
    "Problem",
    "ToCModel",
    "check_model",
    "load_model",
    "scale_reliability",
    "score_indicator",
    "score_indicators",
]
