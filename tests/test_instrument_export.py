"""``ci-eval instrument export``: a survey's codebook as a LimeSurvey 6 survey file (``.lss``).

The file is checked three ways: against the layout of a real LimeSurvey 6.14 export
(``tests/data/limesurvey/youth_mentoring.lss``), question by question (types, answers and
texts in both languages), and by the round trip: the loopback LimeSurvey server imports it,
``ci-eval pull`` pulls it, and the pulled codebook is the one exported.
"""

from __future__ import annotations

import html
import io
import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from citric import Client
from typer.testing import CliRunner

from ci_eval.cli import app
from ci_eval.codebook import Codebook, Variable, WaveMapping
from ci_eval.errors import CodebookError
from ci_eval.pipeline import run_pipeline
from ci_eval.results import ResultsStore
from ci_eval.sources.limesurvey_export import (
    ARRAY_STEM,
    instrument_codebook,
    lss_document,
    survey_id,
)
from ci_eval.sources.limesurvey_structure import column_name
from ci_eval.sources.pull import load_responses, wave_codebook
from ci_eval.sources.waves import harmonisation_check, harmonise_wave
from ci_eval.study import load_study
from limesurvey_server import DATA, FakeLimeSurvey, lss_rows

ROOT = Path(__file__).resolve().parents[1]
SURVEYS = ("youth", "organisations", "partners")
LANGUAGES = ["en", "fr"]
PASSWORD = "Pa55word-not-in-logs"
ENV = {"TEST_LS_USER": "analyst", "TEST_LS_PASSWORD": PASSWORD}
TITLE = {"en": "Partner survey", "fr": "Sondage des partenaires"}


def demo_codebook(survey: str) -> Codebook:
    return Codebook.from_yaml(ROOT / f"surveys/{survey}/codebook.yaml")


def export(codebook: Codebook) -> ET.Element:
    return ET.fromstring(lss_document(codebook, languages=LANGUAGES, title=TITLE))


def question_rows(root: ET.Element) -> dict[str, dict[str, str]]:
    """Every question and row (subquestion) of a file, by code (``C3`` / ``C3[1]``)."""
    rows = lss_rows(root, "questions") + lss_rows(root, "subquestions")
    by_qid = {r["qid"]: r for r in rows}
    out = {}
    for r in rows:
        parent = by_qid.get(r["parent_qid"])
        out[f"{parent['title']}[{r['title']}]" if parent else r["title"]] = r
    return out


