"""The pipeline: a study from its sources to a results store and a built report.

Stages, in order (each a function of its inputs and settings):

``pull``
    File sources are snapshotted when their bytes changed; LimeSurvey sources are
    pulled only when asked (``pull=True``), otherwise their latest snapshots are read.
``read``
    Each wave's snapshot, harmonised with the survey's codebook (names, recodes; a
    LimeSurvey wave's columns found by each variable's question).
``quality``
    :func:`ci_eval.quality.check_quality` with ``[quality.<survey>]``.
``score``
    :func:`ci_eval.toc.score_indicators` with the theory-of-change model.
``estimate``
    :func:`ci_eval.analysis.analyse`: weighting, indicators, trends, contributions,
    reliability, benchmarks, disclosure control.
``report``
    The results store (``reports/<edition>/tables``), ``quality.csv``, ``manifest.json``
    and the bilingual book (``reports/<edition>/site``).

Every stage from ``read`` on is cached under ``reports/<edition>/.cache/<stage>/``
by the SHA-256 of its inputs (file hashes, the upstream stage's key) and settings, so
a rerun with nothing changed loads every stage, and changing the model re-scores
without re-reading. An error stops the run with a message naming the stage. The edition
(tables, ``quality.csv``, manifest and site) is built in a staging folder and published as
one unit once every stage succeeded (:mod:`ci_eval.results.publication`): a failed or
interrupted run leaves the previous edition whole.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import shutil
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ci_eval import __version__
from ci_eval.caching import StageCache, sha256_path, sha256_tree, source_fingerprint, stage_key
from ci_eval.codebook import Codebook
from ci_eval.errors import AnalysisError, CiEvalError, ModelError, StudyError
from ci_eval.results import ResultsStore
from ci_eval.results.contract import columns, is_private, program_of, program_table
from ci_eval.results.manifest import package_versions, write_manifest
from ci_eval.results.publication import staged_edition
from ci_eval.study import LimeSurveySource, Study, load_study


@dataclass
class StageRun:
    """What one stage did: its cache key, whether it was loaded from the cache, its time."""

    name: str
    key: str = ""
    cached: bool = False
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class RunResult:
    """The outcome of :func:`run_pipeline`."""

    store: Path
    site: Path | None
    manifest: dict[str, Any]
    stages: list[StageRun]


class StageError(CiEvalError):
    """A stage that stopped the run; the message names the stage, the cause and the fix."""


Reporter = Callable[[StageRun, str], None]


def _quiet(stage: StageRun, event: str) -> None:
    """A reporter that says nothing."""


# ---------------------------------------------------------------- inputs
def _codebooks(study: Study) -> dict[str, Codebook]:
    return {
        name: Codebook.from_yaml(study.path(cfg.codebook))
        for name, cfg in study.surveys.items()
        if cfg.codebook
    }


def _relative(study: Study, path: Path) -> str:
    try:
        return path.resolve().relative_to(study.root.resolve()).as_posix()
    except ValueError:
        return str(path)


def study_inputs(study: Study) -> dict[str, str]:
    """SHA-256 of every input file of a study: the study file, model, codebooks, data, targets."""
    paths = [study.file, study.path(study.study.model)] if study.study.model else [study.file]
    for cfg in study.surveys.values():
        if cfg.codebook:
            paths.append(study.path(cfg.codebook))
        for source in cfg.sources.values():
            if not isinstance(source, LimeSurveySource):
                paths.append(study.path(source.path))
    for cfg in study.weighting.values():
        if cfg.get("targets"):
            paths.append(study.path(cfg["targets"]))
    members = (study.analysis.get("partnership") or {}).get("members")
    if isinstance(members, str):
        paths.append(study.path(members))
    return {_relative(study, p): sha256_path(p) for p in paths if Path(p).is_file()}


def _settings(study: Study) -> dict[str, Any]:
    data = study.model_dump(mode="json")
    return {k: data[k] for k in sorted(data)}


# ---------------------------------------------------------------- the stages
@dataclass
class RunContext:
    """What the stages of one run share: the study, its parsed inputs, and each stage's
    output (``values``) and cache key (``keys``) once it has run."""

    study: Study
    inputs: dict[str, str]
    settings: dict[str, Any]
    pull_remote: bool = False
    do_pull: bool = True
    book: Path | None = None
    staging: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)

    @functools.cached_property
    def codebooks(self) -> dict[str, Codebook]:
        """The surveys' codebooks, parsed the first time a stage that runs needs them."""
        return _codebooks(self.study)


