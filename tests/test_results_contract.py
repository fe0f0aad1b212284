"""The results contract and the store that keeps it (ci_eval.results)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from ci_eval.errors import AnalysisError
from ci_eval.results import ResultsStore
from ci_eval.results.contract import TABLES, is_private, spec


def peers(programs: int = 8) -> pd.DataFrame:
    return pd.DataFrame({"peer_group": ["region=1"], "programs": [programs]})


def benchmark(value: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator": ["x"],
            "wave": ["2024"],
            "scope": ["group"],
            "peer_group": ["region=1"],
            "peer_variables": [["region"]],
            "peer_levels": [["1"]],
            "kind": ["number"],
            "value": [value],
            "n": [7],
            "average": [1.1],
            "p25": [0.5],
            "median": [1.0],
            "p75": [2.0],
            "yes": [np.nan],
            "rank_band": ["third"],
            "symbol": [""],
            "suppressed": [False],
            "reason": [""],
        }
    )


@pytest.mark.slow
def test_every_table_of_the_demo_run_is_written_as_declared(tmp_path):
    from analysis_fixtures import demo_inputs, demo_tables
    from ci_eval.pipeline import toc_indicators, toc_outcomes

    model = demo_inputs()[1]
    demo = demo_tables()
    tables = {
        **demo,
        "toc_outcomes": toc_outcomes(model),
        "toc_indicators": toc_indicators(model, demo["indicators"]),
    }
    store = ResultsStore(tmp_path)
    store.write_tables(tables)
    assert set(store.names()) == set(tables)
    for name in tables:
        declared = spec(name)
        schema = pq.read_schema(store.path(name))
        assert schema.names == declared.names, name
        for column in declared.columns:
            assert column.accepts(schema.field(column.name).type), (name, column.name)
        assert store.entry(name)["description"] == declared.description
        assert store.entry(name)["private"] == is_private(name)
    read = store.read("toc_outcomes")
    assert all(isinstance(list(v), list) for v in read["leads_to"])
    units = store.read("toc_indicators").set_index("indicator")
    assert units.loc["mentor_retention", "unit"] == "percent"  # declared in the model
    assert units.loc["relationship_quality", "unit"] == "score"  # a mean scale
    assert units.loc["youth_served", "unit"] == "count"  # a total
    assert units.loc["strong_belonging", "unit"] == "percent"  # derived 0/1: a proportion
    assert units.loc["mentored_6_18", "baseline_source"].startswith("National Youth")


@pytest.mark.parametrize(
    ("name", "frame", "message"),
    [
        ("nonsense", peers(), "not in the results contract"),
        ("benchmark_peers", peers()[["programs", "peer_group"]], "out of order"),
        ("benchmark_peers", peers().drop(columns="programs"), r"missing \['programs'\]"),
        ("benchmark_peers", peers().assign(extra=1), r"unexpected \['extra'\]"),
        (
            "benchmark_peers",
            peers().assign(programs=["8"]),
            "'benchmark_peers', column 'programs': type string, .* declares int64",
        ),
        (
            "programs/P1",
            benchmark().assign(n=[7.5]),
            "'programs/P1', column 'n': type float64",
        ),
        ("programs/", benchmark(), "not in the results contract"),
    ],
)
def test_a_frame_that_breaks_its_declaration_is_refused(tmp_path, name, frame, message):
    store = ResultsStore(tmp_path)
    with pytest.raises(AnalysisError, match=message):
        store.write_tables({"benchmark_peers": peers(), name: frame})
    assert not any(tmp_path.iterdir())  # checked before any file is written


def test_private_tables_live_apart_from_the_public_ones(tmp_path):
    store = ResultsStore(tmp_path)
    store.write_tables({"benchmark_peers": peers(), "programs/P1": benchmark()})
    public = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))["tables"]
    assert list(public) == ["benchmark_peers"]
    assert not any("P1" in p.as_posix() for p in (tmp_path / "tables").rglob("*"))
    assert (tmp_path / "private/programs/P1/benchmark.csv").is_file()
    private = json.loads((tmp_path / "private/index.json").read_text(encoding="utf-8"))
    assert private["tables"]["programs/P1"]["private"] is True
    assert store.names(private=True) == ["programs/P1"]
    assert store.read("programs/P1")["value"].tolist() == [1.0]


def test_only_changed_tables_and_indexes_are_rewritten(tmp_path):
    store = ResultsStore(tmp_path)
    tables = {"benchmark_peers": peers(), "programs/P1": benchmark(), "programs/P2": benchmark()}
    assert store.write_tables(tables).written == sorted(tables)
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    stamps = {p: p.stat().st_mtime_ns for p in files}
    again = store.write_tables(tables)
    assert again.written == [] and again.unchanged == sorted(tables)
    assert {p: p.stat().st_mtime_ns for p in files} == stamps  # no file touched
    changed = store.write_tables({**tables, "programs/P2": benchmark(2.0)})
    assert changed.written == ["programs/P2"]
    assert (tmp_path / "index.json").stat().st_mtime_ns == stamps[tmp_path / "index.json"]
    gone = store.write_tables({"benchmark_peers": peers()})
    assert gone.removed == ["programs/P1", "programs/P2"]
    assert not (tmp_path / "private/programs/P1").exists()
    assert store.names() == ["benchmark_peers"]


def test_a_list_column_is_a_json_array_in_csv_and_a_list_in_parquet(tmp_path):
    toc = pd.DataFrame(
        {"outcome": ["a", "b"], "level": ["activity", "impact"], "leads_to": [["b", "c,d"], []]}
    )
    store = ResultsStore(tmp_path)
    store.write("toc_outcomes", toc)
    text = store.path("toc_outcomes", ".csv").read_text(encoding="utf-8")
    assert text.splitlines()[1:] == ['a,activity,"[""b"", ""c,d""]"', "b,impact,[]"]
    assert [list(v) for v in store.read("toc_outcomes")["leads_to"]] == [["b", "c,d"], []]


def test_an_empty_table_gets_its_declared_types(tmp_path):
    store = ResultsStore(tmp_path)
    store.write("balance", pd.DataFrame(columns=spec("balance").names))
    schema = pq.read_schema(store.path("balance"))
    declared = spec("balance").columns
    assert all(c.accepts(t) for c, t in zip(declared, schema.types, strict=True))
    assert "null" not in [str(t) for t in schema.types]


def test_every_declaration_is_complete():
    for name, table in TABLES.items():
        assert table.description and table.producer.startswith("ci_eval."), name
        assert len(set(table.names)) == len(table.names), name
        assert table.private == is_private(name), name
