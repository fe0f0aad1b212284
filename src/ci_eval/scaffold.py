"""``ci-eval init``: scaffold a new study folder for a partnership that starts its own.

Writes ``ci-eval.toml`` (commented, with every section the pipeline reads), a
theory-of-change model template with one outcome and one indicator, a codebook
template per survey, empty ``data/`` folders, and a short README. Existing files are
never overwritten.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "my-study"
>>> sorted(p.relative_to(folder).as_posix() for p in init_study(folder, name="Demo"))[:3]
['README.md', 'ci-eval.toml', 'models/model.yaml']
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from ci_eval.codebook import Codebook, Variable
from ci_eval.errors import StudyError
from ci_eval.results.disclosure import DEFAULT_RULES
from ci_eval.sources.limesurvey_structure import RESPONSE_FIELDS
from ci_eval.sources.settings import LimeSurveySource

STUDY_TOML = """\
# A ci-eval study. Paths are relative to this folder. See `ci-eval --help`.

[study]
name = "{name}"
edition = "{year}"                 # results go to reports/<edition>/
languages = ["en", "fr"]
model = "models/model.yaml"       # the theory of change
seed = {year}

[waves]
baseline = "{year}"
all = ["{year}"]

[surveys.youth]
label = {{ en = "Youth survey", fr = "Sondage auprès des jeunes" }}
codebook = "surveys/youth/codebook.yaml"
unit = "respondent"
id = "respondent_id"
language = "survey_language"

[surveys.youth.sources.{year}]
type = "file"                     # .sav .zsav .por .dta .sas7bdat .xpt .csv .parquet
path = "surveys/youth/data/youth_{year}.sav"
# A LimeSurvey source instead (credentials come from CI_EVAL_LS_USER / CI_EVAL_LS_PASSWORD):
# type = "limesurvey"
# url = "https://survey.example.org/index.php/admin/remotecontrol"
# survey_id = 111111
# credentials = "CI_EVAL_LS"

# [weighting.youth]
# targets = "surveys/youth/population.csv"
# margins = [["age_band", "gender"], ["province"]]
# trim = {{ lower = 0.3, upper = 3.0 }}

[quality.youth]
# eligibility = {{ column = "age", min = 18, max = 30 }}

[disclosure]
min_cell = {min_cell}
cv_caution = {cv_caution}
cv_suppress = {cv_suppress}
min_peers = {min_peers}

# [report]
# headline = ["mentored"]           # indicators on the key-findings page
"""

MODEL_YAML = """\
# Theory of change: outcomes (activity -> output -> short_term -> intermediate ->
# long_term -> impact) and the indicators that measure them. Check it with
# `ci-eval model check .`
name: {{en: "{name}", fr: "{name}"}}

outcomes:
  - id: access
    level: output
    label: {{en: "Young people have mentors", fr: "Les jeunes ont des mentors"}}
    leads_to: [thriving]
  - id: thriving
    level: impact
    label: {{en: "Young people thrive", fr: "Les jeunes s'épanouissent"}}

indicators:
  - id: mentored
    outcome: access
    label: {{en: "Had a mentor", fr: "A eu un mentor"}}
    survey: youth
    items: [had_mentor]
    scoring: {{method: threshold, values: [1]}}
"""

CODEBOOK_YAML = """\
# One entry per column of the survey data. Codes 8 and 9 are read as missing.
survey: youth
variables:
- name: respondent_id
  label: {en: Respondent id, fr: Identifiant du répondant}
  type: text
- name: survey_language
  label: {en: Language of the questionnaire, fr: Langue du questionnaire}
  type: categorical
  value_labels:
    en: {en: English, fr: Anglais}
    fr: {en: French, fr: Français}
