"""``ci-eval init --from-limesurvey``: a study scaffolded from a LimeSurvey survey runs end to
end with no hand edits, against the loopback server on 127.0.0.1."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ci_eval.cli import app
from ci_eval.codebook import Codebook
from ci_eval.pipeline import run_pipeline
from ci_eval.results import ResultsStore
from ci_eval.toc import load_model
from limesurvey_server import SURVEY_ID, FakeLimeSurvey, real_responses

PASSWORD = "Pa55word-not-in-logs"
ENV = {"CI_EVAL_LS_USER": "analyst", "CI_EVAL_LS_PASSWORD": PASSWORD}


@pytest.fixture
def server():
    fake = FakeLimeSurvey({"analyst": PASSWORD})
    fake.add_survey(SURVEY_ID, real_responses())
    fake.start()
    yield fake
    fake.stop()


def scaffold(tmp_path, server, monkeypatch):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    folder = tmp_path / "study"
    args = ["init", str(folder), "--from-limesurvey", server.url, "--survey-id", str(SURVEY_ID)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return folder, result.output


def test_the_scaffold_holds_the_source_the_codebook_and_a_model(tmp_path, server, monkeypatch):
    folder, output = scaffold(tmp_path, server, monkeypatch)
    toml = (folder / "ci-eval.toml").read_text(encoding="utf-8")
    assert f"survey_id = {SURVEY_ID}" in toml and 'id = "id"' in toml
    assert 'language = "startlanguage"' in toml and PASSWORD not in toml
    codebook = Codebook.from_yaml(folder / "surveys/youth/codebook.yaml")
    assert codebook.variables["belong_B1"].label["fr"].startswith("Sentiment d’appartenance")
    model = load_model(folder / "models/model.yaml", {"youth": codebook})
    ids = {i.id for i in model.indicators}
    assert {"hadmentor_yes", "belong_mean"} <= ids
    assert "ci-eval run" in output


def test_a_scaffolded_study_runs_end_to_end_with_no_hand_edits(tmp_path, server, monkeypatch):
    folder, _ = scaffold(tmp_path, server, monkeypatch)
    run_pipeline(folder, pull=True, report=False)
    store = ResultsStore(folder / "reports" / next(p.name for p in (folder / "reports").iterdir()))
    ind = store.read("indicators")
    overall = ind[(ind["indicator"] == "hadmentor_yes") & (ind["domain"] == "overall")]
    yes = sum(r["hadmentor"] == "Y" for r in real_responses() if r["submitdate"])
    answered = sum(r["hadmentor"] in ("Y", "N") for r in real_responses() if r["submitdate"])
    assert overall["estimate"].iloc[0] == pytest.approx(yes / answered)


def test_init_from_limesurvey_needs_a_survey_id_and_good_credentials(tmp_path, server, monkeypatch):
    runner = CliRunner()
    result = runner.invoke(app, ["init", str(tmp_path / "a"), "--from-limesurvey", server.url])
    assert result.exit_code != 0 and "needs --survey-id" in result.output
    monkeypatch.setenv("CI_EVAL_LS_USER", "analyst")
    monkeypatch.setenv("CI_EVAL_LS_PASSWORD", "wrong")
    args = ["init", str(tmp_path / "b"), "--from-limesurvey", server.url, "--survey-id", "111111"]
    result = runner.invoke(app, args)
    assert result.exit_code != 0 and "refused the user name or password" in result.output
    assert not (tmp_path / "b" / "ci-eval.toml").exists()
