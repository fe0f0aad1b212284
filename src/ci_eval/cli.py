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
from ci_eval.errors import CiEvalError, StudyError

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
    verify_held: Annotated[
        bool,
        typer.Option(
            help="Compare the content of every response held with the server (finds edits "
            "that kept their date stamp; also done on every `verify_every`-th pull)."
        ),
    ] = False,
) -> None:
    """Pull surveys (LimeSurvey or files) into immutable raw snapshots."""
    from ci_eval.pipeline import pull_study
    from ci_eval.terminal import pull_lines, pull_table

    try:
        reports = pull_study(
            study,
            survey,
            wave,
            accept_changes=accept_changes,
            progress=progress,
            verify_held=verify_held,
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
    force: Annotated[bool, typer.Option(help="Replace the --export file if it exists.")] = False,
) -> None:
    """Show a survey's codebook and how each pulled wave fits it, or export one."""
    from ci_eval.pipeline import export_wave_codebook, show_codebook
    from ci_eval.terminal import codebook_lines, codebook_table

    try:
        if export is not None:
            written = export_wave_codebook(study, survey, wave, export, overwrite=force)
            console.print(f"wrote {len(written.variables)} variables to {escape(str(export))}")
            return
        shown, languages = show_codebook(study, survey)
    except CiEvalError as exc:
        raise _fail(exc) from None
    if shown.codebook is not None:
        console.print(codebook_table(shown.codebook, languages))
    for line in codebook_lines(shown, survey):
        console.print(line, soft_wrap=True)


instrument_app = typer.Typer(
    help="The questionnaires of the study, made from its codebooks.", no_args_is_help=True
)
app.add_typer(instrument_app, name="instrument")


@instrument_app.command("export")
def instrument_export(
    study: StudyArg = Path("."),
    survey: Annotated[str, typer.Option(help="The survey (youth, organisations, partners...).")] = (
        "youth"
    ),
    fmt: Annotated[str, typer.Option("--format", help="The file format: lss (LimeSurvey).")] = (
        "lss"
    ),
    out: Annotated[
        Path | None, typer.Option(help="The file to write (default surveys/<survey>/<survey>.lss).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace the file if it holds something else.")] = (
        False
    ),
) -> None:
    """Write a survey's questionnaire as a LimeSurvey survey file (every study language),
    for each program or partner to import and field the same questions."""
    from ci_eval.pipeline import export_instrument

    try:
        done = export_instrument(study, survey, out, fmt=fmt, overwrite=force)
    except CiEvalError as exc:
        raise _fail(exc) from None
    verb = "wrote" if done.written else "unchanged:"
    console.print(
        f"{verb} {escape(str(done.path))} ({done.questions} questions, {done.asked} variables)",
        soft_wrap=True,
    )
    if done.left_out:
        console.print(
            f"not asked (no question in the codebook): {escape(', '.join(done.left_out))}",
            soft_wrap=True,
        )


@instrument_app.command("check")
def instrument_check(
    wave: Annotated[str, typer.Option(help="A wave pulled from LimeSurvey.")],
    study: StudyArg = Path("."),
    survey: Annotated[str, typer.Option(help="The survey.")] = "youth",
) -> None:
    """Does a pulled LimeSurvey wave still ask the instrument's questions? Lists every
    label, answer or row changed, removed or added since the export (exit code 1 if any)."""
    from ci_eval.pipeline import check_instrument

    try:
        changes = check_instrument(study, survey, wave)
    except CiEvalError as exc:
        raise _fail(exc) from None
    if not changes:
        console.print(f"wave {escape(wave)} of {escape(survey)} asks the instrument's questions")
        return
    console.print(f"wave {escape(wave)} of {escape(survey)} differs from the instrument:")
    for change in changes:
        console.print(f"- {escape(str(change))}", soft_wrap=True)
    raise typer.Exit(1)


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
    from ci_eval.pipeline import load_study_model

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

    from ci_eval.pipeline import load_study_model
    from ci_eval.toc.diagram import FORMATS, render, tree

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


# --- pipeline and report commands ---
report_app = typer.Typer(
    help="Rebuild the book, or write one program's private benchmark page.", no_args_is_help=True
)
app.add_typer(report_app, name="report")


