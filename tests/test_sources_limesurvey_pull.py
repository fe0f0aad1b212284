"""Pulling LimeSurvey surveys into snapshots, against the loopback server on 127.0.0.1."""

from __future__ import annotations

import copy
import hashlib
import json
import logging

import pandas as pd
import pyarrow.parquet as pq
import pytest

from ci_eval.codebook import Codebook
from ci_eval.errors import SourceError
from ci_eval.sources.credentials import credentials_from_env
from ci_eval.sources.limesurvey import LimeSurveyConnection
from ci_eval.sources.pull import (
    load_responses,
    pull,
    snapshot_store,
    type_responses,
    wave_codebook,
)
from ci_eval.study import load_study
from limesurvey_server import SURVEY_ID, FakeLimeSurvey, real_responses

PASSWORD = "Pa55word-not-in-logs"
ENV = {"TEST_LS_USER": "analyst", "TEST_LS_PASSWORD": PASSWORD}


@pytest.fixture
def server():
    fake = FakeLimeSurvey({"analyst": PASSWORD})
    fake.add_survey(SURVEY_ID, real_responses())
    fake.start()
    yield fake
    fake.stop()


def make_study(tmp_path, server, **source):
    settings = {
        "survey_id": SURVEY_ID,
        "completed_only": True,
        "timeout": 2.0,
        "retries": 2,
        "batch_size": 10,
        **source,
    }
    lines = "\n".join(f"{k} = {json.dumps(v)}" for k, v in settings.items())
    (tmp_path / "ci-eval.toml").write_text(
        f"""
[study]
name = "LimeSurvey test"
edition = "2025"
languages = ["en", "fr"]
[waves]
baseline = "2025"
all = ["2025"]
[surveys.youth]
[surveys.youth.sources.2025]
type = "limesurvey"
url = "{server.url}"
credentials = "TEST_LS"
{lines}
""",
        encoding="utf-8",
    )
    return load_study(tmp_path)


def run_pull(study, **kw):
    (report,) = pull(study, environ=ENV, sleep=lambda s: None, **kw)
    return report


def test_first_pull_writes_an_immutable_snapshot(tmp_path, server):
    study = make_study(tmp_path, server)
    report = run_pull(study, when="2026-01-05T10:00:00Z")
    assert report.rows == 47 and report.new == 47
    snap = report.snapshot
    assert snap.id == "0001-20260105T100000Z"
    assert snap.path == tmp_path / "surveys/youth/raw/2025/0001-20260105T100000Z"
    meta = json.loads((snap.path / "meta.json").read_text(encoding="utf-8"))
    assert meta["server_version"] == "6.14.0"
    assert meta["survey_id"] == SURVEY_ID
    assert meta["response_ids"] == {"first": 1, "last": 52}
    assert meta["rows"] == 47
    assert meta["pulled_at"] == "2026-01-05T10:00:00Z"
    parquet = (snap.path / "responses.parquet").read_bytes()
    assert meta["content_hash"] == hashlib.sha256(parquet).hexdigest()
    assert meta["server"] == server.url
    # the session key was released
    assert server.sessions == set() and server.log.released == 1
    # batches of at most batch_size ids
    assert max(server.log.export_rows[1:]) <= 10

    data = load_responses(study, "youth", "2025")
    assert len(data) == 47 and data["submitdate"].notna().all()
    by_id = data.set_index("id")
    assert by_id.loc[2, "mentortype_other"] == "Grand-mère Hélène"
    assert by_id.loc[3, "comments"] == 'She said "keep going", and I did.'
    assert by_id.loc[1, "belong_B1"] == "5"
    assert list(data.columns[:8]) == [
        "id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "pid",
    ]  # fmt: skip


def test_codebook_comes_from_the_server_in_both_languages(tmp_path, server):
    study = make_study(tmp_path, server)
    run_pull(study)
    cb = wave_codebook(study, "youth", "2025")
    assert cb.variables["age"].label == {"en": "How old are you?", "fr": "Quel âge as-tu ?"}
    assert cb.variables["age"].type == "numeric"
    gender = cb.variables["gender"]
    assert gender.type == "categorical"
    assert gender.value_labels["F"] == {"en": "Girl / woman", "fr": "Fille / femme"}
    belong = cb.variables["belong_B2"]
    assert belong.question == "belong[B2]"
    assert belong.value_labels[5]["fr"] == "Tout à fait d’accord"
    assert "’" in belong.label["fr"] or "'" in belong.label["fr"]
    assert cb.variables["mentortype_SQ001"].value_labels == {
        "Y": {"en": "Yes", "fr": "Oui"},
        "": {"en": "Not selected", "fr": "Non sélectionné"},
    }
    assert cb.variables["mentortype_other"].type == "text"
    assert cb.variables["startlanguage"].value_labels["fr"] == {"en": "French", "fr": "Français"}
    assert cb.variables["province"].value_labels["QC"]["fr"] == "Québec"
    # every response column is described, in export order
    assert list(cb.variables) == list(load_responses(study, "youth", "2025").columns)
    # and it can be saved as YAML, edited, and read back
    cb.to_yaml(tmp_path / "surveys/youth/codebook.yaml")
    assert Codebook.from_yaml(tmp_path / "surveys/youth/codebook.yaml") == cb