def texts(root: ET.Element, table: str, key: str, value: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for r in lss_rows(root, table):
        out.setdefault(r[key], {})[r["language"]] = r[value]
    return out


def answers(root: ET.Element, qid: str) -> dict[str, dict[str, str]]:
    labels = texts(root, "answer_l10ns", "aid", "answer")
    rows = sorted(
        (a for a in lss_rows(root, "answers") if a["qid"] == qid), key=lambda a: int(a["sortorder"])
    )
    return {a["code"]: labels[a["aid"]] for a in rows}


# ------------------------------------------------------------- the file itself
def test_the_file_has_the_layout_of_a_real_limesurvey_6_export():
    real = ET.parse(DATA / "youth_mentoring.lss").getroot()
    ours = export(demo_codebook("partners"))
    assert ours.findtext("LimeSurveyDocType") == "Survey"
    assert ours.findtext("DBVersion") == real.findtext("DBVersion") == "630"
    assert [e.text for e in ours.find("languages")] == LANGUAGES
    tables = [e.tag for e in real if e.find("fields") is not None]
    ours_tables = [e.tag for e in ours if e.find("fields") is not None]
    assert ours_tables == [t for t in tables if t != "question_attributes"]
    for table in ours_tables:
        fields = [f.text for f in real.find(f"{table}/fields")]
        assert [f.text for f in ours.find(f"{table}/fields")] == fields, table
        for row in ours.findall(f"{table}/rows/row"):
            assert [c.tag for c in row] == fields, table
    (settings,) = lss_rows(ours, "surveys")
    assert settings["language"] == "en" and settings["additional_languages"] == "fr"
    assert settings["datestamp"] == "Y" and settings["ipaddr"] == settings["refurl"] == "N"


@pytest.mark.parametrize("survey", SURVEYS)
def test_every_question_and_answer_is_there_in_both_languages(survey):
    codebook = demo_codebook(survey)
    root = export(codebook)
    rows = question_rows(root)
    question_text = texts(root, "question_l10ns", "qid", "question")
    asked = [v for v in codebook.variables.values() if v.question is not None]
    for var in asked:
        title, _, item = var.question.partition("_")
        row = rows[f"{title}[{item}]" if item else title]
        text = {lang: html.unescape(t) for lang, t in question_text[row["qid"]].items()}
        assert text == var.label, var.name
        offered = answers(root, rows[title]["qid"])
        assert offered == {str(c): labels for c, labels in var.value_labels.items()}, var.name
    assert len(rows) == len(asked) + len({v.question.partition("_")[0] for v in asked
                                          if "_" in v.question})  # fmt: skip
    assert all(set(t) == set(LANGUAGES) for t in question_text.values())
    assert len(question_text) == len(rows)
    answer_text = texts(root, "answer_l10ns", "aid", "answer")
    assert all(set(t) == set(LANGUAGES) and all(t.values()) for t in answer_text.values())


def test_question_types_follow_the_codebook():
    partners, youth = export(demo_codebook("partners")), export(demo_codebook("youth"))
    organisations = export(demo_codebook("organisations"))
    p, y, o = question_rows(partners), question_rows(youth), question_rows(organisations)
    assert p["C1"]["type"] == "L" and p["C1"]["question_theme_name"] == "listradio"
    assert p["C0"]["type"] == "S"  # the partner id: free text
    assert p["C3"]["type"] == "F" and p["C3"]["question_theme_name"] == "arrays/array"
    roster = [code for code in p if code.startswith("R[")]
    assert len(roster) == 80 and p["R[M001]"]["type"] == "F"
    assert {p[f"R{j}"]["type"] for j in range(1, 11)} == {"F"}
    assert y["Q2"]["type"] == "N" and y["Q1"]["type"] == "!"  # 12 provinces and territories
    assert o["P19"]["type"] == "K" and o["P19[1]"]["type"] == "K"  # an array of numbers
    dont_know = answers(partners, p["C3"]["qid"])["8"]
    assert dont_know == {"en": "Don't know", "fr": "Je ne sais pas"}
    assert set(answers(partners, p["R5"]["qid"])) == {"1", "2", "3", "4", "8"}
    assert answers(youth, y["Q22"]["qid"])["99"]["fr"] == "Préfère ne pas répondre"
    stem = texts(partners, "question_l10ns", "qid", "question")[p["C3"]["qid"]]
    assert stem == ARRAY_STEM["categorical"]


def test_a_missing_code_without_a_label_is_not_offered():
    """A respondent who skips the question leaves it empty, which ci_eval reads as missing."""
    root = export(Codebook("s", [var(missing_codes=[9])]))
    assert list(answers(root, question_rows(root)["Q1"]["qid"])) == ["1", "2"]


def test_texts_are_html_and_french_keeps_its_no_break_spaces():
    label = {"en": "Trust & value <1-4>", "fr": "Confiance et valeur\u00a0: «\u00a01-4\u00a0»"}
    var = Variable(name="x", label=label, type="numeric", question="X1")
    root = export(Codebook("s", [var]))
    (en, fr) = sorted(lss_rows(root, "question_l10ns"), key=lambda r: r["language"])
    assert en["question"] == "Trust &amp; value &lt;1-4&gt;"
    assert fr["question"] == label["fr"]


def test_the_same_codebook_gives_the_same_bytes(tmp_path):
    codebook = demo_codebook("partners")
    again = Codebook.from_yaml_text(codebook.to_yaml_text())
    first = lss_document(codebook, languages=LANGUAGES, title=TITLE)
    assert lss_document(again, languages=LANGUAGES, title=TITLE) == first
    assert b"\r" not in first and first.endswith(b"</document>\n")


# --------------------------------------------------- what LimeSurvey cannot hold
AGREE = {1: {"en": "Agree", "fr": "D'accord"}, 2: {"en": "Disagree", "fr": "En désaccord"}}


def var(name="item", **fields):
    base = {"label": {"en": "An item", "fr": "Un énoncé"}, "type": "categorical",
            "value_labels": AGREE, "question": "Q1"}  # fmt: skip
    return Variable(name=name, **{**base, **fields})


@pytest.mark.parametrize(
    ("variables", "says"),
    [
        ([var(value_labels={**AGREE, -9: {"en": "Refused", "fr": "Refus"}})], "code -9"),
        ([var(value_labels={**AGREE, "dk_ref": {"en": "DK", "fr": "NSP"}})], "code 'dk_ref'"),
        ([var(value_labels={**AGREE, 1.5: {"en": "Half", "fr": "Demi"}})], "code 1.5"),
        ([var(value_labels={"1": {"en": "Yes", "fr": "Oui"}})], "read back as a number"),
        ([var(question="Q9.1")], "cannot be a LimeSurvey code"),
        ([var(question="1Q")], "cannot be a LimeSurvey code"),
        ([var(question="TOKEN")], "reserves"),
        ([var(question="Seed")], "would share its column with LimeSurvey's 'Seed'"),
        ([var(question="Q1_a_b")], "cannot be a LimeSurvey code"),
        ([var(question="Q" * 21)], "cannot be a LimeSurvey code"),
        ([var(type="numeric")], "has value labels"),
        ([var(type="text")], "has value labels"),
        ([var(type="date", value_labels={})], "declare the variable datetime"),
        ([var(value_labels={})], "give it value labels"),
        ([var(label={"en": "Only English"})], "no fr text"),
        ([var(label={"en": "Two\nlines", "fr": "Deux lignes"})], "line breaks"),
        ([var(value_labels={1: {"en": "Yes", "fr": " Oui"}})], "value label 1"),
        ([var("a", question="Q1_1"), var(question="Q1_2", value_labels={1: AGREE[1]})],
         "differ from those of 'a'"),
        ([var("a", question="Q1_1"), var(question="Q1_2", type="text", value_labels={})],
         "the rows of an array have one type"),
        ([var("a", question="Q1_1"), var(question="Q1")], "is an array"),
        ([var("a"), var(question="Q1_2")], "a question of its own"),
        ([var("a", question="Q1_A"), var(question="Q1_a")], "used twice"),
        ([var("a"), var(question="q1")], "differs only in case"),
    ],
)  # fmt: skip
def test_what_limesurvey_cannot_hold_is_refused_naming_the_variable(variables, says):
    with pytest.raises(CodebookError) as caught:
        lss_document(Codebook("s", variables), languages=LANGUAGES, title=TITLE)
    message = str(caught.value)
    assert message.startswith(f"variable {variables[-1].name!r}: ") and says in message


def test_a_language_without_wording_or_title_is_refused():
    codebook = Codebook("s", [var()])
    with pytest.raises(CodebookError, match="no wording for array questions in de"):
        lss_document(codebook, languages=["en", "de"], title={"en": "S", "de": "S"})
    with pytest.raises(CodebookError, match="no title in fr"):
        lss_document(codebook, languages=LANGUAGES, title={"en": "S"})


# ---------------------------------------------------------------- the command
def study_folder(
    tmp_path: Path, survey: str = "partners", source: str = "", model: str | None = None
) -> Path:
    """A study of one survey, the demo's codebook, and ``source`` for its wave 2027 (by
    default a file that is never read); ``model``: the text of its theory of change."""
    source = (
        source
        or f"""[surveys.{survey}.sources.2027]
type = "file"
path = "surveys/{survey}/data/{survey}_2027.sav"
"""
    )
    folder = tmp_path / "study"
    codebook = folder / f"surveys/{survey}/codebook.yaml"
    codebook.parent.mkdir(parents=True)
    shutil.copy2(ROOT / f"surveys/{survey}/codebook.yaml", codebook)
    label = json.dumps(TITLE["en"]), json.dumps(TITLE["fr"])
    if model is not None:
        (folder / "models").mkdir()
        (folder / "models/model.yaml").write_text(model, encoding="utf-8")
    (folder / "ci-eval.toml").write_text(
        f"""
[study]
name = "Instrument test"
edition = "2027"
languages = ["en", "fr"]
{'model = "models/model.yaml"' if model is not None else ""}
[waves]
baseline = "2027"
all = ["2027"]
[surveys.{survey}]
label = {{ en = {label[0]}, fr = {label[1]} }}
codebook = "surveys/{survey}/codebook.yaml"
{source}
""",
        encoding="utf-8",
    )
    return folder


def cli(*args: str):
    return CliRunner(env=ENV).invoke(app, list(args))


def test_the_command_writes_the_file_and_says_what_is_not_asked(tmp_path):
    folder = study_folder(tmp_path)
    result = cli("instrument", "export", str(folder), "--survey", "partners", "--format", "lss")
    assert result.exit_code == 0, result.output
    written = folder / "surveys/partners/partners.lss"
    assert "24 questions, 918 variables" in result.output and "survey_language" in result.output
    expected = lss_document(demo_codebook("partners"), languages=LANGUAGES, title=TITLE)
    assert written.read_bytes() == expected
    again = cli("instrument", "export", str(folder), "--survey", "partners")
    assert again.exit_code == 0 and "unchanged" in again.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--survey", "nope"], "no survey 'nope' (surveys: partners)"),
        (["--survey", "partners", "--format", "xml"], "unknown format 'xml'; known: lss"),
        (["--survey", "partners", "--out", "{tmp}/a-file/x.lss"], "cannot write"),
        (["--survey", "partners", "--out", "{tmp}/a-file"], "exists with other content"),
    ],
)
def test_command_errors_are_one_clear_message(tmp_path, args, says):
    folder = study_folder(tmp_path)
    (tmp_path / "a-file").write_text("not a survey", encoding="utf-8")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = cli("instrument", "export", str(folder), *args)
    assert result.exit_code == 2 and says in result.output, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "not a survey"


