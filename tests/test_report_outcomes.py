"""The outcomes page on the synthetic store: one primary estimate per outcome and comparison,
in the outcome's units, equal to the contributions table at the displayed precision, in both
languages (no book build: fast)."""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pandas as pd
import pytest

from ci_eval.report import chapters
from ci_eval.report.build import DEFAULT_BOOK
from ci_eval.report.chapters import outcomes
from ci_eval.report.format import format_number, format_percent
from ci_eval.report.page import Page, load_translations
from ci_eval.results import ResultsStore
from report_synthetic import CONTRIBUTIONS, write_synthetic_store

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    write_synthetic_store(root)
    return root


def make_page(store, lang, tmp_path) -> Page:
    return Page(store, lang, load_translations(DEFAULT_BOOK / "i18n"), tmp_path)


def rows_of_tables(html: str) -> list[list[str]]:
    """Every body row of the tables in ``html``, as the text of its cells."""
    rows = []
    for tr in re.findall(r"<tr><th scope=\"row\">.*?</tr>", html):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr)
        text = [re.sub(r"<[^>]+>", "", re.sub(r"\s*<br>\s*", " ", c)) for c in cells]
        rows.append([unescape(t) for t in text])
    return rows


def primary(store) -> pd.DataFrame:
    con = ResultsStore(store).read("contributions")
    return con[(con["wave"] == "2024") & con["primary"]]


SCALE = {"mentoring_gap": (100.0, 1), "swemwbs_score": (1.0, 2)}  # the synthetic outcomes


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_primary_table_shows_the_table_estimates_in_points(store, tmp_path, lang):
    rows = rows_of_tables(chapters.contributions_table(make_page(store, lang, tmp_path)))
    expected = primary(store)
    assert len(rows) == len(expected) == 6  # one row per outcome and comparison
    shown = {(r[0], r[3], r[4]) for r in rows}
    p = make_page(store, lang, tmp_path)
    for r in expected.to_dict("records"):
        label = p.label("indicator", r["outcome"])
        if r["suppressed"]:
            nothing = p.t("common.suppressed")
            assert (label, nothing, nothing) in shown
            continue
        scale, digits = SCALE[r["outcome"]]
        low, high = (format_number(r[k] * scale, lang, digits) for k in ("ci_low", "ci_high"))
        ci = f"{low} \u2013 {high}"
        assert (label, format_number(r["estimate"] * scale, lang, digits), ci) in shown


def test_adjusted_levels_of_a_yes_no_outcome_are_percentages(store, tmp_path):
    rows = rows_of_tables(chapters.contributions_table(make_page(store, "en", tmp_path)))
    con = ResultsStore(store).read("contributions")
    levels = con[
        (con["contribution"] == "gap_by_mentor")
        & (con["wave"] == "2024")
        & (con["model"] == "gcomp")
        & con["measure"].str.startswith("level_")
    ].set_index("measure")["estimate"]
    pair = f"{format_percent(levels['level_exposed'], 'en')} vs "
    pair += format_percent(levels["level_unexposed"], "en")
    assert next(r[2] for r in rows if r[0] == "Wanted a mentor and had none") == pair


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_forest_plot_is_in_points_with_a_zero_line_one_figure_per_unit(store, tmp_path, lang):
    p = make_page(store, lang, tmp_path)
    drawn = {}
    p.figure = lambda fig, name, alt, caption, notes="": drawn.setdefault(name, fig) and ""
    chapters.forest_plot(p)
    assert set(drawn) == {"forest-proportion", "forest-mean"}
    ax = drawn["forest-proportion"].axes[0]
    assert "percentage points" in ax.get_xlabel() or "points de pourcentage" in ax.get_xlabel()
    (line,) = [c for c in ax.get_lines() if c.get_linestyle() == "--"]
    assert np.allclose(line.get_xdata(), 0)  # the line of no difference
    expected = primary(store)
    gap = expected[(expected["contribution"] == "gap_by_mentor")]["estimate"].iloc[0]
    points = ax.get_lines()[0].get_xdata()
    assert points == pytest.approx([100 * gap])  # -8 points, not -0.08 (suppressed: not drawn)


def test_forest_alt_text_states_each_estimate_at_the_displayed_precision(store, tmp_path):
    html = chapters.forest_plot(make_page(store, "fr", tmp_path))
    alt = unescape(re.findall(r'alt="([^"]+)"', html)[1])
    est = primary(store).set_index("contribution").loc["swemwbs_by_mentor"]
    assert format_number(est["estimate"], "fr", 2) in alt
    assert (
        f"{format_number(est['ci_low'], 'fr', 2)} \u2013 {format_number(est['ci_high'], 'fr', 2)}"
        in alt
    )


