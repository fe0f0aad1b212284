"""The partnership chapter's blocks (issue 14) on a small store made by the partnership
analysis itself: conditions with CIs and change by kind, sectors, the network by sector
(byte-identical figures, no organisation named), named members only when allowed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ci_eval.analysis.partnership import condition_estimates, condition_trends
from ci_eval.analysis.partnership_network import network_tables
from ci_eval.report import chapters
from ci_eval.report.build import DEFAULT_BOOK
from ci_eval.report.page import Page, load_translations
from ci_eval.results import ResultsStore
from ci_eval.results.disclosure import DisclosureRules
from test_partnership import _roster

WORDS = load_translations(DEFAULT_BOOK / "i18n")
SECTORS = {"1": ("Nonprofit", "Organisme sans but lucratif"), "2": ("Government", "Gouvernement"),
           "3": ("Business", "Entreprise")}  # fmt: skip
CONDITIONS = ["common_agenda", "communication", "champions", "youth_voice"]


def _store(root, names: dict[str, str] | None = None) -> ResultsStore:
    rng = np.random.default_rng(3)
    ids = ["A", "B", "C", "D", "E"] + [f"X{i}" for i in range(25)]
    members = pd.DataFrame({"partner_id": ids, "sector": [1, 1, 2, 2, 3] + [1] * 20 + [2] * 5,
                            "role": [5, 1, 3, 3, 3] + [3] * 25})  # fmt: skip
    frames = {}
    for wave, shift in (("2021", 0.0), ("2024", -0.8)):
        answered = members.iloc[:26].copy()
        for c in CONDITIONS:
            answered[c] = np.clip(3.5 + (shift if c == "communication" else 0.2)
                                  + rng.normal(0, 0.5, len(answered)), 1, 5)  # fmt: skip
        frames[wave] = answered
    estimates = condition_estimates(frames, members, CONDITIONS, DisclosureRules(min_cell=3),
                                    by=["sector"])  # fmt: skip
    rosters = {"2021": _roster(), "2024": _roster().assign(tie_C=[1, 1, np.nan])}
    network, sectors, named = network_tables(
        rosters, members.iloc[:5], "partner_id", "2021", backbone_role=5, names=names
    )
    labels = [("wave", w, "", w, w) for w in ("2021", "2024")]
    labels += [("level", k, "sector", en, fr) for k, (en, fr) in SECTORS.items()]
    labels += [("by", "sector", "partners", "by sector", "selon le secteur")]
    store = ResultsStore(root)
    store.write("labels", pd.DataFrame(labels, columns=["kind", "id", "parent", "en", "fr"]))
    store.write("partnership_conditions", estimates)
    store.write("partnership_trends", condition_trends(estimates, "2021"))
    store.write("partnership_network", network)
    store.write("partnership_sector_ties", sectors)
    store.write("partnership_members", named)
    return store


def _page(store: ResultsStore, lang: str, folder) -> Page:
    return Page(store.root, lang, WORDS, folder)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> ResultsStore:
    return _store(tmp_path_factory.mktemp("partnership"))


def test_conditions_table_groups_by_kind_with_cis_change_and_trend(store, tmp_path):
    html = chapters.partnership_conditions_table(_page(store, "en", tmp_path))
    for text in ("The five conditions", "Pre-conditions", "Equity and youth voice",
                 "Continuous communication", "worsened", "Change since 2021",
                 "_static/tables/partnership_conditions.csv"):  # fmt: skip
        assert text in html, text
    assert "30 in 2021" in html  # the census: 26 of the 30 members answered
    assert "common_agenda" not in html  # human labels, never ids
    french = chapters.partnership_conditions_table(_page(store, "fr", tmp_path))
    assert "Communication continue" in french and "détérioration" in french
    assert "IC à 95\u00a0%" in french


def test_sector_table_hides_small_cells(store, tmp_path):
    html = chapters.partnership_sector_table(_page(store, "en", tmp_path))
    table = store.read("partnership_conditions")
    sector = table[(table["domain"] == "sector") & (table["wave"] == "2024")]
    hidden = set(sector.loc[sector["suppressed"], "domain_value"])
    assert "3" in hidden and "1" not in hidden  # one respondent in sector 3
    assert '<th scope="col">Nonprofit</th>' in html or ">Nonprofit<" in html
    assert "Not published in any condition" in html and "Business." in html
    assert ">Business<" not in html  # no column of x only


def test_network_is_drawn_by_sector_byte_identical_and_names_nobody(store, tmp_path):
    first = chapters.partnership_network_figure(_page(store, "en", tmp_path / "a"))
    second = chapters.partnership_network_figure(_page(store, "en", tmp_path / "b"))
    svg_a = (tmp_path / "a" / "partnership-network-en.svg").read_bytes()
    assert svg_a == (tmp_path / "b" / "partnership-network-en.svg").read_bytes()
    assert first == second and "No organisation is named" in first
    table = chapters.partnership_network_table(_page(store, "fr", tmp_path))
    assert "Densité (part des liens possibles)" in table and "jackknife" in table
    ties = chapters.partnership_sector_ties_table(_page(store, "en", tmp_path))
    assert "Ties within" in ties and "partnership_sector_ties.csv" in ties
    assert chapters.partnership_members_table(_page(store, "en", tmp_path)) == ""


def test_members_are_listed_by_name_only_when_allowed(tmp_path):
    store = _store(tmp_path / "store", names={"A": "Backbone Org"})
    html = chapters.partnership_members_table(_page(store, "en", tmp_path))
    assert "Backbone Org" in html and "most connected" in html


def test_blocks_are_empty_without_partnership_tables(tmp_path):
    store = ResultsStore(tmp_path / "empty")
    store.write("labels", pd.DataFrame(columns=["kind", "id", "parent", "en", "fr"]))
    page = _page(store, "en", tmp_path)
    for block in ("partnership_conditions_figure", "partnership_conditions_table",
                  "partnership_network_figure", "partnership_members_table"):  # fmt: skip
        assert getattr(chapters, block)(page) == ""
