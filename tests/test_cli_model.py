"""The model and demo commands of the CLI, on the bundled demo study and on broken copies."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ci_eval import cli

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_model_check_on_the_demo_study():
    result = runner.invoke(cli.app, ["model", "check", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert "18 outcomes, 44 indicators, 7 contributions" in result.output


def test_model_check_lists_problems_and_exits_2(demo_model_study: Path):
    study = demo_model_study
    model = study / "models/mentoring.yaml"
    text = model.read_text(encoding="utf-8").replace(
        "items: [had_mentor_6_11]", "items: [had_mentor_611]"
    )
    model.write_text(
        text.replace("leads_to: [thriving]", "leads_to: [thriving, collaboration]", 1),
        encoding="utf-8",
    )
    result = runner.invoke(cli.app, ["model", "check", str(study)])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "the theory-of-change model has 2 problems" in output
    assert "unknown item 'had_mentor_611'" in output
    assert "cycle in leads_to" in output


def test_model_show_writes_a_diagram(tmp_path: Path):
    out = tmp_path / "toc.mmd"
    result = runner.invoke(
        cli.app, ["model", "show", str(ROOT), "--format", "mermaid", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("flowchart LR\n") and "  access --> relationship_quality\n" in text
    tree = runner.invoke(cli.app, ["model", "show", str(ROOT), "--language", "fr"])
    assert "Sentiment d'appartenance" in tree.output
    bad = runner.invoke(cli.app, ["model", "show", str(ROOT), "--format", "svg"])
    assert bad.exit_code == 2 and "use one of mermaid, dot" in bad.output


def test_demo_generate_passes_seed_and_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    calls = []
    monkeypatch.setattr(
        "ci_eval.demo.generate_study", lambda out, seed: calls.append((out, seed)) or []
    )
    result = runner.invoke(cli.app, ["demo", "generate", "--seed", "7", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert calls == [(tmp_path, 7)]
