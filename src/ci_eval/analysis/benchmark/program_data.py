"""A program's own youth outcome data, scored with the national model and set beside it.

A program can collect the shared-measurement template (the youth survey's questions, columns
named as in the youth codebook) from its own participants, as CSV or ``.sav``. Every youth
indicator whose items are in the file is scored with the same model
(:func:`ci_eval.toc.score_indicators`), estimated as a simple mean of the program's
respondents (they are not a probability sample, so the interval describes these respondents
only: SRS standard errors), flagged and suppressed by the study's disclosure rules, and compared
with the national estimate of the latest wave. Indicators the file cannot score are listed with
the reason, so a program sees what its template is missing.
"""

from __future__ import annotations

import pandas as pd

from ci_eval.analysis.disclosure_rules import (
    blank_suppressed,
    coefficient_of_variation,
    quality_flag,
)
from ci_eval.analysis.indicators import statistic_of
from ci_eval.codebook import Codebook
from ci_eval.errors import AnalysisError
from ci_eval.results.disclosure import DisclosureRules
from ci_eval.survey import SurveyDesign
from ci_eval.toc import expression, score_indicators
from ci_eval.toc.schema import Indicator, ToCModel

COLUMNS = [
    "indicator",
    "statistic",
    "value",
    "se",
    "ci_low",
    "ci_high",
    "n",
    "cv",
    "flag",
    "suppressed",
    "reason",
    "national_wave",
    "national",
    "national_ci_low",
    "national_ci_high",
    "difference",
]
ESTIMATED = ["value", "se", "ci_low", "ci_high", "cv", "difference"]


def scorable(model: ToCModel, survey: str, columns: set[str]) -> list[Indicator]:
    """The survey's indicators whose items (and referenced indicators) the data has.

    >>> m = ToCModel.model_validate({"name": {"en": "M"}, "outcomes": [], "indicators": [
    ...     {"id": "a", "label": {"en": "A"}, "survey": "y", "items": ["q1"],
    ...      "scoring": {"method": "value"}},
    ...     {"id": "b", "label": {"en": "B"}, "survey": "y", "items": ["q2"],
    ...      "scoring": {"method": "value"}},
    ...     {"id": "c", "label": {"en": "C"}, "survey": "y",
    ...      "scoring": {"method": "derived", "expression": "a >= 1"}}]})
    >>> [i.id for i in scorable(m, "y", {"q1"})]
    ['a', 'c']
    """
    candidates = model.indicators_for(survey)
    kept = {i.id for i in candidates if set(i.items) <= columns}
    changed = True
    while changed:
        changed = False
        for indicator in candidates:
            if indicator.id not in kept:
                continue
            texts = [indicator.universe or ""]
            if indicator.scoring.method == "derived":
                texts.append(indicator.scoring.expression)
            needed = set().union(*(expression.names(t) for t in texts if t))
            if not needed <= kept | columns:
                kept.discard(indicator.id)
                changed = True
    return [i for i in candidates if i.id in kept]


