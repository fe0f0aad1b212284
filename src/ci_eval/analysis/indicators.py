"""Indicator estimates for every wave, overall and by each disaggregation, with quality flags.

For each indicator of the model and each wave of its survey, the weighted estimate (a mean, a
proportion as the mean of a 0/1 score, or a total) with its Taylor-linearised SE, a normal 95%
interval, the unweighted ``n`` of respondents with a value, the CV and the Statistics Canada
flag (:mod:`ci_eval.analysis.disclosure_rules`). Domains are the categories of each
``disaggregate_by`` variable; every category the codebook lists (other than its missing codes)
gets a row, so a category with no respondent appears as suppressed (``n < 10``), never absent.
Domain estimates are subpopulation estimates (the design is kept whole; Lumley 2010, §2.3).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ci_eval.analysis.codes import code_sort_key, code_text, codes_text
from ci_eval.analysis.disclosure_audit import atoms_of, audit_indicators, dominance_suppression
from ci_eval.analysis.disclosure_rules import (
    blank_suppressed,
    coefficient_of_variation,
    complementary_suppression,
    disclosure_symbols,
    quality_flag,
)
from ci_eval.codebook import Codebook
from ci_eval.errors import AnalysisError
from ci_eval.results.contract import columns
from ci_eval.results.disclosure import DisclosureRules
from ci_eval.survey import SurveyDesign
from ci_eval.toc.schema import Indicator, ToCModel

COLUMNS = columns("indicators")
OVERALL = "overall"


def statistic_of(indicator: Indicator, values: pd.Series) -> str:
    """``mean``, ``proportion`` or ``total``: as the model says, and ``proportion`` for a derived
    indicator whose values are all 0 or 1.

    >>> from ci_eval.toc.schema import Indicator
    >>> i = Indicator.model_validate({"id": "x", "label": {"en": "X"}, "survey": "s",
    ...     "scoring": {"method": "derived", "expression": "y >= 4"}})
    >>> statistic_of(i, pd.Series([0.0, 1.0, None])), statistic_of(i, pd.Series([0.5]))
    ('proportion', 'mean')
    """
    statistic = indicator.estimate_as
    if statistic == "mean" and indicator.statistic is None:
        observed = pd.to_numeric(values, errors="coerce").dropna()
        if len(observed) and observed.isin([0.0, 1.0]).all():
            return "proportion"
    return statistic


def universe_id(indicator: Indicator) -> str:
    """A stable id of who is asked: ``all`` or the universe expression as a slug.

    >>> from ci_eval.toc.schema import Indicator
    >>> i = Indicator.model_validate({"id": "x", "label": {"en": "X"}, "survey": "s",
    ...     "scoring": {"method": "value"}, "universe": "mentored_6_18 == 1"})
    >>> universe_id(i)
    'mentored_6_18_eq_1'
    """
    if not indicator.universe:
        return "all"
    text = indicator.universe.strip()
    for op, word in (
        ("==", "eq"),
        ("!=", "ne"),
        (">=", "ge"),
        ("<=", "le"),
        (">", "gt"),
        ("<", "lt"),
    ):
        text = text.replace(op, f" {word} ")
    return "_".join("".join(c if c.isalnum() else " " for c in text).split()).lower()


def missing_treatment(indicator: Indicator) -> str:
    """How missing answers enter: don't know / prefer not to say excluded, partial scales.

    >>> from ci_eval.toc.schema import Indicator
    >>> i = Indicator.model_validate({"id": "x", "label": {"en": "X"}, "survey": "s",
    ...     "items": ["a", "b", "c", "d"], "scoring": {"method": "mean", "min_answered": 3}})
    >>> missing_treatment(i)
    'dk_pnts_excluded_min_3_of_4'
    """
    rule = indicator.scoring
    if rule.method in ("mean", "sum"):
        k = len(indicator.items)
        needed = rule.min_answered or k
        if needed < k:
            return f"dk_pnts_excluded_min_{needed}_of_{k}"
    return "dk_pnts_excluded"


def domain_levels(data: pd.DataFrame, variable: str, codebook: Codebook | None) -> list[str]:
    """Every category of a disaggregation variable: the codebook's (less missing codes) and any
    other value in the data, sorted by code."""
    levels = set(codes_text(data[variable]).dropna())
    if codebook is not None and variable in codebook.variables:
        var = codebook.variables[variable]
        missing = {code_text(c) for c in var.missing_codes}
        levels |= {code_text(c) for c in var.value_labels} - missing
    return sorted(levels, key=code_sort_key)


def estimate_indicator(
    design: SurveyDesign,
    indicator: Indicator,
    wave: str,
    rules: DisclosureRules,
    codebook: Codebook | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """One indicator in one wave: the overall row then one row per domain category.

    Examples
    --------
    >>> from ci_eval.toc.schema import Indicator
    >>> from ci_eval.results.disclosure import DisclosureRules
    >>> df = pd.DataFrame({"x": [1.0, 0.0] * 10 + [1.0], "g": [1] * 20 + [2]})
    >>> i = Indicator.model_validate({"id": "x", "label": {"en": "X"}, "survey": "s",
    ...     "items": ["q"], "scoring": {"method": "threshold", "values": [1]},
    ...     "disaggregate_by": ["g"]})
    >>> d = SurveyDesign(df.assign(w=1.0), weights="w")
    >>> t = estimate_indicator(d, i, "2024", DisclosureRules())
    >>> t[["domain", "domain_value", "estimate", "n", "suppressed"]].to_dict("records")[2]
    {'domain': 'g', 'domain_value': '2', 'estimate': nan, 'n': 1, 'suppressed': True}
    """
    data = design.data
    if indicator.id not in data.columns:
        raise AnalysisError(
            f"indicator {indicator.id!r} is not a column of the scored {indicator.survey} data "
            f"of wave {wave}; score it with ci_eval.toc.score_indicators first"
        )
    statistic = statistic_of(indicator, data[indicator.id])
    kind = "total" if statistic == "total" else "mean"
    overall = getattr(design, kind)(indicator.id, na_rm=True, conf_level=conf_level)
    rows = [_row(overall.iloc[0], OVERALL, "")]
    for variable in indicator.disaggregate_by:
        if variable not in data.columns:
            raise AnalysisError(
                f"indicator {indicator.id!r}: disaggregation variable {variable!r} is not a "
                f"column of the {indicator.survey} data of wave {wave}; fix disaggregate_by in "
                "the model or keep the column in the scored data"
            )
        got = getattr(design, kind)(indicator.id, by=variable, na_rm=True, conf_level=conf_level)
        found = {code_text(r[variable]): r for _, r in got.iterrows()}
        for level in domain_levels(data, variable, codebook):
            rows.append(_row(found.get(level), variable, level))
    frame = pd.DataFrame(rows)
    frame.insert(0, "indicator", indicator.id)
    frame.insert(1, "outcome", indicator.outcome or "")
    frame.insert(2, "survey", indicator.survey)
    frame.insert(3, "wave", str(wave))
    frame.insert(6, "statistic", statistic)
    flags = [
        quality_flag(e, s, n, rules)
        for e, s, n in zip(frame["estimate"], frame["se"], frame["n"], strict=True)
    ]
    frame["flag"] = [f[0] for f in flags]
    frame["suppressed"] = [f[1] for f in flags]
    frame["reason"] = [f[2] for f in flags]
    frame["symbol"] = disclosure_symbols(frame["flag"], frame["suppressed"])
    frame["universe"] = universe_id(indicator)
    frame["missing_treatment"] = missing_treatment(indicator)
    return blank_suppressed(frame[COLUMNS])


def _row(result: pd.Series | None, domain: str, value: str) -> dict[str, object]:
    if result is None:
        est = se = lo = hi = float("nan")
        n = 0
    else:
        est, se = float(result["estimate"]), float(result["se"])
        lo, hi, n = float(result["ci_low"]), float(result["ci_high"]), int(result["n"])
    return {
        "domain": domain,
        "domain_value": value,
        "estimate": est,
        "se": se,
        "ci_low": lo,
        "ci_high": hi,
        "n": n,
        "cv": coefficient_of_variation(est, se),
    }


def estimate_indicators(
    designs: Mapping[tuple[str, str], SurveyDesign],
    model: ToCModel,
    rules: DisclosureRules,
    codebooks: Mapping[str, Codebook] | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """The ``indicators`` table: every indicator of the model, every wave of its survey.

    ``designs`` maps ``(survey, wave)`` to the weighted design whose data holds the scored
    indicators and the disaggregation columns. Rows: model order of indicators, then waves in
    sorted order, then overall, then domains in ``disaggregate_by`` order, categories by code.

    >>> from ci_eval.toc.schema import ToCModel
    >>> model = ToCModel.model_validate({"name": {"en": "M"}, "outcomes": [], "indicators": [
    ...     {"id": "x", "label": {"en": "X"}, "survey": "s", "items": ["q"],
    ...      "scoring": {"method": "value"}}]})
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0] * 5, "w": 1.0})
    >>> t = estimate_indicators({("s", "1"): SurveyDesign(df, weights="w")}, model,
    ...                         DisclosureRules())
    >>> t[["indicator", "wave", "estimate", "n"]].values.tolist()
    [['x', '1', 2.0, 15]]
    """
    codebooks = codebooks or {}
    frames = []
    for indicator in model.indicators:
        waves = sorted(w for (s, w) in designs if s == indicator.survey)
        for wave in waves:
            frames.append(
                estimate_indicator(
                    designs[(indicator.survey, wave)],
                    indicator,
                    wave,
                    rules,
                    codebooks.get(indicator.survey),
                    conf_level,
                )
            )
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["n"] = out["n"].astype(np.int64)
    out["suppressed"] = out["suppressed"].astype(bool)
    atoms = {
        (indicator.id, wave): atoms_of(
            designs[(indicator.survey, wave)].data,
            designs[(indicator.survey, wave)].weights,
            indicator.id,
            indicator.disaggregate_by,
        )
        for indicator in model.indicators
        for (survey, wave) in designs
        if survey == indicator.survey
    }
    out = dominance_suppression(out, atoms, rules)
    out = complementary_suppression(out, rules.min_cell)
    out = audit_indicators(out, atoms, rules)
    out["symbol"] = disclosure_symbols(out["flag"], out["suppressed"])
    return out
