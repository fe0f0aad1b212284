"""The analysis stage: weighting, indicator estimates, trends, targets, contributions,
reliability and program benchmarking, as tidy tables for the results store.

>>> from ci_eval.analysis import analyse, PRIVATE_PREFIX
>>> PRIVATE_PREFIX
'programs/'
"""

from ci_eval.analysis.stage import PRIVATE_PREFIX, analyse

__all__ = ["PRIVATE_PREFIX", "analyse"]
