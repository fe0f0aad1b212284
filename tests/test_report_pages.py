"""Page helpers on the synthetic store, without building the book (fast)."""

from __future__ import annotations

import re

import pytest

from ci_eval.errors import ReportError
from ci_eval.report import chapters
from ci_eval.report.build import DEFAULT_BOOK
from ci_eval.report.format import typeset_html
from ci_eval.report.page import Page, load_translations
from ci_eval.report.pdf import pdf_available
from ci_eval.report.program_page import program_page
from ci_eval.report.render import block_function, render_words, segments
from report_synthetic import LEAK, write_synthetic_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    write_synthetic_store(root)
    return root


def page(store, lang, figures):
    return Page(store, lang, load_translations(DEFAULT_BOOK / "i18n"), figures)


def test_figures_are_byte_identical_across_renders(store, tmp_path):
    first = page(store, "fr", tmp_path / "a")
    second = page(store, "fr", tmp_path / "b")
    html = typeset_html(chapters.domain_figure(first, "mentored_6_18", "region"), "fr")
    chapters.domain_figure(second, "mentored_6_18", "region")
    a = (tmp_path / "a" / "mentored_6_18-region-fr.svg").read_bytes()
    b = (tmp_path / "b" / "mentored_6_18-region-fr.svg").read_bytes()
    assert a == b and b"<svg" in a
    alt = re.search(r'alt="([^"]+)"', html).group(1)
    # the suppressed region is described as not published, never by its value
    assert "Nord\u00a0: non publié" in alt
    assert "98,8" not in alt and "Population\u00a0:" in html


def test_every_text_key_and_block_used_by_the_pages_exists():
    words = load_translations(DEFAULT_BOOK / "i18n")
    for source in DEFAULT_BOOK.glob("*.md"):
        text = source.read_text(encoding="utf-8")
        for lang in ("en", "fr"):
            rendered = render_words(text, words[lang], "2024", source.name)
            left = [value for kind, value in segments(rendered) if kind == "markdown"]
            assert "{{" not in "".join(left), (source.name, lang)
        for kind, name in segments(text):
            if kind == "block":
                assert callable(block_function(name, source.name))


def test_an_unknown_block_names_the_page_and_the_blocks_there_are():
    with pytest.raises(ReportError, match=r"chapter.md: no block 'nope'; use one of .*forest_plot"):
        block_function("nope", "chapter.md")


def test_a_missing_text_key_names_the_key_and_the_file():
    with pytest.raises(ReportError, match=r"chapter.md: no text for 'pages.nope'"):
        render_words("{{t:pages.nope}}", {"pages": {}}, "2024", "chapter.md")


def test_labels_ignore_the_parent_except_for_levels(store, tmp_path):
    p = page(store, "en", tmp_path)
    assert p.label("indicator", "mentored_6_18") == "Had a mentor at ages 6\u201318"  # en dash
    assert p.label("level", "2", "region") == "Quebec"
    assert p.label("level", "2", "gender") == "Man"
    assert p.label("indicator", "unknown_id") == "unknown_id"


def test_scale_missing_rules_are_spelled_out(store, tmp_path):
    p = page(store, "fr", tmp_path)
    note = p.missing_note("dk_pnts_excluded_min_3_of_4")
    assert (
        note.startswith("Les réponses «\u00a0Je ne sais pas\u00a0»")
        and "au moins 3 de ses 4" in note
    )


def test_program_pages_are_private_one_per_language_and_hide_suppressed_values(store):
    paths = program_page(store, "P001", pdf=False)  # the PDFs: test_report_pdf.py
    folder = store / "private" / "programs" / "P001"
    assert paths == [folder / "benchmark-en.html", folder / "benchmark-fr.html"]
    assert not any((store / "tables").rglob("P001*"))  # nothing of the program is public
    en, fr = (p.read_text(encoding="utf-8") for p in paths)
    assert '<html lang="en">' in en and '<html lang="fr">' in fr
    assert "Votre programme" not in en and "Your program" not in fr
    assert 'name="robots" content="noindex"' in en
    for text in (en, fr):
        assert f"{LEAK}" not in text and "98.8" not in text and "98,8" not in text
    # the peer group in words, never its codes; the quartiles as the rule published them
    assert "region=1" not in en and "programs (region: Atlantic)" in en
    assert "median 95; middle half 60 to 150" in en and "third quarter of the group" in en
    assert "médiane 95 ; moitié centrale de 60 à 150" in fr
    with pytest.raises(ReportError, match=r"program 'P999' is not in the survey.*P001"):
        program_page(store, "P999")
    with pytest.raises(ReportError, match="program id"):
        program_page(store, "../etc")


