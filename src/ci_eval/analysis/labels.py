"""The ``labels`` table: every label the report shows, in English and French.

Kinds: ``outcome``, ``indicator`` and ``contribution`` (from the model; a contribution's
``parent`` is its outcome indicator), ``variable`` and ``level`` (from the
codebooks; a level's ``parent`` is its variable and its ``id`` the code as text; the groups a
contribution compares are levels whose ``parent`` is the contribution's id), ``by`` (a
variable as a domain, "by gender"; ``parent``: the survey), ``survey`` (from the study),
``wave`` (the wave itself) and ``universe`` (who an indicator is about, as a noun phrase:
"programs with a waitlist"; ``parent``: the survey, whose ``all`` is its population) and
``source`` (where an indicator's external baseline or target comes from; ``parent``:
``baseline`` or ``target``) and ``peer`` (what the programs of a level are, as a phrase after
"programs": "in Ontario"; from a codebook's ``peer_labels``; ``parent``: the variable).

The labels are the report's: a ``short_label`` of the model or codebook where there is one,
else the ``label``; a variable name never stands in for words.
"""

from __future__ import annotations

import re
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
    "by",
    "source",
    "survey",
    "wave",
    "outcome",
    "indicator",
    "universe",
    "contribution",
    "variable",
    "level",
    "peer",
)


LANGS = ("en", "fr")
Text = Mapping[str, str] | object


def _text(label: Text, language: str) -> str:
    if label is None:
        return ""
    if isinstance(label, Mapping):
        return str(label.get(language) or label.get("en") or "")
    value = getattr(label, language, None) or getattr(label, "en", "")
    return str(value or "")


def _report(short: Text, label: Text) -> dict[str, str]:
    """The short label where it has a language's text, else the label."""
    return {lang: _text(short, lang) or _text(label, lang) for lang in LANGS}