def test_second_pull_is_incremental(tmp_path, server):
    study = make_study(tmp_path, server)
    run_pull(study, when="2026-01-05T10:00:00Z")
    assert run_pull(study).up_to_date
    template = real_responses()[1]
    ids = server.add_responses(SURVEY_ID, [template, template, real_responses()[3]])
    assert ids == [53, 54, 55]
    server.log.export_params.clear()
    report = run_pull(study, when="2026-01-06T10:00:00Z")
    assert report.new == 3 and report.rows == 3
    assert report.snapshot.id == "0002-20260106T100000Z"
    assert report.snapshot.meta["after_id"] == 52
    assert report.snapshot.meta["response_ids"] == {"first": 53, "last": 55}
    # new responses are asked for after the last id held
    assert {"from": 53, "to": None, "completion": "complete", "fields": ["id"]} in (
        server.log.export_params
    )
    assert len(load_responses(study, "youth", "2025")) == 50
    assert [s.id for s in snapshot_store(study, "youth", "2025").snapshots()] == [
        "0001-20260105T100000Z",
        "0002-20260106T100000Z",
    ]


def test_edits_and_deletions_are_reported_not_applied(tmp_path, server):
    study = make_study(tmp_path, server)
    first = run_pull(study).snapshot
    before = (first.path / "responses.parquet").read_bytes()
    server.edit_response(
        SURVEY_ID, 3, {"comments": "Révisé : d’accord"}, datestamp="2026-02-01 09:00:00"
    )
    server.delete_response(SURVEY_ID, 6)
    report = run_pull(study)
    assert (report.edited, report.deleted) == ([3], [6])
    assert report.up_to_date  # nothing new was written
    data = load_responses(study, "youth", "2025").set_index("id")
    assert data.loc[3, "comments"] == 'She said "keep going", and I did.'
    assert 6 in data.index
    assert (first.path / "responses.parquet").read_bytes() == before

    accepted = run_pull(study, accept_changes=True)
    assert accepted.snapshot.meta["revised"] == [3]
    assert accepted.snapshot.meta["withdrawn"] == [6]
    data = load_responses(study, "youth", "2025").set_index("id")
    assert data.loc[3, "comments"] == "Révisé : d’accord"
    assert 6 not in data.index and len(data) == 46
    assert (first.path / "responses.parquet").read_bytes() == before
    assert run_pull(study).up_to_date  # nothing left to report


def test_a_response_completed_after_the_pull_is_fetched(tmp_path, server):
    study = make_study(tmp_path, server)
    run_pull(study)
    server.edit_response(
        SURVEY_ID, 8, {"submitdate": "2026-02-02 10:00:00", "lastpage": 1}, "2026-02-02 10:00:00"
    )
    report = run_pull(study)
    assert report.late == [8] and report.new == 0 and report.rows == 1
    assert 8 in set(load_responses(study, "youth", "2025")["id"])


def test_all_responses_when_not_completed_only(tmp_path, server):
    study = make_study(tmp_path, server, completed_only=False)
    report = run_pull(study)
    assert report.rows == 52
    data = load_responses(study, "youth", "2025")
    incomplete = data[data["submitdate"].isna()]
    assert incomplete["id"].tolist() == [8, 18, 28, 38, 48]
    assert (incomplete["lastpage"] == 0).all()


