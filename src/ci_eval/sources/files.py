"""Survey files a vendor delivered: SPSS, Stata, SAS, CSV and Parquet.

SPSS (``.sav``, ``.zsav``, ``.por``), Stata (``.dta``) and SAS (``.sas7bdat``,
``.xpt``) files are read with ``pyreadstat`` in chunks, keeping variable labels,
value labels and user-defined missing values: a user-defined missing value is
returned as missing and its code is kept in the codebook. A CSV file needs an
explicit codebook (it carries no types or labels); a Parquet file may have one.

>>> import tempfile, pathlib, pandas as pd, pyreadstat
>>> path = pathlib.Path(tempfile.mkdtemp()) / "youth.sav"
>>> pyreadstat.write_sav(pd.DataFrame({"q1": [1.0, 2.0, 9.0]}), str(path),
...     column_labels={"q1": "Had a mentor"},
...     variable_value_labels={"q1": {1: "Yes", 2: "No", 9: "Refused"}},
...     missing_ranges={"q1": [9]})
>>> got = read_survey_file(path, survey="youth")
>>> got.data["q1"].tolist()
[1.0, 2.0, nan]
>>> got.codebook.variables["q1"].missing_codes
[9]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat

from ci_eval.codebook import Codebook, Variable
from ci_eval.errors import SourceError
from ci_eval.sources.progress import progress_bar

logger = logging.getLogger(__name__)

__all__ = ["FORMATS", "FileData", "read_survey_file"]

FORMATS: dict[str, str] = {
    ".sav": "SPSS .sav",
    ".zsav": "SPSS compressed .zsav",
    ".por": "SPSS portable .por",
    ".dta": "Stata .dta",
    ".sas7bdat": "SAS .sas7bdat",
    ".xpt": "SAS transport .xpt",
    ".csv": "CSV",
    ".parquet": "Parquet",
}

_READERS: dict[str, Callable[..., Any]] = {
    ".sav": pyreadstat.read_sav,
    ".zsav": pyreadstat.read_sav,
    ".por": pyreadstat.read_por,
    ".dta": pyreadstat.read_dta,
    ".sas7bdat": pyreadstat.read_sas7bdat,
    ".xpt": pyreadstat.read_xport,
}
_USER_MISSING = {".sav", ".zsav", ".dta", ".sas7bdat"}
_TIME_FORMATS = ("DATETIME", "%tc", "%tC", "DTDATE", "E8601DT", "TIME")


@dataclass(frozen=True)
class FileData:
    """A survey file read into memory.

    Attributes
    ----------
    path : Path
        The file.
    format : str
        Its format, as named in :data:`FORMATS`.
    data : DataFrame
        The responses; user-defined missing values are missing (NaN).
    codebook : Codebook
        The codebook given, or the one the file's metadata describes.
    """

    path: Path
    format: str
    data: pd.DataFrame
    codebook: Codebook


def read_survey_file(
    path: str | Path,
    *,
    survey: str = "survey",
    codebook: Codebook | None = None,
    wave: str | None = None,
    language: str = "en",
    chunk_size: int = 50_000,
    encoding: str | None = None,
    progress: bool = False,
    given_as: str | None = None,
) -> FileData:
    """Read a survey file in chunks.

    Parameters
    ----------
    path : str or Path
        A ``.sav``, ``.zsav``, ``.por``, ``.dta``, ``.sas7bdat``, ``.xpt``, ``.csv``
        or ``.parquet`` file.
    survey : str
        The survey key, for a codebook built from the file's metadata.
    codebook : Codebook, optional
        Required for CSV (types, value labels, missing codes); optional otherwise.
        Its missing codes are applied, as well as the file's own.
    wave : str, optional
        The wave the file holds: a CSV column is matched to a codebook variable
        by its name in that wave (``waves``) or by the variable's own name.
    language : str
        The language of the file's labels (files carry one language).
    chunk_size : int
        Rows per chunk.
    encoding : str, optional
        Text encoding, for old files whose encoding is not recorded.
    progress : bool
        Show a progress bar.
    given_as : str, optional
        How the user gave the file when it is not a source of the study file (e.g.
        ``"--data"``): the messages then point there, not at ``ci-eval.toml``.

    Raises
    ------
    SourceError
        If the file is missing, empty, truncated, corrupt, not of the format its
        extension says, or (CSV) does not match its codebook.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise SourceError(
            f"{path}: unsupported file type {path.suffix or '(no extension)'!r}; "
            f"supported: {', '.join(FORMATS)}"
        )
    if not path.is_file():
        where = given_as or "the source path in ci-eval.toml"
        raise SourceError(f"{path}: file not found; check {where}")
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty (0 bytes); ask for the export again")
    _check_signature(path, ext)
    if ext == ".csv":
        if codebook is None:
            raise SourceError(
                f"{path}: a CSV file needs a codebook (types, value labels, missing codes); "
                "set `codebook` on the source or the survey in ci-eval.toml"
            )
        fix = (
            "save the file as UTF-8" if given_as else "set `encoding` on the source in ci-eval.toml"
        )
        data = _read_csv(path, codebook, wave, chunk_size, encoding or "utf-8-sig", progress, fix)
        return FileData(path, FORMATS[ext], data, codebook)
    if ext == ".parquet":
        data = _read_parquet(path, chunk_size, progress)
        if codebook is None:
            codebook = _codebook_from_frame(data, survey)
        else:
            data = codebook.apply_missing(data)
        return FileData(path, FORMATS[ext], data, codebook)
    data, derived = _read_readstat(path, ext, survey, language, chunk_size, encoding, progress)
    if codebook is None:
        codebook = derived
    else:
        data = codebook.apply_missing(data)
    return FileData(path, FORMATS[ext], data, codebook)


