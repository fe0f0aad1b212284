"""The ``ci-eval`` command line (typer + rich).

Each sub-command is a thin layer over the library: it parses options, calls
one function, and prints a summary. Errors of the :class:`~ci_eval.errors.CiEvalError`
family are shown as one clear message and exit code 2, without a traceback.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ci_eval import __version__

app = typer.Typer(
    name="ci-eval",
    help="Survey and theory-of-change evaluation for collective-impact initiatives.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ci-eval {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Survey and theory-of-change evaluation for collective-impact initiatives."""


@app.command()
def run(
    study: Path = typer.Argument(Path("."), help="The study folder (holds ci-eval.toml)."),
) -> None:
    """Run the pipeline on a study: pull, quality, score, weight, estimate, report."""
    console.print(f"[bold]ci-eval run[/bold] {study.resolve()}")
    console.print(
        "Built so far: the survey statistics core (ci_eval.survey). "
        "Not built yet: pull, quality, scoring, weighting, estimation and the report stages; "
        "`make test` checks what exists."
    )


if __name__ == "__main__":  # pragma: no cover
    app()
