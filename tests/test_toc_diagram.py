"""Theory-of-change diagrams: exact Mermaid and DOT text for a small model."""

from __future__ import annotations

import pytest
from rich.console import Console

from ci_eval.toc.diagram import dot, mermaid, render, tree
from ci_eval.toc.schema import ToCModel

MODEL = ToCModel.model_validate(
    {
        "name": {"en": "Model", "fr": "Modèle"},
        "outcomes": [
            {
                "id": "a",
                "label": {"en": 'Say "hi"', "fr": "Accès"},
                "level": "activity",
                "leads_to": ["b"],
            },
            {"id": "b", "label": {"en": "Belonging", "fr": "Appartenance"}, "level": "impact"},
        ],
        "indicators": [
            {
                "id": "x",
                "outcome": "b",
                "label": {"en": "X score", "fr": "Score X"},
                "survey": "y",
                "items": ["q"],
                "scoring": {"method": "value"},
            },
        ],
    }
)


def test_mermaid_text():
    assert mermaid(MODEL, indicators=True) == "\n".join(
        [
            "flowchart LR",
            '  subgraph activity["Activities"]',
            '    a["Say #quot;hi#quot;"]',
            "  end",
            '  subgraph impact["Impact"]',
            '    b["Belonging"]',
            "  end",
            "  a --> b",
            '  ind_x(["X score"]) -.- b',
        ]
    )


def test_dot_text_in_french():
    assert dot(MODEL, language="fr") == "\n".join(
        [
            "digraph theory_of_change {",
            "  rankdir=LR;",
            "  node [shape=box];",
            "  subgraph cluster_activity {",
            '    label="Activités";',
            '    a [label="Accès"];',
            "  }",
            "  subgraph cluster_impact {",
            '    label="Impact";',
            '    b [label="Appartenance"];',
            "  }",
            "  a -> b;",
            "}",
        ]
    )


def test_render_rejects_unknown_formats_and_tree_lists_everything():
    assert render(MODEL, "dot") == dot(MODEL)
    with pytest.raises(ValueError, match="unknown diagram format 'svg'"):
        render(MODEL, "svg")
    console = Console(width=120, record=True)
    console.print(tree(MODEL))
    text = console.export_text()
    assert "Activities" in text and 'Say "hi" (a) -> Belonging' in text and "x: y, value" in text
