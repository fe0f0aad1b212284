"""Talking to a LimeSurvey server: RemoteControl 2 (JSON-RPC) through ``citric``.

:class:`LimeSurveyConnection` opens a session (the key is always released),
sets a time-out on every HTTP request, retries transient failures (time-outs,
refused connections, HTTP 5xx) with exponential backoff, logs in again once
when the server says ``Invalid session key``, and turns every LimeSurvey status
string into a :class:`~ci_eval.errors.SourceError` that says what to do. No
message it produces contains the password.

Exports are parsed from LimeSurvey's own layouts: JSON ``{"responses": [...]}``
and CSV (``;`` separator, UTF-8 byte-order mark, CRLF, NULL as an empty
unquoted field, an empty string as ``""``).

>>> parse_csv_export(b'\\xef\\xbb\\xbf"id";"lastpage";"q";"t"\\r\\n"7";"1";;""\\r\\n')
[{'id': 7, 'lastpage': 1, 'q': None, 't': ''}]
>>> parse_json_export(b'{"responses": [{"id": 7, "q": null}]}')
[{'id': 7, 'q': None}]
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from citric import Client
from citric.exceptions import (
    InvalidJSONResponseError,
    LimeSurveyApiError,
    LimeSurveyStatusError,
    ResponseMismatchError,
    RPCInterfaceNotEnabledError,
)

from ci_eval.errors import SourceError
from ci_eval.sources.credentials import Credentials

logger = logging.getLogger(__name__)

__all__ = [
    "INTEGER_FIELDS",
    "LimeSurveyConnection",
    "parse_csv_export",
    "parse_json_export",
    "public_url",
]

T = TypeVar("T")

INTEGER_FIELDS = ("id", "lastpage")
"""Response fields LimeSurvey exports as integers; every other answer is text or null."""

NO_RESPONSES = "No Data, could not get max id."
NO_TABLE = "No Data, survey table does not exist."
BAD_LOGIN = "Invalid user name or password"
BAD_KEY = "Invalid session key"
_NO_SURVEY = ("No permission", "Error: Invalid survey ID", "Invalid surveyid", "Invalid survey ID")


def public_url(url: str) -> str:
    """The server address without any user information, for messages.

    >>> public_url("https://bob:pw@survey.example.org/index.php/admin/remotecontrol")
    'https://survey.example.org/index.php/admin/remotecontrol'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class _TimeoutSession(requests.Session):
    """A requests session with a default time-out on every request."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


class _TransientError(Exception):
    """A failure worth retrying (time-out, refused connection, HTTP 5xx)."""


class LimeSurveyConnection:
    """A RemoteControl 2 session with time-outs, retries and clear errors.

    Use as a context manager; the session key is released on exit, whatever
    happened inside.

    Parameters
    ----------
    url : str
        The RemoteControl endpoint, ``.../index.php/admin/remotecontrol``.
    credentials : Credentials
        The LimeSurvey user.
    timeout : float
        Seconds to wait for each HTTP response.
    retries : int
        Extra attempts after a transient failure.
    backoff : float
        First wait between attempts, in seconds; doubles each time.
    sleep : callable
        Waits between attempts (``time.sleep``; tests pass a no-op).
    """

    def __init__(
        self,
        url: str,
        credentials: Credentials,
        *,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self._credentials = credentials
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep
        self._client: Client | None = None
        self.calls = 0

    # ------------------------------------------------------------ session
    def __enter__(self) -> LimeSurveyConnection:
        try:
            self._client = self._attempt(self._login, "log in")
        except LimeSurveyStatus as exc:  # e.g. a lock-out after too many bad passwords
            raise SourceError(
                f"LimeSurvey at {public_url(self.url)} refused to log in: the server says "
                f"{exc.status!r}; do what it says, and check {self._read_from()}"
            ) from None
        return self

    def _read_from(self) -> str:
        origin = self._credentials.origin
        return f"the credentials read from {origin}" if origin else "the credentials"

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        self.close()
        if isinstance(exc, UNREADABLE):
            # a server that logs in, then answers with something else than LimeSurvey sends
            raise SourceError(
                f"LimeSurvey at {public_url(self.url)} sent an answer ci_eval cannot read "
                f"({type(exc).__name__}: {exc}); it does not answer like LimeSurvey's "
                "RemoteControl 2 (LimeSurvey 3 to 6): check the url, the server's version, and "
                "that no proxy or plugin rewrites its answers. The snapshots held are unchanged"
            ) from None

    def close(self) -> None:
        """Release the session key (failures to release are logged, not raised)."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.close()
        except Exception as exc:  # the server may be the reason we are closing
            logger.warning("could not release the LimeSurvey session key: %s", type(exc).__name__)

    def _login(self) -> Client:
        return Client(
            self.url,
            self._credentials.user,
            self._credentials.password,
            requests_session=_TimeoutSession(self._timeout),
        )

    def call(self, what: str, fn: Callable[[Client], T], *, statuses: bool = False) -> T:
        """Run ``fn(client)`` with retries; ``what`` names it in messages.

        A LimeSurvey status string becomes a SourceError, or, with
        ``statuses=True``, a :class:`LimeSurveyStatus` for the caller to read.
        """
        if self._client is None:
            raise RuntimeError("use LimeSurveyConnection as a context manager")
        try:
            try:
                return self._attempt(lambda: fn(self._client), what)  # type: ignore[arg-type]
            except _SessionExpiredError:
                logger.info("session key expired; logging in again")
                self.close()
                self._client = self._attempt(self._login, "log in")
                return self._attempt(lambda: fn(self._client), what)  # type: ignore[arg-type]
        except LimeSurveyStatus as exc:
            if statuses:
                raise
            raise SourceError(
                f"LimeSurvey at {public_url(self.url)}: {what} failed: {exc.status}"
            ) from None

    def _attempt(self, fn: Callable[[], T], what: str) -> T:
        where = public_url(self.url)
        for attempt in range(self._retries + 1):
            self.calls += 1
            try:
                return self._translate(fn, what)
            except _TransientError as exc:
                if attempt == self._retries:
                    raise SourceError(
                        f"LimeSurvey at {where}: {what} failed after {attempt + 1} attempts "
                        f"({exc}); check the server is up, or raise `timeout`/`retries` on the "
                        "source in ci-eval.toml"
                    ) from None
                wait = self._backoff * 2**attempt
                logger.info("%s: %s; retrying in %.1f s", what, exc, wait)
                self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _translate(self, fn: Callable[[], T], what: str) -> T:
        where = public_url(self.url)
        try:
            return fn()
        except requests.Timeout:
            raise _TransientError(f"no answer within {self._timeout:g} s") from None
        except requests.ConnectionError:
            raise _TransientError("cannot connect") from None
        except requests.HTTPError as exc:
            code = exc.response.status_code if exc.response is not None else 0
            if code >= 500:
                raise _TransientError(f"HTTP {code}") from None
            raise SourceError(
                f"LimeSurvey at {where}: {what} got HTTP {code}; check the url points at "
                "index.php/admin/remotecontrol"
            ) from None
        except (
            InvalidJSONResponseError,
            RPCInterfaceNotEnabledError,
            ResponseMismatchError,
            KeyError,
            TypeError,
        ):
            raise SourceError(
                f"{where} does not answer like a LimeSurvey RemoteControl 2 server ({what}); "
                "check the url ends with index.php/admin/remotecontrol and that the JSON-RPC "
                "interface is enabled (Global settings > Interfaces)"
            ) from None
        except LimeSurveyStatusError as exc:
            status = str(exc)
            if status.startswith(BAD_KEY):
                raise _SessionExpiredError from None
            if status.startswith(BAD_LOGIN):
                raise SourceError(
                    f"LimeSurvey at {where} refused the user name or password; check "
                    f"{self._read_from()} (after a few failures the server locks the user "
                    "out for a while)"
                ) from None
            raise LimeSurveyStatus(status, what) from None
        except LimeSurveyApiError as exc:
            raise SourceError(f"LimeSurvey at {where}: {what} failed: {exc}") from None

    # ------------------------------------------------------------ queries
    def server_version(self) -> str:
        """The LimeSurvey version, e.g. ``"6.14.0"``."""
        return str(self.call("get the server version", lambda c: c.get_server_version()))

    def survey_properties(self, survey_id: int, properties: Sequence[str]) -> dict[str, Any]:
        """Survey properties; a SourceError if the survey does not exist."""
        try:
            return dict(
                self.call(
                    "read the survey properties",
                    lambda c: c.get_survey_properties(survey_id, list(properties)),
                    statuses=True,
                )
            )
        except LimeSurveyStatus as exc:
            raise self._survey_error(survey_id, exc) from None

    def summary(self, survey_id: int) -> dict[str, int] | None:
        """Response counts, or None for an inactive survey."""
        got = self.call("read the survey summary", lambda c: c.get_summary(survey_id))
        if got is not None and not isinstance(got, Mapping):
            raise TypeError(f"get_summary answered a {type(got).__name__}, not an object")
        return None if got is None else {k: int(v) for k, v in dict(got).items()}

    def rpc(self, what: str, method: str, *params: Any) -> Any:
        """Call a RemoteControl method by name (for structure queries).

        A status string (``No questions found``) is returned as ``{"status": ...}``.
        """
        try:
            return self.call(what, lambda c: getattr(c.session, method)(*params), statuses=True)
        except LimeSurveyStatus as exc:
            return {"status": exc.status}

    def export(
        self,
        survey_id: int,
        *,
        completed_only: bool,
        from_id: int | None = None,
        to_id: int | None = None,
        fields: Sequence[str] | None = None,
        file_format: str = "json",
    ) -> list[dict[str, Any]]:
        """Export responses (code headings, short answers) as a list of rows.

        An active survey with no responses (or none in the range) gives ``[]``.
        """

        def run(c: Client) -> bytes:
            return c.export_responses(
                survey_id,
                file_format=file_format,
                completion_status="complete" if completed_only else "all",
                heading_type="code",
                response_type="short",
                from_response_id=from_id,
                to_response_id=to_id,
                fields=list(fields) if fields is not None else None,
            )

        try:
            raw = self.call("export responses", run, statuses=True)
        except LimeSurveyStatus as exc:
            if exc.status.startswith(NO_RESPONSES):
                return []
            raise self._survey_error(survey_id, exc) from None
        try:
            return parse_json_export(raw) if file_format == "json" else parse_csv_export(raw)
        except SourceError as exc:
            raise SourceError(f"LimeSurvey at {public_url(self.url)}: {exc}") from None

    def _survey_error(self, survey_id: int, exc: LimeSurveyStatus) -> SourceError:
        where = public_url(self.url)
        if exc.status.startswith(NO_TABLE):
            return SourceError(
                f"LimeSurvey at {where}: survey {survey_id} is not active (no responses table: "
                f"{exc.status!r}); activate it in LimeSurvey, or check survey_id"
            )
        if exc.status.startswith(_NO_SURVEY):
            return SourceError(
                f"LimeSurvey at {where}: survey {survey_id} does not exist or this user has no "
                f"permission on it ({exc.status!r}); check survey_id in ci-eval.toml"
            )
        return SourceError(f"LimeSurvey at {where}: {exc.what} failed: {exc.status}")


