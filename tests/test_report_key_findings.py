"""The key-findings page: every number read back from the results tables, each with its
population; the sections in the order of ``[report.key_findings]``; the contributions in
plain words with their caveat; the widest equity gap; French without English.

The synthetic store (fast) carries the numbers; the demo's universes are checked on the
demo book (slow).
"""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pandas as pd
import pytest

from ci_eval.report import chapters
from ci_eval.report.build import DEFAULT_BOOK, book_settings
from ci_eval.report.chapters.key_findings import contribution_sentence, primary_row
from ci_eval.report.format import typeset_html
from ci_eval.report.page import Page, load_translations
from ci_eval.results import ResultsStore
from report_language import page_problems
from report_synthetic import conform, write_synthetic_store

WORDS = load_translations(DEFAULT_BOOK / "i18n")
NB = "\u00a0"


def _gap(group: str, difference: float, suppressed: bool = False) -> dict:
    comparison = 0.40
    return {
        "indicator": "mentoring_gap",
        "group_variable": "gender",
        "group": group,
        "comparison": "1+2+3",
        "domain": "overall",
        "domain_value": "",
        "wave": "2024",
        "estimate_group": comparison + difference,
        "estimate_comparison": comparison,
        "difference": difference,
        "difference_ci_low": difference - 0.05,
        "difference_ci_high": difference + 0.05,
        "ratio": (comparison + difference) / comparison,
        "ratio_ci_low": 1.0,
        "ratio_ci_high": 1.5,
        "n_group": 300,
        "n_comparison": 500,
        "suppressed": suppressed,
        "reason": "n < 10" if suppressed else "",
    }


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> ResultsStore:
    """The synthetic store with equity gaps of the mentoring gap (lower is better): gender 2
    is the worst off that is published, gender 3 (larger) is suppressed."""
    store = write_synthetic_store(tmp_path_factory.mktemp("findings"))
    gaps = store.read("equity_gaps")
    extra = pd.DataFrame([_gap("1", -0.03), _gap("2", 0.09), _gap("3", 0.30, suppressed=True)])
    extra.loc[extra["suppressed"], ["estimate_group", "difference", "ratio"]] = np.nan
    store.write("equity_gaps", conform("equity_gaps", pd.concat([gaps, extra])))
    return store


def page_of(store: ResultsStore, lang: str, tmp_path, **settings) -> Page:
    given = book_settings(DEFAULT_BOOK)
    if settings:
        given["key_findings"] = {**given["key_findings"], **settings}
    return Page(store.root, lang, WORDS, tmp_path, settings=given)


def findings(store: ResultsStore, lang: str, tmp_path, **settings) -> str:
    page = page_of(store, lang, tmp_path, **settings)
    return unescape(typeset_html(chapters.key_findings(page), lang))


def cards(html: str) -> dict[str, str]:
    """Each card's text by its label."""
    out = {}
    for card in re.findall(r"<div class='ci-card'>(.*?)</div>", html, flags=re.S):
        label = re.search(r"ci-card-label'>(.*?)</p>", card).group(1)
        out[label] = re.sub(r"<[^>]+>", " ", card)
    return out


def _overall(store: ResultsStore, table: str, indicator: str) -> pd.Series:
    frame = store.read(table)
    rows = frame[
        (frame["indicator"] == indicator)
        & (frame["domain"] == "overall")
        & (frame["wave"] == "2024")
    ]
    return rows.iloc[0]


def test_every_number_of_a_card_is_its_results_row(store, tmp_path):
    html = findings(store, "en", tmp_path)
    shown = cards(html)
    page = page_of(store, "en", tmp_path)
    for indicator in ("mentored_6_18", "mentoring_gap", "has_waitlist"):
        row, trend = _overall(store, "indicators", indicator), _overall(store, "trends", indicator)
        card = shown[page.label("indicator", indicator)]
        assert f"{100 * row['estimate']:.1f}%" in card, card
        assert f"95% CI: {100 * row['ci_low']:.1f}% – {100 * row['ci_high']:.1f}%" in card
        low, high = (f"{100 * trend[k]:+.1f}" for k in ("ci_low", "ci_high"))
        change = f"{100 * trend['change']:+.1f} pts since 2021 (95% CI: {low} to {high})"
        assert change in card, card
        assert page.universe(row["universe"], row["survey"]) in card


def test_cards_state_their_own_population(store, tmp_path):
    shown = cards(findings(store, "en", tmp_path))
    assert "Population: all young adults aged 18–30." in shown["Had a mentor at ages 6–18"]
    waitlist = shown["Programs with a waitlist"]
    assert "Population: mentoring programs." in waitlist and "young" not in waitlist