def _stage_reporter(progress: object) -> object:
    from ci_eval.pipeline import StageRun

    tasks: dict[str, object] = {}

    def report(stage: StageRun, event: str) -> None:
        if event == "start":
            tasks[stage.name] = progress.add_task(f"{stage.name}", total=None)
            return
        task = tasks[stage.name]
        if event == "failed":
            progress.update(task, description=f"[red]x {stage.name}[/red]", total=1, completed=0)
            return
        how = "cached" if stage.cached else f"{stage.seconds:.1f} s"
        progress.update(task, description=f"[green]✓[/green] {stage.name} ({how})",
                        total=1, completed=1)  # fmt: skip

    return report


@app.command("run")
def run_command(
    study: StudyArg = Path("."),
    pull: Annotated[
        bool, typer.Option("--pull", help="Also pull LimeSurvey sources (files always are).")
    ] = False,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Build the book after the tables.")
    ] = True,
    cache: Annotated[
        bool, typer.Option("--cache/--no-cache", help="Reuse stages whose inputs are unchanged.")
    ] = True,
) -> None:
    """Run the pipeline: pull, read, quality, score, weight + estimate, report.

    Writes reports/<edition>/ (results tables, quality.csv, manifest.json) and the
    bilingual book in reports/<edition>/site/. Stages whose inputs and settings are
    unchanged are loaded from reports/<edition>/.cache/.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ci_eval.pipeline import run_pipeline

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            result = run_pipeline(
                study, pull=pull, report=report, use_cache=cache,
                reporter=_stage_reporter(progress),
            )  # fmt: skip
    except CiEvalError as exc:
        raise _fail(exc) from None
    console.print(f"results: {result.store}")
    if result.site is not None:
        console.print(f"report:  {result.site / 'index.html'}")


@app.command("verify")
def verify_command(
    store: Annotated[Path, typer.Argument(help="A results store, e.g. reports/2024.")],
) -> None:
    """Rerun the pipeline from the same inputs and check every results table is byte-identical."""
    from ci_eval.pipeline import verify_store

    try:
        with console.status("rerunning from the same inputs..."):
            result = verify_store(store)
    except CiEvalError as exc:
        raise _fail(exc) from None
    for name in result.changed_inputs:
        console.print(f"[yellow]input changed since the run:[/yellow] {escape(name)}")
    for name in result.different:
        console.print(f"[red]differs:[/red] {escape(name)}")
    for name in result.missing:
        console.print(f"[red]not produced by the rerun:[/red] {escape(name)}")
    for name in result.extra:
        console.print(f"[red]new in the rerun:[/red] {escape(name)}")
    if not result.ok:
        console.print("[red]not reproduced[/red]")
        raise typer.Exit(1)
    console.print(f"[green]reproduced:[/green] {len(result.identical)} tables byte-identical")


@app.command("init")
def init_command(
    folder: Annotated[Path, typer.Argument(help="The new study folder.")],
    name: Annotated[str | None, typer.Option(help="The study's name.")] = None,
    from_limesurvey: Annotated[
        str | None,
        typer.Option(help="A RemoteControl url: scaffold from a LimeSurvey survey (--survey-id)."),
    ] = None,
    survey_id: Annotated[int | None, typer.Option(help="The LimeSurvey survey id.")] = None,
    credentials: Annotated[
        str, typer.Option(help="Prefix of the <prefix>_USER / <prefix>_PASSWORD variables.")
    ] = "CI_EVAL_LS",
    survey: Annotated[str, typer.Option(help="The survey's key in the study.")] = "youth",
) -> None:
    """Scaffold a new study: ci-eval.toml, a model template, survey folders (or all three
    from a LimeSurvey survey, with --from-limesurvey URL --survey-id N)."""
    from ci_eval.scaffold import init_from_limesurvey, init_study

    try:
        if from_limesurvey is None:
            written = init_study(folder, name=name or "My study")
        elif survey_id is None:
            raise StudyError("--from-limesurvey needs --survey-id: the survey's id on the server")
        else:
            written = init_from_limesurvey(
                folder, from_limesurvey, survey_id, credentials=credentials, survey=survey,
                name=name,
            )  # fmt: skip
    except CiEvalError as exc:
        raise _fail(exc) from None
    for path in written:
        console.print(f"created {escape(str(path))}")
    if from_limesurvey is None:
        console.print(
            f"next: put survey files in {folder / 'surveys'}, then `ci-eval run {folder}`"
        )
    else:
        console.print(f"next: `ci-eval run {folder} --pull` (pulls the survey, runs everything)")


@report_app.command("build")
def report_build_command(
    store: Annotated[Path, typer.Argument(help="A results store, e.g. reports/2024.")],
    book: Annotated[Path | None, typer.Option(help="The book sources (default: book/).")] = None,
) -> None:
    """Build the book again from an existing results store (no estimation)."""
    from ci_eval.report.build import build_book

    try:
        with console.status("building the book..."):
            built = build_book(store, store / "site", edition=store.resolve().name, source=book)
    except CiEvalError as exc:
        raise _fail(exc) from None
    for lang, folder in built.items():
        console.print(f"{lang}: {folder / 'index.html'}")


@report_app.command("program")
def report_program_command(
    program: Annotated[
        str | None, typer.Argument(help="The program id, e.g. P0001 (or --all).")
    ] = None,
    study: Annotated[Path, typer.Option(help="The study folder (holds ci-eval.toml).")] = Path("."),
    store: Annotated[
        Path | None, typer.Option(help="The results store (default: reports/<edition>).")
    ] = None,
    all_programs: Annotated[
        bool, typer.Option("--all", help="Every program's pages, each in its own folder.")
    ] = False,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="The program's own youth data (shared template, CSV/.sav)."),
    ] = None,
    pdf: Annotated[
        bool | None,
        typer.Option(
            "--pdf/--no-pdf", help="Each page's PDF too (default: if pdflatex is installed)."
        ),
    ] = None,
) -> None:
    """Write a program's private benchmark pages (one per language, HTML and PDF) to
    <store>/private/programs/<id>/, or every program's with --all.

    A page shows the program's own answers beside its peer group's and all programs'
    figures, published under the peer rule; it is never part of the public site. Run
    `ci-eval run` first.
    """
    from ci_eval.pipeline import write_program_page

    if (program is None) == (not all_programs):
        raise _fail(CiEvalError("give one program id (e.g. P0001) or --all, not both"))
    try:
        with console.status("writing the program pages..."):
            written = write_program_page(study, program, store, data=data, pdf=pdf)
    except CiEvalError as exc:
        raise _fail(exc) from None
    folders = sorted({p.parent for paths in written.values() for p in paths})
    if len(written) == 1:
        for path in next(iter(written.values())):
            console.print(f"written (private, not in the public site): {path}")
    else:
        console.print(
            f"written (private, not in the public site): the pages of {len(written)} programs, "
            f"each in its own folder under {folders[0].parent if folders else store}"
        )


# --- analysis and benchmark commands ---
@app.command("benchmark")
def benchmark_command(
    study: StudyArg = Path("."),
    program: Annotated[str, typer.Option("--program", help="The program id, e.g. P0001.")] = "",
    data: Annotated[
        Path | None,
        typer.Option("--data", help="The program's own youth data (shared template, CSV/.sav)."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the table(s) as CSV here.")] = None,
) -> None:
    """Benchmark one program against its peers (private: its own values, peer quartiles only).

    Uses the stages (and the cache) of `ci-eval run`: run it first.
    """
    from rich.console import Console as StdoutConsole

    from ci_eval.pipeline import benchmark_program
    from ci_eval.terminal import frame_table

    if not program:
        raise _fail(CiEvalError("give the program with --program ID (e.g. --program P0001)"))
    try:
        with console.status("benchmarking (stages of the last run)..."):
            tables = benchmark_program(study, program, data=data, out=out)
    except CiEvalError as exc:
        raise _fail(exc) from None
    for name, frame in tables.items():
        StdoutConsole().print(frame_table(frame, f"{name} (private to program {program})"))


if __name__ == "__main__":  # pragma: no cover
    app()
