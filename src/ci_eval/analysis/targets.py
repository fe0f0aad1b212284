"""Progress toward the model's targets.

For an indicator with a ``target`` (and a ``baseline`` value, or else the estimate of the
baseline wave), each wave's overall estimate gives ``progress = (estimate - baseline) /
(target - baseline)``: the share of the way from the baseline to the target. At or after the
target wave an indicator is on track when it has reached the target (in its good direction);
before it, when its progress is at least the share of the time elapsed (waves read as years; a
straight-line trajectory, as in Friedman's *Trying Hard Is Not Good Enough*, 2005, "turning the
curve").
"""

from __future__ import annotations

import math

import pandas as pd

from ci_eval.results.contract import columns
from ci_eval.toc.schema import ToCModel

COLUMNS = columns("targets")


def _year(wave: str) -> float:
    try:
        return float(wave)
    except (TypeError, ValueError):
        return float("nan")


def progress_to_targets(
    indicators: pd.DataFrame, model: ToCModel, baseline_wave: str
) -> pd.DataFrame:
    """The ``targets`` table (one row per targeted indicator and wave).

    Examples
    --------
    >>> from ci_eval.toc.schema import ToCModel
    >>> model = ToCModel.model_validate({"name": {"en": "M"}, "outcomes": [], "indicators": [
    ...     {"id": "x", "label": {"en": "X"}, "survey": "s", "scoring": {"method": "value"},
    ...      "baseline": {"value": 0.5}, "target": {"value": 0.6, "wave": "2024"}}]})
    >>> ind = pd.DataFrame({"indicator": "x", "wave": ["2021", "2024"], "domain": "overall",
    ...     "estimate": [0.52, 0.58], "suppressed": False})
    >>> t = progress_to_targets(ind, model, "2021").round({"progress": 6})
    >>> t[["wave", "progress", "on_track"]].values.tolist()
    [['2021', 0.2, True], ['2024', 0.8, False]]
    """
    overall = indicators[indicators["domain"] == "overall"]
    rows = []
    for indicator in model.indicators:
        if indicator.target is None:
            continue
        own = overall[overall["indicator"] == indicator.id].sort_values("wave")
        target = indicator.target.value
        base_wave = (indicator.baseline.wave if indicator.baseline else None) or baseline_wave
        target_wave = indicator.target.wave or (own["wave"].max() if len(own) else "")
        if indicator.baseline is not None:
            baseline = indicator.baseline.value
        else:
            at_base = own[(own["wave"] == str(base_wave)) & ~own["suppressed"].astype(bool)]
            baseline = float(at_base["estimate"].iloc[0]) if len(at_base) else float("nan")
        for _, row in own.iterrows():
            estimate = float("nan") if row["suppressed"] else float(row["estimate"])
            gap = target - baseline
            progress = (estimate - baseline) / gap if gap else float("nan")
            assessed = not (math.isnan(progress))
            on_track = assessed and _on_track(
                estimate,
                target,
                progress,
                str(row["wave"]),
                str(base_wave),
                str(target_wave),
                indicator.direction,
            )
            rows.append(
                {
                    "indicator": indicator.id,
                    "wave": str(row["wave"]),
                    "estimate": estimate,
                    "baseline": baseline,
                    "target": target,
                    "target_wave": str(target_wave),
                    "progress": progress,
                    "on_track": bool(on_track),
                    "assessed": assessed,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def _on_track(
    estimate: float,
    target: float,
    progress: float,
    wave: str,
    base_wave: str,
    target_wave: str,
    direction: str,
) -> bool:
    year, start, end = _year(wave), _year(base_wave), _year(target_wave)
    if (not math.isnan(year) and not math.isnan(end) and year >= end) or wave == target_wave:
        if direction == "lower_is_better":
            return estimate <= target
        if direction == "higher_is_better":
            return estimate >= target
        return progress >= 1
    if math.isnan(year) or math.isnan(start) or math.isnan(end) or end <= start:
        return progress >= 0
    return progress >= (year - start) / (end - start) - 1e-12