def test_sections_follow_the_settings_order_and_leave_out_the_others(store, tmp_path):
    titles = re.findall(r"<h2>(.*?)</h2>", findings(store, "en", tmp_path))
    assert titles == [
        "Young people and mentoring, 2024",
        "What having a mentor is associated with",
        "The capacity of mentoring programs, 2024",
        "Who is left out",
    ]
    chosen = findings(store, "en", tmp_path, order=["equity", "numbers"])
    assert re.findall(r"<h2>(.*?)</h2>", chosen) == [titles[3], titles[0]]
    only = findings(store, "en", tmp_path, order=["numbers"], numbers=["mentoring_gap"])
    assert list(cards(only)) == ["Wanted a mentor and had none"]


def test_contributions_read_in_plain_words_from_their_primary_row(store, tmp_path):
    page = page_of(store, "en", tmp_path)
    frame = store.read("contributions")
    assert page.settings["key_findings"]["contributions"] == [
        "swemwbs_by_mentor",
        "gap_by_mentor",
        "swemwbs_by_type",
    ]  # the book's demo ids are not in this store: its primary estimates, in order
    row = frame[frame["primary"] & (frame["contribution"] == "swemwbs_by_mentor")]
    row = row[row["wave"] == "2024"].iloc[0]
    text = contribution_sentence(page, primary_row(page, "swemwbs_by_mentor"))
    assert text == (
        "Young adults who had a mentor between the ages of 6 and 18 scored "
        f"{row['estimate']:.2f} points (95% CI: {row['ci_low']:.2f} – {row['ci_high']:.2f}) "
        "higher than those who had none on the mental wellbeing scale (SWEMWBS, 7 to 35), "
        "after accounting for gender and region (2024)."
    )
    # a proportion without a phrase for its outcome: named by its labels, in points
    gap = primary_row(page, "gap_by_mentor")
    text = contribution_sentence(page, gap)
    assert text.startswith("Wanted a mentor and had none, mentored vs not mentored: ")
    low, high = sorted(-100 * gap[k] for k in ("ci_low", "ci_high"))
    assert (
        f"{-100 * gap['estimate']:.1f} percentage points lower (95% CI: {low:.1f} – {high:.1f})"
        in text
    )
    html = findings(store, "en", tmp_path)
    assert "associations, not proof of cause" in html


def test_a_contribution_whose_ci_holds_zero_is_no_clear_difference(store, tmp_path):
    page = page_of(store, "en", tmp_path)
    row = primary_row(page, "swemwbs_by_mentor") | {"ci_low": -0.2}
    assert "did not clearly score higher or lower" in contribution_sentence(page, row)


def test_french_points_take_the_singular_below_two(store, tmp_path):
    page = page_of(store, "fr", tmp_path)
    row = primary_row(page, "swemwbs_by_mentor")
    assert "1,30 point de plus" in contribution_sentence(page, row)
    assert "2,50 points de plus" in contribution_sentence(page, row | {"estimate": 2.5})


def test_the_widest_published_gap_against_the_good_direction(store, tmp_path):
    html = findings(store, "en", tmp_path)
    section = html[html.index("Who is left out") :]
    assert "the widest gap is for the group “Gender: Man”" in section  # gender 2
    assert "at 49.0% against 40.0% for everyone else, a gap of 9.0 pts" in section
    assert "(95% CI: 4.0 – 14.0)" in section
    # no group worse off: no equity section
    none = findings(store, "en", tmp_path, order=["equity"], equity="mentored_6_18")
    assert none == ""


def test_the_french_page_has_no_english_and_french_typography(store, tmp_path):
    page = page_of(store, "fr", tmp_path)
    html = typeset_html(chapters.key_findings(page), "fr")
    assert page_problems(html, "fr") == []
    assert f"IC à 95{NB}%{NB}:" in html and "Qui est laissé pour compte" in html


@pytest.mark.slow
def test_the_demo_key_findings_equal_its_tables_with_their_universes(demo_built, tmp_path):
    """The demo's waitlist and demand are counted among all programs, youth waiting among
    programs with a waitlist; each number is the results table's."""
    store = ResultsStore(demo_built / "reports" / "2024")
    shown = cards(findings(store, "en", tmp_path))
    expected = {
        "Programs with a waitlist": ("has_waitlist", "Population: all mentoring programs."),
        "Programs where demand outpaces what they can offer": (
            "demand_outpaces_capacity",
            "Population: all mentoring programs.",
        ),
        "Youth on waitlists": ("youth_waiting", "Population: programs with a waitlist."),
        "Had a structured (program) mentor, among the mentored": (
            "mentored_structured",
            "Population: young adults who had a mentor at ages 6–18.",
        ),
        "Had a structured (program) mentor, among all young adults": (
            "mentored_structured_all",
            "Population: all young adults aged 18 to 30.",
        ),
    }
    for label, (indicator, population) in expected.items():
        row = _overall(store, "indicators", indicator)
        value = (
            f"{row['estimate']:,.0f}"
            if indicator == "youth_waiting"
            else f"{100 * row['estimate']:.1f}%"
        )
        assert value in shown[label] and population in shown[label], shown[label]
