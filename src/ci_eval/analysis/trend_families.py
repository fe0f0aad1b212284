"""Trends that can be seen: the false-discovery correction within declared families.

Correcting every trend test of a study at once (hundreds of subgroup changes with the
headlines) makes a real headline change look like noise. Following the practice of
correcting within families of related hypotheses (Benjamini & Hochberg 1995; Benjamini &
Yekutieli 2005 on families chosen before looking), the changes of the ``trends`` table are
grouped into families and the Benjamini-Hochberg q-values are computed within each:

- ``headline:<survey>``: the overall change of each headline indicator of the survey (by
  default every indicator of the survey: the scorecard's indicators; ``headline`` in the
  settings names them, and the survey's other overall changes form ``overall:<survey>``);
- ``subgroups:<indicator>``: the changes of one indicator in its domains (``subgroups =
  "survey"`` puts a survey's subgroup changes in one family instead).

Each family is corrected per later wave. A change is ``improved`` / ``worsened`` when
``q < alpha`` in the indicator's good / bad direction, ``increased`` / ``decreased`` for an
indicator without a direction (``neutral``), else ``steady``. ``not_assessed`` always comes
with a reason: suppressed in a wave, no value in a wave, or no standard error. The change and
its interval are published as they are (points or units) whatever the trend says.

>>> t = pd.DataFrame({"survey": "s", "indicator": ["a", "b", "a"], "wave": "2",
...     "baseline_wave": "1", "domain": ["overall", "overall", "g"], "domain_value": ["", "", "1"],
...     "estimate": 0.5, "change": [0.04, -0.01, 0.2], "p_value": [0.01, 0.6, 0.04],
...     "direction": "higher_is_better", "suppressed": False, "reason": ""})
>>> out = within_families(t)
>>> out[["family", "q_value", "trend"]].values.tolist()
[['headline:s', 0.02, 'improved'], ['headline:s', 0.6, 'steady'], ['subgroups:a', 0.04, 'improved']]
>>> family_scorecard(out)["summary"].tolist()
['1 of 2 improved', '1 of 1 improved']
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from statsmodels.stats.multitest import multipletests

from ci_eval.results.contract import columns

OVERALL = "overall"
TRENDS = ("improved", "steady", "worsened", "increased", "decreased", "not_assessed")
SCORECARD_COLUMNS = columns("trend_families")


class TrendFamilySettings(BaseModel):
    """How trend tests are grouped for the false-discovery correction (``[analysis.trends]``).

    ``headline``: per survey, the indicators of its headline family (a survey not listed has
    every indicator in it); ``subgroups``: ``"indicator"`` (one family per indicator, the
    default) or ``"survey"`` (one per survey). The q-value below which a change is significant
    is ``[analysis] alpha``, passed to :func:`within_families`.

    >>> TrendFamilySettings.model_validate({"headline": {"youth": ["mentored_6_18"]}}).subgroups
    'indicator'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    headline: dict[str, list[str]] = {}
    subgroups: Literal["indicator", "survey"] = "indicator"


def family_of(trends: pd.DataFrame, settings: TrendFamilySettings | None = None) -> pd.Series:
    """The family of every row of a ``trends`` table (see the module docstring)."""
    settings = settings or TrendFamilySettings()
    names = []
    for survey, indicator, domain in zip(
        trends["survey"], trends["indicator"], trends["domain"], strict=True
    ):
        if domain == OVERALL:
            headline = settings.headline.get(survey)
            kind = "headline" if headline is None or indicator in headline else OVERALL
            names.append(f"{kind}:{survey}")
        elif settings.subgroups == "survey":
            names.append(f"subgroups:{survey}")
        else:
            names.append(f"subgroups:{indicator}")
    return pd.Series(names, index=trends.index, name="family", dtype=object)


def within_families(
    trends: pd.DataFrame, settings: TrendFamilySettings | None = None, alpha: float = 0.05
) -> pd.DataFrame:
    """The ``trends`` rows with ``family``, q-values corrected within each family and wave,
    ``trend`` (significant when ``q < alpha``) and a ``reason`` for every change that is not
    assessed."""
    settings = settings or TrendFamilySettings()
    out = trends.copy()
    out.insert(0, "family", family_of(out, settings))
    out["reason"] = [_reason(r) for r in out.itertuples(index=False)]
    testable = out["reason"].eq("") & np.isfinite(out["p_value"].astype(float))
    out["q_value"] = np.nan
    for _, rows in out[testable].groupby(["family", "wave"], sort=False):
        out.loc[rows.index, "q_value"] = multipletests(
            rows["p_value"].to_numpy(float), method="fdr_bh"
        )[1]
    out["trend"] = [
        _trend(q, change, direction, reason, alpha)
        for q, change, direction, reason in zip(
            out["q_value"], out["change"], out["direction"], out["reason"], strict=True
        )
    ]
    return out


def _reason(row: object) -> str:
    """Why a change is not assessed ("" if it is assessed)."""
    if getattr(row, "reason", "") and bool(row.suppressed):
        return str(row.reason)
    if bool(row.suppressed):
        return "suppressed"
    if not np.isfinite(row.estimate) or not np.isfinite(row.change):
        return "no value in one of the waves"
    if not np.isfinite(row.p_value):
        return "no standard error for the change"
    return ""


def _trend(q: float, change: float, direction: str, reason: str, alpha: float) -> str:
    if reason:
        return "not_assessed"
    if not q < alpha:
        return "steady"
    if direction == "neutral":
        return "increased" if change > 0 else "decreased"
    better = change > 0 if direction == "higher_is_better" else change < 0
    return "improved" if better else "worsened"


def family_scorecard(trends: pd.DataFrame) -> pd.DataFrame:
    """Per family and later wave, the count of each trend and "N of M improved" (M: the
    changes with a direction, Strive's "34 of 53 indicators trending positive").

    ``trends`` is the output of :func:`within_families`.
    """
    rows = []
    keys = ["family", "survey", "baseline_wave", "wave"]
    for (family, survey, base, wave), group in trends.groupby(keys, sort=False):
        counts = group["trend"].value_counts()
        with_direction = int((group["direction"] != "neutral").sum())
        improved = int(counts.get("improved", 0))
        rows.append(
            {
                "family": family,
                "survey": survey,
                "baseline_wave": base,
                "wave": wave,
                **{t: int(counts.get(t, 0)) for t in TRENDS},
                "total": len(group),
                "with_direction": with_direction,
                "summary": f"{improved} of {with_direction} improved",
            }
        )
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)
