"""The ``surveys`` table: what each survey wave is, for the report's introduction and methods.

One row per survey and wave: the description the study file gives in ``[surveys.<name>.about]``
(population, sample, who ran it, the source of its weighting targets, whether it is simulated,
each wave's fieldwork, invitations and response or participation rate), in each report
language, with the counts of the run (responses read, kept after the quality rules) and the
weighting margins of ``[weighting.<survey>]``. Nothing here is estimated.

>>> from types import SimpleNamespace as NS
>>> about = NS(population={"en": "Youth", "fr": "Jeunes"}, sample=None, publisher="P",
...     targets_source=None, simulated=True, waves={})
>>> study = NS(surveys={"youth": NS(unit="respondent", about=about, sources={"2024": None})},
...     weighting={"youth": {"margins": [["age", "sex"], "region"]}})
>>> quality = pd.DataFrame({"survey": ["youth"] * 2, "wave": ["2024"] * 2,
...     "rule": ["responses", "speeders"], "flagged": [100, 4], "excluded": [0, 4],
...     "remaining": [100, 96]})
>>> row = survey_table(study, quality).iloc[0]
>>> row["population_fr"], int(row["responses"]), int(row["analysed"]), list(row["margins"])
('Jeunes', 100, 96, ['age x sex', 'region'])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ci_eval.analysis.weighting_stage import margin_name
from ci_eval.results.contract import columns
from ci_eval.results.report_settings import text_in

REPORT_LANGUAGES = ("en", "fr")
TEXTS = ("population", "sample", "publisher", "targets_source")


def _counts(quality: pd.DataFrame | None, survey: str, wave: str) -> tuple[int, int]:
    """Responses read and kept: the first and last ``remaining`` of the wave's rules."""
    if quality is None or quality.empty:
        return 0, 0
    rows = quality[(quality["survey"] == survey) & (quality["wave"].astype(str) == wave)]
    if rows.empty:
        return 0, 0
    first = rows.iloc[0]
    read = int(first["remaining"] + first["excluded"])
    return read, int(rows.iloc[-1]["remaining"])


def _margins(study: Any, survey: str) -> list[str]:
    config = (getattr(study, "weighting", None) or {}).get(survey) or {}
    margins = config.get("margins") or []
    return [margin_name(m if isinstance(m, list | tuple) else [m]) for m in margins]


def _wave_facts(about: Any, wave: str) -> dict[str, Any]:
    facts = (getattr(about, "waves", None) or {}).get(wave)
    fieldwork = getattr(facts, "fieldwork", None)
    response = getattr(facts, "response_rate", None)
    participation = getattr(facts, "participation_rate", None)
    rate, kind = np.nan, ""
    if response is not None:
        rate, kind = float(response), "response"
    elif participation is not None:
        rate, kind = float(participation), "participation"
    return {
        "fieldwork_start": fieldwork[0].isoformat() if fieldwork else "",
        "fieldwork_end": fieldwork[1].isoformat() if fieldwork else "",
        "invited": int(getattr(facts, "invited", None) or 0),
        "rate": rate,
        "rate_kind": kind,
    }


def survey_table(study: Any, quality: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``surveys`` table of a study (see the module docstring); ``quality`` is the
    ``quality`` results table (its counts per rule)."""
    rows = []
    for survey, config in sorted(study.surveys.items()):
        about = getattr(config, "about", None)
        margins = _margins(study, survey)
        for wave in sorted(str(w) for w in config.sources):
            read, kept = _counts(quality, survey, wave)
            row: dict[str, Any] = {"survey": survey, "wave": wave, "unit": str(config.unit)}
            for text in TEXTS:
                for lang in REPORT_LANGUAGES:
                    row[f"{text}_{lang}"] = text_in(getattr(about, text, None), lang)
            row |= _wave_facts(about, wave)
            row |= {
                "responses": read,
                "analysed": kept,
                "weighted": bool(margins),
                "margins": margins,
                "simulated": bool(getattr(about, "simulated", False)),
            }
            rows.append(row)
    frame = pd.DataFrame(rows, columns=columns("surveys"))
    return frame.astype({"invited": "int64", "responses": "int64", "analysed": "int64"})
