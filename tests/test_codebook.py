"""Tests of ci_eval.codebook: the YAML form, missing codes and wave harmonisation."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci_eval.codebook import Codebook, Variable, WaveMapping
from ci_eval.errors import CodebookError

YAML = """\
survey: youth
variables:
  - name: had_mentor_12_18
    label: {en: "Had a mentor at ages 12-18", fr: "A eu un mentor entre 12 et 18 ans"}
    type: categorical
    value_labels:
      1: {en: "Yes", fr: "Oui"}
      2: {en: "No", fr: "Non"}
      8: {en: "Don't know", fr: "Je ne sais pas"}
      9: {en: "Prefer not to say", fr: "Préfère ne pas répondre"}
    missing_codes: [8, 9]
    question: Q12
    measure: nominal
    waves:
      "2021": {name: "mentor1218", recode: {1: 1, 0: 2}}
  - name: province
    label: {en: "Province", fr: "Province"}
    type: categorical
    value_labels:
      QC: {en: "Quebec", fr: "Québec"}
      "NO": {en: "Nowhere", fr: "Nulle part"}
      N: {en: "None", fr: "Aucune"}
    question: prov
  - name: age
    label: {en: "Age", fr: "Âge"}
    type: numeric
    missing_codes: [-99]
    waves:
      2021: {name: age_years}
  - name: comment
    label: {en: "Comment", fr: "Commentaire"}
    type: text
    waves:
      "2021": {name: null}
