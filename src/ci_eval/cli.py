"""The ``ci-eval`` command line (typer + rich).

Each sub-command is a thin layer over the library: it parses options, calls
one function, and prints a summary. Errors of the :class:`~ci_eval.errors.CiEvalError`
family are shown as one clear message and exit code 2, without a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ci_eval import __version__
from ci_eval.errors import CiEvalError

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


# --- sources and codebook commands ---
StudyArg = Annotated[Path, typer.Argument(help="The study folder (holds ci-eval.toml).")]


def _fail(exc: CiEvalError) -> typer.Exit:
    console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
    return typer.Exit(2)


@app.command("pull")
def pull_command(
    study: StudyArg = Path("."),
    survey: Annotated[str | None, typer.Option(help="Only this survey.")] = None,
    wave: Annotated[str | None, typer.Option(help="Only this wave.")] = None,
    accept_changes: Annotated[
        bool, typer.Option(help="Apply responses edited or deleted on the server.")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Pull surveys (LimeSurvey or files) into immutable raw snapshots."""
    from ci_eval.sources.pull import pull
    from ci_eval.sources.summary import pull_lines, pull_table
    from ci_eval.study import load_study

    try:
        reports = pull(
            load_study(study), survey, wave, accept_changes=accept_changes, progress=progress
        )
    except CiEvalError as exc:
        raise _fail(exc) from None
    console.print(pull_table(reports))
    for line in pull_lines(reports):
        console.print(line, soft_wrap=True)


@app.command("codebook")
def codebook_command(
    study: StudyArg = Path("."),
    survey: Annotated[str, typer.Option(help="The survey (e.g. youth).")] = "youth",
    wave: Annotated[str | None, typer.Option(help="Wave to export from.")] = None,
    export: Annotated[
        Path | None, typer.Option(help="Write the codebook of the wave's latest snapshot here.")
    ] = None,
) -> None:
    """Show a survey's codebook and how each pulled wave fits it, or export one."""
    from ci_eval.codebook import Codebook
    from ci_eval.sources.pull import wave_codebook
    from ci_eval.sources.summary import (
        codebook_table,
        export_codebook,
        harmonisation_check,
        pulled_waves,
    )
    from ci_eval.study import load_study

    try:
        loaded = load_study(study)
        config = loaded.survey(survey)
        if export is not None:
            written = export_codebook(loaded, survey, wave, export)
            console.print(f"wrote {len(written.variables)} variables to {escape(str(export))}")
            return
        path = loaded.path(config.codebook) if config.codebook else None
        if path is not None and path.is_file():
            codebook = Codebook.from_yaml(path)
            console.print(codebook_table(codebook, loaded.study.languages))
            for name, result in harmonisation_check(loaded, survey, codebook):
                colour = "green" if result == "fits" else "yellow"
                console.print(f"[{colour}]wave {name}:[/{colour}] {escape(result)}", soft_wrap=True)
            return
        waves = pulled_waves(loaded, survey)
        if not waves:
            console.print(
                f"no codebook file and no pulled wave for {survey!r}: run `ci-eval pull` first"
            )
            return
        console.print(
            codebook_table(wave_codebook(loaded, survey, waves[-1]), loaded.study.languages)
        )
        console.print(
            f"(from the latest snapshot of wave {waves[-1]}; save it with --export "
            f"{config.codebook or f'surveys/{survey}/codebook.yaml'})"
        )
    except CiEvalError as exc:
        raise _fail(exc) from None


# --- theory of change, quality and demo commands ---
model_app = typer.Typer(help="Check and show the theory-of-change model.", no_args_is_help=True)
demo_app = typer.Typer(help="The bundled demo study.", no_args_is_help=True)
app.add_typer(model_app, name="model")
app.add_typer(demo_app, name="demo")


def _toc_fail(error: Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {escape(str(error))}", soft_wrap=True)
    return typer.Exit(code=2)


@model_app.command("check")
def model_check(
    study: Path = typer.Argument(Path("."), help="The study folder (holds ci-eval.toml)."),
) -> None:
    """Validate the study's theory-of-change model against its codebooks."""
    from ci_eval.toc.study_model import load_study_model

    try:
        model, path = load_study_model(study)
    except CiEvalError as error:
        raise _toc_fail(error) from None
    console.print(
        f"[green]ok[/green] {escape(str(path))}: {len(model.outcomes)} outcomes, "
        f"{len(model.indicators)} indicators, {len(model.contributions)} contributions",
        soft_wrap=True,
    )


@model_app.command("show")
def model_show(
    study: Path = typer.Argument(Path("."), help="The study folder (holds ci-eval.toml)."),
    fmt: str | None = typer.Option(None, "--format", help="Write a diagram: mermaid or dot."),
    output: Path | None = typer.Option(None, "--output", help="Diagram file (default: stdout)."),
    language: str = typer.Option("en", "--language", help="Label language: en or fr."),
    indicators: bool = typer.Option(False, "--indicators", help="Add indicators to the diagram."),
) -> None:
    """Print the theory of change as a tree, or write it as a Mermaid / Graphviz diagram."""
    from rich.console import Console as StdoutConsole

    from ci_eval.toc.diagram import FORMATS, render, tree
    from ci_eval.toc.study_model import load_study_model

    try:
        model, _ = load_study_model(study)
    except CiEvalError as error:
        raise _toc_fail(error) from None
    if fmt is None:
        StdoutConsole().print(tree(model, language=language))
        return
    if fmt not in FORMATS:
        raise _toc_fail(ValueError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}"))
    text = render(model, fmt, language=language, indicators=indicators) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {escape(str(output))}", soft_wrap=True)


@demo_app.command("generate")
def demo_generate(
    seed: int = typer.Option(2024, "--seed", help="Random seed; same seed, same bytes."),
    out: Path = typer.Option(Path("."), "--out", help="Folder to write the demo study into."),
) -> None:
    """Write the demo study (settings, model, codebooks, simulated .sav data, truth)."""
    from ci_eval.demo import generate_study

    files = generate_study(out, seed=seed)
    console.print(
        f"wrote {len(files)} files of the demo study into {escape(str(out))} (seed {seed})",
        soft_wrap=True,
    )


if __name__ == "__main__":  # pragma: no cover
    app()
