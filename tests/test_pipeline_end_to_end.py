"""The whole pipeline with the real analysis on the bundled demo study (no book build here:
tests/test_report_build.py builds the book on a small store)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ci_eval.pipeline import run_pipeline, verify_store
from ci_eval.report.program_page import program_page
from ci_eval.results import ResultsStore
from ci_eval.results.contract import TABLES, is_private, program_of, program_table, spec

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "study"
    folder.mkdir()
    shutil.copy2(REPO / "ci-eval.toml", folder / "ci-eval.toml")
    shutil.copytree(REPO / "models", folder / "models")
    shutil.copytree(REPO / "surveys", folder / "surveys", ignore=shutil.ignore_patterns("raw"))
    run_pipeline(folder, report=False)
    return folder


def test_the_demo_run_writes_the_contract_tables_and_a_manifest(demo):
    store = demo / "reports/2024"
    index = json.loads((store / "index.json").read_text(encoding="utf-8"))["tables"]
    public = {name for name, t in TABLES.items() if not t.private}
    assert set(index) == public
    for name in public:
        assert index[name]["columns"] == spec(name).names, name
        # partner names are not allowed in the demo: the members table stays empty
        assert (index[name]["rows"] == 0) == (name == "partnership_members"), name
        assert not index[name]["private"]
    private = ResultsStore(store).names(private=True)
    assert private and all(is_private(name) for name in private)
    assert not (store / "tables" / "programs").exists()
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"]["tables"]["indicators"] == index["indicators"]["rows"]
    assert (store / "quality.csv").read_text(encoding="utf-8").startswith("survey,wave,rule")


def test_suppressed_estimates_are_blank_in_the_published_tables(demo):
    indicators = pd.read_parquet(demo / "reports/2024/tables/indicators.parquet")
    hidden = indicators[indicators["suppressed"]]
    assert len(hidden) > 0  # the demo has small domains
    assert hidden[["estimate", "se", "ci_low", "ci_high"]].isna().all().all()


def test_verify_reruns_the_demo_byte_for_byte(demo):
    result = verify_store(demo / "reports/2024")
    assert result.ok, (result.different, result.missing, result.extra, result.changed_inputs)
    assert "indicators" in result.identical and "contributions" in result.identical


def test_program_pages_show_no_suppressed_value(demo):
    store = demo / "reports/2024"
    results = ResultsStore(store)
    programs = [program_of(name) for name in results.names(private=True)]
    for program in programs[:5]:
        paths = program_page(store, program, pdf=False)
        folder = store / "private" / "programs" / program
        assert paths == [folder / "benchmark-en.html", folder / "benchmark-fr.html"]
        table = results.read(program_table(program))
        for path in paths:
            text = path.read_text(encoding="utf-8")
            # every withheld figure (peer group or all programs, both waves) is the symbol
            assert text.count(">x</abbr>") == int(table["suppressed"].sum())
            assert "org_type=" not in text and "size_band" not in text


def test_benchmark_uses_the_runs_stages_and_tables(demo, tmp_path):
    from ci_eval.pipeline import benchmark_program
    from ci_eval.sources.pull import load_responses
    from ci_eval.study import load_study

    own = tmp_path / "own.csv"
    load_responses(load_study(demo), "youth", "2024").head(60).to_csv(own, index=False)
    tables = benchmark_program(demo, "P0001", data=own, out=tmp_path / "out")
    stored = ResultsStore(demo / "reports/2024").read(program_table("P0001"))
    pd.testing.assert_frame_equal(tables["benchmark_P0001"], stored)
    youth = tables["benchmark_P0001_youth"]
    assert (youth["n"].dropna() <= 60).all() and youth["national"].notna().any()
    assert (tmp_path / "out/benchmark_P0001_youth.csv").exists()


def test_the_reproducibility_page_shows_this_runs_manifest(demo_built):
    store = demo_built / "reports/2024"
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"] and "report" in manifest["stages"]
    for lang in ("en", "fr"):
        page = (store / "site" / lang / "reproducibility.html").read_text(encoding="utf-8")
        for path, digest in manifest["inputs"].items():
            assert path in page and digest[:16] in page, (lang, path)
        assert manifest["packages"]["pandas"] in page
