"""Change since the baseline wave, tested and corrected for multiple comparisons.

Waves are independent samples (a new sample each wave), so for an indicator in a domain the
change ``est_w - est_b`` has ``se = sqrt(se_w^2 + se_b^2)`` (Kish 1965, §12.4) and is tested
with a normal z test. The p-values are corrected with the Benjamini-Hochberg false-discovery
rate within declared families (headline indicators of a survey; one indicator's subgroups):
see :mod:`ci_eval.analysis.trend_families`, which also names the trends. The ``scorecard``
counts the overall rows by trend, in the style of shared-measurement scorecards ("34 of 53
indicators trending positive"); ``trend_families`` says "N of M improved" per family.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ci_eval.analysis.trend_families import TRENDS, TrendFamilySettings, within_families
from ci_eval.errors import AnalysisError
from ci_eval.results.contract import columns
from ci_eval.toc.schema import ToCModel

COLUMNS = columns("trends")
SCORECARD_COLUMNS = columns("scorecard")
KEYS = ["indicator", "domain", "domain_value"]


def change_since_baseline(
    indicators: pd.DataFrame,
    model: ToCModel,
    baseline_wave: str,
    alpha: float = 0.05,
    conf_level: float = 0.95,
    independent: bool = True,
    families: TrendFamilySettings | None = None,
) -> pd.DataFrame:
    """The ``trends`` table from the ``indicators`` table, corrected within the trend
    ``families`` (:class:`~ci_eval.analysis.trend_families.TrendFamilySettings`).

    Examples
    --------
    >>> from ci_eval.toc.schema import ToCModel
    >>> model = ToCModel.model_validate({"name": {"en": "M"}, "outcomes": [], "indicators": [
    ...     {"id": "x", "label": {"en": "X"}, "survey": "s", "scoring": {"method": "value"}}]})
    >>> ind = pd.DataFrame({"indicator": "x", "survey": "s", "wave": ["1", "2"],
    ...     "domain": "overall", "domain_value": "", "estimate": [0.5, 0.6],
    ...     "se": [0.03, 0.04], "suppressed": False})
    >>> t = change_since_baseline(ind, model, "1")
    >>> t[["change", "se"]].round(3).iloc[0].tolist(), t["trend"].iloc[0]
    ([0.1, 0.05], 'improved')
    """
    if not independent:
        raise AnalysisError(
            "[analysis] independent_waves = false: changes between dependent (panel) waves need "
            "linked respondents, which the analysis does not support; set it to true for "
            "independent samples"
        )
    base = indicators[indicators["wave"] == str(baseline_wave)]
    if base.empty:
        return pd.DataFrame(columns=COLUMNS)
    merged = indicators[indicators["wave"] != str(baseline_wave)].merge(
        base[[*KEYS, "estimate", "se", "suppressed"]],
        on=KEYS,
        how="inner",
        suffixes=("", "_base"),
        sort=False,
    )
    direction = {i.id: i.direction for i in model.indicators}
    out = _changes(merged, str(baseline_wave), conf_level, direction)
    out = within_families(out, families, alpha)
    blank = ["baseline", "estimate", "change", "se", "ci_low", "ci_high", "p_value", "q_value"]
    out.loc[out["suppressed"], blank] = np.nan
    return out[COLUMNS].reset_index(drop=True)


def _changes(
    merged: pd.DataFrame, baseline_wave: str, conf_level: float, direction: dict[str, str]
) -> pd.DataFrame:
    """Change, SE (independent samples), CI and two-sided z-test p-value of each later row
    joined with its baseline row (``*_base`` columns)."""
    z_crit = stats.norm.ppf(0.5 + conf_level / 2)
    change = merged["estimate"] - merged["estimate_base"]
    se = np.sqrt(merged["se"] ** 2 + merged["se_base"] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = change / se
    hidden_base = merged["suppressed_base"].astype(bool)
    hidden_now = merged["suppressed"].astype(bool)
    return pd.DataFrame(
        {
            "survey": merged["survey"],
            "indicator": merged["indicator"],
            "domain": merged["domain"],
            "domain_value": merged["domain_value"],
            "baseline_wave": baseline_wave,
            "wave": merged["wave"],
            "baseline": merged["estimate_base"],
            "estimate": merged["estimate"],
            "change": change,
            "se": se,
            "ci_low": change - z_crit * se,
            "ci_high": change + z_crit * se,
            "p_value": 2 * stats.norm.sf(np.abs(z)),
            "direction": merged["indicator"].map(direction).fillna("neutral"),
            "suppressed": hidden_now | hidden_base,
            "reason": np.where(
                hidden_base,
                f"suppressed in {baseline_wave}",
                np.where(hidden_now, "suppressed in " + merged["wave"], ""),
            ),
        }
    )


def scorecard(trends: pd.DataFrame) -> pd.DataFrame:
    """Counts of overall indicators by trend, per survey and later wave (every trend listed),
    then the same over all surveys (``survey = "all"``).

    >>> t = pd.DataFrame({"survey": "s", "baseline_wave": "1", "wave": "2", "domain": "overall",
    ...                   "trend": ["improved", "improved", "steady"]})
    >>> scorecard(t)[["survey", "trend", "count", "total"]].values.tolist()[:2]
    [['s', 'improved', 2, 3], ['s', 'steady', 1, 3]]
    """
    overall = trends[trends["domain"] == "overall"]
    rows = []
    groups = [(s, b, w, g) for (s, b, w), g in overall.groupby(["survey", "baseline_wave", "wave"])]
    groups += [("all", b, w, g) for (b, w), g in overall.groupby(["baseline_wave", "wave"])]
    for survey, base, wave, group in groups:
        counts = group["trend"].value_counts()
        for trend in TRENDS:
            rows.append(
                {
                    "survey": survey,
                    "baseline_wave": base,
                    "wave": wave,
                    "trend": trend,
                    "count": int(counts.get(trend, 0)),
                    "total": len(group),
                }
            )
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)
