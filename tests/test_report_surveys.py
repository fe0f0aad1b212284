"""The surveys in the introduction and the methods (table ``surveys``): fieldwork in words,
every count the table's, a rate the study does not give "not reported" in words, which
surveys are weighted and to what, French without English."""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pandas as pd
import pytest

from ci_eval.report import chapters
from ci_eval.report.build import DEFAULT_BOOK
from ci_eval.report.format import typeset_html
from ci_eval.report.page import Page, load_translations
from ci_eval.results import ResultsStore
from report_language import page_problems
from report_synthetic import conform, write_synthetic_store

WORDS = load_translations(DEFAULT_BOOK / "i18n")


def _wave(survey: str, wave: str, **facts) -> dict:
    people = survey == "youth"
    return {
        "survey": survey,
        "wave": wave,
        "unit": "respondent" if people else "program",
        "population_en": "Young adults aged 18 to 30" if people else "Mentoring programs",
        "population_fr": "Jeunes adultes de 18 à 30 ans" if people else "Programmes de mentorat",
        "sample_en": "Random sample by province",
        "sample_fr": "Échantillon aléatoire par province",
        "targets_source_en": "Statistics Canada, Table 17-10-0005-01" if people else "",
        "targets_source_fr": "Statistique Canada, tableau 17-10-0005-01" if people else "",
        "weighted": people,
        "margins": ["age_band x gender", "region"] if people else [],
        **facts,
    }


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> ResultsStore:
    store = write_synthetic_store(tmp_path_factory.mktemp("surveys"))
    rows = [
        _wave("organisations", "2021", fieldwork_start="2021-04-12", fieldwork_end="2021-05-28",
              invited=430, rate=0.930, rate_kind="participation", responses=400, analysed=400),
        _wave("youth", "2024", fieldwork_start="2024-02-05", fieldwork_end="2024-04-05",
              invited=0, rate=np.nan, rate_kind="", responses=3140, analysed=2883),
        _wave("youth", "2021", fieldwork_start="", fieldwork_end="", invited=0, rate=np.nan,
              rate_kind="", responses=3040, analysed=1),
    ]  # fmt: skip
    store.write("surveys", conform("surveys", pd.DataFrame(rows)))
    return store


def drawn(store: ResultsStore, block: str, lang: str, tmp_path) -> str:
    page = Page(store.root, lang, WORDS, tmp_path)
    return typeset_html(getattr(chapters, block)(page), lang)


def cells(html: str) -> list[list[str]]:
    body = html[html.index("<tbody") :]
    return [
        [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r)]
        for r in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]


def test_the_methods_table_is_the_surveys_table_in_words(store, tmp_path):
    html = drawn(store, "surveys_table", "en", tmp_path)
    rows = cells(html)
    assert rows[0] == [
        Page(store.root, "en", WORDS, tmp_path).label("survey", "organisations"),
        "2021",
        "12 April to 28 May 2021",
        "430",
        "400",
        "400",
        "93.0% (participation)",
        "no",
    ]
    assert rows[1][2:] == [
        "5 February to 5 April 2024",
        "not reported",
        "3,140",
        "2,883",
        "not reported",
        "yes: age band × gender; region",
    ]
    assert rows[2][2] == "not reported"
    text = unescape(html)
    assert "Population targets: Statistics Canada, Table 17-10-0005-01." in text
    assert "_static/tables/surveys.csv" in html  # the CSV of the public table


def test_the_introduction_lists_each_survey_with_its_waves(store, tmp_path):
    text = unescape(re.sub(r"<[^>]+>", "", drawn(store, "survey_sources", "en", tmp_path)))
    assert "2024: fieldwork 5 February to 5 April 2024, 2,883 responses analysed." in text
    assert "2021: fieldwork dates not reported, 1 response analysed." in text
    assert "Weighted to the population by age band × gender; region (raking)." in text
    assert "Not weighted: its estimates describe those who answered." in text


def test_french_dates_rates_and_counts(store, tmp_path):
    for block in ("surveys_table", "survey_sources"):
        html = drawn(store, block, "fr", tmp_path)
        assert page_problems(html, "fr") == [], block
    text = unescape(drawn(store, "survey_sources", "fr", tmp_path))
    assert "2024\u00a0: collecte du 5 février au 5 avril 2024" in text
    assert "1 réponse analysée" in text and "2\u202f883 réponses analysées" in text
    table = unescape(drawn(store, "surveys_table", "fr", tmp_path))
    assert "93,0\u00a0% (participation)" in table and "non communiqué" in table
