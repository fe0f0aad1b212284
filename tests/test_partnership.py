"""Partnership health (issue 14): condition scores and census estimates, their disclosure,
reliability, the partnership network, and the demo's planted truth recovered."""

from __future__ import annotations

import functools
import math
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml

from ci_eval.analysis.partnership import (
    CONDITIONS,
    condition_estimates,
    condition_items,
    condition_reliability,
    condition_scores,
    condition_trends,
)
from ci_eval.analysis.partnership_network import (
    degree_centralisation,
    network_graph,
    network_metrics,
    network_tables,
    roster_reports,
    tie_table,
)
from ci_eval.analysis.partnership_stage import (
    PartnershipSettings,
    census_designs,
    partnership_tables,
    public_labels,
    read_members,
)
from ci_eval.analysis.settings import AnalysisSettings
from ci_eval.errors import AnalysisError
from ci_eval.results.contract import spec
from ci_eval.results.disclosure import DisclosureRules
from ci_eval.survey import SurveyDesign

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- scores and estimates
def test_condition_score_needs_min_items_and_ignores_other_columns():
    df = pd.DataFrame(
        {"ca_1": [5.0, 4, np.nan, np.nan], "ca_2": [3.0, np.nan, np.nan, 2], "ca_3": [4.0] * 4,
         "ca_x": [1.0] * 4, "cab_1": [1.0] * 4}
    )  # fmt: skip
    assert condition_items(list(df.columns), "ca") == ["ca_1", "ca_2", "ca_3"]
    got = condition_scores(df, ["ca"], min_items=2)["ca"]
    expected = [4.0, 4.0, np.nan, 3.0]  # (5+3+4)/3, (4+4)/2, one item only, (2+4)/2
    np.testing.assert_allclose(got.to_numpy(), expected)
    with pytest.raises(AnalysisError, match="no items named zz_1"):
        condition_scores(df, ["zz"], min_items=2)


def _census(n_members: int = 20) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(5)
    members = pd.DataFrame(
        {"partner_id": [f"M{i:02d}" for i in range(n_members)],
         "sector": [1] * 12 + [2] * 5 + [3] * (n_members - 17), "role": 3}
    )  # fmt: skip
    answered = members.iloc[:16].copy()  # 12 of sector 1, 4 of sector 2, none of sector 3
    answered["ca"] = rng.integers(1, 6, len(answered)).astype(float)
    return members, answered


def test_census_estimate_is_the_srs_mean_with_the_membership_fpc():
    members, answered = _census()
    table = condition_estimates({"1": answered}, members, ["ca"], DisclosureRules(min_cell=3))
    row = table[table["domain"] == "overall"].iloc[0]
    x = answered["ca"].to_numpy()
    n, big_n = len(x), len(members)
    se = math.sqrt((1 - n / big_n) * x.var(ddof=1) / n)  # SRSWOR, by hand
    assert row["estimate"] == pytest.approx(x.mean())
    assert row["se"] == pytest.approx(se, rel=1e-12)
    assert row["ci_low"] == pytest.approx(x.mean() - 1.959963984540054 * se, rel=1e-9)
    assert (row["n"], row["members"]) == (16, 20)
    # a domain: the survey design code with the same fpc (svyby), not a hand-rolled variance
    design = SurveyDesign(answered.assign(N=20.0), fpc="N")
    by = design.mean("ca", by="sector", na_rm=True).set_index("sector")
    got = table[(table["domain"] == "sector") & (table["domain_value"] == "1")].iloc[0]
    assert got["se"] == pytest.approx(float(by.loc[1, "se"]), rel=1e-12)
    assert got["members"] == 12


def test_every_member_answering_gives_no_sampling_error():
    members, _ = _census()
    everyone = members.assign(ca=np.arange(len(members), dtype=float))
    table = condition_estimates({"1": everyone}, members, ["ca"], DisclosureRules(min_cell=3))
    assert table[table["domain"] == "overall"]["se"].iloc[0] == pytest.approx(0.0, abs=1e-12)