# ------------------------------------------------------------------ checks
def _sniff(head: bytes) -> str | None:
    """The format a file's first bytes announce, if they announce one."""
    if head.startswith(b"$FL2"):
        return ".sav"
    if head.startswith(b"$FL3"):
        return ".zsav"
    if head.startswith(b"<stata_dta>"):
        return ".dta"
    if head.startswith(b"HEADER RECORD*******LIB"):
        return ".xpt"
    if head.startswith(b"PAR1"):
        return ".parquet"
    if head[:32] == _SAS7BDAT_MAGIC:
        return ".sas7bdat"
    if b"SPSS PORT FILE" in head[:512]:
        return ".por"
    return None


_SAS7BDAT_MAGIC = bytes(
    [0] * 12 + [0xC2, 0xEA, 0x81, 0x60, 0xB3, 0x14, 0x11, 0xCF]
    + [0xBD, 0x92, 0x08, 0x00, 0x09, 0xC7, 0x31, 0x8C, 0x18, 0x1F, 0x10, 0x11]
)  # fmt: skip


def _check_signature(path: Path, ext: str) -> None:
    with path.open("rb") as fh:
        head = fh.read(512)
    found = _sniff(head)
    same = {found, ext} <= {".sav", ".zsav"}  # both are SPSS system files
    if found is not None and found != ext and not same:
        raise SourceError(
            f"{path}: the extension says {FORMATS[ext]} but the contents are a "
            f"{FORMATS[found]} file; rename it to {path.with_suffix(found).name}"
        )
    if found is None and ext in {".sav", ".zsav", ".dta", ".xpt", ".parquet", ".sas7bdat"}:
        old_stata = ext == ".dta" and head[:1] in {b"\x71", b"\x72", b"\x73"}
        if not old_stata:
            raise SourceError(
                f"{path}: not a {FORMATS[ext]} file (its first bytes do not match the format); "
                "it may be corrupt or a different kind of file"
            )


# ------------------------------------------------------- SPSS, Stata, SAS
def _read_readstat(
    path: Path,
    ext: str,
    survey: str,
    language: str,
    chunk_size: int,
    encoding: str | None,
    progress: bool,
) -> tuple[pd.DataFrame, Codebook]:
    reader = _READERS[ext]
    options: dict[str, Any] = {"dates_as_pandas_datetime": True}
    if ext in _USER_MISSING:
        options["user_missing"] = True
    if encoding is not None and ext != ".por":
        options["encoding"] = encoding
    try:
        _, meta = reader(str(path), metadataonly=True, **options)
        chunks: list[pd.DataFrame] = []
        observed: dict[str, set[Any]] = {}
        user_values: dict[str, set[Any]] = {}
        dated: set[str] = set()
        with progress_bar(f"Reading {path.name}", meta.number_rows, enabled=progress) as advance:
            for chunk, chunk_meta in pyreadstat.read_file_in_chunks(
                reader, str(path), chunksize=chunk_size, **options
            ):
                # Stata/SAS user missings are only listed once data has been read
                found = getattr(chunk_meta, "missing_user_values", None) or {}
                for name, letters in found.items():
                    user_values.setdefault(name, set()).update(letters)
                dated |= {c for c in chunk if pd.api.types.is_datetime64_any_dtype(chunk[c])}
                chunks.append(_user_missing_to_nan(chunk, meta, user_values, observed))
                advance(len(chunk))
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError) as exc:
        raise SourceError(
            f"{path}: cannot read it as {FORMATS[ext]} ({exc}); the file may be truncated or "
            "corrupt: ask the vendor to export it again"
        ) from None
    data = (
        pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=meta.column_names)
    )
    for name in sorted(dated):  # a chunk where a date column is all missing comes back as object
        data[name] = pd.to_datetime(data[name])
    if meta.number_rows not in (None, len(data)):
        raise SourceError(
            f"{path}: the header announces {meta.number_rows} rows but {len(data)} could be "
            "read; the file is truncated: ask for it again"
        )
    return data, _codebook_from_meta(meta, data, user_values, observed, survey, language)


