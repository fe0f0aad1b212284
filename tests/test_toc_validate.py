"""Model validation: each kind of mistake is reported, all at once, with its place in the file."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from ci_eval.errors import ModelError
from ci_eval.toc import check_model, load_model
from toc_fixtures import codebook, indicator, model_data


def problems_of(data: dict, with_codebook: bool = True) -> list[str]:
    _, problems = check_model(data, {"youth": codebook()} if with_codebook else None)
    return [f"{p.path}: {p.message}" for p in problems]


def only_problem(data: dict) -> str:
    found = problems_of(data)
    assert len(found) == 1, found
    return found[0]


def test_a_correct_model_has_no_problems():
    data = model_data(
        indicator("s", {"method": "mean", "reverse": ["q2"], "range": [1, 5]}, ["q1", "q2"]),
        indicator("strong", {"method": "derived", "expression": "s >= 4"}),
        indicator(
            "h", {"method": "value"}, ["hours"], universe="y1 == 1", disaggregate_by=["lang"]
        ),
    )
    model, problems = check_model(data, {"youth": codebook()})
    assert problems == []
    assert [i.id for i in model.indicators] == ["s", "strong", "h"]


def test_unknown_item_is_named_with_its_place():
    found = only_problem(model_data(indicator("s", {"method": "mean"}, ["q1", "q_typo"])))
    assert found.startswith("indicators[0] (s).items[1]: unknown item 'q_typo'")


def test_cycle_in_leads_to():
    data = model_data()
    data["outcomes"][1]["leads_to"] = ["o1"]
    assert only_problem(data) == (
        "outcomes[0] (o1).leads_to: cycle in leads_to: o1 -> o2 -> o1; a theory of change "
        "must flow one way, remove one of these links"
    )


def test_leads_to_an_unknown_outcome():
    data = model_data()
    data["outcomes"][0]["leads_to"] = ["o2", "nowhere"]
    assert "outcomes[0] (o1).leads_to[1]: leads to unknown outcome 'nowhere'" in only_problem(data)


def test_outcome_that_nothing_leads_to():
    """Above the model's lowest level, an outcome needs an incoming link or starting_point."""
    data = model_data()
    data["outcomes"].append({"id": "o3", "label": {"en": "Three", "fr": "Trois"},
                             "level": "long_term", "leads_to": ["o2"]})  # fmt: skip
    assert only_problem(data) == (
        "outcomes[2] (o3).id: no outcome leads to 'o3'; add it to the leads_to of the outcomes "
        "that bring it about, or set starting_point: true if change starts there"
    )
    data["outcomes"][2]["starting_point"] = True
    assert problems_of(data) == []
    data["outcomes"][2]["level"] = "output"  # the lowest level starts the chain anyway
    del data["outcomes"][2]["starting_point"]
    assert problems_of(data) == []


def test_the_demo_model_reaches_every_outcome():
    """Every outcome of the demo model but its activities has a cause in the model."""
    model = load_model(Path(__file__).parents[1] / "models" / "mentoring.yaml")
    reached = {t for o in model.outcomes for t in o.leads_to}
    assert {o.id for o in model.outcomes if o.level != "activity"} <= reached


def test_indicator_on_no_outcome():
    missing = indicator("a", {"method": "value"}, ["hours"])
    del missing["outcome"]
    unknown = indicator("b", {"method": "value"}, ["hours"], outcome="o9")
    found = problems_of(model_data(missing, unknown))
    assert found[0].startswith("indicators[0] (a): indicator is on no outcome")
    assert found[1].startswith("indicators[1] (b).outcome: indicator is on no outcome: 'o9'")


def test_missing_french_labels():
    data = model_data(indicator("a", {"method": "value"}, ["hours"]))
    data["name"] = {"en": "Test"}
    data["outcomes"][1]["label"] = {"en": "Two", "fr": " "}
    data["indicators"][0]["label"] = {"en": "A"}
    found = problems_of(data)
    assert [f.split(":")[0] for f in found] == [
        "name",
        "outcomes[1] (o2).label.fr",
        "indicators[0] (a).label",
    ]
    assert all("missing French label" in f for f in found)


def test_short_labels_universes_and_sources_given_per_language_need_their_french():
    given = {
        "short_label": {"en": "A"},
        "universe": "hours > 0",
        "universe_label": {"en": "those who work"},
        "baseline": {"value": 1.0, "source": {"en": "Census"}},
        "target": {"value": 2.0, "source": "Statistics Canada"},  # a name: no French needed
    }
    found = problems_of(model_data(indicator("a", {"method": "value"}, ["hours"], **given)))
    assert [f.split(":")[0] for f in found] == [
        "indicators[0] (a).short_label",
        "indicators[0] (a).universe_label",
        "indicators[0] (a).baseline.source",
    ]


