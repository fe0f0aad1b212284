"""The sector: the organisation survey's indicators over the waves (``book/sector.md``)."""

from __future__ import annotations

from html import escape

from ci_eval.report.chapters.common import indicators_of, localise, rows_of, table_notes, wrap
from ci_eval.report.chapters.mentoring_gap import domain_table
from ci_eval.report.figure_files import COLOURS, ci_bar, new_figure
from ci_eval.report.format import is_hidden
from ci_eval.report.page import Page


def waves_figure(page: Page, indicators: list[str], name: str) -> str:
    """Overall proportions of several indicators, one bar per wave, with 95% CIs."""
    ind = page.table("indicators")
    rows = ind[
        ind["indicator"].isin(indicators)
        & (ind["domain"] == "overall")
        & (ind["statistic"] == "proportion")
    ]
    if rows.empty:
        return ""
    names = list(dict.fromkeys(rows["indicator"]))
    waves = sorted(set(rows["wave"].astype(str)))
    fig = new_figure(7.0, 0.5 * len(names) * len(waves) + 1.2)
    ax = fig.add_subplot()
    height = 0.8 / len(waves)
    described = []
    for wi, wave in enumerate(waves):
        for k, indicator in enumerate(names):
            match = rows[(rows["indicator"] == indicator) & (rows["wave"] == wave)]
            if match.empty:
                continue
            row = rows_of(match)[0]
            y = len(names) - 1 - k + (len(waves) - 1 - wi) * height - 0.4 + height / 2
            label = page.label("indicator", indicator)
            symbol = str(row["symbol"])
            if is_hidden(symbol):
                ax.text(0, y, f" {symbol}", va="center")
                described.append(f"{label} {wave}: {page.t('common.suppressed')}")
                continue
            colour = COLOURS[wi % len(COLOURS)]
            legend = wave if k == 0 else None  # one legend entry per wave
            ci_bar(ax, y, row, height=height * 0.9, colour=colour, capsize=2, label=legend)
            described.append(f"{label} {wave}: {page.value(row['estimate'], 'proportion')}")
    ax.set_yticks(
        range(len(names)),
        ["\n".join(wrap(page.label("indicator", i), 30)) for i in reversed(names)],
    )
    ax.set_xlabel(page.t("common.percent"))
    ax.set_xlim(0, 100)
    localise(page, ax.xaxis)
    ax.legend(loc="lower right", frameon=False)
    title = page.t("figures.by_wave")
    alt = f"{title}. " + "; ".join(described) + "."
    notes = " ".join(table_notes(page, rows)) + " " + page.t("figures.whiskers")
    return page.figure(fig, name, alt, title, notes)


def sector_sections(page: Page) -> str:
    """The organisation survey: proportions over waves, then one table per indicator."""
    survey = page.settings["sector_survey"]
    indicators = indicators_of(page, survey=survey)
    blocks = [waves_figure(page, indicators, "sector-waves")]
    for indicator in indicators:
        blocks.append(f"<h2>{escape(page.label('indicator', indicator))}</h2>")
        blocks.append(domain_table(page, indicator))
    return "\n".join(blocks)
