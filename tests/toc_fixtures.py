"""Small codebooks and models shared by the theory-of-change tests."""

from __future__ import annotations

from typing import Any

from ci_eval.codebook import Codebook

AGREE = {c: {"en": str(c), "fr": str(c)} for c in (1, 2, 3, 4, 5)}
DK = {8: {"en": "Don't know", "fr": "Ne sais pas"}, 9: {"en": "No answer", "fr": "Sans réponse"}}


def likert(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": {"en": name, "fr": name},
        "type": "categorical",
        "measure": "ordinal",
        "value_labels": {**AGREE, **DK},
        "missing_codes": [8, 9],
    }


def yes_no(name: str) -> dict[str, Any]:
    yes_no_labels = {1: {"en": "Yes", "fr": "Oui"}, 2: {"en": "No", "fr": "Non"}}
    return {
        "name": name,
        "label": {"en": name, "fr": name},
        "type": "categorical",
        "measure": "nominal",
        "missing_codes": [8],
        "value_labels": {**yes_no_labels, 8: DK[8]},
    }


def codebook() -> Codebook:
    """A tiny youth codebook: four Likert items, two yes/no items, a number, text, language."""
    variables = [likert(f"q{i}") for i in (1, 2, 3, 4)] + [yes_no("y1"), yes_no("y2")]
    variables += [
        {"name": "hours", "type": "numeric", "label": {"en": "Hours", "fr": "Heures"}},
        {"name": "comment", "type": "text", "label": {"en": "Comment", "fr": "Commentaire"}},
        {
            "name": "lang",
            "type": "categorical",
            "label": {"en": "Language", "fr": "Langue"},
            "value_labels": {"en": {"en": "English"}, "fr": {"en": "French"}},
        },
        {"name": "rid", "type": "text", "label": {"en": "Id", "fr": "Id"}},
        {
            "name": "colour",
            "type": "categorical",
            "measure": "nominal",
            "label": {"en": "Colour", "fr": "Couleur"},
            "value_labels": {1: {"en": "Red"}, 2: {"en": "Blue"}},
        },
    ]
    return Codebook.from_dict({"survey": "youth", "variables": variables})


def indicator(
    id_: str, scoring: dict[str, Any], items: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": id_,
        "outcome": "o1",
        "label": {"en": id_, "fr": id_},
        "survey": "youth",
        "items": items or [],
        "scoring": scoring,
        **extra,
    }


def model_data(*indicators: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": {"en": "Test", "fr": "Essai"},
        "outcomes": [
            {"id": "o1", "label": {"en": "One", "fr": "Un"}, "level": "output", "leads_to": ["o2"]},
            {"id": "o2", "label": {"en": "Two", "fr": "Deux"}, "level": "impact"},
        ],
        "indicators": list(indicators),
    }