def test_interrupted_pull_keeps_previous_snapshots_and_next_pull_resumes(tmp_path, server):
    study = make_study(tmp_path, server, retries=1)
    first = run_pull(study, when="2026-01-05T10:00:00Z").snapshot
    server.add_responses(SURVEY_ID, real_responses()[:30])
    # the id check, the id list and one batch succeed; then the server fails for good
    n_checks = 6  # ids 1..52 in spans of 10
    server.inject("http500", method="export_responses", skip=n_checks + 2, times=100)
    with pytest.raises(SourceError, match=r"export responses failed after 2 attempts \(HTTP 500\)"):
        run_pull(study, when="2026-01-06T10:00:00Z")
    store = snapshot_store(study, "youth", "2025")
    assert [s.id for s in store.snapshots()] == [first.id]
    assert store.leftovers() == []
    assert server.sessions == set()  # released even though the pull failed
    # a pull killed hard leaves its temporary folder; the next pull removes it
    (store.root / ".tmp-0002-20260106T100000Z").mkdir()
    (store.root / ".tmp-0002-20260106T100000Z" / "responses.parquet").write_bytes(b"PAR1")
    server.faults.clear()
    report = run_pull(study, when="2026-01-07T10:00:00Z")
    assert report.rows == 27  # the 30 copies hold 3 incomplete responses
    assert report.notes == ["removed an interrupted pull (.tmp-0002-20260106T100000Z)"]
    assert [s.id for s in store.snapshots()] == [first.id, "0002-20260107T100000Z"]
    assert len(load_responses(study, "youth", "2025")) == 47 + 27


def test_large_survey_is_pulled_in_bounded_batches(tmp_path, server):
    study = make_study(tmp_path, server, batch_size=250, completed_only=False)
    rows = real_responses()
    server.add_responses(SURVEY_ID, [rows[i % len(rows)] for i in range(2000)])
    report = run_pull(study, progress=True)
    assert report.rows == 2052
    # the first export is the id list; every data batch holds at most batch_size rows
    id_list_index = next(i for i, p in enumerate(server.log.export_params) if p["fields"] == ["id"])
    assert max(server.log.export_rows[id_list_index + 1 :]) <= 250
    assert pq.ParquetFile(report.snapshot.responses_path).num_row_groups >= 2052 // 250


def test_same_data_gives_byte_identical_snapshots(tmp_path, server):
    one = make_study(tmp_path / "a", server) if (tmp_path / "a").mkdir() is None else None
    two = make_study(tmp_path / "b", server) if (tmp_path / "b").mkdir() is None else None
    a = run_pull(one, when="2026-01-05T10:00:00Z").snapshot
    b = run_pull(two, when="2026-01-05T11:00:00Z").snapshot
    assert a.meta["content_hash"] == b.meta["content_hash"]
    assert (a.path / "structure.json").read_bytes() == (b.path / "structure.json").read_bytes()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"survey_id": 999999}, "survey 999999 does not exist or this user has no permission"),
        ({"url": "INACTIVE"}, "survey 444444 is not active"),
    ],
)
def test_missing_and_inactive_surveys(tmp_path, server, change, message):
    server.add_survey(444444, real_responses(), active=False)
    if change.get("url") == "INACTIVE":
        change = {"survey_id": 444444}
    study = make_study(tmp_path, server, **change)
    with pytest.raises(SourceError, match=message):
        run_pull(study)
    assert server.sessions == set()


def test_empty_active_survey_pulls_nothing(tmp_path, server):
    server.add_survey(222222, [], active=True)
    study = make_study(tmp_path, server, survey_id=222222)
    report = run_pull(study)
    assert report.up_to_date and report.new == 0


def test_bad_credentials(tmp_path, server):
    study = make_study(tmp_path, server)
    with pytest.raises(SourceError, match="refused the user name or password") as err:
        pull(study, environ={"TEST_LS_USER": "analyst", "TEST_LS_PASSWORD": "wrong"})
    assert "wrong" not in str(err.value)
    with pytest.raises(SourceError, match="TEST_LS_PASSWORD"):
        pull(study, environ={"TEST_LS_USER": "analyst"})


def test_transient_errors_are_retried(tmp_path, server):
    study = make_study(tmp_path, server, timeout=0.3, retries=2)
    server.inject("http500", method="list_questions", times=2)
    server.inject("delay", method="export_responses", times=1, seconds=1.5)
    report = run_pull(study)
    assert report.rows == 47


def test_time_outs_give_up_with_a_clear_message(tmp_path, server):
    study = make_study(tmp_path, server, timeout=0.2, retries=1)
    server.inject("delay", method="get_summary", times=5, seconds=1.0)
    with pytest.raises(SourceError, match=r"no answer within 0\.2 s"):
        run_pull(study)


def test_a_server_that_is_not_limesurvey(tmp_path, server):
    study = make_study(tmp_path, server)
    server.inject("html", times=1000)
    with pytest.raises(SourceError, match="does not answer like a LimeSurvey RemoteControl 2"):
        run_pull(study)


def test_an_expired_session_key_logs_in_again(tmp_path, server):
    study = make_study(tmp_path, server)
    server.inject("forget_session", method="export_responses", skip=3)
    report = run_pull(study)
    assert report.rows == 47
    assert server.log.methods.count("get_session_key") == 2
    assert server.sessions == set()


