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

Text follows each language's typography (:func:`typeset`, :func:`typeset_html` for a
block's HTML): French puts a no-break space (U+00A0) before ``: ; ! ?`` and ``%`` and inside
« »; both languages write a range of numbers with an en dash (``18–21``).
:func:`plural_forms` picks the singular or plural of ``{n|indicator|indicators}`` by the count
(French: singular for 0 and 1).

>>> typeset("Genre: Femme; 95 % « oui »", "fr") == "Genre\xa0: Femme\xa0; 95\xa0% «\xa0oui\xa0»"
True
"""

from __future__ import annotations

import math
import re
from html import escape
from typing import Any

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


# ------------------------------------------------------------------ typography
_FRENCH_SPACE = dict.fromkeys(":;!?%", NBSP)
_SPACES = "[ \u00a0\u202f]"
_CODE_SPAN = re.compile(r"(`[^`]*`)")
_RANGE = re.compile(r"(?<![\w.,-])(\d+(?:[.,]\d+)?)-(\d+(?:[.,]\d+)?)(?![\w-])")
_ENTITY = re.compile(r"&#?\w+$")


def _space_before(match: re.Match[str]) -> str:
    mark = match.group(2)
    before = match.string[: match.start(2)]
    if mark == ";" and not match.group(1) and _ENTITY.search(before):
        return match.group(0)  # an HTML entity (&amp;), not a semicolon
    return f"{_FRENCH_SPACE[mark]}{mark}"


def _french(text: str) -> str:
    # a mark after a space gets the right no-break space; after a word, one is added when
    # the mark ends a clause (a space or the end follows): not "?q=", "a:b", "{x:.1f}"
    text = re.sub(rf"({_SPACES}+)([:;!?%])", _space_before, text)
    text = re.sub(r"(?<=[\w)\]}»%.])()([:;!?])(?=\s|$)", _space_before, text)
    text = re.sub(r"(?<=[\d}])%", f"{NBSP}%", text)
    text = re.sub(rf"«{_SPACES}*", f"«{NBSP}", text)
    return re.sub(rf"(?<=\S){_SPACES}*»", f"{NBSP}»", text)


def typeset(text: str, lang: str) -> str:
    """``text`` as the language's typography writes it (code spans in backticks kept as is).

    Both languages: a range of numbers takes an en dash (``18-30`` -> ``18–30``). French: a
    no-break space (U+00A0) before ``: ; ! ?`` and ``%`` and inside « »; a space that was
    there becomes the no-break one, and one is added where it was missing.

    >>> typeset("Age band 18-21 (1-5)", "en")
    'Age band 18–21 (1–5)'
    >>> typeset("Symboles : E = {E}; F = {F}", "fr") == "Symboles\xa0: E = {E}\xa0; F = {F}"
    True
    >>> typeset("`ci-eval run .` : 10%", "fr") == "`ci-eval run .`\xa0: 10\xa0%"
    True
    """
    _check_language(lang)
    parts = _CODE_SPAN.split(text)
    for i in range(0, len(parts), 2):
        piece = _RANGE.sub("\\1\u2013\\2", parts[i])
        parts[i] = _french(piece) if lang == "fr" else piece
    return "".join(parts)


def typeset_tree(words: Any, lang: str) -> Any:
    """Every string of a translation tree (dicts and lists of strings) typeset."""
    if isinstance(words, str):
        return typeset(words, lang)
    if isinstance(words, dict):
        return {key: typeset_tree(value, lang) for key, value in words.items()}
    if isinstance(words, list):
        return [typeset_tree(value, lang) for value in words]
    return words


_TAG = re.compile(r"(<[^>]*>)")
_READ_ATTRIBUTE = re.compile(r"""(\s(?:alt|title|aria-label)=)(["'])(.*?)\2""", re.S)
_VERBATIM = re.compile(r"<(/?)(pre|code|script|style|kbd|samp)\b", re.I)


def typeset_html(html: str, lang: str) -> str:
    """A block's HTML with its text typeset (:func:`typeset`): the text between tags and the
    ``alt``, ``title`` and ``aria-label`` a reader is given; code (``<pre>``, ``<code>``),
    scripts, styles and the tags themselves are left as they are.

    >>> typeset_html('<p title="Genre: Femme">55,8 %</p><code>a : b</code>', "fr") == (
    ...     '<p title="Genre\xa0: Femme">55,8\xa0%</p><code>a : b</code>')
    True
    """
    _check_language(lang)
    parts = _TAG.split(html)
    verbatim = 0
    for i, part in enumerate(parts):
        if i % 2:  # a tag
            tag = _VERBATIM.match(part)
            if tag:
                verbatim = max(verbatim + (-1 if tag.group(1) else 1), 0)
            elif not verbatim:
                parts[i] = _READ_ATTRIBUTE.sub(
                    lambda m: m.group(1) + m.group(2) + typeset(m.group(3), lang) + m.group(2),
                    part,
                )
        elif not verbatim and part:
            parts[i] = typeset(part, lang)
    return "".join(parts)


def plural_form(count: float, lang: str) -> int:
    """0 for the singular, 1 for the plural: French takes the singular for 0 and 1 (« 0
    indicateur »), English for 1 only.

    >>> [plural_form(n, "fr") for n in (0, 1, 2)], [plural_form(n, "en") for n in (0, 1, 2)]
    ([0, 0, 1], [1, 0, 1])
    """
    _check_language(lang)
    if lang == "fr":
        return 0 if abs(count) < 2 else 1
    return 0 if count == 1 else 1


_PLURAL = re.compile(r"\{(\w+)\|([^{}|]*)\|([^{}|]*)\}")


def plural_forms(text: str, lang: str, values: dict[str, Any]) -> str:
    """Each ``{name|singular|plural}`` of ``text`` as the form the count ``values[name]`` takes.

    >>> plural_forms("{n} {n|indicateur|indicateurs} {n|s'est amélioré|se sont améliorés}",
    ...              "fr", {"n": 0})
    "{n} indicateur s'est amélioré"
    """

    def form(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ReportError(f"plural {match.group(0)!r}: no count {name!r} was given")
        return match.group(2 + plural_form(float(values[name]), lang))

    return _PLURAL.sub(form, text)


def format_interval(
    low: float | None, high: float | None, statistic: str, lang: str, digits: int | None = None
) -> str:
    """A confidence interval's bounds, each with its unit, joined by an en dash:
    ``58.2% – 62.3%``, « 58,2 % – 62,3 % ».

    >>> format_interval(0.582, 0.623, "proportion", "en")
    '58.2% – 62.3%'
    >>> format_interval(0.582, 0.623, "proportion", "fr") == "58,2\xa0% – 62,3\xa0%"
    True
    >>> format_interval(-3.4, 16.4, "mean", "fr")
    '-3,4 – 16,4'
    """
    lower, upper = (
        format_value(low, statistic, lang, digits),
        format_value(high, statistic, lang, digits),
    )
    return format_range(lower, upper)


def format_range(low: str, high: str) -> str:
    """Two formatted bounds as a range, in either language: ``-3,4 – 16,4``.

    >>> format_range("1.2", "3.4")
    '1.2 – 3.4'
    """
    return f"{low} \u2013 {high}"
