"""The data explorer's extract (fast, on the synthetic store): only published cells, in the
book's words and number formats, the same bytes from two builds, public tables only.

Its page in a real browser is tested in tests/test_report_explorer_browser.py."""

from __future__ import annotations

import importlib
import json

import pytest

from ci_eval.errors import ReportError
from ci_eval.report.build import DEFAULT_BOOK
from ci_eval.report.page import Page, load_translations
from ci_eval.results import ResultsStore
from report_synthetic import LEAK, write_synthetic_store

PREFIX = "window.ciEvalExplorer = "
# the module (``ci_eval.report.chapters.explorer`` is also the name of its block function)
module = importlib.import_module("ci_eval.report.chapters.explorer")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    write_synthetic_store(root)
    return root


def page(store, lang, folder):
    return Page(store, lang, load_translations(DEFAULT_BOOK / "i18n"), folder / "figures")


def extract(store, lang, folder) -> tuple[str, dict, str]:
    """The block's HTML, the data file's text and its data, in ``lang``."""
    html = module.explorer(page(store, lang, folder))
    text = (folder / "explorer" / f"explorer-{lang}.js").read_text(encoding="utf-8")
    assert text.startswith(PREFIX) and text.endswith(";\n")
    return html, json.loads(text[len(PREFIX) : -2]), text


def test_the_extract_holds_every_cell_and_withholds_suppressed_values(store, tmp_path):
    html, data, text = extract(store, "en", tmp_path)
    assert 'data-explorer="_static/explorer/explorer-en.js"' in html
    table = ResultsStore(store).read("indicators")
    cells = [c for i in data["indicators"].values() for c in i["cells"]]
    assert len(cells) == len(table)
    for row in table.to_dict("records"):
        cell = next(
            c
            for c in data["indicators"][row["indicator"]]["cells"]
            if c[:3] == [row["wave"], row["domain"], row["domain_value"]]
        )
        if row["symbol"] in ("x", "F"):
            assert cell[3:6] == [None, None, None] and cell[7] == cell[9] == row["symbol"]
            assert cell[8].endswith(f">{row['symbol']}</abbr>") and cell[10] == ""
        else:
            scale = 100 if data["indicators"][row["indicator"]]["unit"] == "percent" else 1
            assert cell[3] == pytest.approx(row["estimate"] * scale, abs=1e-4)
    gaps = ResultsStore(store).read("equity_gaps")
    shipped = [c for i in data["indicators"].values() for g in i["gaps"] for c in g["cells"]]
    assert len(shipped) == len(gaps) and any(c[3] is None for c in shipped)
    for cell in shipped:
        if cell[6] == "x":  # a withheld gap: no difference, no estimate, "not published"
            assert cell[3:6] == [None] * 3 and cell[7] == "not published"
            assert cell[10] == cell[12] == cell[13] == cell[14] == ""
    # the synthetic store plants LEAK in suppressed rows: no rendering of it is shipped
    for form in (str(LEAK), f"{100 * LEAK:.1f}", f"{100 * LEAK:.4f}", f"{LEAK:.3f}"):
        assert form not in text


def test_the_extract_speaks_the_page_language_with_the_book_formats(store, tmp_path):
    _, en, _ = extract(store, "en", tmp_path / "en")
    _, fr, _ = extract(store, "fr", tmp_path / "fr")
    assert fr["words"]["survey"] == "Sondage" and en["words"]["survey"] == "Survey"
    first_en = en["indicators"]["mentored_6_18"]
    first_fr = fr["indicators"]["mentored_6_18"]
    assert first_fr["label"] == "A eu un mentor entre 6 et 18 ans"
    shown = next(c for c in first_fr["cells"] if c[6] == "")
    # 55,8 % in French (no-break space before %), 55.8% in English
    assert shown[7] == shown[7].replace(".", ",") and "\u00a0%" in shown[7]
    assert first_en["cells"][first_fr["cells"].index(shown)][7].endswith("%")
    assert "\u00a0%" not in first_en["cells"][first_fr["cells"].index(shown)][7]
    assert first_fr["notes"][0].startswith("Population\u00a0: ")
    # outcomes grouped as the scorecard groups them; no identifier in any label
    labels = [g["label"] for s in fr["surveys"] for g in s["outcomes"]]
    assert labels and all("_" not in label for label in labels)


def test_two_builds_write_the_same_bytes_with_sorted_keys(store, tmp_path):
    _, data, first = extract(store, "fr", tmp_path / "a")
    _, _, second = extract(store, "fr", tmp_path / "b")
    assert first == second
    assert "</" not in first  # "</abbr>" is written "<\\/abbr>": it never ends a script
    assert first[len(PREFIX) : -2].replace("<\\/", "</") == json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


def test_only_public_tables_are_embedded(store, tmp_path, monkeypatch):
    monkeypatch.setattr(module, "TABLES", ("indicators", "programs/P0001"))
    with pytest.raises(ReportError, match="never on the site"):
        module.explorer(page(store, "en", tmp_path))
