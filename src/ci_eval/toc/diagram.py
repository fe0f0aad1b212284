"""Draw the theory of change: Mermaid or Graphviz (DOT) text, and a rich tree for the terminal.

Outcomes are grouped by level (activities to impact), left to right; ``leads_to``
links are arrows; indicators can be added as rounded nodes attached to their
outcome with dotted lines. The text is deterministic (file order).

>>> from ci_eval.toc.schema import ToCModel
>>> model = ToCModel.model_validate({"name": {"en": "M", "fr": "M"}, "indicators": [],
...     "outcomes": [{"id": "a", "label": {"en": "Access", "fr": "Accès"}, "level": "output",
...                   "leads_to": ["b"]},
...                  {"id": "b", "label": {"en": "Belonging", "fr": "Appartenance"},
...                   "level": "short_term"}]})
>>> print(mermaid(model, language="fr"))
flowchart LR
  subgraph output["Extrants"]
    a["Accès"]
  end
  subgraph short_term["Résultats à court terme"]
    b["Appartenance"]
  end
  a --> b
"""

from __future__ import annotations

from rich.tree import Tree

from ci_eval.toc.schema import LEVELS, Outcome, ToCModel

LEVEL_LABELS = {
    "activity": ("Activities", "Activités"),
    "output": ("Outputs", "Extrants"),
    "short_term": ("Short-term outcomes", "Résultats à court terme"),
    "intermediate": ("Intermediate outcomes", "Résultats intermédiaires"),
    "long_term": ("Long-term outcomes", "Résultats à long terme"),
    "impact": ("Impact", "Impact"),
}
FORMATS = ("mermaid", "dot")


def _text(label: object, language: str) -> str:
    value = getattr(label, language, None) or label.en
    return str(value)


def _level(level: str, language: str) -> str:
    en, fr = LEVEL_LABELS[level]
    return fr if language == "fr" else en


def _by_level(model: ToCModel) -> list[tuple[str, list[Outcome]]]:
    return [
        (level, [o for o in model.outcomes if o.level == level])
        for level in LEVELS
        if any(o.level == level for o in model.outcomes)
    ]


def mermaid(model: ToCModel, *, language: str = "en", indicators: bool = False) -> str:
    """The theory of change as a Mermaid ``flowchart`` (embed in Markdown as a mermaid block)."""

    def quote(text: str) -> str:
        return '"' + text.replace('"', "#quot;") + '"'

    lines = ["flowchart LR"]
    for level, outcomes in _by_level(model):
        lines.append(f"  subgraph {level}[{quote(_level(level, language))}]")
        lines += [f"    {o.id}[{quote(_text(o.label, language))}]" for o in outcomes]
        lines.append("  end")
    lines += [f"  {o.id} --> {target}" for o in model.outcomes for target in o.leads_to]
    if indicators:
        for ind in model.indicators:
            lines.append(f"  ind_{ind.id}([{quote(_text(ind.label, language))}]) -.- {ind.outcome}")
    return "\n".join(lines)


def dot(model: ToCModel, *, language: str = "en", indicators: bool = False) -> str:
    """The theory of change as Graphviz DOT text (``dot -Tsvg``)."""

    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph theory_of_change {", "  rankdir=LR;", "  node [shape=box];"]
    for level, outcomes in _by_level(model):
        lines.append(f"  subgraph cluster_{level} {{")
        lines.append(f"    label={quote(_level(level, language))};")
        lines += [f"    {o.id} [label={quote(_text(o.label, language))}];" for o in outcomes]
        lines.append("  }")
    lines += [f"  {o.id} -> {target};" for o in model.outcomes for target in o.leads_to]
    if indicators:
        for ind in model.indicators:
            label = quote(_text(ind.label, language))
            lines.append(f"  ind_{ind.id} [label={label}, shape=box, style=rounded];")
            lines.append(f"  ind_{ind.id} -> {ind.outcome} [style=dotted, arrowhead=none];")
    lines.append("}")
    return "\n".join(lines)


def render(model: ToCModel, fmt: str, *, language: str = "en", indicators: bool = False) -> str:
    """Diagram text in ``fmt`` (``mermaid`` or ``dot``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown diagram format {fmt!r}; use one of {', '.join(FORMATS)}")
    draw = mermaid if fmt == "mermaid" else dot
    return draw(model, language=language, indicators=indicators)


def tree(model: ToCModel, *, language: str = "en") -> Tree:
    """A rich tree: levels, their outcomes (with what they lead to), and their indicators."""
    labels = {o.id: _text(o.label, language) for o in model.outcomes}
    root = Tree(f"[bold]{_text(model.name, language)}[/bold]")
    for level, outcomes in _by_level(model):
        branch = root.add(f"[bold]{_level(level, language)}[/bold]")
        for outcome in outcomes:
            arrow = f" -> {', '.join(labels.get(t, t) for t in outcome.leads_to)}"
            node = branch.add(
                f"{labels[outcome.id]} [dim]({outcome.id}){arrow if outcome.leads_to else ''}[/dim]"
            )
            for ind in model.indicators:
                if ind.outcome == outcome.id:
                    detail = f"{ind.id}: {ind.survey}, {ind.scoring.method}"
                    node.add(f"{_text(ind.label, language)} [dim]{detail}[/dim]")
    return root
