"""Build the bilingual book: one rendered copy of ``book/`` per language, then Sphinx.

The book's sources (``book/*.md``, MyST Markdown) are written once, with ``{{t:key}}``
placeholders for prose (from ``book/i18n/<lang>.yaml``) and ``{{block:name}}`` lines for
the tables and figures (see :mod:`ci_eval.report.render`). For each language this module
draws the blocks from the results store into ``<work>/<lang>/``, writes that language's
``conf.py``, and runs Sphinx with Jupyter Book 1.x's stack (MyST, sphinx-external-toc,
sphinx-book-theme) with ``-W`` so that a warning fails the build. The two languages'
Sphinx processes run side by side. The HTML goes to ``<site>/<lang>/`` and
``<site>/index.html`` lets the reader choose a language.

When ``pdflatex`` is installed, each language also gets its PDF edition
(:mod:`ci_eval.report.pdf`), ``<site>/<lang>/<title>-<edition>.pdf``, linked from every
page's footer: the blocks are drawn once, as HTML and as LaTeX, and Sphinx's LaTeX
builder runs on the HTML build's doctrees. Without ``pdflatex`` the PDF is skipped
with one message.

Nothing is downloaded: Jupyter Book 1.x ships its theme. The page footers carry no date
(``html_last_updated_fmt`` is off), figures are SVG with a fixed hash salt, so two builds
from the same results give the same pages.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from html import escape, unescape
from pathlib import Path
from typing import Any

import yaml

from ci_eval.errors import ReportError
from ci_eval.report.format import LANGUAGES
from ci_eval.report.page import Page, load_translations
from ci_eval.report.pdf import TEXLIVE, build_pdf, latex_settings, pdf_available, pdf_name
from ci_eval.report.render import render_page
from ci_eval.results.manifest import read_manifest
from ci_eval.results.report_settings import merge_settings, report_settings, text_in

logger = logging.getLogger(__name__)
PDF_SKIPPED = (
    f"PDF edition skipped: pdflatex not found (Debian: apt-get install {' '.join(TEXLIVE)}; "
    "`make setup` does it as root)"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DEFAULT_BOOK = Path(__file__).resolve().parents[3] / "book"


def book_settings(source: Path) -> dict[str, Any]:
    """The book's defaults of the ``[report]`` settings (``book/report.yaml``): the keys it
    sets, validated by :class:`ci_eval.results.report_settings.ReportSettings`."""
    path = source / "report.yaml"
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ReportError(f"{path}: not valid YAML ({exc}); fix the file") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a mapping of settings (headline, key_findings, ...)")
    return merge_settings(report_settings(data, str(path)))


EDITION_YEAR = re.compile(r"(?<!\d)(1[89]|2\d)\d{2}(?!\d)")


def footer_text(words: dict[str, Any], edition: str, publisher: str) -> str:
    """The footer's credit line: the publisher (else the book's author) and the edition's year
    (the first year its name holds; never the build date).

    >>> words = {"book": {"author": "The partnership"}, "story": {"footer_year": "© {year} "
    ...     "{publisher}", "footer": "© {publisher}"}}
    >>> footer_text(words, "2024", ""), footer_text(words, "spring", "MENTOR")
    ('© 2024 The partnership', '© MENTOR')
    """
    publisher = publisher or str(words["book"]["author"])
    year = EDITION_YEAR.search(edition)
    if year:
        return str(words["story"]["footer_year"]).format(year=year.group(0), publisher=publisher)
    return str(words["story"]["footer"]).format(publisher=publisher)


def sphinx_conf(
    words: dict[str, Any],
    lang: str,
    other: str | None,
    edition: str,
    pdf: str | None = None,
    publisher: str = "",
) -> str:
    """The ``conf.py`` of one language's edition (``pdf``: the PDF edition's file name,
    linked from the footer, with the LaTeX builder's settings; ``publisher``: who signs the
    footer, else the book's author).

    Jupyter Book 1.x's own stack (MyST, sphinx-external-toc, sphinx-book-theme) driven by
    Sphinx directly, as ``jupyter-book config sphinx`` does: this keeps out the extensions
    the report does not use (thebe, comments), whose scripts were loaded twice and raised
    a console error in the browser. The pages' blocks are drawn before Sphinx runs, so no
    notebook is executed. The footer is the credit line (:func:`footer_text`) and the link
    to the other language: Sphinx's own copyright line is off, as Sphinx rewrites its year
    to that of ``SOURCE_DATE_EPOCH``.

    >>> "language = 'fr'" in sphinx_conf({"book": {"title": "T", "author": "A"},
    ...     "story": {"footer_year": "© {year} {publisher}", "footer": "© {publisher}"},
    ...     "other_language": "English", "search": "Chercher"}, "fr", "en", "2024")
    True
    """
    credit = escape(footer_text(words, edition, publisher))
    footer = f"<p class='ci-credit'>{credit}</p>"
    if other:
        footer += (
            f'<p><a href="../{other}/index.html" lang="{other}" hreflang="{other}">'
            f"{escape(str(words['other_language']))}</a></p>"
        )
    if pdf:
        link = f'<a href="{escape(pdf)}" type="application/pdf">{escape(words["pdf"]["link"])}</a>'
        footer += f"<p>{link}</p>"
    title = f"{words['book']['title']} {edition}".strip()
    settings: dict[str, Any] = {
        "project": title,
        "author": publisher or words["book"]["author"],
        "copyright": "",
        "html_show_copyright": False,
        "language": lang,
        "extensions": ["myst_parser", "sphinx_external_toc", "sphinx_book_theme"],
        "external_toc_path": "_toc.yml",
        "external_toc_exclude_missing": False,
        "exclude_patterns": ["_build", "**.ipynb_checkpoints"],
        "myst_enable_extensions": ["colon_fence", "dollarmath"],
        "html_theme": "sphinx_book_theme",
        "html_title": title,
        "html_theme_options": {
            "home_page_in_toc": True,
            "extra_footer": footer,
            "footer_content_items": ["extra-footer.html"],
            "use_download_button": False,
            "use_fullscreen_button": False,
            "search_bar_text": str(words.get("search", "Search")),
        },
        "html_context": {"default_mode": "light"},
        "html_static_path": ["_static"],
        "html_css_files": ["ci-eval.css", "ci-explorer.css"],
        "html_js_files": ["ci-eval.js", "ci-explorer.js"],
        "html_favicon": "_static/favicon.svg",
        "html_last_updated_fmt": None,
        "html_show_sphinx": False,
        "html_show_sourcelink": False,
        "html_copy_source": False,
    }
    if pdf:
        settings.update(latex_settings(words, title, str(settings["author"]), _tex(words, edition)))
    lines = ["# Written by ci_eval.report.build for one language's edition; do not edit."]
    lines += [f"{name} = {value!r}" for name, value in settings.items()]
    return "\n".join(lines) + "\n"


def render_book(
    source: Path,
    work: Path,
    page: Page,
    languages: list[str],
    edition: str,
    pdf: bool = False,
    publisher: str = "",
) -> Path:
    """Render ``source`` into ``work`` in ``page``'s language, blocks drawn (also as LaTeX,
    figures also as PDF, when ``pdf``); returns ``work`` (``publisher``: in that language,
    for the footer)."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if (source / "_static").exists():
        shutil.copytree(source / "_static", work / "_static")
    page.figures = work / "_static" / "figures"
    page.figures.mkdir(parents=True, exist_ok=True)
    page.downloads = work / "_static" / "tables"  # each table's data as CSV
    page.pdf_figures = pdf
    for chapter in sorted(source.glob("*.md")):
        text = chapter.read_text(encoding="utf-8")
        out = render_page(text, page, edition, f"{chapter} ({page.lang})", work if pdf else None)
        (work / chapter.name).write_text(out, encoding="utf-8")
    shutil.copy2(source / "_toc.yml", work / "_toc.yml")
    others = [other for other in languages if other != page.lang]
    name = pdf_name(str(page.words["book"]["title"]), edition) if pdf else None
    other = others[0] if others else None
    conf = sphinx_conf(page.words, page.lang, other, edition, name, publisher)
    (work / "conf.py").write_text(conf, encoding="utf-8")
    return work


