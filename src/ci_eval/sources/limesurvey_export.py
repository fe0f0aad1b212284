"""A codebook as a LimeSurvey survey: the ``.lss`` file every program or partner imports.

The instrument is the codebook's *asked* variables, those with a ``question``: the question
code is LimeSurvey's, ``C2`` a question of its own, ``C3_1`` the item ``1`` of the array
``C3`` (LimeSurvey's response column ``C3[1]``, which ci_eval reads as ``C3_1``). Variables
without a question (ids from the sample frame, weights, derived variables) are not asked and
are left out. The mapping:

- a categorical variable is a single-choice list (``L``; a drop-down, ``!``, from
  :data:`DROPDOWN_FROM` answers on) whose answer options are its value labels, "don't know"
  and "prefer not to say" included; a missing code without a label is not offered (a
  respondent who skips the question leaves it empty, which ci_eval reads as missing);
- variables sharing a question code are the rows of one array: categorical rows an array of
  choices (``F``: agreement scales, the partner roster), which has one set of answers for all
  its rows; numeric rows multiple numbers (``K``), text rows multiple short texts (``Q``);
- numeric is ``N``, text ``S`` (short free text), datetime ``D``.

What LimeSurvey cannot hold is refused with a :class:`~ci_eval.errors.CodebookError`
naming the variable: a code that is not letters and digits (at most five), a question code
LimeSurvey would rename or that would share a column with a field LimeSurvey records, value
labels on a number or a text, array rows of different types or answers, a label missing in
a language or whose spaces HTML would not keep.

:func:`instrument_codebook` is the codebook that pulling the imported survey gives back
(:func:`~ci_eval.sources.limesurvey_structure.codebook_from_structure`): LimeSurvey's
response columns as names, every label, type and value label of the asked variables, and
the fields LimeSurvey records itself. What the survey does not carry stays in the study's
codebook: the study's variable names (linked by ``question``), missing codes, measure,
short and "by" labels, wave mappings.

>>> from ci_eval.codebook import Codebook, Variable
>>> yes_no = {1: {"en": "Yes", "fr": "Oui"}, 2: {"en": "No", "fr": "Non"}}
>>> tie = Variable(name="tie_a", label={"en": "Worked with A", "fr": "A travaillé avec A"},
...                type="categorical", value_labels=yes_no, question="R_A")
>>> cb = Codebook("s", [tie])
>>> lss = lss_document(cb, languages=["en", "fr"], title={"en": "S", "fr": "S"})
>>> lss.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
True
>>> [v.name for v in instrument_codebook(cb, ["en", "fr"]).variables.values()][-1]
'R_A'
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ci_eval.codebook import Code, Codebook, Variable
from ci_eval.errors import CodebookError
from ci_eval.sources.limesurvey_structure import (
    RESPONSE_FIELDS,
    answer_code,
    plain_text,
    response_column,
    response_field_variables,
)

__all__ = [
    "ARRAY_STEM",
    "DB_VERSION",
    "DROPDOWN_FROM",
    "RECORDED_FIELDS",
    "Question",
    "instrument_codebook",
    "instrument_questions",
    "lss_document",
]

DB_VERSION = 630
"""LimeSurvey 6's database version (6.14: 630), written in the file."""

DROPDOWN_FROM = 11
"""A single-choice question with this many answers or more is a drop-down list."""

RECORDED_FIELDS = (
    "id",
    "submitdate",
    "lastpage",
    "startlanguage",
    "seed",
    "startdate",
    "datestamp",
)
"""The fields the exported survey records before the answers (date stamps on, no IP
address, referrer or access code), in LimeSurvey's export order."""

ARRAY_STEM: dict[str, dict[str, str]] = {
    "categorical": {
        "en": "For each line, choose one answer.",
        "fr": "Pour chaque ligne, choisissez une réponse.",
    },
    "numeric": {"en": "Enter a number on each line.", "fr": "Inscrivez un nombre à chaque ligne."},
    "text": {"en": "Answer on each line.", "fr": "Répondez à chaque ligne."},
}
"""The question text of an array of each type; its rows carry the variables' labels."""