def test_csv_export_through_the_connection_matches_json(server):
    creds = credentials_from_env("TEST_LS", ENV)
    with LimeSurveyConnection(server.url, creds, timeout=5) as conn:
        as_json = conn.export(SURVEY_ID, completed_only=False)
        as_csv = conn.export(SURVEY_ID, completed_only=False, file_format="csv")
    assert as_csv == as_json and len(as_json) == 52


def test_unicode_in_answers_survives_the_round_trip(tmp_path, server):
    text = "Tout à fait d’accord — l'été à Trois-Rivières 🙂"
    row = copy.deepcopy(real_responses()[0])
    row.update(comments=text, **{"mentortype[other]": "Grand-mère Hélène"})
    (rid,) = server.add_responses(SURVEY_ID, [row])
    study = make_study(tmp_path, server)
    run_pull(study)
    data = load_responses(study, "youth", "2025").set_index("id")
    assert data.loc[rid, "comments"] == text


def test_the_password_never_appears(tmp_path, server, caplog):
    caplog.set_level(logging.DEBUG)
    study = make_study(tmp_path, server)
    run_pull(study)
    server.inject("http500", times=100)
    with pytest.raises(SourceError) as err:
        run_pull(study)
    server.faults.clear()
    with pytest.raises(SourceError) as bad:
        pull(study, environ={"TEST_LS_USER": "analyst", "TEST_LS_PASSWORD": PASSWORD + "x"})
    assert PASSWORD not in str(err.value) and PASSWORD not in str(bad.value)
    assert PASSWORD not in repr(credentials_from_env("TEST_LS", ENV))
    assert all(PASSWORD not in r.getMessage() for r in caplog.records)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_raw_limesurvey_text_gets_the_codebook_types(tmp_path, server):
    study = make_study(tmp_path, server)
    run_pull(study)
    raw = load_responses(study, "youth", "2025")
    typed = type_responses(raw, wave_codebook(study, "youth", "2025"))
    row = typed.set_index("id").loc[1]
    assert row["age"] == 24 and row["belong_B1"] == 5
    assert row["submitdate"] == pd.Timestamp("2025-09-01 16:28:00")
    assert row["gender"] == "F" and row["mentortype_SQ004"] == "Y"
    assert row["mentortype_SQ001"] == ""  # shown, not ticked
    assert pd.isna(typed.set_index("id").loc[4, "mentortype_SQ001"])  # never shown
    assert pd.isna(typed.set_index("id").loc[52, "belong_B3"])  # "" skipped item -> missing
    assert typed.set_index("id").loc[1, "comments"] == ""  # text stays as answered


def test_keyring_is_used_when_present(monkeypatch):
    import sys
    import types

    fake = types.ModuleType("keyring")
    fake.get_password = lambda service, user: "from-keyring" if service == "KR" else None
    monkeypatch.setitem(sys.modules, "keyring", fake)
    creds = credentials_from_env("KR", {"KR_USER": "analyst"})
    assert (creds.user, creds.password) == ("analyst", "from-keyring")
    with pytest.raises(SourceError, match="KR2_PASSWORD"):
        credentials_from_env("KR2", {"KR2_USER": "analyst"})


def test_status_strings_become_clear_errors_or_values(server):
    creds = credentials_from_env("TEST_LS", ENV)
    with LimeSurveyConnection(server.url, creds, timeout=5) as conn:
        assert conn.server_version() == "6.14.0"
        got = conn.rpc("list questions", "list_questions", 999999, None, "en")
        assert got == {"status": "Error: Invalid survey ID"}
        with pytest.raises(SourceError, match="read a setting failed: Invalid setting"):
            conn.call("read a setting", lambda c: c.session.get_site_settings("nope"))
        assert conn.summary(SURVEY_ID) == {
            "completed_responses": 47,
            "incomplete_responses": 5,
            "full_responses": 52,
        }
    assert server.sessions == set()


def test_a_response_below_the_lowest_id_held_completed_late_is_fetched(tmp_path, server):
    for rid in (1, 2, 3):  # incomplete at the first pull: the lowest id held is 4
        server.edit_response(SURVEY_ID, rid, {"submitdate": None})
    study = make_study(tmp_path, server)
    first = run_pull(study)
    assert min(load_responses(study, "youth", "2025")["id"]) == 4 and first.new == 44
    server.edit_response(SURVEY_ID, 2, {"submitdate": "2026-03-01 10:00:00"}, "2026-03-01 10:00:00")
    report = run_pull(study)
    assert report.late == [2] and report.rows == 1
    assert 2 in set(load_responses(study, "youth", "2025")["id"])
    assert not [n for n in report.notes if "counts" in n]  # held = the server's count


