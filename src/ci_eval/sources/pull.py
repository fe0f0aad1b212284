"""Pull a study's sources into raw snapshots, and read the snapshots back.

:func:`pull` runs the pull of every (or one) survey and wave of a study:

* a LimeSurvey source is pulled incrementally: only responses after the last
  response id already held are exported (in batches of ``batch_size`` ids, so
  memory stays bounded), and the ids already held are checked against the
  server (``id`` + ``datestamp``, batch by batch): responses edited, deleted,
  or completed late since the last pull are *reported*. Late completions are
  pulled (they are new); edits and deletions are applied only when asked
  (``accept_changes``), and are then recorded in the snapshot's ``meta.json``
  (``revised``, ``withdrawn``) — earlier snapshots are never rewritten.
* a file source is read whole; a new snapshot is written only when the file's
  bytes changed.

:func:`load_responses` assembles a wave from its snapshots, and
:func:`wave_codebook` gives the codebook the latest snapshot describes.

>>> import tempfile, pathlib, pandas as pd
>>> from ci_eval.study import load_study
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "ci-eval.toml").write_text('''
... [study]
... name = "Demo"
... edition = "2024"
... [waves]
... baseline = "2024"
... all = ["2024"]
... [surveys.youth.sources.2024]
... type = "file"
... path = "youth_2024.parquet"
... ''', encoding="utf-8")
>>> pd.DataFrame({"age": [19, 24]}).to_parquet(folder / "youth_2024.parquet")
>>> study = load_study(folder)
>>> [(r.wave, r.rows) for r in pull(study, when="2026-01-01T00:00:00Z")]
[('2024', 2)]
>>> load_responses(study, "youth", "2024")["age"].tolist()
[19, 24]
>>> wave_codebook(study, "youth", "2024").variables["age"].type
'numeric'
>>> pull(study)[0].up_to_date
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ci_eval.codebook import Change, Codebook
from ci_eval.errors import CodebookError, SourceError
from ci_eval.sources.credentials import credentials_from_env
from ci_eval.sources.files import read_survey_file
from ci_eval.sources.limesurvey import INTEGER_FIELDS, LimeSurveyConnection, public_url
from ci_eval.sources.limesurvey_structure import (
    codebook_from_structure,
    column_name,
    fetch_structure,
)
from ci_eval.sources.progress import progress_bar
from ci_eval.sources.settings import FileSource, LimeSurveySource, SourceStudy
from ci_eval.sources.snapshots import Snapshot, SnapshotStore, sha256_file

logger = logging.getLogger(__name__)

__all__ = [
    "PullReport",
    "load_responses",
    "pull",
    "pull_file",
    "pull_limesurvey",
    "snapshot_store",
    "type_responses",
    "wave_codebook",
]


@dataclass
class PullReport:
    """What one pull of one wave did; printed by ``ci-eval pull``."""

    survey: str
    wave: str
    source: str
    snapshot: Snapshot | None
    rows: int = 0
    new: int = 0
    late: list[int] = field(default_factory=list)
    edited: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    accepted: bool = False
    variables: int = 0
    total_rows: int = 0
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        """True when nothing new was found and no snapshot was written."""
        return self.snapshot is None


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def snapshot_store(study: SourceStudy, survey: str, wave: str) -> SnapshotStore:
    """The snapshot folder of one wave: ``surveys/<survey>/raw/<wave>``."""
    return SnapshotStore(study.path(f"surveys/{survey}/raw/{wave}"))


def pull(
    study: SourceStudy,
    survey: str | None = None,
    wave: str | None = None,
    *,
    accept_changes: bool = False,
    progress: bool = False,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    when: str | None = None,
    verify_held: bool = False,
) -> list[PullReport]:
    """Pull every source of a study (or of one survey / one wave).

    Parameters
    ----------
    study : Study
        The loaded study.
    survey, wave : str, optional
        Restrict the pull.
    accept_changes : bool
        Apply edits and deletions found on a LimeSurvey server (otherwise they
        are only reported).
    progress : bool
        Show progress bars.
    environ : mapping, optional
        Where credentials are read (default: the process environment).
    sleep : callable
        Waits between retries (tests pass a no-op).
    when : str, optional
        The pull's UTC time, ``YYYY-MM-DDTHH:MM:SSZ`` (default: now).
    verify_held : bool
        Compare the content of every response held with the server (LimeSurvey).
    """
    names = [survey] if survey is not None else list(study.surveys)
    stamp = when or _utc_now()  # one time for every snapshot of this pull
    reports = []
    for name in names:
        config = study.survey(name)
        waves = [str(wave)] if wave is not None else list(config.sources)
        for w in waves:
            source = study.source(name, w)
            store = snapshot_store(study, name, w)
            with store.locked():
                if isinstance(source, LimeSurveySource):
                    report = pull_limesurvey(
                        source,
                        store,
                        survey=name,
                        wave=w,
                        languages=source.languages or study.study.languages,
                        accept_changes=accept_changes,
                        progress=progress,
                        environ=environ,
                        sleep=sleep,
                        when=stamp,
                        verify_held=verify_held,
                    )
                else:
                    report = pull_file(
                        study, source, store, survey=name, wave=w, progress=progress, when=stamp
                    )
            reports.append(report)
    return reports


# ------------------------------------------------------------------ files
def pull_file(
    study: SourceStudy,
    source: FileSource,
    store: SnapshotStore,
    *,
    survey: str,
    wave: str,
    progress: bool = False,
    when: str | None = None,
) -> PullReport:
    """Snapshot a survey file, unless the latest snapshot holds the same bytes."""
    store.clean_leftovers()
    path = study.path(source.path)
    if not path.is_file():
        raise SourceError(
            f"{path}: file not found (surveys.{survey}.sources.{wave}.path in {study.file})"
        )
    digest = sha256_file(path)
    previous = store.latest()
    if previous is not None and previous.meta.get("file_sha256") == digest:
        variables = previous.meta.get("variables")
        if variables is None:  # a snapshot written before meta.json counted them
            variables = len(_file_codebook(previous).variables)
        return PullReport(
            survey,
            wave,
            "file",
            None,
            variables=int(variables),
            total_rows=int(previous.meta["rows"]),
            notes=[f"{path.name} unchanged since snapshot {previous.id}"],
        )
    got = read_survey_file(
        path,
        survey=survey,
        codebook=_given_codebook(study, source, survey, wave),
        wave=wave,
        language=study.study.languages[0],
        chunk_size=source.chunk_size,
        encoding=source.encoding,
        progress=progress,
    )
    changes = []
    if previous is not None:
        changes = _file_codebook(previous).diff(got.codebook)
    with store.writer(when or _utc_now()) as writer:
        writer.write(got.data)
        # YAML keeps the codes' types (1 vs "1"); JSON object keys would not
        writer.write_structure({"codebook_yaml": got.codebook.to_yaml_text()})
        snap = writer.finish(
            {
                "source": "file",
                "file": source.path,
                "format": got.format,
                "file_sha256": digest,
                "variables": len(got.codebook.variables),
                "previous": previous.id if previous else None,
            }
        )
    return PullReport(
        survey,
        wave,
        "file",
        snap,
        rows=len(got.data),
        new=len(got.data),
        variables=len(got.codebook.variables),
        total_rows=len(got.data),
        changes=changes,
    )


def _given_codebook(
    study: SourceStudy, source: FileSource, survey: str, wave: str
) -> Codebook | None:
    """The codebook a file is read with: the source's own, or the survey's for a CSV file
    (whose columns carry no labels); None when the file's own labels serve."""
    path = study.path(source.path)
    if path.suffix.lower() != ".csv" and not source.codebook:
        return None
    codebook_path = source.codebook or study.surveys[survey].codebook
    if codebook_path is None:
        raise SourceError(
            f"{path}: a CSV file needs a codebook; set surveys.{survey}.codebook or "
            f"surveys.{survey}.sources.{wave}.codebook in {study.file}"
        )
    return Codebook.from_yaml(study.path(codebook_path))


