"""The scorecard: values by unit, the change and its CI, grouping by outcome, "N of M"."""

from __future__ import annotations

import re
from html import unescape

import pandas as pd
import pytest

from ci_eval.report import chapters
from ci_eval.report.build import DEFAULT_BOOK
from ci_eval.report.format import format_change, format_in_unit, unit_digits
from ci_eval.report.page import Page, load_translations
from ci_eval.results import ResultsStore
from report_synthetic import conform, write_synthetic_store

WORDS = load_translations(DEFAULT_BOOK / "i18n")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> ResultsStore:
    """The synthetic store plus a share computed as a mean (the demo's mentor retention) and
    a 1-5 score that fell by 0.03."""
    root = tmp_path_factory.mktemp("scorecard")
    store = write_synthetic_store(root)
    extra = [
        # id, statistic, unit, baseline, latest, change CI
        ("retention", "mean", "percent", 0.6332, 0.6383, (-0.0166, 0.0269)),
        ("quality", "mean", "score", 3.8584, 3.8303, (-0.0874, 0.0310)),
    ]
    ind, trends = store.read("indicators"), store.read("trends")
    toc = store.read("toc_indicators")
    for name, statistic, unit, base, now, (low, high) in extra:
        ind = pd.concat([ind, _indicator_rows(ind, name, statistic, base, now)])
        trend = trends[(trends["indicator"] == "mentored_6_18") & (trends["domain"] == "overall")]
        values = {"baseline": base, "estimate": now, "change": now - base}
        added = trend.assign(indicator=name, ci_low=low, ci_high=high, trend="steady", **values)
        trends = pd.concat([trends, added])
        row = {"indicator": name, "outcome": "program_delivery", "unit": unit}
        toc = pd.concat([toc, pd.DataFrame([row])])
    for name, frame in (("indicators", ind), ("trends", trends), ("toc_indicators", toc)):
        store.write(name, conform(name, frame.reset_index(drop=True)))
    return store


def _indicator_rows(ind: pd.DataFrame, name: str, statistic: str, base: float, now: float):
    rows = ind[(ind["indicator"] == "youth_served") & (ind["domain"] == "overall")].copy()
    rows["estimate"] = [base if w == "2021" else now for w in rows["wave"]]
    return rows.assign(indicator=name, statistic=statistic, se=0.01, symbol="", flag="")


def page_of(store: ResultsStore, lang: str) -> Page:
    return Page(store.root, lang, WORDS, store.root / "site" / "figures")


def rows_by_label(html: str) -> dict[str, list[str]]:
    """Each body row's cells as text, by its row header."""
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", html):
        head, _, rest = row.partition("</th>")
        cells = re.findall(r"<td[^>]*>(.*?)</td>", rest)
        text = [unescape(re.sub(r"<br>", " | ", re.sub(r"<(?!br)[^>]+>", "", c))) for c in cells]
        rows[unescape(head)] = text
    return rows


def test_values_are_formatted_by_their_unit():
    assert format_in_unit(0.6332, "percent", "en") == "63.3%"
    assert format_in_unit(0.6332, "percent", "fr") == "63,3\u00a0%"
    assert format_in_unit(3.8584, "score", "en", unit_digits("score", 3.8584)) == "3.86"
    assert format_in_unit(22.257, "score", "en", unit_digits("score", 22.257)) == "22.3"
    assert format_in_unit(45584.0, "count", "fr") == "45\u202f584"
    assert format_change(0.0051, "percent", "en") == "+0.5"  # points, not 0.0051
    assert format_change(-0.0282, "score", "en", 2) == "-0.03"  # not "+0.0"
    assert format_change(0.00001, "percent", "en") == "0.0"  # no sign on a zero


def test_a_share_computed_as_a_mean_reads_as_a_percent(store):
    """The retention rate (a ratio, estimated as a mean): 63.3% -> 63.8%, +0.5 pts."""
    rows = rows_by_label(chapters.scorecard_table(page_of(store, "en")))
    base, now, change, *_ = rows["retention"]
    assert (base, now) == ("63.3%", "63.8%")
    assert change == "+0.5 pts | -1.7 to +2.7"


def test_a_small_score_keeps_two_decimals_and_its_sign(store):
    rows = rows_by_label(chapters.scorecard_table(page_of(store, "fr")))
    assert rows["quality"][:3] == ["3,86", "3,83", "-0,03 | -0,09 à +0,03"]


def test_the_change_and_its_ci_come_from_the_trends_table(store):
    page = page_of(store, "en")
    trend = page.table("trends")
    trend = trend[(trend["indicator"] == "swemwbs_score") & (trend["domain"] == "overall")]
    row = trend.iloc[0]
    cells = rows_by_label(chapters.scorecard_table(page))["Mental wellbeing score (SWEMWBS)"]
    expected = [f"{v:+.1f}" for v in (row["change"], row["ci_low"], row["ci_high"])]
    assert cells[2] == f"{expected[0]} | {expected[1]} to {expected[2]}"


def test_indicators_are_grouped_under_their_outcome_in_the_models_order(store):
    html = chapters.scorecard_table(page_of(store, "en"))
    heading = r'<tbody class="ci-group">\n<tr class="ci-group-heading"><th [^>]*>(.*?)</th>'
    groups = re.findall(heading + r"(.*?)</tbody>", html, re.S)
    headings = [unescape(h) for h, _ in groups]
    assert headings == [
        "Programs deliver mentoring (activities)",  # toc_outcomes' order, with the level
        "Young people have mentors (outputs)",
        "Mental wellbeing (intermediate)",
    ]
    members = {unescape(h): list(rows_by_label(body)) for h, body in groups}
    assert members["Young people have mentors (outputs)"] == [
        "Had a mentor at ages 6–18",  # a range takes an en dash on the page
        "Wanted a mentor and had none",
    ]
    assert "retention" in members["Programs deliver mentoring (activities)"]


