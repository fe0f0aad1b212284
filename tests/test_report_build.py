"""The bilingual book built on a small synthetic results store (one build per session)."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from ci_eval.report.build import DEFAULT_BOOK
from ci_eval.report.format import NARROW_NBSP, NBSP
from ci_eval.report.page import load_translations
from ci_eval.report.render import render_words
from report_synthetic import LEAK, built_site

pytestmark = pytest.mark.slow
LANGS = ("en", "fr")


def chapters() -> list[str]:
    toc = yaml.safe_load((DEFAULT_BOOK / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"], *(c["file"] for c in toc["chapters"])]


class Collect(HTMLParser):
    """Images, tables (with captions and header scopes) and the page language."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.lang = None
        self.tables = 0
        self.captions = 0
        self.th_without_scope = 0
        self.in_table = False
        self.h1: list[str] = []
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "img":
            self.images.append(attrs)
        if tag == "table" and "ci-table" in (attrs.get("class") or ""):
            self.tables += 1
            self.in_table = True
        if tag == "caption" and self.in_table:
            self.captions += 1
        if tag == "th" and self.in_table and "scope" not in attrs:
            self.th_without_scope += 1
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_table = False
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1[-1] += data


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return built_site(tmp_path_factory)


def parse(path: Path) -> Collect:
    collect = Collect()
    collect.feed(path.read_text(encoding="utf-8"))
    return collect


def test_every_chapter_exists_in_both_languages_with_its_translated_title(site):
    words = load_translations(DEFAULT_BOOK / "i18n")
    for lang in LANGS:
        for chapter in chapters():
            page = site / lang / f"{chapter}.html"
            assert page.exists(), page
            parsed = parse(page)
            assert parsed.lang == lang
            source = (DEFAULT_BOOK / f"{chapter}.md").read_text(encoding="utf-8")
            heading = re.search(r"^# (.+)$", source, flags=re.M).group(1)
            title = render_words(heading, words[lang], "2024", chapter)
            assert any(title.replace("'", "\u2019") in h.replace("'", "\u2019") for h in parsed.h1)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="en/index.html"' in index and 'href="fr/index.html"' in index


def test_every_figure_is_referenced_present_and_has_alt_text(site):
    for lang in LANGS:
        referenced = set()
        for page in (site / lang).glob("*.html"):
            for img in parse(page).images:
                src = img.get("src") or ""
                if "_static/figures/" not in src:
                    continue
                assert (site / lang / src).exists(), f"{page.name}: {src} missing"
                assert len(img.get("alt") or "") > 20, f"{page.name}: {src} has no alt text"
                referenced.add(Path(src).name)
        files = {p.name for p in (site / lang / "_static" / "figures").glob("*")}
        assert files, "no figures were drawn"
        assert files == referenced, f"unreferenced figure files: {files - referenced}"
        assert {
            f"forest-mean-{lang}.svg",
            f"forest-proportion-{lang}.svg",
            f"theory-of-change-{lang}.svg",
        } <= files


def test_no_suppressed_value_appears_anywhere(site):
    # The synthetic store plants LEAK in suppressed rows (against the contract); no
    # rendering of it may reach the site.
    forms = {
        f"{100 * LEAK:.1f}",
        f"{100 * LEAK:.0f}%",
        f"{LEAK:.3f}",
        f"{100 * LEAK:.1f}".replace(".", ","),
        f"{LEAK:.3f}".replace(".", ","),
        str(LEAK),
    }
    # Figures draw text as glyph outlines; what they show is in their alt text (HTML).
    for path in site.rglob("*.html"):
        text = path.read_text(encoding="utf-8", errors="replace")
        for form in forms:
            assert form not in text, f"{path.relative_to(site)} shows {form}"


def test_suppressed_and_flagged_estimates_are_shown_as_symbols_with_a_legend(site):
    en = (site / "en" / "mentoring_gap.html").read_text(encoding="utf-8")
    assert '<abbr title="suppressed to protect confidentiality">x</abbr>' in en
    assert '<sup><abbr title="use with caution">E</abbr></sup>' in en
    assert "Symbols: E = use with caution" in en
    fr = (site / "fr" / "mentoring_gap.html").read_text(encoding="utf-8")
    assert '<abbr title="confidentiel">x</abbr>' in fr


def test_tables_are_accessible_and_state_their_denominator(site):
    for lang, universe in (("en", "Population: "), ("fr", f"Population{NBSP}: ")):
        for chapter in ("mentoring_gap", "sector", "key_findings"):
            page = site / lang / f"{chapter}.html"
            text = page.read_text(encoding="utf-8")
            parsed = parse(page)
            assert parsed.tables == parsed.captions
            assert parsed.th_without_scope == 0
            assert universe in text, f"{lang}/{chapter} states no universe"
        gap = unescape((site / lang / "mentoring_gap.html").read_text(encoding="utf-8"))
        who = (
            "all young adults aged 18\u201330" if lang == "en" else "l'ensemble des jeunes adultes"
        )
        assert f"{universe}{who}" in gap
        assert ("Don't know" if lang == "en" else "Je ne sais pas") in unescape(gap)


def test_numbers_are_formatted_per_language(site):
    # mentored_6_18, 2024, overall: 0.56 * 1.03 = 57.68% in the synthetic store.
    en = (site / "en" / "key_findings.html").read_text(encoding="utf-8")
    fr = (site / "fr" / "key_findings.html").read_text(encoding="utf-8")
    assert "57.7%" in en and "57,7%" not in en
    assert f"57,7{NBSP}%" in fr or "57,7&nbsp;%" in fr
    sector = (site / "fr" / "sector.html").read_text(encoding="utf-8")
    assert f"48{NARROW_NBSP}250" in sector  # youth served, overall 2021


def test_the_site_holds_no_build_internals(site):
    # Sphinx's pickled environment records file times: it stays in the build folder
    for lang in LANGS:
        assert not (site / lang / ".doctrees").exists()
        assert not (site / lang / ".buildinfo").exists()


def test_pages_carry_no_build_date(site):
    for lang in LANGS:
        text = (site / lang / "intro.html").read_text(encoding="utf-8")
        assert "Last updated" not in text and "Mis à jour" not in text
