"""Write SPSS ``.sav`` files that are byte-for-byte reproducible.

``pyreadstat.write_sav`` (ReadStat) stamps the creation date and time into the
file header and offers no argument to fix them. The SPSS system-file header is a
fixed-layout record (the ``$FL2`` record: 4-byte magic, 60-byte product name,
five 4-byte integers, an 8-byte compression bias, then a 9-byte creation date
``dd mmm yy`` and an 8-byte creation time ``hh:mm:ss``), so after writing we
overwrite those 17 ASCII bytes with a fixed stamp. Nothing else in the file
depends on the clock (checked by writing twice and comparing bytes).

Reference for the layout: the PSPP manual, "System File Format", section
"File Header Record".

>>> import pandas as pd, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "x.sav"
>>> write_sav(pd.DataFrame({"a": [1.0, 2.0]}), path, column_labels={"a": "A"})
>>> path.read_bytes()[92:109]
b'01 Jan 0000:00:00'
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyreadstat

_STAMP_OFFSET = 92
_STAMP = b"01 Jan 00" + b"00:00:00"


def write_sav(
    df: pd.DataFrame,
    path: str | Path,
    *,
    column_labels: Mapping[str, str],
    value_labels: Mapping[str, Mapping[float, str]] | None = None,
    missing_values: Mapping[str, list[float]] | None = None,
    measure: Mapping[str, str] | None = None,
    file_label: str = "",
) -> None:
    """Write ``df`` as a row-compressed ``.sav`` with a fixed header date and time.

    ``missing_values`` become SPSS user-missing values (discrete codes).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(
        df,
        str(path),
        file_label=file_label,
        column_labels=[column_labels.get(c) for c in df.columns],
        row_compress=True,
        variable_value_labels=dict(value_labels or {}),
        missing_ranges={k: list(v) for k, v in (missing_values or {}).items()},
        variable_measure=dict(measure or {}),
    )
    data = bytearray(path.read_bytes())
    if data[:4] != b"$FL2":
        raise OSError(f"{path}: not an SPSS system file after writing")
    data[_STAMP_OFFSET : _STAMP_OFFSET + len(_STAMP)] = _STAMP
    path.write_bytes(bytes(data))
