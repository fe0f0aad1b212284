"""Mistaken and hostile study files, targets and weights: each a clear error that names the
table, key, file or row and the fix (never a traceback, never silently accepted).

Each case edits a copy of the demo study's file (``old`` -> ``new``) and is checked through
``load_study`` and ``check_settings``, the two steps a run takes before any stage.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ci_eval.analysis.weighting_stage import read_targets, weight_wave
from ci_eval.codebook import Codebook, Variable
from ci_eval.errors import AnalysisError, CodebookError, ModelError, SourceError, StudyError
from ci_eval.pipeline import check_settings, check_unique_ids
from ci_eval.results import ResultsStore
from ci_eval.sources.files import read_survey_file
from ci_eval.study import load_study
from ci_eval.toc.expression import parse

STUDY_CASES = {
    "wrong type": ("max_iter = 100", 'max_iter = "many"', "[weighting.youth] max_iter"),
    "misspelt table": ("[weighting.youth]", "[wights.youth]", "did you mean 'weighting'"),
    "misspelt key": ("margins = [", "margin = [", "margin: unknown key (did you mean 'margins'"),
    "escaping edition": ('edition = "2024"', 'edition = "../../../x"', "not a plain name"),
    "cv order": ("cv_suppress = 33.3", "cv_suppress = 10", "cv_suppress (10.0) is below"),
    "language": ('languages = ["en", "fr"]', 'languages = ["en", "de"]', "translation for 'de'"),
    "wave without source": ('all = ["2021", "2024"]', 'all = ["2021", "2024", "2027"]',
                            "wave '2027' has no source"),
    "targets outside": ('targets = "surveys/youth/population.csv"', 'targets = "/etc/passwd"',
                        "weighting.youth.targets: '/etc/passwd' is outside the study folder"),
    "codebook outside": ('codebook = "surveys/youth/codebook.yaml"',
                         'codebook = "../../codebook.yaml"', "surveys.youth.codebook"),
    "trim inverted": ("lower = 0.3, upper = 3.0", "lower = 3.0, upper = 0.3",
                      "lower = 3.0 is not below upper = 0.3"),
    "trim above the mean": ('lower = 0.3, upper = 3.0, relative_to = "design"',
                            "lower = 1.5, upper = 3.0",
                            "relative to the mean weight must hold 1"),
    "analysis typo": ("[disclosure]", "[analysis]\nalpah = 0.1\n[disclosure]",
                      "[analysis] alpah: unknown key (did you mean 'alpha'"),
    "report typo": ("[disclosure]", '[report]\nheadlines = ["x"]\n[disclosure]',
                    "[report] headlines: unknown key (did you mean 'headline'"),
    "key findings typo": ("[disclosure]", '[report.key_findings]\nnumbrs = ["x"]\n[disclosure]',
                          "[report] key_findings.numbrs: unknown key (did you mean 'numbers'"),
    "key findings order": ("[disclosure]",
                           '[report.key_findings]\norder = ["story"]\n[disclosure]',
                           "[report] key_findings.order.0: Input should be 'numbers'"),
    "about typo": ("\nsimulated = true", '\nsimulated = true\npopluation = "x"',
                   "popluation: unknown key (did you mean 'population'"),
    "bad min_cell": ("min_cell = 10", 'min_cell = "ten"', "disclosure.min_cell"),
    "weighting of no survey": ("[weighting.youth]", "[weighting.yuoth]", "did you mean 'youth'"),
    "quality rule typo": ("[quality.organisations]\nduplicates",
                          "[quality.organisations]\nduplicate",
                          "duplicate: unknown rule (did you mean 'duplicates'"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(STUDY_CASES))
def test_a_mistaken_study_file_is_a_clear_error(demo_model_study, case):
    old, new, expected = STUDY_CASES[case]
    file = demo_model_study / "ci-eval.toml"
    text = file.read_text(encoding="utf-8")
    assert old in text, case
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(StudyError) as info:
        check_settings(load_study(demo_model_study))
    message = str(info.value)
    assert str(file) in message
    assert expected in message, message


def test_paths_outside_the_study_are_allowed_when_the_study_says_so(demo_model_study):
    file = demo_model_study / "ci-eval.toml"
    text = file.read_text(encoding="utf-8").replace(
        'codebook = "surveys/youth/codebook.yaml"', 'codebook = "../elsewhere/codebook.yaml"'
    )
    file.write_text(text.replace("seed = 2024", "seed = 2024\npaths_outside = true"), "utf-8")
    assert load_study(demo_model_study).study.paths_outside


TARGET_CASES = {
    "empty": ("", "the file is empty"),
    "semicolons": ("wave;g;population\n1;1;10\n", "save it comma-separated"),
    "not a table": ('a,b\n1,2,3,4\n"x', "not a comma-separated table"),
    "zero cell": ("wave,g,population\n1,1,10\n1,2,0\n", "row 3: population '0'"),
    "text count": ("wave,g,population\n1,1,ten\n", "row 2: population 'ten'"),
    "repeated cell": ("wave,g,population\n1,1,10\n1,1,10\n", "row 3 repeats the cell of row 2"),
    "missing cell": ("wave,g,h,population\n1,1,1,5\n1,1,2,5\n1,2,1,5\n",
                     "the cell g=2, h=2 of wave 1 is missing"),
    "empty code": ("wave,g,population\n1,,10\n", "row 2 has an empty cell"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(TARGET_CASES))
def test_bad_population_targets_name_the_file_and_row(tmp_path, case):
    text, expected = TARGET_CASES[case]
    path = tmp_path / "population.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnalysisError) as info:
        read_targets(path)
    assert str(path) in str(info.value) and expected in str(info.value), str(info.value)


def test_weights_stored_as_text_name_the_column_and_row():
    data = pd.DataFrame({"w": ["1.5", "1,110.47", "2"], "g": [1, 2, 1]})
    with pytest.raises(AnalysisError) as info:
        weight_wave(data, "youth", "2024", {"design_weight": "w"})
    message = str(info.value)
    assert "'w' row 1 is text: '1,110.47'" in message and "thousands separator" in message


def test_negative_weights_are_refused():
    data = pd.DataFrame({"w": [1.0, -2.0], "g": [1, 2]})
    with pytest.raises(AnalysisError, match="row 1 is missing, negative or infinite"):
        weight_wave(data, "youth", "2024", {"design_weight": "w"})


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("+".join(["a"] * 20000), "characters long"),
        ("(" * 500 + "a" + ")" * 500, "too many nested parentheses"),
        ("-" * 1900 + "a", "nested more than 100 levels"),
    ],
)
def test_an_expression_too_long_or_deep_is_a_model_error(expression, expected):
    with pytest.raises(ModelError, match=expected):
        parse(expression)


def test_a_yaml_alias_bomb_is_refused_before_it_expands(demo_model_study):
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)
    ]
    path = demo_model_study / "surveys" / "youth" / "codebook.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        Codebook.from_yaml(path)
    assert str(path) in str(info.value) and "alias (*a) is not allowed" in str(info.value)


def test_a_truncated_results_table_names_the_file_and_the_fix(tmp_path):
    store = ResultsStore(tmp_path)
    store.write(
        "labels",
        pd.DataFrame({"kind": ["wave"], "id": ["2024"], "parent": [""], "en": ["a"], "fr": ["b"]}),
    )
    path = store.path("labels")
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(AnalysisError) as info:
        store.read("labels")
    assert str(path) in str(info.value) and "run `ci-eval run` again" in str(info.value)


def test_a_semicolon_separated_csv_is_read_by_its_separator(tmp_path):
    path = tmp_path / "youth_2024.csv"
    path.write_text("respondent_id;age\n1;20\n2;25\n", encoding="utf-8")
    codebook = Codebook(
        "youth",
        [Variable(name="respondent_id", type="numeric"), Variable(name="age", type="numeric")],
    )
    got = read_survey_file(path, survey="youth", codebook=codebook).data
    assert list(got.columns) == ["respondent_id", "age"]
    assert got["age"].tolist() == [20, 25]


def test_an_id_given_to_different_answers_is_refused_unless_the_quality_rule_keys_on_it(
    demo_model_study,
):
    study = load_study(demo_model_study)
    data = pd.DataFrame({"respondent_id": ["R1", "R1", "R2", "R2"], "age": [20, 21, 30, 30]})
    with pytest.raises(StudyError) as info:
        check_unique_ids(study, "youth", "2024", data)
    message = str(info.value)
    assert "youth_2024.sav" in message and "1 respondent_id value(s)" in message
    assert "R1" in message and "R2" not in message and 'key = ["respondent_id"]' in message
    programs = pd.DataFrame({"program_id": ["P1", "P1"], "youth_served": [10, 12]})
    check_unique_ids(study, "organisations", "2024", programs)  # keyed rule: quality's job


def test_errors_on_a_file_given_with_data_point_at_the_option_not_the_study_file(tmp_path):
    codebook = Codebook("youth", [Variable(name="age", type="numeric", label={"en": "Age"})])
    with pytest.raises(SourceError, match=r"file not found; check --data") as info:
        read_survey_file(tmp_path / "own.csv", codebook=codebook, given_as="--data")
    assert "ci-eval.toml" not in str(info.value)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("age,comment\n20,été\n".encode("latin-1"))
    comment = Variable(name="comment", type="text", label={"en": "C"})
    codebook = Codebook("youth", [*codebook.variables.values(), comment])
    with pytest.raises(SourceError, match=r"not utf-8-sig text .*; save the file as UTF-8"):
        read_survey_file(latin, codebook=codebook, given_as="--data")
    with pytest.raises(SourceError, match=r"set `encoding` on the source in ci-eval.toml"):
        read_survey_file(latin, codebook=codebook)


@pytest.mark.parametrize("codes", [["NA"], ["-9"], [-9, "."]])
def test_text_missing_codes_on_a_numeric_item_are_a_codebook_error(codes):
    data = {"survey": "youth", "variables": [{"name": "hours", "type": "numeric",
                                              "missing_codes": codes}]}  # fmt: skip
    with pytest.raises(CodebookError, match=r"numeric variable 'hours' has text codes.*unquoted"):
        Codebook.from_dict(data, source="surveys/youth/codebook.yaml")
