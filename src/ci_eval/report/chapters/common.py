"""Helpers every chapter uses: the latest wave, records, notes, localised ticks, wrapping."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ci_eval.report.page import Page


def localise(page: Page, axis: Any) -> None:
    """Tick labels with the language's decimal separator (``2,5`` in French)."""
    from matplotlib.ticker import FuncFormatter

    def tick(value: float, _pos: int | None = None) -> str:
        shortest = f"{round(float(value), 6):g}"
        digits = len(shortest.split(".")[1]) if "." in shortest and "e" not in shortest else 0
        return page.number(value, digits)

    axis.set_major_formatter(FuncFormatter(tick))


def latest_wave(page: Page) -> str:
    return str(max(page.table("indicators")["wave"].astype(str)))


def rows_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records")


def table_notes(page: Page, rows: pd.DataFrame) -> list[str]:
    notes = []
    surveys = rows["survey"].astype(str) if "survey" in rows else [""] * len(rows)
    for universe, survey in sorted(set(zip(rows["universe"].astype(str), surveys, strict=True))):
        notes.append(page.universe(universe, survey))
    for treatment in sorted(set(rows["missing_treatment"].astype(str))):
        notes.append(page.missing_note(treatment))
    notes.append(page.legend())
    return notes


def indicators_of(page: Page, *, survey: str | None = None, outcomes: list[str] | None = None):
    """Indicator ids in the store's order, filtered by survey and/or outcome."""
    ind = page.table("indicators")
    if survey is not None:
        ind = ind[ind["survey"] == survey]
    if outcomes is not None:
        ind = ind[ind["outcome"].isin(outcomes)]
    return list(dict.fromkeys(ind["indicator"]))


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters, broken at plain spaces only (a no-break space,
    as French puts before ``:`` and ``%``, holds its words together).

    >>> wrap("Parmi ceux qui\u00a0: A eu un mentor", 16)
    ['Parmi ceux qui\xa0:', 'A eu un mentor']
    """
    lines, line = [], ""
    for word in filter(None, text.split(" ")):
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line]
