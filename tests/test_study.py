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
headline = ["mentored_6_18"]
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
    assert study.report == {"headline": ["mentored_6_18"]}  # validated by check_settings
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
        (
            'id = "respondent_id"',
            'about.popluation = "x"',
            "surveys.youth.about.popluation: unknown",
        ),
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


ABOUT = """
[surveys.youth.about]
population = { en = "Young adults aged 18 to 30", fr = "Jeunes adultes de 18 à 30 ans" }
sample = "Stratified random sample"
publisher = { en = "The Partnership", fr = "Le Partenariat" }
simulated = true
waves.2021 = { fieldwork = [2021-02-01, 2021-03-31], invited = 12000, response_rate = 0.23 }
waves.2024 = { fieldwork = [2024-02-05, 2024-04-05], participation_rate = 0.4 }
"""


def test_the_survey_description_and_the_publisher_load(tmp_path):
    text = STUDY.replace("seed = 2024", 'seed = 2024\npublisher = "MENTOR (demo)"') + ABOUT
    study = load_study(write(tmp_path, text))
    about = study.surveys["youth"].about
    assert about.population == {
        "en": "Young adults aged 18 to 30",
        "fr": "Jeunes adultes de 18 à 30 ans",
    }
    assert about.sample == "Stratified random sample" and about.simulated
    first = about.waves["2021"]
    assert [d.isoformat() for d in first.fieldwork] == ["2021-02-01", "2021-03-31"]
    assert (first.invited, first.response_rate, first.participation_rate) == (12000, 0.23, None)
    assert about.waves["2024"].participation_rate == 0.4
    assert study.study.publisher == "MENTOR (demo)"
    # a survey without a description is not simulated and says nothing
    plain = load_study(write(tmp_path, STUDY)).surveys["youth"].about
    assert not plain.simulated and plain.population is None and plain.waves == {}


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("2021-03-31]", "2021-01-31]", "fieldwork ends (2021-01-31) before it starts (2021-02-01)"),
        ("invited = 12000, ", "participation_rate = 0.5, ", "response_rate or participation_rate"),
        ("response_rate = 0.23", "response_rate = 23", "less than or equal to 1"),
        ("invited = 12000", "invited = 0", "invited: Input should be greater than or equal to 1"),
        ("waves.2024 =", "waves.2019 =", "about.waves.2019: wave '2019' is not in waves.all"),
        ('fr = "Le Partenariat"', 'de = "Die Partnerschaft"', "about.publisher: no text in fr"),
        ("simulated = true", 'simulated = "yes"', "simulated: Input should be a valid boolean"),
    ],
)
def test_mistakes_in_the_survey_description_name_the_key(tmp_path, old, new, fragment):
    assert old in ABOUT
    write(tmp_path, STUDY + ABOUT.replace(old, new, 1))
    with pytest.raises(StudyError) as err:
        load_study(tmp_path)
    assert fragment in str(err.value)


def test_the_demo_study_and_its_template_describe_their_surveys_alike():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    template = root / "src/ci_eval/demo/study/ci-eval.toml"
    assert (root / "ci-eval.toml").read_text(encoding="utf-8") == template.read_text(
        encoding="utf-8"
    )
    study = load_study(root)
    for name in ("youth", "organisations"):
        about = study.surveys[name].about
        assert about.simulated and about.population and about.sample and about.publisher
        assert set(about.waves) == set(study.waves.all)
        assert all(w.fieldwork for w in about.waves.values())
    assert study.surveys["youth"].about.targets_source and study.study.publisher
