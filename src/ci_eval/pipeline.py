"""The pipeline: a study from its sources to a results store and a built report.

Stages, in order (each a function of its inputs and settings):

``pull``
    File sources are snapshotted when their bytes changed; LimeSurvey sources are
    pulled only when asked (``pull=True``), otherwise their latest snapshots are read.
``read``
    Each wave's snapshot, harmonised with the survey's codebook (names, recodes).
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
without re-reading. An error stops the run with a message naming the stage; the
results store is replaced only once everything before it succeeded.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ci_eval import __version__
from ci_eval.caching import StageCache, sha256_path, sha256_tree, stage_key
from ci_eval.codebook import Codebook
from ci_eval.errors import AnalysisError, CiEvalError, ReportError, StudyError
from ci_eval.results import ResultsStore
from ci_eval.results.contract import columns
from ci_eval.results.manifest import package_versions, write_manifest
from ci_eval.study import LimeSurveySource, Study, load_study

STAGES = ("pull", "read", "quality", "score", "estimate", "report")


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
    return {_relative(study, p): sha256_path(p) for p in paths if Path(p).is_file()}


def _settings(study: Study) -> dict[str, Any]:
    data = study.model_dump(mode="json")
    return {k: data[k] for k in sorted(data)}


def code_fingerprint() -> dict[str, Any]:
    """What the stages' results depend on besides their inputs: ci_eval's own source files
    (a code change reruns the stages it touches, even without a version bump) and the
    versions of the numerical packages."""
    return {**package_versions(), "ci_eval_source": sha256_tree(Path(__file__).parent, "**/*.py")}


# ---------------------------------------------------------------- the stages
def _pull(study: Study, pull_remote: bool) -> dict[str, Any]:
    from ci_eval.sources.pull import pull, snapshot_store

    fingerprints: dict[str, Any] = {}
    for survey, cfg in study.surveys.items():
        for wave, source in cfg.sources.items():
            remote = isinstance(source, LimeSurveySource)
            if not remote or pull_remote:
                pull(study, survey, wave)
            snaps = snapshot_store(study, survey, wave).snapshots()
            if not snaps:
                raise StudyError(
                    f"surveys.{survey}.sources.{wave}: no snapshot of this LimeSurvey wave yet; "
                    f"run `ci-eval run --pull` (or `ci-eval pull --survey {survey} --wave {wave}`)"
                )
            fingerprints[f"{survey}/{wave}"] = [s.meta.get("content_hash") for s in snaps]
    return fingerprints


def _read(study: Study, codebooks: dict[str, Codebook]) -> dict[tuple[str, str], pd.DataFrame]:
    from ci_eval.sources.pull import load_responses

    frames = {}
    for survey, cfg in study.surveys.items():
        for wave in cfg.sources:
            data = load_responses(study, survey, wave)
            if survey in codebooks:
                data = codebooks[survey].harmonise(data, wave=wave)
            frames[(survey, wave)] = data
    return frames


def _quality(
    study: Study, frames: dict[tuple[str, str], pd.DataFrame]
) -> dict[tuple[str, str], Any]:
    from ci_eval.quality import check_quality

    results = {}
    for (survey, wave), data in frames.items():
        settings = study.quality.get(survey, {})
        results[(survey, wave)] = check_quality(
            data, settings, source=f"{study.file.name} [quality.{survey}] (wave {wave})"
        )
    return results


def _model(study: Study, codebooks: dict[str, Codebook]) -> Any:
    from ci_eval.toc import load_model

    if not study.study.model:
        raise StudyError(f"{study.file}: [study] model is not set; name the theory-of-change file")
    return load_model(study.path(study.study.model), codebooks)


def _score(
    study: Study, model: Any, codebooks: dict[str, Codebook], quality: dict[tuple[str, str], Any]
) -> tuple[dict[str, dict[str, pd.DataFrame]], dict[str, dict[str, pd.DataFrame]]]:
    from ci_eval.toc import score_indicators

    scored: dict[str, dict[str, pd.DataFrame]] = {}
    clean: dict[str, dict[str, pd.DataFrame]] = {}
    for (survey, wave), result in quality.items():
        if not model.indicators_for(survey):
            continue
        cfg = study.surveys[survey]
        scores = score_indicators(
            model, result.clean, codebooks[survey], id_column=cfg.id or "id", survey=survey
        )
        scored.setdefault(survey, {})[wave] = scores
        clean.setdefault(survey, {})[wave] = result.clean
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


def _estimate(
    study: Study,
    model: Any,
    codebooks: dict[str, Codebook],
    scored: dict[str, dict[str, pd.DataFrame]],
    clean: dict[str, dict[str, pd.DataFrame]],
    quality: dict[tuple[str, str], Any],
) -> dict[str, pd.DataFrame]:
    try:
        from ci_eval.analysis import analyse
    except ImportError as exc:
        raise AnalysisError(
            f"the analysis stage (ci_eval.analysis) is not installed ({exc}); "
            "merge the analysis branch or install a ci_eval that has it"
        ) from None
    tables = dict(analyse(study, model, codebooks, scored, raw=clean, quality=quality))
    tables["toc_outcomes"] = toc_outcomes(model)
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
class _Runner:
    def __init__(self, cache: StageCache | None, reporter: Reporter) -> None:
        self.cache = cache
        self.reporter = reporter
        self.stages: list[StageRun] = []

    def stage(
        self, name: str, parts: dict[str, Any], compute: Callable[[], Any]
    ) -> tuple[Any, str]:
        run = StageRun(name, key=stage_key(name, parts))
        self.stages.append(run)
        self.reporter(run, "start")
        start = time.perf_counter()
        value = self.cache.load(name, run.key) if self.cache else None
        run.cached = value is not None
        if value is None:
            try:
                value = compute()
            except CiEvalError as exc:
                self.reporter(run, "failed")
                raise StageError(f"{name} stage failed: {exc}") from exc
            if self.cache:
                self.cache.save(name, run.key, value)
        run.seconds = time.perf_counter() - start
        self.reporter(run, "done")
        return value, run.key

    def always(self, name: str, compute: Callable[[], Any]) -> Any:
        """A stage that runs every time (pulls: cheap when nothing changed)."""
        run = StageRun(name)
        self.stages.append(run)
        self.reporter(run, "start")
        start = time.perf_counter()
        try:
            value = compute()
        except CiEvalError as exc:
            self.reporter(run, "failed")
            raise StageError(f"{name} stage failed: {exc}") from exc
        run.seconds = time.perf_counter() - start
        self.reporter(run, "done")
        return value


def _row_counts(frames: dict[tuple[str, str], pd.DataFrame]) -> dict[str, int]:
    return {f"{s}/{w}": len(df) for (s, w), df in sorted(frames.items())}


def compute_tables(
    study: Study,
    *,
    cache: StageCache | None,
    reporter: Reporter = _quiet,
    pull_remote: bool = False,
    do_pull: bool = True,
) -> tuple[dict[str, pd.DataFrame], _Runner, dict[str, Any]]:
    """Run the stages up to ``estimate``; returns the tables, the stage log and row counts."""
    runner = _Runner(cache, reporter)
    codebooks = _codebooks(study)
    inputs = study_inputs(study)
    settings = _settings(study)
    if do_pull:
        fingerprints = runner.always("pull", lambda: _pull(study, pull_remote))
    else:
        from ci_eval.sources.pull import snapshot_store

        fingerprints = {
            f"{s}/{w}": [
                x.meta.get("content_hash") for x in snapshot_store(study, s, w).snapshots()
            ]
            for s, cfg in study.surveys.items()
            for w in cfg.sources
        }
    code = code_fingerprint()
    codebook_hashes = {
        name: sha256_path(study.path(cfg.codebook))
        for name, cfg in sorted(study.surveys.items())
        if cfg.codebook
    }
    frames, read_key = runner.stage(
        "read",
        {"snapshots": fingerprints, "codebooks": codebook_hashes, "code": code},
        lambda: _read(study, codebooks),
    )
    quality, quality_key = runner.stage(
        "quality",
        {"upstream": read_key, "settings": settings.get("quality", {}), "code": code},
        lambda: _quality(study, frames),
    )
    model = _model(study, codebooks)
    model_file = _relative(study, study.path(study.study.model))
    (scored, clean), score_key = runner.stage(
        "score",
        {"upstream": quality_key, "model": inputs.get(model_file), "code": code},
        lambda: _score(study, model, codebooks, quality),
    )
    estimate_parts = {
        "upstream": score_key,
        # the study file enters through its parsed settings, less the later stages' own
        "inputs": {k: v for k, v in inputs.items() if k != _relative(study, study.file)},
        "settings": {k: v for k, v in settings.items() if k not in ("quality", "report")},
        "code": code,
    }
    tables, _ = runner.stage(
        "estimate",
        estimate_parts,
        lambda: _estimate(study, model, codebooks, scored, clean, quality),
    )
    rows: dict[str, Any] = {"read": _row_counts(frames)}
    rows["quality"] = {f"{s}/{w}": len(r.clean) for (s, w), r in sorted(quality.items())}
    rows["score"] = {f"{s}/{w}": len(df) for s, waves in sorted(scored.items())
                     for w, df in sorted(waves.items())}  # fmt: skip
    rows["tables"] = {name: len(frame) for name, frame in sorted(tables.items())}
    return tables, runner, rows


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
    root = study.root / "reports" / study.study.edition
    cache = StageCache(root / ".cache") if use_cache else None
    tables, runner, rows = compute_tables(study, cache=cache, reporter=reporter, pull_remote=pull)
    store = publish_tables(root, tables)
    if "quality" in tables:
        tables["quality"].to_csv(root / "quality.csv", index=False, lineterminator="\n")
    index = store.sha256()
    manifest: dict[str, Any] = {
        "ci_eval": __version__,
        "edition": study.study.edition,
        "study": study.study.name,
        "inputs": study_inputs(study),
        "settings": _settings(study),
        "packages": package_versions(),
        "seeds": {"study": study.study.seed},
        "seed": study.study.seed,
        "rows": rows,
        "tables": index,
        "stages": {},
    }
    site = None
    if report:
        site = _report(study, root, runner, index, book)
    manifest["stages"] = {
        s.name: {"key": s.key, "cached": s.cached, "seconds": round(s.seconds, 3)}
        for s in runner.stages
    }
    manifest["seconds"] = round(time.perf_counter() - started, 3)
    write_manifest(root, manifest)
    return RunResult(store=root, site=site, manifest=manifest, stages=runner.stages)


def _report(
    study: Study, root: Path, runner: _Runner, index: dict[str, str], book: str | Path | None
) -> Path:
    from ci_eval.report.build import DEFAULT_BOOK, build_book

    source = Path(book) if book else (study.root / "book")
    if not (source / "_toc.yml").exists():
        source = DEFAULT_BOOK
    report_settings = dict((study.model_extra or {}).get("report", {}))
    languages = list(study.study.languages)
    site = root / "site"
    parts = {
        "tables": index,
        "book": sha256_tree(source),
        "languages": languages,
        "settings": report_settings,
        "code": code_fingerprint(),
    }
    key = stage_key("report", parts)
    run = StageRun("report", key=key)
    runner.stages.append(run)
    runner.reporter(run, "start")
    start = time.perf_counter()
    marker = root / ".cache" / "report" / "built"
    built = all((site / lang / "index.html").exists() for lang in languages)
    if built and marker.exists() and marker.read_text(encoding="utf-8") == key:
        run.cached = True
    else:
        try:
            build_book(
                root,
                site,
                languages=languages,
                edition=study.study.edition,
                source=source,
                settings=report_settings,
            )
        except ReportError as exc:
            runner.reporter(run, "failed")
            raise StageError(f"report stage failed: {exc}") from exc
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(key, encoding="utf-8")
    run.seconds = time.perf_counter() - start
    runner.reporter(run, "done")
    return site


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
