"""One program's private benchmark page, from ``programs/<id>`` of the results store.

The page compares the program with its peer group (quartiles of the group only,
never another program's value) and is written beside the program's private tables,
``reports/<edition>/private/programs/<id>/benchmark.html``, outside the public site and the
public ``tables/``. It is a single self-contained HTML file in every language of
the study, one section per language, so it can be emailed to the program as is.
"""

from __future__ import annotations

import os
import re
from html import escape
from pathlib import Path

from ci_eval.errors import ReportError
from ci_eval.report.build import DEFAULT_BOOK
from ci_eval.report.format import format_estimate, format_number, typeset_html
from ci_eval.report.html_table import html_table
from ci_eval.report.page import Page, load_translations
from ci_eval.results import ResultsStore
from ci_eval.results.contract import program_of, program_table

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


def _section(page: Page, program: str) -> str:
    frame = page.table(program_table(program), latest=True)
    frame = frame[frame["scope"] == "group"]
    keys = ("indicator", "value", "peer_group", "peer_n", "average", "p25", "median", "p75")
    headers = [page.t(f"program.{k}") for k in (*keys, "answered_yes", "rank")]
    rows = []
    for row in frame.to_dict("records"):
        stat = "proportion" if row["kind"] == "yes_no" else "mean"
        symbol = str(row["symbol"])

        def cell(value: float, stat: str = stat, symbol: str = symbol) -> str:
            return format_estimate(value, stat, page.lang, symbol=symbol, html=True)

        def count(value: float, symbol: str = symbol) -> str:
            return format_estimate(value, "total", page.lang, symbol=symbol, html=True)

        rows.append(
            [
                escape(page.label("indicator", str(row["indicator"]))),
                cell(row["value"], symbol=""),
                escape(str(row["peer_group"])),
                escape(format_number(row["n"], page.lang)),
                *(cell(row[k]) for k in ("average", "p25", "median", "p75")),
                count(row["yes"]),
                escape(page.t(f"program.band.{row['rank_band']}")) if row["rank_band"] else "",
            ]
        )
    table = html_table(
        f"bench-{page.lang}",
        page.t("program.title", program=program),
        headers,
        rows,
        [page.legend()],
    )
    return (
        f'<section lang="{page.lang}"><h1>{escape(page.t("program.title", program=program))}</h1>'
        f"<p>{escape(page.t('program.body'))}</p>{table}</section>"
    )


def default_page_path(results: str | Path, program: str) -> Path:
    """Where a program's page goes by default: beside its private tables.

    >>> default_page_path("reports/2024", "P0001").as_posix()
    'reports/2024/private/programs/P0001/benchmark.html'
    """
    return ResultsStore(results).path(program_table(program), ".html")


def program_page(
    results: str | Path,
    program: str,
    out: str | Path | None = None,
    *,
    languages: list[str] | None = None,
    i18n: str | Path | None = None,
) -> Path:
    """Write the benchmark page of ``program`` and return its path.

    Parameters
    ----------
    results : path
        The results store (``reports/<edition>``).
    program : str
        The program id (``programs/<id>`` must be in the store).
    out : path, optional
        The HTML file (default: ``<results>/private/programs/<id>/benchmark.html``).
    languages : list of str
        Languages of the page (default: English and French).
    """
    if not _SAFE_ID.match(program):
        raise ReportError(f"program id {program!r}: use letters, digits, '.', '_' or '-'")
    results = Path(results)
    words = load_translations(Path(i18n or DEFAULT_BOOK / "i18n"))
    pages = [Page(results, lang, words, results / ".cache") for lang in (languages or ["en", "fr"])]
    if not pages[0].has(program_table(program)):
        known = [program_of(n) for n in pages[0].store.names(private=True)]
        raise ReportError(
            f"{results}: no benchmark for program {program!r} (programs with one: "
            f"{', '.join(known[:10]) or 'none'}); check the id or rerun `ci-eval run`"
        )
    body = "\n".join(typeset_html(_section(page, program), page.lang) for page in pages)
    html = (
        f'<!DOCTYPE html>\n<html lang="{pages[0].lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(pages[0].t('program.title', program=program))}</title>\n"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse}th,td{border-bottom:1px solid #ccc;padding:.25rem .5rem}"
        "td{text-align:right}caption{text-align:left;font-weight:600}.ci-notes{font-size:.85rem}"
        "</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )
    path = Path(out) if out else default_page_path(results, program)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path
