"""The bundled demo study: regenerable byte for byte, readable, realistic, with known truth."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import statsmodels.formula.api as smf
import yaml

from ci_eval.codebook import Codebook
from ci_eval.demo import generate_study
from ci_eval.demo.problems import youth_wave
from ci_eval.demo.savfile import write_sav
from ci_eval.pipeline import load_study_model
from ci_eval.quality import check_quality
from ci_eval.toc import score_indicators

ROOT = Path(__file__).resolve().parents[1]
WAVES = ("2021", "2024")
QUALITY = tomllib.loads((ROOT / "ci-eval.toml").read_text(encoding="utf-8"))["quality"]
TRUTH = yaml.safe_load((ROOT / "surveys/demo_truth.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate_study(folder, seed=2024)
    return folder


def read(survey: str, wave: str) -> tuple[pd.DataFrame, Codebook]:
    codebook = Codebook.from_yaml(ROOT / f"surveys/{survey}/codebook.yaml")
    raw, _ = pyreadstat.read_sav(
        ROOT / f"surveys/{survey}/data/{survey}_{wave}.sav", user_missing=True
    )
    return codebook.harmonise(raw, wave=wave), codebook


@pytest.mark.slow
def test_a_fresh_generation_is_the_committed_demo_byte_for_byte(fresh: Path):
    files = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    assert len(files) == 15  # 11 + the partner survey: members, codebook, two waves
    for name in files:
        assert (ROOT / name).read_bytes() == (fresh / name).read_bytes(), (
            f"{name} differs from a fresh generation: if a change (or a numpy / pyreadstat "
            "upgrade) is meant to change the demo, run `ci-eval demo generate --seed 2024 --out .`"
        )


def test_sav_writes_are_reproducible_despite_the_clock(tmp_path: Path):
    frame = pd.DataFrame({"a": [1.0, 8.0], "s": ["x", "y"]})
    first, second = tmp_path / "1.sav", tmp_path / "2.sav"
    write_sav(frame, first, column_labels={"a": "A"}, missing_values={"a": [8.0]})
    write_sav(frame, second, column_labels={"a": "A"}, missing_values={"a": [8.0]})
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes()[92:109] == b"01 Jan 0000:00:00"


@pytest.mark.parametrize("wave", WAVES)
def test_data_files_are_small_labelled_and_hold_no_identifying_text(wave: str):
    for survey, rows, id_pattern in (
        ("youth", (2900, 3300), r"R\d{7}"),
        ("organisations", (380, 430), r"P\d{4}"),
    ):
        path = ROOT / f"surveys/{survey}/data/{survey}_{wave}.sav"
        assert path.stat().st_size < 2_000_000
        data, meta = pyreadstat.read_sav(path, user_missing=True)
        assert rows[0] <= len(data) <= rows[1]
        assert meta.variable_value_labels["province"][24.0] == "Quebec"
        assert meta.column_names_to_labels["survey_language"] == "Language of the questionnaire"
        text_columns = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
        id_column = text_columns[0]
        assert text_columns == [id_column, "survey_language"]
        assert data[id_column].str.fullmatch(id_pattern).all() and data[id_column].is_unique
        assert set(data["survey_language"]) == {"en", "fr"}
    _, meta = pyreadstat.read_sav(ROOT / f"surveys/youth/data/youth_{wave}.sav", user_missing=True)
    assert meta.missing_ranges["family_income"] == [{"lo": 8.0, "hi": 8.0}, {"lo": 9.0, "hi": 9.0}]


def test_codebooks_harmonise_both_waves_and_the_model_validates():
    model, path = load_study_model(ROOT)
    assert path == ROOT / "models/mentoring.yaml"
    assert len(model.indicators) >= 30 and len(model.contributions) >= 5
    old, _ = read("youth", "2021")
    new, _ = read("youth", "2024")
    assert old.columns.tolist() == new.columns.tolist()
    assert set(old["had_mentor_12_18"].dropna()) == {1, 2, 8}  # 2021's 1/0 coding, harmonised


def test_population_targets_are_consistent_margins():
    population = pd.read_csv(ROOT / "surveys/youth/population.csv")
    assert population.columns.tolist() == [
        "wave",
        "province",
        "age_band",
        "gender_plus",
        "population",
    ]
    totals = population.groupby("wave")["population"].sum()
    assert totals.to_dict() == {2021: 6_480_000, 2024: 7_380_000}
    latest = population[population["wave"] == 2024]
    assert sorted(latest["province"].unique()) == [
        10,
        11,
        12,
        13,
        24,
        35,
        46,
        47,
        48,
        59,
        60,
        61,
        62,
    ]
    shares = latest.groupby("province")["population"].sum() / totals[2024]
    assert 0.39 < shares[35] < 0.41 and 0.20 < shares[24] < 0.215 and shares[62] < 0.002
    assert (population["population"] > 0).all()


@pytest.mark.parametrize("wave", WAVES)
def test_design_weights_add_up_by_stratum_and_nonresponse_makes_raking_matter(wave: str):
    youth, _ = read("youth", wave)
    population = pd.read_csv(ROOT / "surveys/youth/population.csv")
    population = population[population["wave"] == int(wave)]
    by_province = youth.groupby("province")["design_weight"].sum()
    target = population.groupby("province")["population"].sum()
    np.testing.assert_allclose(by_province.sort_index(), target.sort_index(), rtol=1e-5)
    women = youth["gender_plus"] == 1
    weighted = youth.loc[women, "design_weight"].sum() / youth["design_weight"].sum()
    true_share = population.loc[population["gender_plus"] == 1, "population"].sum() / target.sum()
    assert weighted - true_share > 0.04  # women respond more: the design weight alone is off
    assert youth["province"].value_counts().min() >= 25


@pytest.mark.parametrize("wave", WAVES)
def test_territories_have_only_one_or_two_programs(wave: str):
    programs, _ = read("organisations", wave)
    counts = programs["province"].value_counts()
    assert {counts[60], counts[61], counts[62]} <= {1, 2}  # a Yukon program is new in 2024


@pytest.mark.slow
def test_every_planted_problem_is_caught_by_its_rule():
    answers, planted = youth_wave(np.random.default_rng([2024, 2]), "2024")
    result = check_quality(answers, QUALITY["youth"])
    rule = {"ineligible": "eligibility", "incomplete": "incomplete", "speeder": "speeders",
            "straightliner": "straightlining", "attention": "attention",
            "out_of_range": "out_of_range"}  # fmt: skip
    for kind, name in rule.items():
        assert result.flags.loc[planted == kind, name].all(), kind
    # A duplicate may come before its original after shuffling: one of each pair is flagged.
    twins = answers.drop(columns=["respondent_id", "duration_seconds"]).duplicated(keep=False)
    assert twins[planted == "duplicate"].all()
    assert result.flags["duplicates"].sum() == (planted == "duplicate").sum()
    clean_rows = planted == ""
    assert result.flags[clean_rows].any(axis=1).mean() < 0.02  # few false alarms
    assert len(result.clean) + result.summary["excluded"].sum() == len(answers)


def clean_scores(wave: str) -> pd.DataFrame:
    responses, codebook = read("youth", wave)
    clean = check_quality(responses, QUALITY["youth"]).clean
    model, _ = load_study_model(ROOT)
    scores = score_indicators(model, clean, codebook, id_column="respondent_id")
    columns = ["family_income", "region", "design_weight", "relationship_length"]
    covariates = codebook.apply_missing(clean)[columns]
    return covariates.join(scores.drop(columns="respondent_id"))


@pytest.fixture(scope="module")
def scores() -> dict[str, pd.DataFrame]:
    return {wave: clean_scores(wave) for wave in WAVES}


def weighted_share(frame: pd.DataFrame, indicator: str) -> float:
    rows = frame[indicator].notna()
    return float(np.average(frame.loc[rows, indicator], weights=frame.loc[rows, "design_weight"]))


def test_margins_stay_close_to_the_published_survey(scores: dict[str, pd.DataFrame]):
    baseline = scores["2021"]
    assert abs(weighted_share(baseline, "mentored_6_18") - 0.558) < 0.03
    assert abs(weighted_share(baseline, "mentored_structured") - 0.315) < 0.03
    assert abs(weighted_share(baseline, "mentoring_gap") - 0.543) < 0.03
    odds = TRUTH["waves"]["2021"]["raw_odds_ratio_mentored_vs_not"]
    assert abs(odds["good_mental_health"] - 1.53) < 0.1
    assert abs(odds["strong_belonging"] - 2.0) < 0.15
    assert abs(odds["employed_or_studying"] - 1.59) < 0.1


OUTCOMES = [
    "belonging_score",
    "swemwbs_score",
    "strong_belonging",
    "good_mental_health",
    "employed_or_studying",
]


@pytest.mark.parametrize("wave", WAVES)
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_planted_effects_are_recovered_by_a_weighted_regression(scores, wave: str, outcome: str):
    data = scores[wave].dropna(subset=[outcome, "mentored_6_18", "family_income"])
    fit = smf.wls(
        f"{outcome} ~ mentored_6_18 + C(family_income) + C(region)",
        data=data,
        weights=data["design_weight"],
    ).fit(cov_type="HC1")
    truth = TRUTH["waves"][wave]["average_treatment_effect"][outcome]["ate"]
    estimate, se = fit.params["mentored_6_18"], fit.bse["mentored_6_18"]
    assert abs(estimate - truth) < 3 * se, (estimate, se, truth)
    assert truth > 2 * se  # the effect is there to find


@pytest.mark.parametrize("outcome", ["belonging_score", "swemwbs_score"])
def test_dose_response_by_relationship_length_is_recovered(scores, outcome: str):
    frames = []
    for wave in WAVES:
        frame = scores[wave].dropna(subset=[outcome, "mentored_6_18", "family_income"]).copy()
        frame["dose"] = frame["relationship_length"].where(frame["mentored_6_18"] == 1, 0)
        frames.append(frame.dropna(subset=["dose"]).assign(wave=wave))
    data = pd.concat(frames)
    fit = smf.wls(
        f"{outcome} ~ C(dose) + C(family_income) + C(region) + C(wave)",
        data=data,
        weights=data["design_weight"],
    ).fit(cov_type="HC1")
    for length in (1, 2, 3):
        truth = np.mean(
            [TRUTH["waves"][w]["effect_by_relationship_length"][outcome][length] for w in WAVES]
        )
        term = f"C(dose)[T.{float(length)}]"
        assert abs(fit.params[term] - truth) < 3 * fit.bse[term], (length, fit.params[term], truth)
    assert fit.params["C(dose)[T.3.0]"] > fit.params["C(dose)[T.1.0]"]


def test_truth_documents_confounding():
    effects = TRUTH["effects"]
    assert effects["mentoring_logit"]["income"][1] < 0 < effects["mentoring_logit"]["income"][3]
    assert effects["belonging"]["income"][1] < 0 < effects["belonging"]["income"][3]
    raw = TRUTH["waves"]["2024"]["raw_means_by_mentoring"]["belonging_score"]
    ate = TRUTH["waves"]["2024"]["average_treatment_effect"]["belonging_score"]["ate"]
    assert raw["mentored"] - raw["not_mentored"] > ate  # the naive comparison overstates it
    assert re.search(r"Y\(1\) - Y\(0\)", TRUTH["description"])


EQUITY_NAMES = ["indigenous", "racialized", "lgbtq2s", "transgender", "disability", "newcomer",
                "risk_justice", "risk_school", "risk_economic", "risk_any", "barriers_6_11",
                "barriers_12_18"]  # fmt: skip
IDENTITY_ITEMS = ["indigenous", "racialized", "sexual_orientation", "transgender", "disability",
                  "immigration", "risk_justice", "risk_school", "risk_economic"]  # fmt: skip


def test_the_instrument_has_the_equity_items_with_prefer_not_to_say_as_a_missing_code():
    youth = Codebook.from_yaml(ROOT / "surveys/youth/codebook.yaml").variables
    programs = Codebook.from_yaml(ROOT / "surveys/organisations/codebook.yaml").variables
    for name in EQUITY_NAMES:
        assert youth[name].label["en"] and youth[name].label["fr"], name
        assert youth[name].label["en"] != youth[name].label["fr"] or name == "immigration"
    for name in IDENTITY_ITEMS:
        var = youth[name]
        (code,) = var.missing_codes
        assert var.value_labels[code]["en"] == "Prefer not to say", name
        assert var.value_labels[code]["fr"] == "Préfère ne pas répondre", name
    assert {youth["indigenous"].value_labels[c]["en"] for c in (1, 2, 3)} == {
        "First Nations", "Métis", "Inuit"}  # fmt: skip
    assert youth["racialized"].value_labels[13]["en"] == "White"
    assert len(youth["racialized"].value_labels) == 15  # 12 groups, White, Indigenous, missing
    for name in ("demand_exceeds_capacity", "serves_after_18", "ages_19_24", "budget_band",
                 "paid_staff_fte", "served_indigenous"):  # fmt: skip
        assert programs[name].label["fr"], name


def test_barrier_reasons_of_the_simulation_are_the_codebook_items():
    from ci_eval.demo.codebooks import BARRIER_REASON_ITEMS
    from ci_eval.demo.equity import BARRIER_REASONS

    assert list(BARRIER_REASONS) == list(BARRIER_REASON_ITEMS)


@pytest.mark.parametrize("wave", WAVES)
def test_derived_equity_variables_follow_their_parts_and_never_hide_a_refusal(wave: str):
    youth, _ = read("youth", wave)
    risks = youth[["risk_justice", "risk_school", "risk_economic"]]
    assert ((risks == 1).any(axis=1) == (youth["risk_any"] == 1)).all()
    assert ((risks == 2).all(axis=1) == (youth["risk_any"] == 2)).all()
    refused = (risks == 9).any(axis=1) & ~(risks == 1).any(axis=1)
    assert refused.sum() > 20 and (youth.loc[refused, "risk_any"] == 9).all()
    minority = youth["sexual_orientation"].isin([2, 3, 4, 5]) | (youth["transgender"] == 1)
    assert (minority == (youth["lgbtq2s"] == 1)).all()
    assert ((youth["newcomer"] == 1) == (youth["immigration"] == 3)).all()
    non_binary = youth["gender"] == 3
    assert (youth.loc[non_binary, "transgender"].isin([1, 9])).all()
    programs, _ = read("organisations", wave)
    assert ((programs["serves_after_18"] == 1) == (programs["ages_19_24"] == 1)).all()
    asked = (youth["barriers_6_11"] == 1) | (youth["barriers_12_18"] == 1)
    assert youth.loc[~asked, "barrier_did_not_know"].isna().all()
    assert youth.loc[asked, "barrier_did_not_know"].notna().all()


def test_inuit_youth_are_a_small_group_outside_the_territories():
    youth, _ = read("youth", "2024")
    inuit = youth[youth["indigenous"] == 3]
    by_region = inuit["region"].value_counts()
    assert by_region.get(6, 0) >= 20  # Nunavut
    assert all(by_region.get(r, 0) < 10 for r in (1, 2, 3, 4, 5))  # suppressed cells


def test_truth_records_the_planted_gaps_and_changes():
    gaps = TRUTH["waves"]["2024"]["equity_gaps"]["mentoring_gap"]
    assert 1.8 < gaps["risk_any"]["ratio"] < 2.2  # about twice as likely with a risk factor
    assert gaps["disability"]["group"] > 0.68 and gaps["lgbtq2s"]["group"] > 0.65
    assert gaps["indigenous"]["group"] > gaps["indigenous"]["comparison"]
    barriers = TRUTH["waves"]["2024"]["equity_gaps"]["faced_barriers_12_18"]
    assert barriers["lgbtq2s"]["group"] > 0.5 and barriers["transgender"]["group"] > 0.5
    changes = TRUTH["changes"]
    assert 0.035 < changes["mentored_12_18"]["change"] < 0.05
    assert changes["offers_ementoring"]["change"] == pytest.approx(0.10)
    assert changes["has_waitlist"]["change"] > 0
