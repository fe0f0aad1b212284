"""Numbers per language and estimates with quality flags (ci_eval.report.format)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_eval.errors import ReportError
from ci_eval.report.format import (
    NARROW_NBSP,
    NBSP,
    format_estimate,
    format_number,
    format_percent,
    format_value,
)


def test_french_thousands_use_narrow_no_break_space_and_decimal_comma():
    assert format_number(1234.5, "fr", digits=1) == f"1{NARROW_NBSP}234,5"
    assert format_number(1234567.891, "fr", digits=2) == f"1{NARROW_NBSP}234{NARROW_NBSP}567,89"
    assert format_number(1234.5, "en", digits=1) == "1,234.5"


def test_percentages_per_language():
    assert format_percent(0.558, "en") == "55.8%"
    assert format_percent(0.558, "fr") == f"55,8{NBSP}%"
    assert format_percent(0.0004, "en") == "0.0%"
    assert format_percent(float("nan"), "fr") == "\u2014"


def test_no_negative_zero():
    assert format_number(-0.04, "en", digits=1) == "0.0"
    assert format_number(-0.06, "en", digits=1) == "-0.1"


def test_value_by_statistic():
    assert format_value(0.25, "proportion", "en") == "25.0%"
    assert format_value(48250.4, "total", "fr") == f"48{NARROW_NBSP}250"
    assert format_value(23.456, "mean", "fr") == "23,5"


def test_suppressed_estimates_never_show_their_value():
    for lang in ("en", "fr"):
        assert format_estimate(0.987654, "proportion", lang, symbol="x") == "x"
        assert format_estimate(0.987654, "proportion", lang, symbol="F") == "F"
        html = format_estimate(0.987654, "proportion", lang, symbol="F", html=True)
        assert "98" not in html and ">F</abbr>" in html
        html = format_estimate(0.987654, "proportion", lang, symbol="x", html=True)
        assert "98" not in html and ">x</abbr>" in html


def test_an_unknown_symbol_is_an_error():
    with pytest.raises(ReportError, match="quality symbol 'y'"):
        format_estimate(0.5, "proportion", "en", symbol="y")


def test_caution_flag_is_a_superscript_in_html():
    html = format_estimate(0.1234, "proportion", "en", symbol="E", html=True)
    assert html == '12.3%<sup><abbr title="use with caution">E</abbr></sup>'


def test_unknown_language_is_an_error_naming_the_setting():
    with pytest.raises(ReportError, match="languages"):
        format_number(1.0, "de")


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.integers(0, 4))
def test_french_and_english_are_the_same_number(value, digits):
    en = format_number(value, "en", digits)
    fr = format_number(value, "fr", digits)
    assert fr == en.replace(",", NARROW_NBSP).replace(".", ",")
    parsed = float(en.replace(",", ""))
    assert math.isclose(parsed, round(value, digits), abs_tol=10**-digits)