# -------------------------------------------------- round trip through LimeSurvey
@pytest.fixture
def server():
    fake = FakeLimeSurvey({"analyst": PASSWORD})
    fake.start()
    yield fake
    fake.stop()


def one_response(server: FakeLimeSurvey, sid: int) -> dict[str, object]:
    """A completed response in French, every question skipped."""
    columns = server.surveys[sid].structure.columns()
    row: dict[str, object] = dict.fromkeys(columns)
    row.update(submitdate="2027-03-02 10:00:00", lastpage=1, startlanguage="fr", seed="42",
               startdate="2027-03-02 09:50:00", datestamp="2027-03-02 10:00:00")  # fmt: skip
    return row


def field(
    tmp_path: Path,
    server: FakeLimeSurvey,
    survey: str,
    answers: Sequence[Mapping[str, object]] = ({},),
    settings: str = "",
    model: str | None = None,
) -> tuple[Path, int]:
    """Export the survey's instrument, import it into the loopback LimeSurvey, activate it,
    add a response for each of ``answers`` (LimeSurvey headings, ``C3[1]``, over
    :func:`one_response`) and pull them: the study folder (wave 2027 from LimeSurvey, the
    survey's ``settings`` before it, and ``model``) and the survey id."""
    folder = study_folder(tmp_path, survey)
    lss = tmp_path / f"{survey}.lss"
    done = cli("instrument", "export", str(folder), "--survey", survey, "--out", str(lss))
    assert done.exit_code == 0, done.output
    client = Client(server.url, "analyst", PASSWORD)
    sid = client.import_survey(io.BytesIO(lss.read_bytes()))
    assert sid == survey_id(survey)
    assert server.surveys[sid].structure.questions[0]["qid"] != "1"  # renumbered, as LimeSurvey
    client.activate_survey(sid)
    client.close()
    server.add_responses(sid, [{**one_response(server, sid), **row} for row in answers])
    source = f"""{settings}
[surveys.{survey}.sources.2027]
type = "limesurvey"
url = "{server.url}"
survey_id = {sid}
credentials = "TEST_LS"
completed_only = false
timeout = 5.0
"""
    folder = study_folder(tmp_path / "with-source", survey, source, model)
    pulled = cli("pull", str(folder), "--survey", survey, "--no-progress")
    assert pulled.exit_code == 0, pulled.output
    return folder, sid