def test_small_sector_cells_are_suppressed_with_a_complement():
    members, answered = _census()
    table = condition_estimates({"1": answered}, members, ["ca"], DisclosureRules(min_cell=5))
    sector = table[table["domain"] == "sector"].set_index("domain_value")
    # sector 2: 4 respondents < 5; sector 3: no respondent (a row, suppressed, never absent)
    assert sector.loc["2", "suppressed"] and sector.loc["2", "reason"] == "n < 5"
    assert sector.loc["3", "suppressed"] and sector.loc["3", "n"] == 0
    assert np.isnan(sector.loc["2", "estimate"]) and sector.loc["2", "symbol"] == "x"
    assert not sector.loc["1", "suppressed"]  # two small cells: no complement needed
    one_small = members.iloc[:19].assign(sector=[1] * 12 + [2] * 7)
    table = condition_estimates(
        {"1": answered.iloc[:15]}, one_small, ["ca"], DisclosureRules(min_cell=5)
    )
    sector = table[table["domain"] == "sector"].set_index("domain_value")
    assert sector.loc["2", "reason"] == "n < 5"
    assert sector.loc["1", "reason"] == "complementary suppression"
    spec("partnership_conditions").check("partnership_conditions", table)


def test_change_since_baseline_uses_the_trend_machinery():
    members, answered = _census()
    later = answered.assign(ca=answered["ca"] + 1.0)
    est = condition_estimates(
        {"1": answered, "2": later}, members, ["ca"], DisclosureRules(min_cell=3)
    )
    trends = condition_trends(est, "1")
    row = trends[trends["domain"] == "overall"].iloc[0]
    se = est[est["domain"] == "overall"]["se"].to_numpy()
    assert row["change"] == pytest.approx(1.0)
    assert row["se"] == pytest.approx(math.hypot(*se))
    assert row["trend"] == "improved" and row["indicator"] == "ca"
    spec("partnership_trends").check("partnership_trends", trends)


def test_reliability_is_cronbachs_alpha_of_complete_rows():
    items = pd.DataFrame({"ca_1": [1, 2, 3, 4, 5, np.nan], "ca_2": [1, 3, 3, 4, 5, 2],
                          "ca_3": [2, 2, 3, 5, 5, 1]}, dtype=float)  # fmt: skip
    table = condition_reliability({"1": items}, ["ca"])
    k, complete = 3, items.dropna()
    hand = k / (k - 1) * (1 - complete.var(ddof=1).sum() / complete.sum(axis=1).var(ddof=1))
    assert table["alpha"].iloc[0] == pytest.approx(hand)
    assert (table["n"].iloc[0], table["n_items"].iloc[0]) == (5, 3)


# ---------------------------------------------------------------- the network
MEMBERS = pd.DataFrame(
    {"partner_id": ["A", "B", "C", "D", "E"], "sector": [1, 1, 2, 2, 3], "role": [5, 1, 3, 3, 3]}
)


def _roster() -> pd.DataFrame:
    """A (backbone), B, C answered; D and E did not. A-B reported by both with different
    types and ratings; A-C by A only; C-D by C only; nobody reports E."""
    rows = {"partner_id": ["A", "B", "C"]}
    for m in MEMBERS["partner_id"]:
        rows[f"tie_{m}"] = [np.nan, np.nan, np.nan]
        for k in ("info", "joint", "data", "fund"):
            rows[f"{k}_{m}"] = [np.nan] * 3
        for r in ("trust_open", "trust_reliable", "trust_mission", "value_power",
                  "value_resources", "value_involve"):  # fmt: skip
            rows[f"{r}_{m}"] = [np.nan] * 3
    df = pd.DataFrame(rows)
    df.loc[0, ["tie_B", "tie_C", "tie_D", "tie_E"]] = [1, 1, 2, 2]
    df.loc[1, ["tie_A", "tie_C", "tie_D", "tie_E"]] = [1, 2, 2, 2]
    df.loc[2, ["tie_A", "tie_B", "tie_D", "tie_E"]] = [2, 2, 1, 2]
    df.loc[0, ["info_B", "joint_B", "trust_open_B", "trust_reliable_B", "trust_mission_B"]] = [
        1, 0, 4, 4, 4]  # fmt: skip
    df.loc[1, ["info_A", "joint_A", "trust_open_A", "trust_reliable_A"]] = [0, 1, 2, 2]
    df.loc[0, ["trust_open_C"]] = [3]  # one of three trust items: no rating
    return df


