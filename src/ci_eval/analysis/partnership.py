"""Partnership health: condition scores of the member organisations, estimated as a census.

The partner survey asks every member organisation of the collaborative 3-5 agreement items
(1-5; "don't know" is a missing code) per condition of collective impact. Its items are named
``<condition>_<k>`` (``common_agenda_1`` ...): :func:`condition_items` finds them.

- **Score of a partner** (:func:`condition_scores`): the mean of its answered items of the
  condition, or missing when it answered fewer than ``min_items`` of them.
- **Score of the collaborative** (:func:`condition_estimates`): the mean over the members. The
  respondents are treated as a simple random sample without replacement of the ``N`` members
  of their wave (a census with non-response missing at random), so the design has the
  finite-population correction of that wave's membership count (:func:`wave_members`;
  :class:`ci_eval.survey.SurveyDesign` with ``fpc``): with every member answering the standard
  error is 0. Domains (sector, role) are estimated with
  the full design's variance (as R's ``svyby``) and the same disclosure rules as the
  indicators (minimum cell, CV flags, complementary suppression).
- **Change since the baseline** (:func:`condition_trends`): the analysis' trend machinery
  (:func:`ci_eval.analysis.trends.change_since_baseline`), the conditions forming their own
  false-discovery families.
- **Reliability** (:func:`condition_reliability`): Cronbach's alpha of each condition's items
  (:func:`ci_eval.toc.reliability.alpha_interval`, listwise deletion).

>>> df = pd.DataFrame({"agenda_1": [4.0, 5, 3, None], "agenda_2": [4.0, None, 3, 2]})
>>> condition_scores(df, ["agenda"], min_items=2)["agenda"].tolist()
[4.0, nan, 3.0, nan]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ci_eval.analysis.codes import code_sort_key, code_text
from ci_eval.analysis.disclosure_rules import (
    blank_suppressed,
    coefficient_of_variation,
    complementary_suppression,
    disclosure_symbols,
    quality_flag,
)
from ci_eval.analysis.trend_families import TrendFamilySettings
from ci_eval.analysis.trends import change_since_baseline
from ci_eval.errors import AnalysisError
from ci_eval.results.contract import columns
from ci_eval.results.disclosure import DisclosureRules
from ci_eval.survey import SurveyDesign
from ci_eval.toc.reliability import alpha_interval

CONDITIONS: dict[str, str] = {
    "common_agenda": "condition",
    "shared_measurement": "condition",
    "reinforcing_activities": "condition",
    "communication": "condition",
    "backbone_support": "condition",
    "champions": "precondition",
    "urgency": "precondition",
    "resources": "precondition",
    "equity": "principle",
    "youth_voice": "principle",
}
"""The five conditions of collective impact, its three pre-conditions (influential champions,
urgency, adequate resources) and two principles (equity, youth voice), with their kind."""

OVERALL = "overall"
_MEMBERS = "_members"


def condition_items(available: Sequence[str], condition: str) -> list[str]:
    """The item columns of ``condition`` (``<condition>_<k>``), in the order of ``k``.

    >>> condition_items(["urgency_2", "urgency_1", "urgency_x", "resources_1"], "urgency")
    ['urgency_1', 'urgency_2']
    """
    pattern = re.compile(rf"^{re.escape(condition)}_(\d+)$")
    found = [(int(m.group(1)), c) for c in available if (m := pattern.match(str(c)))]
    return [c for _, c in sorted(found)]


def condition_scores(data: pd.DataFrame, conditions: Sequence[str], min_items: int) -> pd.DataFrame:
    """One column per condition: each partner's mean of answered items (missing codes already
    missing), NaN with fewer than ``min_items`` answered. Raises when a condition has none."""
    out = pd.DataFrame(index=data.index)
    for condition in conditions:
        items = condition_items(list(data.columns), condition)
        if not items:
            raise AnalysisError(
                f"partner survey: no items named {condition}_1, {condition}_2, ... for the "
                f"condition {condition!r}; name its items so, or remove it from "
                "[analysis.partnership] conditions"
            )
        values = data[items].apply(pd.to_numeric, errors="coerce")
        answered = values.notna().sum(axis=1)
        out[condition] = values.mean(axis=1).where(answered >= min(min_items, len(items)))
    return out


def wave_members(members: pd.DataFrame, wave: str) -> pd.DataFrame:
    """The members of one wave: the rows whose ``wave`` is ``wave`` when the membership list
    has a ``wave`` column (one row per member and wave: who belonged, with that wave's sector
    and role), else every row (the same membership in every wave).

    >>> m = pd.DataFrame({"partner_id": ["A", "B", "A"], "wave": [2021, 2024, 2024]})
    >>> wave_members(m, "2024")["partner_id"].tolist()
    ['B', 'A']
    >>> len(wave_members(m.drop(columns="wave"), "2021"))
    3
    """
    if "wave" not in members.columns:
        return members
    return members[members["wave"].map(code_text) == str(wave)].reset_index(drop=True)


def census_design(data: pd.DataFrame, members: int) -> SurveyDesign:
    """The respondents as a sample without replacement of ``members`` organisations.

    >>> d = census_design(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]}), members=4)
    >>> float(d.mean("x")["se"].iloc[0])
    0.0
    """
    if members < len(data):
        raise AnalysisError(
            f"partner survey: {len(data)} respondents but {members} members; the membership "
            "list must hold every organisation that answered"
        )
    return SurveyDesign(data.assign(**{_MEMBERS: float(members)}), fpc=_MEMBERS)


def condition_estimates(
    frames: Mapping[str, pd.DataFrame],
    members: pd.DataFrame,
    conditions: Sequence[str],
    rules: DisclosureRules,
    *,
    by: Sequence[str] = ("sector", "role"),
    survey: str = "partners",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """The ``partnership_conditions`` table: each condition's mean score per wave, overall then
    per category of each ``by`` column (every category of the membership list gets a row).

    ``frames`` maps each wave to the respondents' condition scores and ``by`` columns;
    ``members`` is the membership list (one row per organisation, with the ``by`` columns, or
    per organisation and wave: :func:`wave_members`).
    """
    rows = []
    for wave, frame in sorted(frames.items()):
        members_now = wave_members(members, wave)
        design = census_design(frame, len(members_now))
        for condition in conditions:
            result = design.mean(condition, na_rm=True, conf_level=conf_level)
            rows.append(_row(condition, wave, OVERALL, "", result.iloc[0], len(members_now)))
            for variable in by:
                got = design.mean(condition, by=variable, na_rm=True, conf_level=conf_level)
                found = {code_text(r[variable]): r for _, r in got.iterrows()}
                counts = members_now[variable].map(code_text).value_counts()
                for level in sorted(counts.index, key=code_sort_key):
                    rows.append(
                        _row(condition, wave, variable, level, found.get(level), counts[level])
                    )
    frame = pd.DataFrame(rows, columns=_ROW)
    frame.insert(1, "kind", frame["condition"].map(CONDITIONS).fillna("other"))
    frame.insert(2, "survey", survey)
    return _disclose(frame, rules)


_ROW = ["condition", "wave", "domain", "domain_value", "estimate", "se", "ci_low", "ci_high",
        "n", "members", "cv"]  # fmt: skip


def _row(condition: str, wave: str, domain: str, value: str, result, members: int) -> list:
    if result is None or int(result["n"]) == 0:
        est = se = lo = hi = float("nan")
        n = 0
    else:
        est, se = float(result["estimate"]), float(result["se"])
        lo, hi, n = float(result["ci_low"]), float(result["ci_high"]), int(result["n"])
    cv = coefficient_of_variation(est, se)
    return [condition, str(wave), domain, value, est, se, lo, hi, n, int(members), cv]


def _disclose(frame: pd.DataFrame, rules: DisclosureRules) -> pd.DataFrame:
    """Flags, suppression of small cells and their complements, symbols (as indicators)."""
    flags = [quality_flag(e, s, n, rules) for e, s, n in zip(frame["estimate"], frame["se"],
             frame["n"], strict=True)]  # fmt: skip
    frame["flag"] = [f[0] for f in flags]
    frame["suppressed"] = [f[1] for f in flags]
    frame["reason"] = [f[2] for f in flags]
    frame["n"] = frame["n"].astype(np.int64)
    frame["members"] = frame["members"].astype(np.int64)
    renamed = frame.rename(columns={"condition": "indicator"})
    renamed = complementary_suppression(renamed, rules.min_cell)
    frame = renamed.rename(columns={"indicator": "condition"})
    frame["suppressed"] = frame["suppressed"].astype(bool)
    frame["symbol"] = disclosure_symbols(frame["flag"], frame["suppressed"])
    return blank_suppressed(frame)[columns("partnership_conditions")]


def condition_trends(
    estimates: pd.DataFrame,
    baseline_wave: str,
    alpha: float = 0.05,
    conf_level: float = 0.95,
    families: TrendFamilySettings | None = None,
) -> pd.DataFrame:
    """The ``partnership_trends`` table: change of every condition (overall and by domain)
    since the baseline, as :func:`~ci_eval.analysis.trends.change_since_baseline` computes
    it for indicators (independent waves; a better partnership is a higher score)."""
    table = estimates.rename(columns={"condition": "indicator"})
    ids = sorted(set(table["indicator"]))
    model = SimpleNamespace(
        indicators=[SimpleNamespace(id=c, direction="higher_is_better") for c in ids]
    )
    return change_since_baseline(table, model, baseline_wave, alpha, conf_level, True, families)  # type: ignore[arg-type]


def condition_reliability(
    frames: Mapping[str, pd.DataFrame],
    conditions: Sequence[str],
    survey: str = "partners",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """The ``partnership_reliability`` table: Cronbach's alpha of each condition's items per
    wave, over the respondents who answered every item (missing codes already missing)."""
    rows = []
    for wave, data in sorted(frames.items()):
        for condition in conditions:
            items = data[condition_items(list(data.columns), condition)]
            complete = items.apply(pd.to_numeric, errors="coerce").dropna(how="any")
            value, low, high = alpha_interval(complete, conf_level)
            rows.append([survey, condition, str(wave), len(complete), items.shape[1],
                         value, low, high])  # fmt: skip
    return pd.DataFrame(rows, columns=columns("partnership_reliability"))