_TITLE = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_ITEM = re.compile(r"[A-Za-z0-9]+")
_CODE = re.compile(r"[A-Za-z0-9]{1,5}")
_RESERVED = {"LANG", "SID", "SAVEDID", "TOKEN", "QID", "GID", "SGQ", "self", "that", "this"}
_MAX_TITLE = 20
_KINDS = {
    "categorical": ("L", "listradio"),
    "numeric": ("N", "numerical"),
    "text": ("S", "shortfreetext"),
    "datetime": ("D", "date"),
}
_ARRAYS = {
    "categorical": ("F", "arrays/array"),
    "numeric": ("K", "multiplenumeric"),
    "text": ("Q", "multipleshorttext"),
}


@dataclass
class Question:
    """One LimeSurvey question: its code, type, text, answers and rows (``items``)."""

    title: str
    type: str
    theme: str
    text: dict[str, str]
    answers: dict[Code, dict[str, str]] = field(default_factory=dict)
    items: list[tuple[str, Variable]] = field(default_factory=list)
    variable: Variable | None = None


def _fail(var: Variable, problem: str) -> CodebookError:
    return CodebookError(f"variable {var.name!r}: {problem}")


def _split_question(var: Variable) -> tuple[str, str | None]:
    """``C3_1`` -> ``("C3", "1")``, ``C2`` -> ``("C2", None)``, checked as LimeSurvey does."""
    text = str(var.question)
    title, _, item = text.partition("_")
    rule = (
        "a LimeSurvey question code is a letter then letters or digits (at most 20), with "
        "an optional _<row> of letters or digits for a row of an array (e.g. C3_1)"
    )
    if not _TITLE.fullmatch(title) or len(title) > _MAX_TITLE or (item and "_" in item):
        raise _fail(var, f"question {text!r} cannot be a LimeSurvey code: {rule}")
    if title in _RESERVED:
        raise _fail(var, f"question {text!r}: {title!r} is a word LimeSurvey reserves")
    if not item and title.lower() in RESPONSE_FIELDS:
        raise _fail(var, f"question {text!r} would share its column with LimeSurvey's {title!r}")
    if item and (not _ITEM.fullmatch(item) or len(item) > _MAX_TITLE or item == "time"):
        raise _fail(var, f"question {text!r}: row {item!r} cannot be a LimeSurvey row code")
    return title, item or None


def _check_text(var: Variable, what: str, text: Mapping[str, str], languages: Sequence[str]):
    for lang in languages:
        value = text.get(lang)
        if not value:
            raise _fail(var, f"{what} has no {lang} text; a bilingual survey needs both")
        if plain_text(html.escape(value, quote=False)) != value:
            raise _fail(
                var,
                f"{what} in {lang} ({value!r}) has line breaks, tabs or repeated or outer "
                "spaces, which a LimeSurvey text does not keep; write it on one line",
            )


def _answers(var: Variable, languages: Sequence[str]) -> dict[Code, dict[str, str]]:
    if var.type != "categorical":
        if var.value_labels:
            raise _fail(
                var,
                f"a {var.type} question has no answer options in LimeSurvey, but the "
                "variable has value labels; declare it categorical or drop the labels",
            )
        return {}
    if not var.value_labels:
        raise _fail(var, "a categorical question needs its answers: give it value labels")
    for code, labels in var.value_labels.items():
        if not _CODE.fullmatch(str(code)) or answer_code(str(code)) != code:
            raise _fail(
                var,
                f"code {code!r} cannot be a LimeSurvey answer code (1 to 5 letters or digits; "
                "digits are read back as a number); recode it in the codebook and its waves",
            )
        _check_text(var, f"value label {code!r}", labels, languages)
    return dict(var.value_labels)


def _single(var: Variable, title: str, languages: Sequence[str]) -> Question:
    if var.type not in _KINDS:
        raise _fail(
            var,
            "LimeSurvey's date question (D) answers with a date and time; declare the "
            "variable datetime",
        )
    kind, theme = _KINDS[var.type]
    answers = _answers(var, languages)
    if kind == "L" and len(answers) >= DROPDOWN_FROM:
        kind, theme = "!", "list_dropdown"
    _check_text(var, "the label", var.label, languages)
    return Question(title, kind, theme, dict(var.label), answers, variable=var)