class _SessionExpiredError(Exception):
    """The server no longer knows our session key."""


UNREADABLE = (TypeError, ValueError, AttributeError, KeyError, IndexError)
"""What reading a malformed answer raises (base64 and JSON errors are ValueErrors): inside a
connection's ``with`` block these become a :class:`SourceError` naming the server."""


class LimeSurveyStatus(Exception):  # noqa: N818 - a status, handled by the caller
    """A status string from LimeSurvey that the caller may interpret."""

    def __init__(self, status: str, what: str) -> None:
        super().__init__(status)
        self.status = status
        self.what = what


# ------------------------------------------------------------- the exports
def _integers(row: dict[str, Any]) -> dict[str, Any]:
    for key in INTEGER_FIELDS:
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            row[key] = int(value)
        elif value == "":
            row[key] = None
    return row


def parse_json_export(data: bytes) -> list[dict[str, Any]]:
    """Rows of a JSON export (``{"responses": [...]}``).

    Older LimeSurvey versions wrap each row as ``{"<id>": {...}}``; both are read.
    """
    try:
        doc = json.loads(data.decode("utf-8-sig")) if data.strip() else {"responses": []}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"the JSON export is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("responses"), list):
        raise SourceError('the JSON export has no "responses" list; is this LimeSurvey?')
    rows = []
    for item in doc["responses"]:
        if isinstance(item, dict) and len(item) == 1:
            (key, inner), = item.items()  # fmt: skip
            if str(key).isdigit() and isinstance(inner, dict):
                item = inner
        rows.append(_integers(dict(item)))
    return rows


