"""Tests of ci_eval.sources.files: real files written with pyreadstat and read back."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from ci_eval.codebook import Codebook, Variable
from ci_eval.errors import SourceError
from ci_eval.sources.files import read_survey_file

FRENCH = ["Hélène", "d’accord", "Tout à fait d'accord", "Trois-Rivières 🙂"]


def youth_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "q1": [1.0, 2.0, 8.0, 9.0],
            "age": [17.0, 22.0, -99.0, 30.0],
            "comment": FRENCH,
            "interview": [dt.date(2021, 3, 1), dt.date(2021, 3, 2), dt.date(2021, 3, 3), None],
        }
    )


def write_youth_sav(path, *, compress=False):
    pyreadstat.write_sav(
        youth_frame(),
        str(path),
        column_labels={"q1": "A eu un mentor", "age": "Âge", "comment": "Commentaire"},
        variable_value_labels={"q1": {1: "Oui", 2: "Non", 8: "Je ne sais pas", 9: "Refus"}},
        missing_ranges={"q1": [8, 9], "age": [{"lo": -99, "hi": -90}]},
        variable_measure={"q1": "nominal", "age": "scale"},
        compress=compress,
    )


@pytest.mark.parametrize("ext", [".sav", ".zsav"])
def test_spss_labels_user_missing_dates_and_french(tmp_path, ext):
    path = tmp_path / f"youth{ext}"
    write_youth_sav(path, compress=ext == ".zsav")
    got = read_survey_file(path, survey="youth", language="fr", chunk_size=3)
    data = got.data
    assert got.format.startswith("SPSS")
    assert data["q1"].tolist()[:2] == [1.0, 2.0]
    assert data["q1"].isna().tolist() == [False, False, True, True]
    assert data["age"].isna().tolist() == [False, False, True, False]
    assert data["comment"].tolist() == FRENCH
    assert data["interview"].iloc[0] == pd.Timestamp("2021-03-01")
    assert pd.isna(data["interview"].iloc[3])
    cb = got.codebook
    assert cb.survey == "youth"
    q1 = cb.variables["q1"]
    assert q1.label == {"fr": "A eu un mentor"}
    assert q1.type == "categorical"
    assert q1.value_labels == {
        1: {"fr": "Oui"},
        2: {"fr": "Non"},
        8: {"fr": "Je ne sais pas"},
        9: {"fr": "Refus"},
    }
    assert q1.missing_codes == [8, 9]
    assert q1.measure == "nominal"
    assert q1.question == "q1"
    # a range of missing codes keeps the code that occurred
    assert cb.variables["age"].missing_codes == [-99]
    assert cb.variables["age"].type == "numeric"
    assert cb.variables["comment"].type == "text"
    assert cb.variables["interview"].type == "date"


def test_stata_user_missing_letters(tmp_path):
    path = tmp_path / "youth.dta"
    df = pd.DataFrame({"q1": [1, 2, "a", "b", 1], "comment": [*FRENCH, "fin"]})
    pyreadstat.write_dta(
        df,
        str(path),
        column_labels={"q1": "Had a mentor", "comment": "Comment"},
        variable_value_labels={"q1": {1: "Yes", 2: "No"}},
        missing_user_values={"q1": ["a", "b"]},
    )
    got = read_survey_file(path, chunk_size=2)
    assert got.data["q1"].tolist()[:2] == [1, 2]
    assert got.data["q1"].isna().tolist() == [False, False, True, True, False]
    assert pd.api.types.is_numeric_dtype(got.data["q1"])
    assert got.data["comment"].tolist()[:4] == FRENCH
    q1 = got.codebook.variables["q1"]
    assert q1.missing_codes == ["a", "b"]
    assert q1.value_labels == {1: {"en": "Yes"}, 2: {"en": "No"}}


def test_sas_transport_and_spss_portable(tmp_path):
    df = pd.DataFrame({"score": [1.5, 2.5, np.nan], "name": ["Helene", "Marc", "Zoe"]})
    pyreadstat.write_xport(df, str(tmp_path / "y.xpt"), column_labels=["Score", "Name"])
    got = read_survey_file(tmp_path / "y.xpt")
    assert got.data["score"].tolist()[:2] == [1.5, 2.5] and math.isnan(got.data["score"][2])
    assert got.codebook.variables["score"].label == {"en": "Score"}
    pyreadstat.write_por(df, str(tmp_path / "y.por"))
    got = read_survey_file(tmp_path / "y.por")
    assert got.data["NAME"].tolist() == ["Helene", "Marc", "Zoe"]  # .por upper-cases names


def test_reads_in_chunks_of_any_size(tmp_path):
    path = tmp_path / "big.sav"
    n = 1003
    df = pd.DataFrame({"x": np.arange(n, dtype=float), "y": np.where(np.arange(n) % 7 == 0, 9, 1)})
    pyreadstat.write_sav(df, str(path), missing_ranges={"y": [9]})
    got = read_survey_file(path, chunk_size=100, progress=True)
    assert got.data["x"].tolist() == list(np.arange(n, dtype=float))
    assert int(got.data["y"].isna().sum()) == len(range(0, n, 7))


CSV_CODEBOOK = Codebook(
    "youth",
    [
        Variable(
            name="had_mentor",
            type="categorical",
            value_labels={1: {"en": "Yes"}, 2: {"en": "No"}, 9: {"en": "Refused"}},
            missing_codes=[9],
            waves={"2021": {"name": "mentor"}},
        ),
        Variable(name="province", type="categorical", value_labels={"QC": {"en": "Quebec"}}),
        Variable(name="when", type="date"),
        Variable(name="comment", type="text"),
    ],
)


def test_csv_with_codebook_types_and_missing(tmp_path):
    path = tmp_path / "youth_2021.csv"
    path.write_text(
        "\ufeffmentor,province,when,comment\n"
        '1,QC,2021-03-01,"Tout à fait d’accord, merci"\n'
        "9,QC,,\n"
        "2,QC,2021-03-05,Hélène\n",
        encoding="utf-8",
    )
    got = read_survey_file(path, codebook=CSV_CODEBOOK, wave="2021", chunk_size=2)
    assert got.data["mentor"].tolist()[0] == 1 and got.data["mentor"].isna().tolist()[1]
    assert got.data["province"].tolist() == ["QC", "QC", "QC"]
    assert got.data["when"].iloc[2] == pd.Timestamp("2021-03-05")
    assert got.data["comment"].tolist()[0] == "Tout à fait d’accord, merci"
    assert pd.isna(got.data["comment"].iloc[1])
    harmonised = CSV_CODEBOOK.harmonise(got.data, wave="2021")
    assert list(harmonised.columns) == ["had_mentor", "province", "when", "comment"]


def test_csv_errors_name_file_column_and_row(tmp_path):
    path = tmp_path / "y.csv"
    path.write_text("had_mentor,province,when,comment\n1,QC,2021-01-01,a\nabc,QC,,b\n")
    with pytest.raises(SourceError, match=r"column 'had_mentor', row 3: 'abc' is not a valid"):
        read_survey_file(path, codebook=CSV_CODEBOOK, chunk_size=1)
    with pytest.raises(SourceError, match="a CSV file needs a codebook"):
        read_survey_file(path)
    path.write_text("had_mentor,colour\n1,red\n")
    with pytest.raises(SourceError, match="columns not in the codebook: colour"):
        read_survey_file(path, codebook=CSV_CODEBOOK)
    path.write_bytes("had_mentor\n\xe9\n".encode("latin-1"))
    with pytest.raises(SourceError, match="not utf-8-sig text"):
        read_survey_file(path, codebook=CSV_CODEBOOK)


def test_parquet_with_and_without_codebook(tmp_path):
    path = tmp_path / "y.parquet"
    df = pd.DataFrame(
        {"had_mentor": [1, 9, 2], "province": pd.Categorical(["QC", "ON", "QC"]), "s": FRENCH[:3]}
    )
    df.to_parquet(path)
    got = read_survey_file(path, codebook=CSV_CODEBOOK, chunk_size=2)
    assert got.data["had_mentor"].isna().tolist() == [False, True, False]
    derived = read_survey_file(path, survey="youth").codebook
    assert derived.variables["province"].value_labels == {"ON": {"en": "ON"}, "QC": {"en": "QC"}}
    assert derived.variables["had_mentor"].type == "numeric"
    assert derived.variables["s"].type == "text"


def test_empty_truncated_corrupt_and_misnamed_files(tmp_path):
    empty = tmp_path / "empty.sav"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match=r"empty\.sav: the file is empty"):
        read_survey_file(empty)

    good = tmp_path / "good.sav"
    write_youth_sav(good)
    truncated = tmp_path / "truncated.sav"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(SourceError, match=r"truncated\.sav: cannot read it as SPSS \.sav"):
        read_survey_file(truncated)

    corrupt = tmp_path / "corrupt.dta"
    corrupt.write_bytes(b"this is not a stata file at all" * 10)
    with pytest.raises(SourceError, match=r"corrupt\.dta: not a Stata \.dta file"):
        read_survey_file(corrupt)

    misnamed = tmp_path / "youth.dta"
    misnamed.write_bytes(good.read_bytes())
    with pytest.raises(
        SourceError, match=r"contents are a SPSS \.sav file; rename it to youth\.sav"
    ):
        read_survey_file(misnamed)

    sas = tmp_path / "youth.sas7bdat"
    sas.write_bytes(good.read_bytes())
    with pytest.raises(SourceError, match=r"rename it to youth\.sav"):
        read_survey_file(sas)
    fake_sas = tmp_path / "fake.sas7bdat"
    fake_sas.write_bytes(b"\0" * 2048)
    with pytest.raises(SourceError, match=r"fake\.sas7bdat: not a SAS \.sas7bdat file"):
        read_survey_file(fake_sas)

    with pytest.raises(SourceError, match=r"unsupported file type '\.xlsx'"):
        read_survey_file(tmp_path / "youth.xlsx")
    with pytest.raises(SourceError, match="file not found"):
        read_survey_file(tmp_path / "nope.sav")

    bad_parquet = tmp_path / "bad.parquet"
    bad_parquet.write_bytes(b"PAR1" + b"\0" * 20)
    with pytest.raises(SourceError, match="cannot read it as Parquet"):
        read_survey_file(bad_parquet)


def test_real_sas7bdat_in_chunks(tmp_path):
    source = Path(__file__).parent / "data" / "files" / "iris.sas7bdat"
    got = read_survey_file(source, chunk_size=40)
    assert got.format == "SAS .sas7bdat"
    assert got.data.shape == (150, 5)
    assert got.data["Sepal_Length"].tolist()[:3] == [5.1, 4.9, 4.7]
    # the file stores species in 6 characters ($6.)
    assert got.data["Species"].value_counts().to_dict() == {
        "setosa": 50,
        "versic": 50,
        "virgin": 50,
    }
    assert got.codebook.variables["Species"].type == "text"
    truncated = tmp_path / "iris.sas7bdat"
    truncated.write_bytes(source.read_bytes()[:70_000])
    with pytest.raises(SourceError, match=r"iris\.sas7bdat: cannot read it as SAS \.sas7bdat"):
        read_survey_file(truncated)