def test_report_settings_drop_unknown_ids_and_fall_back_to_defaults(store, tmp_path):
    words = load_translations(DEFAULT_BOOK / "i18n")
    given = {"headline": ["nope", "mentoring_gap"], "gap_outcomes": ["nowhere"]}
    p = Page(store, "en", words, tmp_path, settings=given)
    assert p.settings["headline"] == ["mentoring_gap"]
    assert p.settings["gap_outcomes"] == ["access"]  # outcome of the first youth indicator
    assert p.settings["people_survey"] == "youth"
    assert p.settings["sector_survey"] == "organisations"
    default = Page(store, "en", words, tmp_path).settings["headline"]
    assert default == ["mentored_6_18", "swemwbs_score"]  # first indicator of each outcome


def test_report_program_command_writes_the_private_pages(store):
    from typer.testing import CliRunner

    from ci_eval.cli import app

    result = CliRunner().invoke(app, ["report", "program", "P001", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert (store / "private/programs/P001/benchmark-fr.html").exists()
    assert (store / "private/programs/P001/benchmark-fr.pdf").exists() == pdf_available()
    missing = CliRunner().invoke(app, ["report", "program", "P404", "--store", str(store)])
    assert missing.exit_code == 2 and "program 'P404' is not in the survey" in missing.output
    every = CliRunner().invoke(
        app, ["report", "program", "--all", "--no-pdf", "--store", str(store)]
    )
    assert every.exit_code == 0, every.output
    both = CliRunner().invoke(app, ["report", "program", "P001", "--all", "--store", str(store)])
    assert both.exit_code == 2 and "not both" in both.output


def test_the_equity_gaps_read_as_sentences_in_both_languages(store, tmp_path):
    from ci_eval.report.chapters.mentoring_gap import equity_sections

    en = typeset_html(equity_sections(page(store, "en", tmp_path)), "en")
    assert (
        "Who is left out" in en and ">By gender</th>" in en and '<th scope="row">Woman</th>' in en
    )
    assert "12.0 pts (5.0 \u2013 19.0)" in en and "1.24\u00d7 (1.09 \u2013 1.41)" in en
    assert "everyone else" in en and "not published" in en  # gender 3 is suppressed
    fr = typeset_html(equity_sections(page(store, "fr", tmp_path)), "fr")
    assert "Qui est laissé pour compte" in fr and ">Selon le genre</th>" in fr
    assert (
        '<th scope="row">Femme</th>' in fr and "Genre" not in fr
    )  # a group is not "Variable: level"
    assert "12,0\u00a0pt (5,0 \u2013 19,0)" in fr and "1,24 fois (1,09 \u2013 1,41)" in fr
    assert "gender" not in fr and "not published" not in fr and "everyone" not in fr


def test_methods_page_states_the_disclosure_rules_with_the_studys_settings(store, tmp_path):
    from ci_eval.report.chapters.methods import disclosure_text

    manifest = {"settings": {"disclosure": {"peer_k": 4, "p_percent": 15, "min_peers": 6}}}
    en = disclosure_text(page(store, "en", tmp_path), manifest)
    assert "mean of the 4 values nearest its position" in en and "within 15%" in en
    assert "at least 6 other programs" in en and "Sweeney" in en and "§4.2–4.3" in en
    fr = disclosure_text(page(store, "fr", tmp_path), manifest)
    assert "moyenne des 4 valeurs les plus proches" in fr and "15\u00a0%" in fr
    assert "{" not in en + fr


def test_methods_quality_table_words_the_scoring_warnings(store, tmp_path):
    from ci_eval.report.chapters.methods import quality_table

    en = quality_table(page(store, "en", tmp_path))
    assert "division by zero in Mental wellbeing score (SWEMWBS) (value set missing)" in en
    assert "Type of mentor: answer code 2 declared missing" in en
    assert "scoring warnings" in en and "swemwbs_score" not in en and "mentor_type" not in en
    fr = typeset_html(quality_table(page(store, "fr", tmp_path)), "fr")
    assert "division par zéro dans Score de bien-être mental (SWEMWBS)" in fr
    assert "Type de mentor\u00a0: code de réponse 2 déclaré manquant" in fr
    assert "anomalies de calcul" in fr and "division by zero" not in fr
