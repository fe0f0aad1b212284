"""The labels table (ci_eval.analysis.labels): the report's words for every id, never an id."""

from __future__ import annotations

from ci_eval.analysis.labels import label_table
from ci_eval.codebook import Codebook
from ci_eval.toc.schema import ToCModel
from toc_fixtures import indicator, model_data


def codebook() -> Codebook:
    variables = [
        {
            "name": "age_band",
            "type": "categorical",
            "label": {
                "en": "Age band (derived; missing outside 18-30)",
                "fr": "Groupe d'âge (dérivé)",
            },
            "short_label": {"en": "Age band", "fr": "Groupe d'âge"},
            "by_label": {"en": "by age band", "fr": "selon le groupe d'âge"},
            "value_labels": {1: {"en": "18-21", "fr": "18-21"}},
        },
        {
            "name": "gender",
            "type": "categorical",
            "label": {"en": "Gender", "fr": "Genre"},
            "value_labels": {1: {"en": "Woman", "fr": "Femme"}},
        },
        {
            "name": "mentored",
            "type": "categorical",
            "label": {"en": "Had a mentor", "fr": "A eu un mentor"},
            "value_labels": {1: {"en": "Yes", "fr": "Oui"}},
        },
        {
            "name": "rq_cared",
            "type": "categorical",
            "label": {"en": "My mentor cared", "fr": "Mon mentor se souciait de moi"},
            "value_labels": {1: {"en": "Yes", "fr": "Oui"}},
        },
    ]
    return Codebook.from_dict({"survey": "youth", "variables": variables})


def labels(**extra) -> dict[tuple[str, str, str], tuple[str, str]]:
    model = ToCModel.model_validate(
        model_data(
            indicator(
                "had_mentor",
                {"method": "threshold", "values": [1]},
                ["mentored"],
                short_label={"en": "Had a mentor", "fr": "A eu un mentor"},
                label={
                    "en": "Had a mentor (any kind, ages 6-18)",
                    "fr": "A eu un mentor (tout type)",
                },
                disaggregate_by=["age_band", "gender"],
            ),
            indicator(
                "quality",
                {"method": "threshold", "values": [1]},
                ["rq_cared"],
                universe="had_mentor == 1",
                **extra,
            ),
        )
    )
    populations = {"youth": {"en": "all young adults", "fr": "l'ensemble des jeunes adultes"}}
    table = label_table(model, {"youth": codebook()}, populations=populations)
    return {(r.kind, r.id, r.parent): (r.en, r.fr) for r in table.itertuples()}


def test_the_short_label_is_shown_in_place_of_the_label():
    known = labels()
    assert known[("variable", "age_band", "youth")] == ("Age band", "Groupe d'âge")
    assert known[("indicator", "had_mentor", "o1")] == ("Had a mentor", "A eu un mentor")
    assert known[("variable", "gender", "youth")] == ("Gender", "Genre")  # no short label


def test_domains_are_introduced_in_words_and_only_domains():
    known = labels()
    assert known[("by", "age_band", "youth")] == ("by age band", "selon le groupe d'âge")
    # without a by_label: "by" and the label, French with the article it cannot guess
    # (typeset with its no-break spaces on the page)
    assert known[("by", "gender", "youth")] == ("by gender", "selon la caractéristique « Genre »")
    assert ("by", "rq_cared", "youth") not in known  # an item, never shown "by"


def test_universes_are_words_per_survey_never_the_expression():
    known = labels()
    assert known[("universe", "all", "youth")] == (
        "all young adults",
        "l'ensemble des jeunes adultes",
    )
    en, fr = known[("universe", "had_mentor_eq_1", "youth")]
    assert "==" not in en + fr and "had_mentor" not in en + fr
    assert en == "those counted in \u201cHad a mentor\u201d"
    given = {"en": "young adults who had a mentor", "fr": "les jeunes adultes qui ont eu un mentor"}
    assert labels(universe_label=given)[("universe", "had_mentor_eq_1", "youth")] == (
        given["en"],
        given["fr"],
    )


def test_an_external_source_is_in_each_language_or_one_name_for_both():
    source = {"en": "National survey 2020", "fr": "Enquête nationale 2020"}
    known = labels(
        baseline={"value": 0.5, "wave": "2021", "source": source},
        target={"value": 0.6, "source": "MENTOR Canada"},
    )
    assert known[("source", "quality", "baseline")] == (source["en"], source["fr"])
    assert known[("source", "quality", "target")] == ("MENTOR Canada", "MENTOR Canada")
    assert ("source", "had_mentor", "baseline") not in known
