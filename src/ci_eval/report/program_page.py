"""One program's private benchmark pages, one per language, from ``programs/<id>`` of the
results store.

A page tells a program manager how the program compares, in that language only: the peer
group in words ("programs run by dedicated mentoring organisations in Ontario with fewer than
50 youth", from the codebook's ``peer_labels``), the wave and its fieldwork dates, then per
indicator the program's own answer (and its change since its previous answer) beside its
peer group's figures and the figure of all programs, for the latest wave and the one before.
A yes/no practice reads "Yes" beside "18 of 27 programs"; a number's peer figure is the
published median (with the middle half when the quartiles are published) or else the
average; a place in the group is a quarter, explained. Every figure about other programs is
what the peer rule (:mod:`ci_eval.analysis.benchmark.disclosure`) published, so nothing here
recomputes anything. With the program's own youth data (``--data``), its youth outcomes are
set beside the national estimates, suppressed by the same rules.

The pages are ``<results>/private/programs/<id>/benchmark-<lang>.html`` beside the program's
private tables, outside the public site (which never links or ships the private folder); each
is one self-contained HTML file that can be sent to the program as is.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from html import escape, unescape
from pathlib import Path
from typing import Any

import pandas as pd

from ci_eval.errors import ReportError
from ci_eval.report.build import DEFAULT_BOOK, pdf_wanted
from ci_eval.report.format import (
    format_change,
    format_estimate,
    format_in_unit,
    format_number,
    is_hidden,
    typeset_html,
    unit_digits,
)
from ci_eval.report.html_table import html_table
from ci_eval.report.page import Page, load_translations
from ci_eval.report.program_pdf import page_latex, write_pdf
from ci_eval.results import ResultsStore
from ci_eval.results.contract import is_private, program_of, program_table
from ci_eval.results.disclosure import DisclosureRules, edition_rules
from ci_eval.results.manifest import read_manifest

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
STYLE = (
    "body{font-family:system-ui,sans-serif;line-height:1.45;max-width:60rem;margin:0 auto;"
    "padding:1rem;color:#1a1a1a}h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}"
    ".ci-meta{color:#444}.ci-meaning{border-left:4px solid #2a6f97;padding:.3rem .8rem;"
    "background:#f1f6f9}.ci-table-figure{margin:1rem 0;overflow-x:auto}"
    "table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:600;"
    "padding:.3rem 0}th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left;"
    "vertical-align:top}.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".ci-group-heading th{background:#f4f4f4}.ci-notes{font-size:.85rem;color:#444}"
    "abbr{text-decoration:none}.ci-place{font-size:.85em;color:#444}"
    "@media (max-width:600px){body{padding:.6rem}table{font-size:.8rem;hyphens:auto}"
    "th,td{padding:.25rem .2rem}}"
)


def format_date(value: str, months: Sequence[str], lang: str) -> str:
    """An ISO date in words, with the language's ``months``: ``15 April 2024``, « 1er avril
    2024 » (French writes the first of a month 1er); "" when not a date.

    >>> format_date("2024-04-01", ["janvier", "février", "mars", "avril"], "fr")
    '1er avril 2024'
    """
    found = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", str(value or "")[:10])
    if not found:
        return ""
    year, month, day = (int(g) for g in found.groups())
    first = "1er" if lang == "fr" and day == 1 else str(day)
    return f"{first} {months[month - 1]} {year}"


# ---------------------------------------------------------------- the peer group in words
def peer_group_words(page: Page, variables: Sequence[str], levels: Sequence[str]) -> str:
    """The programs of a peer group, in words: "programs run by dedicated mentoring
    organisations in Ontario" from each criterion's peer phrase (labels of kind ``peer``),
    pooled levels joined by "or"; a variable without peer phrases reads "(region: Ontario)";
    no criterion: all programs."""
    phrases, plain = [], []
    for variable, codes in zip(variables, levels, strict=True):
        parts = [c for c in str(codes).split("+") if c]
        peer = [page.label("peer", c, variable) for c in parts]
        if all(p != c for p, c in zip(peer, parts, strict=True)):
            phrases.append(page.t("program.or").join(peer))
        else:
            names = page.t("program.or").join(page.label("level", c, variable) for c in parts)
            plain.append(f"{page.label('variable', variable).lower()}: {names}")
    if not phrases and not plain:
        return page.t("program.all_programs")
    text = " ".join([page.t("program.programs"), *phrases])
    return f"{text} ({'; '.join(plain)})" if plain else text


# ---------------------------------------------------------------- cells
def _hidden(page: Page) -> str:
    return format_estimate(None, "mean", page.lang, symbol="x", html=True)


def _unit(page: Page, indicator: str, kind: str) -> str:
    return "count" if kind == "yes_no" else page.unit(indicator)


def _number(page: Page, value: float, unit: str) -> str:
    """A value in its unit, as plain text ("" when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return format_in_unit(value, unit, page.lang)


def _peer_number(page: Page, row: dict[str, Any], unit: str) -> str:
    """What the group shows of a number: its median (with the middle half), else its
    average; the symbol when withheld."""
    if row["suppressed"]:
        return _hidden(page)
    if not math.isnan(row["median"]):
        text = page.t("program.median_is", value=_number(page, row["median"], unit))
        if not math.isnan(row["p25"]) and not math.isnan(row["p75"]):
            low, high = (_number(page, row[k], unit) for k in ("p25", "p75"))
            text += page.t("program.middle_half", low=low, high=high)
        return escape(text)
    if not math.isnan(row["average"]):
        return escape(page.t("program.average_is", value=_number(page, row["average"], unit)))
    return ""


def _count_of(page: Page, yes: float, n: int) -> str:
    if yes is None or math.isnan(yes):
        return _hidden(page)
    return escape(page.t("program.count_of", count=int(yes), n=format_number(n, page.lang)))


def _own_yes_no(page: Page, value: float) -> str:
    if value is None or math.isnan(value):
        return page.t("program.no_answer")
    return page.t("program.own_yes" if value > 0.5 else "program.own_no")


def _national_number(page: Page, row: dict[str, Any] | None, unit: str) -> str:
    if row is None:
        return ""
    if row["suppressed"]:
        return _hidden(page)
    return escape(page.t("program.average_is", value=_number(page, row["average"], unit)))


def _national_yes_no(page: Page, row: dict[str, Any] | None) -> str:
    if row is None:
        return ""
    if row["suppressed"] or math.isnan(row["average"]):
        return _hidden(page)
    share = format_in_unit(row["average"], "percent", page.lang, 0)
    return escape(page.t("program.share_of", share=share, n=format_number(row["n"], page.lang)))


def _place(page: Page, band: str) -> str:
    """The program's quarter of its group, as a phrase ("highest quarter of the group")."""
    return page.t(f"program.band.{band}") if band else page.t("program.no_place")


# ---------------------------------------------------------------- sections
class ProgramPage:
    """The rows of one program's table, read in one language."""

    def __init__(self, page: Page, program: str) -> None:
        self.page = page
        self.program = program
        self.rules: DisclosureRules = edition_rules(read_manifest(page.store.root).get("settings"))
        frame = page.table(program_table(program))
        self.rows = frame.to_dict("records")
        waves = sorted({str(r["wave"]) for r in self.rows})
        self.latest = waves[-1]
        self.previous = waves[-2] if len(waves) > 1 else None
        self.indicators = list(dict.fromkeys(str(r["indicator"]) for r in self.rows))
        self._by = {(str(r["indicator"]), str(r["wave"]), str(r["scope"])): r for r in self.rows}

    def row(self, indicator: str, wave: str | None, scope: str) -> dict[str, Any] | None:
        """The table's row of an indicator, wave and scope (``None`` when absent)."""
        return self._by.get((indicator, str(wave), scope)) if wave else None

    def group(self) -> dict[str, Any]:
        """The latest wave's group row of the first indicator (the group is fixed per wave)."""
        return next(r for r in self.rows if r["scope"] == "group" and r["wave"] == self.latest)

    def group_size(self) -> int:
        """The programs of the group in the latest wave (``benchmark_peers``), the program
        included; the most that answered an indicator when the store lacks that table."""
        label = str(self.group()["peer_group"])
        if self.page.has("benchmark_peers"):
            peers = self.page.table("benchmark_peers")
            found = peers.loc[peers["peer_group"] == label, "programs"]
            if len(found):
                return int(found.iloc[0])
        latest = [
            int(r["n"]) for r in self.rows if r["wave"] == self.latest and r["scope"] == "group"
        ]
        return max(latest)

    def t(self, key: str, **values: Any) -> str:
        """The page's text at ``program.<key>``, given the edition's disclosure rules."""
        rules = self.rules
        numbers = {"peer_k": rules.peer_k, "min_group": rules.min_group,
                   "min_cell": rules.min_cell, "peer_digits": rules.peer_digits}  # fmt: skip
        return self.page.t(f"program.{key}", **numbers, **values)

    def kind(self, indicator: str) -> str:
        """``yes_no`` or ``number``."""
        return str(self.row(indicator, self.latest, "group")["kind"])

    def change(self, indicator: str, unit: str) -> str:
        """The program's own change since its previous answer, as a phrase (or "")."""
        now, before = (
            self.row(indicator, self.latest, "group"),
            self.row(indicator, self.previous, "group"),
        )
        if before is None or math.isnan(now["value"]) or math.isnan(before["value"]):
            return ""
        digits = unit_digits(unit, before["value"])
        change = format_change(now["value"] - before["value"], unit, self.page.lang, digits)
        return self.page.t("program.since", change=change, wave=self.previous)


def _header(view: ProgramPage, survey: str) -> str:
    page = view.page
    group = view.group()
    words = peer_group_words(page, list(group["peer_variables"]), list(group["peer_levels"]))
    waves = [page.t("program.wave_line", wave=view.latest, dates=_dates(page, survey, view.latest))]
    if view.previous:
        dates = _dates(page, survey, view.previous)
        waves.append(page.t("program.previous_line", wave=view.previous, dates=dates))
    size = escape(page.plural("program.group_size", view.group_size(), who=words))
    return (
        f"<h1>{escape(page.t('program.title', program=view.program))}</h1>\n"
        f'<p class="ci-meta">{escape(page.label("survey", survey))}. '
        f"{' '.join(escape(w) for w in waves)}</p>\n"
        f"<p>{escape(view.t('private'))}</p>\n"
        f"<h2>{escape(page.t('program.group_title'))}</h2>\n<p>{size}</p>\n"
        f'<p class="ci-meaning">{escape(view.t("group_meaning"))}</p>'
    )


def _dates(page: Page, survey: str, wave: str) -> str:
    facts = page.survey_facts(survey, wave)
    months = page.words["program"]["months"]
    start, end = (
        format_date(str(facts.get(k, "")), months, page.lang)
        for k in ("fieldwork_start", "fieldwork_end")
    )
    return page.t("program.fieldwork", start=start, end=end) if start and end else ""


def _waves(view: ProgramPage) -> list[str]:
    return [w for w in (view.latest, view.previous) if w]


def _numbers(view: ProgramPage) -> str:
    page = view.page
    groups = []
    for indicator in (i for i in view.indicators if view.kind(i) == "number"):
        unit = _unit(page, indicator, "number")
        rows = []
        for wave in _waves(view):
            mine, national = (
                view.row(indicator, wave, "group"),
                view.row(indicator, wave, "national"),
            )
            own = _number(page, mine["value"], unit) or page.t("program.no_answer")
            if wave == view.latest and (change := view.change(indicator, unit)):
                own = f"{own} ({change})"
            own = escape(own)
            place = escape(_place(page, str(mine["rank_band"])))
            if not math.isnan(mine["value"]):
                own = f'{own}<br><span class="ci-place">{place}</span>'
            rows.append([escape(wave), own,
                         _peer_number(page, mine, unit),
                         _national_number(page, national, unit)])  # fmt: skip
        groups.append((page.label("indicator", indicator), rows))
    if not groups:
        return ""
    headers = [page.t(f"program.col.{k}") for k in ("wave", "yours_place", "peers", "all")]
    table = html_table("numbers", page.t("program.numbers_caption"), headers, [],
                       [view.t("numbers_note"), page.legend()], groups=groups)  # fmt: skip
    return (
        f"<h2>{escape(page.t('program.numbers_title'))}</h2>\n{table}\n"
        f'<p class="ci-meaning">{escape(page.t("program.numbers_meaning"))}</p>\n'
        f"<p>{escape(view.t('place_meaning'))}</p>"
    )


def _practices(view: ProgramPage) -> str:
    page = view.page
    groups = []
    for indicator in (i for i in view.indicators if view.kind(i) == "yes_no"):
        rows = []
        for wave in _waves(view):
            mine, national = (
                view.row(indicator, wave, "group"),
                view.row(indicator, wave, "national"),
            )
            peers = _hidden(page) if mine["suppressed"] else _count_of(page, mine["yes"], mine["n"])
            rows.append([escape(wave), escape(_own_yes_no(page, mine["value"])), peers,
                         _national_yes_no(page, national)])  # fmt: skip
        groups.append((page.label("indicator", indicator), rows))
    if not groups:
        return ""
    headers = [page.t(f"program.col.{k}") for k in ("wave", "yours", "peers_yes", "all_yes")]
    table = html_table("practices", page.t("program.practices_caption"), headers,
                       [], [view.t("practices_note"), page.legend()],
                       groups=groups)  # fmt: skip
    return (
        f"<h2>{escape(page.t('program.practices_title'))}</h2>\n{table}\n"
        f'<p class="ci-meaning">{escape(page.t("program.practices_meaning"))}</p>'
    )


def _youth(view: ProgramPage, youth: pd.DataFrame | None) -> str:
    """The program's own youth outcomes beside the national estimates (``--data``)."""
    if youth is None or youth.empty:
        return ""
    page = view.page
    rows = []
    for r in youth.to_dict("records"):
        if r["reason"] == "items not in the data":
            continue
        stat = str(r["statistic"])
        unit = page.unit(str(r["indicator"]))
        symbol = "F" if r["suppressed"] else str(r["flag"] or "")
        own = format_estimate(r["value"], stat, page.lang, symbol=symbol, html=True, unit=unit)
        nat = format_estimate(r["national"], stat, page.lang, html=True, unit=unit)
        if math.isnan(r["national"]):
            nat = _hidden(page)
        digits = unit_digits(unit, r["national"])
        gap = (
            ""
            if is_hidden(symbol)
            else escape(format_change(r["difference"], unit, page.lang, digits))
        )
        rows.append([escape(page.label("indicator", str(r["indicator"]))), own,
                     escape(format_number(r["n"], page.lang)), nat, gap])  # fmt: skip
    if not rows:
        return ""
    wave = next((str(w) for w in youth["national_wave"] if w), "")
    headers = [page.t(f"program.youth_col.{k}") for k in ("outcome", "yours", "n", "national",
               "difference")]  # fmt: skip
    table = html_table("youth", page.t("program.youth_caption", wave=wave),
                       headers, rows, [view.t("youth_note"), page.legend()])  # fmt: skip
    return (
        f"<h2>{escape(page.t('program.youth_title'))}</h2>\n{table}\n"
        f'<p class="ci-meaning">{escape(page.t("program.youth_meaning"))}</p>'
    )


def page_html(page: Page, program: str, youth: pd.DataFrame | None = None) -> str:
    """The whole page of ``program`` in ``page``'s language, typeset for it (its PDF is made
    from this HTML: :mod:`ci_eval.report.program_pdf`)."""
    view = ProgramPage(page, program)
    survey = page.settings["sector_survey"]
    body = "\n".join(
        part
        for part in (_header(view, survey), _numbers(view), _practices(view), _youth(view, youth))
        if part
    )
    title = escape(page.t("program.title", program=program))
    html = (
        f'<!DOCTYPE html>\n<html lang="{page.lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<article>\n"
        f"{body}\n</article>\n</main>\n</body>\n</html>\n"
    )
    return typeset_html(html, page.lang)


# ---------------------------------------------------------------- files
def page_path(results: str | Path, program: str, lang: str) -> Path:
    """Where a program's page in ``lang`` goes: beside its private tables.

    >>> page_path("reports/2024", "P0001", "fr").as_posix()
    'reports/2024/private/programs/P0001/benchmark-fr.html'
    """
    return ResultsStore(results).path(program_table(program), f"-{lang}.html")


def known_programs(results: str | Path) -> list[str]:
    """The programs the store holds a benchmark for, sorted."""
    names = ResultsStore(results).names(private=True)
    return sorted(program_of(n) for n in names if is_private(n))


def require_program(results: str | Path, program: str) -> None:
    """Check that ``program`` is a plain id the store holds a benchmark for.

    Raises
    ------
    ReportError
        Naming the id and some of the programs the store knows.
    """
    if not _SAFE_ID.match(program):
        raise ReportError(f"program id {program!r}: use letters, digits, '.', '_' or '-'")
    if not ResultsStore(results).has(program_table(program)):
        known = known_programs(results)
        shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
        raise ReportError(
            f"{results}: program {program!r} is not in the survey: no benchmark for program "
            f"{program!r} ({len(known)} programs have one: {shown or 'none'}); check the id "
            "or rerun `ci-eval run`"
        )


def program_page(
    results: str | Path,
    program: str,
    out: str | Path | None = None,
    *,
    languages: Sequence[str] | None = None,
    i18n: str | Path | None = None,
    youth: pd.DataFrame | None = None,
    pdf: bool | None = None,
) -> list[Path]:
    """Write the benchmark pages of ``program``, one per language (HTML, and PDF when
    ``pdf``: by default when ``pdflatex`` is installed), and return their paths.

    Parameters
    ----------
    results : path
        The results store (``reports/<edition>``).
    program : str
        The program id (``programs/<id>`` must be in the store).
    out : path, optional
        The folder of the pages (default: ``<results>/private/programs/<id>/``).
    languages : list of str
        Languages of the pages (default: English and French).
    youth : DataFrame, optional
        The program's own youth outcomes (``benchmark_program(..., data=...)``).
    pdf : bool, optional
        Whether to write each page's PDF beside it (default: when the PDF edition can be).

    Raises
    ------
    ReportError
        If the id is not a plain name or the store holds no benchmark for it.
    """
    require_program(results, program)
    pages = _pages(results, languages, i18n)
    pdf = pdf_wanted(pdf)
    return [path for page in pages for path in _write(page, program, out, youth, pdf)]


def all_program_pages(
    results: str | Path,
    *,
    languages: Sequence[str] | None = None,
    i18n: str | Path | None = None,
    pdf: bool | None = None,
) -> dict[str, list[Path]]:
    """Every program's pages, each in its own folder ``<results>/private/programs/<id>/``
    (to send each program only its own); the store's tables are read once, and the PDFs
    (``pdf``, as in :func:`program_page`) typeset on every core."""
    pages = _pages(results, languages, i18n)
    programs = known_programs(results)
    written = {p: [_write(page, p, None, None, False)[0] for page in pages] for p in programs}
    if pdf_wanted(pdf):
        jobs = [(path, page) for p in programs for path, page in zip(written[p], pages,
                                                                     strict=True)]  # fmt: skip
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            made = list(pool.map(lambda job: _pdf_of(*job), jobs))
        for (path, _), pdf_path in zip(jobs, made, strict=True):
            written[program_of_page(path)].append(pdf_path)
    return written


def _pages(
    results: str | Path, languages: Sequence[str] | None, i18n: str | Path | None
) -> list[Page]:
    results = Path(results)
    words = load_translations(Path(i18n or DEFAULT_BOOK / "i18n"))
    return [Page(results, lang, words, results / ".cache") for lang in (languages or ["en", "fr"])]


def _write(
    page: Page, program: str, out: str | Path | None, youth: pd.DataFrame | None, pdf: bool
) -> list[Path]:
    """The page's HTML (and its PDF when ``pdf``), written whole or not at all."""
    default = page_path(page.store.root, program, page.lang)
    path = Path(out) / default.name if out else default
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(page_html(page, program, youth), encoding="utf-8")
    os.replace(tmp, path)
    return [path, _pdf_of(path, page)] if pdf else [path]


def _pdf_of(path: Path, page: Page) -> Path:
    """The PDF of the HTML page at ``path``, beside it."""
    html = path.read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", html, flags=re.S)
    text = unescape(title.group(1)) if title else path.stem
    return write_pdf(page_latex(html, page.lang, text), path.with_suffix(".pdf"))


def program_of_page(path: Path) -> str:
    """The program a page belongs to (its folder's name).

    >>> program_of_page(Path("reports/2024/private/programs/P0001/benchmark-fr.html"))
    'P0001'
    """
    return path.parent.name
