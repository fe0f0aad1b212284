"""Numbers as each language writes them, and estimates as the report shows them.

English writes ``1,234.5`` and ``55.8%``; French (Office québécois de la langue
française; Statistics Canada's French style) writes ``1 234,5`` with a narrow
no-break space (U+202F) between thousands, a decimal comma, and ``55,8 %`` with a
no-break space (U+00A0) before the percent sign.

Estimates follow Statistics Canada's quality flags: a suppressed estimate is shown
as ``F`` (too unreliable to publish) or ``x`` (suppressed to protect confidentiality,
e.g. too few respondents) and *never* as its value, even if a value reached this
module by mistake; an estimate to use with caution carries a superscript ``E``.

>>> format_number(1234.5, "fr", digits=1)
'1\\u202f234,5'
>>> format_percent(0.558, "en"), format_percent(0.558, "fr")
('55.8%', '55,8\\xa0%')
>>> format_estimate(0.4, "proportion", "en", symbol="x")
'x'
"""

from __future__ import annotations

import math
from html import escape

from ci_eval.errors import ReportError
from ci_eval.results.contract import LANGUAGES

NARROW_NBSP = "\u202f"
NBSP = "\u00a0"

SUPPRESSED_CONFIDENTIAL = "x"
SUPPRESSED_UNRELIABLE = "F"
CAUTION = "E"
MISSING = "\u2014"


def _check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ReportError(
            f"language {lang!r} is not supported; use one of {', '.join(LANGUAGES)} "
            "(`languages` in ci-eval.toml)"
        )


def format_number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """A number with the language's thousands and decimal separators.

    Parameters
    ----------
    value : float, int or None
        The number; ``None`` or NaN gives an em dash.
    lang : {"en", "fr"}
        The language.
    digits : int
        Digits after the decimal point (round half to even, as Python's ``format``).

    >>> format_number(1234567, "en"), format_number(-1234.25, "fr", digits=2)
    ('1,234,567', '-1\\u202f234,25')
    """
    _check_language(lang)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    text = f"{value:,.{digits}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # no "-0.0"
    if lang == "fr":
        text = text.replace(",", NARROW_NBSP).replace(".", ",")
    return text


def format_percent(value: float | None, lang: str, digits: int = 1) -> str:
    """A proportion (0-1) as a percentage.

    >>> format_percent(0.5, "fr", digits=0), format_percent(None, "en")
    ('50\\xa0%', '—')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        _check_language(lang)
        return MISSING
    number = format_number(100 * value, lang, digits)
    return f"{number}{NBSP}%" if lang == "fr" else f"{number}%"


def format_value(value: float | None, statistic: str, lang: str, digits: int | None = None) -> str:
    """A value of an indicator: a percentage for proportions, else a number.

    Means get one decimal, totals none, unless ``digits`` says otherwise.

    >>> format_value(3.14159, "mean", "fr"), format_value(12345.6, "total", "en")
    ('3,1', '12,346')
    """
    if statistic == "proportion":
        return format_percent(value, lang, 1 if digits is None else digits)
    if statistic == "total":
        return format_number(value, lang, 0 if digits is None else digits)
    return format_number(value, lang, 1 if digits is None else digits)


def format_range(low: str, high: str, lang: str) -> str:
    """An interval's two formatted bounds as a range: "58.2–62.3" in English (" to " when a
    bound is negative, where a dash would read as a minus), « 58,2 à 62,3 » in French.

    >>> format_range("58.2", "62.3", "en"), format_range("-3.4", "16.4", "en")
    ('58.2–62.3', '-3.4 to 16.4')
    >>> format_range("58,2", "62,3", "fr")
    '58,2 à 62,3'
    """
    _check_language(lang)
    if lang == "fr":
        return f"{low} à {high}"
    return f"{low} to {high}" if "-" in low + high else f"{low}\u2013{high}"


HIDDEN = (SUPPRESSED_UNRELIABLE, SUPPRESSED_CONFIDENTIAL)
"""Symbols that stand in place of a value."""


def is_hidden(symbol: str) -> bool:
    """Whether a results row's ``symbol`` withholds its value (``F`` or ``x``).

    >>> is_hidden("x"), is_hidden("E"), is_hidden("")
    (True, False, False)
    """
    return symbol in HIDDEN


def format_estimate(
    value: float | None,
    statistic: str,
    lang: str,
    *,
    symbol: str = "",
    html: bool = False,
) -> str:
    """An estimate as a cell shows it: the value, ``value E``, or the symbol ``F`` / ``x``.

    ``symbol`` is the results row's own ``symbol`` column (:mod:`ci_eval.results.contract`).
    A withheld estimate never shows its value, even if a value reached this function by
    mistake. With ``html=True`` the flag is a ``<sup>`` and the symbols carry an ``<abbr>``
    with their meaning in words.

    >>> format_estimate(0.25, "proportion", "en", symbol="E")
    '25.0% E'
    >>> format_estimate(0.25, "proportion", "en", symbol="F")
    'F'
    >>> format_estimate(0.25, "proportion", "fr", symbol="E", html=True)
    '25,0\\xa0%<sup><abbr title="à utiliser avec prudence">E</abbr></sup>'
    """
    _check_language(lang)
    if symbol not in ("", CAUTION, *HIDDEN):
        raise ReportError(f"quality symbol {symbol!r}: expected '', 'E', 'F' or 'x'")
    if is_hidden(symbol):
        if html:
            return f'<abbr title="{escape(SYMBOL_TITLES[lang][symbol])}">{symbol}</abbr>'
        return symbol
    text = format_value(value, statistic, lang)
    if symbol == CAUTION:
        if html:
            title = escape(SYMBOL_TITLES[lang][CAUTION])
            return f'{escape(text)}<sup><abbr title="{title}">E</abbr></sup>'
        return f"{text} E"
    return escape(text) if html else text


SYMBOL_TITLES = {
    "en": {
        CAUTION: "use with caution",
        SUPPRESSED_UNRELIABLE: "too unreliable to be published",
        SUPPRESSED_CONFIDENTIAL: "suppressed to protect confidentiality",
    },
    "fr": {
        CAUTION: "à utiliser avec prudence",
        SUPPRESSED_UNRELIABLE: "trop peu fiable pour être publié",
        SUPPRESSED_CONFIDENTIAL: "confidentiel",
    },
}
