"""The ``labels`` table: every label the report shows, in English and French.

Kinds: ``outcome``, ``indicator`` and ``contribution`` (from the model; a contribution's
``parent`` is its outcome indicator), ``variable`` and ``level`` (from the
codebooks; a level's ``parent`` is its variable and its ``id`` the code as text; the groups a
contribution compares are levels whose ``parent`` is the contribution's id), ``survey``
(from the study), ``wave`` (the wave itself) and ``universe`` (who an indicator is about).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ci_eval.analysis.codes import code_sort_key, code_text
from ci_eval.analysis.contribution.tables import contribution_id
from ci_eval.analysis.indicators import universe_id
from ci_eval.codebook import Codebook
from ci_eval.results.contract import columns
from ci_eval.toc.schema import Contribution, ToCModel

COLUMNS = columns("labels")
KINDS = (
    "survey",
    "wave",
    "outcome",
    "indicator",
    "universe",
    "contribution",
    "variable",
    "level",
)


def _text(label: Mapping[str, str] | object, language: str) -> str:
    if isinstance(label, Mapping):
        return str(label.get(language) or label.get("en") or "")
    value = getattr(label, language, None) or getattr(label, "en", "")
    return str(value or "")


def label_table(
    model: ToCModel,
    codebooks: Mapping[str, Codebook],
    surveys: Mapping[str, Mapping[str, str]] | None = None,
    waves: Sequence[str] = (),
) -> pd.DataFrame:
    """The labels of a study: model, codebooks, survey names and waves; sorted by kind and id.

    Examples
    --------
    >>> from ci_eval.toc.schema import Contribution, ToCModel
    >>> model = ToCModel.model_validate({"name": {"en": "M"}, "outcomes": [
    ...     {"id": "o", "level": "impact", "label": {"en": "Thrive", "fr": "S'épanouir"}}],
    ...     "indicators": []})
    >>> label_table(model, {}, waves=["2024"]).values.tolist()
    [['wave', '2024', '', '2024', '2024'], ['outcome', 'o', '', 'Thrive', "S'épanouir"]]
    """
    rows = [
        *_study_rows(surveys or {}, waves),
        *_model_rows(model, codebooks),
        *_codebook_rows(codebooks),
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.drop_duplicates(["kind", "id", "parent"], keep="first").reset_index(drop=True)


def _row(kind: str, id: str, parent: str, label: Mapping[str, str] | object) -> dict[str, str]:
    return {
        "kind": kind,
        "id": id,
        "parent": parent,
        "en": _text(label, "en"),
        "fr": _text(label, "fr"),
    }


def _study_rows(
    surveys: Mapping[str, Mapping[str, str]], waves: Sequence[str]
) -> list[dict[str, str]]:
    """Survey names (from the study) and waves (labelled by themselves)."""
    rows = [_row("survey", name, "", label) for name, label in sorted(surveys.items())]
    return rows + [_row("wave", str(w), "", {"en": str(w), "fr": str(w)}) for w in sorted(waves)]


def _model_rows(model: ToCModel, codebooks: Mapping[str, Codebook]) -> list[dict[str, str]]:
    """Outcomes, indicators, universes and contributions of the theory-of-change model."""
    rows = [_row("outcome", o.id, "", o.label) for o in model.outcomes]
    universes: dict[str, dict[str, str]] = {
        "all": {"en": "All respondents", "fr": "Tous les répondants"}
    }
    labels = {i.id: i.label for i in model.indicators}
    for indicator in model.indicators:
        rows.append(_row("indicator", indicator.id, indicator.outcome or "", indicator.label))
        if indicator.universe:
            universes[universe_id(indicator)] = _universe_label(indicator.universe, labels)
    if len(model.indicators):
        rows += [_row("universe", uid, "", text) for uid, text in sorted(universes.items())]
    for spec in model.contributions:
        label = _contribution_label(spec, labels, codebooks)
        rows.append(_row("contribution", contribution_id(spec), spec.indicator, label))
        for code in sorted(spec.levels, key=code_sort_key):
            rows.append(_row("level", code_text(code), contribution_id(spec), spec.levels[code]))
    return rows


def _codebook_rows(codebooks: Mapping[str, Codebook]) -> list[dict[str, str]]:
    """Variables of every codebook and their levels (codes as text, in code order)."""
    rows = []
    for survey in sorted(codebooks):
        for var in codebooks[survey].variables.values():
            rows.append(_row("variable", var.name, survey, var.label))
            by_text = {code_text(c): v for c, v in var.value_labels.items()}
            for code in sorted(by_text, key=code_sort_key):
                rows.append(_row("level", code, var.name, by_text[code]))
    return rows


def _contribution_label(
    spec: Contribution, labels: Mapping[str, object], codebooks: Mapping[str, Codebook]
) -> dict[str, str]:
    """The spec's own label, or "<exposure> -> <outcome>" from the indicator/variable labels."""
    if spec.label is not None:
        return {"en": _text(spec.label, "en"), "fr": _text(spec.label, "fr")}
    exposure: object = labels.get(spec.exposure)
    if exposure is None:
        for codebook in codebooks.values():
            if spec.exposure in codebook.variables:
                exposure = codebook.variables[spec.exposure].label
                break
    exposure = exposure or {"en": spec.exposure, "fr": spec.exposure}
    outcome = labels.get(spec.indicator, {"en": spec.indicator, "fr": spec.indicator})
    return {
        language: f"{_text(exposure, language)} → {_text(outcome, language)}"
        for language in ("en", "fr")
    }


