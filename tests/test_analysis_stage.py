"""The analysis entry point on the demo study: the results-store contract, labels, determinism,
and the ``ci-eval benchmark`` command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis_fixtures import demo_inputs, demo_tables
from ci_eval.analysis import PRIVATE_PREFIX, analyse
from ci_eval.cli import app
from ci_eval.results import ResultsStore
from ci_eval.results.contract import TABLES, spec


@pytest.mark.slow
def test_every_contract_table_with_its_columns():
    """The analysis gives every public table the contract declares (less ``toc_outcomes``
    and ``toc_indicators``, which the pipeline adds), each matching its declaration and not
    empty."""
    tables = demo_tables()
    public = {k for k in tables if not k.startswith(PRIVATE_PREFIX)}
    from_model = {"toc_outcomes", "toc_indicators"}
    declared = {name for name, t in TABLES.items() if not t.private and name not in from_model}
    assert public == declared
    unnamed = {"partnership_members"}  # the demo does not allow naming its member organisations
    for name, table in tables.items():
        spec(name).check(name, table)
        assert (len(table) == 0) if name in unnamed else (len(table) > 0), name
    assert any(name.startswith(PRIVATE_PREFIX) for name in tables)


@pytest.mark.slow
def test_every_shown_code_has_a_label_in_both_languages():
    tables = demo_tables()
    labels = tables["labels"]
    assert (labels["en"] != "").all() and (labels["fr"] != "").all()
    known = set(zip(labels["kind"], labels["id"], labels["parent"], strict=True))
    ind = tables["indicators"]
    for indicator in ind["indicator"].unique():
        assert (
            "indicator",
            indicator,
            ind.loc[ind["indicator"] == indicator, "outcome"].iloc[0],
        ) in known
    domains = ind[ind["domain"] != "overall"][["domain", "domain_value"]].drop_duplicates()
    for domain, value in domains.itertuples(index=False):
        assert ("level", value, domain) in known, (domain, value)
    for universe, survey in ind[["universe", "survey"]].drop_duplicates().itertuples(index=False):
        assert ("universe", universe, survey) in known, (universe, survey)
    for domain, survey in ind[["domain", "survey"]].drop_duplicates().itertuples(index=False):
        if domain != "overall":  # every domain has its "by ..." phrase
            assert ("by", domain, survey) in known, (domain, survey)
    contributions = tables["contributions"][["contribution", "outcome"]].drop_duplicates()
    for contribution, outcome in contributions.itertuples(index=False):
        assert ("contribution", contribution, outcome) in known
    margins = tables["weighting_margins"]
    for variables, levels in zip(margins["variables"], margins["levels"], strict=True):
        for variable, code in zip(variables, levels, strict=True):
            assert ("level", code, variable) in known, (variable, code)
        if len(variables) > 1:  # a crossed cell has its own label too
            assert ("level", ":".join(levels), " x ".join(variables)) in known
    spec = labels[labels["id"] == "belonging_score__mentored_6_18"].iloc[0]
    assert spec["en"] == "Had a mentor at ages 6-18 → Sense of belonging (1-5)"


@pytest.mark.slow
def test_suppressed_values_never_reach_a_published_table():
    tables = demo_tables()
    for name in ("indicators", "trends"):
        t = tables[name]
        hidden = t[t["suppressed"]]
        assert hidden[["estimate", "se", "ci_low", "ci_high"]].isna().all().all(), name


@pytest.mark.slow
def test_same_inputs_give_byte_identical_stores(tmp_path):
    study, model, codebooks, scored, raw, quality = demo_inputs()
    small = model.model_copy(update={"contributions": model.contributions[:1]})
    youth = {"youth": scored["youth"]}
    raws = {"youth": raw["youth"], "partners": raw["partners"]}  # partnership reads its own
    digests = []
    for run in ("a", "b"):
        tables = analyse(study, small, codebooks, youth, raw=raws, quality=quality)
        ResultsStore(tmp_path / run).write_tables(tables)
        digests.append(
            {
                p.relative_to(tmp_path / run).as_posix(): p.read_bytes()
                for p in sorted((tmp_path / run).rglob("*"))
                if p.is_file()
            }
        )
    assert digests[0].keys() == digests[1].keys()
    assert digests[0] == digests[1]
    # values are stored unrounded
    written = ResultsStore(tmp_path / "a").read("indicators")
    estimates = written["estimate"].dropna().to_numpy()
    assert (estimates != np.round(estimates, 6)).any()


@pytest.mark.slow
def test_benchmark_command_for_one_program(tmp_path, demo_study):
    runner = CliRunner()
    result = runner.invoke(
        app, ["benchmark", str(demo_study), "--program", "P0001", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    table = (tmp_path / "benchmark_P0001.csv").read_text(encoding="utf-8")
    assert table.splitlines()[0].startswith("indicator,wave,scope,peer_group")
    bad = runner.invoke(app, ["benchmark", str(demo_study), "--program", "P9999"])
    assert bad.exit_code == 2 and "P9999" in bad.output


@pytest.mark.slow
def test_benchmark_command_with_the_programs_own_youth_data(tmp_path, demo_study):
    _, _, _, _, raw, _ = demo_inputs()
    own = raw["youth"]["2024"].head(60).drop(columns=["design_weight"])
    path = tmp_path / "own.csv"
    own.to_csv(path, index=False)
    args = ["--program", "P0003", "--data", str(path), "--out", str(tmp_path)]
    result = CliRunner().invoke(app, ["benchmark", str(demo_study), *args])
    assert result.exit_code == 0, result.output
    youth = pd.read_csv(tmp_path / "benchmark_P0003_youth.csv")
    mentored = youth.set_index("indicator").loc["mentored_6_18"]
    expected = demo_tables()["indicators"]
    national = expected[
        (expected["indicator"] == "mentored_6_18")
        & (expected["domain"] == "overall")
        & (expected["wave"] == "2024")
    ]
    assert mentored["national"] == national["estimate"].item()
    assert 0 <= mentored["value"] <= 1 and mentored["n"] <= 60