def test_external_baseline_and_target_have_their_own_columns_and_source(store):
    page = page_of(store, "en")
    html = chapters.scorecard_table(page)
    headers = re.findall(r'<th scope="col"(?: class="num")?>(.*?)</th>', html)
    assert headers[1:3] == ["Baseline, 2021", "Latest, 2024"]
    assert headers[5:] == ["External baseline", "Target"]
    cells = rows_by_label(html)["Had a mentor at ages 6–18"]
    assert cells[0] == "56.0%"  # the survey's own baseline estimate
    assert cells[4] == "55.8% (2021)1"  # the model's, with its source's number
    assert cells[5] == "60.0% by 2024 | not reached"
    assert "Source 1: <cite>National Youth Mentoring Survey 2020</cite>." in unescape(html)
    assert rows_by_label(html)["Wanted a mentor and had none"][5] == "45.0% by 2024 | reached"


def test_n_of_m_improved_per_family(store):
    """The survey sentence counts the headline family; each row its subgroup family."""
    page = page_of(store, "en")
    families = page.table("trend_families")
    youth = families[families["family"] == "headline:youth"].iloc[0]
    sentence = unescape(chapters.scorecard_families(page))
    expected = f"{youth['improved']} of {youth['with_direction']} indicators improved"
    assert f"National youth mentoring survey, 2021 to 2024: {expected}" in sentence
    sub = families[families["family"] == "subgroups:mentored_6_18"].iloc[0]
    cells = rows_by_label(chapters.scorecard_table(page))["Had a mentor at ages 6–18"]
    assert cells[3].endswith(f"{sub['improved']} of {sub['with_direction']} subgroups improved")


def test_french_counts_take_the_singular_for_zero_and_one(store):
    page = page_of(store, "fr")
    assert page.t("scorecard.families.improved", count=0, total=5) == (
        "0 indicateur sur 5 s'est amélioré"
    )
    assert page.t("scorecard.families.improved", count=1, total=5).startswith("1 indicateur ")
    assert page.t("scorecard.families.improved", count=2, total=5).startswith("2 indicateurs ")
    assert page.t("scorecard.subgroups", count=0, total=3) == "0 sous-groupe sur 3 s'est amélioré"
    english = page_of(store, "en")
    assert english.t("scorecard.families.neutral", count=0).startswith("0 indicators ")
    one = english.t("scorecard.families.neutral", count=1)
    assert one.endswith(" direction is described, not judged")
    # one plural mechanism: {count|one|other} in Page.t; Page.plural only passes the count
    assert page.plural("scorecard.families.worsened", 1) == "1 s'est détérioré"


def test_no_translation_keeps_a_one_other_mapping():
    """Plurals are written inline ({n|one|other}); a one:/other: mapping is the old way."""

    def mappings(node, path=""):
        if isinstance(node, dict):
            if {"one", "other"} <= set(node):
                yield path
            for key, value in node.items():
                yield from mappings(value, f"{path}.{key}".lstrip("."))

    for lang, words in WORDS.items():
        assert list(mappings(words)) == [], lang


def test_the_key_findings_survey_sentence_adds_up_to_its_total(store):
    """Improved, no significant change and worsened are counted among the same indicators:
    the indicators with a better direction that could be assessed."""
    families = page_of(store, "en").table("trend_families", latest=True)
    headline = families[families["family"].str.startswith("headline:")].sort_values("survey")
    for lang in ("en", "fr"):
        html = unescape(chapters.scorecard_summary(page_of(store, lang)))
        sentences = re.findall(r"<li>(.*?)</li>", html)
        assert len(sentences) == len(headline)
        for sentence, row in zip(sentences, headline.to_dict("records"), strict=True):
            numbers = [int(n) for n in re.findall(r"\b\d+\b", sentence.split(":", 1)[1])]
            improved, total, steady, worsened = numbers[:4]
            assert total == row["with_direction"], sentence
            assert improved + steady + worsened <= total, sentence  # never more than counted
            assert steady <= total - improved - worsened - row["not_assessed"] or steady == 0


def test_the_scorecard_offers_the_csv_of_each_table_it_reads(store):
    html = chapters.scorecard_table(page_of(store, "fr"))
    links = re.findall(r'<a href="([^"]+)" download type="text/csv">([^<]+)</a>', html)
    assert [href for href, _ in links] == [
        "_static/tables/trends.csv",
        "_static/tables/targets.csv",
        "_static/tables/toc_indicators.csv",
    ]
    assert links[1][1] == "Télécharger les cibles (CSV)"
    for href, _ in links:  # a copy of the public table, byte for byte
        name = href.rsplit("/", 1)[1]
        copied = store.root / "site" / "tables" / name
        assert copied.read_bytes() == (store.root / "tables" / name).read_bytes()


def test_a_one_other_mapping_is_refused_with_the_inline_form_named():
    from ci_eval.errors import ReportError

    page = Page.__new__(Page)
    page.lang, page.words = "en", {"n": {"one": "{count} program", "other": "{count} programs"}}
    with pytest.raises(ReportError, match=r"\{count\|singular\|plural\}"):
        page.plural("n", 2)