def test_a_comparison_among_the_mentored_says_so_with_its_own_group_names(store, tmp_path):
    p = make_page(store, "en", tmp_path)
    rows = rows_of_tables(chapters.contributions_table(p))
    (typed,) = [r[1] for r in rows if r[1].startswith("Structured")]
    among = "among young adults who had a mentor at ages 6\u201318"  # en dash: typeset
    assert typed == f"Structured mentor vs informal mentors only, {among}"
    assert "not mentored" not in typed
    assert next(r[1] for r in rows if r[0] == "Wanted a mentor and had none") == (
        "Mentored vs not mentored"
    )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_adjustment_covariates_are_listed_in_words_from_the_table(store, tmp_path, lang):
    p = make_page(store, lang, tmp_path)
    html = unescape(chapters.adjustment_covariates(p))
    for spec in CONTRIBUTIONS:
        names = [outcomes._lower(p.label("variable", v)) for v in spec[4]]
        assert outcomes._and_list(p, names) in html
    assert ("gender and region" if lang == "en" else "genre et région") in html
    assert "{{block:adjustment_covariates}}" in (DEFAULT_BOOK / "methods.md").read_text()
    assert "{{block:adjustment_covariates}}" in (DEFAULT_BOOK / "outcomes.md").read_text()


def test_other_estimators_are_in_a_details_section(store, tmp_path):
    html = chapters.estimator_details(make_page(store, "en", tmp_path))
    assert html.startswith('<details class="ci-details"><summary>')
    rows = rows_of_tables(html)
    con = ResultsStore(store).read("contributions")
    odds = con[
        (con["contribution"] == "gap_by_mentor")
        & (con["wave"] == "2024")
        & (con["measure"] == "odds_ratio")
        & (con["model"] == "regression")
    ].iloc[0]
    cell = f"{format_number(odds['estimate'], 'en', 2)} ({format_number(odds['ci_low'], 'en', 2)}"
    assert any(r[0].startswith("Wanted a mentor") and r[3].startswith(cell) for r in rows)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_projection_is_worded_as_conditional_not_causal(store, tmp_path, lang):
    html = unescape(chapters.gap_projection_table(make_page(store, lang, tmp_path)))
    conditional = "if the association were causal" if lang == "en" else "si l'association était"
    assert conditional in html
    for causal in ("if all had been mentored", "si tous avaient eu un mentor"):
        assert causal not in html


def test_french_blocks_follow_french_typography(store, tmp_path):
    p = make_page(store, "fr", tmp_path)
    blocks = (
        chapters.adjustment_covariates,
        chapters.contributions_table,
        chapters.estimator_details,
        chapters.gap_projection_table,
        chapters.dose_response_figure,
    )
    text = unescape(re.sub(r"<[^>]+>", " ", "".join(b(p) for b in blocks)))
    # a no-break space (never a plain one, never none) before : ; ? ! and %, inside « »
    assert not re.search(r"\w [:;?!%]", text), re.findall(r".{20}\w [:;?!%].{10}", text)
    assert not re.search(r"\d%", text) and "points de pourcentage" in text
    assert "«\u00a0" in text and "\u00a0»" in text


def test_an_ordered_exposure_is_named_and_its_levels_come_from_the_dose_response(store, tmp_path):
    rows = rows_of_tables(chapters.contributions_table(make_page(store, "en", tmp_path)))
    among = "among young adults who had a mentor at ages 6\u201318"  # en dash: typeset
    (three,) = [r for r in rows if r[1].startswith("Length of the relationship: 3 years")]
    assert three[1] == f"Length of the relationship: 3 years or more vs less than 1 year, {among}"
    dose = ResultsStore(store).read("dose_response").set_index("exposure_level")["estimate"]
    assert three[2] == f"{format_number(dose['3'], 'en', 2)} vs {format_number(dose['1'], 'en', 2)}"


def test_the_dose_response_figure_is_labelled_in_words(store, tmp_path):
    p = make_page(store, "en", tmp_path)
    drawn = {}
    p.figure = lambda fig, name, alt, caption, notes="": (
        drawn.update({name: (fig, caption, notes)}) or ""
    )
    chapters.dose_response_figure(p)
    fig, caption, notes = drawn["dose-swemwbs_by_length"]
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["Less than 1 year", "1 to 2 years", "3 years or more"]
    assert ax.get_xlabel() == "Length of the relationship" and ax.get_ylabel() == "Expected score"
    assert caption == "Mental wellbeing score (SWEMWBS), by length of the relationship, 2024"
    assert "hatched" not in notes and "the same region" in notes


def test_the_page_follows_the_primary_estimator_the_table_marks(store, tmp_path):
    """With ``primary_estimator = "aipw"`` the stage marks the doubly robust rows primary (an
    ordered exposure keeps g-computation's): the page shows those, and says so."""
    import shutil

    from ci_eval.analysis.contribution.tables import primary_rows

    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    con = ResultsStore(copy).read("contributions")
    marked = [primary_rows(group, "aipw") for _, group in con.groupby(["contribution", "wave"])]
    con["primary"] = pd.concat(marked).reindex(con.index) | con["suppressed"]
    ResultsStore(copy).write("contributions", con)
    p = make_page(copy, "en", tmp_path / "figures")
    rows = rows_of_tables(chapters.contributions_table(p))
    ate = con[(con["contribution"] == "swemwbs_by_mentor") & (con["wave"] == "2024")]
    ate = ate[ate["measure"] == "ate"].iloc[0]
    (mentored,) = [
        r for r in rows if r[0].startswith("Mental") and r[1] == "Mentored vs not mentored"
    ]
    assert mentored[3] == format_number(ate["estimate"], "en", 2)
    notes = chapters.estimator_details(p)
    said = "The estimates above are obtained by doubly robust (AIPW) and g-computation."
    assert said in unescape(notes)
