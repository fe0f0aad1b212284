"""The theory-of-change diagram laid out by Graphviz: edges on their nodes, every outcome
above the lowest level reached, evidence on the links, EN/FR labels, stable bytes."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest

from ci_eval.errors import ReportError
from ci_eval.report import chapters, toc_graph
from ci_eval.report.build import DEFAULT_BOOK
from ci_eval.report.page import Page, load_translations
from ci_eval.report.toc_graph import Edge, Node, dot_text, render
from ci_eval.results import ResultsStore
from report_synthetic import write_synthetic_store

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")

WORDS = load_translations(DEFAULT_BOOK / "i18n")
SVG = "{http://www.w3.org/2000/svg}"
TOLERANCE = 2.0  # points: Graphviz clips an edge at the node's outline, to within a pen width


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> ResultsStore:
    return write_synthetic_store(tmp_path_factory.mktemp("toc"))


def draw(store: ResultsStore, lang: str, folder: Path) -> tuple[str, Path]:
    page = Page(store.root, lang, WORDS, folder)
    page.pdf_figures = True
    html = chapters.toc_diagram(page)
    return html, folder / f"theory-of-change-{lang}.svg"


def _points(text: str) -> list[tuple[float, float]]:
    numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", text)]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def parse(svg: Path) -> tuple[dict[str, tuple[float, ...]], list[tuple[str, str, list, list]]]:
    """The nodes' boxes (x0, y0, x1, y1) by id, and each edge's (source, target, path points,
    arrowhead points)."""
    root = ET.parse(svg).getroot()
    boxes, edges = {}, []
    for group in root.iter(f"{SVG}g"):
        title = unescape(group.findtext(f"{SVG}title") or "")
        if group.get("class") == "node":
            shape = group.find(f"{SVG}path")
            if shape is None:
                shape = group.find(f"{SVG}polygon")
            points = _points(shape.get("d") or shape.get("points"))
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            boxes[title] = (min(xs), min(ys), max(xs), max(ys))
        elif group.get("class") == "edge":
            source, target = title.split("->")
            path = _points(group.find(f"{SVG}path").get("d"))
            head = _points(group.find(f"{SVG}polygon").get("points"))
            edges.append((source, target, path, head))
    return boxes, edges


def on_outline(point: tuple[float, float], box: tuple[float, ...]) -> bool:
    """Whether ``point`` lies on the box's outline (within :data:`TOLERANCE`)."""
    x, y = point
    x0, y0, x1, y1 = box
    inside = x0 - TOLERANCE <= x <= x1 + TOLERANCE and y0 - TOLERANCE <= y <= y1 + TOLERANCE
    distance = min(abs(x - x0), abs(x - x1), abs(y - y0), abs(y - y1))
    return inside and distance <= TOLERANCE


def test_every_edge_starts_and_ends_on_its_nodes(store, tmp_path):
    _, svg = draw(store, "en", tmp_path)
    boxes, edges = parse(svg)
    assert set(boxes) == {"program_delivery", "access", "wellbeing"}
    assert {(s, t) for s, t, *_ in edges} == {
        ("program_delivery", "access"),
        ("access", "wellbeing"),
    }
    for source, target, path, head in edges:
        assert on_outline(path[0], boxes[source]), (source, target, path[0])
        tip = max(head, key=lambda p: (p[0] - path[-1][0]) ** 2 + (p[1] - path[-1][1]) ** 2)
        assert on_outline(tip, boxes[target]), (source, target, tip)


def test_a_box_that_misses_its_edge_is_caught():
    """The check above can fail: a point off the outline is refused."""
    box = (0.0, 0.0, 100.0, 50.0)
    assert on_outline((50.0, 50.0), box) and on_outline((0.5, 20.0), box)
    assert not on_outline((50.0, 25.0), box)  # inside, off the outline
    assert not on_outline((50.0, 60.0), box)  # in empty space below