def _start_sphinx(work: Path) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-W",
        "--keep-going",
        "-q",
        "-E",
        str(work),
        str(work / "_build" / "html"),
    ]
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0")}
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _failure(process: subprocess.Popen[str]) -> str | None:
    """None when the build succeeded, else its relevant messages."""
    output, _ = process.communicate()
    if process.returncode == 0:
        return None
    lines = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line]
    return "\n".join(ANSI.sub("", line) for line in lines[-25:]) or output[-2000:]


def _raise_failure(work: Path, code: int | None, messages: str) -> None:
    raise ReportError(
        f"report stage: the book in {work} did not build (sphinx exit code {code}). "
        f"Its last messages:\n{messages}\n"
        "Fix the page or the results table named above, then rerun `ci-eval run`."
    )


def language_index(
    title: str,
    languages: list[str],
    words: dict[str, dict[str, Any]],
    pdfs: dict[str, str] | None = None,
) -> str:
    """A tiny page that links to each language's edition (and its PDF, ``pdfs[lang]``).

    >>> "fr/index.html" in language_index("T", ["en", "fr"], {"en": {"language_name": "English",
    ...     "book": {"title": "A"}}, "fr": {"language_name": "Français", "book": {"title": "B"}}})
    True
    """
    pdfs = pdfs or {}
    links = "\n".join(
        f'<li><a href="{lang}/index.html" lang="{lang}" hreflang="{lang}">'
        f"{escape(str(words[lang]['book']['title']))} ({escape(str(words[lang]['language_name']))})"
        "</a>"
        + (
            f' \u00b7 <a href="{lang}/{escape(pdfs[lang])}" lang="{lang}" type="application/pdf">'
            f"{escape(str(words[lang]['pdf']['link']))}</a>"
            if lang in pdfs
            else ""
        )
        + "</li>"
        for lang in languages
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n<main>\n"
        f"<h1>{escape(title)}</h1>\n<ul>\n{links}\n</ul>\n</main>\n</body>\n</html>\n"
    )


