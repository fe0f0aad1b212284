"""Build the bilingual book: one rendered copy of ``book/`` per language, then Jupyter Book.

The book's sources (``book/*.md``: MyST notebooks with a jupytext header) are written
once, with ``{{t:key}}`` placeholders for prose (from ``book/i18n/<lang>.yaml``) and
code cells that call :mod:`ci_eval.report.chapters`. For each language this module
renders the placeholders into ``<work>/<lang>/``, writes that language's
``conf.py``, and runs Sphinx with Jupyter Book 1.x's extensions (MyST-NB executes the
pages, sphinx-book-theme) with ``-W`` so that a failing cell fails the build. The
pages' code reads the results store named by the environment (see
:mod:`ci_eval.report.page`). The HTML goes to ``<site>/<lang>/`` and ``<site>/index.html``
lets the reader choose a language.

Nothing is downloaded: Jupyter Book 1.x ships its theme. The page footers carry no date
(``html_last_updated_fmt`` is off), figures are SVG with a fixed hash salt, so two builds
from the same results give the same pages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html import escape
from pathlib import Path
from typing import Any

import yaml

from ci_eval.errors import ReportError
from ci_eval.report.format import LANGUAGES
from ci_eval.report.page import load_translations, lookup

PLACEHOLDER = re.compile(r"\{\{(t:[A-Za-z0-9_.]+|edition)\}\}")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DEFAULT_BOOK = Path(__file__).resolve().parents[3] / "book"


def book_settings(source: Path) -> dict[str, Any]:
    """The book's default ``[report]`` settings (``book/report.yaml``), or none."""
    path = source / "report.yaml"
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ReportError(f"{path}: not valid YAML ({exc}); fix the file") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a mapping of settings (headline, gap_outcomes)")
    return data


def render_source(text: str, words: dict[str, Any], edition: str, where: str) -> str:
    """Fill the ``{{t:key}}`` and ``{{edition}}`` placeholders of one page.

    >>> render_source("# {{t:a.b}} {{edition}}", {"a": {"b": "Titre"}}, "2024", "x.md")
    '# Titre 2024'
    """

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "edition":
            return edition
        return str(lookup(words, key[2:], where)).strip()

    return PLACEHOLDER.sub(fill, text)


def sphinx_conf(words: dict[str, Any], lang: str, other: str | None, edition: str) -> str:
    """The ``conf.py`` of one language's edition.

    Jupyter Book 1.x's own stack (MyST-NB, sphinx-external-toc, sphinx-book-theme) driven by
    Sphinx directly, as ``jupyter-book config sphinx`` does: this keeps out the extensions
    the report does not use (thebe, comments), whose scripts were loaded twice and raised
    a console error in the browser.

    >>> "language = 'fr'" in sphinx_conf({"book": {"title": "T", "author": "A"},
    ...     "other_language": "English", "search": "Chercher"}, "fr", "en", "2024")
    True
    """
    footer = ""
    if other:
        footer = (
            f'<a href="../{other}/index.html" lang="{other}" hreflang="{other}">'
            f"{escape(str(words['other_language']))}</a>"
        )
    title = f"{words['book']['title']} {edition}".strip()
    settings: dict[str, Any] = {
        "project": title,
        "author": words["book"]["author"],
        "copyright": f"{edition}, {words['book']['author']}",
        "language": lang,
        "extensions": ["myst_nb", "sphinx_external_toc", "sphinx_book_theme"],
        "external_toc_path": "_toc.yml",
        "external_toc_exclude_missing": False,
        "exclude_patterns": ["_build", "**.ipynb_checkpoints"],
        "myst_enable_extensions": ["colon_fence", "dollarmath"],
        "nb_execution_mode": "force",
        "nb_execution_timeout": 300,
        "nb_execution_allow_errors": False,
        "nb_execution_raise_on_error": False,
        "nb_execution_show_tb": False,
        "nb_merge_streams": True,
        "nb_output_stderr": "remove",
        "html_theme": "sphinx_book_theme",
        "html_title": title,
        "html_theme_options": {
            "home_page_in_toc": True,
            "extra_footer": footer,
            "use_download_button": False,
            "use_fullscreen_button": False,
            "search_bar_text": str(words.get("search", "Search")),
        },
        "html_context": {"default_mode": "light"},
        "html_static_path": ["_static"],
        "html_css_files": ["ci-eval.css"],
        "html_favicon": "_static/favicon.svg",
        "html_last_updated_fmt": None,
        "html_show_sphinx": False,
        "html_show_sourcelink": False,
        "html_copy_source": False,
    }
    lines = ["# Written by ci_eval.report.build for one language's edition; do not edit."]
    lines += [f"{name} = {value!r}" for name, value in settings.items()]
    return "\n".join(lines) + "\n"