def _missing_ranges(meta: Any, name: str) -> list[tuple[Any, Any]]:
    return [(r["lo"], r["hi"]) for r in (getattr(meta, "missing_ranges", None) or {}).get(name, [])]


def _user_missing_to_nan(
    chunk: pd.DataFrame,
    meta: Any,
    user_values: dict[str, set[Any]],
    observed: dict[str, set[Any]],
) -> pd.DataFrame:
    """Set user-defined missing values to NaN, remembering which codes occurred."""
    for name in chunk.columns:
        col = chunk[name]
        hit = pd.Series(False, index=chunk.index)
        for lo, hi in _missing_ranges(meta, name):
            if isinstance(lo, str):
                hit |= col == lo
            else:
                numeric = pd.to_numeric(col, errors="coerce")
                hit |= (numeric >= lo) & (numeric <= hi)
        letters = user_values.get(name)
        if letters:
            hit |= col.isin(list(letters))
        if hit.any():
            observed.setdefault(name, set()).update(col[hit].tolist())
            col = col.mask(hit)
            if letters:  # Stata/SAS: the column held letters; it is numeric again
                col = pd.to_numeric(col)
            chunk[name] = col
    return chunk


def _code(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _codebook_from_meta(
    meta: Any,
    data: pd.DataFrame,
    user_values: dict[str, set[Any]],
    observed: dict[str, set[Any]],
    survey: str,
    language: str,
) -> Codebook:
    labels = meta.column_names_to_labels or {}
    value_labels = meta.variable_value_labels or {}
    formats = meta.original_variable_types or {}
    measures = getattr(meta, "variable_measure", None) or {}
    variables = []
    for name in meta.column_names:
        vl = {_code(k): {language: str(v)} for k, v in value_labels.get(name, {}).items()}
        missing: set[Any] = set()
        for lo, hi in _missing_ranges(meta, name):
            if lo == hi:
                missing.add(_code(lo))
            else:  # a range: the labelled and the observed codes inside it
                missing |= {c for c in vl if not isinstance(c, str) and lo <= c <= hi}
                missing |= {_code(v) for v in observed.get(name, ()) if lo <= v <= hi}
        missing |= user_values.get(name, set())
        variables.append(
            Variable(
                name=name,
                label={language: labels[name]} if labels.get(name) else {},
                type=_variable_type(data[name], bool(vl), formats.get(name) or ""),
                value_labels=vl,
                missing_codes=sorted(missing, key=lambda c: (isinstance(c, str), c)),
                question=name,
                measure=measures.get(name) if measures.get(name) in _MEASURES else None,
            )
        )
    return Codebook(survey, variables)


_MEASURES = {"nominal", "ordinal", "scale"}


def _variable_type(col: pd.Series, labelled: bool, fmt: str) -> str:
    if pd.api.types.is_datetime64_any_dtype(col):
        return (
            "datetime"
            if fmt.upper().startswith(tuple(f.upper() for f in _TIME_FORMATS))
            else "date"
        )
    if labelled:
        return "categorical"
    if pd.api.types.is_numeric_dtype(col):
        return "numeric"
    return "text"


# ---------------------------------------------------------------- Parquet
def _read_parquet(path: Path, chunk_size: int, progress: bool) -> pd.DataFrame:
    try:
        pf = pq.ParquetFile(path)
        batches = []
        with progress_bar(
            f"Reading {path.name}", pf.metadata.num_rows, enabled=progress
        ) as advance:
            for batch in pf.iter_batches(batch_size=chunk_size):
                batches.append(batch)
                advance(batch.num_rows)
        table = pa.Table.from_batches(batches, schema=pf.schema_arrow)
    except (pa.ArrowException, OSError) as exc:
        raise SourceError(
            f"{path}: cannot read it as Parquet ({exc}); the file may be truncated or corrupt"
        ) from None
    return table.to_pandas()


def _codebook_from_frame(data: pd.DataFrame, survey: str) -> Codebook:
    variables = []
    for name in data.columns:
        col = data[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            labels = {_code(c): {"en": str(c)} for c in col.cat.categories}
            variables.append(
                Variable(name=str(name), type="categorical", value_labels=labels, question=name)
            )
        else:
            kind = _variable_type(col, False, "DATETIME")
            variables.append(Variable(name=str(name), type=kind, question=str(name)))
    return Codebook(survey, variables)


# -------------------------------------------------------------------- CSV
def _csv_columns(codebook: Codebook, wave: str | None) -> dict[str, Variable]:
    """Raw CSV column name -> the variable it holds."""
    out = {}
    for var in codebook.variables.values():
        mapping = var.waves.get(wave) if wave is not None else None
        if mapping is not None and mapping.name is None:
            continue
        out[mapping.name if mapping is not None else var.name] = var
    return out


def csv_separator(path: Path, encoding: str = "utf-8-sig") -> str:
    r"""The field separator of a CSV file, from its header line: ``,`` unless the header
    holds no comma and one of ``;``, tab or ``|`` (spreadsheets in French locales write
    ``;``).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_text("id;age\n1;20\n", encoding="utf-8")
    >>> csv_separator(p)
    ';'
    """
    try:
        with path.open(encoding=encoding, errors="replace") as handle:
            header = handle.readline()
    except OSError:
        return ","
    if "," in header:
        return ","
    counts = {sep: header.count(sep) for sep in (";", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_csv(
    path: Path,
    codebook: Codebook,
    wave: str | None,
    chunk_size: int,
    encoding: str,
    progress: bool,
    fix: str,
) -> pd.DataFrame:
    columns = _csv_columns(codebook, wave)
    try:
        reader = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            chunksize=chunk_size,
            encoding=encoding,
            sep=csv_separator(path, encoding),
        )
        chunks = []
        with progress_bar(f"Reading {path.name}", None, enabled=progress) as advance:
            for number, chunk in enumerate(reader):
                chunks.append(_type_csv_chunk(path, chunk, columns, number * chunk_size))
                advance(len(chunk))
    except pd.errors.EmptyDataError:
        raise SourceError(f"{path}: the CSV file has no header row; it is empty") from None
    except pd.errors.ParserError as exc:
        raise SourceError(f"{path}: malformed CSV ({exc})") from None
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{path}: not {encoding} text ({exc.reason} at byte {exc.start}); {fix}"
        ) from None
    data = pd.concat(chunks, ignore_index=True)
    for name in data.columns:
        codes = columns[name].missing_codes
        if codes:
            data[name] = data[name].mask(data[name].isin(codes))
    return data


def _type_csv_chunk(
    path: Path, chunk: pd.DataFrame, columns: dict[str, Variable], first_row: int
) -> pd.DataFrame:
    unknown = [c for c in chunk.columns if c not in columns]
    if unknown:
        raise SourceError(
            f"{path}: columns not in the codebook: {', '.join(unknown)}; add them to the codebook"
        )
    out = {}
    for name in chunk.columns:
        out[name] = _type_csv_column(path, chunk[name], columns[name], first_row)
    return pd.DataFrame(out, index=chunk.index)


def _type_csv_column(path: Path, raw: pd.Series, var: Variable, first_row: int) -> pd.Series:
    col = raw.mask(raw == "")
    numeric_codes = bool(var.value_labels or var.missing_codes) and all(
        not isinstance(c, str) for c in [*var.value_labels, *var.missing_codes]
    )
    try:
        if var.type == "numeric" or (var.type == "categorical" and numeric_codes):
            return pd.to_numeric(col)
        if var.type in ("date", "datetime"):
            return pd.to_datetime(col, format="ISO8601")
    except (ValueError, TypeError):
        bad = next(_bad_values(col, var.type))
        row = first_row + int(bad[0]) - int(col.index[0]) + 2  # +1 header, +1 one-based
        raise SourceError(
            f"{path}: column {raw.name!r}, row {row}: {bad[1]!r} is not a valid {var.type} "
            "value for the codebook; fix the file or the variable's type"
        ) from None
    return col


def _bad_values(col: pd.Series, kind: str) -> Iterator[tuple[Any, Any]]:
    for index, value in col.dropna().items():
        try:
            if kind in ("date", "datetime"):
                pd.to_datetime(value, format="ISO8601")
            else:
                float(value)
        except (ValueError, TypeError):
            yield index, value
