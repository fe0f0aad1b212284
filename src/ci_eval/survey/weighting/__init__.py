"""Weighting a design to population information: post-stratification, raking, calibration, trimming.

Every function returns a new design of the same class (the input is untouched) whose variance
accounts for the step as R ``survey`` does, and which carries ``weighting_diagnostics``
(:class:`~ci_eval.survey.weighting.diagnostics.WeightingDiagnostics`).
"""

from ci_eval.survey.weighting.calibration import calibrate
from ci_eval.survey.weighting.diagnostics import WeightingDiagnostics
from ci_eval.survey.weighting.poststratify import poststratify
from ci_eval.survey.weighting.raking import rake
from ci_eval.survey.weighting.trimming import trim_weights

__all__ = ["WeightingDiagnostics", "calibrate", "poststratify", "rake", "trim_weights"]