def parse_csv_export(data: bytes, separator: str = ";") -> list[dict[str, Any]]:
    """Rows of a CSV export in LimeSurvey's layout.

    A quoted field is a string (``""`` is the empty string); an empty unquoted
    field is NULL (``None``); quoted fields may hold separators, doubled quotes
    and line breaks.
    """
    text = data.decode("utf-8-sig")
    records = list(_csv_records(text, separator))
    if not records:
        return []
    header = [h if h is not None else "" for h in records[0]]
    rows = []
    for number, values in enumerate(records[1:], start=2):
        if values == [None]:  # LimeSurvey ends the file with an empty line
            continue
        if len(values) != len(header):
            raise SourceError(
                f"the CSV export has {len(values)} fields on record {number} but "
                f"{len(header)} in the header"
            )
        rows.append(_integers(dict(zip(header, values, strict=True))))
    return rows


def _csv_records(text: str, sep: str) -> Any:
    """Split CSV text into records of fields (str, or None for NULL)."""
    i, n = 0, len(text)
    record: list[str | None] = []
    while i < n:
        if text[i] == '"':
            j, parts = i + 1, []
            while True:
                k = text.find('"', j)
                if k < 0:
                    raise SourceError("the CSV export ends inside a quoted field; it is truncated")
                parts.append(text[j:k])
                if k + 1 < n and text[k + 1] == '"':
                    parts.append('"')
                    j = k + 2
                    continue
                i = k + 1
                break
            record.append("".join(parts))
        else:
            ends = [p for p in (text.find(sep, i), text.find("\n", i)) if p >= 0]
            end = min(ends) if ends else n
            field = text[i:end].rstrip("\r")
            record.append(field if field else None)
            i = end
        if i >= n:
            yield record
            return
        if text[i] == sep:
            i += 1
            if i >= n:
                record.append(None)
                yield record
                return
            continue
        # end of record: CRLF or LF
        if text.startswith("\r\n", i):
            i += 2
        elif text[i] == "\n":
            i += 1
        else:
            raise SourceError(f"the CSV export has a stray character after a quote at {i}")
        yield record
        record = []
