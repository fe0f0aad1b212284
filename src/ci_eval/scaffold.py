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
from pathlib import Path

from ci_eval.errors import StudyError
from ci_eval.results.disclosure import DEFAULT_RULES

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
    if (folder / "ci-eval.toml").exists():
        raise StudyError(
            f"{folder / 'ci-eval.toml'} already exists; init a new folder or edit this one"
        )
    if '"' in name or "\n" in name:
        raise StudyError(f"study name {name!r}: use a name without quotes or line breaks")
    year = year or str(dt.date.today().year)
    files = {
        "ci-eval.toml": STUDY_TOML.format(name=name, year=year, **DEFAULT_RULES.model_dump()),
        "models/model.yaml": MODEL_YAML.format(name=name),
        "surveys/youth/codebook.yaml": CODEBOOK_YAML,
        "README.md": README.format(name=name),
    }
    written = []
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            written.append(path)
    (folder / "surveys" / "youth" / "data").mkdir(parents=True, exist_ok=True)
    (folder / "reports").mkdir(exist_ok=True)
    return written
