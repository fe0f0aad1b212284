"""Scoring warnings: mistakes that let a run go on but quietly change what it measures.

Each becomes a row of the ``quality`` table after the wave's exclusion rules (``excluded`` is
0: the responses stay in the survey; ``flagged`` counts the answers or responses affected;
``about`` says what the row is about), a line in the run's log, and a line of the quality
table on the methods page.

``zero_division``
    A derived indicator's expression divided by zero for some responses, whose value is then
    missing (``about`` is the indicator). A zero divisor is rarely a non-response: it usually
    means that the expression needs a universe or a different denominator.
``missing_inside_scale``
    A code declared missing lies strictly inside the range of the variable's other labelled
    codes, e.g. 3 "Neither agree nor disagree" on a 1–5 scale (``about`` is ``variable = code``):
    its answers are set missing, which shrinks and shifts the scale. Non-response codes (8, 9,
    99, -1) sit outside the answer codes and are not reported.

>>> import pandas as pd
>>> from ci_eval.codebook import Codebook
>>> cb = Codebook.from_dict({"survey": "s", "variables": [{"name": "agree", "type": "numeric",
...     "value_labels": {1: "No", 2: "Neutral", 3: "Yes", 9: "Refused"},
...     "missing_codes": [2, 9]}]})
>>> missing_inside_scale(cb, pd.DataFrame({"agree": [1, 2, 2, 3, 9]}))
{'agree = 2': 2}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from ci_eval.codebook import Codebook
from ci_eval.results.contract import columns
from ci_eval.toc.schema import ToCModel
from ci_eval.toc.scoring import zero_division_counts

logger = logging.getLogger(__name__)


def missing_inside_scale(codebook: Codebook, responses: pd.DataFrame) -> dict[str, int]:
    """Answers carrying a missing code that lies inside the variable's answer codes, by
    ``"variable = code"`` (only codes that some response carries)."""
    counts = {}
    for var in codebook.variables.values():
        if var.name not in responses.columns or not var.missing_codes:
            continue
        answers = [c for c in var.value_labels if _number(c) and c not in var.missing_codes]
        if len(answers) < 2:
            continue
        low, high = min(answers), max(answers)
        values = pd.to_numeric(responses[var.name], errors="coerce")
        for code in var.missing_codes:
            if _number(code) and low < code < high and int((values == code).sum()):
                counts[f"{var.name} = {code}"] = int((values == code).sum())
    return counts


def _number(code: object) -> bool:
    return isinstance(code, int | float) and not isinstance(code, bool)


def scoring_warnings(
    model: ToCModel,
    codebooks: Mapping[str, Codebook],
    raw: Mapping[str, Mapping[str, pd.DataFrame]] | None,
    frames: Mapping[tuple[str, str], pd.DataFrame],
) -> dict[tuple[str, str], list[tuple[str, str, int]]]:
    """``{(survey, wave): [(rule, about, flagged), ...]}`` for every survey wave with a
    warning; ``raw`` holds the clean responses as read, ``frames`` the analysis frames
    (missing codes set missing, indicators scored)."""
    out: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    for (survey, wave), frame in sorted(frames.items()):
        rows = []
        responses = (raw or {}).get(survey, {}).get(wave)
        if responses is not None and survey in codebooks:
            found = missing_inside_scale(codebooks[survey], responses)
            rows += [("missing_inside_scale", about, n) for about, n in found.items()]
        found = zero_division_counts(model, frame, survey)
        rows += [("zero_division", about, n) for about, n in found.items()]
        for rule, about, n in rows:
            noun = "response" if n == 1 else "responses"
            logger.warning("%s %s: %s (%s) for %d %s", survey, wave, rule, about, n, noun)
        if rows:
            out[(survey, wave)] = rows
    return out


def with_warnings(
    quality: pd.DataFrame, warnings: Mapping[tuple[str, str], list[tuple[str, str, int]]]
) -> pd.DataFrame:
    """The ``quality`` table with each wave's warnings after its exclusion rules.

    >>> q = pd.DataFrame({"survey": ["s"], "wave": ["1"], "rule": ["responses"], "flagged": [4],
    ...                   "excluded": [0], "remaining": [4], "about": [""]})
    >>> with_warnings(q, {("s", "1"): [("zero_division", "ratio", 1)]})["rule"].tolist()
    ['responses', 'zero_division']
    """
    if not warnings:
        return quality
    parts = []
    for (survey, wave), rows in quality.groupby(["survey", "wave"], sort=False):
        parts.append(rows)
        remaining = int(rows["remaining"].iloc[-1])
        extra = [
            {
                "survey": survey,
                "wave": wave,
                "rule": rule,
                "flagged": n,
                "excluded": 0,
                "remaining": remaining,
                "about": about,
            }
            for rule, about, n in warnings.get((str(survey), str(wave)), [])
        ]
        parts.append(pd.DataFrame(extra, columns=columns("quality")))
    return pd.concat(parts, ignore_index=True)[columns("quality")]
