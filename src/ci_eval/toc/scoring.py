"""Score respondents' answers onto indicator values.

Every rule works on a copy of the responses in which the codebook's missing codes
are already missing (``Codebook.apply_missing``), so a "don't know" (8) or "prefer
not to say" (9) can never count as an answer. Results are floats; NaN means the
indicator is not defined for that respondent (missing answers, or outside the
indicator's ``universe``).

Rules (``scoring.method``):

- ``value``: the item's number.
- ``recode``: ``map`` from code to number; codes not in the map are missing.
- ``mean`` / ``sum``: optional common ``recode``, then ``reverse`` items as
  ``lo + hi - x`` with ``range: [lo, hi]``; defined when at least ``min_answered``
  items are answered (default: all); a sum is prorated, ``mean * k`` for ``k``
  items (the usual person-mean imputation, e.g. Schafer & Graham 2002, §4).
- ``threshold``: 1 if the answer is in ``values`` (or ``min <= x <= max``), else 0.
- ``any_of`` / ``all_of``: Kleene logic over items: ``any_of`` is 1 if some item is
  in ``values``, 0 if all items are answered and none is, else missing;
  ``all_of`` is 0 if some answered item is not in ``values``, 1 if all are, else
  missing.
- ``derived``: an expression over other indicators (:mod:`ci_eval.toc.expression`).

>>> import pandas as pd
>>> from ci_eval.codebook import Codebook
>>> from ci_eval.toc.schema import Indicator
>>> cb = Codebook.from_dict({"survey": "youth", "variables": [
...     {"name": f"q{i}", "type": "categorical", "measure": "ordinal", "missing_codes": [9],
...      "value_labels": {c: {"en": str(c)} for c in (1, 2, 3, 4, 5, 9)}} for i in (1, 2, 3)]})
>>> scale = Indicator.model_validate({"id": "scale", "label": {"en": "S"}, "survey": "youth",
...     "items": ["q1", "q2", "q3"],
...     "scoring": {"method": "mean", "min_answered": 2, "reverse": ["q3"], "range": [1, 5]}})
>>> data = pd.DataFrame({"q1": [5, 4, 1], "q2": [5, 9, 9], "q3": [1, 2, 9]})
>>> score_indicator(scale, cb.apply_missing(data)).tolist()
[5.0, 4.0, nan]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ci_eval.codebook import Codebook
from ci_eval.errors import ModelError
from ci_eval.toc import expression
from ci_eval.toc.graph import dependency_order
from ci_eval.toc.schema import Indicator, ToCModel


def _check_codes(data: pd.DataFrame, codebook: Codebook, survey: str) -> None:
    """Refuse a code of a categorical item outside its value labels (a 77 on a 1-5 scale
    would be scored as an answer); missing codes are already missing."""
    for name, var in codebook.variables.items():
        if var.type != "categorical" or not var.value_labels or name not in data.columns:
            continue
        allowed = {str(code) for code in var.value_labels}
        values = data[name]
        text = values.map(_code_text)
        bad = values.notna() & ~text.isin(allowed)
        if bad.any():
            row = data.index[bad.to_numpy()][0]
            count = int(bad.sum())
            raise ModelError(
                f"{survey!r} responses: column {name!r} row {row} holds {text[row]!r}, which is "
                f"not one of its codes ({', '.join(sorted(allowed))}) nor a missing code "
                f"({count} such {'row' if count == 1 else 'rows'}); correct the data, or declare "
                "the code in the codebook (value_labels, or missing)"
            )


def _code_text(value: object) -> str:
    """A code as the codebook writes it: 2.0 -> '2', 'Y' -> 'Y'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def score_indicators(
    model: ToCModel,
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    id_column: str,
    survey: str | None = None,
) -> pd.DataFrame:
    """Indicator values for every respondent of one survey.

    Parameters
    ----------
    model : ToCModel
        A validated model.
    responses : DataFrame
        Harmonised responses of one survey and wave (codebook names and codes).
    codebook : Codebook
        That survey's codebook; its missing codes are set missing first.
    id_column : str
        The respondent (or program) id column, kept as the first column.
    survey : str, optional
        Which indicators to score; default ``codebook.survey``.

    Returns
    -------
    DataFrame
        ``id_column`` then one float column per indicator, in dependency order
        of the model file, one row per response, same index as ``responses``.

    Raises
    ------
    ModelError
        If an item or the id column is not in the responses.
    """
    survey = survey or codebook.survey
    if id_column not in responses.columns:
        raise ModelError(f"id column {id_column!r} is not in the {survey!r} responses")
    data = codebook.apply_missing(responses)
    _check_codes(data, codebook, survey)
    indicators = {i.id: i for i in model.indicators_for(survey)}
    order = dependency_order({k: sorted(_references(v, indicators)) for k, v in indicators.items()})
    scores: dict[str, pd.Series] = {}
    for indicator_id in order:
        scores[indicator_id] = score_indicator(indicators[indicator_id], data, scores)
    out = pd.DataFrame({id_column: responses[id_column]}, index=responses.index)
    for indicator in indicators.values():
        out[indicator.id] = scores[indicator.id]
    return out