def test_tie_rules_for_the_two_sides():
    ties = tie_table(roster_reports(_roster(), "partner_id", MEMBERS["partner_id"]))
    assert ties[["a", "b"]].values.tolist() == [["A", "B"], ["A", "C"], ["C", "D"]]
    ab = ties.iloc[0]
    assert ab["sides"] == 2 and ab["info"] and ab["joint"]  # a type counts if either says so
    assert ab["trust"] == pytest.approx((4.0 + 2.0) / 2)  # the mean of the two sides
    assert np.isnan(ties.iloc[1]["trust"])  # one item of three is not a rating


def test_network_metrics_on_a_hand_made_graph():
    ties = tie_table(roster_reports(_roster(), "partner_id", MEMBERS["partner_id"]))
    respondents = ["A", "B", "C"]
    whole = network_graph(ties, MEMBERS, MEMBERS["partner_id"])
    m = network_metrics(whole, respondents, backbone_role=5)
    # 3 ties over the 10 - 1 pairs that could be seen (D-E is the one unseen pair)
    assert m["ties"] == 3 and m["density"] == pytest.approx(3 / 9)
    assert m["backbone_tied"] == pytest.approx(2 / 4)  # B and C of B, C, D, E
    assert m["cross_sector"] == pytest.approx(1 / 3)  # A-C; A-B (1) and C-D (2) are within
    assert m["isolates"] == 1  # E
    # degrees A2 B1 C2 D1 E0: sum(2 - d) = 0+1+0+1+2 = 4 over (4 * 3)
    assert m["centralisation"] == pytest.approx(4 / 12)
    assert m["mean_trust"] == pytest.approx(3.0) and m["confirmed"] == pytest.approx(1 / 2)
    among = network_metrics(network_graph(ties, MEMBERS, respondents), respondents, 5)
    assert (among["ties"], among["density"]) == (2, pytest.approx(2 / 3))
    assert degree_centralisation(nx.star_graph(5)) == 1.0


def test_network_tables_give_the_change_since_baseline():
    later = _roster()
    later.loc[1, "tie_C"] = 1
    network, sectors, _ = network_tables(
        {"1": _roster(), "2": later}, MEMBERS, "partner_id", "1", backbone_role=5
    )
    spec("partnership_network").check("partnership_network", network)
    spec("partnership_sector_ties").check("partnership_sector_ties", sectors)
    row = network[(network["scope"] == "respondents") & (network["metric"] == "density")
                  & (network["wave"] == "2")].iloc[0]  # fmt: skip
    assert row["value"] == pytest.approx(1.0) and row["change"] == pytest.approx(1 / 3)
    within = sectors[(sectors["wave"] == "1") & (sectors["sector_a"] == "1")
                     & (sectors["sector_b"] == "1")]  # fmt: skip
    assert within["ties"].iloc[0] == 1 and within["density"].iloc[0] == 1.0


def test_network_cis_are_the_respondent_jackknife_with_the_fpc():
    """The respondents-scope density by hand: A, B, C answered (of 5 members); dropping one
    leaves the pair of the other two, tied or not."""
    network, *_ = network_tables({"1": _roster()}, MEMBERS, "partner_id", "1", backbone_role=5)
    row = network.query("scope == 'respondents' and metric == 'density'").iloc[0]
    replicates = np.array([0.0, 1.0, 1.0])  # without A: B-C untied; without B: A-C; without C: A-B
    n, big_n = 3, 5
    se = math.sqrt((1 - n / big_n) * (n - 1) / n * ((replicates - replicates.mean()) ** 2).sum())
    assert row["value"] == pytest.approx(2 / 3) and row["se"] == pytest.approx(se)
    assert 2 / 3 - 1.959963984540054 * se < 0  # the normal interval, cut to a share's range
    assert (row["ci_low"], row["ci_high"]) == (0.0, 1.0)
    trust = network.query("scope == 'reconstructed' and metric == 'ties'").iloc[0]
    assert trust["ci_low"] == pytest.approx(trust["value"] - 1.959963984540054 * trust["se"])
    counts = network.query("metric in ['members', 'respondents']")
    assert (counts["se"] == 0).all()
    assert network["change_ci_low"].isna().all()  # one wave: no change