def build_book(
    results: str | Path,
    site: str | Path,
    *,
    languages: list[str] | None = None,
    edition: str = "",
    source: str | Path | None = None,
    work: str | Path | None = None,
    settings: dict[str, Any] | None = None,
    pdf: bool | None = None,
    publisher: str | dict[str, str] | None = None,
) -> dict[str, Path]:
    """Build the book from a results store into ``site/<lang>/``; returns the folders.

    Parameters
    ----------
    results : path
        The results store (``reports/<edition>``).
    site : path
        Where the HTML goes (``reports/<edition>/site``); replaced language by language.
    languages : list of str
        The editions to build (default: English and French).
    edition : str
        The edition's name (shown in titles).
    source : path
        The book sources (default: the repository's ``book/``).
    work : path
        Where the rendered copies go (default: ``<results>/.cache/book``).
    settings : dict
        The study's ``[report]`` settings (see :attr:`ci_eval.report.page.Page.settings`);
        by default those of the run that wrote the store (its manifest). They override the
        book's defaults (``report.yaml``) key by key.
    pdf : bool
        Whether to build each language's PDF edition too (default: when ``pdflatex`` is
        installed; else it is skipped with a logged warning).
    publisher : str or dict
        Who publishes the report (``[study] publisher``: one text, or one per language), for
        the footer; by default the manifest's, else the book's author.
    """
    results = Path(results).resolve()
    source = Path(source or DEFAULT_BOOK).resolve()
    work = Path(work or results / ".cache" / "book").resolve()
    languages = list(languages or LANGUAGES)
    _check_book(source, languages)
    words = load_translations(source / "i18n")
    recorded = read_manifest(results).get("settings", {})
    if settings is None:
        settings = recorded.get("report") or {}
    study_settings = report_settings(settings, "the study's [report] settings")
    settings = merge_settings(book_settings(source), study_settings)
    if publisher is None:
        publisher = (recorded.get("study") or {}).get("publisher")
    pdf = pdf_wanted(pdf)
    running: dict[str, tuple[Path, subprocess.Popen[str]]] = {}
    common = (languages, edition, settings, pdf)
    jobs = [
        (results, source, work / lang, lang, *common, text_in(publisher, lang))
        for lang in languages
    ]
    try:
        # the languages are drawn side by side (one process each), and each language's
        # Sphinx starts as soon as its pages are drawn
        with ProcessPoolExecutor(len(jobs), mp_context=multiprocessing.get_context("fork")) as pool:
            for lang, folder in zip(languages, pool.map(_draw_language, jobs), strict=True):
                running[lang] = (folder, _start_sphinx(folder))
        with ThreadPoolExecutor(len(running)) as threads:
            finishing = [
                threads.submit(
                    _finish, folder, process, _tex(words[lang], edition) if pdf else None
                )
                for lang, (folder, process) in running.items()
            ]
            pdfs = dict(zip(running, [job.result() for job in finishing], strict=True))
    finally:
        for _, process in running.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    folders = {lang: f for lang, (f, _) in running.items()}
    built = _publish_site(Path(site).resolve(), folders, pdfs)
    for lang, folder in built.items():
        translate_theme(folder, words[lang].get("theme") or {})
    title = " / ".join(str(words[lang]["book"]["title"]) for lang in languages)
    (Path(site).resolve() / "index.html").write_text(
        language_index(title, languages, words, {k: p.name for k, p in pdfs.items() if p}),
        encoding="utf-8",
    )
    return built


