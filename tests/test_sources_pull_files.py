"""File pulls, the snapshot store, and the `ci-eval pull` / `ci-eval codebook` commands."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from ci_eval.cli import app
from ci_eval.codebook import Codebook
from ci_eval.errors import SourceError
from ci_eval.sources.pull import load_responses, pull, snapshot_store, wave_codebook
from ci_eval.sources.snapshots import SnapshotStore
from ci_eval.sources.waves import harmonisation_check
from ci_eval.study import load_study
from limesurvey_server import SURVEY_ID, FakeLimeSurvey, real_responses

STUDY = """
[study]
name = "Files test"
edition = "2024"
languages = ["en", "fr"]
[waves]
baseline = "2021"
all = ["2021", "2024"]
[surveys.youth]
codebook = "surveys/youth/codebook.yaml"
[surveys.youth.sources.2021]
type = "file"
path = "data/youth_2021.sav"
[surveys.youth.sources.2024]
type = "file"
path = "data/youth_2024.dta"
"""

CODEBOOK = """
survey: youth
variables:
  - name: had_mentor
    label: {en: Had a mentor, fr: A eu un mentor}
    type: categorical
    value_labels:
      1: {en: "Yes", fr: Oui}
      2: {en: "No", fr: Non}
      9: {en: Refused, fr: Refus}
    missing_codes: [9]
    waves:
      "2021": {name: mentor, recode: {0: 2}}
  - name: age
    label: {en: Age, fr: Âge}
    type: numeric
  - name: comment
    label: {en: Comment, fr: Commentaire}
    type: text
    waves:
      "2021": {name: null}
"""


def write_waves(root, comment="Tout à fait d’accord"):
    (root / "data").mkdir(exist_ok=True)
    pyreadstat.write_sav(
        pd.DataFrame({"mentor": [1.0, 0.0, 9.0], "age": [19.0, 24.0, 30.0]}),
        str(root / "data/youth_2021.sav"),
        column_labels={"mentor": "A eu un mentor", "age": "Âge"},
        variable_value_labels={"mentor": {1: "Oui", 0: "Non", 9: "Refus"}},
        missing_ranges={"mentor": [9]},
    )
    pyreadstat.write_dta(
        pd.DataFrame(
            {"had_mentor": [1, 2, 2], "age": [18, 22, 29], "comment": [comment, "", "ok"]}
        ),
        str(root / "data/youth_2024.dta"),
        variable_value_labels={"had_mentor": {1: "Yes", 2: "No"}},
    )


@pytest.fixture
def study(tmp_path):
    (tmp_path / "ci-eval.toml").write_text(STUDY, encoding="utf-8")
    (tmp_path / "surveys/youth").mkdir(parents=True)
    (tmp_path / "surveys/youth/codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    write_waves(tmp_path)
    return load_study(tmp_path)


def test_file_pull_snapshots_once_per_file_version(study, tmp_path):
    reports = pull(study, when="2026-03-01T08:00:00Z")
    assert [(r.wave, r.rows, r.snapshot.id) for r in reports] == [
        ("2021", 3, "0001-20260301T080000Z"),
        ("2024", 3, "0001-20260301T080000Z"),
    ]
    meta = reports[0].snapshot.meta
    assert meta["file"] == "data/youth_2021.sav"
    assert (
        meta["file_sha256"]
        == hashlib.sha256((tmp_path / "data/youth_2021.sav").read_bytes()).hexdigest()
    )
    again = pull(study, when="2026-03-02T08:00:00Z")
    assert all(r.up_to_date for r in again)
    write_waves(tmp_path, comment="Révisé")
    (changed,) = pull(study, wave="2024", survey="youth", when="2026-03-03T08:00:00Z")
    assert changed.snapshot.id == "0002-20260303T080000Z"
    assert load_responses(study, "youth", "2024")["comment"].tolist()[0] == "Révisé"
    # the first snapshot is untouched
    first = snapshot_store(study, "youth", "2024").snapshots()[0]
    first.verify()
    assert first.responses()["comment"].tolist()[0] == "Tout à fait d’accord"


def test_waves_line_up_through_the_codebook(study):
    pull(study)
    raw_2021 = load_responses(study, "youth", "2021")
    assert raw_2021["mentor"].isna().tolist() == [False, False, True]  # 9 is user-missing
    mentor = wave_codebook(study, "youth", "2021").variables["mentor"]
    assert mentor.missing_codes == [9]
    assert list(mentor.value_labels) == [1, 0, 9]  # codes keep their type through the snapshot
    codebook = Codebook.from_yaml(study.path("surveys/youth/codebook.yaml"))
    y2021 = codebook.harmonise(raw_2021, wave="2021")
    y2024 = codebook.harmonise(load_responses(study, "youth", "2024"), wave="2024")
    both = pd.concat([y2021.assign(wave="2021"), y2024.assign(wave="2024")], ignore_index=True)
    assert list(both.columns) == ["had_mentor", "age", "comment", "wave"]
    assert both["had_mentor"].tolist()[:2] == [1, 2] and both["had_mentor"].tolist()[3:] == [
        1,
        2,
        2,
    ]
    assert harmonisation_check(study, "youth", codebook) == [("2021", "fits"), ("2024", "fits")]


def test_unmapped_differences_are_reported(study, tmp_path):
    text = CODEBOOK.replace('      "2021": {name: mentor, recode: {0: 2}}\n', "")
    (tmp_path / "surveys/youth/codebook.yaml").write_text(text, encoding="utf-8")
    pull(study)
    codebook = Codebook.from_yaml(study.path("surveys/youth/codebook.yaml"))
    (w2021, message), (w2024, fits) = harmonisation_check(study, "youth", codebook)
    assert (w2021, w2024, fits) == ("2021", "2024", "fits")
    assert "'had_mentor': column 'had_mentor' is not in wave 2021" in message
    assert "columns not in the codebook: mentor" in message


def test_snapshot_store_is_atomic_and_tamper_evident(tmp_path):
    store = SnapshotStore(tmp_path / "raw" / "2024")
    frame = pd.DataFrame({"id": [1, 2], "q": ["é", None]})
    with pytest.raises(RuntimeError), store.writer("2026-01-01T00:00:00Z") as w:
        w.write(frame)
        raise RuntimeError("interrupted")
    assert store.snapshots() == [] and store.leftovers() == []
    with store.writer("2026-01-01T00:00:00Z") as w:
        w.write(frame)
        w.write_structure({"a": "é"})
        snap = w.finish({"source": "test"})
    other = SnapshotStore(tmp_path / "other")
    with other.writer("2026-01-02T00:00:00Z") as w:
        w.write(frame.copy())
        w.write_structure({"a": "é"})
        copy = w.finish({"source": "test"})
    assert snap.responses_path.read_bytes() == copy.responses_path.read_bytes()
    meta = json.loads((snap.path / "meta.json").read_text(encoding="utf-8"))
    assert meta["rows"] == 2 and meta["snapshot"] == snap.id
    snap.responses_path.chmod(0o644)
    snap.responses_path.write_bytes(copy.responses_path.read_bytes() + b"x")
    with pytest.raises(SourceError, match="content hash differs"):
        snap.verify()


def test_pull_and_codebook_commands(study, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["pull", str(tmp_path), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "0001-" in result.output and "youth" in result.output
    result = runner.invoke(app, ["codebook", str(tmp_path), "--survey", "youth"])
    assert result.exit_code == 0, result.output
    assert "had_mentor" in result.output and "wave 2021: fits" in result.output
    out = tmp_path / "exported.yaml"
    result = runner.invoke(
        app,
        ["codebook", str(tmp_path), "--survey", "youth", "--wave", "2021", "--export", str(out)],
    )
    assert result.exit_code == 0, result.output
    exported = Codebook.from_yaml(out)
    assert exported.variables["mentor"].label == {"en": "A eu un mentor"}
    out.write_text("# my edits\n", encoding="utf-8")
    export = ["codebook", str(tmp_path), "--survey", "youth", "--wave", "2021", "--export"]
    result = runner.invoke(app, [*export, str(out)])
    assert result.exit_code != 0 and "exists: it was not overwritten; pass --force" in result.output
    assert out.read_text(encoding="utf-8") == "# my edits\n"
    result = runner.invoke(app, [*export, str(out), "--force"])
    assert result.exit_code == 0 and Codebook.from_yaml(out).variables["mentor"]
    result = runner.invoke(app, ["pull", str(tmp_path), "--survey", "orgs"])
    assert result.exit_code == 2
    assert "no survey 'orgs'" in result.output


def test_pull_command_against_limesurvey(tmp_path, monkeypatch):
    server = FakeLimeSurvey({"analyst": "s3cret-pw"}).start()
    try:
        server.add_survey(SURVEY_ID, real_responses())
        (tmp_path / "ci-eval.toml").write_text(
            f"""