def _none(ctx: RunContext) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Stage:
    """One stage, declared once: how it computes, what its cache key is made of.

    ``upstream`` names the earlier stages whose outputs it reads (their keys enter its
    key); ``inputs`` gives the hashes of the files it reads; ``settings`` the top-level
    keys of the study file it reads (``"*"``: all but ``not_settings``); ``modules`` the
    ci_eval modules or packages (with all their modules) it runs: its key covers their
    source and that of every ci_eval module they import, so an edit elsewhere does not
    rerun it. An uncached stage runs
    every time; ``valid`` can reject a cached value whose files are gone.
    """

    name: str
    compute: Callable[[RunContext], Any]
    upstream: tuple[str, ...] = ()
    inputs: Callable[[RunContext], dict[str, Any]] = _none
    settings: tuple[str, ...] = ()
    not_settings: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    cached: bool = True
    valid: Callable[[RunContext, Any], bool] | None = None


def _pull(ctx: RunContext) -> dict[str, Any]:
    from ci_eval.sources.pull import pull, snapshot_store

    study = ctx.study
    fingerprints: dict[str, Any] = {}
    for survey, cfg in study.surveys.items():
        for wave, source in cfg.sources.items():
            remote = isinstance(source, LimeSurveySource)
            if ctx.do_pull and (not remote or ctx.pull_remote):
                pull(study, survey, wave)
            snaps = snapshot_store(study, survey, wave).snapshots()
            if not snaps and ctx.do_pull:
                raise StudyError(
                    f"surveys.{survey}.sources.{wave}: no snapshot of this LimeSurvey wave yet; "
                    f"run `ci-eval run --pull` (or `ci-eval pull --survey {survey} --wave {wave}`)"
                )
            fingerprints[f"{survey}/{wave}"] = [s.meta.get("content_hash") for s in snaps]
    return fingerprints


def _read(ctx: RunContext) -> dict[tuple[str, str], pd.DataFrame]:
    from ci_eval.sources.waves import harmonise_wave, typed_wave

    frames = {}
    for survey, cfg in ctx.study.surveys.items():
        for wave in cfg.sources:
            if survey in ctx.codebooks:
                data = harmonise_wave(ctx.study, survey, wave, ctx.codebooks[survey])
            else:
                data = typed_wave(ctx.study, survey, wave)
            check_unique_ids(ctx.study, survey, wave, data)
            frames[(survey, wave)] = data
    return frames


def check_unique_ids(study: Study, survey: str, wave: str, data: pd.DataFrame) -> None:
    """Refuse an id given to different answers (which one is the respondent's?), unless the
    survey's ``duplicates`` quality rule is keyed on the id (it then keeps the first answer of
    each id and counts the others). Rows identical but for the id are the quality rule's.

    Raises ``StudyError`` naming the source, the column, the ids and the two fixes.
    """
    column = study.surveys[survey].id_column
    if column not in data.columns:
        return
    rule = study.quality.get(survey, {}).get("duplicates") or {}
    if rule.get("key") == [column]:
        return
    repeated = data[data[column].notna() & data[column].duplicated(keep=False)]
    distinct = repeated.drop_duplicates()
    conflicting = distinct[column][distinct[column].duplicated(keep=False)].unique()
    if len(conflicting) == 0:
        return
    source = study.source(survey, wave)
    where = getattr(source, "path", None) or f"survey {getattr(source, 'survey_id', '')}"
    shown = ", ".join(map(str, conflicting[:5])) + (" ..." if len(conflicting) > 5 else "")
    raise StudyError(
        f"{where} (wave {wave}): {len(conflicting)} {column} value(s) given to different "
        f'answers: {shown}; correct the source, or add duplicates = {{ key = ["{column}"] }} '
        f"to [quality.{survey}] to keep each id's first answer and count the others"
    )


def _quality(ctx: RunContext) -> dict[tuple[str, str], Any]:
    from ci_eval.quality import check_quality

    results = {}
    for (survey, wave), data in ctx.values["read"].items():
        settings = ctx.study.quality.get(survey, {})
        results[(survey, wave)] = check_quality(
            data, settings, source=f"{ctx.study.file.name} [quality.{survey}] (wave {wave})"
        )
    return results


def _model(ctx: RunContext) -> Any:
    from ci_eval.toc import load_model

    if not ctx.study.study.model:
        raise StudyError(
            f"{ctx.study.file}: [study] model is not set; name the theory-of-change file"
        )
    return load_model(ctx.study.path(ctx.study.study.model), ctx.codebooks)


