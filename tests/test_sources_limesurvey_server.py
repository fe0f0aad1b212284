"""The loopback LimeSurvey server against the real server's exports.

If these hold, the other LimeSurvey tests talk to something that answers like
LimeSurvey 6.14 (tests/data/limesurvey/README.md).
"""

from __future__ import annotations

import base64
import json

import pytest
import requests

from ci_eval.sources.limesurvey import parse_csv_export, parse_json_export
from limesurvey_server import DATA, SURVEY_ID, FakeLimeSurvey, Structure, real_responses


@pytest.fixture
def server():
    fake = FakeLimeSurvey()
    fake.add_survey(SURVEY_ID, real_responses())
    fake.start()
    yield fake
    fake.stop()


def rpc(server, method, *params):
    body = {"method": method, "params": list(params), "id": 1}
    return requests.post(server.url, json=body, timeout=10).json()["result"]


def export(server, key, doc_type, **kw):
    params = [key, SURVEY_ID, doc_type, None, "all", "code", "short", None, None, None, None]
    return rpc(server, "export_responses", *params)


def test_exports_are_byte_identical_to_the_real_server(server):
    key = rpc(server, "get_session_key", "analyst", "Pa55word-not-in-logs")
    got_json = base64.b64decode(export(server, key, "json"))
    assert got_json == (DATA / "responses_code_short.json").read_bytes()
    got_csv = base64.b64decode(export(server, key, "csv"))
    assert got_csv == (DATA / "responses_code_short.csv").read_bytes()


def test_real_csv_and_json_exports_parse_to_the_same_rows():
    from_json = parse_json_export((DATA / "responses_code_short.json").read_bytes())
    from_csv = parse_csv_export((DATA / "responses_code_short.csv").read_bytes())
    assert len(from_json) == 52
    assert from_csv == from_json
    by_id = {r["id"]: r for r in from_json}
    assert by_id[2]["mentortype[other]"] == "Grand-mère Hélène"
    assert by_id[3]["comments"] == 'She said "keep going", and I did.'
    assert by_id[5]["comments"] == "Line one\nLine two: more mentoring please!"
    assert by_id[4]["mentortype[SQ001]"] is None and by_id[1]["mentortype[SQ001]"] == ""
    assert by_id[8]["submitdate"] is None and by_id[8]["lastpage"] == 0


def test_session_keys_and_error_strings(server):
    assert rpc(server, "get_session_key", "analyst", "wrong") == {
        "status": "Invalid user name or password"
    }
    assert rpc(server, "list_questions", "not-a-key", SURVEY_ID) == {
        "status": "Invalid session key"
    }
    key = rpc(server, "get_session_key", "analyst", "Pa55word-not-in-logs")
    assert rpc(server, "get_site_settings", key, "versionnumber") == "6.14.0"
    questions = rpc(server, "list_questions", key, SURVEY_ID, None, "fr")
    assert len(questions) == 18
    assert {q["title"] for q in questions if q["parent_qid"] == 0} == {
        "pid", "age", "gender", "province", "hadmentor", "mentortype", "belong", "comments",
        "belongscore",
    }  # fmt: skip
    age = next(q for q in questions if q["title"] == "age")
    assert age["question"] == "Quel âge as-tu ?"
    assert rpc(server, "get_summary", key, SURVEY_ID) == {
        "completed_responses": 47,
        "incomplete_responses": 5,
        "full_responses": 52,
    }
    assert export(server, key, "json") and rpc(server, "release_session_key", key) == "OK"
    assert rpc(server, "get_summary", key, SURVEY_ID) == {"status": "Invalid session key"}


def test_inactive_empty_and_unknown_surveys(server):
    server.add_survey(222222, [], active=True)
    server.add_survey(333333, real_responses(), active=False)
    key = rpc(server, "get_session_key", "analyst", "Pa55word-not-in-logs")

    def status(sid):
        params = [key, sid, "json", None, "all", "code", "short", None, None, None, None]
        return rpc(server, "export_responses", *params)["status"]

    assert status(222222) == "No Data, could not get max id."
    assert status(333333) == "No Data, survey table does not exist."
    assert status(999999) == "No permission"
    assert rpc(server, "get_summary", key, 333333) == []


def test_range_and_fields(server):
    key = rpc(server, "get_session_key", "analyst", "Pa55word-not-in-logs")
    params = [key, SURVEY_ID, "json", None, "complete", "code", "short", 5, 9, ["id", "datestamp"]]
    rows = json.loads(base64.b64decode(rpc(server, "export_responses", *params)))["responses"]
    assert [r["id"] for r in rows] == [5, 6, 7, 9]  # 8 is incomplete
    assert set(rows[0]) == {"id", "datestamp"}


def test_the_export_headings_of_a_structure_are_the_real_exports():
    """The columns the server gives a survey imported from a ``.lss`` (no responses to copy
    them from) follow LimeSurvey's order: recorded fields, then each question's answers."""
    structure = Structure(DATA / "youth_mentoring.lss")
    assert structure.columns() == list(real_responses()[0])