"""


@pytest.fixture
def codebook(tmp_path) -> Codebook:
    path = tmp_path / "codebook.yaml"
    path.write_text(YAML, encoding="utf-8")
    return Codebook.from_yaml(path)


def test_reads_the_contract_yaml(codebook):
    assert codebook.survey == "youth"
    assert list(codebook.variables) == ["had_mentor_12_18", "province", "age", "comment"]
    v = codebook.variables["had_mentor_12_18"]
    assert v.label == {
        "en": "Had a mentor at ages 12-18",
        "fr": "A eu un mentor entre 12 et 18 ans",
    }
    assert v.type == "categorical"
    assert v.value_labels[9] == {"en": "Prefer not to say", "fr": "Préfère ne pas répondre"}
    assert v.missing_codes == [8, 9]
    assert v.question == "Q12"
    assert v.measure == "nominal"
    assert v.waves["2021"] == WaveMapping(name="mentor1218", recode={1: 1, 0: 2})


def test_string_codes_stay_strings_yes_no_are_not_booleans(codebook):
    labels = codebook.variables["province"].value_labels
    assert list(labels) == ["QC", "NO", "N"]


def test_unquoted_wave_key_is_a_string(codebook):
    assert codebook.variables["age"].waves == {"2021": WaveMapping(name="age_years")}


def test_yaml_round_trip_is_equal_and_byte_stable(codebook, tmp_path):
    out = tmp_path / "out" / "codebook.yaml"
    codebook.to_yaml(out)
    again = Codebook.from_yaml(out)
    assert again == codebook
    first = out.read_bytes()
    again.to_yaml(out)
    assert out.read_bytes() == first
    assert "Préfère ne pas répondre" in first.decode("utf-8")


def test_apply_missing_sets_only_missing_codes(codebook):
    df = pd.DataFrame(
        {"had_mentor_12_18": [1, 2, 8, 9], "age": [17, -99, 30, 8], "other": [8, 9, 8, 9]}
    )
    out = codebook.apply_missing(df)
    assert out["had_mentor_12_18"].tolist()[:2] == [1.0, 2.0]
    assert out["had_mentor_12_18"].isna().tolist() == [False, False, True, True]
    # 8 is a missing code of had_mentor, not of age
    assert out["age"].tolist()[0] == 17 and out["age"].tolist()[2:] == [30, 8]
    assert math.isnan(out["age"].tolist()[1])
    assert out["other"].tolist() == [8, 9, 8, 9]
    assert df["had_mentor_12_18"].tolist() == [1, 2, 8, 9]  # input untouched


def test_apply_missing_on_categorical_column():
    cb = Codebook("s", [Variable(name="q", type="categorical", missing_codes=["X"])])
    df = pd.DataFrame({"q": pd.Categorical(["A", "X", "B"])})
    out = cb.apply_missing(df)
    assert out["q"].isna().tolist() == [False, True, False]
    assert list(out["q"].cat.categories) == ["A", "B"]


def test_harmonise_renames_recodes_and_orders(codebook):
    raw = pd.DataFrame(
        {"age_years": [19, 22], "prov": ["QC", "N"], "mentor1218": [0, 1], "province": ["QC", "N"]}
    )
    raw = raw.drop(columns="prov")
    out = codebook.harmonise(raw, wave="2021")
    assert list(out.columns) == ["had_mentor_12_18", "province", "age", "comment"]
    assert out["had_mentor_12_18"].tolist() == [2, 1]
    assert out["age"].tolist() == [19, 22]
    assert out["comment"].isna().all()


def test_harmonise_wave_without_mappings_uses_names(codebook):
    raw = pd.DataFrame(
        {
            "had_mentor_12_18": [1, 9],
            "province": ["QC", "NO"],
            "age": [20, 21],
            "comment": ["a", ""],
        }
    )
    out = codebook.harmonise(raw, wave="2024")
    pd.testing.assert_frame_equal(out, raw)


def test_harmonise_reports_every_unmapped_difference(codebook):
    raw = pd.DataFrame({"mentor1218": [1, 3], "province": ["QC", "ON"], "extra_col": [1, 2]})
    with pytest.raises(CodebookError) as err:
        codebook.harmonise(raw, wave="2021")
    msg = str(err.value)
    assert "'age': column 'age_years' is not in wave 2021" in msg
    assert "codes 3 in wave 2021 have no value label" in msg
    assert "'province': codes 'ON'" in msg
    assert "columns not in the codebook: extra_col" in msg


def test_harmonise_extra_drop_and_keep(codebook):
    raw = pd.DataFrame({"mentor1218": [1], "province": ["QC"], "age_years": [20], "id": [7]})
    assert "id" not in codebook.harmonise(raw, "2021", extra="drop").columns
    assert codebook.harmonise(raw, "2021", extra="keep")["id"].tolist() == [7]


BY_QUESTION = {"had_mentor_12_18": "Q12", "province": "prov"}  # what a LimeSurvey wave gives


def test_harmonise_reads_the_source_columns_and_drops_the_accepted_ones(codebook):
    raw = pd.DataFrame({"id": [1, 2], "Q12": [1, 9], "prov": ["QC", "NO"], "age": [20, 21],
                        "comment": ["a", ""], "submitdate": ["2027-03-02", None]})  # fmt: skip
    out = codebook.harmonise(raw, "2024", columns=BY_QUESTION, accepted=["id", "submitdate"])
    assert list(out.columns) == ["had_mentor_12_18", "province", "age", "comment"]
    assert out["had_mentor_12_18"].tolist() == [1, 9] and out["province"].tolist() == ["QC", "NO"]
    with pytest.raises(CodebookError, match="no variable's question matches: id, submitdate"):
        codebook.harmonise(raw, "2024", columns=BY_QUESTION)


def test_harmonise_a_wave_mapping_wins_over_the_source_column(codebook):
    raw = pd.DataFrame({"mentor1218": [0], "Q12": [2], "prov": ["QC"], "age_years": [20]})
    out = codebook.harmonise(raw, "2021", columns=BY_QUESTION, extra="drop")
    assert out["had_mentor_12_18"].tolist() == [2]  # mentor1218 recoded 0 -> 2, not Q12's 2
    assert out["age"].tolist() == [20] and out["comment"].isna().all()


def test_harmonise_by_source_columns_names_each_column_and_the_fix(codebook):
    raw = pd.DataFrame({"prov": ["QC"], "Q13": [1]})
    with pytest.raises(CodebookError) as err:
        codebook.harmonise(raw, "2024", columns=BY_QUESTION)
    msg = str(err.value)
    assert "'had_mentor_12_18': its question 'Q12' has no column 'Q12' in wave 2024; " in msg
    assert "correct the question code, or map it with waves: {'2024': {name: <column>}}" in msg
    assert "'age' has no question and wave 2024 has no column 'age'; give it the code" in msg
    assert "no variable's question matches: Q13; give the variable asked there its" in msg


def test_harmonise_float_codes_match_integer_labels(codebook):
    raw = pd.DataFrame({"mentor1218": [1.0, 0.0, math.nan], "province": ["QC"] * 3, "age_years": 1})
    out = codebook.harmonise(raw, "2021")
    assert out["had_mentor_12_18"].tolist()[:2] == [1, 2]
    assert pd.isna(out["had_mentor_12_18"].iloc[2])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("survey: s\nvariables:\n  - name: a\n    type: color\n", "variable #1 ('a'), field type"),
        (
            "survey: s\nvariables:\n  - name: a\n    type: text\n  - name: a\n    type: text\n",
            "variable 'a' is defined twice",
        ),
        (
            "survey: s\nvariables:\n  - name: a\n    type: text\n    lable: x\n",
            "variable #1 ('a'), field lable",
        ),
        (
            "survey: s\nvariables:\n  - name: a\n    type: categorical\n"
            "    missing_codes: [true]\n",
            "must be a number or a quoted string",
        ),
        ("- just a list\n", "expected a mapping"),
        ("survey: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_codebooks_name_file_and_entry(tmp_path, text, fragment):
    path = tmp_path / "cb.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError) as err:
        Codebook.from_yaml(path)
    assert str(path) in str(err.value)
    assert fragment in str(err.value)


def test_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(CodebookError, match="codebook not found"):
        Codebook.from_yaml(tmp_path / "nope.yaml")


def test_plain_string_label_is_english():
    v = Variable(name="a", type="text", label="Age")
    assert v.label == {"en": "Age"}


def test_diff_lists_added_removed_changed(codebook):
    variables = list(codebook.variables.values())
    changed = variables[2].model_copy(update={"label": {"en": "Age (years)", "fr": "Âge"}})
    newer = Codebook("youth", [variables[0], changed, Variable(name="new", type="text")])
    changes = {(c.variable, c.kind): c.detail for c in codebook.diff(newer)}
    assert changes == {
        ("age", "changed"): "label changed",
        ("new", "added"): "",
        ("province", "removed"): "",
        ("comment", "removed"): "",
    }
    assert codebook.diff(codebook) == []


# Labels are printable text: control characters (e.g. U+0085, a YAML line break)
# and lone surrogates are not codebook content.
printable = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
codes = st.one_of(st.integers(-1000, 1000), st.text(printable, min_size=1, max_size=8))
labels = st.fixed_dictionaries(
    {"en": st.text(printable, max_size=20), "fr": st.text(printable, max_size=20)}
)


@settings(max_examples=40, deadline=None)
@given(
    value_labels=st.dictionaries(codes, labels, max_size=6),
    name=st.from_regex(r"[a-z]\w{0,10}", fullmatch=True),
)
def test_yaml_round_trip_property(tmp_path_factory, value_labels, name):
    cb = Codebook(
        "s",
        [
            Variable(
                name=name,
                type="categorical",
                label={"en": "é’'\"", "fr": "à"},
                value_labels=value_labels,
                missing_codes=list(value_labels)[:1],
            )
        ],
    )
    path = tmp_path_factory.mktemp("cb") / "cb.yaml"
    cb.to_yaml(path)
    assert Codebook.from_yaml(path) == cb


def test_empty_yaml_fields_mean_none_given(tmp_path):
    path = tmp_path / "cb.yaml"
    path.write_text("survey: s\nvariables:\n  - name: a\n    type: text\n    waves:\n")
    assert Codebook.from_yaml(path).variables["a"].waves == {}