def test_a_count_that_disagrees_with_the_server_is_reported(tmp_path, server):
    study = make_study(tmp_path, server)
    run_pull(study)
    real = server.rpc_get_summary

    def inflated(key, sid, stat="all"):
        summary = dict(real(key, sid, stat))
        summary["completed_responses"] += 2
        return summary

    server.rpc_get_summary = inflated
    server.add_responses(SURVEY_ID, [dict(real_responses()[0])])
    report = run_pull(study)
    assert report.new == 1
    (note,) = [n for n in report.notes if "counts" in n]
    assert "the server counts 50 complete responses, ci_eval holds 48" in note
    assert "--verify-held" in note


def test_an_edit_that_keeps_its_date_stamp_is_found_by_content(tmp_path, server):
    study = make_study(tmp_path, server)
    run_pull(study)
    server.edit_response(SURVEY_ID, 5, {"comments": "changed through update_response"})
    assert run_pull(study).edited == []  # same date stamp: invisible to the quick check
    report = run_pull(study, verify_held=True)
    assert report.edited == [5] and any("compared the content" in n for n in report.notes)
    accepted = run_pull(study, verify_held=True, accept_changes=True)
    assert accepted.snapshot.meta["revised"] == [5]
    data = load_responses(study, "youth", "2025").set_index("id")
    assert data.loc[5, "comments"] == "changed through update_response"
    assert run_pull(study, verify_held=True).edited == []


def test_every_nth_pull_compares_the_content(tmp_path, server):
    study = make_study(tmp_path, server, verify_every=2)
    run_pull(study)
    server.edit_response(SURVEY_ID, 5, {"comments": "changed through update_response"})
    assert run_pull(study).edited == [5]  # the second pull of the source compares content


def test_a_lock_out_after_bad_passwords_is_a_clear_error(tmp_path, server):
    study = make_study(tmp_path, server)
    bad = {"TEST_LS_USER": "analyst", "TEST_LS_PASSWORD": "wrong"}
    for _ in range(3):
        with pytest.raises(SourceError, match="read from TEST_LS_USER and TEST_LS_PASSWORD"):
            pull(study, environ=bad, sleep=lambda s: None)
    with pytest.raises(SourceError) as err:
        run_pull(study)  # the right password, but the user is locked out
    message = str(err.value)
    assert "refused to log in: the server says 'You have exceeded the number" in message
    assert "Please wait 10 minutes" in message and PASSWORD not in message
    assert not (tmp_path / "surveys/youth/raw/2025/.lock").exists()


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


GARBAGE = {
    "export not base64": ("export_responses", "%%% not base64 %%%"),
    "export of binary": ("export_responses", _b64(bytes(range(256)))),
    "export without responses": ("export_responses", _b64(b"[1, 2, 3]")),
    "export rows not objects": ("export_responses", _b64(b'{"responses": [1, "x"]}')),
    "export id not a number": ("export_responses", _b64(b'{"responses": [{"id": "abc"}]}')),
    "summary of text": ("get_summary", {"completed_responses": "lots", "full_responses": "x"}),
    "summary a number": ("get_summary", 7),
    "questions a number": ("list_questions", 42),
    "questions of text": ("list_questions", ["a", "b"]),
    "properties a list": ("get_survey_properties", [1]),
    "question properties text": ("get_question_properties", "hello"),
}


@pytest.mark.parametrize("case", sorted(GARBAGE))
def test_garbage_from_a_server_that_logs_in_is_a_clear_error_and_writes_nothing(
    tmp_path, server, case
):
    """A server that accepts the log-in, then answers with well-formed JSON-RPC holding
    nonsense: a SourceError naming the server, no traceback, and the snapshots held unchanged."""
    study = make_study(tmp_path, server)
    run_pull(study)
    held = sorted(p for p in (tmp_path / "surveys").rglob("*") if ".lock" not in p.name)
    server.add_responses(SURVEY_ID, real_responses()[:2])  # something new to pull
    method, result = GARBAGE[case]
    server.inject("garbage", method=method, times=1000, result=result)
    with pytest.raises(SourceError, match=r"^LimeSurvey at http://127\.0\.0\.1:\d+/index") as info:
        run_pull(study)
    assert PASSWORD not in str(info.value)
    after = sorted(p for p in (tmp_path / "surveys").rglob("*") if ".lock" not in p.name)
    assert after == held
