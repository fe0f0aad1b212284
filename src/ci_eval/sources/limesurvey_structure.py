"""A LimeSurvey survey's structure, and the codebook built from it.

The structure (groups, questions, subquestions, answer options, in every
survey language) is pulled with ``list_groups``, ``list_questions`` and
``get_question_properties`` and stored as ``structure.json`` in each snapshot;
:func:`codebook_from_structure` turns it into a :class:`~ci_eval.codebook.Codebook`
so that labels and value labels come from the server, not from typing.

Response columns are renamed the way LimeSurvey's expression manager names
them: ``belong[B1]`` becomes ``belong_B1``, ``mentortype[other]`` becomes
``mentortype_other``.

>>> column_name("belong[B1]"), column_name("mentortype[other]"), column_name("age")
('belong_B1', 'mentortype_other', 'age')

A study's codebook links its variables to those columns by their ``question`` code
(:func:`response_column`): ``C3_1`` (or ``C3[1]``) is the column ``C3_1``, the row ``1`` of
the array ``C3``. The exporter names the columns of the survey it writes with it, and the
read step of a LimeSurvey wave finds each variable's column with it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from ci_eval.codebook import Codebook, Variable
from ci_eval.errors import SourceError
from ci_eval.sources.limesurvey import LimeSurveyConnection

__all__ = [
    "RESPONSE_FIELDS",
    "answer_code",
    "codebook_from_structure",
    "column_name",
    "fetch_structure",
    "plain_text",
    "response_column",
    "response_field_variables",
]

SURVEY_PROPERTIES = (
    "sid",
    "active",
    "language",
    "additional_languages",
    "datestamp",
    "anonymized",
    "alloweditaftercompletion",
)
QUESTION_SETTINGS = ["qid", "title", "type", "question", "other", "answeroptions", "subquestions"]

# The fields every response has before the answers (LimeSurvey's "code" headings).
RESPONSE_FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "id": ("numeric", {"en": "Response ID", "fr": "ID de la réponse"}),
    "submitdate": ("datetime", {"en": "Date submitted", "fr": "Date de soumission"}),
    "lastpage": ("numeric", {"en": "Last page", "fr": "Dernière page"}),
    "startlanguage": ("categorical", {"en": "Start language", "fr": "Langue de départ"}),
    "seed": ("text", {"en": "Seed", "fr": "Tête de série"}),
    "startdate": ("datetime", {"en": "Date started", "fr": "Date de lancement"}),
    "datestamp": ("datetime", {"en": "Date last action", "fr": "Date de la dernière action"}),
    "token": ("text", {"en": "Access code", "fr": "Code d'accès"}),
    "ipaddr": ("text", {"en": "IP address", "fr": "Adresse IP"}),
    "refurl": ("text", {"en": "Referrer URL", "fr": "URL de référence"}),
}

# LimeSurvey question types (see its manual, "Question types").
_NUMERIC = {"N", "K"}
_TEXT = {"S", "T", "U", "Q", "*", "X", "|", ";"}
_DATE = {"D"}
_FIXED_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "Y": {"Y": {"en": "Yes", "fr": "Oui"}, "N": {"en": "No", "fr": "Non"}},
    "G": {"F": {"en": "Female", "fr": "Féminin"}, "M": {"en": "Male", "fr": "Masculin"}},
    "C": {
        "Y": {"en": "Yes", "fr": "Oui"},
        "N": {"en": "No", "fr": "Non"},
        "U": {"en": "Uncertain", "fr": "Incertain"},
    },
    "E": {
        "I": {"en": "Increase", "fr": "Augmenter"},
        "S": {"en": "Same", "fr": "Sans changement"},
        "D": {"en": "Decrease", "fr": "Diminuer"},
    },
    "5": {i: {"en": str(i), "fr": str(i)} for i in range(1, 6)},
    "A": {i: {"en": str(i), "fr": str(i)} for i in range(1, 6)},
    "B": {i: {"en": str(i), "fr": str(i)} for i in range(1, 11)},
}
# A multiple-choice box: "Y" ticked, "" shown but not ticked (null: never shown).
_TICKED = {"Y": {"en": "Yes", "fr": "Oui"}, "": {"en": "Not selected", "fr": "Non sélectionné"}}
_MULTIPLE = {"M", "P"}
_LANGUAGE_NAMES = {
    "en": {"en": "English", "fr": "Anglais"},
    "fr": {"en": "French", "fr": "Français"},
}
_OTHER = {"en": "Other", "fr": "Autre"}


def column_name(heading: str) -> str:
    """The response column for a LimeSurvey code heading (``q[sq]`` -> ``q_sq``)."""
    match = re.fullmatch(r"([^\[\]]+)\[([^\[\]]+)\]", heading)
    return f"{match.group(1)}_{match.group(2)}" if match else heading


def response_column(var: Variable) -> str | None:
    """The response column of a variable in a LimeSurvey wave: that of its ``question``
    (None: the variable is not asked). The one rule of the exporter and the reader.

    >>> from ci_eval.codebook import Variable
    >>> [response_column(Variable(name="trust", type="numeric", question=q))
    ...  for q in ("C3_1", "C3[1]", "C2", None)]
    ['C3_1', 'C3_1', 'C2', None]
    """
    return None if var.question is None else column_name(var.question)


def answer_code(code: Any) -> int | str:
    """An answer code as the codebook keeps it: digits become an integer.

    >>> answer_code("5"), answer_code("AB"), answer_code("007")
    (5, 'AB', '007')
    """
    text = str(code)
    return int(text) if text.isdigit() and (text == "0" or not text.startswith("0")) else text


def _status(value: Any) -> str | None:
    return value.get("status") if isinstance(value, dict) and "status" in value else None


def fetch_structure(
    conn: LimeSurveyConnection, survey_id: int, languages: Sequence[str]
) -> dict[str, Any]:
    """Pull the survey's properties, groups, questions and answer options.

    Parameters
    ----------
    conn : LimeSurveyConnection
        An open connection.
    survey_id : int
        The survey.
    languages : sequence of str
        Languages wanted; those the survey does not have raise a SourceError.
    """
    props = conn.survey_properties(survey_id, SURVEY_PROPERTIES)
    survey_langs = [props.get("language") or "en"] + [
        lang for lang in str(props.get("additional_languages") or "").split() if lang
    ]
    missing = [lang for lang in languages if lang not in survey_langs]
    if missing:
        raise SourceError(
            f"survey {survey_id} has no {', '.join(missing)} version (it has "
            f"{', '.join(survey_langs)}); set `languages` on the source in ci-eval.toml"
        )
    structure: dict[str, Any] = {
        "survey_id": survey_id,
        "properties": props,
        "languages": list(languages),
        "titles": {},
        "groups": {},
        "questions": {},
        "question_properties": {},
    }
    for lang in languages:
        title = conn.rpc("read language properties", "get_language_properties",
                         survey_id, ["surveyls_title"], lang)  # fmt: skip
        structure["titles"][lang] = title.get("surveyls_title") if isinstance(title, dict) else None
        groups = conn.rpc("list groups", "list_groups", survey_id, lang)
        structure["groups"][lang] = groups if _status(groups) is None else []
        questions = conn.rpc("list questions", "list_questions", survey_id, None, lang)
        if _status(questions) is not None:
            questions = []
        questions = sorted(questions, key=lambda q: int(q["qid"]))
        structure["questions"][lang] = questions
        details = {}
        for q in questions:
            if int(q.get("parent_qid") or 0) == 0:
                got = conn.rpc("read question properties", "get_question_properties",
                               int(q["qid"]), QUESTION_SETTINGS, lang)  # fmt: skip
                details[str(q["qid"])] = got
        structure["question_properties"][lang] = details
    return structure


def plain_text(text: Any) -> str:
    """A question or answer text (HTML) as a label: tags dropped, entities read, runs of
    ASCII white space made one space. A no-break space (French ``\u00a0:``) is kept.

    >>> plain_text("<p>Avec M001&nbsp;: ouvert   à la discussion</p>")
    'Avec M001\xa0: ouvert à la discussion'
    """
    plain = re.sub(r"<[^>]+>", " ", str(text or ""))
    return re.sub(r"[ \t\n\r\f\v]+", " ", html.unescape(plain)).strip(" ")


def _answer_labels(structure: dict[str, Any], qid: str) -> dict[Any, dict[str, str]]:
    labels: dict[Any, dict[str, str]] = {}
    for lang in structure["languages"]:
        options = structure["question_properties"].get(lang, {}).get(qid, {}).get("answeroptions")
        if not isinstance(options, dict):
            continue
        ordered = sorted(options.items(), key=lambda kv: int(kv[1].get("order", 0) or 0))
        for code, option in ordered:
            labels.setdefault(answer_code(code), {})[lang] = plain_text(option.get("answer"))
    return labels


def response_field_variables(
    languages: Sequence[str], names: Sequence[str] = tuple(RESPONSE_FIELDS)
) -> list[Variable]:
    """The codebook variables of the fields LimeSurvey records before the answers.

    >>> [v.name for v in response_field_variables(["en", "fr"], ["id", "startlanguage"])]
    ['id', 'startlanguage']
    """
    out = []
    for name in names:
        kind, label = RESPONSE_FIELDS[name]
        value_labels = {
            code: {lang: _LANGUAGE_NAMES.get(code, {}).get(lang, code) for lang in languages}
            for code in languages
        }
        out.append(
            Variable(
                name=name,
                label={lang: label.get(lang, label["en"]) for lang in languages},
                type=kind,  # type: ignore[arg-type]
                value_labels=value_labels if name == "startlanguage" else {},
                question=name,
            )
        )
    return out


def codebook_from_structure(
    structure: dict[str, Any], survey: str, columns: Sequence[str] | None = None
) -> Codebook:
    """The codebook of a LimeSurvey survey, labels in every pulled language.

    Parameters
    ----------
    structure : dict
        As returned by :func:`fetch_structure` (or read from ``structure.json``).
    survey : str
        The survey key in the study.
    columns : sequence of str, optional
        The response headings of an export; when given, variables follow their
        order, and a heading the structure does not explain is a text variable.
    """
    langs = structure["languages"]
    by_lang = {lang: {str(q["qid"]): q for q in structure["questions"][lang]} for lang in langs}
    base = by_lang[langs[0]]
    parents = [q for q in base.values() if int(q.get("parent_qid") or 0) == 0]
    parents.sort(key=lambda q: (int(q.get("gid") or 0), int(q.get("question_order") or 0)))
    variables = {v.name: v for v in response_field_variables(langs)}
    for q in parents:
        qid, qtype, title = str(q["qid"]), str(q["type"]), str(q["title"])
        text = {lang: plain_text(by_lang[lang].get(qid, q).get("question")) for lang in langs}
        subs = sorted(
            (s for s in base.values() if str(s.get("parent_qid")) == qid),
            key=lambda s: (int(s.get("scale_id") or 0), int(s.get("question_order") or 0)),
        )
        value_labels = _answer_labels(structure, qid) or _FIXED_LABELS.get(qtype, {})
        kind = _kind(qtype, bool(value_labels))
        if not subs:
            variables[title] = Variable(
                name=title, label=text, type=kind, value_labels=value_labels, question=title
            )
        for s in subs:
            heading = f"{title}[{s['title']}]"
            sub_text = {}
            for lang in langs:
                sub = plain_text(by_lang[lang].get(str(s["qid"]), s).get("question"))
                sub_text[lang] = f"{text[lang]} [{sub}]"
            variables[column_name(heading)] = Variable(
                name=column_name(heading),
                label=sub_text,
                type="categorical" if qtype in _MULTIPLE else kind,
                value_labels=_TICKED if qtype in _MULTIPLE else value_labels,
                question=heading,
            )
        if str(q.get("other", "N")) == "Y":
            heading = f"{title}[other]"
            variables[column_name(heading)] = Variable(
                name=column_name(heading),
                label={lang: f"{text[lang]} [{_OTHER.get(lang, 'Other')}]" for lang in langs},
                type="text",
                question=heading,
            )
    if columns is not None:
        ordered = []
        for heading in columns:
            name = column_name(heading)
            ordered.append(
                variables.get(name) or Variable(name=name, label={}, type="text", question=heading)
            )
        return Codebook(survey, ordered)
    return Codebook(survey, variables.values())


def _kind(qtype: str, labelled: bool) -> str:
    if qtype in _NUMERIC:
        return "numeric"
    if qtype in _DATE:
        return "datetime"
    if qtype in _TEXT:
        return "text"
    return "categorical" if labelled or qtype in _MULTIPLE else "text"
