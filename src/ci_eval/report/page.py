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
    UNIT_OF_STATISTIC,
    format_estimate,
    format_interval,
    format_number,
    format_percent,
    format_range,
    format_value,
    is_hidden,
    plural_forms,
    typeset,
    typeset_tree,
)
from ci_eval.report.html_table import html_table
from ci_eval.results import ResultsStore
from ci_eval.results.contract import is_private, spec
from ci_eval.results.report_settings import (
    FINDINGS,
    MAX_CONTRIBUTIONS,
    merge_settings,
    report_settings,
)

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
        self.words = typeset_tree(words[lang], lang)
        self.figures = Path(figures)
        self.figures_url = figures_url
        # the CSV files of the tables' data (the book's ``_static/tables``)
        self.downloads = self.figures.parent / "tables"
        self.downloads_url = "_static/tables"
        self._tables: dict[str, pd.DataFrame] = {}
        self._labels: dict[tuple[str, str, str], str] | None = None
        self._units: dict[str, str] | None = None
        self._counter = 0
        self._given = dict(settings or {})
        self.pdf_figures = False  # also save each figure as PDF (for the PDF edition)
        self._settings: dict[str, Any] | None = None

    @property
    def settings(self) -> dict[str, Any]:
        """The study's ``[report]`` settings (:mod:`ci_eval.results.report_settings`),
        completed with defaults from the store; ids the store does not hold are left out.

        ``people_survey`` (default ``youth``, else the first survey), ``sector_survey``
        (default ``organisations``, else the second survey), ``gap_outcomes`` (default:
        the outcome of the people survey's first indicator), ``headline`` (default: the
        first indicator of each outcome of the people survey, at most six) and
        ``key_findings`` (see :meth:`_key_findings`).
        """
        if self._settings is None:
            given = merge_settings(report_settings(self._given, "[report] settings"))
            ind = self.table("indicators")
            surveys = list(dict.fromkeys(ind["survey"]))
            people = given.get("people_survey") or ("youth" if "youth" in surveys else surveys[0])
            others = [s for s in surveys if s != people]
            sector = given.get("sector_survey") or (
                "organisations" if "organisations" in others else (others or [""])[0]
            )
            mine = ind[ind["survey"] == people].drop_duplicates("indicator")
            first = mine.drop_duplicates("outcome")["indicator"].tolist()
            known, outcomes = set(ind["indicator"]), set(ind["outcome"])
            headline = [i for i in given.get("headline") or [] if i in known]
            gap = [o for o in given.get("gap_outcomes") or [] if o in outcomes]
            self._settings = {
                "people_survey": people,
                "sector_survey": sector,
                "gap_outcomes": gap or mine["outcome"].head(1).tolist(),
                "headline": headline or first[:6],
            }
            self._settings["key_findings"] = self._key_findings(given.get("key_findings", {}))
        return self._settings

    def _key_findings(self, given: dict[str, Any]) -> dict[str, Any]:
        """``order`` (default: every kind), ``numbers`` (default: the headline indicators of
        the people survey), ``contributions`` (default: the first ones with a primary
        estimate), ``capacity`` (default: the sector survey's headline indicators, else its
        first three), ``equity`` (default: the first of ``numbers`` with equity gaps)."""
        settings = self._settings or {}
        ind = self.table("indicators")
        by_survey = {s: list(dict.fromkeys(g["indicator"])) for s, g in ind.groupby("survey")}
        people = by_survey.get(settings["people_survey"], [])
        sector = by_survey.get(settings["sector_survey"], [])

        def kept(ids: list[str] | None, among: list[str]) -> list[str]:
            return [i for i in ids or [] if i in among]

        headline = settings["headline"]
        numbers = kept(given.get("numbers"), people) or kept(headline, people)
        capacity = kept(given.get("capacity"), sector) or kept(headline, sector) or sector[:3]
        contributions = []
        if self.has("contributions"):
            frame = self.table("contributions")
            primary = frame[frame["primary"] & ~frame["suppressed"]]
            ids = list(dict.fromkeys(primary["contribution"]))
            contributions = kept(given.get("contributions"), ids) or ids
        equity_ids: list[str] = []
        if self.has("equity_gaps"):
            equity_ids = list(dict.fromkeys(self.table("equity_gaps")["indicator"]))
        equity = kept([given.get("equity") or ""], equity_ids) or kept(numbers, equity_ids)
        return {
            "order": list(given.get("order") or FINDINGS),
            "numbers": numbers,
            "contributions": contributions[:MAX_CONTRIBUTIONS],
            "capacity": capacity,
            "equity": equity[0] if equity else "",
        }

    # ------------------------------------------------------------ words and labels
    def t(self, key: str, **values: Any) -> str:
        """The text at ``key`` in this language, with ``{name}`` fields filled in and each
        ``{name|singular|plural}`` in the form its count takes (French: singular for 0 and 1,
        :func:`ci_eval.report.format.plural_form`): the report's one plural mechanism.

        >>> p = Page.__new__(Page)
        >>> p.lang, p.words = "fr", {"n": "{count} {count|indicateur|indicateurs}"}
        >>> p.t("n", count=0), p.t("n", count=2)
        ('0 indicateur', '2 indicateurs')

        The translation files are typeset as the language writes (no-break spaces of French,
        see :func:`ci_eval.report.format.typeset`) when the page is made.
        """
        text = str(lookup(self.words, key, f"translation ({self.lang})"))
        if not values:
            return text
        return plural_forms(text, self.lang, values).format(**values)

    def plural(self, key: str, count: int, **values: Any) -> str:
        """The text at ``key`` for ``count`` (given to it as ``{count}``): :meth:`t` with the
        count, whose ``{count|singular|plural}`` forms take the count's form. There is one
        plural mechanism, the inline forms; a ``one:``/``other:`` mapping is refused.

        >>> p = Page.__new__(Page)
        >>> p.lang, p.words = "fr", {"n": "{count} {count|programme|programmes}"}
        >>> p.plural("n", 0), p.plural("n", 3)
        ('0 programme', '3 programmes')
        """
        if isinstance(lookup(self.words, key, f"translation ({self.lang})"), dict):
            raise ReportError(
                f"translation ({self.lang}): {key!r} is a one:/other: mapping; write one text "
                "with {count|singular|plural} instead"
            )
        return self.t(key, count=count, **values)

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
                text = typeset(str(r[self.lang]), self.lang)
                self._labels[(str(r["kind"]), str(r["id"]), str(r["parent"] or ""))] = text
                # only a level needs its parent (codes repeat across variables); an
                # indicator's outcome or a variable's survey does not change its label
                if r["kind"] != "level":
                    self._labels.setdefault((str(r["kind"]), str(r["id"]), ""), text)
        return self._labels.get((kind, str(id), parent), str(id))

    def unit(self, indicator: str) -> str:
        """The unit an indicator is shown in (``percent``, ``score``, ``count``, ``number``):
        the model's (table ``toc_indicators``), else the one of its statistic."""
        if self._units is None:
            self._units = {}
            if self.has("toc_indicators"):
                units = self.table("toc_indicators")
                self._units = dict(zip(units["indicator"], units["unit"], strict=True))
        if indicator not in self._units:
            ind = self.table("indicators")
            stats = ind.loc[ind["indicator"] == indicator, "statistic"]
            statistic = str(stats.iloc[0]) if len(stats) else "mean"
            self._units[indicator] = UNIT_OF_STATISTIC.get(statistic, "number")
        return self._units[indicator]

    def named(self, name: str) -> str:
        """The label of an indicator, or else of a codebook variable, by its id (an
        exposure or a covariate may be either)."""
        label = self.label("indicator", name)
        return label if label != name else self.label("variable", name)

    def domain_label(self, domain: str, value: str, universe: str = "", survey: str = "") -> str:
        """The level's label; for ``overall``, who the row is about (:meth:`overall`)."""
        if domain == "overall":
            return self.overall(universe, survey)
        return self.label("level", value, domain)

    def overall(self, universe: str, survey: str = "") -> str:
        """The label of an overall row: its population as a row label ("All young adults
        aged 18 to 30", « Ensemble des jeunes adultes de 18 à 30 ans »: French without its
        article); the word for everyone when the universe has no label."""
        who = self.population(universe, survey) if universe else ""
        if not who or who == universe:
            return self.t("common.overall")
        if self.lang == "fr":
            who = re.sub(r"^(?:l['’]|les |le |la )", "", who)
        return who[:1].upper() + who[1:]

    def by(self, domain: str, survey: str = "", heading: bool = False) -> str:
        """A domain variable introduced in words: "by gender", « selon le genre »; as a
        ``heading``, with a capital ("By gender")."""
        text = self.label("by", domain, survey)
        return text[:1].upper() + text[1:] if heading else text

    def population(self, universe: str, survey: str = "") -> str:
        """Who a row is about, as a noun phrase ("programs with a waitlist"); ``survey``
        tells apart the ``all`` of each survey (all young adults, all programs)."""
        return self.label("universe", universe, survey).rstrip(".")

    def among(self, universe: str, survey: str = "") -> str:
        """Who a number is about, to follow it: "among programs with a waitlist"."""
        return self.t("common.among_who", who=self.population(universe, survey))

    def universe(self, universe: str, survey: str = "") -> str:
        """The sentence that states a denominator ("Population: all programs.")."""
        return self.t("common.among", who=self.population(universe, survey))

    def survey_facts(self, survey: str, wave: str | None = None) -> dict[str, Any]:
        """One survey's row of the ``surveys`` table (its latest wave unless ``wave``);
        empty when the store has no such table or row."""
        if not self.has("surveys"):
            return {}
        rows = self.table("surveys")
        rows = rows[rows["survey"] == survey]
        if wave is not None:
            rows = rows[rows["wave"].astype(str) == str(wave)]
        return rows.iloc[-1].to_dict() if len(rows) else {}

    def simulated_surveys(self) -> list[str]:
        """The surveys whose data are simulated (the ``surveys`` table), in its order."""
        if not self.has("surveys"):
            return []
        rows = self.table("surveys")
        return list(dict.fromkeys(rows.loc[rows["simulated"], "survey"]))

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

    def estimate_html(
        self,
        row: dict[str, Any],
        statistic: str | None = None,
        unit: str | None = None,
        digits: int | None = None,
    ) -> str:
        """A results row's estimate as a cell: value, flag, or suppression symbol (in the
        indicator's ``unit`` with ``digits`` decimals when given)."""
        return format_estimate(
            row.get("estimate"),
            statistic or str(row.get("statistic", "mean")),
            self.lang,
            symbol=str(row["symbol"]),
            html=True,
            unit=unit,
            digits=digits,
        )

    def interval(self, row: dict[str, Any], statistic: str | None = None) -> str:
        """The bounds of a row's 95% CI ("58.2% to 62.3%", « 58,2 à 62,3 % »); "" when the
        row is suppressed."""
        if is_hidden(str(row["symbol"])):
            return ""
        stat = statistic or str(row.get("statistic", "mean"))
        return format_interval(row["ci_low"], row["ci_high"], stat, self.lang)

    def ci_html(self, row: dict[str, Any], statistic: str | None = None, bare: bool = False) -> str:
        """The 95% CI of a row as a cell ("" when suppressed); ``bare``: the bounds without
        their unit, for a column whose header gives it ("25.5 – 29.4" under "%")."""
        stat = statistic or str(row.get("statistic", "mean"))
        if not bare or is_hidden(str(row["symbol"])):
            return escape(self.interval(row, stat))
        scale, digits = (100.0, 1) if stat == "proportion" else (1.0, 0 if stat == "total" else 1)
        low, high = (self.number(row[k] * scale, digits) for k in ("ci_low", "ci_high"))
        return escape(format_range(low, high))

    def ci_text(self, row: dict[str, Any], statistic: str | None = None) -> str:
        """The 95% CI as a phrase after a number ("95% CI: 58.2% to 62.3%"); "" if hidden."""
        bounds = self.interval(row, statistic)
        return self.t("common.ci_phrase", ci=bounds) if bounds else ""

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
        source: str | list[str] | None = None,
        header_groups: list[tuple[str, int]] | None = None,
        **layout: Any,
    ) -> str:
        """An accessible table (see :func:`ci_eval.report.html_table.html_table`); ``source``
        names the public results table its numbers come from, offered under it as CSV
        (:meth:`csv_link`), or several, each linked by its name in words
        (``layout.tables.<name>``); ``layout``: its ``groups`` and ``numeric`` columns."""
        if isinstance(source, str):
            download = [(self.csv_link(source), self.t("layout.csv"))]
        else:
            download = [
                (self.csv_link(name), self.t("layout.csv_of", what=self.t(f"layout.tables.{name}")))
                for name in source or []
            ]
        return html_table(
            self.next_id("table"),
            caption,
            headers,
            rows,
            notes,
            header_groups=header_groups or (),
            download=download,
            **layout,
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