def score_indicator(
    indicator: Indicator,
    data: pd.DataFrame,
    indicators: Mapping[str, pd.Series] | None = None,
) -> pd.Series:
    """One indicator's values, from responses whose missing codes are already missing.

    ``indicators`` holds already-scored indicators, for ``derived`` rules and universes.
    """
    indicators = indicators or {}
    missing = [i for i in indicator.items if i not in data.columns]
    if missing:
        raise ModelError(
            f"indicator {indicator.id!r}: items {missing} are not in the responses; "
            "check the codebook's wave mapping"
        )
    items = data[indicator.items].apply(pd.to_numeric, errors="coerce").astype("float64")
    rule = indicator.scoring
    method = rule.method
    if method == "value":
        values = items.iloc[:, 0]
    elif method == "recode":
        values = _recode(data[indicator.items[0]], rule.map)
    elif method in ("mean", "sum"):
        values = _scale(prepare_scale_items(indicator, data), rule.method, rule.min_answered)
    elif method == "threshold":
        values = _threshold(data[indicator.items[0]], rule.values, rule.min, rule.max)
    elif method in ("any_of", "all_of"):
        values = _flags(data[indicator.items], rule.values, any_of=method == "any_of")
    else:
        values = expression.evaluate(rule.expression, _namespace(indicator, data, indicators))
    values = values.astype("float64").rename(indicator.id)
    if indicator.universe:
        inside = expression.evaluate(indicator.universe, _namespace(indicator, data, indicators))
        values = values.where(inside == 1)
    return values


def zero_division_counts(model: ToCModel, frame: pd.DataFrame, survey: str) -> dict[str, int]:
    """How many responses each derived indicator of ``survey`` divided by zero for.

    ``frame`` holds the responses (missing codes already missing) and the scored indicators,
    as the analysis frames do. Only rows inside the indicator's universe count; indicators
    with no such row are left out.

    >>> from ci_eval.toc.schema import ToCModel
    >>> model = ToCModel.model_validate({"name": {"en": "M"}, "outcomes": [], "indicators": [
    ...     {"id": "ratio", "label": {"en": "R"}, "survey": "s", "items": ["a", "b"],
    ...      "scoring": {"method": "derived", "expression": "a / b"}}]})
    >>> zero_division_counts(model, pd.DataFrame({"a": [1.0, 2.0], "b": [0.0, 4.0]}), "s")
    {'ratio': 1}
    """
    scored = {c: frame[c] for c in frame.columns}
    counts = {}
    for indicator in model.indicators_for(survey):
        rule = indicator.scoring
        if rule.method != "derived" or "/" not in rule.expression:
            continue
        namespace = _namespace(indicator, frame, scored)
        hit = expression.zero_divisions(rule.expression, namespace)
        if indicator.universe:
            hit &= expression.evaluate(indicator.universe, namespace) == 1
        if int(hit.sum()):
            counts[indicator.id] = int(hit.sum())
    return counts


