"""The ``reliability`` table: Cronbach's alpha of every multi-item scale, per wave and language.

The computation is :func:`ci_eval.toc.reliability.scale_reliability` (the theory-of-change
package owns how scales are prepared); this module runs it on every survey wave and renames the
columns to the results-store contract.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ci_eval.codebook import Codebook
from ci_eval.results.contract import columns
from ci_eval.toc.reliability import scale_reliability
from ci_eval.toc.schema import ToCModel

COLUMNS = columns("reliability")


def reliability_table(
    frames: Mapping[tuple[str, str], pd.DataFrame],
    model: ToCModel,
    codebooks: Mapping[str, Codebook],
    language_columns: Mapping[str, str | None] | None = None,
) -> pd.DataFrame:
    """Alpha of each scale indicator of each survey wave, overall (``all``) and by language."""
    parts = []
    for (survey, wave), frame in sorted(frames.items()):
        if survey not in codebooks or not model.indicators_for(survey):
            continue
        language = (language_columns or {}).get(survey)
        if language is not None and language not in frame.columns:
            language = None
        table = scale_reliability(
            model, frame, codebooks[survey], survey=survey, language_column=language
        )
        if len(table):
            table = table.rename(columns={"scale": "indicator", "n_items": "items"})
            parts.append(table.assign(wave=str(wave))[COLUMNS])
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(parts, ignore_index=True)
