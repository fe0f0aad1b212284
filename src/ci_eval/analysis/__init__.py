"""The analysis stage: weighting, indicator estimates, trends, targets, contributions,
reliability and program benchmarking, as tidy tables for the results store.

The tables' names and columns are the results contract (:mod:`ci_eval.results.contract`);
:data:`PRIVATE_PREFIX` (re-exported from there) marks a program's private tables.

>>> from ci_eval.analysis import analyse, PRIVATE_PREFIX
>>> PRIVATE_PREFIX
'programs/'
"""

from ci_eval.analysis.stage import analyse
from ci_eval.results.contract import PRIVATE_PREFIX

__all__ = ["PRIVATE_PREFIX", "analyse"]