[study]
name = "LS"
edition = "2025"
[waves]
baseline = "2025"
all = ["2025"]
[surveys.youth.sources.2025]
type = "limesurvey"
url = "{server.url}"
survey_id = {SURVEY_ID}
credentials = "CLI_LS"
""",
            encoding="utf-8",
        )
        monkeypatch.setenv("CLI_LS_USER", "analyst")
        monkeypatch.setenv("CLI_LS_PASSWORD", "s3cret-pw")
        runner = CliRunner()
        result = runner.invoke(app, ["pull", str(tmp_path), "--no-progress"])
        assert result.exit_code == 0, result.output
        assert "47" in result.output
        server.edit_response(SURVEY_ID, 3, {"comments": "édité"}, "2026-02-01 09:00:00")
        result = runner.invoke(app, ["pull", str(tmp_path), "--no-progress"])
        assert "1 response edited on the server, not applied" in result.output
        result = runner.invoke(app, ["codebook", str(tmp_path), "--survey", "youth"])
        assert result.exit_code == 0 and "belong_B1" in result.output
        monkeypatch.setenv("CLI_LS_PASSWORD", "wrong")
        result = runner.invoke(app, ["pull", str(tmp_path), "--no-progress"])
        assert result.exit_code == 2 and "refused the user name or password" in result.output
        assert "s3cret-pw" not in result.output
    finally:
        server.stop()


def test_two_pulls_of_one_wave_never_run_at_once(study):
    store = snapshot_store(study, "youth", "2021")
    with store.locked(), pytest.raises(SourceError, match="another pull of this wave is running"):
        pull(study, survey="youth", wave="2021")
    (report,) = pull(study, survey="youth", wave="2021")  # the lock is released
    assert report.rows == 3
