"""Internal consistency of multi-item scales: Cronbach's alpha with its confidence interval.

Alpha and its interval come from :func:`pingouin.cronbach_alpha` (Cronbach 1951;
the interval is Feldt's F-based one, Feldt, Woodruff & Salih 1987). Items are
prepared exactly as for scoring (missing codes removed, recoded, reverse-coded),
and only respondents who answered every item count (listwise deletion, as R
``psych::alpha(use = "complete.obs")``). Each scale is reported overall and by
survey language, since the English and French questionnaires are different
instruments.

>>> import pandas as pd
>>> from ci_eval.codebook import Codebook
>>> from ci_eval.toc.schema import ToCModel
>>> cb = Codebook.from_dict({"survey": "s", "variables": [
...     {"name": n, "type": "numeric"} for n in ("a", "b", "c")]})
>>> model = ToCModel.model_validate({"name": {"en": "M"}, "outcomes": [], "indicators": [
...     {"id": "scale", "label": {"en": "S"}, "survey": "s", "items": ["a", "b", "c"],
...      "scoring": {"method": "mean"}}]})
>>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [1, 3, 3, 4, 5], "c": [2, 2, 3, 5, 5]})
>>> table = scale_reliability(model, df, cb)
>>> table[["scale", "language", "n", "n_items"]].values.tolist()
[['scale', 'all', 5, 3]]
>>> round(float(table["alpha"].iloc[0]), 4)  # 3/2 * (1 - 7.0 / 19.8)
0.9697
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ci_eval.codebook import Codebook
from ci_eval.toc.schema import ToCModel
from ci_eval.toc.scoring import prepare_scale_items

COLUMNS = ["scale", "language", "n", "n_items", "alpha", "ci_low", "ci_high"]


def scale_reliability(
    model: ToCModel,
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    survey: str | None = None,
    language_column: str | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Cronbach's alpha of every multi-item ``mean``/``sum`` indicator of one survey.

    Returns
    -------
    DataFrame
        ``scale, language, n, n_items, alpha, ci_low, ci_high``; ``language`` is
        ``"all"`` then each value of ``language_column``. Groups with fewer than
        three complete respondents get NaN alpha.
    """
    survey = survey or codebook.survey
    data = codebook.apply_missing(responses)
    groups: list[tuple[str, pd.Series]] = [("all", pd.Series(True, index=data.index))]
    if language_column is not None:
        languages = data[language_column].dropna().astype(str)
        groups += [
            (lang, data[language_column].astype(str) == lang) for lang in sorted(set(languages))
        ]
    rows = []
    for indicator in model.indicators_for(survey):
        if indicator.scoring.method not in ("mean", "sum") or len(indicator.items) < 2:
            continue
        items = prepare_scale_items(indicator, data)
        for language, mask in groups:
            complete = items[mask.to_numpy()].dropna(how="any")
            rows.append((indicator.id, language, len(complete), items.shape[1],
                         *alpha_interval(complete, conf_level)))  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def alpha_interval(items: pd.DataFrame, conf_level: float = 0.95) -> tuple[float, float, float]:
    """``(alpha, ci_low, ci_high)`` of complete item rows; NaN with fewer than three rows or
    no variance.

    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [1, 3, 3, 4, 5], "c": [2, 2, 3, 5, 5]})
    >>> round(alpha_interval(df)[0], 4)
    0.9697
    """
    if len(items) < 3 or (items.var(axis=0) == 0).all():
        return (np.nan, np.nan, np.nan)
    import pingouin  # imported here: it takes seconds, and only reliability needs it

    alpha, (low, high) = pingouin.cronbach_alpha(data=items, ci=conf_level)
    return (float(alpha), float(low), float(high))