def program_youth_indicators(
    responses: pd.DataFrame,
    model: ToCModel,
    codebook: Codebook,
    national: pd.DataFrame,
    rules: DisclosureRules,
    id_column: str,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Score and estimate a program's youth data; compare it with the national estimates.

    ``national`` is the ``indicators`` table; its overall rows of the latest wave are used.

    Examples
    --------
    >>> model = ToCModel.model_validate({"name": {"en": "M"}, "outcomes": [], "indicators": [
    ...     {"id": "m", "label": {"en": "M"}, "survey": "y", "items": ["q"],
    ...      "scoring": {"method": "threshold", "values": [1]}}]})
    >>> cb = Codebook.from_dict({"survey": "y", "variables": [{"name": "q", "type": "numeric"}]})
    >>> national = pd.DataFrame({"indicator": ["m"], "survey": "y", "wave": "2024",
    ...     "domain": "overall", "estimate": [0.5], "ci_low": [0.45], "ci_high": [0.55],
    ...     "suppressed": False})
    >>> own = pd.DataFrame({"q": [1, 2, 1, 1] * 5})
    >>> t = program_youth_indicators(own, model, cb, national, DisclosureRules(), "id")
    >>> t[["value", "n", "national", "difference"]].round(2).values.tolist()
    [[0.75, 20.0, 0.5, 0.25]]
    """
    survey = codebook.survey
    data = responses.copy()
    if id_column not in data.columns:
        data[id_column] = [f"row{k + 1}" for k in range(len(data))]
    if data.empty:
        raise AnalysisError("the program's youth data has no rows")
    kept = scorable(model, survey, set(data.columns))
    if not kept:
        expected = sorted({item for i in model.indicators_for(survey) for item in i.items})
        raise AnalysisError(
            "the program's youth data has none of the template's items, so no indicator can be "
            f"scored; name the columns as in the {survey} codebook, e.g. {', '.join(expected[:8])}"
        )
    reduced = model.model_copy(update={"indicators": kept, "contributions": []})
    scores = score_indicators(reduced, data, codebook, id_column=id_column, survey=survey)
    design = SurveyDesign(scores.assign(__w=1.0), weights="__w")
    latest = _national(national, survey)
    rows = []
    for indicator in model.indicators_for(survey):
        rows.append(_row(indicator, design, kept, latest, rules, conf_level))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["suppressed"] = frame["suppressed"].astype(bool)
    return blank_suppressed(frame, ESTIMATED)


def _national(national: pd.DataFrame, survey: str) -> pd.DataFrame:
    rows = national[(national["domain"] == "overall") & (national["survey"] == survey)]
    if rows.empty:
        return rows.set_index("indicator")
    latest = max(rows["wave"].astype(str))
    return rows[rows["wave"].astype(str) == latest].set_index("indicator")


def _row(
    indicator: Indicator,
    design: SurveyDesign,
    kept: list[Indicator],
    latest: pd.DataFrame,
    rules: DisclosureRules,
    conf_level: float,
) -> dict[str, object]:
    nan = float("nan")
    base = {
        "indicator": indicator.id,
        "national_wave": "",
        "national": nan,
        "national_ci_low": nan,
        "national_ci_high": nan,
    }
    if indicator.id in latest.index:
        row = latest.loc[indicator.id]
        if not bool(row["suppressed"]):
            base.update(
                national_wave=str(row["wave"]),
                national=float(row["estimate"]),
                national_ci_low=float(row["ci_low"]),
                national_ci_high=float(row["ci_high"]),
            )
    if indicator.id not in {i.id for i in kept}:
        return {
            **base,
            "statistic": indicator.estimate_as,
            "value": nan,
            "se": nan,
            "ci_low": nan,
            "ci_high": nan,
            "n": 0,
            "cv": nan,
            "flag": "",
            "suppressed": True,
            "reason": "items not in the data",
            "difference": nan,
        }
    statistic = statistic_of(indicator, design.data[indicator.id])
    if statistic == "total" or design.data[indicator.id].notna().sum() == 0:
        est = se = lo = hi = nan
        n = int(design.data[indicator.id].notna().sum())
    else:
        got = design.mean(indicator.id, na_rm=True, conf_level=conf_level).iloc[0]
        est, se = float(got["estimate"]), float(got["se"])
        lo, hi, n = float(got["ci_low"]), float(got["ci_high"]), int(got["n"])
    flag, suppressed, reason = quality_flag(est, se, n, rules)
    if statistic == "total":
        suppressed, reason = True, "a total of a program's respondents is not comparable"
    return {
        **base,
        "statistic": statistic,
        "value": est,
        "se": se,
        "ci_low": lo,
        "ci_high": hi,
        "n": n,
        "cv": coefficient_of_variation(est, se),
        "flag": flag,
        "suppressed": suppressed,
        "reason": reason,
        "difference": est - base["national"],
    }