# -------------------------------------------------------------- LimeSurvey
def _held(snapshots: Sequence[Snapshot]) -> dict[int, Any]:
    """id -> datestamp of every response held (latest revision; withdrawn ids removed)."""
    held: dict[int, Any] = {}
    for snap in snapshots:
        schema = pq.read_schema(snap.responses_path)
        columns = [c for c in ("id", "datestamp") if c in schema.names]
        frame = snap.responses(columns=columns)
        stamps = frame["datestamp"] if "datestamp" in frame else [None] * len(frame)
        held.update(zip(frame["id"].astype(int).tolist(), list(stamps), strict=True))
        for rid in snap.meta.get("withdrawn", []):
            held.pop(int(rid), None)
    return held


def _row_digest(row: dict[str, Any]) -> str:
    """The SHA-256 of one response's content as a pull stores it (answers as text).

    >>> _row_digest({"id": 1, "q": 2}) == _row_digest({"q": "2", "id": 1})
    True
    """
    text = {k: v if v is None or k in INTEGER_FIELDS else str(v) for k, v in row.items()}
    canonical = json.dumps(text, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _held_digests(snapshots: Sequence[Snapshot]) -> dict[int, str]:
    """id -> content digest of every response held (latest revision; withdrawn removed)."""
    digests: dict[int, str] = {}
    for snap in snapshots:
        for row in pq.read_table(snap.responses_path).to_pylist():
            digests[int(row["id"])] = _row_digest(row)
        for rid in snap.meta.get("withdrawn", []):
            digests.pop(int(rid), None)
    return digests


def _changed_contents(
    conn: LimeSurveyConnection, source: LimeSurveySource, held: dict[int, str]
) -> list[int]:
    """Ids held whose content differs on the server (an edit that kept its date stamp, as
    RemoteControl's ``update_response`` does)."""
    changed = []
    for group in _spans(sorted(held), source.batch_size):
        rows = conn.export(
            source.survey_id, completed_only=source.completed_only, from_id=group[0],
            to_id=group[-1],
        )  # fmt: skip
        for row in rows:
            rid = int(row["id"])
            if rid in held and _row_digest(row) != held[rid]:
                changed.append(rid)
    return sorted(changed)


def _spans(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    """Sorted ids in groups whose id range is smaller than ``size`` (so an export
    of ``first..last`` returns at most ``size`` rows)."""
    group: list[int] = []
    for rid in sorted(ids):
        if group and rid - group[0] >= size:
            yield group
            group = []
        group.append(rid)
    if group:
        yield group


def _check_held(
    conn: LimeSurveyConnection,
    source: LimeSurveySource,
    held: dict[int, Any],
    has_datestamp: bool,
) -> tuple[list[int], list[int], list[int]]:
    """Compare what we hold with the server: (late, edited, deleted) ids."""
    late: list[int] = []
    edited: list[int] = []
    deleted: list[int] = []
    fields = ["id", "datestamp"] if has_datestamp else ["id"]
    # from id 1, not from the lowest id held: a response below it that was incomplete at
    # the last pull and completed since is late too
    last = max(held)
    for start in range(1, last + 1, source.batch_size):
        stop = min(start + source.batch_size - 1, last)
        rows = conn.export(
            source.survey_id,
            completed_only=source.completed_only,
            from_id=start,
            to_id=stop,
            fields=fields,
        )
        seen = set()
        for row in rows:
            rid = int(row["id"])
            seen.add(rid)
            if rid not in held:
                late.append(rid)
            elif has_datestamp and row.get("datestamp") != held[rid]:
                edited.append(rid)
        deleted += [rid for rid in range(start, stop + 1) if rid in held and rid not in seen]
    return sorted(late), sorted(edited), sorted(deleted)


def _arrow_rows(rows: list[dict[str, Any]], columns: list[str]) -> pa.Table:
    """Export rows as a table: id and lastpage integers, every answer text (or null)."""
    arrays = {}
    for name in columns:
        values = [row.get(name) for row in rows]
        if name in INTEGER_FIELDS:
            arrays[name] = pa.array(values, type=pa.int64())
        else:
            arrays[name] = pa.array(
                [v if v is None or isinstance(v, str) else str(v) for v in values],
                type=pa.string(),
            )
    return pa.table(arrays)


def pull_limesurvey(
    source: LimeSurveySource,
    store: SnapshotStore,
    *,
    survey: str,
    wave: str,
    languages: Sequence[str] = ("en", "fr"),
    accept_changes: bool = False,
    progress: bool = False,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    when: str | None = None,
    backoff: float = 1.0,
    verify_held: bool = False,
) -> PullReport:
    """Pull new responses (and the structure) of one LimeSurvey survey into a snapshot.

    With ``verify_held`` (and on every ``verify_every``-th pull of the source), the content
    of every response held is compared with the server's, so that an edit that kept its
    date stamp is found too.
    """
    removed = store.clean_leftovers()
    notes = [f"removed an interrupted pull ({p.name})" for p in removed]
    previous = store.snapshots()
    held = _held(previous)
    credentials = credentials_from_env(source.credentials, environ)
    sid = source.survey_id
    with LimeSurveyConnection(
        source.url,
        credentials,
        timeout=source.timeout,
        retries=source.retries,
        backoff=backoff,
        sleep=sleep,
    ) as conn:
        version, structure, summary, has_datestamp = _active_survey(conn, source, languages)
        codebook_from_structure(structure, survey)  # unreadable: stop before writing anything
        if not has_datestamp:
            notes.append("the survey has no date stamps: edits cannot be detected")
        late, edited, deleted = (
            _check_held(conn, source, held, has_datestamp) if held else ([], [], [])
        )
        if held and (verify_held or (len(previous) + 1) % source.verify_every == 0):
            by_content = _changed_contents(conn, source, _held_digests(previous))
            edited = sorted(set(edited) | (set(by_content) - set(deleted)))
            notes.append(f"compared the content of the {len(held)} responses held")
        last_id = max(held, default=0)
        new_ids = [
            int(r["id"])
            for r in conn.export(
                sid, completed_only=source.completed_only, from_id=last_id + 1, fields=["id"]
            )
        ]
        fetch = sorted(set(new_ids) | set(late) | (set(edited) if accept_changes else set()))
        withdrawn = deleted if accept_changes else []
        old_codebook = _structure_codebook(previous[-1], survey) if previous else None
        report = PullReport(
            survey,
            wave,
            "limesurvey",
            None,
            new=len(new_ids),
            late=late,
            edited=edited,
            deleted=deleted,
            accepted=accept_changes,
            total_rows=len(held),
            notes=notes,
        )
        if not fetch and not withdrawn:
            report.variables = len(old_codebook.variables) if old_codebook else 0
            return report
        meta = _snapshot_meta(source, version, languages, summary, report, fetch, last_id)
        meta["previous"] = previous[-1].id if previous else None
        expected = summary.get("completed_responses" if source.completed_only else "full_responses")
        snap = _write_snapshot(
            conn, source, store, structure, fetch, meta, previous, when, progress, expected
        )
    new_codebook = _structure_codebook(snap, survey)
    report.snapshot = snap
    report.rows = snap.meta["rows"]
    report.variables = len(new_codebook.variables)
    report.total_rows = len(held) - len(withdrawn) + len(set(new_ids) | set(late))
    report.notes += _reconcile(report, summary, source.completed_only)
    report.changes = old_codebook.diff(new_codebook) if old_codebook else []
    logger.info("pulled %d responses of survey %s into %s", report.rows, sid, snap.id)
    return report


def _reconcile(report: PullReport, summary: dict[str, Any], completed_only: bool) -> list[str]:
    """A note when the responses held after the pull differ in number from the server's
    count (``get_summary``): deletions not applied are still held, so they are set apart."""
    key = "completed_responses" if completed_only else "full_responses"
    if key not in summary:
        return []
    on_server = report.total_rows - (0 if report.accepted else len(report.deleted))
    if on_server == int(summary[key]):
        return []
    return [
        f"the server counts {summary[key]} {'complete ' if completed_only else ''}responses, "
        f"ci_eval holds {on_server} of the server's after this pull: responses changed while "
        "pulling; pull again (with --verify-held to compare every response)"
    ]


def _snapshot_meta(
    source: LimeSurveySource,
    version: Any,
    languages: Sequence[str],
    summary: dict[str, Any],
    report: PullReport,
    fetch: list[int],
    after_id: int,
) -> dict[str, Any]:
    """What ``meta.json`` records of a LimeSurvey pull: the server, the ids pulled, and the
    edits and deletions found (applied or not)."""
    applied = report.accepted
    return {
        "source": "limesurvey",
        "server": public_url(source.url),
        "server_version": version,
        "survey_id": source.survey_id,
        "completed_only": source.completed_only,
        "languages": list(languages),
        "response_ids": {"first": fetch[0], "last": fetch[-1]} if fetch else None,
        "after_id": after_id,
        "late": report.late,
        "revised": report.edited if applied else [],
        "withdrawn": report.deleted if applied else [],
        "unapplied_edits": [] if applied else report.edited,
        "unapplied_deletions": [] if applied else report.deleted,
        "summary": summary,
    }


def _active_survey(
    conn: LimeSurveyConnection, source: LimeSurveySource, languages: Sequence[str]
) -> tuple[Any, dict[str, Any], dict[str, Any], bool]:
    """The server version, the survey's structure and response summary, and whether it
    keeps date stamps; a survey that is not active is refused."""
    version = conn.server_version()
    structure = fetch_structure(conn, source.survey_id, languages)
    props = structure["properties"]
    if str(props.get("active", "Y")).upper() != "Y":
        raise SourceError(
            f"LimeSurvey at {public_url(source.url)}: survey {source.survey_id} is not active; "
            "activate it in LimeSurvey before pulling"
        )
    summary = conn.summary(source.survey_id) or {}
    return version, structure, summary, str(props.get("datestamp", "Y")).upper() == "Y"


def _write_snapshot(
    conn: LimeSurveyConnection,
    source: LimeSurveySource,
    store: SnapshotStore,
    structure: dict[str, Any],
    fetch: list[int],
    meta: dict[str, Any],
    previous: Sequence[Snapshot],
    when: str | None,
    progress: bool,
    expected: int | None,
) -> Snapshot:
    """Export the ``fetch`` ids in batches into a new snapshot with the structure and meta."""
    sid = source.survey_id
    with store.writer(when or _utc_now()) as writer:
        writer.write_structure(structure)
        columns: list[str] | None = None
        with progress_bar(
            f"Pulling survey {sid}", len(fetch) if fetch else expected, enabled=progress
        ) as advance:
            for group in _spans(fetch, source.batch_size):
                wanted = set(group)
                rows = conn.export(
                    sid, completed_only=source.completed_only, from_id=group[0], to_id=group[-1]
                )
                rows = [r for r in rows if int(r["id"]) in wanted]
                if not rows:
                    continue
                columns = columns or list(rows[0])
                writer.write(_arrow_rows(rows, columns))
                advance(len(rows))
        if writer.rows == 0 and previous:
            writer.use_schema(pq.read_schema(previous[-1].responses_path))
        return writer.finish(meta)


def _structure_codebook(snap: Snapshot, survey: str) -> Codebook:
    columns = list(pq.read_schema(snap.responses_path).names)
    return codebook_from_structure(snap.structure(), survey, columns=columns)


# ------------------------------------------------------------ reading back
def load_responses(study: SourceStudy, survey: str, wave: str) -> pd.DataFrame:
    """A wave's responses as held in its snapshots.

    For LimeSurvey, the snapshots are stacked in order, the latest revision of
    each response id wins, withdrawn ids are dropped, and the columns are
    renamed the way LimeSurvey's expressions name them (``belong[B1]`` ->
    ``belong_B1``). For a file, the latest snapshot is the wave.

    Raises
    ------
    SourceError
        If the wave has never been pulled, or a snapshot's content hash fails.
    """
    store = snapshot_store(study, survey, str(wave))
    snaps = store.snapshots()
    if not snaps:
        raise SourceError(
            f"{store.root}: wave {wave} of survey {survey!r} has not been pulled; "
            f"run `ci-eval pull --survey {survey} --wave {wave}`"
        )
    if snaps[-1].meta.get("source") != "limesurvey":
        snaps[-1].verify()
        return snaps[-1].responses()
    frames = []
    withdrawn: set[int] = set()
    for snap in snaps:
        snap.verify()
        frames.append(snap.responses())
        withdrawn |= {int(i) for i in snap.meta.get("withdrawn", [])}
    data = pd.concat(frames, ignore_index=True)
    data = data.drop_duplicates(subset="id", keep="last")
    data = data[~data["id"].isin(withdrawn)].sort_values("id").reset_index(drop=True)
    return data.rename(columns=column_name)


def wave_codebook(study: SourceStudy, survey: str, wave: str) -> Codebook:
    """The codebook the latest snapshot of a wave describes (server structure or file labels)."""
    store = snapshot_store(study, survey, str(wave))
    latest = store.latest()
    if latest is None:
        raise SourceError(
            f"{store.root}: wave {wave} of survey {survey!r} has not been pulled; "
            f"run `ci-eval pull --survey {survey} --wave {wave}`"
        )
    if latest.meta.get("source") == "limesurvey":
        return _structure_codebook(latest, survey)
    return _file_codebook(latest)


def _file_codebook(snap: Snapshot) -> Codebook:
    return Codebook.from_yaml_text(
        snap.structure()["codebook_yaml"], source=str(snap.path / "structure.json")
    )


def type_responses(data: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Give raw (text) responses the codebook's types.

    Numeric variables and categorical variables whose codes are all numbers
    become numbers, date and datetime variables become timestamps. An empty
    string is missing, unless the variable's value labels give it a meaning
    (an unticked LimeSurvey multiple-choice box). Text stays text.

    >>> from ci_eval.codebook import Variable
    >>> cb = Codebook("s", [Variable(name="age", type="numeric")])
    >>> type_responses(pd.DataFrame({"age": ["24", ""]}), cb)["age"].tolist()
    [24.0, nan]
    """
    out = data.copy()
    for name, var in codebook.variables.items():
        if name not in out.columns or var.type == "text":
            continue
        col = out[name]
        is_text = col.dtype == object or pd.api.types.is_string_dtype(col)
        if is_text and "" not in var.value_labels:
            col = col.mask(col == "")
        codes = [*var.value_labels, *var.missing_codes]
        numeric = var.type == "numeric" or (
            var.type == "categorical" and codes and all(not isinstance(c, str) for c in codes)
        )
        try:
            if numeric:
                out[name] = pd.to_numeric(col)
            elif var.type in ("date", "datetime"):
                out[name] = pd.to_datetime(col, format="ISO8601")
            else:
                out[name] = col
        except (ValueError, TypeError) as exc:
            raise CodebookError(
                f"column {name!r}: values do not fit the codebook type {var.type} ({exc}); "
                "fix the codebook's type for this variable"
            ) from None
    return out