def render_book(source: Path, work: Path, lang: str, languages: list[str], edition: str) -> Path:
    """Render ``source`` into ``work`` for one language; returns ``work``."""
    words = load_translations(source / "i18n")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for page in sorted(source.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        out = render_source(text, words[lang], edition, f"{page} ({lang})")
        (work / page.name).write_text(out, encoding="utf-8")
    shutil.copy2(source / "_toc.yml", work / "_toc.yml")
    if (source / "_static").exists():
        shutil.copytree(source / "_static", work / "_static")
    (work / "_static" / "figures").mkdir(parents=True, exist_ok=True)
    others = [other for other in languages if other != lang]
    conf = sphinx_conf(words[lang], lang, others[0] if others else None, edition)
    (work / "conf.py").write_text(conf, encoding="utf-8")
    return work


def _start_sphinx(work: Path, env: dict[str, str]) -> subprocess.Popen[str]:
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
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


# Two kernels started at once by two processes can race for a TCP port (jupyter_client
# picks free ports, then binds): such a build is retried once, on its own.
KERNEL_RACE = ("Address already in use", "Kernel died before replying")


def _failure(work: Path, process: subprocess.Popen[str]) -> str | None:
    """None when the build succeeded, else its relevant messages."""
    output, _ = process.communicate()
    if process.returncode == 0:
        return None
    lines = [
        line
        for line in output.splitlines()
        if ("WARNING" in line or "ERROR" in line or "Error" in line) and "IPKernelApp" not in line
    ]
    for log in sorted((work / "_build" / "html" / "reports").glob("*.err.log")):
        text = ANSI.sub("", log.read_text(encoding="utf-8", errors="replace"))
        lines.append(f"{log.stem}: " + text.strip().splitlines()[-1])
    return "\n".join(ANSI.sub("", line) for line in lines[-25:]) or output[-2000:]


def _raise_failure(work: Path, code: int | None, messages: str) -> None:
    raise ReportError(
        f"report stage: the book in {work} did not build (sphinx exit code {code}). "
        f"Its last messages:\n{messages}\n"
        "Fix the page or the results table named above, then rerun `ci-eval run`."
    )


def language_index(title: str, languages: list[str], words: dict[str, dict[str, Any]]) -> str:
    """A tiny page that links to each language's edition.

    >>> "fr/index.html" in language_index("T", ["en", "fr"], {"en": {"language_name": "English",
    ...     "book": {"title": "A"}}, "fr": {"language_name": "Français", "book": {"title": "B"}}})
    True
    """
    links = "\n".join(
        f'<li><a href="{lang}/index.html" lang="{lang}" hreflang="{lang}">'
        f"{escape(str(words[lang]['book']['title']))} ({escape(str(words[lang]['language_name']))})"
        "</a></li>"
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
        The study's ``[report]`` settings (see :attr:`ci_eval.report.page.Page.settings`).
    """
    results = Path(results).resolve()
    source = Path(source or DEFAULT_BOOK).resolve()
    work = Path(work or results / ".cache" / "book").resolve()
    languages = list(languages or LANGUAGES)
    _check_book(source, languages)
    words = load_translations(source / "i18n")
    settings = {**book_settings(source), **(settings or {})}
    running: dict[str, tuple[Path, subprocess.Popen[str]]] = {}
    try:
        # One Sphinx process per language, side by side: each runs its pages' kernels.
        envs = {lang: page_environment(results, source, lang, settings) for lang in languages}
        for lang in languages:
            folder = render_book(source, work / lang, lang, languages, edition)
            envs[lang]["CI_EVAL_FIGURES"] = str(folder / "_static" / "figures")
            running[lang] = (folder, _start_sphinx(folder, envs[lang]))
        for lang in languages:
            running[lang] = _wait_or_retry(running[lang], envs[lang], source, work, edition, lang,
                                           languages)  # fmt: skip
    finally:
        for _, process in running.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    built = _publish_site(Path(site).resolve(), {lang: f for lang, (f, _) in running.items()})
    title = " / ".join(str(words[lang]["book"]["title"]) for lang in languages)
    (Path(site).resolve() / "index.html").write_text(
        language_index(title, languages, words), encoding="utf-8"
    )
    return built


def _check_book(source: Path, languages: list[str]) -> None:
    if not (source / "_toc.yml").exists():
        raise ReportError(f"{source}: no book sources (_toc.yml missing); pass the book folder")
    for lang in languages:
        if lang not in LANGUAGES:
            raise ReportError(f"language {lang!r} has no translation; use {', '.join(LANGUAGES)}")


def page_environment(
    results: Path, source: Path, lang: str, settings: dict[str, Any]
) -> dict[str, str]:
    """The environment of one language's Sphinx process: what :meth:`Page.from_env` reads
    (``CI_EVAL_FIGURES`` is set once the book is rendered)."""
    package_root = str(Path(__file__).resolve().parents[2])
    python_path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    return {
        **os.environ,
        "PYTHONPATH": python_path,
        "CI_EVAL_RESULTS": str(results),
        "CI_EVAL_LANG": lang,
        "CI_EVAL_I18N": str(source / "i18n"),
        "CI_EVAL_SETTINGS": json.dumps(settings or {}, sort_keys=True),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0"),
    }


def _wait_or_retry(
    running: tuple[Path, subprocess.Popen[str]],
    env: dict[str, str],
    source: Path,
    work: Path,
    edition: str,
    lang: str,
    languages: list[str],
) -> tuple[Path, subprocess.Popen[str]]:
    """Wait for one language's build; rebuild it once after a kernel start-up race."""
    folder, process = running
    messages = _failure(folder, process)
    if messages is not None and any(race in messages for race in KERNEL_RACE):
        folder = render_book(source, work / lang, lang, languages, edition)
        process = _start_sphinx(folder, env)
        messages = _failure(folder, process)
    if messages is not None:
        _raise_failure(folder, process.returncode, messages)
    return folder, process


def _publish_site(site: Path, folders: dict[str, Path]) -> dict[str, Path]:
    """Copy each language's HTML into ``site/<lang>`` (through a staging folder)."""
    built: dict[str, Path] = {}
    site.mkdir(parents=True, exist_ok=True)
    for lang, folder in folders.items():
        staging = site / f".{lang}.tmp"
        if staging.exists():
            shutil.rmtree(staging)
        html = folder / "_build" / "html"
        shutil.copytree(
            html, staging, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees", "reports")
        )
        target = site / lang
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        built[lang] = target
    return built
