"""Matplotlib figures saved as deterministic SVG files and shown with alt text.

A figure is written to ``<figures>/<name>.svg`` (the book's ``_static/figures``)
with a fixed hash salt and no date, so two builds give the same bytes; the page
shows it as ``<figure><img alt=...><figcaption>`` so screen readers get a text
alternative that states what the figure shows and its denominator. For the PDF
edition the same figure is also written as ``<name>.pdf`` (vector, no date, no
producer), which :mod:`ci_eval.report.latex` shows in place of the SVG: any other
image a block shows needs such a PDF (or PNG) beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ci_eval.report.format import CAUTION

STYLE = {
    "svg.hashsalt": "ci-eval",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,
}
# No date and no software version in a figure's PDF, so its bytes depend on the data only.
PDF_METADATA = {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None}
# Colour-blind-safe (Okabe & Ito 2008) and distinguishable in grey.
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]


def new_figure(width: float = 7.0, height: float = 3.5) -> Figure:
    """A figure in the report's style (not attached to pyplot, so no backend is touched).

    >>> new_figure().get_size_inches().tolist()
    [7.0, 3.5]
    """
    with mpl.rc_context(STYLE):
        return Figure(figsize=(width, height), layout="constrained")


def ci_bar(
    ax: Axes,
    y: float,
    row: Mapping[str, Any],
    *,
    height: float,
    colour: str,
    capsize: float,
    scale: float = 100.0,
    label: str | None = None,
) -> None:
    """Draw ``row``'s estimate as a horizontal bar at ``y`` with black 95% CI whiskers.

    ``row`` is a results row (``estimate``, ``ci_low``, ``ci_high``, ``symbol``); its
    values are drawn times ``scale`` (100: a proportion in percent), and a bar to use
    with caution (symbol :data:`~ci_eval.report.format.CAUTION`) is hatched. ``label``
    names the bar in the axes' legend. A suppressed row is the caller's to show.

    >>> ax = new_figure().add_subplot()
    >>> row = {"estimate": 0.5, "ci_low": 0.25, "ci_high": 0.75, "symbol": "E"}
    >>> ci_bar(ax, 0, row, height=0.6, colour=COLOURS[0], capsize=3)
    >>> bar = ax.patches[0]
    >>> float(bar.get_width()), float(bar.get_height()), str(bar.get_hatch())
    (50.0, 0.6, '//')
    >>> ax.collections[0].get_segments()[0].tolist()
    [[25.0, 0.0], [75.0, 0.0]]
    """
    est = scale * row["estimate"]
    ax.barh(
        y,
        est,
        height=height,
        color=colour,
        label=label,
        hatch="//" if str(row["symbol"]) == CAUTION else None,
    )
    ax.errorbar(
        est,
        y,
        xerr=[[est - scale * row["ci_low"]], [scale * row["ci_high"] - est]],
        fmt="none",
        ecolor="black",
        capsize=capsize,
        lw=1,
    )


def save_figure(fig: Figure, folder: str | Path, name: str, pdf: bool = False) -> Path:
    """Write ``fig`` as ``<folder>/<name>.svg`` with stable bytes (and ``<name>.pdf`` if
    ``pdf``); returns the SVG's path.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> save_figure(new_figure(), folder, "a", pdf=True).name, (folder / "a.pdf").exists()
    ('a.svg', True)
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.svg"
    with mpl.rc_context(STYLE):
        fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None})
        if pdf:
            fig.savefig(path.with_suffix(".pdf"), format="pdf", metadata=PDF_METADATA)
    return path


def figure_html(src: str, alt: str, caption: str, notes: str = "") -> str:
    """The HTML that shows a saved figure with its alt text, caption and notes.

    >>> html = figure_html("_static/figures/a.svg", "Bars", "Figure 1", "Among all.")
    >>> html.startswith('<figure class="ci-figure"><img src="_static/figures/a.svg" alt="Bars"')
    True
    >>> html.endswith('Figure 1 <span class="ci-notes">Among all.</span></figcaption></figure>')
    True
    """
    extra = f' <span class="ci-notes">{escape(notes)}</span>' if notes else ""
    return (
        f'<figure class="ci-figure"><img src="{escape(src)}" alt="{escape(alt)}" loading="lazy">'
        f"<figcaption>{escape(caption)}{extra}</figcaption></figure>"
    )
