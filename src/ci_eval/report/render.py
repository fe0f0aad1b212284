"""Render one book page: its words from the translation file, its blocks from the results.

A page of ``book/`` is MyST Markdown with two kinds of placeholders:

- ``{{t:key}}`` (and ``{{edition}}``): text from ``book/i18n/<lang>.yaml``;
- a line ``{{block:name}}``: the HTML block that :mod:`ci_eval.report.chapters` function
  ``name(page)`` draws from the results store (tables and figures with their notes).

Blocks are drawn here, in the process that builds the book, from one :class:`Page` per
language (each results table is read once for every page of that language); no kernel is
started and nothing is estimated. In the Markdown handed to Sphinx a block becomes a raw
HTML directive; the PDF edition reads the same segments (:func:`segments`).

>>> text = "# {{t:a.title}}\\n\\n{{block:legend}}\\n"
>>> [kind for kind, _ in segments(text)]
['markdown', 'block', 'markdown']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ci_eval.errors import ReportError
from ci_eval.report.format import typeset_html
from ci_eval.report.latex import block_latex
from ci_eval.report.page import Page, lookup

PLACEHOLDER = re.compile(r"\{\{(t:[A-Za-z0-9_.]+|edition)\}\}")
BLOCK = re.compile(r"^\{\{block:([a-z_][a-z0-9_]*)\}\}[ \t]*$", re.MULTILINE)


def render_words(text: str, words: dict[str, Any], edition: str, where: str) -> str:
    """Fill the ``{{t:key}}`` and ``{{edition}}`` placeholders of one page.

    >>> render_words("# {{t:a.b}} {{edition}}", {"a": {"b": "Titre"}}, "2024", "x.md")
    '# Titre 2024'
    """

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "edition":
            return edition
        return str(lookup(words, key[2:], where)).strip()

    return PLACEHOLDER.sub(fill, text)


def segments(text: str) -> list[tuple[str, str]]:
    """A page as ``("markdown", text)`` and ``("block", name)`` pieces, in order.

    >>> segments("a\\n{{block:x}}\\nb")
    [('markdown', 'a\\n'), ('block', 'x'), ('markdown', '\\nb')]
    """
    pieces: list[tuple[str, str]] = []
    start = 0
    for match in BLOCK.finditer(text):
        if match.start() > start:
            pieces.append(("markdown", text[start : match.start()]))
        pieces.append(("block", match.group(1)))
        start = match.end()
    if start < len(text):
        pieces.append(("markdown", text[start:]))
    return pieces


def block_function(name: str, where: str) -> Callable[[Page], str]:
    """The chapter function that draws block ``name``; ``ReportError`` names the page."""
    from ci_eval.report import chapters

    function = getattr(chapters, name, None) if name in chapters.__all__ else None
    if function is None:
        raise ReportError(
            f"{where}: no block {name!r}; use one of {', '.join(sorted(chapters.__all__))}"
        )
    return function


def draw_block(page: Page, name: str, where: str) -> str:
    """The HTML of block ``name`` on ``page``, its text in the language's typography
    (:func:`ci_eval.report.format.typeset_html`: French no-break spaces, en dashes in ranges)
    whatever the chapter put together."""
    return typeset_html(block_function(name, where)(page), page.lang)


def raw(output: str, content: str) -> str:
    """Content for one Sphinx builder (``html`` or ``latex``) as a MyST raw directive;
    empty content (a table the store does not hold) is left out.

    >>> raw("html", "<p>x</p>"), raw("html", "")
    ('```{raw} html\\n<p>x</p>\\n```', '')
    """
    if not content.strip():
        return ""
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", content)), default=0))
    return f"{fence}{{raw}} {output}\n{content}\n{fence}"


def simulated_notice(page: Page) -> str:
    """The notice every page of a study with simulated data carries (a MyST admonition, so
    that every output shows it), or '' when no survey of the ``surveys`` table is simulated."""
    simulated = page.simulated_surveys()
    if not simulated:
        return ""
    every = set(page.table("surveys")["survey"])
    if set(simulated) == every:
        text = page.t("story.simulated_all")
    else:
        names = [page.label("survey", s) for s in simulated]
        text = page.t("story.simulated_some", surveys=page.t("story.list_sep").join(names))
    return (
        f":::{{admonition}} {page.t('story.simulated_title')}\n"
        f":class: warning ci-simulated\n\n{text}\n:::\n"
    )


def with_notice(text: str, notice: str) -> str:
    """The page with ``notice`` after its title (its first ``# `` line), else at the top.

    >>> with_notice("# T\\n\\nBody\\n", "N\\n")
    '# T\\n\\nN\\n\\nBody\\n'
    """
    if not notice:
        return text
    title = re.search(r"^# .*$\n?", text, re.MULTILINE)
    if title is None:
        return f"{notice}\n{text}"
    end = title.end()
    head = text[:end] if text[:end].endswith("\n") else text[:end] + "\n"
    return f"{head}\n{notice}{text[end:]}"


def render_page(text: str, page: Page, edition: str, where: str, latex: Path | None = None) -> str:
    """The MyST Markdown of one page in ``page``'s language, its blocks drawn as raw HTML,
    with the simulated-data notice under its title when the study's data are simulated.

    With ``latex`` (the folder the page's images are relative to), each block is also
    given as raw LaTeX (:func:`ci_eval.report.latex.block_latex`) for the PDF edition:
    Sphinx's HTML builder shows the one, its LaTeX builder the other.
    """
    text = render_words(text, page.words, edition, where)
    out = []
    for kind, value in segments(text):
        if kind == "markdown":
            out.append(value)
            continue
        html = draw_block(page, value, where)
        out.append(raw("html", html))
        if latex is not None and html.strip():
            try:
                out.append("\n\n" + raw("latex", block_latex(html, latex)))
            except ReportError as exc:
                raise ReportError(f"{where}: block {value!r}: {exc}") from None
    return with_notice("".join(out), simulated_notice(page))
