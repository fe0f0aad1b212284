"""Language checks of a built book: what a reader sees, in the language of the page.

Every page of ``site/<lang>/`` is read as a reader meets it (text and the ``alt``, ``title``
and ``aria-label`` attributes; code blocks and inline code left out, as are scripts and
styles) and checked for

- an identifier (``snake_case``, a variable or table name) on a page in either language;
- on a French page: an English word of :data:`ENGLISH`, a regular space (or none) where
  French puts a no-break space (before ``: ; ! ?`` and ``%``, inside « »), and a plural
  after 0 or 1 (« 0 indicateurs »: French takes the singular).

Run on a site folder from the shell::

    python tests/report_language.py reports/2024/site

:func:`page_problems` checks one page's HTML; :func:`site_problems` every page of a site.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

_ENGLISH_WORDS = """
    the and of with without who which whose among all any by from for this that these those
    is was were has have had been not only also than then when where whether
    respondents respondent universe programs program indicators indicator improved worsened
    unchanged steady youth young adults mentored wellbeing waitlist waitlists waiting
    survey surveys weighted weighting weights estimate estimates baseline latest target
    targets level levels outcome outcomes gap gaps share shown shows below above listed
    contents search previous next updated download hashes packages pipeline rerun book
    whole byte unadjusted adjusted g-computation toggle sidebar primary secondary
"""
ENGLISH = frozenset(_ENGLISH_WORDS.split())
"""English words that a French page must not show. None of them is also a French word:
``page``, ``figure``, ``total``, ``population``, ``file``, ``change`` or ``compare`` are, and
are not listed; nor is ``raking``, the method's name, which French keeps in « calage sur les
marges (raking) »."""

IDENTIFIER = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
"""A ``snake_case`` name (a variable, an indicator, a table): words joined by ``_``."""

WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:['’-][A-Za-zÀ-ÿ]+)*")

FRENCH_SPACES = [
    (re.compile(r"[ \t\r\n][:;!?%]"), "a regular space before a mark (a no-break space is due)"),
    (
        re.compile(r"[\w)\]»][:;!?](?=[ \t\r\n]|$)"),
        "no space before a mark (a no-break space is due)",
    ),
    (re.compile(r"\d%"), "no space before % (a no-break space is due)"),
    (re.compile(r"«(?![\u00a0\u202f])"), "« without a no-break space after it"),
    (re.compile(r"(?<![\u00a0\u202f])»"), "» without a no-break space before it"),
]

_INVARIABLE_WORDS = "mois fois sans dans plus moins après très sous sur vers"
INVARIABLE = frozenset(_INVARIABLE_WORDS.split())
"""Words ending in -s that are not plurals (« 1 mois »)."""
PLURAL_AFTER_ONE = re.compile(r"(?<![\d.,\u00a0\u202f])([01])[ \u00a0\u202f]([a-zé]+s)\b")

SKIPPED = {
    "pre",
    "code",
    "script",
    "style",
    "kbd",
    "samp",
    "cite",
}  # a cited title keeps its language
ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")


class _Reader(HTMLParser):
    """The text a reader sees, as pieces: text runs and reader-facing attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.skip = 0
        self.run: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skip += 1
        if self.skip:
            return
        for name, value in attrs:
            if name in ATTRIBUTES and value:
                self.pieces.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self.skip:
            self.skip -= 1
        elif not self.skip and tag in {"p", "td", "th", "li", "div", "caption", "h1", "h2"}:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.run.append(data)

    def flush(self) -> None:
        text = re.sub(r"[ \t\r\n]+", " ", "".join(self.run)).strip()
        if text:
            self.pieces.append(text)
        self.run = []


def visible_text(html: str) -> list[str]:
    """The pieces of text of a page a reader sees, code left out.

    >>> visible_text("<p>Par <code>age_band</code> <img alt='Figure'></p><pre>x_y</pre>")
    ['Figure', 'Par']
    """
    reader = _Reader()
    reader.feed(html)
    reader.flush()
    return reader.pieces


def page_problems(html: str, lang: str) -> list[str]:
    """What a page's visible text gets wrong for its language, one line per problem.

    >>> page_problems("<p>Selon age_band, 2024</p>", "en")
    ["identifier 'age_band' in: Selon age_band, 2024"]
    >>> [p.split(" in:")[0] for p in page_problems("<p>Genre : the end</p>", "fr")]
    ["English word 'the'", 'a regular space before a mark (a no-break space is due): « e :  »']
    """
    problems = []
    for text in visible_text(html):
        for name in IDENTIFIER.findall(text):
            problems.append(f"identifier {name!r} in: {text}")
        if lang != "fr":
            continue
        for word in WORD.findall(text):
            if word.lower() in ENGLISH:
                problems.append(f"English word {word!r} in: {text}")
        for pattern, why in FRENCH_SPACES:
            for match in pattern.finditer(text):
                around = text[max(match.start() - 1, 0) : match.end() + 1]
                problems.append(f"{why}: « {around} » in: {text}")
        for count, noun in PLURAL_AFTER_ONE.findall(text):
            if noun not in INVARIABLE:
                problems.append(f"plural after {count} ({count} {noun}) in: {text}")
    return problems


def site_problems(site: Path) -> list[str]:
    """Every page's problems, each line prefixed by the page (``fr/sector.html: ...``)."""
    out = []
    for lang in ("en", "fr"):
        for page in sorted((site / lang).glob("*.html")):
            html = page.read_text(encoding="utf-8")
            out += [f"{lang}/{page.name}: {p}" for p in page_problems(html, lang)]
    return out


if __name__ == "__main__":
    found = site_problems(Path(sys.argv[1]))
    print("\n".join(found) or "no problem found")
    sys.exit(1 if found else 0)