def prepare_scale_items(indicator: Indicator, data: pd.DataFrame) -> pd.DataFrame:
    """A scale's items after its common recode and reverse-coding (missing codes already NaN).

    Used by scoring and by reliability, so both see the same numbers.
    """
    rule = indicator.scoring
    if rule.recode is not None:
        items = data[indicator.items].apply(lambda column: _recode(column, rule.recode))
    else:
        items = data[indicator.items].apply(pd.to_numeric, errors="coerce").astype("float64")
    for item in rule.reverse:
        low, high = rule.range
        items[item] = low + high - items[item]
    return items


def _references(indicator: Indicator, indicators: Mapping[str, Indicator]) -> set[str]:
    texts = [indicator.universe] if indicator.universe else []
    if indicator.scoring.method == "derived":
        texts.append(indicator.scoring.expression)
    names: set[str] = set()
    for text in texts:
        names |= expression.names(text)
    return {n for n in names if n in indicators and n != indicator.id}


def _namespace(
    indicator: Indicator, data: pd.DataFrame, indicators: Mapping[str, pd.Series]
) -> dict[str, pd.Series]:
    texts = [t for t in (indicator.universe, getattr(indicator.scoring, "expression", None)) if t]
    namespace: dict[str, pd.Series] = {}
    for name in set().union(*(expression.names(t) for t in texts)):
        if name in indicators:
            namespace[name] = indicators[name]
        elif name in data.columns:
            namespace[name] = data[name]
        else:
            raise ModelError(
                f"indicator {indicator.id!r}: {name!r} is neither a scored indicator nor a "
                "column of the responses"
            )
    return dict(sorted(namespace.items())) or {"_": pd.Series(np.nan, index=data.index)}


def _recode(values: pd.Series, mapping: Mapping[object, float | None]) -> pd.Series:
    """Map codes to numbers; numeric codes match whatever their storage (1 == 1.0 == "1")."""
    numeric = {float(k): v for k, v in mapping.items() if not isinstance(k, str)}
    text = {k: v for k, v in mapping.items() if isinstance(k, str)}
    out = pd.to_numeric(values, errors="coerce").map(numeric)
    if text:
        out = out.where(out.notna(), values.map(text))
    return pd.to_numeric(out, errors="coerce").astype("float64")


def _scale(items: pd.DataFrame, method: str, min_answered: int | None) -> pd.Series:
    needed = min_answered if min_answered is not None else items.shape[1]
    answered = items.notna().sum(axis=1)
    mean = items.mean(axis=1, skipna=True)
    values = mean if method == "mean" else mean * items.shape[1]
    return values.where(answered >= needed)


def _threshold(
    values: pd.Series, codes: list[object] | None, low: float | None, high: float | None
) -> pd.Series:
    if codes is not None:
        hit = values.isin(codes)
    else:
        numeric = pd.to_numeric(values, errors="coerce")
        hit = pd.Series(True, index=values.index)
        if low is not None:
            hit &= numeric >= low
        if high is not None:
            hit &= numeric <= high
    return hit.astype("float64").where(values.notna())


def _flags(items: pd.DataFrame, codes: list[object], *, any_of: bool) -> pd.Series:
    hit = items.isin(codes) & items.notna()
    miss = items.isna()
    if any_of:
        out = pd.Series(np.where(hit.any(axis=1), 1.0, 0.0), index=items.index)
        return out.mask(~hit.any(axis=1) & miss.any(axis=1))
    fails = ~hit & ~miss
    out = pd.Series(np.where(fails.any(axis=1), 0.0, 1.0), index=items.index)
    return out.mask(~fails.any(axis=1) & miss.any(axis=1))
