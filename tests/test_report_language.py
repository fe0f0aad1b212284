"""The language of the built book (tests/report_language.py): no identifier on any page, no
English and French typography on the French pages.

The checker's own tests are fast; the book-wide checks build the synthetic store's book and
the demo's (slow).
"""

from __future__ import annotations

import pytest

from report_language import ENGLISH, page_problems, site_problems
from report_synthetic import built_site

NB = "\u00a0"


def test_clean_french_and_english_pages_pass():
    fr = (
        f"<p>Genre{NB}: Femme{NB}; 55,8{NB}% (IC à 95{NB}%{NB}: 53,1{NB}% – 58,4{NB}%) "
        f"«{NB}Je ne sais pas{NB}» selon le genre, 0 indicateur s'est amélioré, 1 mois.</p>"
        "<pre>ci-eval run .  # mentored_6_18 : the whole pipeline</pre>"
        "<p>Fichier <code>surveys/youth/codebook.yaml</code></p>"
    )
    assert page_problems(fr, "fr") == []
    assert page_problems("<p>By gender: 55.8% of all young adults (age_band-free)</p>", "en") == []


@pytest.mark.parametrize(
    ("html", "lang", "found"),
    [
        ("<p>Selon relationship_length, 2024</p>", "fr", "identifier 'relationship_length'"),
        ("<td>age_band: 18–21</td>", "en", "identifier 'age_band'"),
        ('<img alt="Mentored by gender_plus">', "en", "identifier 'gender_plus'"),
        ("<p>Population : all respondents</p>", "fr", "English word 'all'"),
        ("<p>Modèle g-computation</p>", "fr", "English word 'g-computation'"),
        ("<p>Genre : Femme</p>", "fr", "a regular space before a mark"),
        ("<p>Genre: Femme</p>", "fr", "no space before a mark"),
        ("<p>55,8%</p>", "fr", "no space before %"),
        (f"<p>55,8{NB}; 12 %</p>", "fr", "a regular space before a mark"),
        (f"<p>« Je ne sais pas{NB}»</p>", "fr", "« without a no-break space"),
        (f"<p>«{NB}Je ne sais pas »</p>", "fr", "» without a no-break space"),
        ("<p>0 indicateurs se sont améliorés</p>", "fr", "plural after 0"),
    ],
)
def test_each_kind_of_problem_is_found(html, lang, found):
    problems = page_problems(html, lang)
    assert any(found in p for p in problems), problems


def test_english_pages_are_not_held_to_french_rules():
    assert page_problems("<p>Gender: the share, 55.8%; 0 indicators</p>", "en") == []


def test_the_english_list_holds_no_french_word():
    french = {"page", "pages", "figure", "total", "population", "note", "type", "file", "on"}
    assert not french & ENGLISH


@pytest.mark.slow
def test_every_page_of_the_synthetic_book_reads_in_its_language(tmp_path_factory):
    problems = site_problems(built_site(tmp_path_factory))
    assert not problems, "\n".join(problems[:40])


@pytest.mark.slow
def test_every_page_of_the_demo_book_reads_in_its_language(demo_built):
    problems = site_problems(demo_built / "reports/2024/site")
    assert not problems, "\n".join(problems[:40])
