"""Tests of ci_eval.study: loading and validating ``ci-eval.toml``."""

from __future__ import annotations

import pytest

from ci_eval.errors import StudyError
from ci_eval.study import FileSource, LimeSurveySource, load_study

STUDY = """\
[study]
name = "State of Mentoring (demo)"
edition = "2024"
languages = ["en", "fr"]
model = "models/mentoring.yaml"
seed = 2024

[waves]
baseline = "2021"
all = ["2021", "2024"]

[surveys.youth]
label = { en = "National youth mentoring survey", fr = "Sondage national sur le mentorat" }
codebook = "surveys/youth/codebook.yaml"
unit = "respondent"
id = "respondent_id"
language = "survey_language"
[surveys.youth.sources.2021]
type = "file"
path = "surveys/youth/data/youth_2021.sav"
[surveys.youth.sources.2024]
type = "limesurvey"
url = "https://survey.example.org/index.php/admin/remotecontrol"
survey_id = 111111
completed_only = true
credentials = "CI_EVAL_LS"

[weighting.youth]
targets = "surveys/youth/population.csv"
margins = [["age_band", "gender"], ["province"]]
trim = { lower = 0.3, upper = 3.0 }

[quality.youth]
eligibility = { column = "age", min = 18, max = 30 }

[disclosure]
min_cell = 10
cv_caution = 16.5
cv_suppress = 33.3
min_peers = 5

[report]
theme = "plain"
"""


def write(tmp_path, text):
    (tmp_path / "ci-eval.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_loads_the_contract_study(tmp_path):
    study = load_study(write(tmp_path, STUDY))
    assert study.study.name == "State of Mentoring (demo)"
    assert study.study.languages == ["en", "fr"]
    assert study.waves.baseline == "2021"
    youth = study.surveys["youth"]
    assert youth.label["fr"] == "Sondage national sur le mentorat"
    assert youth.id == "respondent_id"
    assert isinstance(youth.sources["2021"], FileSource)
    ls = study.source("youth", "2024")
    assert isinstance(ls, LimeSurveySource)
    assert (ls.survey_id, ls.completed_only, ls.credentials) == (111111, True, "CI_EVAL_LS")
    assert study.weighting["youth"]["trim"] == {"lower": 0.3, "upper": 3.0}
    assert study.quality["youth"]["eligibility"]["max"] == 30
    assert study.disclosure.cv_suppress == 33.3
    assert study.report == {"theme": "plain"}
    assert study.root == tmp_path
    assert study.path("surveys/youth/codebook.yaml") == tmp_path / "surveys/youth/codebook.yaml"


def test_accepts_the_toml_file_itself_and_integer_waves(tmp_path):
    text = STUDY.replace('baseline = "2021"', "baseline = 2021").replace(
        'all = ["2021", "2024"]', "all = [2021, 2024]"
    )
    study = load_study(write(tmp_path, text) / "ci-eval.toml")
    assert study.waves.all == ["2021", "2024"]


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('baseline = "2021"', 'baseline = "2019"', "waves: baseline '2019' is not one of all"),
        ('type = "file"', 'type = "ftp"', "surveys.youth.sources.2021"),
        ("survey_id = 111111", 'survey_id = "abc"', "surveys.youth.sources.2024.survey_id"),
        ('unit = "respondent"', 'unit = "school"', "surveys.youth.unit"),
        ("[surveys.youth.sources.2021]", "[surveys.youth.sources.2019]", "wave '2019' is not in"),
        ('name = "State', 'nme = "State', "study.name: Field required"),
        ("https://survey", "ftp://survey", "url must start with http"),
    ],
)
def test_mistakes_name_the_file_and_key(tmp_path, old, new, fragment):
    assert old in STUDY
    write(tmp_path, STUDY.replace(old, new, 1))
    with pytest.raises(StudyError) as err:
        load_study(tmp_path)
    assert str(tmp_path / "ci-eval.toml") in str(err.value)
    assert fragment in str(err.value)


def test_credentials_in_the_study_file_are_refused_without_echoing_them(tmp_path):
    text = STUDY.replace('credentials = "CI_EVAL_LS"', 'password = "hunter2-secret"')
    write(tmp_path, text)
    with pytest.raises(StudyError) as err:
        load_study(tmp_path)
    assert "password must not be in the study file" in str(err.value)
    assert "hunter2-secret" not in str(err.value)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(StudyError, match="no study file"):
        load_study(tmp_path)
    write(tmp_path, "[study\nname=")
    with pytest.raises(StudyError, match="not valid TOML"):
        load_study(tmp_path)


def test_unknown_survey_and_wave_list_what_exists(tmp_path):
    study = load_study(write(tmp_path, STUDY))
    with pytest.raises(StudyError, match=r"no survey 'orgs' \(surveys: youth\)"):
        study.survey("orgs")
    with pytest.raises(StudyError, match=r"no source for wave '2019'.*2021, 2024"):
        study.source("youth", "2019")
