"""What a book page's code cells use: the results store, the labels, the words, the numbers.

:mod:`ci_eval.report.build` makes one :class:`Page` per language: the results store, the
language's words, where figure files go and the study's ``[report]`` settings. The
chapter blocks (:mod:`ci_eval.report.chapters`) read the results store only; nothing is
estimated while the book builds.

>>> import tempfile, pandas as pd
>>> from ci_eval.results import ResultsStore
>>> root = tempfile.mkdtemp()
>>> _ = ResultsStore(root).write("labels", pd.DataFrame({"kind": ["wave"], "id": ["2024"],
...     "parent": [""], "en": ["2024"], "fr": ["2024"]}))
>>> page = Page(root, "fr", {"fr": {"hello": "Bonjour {name}"}}, root)
>>> page.t("hello", name="Ana"), page.label("wave", "2024")
('Bonjour Ana', '2024')
"""

from __future__ import annotations

import re
import shutil
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ci_eval.errors import ReportError
from ci_eval.report.figure_files import figure_html, save_figure
from ci_eval.report.format import (
    LANGUAGES,
    SYMBOL_TITLES,
    format_estimate,
    format_number,
    format_percent,
    format_range,
    format_value,
    is_hidden,
)
from ci_eval.report.html_table import html_table
from ci_eval.results import ResultsStore
from ci_eval.results.contract import is_private, spec

ARROWS = {
    "improved": "\u2191",
    "worsened": "\u2193",
    "increased": "\u2197",
    "decreased": "\u2198",
    "steady": "\u2192",
    "not_assessed": "\u00b7",
}


def load_translations(folder: str | Path) -> dict[str, dict[str, Any]]:
    """Read ``<folder>/<lang>.yaml`` for every language; ``ReportError`` if one is missing."""
    folder = Path(folder)
    words = {}
    for lang in LANGUAGES:
        path = folder / f"{lang}.yaml"
        if not path.exists():
            raise ReportError(f"{path}: translation file missing; copy en.yaml and translate it")
        words[lang] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return words


def lookup(words: dict[str, Any], key: str, where: str) -> Any:
    """The entry at a dotted ``key`` of a translation tree; ``ReportError`` names the key."""
    node: Any = words
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ReportError(f"{where}: no text for {key!r}; add it to the translation file")
        node = node[part]
    return node