def pdf_wanted(pdf: bool | None) -> bool:
    """Whether to build the PDF edition: as asked, else when ``pdflatex`` is installed
    (logging :data:`PDF_SKIPPED` once when it is not)."""
    if pdf is not None:
        return pdf
    if not pdf_available():
        logger.warning(PDF_SKIPPED)
        return False
    return True


def _draw_language(job: tuple[Any, ...]) -> Path:
    """Draw one language's pages (run in a worker process); returns its folder."""
    results, source, folder, lang, languages, edition, settings, pdf, publisher = job
    words = load_translations(source / "i18n")
    page = Page(results, lang, words, folder, settings=settings)
    return render_book(source, folder, page, languages, edition, pdf, publisher)


def _tex(words: dict[str, Any], edition: str) -> str:
    """The LaTeX file of a language's PDF edition (named as the PDF)."""
    return str(Path(pdf_name(str(words["book"]["title"]), edition)).with_suffix(".tex"))


def _finish(folder: Path, process: subprocess.Popen[str], tex: str | None) -> Path | None:
    """Wait for one language's HTML build, then build its PDF from ``tex`` (if given)."""
    messages = _failure(process)
    if messages is not None:
        _raise_failure(folder, process.returncode, messages)
    return build_pdf(folder, tex) if tex else None


def _check_book(source: Path, languages: list[str]) -> None:
    if not (source / "_toc.yml").exists():
        raise ReportError(f"{source}: no book sources (_toc.yml missing); pass the book folder")
    for lang in languages:
        if lang not in LANGUAGES:
            raise ReportError(f"language {lang!r} has no translation; use {', '.join(LANGUAGES)}")


_THEME_ATTRIBUTE = re.compile(r'\b(title|aria-label)="([^"]*)"')


def translate_theme(folder: Path, theme: dict[str, str]) -> None:
    """Give the theme's tooltips and screen-reader labels that its own translations miss
    (``title="Toggle primary sidebar"``, ``aria-label="Main"``) in the edition's language,
    from the ``theme`` table of the translation file (English text: translation).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.html").write_text('<nav aria-label="Main">Main</nav>')
    >>> translate_theme(folder, {"Main": "Principal"})
    >>> (folder / "a.html").read_text()
    '<nav aria-label="Principal">Main</nav>'
    """
    if not theme:
        return

    def translated(match: re.Match[str]) -> str:
        text = theme.get(unescape(match.group(2)))
        return f'{match.group(1)}="{escape(text)}"' if text else match.group(0)

    for path in sorted(folder.glob("*.html")):
        html = path.read_text(encoding="utf-8")
        new = _THEME_ATTRIBUTE.sub(translated, html)
        if new != html:
            path.write_text(new, encoding="utf-8")


def _not_published(folder: str, names: list[str]) -> set[str]:
    """What the site leaves out of Sphinx's output: its build records, and the figures'
    PDF copies (they are inside the PDF edition)."""
    left_out = {".buildinfo", ".doctrees", "reports"}
    if Path(folder).parts[-2:] == ("_static", "figures"):
        left_out |= {name for name in names if name.endswith(".pdf")}
    return left_out & set(names)


def _publish_site(
    site: Path, folders: dict[str, Path], pdfs: dict[str, Path | None]
) -> dict[str, Path]:
    """Copy each language's HTML (and PDF) into ``site/<lang>`` (through a staging folder)."""
    built: dict[str, Path] = {}
    site.mkdir(parents=True, exist_ok=True)
    for lang, folder in folders.items():
        staging = site / f".{lang}.tmp"
        if staging.exists():
            shutil.rmtree(staging)
        html = folder / "_build" / "html"
        shutil.copytree(html, staging, ignore=_not_published)
        if pdfs.get(lang) is not None:
            shutil.copy2(pdfs[lang], staging / pdfs[lang].name)
        target = site / lang
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        built[lang] = target
    return built