def test_network_change_ci_adds_the_waves_variances():
    later = _roster()
    later.loc[1, "tie_C"] = 1
    network, *_ = network_tables(
        {"1": _roster(), "2": later}, MEMBERS, "partner_id", "1", backbone_role=5
    )
    rows = network.query("scope == 'reconstructed' and metric == 'ties'").set_index("wave")
    se = math.hypot(rows.loc["1", "se"], rows.loc["2", "se"])
    change = rows.loc["2", "change"]
    assert change == 1 and rows.loc["2", "change_ci_high"] == pytest.approx(
        change + 1.96 * se, rel=1e-3
    )


def test_every_member_answering_gives_network_cis_of_zero_width():
    everyone = MEMBERS.iloc[:3]  # A, B, C answered: every member
    network, *_ = network_tables({"1": _roster()}, everyone, "partner_id", "1", backbone_role=5)
    finite = network["se"].dropna()
    assert len(finite) > 10 and (finite == 0).all()


def test_membership_may_differ_by_wave():
    """With a wave column, each wave's fpc and network nodes are that wave's members."""
    base, answered = _census()
    joined = base.assign(wave="2").iloc[:18]
    early = base.iloc[16:18].assign(wave="1")
    early = pd.concat([base.iloc[:16].assign(wave="1"), early])  # 18 members in wave 1
    members = pd.concat([early, joined.iloc[:17], base.iloc[18:].assign(wave="2")])
    table = condition_estimates(
        {"1": answered, "2": answered}, members, ["ca"], DisclosureRules(min_cell=3)
    )
    overall = table[table["domain"] == "overall"].set_index("wave")
    assert overall.loc["1", "members"] == 18 and overall.loc["2", "members"] == 19
    x = answered["ca"].to_numpy()
    assert overall.loc["1", "se"] == pytest.approx(math.sqrt((1 - 16 / 18) * x.var(ddof=1) / 16))
    waves = pd.concat([MEMBERS.assign(wave="1").iloc[:4], MEMBERS.assign(wave="2")])
    network, sectors, _ = network_tables(
        {"1": _roster(), "2": _roster()}, waves, "partner_id", "1", backbone_role=5
    )
    nodes = network.query("scope == 'reconstructed' and metric == 'members'").set_index("wave")
    assert nodes["value"].to_dict() == {"1": 4.0, "2": 5.0}
    assert sectors.query("wave == '1'")["members_a"].max() == 2


def test_members_are_named_only_when_the_study_allows_it():
    frames = {"1": _roster()}
    _, sectors, named = network_tables(frames, MEMBERS, "partner_id", "1", backbone_role=5)
    assert named.empty and "partner" in named.columns  # the default: no organisation named
    assert not {"A", "B", "C"} & set(sectors.astype(str).to_numpy().ravel())
    names = {"A": "Backbone Org", "C": "Youth Centre"}
    *_, named = network_tables(frames, MEMBERS, "partner_id", "1", backbone_role=5, names=names)
    spec("partnership_members").check("partnership_members", named)
    assert named["partner"].tolist() == ["Backbone Org", "Youth Centre", "B", "D", "E"]
    assert named["ties"].tolist() == [2, 2, 1, 1, 0] and named["responded"].sum() == 3
    assert PartnershipSettings(members="m.csv").partner_names is False