def _score(
    ctx: RunContext,
) -> tuple[dict[str, dict[str, pd.DataFrame]], dict[str, dict[str, pd.DataFrame]]]:
    """The indicator values of each wave (``scored``) and the clean responses (``clean``)."""
    from ci_eval.toc import score_indicators

    model = ctx.values["model"]
    scored: dict[str, dict[str, pd.DataFrame]] = {}
    clean: dict[str, dict[str, pd.DataFrame]] = {}
    for (survey, wave), result in ctx.values["quality"].items():
        clean.setdefault(survey, {})[wave] = result.clean  # every survey (partners: no scores)
        if not model.indicators_for(survey):
            continue
        scores = score_indicators(
            model,
            result.clean,
            ctx.codebooks[survey],
            id_column=ctx.study.surveys[survey].id_column,
            survey=survey,
        )
        scored.setdefault(survey, {})[wave] = scores
    return scored, clean


def toc_outcomes(model: Any) -> pd.DataFrame:
    """The outcomes of the model for the diagram: ``outcome, level, leads_to`` (a list)."""
    return pd.DataFrame(
        {
            "outcome": [o.id for o in model.outcomes],
            "level": [o.level for o in model.outcomes],
            "leads_to": [list(o.leads_to) for o in model.outcomes],
        },
        columns=columns("toc_outcomes"),
    )


