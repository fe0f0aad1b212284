"""The PDF edition's LaTeX, block by block (fast: no book is built).

The compile tests run pdfLaTeX on a page of converted blocks (about a second) and are
skipped without it.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from ci_eval.errors import ReportError
from ci_eval.report import build
from ci_eval.report.figure_files import figure_html, new_figure, save_figure
from ci_eval.report.html_table import html_table
from ci_eval.report.latex import UNICODE, block_latex, latex_text, unicode_preamble
from ci_eval.report.pdf import PREAMBLE, pdf_environment
from ci_eval.report.render import render_page

PDFLATEX = shutil.which("pdflatex")
needs_pdflatex = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex not installed")


def spec(latex: str) -> str:
    return re.search(r"\\begin\{xltabular\}\{\\linewidth\}\{(.*)\}\n", latex).group(1)


def test_a_table_keeps_its_caption_rows_and_notes_with_numbers_right_aligned():
    html = html_table(
        "t1",
        "Had a mentor, 2024",
        ["Group", "Estimate", "95% CI", "Comparison"],
        [
            ["Women", "55.8%", "53.1% – 58.4%", "everyone else"],
            ["Men", "50.2%<sup><abbr title='use with caution'>E</abbr></sup>", "—", "women"],
        ],
        ["Universe: all respondents."],
    )
    latex = block_latex(html, Path("."))
    assert "\\caption*{\\textbf{Had a mentor, 2024}}" in latex
    # the row label wraps (X), numbers are right-aligned (r), short text stays on a line (l)
    assert spec(latex).endswith("Xrrl@{}")
    assert "Women & 55.8\\% & 53.1\\% – 58.4\\% & everyone else \\\\" in latex
    assert "50.2\\%\\textsuperscript{E}" in latex
    assert latex.index("\\endhead") < latex.index("Women")  # the header repeats on each page
    assert latex.rstrip().endswith("{\\footnotesize Universe: all respondents.\\par}")


def test_a_wide_table_gets_a_smaller_font_and_a_narrow_one_the_body_font():
    headers = ["Survey", *[f"Column {k}" for k in range(10)]]
    row = ["National youth mentoring survey", *["7,380,000.00"] * 10]
    wide = block_latex(html_table("t", "Wide", headers, [row], []), Path("."))
    narrow = block_latex(html_table("t", "Narrow", ["Group", "n"], [["All", "12"]], []), Path("."))
    assert re.search(r"\\begingroup\\(scriptsize|footnotesize)", wide)
    assert "\\begingroup\\setlength" in narrow


def test_a_numeric_header_is_broken_into_lines_no_wider_than_its_numbers():
    html = html_table("t", "T", ["Group", "Sum of the weights"], [["All", "1,234.5"]], [])
    assert "\\begin{tabular}[b]{@{}r@{}}Sum of\\\\the\\\\weights\\end{tabular}" in block_latex(
        html, Path(".")
    )


def test_reserved_characters_are_escaped_in_text_and_captions():
    html = html_table("t", "50% & $x_1 #2 {a}", ["A", "B"], [["~c^d\\e", "1"]], [])
    latex = block_latex(html, Path("."))
    assert "50\\% \\& \\$x\\_\\allowbreak{}1 \\#2 \\{a\\}" in latex
    assert "\\textasciitilde{}c\\textasciicircum{}d\\textbackslash{}e" in latex
    assert latex_text("a/b") == "a/\\allowbreak{}b"


def test_a_figure_is_shown_from_the_pdf_saved_beside_its_svg(tmp_path):
    save_figure(new_figure(), tmp_path / "_static" / "figures", "bars-en", pdf=True)
    html = figure_html("_static/figures/bars-en.svg", "Bars", "Figure one", "Among all.")
    latex = block_latex(html, tmp_path)
    assert "{_static/figures/bars-en.pdf}" in latex
    assert "\\textbf{Figure one} {\\footnotesize Among all.}" in latex


def test_a_figure_without_its_pdf_names_the_file_and_the_fix(tmp_path):
    save_figure(new_figure(), tmp_path / "_static" / "figures", "bars-en")
    html = figure_html("_static/figures/bars-en.svg", "Bars", "Figure one")
    with pytest.raises(ReportError, match=r"bars-en\.pdf.*save_figure"):
        block_latex(html, tmp_path)
    with pytest.raises(ReportError, match="inline <svg>"):
        block_latex("<div><svg><text>x</text></svg></div>", tmp_path)


def test_cards_lists_and_headings_have_their_latex_form():
    html = (
        "<h2>Gap</h2><div class='ci-cards'><div class='ci-card'><p class='ci-card-value'>62%</p>"
        "<p class='ci-notes'>Among all.</p></div><div class='ci-card'><p>b</p></div></div>"
        "<ol><li>one</li></ol><p>See <a href='https://example.org/a%20b'>this</a>.</p>"
        "<p>Table: <a href='tables/gap.csv' download>CSV</a></p>"
    )
    latex = block_latex(html, Path("."))
    assert "\\section{Gap}" in latex
    assert latex.count("\\fbox{\\begin{minipage}") == 2
    assert "{\\Large\\bfseries 62\\%\\par}" in latex and "{\\footnotesize Among all.\\par}" in latex
    assert "\\begin{enumerate}\n\\item one\n\\end{enumerate}" in latex
    assert "\\href{https://example.org/a\\%20b}{this}" in latex
    assert "Table:" in latex and "CSV" not in latex  # a download link means nothing on paper


def test_a_page_carries_each_block_as_html_and_as_latex_only_for_the_pdf(monkeypatch):
    from ci_eval.report import render

    monkeypatch.setattr(render, "draw_block", lambda page, name, where: "<p>55.8%</p>")

    page = SimpleNamespace(words={}, simulated_surveys=list)  # no simulated data
    both = render_page("# T\n\n{{block:legend}}\n", page, "2024", "x.md", Path("."))
    html_only = render_page("# T\n\n{{block:legend}}\n", page, "2024", "x.md")
    assert (
        "```{raw} html\n<p>55.8%</p>\n```" in both and "```{raw} latex\n55.8\\%\\par\n```" in both
    )
    assert "{raw} latex" not in html_only


def test_without_pdflatex_the_pdf_is_skipped_with_one_message(monkeypatch, caplog):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with caplog.at_level(logging.WARNING):
        assert build.pdf_wanted(None) is False
        assert build.pdf_wanted(True) is True
    assert [r.getMessage() for r in caplog.records] == [build.PDF_SKIPPED]
    assert "texlive" in build.PDF_SKIPPED


def test_every_declared_character_is_set_up_once():
    lines = unicode_preamble().splitlines()
    assert len(lines) == len(UNICODE) == len(set(lines))


def compile_page(folder: Path, body: str) -> str:
    """pdfLaTeX on ``body`` with the edition's preamble; returns the log."""
    (folder / "page.tex").write_text(
        "\\documentclass{report}\\usepackage[utf8]{inputenc}\\usepackage[T1]{fontenc}"
        "\\usepackage{lmodern}\\usepackage{graphicx}\\usepackage[french,english]{babel}"
        f"\\usepackage[letterpaper,hmargin=1in]{{geometry}}{PREAMBLE}{unicode_preamble()}\n"
        "\\graphicspath{{./}}\\usepackage{hyperref}\\begin{document}\n"
        f"{body}\n\\end{{document}}\n",
        encoding="utf-8",
    )
    for _ in range(2):  # longtables settle their widths on the second pass
        done = subprocess.run(
            [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "page.tex"],
            cwd=folder,
            env=pdf_environment(),
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout[-3000:]
    return (folder / "page.log").read_text(encoding="utf-8", errors="replace")


@needs_pdflatex
def test_converted_blocks_compile_and_every_table_fits_the_line(tmp_path):
    save_figure(new_figure(), tmp_path / "_static" / "figures", "f-fr", pdf=True)
    long = "Racialized group (derived from the population group): Indigenous, not racialized"
    blocks = [
        html_table(
            "t",
            "Weighting diagnostics",
            [
                "Survey",
                "Wave",
                "n",
                "Sum of weights",
                "Design effect",
                "Effective n",
                "Min.",
                "Max.",
                "Iterations",
                "Converged",
                "Trimmed",
            ],
            [
                [
                    "National youth mentoring survey",
                    "2024",
                    "2,883",
                    "7,380,000",
                    "1.32",
                    "2,178",
                    "203.68",
                    "5,994.68",
                    "4",
                    "yes",
                    "yes",
                ]
            ]
            * 3,
            ["Kish design effect: 1 + CV² of the weights."],
        ),
        html_table(
            "u",
            "Contributions",
            ["Outcome", "Exposure", "Model", "Measure", "Estimate", "95% CI", "p", "E", "n"],
            [
                [
                    long,
                    long,
                    "doubly robust (AIPW)",
                    "average marginal effect",
                    "0.319",
                    "0.244 ; 0.395",
                    "< 0.001",
                    "2.17",
                    "2,654",
                ]
            ]
            * 40,
            [],
        ),
        figure_html(
            "_static/figures/f-fr.svg", "x", "Écart selon le genre", "Univers\u00a0: tous."
        ),
        "<p>1\u202f234,5\u00a0% \u2191 \u2192 \u2198 \u2212 \u2264 « guillemets » – — … ×</p>",
    ]
    body = "\n".join(block_latex(html, tmp_path) for html in blocks)
    log = compile_page(tmp_path, body)
    assert "Overfull \\hbox" not in log
    assert (tmp_path / "page.pdf").exists()


def test_a_table_of_row_groups_keeps_every_group_with_its_heading_across_the_line():
    html = html_table(
        "t2",
        "Had a mentor, 2024",
        ["Group", "Estimate", "n"],
        [
            ["All young adults", "55.8%", "2,000"],
            "By length of the longest mentoring relationship",
            ["Less than a year", "50.2%", "400"],
            "By gender",
            ["Women", "57.0%", "1,000"],
        ],
    )
    assert html.count("<tbody>") == 3
    latex = block_latex(html, Path("."))
    # every group's rows are there; a heading spans the columns and does not set their types
    assert "Less than a year & 50.2\\% & 400" in latex and "Women & 57.0\\% & 1,000" in latex
    assert "\\multicolumn{3}{@{}l}{\\textbf{By gender}}" in latex
    assert spec(latex).endswith("Xrr@{}")