class Page:
    """The results store, read in one language, with the helpers pages draw with."""

    def __init__(
        self,
        results: str | Path,
        lang: str,
        words: dict[str, dict[str, Any]],
        figures: str | Path,
        figures_url: str = "_static/figures",
        settings: dict[str, Any] | None = None,
    ) -> None:
        if lang not in words:
            raise ReportError(f"no translation for language {lang!r}")
        self.store = ResultsStore(results)
        self.lang = lang
        self.words = words[lang]
        self.figures = Path(figures)
        self.figures_url = figures_url
        # the CSV files of the tables' data (the book's ``_static/tables``)
        self.downloads = self.figures.parent / "tables"
        self.downloads_url = "_static/tables"
        self._tables: dict[str, pd.DataFrame] = {}
        self._labels: dict[tuple[str, str, str], str] | None = None
        self._counter = 0
        self._given = dict(settings or {})
        self.pdf_figures = False  # also save each figure as PDF (for the PDF edition)
        self._settings: dict[str, Any] | None = None

    @property
    def settings(self) -> dict[str, Any]:
        """The study's ``[report]`` settings, completed with defaults from the store.

        ``people_survey`` (default ``youth``, else the first survey), ``sector_survey``
        (default ``organisations``, else the second survey), ``gap_outcomes`` (default:
        the outcome of the people survey's first indicator) and ``headline`` (default:
        the first indicator of each outcome of the people survey, at most six).
        """
        if self._settings is None:
            ind = self.table("indicators")
            surveys = list(dict.fromkeys(ind["survey"]))
            people = self._given.get("people_survey") or (
                "youth" if "youth" in surveys else surveys[0]
            )
            others = [s for s in surveys if s != people]
            sector = self._given.get("sector_survey") or (
                "organisations" if "organisations" in others else (others or [""])[0]
            )
            mine = ind[ind["survey"] == people].drop_duplicates("indicator")
            first = mine.drop_duplicates("outcome")["indicator"].tolist()
            known, outcomes = set(ind["indicator"]), set(ind["outcome"])
            headline = [i for i in self._given.get("headline") or [] if i in known]
            gap = [o for o in self._given.get("gap_outcomes") or [] if o in outcomes]
            self._settings = {
                "people_survey": people,
                "sector_survey": sector,
                "gap_outcomes": gap or mine["outcome"].head(1).tolist(),
                "headline": headline or first[:6],
            }
        return self._settings

    # ------------------------------------------------------------ words and labels
    def t(self, key: str, **values: Any) -> str:
        """The text at ``key`` in this language, with ``{name}`` fields filled in."""
        text = lookup(self.words, key, f"translation ({self.lang})")
        return str(text).format(**values) if values else str(text)

    def has(self, name: str) -> bool:
        """Whether the results store holds the table ``name``."""
        return self.store.has(name)

    def table(self, name: str, latest: bool = False) -> pd.DataFrame:
        """A results table (read once per page); ``latest``: only its latest wave's rows."""
        if name not in self._tables:
            self._tables[name] = self.store.read(name)
        frame = self._tables[name]
        if latest and "wave" in frame.columns and len(frame):
            waves = frame["wave"].astype(str)
            frame = frame[waves == max(waves)]
        return frame

    def label(self, kind: str, id: str, parent: str = "") -> str:
        """The label of a thing in this language; its id if the labels table lacks it."""
        if self._labels is None:
            labels = self.table("labels") if self.has("labels") else pd.DataFrame()
            self._labels = {}
            for r in labels.to_dict("records"):
                text = str(r[self.lang])
                self._labels[(str(r["kind"]), str(r["id"]), str(r["parent"] or ""))] = text
                # only a level needs its parent (codes repeat across variables); an
                # indicator's outcome or a variable's survey does not change its label
                if r["kind"] != "level":
                    self._labels.setdefault((str(r["kind"]), str(r["id"]), ""), text)
        return self._labels.get((kind, str(id), parent), str(id))

    def domain_label(self, domain: str, value: str) -> str:
        """``overall`` as the word for everyone, else the level's label."""
        if domain == "overall":
            return self.t("common.overall")
        return self.label("level", value, domain)

    def universe(self, universe: str) -> str:
        """The sentence that states a denominator ("Universe: all respondents.")."""
        who = self.label("universe", universe).rstrip(".")
        return self.t("common.among", who=who[:1].lower() + who[1:])

    def missing_note(self, treatment: str) -> str:
        """How "don't know / prefer not to say" answers were treated, in words.

        ``dk_pnts_excluded_min_3_of_4`` (a scale that needs 3 of its 4 items) reads as the
        exclusion sentence followed by the minimum-items sentence.
        """
        notes = self.words.get("missing", {})
        scale = re.fullmatch(r"(.+)_min_(\d+)_of_(\d+)", treatment)
        if scale and scale.group(1) in notes:
            rule = str(notes.get("min_items", "")).format(k=scale.group(2), n=scale.group(3))
            return f"{notes[scale.group(1)]} {rule}".strip()
        return str(notes.get(treatment, treatment))

    def legend(self) -> str:
        """The legend of the quality symbols."""
        titles = SYMBOL_TITLES[self.lang]
        return self.t("common.legend", E=titles["E"], F=titles["F"], x=titles["x"])

    # ------------------------------------------------------------ numbers
    def number(self, value: float, digits: int = 0) -> str:
        """A number in this language."""
        return format_number(value, self.lang, digits)

    def percent(self, value: float, digits: int = 1) -> str:
        """A proportion as a percentage in this language."""
        return format_percent(value, self.lang, digits)

    def value(self, value: float, statistic: str, digits: int | None = None) -> str:
        """A value of an indicator in this language."""
        return format_value(value, statistic, self.lang, digits)

    def estimate_html(self, row: dict[str, Any], statistic: str | None = None) -> str:
        """A results row's estimate as a cell: value, flag, or suppression symbol."""
        return format_estimate(
            row.get("estimate"),
            statistic or str(row.get("statistic", "mean")),
            self.lang,
            symbol=str(row["symbol"]),
            html=True,
        )

    def ci_html(self, row: dict[str, Any], statistic: str | None = None, bare: bool = False) -> str:
        """The 95% CI of a row as a cell ("" when suppressed); ``bare``: as a compact range
        without the unit, for a column whose header gives it ("25.5–29.4" under "%")."""
        if is_hidden(str(row["symbol"])):
            return ""
        stat = statistic or str(row.get("statistic", "mean"))
        if bare:
            scale, digits = (
                (100.0, 1) if stat == "proportion" else (1.0, 0 if stat == "total" else 1)
            )
            low, high = (self.number(row[k] * scale, digits) for k in ("ci_low", "ci_high"))
            return escape(format_range(low, high, self.lang))
        low, high = self.value(row["ci_low"], stat), self.value(row["ci_high"], stat)
        return escape(f"{low} \u2013 {high}" if self.lang == "en" else f"{low} à {high}")

    def estimate_cell(self, row: dict[str, Any], statistic: str | None = None) -> str:
        """A results row's estimate for a column whose header gives the unit: a proportion
        as its percentage without "%", with its flag or the suppression symbol."""
        stat = statistic or str(row.get("statistic", "mean"))
        if stat != "proportion" or is_hidden(str(row["symbol"])):
            return self.estimate_html(row, stat)
        return format_estimate(
            row["estimate"] * 100, "mean", self.lang, symbol=str(row["symbol"]), html=True
        )

    # ------------------------------------------------------------ output
    def next_id(self, stem: str) -> str:
        """A page-unique element id."""
        self._counter += 1
        return f"{stem}-{self._counter}"

    def html_table(
        self,
        caption: str,
        headers: list[str],
        rows: list[list[str]],
        notes: list[str],
        *,
        source: str | None = None,
        header_groups: list[tuple[str, int]] | None = None,
    ) -> str:
        """An accessible table (see :func:`ci_eval.report.html_table.html_table`); ``source``
        names the public results table its numbers come from, offered under it as CSV
        (:meth:`csv_link`)."""
        download = (self.csv_link(source), self.t("layout.csv")) if source else None
        return html_table(
            self.next_id("table"),
            caption,
            headers,
            rows,
            notes,
            header_groups=header_groups or (),
            download=download,
        )

    def csv_link(self, name: str) -> str:
        """Copy the public results table ``name`` (its CSV file in the store, as published)
        to :attr:`downloads` and return its URL. A program's private table, or one outside
        the results contract, is refused: it never reaches the site.

        >>> import tempfile
        >>> root = tempfile.mkdtemp()
        >>> _ = ResultsStore(root).write("labels", pd.DataFrame({"kind": ["wave"],
        ...     "id": ["2024"], "parent": [""], "en": ["2024"], "fr": ["2024"]}))
        >>> page = Page(root, "en", {"en": {}}, tempfile.mkdtemp())
        >>> page.csv_link("labels")
        '_static/tables/labels.csv'
        >>> (page.downloads / "labels.csv").read_text().splitlines()[0]
        'kind,id,parent,en,fr'
        >>> page.csv_link("programs/P0001")
        Traceback (most recent call last):
        ...
        ci_eval.errors.ReportError: table 'programs/P0001' is a program's: never on the site
        """
        if is_private(name) or spec(name).private:
            raise ReportError(f"table {name!r} is a program's: never on the site")
        path = self.store.path(name, ".csv")
        if not path.exists():
            raise ReportError(f"{path}: the results store lacks table {name!r}; run the pipeline")
        self.downloads.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, self.downloads / path.name)
        return f"{self.downloads_url}/{path.name}"

    def figure(self, fig: Any, name: str, alt: str, caption: str, notes: str = "") -> str:
        """Save ``fig`` as ``<name>-<lang>.svg`` (and ``.pdf`` if :attr:`pdf_figures`) and
        return the HTML that shows it."""
        path = save_figure(fig, self.figures, f"{name}-{self.lang}", pdf=self.pdf_figures)
        return figure_html(f"{self.figures_url}/{path.name}", alt, caption, notes)