def toc_indicators(model: Any, indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """The indicators of the model as the report shows them: unit (from the statistic each was
    estimated as in ``indicators``, when given), external baseline (value, wave, source) and
    the source of the target."""
    estimated: dict[str, str] = {}
    if indicators is not None and len(indicators):
        estimated = dict(zip(indicators["indicator"], indicators["statistic"], strict=False))
    rows = []
    for ind in model.indicators:
        base = ind.baseline
        rows.append(
            {
                "indicator": ind.id,
                "outcome": ind.outcome or "",
                "unit": ind.unit_for(estimated.get(ind.id)),
                "baseline": base.value if base else float("nan"),
                "baseline_wave": (base.wave or "") if base else "",
                "baseline_source": base.source_text if base else "",
                "target_source": ind.target.source_text if ind.target else "",
            }
        )
    return pd.DataFrame(rows, columns=columns("toc_indicators"))


def _estimate_stage(ctx: RunContext) -> dict[str, pd.DataFrame]:
    scored, clean = ctx.values["score"]
    v = ctx.values
    return _estimate(ctx.study, v["model"], ctx.codebooks, scored, clean, v["quality"])


def _estimate(
    study: Study,
    model: Any,
    codebooks: dict[str, Codebook],
    scored: dict[str, dict[str, pd.DataFrame]],
    clean: dict[str, dict[str, pd.DataFrame]],
    quality: dict[tuple[str, str], Any],
) -> dict[str, pd.DataFrame]:
    from ci_eval.analysis import analyse

    tables = dict(analyse(study, model, codebooks, scored, raw=clean, quality=quality))
    tables["toc_outcomes"] = toc_outcomes(model)
    tables["toc_indicators"] = toc_indicators(model, tables.get("indicators"))
    return tables


def publish_tables(root: Path, tables: dict[str, pd.DataFrame]) -> ResultsStore:
    """Write the tables into the results store at ``root`` (public and private apart).

    The one place a run writes the store: every table is checked against the results
    contract first, only tables whose bytes changed are rewritten, tables the run no longer
    produces are removed, and an index is rewritten only when it changed
    (:meth:`ci_eval.results.ResultsStore.write_tables`).
    """
    store = ResultsStore(root)
    store.write_tables(tables, remove_others=True)
    return store


# ---------------------------------------------------------------- running
def _book_source(ctx: RunContext) -> Path:
    source = ctx.book if ctx.book else (ctx.study.root / "book")
    if (source / "_toc.yml").exists():
        return source
    from ci_eval.report.build import DEFAULT_BOOK  # imports matplotlib: only when needed

    return DEFAULT_BOOK


def _report(ctx: RunContext) -> str:
    from ci_eval.report.build import build_book

    root = _store_root(ctx.study)
    staging = ctx.staging or root  # built in the staging edition, published at ``root``
    build_book(
        staging,
        staging / "site",
        work=root / ".cache" / "book",
        languages=list(ctx.study.study.languages),
        edition=ctx.study.study.edition,
        source=_book_source(ctx),
        settings=dict(ctx.settings.get("report", {})),
        publisher=ctx.study.study.publisher,
    )
    return str(root / "site")


def _site_built(ctx: RunContext, site: Any) -> bool:
    """Every language's pages are there, and its PDF if pdflatex is installed now."""
    from ci_eval.report.pdf import pdf_available

    folders = [Path(site) / lang for lang in ctx.study.study.languages]
    pdf = pdf_available()
    return all((f / "index.html").exists() and (not pdf or any(f.glob("*.pdf"))) for f in folders)


def _codebook_hashes(ctx: RunContext) -> dict[str, str]:
    return {
        name: sha256_path(ctx.study.path(cfg.codebook))
        for name, cfg in sorted(ctx.study.surveys.items())
        if cfg.codebook
    }


def _model_inputs(ctx: RunContext) -> dict[str, Any]:
    model = ctx.study.study.model
    model_file = _relative(ctx.study, ctx.study.path(model)) if model else None
    return {"model": ctx.inputs.get(model_file or ""), "codebooks": _codebook_hashes(ctx)}


def _data_inputs(ctx: RunContext) -> dict[str, Any]:
    # the study file enters through its parsed settings
    study_file = _relative(ctx.study, ctx.study.file)
    return {"files": {k: v for k, v in ctx.inputs.items() if k != study_file}}


def _report_inputs(ctx: RunContext) -> dict[str, Any]:
    return {
        "tables": ctx.values["tables_index"],
        "manifest": ctx.values["manifest"],
        "book": sha256_tree(_book_source(ctx)),
        "languages": list(ctx.study.study.languages),
        "edition": ctx.study.study.edition,
    }


STAGES: tuple[Stage, ...] = (
    Stage("pull", _pull, modules=("ci_eval.sources.pull",), cached=False),
    Stage(
        "read",
        _read,
        upstream=("pull",),
        inputs=lambda ctx: {"codebooks": _codebook_hashes(ctx)},
        settings=("surveys",),  # a wave's source type and the language variable
        modules=("ci_eval.sources.waves", "ci_eval.codebook"),
    ),
    Stage(
        "quality", _quality, upstream=("read",), settings=("quality",), modules=("ci_eval.quality",)
    ),
    Stage("model", _model, inputs=_model_inputs, modules=("ci_eval.toc",)),
    Stage(
        "score",
        _score,
        upstream=("quality", "model"),
        settings=("surveys",),
        modules=("ci_eval.toc",),
    ),
    Stage(
        "estimate",
        _estimate_stage,
        upstream=("model", "quality", "score"),
        inputs=_data_inputs,
        settings=("*",),
        not_settings=("quality", "report"),
        modules=("ci_eval.analysis",),
    ),
    Stage(
        "report",
        _report,
        inputs=_report_inputs,
        settings=("report",),
        modules=("ci_eval.report",),
        valid=_site_built,
    ),
)
"""Every stage of ``ci-eval run``, in order; :func:`compute_tables` runs all but ``report``,
which :func:`run_pipeline` runs once the tables are published."""

STAGE_NAMES = tuple(stage.name for stage in STAGES)


def stage(name: str) -> Stage:
    """The declaration of one stage, by name."""
    for declared in STAGES:
        if declared.name == name:
            return declared
    raise KeyError(f"no stage {name!r}; the stages are {', '.join(STAGE_NAMES)}")


def _glue_source(function: Callable[..., Any]) -> str:
    """The source of a stage's compute function and of the pipeline functions it calls."""
    seen: dict[str, str] = {}
    todo = [function]
    while todo:
        func = todo.pop()
        if func.__name__ in seen:
            continue
        source = inspect.getsource(func)
        seen[func.__name__] = source
        for node in ast.walk(ast.parse(textwrap.dedent(source))):
            called = globals().get(node.id) if isinstance(node, ast.Name) else None
            if inspect.isfunction(called) and called.__module__ == __name__:
                todo.append(called)
    return "".join(seen[name] for name in sorted(seen))


def code_fingerprint(declared: Stage) -> dict[str, Any]:
    """What a stage's result depends on besides its inputs: the source of the ci_eval
    modules it runs and (transitively) imports, its own glue code in this module, and the
    versions of the numerical packages. An edit to any other module leaves it unchanged.

    >>> code_fingerprint(stage("estimate")) == code_fingerprint(stage("estimate"))
    True
    """
    return {
        **_package_versions(),
        "ci_eval_source": source_fingerprint(declared.modules),
        "glue": hashlib.sha256(_glue_source(declared.compute).encode()).hexdigest(),
    }


@functools.cache
def _package_versions() -> dict[str, str]:
    return package_versions()


def stage_parts(declared: Stage, ctx: RunContext) -> dict[str, Any]:
    """What a stage's cache key is made of (see :class:`Stage`)."""
    if "*" in declared.settings:
        names = [k for k in ctx.settings if k not in declared.not_settings]
    else:
        names = list(declared.settings)
    return {
        "upstream": {name: ctx.keys[name] for name in declared.upstream},
        "inputs": declared.inputs(ctx),
        "settings": {k: ctx.settings[k] for k in names if k in ctx.settings},
        "code": code_fingerprint(declared),
    }


class _Runner:
    """Runs declared stages in order: the cache key, the cache, the timing, the reporter."""

    def __init__(self, ctx: RunContext, cache: StageCache | None, reporter: Reporter) -> None:
        self.ctx = ctx
        self.cache = cache
        self.reporter = reporter
        self.stages: list[StageRun] = []

    def run(self, declared: Stage) -> Any:
        """Run (or load) one stage; its output goes to ``ctx.values[name]``."""
        ctx, name = self.ctx, declared.name
        run = StageRun(name)
        self.stages.append(run)
        self.reporter(run, "start")
        start = time.perf_counter()
        try:
            value = None
            if declared.cached:
                run.key = stage_key(name, stage_parts(declared, ctx))
                value = self.cache.load(name, run.key) if self.cache else None
                if value is not None and declared.valid and not declared.valid(ctx, value):
                    value = None
            run.cached = value is not None
            if value is None:
                value = declared.compute(ctx)
                if self.cache and declared.cached:
                    self.cache.save(name, run.key, value)
        except CiEvalError as exc:
            self.reporter(run, "failed")
            raise StageError(f"{name} stage failed: {exc}") from exc
        ctx.values[name] = value
        if not run.key:  # an uncached stage is known to the next ones by what it returned
            run.key = stage_key(name, {"value": value})
        ctx.keys[name] = run.key
        run.seconds = time.perf_counter() - start
        self.reporter(run, "done")
        return value


def _row_counts(ctx: RunContext, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    scored, _ = ctx.values["score"]
    quality = ctx.values["quality"]
    return {
        "read": {f"{s}/{w}": len(df) for (s, w), df in sorted(ctx.values["read"].items())},
        "quality": {f"{s}/{w}": len(r.clean) for (s, w), r in sorted(quality.items())},
        "score": {
            f"{s}/{w}": len(df)
            for s, waves in sorted(scored.items())
            for w, df in sorted(waves.items())
        },
        "tables": {name: len(frame) for name, frame in sorted(tables.items())},
    }


def _context(study: Study, **options: Any) -> RunContext:
    return RunContext(study, study_inputs(study), _settings(study), **options)


def check_settings(study: Study) -> None:
    """Validate every stage's settings before anything runs, so that a typo in the study
    file stops the run at once with an error naming the table and key (not after the
    earlier stages' work, and never silently: an unknown key is an error).

    Raises ``StudyError`` naming the study file, listing every problem found.
    """
    from ci_eval.analysis.stage import analysis_settings
    from ci_eval.analysis.weighting_stage import WeightingSettings
    from ci_eval.quality import parse_rules
    from ci_eval.results.report_settings import report_settings

    problems = []
    checks: list[tuple[str, Callable[[], Any]]] = [
        *(
            (f"[weighting.{name}]", functools.partial(WeightingSettings.of, table, ""))
            for name, table in study.weighting.items()
        ),
        *(
            (f"[quality.{name}]", functools.partial(parse_rules, table, source=""))
            for name, table in study.quality.items()
        ),
        ("[analysis]", functools.partial(analysis_settings, study)),
        ("[report]", functools.partial(report_settings, study.report)),
    ]
    for where, check in checks:
        try:
            check()
        except CiEvalError as exc:
            problems += [
                f"{where} {line.strip()}" for line in str(exc).splitlines() if line.strip()
            ]
    if problems:
        raise StudyError(f"{study.file}: invalid settings:\n- " + "\n- ".join(problems))


def compute_tables(
    study: Study,
    *,
    cache: StageCache | None,
    reporter: Reporter = _quiet,
    pull_remote: bool = False,
    do_pull: bool = True,
) -> tuple[dict[str, pd.DataFrame], _Runner, dict[str, Any]]:
    """Run the stages up to ``estimate``; returns the tables, the stage log and row counts.

    With ``do_pull=False`` nothing is pulled: the snapshots the last run used are read.
    """
    check_settings(study)
    ctx = _context(study, pull_remote=pull_remote, do_pull=do_pull)
    runner = _Runner(ctx, cache, reporter)
    for declared in STAGES[: STAGE_NAMES.index("estimate") + 1]:
        runner.run(declared)
    tables = ctx.values["estimate"]
    return tables, runner, _row_counts(ctx, tables)


def run_pipeline(
    study_dir: str | Path = ".",
    *,
    pull: bool = False,
    report: bool = True,
    use_cache: bool = True,
    reporter: Reporter = _quiet,
    book: str | Path | None = None,
) -> RunResult:
    """Run every stage on a study and write ``reports/<edition>/`` (see the module docstring).

    Parameters
    ----------
    study_dir : path
        The study folder (holds ``ci-eval.toml``).
    pull : bool
        Pull LimeSurvey sources (file sources are always re-read when they change).
    report : bool
        Build the book (the results store and manifest are written either way).
    use_cache : bool
        Load stages whose inputs are unchanged from the cache.
    reporter : callable
        Told of each stage's start and end (the CLI draws progress with it).
    book : path, optional
        The book sources (default: ``<study>/book`` if present, else the package's).
    """
    started = time.perf_counter()
    study = load_study(study_dir)
    root = _store_root(study)
    cache = StageCache(root / ".cache") if use_cache else None
    tables, runner, rows = compute_tables(study, cache=cache, reporter=reporter, pull_remote=pull)
    with staged_edition(root) as staging:  # published as one unit when the block succeeds
        store = publish_tables(staging, tables)
        if "quality" in tables:
            tables["quality"].to_csv(staging / "quality.csv", index=False, lineterminator="\n")
        index = store.sha256()
        manifest: dict[str, Any] = {
            "ci_eval": __version__,
            "edition": study.study.edition,
            "study": study.study.name,
            "inputs": runner.ctx.inputs,
            "settings": runner.ctx.settings,
            "packages": _package_versions(),
            "seeds": {"study": study.study.seed},
            "seed": study.study.seed,
            "rows": rows,
            "tables": index,
        }
        # the book's reproducibility page shows this manifest: it is written before the book
        write_manifest(staging, manifest)
        site = None
        if report:
            runner.ctx.book = Path(book) if book else None
            runner.ctx.staging = staging
            runner.ctx.values["tables_index"] = index
            runner.ctx.values["manifest"] = manifest
            site = Path(runner.run(stage("report")))
        manifest["stages"] = {
            s.name: {"key": s.key, "cached": s.cached, "seconds": round(s.seconds, 3)}
            for s in runner.stages
        }
        manifest["seconds"] = round(time.perf_counter() - started, 3)
        write_manifest(staging, manifest)
    return RunResult(store=root, site=site, manifest=manifest, stages=runner.stages)


def _store_root(study: Study) -> Path:
    """``reports/<edition>`` of a study."""
    return study.root / "reports" / study.study.edition


# ---------------------------------------------------------------- commands on a study
def pull_study(
    study_dir: str | Path,
    survey: str | None = None,
    wave: str | None = None,
    *,
    accept_changes: bool = False,
    progress: bool = False,
    verify_held: bool = False,
) -> list[Any]:
    """``ci-eval pull``: :func:`ci_eval.sources.pull.pull` on the study in ``study_dir``."""
    from ci_eval.sources.pull import pull

    study = load_study(study_dir)
    return pull(
        study,
        survey,
        wave,
        accept_changes=accept_changes,
        progress=progress,
        verify_held=verify_held,
    )


def show_codebook(study_dir: str | Path, survey: str) -> tuple[Any, list[str]]:
    """``ci-eval codebook``: a survey's codebook and how each pulled wave fits it
    (:func:`ci_eval.sources.waves.survey_codebook`), with the study's languages."""
    from ci_eval.sources.waves import survey_codebook

    study = load_study(study_dir)
    return survey_codebook(study, survey), list(study.study.languages)


def export_wave_codebook(
    study_dir: str | Path,
    survey: str,
    wave: str | None,
    path: str | Path,
    *,
    overwrite: bool = False,
) -> Codebook:
    """``ci-eval codebook --export``: write the codebook of a wave's latest snapshot; an
    existing file is kept unless ``overwrite``."""
    from ci_eval.sources.waves import export_codebook

    if Path(path).exists() and not overwrite:
        raise StudyError(
            f"{path} exists: it was not overwritten; pass --force to replace it, or export "
            "to another file"
        )
    study = load_study(study_dir)
    study.survey(survey)  # an unknown survey is named with the known ones
    return export_codebook(study, survey, wave, Path(path))


INSTRUMENT_FORMATS = ("lss",)
"""What ``ci-eval instrument export --format`` writes: LimeSurvey's survey structure file."""


@dataclass(frozen=True)
class InstrumentExport:
    """What ``ci-eval instrument export`` did: the file, whether its bytes changed, the
    questions and asked variables in it, and the variables left out (not asked)."""

    path: Path
    written: bool
    questions: int
    asked: int
    left_out: list[str]


def export_instrument(
    study_dir: str | Path,
    survey: str,
    path: str | Path | None = None,
    *,
    fmt: str = "lss",
    overwrite: bool = False,
) -> InstrumentExport:
    """``ci-eval instrument export``: the survey's questionnaire from its codebook, in the
    study's languages (:mod:`ci_eval.sources.limesurvey_export`), written to ``path``
    (default ``surveys/<survey>/<survey>.lss`` in the study). A file with other bytes is
    kept unless ``overwrite``; one with the same bytes is left as it is.

    Raises
    ------
    StudyError
        An unknown survey or format, a survey without a codebook, an output that exists or
        cannot be written; CodebookError for a variable LimeSurvey cannot hold.
    """
    from ci_eval.sources.limesurvey_export import instrument_questions, lss_document

    if fmt not in INSTRUMENT_FORMATS:
        raise StudyError(f"unknown format {fmt!r}; known: {', '.join(INSTRUMENT_FORMATS)}")
    study = load_study(study_dir)
    config = study.survey(survey)
    if not config.codebook:
        raise StudyError(
            f"{study.file}: survey {survey!r} has no codebook; set codebook = '<path>' in "
            f"[surveys.{survey}]"
        )
    codebook = Codebook.from_yaml(study.path(config.codebook))
    languages = list(study.study.languages)
    title = {lang: config.label.get(lang) or survey for lang in languages}
    data = lss_document(codebook, languages=languages, title=title)
    target = Path(path) if path is not None else study.root / f"surveys/{survey}/{survey}.lss"
    written = _write_new_bytes(target, data, overwrite)
    questions = instrument_questions(codebook, languages)
    asked = [v for v in codebook.variables.values() if v.question is not None]
    left = [v.name for v in codebook.variables.values() if v.question is None]
    return InstrumentExport(target, written, len(questions), len(asked), left)


def check_instrument(study_dir: str | Path, survey: str, wave: str) -> list[Any]:
    """``ci-eval instrument check``: how the LimeSurvey survey of a pulled wave differs from
    the instrument its codebook exports (a label, an answer or a row changed, removed or
    added in LimeSurvey after the import); empty when it asks the same questions.

    Raises
    ------
    StudyError
        If the wave's source is not a LimeSurvey survey; SourceError if it was never pulled.
    """
    from ci_eval.sources.limesurvey_export import instrument_codebook
    from ci_eval.sources.pull import wave_codebook

    study = load_study(study_dir)
    config = study.survey(survey)
    if not isinstance(study.source(survey, wave), LimeSurveySource):
        raise StudyError(
            f"surveys.{survey}.sources.{wave} is a file, not a LimeSurvey survey: there is no "
            "fielded instrument to check"
        )
    if not config.codebook:
        raise StudyError(f"{study.file}: survey {survey!r} has no codebook to check against")
    codebook = Codebook.from_yaml(study.path(config.codebook))
    expected = instrument_codebook(codebook, list(study.study.languages))
    return expected.diff(wave_codebook(study, survey, wave))


def _write_new_bytes(path: Path, data: bytes, overwrite: bool) -> bool:
    """Write ``data`` to ``path`` unless it holds them already; False when it did."""
    try:
        if path.is_file() and path.read_bytes() == data:
            return False
        if path.exists() and not overwrite:
            raise StudyError(
                f"{path} exists with other content: it was not overwritten; pass --force to "
                "replace it, or write to another file with --out"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise StudyError(
            f"cannot write {path}: {exc.strerror or exc}; choose another file with --out"
        ) from None
    return True


def write_program_page(
    study_dir: str | Path,
    program: str | None,
    store: str | Path | None,
    *,
    data: str | Path | None = None,
    pdf: bool | None = None,
) -> dict[str, list[Path]]:
    """``ci-eval report program``: a program's private pages, one per language, from
    ``store`` (default: the study's ``reports/<edition>``, in the study's languages); every
    program's, each in its own folder, when ``program`` is ``None`` (``--all``). ``data``
    (one program's own youth data) adds its youth outcomes, scored by the run's stages;
    ``pdf`` each page's PDF (default: when ``pdflatex`` is installed).

    Raises
    ------
    ReportError
        If the program is not in the survey (the store holds no benchmark for it).
    StudyError
        If ``data`` is given for every program at once.
    """
    from ci_eval.report.program_page import all_program_pages, program_page, require_program

    languages = None
    if store is None:
        study = load_study(study_dir)
        root, languages = _store_root(study), list(study.study.languages)
    else:
        root = Path(store)
    if program is None:
        if data is not None:
            raise StudyError("--data is one program's youth data: give its program id, not --all")
        return all_program_pages(root, languages=languages, pdf=pdf)
    youth = None
    if data is not None:
        require_program(root, program)  # before the stages run: a clear error
        youth = benchmark_program(study_dir, program, data=data)[f"benchmark_{program}_youth"]
    return {program: program_page(root, program, languages=languages, youth=youth, pdf=pdf)}


# ---------------------------------------------------------------- the model
def load_study_model(study_dir: str | Path) -> tuple[Any, Path]:
    """The validated model named by ``[study] model``, checked against the study's
    codebooks, and its path (``ci-eval model check`` / ``show``).

    Raises
    ------
    ModelError
        If the study names no model, or the model does not validate (every problem listed).
    """
    from ci_eval.toc import load_model

    study = load_study(study_dir)
    if study.study.model is None:
        raise ModelError(
            f"{study.file}: names no model; add model = 'models/<name>.yaml' to [study]"
        )
    path = study.path(study.study.model)
    return load_model(path, _codebooks(study)), path


# ---------------------------------------------------------------- benchmark
def benchmark_program(
    study_dir: str | Path,
    program: str,
    *,
    data: str | Path | None = None,
    out: str | Path | None = None,
) -> dict[str, pd.DataFrame]:
    """One program's private benchmark, from the same stages as ``ci-eval run``.

    The stages are those of ``ci-eval run`` (file sources are snapshotted when their bytes
    changed, LimeSurvey sources are read from their latest snapshots, never pulled) and load
    from its cache when their inputs are unchanged. Returns ``benchmark_<program>`` (the
    ``programs/<program>`` table of the run: own values, peer quartiles) and, with
    ``data`` (the program's own youth data, named as in the youth codebook),
    ``benchmark_<program>_youth`` beside the run's national ``indicators``. With ``out``,
    each table is also written there as CSV.

    Raises
    ------
    AnalysisError
        If the program is not in the benchmark survey's latest wave.
    """
    study = load_study(study_dir)
    cache = StageCache(_store_root(study) / ".cache")
    tables, runner, _ = compute_tables(study, cache=cache)
    private = program_table(program)
    if private not in tables:
        known = sorted(program_of(n) for n in tables if is_private(n))
        shown = ", ".join(known[:5]) + (", ..." if len(known) > 5 else "")
        raise AnalysisError(
            f"program {program!r} is not in the benchmark survey's latest wave "
            f"({len(known)} programs: {shown or 'none'}); check --program"
        )
    result = {f"benchmark_{program}": tables[private]}
    if data is not None:
        result[f"benchmark_{program}_youth"] = _program_youth(runner.ctx, Path(data), tables)
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        for name, frame in result.items():
            frame.to_csv(Path(out) / f"{name}.csv", index=False, lineterminator="\n")
    return result


def _program_youth(ctx: RunContext, data: Path, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    from ci_eval.analysis.benchmark.program_data import program_youth_indicators
    from ci_eval.analysis.stage import analysis_settings
    from ci_eval.sources.files import read_survey_file

    settings = analysis_settings(ctx.study)
    youth = settings.benchmark.youth_survey
    if youth not in ctx.codebooks:
        raise StudyError(
            f"{ctx.study.file}: the youth survey {youth!r} of [analysis.benchmark] has no "
            f"codebook; set surveys.{youth}.codebook"
        )
    own = read_survey_file(
        data, survey=youth, codebook=ctx.codebooks[youth], given_as="--data"
    ).data
    return program_youth_indicators(
        own,
        ctx.values["model"],
        ctx.codebooks[youth],
        tables["indicators"],
        settings.disclosure,
        id_column=ctx.study.surveys[youth].id_column,
    )


# ---------------------------------------------------------------- verify
@dataclass
class Verification:
    """The outcome of :func:`verify_store`: which tables match byte for byte."""

    identical: list[str]
    different: list[str]
    missing: list[str]
    extra: list[str]
    changed_inputs: list[str]

    @property
    def ok(self) -> bool:
        """True when every table is byte-identical and no input changed."""
        return not (self.different or self.missing or self.extra or self.changed_inputs)


def verify_store(store_dir: str | Path, reporter: Reporter = _quiet) -> Verification:
    """Rerun the stages from the same inputs (no cache) and compare every results table.

    Parameters
    ----------
    store_dir : path
        ``reports/<edition>`` of a study (the study is two folders up).
    """
    store_dir = Path(store_dir).resolve()
    if not (store_dir / "index.json").exists():
        raise StudyError(f"{store_dir}: not a results store (no index.json); run `ci-eval run`")
    study = load_study(store_dir.parent.parent)
    from ci_eval.results.manifest import read_manifest

    recorded = read_manifest(store_dir).get("inputs", {})
    now = study_inputs(study)
    changed = sorted(k for k in set(recorded) | set(now) if recorded.get(k) != now.get(k))
    tables, _, _ = compute_tables(study, cache=None, reporter=reporter, do_pull=False)
    scratch = store_dir / ".cache" / "verify"
    if scratch.exists():
        shutil.rmtree(scratch)
    fresh = publish_tables(scratch, tables)
    old = ResultsStore(store_dir)
    identical, different = [], []
    for name in sorted(set(old.names()) & set(fresh.names())):
        same = all(
            old.path(name, ext).is_file()
            and old.path(name, ext).read_bytes() == fresh.path(name, ext).read_bytes()
            for ext in (".csv", ".parquet")
        )
        (identical if same else different).append(name)
    result = Verification(
        identical=identical,
        different=different,
        missing=sorted(set(old.names()) - set(fresh.names())),
        extra=sorted(set(fresh.names()) - set(old.names())),
        changed_inputs=changed,
    )
    shutil.rmtree(scratch)
    return result
