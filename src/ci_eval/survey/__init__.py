"""Design-based statistics for complex survey samples (no I/O, no mentoring knowledge).

Modelled on R's ``survey`` package (Lumley): one design object carries the data, the weights and
the sampling structure, and every estimator is one of its methods returning a tidy frame with the
columns ``variable, level, <by...>, estimate, se, ci_low, ci_high, n``.

>>> import pandas as pd
>>> from ci_eval.survey import SurveyDesign
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [1.0, 1.0, 2.0, 2.0]})
>>> float(SurveyDesign(df, weights="w").mean("y")["estimate"].iloc[0])
2.8333333333333335
"""

from ci_eval.survey.design import SurveyDesign
from ci_eval.survey.pps import HartleyRao, JointProbabilities
from ci_eval.survey.quantile import weighted_quantile
from ci_eval.survey.replicate import ReplicateDesign
from ci_eval.survey.weighting import (
    WeightingDiagnostics,
    calibrate,
    poststratify,
    rake,
    trim_weights,
)

__all__ = [
    "HartleyRao",
    "JointProbabilities",
    "ReplicateDesign",
    "SurveyDesign",
    "WeightingDiagnostics",
    "calibrate",
    "poststratify",
    "rake",
    "trim_weights",
    "weighted_quantile",
]