def _universe_label(expression: str, labels: Mapping[str, object]) -> dict[str, str]:
    text = expression.strip()
    name, _, value = text.partition("==")
    name = name.strip()
    if name in labels and value.strip() in ("1", "1.0", "True"):
        return {
            "en": f"Among those who: {_text(labels[name], 'en')}",
            "fr": f"Parmi ceux qui : {_text(labels[name], 'fr')}",
        }
    return {"en": f"Respondents with {text}", "fr": f"Répondants avec {text}"}


def crossed_margin_labels(margins: pd.DataFrame, codebooks: Mapping[str, Codebook]) -> pd.DataFrame:
    """``level`` labels of crossed weighting margins (``"1:2"`` of ``age_band x gender_plus``).

    Each part is labelled from the codebook of the margin's survey, joined with " / ". The
    label's ``id`` joins the codes with ``":"`` and its ``parent`` the variables with ``" x "``
    (the labels table is keyed by text); ``margins`` is the ``weighting_margins`` table.

    >>> cb = Codebook.from_dict({"survey": "s", "variables": [
    ...     {"name": "a", "type": "categorical",
    ...      "value_labels": {1: {"en": "Young", "fr": "Jeune"}}},
    ...     {"name": "b", "type": "categorical",
    ...      "value_labels": {2: {"en": "Men+", "fr": "Hommes+"}}}]})
    >>> m = pd.DataFrame({"survey": ["s"], "variables": [["a", "b"]], "levels": [["1", "2"]]})
    >>> crossed_margin_labels(m, {"s": cb}).values.tolist()
    [['level', '1:2', 'a x b', 'Young / Men+', 'Jeune / Hommes+']]
    """
    rows = []
    seen = set()
    for survey, variables, codes in margins[["survey", "variables", "levels"]].values:
        key = (survey, tuple(variables), tuple(codes))
        if len(variables) < 2 or key in seen:
            continue
        seen.add(key)
        codebook = codebooks.get(survey)
        text = {"en": [], "fr": []}
        for variable, code in zip(variables, codes, strict=False):
            var = codebook.variables.get(variable) if codebook is not None else None
            labels = {code_text(c): v for c, v in (var.value_labels if var else {}).items()}
            for language in text:
                text[language].append(_text(labels[code], language) if code in labels else code)
        rows.append(
            {
                "kind": "level",
                "id": ":".join(codes),
                "parent": " x ".join(variables),
                "en": " / ".join(text["en"]),
                "fr": " / ".join(text["fr"]),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