def label_table(
    model: ToCModel,
    codebooks: Mapping[str, Codebook],
    surveys: Mapping[str, Mapping[str, str]] | None = None,
    waves: Sequence[str] = (),
    populations: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """The labels of a study: model, codebooks, survey names and waves; sorted by kind and id.

    ``populations``: each survey's population in words (the ``universe`` ``all``), from the
    study (:attr:`ci_eval.study.SurveyConfig.population_label`).

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
        *_model_rows(model, codebooks, populations or {}),
        *_codebook_rows(codebooks, _domains(model)),
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


def _model_rows(
    model: ToCModel,
    codebooks: Mapping[str, Codebook],
    populations: Mapping[str, Mapping[str, str]],
) -> list[dict[str, str]]:
    """Outcomes, indicators, universes and contributions of the theory-of-change model."""
    rows = [_row("outcome", o.id, "", _report(o.short_label, o.label)) for o in model.outcomes]
    universes: dict[tuple[str, str], dict[str, str]] = {}
    labels = {i.id: _report(i.short_label, i.label) for i in model.indicators}
    for indicator in model.indicators:
        label = labels[indicator.id]
        rows.append(_row("indicator", indicator.id, indicator.outcome or "", label))
        for name in ("baseline", "target"):  # where an external value comes from
            benchmark = getattr(indicator, name)
            if benchmark is not None and benchmark.source:
                rows.append(_row("source", indicator.id, name, _source(benchmark.source)))
        survey = indicator.survey
        if not indicator.universe:
            universes[("all", survey)] = dict(populations.get(survey) or ALL_RESPONDENTS)
        elif indicator.universe_label is not None:
            universes[(universe_id(indicator), survey)] = _report(None, indicator.universe_label)
        else:
            universes.setdefault(
                (universe_id(indicator), survey), _universe_label(indicator.universe, labels)
            )
    rows += [
        _row("universe", uid, survey, text) for (uid, survey), text in sorted(universes.items())
    ]
    for spec in model.contributions:
        label = _contribution_label(spec, labels, codebooks)
        rows.append(_row("contribution", contribution_id(spec), spec.indicator, label))
        for code in sorted(spec.levels, key=code_sort_key):
            rows.append(_row("level", code_text(code), contribution_id(spec), spec.levels[code]))
    return rows


def _domains(model: ToCModel) -> set[str]:
    """The variables the report shows results "by": domains and contribution exposures."""
    names = {v for indicator in model.indicators for v in indicator.disaggregate_by}
    return names | {spec.exposure for spec in model.contributions}


def _codebook_rows(codebooks: Mapping[str, Codebook], domains: set[str]) -> list[dict[str, str]]:
    """Variables of every codebook and their levels (codes as text, in code order); the
    "by ..." phrase of each variable that is a domain or has a ``by_label``; its peer
    phrases (``peer_labels``)."""
    rows = []
    for survey in sorted(codebooks):
        for var in codebooks[survey].variables.values():
            short = _report(var.short_label, var.label)
            rows.append(_row("variable", var.name, survey, short))
            if var.value_labels and (var.name in domains or var.by_label):
                rows.append(_row("by", var.name, survey, _by_phrase(var.by_label, short)))
            by_text = {code_text(c): v for c, v in var.value_labels.items()}
            for code in sorted(by_text, key=code_sort_key):
                rows.append(_row("level", code, var.name, by_text[code]))
            peer_text = {code_text(c): v for c, v in var.peer_labels.items()}
            for code in sorted(peer_text, key=code_sort_key):
                rows.append(_row("peer", code, var.name, peer_text[code]))
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
                var = codebook.variables[spec.exposure]
                exposure = _report(var.short_label, var.label)
                break
    exposure = exposure or {"en": spec.exposure, "fr": spec.exposure}
    outcome = labels.get(spec.indicator, {"en": spec.indicator, "fr": spec.indicator})
    return {
        language: f"{_text(exposure, language)} → {_text(outcome, language)}"
        for language in ("en", "fr")
    }


def _source(source: Text) -> dict[str, str]:
    """A benchmark's source: one text for every language (a name), or per language."""
    return (
        {lang: str(source) for lang in LANGS} if isinstance(source, str) else _report(None, source)
    )


ALL_RESPONDENTS = {"en": "all respondents", "fr": "l'ensemble des répondants"}
"""Who ``all`` is when the study does not say (the report reads "among all respondents")."""

_QUOTES = {"en": ("\u201c", "\u201d"), "fr": ("« ", " »")}


def _lower_first(text: str) -> str:
    """``Gender`` -> ``gender``; an acronym or a name in capitals (``2SLGBTQ+``) stays."""
    first = text.split(" ", 1)[0]
    return text if first.isupper() or len(first) < 2 else text[:1].lower() + text[1:]


def _by_phrase(by_label: Text, short: Mapping[str, str]) -> dict[str, str]:
    """The codebook's ``by_label``, else "by <short label>" / « selon la caractéristique
    « <short label> » » (French needs the article a generated phrase cannot know)."""
    left, right = _QUOTES["fr"]
    fallback = {
        "en": f"by {_lower_first(short['en'])}",
        "fr": f"selon la caractéristique {left}{short['fr']}{right}",
    }
    return {lang: _text(by_label, lang) or fallback[lang] for lang in LANGS}


def _universe_label(expression: str, labels: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """Who an indicator is about when the model has no ``universe_label``: those counted in
    the indicators its expression names ("those counted in “Had a mentor”"), never the
    expression itself."""
    names = [n for n in re.findall(r"[a-z][a-z0-9_]*", expression) if n in labels]
    joiner = {"en": " or ", "fr": " ou "} if " or " in expression else {"en": " and ", "fr": " et "}
    out = {}
    for lang in LANGS:
        left, right = _QUOTES[lang]
        quoted = joiner[lang].join(f"{left}{labels[n][lang]}{right}" for n in dict.fromkeys(names))
        lead = "those counted in " if lang == "en" else "ceux qui sont comptés dans "
        out[lang] = lead + (quoted or ("a subgroup" if lang == "en" else "un sous-groupe"))
    return out


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
