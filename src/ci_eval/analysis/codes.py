"""Category codes as text: the form every results table uses for a ``domain_value`` or ``level``.

Survey files store codes as floats (``1.0``) or strings (``"fr"``); the tables store the code as
text (``"1"``, ``"fr"``) so that labels can be joined from the ``labels`` table.

>>> code_text(1.0), code_text(2), code_text("fr"), code_text(2.5)
('1', '2', 'fr', '2.5')
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def code_text(value: Any) -> str:
    """One code as text: integral numbers without a decimal point; missing as ``""``."""
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return str(int(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


def codes_text(values: pd.Series) -> pd.Series:
    """A column of codes as text (missing values stay missing).

    >>> codes_text(pd.Series([1.0, None, 3.0])).tolist()
    ['1', nan, '3']
    """
    mapping = {value: code_text(value) for value in pd.unique(values.dropna())}
    out = values.map(mapping).astype(object)
    return out.where(values.notna(), np.nan)


def code_sort_key(text: str) -> tuple[int, float, str]:
    """Sort codes numerically when they are numbers, else as text (numbers first).

    >>> sorted(["10", "2", "fr", "1"], key=code_sort_key)
    ['1', '2', '10', 'fr']
    """
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)