def test_model_indicators_of_the_partner_survey_get_the_census_design(tmp_path):
    """The ToC's partner indicators are estimated as the condition scores: each wave's design
    has that wave's membership as its fpc (18 members in wave 1, 20 in wave 2)."""
    members, answered = _census()
    listed = pd.concat([members.iloc[:18].assign(wave="1"), members.assign(wave="2")])
    listed.to_csv(tmp_path / "members.csv", index=False)
    study = SimpleNamespace(path=lambda p: tmp_path / p, waves=SimpleNamespace(all=["1", "2"]))
    frames = {("partners", "1"): answered, ("partners", "2"): answered, ("youth", "1"): answered}
    designs = census_designs(study, frames, PartnershipSettings(members="members.csv"))
    assert set(designs) == {("partners", "1"), ("partners", "2")}
    table = condition_estimates(
        {"1": answered, "2": answered}, listed, ["ca"], DisclosureRules(min_cell=3)
    )
    for wave in ("1", "2"):
        got = designs[("partners", wave)].mean("ca")
        row = table[(table["domain"] == "overall") & (table["wave"] == wave)].iloc[0]
        assert float(got["se"].iloc[0]) == pytest.approx(row["se"], rel=1e-12)
    assert table.query("domain == 'overall'")["members"].tolist() == [18, 20]


def test_roster_labels_leave_the_labels_table_unless_names_are_allowed(tmp_path):
    (tmp_path / "members.csv").write_text("partner_id,sector,role\nM1,1,5\n", encoding="utf-8")
    study = SimpleNamespace(path=lambda p: tmp_path / p, waves=SimpleNamespace(all=["2024"]))
    labels = pd.DataFrame(
        {"kind": ["variable", "level", "variable", "level"],
         "id": ["tie_M1", "1", "sector", "1"],
         "parent": ["partners", "tie_M1", "partners", "sector"],
         "en": ["Worked with Big Sisters", "Yes", "Sector", "Nonprofit"], "fr": "x"}
    )  # fmt: skip
    kept = public_labels(labels, study, PartnershipSettings(members="members.csv"))
    assert kept["id"].tolist() == ["sector", "1"] and "Big Sisters" not in " ".join(kept["en"])
    allowed = PartnershipSettings(members="members.csv", partner_names=True)
    assert len(public_labels(labels, study, allowed)) == 4


