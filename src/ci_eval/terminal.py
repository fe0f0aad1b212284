"""What the ``ci-eval`` commands print: rich tables of pulls, codebooks and results.

Presentation only (the CLI's side of the layers): the library returns data, this module
turns it into terminal output.

>>> from ci_eval.codebook import Codebook, Variable
>>> table = codebook_table(Codebook("youth", [Variable(name="age", type="numeric")]))
>>> table.row_count
1
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from rich.markup import escape
from rich.table import Table

from ci_eval.codebook import Codebook
from ci_eval.sources.pull import PullReport
from ci_eval.sources.waves import SurveyCodebook

__all__ = ["codebook_lines", "codebook_table", "frame_table", "pull_lines", "pull_table"]


def _ids(ids: Sequence[int], limit: int = 8) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f" … (+{len(ids) - limit})" if len(ids) > limit else "")


def pull_table(reports: Sequence[PullReport]) -> Table:
    """One row per pulled wave: snapshot, new rows, rows held, variables."""
    table = Table(title="ci-eval pull")
    table.add_column("survey", overflow="fold")
    table.add_column("wave", no_wrap=True)
    table.add_column("source", overflow="fold")
    table.add_column("snapshot", no_wrap=True)
    # "new": responses not held before; late completions and edits are listed below the table
    for column in ("new", "held", "vars"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in reports:
        table.add_row(
            r.survey,
            r.wave,
            r.source,
            r.snapshot.id if r.snapshot else "(up to date)",
            str(r.new if r.source == "limesurvey" else r.rows),
            str(r.total_rows),
            str(r.variables),
        )
    return table


def responses(n: int) -> str:
    """``"1 response"``, ``"2 responses"``.

    >>> responses(1), responses(3)
    ('1 response', '3 responses')
    """
    return f"{n} response" if n == 1 else f"{n} responses"


def pull_lines(reports: Sequence[PullReport]) -> list[str]:
    """Changes since the last pull, one line each (rich markup, escaped)."""
    lines = []
    for r in reports:
        where = f"{r.survey} {r.wave}"
        if r.late:
            lines.append(
                f"{where}: {responses(len(r.late))} completed since the last pull: {_ids(r.late)}"
            )
        verb = "applied" if r.accepted else "not applied (rerun with --accept-changes)"
        if r.edited:
            lines.append(
                f"[yellow]{where}: {responses(len(r.edited))} edited on the server, {verb}: "
                f"{_ids(r.edited)}[/yellow]"
            )
        if r.deleted:
            lines.append(
                f"[yellow]{where}: {responses(len(r.deleted))} deleted on the server, {verb}: "
                f"{_ids(r.deleted)}[/yellow]"
            )
        for change in r.changes:
            lines.append(f"{where}: codebook {escape(str(change))}")
        lines += [f"{where}: {escape(note)}" for note in r.notes]
    return lines


def codebook_table(codebook: Codebook, languages: Sequence[str] = ("en", "fr")) -> Table:
    """The variables of a codebook: type, labels, value labels, missing codes, waves."""
    table = Table(title=f"codebook: {codebook.survey} ({len(codebook.variables)} variables)")
    table.add_column("variable", no_wrap=True)
    table.add_column("type", no_wrap=True)
    for lang in languages:
        table.add_column(f"label ({lang})", overflow="fold", max_width=40)
    table.add_column("codes", justify="right")
    table.add_column("missing")
    table.add_column("waves")
    for var in codebook.variables.values():
        table.add_row(
            escape(var.name),
            var.type,
            *[escape(var.label.get(lang, "")) for lang in languages],
            str(len(var.value_labels)) if var.value_labels else "",
            escape(", ".join(map(str, var.missing_codes))),
            escape(", ".join(f"{w}: {m.name}" for w, m in var.waves.items())),
        )
    return table


def codebook_lines(shown: SurveyCodebook, survey: str) -> list[str]:
    """How each pulled wave fits the codebook, or where the shown codebook came from.

    >>> codebook_lines(SurveyCodebook(None, suggested_path="cb.yaml"), "youth")
    ["no codebook file and no pulled wave for 'youth': run `ci-eval pull` first"]
    """
    if shown.codebook is None:
        return [f"no codebook file and no pulled wave for {survey!r}: run `ci-eval pull` first"]
    if shown.from_wave is not None:
        return [
            f"(from the latest snapshot of wave {shown.from_wave}; save it with --export "
            f"{escape(shown.suggested_path)})"
        ]
    lines = []
    for wave, result in shown.checks:
        colour = "green" if result == "fits" else "yellow"
        lines.append(f"[{colour}]wave {wave}:[/{colour}] {escape(result)}")
    return lines


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    """A results table as a rich table: floats to 4 significant digits, missing blank.

    >>> frame_table(pd.DataFrame({"value": [0.123456, None]}), "t").row_count
    2
    >>> _cell(["region", "size"]), _cell(0.123456), _cell(None)
    ('region, size', '0.1235', '')
    """
    shown = Table(title=title)
    for column in frame.columns:
        shown.add_column(str(column))
    for row in frame.itertuples(index=False):
        shown.add_row(*(_cell(v) for v in row))
    return shown


def _cell(value: object) -> str:
    """One cell: a list (``list<string>`` columns) joined, floats to 4 digits, missing blank."""
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(str(v) for v in value)
    if pd.isna(value):
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)
