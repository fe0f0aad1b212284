"""The PDF edition of the book built on the synthetic results store.

Needs pdfLaTeX (texlive) and poppler-utils' ``pdftotext``/``pdfinfo``; skipped without
them (``make setup`` installs them as root).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import unicodedata
import zlib
from pathlib import Path

import pytest
import yaml

from ci_eval.report.build import DEFAULT_BOOK, build_book
from ci_eval.report.page import load_translations
from ci_eval.report.pdf import pdf_name
from ci_eval.report.program_page import program_page
from ci_eval.report.program_pdf import page_latex
from ci_eval.report.render import render_words
from report_language import page_problems
from report_synthetic import LEAK, built_site, write_synthetic_store

MISSING = [tool for tool in ("pdflatex", "pdftotext", "pdfinfo") if shutil.which(tool) is None]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(MISSING), reason=f"not installed: {', '.join(MISSING)}"),
]
LANGS = ("en", "fr")
WORDS = load_translations(DEFAULT_BOOK / "i18n")
TOC = yaml.safe_load((DEFAULT_BOOK / "_toc.yml").read_text(encoding="utf-8"))
CHAPTERS = [chapter["file"] for chapter in TOC["chapters"]]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return built_site(tmp_path_factory)


def pdf_of(site: Path, lang: str) -> Path:
    return site / lang / pdf_name(str(WORDS[lang]["book"]["title"]), "2024")


def chapter_titles(lang: str) -> list[str]:
    titles = []
    for chapter in CHAPTERS:
        source = (DEFAULT_BOOK / f"{chapter}.md").read_text(encoding="utf-8")
        heading = re.search(r"^# (.+)$", source, flags=re.M).group(1)
        titles.append(render_words(heading, WORDS[lang], "2024", chapter))
    return titles


def pages(pdf: Path) -> list[str]:
    """The text of each page, ligatures and quotes normalised, whitespace collapsed."""
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    return [re.sub(r"\s+", " ", page).strip() for page in text.split("\f")]


def normal(title: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", title).replace("\u2019", "'"))


def test_each_language_has_its_pdf_linked_from_every_page_and_the_index(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    for lang in LANGS:
        pdf = pdf_of(site, lang)
        assert pdf.read_bytes().startswith(b"%PDF-")
        assert f'href="{lang}/{pdf.name}"' in index
        for chapter in ["intro", *CHAPTERS]:
            page = (site / lang / f"{chapter}.html").read_text(encoding="utf-8")
            assert f'href="{pdf.name}"' in page, (lang, chapter)


def test_every_chapter_starts_a_page_with_its_title_in_the_language(site):
    for lang in LANGS:
        pdf = pdf_of(site, lang)
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        count = int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))
        titles = chapter_titles(lang)
        assert count >= len(titles) + 2  # a title page and the contents
        text = pages(pdf)
        assert len(text) - 1 == count  # pdftotext ends each page with a form feed
        word = "Chapter" if lang == "en" else "Chapitre"
        for number, title in enumerate(titles, start=1):
            starts = [p for p in text if p.startswith(f"{word} {number} {normal(title)}")]
            assert len(starts) == 1, (lang, title)


def test_the_french_pdf_is_in_french(site):
    text = " ".join(pages(pdf_of(site, "fr")))
    for title in chapter_titles("fr"):
        assert normal(title) in text
    for title in chapter_titles("en"):
        assert normal(title) not in text, title
    assert "Table des matières" in text and re.search(r"\d,\d\u00a0?%|\d,\d %", text)


def objects(pdf: bytes) -> bytes:
    """The PDF with its compressed streams inflated (to search inside them)."""
    inflated = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, flags=re.S):
        try:
            inflated.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(inflated)


def test_two_builds_in_other_folders_give_byte_identical_pdfs(site, tmp_path):
    epoch = time.gmtime(int(os.environ.get("SOURCE_DATE_EPOCH", "0")))
    store = site.parent / "store"
    again = tmp_path / "again"
    build_book(store, again / "site", edition="2024", work=again / "work", pdf=True)
    for lang in LANGS:
        first, second = pdf_of(site, lang).read_bytes(), pdf_of(again / "site", lang).read_bytes()
        assert first == second, lang
        inside = objects(first)
        assert f"/CreationDate (D:{time.strftime('%Y%m%d%H%M%S', epoch)}Z)".encode() in inside
        for leak in (str(site.parent).encode(), str(tmp_path).encode(), b"/PTEX.", b"/ID ["):
            assert leak not in inside, leak


def test_a_program_s_pdf_pages_say_what_its_html_pages_say_in_their_language(tmp_path):
    store = tmp_path / "store"
    write_synthetic_store(store)
    paths = program_page(store, "P001", pdf=True)
    folder = store / "private" / "programs" / "P001"
    assert [p.relative_to(folder).as_posix() for p in paths] == [
        "benchmark-en.html", "benchmark-en.pdf", "benchmark-fr.html", "benchmark-fr.pdf"
    ]  # fmt: skip
    expected = {
        "en": ["Your program beside its peers: program P001", "programs (region: Atlantic)",
               "median 95; middle half 60 to 150", "third quarter of the group"],
        "fr": ["Votre programme parmi ses pairs : programme P001",
               "médiane 95 ; moitié centrale de 60 à 150"],
    }  # fmt: skip
    for pdf in (p for p in paths if p.suffix == ".pdf"):
        lang = pdf.stem.rsplit("-", 1)[-1]
        text = " ".join(pages(pdf))
        for phrase in expected[lang]:
            assert normal(phrase) in text, (lang, phrase)
        assert f"{LEAK}" not in text and "98.8" not in text and "98,8" not in text
        assert "region=1" not in text
        # the language check of the pages on the PDF's words (a line-end hyphen joined back;
        # pdftotext gives every space as a space, so French spacing is checked in the LaTeX)
        words = re.sub(r"(\w)- (\w)", r"\1\2", text)
        found = [p for p in page_problems(f"<p>{words}</p>", lang) if "space" not in p]
        assert not found, (lang, found[:5])
    html = (folder / "benchmark-fr.html").read_text(encoding="utf-8")
    body = page_latex(html, "fr", "P001").split("\\begin{document}")[1]
    assert "\xa0:" in body and not re.search(r"\w [:;!?»]", body)
    again = program_page(store, "P001", out=tmp_path / "again", pdf=True)
    for first, second in zip(paths, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    inside = objects((folder / "benchmark-fr.pdf").read_bytes())
    for leak in (str(tmp_path).encode(), b"/PTEX.", b"/ID ["):
        assert leak not in inside, leak
