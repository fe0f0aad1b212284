"""Program benchmarking: peer groups, disclosure control under attack, programs' own data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci_eval.analysis.benchmark.disclosure import compare_with_peers
from ci_eval.analysis.benchmark.peers import PeerIndex
from ci_eval.analysis.benchmark.program_data import program_youth_indicators
from ci_eval.analysis.benchmark.tables import PROGRAM_COLUMNS, benchmark_tables, program_table
from ci_eval.analysis.settings import DisclosureRules
from ci_eval.codebook import Codebook
from ci_eval.errors import AnalysisError
from ci_eval.toc.schema import ToCModel


def _programs(n: int = 40, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "org_type": rng.choice([1.0, 2.0], n),
            "region": rng.choice([1.0, 2.0, 3.0], n),
            "size_band": rng.choice([1.0, 2.0], n),
            "served": rng.integers(5, 300, n).astype(float),
        },
        index=[f"P{k:04d}" for k in range(1, n + 1)],
    )
    return frame


PEER_BY = ["org_type", "region", "size_band"]


def test_peer_group_is_the_narrowest_with_enough_other_programs():
    programs = _programs()
    index = PeerIndex(programs, PEER_BY)
    group = index.find("P0001", 5)
    assert "P0001" not in group.members
    assert len(group.members) >= 5
    own = programs.loc["P0001"]
    for column, value in group.criteria:
        assert (programs.loc[list(group.members), column] == own[column]).all()
        assert value == str(int(own[column]))
    # a narrower group (one more criterion) would have been too small
    narrower = PEER_BY[: len(group.criteria) + 1]
    if len(group.criteria) < len(PEER_BY):
        same = (programs[narrower] == own[narrower]).all(axis=1)
        assert same.sum() - 1 < 5


def test_a_tiny_peer_group_is_widened_and_a_region_of_one_is_never_shown_alone():
    programs = _programs()
    programs.loc["P0040", "region"] = 6.0  # the only program of its region (a territory)
    table, groups = program_table(programs, "P0040", ["served"], PEER_BY, 5)
    row = table.iloc[0]
    assert "region" not in row["peer_group"]
    assert row["peer_n"] >= 5 and not row["suppressed"]
    assert groups[row["peer_group"]] >= 6
    # nobody else's benchmark uses a group in which P0040 is the only member of its region
    for pid in programs.index[:-1]:
        t, _ = program_table(programs, pid, ["served"], PEER_BY, 5)
        assert "region=6" not in t["peer_group"].item()


def test_fewer_programs_than_the_minimum_suppresses_every_peer_value():
    programs = _programs(n=5)
    table, _ = program_table(programs, "P0001", ["served"], PEER_BY, 5)
    row = table.iloc[0]
    assert row["peer_group"] == "all programs" and row["peer_n"] == 4
    assert row["suppressed"] and row["reason"] == "fewer than 5 peer programs"
    assert np.isnan([row["p25"], row["median"], row["p75"], row["percentile_rank"]]).all()
    assert row["value"] == programs.loc["P0001", "served"]  # its own value is its own


def test_a_peer_group_of_identical_programs_shows_no_quartile():
    programs = _programs(n=12)
    programs["served"] = 50.0
    programs.loc["P0001", "served"] = 80.0
    table, _ = program_table(programs, "P0001", ["served"], PEER_BY, 5)
    row = table.iloc[0]
    assert row["suppressed"] and row["reason"] == "peer values all equal"
    assert np.isnan([row["p25"], row["median"], row["p75"], row["percentile_rank"]]).all()


def test_peers_without_a_value_do_not_count():
    programs = _programs(n=12)
    programs["served"] = np.nan
    programs.loc[["P0001", "P0002", "P0003"], "served"] = [1.0, 2.0, 3.0]
    row = program_table(programs, "P0001", ["served"], PEER_BY, 5)[0].iloc[0]
    assert row["peer_n"] == 2 and row["suppressed"]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(0, 100, allow_nan=False), min_size=0, max_size=12),
    own=st.floats(0, 100, allow_nan=False),
    min_peers=st.integers(1, 8),
)
def test_a_shown_distribution_never_reveals_one_peer(values, own, min_peers):
    peers = np.array(values)
    result = compare_with_peers(own, peers, min_peers)
    if len(peers) < min_peers or (len(peers) and np.ptp(peers) == 0):
        assert result.suppressed and np.isnan(result.median)
    else:
        assert not result.suppressed and result.peer_n >= min_peers
        assert result.p25 <= result.median <= result.p75
        assert 0 <= result.percentile_rank <= 100


def test_benchmark_tables_are_private_per_program_and_the_public_summary_has_no_values():
    programs = _programs(n=30).rename_axis("program_id").reset_index()
    model = ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                {
                    "id": "served",
                    "label": {"en": "S"},
                    "survey": "organisations",
                    "items": ["q"],
                    "scoring": {"method": "value"},
                }
            ],
        }
    )
    tables = benchmark_tables(
        {("organisations", "2024"): programs}, model, "organisations", "program_id", PEER_BY, 5
    )
    assert sorted(k for k in tables if k.startswith("programs/")) == [
        f"programs/P{k:04d}" for k in range(1, 31)
    ]
    assert list(tables["programs/P0001"].columns) == PROGRAM_COLUMNS
    public = tables["benchmark_peers"]
    assert list(public.columns) == ["peer_group", "programs"]
    assert (public["programs"] >= 6).all()
    with pytest.raises(AnalysisError, match="P9999"):
        program_table(programs.set_index("program_id"), "P9999", ["served"], PEER_BY, 5)


def _youth_model() -> tuple[ToCModel, Codebook]:
    model = ToCModel.model_validate(
        {
            "name": {"en": "M"},
            "outcomes": [],
            "indicators": [
                {
                    "id": "mentored",
                    "label": {"en": "M"},
                    "survey": "youth",
                    "items": ["had"],
                    "scoring": {"method": "threshold", "values": [1]},
                },
                {
                    "id": "belong",
                    "label": {"en": "B"},
                    "survey": "youth",
                    "items": ["b1", "b2"],
                    "scoring": {"method": "mean"},
                },
                {
                    "id": "strong",
                    "label": {"en": "S"},
                    "survey": "youth",
                    "scoring": {"method": "derived", "expression": "belong >= 4"},
                },
            ],
        }
    )
    cb = Codebook.from_dict(
        {
            "survey": "youth",
            "variables": [
                {
                    "name": "had",
                    "type": "categorical",
                    "missing_codes": [8],
                    "value_labels": {1: {"en": "Yes"}, 2: {"en": "No"}, 8: {"en": "DK"}},
                },
                {"name": "b1", "type": "numeric"},
                {"name": "b2", "type": "numeric"},
            ],
        }
    )
    return model, cb


def _national() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator": ["mentored", "belong", "strong"],
            "survey": "youth",
            "wave": "2024",
            "domain": "overall",
            "estimate": [0.6, 3.5, 0.3],
            "ci_low": [0.58, 3.4, 0.28],
            "ci_high": [0.62, 3.6, 0.32],
            "suppressed": False,
        }
    )


def test_program_youth_data_is_scored_and_compared_with_the_nation():
    model, cb = _youth_model()
    own = pd.DataFrame({"had": [1, 2, 1, 8] * 10})  # no belonging items in this template
    t = program_youth_indicators(own, model, cb, _national(), DisclosureRules(), "id").set_index(
        "indicator"
    )
    mentored = t.loc["mentored"]
    assert mentored["n"] == 30  # the "don't know" answers are missing
    assert mentored["value"] == pytest.approx(20 / 30)
    assert mentored["difference"] == pytest.approx(20 / 30 - 0.6)
    assert mentored["national"] == 0.6
    for missing in ("belong", "strong"):
        assert t.loc[missing, "suppressed"] and t.loc[missing, "reason"] == "items not in the data"


def test_program_youth_data_small_groups_are_suppressed():
    model, cb = _youth_model()
    own = pd.DataFrame({"had": [1, 2] * 4, "b1": [4, 5] * 4, "b2": [4, 3] * 4})
    t = program_youth_indicators(own, model, cb, _national(), DisclosureRules(), "id")
    assert t["suppressed"].all() and (t["reason"] == "n < 10").all()
    assert t["value"].isna().all() and t["difference"].isna().all()


def test_program_youth_data_without_template_columns_is_refused():
    model, cb = _youth_model()
    with pytest.raises(AnalysisError, match="none of the template's items"):
        program_youth_indicators(
            pd.DataFrame({"x": [1]}), model, cb, _national(), DisclosureRules(), "id"
        )


@pytest.mark.slow
def test_demo_benchmarks_respect_disclosure_rules():
    from analysis_fixtures import demo_tables

    tables = demo_tables()
    programs = {k: v for k, v in tables.items() if k.startswith("programs/")}
    assert len(programs) == 410
    for table in programs.values():
        shown = table[~table["suppressed"]]
        assert (shown["peer_n"] >= 5).all()
        hidden = table[table["suppressed"]]
        assert hidden[["p25", "median", "p75", "percentile_rank"]].isna().all().all()
    # the territories' programs (region 6) are benchmarked against wider groups
    assert not tables["benchmark_peers"]["peer_group"].str.contains("region=6").any()