@pytest.mark.parametrize(
    ("scoring", "items", "expected"),
    [
        ({"method": "value"}, ["q1"], "method value needs a numeric item; 'q1' is categorical"),
        ({"method": "value"}, ["q1", "q2"], "needs exactly one item, got 2"),
        ({"method": "threshold", "values": [4, 7]}, ["q1"], "codes [7] are not codes of item"),
        ({"method": "threshold", "values": [1, 8]}, ["q1"], "codes [8] of item 'q1' are missing"),
        ({"method": "threshold"}, ["q1"], "threshold needs either values"),
        ({"method": "threshold", "min": 1}, ["lang"], "threshold min/max needs a numeric"),
        (
            {"method": "mean"},
            ["q1", "colour"],
            "needs numeric or ordinal items; 'colour' is nominal",
        ),
        ({"method": "mean", "reverse": ["q2"]}, ["q1", "q2"], "reverse-coding needs range"),
        ({"method": "mean", "reverse": ["q9"], "range": [1, 5]}, ["q1"], "reverse item 'q9'"),
        (
            {"method": "mean", "range": [1, 4]},
            ["q1", "q2"],
            "has codes [5] outside range [1.0, 4.0]",
        ),
        (
            {"method": "sum", "min_answered": 3},
            ["q1", "q2"],
            "min_answered is 3 but the scale has 2",
        ),
        ({"method": "recode", "map": {1: 0, 6: 1}}, ["q1"], "codes [6] are not codes of item"),
        ({"method": "any_of", "values": [3]}, ["y1", "y2"], "codes [3] are not codes of item"),
        ({"method": "mean"}, ["comment"], "item 'comment' is of type text and cannot be scored"),
        ({"method": "derived", "expression": "nope + 1"}, [], "unknown name 'nope'"),
        ({"method": "derived", "expression": "open('x')"}, [], "uses Call, which is not allowed"),
        ({"method": "derived", "expression": "1 +"}, [], "is not valid"),
        ({"method": "derived", "expression": "1"}, ["q1"], "a derived indicator has no items"),
    ],
)
def test_scoring_rules_that_do_not_fit_the_items(scoring, items, expected):
    found = problems_of(model_data(indicator("x", scoring, items)))
    assert any(expected in f for f in found), found


def test_schema_errors_name_the_field():
    bad = indicator("x", {"method": "median"}, ["q1"])
    bad["colour"] = "red"
    found = problems_of(model_data(bad))
    assert "indicators[0] (x).scoring: unknown scoring method" in found[0]
    assert found[1] == "indicators[0] (x).colour: unknown field; check its spelling"


def test_schema_errors_keep_field_names_that_look_like_scoring_methods():
    bad = indicator("x", {"method": "mean", "min_answered": 0}, ["q1"], baseline={"value": "high"})
    found = problems_of(model_data(bad))
    assert found[0].startswith("indicators[0] (x).scoring.min_answered: Input should be greater")
    assert found[1].startswith("indicators[0] (x).baseline.value: Input should be a valid number")


def test_universe_names_must_be_items_or_indicators():
    found = problems_of(
        model_data(indicator("x", {"method": "value"}, ["hours"], universe="zz == 1"))
    )
    assert found == [
        "indicators[0] (x).universe: unknown name 'zz': not one of the 'youth' items or indicators"
    ]


def test_indicators_depending_on_each_other_in_a_cycle():
    a = indicator("a", {"method": "derived", "expression": "b + 1"})
    b = indicator("b", {"method": "derived", "expression": "a + 1"})
    assert only_problem(model_data(a, b)).startswith(
        "indicators[0] (a): indicators depend on each other in a cycle: a -> b -> a"
    )


def test_duplicate_ids_and_unknown_survey():
    data = model_data(
        indicator("a", {"method": "value"}, ["hours"]),
        indicator("a", {"method": "value"}, ["hours"], survey="alumni"),
    )
    found = problems_of(data)
    assert "indicator id 'a' is used twice" in found[0]
    assert "survey 'alumni' has no codebook in this study" in found[1]


def test_contributions_refer_to_known_names():
    data = model_data(indicator("a", {"method": "value"}, ["hours"]))
    data["contributions"] = [
        {"indicator": "a", "exposure": "y1", "adjust_for": ["lang", "income"]},
        {"indicator": "zz", "exposure": "y1"},
    ]
    found = problems_of(data)
    assert found == [
        "contributions[0].adjust_for[1]: 'income' is neither a 'youth' indicator nor an item",
        "contributions[1].indicator: unknown indicator 'zz'",
    ]


def test_every_problem_is_reported_at_once_with_lines(tmp_path: Path):
    text = textwrap.dedent(
        """\
        name: {en: Test, fr: Essai}
        outcomes:
          - id: o1
            label: {en: One, fr: Un}
            level: output
            leads_to: [o2]
          - id: o2
            label: {en: Two}
            level: impact
            leads_to: [o1]
        indicators:
          - id: s
            outcome: o1
            label: {en: S, fr: S}
            survey: youth
            items: [q1, q_typo]
            scoring: {method: mean}
        """
    )
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_model(path, {"youth": codebook()})
    message = str(info.value)
    assert message.startswith(f"{path}: the theory-of-change model has 3 problems:")
    assert "line 8, outcomes[1] (o2).label: missing French label" in message
    assert "line 6, outcomes[0] (o1).leads_to: cycle in leads_to: o1 -> o2 -> o1" in message
    assert "line 16, indicators[0] (s).items[1]: unknown item 'q_typo'" in message
    lines = [int(m) for m in re.findall(r"^- line (\d+),", message, flags=re.MULTILINE)]
    assert lines == [6, 8, 16]  # in file order


def test_missing_model_file_and_bad_yaml(tmp_path: Path):
    with pytest.raises(ModelError, match="model file not found"):
        load_model(tmp_path / "none.yaml")
    (tmp_path / "bad.yaml").write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(ModelError, match="not valid YAML"):
        load_model(tmp_path / "bad.yaml")


def test_without_codebooks_only_the_structure_is_checked():
    data = model_data(indicator("x", {"method": "mean"}, ["anything"], universe="whatever == 1"))
    assert problems_of(data, with_codebook=False) == []