- name: had_mentor
  label: {en: Had a mentor, fr: A eu un mentor}
  type: categorical
  value_labels:
    1: {en: "Yes", fr: Oui}
    2: {en: "No", fr: Non}
    8: {en: Don't know, fr: Je ne sais pas}
    9: {en: Prefer not to say, fr: Préfère ne pas répondre}
  missing_codes: [8, 9]
"""

README = """\
# {name}

A study for [ci-eval](https://pypi.org/project/ci-eval/).

1. Put each wave's survey file in `surveys/<survey>/data/` and name it in `ci-eval.toml`.
2. Describe its columns in `surveys/<survey>/codebook.yaml`.
3. Write the theory of change in `models/model.yaml`; check it with `ci-eval model check .`.
4. Run everything: `ci-eval run .` (results in `reports/<edition>/`, the book in
   `reports/<edition>/site/`); check a rerun with `ci-eval verify reports/<edition>`.
"""


def _refuse_existing(folder: Path) -> None:
    if (folder / "ci-eval.toml").exists():
        raise StudyError(
            f"{folder / 'ci-eval.toml'} already exists; init a new folder or edit this one"
        )


def _safe_name(name: str) -> str:
    if '"' in name or "\n" in name:
        raise StudyError(f"study name {name!r}: use a name without quotes or line breaks")
    return name


def _write_new(folder: Path, files: dict[str, str]) -> list[Path]:
    """Write each file that does not exist yet; returns those written."""
    written = []
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def init_study(
    folder: str | Path, *, name: str = "My study", year: str | None = None
) -> list[Path]:
    """Create the files of a new study in ``folder``; returns the files written.

    Raises
    ------
    StudyError
        If ``folder`` already holds a ``ci-eval.toml``.
    """
    folder = Path(folder)
    _refuse_existing(folder)
    name = _safe_name(name)
    year = year or str(dt.date.today().year)
    files = {
        "ci-eval.toml": STUDY_TOML.format(name=name, year=year, **DEFAULT_RULES.model_dump()),
        "models/model.yaml": MODEL_YAML.format(name=name),
        "surveys/youth/codebook.yaml": CODEBOOK_YAML,
        "README.md": README.format(name=name),
    }
    written = _write_new(folder, files)
    (folder / "surveys" / "youth" / "data").mkdir(parents=True, exist_ok=True)
    (folder / "reports").mkdir(exist_ok=True)
    return written


# ------------------------------------------------------------ from a LimeSurvey survey
LIMESURVEY_TOML = """\
# A ci-eval study scaffolded from LimeSurvey survey {survey_id} at {server}.
# Paths are relative to this folder. See `ci-eval --help`.

[study]
name = "{name}"
edition = "{year}"                 # results go to reports/<edition>/
languages = {languages}
model = "models/model.yaml"       # the theory of change (a template over the survey's items)
seed = {year}

[waves]
baseline = "{year}"
all = ["{year}"]

[surveys.{survey}]
codebook = "surveys/{survey}/codebook.yaml"   # from the survey's structure
id = "id"                         # LimeSurvey's response id
language = "startlanguage"        # the language the response was given in

[surveys.{survey}.sources.{year}]
type = "limesurvey"
url = "{url}"
survey_id = {survey_id}
credentials = "{credentials}"       # {credentials}_USER / {credentials}_PASSWORD, never here

[disclosure]
min_cell = {min_cell}
cv_caution = {cv_caution}
cv_suppress = {cv_suppress}
min_peers = {min_peers}
"""


def init_from_limesurvey(
    folder: str | Path,
    url: str,
    survey_id: int,
    *,
    credentials: str = "CI_EVAL_LS",
    survey: str = "youth",
    name: str | None = None,
    year: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[Path]:
    """Scaffold a study whose survey is pulled from LimeSurvey: ``ci-eval.toml`` with the
    source, the codebook from the survey's structure (both languages), and a model
    template with one indicator per closed question; it runs with no hand edits.

    Raises
    ------
    StudyError
        If ``folder`` already holds a study; SourceError if the server refuses.
    """
    from ci_eval.sources.credentials import credentials_from_env
    from ci_eval.sources.limesurvey import LimeSurveyConnection, public_url
    from ci_eval.sources.limesurvey_structure import codebook_from_structure, fetch_structure

    folder = Path(folder)
    _refuse_existing(folder)
    LimeSurveySource(type="limesurvey", url=url, survey_id=survey_id, credentials=credentials)
    with LimeSurveyConnection(url, credentials_from_env(credentials, environ)) as conn:
        props = conn.survey_properties(
            survey_id, ["language", "additional_languages", "surveyls_title"]
        )
        languages = [str(props["language"]), *str(props.get("additional_languages") or "").split()]
        structure = fetch_structure(conn, survey_id, languages)
        first = conn.export(survey_id, completed_only=False, from_id=None, to_id=None)[:1]
        columns = list(first[0]) if first else None
        codebook = codebook_from_structure(structure, survey, columns=columns)
    year = year or str(dt.date.today().year)
    text = LIMESURVEY_TOML.format(
        name=_safe_name(name or f"LimeSurvey survey {survey_id}"),
        year=year,
        languages=json.dumps(languages),
        survey=survey,
        url=url,
        server=public_url(url),
        survey_id=survey_id,
        credentials=credentials,
        **DEFAULT_RULES.model_dump(),
    )
    files = {
        "ci-eval.toml": text,
        f"surveys/{survey}/codebook.yaml": codebook.to_yaml_text(),
        "models/model.yaml": model_template(codebook, survey, languages),
        "README.md": README.format(name=_safe_name(name or f"LimeSurvey survey {survey_id}")),
    }
    written = _write_new(folder, files)
    (folder / "reports").mkdir(exist_ok=True)
    return written


YES_CODES = ("Y", 1, "1")


def _label(var: Variable, languages: list[str], suffix: dict[str, str] | None = None) -> dict:
    text = {
        lang: var.label.get(lang) or var.label.get(languages[0]) or var.name for lang in languages
    }
    if suffix:
        colon = {"fr": "\u00a0: "}
        text = {lang: f"{text[lang]}{colon.get(lang, ': ')}{suffix[lang]}" for lang in languages}
    return text


def _scale_groups(variables: list[Variable]) -> dict[str, list[Variable]]:
    """Array items (``belong_B1`` ... ``belong_B5``) with the same numeric answer codes."""
    groups: dict[str, list[Variable]] = {}
    for var in variables:
        stem = re.fullmatch(r"(.+)_[A-Za-z]*\d+", var.name)
        codes = list(var.value_labels)
        if stem and len(codes) >= 3 and all(isinstance(c, int) for c in codes):
            groups.setdefault(stem.group(1), []).append(var)
    return {stem: items for stem, items in groups.items() if len(items) >= 2}


def model_template(codebook: Codebook, survey: str, languages: list[str]) -> str:
    """A theory-of-change model over a survey's closed questions: each yes/no item as a
    share answering yes, each array of rated items as the mean of its items; one outcome
    to rename, link and complete.

    >>> from ci_eval.codebook import Variable
    >>> cb = Codebook("youth", [Variable(name="hadmentor", type="categorical",
    ...     label={"en": "Had a mentor"}, value_labels={"Y": {"en": "Yes"}, "N": {"en": "No"}})])
    >>> model = yaml.safe_load(model_template(cb, "youth", ["en"]))
    >>> model["indicators"][0]["items"], model["indicators"][0]["scoring"]
    (['hadmentor'], {'method': 'threshold', 'values': ['Y']})
    """
    closed = [
        v
        for v in codebook.variables.values()
        if v.name not in RESPONSE_FIELDS and v.type == "categorical" and v.value_labels
    ]
    groups = _scale_groups(closed)
    in_groups = {v.name for items in groups.values() for v in items}
    indicators = []
    for var in closed:
        yes = next((c for c in YES_CODES if c in var.value_labels), None)
        if var.name in in_groups or yes is None:
            continue
        indicators.append(
            {
                "id": f"{var.name.lower()}_yes",
                "outcome": "measured",
                "label": _label(
                    var,
                    languages,
                    {lang: var.value_labels[yes].get(lang, str(yes)) for lang in languages},
                ),
                "survey": survey,
                "items": [var.name],
                "scoring": {"method": "threshold", "values": [yes]},
            }
        )
    for stem, items in groups.items():
        indicators.append(
            {
                "id": f"{stem.lower()}_mean",
                "outcome": "measured",
                "label": {
                    lang: (items[0].question or stem)
                    if isinstance(items[0].question, str)
                    else stem
                    for lang in languages
                },
                "survey": survey,
                "items": [v.name for v in items],
                "scoring": {"method": "mean", "min_answered": max(1, (len(items) + 1) // 2)},
            }
        )
    if not indicators:
        raise StudyError(
            f"survey {survey!r} has no closed question to measure (yes/no or rated items); "
            "write models/model.yaml by hand"
        )
    model = {
        "name": {lang: f"Theory of change ({survey})" for lang in languages},
        "outcomes": [
            {
                "id": "measured",
                "level": "short_term",
                "label": {"en": "What the survey measures", "fr": "Ce que mesure le sondage"},
            }
        ],
        "indicators": indicators,
    }
    head = (
        "# Theory of change, scaffolded from the survey's closed questions: rename the\n"
        "# outcome, add the others with their `leads_to`, and keep the indicators that\n"
        "# measure them. Check it with `ci-eval model check .`\n"
    )
    return head + yaml.safe_dump(model, sort_keys=False, allow_unicode=True, width=100)
