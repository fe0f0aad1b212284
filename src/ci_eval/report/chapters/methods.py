"""Methods: weighting diagnostics and margins, reliability, quality exclusions, disclosure rules
(``book/methods.md``)."""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np

from ci_eval.report.chapters.common import rows_of
from ci_eval.report.page import Page
from ci_eval.results.disclosure import DEFAULT_RULES
from ci_eval.results.manifest import read_manifest


def _simple_table(
    page: Page,
    name: str,
    columns: list[str],
    caption: str,
    notes: list[str],
    digits: dict[str, int] | None = None,
    latest: bool = False,
) -> str:
    if not page.has(name):
        return ""
    frame = page.table(name, latest=latest)
    columns = [c for c in columns if c in frame.columns]
    digits = digits or {}
    body = []
    for row in rows_of(frame):
        cells = []
        for col in columns:
            value = row[col]
            if col == "survey":
                cells.append(escape(page.label("survey", str(value))))
            elif col == "indicator":
                cells.append(escape(page.label("indicator", str(value))))
            elif col == "language":
                cells.append(escape(_language(page, str(value))))
            elif col == "rule":
                cells.append(escape(_rule(page, str(value), str(row.get("about") or ""))))
            elif col == "variables":
                names = [page.label("variable", str(v)) for v in value]
                cells.append(escape(" \u00d7 ".join(names)))
            elif col == "levels":
                cells.append(escape(_margin_level(page, list(row["variables"]), list(value))))
            elif isinstance(value, (bool, np.bool_)):
                cells.append(escape(page.t("common.answer_yes" if value else "common.answer_no")))
            elif isinstance(value, (int, float, np.integer, np.floating)):
                cells.append(escape(page.number(float(value), digits.get(col, 0))))
            else:
                cells.append(escape(str(value)))
        body.append(cells)
    headers = [page.t(f"methods.columns.{c}") for c in columns]
    return page.html_table(caption, headers, body, notes, source=name)


def _language(page: Page, code: str) -> str:
    """A questionnaire language in words; ``all`` (every language together) too."""
    if code == "all":
        return page.t("methods.all_languages")
    return page.label("level", code, "survey_language")


def _margin_level(page: Page, variables: list[str], codes: list[str]) -> str:
    """A cell of a (crossed) margin in words: each variable's level label, joined by x."""
    if len(codes) != len(variables):  # a numeric margin has no level
        return ""
    return " \u00d7 ".join(page.label("level", c, v) for v, c in zip(variables, codes, strict=True))


def weighting_table(page: Page) -> str:
    """Weighting diagnostics per survey wave (Kish design effect, effective n)."""
    return _simple_table(
        page,
        "weighting",
        [
            "survey",
            "wave",
            "n",
            "sum_weights",
            "kish_deff",
            "effective_n",
            "min",
            "max",
            "iterations",
            "converged",
            "trimmed",
        ],
        page.t("methods.weighting_caption"),
        [page.t("methods.weighting_note")],
        {"kish_deff": 2, "min": 2, "max": 2},
    )


def margins_table(page: Page) -> str:
    """Population margins: target shares, sample before and after weighting."""
    return _simple_table(
        page,
        "weighting_margins",
        ["survey", "wave", "variables", "levels", "target", "before", "after"],
        page.t("methods.margins_caption"),
        [],
        {"target": 0, "before": 0, "after": 0},
        latest=True,
    )


def reliability_table(page: Page) -> str:
    """Cronbach's alpha of every scale, overall and by questionnaire language."""
    return _simple_table(
        page,
        "reliability",
        ["indicator", "wave", "language", "n", "items", "alpha", "ci_low", "ci_high"],
        page.t("methods.reliability_caption"),
        [page.t("methods.reliability_note")],
        {"alpha": 3, "ci_low": 3, "ci_high": 3},
    )


def _rule(page: Page, rule: str, about: str) -> str:
    """A quality rule in words; a scoring warning names its indicator or variable and code."""
    text = page.words.get("rules", {}).get(rule, rule)
    if rule == "zero_division":
        return text.format(about=page.label("indicator", about))
    if rule == "missing_inside_scale":
        variable, _, code = about.partition(" = ")
        return text.format(about=page.label("variable", variable), code=code)
    return text


def quality_table(page: Page) -> str:
    """Responses excluded by each quality rule, in order."""
    return _simple_table(
        page,
        "quality",
        ["survey", "wave", "rule", "flagged", "excluded", "remaining"],
        page.t("methods.quality_caption"),
        [page.t("methods.quality_note"), *_warnings_note(page)],
    )


def _warnings_note(page: Page) -> list[str]:
    frame = page.table("quality")
    warned = "about" in frame and bool((frame["about"].fillna("") != "").any())
    return [page.t("methods.quality_warnings_note")] if warned else []


def disclosure_text(page: Page, manifest: dict[str, Any] | None = None) -> str:
    """The disclosure rules in force for this edition (from the run's manifest by default)."""
    if manifest is None:
        manifest = read_manifest(page.store.root)
    rules = manifest.get("settings", {}).get("disclosure", {})
    values = DEFAULT_RULES.model_dump()
    values.update({k: v for k, v in rules.items() if k in values})
    numbers = {
        "min_cell": page.number(values["min_cell"]),
        "cv_caution": page.number(values["cv_caution"], 1),
        "cv_suppress": page.number(values["cv_suppress"], 1),
        "min_peers": page.number(values["min_peers"]),
        "peer_k": page.number(values["peer_k"]),
        "peer_digits": page.number(values["peer_digits"]),
        "p_percent": page.number(values["p_percent"]),
    }
    paragraphs = [
        page.t(f"methods.{key}", **numbers)
        for key in ("disclosure", "disclosure_tables", "disclosure_peers")
    ]
    body = "".join(f"<p>{escape(text)}</p>" for text in paragraphs)
    return f"{body}<p class='ci-notes'>{escape(page.legend())}</p>"