@pytest.mark.parametrize("survey", SURVEYS)
def test_round_trip_export_import_pull_gives_the_codebook_back(tmp_path, server, survey):
    folder, _ = field(tmp_path, server, survey)
    study = load_study(folder)
    original = demo_codebook(survey)
    got = wave_codebook(study, survey, "2027")
    assert got == instrument_codebook(original, LANGUAGES)
    for var in original.variables.values():  # each asked variable, found by its question
        if var.question is None:
            continue
        title, _, item = var.question.partition("_")
        back = got.variables[column_name(f"{title}[{item}]") if item else title]
        assert (back.type, back.value_labels) == (var.type, var.value_labels), var.name
        stem = ARRAY_STEM[var.type]
        assert back.label == (
            {lang: f"{stem[lang]} [{var.label[lang]}]" for lang in LANGUAGES} if item else var.label
        )
    assert list(load_responses(study, survey, "2027").columns) == list(got.variables)
    check = cli("instrument", "check", str(folder), "--survey", survey, "--wave", "2027")
    assert check.exit_code == 0 and "asks the instrument's questions" in check.output


def test_check_lists_what_was_changed_in_limesurvey_after_the_import(tmp_path, server):
    folder, sid = field(tmp_path, server, "organisations")
    structure = server.surveys[sid].structure
    by_title = {q["title"]: q for q in structure.questions if q["parent_qid"] == "0"}
    org_type = next(a for a in structure.answers if a["qid"] == by_title["P2"]["qid"])
    for row in structure.answer_l10ns:  # a program rewords an answer in French
        if row["aid"] == org_type["aid"] and row["language"] == "fr":
            row["answer"] = "Autre chose"
    # (an active LimeSurvey survey keeps its questions and answers; only texts can change)
    for row in structure.question_l10ns:  # ... and a question in English
        if row["qid"] == by_title["P4"]["qid"] and row["language"] == "en":
            row["question"] = "Young people served"
    server.add_responses(sid, [one_response(server, sid)])
    assert cli("pull", str(folder), "--survey", "organisations", "--no-progress").exit_code == 0
    check = cli("instrument", "check", str(folder), "--survey", "organisations", "--wave", "2027")
    assert check.exit_code == 1, check.output
    assert "changed P2: value_labels changed" in check.output
    assert "changed P4: label changed" in check.output and check.output.count("\n- ") == 2