def _add_row(question: Question, item: str, var: Variable, languages: Sequence[str]) -> None:
    first = question.items[0][1] if question.items else None
    if first is not None and var.type != first.type:
        raise _fail(
            var,
            f"it is {var.type} but {first.name!r}, the first row of array {question.title!r}, "
            f"is {first.type}; the rows of an array have one type",
        )
    answers = _answers(var, languages)
    if first is not None and list(answers.items()) != list(question.answers.items()):
        raise _fail(
            var,
            f"its value labels differ from those of {first.name!r}, the first row of array "
            f"{question.title!r}; the rows of an array share one set of answers: give it the "
            "same labels, or a question code of its own",
        )
    if any(item.lower() == code.lower() for code, _ in question.items):
        raise _fail(var, f"row {item!r} of array {question.title!r} is used twice")
    _check_text(var, "the label", var.label, languages)
    question.answers = answers
    question.items.append((item, var))


def instrument_questions(codebook: Codebook, languages: Sequence[str]) -> list[Question]:
    """The LimeSurvey questions of a codebook's asked variables, in codebook order (an array
    where its first row is).

    Raises
    ------
    CodebookError
        Naming the first variable LimeSurvey cannot hold, and why.
    """
    missing = [lang for lang in languages if lang not in ARRAY_STEM["categorical"]]
    if missing:
        raise CodebookError(
            f"no wording for array questions in {', '.join(missing)} (ARRAY_STEM has "
            f"{', '.join(ARRAY_STEM['categorical'])})"
        )
    questions: dict[str, Question] = {}
    for var in codebook.variables.values():
        if var.question is None:
            continue
        title, item = _split_question(var)
        known = questions.get(title.lower())
        if known is not None and known.title != title:
            raise _fail(var, f"question {title!r} differs only in case from {known.title!r}")
        if item is None:
            if known is not None and known.items:
                raise _fail(var, f"question {title!r} is an array (rows {title}_<row>)")
            if known is not None:
                raise _fail(var, f"question {title!r} is already asked by {known.variable.name!r}")
            questions[title.lower()] = _single(var, title, languages)
            continue
        if known is None:
            if var.type not in _ARRAYS:
                raise _fail(var, f"a {var.type} variable cannot be a row of an array")
            kind, theme = _ARRAYS[var.type]
            known = Question(title, kind, theme, ARRAY_STEM[var.type])
            questions[title.lower()] = known
        elif not known.items:
            raise _fail(var, f"question {title!r} is a question of its own, not an array")
        _add_row(known, item, var, languages)
    return list(questions.values())


def instrument_codebook(codebook: Codebook, languages: Sequence[str]) -> Codebook:
    """The codebook a pull of the survey built from :func:`lss_document` gives back.

    >>> cb = Codebook("s", [Variable(name="age", label={"en": "Age", "fr": "Âge"},
    ...                              type="numeric", question="Q2", measure="scale")])
    >>> instrument_codebook(cb, ["en", "fr"]).variables["Q2"]
    Variable(name='Q2', label={'en': 'Age', 'fr': 'Âge'}, ...type='numeric', ...question='Q2', ...)
    """
    variables = response_field_variables(languages, RECORDED_FIELDS)
    for q in instrument_questions(codebook, languages):
        if q.variable is not None:
            var = q.variable
            variables.append(
                Variable(
                    name=str(response_column(var)),
                    label=var.label,
                    type=var.type,
                    value_labels=q.answers,
                    question=q.title,
                )
            )
        for item, var in q.items:
            label = {lang: f"{q.text[lang]} [{var.label[lang]}]" for lang in languages}
            variables.append(
                Variable(
                    name=str(response_column(var)),
                    label=label,
                    type=var.type,
                    value_labels=q.answers,
                    question=f"{q.title}[{item}]",
                )
            )
    return Codebook(codebook.survey, variables)


