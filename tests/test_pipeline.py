"""The pipeline on a copy of the bundled demo study: caching, manifest, verify, errors.

The estimate stage is replaced here by a small deterministic function of the scores,
so these tests check the orchestration (what reruns, what is cached, what is written)
independently of the analysis; the end-to-end run with the real analysis is
tests/test_pipeline_end_to_end.py.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import ci_eval.pipeline as pipeline
from ci_eval.caching import import_closure, source_fingerprint
from ci_eval.cli import app
from ci_eval.errors import CiEvalError, ReportError, StudyError
from ci_eval.pipeline import StageError, run_pipeline, verify_store
from ci_eval.results import contract

REPO = Path(__file__).resolve().parents[1]


MEANS = contract.TableSpec(
    "means",
    tuple(contract.Column(n, t) for n, t in
          [("survey", "string"), ("wave", "string"), ("indicator", "string"), ("mean", "float64")]),
    "Mean of every score (the fake estimate stage of these tests)",
    "tests.test_pipeline",
)  # fmt: skip


def fake_estimate(study, model, codebooks, scored, clean, quality):
    rows = []
    for survey, waves in sorted(scored.items()):
        for wave, frame in sorted(waves.items()):
            for column in frame.columns[1:]:
                rows.append({"survey": survey, "wave": wave, "indicator": column,
                             "mean": float(frame[column].mean())})  # fmt: skip
    return {"means": pd.DataFrame(rows), "toc_outcomes": pipeline.toc_outcomes(model)}


@pytest.fixture
def study(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copy2(REPO / "ci-eval.toml", folder / "ci-eval.toml")
    shutil.copytree(REPO / "models", folder / "models")
    shutil.copytree(REPO / "surveys", folder / "surveys", ignore=shutil.ignore_patterns("raw"))
    monkeypatch.setattr(pipeline, "_estimate", fake_estimate)
    monkeypatch.setitem(contract.TABLES, "means", MEANS)
    return folder


def stages(result) -> dict[str, bool]:
    return {s.name: s.cached for s in result.stages}


@pytest.mark.slow
def test_a_rerun_with_nothing_changed_loads_every_stage_from_the_cache(study):
    first = run_pipeline(study, report=False)
    assert stages(first) == {"pull": False, "read": False, "quality": False, "model": False,
                             "score": False, "estimate": False}  # fmt: skip
    tables = (study / "reports/2024/tables/means.csv").read_bytes()
    second = run_pipeline(study, report=False)
    assert stages(second) == {"pull": False, "read": True, "quality": True, "model": True,
                              "score": True, "estimate": True}  # fmt: skip
    assert (study / "reports/2024/tables/means.csv").read_bytes() == tables


@pytest.mark.slow
def test_changing_the_model_rescores_without_rereading(study):
    run_pipeline(study, report=False)
    model = study / "models/mentoring.yaml"
    model.write_text(model.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    again = run_pipeline(study, report=False)
    assert stages(again) == {"pull": False, "read": True, "quality": True, "model": False,
                             "score": False, "estimate": False}  # fmt: skip


@pytest.mark.slow
def test_changing_a_quality_rule_reruns_quality_and_what_follows(study):
    run_pipeline(study, report=False)
    toml = study / "ci-eval.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("min = 18, max = 30", "min = 19, max = 30"), encoding="utf-8")
    again = run_pipeline(study, report=False)
    assert stages(again)["read"] is True
    assert stages(again)["quality"] is False and stages(again)["score"] is False
    assert again.manifest["rows"]["quality"]["youth/2024"] < 2884


@pytest.mark.slow
def test_manifest_records_inputs_settings_versions_seeds_and_rows(study):
    result = run_pipeline(study, report=False)
    path = study / "reports/2024/manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    model_hash = hashlib.sha256((study / "models/mentoring.yaml").read_bytes()).hexdigest()
    assert manifest["inputs"]["models/mentoring.yaml"] == model_hash
    assert "surveys/youth/data/youth_2024.sav" in manifest["inputs"]
    assert manifest["seeds"] == {"study": 2024}
    assert manifest["packages"]["pandas"] == pd.__version__
    assert manifest["rows"]["read"] == {"organisations/2021": 400, "organisations/2024": 410,
                                        "partners/2021": 64, "partners/2024": 68,
                                        "youth/2021": 3040, "youth/2024": 3140}  # fmt: skip
    assert manifest["settings"]["disclosure"]["min_cell"] == 10
    assert set(manifest["stages"]) == {"pull", "read", "quality", "model", "score", "estimate"}
    assert manifest["tables"]["means"] == result.manifest["tables"]["means"]
    assert path.read_text(encoding="utf-8") == json.dumps(
        manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"  # fmt: skip
    quality = pd.read_csv(study / "reports/2024/tables/toc_outcomes.csv")
    assert "thriving" in set(quality["outcome"])


@pytest.mark.slow
def test_verify_reproduces_and_detects_a_changed_table(study):
    run_pipeline(study, report=False)
    result = verify_store(study / "reports/2024")
    assert result.ok and result.identical == ["means", "toc_outcomes"]
    csv = study / "reports/2024/tables/means.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("0.", "0.0", 1), encoding="utf-8")
    result = verify_store(study / "reports/2024")
    assert not result.ok and result.different == ["means"]
    code = CliRunner().invoke(app, ["verify", str(study / "reports/2024")])
    assert code.exit_code == 1 and "differs" in code.output


@pytest.mark.slow
def test_a_failing_stage_names_itself_and_keeps_the_previous_results(study):
    run_pipeline(study, report=False)
    before = (study / "reports/2024/tables/means.csv").read_bytes()
    toml = study / "ci-eval.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('column = "duration_seconds"', 'column = "duration_secs"'),
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(StageError, match=r"(?s)quality stage failed: .*duration_secs"):
        run_pipeline(study, report=False)
    assert (study / "reports/2024/tables/means.csv").read_bytes() == before
    result = CliRunner().invoke(app, ["run", str(study), "--no-report"])
    assert result.exit_code == 2
    assert "quality stage failed" in result.output


@pytest.mark.slow
def test_a_settings_typo_stops_the_run_before_any_stage(study):
    run_pipeline(study, report=False)
    before = (study / "reports/2024/tables/means.csv").read_bytes()
    toml = study / "ci-eval.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("speeders = {", "speedsters = {"), encoding="utf-8")
    with pytest.raises(StudyError, match=r"\[quality.youth\].*speedsters.*did you mean 'speeders'"):
        run_pipeline(study, report=False)
    assert (study / "reports/2024/tables/means.csv").read_bytes() == before
    result = CliRunner().invoke(app, ["run", str(study), "--no-report"])
    assert result.exit_code == 2 and "speedsters" in result.output


def fake_book(results, site, **options):
    """Stands for the book: one page per language, showing the manifest it was built with."""
    for lang in options["languages"]:
        (Path(site) / lang).mkdir(parents=True, exist_ok=True)
        manifest = (Path(results) / "manifest.json").read_text(encoding="utf-8")
        (Path(site) / lang / "index.html").write_text(manifest, encoding="utf-8")


def failing_book(results, site, **options):
    fake_book(results, site, **options)  # half the site is written, then the build fails
    raise ReportError("Sphinx failed")


@pytest.mark.slow
def test_a_failing_report_stage_leaves_the_previous_edition_whole(study, monkeypatch):
    import ci_eval.report.build as build

    monkeypatch.setattr(build, "build_book", fake_book)
    monkeypatch.setattr(build, "DEFAULT_BOOK", REPO / "book")
    run_pipeline(study, report=True)
    edition = study / "reports/2024"
    before = {p: p.read_bytes() for p in sorted(edition.rglob("*")) if p.is_file()
              and ".cache" not in p.parts}  # fmt: skip
    toml = study / "ci-eval.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("min = 18, max = 30", "min = 19, max = 30"), encoding="utf-8")
    monkeypatch.setattr(build, "build_book", failing_book)
    with pytest.raises(StageError, match="report stage failed: Sphinx failed"):
        run_pipeline(study, report=True)
    after = {p: p.read_bytes() for p in sorted(edition.rglob("*")) if p.is_file()
             and ".cache" not in p.parts}  # fmt: skip
    assert after == before  # new tables never sit beside the old site and manifest
    assert sorted(p.name for p in (study / "reports").iterdir()) == [".2024.lock", "2024"]
    monkeypatch.setattr(build, "build_book", fake_book)
    result = run_pipeline(study, report=True)
    assert result.manifest["rows"]["quality"]["youth/2024"] < 2884
    # the book was built from this run's manifest (before it gained the stage timings)
    page = json.loads((edition / "site/en/index.html").read_text(encoding="utf-8"))
    assert page["tables"] == result.manifest["tables"]


def test_a_missing_data_file_names_the_file_and_the_setting(study):
    (study / "surveys/youth/data/youth_2021.sav").unlink()
    with pytest.raises(StageError, match=r"(?s)pull stage failed: .*youth_2021.sav.*ci-eval.toml"):
        run_pipeline(study, report=False)


@pytest.mark.slow
def test_benchmark_names_a_program_that_is_not_in_the_survey(study, monkeypatch):
    def with_programs(*args):
        tables = fake_estimate(*args)
        values = {"indicator": "x", "wave": "2024", "scope": "group", "peer_group": "all programs",
                  "peer_variables": [], "peer_levels": [], "kind": "mean", "value": 0.5, "n": 6,
                  "symbol": "", "suppressed": False, "reason": "", "rank_band": ""}  # fmt: skip
        spec = contract.spec("programs/P0001")
        empty = spec.empty()
        row = pd.DataFrame([{c.name: values.get(c.name) for c in spec.columns}])
        lists = ("peer_variables", "peer_levels")
        row = row.astype({c: empty[c].dtype for c in empty if c not in lists})
        tables["programs/P0001"] = row
        return tables

    monkeypatch.setattr(pipeline, "_estimate", with_programs)
    run_pipeline(study, report=False)
    tables = pipeline.benchmark_program(study, "P0001")
    assert tables["benchmark_P0001"]["value"].tolist() == [0.5]
    with pytest.raises(CiEvalError, match=r"program 'P9999' is not in .*1 programs: P0001"):
        pipeline.benchmark_program(study, "P9999")
    result = CliRunner().invoke(app, ["benchmark", str(study), "--program", "P9999"])
    assert result.exit_code == 2 and "P9999" in result.output


def test_init_scaffolds_a_study_that_loads_and_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    folder = tmp_path / "new-study"
    result = runner.invoke(app, ["init", str(folder), "--name", "Mentoring North"])
    assert result.exit_code == 0, result.output
    assert 'name = "Mentoring North"' in (folder / "ci-eval.toml").read_text(encoding="utf-8")
    assert (folder / "surveys/youth/data").is_dir()
    check = runner.invoke(app, ["model", "check", str(folder)])
    assert check.exit_code == 0, check.output
    again = runner.invoke(app, ["init", str(folder)])
    assert again.exit_code == 2 and "already exists" in again.output


@pytest.mark.parametrize(
    "command",
    [[], ["run"], ["verify"], ["init"], ["report"], ["report", "program"], ["report", "build"]],
)
def test_every_command_has_help(command):
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output and len(result.output) > 200


def test_each_stage_is_fingerprinted_by_the_modules_it_imports():
    estimate = pipeline.stage("estimate")
    closure = import_closure(estimate.modules)
    assert "ci_eval.survey.design" in closure and "ci_eval.toc.scoring" in closure
    assert not [m for m in closure if m.startswith(("ci_eval.report", "ci_eval.sources"))]
    fingerprint = pipeline.code_fingerprint(estimate)
    assert len(fingerprint["ci_eval_source"]) == 64 and fingerprint["pandas"] == pd.__version__
    assert fingerprint != pipeline.code_fingerprint(pipeline.stage("score"))


def test_an_edit_reruns_only_the_stages_whose_modules_import_it(tmp_path):
    package = tmp_path / "ci_eval"
    files = {
        "__init__.py": "from ci_eval.errors import CiEvalError\n",
        "errors.py": "class CiEvalError(Exception): ...\n",
        "survey/__init__.py": "from .design import SurveyDesign\n",
        "survey/design.py": "class SurveyDesign: ...\n",
        "analysis/__init__.py": "",
        "analysis/stage.py": "def analyse():\n    from ci_eval.survey import SurveyDesign\n",
        "report/__init__.py": "",
        "report/build.py": "from ci_eval import errors\n",
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text, encoding="utf-8")

    def estimate_key() -> str:
        return source_fingerprint(["ci_eval.analysis"], root=package)

    before = estimate_key()
    (package / "report/build.py").write_text("from ci_eval import errors\nX = 1\n")
    assert estimate_key() == before
    (package / "survey/design.py").write_text("class SurveyDesign:\n    weights = None\n")
    assert estimate_key() != before