def test_check_refuses_a_wave_read_from_a_file(tmp_path):
    folder = study_folder(tmp_path)
    check = cli("instrument", "check", str(folder), "--survey", "partners", "--wave", "2027")
    assert check.exit_code == 2 and "is a file, not a LimeSurvey survey" in check.output


def test_the_loopback_import_changes_codes_as_limesurvey_does(server):
    """What LimeSurvey's importer does with codes it refuses (renames a question, drops an
    answer, without an error), so that a file with one would fail the round trip above
    instead of passing unnoticed."""
    lss = lss_document(Codebook("s", [var(question="Q1")]), languages=LANGUAGES, title=TITLE)
    lss = lss.replace(b"[Q1]", b"[1Q]").replace(b"<code><![CDATA[2]]>", b"<code><![CDATA[-2]]>")
    client = Client(server.url, "analyst", PASSWORD)
    sid = client.import_survey(io.BytesIO(lss))
    client.close()
    structure = server.surveys[sid].structure
    assert [q["title"] for q in structure.questions] == ["q1Q"]
    assert [a["code"] for a in structure.answers] == ["1"] and len(structure.answer_l10ns) == 2


# ----------------------------------------------- a fielded wave runs with no hand edits
PARTNERS_MODEL = """\
name: {en: "Partnership", fr: "Partenariat"}
outcomes:
  - id: common_agenda
    level: activity
    label: {en: "A common agenda", fr: "Un programme commun"}
indicators:
  - id: common_agenda_score
    outcome: common_agenda
    label: {en: "Common agenda score (1-5)", fr: "Score du programme commun (1-5)"}
    survey: partners
    items: [common_agenda_1, common_agenda_2, common_agenda_3, common_agenda_4]
    scoring: {method: mean, min_answered: 2}
  - id: youth_led
    outcome: common_agenda
    label: {en: "Youth-led organisations", fr: "Organismes dirigés par des jeunes"}
    survey: partners
    items: [sector]
    scoring: {method: threshold, values: [6]}
"""
PARTNERS_SETTINGS = """id = "partner_id"
language = "survey_language"
[disclosure]  # five partners: publish every estimate
min_cell = 1
cv_caution = 1000
cv_suppress = 1000
"""
# (partner, language, sector, the four common-agenda answers; 8 is "don't know", "" skipped)
ANSWERS = [
    ("M001", "fr", "6", ("5", "4", "4", "5")),
    ("M002", "en", "1", ("2", "3", "8", "")),
    ("M003", "fr", "2", ("4", "4", "4", "4")),
    ("M004", "en", "6", ("1", "8", "", "")),  # one item answered: below min_answered
    ("M005", "en", "3", ("3", "5", "", "4")),
]


