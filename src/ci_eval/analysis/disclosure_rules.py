"""Quality flags and suppression of published estimates (Statistics Canada practice).

An estimate from fewer than ``min_cell`` unweighted respondents is suppressed; otherwise its
coefficient of variation ``CV = 100 se / |estimate|`` decides: below ``cv_caution`` it is plain,
from ``cv_caution`` to ``cv_suppress`` it is marked E (use with caution), above ``cv_suppress`` it
is F and suppressed (Statistics Canada, *Survey Methods and Practices*, 2010, §11.5). A
suppressed estimate keeps its row with ``suppressed=True`` and the reason, and every estimated
value of the row is blanked so no suppressed number can be published.

>>> from ci_eval.results.disclosure import DisclosureRules
>>> rules = DisclosureRules()
>>> quality_flag(0.5, 0.05, 100, rules), quality_flag(0.5, 0.1, 100, rules)
(('', False, ''), ('E', False, ''))
>>> quality_flag(0.5, 0.2, 100, rules), quality_flag(0.5, 0.05, 7, rules)
(('F', True, 'CV > 33.3%'), ('', True, 'n < 10'))
"""

from __future__ import annotations

import math

import pandas as pd

from ci_eval.results.disclosure import DisclosureRules

ESTIMATED = ["estimate", "se", "ci_low", "ci_high", "cv"]
COMPLEMENTARY = "complementary suppression"
DOMINANT = "withheld to protect the respondents' answers"
"""The reason of a cell one respondent dominates under the p% rule (the reason does not say
so: it would tell a reader that one answer is much larger than the rest)."""


def primary_reasons(min_cell: int) -> tuple[str, str]:
    """The reasons of the cells that are confidential themselves (a complement protects them).

    >>> primary_reasons(10)
    ('n < 10', "withheld to protect the respondents' answers")
    """
    return f"n < {min_cell}", DOMINANT


def coefficient_of_variation(estimate: float, se: float) -> float:
    """``100 se / |estimate|`` in percent; NaN when the estimate is 0 or missing.

    >>> coefficient_of_variation(0.5, 0.05)
    10.0
    """
    if estimate is None or se is None or math.isnan(estimate) or math.isnan(se) or estimate == 0:
        return float("nan")
    return 100.0 * se / abs(estimate)


def quality_flag(
    estimate: float, se: float, n: int, rules: DisclosureRules
) -> tuple[str, bool, str]:
    """``(flag, suppressed, reason)`` for one estimate from ``n`` respondents."""
    if n < rules.min_cell:
        return "", True, f"n < {rules.min_cell}"
    if estimate is None or math.isnan(estimate):
        return "", True, "not estimable"
    # compare at 1e-9 so that a CV of exactly 33.3% is not pushed over by floating point
    cv = round(coefficient_of_variation(estimate, se), 9)
    if not math.isnan(cv) and cv > rules.cv_suppress:
        return "F", True, f"CV > {rules.cv_suppress:g}%"
    if not math.isnan(cv) and cv >= rules.cv_caution:
        return "E", False, ""
    return "", False, ""


def disclosure_symbols(flags: pd.Series, suppressed: pd.Series) -> list[str]:
    """The symbol a report shows for each estimate: ``F`` (too unreliable, suppressed for its
    CV), ``x`` (suppressed for confidentiality: too few respondents, not estimable, or a
    complementary suppression), else its flag (``E`` or ``""``).

    >>> disclosure_symbols(pd.Series(["", "E", "F", "E"]), pd.Series([True, False, True, True]))
    ['x', 'E', 'F', 'x']
    """
    return [
        "F" if flag == "F" else ("x" if hidden else str(flag))
        for flag, hidden in zip(flags, suppressed.astype(bool), strict=True)
    ]


def blank_suppressed(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Set every estimated value of the suppressed rows to NaN (the rows stay).

    >>> f = pd.DataFrame({"estimate": [1.0, 2.0], "se": [0.1, 0.2], "suppressed": [False, True]})
    >>> blank_suppressed(f, ["estimate", "se"])["estimate"].tolist()
    [1.0, nan]
    """
    frame = frame.copy()
    cols = [c for c in (columns or ESTIMATED) if c in frame.columns]
    frame.loc[frame["suppressed"].to_numpy(bool), cols] = float("nan")
    return frame


def complementary_suppression(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Suppress a second cell wherever one category of a domain is suppressed for its size.

    The overall estimate and the other categories would give a lone small cell back by
    difference (totals exactly; means and proportions with the weighted counts), so in each
    group of ``indicator, survey, wave, domain`` with exactly one category suppressed for
    ``n < min_cell`` or dominance (:data:`DOMINANT`; and respondents in it), the published
    category with the smallest ``n`` is suppressed too (Statistics Canada, *Survey Methods and
    Practices*, 2010, §12.4, residual disclosure). Cells suppressed for their CV are not
    confidential and need no complement.

    >>> f = pd.DataFrame({"indicator": "x", "survey": "s", "wave": "1", "domain": "g",
    ...     "domain_value": ["1", "2", "3"], "n": [4, 50, 30], "estimate": [1.0, 2.0, 3.0],
    ...     "suppressed": [True, False, False], "reason": ["n < 10", "", ""]})
    >>> complementary_suppression(f, 10)[["suppressed", "reason"]].values.tolist()[2]
    [True, 'complementary suppression']
    """
    frame = frame.copy()
    small = frame["reason"].isin(primary_reasons(min_cell))
    keys = ["indicator", "survey", "wave", "domain"]
    for _, group in frame[frame["domain"] != "overall"].groupby(keys, sort=False):
        lone = group[small.loc[group.index] & (group["n"] > 0)]
        shown = group[~group["suppressed"].astype(bool)]
        if len(lone) == 1 and len(shown) and group["suppressed"].astype(bool).sum() == 1:
            partner = shown.sort_values(["n", "domain_value"]).index[0]
            frame.loc[partner, ["suppressed", "reason"]] = [True, COMPLEMENTARY]
    return blank_suppressed(frame)