def test_every_outcome_above_the_lowest_level_has_an_incoming_edge(store, tmp_path):
    _, svg = draw(store, "en", tmp_path)
    _, edges = parse(svg)
    toc = store.read("toc_outcomes")
    lowest = toc["level"].iloc[0]  # the model lists levels from the lowest (activities)
    reached = {t for _, t, *_ in edges}
    assert set(toc.loc[toc["level"] != lowest, "outcome"]) <= reached


def test_boxes_list_indicators_with_latest_value_and_trend_and_links_carry_evidence(
    store, tmp_path
):
    html, svg = draw(store, "en", tmp_path)
    text = unescape(svg.read_text())
    assert "Young people have mentors" in text and "Outputs" in text
    ind = store.read("indicators")
    latest = ind[(ind["indicator"] == "mentored_6_18") & (ind["domain"] == "overall")]
    value = f"{100 * latest.sort_values('wave')['estimate'].iloc[-1]:.1f}%"
    trend = store.read("trends")
    name = trend[(trend["indicator"] == "mentored_6_18") & (trend["domain"] == "overall")]
    arrow = chapters.theory_of_change.ARROWS[name.sort_values("wave")["trend"].iloc[-1]]
    assert f"{value} {arrow}" in text
    # the synthetic swemwbs_score ~ mentored_6_18 (regression) sits on access -> wellbeing
    edge = re.search(r"<title>access&#45;&gt;wellbeing</title>(.*?)</g>", svg.read_text(), re.S)
    words = " ".join(unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", edge.group(1)))
    contributions = store.read("contributions")
    row = (
        contributions[
            (contributions["contribution"] == "swemwbs_by_mentor")
            & (contributions["model"] == "regression")
            & (contributions["measure"] == "mean_difference")
        ]
        .sort_values("wave")
        .iloc[-1]
    )  # the latest wave's
    assert f"{row['estimate']:+.1f}" in words and "Had a mentor at ages 6–18" in words
    assert "Had a mentor at ages 6–18" in html  # the alt text says it too


def test_french_labels_and_typography(store, tmp_path):
    html, svg = draw(store, "fr", tmp_path)
    text = unescape(svg.read_text())
    assert "Extrants" in text and "Les jeunes ont des mentors" in text
    assert "IC à 95\u00a0%" in text and "\u00a0%" in text
    assert "Théorie du changement" in html


def test_two_builds_are_byte_identical_without_version_or_date(store, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    draw(store, "en", tmp_path / "a")
    draw(store, "en", tmp_path / "b")
    for suffix in (".svg", ".pdf"):
        first, second = ((tmp_path / d / f"theory-of-change-en{suffix}").read_bytes() for d in "ab")
        assert first == second, suffix
    svg = (tmp_path / "a" / "theory-of-change-en.svg").read_bytes()
    assert b"Generated by graphviz" not in svg and b"<svg" in svg
    pdf = (tmp_path / "a" / "theory-of-change-en.pdf").read_bytes()
    assert b"/CreationDate (D:20231114221320Z)" in pdf  # SOURCE_DATE_EPOCH, not now


def test_the_page_shows_the_svg_as_an_image_not_inline(store, tmp_path):
    html, svg = draw(store, "en", tmp_path)
    assert html.startswith('<figure class="ci-figure"><img src="')
    assert f'/{svg.name}" alt="' in html
    assert "<svg" not in html


def test_without_graphviz_the_message_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(toc_graph.shutil, "which", lambda name: None)
    text = dot_text([Node("a", "A", ["Outputs"], [])], [Edge("a", "a")])
    with pytest.raises(ReportError, match="apt-get install graphviz"):
        render(text, tmp_path, "x")


def test_the_outcome_table_offers_its_public_table_as_csv(store, tmp_path):
    page = Page(store.root, "en", load_translations(DEFAULT_BOOK / "i18n"), tmp_path / "fig")
    html = chapters.outcome_indicators_table(page)
    assert '<a href="_static/tables/indicators.csv" download type="text/csv">' in html
    assert (tmp_path / "tables" / "indicators.csv").read_bytes() == (
        store.root / "tables" / "indicators.csv"
    ).read_bytes()