def partner_answers() -> list[dict[str, object]]:
    """The responses of :data:`ANSWERS` as LimeSurvey stores them, by code heading."""
    rows = []
    for partner, language, sector, agenda in ANSWERS:
        row: dict[str, object] = {"C0": partner, "startlanguage": language, "C1": sector}
        row.update({f"C3[{i}]": a or None for i, a in enumerate(agenda, start=1)})
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def fielded_once(tmp_path_factory) -> Path:
    """The partners survey fielded once for this module (the pull holds its snapshot)."""
    fake = FakeLimeSurvey({"analyst": PASSWORD})
    fake.start()
    try:
        folder, _ = field(tmp_path_factory.mktemp("fielded"), fake, "partners",
                          partner_answers(), PARTNERS_SETTINGS, PARTNERS_MODEL)  # fmt: skip
    finally:
        fake.stop()
    return folder


@pytest.fixture
def fielded(fielded_once: Path, tmp_path: Path) -> Path:
    """A copy of the fielded study of :func:`fielded_once`, for one test to change."""
    return Path(shutil.copytree(fielded_once, tmp_path / "study"))


@pytest.mark.slow
def test_a_wave_fielded_from_the_export_runs_end_to_end_with_no_hand_edits(fielded):
    folder = fielded
    study = load_study(folder)
    codebook = demo_codebook("partners")
    read = harmonise_wave(study, "partners", "2027", codebook)
    assert list(read.columns) == list(codebook.variables)  # no id, submitdate, seed...
    assert read["partner_id"].tolist() == [a[0] for a in ANSWERS]
    assert read["survey_language"].tolist() == [a[1] for a in ANSWERS]  # from startlanguage
    assert read["sector"].tolist() == [int(a[2]) for a in ANSWERS]
    assert read["common_agenda_2"].tolist() == [4, 3, 4, 8, 5]  # C3_2, codes kept (8 too)
    assert harmonisation_check(study, "partners", codebook) == [("2027", "fits")]
    run_pipeline(folder, report=False)
    indicators = ResultsStore(folder / "reports/2027").read("indicators")
    overall = indicators[indicators["domain"] == "overall"].set_index("indicator")["estimate"]
    scores = [sum(v) / len(v) for v in ([5, 4, 4, 5], [2, 3], [4, 4, 4, 4], [3, 5, 4])]
    assert overall["common_agenda_score"] == pytest.approx(sum(scores) / len(scores))
    assert overall["youth_led"] == pytest.approx(2 / 5)


@pytest.mark.slow
def test_a_wave_mapping_in_the_codebook_wins_over_the_question(fielded):
    folder = fielded
    path = folder / "surveys/partners/codebook.yaml"
    codebook = Codebook.from_yaml(path)
    sector = codebook.variables["sector"]  # the question renamed after the wave was fielded
    codebook.variables["sector"] = sector.model_copy(update={"question": "C1b"})
    codebook.to_yaml(path)
    study = load_study(folder)
    with pytest.raises(CodebookError) as err:
        harmonise_wave(study, "partners", "2027", Codebook.from_yaml(path))
    assert "'sector': its question 'C1b' has no column 'C1b' in wave 2027" in str(err.value)
    assert "columns that no variable's question matches: C1;" in str(err.value)
    mapped = sector.model_copy(
        update={"question": "C1b", "waves": {"2027": WaveMapping(name="C1")}}
    )
    codebook.variables["sector"] = mapped
    codebook.to_yaml(path)
    read = harmonise_wave(study, "partners", "2027", Codebook.from_yaml(path))
    assert read["sector"].tolist() == [int(a[2]) for a in ANSWERS]


@pytest.mark.slow
def test_a_fielded_wave_that_does_not_fit_says_which_column_and_how(fielded):
    folder = fielded
    toml = folder / "ci-eval.toml"  # the survey_language variable is no longer the language
    toml.write_text(toml.read_text(encoding="utf-8").replace("language = ", "# "), "utf-8")
    path = folder / "surveys/partners/codebook.yaml"
    codebook = Codebook.from_yaml(path)
    del codebook.variables["role"]  # a question asked but no longer in the codebook
    codebook.to_yaml(path)
    result = cli("codebook", str(folder), "--survey", "partners")
    assert "columns that no variable's question matches: C2; give the variable" in result.output
    assert "'survey_language' has no question and wave 2027 has no column" in result.output
    assert "Traceback" not in result.output
    run = cli("run", str(folder), "--no-report")
    assert run.exit_code == 2 and "no variable's question matches: C2" in run.output, run.output
