"""What ``ci-eval pull`` and ``ci-eval codebook`` print: rich summaries.

>>> from ci_eval.codebook import Codebook, Variable
>>> table = codebook_table(Codebook("youth", [Variable(name="age", type="numeric")]))
>>> table.row_count
1
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from ci_eval.codebook import Codebook
from ci_eval.errors import CiEvalError
from ci_eval.sources.pull import (
    PullReport,
    load_responses,
    snapshot_store,
    type_responses,
    wave_codebook,
)
from ci_eval.study import Study

__all__ = ["codebook_table", "harmonisation_check", "pull_lines", "pull_table", "pulled_waves"]


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
    for column in ("new", "held", "vars"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in reports:
        table.add_row(
            r.survey,
            r.wave,
            r.source,
            r.snapshot.id if r.snapshot else "(up to date)",
            str(r.rows),
            str(r.total_rows),
            str(r.variables),
        )
    return table


def pull_lines(reports: Sequence[PullReport]) -> list[str]:
    """Changes since the last pull, one line each (rich markup, escaped)."""
    lines = []
    for r in reports:
        where = f"{r.survey} {r.wave}"
        if r.late:
            lines.append(
                f"{where}: {len(r.late)} responses completed since the last pull: {_ids(r.late)}"
            )
        verb = "applied" if r.accepted else "not applied (rerun with --accept-changes)"
        if r.edited:
            lines.append(
                f"[yellow]{where}: {len(r.edited)} responses edited on the server, {verb}: "
                f"{_ids(r.edited)}[/yellow]"
            )
        if r.deleted:
            lines.append(
                f"[yellow]{where}: {len(r.deleted)} responses deleted on the server, {verb}: "
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


def pulled_waves(study: Study, survey: str) -> list[str]:
    """The waves of a survey that have at least one snapshot, in study order."""
    return [w for w in study.waves.all if snapshot_store(study, survey, w).latest() is not None]


def harmonisation_check(study: Study, survey: str, codebook: Codebook) -> list[tuple[str, str]]:
    """For each pulled wave: ``(wave, "fits")`` or ``(wave, <unmapped differences>)``.

    The wave's raw responses are typed with the codebook of its own snapshot,
    then harmonised with the survey's codebook; differences the codebook does
    not map are reported, never guessed.
    """
    results = []
    for wave in pulled_waves(study, survey):
        raw = load_responses(study, survey, wave)
        typed = type_responses(raw, wave_codebook(study, survey, wave))
        try:
            codebook.harmonise(typed, wave=wave)
        except CiEvalError as exc:
            results.append((wave, str(exc)))
        else:
            results.append((wave, "fits"))
    return results


def export_codebook(study: Study, survey: str, wave: str | None, path: Path) -> Codebook:
    """Write the codebook of a wave's latest snapshot to ``path`` (YAML) and return it."""
    waves = pulled_waves(study, survey)
    chosen = wave if wave is not None else (waves[-1] if waves else study.waves.all[-1])
    codebook = wave_codebook(study, survey, chosen)
    codebook.to_yaml(path)
    return codebook
