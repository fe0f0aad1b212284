"""A loopback LimeSurvey RemoteControl 2 server for the tests.

It is a real HTTP server on 127.0.0.1 (an ephemeral port) that speaks the
JSON-RPC wire format of LimeSurvey's ``index.php/admin/remotecontrol``: a POST of
``{"method", "params", "id"}`` answered by ``{"id", "result", "error"}``, where
LimeSurvey reports most failures as ``result = {"status": "..."}``.

What it says is taken from LimeSurvey's public RemoteControl 2 documentation
and from a real LimeSurvey 6.14 server (``tests/data/limesurvey/README.md``): the
survey structure is read from the real ``.lss`` export, the responses from the
real JSON export, and its JSON and CSV export writers reproduce the real export
files byte for byte (``test_sources_limesurvey_server.py`` checks this).

A survey can also be imported from a ``.lss`` file (``import_survey``, as ``ci-eval
instrument export`` writes them) and activated (``activate_survey``): the import renumbers
groups, questions and answers, renames question codes LimeSurvey refuses and drops answers
with codes it refuses, as LimeSurvey 6's importer does, and the survey then answers every
structure call from the imported file and exports the response columns its questions define.

Only code headings with short answers are exported (the only layout ci_eval
asks for); other layouts answer with a status saying so.

Tests can change the server's state (add, edit, delete responses; deactivate a
survey) and inject faults: delays (time-outs), HTTP 5xx, an HTML page instead of
JSON (a server that is not LimeSurvey), or a forgotten session key.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import socket
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "limesurvey"
SURVEY_ID = 111111
VERSION = "6.14.0"
DB_VERSION = 630


def lss_rows(root: ET.Element, table: str) -> list[dict[str, str]]:
    """The rows of one table of a ``.lss`` export."""
    return [{c.tag: c.text or "" for c in row} for row in root.findall(f"{table}/rows/row")]


def php_json(value: Any) -> str:
    """``json_encode`` as PHP does by default: compact, ``\\uXXXX`` escapes, ``\\/``."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")