def test_a_membership_list_by_wave_must_cover_the_study_waves(tmp_path):
    path = tmp_path / "members.csv"
    path.write_text("wave,partner_id,sector,role\n2021,A,1,5\n2021,A,1,5\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match="partner_id repeated: A"):
        read_members(path, ["sector"], ["2021"])
    path.write_text("wave,partner_id,sector,role\n2021,A,1,5\n2023,A,1,5\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match="missing 2024, not a study wave 2023"):
        read_members(path, ["sector"], ["2021", "2024"])


# ---------------------------------------------------------------- settings and the demo
def test_settings_are_checked():
    with pytest.raises(AnalysisError, match="min_itmes"):
        AnalysisSettings.from_mapping({"partnership": {"members": "m.csv", "min_itmes": 2}})
    assert AnalysisSettings.from_mapping({}).partnership is None
    assert PartnershipSettings(members="m.csv").conditions == list(CONDITIONS)


def test_demo_codebook_names_the_items_of_every_condition():
    from ci_eval.codebook import Codebook

    codebook = Codebook.from_yaml(ROOT / "surveys/partners/codebook.yaml")
    names = list(codebook.variables)
    for condition in CONDITIONS:
        assert 3 <= len(condition_items(names, condition)) <= 5, condition
    assert {"sector", "role", "tie_M002", "trust_open_M080", "fund_M001"} <= set(names)


@functools.cache
def demo_partnership() -> tuple[dict[str, pd.DataFrame], dict]:
    from ci_eval.codebook import Codebook
    from ci_eval.quality import check_quality
    from ci_eval.sources.files import read_survey_file
    from ci_eval.study import load_study

    study = load_study(ROOT)
    codebook = Codebook.from_yaml(study.path(study.surveys["partners"].codebook))
    raw = {}
    for wave, source in study.surveys["partners"].sources.items():
        data = read_survey_file(study.path(source.path), survey="partners", wave=wave).data
        data = codebook.harmonise(data, wave=wave)
        raw[wave] = check_quality(data, study.quality.get("partners", {})).clean
    config = AnalysisSettings.from_mapping(study.analysis, study.disclosure)
    tables = partnership_tables(
        study, {"partners": raw}, {"partners": codebook}, config.partnership, config.disclosure
    )
    truth = yaml.safe_load((ROOT / "surveys/demo_truth.yaml").read_text(encoding="utf-8"))
    return tables, truth["partners"]


@pytest.mark.slow
def test_demo_condition_means_and_changes_are_recovered():
    tables, truth = demo_partnership()
    overall = tables["partnership_conditions"].query("domain == 'overall'")
    missed = []
    for row in overall.itertuples():
        true = truth["condition_means"][row.condition][row.wave]
        if not row.ci_low <= true <= row.ci_high:
            missed.append((row.condition, row.wave, true, row.ci_low, row.ci_high))
        assert row.members == truth["members"][row.wave]
        assert row.n <= truth["responding"][row.wave]
    assert len(overall) == 20 and len(missed) <= 1, missed  # 95% intervals: about 1 in 20 misses
    trends = tables["partnership_trends"].query("domain == 'overall'").set_index("indicator")
    covered = [
        trends.loc[c, "ci_low"] <= v["change"] <= trends.loc[c, "ci_high"]
        for c, v in truth["condition_means"].items()
    ]
    assert sum(covered) >= len(covered) - 1  # 95% intervals: at most one miss of ten
    weakened = truth["weakened_condition"]
    assert trends.loc[weakened, "trend"] == "worsened"
    assert (trends["trend"] == "worsened").sum() == 1
    reliability = tables["partnership_reliability"]
    # items share the member's stable views (SD 0.45 and 0.3) against item noise (0.6, rounded):
    # a 3-item alpha of about 0.67 and a 4-item one of about 0.73
    assert reliability["alpha"].between(0.3, 0.95).all() and reliability["alpha"].median() > 0.6


@pytest.mark.slow
def test_demo_network_densifies_and_matches_the_true_network():
    tables, truth = demo_partnership()
    net = tables["partnership_network"].set_index(["scope", "metric", "wave"])["value"]
    for wave, true in truth["network"].items():
        for scope in ("respondents", "reconstructed"):
            assert net[(scope, "density", wave)] == pytest.approx(true["density"], abs=0.015)
            assert net[(scope, "backbone_tied", wave)] == pytest.approx(
                true["backbone_tied"], abs=0.07
            )
        assert net[("reconstructed", "cross_sector", wave)] == pytest.approx(
            true["cross_sector"], abs=0.03
        )
    changes = tables["partnership_network"].query("metric == 'density' and wave == '2024'")
    assert (changes["change"] > 0.03).all()
    nodes = tables["partnership_network"].query("scope == 'reconstructed' and metric == 'members'")
    assert dict(zip(nodes["wave"], nodes["value"], strict=True)) == truth["members"]


@pytest.mark.slow
def test_demo_planted_network_change_is_recovered_within_its_ci():
    """The densified network: the true change of density, backbone ties and cross-sector share
    lies in each scope's CI of the change; the density's CI excludes 0 (a real change)."""
    tables, truth = demo_partnership()
    net = tables["partnership_network"].query("wave == '2024'").set_index(["scope", "metric"])
    true = {m: truth["network"]["2024"][m] - truth["network"]["2021"][m]
            for m in ("density", "backbone_tied", "cross_sector")}  # fmt: skip
    missed = [
        (scope, m, t, net.loc[(scope, m), "change_ci_low"], net.loc[(scope, m), "change_ci_high"])
        for scope in ("respondents", "reconstructed")
        for m, t in true.items()
        if not net.loc[(scope, m), "change_ci_low"] <= t <= net.loc[(scope, m), "change_ci_high"]
    ]
    assert len(missed) <= 1, missed  # six 95% intervals
    for scope in ("respondents", "reconstructed"):
        assert net.loc[(scope, "density"), "change_ci_low"] > 0
        wave = tables["partnership_network"].query(f"scope == '{scope}' and metric == 'density'")
        for row in wave.itertuples():
            assert row.ci_low <= truth["network"][row.wave]["density"] <= row.ci_high


@pytest.mark.slow
def test_demo_small_sectors_are_not_published():
    tables, _ = demo_partnership()
    table = tables["partnership_conditions"]
    shown = table[~table["suppressed"]]
    assert (shown["n"] >= 10).all()
    assert table[(table["domain"] == "sector") & (table["n"] < 10)]["estimate"].isna().all()
    assert shown[shown["domain"] == "sector"]["domain_value"].nunique() >= 1