# ------------------------------------------------------------------ the .lss file
_SURVEY: dict[str, str] = {
    "gsid": "1",
    "admin": "",
    "adminemail": "",
    "anonymized": "N",
    "faxto": "",
    "format": "S",
    "savetimings": "N",
    "template": "fruity_twentythree",
    "language": "",
    "additional_languages": "",
    "datestamp": "Y",
    "usecookie": "N",
    "allowregister": "N",
    "allowsave": "Y",
    "autonumber_start": "0",
    "autoredirect": "N",
    "allowprev": "Y",
    "printanswers": "N",
    "ipaddr": "N",
    "refurl": "N",
    "showsurveypolicynotice": "0",
    "publicstatistics": "N",
    "publicgraphs": "N",
    "listpublic": "N",
    "htmlemail": "Y",
    "sendconfirmation": "N",
    "tokenanswerspersistence": "N",
    "assessments": "N",
    "usecaptcha": "N",
    "usetokens": "N",
    "bounce_email": "",
    "attributedescriptions": "",
    "emailresponseto": "",
    "emailnotificationto": "",
    "tokenlength": "15",
    "showxquestions": "Y",
    "showgroupinfo": "B",
    "shownoanswer": "Y",
    "showqnumcode": "X",
    "bouncetime": "",
    "bounceprocessing": "N",
    "bounceaccounttype": "",
    "bounceaccounthost": "",
    "bounceaccountpass": "",
    "bounceaccountencryption": "",
    "bounceaccountuser": "",
    "showwelcome": "Y",
    "showprogress": "Y",
    "questionindex": "0",
    "navigationdelay": "0",
    "nokeyboard": "N",
    "alloweditaftercompletion": "N",
    "googleanalyticsstyle": "0",
    "googleanalyticsapikey": "",
    "tokenencryptionoptions": '{"enabled":"N","columns":{"firstname":"N","lastname":"N",'
    '"email":"N"}}',
    "ipanonymize": "N",
}
"""The survey settings of the file (those of a LimeSurvey 6.14 export): one page per
question, date stamps on, no access codes, IP addresses or referrers recorded."""
_LANGUAGE_SETTINGS = (
    "surveyls_survey_id",
    "surveyls_language",
    "surveyls_title",
    "surveyls_description",
    "surveyls_welcometext",
    "surveyls_endtext",
    "surveyls_url",
    "surveyls_urldescription",
    "surveyls_dateformat",
    "surveyls_numberformat",
    "surveyls_alias",
)
_DECIMAL_COMMA = {"fr"}