def limesurvey_csv(rows: list[dict[str, Any]], columns: list[str], sep: str = ";") -> bytes:
    """LimeSurvey's CSV export: BOM, quoted fields, NULL as an empty unquoted field, CRLF."""

    def field_text(value: Any) -> str:
        if value is None:
            return ""
        return '"' + str(value).replace('"', '""') + '"'

    lines = [sep.join(field_text(c) for c in columns)]
    lines += [sep.join(field_text(row.get(c)) for c in columns) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class Structure:
    """The survey structure of a ``.lss`` file (a path or its bytes), as RemoteControl
    answers present it."""

    def __init__(self, lss: Path | bytes) -> None:
        root = ET.fromstring(lss) if isinstance(lss, bytes) else ET.parse(lss).getroot()
        if root.findtext("LimeSurveyDocType") != "Survey":
            raise ValueError("not a LimeSurvey survey structure file")
        self.survey = lss_rows(root, "surveys")[0]
        self.language_settings = {
            r["surveyls_language"]: r for r in lss_rows(root, "surveys_languagesettings")
        }
        self.languages = [self.survey["language"], *self.survey["additional_languages"].split()]
        self.groups = lss_rows(root, "groups")
        self.group_l10ns = lss_rows(root, "group_l10ns")
        self.questions = lss_rows(root, "questions") + lss_rows(root, "subquestions")
        self.question_l10ns = lss_rows(root, "question_l10ns")
        self.answers = lss_rows(root, "answers")
        self.answer_l10ns = lss_rows(root, "answer_l10ns")

    def columns(self) -> list[str]:
        """The code headings of an export: the recorded fields, then each question's answers
        (``q``, ``q[row]``, ``q[other]``) in group and question order."""
        settings = self.survey
        fields = ["id", "submitdate", "lastpage", "startlanguage", "seed"]
        if settings.get("anonymized") == "N" and settings.get("usetokens") == "Y":
            fields.append("token")
        if settings.get("datestamp") == "Y":
            fields += ["startdate", "datestamp"]
        fields += [f for f in ("ipaddr", "refurl") if settings.get(f) == "Y"]
        group_order = {g["gid"]: int(g["group_order"]) for g in self.groups}
        parents = sorted(
            (q for q in self.questions if q["parent_qid"] == "0"),
            key=lambda q: (group_order[q["gid"]], int(q["question_order"])),
        )
        for q in parents:
            if q["type"] in ("X", "|"):
                continue  # text display and file upload: no answer column here
            rows = sorted(
                (s for s in self.questions if s["parent_qid"] == q["qid"]),
                key=lambda s: int(s["question_order"]),
            )
            fields += [f"{q['title']}[{r['title']}]" for r in rows] or [q["title"]]
            if q["other"] == "Y":
                fields.append(f"{q['title']}[other]")
        return fields

    def renumber(self, sid: int, first_id: int) -> None:
        """New survey, group, question and answer ids from ``first_id`` on, as an import
        gives, with what LimeSurvey 6's importer (``XMLImportSurvey``) does to codes it
        refuses: a question code loses what is not a letter or digit and gains a ``q``
        (a row ``sq``) before a leading digit, and an answer whose code is not 1 to 5
        letters or digits is not saved (it is dropped, without a warning)."""
        ids = iter(range(first_id, first_id + 10**6))
        gids = {g["gid"]: str(next(ids)) for g in self.groups}
        qids = {q["qid"]: str(next(ids)) for q in self.questions}
        self.survey["sid"] = str(sid)
        for row in self.language_settings.values():
            row["surveyls_survey_id"] = str(sid)
        for g in self.groups:
            g.update(gid=gids[g["gid"]], sid=str(sid))
        for row in self.group_l10ns:
            row["gid"] = gids[row["gid"]]
        for q in self.questions:
            q.update(qid=qids[q["qid"]], gid=gids[q["gid"]], sid=str(sid))
            q["parent_qid"] = qids.get(q["parent_qid"], "0")
            q["title"] = _imported_code(q["title"], q["parent_qid"] != "0")
        for row in self.question_l10ns:
            row["qid"] = qids[row["qid"]]
        self.answers = [a for a in self.answers if re.fullmatch(r"[A-Za-z0-9]{1,5}", a["code"])]
        aids = {a["aid"]: str(next(ids)) for a in self.answers}
        for a in self.answers:
            a.update(aid=aids[a["aid"]], qid=qids[a["qid"]])
        self.answer_l10ns = [r for r in self.answer_l10ns if r["aid"] in aids]
        for row in self.answer_l10ns:
            row["aid"] = aids[row["aid"]]

    def _text(self, qid: str, lang: str) -> dict[str, str]:
        for row in self.question_l10ns:
            if row["qid"] == qid and row["language"] == lang:
                return row
        return {"question": "", "help": ""}

    def list_groups(self, lang: str) -> list[dict[str, Any]]:
        out = []
        for g in self.groups:
            text = next(
                r for r in self.group_l10ns if r["gid"] == g["gid"] and r["language"] == lang
            )
            out.append(
                {
                    "gid": int(g["gid"]),
                    "sid": int(g["sid"]),
                    "group_order": int(g["group_order"]),
                    "randomization_group": g["randomization_group"],
                    "grelevance": g["grelevance"],
                    "group_name": text["group_name"],
                    "description": text["description"],
                    "language": lang,
                    "id": int(text["id"]),
                }
            )
        return out

    def list_questions(self, lang: str, gid: int | None) -> list[dict[str, Any]]:
        out = []
        for q in self.questions:
            if gid is not None and int(q["gid"]) != gid:
                continue
            text = self._text(q["qid"], lang)
            out.append(
                {
                    "id": int(text.get("id", 0) or 0),
                    "qid": int(q["qid"]),
                    "parent_qid": int(q["parent_qid"]),
                    "sid": int(q["sid"]),
                    "gid": int(q["gid"]),
                    "type": q["type"],
                    "title": q["title"],
                    "question": text["question"],
                    "help": text["help"],
                    "preg": q["preg"],
                    "other": q["other"],
                    "mandatory": q["mandatory"],
                    "encrypted": q["encrypted"],
                    "question_order": int(q["question_order"]),
                    "scale_id": int(q["scale_id"]),
                    "same_default": int(q["same_default"]),
                    "same_script": int(q["same_script"]),
                    "relevance": q["relevance"],
                    "question_theme_name": q["question_theme_name"],
                    "modulename": q["modulename"],
                    "language": lang,
                }
            )
        return out

    def question_properties(self, qid: int, lang: str) -> dict[str, Any] | None:
        q = next((q for q in self.questions if int(q["qid"]) == qid), None)
        if q is None:
            return None
        text = self._text(q["qid"], lang)
        options = {}
        for a in sorted(
            (a for a in self.answers if a["qid"] == q["qid"]), key=lambda a: int(a["sortorder"])
        ):
            label = next(
                r for r in self.answer_l10ns if r["aid"] == a["aid"] and r["language"] == lang
            )
            options[a["code"]] = {
                "answer": label["answer"],
                "assessment_value": int(a["assessment_value"]),
                "scale_id": int(a["scale_id"]),
                "order": int(a["sortorder"]),
            }
        subs = {}
        for s in self.questions:
            if s["parent_qid"] == q["qid"]:
                subs[s["qid"]] = {
                    "title": s["title"],
                    "question": self._text(s["qid"], lang)["question"],
                    "scale_id": int(s["scale_id"]),
                }
        return {
            "qid": int(q["qid"]),
            "parent_qid": int(q["parent_qid"]),
            "gid": int(q["gid"]),
            "sid": int(q["sid"]),
            "title": q["title"],
            "type": q["type"],
            "question": text["question"],
            "help": text["help"],
            "other": q["other"],
            "mandatory": q["mandatory"],
            "question_order": int(q["question_order"]),
            "answeroptions": options or "No available answers",
            "subquestions": subs or "No available answers",
        }


LOCKED_OUT = (
    "You have exceeded the number of maximum login attempts. Please wait 10 minutes before "
    "trying again."
)


@dataclass
class Survey:
    """One survey on the server: structure, responses, active or not."""

    structure: Structure
    responses: dict[int, dict[str, Any]]
    active: bool = True
    next_id: int = 1

    @property
    def columns(self) -> list[str]:
        first = next(iter(self.responses.values()), None)
        return list(first) if first else self.structure.columns()


@dataclass
class Fault:
    """A failure to inject on matching calls."""

    kind: str  # "delay" | "http500" | "html" | "empty" | "forget_session" | "garbage"
    method: str | None = None
    times: int = 1
    skip: int = 0
    seconds: float = 0.0
    result: Any = None  # "garbage": the nonsense sent as a well-formed JSON-RPC result


@dataclass
class ServerLog:
    """What the server saw (never the password)."""

    methods: list[str] = field(default_factory=list)
    export_params: list[dict[str, Any]] = field(default_factory=list)
    export_rows: list[int] = field(default_factory=list)
    released: int = 0
    bodies: list[bytes] = field(default_factory=list)


class FakeLimeSurvey:
    """The loopback server; start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.users = users or {"analyst": "Pa55word-not-in-logs"}
        self.surveys: dict[int, Survey] = {}
        self.sessions: set[str] = set()
        self.failed_logins: dict[str, int] = {}
        self.faults: list[Fault] = []
        self.log = ServerLog()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- state
    def add_survey(self, sid: int, rows: list[dict[str, Any]], *, active: bool = True) -> Survey:
        structure = Structure(DATA / "youth_mentoring.lss")
        responses = {int(r["id"]): copy.deepcopy(r) for r in rows}
        survey = Survey(structure, responses, active, max(responses, default=0) + 1)
        self.surveys[sid] = survey
        return survey

    def add_responses(self, sid: int, rows: list[dict[str, Any]]) -> list[int]:
        survey = self.surveys[sid]
        ids = []
        with self._lock:
            for row in rows:
                new = copy.deepcopy(row)
                new["id"] = survey.next_id
                survey.responses[survey.next_id] = new
                ids.append(survey.next_id)
                survey.next_id += 1  # ids are never reused, even after a delete
        return ids

    def edit_response(
        self, sid: int, rid: int, changes: dict[str, Any], datestamp: str | None = None
    ) -> None:
        """Change a response; ``datestamp=None`` keeps it, as RemoteControl's
        ``update_response`` does (only an edit in the survey itself moves it)."""
        with self._lock:
            row = self.surveys[sid].responses[rid]
            row.update(changes, datestamp=row["datestamp"] if datestamp is None else datestamp)

    def delete_response(self, sid: int, rid: int) -> None:
        with self._lock:
            del self.surveys[sid].responses[rid]

    def inject(self, kind: str, method: str | None = None, **options: Any) -> None:
        self.faults.append(Fault(kind, method, **options))

    # --------------------------------------------------------------- server
    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/index.php/admin/remotecontrol"

    def start(self) -> FakeLimeSurvey:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def _fault_for(self, method: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times <= 0 or fault.method not in (None, method):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                return fault
        return None

    # ------------------------------------------------------------ the API
    def dispatch(self, method: str, params: list[Any]) -> Any:
        handler = getattr(self, f"rpc_{method}", None)
        if handler is None:
            return {"status": f"Method {method} not implemented by the test server"}
        open_methods = ("get_session_key", "release_session_key")  # release always says OK
        if method not in open_methods and (not params or params[0] not in self.sessions):
            return {"status": "Invalid session key"}
        return handler(*params)

    def rpc_get_session_key(self, user: str, password: str, plugin: str = "Authdb") -> Any:
        # LimeSurvey 6 locks a user out after 3 failed log-ins (maxLoginAttempt), for 10
        # minutes (timeOutTime), with this status; the correct password is refused too
        if self.failed_logins.get(user, 0) >= 3:
            return {"status": LOCKED_OUT}
        if self.users.get(user) != password:
            self.failed_logins[user] = self.failed_logins.get(user, 0) + 1
            return {"status": "Invalid user name or password"}
        key = secrets.token_hex(16)
        self.sessions.add(key)
        return key

    def rpc_release_session_key(self, key: str) -> str:
        self.sessions.discard(key)
        self.log.released += 1
        return "OK"

    def rpc_get_site_settings(self, key: str, name: str) -> Any:
        return {"versionnumber": VERSION, "dbversionnumber": DB_VERSION}.get(
            name, {"status": "Invalid setting"}
        )

    def _survey(self, sid: Any) -> Survey | None:
        try:
            return self.surveys.get(int(sid))
        except (TypeError, ValueError):
            return None

    def rpc_get_survey_properties(self, key: str, sid: int, settings: Any = None) -> Any:
        survey = self._survey(sid)
        if survey is None:
            return {"status": "Error: Invalid survey ID"}
        props = {**survey.structure.survey, "active": "Y" if survey.active else "N"}
        props["sid"] = int(props["sid"])
        return {k: props.get(k) for k in settings} if settings else props

    def rpc_get_language_properties(
        self, key: str, sid: int, settings: Any = None, lang: str | None = None
    ) -> Any:
        survey = self._survey(sid)
        if survey is None:
            return {"status": "Error: Invalid survey ID"}
        lang = lang or survey.structure.languages[0]
        props = survey.structure.language_settings.get(lang)
        if props is None:
            return {"status": "Error: Invalid language"}
        return {k: props.get(k) for k in settings} if settings else dict(props)

    def rpc_import_survey(
        self,
        key: str,
        data: str,
        data_type: str,
        name: str | None = None,
        sid: int | None = None,
    ) -> Any:
        """``import_survey``: the new survey's id; it keeps the file's id when free."""
        if data_type != "lss":
            return {"status": "Invalid extension"}
        try:
            structure = Structure(base64.b64decode(data))
        except (ValueError, ET.ParseError):
            return {"status": "Error: Invalid survey structure file"}
        wanted = int(sid or structure.survey["sid"])
        with self._lock:
            new_sid = wanted if wanted not in self.surveys else max(self.surveys) + 1
            first_id = 1 + sum(
                len(s.structure.questions) + len(s.structure.answers) for s in self.surveys.values()
            )
            structure.renumber(new_sid, 1000 + first_id)
            if name:
                for row in structure.language_settings.values():
                    row["surveyls_title"] = name
            self.surveys[new_sid] = Survey(structure, {}, active=False)
        return new_sid

    def rpc_activate_survey(self, key: str, sid: int, settings: Any = None) -> Any:
        survey = self._survey(sid)
        if survey is None:
            return {"status": "Error: Invalid survey ID"}
        survey.active = True
        return {"status": "OK"}

    def rpc_get_summary(self, key: str, sid: int, stat: str = "all") -> Any:
        survey = self._survey(sid)
        if survey is None:
            return {"status": "Invalid surveyid"}
        if not survey.active:
            return []
        done = sum(r["submitdate"] is not None for r in survey.responses.values())
        summary = {
            "completed_responses": done,
            "incomplete_responses": len(survey.responses) - done,
            "full_responses": len(survey.responses),
        }
        return summary if stat == "all" else summary[stat]

    def rpc_list_groups(self, key: str, sid: int, lang: str | None = None) -> Any:
        survey = self._survey(sid)
        if survey is None:
            return {"status": "Error: Invalid survey ID"}
        return survey.structure.list_groups(lang or survey.structure.languages[0])

    def rpc_list_questions(
        self, key: str, sid: int, gid: int | None = None, lang: str | None = None
    ) -> Any:
        survey = self._survey(sid)
        if survey is None:
            return {"status": "Error: Invalid survey ID"}
        rows = survey.structure.list_questions(lang or survey.structure.languages[0], gid)
        return rows or {"status": "No questions found"}

    def rpc_get_question_properties(
        self, key: str, qid: int, settings: Any = None, lang: str | None = None
    ) -> Any:
        for survey in self.surveys.values():
            props = survey.structure.question_properties(int(qid), lang or "en")
            if props is not None:
                return {k: props.get(k) for k in settings} if settings else props
        return {"status": "Error: Invalid questionid"}

    def rpc_export_responses(
        self,
        key: str,
        sid: int,
        doc_type: str,
        lang: str | None = None,
        completion: str = "all",
        heading: str = "code",
        response_type: str = "short",
        from_id: int | None = None,
        to_id: int | None = None,
        fields: list[str] | None = None,
        options: dict[str, Any] | None = None,
    ) -> Any:
        survey = self._survey(sid)
        self.log.export_params.append(
            {"from": from_id, "to": to_id, "completion": completion, "fields": fields}
        )
        if survey is None:
            return {"status": "No permission"}
        if not survey.active:
            return {"status": "No Data, survey table does not exist."}
        if not survey.responses:
            return {"status": "No Data, could not get max id."}
        if heading != "code" or response_type != "short" or doc_type not in ("json", "csv"):
            return {"status": "The test server exports code headings and short answers only"}
        columns = survey.columns
        if fields:
            names = _fieldmap_names()
            columns = [c for c in columns if c in {names.get(f, f) for f in fields}]
        rows = []
        with self._lock:
            for rid in sorted(survey.responses):
                row = survey.responses[rid]
                if from_id is not None and rid < int(from_id):
                    continue
                if to_id is not None and rid > int(to_id):
                    continue
                done = row["submitdate"] is not None
                if (completion == "complete" and not done) or (completion == "incomplete" and done):
                    continue
                rows.append({c: row.get(c) for c in columns})
        self.log.export_rows.append(len(rows))
        if doc_type == "json":
            body = '{"responses": [' + ",".join(php_json(r) for r in rows) + "]}"
            data = body.encode("utf-8")
        else:
            sep = (options or {}).get("csvFieldSeparator", ";")
            data = limesurvey_csv(rows, columns, sep)
        return base64.b64encode(data).decode("ascii")


def _imported_code(title: str, row: bool) -> str:
    """A question (or row) code as LimeSurvey 6's importer saves it: unchanged when valid
    (a letter, then letters or digits; a row: letters or digits), else without what is not
    a letter or digit, with ``q`` (a row: ``sq``) before a leading digit."""
    pattern = r"[A-Za-z0-9]{1,20}" if row else r"[A-Za-z][A-Za-z0-9]{0,19}"
    if re.fullmatch(pattern, title):
        return title
    fixed = re.sub(r"[^A-Za-z0-9]", "", title)
    return ("sq" if row else "q") + fixed if fixed[:1].isdigit() else fixed


def _fieldmap_names() -> dict[str, str]:
    """Internal field names (``111111X5X79B1``) -> code headings (``belong[B1]``)."""
    fieldmap = json.loads((DATA / "fieldmap.json").read_text(encoding="utf-8"))
    names = {}
    for name, entry in fieldmap.items():
        title, aid = entry.get("title") or "", entry.get("aid") or ""
        names[name] = f"{title}[{aid}]" if title and aid else (title or name)
    return names


def real_responses() -> list[dict[str, Any]]:
    """The 52 responses of the real JSON export."""
    doc = json.loads((DATA / "responses_code_short.json").read_text(encoding="utf-8"))
    return doc["responses"]


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLimeSurvey
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # headers and body go out as two writes: without this, Nagle's algorithm
        # and delayed ACKs add ~40 ms to every keep-alive request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a time-out test)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.fake.log.bodies.append(body)
        try:
            request = json.loads(body)
            method, params, rid = request["method"], request.get("params", []), request["id"]
        except (json.JSONDecodeError, KeyError, TypeError):
            self._send(200, b"", "application/json")  # LimeSurvey answers nonsense with nothing
            return
        self.fake.log.methods.append(method)
        fault = self.fake._fault_for(method)
        if fault is not None:
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault.kind == "http500":
                self._send(500, b"<h1>Internal Server Error</h1>", "text/html")
                return
            elif fault.kind == "html":
                page = b"<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>"
                self._send(200, page, "text/html")
                return
            elif fault.kind == "empty":
                self._send(200, b"", "application/json")
                return
            elif fault.kind == "forget_session":
                self.fake.sessions.clear()
            elif fault.kind == "garbage":
                reply = json.dumps({"id": rid, "result": fault.result, "error": None})
                self._send(200, reply.encode("utf-8"), "application/json")
                return
        result = self.fake.dispatch(method, params)
        reply = json.dumps({"id": rid, "result": result, "error": None}).encode("utf-8")
        self._send(200, reply, "application/json")