class _Tables:
    """The rows of each table of the file, numbered as LimeSurvey numbers them."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, object]]] = {}

    def add(self, table: str, row: dict[str, object]) -> int:
        rows = self.rows.setdefault(table, [])
        rows.append(row)
        return len(rows)


def survey_id(survey: str) -> int:
    """A six-digit survey id for the file, the same for the same survey name (LimeSurvey
    keeps it on import when it is free, else gives the survey a new one).

    >>> survey_id("partners") == survey_id("partners"), 100000 <= survey_id("youth") < 1000000
    (True, True)
    """
    return 100000 + int(hashlib.sha256(survey.encode("utf-8")).hexdigest()[:8], 16) % 900000


def _question_row(sid: int, qid: int, parent: int, q: Question, title: str, order: int) -> dict:
    return {
        "qid": qid,
        "parent_qid": parent,
        "sid": sid,
        "gid": 1,
        "type": q.type,
        "title": title,
        "preg": "",
        "other": "N",
        "mandatory": "N",
        "question_order": order,
        "scale_id": 0,
        "same_default": 0,
        "relevance": "1",
        "modulename": "",
        "encrypted": "N",
        "question_theme_name": q.theme,
        "same_script": 0,
    }


def _texts(tables: _Tables, qid: int, text: Mapping[str, str], languages: Sequence[str]) -> None:
    for lang in languages:
        row = {
            "id": 0,
            "qid": qid,
            "question": html.escape(text[lang], quote=False),
            "help": "",
            "language": lang,
            "script": "",
        }
        row["id"] = tables.add("question_l10ns", row)


def _fill(tables: _Tables, sid: int, questions: Sequence[Question], languages: Sequence[str]):
    qid = 0
    for order, q in enumerate(questions):
        qid += 1
        parent = qid
        tables.add("questions", _question_row(sid, parent, 0, q, q.title, order))
        _texts(tables, parent, q.text, languages)
        for sort, (code, labels) in enumerate(q.answers.items()):
            aid = tables.add(
                "answers",
                {
                    "aid": 0,
                    "qid": parent,
                    "code": code,
                    "sortorder": sort,
                    "assessment_value": 0,
                    "scale_id": 0,
                },
            )
            tables.rows["answers"][-1]["aid"] = aid
            for lang in languages:
                row = {
                    "id": 0,
                    "aid": aid,
                    "answer": html.escape(labels[lang], quote=False),
                    "language": lang,
                }
                row["id"] = tables.add("answer_l10ns", row)
        for sort, (item, var) in enumerate(q.items):
            qid += 1
            tables.add("subquestions", _question_row(sid, qid, parent, q, item, sort))
            _texts(tables, qid, var.label, languages)


def _survey_tables(
    tables: _Tables,
    sid: int,
    languages: Sequence[str],
    title: Mapping[str, str],
    group: Mapping[str, str],
) -> None:
    tables.add(
        "groups",
        {"gid": 1, "sid": sid, "group_order": 0, "randomization_group": "", "grelevance": ""},
    )
    for lang in languages:
        row = {
            "id": 0,
            "gid": 1,
            "group_name": html.escape(group[lang], quote=False),
            "description": "",
            "language": lang,
        }
        row["id"] = tables.add("group_l10ns", row)
    settings = {
        **_SURVEY,
        "language": languages[0],
        "additional_languages": " ".join(languages[1:]),
    }
    tables.add("surveys", {"sid": sid, **settings})
    for lang in languages:
        row = dict.fromkeys(_LANGUAGE_SETTINGS, "")
        row.update(
            surveyls_survey_id=sid,
            surveyls_language=lang,
            surveyls_dateformat=6,
            surveyls_title=html.escape(title[lang], quote=False),
            surveyls_numberformat=1 if lang in _DECIMAL_COMMA else 0,
        )
        tables.add("surveys_languagesettings", row)


def _cdata(value: object) -> str:
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


_TABLE_ORDER = (
    "answers",
    "answer_l10ns",
    "groups",
    "group_l10ns",
    "questions",
    "subquestions",
    "question_l10ns",
    "surveys",
    "surveys_languagesettings",
)


def _xml(tables: _Tables, languages: Sequence[str]) -> bytes:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<document>",
        " <LimeSurveyDocType>Survey</LimeSurveyDocType>",
        f" <DBVersion>{DB_VERSION}</DBVersion>",
        " <languages>",
        *(f"  <language>{lang}</language>" for lang in languages),
        " </languages>",
    ]
    for name in _TABLE_ORDER:
        rows = tables.rows.get(name)
        if not rows:
            continue  # LimeSurvey leaves out a table without rows
        out += [f" <{name}>", "  <fields>"]
        out += [f"   <fieldname>{f}</fieldname>" for f in rows[0]]
        out += ["  </fields>", "  <rows>"]
        for row in rows:
            out.append("   <row>")
            out += [f"    <{k}>{_cdata(v)}</{k}>" for k, v in row.items()]
            out.append("   </row>")
        out += ["  </rows>", f" </{name}>"]
    out.append("</document>")
    return ("\n".join(out) + "\n").encode("utf-8")


def lss_document(
    codebook: Codebook,
    *,
    languages: Sequence[str],
    title: Mapping[str, str],
    group: Mapping[str, str] | None = None,
) -> bytes:
    """The LimeSurvey survey structure file (``.lss``) of a codebook's asked variables.

    Parameters
    ----------
    codebook : Codebook
        The survey's codebook (see the module docstring for what is asked and how).
    languages : sequence of str
        The survey's languages, the first its base language.
    title : mapping
        The survey's title in each language; ``group`` names its one question group (the
        title by default).

    Returns
    -------
    bytes
        UTF-8 XML as LimeSurvey 6 exports it; the same codebook gives the same bytes.

    Raises
    ------
    CodebookError
        Naming the variable LimeSurvey cannot hold, or a language without a title.
    """
    lacking = [lang for lang in languages if not title.get(lang)]
    if lacking:
        raise CodebookError(f"survey {codebook.survey!r}: no title in {', '.join(lacking)}")
    questions = instrument_questions(codebook, languages)
    sid = survey_id(codebook.survey)
    tables = _Tables()
    _fill(tables, sid, questions, languages)
    _survey_tables(tables, sid, languages, title, group or title)
    return _xml(tables, languages)
